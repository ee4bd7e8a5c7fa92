//! Socket system calls for `AF_UNIX`, `AF_INET`, `AF_INET6` and
//! `AF_NETLINK`: host sockets behind guest descriptors.
//!
//! Layouts: every socket structure the guest passes (`sockaddr_*`,
//! `msghdr`, `mmsghdr`, `cmsghdr`, `linger`, `ucred`, `struct timeval` of
//! `SO_RCVTIMEO`/`SO_SNDTIMEO`, `ip_mreqn`, `group_req`, ...) has the same
//! bytes on riscv64 as on the x86-64 host (both LP64 little-endian with
//! natural alignment; `linux-raw-sys`'s `net.rs` for the two differs only
//! in the legacy 16-bit uid types, and the `SOL_*`/`SO_*`/`SCM_*` numbers
//! are `asm-generic`'s on both). What needs translating is what holds a
//! guest pointer or a guest descriptor:
//!
//! * `msghdr`/`mmsghdr`/iovecs: read from guest memory, data gathered into
//!   and scattered from host buffers;
//! * `SCM_RIGHTS`: guest descriptors become host ones on send; received host
//!   descriptors are installed in the guest table and their guest numbers
//!   written back (`MSG_CMSG_CLOEXEC` is always asked of the host, so
//!   ferrovm's copies never leak into an exec'd program);
//! * socket options: `SO_ATTACH_FILTER`/`SO_ATTACH_REUSEPORT_CBPF` (a
//!   `sock_fprog` holds a pointer), `SO_ATTACH_BPF`/`..._EBPF` (a
//!   descriptor), `SO_PEERPIDFD` (returns one). Option levels other than
//!   socket, IP, IPv6, TCP, UDP(-Lite), raw, ICMPv6 and netlink are
//!   `ENOPROTOOPT`, and so are the netfilter/IPVS ranges of the IP levels
//!   and `TCP_ZEROCOPY_RECEIVE`, whose structures hold kernel-visible
//!   pointers ferrovm would have to rewrite.
//!
//! Confined mode (`--root`): an `AF_UNIX` path names a file, so it is
//! resolved inside the root like any other path: `bind` creates the socket
//! in a directory opened inside the root (the host name is
//! `/proc/self/fd/N/NAME`), `connect`/`sendto`/`sendmsg` reach the socket
//! file through a descriptor opened inside the root (`/proc/self/fd/N`).
//! Names coming back (`getsockname`, `getpeername`, `accept`, `recvfrom`)
//! are the guest's own: the name a socket was bound or connected with, a
//! host path inside the root without the root's prefix, or else the host
//! name (never one that shows where the root is).

use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Instant;

use linux_raw_sys::net as ln;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::io::{gather_vecs, iovecs, scatter};
use super::{SysResult, efault};
use crate::host;
use crate::signal::{SigInfo, Signal};
use crate::thread::Thread;
use crate::vfs::AT_FDCWD;

/// `sizeof(struct sockaddr_storage)`: the longest address.
const SOCKADDR_MAX: usize = 128;
/// `offsetof(struct sockaddr_un, sun_path)`.
const SUN_PATH: usize = 2;
/// Largest control buffer accepted (the kernel's `optmem_max` is of this
/// order; more is `ENOBUFS`).
const CONTROL_MAX: u64 = 1 << 16;
/// Largest socket option value copied.
const OPT_MAX: u64 = 1 << 16;
/// Largest single transfer (`MAX_RW_COUNT`).
const MAX_RW: u64 = 0x7fff_f000;
/// `sizeof(struct msghdr)` and `sizeof(struct mmsghdr)` on riscv64.
const MSGHDR: u64 = 56;
const MMSGHDR: u64 = 64;
/// `sizeof(struct cmsghdr)` (`cmsg_len` is a `size_t`).
const CMSGHDR: usize = 16;
/// `sizeof(struct ifreq)` on 64-bit Linux: `IFNAMSIZ` (16) and a 24-byte
/// union (`linux-raw-sys`'s bindgen `ifreq` is larger: it must not be used
/// for the size, or the guest's neighbouring memory would be overwritten).
const IFREQ: usize = 40;
/// Most messages in one `sendmmsg`/`recvmmsg` (`UIO_MAXIOV`).
const MMSG_MAX: u64 = 1024;

const AF_UNIX: u16 = ln::AF_UNIX as u16;
const SOCK_TYPE_MASK: u64 = 0xf;
const SOCK_NONBLOCK: u64 = OFlags::NONBLOCK.bits() as u64;
const SOCK_CLOEXEC: u64 = OFlags::CLOEXEC.bits() as u64;
const MSG_NOSIGNAL: i32 = ln::MSG_NOSIGNAL as i32;
const MSG_CMSG_CLOEXEC: i32 = ln::MSG_CMSG_CLOEXEC as i32;
const MSG_CTRUNC: i32 = ln::MSG_CTRUNC as i32;
const MSG_DONTWAIT: i32 = ln::MSG_DONTWAIT as i32;
/// `MSG_WAITFORONE` (`linux/socket.h`; not in `linux-raw-sys`).
const MSG_WAITFORONE: i32 = 0x10000;
const SOL_SOCKET: i32 = ln::SOL_SOCKET as i32;
const SCM_RIGHTS: i32 = ln::SCM_RIGHTS as i32;

