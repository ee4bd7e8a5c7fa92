//! Reference semantics of the floating-point operations, bit-exact to the
//! RISC-V F and D extensions (unprivileged spec chapters 20 and 21).
//!
//! Built on Berkeley SoftFloat 3 with its RISC-V specialization (through
//! `softfloat-wrapper`), which already gives the canonical NaN
//! (`0x7fc00000` / `0x7ff8000000000000`, spec §20.3), tininess detected after
//! rounding, and RISC-V's saturating float-to-integer results (spec §20.7,
//! Table 20.4). What SoftFloat does not define the RISC-V way — `fmin`/`fmax`,
//! sign injection and `fclass` — is written out here.
//!
//! Every function takes a resolved rounding mode (`Rm::Dyn` already replaced by
//! `frm`) and returns the result bits and the exception flags it raised, in
//! `fflags` layout (NV=16, DZ=8, OF=4, UF=2, NX=1). Singles are the low 32 bits.

use softfloat_wrapper::{ExceptionFlags, F16, F32, F64, Float, RoundingMode};

use crate::op::{CvtOp, FBinOp, FTernOp, FUnOp, Prec, Rm};

/// `fflags` invalid-operation bit.
pub const NV: u8 = 16;
/// `fflags` divide-by-zero bit.
pub const DZ: u8 = 8;
/// `fflags` overflow bit.
pub const OF: u8 = 4;
/// `fflags` underflow bit.
pub const UF: u8 = 2;
/// `fflags` inexact bit.
pub const NX: u8 = 1;

/// Canonical single-precision NaN.
pub const CANONICAL_NAN_S: u64 = 0x7fc0_0000;
/// Canonical double-precision NaN.
pub const CANONICAL_NAN_D: u64 = 0x7ff8_0000_0000_0000;
/// Canonical half-precision NaN (Zfh).
pub const CANONICAL_NAN_H: u64 = 0x7e00;

/// Maps a static rounding mode to SoftFloat's. `Dyn` must be resolved first;
/// it is treated as round-to-nearest-even here only to stay total.
fn mode(rm: Rm) -> RoundingMode {
    match rm {
        Rm::Rne | Rm::Dyn => RoundingMode::TiesToEven,
        Rm::Rtz => RoundingMode::TowardZero,
        Rm::Rdn => RoundingMode::TowardNegative,
        Rm::Rup => RoundingMode::TowardPositive,
        Rm::Rmm => RoundingMode::TiesToAway,
    }
}

/// Runs `f` with SoftFloat's (thread-local) flags cleared and returns the
/// flags it raised. SoftFloat's flag bits coincide with `fflags`'.
#[inline]
fn with_flags<T>(f: impl FnOnce() -> T) -> (T, u8) {
    ExceptionFlags::default().set();
    let value = f();
    let mut flags = ExceptionFlags::default();
    flags.get();
    (value, flags.to_bits() & 0x1f)
}

fn is_nan_s(x: u32) -> bool {
    x & 0x7fff_ffff > 0x7f80_0000
}
fn is_snan_s(x: u32) -> bool {
    is_nan_s(x) && x & 0x0040_0000 == 0
}
fn is_nan_h(x: u16) -> bool {
    x & 0x7fff > 0x7c00
}
fn is_snan_h(x: u16) -> bool {
    is_nan_h(x) && x & 0x0200 == 0
}
fn is_nan_d(x: u64) -> bool {
    x & 0x7fff_ffff_ffff_ffff > 0x7ff0_0000_0000_0000
}
fn is_snan_d(x: u64) -> bool {
    is_nan_d(x) && x & 0x0008_0000_0000_0000 == 0
}

