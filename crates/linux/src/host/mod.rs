//! The host operations the safe wrappers (`rustix`, `std`) do not offer
//! safely: `fork` of the whole ferrovm process (for a guest
//! `fork`/`vfork`/`clone(SIGCHLD)`), adopting a descriptor that a parent
//! ferrovm passed through `execve`, blocking system calls that guest
//! signals interrupt ([`safe`]), and the host `futex` on guest memory. This
//! module is the only `unsafe` in the crate.

pub mod cred;
pub mod ipc;
pub mod net;
pub mod safe;

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use ferrovm_mem::{AddressSpace, GUEST_LIMIT};

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

/// Sleeps until a guest signal kicks the thread (`flag`, see [`safe`]) or
/// `timeout` passes.
pub fn sleep(flag: &AtomicU32, timeout: Option<Duration>) {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(d.subsec_nanos() as i32),
    });
    let at = ts.as_ref().map_or(0, |t| std::ptr::from_ref(t) as u64);
    // SAFETY: ppoll with no descriptors, a timeout that is null or points
    // at `ts` (alive for the call), and no signal mask.
    let _ = unsafe { safe::safe_syscall(flag, libc::SYS_ppoll, [0, 0, at, 0, 8, 0]) };
}

/// The host address of a 32-bit futex word in guest memory (see
/// [`futex_word`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FutexWord(u64);

/// The futex word at guest `addr`, if it is aligned, inside the guest
/// address space and readable by the guest.
pub fn futex_word(mem: &AddressSpace, addr: u64) -> Option<FutexWord> {
    let ok = addr.is_multiple_of(4) && addr < GUEST_LIMIT - 4 && mem.perms(addr).read();
    ok.then(|| FutexWord(mem.host_base() as u64 + addr))
}

/// `FUTEX_WAKE` (shared, as the kernel itself wakes `clear_child_tid` and
/// robust futexes) of up to `n` waiters on the guest word at `addr`.
pub fn futex_wake(mem: &AddressSpace, addr: u64, n: i32) {
    let Some(word) = futex_word(mem, addr) else { return };
    // SAFETY: FUTEX_WAKE uses the address as the key of the wait queue; the
    // word lies in the guest reservation, which ferrovm owns.
    unsafe { libc::syscall(libc::SYS_futex, word.0, libc::FUTEX_WAKE, n, 0, 0, 0) };
}

/// The result of a raw `libc::syscall`: the value, or the error in `errno`.
fn checked(r: libc::c_long) -> Result<u64, rustix::io::Errno> {
    if r < 0 {
        Err(rustix::io::Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(rustix::io::Errno::INVAL))
    } else {
        Ok(r as u64)
    }
}

/// A system call whose arguments are all integers (never pointers), made as
/// it is, on the calling thread.
pub(crate) fn plain(nr: i64, args: [u64; 6]) -> Result<u64, rustix::io::Errno> {
    // SAFETY: none of the arguments of these calls is a pointer (the
    // callers pass only integers), so the kernel touches no memory of ours.
    let r = unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) };
    checked(r)
}

/// The scheduling calls that take a `struct sched_param` (one `int`, laid
/// out alike on riscv64 and x86-64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedParam {
    Set,
    Get,
    SetScheduler(i32),
}

/// `sched_setparam`/`sched_getparam`/`sched_setscheduler` of thread `pid`
/// (0: the caller; guest thread ids are host thread ids) with the priority
/// in `priority` (read back for `Get`).
pub fn sched_param(call: SchedParam, pid: i32, priority: &mut i32) -> Result<u64, rustix::io::Errno> {
    let param = std::ptr::from_mut(priority);
    // SAFETY: `param` points at a live `i32`, which is all of `struct
    // sched_param`; the kernel reads or writes only that.
    let r = unsafe {
        match call {
            SchedParam::Set => libc::syscall(libc::SYS_sched_setparam, pid, param),
            SchedParam::Get => libc::syscall(libc::SYS_sched_getparam, pid, param),
            SchedParam::SetScheduler(policy) => libc::syscall(libc::SYS_sched_setscheduler, pid, policy, param),
        }
    };
    checked(r)
}

