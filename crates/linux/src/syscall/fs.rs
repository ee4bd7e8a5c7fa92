//! Path system calls: open, stat, links, directories, the working
//! directory. Every path goes through [`crate::vfs`]; `/proc/self/exe` and
//! `/proc/self/maps` show the guest, not ferrovm.

use std::ffi::{CStr, CString};
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use super::{SysResult, efault, get_u64s};
use crate::thread::Thread;
use crate::vfs::AT_FDCWD;

/// Reads a NUL-terminated path from guest memory.
pub(crate) fn guest_path(p: &Thread, addr: u64) -> Result<CString, Errno> {
    let bytes = p.mem.read_cstr(addr, 4096).map_err(efault)?;
    if bytes.len() >= 4096 {
        return Err(Errno::NAMETOOLONG);
    }
    CString::new(bytes).map_err(|_| Errno::INVAL)
}

/// What a `/proc/self/...` (or `/proc/<our pid>/...`) path names, if ferrovm
/// answers it itself.
fn proc_self(path: &[u8]) -> Option<&[u8]> {
    let rest = path.strip_prefix(b"/proc/")?;
    let (who, what) = rest.split_at(rest.iter().position(|&b| b == b'/')?);
    let pid = std::process::id().to_string();
    (who == b"self" || who == b"thread-self" || who == pid.as_bytes()).then(|| &what[1..])
}

/// The guest descriptor an absolute path names through the kernel's magic
/// links: `/proc/self/fd/N` (and the other spellings [`proc_self`]
/// accepts), `/dev/fd/N`, `/dev/stdin`, `/dev/stdout`, `/dev/stderr`. The
/// host would resolve them to ferrovm's own descriptor numbers.
fn guest_fd_path(path: &[u8]) -> Option<u64> {
    let n = match path {
        b"/dev/stdin" => return Some(0),
        b"/dev/stdout" => return Some(1),
        b"/dev/stderr" => return Some(2),
        _ => proc_self(path).and_then(|w| w.strip_prefix(b"fd/")).or_else(|| path.strip_prefix(b"/dev/fd/"))?,
    };
    (!n.is_empty() && n.len() < 8 && n.iter().all(u8::is_ascii_digit))
        .then(|| std::str::from_utf8(n).ok()?.parse().ok())?
}

/// The host path of the file guest descriptor `fd` holds (`ENOENT` if it is
/// not open, as for a missing `/proc/self/fd` entry).
fn host_fd_path(p: &Thread, fd: u64) -> Result<String, Errno> {
    let host = p.fds().get(fd).map_err(|_| Errno::NOENT)?;
    Ok(format!("/proc/self/fd/{}", host.as_raw_fd()))
}

