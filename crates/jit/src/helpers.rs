//! The runtime helper table: `extern "C"` functions compiled code calls for
//! what it does not inline.
//!
//! Compiled code calls a helper through its absolute address (an `iconst`
//! and `call_indirect`, so machine code needs no relocations). Helpers take
//! plain values and pointers, never panic, and reuse the exact code the
//! interpreter runs (`ferrovm_ir::fp`, `ferrovm_ir::csr`, the checked
//! accessors of `ferrovm_mem::AddressSpace`), so both tiers agree to the bit
//! and to the fflag.
//!
//! | helper | arguments | result |
//! |---|---|---|
//! | `lr` | ctx, cpu, addr, size code \| order << 2 | status; value in `ctx.value` |
//! | `sc` | ctx, cpu, addr, src, size code \| order << 2 | status; value in `ctx.value` |
//! | `amo` | ctx, addr, src, size code \| order << 2 \| op << 8 | status; value in `ctx.value` |
//! | `fp_unary`/`fp_binary`/`fp_ternary` | cpu, op \| prec << 8 \| rm << 16, operands | result; accrues `cpu.fflags` |
//! | `fp_convert` | cpu, op \| rm << 16, operand | result; accrues `cpu.fflags` |
//! | `csr_read` / `csr_write` | cpu, csr (, value) | value / nothing |
//! | `int_unary` / `int_binary` | op index, operands | result (rare Zbb/Zbc ops) |
//! | `vector` | ctx, cpu, packed `VInst`, a, b | status ([`ILLEGAL`] too); value in `ctx.value` |
//! | `vector_crypto` | cpu, packed `VInst`, `uimm` | nothing (a crypto instruction compiled code checked) |
//! | `host_crypto::kernel(op)` | `vd`, `vs2`, `vs1` group addresses, `vl / 4` | nothing (AES and SHA-256 rounds on AES-NI/SHA-NI) |
//!
//! Plain loads and stores have no helper: when their inline check fails,
//! compiled code leaves with `exit::SLOW` and the engine interprets the
//! instruction.
//!
//! A status is [`OK`] or [`FAULT`] (the fault is then in `ctx.fault`). An
//! AMO or store-conditional that wrote to a page holding
//! translated code sets a bit of `ctx.exit_request`, so the block's chained
//! exits return to the dispatcher, which drops the stale translations.
//! LR/SC and AMOs are the address space's own (`load_reserved`,
//! `store_conditional`, `amo`), the very functions the interpreter calls.

use std::sync::atomic::Ordering as MemOrder;

use ferrovm_ir::{BinOp, Cpu, CvtOp, FBinOp, FTernOp, FUnOp, MemSize, Ordering, Prec, Rm, UnOp};
use ferrovm_ir::{csr, eval, fp};
use ferrovm_mem::{AddressSpace, AtomicWidth, Fault};

use crate::abi::{EXIT_CODE_WRITTEN, JitContext};

/// The access succeeded.
pub const OK: u64 = 0;
/// The access faulted; the fault is in `ctx.fault`.
pub const FAULT: u64 = 1;
/// The instruction is illegal (a vector instruction under `vtype.vill`,
/// with a misaligned register group...).
pub const ILLEGAL: u64 = 2;

/// Addresses of every helper, as compiled code calls them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Helpers {
    pub(crate) lr: usize,
    pub(crate) sc: usize,
    pub(crate) amo: usize,
    pub(crate) fp_unary: usize,
    pub(crate) fp_binary: usize,
    pub(crate) fp_ternary: usize,
    pub(crate) fp_convert: usize,
    pub(crate) csr_read: usize,
    pub(crate) csr_write: usize,
    pub(crate) int_unary: usize,
    pub(crate) int_binary: usize,
    pub(crate) vector: usize,
    pub(crate) vector_crypto: usize,
}

