//! Descriptor system calls: read/write and friends, dup, fcntl, pipes,
//! directories, terminals, poll.

use std::mem::MaybeUninit;
use std::os::fd::AsFd;
use std::time::Duration;

use rustix::fs::OFlags;
use rustix::io::Errno;

use super::{SysResult, efault, get_u64s};
use crate::fd::FdEntry;
use crate::host;
use crate::signal::{SigInfo, Signal};
use crate::thread::Thread;

/// Largest single read/write, as Linux caps it (`MAX_RW_COUNT`).
const MAX_RW: u64 = 0x7fff_f000;
/// Most iovecs in one call (`UIO_MAXIOV`).
const IOV_MAX: u64 = 1024;

fn buffer(len: u64) -> Result<Vec<u8>, Errno> {
    let len = usize::try_from(len.min(MAX_RW)).map_err(|_| Errno::INVAL)?;
    Ok(vec![0u8; len])
}

/// A write that hit a closed pipe also raises SIGPIPE (for the writing
/// thread), as Linux does.
fn pipe_check(p: &mut Thread, r: Result<usize, Errno>) -> SysResult {
    if r == Err(Errno::PIPE) {
        p.raise(SigInfo::kernel(Signal::SIGPIPE));
    }
    Ok(r? as u64)
}

/// The guest buffer must be writable before a host read consumes data.
pub(crate) fn check_writable(p: &Thread, buf: u64, len: usize) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let end = buf.checked_add(len as u64 - 1).ok_or(Errno::FAULT)?;
    for addr in [buf, end] {
        if !p.mem.perms(addr).write() {
            return Err(Errno::FAULT);
        }
    }
    Ok(())
}

/// `read`: into a host buffer, then guest memory; a guest signal
/// interrupts it while it waits (restarted with `SA_RESTART`).
pub(crate) fn read(p: &mut Thread, fd: u64, buf: u64, len: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    if let Some(r) = super::event::read_signalfd(p, &file, buf, len) {
        return r;
    }
    let mut host = buffer(len)?;
    check_writable(p, buf, host.len())?;
    let n = p.blocking(|kick| host::read(kick, file.as_fd(), &mut host))?;
    p.mem.write_bytes(buf, &host[..n]).map_err(efault)?;
    Ok(n as u64)
}

/// `write`: guest memory into a host buffer, then the host's `write`,
/// interruptible while it waits (a full pipe).
pub(crate) fn write(p: &mut Thread, fd: u64, buf: u64, len: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let mut host = buffer(len)?;
    p.mem.read_bytes(buf, &mut host).map_err(efault)?;
    let r = p.blocking(|kick| host::write(kick, file.as_fd(), &host));
    pipe_check(p, r)
}

pub(crate) fn pread(p: &mut Thread, fd: u64, buf: u64, len: u64, off: u64) -> SysResult {
    if (off as i64) < 0 {
        return Err(Errno::INVAL);
    }
    let file = p.fds().get(fd)?;
    let mut host = buffer(len)?;
    check_writable(p, buf, host.len())?;
    let n = rustix::io::pread(file, &mut host, off)?;
    p.mem.write_bytes(buf, &host[..n]).map_err(efault)?;
    Ok(n as u64)
}

pub(crate) fn pwrite(p: &mut Thread, fd: u64, buf: u64, len: u64, off: u64) -> SysResult {
    if (off as i64) < 0 {
        return Err(Errno::INVAL);
    }
    let file = p.fds().get(fd)?;
    let mut host = buffer(len)?;
    p.mem.read_bytes(buf, &mut host).map_err(efault)?;
    let r = rustix::io::pwrite(file, &host, off);
    pipe_check(p, r)
}

