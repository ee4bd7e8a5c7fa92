//! The host `SIGSEGV`/`SIGBUS` (and `SIGILL`) handler: a host fault that
//! belongs to the guest becomes a guest fault, never a ferrovm crash.
//!
//! * A fault in a guest-memory copy of a thread that is not running guest
//!   code (a system call reading a buffer that another guest thread just
//!   unmapped) resumes at the copy's fault exit, which reports a guest
//!   fault to its caller (`EFAULT` for the system call); see
//!   [`ferrovm_mem::fixup`].
//! * Compiled code without inline checks ([`ferrovm_jit::MemAccess::Direct`])
//!   faults in the host wherever the guest access would fault (the address
//!   space mirrors guest permissions in the host protection, and pages
//!   holding translated code are write-protected): a fault at a direct
//!   access in compiled code with an address in a guest reservation
//!   resumes at the access's side exit ([`ferrovm_jit::fault::redirect`])
//!   and the engine runs that instruction in the interpreter, which raises
//!   the precise guest fault or does the write to code.
//! * Trap-mode code ([`ferrovm_jit::MemAccess::Trap`]) has no branch before
//!   its accesses: a store into a page holding translated code is made
//!   possible ([`ferrovm_mem::AddressSpace::resolve_host_fault`]) and runs
//!   again; any other fault there is a guest fault, and the thread leaves
//!   compiled code at once ([`ferrovm_jit::fault::abort`]) with `pc` at the
//!   access. Its limit check traps (`ud2`, a host `SIGILL`) at an access
//!   whose address is beyond the guest's space: the same way out.
//! * With mirroring, a checked access (the interpreter, a helper, a system
//!   call's copy, a vector access in compiled code) can race with another
//!   thread write-protecting a code page;
//!   [`ferrovm_mem::AddressSpace::resolve_host_fault`] makes the page
//!   writable (recording the code as stale) and the access runs again.
//! * Otherwise guest code never faults in the host: an unmap releases host
//!   pages only after every running vCPU passed a safe point (the unmap
//!   barrier, [`crate::Vm::synchronize`]). Any other host fault at a pc in
//!   compiled code is a ferrovm bug: it is reported with the address it
//!   touched and ends the process as the guest would have died
//!   (`SIGSEGV`), instead of a bare crash.
//! * Anything else (a fault in ferrovm itself, a Rust stack overflow) goes
//!   to the handler that was installed before, or to the default action.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Code-cache ranges (start, end) of the live JIT code stores, to tell a
/// fault in compiled code; a VM frees its slot when it goes away (many VMs
/// come and go in one process: `execve`, tests).
static CODE_RANGES: [(AtomicUsize, AtomicUsize); 64] = [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 64];

/// The address spaces of the live VMs (`*const AddressSpace`, 0 when
/// free), to tell a fault in a guest reservation.
static SPACES: [AtomicUsize; 64] = [const { AtomicUsize::new(0) }; 64];

/// Registers `mem` (kept alive by its VM until [`remove_space`]).
pub(crate) fn add_space(mem: &std::sync::Arc<ferrovm_mem::AddressSpace>) {
    let p = std::sync::Arc::as_ptr(mem) as usize;
    for s in &SPACES {
        if s.compare_exchange(0, p, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            return;
        }
    }
}

