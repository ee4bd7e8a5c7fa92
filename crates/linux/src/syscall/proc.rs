//! Processes and threads: `clone`/`clone3` of a thread or a process,
//! `execve` of another riscv64 program, `wait4`.
//!
//! * A thread (`CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
//!   CLONE_THREAD`, the set glibc, musl and Go use) runs on a new host
//!   thread, sharing the VM ([`Thread::spawn_thread`]). Other combinations
//!   that share memory without being a thread are `EINVAL`, with a note.
//! * `fork`/`vfork`/`clone(SIGCHLD)` fork the whole host process: the child
//!   is a copy of ferrovm with a copy-on-write copy of guest memory, and
//!   only the calling thread goes on there; every other thread is stopped
//!   at a safe point and every lock taken for the fork, so the child finds
//!   them consistent. For `CLONE_VFORK` the parent waits until the child
//!   has called `execve` or exited, as Linux does; with `CLONE_VM` too
//!   (`vfork`, `posix_spawn`) the pages the child wrote are copied back
//!   into the parent first, so it sees what it would have with shared
//!   memory ([`crate::vfork`]).
//! * `execve` runs ferrovm itself again (`std::env::current_exe`) with the
//!   same options on the new program (`Options::reexec_args`): the pid stays, descriptors without
//!   `FD_CLOEXEC` are passed on (`--exec-state fd=GUEST:HOST`), ignored signals stay
//!   ignored and the signal mask is kept.

use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;

use rustix::io::Errno;

use super::fs::guest_path;
use super::{SysResult, efault, get_u64s, put_u64s};
use crate::host::{self, Forked};
use crate::process::VforkChild;
use crate::thread::Thread;

const CLONE_VM: u64 = linux_raw_sys::general::CLONE_VM as u64;
const CLONE_FS: u64 = linux_raw_sys::general::CLONE_FS as u64;
const CLONE_FILES: u64 = linux_raw_sys::general::CLONE_FILES as u64;
const CLONE_SIGHAND: u64 = linux_raw_sys::general::CLONE_SIGHAND as u64;
const CLONE_PIDFD: u64 = linux_raw_sys::general::CLONE_PIDFD as u64;
const CLONE_VFORK: u64 = linux_raw_sys::general::CLONE_VFORK as u64;
const CLONE_THREAD: u64 = linux_raw_sys::general::CLONE_THREAD as u64;
const CLONE_SYSVSEM: u64 = linux_raw_sys::general::CLONE_SYSVSEM as u64;
const CLONE_SETTLS: u64 = linux_raw_sys::general::CLONE_SETTLS as u64;
const CLONE_PARENT_SETTID: u64 = linux_raw_sys::general::CLONE_PARENT_SETTID as u64;
const CLONE_CHILD_CLEARTID: u64 = linux_raw_sys::general::CLONE_CHILD_CLEARTID as u64;
const CLONE_DETACHED: u64 = linux_raw_sys::general::CLONE_DETACHED as u64;
const CLONE_CHILD_SETTID: u64 = linux_raw_sys::general::CLONE_CHILD_SETTID as u64;
const CLONE_CLEAR_SIGHAND: u64 = linux_raw_sys::general::CLONE_CLEAR_SIGHAND;
/// What a new thread must share.
const THREAD: u64 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
/// What else a thread's `clone` may ask for.
const THREAD_EXTRA: u64 =
    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED;
/// What a process's `clone` may ask for besides the exit signal.
const FORK_FLAGS: u64 = CLONE_VFORK
    | CLONE_VM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | CLONE_CLEAR_SIGHAND
    | CLONE_PIDFD;

/// Says once that a `clone` flag combination is not supported.
fn unsupported(p: &Thread, flags: u64) {
    let first =
        p.proc.reported_unknown.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(u64::MAX - flags);
    if first {
        tracing::info!(
            target: ferrovm_engine::log::target::UNIMP,
            "clone flags {flags:#x} are not supported (only threads and fork/vfork), returning EINVAL"
        );
    }
}

/// `clone(flags, newsp, parent_tid, tls, child_tid)` (riscv64 argument order).
pub(crate) fn clone(p: &mut Thread, flags: u64, newsp: u64, ptid: u64, tls: u64, ctid: u64) -> SysResult {
    let exit_signal = flags & 0xff;
    // With CLONE_PIDFD, `clone` stores the descriptor where the parent's
    // tid would go, so the two cannot be asked for together.
    if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 {
        return Err(Errno::INVAL);
    }
    clone_with(p, flags & !0xff, exit_signal, newsp, Tids { parent: ptid, child: ctid, pidfd: ptid }, tls)
}

