//! `--strace`: one line per system call on stderr, with decoded arguments
//! and the result, in the format of `qemu-riscv64 -strace`
//! (`linux-user/strace.c`):
//!
//! ```text
//! 12345 openat(AT_FDCWD,"/etc/ld.so.cache",O_RDONLY|O_CLOEXEC) = 3
//! 12345 mmap(NULL,34175,PROT_READ,MAP_PRIVATE,3,0) = 0x0000004002824000
//! 12345 newfstatat(3,"",{st_mode=S_IFREG|0644,st_size=34175,...},AT_EMPTY_PATH) = 0
//! 12345 connect(3,{sin_family=AF_INET,sin_port=htons(80),sin_addr=inet_addr("127.0.0.1")}, 16) = 0
//! 12345 kill(12345,SIGUSR1) = 0
//! 12345 read(7,0x3ffffff000,16) = -1 errno=9 (Bad file descriptor)
//! ```
//!
//! What each call's arguments are is one table ([`signature`], by name);
//! flag sets are tables of names ([`PROT`], [`MAP`], [`OPEN`], ...).
//! Structures the call fills in (`struct stat`) are decoded after the call
//! when it succeeded; everything else is decoded before it runs, as the
//! guest passed it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;

use linux_raw_sys::general as lg;
use linux_raw_sys::net as ln;

use super::{SysResult, nr};
use crate::thread::Thread;

/// How to show one argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// Signed decimal.
    Int,
    /// Hexadecimal (`%#x`: buffers, values without names).
    Hex,
    /// An address (`NULL`, or 16 hex digits as QEMU's `print_pointer`).
    Ptr,
    /// A descriptor (`AT_FDCWD` by name).
    Fd,
    /// A NUL-terminated guest string.
    Str,
    /// A guest buffer whose length is the next argument (shown for writes).
    Buf,
    /// `open` flags; the mode (next argument) is shown only with `O_CREAT`
    /// or `O_TMPFILE`, as QEMU does.
    OFlags,
    /// Octal mode.
    Mode,
    /// A signal number.
    Sig,
    /// `mmap`/`mprotect` protection.
    Prot,
    /// `mmap` flags.
    MapFlags,
    /// `AT_*` flags of the `*at` calls.
    AtFlags,
    /// `access` mode (`R_OK|W_OK`).
    Access,
    /// `rt_sigprocmask` how.
    SigHow,
    /// Socket domain (`PF_INET`).
    Domain,
    /// Socket type (`SOCK_STREAM|SOCK_CLOEXEC`).
    SockType,
    /// A `struct sockaddr` whose length is the next argument (printed
    /// after it with `", "`, as QEMU's `print_sockaddr` does).
    SockAddr,
    /// A `struct stat` the call fills in: decoded after a successful call.
    StatOut,
    /// Not shown (the length a `SockAddr` already printed).
    Skip,
}