/// `sched_rr_get_interval(pid)`: the round-robin time slice.
pub fn sched_rr_interval(pid: i32) -> Result<libc::timespec, rustix::io::Errno> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a live `struct timespec` the kernel writes.
    let r = unsafe { libc::syscall(libc::SYS_sched_rr_get_interval, pid, std::ptr::from_mut(&mut ts)) };
    checked(r).map(|_| ts)
}

/// The fourth argument of a `futex` operation.
#[derive(Debug, Clone, Copy)]
pub enum FutexArg<'a> {
    /// A timeout (`FUTEX_WAIT`, `FUTEX_WAIT_BITSET`, the PI waits).
    Timeout(Option<&'a libc::timespec>),
    /// A number (`val2` of the requeue and wake-op operations), or unused.
    Value(u64),
}

/// The guest `futex` system call on the host futex, on guest words: `op`
/// as the guest gave it (private and clock flags included); blocking
/// operations are interruptible through `flag`. Guest and host thread ids
/// are the same, so the PI operations' owner ids mean the same to the host
/// kernel.
pub fn futex(
    flag: &AtomicU32,
    word: FutexWord,
    op: u64,
    val: u64,
    arg: FutexArg<'_>,
    word2: Option<FutexWord>,
    val3: u64,
) -> Result<u64, rustix::io::Errno> {
    let a4 = match arg {
        FutexArg::Timeout(t) => t.map_or(0, |t| std::ptr::from_ref(t) as u64),
        FutexArg::Value(v) => v,
    };
    let args = [word.0, op, val, a4, word2.map_or(0, |w| w.0), val3];
    // SAFETY: the words lie in the guest reservation, which ferrovm owns
    // (an unmapped guest page is PROT_NONE in the host: EFAULT, not a
    // fault), and the timeout is null or a live reference.
    unsafe { safe::safe_syscall(flag, libc::SYS_futex, args) }
}

fn sigset(signals: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset initializes the zeroed set; sigaddset only writes
    // it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Blocks `signals` in the calling host thread.
pub fn block_signals(signals: &[i32]) {
    let set = sigset(signals);
    // SAFETY: pthread_sigmask reads a valid set and writes nothing back.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// A host signal taken by [`wait_signal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSignal {
    /// The number.
    pub signo: i32,
    /// `si_code`.
    pub code: i32,
    /// `si_pid` and `si_uid` (meaningful for `kill`-like codes, <= 0).
    pub sender: (u32, u32),
}

/// Waits for one of `signals` (blocked in every thread) and takes it.
pub fn wait_signal(signals: &[i32]) -> HostSignal {
    let set = sigset(signals);
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value to be overwritten.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: sigwaitinfo reads a valid set and writes `info`.
        let s = unsafe { libc::sigwaitinfo(&set, &mut info) };
        if s > 0 {
            // SAFETY: si_pid/si_uid read the union's kill member, which
            // the kernel fills for every code (zero where unused).
            let sender = unsafe { (info.si_pid().unsigned_abs(), info.si_uid()) };
            return HostSignal { signo: s, code: info.si_code, sender };
        }
    }
}

/// `wait4(pid, &status, options, &rusage)` on the host, interruptible
/// through `flag`; the child's pid, or 0 with `WNOHANG` and none ready.
pub fn wait4(
    flag: &AtomicU32,
    pid: i32,
    status: &mut i32,
    options: i32,
    rusage: &mut [u8; 144],
) -> Result<u64, rustix::io::Errno> {
    let args = [pid as u64, std::ptr::from_mut(status) as u64, options as u64, rusage.as_mut_ptr() as u64, 0, 0];
    // SAFETY: `status` and `rusage` (the size of the host's struct rusage)
    // are valid for writes for the whole call.
    unsafe { safe::safe_syscall(flag, libc::SYS_wait4, args) }
}

/// `read(fd, buf)` on the host, interruptible through `flag`.
pub fn read(flag: &AtomicU32, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let args = [fd.as_raw_fd() as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0];
    // SAFETY: `buf` is valid for writes of its length; `fd` is open.
    unsafe { safe::safe_syscall(flag, libc::SYS_read, args) }.map(|n| n as usize)
}

