//! Where qemu-riscv64 7.2 (and QEMU 10, the second oracle) disagrees with
//! the RISC-V specification, and how the comparison copes (the spec text is
//! in `KNOWN_QEMU_DIFFERENCES.md`).
//!
//! Two mechanisms, both narrow and both visible in the summary:
//! - [`oracle_substitute`]: an instruction QEMU computes wrongly is run on
//!   QEMU as a spec-equivalent sequence of instructions it gets right, with the
//!   same code layout, while ferrovm runs the real instruction. ferrovm's
//!   result is then still compared exactly — against the spec's value.
//! - [`qemu_bug`]: a difference matching a documented pattern is excused
//!   only if ferrovm has the spec-correct value. (No entries yet.)
//!
//! Nothing here may paper over a ferrovm bug.

use crate::generator::{Case, Insn};
use crate::isa::{Inst, op_named};
use crate::oracle::Oracle;
use crate::run::{Diff, Record};

/// Name under which cases using the `ctzw` substitution are counted.
pub const CTZW: &str = "qemu-7.2-ctzw";
/// Name under which cases using the `fround`/`froundnx` substitution are
/// counted.
pub const FROUND: &str = "qemu-10-fround-flags";

/// [`oracle_substitute`] for the QEMU the case is for: QEMU 7.2's `ctzw`,
/// or QEMU 10's `fround`/`froundnx`.
///
/// `fround[nx].{h,s,d} rd, rs1, rm` — QEMU 10 declares their helpers free
/// of side effects (`TCG_CALL_NO_RWG_SE` in `target/riscv/helper.h`), so
/// when the next write to `rd` in the same translation block comes before
/// any read of it, TCG deletes the call and the flags it raises with it
/// (NX of `froundnx`, NV of a signalling NaN). QEMU runs
/// `fround[nx] rd, rs1, rm; feq.d x0, rd, rd`: a read of `rd` by a helper
/// TCG must keep, which changes nothing (it writes `x0`, and `rd` then
/// holds a number, the canonical NaN or a NaN-boxed binary32/binary16,
/// which as a binary64 is a quiet NaN: no flag). (`fsgnj.d rd, rd, rd`
/// does not do: QEMU makes it a move of `rd` to itself, which is dropped.)
/// ferrovm runs `fround[nx] rd, rs1, rm; nop`, so its own dead-code
/// elimination is still tested against the spec.
pub fn oracle_substitute_for(i: &Inst, oracle: Oracle) -> Option<(Vec<Insn>, Vec<Insn>)> {
    match oracle {
        Oracle::Qemu72 => oracle_substitute(i),
        Oracle::Qemu10 if i.op.name.starts_with("fround") => {
            let nop = Inst::new(op_named("addi"));
            let mut keep = Inst::new(op_named("feq.d"));
            (keep.rd, keep.rs1, keep.rs2) = (0, i.rd, i.rd);
            Some((vec![Insn::Full(*i), Insn::Full(nop)], vec![Insn::Full(*i), Insn::Full(keep)]))
        }
        Oracle::Qemu10 => None,
    }
}

/// For an instruction QEMU 7.2 executes incorrectly: what ferrovm runs and
/// what QEMU runs instead (equal total size).
///
/// `ctzw rd, rs1` — QEMU 7.2 counts trailing zeros of the whole 64-bit
/// register instead of its low word (`ctzw` of `1 << 63` gives 63, not 32;
/// fixed upstream by "target/riscv: fix ctzw behavior", QEMU 8.0). QEMU runs
/// `bseti rd, rs1, 32; ctz rd, rd`, which is `ctzw` exactly: bits below 32
/// are unchanged and bit 32 caps the count at 32. ferrovm runs
/// `ctzw rd, rs1; nop`.
pub fn oracle_substitute(i: &Inst) -> Option<(Vec<Insn>, Vec<Insn>)> {
    if i.op.name != "ctzw" {
        return None;
    }
    let nop = Inst::new(op_named("addi"));
    let mut bset = Inst::new(op_named("bseti"));
    (bset.rd, bset.rs1, bset.imm) = (i.rd, i.rs1, 32);
    let mut ctz = Inst::new(op_named("ctz"));
    (ctz.rd, ctz.rs1) = (i.rd, i.rd);
    Some((vec![Insn::Full(*i), Insn::Full(nop)], vec![Insn::Full(bset), Insn::Full(ctz)]))
}

/// Which substitutions `case` relies on (for the summary).
pub fn substitutions(case: &Case) -> Vec<&'static str> {
    if case.code.iter().any(|i| matches!(i, Insn::Word(_))) {
        return crate::vector::substitutions(case);
    }
    let uses = |name: &str| case.code.iter().any(|i| matches!(i, Insn::Full(x) if x.op.name.starts_with(name)));
    match case.oracle {
        _ if case.oracle_code.is_none() => Vec::new(),
        Oracle::Qemu72 if uses("ctzw") => vec![CTZW],
        Oracle::Qemu10 if uses("fround") => vec![FROUND],
        _ => Vec::new(),
    }
}

/// If the oracle/subject `diffs` on `case` are all explained by a documented
/// QEMU bug, with ferrovm (`subject`) on the spec's side, the bug's name.
pub fn qemu_bug(case: &Case, oracle: &Record, subject: &Record, diffs: &[Diff]) -> Option<&'static str> {
    let _ = (case, oracle, subject, diffs);
    None
}
