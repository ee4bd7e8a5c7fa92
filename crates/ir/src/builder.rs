//! Building blocks op by op.

use crate::block::Block;
use crate::entities::{Reg, Temp};
use crate::op::{
    AmoOp, BinOp, CvtOp, FBinOp, FTernOp, FUnOp, FenceKind, MemSize, Op, Ordering, Prec, Rm, Terminator, UnOp,
};

/// Appends ops to a block under construction, allocating temporaries.
///
/// ```
/// use ferrovm_ir::{BinOp, Builder, Reg, Terminator};
/// let mut b = Builder::new(0x1000);
/// b.mark(0x1000, 4);
/// let a = b.get(Reg::x(10));
/// let one = b.iconst(1);
/// let sum = b.binary(BinOp::Add, a, one);
/// b.set(Reg::x(10), sum);
/// let block = b.finish(Terminator::Jump { target: 0x1004 }, 0x1004);
/// assert_eq!(block.insn_count(), 1);
/// ```
#[derive(Debug)]
pub struct Builder {
    start: u64,
    ops: Vec<Op>,
    next_temp: u32,
}

impl Builder {
    /// Starts a block at guest address `start`.
    pub fn new(start: u64) -> Self {
        Builder { start, ops: Vec::with_capacity(64), next_temp: 0 }
    }

    fn temp(&mut self) -> Temp {
        let t = Temp(self.next_temp);
        self.next_temp += 1;
        t
    }

    fn def(&mut self, make: impl FnOnce(Temp) -> Op) -> Temp {
        let t = self.temp();
        self.ops.push(make(t));
        t
    }

    /// Number of ops so far.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no op was added yet.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Appends a raw op (its temporaries must come from this builder).
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// Marks the start of a guest instruction.
    pub fn mark(&mut self, pc: u64, len: u8) {
        self.ops.push(Op::Mark { pc, len });
    }

    /// A constant.
    pub fn iconst(&mut self, value: u64) -> Temp {
        self.def(|dst| Op::Const { dst, value })
    }

    /// Reads a guest register; `x0` becomes the constant 0.
    pub fn get(&mut self, reg: Reg) -> Temp {
        if reg.is_zero() {
            return self.iconst(0);
        }
        self.def(|dst| Op::GetReg { dst, reg })
    }

    /// Writes a guest register; writes to `x0` are dropped.
    pub fn set(&mut self, reg: Reg, src: Temp) {
        if !reg.is_zero() {
            self.ops.push(Op::SetReg { reg, src });
        }
    }

    /// `op src`.
    pub fn unary(&mut self, op: UnOp, src: Temp) -> Temp {
        self.def(|dst| Op::Unary { op, dst, src })
    }

    /// `a op b`.
    pub fn binary(&mut self, op: BinOp, a: Temp, b: Temp) -> Temp {
        self.def(|dst| Op::Binary { op, dst, a, b })
    }

    /// `a op imm`, with the immediate as a constant temporary.
    pub fn binary_imm(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        let b = self.iconst(imm);
        self.binary(op, a, b)
    }

    /// `cond != 0 ? a : b`.
    pub fn select(&mut self, cond: Temp, a: Temp, b: Temp) -> Temp {
        self.def(|dst| Op::Select { dst, cond, a, b })
    }

    /// A load from `addr + offset`.
    pub fn load(&mut self, addr: Temp, offset: i32, size: MemSize, signed: bool) -> Temp {
        self.def(|dst| Op::Load { dst, addr, offset, size, signed })
    }

    /// A store to `addr + offset`.
    pub fn store(&mut self, addr: Temp, offset: i32, src: Temp, size: MemSize) {
        self.ops.push(Op::Store { addr, offset, src, size });
    }

    /// `lr`.
    pub fn load_reserved(&mut self, addr: Temp, size: MemSize, order: Ordering) -> Temp {
        self.def(|dst| Op::LoadReserved { dst, addr, size, order })
    }

    /// `sc`.
    pub fn store_conditional(&mut self, addr: Temp, src: Temp, size: MemSize, order: Ordering) -> Temp {
        self.def(|dst| Op::StoreConditional { dst, addr, src, size, order })
    }

    /// An AMO.
    pub fn amo(&mut self, op: AmoOp, addr: Temp, src: Temp, size: MemSize, order: Ordering) -> Temp {
        self.def(|dst| Op::Amo { op, dst, addr, src, size, order })
    }

    /// A fence.
    pub fn fence(&mut self, kind: FenceKind) {
        self.ops.push(Op::Fence { kind });
    }

    /// One-operand FP op.
    pub fn funary(&mut self, op: FUnOp, prec: Prec, rm: Rm, src: Temp) -> Temp {
        self.def(|dst| Op::FUnary { op, prec, rm, dst, src })
    }

    /// Two-operand FP op.
    pub fn fbinary(&mut self, op: FBinOp, prec: Prec, rm: Rm, a: Temp, b: Temp) -> Temp {
        self.def(|dst| Op::FBinary { op, prec, rm, dst, a, b })
    }

    /// Fused multiply-add family.
    pub fn fternary(&mut self, op: FTernOp, prec: Prec, rm: Rm, a: Temp, b: Temp, c: Temp) -> Temp {
        self.def(|dst| Op::FTernary { op, prec, rm, dst, a, b, c })
    }

    /// A conversion.
    pub fn fcvt(&mut self, op: CvtOp, rm: Rm, src: Temp) -> Temp {
        self.def(|dst| Op::FCvt { op, rm, dst, src })
    }

    /// Trap if `frm` is reserved.
    pub fn check_frm(&mut self) {
        self.ops.push(Op::CheckFrm);
    }

    /// Reads a CSR.
    pub fn csr_read(&mut self, csr: u16) -> Temp {
        self.def(|dst| Op::CsrRead { dst, csr })
    }

    /// Writes a CSR.
    pub fn csr_write(&mut self, csr: u16, src: Temp) {
        self.ops.push(Op::CsrWrite { csr, src });
    }

    /// A vector instruction with scalar operands `a` and `b`; its scalar
    /// result.
    pub fn vector(&mut self, inst: crate::vector::VInst, a: Temp, b: Temp) -> Temp {
        self.def(|dst| Op::Vector { inst, dst, a, b })
    }

    /// Drops every op from index `len` on (used to abandon a partly lifted
    /// instruction).
    pub fn truncate(&mut self, len: usize) {
        self.ops.truncate(len);
    }

    /// Ends the block with `term`; `end` is the address past its last instruction.
    pub fn finish(self, term: Terminator, end: u64) -> Block {
        Block { start: self.start, end, ops: self.ops, term, num_temps: self.next_temp }
    }
}
