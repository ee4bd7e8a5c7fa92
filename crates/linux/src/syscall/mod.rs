//! System calls: the riscv64 Linux ABI (number in `a7`, arguments in
//! `a0`..`a5`, result or `-errno` in `a0`).
//!
//! Every guest pointer is checked through guest memory; a bad one is `EFAULT`,
//! never a host fault. An unknown system call returns `ENOSYS`, silently
//! (`--strace` shows it).

mod copy;
mod cred;
pub(crate) mod event;
mod fileops;
mod fs;
mod io;
mod misc;
mod mm;
pub(crate) mod net;
pub mod nr;
mod proc;
mod sig;
mod strace;
pub(crate) use strace::signal_name;
mod sysv;
mod wait;
mod xattr;

use rustix::io::Errno;

use crate::host;
use crate::host::cred::SetIds;
use crate::process::ExitStatus;
use crate::thread::Thread;

pub(crate) use mm::MMAP_BASE;

/// What a system call did.
pub(crate) enum Outcome {
    /// Return this value in `a0` and continue after the `ecall`.
    Return(u64),
    /// The registers were replaced (`rt_sigreturn`): continue at `cpu.pc`.
    Resume,
    /// A guest signal interrupted it: it restarts or fails with `EINTR`,
    /// as [`Restart`] and the signal's action say.
    Interrupted(Restart),
    /// The calling thread ends (`exit`) with this code.
    ExitThread(i32),
    /// The process ends (`exit_group`).
    Exit(ExitStatus),
}

/// How a system call a signal interrupted goes on (the kernel's
/// `-ERESTART*` codes, which never reach the guest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restart {
    /// `ERESTARTSYS`: restarted if no handler runs or the handler has
    /// `SA_RESTART`; otherwise `EINTR`.
    Sys,
    /// `ERESTARTNOHAND`: restarted only if no handler runs (`poll`,
    /// `select`, `epoll_wait`, sleeps).
    NoHandler,
}

impl Restart {
    const SYS: i32 = 512;
    const NOHAND: i32 = 514;

    /// The errno a handler returns to say it was interrupted this way.
    pub(crate) fn errno(self) -> Errno {
        Errno::from_raw_os_error(match self {
            Restart::Sys => Self::SYS,
            Restart::NoHandler => Self::NOHAND,
        })
    }

    fn of(e: Errno) -> Option<Restart> {
        match e.raw_os_error() {
            Self::SYS => Some(Restart::Sys),
            Self::NOHAND => Some(Restart::NoHandler),
            _ => None,
        }
    }
}

/// A syscall's value or errno.
pub(crate) type SysResult = Result<u64, Errno>;

/// Guest-memory fault during a syscall: `EFAULT`.
pub(crate) fn efault<T>(_: T) -> Errno {
    Errno::FAULT
}

/// Writes little-endian words to guest memory.
pub(crate) fn put_u64s(p: &Thread, addr: u64, words: &[u64]) -> Result<(), Errno> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    p.mem.write_bytes(addr, &bytes).map_err(efault)
}

/// Reads `N` little-endian words from guest memory.
pub(crate) fn get_u64s<const N: usize>(p: &Thread, addr: u64) -> Result<[u64; N], Errno> {
    let mut raw = [0u8; 64];
    let bytes = raw.get_mut(..N * 8).ok_or(Errno::INVAL)?;
    p.mem.read_bytes(addr, bytes).map_err(efault)?;
    let mut out = [0u64; N];
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        *o = u64::from_le_bytes(b);
    }
    Ok(out)
}

/// A guest pid argument: 0 is "none" (the caller), negative is `EINVAL`
/// (`rustix::process::Pid` must not be built from a negative number).
pub(crate) fn pid_arg(v: u64) -> Result<Option<rustix::process::Pid>, Errno> {
    let v = v as i32;
    if v < 0 {
        return Err(Errno::INVAL);
    }
    Ok(rustix::process::Pid::from_raw(v))
}

