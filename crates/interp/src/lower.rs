//! Lowering an IR block to the interpreter's compact form.
//!
//! The IR is built for passes; the interpreter wants fewer, cheaper
//! dispatches. Lowering:
//! - folds constant operands into immediate forms (`addi`-like ops), so most
//!   `const` ops disappear;
//! - gives the most frequent integer ops their own variants, so executing
//!   them is one dispatch, not two;
//! - drops `mark`s into a side table ([`Site`]) consulted only when an op
//!   faults, which is how faults get their precise pc and instruction count;
//! - renumbers temporaries into at most [`MAX_SLOTS`] frame slots, reusing a
//!   slot once its value is dead, so the frame is a small fixed array indexed
//!   by `u8` (no bounds checks, no allocation).

use ferrovm_ir::{
    BinOp, Block, CvtOp, FBinOp, FTernOp, FUnOp, FenceKind, IndirectHint, MemSize, Op, Ordering, Prec, Rm, Temp,
    Terminator, UnOp,
};

/// Number of frame slots; a block needing more is rejected by [`lower`].
pub const MAX_SLOTS: usize = 256;

/// A frame slot.
pub type Slot = u8;

/// Where a potentially faulting op sits in guest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    /// Address of the guest instruction.
    pub pc: u64,
    /// Instructions of the block retired before it.
    pub retired: u32,
}

/// Index into [`Lowered::sites`].
pub type SiteId = u16;

/// The interpreter's op. See [`Op`] for the semantics of each kind.
#[derive(Clone, Copy, Debug)]
#[expect(missing_docs, reason = "each variant mirrors an IR op documented in ferrovm_ir::Op")]
pub enum IOp {
    Const { d: Slot, v: u64 },
    Copy { d: Slot, s: Slot },
    Get { d: Slot, r: u8 },
    Set { r: u8, s: Slot },
    Add { d: Slot, a: Slot, b: Slot },
    AddI { d: Slot, a: Slot, i: u64 },
    AddW { d: Slot, a: Slot, b: Slot },
    AddWI { d: Slot, a: Slot, i: u64 },
    Sub { d: Slot, a: Slot, b: Slot },
    And { d: Slot, a: Slot, b: Slot },
    AndI { d: Slot, a: Slot, i: u64 },
    Or { d: Slot, a: Slot, b: Slot },
    OrI { d: Slot, a: Slot, i: u64 },
    Xor { d: Slot, a: Slot, b: Slot },
    XorI { d: Slot, a: Slot, i: u64 },
    ShlI { d: Slot, a: Slot, i: u8 },
    ShrI { d: Slot, a: Slot, i: u8 },
    SarI { d: Slot, a: Slot, i: u8 },
    LtU { d: Slot, a: Slot, b: Slot },
    Lt { d: Slot, a: Slot, b: Slot },
    Eq { d: Slot, a: Slot, b: Slot },
    Ne { d: Slot, a: Slot, b: Slot },
    Bin { op: BinOp, d: Slot, a: Slot, b: Slot },
    BinI { op: BinOp, d: Slot, a: Slot, i: u64 },
    Un { op: UnOp, d: Slot, s: Slot },
    Select { d: Slot, c: Slot, a: Slot, b: Slot },
    Load { d: Slot, a: Slot, off: i32, size: MemSize, signed: bool, site: SiteId },
    Store { a: Slot, off: i32, s: Slot, size: MemSize, site: SiteId },
    Lr { d: Slot, a: Slot, size: MemSize, order: Ordering, site: SiteId },
    Sc { d: Slot, a: Slot, s: Slot, size: MemSize, order: Ordering, site: SiteId },
    Amo { op: ferrovm_ir::AmoOp, d: Slot, a: Slot, s: Slot, size: MemSize, order: Ordering, site: SiteId },
    Fence { kind: FenceKind },
    FUn { op: FUnOp, prec: Prec, rm: Rm, d: Slot, s: Slot },
    FBin { op: FBinOp, prec: Prec, rm: Rm, d: Slot, a: Slot, b: Slot },
    FTern { op: FTernOp, prec: Prec, rm: Rm, d: Slot, a: Slot, b: Slot, c: Slot },
    FCvt { op: CvtOp, rm: Rm, d: Slot, s: Slot },
    CheckFrm { site: SiteId },
    CsrR { d: Slot, csr: u16 },
    CsrW { csr: u16, s: Slot },
    Vector { inst: ferrovm_ir::vector::VInst, d: Slot, a: Slot, b: Slot, site: SiteId },
}

