//! Host socket and epoll system calls on plain byte buffers, for the guest's
//! socket layer (`crate::syscall::net`) and `epoll` (`crate::syscall::event`).
//!
//! Addresses, option values and control messages are passed as bytes: the
//! guest's riscv64 layouts of these structures are the host's x86-64 ones
//! (both are LP64 little-endian with the same alignment, and
//! `linux-raw-sys`'s `net.rs` for the two architectures differs only in the
//! legacy `__kernel_old_*` types), so the syscall layer only has to replace
//! what carries a pointer or a descriptor. The calls that can block take the
//! thread's kick flag and run through [`super::safe`], so a guest signal
//! interrupts them.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::io::Errno;

use super::safe::safe_syscall;

fn raw(fd: BorrowedFd<'_>) -> u64 {
    fd.as_raw_fd() as u64
}

/// Turns the host result `r` of a non-blocking libc call into a `Result`.
fn check(r: libc::c_int) -> Result<libc::c_int, Errno> {
    if r < 0 { Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL)) } else { Ok(r) }
}

/// Takes ownership of descriptor `fd`, which the host kernel just created
/// for this process (`accept4`, an `SCM_RIGHTS` message, `SO_PEERPIDFD`).
pub fn adopt_new_fd(fd: RawFd) -> Option<OwnedFd> {
    // SAFETY: the kernel installed `fd` in this process for the caller and
    // nothing else refers to it yet: the caller owns it from now on.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `sendmsg(fd, {name, [data], control}, flags)`, interruptible.
pub fn sendmsg(
    flag: &AtomicU32,
    fd: BorrowedFd<'_>,
    name: &[u8],
    data: &[u8],
    control: &[u8],
    flags: i32,
) -> Result<usize, Errno> {
    let mut iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if !name.is_empty() {
        msg.msg_name = name.as_ptr().cast_mut().cast();
        msg.msg_namelen = name.len() as u32;
    }
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    if !control.is_empty() {
        msg.msg_control = control.as_ptr().cast_mut().cast();
        msg.msg_controllen = control.len();
    }
    let args = [raw(fd), (&raw const msg) as u64, flags as u64, 0, 0, 0];
    // SAFETY: every buffer msghdr points at is borrowed for the whole call
    // and only read by sendmsg.
    unsafe { safe_syscall(flag, libc::SYS_sendmsg, args) }.map(|n| n as usize)
}

/// What [`recvmsg`] received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes of data (the full datagram length with `MSG_TRUNC`).
    pub len: usize,
    /// Length of the sender's address.
    pub name_len: u32,
    /// Bytes of control messages.
    pub control_len: usize,
    /// `msg_flags`.
    pub flags: i32,
}

/// `recvmsg(fd, {name, [data], control}, flags)`, interruptible.
pub fn recvmsg(
    flag: &AtomicU32,
    fd: BorrowedFd<'_>,
    name: &mut [u8],
    data: &mut [u8],
    control: &mut [u8],
    flags: i32,
) -> Result<Received, Errno> {
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if !name.is_empty() {
        msg.msg_name = name.as_mut_ptr().cast();
        msg.msg_namelen = name.len() as u32;
    }
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    if !control.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
    }
    let args = [raw(fd), (&raw mut msg) as u64, flags as u64, 0, 0, 0];
    // SAFETY: every buffer msghdr points at is exclusively borrowed for the
    // whole call, with its true length.
    let n = unsafe { safe_syscall(flag, libc::SYS_recvmsg, args) }?;
    Ok(Received {
        len: n as usize,
        name_len: if name.is_empty() { 0 } else { msg.msg_namelen },
        control_len: if control.is_empty() { 0 } else { msg.msg_controllen },
        flags: msg.msg_flags,
    })
}

/// `accept4(fd, name, flags)`, interruptible: the new socket and the length
/// of the peer's address (written to `name`, truncated to its size).
pub fn accept4(flag: &AtomicU32, fd: BorrowedFd<'_>, name: &mut [u8], flags: i32) -> Result<(OwnedFd, u32), Errno> {
    let mut len = name.len() as u32;
    let args = [raw(fd), name.as_mut_ptr() as u64, (&raw mut len) as u64, flags as u64, 0, 0];
    // SAFETY: `name` is writable for `len` bytes and `len` is a live u32.
    let new = unsafe { safe_syscall(flag, libc::SYS_accept4, args) }?;
    let new = adopt_new_fd(new as RawFd).ok_or(Errno::BADF)?;
    Ok((new, len))
}

/// `connect(fd, name)`, interruptible.
pub fn connect(flag: &AtomicU32, fd: BorrowedFd<'_>, name: &[u8]) -> Result<(), Errno> {
    let args = [raw(fd), name.as_ptr() as u64, name.len() as u64, 0, 0, 0];
    // SAFETY: `name` is readable for its length.
    unsafe { safe_syscall(flag, libc::SYS_connect, args) }.map(|_| ())
}