/// `fclass` mask (spec §20.9, Table 20.5): bit 0 = -inf, 1 = -normal,
/// 2 = -subnormal, 3 = -0, 4 = +0, 5 = +subnormal, 6 = +normal, 7 = +inf,
/// 8 = signalling NaN, 9 = quiet NaN.
fn classify(sign: bool, exp_all_ones: bool, exp_zero: bool, frac_zero: bool, quiet: bool) -> u64 {
    let bit = if exp_all_ones {
        if frac_zero {
            if sign { 0 } else { 7 }
        } else if quiet {
            9
        } else {
            8
        }
    } else if exp_zero {
        match (frac_zero, sign) {
            (true, true) => 3,
            (true, false) => 4,
            (false, true) => 2,
            (false, false) => 5,
        }
    } else if sign {
        1
    } else {
        6
    };
    1 << bit
}

/// `fmin`/`fmax` (spec §20.6): minimumNumber/maximumNumber, -0 < +0, a NaN
/// operand is ignored unless both are NaN (then the canonical NaN), and only
/// signalling NaNs raise NV.
/// With `nan_wins` (Zfa `fminm`/`fmaxm`, IEEE 754-2019 minimum/maximum) any
/// NaN operand gives the canonical NaN.
fn min_max(prec: Prec, is_max: bool, nan_wins: bool, a: u64, b: u64) -> (u64, u8) {
    let (a_nan, b_nan) = (is_nan(prec, a), is_nan(prec, b));
    let (canon, sign_bit) = (canonical_nan(prec), sign(prec));
    let flags = if is_snan(prec, a) || is_snan(prec, b) { NV } else { 0 };
    let result = match (a_nan, b_nan) {
        (true, _) | (_, true) if nan_wins => canon,
        (true, true) => canon,
        (true, false) => b,
        (false, true) => a,
        (false, false) => {
            let a_less = match prec {
                Prec::S => F32::from_bits(a as u32).lt_quiet(F32::from_bits(b as u32)),
                Prec::D => F64::from_bits(a).lt_quiet(F64::from_bits(b)),
                Prec::H => F16::from_bits(a as u16).lt_quiet(F16::from_bits(b as u16)),
            };
            let both_zero = (a | b) & !sign_bit & mask(prec) == 0;
            if both_zero {
                // -0 is less than +0: min ORs the signs, max ANDs them.
                if is_max { a & b } else { a | b }
            } else if a_less != is_max {
                a
            } else {
                b
            }
        }
    };
    (result, flags)
}

fn mask(prec: Prec) -> u64 {
    match prec {
        Prec::S => 0xffff_ffff,
        Prec::D => u64::MAX,
        Prec::H => 0xffff,
    }
}

fn sign(prec: Prec) -> u64 {
    match prec {
        Prec::S => 1 << 31,
        Prec::D => 1 << 63,
        Prec::H => 1 << 15,
    }
}

fn canonical_nan(prec: Prec) -> u64 {
    match prec {
        Prec::S => CANONICAL_NAN_S,
        Prec::D => CANONICAL_NAN_D,
        Prec::H => CANONICAL_NAN_H,
    }
}

fn is_nan(prec: Prec, x: u64) -> bool {
    match prec {
        Prec::S => is_nan_s(x as u32),
        Prec::D => is_nan_d(x),
        Prec::H => is_nan_h(x as u16),
    }
}

fn is_snan(prec: Prec, x: u64) -> bool {
    match prec {
        Prec::S => is_snan_s(x as u32),
        Prec::D => is_snan_d(x),
        Prec::H => is_snan_h(x as u16),
    }
}

/// Zfa `fround`/`froundnx`: round to an integral value in mode `m`.
/// SoftFloat's roundToInt gives the canonical NaN (and NV for a signalling
/// one); `froundnx` also raises inexact when the value changed, which for a
/// non-NaN is exactly when the bits changed.
fn round_integral(prec: Prec, m: RoundingMode, exact: bool, a: u64) -> (u64, u8) {
    let (r, mut flags) = with_flags(|| match prec {
        Prec::S => u64::from(F32::from_bits(a as u32).round_to_integral(m).to_bits()),
        Prec::D => F64::from_bits(a).round_to_integral(m).to_bits(),
        Prec::H => u64::from(F16::from_bits(a as u16).round_to_integral(m).to_bits()),
    });
    // SoftFloat (non-exact) raises no inexact; keep only what it raised.
    flags &= !NX;
    if exact && !is_nan(prec, a) && r != a & mask(prec) {
        flags |= NX;
    }
    (r, flags)
}

