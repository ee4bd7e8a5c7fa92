//! F, D, Zfhmin and Zfh (spec chapters 20, 21 and 23).
//!
//! Single-precision operands are unboxed on every read and results NaN-boxed
//! on every write (spec §20.2), except where the spec moves raw bits:
//! `fsw`, `fmv.x.w` (sign-extends the low 32 bits) and `fmv.w.x`; halves
//! likewise (`fsh`, `fmv.x.h`, `fmv.h.x` move raw bits). Arithmetic
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
        Flh | Fsh | FmaddH | FmsubH | FnmsubH | FnmaddH | FaddH | FsubH | FmulH | FdivH | FsqrtH | FsgnjH | FsgnjnH
        | FsgnjxH | FminH | FmaxH | FcvtWH | FcvtWuH | FcvtLH | FcvtLuH | FmvXH | FclassH | FeqH | FltH | FleH
        | FcvtHW | FcvtHWu | FcvtHL | FcvtHLu | FmvHX => Prec::H,
        _ => Prec::D,
    };
    let size = match prec {
        Prec::S => MemSize::W,
        Prec::D => MemSize::D,
        Prec::H => MemSize::H,
    };
    match i.op {
        Flw | Fld | Flh => {
            let base = cx.x(i.rs1);
            let v = cx.b.load(base, i.imm as i32, size, false);
            cx.set_f(i.rd, prec, v);
        }
        Fsw | Fsd | Fsh => {
            let base = cx.x(i.rs1);
            let v = cx.f_raw(i.rs2);
            cx.b.store(base, i.imm as i32, v, size);
        }
        FmaddS | FmsubS | FnmsubS | FnmaddS | FmaddD | FmsubD | FnmsubD | FnmaddD | FmaddH | FmsubH | FnmsubH
        | FnmaddH => {
            let op = match i.op {
                FmaddS | FmaddD | FmaddH => FTernOp::Madd,
                FmsubS | FmsubD | FmsubH => FTernOp::Msub,
                FnmsubS | FnmsubD | FnmsubH => FTernOp::Nmsub,
                _ => FTernOp::Nmadd,
            };
            let rm = cx.rm(i)?;
            let (a, b, c) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec), cx.f(i.rs3, prec));
            let v = cx.b.fternary(op, prec, rm, a, b, c);
            cx.set_f(i.rd, prec, v);
        }
        FaddS | FsubS | FmulS | FdivS | FaddD | FsubD | FmulD | FdivD | FaddH | FsubH | FmulH | FdivH => {
            let op = match i.op {
                FaddS | FaddD | FaddH => FBinOp::Add,
                FsubS | FsubD | FsubH => FBinOp::Sub,
                FmulS | FmulD | FmulH => FBinOp::Mul,
                _ => FBinOp::Div,
            };
            let rm = cx.rm(i)?;
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, rm, a, b);
            cx.set_f(i.rd, prec, v);
        }
        FsqrtS | FsqrtD | FsqrtH => {
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, prec);
            let v = cx.b.funary(FUnOp::Sqrt, prec, rm, a);
            cx.set_f(i.rd, prec, v);
        }
        FsgnjS | FsgnjnS | FsgnjxS | FminS | FmaxS | FsgnjD | FsgnjnD | FsgnjxD | FminD | FmaxD | FsgnjH | FsgnjnH
        | FsgnjxH | FminH | FmaxH => {
            let op = match i.op {
                FsgnjS | FsgnjD | FsgnjH => FBinOp::Sgnj,
                FsgnjnS | FsgnjnD | FsgnjnH => FBinOp::Sgnjn,
                FsgnjxS | FsgnjxD | FsgnjxH => FBinOp::Sgnjx,
                FminS | FminD | FminH => FBinOp::Min,
                _ => FBinOp::Max,
            };
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, Rm::Rne, a, b);
            cx.set_f(i.rd, prec, v);
        }
        FeqS | FltS | FleS | FeqD | FltD | FleD | FeqH | FltH | FleH => {
            let op = match i.op {
                FeqS | FeqD | FeqH => FBinOp::Eq,
                FltS | FltD | FltH => FBinOp::Lt,
                _ => FBinOp::Le,
            };
            let (a, b) = (cx.f(i.rs1, prec), cx.f(i.rs2, prec));
            let v = cx.b.fbinary(op, prec, Rm::Rne, a, b);
            cx.set_x(i.rd, v);
        }
        FclassS | FclassD | FclassH => {
            let a = cx.f(i.rs1, prec);
            let v = cx.b.funary(FUnOp::Class, prec, Rm::Rne, a);
            cx.set_x(i.rd, v);
        }
        FmvXW => {
            let raw = cx.f_raw(i.rs1);
            let v = cx.b.unary(UnOp::SextW, raw);
            cx.set_x(i.rd, v);
        }
        FmvXH => {
            let raw = cx.f_raw(i.rs1);
            let v = cx.b.unary(UnOp::SextH, raw);
            cx.set_x(i.rd, v);
        }
        FmvHX => {
            let x = cx.x(i.rs1);
            let v = cx.b.unary(UnOp::NanBoxH, x);
            cx.b.set(ferrovm_ir::Reg::f(i.rd), v);
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
        FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD | FcvtWH | FcvtWuH | FcvtLH
        | FcvtLuH => {
            let op = match i.op {
                FcvtWH => CvtOp::WH,
                FcvtWuH => CvtOp::WuH,
                FcvtLH => CvtOp::LH,
                FcvtLuH => CvtOp::LuH,
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
        FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FcvtDW | FcvtDWu | FcvtDL | FcvtDLu | FcvtHW | FcvtHWu | FcvtHL
        | FcvtHLu => {
            let op = match i.op {
                FcvtHW => CvtOp::HW,
                FcvtHWu => CvtOp::HWu,
                FcvtHL => CvtOp::HL,
                FcvtHLu => CvtOp::HLu,
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
        FcvtSH | FcvtHS | FcvtDH | FcvtHD => {
            let (op, from, to) = match i.op {
                FcvtSH => (CvtOp::SH, Prec::H, Prec::S),
                FcvtHS => (CvtOp::HS, Prec::S, Prec::H),
                FcvtDH => (CvtOp::DH, Prec::H, Prec::D),
                _ => (CvtOp::HD, Prec::D, Prec::H),
            };
            let rm = cx.rm(i)?;
            let a = cx.f(i.rs1, from);
            let v = cx.b.fcvt(op, rm, a);
            cx.set_f(i.rd, to, v);
        }
        _ => return None,
    }
    Some(Flow::Next)
}
