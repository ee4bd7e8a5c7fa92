//! The embedder's system-call filter ([`crate::Process::set_syscall_filter`]):
//! a callback that sees every system call of every guest thread before it
//! is made and decides, like a seccomp filter, whether it runs, fails with
//! an errno, or kills the process.
//!
//! The callback runs on the guest thread making the call, with the guest's
//! registers as they are at the `ecall`; it may read guest memory (a path
//! argument, say) through [`SyscallInfo::mem`]. Without a filter nothing
//! is called (one `Option` test per system call).
//!
//! ```no_run
//! use std::sync::Arc;
//! use ferrovm_linux::filter::{SyscallInfo, Verdict};
//! use ferrovm_linux::{nr, Options, Process};
//!
//! let mut process = Process::load("tests/guests/bin/min_hello".as_ref(), Options::default())?;
//! process.set_syscall_filter(Some(Arc::new(|call: &SyscallInfo<'_>| match call.nr {
//!     nr::OPENAT => Verdict::Deny(libc::EACCES),
//!     _ => Verdict::Allow,
//! })));
//! let status = process.run()?;
//! # Ok::<(), ferrovm_linux::Error>(())
//! ```

use std::sync::Arc;

use ferrovm_mem::AddressSpace;

/// A system call about to be made.
#[derive(Debug)]
pub struct SyscallInfo<'a> {
    /// Its number (`a7`; see [`crate::nr`]).
    pub nr: u64,
    /// Its arguments (`a0`–`a5`).
    pub args: [u64; 6],
    /// The calling thread's id.
    pub tid: u32,
    /// The address of the `ecall`.
    pub pc: u64,
    /// The guest's memory, to read arguments that point into it.
    pub mem: &'a AddressSpace,
}

impl SyscallInfo<'_> {
    /// The system call's name (`openat`), if ferrovm knows the number.
    pub fn name(&self) -> Option<&'static str> {
        crate::nr::name(self.nr)
    }

    /// The NUL-terminated string at guest address `addr` (at most `max`
    /// bytes), for a path argument; `None` if it cannot be read.
    pub fn string(&self, addr: u64, max: usize) -> Option<Vec<u8>> {
        self.mem.read_cstr(addr, max).ok()
    }
}

/// What happens to a system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It is made as usual.
    Allow,
    /// It is not made: it returns `-errno` (`Deny(libc::EPERM)`), as with
    /// `SECCOMP_RET_ERRNO`.
    Deny(i32),
    /// It is not made: the process dies of `SIGSYS`, as with
    /// `SECCOMP_RET_KILL_PROCESS`.
    Kill,
}

/// A system-call filter (see the module docs).
pub type SyscallFilter = Arc<dyn Fn(&SyscallInfo<'_>) -> Verdict + Send + Sync>;
