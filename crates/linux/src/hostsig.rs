//! Host signals forwarded to the guest.
//!
//! A host signal meant for the guest (SIGINT from the terminal, SIGTERM
//! from `kill`, SIGCHLD when a forked child ends, ...) is process-directed:
//! every guest thread blocks these signals in the host, and one helper
//! thread takes them with `sigwaitinfo` and sends each to the guest process
//! ([`Proc::send`]), which wakes a guest thread that does not block it —
//! out of a blocking system call too (see [`crate::host::safe`]). A signal
//! whose action is the default "terminate" then ends the guest as Linux
//! would, from whichever thread takes it.
//!
//! SIGSEGV, SIGBUS, SIGILL and SIGFPE stay ferrovm's own, SIGKILL and
//! SIGSTOP cannot be caught, SIGPIPE is raised by ferrovm itself when a
//! guest write gets EPIPE, and the stop signals keep their host meaning.

use std::sync::Arc;

use crate::host;
use crate::process::Proc;
use crate::signal::{SigInfo, Signal};

/// Host signals ferrovm forwards (numbers are the same on x86-64 and
/// riscv64 Linux).
pub const FORWARDED: &[i32] = &[1, 2, 3, 10, 12, 14, 15, 17, 23, 24, 25, 26, 27, 28, 29, 30];

/// Blocks the forwarded signals in the calling thread, and so in every
/// thread it creates from now on (they are taken by the router thread).
pub fn block_forwarded() {
    host::block_signals(FORWARDED);
}

/// Starts the thread that takes forwarded host signals and sends them to
/// `proc`. It ends once the process is gone (at the next signal).
pub fn start_router(proc: &Arc<Proc>) {
    let proc = Arc::downgrade(proc);
    // Without the thread host signals stay blocked: the guest does not see
    // them, but runs on.
    let _ = std::thread::Builder::new().name("ferrovm-signals".into()).stack_size(64 << 10).spawn(move || {
        loop {
            let sig = host::wait_signal(FORWARDED);
            let Some(p) = proc.upgrade() else { return };
            // kill, sigqueue and tgkill (codes <= 0) name their sender.
            let info = if sig.code <= 0 {
                SigInfo::user(Signal(sig.signo), sig.code, sig.sender.0, sig.sender.1)
            } else {
                SigInfo::kernel(Signal(sig.signo))
            };
            p.send(info);
        }
    });
}