/// Reads a guest iovec array: (base, len) pairs.
pub(crate) fn iovecs(p: &Thread, iov: u64, count: u64) -> Result<Vec<(u64, u64)>, Errno> {
    if count > IOV_MAX {
        return Err(Errno::INVAL);
    }
    let mut raw = vec![0u8; count as usize * 16];
    p.mem.read_bytes(iov, &mut raw).map_err(efault)?;
    let mut out = Vec::with_capacity(count as usize);
    for c in raw.chunks_exact(16) {
        let mut b = [0u8; 8];
        b.copy_from_slice(&c[..8]);
        let base = u64::from_le_bytes(b);
        b.copy_from_slice(&c[8..]);
        let len = u64::from_le_bytes(b);
        if (len as i64) < 0 {
            return Err(Errno::INVAL);
        }
        out.push((base, len));
    }
    Ok(out)
}

fn gather(p: &Thread, iov: u64, count: u64) -> Result<Vec<u8>, Errno> {
    gather_vecs(p, &iovecs(p, iov, count)?)
}

/// The bytes of guest buffers `vecs`, concatenated (at most `MAX_RW`).
pub(crate) fn gather_vecs(p: &Thread, vecs: &[(u64, u64)]) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    for &(base, len) in vecs {
        let len = len.min(MAX_RW.saturating_sub(data.len() as u64));
        let start = data.len();
        data.resize(start + len as usize, 0);
        p.mem.read_bytes(base, &mut data[start..]).map_err(efault)?;
    }
    Ok(data)
}

pub(crate) fn scatter(p: &Thread, vecs: &[(u64, u64)], host: &[u8]) -> Result<(), Errno> {
    let mut done = 0usize;
    for &(base, len) in vecs {
        if done >= host.len() {
            break;
        }
        let take = (len as usize).min(host.len() - done);
        p.mem.write_bytes(base, &host[done..done + take]).map_err(efault)?;
        done += take;
    }
    Ok(())
}

pub(crate) fn writev(p: &mut Thread, fd: u64, iov: u64, count: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let data = gather(p, iov, count)?;
    let r = p.blocking(|kick| host::write(kick, file.as_fd(), &data));
    pipe_check(p, r)
}

pub(crate) fn pwritev(p: &mut Thread, fd: u64, iov: u64, count: u64, off: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let data = gather(p, iov, count)?;
    let r = rustix::io::pwrite(file, &data, off);
    pipe_check(p, r)
}

pub(crate) fn readv(p: &mut Thread, fd: u64, iov: u64, count: u64, off: Option<u64>) -> SysResult {
    let vecs = iovecs(p, iov, count)?;
    let total: u64 = vecs.iter().map(|v| v.1).fold(0u64, u64::saturating_add).min(MAX_RW);
    let file = p.fds().get(fd)?;
    if off.is_none()
        && let Some(r) = super::event::readv_signalfd(p, &file, &vecs)
    {
        return r;
    }
    let mut host = vec![0u8; total as usize];
    let n = match off {
        Some(off) => rustix::io::pread(&file, &mut host, off)?,
        None => p.blocking(|kick| host::read(kick, file.as_fd(), &mut host))?,
    };
    scatter(p, &vecs, &host[..n])?;
    Ok(n as u64)
}

pub(crate) fn lseek(p: &mut Thread, fd: u64, offset: u64, whence: u64) -> SysResult {
    use rustix::fs::SeekFrom;
    let pos = match whence {
        0 if (offset as i64) < 0 => return Err(Errno::INVAL),
        0 => SeekFrom::Start(offset),
        1 => SeekFrom::Current(offset as i64),
        2 => SeekFrom::End(offset as i64),
        3 => SeekFrom::Data(offset),
        4 => SeekFrom::Hole(offset),
        _ => return Err(Errno::INVAL),
    };
    rustix::fs::seek(p.fds().get(fd)?, pos)
}

pub(crate) fn dup(p: &mut Thread, fd: u64) -> SysResult {
    let entry = p.fds().entry(fd)?.clone();
    p.fds().insert_from(0, FdEntry { file: entry.file, cloexec: false })
}

pub(crate) fn dup3(p: &mut Thread, old: u64, new: u64, flags: u64) -> SysResult {
    if old == new || flags & !u64::from(OFlags::CLOEXEC.bits()) != 0 {
        return Err(Errno::INVAL);
    }
    let entry = p.fds().entry(old)?.clone();
    let cloexec = flags != 0;
    p.fds().insert_at(new, FdEntry { file: entry.file, cloexec })?;
    Ok(new)
}

