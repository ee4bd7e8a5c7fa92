//! [`AddressSpace`]: the reservation, the permission table and the mapping
//! operations (`mmap`/`munmap`/`mprotect` semantics), plus code-page
//! tracking. The checked guest accesses are in `access.rs` and `atomic.rs`.

use core::ops::Range;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rustix::mm::MprotectFlags;

use crate::host::{HostMapping, SharedBacking};
use crate::perms::page_flags;
use crate::regions::{Mapping, Regions, round_up};
use crate::{Error, GUEST_LIMIT, GUEST_PAGES, HOST_GUARD, PAGE_SHIFT, PAGE_SIZE, Perms, Result};

/// A page written while recording ([`AddressSpace::record_writes`]): its
/// address and its contents before the first write.
pub type WrittenPage = (u64, Box<[u8]>);

/// The per-page flag table: one byte per guest page.
pub(crate) type PageTable = [AtomicU8; GUEST_PAGES];

/// A riscv64 Linux user address space backed by one host reservation.
///
/// Shared by all guest threads (`Send + Sync`); mapping operations serialize
/// on an internal lock, guest accesses are lock-free. See the crate docs for
/// the design.
pub struct AddressSpace {
    /// `host_base()`: guest address `a` lives at host address `base + a`.
    base: NonNull<u8>,
    /// The permission table, [`GUEST_PAGES`] bytes.
    table: NonNull<PageTable>,
    /// Region list; its lock also serializes map/unmap/protect.
    regions: Mutex<Regions>,
    /// Pages whose translations went stale (see [`Self::take_dirty_code_pages`]).
    dirty_code: Mutex<Vec<u64>>,
    /// Fast "is `dirty_code` non-empty" flag.
    code_dirty: AtomicBool,
    /// Times each code page was written (see [`page_flags::VOLATILE`]),
    /// and the pages that turned volatile.
    code_writes: Mutex<(std::collections::HashMap<u64, u32>, Vec<u64>)>,
    /// Pages may turn volatile (see [`Self::allow_volatile_code`]).
    volatile_code: AtomicBool,
    /// Pages written since they were marked [`page_flags::TRACK`]
    /// (see `snapshot.rs`).
    pub(crate) write_log: Mutex<Vec<u64>>,
    /// While recording ([`Self::record_writes`]): each logged page's
    /// contents before its first write.
    pub(crate) originals: Mutex<Option<Vec<WrittenPage>>>,
    /// Counts `map`, `unmap` and `protect` calls: a snapshot restores only
    /// written pages if the layout did not change since.
    pub(crate) layout_changes: AtomicU64,
    /// The snapshot whose writes are being tracked, and `layout_changes`
    /// when tracking began.
    pub(crate) tracked: Mutex<Option<(u64, u64)>>,
    /// Run by [`Self::unmap`] after the permission table says the pages
    /// are gone and before the host pages are released (see
    /// [`Self::add_unmap_barrier`]). Each returns `false` once it is no
    /// longer needed (its owner is gone) and is then dropped.
    unmap_barriers: Mutex<Vec<UnmapBarrier>>,
    /// Host protection mirrors guest permissions (see
    /// [`Self::mirrors_protection`]).
    mirror: AtomicBool,
    /// The guest's first page has been mapped at some time (see
    /// [`Self::first_page_mapped`]).
    first_page: AtomicBool,
    /// Serializes host protection changes, so the last `mprotect` of a page
    /// always reflects its latest flags (see [`Self::sync_host_prot`]).
    prot_lock: Mutex<()>,
    /// Owns `[base, base + GUEST_LIMIT + HOST_GUARD)`.
    reservation: HostMapping,
    /// Owns the permission table.
    table_mapping: HostMapping,
}

// SAFETY: the raw pointers refer to mappings owned by this value. Guest memory
// is only accessed through raw pointers (never Rust references), under the
// racy-shared-memory contract in the crate docs, the permission table only
// through atomics, and everything else sits behind a `Mutex`.
unsafe impl Send for AddressSpace {}
// SAFETY: as for `Send`; every `&self` method is safe to call concurrently.
unsafe impl Sync for AddressSpace {}

impl core::fmt::Debug for AddressSpace {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AddressSpace")
            .field("base", &self.base)
            .field("mappings", &self.lock_regions().mappings())
            .finish_non_exhaustive()
    }
}

/// The address space's locks, held across a host `fork` (see
/// [`AddressSpace::lock_for_fork`]).
pub struct ForkLock<'a> {
    _regions: MutexGuard<'a, Regions>,
    _dirty: MutexGuard<'a, Vec<u64>>,
    _writes: MutexGuard<'a, Vec<u64>>,
    _barriers: MutexGuard<'a, Vec<UnmapBarrier>>,
}

impl core::fmt::Debug for ForkLock<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ForkLock").finish_non_exhaustive()
    }
}

/// See [`AddressSpace::add_unmap_barrier`].
pub type UnmapBarrier = Box<dyn Fn() -> bool + Send + Sync>;

/// Validated, page-rounded `[start, end)`.
fn page_range(addr: u64, len: u64) -> Result<(u64, u64)> {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Error::Unaligned { addr });
    }
    let rounded = round_up(len).filter(|&r| r != 0);
    match rounded.and_then(|r| addr.checked_add(r)) {
        Some(end) if end <= GUEST_LIMIT => Ok((addr, end)),
        _ => Err(Error::BadRange { addr, len }),
    }
}

/// Writes to a page's translated code after which it turns
/// [`page_flags::VOLATILE`].
const VOLATILE_AFTER: u32 = 8;

