//! RV64I base instructions and Zifencei (spec chapters 2, 4 and 6).

use ferrovm_ir::{BinOp, FenceKind, IndirectHint, MemSize, Terminator};

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

/// `x1` (`ra`) and `x5` (`t0`) are the link registers for return-address
/// prediction (spec §2.5, Table 2.1).
fn is_link(r: u8) -> bool {
    r == 1 || r == 5
}

pub(crate) fn lift(cx: &mut Ctx, i: &Inst, pc: u64) -> Option<Flow> {
    use Opcode::*;
    let next = pc.wrapping_add(u64::from(i.len));
    let imm = i.imm;
    match i.op {
        Lui => {
            let v = cx.imm(imm);
            cx.set_x(i.rd, v);
        }
        Auipc => {
            let v = cx.imm(pc.wrapping_add(imm as u64) as i64);
            cx.set_x(i.rd, v);
        }
        Jal => {
            let link = cx.imm(next as i64);
            cx.set_x(i.rd, link);
            return Some(Flow::End(Terminator::Jump { target: pc.wrapping_add(imm as u64) }));
        }
        Jalr => {
            // The target is computed before rd is written (rd may be rs1).
            let base = cx.x(i.rs1);
            let sum = cx.b.binary_imm(BinOp::Add, base, imm as u64);
            let target = cx.b.binary_imm(BinOp::And, sum, !1);
            let link = cx.imm(next as i64);
            cx.set_x(i.rd, link);
            // Spec §2.5 Table 2.1: push on rd = link, pop on rs1 = link, rd != link.
            let hint = if is_link(i.rd) {
                IndirectHint::Call
            } else if is_link(i.rs1) {
                IndirectHint::Return
            } else {
                IndirectHint::None
            };
            return Some(Flow::End(Terminator::JumpIndirect { target, hint }));
        }
        Beq | Bne | Blt | Bge | Bltu | Bgeu => {
            let op = match i.op {
                Beq => BinOp::Eq,
                Bne => BinOp::Ne,
                Blt => BinOp::Lt,
                Bge => BinOp::Ge,
                Bltu => BinOp::LtU,
                _ => BinOp::GeU,
            };
            let (a, b) = (cx.x(i.rs1), cx.x(i.rs2));
            let cond = cx.b.binary(op, a, b);
            let taken = pc.wrapping_add(imm as u64);
            return Some(Flow::End(Terminator::Branch { cond, taken, fallthrough: next }));
        }
        Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => {
            let (size, signed) = match i.op {
                Lb => (MemSize::B, true),
                Lh => (MemSize::H, true),
                Lw => (MemSize::W, true),
                Ld => (MemSize::D, true),
                Lbu => (MemSize::B, false),
                Lhu => (MemSize::H, false),
                _ => (MemSize::W, false),
            };
            let base = cx.x(i.rs1);
            let v = cx.b.load(base, imm as i32, size, signed);
            cx.set_x(i.rd, v);
        }
        Sb | Sh | Sw | Sd => {
            let size = match i.op {
                Sb => MemSize::B,
                Sh => MemSize::H,
                Sw => MemSize::W,
                _ => MemSize::D,
            };
            let (base, src) = (cx.x(i.rs1), cx.x(i.rs2));
            cx.b.store(base, imm as i32, src, size);
        }
        Addi | Slti | Sltiu | Xori | Ori | Andi | Slli | Srli | Srai | Addiw | Slliw | Srliw | Sraiw => {
            let op = match i.op {
                Addi => BinOp::Add,
                Slti => BinOp::Lt,
                Sltiu => BinOp::LtU,
                Xori => BinOp::Xor,
                Ori => BinOp::Or,
                Andi => BinOp::And,
                Slli => BinOp::Shl,
                Srli => BinOp::Shr,
                Srai => BinOp::Sar,
                Addiw => BinOp::AddW,
                Slliw => BinOp::ShlW,
                Srliw => BinOp::ShrW,
                _ => BinOp::SarW,
            };
            let a = cx.x(i.rs1);
            let v = cx.b.binary_imm(op, a, imm as u64);
            cx.set_x(i.rd, v);
        }
        Add | Sub | Sll | Slt | Sltu | Xor | Srl | Sra | Or | And | Addw | Subw | Sllw | Srlw | Sraw => {
            let op = match i.op {
                Add => BinOp::Add,
                Sub => BinOp::Sub,
                Sll => BinOp::Shl,
                Slt => BinOp::Lt,
                Sltu => BinOp::LtU,
                Xor => BinOp::Xor,
                Srl => BinOp::Shr,
                Sra => BinOp::Sar,
                Or => BinOp::Or,
                And => BinOp::And,
                Addw => BinOp::AddW,
                Subw => BinOp::SubW,
                Sllw => BinOp::ShlW,
                Srlw => BinOp::ShrW,
                _ => BinOp::SarW,
            };
            let (a, b) = (cx.x(i.rs1), cx.x(i.rs2));
            let v = cx.b.binary(op, a, b);
            cx.set_x(i.rd, v);
        }
        Fence => cx.b.fence(fence_kind(imm)),
        Ecall => return Some(Flow::End(Terminator::Ecall { pc })),
        Ebreak => return Some(Flow::End(Terminator::Ebreak { pc })),
        FenceI => return Some(Flow::End(Terminator::FenceI { pc, next })),
        _ => return None,
    }
    Some(Flow::Next)
}

/// What a `fence` with immediate `imm` (`fm[11:8] pred[7:4] succ[3:0]`,
/// each set `i o r w` from bit 3 down) orders. fm = 1000 with pred = succ
/// = RW is `fence.tso` (spec §2.7); any other fm is treated as a normal
/// fence, as the spec requires. A normal fence is [`FenceKind::Full`] only
/// if it orders a store (or output) before a load (or input): everything
/// else TSO already guarantees. Device I/O counts as memory here (a user
/// process has none of its own), hence `o` with `w` and `i` with `r`.
fn fence_kind(imm: i64) -> FenceKind {
    let (fm, pred, succ) = ((imm >> 8) & 0xf, (imm >> 4) & 0xf, imm & 0xf);
    if fm == 0b1000 && pred == 0b0011 && succ == 0b0011 {
        return FenceKind::Tso;
    }
    let (stores_before, loads_after) = (pred & 0b0101 != 0, succ & 0b1010 != 0);
    if stores_before && loads_after { FenceKind::Full } else { FenceKind::Tso }
}
