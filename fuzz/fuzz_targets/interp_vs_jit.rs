//! Interpreter vs JIT on instruction streams made from the fuzzer's bytes.
//!
//! The first 512 bytes seed the registers (integer and FP, a quarter of the
//! FP ones from a table of special values); the rest are instruction words
//! kept only if they decode to a legal instruction. Branches and `jal` are
//! pointed forward and indirect jumps dropped, so every stream ends (the
//! fuel limit is the stream length, at most 64 instructions, plus one
//! `ecall`). The interpreter and the JIT (as first compiled, and as hot
//! code) start from the same state and must end with the same exit,
//! registers, fflags/frm, instret and memory.
#![no_main]

use std::sync::Arc;

use std::num::NonZeroU32;

use ferrovm_engine::{EngineConfig, EngineMode, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, Perms};
use ferrovm_riscv::{Opcode, decode, encode};
use libfuzzer_sys::fuzz_target;

const CODE: u64 = 0x10000;
const DATA: u64 = 0x20000;
const MAX_INSNS: usize = 64;

fn code_from(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, w) in bytes.chunks_exact(4).take(MAX_INSNS).enumerate() {
        let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) | 3;
        let mut inst = decode(word);
        if !inst.is_legal() || inst.op == Opcode::Jalr {
            continue;
        }
        if format!("{:?}", inst.op).starts_with("Csr") && inst.imm & 0xfff == 0xc01 {
            continue; // `time` differs between runs
        }
        let branch = matches!(
            inst.op,
            Opcode::Beq | Opcode::Bne | Opcode::Blt | Opcode::Bge | Opcode::Bltu | Opcode::Bgeu | Opcode::Jal
        );
        let word = if branch {
            inst.imm = 4 * (1 + (i as i64 % 5));
            match encode(&inst) {
                Some(w) => w,
                None => continue,
            }
        } else {
            word
        };
        out.extend(word.to_le_bytes());
    }
    out.extend(0x73u32.to_le_bytes());
    out
}

fn run(code: &[u8], start: &Cpu, config: EngineConfig) -> (ferrovm_engine::Exit, Cpu, Vec<u8>) {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    mem.map(CODE, 0x1000, Perms::RX).expect("code");
    mem.write_bytes_force(CODE, code).expect("code");
    mem.map(DATA, 0x2000, Perms::RW).expect("data");
    let vm = Vm::new(Arc::clone(&mem), config);
    let mut vcpu = vm.vcpu(start.clone());
    let exit = vcpu.run();
    let cpu = vcpu.cpu.clone();
    let mut data = vec![0; 0x2000];
    mem.read_bytes_force(DATA, &mut data).expect("data");
    (exit, cpu, data)
}

/// Doubles whose upper halves are interesting singles too: ±0, 1,
/// infinity, quiet and signalling NaNs, subnormals, the normal extremes,
/// rounding halfway cases, integer-conversion edges, values whose products
/// overflow or underflow.
const FP_EDGES: [u64; 14] = [
    0,
    0x3ff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0x7ff8_0000_0000_0001,
    0x7ff0_0000_0000_0001,
    0x0000_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x3fe0_0000_0000_0000,
    0x3ff8_0000_0000_0000,
    0x41df_ffff_ffe0_0000,
    0x43e0_0000_0000_0000,
    0x5fe0_0000_0000_0000,
];

fuzz_target!(|bytes: &[u8]| {
    if bytes.len() < 512 {
        return;
    }
    let (regs, code) = bytes.split_at(512);
    let mut start = Cpu { pc: CODE, ..Cpu::default() };
    for (r, chunk) in regs.chunks_exact(8).enumerate().skip(1) {
        let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        start.regs[r] = match (r < 32, v & 3) {
            // Half of the integer registers point into the data pages.
            (true, 0 | 2) => DATA + 0x800 + (v >> 1) % 0x1000,
            // A quarter of the FP registers hold a value FP operations
            // treat specially, as a double or a NaN-boxed single.
            (false, 0) => {
                let e = FP_EDGES[(v >> 3) as usize % FP_EDGES.len()] ^ ((v >> 2 & 1) << 63);
                if v & 1 << 8 != 0 { 0xffff_ffff_0000_0000 | (e >> 32) } else { e }
            }
            _ => v,
        };
    }
    start.frm = u64::from(regs[0] % 8);
    start.fflags = u64::from(regs[1] % 32);
    let code = code_from(code);
    let interp = run(&code, &start, EngineConfig::default());
    let jit = |tier_up: u32| EngineConfig {
        mode: EngineMode::Jit { tier_up: NonZeroU32::new(tier_up) },
        ..EngineConfig::default()
    };
    // Compiled once, unoptimized; first-run code that counts its runs
    // (single-pass register allocation); and recompiled as hot code at once
    // (Cranelift's optimizer on).
    let native = run(&code, &start, jit(0));
    assert_eq!(interp, native, "interpreter and JIT disagree");
    let quick = run(&code, &start, jit(1 << 30));
    assert_eq!(interp, quick, "interpreter and the JIT's counting first-run code disagree");
    let hot = run(&code, &start, jit(1));
    assert_eq!(interp, hot, "interpreter and the JIT's hot code disagree");
});
