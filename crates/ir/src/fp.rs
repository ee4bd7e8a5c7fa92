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

/// The exponent width, fraction width and bias of a precision.
const fn layout(prec: Prec) -> (u32, u32, i64) {
    match prec {
        Prec::H => (5, 10, 15),
        Prec::S => (8, 23, 127),
        Prec::D => (11, 52, 1023),
    }
}

/// A finite nonzero value's normalized exponent and fraction (V spec
/// "vfrsqrt7"/"vfrec7": a subnormal's exponent is 0 minus the number of
/// leading zeros of its fraction, and the fraction is shifted left by 1
/// minus that exponent, dropping the leading 1).
fn normalized(prec: Prec, a: u64) -> (i64, u64) {
    let (e, m, _) = layout(prec);
    let frac_mask = (1u64 << m) - 1;
    let exp = ((a >> m) & ((1 << e) - 1)) as i64;
    let frac = a & frac_mask;
    if exp != 0 {
        return (exp, frac);
    }
    let lz = i64::from(frac.leading_zeros()) - i64::from(64 - m);
    (-lz, (frac << (lz + 1)) & frac_mask)
}

/// `vfrsqrt7.v`'s significand table (V spec, "vfrsqrt7.v common-case
/// lookup table contents"), indexed by exponent LSB and the 6 high
/// fraction bits.
#[rustfmt::skip]
const RSQRT7: [u8; 128] = [
    52, 51, 50, 48, 47, 46, 44, 43, 42, 41, 40, 39, 38, 36, 35, 34, 33, 32, 31, 30, 30, 29, 28, 27, 26, 25,
    24, 23, 23, 22, 21, 20, 19, 19, 18, 17, 16, 16, 15, 14, 14, 13, 12, 12, 11, 10, 10, 9, 9, 8, 7, 7, 6, 6,
    5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 127, 125, 123, 121, 119, 118, 116, 114, 113, 111, 109, 108, 106, 105, 103,
    102, 100, 99, 97, 96, 95, 93, 92, 91, 90, 88, 87, 86, 85, 84, 83, 82, 80, 79, 78, 77, 76, 75, 74, 73, 72,
    71, 70, 70, 69, 68, 67, 66, 65, 64, 63, 63, 62, 61, 60, 59, 59, 58, 57, 56, 56, 55, 54, 53,
];

/// `vfrec7.v`'s significand table (V spec, "vfrec7.v common-case lookup
/// table contents"), indexed by the 7 high fraction bits.
#[rustfmt::skip]
const REC7: [u8; 128] = [
    127, 125, 123, 121, 119, 117, 116, 114, 112, 110, 109, 107, 105, 104, 102, 100, 99, 97, 96, 94, 93, 91,
    90, 88, 87, 85, 84, 83, 81, 80, 79, 77, 76, 75, 74, 72, 71, 70, 69, 68, 66, 65, 64, 63, 62, 61, 60, 59,
    58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 40, 39, 38, 37, 36, 35, 35,
    34, 33, 32, 31, 31, 30, 29, 28, 28, 27, 26, 25, 25, 24, 23, 23, 22, 21, 21, 20, 19, 19, 18, 17, 17, 16,
    15, 15, 14, 14, 13, 12, 12, 11, 11, 10, 9, 9, 8, 8, 7, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0,
];

/// `vfrsqrt7.v` on one element (V spec "Vector Floating-Point Reciprocal
/// Square-Root Estimate Instruction"): 7-bit estimate of 1/sqrt(a),
/// independent of the rounding mode.
pub fn rsqrt7(prec: Prec, a: u64) -> (u64, u8) {
    let (e, m, bias) = layout(prec);
    let a = a & mask(prec);
    let sign_bit = sign(prec);
    let inf = ((1u64 << e) - 1) << m;
    if is_nan(prec, a) {
        return (canonical_nan(prec), if is_snan(prec, a) { NV } else { 0 });
    }
    match a {
        _ if a & !sign_bit == 0 => (a | inf, DZ), // ±0 -> ±inf
        _ if a & sign_bit != 0 => (canonical_nan(prec), NV),
        _ if a == inf => (0, 0),
        _ => {
            let (exp, frac) = normalized(prec, a);
            let index = ((exp & 1) as usize) << 6 | (frac >> (m - 6)) as usize;
            let out_exp = (3 * bias - 1 - exp) / 2;
            let table = u64::from(RSQRT7.get(index).copied().unwrap_or(0));
            ((out_exp as u64) << m | table << (m - 7), 0)
        }
    }
}

