//! F and D extensions (spec chapters 20 and 21).
//!
//! Single-precision operands are unboxed on every read and results NaN-boxed
//! on every write (spec §20.2), except where the spec moves raw bits:
//! `fsw`, `fmv.x.w` (sign-extends the low 32 bits) and `fmv.w.x`. Arithmetic
//! carries the instruction's rounding mode; a reserved mode (5, 6) is an
//! illegal instruction, and a dynamic one is checked against `frm` at run time.

use ferrovm_ir::{CvtOp, FBinOp, FTernOp, FUnOp, MemSize, Prec, Rm, UnOp};

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Option<Flow> {
    use Opcode::*;
    let prec = match i.op {
        Flw | Fsw | FmaddS | FmsubS | FnmsubS | FnmaddS | FaddS | FsubS | FmulS | FdivS | FsqrtS | FsgnjS | FsgnjnS
        | FsgnjxS | FminS | FmaxS | FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FmvXW | FclassS | FeqS | FltS | FleS
        | FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FmvWX | FcvtSD => Prec::S,
        _ => Prec::D,
    };
    match i.op {
        Flw | Fld => {
            let base = cx.x(i.rs1);
            let size = if prec == Prec::S { MemSize::W } else { MemSize::D };
            let v = cx.b.load(base, i.imm as i32, size, false);
            cx.set_f(i.rd, prec, v);
        }
        Fsw | Fsd => {
            let base = cx.x(i.rs1);
            let v = cx.f_raw(i.rs2);
            let size = if prec == Prec::S { MemSize::W } else { MemSize::D };
            cx.b.store(base, i.imm as i32, v, size);
        }
        FmaddS | FmsubS | FnmsubS | FnmaddS | FmaddD | FmsubD | FnmsubD | FnmaddD => {
            let op = match i.op {
                FmaddS | FmaddD => FTernOp::Madd,
                FmsubS | FmsubD => FTernOp::Msub,
                FnmsubS | FnmsubD => FTernOp::Nmsub,
                _ => FTernOp::Nmadd,
            };
            let rm = cx.rm(i)?;
            let (a, b, c) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec), cx.f(i.rs3, prec));
            let v = cx.b.fternary(op, prec, rm, a, b, c);
            cx.set_f(i.rd, prec, v);
        }
        FaddS | FsubS | FmulS | FdivS | FaddD | FsubD | FmulD | FdivD => {
            let op = match i.op {
                FaddS | FaddD => FBinOp::Add,
                FsubS | FsubD => FBinOp::Sub,
                FmulS | FmulD => FBinOp::Mul,
                _ => FBinOp::Div,
            };
            let rm = cx.rm(i)?;
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, rm, a, b);
            cx.set_f(i.rd, prec, v);
        }
        FsqrtS | FsqrtD => {
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, prec);
            let v = cx.b.funary(FUnOp::Sqrt, prec, rm, a);
            cx.set_f(i.rd, prec, v);
        }
        FsgnjS | FsgnjnS | FsgnjxS | FminS | FmaxS | FsgnjD | FsgnjnD | FsgnjxD | FminD | FmaxD => {
            let op = match i.op {
                FsgnjS | FsgnjD => FBinOp::Sgnj,
                FsgnjnS | FsgnjnD => FBinOp::Sgnjn,
                FsgnjxS | FsgnjxD => FBinOp::Sgnjx,
                FminS | FminD => FBinOp::Min,
                _ => FBinOp::Max,
            };
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, Rm::Rne, a, b);
            cx.set_f(i.rd, prec, v);
        }
        FeqS | FltS | FleS | FeqD | FltD | FleD => {
            let op = match i.op {
                FeqS | FeqD => FBinOp::Eq,
                FltS | FltD => FBinOp::Lt,
                _ => FBinOp::Le,
            };
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, Rm::Rne, a, b);
            cx.set_x(i.rd, v);
        }
        FclassS | FclassD => {
            let a = cx.f(i.rs1, prec);
            let v = cx.b.funary(FUnOp::Class, prec, Rm::Rne, a);
            cx.set_x(i.rd, v);
        }
        FmvXW => {
            let raw = cx.f_raw(i.rs1);
            let v = cx.b.unary(UnOp::SextW, raw);
            cx.set_x(i.rd, v);
        }
        FmvXD => {
            let raw = cx.f_raw(i.rs1);
            cx.set_x(i.rd, raw);
        }
        FmvWX => {
            let x = cx.x(i.rs1);
            let v = cx.b.unary(UnOp::NanBox, x);
            cx.b.set(ferrovm_ir::Reg::f(i.rd), v);
        }
        FmvDX => {
            let x = cx.x(i.rs1);
            cx.b.set(ferrovm_ir::Reg::f(i.rd), x);
        }
        FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD => {
            let op = match i.op {
                FcvtWS => CvtOp::WS,
                FcvtWuS => CvtOp::WuS,
                FcvtLS => CvtOp::LS,
                FcvtLuS => CvtOp::LuS,
                FcvtWD => CvtOp::WD,
                FcvtWuD => CvtOp::WuD,
                FcvtLD => CvtOp::LD,
                _ => CvtOp::LuD,
            };
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, prec);
            let v = cx.b.fcvt(op, rm, a);
            cx.set_x(i.rd, v);
        }
        FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FcvtDW | FcvtDWu | FcvtDL | FcvtDLu => {
            let op = match i.op {
                FcvtSW => CvtOp::SW,
                FcvtSWu => CvtOp::SWu,
                FcvtSL => CvtOp::SL,
                FcvtSLu => CvtOp::SLu,
                FcvtDW => CvtOp::DW,
                FcvtDWu => CvtOp::DWu,
                FcvtDL => CvtOp::DL,
                _ => CvtOp::DLu,
            };
            let rm = cx.rm(i)?;
            let a = cx.x(i.rs1);
            let v = cx.b.fcvt(op, rm, a);
            cx.set_f(i.rd, prec, v);
        }
        FcvtSD => {
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, Prec::D);
            let v = cx.b.fcvt(CvtOp::SD, rm, a);
            cx.set_f(i.rd, Prec::S, v);
        }
        FcvtDS => {
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, Prec::S);
            let v = cx.b.fcvt(CvtOp::DS, rm, a);
            cx.set_f(i.rd, Prec::D, v);
        }
        _ => return None,
    }
    Some(Flow::Next)
}
