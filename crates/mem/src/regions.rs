//! The list of guest mappings (what `/proc/self/maps` shows) and the
//! top-down free-range search.
//!
//! This is bookkeeping only: it never touches host memory or the permission
//! table. Ranges are page-aligned and non-empty, `start < end <=`
//! [`GUEST_LIMIT`]; the caller checks that. Adjacent regions with equal
//! permissions and name are merged, as Linux merges compatible VMAs.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::{GUEST_LIMIT, MMAP_MIN_ADDR, PAGE_SIZE, Perms};

/// One guest mapping, as listed by [`AddressSpace::mappings`](crate::AddressSpace::mappings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First guest address (page-aligned).
    pub start: u64,
    /// One past the last guest address (page-aligned).
    pub end: u64,
    /// Guest permissions.
    pub perms: Perms,
    /// What `/proc/self/maps` shows in the last column (`[heap]`, `[stack]`,
    /// a file path), if anything.
    pub name: Option<String>,
}

#[derive(Clone, Debug)]
struct Region {
    end: u64,
    perms: Perms,
    name: Option<String>,
}

impl Region {
    fn joins(&self, next: &Region) -> bool {
        self.perms == next.perms && self.name == next.name
    }
}

/// Disjoint guest regions keyed by start address.
#[derive(Debug, Default)]
pub(crate) struct Regions {
    map: BTreeMap<u64, Region>,
}

impl Regions {
    /// Splits the region containing `at` (if `at` is strictly inside one) in
    /// two at `at`.
    fn split_at(&mut self, at: u64) {
        if let Some((_, r)) = self.map.range_mut(..at).next_back()
            && r.end > at
        {
            let tail = Region { end: r.end, perms: r.perms, name: r.name.clone() };
            r.end = at;
            self.map.insert(at, tail);
        }
    }

    /// Merges neighbours with equal attributes in and around `[start, end)`.
    fn merge_around(&mut self, start: u64, end: u64) {
        let first = self.map.range(..start).next_back().map_or(start, |(&k, _)| k);
        let keys: Vec<u64> = self.map.range(first..=end).map(|(&k, _)| k).collect();
        let mut keys = keys.into_iter();
        let Some(mut cur) = keys.next() else { return };
        for k in keys {
            let mergeable = match (self.map.get(&cur), self.map.get(&k)) {
                (Some(a), Some(b)) => a.end == k && a.joins(b),
                _ => false,
            };
            if mergeable {
                if let Some(b) = self.map.remove(&k)
                    && let Some(a) = self.map.get_mut(&cur)
                {
                    a.end = b.end;
                }
            } else {
                cur = k;
            }
        }
    }

    /// Removes `[start, end)` from every region, splitting at the edges.
    /// Returns the ranges that were mapped, in address order.
    pub(crate) fn remove(&mut self, start: u64, end: u64) -> Vec<Range<u64>> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        keys.into_iter().filter_map(|k| self.map.remove(&k).map(|r| k..r.end)).collect()
    }

    /// Adds `[start, end)`, which must be free.
    pub(crate) fn insert(&mut self, start: u64, end: u64, perms: Perms, name: Option<String>) {
        debug_assert!(self.is_free(start, end));
        self.map.insert(start, Region { end, perms, name });
        self.merge_around(start, end);
    }

    /// Sets the permissions of `[start, end)`, which must be fully mapped.
    /// Returns the pieces changed, with their old permissions.
    pub(crate) fn protect(&mut self, start: u64, end: u64, perms: Perms) -> Vec<(Range<u64>, Perms)> {
        self.split_at(start);
        self.split_at(end);
        let mut changed = Vec::new();
        for (&k, r) in self.map.range_mut(start..end) {
            changed.push((k..r.end, r.perms));
            r.perms = perms;
        }
        self.merge_around(start, end);
        changed
    }

    /// The region containing `addr`, with its start.
    fn find(&self, addr: u64) -> Option<(u64, &Region)> {
        self.map.range(..=addr).next_back().filter(|(_, r)| r.end > addr).map(|(&k, r)| (k, r))
    }

    /// The first address in `[start, end)` that no region covers.
    pub(crate) fn first_gap(&self, start: u64, end: u64) -> Option<u64> {
        let mut cur = start;
        while cur < end {
            match self.find(cur) {
                Some((_, r)) => cur = r.end,
                None => return Some(cur),
            }
        }
        None
    }

    /// Whether no region overlaps `[start, end)`.
    pub(crate) fn is_free(&self, start: u64, end: u64) -> bool {
        self.map.range(..end).next_back().is_none_or(|(_, r)| r.end <= start)
    }

    /// Top-down search for `len` free bytes (see
    /// [`AddressSpace::find_free`](crate::AddressSpace::find_free)).
    pub(crate) fn find_free(&self, len: u64, hint: Option<u64>, below: u64) -> Option<u64> {
        let len = round_up(len)?;
        if len == 0 || len > GUEST_LIMIT - MMAP_MIN_ADDR {
            return None;
        }
        if let Some(h) = hint.and_then(round_up)
            && h >= MMAP_MIN_ADDR
            && h <= GUEST_LIMIT - len
            && self.is_free(h, h + len)
        {
            return Some(h);
        }
        let mut gap_end = below.min(GUEST_LIMIT) & !(PAGE_SIZE - 1);
        for (&start, r) in self.map.range(..gap_end).rev() {
            if r.end <= gap_end && gap_end - r.end >= len {
                break;
            }
            gap_end = gap_end.min(start);
        }
        gap_end.checked_sub(len).filter(|&addr| addr >= MMAP_MIN_ADDR)
    }

    /// All regions, in address order.
    pub(crate) fn mappings(&self) -> Vec<Mapping> {
        self.map.iter().map(|(&start, r)| Mapping { start, end: r.end, perms: r.perms, name: r.name.clone() }).collect()
    }
}

