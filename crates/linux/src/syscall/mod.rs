//! System calls: the riscv64 Linux ABI (number in `a7`, arguments in
//! `a0`..`a5`, result or `-errno` in `a0`).
//!
//! Every guest pointer is checked through guest memory; a bad one is `EFAULT`,
//! never a host fault. An unknown system call returns `ENOSYS` and is reported
//! once on stderr.

mod io;
mod misc;
mod mm;
pub mod nr;

use std::io::Write;

use rustix::io::Errno;

use crate::process::{ExitStatus, Process};

/// What a system call did.
pub(crate) enum Outcome {
    /// Return this value in `a0` and continue after the `ecall`.
    Return(u64),
    /// The process ends.
    Exit(ExitStatus),
}

/// A syscall's value or errno.
pub(crate) type SysResult = Result<u64, Errno>;

/// Guest-memory fault during a syscall: `EFAULT`.
pub(crate) fn efault<T>(_: T) -> Errno {
    Errno::FAULT
}

/// Dispatches the system call in the guest's registers.
pub(crate) fn dispatch(p: &mut Process) -> Outcome {
    let n = p.cpu.regs[17];
    let a = [p.cpu.regs[10], p.cpu.regs[11], p.cpu.regs[12], p.cpu.regs[13], p.cpu.regs[14], p.cpu.regs[15]];
    let result: SysResult = match n {
        nr::EXIT | nr::EXIT_GROUP => {
            if p.strace {
                trace(n, &a, None);
            }
            return Outcome::Exit(ExitStatus::Exited(a[0] as i32));
        }
        nr::READ => io::read(p, a[0], a[1], a[2]),
        nr::WRITE => io::write(p, a[0], a[1], a[2]),
        nr::READV => io::readv(p, a[0], a[1], a[2]),
        nr::WRITEV => io::writev(p, a[0], a[1], a[2]),
        nr::OPENAT => io::openat(p, a[0], a[1], a[2], a[3]),
        nr::CLOSE => p.fds.close(a[0]).map(|()| 0),
        nr::LSEEK => io::lseek(p, a[0], a[1], a[2]),
        nr::FSTAT => io::fstat(p, a[0], a[1]),
        nr::NEWFSTATAT => io::newfstatat(p, a[0], a[1], a[2], a[3]),
        nr::IOCTL => io::ioctl(p, a[0], a[1], a[2]),
        nr::READLINKAT => io::readlinkat(p, a[0], a[1], a[2], a[3]),
        nr::FACCESSAT | nr::FACCESSAT2 => io::faccessat(p, a[0], a[1], a[2]),
        nr::BRK => Ok(mm::brk(p, a[0])),
        nr::MMAP => mm::mmap(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::MUNMAP => mm::munmap(p, a[0], a[1]),
        nr::MPROTECT => mm::mprotect(p, a[0], a[1], a[2]),
        nr::MADVISE => Ok(0),
        nr::SET_TID_ADDRESS => {
            p.tid_address = a[0];
            Ok(u64::from(rustix::process::getpid().as_raw_nonzero().get().unsigned_abs()))
        }
        nr::SET_ROBUST_LIST => Ok(0),
        nr::RT_SIGACTION => misc::rt_sigaction(p, a[0], a[1], a[2], a[3]),
        nr::RT_SIGPROCMASK => misc::rt_sigprocmask(p, a[0], a[1], a[2], a[3]),
        nr::UNAME => misc::uname(p, a[0]),
        nr::GETRANDOM => misc::getrandom(p, a[0], a[1], a[2]),
        nr::PRLIMIT64 => misc::prlimit64(p, a[0], a[1], a[2], a[3]),
        nr::GETPID | nr::GETTID => Ok(u64::from(rustix::process::getpid().as_raw_nonzero().get().unsigned_abs())),
        nr::GETPPID => Ok(rustix::process::getppid().map_or(0, |p| u64::from(p.as_raw_nonzero().get().unsigned_abs()))),
        nr::GETUID => Ok(u64::from(rustix::process::getuid().as_raw())),
        nr::GETEUID => Ok(u64::from(rustix::process::geteuid().as_raw())),
        nr::GETGID => Ok(u64::from(rustix::process::getgid().as_raw())),
        nr::GETEGID => Ok(u64::from(rustix::process::getegid().as_raw())),
        nr::CLOCK_GETTIME => misc::clock_gettime(p, a[0], a[1]),
        nr::GETTIMEOFDAY => misc::gettimeofday(p, a[0]),
        nr::RISCV_FLUSH_ICACHE => {
            p.engine.flush();
            Ok(0)
        }
        _ => {
            if p.reported_unknown.insert(n) {
                let name = nr::name(n).map_or_else(|| format!("#{n}"), str::to_string);
                let _ = writeln!(std::io::stderr(), "ferrovm: unsupported syscall {name}, returning ENOSYS");
            }
            Err(Errno::NOSYS)
        }
    };
    if p.strace {
        trace(n, &a, Some(&result));
    }
    Outcome::Return(match result {
        Ok(v) => v,
        Err(e) => (-i64::from(e.raw_os_error())) as u64,
    })
}

/// One `--strace` line: `name(a0, a1, ...) = result`.
fn trace(n: u64, a: &[u64; 6], result: Option<&SysResult>) {
    let name = nr::name(n).map_or_else(|| format!("syscall_{n}"), str::to_string);
    let mut line = format!(
        "{} {name}({:#x},{:#x},{:#x},{:#x},{:#x},{:#x})",
        std::process::id(),
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5]
    );
    match result {
        Some(Ok(v)) => line.push_str(&format!(" = {}", *v as i64)),
        Some(Err(e)) => line.push_str(&format!(" = -1 errno={} ({e})", e.raw_os_error())),
        None => {}
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}
