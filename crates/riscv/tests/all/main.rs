//! Integration tests of ferrovm-riscv (one binary, as STYLE.md asks).
//!
//! Tests marked "oracle" compare with GNU binutils (`riscv64-linux-gnu-as`,
//! `riscv64-linux-gnu-objdump`, 2.40). They skip with a message when the tools
//! are missing, unless `FERROVM_REQUIRE_ORACLES=1`, in which case they fail.

mod arb;
mod elf_listing;
mod objdump_oracle;
mod oracle;
mod roundtrip;
mod spec_rows;
mod spec_rows_data;
mod table;
mod table_rows;
mod totality;
