//! Interpreter throughput in guest instructions per second.
//!
//! `cargo bench -p ferrovm-engine --bench interp` runs two guest loops built
//! in memory with ferrovm's encoder and reports their throughput in
//! elements/s, where one element is one retired guest instruction:
//!
//! - `integer_loop`: ALU work (add, xor, shifts, sub) and a counted branch;
//! - `mixed`: loads and stores over a buffer, multiply and divide, a call and
//!   return per iteration, compressed-free RV64 code.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferrovm_engine::{EngineConfig, EngineMode, Exit, Vcpu, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, Perms};
use ferrovm_riscv::{Inst, Opcode, encode};

const CODE: u64 = 0x10000;
const DATA: u64 = 0x40000;

fn op(op: Opcode, rd: u8, rs1: u8, rs2: u8, imm: i64) -> u32 {
    let inst = Inst { op, rd, rs1, rs2, rs3: 0, imm, rm: 0, len: 4 };
    encode(&inst).unwrap_or_else(|| panic!("cannot encode {inst:?}"))
}

// Registers.
const T0: u8 = 5;
const T1: u8 = 6;
const A0: u8 = 10;
const A1: u8 = 11;
const A2: u8 = 12;
const A3: u8 = 13;
const A4: u8 = 14;
const RA: u8 = 1;

/// A loop of `body` run `iterations` times (counter in t0), then `ecall`.
fn counted_loop(iterations: i64, body: &[u32]) -> Vec<u32> {
    let mut code =
        vec![op(Opcode::Lui, T0, 0, 0, (iterations >> 12) << 12), op(Opcode::Addi, T0, T0, 0, iterations & 0xfff)];
    let top = code.len();
    code.extend_from_slice(body);
    code.push(op(Opcode::Addi, T0, T0, 0, -1));
    let back = -4 * (code.len() - top) as i64;
    code.push(op(Opcode::Bne, 0, T0, 0, back));
    code.push(op(Opcode::Ecall, 0, 0, 0, 0));
    code
}

fn integer_loop(iterations: i64) -> Vec<u32> {
    counted_loop(
        iterations,
        &[
            op(Opcode::Add, A0, A0, T0, 0),
            op(Opcode::Xor, A1, A1, A0, 0),
            op(Opcode::Slli, A2, A1, 0, 3),
            op(Opcode::Srli, A3, A0, 0, 5),
            op(Opcode::Add, A1, A1, A2, 0),
            op(Opcode::Sub, A0, A0, A3, 0),
        ],
    )
}

fn mixed_loop(iterations: i64) -> Vec<u32> {
    // t1 = DATA; body: index = t0 & 63; load, multiply, divide, store, call.
    let body = [
        op(Opcode::Andi, A4, T0, 0, 63),
        op(Opcode::Slli, A4, A4, 0, 3),
        op(Opcode::Add, A4, A4, T1, 0),
        op(Opcode::Ld, A2, A4, 0, 0),
        op(Opcode::Mul, A3, A2, T0, 0),
        op(Opcode::Addi, A3, A3, 0, 7),
        op(Opcode::Divu, A1, A3, T0, 0),
        op(Opcode::Sd, 0, A4, A1, 0),
        op(Opcode::Jal, RA, 0, 0, 0), // patched below to call `leaf`
    ];
    let call_at = body.len() - 1;
    let mut code = vec![op(Opcode::Lui, T1, 0, 0, DATA as i64)];
    let mut looped = counted_loop(iterations, &body);
    // leaf: a0 += a1; ret
    let leaf = looped.len();
    looped.push(op(Opcode::Add, A0, A0, A1, 0));
    looped.push(op(Opcode::Jalr, 0, RA, 0, 0));
    let call_index = 2 + call_at; // after the two counter-setup instructions
    looped[call_index] = op(Opcode::Jal, RA, 0, 0, 4 * (leaf as i64 - call_index as i64));
    code.extend(looped);
    code
}

fn setup(words: &[u32]) -> (Vcpu, Cpu) {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    mem.map(CODE, 0x1000, Perms::RX).expect("map code");
    mem.map(DATA, 0x1000, Perms::RW).expect("map data");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes_force(CODE, &bytes).expect("write code");
    let vm = Vm::new(mem, EngineConfig { mode: EngineMode::Interp, ..EngineConfig::default() });
    (vm.vcpu(Cpu::default()), Cpu { pc: CODE, ..Cpu::default() })
}

/// Runs the program to its `ecall`; returns instructions retired.
fn run(vcpu: &mut Vcpu) -> u64 {
    vcpu.cpu = Cpu { pc: CODE, ..Cpu::default() };
    assert_eq!(vcpu.run(), Exit::Ecall);
    vcpu.cpu.instret
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("interp");
    group.sample_size(10);
    for (name, code) in [("integer_loop", integer_loop(1_000_000)), ("mixed", mixed_loop(300_000))] {
        let (mut engine, cpu) = setup(&code);
        engine.cpu = cpu;
        assert_eq!(engine.run(), Exit::Ecall, "{name} reaches its ecall");
        let insns = engine.cpu.instret;
        group.throughput(Throughput::Elements(insns));
        group.bench_function(name, |b| b.iter(|| run(&mut engine)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
