//! Identity, limits, time, randomness, scheduling and the RISC-V specific
//! system calls.

use ferrovm_engine::riscv::{Ext, ExtSet};
use std::time::{Duration, Instant};

use rustix::io::Errno;

use std::sync::atomic::AtomicU32;

use super::{SysResult, efault, get_u64s, put_u64s};
use crate::host;
use crate::thread::Thread;

/// `uname`: a riscv64 Linux machine (the host's names, riscv64 machine).
pub(crate) fn uname(p: &mut Thread, buf: u64) -> SysResult {
    let host = rustix::system::uname();
    let field = |s: &[u8]| {
        let mut f = [0u8; 65];
        let n = s.len().min(64);
        f[..n].copy_from_slice(&s[..n]);
        f
    };
    let mut out = Vec::with_capacity(65 * 6);
    out.extend_from_slice(&field(host.sysname().to_bytes()));
    out.extend_from_slice(&field(host.nodename().to_bytes()));
    out.extend_from_slice(&field(host.release().to_bytes()));
    out.extend_from_slice(&field(host.version().to_bytes()));
    out.extend_from_slice(&field(b"riscv64"));
    out.extend_from_slice(&field(host.domainname().to_bytes()));
    p.mem.write_bytes(buf, &out).map_err(efault)?;
    Ok(0)
}

pub(crate) fn getrandom(p: &mut Thread, buf: u64, len: u64, flags: u64) -> SysResult {
    if flags & !7 != 0 {
        return Err(Errno::INVAL);
    }
    let len = len.min(1 << 25) as usize;
    let mut host = vec![0u8; len];
    let n = rustix::rand::getrandom(&mut host, rustix::rand::GetRandomFlags::empty())?;
    p.mem.write_bytes(buf, &host[..n]).map_err(efault)?;
    Ok(n as u64)
}

fn resource(resource: u64) -> Result<rustix::process::Resource, Errno> {
    use rustix::process::Resource as R;
    Ok(match resource {
        0 => R::Cpu,
        1 => R::Fsize,
        2 => R::Data,
        3 => R::Stack,
        4 => R::Core,
        5 => R::Rss,
        6 => R::Nproc,
        7 => R::Nofile,
        8 => R::Memlock,
        9 => R::As,
        10 => R::Locks,
        11 => R::Sigpending,
        12 => R::Msgqueue,
        13 => R::Nice,
        14 => R::Rtprio,
        15 => R::Rttime,
        _ => return Err(Errno::INVAL),
    })
}

/// `prlimit64(pid, resource, new, old)` for the calling process: reads the
/// host's limits; a new limit is applied to the host process (it is the
/// guest's process), except `RLIMIT_NOFILE` above ferrovm's table size.
pub(crate) fn prlimit64(p: &mut Thread, pid: u64, res: u64, new: u64, old: u64) -> SysResult {
    if pid != 0 && pid != u64::from(std::process::id()) {
        // Another process's limits are not ferrovm's to change; one that
        // does not exist (a negative pid never does) is ESRCH, as Linux says.
        let Some(other) = rustix::process::Pid::from_raw(pid as i32).filter(|_| (pid as i32) > 0) else {
            return Err(Errno::SRCH);
        };
        rustix::process::test_kill_process(other)?;
        return Err(Errno::PERM);
    }
    let r = resource(res)?;
    let lim = rustix::process::getrlimit(r);
    let new_lim = if new != 0 {
        let [cur, max] = get_u64s::<2>(p, new)?;
        if cur > max {
            return Err(Errno::INVAL);
        }
        Some((cur, max))
    } else {
        None
    };
    if old != 0 {
        let mut cur = lim.current.unwrap_or(u64::MAX);
        let max = lim.maximum.unwrap_or(u64::MAX);
        if r == rustix::process::Resource::Nofile {
            cur = cur.min(crate::fd::MAX_FDS as u64);
        }
        put_u64s(p, old, &[cur, max])?;
    }
    if let Some((cur, max)) = new_lim {
        if r == rustix::process::Resource::Nofile {
            return if cur <= crate::fd::MAX_FDS as u64 { Ok(0) } else { Err(Errno::PERM) };
        }
        let to = |v: u64| (v != u64::MAX).then_some(v);
        rustix::process::setrlimit(r, rustix::process::Rlimit { current: to(cur), maximum: to(max) })?;
    }
    Ok(0)
}

