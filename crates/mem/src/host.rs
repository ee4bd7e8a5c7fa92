//! Host memory mappings: the guest reservation and the permission table.
//!
//! This is where ferrovm-mem talks to the host kernel. Every `mmap` here is
//! anonymous and private, except [`HostMapping::map_shared`] (a file or a
//! System V segment the guest shares) and [`HostMapping::map_private`] (a
//! file mapped copy-on-write); every address passed to the kernel is
//! checked to lie inside a mapping this module created.

use core::ffi::c_void;
use core::ptr::{self, NonNull};
use std::os::fd::BorrowedFd;

use rustix::mm::{Advice, MapFlags, MprotectFlags, ProtFlags, mmap, mmap_anonymous, mprotect, munmap};

use crate::{Error, HUGE_PAGE, PAGE_SIZE, Result};

/// Host memory that a guest mapping shares with other processes (see
/// [`AddressSpace::map_shared`](crate::AddressSpace::map_shared)).
#[derive(Debug, Clone, Copy)]
pub enum SharedBacking<'a> {
    /// A file (or a memfd for shared anonymous memory) from `offset`
    /// (page-aligned); read-only if `writable` is false (the descriptor
    /// may then be open read-only).
    File {
        /// The file.
        fd: BorrowedFd<'a>,
        /// Offset in the file of the first page.
        offset: u64,
        /// Map it writable (the descriptor must be open for writing).
        writable: bool,
    },
    /// A System V shared-memory segment (`shmat` on the host), read-only
    /// if `writable` is false.
    SysV {
        /// The host segment id.
        id: i32,
        /// Attach it writable.
        writable: bool,
    },
}

/// One anonymous host mapping, unmapped on drop.
#[derive(Debug)]
pub(crate) struct HostMapping {
    ptr: NonNull<u8>,
    len: usize,
}

impl HostMapping {
    /// Reserves `len` bytes of address space: `PROT_NONE`, no swap reserved,
    /// nothing committed.
    pub(crate) fn reserve(len: usize) -> Result<Self> {
        Self::new(len, ProtFlags::empty())
    }

    /// A zero-filled read-write mapping of `len` bytes, committed lazily page
    /// by page as it is touched.
    pub(crate) fn zeroed(len: usize) -> Result<Self> {
        Self::new(len, ProtFlags::READ | ProtFlags::WRITE)
    }

