//! The two host operations the safe wrappers (`rustix`, `std`) do not
//! offer safely: `fork` of the whole ferrovm process (for a guest
//! `fork`/`vfork`/`clone(SIGCHLD)`), and adopting a descriptor that a parent
//! ferrovm passed through `execve`. This is the only `unsafe` in the crate.

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

/// Result of [`fork`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// In the parent: the child's pid.
    Parent(u32),
    /// In the child.
    Child,
}

/// Forks the host process (ferrovm and its guest). The child gets a
/// copy-on-write copy of guest memory and of every ferrovm data structure.
///
/// Only the calling thread exists in the child. ferrovm runs a guest process
/// on one thread; helper threads (the interval-timer ticker) are restarted on
/// demand. A guest with several threads cannot be forked this way (the
/// caller refuses it).
pub fn fork() -> std::io::Result<Forked> {
    // SAFETY: `fork` has no memory-safety preconditions of its own; the
    // hazard is running non-async-signal-safe code in the child of a
    // multi-threaded parent. glibc's fork runs the atfork handlers (malloc's
    // locks are reset) and the calling thread is the only one that holds
    // ferrovm's guest state, so the child continues with consistent data.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid.unsigned_abs())),
    }
}

/// Takes ownership of host descriptor `raw`, inherited from the ferrovm
/// that executed this one (`--exec-state fd=GUEST:HOST`). Returns `None` if `raw` is
/// not an open descriptor, or is one of the standard three.
pub fn adopt_fd(raw: RawFd) -> Option<OwnedFd> {
    if raw < 3 {
        return None;
    }
    // SAFETY: borrowing a raw descriptor number for the duration of one
    // `fcntl(F_DUPFD_CLOEXEC)` is sound even if the number is not open
    // (the call then fails with EBADF); we never close `raw` itself.
    let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
    let owned = rustix::io::fcntl_dupfd_cloexec(borrowed, 3).ok()?;
    // Keep the inherited number out of further `execve`s.
    let _ = rustix::io::fcntl_setfd(borrowed, rustix::io::FdFlags::CLOEXEC);
    Some(owned)
}