/// Zfa `fcvtmod.w.d` (Zfa §"FCVTMOD.W.D"): truncate, keep the low 32 bits
/// of the integer, sign-extend. NaN and infinity give 0 and NV; a value
/// whose truncation is outside the `i32` range gives NV; otherwise a
/// non-integral value gives NX.
fn fcvtmod_w_d(a: u64) -> (u64, u8) {
    let exp = ((a >> 52) & 0x7ff) as i64;
    let negative = a >> 63 != 0;
    if exp == 0x7ff {
        return (0, NV);
    }
    if exp < 1023 {
        // |a| < 1: truncates to 0.
        let nonzero = a & !(1 << 63) != 0;
        return (0, if nonzero { NX } else { 0 });
    }
    let mant = (a & 0x000f_ffff_ffff_ffff) | 1 << 52;
    let shift = exp - 1075; // value = mant * 2^shift
    let (int, frac) = if shift >= 0 {
        // Past 2^(64+53) every bit of the low 32 is zero anyway.
        let int = if shift < 64 { u128::from(mant) << shift } else { 0 };
        (int, false)
    } else {
        let s = (-shift) as u32;
        (u128::from(mant >> s), mant & ((1u64 << s) - 1) != 0)
    };
    let huge = shift >= 64;
    let low = int as u32;
    let value = if negative { low.wrapping_neg() } else { low };
    let in_range = !huge && if negative { int <= 1 << 31 } else { int < 1 << 31 };
    let flags = if !in_range {
        NV
    } else if frac {
        NX
    } else {
        0
    };
    (value as i32 as i64 as u64, flags)
}

/// One-operand FP operation.
pub fn unary(op: FUnOp, prec: Prec, rm: Rm, a: u64) -> (u64, u8) {
    let m = mode(rm);
    match (op, prec) {
        (FUnOp::Round, _) => round_integral(prec, m, false, a),
        (FUnOp::RoundNx, _) => round_integral(prec, m, true, a),
        (FUnOp::Sqrt, Prec::H) => with_flags(|| u64::from(F16::from_bits(a as u16).sqrt(m).to_bits())),
        (FUnOp::Class, Prec::H) => {
            let x = a as u16;
            let frac = x & 0x03ff;
            let exp = (x >> 10) & 0x1f;
            (classify(x >> 15 != 0, exp == 0x1f, exp == 0, frac == 0, frac & 0x0200 != 0), 0)
        }
        (FUnOp::Sqrt, Prec::S) => with_flags(|| u64::from(F32::from_bits(a as u32).sqrt(m).to_bits())),
        (FUnOp::Sqrt, Prec::D) => with_flags(|| F64::from_bits(a).sqrt(m).to_bits()),
        (FUnOp::Class, Prec::S) => {
            let x = a as u32;
            let frac = x & 0x007f_ffff;
            let exp = (x >> 23) & 0xff;
            (classify(x >> 31 != 0, exp == 0xff, exp == 0, frac == 0, frac & 0x0040_0000 != 0), 0)
        }
        (FUnOp::Class, Prec::D) => {
            let frac = a & 0x000f_ffff_ffff_ffff;
            let exp = (a >> 52) & 0x7ff;
            (classify(a >> 63 != 0, exp == 0x7ff, exp == 0, frac == 0, frac & 0x0008_0000_0000_0000 != 0), 0)
        }
    }
}

