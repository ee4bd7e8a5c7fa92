//! System V IPC: shared memory, semaphores and message queues.
//!
//! The objects are the host's (see [`crate::host::ipc`]), so keys, ids
//! and permissions mean what they mean to every other process. `shmat`
//! maps the host segment straight into the guest reservation
//! ([`AddressSpace::map_shared`](ferrovm_mem::AddressSpace::map_shared)),
//! so it is shared with the other attachers and survives `fork` shared.
//!
//! Structure layouts: `struct ipc64_perm`, `shmid64_ds` and `msqid64_ds`
//! are the same on riscv64 (asm-generic) and x86-64; `semid64_ds` differs
//! (x86-64 has an unused word after each time, asm-generic does not), so it
//! is translated. `struct sembuf`, `seminfo`, `shminfo64`, `shm_info` and
//! `msginfo` are the same.

use ferrovm_mem::{PAGE_SIZE, Perms, SharedBacking};
use rustix::io::Errno;

use super::mm::{MMAP_BASE, forget, push_shared};
use super::{SysResult, efault};
use crate::host::ipc::{self, CTL_BUF, SemArg};
use crate::process::SharedKind;
use crate::thread::Thread;

const IPC_RMID: i32 = 0;
const IPC_SET: i32 = 1;
const IPC_STAT: i32 = 2;
const IPC_INFO: i32 = 3;

const SHM_LOCK: i32 = 11;
const SHM_UNLOCK: i32 = 12;
const SHM_STAT: i32 = 13;
const SHM_INFO: i32 = 14;
const SHM_STAT_ANY: i32 = 15;

const GETPID: i32 = 11;
const GETZCNT: i32 = 15;
const SETVAL: i32 = 16;
const GETALL: i32 = 13;
const SETALL: i32 = 17;
const SEM_STAT: i32 = 18;
const SEM_INFO: i32 = 19;
const SEM_STAT_ANY: i32 = 20;

const MSG_STAT: i32 = 11;
const MSG_INFO: i32 = 12;
const MSG_STAT_ANY: i32 = 13;

const SHM_RDONLY: u64 = 0o10000;
const SHM_RND: u64 = 0o20000;
const SHM_REMAP: u64 = 0o40000;
const SHM_EXEC: u64 = 0o100000;

/// `sizeof(struct shmid64_ds)`, `sizeof(struct msqid64_ds)` (both ABIs),
/// riscv64's `sizeof(struct semid64_ds)`.
const SHMID_DS: usize = 112;
const MSQID_DS: usize = 120;
const SEMID_DS_RISCV: usize = 88;
/// `sizeof(struct ipc64_perm)`.
const IPC_PERM: usize = 48;
/// `struct shminfo64` (9 longs), `struct shm_info`, `struct seminfo` and
/// `struct msginfo` (ints).
const SHMINFO: usize = 72;
const SHM_INFO_SIZE: usize = 48;
const SEMINFO: usize = 40;
const MSGINFO: usize = 32;

/// Largest message ferrovm copies in one `msgsnd`/`msgrcv` (Linux's
/// default `msgmax` is 8 KiB).
const MSG_COPY_MAX: u64 = 1 << 24;
/// Largest `nsops` for `semop` (Linux's `SEMOPM` limit defaults to 500).
const SEMOP_MAX: u64 = 1 << 16;

fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

fn id_of(v: u64) -> i32 {
    v as i32
}

/// `shmget(key, size, flags)`.
pub(crate) fn shmget(key: u64, size: u64, flags: u64) -> SysResult {
    ipc::shmget(key as i32, size, flags as i32)
}

