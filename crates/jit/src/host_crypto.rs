//! The vector crypto element groups on the host's own AES and SHA
//! instructions: what compiled code runs for the 4-element-group crypto
//! instructions (Zvkned, Zvknha, Zvkg, Zvksed) whose shape it checked
//! ([`run`]).
//!
//! Each group computes exactly what the interpreter's
//! [`group32`](ferrovm_ir::vector::crypto::group32) does (the tests
//! compare them on random groups); instructions the host has nothing for
//! (the key schedules, GHASH, SM4), and every instruction on a host without
//! AES-NI or SHA-NI, use that function itself. The element group layouts
//! are the ones the x86 instructions were made for: an AES state is its
//! 16 bytes in FIPS-197 order in both, and `vsha2c[hl]`'s `{a, b, e, f}` /
//! `{c, d, g, h}` groups are `sha256rnds2`'s ABEF / CDGH operands.

use ferrovm_ir::vector::crypto::{group32, run_groups32};
use ferrovm_ir::vector::{VInst, VOp, VState};

/// The helper compiled code calls for `op` instead of
/// [`helpers::vector_crypto`](crate::helpers): one whose operation is
/// fixed, that takes the register groups' addresses in the vector
/// register file and the number of element groups (`vl / 4`), and runs
/// them on the host's AES-NI or SHA-NI, as [`run`] does, without
/// unpacking the instruction or copying its groups (`vsha2c[hl]` are a
/// chain of two-round steps: in SHA-256 a quarter of the work is the
/// call around them). `None` for an operation the host has no
/// instruction for, or on a host without AES-NI and SHA-NI.
///
/// The helper's signature: `unsafe extern "C" fn(vd: *mut u8, vs2: *const
/// u8, vs1: *const u8, groups: u64)`, each pointer at the register
/// group's first byte; a `.vs` form reads its key from `vs2`'s first
/// group only. Safe to call when the three groups lie in the register
/// file (the shape check compiled code made: [`crypto::shape_ok`] and
/// `vl` a multiple of 4 within VLMAX).
///
/// [`crypto::shape_ok`]: ferrovm_ir::vector::crypto::shape_ok
pub(crate) fn kernel(op: VOp) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        return x86::kernel(op);
    }
    let _ = op;
    None
}

