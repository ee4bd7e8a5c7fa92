//! A guest thread: its vCPU, its signal state (mask, pending signals,
//! alternate stack), `clear_child_tid` and robust list, and the run loop
//! that hands system calls to [`crate::syscall`], turns guest faults into
//! the signals Linux would raise, and delivers signals to guest handlers.
//!
//! Every guest thread runs on its own host thread (`clone` makes one), in
//! parallel with the others, all on one shared [`Vm`](ferrovm_engine::Vm).
//! What other threads may touch of a thread — its pending signals, its
//! mask (to route process-directed signals), its wake-up — is its
//! [`ThreadHandle`].

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use ferrovm_engine::{Exit, InterruptHandle, Vcpu};
use ferrovm_mem::{AddressSpace, FaultKind};
use rustix::io::Errno;

use crate::debug::{DebugThread, Debugger};
use crate::host;
use crate::process::{ExitStatus, Proc};
use crate::signal::{self, AltStack, DefaultAction, SIG_DFL, SIG_IGN, SigAction, SigInfo, Signal, code, sa};
use crate::syscall::{self, Outcome, Restart};

/// Host stack of a guest thread's host thread (ferrovm's own frames: the
/// run loop, the interpreter, Cranelift, which is iterative; Rust's test
/// threads compile hot regions on 2 MiB). Small enough for glibc to keep a
/// few in its stack cache: a program that starts and ends thousands of
/// threads then maps and frees (and TLB-shoots down) far less.
const HOST_STACK: usize = 4 << 20;

/// What other threads see of a guest thread.
#[derive(Debug)]
pub(crate) struct ThreadHandle {
    /// Its thread id (its host thread's: guest threads are host threads).
    pub tid: u32,
    /// Its signal mask (the owner writes it; senders read it to pick a
    /// thread for a process-directed signal).
    pub mask: AtomicU64,
    /// Signals sent to this thread.
    pending: Mutex<signal::Pending>,
    /// Non-zero: a guest signal may be waiting; a blocking host system call
    /// must not start (see [`host::safe`]).
    pub kick: AtomicU32,
    /// Stops its vCPU at the next block boundary.
    interrupt: InterruptHandle,
}

impl ThreadHandle {
    /// Signals sent to this thread.
    pub fn pending(&self) -> MutexGuard<'_, signal::Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the thread look at its signals soon: its guest code stops at
    /// the next block boundary, and a blocking system call returns.
    pub fn wake(&self) {
        self.kick.store(1, Ordering::Release);
        self.interrupt.interrupt();
        host::safe::kick(self.tid as i32);
    }
}

/// How a thread's run loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ThreadEnd {
    /// The thread called `exit` (this thread only) with this code.
    Exited(i32),
    /// The process is ending (`exit_group`, a fatal signal); its status is
    /// the process's.
    Group,
}

/// A system call a signal interrupted, to be restarted or to fail with
/// `EINTR` depending on what the signal does (see [`Restart`]).
#[derive(Debug, Clone, Copy)]
struct Interrupted {
    how: Restart,
    /// The first argument (the result register overwrote it).
    a0: u64,
    /// The `ecall`'s address.
    pc: u64,
}

/// One guest thread, owned by its host thread.
pub(crate) struct Thread {
    pub(crate) proc: Arc<Proc>,
    /// The guest memory (the process's).
    pub(crate) mem: Arc<AddressSpace>,
    pub(crate) vcpu: Vcpu,
    pub(crate) me: Arc<ThreadHandle>,
    /// The mask to restore when a handler interrupted `rt_sigsuspend` or
    /// `ppoll` (which run with a temporary mask).
    pub(crate) saved_mask: Option<u64>,
    /// The alternate signal stack.
    pub(crate) altstack: AltStack,
    /// `set_tid_address`/`CLONE_CHILD_CLEARTID`: zeroed and woken at exit.
    pub(crate) clear_child_tid: u64,
    /// `set_robust_list`: the head of the robust futex list.
    pub(crate) robust_list: u64,
    interrupted: Option<Interrupted>,
}

