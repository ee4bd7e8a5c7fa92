//! Lifting guest blocks to IR and running the default pass pipeline, per
//! block and per guest instruction.

use criterion::{Criterion, Throughput};
use ferrovm_ir::passes::PassManager;
use ferrovm_riscv::lift::{MAX_BLOCK_INSNS, lift_block_limited};

use crate::common::{block_starts, fetcher, guest_text};

pub fn bench(c: &mut Criterion) {
    let (base, text) = guest_text("bigprog");
    let starts = block_starts(base, &text, 2000);
    let pm = PassManager::default_pipeline();
    let lift_all = |optimize: bool| {
        let mut fetch = fetcher(base, &text);
        let mut ops = 0usize;
        for &pc in &starts {
            let mut block = lift_block_limited(pc, MAX_BLOCK_INSNS, &mut fetch).expect("lifts");
            if optimize {
                pm.run(&mut block).expect("passes");
            }
            ops += block.ops.len();
        }
        ops
    };
    let insns: usize = {
        let mut fetch = fetcher(base, &text);
        starts.iter().map(|&pc| lift_block_limited(pc, MAX_BLOCK_INSNS, &mut fetch).expect("lifts").insn_count()).sum()
    };

    let mut group = c.benchmark_group("lift");
    group.sample_size(20);
    group.throughput(Throughput::Elements(starts.len() as u64));
    group.bench_function("lift_optimize_per_block", |b| b.iter(|| lift_all(true)));
    group.bench_function("lift_only_per_block", |b| b.iter(|| lift_all(false)));
    group.throughput(Throughput::Elements(insns as u64));
    group.bench_function("lift_optimize_per_insn", |b| b.iter(|| lift_all(true)));
    group.finish();
}
