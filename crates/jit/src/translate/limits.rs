//! Limit checks across a region's blocks: what is known, at a block's
//! head, about the guest registers used as bases of its loads and stores.
//!
//! A trap-mode access ([`crate::MemAccess::Trap`]) is a plain host access
//! at the host base plus the guest address; the limit check only keeps
//! that address inside the reservation and its guard (`GUEST_LIMIT` bytes
//! mirroring the guest's pages, then [`ferrovm_mem::HOST_GUARD`] bytes
//! that are never accessible), where a wild access faults as the guest's
//! would. Within a block, one check covers the accesses through one base
//! ([`super::trap_bases`]). Across blocks nothing was known, so a loop
//! walking a pointer checked it on every round, though the round before
//! had just accessed memory a few bytes away through the same register.
//!
//! Here a [`Window`] says which offsets from a register's value are safe
//! to access unchecked: after an access at `r + d` that did not fault,
//! `r + d` is a mapped guest address, so at least 4 KiB (the guest's first
//! page is never mapped while checks are grouped) and below the limit;
//! anything from 4 KiB below it to far past it lies in the reservation
//! and its guard. Facts follow the registers through a block (a pointer
//! bumped by a constant shifts its window) and along the region's edges.
//!
//! Each block is given the windows it may assume on entry ([`Facts::assume`]),
//! and every way into it makes them true: an edge from a block whose own
//! facts at its end prove them does nothing; any other (an edge into a
//! loop from before it, the region's entry) checks them there, and on a
//! failed check leaves for the interpreter at the block's start (with the
//! registers written back: state there is precise, and the interpreter
//! does the access or faults exactly). A loop then checks its pointers
//! once on the way in instead of on every round. Which windows a block
//! assumes is a choice made by [`facts`]; whether an edge proves them is
//! decided from the facts of the assumptions actually made, so the choice
//! cannot make code wrong, only slower.

use std::collections::HashMap;

use ferrovm_ir::{Block, Op, Temp};
use ferrovm_mem::{GUEST_LIMIT, PAGE_SIZE};

use super::{Rooted, trap_bases};

/// How far past a known address a window reaches: far less than the
/// guard ([`ferrovm_mem::HOST_GUARD`], 4 GiB) past the reservation.
pub(super) const FAR: i64 = 1 << 30;

/// Integer registers (`x0` is never a fact).
const XREGS: usize = 32;

/// Offsets `lo..hi` from a value where an access's bytes may lie without a
/// limit check: its host address is in the reservation or its guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Window {
    pub(super) lo: i64,
    pub(super) hi: i64,
}

impl Window {
    /// What a successful access at offset `at` of a value tells: the
    /// address is mapped (at least [`PAGE_SIZE`], below the limit). With
    /// an index of up to `span` added (see [`Rooted`]), only that the
    /// address without the index is below the limit.
    fn accessed(at: i64, span: u64) -> Self {
        if span == 0 { Window { lo: at - PAGE_SIZE as i64, hi: at + FAR } } else { Window { lo: at, hi: at + FAR } }
    }

    /// A constant address: safe from 0 to past the limit.
    fn constant(value: u64) -> Option<Self> {
        (value < GUEST_LIMIT).then(|| Window { lo: -(value as i64).min(FAR), hi: FAR })
    }

    /// The same addresses, as offsets from the value plus `delta`.
    fn shifted(self, delta: i64) -> Self {
        Window { lo: self.lo - delta, hi: self.hi - delta }
    }

    /// Whether an access at offsets `lo..hi` may go unchecked.
    pub(super) fn covers(self, lo: i64, hi: i64) -> bool {
        self.lo <= lo && hi <= self.hi
    }

    /// Both hold, as offsets of one value: where they overlap, their union
    /// (the addresses safe are one range), else the first.
    fn join(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) if a.lo <= b.hi && b.lo <= a.hi => {
                Some(Window { lo: a.lo.min(b.lo), hi: a.hi.max(b.hi) })
            }
            (a, b) => a.or(b),
        }
    }

    /// What holds whichever of the two held.
    fn meet(a: Self, b: Self) -> Option<Self> {
        let w = Window { lo: a.lo.max(b.lo), hi: a.hi.min(b.hi) };
        (w.lo < w.hi).then_some(w)
    }

    /// At most [`FAR`] wide (from its low end), so that one limit check
    /// of its low end makes it true.
    fn checkable(self) -> Self {
        Window { lo: self.lo, hi: self.hi.min(self.lo + FAR) }
    }
}