/// Names of confined-mode `AF_UNIX` sockets, so that the guest gets back
/// the names it gave: by (socket inode, peer?) the host path the kernel
/// reports (`None`: any `/proc/self/fd/` one) and the guest's address.
#[derive(Debug, Default)]
pub(crate) struct NetState {
    unix_names: std::sync::Mutex<UnixNames>,
}

/// See [`NetState`].
pub(crate) type UnixNames = HashMap<(u64, bool), (Option<Vec<u8>>, Vec<u8>)>;

impl NetState {
    /// The names (a leaf lock: nothing else is locked while it is held).
    pub(crate) fn names(&self) -> std::sync::MutexGuard<'_, UnixNames> {
        self.unix_names.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

fn read_u32(p: &Thread, addr: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 4];
    p.mem.read_bytes(addr, &mut b).map_err(efault)?;
    Ok(u32::from_le_bytes(b))
}

fn sock_inode(fd: &OwnedFd) -> Option<u64> {
    rustix::fs::fstat(fd).ok().map(|st| st.st_ino)
}

/// Reads a guest socket address of `len` bytes (`EINVAL` past
/// `sockaddr_storage`, as Linux's `move_addr_to_kernel`).
fn read_sockaddr(p: &Thread, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = len & 0xffff_ffff;
    if len as usize > SOCKADDR_MAX {
        return Err(Errno::INVAL);
    }
    let mut b = vec![0u8; len as usize];
    p.mem.read_bytes(addr, &mut b).map_err(efault)?;
    Ok(b)
}

/// The path of an `AF_UNIX` address that names a file (not unnamed, not
/// abstract).
fn unix_path(name: &[u8]) -> Option<&[u8]> {
    if name.len() <= SUN_PATH || u16::from_le_bytes([name[0], name[1]]) != AF_UNIX || name[SUN_PATH] == 0 {
        return None;
    }
    let path = &name[SUN_PATH..];
    Some(path.iter().position(|&b| b == 0).map_or(path, |n| &path[..n]))
}

fn unix_addr(path: &[u8]) -> Vec<u8> {
    let mut b = AF_UNIX.to_le_bytes().to_vec();
    b.extend_from_slice(path);
    b.push(0);
    b
}

/// A guest address ready for the host, with what keeps it valid.
struct HostName {
    bytes: Vec<u8>,
    /// The directory or socket file the name reaches through `/proc/self/fd`.
    _held: Option<OwnedFd>,
    /// The guest's own address, when it was rewritten.
    guest: Option<Vec<u8>>,
}

/// Makes a guest address a host one: in confined mode an `AF_UNIX` path is
/// resolved inside the root (`create`: the parent directory, for `bind`;
/// otherwise the socket file itself).
fn host_name(p: &Thread, name: Vec<u8>, create: bool) -> Result<HostName, Errno> {
    let Some(path) = unix_path(&name) else { return Ok(HostName { bytes: name, _held: None, guest: None }) };
    let vfs = p.vfs();
    if vfs.root.is_none() {
        return Ok(HostName { bytes: name, _held: None, guest: None });
    }
    let cpath = CString::new(path).map_err(|_| Errno::INVAL)?;
    let (held, host_path) = if create {
        let (dir, last) = vfs.at(&p.fds(), AT_FDCWD, &cpath)?;
        let crate::vfs::Dir::Owned(dir) = dir else { return Err(Errno::NOENT) };
        let mut hp = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
        hp.extend_from_slice(last.to_bytes());
        (dir, hp)
    } else {
        let f = vfs.open(&p.fds(), AT_FDCWD, &cpath, OFlags::PATH, Mode::empty())?;
        let hp = format!("/proc/self/fd/{}", f.as_raw_fd()).into_bytes();
        (f, hp)
    };
    // sun_path holds 108 bytes with the terminating NUL.
    if host_path.len() >= SOCKADDR_MAX - 20 {
        return Err(Errno::NAMETOOLONG);
    }
    Ok(HostName { bytes: unix_addr(&host_path), _held: Some(held), guest: Some(unix_addr(path)) })
}

