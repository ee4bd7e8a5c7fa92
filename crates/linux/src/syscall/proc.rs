//! Processes: `clone` as `fork`, `execve` of another riscv64 program,
//! `wait4`.
//!
//! * `fork`/`vfork`/`clone(SIGCHLD)` fork the whole host process: the child
//!   is a copy of ferrovm with a copy-on-write copy of guest memory. For
//!   `CLONE_VFORK` the parent waits until the child has called `execve` or
//!   exited, as Linux does (memory is still copied, not shared). Thread
//!   creation (`CLONE_VM` without `CLONE_VFORK`, `CLONE_THREAD`) is not
//!   supported: ENOSYS.
//! * `execve` runs ferrovm itself again (`std::env::current_exe`) with the
//!   same options on the new program: the pid stays, descriptors without
//!   `FD_CLOEXEC` are passed on (`--exec-state fd=GUEST:HOST`), ignored signals stay
//!   ignored and the signal mask is kept.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::fs::guest_path;
use super::{SysResult, efault, get_u64s, put_u64s};
use crate::host::{Forked, fork};
use crate::process::Process;
use crate::signal::{SIG_IGN, Signal};
use crate::vfs::AT_FDCWD;

const CLONE_VM: u64 = 0x100;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;

/// `clone(flags, newsp, parent_tid, tls, child_tid)` (riscv64 argument order).
pub(crate) fn clone(p: &mut Process, flags: u64, newsp: u64, ptid: u64, tls: u64, ctid: u64) -> SysResult {
    let thread = flags & (CLONE_THREAD | CLONE_SIGHAND) != 0 || flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0;
    if thread {
        if p.reported_unknown.insert(u64::MAX) {
            eprintln!("ferrovm: guest threads (clone with CLONE_VM/CLONE_THREAD) are not supported, returning ENOSYS");
        }
        return Err(Errno::NOSYS);
    }
    // The vfork parent waits for EOF on this pipe: the child's end closes
    // on execve (FD_CLOEXEC) or exit.
    let vfork_pipe =
        if flags & CLONE_VFORK != 0 { Some(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?) } else { None };
    let _ = std::io::Write::flush(&mut std::io::stderr());
    match fork().map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::AGAIN))? {
        Forked::Parent(pid) => {
            if let Some((r, w)) = vfork_pipe {
                drop(w);
                let mut b = [0u8; 1];
                while let Ok(n) = rustix::io::read(&r, &mut b) {
                    if n == 0 {
                        break;
                    }
                }
            }
            if flags & CLONE_PARENT_SETTID != 0 {
                p.mem.write_bytes(ptid, &pid.to_le_bytes()).map_err(efault)?;
            }
            Ok(u64::from(pid))
        }
        Forked::Child => {
            p.after_fork_child();
            if let Some((r, w)) = vfork_pipe {
                drop(r);
                p.vfork_done = Some(w);
            }
            if newsp != 0 {
                p.vcpu.cpu.regs[2] = newsp;
            }
            if flags & CLONE_SETTLS != 0 {
                p.vcpu.cpu.regs[4] = tls;
            }
            let me = std::process::id();
            if flags & CLONE_CHILD_SETTID != 0 {
                let _ = p.mem.write_bytes(ctid, &me.to_le_bytes());
            }
            if flags & CLONE_CHILD_CLEARTID != 0 {
                p.tid_address = ctid;
            }
            Ok(0)
        }
    }
}

/// Reads a NULL-terminated array of guest strings (`argv`, `envp`).
fn string_array(p: &Process, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut total = 0usize;
    for i in 0.. {
        if i >= 0x10000 {
            return Err(Errno::TOOBIG);
        }
        let [ptr] = get_u64s::<1>(p, addr + 8 * i)?;
        if ptr == 0 {
            break;
        }
        let s = p.mem.read_cstr(ptr, 128 * 1024).map_err(efault)?;
        total += s.len() + 1;
        if total > 2 << 20 {
            return Err(Errno::TOOBIG);
        }
        out.push(s);
    }
    Ok(out)
}

