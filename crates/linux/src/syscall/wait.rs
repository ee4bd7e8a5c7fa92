//! `waitid` and process descriptors: `pidfd_open`, `pidfd_send_signal`.
//!
//! A guest's children are host processes (ferrovm forks itself) with the
//! same pids, so these are the host's calls. `siginfo_t` and `struct
//! rusage` have the same layout on riscv64 and x86-64, and so do signal
//! numbers (both use the generic numbering).

use std::os::fd::AsFd;

use rustix::io::Errno;

use super::{SysResult, efault};
use crate::host;
use crate::signal::{NSIG, SigInfo, Signal};
use crate::thread::Thread;

/// `P_ALL`, `P_PID`, `P_PGID`, `P_PIDFD`.
const P_PIDFD: u64 = linux_raw_sys::general::P_PIDFD as u64;
/// `WNOHANG | WUNTRACED(WSTOPPED) | WEXITED | WCONTINUED | WNOWAIT |
/// __WNOTHREAD | __WALL | __WCLONE`.
const WAITID_OPTIONS: u64 = 1 | 2 | 4 | 8 | 0x0100_0000 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000;

/// `waitid(idtype, id, infop, options, rusage)`.
pub(crate) fn waitid(p: &mut Thread, idtype: u64, id: u64, infop: u64, options: u64, rusage: u64) -> SysResult {
    if options & !WAITID_OPTIONS != 0 || idtype > P_PIDFD {
        return Err(Errno::INVAL);
    }
    // A pidfd is the guest's descriptor: the host's number differs.
    let held = if idtype == P_PIDFD { Some(p.fds().get(id & 0xffff_ffff)?) } else { None };
    let host_id = match &held {
        Some(f) => std::os::fd::AsRawFd::as_raw_fd(&f.as_fd()) as u64,
        None => id & 0xffff_ffff,
    };
    let mut info = [0u8; 128];
    let mut usage = [0u8; 144];
    let r = p.blocking(|kick| host::waitid(kick, idtype as u32, host_id, &mut info, options as u32, &mut usage))?;
    if infop != 0 {
        p.mem.write_bytes(infop, &info).map_err(efault)?;
    }
    if rusage != 0 {
        p.mem.write_bytes(rusage, &usage).map_err(efault)?;
    }
    Ok(r)
}

/// `pidfd_open(pid, flags)`: the host's process descriptor (`PIDFD_NONBLOCK`
/// is `O_NONBLOCK`, the only flag).
pub(crate) fn pidfd_open(p: &mut Thread, pid: u64, flags: u64) -> SysResult {
    let nonblock = rustix::fs::OFlags::NONBLOCK.bits() as u64;
    if flags & !nonblock != 0 || (pid as i32) <= 0 {
        return Err(Errno::INVAL);
    }
    let pid = rustix::process::Pid::from_raw(pid as i32).ok_or(Errno::INVAL)?;
    let f = if flags & nonblock != 0 {
        rustix::process::PidfdFlags::NONBLOCK
    } else {
        rustix::process::PidfdFlags::empty()
    };
    let fd = rustix::process::pidfd_open(pid, f)?;
    // Linux makes a pidfd close-on-exec.
    p.fds().insert(fd, true)
}

/// The pid a host pidfd refers to (its `/proc/self/fdinfo` `Pid:` line).
fn pidfd_pid(fd: std::os::fd::BorrowedFd<'_>) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", std::os::fd::AsRawFd::as_raw_fd(&fd))).ok()?;
    text.lines().find_map(|l| l.strip_prefix("Pid:")).and_then(|v| v.trim().parse().ok())
}

/// `pidfd_send_signal(pidfd, sig, info, flags)`: to this process it is a
/// guest signal like `kill`'s; to another, the host signal (its ferrovm
/// routes it to its guest).
pub(crate) fn pidfd_send_signal(p: &mut Thread, pidfd: u64, sig: u64, info: u64, flags: u64) -> SysResult {
    if flags != 0 {
        return Err(Errno::INVAL);
    }
    if sig > NSIG as u64 {
        return Err(Errno::INVAL);
    }
    let f = p.fds().get(pidfd)?;
    let siginfo = if info != 0 {
        let mut b = [0u8; 128];
        p.mem.read_bytes(info, &mut b).map_err(efault)?;
        Some(b)
    } else {
        None
    };
    let Some(target) = pidfd_pid(f.as_fd()) else { return Err(Errno::BADF) };
    if target == p.proc.pid() as i32 {
        if sig != 0 {
            let uid = rustix::process::getuid().as_raw();
            p.proc.send(SigInfo::user(Signal(sig as i32), 0, p.proc.pid(), uid));
        }
        return Ok(0);
    }
    host::pidfd_send_signal(f.as_fd(), sig as i32, siginfo.as_ref(), 0)
}
