//! Guest signals: numbers, and the per-process handler table.
//!
//! Delivery of guest handlers is not implemented yet: a synchronous signal
//! (fault, illegal instruction, breakpoint) ends the process with that signal,
//! which is Linux's default action when no handler is installed. The table
//! below keeps what the guest installed with `rt_sigaction` so that old
//! actions read back correctly.

/// A Linux signal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(pub i32);

impl Signal {
    /// Trace/breakpoint trap.
    pub const SIGTRAP: Signal = Signal(5);
    /// Illegal instruction.
    pub const SIGILL: Signal = Signal(4);
    /// Bus error (misaligned atomic).
    pub const SIGBUS: Signal = Signal(7);
    /// Segmentation fault.
    pub const SIGSEGV: Signal = Signal(11);
}

/// Number of signals (1..=64).
pub const NSIG: usize = 64;

/// A guest `struct sigaction` as riscv64 Linux lays it out
/// (`sa_handler`, `sa_flags`, `sa_mask`: 8 + 8 + 8 bytes; no restorer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigAction {
    /// Handler address, or 0 (`SIG_DFL`) / 1 (`SIG_IGN`).
    pub handler: u64,
    /// `SA_*` flags.
    pub flags: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

/// Per-process signal state.
#[derive(Debug, Clone)]
pub struct SignalState {
    /// Installed actions, index = signal number - 1.
    pub actions: [SigAction; NSIG],
    /// Blocked signals of the (single) thread.
    pub mask: u64,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState { actions: [SigAction::default(); NSIG], mask: 0 }
    }
}
