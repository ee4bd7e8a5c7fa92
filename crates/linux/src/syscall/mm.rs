//! Memory system calls: `brk`, `mmap`, `munmap`, `mprotect`, `mremap`,
//! `msync`, `madvise`.
//!
//! `MAP_PRIVATE` file mappings are copies: the file's bytes are read into
//! guest memory. `MAP_SHARED` mappings are the host's own: the file (or, for
//! `MAP_SHARED | MAP_ANONYMOUS`, a host memfd) is mapped `MAP_SHARED |
//! MAP_FIXED` straight into the guest reservation
//! ([`AddressSpace::map_shared`](ferrovm_mem::AddressSpace::map_shared)), so
//! they are coherent with `read`/`write` and stay shared with forked
//! children. Pages wholly past the end of the file are left inaccessible
//! and an access there is SIGBUS, as on Linux (the file growing later does
//! not make them accessible; `mremap` of a shared mapping copies it into
//! private memory).
//!
//! Translations of code these calls replace, unmap or make non-executable
//! are dropped from one place: the address space records such pages as
//! dirty code and every vCPU drops their translations before it runs on.

use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStringExt as _;

/// `PROT_EXEC` of `mmap`'s `prot`.
const PROT_EXEC: u64 = linux_raw_sys::general::PROT_EXEC as u64;

use rustix::io::Errno;

use ferrovm_mem::{GUEST_LIMIT, MMAP_MIN_ADDR, PAGE_SIZE, Perms, SharedBacking};

use super::SysResult;
use crate::process::{SharedKind, SharedMap};
use crate::stack::{STACK_SIZE, STACK_TOP};
use crate::thread::Thread;

/// Top of the mmap area: below the stack and a 128 MiB gap, as Linux lays it
/// out (`mmap_base`).
pub(crate) const MMAP_BASE: u64 = STACK_TOP - STACK_SIZE - (128 << 20);

const MAP_PRIVATE: u64 = linux_raw_sys::general::MAP_PRIVATE as u64;
const MAP_SHARED_VALIDATE: u64 = linux_raw_sys::general::MAP_SHARED_VALIDATE as u64;
const MAP_FIXED: u64 = linux_raw_sys::general::MAP_FIXED as u64;
const MAP_ANONYMOUS: u64 = linux_raw_sys::general::MAP_ANONYMOUS as u64;
const MAP_FIXED_NOREPLACE: u64 = linux_raw_sys::general::MAP_FIXED_NOREPLACE as u64;
const MAP_STACK: u64 = linux_raw_sys::general::MAP_STACK as u64;
const MAP_GROWSDOWN: u64 = linux_raw_sys::general::MAP_GROWSDOWN as u64;

const MREMAP_MAYMOVE: u64 = linux_raw_sys::general::MREMAP_MAYMOVE as u64;
const MREMAP_FIXED: u64 = linux_raw_sys::general::MREMAP_FIXED as u64;

const MADV_DONTNEED: u64 = linux_raw_sys::general::MADV_DONTNEED as u64;