/// `/proc/self/maps` text for the guest's mappings.
pub(crate) fn maps_text(p: &Thread) -> Vec<u8> {
    let mut out = Vec::new();
    for m in p.mem.mappings() {
        let perms = m.perms;
        let mut line = format!(
            "{:08x}-{:08x} {}{}{}p 00000000 00:00 0",
            m.start,
            m.end,
            if perms.read() { 'r' } else { '-' },
            if perms.write() { 'w' } else { '-' },
            if perms.exec() { 'x' } else { '-' },
        );
        if let Some(name) = &m.name {
            while line.len() < 73 {
                line.push(' ');
            }
            line.push_str(name);
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn memfd_with(name: &CStr, data: &[u8]) -> Result<OwnedFd, Errno> {
    let fd = rustix::fs::memfd_create(name, rustix::fs::MemfdFlags::CLOEXEC)?;
    let mut f = std::fs::File::from(fd);
    f.write_all(data).map_err(|_| Errno::IO)?;
    let fd = OwnedFd::from(f);
    rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(0))?;
    Ok(fd)
}

pub(crate) fn openat(p: &mut Thread, dir: u64, path: u64, flags: u64, mode: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let flags = OFlags::from_bits_retain(flags as u32);
    let cloexec = flags.contains(OFlags::CLOEXEC);
    let mode = Mode::from_bits_truncate(mode as u32);
    let fd = match proc_self(path.as_bytes()) {
        Some(b"exe") => {
            let exe = CString::new(p.proc.exe.as_os_str().as_encoded_bytes()).map_err(|_| Errno::INVAL)?;
            if p.vfs().root.is_some() {
                p.vfs().open(&p.fds(), AT_FDCWD, &exe, flags, mode)?
            } else {
                rustix::fs::open(exe.as_c_str(), flags | OFlags::CLOEXEC, mode)?
            }
        }
        Some(b"maps") => memfd_with(c"maps", &maps_text(p))?,
        // Reopens the file the guest already holds (a magic link, as in
        // the kernel: it never resolves through the root).
        _ if let Some(n) = guest_fd_path(path.as_bytes()) => {
            rustix::fs::open(host_fd_path(p, n)?.as_str(), flags | OFlags::CLOEXEC, mode)?
        }
        _ => p.vfs().open(&p.fds(), dir, &path, flags, mode)?,
    };
    p.fds().insert(fd, cloexec)
}

/// Writes a host `stat` to guest memory in riscv64's `struct stat` layout
/// (asm-generic `stat`, 128 bytes).
fn put_stat(p: &Thread, addr: u64, st: &rustix::fs::Stat) -> Result<(), Errno> {
    let mut b = Vec::with_capacity(128);
    b.extend_from_slice(&st.st_dev.to_le_bytes());
    b.extend_from_slice(&st.st_ino.to_le_bytes());
    b.extend_from_slice(&st.st_mode.to_le_bytes());
    b.extend_from_slice(&(st.st_nlink as u32).to_le_bytes());
    b.extend_from_slice(&st.st_uid.to_le_bytes());
    b.extend_from_slice(&st.st_gid.to_le_bytes());
    b.extend_from_slice(&st.st_rdev.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&st.st_size.to_le_bytes());
    b.extend_from_slice(&(st.st_blksize as i32).to_le_bytes());
    b.extend_from_slice(&0i32.to_le_bytes());
    b.extend_from_slice(&st.st_blocks.to_le_bytes());
    for (sec, nsec) in
        [(st.st_atime, st.st_atime_nsec), (st.st_mtime, st.st_mtime_nsec), (st.st_ctime, st.st_ctime_nsec)]
    {
        b.extend_from_slice(&sec.to_le_bytes());
        b.extend_from_slice(&nsec.to_le_bytes());
    }
    b.extend_from_slice(&[0u8; 8]);
    p.mem.write_bytes(addr, &b).map_err(efault)
}

pub(crate) fn fstat(p: &mut Thread, fd: u64, buf: u64) -> SysResult {
    let st = rustix::fs::fstat(p.fds().get(fd)?)?;
    put_stat(p, buf, &st)?;
    Ok(0)
}

/// Runs a stat-like host call on `(dir, path, flags)`, honouring
/// `AT_EMPTY_PATH` and `AT_SYMLINK_NOFOLLOW` in both file-system modes.
fn stat_target<T>(
    p: &Thread,
    dir: u64,
    path: &CStr,
    flags: AtFlags,
    f: impl Fn(std::os::fd::BorrowedFd<'_>, &CStr, AtFlags) -> Result<T, Errno>,
) -> Result<T, Errno> {
    if path.is_empty() {
        if !flags.contains(AtFlags::EMPTY_PATH) {
            return Err(Errno::NOENT);
        }
        if dir & 0xffff_ffff == AT_FDCWD & 0xffff_ffff {
            return f(rustix::fs::CWD, c"", flags);
        }
        let fd = p.fds().get(dir)?;
        return f(std::os::fd::AsFd::as_fd(&*fd), c"", flags);
    }
    if !flags.contains(AtFlags::SYMLINK_NOFOLLOW)
        && let Some(n) = guest_fd_path(path.to_bytes())
    {
        let fd = p.fds().get(n).map_err(|_| Errno::NOENT)?;
        return f(std::os::fd::AsFd::as_fd(&*fd), c"", flags | AtFlags::EMPTY_PATH);
    }
    if p.vfs().root.is_some() && !flags.contains(AtFlags::SYMLINK_NOFOLLOW) {
        // Follow symlinks inside the root: open the target, stat the descriptor.
        let fd = p.vfs().open(&p.fds(), dir, path, OFlags::PATH, Mode::empty())?;
        return f(std::os::fd::AsFd::as_fd(&fd), c"", flags | AtFlags::EMPTY_PATH);
    }
    let (d, name) = p.vfs().at(&p.fds(), dir, path)?;
    f(std::os::fd::AsFd::as_fd(&d), &name, flags)
}

pub(crate) fn newfstatat(p: &mut Thread, dir: u64, path: u64, buf: u64, flags: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let flags = AtFlags::from_bits_retain(flags as u32);
    let st = stat_target(p, dir, &path, flags, |d, n, f| rustix::fs::statat(d, n, f))?;
    put_stat(p, buf, &st)?;
    Ok(0)
}

pub(crate) fn statx(p: &mut Thread, dir: u64, path: u64, flags: u64, mask: u64, buf: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let flags = AtFlags::from_bits_retain(flags as u32);
    let mask = rustix::fs::StatxFlags::from_bits_retain(mask as u32);
    let st = stat_target(p, dir, &path, flags, |d, n, f| rustix::fs::statx(d, n, f, mask))?;
    let mut b = vec![0u8; 256];
    let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
    put(0, &st.stx_mask.to_le_bytes());
    put(4, &st.stx_blksize.to_le_bytes());
    put(8, &st.stx_attributes.bits().to_le_bytes());
    put(16, &st.stx_nlink.to_le_bytes());
    put(20, &st.stx_uid.to_le_bytes());
    put(24, &st.stx_gid.to_le_bytes());
    put(28, &st.stx_mode.to_le_bytes());
    put(32, &st.stx_ino.to_le_bytes());
    put(40, &st.stx_size.to_le_bytes());
    put(48, &st.stx_blocks.to_le_bytes());
    put(56, &st.stx_attributes_mask.bits().to_le_bytes());
    for (at, t) in [(64, st.stx_atime), (80, st.stx_btime), (96, st.stx_ctime), (112, st.stx_mtime)] {
        put(at, &t.tv_sec.to_le_bytes());
        put(at + 8, &t.tv_nsec.to_le_bytes());
    }
    put(128, &st.stx_rdev_major.to_le_bytes());
    put(132, &st.stx_rdev_minor.to_le_bytes());
    put(136, &st.stx_dev_major.to_le_bytes());
    put(140, &st.stx_dev_minor.to_le_bytes());
    put(144, &st.stx_mnt_id.to_le_bytes());
    p.mem.write_bytes(buf, &b).map_err(efault)?;
    Ok(0)
}

pub(crate) fn faccessat(p: &mut Thread, dir: u64, path: u64, mode: u64, flags: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let access = rustix::fs::Access::from_bits_retain(mode as u32);
    let flags = AtFlags::from_bits_retain(flags as u32) & (AtFlags::EACCESS | AtFlags::SYMLINK_NOFOLLOW);
    if !flags.contains(AtFlags::SYMLINK_NOFOLLOW)
        && let Some(n) = guest_fd_path(path.to_bytes())
    {
        let fd = p.fds().get(n).map_err(|_| Errno::NOENT)?;
        rustix::fs::accessat(&*fd, c"", access, flags | AtFlags::EMPTY_PATH)?;
        return Ok(0);
    }
    if p.vfs().root.is_some() && !flags.contains(AtFlags::SYMLINK_NOFOLLOW) {
        let fd = p.vfs().open(&p.fds(), dir, &path, OFlags::PATH, Mode::empty())?;
        rustix::fs::accessat(&fd, c"", access, flags | AtFlags::EMPTY_PATH)?;
        return Ok(0);
    }
    let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
    rustix::fs::accessat(d, name.as_c_str(), access, flags)?;
    Ok(0)
}

pub(crate) fn readlinkat(p: &mut Thread, dir: u64, path: u64, buf: u64, len: u64) -> SysResult {
    let path = guest_path(p, path)?;
    if (len as i64) <= 0 {
        return Err(Errno::INVAL);
    }
    let target = match proc_self(path.as_bytes()) {
        Some(b"exe") => p.proc.guest_exe.clone(),
        Some(b"cwd") => p.vfs().getcwd()?,
        _ if let Some(n) = guest_fd_path(path.as_bytes()) => {
            p.vfs().guest_path(rustix::fs::readlink(host_fd_path(p, n)?.as_str(), Vec::new())?.as_bytes())
        }
        _ => {
            let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
            rustix::fs::readlinkat(d, name.as_c_str(), Vec::new())?.into_bytes()
        }
    };
    let n = target.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    p.mem.write_bytes(buf, &target[..n]).map_err(efault)?;
    Ok(n as u64)
}

pub(crate) fn mkdirat(p: &mut Thread, dir: u64, path: u64, mode: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
    rustix::fs::mkdirat(d, name.as_c_str(), Mode::from_bits_truncate(mode as u32))?;
    Ok(0)
}

pub(crate) fn mknodat(p: &mut Thread, dir: u64, path: u64, mode: u64, dev: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
    let kind = rustix::fs::FileType::from_raw_mode(mode as u32);
    rustix::fs::mknodat(d, name.as_c_str(), kind, Mode::from_bits_truncate(mode as u32), dev)?;
    Ok(0)
}

pub(crate) fn unlinkat(p: &mut Thread, dir: u64, path: u64, flags: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let flags = AtFlags::from_bits_retain(flags as u32);
    if !(AtFlags::REMOVEDIR).contains(flags) {
        return Err(Errno::INVAL);
    }
    let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
    rustix::fs::unlinkat(d, name.as_c_str(), flags)?;
    Ok(0)
}

pub(crate) fn renameat2(p: &mut Thread, od: u64, op: u64, nd: u64, np: u64, flags: u64) -> SysResult {
    let op = guest_path(p, op)?;
    let np = guest_path(p, np)?;
    let (d1, n1) = p.vfs().at(&p.fds(), od, &op)?;
    let (d2, n2) = p.vfs().at(&p.fds(), nd, &np)?;
    let flags = rustix::fs::RenameFlags::from_bits(flags as u32).ok_or(Errno::INVAL)?;
    rustix::fs::renameat_with(d1, n1.as_c_str(), d2, n2.as_c_str(), flags)?;
    Ok(0)
}

pub(crate) fn linkat(p: &mut Thread, od: u64, op: u64, nd: u64, np: u64, flags: u64) -> SysResult {
    let op = guest_path(p, op)?;
    let np = guest_path(p, np)?;
    let flags = AtFlags::from_bits_retain(flags as u32) & AtFlags::SYMLINK_FOLLOW;
    let (d1, n1) = p.vfs().at(&p.fds(), od, &op)?;
    let (d2, n2) = p.vfs().at(&p.fds(), nd, &np)?;
    rustix::fs::linkat(d1, n1.as_c_str(), d2, n2.as_c_str(), flags)?;
    Ok(0)
}

pub(crate) fn symlinkat(p: &mut Thread, target: u64, dir: u64, path: u64) -> SysResult {
    let target = guest_path(p, target)?;
    let path = guest_path(p, path)?;
    let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
    rustix::fs::symlinkat(target.as_c_str(), d, name.as_c_str())?;
    Ok(0)
}

pub(crate) fn fchmodat(p: &mut Thread, dir: u64, path: u64, mode: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let mode = Mode::from_bits_truncate(mode as u32);
    if p.vfs().root.is_some() {
        let fd = p.vfs().open(&p.fds(), dir, &path, OFlags::RDONLY, Mode::empty())?;
        rustix::fs::fchmod(&fd, mode)?;
        return Ok(0);
    }
    let (d, name) = p.vfs().at(&p.fds(), dir, &path)?;
    rustix::fs::chmodat(d, name.as_c_str(), mode, AtFlags::empty())?;
    Ok(0)
}

pub(crate) fn fchmod(p: &mut Thread, fd: u64, mode: u64) -> SysResult {
    rustix::fs::fchmod(p.fds().get(fd)?, Mode::from_bits_truncate(mode as u32))?;
    Ok(0)
}

fn owner(uid: u64, gid: u64) -> (Option<rustix::fs::Uid>, Option<rustix::fs::Gid>) {
    let uid = (uid as u32 != u32::MAX).then(|| rustix::fs::Uid::from_raw(uid as u32));
    let gid = (gid as u32 != u32::MAX).then(|| rustix::fs::Gid::from_raw(gid as u32));
    (uid, gid)
}

pub(crate) fn fchownat(p: &mut Thread, dir: u64, path: u64, uid: u64, gid: u64, flags: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let (uid, gid) = owner(uid, gid);
    let flags = AtFlags::from_bits_retain(flags as u32);
    let r = stat_target(p, dir, &path, flags, |d, n, f| rustix::fs::chownat(d, n, uid, gid, f));
    r.map(|()| 0)
}

pub(crate) fn fchown(p: &mut Thread, fd: u64, uid: u64, gid: u64) -> SysResult {
    let (uid, gid) = owner(uid, gid);
    rustix::fs::fchown(p.fds().get(fd)?, uid, gid)?;
    Ok(0)
}

pub(crate) fn utimensat(p: &mut Thread, dir: u64, path: u64, times: u64, flags: u64) -> SysResult {
    use rustix::fs::{Timestamps, UTIME_NOW};
    let ts = if times == 0 {
        let now = rustix::time::Timespec { tv_sec: 0, tv_nsec: UTIME_NOW };
        Timestamps { last_access: now, last_modification: now }
    } else {
        let [a_s, a_ns, m_s, m_ns] = get_u64s::<4>(p, times)?;
        Timestamps {
            last_access: rustix::time::Timespec { tv_sec: a_s as i64, tv_nsec: a_ns as i64 },
            last_modification: rustix::time::Timespec { tv_sec: m_s as i64, tv_nsec: m_ns as i64 },
        }
    };
    let flags = AtFlags::from_bits_retain(flags as u32);
    if path == 0 {
        // utimensat(fd, NULL, ...) is futimens.
        rustix::fs::futimens(p.fds().get(dir)?, &ts)?;
        return Ok(0);
    }
    let path = guest_path(p, path)?;
    stat_target(p, dir, &path, flags, |d, n, f| rustix::fs::utimensat(d, n, &ts, f))?;
    Ok(0)
}

pub(crate) fn chdir(p: &mut Thread, path: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let fd = p.vfs().open(&p.fds(), AT_FDCWD, &path, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
    p.vfs().chdir(std::os::fd::AsFd::as_fd(&fd))?;
    Ok(0)
}

pub(crate) fn fchdir(p: &mut Thread, fd: u64) -> SysResult {
    let dir = p.fds().get(fd)?;
    if rustix::fs::fstat(&dir)?.st_mode & 0o170000 != 0o040000 {
        return Err(Errno::NOTDIR);
    }
    p.vfs().chdir(std::os::fd::AsFd::as_fd(&*dir))?;
    Ok(0)
}

pub(crate) fn getcwd(p: &mut Thread, buf: u64, size: u64) -> SysResult {
    let mut cwd = p.vfs().getcwd()?;
    cwd.push(0);
    if (cwd.len() as u64) > size {
        return Err(Errno::RANGE);
    }
    p.mem.write_bytes(buf, &cwd).map_err(efault)?;
    Ok(cwd.len() as u64)
}

pub(crate) fn umask(p: &mut Thread, mask: u64) -> SysResult {
    let new = mask as u32 & 0o777;
    let old = p.proc.umask.swap(new, std::sync::atomic::Ordering::AcqRel);
    rustix::process::umask(Mode::from_bits_truncate(new));
    Ok(u64::from(old))
}

pub(crate) fn truncate(p: &mut Thread, path: u64, len: u64) -> SysResult {
    let path = guest_path(p, path)?;
    if (len as i64) < 0 {
        return Err(Errno::INVAL);
    }
    let fd = p.vfs().open(&p.fds(), AT_FDCWD, &path, OFlags::WRONLY, Mode::empty())?;
    rustix::fs::ftruncate(&fd, len)?;
    Ok(0)
}

/// `struct statfs` (asm-generic, 64-bit: 120 bytes).
fn put_statfs(p: &Thread, buf: u64, s: &rustix::fs::StatFs) -> Result<(), Errno> {
    let mut b = Vec::with_capacity(120);
    for v in [s.f_type as u64, s.f_bsize as u64, s.f_blocks, s.f_bfree, s.f_bavail, s.f_files, s.f_ffree] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[0u8; 8]); // f_fsid
    for v in [s.f_namelen as u64, s.f_frsize as u64, s.f_flags as u64] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.resize(120, 0);
    p.mem.write_bytes(buf, &b).map_err(efault)
}

pub(crate) fn statfs(p: &mut Thread, path: u64, buf: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let fd = p.vfs().open(&p.fds(), AT_FDCWD, &path, OFlags::PATH, Mode::empty())?;
    let s = rustix::fs::fstatfs(&fd)?;
    put_statfs(p, buf, &s)?;
    Ok(0)
}

pub(crate) fn fstatfs(p: &mut Thread, fd: u64, buf: u64) -> SysResult {
    let s = rustix::fs::fstatfs(p.fds().get(fd)?)?;
    put_statfs(p, buf, &s)?;
    Ok(0)
}