/// Where `clone` writes the new task's tid (parent's and child's memory)
/// and, with CLONE_PIDFD, the parent's descriptor for the child.
#[derive(Clone, Copy)]
struct Tids {
    parent: u64,
    child: u64,
    pidfd: u64,
}

/// `clone3(args, size)`: `struct clone_args` (flags, pidfd, child_tid,
/// parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
/// cgroup; 8 bytes each, at least the first 64 given).
pub(crate) fn clone3(p: &mut Thread, args: u64, size: u64) -> SysResult {
    if !(64..=4096).contains(&size) {
        return Err(Errno::INVAL);
    }
    let [flags, pidfd, ctid, ptid, exit_signal, stack, stack_size, tls] = get_u64s::<8>(p, args)?;
    if size >= 80 {
        let [_, set_tid_size] = get_u64s::<2>(p, args + 64)?;
        if set_tid_size != 0 {
            return Err(Errno::INVAL);
        }
    }
    // The exit signal has a field of its own (CSIGNAL bits in flags are
    // invalid); `pidfd` only counts with CLONE_PIDFD.
    if flags & 0xff != 0 || exit_signal > 64 {
        unsupported(p, flags);
        return Err(Errno::INVAL);
    }
    let newsp = if stack == 0 { 0 } else { stack.checked_add(stack_size).ok_or(Errno::INVAL)? };
    clone_with(p, flags, exit_signal, newsp, Tids { parent: ptid, child: ctid, pidfd }, tls)
}

fn clone_with(p: &mut Thread, flags: u64, exit_signal: u64, newsp: u64, tids: Tids, tls: u64) -> SysResult {
    let Tids { parent: ptid, child: ctid, pidfd: pidfd_at } = tids;
    if flags & CLONE_THREAD != 0 || flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
        // A pidfd for a thread (Linux 6.9's PIDFD_THREAD) is not supported.
        if flags & THREAD != THREAD || flags & !(THREAD | THREAD_EXTRA) != 0 || exit_signal != 0 {
            unsupported(p, flags | exit_signal);
            return Err(Errno::INVAL);
        }
        let tid = p.spawn_thread(
            newsp,
            (flags & CLONE_SETTLS != 0).then_some(tls),
            (flags & CLONE_PARENT_SETTID != 0).then_some(ptid),
            (flags & CLONE_CHILD_SETTID != 0).then_some(ctid),
            (flags & CLONE_CHILD_CLEARTID != 0).then_some(ctid),
        )?;
        return Ok(u64::from(tid));
    }
    if flags & !FORK_FLAGS != 0 {
        unsupported(p, flags | exit_signal);
        return Err(Errno::INVAL);
    }
    // The vfork parent waits for EOF on this pipe: the child's end closes
    // on execve (FD_CLOEXEC) or exit.
    let vfork_pipe =
        if flags & CLONE_VFORK != 0 { Some(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?) } else { None };
    let _ = std::io::Write::flush(&mut std::io::stderr());
    match p.fork_host().map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::AGAIN))? {
        Forked::Parent(pid) => {
            if let Some((r, w)) = vfork_pipe {
                drop(w);
                let shared: Vec<_> = p.proc.shared_ranges();
                crate::vfork::receive_written(&p.mem, &shared, r);
            }
            if flags & CLONE_PARENT_SETTID != 0 {
                p.mem.write_bytes(ptid, &pid.to_le_bytes()).map_err(efault)?;
            }
            if flags & CLONE_PIDFD != 0 {
                // The child is ours and not yet waited for (a zombie at
                // worst), so its host pidfd names it. Linux makes it
                // close-on-exec.
                let host = rustix::process::Pid::from_raw(pid as i32).ok_or(Errno::AGAIN)?;
                let fd = rustix::process::pidfd_open(host, rustix::process::PidfdFlags::empty())?;
                let guest_fd = p.fds().insert(fd, true)?;
                p.mem.write_bytes(pidfd_at, &(guest_fd as u32).to_le_bytes()).map_err(efault)?;
            }
            Ok(u64::from(pid))
        }
        Forked::Child => {
            if let Some((r, w)) = vfork_pipe {
                drop(r);
                let shares_memory = flags & CLONE_VM != 0;
                if shares_memory {
                    crate::vfork::start_tracking(&p.mem);
                }
                *p.proc.vfork_done.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(VforkChild { pipe: w, shares_memory });
            }
            if flags & CLONE_CLEAR_SIGHAND != 0 {
                p.proc.signals().actions.reset_handlers();
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
                p.clear_child_tid = ctid;
            }
            Ok(0)
        }
    }
}

