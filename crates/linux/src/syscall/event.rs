//! Event APIs: `epoll`, `eventfd`, `timerfd`, `signalfd`, `inotify`,
//! `pselect6`.
//!
//! `epoll`, `eventfd`, `timerfd` and `inotify` are the host's objects
//! behind guest descriptors: their reads and writes (a `u64` counter, a
//! `u64` expiration count, `struct inotify_event`s) have the same bytes on
//! both architectures. What differs: `struct epoll_event` is packed on
//! x86-64 (12 bytes) but not on riscv64 (16 bytes: `events`, 4 bytes of
//! padding, `data`), and `epoll_ctl` names guest descriptors, which become
//! host ones. `inotify_add_watch`'s path goes through the guest's file-system
//! view (confined mode included) and the host watches the file ferrovm
//! opened.
//!
//! `signalfd` cannot be the host's: guest signals never reach the host as
//! signals, they are kept by ferrovm (`Thread`'s and `Proc`'s pending sets,
//! see [`crate::thread`]). A guest signalfd is therefore emulated: its host
//! object is an `eventfd` whose counter is non-zero exactly while a signal
//! of its mask is pending for the process or one of its threads
//! ([`sync_signalfds`], called wherever signals become pending or are
//! taken), so `poll`, `select` and `epoll` see it become readable like a
//! real signalfd, and a `read` of it takes the pending signals (the
//! thread's, then the process's) and returns `struct signalfd_siginfo`s.
//!
//! Waits (`epoll_pwait`, `pselect6`) are host waits that a guest signal
//! interrupts (see [`crate::host::safe`]); like `poll` they restart only if
//! no handler ran (`ERESTARTNOHAND`), with the guest mask they were given
//! in force meanwhile.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use linux_raw_sys::general as lg;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::misc::read_timespec;
use super::{Restart, SysResult, efault, get_u64s, put_u64s};
use crate::fd::MAX_FDS;
use crate::host;
use crate::process::Proc;
use crate::signal::{self, SigInfo};
use crate::thread::Thread;
use crate::vfs::AT_FDCWD;

/// `sizeof(struct epoll_event)` on riscv64 (not packed).
const EPOLL_EVENT: u64 = 16;
/// Most events one `epoll_pwait` asks the host for (the rest stay queued
/// for the next call).
const EPOLL_BATCH: usize = 1024;
/// `EP_MAX_EVENTS`: `INT_MAX / sizeof(struct epoll_event)`.
const EP_MAX_EVENTS: u64 = i32::MAX as u64 / EPOLL_EVENT;
/// `sizeof(struct signalfd_siginfo)`.
const SIGNALFD_SIGINFO: usize = 128;

/// One guest signalfd: its host eventfd and mask.
#[derive(Debug)]
pub(crate) struct SignalFd {
    file: Weak<OwnedFd>,
    mask: u64,
    /// Whether the eventfd's counter is non-zero.
    ready: bool,
}

/// The process's signalfds.
#[derive(Debug, Default)]
pub(crate) struct EventState {
    signalfds: Mutex<Vec<SignalFd>>,
    /// How many there are (the hot paths look only at this).
    count: AtomicUsize,
}

impl EventState {
    /// The signalfds (a leaf lock).
    pub(crate) fn signalfds(&self) -> MutexGuard<'_, Vec<SignalFd>> {
        self.signalfds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The mask of the signalfd whose host object is `file`, if it is one.
    fn mask_of(&self, file: &Arc<OwnedFd>) -> Option<u64> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.signalfds().iter().find(|s| std::ptr::eq(s.file.as_ptr(), Arc::as_ptr(file))).map(|s| s.mask)
    }
}

