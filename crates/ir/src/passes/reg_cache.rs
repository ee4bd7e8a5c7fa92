//! Guest-register caching within a block.
//!
//! - A `get` of a register whose value is already in a temporary (from an
//!   earlier `get` or `set` in the block) becomes a copy of that temporary.
//! - A `set` that is overwritten by a later `set` of the same register, with
//!   no op in between that may fault, is dropped: nobody can observe it.
//!   (A fault must see every register write before it: precise state.)
//! - A `set` that writes back the value the register already holds is dropped.

use crate::block::Block;
use crate::entities::{Reg, Temp};
use crate::op::Op;

/// Forwards register values and removes unobservable writes.
pub fn run(block: &mut Block) {
    let mut value: [Option<Temp>; Reg::COUNT] = [None; Reg::COUNT];
    let mut pending: [Option<usize>; Reg::COUNT] = [None; Reg::COUNT];
    let mut dead = vec![false; block.ops.len()];
    for i in 0..block.ops.len() {
        let op = block.ops[i];
        if op.may_fault() {
            pending = [None; Reg::COUNT];
        }
        match op {
            Op::GetReg { dst, reg } => match value[reg.index()] {
                Some(src) => block.ops[i] = Op::Copy { dst, src },
                None => value[reg.index()] = Some(dst),
            },
            Op::SetReg { reg, src } => {
                let r = reg.index();
                if value[r] == Some(src) {
                    dead[i] = true;
                    continue;
                }
                if let Some(j) = pending[r] {
                    dead[j] = true;
                }
                value[r] = Some(src);
                pending[r] = Some(i);
            }
            _ => {}
        }
    }
    let mut i = 0;
    block.ops.retain(|_| {
        let keep = !dead[i];
        i += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use crate::text::parse_blocks;

    fn run(body: &str) -> String {
        let mut b = parse_blocks(&format!("block 0x0..0x10 {{\n{body}\n}}\n")).unwrap().remove(0);
        super::run(&mut b);
        crate::verify::verify(&b).unwrap();
        b.to_string()
    }

    #[test]
    fn forwards_and_kills_dead_sets() {
        let out =
            run("mark 0x0 4\nt0 = get x1\nset x2, t0\nmark 0x4 4\nt1 = get x2\nt2 = add t1, t1\nset x2, t2\njump 0x10");
        assert!(out.contains("t1 = copy t0"), "{out}");
        assert!(!out.contains("set x2, t0"), "{out}");
    }

    #[test]
    fn keeps_sets_before_a_faulting_op() {
        let out = run("mark 0x0 4\nt0 = get x1\nset x2, t0\nmark 0x4 4\nt1 = load.64u t0+0\nset x2, t1\njump 0x10");
        assert!(out.contains("set x2, t0"), "{out}");
    }
}
