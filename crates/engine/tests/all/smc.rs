//! Self-modifying code under every tier: guest stores that rewrite an
//! executable buffer (with and without `fence.i`), and a "syscall" that
//! writes code into an executable page the way `read()` does. Thousands of
//! rewrites; every run must see the newest code.

use std::sync::Arc;

use ferrovm_engine::{EngineConfig, Exit, FaultInjection, JitOptions, MemAccess};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, Perms};

use crate::support::{OneVcpu, interp, jit, tiered};

const CODE: u64 = 0x10000;
const BUF: u64 = 0x12000;
const ITERS: u64 = 2000;

// A few RV64I encodings (unprivileged spec, chapter 2 / 4).
fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}
fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 7, rd, rs1, imm)
}
fn slli(rd: u32, rs1: u32, sh: i32) -> u32 {
    i_type(0x13, 1, rd, rs1, sh)
}
fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x67, 0, rd, rs1, imm)
}
fn r_type(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x33
}
fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(0, 0, rd, rs1, rs2)
}
fn or(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(0, 6, rd, rs1, rs2)
}
fn sw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5 & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | ((imm & 31) << 7) | 0x23
}
fn bne(rs1: u32, rs2: u32, off: i32) -> u32 {
    let o = off as u32;
    ((o >> 12 & 1) << 31)
        | ((o >> 5 & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (1 << 12)
        | ((o >> 1 & 0xf) << 8)
        | ((o >> 11 & 1) << 7)
        | 0x63
}
const FENCE_I: u32 = 0x0000_100f;
const ECALL: u32 = 0x0000_0073;
const RET: u32 = 0x0000_8067; // jalr x0, 0(ra)
const ADDI_A0_ZERO: u32 = 0x0000_0513; // addi a0, zero, 0

const A0: u32 = 10;
const A7: u32 = 17;
const RA: u32 = 1;
const T0: u32 = 5;
const T2: u32 = 7;
const S0: u32 = 8;
const S1: u32 = 9;
const S2: u32 = 18;
const S3: u32 = 19;

fn engines() -> Vec<(&'static str, EngineConfig)> {
    let j = JitOptions::default;
    let failing = JitOptions { fault_injection: Some(FaultInjection { rate: 0.5, seed: 7 }), ..j() };
    vec![
        ("interp", interp()),
        ("jit", jit(None, j())),
        ("jit, no chaining", jit(None, JitOptions { chaining: false, ..j() })),
        ("jit, 8 KiB cache", jit(None, JitOptions { code_cache_size: 8 << 10, ..j() })),
        ("jit, 50% failed compiles", jit(None, failing)),
        ("tiered, compiled after 3 runs", tiered(3, j())),
        ("jit, recompiled as hot code after 3 runs", jit(Some(3), j())),
        // Stores to code pages fault in the host (write-protected pages).
        ("jit, direct memory", jit(None, JitOptions { mem: MemAccess::Direct, ..j() })),
        (
            "jit, 8 KiB cache, direct memory",
            jit(None, JitOptions { code_cache_size: 8 << 10, mem: MemAccess::Direct, ..j() }),
        ),
        ("tiered, direct memory", tiered(3, JitOptions { mem: MemAccess::Direct, ..j() })),
        ("hot code, direct memory", jit(Some(3), JitOptions { mem: MemAccess::Direct, ..j() })),
        // No branch before an access: a store to a code page is made
        // possible in the signal handler and runs again.
        ("tiered, trap memory", tiered(3, JitOptions { mem: MemAccess::Trap, ..j() })),
        ("hot code, trap memory", jit(Some(3), JitOptions { mem: MemAccess::Trap, ..j() })),
    ]
}

fn setup(code: &[u32], config: EngineConfig) -> (OneVcpu, Cpu) {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    mem.map(CODE, 0x1000, Perms::RX).expect("map code");
    mem.map(BUF, 0x1000, Perms::RWX).expect("map buffer");
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes_force(CODE, &bytes).expect("code");
    let mut cpu = Cpu { pc: CODE, ..Cpu::default() };
    cpu.regs[S0 as usize] = BUF;
    cpu.regs[S1 as usize] = ITERS;
    cpu.regs[T2 as usize] = u64::from(ADDI_A0_ZERO);
    cpu.regs[S3 as usize] = u64::from(RET);
    (OneVcpu::new(mem, config), cpu)
}

/// Sum over i = ITERS..1 of (i & 0x7ff): what the generated code returns.
fn expected_sum() -> u64 {
    (1..=ITERS).map(|i| i & 0x7ff).sum()
}

/// The guest writes `addi a0, zero, i & 0x7ff ; ret` into the buffer, calls
/// it and accumulates a0, ITERS times.
fn store_program(with_fence: bool) -> Vec<u32> {
    let mut p = vec![andi(T0, S1, 0x7ff), slli(T0, T0, 20), or(T0, T0, T2), sw(T0, S0, 0), sw(S3, S0, 4)];
    if with_fence {
        p.push(FENCE_I);
    }
    p.extend([jalr(RA, S0, 0), add(S2, S2, A0), addi(S1, S1, -1)]);
    let back = -4 * p.len() as i32;
    p.extend([bne(S1, 0, back), ECALL]);
    p
}

#[test]
fn guest_stores_rewrite_code_thousands_of_times() {
    for with_fence in [true, false] {
        for (name, config) in engines() {
            let (mut engine, mut cpu) = setup(&store_program(with_fence), config);
            assert_eq!(engine.run(&mut cpu), Exit::Ecall, "{name}");
            assert_eq!(cpu.regs[S2 as usize], expected_sum(), "{name}, fence.i: {with_fence}");
            assert!(engine.stats().invalidations + engine.stats().flushes >= ITERS - 1, "{name}: {:?}", engine.stats());
            if name.contains("trap memory") && name.starts_with("hot code") {
                // The hot loop's stores wrote code once as trap-mode code;
                // it was compiled with inline checks then, so the other
                // rewrites took the checked path, not a host fault each.
                assert!(engine.stats().code_writers >= 1, "{name}: {:?}", engine.stats());
                assert!(engine.stats().slow_accesses >= ITERS - 10, "{name}: {:?}", engine.stats());
            }
        }
    }
}

/// The guest asks the environment (ecall 63, like `read`) to write
/// `addi a0, zero, k ; ret` into the buffer, then calls it.
#[test]
fn code_written_by_a_syscall_is_seen() {
    let program = vec![
        addi(A7, 0, 63),
        ECALL,
        jalr(RA, S0, 0),
        add(S2, S2, A0),
        addi(S1, S1, -1),
        bne(S1, 0, -20),
        addi(A7, 0, 93),
        ECALL,
    ];
    for (name, config) in engines() {
        let (mut engine, mut cpu) = setup(&program, config);
        let mem = Arc::clone(engine.memory());
        loop {
            match engine.run(&mut cpu) {
                Exit::Ecall if cpu.regs[A7 as usize] == 63 => {
                    let k = (cpu.regs[S1 as usize] & 0x7ff) as u32;
                    let code = [ADDI_A0_ZERO | (k << 20), RET];
                    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
                    // The Linux layer's read() writes guest memory this way.
                    mem.write_bytes(BUF, &bytes).expect("buffer is writable");
                    cpu.pc += 4;
                }
                Exit::Ecall => break,
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
        assert_eq!(cpu.regs[S2 as usize], expected_sum(), "{name}");
    }
}

/// Code pages that are unmapped and mapped again with new code are
/// re-translated.
#[test]
fn remapped_code_is_retranslated() {
    for (name, config) in engines() {
        let (mut engine, mut cpu) = setup(&[jalr(RA, S0, 0), ECALL], config);
        let mem = Arc::clone(engine.memory());
        for k in 1..50u32 {
            mem.unmap(BUF, 0x1000).expect("unmap");
            mem.map(BUF, 0x1000, Perms::RWX).expect("map");
            let code = [ADDI_A0_ZERO | (k << 20), RET];
            let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
            mem.write_bytes(BUF, &bytes).expect("write");
            cpu.pc = CODE;
            assert_eq!(engine.run(&mut cpu), Exit::Ecall, "{name}");
            assert_eq!(cpu.regs[A0 as usize], u64::from(k), "{name}");
        }
    }
}