impl AddressSpace {
    /// Reserves the host address space (`GUEST_LIMIT` bytes plus a
    /// `HOST_GUARD` guard) and an empty permission table. Nothing is mapped.
    pub fn new() -> Result<Self> {
        let reservation = HostMapping::reserve((GUEST_LIMIT + HOST_GUARD) as usize)?;
        let table_mapping = HostMapping::zeroed_low(GUEST_PAGES)?;
        Ok(Self {
            base: reservation.ptr(),
            table: table_mapping.ptr().cast::<PageTable>(),
            regions: Mutex::new(Regions::default()),
            dirty_code: Mutex::new(Vec::new()),
            code_dirty: AtomicBool::new(false),
            code_writes: Mutex::new((std::collections::HashMap::new(), Vec::new())),
            volatile_code: AtomicBool::new(false),
            write_log: Mutex::new(Vec::new()),
            originals: Mutex::new(None),
            layout_changes: AtomicU64::new(0),
            tracked: Mutex::new(None),
            unmap_barriers: Mutex::new(Vec::new()),
            mirror: AtomicBool::new(false),
            first_page: AtomicBool::new(false),
            prot_lock: Mutex::new(()),
            reservation,
            table_mapping,
        })
    }

    /// Host address of guest address 0. Guest address `a < GUEST_LIMIT` lives
    /// at `host_base() + a`; the reservation continues `HOST_GUARD` bytes
    /// past `GUEST_LIMIT` as `PROT_NONE` guard. Unmapped guest pages are
    /// `PROT_NONE` in the host; mapped ones have the host protection
    /// [`Self::mirrors_protection`] describes.
    #[inline]
    #[must_use]
    pub fn host_base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The permission table: [`GUEST_PAGES`] bytes, the entry for guest
    /// address `a` at index `a >> PAGE_SHIFT`, bits in
    /// [`page_flags`](crate::page_flags). For a JIT that checks permissions
    /// inline; only read it with atomic (or at least relaxed) loads.
    #[inline]
    #[must_use]
    pub fn page_table_base(&self) -> *const AtomicU8 {
        self.table.as_ptr().cast::<AtomicU8>()
    }

    #[inline(always)]
    pub(crate) fn table(&self) -> &PageTable {
        debug_assert_eq!(self.table_mapping.len(), GUEST_PAGES);
        // SAFETY: `table` points at `table_mapping`, a read-write zeroed
        // mapping of exactly `GUEST_PAGES` bytes that lives as long as
        // `self`; all-zero bytes are valid `AtomicU8`s and the table is only
        // ever accessed through atomics.
        unsafe { self.table.as_ref() }
    }

    /// Flags of the page containing `addr` (`addr < GUEST_LIMIT`).
    #[inline(always)]
    pub(crate) fn flags(&self, addr: u64) -> u8 {
        self.page_entry(addr).load(Ordering::Relaxed)
    }

    #[inline(always)]
    pub(crate) fn page_entry(&self, addr: u64) -> &AtomicU8 {
        // The mask is free next to the shift and makes the index provably in
        // bounds; callers check `addr < GUEST_LIMIT` anyway.
        &self.table()[((addr >> PAGE_SHIFT) as usize) & (GUEST_PAGES - 1)]
    }

    /// Whether the host protection of every guest page mirrors its guest
    /// permissions, so that a plain host access through
    /// [`Self::host_base`] faults in the host exactly when the guest access
    /// would fault (what compiled code without inline checks relies on):
    ///
    /// | guest page | host protection |
    /// |---|---|
    /// | unmapped, or mapped with no permission | `PROT_NONE` |
    /// | readable or executable, not writable | `PROT_READ` |
    /// | writable, holding no translated code | `PROT_READ \| PROT_WRITE` |
    /// | writable and holding translated code ([`page_flags::CODE`]) or tracked for a snapshot ([`page_flags::TRACK`]) | `PROT_READ` |
    ///
    /// So a store to a page holding translated code faults in the host too
    /// (the fault handler sends it to the checked path, which records the
    /// page as dirty code and makes it writable again). Two cases are
    /// coarser than the guest's: an execute-only page is host-readable (the
    /// decoder reads it), and a write-only page is host-readable (x86-64
    /// has no write-only pages; neither has Linux on RISC-V).
    ///
    /// Off until [`Self::mirror_protection`] turns it on: every mapped page
    /// is then host read-write and only the permission table says what the
    /// guest may do (compiled code must check inline).
    #[must_use]
    pub fn mirrors_protection(&self) -> bool {
        self.mirror.load(Ordering::Relaxed)
    }

    /// Turns on mirroring of guest permissions in the host protection (see
    /// [`Self::mirrors_protection`]) for the mappings that exist and every
    /// later change. Returns whether it is on: not on a host whose page
    /// size is not 4 KiB.
    ///
    /// With mirroring, a checked access can race with another thread's
    /// [`Self::mark_code`] (checked before the mark, stored after the
    /// write protection): the host fault handler must then call
    /// [`Self::resolve_host_fault`], which makes the store succeed as it
    /// would have before the mark.
    pub fn mirror_protection(&self) -> Result<bool> {
        if rustix::param::page_size() != PAGE_SIZE as usize {
            return Ok(false);
        }
        let regions = self.lock_regions();
        self.mirror.store(true, Ordering::Relaxed);
        for m in regions.mappings() {
            self.sync_host_prot(m.start, m.end)?;
        }
        Ok(true)
    }

    /// For the host fault handler: a host fault at host address `host` (a
    /// write if `write`) that mirroring caused although the guest may make
    /// the access: a write to a page write-protected because it holds
    /// translated code, by a checked access that raced with
    /// [`Self::mark_code`] (the page is recorded as written code and made
    /// writable), or an access racing with another thread's `map` or
    /// `protect` that raises the page's protection. Returns `true` if the
    /// faulting instruction can run again; `false` for any other fault.
    ///
    /// Called in a signal handler: it takes this space's protection and
    /// dirty-page locks and may allocate, which is sound only because the
    /// interrupted instruction is a guest access (no lock of this space is
    /// held and no allocation is under way on this thread there).
    #[must_use]
    pub fn resolve_host_fault(&self, host: usize, write: bool) -> bool {
        let base = self.host_base() as usize;
        if !self.mirrors_protection() || host < base || host - base >= GUEST_LIMIT as usize {
            return false;
        }
        let page = (host - base) as u64 & !(PAGE_SIZE - 1);
        let flags = self.flags(page);
        if flags & page_flags::MAPPED == 0 {
            return false;
        }
        if write {
            if flags & page_flags::WRITE == 0 {
                return false;
            }
            if flags & page_flags::WRITE_SLOW != 0 {
                self.page_written(page);
                return true;
            }
        } else if flags & page_flags::PERMS == 0 {
            return false;
        }
        // The table allows it: the host protection is being raised by
        // another thread's `map`/`protect` (table first, host after), or
        // was just lowered back: bring it in line and run it again.
        let _ = self.sync_host_prot(page, page + PAGE_SIZE);
        true
    }