/// `write(fd, buf)` on the host, interruptible through `flag`.
pub fn write(flag: &AtomicU32, fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let args = [fd.as_raw_fd() as u64, buf.as_ptr() as u64, buf.len() as u64, 0, 0, 0];
    // SAFETY: `buf` is valid for reads of its length; `fd` is open.
    unsafe { safe::safe_syscall(flag, libc::SYS_write, args) }.map(|n| n as usize)
}

/// `ppoll(fds, timeout)` on the host (no signal mask: guest masks are
/// ferrovm's business), interruptible through `flag`.
pub fn ppoll(
    flag: &AtomicU32,
    fds: &mut [libc::pollfd],
    timeout: Option<Duration>,
) -> Result<usize, rustix::io::Errno> {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(d.subsec_nanos() as i32),
    });
    let at = ts.as_ref().map_or(0, |t| std::ptr::from_ref(t) as u64);
    let args = [fds.as_mut_ptr() as u64, fds.len() as u64, at, 0, 8, 0];
    // SAFETY: `fds` is valid for reads and writes of its length, the
    // timeout null or a live value.
    unsafe { safe::safe_syscall(flag, libc::SYS_ppoll, args) }.map(|n| n as usize)
}

/// Ends this host process the way a guest that died of `signal` ends: by
/// the same signal, so a shell sees the same status (e.g. 139 for
/// SIGSEGV). Core dumps are disabled first: the host process's core would
/// describe ferrovm, not the guest.
pub fn die_by_signal(signal: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let no_core = rustix::process::Rlimit { current: Some(0), maximum: Some(0) };
    let _ = rustix::process::setrlimit(rustix::process::Resource::Core, no_core);
    // SAFETY: signal() with SIG_DFL installs no Rust code as a handler, and
    // raise() delivers the signal to this thread; none of them touches
    // Rust-managed memory. (rustix has no signal-disposition calls outside
    // its `runtime` feature, which is not for programs with a libc.)
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    // A signal whose default action is not to terminate: exit like a shell
    // would report it.
    std::process::exit(128 + signal)
}

/// Replaces this process with a host-architecture program (a guest's
/// `execve` of an x86-64 binary, as under QEMU with binfmt_misc): `argv`
/// and `envp` as given, guest descriptor `g` at host number `g` (the guest's
/// descriptors without `FD_CLOEXEC`; host stdio the guest closed is closed),
/// the guest's signal mask and ignored signals. Returns only on failure.
pub fn exec_native(
    program: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    fds: &[(u64, std::sync::Arc<OwnedFd>)],
    mask: u64,
    ignored: u64,
) -> std::io::Error {
    use std::ffi::OsStr;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(OsStr::from_bytes(program));
    if let Some(a0) = argv.first() {
        cmd.arg0(OsStr::from_bytes(a0));
    }
    cmd.args(argv.iter().skip(1).map(|a| OsStr::from_bytes(a)));
    cmd.env_clear();
    for e in envp {
        let (k, v) = match e.iter().position(|&b| b == b'=') {
            Some(i) => (&e[..i], &e[i + 1..]),
            None => (&e[..], &b""[..]),
        };
        if !k.is_empty() {
            cmd.env(OsStr::from_bytes(k), OsStr::from_bytes(v));
        }
    }
    let plan: Vec<(i32, i32)> =
        fds.iter().filter_map(|(g, f)| Some((i32::try_from(*g).ok()?, f.as_raw_fd()))).collect();
    let above = plan.iter().map(|&(g, _)| g).max().unwrap_or(2).max(2) + 1;
    let hook = move || -> std::io::Result<()> {
        // SAFETY: this runs in this process right before execve (no fork):
        // the descriptors in `plan` are open (their owners are alive in the
        // caller), dup/dup2/close only touch descriptor numbers, and the
        // signal calls take valid sets. If execve then fails (after the
        // caller's checks: E2BIG, ENOMEM), a descriptor ferrovm itself held
        // at one of the guest's numbers has been replaced and stdio the
        // guest closed is closed: the caller reports the error, but this
        // process may have lost descriptors of its own (Linux kills a
        // process that fails past the point of no return).
        unsafe {
            let mut moved = Vec::with_capacity(plan.len());
            for &(g, h) in &plan {
                let t = libc::fcntl(h, libc::F_DUPFD_CLOEXEC, above);
                if t < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                moved.push((g, t));
            }
            for fd in 0..3 {
                if !plan.iter().any(|&(g, _)| g == fd) {
                    libc::close(fd);
                }
            }
            for &(g, t) in &moved {
                if libc::dup2(t, g) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for s in 1..=64 {
                if mask & (1u64 << (s - 1)) != 0 {
                    libc::sigaddset(&mut set, s);
                }
                let ign = ignored & (1u64 << (s - 1)) != 0;
                if s != libc::SIGKILL && s != libc::SIGSTOP {
                    libc::signal(s, if ign { libc::SIG_IGN } else { libc::SIG_DFL });
                }
            }
            libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        }
        Ok(())
    };
    // SAFETY: see the hook: it runs in this process before execve and only
    // moves descriptors and sets signal state.
    unsafe { cmd.pre_exec(hook) };
    cmd.exec()
}

/// The host system calls that copy between descriptors with optional
/// offsets (see [`copy_between`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyCall {
    /// `splice(in, off_in, out, off_out, len, flags)`.
    Splice,
    /// `tee(in, out, len, flags)`.
    Tee,
    /// `sendfile(out, in, offset, len)` (the offset is the input's).
    Sendfile,
    /// `copy_file_range(in, off_in, out, off_out, len, flags)`.
    CopyFileRange,
}

