//! ferrovm-riscv (under construction)
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

pub mod lift;
mod compressed;
mod decode;
mod encode;
mod inst;
mod table;

pub use compressed::decode16;
pub use decode::{decode, decode32};
pub use encode::encode;
pub use inst::{Ext, Format, Inst, Opcode, RegFile};
