//! The vector crypto element-group instructions: Zvkned (AES),
//! Zvknh\[ab\] (SHA-2), Zvkg (GHASH), Zvksed (SM4) and Zvksh (SM3), as the
//! vector cryptography spec 1.0 defines them (riscv-crypto
//! `doc/vector/insns/*.adoc`, whose Sail this follows; SM4 and SM3 are in
//! `shangmi.rs`).
//!
//! Each works on element groups of EGS elements of SEW bits ([`egs`]: 8
//! for SM3, 4 for the rest; EGW = 128 for AES, SHA-256, GHASH and SM4, 256
//! for SHA-512 and SM3), from group `vstart / EGS` to `vl / EGS`, unmasked.
//! Reserved, so an illegal instruction (spec "Instruction Constraints"): a
//! SEW other than the instruction's, `vl` or `vstart` not a multiple of
//! EGS, LMUL × VLEN < EGW (even with `vl` = 0), and a destination that
//! overlaps `vs2` of a `.vs` form, either source of `vsha2*`, or `vs2` of
//! `vsm3me`/`vsm3c`. The AES state of an element group is its 16 bytes in
//! memory order (byte `r + 4c` is row `r` of column `c`, FIPS-197 §3.4),
//! which is what `vle32.v` of the plaintext leaves in it.
//!
//! [`shape_ok`] (the legality check), [`group32`] (one element group) and
//! [`run_groups32`] (which groups, from which registers) are public for
//! compiled code, which runs the same groups on the host's AES-NI and
//! SHA-NI (`ferrovm_jit`'s `host_crypto`).

use super::exec::{Cfg, group_ok, overlap};
use super::{VInst, VOp, VState, shangmi};

/// Elements per element group of the crypto instruction `op`: 8 for SM3
/// (`vsm3me`, `vsm3c`: EGW 256 at SEW 32), 4 for every other one.
pub const fn egs(op: VOp) -> usize {
    if matches!(op, VOp::Sm3me | VOp::Sm3c) { 8 } else { 4 }
}

/// Runs the crypto instruction `inst`; `a` is the `uimm` of `vaeskf1/2`,
/// `vsm4k` and `vsm3c`. `Err(())` is an illegal instruction.
pub(super) fn compute(v: &mut VState, c: Cfg, inst: VInst, a: u64) -> Result<u64, ()> {
    let egs = egs(inst.op);
    if !shape_ok(inst, c.sew, c.lmul, v.vlenb) || !c.vl.is_multiple_of(egs) || !c.vstart.is_multiple_of(egs) {
        return Err(());
    }
    let groups = c.vstart / egs..c.vl / egs;
    if egs == 8 {
        // SM3: 32-byte groups (`shape_ok` allows SEW 32 only).
        for g in groups {
            let s2 = words8(load::<32>(v, inst.vs2, g));
            let out = if inst.op == VOp::Sm3me {
                shangmi::sm3_me(words8(load::<32>(v, inst.vs1, g)), s2)
            } else {
                shangmi::sm3_c(words8(load::<32>(v, inst.vd, g)), s2, a)
            };
            store::<32>(v, inst.vd, g, unwords8(out));
        }
        return Ok(0);
    }
    if c.sew == 4 {
        run_groups32(v, inst, a, groups, group32);
        return Ok(0);
    }
    // SHA-512 (`shape_ok` allows SEW 64 for nothing else).
    let (vd, vs1, vs2) = (inst.vd, inst.vs1, inst.vs2);
    for g in groups {
        let (d, s2, s1) = (sha_group::<8, 32>(v, vd, g), sha_group::<8, 32>(v, vs2, g), sha_group::<8, 32>(v, vs1, g));
        sha_put::<8, 32>(v, vd, g, Sha::<8>::run(inst.op, d, s2, s1));
    }
    Ok(0)
}

/// Whether the crypto instruction `inst` may run at SEW `sew` bytes,
/// log2(LMUL) `lmul` and VLEN `vlenb` bytes, `vl` and `vstart` aside
/// (they must be multiples of [`egs`]): the instruction's SEW (32, or 64
/// for `vsha2*` with Zvknhb), LMUL × VLEN >= EGW, aligned register groups,
/// and a destination that overlaps neither `vs2` of a `.vs` form, nor a
/// source of `vsha2*`, nor `vs2` of `vsm3me`/`vsm3c`.
pub fn shape_ok(inst: VInst, sew: usize, lmul: i32, vlenb: u64) -> bool {
    use VOp::*;
    let sha = matches!(inst.op, Sha2ms | Sha2ch | Sha2cl);
    let sm3 = matches!(inst.op, Sm3me | Sm3c);
    let sew_ok = sew == 4 || (sha && sew == 8 && inst.flags & VInst::SHA512 != 0);
    let egw_bytes = egs(inst.op) * sew;
    let group_bytes = if lmul >= 0 { (vlenb as usize) << lmul } else { (vlenb as usize) >> -lmul };
    // A `.vs` operand is one element group: one register, or as many as it
    // takes when VLEN < EGW.
    let scalar_emul = (egw_bytes / (vlenb as usize).max(1)).max(1).trailing_zeros() as i32;
    let (vd, vs1, vs2, lm) = (inst.vd, inst.vs1, inst.vs2, lmul);
    sew_ok
        && group_bytes >= egw_bytes
        && group_ok(vd, lm)
        && if vs_form(inst.op) {
            group_ok(vs2, scalar_emul) && !overlap(vd, lm, vs2, scalar_emul)
        } else {
            group_ok(vs2, lm)
        }
        && (!sha || (group_ok(vs1, lm) && !overlap(vd, lm, vs1, lm) && !overlap(vd, lm, vs2, lm)))
        && (inst.op != Ghsh || group_ok(vs1, lm))
        && (!sm3 || !overlap(vd, lm, vs2, lm))
        && (inst.op != Sm3me || group_ok(vs1, lm))
}

