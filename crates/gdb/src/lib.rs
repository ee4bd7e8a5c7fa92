//! A gdb remote stub for ferrovm's Linux user mode: `ferrovm run -g PORT`
//! (QEMU's `-g`), then `target remote :PORT` in `gdb-multiarch`.
//!
//! - The target description is RV64GC's: `x0`-`x31`, `pc`, `f0`-`f31`,
//!   `fflags`, `frm`, `fcsr` ([`arch`]).
//! - Breakpoints (`break`, `hbreak`) are the engine's stop addresses and
//!   watchpoints (`watch`, `rwatch`, `awatch`) its watched ranges; single
//!   steps are its step switch (see `ferrovm_engine::debug` for how they
//!   work under every engine). Guest memory is never patched.
//! - Every guest thread is a gdb thread, numbered 1, 2, 3… in the order
//!   they started; all-stop mode: when one stops, all do ([`hub`]).
//! - Signals are reported before they are delivered (gdb decides whether
//!   the guest gets them); the exit status or the fatal signal when the
//!   process ends.
//! - `detach` lets the program run on alone; `kill` ends it.
//!
//! ```no_run
//! use ferrovm_linux::{Options, Process};
//! let mut process = Process::load("tests/guests/bin/gdb_target".as_ref(), Options::default())?;
//! let listener = std::net::TcpListener::bind("127.0.0.1:1234")?;
//! let stub = ferrovm_gdb::Stub::start(&process, listener, || std::process::exit(137));
//! let status = process.run()?;
//! stub.finish(status);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod arch;
pub mod hub;
mod signals;
mod target;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use ferrovm_linux::{ExitStatus, Process};
use gdbstub::stub::{DisconnectReason, GdbStub};

use crate::hub::Hub;
use crate::target::{EventLoop, GuestTarget};

/// How a gdb session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// gdb saw the process end.
    Exited,
    /// gdb detached (or went away): the program runs on.
    Detached,
    /// gdb killed the program: end it now.
    Kill,
}

/// A running stub, serving one gdb connection on its own thread.
#[derive(Debug)]
pub struct Stub {
    hub: Arc<Hub>,
    thread: JoinHandle<Ended>,
    /// The host process it serves.
    pid: u32,
}

impl Stub {
    /// Attaches to `process` (its first thread is held before its first
    /// instruction) and serves the first gdb that connects to `listener`,
    /// on a thread of its own. Call before [`Process::run`].
    /// `kill` from gdb calls `on_kill` (which should end the process).
    pub fn start(process: &Process, listener: TcpListener, on_kill: impl FnOnce() + Send + 'static) -> Stub {
        let hub = Hub::new(Arc::clone(process.vm()));
        process.set_debugger(Arc::clone(&hub) as Arc<dyn ferrovm_linux::Debugger>);
        let served = Arc::clone(&hub);
        let auxv = initial_auxv(process);
        let thread = std::thread::Builder::new()
            .name("ferrovm-gdb".into())
            .spawn(move || {
                let ended = serve(&served, &listener, auxv);
                if ended == Ended::Kill {
                    on_kill();
                }
                ended
            })
            .unwrap_or_else(|_| {
                // No thread, no debugger: the program runs free.
                hub.detach();
                std::thread::spawn(|| Ended::Detached)
            });
        Stub { hub, thread, pid: std::process::id() }
    }

    /// Whether the session has ended (gdb detached or killed the program).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// The process ended with `status`: tells gdb and waits for the
    /// session to end.
    /// In a forked child of the guest (whose first thread forked) there
    /// is no session: it returns [`Ended::Detached`] at once.
    pub fn finish(self, status: ExitStatus) -> Ended {
        if std::process::id() != self.pid {
            return Ended::Detached;
        }
        self.hub.exited(status);
        self.thread.join().unwrap_or(Ended::Detached)
    }
}

/// Serves one connection.
fn serve(hub: &Arc<Hub>, listener: &TcpListener, auxv: Vec<u8>) -> Ended {
    let Ok((conn, _)) = listener.accept() else {
        hub.detach();
        return Ended::Detached;
    };
    hub.wait_first();
    let mut target = GuestTarget::new(Arc::clone(hub), auxv);
    let ended = match GdbStub::new(conn).run_blocking::<EventLoop>(&mut target) {
        Ok(DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)) => Ended::Exited,
        Ok(DisconnectReason::Kill) => Ended::Kill,
        Ok(DisconnectReason::Disconnect) => Ended::Detached,
        Err(e) => {
            eprintln!("ferrovm: gdb stub: {e}");
            Ended::Detached
        }
    };
    if ended != Ended::Exited {
        hub.detach();
    }
    ended
}

/// The auxiliary vector on the initial stack of a process that has not
/// run yet (`argc`, `argv`, 0, `envp`, 0, then the pairs up to `AT_NULL`),
/// as bytes; empty if the stack cannot be read.
fn initial_auxv(process: &Process) -> Vec<u8> {
    let mem = process.vm().memory();
    let word = |addr: u64| {
        let mut b = [0u8; 8];
        mem.read_bytes_force(addr, &mut b).ok().map(|()| u64::from_le_bytes(b))
    };
    let sp = process.cpu().regs[2];
    let mut at = sp;
    let Some(argc) = word(at) else { return Vec::new() };
    at = at.wrapping_add(8 * (argc.saturating_add(2)));
    // The environment, up to its 0.
    while let Some(w) = word(at) {
        at = at.wrapping_add(8);
        if w == 0 {
            break;
        }
    }
    let mut auxv = Vec::new();
    for _ in 0..64 {
        let (Some(key), Some(value)) = (word(at), word(at.wrapping_add(8))) else { break };
        auxv.extend_from_slice(&key.to_le_bytes());
        auxv.extend_from_slice(&value.to_le_bytes());
        at = at.wrapping_add(16);
        if key == 0 {
            break;
        }
    }
    auxv
}