/// The guest's view of a host address `name` of socket `sock` (`peer`:
/// the other end's).
fn guest_name(p: &Thread, sock: &OwnedFd, name: &[u8], peer: bool) -> Vec<u8> {
    let Some(path) = unix_path(name) else { return name.to_vec() };
    let vfs = p.vfs();
    let Some(root) = &vfs.root else { return name.to_vec() };
    if let Some(ino) = sock_inode(sock)
        && let Some((host, guest)) = p.proc.net.names().get(&(ino, peer))
    {
        let matches = match host {
            Some(h) => h.as_slice() == path,
            None => path.starts_with(b"/proc/self/fd/"),
        };
        if matches {
            return guest.clone();
        }
    }
    let prefix = root.host.as_os_str().as_encoded_bytes();
    match path.strip_prefix(prefix) {
        Some(rest) if rest.starts_with(b"/") => unix_addr(rest),
        Some([]) => unix_addr(b"/"),
        _ => name.to_vec(),
    }
}

/// Writes address `name` to a guest `(addr, addrlen)` pair: truncated to
/// the guest's buffer, the full length stored in `*addrlen`.
fn put_name(p: &Thread, addr: u64, lenp: u64, name: &[u8]) -> Result<(), Errno> {
    if addr == 0 || lenp == 0 {
        return Ok(());
    }
    let room = read_u32(p, lenp)?;
    if (room as i32) < 0 {
        return Err(Errno::INVAL);
    }
    let n = name.len().min(room as usize);
    p.mem.write_bytes(addr, &name[..n]).map_err(efault)?;
    p.mem.write_bytes(lenp, &(name.len() as u32).to_le_bytes()).map_err(efault)
}

fn sock_flags(raw: u64) -> Result<(rustix::net::SocketFlags, bool), Errno> {
    if raw & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::INVAL);
    }
    let mut f = rustix::net::SocketFlags::CLOEXEC;
    if raw & SOCK_NONBLOCK != 0 {
        f |= rustix::net::SocketFlags::NONBLOCK;
    }
    Ok((f, raw & SOCK_CLOEXEC != 0))
}

/// The families ferrovm offers (`EAFNOSUPPORT` for the others, as Linux
/// answers a family it was built without).
fn family(domain: u64) -> Result<rustix::net::AddressFamily, Errno> {
    match u32::try_from(domain).map_err(|_| Errno::AFNOSUPPORT)? {
        d @ (ln::AF_UNIX | ln::AF_INET | ln::AF_INET6 | ln::AF_NETLINK) => {
            Ok(rustix::net::AddressFamily::from_raw(d as u16))
        }
        _ => Err(Errno::AFNOSUPPORT),
    }
}

fn socket_args(
    domain: u64,
    ty: u64,
    protocol: u64,
) -> Result<
    (
        rustix::net::AddressFamily,
        rustix::net::SocketType,
        rustix::net::SocketFlags,
        Option<rustix::net::Protocol>,
        bool,
    ),
    Errno,
> {
    let domain = family(domain & 0xffff_ffff)?;
    let ty = ty & 0xffff_ffff;
    let (flags, cloexec) = sock_flags(ty & !SOCK_TYPE_MASK)?;
    let kind = rustix::net::SocketType::from_raw((ty & SOCK_TYPE_MASK) as u32);
    let protocol = std::num::NonZeroU32::new(protocol as u32).map(rustix::net::Protocol::from_raw);
    Ok((domain, kind, flags, protocol, cloexec))
}

pub(crate) fn socket(p: &mut Thread, domain: u64, ty: u64, protocol: u64) -> SysResult {
    let (domain, kind, flags, protocol, cloexec) = socket_args(domain, ty, protocol)?;
    let fd = rustix::net::socket_with(domain, kind, flags, protocol)?;
    p.fds().insert(fd, cloexec)
}

