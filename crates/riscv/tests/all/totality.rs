//! The decoder is total: every input gives an `Inst`, never a panic, and
//! every 32-bit word that decodes re-encodes to exactly itself.
//!
//! There are no don't-care bits to worry about: `inst.rs` proves at compile
//! time that each table pattern's fixed bits plus its format's operand fields
//! cover all 32 bits, and the fields ferrovm keeps include the ones the spec
//! reserves and tells implementations to ignore (`fence`'s `fm`/`rd`/`rs1`,
//! `fence.i`'s `imm`/`rd`/`rs1`). So `encode(decode32(w)) == Some(w)` holds
//! for every non-illegal `w`, not just canonical encodings.

use ferrovm_riscv::{Opcode, decode, decode16, decode32, disasm, disasm_word, encode};
use rand::{Rng, SeedableRng, rngs::StdRng};

#[test]
fn every_16_bit_word_decodes() {
    let mut legal = 0;
    for h in 0..=u16::MAX {
        let i = decode16(h);
        assert_eq!(i.len, 2);
        let via_decode = decode(u32::from(h) | 0xdead_0000);
        if h & 3 != 3 {
            assert_eq!(via_decode, i, "{h:#06x}");
        }
        if i.is_legal() {
            legal += 1;
            // The expansion is a real 32-bit instruction.
            let w = encode(&i).unwrap_or_else(|| panic!("{h:#06x} expands to {i:?}"));
            assert_eq!(decode32(w).op, i.op);
        } else {
            assert_eq!(i.imm, i64::from(h), "illegal keeps its bits");
        }
        let _ = disasm_word(u32::from(h), 0x1000);
    }
    // 3 quadrants of 16384 words, minus the reserved encodings.
    assert!(legal > 45_000, "{legal}");
}

#[test]
fn ten_million_random_32_bit_words_decode_and_reencode() {
    let mut rng = StdRng::seed_from_u64(0x7074_a11e);
    let mut legal = 0u32;
    for n in 0..10_000_000u32 {
        let w: u32 = rng.r#gen();
        let i = decode32(w);
        assert_eq!(i.len, 4);
        if i.is_legal() {
            legal += 1;
            assert_eq!(encode(&i), Some(w), "{w:#010x} decoded to {i:?}");
        } else {
            assert_eq!(i.op, Opcode::Illegal);
        }
        if n % 100 == 0 {
            let _ = disasm(&decode(w), u64::from(w));
            let _ = disasm_word(w, u64::from(w));
        }
    }
    assert!(legal > 500_000, "{legal}");
}

#[test]
fn each_pattern_decodes_to_its_opcode() {
    for &op in Opcode::ALL {
        let (mut matches, _) = op.encoding();
        if op == Opcode::Packw {
            // With rs2 = x0 it is `zext.h`, the special case listed first.
            assert_eq!(decode32(matches).op, Opcode::ZextH);
            matches |= 1 << 20;
        }
        let i = decode32(matches);
        assert_eq!(i.op, op, "{matches:#010x}");
        assert_eq!(encode(&i), Some(matches));
    }
}
