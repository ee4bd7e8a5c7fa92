//! Copy propagation: every use of `dst` of `dst = copy src` reads `src`.
//!
//! The copies themselves become dead and are left for [`super::dce`].

use crate::block::Block;
use crate::entities::Temp;
use crate::op::Op;

/// Rewrites uses of copied temporaries to their sources.
pub fn run(block: &mut Block) {
    let mut source: Vec<Temp> = (0..block.num_temps).map(Temp).collect();
    let resolve = |source: &[Temp], t: Temp| source.get(t.index()).copied().unwrap_or(t);
    for op in &mut block.ops {
        op.map_uses(|t| resolve(&source, t));
        if let Op::Copy { dst, src } = *op
            && let Some(slot) = source.get_mut(dst.index())
        {
            *slot = src;
        }
    }
    block.term.map_uses(|t| resolve(&source, t));
}
