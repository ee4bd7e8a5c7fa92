//! File and descriptor system calls.

use std::ffi::CString;
use std::os::fd::BorrowedFd;

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use super::{SysResult, efault};
use crate::process::Process;

/// `AT_FDCWD` as the guest passes it.
const AT_FDCWD: u64 = -100i64 as u64;
/// Largest single read/write, as Linux caps it (`MAX_RW_COUNT`).
const MAX_RW: u64 = 0x7fff_f000;
/// Most iovecs in one call (`UIO_MAXIOV`).
const IOV_MAX: u64 = 1024;

/// Reads a NUL-terminated path from guest memory.
pub(crate) fn guest_path(p: &Process, addr: u64) -> Result<CString, Errno> {
    let bytes = p.mem.read_cstr(addr, 4096).map_err(efault)?;
    if bytes.len() >= 4096 {
        return Err(Errno::NAMETOOLONG);
    }
    CString::new(bytes).map_err(|_| Errno::INVAL)
}

/// The host directory descriptor for a guest `dirfd` argument.
fn dirfd(p: &Process, fd: u64) -> Result<BorrowedFd<'_>, Errno> {
    if fd == AT_FDCWD { Ok(rustix::fs::CWD) } else { p.fds.get(fd & 0xffff_ffff) }
}

pub(crate) fn read(p: &mut Process, fd: u64, buf: u64, len: u64) -> SysResult {
    let len = len.min(MAX_RW);
    let file = p.fds.get(fd)?;
    let mut host = vec![0u8; usize::try_from(len).map_err(|_| Errno::INVAL)?];
    let n = rustix::io::read(file, &mut host)?;
    p.mem.write_bytes(buf, &host[..n]).map_err(efault)?;
    Ok(n as u64)
}

pub(crate) fn write(p: &mut Process, fd: u64, buf: u64, len: u64) -> SysResult {
    let len = len.min(MAX_RW);
    let file = p.fds.get(fd)?;
    let mut host = vec![0u8; usize::try_from(len).map_err(|_| Errno::INVAL)?];
    p.mem.read_bytes(buf, &mut host).map_err(efault)?;
    Ok(rustix::io::write(file, &host)? as u64)
}

/// Reads a guest iovec array: (base, len) pairs.
fn iovecs(p: &Process, iov: u64, count: u64) -> Result<Vec<(u64, u64)>, Errno> {
    if count > IOV_MAX {
        return Err(Errno::INVAL);
    }
    let mut raw = vec![0u8; count as usize * 16];
    p.mem.read_bytes(iov, &mut raw).map_err(efault)?;
    Ok(raw
        .chunks_exact(16)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&c[..8]);
            let base = u64::from_le_bytes(b);
            b.copy_from_slice(&c[8..]);
            (base, u64::from_le_bytes(b))
        })
        .collect())
}

pub(crate) fn writev(p: &mut Process, fd: u64, iov: u64, count: u64) -> SysResult {
    let vecs = iovecs(p, iov, count)?;
    let mut data = Vec::new();
    for (base, len) in vecs {
        let len = len.min(MAX_RW.saturating_sub(data.len() as u64));
        let start = data.len();
        data.resize(start + len as usize, 0);
        p.mem.read_bytes(base, &mut data[start..]).map_err(efault)?;
    }
    let file = p.fds.get(fd)?;
    Ok(rustix::io::write(file, &data)? as u64)
}

pub(crate) fn readv(p: &mut Process, fd: u64, iov: u64, count: u64) -> SysResult {
    let vecs = iovecs(p, iov, count)?;
    let total: u64 = vecs.iter().map(|v| v.1).fold(0u64, u64::saturating_add).min(MAX_RW);
    let file = p.fds.get(fd)?;
    let mut host = vec![0u8; total as usize];
    let n = rustix::io::read(file, &mut host)?;
    let mut done = 0usize;
    for (base, len) in vecs {
        if done >= n {
            break;
        }
        let take = (len as usize).min(n - done);
        p.mem.write_bytes(base, &host[done..done + take]).map_err(efault)?;
        done += take;
    }
    Ok(n as u64)
}

pub(crate) fn openat(p: &mut Process, dir: u64, path: u64, flags: u64, mode: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let flags = OFlags::from_bits_retain(flags as u32);
    let cloexec = flags.contains(OFlags::CLOEXEC);
    let fd = rustix::fs::openat(
        dirfd(p, dir)?,
        path.as_c_str(),
        flags | OFlags::CLOEXEC,
        Mode::from_bits_truncate(mode as u32),
    )?;
    p.fds.insert(fd, cloexec)
}