fn clock(id: u64) -> Result<rustix::time::ClockId, Errno> {
    use rustix::time::ClockId;
    Ok(match id {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        4 => ClockId::MonotonicRaw,
        5 => ClockId::RealtimeCoarse,
        6 => ClockId::MonotonicCoarse,
        7 => ClockId::Boottime,
        _ => return Err(Errno::INVAL),
    })
}

/// A guest clock id as the host's: the numbers are the same on riscv64 and
/// x86-64 (`CLOCK_*`, and the CPU clocks of a pid or tid that
/// `clock_getcpuclockid`/`pthread_getcpuclockid` encode, since guest
/// threads are host threads with their ids); a descriptor clock
/// (`FD_TO_CLOCKID`, low bits 3) names a guest descriptor, which becomes
/// the host's, held open while the call runs.
fn host_clock(p: &Thread, id: u64) -> Result<(libc::clockid_t, Option<std::sync::Arc<std::os::fd::OwnedFd>>), Errno> {
    let id = id as i32;
    if id < 0 && id & 7 == 3 {
        let fd = p.fds().get(u64::from(!(id >> 3) as u32))?;
        let host = (!std::os::fd::AsRawFd::as_raw_fd(&*fd) << 3) | 3;
        return Ok((host, Some(fd)));
    }
    Ok((id, None))
}

/// Calls `clock_*` on the host with the raw clock id (rustix's `ClockId`
/// cannot name the CPU clocks of other threads); `EINVAL` comes back from
/// the host for ids it does not know.
fn host_timespec(
    f: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int,
    id: libc::clockid_t,
) -> Result<[u64; 2], Errno> {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec for the call's duration;
    // `f` is libc's clock_gettime or clock_getres, which write only it.
    if unsafe { f(id, &mut t) } != 0 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL));
    }
    Ok([t.tv_sec as u64, t.tv_nsec as u64])
}

/// `CLOCK_PROCESS_CPUTIME_ID`: the guest's threads only, not ferrovm's
/// compile workers (a program that sleeps sees no CPU time go by).
const PROCESS_CPUTIME: u64 = 2;

pub(crate) fn clock_gettime(p: &mut Thread, id: u64, tp: u64) -> SysResult {
    let t = if id as i32 == PROCESS_CPUTIME as i32 {
        let t = p.proc.vm.guest_cpu_time();
        [t.as_secs(), u64::from(t.subsec_nanos())]
    } else {
        let (host, _held) = host_clock(p, id)?;
        host_timespec(libc::clock_gettime, host)?
    };
    put_u64s(p, tp, &t)?;
    Ok(0)
}

pub(crate) fn clock_getres(p: &mut Thread, id: u64, tp: u64) -> SysResult {
    let (host, _held) = host_clock(p, id)?;
    let t = host_timespec(libc::clock_getres, host)?;
    if tp != 0 {
        put_u64s(p, tp, &t)?;
    }
    Ok(0)
}

/// `clock_settime`, passed to the host as `qemu-riscv64` does: the host
/// decides (`EPERM` without privilege, `EINVAL` for clocks that cannot be
/// set).
pub(crate) fn clock_settime(p: &mut Thread, id: u64, tp: u64) -> SysResult {
    let [sec, nsec] = get_u64s::<2>(p, tp)?;
    let (host, _held) = host_clock(p, id)?;
    let t = libc::timespec { tv_sec: sec as i64, tv_nsec: nsec as i64 };
    // SAFETY: `t` is a valid timespec the call only reads.
    if unsafe { libc::clock_settime(host, &t) } != 0 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL));
    }
    Ok(0)
}

pub(crate) fn gettimeofday(p: &mut Thread, tv: u64) -> SysResult {
    if tv != 0 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        put_u64s(p, tv, &[t.tv_sec as u64, (t.tv_nsec / 1000) as u64])?;
    }
    Ok(0)
}