/// The helper table.
pub(crate) static HELPERS: std::sync::LazyLock<Helpers> = std::sync::LazyLock::new(|| Helpers {
    lr: lr as *const () as usize,
    sc: sc as *const () as usize,
    amo: amo as *const () as usize,
    fp_unary: fp_unary as *const () as usize,
    fp_binary: fp_binary as *const () as usize,
    fp_ternary: fp_ternary as *const () as usize,
    fp_convert: fp_convert as *const () as usize,
    csr_read: csr_read as *const () as usize,
    csr_write: csr_write as *const () as usize,
    int_unary: int_unary as *const () as usize,
    int_binary: int_binary as *const () as usize,
    vector: vector as *const () as usize,
    vector_crypto: vector_crypto as *const () as usize,
});

/// Size code of a memory access (0..=3 for 1, 2, 4, 8 bytes).
pub(crate) const fn size_code(size: MemSize) -> u32 {
    match size {
        MemSize::B => 0,
        MemSize::H => 1,
        MemSize::W => 2,
        MemSize::D => 3,
    }
}

fn size_of_code(code: u32) -> MemSize {
    match code & 3 {
        0 => MemSize::B,
        1 => MemSize::H,
        2 => MemSize::W,
        _ => MemSize::D,
    }
}

pub(crate) const fn order_code(order: Ordering) -> u32 {
    match order {
        Ordering::Relaxed => 0,
        Ordering::Acquire => 1,
        Ordering::Release => 2,
        Ordering::AcqRel => 3,
    }
}

fn ordering(code: u32) -> Ordering {
    match code & 3 {
        0 => Ordering::Relaxed,
        1 => Ordering::Acquire,
        2 => Ordering::Release,
        _ => Ordering::AcqRel,
    }
}

fn width(code: u32) -> AtomicWidth {
    if size_of_code(code) == MemSize::W { AtomicWidth::Word } else { AtomicWidth::Double }
}

/// Packs an FP op for the `fp_*` helpers.
pub(crate) fn fp_code(op_index: usize, prec: Prec, rm: Rm) -> u32 {
    let prec = match prec {
        Prec::S => 0,
        Prec::D => 1,
        Prec::H => 2,
    };
    op_index as u32 | prec << 8 | u32::from(rm.bits()) << 16
}

fn unpack_fp(code: u32, cpu: &Cpu) -> (usize, Prec, Rm) {
    let prec = match (code >> 8) & 3 {
        0 => Prec::S,
        1 => Prec::D,
        _ => Prec::H,
    };
    let rm = match Rm::from_bits((code >> 16) as u8 & 7) {
        // CheckFrm ran before any dynamic op, so frm is valid here.
        Some(Rm::Dyn) | None => Rm::from_bits(cpu.frm as u8).unwrap_or(Rm::Rne),
        Some(r) => r,
    };
    ((code & 0xff) as usize, prec, rm)
}

/// # Safety
/// `ctx` must point to the running vCPU's live [`JitContext`] (this is its
/// owner thread) whose `mem` is live.
unsafe fn parts<'a>(ctx: *const JitContext) -> (&'a JitContext, &'a AddressSpace) {
    // SAFETY: the caller guarantees both pointers; compiled code only ever
    // passes the context the engine entered it with.
    unsafe {
        let ctx = &*ctx;
        let mem = &*ctx.mem;
        (ctx, mem)
    }
}

/// The status of an access: its value for `OK`, or the fault recorded in
/// `ctx` and `FAULT`. A write that touched a page holding translated code
/// asks chained exits to return to the dispatcher.
fn status<T>(ctx: &JitContext, mem: &AddressSpace, r: Result<T, Fault>, write: bool) -> Result<T, u64> {
    match r {
        Ok(v) => {
            if write && mem.code_dirty() {
                ctx.exit_request.fetch_or(EXIT_CODE_WRITTEN, MemOrder::Relaxed);
            }
            Ok(v)
        }
        Err(f) => {
            // SAFETY: helpers run on the context's owner thread (see
            // `parts`), which reads `fault` only after compiled code returned.
            unsafe { *ctx.fault.get() = Some(f) };
            Err(FAULT)
        }
    }
}

/// Puts `r`'s value in `ctx.value`; the status.
fn finish(ctx: &JitContext, mem: &AddressSpace, r: Result<u64, Fault>, write: bool) -> u64 {
    match status(ctx, mem, r, write) {
        Ok(v) => {
            ctx.value.store(v, MemOrder::Relaxed);
            OK
        }
        Err(s) => s,
    }
}