/// `shmctl(id, cmd, buf)`.
pub(crate) fn shmctl(p: &mut Thread, id: u64, cmd: u64, buf: u64) -> SysResult {
    let cmd = cmd as i32;
    let (size, reads) = match cmd {
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => (SHMID_DS, false),
        IPC_SET => (SHMID_DS, true),
        IPC_INFO => (SHMINFO, false),
        SHM_INFO => (SHM_INFO_SIZE, false),
        IPC_RMID | SHM_LOCK | SHM_UNLOCK => return ipc::ctl(false, id_of(id), cmd, None),
        _ => return Err(Errno::INVAL),
    };
    ctl_with_buffer(p, false, id, cmd, buf, size, reads)
}

/// `msgctl(id, cmd, buf)`.
pub(crate) fn msgctl(p: &mut Thread, id: u64, cmd: u64, buf: u64) -> SysResult {
    let cmd = cmd as i32;
    let (size, reads) = match cmd {
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => (MSQID_DS, false),
        IPC_SET => (MSQID_DS, true),
        IPC_INFO | MSG_INFO => (MSGINFO, false),
        IPC_RMID => return ipc::ctl(true, id_of(id), cmd, None),
        _ => return Err(Errno::INVAL),
    };
    ctl_with_buffer(p, true, id, cmd, buf, size, reads)
}

/// A `shmctl`/`msgctl` whose structure is the same in both ABIs: `size`
/// bytes read from the guest (`IPC_SET`) or written to it.
fn ctl_with_buffer(p: &Thread, msg: bool, id: u64, cmd: i32, buf: u64, size: usize, reads: bool) -> SysResult {
    let mut b = [0u8; CTL_BUF];
    if reads {
        p.mem.read_bytes(buf, &mut b[..size]).map_err(efault)?;
    } else if !p.mem.perms(buf).write() {
        return Err(Errno::FAULT);
    }
    let r = ipc::ctl(msg, id_of(id), cmd, Some(&mut b))?;
    if !reads {
        p.mem.write_bytes(buf, &b[..size]).map_err(efault)?;
    }
    Ok(r)
}

/// `shmat(id, addr, flags)`: the host segment mapped at a free guest
/// address (or at `addr`), as a shared mapping.
pub(crate) fn shmat(p: &mut Thread, id: u64, addr: u64, flags: u64) -> SysResult {
    let mut ds = [0u8; CTL_BUF];
    ipc::ctl(false, id_of(id), IPC_STAT, Some(&mut ds))?;
    let key = word(&ds, 0) as u32;
    let len = word(&ds, IPC_PERM).checked_add(PAGE_SIZE - 1).ok_or(Errno::INVAL)? & !(PAGE_SIZE - 1);
    if len == 0 {
        return Err(Errno::INVAL);
    }
    let writable = flags & SHM_RDONLY == 0;
    let mut perms = Perms::R;
    if writable {
        perms |= Perms::W;
    }
    if flags & SHM_EXEC != 0 {
        perms |= Perms::X;
    }
    let proc = std::sync::Arc::clone(&p.proc);
    let _mm = proc.mm_lock();
    let start = if addr == 0 {
        p.mem.find_free(len, None, MMAP_BASE).ok_or(Errno::NOMEM)?
    } else {
        // SHMLBA is the page size on riscv64.
        let a = if flags & SHM_RND != 0 { addr & !(PAGE_SIZE - 1) } else { addr };
        let end = a.checked_add(len).ok_or(Errno::INVAL)?;
        if a & (PAGE_SIZE - 1) != 0 || a < ferrovm_mem::MMAP_MIN_ADDR || end > ferrovm_mem::GUEST_LIMIT {
            return Err(Errno::INVAL);
        }
        if flags & SHM_REMAP == 0 && p.mem.mappings().iter().any(|m| m.start < end && m.end > a) {
            return Err(Errno::INVAL);
        }
        a
    };
    forget(p, start, start + len);
    let name = format!("/SYSV{key:08x} (deleted)");
    p.mem.map_shared(start, len, perms, Some(&name), SharedBacking::SysV { id: id_of(id), writable }).map_err(|e| {
        match e {
            ferrovm_mem::Error::Host { source, .. } => source,
            _ => Errno::INVAL,
        }
    })?;
    push_shared(p, start..start + len, writable, SharedKind::SysV(id_of(id)));
    Ok(start)
}