/// Two-operand FP operation.
pub fn binary(op: FBinOp, prec: Prec, rm: Rm, a: u64, b: u64) -> (u64, u8) {
    let m = mode(rm);
    let sign = sign(prec);
    match op {
        FBinOp::Sgnj => ((a & !sign) | (b & sign), 0),
        FBinOp::Sgnjn => ((a & !sign) | (!b & sign), 0),
        FBinOp::Sgnjx => (a ^ (b & sign), 0),
        FBinOp::Min => min_max(prec, false, false, a, b),
        FBinOp::Max => min_max(prec, true, false, a, b),
        FBinOp::Minm => min_max(prec, false, true, a, b),
        FBinOp::Maxm => min_max(prec, true, true, a, b),
        _ => match prec {
            Prec::H => {
                let (x, y) = (F16::from_bits(a as u16), F16::from_bits(b as u16));
                with_flags(|| match op {
                    FBinOp::Add => u64::from(x.add(y, m).to_bits()),
                    FBinOp::Sub => u64::from(x.sub(y, m).to_bits()),
                    FBinOp::Mul => u64::from(x.mul(y, m).to_bits()),
                    FBinOp::Div => u64::from(x.div(y, m).to_bits()),
                    FBinOp::Eq => u64::from(x.eq(y)),
                    FBinOp::Lt => u64::from(x.lt(y)),
                    FBinOp::Ltq => u64::from(x.lt_quiet(y)),
                    FBinOp::Leq => u64::from(x.le_quiet(y)),
                    _ => u64::from(x.le(y)),
                })
            }
            Prec::S => {
                let (x, y) = (F32::from_bits(a as u32), F32::from_bits(b as u32));
                with_flags(|| match op {
                    FBinOp::Add => u64::from(x.add(y, m).to_bits()),
                    FBinOp::Sub => u64::from(x.sub(y, m).to_bits()),
                    FBinOp::Mul => u64::from(x.mul(y, m).to_bits()),
                    FBinOp::Div => u64::from(x.div(y, m).to_bits()),
                    FBinOp::Eq => u64::from(x.eq(y)),
                    FBinOp::Lt => u64::from(x.lt(y)),
                    FBinOp::Ltq => u64::from(x.lt_quiet(y)),
                    FBinOp::Leq => u64::from(x.le_quiet(y)),
                    _ => u64::from(x.le(y)),
                })
            }
            Prec::D => {
                let (x, y) = (F64::from_bits(a), F64::from_bits(b));
                with_flags(|| match op {
                    FBinOp::Add => x.add(y, m).to_bits(),
                    FBinOp::Sub => x.sub(y, m).to_bits(),
                    FBinOp::Mul => x.mul(y, m).to_bits(),
                    FBinOp::Div => x.div(y, m).to_bits(),
                    FBinOp::Eq => u64::from(x.eq(y)),
                    FBinOp::Lt => u64::from(x.lt(y)),
                    FBinOp::Ltq => u64::from(x.lt_quiet(y)),
                    FBinOp::Leq => u64::from(x.le_quiet(y)),
                    _ => u64::from(x.le(y)),
                })
            }
        },
    }
}

/// Fused multiply-add family, one rounding (spec §20.6).
pub fn ternary(op: FTernOp, prec: Prec, rm: Rm, a: u64, b: u64, c: u64) -> (u64, u8) {
    let m = mode(rm);
    let sign = sign(prec);
    // Negating an operand flips its sign bit; NaN results are canonical anyway
    // and a signalling NaN stays signalling, so the flags are unchanged.
    let (a, c) = match op {
        FTernOp::Madd => (a, c),
        FTernOp::Msub => (a, c ^ sign),
        FTernOp::Nmsub => (a ^ sign, c),
        FTernOp::Nmadd => (a ^ sign, c ^ sign),
    };
    match prec {
        Prec::S => with_flags(|| {
            let (x, y, z) = (F32::from_bits(a as u32), F32::from_bits(b as u32), F32::from_bits(c as u32));
            u64::from(x.fused_mul_add(y, z, m).to_bits())
        }),
        Prec::D => with_flags(|| F64::from_bits(a).fused_mul_add(F64::from_bits(b), F64::from_bits(c), m).to_bits()),
        Prec::H => with_flags(|| {
            let (x, y, z) = (F16::from_bits(a as u16), F16::from_bits(b as u16), F16::from_bits(c as u16));
            u64::from(x.fused_mul_add(y, z, m).to_bits())
        }),
    }
}