/// One side of a [`copy_between`]: a descriptor and its optional offset
/// (`loff_t *`), updated as the kernel updates it.
#[derive(Debug)]
pub struct CopyEnd<'a> {
    /// The descriptor.
    pub fd: BorrowedFd<'a>,
    /// The offset, or `None` for the descriptor's own position.
    pub offset: Option<&'a mut i64>,
}

/// One of [`CopyCall`] on the host, interruptible through `flag`.
pub fn copy_between(
    flag: &AtomicU32,
    call: CopyCall,
    input: CopyEnd<'_>,
    output: CopyEnd<'_>,
    len: usize,
    flags: u32,
) -> Result<u64, rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let (i, o) = (input.fd.as_raw_fd() as u64, output.fd.as_raw_fd() as u64);
    let pi = input.offset.map_or(0, |r| std::ptr::from_mut(r) as u64);
    let po = output.offset.map_or(0, |r| std::ptr::from_mut(r) as u64);
    let (nr, args) = match call {
        CopyCall::Splice => (libc::SYS_splice, [i, pi, o, po, len as u64, u64::from(flags)]),
        CopyCall::Tee => (libc::SYS_tee, [i, o, len as u64, u64::from(flags), 0, 0]),
        CopyCall::Sendfile => (libc::SYS_sendfile, [o, i, pi, len as u64, 0, 0]),
        CopyCall::CopyFileRange => (libc::SYS_copy_file_range, [i, pi, o, po, len as u64, u64::from(flags)]),
    };
    // SAFETY: descriptors are borrowed (open for the call); the offset
    // pointers are null or live exclusive references to an i64 (loff_t).
    unsafe { safe::safe_syscall(flag, nr, args) }
}

/// `waitid(idtype, id, &info, options, &rusage)` on the host,
/// interruptible through `flag` (`siginfo_t` and `struct rusage` have the
/// same layout on riscv64 and x86-64).
pub fn waitid(
    flag: &AtomicU32,
    idtype: u32,
    id: u64,
    info: &mut [u8; 128],
    options: u32,
    rusage: &mut [u8; 144],
) -> Result<u64, rustix::io::Errno> {
    let args = [u64::from(idtype), id, info.as_mut_ptr() as u64, u64::from(options), rusage.as_mut_ptr() as u64, 0];
    // SAFETY: `info` (sizeof(siginfo_t)) and `rusage` (sizeof(struct
    // rusage)) are valid for writes for the whole call.
    unsafe { safe::safe_syscall(flag, libc::SYS_waitid, args) }
}