/// Runs the element groups `0..vl / 4` of `inst`, a crypto instruction at
/// SEW 32 whose shape compiled code checked (legal register groups, `vl`
/// a multiple of 4, `vstart` 0): on AES-NI and SHA-NI if the host has
/// both, with the interpreter's [`group32`] otherwise.
pub(crate) fn run(v: &mut VState, inst: VInst, uimm: u64) {
    let groups = 0..(v.vl / 4) as usize;
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        // SAFETY: the host has the target features `x86::run` needs.
        unsafe { x86::run(v, inst, uimm, groups) };
        return;
    }
    run_groups32(v, inst, uimm, groups, group32);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_aesdec_si128, _mm_aesdeclast_si128, _mm_aesenc_si128, _mm_aesenclast_si128,
        _mm_aesimc_si128, _mm_alignr_epi8, _mm_loadu_si128, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32,
        _mm_sha256rnds2_epu32, _mm_storeu_si128, _mm_unpackhi_epi64, _mm_xor_si128,
    };

    use super::{VInst, VOp, VState, group32, run_groups32};

    /// See [`super::kernel`].
    pub(super) fn kernel(op: VOp) -> Option<usize> {
        use VOp::*;
        let f: Kernel = match op {
            AesemVv => aesem_vv,
            AesemVs => aesem_vs,
            AesefVv => aesef_vv,
            AesefVs => aesef_vs,
            AesdmVv => aesdm_vv,
            AesdmVs => aesdm_vs,
            AesdfVv => aesdf_vv,
            AesdfVs => aesdf_vs,
            AeszVs => aesz_vs,
            Sha2cl => sha2cl,
            Sha2ch => sha2ch,
            Sha2ms => sha2ms,
            _ => return None,
        };
        Some(f as usize)
    }

    type Kernel = unsafe extern "C" fn(*mut u8, *const u8, *const u8, u64);

    /// The element groups of `op` from the register groups at `vd`, `vs2`
    /// and `vs1`: group `g` at byte `16 g` of each (of `vs2` at byte 0
    /// with `vs_form`).
    ///
    /// # Safety
    /// The host must have AES-NI, SHA-NI and SSSE3; the groups must lie in
    /// one allocation (the register file).
    #[target_feature(enable = "aes,sha,ssse3")]
    #[inline]
    unsafe fn groups(op: VOp, vs_form: bool, vd: *mut u8, vs2: *const u8, vs1: *const u8, groups: u64) {
        for g in 0..groups as usize {
            // SAFETY: the caller's contract: group g of each register group
            // is in the register file. Unaligned 16-byte loads and stores.
            unsafe {
                let at = |p: *const u8| _mm_loadu_si128(p.add(16 * g).cast::<__m128i>());
                let key = if vs_form { _mm_loadu_si128(vs2.cast::<__m128i>()) } else { at(vs2) };
                let w = if matches!(op, VOp::Sha2cl | VOp::Sha2ch | VOp::Sha2ms) { at(vs1) } else { key };
                let out = m128(op, at(vd), key, w).unwrap_or_else(|| at(vd));
                _mm_storeu_si128(vd.add(16 * g).cast::<__m128i>(), out);
            }
        }
    }

    macro_rules! kernels {
        ($($name:ident: $op:ident, $vs:expr;)*) => {$(
            /// A [`kernel`] (see [`super::kernel`] for the contract).
            ///
            /// # Safety
            /// See [`super::kernel`].
            #[target_feature(enable = "aes,sha,ssse3")]
            unsafe extern "C" fn $name(vd: *mut u8, vs2: *const u8, vs1: *const u8, n: u64) {
                // SAFETY: forwarded contract.
                unsafe { groups(VOp::$op, $vs, vd, vs2, vs1, n) }
            }
        )*};
    }

    kernels! {
        aesem_vv: AesemVv, false;
        aesem_vs: AesemVs, true;
        aesef_vv: AesefVv, false;
        aesef_vs: AesefVs, true;
        aesdm_vv: AesdmVv, false;
        aesdm_vs: AesdmVs, true;
        aesdf_vv: AesdfVv, false;
        aesdf_vs: AesdfVs, true;
        aesz_vs: AeszVs, true;
        sha2cl: Sha2cl, false;
        sha2ch: Sha2ch, false;
        sha2ms: Sha2ms, false;
    }

    /// Calls `op`'s [`kernel`] on `v`'s registers, for the tests.
    #[cfg(test)]
    pub(super) fn call_kernel(v: &mut VState, inst: VInst) {
        // SAFETY: kernel() answers the address of a function of type Kernel.
        let f: Kernel = unsafe { core::mem::transmute::<usize, Kernel>(kernel(inst.op).expect("a kernel")) };
        let vlenb = v.vlenb as usize;
        let base = v.regs.as_mut_ptr();
        let at = |r: u8| usize::from(r) * vlenb;
        // SAFETY: the host has the features (kernel() answered), and the
        // tests give register groups inside the register file.
        unsafe { f(base.add(at(inst.vd)), base.add(at(inst.vs2)), base.add(at(inst.vs1)), v.vl / 4) }
    }

    /// Whether the host has AES-NI and SHA-NI (and SSSE3 for `palignr`).
    /// The standard library caches the CPUID answer.
    pub(super) fn available() -> bool {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("ssse3")
    }

    /// [`super::run`] on AES-NI and SHA-NI: the group loop compiled with
    /// those features, so [`host`] inlines into it.
    ///
    /// # Safety
    /// The host must have AES-NI, SHA-NI and SSSE3 ([`available`]).
    #[target_feature(enable = "aes,sha,ssse3")]
    pub(super) unsafe fn run(v: &mut VState, inst: VInst, uimm: u64, groups: core::ops::Range<usize>) {
        // SAFETY: this function's own contract.
        run_groups32(v, inst, uimm, groups, |op, d, s2, s1, a| unsafe { host(op, d, s2, s1, a) });
    }

    /// [`group32`] on AES-NI and SHA-NI, for the tests.
    #[cfg(test)]
    pub(super) fn group(op: VOp, d: [u8; 16], s2: [u8; 16], s1: [u8; 16], uimm: u64) -> [u8; 16] {
        assert!(available());
        // SAFETY: the host has the features (asserted).
        unsafe { host(op, d, s2, s1, uimm) }
    }

    /// One element group of `op`.
    ///
    /// # Safety
    /// The host must have AES-NI, SHA-NI and SSSE3.
    #[target_feature(enable = "aes,sha,ssse3")]
    #[inline]
    unsafe fn host(op: VOp, d: [u8; 16], s2: [u8; 16], s1: [u8; 16], uimm: u64) -> [u8; 16] {
        // SAFETY: unaligned loads of 16-byte arrays.
        let ld = |b: &[u8; 16]| unsafe { _mm_loadu_si128(b.as_ptr().cast::<__m128i>()) };
        let Some(out) = m128(op, ld(&d), ld(&s2), ld(&s1)) else {
            return group32(op, d, s2, s1, uimm);
        };
        let mut r = [0u8; 16];
        // SAFETY: an unaligned store into a 16-byte array.
        unsafe { _mm_storeu_si128(r.as_mut_ptr().cast::<__m128i>(), out) };
        r
    }

    /// One element group of `op` on the host's instruction: `vd`'s group
    /// `x`, `vs2`'s `k`, `vs1`'s `w`; `None` where the host has none.
    #[target_feature(enable = "aes,sha,ssse3")]
    #[inline]
    fn m128(op: VOp, x: __m128i, k: __m128i, w: __m128i) -> Option<__m128i> {
        use VOp::*;
        Some(match op {
            // aesenc: SubBytes, ShiftRows, MixColumns, AddRoundKey.
            AesemVv | AesemVs => _mm_aesenc_si128(x, k),
            AesefVv | AesefVs => _mm_aesenclast_si128(x, k),
            // aesdec adds the key after InvMixColumns, vaesdm before it:
            // InvMixColumns is linear, so its key is InvMixColumns(key).
            AesdmVv | AesdmVs => _mm_aesdec_si128(x, _mm_aesimc_si128(k)),
            AesdfVv | AesdfVs => _mm_aesdeclast_si128(x, k),
            AeszVs => _mm_xor_si128(x, k),
            // Two rounds with W+K from elements 0, 1 (vsha2cl) or 2, 3
            // (vsha2ch) of vs1; vd = {c, d, g, h} becomes {a, b, e, f}.
            Sha2cl => _mm_sha256rnds2_epu32(x, k, w),
            Sha2ch => _mm_sha256rnds2_epu32(x, k, _mm_unpackhi_epi64(w, w)),
            // vd = {W3..W0}, vs2 = {W11, W10, W9, W4}, vs1 = {W15..W12}:
            // msg1 adds sigma0(W1..W4) to W0..W3, then W9..W12 (vs2's top
            // three elements and vs1's first), msg2 the sigma1 terms.
            Sha2ms => {
                let t = _mm_add_epi32(_mm_sha256msg1_epu32(x, k), _mm_alignr_epi8::<4>(w, k));
                _mm_sha256msg2_epu32(t, w)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm_ir::vector::crypto;

    /// A xorshift64 generator from `seed` (non-zero).
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// Every SEW-32 crypto operation on 2,000 random groups: the host's
    /// instructions give the interpreter's answer (skipped on a host
    /// without them).
    #[test]
    fn host_groups_match_the_interpreter() {
        #[cfg(target_arch = "x86_64")]
        {
            if !x86::available() {
                eprintln!("host has no AES-NI/SHA-NI: nothing to compare");
                return;
            }
            let mut next = xorshift(0x0517_c0de_2026_1204);
            let bytes = |n: &mut dyn FnMut() -> u64| -> [u8; 16] {
                let (a, b) = (n(), n());
                let mut out = [0u8; 16];
                out[..8].copy_from_slice(&a.to_le_bytes());
                out[8..].copy_from_slice(&b.to_le_bytes());
                out
            };
            let ops = VOp::ALL.iter().copied().filter(|&op| op.is_crypto() && crypto::egs(op) == 4);
            for op in ops {
                for _ in 0..2_000 {
                    let (d, s2, s1) = (bytes(&mut next), bytes(&mut next), bytes(&mut next));
                    let uimm = next() & 31;
                    assert_eq!(x86::group(op, d, s2, s1, uimm), group32(op, d, s2, s1, uimm), "{op}");
                }
            }
        }
    }

    /// Each [`kernel`] on random register files, `vl` 4 and 8 (LMUL 2 for
    /// the `.vv` forms): the interpreter's answer, every register (skipped
    /// on a host without AES-NI and SHA-NI).
    #[test]
    fn kernels_match_the_interpreter() {
        #[cfg(target_arch = "x86_64")]
        {
            if !x86::available() {
                eprintln!("host has no AES-NI/SHA-NI: nothing to compare");
                return;
            }
            let mut next = xorshift(0x6b65_726e_656c_7321);
            let mut ran = 0;
            for &op in VOp::ALL.iter().filter(|&&op| kernel(op).is_some()) {
                for vl in [4u64, 8] {
                    for _ in 0..200 {
                        let mut v = VState { vl, ..VState::default() };
                        let n = 32 * v.vlenb as usize;
                        for b in v.regs[..n].chunks_mut(8) {
                            b.copy_from_slice(&next().to_le_bytes());
                        }
                        // Register groups of two (vd, vs1; vs2 for .vv)
                        // that do not overlap, as shape_ok asks.
                        let inst = VInst { op, vd: 2, vs1: 6, vs2: 10, flags: VInst::UNMASKED, imm: 0 };
                        let mut want = v.clone();
                        run_groups32(&mut want, inst, 0, 0..(vl / 4) as usize, group32);
                        x86::call_kernel(&mut v, inst);
                        assert!(v.regs[..n] == want.regs[..n], "{op} vl {vl}");
                        ran += 1;
                    }
                }
            }
            assert_eq!(ran, 12 * 2 * 200);
        }
    }

    /// [`run`] on two AES-128 blocks (`vl` = 8, LMUL 2): FIPS-197 C.1's
    /// round keys from `vaeskf1`, then `vaesz`, 9 `vaesem` and `vaesef`.
    #[test]
    fn run_encrypts_fips197_c1() {
        let hex =
            |s: &str| -> [u8; 16] { core::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()) };
        let mut v = VState { vl: 4, ..VState::default() };
        let put = |v: &mut VState, reg: usize, b: [u8; 16]| v.reg_mut(reg).copy_from_slice(&b);
        put(&mut v, 10, hex("000102030405060708090a0b0c0d0e0f"));
        let inst = |op, vd, vs2| VInst { op, vd, vs1: 0, vs2, flags: VInst::UNMASKED, imm: 0 };
        for r in 1..=10u8 {
            run(&mut v, inst(VOp::Aeskf1, 10 + r, 9 + r), u64::from(r));
        }
        v.vl = 8;
        put(&mut v, 2, hex("00112233445566778899aabbccddeeff"));
        put(&mut v, 3, hex("00112233445566778899aabbccddeeff"));
        run(&mut v, inst(VOp::AeszVs, 2, 10), 0);
        for r in 1..10u8 {
            run(&mut v, inst(VOp::AesemVs, 2, 10 + r), 0);
        }
        run(&mut v, inst(VOp::AesefVs, 2, 20), 0);
        assert_eq!(v.reg(2), hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
        assert_eq!(v.reg(3), hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
    }
}