/// `vfrec7.v` on one element (V spec "Vector Floating-Point Reciprocal
/// Estimate Instruction"): 7-bit estimate of 1/a; the rounding mode only
/// matters when a tiny subnormal's reciprocal overflows.
pub fn rec7(prec: Prec, rm: Rm, a: u64) -> (u64, u8) {
    let (e, m, bias) = layout(prec);
    let a = a & mask(prec);
    let sign_bit = sign(prec);
    let negative = a & sign_bit != 0;
    let inf = ((1u64 << e) - 1) << m;
    if is_nan(prec, a) {
        return (canonical_nan(prec), if is_snan(prec, a) { NV } else { 0 });
    }
    let mag = a & !sign_bit;
    if mag == inf {
        return (a & sign_bit, 0);
    }
    if mag == 0 {
        return (a | inf, DZ);
    }
    let (exp, frac) = normalized(prec, a);
    let out_exp = 2 * bias - 1 - exp;
    if !(-1..=2 * bias).contains(&out_exp) {
        // Overflow: infinity or the largest finite value, by rounding mode.
        let to_inf = match rm {
            Rm::Rne | Rm::Rmm | Rm::Dyn => true,
            Rm::Rtz => false,
            Rm::Rdn => negative,
            Rm::Rup => !negative,
        };
        let mag = if to_inf { inf } else { inf - 1 };
        return ((a & sign_bit) | mag, OF | NX);
    }
    let table = u64::from(REC7.get((frac >> (m - 7)) as usize).copied().unwrap_or(0)) << (m - 7);
    let (out_exp, out_frac) =
        if out_exp <= 0 { (0, (table | 1 << m) >> (1 - out_exp)) } else { (out_exp as u64, table) };
    ((a & sign_bit) | out_exp << m | out_frac, 0)
}

/// `vfncvt.rod.f.f.w` (V spec "Narrowing Floating-Point/Integer
/// Type-Convert Instructions"): double to single (or, with Zvfh, single to
/// half: `to` = [`Prec::H`]) rounding towards odd — truncate, then set the
/// lowest significand bit if anything was lost. Flags are those of the
/// truncation (SoftFloat's round-to-odd raises the same), and a finite
/// value too large gives the largest finite result.
pub fn narrow_round_odd(to: Prec, a: u64) -> (u64, u8) {
    let (op, inf) = if to == Prec::H { (CvtOp::HS, 0x7c00) } else { (CvtOp::SD, 0x7f80_0000) };
    let (r, flags) = convert(op, Rm::Rtz, a);
    let finite = r & inf != inf;
    if flags & NX != 0 && finite { (r | 1, flags) } else { (r, flags) }
}

/// A float of precision `prec` to a `bits`-bit integer (`vfncvt.x[u].f.w`
/// with SEW = 8 or 16, `vfcvt.x[u].f.v` at SEW 16), saturating as the
/// scalar conversions do (spec §20.7 Table 20.4): the 32-bit conversion,
/// then out-of-range results clamp with only NV raised.
pub fn float_to_narrow_int(prec: Prec, bits: u32, signed: bool, rm: Rm, a: u64) -> (u64, u8) {
    let op = match (prec, signed) {
        (Prec::H, true) => CvtOp::WH,
        (Prec::H, false) => CvtOp::WuH,
        (Prec::S, true) => CvtOp::WS,
        (Prec::S, false) => CvtOp::WuS,
        (Prec::D, true) => CvtOp::WD,
        (Prec::D, false) => CvtOp::WuD,
    };
    let (r, flags) = convert(op, rm, a);
    let (lo, hi) = if signed { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) } else { (0, (1i64 << bits) - 1) };
    let v = if signed { r as i32 as i64 } else { i64::from(r as u32) };
    let m = (1u64 << bits) - 1;
    if v > hi {
        (hi as u64, NV)
    } else if v < lo {
        (lo as u64 & m, NV)
    } else {
        (v as u64 & m, flags)
    }
}

