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
        use VOp::*;
        // SAFETY: unaligned loads of 16-byte arrays.
        let ld = |b: &[u8; 16]| unsafe { _mm_loadu_si128(b.as_ptr().cast::<__m128i>()) };
        let (x, k, w) = (ld(&d), ld(&s2), ld(&s1));
        let out = match op {
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
            _ => return group32(op, d, s2, s1, uimm),
        };
        let mut r = [0u8; 16];
        // SAFETY: an unaligned store into a 16-byte array.
        unsafe { _mm_storeu_si128(r.as_mut_ptr().cast::<__m128i>(), out) };
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm_ir::vector::crypto;

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
            let mut seed = 0x0517_c0de_2026_1204_u64;
            let mut next = || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
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
