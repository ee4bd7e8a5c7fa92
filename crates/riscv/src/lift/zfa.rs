//! Zfa 1.0: additional floating-point instructions (spec chapter 25).
//!
//! `fli` loads a constant from a 32-entry table (Zfa §"FLI"); `fminm` and
//! `fmaxm` are the IEEE 754-2019 minimum/maximum (a NaN operand gives the
//! canonical NaN); `fround`/`froundnx` round to an integral value (only the
//! latter raises inexact); `fcvtmod.w.d` is the modular conversion of
//! JavaScript's `ToInt32`; `fleq`/`fltq` are quiet comparisons. The RV32-only
//! `fmvh.x.d` and `fmvp.d.x` do not exist on RV64.

use ferrovm_ir::{CvtOp, FBinOp, FUnOp, Prec, Rm};

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

/// The `fli` table (Zfa §"FLI", Table "Immediate values loaded by fli"),
/// index by index, as binary16, binary32 and binary64 bits. Entry 1 is the
/// minimum positive normal; 2^16 (entry 29) is +inf in binary16, and 2^-16,
/// 2^-15 (entries 2, 3) are binary16 subnormals, as the table says.
#[rustfmt::skip]
const FLI: [(u16, u32, u64); 32] = [
    (0xbc00, 0xbf80_0000, 0xbff0_0000_0000_0000), (0x0400, 0x0080_0000, 0x0010_0000_0000_0000),
    (0x0100, 0x3780_0000, 0x3ef0_0000_0000_0000), (0x0200, 0x3800_0000, 0x3f00_0000_0000_0000),
    (0x1c00, 0x3b80_0000, 0x3f70_0000_0000_0000), (0x2000, 0x3c00_0000, 0x3f80_0000_0000_0000),
    (0x2c00, 0x3d80_0000, 0x3fb0_0000_0000_0000), (0x3000, 0x3e00_0000, 0x3fc0_0000_0000_0000),
    (0x3400, 0x3e80_0000, 0x3fd0_0000_0000_0000), (0x3500, 0x3ea0_0000, 0x3fd4_0000_0000_0000),
    (0x3600, 0x3ec0_0000, 0x3fd8_0000_0000_0000), (0x3700, 0x3ee0_0000, 0x3fdc_0000_0000_0000),
    (0x3800, 0x3f00_0000, 0x3fe0_0000_0000_0000), (0x3900, 0x3f20_0000, 0x3fe4_0000_0000_0000),
    (0x3a00, 0x3f40_0000, 0x3fe8_0000_0000_0000), (0x3b00, 0x3f60_0000, 0x3fec_0000_0000_0000),
    (0x3c00, 0x3f80_0000, 0x3ff0_0000_0000_0000), (0x3d00, 0x3fa0_0000, 0x3ff4_0000_0000_0000),
    (0x3e00, 0x3fc0_0000, 0x3ff8_0000_0000_0000), (0x3f00, 0x3fe0_0000, 0x3ffc_0000_0000_0000),
    (0x4000, 0x4000_0000, 0x4000_0000_0000_0000), (0x4100, 0x4020_0000, 0x4004_0000_0000_0000),
    (0x4200, 0x4040_0000, 0x4008_0000_0000_0000), (0x4400, 0x4080_0000, 0x4010_0000_0000_0000),
    (0x4800, 0x4100_0000, 0x4020_0000_0000_0000), (0x4c00, 0x4180_0000, 0x4030_0000_0000_0000),
    (0x5800, 0x4300_0000, 0x4060_0000_0000_0000), (0x5c00, 0x4380_0000, 0x4070_0000_0000_0000),
    (0x7800, 0x4700_0000, 0x40e0_0000_0000_0000), (0x7c00, 0x4780_0000, 0x40f0_0000_0000_0000),
    (0x7c00, 0x7f80_0000, 0x7ff0_0000_0000_0000), (0x7e00, 0x7fc0_0000, 0x7ff8_0000_0000_0000),
];

/// The bits `fli` of precision `prec` loads for `index` (0..=31).
pub(crate) fn fli_bits(prec: Prec, index: u8) -> u64 {
    let (h, s, d) = FLI.get(usize::from(index & 31)).copied().unwrap_or((0, 0, 0));
    match prec {
        Prec::H => u64::from(h),
        Prec::S => u64::from(s),
        Prec::D => d,
    }
}

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Option<Flow> {
    use Opcode::*;
    let prec = match i.op {
        FliH | FminmH | FmaxmH | FroundH | FroundnxH | FleqH | FltqH => Prec::H,
        FliS | FminmS | FmaxmS | FroundS | FroundnxS | FleqS | FltqS => Prec::S,
        _ => Prec::D,
    };
    match i.op {
        FliS | FliD | FliH => {
            let v = cx.b.iconst(fli_bits(prec, i.rs1));
            cx.set_f(i.rd, prec, v);
        }
        FminmS | FmaxmS | FminmD | FmaxmD | FminmH | FmaxmH => {
            let op = if matches!(i.op, FminmS | FminmD | FminmH) { FBinOp::Minm } else { FBinOp::Maxm };
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, Rm::Rne, a, b);
            cx.set_f(i.rd, prec, v);
        }
        FleqS | FltqS | FleqD | FltqD | FleqH | FltqH => {
            let op = if matches!(i.op, FleqS | FleqD | FleqH) { FBinOp::Leq } else { FBinOp::Ltq };
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, Rm::Rne, a, b);
            cx.set_x(i.rd, v);
        }
        FroundS | FroundnxS | FroundD | FroundnxD | FroundH | FroundnxH => {
            let op = if matches!(i.op, FroundS | FroundD | FroundH) { FUnOp::Round } else { FUnOp::RoundNx };
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, prec);
            let v = cx.b.funary(op, prec, rm, a);
            cx.set_f(i.rd, prec, v);
        }
        FcvtmodWD => {
            let a = cx.f(i.rs1, Prec::D);
            let v = cx.b.fcvt(CvtOp::WDMod, Rm::Rtz, a);
            cx.set_x(i.rd, v);
        }
        _ => return None,
    }
    Some(Flow::Next)
}