/// Forgets `mem` (its VM is going away).
pub(crate) fn remove_space(mem: &std::sync::Arc<ferrovm_mem::AddressSpace>) {
    let p = std::sync::Arc::as_ptr(mem) as usize;
    for s in &SPACES {
        let _ = s.compare_exchange(p, 0, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// The registered address space whose reservation holds host address
/// `addr`.
fn space_of(addr: usize) -> Option<&'static ferrovm_mem::AddressSpace> {
    SPACES.iter().find_map(|s| {
        let p = s.load(Ordering::Acquire) as *const ferrovm_mem::AddressSpace;
        // SAFETY: a registered space stays alive until its VM removes it
        // (VMs are dropped only once their vCPUs are gone).
        let mem = unsafe { p.as_ref() }?;
        let base = mem.host_base() as usize;
        let len = (ferrovm_mem::GUEST_LIMIT + ferrovm_mem::HOST_GUARD) as usize;
        (addr >= base && addr - base < len).then_some(mem)
    })
}

/// The actions that were installed before ours (`SIGSEGV`, `SIGBUS`,
/// `SIGILL`).
static PREVIOUS: OnceLock<[libc::sigaction; 3]> = OnceLock::new();

/// Installs the handler for `SIGSEGV`, `SIGBUS` and `SIGILL` (once per
/// process).
pub(crate) fn install() {
    PREVIOUS.get_or_init(|| {
        // SAFETY: sigaction with zeroed, then filled structs; the handler
        // only reads the fault context and, for a known fixup, rewrites the
        // saved pc; otherwise it restores the previous action.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_fault as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut old: [libc::sigaction; 3] = std::mem::zeroed();
            libc::sigaction(libc::SIGSEGV, &sa, &mut old[0]);
            libc::sigaction(libc::SIGBUS, &sa, &mut old[1]);
            libc::sigaction(libc::SIGILL, &sa, &mut old[2]);
            old
        }
    });
}

/// Records a code cache's host range, so a fault there is recognized.
pub(crate) fn add_code_range(start: usize, end: usize) {
    for (s, e) in &CODE_RANGES {
        if s.compare_exchange(0, start, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            e.store(end, Ordering::Release);
            return;
        }
    }
}

/// Forgets a code cache's range (its VM is going away).
pub(crate) fn remove_code_range(start: usize) {
    for (s, e) in &CODE_RANGES {
        if s.load(Ordering::Acquire) == start {
            e.store(0, Ordering::Release);
            let _ = s.compare_exchange(start, 0, Ordering::AcqRel, Ordering::Acquire);
        }
    }
}

fn in_compiled_code(pc: usize) -> bool {
    CODE_RANGES.iter().any(|(s, e)| {
        let (s, e) = (s.load(Ordering::Acquire), e.load(Ordering::Acquire));
        s != 0 && (s..e).contains(&pc)
    })
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext for an
    // SA_SIGINFO handler; only the saved rip is read and, at a known fixup,
    // rewritten to the fault exit of the same routine (same stack).
    let (pc, addr) = unsafe {
        (
            (*uc.cast::<libc::ucontext_t>()).uc_mcontext.gregs[libc::REG_RIP as usize] as usize,
            (*info).si_addr() as usize,
        )
    };
    // Only faults the kernel raised for an access (not a kill(2)).
    // SAFETY: as above.
    let from_kernel = unsafe { (*info).si_code } > 0;
    // A trap-mode limit check that failed: a `ud2` the code store marked
    // as an access, whose guest address is beyond the guest's space
    // (reported as the limit). `abort` takes only a marked pc, and the
    // only marked instructions that can raise `SIGILL` are those `ud2`s
    // (the others are loads and stores).
    if sig == libc::SIGILL && from_kernel && in_compiled_code(pc) {
        // SAFETY: `uc` is this signal's context, on this thread.
        if unsafe { ferrovm_jit::fault::abort(uc, usize::MAX) } {
            return;
        }
    }
    // A SIGBUS for an existing mapping whose file ended under it (a file
    // truncated after a `MAP_SHARED` mmap): no permission to fix and no
    // page to retry on. Only a system call's guest copy resolves it (its
    // fixup, EFAULT); otherwise the process dies of SIGBUS below, which is
    // what Linux does to a guest without a SIGBUS handler. (A guest
    // handler does not run: the access cannot be unwound precisely from
    // the interpreter or a helper; README, the code cache row.)
    // SAFETY: as above.
    let past_eof = sig == libc::SIGBUS && unsafe { (*info).si_code } == libc::BUS_ADRERR;
    if from_kernel
        && !past_eof
        && let Some(mem) = space_of(addr)
    {
        // SAFETY: `uc` is this fault's context; the pc is in compiled code
        // and the address in a guest reservation.
        if in_compiled_code(pc) && unsafe { ferrovm_jit::fault::redirect(uc) } {
            return;
        }
        if mem.resolve_host_fault(addr, {
            // SAFETY: as above; x86-64's page-fault error code, bit 1: a write.
            unsafe { (*uc.cast::<libc::ucontext_t>()).uc_mcontext.gregs[libc::REG_ERR as usize] & 2 != 0 }
        }) {
            // A store into a page holding translated code (by a trap-mode
            // access, or a checked one that raced with the page's write
            // protection): it runs again and succeeds, and compiled code
            // leaves at its next block boundary to drop what is stale.
            if in_compiled_code(pc) {
                ferrovm_jit::fault::note_code_write(pc);
            }
            return;
        }
        // SAFETY: as above.
        if in_compiled_code(pc) && unsafe { ferrovm_jit::fault::abort(uc, addr) } {
            // A guest fault at a trap-mode access: the engine delivers it.
            return;
        }
    }
    // SAFETY: as above.
    unsafe {
        let rip = &mut (*uc.cast::<libc::ucontext_t>()).uc_mcontext.gregs[libc::REG_RIP as usize];
        if let Some(landing) = ferrovm_mem::fixup::fixup(*rip as usize) {
            *rip = landing as i64;
            return;
        }
    }
    if in_compiled_code(pc) && !past_eof {
        // Async-signal-safe: a fixed message through write(2).
        let mut msg = *b"ferrovm: internal error: host fault in compiled code at host address 0x0000000000000000\n";
        let hex = b"0123456789abcdef";
        let digits = msg.len() - 17;
        for i in 0..16 {
            msg[digits + i] = hex[(addr >> (60 - 4 * i)) & 15];
        }
        // SAFETY: writes a stack buffer to stderr.
        unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
    }
    // Not a guest fault ferrovm can resume: the previous action takes it
    // (Rust's stack-overflow report, or the default: the process dies).
    let Some(previous) = PREVIOUS.get() else { return };
    let old = match sig {
        libc::SIGBUS => &previous[1],
        libc::SIGILL => &previous[2],
        _ => &previous[0],
    };
    // SAFETY: restores the previous action for this signal; the faulting
    // instruction runs again on return and raises it under that action.
    unsafe {
        if old.sa_flags & libc::SA_SIGINFO != 0 && old.sa_sigaction > 1 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(old.sa_sigaction);
            f(sig, info, uc);
        } else {
            libc::sigaction(sig, old, std::ptr::null_mut());
        }
    }
}