/// A guest `struct timespec` (the same 16 bytes on riscv64 and x86-64) as
/// a duration; `EINVAL` for a negative or unnormalized one.
pub(crate) fn read_timespec(p: &Thread, addr: u64) -> Result<Duration, Errno> {
    let [sec, nsec] = get_u64s::<2>(p, addr)?;
    if (sec as i64) < 0 || nsec >= 1_000_000_000 {
        return Err(Errno::INVAL);
    }
    Ok(Duration::new(sec, nsec as u32))
}

/// Sleeps until `until`: a guest signal that runs a handler (or ends the
/// process) interrupts it with `EINTR` (nanosleep is never restarted
/// after a handler, `SA_RESTART` or not), writing the time left to `rem`
/// if given; other signals do not end it.
fn sleep_until(p: &mut Thread, until: Instant, rem: u64) -> SysResult {
    while p.wait_for_signal(Some(until)) {
        if p.interrupting() || p.proc.exiting() {
            if rem != 0 {
                let left = until.saturating_duration_since(Instant::now());
                put_u64s(p, rem, &[left.as_secs(), u64::from(left.subsec_nanos())])?;
            }
            return Err(Errno::INTR);
        }
        std::thread::yield_now();
    }
    Ok(0)
}

pub(crate) fn nanosleep(p: &mut Thread, req: u64, rem: u64) -> SysResult {
    let d = read_timespec(p, req)?;
    sleep_until(p, Instant::now() + d, rem)
}

pub(crate) fn clock_nanosleep(p: &mut Thread, id: u64, flags: u64, req: u64, rem: u64) -> SysResult {
    let c = clock(id)?;
    if matches!(id, 3) {
        return Err(Errno::INVAL);
    }
    let d = read_timespec(p, req)?;
    if flags & 1 != 0 {
        // TIMER_ABSTIME: convert the deadline on that clock to an Instant.
        let now = rustix::time::clock_gettime(c);
        let now = Duration::new(now.tv_sec.max(0) as u64, now.tv_nsec as u32);
        let left = d.saturating_sub(now);
        return sleep_until(p, Instant::now() + left, 0);
    }
    sleep_until(p, Instant::now() + d, rem)
}

/// `sysinfo`: the host's (`struct sysinfo`, 112 bytes on 64-bit).
pub(crate) fn sysinfo(p: &mut Thread, buf: u64) -> SysResult {
    let s = rustix::system::sysinfo();
    let mut b = Vec::with_capacity(112);
    b.extend_from_slice(&(s.uptime as u64).to_le_bytes());
    for l in s.loads {
        b.extend_from_slice(&l.to_le_bytes());
    }
    for v in [s.totalram, s.freeram, s.sharedram, s.bufferram, s.totalswap, s.freeswap] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&s.procs.to_le_bytes());
    b.extend_from_slice(&[0u8; 6]);
    for v in [s.totalhigh, s.freehigh] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&s.mem_unit.to_le_bytes());
    b.resize(112, 0);
    p.mem.write_bytes(buf, &b).map_err(efault)?;
    Ok(0)
}

/// `sched_getaffinity(pid, len, mask)`: the host's CPU set of that thread.
pub(crate) fn sched_getaffinity(p: &mut Thread, pid: u64, len: u64, mask: u64) -> SysResult {
    if len < 8 || !len.is_multiple_of(8) {
        return Err(Errno::INVAL);
    }
    // This thread (0), a thread of the process or another process: guest
    // thread ids are host thread ids. No task has a negative id.
    let pid = if pid == 0 { None } else { super::pid_arg(pid).map_err(|_| Errno::SRCH)? };
    let set = rustix::thread::sched_getaffinity(pid)?;
    let bytes = (len.min(128)) as usize;
    let mut b = vec![0u8; bytes];
    for cpu in 0..bytes * 8 {
        if cpu < rustix::thread::CpuSet::MAX_CPU && set.is_set(cpu) {
            b[cpu / 8] |= 1 << (cpu % 8);
        }
    }
    p.mem.write_bytes(mask, &b).map_err(efault)?;
    Ok(bytes as u64)
}

