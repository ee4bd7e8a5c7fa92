//! Zicsr: CSR instructions (spec chapter 7). Only the CSRs in
//! [`ferrovm_ir::csr`] exist; anything else, or a write to a read-only CSR, is
//! an illegal instruction. `csrrs`/`csrrc` with `rs1 = x0` (and the immediate
//! forms with `uimm = 0`) do not write, so they may read read-only CSRs.

use ferrovm_ir::{BinOp, csr};

use super::{Ctx, Flow};
use crate::{Ext, Inst, Opcode};

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Option<Flow> {
    use Opcode::*;
    let Ok(number) = u16::try_from(i.imm) else { return None };
    let writes = match i.op {
        Csrrw | Csrrwi => true,
        _ => i.rs1 != 0,
    };
    if !csr::exists(number) || (writes && !csr::writable(number)) || (csr::is_vector(number) && !cx.isa.has(Ext::V)) {
        return None;
    }
    let old = cx.b.csr_read(number);
    let operand = match i.op {
        Csrrwi | Csrrsi | Csrrci => cx.imm(i64::from(i.rs1)),
        _ => cx.x(i.rs1),
    };
    if writes {
        let new = match i.op {
            Csrrw | Csrrwi => operand,
            Csrrs | Csrrsi => cx.b.binary(BinOp::Or, old, operand),
            _ => cx.b.binary(BinOp::AndN, old, operand),
        };
        cx.b.csr_write(number, new);
        if matches!(number, csr::FRM | csr::FCSR) {
            cx.frm_written();
        }
    }
    cx.set_x(i.rd, old);
    Some(Flow::Next)
}
