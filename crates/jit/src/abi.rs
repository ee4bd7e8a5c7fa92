//! The contract between compiled code, the runtime helpers and the engine.
//!
//! Every compiled block is a Cranelift function with the `tail` calling
//! convention:
//!
//! ```text
//! block(cpu: *mut Cpu, ctx: *mut JitContext, pc: u64) -> u64
//! ```
//!
//! `pc` is the guest address the caller wanted to reach (a block ignores it;
//! the dispatcher stub stores it into `cpu.pc`). The result is an exit code
//! ([`exit`]). A block leaves either by returning an exit code to the
//! dispatcher or by a tail call through a [`Cell`] to the next block, so a
//! chain of compiled blocks runs in one native frame: the entry trampoline's.
//!
//! At every return, guest state is precise: dirty guest registers are written
//! back, `cpu.pc` is the address to report or resume at and `cpu.instret`
//! counts the retired instructions, exactly as the interpreter leaves them.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use ferrovm_mem::Fault;

/// Exit codes returned by compiled code.
pub mod exit {
    /// Continue at `cpu.pc` (a block ended, or a chain left native code).
    pub const CONTINUE: u64 = 0;
    /// `ecall` at `cpu.pc`.
    pub const ECALL: u64 = 1;
    /// `ebreak` at `cpu.pc`.
    pub const EBREAK: u64 = 2;
    /// Illegal instruction at `cpu.pc`; bits in [`super::JitContext::illegal_bits`].
    pub const ILLEGAL: u64 = 3;
    /// `fence.i`; resume at `cpu.pc`.
    pub const FENCE_I: u64 = 4;
    /// A memory fault at `cpu.pc`; details in [`super::JitContext::fault`].
    pub const FAULT: u64 = 5;
    /// A load or store at `cpu.pc` failed the inline check (unmapped or
    /// protected page, misaligned, beyond the guest limit, or a store to a
    /// page holding translated code), or a direct one faulted in the host
    /// ([`crate::fault`]): run that instruction in the interpreter, which
    /// does the access or faults exactly.
    pub const SLOW: u64 = 6;
    /// A block compiled with a run counter reached its count (see
    /// [`crate::Flavor::hot_at`]) on entry, before executing anything:
    /// `cpu.pc` is its start. Recompile it as hot code, then continue.
    pub const HOT: u64 = 7;
    /// A trap-mode access ([`crate::MemAccess::Trap`]) faulted in the host
    /// and the address space could not resolve it: a guest fault at the
    /// access, with only `cpu.pc` precise (see [`crate::fault::abort`]).
    /// Never returned by compiled code itself.
    pub const TRAP: u64 = 8;
}

/// Entries in the return-address stack (a power of two).
pub const RAS_ENTRIES: usize = 64;

/// Entries in each vCPU's direct-mapped jump cache (a power of two).
pub const JUMP_CACHE_ENTRIES: usize = 1 << 12;

/// The jump-cache slot of guest pc `pc` (compiled code computes the same
/// index inline: `translate::Tr::chain_indirect`, `baseline`'s shared
/// indirect exit).
pub(crate) fn jump_cache_slot(pc: u64) -> usize {
    (pc >> 1) as usize & (JUMP_CACHE_ENTRIES - 1)
}

/// The bit a helper sets in [`JitContext::exit_request`] after it wrote to a
/// page holding translated code, so that chained exits return to the
/// dispatcher, which drops the stale translations. Other bits belong to
/// whoever drives the JIT (the engine); compiled code only tests for
/// non-zero.
pub const EXIT_CODE_WRITTEN: u8 = 1 << 7;

