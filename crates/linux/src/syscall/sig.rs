//! Signal system calls: dispositions, the mask, the alternate stack,
//! `rt_sigreturn`, waiting for signals, and sending them.

use rustix::io::Errno;

use super::misc::read_timespec;
use super::{Outcome, SysResult, efault, get_u64s, put_u64s};
use crate::signal::{self, AltStack, NSIG, SS_DISABLE, SigAction, SigInfo, Signal, code};
use crate::thread::Thread;

/// `rt_sigaction(sig, act, oldact, sigsetsize)`: dispositions are the
/// process's, shared by its threads.
pub(crate) fn rt_sigaction(p: &mut Thread, sig: u64, act: u64, old: u64, size: u64) -> SysResult {
    if size != 8 || sig == 0 || sig > NSIG as u64 {
        return Err(Errno::INVAL);
    }
    let sig = Signal(sig as i32);
    if act != 0 && (sig == Signal::SIGKILL || sig == Signal::SIGSTOP) {
        return Err(Errno::INVAL);
    }
    let new = if act != 0 {
        let [handler, flags, mask] = get_u64s::<3>(p, act)?;
        Some(SigAction { handler, flags, mask: mask & !signal::UNBLOCKABLE })
    } else {
        None
    };
    let current = p.proc.signals().actions.get(sig);
    if old != 0 {
        put_u64s(p, old, &[current.handler, current.flags, current.mask])?;
    }
    if let Some(new) = new {
        if (sig == Signal::SIGSEGV || sig == Signal::SIGBUS)
            && new.handler != signal::SIG_DFL
            && new.handler != signal::SIG_IGN
        {
            // The handler sees the registers at a fault: no more compiled
            // code that leaves them imprecise there.
            p.proc.vm.require_precise_faults();
        }
        let mut ps = p.proc.signals();
        ps.actions.set(sig, new);
        // Setting SIG_IGN (or SIG_DFL for a default-ignored signal)
        // discards it, pending for the process or any thread.
        if ps.actions.discards(sig) {
            ps.pending.remove(sig);
            drop(ps);
            for t in p.proc.threads().by_tid.values() {
                t.pending().remove(sig);
            }
            super::event::sync_signalfds(&p.proc);
        }
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`: this thread's mask.
pub(crate) fn rt_sigprocmask(p: &mut Thread, how: u64, set: u64, old: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let current = p.mask();
    let new = if set != 0 {
        let [s] = get_u64s::<1>(p, set)?;
        let s = s & !signal::UNBLOCKABLE;
        Some(match how {
            0 => current | s,
            1 => current & !s,
            2 => s,
            _ => return Err(Errno::INVAL),
        })
    } else {
        None
    };
    if old != 0 {
        put_u64s(p, old, &[current])?;
    }
    if let Some(m) = new {
        p.set_mask(m);
    }
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`: blocked signals pending for this
/// thread or the process.
pub(crate) fn rt_sigpending(p: &mut Thread, set: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let pending = p.me.pending().bits | p.proc.signals().pending.bits;
    put_u64s(p, set, &[pending & p.mask()])?;
    Ok(0)
}

/// `rt_sigsuspend(mask, sigsetsize)`: waits with `mask` until a signal
/// that runs a handler (or ends the process) arrives; always `EINTR`. The
/// old mask comes back after the handler.
pub(crate) fn rt_sigsuspend(p: &mut Thread, mask: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let [m] = get_u64s::<1>(p, mask)?;
    let old = p.mask();
    p.set_mask(m);
    p.saved_mask = Some(old);
    while !(p.wait_for_signal(None) && p.interrupting()) {
        // An ignored signal is dropped as it is delivered; keep waiting.
        if p.deliverable() {
            discard_ignored(p);
        }
        if p.proc.exiting() {
            break;
        }
    }
    Err(Errno::INTR)
}

/// Drops deliverable signals that would do nothing (ignored ones).
fn discard_ignored(p: &mut Thread) {
    let allowed = !p.mask();
    let ps = p.proc.signals();
    let quiet: u64 = (1..=NSIG as i32).map(Signal).filter(|&s| ps.actions.discards(s)).fold(0, |m, s| m | s.bit());
    drop(ps);
    for s in (1..=NSIG as i32).map(Signal).filter(|s| quiet & allowed & s.bit() != 0) {
        p.me.pending().remove(s);
        p.proc.signals().pending.remove(s);
    }
}

/// `rt_sigtimedwait(set, info, timeout, sigsetsize)`: takes a pending
/// signal of `set` (blocked ones included) without running its handler;
/// waits for one until `timeout` (`EAGAIN` then).
pub(crate) fn rt_sigtimedwait(p: &mut Thread, set: u64, info: u64, timeout: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let [want] = get_u64s::<1>(p, set)?;
    let want = want & !signal::UNBLOCKABLE;
    let until = if timeout == 0 { None } else { Some(std::time::Instant::now() + read_timespec(p, timeout)?) };
    // The waited-for signals are taken even when blocked: unblock them for
    // the wait, as the kernel does, so that a signal for the process is
    // routed here too.
    let old = p.mask();
    p.set_mask(old & !want);
    let taken = loop {
        let own = p.me.pending().take(want);
        if let Some(i) = own.or_else(|| p.proc.signals().pending.take(want)) {
            break Ok(i);
        }
        if p.deliverable() && p.interrupting() {
            // Another signal, with a handler: EINTR after it runs.
            break Err(Errno::INTR);
        }
        if until.is_some_and(|u| std::time::Instant::now() >= u) {
            break Err(Errno::AGAIN);
        }
        if p.proc.exiting() {
            break Err(Errno::INTR);
        }
        p.wait_for_signal(until);
    };
    p.set_mask(old);
    super::event::sync_signalfds(&p.proc);
    let i = taken?;
    if info != 0 {
        p.mem.write_bytes(info, &i.to_bytes()).map_err(efault)?;
    }
    Ok(i.signo.0 as u64)
}

/// `sigaltstack(ss, old_ss)`.
pub(crate) fn sigaltstack(p: &mut Thread, ss: u64, old: u64) -> SysResult {
    let sp = p.vcpu.cpu.regs[2];
    let cur = p.altstack;
    let new = if ss != 0 {
        let [base, flags, size] = get_u64s::<3>(p, ss)?;
        if cur.contains(sp) {
            return Err(Errno::PERM);
        }
        let flags = flags as u32;
        // SS_AUTODISARM (1 << 31) is accepted and ignored.
        let mode = flags & !(1 << 31);
        if mode != 0 && mode != SS_DISABLE && mode != signal::SS_ONSTACK {
            return Err(Errno::INVAL);
        }
        Some(if mode == SS_DISABLE {
            AltStack::default()
        } else {
            if size < crate::MINSIGSTKSZ {
                return Err(Errno::NOMEM);
            }
            AltStack { sp: base, flags: 0, size }
        })
    } else {
        None
    };
    if old != 0 {
        p.mem.write_bytes(old, &cur.to_bytes(sp)).map_err(efault)?;
    }
    if let Some(n) = new {
        p.altstack = n;
    }
    Ok(0)
}

/// `rt_sigreturn`: restores the registers, mask and alternate stack saved
/// in the frame at `sp`.
pub(crate) fn rt_sigreturn(p: &mut Thread) -> Outcome {
    let vector = p.proc.vm.config().isa.has(ferrovm_engine::riscv::Ext::V);
    match signal::restore_frame(&p.mem, &mut p.vcpu.cpu, vector) {
        Some(r) => {
            p.set_mask(r.mask);
            let sp = p.vcpu.cpu.regs[2];
            if !p.altstack.contains(sp) && (r.altstack.flags & SS_DISABLE != 0 || r.altstack.size > 0) {
                p.altstack = if r.altstack.flags & SS_DISABLE != 0 {
                    AltStack::default()
                } else {
                    AltStack { flags: 0, ..r.altstack }
                };
            }
            Outcome::Resume
        }
        None => {
            p.force(SigInfo::fault(Signal::SIGSEGV, code::SI_KERNEL, 0));
            Outcome::Resume
        }
    }
}

fn uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// `kill(pid, sig)`: to its own process, the signal becomes pending for
/// the guest process (a thread that does not block it takes it); to
/// another process, the host signal is sent (a child ferrovm forwards it to
/// its guest).
pub(crate) fn kill(p: &mut Thread, pid: u64, sig: u64) -> SysResult {
    if sig > NSIG as u64 {
        return Err(Errno::INVAL);
    }
    let pid = pid as i32;
    if pid == p.proc.pid() as i32 {
        if sig != 0 {
            p.proc.send(SigInfo::user(Signal(sig as i32), code::SI_USER, p.proc.pid(), uid()));
        }
        return Ok(0);
    }
    let host_sig = if sig == 0 { None } else { Some(host_signal(sig as i32)?) };
    match pid {
        0 => match host_sig {
            Some(s) => rustix::process::kill_current_process_group(s)?,
            None => rustix::process::test_kill_current_process_group()?,
        },
        -1 => return Err(Errno::PERM), // "every process": not allowed to a guest
        pid => {
            let abs = i32::try_from(pid.unsigned_abs()).map_err(|_| Errno::SRCH)?;
            let target = rustix::process::Pid::from_raw(abs).ok_or(Errno::SRCH)?;
            match (pid < 0, host_sig) {
                (false, Some(s)) => rustix::process::kill_process(target, s)?,
                (false, None) => rustix::process::test_kill_process(target)?,
                (true, Some(s)) => rustix::process::kill_process_group(target, s)?,
                (true, None) => rustix::process::test_kill_process_group(target)?,
            }
        }
    }
    Ok(0)
}

fn host_signal(sig: i32) -> Result<rustix::process::Signal, Errno> {
    rustix::process::Signal::from_named_raw(sig).ok_or(Errno::INVAL)
}

/// `tgkill(tgid, tid, sig)` / `tkill(tid, sig)`: to a thread of this
/// process, the signal is pending for that thread; to another process,
/// the host signal goes to that process (its ferrovm routes it).
pub(crate) fn tgkill(p: &mut Thread, tgid: Option<u64>, tid: u64, sig: u64) -> SysResult {
    if sig > NSIG as u64 || (tid as i32) <= 0 || tgid.is_some_and(|t| (t as i32) <= 0) {
        return Err(Errno::INVAL);
    }
    let tid = tid as u32;
    if tgid.is_none_or(|t| t as u32 == p.proc.pid()) {
        let info = SigInfo::user(Signal(sig as i32), code::SI_TKILL, p.proc.pid(), uid());
        if tid == p.tid() {
            if sig != 0 {
                p.raise(info);
            }
            return Ok(0);
        }
        if sig == 0 {
            return if p.proc.threads().by_tid.contains_key(&tid) { Ok(0) } else { Err(Errno::SRCH) };
        }
        return if p.proc.send_to_thread(tid, info) { Ok(0) } else { Err(Errno::SRCH) };
    }
    // Another process: its threads block host signals and one of them
    // routes what arrives for the process.
    let target = rustix::process::Pid::from_raw(tgid.unwrap_or(0) as i32).ok_or(Errno::SRCH)?;
    match sig {
        0 => rustix::process::test_kill_process(target)?,
        s => rustix::process::kill_process(target, host_signal(s as i32)?)?,
    }
    Ok(0)
}