    /// The host protection for a page with table entry `flags` (see
    /// [`Self::mirrors_protection`]).
    fn host_prot(flags: u8) -> MprotectFlags {
        if flags & page_flags::MAPPED == 0 {
            MprotectFlags::empty()
        } else if flags & page_flags::WRITE != 0
            && flags & page_flags::TRACK == 0
            && (flags & page_flags::CODE == 0 || flags & page_flags::VOLATILE != 0)
        {
            MprotectFlags::READ | MprotectFlags::WRITE
        } else if flags & (page_flags::READ | page_flags::WRITE | page_flags::EXEC) != 0 {
            MprotectFlags::READ
        } else {
            MprotectFlags::empty()
        }
    }

    /// Sets the host protection of the pages of `[start, end)` (mapped
    /// ones; page-aligned) from their table entries, one `mprotect` per run
    /// of equal protection. Under `prot_lock`, and reading the entries
    /// after taking it, so the last call for a page reflects its last
    /// flags change whatever the interleaving.
    pub(crate) fn sync_host_prot(&self, start: u64, end: u64) -> Result<()> {
        if !self.mirrors_protection() || start >= end {
            return Ok(());
        }
        let _guard = self.prot_lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.sync_host_prot_locked(start, end)
    }

    fn sync_host_prot_locked(&self, start: u64, end: u64) -> Result<()> {
        let mut run: Option<(u64, MprotectFlags)> = None;
        let mut page = start;
        while page <= end {
            let prot = (page < end).then(|| Self::host_prot(self.flags(page)));
            match (run, prot) {
                (Some((_, p)), Some(q)) if p == q => {}
                _ => {
                    if let Some((from, p)) = run {
                        // SAFETY: inside the reservation; guest memory is
                        // never referenced by Rust references, and an access
                        // the new protection forbids is one the guest may
                        // not make (it faults, as the permission table says).
                        unsafe { self.reservation.protect(from, page - from, p)? };
                    }
                    run = prot.map(|q| (page, q));
                }
            }
            page += PAGE_SIZE;
        }
        Ok(())
    }

    /// Runs `f` with `[addr, addr + len)` host read-write (the loader and
    /// `mremap` writing pages the guest may not), then restores the
    /// mirrored protection. Another thread's access to those pages in the
    /// meantime is not stopped by the host (the checked paths still stop
    /// it).
    pub(crate) fn with_host_access<T>(&self, addr: u64, len: u64, f: impl FnOnce() -> T) -> T {
        if !self.mirrors_protection() || len == 0 {
            return f();
        }
        let start = addr & !(PAGE_SIZE - 1);
        let end = addr.saturating_add(len).saturating_add(PAGE_SIZE - 1).min(GUEST_LIMIT) & !(PAGE_SIZE - 1);
        let _guard = self.prot_lock.lock().unwrap_or_else(PoisonError::into_inner);
        // Only mapped pages: unmapped ones stay PROT_NONE (the copy faults
        // there and reports it).
        let mut page = start;
        while page < end {
            if self.flags(page) & page_flags::MAPPED != 0 {
                // SAFETY: inside the reservation, a mapped page; see
                // `sync_host_prot_locked`.
                let _ =
                    unsafe { self.reservation.protect(page, PAGE_SIZE, MprotectFlags::READ | MprotectFlags::WRITE) };
            }
            page += PAGE_SIZE;
        }
        let r = f();
        let _ = self.sync_host_prot_locked(start, end);
        r
    }

    fn lock_regions(&self) -> MutexGuard<'_, Regions> {
        self.regions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Maps `[addr, addr + len)` with `perms`, zero-filled, replacing whatever
    /// was mapped there (`mmap(MAP_FIXED | MAP_ANONYMOUS)`). `addr` must be
    /// page-aligned; `len` is rounded up to a page.
    pub fn map(&self, addr: u64, len: u64, perms: Perms) -> Result<()> {
        self.map_named(addr, len, perms, None)
    }

    /// [`map`](Self::map) with a name for [`mappings`](Self::mappings)
    /// (`[heap]`, `[stack]`, a file path).
    pub fn map_named(&self, addr: u64, len: u64, perms: Perms, name: Option<&str>) -> Result<()> {
        self.map_with(addr, len, perms, name, |start, len| {
            // SAFETY: the range is inside the reservation and guest memory
            // is never referenced by Rust references.
            unsafe { self.reservation.commit(start, len) }
        })
    }

    /// Asks the host to back the guest range `[addr, addr + len)` with
    /// transparent huge pages where it holds whole ones
    /// ([`HUGE_PAGE`](crate::HUGE_PAGE)-aligned in the host): for large
    /// anonymous memory a program touches all over (a hash table, a
    /// compressor's dictionary), where 4 KiB pages make most random
    /// accesses TLB misses. Only a hint: the contents and permissions stay,
    /// a page the host mirrors with a narrower protection (code, a guest
    /// `mprotect`) is split back into small pages by the host, and mapping
    /// over part of the range drops the advice there. `addr` must be
    /// page-aligned; `len` is rounded up to a page. Returns the bytes
    /// advised (0 if none: the range holds no whole huge page, or the host
    /// has none).
    pub fn advise_huge_pages(&self, addr: u64, len: u64) -> Result<u64> {
        let (start, end) = page_range(addr, len)?;
        self.reservation.advise_huge(start, end - start)
    }

