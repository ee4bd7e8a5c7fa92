//! The IR verifier.
//!
//! It checks these invariants of a [`Block`], and every pass must keep them:
//!
//! 1. The block is not empty and its first op is a [`Op::Mark`].
//! 2. Marks have strictly increasing addresses within `start..end`, each with
//!    length 2 or 4; the first mark is at `start`.
//! 3. Every temporary is below `num_temps` and defined exactly once (SSA).
//! 4. Every use of a temporary comes after its definition (ops and terminator).
//! 5. No op reads or writes `x0` through `get`/`set` (the lifter uses
//!    constants and drops writes instead) and every register index is below
//!    [`Reg::COUNT`].
//! 6. `lr`, `sc` and AMOs access 32 or 64 bits only.
//! 7. Rounding modes of ops that round are valid encodings; ops whose rounding
//!    mode is dynamic are preceded in the block by a [`Op::CheckFrm`].
//! 8. CSR ops name CSRs that exist, and writes target writable CSRs.

use crate::block::Block;
use crate::csr;
use crate::entities::{Reg, Temp};
use crate::op::{MemSize, Op, Rm};

/// A verifier failure: which op (index, or `None` for the terminator) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", match .op { Some(i) => format!("op {i}"), None => "terminator".into() })]
pub struct VerifyError {
    /// Index of the offending op, or `None` for the terminator.
    pub op: Option<usize>,
    /// What is wrong.
    pub message: String,
}

fn fail(op: Option<usize>, message: impl Into<String>) -> Result<(), VerifyError> {
    Err(VerifyError { op, message: message.into() })
}

fn rm_of(op: &Op) -> Option<Rm> {
    match *op {
        Op::FUnary { rm, .. } | Op::FBinary { rm, .. } | Op::FTernary { rm, .. } | Op::FCvt { rm, .. } => Some(rm),
        _ => None,
    }
}

/// Checks every invariant in the module documentation.
pub fn verify(block: &Block) -> Result<(), VerifyError> {
    match block.ops.first() {
        Some(Op::Mark { pc, .. }) if *pc == block.start => {}
        Some(Op::Mark { .. }) => return fail(Some(0), "first mark is not at the block start"),
        _ => return fail(Some(0), "block does not start with a mark"),
    }
    let n = block.num_temps as usize;
    let mut defined = vec![false; n];
    let mut last_pc: Option<u64> = None;
    let mut checked_frm = false;
    for (i, op) in block.ops.iter().enumerate() {
        let mut bad_use: Option<Temp> = None;
        op.for_each_use(|t| {
            if !defined.get(t.index()).copied().unwrap_or(false) {
                bad_use.get_or_insert(t);
            }
        });
        if let Some(t) = bad_use {
            return fail(Some(i), format!("{t} used before its definition (or out of range)"));
        }
        if let Some(d) = op.dst() {
            match defined.get_mut(d.index()) {
                None => return fail(Some(i), format!("{d} is not below num_temps = {n}")),
                Some(true) => return fail(Some(i), format!("{d} is defined twice")),
                Some(slot) => *slot = true,
            }
        }
        match *op {
            Op::Mark { pc, len } => {
                if len != 2 && len != 4 {
                    return fail(Some(i), format!("mark length {len}"));
                }
                if last_pc.is_some_and(|last| pc <= last) || pc < block.start || pc >= block.end {
                    return fail(Some(i), format!("mark {pc:#x} out of order or outside the block"));
                }
                last_pc = Some(pc);
            }
            Op::GetReg { reg, .. } | Op::SetReg { reg, .. } if reg.is_zero() || reg.index() >= Reg::COUNT => {
                return fail(Some(i), format!("register {reg} may not be accessed with get/set"));
            }
            Op::LoadReserved { size, .. } | Op::StoreConditional { size, .. } | Op::Amo { size, .. }
                if !matches!(size, MemSize::W | MemSize::D) =>
            {
                return fail(Some(i), "atomic access must be 32 or 64 bits");
            }
            Op::CheckFrm => checked_frm = true,
            Op::CsrRead { csr, .. } if !csr::exists(csr) => {
                return fail(Some(i), format!("CSR {csr:#x} does not exist"));
            }
            Op::CsrWrite { csr, .. } if !csr::writable(csr) => {
                return fail(Some(i), format!("CSR {csr:#x} is not writable"));
            }
            _ => {}
        }
        if rm_of(op) == Some(Rm::Dyn) && !checked_frm {
            return fail(Some(i), "dynamic rounding mode without a preceding checkfrm");
        }
    }
    let mut bad_use = None;
    block.term.for_each_use(|t| {
        if !defined.get(t.index()).copied().unwrap_or(false) {
            bad_use.get_or_insert(t);
        }
    });
    if let Some(t) = bad_use {
        return fail(None, format!("{t} used before its definition"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::parse_blocks;

    fn check(body: &str) -> Result<(), VerifyError> {
        let text = format!("block 0x100..0x108 {{\n{body}\n}}\n");
        verify(&parse_blocks(&text).expect("test IR parses")[0])
    }

    #[test]
    fn accepts_good_block() {
        check("mark 0x100 4\nt0 = get x1\nt1 = add t0, t0\nset x2, t1\njump 0x108").expect("valid");
    }

    #[test]
    fn rejects_each_invariant() {
        let cases = [
            ("t0 = const 0x1\njump 0x108", "does not start with a mark"),
            ("mark 0x104 4\njump 0x108", "not at the block start"),
            ("mark 0x100 4\nmark 0x100 4\njump 0x108", "out of order"),
            ("mark 0x100 3\njump 0x108", "mark length"),
            ("mark 0x100 4\nt1 = add t0, t0\nt0 = const 0x1\njump 0x108", "before its definition"),
            ("mark 0x100 4\nt0 = const 0x1\nt0 = const 0x2\njump 0x108", "defined twice"),
            ("mark 0x100 4\nt0 = get x0\njump 0x108", "may not be accessed"),
            ("mark 0x100 4\nt0 = const 0x1\nt1 = lr.16.relaxed t0\njump 0x108", "32 or 64"),
            ("mark 0x100 4\nt0 = const 0x1\nt1 = fadd.d.dyn t0, t0\njump 0x108", "checkfrm"),
            ("mark 0x100 4\nt0 = csrr 0x7c0\njump 0x108", "does not exist"),
            ("mark 0x100 4\nt0 = const 0x1\ncsrw 0xc00, t0\njump 0x108", "not writable"),
            ("mark 0x100 4\nbranch t3, 0x0, 0x0", "terminator"),
        ];
        for (body, expected) in cases {
            let err = check(body).expect_err(body);
            assert!(err.to_string().contains(expected), "{body}: got `{err}`, wanted `{expected}`");
        }
    }
}
