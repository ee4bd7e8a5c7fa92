//! Constant folding and algebraic simplification.
//!
//! Pure integer ops whose operands are constants are evaluated with
//! [`crate::eval`] (so folding means exactly what execution means); identities
//! such as `x + 0`, `x | 0`, `x << 0`, `x * 1` become copies and `x & 0`,
//! `x ^ x`, `x - x` become constants, `addw x, 0` (RISC-V `sext.w`) and the
//! other 32-bit ops with a neutral operand become `sextw x`; a branch on a
//! constant becomes a jump. Unboxing a value boxed in the same block
//! (`nanunbox (nanbox x)`, the single an FP op or `flw` just wrote, read
//! back by the next FP op) is `zextw x`, and likewise `zexth` for halves:
//! the box's all-ones check and the canonical-NaN select go away.
//!
//! The pass sees through copies (the `get` of a register set earlier in the
//! block, which register caching turned into a copy, say): a copy of a
//! constant is that constant, a copy of a box is that box, and equal
//! operands are equal through copies too. It runs before copy propagation,
//! so without this a value an FP op wrote and the next one read back would
//! keep its box check.

use crate::block::Block;
use crate::entities::Temp;
use crate::eval;
use crate::op::{BinOp, Op, Terminator, UnOp};

/// Folds constants in place.
pub fn run(block: &mut Block) {
    let mut known: Vec<Option<u64>> = vec![None; block.num_temps as usize];
    let get = |known: &[Option<u64>], t: Temp| known.get(t.index()).copied().flatten();
    // For each temp made by `nanbox`/`nanboxh`: what was boxed, and how.
    let mut boxed: Vec<Option<(UnOp, Temp)>> = vec![None; block.num_temps as usize];
    // For each temp: the temp it copies, through any chain of copies.
    let mut root: Vec<Temp> = (0..block.num_temps).map(Temp).collect();
    let resolve = |root: &[Temp], t: Temp| root.get(t.index()).copied().unwrap_or(t);
    for op in &mut block.ops {
        if let Op::Unary { op: u @ (UnOp::NanBox | UnOp::NanBoxH), dst, src } = *op
            && let Some(b) = boxed.get_mut(dst.index())
        {
            *b = Some((u, src));
        }
        if let Op::Copy { dst, src } = *op {
            let r = resolve(&root, src);
            if let Some(slot) = root.get_mut(dst.index()) {
                *slot = r;
            }
            let b = boxed.get(r.index()).copied().flatten();
            if let Some(slot) = boxed.get_mut(dst.index()) {
                *slot = b;
            }
        }
        let folded = match *op {
            Op::Const { dst, value } => {
                if let Some(k) = known.get_mut(dst.index()) {
                    *k = Some(value);
                }
                continue;
            }
            Op::Copy { dst, src } => get(&known, src).map(|value| Op::Const { dst, value }),
            Op::Unary { op: u, dst, src } => match (get(&known, src), boxed.get(src.index()).copied().flatten()) {
                (Some(v), _) => Some(Op::Const { dst, value: eval::unary(u, v) }),
                (None, Some((UnOp::NanBox, x))) if u == UnOp::NanUnbox => {
                    Some(Op::Unary { op: UnOp::ZextW, dst, src: x })
                }
                (None, Some((UnOp::NanBoxH, x))) if u == UnOp::NanUnboxH => {
                    Some(Op::Unary { op: UnOp::ZextH, dst, src: x })
                }
                _ => None,
            },
            Op::Select { dst, cond, a, b } => {
                get(&known, cond).map(|c| Op::Copy { dst, src: if c != 0 { a } else { b } })
            }
            Op::Binary { op: bop, dst, a, b } => match (get(&known, a), get(&known, b)) {
                (Some(x), Some(y)) => Some(Op::Const { dst, value: eval::binary(bop, x, y) }),
                (x, y) => simplify(bop, dst, resolve(&root, a), resolve(&root, b), x, y),
            },
            _ => None,
        };
        if let Some(new) = folded {
            *op = new;
            if let Op::Const { dst, value } = new
                && let Some(k) = known.get_mut(dst.index())
            {
                *k = Some(value);
            }
        }
    }
    if let Terminator::Branch { cond, taken, fallthrough } = block.term
        && let Some(c) = get(&known, cond)
    {
        block.term = Terminator::Jump { target: if c != 0 { taken } else { fallthrough } };
    }
}

