//! Code-cache eviction policies: which translation goes when the code cache
//! is full.
//!
//! A policy only ranks translations, keyed by guest pc; the engine keeps the
//! byte budget, reports installs ([`EvictionPolicy::insert`]), uses
//! ([`EvictionPolicy::touch`]) and removals, and asks for a
//! [`EvictionPolicy::victim`] until enough bytes are free. Time is the
//! engine's abstract monotonic `tick` (one per maintenance window), so a
//! policy is deterministic. Five policies, named as `--eviction` spells them
//! ([`EvictionKind`]):
//!
//! * `fifo` ([`FifoPolicy`]): oldest installation first; uses are ignored.
//! * `lru` ([`LruPolicy`]): least recently used first (an install is a use).
//! * `lfu` ([`LfuPolicy`]): fewest uses first, counted with exponential decay
//!   (a count halves every [`LfuPolicy::half_life`] ticks), so code that was
//!   hot long ago does not stay forever; ties: oldest installation first.
//! * `value` ([`ValuePolicy`]): lowest benefit per byte first (the time the
//!   code saves per hot window, over its size); ties: least recently used.
//! * `random` ([`RandomPolicy`]): uniformly random, from a seeded
//!   deterministic generator; the baseline the others must beat.
//!
//! **Hot/cold split.** [`EvictionPolicy::victim`] takes a `protected`
//! predicate, which the engine sets for recently hot code: a protected
//! translation is chosen only when no unprotected one is found, so a burst
//! of one-off cold code (start-up, a phase change) evicts other cold code
//! and does not push the working set out. The ordered policies look at no
//! more than [`SCAN_LIMIT`] candidates, in their order, for an unprotected
//! one, and otherwise take their first choice, protected or not: eviction
//! stays cheap however much of the cache is protected.
//!
//! ```
//! use ferrovm_engine::{EvictionKind, EvictionPolicy};
//!
//! let mut lru = "lru".parse::<EvictionKind>().unwrap().build(0);
//! lru.insert(0x1000, 64, 0.0, 0);
//! lru.insert(0x2000, 64, 0.0, 1);
//! lru.touch(0x1000, 5, 0.0, 2);
//! assert_eq!(lru.victim(3, &|_| false), Some(0x2000));
//! // 0x1000 is protected, but it is the only one left.
//! assert_eq!(lru.victim(3, &|pc| pc == 0x1000), Some(0x1000));
//! assert!(lru.is_empty());
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use rustc_hash::FxHashMap;

/// Most candidates an ordered policy examines, in its order, for an
/// unprotected one in [`EvictionPolicy::victim`] (and most entries
/// [`RandomPolicy`] examines from its random start).
pub const SCAN_LIMIT: usize = 64;

/// Which translation to evict when the code cache is full.
///
/// The engine calls a policy from one place, under a lock; a library user
/// may supply their own.
pub trait EvictionPolicy: Send + fmt::Debug {
    /// Its name as `--eviction` spells it (`"lru"`, ...).
    fn name(&self) -> &'static str;

    /// A translation entered at `pc`, `bytes` long, saving `benefit` ns per
    /// window it is hot, was installed at `tick`. If `pc` is already held,
    /// this replaces its entry (recompiled code starts afresh).
    fn insert(&mut self, pc: u64, bytes: usize, benefit: f64, tick: u64);

    /// The translation at `pc` was used `uses` times (more than zero) since
    /// the last report, as of `tick`; its benefit estimate is now `benefit`.
    /// Unknown pcs are ignored.
    fn touch(&mut self, pc: u64, uses: u64, benefit: f64, tick: u64);

    /// The translation at `pc` is gone for another reason (invalidated,
    /// replaced, evicted by the engine itself): forget it. Unknown pcs are
    /// ignored.
    fn remove(&mut self, pc: u64);

    /// Chooses the next translation to evict, as of `tick`, and forgets it;
    /// `None` when it holds none. A translation for which `protected(pc)`
    /// is true is chosen only when no unprotected one is found (within
    /// [`SCAN_LIMIT`] candidates for the built-in policies); when every
    /// translation is protected, one is still chosen.
    fn victim(&mut self, tick: u64, protected: &dyn Fn(u64) -> bool) -> Option<u64>;

