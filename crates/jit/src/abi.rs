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

use std::sync::atomic::{AtomicU8, AtomicUsize};

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
    /// page holding translated code): run that instruction in the
    /// interpreter, which does the access or faults exactly.
    pub const SLOW: u64 = 6;
    /// A block compiled with a run counter reached its count (see
    /// [`crate::Flavor::hot_at`]) on entry, before executing anything:
    /// `cpu.pc` is its start. Recompile it as hot code, then continue.
    pub const HOT: u64 = 7;
}

/// Entries in the return-address stack (a power of two).
pub const RAS_ENTRIES: usize = 16;

/// A chaining cell: the stable place where every exit aimed at guest `pc`
/// finds its code. `code` starts at the dispatcher stub and is patched to the
/// compiled block once it exists (and back when the block is evicted or
/// invalidated). Cells are never freed while the JIT lives, so any pointer to
/// one (a jump-cache entry, an inline cache, a return-address-stack entry)
/// stays valid; only what it points at changes, with single-word atomic
/// stores.
#[repr(C)]
#[derive(Debug)]
pub struct Cell {
    /// Host address of the code to tail-call for `pc`.
    pub code: AtomicUsize,
    /// The guest address this cell stands for (never changes; the sentinel
    /// cell holds an odd value no guest target can equal).
    pub pc: u64,
}

/// Per-thread state shared by compiled code, the helpers and the engine.
/// `#[repr(C)]` because compiled code addresses fields by offset.
#[repr(C)]
#[derive(Debug)]
pub struct JitContext {
    /// Non-zero asks chained exits to return to the dispatcher (set by a
    /// helper that wrote to a page holding translated code, so the engine
    /// drops stale translations before running more).
    pub exit_request: AtomicU8,
    /// Bits of the illegal instruction for [`exit::ILLEGAL`].
    pub illegal_bits: u32,
    /// Scratch result of a slow-path load helper.
    pub value: u64,
    /// Number of pushes on the return-address stack (wrapping; the top entry
    /// is `ras[(top - 1) % RAS_ENTRIES]`).
    pub ras_top: u64,
    /// Return-address stack: cells of predicted return targets.
    pub ras: [*const Cell; RAS_ENTRIES],
    /// The fault for [`exit::FAULT`].
    pub fault: Option<Fault>,
    /// Guest memory, for the helpers.
    pub mem: *const ferrovm_mem::AddressSpace,
}

impl JitContext {
    pub(crate) fn new(mem: *const ferrovm_mem::AddressSpace, sentinel: *const Cell) -> Self {
        JitContext {
            exit_request: AtomicU8::new(0),
            illegal_bits: 0,
            value: 0,
            ras_top: 0,
            ras: [sentinel; RAS_ENTRIES],
            fault: None,
            mem,
        }
    }
}

/// Field offsets used by the code generator.
pub(crate) mod offsets {
    use std::mem::offset_of;

    use ferrovm_ir::Cpu;

    use super::{Cell, JitContext};

    pub(crate) const CPU_REGS: i32 = offset_of!(Cpu, regs) as i32;
    pub(crate) const CPU_PC: i32 = offset_of!(Cpu, pc) as i32;
    pub(crate) const CPU_FRM: i32 = offset_of!(Cpu, frm) as i32;
    pub(crate) const CPU_INSTRET: i32 = offset_of!(Cpu, instret) as i32;
    pub(crate) const CTX_EXIT_REQUEST: i32 = offset_of!(JitContext, exit_request) as i32;
    pub(crate) const CTX_ILLEGAL_BITS: i32 = offset_of!(JitContext, illegal_bits) as i32;
    pub(crate) const CTX_VALUE: i32 = offset_of!(JitContext, value) as i32;
    pub(crate) const CTX_RAS_TOP: i32 = offset_of!(JitContext, ras_top) as i32;
    pub(crate) const CTX_RAS: i32 = offset_of!(JitContext, ras) as i32;
    pub(crate) const CELL_CODE: i32 = offset_of!(Cell, code) as i32;
    pub(crate) const CELL_PC: i32 = offset_of!(Cell, pc) as i32;
}
