//! User and group ids and supplementary groups: those of the calling host
//! thread, which is the guest thread (see [`host::cred`]). Every call goes
//! to the host kernel, which applies its own permission rules, as under
//! `qemu-riscv64`.

use rustix::io::Errno;
use rustix::process::Gid;

use super::{SysResult, efault};
use crate::host;
use crate::host::cred::SetIds;
use crate::thread::Thread;

/// `NGROUPS_MAX`: the most supplementary groups a process can have.
const NGROUPS_MAX: u64 = 65536;

/// `set*id` with the guest's arguments (`uid_t`/`gid_t` are 32 bits).
pub(crate) fn set_ids(call: SetIds, a: &[u64]) -> SysResult {
    host::cred::set_ids(call, [a[0] as u32, a[1] as u32, a[2] as u32])
}

/// `getresuid(ruid, euid, suid)` (`user`) or `getresgid`.
pub(crate) fn getres(p: &Thread, user: bool, ptrs: &[u64]) -> SysResult {
    let ids = host::cred::get_res(user);
    for (&ptr, id) in ptrs.iter().zip(ids) {
        p.mem.write_bytes(ptr, &id.to_le_bytes()).map_err(efault)?;
    }
    Ok(0)
}

/// `getgroups(size, list)`: the count when `size` is 0, else `EINVAL` if the
/// groups do not fit.
pub(crate) fn getgroups(p: &Thread, size: u64, list: u64) -> SysResult {
    let size = size as i32;
    if size < 0 {
        return Err(Errno::INVAL);
    }
    let groups = rustix::process::getgroups()?;
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if groups.len() > size as usize {
        return Err(Errno::INVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.as_raw().to_le_bytes()).collect();
    p.mem.write_bytes(list, &bytes).map_err(efault)?;
    Ok(groups.len() as u64)
}

/// `setgroups(size, list)` on the calling thread (glibc's `setgroups`
/// runs it on every thread).
pub(crate) fn setgroups(p: &Thread, size: u64, list: u64) -> SysResult {
    let size = u64::from(size as u32);
    if size > NGROUPS_MAX {
        return Err(Errno::INVAL);
    }
    let mut bytes = vec![0u8; size as usize * 4];
    p.mem.read_bytes(list, &mut bytes).map_err(efault)?;
    let groups: Vec<Gid> =
        bytes.chunks_exact(4).map(|c| Gid::from_raw(u32::from_le_bytes(c.try_into().expect("chunks of 4")))).collect();
    rustix::thread::set_thread_groups(&groups)?;
    Ok(0)
}
