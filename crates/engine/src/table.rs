//! The translation table: one [`Record`] per guest pc the VM has
//! translated, holding everything about the translations entered there —
//! the interpreter's lowered block, the one-instruction block for a slow
//! access, the compiled code and the chaining cell that leads to it, the
//! profile counter — so that no second map ever has to be kept in sync with
//! it. Shared by every vCPU.
//!
//! Records are never freed while the VM lives: compiled code, jump caches,
//! inline caches and return-address stacks hold the address of their cells
//! and counters. What a record holds changes (a translation is dropped when
//! its code changes, compiled code is evicted for room); the record stays.
//!
//! Invalidation is page-granular: every translation is listed under the
//! guest pages its code came from. Dropping a record's translations bumps
//! its `version`, which a vCPU checks on every hit in its local lookup
//! cache, and [`Table::generation`], which the debug loop checks.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use ferrovm_interp::Lowered;
use ferrovm_jit::NativeCode;
use ferrovm_jit::abi::{Cell, Unlinked};
use rustc_hash::FxHashMap;

use crate::cost::Features;
use crate::hotspot::Score;

/// Everything the VM knows about the translations entered at one guest pc.
///
/// The run loop reads `cell`, `runs` and `next_eval` for every block it
/// dispatches, usually from a record that is not in the host cache (large
/// programs run tens of thousands of blocks): `repr(C)` with those first
/// and the record aligned to a cache line puts them in one line, one miss.
/// Three lines in all (a test checks): python3 start-up makes 53,000
/// records, many for successors that never run (with the `Arc`'s counts,
/// padded to a line, 320 bytes each at four lines: 17 MB of its 36 MB
/// heap; 256 bytes at three).
#[derive(Debug)]
#[repr(C, align(64))]
pub(crate) struct Record {
    /// Where compiled code chained to `pc` goes: its compiled translation,
    /// or the dispatcher stub.
    pub(crate) cell: Cell,
    /// Runs counted for tiering since its last evaluation (by the
    /// interpreter, or by first-run compiled code that counts).
    pub(crate) runs: AtomicU32,
    /// The run count at which the interpreter next weighs compiling it.
    pub(crate) next_eval: AtomicU32,
    /// Its hotspot score (decaying run count; see [`crate::hotspot`]).
    pub(crate) score: Score,
    /// Times its compiled code was evicted to make room.
    pub(crate) evictions: AtomicU32,
    /// Bumped whenever its translations are dropped: a compile request
    /// made before is stale.
    pub(crate) version: AtomicU64,
    /// A compile of it is queued or running (see [`crate::queue`]).
    pub(crate) queued: AtomicBool,
    /// Entries into its compiled code from the dispatcher since the last
    /// maintenance, and the maintenance tick of the last one.
    pub(crate) entries: AtomicU32,
    pub(crate) used: AtomicU32,
    /// Times its region was re-formed because a side exit turned hot.
    pub(crate) reforms: AtomicU32,
    /// Its compiled code is hot code (optimized, a region).
    pub(crate) optimized: AtomicBool,
    /// The baseline compiler refused its block (FP, CSR, vector ops): not
    /// asked again, the interpreter runs it until it is hot.
    pub(crate) baseline_refused: AtomicBool,
    /// Its compiled code's stores wrote translated code: it is compiled
    /// with inline memory checks from then on ([`ferrovm_jit::Flavor::checked`]).
    pub(crate) checked_memory: AtomicBool,
    /// Guest instructions in the blocks of its compiled translation (set
    /// with [`State::native`], under the lock).
    pub(crate) native_insns: AtomicU32,
    /// The `vtype` a vCPU had at the block's entry when it last weighed
    /// compiling it (`vill` until then): what compiled code of the block
    /// guesses before its first `vsetvl*` ([`ferrovm_jit::Linker::vtype`]).
    pub(crate) vtype: AtomicU64,
    /// The translations themselves.
    pub(crate) state: Mutex<State>,
}

/// The translations of a [`Record`].
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The interpreter's block starting at the pc.
    pub(crate) block: Option<Arc<Lowered>>,
    /// The one-instruction block at the pc, for a load or store compiled
    /// code handed back.
    pub(crate) step: Option<Arc<Lowered>>,
    /// The compiled translation entered at the pc (its cell leads to it).
    pub(crate) native: Option<NativeCode>,
    /// Cost-model features of the interpreter's block. (Boxed, as the
    /// two below: most records have none, and a record is a cache line
    /// shorter so; see [`Record`].)
    pub(crate) features: Option<Box<Features>>,
    /// Its interpreter block is for its first runs under
    /// [`crate::ColdCode::Baseline`] with interpreted runs first: when they
    /// are over, it gets baseline code ([`crate::Vcpu`]'s evaluation).
    /// Lifted again for that compile rather than keeping the IR: most such
    /// blocks never get there, and their IR (about 1.6 KB each) was most
    /// of the cold path's memory (bigprog: 27 MB peak RSS kept, 15 MB not).
    pub(crate) interpreted_first: bool,
    /// How its compiled region and other records' cells lead into one
    /// another (boxed: only hot regions and the records entering them have
    /// any).
    links: Option<Box<Links>>,
}