fn timeval(d: Duration) -> [u64; 2] {
    [d.as_secs(), u64::from(d.subsec_micros())]
}

/// `getrusage`: CPU times of this host process (the guest's), zeros for
/// the counters ferrovm does not track.
pub(crate) fn getrusage(p: &mut Thread, who: u64, buf: u64) -> SysResult {
    // RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD: the host's (a guest
    // thread is a host thread and its children are host processes; the
    // process's figures include ferrovm's own helper threads).
    let who = match who as i64 {
        w @ -1..=1 => w as i32,
        _ => return Err(Errno::INVAL),
    };
    let usage = crate::host::getrusage(who)?;
    p.mem.write_bytes(buf, &usage).map_err(efault)?;
    Ok(0)
}

/// `times`: CPU time in clock ticks (100 Hz), and the monotonic clock.
pub(crate) fn times(p: &mut Thread, buf: u64) -> SysResult {
    let cpu = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let ticks = cpu.tv_sec as u64 * 100 + cpu.tv_nsec as u64 / 10_000_000;
    if buf != 0 {
        put_u64s(p, buf, &[ticks, 0, 0, 0])?;
    }
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    Ok(now.tv_sec as u64 * 100 + now.tv_nsec as u64 / 10_000_000)
}

/// `setitimer(which, new, old)`: `ITIMER_REAL` only.
pub(crate) fn setitimer(p: &mut Thread, which: u64, new: u64, old: u64) -> SysResult {
    if which != 0 {
        return Err(Errno::INVAL);
    }
    if old != 0 {
        getitimer(p, which, old)?;
    }
    if new != 0 {
        let [is, ius, vs, vus] = get_u64s::<4>(p, new)?;
        if ius >= 1_000_000 || vus >= 1_000_000 || (is as i64) < 0 || (vs as i64) < 0 {
            return Err(Errno::INVAL);
        }
        let interval = Duration::new(is, ius as u32 * 1000);
        let value = Duration::new(vs, vus as u32 * 1000);
        if value.is_zero() {
            p.proc.set_itimer(None, Duration::ZERO);
        } else {
            p.proc.set_itimer(Some(Instant::now() + value), interval);
        }
    }
    Ok(0)
}

pub(crate) fn getitimer(p: &mut Thread, which: u64, cur: u64) -> SysResult {
    if which != 0 {
        return Err(Errno::INVAL);
    }
    let (deadline, interval) = {
        let itimer = p.proc.itimer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (itimer.deadline, itimer.interval)
    };
    let left = deadline.map_or(Duration::ZERO, |d| d.saturating_duration_since(Instant::now()));
    let [is, ius] = timeval(interval);
    let [vs, vus] = timeval(left);
    put_u64s(p, cur, &[is, ius, vs, vus])?;
    Ok(0)
}

/// `riscv_hwprobe(pairs, count, cpusetsize, cpus, flags)`: answers the keys
/// of Linux's `arch/riscv/include/uapi/asm/hwprobe.h` (linux-raw-sys has only
/// the syscall number) for exactly the guest ISA, so that glibc's and the
/// program's own dispatch pick code ferrovm runs; -1 for unknown keys, as
/// the kernel does. All harts are alike, so the CPU set is not looked at;
/// `flags` (`RISCV_HWPROBE_WHICH_CPUS`) is not supported: EINVAL, as a
/// kernel older than 6.9 answers.
pub(crate) fn riscv_hwprobe(p: &mut Thread, pairs: u64, count: u64, _size: u64, _cpus: u64, flags: u64) -> SysResult {
    if flags != 0 {
        return Err(Errno::INVAL);
    }
    let isa = p.proc.vm.config().isa;
    let count = count.min(64);
    for i in 0..count {
        let at = pairs + i * 16;
        let [key] = get_u64s::<1>(p, at)?;
        match hwprobe_value(isa, key) {
            Some(v) => put_u64s(p, at + 8, &[v])?,
            None => put_u64s(p, at, &[u64::MAX, 0])?,
        }
    }
    Ok(0)
}

