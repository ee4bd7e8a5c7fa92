//! Where qemu-riscv64 7.2 disagrees with the RISC-V specification, and how
//! the comparison copes (the spec text is in `KNOWN_QEMU_DIFFERENCES.md`).
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
use crate::run::{Diff, Record};

/// Name under which cases using the `ctzw` substitution are counted.
pub const CTZW: &str = "qemu-7.2-ctzw";

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
    let uses = |name: &str| case.code.iter().any(|i| matches!(i, Insn::Full(x) if x.op.name == name));
    if case.oracle_code.is_some() && uses("ctzw") { vec![CTZW] } else { Vec::new() }
}

/// If the oracle/subject `diffs` on `case` are all explained by a documented
/// QEMU bug, with ferrovm (`subject`) on the spec's side, the bug's name.
pub fn qemu_bug(case: &Case, oracle: &Record, subject: &Record, diffs: &[Diff]) -> Option<&'static str> {
    let _ = (case, oracle, subject, diffs);
    None
}