/// Sets each signalfd's readiness from the signals now pending for the
/// process and its threads. Cheap when there is no signalfd. Call it with
/// no signal lock held.
pub(crate) fn sync_signalfds(proc: &Proc) {
    if proc.events.count.load(Ordering::Acquire) == 0 {
        return;
    }
    // The pending sets are read under the signalfd lock, so two syncs
    // cannot apply stale views in the wrong order (lock order: signalfds,
    // then signals and threads; `Proc::lock_for_fork` takes it first too).
    let mut fds = proc.events.signalfds();
    let mut pending = proc.signals().pending.bits;
    let handles: Vec<_> = proc.threads().by_tid.values().cloned().collect();
    for t in handles {
        pending |= t.pending().bits;
    }
    fds.retain(|s| s.file.strong_count() > 0);
    proc.events.count.store(fds.len(), Ordering::Release);
    for s in fds.iter_mut() {
        let want = pending & s.mask != 0;
        if want == s.ready {
            continue;
        }
        let Some(file) = s.file.upgrade() else { continue };
        if want {
            let _ = rustix::io::write(&*file, &1u64.to_le_bytes());
        } else {
            drain(&file);
        }
        s.ready = want;
    }
}

/// In a forked child: each signalfd gets an `eventfd` of its own (its
/// readiness is the child's pending signals, not the parent's), under the
/// same descriptor number.
pub(crate) fn after_fork_child(proc: &Proc) {
    if proc.events.count.load(Ordering::Acquire) == 0 {
        return;
    }
    for s in proc.events.signalfds().iter_mut() {
        let Some(file) = s.file.upgrade() else { continue };
        let nonblock = rustix::fs::fcntl_getfl(&*file).is_ok_and(|f| f.contains(OFlags::NONBLOCK));
        let mut flags = rustix::event::EventfdFlags::CLOEXEC;
        if nonblock {
            flags |= rustix::event::EventfdFlags::NONBLOCK;
        }
        if let Ok(fresh) = rustix::event::eventfd(0, flags)
            && host::net::replace_fd(file.as_fd(), &fresh).is_ok()
        {
            s.ready = false;
        }
    }
    sync_signalfds(proc);
}

/// Empties an eventfd without blocking (whatever its `O_NONBLOCK`).
fn drain(file: &OwnedFd) {
    let mut fds = [rustix::event::PollFd::new(file, rustix::event::PollFlags::IN)];
    if rustix::event::poll(&mut fds, Some(&rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 })).unwrap_or(0) > 0 {
        let mut b = [0u8; 8];
        let _ = rustix::io::read(file, &mut b);
    }
}

/// A guest signal mask argument (`sigsetsize` must be 8).
fn read_sigmask(p: &Thread, addr: u64, size: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let [m] = get_u64s::<1>(p, addr)?;
    Ok(Some(m))
}