    /// How many translations it holds.
    fn len(&self) -> usize;

    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The built-in policies, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvictionKind {
    /// [`LruPolicy`].
    Lru,
    /// [`LfuPolicy`] with its default half-life.
    Lfu,
    /// [`FifoPolicy`].
    Fifo,
    /// [`ValuePolicy`].
    Value,
    /// [`RandomPolicy`].
    Random,
}

impl EvictionKind {
    /// Every built-in policy.
    pub const ALL: [EvictionKind; 5] =
        [EvictionKind::Lru, EvictionKind::Lfu, EvictionKind::Fifo, EvictionKind::Value, EvictionKind::Random];

    /// Its name as `--eviction` spells it.
    pub fn name(self) -> &'static str {
        match self {
            EvictionKind::Lru => "lru",
            EvictionKind::Lfu => "lfu",
            EvictionKind::Fifo => "fifo",
            EvictionKind::Value => "value",
            EvictionKind::Random => "random",
        }
    }

    /// A new, empty policy of this kind; `seed` seeds [`RandomPolicy`] and
    /// is ignored by the others.
    pub fn build(self, seed: u64) -> Box<dyn EvictionPolicy> {
        match self {
            EvictionKind::Lru => Box::new(LruPolicy::new()),
            EvictionKind::Lfu => Box::new(LfuPolicy::new(LfuPolicy::DEFAULT_HALF_LIFE)),
            EvictionKind::Fifo => Box::new(FifoPolicy::new()),
            EvictionKind::Value => Box::new(ValuePolicy::new()),
            EvictionKind::Random => Box::new(RandomPolicy::new(seed)),
        }
    }
}

impl fmt::Display for EvictionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EvictionKind {
    type Err = UnknownEvictionKind;

    /// Parses a name from [`EvictionKind::name`], ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EvictionKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownEvictionKind { name: s.to_owned() })
    }
}

/// A name that is not one of [`EvictionKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown eviction policy `{name}` (expected one of: {})", EvictionKind::ALL.map(EvictionKind::name).join(", "))]
pub struct UnknownEvictionKind {
    /// The name given.
    pub name: String,
}

/// An `f64` ordered by [`f64::total_cmp`], for use in an ordered set.
#[derive(Debug, Clone, Copy)]
struct Score(f64);

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

/// A benefit estimate made safe to rank: NaN and negative values count as 0.
fn sanitize(benefit: f64) -> f64 {
    if benefit >= 0.0 { benefit } else { 0.0 }
}

/// One held translation in a [`Ranked`] set.
#[derive(Debug, Clone, Copy)]
struct Slot<K, D> {
    /// What it is ranked by (lowest goes first).
    key: K,
    /// Tie-breaker, unique within the set (lowest goes first).
    seq: u64,
    /// What the policy needs to recompute `key`.
    data: D,
}

/// Translations ranked by `(key, seq)`, lowest first: the machinery shared
/// by the ordered policies. Every operation is O(log n), amortized;
/// [`Ranked::victim`] is O(log n + [`SCAN_LIMIT`]) plus the entries put
/// since the last one.
#[derive(Debug, Clone)]
struct Ranked<K, D> {
    /// `(key, seq, pc)` for every held translation, but those in `pending`.
    order: BTreeSet<(K, u64, u64)>,
    /// Entries put since `order` was last brought up to date, some stale
    /// (replaced or removed since): they go into `order` only when a
    /// victim is wanted, which most runs never need (every compiled block
    /// is put; the tree insert per block showed in profiles of python3's
    /// start-up), or, oldest first and a few per [`Ranked::put`], while
    /// they outnumber the held translations twice over: brought up to date
    /// all at once there, 45,000 of them in Python's start-up took 1.7 ms
    /// inside one `put`, with the policy's lock held (a guest thread's
    /// compile waited for it).
    pending: VecDeque<(K, u64, u64)>,
    /// Every held translation by pc (Fx hashing: one insert per compiled
    /// block, and SipHash showed in profiles of cold code).
    slots: FxHashMap<u64, Slot<K, D>>,
    /// The next unused `seq`.
    next_seq: u64,
}

impl<K: Ord + Copy, D: Copy> Ranked<K, D> {
    /// An empty set.
    fn new() -> Self {
        Ranked { order: BTreeSet::new(), pending: VecDeque::new(), slots: FxHashMap::default(), next_seq: 0 }
    }