/// The `.vs` forms: their round key is element group 0 of `vs2`.
const fn vs_form(op: VOp) -> bool {
    matches!(op, VOp::AesdmVs | VOp::AesdfVs | VOp::AesemVs | VOp::AesefVs | VOp::AeszVs | VOp::Sm4rVs)
}

/// Runs the element groups `groups` of `inst`, a crypto instruction at
/// SEW 32 with 4-element groups (all but SM3's) whose shape is legal
/// ([`shape_ok`]), each through `kernel`:
/// [`group32`], or a host's AES and SHA instructions computing the same.
/// `kernel` gets the operation, the groups of `vd`, `vs2` (group 0 for a
/// `.vs` form) and `vs1` (zeros unless `vsha2*` or `vghsh` read it), and
/// `a`; it returns the new group of `vd`.
#[inline]
pub fn run_groups32(
    v: &mut VState,
    inst: VInst,
    a: u64,
    groups: core::ops::Range<usize>,
    kernel: impl Fn(VOp, [u8; 16], [u8; 16], [u8; 16], u64) -> [u8; 16],
) {
    let reads_vs1 = matches!(inst.op, VOp::Sha2ms | VOp::Sha2ch | VOp::Sha2cl | VOp::Ghsh);
    for g in groups {
        let s1 = if reads_vs1 { group(v, inst.vs1, g) } else { [0; 16] };
        let key = group(v, inst.vs2, if vs_form(inst.op) { 0 } else { g });
        let out = kernel(inst.op, group(v, inst.vd, g), key, s1, a);
        put_group(v, inst.vd, g, out);
    }
}

/// One element group of a crypto instruction at SEW 32 with 4-element
/// groups: the new group of `vd` from its old one `d`, that of `vs2` (the
/// round key of the AES and SM4 rounds, `{a, b, e, f}` of `vsha2c[hl]`)
/// `s2`, that of `vs1` `s1`, and `uimm` (`vaeskf1/2`, `vsm4k`).
pub fn group32(op: VOp, d: [u8; 16], s2: [u8; 16], s1: [u8; 16], uimm: u64) -> [u8; 16] {
    use VOp::*;
    match op {
        AesefVv | AesefVs => xor(shift_rows(sub_bytes(d, &SBOX)), s2),
        AesemVv | AesemVs => xor(mix_columns(shift_rows(sub_bytes(d, &SBOX))), s2),
        AesdfVv | AesdfVs => xor(sub_bytes(inv_shift_rows(d), &INV_SBOX), s2),
        AesdmVv | AesdmVs => inv_mix_columns(xor(sub_bytes(inv_shift_rows(d), &INV_SBOX), s2)),
        AeszVs => xor(d, s2),
        Aeskf1 => key_forward_128(s2, uimm),
        Aeskf2 => key_forward_256(d, s2, uimm),
        Ghsh => ghash_mul(xor(d, s1), s2),
        Gmul => ghash_mul(d, s2),
        Sm4k => unwords(shangmi::sm4_key(words(s2), uimm)),
        Sm4rVv | Sm4rVs => unwords(shangmi::sm4_rounds(words(d), words(s2))),
        Sha2ms | Sha2ch | Sha2cl => {
            let w = |b: [u8; 16]| words(b).map(u64::from);
            unwords(Sha::<4>::run(op, w(d), w(s2), w(s1)).map(|x| x as u32))
        }
        // Not a crypto instruction: `shape_ok` callers never get here.
        _ => d,
    }
}

/// Element group `g` (of `N` bytes) of the register group at `reg`: a
/// register group is contiguous in the register file, so the group is
/// the `N` bytes at `reg * vlenb + g * N` (zeros out of range, which the
/// shape checks rule out).
#[inline]
fn load<const N: usize>(v: &VState, reg: u8, g: usize) -> [u8; N] {
    let off = usize::from(reg) * v.vlenb as usize + g * N;
    v.regs.get(off..off + N).and_then(|s| <[u8; N]>::try_from(s).ok()).unwrap_or([0; N])
}

