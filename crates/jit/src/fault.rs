//! Leaving compiled code from a host fault: what makes loads and stores
//! without inline checks ([`crate::MemAccess::Direct`]) precise.
//!
//! Compiled code enters through [`enter`], a few instructions of assembly
//! that save the callee-saved registers and the stack pointer in the
//! vCPU's [`JitContext`] before calling the trampoline. A guest load or
//! store in compiled code is a plain host access into the reservation;
//! before it, compiled code stores every guest register it changed since
//! the last access into the `Cpu` and the site (guest pc and instructions
//! retired in the block) into [`JitContext::site`] (see
//! `translate.rs`). When the access faults in the host (an unmapped or
//! protected guest page, the guard past `GUEST_LIMIT`, or a store to a
//! page write-protected because it holds translated code), the engine's
//! `SIGSEGV` handler calls [`redirect`], which makes the signal return into
//! [`enter`]'s epilogue with the exit code [`exit::SITE`](crate::abi::exit::SITE),
//! as if compiled code had returned it: a `longjmp` done by `sigreturn`.
//! [`CodeStore::run`](crate::CodeStore::run) then sets `cpu.pc` and
//! `cpu.instret` from the site and reports [`NativeExit::Slow`]: the engine
//! runs that one instruction in the interpreter, which faults exactly (the
//! guest's `SIGSEGV`/`SIGBUS` with the right address and code) or, for a
//! write to code, does the store and drops the stale translations.
//!
//! [`NativeExit::Slow`]: crate::NativeExit::Slow

use std::cell::Cell;

use ferrovm_ir::Cpu;

use crate::abi::{JitContext, exit};

thread_local! {
    /// The context of the compiled code this thread is running (set by
    /// [`enter`] around the call), or null. Const-initialized without a
    /// destructor: a plain `#[thread_local]` the signal handler can read.
    static ACTIVE: Cell<*const JitContext> = const { Cell::new(std::ptr::null()) };
}

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".text",
    ".globl ferrovm_jit_enter",
    ".type ferrovm_jit_enter, @function",
    // System V: trampoline in rdi, cpu in rsi, ctx in rdx, code in rcx, pc
    // in r8, the stack-pointer slot in r9. Calls trampoline(cpu, ctx, code,
    // pc) and returns its result; `ferrovm_jit_enter_fault` (with rsp set
    // to the saved value) returns exit::SITE from the same frame.
    "ferrovm_jit_enter:",
    "    push rbp",
    "    mov rbp, rsp",
    "    push rbx",
    "    push r12",
    "    push r13",
    "    push r14",
    "    push r15",
    "    sub rsp, 8",
    "    mov [r9], rsp",
    "    mov rax, rdi",
    "    mov rdi, rsi",
    "    mov rsi, rdx",
    "    mov rdx, rcx",
    "    mov rcx, r8",
    "    call rax",
    "ferrovm_jit_enter_epilogue:",
    "    add rsp, 8",
    "    pop r15",
    "    pop r14",
    "    pop r13",
    "    pop r12",
    "    pop rbx",
    "    pop rbp",
    "    ret",
    ".globl ferrovm_jit_enter_fault",
    "ferrovm_jit_enter_fault:",
    "    mov eax, {site}",
    "    jmp ferrovm_jit_enter_epilogue",
    ".size ferrovm_jit_enter, . - ferrovm_jit_enter",
    site = const exit::SITE,
);

/// The trampoline's signature (see `translate::build_trampoline`).
pub(crate) type Trampoline = unsafe extern "C" fn(*mut Cpu, *const JitContext, usize, u64) -> u64;

#[cfg(target_arch = "x86_64")]
unsafe extern "C" {
    fn ferrovm_jit_enter(
        trampoline: Trampoline,
        cpu: *mut Cpu,
        ctx: *const core::ffi::c_void,
        code: usize,
        pc: u64,
        sp_slot: *mut usize,
    ) -> u64;
    static ferrovm_jit_enter_fault: u8;
}

/// Whether this host can leave compiled code from a fault (x86-64).
pub(crate) const SUPPORTED: bool = cfg!(target_arch = "x86_64");

/// Calls `trampoline(cpu, ctx, code, pc)` so that a host fault in the
/// compiled code it runs can leave through [`redirect`].
///
/// # Safety
///
/// As for calling `trampoline` directly.
pub(crate) unsafe fn enter(trampoline: Trampoline, cpu: *mut Cpu, ctx: &JitContext, code: usize, pc: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let prev = ACTIVE.with(|a| a.replace(ctx));
        // SAFETY: forwarded contract; the entry follows the C ABI and
        // writes only the stack-pointer slot, which belongs to `ctx` (this
        // thread's).
        let r =
            unsafe { ferrovm_jit_enter(trampoline, cpu, std::ptr::from_ref(ctx).cast(), code, pc, ctx.entry_sp.get()) };
        ACTIVE.with(|a| a.set(prev));
        r
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: forwarded contract.
    unsafe {
        trampoline(cpu, ctx, code, pc)
    }
}

/// For the host `SIGSEGV`/`SIGBUS` handler, on a fault at a pc inside
/// compiled code (the caller checked that, and that the faulting address
/// is in the guest reservation): if this thread is running compiled code
/// entered through [`enter`], rewrites the signal context `uc` so that the
/// handler returns into `enter`'s epilogue with [`exit::SITE`] and returns
/// `true`. `false` (context untouched) otherwise.
///
/// # Safety
///
/// `uc` is the `ucontext_t` the kernel passed to an `SA_SIGINFO` handler
/// for a fault on this thread.
pub unsafe fn redirect(uc: *mut core::ffi::c_void) -> bool {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let ctx = ACTIVE.with(Cell::get);
        if ctx.is_null() {
            return false;
        }
        // SAFETY: `ctx` is the live context `enter` set for this thread
        // (cleared before `enter` returns), so its `entry_sp` slot holds
        // the stack pointer `ferrovm_jit_enter` saved below its frame; the
        // registers it restores are its own pushes. `uc` is valid per the
        // contract.
        unsafe {
            let sp = *(*ctx).entry_sp.get();
            let uc = uc.cast::<libc::ucontext_t>();
            let gregs = &mut (*uc).uc_mcontext.gregs;
            gregs[libc::REG_RSP as usize] = sp as i64;
            gregs[libc::REG_RIP as usize] = (&raw const ferrovm_jit_enter_fault) as i64;
        }
        true
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = uc;
        false
    }
}