fn page_up(x: u64) -> Option<u64> {
    Some(x.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

fn perms(prot: u64) -> Perms {
    Perms::from_prot(prot as u32)
}

/// Backs the new private anonymous guest memory `[start, start + len)`
/// with host huge pages where the process asks for them
/// ([`HugePages`](crate::HugePages)).
fn advise_huge(p: &Thread, start: u64, len: u64) {
    if p.proc.options.huge_pages == crate::HugePages::Large && len >= ferrovm_mem::HUGE_PAGE {
        // A hint: failing (no huge pages on this host) changes nothing.
        let _ = p.mem.advise_huge_pages(start, len);
    }
}

/// `brk`: returns the new break, or the old one if it cannot move.
pub(crate) fn brk(p: &mut Thread, addr: u64) -> u64 {
    let mut brk = p.proc.brk.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let b = *brk;
    if addr < b.start {
        return b.current;
    }
    let Some(want_end) = page_up(addr) else { return b.current };
    if want_end > b.mapped_end {
        let grow = want_end - b.mapped_end;
        if p.mem.is_mapped(b.mapped_end..want_end) || want_end > MMAP_BASE {
            return b.current;
        }
        // Only map pages nobody else holds (an mmap may sit above the heap).
        let clash = p.mem.mappings().iter().any(|m| m.start < want_end && m.end > b.mapped_end);
        if clash || p.mem.map_named(b.mapped_end, grow, Perms::RW, Some("[heap]")).is_err() {
            return b.current;
        }
        brk.mapped_end = want_end;
        // The heap grows a few pages at a time: advise from one huge page
        // back, which covers every huge page this growth completed.
        let from = b.mapped_end.saturating_sub(ferrovm_mem::HUGE_PAGE).max(b.start);
        advise_huge(p, from, want_end - from);
    } else if want_end < b.mapped_end {
        if p.mem.unmap(want_end, b.mapped_end - want_end).is_err() {
            return b.current;
        }
        brk.mapped_end = want_end;
    }
    brk.current = addr;
    addr
}

/// Before `[start, end)` is unmapped or replaced: forgets shared mappings
/// and SIGBUS ranges there.
pub(crate) fn forget(p: &Thread, start: u64, end: u64) {
    p.proc.symbols.remove(start, end);
    let mut kept = Vec::new();
    let mut shared = p.proc.shared_maps.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for m in std::mem::take(&mut *shared) {
        if m.range.end <= start || m.range.start >= end {
            kept.push(m);
            continue;
        }
        if m.range.end > end {
            kept.push(SharedMap { range: end..m.range.end, ..m });
        }
        if m.range.start < start {
            kept.push(SharedMap { range: m.range.start..start, ..m });
        }
    }
    *shared = kept;
    drop(shared);
    let mut bus = Vec::new();
    let mut sigbus = p.proc.sigbus.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for r in std::mem::take(&mut *sigbus) {
        if r.start < start {
            bus.push(r.start..r.end.min(start));
        }
        if r.end > end {
            bus.push(r.start.max(end)..r.end);
        }
    }
    *sigbus = bus;
}

pub(crate) fn mmap(p: &mut Thread, addr: u64, len: u64, prot: u64, flags: u64, fd: u64, offset: u64) -> SysResult {
    if len == 0 || addr & (PAGE_SIZE - 1) != 0 && flags & MAP_FIXED != 0 || offset & (PAGE_SIZE - 1) != 0 {
        return Err(Errno::INVAL);
    }
    let kind = flags & MAP_SHARED_VALIDATE;
    if kind == 0 {
        return Err(Errno::INVAL);
    }
    let len = page_up(len).filter(|&l| l <= GUEST_LIMIT).ok_or(Errno::NOMEM)?;
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let hint = addr & !(PAGE_SIZE - 1);
    let start = if fixed {
        let end = hint.checked_add(len).ok_or(Errno::NOMEM)?;
        if end > GUEST_LIMIT || hint < MMAP_MIN_ADDR {
            return Err(Errno::NOMEM);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && p.mem.mappings().iter().any(|m| m.start < end && m.end > hint) {
            return Err(Errno::EXIST);
        }
        hint
    } else {
        let hint = (hint >= MMAP_MIN_ADDR && hint.checked_add(len).is_some_and(|e| e <= MMAP_BASE)).then_some(hint);
        p.mem.find_free(len, hint, MMAP_BASE).ok_or(Errno::NOMEM)?
    };
    let shared = kind != MAP_PRIVATE;
    if flags & MAP_ANONYMOUS != 0 {
        forget(p, start, start + len);
        let name = shared.then_some("/dev/zero (deleted)");
        if shared {
            // Shared anonymous memory is a host memfd of its own, shared
            // with forked children.
            let fd = rustix::fs::memfd_create(c"ferrovm-shared", rustix::fs::MemfdFlags::CLOEXEC)?;
            rustix::fs::ftruncate(&fd, len)?;
            let backing = SharedBacking::File { fd: fd.as_fd(), offset: 0, writable: true };
            p.mem.map_shared(start, len, perms(prot), name, backing).map_err(|_| Errno::NOMEM)?;
            push_shared(p, start..start + len, true, SharedKind::Mmap);
        } else {
            p.mem.map_named(start, len, perms(prot), name).map_err(|_| Errno::NOMEM)?;
            if flags & (MAP_STACK | MAP_GROWSDOWN) == 0 {
                advise_huge(p, start, len);
            }
        }
        return Ok(start);
    }
    // A file: check the descriptor first.
    let f = p.fds().get(fd)?;
    let st = rustix::fs::fstat(&*f)?;
    let mode = st.st_mode & 0o170000;
    if mode == 0o040000 {
        return Err(Errno::NODEV);
    }
    let fl = rustix::fs::fcntl_getfl(&*f)?;
    let acc = fl & rustix::fs::OFlags::RWMODE;
    if acc == rustix::fs::OFlags::WRONLY || shared && prot & 2 != 0 && acc != rustix::fs::OFlags::RDWR {
        return Err(Errno::ACCESS);
    }
    let size = u64::try_from(st.st_size).unwrap_or(0);
    let regular = mode == 0o100000;
    forget(p, start, start + len);
    let link = format!("/proc/self/fd/{}", f.as_raw_fd());
    let host = rustix::fs::readlink(link.as_str(), Vec::new()).map(|c| c.into_bytes()).unwrap_or_default();
    let name = String::from_utf8_lossy(&p.vfs().guest_path(&host)).into_owned();
    if prot & PROT_EXEC != 0 {
        // A library (or any code) mapped from a file: its symbols.
        let path = std::path::PathBuf::from(std::ffi::OsString::from_vec(host.clone()));
        p.proc.symbols.add_mapping(start, start + len, &path, offset);
    }
    // The bytes the file backs; pages wholly past its end are SIGBUS.
    let avail = if regular { size.saturating_sub(offset).min(len) } else { len };
    let backed = if regular { page_up(avail).unwrap_or(len).min(len) } else { len };
    if shared {
        let writable = acc == rustix::fs::OFlags::RDWR;
        if backed > 0 {
            let backing = SharedBacking::File { fd: f.as_fd(), offset, writable };
            p.mem.map_shared(start, backed, perms(prot), Some(&name), backing).map_err(|e| match e {
                ferrovm_mem::Error::Host { source, .. } => source,
                _ => Errno::NOMEM,
            })?;
            push_shared(p, start..start + backed, writable, SharedKind::Mmap);
        }
    } else if regular
        && backed > 0
        && p.mem.map_file(start, backed, perms(prot), Some(&name), f.as_fd(), offset).is_ok()
    {
        // Copy-on-write pages of the file, read when the guest touches
        // them (a library's code mostly never is).
    } else {
        p.mem.map_named(start, len, Perms::RW, Some(&name)).map_err(|_| Errno::NOMEM)?;
        let mut buf = vec![0u8; usize::try_from(avail).map_err(|_| Errno::NOMEM)?];
        let mut done = 0usize;
        while done < buf.len() {
            match rustix::io::pread(&*f, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(Errno::INTR) => continue,
                Err(e) => {
                    let _ = p.mem.unmap(start, len);
                    return Err(e);
                }
            }
        }
        p.mem.write_bytes_force(start, &buf[..done]).map_err(|_| Errno::NOMEM)?;
        if backed > 0 {
            p.mem.protect(start, backed, perms(prot)).map_err(|_| Errno::NOMEM)?;
        }
    }
    if backed < len {
        let r = start + backed..start + len;
        p.mem.map_named(r.start, r.end - r.start, Perms::NONE, Some(&name)).map_err(|_| Errno::NOMEM)?;
        p.proc.sigbus.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(r);
    }
    Ok(start)
}

/// Records a host-shared mapping.
pub(crate) fn push_shared(p: &Thread, range: Range<u64>, writable: bool, kind: SharedKind) {
    p.proc.shared_maps.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(SharedMap {
        range,
        writable,
        kind,
    });
}

fn check_range(addr: u64, len: u64) -> Result<u64, Errno> {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(Errno::INVAL);
    }
    let len = page_up(len).ok_or(Errno::INVAL)?;
    if addr.checked_add(len).is_none_or(|e| e > GUEST_LIMIT) {
        return Err(Errno::INVAL);
    }
    Ok(len)
}

pub(crate) fn munmap(p: &mut Thread, addr: u64, len: u64) -> SysResult {
    if len == 0 {
        return Err(Errno::INVAL);
    }
    let len = check_range(addr, len)?;
    forget(p, addr, addr + len);
    p.mem.unmap(addr, len).map_err(|_| Errno::INVAL)?;
    Ok(0)
}

pub(crate) fn mprotect(p: &mut Thread, addr: u64, len: u64, prot: u64) -> SysResult {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(Errno::INVAL);
    }
    let len = page_up(len).ok_or(Errno::NOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    if addr.checked_add(len).is_none_or(|e| e > GUEST_LIMIT) || !p.mem.is_mapped(addr..addr + len) {
        return Err(Errno::NOMEM);
    }
    // A read-only shared mapping stays read-only (its host pages are).
    if prot & 2 != 0
        && p.proc
            .shared_maps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|m| !m.writable && m.range.start < addr + len && m.range.end > addr)
    {
        return Err(Errno::ACCESS);
    }
    p.mem.protect(addr, len, perms(prot)).map_err(|_| Errno::NOMEM)?;
    Ok(0)
}

pub(crate) fn mremap(p: &mut Thread, old: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> SysResult {
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | 4) != 0 || flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::INVAL);
    }
    if flags & 4 != 0 {
        return Err(Errno::INVAL); // MREMAP_DONTUNMAP: not supported
    }
    let old_len = check_range(old, old_len)?;
    let new_len = page_up(new_len).filter(|&l| l != 0 && l <= GUEST_LIMIT).ok_or(Errno::INVAL)?;
    if old_len == 0 || !p.mem.is_mapped(old..old + old_len) {
        return Err(Errno::FAULT);
    }
    if flags & MREMAP_FIXED == 0 {
        if new_len <= old_len {
            if new_len < old_len {
                munmap(p, old + new_len, old_len - new_len)?;
            }
            return Ok(old);
        }
        let grow_end = old.checked_add(new_len).filter(|&e| e <= MMAP_BASE.max(old + old_len));
        if let Some(end) = grow_end
            && !p.mem.mappings().iter().any(|m| m.start < end && m.end > old + old_len)
        {
            let (perms, name) = region_of(p, old + old_len - PAGE_SIZE);
            p.mem.map_named(old + old_len, new_len - old_len, perms, name.as_deref()).map_err(|_| Errno::NOMEM)?;
            advise_huge(p, old, new_len);
            return Ok(old);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::NOMEM);
        }
    }
    let dest = if flags & MREMAP_FIXED != 0 {
        let len = check_range(new_addr, new_len)?;
        if new_addr < MMAP_MIN_ADDR || new_addr < old + old_len && old < new_addr + len {
            return Err(Errno::INVAL);
        }
        munmap(p, new_addr, len)?;
        new_addr
    } else {
        p.mem.find_free(new_len, None, MMAP_BASE).ok_or(Errno::NOMEM)?
    };
    let (_, name) = region_of(p, old);
    p.mem.map_named(dest, new_len, Perms::RW, name.as_deref()).map_err(|_| Errno::NOMEM)?;
    advise_huge(p, dest, new_len);
    let keep = old_len.min(new_len);
    let mut buf = vec![0u8; keep as usize];
    p.mem.read_bytes_force(old, &mut buf).map_err(|_| Errno::FAULT)?;
    p.mem.write_bytes_force(dest, &buf).map_err(|_| Errno::FAULT)?;
    for off in (0..new_len).step_by(PAGE_SIZE as usize) {
        let from = old + off.min(old_len - PAGE_SIZE);
        let _ = p.mem.protect(dest + off, PAGE_SIZE, p.mem.perms(from) & Perms::RWX);
    }
    munmap(p, old, old_len)?;
    Ok(dest)
}

