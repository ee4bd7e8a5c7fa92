//! Host signals forwarded to the guest.
//!
//! A host signal (SIGINT from the terminal, SIGTERM from `kill`, SIGCHLD
//! when a forked child ends, ...) only sets flags: one per signal, and the
//! engine's interrupt flag, so the run loop stops at the next block
//! boundary and delivers it to the guest. When the guest's disposition is
//! the default "terminate", a second, conditional action ends ferrovm by
//! the same signal at once, so that a guest blocked in a host system call
//! (a `read` from a terminal) still dies of SIGINT the way it would on
//! Linux. The handlers come from `signal-hook`, whose flag API is safe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferrovm_engine::InterruptHandle;

use signal_hook::SigId;

use crate::signal::{DefaultAction, SIG_DFL, Signal, SignalState, default_action};

/// Host signals ferrovm forwards (numbers are the same on x86-64 and
/// riscv64 Linux). SIGSEGV, SIGBUS, SIGILL and SIGFPE stay ferrovm's own,
/// SIGKILL and SIGSTOP cannot be caught, SIGPIPE is raised by ferrovm itself
/// when a guest write gets EPIPE, and the stop signals keep their host meaning.
pub const FORWARDED: &[i32] = &[1, 2, 3, 10, 12, 14, 15, 17, 23, 24, 25, 26, 27, 28, 29, 30];

struct Forward {
    sig: i32,
    pending: Arc<AtomicBool>,
    kill_now: Arc<AtomicBool>,
}

/// The handlers installed for one process; removed on drop.
pub struct HostSignals {
    forwards: Vec<Forward>,
    ids: Vec<SigId>,
}

impl std::fmt::Debug for HostSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostSignals").field("handlers", &self.ids.len()).finish()
    }
}

impl HostSignals {
    /// Installs the forwarding handlers; `interrupt` stops the vCPU.
    /// A signal that cannot be hooked is simply not forwarded.
    pub fn install(interrupt: &InterruptHandle) -> HostSignals {
        let mut hs = HostSignals { forwards: Vec::new(), ids: Vec::new() };
        for &sig in FORWARDED {
            let pending = Arc::new(AtomicBool::new(false));
            let terminates = default_action(Signal(sig)) == DefaultAction::Terminate;
            let kill_now = Arc::new(AtomicBool::new(terminates));
            let Ok(id) = signal_hook::flag::register(sig, Arc::clone(&pending)) else { continue };
            hs.ids.push(id);
            let handle = interrupt.clone();
            // SAFETY: the action only sets bits of an atomic through an
            // `Arc` the closure owns: async-signal-safe, no allocation, no
            // lock.
            if let Ok(id) = unsafe { signal_hook::low_level::register(sig, move || handle.interrupt()) } {
                hs.ids.push(id);
            }
            if terminates && let Ok(id) = signal_hook::flag::register_conditional_default(sig, Arc::clone(&kill_now)) {
                hs.ids.push(id);
            }
            hs.forwards.push(Forward { sig, pending, kill_now });
        }
        hs
    }

    /// Moves arrived host signals into the guest's pending set.
    pub fn collect(&self, state: &mut SignalState) {
        for f in &self.forwards {
            if f.pending.swap(false, Ordering::AcqRel) {
                state.raise(crate::signal::SigInfo::kernel(Signal(f.sig)));
            }
        }
    }

    /// Re-arms the "terminate at once" actions after the guest changed its
    /// dispositions or mask.
    pub fn update(&self, state: &SignalState) {
        for f in &self.forwards {
            let sig = Signal(f.sig);
            let dfl = state.action(sig).handler == SIG_DFL
                && default_action(sig) == DefaultAction::Terminate
                && state.mask & sig.bit() == 0;
            f.kill_now.store(dfl, Ordering::Release);
        }
    }
}

impl Drop for HostSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
