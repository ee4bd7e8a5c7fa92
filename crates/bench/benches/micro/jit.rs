//! Cranelift compile time per block and per guest instruction (lifted,
//! optimized blocks of a real program), and code-cache lookup by guest pc.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, Throughput, black_box};
use ferrovm_jit::{Jit, JitOptions};
use ferrovm_mem::AddressSpace;

use crate::common::{block_starts, guest_text, optimized_blocks};

pub fn bench(c: &mut Criterion) {
    let (base, text) = guest_text("bigprog");
    let starts = block_starts(base, &text, 500);
    let blocks = optimized_blocks(base, &text, &starts);
    let insns: usize = blocks.iter().map(|b| b.insn_count()).sum();
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    let mut jit = Jit::new(mem, Arc::new(AtomicBool::new(false)), JitOptions::default()).expect("jit");

    let compile_all = |jit: &mut Jit| {
        let mut bytes = 0usize;
        for b in &blocks {
            bytes += jit.compile(b).map(|c| c.code_bytes).unwrap_or(0);
        }
        jit.flush();
        bytes
    };

    let mut group = c.benchmark_group("jit");
    group.sample_size(10);
    group.throughput(Throughput::Elements(blocks.len() as u64));
    group.bench_function("compile_per_block", |b| b.iter(|| compile_all(&mut jit)));
    group.throughput(Throughput::Elements(insns as u64));
    group.bench_function("compile_per_insn", |b| b.iter(|| compile_all(&mut jit)));

    // Code-cache lookup: every compiled pc (hits), then pcs in between (misses).
    for b in &blocks {
        let _ = jit.compile(b);
    }
    let hits: Vec<u64> = blocks.iter().map(|b| b.start).collect();
    let misses: Vec<u64> = hits.iter().map(|pc| pc + 1).collect();
    group.sample_size(50);
    group.throughput(Throughput::Elements(hits.len() as u64));
    group.bench_function("lookup_hit", |b| b.iter(|| hits.iter().filter(|&&pc| jit.contains(black_box(pc))).count()));
    group
        .bench_function("lookup_miss", |b| b.iter(|| misses.iter().filter(|&&pc| jit.contains(black_box(pc))).count()));
    group.finish();
}
