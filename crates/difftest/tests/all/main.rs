//! Integration tests: the generator's encodings against GNU `as`, the
//! harness against qemu-riscv64, and ferrovm against qemu-riscv64.

mod asm;
mod coverage;
mod oracle;
