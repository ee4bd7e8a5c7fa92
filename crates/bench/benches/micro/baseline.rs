//! Baseline compile time per block and per guest instruction: what a cold
//! block costs before it first runs (lifted blocks of a real program, not
//! optimized, as the tiered engine's cold path compiles them), including
//! installing the code in the code cache and retiring it.

use criterion::{Criterion, Throughput};
use ferrovm_jit::Flavor;

use crate::common::{block_starts, code_store, guest_text, lifted_blocks};

pub fn bench(c: &mut Criterion) {
    let (base, text) = guest_text("bigprog");
    let starts = block_starts(base, &text, 2000);
    let blocks = lifted_blocks(base, &text, &starts);
    let insns: usize = blocks.iter().map(|b| b.insn_count()).sum();
    let (store, mut links) = code_store();
    let mut compiler = store.compiler();
    // As the tiered engine's cold blocks: quick code that counts its runs.
    let flavor = Flavor { optimize: false, hot_at: Some(16_384), checked: false };

    let mut compile_all = || {
        let mut bytes = 0usize;
        for b in &blocks {
            let Ok(mut f) = store.compile_baseline(&mut compiler, b, flavor, &mut links) else { continue };
            bytes += f.code_bytes();
            if let Ok(code) = store.install(&mut f) {
                store.retire(code);
            }
        }
        bytes
    };

    let mut group = c.benchmark_group("baseline");
    group.throughput(Throughput::Elements(blocks.len() as u64));
    group.bench_function("compile_per_block", |b| b.iter(&mut compile_all));
    group.throughput(Throughput::Elements(insns as u64));
    group.bench_function("compile_per_insn", |b| b.iter(&mut compile_all));
    group.finish();
}
