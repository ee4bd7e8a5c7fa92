//! Fuzz-style property: a random instruction of a random opcode with random
//! valid fields encodes, and decodes back to itself.

use crate::arb::random_inst;
use ferrovm_riscv::{Inst, Opcode, decode, decode32, disasm, encode};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng};

fn any_inst() -> impl Strategy<Value = Inst> {
    (0..Opcode::ALL.len(), any::<u64>()).prop_map(|(i, seed)| {
        let op = Opcode::ALL.get(i).copied().unwrap_or(Opcode::Add);
        random_inst(op, &mut StdRng::seed_from_u64(seed))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn encode_then_decode_is_identity(inst in any_inst()) {
        let word = encode(&inst).expect("random_inst only builds encodable instructions");
        prop_assert_eq!(decode32(word), inst);
        prop_assert_eq!(decode(word), inst);
        prop_assert!(!disasm(&inst, 0x1000).is_empty());
    }

    #[test]
    fn decode_then_encode_is_identity(word in any::<u32>()) {
        let inst = decode32(word);
        if inst.is_legal() {
            prop_assert_eq!(encode(&inst), Some(word));
        }
    }
}
