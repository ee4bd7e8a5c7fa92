//! The hooks a debugger (the gdb stub) gets from the guest's threads.
//!
//! A [`Debugger`] set with [`crate::Process::set_debugger`] is called on
//! each guest thread's own host thread, at the points where the thread can
//! be held without holding anything: when it starts and ends, when its
//! vCPU stops for the engine's debug state ([`ferrovm_engine::debug`]),
//! before a system call, before a signal is delivered, and after every
//! return from guest code (a *checkpoint*, where a thread asked to stop by
//! its [`InterruptHandle`] is held). Holding a thread means not returning
//! from the hook; the debugger reads and writes the thread's registers
//! through the [`DebugThread`] it gets meanwhile.
//!
//! Without a debugger none of this is called (one `Option` test per
//! return from the engine and per signal delivered).

use std::sync::atomic::{AtomicBool, Ordering};

use ferrovm_engine::{InterruptHandle, Stop, Vcpu};

use crate::signal::Signal;

/// A guest thread, as a debugger hook sees it while it holds the thread.
#[derive(Debug)]
pub struct DebugThread<'a> {
    /// Its thread id.
    pub tid: u32,
    /// Its vCPU: registers in `vcpu.cpu`, single-step and budget switches.
    pub vcpu: &'a mut Vcpu,
    /// The process's "exiting" flag.
    pub(crate) exiting: &'a AtomicBool,
}

impl DebugThread<'_> {
    /// Whether the process is ending (`exit_group`, a fatal signal): a
    /// hook holding the thread must let it go, to end.
    pub fn process_exiting(&self) -> bool {
        self.exiting.load(Ordering::Acquire)
    }
}

/// What a debugger is told by the guest's threads (see the module docs).
/// Every hook runs on the guest thread concerned and may hold it by not
/// returning. A hook that returns a signal has it sent to the thread (as
/// gdb's "continue with signal").
pub trait Debugger: Send + Sync {
    /// A thread starts (before its first instruction); `interrupt` stops
    /// it at its next block boundary (then it calls
    /// [`Debugger::checkpoint`]).
    fn thread_started(&self, tid: u32, interrupt: InterruptHandle);

    /// A thread ended.
    fn thread_exited(&self, tid: u32);

    /// The thread returned from guest code (for any reason, after it
    /// handled that reason): hold it here if it was asked to stop.
    fn checkpoint(&self, thread: &mut DebugThread<'_>) -> Option<Signal>;

    /// Its vCPU stopped for the engine's debug state.
    fn stop(&self, thread: &mut DebugThread<'_>, stop: Stop) -> Option<Signal>;

    /// It is about to make the system call its registers describe (`pc`
    /// is the `ecall`); after the call it reaches a checkpoint. The thread
    /// counts as stopped while it is in the call.
    fn syscall(&self, thread: &mut DebugThread<'_>);

    /// Signal `sig` is about to be delivered to it (a handler run, or the
    /// default action). Returns the signal to deliver instead, `None` to
    /// discard it.
    fn signal(&self, thread: &mut DebugThread<'_>, sig: Signal) -> Option<Signal>;
}