/// Conversions (spec §20.7, §21.5). 32-bit integer results are sign-extended
/// to 64 bits, also for the unsigned `wu` forms.
pub fn convert(op: CvtOp, rm: Rm, a: u64) -> (u64, u8) {
    let m = mode(rm);
    if op == CvtOp::WDMod {
        return fcvtmod_w_d(a);
    }
    let s = || F32::from_bits(a as u32);
    let d = || F64::from_bits(a);
    let h = || F16::from_bits(a as u16);
    let w = |v: i32| v as i64 as u64;
    let wu = |v: u32| v as i32 as i64 as u64;
    with_flags(|| match op {
        CvtOp::WS => w(s().to_i32(m, true)),
        CvtOp::WuS => wu(s().to_u32(m, true)),
        CvtOp::LS => s().to_i64(m, true) as u64,
        CvtOp::LuS => s().to_u64(m, true),
        CvtOp::SW => u64::from(F32::from_i32(a as i32, m).to_bits()),
        CvtOp::SWu => u64::from(F32::from_u32(a as u32, m).to_bits()),
        CvtOp::SL => u64::from(F32::from_i64(a as i64, m).to_bits()),
        CvtOp::SLu => u64::from(F32::from_u64(a, m).to_bits()),
        CvtOp::WD => w(d().to_i32(m, true)),
        CvtOp::WuD => wu(d().to_u32(m, true)),
        CvtOp::LD => d().to_i64(m, true) as u64,
        CvtOp::LuD => d().to_u64(m, true),
        CvtOp::DW => F64::from_i32(a as i32, m).to_bits(),
        CvtOp::DWu => F64::from_u32(a as u32, m).to_bits(),
        CvtOp::DL => F64::from_i64(a as i64, m).to_bits(),
        CvtOp::DLu => F64::from_u64(a, m).to_bits(),
        CvtOp::SD => u64::from(d().to_f32(m).to_bits()),
        CvtOp::DS => s().to_f64(m).to_bits(),
        CvtOp::WH => w(h().to_i32(m, true)),
        CvtOp::WuH => wu(h().to_u32(m, true)),
        CvtOp::LH => h().to_i64(m, true) as u64,
        CvtOp::LuH => h().to_u64(m, true),
        CvtOp::HW => u64::from(F16::from_i32(a as i32, m).to_bits()),
        CvtOp::HWu => u64::from(F16::from_u32(a as u32, m).to_bits()),
        CvtOp::HL => u64::from(F16::from_i64(a as i64, m).to_bits()),
        CvtOp::HLu => u64::from(F16::from_u64(a, m).to_bits()),
        CvtOp::SH => u64::from(h().to_f32(m).to_bits()),
        CvtOp::HS => u64::from(s().to_f16(m).to_bits()),
        CvtOp::DH => h().to_f64(m).to_bits(),
        CvtOp::HD => u64::from(d().to_f16(m).to_bits()),
        CvtOp::WDMod => 0, // handled above
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_S: u64 = 0x3f80_0000;
    const ONE_D: u64 = 0x3ff0_0000_0000_0000;
    const SNAN_S: u64 = 0x7f80_0001;

    #[test]
    fn nan_results_are_canonical() {
        let (r, f) = binary(FBinOp::Add, Prec::S, Rm::Rne, SNAN_S, ONE_S);
        assert_eq!((r, f), (CANONICAL_NAN_S, NV));
        let (r, f) = binary(FBinOp::Div, Prec::D, Rm::Rne, 0, 0);
        assert_eq!((r, f), (CANONICAL_NAN_D, NV));
    }

    #[test]
    fn divide_by_zero_flag() {
        let (r, f) = binary(FBinOp::Div, Prec::D, Rm::Rne, ONE_D, 0);
        assert_eq!((r, f), (0x7ff0_0000_0000_0000, DZ));
    }

    #[test]
    fn min_max_rules() {
        // -0 < +0.
        assert_eq!(binary(FBinOp::Min, Prec::S, Rm::Rne, 0, 0x8000_0000), (0x8000_0000, 0));
        assert_eq!(binary(FBinOp::Max, Prec::S, Rm::Rne, 0x8000_0000, 0), (0, 0));
        // One quiet NaN: the other operand, no flag; signalling: NV.
        assert_eq!(binary(FBinOp::Min, Prec::S, Rm::Rne, 0x7fc0_0000, ONE_S), (ONE_S, 0));
        assert_eq!(binary(FBinOp::Max, Prec::S, Rm::Rne, SNAN_S, ONE_S), (ONE_S, NV));
        assert_eq!(binary(FBinOp::Max, Prec::S, Rm::Rne, SNAN_S, SNAN_S), (CANONICAL_NAN_S, NV));
    }

    #[test]
    fn compares_signal_as_specified() {
        // feq is quiet on qNaN, flt signals on any NaN.
        assert_eq!(binary(FBinOp::Eq, Prec::S, Rm::Rne, 0x7fc0_0000, ONE_S), (0, 0));
        assert_eq!(binary(FBinOp::Lt, Prec::S, Rm::Rne, 0x7fc0_0000, ONE_S), (0, NV));
        assert_eq!(binary(FBinOp::Eq, Prec::S, Rm::Rne, SNAN_S, ONE_S), (0, NV));
    }

    #[test]
    fn conversions_saturate() {
        // Table 20.4: NaN -> max, +inf -> max, -inf -> min; wu of negative -> 0.
        assert_eq!(convert(CvtOp::WS, Rm::Rtz, 0x7fc0_0000), (0x7fff_ffff, NV));
        assert_eq!(convert(CvtOp::WuS, Rm::Rtz, 0xbf80_0000), (0, NV));
        assert_eq!(convert(CvtOp::WuD, Rm::Rtz, 0x41ef_ffff_ffe0_0000), (u64::MAX, 0));
        assert_eq!(convert(CvtOp::LD, Rm::Rtz, 0xfff0_0000_0000_0000), (1 << 63, NV));
        assert_eq!(convert(CvtOp::WD, Rm::Rmm, 0x3fe0_0000_0000_0000), (1, NX));
        assert_eq!(convert(CvtOp::WD, Rm::Rne, 0x3fe0_0000_0000_0000), (0, NX));
    }

    #[test]
    fn fma_inf_times_zero_plus_qnan_is_invalid() {
        // Spec §20.6: invalid even when the addend is a quiet NaN.
        let inf = 0x7f80_0000;
        assert_eq!(ternary(FTernOp::Madd, Prec::S, Rm::Rne, inf, 0, 0x7fc0_0000), (CANONICAL_NAN_S, NV));
    }

    #[test]
    fn half_precision() {
        const ONE_H: u64 = 0x3c00;
        assert_eq!(binary(FBinOp::Add, Prec::H, Rm::Rne, ONE_H, ONE_H), (0x4000, 0));
        // 65504 + 32 rounds to +inf with overflow and inexact.
        assert_eq!(binary(FBinOp::Add, Prec::H, Rm::Rne, 0x7bff, 0x5000), (0x7c00, OF | NX));
        assert_eq!(binary(FBinOp::Div, Prec::H, Rm::Rne, 0, 0), (CANONICAL_NAN_H, NV));
        assert_eq!(convert(CvtOp::SH, Rm::Rne, ONE_H), (ONE_S, 0));
        assert_eq!(convert(CvtOp::HS, Rm::Rne, 0x3f80_0001), (ONE_H, NX));
        assert_eq!(convert(CvtOp::HD, Rm::Rne, ONE_D), (ONE_H, 0));
        assert_eq!(convert(CvtOp::WH, Rm::Rtz, 0xfc00), (0xffff_ffff_8000_0000, NV));
        assert_eq!(unary(FUnOp::Class, Prec::H, Rm::Rne, 0x0001).0, 1 << 5);
        assert_eq!(unary(FUnOp::Class, Prec::H, Rm::Rne, 0x7c01).0, 1 << 8);
    }

    #[test]
    fn zfa_ops() {
        // fminm: a NaN operand wins (canonical), unlike fmin.
        assert_eq!(binary(FBinOp::Minm, Prec::S, Rm::Rne, 0x7fc0_0000, ONE_S), (CANONICAL_NAN_S, 0));
        assert_eq!(binary(FBinOp::Maxm, Prec::D, Rm::Rne, ONE_D, 0x7ff0_0000_0000_0001), (CANONICAL_NAN_D, NV));
        assert_eq!(binary(FBinOp::Minm, Prec::S, Rm::Rne, 0, 0x8000_0000), (0x8000_0000, 0));
        // fltq/fleq are quiet on quiet NaNs.
        assert_eq!(binary(FBinOp::Ltq, Prec::S, Rm::Rne, 0x7fc0_0000, ONE_S), (0, 0));
        assert_eq!(binary(FBinOp::Leq, Prec::S, Rm::Rne, SNAN_S, ONE_S), (0, NV));
        assert_eq!(binary(FBinOp::Leq, Prec::D, Rm::Rne, ONE_D, ONE_D), (1, 0));
        // fround raises no inexact; froundnx does.
        let two_and_half = 0x4004_0000_0000_0000;
        assert_eq!(unary(FUnOp::Round, Prec::D, Rm::Rne, two_and_half), (0x4000_0000_0000_0000, 0));
        assert_eq!(unary(FUnOp::RoundNx, Prec::D, Rm::Rne, two_and_half), (0x4000_0000_0000_0000, NX));
        assert_eq!(unary(FUnOp::RoundNx, Prec::D, Rm::Rup, two_and_half), (0x4008_0000_0000_0000, NX));
        assert_eq!(unary(FUnOp::RoundNx, Prec::S, Rm::Rne, SNAN_S), (CANONICAL_NAN_S, NV));
        assert_eq!(unary(FUnOp::RoundNx, Prec::S, Rm::Rne, 0xbe80_0000), (0x8000_0000, NX)); // -0.25 -> -0
        // fcvtmod.w.d: modular, NV out of range, NX for fractions.
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0x41f0_0000_0000_0000), (0, NV)); // 2^32
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0x41f0_0000_0010_0000), (1, NV)); // 2^32 + 1
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0xc1e0_0000_0000_0000), (0xffff_ffff_8000_0000, 0)); // -2^31
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0xbff8_0000_0000_0000), (u64::MAX, NX)); // -1.5
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0x7ff0_0000_0000_0000), (0, NV));
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0x3fe0_0000_0000_0000), (0, NX)); // 0.5
        assert_eq!(convert(CvtOp::WDMod, Rm::Rtz, 0x4330_0000_0000_0001), (1, NV)); // 2^52 + 1
    }

    #[test]
    fn classify_masks() {
        assert_eq!(unary(FUnOp::Class, Prec::S, Rm::Rne, 0xff80_0000).0, 1 << 0);
        assert_eq!(unary(FUnOp::Class, Prec::S, Rm::Rne, 0x8000_0000).0, 1 << 3);
        assert_eq!(unary(FUnOp::Class, Prec::S, Rm::Rne, 0x0000_0001).0, 1 << 5);
        assert_eq!(unary(FUnOp::Class, Prec::S, Rm::Rne, SNAN_S).0, 1 << 8);
        assert_eq!(unary(FUnOp::Class, Prec::D, Rm::Rne, CANONICAL_NAN_D).0, 1 << 9);
        assert_eq!(unary(FUnOp::Class, Prec::D, Rm::Rne, ONE_D).0, 1 << 6);
    }
}
