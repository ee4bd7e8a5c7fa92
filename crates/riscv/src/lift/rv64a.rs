//! A extension: LR/SC and AMOs (spec chapter 14). The `aq`/`rl` bits become
//! the op's [`Ordering`]; alignment and permission faults are raised by the
//! memory ops at run time.

use ferrovm_ir::{AmoOp, MemSize, Ordering};

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Option<Flow> {
    use Opcode::*;
    let order = Ordering::from_bits(i.rm & 2 != 0, i.rm & 1 != 0);
    let size = match i.op {
        LrW | ScW | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW => {
            MemSize::W
        }
        _ => MemSize::D,
    };
    let addr = cx.x(i.rs1);
    let result = match i.op {
        LrW | LrD => cx.b.load_reserved(addr, size, order),
        ScW | ScD => {
            let src = cx.x(i.rs2);
            cx.b.store_conditional(addr, src, size, order)
        }
        op => {
            let amo = match op {
                AmoswapW | AmoswapD => AmoOp::Swap,
                AmoaddW | AmoaddD => AmoOp::Add,
                AmoxorW | AmoxorD => AmoOp::Xor,
                AmoandW | AmoandD => AmoOp::And,
                AmoorW | AmoorD => AmoOp::Or,
                AmominW | AmominD => AmoOp::Min,
                AmomaxW | AmomaxD => AmoOp::Max,
                AmominuW | AmominuD => AmoOp::MinU,
                AmomaxuW | AmomaxuD => AmoOp::MaxU,
                _ => return None,
            };
            let src = cx.x(i.rs2);
            cx.b.amo(amo, addr, src, size, order)
        }
    };
    cx.set_x(i.rd, result);
    Some(Flow::Next)
}
