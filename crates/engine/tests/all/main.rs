//! Integration tests of the engine: lifter golden files, and the run loop.

mod arch_tests;
mod debug;
mod faults;
mod filetests;
mod jit_diff;
mod run_loop;
mod smc;
mod support;
mod vector_diff;