/// A [`State`]'s links between hot regions and the records that enter
/// them inside.
#[derive(Debug, Default)]
struct Links {
    /// The pcs inside its compiled region at which the region's code may
    /// be entered too ([`ferrovm_jit::Function::take_entries`]).
    heads: Box<[u64]>,
    /// Records whose cells lead into its compiled region (each entered at
    /// its own pc; see [`State::alias`]). Unlinked whenever that code goes.
    aliases: Vec<u64>,
    /// The entry pc of the hot region whose code its cell leads to, when
    /// it has no compiled code of its own but lies inside that region.
    alias: Option<u64>,
}

impl State {
    /// The entry pc of the hot region whose code its cell leads to, when it
    /// has no compiled code of its own but lies inside that region.
    pub(crate) fn alias(&self) -> Option<u64> {
        self.links.as_ref().and_then(|l| l.alias)
    }

    /// Sets (or clears) [`State::alias`].
    pub(crate) fn set_alias(&mut self, entry: Option<u64>) {
        match (&mut self.links, entry) {
            (Some(l), _) => l.alias = entry,
            (None, None) => {}
            (None, Some(_)) => self.links = Some(Box::new(Links { alias: entry, ..Links::default() })),
        }
        self.tidy();
    }

    /// The pcs inside its compiled region at which the region's code may
    /// be entered too.
    pub(crate) fn heads(&self) -> &[u64] {
        self.links.as_ref().map_or(&[], |l| &l.heads)
    }

    /// Sets [`State::heads`] (for new code; empty when the code goes).
    pub(crate) fn set_heads(&mut self, heads: Box<[u64]>) {
        match &mut self.links {
            Some(l) => l.heads = heads,
            None if heads.is_empty() => {}
            None => self.links = Some(Box::new(Links { heads, ..Links::default() })),
        }
        self.tidy();
    }

    /// Notes that record `pc`'s cell leads into its compiled region.
    pub(crate) fn add_alias(&mut self, pc: u64) {
        self.links.get_or_insert_with(Box::default).aliases.push(pc);
    }

    /// Forgets the records whose cells lead into its compiled region, and
    /// returns them.
    pub(crate) fn take_aliases(&mut self) -> Vec<u64> {
        let taken = self.links.as_mut().map(|l| std::mem::take(&mut l.aliases)).unwrap_or_default();
        self.tidy();
        taken
    }

    /// Keeps the records whose cells lead into its compiled region for
    /// which `keep(pc, heads)` holds.
    pub(crate) fn retain_aliases(&mut self, mut keep: impl FnMut(u64, &[u64]) -> bool) {
        if let Some(l) = &mut self.links {
            let heads = &l.heads;
            l.aliases.retain(|&pc| keep(pc, heads));
        }
        self.tidy();
    }

    /// Drops the links once they hold nothing.
    fn tidy(&mut self) {
        if self.links.as_ref().is_some_and(|l| l.heads.is_empty() && l.aliases.is_empty() && l.alias.is_none()) {
            self.links = None;
        }
    }
}

impl Record {
    pub(crate) fn new(pc: u64, unlinked: Unlinked) -> Self {
        Record {
            cell: Cell::new(pc, unlinked),
            runs: AtomicU32::new(0),
            next_eval: AtomicU32::new(0),
            score: Score::default(),
            evictions: AtomicU32::new(0),
            version: AtomicU64::new(0),
            queued: AtomicBool::new(false),
            entries: AtomicU32::new(0),
            used: AtomicU32::new(0),
            reforms: AtomicU32::new(0),
            optimized: AtomicBool::new(false),
            baseline_refused: AtomicBool::new(false),
            checked_memory: AtomicBool::new(false),
            native_insns: AtomicU32::new(0),
            vtype: AtomicU64::new(ferrovm_ir::vector::VILL),
            state: Mutex::new(State::default()),
        }
    }

    /// The guest pc (its cell's).
    pub(crate) fn pc(&self) -> u64 {
        self.cell.pc
    }