/// A chaining cell: the stable place where every exit aimed at guest `pc`
/// finds its code. `code` starts at the dispatcher stub and is patched to the
/// compiled block once it exists (and back when the block is evicted or
/// invalidated). Cells are owned by the JIT's user (the engine keeps one per
/// guest pc in its translation table) and must stay at the same address and
/// alive as long as any compiled code, jump cache, inline cache or
/// return-address stack may name them; only what they point at changes, with
/// single-word atomic stores.
///
/// A cell has two ways in. `code` is the entry every caller may use (the
/// `tail` convention of [`crate::abi`]). `inner` is for baseline code
/// chaining to the next block with its own frame still set up (callee-saved
/// registers pushed, `rbx` = cpu, `r12` = ctx, `rbp` the frame): the inner
/// entry of baseline code, which keeps that frame (no pops and pushes
/// between two baseline blocks), or, for any other code, the store's shared
/// stub that takes the frame down and jumps to `code` (`rax` holds the
/// cell there). [`crate::CodeStore::link`] and
/// [`crate::CodeStore::unlink`] set both, and re-aim the patchable jumps
/// of the baseline exits listed in `sites`, which lead straight to `inner`
/// while it is baseline code's (no load of the cell, no indirect jump: how
/// QEMU chains its blocks); make cells with [`crate::CodeStore::new_cell`].
#[repr(C)]
#[derive(Debug)]
pub struct Cell {
    /// Host address of the code to tail-call for `pc`.
    pub code: AtomicUsize,
    /// The guest address this cell stands for (never changes; the sentinel
    /// cell holds an odd value no guest target can equal).
    pub pc: u64,
    /// Where baseline code with its frame set up jumps for `pc` (see above).
    pub inner: AtomicUsize,
    /// The patchable chained exits of baseline code through this cell, as
    /// a list threaded through that code: the address of the first one's
    /// rel32 field (0: none), whose code holds the next one's after its
    /// way through the cell (see `CodeStore::link`). Changed only under
    /// the code store's lock.
    pub(crate) sites: AtomicUsize,
}

impl Cell {
    /// A cell for guest `pc` that leads where `unlinked` says (no code).
    pub const fn new(pc: u64, unlinked: Unlinked) -> Self {
        Cell {
            code: AtomicUsize::new(unlinked.code),
            pc,
            inner: AtomicUsize::new(unlinked.inner),
            sites: AtomicUsize::new(0),
        }
    }
}

/// Where a [`Cell`] with no compiled code leads: the dispatcher stub
/// ([`crate::CodeStore::stub`]) and the stub that takes baseline code's
/// frame down first ([`crate::CodeStore::unlinked`]). All zero where there
/// is no code store (nothing runs compiled code).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unlinked {
    pub code: usize,
    pub inner: usize,
}

/// Per-vCPU state shared by compiled code, the helpers and the engine.
/// `#[repr(C)]` because compiled code addresses fields by offset.
///
/// One context belongs to one vCPU (one host thread): only that thread
/// runs compiled code with it, and only it reads or writes the fields other
/// than [`JitContext::exit_request`]. Any thread may set bits of
/// `exit_request` to make the owner leave compiled code at its next
/// chained exit or loop back edge. Every field is an atomic or sits in an
/// `UnsafeCell`, so the owner never holds a `&mut` that another thread's
/// `exit_request` store would alias.
#[repr(C)]
#[derive(Debug)]
pub struct JitContext {
    /// Non-zero asks compiled code to return to the dispatcher at its next
    /// chained exit or loop back edge (bits: [`EXIT_CODE_WRITTEN`] and the
    /// engine's own). Set by any thread; read and cleared by the owner.
    pub exit_request: AtomicU8,
    /// Bits of the illegal instruction for [`exit::ILLEGAL`].
    pub illegal_bits: AtomicU32,
    /// Scratch result of a helper.
    pub value: AtomicU64,
    /// [`ferrovm_mem::GUEST_LIMIT`], which compiled code compares guest
    /// addresses with (as a memory operand: the constant needs no
    /// register of its own).
    pub guest_limit: u64,
    /// Where compiled code stores the result of every FP operation it runs
    /// on the host FPU, so Cranelift never drops one whose value is dead
    /// (its flags still count). Never read.
    pub fp_sink: AtomicU64,
    /// Always 0. Compiled code ORs it (loaded in the guest block) into an
    /// operand of every host FP operation, so Cranelift's optimizer cannot
    /// hoist the operation out of a loop to where the guest would not have
    /// run it (its flags would be raised there).
    pub fp_zero: AtomicU64,
    /// Where the `stmxcsr` stub of host FP stores the host's MXCSR.
    pub fp_mxcsr: AtomicU32,
    /// The MXCSR the `ldmxcsr` stub of host FP loads: the guest's mode
    /// (the rounding control of `frm`), no flags (see [`crate::host_fp`]);
    /// set on entry to compiled code and by compiled code writing `frm`.
    pub fp_guest_mxcsr: AtomicU32,
    /// Number of pushes on the return-address stack (wrapping; the top entry
    /// is `ras[(top - 1) % RAS_ENTRIES]`).
    pub ras_top: AtomicU64,
    /// Return-address stack: cells of predicted return targets.
    pub ras: [AtomicPtr<Cell>; RAS_ENTRIES],
    /// Guest memory, for the helpers.
    pub mem: *const ferrovm_mem::AddressSpace,

