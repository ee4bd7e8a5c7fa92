//! The RISC-V front end of ferrovm: one declarative instruction table
//! (`table.rs`) expanded into the [`Opcode`] enum, a fast total decoder
//! ([`decode`], [`decode32`], [`decode16`] for RVC), an encoder ([`encode`]),
//! and a disassembler that prints exactly what GNU objdump 2.40 prints
//! ([`disasm`], [`disasm_word`], and whole-file listings with
//! [`disassemble_elf`]).
//!
//! Supported: RV64I, M, A, F, D, C, Zicsr, Zifencei, Zba, Zbb, Zbc, Zbs,
//! Zicond, Zfa, Zfhmin, Zfh, Zcb, Zcmop, Zimop, Zawrs, Zicbom, Zicboz,
//! Zbkb, Zbkc, Zbkx, and the hint extensions Zicbop, Zihintpause and
//! Zihintntl; the vector extension V 1.0 with Zvbb (and its subset Zvkb),
//! Zvfhmin, Zvfh and Zvkt: all of RVA23U64 ([`ExtSet`] names the
//! profiles); and the vector crypto Zvkned, Zvknha/Zvknhb, Zvkg, Zvbc,
//! Zvksed and Zvksh, printed in the vector crypto spec's syntax as binutils
//! 2.42 prints it (binutils 2.40 knows none of them).
//! Compressed instructions decode to the [`Inst`] of their 32-bit expansion
//! (with `len == 2`), so later stages never see RVC.
//!
//! ```
//! use ferrovm_riscv::{Opcode, decode, disasm, encode};
//!
//! // `addi sp,sp,-192` as a compressed c.addi16sp, then a 32-bit `ld`.
//! let c = decode(0x7131);
//! assert_eq!((c.op, c.rd, c.imm, c.len), (Opcode::Addi, 2, -192, 2));
//! assert_eq!(disasm(&c, 0x10420), "add\tsp,sp,-192");
//!
//! let ld = decode(0xbb67_3703);
//! println!("{}", disasm(&ld, 0x1042e)); // "ld", a tab, "a4,-1098(a4)"
//! assert_eq!(disasm(&ld, 0x1042e), "ld\ta4,-1098(a4)");
//! assert_eq!(encode(&ld), Some(0xbb67_3703));
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// The lifter (instruction semantics → IR), owned by the engine team: keep this line.
pub mod lift;

mod compressed;
mod csr_names;
mod decode;
mod disasm;
mod encode;
mod error;
mod inst;
mod isa;
mod listing;
mod table;

pub use compressed::{decode16, rvc_ext};
pub use decode::{decode, decode32};
pub use disasm::{FREG_NAMES, PrivSpec, XREG_NAMES, csr_name, disasm, disasm_word, disasm_word_isa};
pub use encode::encode;
pub use error::{Error, Result};
pub use inst::{Ext, Format, Inst, Opcode, RegFile};
pub use isa::{ExtSet, Missing};
pub use listing::{disassemble_elf, disassemble_elf_named, elf_arch};