/// Runs `wait` (a host wait the thread's kick interrupts, given the time
/// left) with guest mask `mask` in force, until it returns for another
/// reason than a kick for a signal that another thread took. A signal for
/// this thread (one already pending that the temporary mask unblocks too)
/// ends it with `ERESTARTNOHAND`; the temporary mask then stays saved for
/// the handler, as `ppoll` and `pselect6` do. `idle(&result)` says whether
/// a result reports nothing ready: then a deliverable signal makes it
/// `ERESTARTNOHAND` as well (Linux's `poll`/`select` check for signals
/// even with a zero timeout).
pub(crate) fn wait_with_mask<T>(
    p: &mut Thread,
    mask: Option<u64>,
    timeout: Option<Duration>,
    idle: impl Fn(&T) -> bool,
    mut wait: impl FnMut(&AtomicU32, Option<Duration>) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let old = p.mask();
    if let Some(m) = mask {
        p.saved_mask = Some(old);
        p.set_mask(m);
    }
    let deadline = timeout.map(|d| Instant::now() + d);
    let result = loop {
        if p.deliverable() && timeout != Some(Duration::ZERO) {
            break Err(Restart::NoHandler.errno());
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match wait(&p.me.kick, left) {
            Err(Errno::INTR) if !p.deliverable() && !p.proc.exiting() => {
                p.me.kick.store(0, Ordering::Release);
            }
            Err(Errno::INTR) => break Err(Restart::NoHandler.errno()),
            Ok(r) if idle(&r) && p.deliverable() => break Err(Restart::NoHandler.errno()),
            other => break other,
        }
    };
    if mask.is_some() && !matches!(result, Err(e) if e == Restart::NoHandler.errno()) {
        p.saved_mask = None;
        p.set_mask(old);
    }
    result
}

// ---------------------------------------------------------------- epoll

pub(crate) fn epoll_create1(p: &mut Thread, flags: u64) -> SysResult {
    if flags & !u64::from(OFlags::CLOEXEC.bits()) != 0 {
        return Err(Errno::INVAL);
    }
    let fd = rustix::event::epoll::create(rustix::event::epoll::CreateFlags::CLOEXEC)?;
    p.fds().insert(fd, flags != 0)
}

pub(crate) fn epoll_ctl(p: &mut Thread, epfd: u64, op: u64, fd: u64, event: u64) -> SysResult {
    let ep = p.fds().get(epfd)?;
    let target = p.fds().get(fd)?;
    let op = op as i32;
    let ev = if op == lg::EPOLL_CTL_DEL as i32 {
        (0, 0)
    } else {
        let mut b = [0u8; EPOLL_EVENT as usize];
        p.mem.read_bytes(event, &mut b).map_err(efault)?;
        let events = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut d = [0u8; 8];
        d.copy_from_slice(&b[8..16]);
        (events, u64::from_le_bytes(d))
    };
    host::net::epoll_ctl(ep.as_fd(), op, target.as_fd(), ev)?;
    Ok(0)
}

fn epoll_wait(
    p: &mut Thread,
    epfd: u64,
    events: u64,
    max: u64,
    timeout: Option<Duration>,
    sigmask: Option<u64>,
) -> SysResult {
    let max = max as i32;
    if max <= 0 || max as u64 > EP_MAX_EVENTS {
        return Err(Errno::INVAL);
    }
    let ep = p.fds().get(epfd)?;
    let batch = (max as usize).min(EPOLL_BATCH);
    super::io::check_writable(p, events, batch * EPOLL_EVENT as usize)?;
    let mut out = Vec::with_capacity(batch);
    // epoll_wait with nothing ready and a zero timeout returns 0, signal
    // or not (`ep_poll`).
    let n = wait_with_mask(
        p,
        sigmask,
        timeout,
        |_| false,
        |kick, left| host::net::epoll_wait(kick, ep.as_fd(), &mut out, batch, left),
    )?;
    let mut b = Vec::with_capacity(n * EPOLL_EVENT as usize);
    for &(ev, data) in out.iter().take(n) {
        b.extend_from_slice(&ev.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&data.to_le_bytes());
    }
    p.mem.write_bytes(events, &b).map_err(efault)?;
    Ok(n as u64)
}

/// `epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)`.
pub(crate) fn epoll_pwait(p: &mut Thread, epfd: u64, ev: u64, max: u64, ms: u64, mask: u64, size: u64) -> SysResult {
    let ms = ms as i32;
    let timeout = (ms >= 0).then(|| Duration::from_millis(ms as u64));
    let sigmask = read_sigmask(p, mask, size)?;
    epoll_wait(p, epfd, ev, max, timeout, sigmask)
}

/// `epoll_pwait2(epfd, events, maxevents, timeout, sigmask, sigsetsize)`.
pub(crate) fn epoll_pwait2(p: &mut Thread, epfd: u64, ev: u64, max: u64, ts: u64, mask: u64, size: u64) -> SysResult {
    let timeout = if ts == 0 { None } else { Some(read_timespec(p, ts)?) };
    let sigmask = read_sigmask(p, mask, size)?;
    epoll_wait(p, epfd, ev, max, timeout, sigmask)
}

// ------------------------------------------------------ eventfd, timerfd

pub(crate) fn eventfd2(p: &mut Thread, initval: u64, flags: u64) -> SysResult {
    use rustix::event::EventfdFlags as F;
    let allowed = u64::from((F::CLOEXEC | F::NONBLOCK | F::SEMAPHORE).bits());
    if flags & !allowed != 0 {
        return Err(Errno::INVAL);
    }
    let host = F::from_bits_retain(flags as u32) | F::CLOEXEC;
    let fd = rustix::event::eventfd(initval as u32, host)?;
    p.fds().insert(fd, flags & u64::from(F::CLOEXEC.bits()) != 0)
}

pub(crate) fn timerfd_create(p: &mut Thread, clock: u64, flags: u64) -> SysResult {
    use rustix::time::{TimerfdClockId as C, TimerfdFlags as F};
    let clock = match u32::try_from(clock).map_err(|_| Errno::INVAL)? {
        lg::CLOCK_REALTIME => C::Realtime,
        lg::CLOCK_MONOTONIC => C::Monotonic,
        lg::CLOCK_BOOTTIME => C::Boottime,
        lg::CLOCK_REALTIME_ALARM => C::RealtimeAlarm,
        lg::CLOCK_BOOTTIME_ALARM => C::BoottimeAlarm,
        _ => return Err(Errno::INVAL),
    };
    let allowed = u64::from((F::CLOEXEC | F::NONBLOCK).bits());
    if flags & !allowed != 0 {
        return Err(Errno::INVAL);
    }
    let fd = rustix::time::timerfd_create(clock, F::from_bits_retain(flags as u32) | F::CLOEXEC)?;
    p.fds().insert(fd, flags & u64::from(F::CLOEXEC.bits()) != 0)
}

fn put_itimerspec(p: &Thread, addr: u64, t: &rustix::time::Itimerspec) -> Result<(), Errno> {
    let words = [
        t.it_interval.tv_sec as u64,
        t.it_interval.tv_nsec as u64,
        t.it_value.tv_sec as u64,
        t.it_value.tv_nsec as u64,
    ];
    put_u64s(p, addr, &words)
}

pub(crate) fn timerfd_settime(p: &mut Thread, fd: u64, flags: u64, new: u64, old: u64) -> SysResult {
    use rustix::time::{Itimerspec, TimerfdTimerFlags as F, Timespec};
    let file = p.fds().get(fd)?;
    if flags & !u64::from((F::ABSTIME | F::CANCEL_ON_SET).bits()) != 0 {
        return Err(Errno::INVAL);
    }
    let [is, ins, vs, vns] = get_u64s::<4>(p, new)?;
    if [ins, vns].iter().any(|&n| n >= 1_000_000_000) || (is as i64) < 0 || (vs as i64) < 0 {
        return Err(Errno::INVAL);
    }
    let spec = Itimerspec {
        it_interval: Timespec { tv_sec: is as i64, tv_nsec: ins as _ },
        it_value: Timespec { tv_sec: vs as i64, tv_nsec: vns as _ },
    };
    if old != 0 && !p.mem.perms(old).write() {
        return Err(Errno::FAULT);
    }
    let prev = rustix::time::timerfd_settime(&file, F::from_bits_retain(flags as u32), &spec)?;
    if old != 0 {
        put_itimerspec(p, old, &prev)?;
    }
    Ok(0)
}

pub(crate) fn timerfd_gettime(p: &mut Thread, fd: u64, cur: u64) -> SysResult {
    let t = rustix::time::timerfd_gettime(p.fds().get(fd)?)?;
    put_itimerspec(p, cur, &t)?;
    Ok(0)
}

// -------------------------------------------------------------- signalfd

/// `signalfd4(fd, mask, sizemask, flags)`: a new signalfd (`fd` = -1) or a
/// new mask for an existing one.
pub(crate) fn signalfd4(p: &mut Thread, fd: u64, mask: u64, size: u64, flags: u64) -> SysResult {
    let (cloexec, nonblock) = (u64::from(OFlags::CLOEXEC.bits()), u64::from(OFlags::NONBLOCK.bits()));
    if size != 8 || flags & !(cloexec | nonblock) != 0 {
        return Err(Errno::INVAL);
    }
    let [m] = get_u64s::<1>(p, mask)?;
    let m = m & !signal::UNBLOCKABLE;
    if fd as i32 != -1 {
        let file = p.fds().get(fd)?;
        let mut fds = p.proc.events.signalfds();
        let s = fds.iter_mut().find(|s| std::ptr::eq(s.file.as_ptr(), Arc::as_ptr(&file))).ok_or(Errno::INVAL)?;
        s.mask = m;
        drop(fds);
        sync_signalfds(&p.proc);
        return Ok(fd);
    }
    use rustix::event::EventfdFlags as F;
    let mut host = F::CLOEXEC;
    if flags & nonblock != 0 {
        host |= F::NONBLOCK;
    }
    let file = Arc::new(rustix::event::eventfd(0, host)?);
    let weak = Arc::downgrade(&file);
    let guest = p.fds().insert_from(0, crate::fd::FdEntry { file, cloexec: flags & cloexec != 0 })?;
    {
        let mut fds = p.proc.events.signalfds();
        fds.push(SignalFd { file: weak, mask: m, ready: false });
        p.proc.events.count.store(fds.len(), Ordering::Release);
    }
    sync_signalfds(&p.proc);
    Ok(guest)
}

/// The guest `struct signalfd_siginfo` of `info`.
fn signalfd_siginfo(info: &SigInfo) -> [u8; SIGNALFD_SIGINFO] {
    let mut b = [0u8; SIGNALFD_SIGINFO];
    b[0..4].copy_from_slice(&(info.signo.0 as u32).to_le_bytes()); // ssi_signo
    b[8..12].copy_from_slice(&info.code.to_le_bytes()); // ssi_code
    if let Some((pid, uid)) = info.sender {
        b[12..16].copy_from_slice(&pid.to_le_bytes()); // ssi_pid
        b[16..20].copy_from_slice(&uid.to_le_bytes()); // ssi_uid
    }
    if let Some(addr) = info.addr {
        b[72..80].copy_from_slice(&addr.to_le_bytes()); // ssi_addr
    }
    b
}

/// Takes one signal of `mask` pending for this thread or the process.
fn take_signal(p: &Thread, mask: u64) -> Option<SigInfo> {
    let own = p.me.pending().take(mask);
    own.or_else(|| p.proc.signals().pending.take(mask))
}

/// A `read` of guest descriptor `file` if it is a signalfd (`None`: it is
/// not, read it as a host file).
pub(crate) fn read_signalfd(p: &mut Thread, file: &Arc<OwnedFd>, buf: u64, len: u64) -> Option<SysResult> {
    let mask = p.proc.events.mask_of(file)?;
    let room = (len / SIGNALFD_SIGINFO as u64).min(64) as usize;
    Some((|| {
        super::io::check_writable(p, buf, room * SIGNALFD_SIGINFO)?;
        let out = signalfd_read(p, file, mask, room)?;
        p.mem.write_bytes(buf, &out).map_err(efault)?;
        Ok(out.len() as u64)
    })())
}

/// A `readv` of guest descriptor `file` if it is a signalfd, into guest
/// buffers `vecs` (each `signalfd_siginfo` whole, as the kernel does).
pub(crate) fn readv_signalfd(p: &mut Thread, file: &Arc<OwnedFd>, vecs: &[(u64, u64)]) -> Option<SysResult> {
    let mask = p.proc.events.mask_of(file)?;
    let total = vecs.iter().map(|v| v.1).fold(0u64, u64::saturating_add);
    let room = (total / SIGNALFD_SIGINFO as u64).min(64) as usize;
    Some((|| {
        for &(base, len) in vecs {
            super::io::check_writable(p, base, len.min(1 << 16) as usize)?;
        }
        let out = signalfd_read(p, file, mask, room)?;
        super::io::scatter(p, vecs, &out)?;
        Ok(out.len() as u64)
    })())
}

/// Takes up to `room` signals of `mask` (waiting for one unless the
/// descriptor is non-blocking) as `signalfd_siginfo` bytes.
fn signalfd_read(p: &mut Thread, file: &Arc<OwnedFd>, mask: u64, room: usize) -> Result<Vec<u8>, Errno> {
    if room == 0 {
        return Err(Errno::INVAL);
    }
    loop {
        let mut out = Vec::new();
        while out.len() < room * SIGNALFD_SIGINFO {
            let Some(info) = take_signal(p, mask) else { break };
            out.extend_from_slice(&signalfd_siginfo(&info));
        }
        if !out.is_empty() {
            sync_signalfds(&p.proc);
            return Ok(out);
        }
        if rustix::fs::fcntl_getfl(&**file)?.contains(OFlags::NONBLOCK) {
            return Err(Errno::AGAIN);
        }
        // Wait for the eventfd to turn readable (a signal of the mask
        // arrived) or a guest signal for this thread.
        let mut pfd = [libc::pollfd { fd: file.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        match host::ppoll(&p.me.kick, &mut pfd, None) {
            Err(Errno::INTR) if p.deliverable() || p.proc.exiting() => return Err(Restart::Sys.errno()),
            Err(Errno::INTR) => p.me.kick.store(0, Ordering::Release),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
    }
}

// --------------------------------------------------------------- inotify

pub(crate) fn inotify_init1(p: &mut Thread, flags: u64) -> SysResult {
    use rustix::fs::inotify::CreateFlags as F;
    if flags & !u64::from((F::CLOEXEC | F::NONBLOCK).bits()) != 0 {
        return Err(Errno::INVAL);
    }
    let fd = rustix::fs::inotify::init(F::from_bits_retain(flags as u32) | F::CLOEXEC)?;
    p.fds().insert(fd, flags & u64::from(F::CLOEXEC.bits()) != 0)
}

/// `inotify_add_watch(fd, path, mask)`: `path` is opened through the
/// guest's file-system view (`O_PATH`), and the host watches that file.
pub(crate) fn inotify_add_watch(p: &mut Thread, fd: u64, path: u64, mask: u64) -> SysResult {
    let ino = p.fds().get(fd)?;
    let path = super::fs::guest_path(p, path)?;
    let mask = mask as u32;
    let mut flags = OFlags::PATH;
    if mask & lg::IN_DONT_FOLLOW != 0 {
        flags |= OFlags::NOFOLLOW;
    }
    if mask & lg::IN_ONLYDIR != 0 {
        flags |= OFlags::DIRECTORY;
    }
    let file = p.vfs().open(&p.fds(), AT_FDCWD, &path, flags, Mode::empty())?;
    let host_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    // The magic link leads to the file opened above, symlink or not.
    let watch = rustix::fs::inotify::WatchFlags::from_bits_retain(mask & !lg::IN_DONT_FOLLOW);
    let wd = rustix::fs::inotify::add_watch(&*ino, host_path.as_str(), watch)?;
    Ok(u64::from(wd as u32))
}

pub(crate) fn inotify_rm_watch(p: &mut Thread, fd: u64, wd: u64) -> SysResult {
    rustix::fs::inotify::remove_watch(p.fds().get(fd)?, wd as i32)?;
    Ok(0)
}

// -------------------------------------------------------------- pselect6

/// `POLLIN_SET`, `POLLOUT_SET`, `POLLEX_SET` of the kernel's `select`.
const POLLIN_SET: i16 = (lg::POLLRDNORM | lg::POLLRDBAND | lg::POLLIN | lg::POLLHUP | lg::POLLERR) as i16;
const POLLOUT_SET: i16 = (lg::POLLWRBAND | lg::POLLWRNORM | lg::POLLOUT | lg::POLLERR) as i16;
const POLLEX_SET: i16 = lg::POLLPRI as i16;

/// `pselect6(nfds, readfds, writefds, exceptfds, timeout, {sigmask,
/// size})`: the sets name guest descriptors; the host polls their host
/// descriptors; the remaining time is written back.
pub(crate) fn pselect6(p: &mut Thread, nfds: u64, r: u64, w: u64, e: u64, tmo: u64, sig: u64) -> SysResult {
    let n = nfds as i32;
    if n < 0 {
        return Err(Errno::INVAL);
    }
    let n = (n as usize).min(MAX_FDS);
    let words = n.div_ceil(64);
    let timeout = if tmo == 0 { None } else { Some(read_timespec(p, tmo)?) };
    let sigmask = if sig == 0 {
        None
    } else {
        let [set, size] = get_u64s::<2>(p, sig)?;
        read_sigmask(p, set, size)?
    };
    let read_set = |addr: u64| -> Result<Vec<u64>, Errno> {
        if addr == 0 {
            return Ok(vec![0; words]);
        }
        let mut b = vec![0u8; words * 8];
        p.mem.read_bytes(addr, &mut b).map_err(efault)?;
        Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
    };
    let sets = [read_set(r)?, read_set(w)?, read_set(e)?];
    let bit = |set: &[u64], fd: usize| set.get(fd / 64).is_some_and(|word| word >> (fd % 64) & 1 != 0);
    let mut files = Vec::new();
    let mut host_fds = Vec::new();
    for fd in 0..n {
        let wanted = [lg::POLLIN as i16, lg::POLLOUT as i16, lg::POLLPRI as i16];
        let events = sets.iter().zip(wanted).filter(|(s, _)| bit(s, fd)).fold(0i16, |a, (_, ev)| a | ev);
        if events == 0 {
            continue;
        }
        let file = p.fds().get(fd as u64)?;
        host_fds.push(libc::pollfd { fd: file.as_raw_fd(), events, revents: 0 });
        files.push((fd, file));
    }
    let started = Instant::now();
    let result = wait_with_mask(p, sigmask, timeout, |&n| n == 0, |kick, left| host::ppoll(kick, &mut host_fds, left));
    if let (Some(t), Some(addr)) = (timeout, (tmo != 0).then_some(tmo)) {
        let left = t.saturating_sub(started.elapsed());
        let _ = put_u64s(p, addr, &[left.as_secs(), u64::from(left.subsec_nanos())]);
    }
    result?;
    let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let mut count = 0u64;
    for ((fd, _), h) in files.iter().zip(&host_fds) {
        for (i, ready) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET].into_iter().enumerate() {
            if bit(&sets[i], *fd) && h.revents & ready != 0 {
                if let Some(word) = out[i].get_mut(fd / 64) {
                    *word |= 1 << (fd % 64);
                }
                count += 1;
            }
        }
    }
    for (addr, set) in [r, w, e].into_iter().zip(&out) {
        if addr != 0 {
            put_u64s(p, addr, set)?;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        // riscv64's epoll_event is not packed: 4 bytes of events, 4 of
        // padding, 8 of data; the host's (x86-64) is packed.
        assert_eq!(size_of::<lg::epoll_event>(), 12);
        assert_eq!(size_of::<lg::itimerspec>(), 32);
        let info = SigInfo::user(signal::Signal(10), signal::code::SI_USER, 42, 7);
        let b = signalfd_siginfo(&info);
        assert_eq!(&b[0..4], &10u32.to_le_bytes());
        assert_eq!(&b[12..16], &42u32.to_le_bytes());
        assert_eq!(&b[16..20], &7u32.to_le_bytes());
    }
}