/// `bind(fd, name)`.
pub fn bind(fd: BorrowedFd<'_>, name: &[u8]) -> Result<(), Errno> {
    // SAFETY: `name` is readable for its length.
    check(unsafe { libc::bind(fd.as_raw_fd(), name.as_ptr().cast(), name.len() as u32) }).map(|_| ())
}

/// `getsockname` (or `getpeername` if `peer`) into `name`; the address's
/// full length (which may exceed `name.len()`: then it is truncated).
pub fn sockname(fd: BorrowedFd<'_>, peer: bool, name: &mut [u8]) -> Result<u32, Errno> {
    let mut len = name.len() as u32;
    let at = name.as_mut_ptr().cast();
    // SAFETY: `name` is writable for `len` bytes and `len` is a live u32.
    let r = unsafe {
        if peer {
            libc::getpeername(fd.as_raw_fd(), at, &mut len)
        } else {
            libc::getsockname(fd.as_raw_fd(), at, &mut len)
        }
    };
    check(r).map(|_| len)
}

/// `setsockopt(fd, level, name, value)`.
pub fn setsockopt(fd: BorrowedFd<'_>, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
    // SAFETY: `value` is readable for its length (a null pointer when
    // empty is what the kernel expects for options without a value).
    let r = unsafe {
        let ptr = if value.is_empty() { std::ptr::null() } else { value.as_ptr().cast() };
        libc::setsockopt(fd.as_raw_fd(), level, name, ptr, value.len() as u32)
    };
    check(r).map(|_| ())
}

/// `getsockopt(fd, level, name, value)`: the option's length.
pub fn getsockopt(fd: BorrowedFd<'_>, level: i32, name: i32, value: &mut [u8]) -> Result<u32, Errno> {
    let mut len = value.len() as u32;
    // SAFETY: `value` is writable for `len` bytes and `len` is a live u32.
    let r = unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, value.as_mut_ptr().cast(), &mut len) };
    check(r).map(|_| len)
}

/// One ready event of [`epoll_wait`]: `(events, data)`.
pub type EpollEvent = (u32, u64);

/// `epoll_pwait2(epfd, events, timeout)` (no signal mask: guest masks are
/// ferrovm's), interruptible; fills `out` from the start.
pub fn epoll_wait(
    flag: &AtomicU32,
    epfd: BorrowedFd<'_>,
    out: &mut Vec<EpollEvent>,
    max: usize,
    timeout: Option<Duration>,
) -> Result<usize, Errno> {
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; max.max(1)];
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(d.subsec_nanos() as i32),
    });
    let at = ts.as_ref().map_or(0, |t| std::ptr::from_ref(t) as u64);
    let args = [raw(epfd), events.as_mut_ptr() as u64, max as u64, at, 0, 8];
    // SAFETY: `events` holds `max` (at least one) writable entries, the
    // timeout is null or a live value, no signal mask.
    let n = unsafe { safe_syscall(flag, libc::SYS_epoll_pwait2, args) }? as usize;
    out.clear();
    out.extend(events.iter().take(n).map(|e| (e.events, e.u64)));
    Ok(n)
}

/// `epoll_ctl(epfd, op, fd, {events, data})`; the event bits pass through
/// as the guest gave them.
pub fn epoll_ctl(epfd: BorrowedFd<'_>, op: i32, fd: BorrowedFd<'_>, event: EpollEvent) -> Result<(), Errno> {
    use linux_raw_sys::general as lg;
    use rustix::event::epoll;
    let (flags, data) = (epoll::EventFlags::from_bits_retain(event.0), epoll::EventData::new_u64(event.1));
    match op as u32 {
        lg::EPOLL_CTL_ADD => epoll::add(epfd, fd, data, flags),
        lg::EPOLL_CTL_MOD => epoll::modify(epfd, fd, data, flags),
        lg::EPOLL_CTL_DEL => epoll::delete(epfd, fd),
        _ => Err(Errno::INVAL),
    }
}

/// Makes descriptor number `target` refer to what `with` refers to
/// (`dup3`), in this process only: a forked child's copy of a descriptor
/// gets an object of its own while every holder of `target` keeps it.
pub fn replace_fd(target: BorrowedFd<'_>, with: &OwnedFd) -> Result<(), Errno> {
    // SAFETY: `target` stays open (it now names another open file), so no
    // holder of it is left with a closed or reused number; `with` is only
    // read.
    check(unsafe { libc::dup3(with.as_raw_fd(), target.as_raw_fd(), libc::O_CLOEXEC) }).map(|_| ())
}

/// `ioctl(fd, request, buf)` for a request whose argument points at `buf`
/// (read and written by the kernel; the caller sized it for the request).
pub fn ioctl_buf(fd: BorrowedFd<'_>, request: u32, buf: &mut [u8]) -> Result<i32, Errno> {
    // SAFETY: the caller only passes requests whose argument is a buffer
    // of at most `buf.len()` bytes, and `buf` is exclusively borrowed.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), request as _, buf.as_mut_ptr()) })
}
