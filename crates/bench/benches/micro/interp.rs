//! Interpreter dispatch cost: executing one small lowered block (the
//! per-block overhead plus a few ops), and lowering it.

use criterion::{Criterion, Throughput, black_box};
use ferrovm_interp::{Frame, execute, lower};
use ferrovm_ir::Cpu;
use ferrovm_ir::text::parse_blocks;
use ferrovm_mem::AddressSpace;

/// A loop body as the lifter emits it: 4 guest instructions, a conditional
/// branch back to itself.
const BLOCK: &str = "block 0x1000..0x1010 {
    mark 0x1000 4
    t0 = get x10
    t1 = get x11
    t2 = add t0, t1
    set x10, t2
    mark 0x1004 4
    t3 = xor t2, t1
    set x12, t3
    mark 0x1008 4
    t4 = const 0xffffffffffffffff
    t5 = add t1, t4
    set x11, t5
    mark 0x100c 4
    t6 = const 0x0
    t7 = ne t5, t6
    branch t7, 0x1000, 0x1010
}";

pub fn bench(c: &mut Criterion) {
    let block = parse_blocks(BLOCK).expect("block parses").remove(0);
    let lowered = lower(&block).expect("block lowers");
    let mem = AddressSpace::new().expect("address space");
    let mut frame: Frame = [0; 256];
    let mut cpu = Cpu::default();

    let mut group = c.benchmark_group("interp");
    group.throughput(Throughput::Elements(1));
    group.bench_function("execute_small_block", |b| {
        b.iter(|| {
            cpu.pc = 0x1000;
            cpu.regs[11] = 1 << 40; // never reaches zero: always the taken edge
            black_box(execute(&lowered, &mut cpu, &mem, &mut frame))
        })
    });
    group.bench_function("lower_small_block", |b| b.iter(|| lower(black_box(&block)).expect("lowers")));
    group.finish();
}
