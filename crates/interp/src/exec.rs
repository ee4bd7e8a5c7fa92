//! Executing a lowered block.

use ferrovm_ir::vector::{self, VMemory, VTrap};
use ferrovm_ir::{Cpu, FenceKind, MemSize, Rm, csr, eval, fp};
use ferrovm_mem::{AddressSpace, AtomicWidth, Fault};

use crate::lower::{IOp, ITerm, Lowered, MAX_SLOTS, Site};

/// Why a block stopped. On every exit `cpu.pc` is the guest pc to report or
/// resume at, and `cpu.instret` counts the instructions that completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockExit {
    /// The block ended normally; continue at `cpu.pc`.
    Continue,
    /// `ecall` at `cpu.pc`; resume at `cpu.pc + 4` after handling it.
    Ecall,
    /// `ebreak` at `cpu.pc`.
    Ebreak,
    /// Illegal instruction at `cpu.pc` (raw bits if the lifter knew them).
    Illegal {
        /// The instruction bits (0 when not known, e.g. a bad dynamic `frm`).
        bits: u32,
    },
    /// `fence.i` at `cpu.pc - 4`… resume at `cpu.pc`; translations may be stale.
    FenceI,
    /// A memory fault in the instruction at `cpu.pc`.
    Fault(Fault),
}

/// The interpreter's frame: one value per slot.
pub type Frame = [u64; MAX_SLOTS];

/// The width of an atomic access of `size` (the lifter only makes `.w` and
/// `.d` ones).
fn width(size: MemSize) -> AtomicWidth {
    if size == MemSize::W { AtomicWidth::Word } else { AtomicWidth::Double }
}

#[inline]
fn resolve(rm: Rm, cpu: &Cpu) -> Rm {
    match rm {
        // CheckFrm ran before any dynamic op, so frm is valid here.
        Rm::Dyn => Rm::from_bits(cpu.frm as u8).unwrap_or(Rm::Rne),
        r => r,
    }
}

#[inline]
fn load(mem: &AddressSpace, addr: u64, size: MemSize) -> Result<u64, Fault> {
    match size {
        MemSize::B => mem.load_u8(addr).map(u64::from),
        MemSize::H => mem.load_u16(addr).map(u64::from),
        MemSize::W => mem.load_u32(addr).map(u64::from),
        MemSize::D => mem.load_u64(addr),
    }
}

#[inline]
fn store(mem: &AddressSpace, addr: u64, value: u64, size: MemSize) -> Result<(), Fault> {
    match size {
        MemSize::B => mem.store_u8(addr, value as u8),
        MemSize::H => mem.store_u16(addr, value as u16),
        MemSize::W => mem.store_u32(addr, value as u32),
        MemSize::D => mem.store_u64(addr, value),
    }
}

/// Guest memory for the vector unit: the address space's checked accessors.
pub struct VecMem<'a>(pub &'a AddressSpace);

impl VMemory for VecMem<'_> {
    type Fault = Fault;

    fn load(&mut self, addr: u64, size: usize) -> Result<u64, Fault> {
        load(self.0, addr, mem_size(size))
    }

    fn store(&mut self, addr: u64, size: usize, value: u64) -> Result<(), Fault> {
        store(self.0, addr, value, mem_size(size))
    }
}

fn mem_size(bytes: usize) -> MemSize {
    match bytes {
        1 => MemSize::B,
        2 => MemSize::H,
        4 => MemSize::W,
        _ => MemSize::D,
    }
}

#[cold]
fn fault_at(cpu: &mut Cpu, site: Site, fault: Fault) -> BlockExit {
    cpu.pc = site.pc;
    cpu.instret += u64::from(site.retired);
    BlockExit::Fault(fault)
}

fn site_of(block: &Lowered, id: u16) -> Site {
    block.sites.get(usize::from(id)).copied().unwrap_or(Site { pc: block.start, retired: 0 })
}

/// How an instruction touches memory, as told to an [`Observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemAccess {
    /// A load (or `lr`).
    Read,
    /// A store (or `sc`, whether it succeeds or not).
    Write,
    /// An AMO: read and written.
    ReadWrite,
}

/// Sees every guest memory access of a block before it is made (the
/// debugger's watchpoints, the embedding API's memory hooks). The access
/// goes ahead whatever the observer does; it notes what it wants to report.
pub trait Observer {
    /// Whether it looks at all: when `false` the calls and the computing
    /// of their arguments are compiled out.
    const ACTIVE: bool = true;

    /// `size` bytes at `addr` are about to be accessed.
    fn access(&mut self, addr: u64, size: u8, kind: MemAccess);
}

/// The observer that sees nothing: [`execute`] runs with it, so the
/// observed path costs the normal one nothing (it is compiled away).
impl Observer for () {
    const ACTIVE: bool = false;

    #[inline(always)]
    fn access(&mut self, _: u64, _: u8, _: MemAccess) {}
}