    /// [`HostMapping::zeroed`], in the low 2 GiB of the address space if
    /// there is room (x86-64 `MAP_32BIT`): code can then address it with a
    /// 32-bit displacement instead of loading a 64-bit constant.
    pub(crate) fn zeroed_low(len: usize) -> Result<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            // MAP_32BIT, which rustix does not name.
            const MAP_32BIT: u32 = 0x40;
            if let Ok(m) =
                Self::with_flags(len, ProtFlags::READ | ProtFlags::WRITE, MapFlags::from_bits_retain(MAP_32BIT))
            {
                return Ok(m);
            }
        }
        Self::zeroed(len)
    }

    fn new(len: usize, prot: ProtFlags) -> Result<Self> {
        Self::with_flags(len, prot, MapFlags::empty())
    }

    fn with_flags(len: usize, prot: ProtFlags, extra: MapFlags) -> Result<Self> {
        // SAFETY: a fresh mapping at an address of the kernel's choosing
        // (no MAP_FIXED) cannot alias any existing memory.
        let raw =
            unsafe { mmap_anonymous(ptr::null_mut(), len, prot, MapFlags::PRIVATE | MapFlags::NORESERVE | extra) }
                .map_err(|source| Error::Host { op: "mmap", source })?;
        let ptr = NonNull::new(raw.cast::<u8>()).ok_or(Error::Host { op: "mmap", source: rustix::io::Errno::NOMEM })?;
        Ok(Self { ptr, len })
    }

    /// Start of the mapping.
    #[inline]
    pub(crate) fn ptr(&self) -> NonNull<u8> {
        self.ptr
    }

    /// Length of the mapping in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Replaces `[off, off + len)` with fresh zero-filled read-write pages
    /// (discarding old contents and the memory that backed them).
    ///
    /// # Safety
    ///
    /// No Rust reference may point into the range: its contents change
    /// behind the compiler's back. Raw-pointer accesses racing with the remap
    /// are allowed (they see old or new contents).
    pub(crate) unsafe fn commit(&self, off: u64, len: u64) -> Result<()> {
        // SAFETY: forwarded from this function's contract.
        unsafe { self.remap(off, len, ProtFlags::READ | ProtFlags::WRITE) }
    }

    /// Replaces `[off, off + len)` with fresh `PROT_NONE` pages, releasing the
    /// memory that backed them.
    ///
    /// # Safety
    ///
    /// As for [`commit`](Self::commit); in addition, a racing raw-pointer
    /// access that already passed its permission check faults in the host.
    pub(crate) unsafe fn decommit(&self, off: u64, len: u64) -> Result<()> {
        // SAFETY: forwarded from this function's contract.
        unsafe { self.remap(off, len, ProtFlags::empty()) }
    }

    /// Replaces `[off, off + len)` with a shared mapping of `backing`.
    ///
    /// # Safety
    ///
    /// As for [`commit`](Self::commit).
    pub(crate) unsafe fn map_shared(&self, off: u64, len: u64, backing: SharedBacking<'_>) -> Result<()> {
        let at = self.checked_range(off, len)?;
        if len == 0 {
            return Ok(());
        }
        match backing {
            SharedBacking::File { fd, offset, writable } => {
                let prot = if writable { ProtFlags::READ | ProtFlags::WRITE } else { ProtFlags::READ };
                // SAFETY: `[at, at + len)` is page-aligned and inside this
                // mapping, which we own, so MAP_FIXED replaces only our own
                // pages; the caller guarantees no Rust reference points into
                // them.
                let got = unsafe {
                    mmap(at.cast::<c_void>(), len as usize, prot, MapFlags::SHARED | MapFlags::FIXED, fd, offset)
                }
                .map_err(|source| Error::Host { op: "mmap", source })?;
                debug_assert_eq!(got.cast::<u8>(), at);
            }
            SharedBacking::SysV { id, writable } => {
                let flags = libc::SHM_REMAP | if writable { 0 } else { libc::SHM_RDONLY };
                // SAFETY: as above: SHM_REMAP replaces our own pages at a
                // page-aligned address inside the reservation. The segment
                // may be smaller than `len`; the caller sizes `len` to it
                // (the kernel maps the segment's size, rounded to pages).
                let got = unsafe { libc::shmat(id, at.cast::<c_void>(), flags) };
                if got as isize == -1 {
                    return Err(Error::Host {
                        op: "shmat",
                        source: rustix::io::Errno::from_io_error(&std::io::Error::last_os_error())
                            .unwrap_or(rustix::io::Errno::INVAL),
                    });
                }
                debug_assert_eq!(got.cast::<u8>(), at);
            }
        }
        Ok(())
    }

    /// Replaces `[off, off + len)` with a private, copy-on-write,
    /// read-write mapping of the file `fd` from `offset` (page-aligned):
    /// the host reads a page from its page cache when it is first touched,
    /// and copies it when it is first written. A page wholly past the end
    /// of the file faults (`SIGBUS`) when touched, as on Linux.
    ///
    /// # Safety
    ///
    /// As for [`commit`](Self::commit).
    pub(crate) unsafe fn map_private(&self, off: u64, len: u64, fd: BorrowedFd<'_>, offset: u64) -> Result<()> {
        let at = self.checked_range(off, len)?;
        if len == 0 {
            return Ok(());
        }
        // SAFETY: `[at, at + len)` is page-aligned and inside this mapping,
        // which we own, so MAP_FIXED replaces only our own pages; the caller
        // guarantees no Rust reference points into them.
        let got = unsafe {
            mmap(
                at.cast::<c_void>(),
                len as usize,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::NORESERVE | MapFlags::FIXED,
                fd,
                offset,
            )
        }
        .map_err(|source| Error::Host { op: "mmap", source })?;
        debug_assert_eq!(got.cast::<u8>(), at);
        Ok(())
    }

    /// Changes the host protection of `[off, off + len)` (page-aligned,
    /// inside this mapping) to `prot`; the contents stay.
    ///
    /// # Safety
    ///
    /// As for [`commit`](Self::commit); in addition, a racing raw-pointer
    /// access the new protection forbids faults in the host.
    pub(crate) unsafe fn protect(&self, off: u64, len: u64, prot: MprotectFlags) -> Result<()> {
        let at = self.checked_range(off, len)?;
        if len == 0 {
            return Ok(());
        }
        // SAFETY: `[at, at + len)` is page-aligned and inside this mapping,
        // which we own; the caller guarantees no Rust reference points into
        // it.
        unsafe { mprotect(at.cast::<c_void>(), len as usize, prot) }
            .map_err(|source| Error::Host { op: "mprotect", source })
    }

    /// Asks the host kernel to back the whole 2 MiB host pages inside
    /// `[off, off + len)` (page-aligned, inside this mapping) with
    /// transparent huge pages (`madvise(MADV_HUGEPAGE)`): a random access
    /// then misses the TLB once per 2 MiB instead of once per 4 KiB. The
    /// range's contents and protection stay; a later `mmap(MAP_FIXED)`
    /// over part of it drops the advice there. Returns the bytes advised:
    /// 0 when the range holds no whole huge page or the host has no
    /// transparent huge pages (the advice is only ever a hint).
    pub(crate) fn advise_huge(&self, off: u64, len: u64) -> Result<u64> {
        let at = self.checked_range(off, len)? as u64;
        let start = at.next_multiple_of(HUGE_PAGE);
        let end = (at + len) / HUGE_PAGE * HUGE_PAGE;
        if end <= start {
            return Ok(0);
        }
        // SAFETY: madvise(MADV_HUGEPAGE) changes how the kernel backs pages
        // of our own mapping, never their contents or protection, so it
        // cannot invalidate any access, Rust or guest.
        match unsafe { rustix::mm::madvise(start as *mut c_void, (end - start) as usize, Advice::LinuxHugepage) } {
            Ok(()) => Ok(end - start),
            Err(_) => Ok(0),
        }
    }

    /// The host address of `[off, off + len)`, which must be page-aligned
    /// and inside this mapping.
    fn checked_range(&self, off: u64, len: u64) -> Result<*mut u8> {
        let bad = || Error::BadRange { addr: off, len };
        let end = off.checked_add(len).ok_or_else(bad)?;
        if !off.is_multiple_of(PAGE_SIZE) || !len.is_multiple_of(PAGE_SIZE) || end > self.len as u64 {
            return Err(bad());
        }
        Ok(self.ptr.as_ptr().wrapping_add(off as usize))
    }

    /// # Safety
    ///
    /// As for [`commit`](Self::commit).
    unsafe fn remap(&self, off: u64, len: u64, prot: ProtFlags) -> Result<()> {
        let at = self.checked_range(off, len)?;
        if len == 0 {
            return Ok(());
        }
        // SAFETY: `[at, at + len)` is page-aligned and inside this mapping,
        // which we own, so MAP_FIXED replaces only our own pages; the caller
        // guarantees no Rust reference points into them.
        let got = unsafe {
            mmap_anonymous(
                at.cast::<c_void>(),
                len as usize,
                prot,
                MapFlags::PRIVATE | MapFlags::NORESERVE | MapFlags::FIXED,
            )
        }
        .map_err(|source| Error::Host { op: "mmap", source })?;
        debug_assert_eq!(got.cast::<u8>(), at);
        Ok(())
    }
}