pub(crate) fn socketpair(p: &mut Thread, domain: u64, ty: u64, protocol: u64, sv: u64) -> SysResult {
    let (domain, kind, flags, protocol, cloexec) = socket_args(domain, ty, protocol)?;
    if !p.mem.perms(sv).write() || !p.mem.perms(sv.wrapping_add(7)).write() {
        return Err(Errno::FAULT);
    }
    let (a, b) = rustix::net::socketpair(domain, kind, flags, protocol)?;
    let fa = p.fds().insert(a, cloexec)?;
    let fb = match p.fds().insert(b, cloexec) {
        Ok(f) => f,
        Err(e) => {
            let _ = p.fds().close(fa);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&(fa as u32).to_le_bytes());
    out[4..].copy_from_slice(&(fb as u32).to_le_bytes());
    p.mem.write_bytes(sv, &out).map_err(efault)?;
    Ok(0)
}

pub(crate) fn bind(p: &mut Thread, fd: u64, addr: u64, len: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let name = host_name(p, read_sockaddr(p, addr, len)?, true)?;
    host::net::bind(file.as_fd(), &name.bytes)?;
    if let (Some(guest), Some(ino)) = (name.guest, sock_inode(&file)) {
        let host_path = unix_path(&name.bytes).map(<[u8]>::to_vec);
        p.proc.net.names().insert((ino, false), (host_path, guest));
    }
    Ok(0)
}

pub(crate) fn listen(p: &mut Thread, fd: u64, backlog: u64) -> SysResult {
    rustix::net::listen(p.fds().get(fd)?, backlog as i32)?;
    Ok(0)
}

pub(crate) fn connect(p: &mut Thread, fd: u64, addr: u64, len: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let name = host_name(p, read_sockaddr(p, addr, len)?, false)?;
    p.blocking(|kick| host::net::connect(kick, file.as_fd(), &name.bytes))?;
    if let (Some(guest), Some(ino)) = (name.guest, sock_inode(&file)) {
        p.proc.net.names().insert((ino, true), (None, guest));
    }
    Ok(0)
}

pub(crate) fn accept4(p: &mut Thread, fd: u64, addr: u64, lenp: u64, flags: u64) -> SysResult {
    let (host_flags, cloexec) = sock_flags(flags & 0xffff_ffff)?;
    let file = p.fds().get(fd)?;
    if addr != 0 && (lenp == 0 || (read_u32(p, lenp)? as i32) < 0) {
        return Err(if lenp == 0 { Errno::FAULT } else { Errno::INVAL });
    }
    let mut name = [0u8; SOCKADDR_MAX];
    let (new, n) = p.blocking(|kick| host::net::accept4(kick, file.as_fd(), &mut name, host_flags.bits() as i32))?;
    let peer = guest_name(p, &new, name.get(..n as usize).unwrap_or(&name), true);
    // The accepted socket's own name is the listener's.
    if let (Some(l), Some(a)) = (sock_inode(&file), sock_inode(&new)) {
        let mut names = p.proc.net.names();
        if let Some(own) = names.get(&(l, false)).cloned() {
            names.insert((a, false), own);
        }
    }
    let guest_fd = p.fds().insert(new, cloexec)?;
    if let Err(e) = put_name(p, addr, lenp, &peer) {
        let _ = p.fds().close(guest_fd);
        return Err(e);
    }
    Ok(guest_fd)
}

fn sockname(p: &mut Thread, fd: u64, addr: u64, lenp: u64, peer: bool) -> SysResult {
    let file = p.fds().get(fd)?;
    if (read_u32(p, lenp)? as i32) < 0 {
        return Err(Errno::INVAL);
    }
    let mut name = [0u8; SOCKADDR_MAX];
    let n = host::net::sockname(file.as_fd(), peer, &mut name)?;
    let guest = guest_name(p, &file, name.get(..n as usize).unwrap_or(&name), peer);
    put_name(p, addr, lenp, &guest)?;
    Ok(0)
}

pub(crate) fn getsockname(p: &mut Thread, fd: u64, addr: u64, lenp: u64) -> SysResult {
    sockname(p, fd, addr, lenp, false)
}

pub(crate) fn getpeername(p: &mut Thread, fd: u64, addr: u64, lenp: u64) -> SysResult {
    sockname(p, fd, addr, lenp, true)
}

pub(crate) fn shutdown(p: &mut Thread, fd: u64, how: u64) -> SysResult {
    let how = match how {
        0 => rustix::net::Shutdown::Read,
        1 => rustix::net::Shutdown::Write,
        2 => rustix::net::Shutdown::Both,
        _ => return Err(Errno::INVAL),
    };
    rustix::net::shutdown(p.fds().get(fd)?, how)?;
    Ok(0)
}

/// A send that hit a broken stream raises SIGPIPE unless `MSG_NOSIGNAL`
/// (the host call always has `MSG_NOSIGNAL`: the signal is the guest's).
fn sigpipe(p: &mut Thread, flags: i32, r: Result<usize, Errno>) -> SysResult {
    if r == Err(Errno::PIPE) && flags & MSG_NOSIGNAL == 0 {
        p.raise(SigInfo::kernel(Signal::SIGPIPE));
    }
    Ok(r? as u64)
}

/// A guest control buffer for the host: `SCM_RIGHTS` descriptors replaced
/// by host ones (held in `files` for the call).
fn control_out(p: &Thread, raw: &[u8], files: &mut Vec<Arc<OwnedFd>>) -> Result<Vec<u8>, Errno> {
    let mut out = raw.to_vec();
    let mut off = 0usize;
    while off + CMSGHDR <= raw.len() {
        let len = usize::try_from(le_u64(raw, off)).map_err(|_| Errno::INVAL)?;
        if len < CMSGHDR || len > raw.len() - off {
            return Err(Errno::INVAL);
        }
        let (level, ty) = (le_u32(raw, off + 8) as i32, le_u32(raw, off + 12) as i32);
        if level == SOL_SOCKET && ty == SCM_RIGHTS {
            for at in (off + CMSGHDR..off + len).step_by(4).take_while(|at| at + 4 <= off + len) {
                let f = p.fds().get(u64::from(le_u32(raw, at)))?;
                out[at..at + 4].copy_from_slice(&f.as_raw_fd().to_le_bytes());
                files.push(f);
            }
        }
        off += len.next_multiple_of(8);
    }
    Ok(out)
}

/// A host control buffer for the guest: received host descriptors are
/// installed in the guest table (`cloexec` as the guest asked) and their
/// guest numbers written in their place. Descriptors that do not fit the
/// table are closed and `MSG_CTRUNC` is returned (as when the kernel cannot
/// install them).
fn control_in(p: &Thread, raw: &mut [u8], cloexec: bool) -> i32 {
    let mut extra = 0;
    let mut off = 0usize;
    while off + CMSGHDR <= raw.len() {
        let len = usize::try_from(le_u64(raw, off)).unwrap_or(usize::MAX);
        if len < CMSGHDR || len > raw.len() - off {
            break;
        }
        let (level, ty) = (le_u32(raw, off + 8) as i32, le_u32(raw, off + 12) as i32);
        if level == SOL_SOCKET && ty == SCM_RIGHTS {
            for at in (off + CMSGHDR..off + len).step_by(4).take_while(|at| at + 4 <= off + len) {
                let hostfd = le_u32(raw, at) as i32;
                let guest = host::net::adopt_new_fd(hostfd).map(|f| p.fds().insert(f, cloexec));
                match guest {
                    Some(Ok(g)) => raw[at..at + 4].copy_from_slice(&(g as u32).to_le_bytes()),
                    _ => {
                        raw[at..at + 4].copy_from_slice(&(-1i32).to_le_bytes());
                        extra = MSG_CTRUNC;
                    }
                }
            }
        }
        off += len.next_multiple_of(8);
    }
    extra
}

/// A guest `struct msghdr`.
#[derive(Debug, Clone, Copy)]
struct MsgHdr {
    name: u64,
    namelen: u64,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn read_msghdr(p: &Thread, addr: u64) -> Result<MsgHdr, Errno> {
    let mut b = [0u8; MSGHDR as usize];
    p.mem.read_bytes(addr, &mut b).map_err(efault)?;
    Ok(MsgHdr {
        name: le_u64(&b, 0),
        namelen: u64::from(le_u32(&b, 8)),
        iov: le_u64(&b, 16),
        iovlen: le_u64(&b, 24),
        control: le_u64(&b, 32),
        controllen: le_u64(&b, 40),
    })
}

/// `sendmsg` of one guest `msghdr` at `addr`.
fn send_one(p: &mut Thread, file: &OwnedFd, addr: u64, flags: i32) -> SysResult {
    let m = read_msghdr(p, addr)?;
    let name = if m.name != 0 && m.namelen != 0 {
        Some(host_name(p, read_sockaddr(p, m.name, m.namelen)?, false)?)
    } else {
        None
    };
    let data = gather_vecs(p, &iovecs(p, m.iov, m.iovlen)?)?;
    if m.controllen > CONTROL_MAX {
        return Err(Errno::NOBUFS);
    }
    let mut raw = vec![0u8; if m.control == 0 { 0 } else { m.controllen as usize }];
    p.mem.read_bytes(m.control, &mut raw).map_err(efault)?;
    let mut held = Vec::new();
    let control = control_out(p, &raw, &mut held)?;
    let name = name.as_ref().map_or(&[][..], |n| n.bytes.as_slice());
    let r = p.blocking(|kick| host::net::sendmsg(kick, file.as_fd(), name, &data, &control, flags | MSG_NOSIGNAL));
    sigpipe(p, flags, r)
}

/// `recvmsg` into one guest `msghdr` at `addr` (its lengths and flags
/// updated): the byte count.
fn recv_one(p: &mut Thread, file: &OwnedFd, addr: u64, flags: i32) -> SysResult {
    let m = read_msghdr(p, addr)?;
    let vecs = iovecs(p, m.iov, m.iovlen)?;
    let total = vecs.iter().map(|v| v.1).fold(0u64, u64::saturating_add).min(MAX_RW);
    let mut data = vec![0u8; total as usize];
    let mut name = vec![0u8; if m.name != 0 { SOCKADDR_MAX } else { 0 }];
    let mut control = vec![0u8; if m.control != 0 { m.controllen.min(CONTROL_MAX) as usize } else { 0 }];
    let r = p.blocking(|kick| {
        host::net::recvmsg(kick, file.as_fd(), &mut name, &mut data, &mut control, flags | MSG_CMSG_CLOEXEC)
    })?;
    let clen = r.control_len.min(control.len());
    let extra = control_in(p, &mut control[..clen], flags & MSG_CMSG_CLOEXEC != 0);
    scatter(p, &vecs, &data[..r.len.min(data.len())])?;
    if m.name != 0 {
        let guest = guest_name(p, file, &name[..(r.name_len as usize).min(name.len())], true);
        let n = guest.len().min(m.namelen as usize);
        p.mem.write_bytes(m.name, &guest[..n]).map_err(efault)?;
        p.mem.write_bytes(addr + 8, &(guest.len() as u32).to_le_bytes()).map_err(efault)?;
    } else {
        p.mem.write_bytes(addr + 8, &0u32.to_le_bytes()).map_err(efault)?;
    }
    if r.control_len > 0 {
        p.mem.write_bytes(m.control, &control[..r.control_len.min(control.len())]).map_err(efault)?;
    }
    p.mem.write_bytes(addr + 40, &(r.control_len as u64).to_le_bytes()).map_err(efault)?;
    p.mem.write_bytes(addr + 48, &(r.flags | extra).to_le_bytes()).map_err(efault)?;
    Ok(r.len as u64)
}

pub(crate) fn sendmsg(p: &mut Thread, fd: u64, msg: u64, flags: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    send_one(p, &file, msg, flags as i32)
}

pub(crate) fn recvmsg(p: &mut Thread, fd: u64, msg: u64, flags: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    recv_one(p, &file, msg, flags as i32)
}

pub(crate) fn sendto(p: &mut Thread, fd: u64, buf: u64, len: u64, flags: u64, addr: u64, alen: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let mut data = vec![0u8; len.min(MAX_RW) as usize];
    p.mem.read_bytes(buf, &mut data).map_err(efault)?;
    let name = if addr != 0 { Some(host_name(p, read_sockaddr(p, addr, alen)?, false)?) } else { None };
    let name = name.as_ref().map_or(&[][..], |n| n.bytes.as_slice());
    let flags = flags as i32;
    let r = p.blocking(|kick| host::net::sendmsg(kick, file.as_fd(), name, &data, &[], flags | MSG_NOSIGNAL));
    sigpipe(p, flags, r)
}

pub(crate) fn recvfrom(p: &mut Thread, fd: u64, buf: u64, len: u64, flags: u64, addr: u64, lenp: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let mut data = vec![0u8; len.min(MAX_RW) as usize];
    super::io::check_writable(p, buf, data.len())?;
    if addr != 0 && (read_u32(p, lenp)? as i32) < 0 {
        return Err(Errno::INVAL);
    }
    let mut name = vec![0u8; if addr != 0 { SOCKADDR_MAX } else { 0 }];
    let r = p.blocking(|kick| host::net::recvmsg(kick, file.as_fd(), &mut name, &mut data, &mut [], flags as i32))?;
    p.mem.write_bytes(buf, &data[..r.len.min(data.len())]).map_err(efault)?;
    if addr != 0 {
        let guest = guest_name(p, &file, &name[..(r.name_len as usize).min(name.len())], true);
        put_name(p, addr, lenp, &guest)?;
    }
    Ok(r.len as u64)
}

pub(crate) fn sendmmsg(p: &mut Thread, fd: u64, vec: u64, n: u64, flags: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let mut done = 0u64;
    for i in 0..(n & 0xffff_ffff).min(MMSG_MAX) {
        let at = vec.wrapping_add(i * MMSGHDR);
        match send_one(p, &file, at, flags as i32) {
            Ok(sent) => {
                p.mem.write_bytes(at + MSGHDR, &(sent as u32).to_le_bytes()).map_err(efault)?;
                done += 1;
            }
            // Linux returns the count once one message went.
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

pub(crate) fn recvmmsg(p: &mut Thread, fd: u64, vec: u64, n: u64, flags: u64, timeout: u64) -> SysResult {
    let file = p.fds().get(fd)?;
    let deadline = if timeout != 0 { Some(Instant::now() + super::misc::read_timespec(p, timeout)?) } else { None };
    let mut flags = flags as i32;
    let mut done = 0u64;
    for i in 0..(n & 0xffff_ffff).min(MMSG_MAX) {
        let at = vec.wrapping_add(i * MMSGHDR);
        match recv_one(p, &file, at, flags & !MSG_WAITFORONE) {
            Ok(got) => {
                p.mem.write_bytes(at + MSGHDR, &(got as u32).to_le_bytes()).map_err(efault)?;
                done += 1;
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        if flags & MSG_WAITFORONE != 0 {
            flags |= MSG_DONTWAIT;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    if let Some(d) = deadline
        && timeout != 0
    {
        let left = d.saturating_duration_since(Instant::now());
        super::put_u64s(p, timeout, &[left.as_secs(), u64::from(left.subsec_nanos())])?;
    }
    Ok(done)
}

/// Socket `ioctl`s (`None`: not one of them). Their arguments are
/// `struct ifreq` (40 bytes, no pointers), an `int`, a `struct timeval` or
/// `timespec`, all laid out alike on both architectures, and
/// `SIOCGIFCONF`'s `struct ifconf`, whose buffer pointer is replaced.
pub(crate) fn ioctl(p: &mut Thread, file: &OwnedFd, request: u64, arg: u64) -> Option<SysResult> {
    use linux_raw_sys::ioctl as io;
    let request = request as u32;
    let size = match request {
        io::SIOCGIFNAME
        | io::SIOCGIFFLAGS
        | io::SIOCGIFADDR
        | io::SIOCGIFDSTADDR
        | io::SIOCGIFBRDADDR
        | io::SIOCGIFNETMASK
        | io::SIOCGIFMETRIC
        | io::SIOCGIFMTU
        | io::SIOCGIFHWADDR
        | io::SIOCGIFINDEX
        | io::SIOCGIFTXQLEN
        | io::SIOCGIFMAP => IFREQ,
        io::SIOCATMARK => 4,
        // SIOCGSTAMPNS_OLD (0x8907) is not in linux-raw-sys.
        io::SIOCGSTAMP | 0x8907 | io::SIOCGSTAMP_NEW | io::SIOCGSTAMPNS_NEW => 16,
        io::SIOCGIFCONF => return Some(ifconf(p, file, arg)),
        _ => return None,
    };
    let mut buf = vec![0u8; size];
    Some((|| {
        p.mem.read_bytes(arg, &mut buf).map_err(efault)?;
        let r = host::net::ioctl_buf(file.as_fd(), request, &mut buf)?;
        p.mem.write_bytes(arg, &buf).map_err(efault)?;
        Ok(r as u64)
    })())
}

/// `SIOCGIFCONF`: `struct ifconf { int ifc_len; char *ifc_buf; }`.
fn ifconf(p: &Thread, file: &OwnedFd, arg: u64) -> SysResult {
    let [len, ptr] = super::get_u64s::<2>(p, arg)?;
    let len = (len & 0xffff_ffff) as i32;
    let mut host = vec![0u8; if ptr == 0 { 0 } else { (len.max(0) as u64).min(OPT_MAX) as usize }];
    let mut conf = [0u8; 16];
    conf[..4].copy_from_slice(&(host.len() as i32).to_le_bytes());
    if ptr != 0 {
        conf[8..].copy_from_slice(&(host.as_mut_ptr() as u64).to_le_bytes());
    }
    host::net::ioctl_buf(file.as_fd(), linux_raw_sys::ioctl::SIOCGIFCONF, &mut conf)?;
    let got = (le_u32(&conf, 0) as usize).min(if ptr == 0 { usize::MAX } else { host.len() });
    if ptr != 0 {
        p.mem.write_bytes(ptr, &host[..got]).map_err(efault)?;
    }
    p.mem.write_bytes(arg, &(got as u32).to_le_bytes()).map_err(efault)?;
    Ok(0)
}

/// Whether socket option `(level, name)` is passed to the host (its value
/// holds no pointer or descriptor, or is translated below).
fn option_allowed(level: i32, name: i32) -> bool {
    const IPPROTO_IP: i32 = ln::IPPROTO_IP as i32;
    const IPPROTO_IPV6: i32 = ln::IPPROTO_IPV6 as i32;
    const IPPROTO_TCP: i32 = ln::IPPROTO_TCP as i32;
    const IPPROTO_UDP: i32 = ln::IPPROTO_UDP as i32;
    const IPPROTO_UDPLITE: i32 = ln::IPPROTO_UDPLITE as i32;
    const IPPROTO_RAW: i32 = ln::IPPROTO_RAW as i32;
    const IPPROTO_ICMPV6: i32 = ln::IPPROTO_ICMPV6 as i32;
    const SOL_NETLINK: i32 = ln::SOL_NETLINK as i32;
    match level {
        SOL_SOCKET => !(ln::SO_DEVMEM_LINEAR..=ln::SO_DEVMEM_DONTNEED).contains(&(name as u32)),
        // 64..=131: iptables, arptables and ebtables (their tables hold
        // user pointers); 1024 and up: IPVS.
        IPPROTO_IP => !(64..=131).contains(&name) && name < 1024,
        // 64, 65, 68, 69: ip6tables (66 and 67 are IPV6_RECVTCLASS and
        // IPV6_TCLASS).
        IPPROTO_IPV6 => !matches!(name, 64 | 65 | 68 | 69) && name < 1024,
        IPPROTO_TCP => name != ln::TCP_ZEROCOPY_RECEIVE as i32,
        IPPROTO_UDP | IPPROTO_UDPLITE | IPPROTO_RAW | IPPROTO_ICMPV6 | SOL_NETLINK => true,
        _ => false,
    }
}

pub(crate) fn setsockopt(p: &mut Thread, fd: u64, level: u64, name: u64, val: u64, len: u64) -> SysResult {
    let (level, name) = (level as i32, name as i32);
    let file = p.fds().get(fd)?;
    if (len as i32) < 0 {
        return Err(Errno::INVAL);
    }
    let len = len & 0xffff_ffff;
    if len > OPT_MAX {
        return Err(Errno::NOMEM);
    }
    if !option_allowed(level, name) {
        return Err(Errno::NOPROTOOPT);
    }
    let mut value = vec![0u8; len as usize];
    p.mem.read_bytes(val, &mut value).map_err(efault)?;
    let mut _filter = Vec::new();
    let mut _held = None;
    if level == SOL_SOCKET {
        match name as u32 {
            ln::SO_ATTACH_FILTER | ln::SO_ATTACH_REUSEPORT_CBPF => {
                // struct sock_fprog { u16 len; struct sock_filter *filter; }
                if value.len() < 16 {
                    return Err(Errno::INVAL);
                }
                let count = u16::from_le_bytes([value[0], value[1]]) as usize;
                _filter = vec![0u8; count * 8];
                p.mem.read_bytes(le_u64(&value, 8), &mut _filter).map_err(efault)?;
                value[8..16].copy_from_slice(&(_filter.as_ptr() as u64).to_le_bytes());
            }
            ln::SO_ATTACH_BPF | ln::SO_ATTACH_REUSEPORT_EBPF => {
                if value.len() < 4 {
                    return Err(Errno::INVAL);
                }
                let f = p.fds().get(u64::from(le_u32(&value, 0)))?;
                value[..4].copy_from_slice(&f.as_raw_fd().to_le_bytes());
                _held = Some(f);
            }
            _ => {}
        }
    }
    host::net::setsockopt(file.as_fd(), level, name, &value)?;
    Ok(0)
}

pub(crate) fn getsockopt(p: &mut Thread, fd: u64, level: u64, name: u64, val: u64, lenp: u64) -> SysResult {
    let (level, name) = (level as i32, name as i32);
    let file = p.fds().get(fd)?;
    let room = read_u32(p, lenp)?;
    if (room as i32) < 0 {
        return Err(Errno::INVAL);
    }
    if !option_allowed(level, name) {
        return Err(Errno::NOPROTOOPT);
    }
    let mut value = vec![0u8; u64::from(room).min(OPT_MAX) as usize];
    let n = host::net::getsockopt(file.as_fd(), level, name, &mut value)? as usize;
    let n = n.min(value.len());
    if level == SOL_SOCKET && name as u32 == ln::SO_PEERPIDFD && n >= 4 {
        let f = host::net::adopt_new_fd(le_u32(&value, 0) as i32).ok_or(Errno::BADF)?;
        let g = p.fds().insert(f, true)?;
        value[..4].copy_from_slice(&(g as u32).to_le_bytes());
    }
    p.mem.write_bytes(val, &value[..n]).map_err(efault)?;
    p.mem.write_bytes(lenp, &(n as u32).to_le_bytes()).map_err(efault)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_names() {
        let mut a = AF_UNIX.to_le_bytes().to_vec();
        assert_eq!(unix_path(&a), None, "unnamed");
        a.extend_from_slice(b"\0abstract");
        assert_eq!(unix_path(&a), None, "abstract");
        let named = unix_addr(b"/tmp/s");
        assert_eq!(unix_path(&named), Some(&b"/tmp/s"[..]));
        assert_eq!(named.len(), 2 + 6 + 1);
    }

    #[test]
    fn option_policy() {
        assert!(option_allowed(SOL_SOCKET, ln::SO_REUSEADDR as i32));
        assert!(option_allowed(ln::IPPROTO_IP as i32, ln::IP_TTL as i32));
        assert!(!option_allowed(ln::IPPROTO_IP as i32, 64), "IPT_SO_SET_REPLACE");
        assert!(!option_allowed(ln::IPPROTO_IPV6 as i32, 64), "IP6T_SO_SET_REPLACE");
        assert!(option_allowed(ln::IPPROTO_IPV6 as i32, ln::IPV6_TCLASS as i32));
        assert!(option_allowed(ln::IPPROTO_IPV6 as i32, ln::IPV6_RECVTCLASS as i32));
        assert!(!option_allowed(ln::IPPROTO_TCP as i32, ln::TCP_ZEROCOPY_RECEIVE as i32));
        assert!(!option_allowed(263, 1), "SOL_PACKET");
        // The layouts this module passes through unchanged.
        assert_eq!(size_of::<ln::linger>(), 8);
        assert_eq!(size_of::<ln::ucred>(), 12);
        assert_eq!(size_of::<ln::msghdr>(), MSGHDR as usize);
        assert_eq!(size_of::<ln::mmsghdr>(), MMSGHDR as usize);
        assert_eq!(size_of::<ln::cmsghdr>(), CMSGHDR);
        assert_eq!(size_of::<ln::__kernel_sockaddr_storage>(), SOCKADDR_MAX);
        assert_eq!(size_of::<linux_raw_sys::if_arp::ifconf>(), 16);
    }
}
