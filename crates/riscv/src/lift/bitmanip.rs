//! Zba, Zbb, Zbc and Zbs (bit-manipulation spec 1.0.0, chapter 2), Zbkb and
//! Zbkx (scalar cryptography 1.0.1, chapter 2), and Zicond 1.0.

use ferrovm_ir::{BinOp, UnOp};

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Flow {
    use Opcode::*;
    let unary = match i.op {
        Clz => Some(UnOp::Clz),
        Ctz => Some(UnOp::Ctz),
        Cpop => Some(UnOp::Cpop),
        Clzw => Some(UnOp::ClzW),
        Ctzw => Some(UnOp::CtzW),
        Cpopw => Some(UnOp::CpopW),
        SextB => Some(UnOp::SextB),
        SextH => Some(UnOp::SextH),
        ZextH => Some(UnOp::ZextH),
        OrcB => Some(UnOp::OrcB),
        Rev8 => Some(UnOp::Rev8),
        Brev8 => Some(UnOp::Brev8),
        _ => None,
    };
    if let Some(op) = unary {
        let a = cx.x(i.rs1);
        let v = cx.b.unary(op, a);
        cx.set_x(i.rd, v);
        return Flow::Next;
    }
    let a = cx.x(i.rs1);
    let v = match i.op {
        // Zicond: czero.eqz rd = rs2 == 0 ? 0 : rs1; czero.nez rd = rs2 != 0 ? 0 : rs1.
        CzeroEqz | CzeroNez => {
            let cond = cx.x(i.rs2);
            let zero = cx.imm(0);
            if i.op == CzeroEqz { cx.b.select(cond, a, zero) } else { cx.b.select(cond, zero, a) }
        }
        // rd = rs2 + (zext32(rs1) << n) / rd = rs2 + (rs1 << n).
        AddUw | Sh1add | Sh2add | Sh3add | Sh1addUw | Sh2addUw | Sh3addUw => {
            let shift = match i.op {
                AddUw => 0,
                Sh1add | Sh1addUw => 1,
                Sh2add | Sh2addUw => 2,
                _ => 3,
            };
            let base =
                if matches!(i.op, AddUw | Sh1addUw | Sh2addUw | Sh3addUw) { cx.b.unary(UnOp::ZextW, a) } else { a };
            let scaled = if shift == 0 { base } else { cx.b.binary_imm(BinOp::Shl, base, shift) };
            let b = cx.x(i.rs2);
            cx.b.binary(BinOp::Add, scaled, b)
        }
        SlliUw => {
            let z = cx.b.unary(UnOp::ZextW, a);
            cx.b.binary_imm(BinOp::Shl, z, i.imm as u64)
        }
        Rori | Roriw | Bclri | Bexti | Binvi | Bseti => {
            let op = match i.op {
                Rori => BinOp::Ror,
                Roriw => BinOp::RorW,
                Bclri => BinOp::Bclr,
                Bexti => BinOp::Bext,
                Binvi => BinOp::Binv,
                _ => BinOp::Bset,
            };
            cx.b.binary_imm(op, a, i.imm as u64)
        }
        op => {
            let op = match op {
                Andn => BinOp::AndN,
                Orn => BinOp::OrN,
                Xnor => BinOp::XNor,
                Max => BinOp::Max,
                Maxu => BinOp::MaxU,
                Min => BinOp::Min,
                Minu => BinOp::MinU,
                Rol => BinOp::Rol,
                Ror => BinOp::Ror,
                Rolw => BinOp::RolW,
                Rorw => BinOp::RorW,
                Clmul => BinOp::Clmul,
                Clmulh => BinOp::ClmulH,
                Clmulr => BinOp::ClmulR,
                Bclr => BinOp::Bclr,
                Bext => BinOp::Bext,
                Binv => BinOp::Binv,
                Pack => BinOp::Pack,
                Packh => BinOp::PackH,
                Packw => BinOp::PackW,
                Xperm4 => BinOp::Xperm4,
                Xperm8 => BinOp::Xperm8,
                _ => BinOp::Bset,
            };
            let b = cx.x(i.rs2);
            cx.b.binary(op, a, b)
        }
    };
    cx.set_x(i.rd, v);
    Flow::Next
}