#[inline]
fn store<const N: usize>(v: &mut VState, reg: u8, g: usize, bytes: [u8; N]) {
    let off = usize::from(reg) * v.vlenb as usize + g * N;
    if let Some(dst) = v.regs.get_mut(off..off + N) {
        dst.copy_from_slice(&bytes);
    }
}

/// Element group `g` of the 32-bit register group at `reg`, as 16 bytes.
#[inline]
fn group(v: &VState, reg: u8, g: usize) -> [u8; 16] {
    load::<16>(v, reg, g)
}

#[inline]
fn put_group(v: &mut VState, reg: u8, g: usize, bytes: [u8; 16]) {
    store::<16>(v, reg, g, bytes);
}

/// The four SEW-bit words (`B` bytes each) of element group `g`.
fn sha_group<const B: usize, const N: usize>(v: &VState, reg: u8, g: usize) -> [u64; 4] {
    let bytes = load::<N>(v, reg, g);
    let mut out = [0u64; 4];
    for (w, chunk) in out.iter_mut().zip(bytes.chunks_exact(B)) {
        let mut le = [0u8; 8];
        if let Some(dst) = le.get_mut(..B) {
            dst.copy_from_slice(chunk);
        }
        *w = u64::from_le_bytes(le);
    }
    out
}

fn sha_put<const B: usize, const N: usize>(v: &mut VState, reg: u8, g: usize, words: [u64; 4]) {
    let mut bytes = [0u8; N];
    for (chunk, w) in bytes.chunks_exact_mut(B).zip(words) {
        if let Some(src) = w.to_le_bytes().get(..B) {
            chunk.copy_from_slice(src);
        }
    }
    store::<N>(v, reg, g, bytes);
}

fn xor(mut a: [u8; 16], b: [u8; 16]) -> [u8; 16] {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
    a
}

fn sub_bytes(mut s: [u8; 16], table: &[u8; 256]) -> [u8; 16] {
    for b in &mut s {
        *b = table[usize::from(*b)];
    }
    s
}

/// Where ShiftRows (FIPS-197 §5.1.2: row `r` rotates left by `r` columns)
/// takes byte `i` from: row `i % 4` of column `(i / 4 + i % 4) % 4`.
const SHIFT: [usize; 16] = {
    let mut t = [0; 16];
    let mut i = 0;
    while i < 16 {
        t[i] = i % 4 + 4 * ((i / 4 + i % 4) % 4);
        i += 1;
    }
    t
};

/// The same for InvShiftRows (§5.3.1: row `r` rotates right by `r`).
const INV_SHIFT: [usize; 16] = {
    let mut t = [0; 16];
    let mut i = 0;
    while i < 16 {
        t[i] = i % 4 + 4 * ((i / 4 + 4 - i % 4) % 4);
        i += 1;
    }
    t
};

fn permute(s: [u8; 16], from: &[usize; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, &f) in out.iter_mut().zip(from) {
        *o = s[f];
    }
    out
}

fn shift_rows(s: [u8; 16]) -> [u8; 16] {
    permute(s, &SHIFT)
}

fn inv_shift_rows(s: [u8; 16]) -> [u8; 16] {
    permute(s, &INV_SHIFT)
}

/// Multiplication by x in GF(2^8) mod x^8 + x^4 + x^3 + x + 1 (§4.2.1).
const fn xtime(b: u8) -> u8 {
    (b << 1) ^ if b & 0x80 != 0 { 0x1b } else { 0 }
}

/// MixColumns (§5.1.3), each column `{02}a0 + {03}a1 + a2 + a3`... as
/// `a_i + t + {02}(a_i + a_(i+1))` with `t` the sum of the column.
fn mix_columns(mut s: [u8; 16]) -> [u8; 16] {
    for col in s.chunks_exact_mut(4) {
        let [a0, a1, a2, a3] = [col[0], col[1], col[2], col[3]];
        let t = a0 ^ a1 ^ a2 ^ a3;
        col[0] = a0 ^ t ^ xtime(a0 ^ a1);
        col[1] = a1 ^ t ^ xtime(a1 ^ a2);
        col[2] = a2 ^ t ^ xtime(a2 ^ a3);
        col[3] = a3 ^ t ^ xtime(a3 ^ a0);
    }
    s
}

/// InvMixColumns (§5.3.3): the inverse matrix is MixColumns' times
/// `{04}x^2 + {05}` (so a column first gets `{04}(a0 + a2)` added to its
/// even bytes and `{04}(a1 + a3)` to its odd ones).
fn inv_mix_columns(mut s: [u8; 16]) -> [u8; 16] {
    for col in s.chunks_exact_mut(4) {
        let u = xtime(xtime(col[0] ^ col[2]));
        let v = xtime(xtime(col[1] ^ col[3]));
        col[0] ^= u;
        col[1] ^= v;
        col[2] ^= u;
        col[3] ^= v;
    }
    mix_columns(s)
}

/// The words of an element group (word 0 = bytes 0..4, little-endian).
fn words(s: [u8; 16]) -> [u32; 4] {
    core::array::from_fn(|j| u32::from_le_bytes([s[4 * j], s[4 * j + 1], s[4 * j + 2], s[4 * j + 3]]))
}

