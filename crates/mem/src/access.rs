//! Checked guest accesses: the interpreter's hot path.
//!
//! Every access is one range compare against [`GUEST_LIMIT`], two loads of
//! the permission table (the same byte unless the access straddles a page)
//! and one masked compare; everything else (faults, writes to code pages)
//! is in a cold out-of-line slow path. Values are little-endian and returned
//! in their native width (`load_u16` returns `u16`); the caller sign- or
//! zero-extends.

use crate::perms::page_flags;
use crate::{Access, AddressSpace, Fault, FaultKind, GUEST_LIMIT, PAGE_SIZE};

/// What an access needs from the flags of every page it touches:
/// `flags & mask == want`. Including [`page_flags::CODE`] in `mask` (but not
/// `want`) sends writes to code pages to the slow path.
#[derive(Clone, Copy)]
pub(crate) struct Need {
    mask: u8,
    want: u8,
    pub(crate) access: Access,
}

impl Need {
    pub(crate) const READ: Need = Need { mask: page_flags::READ, want: page_flags::READ, access: Access::Read };
    pub(crate) const WRITE: Need =
        Need { mask: page_flags::WRITE | page_flags::WRITE_SLOW, want: page_flags::WRITE, access: Access::Write };
    /// AMOs and store-conditional: read and write, reported as a write.
    pub(crate) const READ_WRITE: Need = Need {
        mask: page_flags::READ | page_flags::WRITE | page_flags::WRITE_SLOW,
        want: page_flags::READ | page_flags::WRITE,
        access: Access::Write,
    };
    pub(crate) const EXEC: Need = Need { mask: page_flags::EXEC, want: page_flags::EXEC, access: Access::Exec };
    /// `read_bytes_force`: mapped, whatever the permissions.
    const FORCE_READ: Need = Need { mask: page_flags::MAPPED, want: page_flags::MAPPED, access: Access::Read };
    /// `write_bytes_force`: mapped, whatever the permissions.
    const FORCE_WRITE: Need =
        Need { mask: page_flags::MAPPED | page_flags::WRITE_SLOW, want: page_flags::MAPPED, access: Access::Write };

    /// Whether `flags` allow the access (`CODE` included: see above).
    #[inline(always)]
    fn allows(self, flags: u8) -> bool {
        flags & self.mask == self.want
    }

    /// `allows(first) && allows(last)` with one branch: the wanted bits must
    /// be set in both, the other masked bits clear in both.
    #[inline(always)]
    fn allows_both(self, first: u8, last: u8) -> bool {
        (first & last & self.want) | ((first | last) & self.mask & !self.want) == self.want
    }
}

macro_rules! checked_load {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $need:expr) => {
        $(#[$doc])*
        #[inline]
        pub fn $name(&self, addr: u64) -> Result<$ty, Fault> {
            let p = self.check(addr, size_of::<$ty>() as u64, $need)?;
            // SAFETY: `check` proved `[addr, addr + size)` lies in mapped
            // guest pages, which are host read-write inside the reservation.
            // Unaligned read through a raw pointer, never a reference: guest
            // memory is racy shared memory (crate docs).
            Ok(<$ty>::from_le(unsafe { p.cast::<$ty>().read_unaligned() }))
        }
    };
}