/// `get_robust_list(tid, head_ptr, len_ptr)`: this thread's, or another
/// thread's of the process (0 for none set).
pub(crate) fn get_robust_list(p: &mut Thread, tid: u64, head: u64, len: u64) -> SysResult {
    if tid != 0 && tid as u32 != p.tid() {
        return if p.proc.threads().by_tid.contains_key(&(tid as u32)) { Err(Errno::PERM) } else { Err(Errno::SRCH) };
    }
    put_u64s(p, head, &[p.robust_list])?;
    put_u64s(p, len, &[24])?;
    Ok(0)
}

/// Reads a NULL-terminated array of guest strings (`argv`, `envp`).
fn string_array(p: &Thread, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
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

/// What `execve` found at a path.
#[derive(Debug, PartialEq, Eq)]
enum Image {
    /// A riscv64 ELF: ferrovm runs it.
    Riscv,
    /// An ELF of the host's architecture: it runs natively, as under QEMU
    /// with binfmt_misc (not in confined mode).
    Host,
    /// A `#!` script: its interpreter and optional argument.
    Script { interp: Vec<u8>, arg: Option<Vec<u8>> },
}

/// Linux's `BINPRM_BUF_SIZE`: how much of a file `execve` looks at.
const BINPRM_BUF_SIZE: usize = 256;
/// Linux's limit on nested interpreters (`BINPRM_MAX_RECURSION`).
const MAX_INTERP_DEPTH: usize = 4;
/// `e_machine` values.
const EM_RISCV: u16 = 243;
const EM_X86_64: u16 = 62;

/// Parses a `#!` line as Linux's `binfmt_script` does: the interpreter
/// ends at a blank; the rest of the line, blanks trimmed, is one optional
/// argument. `head` is the file's first [`BINPRM_BUF_SIZE`] bytes (all of
/// it if `whole` is true: Linux's zero-filled buffer then ends the line);
/// a line the buffer cuts inside the interpreter's name is `ENOEXEC`.
fn parse_shebang(head: &[u8], whole: bool) -> Result<Image, Errno> {
    let rest = head.strip_prefix(b"#!").ok_or(Errno::NOEXEC)?;
    let (line, complete) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], true),
        None => (rest, whole || rest.contains(&0)),
    };
    let line = match line.iter().position(|&b| b == 0) {
        Some(i) => &line[..i],
        None => line,
    };
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b)).ok_or(Errno::NOEXEC)?;
    let line = &line[start..];
    let end = line.iter().position(blank);
    if end.is_none() && !complete {
        return Err(Errno::NOEXEC);
    }
    let interp = line[..end.unwrap_or(line.len())].to_vec();
    let arg = end.map(|e| &line[e..]).and_then(|a| {
        let s = a.iter().position(|b| !blank(b))?;
        let e = a.iter().rposition(|b| !blank(b))?;
        Some(a[s..=e].to_vec())
    });
    Ok(Image::Script { interp, arg })
}

