//! Operand values that matter: the edges of every integer and floating-point
//! domain, mixed with random bits so the middle is not forgotten.

use rand::Rng;

/// Integer register values: 0, ±1, the 32- and 64-bit extremes (both
/// sign- and zero-extended), powers of two, small numbers, float bit
/// patterns (for `fmv.*.x`), random.
pub fn int(rng: &mut impl Rng) -> u64 {
    const EDGES: &[u64] = &[
        0,
        1,
        u64::MAX, // -1
        2,
        0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0000,
        0x8000_0000_0000_0001,
        0x7fff_ffff,
        0xffff_ffff_8000_0000, // i32::MIN sign-extended
        0x8000_0000,           // i32::MIN zero-extended
        0xffff_ffff,
        0x0000_0001_0000_0000,
        0xffff_ffff_7fff_ffff,
        0x8000,
        0xffff,
        0x80,
        0xff,
        63,
        64,
        31,
        32,
        // Integers that round when converted to binary32/binary64: halfway
        // cases (ties to even) and just above them.
        0x100_0001,            // 2^24 + 1
        0x100_0003,            // 2^24 + 3
        0x20_0000_0000_0001,   // 2^53 + 1
        0x20_0000_0000_0003,   // 2^53 + 3
        0x7fff_ffc0,           // largest i32 that is a binary32
        0xffff_ff80,           // largest u32 that is a binary32
        0x7fff_ffff_ffff_fc00, // largest i64 that is a binary64
        0xffff_ffff_ffff_f800, // largest u64 that is a binary64
    ];
    match rng.gen_range(0..10) {
        0..=3 => EDGES[rng.gen_range(0..EDGES.len())],
        4 => rng.gen_range(-16i64..=16) as u64,
        5 => 1u64.rotate_left(rng.gen_range(0..64)),
        6 => rng.r#gen::<i32>() as i64 as u64,
        7 => match rng.gen_range(0..3) {
            0 => f64_bits(rng),
            1 => u64::from(f32_bits(rng)),
            _ => 0xffff_ffff_0000_0000 | u64::from(f32_bits(rng)),
        },
        _ => rng.r#gen(),
    }
}

/// A 12-bit signed immediate.
pub fn imm12(rng: &mut impl Rng) -> i64 {
    const EDGES: &[i64] = &[0, 1, -1, 2047, -2048, 2, -2, 31, 32, 63, 0x7ff, 255, 256];
    match rng.gen_range(0..3) {
        0 => EDGES[rng.gen_range(0..EDGES.len())],
        1 => rng.gen_range(-16..=16),
        _ => rng.gen_range(-2048..=2047),
    }
}

/// A shift amount below `1 << bits`, biased to the edges.
pub fn shamt(rng: &mut impl Rng, bits: u32) -> i64 {
    let max = (1i64 << bits) - 1;
    match rng.gen_range(0..4) {
        0 => [0, 1, max, max / 2, max / 2 + 1][rng.gen_range(0..5)],
        _ => rng.gen_range(0..=max),
    }
}

/// A 20-bit `lui`/`auipc` field.
pub fn imm20(rng: &mut impl Rng) -> i64 {
    match rng.gen_range(0..3) {
        0 => [0, 1, 0x7ffff, 0x80000, 0xfffff][rng.gen_range(0..5)],
        _ => rng.gen_range(0..=0xfffff),
    }
}