    /// Maps `[addr, addr + len)` with `perms` onto host memory that other
    /// processes can share (`mmap(MAP_SHARED)` of a file or of shared
    /// anonymous memory, a System V segment): the host pages are mapped
    /// `MAP_SHARED | MAP_FIXED` straight into the reservation, so writes
    /// are coherent with the file (or segment) and survive a host `fork`
    /// shared. Replaces whatever was mapped there, like [`Self::map`].
    ///
    /// The host protection is read-write, or read-only when `backing` is
    /// read-only; the guest's permissions stay in the table, and the caller
    /// must never give the guest `WRITE` on a read-only backing (a store
    /// would then fault in the host).
    pub fn map_shared(
        &self,
        addr: u64,
        len: u64,
        perms: Perms,
        name: Option<&str>,
        backing: SharedBacking<'_>,
    ) -> Result<()> {
        self.map_with(addr, len, perms, name, |start, len| {
            // SAFETY: the range is inside the reservation (checked by
            // `map_with`) and guest memory is never referenced by Rust
            // references.
            unsafe { self.reservation.map_shared(start, len, backing) }
        })
    }

    /// Maps `[addr, addr + len)` with `perms` onto the file `fd` from
    /// `offset` (page-aligned), copy-on-write: `mmap(MAP_PRIVATE)` of a
    /// file, and how the ELF loader maps a program's segments. The host
    /// maps the file `MAP_PRIVATE | MAP_FIXED` into the reservation, so
    /// nothing is read before the guest touches a page, pages never
    /// written stay the host's page cache, and a guest write copies only
    /// its page (copying the file into fresh memory instead cost a
    /// program's start-up two page faults a page and the copy). As on
    /// Linux, the file's later changes show through pages not yet written,
    /// and a page wholly past the end of the file faults with `SIGBUS`
    /// (the caller maps only pages the file backs, or records the rest).
    /// Replaces whatever was mapped there, like [`Self::map`].
    pub fn map_file(
        &self,
        addr: u64,
        len: u64,
        perms: Perms,
        name: Option<&str>,
        fd: std::os::fd::BorrowedFd<'_>,
        offset: u64,
    ) -> Result<()> {
        self.map_with(addr, len, perms, name, |start, len| {
            // SAFETY: the range is inside the reservation (checked by
            // `map_with`) and guest memory is never referenced by Rust
            // references.
            unsafe { self.reservation.map_private(start, len, fd, offset) }
        })
    }

    /// The common part of [`Self::map_named`], [`Self::map_shared`] and
    /// [`Self::map_file`]:
    /// `commit(start, len)` puts fresh host pages at `[start, start + len)`.
    fn map_with(
        &self,
        addr: u64,
        len: u64,
        perms: Perms,
        name: Option<&str>,
        commit: impl FnOnce(u64, u64) -> Result<()>,
    ) -> Result<()> {
        let (start, end) = page_range(addr, len)?;
        let mut regions = self.lock_regions();
        self.layout_changes.fetch_add(1, Ordering::Relaxed);
        // Pages mapped before stay mapped (with their old permissions) until
        // the new ones are in place: the host replaces each page atomically,
        // so another thread's access meanwhile sees the old or the new page,
        // as on Linux, never a fault. Their translations go stale now.
        let old = regions.remove(start, end);
        self.retire_code(&old);
        let committed = commit(start, end - start);
        if let Err(e) = committed {
            // MAP_FIXED may have destroyed the old mapping even on failure:
            // leave the range unmapped.
            self.clear_pages(&old);
            self.run_unmap_barriers();
            // SAFETY: as above; no thread is between a check against the old
            // table and its access any more (the barriers).
            let _ = unsafe { self.reservation.decommit(start, end - start) };
            return Err(e);
        }
        let flags = page_flags::MAPPED | perms.bits();
        // A page marked as code meanwhile (a translation read it while it
        // was being replaced) is stale: report it.
        let mut dirty = Vec::new();
        for page in (start..end).step_by(PAGE_SIZE as usize) {
            if self.page_entry(page).swap(flags, Ordering::Relaxed) & page_flags::CODE != 0 {
                dirty.push(page);
            }
        }
        self.push_dirty(dirty);
        regions.insert(start, end, perms, name.map(str::to_owned));
        if start < PAGE_SIZE && !self.first_page.swap(true, Ordering::SeqCst) {
            // Code compiled while no address below 4 KiB could be valid
            // may rely on it (see `first_page_mapped`): all of it goes.
            let all: Vec<Range<u64>> = regions.mappings().iter().map(|m| m.start..m.end).collect();
            self.retire_code(&all);
        }
        if !old.is_empty() && self.mirrors_protection() {
            // As in `protect`: accesses checked against the old pages'
            // permissions complete first.
            self.run_unmap_barriers();
        }
        self.sync_host_prot(start, end)
    }

    /// Unmaps `[addr, addr + len)` (`munmap`): later accesses fault as
    /// unmapped and the host memory is released. Unmapping pages that are
    /// not mapped is fine. `addr` must be page-aligned; `len` is rounded up.
    ///
    /// Between the two, the unmap barriers run (see
    /// [`Self::add_unmap_barrier`]): an access another thread checked
    /// against the old permissions completes before the host pages go.
    pub fn unmap(&self, addr: u64, len: u64) -> Result<()> {
        let (start, end) = page_range(addr, len)?;
        let mut regions = self.lock_regions();
        let old = regions.remove(start, end);
        if old.is_empty() {
            return Ok(());
        }
        self.layout_changes.fetch_add(1, Ordering::Relaxed);
        self.clear_pages(&old);
        self.run_unmap_barriers();
        for r in &old {
            // SAFETY: inside the reservation; guest memory is never
            // referenced by Rust references, and the barriers made sure no
            // thread is between checking an access to these pages and
            // making it.
            unsafe { self.reservation.decommit(r.start, r.end - r.start)? };
        }
        Ok(())
    }