impl std::fmt::Debug for Thread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thread").field("tid", &self.me.tid).field("pc", &self.vcpu.cpu.pc).finish_non_exhaustive()
    }
}

const FUTEX_WAITERS: u32 = linux_raw_sys::general::FUTEX_WAITERS;
const FUTEX_OWNER_DIED: u32 = linux_raw_sys::general::FUTEX_OWNER_DIED;
const FUTEX_TID_MASK: u32 = linux_raw_sys::general::FUTEX_TID_MASK;
/// Most entries of a robust list walked at exit (the kernel's
/// `ROBUST_LIST_LIMIT`).
const ROBUST_LIST_LIMIT: usize = linux_raw_sys::general::ROBUST_LIST_LIMIT as usize;

impl Thread {
    /// The calling host thread as guest thread of `proc`, running `vcpu`
    /// with signal mask `mask`; registered in the process's thread list.
    pub(crate) fn new(proc: Arc<Proc>, vcpu: Vcpu, mask: u64) -> Self {
        let tid = rustix::thread::gettid().as_raw_nonzero().get().unsigned_abs();
        let me = Arc::new(ThreadHandle {
            tid,
            mask: AtomicU64::new(mask),
            pending: Mutex::new(signal::Pending::default()),
            kick: AtomicU32::new(0),
            interrupt: vcpu.interrupt_handle(),
        });
        proc.threads().by_tid.insert(tid, Arc::clone(&me));
        Thread {
            mem: Arc::clone(&proc.mem),
            proc,
            vcpu,
            me,
            saved_mask: None,
            altstack: AltStack::default(),
            clear_child_tid: 0,
            robust_list: 0,
            interrupted: None,
        }
    }

    /// Its thread id.
    pub(crate) fn tid(&self) -> u32 {
        self.me.tid
    }

    /// The signal mask.
    pub(crate) fn mask(&self) -> u64 {
        self.me.mask.load(Ordering::Relaxed)
    }

    /// Replaces the signal mask (SIGKILL and SIGSTOP stay unblocked).
    pub(crate) fn set_mask(&self, mask: u64) {
        self.me.mask.store(mask & !signal::UNBLOCKABLE, Ordering::Release);
    }