fn region_of(p: &Thread, addr: u64) -> (Perms, Option<String>) {
    let m = p.mem.mappings().into_iter().find(|m| m.start <= addr && addr < m.end);
    m.map_or((Perms::RW, None), |m| (m.perms, m.name))
}

pub(crate) fn msync(p: &mut Thread, addr: u64, len: u64, flags: u64) -> SysResult {
    let len = check_range(addr, len)?;
    if flags & !7 != 0 || flags & 5 == 5 {
        return Err(Errno::INVAL);
    }
    if len > 0 && !p.mem.is_mapped(addr..addr + len) {
        return Err(Errno::NOMEM);
    }
    // Shared mappings are the host's page cache already: nothing to write.
    Ok(0)
}

pub(crate) fn madvise(p: &mut Thread, addr: u64, len: u64, advice: u64) -> SysResult {
    let len = check_range(addr, len)?;
    if advice == MADV_DONTNEED {
        // Private anonymous memory reads back as zeros afterwards.
        let shared: Vec<Range<u64>> = p.proc.shared_ranges();
        for m in p.mem.mappings() {
            let (s, e) = (m.start.max(addr), m.end.min(addr + len));
            if s >= e || shared.iter().any(|sm| sm.start < e && sm.end > s) {
                continue;
            }
            if m.name.as_deref().is_some_and(|n| !n.starts_with('[')) {
                continue; // a private file mapping would re-read the file; keep its data
            }
            p.mem.map_named(s, e - s, m.perms, m.name.as_deref()).map_err(|_| Errno::NOMEM)?;
        }
    }
    Ok(0)
}
