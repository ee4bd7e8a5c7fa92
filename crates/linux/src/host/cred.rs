//! Credentials of the calling host thread, which is the guest thread.
//!
//! Linux keeps user and group ids per thread: a process-wide `setuid` is
//! the C library's doing (glibc runs the call on every thread), and the
//! guest's glibc does that itself on its threads. So these are the raw
//! system calls, never libc's wrappers, which would also change the ids of
//! ferrovm's own threads.

use rustix::io::Errno;

use super::plain;

/// The id calls that take only ids: `setuid`, `setgid`, `setreuid`,
/// `setregid`, `setresuid`, `setresgid`, `setfsuid`, `setfsgid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetIds {
    Uid,
    Gid,
    ReUid,
    ReGid,
    ResUid,
    ResGid,
    FsUid,
    FsGid,
}

/// Makes `call` with `ids` (`uid_t`/`gid_t`: 32 bits, `-1` for "unchanged"
/// is `u32::MAX`). `setfsuid`/`setfsgid` return the previous id and never
/// fail, as in the kernel.
pub fn set_ids(call: SetIds, ids: [u32; 3]) -> Result<u64, Errno> {
    let nr = match call {
        SetIds::Uid => libc::SYS_setuid,
        SetIds::Gid => libc::SYS_setgid,
        SetIds::ReUid => libc::SYS_setreuid,
        SetIds::ReGid => libc::SYS_setregid,
        SetIds::ResUid => libc::SYS_setresuid,
        SetIds::ResGid => libc::SYS_setresgid,
        SetIds::FsUid => libc::SYS_setfsuid,
        SetIds::FsGid => libc::SYS_setfsgid,
    };
    plain(nr, [u64::from(ids[0]), u64::from(ids[1]), u64::from(ids[2]), 0, 0, 0])
}

/// The calling thread's real, effective and saved user ids (`user`) or
/// group ids.
pub fn get_res(user: bool) -> [u32; 3] {
    let (mut r, mut e, mut s) = (0, 0, 0);
    // SAFETY: the three pointers are to live locals of the right type; with
    // valid pointers the calls cannot fail.
    unsafe {
        if user {
            libc::getresuid(&mut r, &mut e, &mut s);
        } else {
            libc::getresgid(&mut r, &mut e, &mut s);
        }
    }
    [r, e, s]
}
