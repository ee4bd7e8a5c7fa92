//! Extended attributes: `getxattr`, `setxattr`, `listxattr`, `removexattr`
//! and their `l` (do not follow a final symlink) and `f` (descriptor)
//! forms, passed to the host. `shutil.copystat` (so `copy2`, `copytree`,
//! `move`) lists a file's attributes and fails on `ENOSYS`.
//!
//! The path forms have no `*at` variant on the host, so the guest path is
//! resolved through [`crate::vfs`] to an `O_PATH` descriptor and the call
//! names `/proc/self/fd/N`: the kernel follows that link to exactly the
//! inode the descriptor holds (the symlink itself for the `l` forms), so
//! confined mode stays inside its root.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags, XattrFlags};
use rustix::io::Errno;

use super::fs::guest_path;
use super::{SysResult, efault};
use crate::thread::Thread;
use crate::vfs::AT_FDCWD;

/// The largest attribute value or name list Linux handles (`XATTR_SIZE_MAX`).
const SIZE_MAX: u64 = 65536;
/// The longest attribute name (`XATTR_NAME_MAX`).
const NAME_MAX: usize = 255;

/// Which file a call names: a guest path (following a final symlink or
/// not) or a guest descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Path,
    LinkPath,
    Fd,
}

/// The file a call acts on: `/proc/self/fd/N` of a descriptor opened for
/// a guest path, or the guest's own descriptor.
enum Handle {
    /// The descriptor stays open while the call names it.
    Path {
        _open: OwnedFd,
        path: CString,
    },
    Fd(std::sync::Arc<OwnedFd>),
}

fn resolve(p: &Thread, target: Target, arg: u64) -> Result<Handle, Errno> {
    if target == Target::Fd {
        return Ok(Handle::Fd(p.fds().get(arg)?));
    }
    let path = guest_path(p, arg)?;
    let mut flags = OFlags::PATH | OFlags::CLOEXEC;
    if target == Target::LinkPath {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = p.vfs().open(&p.fds(), AT_FDCWD, &path, flags, Mode::empty())?;
    let proc = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|_| Errno::INVAL)?;
    Ok(Handle::Path { _open: fd, path: proc })
}

fn attr_name(p: &Thread, addr: u64) -> Result<CString, Errno> {
    let bytes = p.mem.read_cstr(addr, NAME_MAX + 1).map_err(efault)?;
    if bytes.is_empty() || bytes.len() > NAME_MAX {
        return Err(Errno::RANGE);
    }
    CString::new(bytes).map_err(|_| Errno::INVAL)
}

/// Runs a host call that fills a buffer of at most `size` bytes and copies
/// what it wrote to the guest at `buf`; `size == 0` asks for the length.
fn fill(p: &Thread, buf: u64, size: u64, call: impl Fn(&mut [u8]) -> Result<usize, Errno>) -> SysResult {
    let mut host = vec![0u8; size.min(SIZE_MAX) as usize];
    let n = call(&mut host)?;
    if size > 0 {
        p.mem.write_bytes(buf, &host[..n]).map_err(efault)?;
    }
    Ok(n as u64)
}

pub(crate) fn getxattr(p: &mut Thread, target: Target, arg: u64, name: u64, buf: u64, size: u64) -> SysResult {
    let h = resolve(p, target, arg)?;
    let name = attr_name(p, name)?;
    fill(p, buf, size, |host| match (&h, host.is_empty()) {
        (Handle::Path { path, .. }, true) => rustix::fs::getxattr_query(path, &name),
        (Handle::Path { path, .. }, false) => rustix::fs::getxattr(path, &name, host),
        (Handle::Fd(fd), true) => rustix::fs::fgetxattr_query(fd, &name),
        (Handle::Fd(fd), false) => rustix::fs::fgetxattr(fd, &name, host),
    })
}

pub(crate) fn listxattr(p: &mut Thread, target: Target, arg: u64, buf: u64, size: u64) -> SysResult {
    let h = resolve(p, target, arg)?;
    fill(p, buf, size, |host| match (&h, host.is_empty()) {
        (Handle::Path { path, .. }, true) => rustix::fs::listxattr_query(path),
        (Handle::Path { path, .. }, false) => rustix::fs::listxattr(path, host),
        (Handle::Fd(fd), true) => rustix::fs::flistxattr_query(fd),
        (Handle::Fd(fd), false) => rustix::fs::flistxattr(fd, host),
    })
}

pub(crate) fn setxattr(
    p: &mut Thread,
    target: Target,
    arg: u64,
    name: u64,
    value: u64,
    size: u64,
    flags: u64,
) -> SysResult {
    let flags = XattrFlags::from_bits(flags as u32).ok_or(Errno::INVAL)?;
    if size > SIZE_MAX {
        return Err(Errno::TOOBIG);
    }
    let h = resolve(p, target, arg)?;
    let name = attr_name(p, name)?;
    let mut data = vec![0u8; size as usize];
    p.mem.read_bytes(value, &mut data).map_err(efault)?;
    match &h {
        Handle::Path { path, .. } => rustix::fs::setxattr(path, &name, &data, flags)?,
        Handle::Fd(fd) => rustix::fs::fsetxattr(fd, &name, &data, flags)?,
    }
    Ok(0)
}

pub(crate) fn removexattr(p: &mut Thread, target: Target, arg: u64, name: u64) -> SysResult {
    let h = resolve(p, target, arg)?;
    let name = attr_name(p, name)?;
    match &h {
        Handle::Path { path, .. } => rustix::fs::removexattr(path, &name)?,
        Handle::Fd(fd) => rustix::fs::fremovexattr(fd, &name)?,
    }
    Ok(0)
}
