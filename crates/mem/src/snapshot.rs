//! Memory snapshots: a copy of every mapping, and a restore that copies
//! back only the pages written since (the fuzzing loop's reset); and
//! write recording ([`AddressSpace::record_writes`]), the same tracking
//! keeping each written page's contents from before its first write.
//!
//! [`AddressSpace::snapshot`] copies every mapped page and marks every
//! mapped page [`page_flags::TRACK`]. A store to a tracked page takes the
//! store slow path once (the same single flag test as for code pages, in
//! the interpreter and in compiled code alike), which clears the mark and
//! logs the page; later stores to it are fast again. So a guest pays one
//! slow store per page it writes, and [`AddressSpace::restore`] copies
//! back exactly the logged pages and marks them again: its cost is
//! proportional to the pages written, not to the memory size.
//!
//! A restore is *full* (every page of the snapshot copied back, the
//! mappings recreated as they were) when the layout changed since tracking
//! began (`map`, `unmap` or `protect`: pages may have been zeroed or
//! replaced without a store), or when the writes tracked are those of
//! another snapshot; a full restore starts tracking for the snapshot
//! restored, so the next restore of it is incremental again. Shared
//! mappings ([`AddressSpace::map_shared`]) come back private.
//!
//! ```
//! use ferrovm_mem::{AddressSpace, Perms, Restored};
//!
//! let mem = AddressSpace::new().unwrap();
//! mem.map(0x10000, 0x100000, Perms::RW).unwrap();
//! mem.store_u64(0x10000, 1).unwrap();
//! let snap = mem.snapshot().unwrap();
//! mem.store_u64(0x10000, 2).unwrap();
//! mem.store_u64(0x50000, 3).unwrap();
//! assert_eq!(mem.restore(&snap).unwrap(), Restored { pages: 2, full: false });
//! assert_eq!((mem.load_u64(0x10000), mem.load_u64(0x50000)), (Ok(1), Ok(0)));
//! ```

use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::PoisonError;

use crate::perms::page_flags;
use crate::regions::Mapping;
use crate::{AddressSpace, PAGE_SIZE, Result};

/// Tells snapshots apart.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A copy of an address space's mappings and contents
/// ([`AddressSpace::snapshot`]).
#[derive(Clone)]
pub struct MemSnapshot {
    id: u64,
    /// The mappings, in address order, each with its contents.
    mappings: Vec<(Mapping, Vec<u8>)>,
}

impl core::fmt::Debug for MemSnapshot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemSnapshot")
            .field("mappings", &self.mappings.iter().map(|(m, _)| m).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl MemSnapshot {
    /// The mappings it holds.
    pub fn mappings(&self) -> impl Iterator<Item = &Mapping> {
        self.mappings.iter().map(|(m, _)| m)
    }

    /// Bytes of guest memory it holds.
    pub fn bytes(&self) -> u64 {
        self.mappings.iter().map(|(m, _)| m.end - m.start).sum()
    }

    /// The saved contents of the page at `page`, if it was mapped.
    fn page(&self, page: u64) -> Option<&[u8]> {
        let i = self.mappings.partition_point(|(m, _)| m.end <= page);
        let (m, data) = self.mappings.get(i)?;
        if m.start > page {
            return None;
        }
        let off = (page - m.start) as usize;
        data.get(off..off + PAGE_SIZE as usize)
    }
}

/// What [`AddressSpace::restore`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restored {
    /// Pages copied back.
    pub pages: u64,
    /// Whether every page was (the layout changed, or another snapshot
    /// was being tracked), rather than only those written.
    pub full: bool,
}