/// `asm/hwprobe.h` keys and values.
mod hwprobe {
    pub const KEY_MVENDORID: u64 = 0;
    pub const KEY_MIMPID: u64 = 2;
    pub const KEY_BASE_BEHAVIOR: u64 = 3;
    pub const BASE_BEHAVIOR_IMA: u64 = 1 << 0;
    pub const KEY_IMA_EXT_0: u64 = 4;
    pub const KEY_CPUPERF_0: u64 = 5;
    pub const MISALIGNED_EMULATED: u64 = 1 << 0;
    pub const KEY_ZICBOZ_BLOCK_SIZE: u64 = 6;
    pub const KEY_MISALIGNED_SCALAR_PERF: u64 = 9;
    pub const KEY_ZICBOM_BLOCK_SIZE: u64 = 12;
}

/// `RISCV_HWPROBE_IMA_*`/`RISCV_HWPROBE_EXT_*` bit of `KEY_IMA_EXT_0` for
/// each extension ferrovm can have (FD, Zca/Zcd for C, Zaamo/Zalrsc for A
/// are handled by [`hwprobe_value`]).
const IMA_EXT_0: &[(Ext, u32)] = &[
    (Ext::V, 2),
    (Ext::Zba, 3),
    (Ext::Zbb, 4),
    (Ext::Zbs, 5),
    (Ext::Zicboz, 6),
    (Ext::Zbc, 7),
    (Ext::Zbkb, 8),
    (Ext::Zbkc, 9),
    (Ext::Zbkx, 10),
    (Ext::Zkt, 16),
    (Ext::Zvbb, 17),
    (Ext::Zvbc, 18),
    (Ext::Zvkb, 19),
    (Ext::Zvkg, 20),
    (Ext::Zvkned, 21),
    (Ext::Zvknha, 22),
    (Ext::Zvknhb, 23),
    (Ext::Zvksed, 24),
    (Ext::Zvksh, 25),
    (Ext::Zvkt, 26),
    (Ext::Zfh, 27),
    (Ext::Zfhmin, 28),
    (Ext::Zihintntl, 29),
    (Ext::Zvfh, 30),
    (Ext::Zvfhmin, 31),
    (Ext::Zfa, 32),
    (Ext::Zicond, 35),
    (Ext::Zihintpause, 36),
    (Ext::Zimop, 42),
    (Ext::Zcb, 44),
    (Ext::Zcmop, 47),
    (Ext::Zawrs, 48),
    (Ext::Zicbom, 55),
];

/// The value of hwprobe `key` for a machine with `isa`, or `None` for a key
/// ferrovm does not know.
pub(crate) fn hwprobe_value(isa: ExtSet, key: u64) -> Option<u64> {
    use hwprobe::*;
    let block = ferrovm_engine::riscv::lift::CACHE_BLOCK;
    Some(match key {
        KEY_MVENDORID..=KEY_MIMPID => 0,
        KEY_BASE_BEHAVIOR => BASE_BEHAVIOR_IMA,
        KEY_IMA_EXT_0 => {
            let mut v = 0;
            if isa.has(Ext::F) && isa.has(Ext::D) {
                v |= 1 << 0; // IMA_FD
            }
            if isa.has(Ext::C) {
                v |= 1 << 1 | 1 << 43; // IMA_C, EXT_ZCA
                if isa.has(Ext::D) {
                    v |= 1 << 45; // EXT_ZCD
                }
            }
            if isa.has(Ext::A) {
                v |= 1 << 56 | 1 << 57; // EXT_ZAAMO, EXT_ZALRSC
            }
            if isa.has(Ext::Zicsr) {
                v |= 1 << 50; // EXT_ZICNTR: cycle, time, instret
            }
            if isa.has(Ext::V) {
                // V contains the embedded subsets: EXT_ZVE32X, EXT_ZVE32F,
                // EXT_ZVE64X, EXT_ZVE64F, EXT_ZVE64D.
                v |= 0x1f << 37;
            }
            for &(ext, bit) in IMA_EXT_0 {
                if isa.has(ext) {
                    v |= 1 << bit;
                }
            }
            v
        }
        // Misaligned accesses work, at no particular speed.
        KEY_CPUPERF_0 | KEY_MISALIGNED_SCALAR_PERF => MISALIGNED_EMULATED,
        KEY_ZICBOZ_BLOCK_SIZE if isa.has(Ext::Zicboz) => block,
        KEY_ZICBOM_BLOCK_SIZE if isa.has(Ext::Zicbom) => block,
        _ => return None,
    })
}