/// How a lowered block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "mirrors ferrovm_ir::Terminator")]
pub enum ITerm {
    Jump { target: u64 },
    Branch { c: Slot, taken: u64, fallthrough: u64 },
    Indirect { t: Slot, hint: IndirectHint },
    Ecall { pc: u64 },
    Ebreak { pc: u64 },
    Illegal { pc: u64, bits: u32 },
    FenceI { pc: u64, next: u64 },
}

/// A block ready for the interpreter.
#[derive(Clone, Debug)]
pub struct Lowered {
    /// Guest address of the first instruction.
    pub start: u64,
    /// Guest address past the last instruction.
    pub end: u64,
    /// The ops.
    pub ops: Box<[IOp]>,
    /// Fault sites, indexed by the ops' `site` fields.
    pub sites: Box<[Site]>,
    /// The terminator.
    pub term: ITerm,
    /// Guest instructions in the block.
    pub insns: u32,
}

/// Why a block could not be lowered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LowerError {
    /// More values are live at once than the frame has slots.
    #[error("block needs more than {MAX_SLOTS} live values")]
    TooManyLive,
    /// More fault sites than a `SiteId` can name.
    #[error("block has too many faulting ops")]
    TooManySites,
    /// An op used a temporary that was never defined (the verifier rejects
    /// such blocks; this keeps lowering total).
    #[error("temporary {0} used before definition")]
    Undefined(Temp),
}

/// Slot allocation: a temporary's slot is freed after its last use; in a
/// block with at most [`MAX_SLOTS`] temporaries (unoptimized cold blocks,
/// lowered to run once or twice), each temporary's slot is its number,
/// which costs no bookkeeping per operand.
struct Slots {
    identity: bool,
    of: Vec<Option<Slot>>,
    remaining_uses: Vec<u32>,
    /// Slots freed, reused last-freed first.
    free: Vec<Slot>,
    /// Slots never handed out start here (at most [`MAX_SLOTS`]).
    fresh: usize,
}

impl Slots {
    /// The slot of an operand; frees it after its last use. Frees happen
    /// after all operands of an op are read and before its result is
    /// allocated, so a result may reuse an operand's slot — safe because every
    /// op reads all operands before writing its result.
    fn use_(&mut self, t: Temp, dying: &mut Vec<Slot>) -> Result<Slot, LowerError> {
        let slot = self.of.get(t.index()).copied().flatten().ok_or(LowerError::Undefined(t))?;
        if self.identity {
            return Ok(slot);
        }
        if let Some(n) = self.remaining_uses.get_mut(t.index()) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                dying.push(slot);
            }
        }
        Ok(slot)
    }

    fn def(&mut self, t: Temp) -> Result<Slot, LowerError> {
        if self.identity {
            let slot = Slot::try_from(t.index()).map_err(|_| LowerError::TooManyLive)?;
            if let Some(s) = self.of.get_mut(t.index()) {
                *s = Some(slot);
            }
            return Ok(slot);
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = Slot::try_from(self.fresh).map_err(|_| LowerError::TooManyLive)?;
                self.fresh += 1;
                slot
            }
        };
        if let Some(s) = self.of.get_mut(t.index()) {
            *s = Some(slot);
        }
        // A result nobody reads frees its slot right away.
        if self.remaining_uses.get(t.index()).copied().unwrap_or(0) == 0 {
            self.free.push(slot);
        }
        Ok(slot)
    }
}

fn shift_imm(op: BinOp, d: Slot, a: Slot, i: u64) -> Option<IOp> {
    let i = (i & 63) as u8;
    match op {
        BinOp::Shl => Some(IOp::ShlI { d, a, i }),
        BinOp::Shr => Some(IOp::ShrI { d, a, i }),
        BinOp::Sar => Some(IOp::SarI { d, a, i }),
        _ => None,
    }
}