/// `x` rounded up to a page boundary, or `None` on overflow.
pub(crate) fn round_up(x: u64) -> Option<u64> {
    x.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = PAGE_SIZE;

    fn list(r: &Regions) -> Vec<(u64, u64, String)> {
        r.mappings().into_iter().map(|m| (m.start / P, m.end / P, m.perms.to_string())).collect()
    }

    #[test]
    fn insert_merges_equal_neighbours() {
        let mut r = Regions::default();
        r.insert(10 * P, 12 * P, Perms::RW, None);
        r.insert(12 * P, 14 * P, Perms::RW, None);
        r.insert(8 * P, 10 * P, Perms::RW, None);
        assert_eq!(list(&r), vec![(8, 14, "rw-".into())]);
        r.insert(14 * P, 15 * P, Perms::RW, Some("[heap]".into()));
        r.insert(15 * P, 16 * P, Perms::RX, None);
        assert_eq!(r.mappings().len(), 3);
    }

    #[test]
    fn remove_splits() {
        let mut r = Regions::default();
        r.insert(10 * P, 20 * P, Perms::RW, None);
        let gone = r.remove(12 * P, 14 * P);
        assert_eq!(gone, vec![12 * P..14 * P]);
        assert_eq!(list(&r), vec![(10, 12, "rw-".into()), (14, 20, "rw-".into())]);
        let gone = r.remove(5 * P, 30 * P);
        assert_eq!(gone, vec![10 * P..12 * P, 14 * P..20 * P]);
        assert!(r.mappings().is_empty());
    }

    #[test]
    fn protect_splits_and_remerges() {
        let mut r = Regions::default();
        r.insert(10 * P, 20 * P, Perms::RW, None);
        let changed = r.protect(12 * P, 13 * P, Perms::R);
        assert_eq!(changed, vec![(12 * P..13 * P, Perms::RW)]);
        assert_eq!(list(&r), vec![(10, 12, "rw-".into()), (12, 13, "r--".into()), (13, 20, "rw-".into())]);
        r.protect(12 * P, 13 * P, Perms::RW);
        assert_eq!(list(&r), vec![(10, 20, "rw-".into())]);
    }

    #[test]
    fn gaps() {
        let mut r = Regions::default();
        r.insert(10 * P, 12 * P, Perms::RW, None);
        r.insert(13 * P, 15 * P, Perms::R, None);
        assert_eq!(r.first_gap(10 * P, 12 * P), None);
        assert_eq!(r.first_gap(10 * P, 15 * P), Some(12 * P));
        assert_eq!(r.first_gap(9 * P, 11 * P), Some(9 * P));
        assert!(r.is_free(12 * P, 13 * P));
        assert!(!r.is_free(11 * P, 13 * P));
        assert!(!r.is_free(0, 100 * P));
        assert!(r.is_free(15 * P, 100 * P));
    }

    #[test]
    fn find_free_top_down() {
        let mut r = Regions::default();
        let top = 1000 * P;
        assert_eq!(r.find_free(P, None, top), Some(999 * P));
        r.insert(990 * P, 1000 * P, Perms::RW, None);
        r.insert(980 * P, 988 * P, Perms::RW, None);
        // The 2-page gap [988, 990) fits 2 pages, not 3.
        assert_eq!(r.find_free(2 * P, None, top), Some(988 * P));
        assert_eq!(r.find_free(3 * P, None, top), Some(977 * P));
        // Lengths round up to pages.
        assert_eq!(r.find_free(P + 1, None, top), Some(988 * P));
        // `below` inside a mapping.
        assert_eq!(r.find_free(P, None, 995 * P), Some(989 * P));
        // Hints are honoured when free, ignored otherwise.
        assert_eq!(r.find_free(P, Some(500 * P), top), Some(500 * P));
        assert_eq!(r.find_free(P, Some(500 * P + 1), top), Some(501 * P));
        assert_eq!(r.find_free(P, Some(995 * P), top), Some(989 * P));
        assert_eq!(r.find_free(P, Some(0), top), Some(989 * P));
        // Nothing below the floor.
        assert_eq!(r.find_free(P, None, MMAP_MIN_ADDR), None);
        assert_eq!(r.find_free(P, None, MMAP_MIN_ADDR + P), Some(MMAP_MIN_ADDR));
        assert_eq!(r.find_free(0, None, top), None);
        assert_eq!(r.find_free(u64::MAX, None, top), None);
        assert_eq!(r.find_free(GUEST_LIMIT, None, u64::MAX), None);
        assert_eq!(r.find_free(P, None, u64::MAX), Some(GUEST_LIMIT - P), "`below` is clamped to GUEST_LIMIT");
    }
}