/// The fault of the load or store at `cpu.pc` with its own address, for a
/// trap-mode fault `f` that reports the guest limit instead (a failed
/// limit check, which knows only that the address is beyond the guest's
/// space or wrapped around into its first page: see the JIT's
/// `Tr::trap_check`), when `cpu`'s registers are precise at that access
/// (code that writes them through, run while the guest has a handler for
/// the fault and can see its address). Anything else is left as it is.
pub(crate) fn with_access_address(
    mem: &ferrovm_mem::AddressSpace,
    cpu: &ferrovm_ir::Cpu,
    f: ferrovm_mem::Fault,
) -> ferrovm_mem::Fault {
    use ferrovm_mem::{FaultKind, GUEST_LIMIT};
    use ferrovm_riscv::Opcode as O;
    if f.addr != GUEST_LIMIT {
        return f;
    }
    let Ok(half) = mem.fetch_u16(cpu.pc) else { return f };
    let inst = if half & 3 != 3 {
        ferrovm_riscv::decode16(half)
    } else {
        match mem.fetch_u32(cpu.pc) {
            Ok(word) => ferrovm_riscv::decode(word),
            Err(_) => return f,
        }
    };
    let base = cpu.regs[usize::from(inst.rs1)];
    // What the lifter makes of it: a load or store at `x[rs1] + imm`, a
    // cache-block operation's access at its block (`lift::cmo`).
    let addr = match inst.op {
        O::Lb | O::Lh | O::Lw | O::Ld | O::Lbu | O::Lhu | O::Lwu | O::Sb | O::Sh | O::Sw | O::Sd => {
            base.wrapping_add(inst.imm as u64)
        }
        O::Flh | O::Flw | O::Fld | O::Fsh | O::Fsw | O::Fsd => base.wrapping_add(inst.imm as u64),
        O::CboClean | O::CboFlush => base,
        O::CboZero => base & !(ferrovm_riscv::lift::CACHE_BLOCK - 1),
        _ => return f,
    };
    let kind = if addr < GUEST_LIMIT && mem.page_mapped(addr) { FaultKind::Protection } else { FaultKind::Unmapped };
    ferrovm_mem::Fault { addr, kind, ..f }
}
