//! Documented places where qemu-riscv64 7.2 disagrees with the RISC-V
//! specification (see `KNOWN_QEMU_DIFFERENCES.md`, which quotes the spec for
//! each). A difference is excused only if it matches one of these patterns
//! exactly *and* ferrovm produced the spec-correct value; anything else is a
//! divergence. The list is empty until a QEMU bug is confirmed against the
//! spec text: an entry here must never paper over a ferrovm bug.

use crate::generator::Case;
use crate::run::{Diff, Record};

/// If the oracle/subject `diffs` on `case` are all explained by a documented
/// QEMU bug, with ferrovm (`subject`) on the spec's side, the bug's name.
pub fn qemu_bug(case: &Case, oracle: &Record, subject: &Record, diffs: &[Diff]) -> Option<&'static str> {
    let _ = (case, oracle, subject, diffs);
    None
}