pub(crate) fn lseek(p: &mut Process, fd: u64, offset: u64, whence: u64) -> SysResult {
    use rustix::fs::SeekFrom;
    let pos = match whence {
        0 => SeekFrom::Start(offset),
        1 => SeekFrom::Current(offset as i64),
        2 => SeekFrom::End(offset as i64),
        _ => return Err(Errno::INVAL),
    };
    rustix::fs::seek(p.fds.get(fd)?, pos)
}

/// Writes a host `stat` to guest memory in riscv64's `struct stat` layout
/// (asm-generic `stat`, 128 bytes).
fn put_stat(p: &Process, addr: u64, st: &rustix::fs::Stat) -> Result<(), Errno> {
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

pub(crate) fn fstat(p: &mut Process, fd: u64, buf: u64) -> SysResult {
    let st = rustix::fs::fstat(p.fds.get(fd)?)?;
    put_stat(p, buf, &st)?;
    Ok(0)
}

pub(crate) fn newfstatat(p: &mut Process, dir: u64, path: u64, buf: u64, flags: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let flags = AtFlags::from_bits_retain(flags as u32);
    let st = rustix::fs::statat(dirfd(p, dir)?, path.as_c_str(), flags)?;
    put_stat(p, buf, &st)?;
    Ok(0)
}

pub(crate) fn faccessat(p: &mut Process, dir: u64, path: u64, mode: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let mode = rustix::fs::Access::from_bits_retain(mode as u32);
    rustix::fs::accessat(dirfd(p, dir)?, path.as_c_str(), mode, AtFlags::empty())?;
    Ok(0)
}

pub(crate) fn readlinkat(p: &mut Process, dir: u64, path: u64, buf: u64, len: u64) -> SysResult {
    let path = guest_path(p, path)?;
    let target = if path.as_bytes() == b"/proc/self/exe" {
        p.exe.as_os_str().as_encoded_bytes().to_vec()
    } else {
        rustix::fs::readlinkat(dirfd(p, dir)?, path.as_c_str(), Vec::new())?.into_bytes()
    };
    let n = target.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    p.mem.write_bytes(buf, &target[..n]).map_err(efault)?;
    Ok(n as u64)
}

/// `TCGETS`.
const TCGETS: u64 = 0x5401;
/// `TIOCGWINSZ`.
const TIOCGWINSZ: u64 = 0x5413;

pub(crate) fn ioctl(p: &mut Process, fd: u64, request: u64, arg: u64) -> SysResult {
    let file = p.fds.get(fd)?;
    match request & 0xffff_ffff {
        TCGETS => {
            if !rustix::termios::isatty(file) {
                return Err(Errno::NOTTY);
            }
            let t = rustix::termios::tcgetattr(file)?;
            // struct termios (asm-generic): 4 x u32 flags, c_line, c_cc[19].
            let mut b = Vec::with_capacity(36);
            for flag in [t.input_modes.bits(), t.output_modes.bits(), t.control_modes.bits(), t.local_modes.bits()] {
                b.extend_from_slice(&flag.to_le_bytes());
            }
            b.push(t.line_discipline as u8);
            use rustix::termios::SpecialCodeIndex as C;
            // c_cc in Linux's order (VINTR = 0 .. VEOL2 = 16), padded to 19.
            for idx in [
                C::VINTR,
                C::VQUIT,
                C::VERASE,
                C::VKILL,
                C::VEOF,
                C::VTIME,
                C::VMIN,
                C::VSWTC,
                C::VSTART,
                C::VSTOP,
                C::VSUSP,
                C::VEOL,
                C::VREPRINT,
                C::VDISCARD,
                C::VWERASE,
                C::VLNEXT,
                C::VEOL2,
            ] {
                b.push(t.special_codes[idx]);
            }
            b.resize(36, 0);
            p.mem.write_bytes(arg, &b).map_err(efault)?;
            Ok(0)
        }
        TIOCGWINSZ => {
            let w = rustix::termios::tcgetwinsize(file)?;
            let mut b = Vec::with_capacity(8);
            for v in [w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            p.mem.write_bytes(arg, &b).map_err(efault)?;
            Ok(0)
        }
        _ => Err(Errno::NOTTY),
    }
}
