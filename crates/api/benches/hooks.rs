//! What the embedding API's machinery costs.
//!
//! `cargo bench -p ferrovm --bench hooks` measures:
//!
//! - `no_hooks/{interp,jit}/{engine,machine}`: a guest loop of 10,000
//!   blocks run by the engine directly (`Vm` + `Vcpu::run`) and by a
//!   `Machine` with no hook installed: the same work, so the same time if
//!   uninstalled hooks cost nothing.
//! - `block_hook/{interp,jit}/{none,hooked}`: the same loop on a machine
//!   made with `block_exits`, without and with a block hook that counts
//!   blocks; the difference over 10,001 blocks is a block hook's cost
//!   per block.
//! - `restore/{1,16,256}_dirty` and `restore/full`: restoring a snapshot
//!   of 16 MiB of mapped memory after writing 1, 16 or 256 of its pages,
//!   and a full restore (the layout changed) for comparison.
//!
//! Results: `benches/results/api-hooks.md`.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ferrovm::{EngineConfig, EngineMode, Flow, Machine, Outcome, Perms, Reg};
use ferrovm_engine::{CompileThreads, Exit, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::AddressSpace;

const CODE: u64 = 0x10000;
const DATA: u64 = 0x20000;
/// Loop iterations (blocks run: one per iteration, plus the first and the
/// `ecall`'s).
const ITERATIONS: u64 = 10_000;

/// `a0` counts to `a1`, storing it to `0(a2)` each time, then `ecall`.
fn loop_code() -> Vec<u8> {
    let words: [u32; 7] = [
        0x00000513, // li a0, 0
        0x00000013, // nop
        0x00150513, // 1: addi a0, a0, 1
        0x00a62023, // sw a0, 0(a2)
        0xfff58593, // addi a1, a1, -1
        0xfe059ae3, // bnez a1, 1b
        0x00000073, // ecall
    ];
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn config(mode: EngineMode, block_exits: bool) -> EngineConfig {
    EngineConfig { mode, block_exits, compile_threads: CompileThreads::Guest, ..EngineConfig::default() }
}

fn modes() -> [(&'static str, EngineMode); 2] {
    [("interp", EngineMode::Interp), ("jit", EngineMode::Jit { tier_up: NonZeroU32::new(100) })]
}

fn machine(config: EngineConfig) -> Machine {
    let mut m = Machine::new(config).expect("machine");
    m.load_code(CODE, &loop_code()).expect("code");
    m.map(DATA, 0x1000, Perms::RW).expect("data");
    m.set_reg(Reg::A2, DATA).expect("a2");
    m
}

/// One run of the loop on `m`.
fn run_machine(m: &mut Machine) {
    m.set_pc(CODE);
    m.set_reg(Reg::A1, ITERATIONS).expect("a1");
    assert_eq!(m.run().expect("run"), Outcome::Ecall);
    assert_eq!(m.reg(Reg::A0).expect("a0"), ITERATIONS);
}

fn no_hooks(c: &mut Criterion) {
    let mut g = c.benchmark_group("no_hooks");
    g.throughput(Throughput::Elements(ITERATIONS));
    for (name, mode) in modes() {
        let mem = Arc::new(AddressSpace::new().expect("memory"));
        mem.map(CODE, 0x1000, Perms::RX).expect("map");
        mem.write_bytes_force(CODE, &loop_code()).expect("code");
        mem.map(DATA, 0x1000, Perms::RW).expect("data");
        let vm = Vm::new(mem, config(mode, false));
        let mut vcpu = vm.vcpu(Cpu::default());
        g.bench_function(format!("{name}/engine"), |b| {
            b.iter(|| {
                vcpu.cpu.pc = CODE;
                vcpu.cpu.regs[11] = ITERATIONS;
                vcpu.cpu.regs[12] = DATA;
                assert_eq!(vcpu.run(), Exit::Ecall);
                black_box(vcpu.cpu.regs[10])
            });
        });
        let mut m = machine(config(mode, false));
        g.bench_function(format!("{name}/machine"), |b| b.iter(|| run_machine(&mut m)));
    }
    g.finish();
}

fn block_hook(c: &mut Criterion) {
    let mut g = c.benchmark_group("block_hook");
    g.throughput(Throughput::Elements(ITERATIONS + 1));
    for (name, mode) in modes() {
        let mut m = machine(config(mode, true));
        g.bench_function(format!("{name}/none"), |b| b.iter(|| run_machine(&mut m)));
        let blocks = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&blocks);
        m.hook_block(move |_, _| {
            counter.fetch_add(1, Ordering::Relaxed);
            Flow::Continue
        });
        g.bench_function(format!("{name}/hooked"), |b| b.iter(|| run_machine(&mut m)));
        assert!(blocks.load(Ordering::Relaxed) > ITERATIONS);
    }
    g.finish();
}

fn restore(c: &mut Criterion) {
    const PAGES: u64 = 4096;
    let mut g = c.benchmark_group("restore");
    let mut m = Machine::new(config(EngineMode::Interp, false)).expect("machine");
    m.map(0x100_0000, PAGES * 4096, Perms::RW).expect("map");
    let snap = m.snapshot().expect("snapshot");
    let mem = Arc::clone(m.memory());
    for dirty in [1u64, 16, 256] {
        g.bench_function(format!("{dirty}_dirty"), |b| {
            b.iter_batched(
                || {
                    for i in 0..dirty {
                        let addr = 0x100_0000 + i * (PAGES / dirty) * 4096;
                        mem.store_u64(addr, i + 1).expect("write");
                    }
                },
                |()| {
                    let r = m.restore(&snap).expect("restore");
                    assert_eq!(r.pages, dirty);
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.sample_size(10);
    g.bench_function("full", |b| {
        b.iter_batched(
            || mem.map(0x8000_0000, 4096, Perms::RW).expect("layout change"),
            |()| {
                let r = m.restore(&snap).expect("restore");
                assert!(r.full);
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, no_hooks, block_hook, restore);
criterion_main!(benches);