const FUTEX_WAIT: u64 = linux_raw_sys::general::FUTEX_WAIT as u64;
const FUTEX_FD: u64 = linux_raw_sys::general::FUTEX_FD as u64;
const FUTEX_REQUEUE: u64 = linux_raw_sys::general::FUTEX_REQUEUE as u64;
const FUTEX_CMP_REQUEUE: u64 = linux_raw_sys::general::FUTEX_CMP_REQUEUE as u64;
const FUTEX_WAKE_OP: u64 = linux_raw_sys::general::FUTEX_WAKE_OP as u64;
const FUTEX_LOCK_PI: u64 = linux_raw_sys::general::FUTEX_LOCK_PI as u64;
const FUTEX_WAIT_BITSET: u64 = linux_raw_sys::general::FUTEX_WAIT_BITSET as u64;
const FUTEX_WAIT_REQUEUE_PI: u64 = linux_raw_sys::general::FUTEX_WAIT_REQUEUE_PI as u64;
const FUTEX_CMP_REQUEUE_PI: u64 = linux_raw_sys::general::FUTEX_CMP_REQUEUE_PI as u64;
const FUTEX_LOCK_PI2: u64 = linux_raw_sys::general::FUTEX_LOCK_PI2 as u64;
/// `FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME`: the rest is the command.
const FUTEX_FLAGS: u64 = 128 | 256;

/// `futex(uaddr, op, val, timeout or val2, uaddr2, val3)`: the host's futex
/// on the guest words (guest memory is host memory, guest thread ids are
/// host thread ids), so waiters and wakers in any thread meet, and the PI
/// and robust protocols work as on Linux. Waits are interruptible by guest
/// signals.
pub(crate) fn futex(p: &mut Thread, addr: u64, op: u64, val: u64, arg: u64, addr2: u64, val3: u64) -> SysResult {
    if op > u64::from(u32::MAX) {
        return Err(Errno::NOSYS);
    }
    let cmd = op & !FUTEX_FLAGS;
    if cmd == FUTEX_FD || cmd > FUTEX_LOCK_PI2 {
        return Err(Errno::NOSYS);
    }
    if !addr.is_multiple_of(4) {
        return Err(Errno::INVAL);
    }
    let word = host::futex_word(&p.mem, addr).ok_or(Errno::FAULT)?;
    let second =
        matches!(cmd, FUTEX_REQUEUE | FUTEX_CMP_REQUEUE | FUTEX_WAKE_OP | FUTEX_WAIT_REQUEUE_PI | FUTEX_CMP_REQUEUE_PI);
    let word2 = if second {
        if !addr2.is_multiple_of(4) {
            return Err(Errno::INVAL);
        }
        Some(host::futex_word(&p.mem, addr2).ok_or(Errno::FAULT)?)
    } else {
        None
    };
    let timed = matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_REQUEUE_PI);
    let timeout = if timed && arg != 0 {
        // struct timespec: the same 16 bytes on riscv64 and x86-64.
        let [sec, nsec] = get_u64s::<2>(p, arg)?;
        Some(libc::timespec { tv_sec: sec as i64, tv_nsec: nsec as i64 })
    } else {
        None
    };
    let fourth = if timed { host::FutexArg::Timeout(timeout.as_ref()) } else { host::FutexArg::Value(arg) };
    // The waits block (and a guest signal interrupts them); wakes, requeues
    // and the PI unlock and trylock return at once.
    let call = |kick: &AtomicU32| host::futex(kick, word, op, val, fourth, word2, val3);
    if timed {
        return p.blocking(call);
    }
    // These never block, and Linux never fails them with EINTR (glibc
    // aborts when FUTEX_WAKE does: "The futex facility returned an
    // unexpected error code"). The thread's kick flag, set by a pending
    // guest signal, made the host call return EINTR before it ran; a
    // flag no signal sets, and a retry should a host signal still cut in,
    // keep a pending signal from failing them.
    let quiet = AtomicU32::new(0);
    loop {
        match call(&quiet) {
            Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

/// `sched_setaffinity(pid, len, mask)`: for this thread (pid 0), a thread
/// of the process or another process: the host's.
/// `sched_setparam`, `sched_getparam` and `sched_setscheduler` on the
/// host: guest thread ids are host thread ids, and `struct sched_param`
/// is one `int` on both.
pub(crate) fn sched_param(p: &mut Thread, call: host::SchedParam, pid: u64, param: u64) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::INVAL);
    }
    let mut priority = 0i32;
    if call != host::SchedParam::Get {
        let mut b = [0u8; 4];
        p.mem.read_bytes(param, &mut b).map_err(efault)?;
        priority = i32::from_le_bytes(b);
    }
    let r = host::sched_param(call, pid as i32, &mut priority)?;
    if call == host::SchedParam::Get {
        p.mem.write_bytes(param, &priority.to_le_bytes()).map_err(efault)?;
    }
    Ok(r)
}