/// `shmdt(addr)`: detaches the segment attached at `addr`.
pub(crate) fn shmdt(p: &mut Thread, addr: u64) -> SysResult {
    let proc = std::sync::Arc::clone(&p.proc);
    let _mm = proc.mm_lock();
    let range = p
        .proc
        .shared_maps
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|m| m.range.start == addr && matches!(m.kind, SharedKind::SysV(_)))
        .map(|m| m.range.clone())
        .ok_or(Errno::INVAL)?;
    forget(p, range.start, range.end);
    p.mem.unmap(range.start, range.end - range.start).map_err(|_| Errno::INVAL)?;
    Ok(0)
}

/// `semget(key, nsems, flags)`.
pub(crate) fn semget(key: u64, nsems: u64, flags: u64) -> SysResult {
    ipc::semget(key as i32, nsems as i32, flags as i32)
}

/// riscv64 `semid64_ds` from x86-64's: the times and `sem_nsems` move.
fn semid_to_guest(host: &[u8; CTL_BUF]) -> [u8; SEMID_DS_RISCV] {
    let mut g = [0u8; SEMID_DS_RISCV];
    g[..IPC_PERM].copy_from_slice(&host[..IPC_PERM]);
    for (to, from) in [(48, 48), (56, 64), (64, 80)] {
        g[to..to + 8].copy_from_slice(&host[from..from + 8]);
    }
    g
}

/// x86-64 `semid64_ds` from riscv64's (`IPC_SET` reads only the
/// permissions, but the whole structure is carried over).
fn semid_to_host(guest: &[u8; SEMID_DS_RISCV]) -> [u8; CTL_BUF] {
    let mut h = [0u8; CTL_BUF];
    h[..IPC_PERM].copy_from_slice(&guest[..IPC_PERM]);
    for (from, to) in [(48, 48), (56, 64), (64, 80)] {
        h[to..to + 8].copy_from_slice(&guest[from..from + 8]);
    }
    h
}

/// The number of semaphores in set `id`.
fn nsems(id: i32) -> Result<usize, Errno> {
    let mut b = [0u8; CTL_BUF];
    ipc::semctl(id, 0, IPC_STAT, SemArg::Struct(&mut b))?;
    usize::try_from(word(&b, 80)).map_err(|_| Errno::INVAL)
}

/// `semctl(id, num, cmd, arg)` (`arg` is `union semun`, passed by value).
pub(crate) fn semctl(p: &mut Thread, id: u64, num: u64, cmd: u64, arg: u64) -> SysResult {
    let (id, num, cmd) = (id_of(id), num as i32, cmd as i32);
    match cmd {
        IPC_RMID | GETPID..=GETZCNT if cmd != GETALL => ipc::semctl(id, num, cmd, SemArg::Value(0)),
        SETVAL => ipc::semctl(id, num, cmd, SemArg::Value(arg & 0xffff_ffff)),
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            let mut b = [0u8; CTL_BUF];
            if !p.mem.perms(arg).write() {
                return Err(Errno::FAULT);
            }
            let r = ipc::semctl(id, num, cmd, SemArg::Struct(&mut b))?;
            p.mem.write_bytes(arg, &semid_to_guest(&b)).map_err(efault)?;
            Ok(r)
        }
        IPC_SET => {
            let mut g = [0u8; SEMID_DS_RISCV];
            p.mem.read_bytes(arg, &mut g).map_err(efault)?;
            ipc::semctl(id, num, cmd, SemArg::Struct(&mut semid_to_host(&g)))
        }
        IPC_INFO | SEM_INFO => {
            let mut b = [0u8; CTL_BUF];
            let r = ipc::semctl(id, num, cmd, SemArg::Struct(&mut b))?;
            p.mem.write_bytes(arg, &b[..SEMINFO]).map_err(efault)?;
            Ok(r)
        }
        GETALL | SETALL => {
            let mut vals = vec![0u8; 2 * nsems(id)?];
            if cmd == SETALL {
                p.mem.read_bytes(arg, &mut vals).map_err(efault)?;
            }
            let r = ipc::semctl(id, num, cmd, SemArg::Values(&mut vals))?;
            if cmd == GETALL {
                p.mem.write_bytes(arg, &vals).map_err(efault)?;
            }
            Ok(r)
        }
        _ => Err(Errno::INVAL),
    }
}

