//! ferrovm-riscv (under construction)
