//! The translation cache: guest pc → lowered block, with a direct-mapped
//! front cache for the run loop's hot lookup and page-granular invalidation.

use std::collections::HashMap;
use std::sync::Arc;

use ferrovm_interp::Lowered;

/// Entries in the direct-mapped front cache (a power of two).
const FAST_ENTRIES: usize = 1 << 12;

/// Translations keyed by guest pc.
pub(crate) struct TranslationCache {
    /// Direct-mapped by `pc >> 1`; an entry is valid only if its `start == pc`.
    fast: Vec<Option<Arc<Lowered>>>,
    map: HashMap<u64, Arc<Lowered>>,
    /// Guest page → translations that start on or cover it.
    by_page: HashMap<u64, Vec<u64>>,
}

#[inline]
fn slot(pc: u64) -> usize {
    ((pc >> 1) as usize) & (FAST_ENTRIES - 1)
}

impl TranslationCache {
    pub(crate) fn new() -> Self {
        TranslationCache { fast: vec![None; FAST_ENTRIES], map: HashMap::new(), by_page: HashMap::new() }
    }

    /// The translation for `pc`, if any.
    #[inline]
    pub(crate) fn get(&mut self, pc: u64) -> Option<&Arc<Lowered>> {
        let i = slot(pc);
        let hit = matches!(&self.fast[i], Some(b) if b.start == pc);
        if !hit {
            let b = self.map.get(&pc)?;
            self.fast[i] = Some(Arc::clone(b));
        }
        self.fast[i].as_ref()
    }

    /// Adds a translation covering the guest pages `pages`.
    pub(crate) fn insert(&mut self, block: Arc<Lowered>, pages: impl Iterator<Item = u64>) {
        let pc = block.start;
        for page in pages {
            self.by_page.entry(page).or_default().push(pc);
        }
        self.fast[slot(pc)] = Some(Arc::clone(&block));
        self.map.insert(pc, block);
    }

    /// Drops every translation touching guest page `page`.
    pub(crate) fn invalidate_page(&mut self, page: u64) -> usize {
        let Some(pcs) = self.by_page.remove(&page) else { return 0 };
        let mut dropped = 0;
        for pc in pcs {
            if self.map.remove(&pc).is_some() {
                dropped += 1;
            }
            let i = slot(pc);
            if matches!(&self.fast[i], Some(b) if b.start == pc) {
                self.fast[i] = None;
            }
        }
        dropped
    }

    /// Drops everything.
    pub(crate) fn flush(&mut self) -> usize {
        let n = self.map.len();
        self.map.clear();
        self.by_page.clear();
        self.fast.iter_mut().for_each(|e| *e = None);
        n
    }

    /// Number of translations held.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