    /// Its translations, locked.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a run; the new count.
    #[inline]
    pub(crate) fn count_run(&self) -> u32 {
        // Load and store, not an atomic add: a lost count under a race
        // only delays tier-up a little, and a locked add on every run
        // would cost more than the interpreter's dispatch.
        let n = self.runs.load(Ordering::Relaxed).wrapping_add(1);
        self.runs.store(n, Ordering::Relaxed);
        n
    }
}

/// The guest pages a translation's code came from.
pub(crate) type Pages = Vec<u64>;

/// The page index: which translations came from each guest page, and when
/// each page's code last changed (so that a compile is thrown away only
/// when code it read changed, not whenever any code did: a program that
/// rewrites one buffer 40,000 times had every region compile elsewhere
/// thrown away).
#[derive(Debug, Default)]
pub(crate) struct PageIndex {
    /// Guest page → pcs of translations whose code lies on it.
    pcs: FxHashMap<u64, Vec<u64>>,
    /// Guest page → the [`Table::code_changes`] of its last change.
    changed: FxHashMap<u64, u64>,
    /// The [`Table::code_changes`] of the last change of every page (a
    /// flush) or of one not tied to pages (a translation demoted).
    all_changed: u64,
}

impl PageIndex {
    /// Lists the translation entered at `pc` under each of `pages`.
    pub(crate) fn add(&mut self, pc: u64, pages: &[u64]) {
        for &page in pages {
            let pcs = self.pcs.entry(page).or_default();
            if !pcs.contains(&pc) {
                pcs.push(pc);
            }
        }
    }

    /// Takes the pcs listed under `page`.
    pub(crate) fn take(&mut self, page: u64) -> Vec<u64> {
        self.pcs.remove(&page).unwrap_or_default()
    }

    /// The pcs in `[lo, hi)` of the translations listed under the pages
    /// that range touches, in order, each once.
    pub(crate) fn pcs_in(&self, lo: u64, hi: u64) -> Vec<u64> {
        let page = ferrovm_mem::PAGE_SIZE;
        let mut pcs: Vec<u64> = (lo & !(page - 1)..hi)
            .step_by(page as usize)
            .filter_map(|p| self.pcs.get(&p))
            .flatten()
            .copied()
            .filter(|pc| (lo..hi).contains(pc))
            .collect();
        pcs.sort_unstable();
        pcs.dedup();
        pcs
    }

    /// Forgets every listed translation.
    pub(crate) fn clear(&mut self) {
        self.pcs.clear();
    }

    /// Whether no code on `pages` changed after [`Table::code_changes`]
    /// read `changes`: a translation read from them then may be published.
    pub(crate) fn unchanged_since(&self, pages: &[u64], changes: u64) -> bool {
        self.all_changed <= changes && pages.iter().all(|p| self.changed.get(p).is_none_or(|&c| c <= changes))
    }
}

/// The translation table (see the module docs).
#[derive(Debug)]
pub(crate) struct Table {
    /// Keyed by pc with a fast non-cryptographic hash: guests do not
    /// choose their pcs adversarially, and SipHash showed in profiles of
    /// large programs.
    records: RwLock<FxHashMap<u64, Arc<Record>>>,
    /// Guest page → pcs of translations whose code lies on it, and when
    /// each page's code last changed.
    by_page: Mutex<PageIndex>,
    /// Bumped whenever translations are dropped: the debug loop flushes
    /// its one-instruction translations when it changes.
    pub(crate) generation: AtomicU64,
    /// Bumped whenever guest code changed (dirty code pages processed,
    /// everything flushed): a compile that started before a change to one
    /// of its pages may hold stale code and is thrown away
    /// ([`PageIndex::unchanged_since`]).
    pub(crate) code_changes: AtomicU64,
    /// What an empty cell leads to.
    unlinked: Unlinked,
    /// Runs before a new record's first evaluation.
    first_eval: u32,
}

impl Table {
    /// An empty table whose cells lead where `unlinked` says when they have no code,
    /// whose records are first weighed for compiling after `first_eval`
    /// runs.
    pub(crate) fn new(unlinked: Unlinked, first_eval: u32) -> Self {
        Table {
            records: RwLock::new(FxHashMap::default()),
            by_page: Mutex::new(PageIndex::default()),
            generation: AtomicU64::new(0),
            code_changes: AtomicU64::new(0),
            unlinked,
            first_eval,
        }
    }

    /// The record of `pc`, if any.
    pub(crate) fn get(&self, pc: u64) -> Option<Arc<Record>> {
        self.records.read().unwrap_or_else(PoisonError::into_inner).get(&pc).cloned()
    }

