//! ferrovm-riscv (under construction)
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// The lifter (instruction semantics → IR); keep this line when editing.
mod compressed;
mod csr_names;
mod decode;
mod disasm;
mod encode;
mod inst;
pub mod lift;
mod table;

pub use compressed::decode16;
pub use decode::{decode, decode32};
pub use disasm::{ExtSet, FREG_NAMES, PrivSpec, XREG_NAMES, csr_name, disasm, disasm_word};
pub use encode::encode;
pub use inst::{Ext, Format, Inst, Opcode, RegFile};