/// `pidfd_send_signal(pidfd, sig, info, flags)` on the host.
pub fn pidfd_send_signal(
    pidfd: BorrowedFd<'_>,
    sig: i32,
    info: Option<&[u8; 128]>,
    flags: u32,
) -> Result<u64, rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let pi = info.map_or(0, |i| i.as_ptr() as u64);
    // SAFETY: `info` is null or a live siginfo-sized buffer the kernel only
    // reads; the descriptor is borrowed for the call.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), sig, pi, flags) };
    checked(r)
}

/// Largest argument structure of the terminal `ioctl`s
/// ([`tty_ioctl_shape`]): `struct termios`, 36 bytes.
pub const TTY_IOCTL_MAX: usize = 36;

/// How a terminal `ioctl` uses its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoctlDir {
    /// The kernel reads a structure from it.
    In,
    /// The kernel writes a structure to it.
    Out,
    /// It is a number (or unused).
    Value,
}

/// The terminal `ioctl`s ferrovm passes to the host, with the size of
/// their structure and its direction (asm-generic numbers, which x86-64
/// shares).
pub fn tty_ioctl_shape(request: u32) -> Option<(usize, IoctlDir)> {
    use IoctlDir::{In, Out, Value};
    Some(match request {
        0x5401 => (36, Out),           // TCGETS
        0x5402..=0x5404 => (36, In),   // TCSETS, TCSETSW, TCSETSF
        0x5409..=0x540b => (0, Value), // TCSBRK, TCXONC, TCFLSH
        0x540e => (0, Value),          // TIOCSCTTY
        0x540f => (4, Out),            // TIOCGPGRP
        0x5410 => (4, In),             // TIOCSPGRP
        0x5411 => (4, Out),            // TIOCOUTQ
        0x5413 => (8, Out),            // TIOCGWINSZ
        0x5414 => (8, In),             // TIOCSWINSZ
        0x541b => (4, Out),            // FIONREAD
        0x5422 => (0, Value),          // TIOCNOTTY
        0x5425 => (0, Value),          // TCSBRKP (glibc's tcsendbreak)
        0x5427..=0x5428 => (0, Value), // TIOCSBRK, TIOCCBRK
        0x5429 => (4, Out),            // TIOCGSID
        0x8004_5430 => (4, Out),       // TIOCGPTN
        0x4004_5431 => (4, In),        // TIOCSPTLCK
        0x8004_5439 => (4, Out),       // TIOCGPTLCK
        _ => return None,
    })
}

/// A terminal `ioctl` ([`tty_ioctl_shape`]) on the host: `buf` holds the
/// structure (or receives it); `value` is the argument of the `Value` ones.
pub fn tty_ioctl(
    fd: BorrowedFd<'_>,
    request: u32,
    buf: &mut [u8; TTY_IOCTL_MAX],
    value: u64,
) -> Result<u64, rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let Some((_, dir)) = tty_ioctl_shape(request) else { return Err(rustix::io::Errno::NOTTY) };
    let arg = if dir == IoctlDir::Value { value as usize } else { buf.as_mut_ptr() as usize };
    // SAFETY: every request in `tty_ioctl_shape` reads or writes at most
    // TTY_IOCTL_MAX bytes at its argument, which is `buf` (valid for both),
    // or takes a number.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::c_ulong::from(request), arg) };
    if r < 0 {
        Err(rustix::io::Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(rustix::io::Errno::NOTTY))
    } else {
        Ok(r as u64)
    }
}

/// `getrusage(who)` on the host, as the bytes of `struct rusage` (144
/// bytes, the same layout on riscv64 and x86-64).
pub fn getrusage(who: i32) -> Result<[u8; 144], rustix::io::Errno> {
    let mut out = [0u8; 144];
    // SAFETY: `out` is exactly sizeof(struct rusage) and valid for writes.
    let r = unsafe { libc::syscall(libc::SYS_getrusage, who, out.as_mut_ptr()) };
    if r < 0 {
        return Err(
            rustix::io::Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(rustix::io::Errno::INVAL)
        );
    }
    Ok(out)
}