/// Process group and session of `pid` (0 = the caller), from
/// `/proc/PID/stat`: rustix's `getpgid`/`getsid` cannot represent the 0 that
/// the kernel reports for processes outside this pid namespace's sessions.
fn proc_ids(pid: u64) -> Result<(u64, u64), Errno> {
    let pid = match pid_arg(pid)? {
        Some(p) => p.as_raw_nonzero().get().unsigned_abs(),
        None => std::process::id(),
    };
    let stat = std::fs::read(format!("/proc/{pid}/stat")).map_err(|_| Errno::SRCH)?;
    let after = stat.iter().rposition(|&b| b == b')').ok_or(Errno::SRCH)?;
    let text = String::from_utf8_lossy(stat.get(after + 1..).unwrap_or_default()).into_owned();
    let mut fields = text.split_whitespace().skip(2);
    let pgrp = fields.next().and_then(|f| f.parse().ok()).ok_or(Errno::SRCH)?;
    let sid = fields.next().and_then(|f| f.parse().ok()).ok_or(Errno::SRCH)?;
    Ok((pgrp, sid))
}

/// Dispatches the system call in the guest's registers.
pub(crate) fn dispatch(p: &mut Thread) -> Outcome {
    let n = p.vcpu.cpu.regs[17];
    let a = [
        p.vcpu.cpu.regs[10],
        p.vcpu.cpu.regs[11],
        p.vcpu.cpu.regs[12],
        p.vcpu.cpu.regs[13],
        p.vcpu.cpu.regs[14],
        p.vcpu.cpu.regs[15],
    ];
    if let Some(filter) = p.proc.syscall_filter() {
        let call = crate::filter::SyscallInfo { nr: n, args: a, tid: p.tid(), pc: p.vcpu.cpu.pc, mem: &p.mem };
        match filter(&call) {
            crate::filter::Verdict::Allow => {}
            crate::filter::Verdict::Deny(errno) => {
                return Outcome::Return((-i64::from(errno.unsigned_abs())) as u64);
            }
            crate::filter::Verdict::Kill => return Outcome::Exit(ExitStatus::Signaled(crate::Signal::SIGSYS)),
        }
    }
    let pre = if p.proc.strace { Some(strace::before(p, n, &a)) } else { None };
    let result: SysResult = match n {
        nr::EXIT | nr::EXIT_GROUP => {
            if let Some(line) = pre {
                strace::finish(p, n, line, None);
            }
            let code = a[0] as i32 & 0xff;
            return if n == nr::EXIT { Outcome::ExitThread(code) } else { Outcome::Exit(ExitStatus::Exited(code)) };
        }
        nr::RT_SIGRETURN => {
            if let Some(line) = pre {
                strace::finish(p, n, line, None);
            }
            return sig::rt_sigreturn(p);
        }
        nr::READ => io::read(p, a[0], a[1], a[2]),
        nr::WRITE => io::write(p, a[0], a[1], a[2]),
        nr::READV => io::readv(p, a[0], a[1], a[2], None),
        nr::WRITEV => io::writev(p, a[0], a[1], a[2]),
        nr::PREAD64 => io::pread(p, a[0], a[1], a[2], a[3]),
        nr::PWRITE64 => io::pwrite(p, a[0], a[1], a[2], a[3]),
        nr::PREADV => io::readv(p, a[0], a[1], a[2], Some(a[3])),
        nr::PWRITEV => io::pwritev(p, a[0], a[1], a[2], a[3]),
        nr::OPENAT => fs::openat(p, a[0], a[1], a[2], a[3]),
        nr::CLOSE => p.fds().close(a[0]).map(|()| 0),
        nr::LSEEK => io::lseek(p, a[0], a[1], a[2]),
        nr::DUP => io::dup(p, a[0]),
        nr::DUP3 => io::dup3(p, a[0], a[1], a[2]),
        nr::FCNTL => io::fcntl(p, a[0], a[1], a[2]),
        nr::PIPE2 => io::pipe2(p, a[0], a[1]),
        nr::FTRUNCATE => io::ftruncate(p, a[0], a[1]),
        nr::FSYNC => io::fsync(p, a[0], false),
        nr::FDATASYNC => io::fsync(p, a[0], true),
        nr::GETDENTS64 => io::getdents64(p, a[0], a[1], a[2]),
        nr::IOCTL => io::ioctl(p, a[0], a[1], a[2]),
        nr::PPOLL => io::ppoll(p, a[0], a[1], a[2], a[3], a[4]),
        nr::FSTAT => fs::fstat(p, a[0], a[1]),
        nr::NEWFSTATAT => fs::newfstatat(p, a[0], a[1], a[2], a[3]),
        nr::STATX => fs::statx(p, a[0], a[1], a[2], a[3], a[4]),
        nr::READLINKAT => fs::readlinkat(p, a[0], a[1], a[2], a[3]),
        nr::FACCESSAT => fs::faccessat(p, a[0], a[1], a[2], 0),
        nr::FACCESSAT2 => fs::faccessat(p, a[0], a[1], a[2], a[3]),
        nr::MKDIRAT => fs::mkdirat(p, a[0], a[1], a[2]),
        nr::MKNODAT => fs::mknodat(p, a[0], a[1], a[2], a[3]),
        nr::UNLINKAT => fs::unlinkat(p, a[0], a[1], a[2]),
        nr::RENAMEAT => fs::renameat2(p, a[0], a[1], a[2], a[3], 0),
        nr::RENAMEAT2 => fs::renameat2(p, a[0], a[1], a[2], a[3], a[4]),
        nr::LINKAT => fs::linkat(p, a[0], a[1], a[2], a[3], a[4]),
        nr::SYMLINKAT => fs::symlinkat(p, a[0], a[1], a[2]),
        nr::FCHMODAT => fs::fchmodat(p, a[0], a[1], a[2]),
        nr::FCHMOD => fs::fchmod(p, a[0], a[1]),
        nr::FCHOWNAT => fs::fchownat(p, a[0], a[1], a[2], a[3], a[4]),
        nr::FCHOWN => fs::fchown(p, a[0], a[1], a[2]),
        nr::SETXATTR => xattr::setxattr(p, xattr::Target::Path, a[0], a[1], a[2], a[3], a[4]),
        nr::LSETXATTR => xattr::setxattr(p, xattr::Target::LinkPath, a[0], a[1], a[2], a[3], a[4]),
        nr::FSETXATTR => xattr::setxattr(p, xattr::Target::Fd, a[0], a[1], a[2], a[3], a[4]),
        nr::GETXATTR => xattr::getxattr(p, xattr::Target::Path, a[0], a[1], a[2], a[3]),
        nr::LGETXATTR => xattr::getxattr(p, xattr::Target::LinkPath, a[0], a[1], a[2], a[3]),
        nr::FGETXATTR => xattr::getxattr(p, xattr::Target::Fd, a[0], a[1], a[2], a[3]),
        nr::LISTXATTR => xattr::listxattr(p, xattr::Target::Path, a[0], a[1], a[2]),
        nr::LLISTXATTR => xattr::listxattr(p, xattr::Target::LinkPath, a[0], a[1], a[2]),
        nr::FLISTXATTR => xattr::listxattr(p, xattr::Target::Fd, a[0], a[1], a[2]),
        nr::REMOVEXATTR => xattr::removexattr(p, xattr::Target::Path, a[0], a[1]),
        nr::LREMOVEXATTR => xattr::removexattr(p, xattr::Target::LinkPath, a[0], a[1]),
        nr::FREMOVEXATTR => xattr::removexattr(p, xattr::Target::Fd, a[0], a[1]),
        nr::UTIMENSAT => fs::utimensat(p, a[0], a[1], a[2], a[3]),
        nr::CHDIR => fs::chdir(p, a[0]),
        nr::FCHDIR => fs::fchdir(p, a[0]),
        nr::GETCWD => fs::getcwd(p, a[0], a[1]),
        nr::UMASK => fs::umask(p, a[0]),
        nr::TRUNCATE => fs::truncate(p, a[0], a[1]),
        nr::STATFS => fs::statfs(p, a[0], a[1]),
        nr::FSTATFS => fs::fstatfs(p, a[0], a[1]),
        nr::FADVISE64 => p.fds().get(a[0]).map(|_| 0),
        nr::FLOCK => p.fds().get(a[0]).map(|_| 0),
        // The address-space calls run one at a time (Linux's mmap lock): a
        // choice of free range and the mapping that takes it are one step,
        // so two threads never map the same range.
        nr::BRK | nr::MMAP | nr::MUNMAP | nr::MPROTECT | nr::MREMAP | nr::MSYNC | nr::MADVISE => {
            let proc = std::sync::Arc::clone(&p.proc);
            let _mm = proc.mm_lock();
            match n {
                nr::BRK => Ok(mm::brk(p, a[0])),
                nr::MMAP => mm::mmap(p, a[0], a[1], a[2], a[3], a[4], a[5]),
                nr::MUNMAP => mm::munmap(p, a[0], a[1]),
                nr::MPROTECT => mm::mprotect(p, a[0], a[1], a[2]),
                nr::MREMAP => mm::mremap(p, a[0], a[1], a[2], a[3], a[4]),
                nr::MSYNC => mm::msync(p, a[0], a[1], a[2]),
                _ => mm::madvise(p, a[0], a[1], a[2]),
            }
        }
        nr::MLOCK | nr::MUNLOCK => Ok(0),
        nr::SET_TID_ADDRESS => {
            p.clear_child_tid = a[0];
            Ok(u64::from(p.tid()))
        }
        nr::SET_ROBUST_LIST => {
            // sizeof(struct robust_list_head) on 64-bit Linux.
            if a[1] == 24 {
                p.robust_list = a[0];
                Ok(0)
            } else {
                Err(Errno::INVAL)
            }
        }
        nr::GET_ROBUST_LIST => proc::get_robust_list(p, a[0], a[1], a[2]),
        nr::RSEQ => Err(Errno::NOSYS),
        nr::MEMBARRIER => Err(Errno::NOSYS),
        nr::FUTEX => misc::futex(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::RT_SIGACTION => sig::rt_sigaction(p, a[0], a[1], a[2], a[3]),
        nr::RT_SIGPROCMASK => sig::rt_sigprocmask(p, a[0], a[1], a[2], a[3]),
        nr::RT_SIGPENDING => sig::rt_sigpending(p, a[0], a[1]),
        nr::RT_SIGSUSPEND => sig::rt_sigsuspend(p, a[0], a[1]),
        nr::RT_SIGTIMEDWAIT => sig::rt_sigtimedwait(p, a[0], a[1], a[2], a[3]),
        nr::SIGALTSTACK => sig::sigaltstack(p, a[0], a[1]),
        nr::KILL => sig::kill(p, a[0], a[1]),
        nr::TKILL => sig::tgkill(p, None, a[0], a[1]),
        nr::TGKILL => sig::tgkill(p, Some(a[0]), a[1], a[2]),
        nr::CLONE => proc::clone(p, a[0], a[1], a[2], a[3], a[4]),
        nr::CLONE3 => proc::clone3(p, a[0], a[1]),
        nr::EXECVE => proc::execve(p, a[0], a[1], a[2]),
        nr::EXECVEAT => proc::execveat(p, a[0], a[1], a[2], a[3], a[4]),
        nr::WAIT4 => proc::wait4(p, a[0], a[1], a[2], a[3]),
        nr::UNAME => misc::uname(p, a[0]),
        nr::GETRANDOM => misc::getrandom(p, a[0], a[1], a[2]),
        nr::PRLIMIT64 => misc::prlimit64(p, a[0], a[1], a[2], a[3]),
        nr::GETRLIMIT => misc::prlimit64(p, 0, a[0], 0, a[1]),
        nr::SETRLIMIT => misc::prlimit64(p, 0, a[0], a[1], 0),
        nr::SYSINFO => misc::sysinfo(p, a[0]),
        nr::GETPID => Ok(u64::from(p.proc.pid())),
        nr::GETTID => Ok(u64::from(p.tid())),
        nr::GETPPID => Ok(rustix::process::getppid().map_or(0, |p| u64::from(p.as_raw_nonzero().get().unsigned_abs()))),
        nr::GETUID => Ok(u64::from(rustix::process::getuid().as_raw())),
        nr::GETEUID => Ok(u64::from(rustix::process::geteuid().as_raw())),
        nr::GETGID => Ok(u64::from(rustix::process::getgid().as_raw())),
        nr::GETEGID => Ok(u64::from(rustix::process::getegid().as_raw())),
        nr::GETRESUID => cred::getres(p, true, &a[..3]),
        nr::GETRESGID => cred::getres(p, false, &a[..3]),
        nr::GETGROUPS => cred::getgroups(p, a[0], a[1]),
        nr::SETGROUPS => cred::setgroups(p, a[0], a[1]),
        nr::SETUID => cred::set_ids(SetIds::Uid, &a),
        nr::SETGID => cred::set_ids(SetIds::Gid, &a),
        nr::SETREUID => cred::set_ids(SetIds::ReUid, &a),
        nr::SETREGID => cred::set_ids(SetIds::ReGid, &a),
        nr::SETRESUID => cred::set_ids(SetIds::ResUid, &a),
        nr::SETRESGID => cred::set_ids(SetIds::ResGid, &a),
        nr::SETFSUID => cred::set_ids(SetIds::FsUid, &a),
        nr::SETFSGID => cred::set_ids(SetIds::FsGid, &a),
        nr::GETPGID => proc_ids(a[0]).map(|(pgrp, _)| pgrp),
        nr::GETSID => proc_ids(a[0]).map(|(_, sid)| sid),
        nr::SETPGID => pid_arg(a[0]).and_then(|pid| rustix::process::setpgid(pid, pid_arg(a[1])?)).map(|()| 0),
        nr::SETSID => rustix::process::setsid().map(|p| u64::from(p.as_raw_nonzero().get().unsigned_abs())),
        nr::CLOCK_GETTIME => misc::clock_gettime(p, a[0], a[1]),
        nr::CLOCK_SETTIME => misc::clock_settime(p, a[0], a[1]),
        nr::CLOCK_GETRES => misc::clock_getres(p, a[0], a[1]),
        nr::GETTIMEOFDAY => misc::gettimeofday(p, a[0]),
        nr::NANOSLEEP => misc::nanosleep(p, a[0], a[1]),
        nr::CLOCK_NANOSLEEP => misc::clock_nanosleep(p, a[0], a[1], a[2], a[3]),
        nr::SETITIMER => misc::setitimer(p, a[0], a[1], a[2]),
        nr::GETITIMER => misc::getitimer(p, a[0], a[1]),
        nr::SCHED_GETAFFINITY => misc::sched_getaffinity(p, a[0], a[1], a[2]),
        nr::SCHED_SETAFFINITY => misc::sched_setaffinity(p, a[0], a[1], a[2]),
        nr::SCHED_SETPARAM => misc::sched_param(p, host::SchedParam::Set, a[0], a[1]),
        nr::SCHED_GETPARAM => misc::sched_param(p, host::SchedParam::Get, a[0], a[1]),
        nr::SCHED_SETSCHEDULER => misc::sched_param(p, host::SchedParam::SetScheduler(a[1] as i32), a[0], a[2]),
        nr::SCHED_RR_GET_INTERVAL => misc::sched_rr_get_interval(p, a[0], a[1]),
        // Integers only, and the same on both: straight to the host.
        nr::SCHED_GETSCHEDULER => host::plain(libc::SYS_sched_getscheduler, [a[0] as i32 as u64, 0, 0, 0, 0, 0]),
        nr::SCHED_GET_PRIORITY_MAX => {
            host::plain(libc::SYS_sched_get_priority_max, [a[0] as i32 as u64, 0, 0, 0, 0, 0])
        }
        nr::SCHED_GET_PRIORITY_MIN => {
            host::plain(libc::SYS_sched_get_priority_min, [a[0] as i32 as u64, 0, 0, 0, 0, 0])
        }
        nr::GETPRIORITY => host::plain(libc::SYS_getpriority, [a[0] as i32 as u64, a[1] as i32 as u64, 0, 0, 0, 0]),
        nr::SETPRIORITY => {
            host::plain(libc::SYS_setpriority, [a[0] as i32 as u64, a[1] as i32 as u64, a[2] as i32 as u64, 0, 0, 0])
        }
        nr::SCHED_YIELD => {
            rustix::thread::sched_yield();
            Ok(0)
        }
        nr::GETRUSAGE => misc::getrusage(p, a[0], a[1]),
        nr::TIMES => misc::times(p, a[0]),
        nr::PRCTL => misc::prctl(p, a[0], a[1]),
        nr::RISCV_HWPROBE => misc::riscv_hwprobe(p, a[0], a[1], a[2], a[3], a[4]),
        nr::RISCV_FLUSH_ICACHE => {
            // Every thread runs the new code once this returns: the
            // translations of written code are dropped and every running
            // vCPU passes a safe point (Linux's IPI of `fence.i` to every
            // hart).
            if a[2] & !1 != 0 {
                Err(Errno::INVAL)
            } else {
                p.proc.vm.fence_i();
                p.proc.vm.synchronize();
                Ok(0)
            }
        }
        // Processes, files and memory (issue 13): waitid, pidfds, zero-copy
        // transfers, memfd, openat2, System V IPC, personality.
        nr::WAITID => wait::waitid(p, a[0], a[1], a[2], a[3], a[4]),
        nr::PIDFD_OPEN => wait::pidfd_open(p, a[0], a[1]),
        nr::PIDFD_SEND_SIGNAL => wait::pidfd_send_signal(p, a[0], a[1], a[2], a[3]),
        nr::OPENAT2 => fileops::openat2(p, a[0], a[1], a[2], a[3]),
        nr::MEMFD_CREATE => fileops::memfd_create(p, a[0], a[1]),
        nr::FALLOCATE => fileops::fallocate(p, a[0], a[1], a[2], a[3]),
        nr::CLOSE_RANGE => fileops::close_range(p, a[0], a[1], a[2]),
        nr::NAME_TO_HANDLE_AT => fileops::name_to_handle_at(p, a[1], a[2], a[4]),
        nr::COPY_FILE_RANGE => copy::copy_file_range(p, a),
        nr::SENDFILE => copy::sendfile(p, a[0], a[1], a[2], a[3]),
        nr::SPLICE => copy::splice(p, a),
        nr::TEE => copy::tee(p, a[0], a[1], a[2], a[3]),
        nr::SHMGET => sysv::shmget(a[0], a[1], a[2]),
        nr::SHMCTL => sysv::shmctl(p, a[0], a[1], a[2]),
        nr::SHMAT => sysv::shmat(p, a[0], a[1], a[2]),
        nr::SHMDT => sysv::shmdt(p, a[0]),
        nr::SEMGET => sysv::semget(a[0], a[1], a[2]),
        nr::SEMCTL => sysv::semctl(p, a[0], a[1], a[2], a[3]),
        nr::SEMOP => sysv::semtimedop(p, a[0], a[1], a[2], 0),
        nr::SEMTIMEDOP => sysv::semtimedop(p, a[0], a[1], a[2], a[3]),
        nr::MSGGET => sysv::msgget(a[0], a[1]),
        nr::MSGCTL => sysv::msgctl(p, a[0], a[1], a[2]),
        nr::MSGSND => sysv::msgsnd(p, a[0], a[1], a[2], a[3]),
        nr::MSGRCV => sysv::msgrcv(p, a[0], a[1], a[2], a[3], a[4]),
        nr::PERSONALITY => misc::personality(p, a[0]),
        // Landlock: not supported (programs probe and go on without it).
        nr::LANDLOCK_CREATE_RULESET | nr::LANDLOCK_ADD_RULE | nr::LANDLOCK_RESTRICT_SELF => Err(Errno::NOSYS),
        // ---- Sockets and event APIs (net.rs, event.rs) ----
        nr::SOCKET => net::socket(p, a[0], a[1], a[2]),
        nr::SOCKETPAIR => net::socketpair(p, a[0], a[1], a[2], a[3]),
        nr::BIND => net::bind(p, a[0], a[1], a[2]),
        nr::LISTEN => net::listen(p, a[0], a[1]),
        nr::ACCEPT => net::accept4(p, a[0], a[1], a[2], 0),
        nr::ACCEPT4 => net::accept4(p, a[0], a[1], a[2], a[3]),
        nr::CONNECT => net::connect(p, a[0], a[1], a[2]),
        nr::GETSOCKNAME => net::getsockname(p, a[0], a[1], a[2]),
        nr::GETPEERNAME => net::getpeername(p, a[0], a[1], a[2]),
        nr::SENDTO => net::sendto(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::RECVFROM => net::recvfrom(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::SENDMSG => net::sendmsg(p, a[0], a[1], a[2]),
        nr::RECVMSG => net::recvmsg(p, a[0], a[1], a[2]),
        nr::SENDMMSG => net::sendmmsg(p, a[0], a[1], a[2], a[3]),
        nr::RECVMMSG => net::recvmmsg(p, a[0], a[1], a[2], a[3], a[4]),
        nr::SHUTDOWN => net::shutdown(p, a[0], a[1]),
        nr::SETSOCKOPT => net::setsockopt(p, a[0], a[1], a[2], a[3], a[4]),
        nr::GETSOCKOPT => net::getsockopt(p, a[0], a[1], a[2], a[3], a[4]),
        nr::EPOLL_CREATE1 => event::epoll_create1(p, a[0]),
        nr::EPOLL_CTL => event::epoll_ctl(p, a[0], a[1], a[2], a[3]),
        nr::EPOLL_PWAIT => event::epoll_pwait(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::EPOLL_PWAIT2 => event::epoll_pwait2(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        nr::EVENTFD2 => event::eventfd2(p, a[0], a[1]),
        nr::TIMERFD_CREATE => event::timerfd_create(p, a[0], a[1]),
        nr::TIMERFD_SETTIME => event::timerfd_settime(p, a[0], a[1], a[2], a[3]),
        nr::TIMERFD_GETTIME => event::timerfd_gettime(p, a[0], a[1]),
        nr::SIGNALFD4 => event::signalfd4(p, a[0], a[1], a[2], a[3]),
        nr::INOTIFY_INIT1 => event::inotify_init1(p, a[0]),
        nr::INOTIFY_ADD_WATCH => event::inotify_add_watch(p, a[0], a[1], a[2]),
        nr::INOTIFY_RM_WATCH => event::inotify_rm_watch(p, a[0], a[1]),
        nr::PSELECT6 => event::pselect6(p, a[0], a[1], a[2], a[3], a[4], a[5]),
        // ---- end of sockets and event APIs ----
        _ => {
            // Silent by default, as under QEMU: a program that probes for a
            // system call copes with ENOSYS, and a note would change its
            // output. `-d unimp` and `--strace` show it.
            tracing::info!(target: ferrovm_engine::log::target::UNIMP, "Unsupported syscall: {n}");
            Err(Errno::NOSYS)
        }
    };
    if let Some(line) = pre {
        strace::finish(p, n, line, Some(&result));
    }
    if matches!(n, nr::MMAP | nr::MUNMAP | nr::MPROTECT | nr::MREMAP | nr::BRK)
        && tracing::enabled!(target: ferrovm_engine::log::target::PAGE, tracing::Level::INFO)
    {
        let name = nr::name(n).unwrap_or("mmap");
        tracing::info!(
            target: ferrovm_engine::log::target::PAGE,
            "page layout changed following {name}\n{}",
            crate::process::page_table(&p.mem)
        );
    }
    match result {
        Ok(v) => Outcome::Return(v),
        Err(e) => match Restart::of(e) {
            Some(how) => Outcome::Interrupted(how),
            None => Outcome::Return((-i64::from(e.raw_os_error())) as u64),
        },
    }
}