/// `sched_rr_get_interval(pid, ts)`.
pub(crate) fn sched_rr_get_interval(p: &mut Thread, pid: u64, ts: u64) -> SysResult {
    if (pid as i32) < 0 {
        return Err(Errno::INVAL);
    }
    let t = host::sched_rr_interval(pid as i32)?;
    put_u64s(p, ts, &[t.tv_sec as u64, t.tv_nsec as u64])?;
    Ok(0)
}

pub(crate) fn sched_setaffinity(p: &mut Thread, pid: u64, len: u64, mask: u64) -> SysResult {
    let len = len.min(128) as usize;
    let mut b = vec![0u8; len];
    p.mem.read_bytes(mask, &mut b).map_err(efault)?;
    let mut set = rustix::thread::CpuSet::new();
    for cpu in 0..len * 8 {
        if cpu < rustix::thread::CpuSet::MAX_CPU && b[cpu / 8] & (1 << (cpu % 8)) != 0 {
            set.set(cpu);
        }
    }
    let pid = if pid == 0 { None } else { super::pid_arg(pid)? };
    rustix::thread::sched_setaffinity(pid, &set)?;
    Ok(0)
}

const PR_SET_PDEATHSIG: u64 = linux_raw_sys::prctl::PR_SET_PDEATHSIG as u64;
const PR_GET_PDEATHSIG: u64 = linux_raw_sys::prctl::PR_GET_PDEATHSIG as u64;
const PR_GET_DUMPABLE: u64 = linux_raw_sys::prctl::PR_GET_DUMPABLE as u64;
const PR_SET_DUMPABLE: u64 = linux_raw_sys::prctl::PR_SET_DUMPABLE as u64;
const PR_SET_NAME: u64 = linux_raw_sys::prctl::PR_SET_NAME as u64;
const PR_GET_NAME: u64 = linux_raw_sys::prctl::PR_GET_NAME as u64;