    /// Holds the address space's locks across a host `fork`, so the child
    /// never finds one held by a thread that does not exist there.
    pub fn lock_for_fork(&self) -> ForkLock<'_> {
        ForkLock {
            _regions: self.lock_regions(),
            _dirty: self.dirty_code.lock().unwrap_or_else(PoisonError::into_inner),
            _writes: self.write_log.lock().unwrap_or_else(PoisonError::into_inner),
            _barriers: self.unmap_barriers.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Adds a barrier [`Self::unmap`] runs after the permission table says
    /// the pages are unmapped and before the host pages are released. The
    /// engine's waits until no vCPU can be between checking an access
    /// against the old permissions and making it (a TLB shootdown, in
    /// hardware terms), so that no thread ever touches a released page.
    /// It runs with the mapping lock held: it must not map, unmap or
    /// protect memory, nor wait for a thread that might. A barrier that
    /// returns `false` is dropped.
    pub fn add_unmap_barrier(&self, barrier: UnmapBarrier) {
        self.unmap_barriers.lock().unwrap_or_else(PoisonError::into_inner).push(barrier);
    }

    fn run_unmap_barriers(&self) {
        self.unmap_barriers.lock().unwrap_or_else(PoisonError::into_inner).retain(|b| b());
    }

    /// Changes the permissions of `[addr, addr + len)` (`mprotect`). Every
    /// page must be mapped, or nothing changes and the result is
    /// [`Error::NotMapped`] (`ENOMEM`). `len == 0` does nothing. Code pages
    /// that lose `EXEC` become dirty code.
    pub fn protect(&self, addr: u64, len: u64, perms: Perms) -> Result<()> {
        if len == 0 && addr.is_multiple_of(PAGE_SIZE) {
            return Ok(());
        }
        let (start, end) = page_range(addr, len)?;
        let mut regions = self.lock_regions();
        if let Some(gap) = regions.first_gap(start, end) {
            return Err(Error::NotMapped { addr: gap });
        }
        regions.protect(start, end, perms);
        self.layout_changes.fetch_add(1, Ordering::Relaxed);
        let mut dirty = Vec::new();
        let mut lost = false;
        for page in (start..end).step_by(PAGE_SIZE as usize) {
            let entry = self.page_entry(page);
            // A CAS loop, not store: `mark_code` and stores to code pages
            // change the CODE bit without the lock.
            let old = entry
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                    // Writes stay tracked.
                    let mut new = page_flags::MAPPED | perms.bits() | (f & (page_flags::TRACK | page_flags::VOLATILE));
                    if perms.exec() {
                        new |= f & page_flags::CODE;
                    }
                    Some(new)
                })
                .unwrap_or_else(|f| f);
            if old & page_flags::CODE != 0 && !perms.exec() {
                dirty.push(page);
            }
            lost |= old & page_flags::PERMS & !perms.bits() != 0;
        }
        self.push_dirty(dirty);
        if lost && self.mirrors_protection() {
            // An access another thread checked against the old
            // permissions completes before the host forbids it (as in
            // `unmap`).
            self.run_unmap_barriers();
        }
        self.sync_host_prot(start, end)
    }

    /// Clears the code marks of `ranges`, recording those pages as dirty
    /// (their contents are being replaced).
    fn retire_code(&self, ranges: &[Range<u64>]) {
        let mut dirty = Vec::new();
        for r in ranges {
            for page in r.clone().step_by(PAGE_SIZE as usize) {
                let entry = self.page_entry(page);
                if entry.load(Ordering::Relaxed) & page_flags::CODE != 0
                    && entry.fetch_and(!page_flags::CODE, Ordering::Relaxed) & page_flags::CODE != 0
                {
                    dirty.push(page);
                }
            }
        }
        self.push_dirty(dirty);
    }

    /// Zeroes the table entries of `ranges`, recording code pages as dirty.
    fn clear_pages(&self, ranges: &[Range<u64>]) {
        let mut dirty = Vec::new();
        for r in ranges {
            for page in r.clone().step_by(PAGE_SIZE as usize) {
                if self.page_entry(page).swap(0, Ordering::Relaxed) & page_flags::CODE != 0 {
                    dirty.push(page);
                }
            }
        }
        self.push_dirty(dirty);
    }

    /// Whether the guest's first page (addresses below 4 KiB) has ever been
    /// mapped. Linux never maps it (ferrovm's `mmap` and loader keep below
    /// 64 KiB free, as Linux's `mmap_min_addr` does); an embedder may. Until
    /// then a compiler may treat an address that wrapped around zero into
    /// those 4 KiB as one that faults (the JIT's grouped limit checks do);
    /// the first mapping there marks every page holding translated code as
    /// dirty, so that such code is compiled again.
    #[must_use]
    pub fn first_page_mapped(&self) -> bool {
        self.first_page.load(Ordering::SeqCst)
    }

    /// Guest permissions of the page containing `addr` (`Perms::NONE` if
    /// unmapped or beyond [`GUEST_LIMIT`]).
    #[must_use]
    pub fn perms(&self, addr: u64) -> Perms {
        if addr >= GUEST_LIMIT {
            return Perms::NONE;
        }
        Perms::from_bits_truncate(self.flags(addr))
    }

    /// Whether the page containing `addr` is mapped (with any
    /// permissions), from the permission table: lock-free, unlike
    /// [`Self::is_mapped`].
    #[must_use]
    pub fn page_mapped(&self, addr: u64) -> bool {
        addr < GUEST_LIMIT && self.flags(addr) & page_flags::MAPPED != 0
    }

    /// Whether every byte of `range` is mapped (with any permissions). An
    /// empty range is mapped; one reaching past [`GUEST_LIMIT`] is not.
    #[must_use]
    pub fn is_mapped(&self, range: Range<u64>) -> bool {
        if range.is_empty() {
            return true;
        }
        if range.end > GUEST_LIMIT {
            return false;
        }
        self.lock_regions().first_gap(range.start, range.end).is_none()
    }

    /// Finds `len` free bytes (rounded up to pages) for a Linux-style
    /// top-down `mmap` allocator. If `hint` (rounded up to a page) is at least
    /// [`MMAP_MIN_ADDR`](crate::MMAP_MIN_ADDR) and `[hint, hint + len)` is
    /// free and below `GUEST_LIMIT`, returns it; otherwise returns the highest
    /// free range ending at or below `below` (clamped to `GUEST_LIMIT`) and
    /// starting at or above `MMAP_MIN_ADDR`. `None` if there is none (or
    /// `len` is 0).
    #[must_use]
    pub fn find_free(&self, len: u64, hint: Option<u64>, below: u64) -> Option<u64> {
        self.lock_regions().find_free(len, hint, below)
    }

    /// The current mappings in address order, adjacent equal ones merged.
    #[must_use]
    pub fn mappings(&self) -> Vec<Mapping> {
        self.lock_regions().mappings()
    }

    /// Marks the page containing `addr` as holding translated code, so that
    /// guest writes to it are reported (see
    /// [`take_dirty_code_pages`](Self::take_dirty_code_pages)). Returns
    /// `false` (and marks nothing) if the page is not mapped.
    ///
    /// Mark a page *before* reading the code to translate from it: a write
    /// that lands between the mark and the read is then still reported.
    pub fn mark_code(&self, addr: u64) -> bool {
        if addr >= GUEST_LIMIT {
            return false;
        }
        match self.page_entry(addr).fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
            (f & page_flags::MAPPED != 0).then_some(f | page_flags::CODE)
        }) {
            Ok(old) => {
                if old & (page_flags::WRITE | page_flags::WRITE_SLOW | page_flags::VOLATILE) == page_flags::WRITE {
                    // Write-protect it in the host: compiled code's stores
                    // then fault there instead of checking every time.
                    let page = addr & !(PAGE_SIZE - 1);
                    let _ = self.sync_host_prot(page, page + PAGE_SIZE);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Clears the code mark of every page overlapping `[addr, addr + len)`
    /// (after the engine dropped their translations). Does not record them as
    /// dirty.
    pub fn clear_code(&self, addr: u64, len: u64) {
        let end = addr.saturating_add(len).min(GUEST_LIMIT);
        let mut page = addr & !(PAGE_SIZE - 1);
        while page < end {
            let entry = self.page_entry(page);
            // Load first: untouched parts of the table stay uncommitted.
            if entry.load(Ordering::Relaxed) & page_flags::CODE != 0
                && entry.fetch_and(!page_flags::CODE, Ordering::Relaxed) & page_flags::WRITE != 0
            {
                let _ = self.sync_host_prot(page, page + PAGE_SIZE);
            }
            page += PAGE_SIZE;
        }
    }

    /// Whether the page containing `addr` is marked as holding code.
    #[must_use]
    pub fn is_code(&self, addr: u64) -> bool {
        addr < GUEST_LIMIT && self.flags(addr) & page_flags::CODE != 0
    }

    /// Whether the page containing `addr` is volatile
    /// ([`page_flags::VOLATILE`]).
    #[must_use]
    pub fn is_volatile(&self, addr: u64) -> bool {
        addr < GUEST_LIMIT && self.flags(addr) & page_flags::VOLATILE != 0
    }

    /// Whether any code page went stale since the last
    /// [`take_dirty_code_pages`](Self::take_dirty_code_pages): one relaxed
    /// load, meant for the run loop to poll after every block or store.
    #[inline]
    #[must_use]
    pub fn code_dirty(&self) -> bool {
        self.code_dirty.load(Ordering::Relaxed)
    }

    /// Takes the (page-aligned) addresses of code pages whose translations
    /// went stale: written through the checked API (stores, AMOs,
    /// `write_bytes*`), unmapped, replaced by `map`, or made non-executable.
    /// Their code mark is already cleared; re-mark a page when translating it
    /// again. A page may appear more than once.
    pub fn take_dirty_code_pages(&self) -> Vec<u64> {
        self.code_dirty.store(false, Ordering::Relaxed);
        let mut dirty = self.dirty_code.lock().unwrap_or_else(PoisonError::into_inner);
        core::mem::take(&mut *dirty)
    }

    pub(crate) fn push_dirty(&self, pages: Vec<u64>) {
        if pages.is_empty() {
            return;
        }
        self.dirty_code.lock().unwrap_or_else(PoisonError::into_inner).extend(pages);
        self.code_dirty.store(true, Ordering::Release);
    }

    /// The page containing `page` is being written through the checked
    /// API: clears its code mark and records it as dirty code, if it was
    /// marked, and clears its write-tracking mark and logs it, if it was
    /// tracked. Called from the write slow path.
    #[cold]
    pub(crate) fn page_written(&self, page: u64) {
        let old = self.page_entry(page).fetch_and(!page_flags::WRITE_SLOW, Ordering::Relaxed);
        if old & page_flags::WRITE_SLOW != 0 {
            let page = page & !(PAGE_SIZE - 1);
            if old & page_flags::WRITE != 0 {
                // Writable again in the host (the caller writes it next).
                let _ = self.sync_host_prot(page, page + PAGE_SIZE);
            }
            if old & page_flags::TRACK != 0 {
                self.write_log.lock().unwrap_or_else(PoisonError::into_inner).push(page);
                let mut originals = self.originals.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(originals) = originals.as_mut() {
                    // Before the caller's write: the page as it was.
                    let mut data = vec![0; PAGE_SIZE as usize].into_boxed_slice();
                    if self.read_bytes_force(page, &mut data).is_ok() {
                        originals.push((page, data));
                    }
                }
            }
            if old & page_flags::CODE != 0 {
                self.push_dirty(vec![page]);
                self.count_code_write(page, old);
            }
        }
    }

    /// Translated code on `page` (table entry `old`) was written: after
    /// [`VOLATILE_AFTER`] times the page turns [`page_flags::VOLATILE`].
    fn count_code_write(&self, page: u64, old: u8) {
        if old & page_flags::VOLATILE != 0 || !self.volatile_code.load(Ordering::Relaxed) {
            return;
        }
        let mut w = self.code_writes.lock().unwrap_or_else(PoisonError::into_inner);
        let n = w.0.entry(page).or_default();
        *n += 1;
        if *n >= VOLATILE_AFTER {
            w.0.remove(&page);
            w.1.push(page);
            drop(w);
            self.page_entry(page).fetch_or(page_flags::VOLATILE, Ordering::Relaxed);
            let _ = self.sync_host_prot(page, page + PAGE_SIZE);
        }
    }

    /// Lets pages whose code is rewritten again and again turn
    /// [`page_flags::VOLATILE`]. For a user of the address space whose
    /// unchecked stores into code are rare once seen (the JIT's trap mode
    /// compiles a translation that wrote code with inline checks), and
    /// that runs [`Self::take_volatile_code_pages`] at every `fence.i`.
    pub fn allow_volatile_code(&self) {
        self.volatile_code.store(true, Ordering::Relaxed);
    }

    /// For `fence.i`: the volatile pages ([`page_flags::VOLATILE`]) that
    /// hold translated code, whose code may have changed without notice;
    /// their code mark is cleared, as for
    /// [`take_dirty_code_pages`](Self::take_dirty_code_pages): drop their
    /// translations.
    pub fn take_volatile_code_pages(&self) -> Vec<u64> {
        let w = self.code_writes.lock().unwrap_or_else(PoisonError::into_inner);
        w.1.iter()
            .copied()
            .filter(|&page| {
                let entry = self.page_entry(page);
                entry.load(Ordering::Relaxed) & page_flags::CODE != 0
                    && entry.fetch_and(!page_flags::CODE, Ordering::Relaxed) & page_flags::CODE != 0
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_range_validation() {
        assert!(matches!(page_range(1, 1), Err(Error::Unaligned { addr: 1 })));
        assert!(matches!(page_range(0, 0), Err(Error::BadRange { .. })));
        assert!(matches!(page_range(0, u64::MAX), Err(Error::BadRange { .. })));
        assert!(matches!(page_range(GUEST_LIMIT - PAGE_SIZE, PAGE_SIZE + 1), Err(Error::BadRange { .. })));
        assert_eq!(page_range(PAGE_SIZE, 1).ok(), Some((PAGE_SIZE, 2 * PAGE_SIZE)));
        assert_eq!(page_range(GUEST_LIMIT - PAGE_SIZE, PAGE_SIZE).ok(), Some((GUEST_LIMIT - PAGE_SIZE, GUEST_LIMIT)));
    }

    /// Whether the host mapping holding host address `at` was advised
    /// huge pages (`hg` in its `VmFlags` in `/proc/self/smaps`).
    fn host_advised(at: u64) -> bool {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((a, b)) = range.split_once('-')
                && let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16))
            {
                inside = (a..b).contains(&at);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.split_whitespace().any(|f| f == "hg");
            }
        }
        panic!("no mapping at {at:#x} in /proc/self/smaps")
    }

    #[test]
    fn large_ranges_are_advised_huge_pages_and_small_ones_not() {
        let s = AddressSpace::new().expect("new");
        let huge = crate::HUGE_PAGE;
        let base = s.host_base() as u64;
        // A guest address whose host address is 2 MiB-aligned, then a
        // mapping from one small page below it to one small page past
        // three huge pages: the three whole huge pages are advised.
        let aligned = (base + 64 * huge).next_multiple_of(huge) - base;
        let (start, len) = (aligned - PAGE_SIZE, 3 * huge + 2 * PAGE_SIZE);
        s.map(start, len, Perms::RW).expect("map");
        // Whether this host takes the advice at all (a kernel without
        // transparent huge pages, or a CPU without them, refuses it).
        let probe = HostMapping::zeroed(4 << 20).expect("probe");
        // SAFETY: `probe` is a fresh mapping of our own that nothing refers to.
        let takes =
            unsafe { rustix::mm::madvise(probe.ptr().as_ptr().cast(), probe.len(), rustix::mm::Advice::LinuxHugepage) }
                .is_ok();
        if !takes {
            eprintln!("skipped: this host has no transparent huge pages (madvise(MADV_HUGEPAGE) is refused)");
            assert_eq!(s.advise_huge_pages(start, len).expect("advise"), 0);
            return;
        }
        assert!(!host_advised(base + aligned), "advised before asked");
        assert_eq!(s.advise_huge_pages(start, len).expect("advise"), 3 * huge);
        assert!(host_advised(base + aligned));
        assert!(host_advised(base + aligned + 3 * huge - PAGE_SIZE));
        // The small pages at either end are not.
        assert!(!host_advised(base + start));
        assert!(!host_advised(base + aligned + 3 * huge));
        // The memory is what it was: zero, writable, and stays mapped.
        // SAFETY: `[start, start + len)` is mapped read-write in the host
        // and no Rust reference points into guest memory.
        unsafe {
            let p = s.host_base().add((aligned + huge) as usize);
            assert_eq!(p.read_volatile(), 0);
            p.write_volatile(7);
            assert_eq!(p.read_volatile(), 7);
        }
        // A range holding no whole huge page is left alone.
        assert_eq!(s.advise_huge_pages(start, huge).expect("advise"), 0);
        assert!(s.advise_huge_pages(GUEST_LIMIT - PAGE_SIZE, 2 * PAGE_SIZE).is_err());
    }

    #[test]
    fn table_tracks_mappings() {
        let s = AddressSpace::new().expect("new");
        s.map(0x10000, 0x2000, Perms::RX).expect("map");
        assert_eq!(s.flags(0x10000), page_flags::MAPPED | page_flags::READ | page_flags::EXEC);
        assert_eq!(s.flags(0x11fff), page_flags::MAPPED | page_flags::READ | page_flags::EXEC);
        assert_eq!(s.flags(0x12000), 0);
        s.protect(0x11000, 0x1000, Perms::NONE).expect("protect");
        assert_eq!(s.flags(0x11000), page_flags::MAPPED);
        s.unmap(0x10000, 0x2000).expect("unmap");
        assert_eq!(s.flags(0x10000), 0);
        assert_eq!(s.flags(0x11000), 0);
    }

    #[test]
    fn shared_mappings_are_the_files() {
        let s = AddressSpace::new().expect("new");
        let fd = rustix::fs::memfd_create(c"ferrovm-mem-test", rustix::fs::MemfdFlags::CLOEXEC).expect("memfd");
        rustix::fs::ftruncate(&fd, 2 * PAGE_SIZE).expect("ftruncate");
        rustix::io::pwrite(&fd, b"from the file", PAGE_SIZE).expect("pwrite");
        let backing = SharedBacking::File { fd: std::os::fd::AsFd::as_fd(&fd), offset: 0, writable: true };
        s.map_shared(0x10000, 2 * PAGE_SIZE, Perms::RW, Some("shared"), backing).expect("map_shared");
        // Guest stores reach the file, file writes reach the guest.
        s.write_bytes(0x10000, b"from the guest").expect("store");
        let mut buf = [0u8; 14];
        rustix::io::pread(&fd, &mut buf, 0).expect("pread");
        assert_eq!(&buf, b"from the guest");
        let mut got = [0u8; 13];
        s.read_bytes(0x10000 + PAGE_SIZE, &mut got).expect("load");
        assert_eq!(&got, b"from the file");
        assert_eq!(s.perms(0x10000), Perms::RW);
        // Unmapping detaches: the range is private and unmapped again.
        s.unmap(0x10000, 2 * PAGE_SIZE).expect("unmap");
        assert!(!s.page_mapped(0x10000));
        // A read-only backing with a bad range is refused cleanly.
        let ro = SharedBacking::File { fd: std::os::fd::AsFd::as_fd(&fd), offset: 1, writable: false };
        assert!(s.map_shared(0x10000, PAGE_SIZE, Perms::R, None, ro).is_err());
        assert!(!s.page_mapped(0x10000));
    }

    #[test]
    fn private_file_mappings_copy_on_write() {
        let s = AddressSpace::new().expect("new");
        let fd = rustix::fs::memfd_create(c"ferrovm-mem-test", rustix::fs::MemfdFlags::CLOEXEC).expect("memfd");
        rustix::io::pwrite(&fd, b"page one", PAGE_SIZE).expect("pwrite");
        rustix::io::pwrite(&fd, b"page two", 2 * PAGE_SIZE).expect("pwrite");
        // The file is 2 pages and 8 bytes long; map from its second page,
        // read-only to the guest.
        let ro = std::os::fd::AsFd::as_fd(&fd);
        s.map_file(0x10000, 2 * PAGE_SIZE, Perms::R, Some("file"), ro, PAGE_SIZE).expect("map_file");
        let mut got = [0u8; 8];
        s.read_bytes(0x10000, &mut got).expect("load");
        assert_eq!(&got, b"page one");
        s.read_bytes(0x10000 + PAGE_SIZE, &mut got).expect("load");
        assert_eq!(&got, b"page two");
        // Past the end of the file, in its last page: zeros.
        s.read_bytes(0x10000 + PAGE_SIZE + 8, &mut got).expect("load");
        assert_eq!(got, [0; 8]);
        // The guest's permissions hold; a write the loader forces copies
        // the page and leaves the file alone.
        assert_eq!(s.perms(0x10000), Perms::R);
        assert!(s.write_bytes(0x10000, b"guest").is_err());
        s.write_bytes_force(0x10000, b"guest").expect("forced store");
        s.read_bytes(0x10000, &mut got).expect("load");
        assert_eq!(&got, b"guestone");
        let mut file = [0u8; 8];
        rustix::io::pread(&fd, &mut file, PAGE_SIZE).expect("pread");
        assert_eq!(&file, b"page one");
        // A page not written yet shows what the file holds now, as on
        // Linux.
        rustix::io::pwrite(&fd, b"new two!", 2 * PAGE_SIZE).expect("pwrite");
        s.read_bytes(0x10000 + PAGE_SIZE, &mut got).expect("load");
        assert_eq!(&got, b"new two!");
        // A bad offset is refused cleanly and leaves the range unmapped.
        assert!(s.map_file(0x10000, PAGE_SIZE, Perms::R, None, ro, 1).is_err());
        assert!(!s.page_mapped(0x10000));
    }

    #[test]
    fn a_first_mapping_of_page_zero_drops_translated_code() {
        let s = AddressSpace::new().expect("new");
        s.map(0x10000, PAGE_SIZE, Perms::RX).expect("map");
        assert!(s.mark_code(0x10000));
        assert!(!s.first_page_mapped());
        s.map(0x20000, PAGE_SIZE, Perms::RW).expect("map");
        assert!(!s.first_page_mapped() && s.take_dirty_code_pages().is_empty());
        s.map(0, PAGE_SIZE, Perms::RW).expect("map page 0");
        assert!(s.first_page_mapped());
        assert_eq!(s.take_dirty_code_pages(), [0x10000], "the code page is dirty");
        // Sticky, and only the first time.
        s.unmap(0, PAGE_SIZE).expect("unmap");
        assert!(s.mark_code(0x10000));
        s.map(0, PAGE_SIZE, Perms::RW).expect("map page 0 again");
        assert!(s.first_page_mapped() && s.take_dirty_code_pages().is_empty());
    }
}