/// The arguments of the call named `name`; unknown calls show six hex
/// values, `get*` calls none.
fn signature(name: &str) -> &'static [Arg] {
    use Arg::*;
    match name {
        "read" | "getdents64" => &[Fd, Hex, Int],
        "write" => &[Fd, Buf, Int],
        "pread64" => &[Fd, Hex, Int, Int],
        "pwrite64" => &[Fd, Buf, Int, Int],
        "readv" | "writev" => &[Fd, Hex, Int],
        "openat" => &[Fd, Str, OFlags, Mode],
        "close" | "dup" | "fsync" | "fdatasync" | "fchdir" => &[Fd],
        "dup3" => &[Fd, Fd, Hex],
        "fcntl" | "ioctl" => &[Fd, Hex, Hex],
        "lseek" => &[Fd, Int, Int],
        "fstat" => &[Fd, StatOut],
        "fstatfs" => &[Fd, Ptr],
        "newfstatat" => &[Fd, Str, StatOut, AtFlags],
        "statx" => &[Fd, Str, AtFlags, Hex, Ptr],
        "readlinkat" => &[Fd, Str, Ptr, Int],
        "faccessat" | "faccessat2" => &[Fd, Str, Access, AtFlags],
        "mkdirat" => &[Fd, Str, Mode],
        "unlinkat" => &[Fd, Str, AtFlags],
        "renameat" | "renameat2" => &[Fd, Str, Fd, Str, Hex],
        "linkat" => &[Fd, Str, Fd, Str, AtFlags],
        "symlinkat" => &[Str, Fd, Str],
        "fchmodat" => &[Fd, Str, Mode],
        "fchownat" => &[Fd, Str, Int, Int, AtFlags],
        "setxattr" | "lsetxattr" => &[Str, Str, Ptr, Int, Hex],
        "fsetxattr" => &[Fd, Str, Ptr, Int, Hex],
        "getxattr" | "lgetxattr" => &[Str, Str, Ptr, Int],
        "fgetxattr" => &[Fd, Str, Ptr, Int],
        "listxattr" | "llistxattr" => &[Str, Ptr, Int],
        "flistxattr" => &[Fd, Ptr, Int],
        "removexattr" | "lremovexattr" => &[Str, Str],
        "fremovexattr" => &[Fd, Str],
        "utimensat" => &[Fd, Str, Ptr, AtFlags],
        "chdir" | "statfs" => &[Str, Ptr],
        "truncate" => &[Str, Int],
        "ftruncate" => &[Fd, Int],
        "getcwd" => &[Ptr, Int],
        "umask" => &[Mode],
        "pipe2" => &[Ptr, OFlags],
        "execve" => &[Str, Ptr, Ptr],
        "exit" | "exit_group" => &[Int],
        "brk" => &[Ptr],
        "mmap" => &[Ptr, Int, Prot, MapFlags, Fd, Hex],
        "munmap" => &[Ptr, Int],
        "mprotect" => &[Ptr, Int, Prot],
        "msync" | "madvise" => &[Ptr, Int, Hex],
        "mremap" => &[Ptr, Int, Int, Hex, Ptr],
        "kill" | "tkill" => &[Int, Sig],
        "tgkill" => &[Int, Int, Sig],
        "rt_sigaction" => &[Sig, Ptr, Ptr],
        "rt_sigprocmask" => &[SigHow, Ptr, Ptr],
        "wait4" => &[Int, Ptr, Hex, Ptr],
        "clone" => &[Hex, Ptr, Ptr, Ptr, Ptr],
        "clock_gettime" | "clock_getres" | "clock_settime" => &[Int, Ptr],
        "nanosleep" => &[Ptr, Ptr],
        "set_tid_address" | "uname" | "sysinfo" | "times" => &[Ptr],
        "getrandom" => &[Ptr, Int, Hex],
        "prlimit64" => &[Int, Int, Ptr, Ptr],
        "futex" => &[Ptr, Int, Int, Ptr, Ptr, Int],
        "sigaltstack" => &[Ptr, Ptr],
        "set_robust_list" => &[Ptr, Int],
        "socket" => &[Domain, SockType, Int],
        "socketpair" => &[Domain, SockType, Int, Ptr],
        "connect" | "bind" => &[Fd, SockAddr, Skip],
        "sendto" => &[Fd, Buf, Int, Hex, SockAddr, Skip],
        "accept" | "getsockname" | "getpeername" => &[Fd, Ptr, Ptr],
        "accept4" => &[Fd, Ptr, Ptr, Hex],
        "listen" | "shutdown" => &[Fd, Int],
        "recvfrom" => &[Fd, Ptr, Int, Hex, Ptr, Ptr],
        "sendmsg" | "recvmsg" => &[Fd, Ptr, Hex],
        "setsockopt" | "getsockopt" => &[Fd, Int, Int, Ptr, Int],
        _ if name.starts_with("get") => &[],
        _ => &[Hex, Hex, Hex, Hex, Hex, Hex],
    }
}

/// A flag set: names of single bits or of multi-bit values, in the order
/// QEMU prints them (`linux-user/strace.c`). A value of 0 names the empty
/// set (`PROT_NONE`).
type Flags = &'static [(u64, &'static str)];

/// `(value, "NAME")` pairs from `linux-raw-sys`. Its constants are the
/// host's (x86-64), and these are the guest's (riscv64): the two share the
/// asm-generic values of every constant named here (mman, fcntl, stat,
/// socket), so the host's numbers are the guest's. `CONST => "text"`
/// prints a name other than the constant's.
macro_rules! named {
    ($m:ident: $($c:ident $(=> $n:literal)?),* $(,)?) => { &[$(($m::$c as u64, named!(@name $c $($n)?))),*] };
    (@name $c:ident) => { stringify!($c) };
    (@name $c:ident $n:literal) => { $n };
}

const PROT: Flags = named!(lg: PROT_NONE, PROT_EXEC, PROT_READ, PROT_WRITE, PROT_GROWSDOWN, PROT_GROWSUP);