const F_DUPFD: u64 = linux_raw_sys::general::F_DUPFD as u64;
const F_GETFD: u64 = linux_raw_sys::general::F_GETFD as u64;
const F_SETFD: u64 = linux_raw_sys::general::F_SETFD as u64;
const F_GETFL: u64 = linux_raw_sys::general::F_GETFL as u64;
const F_SETFL: u64 = linux_raw_sys::general::F_SETFL as u64;
const F_GETLK: u64 = linux_raw_sys::general::F_GETLK as u64;
const F_SETLK: u64 = linux_raw_sys::general::F_SETLK as u64;
const F_SETLKW: u64 = linux_raw_sys::general::F_SETLKW as u64;
const F_DUPFD_CLOEXEC: u64 = linux_raw_sys::general::F_DUPFD_CLOEXEC as u64;
const F_GETPIPE_SZ: u64 = linux_raw_sys::general::F_GETPIPE_SZ as u64;
const F_SETPIPE_SZ: u64 = linux_raw_sys::general::F_SETPIPE_SZ as u64;

pub(crate) fn fcntl(p: &mut Thread, fd: u64, cmd: u64, arg: u64) -> SysResult {
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let entry = p.fds().entry(fd)?.clone();
            let min = usize::try_from(arg).map_err(|_| Errno::INVAL)?;
            if min >= crate::fd::MAX_FDS {
                return Err(Errno::INVAL);
            }
            p.fds().insert_from(min, FdEntry { file: entry.file, cloexec: cmd == F_DUPFD_CLOEXEC })
        }
        F_GETFD => Ok(u64::from(p.fds().entry(fd)?.cloexec)),
        F_SETFD => p.fds().set_cloexec(fd, arg & 1 != 0).map(|()| 0),
        F_GETFL => Ok(u64::from(rustix::fs::fcntl_getfl(p.fds().get(fd)?)?.bits() & !OFlags::CLOEXEC.bits())),
        F_SETFL => {
            rustix::fs::fcntl_setfl(p.fds().get(fd)?, OFlags::from_bits_retain(arg as u32))?;
            Ok(0)
        }
        // Record locks: one process holds no conflicting locks with itself;
        // report "unlocked" for F_GETLK (l_type = F_UNLCK) and accept sets.
        F_GETLK => {
            p.fds().get(fd)?;
            p.mem.write_bytes(arg, &2u16.to_le_bytes()).map_err(efault)?;
            Ok(0)
        }
        F_SETLK | F_SETLKW => p.fds().get(fd).map(|_| 0),
        // The host pipe's own capacity (EBADF for a descriptor that is not
        // a pipe, EPERM past /proc/sys/fs/pipe-max-size, as on Linux).
        F_GETPIPE_SZ => Ok(rustix::pipe::fcntl_getpipe_size(&*p.fds().get(fd)?)? as u64),
        F_SETPIPE_SZ => Ok(rustix::pipe::fcntl_setpipe_size(&*p.fds().get(fd)?, arg as u32 as usize)? as u64),
        _ => Err(Errno::INVAL),
    }
}

