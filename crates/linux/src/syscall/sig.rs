//! Signal system calls: dispositions, the mask, the alternate stack,
//! `rt_sigreturn`, waiting for signals, and sending them.

use rustix::io::Errno;

use super::{Outcome, SysResult, efault, get_u64s, put_u64s};
use crate::process::Process;
use crate::signal::{self, AltStack, NSIG, SS_DISABLE, SigAction, SigInfo, Signal, code};

/// `rt_sigaction(sig, act, oldact, sigsetsize)`.
pub(crate) fn rt_sigaction(p: &mut Process, sig: u64, act: u64, old: u64, size: u64) -> SysResult {
    if size != 8 || sig == 0 || sig > NSIG as u64 {
        return Err(Errno::INVAL);
    }
    let sig = Signal(sig as i32);
    if act != 0 && (sig == Signal::SIGKILL || sig == Signal::SIGSTOP) {
        return Err(Errno::INVAL);
    }
    let current = p.signals.action(sig);
    let new = if act != 0 {
        let [handler, flags, mask] = get_u64s::<3>(p, act)?;
        Some(SigAction { handler, flags, mask: mask & !signal::UNBLOCKABLE })
    } else {
        None
    };
    if old != 0 {
        put_u64s(p, old, &[current.handler, current.flags, current.mask])?;
    }
    if let Some(new) = new {
        p.signals.set_action(sig, new);
        // Setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards it.
        let ignored = new.handler == signal::SIG_IGN
            || new.handler == signal::SIG_DFL && signal::default_action(sig) != signal::DefaultAction::Terminate;
        if ignored {
            p.signals.pending &= !sig.bit();
        }
        p.host_signals.update(&p.signals);
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub(crate) fn rt_sigprocmask(p: &mut Process, how: u64, set: u64, old: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let current = p.signals.mask;
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
        p.signals.mask = m;
        p.host_signals.update(&p.signals);
    }
    Ok(0)
}

pub(crate) fn rt_sigpending(p: &mut Process, set: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    p.poll_async();
    put_u64s(p, set, &[p.signals.pending & p.signals.mask])?;
    Ok(0)
}

/// `rt_sigsuspend(mask, sigsetsize)`: waits with `mask` until a handler
/// runs; always `EINTR`. The old mask comes back after the handler.
pub(crate) fn rt_sigsuspend(p: &mut Process, mask: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::INVAL);
    }
    let [m] = get_u64s::<1>(p, mask)?;
    let old = p.signals.mask;
    p.signals.mask = m & !signal::UNBLOCKABLE;
    p.signals.saved_mask = Some(old);
    p.wait_for_signal(None);
    Err(Errno::INTR)
}

/// `sigaltstack(ss, old_ss)`.
pub(crate) fn sigaltstack(p: &mut Process, ss: u64, old: u64) -> SysResult {
    let sp = p.vcpu.cpu.regs[2];
    let cur = p.signals.altstack;
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
        p.signals.altstack = n;
    }
    Ok(0)
}

/// `rt_sigreturn`: restores the registers, mask and alternate stack saved
/// in the frame at `sp`.
pub(crate) fn rt_sigreturn(p: &mut Process) -> Outcome {
    match signal::restore_frame(&p.mem, &mut p.vcpu.cpu) {
        Some(r) => {
            p.signals.mask = r.mask & !signal::UNBLOCKABLE;
            let sp = p.vcpu.cpu.regs[2];
            if !p.signals.altstack.contains(sp) && (r.altstack.flags & SS_DISABLE != 0 || r.altstack.size > 0) {
                p.signals.altstack = if r.altstack.flags & SS_DISABLE != 0 {
                    AltStack::default()
                } else {
                    AltStack { flags: 0, ..r.altstack }
                };
            }
            p.host_signals.update(&p.signals);
            Outcome::Resume
        }
        None => {
            p.signals.force(SigInfo::fault(Signal::SIGSEGV, code::SI_KERNEL, 0));
            Outcome::Resume
        }
    }
}

fn own_pid() -> u64 {
    u64::from(std::process::id())
}

fn uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// `kill(pid, sig)`: to itself (pid = own pid, 0 or -1 for a lone process
/// group member is treated as itself only when it is the own pid), the
/// signal becomes pending in the guest; to another process, the host
/// signal is sent (a child ferrovm forwards it to its guest).
pub(crate) fn kill(p: &mut Process, pid: u64, sig: u64) -> SysResult {
    if sig > NSIG as u64 {
        return Err(Errno::INVAL);
    }
    let pid = pid as i32;
    if pid == std::process::id() as i32 {
        if sig != 0 {
            p.signals.raise(SigInfo::user(Signal(sig as i32), code::SI_USER, std::process::id(), uid()));
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

/// `tgkill(tgid, tid, sig)` / `tkill(tid, sig)`: the guest has one thread,
/// whose tid is the pid.
pub(crate) fn tgkill(p: &mut Process, tgid: Option<u64>, tid: u64, sig: u64) -> SysResult {
    if sig > NSIG as u64 || (tid as i32) <= 0 || tgid.is_some_and(|t| (t as i32) <= 0) {
        return Err(Errno::INVAL);
    }
    if tid != own_pid() || tgid.is_some_and(|t| t != own_pid()) {
        return Err(Errno::SRCH);
    }
    if sig != 0 {
        p.signals.raise(SigInfo::user(Signal(sig as i32), code::SI_TKILL, std::process::id(), uid()));
    }
    Ok(0)
}
