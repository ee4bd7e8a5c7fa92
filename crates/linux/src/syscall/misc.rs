//! Process, identity, time and signal-table system calls.

use rustix::io::Errno;

use super::{SysResult, efault};
use crate::process::Process;
use crate::signal::{NSIG, SigAction};

fn put_u64s(p: &Process, addr: u64, words: &[u64]) -> Result<(), Errno> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    p.mem.write_bytes(addr, &bytes).map_err(efault)
}

fn get_u64s<const N: usize>(p: &Process, addr: u64) -> Result<[u64; N], Errno> {
    let mut raw = vec![0u8; N * 8];
    p.mem.read_bytes(addr, &mut raw).map_err(efault)?;
    let mut out = [0u64; N];
    for (o, c) in out.iter_mut().zip(raw.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        *o = u64::from_le_bytes(b);
    }
    Ok(out)
}

/// `uname`: a riscv64 Linux machine (the host's names, riscv64 machine).
pub(crate) fn uname(p: &mut Process, buf: u64) -> SysResult {
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

pub(crate) fn getrandom(p: &mut Process, buf: u64, len: u64, _flags: u64) -> SysResult {
    let len = len.min(1 << 25) as usize;
    let mut host = vec![0u8; len];
    let n = rustix::rand::getrandom(&mut host, rustix::rand::GetRandomFlags::empty())?;
    p.mem.write_bytes(buf, &host[..n]).map_err(efault)?;
    Ok(n as u64)
}

/// `prlimit64(pid, resource, new, old)` for the calling process: reads the
/// host's limits, refuses to change them.
pub(crate) fn prlimit64(p: &mut Process, pid: u64, resource: u64, new: u64, old: u64) -> SysResult {
    if pid != 0 && pid != u64::from(std::process::id()) {
        return Err(Errno::PERM);
    }
    use rustix::process::Resource as R;
    let res = match resource {
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
    };
    if old != 0 {
        let lim = rustix::process::getrlimit(res);
        let mut cur = lim.current.unwrap_or(u64::MAX);
        let max = lim.maximum.unwrap_or(u64::MAX);
        if res == R::Nofile {
            cur = cur.min(crate::fd::MAX_FDS as u64);
        }
        put_u64s(p, old, &[cur, max])?;
    }
    if new != 0 {
        // Accept a request that changes nothing; anything else is refused
        // until limits are emulated.
        let [cur, max] = get_u64s::<2>(p, new)?;
        let lim = rustix::process::getrlimit(res);
        if Some(cur) != lim.current && cur != u64::MAX || Some(max) != lim.maximum && max != u64::MAX {
            return Err(Errno::PERM);
        }
    }
    Ok(0)
}

pub(crate) fn clock_gettime(p: &mut Process, clock: u64, tp: u64) -> SysResult {
    use rustix::time::ClockId;
    let id = match clock {
        0 => ClockId::Realtime,
        1 => ClockId::Monotonic,
        2 => ClockId::ProcessCPUTime,
        3 => ClockId::ThreadCPUTime,
        4 => ClockId::MonotonicRaw,
        5 => ClockId::RealtimeCoarse,
        6 => ClockId::MonotonicCoarse,
        7 => ClockId::Boottime,
        _ => return Err(Errno::INVAL),
    };
    let t = rustix::time::clock_gettime(id);
    put_u64s(p, tp, &[t.tv_sec as u64, t.tv_nsec as u64])?;
    Ok(0)
}

pub(crate) fn gettimeofday(p: &mut Process, tv: u64) -> SysResult {
    if tv != 0 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
        put_u64s(p, tv, &[t.tv_sec as u64, (t.tv_nsec / 1000) as u64])?;
    }
    Ok(0)
}

/// `rt_sigaction(sig, act, oldact, sigsetsize)`: records the action.
pub(crate) fn rt_sigaction(p: &mut Process, sig: u64, act: u64, old: u64, size: u64) -> SysResult {
    if size != 8 || sig == 0 || sig as usize > NSIG {
        return Err(Errno::INVAL);
    }
    let idx = sig as usize - 1;
    // SIGKILL and SIGSTOP cannot be caught.
    if act != 0 && (sig == 9 || sig == 19) {
        return Err(Errno::INVAL);
    }
    let current = p.signals.actions[idx];
    if act != 0 {
        let [handler, flags, mask] = get_u64s::<3>(p, act)?;
        p.signals.actions[idx] = SigAction { handler, flags, mask };
    }
    if old != 0 {
        put_u64s(p, old, &[current.handler, current.flags, current.mask])?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub(crate) fn rt_sigprocmask(p: &mut Process, how: u64, set: u64, old: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let current = p.signals.mask;
    if set != 0 {
        let [s] = get_u64s::<1>(p, set)?;
        // SIGKILL and SIGSTOP can never be blocked.
        let s = s & !((1 << 8) | (1 << 18));
        p.signals.mask = match how {
            0 => current | s,
            1 => current & !s,
            2 => s,
            _ => return Err(Errno::INVAL),
        };
    }
    if old != 0 {
        put_u64s(p, old, &[current])?;
    }
    Ok(0)
}
