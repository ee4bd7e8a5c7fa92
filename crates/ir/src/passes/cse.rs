//! Common-subexpression elimination over pure ops: a second computation of
//! the same operation on the same operands becomes a copy of the first.

use rustc_hash::FxHashMap;

use crate::block::Block;
use crate::entities::Temp;
use crate::op::Op;

/// The op with its destination blanked, so equal computations hash equal.
fn key(op: &Op) -> Option<Op> {
    if !op.is_pure() || matches!(op, Op::Copy { .. }) {
        return None;
    }
    let mut k = *op;
    let blank = Temp(u32::MAX);
    match &mut k {
        Op::Const { dst, .. }
        | Op::Unary { dst, .. }
        | Op::Binary { dst, .. }
        | Op::Select { dst, .. }
        | Op::FUnary { dst, .. }
        | Op::FBinary { dst, .. } => *dst = blank,
        _ => return None,
    }
    Some(k)
}

/// Replaces repeated pure computations with copies of the first result.
/// (Fx hashing: the pass runs on every block translated, and SipHash's
/// DoS resistance buys nothing on ops.)
pub fn run(block: &mut Block) {
    let mut seen: FxHashMap<Op, Temp> = FxHashMap::default();
    for op in &mut block.ops {
        let (Some(k), Some(dst)) = (key(op), op.dst()) else { continue };
        match seen.get(&k) {
            Some(&src) => *op = Op::Copy { dst, src },
            None => {
                seen.insert(k, dst);
            }
        }
    }
}