    /// A `seq` greater than every one handed out before.
    fn fresh_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The entry for `pc`, if held.
    fn get(&self, pc: u64) -> Option<&Slot<K, D>> {
        self.slots.get(&pc)
    }

    /// Holds `pc` as `slot`, replacing any entry it had.
    fn put(&mut self, pc: u64, slot: Slot<K, D>) {
        if let Some(old) = self.slots.insert(pc, slot) {
            self.order.remove(&(old.key, old.seq, pc));
        }
        self.pending.push_back((slot.key, slot.seq, pc));
        if self.pending.len() > 2 * self.slots.len() + 64 {
            // Two for the one put: the backlog stays bounded.
            self.settle_first(2);
        }
    }

    /// Brings `order` up to date with the pending entries still held.
    fn settle(&mut self) {
        self.settle_first(self.pending.len());
    }

    /// [`Ranked::settle`] for the `n` oldest pending entries.
    fn settle_first(&mut self, n: usize) {
        for _ in 0..n {
            let Some((key, seq, pc)) = self.pending.pop_front() else { return };
            if self.slots.get(&pc).is_some_and(|s| s.key == key && s.seq == seq) {
                self.order.insert((key, seq, pc));
            }
        }
    }

    /// Forgets `pc`, if held.
    fn remove(&mut self, pc: u64) {
        if let Some(old) = self.slots.remove(&pc) {
            self.order.remove(&(old.key, old.seq, pc));
        }
    }

    /// The first unprotected pc among the first [`SCAN_LIMIT`], else the
    /// first; forgotten.
    fn victim(&mut self, protected: &dyn Fn(u64) -> bool) -> Option<u64> {
        self.settle();
        let first = self.order.first().map(|&(_, _, pc)| pc)?;
        let pc = self.order.iter().take(SCAN_LIMIT).map(|&(_, _, pc)| pc).find(|&pc| !protected(pc)).unwrap_or(first);
        self.remove(pc);
        Some(pc)
    }

    /// How many it holds.
    fn len(&self) -> usize {
        self.slots.len()
    }
}

impl<K: Ord + Copy, D: Copy> Default for Ranked<K, D> {
    fn default() -> Self {
        Self::new()
    }
}

/// Evicts the oldest installation first; uses are ignored.
#[derive(Debug, Clone, Default)]
pub struct FifoPolicy {
    /// Ranked by installation order alone.
    ranked: Ranked<(), ()>,
}

impl FifoPolicy {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }
}

impl EvictionPolicy for FifoPolicy {
    fn name(&self) -> &'static str {
        EvictionKind::Fifo.name()
    }

    fn insert(&mut self, pc: u64, _bytes: usize, _benefit: f64, _tick: u64) {
        let seq = self.ranked.fresh_seq();
        self.ranked.put(pc, Slot { key: (), seq, data: () });
    }

    fn touch(&mut self, _pc: u64, _uses: u64, _benefit: f64, _tick: u64) {}

    fn remove(&mut self, pc: u64) {
        self.ranked.remove(pc);
    }

    fn victim(&mut self, _tick: u64, protected: &dyn Fn(u64) -> bool) -> Option<u64> {
        self.ranked.victim(protected)
    }

    fn len(&self) -> usize {
        self.ranked.len()
    }
}

/// Evicts the least recently used translation first: ranked by the tick of
/// its last use (an installation is a use), then by the order of the reports.
/// A tick earlier than the one already recorded counts as that one.
#[derive(Debug, Clone, Default)]
pub struct LruPolicy {
    /// Ranked by last-use tick.
    ranked: Ranked<u64, ()>,
}

impl LruPolicy {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }
}