/// `lr.w`/`lr.d` (the semantics: `AddressSpace::load_reserved`).
///
/// # Safety
/// As for [`parts`], and `cpu` is the running CPU.
unsafe extern "C" fn lr(ctx: *const JitContext, cpu: *mut Cpu, addr: u64, kind: u32) -> u64 {
    // SAFETY: forwarded contract.
    let (ctx, mem) = unsafe { parts(ctx) };
    // SAFETY: forwarded contract; compiled code holds no reference to it.
    let cpu = unsafe { &mut *cpu };
    let r = mem.load_reserved(addr, width(kind), ordering(kind >> 2).host());
    if let Ok(v) = r {
        cpu.reserve(addr, v);
    }
    finish(ctx, mem, r, false)
}

/// `sc.w`/`sc.d` (the semantics: `AddressSpace::store_conditional`); the
/// value is 0 on success, 1 on failure.
///
/// # Safety
/// As for [`lr`].
unsafe extern "C" fn sc(ctx: *const JitContext, cpu: *mut Cpu, addr: u64, src: u64, kind: u32) -> u64 {
    // SAFETY: forwarded contract.
    let (ctx, mem) = unsafe { parts(ctx) };
    // SAFETY: forwarded contract.
    let cpu = unsafe { &mut *cpu };
    let reserved = cpu.take_reservation(addr);
    let r = mem.store_conditional(addr, width(kind), reserved, src, ordering(kind >> 2).host());
    finish(ctx, mem, r.map(|ok| u64::from(!ok)), true)
}

/// `amo*.w`/`amo*.d` (the semantics: `AddressSpace::amo`).
///
/// # Safety
/// As for [`parts`].
unsafe extern "C" fn amo(ctx: *const JitContext, addr: u64, src: u64, kind: u32) -> u64 {
    // SAFETY: forwarded contract.
    let (ctx, mem) = unsafe { parts(ctx) };
    let op = ferrovm_mem::AmoOp::ALL[(kind >> 8) as usize % ferrovm_mem::AmoOp::ALL.len()];
    let r = mem.amo(op, addr, width(kind), src, ordering(kind >> 2).host());
    finish(ctx, mem, r, true)
}

macro_rules! fp_helper {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $call:path, ($($arg:ident),*)) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `cpu` is the running CPU.
        unsafe extern "C" fn $name(cpu: *mut Cpu, code: u32, $($arg: u64),*) -> u64 {
            // SAFETY: forwarded contract.
            let cpu = unsafe { &mut *cpu };
            let (op, prec, rm) = unpack_fp(code, cpu);
            let op = $kind::ALL.get(op).copied().unwrap_or($kind::ALL[0]);
            let (v, flags) = $call(op, prec, rm, $($arg),*);
            cpu.fflags |= u64::from(flags);
            v
        }
    };
}

fp_helper!(
    /// `FUnary`.
    fp_unary, FUnOp, fp::unary, (a)
);
fp_helper!(
    /// `FBinary`.
    fp_binary, FBinOp, fp::binary, (a, b)
);
fp_helper!(
    /// `FTernary`.
    fp_ternary, FTernOp, fp::ternary, (a, b, c)
);

/// `FCvt`.
///
/// # Safety
/// `cpu` is the running CPU.
unsafe extern "C" fn fp_convert(cpu: *mut Cpu, code: u32, a: u64) -> u64 {
    // SAFETY: forwarded contract.
    let cpu = unsafe { &mut *cpu };
    let (op, _, rm) = unpack_fp(code, cpu);
    let op = CvtOp::ALL.get(op).copied().unwrap_or(CvtOp::WS);
    let (v, flags) = fp::convert(op, rm, a);
    cpu.fflags |= u64::from(flags);
    v
}

/// `CsrRead`.
///
/// # Safety
/// `cpu` is the running CPU.
unsafe extern "C" fn csr_read(cpu: *mut Cpu, csr: u32) -> u64 {
    // SAFETY: forwarded contract.
    csr::read(unsafe { &*cpu }, csr as u16)
}

/// `CsrWrite`.
///
/// # Safety
/// `cpu` is the running CPU.
unsafe extern "C" fn csr_write(cpu: *mut Cpu, csr: u32, value: u64) {
    // SAFETY: forwarded contract.
    csr::write(unsafe { &mut *cpu }, csr as u16, value);
}

