//! ferrovm's Linux user-mode layer: run a riscv64 Linux program on this host.
//!
//! [`Process::load`] checks and maps an ELF executable, builds the initial
//! stack (argv, envp, auxv) and the CPU state; [`Process::run`] drives the
//! engine, serving system calls and turning guest faults into the signals
//! Linux would deliver, until the program exits.
//!
//! ```no_run
//! use ferrovm_linux::{Options, Process};
//! let mut process = Process::load("tests/guests/bin/min_hello".as_ref(), Options::default())?;
//! let status = process.run()?;
//! println!("exit status {}", status.shell_code());
//! # Ok::<(), ferrovm_linux::Error>(())
//! ```

pub mod debug;
pub mod elf;
mod error;
pub mod fd;
pub mod filter;
mod host;
mod hostsig;
mod process;
pub mod signal;
pub mod stack;
pub mod symbols;
mod syscall;
mod thread;
mod vfork;
pub mod vfs;

pub use debug::{DebugThread, Debugger};
pub use error::{Error, Result};
pub use process::{ExitStatus, HugePages, MINSIGSTKSZ, Options, Process, default_sysroot};
pub use signal::Signal;
pub use stack::MAX_STACK_SIZE;
pub use symbols::Symbols;
pub use syscall::nr;
