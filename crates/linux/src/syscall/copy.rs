//! Copies between descriptors in the kernel: `copy_file_range`,
//! `sendfile`, `splice`, `tee`. The host's calls on the guest's host
//! descriptors; each optional offset (`loff_t *`) is read from guest memory
//! first and written back after, as the kernel updates it.

use std::os::fd::AsFd;

use rustix::io::Errno;

use super::{SysResult, efault};
use crate::host::{self, CopyCall, CopyEnd};
use crate::thread::Thread;

/// Reads an optional `loff_t` argument.
fn offset_in(p: &Thread, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut b = [0u8; 8];
    p.mem.read_bytes(addr, &mut b).map_err(efault)?;
    Ok(Some(i64::from_le_bytes(b)))
}

/// Writes an optional `loff_t` back.
fn offset_out(p: &Thread, addr: u64, v: Option<i64>) -> Result<(), Errno> {
    match v {
        Some(v) if addr != 0 => p.mem.write_bytes(addr, &v.to_le_bytes()).map_err(efault),
        _ => Ok(()),
    }
}

/// The calls' common shape: `(in, off_in, out, off_out, len, flags)`.
fn copy(p: &mut Thread, call: CopyCall, fds: [u64; 2], offs: [u64; 2], len: u64, flags: u64) -> SysResult {
    let fin = p.fds().get(fds[0])?;
    let fout = p.fds().get(fds[1])?;
    let mut oin = offset_in(p, offs[0])?;
    let mut oout = offset_in(p, offs[1])?;
    // Every call caps one transfer below 2 GiB.
    let len = usize::try_from(len.min(0x7fff_f000)).unwrap_or(0x7fff_f000);
    let flags = u32::try_from(flags).map_err(|_| Errno::INVAL)?;
    let n = p.blocking(|kick| {
        let input = CopyEnd { fd: fin.as_fd(), offset: oin.as_mut() };
        let output = CopyEnd { fd: fout.as_fd(), offset: oout.as_mut() };
        host::copy_between(kick, call, input, output, len, flags)
    })?;
    offset_out(p, offs[0], oin)?;
    offset_out(p, offs[1], oout)?;
    Ok(n)
}

/// `copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)`.
pub(crate) fn copy_file_range(p: &mut Thread, a: [u64; 6]) -> SysResult {
    copy(p, CopyCall::CopyFileRange, [a[0], a[2]], [a[1], a[3]], a[4], a[5])
}

/// `sendfile(out_fd, in_fd, offset, count)`.
pub(crate) fn sendfile(p: &mut Thread, out: u64, inp: u64, offset: u64, count: u64) -> SysResult {
    copy(p, CopyCall::Sendfile, [inp, out], [offset, 0], count, 0)
}

/// `splice(fd_in, off_in, fd_out, off_out, len, flags)`.
pub(crate) fn splice(p: &mut Thread, a: [u64; 6]) -> SysResult {
    copy(p, CopyCall::Splice, [a[0], a[2]], [a[1], a[3]], a[4], a[5])
}

/// `tee(fd_in, fd_out, len, flags)`.
pub(crate) fn tee(p: &mut Thread, inp: u64, out: u64, len: u64, flags: u64) -> SysResult {
    copy(p, CopyCall::Tee, [inp, out], [0, 0], len, flags)
}