impl EvictionPolicy for LruPolicy {
    fn name(&self) -> &'static str {
        EvictionKind::Lru.name()
    }

    fn insert(&mut self, pc: u64, _bytes: usize, _benefit: f64, tick: u64) {
        let seq = self.ranked.fresh_seq();
        self.ranked.put(pc, Slot { key: tick, seq, data: () });
    }

    fn touch(&mut self, pc: u64, _uses: u64, _benefit: f64, tick: u64) {
        let Some(&old) = self.ranked.get(pc) else { return };
        let seq = self.ranked.fresh_seq();
        self.ranked.put(pc, Slot { key: old.key.max(tick), seq, data: () });
    }

    fn remove(&mut self, pc: u64) {
        self.ranked.remove(pc);
    }

    fn victim(&mut self, _tick: u64, protected: &dyn Fn(u64) -> bool) -> Option<u64> {
        self.ranked.victim(protected)
    }

    fn len(&self) -> usize {
        self.ranked.len()
    }
}

/// An [`LfuPolicy`] entry's use count, as of its last report.
#[derive(Debug, Clone, Copy)]
struct Uses {
    /// Decayed use count at `tick`.
    count: f64,
    /// When it was last reported.
    tick: u64,
}

/// Evicts the translation with the fewest uses first, with aging: a count
/// halves every `half_life` ticks (exponential decay, applied continuously),
/// so code that was hot long ago loses to code that is warm now. An
/// installation counts as one use. Ties: oldest installation first.
///
/// Every count decays by the same factor over the same time, so the order
/// changes only when a translation is used: each is ranked by
/// `log2(count) + tick / half_life`, its count carried to a common
/// reference time (in the log domain, which does not overflow), and nothing
/// is ever rescanned.
#[derive(Debug, Clone)]
pub struct LfuPolicy {
    /// Ticks over which a count halves.
    half_life: NonZeroU64,
    /// Ranked by decayed count (see above); the tie-breaker is the
    /// installation order.
    ranked: Ranked<Score, Uses>,
}

impl LfuPolicy {
    /// The half-life [`EvictionKind::Lfu`] uses: 100 ticks, one second of
    /// the engine's 10 ms maintenance windows.
    pub const DEFAULT_HALF_LIFE: NonZeroU64 = NonZeroU64::new(100).expect("non-zero");

    /// An empty policy whose counts halve every `half_life` ticks.
    pub fn new(half_life: NonZeroU64) -> Self {
        LfuPolicy { half_life, ranked: Ranked::new() }
    }

    /// Ticks over which a count halves.
    pub fn half_life(&self) -> NonZeroU64 {
        self.half_life
    }

    /// The rank of a translation with `uses.count` uses at `uses.tick`.
    fn key(&self, uses: Uses) -> Score {
        Score(uses.count.log2() + uses.tick as f64 / self.half_life.get() as f64)
    }
}

impl Default for LfuPolicy {
    fn default() -> Self {
        Self::new(Self::DEFAULT_HALF_LIFE)
    }
}

impl EvictionPolicy for LfuPolicy {
    fn name(&self) -> &'static str {
        EvictionKind::Lfu.name()
    }

    fn insert(&mut self, pc: u64, _bytes: usize, _benefit: f64, tick: u64) {
        let data = Uses { count: 1.0, tick };
        let seq = self.ranked.fresh_seq();
        self.ranked.put(pc, Slot { key: self.key(data), seq, data });
    }

    fn touch(&mut self, pc: u64, uses: u64, _benefit: f64, tick: u64) {
        let Some(&old) = self.ranked.get(pc) else { return };
        // A tick earlier than the last report counts as that one: counts
        // never grow by going back in time.
        let tick = tick.max(old.data.tick);
        let halvings = (tick - old.data.tick) as f64 / self.half_life.get() as f64;
        // Capped so that a decay to zero never meets an infinite count.
        let count = (old.data.count * (-halvings).exp2() + uses as f64).min(f64::MAX);
        let data = Uses { count, tick };
        self.ranked.put(pc, Slot { key: self.key(data), seq: old.seq, data });
    }

    fn remove(&mut self, pc: u64) {
        self.ranked.remove(pc);
    }

    fn victim(&mut self, _tick: u64, protected: &dyn Fn(u64) -> bool) -> Option<u64> {
        self.ranked.victim(protected)
    }

    fn len(&self) -> usize {
        self.ranked.len()
    }
}

/// Evicts the translation with the lowest benefit per byte first: what
/// keeping it saves, per byte of cache it holds. Ties: least recently used
/// (by tick, then by the order of the reports). A benefit that is NaN or
/// negative counts as 0; a size of 0 bytes counts as 1.
#[derive(Debug, Clone, Default)]
pub struct ValuePolicy {
    /// Ranked by (benefit per byte, last-use tick); the data is the size in
    /// bytes.
    ranked: Ranked<(Score, u64), usize>,
}

