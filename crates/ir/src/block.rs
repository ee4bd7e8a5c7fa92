//! Blocks: straight-line guest code lifted to IR.

use crate::entities::Temp;
use crate::op::{Op, Terminator};

/// A lifted guest block: ops in order, then one terminator.
///
/// Temporaries are numbered `0..num_temps` and each is assigned exactly once
/// (SSA within the block). The block covers guest addresses `start..end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Guest address of the first instruction.
    pub start: u64,
    /// Guest address just past the last instruction.
    pub end: u64,
    /// The operations, starting with a [`Op::Mark`].
    pub ops: Vec<Op>,
    /// How the block ends.
    pub term: Terminator,
    /// Number of temporaries (one past the highest index in use).
    pub num_temps: u32,
}

impl Block {
    /// Number of guest instructions in the block.
    pub fn insn_count(&self) -> usize {
        self.ops.iter().filter(|op| matches!(op, Op::Mark { .. })).count()
    }

    /// Allocates a fresh temporary (for passes that add ops).
    pub fn new_temp(&mut self) -> Temp {
        let t = Temp(self.num_temps);
        self.num_temps += 1;
        t
    }

    /// Counts, per temporary, how many times it is read (ops and terminator).
    pub fn use_counts(&self) -> Vec<u32> {
        let mut counts = Vec::new();
        self.use_counts_into(&mut counts);
        counts
    }

    /// [`Block::use_counts`] into `counts` (its old contents dropped), for
    /// a caller that reuses the vector.
    pub fn use_counts_into(&self, counts: &mut Vec<u32>) {
        counts.clear();
        counts.resize(self.num_temps as usize, 0);
        let mut bump = |t: Temp| {
            if let Some(c) = counts.get_mut(t.index()) {
                *c += 1;
            }
        };
        for op in &self.ops {
            op.for_each_use(&mut bump);
        }
        self.term.for_each_use(&mut bump);
    }
}