    /// The fault for [`exit::FAULT`] (written by helpers on the owner
    /// thread).
    pub fault: UnsafeCell<Option<Fault>>,
    /// Jump cache: cells by `pc >> 1`, direct-mapped; looked up by indirect
    /// exits when their inline cache misses.
    pub jump_cache: [AtomicPtr<Cell>; JUMP_CACHE_ENTRIES],
    /// Guest pc of the translation the owner entered last (compiled code
    /// stores it on entry, the dispatcher before interpreting a block):
    /// what a sampling profiler on another thread reads.
    pub current: AtomicU64,
    /// Indirect exits taken by compiled code, and of those the returns;
    /// misses of the return-address stack (returns it did not predict),
    /// of the inline caches and of the jump cache (exits that went back to
    /// the dispatcher). Counted by compiled code; read by the owner.
    pub indirect_jumps: AtomicU64,
    pub returns: AtomicU64,
    pub ras_misses: AtomicU64,
    pub ic_misses: AtomicU64,
    pub jump_cache_misses: AtomicU64,
    /// Direct loads and stores that faulted in the host and left compiled
    /// code through their side exit (see [`crate::fault`]); counted by the
    /// fault handler.
    pub mem_faults: AtomicU64,
    /// Vector instructions compiled code ran as host SIMD, and those it
    /// ran through the vector helper (every shape not lowered, and the
    /// lowered ones whose run-time check failed: a tail, `vstart` != 0, an
    /// access near a page end or to a page it may not touch). Counted by
    /// compiled code and the helper; read by the owner.
    pub vector_simd: AtomicU64,
    pub vector_helper: AtomicU64,
    /// Host pc of the trap-mode store that last wrote translated code
    /// (set by the fault handler, [`crate::fault::note_code_write`];
    /// taken by the owner), 0 if none.
    pub code_writer: AtomicUsize,
    /// Host pc of the trap-mode access whose guest fault last left
    /// compiled code while the guest sees its faults (set by
    /// [`crate::CodeStore::run`], taken by the owner: the engine compiles
    /// that translation with inline checks from then on), 0 if none.
    pub trapped: AtomicUsize,
}

// SAFETY: `exit_request` and `current` are the only fields other threads
// touch, and they are atomics; the owner thread alone touches the rest (see the type docs). `mem`
// points at an address space that outlives the context and is itself
// `Sync`.
unsafe impl Sync for JitContext {}
// SAFETY: as above; the context may be created on one thread and handed to
// the vCPU's thread.
unsafe impl Send for JitContext {}

impl JitContext {
    /// A context for guest memory `mem`, every prediction pointing at
    /// `sentinel` (a cell whose `pc` no guest target equals).
    pub fn new(mem: &ferrovm_mem::AddressSpace, sentinel: *const Cell) -> Self {
        let s = sentinel.cast_mut();
        JitContext {
            exit_request: AtomicU8::new(0),
            illegal_bits: AtomicU32::new(0),
            value: AtomicU64::new(0),
            guest_limit: ferrovm_mem::GUEST_LIMIT,
            fp_sink: AtomicU64::new(0),
            fp_zero: AtomicU64::new(0),
            fp_mxcsr: AtomicU32::new(0),
            fp_guest_mxcsr: AtomicU32::new(crate::host_fp::GUEST_MXCSR),
            ras_top: AtomicU64::new(0),
            ras: std::array::from_fn(|_| AtomicPtr::new(s)),
            mem: std::ptr::from_ref(mem),
            fault: UnsafeCell::new(None),
            jump_cache: std::array::from_fn(|_| AtomicPtr::new(s)),
            current: AtomicU64::new(0),
            indirect_jumps: AtomicU64::new(0),
            returns: AtomicU64::new(0),
            ras_misses: AtomicU64::new(0),
            ic_misses: AtomicU64::new(0),
            jump_cache_misses: AtomicU64::new(0),
            mem_faults: AtomicU64::new(0),
            vector_simd: AtomicU64::new(0),
            vector_helper: AtomicU64::new(0),
            code_writer: AtomicUsize::new(0),
            trapped: AtomicUsize::new(0),
        }
    }

