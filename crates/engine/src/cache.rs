//! The translation cache: guest pc → translation (an interpreter block or a
//! compiled one), with a direct-mapped front cache for the run loop's hot
//! lookup and page-granular invalidation.

use std::collections::HashMap;
use std::sync::Arc;

use ferrovm_interp::Lowered;

/// Entries in the direct-mapped front cache (a power of two).
const FAST_ENTRIES: usize = 1 << 12;

/// How the block at a pc runs.
#[derive(Clone, Debug)]
pub(crate) enum Translation {
    /// In the interpreter.
    Interp(Arc<Lowered>),
    /// As compiled code held by the JIT (keyed by the same pc).
    Native {
        /// Guest address of the block.
        start: u64,
    },
}

impl Translation {
    fn start(&self) -> u64 {
        match self {
            Translation::Interp(b) => b.start,
            Translation::Native { start } => *start,
        }
    }
}

/// Translations keyed by guest pc.
pub(crate) struct TranslationCache {
    /// Direct-mapped by `pc >> 1`; an entry is valid only if its start is `pc`.
    fast: Vec<Option<Translation>>,
    map: HashMap<u64, Translation>,
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
    pub(crate) fn get(&mut self, pc: u64) -> Option<&Translation> {
        let i = slot(pc);
        let hit = matches!(&self.fast[i], Some(t) if t.start() == pc);
        if !hit {
            let t = self.map.get(&pc)?;
            self.fast[i] = Some(t.clone());
        }
        self.fast[i].as_ref()
    }

    /// Adds a translation covering the guest pages `pages`.
    pub(crate) fn insert(&mut self, t: Translation, pages: impl Iterator<Item = u64>) {
        let pc = t.start();
        for page in pages {
            self.by_page.entry(page).or_default().push(pc);
        }
        self.fast[slot(pc)] = Some(t.clone());
        self.map.insert(pc, t);
    }

    /// Drops the translation of `pc` (its page entries go stale harmlessly).
    pub(crate) fn remove(&mut self, pc: u64) -> Option<Translation> {
        let i = slot(pc);
        if matches!(&self.fast[i], Some(t) if t.start() == pc) {
            self.fast[i] = None;
        }
        self.map.remove(&pc)
    }

    /// Drops every translation touching guest page `page`; returns them.
    pub(crate) fn invalidate_page(&mut self, page: u64) -> Vec<Translation> {
        let Some(pcs) = self.by_page.remove(&page) else { return Vec::new() };
        pcs.into_iter().filter_map(|pc| self.remove(pc)).collect()
    }

    /// Drops everything; returns how many translations there were.
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