/// Binary64 bit patterns: zeros, infinities, quiet and signalling NaNs with
/// payloads, subnormal and normal extremes, values one ulp around the
/// rounding boundaries 0.5/1.5/2.5, integers near 2^31/2^32/2^63/2^64,
/// values that round when narrowed to binary32, random.
pub fn f64_bits(rng: &mut impl Rng) -> u64 {
    const SIGN: u64 = 1 << 63;
    const EDGES: &[u64] = &[
        0x0000_0000_0000_0000, // +0
        0x7ff0_0000_0000_0000, // inf
        0x7ff8_0000_0000_0000, // canonical qNaN
        0x7ff8_0000_0000_0001, // qNaN with payload
        0x7fff_ffff_ffff_ffff, // qNaN, all-ones payload
        0x7ff0_0000_0000_0001, // sNaN
        0x7ff4_0000_0000_0000, // sNaN with payload
        0x0000_0000_0000_0001, // min subnormal
        0x000f_ffff_ffff_ffff, // max subnormal
        0x0008_0000_0000_0000, // mid subnormal
        0x0010_0000_0000_0000, // min normal
        0x7fef_ffff_ffff_ffff, // max finite
        0x3ff0_0000_0000_0000, // 1.0
        0x4000_0000_0000_0000, // 2.0
        0x3fe0_0000_0000_0000, // 0.5
        0x3fdf_ffff_ffff_ffff, // 0.5 - ulp
        0x3fe0_0000_0000_0001, // 0.5 + ulp
        0x3ff8_0000_0000_0000, // 1.5
        0x3ff7_ffff_ffff_ffff, // 1.5 - ulp
        0x3ff8_0000_0000_0001, // 1.5 + ulp
        0x4004_0000_0000_0000, // 2.5
        0x4003_ffff_ffff_ffff, // 2.5 - ulp
        0x4004_0000_0000_0001, // 2.5 + ulp
        0x41e0_0000_0000_0000, // 2^31
        0x41df_ffff_ffc0_0000, // 2^31 - 1
        0x41df_ffff_ffe0_0000, // 2^31 - 0.5
        0x41e0_0000_0010_0000, // 2^31 + 0.5
        0x41ef_ffff_ffe0_0000, // 2^32 - 1
        0x41f0_0000_0000_0000, // 2^32
        0x41ef_ffff_fff0_0000, // 2^32 - 0.5
        0x43e0_0000_0000_0000, // 2^63
        0x43df_ffff_ffff_ffff, // largest below 2^63
        0x43f0_0000_0000_0000, // 2^64
        0x43ef_ffff_ffff_ffff, // largest below 2^64
        0x3ff0_0000_1000_0000, // 1 + 2^-24: halfway for binary32
        0x3ff0_0000_1000_0001, // just above halfway for binary32
        0x3ff0_0000_3000_0000, // 1 + 3*2^-24: halfway, odd
        0x47ef_ffff_e000_0000, // f32 max finite
        0x47ef_ffff_f000_0000, // f32 max + half ulp: overflows or not by rm
        0x47f0_0000_0000_0000, // 2^128
        0x3810_0000_0000_0000, // f32 min normal
        0x36a0_0000_0000_0000, // f32 min subnormal
        0x3690_0000_0000_0000, // half f32 min subnormal
        0x3698_0000_0000_0000, // 0.75 f32 min subnormal
        0x380f_ffff_c000_0000, // f32 max subnormal
        0x3ca0_0000_0000_0000, // 2^-53
        0x4340_0000_0000_0000, // 2^53
        0x4330_0000_0000_0001, // 2^52 + 1
    ];
    let sign = if rng.r#gen::<bool>() { SIGN } else { 0 };
    match rng.gen_range(0..10) {
        0..=4 => EDGES[rng.gen_range(0..EDGES.len())] ^ sign,
        // Small integers, exactly representable.
        5 => (rng.gen_range(-40i32..=40) as f64).to_bits(),
        // Exponent near the edges, random significand.
        6 => {
            let exp: u64 = [0, 1, 2, 0x3fe, 0x3ff, 0x400, 0x41e, 0x43e, 0x7fe, 0x7ff][rng.gen_range(0..10)];
            sign | (exp << 52) | (rng.r#gen::<u64>() & ((1 << 52) - 1))
        }
        // Values with few significant bits (exact in binary32 or nearly).
        7 => sign | (rng.gen_range(0x380u64..0x480) << 52) | (rng.r#gen::<u64>() & (0xfff << 40)),
        _ => rng.r#gen(),
    }
}

/// Binary32 bit patterns, the same edges as [`f64_bits`] in single precision.
pub fn f32_bits(rng: &mut impl Rng) -> u32 {
    const SIGN: u32 = 1 << 31;
    const EDGES: &[u32] = &[
        0x0000_0000, // +0
        0x7f80_0000, // inf
        0x7fc0_0000, // canonical qNaN
        0x7fc0_0001, // qNaN with payload
        0x7fff_ffff, // qNaN, all-ones payload
        0x7f80_0001, // sNaN
        0x7fa0_0000, // sNaN with payload
        0x0000_0001, // min subnormal
        0x007f_ffff, // max subnormal
        0x0040_0000, // mid subnormal
        0x0080_0000, // min normal
        0x7f7f_ffff, // max finite
        0x3f80_0000, // 1.0
        0x4000_0000, // 2.0
        0x3f00_0000, // 0.5
        0x3eff_ffff, // 0.5 - ulp
        0x3f00_0001, // 0.5 + ulp
        0x3fc0_0000, // 1.5
        0x3fbf_ffff, // 1.5 - ulp
        0x3fc0_0001, // 1.5 + ulp
        0x4020_0000, // 2.5
        0x401f_ffff, // 2.5 - ulp
        0x4020_0001, // 2.5 + ulp
        0x4f00_0000, // 2^31
        0x4eff_ffff, // largest below 2^31
        0x4f80_0000, // 2^32
        0x4f7f_ffff, // largest below 2^32
        0x5f00_0000, // 2^63
        0x5eff_ffff, // largest below 2^63
        0x5f80_0000, // 2^64
        0x5f7f_ffff, // largest below 2^64
        0x4b00_0000, // 2^23
        0x4b80_0000, // 2^24
        0x4b80_0001, // 2^24 + 2
        0x3380_0000, // 2^-24
        0x3400_0000, // 2^-23
    ];
    let sign = if rng.r#gen::<bool>() { SIGN } else { 0 };
    match rng.gen_range(0..10) {
        0..=4 => EDGES[rng.gen_range(0..EDGES.len())] ^ sign,
        5 => (rng.gen_range(-40i32..=40) as f32).to_bits(),
        6 => {
            let exp: u32 = [0, 1, 2, 0x7e, 0x7f, 0x80, 0x9e, 0xbe, 0xfe, 0xff][rng.gen_range(0..10)];
            sign | (exp << 23) | (rng.r#gen::<u32>() & ((1 << 23) - 1))
        }
        _ => rng.r#gen(),
    }
}

/// A 64-bit FP register value: a binary64, or a binary32 NaN-boxed (upper 32
/// bits all ones) — and now and then improperly boxed, which every
/// single-precision instruction must read as the canonical NaN (unprivileged
/// spec, "NaN Boxing of Narrower Values").
pub fn freg(rng: &mut impl Rng) -> u64 {
    match rng.gen_range(0..20) {
        0..=9 => f64_bits(rng),
        10..=18 => 0xffff_ffff_0000_0000 | u64::from(f32_bits(rng)),
        _ => {
            let upper: u64 = [0, 0xffff_fffe, 0x7fff_ffff, rng.r#gen::<u32>().into()][rng.gen_range(0..4)];
            (upper << 32) | u64::from(f32_bits(rng))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn freg_mostly_boxed_singles_or_doubles() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let boxed = (0..1000).filter(|_| freg(&mut rng) >> 32 == 0xffff_ffff).count();
        assert!((300..700).contains(&boxed), "{boxed}");
    }

    #[test]
    fn f64_edges_decode_as_commented() {
        assert_eq!(f64::from_bits(0x41df_ffff_ffc0_0000), 2147483647.0);
        assert_eq!(f64::from_bits(0x41ef_ffff_ffe0_0000), 4294967295.0);
        assert_eq!(f64::from_bits(0x41df_ffff_ffe0_0000), 2147483647.5);
        assert_eq!(f64::from_bits(0x47ef_ffff_e000_0000), f64::from(f32::MAX));
        assert_eq!(f64::from_bits(0x36a0_0000_0000_0000), f64::from(f32::from_bits(1)));
        assert_eq!(f64::from_bits(0x3810_0000_0000_0000), f64::from(f32::MIN_POSITIVE));
        assert_eq!(f64::from_bits(0x380f_ffff_c000_0000), f64::from(f32::from_bits(0x007f_ffff)));
        assert_eq!(f64::from_bits(0x3ff0_0000_1000_0000), 1.0 + 2f64.powi(-24));
        assert_eq!(f64::from_bits(0x41e0_0000_0010_0000), 2147483648.5);
        assert_eq!(f64::from_bits(0x41ef_ffff_fff0_0000), 4294967295.5);
    }
}