/// One window per integer register (`None`: nothing known).
pub(super) type RegWindows = [Option<Window>; XREGS];

/// What one block says, whatever holds on its entry.
#[derive(Debug)]
pub(super) struct BlockFacts {
    /// Each register whose value on entry is a base of the block's loads
    /// and stores: the offsets their bytes span.
    pub(super) needs: RegWindows,
    /// Each register at the block's end: register `q`'s value on entry
    /// plus a constant.
    from: [Option<(usize, i64)>; XREGS],
    /// Each register at the block's end: what the block's own accesses
    /// (and constants) tell about its value then.
    own: RegWindows,
    /// The temporaries holding a register's value on entry, and which.
    pub(super) entry: HashMap<Temp, usize>,
    /// Windows of temporaries known wherever they are defined: constants.
    pub(super) constants: HashMap<Temp, Window>,
}

/// The facts of `block` (see [`BlockFacts`]).
pub(super) fn block_facts(block: &Block) -> BlockFacts {
    let (mut bases, mut roots) = (Vec::new(), HashMap::new());
    trap_bases(block, &mut bases, &mut roots);
    let root_of = |t: Temp| roots.get(&t).copied().unwrap_or(Rooted::of(t));
    let mut facts = BlockFacts {
        needs: [None; XREGS],
        from: [None; XREGS],
        own: [None; XREGS],
        entry: HashMap::new(),
        constants: HashMap::new(),
    };
    let mut set = [false; XREGS];
    let mut last: [Option<Temp>; XREGS] = [None; XREGS];
    // Windows of root temporaries once the block's accesses ran.
    let mut known: HashMap<Temp, Window> = HashMap::new();
    for op in &block.ops {
        match *op {
            Op::GetReg { dst, reg } if (1..XREGS).contains(&reg.index()) && !set[reg.index()] => {
                facts.entry.insert(dst, reg.index());
            }
            Op::SetReg { reg, src } if reg.index() < XREGS => {
                set[reg.index()] = true;
                last[reg.index()] = Some(src);
            }
            Op::Const { dst, value } => {
                if let Some(w) = Window::constant(value) {
                    facts.constants.insert(dst, w);
                    known.insert(dst, w);
                }
            }
            Op::Load { addr, offset, size, .. } | Op::Store { addr, offset, size, .. } => {
                let Rooted { root, delta, span } = root_of(addr);
                let at = delta + i64::from(offset);
                let end = at + span as i64 + i64::from(size.bytes());
                let w = Window::join(known.get(&root).copied(), Some(Window::accessed(at, span)));
                known.insert(root, w.expect("a window"));
                if let Some(&q) = facts.entry.get(&root) {
                    let need = facts.needs[q]
                        .map_or(Window { lo: at, hi: end }, |n| Window { lo: n.lo.min(at), hi: n.hi.max(end) });
                    facts.needs[q] = Some(need);
                }
            }
            _ => {}
        }
    }
    for (r, &last) in last.iter().enumerate().skip(1) {
        match last {
            Some(t) => {
                let Rooted { root, delta, span } = root_of(t);
                if span == 0 {
                    facts.own[r] = known.get(&root).map(|w| w.shifted(delta));
                    facts.from[r] = facts.entry.get(&root).map(|&q| (q, delta));
                }
            }
            None => {
                facts.from[r] = Some((r, 0));
                for (t, _) in facts.entry.iter().filter(|&(_, &q)| q == r) {
                    facts.own[r] = Window::join(facts.own[r], known.get(t).copied());
                }
            }
        }
    }
    // A span too wide for one check is left to the block's own checks.
    for need in &mut facts.needs {
        *need = need.filter(|n| n.hi - n.lo <= FAR);
    }
    facts
}