/// `execve(path, argv, envp)`.
pub(crate) fn execve(p: &mut Process, path: u64, argv: u64, envp: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let argv = string_array(p, argv)?;
    let envp = string_array(p, envp)?;
    // Which program: /proc/self/exe is the guest program.
    let program: Vec<u8> = match path.as_bytes() {
        b"/proc/self/exe" => p.exe.as_os_str().as_encoded_bytes().to_vec(),
        other if other == format!("/proc/{}/exe", std::process::id()).as_bytes() => {
            p.exe.as_os_str().as_encoded_bytes().to_vec()
        }
        other => other.to_vec(),
    };
    let cpath = std::ffi::CString::new(program.clone()).map_err(|_| Errno::INVAL)?;
    // The checks Linux makes before the point of no return.
    let file = p.vfs.open(&p.fds, AT_FDCWD, &cpath, OFlags::RDONLY, Mode::empty())?;
    let st = rustix::fs::fstat(&file)?;
    if st.st_mode & 0o170000 != 0o100000 {
        return Err(Errno::ACCESS);
    }
    if st.st_mode & 0o111 == 0 {
        return Err(Errno::ACCESS);
    }
    let mut head = [0u8; 20];
    let n = rustix::io::pread(&file, &mut head, 0)?;
    if n < 20 || head[..4] != *b"\x7fELF" || head[4] != 2 || u16::from_le_bytes([head[18], head[19]]) != 243 {
        return Err(Errno::NOEXEC);
    }
    drop(file);
    let program = if p.vfs.root.is_some() && !program.starts_with(b"/") {
        let mut abs = p.vfs.getcwd()?;
        abs.push(b'/');
        abs.extend_from_slice(&program);
        abs
    } else {
        program
    };

    let ferrovm = std::env::current_exe().map_err(|_| Errno::NOEXEC)?;
    let mut cmd = std::process::Command::new(ferrovm);
    cmd.arg("run");
    cmd.args(&p.options.reexec_args);
    if let Some(a0) = argv.first() {
        cmd.arg("--argv0").arg(OsString::from_vec(a0.clone()));
    } else {
        cmd.arg("--argv0").arg("");
    }
    if p.vfs.root.is_some() {
        let mut item = b"cwd=".to_vec();
        item.extend_from_slice(&p.vfs.getcwd()?);
        cmd.arg("--exec-state").arg(OsString::from_vec(item));
    }
    let ignored: u64 =
        (1..=64).filter(|&s| p.signals.action(Signal(s)).handler == SIG_IGN).fold(0, |m, s| m | Signal(s).bit());
    cmd.arg(format!("--exec-state=sigmask={:#x}", p.signals.mask));
    cmd.arg(format!("--exec-state=sigign={ignored:#x}"));
    // Descriptors: 0-2 become the new process's stdio; the others without
    // FD_CLOEXEC are duplicated without it and named on the command line.
    let mut keep: Vec<OwnedFd> = Vec::new();
    for (i, stdio) in (0..3u64).zip(0..) {
        let s = match p.fds.entry(i) {
            Ok(e) if !e.cloexec => match e.file.try_clone() {
                Ok(f) => std::process::Stdio::from(f),
                Err(_) => std::process::Stdio::null(),
            },
            _ => std::process::Stdio::null(),
        };
        match stdio {
            0 => cmd.stdin(s),
            1 => cmd.stdout(s),
            _ => cmd.stderr(s),
        };
    }
    for (guest, entry) in p.fds.iter() {
        if guest < 3 || entry.cloexec {
            continue;
        }
        if let Ok(dup) = rustix::io::dup(&*entry.file) {
            cmd.arg(format!("--exec-state=fd={guest}:{}", dup.as_raw_fd()));
            keep.push(dup);
        }
    }
    cmd.arg("--");
    cmd.arg(OsString::from_vec(program));
    cmd.args(argv.into_iter().skip(1).map(OsString::from_vec));
    cmd.env_clear();
    for e in envp {
        let (k, v) = match e.iter().position(|&b| b == b'=') {
            Some(i) => (e[..i].to_vec(), e[i + 1..].to_vec()),
            None => (e.clone(), Vec::new()),
        };
        if !k.is_empty() {
            cmd.env(OsString::from_vec(k), OsString::from_vec(v));
        }
    }
    p.sync_shared_maps();
    let _ = std::io::Write::flush(&mut std::io::stderr());
    let err = cmd.exec();
    drop(keep);
    Err(Errno::from_io_error(&err).unwrap_or(Errno::NOEXEC))
}

/// `wait4(pid, status, options, rusage)`. Polls the host (`WNOHANG`) so that
/// guest signals can interrupt the wait.
pub(crate) fn wait4(p: &mut Process, pid: u64, status: u64, options: u64, rusage: u64) -> SysResult {
    use rustix::process::{Pid, WaitOptions};
    const WNOHANG: u64 = 1;
    let pid = pid as i32;
    if options & !(1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000) != 0 {
        return Err(Errno::INVAL);
    }
    let opts = WaitOptions::from_bits_retain((options & 0xa) as u32) | WaitOptions::NOHANG;
    let mut nap = Duration::from_micros(50);
    loop {
        let r = match pid {
            -1 => rustix::process::waitpid(None, opts),
            0 => rustix::process::waitpgid(rustix::process::getpgrp(), opts),
            n if n < -1 => {
                let group = n.checked_neg().and_then(Pid::from_raw).ok_or(Errno::CHILD)?;
                rustix::process::waitpgid(group, opts)
            }
            n => rustix::process::waitpid(Some(Pid::from_raw(n).ok_or(Errno::CHILD)?), opts),
        };
        match r {
            Ok(Some((child, st))) => {
                if status != 0 {
                    p.mem.write_bytes(status, &st.as_raw().to_le_bytes()).map_err(efault)?;
                }
                if rusage != 0 {
                    put_u64s(p, rusage, &[0; 18])?;
                }
                return Ok(u64::from(child.as_raw_nonzero().get().unsigned_abs()));
            }
            Ok(None) if options & WNOHANG != 0 => return Ok(0),
            Ok(None) => {
                if p.wait_for_signal(Some(Instant::now() + nap)) {
                    return Err(Errno::INTR);
                }
                nap = (nap * 2).min(Duration::from_millis(10));
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}