/// `semtimedop(id, sops, nsops, timeout)` (`semop` has no timeout).
pub(crate) fn semtimedop(p: &mut Thread, id: u64, sops: u64, nsops: u64, timeout: u64) -> SysResult {
    if nsops == 0 {
        return Err(Errno::INVAL);
    }
    if nsops > SEMOP_MAX {
        return Err(Errno::TOOBIG);
    }
    let mut ops = vec![0u8; 6 * nsops as usize];
    p.mem.read_bytes(sops, &mut ops).map_err(efault)?;
    let ts = if timeout != 0 {
        let [sec, nsec] = super::get_u64s::<2>(p, timeout)?;
        if (sec as i64) < 0 || nsec >= 1_000_000_000 {
            return Err(Errno::INVAL);
        }
        Some(libc::timespec { tv_sec: sec as libc::time_t, tv_nsec: nsec as libc::c_long })
    } else {
        None
    };
    p.blocking(|kick| ipc::semtimedop(kick, id_of(id), &mut ops, ts.as_ref()))
}

/// `msgget(key, flags)`.
pub(crate) fn msgget(key: u64, flags: u64) -> SysResult {
    ipc::msgget(key as i32, flags as i32)
}

/// `msgsnd(id, msgp, size, flags)`: `msgp` is `long mtype` and the text.
pub(crate) fn msgsnd(p: &mut Thread, id: u64, msgp: u64, size: u64, flags: u64) -> SysResult {
    if (size as i64) < 0 || size > MSG_COPY_MAX {
        return Err(Errno::INVAL);
    }
    let mut msg = vec![0u8; 8 + size as usize];
    p.mem.read_bytes(msgp, &mut msg).map_err(efault)?;
    p.blocking(|kick| ipc::msgsnd(kick, id_of(id), &msg, flags as i32))
}

/// `msgrcv(id, msgp, size, type, flags)`.
pub(crate) fn msgrcv(p: &mut Thread, id: u64, msgp: u64, size: u64, typ: u64, flags: u64) -> SysResult {
    if (size as i64) < 0 {
        return Err(Errno::INVAL);
    }
    if !p.mem.perms(msgp).write() {
        return Err(Errno::FAULT);
    }
    let mut msg = vec![0u8; 8 + size.min(MSG_COPY_MAX) as usize];
    let n = p.blocking(|kick| ipc::msgrcv(kick, id_of(id), &mut msg, typ as i64, flags as i32))?;
    let got = msg.get(..8 + n as usize).ok_or(Errno::INVAL)?;
    p.mem.write_bytes(msgp, got).map_err(efault)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semid_ds_layouts_translate() {
        // x86-64: otime at 48, ctime at 64, nsems at 80 (an unused word
        // after each time); riscv64 (asm-generic): 48, 56, 64.
        let mut host = [0u8; CTL_BUF];
        host[..IPC_PERM].fill(0xab);
        host[48..56].copy_from_slice(&111u64.to_le_bytes());
        host[64..72].copy_from_slice(&222u64.to_le_bytes());
        host[80..88].copy_from_slice(&3u64.to_le_bytes());
        let guest = semid_to_guest(&host);
        assert_eq!(&guest[..IPC_PERM], &host[..IPC_PERM]);
        assert_eq!([word(&guest, 48), word(&guest, 56), word(&guest, 64)], [111, 222, 3]);
        assert_eq!(semid_to_host(&guest), host);
    }
}
