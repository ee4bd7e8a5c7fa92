//! `--strace`: one line per system call on stderr, with decoded arguments
//! and the result, in the style of `qemu-riscv64 -strace`:
//!
//! ```text
//! 12345 openat(AT_FDCWD,"/etc/passwd",O_RDONLY|O_CLOEXEC,0) = 3
//! 12345 write(1,"hello\n",6) = 6
//! 12345 read(7,0x3ffffff000,16) = -1 errno=9 (Bad file descriptor)
//! ```

use std::fmt::Write as _;
use std::io::Write as _;

use super::{SysResult, nr};
use crate::thread::Thread;

/// How to show one argument.
#[derive(Clone, Copy)]
enum Arg {
    /// Signed decimal.
    Int,
    /// Hexadecimal (pointers, flags without names).
    Hex,
    /// A descriptor (`AT_FDCWD` by name).
    Fd,
    /// A NUL-terminated guest string.
    Str,
    /// A guest buffer whose length is the next argument (shown for writes).
    Buf,
    /// `open` flags.
    OFlags,
    /// Octal mode.
    Mode,
    /// A signal number.
    Sig,
}

fn signature(n: u64) -> &'static [Arg] {
    use Arg::*;
    match n {
        nr::READ | nr::GETDENTS64 => &[Fd, Hex, Int],
        nr::WRITE => &[Fd, Buf, Int],
        nr::PREAD64 => &[Fd, Hex, Int, Int],
        nr::PWRITE64 => &[Fd, Buf, Int, Int],
        nr::READV | nr::WRITEV => &[Fd, Hex, Int],
        nr::OPENAT => &[Fd, Str, OFlags, Mode],
        nr::CLOSE | nr::DUP | nr::FSYNC | nr::FDATASYNC | nr::FCHDIR => &[Fd],
        nr::DUP3 => &[Fd, Fd, Hex],
        nr::FCNTL | nr::IOCTL => &[Fd, Hex, Hex],
        nr::LSEEK => &[Fd, Int, Int],
        nr::FSTAT | nr::FSTATFS => &[Fd, Hex],
        nr::NEWFSTATAT => &[Fd, Str, Hex, Hex],
        nr::STATX => &[Fd, Str, Hex, Hex, Hex],
        nr::READLINKAT => &[Fd, Str, Hex, Int],
        nr::FACCESSAT | nr::FACCESSAT2 => &[Fd, Str, Mode, Hex],
        nr::MKDIRAT => &[Fd, Str, Mode],
        nr::UNLINKAT => &[Fd, Str, Hex],
        nr::RENAMEAT | nr::RENAMEAT2 => &[Fd, Str, Fd, Str, Hex],
        nr::LINKAT => &[Fd, Str, Fd, Str, Hex],
        nr::SYMLINKAT => &[Str, Fd, Str],
        nr::FCHMODAT => &[Fd, Str, Mode],
        nr::UTIMENSAT => &[Fd, Str, Hex, Hex],
        nr::CHDIR | nr::STATFS => &[Str, Hex],
        nr::TRUNCATE => &[Str, Int],
        nr::FTRUNCATE => &[Fd, Int],
        nr::GETCWD => &[Hex, Int],
        nr::UMASK => &[Mode],
        nr::PIPE2 => &[Hex, Hex],
        nr::EXECVE => &[Str, Hex, Hex],
        nr::EXIT | nr::EXIT_GROUP => &[Int],
        nr::BRK => &[Hex],
        nr::MMAP => &[Hex, Int, Hex, Hex, Fd, Hex],
        nr::MUNMAP => &[Hex, Int],
        nr::MPROTECT | nr::MSYNC | nr::MADVISE => &[Hex, Int, Hex],
        nr::MREMAP => &[Hex, Int, Int, Hex, Hex],
        nr::KILL => &[Int, Sig],
        nr::TKILL => &[Int, Sig],
        nr::TGKILL => &[Int, Int, Sig],
        nr::RT_SIGACTION => &[Sig, Hex, Hex, Int],
        nr::RT_SIGPROCMASK => &[Int, Hex, Hex, Int],
        nr::WAIT4 => &[Int, Hex, Hex, Hex],
        nr::CLONE => &[Hex, Hex, Hex, Hex, Hex],
        nr::CLOCK_GETTIME | nr::CLOCK_GETRES => &[Int, Hex],
        nr::NANOSLEEP => &[Hex, Hex],
        nr::SET_TID_ADDRESS | nr::UNAME | nr::SYSINFO | nr::TIMES => &[Hex],
        nr::GETRANDOM => &[Hex, Int, Hex],
        nr::PRLIMIT64 => &[Int, Int, Hex, Hex],
        nr::FUTEX => &[Hex, Int, Int, Hex, Hex, Int],
        nr::SIGALTSTACK => &[Hex, Hex],
        nr::SET_ROBUST_LIST => &[Hex, Int],
        _ if nr::name(n).is_some_and(|s| s.starts_with("get")) => &[],
        _ => &[Hex, Hex, Hex, Hex, Hex, Hex],
    }
}