fn is_commutative(op: BinOp) -> bool {
    use BinOp::*;
    matches!(
        op,
        Add | And
            | Or
            | Xor
            | Mul
            | MulH
            | MulHU
            | Eq
            | Ne
            | AddW
            | MulW
            | XNor
            | Min
            | MinU
            | Max
            | MaxU
            | Clmul
            | ClmulH
    )
}

/// The tables [`lower`] fills for each block, kept per thread so that
/// lowering a block allocates only what the [`Lowered`] block keeps (a
/// cold block is lowered to run once or twice: its allocations showed in
/// profiles of cold code).
#[derive(Default)]
struct Scratch {
    konst: Vec<Option<u64>>,
    uses: Vec<u32>,
    of: Vec<Option<Slot>>,
    free: Vec<Slot>,
    dying: Vec<Slot>,
    ops: Vec<IOp>,
    sites: Vec<Site>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Lowers an (optimized, verified) IR block.
pub fn lower(block: &Block) -> Result<Lowered, LowerError> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => lower_with(block, &mut scratch),
        Err(_) => lower_with(block, &mut Scratch::default()),
    })
}

fn lower_with(block: &Block, scratch: &mut Scratch) -> Result<Lowered, LowerError> {
    let n = block.num_temps as usize;
    // Constants: which temps hold one, and how many uses need them in a
    // slot (an immediate-folded operand does not count). One pass: in SSA
    // form every operand's definition comes before its use.
    let mut konst = std::mem::take(&mut scratch.konst);
    konst.clear();
    konst.resize(n, None);
    let mut uses = std::mem::take(&mut scratch.uses);
    uses.clear();
    uses.resize(n, 0);
    let k = |konst: &[Option<u64>], t: Temp| konst.get(t.index()).copied().flatten();
    let folds = |konst: &[Option<u64>], op: &Op| match *op {
        Op::Binary { op, a, b, .. } => {
            let (ka, kb) = (k(konst, a).is_some(), k(konst, b).is_some());
            (ka && !kb && is_commutative(op), kb && !ka)
        }
        _ => (false, false),
    };
    for op in &block.ops {
        if let Op::Const { dst, value } = *op
            && let Some(k) = konst.get_mut(dst.index())
        {
            *k = Some(value);
            continue;
        }
        let (fa, fb) = folds(&konst, op);
        let mut n = 0;
        op.for_each_use(|t| {
            let folded = (n == 0 && fa) || (n == 1 && fb);
            n += 1;
            if !folded && let Some(u) = uses.get_mut(t.index()) {
                *u += 1;
            }
        });
    }
    block.term.for_each_use(|t| {
        if let Some(u) = uses.get_mut(t.index()) {
            *u += 1;
        }
    });
    let k = |t: Temp| k(&konst, t);
    let folds_a = |op: &Op| folds(&konst, op).0;
    let folds_b = |op: &Op| folds(&konst, op).1;

    let mut of = std::mem::take(&mut scratch.of);
    of.clear();
    of.resize(n, None);
    let mut reuse = std::mem::take(&mut scratch.free);
    reuse.clear();
    let mut slots = Slots { identity: n <= MAX_SLOTS, of, remaining_uses: uses, free: reuse, fresh: 0 };
    let mut ops = std::mem::take(&mut scratch.ops);
    ops.clear();
    let mut sites = std::mem::take(&mut scratch.sites);
    sites.clear();
    let mut site_pc = block.start;
    let mut retired: u32 = 0;
    let mut insns: u32 = 0;
    let mut dying = std::mem::take(&mut scratch.dying);
    let site = |sites: &mut Vec<Site>, pc: u64, retired: u32| -> Result<SiteId, LowerError> {
        if sites.last().is_some_and(|s| s.pc == pc) {
            return Ok((sites.len() - 1) as SiteId);
        }
        let id = SiteId::try_from(sites.len()).map_err(|_| LowerError::TooManySites)?;
        sites.push(Site { pc, retired });
        Ok(id)
    };

    for op in &block.ops {
        dying.clear();
        macro_rules! u {
            ($t:expr) => {
                slots.use_($t, &mut dying)?
            };
        }
        // Operands first (and their frees), then the result.
        let lowered: Option<IOp> = match *op {
            Op::Mark { pc, .. } => {
                site_pc = pc;
                retired = insns;
                insns += 1;
                None
            }
            Op::Const { dst, value } => {
                // Its uses all come after it: none is counted off yet.
                if slots.remaining_uses.get(dst.index()).copied().unwrap_or(0) == 0 {
                    None
                } else {
                    let d = slots.def(dst)?;
                    Some(IOp::Const { d, v: value })
                }
            }
            Op::Copy { dst, src } => {
                let s = u!(src);
                free(&mut slots, &dying);
                Some(IOp::Copy { d: slots.def(dst)?, s })
            }
            Op::GetReg { dst, reg } => Some(IOp::Get { d: slots.def(dst)?, r: reg.0 & 63 }),
            Op::SetReg { reg, src } => {
                let s = u!(src);
                free(&mut slots, &dying);
                Some(IOp::Set { r: reg.0 & 63, s })
            }
            Op::Unary { op, dst, src } => {
                let s = u!(src);
                free(&mut slots, &dying);
                Some(IOp::Un { op, d: slots.def(dst)?, s })
            }
            Op::Binary { op: bop, dst, a, b } => {
                let (fa, fb) = (folds_a(op), folds_b(op));
                if fa || fb {
                    let (reg, imm) = if fb { (a, k(b).unwrap_or(0)) } else { (b, k(a).unwrap_or(0)) };
                    let s = u!(reg);
                    free(&mut slots, &dying);
                    let d = slots.def(dst)?;
                    Some(shift_imm(bop, d, s, imm).unwrap_or(match bop {
                        BinOp::Add => IOp::AddI { d, a: s, i: imm },
                        BinOp::AddW => IOp::AddWI { d, a: s, i: imm },
                        BinOp::And => IOp::AndI { d, a: s, i: imm },
                        BinOp::Or => IOp::OrI { d, a: s, i: imm },
                        BinOp::Xor => IOp::XorI { d, a: s, i: imm },
                        BinOp::Sub => IOp::AddI { d, a: s, i: imm.wrapping_neg() },
                        _ => IOp::BinI { op: bop, d, a: s, i: imm },
                    }))
                } else {
                    let (x, y) = (u!(a), u!(b));
                    free(&mut slots, &dying);
                    let d = slots.def(dst)?;
                    let (a, b) = (x, y);
                    Some(match bop {
                        BinOp::Add => IOp::Add { d, a, b },
                        BinOp::AddW => IOp::AddW { d, a, b },
                        BinOp::Sub => IOp::Sub { d, a, b },
                        BinOp::And => IOp::And { d, a, b },
                        BinOp::Or => IOp::Or { d, a, b },
                        BinOp::Xor => IOp::Xor { d, a, b },
                        BinOp::Lt => IOp::Lt { d, a, b },
                        BinOp::LtU => IOp::LtU { d, a, b },
                        BinOp::Eq => IOp::Eq { d, a, b },
                        BinOp::Ne => IOp::Ne { d, a, b },
                        _ => IOp::Bin { op: bop, d, a, b },
                    })
                }
            }
            Op::Select { dst, cond, a, b } => {
                let (c, x, y) = (u!(cond), u!(a), u!(b));
                free(&mut slots, &dying);
                Some(IOp::Select { d: slots.def(dst)?, c, a: x, b: y })
            }
            Op::Load { dst, addr, offset, size, signed } => {
                let a = u!(addr);
                free(&mut slots, &dying);
                let site = site(&mut sites, site_pc, retired)?;
                Some(IOp::Load { d: slots.def(dst)?, a, off: offset, size, signed, site })
            }
            Op::Store { addr, offset, src, size } => {
                let (a, s) = (u!(addr), u!(src));
                free(&mut slots, &dying);
                Some(IOp::Store { a, off: offset, s, size, site: site(&mut sites, site_pc, retired)? })
            }
            Op::LoadReserved { dst, addr, size, order } => {
                let a = u!(addr);
                free(&mut slots, &dying);
                let site = site(&mut sites, site_pc, retired)?;
                Some(IOp::Lr { d: slots.def(dst)?, a, size, order, site })
            }
            Op::StoreConditional { dst, addr, src, size, order } => {
                let (a, s) = (u!(addr), u!(src));
                free(&mut slots, &dying);
                let site = site(&mut sites, site_pc, retired)?;
                Some(IOp::Sc { d: slots.def(dst)?, a, s, size, order, site })
            }
            Op::Amo { op, dst, addr, src, size, order } => {
                let (a, s) = (u!(addr), u!(src));
                free(&mut slots, &dying);
                let site = site(&mut sites, site_pc, retired)?;
                Some(IOp::Amo { op, d: slots.def(dst)?, a, s, size, order, site })
            }
            Op::Fence { kind } => Some(IOp::Fence { kind }),
            Op::FUnary { op, prec, rm, dst, src } => {
                let s = u!(src);
                free(&mut slots, &dying);
                Some(IOp::FUn { op, prec, rm, d: slots.def(dst)?, s })
            }
            Op::FBinary { op, prec, rm, dst, a, b } => {
                let (x, y) = (u!(a), u!(b));
                free(&mut slots, &dying);
                Some(IOp::FBin { op, prec, rm, d: slots.def(dst)?, a: x, b: y })
            }
            Op::FTernary { op, prec, rm, dst, a, b, c } => {
                let (x, y, z) = (u!(a), u!(b), u!(c));
                free(&mut slots, &dying);
                Some(IOp::FTern { op, prec, rm, d: slots.def(dst)?, a: x, b: y, c: z })
            }
            Op::FCvt { op, rm, dst, src } => {
                let s = u!(src);
                free(&mut slots, &dying);
                Some(IOp::FCvt { op, rm, d: slots.def(dst)?, s })
            }
            Op::CheckFrm => Some(IOp::CheckFrm { site: site(&mut sites, site_pc, retired)? }),
            Op::CsrRead { dst, csr } => Some(IOp::CsrR { d: slots.def(dst)?, csr }),
            Op::CsrWrite { csr, src } => {
                let s = u!(src);
                free(&mut slots, &dying);
                Some(IOp::CsrW { csr, s })
            }
            Op::Vector { inst, dst, a, b } => {
                let (x, y) = (u!(a), u!(b));
                free(&mut slots, &dying);
                let site = site(&mut sites, site_pc, retired)?;
                Some(IOp::Vector { inst, d: slots.def(dst)?, a: x, b: y, site })
            }
        };
        if let Some(iop) = lowered {
            ops.push(iop);
        }
    }
    dying.clear();
    let term = match block.term {
        Terminator::Jump { target } => ITerm::Jump { target },
        Terminator::Branch { cond, taken, fallthrough } => {
            ITerm::Branch { c: slots.use_(cond, &mut dying)?, taken, fallthrough }
        }
        Terminator::JumpIndirect { target, hint } => ITerm::Indirect { t: slots.use_(target, &mut dying)?, hint },
        Terminator::Ecall { pc } => ITerm::Ecall { pc },
        Terminator::Ebreak { pc } => ITerm::Ebreak { pc },
        Terminator::Illegal { pc, bits } => ITerm::Illegal { pc, bits },
        Terminator::FenceI { pc, next } => ITerm::FenceI { pc, next },
    };
    let lowered =
        Lowered { start: block.start, end: block.end, ops: ops[..].into(), sites: sites[..].into(), term, insns };
    // The tables go back for the next block (not after a failure: then
    // the next block makes new ones).
    *scratch = Scratch { konst, uses: slots.remaining_uses, of: slots.of, free: slots.free, dying, ops, sites };
    Ok(lowered)
}

fn free(slots: &mut Slots, dying: &[Slot]) {
    slots.free.extend_from_slice(dying);
}
