//! The decoder table test: every row of `table_rows.rs` (generated once by
//! `tests/gen/gen_table.py` from GNU as + objdump) must decode, disassemble
//! to objdump's text and re-encode to the same word. Together the rows cover
//! every opcode, the pseudo-instructions objdump prints, and RVC.

use crate::table_rows::ROWS;
use ferrovm_riscv::{Inst, Opcode, decode, decode32, disasm, disasm_word, encode};
use std::collections::BTreeSet;

#[test]
fn every_row_decodes_disassembles_and_reencodes() {
    let mut failures = Vec::new();
    for &(pc, word, len, text, hint) in ROWS {
        let inst = decode(word);
        if inst.len != len {
            failures.push(format!("{word:#x}: length {} (want {len})", inst.len));
        }
        let from_word = disasm_word(word, pc);
        if from_word != text {
            failures.push(format!("{word:#x}: disasm_word {from_word:?}, objdump {text:?}"));
        }
        let from_inst = disasm(&inst, pc);
        if !hint && from_inst != text {
            failures.push(format!("{word:#x}: disasm {from_inst:?}, objdump {text:?}"));
        }
        if inst.is_legal() {
            let encoded = encode(&inst);
            let ok = match len {
                4 => encoded == Some(word),
                _ => encoded.is_some_and(|w| decode32(w) == Inst { len: 4, ..inst }),
            };
            if !ok {
                failures.push(format!("{word:#x}: encode gave {encoded:x?} for {inst:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn rows_cover_every_opcode() {
    // objdump 2.40's rows and, for the newer extensions, the spec's.
    let seen: BTreeSet<Opcode> = ROWS
        .iter()
        .map(|&(_, w, ..)| decode(w).op)
        .chain(crate::spec_rows_data::SPEC_ROWS.iter().map(|&(w, ..)| decode(w).op))
        .collect();
    let missing: Vec<&str> = Opcode::ALL.iter().filter(|op| !seen.contains(op)).map(|op| op.name()).collect();
    assert!(missing.is_empty(), "opcodes without a table row: {missing:?}");
}