    /// The descriptor table.
    pub(crate) fn fds(&self) -> MutexGuard<'_, crate::fd::FdTable> {
        self.proc.files()
    }

    /// The file-system view (lock it before [`Thread::fds`] when both are
    /// needed).
    pub(crate) fn vfs(&self) -> MutexGuard<'_, crate::vfs::Vfs> {
        self.proc.vfs()
    }

    /// Runs the thread until it exits or the process ends.
    pub(crate) fn run(&mut self) -> ThreadEnd {
        let debugger = self.proc.debugger();
        if let Some(d) = &debugger {
            d.thread_started(self.tid(), self.vcpu.interrupt_handle());
            self.debug_checkpoint(d.as_ref());
        }
        let end = self.run_loop(debugger.as_deref());
        if let Some(d) = &debugger {
            d.thread_exited(self.tid());
        }
        end
    }

    /// This thread as a debugger hook sees it.
    fn debug_view(&mut self) -> DebugThread<'_> {
        DebugThread { tid: self.me.tid, vcpu: &mut self.vcpu, exiting: self.proc.exiting_flag() }
    }

    /// A debugger checkpoint (see [`crate::debug`]).
    fn debug_checkpoint(&mut self, d: &dyn Debugger) {
        if let Some(sig) = d.checkpoint(&mut self.debug_view()) {
            self.raise(SigInfo::kernel(sig));
        }
    }

    fn run_loop(&mut self, debugger: Option<&dyn Debugger>) -> ThreadEnd {
        loop {
            if self.proc.exiting() {
                return ThreadEnd::Group;
            }
            let exit = self.vcpu.run();
            if let Some(end) = self.handle_exit(exit, debugger) {
                return end;
            }
        }
    }

    /// Handles one return of the vCPU as Linux would (a system call, a
    /// signal for a fault, a debugger stop), then delivers pending
    /// signals; `Some` when the thread or the process ended.
    pub(crate) fn handle_exit(&mut self, exit: Exit, debugger: Option<&dyn Debugger>) -> Option<ThreadEnd> {
        match exit {
            Exit::Ecall => {
                if let Some(d) = debugger {
                    d.syscall(&mut self.debug_view());
                }
                let a0 = self.vcpu.cpu.regs[10];
                match syscall::dispatch(self) {
                    Outcome::Return(v) => {
                        self.vcpu.cpu.regs[10] = v;
                        self.vcpu.cpu.pc = self.vcpu.cpu.pc.wrapping_add(4);
                    }
                    Outcome::Resume => {}
                    Outcome::Interrupted(how) => {
                        let pc = self.vcpu.cpu.pc;
                        self.interrupted = Some(Interrupted { how, a0, pc });
                        self.vcpu.cpu.regs[10] = (-i64::from(Errno::INTR.raw_os_error())) as u64;
                        self.vcpu.cpu.pc = pc.wrapping_add(4);
                    }
                    Outcome::ExitThread(code) => {
                        self.exit_thread();
                        return Some(ThreadEnd::Exited(code));
                    }
                    Outcome::Exit(status) => {
                        self.proc.group_exit(status);
                        return Some(ThreadEnd::Group);
                    }
                }
            }
            Exit::Breakpoint => {
                self.force(SigInfo::fault(Signal::SIGTRAP, code::TRAP_BRKPT, self.vcpu.cpu.pc));
            }
            Exit::Illegal { .. } => {
                self.force(SigInfo::fault(Signal::SIGILL, code::ILL_ILLOPC, self.vcpu.cpu.pc));
            }
            Exit::Fault(f) => {
                let past_eof =
                    self.proc.sigbus.lock().unwrap_or_else(PoisonError::into_inner).iter().any(|r| r.contains(&f.addr));
                let info = if f.kind == FaultKind::Misaligned {
                    SigInfo::fault(Signal::SIGBUS, code::BUS_ADRALN, f.addr)
                } else if past_eof {
                    SigInfo::fault(Signal::SIGBUS, code::BUS_ADRERR, f.addr)
                } else if f.kind == FaultKind::Unmapped {
                    SigInfo::fault(Signal::SIGSEGV, code::SEGV_MAPERR, f.addr)
                } else {
                    SigInfo::fault(Signal::SIGSEGV, code::SEGV_ACCERR, f.addr)
                };
                self.force(info);
            }
            Exit::Interrupted => {}
            Exit::Debug(stop) => match debugger {
                Some(d) => {
                    if let Some(sig) = d.stop(&mut self.debug_view(), stop) {
                        self.raise(SigInfo::kernel(sig));
                    }
                }
                // Nobody to tell (a forked child of a debugged
                // process): run free.
                None => {
                    self.vcpu.vm().clear_debug();
                    self.vcpu.set_step(false);
                    self.vcpu.set_budget(None);
                }
            },
        }
        if let Some(d) = debugger {
            self.debug_checkpoint(d);
        }
        if self.proc.exiting() {
            return Some(ThreadEnd::Group);
        }
        if let Some(status) = self.deliver_signals() {
            self.proc.group_exit(status);
            return Some(ThreadEnd::Group);
        }
        None
    }

    /// A synchronous signal (a fault) for this thread: if it is blocked or
    /// ignored, Linux resets it to the default action and unblocks it
    /// (`force_sig_info`).
    pub(crate) fn force(&mut self, info: SigInfo) {
        let sig = info.signo;
        {
            let mut ps = self.proc.signals();
            if self.mask() & sig.bit() != 0 || ps.actions.get(sig).handler == SIG_IGN {
                ps.actions.set(sig, SigAction::default());
                self.set_mask(self.mask() & !sig.bit());
            }
        }
        self.me.pending().replace(info);
    }

    /// Sends `info` to this thread (unless the process ignores it).
    pub(crate) fn raise(&mut self, info: SigInfo) {
        if !self.proc.signals().actions.discards(info.signo) {
            self.me.pending().add(info);
            syscall::event::sync_signalfds(&self.proc);
        }
    }

    /// Whether a signal this thread does not block is pending for it or for
    /// the process.
    pub(crate) fn deliverable(&self) -> bool {
        let allowed = !self.mask();
        self.me.pending().bits & allowed != 0 || self.proc.signals().pending.bits & allowed != 0
    }

    /// Whether a pending, unblocked signal would interrupt a sleep: one with
    /// a handler, or one that ends the process (ignored ones do not).
    pub(crate) fn interrupting(&self) -> bool {
        let allowed = !self.mask();
        let pending = (self.me.pending().bits | self.proc.signals().pending.bits) & allowed;
        let ps = self.proc.signals();
        (1..=signal::NSIG as i32).map(Signal).any(|s| pending & s.bit() != 0 && !ps.actions.discards(s))
    }

    /// Waits until a signal is deliverable (`true`) or `until` passes
    /// (`false`), asleep in the host.
    pub(crate) fn wait_for_signal(&self, until: Option<Instant>) -> bool {
        loop {
            self.me.kick.store(0, Ordering::Release);
            if self.deliverable() {
                return true;
            }
            let timeout = match until {
                Some(u) => {
                    let now = Instant::now();
                    if now >= u {
                        return false;
                    }
                    Some(u - now)
                }
                None => None,
            };
            host::sleep(&self.me.kick, timeout);
        }
    }

    /// Makes a blocking host system call that a guest signal interrupts:
    /// then the result is `Err(Restart::Sys)`'s errno, so the call is
    /// restarted or fails with `EINTR` as the signal's action says.
    pub(crate) fn blocking<T>(&self, call: impl FnOnce(&AtomicU32) -> Result<T, Errno>) -> Result<T, Errno> {
        call(&self.me.kick).map_err(|e| if e == Errno::INTR { Restart::Sys.errno() } else { e })
    }

    /// Delivers every deliverable pending signal: guest handlers get a
    /// frame, default actions end the process. Returns the exit status if
    /// the process is killed.
    pub(crate) fn deliver_signals(&mut self) -> Option<ExitStatus> {
        self.me.kick.store(0, Ordering::Release);
        let mut delivered = false;
        loop {
            let mask = self.mask();
            let own = self.me.pending().take(!mask);
            let Some(mut info) = own.or_else(|| self.proc.signals().pending.take(!mask)) else { break };
            if let Some(d) = self.proc.debugger() {
                match d.signal(&mut self.debug_view(), info.signo) {
                    Some(sig) => info.signo = sig,
                    None => continue,
                }
            }
            let sig = info.signo;
            let action = self.proc.signals().actions.get(sig);
            match action.handler {
                SIG_IGN if sig != Signal::SIGKILL => {}
                SIG_DFL | SIG_IGN => {
                    if sig == Signal::SIGKILL || signal::default_action(sig) == DefaultAction::Terminate {
                        tracing::info!(
                            target: ferrovm_engine::log::target::INT,
                            "signal {} ({}) at pc {:#x}: default action, the process is killed",
                            crate::syscall::signal_name(sig.0),
                            sig.0,
                            self.vcpu.cpu.pc
                        );
                        return Some(ExitStatus::Signaled(sig));
                    }
                }
                _ => {
                    if let Some(i) = self.interrupted.take() {
                        let restart = match i.how {
                            Restart::Sys => action.flags & sa::RESTART != 0,
                            Restart::NoHandler => false,
                        };
                        if restart {
                            self.vcpu.cpu.regs[10] = i.a0;
                            self.vcpu.cpu.pc = i.pc;
                        }
                    }
                    tracing::info!(
                        target: ferrovm_engine::log::target::INT,
                        "signal {} ({}) delivered at pc {:#x} {} to handler {:#x} {}",
                        crate::syscall::signal_name(sig.0),
                        sig.0,
                        self.vcpu.cpu.pc,
                        self.proc.vm.describe(self.vcpu.cpu.pc),
                        action.handler,
                        self.proc.vm.describe(action.handler)
                    );
                    let saved = self.saved_mask.take().unwrap_or(mask);
                    let target = signal::FrameTarget {
                        alt: self.altstack,
                        trampoline: self.proc.trampoline,
                        vector: self.proc.vm.config().isa.has(ferrovm_engine::riscv::Ext::V),
                    };
                    let ok = signal::setup_frame(&self.mem, &mut self.vcpu.cpu, target, &info, &action, saved);
                    if !ok {
                        return Some(ExitStatus::Signaled(Signal::SIGSEGV));
                    }
                    let mut new = mask | action.mask;
                    if action.flags & sa::NODEFER == 0 {
                        new |= sig.bit();
                    }
                    self.set_mask(new);
                    if action.flags & sa::RESETHAND != 0 {
                        self.proc.signals().actions.set(sig, SigAction::default());
                    }
                    delivered = true;
                }
            }
        }
        syscall::event::sync_signalfds(&self.proc);
        // No handler ran for an interrupted system call: it restarts.
        if let Some(i) = self.interrupted.take() {
            self.vcpu.cpu.regs[10] = i.a0;
            self.vcpu.cpu.pc = i.pc;
        }
        if !delivered && let Some(mask) = self.saved_mask.take() {
            self.set_mask(mask);
        }
        None
    }

    /// `clone` of a thread (the flags were checked): a new guest thread on a
    /// new host thread, sharing everything, starting after the `ecall` with
    /// `a0` = 0, stack `newsp`, and `tls` as `tp` if `settls`. Returns its
    /// tid once its `ptid`/`ctid` words are written.
    pub(crate) fn spawn_thread(
        &mut self,
        newsp: u64,
        tls: Option<u64>,
        ptid: Option<u64>,
        ctid: Option<u64>,
        clear: Option<u64>,
    ) -> Result<u32, Errno> {
        let mut cpu = self.vcpu.cpu.clone();
        cpu.regs[10] = 0;
        cpu.pc = cpu.pc.wrapping_add(4);
        if newsp != 0 {
            cpu.regs[2] = newsp;
        }
        if let Some(tls) = tls {
            cpu.regs[4] = tls;
        }
        let vcpu = self.proc.vm.vcpu(cpu);
        let proc = Arc::clone(&self.proc);
        let mask = self.mask();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel::<u32>();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<bool>();
        let spawned =
            std::thread::Builder::new().name("ferrovm-guest".into()).stack_size(HOST_STACK).spawn(move || {
                let mut t = Thread::new(proc, vcpu, mask);
                t.clear_child_tid = clear.unwrap_or(0);
                if tid_tx.send(t.tid()).is_err() || go_rx.recv() != Ok(true) {
                    t.proc.thread_ended(t.tid());
                    return;
                }
                let end = t.run();
                // In a forked child the thread that forked ends the process
                // (there is no `Process::run` there); elsewhere the host
                // thread just ends.
                if t.proc.driver() == t.tid() {
                    let proc = Arc::clone(&t.proc);
                    drop(t);
                    proc.finish(end).end_host_process();
                }
            });
        if spawned.is_err() {
            return Err(Errno::AGAIN);
        }
        let tid = tid_rx.recv().map_err(|_| Errno::AGAIN)?;
        // Linux writes both before either thread runs on.
        let bytes = tid.to_le_bytes();
        let written = [ptid, ctid].into_iter().flatten().try_for_each(|addr| self.mem.write_bytes(addr, &bytes));
        let _ = go_tx.send(written.is_ok());
        written.map_err(|_| Errno::FAULT)?;
        Ok(tid)
    }

    /// Forks the host process for a guest `fork`: every other thread is
    /// stopped at a safe point and every lock taken first, so the child,
    /// where only this thread goes on, finds a consistent process.
    pub(crate) fn fork_host(&mut self) -> std::io::Result<host::Forked> {
        let proc = Arc::clone(&self.proc);
        let vm = Arc::clone(&proc.vm);
        let locks = proc.lock_for_fork();
        // Where the child's copy of the code cache cannot be made, the fork
        // fails as Linux's does without memory.
        let guard = vm.prepare_fork(&self.vcpu).map_err(|e| {
            tracing::warn!("fork: {e}");
            std::io::Error::from_raw_os_error(libc::ENOMEM)
        })?;
        let forked = host::fork();
        if let Ok(host::Forked::Child) = forked {
            guard.child(&self.vcpu);
            drop(locks);
            // A new thread id (the child's pid); signals sent to the
            // parent's thread stay there.
            let tid = rustix::thread::gettid().as_raw_nonzero().get().unsigned_abs();
            self.me = Arc::new(ThreadHandle {
                tid,
                mask: AtomicU64::new(self.mask()),
                pending: Mutex::new(signal::Pending::default()),
                kick: AtomicU32::new(0),
                interrupt: self.vcpu.interrupt_handle(),
            });
            proc.after_fork_child(&self.me);
        } else {
            guard.parent();
            drop(locks);
        }
        forked
    }

    /// This thread ends alone (`exit`): its robust futexes are released,
    /// `clear_child_tid` is zeroed and woken (what `pthread_join` waits
    /// for), and it leaves the thread list.
    pub(crate) fn exit_thread(&mut self) {
        self.release_robust_futexes();
        if self.clear_child_tid != 0 && self.mem.write_bytes(self.clear_child_tid, &0u32.to_le_bytes()).is_ok() {
            host::futex_wake(&self.mem, self.clear_child_tid, i32::MAX);
        }
        self.proc.thread_ended(self.tid());
    }

    /// Walks the robust list (`set_robust_list`) as the kernel does at
    /// thread exit (`exit_robust_list`): every futex this thread still owns
    /// gets `FUTEX_OWNER_DIED`, and a waiter is woken.
    fn release_robust_futexes(&self) {
        let head = self.robust_list;
        if head == 0 {
            return;
        }
        let word = |addr: u64| -> Option<u64> {
            let mut b = [0u8; 8];
            self.mem.read_bytes(addr, &mut b).ok().map(|()| u64::from_le_bytes(b))
        };
        // struct robust_list_head { next, futex_offset, list_op_pending }
        let (Some(mut entry), Some(offset), Some(pending)) = (word(head), word(head + 8), word(head + 16)) else {
            return;
        };
        for _ in 0..ROBUST_LIST_LIMIT {
            if entry & !1 == head {
                break;
            }
            let next = word(entry & !1);
            if entry & !1 != pending & !1 {
                self.futex_death((entry & !1).wrapping_add(offset), entry & 1 != 0);
            }
            let Some(next) = next else { break };
            entry = next;
        }
        if pending != 0 {
            self.futex_death((pending & !1).wrapping_add(offset), pending & 1 != 0);
        }
    }

    /// The kernel's `handle_futex_death` for the futex word at `addr`.
    fn futex_death(&self, addr: u64, pi: bool) {
        let tid = self.tid();
        loop {
            let mut word = [0u8; 4];
            if self.mem.read_bytes(addr, &mut word).is_err() {
                return;
            }
            let old = u32::from_le_bytes(word);
            if old & FUTEX_TID_MASK != tid {
                return;
            }
            let new = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
            match self.mem.compare_exchange_u32_syscall(addr, old, new) {
                Ok(Ok(_)) => {
                    if !pi && old & FUTEX_WAITERS != 0 {
                        host::futex_wake(&self.mem, addr, 1);
                    }
                    return;
                }
                Ok(Err(_)) => {}
                Err(_) => return,
            }
        }
    }
}
