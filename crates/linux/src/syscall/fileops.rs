//! Descriptor calls beyond plain I/O: `openat2`, `memfd_create`,
//! `fallocate`, `close_range`, `name_to_handle_at`.

use std::ffi::CString;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::fs::guest_path;
use super::{SysResult, efault, get_u64s};
use crate::thread::Thread;

/// `sizeof(struct open_how)` in its first version (flags, mode, resolve).
const OPEN_HOW_SIZE_VER0: u64 = 24;

/// `openat2(dirfd, path, how, size)`. The `RESOLVE_*` flags are the host
/// kernel's; in confined mode the path still resolves inside the root
/// (`RESOLVE_IN_ROOT` is added unless the guest asked for resolution
/// beneath its own directory, which lies inside the root anyway).
pub(crate) fn openat2(p: &mut Thread, dir: u64, path: u64, how: u64, size: u64) -> SysResult {
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::INVAL);
    }
    if size > 4096 {
        return Err(Errno::TOOBIG);
    }
    let [flags, mode, resolve] = get_u64s::<3>(p, how)?;
    // A larger structure from a newer libc: the rest must be zero.
    if size > OPEN_HOW_SIZE_VER0 {
        let mut rest = vec![0u8; (size - OPEN_HOW_SIZE_VER0) as usize];
        p.mem.read_bytes(how + OPEN_HOW_SIZE_VER0, &mut rest).map_err(efault)?;
        if rest.iter().any(|&b| b != 0) {
            return Err(Errno::TOOBIG);
        }
    }
    let oflags = u32::try_from(flags).map(OFlags::from_bits_retain).map_err(|_| Errno::INVAL)?;
    let mode = u32::try_from(mode).ok().filter(|m| m & !0o7777 == 0).ok_or(Errno::INVAL)?;
    let resolve = ResolveFlags::from_bits_retain(resolve);
    if mode != 0 && !oflags.intersects(OFlags::CREATE | OFlags::TMPFILE) {
        return Err(Errno::INVAL);
    }
    let path = guest_path(p, path)?;
    let cloexec = oflags.contains(OFlags::CLOEXEC);
    let fd = p.vfs().open2(&p.fds(), dir, &path, oflags, Mode::from_bits_retain(mode), resolve)?;
    p.fds().insert(fd, cloexec)
}

/// `MFD_CLOEXEC`, the one flag ferrovm keeps for itself (host descriptors
/// are always close-on-exec; the guest's flag is in the descriptor table).
const MFD_CLOEXEC: u64 = linux_raw_sys::general::MFD_CLOEXEC as u64;
/// Linux's limit on a memfd name (`NAME_MAX` minus `"memfd:"`).
const MFD_NAME_MAX: usize = 249;

/// `memfd_create(name, flags)`: a host memfd (no path: confined mode has
/// nothing to resolve).
pub(crate) fn memfd_create(p: &mut Thread, name: u64, flags: u64) -> SysResult {
    let bytes = p.mem.read_cstr(name, MFD_NAME_MAX + 1).map_err(efault)?;
    if bytes.len() > MFD_NAME_MAX {
        return Err(Errno::INVAL);
    }
    let name = CString::new(bytes).map_err(|_| Errno::INVAL)?;
    let host = u32::try_from(flags).map_err(|_| Errno::INVAL)?;
    let fd = rustix::fs::memfd_create(
        name.as_c_str(),
        rustix::fs::MemfdFlags::from_bits_retain(host) | rustix::fs::MemfdFlags::CLOEXEC,
    )?;
    p.fds().insert(fd, flags & MFD_CLOEXEC != 0)
}

/// `fallocate(fd, mode, offset, len)`: the host's (the kernel checks mode
/// and range).
pub(crate) fn fallocate(p: &mut Thread, fd: u64, mode: u64, offset: u64, len: u64) -> SysResult {
    let f = p.fds().get(fd)?;
    if (offset as i64) < 0 || (len as i64) <= 0 {
        return Err(Errno::INVAL);
    }
    let mode = u32::try_from(mode).map(rustix::fs::FallocateFlags::from_bits_retain).map_err(|_| Errno::INVAL)?;
    rustix::fs::fallocate(&*f, mode, offset, len)?;
    Ok(0)
}

/// `CLOSE_RANGE_UNSHARE`, `CLOSE_RANGE_CLOEXEC`.
const CLOSE_RANGE_UNSHARE: u64 = 2;
const CLOSE_RANGE_CLOEXEC: u64 = 4;

/// `close_range(first, last, flags)`. `CLOSE_RANGE_UNSHARE` is accepted
/// and does nothing more: a guest's descriptor table is unshared from
/// everything but its own threads, which ferrovm cannot split.
pub(crate) fn close_range(p: &mut Thread, first: u64, last: u64, flags: u64) -> SysResult {
    let (lo, hi) = (first & 0xffff_ffff, last & 0xffff_ffff);
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || lo > hi {
        return Err(Errno::INVAL);
    }
    let hi = hi.min(crate::fd::MAX_FDS as u64);
    let mut fds = p.fds();
    for fd in lo..=hi {
        let _ = if flags & CLOSE_RANGE_CLOEXEC != 0 { fds.set_cloexec(fd, true) } else { fds.close(fd) };
    }
    Ok(0)
}

/// `name_to_handle_at`: file handles are not supported (`EOPNOTSUPP`, as
/// for a file system without export operations), after the checks that
/// come first on Linux.
pub(crate) fn name_to_handle_at(p: &mut Thread, path: u64, handle: u64, flags: u64) -> SysResult {
    // AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID.
    if flags & !(0x400 | 0x1000 | 0x200) != 0 {
        return Err(Errno::INVAL);
    }
    guest_path(p, path)?;
    let mut b = [0u8; 8];
    p.mem.read_bytes(handle, &mut b).map_err(efault)?;
    Err(Errno::OPNOTSUPP)
}