    /// The record of `pc`, made if there is none.
    pub(crate) fn record(&self, pc: u64) -> Arc<Record> {
        self.with_record(pc, Arc::clone)
    }

    /// What `f` makes of the record of `pc` (made if there is none), with
    /// the table locked. The address of a field (a cell, a counter) needs
    /// no reference of its own: the table keeps every record for the VM's
    /// life, and counting one (`Arc::clone`) touched the record's cache
    /// line, a miss for most exit targets of a block being compiled (three
    /// quarters of the time of `record` in python3's start-up).
    pub(crate) fn with_record<T>(&self, pc: u64, f: impl FnOnce(&Arc<Record>) -> T) -> T {
        if let Some(r) = self.records.read().unwrap_or_else(PoisonError::into_inner).get(&pc) {
            return f(r);
        }
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        f(records.entry(pc).or_insert_with(|| {
            let r = Record::new(pc, self.unlinked);
            r.next_eval.store(self.first_eval, Ordering::Relaxed);
            Arc::new(r)
        }))
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.records.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Locks the page index. A translation is published into its record
    /// with this lock held (after checking
    /// [`PageIndex::unchanged_since`]), and dropped with it held, so the
    /// two never interleave.
    pub(crate) fn lock_pages(&self) -> MutexGuard<'_, PageIndex> {
        self.by_page.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a change of guest code in `index` (its lock held): the
    /// pages in `pages`, or every page with `None`. Returns the new
    /// [`Table::code_changes`].
    pub(crate) fn code_changed(&self, index: &mut PageIndex, pages: Option<&[u64]>) -> u64 {
        let now = self.code_changes.fetch_add(1, Ordering::AcqRel) + 1;
        match pages {
            Some(pages) => {
                for &page in pages {
                    index.changed.insert(page, now);
                }
            }
            None => index.all_changed = now,
        }
        now
    }

    /// Every record, for a flush.
    pub(crate) fn all(&self) -> Vec<Arc<Record>> {
        self.records.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// Calls `f` on every record, under the table's read lock, without
    /// touching the records' reference counts (in a forked child, a write
    /// to each record copied every page of them: 37% of a shell's time in
    /// a loop of subshells).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Record)) {
        for r in self.records.read().unwrap_or_else(PoisonError::into_inner).values() {
            f(r);
        }
    }

    /// Marks that translations were dropped.
    pub(crate) fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod page_tests {
    use super::{PageIndex, Table};
    use ferrovm_jit::abi::Unlinked;

    /// A translation read before a change may be published unless the
    /// change was to one of its pages, or to every page.
    #[test]
    fn only_a_change_to_its_own_pages_makes_a_translation_stale() {
        let table = Table::new(Unlinked::default(), 1);
        let mut index = PageIndex::default();
        let (a, b) = (0x10000, 0x11000);
        let before = table.code_changes.load(std::sync::atomic::Ordering::Acquire);
        assert!(index.unchanged_since(&[a, b], before));
        let after_a = table.code_changed(&mut index, Some(&[a]));
        assert!(!index.unchanged_since(&[a], before), "its page changed");
        assert!(!index.unchanged_since(&[b, a], before), "one of its pages changed");
        assert!(index.unchanged_since(&[b], before), "another page changed");
        assert!(index.unchanged_since(&[a, b], after_a), "read after the change");
        table.code_changed(&mut index, None);
        assert!(!index.unchanged_since(&[b], after_a), "every page changed");
    }

    /// The translations listed around an address: those on the pages the
    /// range touches, within the range.
    #[test]
    fn the_index_finds_the_translations_in_a_range() {
        let mut index = PageIndex::default();
        index.add(0x10ff0, &[0x10000, 0x11000]);
        index.add(0x11010, &[0x11000]);
        index.add(0x13000, &[0x13000]);
        assert_eq!(index.pcs_in(0x10800, 0x12000), [0x10ff0, 0x11010], "each once");
        assert!(index.pcs_in(0x11020, 0x12ff0).is_empty());
    }
}

#[cfg(test)]
mod size_tests {
    /// A record takes three cache lines (see [`super::Record`]).
    #[test]
    fn a_record_is_three_cache_lines() {
        assert_eq!(std::mem::size_of::<super::Record>(), 192);
        // The run loop reads these for every block it dispatches.
        assert!(std::mem::offset_of!(super::Record, version) + 8 <= 64);
        assert!(std::mem::offset_of!(super::Record, next_eval) + 4 <= 64);
    }
}