pub(crate) fn pipe2(p: &mut Thread, fds: u64, flags: u64) -> SysResult {
    let allowed = OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::DIRECT;
    let flags = OFlags::from_bits_retain(flags as u32);
    if !allowed.contains(flags) {
        return Err(Errno::INVAL);
    }
    if !p.mem.perms(fds).write() || !p.mem.perms(fds + 7).write() {
        return Err(Errno::FAULT);
    }
    let pipe_flags =
        rustix::pipe::PipeFlags::from_bits_retain((flags - OFlags::CLOEXEC).bits()) | rustix::pipe::PipeFlags::CLOEXEC;
    let (r, w) = rustix::pipe::pipe_with(pipe_flags)?;
    let cloexec = flags.contains(OFlags::CLOEXEC);
    let rfd = p.fds().insert(r, cloexec)?;
    let wfd = match p.fds().insert(w, cloexec) {
        Ok(w) => w,
        Err(e) => {
            let _ = p.fds().close(rfd);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(rfd as u32).to_le_bytes());
    b[4..].copy_from_slice(&(wfd as u32).to_le_bytes());
    p.mem.write_bytes(fds, &b).map_err(efault)?;
    Ok(0)
}

pub(crate) fn ftruncate(p: &mut Thread, fd: u64, len: u64) -> SysResult {
    if (len as i64) < 0 {
        return Err(Errno::INVAL);
    }
    rustix::fs::ftruncate(p.fds().get(fd)?, len)?;
    Ok(0)
}

pub(crate) fn fsync(p: &mut Thread, fd: u64, data_only: bool) -> SysResult {
    let f = p.fds().get(fd)?;
    match if data_only { rustix::fs::fdatasync(f) } else { rustix::fs::fsync(f) } {
        // fsync of a pipe or terminal: Linux says EINVAL; keep it.
        Ok(()) => Ok(0),
        Err(e) => Err(e),
    }
}

/// `d_type` of a host file type.
fn d_type(t: rustix::fs::FileType) -> u8 {
    use rustix::fs::FileType as T;
    match t {
        T::Fifo => 1,
        T::CharacterDevice => 2,
        T::Directory => 4,
        T::BlockDevice => 6,
        T::RegularFile => 8,
        T::Symlink => 10,
        T::Socket => 12,
        _ => 0,
    }
}

/// If `dir` is this process's `/proc/PID/task`: the guest's thread ids
/// (the host process also has ferrovm's helper threads there).
fn task_dir_threads(p: &Thread, dir: &std::os::fd::OwnedFd) -> Option<Vec<u32>> {
    let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(dir));
    let path = rustix::fs::readlink(link.as_str(), Vec::new()).ok()?;
    let want = format!("/proc/{}/task", p.proc.pid());
    (path.as_bytes() == want.as_bytes()).then(|| p.proc.threads().by_tid.keys().copied().collect())
}

/// If `dir` is this process's `/proc/PID/fd` (or one of its threads'
/// `/proc/PID/task/TID/fd`): the host lists ferrovm's descriptors there,
/// whose numbers are not the guest's.
fn is_fd_dir(p: &Thread, dir: &std::os::fd::OwnedFd) -> bool {
    let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(dir));
    let Ok(path) = rustix::fs::readlink(link.as_str(), Vec::new()) else { return false };
    let Some(rest) = path.to_bytes().strip_prefix(format!("/proc/{}/", p.proc.pid()).as_bytes()) else {
        return false;
    };
    rest == b"fd"
        || rest
            .strip_prefix(b"task/")
            .and_then(|r| r.strip_suffix(b"/fd"))
            .is_some_and(|tid| !tid.is_empty() && tid.iter().all(u8::is_ascii_digit))
}

/// Appends one `struct linux_dirent64` to `out` if it fits in `count`.
fn push_dirent(out: &mut Vec<u8>, count: usize, ino: u64, off: u64, kind: u8, name: &[u8]) -> bool {
    let reclen = (19 + name.len() + 1).next_multiple_of(8);
    if out.len() + reclen > count {
        return false;
    }
    let at = out.len();
    out.resize(at + reclen, 0);
    out[at..at + 8].copy_from_slice(&ino.to_le_bytes());
    out[at + 8..at + 16].copy_from_slice(&off.to_le_bytes());
    out[at + 16..at + 18].copy_from_slice(&(reclen as u16).to_le_bytes());
    out[at + 18] = kind;
    out[at + 19..at + 19 + name.len()].copy_from_slice(name);
    true
}

