//! Micro-benchmarks of ferrovm's translation and dispatch pieces, on real
//! guest code (the committed workload ELFs):
//!
//! - `decode`: instruction decode throughput (instructions/s);
//! - `lift`: lift + the default IR pass pipeline, per block and per guest
//!   instruction;
//! - `interp`: interpreter dispatch — executing a small lowered block, and
//!   lowering it;
//! - `baseline`: baseline compile time per block and per guest instruction
//!   (cold blocks, not optimized);
//! - `jit`: Cranelift compile time per block and per guest instruction, and
//!   code-cache lookup by guest pc (hits and misses).
//!
//! `cargo bench -p ferrovm-bench --bench micro` runs all; add a filter
//! (`-- decode`) for one group. Whole-program numbers come from the
//! `ferrovm-bench` binary, not from here.

mod baseline;
mod common;
mod decode;
mod interp;
mod jit;
mod lift;

use criterion::{criterion_group, criterion_main};

criterion_group!(benches, baseline::bench, decode::bench, lift::bench, interp::bench, jit::bench);
criterion_main!(benches);