impl AddressSpace {
    /// Copies every mapping (permissions, name and contents) and starts
    /// tracking writes for it (see the module docs of `snapshot`).
    pub fn snapshot(&self) -> Result<MemSnapshot> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mappings = self.mappings();
        self.track_all(id, &mappings);
        let mut saved = Vec::with_capacity(mappings.len());
        for m in mappings {
            let mut data = vec![0; (m.end - m.start) as usize];
            self.read_bytes_force(m.start, &mut data).map_err(|f| crate::Error::NotMapped { addr: f.addr })?;
            saved.push((m, data));
        }
        Ok(MemSnapshot { id, mappings: saved })
    }

    /// Puts memory back as it was when `snap` was taken: only the pages
    /// written since, if the layout is unchanged and `snap` is the one
    /// being tracked; otherwise every mapping is recreated and copied
    /// back. Translations of code pages that change are dropped, as for
    /// any write. No guest thread may run meanwhile.
    pub fn restore(&self, snap: &MemSnapshot) -> Result<Restored> {
        let tracked = *self.tracked.lock().unwrap_or_else(PoisonError::into_inner);
        let layout = self.layout_changes.load(Ordering::Relaxed);
        if tracked != Some((snap.id, layout)) {
            return self.restore_full(snap);
        }
        let mut pages = core::mem::take(&mut *self.write_log.lock().unwrap_or_else(PoisonError::into_inner));
        pages.sort_unstable();
        pages.dedup();
        for &page in &pages {
            match snap.page(page) {
                // The first write cleared the page's mark, so this one is
                // not logged again.
                Some(data) => {
                    self.write_bytes_force(page, data).map_err(|f| crate::Error::NotMapped { addr: f.addr })?
                }
                None => return self.restore_full(snap),
            }
            self.track_page(page);
        }
        Ok(Restored { pages: pages.len() as u64, full: false })
    }

    fn restore_full(&self, snap: &MemSnapshot) -> Result<Restored> {
        for m in self.mappings() {
            self.unmap(m.start, m.end - m.start)?;
        }
        let mut pages = 0;
        for (m, data) in &snap.mappings {
            self.map_named(m.start, m.end - m.start, m.perms, m.name.as_deref())?;
            self.write_bytes_force(m.start, data).map_err(|f| crate::Error::NotMapped { addr: f.addr })?;
            pages += (m.end - m.start) / PAGE_SIZE;
        }
        let mappings: Vec<Mapping> = snap.mappings.iter().map(|(m, _)| m.clone()).collect();
        self.track_all(snap.id, &mappings);
        Ok(Restored { pages, full: true })
    }

    /// Marks every page of `mappings` tracked for snapshot `id`, with an
    /// empty log.
    fn track_all(&self, id: u64, mappings: &[Mapping]) {
        let mut tracked = self.tracked.lock().unwrap_or_else(PoisonError::into_inner);
        self.write_log.lock().unwrap_or_else(PoisonError::into_inner).clear();
        for m in mappings {
            for page in (m.start..m.end).step_by(PAGE_SIZE as usize) {
                self.page_entry(page).fetch_or(page_flags::TRACK, Ordering::Relaxed);
            }
            let _ = self.sync_host_prot(m.start, m.end);
        }
        *tracked = Some((id, self.layout_changes.load(Ordering::Relaxed)));
    }

    /// Marks `page` tracked again (after restoring it).
    fn track_page(&self, page: u64) {
        let old = self.page_entry(page).fetch_or(page_flags::TRACK, Ordering::Relaxed);
        if old & page_flags::TRACK == 0 && old & page_flags::WRITE != 0 {
            let _ = self.sync_host_prot(page, page + PAGE_SIZE);
        }
    }

    /// Starts recording the guest's writes: every mapped page is marked
    /// tracked, as for a snapshot, and the first store to each keeps the
    /// page's contents from before it; [`Self::take_recorded_writes`]
    /// returns them. A `vfork` child whose memory is a copy of its
    /// parent's uses it to send back exactly the bytes it changed. Any
    /// snapshot's restore becomes full.
    pub fn record_writes(&self) {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        *self.originals.lock().unwrap_or_else(PoisonError::into_inner) = Some(Vec::new());
        self.track_all(id, &self.mappings());
    }

    /// Stops recording ([`Self::record_writes`]): each page written since
    /// it began, once, with its contents before the first write. Pages
    /// mapped after recording began are not in it.
    pub fn take_recorded_writes(&self) -> Vec<crate::WrittenPage> {
        self.originals.lock().unwrap_or_else(PoisonError::into_inner).take().unwrap_or_default()
    }

    /// Pages written since the last snapshot or restore (each once).
    pub fn written_pages(&self) -> u64 {
        let mut log = self.write_log.lock().unwrap_or_else(PoisonError::into_inner).clone();
        log.sort_unstable();
        log.dedup();
        log.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Perms;

    #[test]
    fn restore_copies_written_pages_only() {
        let mem = AddressSpace::new().expect("new");
        mem.map(0x10000, 64 * PAGE_SIZE, Perms::RW).expect("map");
        mem.map(0x100000, PAGE_SIZE, Perms::R).expect("map");
        mem.write_bytes_force(0x100000, b"ro").expect("force");
        mem.store_u32(0x10008, 7).expect("store");
        let snap = mem.snapshot().expect("snapshot");
        assert_eq!(snap.bytes(), 65 * PAGE_SIZE);
        for round in 0..3u64 {
            mem.store_u32(0x10008, 99).expect("store");
            mem.store_u32(0x10008, 100 + round as u32).expect("second store, fast");
            mem.write_bytes(0x20000, &[1; 10]).expect("write");
            mem.amo(crate::AmoOp::Add, 0x30000, crate::AtomicWidth::Double, 5, core::sync::atomic::Ordering::SeqCst)
                .expect("amo");
            assert_eq!(mem.written_pages(), 3);
            assert_eq!(mem.restore(&snap).expect("restore"), Restored { pages: 3, full: false });
            assert_eq!(mem.load_u32(0x10008), Ok(7));
            assert_eq!(mem.load_u8(0x20000), Ok(0));
            assert_eq!(mem.load_u64(0x30000), Ok(0));
        }
        // A layout change: a full restore, then incremental again.
        mem.unmap(0x100000, PAGE_SIZE).expect("unmap");
        mem.map(0x200000, PAGE_SIZE, Perms::RW).expect("map");
        assert_eq!(mem.restore(&snap).expect("restore"), Restored { pages: 65, full: true });
        assert!(!mem.page_mapped(0x200000));
        assert_eq!(mem.perms(0x100000), Perms::R);
        let mut ro = [0; 2];
        mem.read_bytes(0x100000, &mut ro).expect("read");
        assert_eq!(&ro, b"ro");
        mem.store_u8(0x10000, 1).expect("store");
        assert_eq!(mem.restore(&snap).expect("restore"), Restored { pages: 1, full: false });
        // Permissions changed meanwhile come back too.
        mem.protect(0x10000, PAGE_SIZE, Perms::R).expect("protect");
        assert!(mem.restore(&snap).expect("restore").full);
        assert_eq!(mem.perms(0x10000), Perms::RW);
    }

    #[test]
    fn recorded_writes_keep_the_contents_before() {
        let mem = AddressSpace::new().expect("new");
        mem.map(0x10000, 0x4000, Perms::RW).expect("map");
        mem.store_u64(0x10008, 7).expect("store");
        mem.record_writes();
        mem.store_u64(0x10008, 8).expect("store");
        mem.store_u64(0x10010, 9).expect("store");
        mem.write_bytes(0x12ffe, &[1, 2, 3, 4]).expect("write across pages");
        let rec = mem.take_recorded_writes();
        let pages: Vec<u64> = rec.iter().map(|(p, _)| *p).collect();
        assert_eq!(pages, vec![0x10000, 0x12000, 0x13000]);
        let (_, first) = &rec[0];
        assert_eq!(first.len(), PAGE_SIZE as usize);
        assert_eq!(first[8..16], 7u64.to_le_bytes());
        assert!(first[16..].iter().all(|&b| b == 0));
        assert_eq!(mem.load_u64(0x10008), Ok(8));
        // Recording stopped: later writes are not kept.
        mem.store_u64(0x11000, 1).expect("store");
        assert!(mem.take_recorded_writes().is_empty());
    }

    #[test]
    fn two_snapshots() {
        let mem = AddressSpace::new().expect("new");
        mem.map(0x10000, 4 * PAGE_SIZE, Perms::RW).expect("map");
        let a = mem.snapshot().expect("a");
        mem.store_u8(0x10000, 1).expect("store");
        let b = mem.snapshot().expect("b");
        mem.store_u8(0x11000, 2).expect("store");
        // `a` is not tracked any more: a full restore is right.
        assert!(mem.restore(&a).expect("restore a").full);
        assert_eq!((mem.load_u8(0x10000), mem.load_u8(0x11000)), (Ok(0), Ok(0)));
        assert!(mem.restore(&b).expect("restore b").full);
        assert_eq!((mem.load_u8(0x10000), mem.load_u8(0x11000)), (Ok(1), Ok(0)));
        mem.store_u8(0x11000, 2).expect("store");
        assert_eq!(mem.restore(&b).expect("restore b"), Restored { pages: 1, full: false });
    }

    #[test]
    fn tracking_under_mirrored_protection() {
        let mem = AddressSpace::new().expect("new");
        mem.map(0x10000, 4 * PAGE_SIZE, Perms::RW).expect("map");
        if !mem.mirror_protection().expect("mirror") {
            return;
        }
        let snap = mem.snapshot().expect("snapshot");
        // A host write to the tracked page faults in the host; the checked
        // path (what the fault handler resolves) logs it.
        assert!(mem.resolve_host_fault(mem.host_base() as usize + 0x11000, true));
        mem.store_u8(0x11000, 5).expect("store");
        assert_eq!(mem.restore(&snap).expect("restore"), Restored { pages: 1, full: false });
        assert_eq!(mem.load_u8(0x11000), Ok(0));
    }
}