/// Identities with one constant operand (or equal operands).
fn simplify(op: BinOp, dst: Temp, a: Temp, b: Temp, x: Option<u64>, y: Option<u64>) -> Option<Op> {
    use BinOp::*;
    let copy = |src| Some(Op::Copy { dst, src });
    let constant = |value| Some(Op::Const { dst, value });
    let sext_w = |src| Some(Op::Unary { op: UnOp::SextW, dst, src });
    if a == b {
        return match op {
            Sub | Xor | Ne | Lt | LtU => constant(0),
            Eq | Ge | GeU => constant(1),
            And | Or | Min | MinU | Max | MaxU => copy(a),
            _ => None,
        };
    }
    match (op, x, y) {
        (Add | Or | Xor, Some(0), _) => copy(b),
        (Add | Sub | Or | Xor | Shl | Shr | Sar | Rol | Ror, _, Some(0)) => copy(a),
        (And, _, Some(u64::MAX)) => copy(a),
        (And, Some(u64::MAX), _) => copy(b),
        (And | Mul, _, Some(0)) | (And | Mul, Some(0), _) => constant(0),
        (Mul, _, Some(1)) => copy(a),
        (Mul, Some(1), _) => copy(b),
        (AddW, Some(0), _) => sext_w(b),
        (AddW | SubW | ShlW | ShrW | SarW | RolW | RorW, _, Some(0)) => sext_w(a),
        (MulW, _, Some(1)) => sext_w(a),
        (MulW, Some(1), _) => sext_w(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::text::parse_blocks;

    fn run(body: &str) -> String {
        let mut b = parse_blocks(&format!("block 0x0..0x4 {{\n{body}\n}}\n")).unwrap().remove(0);
        super::run(&mut b);
        crate::verify::verify(&b).unwrap();
        b.to_string()
    }

    #[test]
    fn folds_through_eval() {
        let out =
            run("mark 0x0 4\nt0 = const 0x7\nt1 = const 0x0\nt2 = divu t0, t1\nset x1, t2\nbranch t2, 0x10, 0x20");
        assert!(out.contains("t2 = const 0xffffffffffffffff"), "{out}");
        assert!(out.contains("jump 0x10"), "{out}");
    }

    #[test]
    fn identities() {
        let out = run(
            "mark 0x0 4\nt0 = get x1\nt1 = const 0x0\nt2 = add t0, t1\nt3 = xor t0, t0\nset x2, t2\nset x3, t3\njump 0x4",
        );
        assert!(out.contains("t2 = copy t0"), "{out}");
        assert!(out.contains("t3 = const 0x0"), "{out}");
    }

    #[test]
    fn unboxing_what_was_just_boxed_is_a_zero_extension() {
        let out = run("mark 0x0 4\nt0 = get x1\nt1 = nanbox t0\nt2 = nanunbox t1\nt3 = nanboxh t0\n\
                       t4 = nanunboxh t3\nt5 = nanunboxh t1\nt6 = get f1\nt7 = nanunbox t6\n\
                       set f2, t2\nset f3, t4\nset f4, t5\nset f5, t7\njump 0x4");
        assert!(out.contains("t2 = zextw t0"), "{out}");
        assert!(out.contains("t4 = zexth t0"), "{out}");
        // A half unboxed from a single's box, or a register's value, keeps its check.
        assert!(out.contains("t5 = nanunboxh t1"), "{out}");
        assert!(out.contains("t7 = nanunbox t6"), "{out}");
    }

    #[test]
    fn folds_through_copies() {
        // fadd.s fa0, ...; fmul.s fa1, fa0, ...: register caching made the
        // second read of fa0 a copy of the box the first op wrote.
        let out = run("mark 0x0 4\nt0 = get x1\nt1 = nanbox t0\nt2 = copy t1\nt3 = copy t2\n\
                       t4 = nanunbox t3\nt5 = get x2\nt6 = copy t5\nt7 = xor t5, t6\n\
                       t8 = const 0x3\nt9 = copy t8\nt10 = add t5, t9\n\
                       set f2, t4\nset x3, t7\nset x4, t10\njump 0x4");
        assert!(out.contains("t4 = zextw t0"), "{out}");
        assert!(out.contains("t7 = const 0x0"), "{out}");
        assert!(out.contains("t9 = const 0x3"), "{out}");
        // A copy of a plain register value is not a box: the check stays.
        let out = run("mark 0x0 4\nt0 = get f1\nt1 = copy t0\nt2 = nanunbox t1\nset f2, t2\njump 0x4");
        assert!(out.contains("t2 = nanunbox t1"), "{out}");
    }

    #[test]
    fn unboxing_folds_the_same_as_evaluation() {
        // nanunbox(nanbox x) == zextw x for every x, the high bits included.
        for x in [0u64, 0x3f80_0000, 0xdead_beef_7fc0_0001, u64::MAX, 0x1_0000_0000] {
            let boxed = crate::eval::unary(crate::op::UnOp::NanBox, x);
            assert_eq!(
                crate::eval::unary(crate::op::UnOp::NanUnbox, boxed),
                crate::eval::unary(crate::op::UnOp::ZextW, x)
            );
            let boxed = crate::eval::unary(crate::op::UnOp::NanBoxH, x);
            assert_eq!(
                crate::eval::unary(crate::op::UnOp::NanUnboxH, boxed),
                crate::eval::unary(crate::op::UnOp::ZextH, x)
            );
        }
    }

    #[test]
    fn neutral_32_bit_ops_sign_extend() {
        // sext.w a0, a1 is `addiw a0, a1, 0`; srliw by 0 is a sign extension too.
        let out = run("mark 0x0 4\nt0 = get x11\nt1 = const 0x0\nt2 = addw t0, t1\nt3 = shrw t0, t1\n\
                       t4 = subw t1, t0\nset x10, t2\nset x12, t3\nset x13, t4\njump 0x4");
        assert!(out.contains("t2 = sextw t0"), "{out}");
        assert!(out.contains("t3 = sextw t0"), "{out}");
        // 0 - x is not x.
        assert!(out.contains("t4 = subw t1, t0"), "{out}");
    }
}