/// `getdents64` of a `/proc/.../fd` directory: `.`, `..` and the guest's
/// descriptors, at the kernel's positions (0 and 1 for the dots, `fd + 2`
/// for descriptor `fd`), which the host directory's offset keeps between
/// calls.
fn fd_dir_entries(p: &Thread, dir: &std::os::fd::OwnedFd, buf: u64, count: usize) -> SysResult {
    use rustix::fs::SeekFrom;
    let from = rustix::fs::seek(dir, SeekFrom::Current(0))?;
    let fds: Vec<u64> = p.fds().iter().map(|(fd, _)| fd).collect();
    let dots = [(0u64, &b"."[..]), (1, &b".."[..])];
    let entries = dots
        .into_iter()
        .map(|(pos, name)| (pos, name.to_vec(), 4u8))
        .chain(fds.into_iter().map(|fd| (fd + 2, fd.to_string().into_bytes(), 10u8)));
    let mut out = Vec::new();
    let mut next = None;
    for (pos, name, kind) in entries.filter(|&(pos, ..)| pos >= from) {
        if !push_dirent(&mut out, count, pos + 1, pos + 1, kind, &name) {
            if out.is_empty() {
                return Err(Errno::INVAL);
            }
            break;
        }
        next = Some(pos + 1);
    }
    if let Some(next) = next {
        rustix::fs::seek(dir, SeekFrom::Start(next))?;
    }
    p.mem.write_bytes(buf, &out).map_err(efault)?;
    Ok(out.len() as u64)
}

/// `getdents64`: host entries re-encoded as `struct linux_dirent64`
/// (`d_ino`, `d_off`, `d_reclen`, `d_type`, `d_name`), as many as fit; the
/// directory offset is then set just past the last one returned.
pub(crate) fn getdents64(p: &mut Thread, fd: u64, buf: u64, count: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let count = count.min(MAX_RW) as usize;
    if is_fd_dir(p, &file) {
        return fd_dir_entries(p, &file, buf, count);
    }
    let mut out = Vec::new();
    let mut last_cookie = None;
    let mut host = vec![MaybeUninit::<u8>::uninit(); count.clamp(256, 1 << 16)];
    let mut dir = rustix::fs::RawDir::new(file.as_fd(), &mut host);
    let mut overflow = false;
    // `/proc/self/task` lists the guest's threads, not ferrovm's helpers.
    let tids = task_dir_threads(p, &file);
    while let Some(entry) = dir.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if let Some(tids) = &tids {
            let tid = std::str::from_utf8(entry.file_name().to_bytes()).ok().and_then(|n| n.parse::<u32>().ok());
            if tid.is_some_and(|t| !tids.contains(&t)) {
                last_cookie = Some(entry.next_entry_cookie());
                continue;
            }
        }
        let (ino, cookie, kind) = (entry.ino(), entry.next_entry_cookie(), d_type(entry.file_type()));
        if !push_dirent(&mut out, count, ino, cookie, kind, name) {
            overflow = true;
            break;
        }
        last_cookie = Some(entry.next_entry_cookie());
    }
    if overflow || !dir.is_buffer_empty() {
        match last_cookie {
            Some(c) => {
                rustix::fs::seek(file, rustix::fs::SeekFrom::Start(c))?;
            }
            None => return Err(Errno::INVAL),
        }
    }
    p.mem.write_bytes(buf, &out).map_err(efault)?;
    Ok(out.len() as u64)
}

/// `FIONBIO`.
const FIONBIO: u64 = linux_raw_sys::ioctl::FIONBIO as u64;
/// `FIOCLEX` / `FIONCLEX`.
const FIONCLEX: u64 = linux_raw_sys::ioctl::FIONCLEX as u64;
const FIOCLEX: u64 = linux_raw_sys::ioctl::FIOCLEX as u64;