/// Opens `program` as `execve` would and says what it is (the checks
/// Linux makes before the point of no return).
fn examine(p: &Thread, program: &[u8]) -> Result<Image, Errno> {
    // The file the new process will load (see `Vfs::open_program`): as
    // with `qemu-riscv64`, whose execve goes to the host kernel, the
    // sysroot (`-L`) is not searched for the program itself, so
    // `/usr/bin/bunzip2` is the host's (run natively) even where the
    // sysroot has one too.
    let file = p.vfs().open_program(program, false)?;
    let st = rustix::fs::fstat(&file)?;
    if st.st_mode & 0o170000 != 0o100000 || st.st_mode & 0o111 == 0 {
        return Err(Errno::ACCESS);
    }
    let mut head = [0u8; BINPRM_BUF_SIZE];
    let mut n = 0;
    while n < head.len() {
        match rustix::io::pread(&file, &mut head[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    let head = &head[..n];
    if head.starts_with(b"#!") {
        return parse_shebang(head, n < BINPRM_BUF_SIZE);
    }
    if n < 20 || head[..4] != *b"\x7fELF" || head[4] != 2 {
        return Err(Errno::NOEXEC);
    }
    match u16::from_le_bytes([head[18], head[19]]) {
        EM_RISCV => Ok(Image::Riscv),
        // Confined mode runs nothing but riscv64 code (a host binary
        // would see the host's whole file system).
        EM_X86_64 if cfg!(target_arch = "x86_64") && p.vfs().root.is_none() => Ok(Image::Host),
        _ => Err(Errno::NOEXEC),
    }
}

/// Where an interpreter named in a `#!` line is found: in confined mode
/// inside the root (the path is resolved there like any other); otherwise
/// under the sysroot (`-L`) if it exists there, else on the host, as
/// QEMU's binfmt handler finds it.
fn interpreter_path(p: &Thread, interp: &[u8]) -> Vec<u8> {
    if p.vfs().root.is_none()
        && interp.starts_with(b"/")
        && let Some(sysroot) = &p.proc.options.sysroot
    {
        let mut full = sysroot.as_os_str().as_encoded_bytes().to_vec();
        full.extend_from_slice(interp);
        if std::path::Path::new(std::ffi::OsStr::from_bytes(&full)).is_file() {
            return full;
        }
    }
    interp.to_vec()
}

/// `execve(path, argv, envp)`.
pub(crate) fn execve(p: &mut Thread, path: u64, argv: u64, envp: u64) -> SysResult {
    let path = guest_path(p, path)?;
    exec_path(p, path, argv, envp)
}

/// `execveat(dirfd, path, argv, envp, flags)` (glibc's `fexecve` is
/// `execveat(fd, "", ..., AT_EMPTY_PATH)`): the program named relative to
/// `dirfd`, or the file `dirfd` holds, run by [`execve`]'s rules. The file
/// is found by its path, so a descriptor of a deleted file (a `memfd`, say)
/// cannot be run: `ENOENT`.
pub(crate) fn execveat(p: &mut Thread, dir: u64, path: u64, argv: u64, envp: u64, flags: u64) -> SysResult {
    const AT_EMPTY_PATH: u64 = linux_raw_sys::general::AT_EMPTY_PATH as u64;
    const AT_SYMLINK_NOFOLLOW: u64 = linux_raw_sys::general::AT_SYMLINK_NOFOLLOW as u64;
    // The kernel's order: the name first, then the flags.
    let name = guest_path(p, path)?;
    if name.is_empty() && flags & AT_EMPTY_PATH == 0 {
        return Err(Errno::NOENT);
    }
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::INVAL);
    }
    let at_cwd = dir as i32 == linux_raw_sys::general::AT_FDCWD;
    if name.as_bytes().starts_with(b"/") || (at_cwd && !name.is_empty()) {
        return exec_path(p, name, argv, envp);
    }
    if at_cwd {
        // The working directory itself: a directory is not executable.
        return Err(Errno::ACCESS);
    }
    let file = p.fds().get(dir)?;
    let link = format!("/proc/self/fd/{}", file.as_raw_fd());
    let host = rustix::fs::readlink(link.as_str(), Vec::new())?;
    let mut full = p.vfs().guest_path(host.as_bytes());
    if full.ends_with(b" (deleted)") || !full.starts_with(b"/") {
        return Err(Errno::NOENT);
    }
    if !name.is_empty() {
        full.push(b'/');
        full.extend_from_slice(name.as_bytes());
    }
    exec_path(p, CString::new(full).map_err(|_| Errno::INVAL)?, argv, envp)
}

/// `execve` of the guest path `path`.
fn exec_path(p: &mut Thread, path: CString, argv: u64, envp: u64) -> SysResult {
    let mut argv = string_array(p, argv)?;
    let envp = string_array(p, envp)?;
    // Which program: /proc/self/exe is the guest program.
    let mut program: Vec<u8> = match path.as_bytes() {
        b"/proc/self/exe" => p.proc.exe.as_os_str().as_encoded_bytes().to_vec(),
        other if other == format!("/proc/{}/exe", std::process::id()).as_bytes() => {
            p.proc.exe.as_os_str().as_encoded_bytes().to_vec()
        }
        other => other.to_vec(),
    };
    // `#!` scripts: the interpreter runs with (interpreter, [argument],
    // the path as given, argv[1..]), up to Linux's nesting limit.
    let mut depth = 0;
    let image = loop {
        match examine(p, &program)? {
            Image::Script { interp, arg } => {
                depth += 1;
                if depth > MAX_INTERP_DEPTH {
                    return Err(Errno::LOOP);
                }
                let script = if depth == 1 { path.as_bytes().to_vec() } else { program.clone() };
                let mut new_argv = vec![interp.clone()];
                new_argv.extend(arg);
                new_argv.push(script);
                new_argv.extend(argv.into_iter().skip(1));
                argv = new_argv;
                program = interpreter_path(p, &interp);
            }
            image => break image,
        }
    };
    if image == Image::Host {
        p.proc.vfork_release();
        let _ = std::io::Write::flush(&mut std::io::stderr());
        let fds: Vec<(u64, std::sync::Arc<OwnedFd>)> =
            p.fds().iter().filter(|(_, e)| !e.cloexec).map(|(g, e)| (g, std::sync::Arc::clone(&e.file))).collect();
        let ignored = p.proc.signals().actions.ignored();
        let err = host::exec_native(&program, &argv, &envp, &fds, p.mask(), ignored);
        return Err(Errno::from_io_error(&err).unwrap_or(Errno::NOEXEC));
    }
    let program = if p.vfs().root.is_some() && !program.starts_with(b"/") {
        let mut abs = p.vfs().getcwd()?;
        abs.push(b'/');
        abs.extend_from_slice(&program);
        abs
    } else {
        program
    };

    let ferrovm = std::env::current_exe().map_err(|_| Errno::NOEXEC)?;
    let mut cmd = std::process::Command::new(ferrovm);
    cmd.args(&p.proc.options.reexec_args);
    if let Some(a0) = argv.first() {
        cmd.arg("--argv0").arg(OsString::from_vec(a0.clone()));
    } else {
        cmd.arg("--argv0").arg("");
    }
    if p.vfs().root.is_some() {
        let mut item = b"cwd=".to_vec();
        item.extend_from_slice(&p.vfs().getcwd()?);
        cmd.arg("--exec-state").arg(OsString::from_vec(item));
    }
    let ignored = p.proc.signals().actions.ignored();
    cmd.arg(format!("--exec-state=sigmask={:#x}", p.mask()));
    cmd.arg(format!("--exec-state=sigign={ignored:#x}"));
    // Descriptors: 0-2 become the new process's stdio; the others without
    // FD_CLOEXEC are duplicated without it and named on the command line.
    let mut keep: Vec<OwnedFd> = Vec::new();
    for (i, stdio) in (0..3u64).zip(0..) {
        let s = match p.fds().entry(i) {
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
    for (guest, entry) in p.fds().iter() {
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
    p.proc.vfork_release();
    let _ = std::io::Write::flush(&mut std::io::stderr());
    // Linux ends the other threads first; the host's execve does exactly
    // that to their host threads.
    let err = cmd.exec();
    drop(keep);
    Err(Errno::from_io_error(&err).unwrap_or(Errno::NOEXEC))
}

/// `wait4(pid, status, options, rusage)`: the host's, on the host's
/// children (a guest's children are ferrovm processes); a guest signal
/// interrupts it.
pub(crate) fn wait4(p: &mut Thread, pid: u64, status: u64, options: u64, rusage: u64) -> SysResult {
    if options & !(1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000) != 0 {
        return Err(Errno::INVAL);
    }
    let mut st = 0i32;
    let mut usage = [0u8; 144];
    let child = p.blocking(|kick| host::wait4(kick, pid as i32, &mut st, options as i32, &mut usage))?;
    if child != 0 {
        if status != 0 {
            p.mem.write_bytes(status, &st.to_le_bytes()).map_err(efault)?;
        }
        // struct rusage: the same 144 bytes on riscv64 and x86-64.
        if rusage != 0 {
            p.mem.write_bytes(rusage, &usage).map_err(efault)?;
        }
    }
    Ok(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(interp: &str, arg: Option<&str>) -> Result<Image, Errno> {
        Ok(Image::Script { interp: interp.as_bytes().to_vec(), arg: arg.map(|a| a.as_bytes().to_vec()) })
    }

    #[test]
    fn shebang_lines_parse_as_linux_does() {
        assert_eq!(parse_shebang(b"#!/bin/sh\necho", true), script("/bin/sh", None));
        assert_eq!(
            parse_shebang(b"#! \t/usr/bin/env  python3 -u \t\n", true),
            script("/usr/bin/env", Some("python3 -u"))
        );
        assert_eq!(parse_shebang(b"#!/bin/sh", true), script("/bin/sh", None));
        assert_eq!(parse_shebang(b"#!/bin/sh -e", true), script("/bin/sh", Some("-e")));
        assert_eq!(parse_shebang(b"#!\n", true), Err(Errno::NOEXEC));
        assert_eq!(parse_shebang(b"#!   \n", true), Err(Errno::NOEXEC));
        // The 256-byte buffer cuts the interpreter's name: ENOEXEC; it cuts
        // the argument: the interpreter still runs.
        let long = format!("#!/{}", "x".repeat(300));
        assert_eq!(parse_shebang(&long.as_bytes()[..BINPRM_BUF_SIZE], false), Err(Errno::NOEXEC));
        let cut_arg = format!("#!/bin/sh {}", "y".repeat(300));
        assert!(matches!(parse_shebang(&cut_arg.as_bytes()[..BINPRM_BUF_SIZE], false), Ok(Image::Script { .. })));
        assert_eq!(parse_shebang(b"ELF", true), Err(Errno::NOEXEC));
    }
}
