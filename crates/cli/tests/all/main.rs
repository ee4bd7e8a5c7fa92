//! Integration tests of the `ferrovm` binary: whole guest programs and the
//! command line. One test binary for the crate (see STYLE.md).

mod cli;
mod cli_qemu;
mod diag;
mod gdb;
mod guests;
mod isa;
mod jit;
mod linux;
mod support;