/// `ioctl(fd, request, arg)`. Terminal requests go to the host as they
/// are: `struct termios` (asm-generic: four flag words, `c_line`,
/// `c_cc[19]`), `struct winsize` and the flag values are the same on
/// riscv64 and x86-64 (x86 uses the asm-generic termbits), so only the
/// bytes are copied through checked guest memory.
pub(crate) fn ioctl(p: &mut Thread, fd: u64, request: u64, arg: u64) -> SysResult {
    let held = p.fds().get(fd)?;
    if let Some(r) = super::net::ioctl(p, &held, request, arg) {
        return r;
    }
    let file = held.as_fd();
    let request = request & 0xffff_ffff;
    if let Some((size, dir)) = crate::host::tty_ioctl_shape(request as u32) {
        use crate::host::IoctlDir;
        let mut buf = [0u8; crate::host::TTY_IOCTL_MAX];
        let bytes = buf.get_mut(..size).ok_or(Errno::INVAL)?;
        match dir {
            IoctlDir::In => p.mem.read_bytes(arg, bytes).map_err(efault)?,
            IoctlDir::Out if !p.mem.perms(arg).write() => return Err(Errno::FAULT),
            _ => {}
        }
        let value = if dir == IoctlDir::Value { arg } else { 0 };
        let r = crate::host::tty_ioctl(file, request as u32, &mut buf, value)?;
        if dir == IoctlDir::Out {
            p.mem.write_bytes(arg, buf.get(..size).unwrap_or_default()).map_err(efault)?;
        }
        return Ok(r);
    }
    match request {
        FIONBIO => {
            let mut b = [0u8; 4];
            p.mem.read_bytes(arg, &mut b).map_err(efault)?;
            rustix::io::ioctl_fionbio(file, u32::from_le_bytes(b) != 0)?;
            Ok(0)
        }
        FIOCLEX | FIONCLEX => p.fds().set_cloexec(fd, request == FIOCLEX).map(|()| 0),
        _ => Err(Errno::NOTTY),
    }
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: the host's `ppoll`
/// on the guest descriptors, with the guest mask (if given) in force while
/// it waits; a guest signal interrupts it (`EINTR` after a handler, a
/// restart otherwise).
pub(crate) fn ppoll(p: &mut Thread, fds: u64, nfds: u64, tmo: u64, sigmask: u64, size: u64) -> SysResult {
    if nfds > crate::fd::MAX_FDS as u64 {
        return Err(Errno::INVAL);
    }
    let timeout = if tmo == 0 { None } else { Some(super::misc::read_timespec(p, tmo)?) };
    let mut raw = vec![0u8; nfds as usize * 8];
    p.mem.read_bytes(fds, &mut raw).map_err(efault)?;
    let mask = if sigmask != 0 {
        if size != 8 {
            return Err(Errno::INVAL);
        }
        let [m] = get_u64s::<1>(p, sigmask)?;
        Some(m)
    } else {
        None
    };
    // Hold the descriptors (a guest fd closed meanwhile stays open here);
    // a guest fd that is not open gets POLLNVAL.
    let mut files = Vec::new();
    let mut host = Vec::new();
    for c in raw.chunks_exact(8) {
        let fd = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let events = i16::from_le_bytes([c[4], c[5]]);
        let file = if fd < 0 { None } else { p.fds().get(fd as u64).ok() };
        let raw_fd = match &file {
            Some(f) => std::os::fd::AsRawFd::as_raw_fd(&**f),
            // A negative fd is skipped by the kernel (revents 0).
            None if fd < 0 => -1,
            // Not open: polled as -1, reported as POLLNVAL below.
            None => -1,
        };
        host.push(libc::pollfd { fd: raw_fd, events, revents: 0 });
        files.push((fd, file));
    }
    let nval = files.iter().filter(|(fd, f)| *fd >= 0 && f.is_none()).count();
    // With an invalid descriptor the answer is ready at once.
    let wait = if nval > 0 { Some(Duration::ZERO) } else { timeout };
    let idle = |&n: &usize| n == 0 && nval == 0;
    let result = super::event::wait_with_mask(p, mask, wait, idle, |kick, left| host::ppoll(kick, &mut host, left));
    let mut ready = 0u64;
    for (i, ((fd, file), h)) in files.iter().zip(&host).enumerate() {
        let revents = if *fd >= 0 && file.is_none() { 0x20 } else { h.revents }; // POLLNVAL
        if revents != 0 {
            ready += 1;
        }
        p.mem.write_bytes(fds + i as u64 * 8 + 6, &revents.to_le_bytes()).map_err(efault)?;
    }
    result?;
    Ok(ready)
}