const MAP: Flags = named!(lg:
    MAP_SHARED,
    MAP_PRIVATE,
    MAP_FIXED,
    MAP_ANONYMOUS,
    MAP_GROWSDOWN,
    MAP_DENYWRITE,
    MAP_EXECUTABLE,
    MAP_LOCKED,
    MAP_NORESERVE,
    MAP_POPULATE,
    MAP_NONBLOCK,
    MAP_STACK,
    MAP_HUGETLB,
    MAP_FIXED_NOREPLACE,
);

const OPEN: Flags = named!(lg:
    O_CREAT,
    O_EXCL,
    O_NOCTTY,
    O_TRUNC,
    O_APPEND,
    O_NONBLOCK,
    O_SYNC,
    O_DSYNC,
    FASYNC => "O_ASYNC",
    O_DIRECT,
    O_LARGEFILE,
    O_TMPFILE,
    O_DIRECTORY,
    O_NOFOLLOW,
    O_NOATIME,
    O_CLOEXEC,
    O_PATH,
);

const AT: Flags = named!(lg: AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH);

const ACCESS: Flags = named!(lg: F_OK, R_OK, W_OK, X_OK);

/// The kernel defines `SOCK_CLOEXEC` and `SOCK_NONBLOCK` as the `O_` flags.
const SOCK_FLAGS: Flags = named!(lg: O_CLOEXEC => "SOCK_CLOEXEC", O_NONBLOCK => "SOCK_NONBLOCK");

/// Single values (not bit sets).
type Names = &'static [(u64, &'static str)];

const SIG_HOW: Names = named!(lg: SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK);

/// Address families, as QEMU names them (without `AF_`).
const DOMAINS: Names = named!(ln: AF_UNIX => "UNIX", AF_INET => "INET", AF_INET6 => "INET6", AF_NETLINK => "NETLINK", AF_PACKET => "PACKET");

const SOCK_TYPES: Names = named!(ln: SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET);

const S_IFMT: Names = named!(lg: S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO);

/// Signal names, index = riscv64 (generic) signal number.
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

/// The name of signal `sig` (`SIGSEGV`), or its number for real-time ones.
pub(crate) fn signal_name(sig: i32) -> String {
    usize::try_from(sig).ok().and_then(|i| SIGNAMES.get(i)).map_or_else(|| format!("SIGRT{sig}"), |n| n.to_string())
}

fn name_of(names: Names, v: u64) -> Option<&'static str> {
    names.iter().find(|&&(n, _)| n == v).map(|&(_, s)| s)
}

/// QEMU's `print_flags`: the names whose bits are all set, joined with `|`,
/// then what is left in hex; the zero name for an empty set.
fn flags(out: &mut String, table: Flags, v: u64) {
    if v == 0
        && let Some(&(_, zero)) = table.iter().find(|&&(bits, _)| bits == 0)
    {
        out.push_str(zero);
        return;
    }
    let mut rest = v;
    let mut sep = "";
    for &(bits, name) in table {
        if bits != 0 && rest & bits == bits {
            let _ = write!(out, "{sep}{name}");
            rest &= !bits;
            sep = "|";
        }
    }
    if rest != 0 || sep.is_empty() {
        out.push_str(sep);
        hex(out, rest);
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

/// C's `%#x` (QEMU's format for raw values): `0` without a prefix.
fn hex(out: &mut String, v: u64) {
    let _ = if v == 0 { write!(out, "0") } else { write!(out, "{v:#x}") };
}

/// C's `%#o` (modes): `0644`, and `0`.
fn octal(out: &mut String, v: u64) {
    let _ = if v == 0 { write!(out, "0") } else { write!(out, "0{v:o}") };
}

fn pointer(out: &mut String, v: u64) {
    if v == 0 {
        out.push_str("NULL");
    } else {
        let _ = write!(out, "{v:#018x}");
    }
}

/// QEMU's `print_sockaddr`: the address, then `", "` and its length.
fn sockaddr(out: &mut String, p: &Thread, addr: u64, len: u64) {
    let mut sa = vec![0u8; len.min(128) as usize];
    if addr == 0 || sa.len() < 2 || p.mem.read_bytes(addr, &mut sa).is_err() {
        let _ = write!(out, "{addr:#x}, {}", len as i64);
        return;
    }
    let family = u16::from_le_bytes([sa[0], sa[1]]);
    let port = |sa: &[u8]| sa.get(2..4).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    match (family, name_of(DOMAINS, u64::from(family))) {
        (1, _) => {
            let path = &sa[2..];
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            out.push_str("{sun_family=AF_UNIX,sun_path=");
            escape(out, &path[..end], false);
            out.push('}');
        }
        (2, _) if sa.len() >= 8 => {
            let _ = write!(
                out,
                "{{sin_family=AF_INET,sin_port=htons({}),sin_addr=inet_addr(\"{}.{}.{}.{}\")}}",
                port(&sa),
                sa[4],
                sa[5],
                sa[6],
                sa[7]
            );
        }
        (10, _) if sa.len() >= 24 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&sa[8..24]);
            let _ = write!(
                out,
                "{{sin6_family=AF_INET6,sin6_port=htons({}),sin6_addr=inet_pton(\"{}\")}}",
                port(&sa),
                std::net::Ipv6Addr::from(a)
            );
        }
        (16, _) if sa.len() >= 12 => {
            let word = |i: usize| u32::from_le_bytes([sa[i], sa[i + 1], sa[i + 2], sa[i + 3]]);
            let _ = write!(out, "{{nl_family=AF_NETLINK,nl_pid={},nl_groups={}}}", word(4), word(8));
        }
        _ => {
            let _ = write!(out, "{{sa_family={family}, sa_data={{");
            for (i, b) in sa.iter().skip(2).take(14).enumerate() {
                let _ = write!(out, "{}{b:02x}", if i > 0 { ", " } else { "" });
            }
            out.push_str("}}");
        }
    }
    let _ = write!(out, ", {}", len as i64);
}