/// A single to a 16-bit integer (`vfncvt.x[u].f.w` with SEW = 16).
pub fn single_to_i16(signed: bool, rm: Rm, a: u64) -> (u64, u8) {
    float_to_narrow_int(Prec::S, 16, signed, rm, a)
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

    #[test]
    fn estimates_match_the_spec_examples() {
        // V spec: vfrsqrt7(0x00718abc) = 0x5f080000, vfrsqrt7(0x7f765432) =
        // 0x1f820000, vfrec7(0x00718abc) = 0x7e900000, vfrec7(0x7f765432) =
        // 0x00214000 (SEW = 32).
        assert_eq!(rsqrt7(Prec::S, 0x0071_8abc), (0x5f08_0000, 0));
        assert_eq!(rsqrt7(Prec::S, 0x7f76_5432), (0x1f82_0000, 0));
        assert_eq!(rec7(Prec::S, Rm::Rne, 0x0071_8abc), (0x7e90_0000, 0));
        assert_eq!(rec7(Prec::S, Rm::Rne, 0x7f76_5432), (0x0021_4000, 0));
        // Special cases.
        assert_eq!(rsqrt7(Prec::S, 0x8000_0000), (0xff80_0000, DZ));
        assert_eq!(rsqrt7(Prec::D, 0xbff0_0000_0000_0000), (CANONICAL_NAN_D, NV));
        assert_eq!(rsqrt7(Prec::S, 0x7f80_0000), (0, 0));
        assert_eq!(rec7(Prec::S, Rm::Rne, 0xff80_0000), (0x8000_0000, 0));
        assert_eq!(rec7(Prec::S, Rm::Rne, SNAN_S), (CANONICAL_NAN_S, NV));
        // rsqrt7(1.0): exponent 1023 (LSB 1), fraction 0: table[64] = 127,
        // so 2^-1 * (1 + 127/128).
        assert_eq!(rsqrt7(Prec::D, ONE_D), (0x3fef_e000_0000_0000, 0));
        // A tiny subnormal overflows: infinity or the largest finite by rm.
        assert_eq!(rec7(Prec::S, Rm::Rne, 1), (0x7f80_0000, OF | NX));
        assert_eq!(rec7(Prec::S, Rm::Rtz, 1), (0x7f7f_ffff, OF | NX));
        assert_eq!(rec7(Prec::S, Rm::Rup, 0x8000_0001), (0xff7f_ffff, OF | NX));
        assert_eq!(rec7(Prec::S, Rm::Rdn, 0x8000_0001), (0xff80_0000, OF | NX));
    }

    #[test]
    fn round_to_odd_and_16_bit_conversions() {
        // 1 + 2^-24 is halfway between two singles: RNE rounds to 1.0,
        // round-to-odd gives 1 + 2^-23.
        assert_eq!(narrow_round_odd(Prec::S, 0x3ff0_0000_1000_0000), (0x3f80_0001, NX));
        assert_eq!(narrow_round_odd(Prec::S, ONE_D), (ONE_S, 0));
        assert_eq!(narrow_round_odd(Prec::S, 0x7ff0_0000_0000_0000), (0x7f80_0000, 0));
        assert_eq!(narrow_round_odd(Prec::S, 0x47f0_0000_0000_0000).0, 0x7f7f_ffff);
        // Single to half (Zvfh): 1 + 2^-11 is lost, so the last bit is set; too large is 65504.
        assert_eq!(narrow_round_odd(Prec::H, 0x3f80_1000), (0x3c01, NX));
        assert_eq!(narrow_round_odd(Prec::H, 0x4780_0000).0, 0x7bff);
        assert_eq!(float_to_narrow_int(Prec::H, 8, false, Rm::Rne, 0xbc00), (0, NV));
        // 40000.0 does not fit in an i16: 0x7fff with NV only.
        assert_eq!(single_to_i16(true, Rm::Rne, 0x471c_4000), (0x7fff, NV));
        assert_eq!(single_to_i16(true, Rm::Rne, 0xc71c_4000), (0x8000, NV));
        assert_eq!(single_to_i16(false, Rm::Rne, 0x471c_4000), (40000, 0));
        assert_eq!(single_to_i16(false, Rm::Rne, 0x7fc0_0000), (0xffff, NV));
        assert_eq!(single_to_i16(true, Rm::Rne, 0x3fc0_0000), (2, NX));
    }
}