fn escape(out: &mut String, bytes: &[u8], truncated: bool) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:o}");
            }
        }
    }
    out.push('"');
    if truncated {
        out.push_str("...");
    }
}

fn oflags(v: u64) -> String {
    const NAMES: &[(u64, &str)] = &[
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o10000, "O_DSYNC"),
        (0o40000, "O_DIRECT"),
        (0o200000, "O_DIRECTORY"),
        (0o400000, "O_NOFOLLOW"),
        (0o1000000, "O_NOATIME"),
        (0o2000000, "O_CLOEXEC"),
        (0o10000000, "O_PATH"),
    ];
    let mut s = match v & 3 {
        0 => "O_RDONLY".to_string(),
        1 => "O_WRONLY".to_string(),
        2 => "O_RDWR".to_string(),
        _ => "O_ACCMODE".to_string(),
    };
    let mut rest = v & !3;
    for &(bit, name) in NAMES {
        if rest & bit != 0 {
            s.push('|');
            s.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 {
        let _ = write!(s, "|{rest:#o}");
    }
    s
}

/// Formats the call (before it runs, so that arguments are seen as the
/// guest passed them).
pub(super) fn before(p: &Thread, n: u64, a: &[u64; 6]) -> String {
    let name = nr::name(n).map_or_else(|| format!("syscall_{n}"), str::to_string);
    let mut line = format!("{name}(");
    for (i, kind) in signature(n).iter().enumerate() {
        let Some(&v) = a.get(i) else { break };
        if i > 0 {
            line.push(',');
        }
        match kind {
            Arg::Int => {
                let _ = write!(line, "{}", v as i64);
            }
            Arg::Hex => {
                let _ = write!(line, "{v:#x}");
            }
            Arg::Fd if v & 0xffff_ffff == 0xffff_ff9c => line.push_str("AT_FDCWD"),
            Arg::Fd => {
                let _ = write!(line, "{}", v as i32);
            }
            Arg::Str => match p.mem.read_cstr(v, 256) {
                Ok(s) => escape(&mut line, &s, s.len() >= 256),
                Err(_) => {
                    let _ = write!(line, "{v:#x}");
                }
            },
            Arg::Buf => {
                let len = a.get(i + 1).copied().unwrap_or(0).min(64) as usize;
                let mut buf = vec![0u8; len];
                if p.mem.read_bytes(v, &mut buf).is_ok() {
                    escape(&mut line, &buf, a.get(i + 1).copied().unwrap_or(0) > 64);
                } else {
                    let _ = write!(line, "{v:#x}");
                }
            }
            Arg::OFlags => line.push_str(&oflags(v)),
            Arg::Mode => {
                let _ = write!(line, "{v:#o}");
            }
            Arg::Sig => match v {
                1..=31 => line.push_str(SIGNAMES.get(v as usize).copied().unwrap_or("?")),
                _ => {
                    let _ = write!(line, "{v}");
                }
            },
        }
    }
    line.push(')');
    line
}

const SIGNAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// Adds the result and prints the line.
pub(super) fn finish(mut line: String, result: Option<&SysResult>) {
    match result {
        Some(Ok(v)) if (*v as i64) < 0 || *v > 0xffff_ffff => {
            let _ = write!(line, " = {v:#x}");
        }
        Some(Ok(v)) => {
            let _ = write!(line, " = {v}");
        }
        Some(Err(e)) => {
            let _ = write!(line, " = -1 errno={} ({e})", e.raw_os_error());
        }
        None => {}
    }
    // The thread id (the pid in a single-threaded process, as QEMU shows
    // it), taken now: after a fork, the child's line shows the child.
    let line = format!("{} {line}\n", rustix::thread::gettid().as_raw_nonzero());
    let _ = std::io::stderr().write_all(line.as_bytes());
}