impl ValuePolicy {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Benefit per byte.
    fn density(benefit: f64, bytes: usize) -> Score {
        Score(sanitize(benefit) / bytes.max(1) as f64)
    }
}

impl EvictionPolicy for ValuePolicy {
    fn name(&self) -> &'static str {
        EvictionKind::Value.name()
    }

    fn insert(&mut self, pc: u64, bytes: usize, benefit: f64, tick: u64) {
        let seq = self.ranked.fresh_seq();
        self.ranked.put(pc, Slot { key: (Self::density(benefit, bytes), tick), seq, data: bytes });
    }

    fn touch(&mut self, pc: u64, _uses: u64, benefit: f64, tick: u64) {
        let Some(&old) = self.ranked.get(pc) else { return };
        let seq = self.ranked.fresh_seq();
        let key = (Self::density(benefit, old.data), old.key.1.max(tick));
        self.ranked.put(pc, Slot { key, seq, data: old.data });
    }

    fn remove(&mut self, pc: u64) {
        self.ranked.remove(pc);
    }

    fn victim(&mut self, _tick: u64, protected: &dyn Fn(u64) -> bool) -> Option<u64> {
        self.ranked.victim(protected)
    }

    fn len(&self) -> usize {
        self.ranked.len()
    }
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): a tiny, well-mixed, deterministic generator.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-and-shift (Lemire): the
    /// bias is at most `n / 2^64`.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Evicts a uniformly random translation (from a SplitMix64 generator, so a
/// seed gives the same choices every run). With protected translations it
/// looks from a random start onwards, wrapping around, for an unprotected
/// one ([`SCAN_LIMIT`] at most), and otherwise takes the one at the start;
/// an unprotected translation right after a run of protected ones is then
/// likelier to go than the others. Every operation is O(1).
#[derive(Debug, Clone)]
pub struct RandomPolicy {
    /// Every held pc, in no particular order.
    pcs: Vec<u64>,
    /// Where each held pc is in `pcs`.
    index: FxHashMap<u64, usize>,
    /// The generator.
    rng: SplitMix64,
}

impl RandomPolicy {
    /// An empty policy whose choices follow from `seed`.
    pub fn new(seed: u64) -> Self {
        RandomPolicy { pcs: Vec::new(), index: FxHashMap::default(), rng: SplitMix64(seed) }
    }
}

