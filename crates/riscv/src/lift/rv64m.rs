//! M extension: multiplication and division (spec chapter 13). Division
//! results for zero divisors and overflow are defined by the IR ops.

use ferrovm_ir::BinOp;

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Flow {
    let op = match i.op {
        Opcode::Mul => BinOp::Mul,
        Opcode::Mulh => BinOp::MulH,
        Opcode::Mulhsu => BinOp::MulHSU,
        Opcode::Mulhu => BinOp::MulHU,
        Opcode::Div => BinOp::Div,
        Opcode::Divu => BinOp::DivU,
        Opcode::Rem => BinOp::Rem,
        Opcode::Remu => BinOp::RemU,
        Opcode::Mulw => BinOp::MulW,
        Opcode::Divw => BinOp::DivW,
        Opcode::Divuw => BinOp::DivUW,
        Opcode::Remw => BinOp::RemW,
        _ => BinOp::RemUW,
    };
    let (a, b) = (cx.x(i.rs1), cx.x(i.rs2));
    let r = cx.b.binary(op, a, b);
    cx.set_x(i.rd, r);
    Flow::Next
}