fn unwords(w: [u32; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (chunk, x) in out.chunks_exact_mut(4).zip(w) {
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    out
}

/// The eight words of a 32-byte (SM3) element group.
fn words8(s: [u8; 32]) -> [u32; 8] {
    core::array::from_fn(|j| u32::from_le_bytes([s[4 * j], s[4 * j + 1], s[4 * j + 2], s[4 * j + 3]]))
}

fn unwords8(w: [u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, x) in out.chunks_exact_mut(4).zip(w) {
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    out
}

fn sub_word(w: u32) -> u32 {
    u32::from_le_bytes(w.to_le_bytes().map(|b| SBOX[usize::from(b)]))
}

/// RotWord (§5.2): `[a0, a1, a2, a3]` → `[a1, a2, a3, a0]`, `a0` the low byte.
const fn rot_word(w: u32) -> u32 {
    w.rotate_right(8)
}

/// Rcon for round `i` + 1 (§5.2), in the low byte.
fn rcon(i: u32) -> u32 {
    const RCON: [u8; 10] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];
    u32::from(RCON.get(i as usize).copied().unwrap_or(0))
}

/// `vaeskf1.vi`: the next AES-128 round key from `key`; round numbers 0
/// and 11..15 map into 1..10 by inverting `uimm[3]` (`uimm[4]` ignored).
fn key_forward_128(key: [u8; 16], uimm: u64) -> [u8; 16] {
    let mut rnd = (uimm & 0xf) as u32;
    if rnd == 0 || rnd > 10 {
        rnd ^= 8;
    }
    let k = words(key);
    let w0 = sub_word(rot_word(k[3])) ^ rcon(rnd - 1) ^ k[0];
    let w1 = w0 ^ k[1];
    let w2 = w1 ^ k[2];
    unwords([w0, w1, w2, w2 ^ k[3]])
}

/// `vaeskf2.vi`: the next AES-256 round key from the previous one (`vd`)
/// and the current one (`vs2`); round numbers 0, 1 and 15 map into 2..14 by
/// inverting `uimm[3]`. Odd rounds take SubWord without RotWord and Rcon.
fn key_forward_256(prev: [u8; 16], key: [u8; 16], uimm: u64) -> [u8; 16] {
    let mut rnd = (uimm & 0xf) as u32;
    if !(2..=14).contains(&rnd) {
        rnd ^= 8;
    }
    let (k, p) = (words(key), words(prev));
    let t = if rnd & 1 != 0 { sub_word(k[3]) } else { sub_word(rot_word(k[3])) ^ rcon((rnd >> 1) - 1) };
    let w0 = t ^ p[0];
    let w1 = w0 ^ p[1];
    let w2 = w1 ^ p[2];
    unwords([w0, w1, w2, w2 ^ p[3]])
}

/// Reverses the bits of each byte (`brev8`).
fn brev8(x: u128) -> u128 {
    u128::from_le_bytes(x.to_le_bytes().map(u8::reverse_bits))
}

/// `vghsh`/`vgmul`'s product `y · h` in GF(2^128) mod x^128 + x^7 + x^2 +
/// x + 1 (NIST SP 800-38D §6.3), the operands and the result in GCM's
/// byte order: bits reversed within each byte on the way in and out, as
/// the spec's pseudo-code does (Zvkg, `vghsh.vv`).
fn ghash_mul(y: [u8; 16], h: [u8; 16]) -> [u8; 16] {
    let s = brev8(u128::from_le_bytes(y));
    let mut h = brev8(u128::from_le_bytes(h));
    let mut z = 0u128;
    for bit in 0..128 {
        if s >> bit & 1 != 0 {
            z ^= h;
        }
        let reduce = h >> 127 != 0;
        h <<= 1;
        if reduce {
            h ^= 0x87;
        }
    }
    brev8(z).to_le_bytes()
}

/// SHA-2 with words of `B` bytes: SHA-256 (4) or SHA-512 (8), FIPS 180-4
/// §4.1.2 and §4.1.3.
struct Sha<const B: usize>;

impl<const B: usize> Sha<B> {
    const MASK: u64 = if B == 4 { 0xffff_ffff } else { u64::MAX };

    fn rotr(x: u64, n: u32) -> u64 {
        let bits = (B * 8) as u32;
        ((x >> n) | (x << (bits - n))) & Self::MASK
    }

    fn sum0(x: u64) -> u64 {
        if B == 4 {
            Self::rotr(x, 2) ^ Self::rotr(x, 13) ^ Self::rotr(x, 22)
        } else {
            Self::rotr(x, 28) ^ Self::rotr(x, 34) ^ Self::rotr(x, 39)
        }
    }

    fn sum1(x: u64) -> u64 {
        if B == 4 {
            Self::rotr(x, 6) ^ Self::rotr(x, 11) ^ Self::rotr(x, 25)
        } else {
            Self::rotr(x, 14) ^ Self::rotr(x, 18) ^ Self::rotr(x, 41)
        }
    }

    fn sig0(x: u64) -> u64 {
        if B == 4 {
            Self::rotr(x, 7) ^ Self::rotr(x, 18) ^ (x >> 3)
        } else {
            Self::rotr(x, 1) ^ Self::rotr(x, 8) ^ (x >> 7)
        }
    }

    fn sig1(x: u64) -> u64 {
        if B == 4 {
            Self::rotr(x, 17) ^ Self::rotr(x, 19) ^ (x >> 10)
        } else {
            Self::rotr(x, 19) ^ Self::rotr(x, 61) ^ (x >> 6)
        }
    }

    fn add(xs: &[u64]) -> u64 {
        xs.iter().fold(0u64, |a, &x| a.wrapping_add(x)) & Self::MASK
    }

    /// One element group of `vsha2ms`, `vsha2ch` or `vsha2cl`: `d`, `s2`,
    /// `s1` are the groups of `vd`, `vs2`, `vs1` (element 0 first).
    fn run(op: VOp, d: [u64; 4], s2: [u64; 4], s1: [u64; 4]) -> [u64; 4] {
        if op == VOp::Sha2ms {
            // vd = {W3, W2, W1, W0}, vs2 = {W11, W10, W9, W4}, vs1 = {W15, W14, W13, W12}.
            let w = |i: usize| match i {
                0..=3 => d[i],
                4 => s2[0],
                9..=11 => s2[i - 8],
                _ => s1[i - 12],
            };
            let w16 = Self::add(&[Self::sig1(w(14)), w(9), Self::sig0(w(1)), w(0)]);
            let w17 = Self::add(&[Self::sig1(w(15)), w(10), Self::sig0(w(2)), w(1)]);
            let w18 = Self::add(&[Self::sig1(w16), w(11), Self::sig0(w(3)), w(2)]);
            let w19 = Self::add(&[Self::sig1(w17), w(12), Self::sig0(w(4)), w(3)]);
            return [w16, w17, w18, w19];
        }
        // vs2 = {a, b, e, f}, vd = {c, d, g, h} (the first named is element 3).
        let [mut f, mut e, mut b, mut a] = s2;
        let [mut h, mut g, mut dd, mut c] = d;
        let msg = if op == VOp::Sha2cl { [s1[0], s1[1]] } else { [s1[2], s1[3]] };
        for w in msg {
            let ch = (e & f) ^ (!e & g & Self::MASK);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t1 = Self::add(&[h, Self::sum1(e), ch, w]);
            let t2 = Self::add(&[Self::sum0(a), maj]);
            h = g;
            g = f;
            f = e;
            e = Self::add(&[dd, t1]);
            dd = c;
            c = b;
            b = a;
            a = Self::add(&[t1, t2]);
        }
        [f, e, b, a]
    }
}

/// The AES S-box (FIPS-197 Figure 7).
#[rustfmt::skip]
const SBOX: [u8; 256] = [
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
];

/// The inverse S-box (FIPS-197 Figure 14), computed from [`SBOX`].
const INV_SBOX: [u8; 256] = {
    let mut inv = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        inv[SBOX[i] as usize] = i as u8;
        i += 1;
    }
    inv
};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cpu::Cpu;
    use crate::vector::exec::{get, set};
    use crate::vector::{VMemory, VTrap, execute};

    /// Memory that faults everywhere (the crypto tests need none; also
    /// used by `shangmi`'s).
    pub(crate) struct NoMem;

    impl VMemory for NoMem {
        type Fault = ();
        fn load(&mut self, _: u64, _: usize) -> Result<u64, ()> {
            Err(())
        }
        fn store(&mut self, _: u64, _: usize, _: u64) -> Result<(), ()> {
            Err(())
        }
    }

    pub(crate) fn vi(op: VOp, vd: u8, vs2: u8, vs1: u8) -> VInst {
        VInst { op, vd, vs1, vs2, flags: VInst::UNMASKED, imm: 0 }
    }

    /// `vsetvli` to `vl` elements of `vsew` (0..=3) and `vlmul`.
    pub(crate) fn setvl(cpu: &mut Cpu, vl: u64, vsew: i16, vlmul: i16) {
        let r = execute(cpu, VInst { imm: vsew << 3 | vlmul, ..vi(VOp::Setvli, 1, 0, 1) }, vl, 0, &mut NoMem);
        assert_eq!(r, Ok(vl));
    }

    pub(crate) fn run(cpu: &mut Cpu, inst: VInst, a: u64) -> Result<u64, VTrap<()>> {
        execute(cpu, inst, a, 0, &mut NoMem)
    }

    fn hex(s: &str) -> [u8; 16] {
        core::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
    }

    fn put(cpu: &mut Cpu, reg: u8, g: usize, bytes: [u8; 16]) {
        put_group(&mut cpu.vector, reg, g, bytes);
    }

    /// FIPS-197 Appendix C.1 (AES-128) and C.3 (AES-256), encrypting and
    /// decrypting with round keys from `vaeskf1`/`vaeskf2`, two blocks at
    /// once (`vl` = 8) with the `.vs` forms, the key groups at LMUL 1.
    #[test]
    fn aes_fips197_known_answers() {
        let plain = hex("00112233445566778899aabbccddeeff");
        let cases = [
            ("000102030405060708090a0b0c0d0e0f", "", "69c4e0d86a7b0430d8cdb78070b4c55a"),
            (
                "000102030405060708090a0b0c0d0e0f",
                "101112131415161718191a1b1c1d1e1f",
                "8ea2b7ca516745bfeafc49904b496089",
            ),
        ];
        for (k0, k1, cipher) in cases {
            let mut cpu = Cpu::default();
            setvl(&mut cpu, 4, 2, 0);
            // Round keys in v10.. (one register each).
            put(&mut cpu, 10, 0, hex(k0));
            let rounds = if k1.is_empty() {
                for r in 1..=10u8 {
                    run(&mut cpu, vi(VOp::Aeskf1, 10 + r, 9 + r, 0), u64::from(r)).unwrap();
                }
                10
            } else {
                put(&mut cpu, 11, 0, hex(k1));
                for r in 2..=14u8 {
                    // vaeskf2 vd=prev (copied in first), vs2=current.
                    let prev = group(&cpu.vector, 8 + r, 0);
                    put(&mut cpu, 10 + r, 0, prev);
                    run(&mut cpu, vi(VOp::Aeskf2, 10 + r, 9 + r, 0), u64::from(r)).unwrap();
                }
                14
            };
            // Two blocks in the v2 group (LMUL 2, vl 8): both encrypt alike.
            setvl(&mut cpu, 8, 2, 1);
            put(&mut cpu, 2, 0, plain);
            put(&mut cpu, 2, 1, plain);
            run(&mut cpu, vi(VOp::AeszVs, 2, 10, 0), 0).unwrap();
            for r in 1..rounds {
                run(&mut cpu, vi(VOp::AesemVs, 2, 10 + r, 0), 0).unwrap();
            }
            run(&mut cpu, vi(VOp::AesefVs, 2, 10 + rounds, 0), 0).unwrap();
            assert_eq!(group(&cpu.vector, 2, 0), hex(cipher), "{k0}{k1}");
            assert_eq!(group(&cpu.vector, 2, 1), hex(cipher), "{k0}{k1}");
            run(&mut cpu, vi(VOp::AeszVs, 2, 10 + rounds, 0), 0).unwrap();
            for r in (1..rounds).rev() {
                run(&mut cpu, vi(VOp::AesdmVs, 2, 10 + r, 0), 0).unwrap();
            }
            run(&mut cpu, vi(VOp::AesdfVs, 2, 10, 0), 0).unwrap();
            assert_eq!(group(&cpu.vector, 2, 1), plain);
            // The .vv forms take group i's key from group i of vs2.
            setvl(&mut cpu, 4, 2, 0);
            put(&mut cpu, 4, 0, hex(k0));
            run(&mut cpu, vi(VOp::AesemVv, 2, 4, 0), 0).unwrap();
            let want = xor(mix_columns(shift_rows(sub_bytes(plain, &SBOX))), hex(k0));
            assert_eq!(group(&cpu.vector, 2, 0), want);
        }
    }

    /// The GCM spec's test case 2 (AES-128, zero key, one zero block):
    /// GHASH over the ciphertext and the length block, with vghsh, and
    /// vgmul's plain product.
    #[test]
    fn ghash_gcm_test_case_2() {
        let mut cpu = Cpu::default();
        setvl(&mut cpu, 4, 2, 0);
        put(&mut cpu, 3, 0, hex("66e94bd4ef8a2c3b884cfa59ca342b2e"));
        put(&mut cpu, 4, 0, hex("0388dace60b6a392f328c2b971b2fe78"));
        put(&mut cpu, 5, 0, hex("00000000000000000000000000000080"));
        put(&mut cpu, 1, 0, [0; 16]);
        run(&mut cpu, vi(VOp::Ghsh, 1, 3, 4), 0).unwrap();
        let y1 = group(&cpu.vector, 1, 0);
        run(&mut cpu, vi(VOp::Ghsh, 1, 3, 5), 0).unwrap();
        assert_eq!(group(&cpu.vector, 1, 0), hex("f38cbb1ad69223dcc3457ae5b6b0f885"));
        put(&mut cpu, 2, 0, hex("0388dace60b6a392f328c2b971b2fe78"));
        run(&mut cpu, vi(VOp::Gmul, 2, 3, 0), 0).unwrap();
        assert_eq!(group(&cpu.vector, 2, 0), y1);
        setvl(&mut cpu, 4, 3, 1);
        assert_eq!(run(&mut cpu, vi(VOp::Gmul, 2, 4, 0), 0), Err(VTrap::Illegal), "SEW 64");
    }

    /// Out-of-range round numbers map into range by flipping `uimm[3]`.
    #[test]
    fn aes_key_round_numbers_wrap() {
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        assert_eq!(key_forward_128(key, 0), key_forward_128(key, 8));
        assert_eq!(key_forward_128(key, 0x1b), key_forward_128(key, 3));
        // FIPS-197 A.1: w[4..8] of this key.
        assert_eq!(words(key_forward_128(key, 1)), [0x17fefaa0, 0xb12c5488, 0x3939a323, 0x05766c2a]);
        assert_eq!(key_forward_256(key, key, 1), key_forward_256(key, key, 9));
        assert_eq!(key_forward_256(key, key, 15), key_forward_256(key, key, 7));
    }

    #[test]
    fn reserved_shapes_are_illegal() {
        let mut cpu = Cpu::default();
        let aes = vi(VOp::AesefVv, 2, 4, 0);
        // SEW 64, vl not a multiple of 4, LMUL 1/2 (64 < EGW even at vl 0).
        setvl(&mut cpu, 2, 3, 0);
        assert_eq!(run(&mut cpu, aes, 0), Err(VTrap::Illegal));
        setvl(&mut cpu, 3, 2, 0);
        assert_eq!(run(&mut cpu, aes, 0), Err(VTrap::Illegal));
        setvl(&mut cpu, 0, 2, 7);
        assert_eq!(run(&mut cpu, aes, 0), Err(VTrap::Illegal));
        setvl(&mut cpu, 4, 2, 0);
        assert_eq!(run(&mut cpu, aes, 0), Ok(0));
        cpu.vector.vstart = 2;
        assert_eq!(run(&mut cpu, aes, 0), Err(VTrap::Illegal));
        cpu.vector.vstart = 0;
        // A .vs destination may not overlap vs2; at LMUL 2 vd = v2 covers v3.
        setvl(&mut cpu, 8, 2, 1);
        assert_eq!(run(&mut cpu, vi(VOp::AesefVs, 2, 3, 0), 0), Err(VTrap::Illegal));
        assert_eq!(run(&mut cpu, vi(VOp::AesefVs, 2, 5, 0), 0), Ok(0));
        assert_eq!(run(&mut cpu, vi(VOp::AesefVv, 2, 5, 0), 0), Err(VTrap::Illegal), "misaligned vs2 group");
        // vsha2*: no overlap with either source; SEW 64 only with Zvknhb.
        setvl(&mut cpu, 4, 2, 0);
        assert_eq!(run(&mut cpu, vi(VOp::Sha2ch, 2, 2, 3), 0), Err(VTrap::Illegal));
        assert_eq!(run(&mut cpu, vi(VOp::Sha2ms, 2, 4, 2), 0), Err(VTrap::Illegal));
        assert_eq!(run(&mut cpu, vi(VOp::Sha2ms, 2, 4, 3), 0), Ok(0));
        setvl(&mut cpu, 4, 3, 1);
        assert_eq!(run(&mut cpu, vi(VOp::Sha2ms, 2, 4, 6), 0), Err(VTrap::Illegal));
        let sha512 = VInst { flags: VInst::UNMASKED | VInst::SHA512, ..vi(VOp::Sha2ms, 2, 4, 6) };
        assert_eq!(run(&mut cpu, sha512, 0), Ok(0));
        // SHA-512 needs EGW = 256 bits: LMUL 1 at VLEN 128 is too small.
        setvl(&mut cpu, 0, 3, 0);
        assert_eq!(run(&mut cpu, sha512, 0), Err(VTrap::Illegal));
    }

    /// SHA-256 constants (FIPS 180-4 §4.2.2).
    #[rustfmt::skip]
    const K256: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// SHA-256 of one padded block through `vsha2ms`/`vsha2cl`/`vsha2ch`,
    /// the way the spec's code samples arrange it.
    fn sha256_block(cpu: &mut Cpu, state: &mut [u32; 8], block: &[u8; 64]) {
        let v = |cpu: &Cpu, reg: u8| -> [u32; 4] { core::array::from_fn(|j| get(&cpu.vector, reg, j, 4) as u32) };
        let put4 = |cpu: &mut Cpu, reg: u8, w: [u32; 4]| {
            for (j, x) in w.into_iter().enumerate() {
                set(&mut cpu.vector, reg, j, 4, u64::from(x));
            }
        };
        setvl(cpu, 4, 2, 0);
        let [a, b, c, d, e, f, g, h] = *state;
        put4(cpu, 1, [f, e, b, a]);
        put4(cpu, 2, [h, g, d, c]);
        for q in 0..4 {
            put4(
                cpu,
                4 + q as u8,
                core::array::from_fn(|j| {
                    let i = 4 * (4 * q + j);
                    u32::from_be_bytes([block[i], block[i + 1], block[i + 2], block[i + 3]])
                }),
            );
        }
        for r in 0..16 {
            let reg = |k: usize| 4 + ((r + k) % 4) as u8;
            let w = v(cpu, reg(0));
            put4(cpu, 8, core::array::from_fn(|j| w[j].wrapping_add(K256[4 * r + j])));
            run(cpu, vi(VOp::Sha2cl, 2, 1, 8), 0).unwrap();
            run(cpu, vi(VOp::Sha2ch, 1, 2, 8), 0).unwrap();
            if r < 12 {
                // {W[4r+11], W[4r+10], W[4r+9], W[4r+4]}: vmerge's job in real code.
                let (w4, w8) = (v(cpu, reg(1)), v(cpu, reg(2)));
                put4(cpu, 9, [w4[0], w8[1], w8[2], w8[3]]);
                run(cpu, vi(VOp::Sha2ms, reg(0), 9, reg(3)), 0).unwrap();
            }
        }
        let ([f, e, b, a], [h, g, d, c]) = (v(cpu, 1), v(cpu, 2));
        for (s, x) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = s.wrapping_add(x);
        }
    }

    /// FIPS 180-4 examples: "abc" (one block) and the 56-byte two-block
    /// message.
    #[test]
    fn sha256_known_answers() {
        let iv = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        let pad = |msg: &[u8]| -> Vec<[u8; 64]> {
            let mut m = msg.to_vec();
            m.push(0x80);
            while m.len() % 64 != 56 {
                m.push(0);
            }
            m.extend_from_slice(&(msg.len() as u64 * 8).to_be_bytes());
            m.chunks_exact(64).map(|c| core::array::from_fn(|i| c[i])).collect()
        };
        let cases: [(&[u8], [u32; 8]); 2] = [
            (b"abc", [0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223, 0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad]),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                [0x248d6a61, 0xd20638b8, 0xe5c02693, 0x0c3e6039, 0xa33ce459, 0x64ff2167, 0xf6ecedd4, 0x19db06c1],
            ),
        ];
        for (msg, want) in cases {
            let mut cpu = Cpu::default();
            let mut state = iv;
            for block in pad(msg) {
                sha256_block(&mut cpu, &mut state, &block);
            }
            assert_eq!(state, want);
        }
    }

    /// SHA-512 (SEW 64, EGW 256 at LMUL 2): one `vsha2ms` and one
    /// `vsha2cl` step against FIPS 180-4 §6.4.2 written out directly.
    #[test]
    fn sha512_steps_follow_fips_180() {
        let mut cpu = Cpu::default();
        setvl(&mut cpu, 4, 3, 1);
        let flags = VInst::UNMASKED | VInst::SHA512;
        let w: [u64; 16] = core::array::from_fn(|i| 0x0123_4567_89ab_cdef_u64.rotate_left(5 * i as u32) ^ i as u64);
        let put4 = |cpu: &mut Cpu, reg: u8, x: [u64; 4]| {
            for (j, x) in x.into_iter().enumerate() {
                set(&mut cpu.vector, reg, j, 8, x);
            }
        };
        put4(&mut cpu, 2, [w[0], w[1], w[2], w[3]]);
        put4(&mut cpu, 4, [w[4], w[9], w[10], w[11]]);
        put4(&mut cpu, 6, [w[12], w[13], w[14], w[15]]);
        run(&mut cpu, VInst { flags, ..vi(VOp::Sha2ms, 2, 4, 6) }, 0).unwrap();
        let s0 = |x: u64| x.rotate_right(1) ^ x.rotate_right(8) ^ (x >> 7);
        let s1 = |x: u64| x.rotate_right(19) ^ x.rotate_right(61) ^ (x >> 6);
        let mut ws = w.to_vec();
        for t in 16..20 {
            let x = s1(ws[t - 2]).wrapping_add(ws[t - 7]).wrapping_add(s0(ws[t - 15])).wrapping_add(ws[t - 16]);
            ws.push(x);
        }
        let got: Vec<u64> = (0..4).map(|j| get(&cpu.vector, 2, j, 8)).collect();
        assert_eq!(got, ws[16..20]);
        // Two rounds of §6.4.2 step 3 with W + K = w[0], w[1].
        let st: [u64; 8] = core::array::from_fn(|i| w[i + 8]);
        let [a, b, c, d, e, f, g, h] = st;
        put4(&mut cpu, 8, [f, e, b, a]);
        put4(&mut cpu, 10, [h, g, d, c]);
        put4(&mut cpu, 12, [w[0], w[1], w[2], w[3]]);
        run(&mut cpu, VInst { flags, ..vi(VOp::Sha2cl, 10, 8, 12) }, 0).unwrap();
        let mut s = st;
        for wk in [w[0], w[1]] {
            let [a, b, c, d, e, f, g, h] = s;
            let t1 = h
                .wrapping_add(e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41))
                .wrapping_add((e & f) ^ (!e & g))
                .wrapping_add(wk);
            let t2 = (a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39))
                .wrapping_add((a & b) ^ (a & c) ^ (b & c));
            s = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
        }
        let got: Vec<u64> = (0..4).map(|j| get(&cpu.vector, 10, j, 8)).collect();
        assert_eq!(got, [s[5], s[4], s[1], s[0]]);
    }
}