impl EvictionPolicy for RandomPolicy {
    fn name(&self) -> &'static str {
        EvictionKind::Random.name()
    }

    fn insert(&mut self, pc: u64, _bytes: usize, _benefit: f64, _tick: u64) {
        if !self.index.contains_key(&pc) {
            self.index.insert(pc, self.pcs.len());
            self.pcs.push(pc);
        }
    }

    fn touch(&mut self, _pc: u64, _uses: u64, _benefit: f64, _tick: u64) {}

    fn remove(&mut self, pc: u64) {
        let Some(at) = self.index.remove(&pc) else { return };
        self.pcs.swap_remove(at);
        if let Some(&moved) = self.pcs.get(at) {
            self.index.insert(moved, at);
        }
    }

    fn victim(&mut self, _tick: u64, protected: &dyn Fn(u64) -> bool) -> Option<u64> {
        let n = self.pcs.len();
        if n == 0 {
            return None;
        }
        let start = self.rng.below(n);
        let first = *self.pcs.get(start)?;
        let pc = (0..n.min(SCAN_LIMIT))
            .filter_map(|offset| self.pcs.get((start + offset) % n).copied())
            .find(|&pc| !protected(pc))
            .unwrap_or(first);
        self.remove(pc);
        Some(pc)
    }

    fn len(&self) -> usize {
        self.pcs.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    /// Evicts everything, with nothing protected.
    fn drain(policy: &mut dyn EvictionPolicy) -> Vec<u64> {
        drain_with(policy, &|_| false)
    }

    /// Evicts everything, with `protected` protected.
    fn drain_with(policy: &mut dyn EvictionPolicy, protected: &dyn Fn(u64) -> bool) -> Vec<u64> {
        let mut out = Vec::new();
        while let Some(pc) = policy.victim(1000, protected) {
            out.push(pc);
        }
        assert!(policy.is_empty());
        out
    }

    #[test]
    fn names_round_trip() {
        for kind in EvictionKind::ALL {
            assert_eq!(kind.to_string().parse::<EvictionKind>(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse::<EvictionKind>(), Ok(kind));
            assert_eq!(kind.build(0).name(), kind.name());
        }
        let err = "mru".parse::<EvictionKind>().unwrap_err();
        assert_eq!(err, UnknownEvictionKind { name: "mru".to_owned() });
        assert_eq!(err.to_string(), "unknown eviction policy `mru` (expected one of: lru, lfu, fifo, value, random)");
    }

    #[test]
    fn fifo_order() {
        let mut p = FifoPolicy::new();
        p.insert(1, 10, 5.0, 0);
        p.insert(2, 10, 1.0, 1);
        p.insert(3, 10, 9.0, 2);
        p.touch(1, 100, 5.0, 3);
        p.touch(2, 100, 1.0, 3);
        assert_eq!(p.len(), 3);
        assert_eq!(drain(&mut p), [1, 2, 3]);
        assert_eq!(p.victim(4, &|_| false), None);
    }

    #[test]
    fn lru_order() {
        let mut p = LruPolicy::new();
        p.insert(1, 10, 0.0, 0);
        p.insert(2, 10, 0.0, 1);
        p.insert(3, 10, 0.0, 2);
        p.insert(4, 10, 0.0, 2);
        p.touch(1, 1, 0.0, 3);
        // Same tick: the order of the reports decides.
        p.touch(4, 1, 0.0, 4);
        p.touch(3, 1, 0.0, 4);
        // An earlier tick than recorded does not make 1 older.
        p.touch(1, 1, 0.0, 0);
        assert_eq!(drain(&mut p), [2, 1, 4, 3]);
    }

    #[test]
    fn lfu_order() {
        let mut p = LfuPolicy::new(NonZeroU64::new(10).unwrap());
        p.insert(1, 10, 0.0, 0);
        p.insert(2, 10, 0.0, 0);
        p.insert(3, 10, 0.0, 0);
        p.insert(4, 10, 0.0, 0);
        p.touch(1, 10, 0.0, 1);
        p.touch(2, 5, 0.0, 1);
        p.touch(2, 4, 0.0, 1);
        // Ties (3 and 4: one use each): oldest installation first, even
        // though 4 was touched first and 3 last.
        p.touch(4, 2, 0.0, 1);
        p.touch(3, 2, 0.0, 1);
        assert_eq!(drain(&mut p), [3, 4, 2, 1]);
    }

    #[test]
    fn lfu_ages() {
        // 1000 uses at tick 0; ten half-lives later that is worth less than
        // one use now.
        let mut fast = LfuPolicy::new(NonZeroU64::new(10).unwrap());
        fast.insert(1, 10, 0.0, 0);
        fast.touch(1, 1000, 0.0, 0);
        fast.insert(2, 10, 0.0, 100);
        assert_eq!(drain(&mut fast), [1, 2]);

        // With a long half-life, the old counts still win.
        let mut slow = LfuPolicy::new(NonZeroU64::new(1000).unwrap());
        slow.insert(1, 10, 0.0, 0);
        slow.touch(1, 1000, 0.0, 0);
        slow.insert(2, 10, 0.0, 100);
        assert_eq!(drain(&mut slow), [2, 1]);

        // Decay applies across touches too: 100 uses at 0 then one at 60
        // (~1.6 + 1) lose to 3 uses at 60.
        let mut p = LfuPolicy::new(NonZeroU64::new(10).unwrap());
        p.insert(1, 10, 0.0, 0);
        p.touch(1, 99, 0.0, 0);
        p.insert(2, 10, 0.0, 60);
        p.touch(2, 2, 0.0, 60);
        p.touch(1, 1, 0.0, 60);
        assert_eq!(drain(&mut p), [1, 2]);
    }

    #[test]
    fn value_order() {
        let mut p = ValuePolicy::new();
        p.insert(1, 100, 100.0, 0); // 1 per byte
        p.insert(2, 10, 50.0, 0); // 5
        p.insert(3, 1000, 10.0, 0); // 0.01
        p.insert(4, 0, 3.0, 0); // 0 bytes count as 1: 3
        assert_eq!(p.victim(1, &|_| false), Some(3));
        // A touch brings a new estimate: 1 is now worth 10 per byte.
        p.touch(1, 1, 1000.0, 1);
        assert_eq!(drain(&mut p), [4, 2, 1]);
    }

    #[test]
    fn value_ties_least_recently_used() {
        let mut p = ValuePolicy::new();
        p.insert(1, 10, 10.0, 0);
        p.insert(2, 10, 10.0, 0);
        p.insert(3, 10, 10.0, 0);
        p.touch(1, 1, 10.0, 2);
        p.touch(3, 1, 10.0, 1);
        // NaN and negative estimates count as nothing.
        p.insert(4, 10, f64::NAN, 3);
        p.insert(5, 10, -1.0, 2);
        assert_eq!(drain(&mut p), [5, 4, 2, 3, 1]);
    }

    #[test]
    fn random_is_deterministic_and_drains_each_once() {
        let run = |seed| {
            let mut p = RandomPolicy::new(seed);
            for pc in 0..50 {
                p.insert(pc * 4, 10, 1.0, 0);
            }
            // A re-insert does not duplicate.
            p.insert(8, 10, 1.0, 1);
            assert_eq!(p.len(), 50);
            drain(&mut p)
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).map(|pc| pc * 4).collect::<Vec<_>>());
        // Not merely insertion order.
        assert_ne!(a, sorted);
    }

    #[test]
    fn protected_is_skipped_while_unprotected_exist() {
        for kind in EvictionKind::ALL {
            let mut p = kind.build(3);
            for pc in 1..=6 {
                p.insert(pc, 10, pc as f64, pc);
            }
            let even = |pc: u64| pc.is_multiple_of(2);
            let order = drain_with(&mut *p, &even);
            let (odd, rest) = order.split_at(3);
            assert!(odd.iter().all(|pc| !pc.is_multiple_of(2)), "{kind}: {order:?}");
            assert!(rest.iter().all(|pc| pc.is_multiple_of(2)), "{kind}: {order:?}");
            if kind != EvictionKind::Random {
                // Each group in the policy's own order.
                assert_eq!(order, [1, 3, 5, 2, 4, 6], "{kind}");
            }
        }
    }

    #[test]
    fn all_protected_still_yields() {
        for kind in EvictionKind::ALL {
            let mut p = kind.build(3);
            p.insert(1, 10, 1.0, 0);
            p.insert(2, 10, 2.0, 1);
            let got = drain_with(&mut *p, &|_| true);
            assert_eq!(got.len(), 2, "{kind}");
            if kind != EvictionKind::Random {
                assert_eq!(got, [1, 2], "{kind}");
            }
        }
    }

    #[test]
    fn protected_scan_is_bounded() {
        // SCAN_LIMIT protected translations ahead of the one unprotected:
        // the scan stops and the first in order goes.
        let mut p = FifoPolicy::new();
        let limit = SCAN_LIMIT as u64;
        for pc in 0..=limit {
            p.insert(pc, 10, 0.0, 0);
        }
        assert_eq!(p.victim(0, &|pc| pc < limit), Some(0));
        // One fewer ahead: it is found.
        assert_eq!(p.victim(0, &|pc| pc < limit), Some(limit));
    }

    /// Entries put beyond twice the held translations go into order a
    /// few per `put`, oldest first, so no single `put` (under the
    /// policy's lock, which a guest thread's compile takes) brings the
    /// whole backlog up to date, and the backlog stays bounded; victims
    /// still come in key order.
    #[test]
    fn the_backlog_is_settled_a_little_per_put() {
        let mut r: Ranked<u64, ()> = Ranked::new();
        for round in 0..50u64 {
            for pc in 0..100u64 {
                let before = r.pending.len();
                let seq = r.fresh_seq();
                r.put(pc, Slot { key: round * 100 + pc, seq, data: () });
                assert!(r.pending.len() + 1 >= before, "one put settled {} entries", before + 1 - r.pending.len());
                assert!(r.pending.len() <= 2 * r.slots.len() + 64 + 1, "backlog {}", r.pending.len());
            }
        }
        let victims: Vec<u64> = std::iter::from_fn(|| r.victim(&|_| false)).collect();
        assert_eq!(victims, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn remove_and_reinsert() {
        for kind in EvictionKind::ALL {
            let mut p = kind.build(5);
            p.insert(1, 10, 1.0, 0);
            p.insert(2, 10, 2.0, 1);
            p.insert(3, 10, 3.0, 2);
            p.remove(2);
            p.remove(99);
            p.touch(99, 1, 1.0, 3);
            assert_eq!(p.len(), 2, "{kind}");
            // Recompiled: replaces, does not add.
            p.insert(1, 10, 4.0, 3);
            assert_eq!(p.len(), 2, "{kind}");
            let got = drain(&mut *p);
            if kind == EvictionKind::Random {
                assert_eq!(got.iter().copied().collect::<HashSet<_>>(), HashSet::from([1, 3]));
            } else {
                // 1 is newer, used later and worth more now.
                assert_eq!(got, [3, 1], "{kind}");
            }
            p.remove(1);
            assert!(p.is_empty(), "{kind}");
        }
    }

    /// One step of a random scenario.
    #[derive(Debug, Clone)]
    enum Op {
        Insert {
            pc: u64,
            bytes: usize,
            benefit: f64,
            tick: u64,
        },
        Touch {
            pc: u64,
            uses: u64,
            benefit: f64,
            tick: u64,
        },
        Remove {
            pc: u64,
        },
        /// Evict, with the pcs whose bit is set in the mask protected.
        Victim {
            protected: u16,
        },
    }

    fn benefit() -> impl Strategy<Value = f64> {
        prop_oneof![0.0..1e6, Just(0.0), Just(f64::INFINITY), Just(f64::NAN), Just(-1.0), any::<f64>()]
    }

    fn op() -> impl Strategy<Value = Op> {
        // Sixteen pcs (fewer than SCAN_LIMIT, so the protected rule holds
        // exactly), ticks that may go backwards, any uses.
        prop_oneof![
            3 => (0..16u64, prop_oneof![0..4096usize, Just(0), Just(usize::MAX)], benefit(), 0..1000u64)
                .prop_map(|(pc, bytes, benefit, tick)| Op::Insert { pc, bytes, benefit, tick }),
            3 => (0..16u64, prop_oneof![1..100u64, Just(u64::MAX), Just(0)], benefit(), prop_oneof![0..1000u64, Just(u64::MAX)])
                .prop_map(|(pc, uses, benefit, tick)| Op::Touch { pc, uses, benefit, tick }),
            1 => (0..20u64).prop_map(|pc| Op::Remove { pc }),
            2 => any::<u16>().prop_map(|protected| Op::Victim { protected }),
        ]
    }

    proptest! {
        #[test]
        fn policies_match_a_set_model(ops in prop::collection::vec(op(), 0..200), seed in any::<u64>()) {
            for kind in EvictionKind::ALL {
                let mut policy = kind.build(seed);
                let mut model = HashSet::new();
                for op in &ops {
                    match *op {
                        Op::Insert { pc, bytes, benefit, tick } => {
                            policy.insert(pc, bytes, benefit, tick);
                            model.insert(pc);
                        }
                        Op::Touch { pc, uses, benefit, tick } => policy.touch(pc, uses, benefit, tick),
                        Op::Remove { pc } => {
                            policy.remove(pc);
                            model.remove(&pc);
                        }
                        Op::Victim { protected } => {
                            let is_protected = |pc: u64| protected & (1 << pc) != 0;
                            match policy.victim(0, &is_protected) {
                                None => prop_assert!(model.is_empty(), "{kind}: None while holding {model:?}"),
                                Some(pc) => {
                                    prop_assert!(model.remove(&pc), "{kind}: evicted {pc}, not held");
                                    prop_assert!(
                                        !is_protected(pc) || model.iter().all(|&pc| is_protected(pc)),
                                        "{kind}: evicted protected {pc} while {model:?} held unprotected ones"
                                    );
                                }
                            }
                        }
                    }
                    prop_assert_eq!(policy.len(), model.len(), "{}", kind);
                    prop_assert_eq!(policy.is_empty(), model.is_empty(), "{}", kind);
                }
            }
        }
    }
}
