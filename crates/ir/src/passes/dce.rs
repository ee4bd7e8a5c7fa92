//! Dead-code elimination: drops ops without side effects whose result is
//! never read.

use crate::block::Block;

/// Removes dead pure ops, iterating backwards so chains die in one sweep.
pub fn run(block: &mut Block) {
    let mut uses = block.use_counts();
    let mut keep = vec![true; block.ops.len()];
    for (i, op) in block.ops.iter().enumerate().rev() {
        let Some(dst) = op.dst() else { continue };
        if op.has_side_effects() || uses.get(dst.index()).copied().unwrap_or(1) > 0 {
            continue;
        }
        keep[i] = false;
        op.for_each_use(|t| {
            if let Some(c) = uses.get_mut(t.index()) {
                *c = c.saturating_sub(1);
            }
        });
    }
    let mut i = 0;
    block.ops.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}