macro_rules! checked_store {
    ($(#[$doc:meta])* $name:ident, $ty:ty) => {
        $(#[$doc])*
        #[inline]
        pub fn $name(&self, addr: u64, val: $ty) -> Result<(), Fault> {
            let p = self.check(addr, size_of::<$ty>() as u64, Need::WRITE)?;
            // SAFETY: as for the loads; the pages are host read-write.
            unsafe { p.cast::<$ty>().write_unaligned(val.to_le()) };
            Ok(())
        }
    };
}

impl AddressSpace {
    /// Host pointer for `[addr, addr + size)` if every page it touches allows
    /// `need` (`1 <= size <= PAGE_SIZE`).
    #[inline(always)]
    pub(crate) fn check(&self, addr: u64, size: u64, need: Need) -> Result<*mut u8, Fault> {
        // One compare covers both `addr + size > GUEST_LIMIT` and wrapping.
        if addr <= GUEST_LIMIT - size {
            let first = self.flags(addr);
            let last = self.flags(addr + size - 1);
            if need.allows_both(first, last) {
                return Ok(self.host_base().wrapping_add(addr as usize));
            }
        }
        self.check_slow(addr, size, need)
    }

    /// The slow path of [`check`](Self::check) and the only path of
    /// [`check_range`](Self::check_range): walks the pages, builds the
    /// fault, or handles writes to code pages.
    #[cold]
    #[inline(never)]
    fn check_slow(&self, addr: u64, size: u64, need: Need) -> Result<*mut u8, Fault> {
        let end = addr.saturating_add(size);
        let mut page = addr & !(PAGE_SIZE - 1);
        let mut code = false;
        while page < end {
            let at = page.max(addr);
            if page >= GUEST_LIMIT {
                return Err(Fault::new(at, need.access, FaultKind::Unmapped));
            }
            let flags = self.flags(page);
            if !need.allows(flags & !page_flags::WRITE_SLOW) {
                let kind = if flags & page_flags::MAPPED == 0 { FaultKind::Unmapped } else { FaultKind::Protection };
                return Err(Fault::new(at, need.access, kind));
            }
            code |= flags & page_flags::WRITE_SLOW != 0;
            page = page.saturating_add(PAGE_SIZE);
        }
        if code && need.mask & page_flags::CODE != 0 {
            let mut page = addr & !(PAGE_SIZE - 1);
            while page < end {
                self.page_written(page);
                page += PAGE_SIZE;
            }
        }
        Ok(self.host_base().wrapping_add(addr as usize))
    }

    /// Host pointer for `[addr, addr + len)` of any length (0 is fine).
    fn check_range(&self, addr: u64, len: usize, need: Need) -> Result<*mut u8, Fault> {
        if len == 0 {
            return Ok(self.host_base());
        }
        self.check_slow(addr, len as u64, need)
    }

    checked_load!(
        /// Loads a byte. Faults unless the page is readable.
        load_u8, u8, Need::READ
    );
    checked_load!(
        /// Loads a little-endian `u16`; may be misaligned (both pages must be
        /// readable if it straddles two).
        load_u16, u16, Need::READ
    );
    checked_load!(
        /// Loads a little-endian `u32`; may be misaligned.
        load_u32, u32, Need::READ
    );
    checked_load!(
        /// Loads a little-endian `u64`; may be misaligned.
        load_u64, u64, Need::READ
    );
    checked_store!(
        /// Stores a byte. Faults unless the page is writable. A store to a
        /// code page succeeds and raises [`code_dirty`](Self::code_dirty).
        store_u8, u8
    );
    checked_store!(
        /// Stores a little-endian `u16`; may be misaligned.
        store_u16, u16
    );
    checked_store!(
        /// Stores a little-endian `u32`; may be misaligned.
        store_u32, u32
    );
    checked_store!(
        /// Stores a little-endian `u64`; may be misaligned.
        store_u64, u64
    );

    /// Fetches a 16-bit instruction parcel. Needs `EXEC`; an odd `addr`
    /// faults as misaligned.
    ///
    /// Decoders should fetch the first parcel with this and call
    /// [`fetch_u32`](Self::fetch_u32) only for a 32-bit instruction (low bits
    /// `11`), so that a compressed instruction at the very end of an
    /// executable page does not fault on the next page.
    #[inline]
    pub fn fetch_u16(&self, addr: u64) -> Result<u16, Fault> {
        if addr & 1 != 0 {
            return Err(Fault::new(addr, Access::Exec, FaultKind::Misaligned));
        }
        let p = self.check(addr, 2, Need::EXEC)?;
        // SAFETY: as for the loads.
        Ok(u16::from_le(unsafe { p.cast::<u16>().read_unaligned() }))
    }

    /// Fetches a 32-bit instruction (2-byte aligned; if it straddles two
    /// pages, both must be executable). Needs `EXEC`.
    #[inline]
    pub fn fetch_u32(&self, addr: u64) -> Result<u32, Fault> {
        if addr & 1 != 0 {
            return Err(Fault::new(addr, Access::Exec, FaultKind::Misaligned));
        }
        let p = self.check(addr, 4, Need::EXEC)?;
        // SAFETY: as for the loads.
        Ok(u32::from_le(unsafe { p.cast::<u32>().read_unaligned() }))
    }

    /// Copies guest memory at `addr` into `buf` (a syscall reading a guest
    /// buffer). Every page must be readable; on a fault nothing is copied and
    /// the fault names the first bad byte (the syscall returns `EFAULT`).
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Fault> {
        self.read_with(addr, buf, Need::READ)
    }

    /// Copies `data` into guest memory at `addr`. Every page must be
    /// writable; on a fault nothing is written.
    pub fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Fault> {
        self.write_with(addr, data, Need::WRITE)
    }

    /// [`read_bytes`](Self::read_bytes) ignoring guest permissions: the range
    /// only has to be mapped.
    pub fn read_bytes_force(&self, addr: u64, buf: &mut [u8]) -> Result<(), Fault> {
        self.read_with(addr, buf, Need::FORCE_READ)
    }

    /// [`write_bytes`](Self::write_bytes) ignoring guest permissions (the ELF
    /// loader filling read-only segments): the range only has to be mapped.
    pub fn write_bytes_force(&self, addr: u64, data: &[u8]) -> Result<(), Fault> {
        self.write_with(addr, data, Need::FORCE_WRITE)
    }

    fn read_with(&self, addr: u64, buf: &mut [u8], need: Need) -> Result<(), Fault> {
        let p = self.check_range(addr, buf.len(), need)?;
        if need.mask & page_flags::MAPPED != 0 {
            // Forced: the host may protect the pages more than this needs.
            return self.with_host_access(addr, buf.len() as u64, || Self::copy_from(p, addr, buf, need));
        }
        Self::copy_from(p, addr, buf, need)
    }

    fn copy_from(p: *mut u8, addr: u64, buf: &mut [u8], need: Need) -> Result<(), Fault> {
        // SAFETY: `check_range` proved the guest range mapped (host
        // read-write) inside the reservation, or `buf` is empty; `buf` is
        // host memory outside the reservation, so they cannot overlap. The
        // source may be written concurrently by guest threads: racy shared
        // memory, never referenced (crate docs). If another thread unmaps it
        // meanwhile, the copy faults and returns `false` (see `fixup`).
        if unsafe { crate::fixup::copy(buf.as_mut_ptr(), p.cast_const(), buf.len()) } {
            Ok(())
        } else {
            Err(Fault::new(addr, need.access, FaultKind::Unmapped))
        }
    }

    fn write_with(&self, addr: u64, data: &[u8], need: Need) -> Result<(), Fault> {
        // Code pages in the range are marked written here (before the host
        // protection is lifted: that takes the same lock).
        let p = self.check_range(addr, data.len(), need)?;
        if need.mask & page_flags::MAPPED != 0 {
            // Forced: the host may protect the pages more than this needs.
            return self.with_host_access(addr, data.len() as u64, || Self::copy_to(p, addr, data, need));
        }
        Self::copy_to(p, addr, data, need)
    }

    fn copy_to(p: *mut u8, addr: u64, data: &[u8], need: Need) -> Result<(), Fault> {
        // SAFETY: as in `read_with`, with the roles swapped.
        if unsafe { crate::fixup::copy(p, data.as_ptr(), data.len()) } {
            Ok(())
        } else {
            Err(Fault::new(addr, need.access, FaultKind::Unmapped))
        }
    }

    /// Compare-and-swap of the 32-bit guest word at `addr` for code that
    /// does not run guest code (a system call, thread exit): like
    /// [`compare_exchange_u32`](Self::compare_exchange_u32), and a page that
    /// another thread unmaps meanwhile is a fault, not a host crash.
    pub fn compare_exchange_u32_syscall(&self, addr: u64, expected: u32, new: u32) -> Result<Result<u32, u32>, Fault> {
        if addr & 3 != 0 {
            return Err(Fault::new(addr, Access::Write, FaultKind::Misaligned));
        }
        let p = self.check(addr, 4, Need::READ_WRITE)?;
        // SAFETY: `check` proved the aligned word inside a mapped page of the
        // reservation; a concurrent unmap makes the routine report a fault.
        match unsafe { crate::fixup::cas32(p.cast(), expected, new) } {
            Some(old) if old == expected => Ok(Ok(old)),
            Some(old) => Ok(Err(old)),
            None => Err(Fault::new(addr, Access::Write, FaultKind::Unmapped)),
        }
    }

    /// Reads a NUL-terminated string of at most `max` bytes *including* the
    /// NUL, and returns it without the NUL. If there is no NUL in the first
    /// `max` bytes, returns those `max` bytes (so `len == max` means
    /// "unterminated": `ENAMETOOLONG` for a path). Faults only if an
    /// unreadable byte comes before the NUL.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Fault> {
        /// Bytes copied per step: small strings stay cheap.
        const CHUNK: u64 = 256;
        let mut out = Vec::new();
        let mut cur = addr;
        while out.len() < max {
            let to_page_end = PAGE_SIZE - (cur & (PAGE_SIZE - 1));
            let left = (max - out.len()) as u64;
            let n = CHUNK.min(to_page_end).min(left) as usize;
            let old = out.len();
            out.resize(old + n, 0);
            self.read_bytes(cur, &mut out[old..])?;
            if let Some(i) = out[old..].iter().position(|&b| b == 0) {
                out.truncate(old + i);
                return Ok(out);
            }
            cur = cur.wrapping_add(n as u64);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Perms;

    #[test]
    fn need_masks() {
        assert!(Need::WRITE.allows(page_flags::MAPPED | page_flags::WRITE));
        assert!(!Need::WRITE.allows(page_flags::MAPPED | page_flags::WRITE | page_flags::CODE));
        assert!(Need::READ.allows(page_flags::MAPPED | page_flags::READ | page_flags::CODE));
        assert!(!Need::READ_WRITE.allows(page_flags::MAPPED | page_flags::WRITE));
        assert!(Need::FORCE_READ.allows(page_flags::MAPPED));
        assert!(!Need::FORCE_READ.allows(0));
    }

    #[test]
    fn allows_both_is_allows_twice() {
        for need in [Need::READ, Need::WRITE, Need::READ_WRITE, Need::EXEC, Need::FORCE_READ, Need::FORCE_WRITE] {
            for a in 0..32u8 {
                for b in 0..32u8 {
                    assert_eq!(need.allows_both(a, b), need.allows(a) && need.allows(b));
                }
            }
        }
    }

    #[test]
    fn check_returns_base_plus_addr() {
        let s = AddressSpace::new().expect("new");
        s.map(0x20000, 0x1000, Perms::RW).expect("map");
        let p = s.check(0x20010, 8, Need::READ).expect("check");
        assert_eq!(p as usize - s.host_base() as usize, 0x20010);
    }

    #[test]
    fn cstr_across_chunks_and_pages() {
        let s = AddressSpace::new().expect("new");
        s.map(0x20000, 0x2000, Perms::RW).expect("map");
        let text: Vec<u8> = (0..600u32).map(|i| b'a' + (i % 26) as u8).collect();
        let at = 0x21000 - 300;
        s.write_bytes(at, &text).expect("write");
        s.store_u8(at + 600, 0).expect("nul");
        assert_eq!(s.read_cstr(at, 4096).expect("cstr"), text);
        assert_eq!(s.read_cstr(at, 601).expect("cstr"), text);
        assert_eq!(s.read_cstr(at, 600).expect("cstr"), text, "unterminated: len == max");
        assert_eq!(s.read_cstr(at, 10).expect("cstr"), &text[..10]);
        assert_eq!(s.read_cstr(at, 0).expect("cstr"), b"");
    }
}
