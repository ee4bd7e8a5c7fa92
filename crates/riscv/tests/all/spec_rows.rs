//! The table test for the extensions newer than binutils 2.40: every row of
//! `spec_rows_data.rs` (written from the specifications, see there) decodes,
//! disassembles to the expected text under the full ISA, re-encodes, and is
//! an instruction of RVA23U64 (of `max` for the optional vector crypto)
//! that rv64gc does not have (hints aside).

use crate::spec_rows_data::SPEC_ROWS;
use ferrovm_riscv::{Ext, ExtSet, Inst, decode, decode32, disasm_word_isa, encode};

#[test]
fn spec_rows_decode_disassemble_and_reencode() {
    let mut failures = Vec::new();
    for &(word, len, text, _hint) in SPEC_ROWS {
        let inst = decode(word);
        if inst.len != len || !inst.is_legal() {
            failures.push(format!("{word:#x}: {inst:?}"));
            continue;
        }
        let got = disasm_word_isa(word, 0, ExtSet::IMPLEMENTED);
        if got != text {
            failures.push(format!("{word:#x}: disasm {got:?}, want {text:?}"));
        }
        let encoded = encode(&inst);
        let ok = match len {
            4 => encoded == Some(word),
            _ => encoded.is_some_and(|w| decode32(w) == Inst { len: 4, ..inst }),
        };
        if !ok {
            failures.push(format!("{word:#x}: encode gave {encoded:x?} for {inst:?}"));
        }
        let base_text = text.split('\t').next().unwrap_or("");
        let is_hint = matches!(base_text, "pause" | "or") || base_text.starts_with(['n', 'p']);
        // The vector crypto beyond Zvkb is optional: in `max`, not RVA23U64.
        let optional =
            matches!(inst.op.ext(), Ext::Zvkned | Ext::Zvknha | Ext::Zvkg | Ext::Zvbc | Ext::Zvksed | Ext::Zvksh);
        let profile = if optional { ExtSet::IMPLEMENTED } else { ExtSet::RVA23U64 };
        if !profile.allows(&inst, word) || (optional && ExtSet::RVA23U64.allows(&inst, word)) {
            failures.push(format!("{word:#x}: not in rva23u64 (or in it though optional)"));
        }
        if !is_hint && ExtSet::RV64GC.allows(&inst, word) {
            failures.push(format!("{word:#x}: {text} allowed in rv64gc"));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