/// `prctl(option, arg2, ...)`: the thread name (the host thread's, so
/// `/proc/self/task/TID/comm` shows it), and harmless process flags.
pub(crate) fn prctl(p: &mut Thread, option: u64, arg2: u64) -> SysResult {
    match option {
        PR_SET_NAME => {
            let mut name = p.mem.read_cstr(arg2, 16).map_err(efault)?;
            name.truncate(15);
            let name = std::ffi::CString::new(name).map_err(|_| Errno::INVAL)?;
            rustix::thread::set_name(&name)?;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = rustix::thread::name()?.into_bytes_with_nul();
            name.resize(16, 0);
            p.mem.write_bytes(arg2, &name).map_err(efault)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG | PR_SET_DUMPABLE => Ok(0),
        PR_GET_PDEATHSIG => put_u64s(p, arg2, &[0]).map(|()| 0),
        PR_GET_DUMPABLE => Ok(1),
        _ => Err(Errno::INVAL),
    }
}

/// `personality(persona)`: `0xffffffff` asks; anything else is recorded
/// and the old value returned (ferrovm runs every persona as `PER_LINUX`).
pub(crate) fn personality(p: &mut Thread, persona: u64) -> SysResult {
    use std::sync::atomic::Ordering;
    let persona = persona as u32;
    if persona == u32::MAX {
        return Ok(u64::from(p.proc.personality.load(Ordering::Relaxed)));
    }
    Ok(u64::from(p.proc.personality.swap(persona, Ordering::Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwprobe_reports_exactly_the_isa() {
        let ext0 = |isa| hwprobe_value(isa, hwprobe::KEY_IMA_EXT_0).unwrap_or(0);
        // rv64gc: FD, C (+ Zca, Zcd), Zaamo/Zalrsc, Zicntr and nothing else.
        let gc = ext0(ExtSet::RV64GC);
        assert_eq!(gc, 1 | 1 << 1 | 1 << 43 | 1 << 45 | 1 << 56 | 1 << 57 | 1 << 50);
        let rva23 = ext0(ExtSet::RVA23U64);
        for bit in [3, 4, 5, 6, 7, 27, 28, 29, 32, 35, 36, 42, 44, 47, 48, 55] {
            assert!(rva23 & 1 << bit != 0, "bit {bit}");
        }
        assert_eq!(rva23 & (1 << 8 | 1 << 9 | 1 << 10), 0, "no Zbk* in rva23u64");
        // V, Zve32x..Zve64d, Zvbb (and its Zvkb), Zvkt, Zvfhmin.
        for bit in [2, 17, 19, 26, 31, 37, 38, 39, 40, 41] {
            assert!(rva23 & 1 << bit != 0, "bit {bit}");
        }
        assert_eq!(rva23 & 1 << 30, 0, "no Zvfh in rva23u64");
        assert_eq!(rva23 & (63 << 20 | 1 << 18), 0, "no Zvbc/Zvkg/Zvkned/Zvknh*/Zvks* in rva23u64");
        assert_eq!(ext0(ExtSet::IMPLEMENTED) & 63 << 20, 63 << 20, "Zvkg, Zvkned, Zvknh[ab], Zvksed, Zvksh in max");
        assert_eq!(ext0(ExtSet::IMPLEMENTED) & 1 << 18, 1 << 18, "Zvbc in max");
        assert_eq!(ext0(ExtSet::IMPLEMENTED) & 1 << 30, 1 << 30, "Zvfh in max");
        assert_eq!(ext0(ExtSet::RVA22U64) & (1 << 2 | 1 << 17 | 0x1f << 37), 0, "no vectors in rva22u64");
        assert_eq!(ext0(ExtSet::IMPLEMENTED) & (1 << 8 | 1 << 9 | 1 << 10), 1 << 8 | 1 << 9 | 1 << 10);
        assert_eq!(ext0(ExtSet::DEFAULT) & (1 << 2 | 1 << 17 | 1 << 31), 0, "no vectors by default");
        assert_eq!(ext0(ExtSet::IMPLEMENTED) & 1 << 2, 1 << 2, "IMA_V with V");
        assert_eq!(hwprobe_value(ExtSet::RVA23U64, hwprobe::KEY_ZICBOZ_BLOCK_SIZE), Some(64));
        assert_eq!(hwprobe_value(ExtSet::RV64GC, hwprobe::KEY_ZICBOZ_BLOCK_SIZE), None);
        assert_eq!(hwprobe_value(ExtSet::RVA23U64, 7), None, "unknown keys are -1");
        let hwcap = crate::stack::hwcap(ExtSet::RVA23U64);
        assert_eq!(hwcap, [b'I', b'M', b'A', b'F', b'D', b'C', b'V'].iter().fold(0, |b, l| b | 1 << (l - b'A')));
    }
}
