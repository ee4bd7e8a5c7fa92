//! Memory system calls: `brk`, `mmap`, `munmap`, `mprotect`.

use rustix::io::Errno;

use ferrovm_mem::{PAGE_SIZE, Perms};

use super::SysResult;
use crate::process::Process;
use crate::stack::{STACK_SIZE, STACK_TOP};

/// Top of the mmap area: below the stack and a 128 MiB gap, as Linux lays it
/// out (`mmap_base`).
pub(crate) const MMAP_BASE: u64 = STACK_TOP - STACK_SIZE - (128 << 20);

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

fn page_up(x: u64) -> Option<u64> {
    Some(x.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

fn perms(prot: u64) -> Perms {
    Perms::from_prot(prot as u32)
}

/// `brk`: returns the new break, or the old one if it cannot move.
pub(crate) fn brk(p: &mut Process, addr: u64) -> u64 {
    let b = p.brk;
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
        p.brk.mapped_end = want_end;
    } else if want_end < b.mapped_end {
        if p.mem.unmap(want_end, b.mapped_end - want_end).is_err() {
            return b.current;
        }
        p.brk.mapped_end = want_end;
    }
    p.brk.current = addr;
    addr
}

pub(crate) fn mmap(p: &mut Process, addr: u64, len: u64, prot: u64, flags: u64, fd: u64, offset: u64) -> SysResult {
    if len == 0 || addr & (PAGE_SIZE - 1) != 0 && flags & MAP_FIXED != 0 || offset & (PAGE_SIZE - 1) != 0 {
        return Err(Errno::INVAL);
    }
    if flags & (MAP_SHARED | MAP_PRIVATE) == 0 {
        return Err(Errno::INVAL);
    }
    let len = page_up(len).ok_or(Errno::NOMEM)?;
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let hint = addr & !(PAGE_SIZE - 1);
    let start = if fixed {
        let end = hint.checked_add(len).ok_or(Errno::NOMEM)?;
        if end > ferrovm_mem::GUEST_LIMIT || hint < ferrovm_mem::MMAP_MIN_ADDR {
            return Err(Errno::NOMEM);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && p.mem.mappings().iter().any(|m| m.start < end && m.end > hint) {
            return Err(Errno::EXIST);
        }
        hint
    } else {
        let hint = (hint != 0).then_some(hint);
        p.mem.find_free(len, hint, MMAP_BASE).ok_or(Errno::NOMEM)?
    };
    // File contents are copied in (a private snapshot); check the fd first.
    let file = if flags & MAP_ANONYMOUS == 0 {
        Some(p.fds.get(fd)?.try_clone_to_owned().map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::BADF))?)
    } else {
        None
    };
    p.mem.map(start, len, Perms::RW).map_err(|_| Errno::NOMEM)?;
    p.engine.invalidate(start, len);
    if let Some(file) = file {
        let mut buf = vec![0u8; len as usize];
        let mut done = 0usize;
        while done < buf.len() {
            match rustix::io::pread(&file, &mut buf[done..], offset + done as u64) {
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
    }
    p.mem.protect(start, len, perms(prot)).map_err(|_| Errno::NOMEM)?;
    Ok(start)
}

pub(crate) fn munmap(p: &mut Process, addr: u64, len: u64) -> SysResult {
    if addr & (PAGE_SIZE - 1) != 0 || len == 0 {
        return Err(Errno::INVAL);
    }
    let len = page_up(len).ok_or(Errno::INVAL)?;
    if addr.checked_add(len).is_none_or(|e| e > ferrovm_mem::GUEST_LIMIT) {
        return Err(Errno::INVAL);
    }
    p.mem.unmap(addr, len).map_err(|_| Errno::INVAL)?;
    p.engine.invalidate(addr, len);
    Ok(0)
}

pub(crate) fn mprotect(p: &mut Process, addr: u64, len: u64, prot: u64) -> SysResult {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(Errno::INVAL);
    }
    let len = page_up(len).ok_or(Errno::NOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    p.mem.protect(addr, len, perms(prot)).map_err(|_| Errno::NOMEM)?;
    Ok(0)
}