impl Drop for HostMapping {
    fn drop(&mut self) {
        // SAFETY: we own the whole mapping; `&mut self` means no borrow of
        // the owner (and so no reference into the mapping) is alive.
        // Failure can only mean the range was already gone; nothing to do.
        let _ = unsafe { munmap(self.ptr.as_ptr().cast::<c_void>(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_and_decommit_stay_inside() {
        let m = HostMapping::reserve(16 * PAGE_SIZE as usize).expect("reserve");
        assert_eq!(m.len(), 16 * PAGE_SIZE as usize);
        // SAFETY: no references into the mapping exist in this test.
        unsafe {
            m.commit(PAGE_SIZE, 2 * PAGE_SIZE).expect("commit");
            assert!(m.commit(15 * PAGE_SIZE, 2 * PAGE_SIZE).is_err());
            assert!(m.commit(1, PAGE_SIZE).is_err());
            assert!(m.commit(u64::MAX - 4095, PAGE_SIZE).is_err());
            m.decommit(PAGE_SIZE, PAGE_SIZE).expect("decommit");
        }
        let p = m.ptr().as_ptr().wrapping_add(2 * PAGE_SIZE as usize);
        // SAFETY: page 2 was committed read-write above and is still mapped.
        unsafe {
            assert_eq!(p.read(), 0);
            p.write(7);
            assert_eq!(p.read(), 7);
        }
    }
}