/// The windows known at the end of a block with `facts`, given `assumed`
/// on its entry.
pub(super) fn out(facts: &BlockFacts, assumed: &RegWindows) -> RegWindows {
    std::array::from_fn(|r| {
        let carried = facts.from[r].and_then(|(q, delta)| assumed[q].map(|w| w.shifted(delta)));
        Window::join(facts.own[r], carried)
    })
}

/// Per block of a region (`all`, with the internal edges `succs`; `entry`:
/// the blocks the region may be entered at), the windows it assumes on
/// entry. A block assumes a window for a register it uses as a base when
/// some of the blocks that lead to it know one covering its accesses (a
/// loop's back edge, when the loop accessed memory through that
/// register); the other ways in check it on their way (see the module),
/// which fails only where one of the block's accesses would fault. A
/// block that does not use a register the region uses, but carries it on
/// (unchanged, or plus a constant) to the blocks after it, assumes what
/// the blocks before it know, if all of them know something and the
/// region is never entered there: a check of such a window on the way in
/// could fail where nothing faults (the register is no pointer on that
/// path), and would leave compiled code each time.
pub(super) fn assumptions(all: &[BlockFacts], succs: &[Vec<usize>], entry: &[bool]) -> Vec<RegWindows> {
    let n = all.len();
    let mut preds = vec![Vec::new(); n];
    for (k, s) in succs.iter().enumerate() {
        for &t in s {
            preds[t].push(k);
        }
    }
    let mut used = [false; XREGS];
    for f in all {
        for (r, need) in f.needs.iter().enumerate() {
            used[r] |= need.is_some();
        }
    }
    // Per block, the registers whose value on entry some register's value
    // at its end is (plus a constant): only those carry a window on.
    let carries: Vec<[bool; XREGS]> = all
        .iter()
        .map(|f| {
            let mut c = [false; XREGS];
            for &(q, _) in f.from.iter().flatten() {
                c[q] = true;
            }
            c
        })
        .collect();
    let mut assume = vec![[None; XREGS]; n];
    // Each round recomputes every block's choice from the last round's
    // facts; the choice only shapes speed, so a bound on the rounds is
    // enough (the code uses the facts of the final choice).
    for _ in 0..2 * n + 4 {
        let outs: Vec<RegWindows> = all.iter().zip(&assume).map(|(f, a)| out(f, a)).collect();
        let mut changed = false;
        for k in 0..n {
            let next: RegWindows = std::array::from_fn(|r| {
                if !used[r] {
                    return None;
                }
                let mut known = preds[k].iter().filter_map(|&p| outs[p][r]);
                let first = known.next()?;
                let m = known.try_fold(first, Window::meet)?;
                match all[k].needs[r] {
                    Some(need) => m.covers(need.lo, need.hi).then_some(need),
                    None => (carries[k][r] && !entry[k] && preds[k].iter().all(|&p| outs[p][r].is_some()))
                        .then(|| m.checkable()),
                }
            });
            if next != assume[k] {
                assume[k] = next;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    assume
}

#[cfg(test)]
mod tests {
    use ferrovm_ir::text::parse_blocks;

    use super::*;

    fn facts(text: &str) -> Vec<BlockFacts> {
        parse_blocks(text).expect("blocks").iter().map(block_facts).collect()
    }

    fn window(lo: i64, hi: i64) -> Option<Window> {
        Some(Window { lo, hi })
    }

    /// `lw a6, 0(a5); addi a5, a5, 4; bnez ..., loop`: the round's load
    /// at the register's old value is 4 bytes below its new one, so the
    /// next round's load through it needs no check: the loop assumes the
    /// window its load needs, and its own back edge proves it.
    #[test]
    fn a_loop_assumes_what_its_last_round_learnt() {
        let f = facts(
            "block 0x1000..0x100c {\n mark 0x1000 4\n t0 = get x15\n t1 = load.32s t0+0\n set x16, t1\n \
             t2 = const 0x4\n t3 = add t0, t2\n set x15, t3\n branch t1, 0x1000, 0x100c\n}",
        );
        assert_eq!(f[0].needs[15], window(0, 4));
        let out = out(&f[0], &[None; XREGS]);
        assert_eq!(out[15], window(-4 - PAGE_SIZE as i64, FAR - 4));
        // The loaded value is no address anyone accessed.
        assert_eq!(out[16], None);
        let assume = assumptions(&f, &[vec![0]], &[true]);
        assert_eq!(assume[0][15], window(0, 4));
        assert!(assume[0].iter().enumerate().all(|(r, w)| r == 15 || w.is_none()), "{:?}", assume[0]);
    }

    /// A base the loop loads anew each round (a linked list) tells the
    /// next round nothing: no assumption, the block keeps its check. Nor
    /// does a base moved by more than a window reaches.
    #[test]
    fn a_base_loaded_or_moved_far_is_checked_each_round() {
        let f = facts(
            "block 0x1000..0x1008 {\n mark 0x1000 4\n t0 = get x15\n t1 = load.64u t0+8\n set x15, t1\n \
             branch t1, 0x1000, 0x1008\n}",
        );
        assert_eq!(assumptions(&f, &[vec![0]], &[true])[0][15], None);
        let f = facts(
            "block 0x1000..0x100c {\n mark 0x1000 4\n t0 = get x15\n t1 = load.32s t0+0\n set x16, t1\n \
             t2 = const 0x40000000\n t3 = add t0, t2\n set x15, t3\n branch t1, 0x1000, 0x100c\n}",
        );
        assert_eq!(assumptions(&f, &[vec![0]], &[true])[0][15], None);
    }

    /// A loop of two blocks, the first using `x15` as a base and the
    /// second bumping it: the second assumes what the first's access
    /// tells (carried through it to the first), the first what it needs.
    /// A block that leads into the loop without touching `x15` proves
    /// nothing (its edge checks, see the module). Where the region may be
    /// entered at the second block, it carries nothing, and the first
    /// block keeps its own check.
    #[test]
    fn a_window_is_carried_through_a_block_that_does_not_use_it() {
        let f = facts(
            "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = get x15\n t1 = load.64u t0+16\n set x16, t1\n jump 0x1004\n}\n\
             block 0x1004..0x100c {\n mark 0x1004 4\n t0 = get x15\n t1 = const 0x8\n t2 = add t0, t1\n \
             set x15, t2\n t3 = get x16\n branch t3, 0x1000, 0x100c\n}\n\
             block 0x2000..0x2004 {\n mark 0x2000 4\n t0 = get x16\n set x17, t0\n jump 0x1000\n}",
        );
        let succs = [vec![1], vec![0], vec![0]];
        let entered = assumptions(&f, &succs, &[true, true, true]);
        assert_eq!((entered[0][15], entered[1][15]), (None, None));
        let assume = assumptions(&f, &succs, &[true, false, false]);
        assert_eq!(assume[0][15], window(16, 24));
        let carried = assume[1][15].expect("carried");
        assert!(carried.covers(16, 24) && carried.hi - carried.lo <= FAR, "{carried:?}");
        let known: Vec<RegWindows> = f.iter().zip(&assume).map(|(f, a)| out(f, a)).collect();
        // The back edge proves the first block's window, the way in does not.
        assert!(known[1][15].is_some_and(|w| w.covers(16, 24)), "{:?}", known[1][15]);
        assert_eq!(known[2][15], None);
    }

    /// A constant address below the limit is safe from 0 on; one at or
    /// beyond it has no window.
    #[test]
    fn constant_addresses() {
        let f = facts(
            "block 0x1000..0x1008 {\n mark 0x1000 4\n t0 = const 0x12000\n t1 = load.64u t0+0\n \
             t2 = const 0x4000000000\n t3 = load.64u t2+0\n set x5, t1\n set x6, t3\n jump 0x1008\n}",
        );
        let windows: Vec<Window> = f[0].constants.values().copied().collect();
        assert!(windows.contains(&Window { lo: -0x12000, hi: FAR }), "{windows:?}");
        assert_eq!(windows.len(), 1, "the constant beyond the limit has none");
    }
}