/// A riscv64 (asm-generic, 128-byte) `struct stat`, the fields strace shows.
fn stat(out: &mut String, p: &Thread, addr: u64) -> bool {
    let mut b = [0u8; 128];
    if p.mem.read_bytes(addr, &mut b).is_err() {
        return false;
    }
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or([0; 4]));
    let mode = u64::from(u32_at(16));
    let _ = write!(out, "{{st_dev={:#x},st_ino={},st_mode=", u64_at(0), u64_at(8));
    match name_of(S_IFMT, mode & 0o170000) {
        Some(kind) => {
            let _ = write!(out, "{kind}|");
            octal(out, mode & 0o7777);
        }
        None => octal(out, mode),
    }
    let _ = write!(
        out,
        ",st_nlink={},st_uid={},st_gid={},st_size={},...}}",
        u32_at(20),
        u32_at(24),
        u32_at(28),
        u64_at(48) as i64
    );
    true
}

/// A call being traced: its line so far, and a structure to decode into
/// it once the call has filled it in.
pub(super) struct Pending {
    line: String,
    /// Where in `line` the structure's address stands, and the address.
    out: Option<(Range<usize>, u64)>,
}

/// Formats the call (before it runs, so that arguments are seen as the
/// guest passed them).
pub(super) fn before(p: &Thread, n: u64, a: &[u64; 6]) -> Pending {
    let name = nr::name(n).map_or_else(|| format!("syscall_{n}"), str::to_string);
    let mut line = format!("{name}(");
    let mut out = None;
    let sig = signature(&name);
    let mut first = true;
    for (i, &kind) in sig.iter().enumerate() {
        let Some(&v) = a.get(i) else { break };
        let next = a.get(i + 1).copied().unwrap_or(0);
        if kind == Arg::Skip || kind == Arg::Mode && i > 0 && sig[i - 1] == Arg::OFlags && a[i - 1] & 0o20000100 == 0 {
            continue;
        }
        if !first {
            line.push(',');
        }
        first = false;
        match kind {
            Arg::Int => {
                let _ = write!(line, "{}", v as i64);
            }
            Arg::Hex => hex(&mut line, v),
            Arg::Ptr => pointer(&mut line, v),
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
                let len = next.min(64) as usize;
                let mut buf = vec![0u8; len];
                if p.mem.read_bytes(v, &mut buf).is_ok() {
                    escape(&mut line, &buf, next > 64);
                } else {
                    let _ = write!(line, "{v:#x}");
                }
            }
            Arg::OFlags => {
                line.push_str(["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][(v & 3) as usize]);
                if v & !3 != 0 {
                    line.push('|');
                    flags(&mut line, OPEN, v & !3);
                }
            }
            Arg::Mode => octal(&mut line, v),
            Arg::Sig => match SIGNAMES.get(v as usize) {
                Some(s) if v > 0 => line.push_str(s),
                _ => {
                    let _ = write!(line, "{}", v as i64);
                }
            },
            Arg::Prot => flags(&mut line, PROT, v),
            Arg::MapFlags => flags(&mut line, MAP, v),
            Arg::AtFlags => flags(&mut line, AT, v),
            Arg::Access => flags(&mut line, ACCESS, v),
            Arg::SigHow => match name_of(SIG_HOW, v) {
                Some(s) => line.push_str(s),
                None => {
                    let _ = write!(line, "{v}");
                }
            },
            Arg::Domain => match name_of(DOMAINS, v) {
                Some(s) => {
                    let _ = write!(line, "PF_{s}");
                }
                None => {
                    let _ = write!(line, "{v}");
                }
            },
            Arg::SockType => {
                match name_of(SOCK_TYPES, v & 0xf) {
                    Some(s) => line.push_str(s),
                    None => {
                        let _ = write!(line, "{}", v & 0xf);
                    }
                }
                if v & !0xf != 0 {
                    line.push('|');
                    flags(&mut line, SOCK_FLAGS, v & !0xf);
                }
            }
            Arg::SockAddr => sockaddr(&mut line, p, v, next),
            Arg::StatOut => {
                let start = line.len();
                pointer(&mut line, v);
                out = Some((start..line.len(), v));
            }
            Arg::Skip => {}
        }
    }
    line.push(')');
    Pending { line, out }
}

/// The text of a host errno, as `strerror` gives it.
fn strerror(errno: i32) -> String {
    // A call a signal interrupted shows the kernel's restart code before
    // the restart logic turns it into a restart or EINTR; QEMU prints
    // `errno=512 (To be restarted)` for it.
    match errno {
        512 => return "To be restarted".to_string(),
        514 => return "To be restarted if no handler".to_string(),
        _ => {}
    }
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.strip_suffix(&format!(" (os error {errno})")) {
        Some(s) => s.to_string(),
        None => text,
    }
}

/// Adds what the call filled in and its result, and prints the line.
pub(super) fn finish(p: &Thread, n: u64, pending: Pending, result: Option<&SysResult>) {
    let Pending { mut line, out } = pending;
    if let (Some((range, addr)), Some(Ok(_))) = (out, result) {
        let mut text = String::new();
        if stat(&mut text, p, addr) {
            line.replace_range(range, &text);
        }
    }
    match result {
        // Addresses, as QEMU's `print_syscall_ret_addr`.
        Some(Ok(v)) if matches!(n, nr::MMAP | nr::BRK | nr::MREMAP) => {
            let _ = write!(line, " = {v:#018x}");
        }
        Some(Ok(v)) => {
            let _ = write!(line, " = {}", *v as i64);
        }
        Some(Err(e)) => {
            let _ = write!(line, " = -1 errno={} ({})", e.raw_os_error(), strerror(e.raw_os_error()));
        }
        None => {}
    }
    // The thread id (the pid in a single-threaded process, as QEMU shows
    // it), taken now: after a fork, the child's line shows the child.
    let line = format!("{} {line}", rustix::thread::gettid().as_raw_nonzero());
    // A `ferrovm::strace` event, which the CLI writes as is; with no
    // subscriber at all (a library user), straight to stderr.
    if tracing::dispatcher::has_been_set() {
        tracing::info!(target: ferrovm_engine::log::target::STRACE, "{line}");
    } else {
        let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_codes_are_named_as_qemu_names_them() {
        assert_eq!(strerror(512), "To be restarted");
        assert_eq!(strerror(514), "To be restarted if no handler");
        assert_eq!(strerror(4), "Interrupted system call");
    }

    fn f(table: Flags, v: u64) -> String {
        let mut s = String::new();
        flags(&mut s, table, v);
        s
    }

    #[test]
    fn flag_sets_print_as_qemu_does() {
        assert_eq!(f(PROT, 0), "PROT_NONE");
        assert_eq!(f(PROT, 5), "PROT_EXEC|PROT_READ");
        assert_eq!(f(PROT, 3), "PROT_READ|PROT_WRITE");
        assert_eq!(f(MAP, 0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(f(MAP, 0x802), "MAP_PRIVATE|MAP_DENYWRITE");
        assert_eq!(f(AT, 0x1000), "AT_EMPTY_PATH");
        assert_eq!(f(AT, 0), "0");
        assert_eq!(f(AT, 0x1201), "AT_EACCESS|AT_EMPTY_PATH|0x1");
        assert_eq!(f(ACCESS, 4), "R_OK");
        assert_eq!(f(OPEN, 0o2000000), "O_CLOEXEC");
        assert_eq!(f(OPEN, 0o4010000), "O_SYNC");
    }

    #[test]
    fn errno_text_is_strerror() {
        assert_eq!(strerror(2), "No such file or directory");
        assert_eq!(strerror(38), "Function not implemented");
    }
}