    /// Forgets every prediction (jump cache, return-address stack).
    pub fn forget_predictions(&self, sentinel: *const Cell) {
        let s = sentinel.cast_mut();
        for e in self.ras.iter().chain(self.jump_cache.iter()) {
            e.store(s, Ordering::Relaxed);
        }
    }

    /// Takes the fault a helper recorded.
    ///
    /// Only the owner thread may call this (see the type docs).
    pub fn take_fault(&self) -> Option<Fault> {
        // SAFETY: only the owner thread touches `fault` (type docs), and it
        // is not running compiled code or a helper while it calls this.
        unsafe { (*self.fault.get()).take() }
    }
}

/// Field offsets used by the code generator.
pub(crate) mod offsets {
    use std::mem::offset_of;

    use ferrovm_ir::Cpu;
    use ferrovm_ir::vector::VState;

    use super::{Cell, JitContext};

    pub(crate) const CPU_REGS: i32 = offset_of!(Cpu, regs) as i32;
    pub(crate) const CPU_PC: i32 = offset_of!(Cpu, pc) as i32;
    pub(crate) const CPU_FRM: i32 = offset_of!(Cpu, frm) as i32;
    pub(crate) const CPU_FFLAGS: i32 = offset_of!(Cpu, fflags) as i32;
    pub(crate) const CPU_INSTRET: i32 = offset_of!(Cpu, instret) as i32;
    const CPU_VECTOR: usize = offset_of!(Cpu, vector);
    pub(crate) const CPU_VLENB: i32 = (CPU_VECTOR + offset_of!(VState, vlenb)) as i32;
    pub(crate) const CPU_VL: i32 = (CPU_VECTOR + offset_of!(VState, vl)) as i32;
    pub(crate) const CPU_VTYPE: i32 = (CPU_VECTOR + offset_of!(VState, vtype)) as i32;
    pub(crate) const CPU_VSTART: i32 = (CPU_VECTOR + offset_of!(VState, vstart)) as i32;
    pub(crate) const CPU_VREGS: i32 = (CPU_VECTOR + offset_of!(VState, regs)) as i32;
    pub(crate) const CTX_EXIT_REQUEST: i32 = offset_of!(JitContext, exit_request) as i32;
    pub(crate) const CTX_GUEST_LIMIT: i32 = offset_of!(JitContext, guest_limit) as i32;
    pub(crate) const CTX_ILLEGAL_BITS: i32 = offset_of!(JitContext, illegal_bits) as i32;
    pub(crate) const CTX_CURRENT: i32 = offset_of!(JitContext, current) as i32;

    pub(crate) const CTX_INDIRECT: i32 = offset_of!(JitContext, indirect_jumps) as i32;
    pub(crate) const CTX_RETURNS: i32 = offset_of!(JitContext, returns) as i32;
    pub(crate) const CTX_RAS_MISSES: i32 = offset_of!(JitContext, ras_misses) as i32;
    pub(crate) const CTX_IC_MISSES: i32 = offset_of!(JitContext, ic_misses) as i32;
    pub(crate) const CTX_JC_MISSES: i32 = offset_of!(JitContext, jump_cache_misses) as i32;
    pub(crate) const CTX_VALUE: i32 = offset_of!(JitContext, value) as i32;
    pub(crate) const CTX_FP_SINK: i32 = offset_of!(JitContext, fp_sink) as i32;
    pub(crate) const CTX_FP_ZERO: i32 = offset_of!(JitContext, fp_zero) as i32;
    pub(crate) const CTX_FP_MXCSR: i32 = offset_of!(JitContext, fp_mxcsr) as i32;
    pub(crate) const CTX_FP_GUEST_MXCSR: i32 = offset_of!(JitContext, fp_guest_mxcsr) as i32;
    pub(crate) const CTX_RAS_TOP: i32 = offset_of!(JitContext, ras_top) as i32;
    pub(crate) const CTX_RAS: i32 = offset_of!(JitContext, ras) as i32;
    pub(crate) const CTX_JUMP_CACHE: i32 = offset_of!(JitContext, jump_cache) as i32;
    pub(crate) const CTX_VECTOR_SIMD: i32 = offset_of!(JitContext, vector_simd) as i32;
    pub(crate) const CELL_CODE: i32 = offset_of!(Cell, code) as i32;
    pub(crate) const CELL_PC: i32 = offset_of!(Cell, pc) as i32;
    pub(crate) const CELL_INNER: i32 = offset_of!(Cell, inner) as i32;
}