/// Runs one block against `cpu` and `mem`.
#[inline(never)]
pub fn execute(block: &Lowered, cpu: &mut Cpu, mem: &AddressSpace, f: &mut Frame) -> BlockExit {
    run(block, cpu, mem, f, &mut ())
}

/// Runs one block like [`execute`], telling `observer` of every memory
/// access before it is made.
#[inline(never)]
pub fn execute_observed(
    block: &Lowered,
    cpu: &mut Cpu,
    mem: &AddressSpace,
    f: &mut Frame,
    observer: &mut impl Observer,
) -> BlockExit {
    run(block, cpu, mem, f, observer)
}

#[inline(always)]
fn run<O: Observer>(block: &Lowered, cpu: &mut Cpu, mem: &AddressSpace, f: &mut Frame, observer: &mut O) -> BlockExit {
    macro_rules! r {
        ($s:expr) => {
            f[usize::from($s)]
        };
    }
    macro_rules! try_mem {
        ($e:expr, $site:expr) => {
            match $e {
                Ok(v) => v,
                Err(fault) => return fault_at(cpu, site_of(block, $site), fault),
            }
        };
    }
    for op in block.ops.iter() {
        match *op {
            IOp::Const { d, v } => r!(d) = v,
            IOp::Copy { d, s } => r!(d) = r!(s),
            IOp::Get { d, r } => r!(d) = cpu.regs[usize::from(r & 63)],
            IOp::Set { r, s } => cpu.regs[usize::from(r & 63)] = r!(s),
            IOp::Add { d, a, b } => r!(d) = r!(a).wrapping_add(r!(b)),
            IOp::AddI { d, a, i } => r!(d) = r!(a).wrapping_add(i),
            IOp::AddW { d, a, b } => r!(d) = r!(a).wrapping_add(r!(b)) as i32 as i64 as u64,
            IOp::AddWI { d, a, i } => r!(d) = r!(a).wrapping_add(i) as i32 as i64 as u64,
            IOp::Sub { d, a, b } => r!(d) = r!(a).wrapping_sub(r!(b)),
            IOp::And { d, a, b } => r!(d) = r!(a) & r!(b),
            IOp::AndI { d, a, i } => r!(d) = r!(a) & i,
            IOp::Or { d, a, b } => r!(d) = r!(a) | r!(b),
            IOp::OrI { d, a, i } => r!(d) = r!(a) | i,
            IOp::Xor { d, a, b } => r!(d) = r!(a) ^ r!(b),
            IOp::XorI { d, a, i } => r!(d) = r!(a) ^ i,
            IOp::ShlI { d, a, i } => r!(d) = r!(a) << (i & 63),
            IOp::ShrI { d, a, i } => r!(d) = r!(a) >> (i & 63),
            IOp::SarI { d, a, i } => r!(d) = ((r!(a) as i64) >> (i & 63)) as u64,
            IOp::Lt { d, a, b } => r!(d) = u64::from((r!(a) as i64) < (r!(b) as i64)),
            IOp::LtU { d, a, b } => r!(d) = u64::from(r!(a) < r!(b)),
            IOp::Eq { d, a, b } => r!(d) = u64::from(r!(a) == r!(b)),
            IOp::Ne { d, a, b } => r!(d) = u64::from(r!(a) != r!(b)),
            IOp::Bin { op, d, a, b } => r!(d) = eval::binary(op, r!(a), r!(b)),
            IOp::BinI { op, d, a, i } => r!(d) = eval::binary(op, r!(a), i),
            IOp::Un { op, d, s } => r!(d) = eval::unary(op, r!(s)),
            IOp::Select { d, c, a, b } => r!(d) = if r!(c) != 0 { r!(a) } else { r!(b) },
            IOp::Load { d, a, off, size, signed, site } => {
                let addr = r!(a).wrapping_add(off as i64 as u64);
                if O::ACTIVE {
                    observer.access(addr, size.bytes() as u8, MemAccess::Read);
                }
                let v = try_mem!(load(mem, addr, size), site);
                r!(d) = eval::extend(v, size, signed);
            }
            IOp::Store { a, off, s, size, site } => {
                let addr = r!(a).wrapping_add(off as i64 as u64);
                if O::ACTIVE {
                    observer.access(addr, size.bytes() as u8, MemAccess::Write);
                }
                try_mem!(store(mem, addr, r!(s), size), site);
            }
            IOp::Lr { d, a, size, order, site } => {
                let addr = r!(a);
                if O::ACTIVE {
                    observer.access(addr, size.bytes() as u8, MemAccess::Read);
                }
                let v = try_mem!(mem.load_reserved(addr, width(size), order.host()), site);
                cpu.reserve(addr, v);
                r!(d) = v;
            }
            IOp::Sc { d, a, s, size, order, site } => {
                let addr = r!(a);
                if O::ACTIVE {
                    observer.access(addr, size.bytes() as u8, MemAccess::Write);
                }
                let reserved = cpu.take_reservation(addr);
                let ok = try_mem!(mem.store_conditional(addr, width(size), reserved, r!(s), order.host()), site);
                r!(d) = u64::from(!ok);
            }
            IOp::Amo { op, d, a, s, size, order, site } => {
                let addr = r!(a);
                if O::ACTIVE {
                    observer.access(addr, size.bytes() as u8, MemAccess::ReadWrite);
                }
                r!(d) = try_mem!(mem.amo(amo_op(op), addr, width(size), r!(s), order.host()), site);
            }
            IOp::Fence { kind } => match kind {
                FenceKind::Full => std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst),
                // No instruction on x86-64; keeps the compiler from
                // reordering the accesses around it.
                FenceKind::Tso => std::sync::atomic::fence(std::sync::atomic::Ordering::AcqRel),
            },
            IOp::FUn { op, prec, rm, d, s } => {
                let (v, flags) = fp::unary(op, prec, resolve(rm, cpu), r!(s));
                cpu.fflags |= u64::from(flags);
                r!(d) = v;
            }
            IOp::FBin { op, prec, rm, d, a, b } => {
                let (v, flags) = fp::binary(op, prec, resolve(rm, cpu), r!(a), r!(b));
                cpu.fflags |= u64::from(flags);
                r!(d) = v;
            }
            IOp::FTern { op, prec, rm, d, a, b, c } => {
                let (v, flags) = fp::ternary(op, prec, resolve(rm, cpu), r!(a), r!(b), r!(c));
                cpu.fflags |= u64::from(flags);
                r!(d) = v;
            }
            IOp::FCvt { op, rm, d, s } => {
                let (v, flags) = fp::convert(op, resolve(rm, cpu), r!(s));
                cpu.fflags |= u64::from(flags);
                r!(d) = v;
            }
            IOp::CheckFrm { site } => {
                if cpu.frm > 4 {
                    let site = site_of(block, site);
                    cpu.pc = site.pc;
                    cpu.instret += u64::from(site.retired);
                    return BlockExit::Illegal { bits: 0 };
                }
            }
            IOp::CsrR { d, csr } => r!(d) = csr::read(cpu, csr),
            IOp::CsrW { csr, s } => csr::write(cpu, csr, r!(s)),
            IOp::Vector { inst, d, a, b, site } => match vector::execute(cpu, inst, r!(a), r!(b), &mut VecMem(mem)) {
                Ok(v) => r!(d) = v,
                Err(VTrap::Fault(fault)) => return fault_at(cpu, site_of(block, site), fault),
                Err(VTrap::Illegal) => {
                    let site = site_of(block, site);
                    cpu.pc = site.pc;
                    cpu.instret += u64::from(site.retired);
                    return BlockExit::Illegal { bits: 0 };
                }
            },
        }
    }
    cpu.instret += u64::from(block.insns);
    match block.term {
        ITerm::Jump { target } => {
            cpu.pc = target;
            BlockExit::Continue
        }
        ITerm::Branch { c, taken, fallthrough } => {
            cpu.pc = if r!(c) != 0 { taken } else { fallthrough };
            BlockExit::Continue
        }
        ITerm::Indirect { t, .. } => {
            cpu.pc = r!(t);
            BlockExit::Continue
        }
        ITerm::Ecall { pc } => {
            cpu.pc = pc;
            BlockExit::Ecall
        }
        ITerm::Ebreak { pc } => {
            // The ebreak itself does not retire.
            cpu.instret -= 1;
            cpu.pc = pc;
            BlockExit::Ebreak
        }
        ITerm::Illegal { pc, bits } => {
            cpu.instret -= 1;
            cpu.pc = pc;
            BlockExit::Illegal { bits }
        }
        ITerm::FenceI { next, .. } => {
            cpu.pc = next;
            BlockExit::FenceI
        }
    }
}

/// The address space's name for AMO `op` (both lists are in `funct5`
/// order).
pub(crate) fn amo_op(op: ferrovm_ir::AmoOp) -> ferrovm_mem::AmoOp {
    ferrovm_mem::AmoOp::ALL[op as usize % ferrovm_mem::AmoOp::ALL.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amo_ops_convert_by_index() {
        use ferrovm_ir::AmoOp as I;
        use ferrovm_mem::AmoOp as M;
        let pairs = [
            (I::Swap, M::Swap),
            (I::Add, M::Add),
            (I::Xor, M::Xor),
            (I::And, M::And),
            (I::Or, M::Or),
            (I::Min, M::Min),
            (I::Max, M::Max),
            (I::MinU, M::Minu),
            (I::MaxU, M::Maxu),
        ];
        assert_eq!(pairs.len(), I::ALL.len());
        for (i, m) in pairs {
            assert_eq!(amo_op(i), m);
        }
    }
}
