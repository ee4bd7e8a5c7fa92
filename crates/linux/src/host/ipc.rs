//! System V IPC on the host: the guest's segments, semaphore sets and
//! message queues are the host's own, so they are shared with other
//! processes (ferrovm or native) exactly as on Linux. Each call takes
//! buffers sized for the largest structure the kernel may read or write.

use std::sync::atomic::AtomicU32;

use rustix::io::Errno;

use super::{plain, safe};

/// Size of the buffer `shmctl`/`msgctl`/`semctl` structures use: larger
/// than `struct shmid64_ds` (112 bytes), `struct msqid64_ds` (120),
/// x86-64's `struct semid64_ds` (104), `struct shminfo64`, `struct
/// shm_info`, `struct seminfo` and `struct msginfo`.
pub const CTL_BUF: usize = 128;

/// `shmget(key, size, flags)`.
pub fn shmget(key: i32, size: u64, flags: i32) -> Result<u64, Errno> {
    plain(libc::SYS_shmget, [key as u64, size, flags as u64, 0, 0, 0])
}

/// `semget(key, nsems, flags)`.
pub fn semget(key: i32, nsems: i32, flags: i32) -> Result<u64, Errno> {
    plain(libc::SYS_semget, [key as u64, nsems as u64, flags as u64, 0, 0, 0])
}

/// `msgget(key, flags)`.
pub fn msgget(key: i32, flags: i32) -> Result<u64, Errno> {
    plain(libc::SYS_msgget, [key as u64, flags as u64, 0, 0, 0, 0])
}

/// `shmctl`/`msgctl(id, cmd, buf)` with a structure buffer (or none).
pub fn ctl(msg: bool, id: i32, cmd: i32, buf: Option<&mut [u8; CTL_BUF]>) -> Result<u64, Errno> {
    let nr = if msg { libc::SYS_msgctl } else { libc::SYS_shmctl };
    let b = buf.map_or(0, |b| b.as_mut_ptr() as u64);
    // SAFETY: `buf` is null or CTL_BUF bytes, valid for reads and writes,
    // larger than any structure these commands use.
    let r = unsafe { libc::syscall(nr, id, cmd, b) };
    if r < 0 {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL))
    } else {
        Ok(r as u64)
    }
}

/// What `semctl`'s fourth argument is.
#[derive(Debug)]
pub enum SemArg<'a> {
    /// A number (`SETVAL`) or unused.
    Value(u64),
    /// A structure (`IPC_STAT`, `IPC_SET`, `IPC_INFO`, ...).
    Struct(&'a mut [u8; CTL_BUF]),
    /// The semaphore values (`GETALL`, `SETALL`): 2 bytes each, at least
    /// as many as the set has.
    Values(&'a mut [u8]),
}

/// `semctl(id, num, cmd, arg)`. For `GETALL`/`SETALL` the caller sizes the
/// buffer from the set's `sem_nsems` (a set's size never changes, and ids
/// are not reused while it exists).
pub fn semctl(id: i32, num: i32, cmd: i32, arg: SemArg<'_>) -> Result<u64, Errno> {
    let a = match arg {
        SemArg::Value(v) => v,
        SemArg::Struct(b) => b.as_mut_ptr() as u64,
        SemArg::Values(b) => b.as_mut_ptr() as u64,
    };
    // SAFETY: the argument is a number or a buffer valid for reads and
    // writes of what the command uses (see above).
    let r = unsafe { libc::syscall(libc::SYS_semctl, id, num, cmd, a) };
    if r < 0 {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL))
    } else {
        Ok(r as u64)
    }
}

/// `semtimedop(id, sops, nsops, timeout)`, interruptible through `flag`:
/// `sops` holds `struct sembuf`s (6 bytes each).
pub fn semtimedop(flag: &AtomicU32, id: i32, sops: &mut [u8], timeout: Option<&libc::timespec>) -> Result<u64, Errno> {
    let n = (sops.len() / 6) as u64;
    let t = timeout.map_or(0, |t| std::ptr::from_ref(t) as u64);
    // SAFETY: `sops` holds `n` sembufs; the timeout is null or live.
    unsafe { safe::safe_syscall(flag, libc::SYS_semtimedop, [id as u64, sops.as_mut_ptr() as u64, n, t, 0, 0]) }
}

/// `msgsnd(id, msg, size, flags)`, interruptible: `msg` is the type (8
/// bytes) and the text, `size` bytes of it.
pub fn msgsnd(flag: &AtomicU32, id: i32, msg: &[u8], flags: i32) -> Result<u64, Errno> {
    let size = msg.len().saturating_sub(8) as u64;
    // SAFETY: the kernel reads 8 + size bytes of `msg`, all of it.
    unsafe { safe::safe_syscall(flag, libc::SYS_msgsnd, [id as u64, msg.as_ptr() as u64, size, flags as u64, 0, 0]) }
}

/// `msgrcv(id, msg, size, type, flags)`, interruptible: `msg` has room
/// for the type and `size` bytes of text.
pub fn msgrcv(flag: &AtomicU32, id: i32, msg: &mut [u8], typ: i64, flags: i32) -> Result<u64, Errno> {
    let size = msg.len().saturating_sub(8) as u64;
    // SAFETY: the kernel writes at most 8 + size bytes of `msg`.
    unsafe {
        safe::safe_syscall(
            flag,
            libc::SYS_msgrcv,
            [id as u64, msg.as_mut_ptr() as u64, size, typ as u64, flags as u64, 0],
        )
    }
}