/// Guest memory for the vector unit: the checked accessors.
struct VecMem<'a>(&'a AddressSpace);

impl ferrovm_ir::vector::VMemory for VecMem<'_> {
    type Fault = Fault;

    fn load(&mut self, addr: u64, size: usize) -> Result<u64, Fault> {
        match size {
            1 => self.0.load_u8(addr).map(u64::from),
            2 => self.0.load_u16(addr).map(u64::from),
            4 => self.0.load_u32(addr).map(u64::from),
            _ => self.0.load_u64(addr),
        }
    }

    fn store(&mut self, addr: u64, size: usize, value: u64) -> Result<(), Fault> {
        match size {
            1 => self.0.store_u8(addr, value as u8),
            2 => self.0.store_u16(addr, value as u16),
            4 => self.0.store_u32(addr, value as u32),
            _ => self.0.store_u64(addr, value),
        }
    }
}

/// `Vector`: one vector instruction (the semantics:
/// `ferrovm_ir::vector::execute`, which the interpreter runs too).
///
/// # Safety
/// As for [`parts`], and `cpu` is the running CPU.
unsafe extern "C" fn vector(ctx: *const JitContext, cpu: *mut Cpu, inst: u64, a: u64, b: u64) -> u64 {
    use ferrovm_ir::vector::{VInst, VTrap, execute};
    // SAFETY: forwarded contract.
    let (ctx, mem) = unsafe { parts(ctx) };
    // SAFETY: forwarded contract; compiled code holds no reference to it.
    let cpu = unsafe { &mut *cpu };
    ctx.vector_helper.store(ctx.vector_helper.load(MemOrder::Relaxed).wrapping_add(1), MemOrder::Relaxed);
    let Some(inst) = VInst::unpack(inst) else { return ILLEGAL };
    match execute(cpu, inst, a, b, &mut VecMem(mem)) {
        Ok(v) => finish(ctx, mem, Ok(v), true),
        Err(VTrap::Fault(f)) => finish(ctx, mem, Err(f), true),
        Err(VTrap::Illegal) => ILLEGAL,
    }
}

/// A vector crypto instruction at SEW 32 whose shape compiled code checked
/// (legal register groups, `vl` a multiple of 4 and at most VLMAX,
/// `vstart` 0): its element groups on the host's AES and SHA instructions
/// ([`crate::host_crypto`]), without `execute`'s decoding and checks.
///
/// # Safety
/// `cpu` points to the `Cpu` of the running vCPU.
unsafe extern "C" fn vector_crypto(cpu: *mut Cpu, inst: u64, uimm: u64) {
    // SAFETY: forwarded contract; compiled code holds no reference to it.
    let cpu = unsafe { &mut *cpu };
    if let Some(inst) = ferrovm_ir::vector::VInst::unpack(inst) {
        crate::host_crypto::run(&mut cpu.vector, inst, uimm);
    }
}

/// Integer ops not worth inlining (carry-less multiplies, `orc.b`).
extern "C" fn int_unary(op: u32, a: u64) -> u64 {
    UnOp::ALL.get(op as usize).map_or(0, |&op| eval::unary(op, a))
}

/// See [`int_unary`].
extern "C" fn int_binary(op: u32, a: u64, b: u64) -> u64 {
    BinOp::ALL.get(op as usize).map_or(0, |&op| eval::binary(op, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_codes_are_indices() {
        for (i, op) in FBinOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        for (i, op) in CvtOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        for (i, op) in ferrovm_ir::AmoOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        let cpu = Cpu { frm: 3, ..Cpu::default() };
        assert_eq!(unpack_fp(fp_code(5, Prec::D, Rm::Dyn), &cpu), (5, Prec::D, Rm::Rup));
        assert_eq!(unpack_fp(fp_code(2, Prec::S, Rm::Rtz), &cpu), (2, Prec::S, Rm::Rtz));
        assert_eq!(unpack_fp(fp_code(3, Prec::H, Rm::Rmm), &cpu), (3, Prec::H, Rm::Rmm));
    }
}
