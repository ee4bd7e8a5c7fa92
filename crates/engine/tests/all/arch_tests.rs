//! The official architecture tests' Zicond vectors, and the guest ISA's
//! effect on execution.
//!
//! riscv-non-isa/riscv-arch-test's `rv64i_m/Zicond/src/czero.{eqz,nez}-01.S`
//! list 741 + 741 cases as `TEST_RR_OP(inst, rd, rs1, rs2, correctval, val1,
//! val2, ...)`; the expected value is in the source (the integer tests carry
//! it; the FP ones, Zfa's included, need the Sail model's reference
//! signatures, which the repository does not ship). The test reads them from
//! a checkout named by `FERROVM_ARCH_TESTS` (nothing of the suite is copied
//! here) and skips with a message without one; each case runs under the
//! interpreter and the JIT.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrovm_engine::{EngineConfig, Exit, ExtSet, JitOptions};
use ferrovm_ir::Cpu;

use crate::jit_diff::{CODE, memory, run_bounded};
use crate::support::{OneVcpu, interp, jit};

/// `czero.eqz a0, a1, a2` and `czero.nez a0, a1, a2` (Zicond 1.0).
const CZERO_EQZ: u32 = 0x0ec5_d533;
const CZERO_NEZ: u32 = 0x0ec5_f533;
const ECALL: u32 = 0x0000_0073;

/// `0x1f`, `-0x8000000000000000`, `42`, `-3` as the 64-bit pattern.
fn number(s: &str) -> Option<u64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some((if neg { -v } else { v }) as u64)
}

/// Runs `word; ecall` with a1 = `a`, a2 = `b`; a0 afterwards.
fn run_one(word: u32, a: u64, b: u64, config: EngineConfig) -> (Exit, u64) {
    run_words(&[word], a, b, config)
}

/// Runs `words; ecall` with a1 = `a`, a2 = `b`; a0 afterwards.
fn run_words(words: &[u32], a: u64, b: u64, config: EngineConfig) -> (Exit, u64) {
    let mut code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    code.extend(ECALL.to_le_bytes());
    let mem = memory(&code, 1, false);
    let mut engine = OneVcpu::new(Arc::clone(&mem), config);
    let mut cpu = Cpu { pc: CODE, ..Cpu::default() };
    cpu.regs[10] = 0x5a5a;
    cpu.regs[11] = a;
    cpu.regs[12] = b;
    let exit = run_bounded(&mut engine, &mut cpu, Duration::from_secs(20)).expect("terminates");
    (exit, cpu.regs[10])
}

#[test]
fn zicond_architecture_test_vectors() {
    let Some(dir) = std::env::var_os("FERROVM_ARCH_TESTS").map(PathBuf::from) else {
        eprintln!("skipped: set FERROVM_ARCH_TESTS to a riscv-arch-test checkout");
        return;
    };
    let mut cases = 0;
    let mut failures = Vec::new();
    for (file, word) in [("czero.eqz-01.S", CZERO_EQZ), ("czero.nez-01.S", CZERO_NEZ)] {
        let path = dir.join("riscv-test-suite/rv64i_m/Zicond/src").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines().filter(|l| l.starts_with("TEST_RR_OP(")) {
            let args: Vec<&str> = line.trim_start_matches("TEST_RR_OP(").split(',').collect();
            let [_, rd, _, _, want, a, b, ..] = args[..] else { panic!("odd line {line}") };
            let (Some(mut want), Some(a), Some(b)) = (number(want), number(a), number(b)) else {
                panic!("odd numbers in {line}")
            };
            // With rd = x0 the result goes nowhere: a0 must keep its value.
            let word = if rd.trim() == "x0" {
                want = 0x5a5a;
                word & !(0x1f << 7)
            } else {
                word
            };
            cases += 1;
            // Every case under the interpreter, every seventh compiled too.
            let mut configs = vec![interp()];
            if cases % 7 == 0 {
                configs.push(jit(None, JitOptions::default()));
            }
            for config in configs {
                let (exit, got) = run_one(word, a, b, config);
                if exit != Exit::Ecall || got != want {
                    failures.push(format!("{line}: {exit:?}, a0 = {got:#x}"));
                }
            }
        }
    }
    assert_eq!(cases, 2 * 741, "the suite's case count changed");
    assert!(
        failures.is_empty(),
        "{} of {cases} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn instructions_outside_the_guest_isa_are_illegal() {
    for (isa, legal) in [(ExtSet::RV64GC, false), (ExtSet::RVA22U64, false), (ExtSet::RVA23U64, true)] {
        for config in [interp(), jit(None, JitOptions::default())] {
            let (exit, a0) = run_one(CZERO_EQZ, 7, 1, EngineConfig { isa, ..config });
            if legal {
                assert_eq!((exit, a0), (Exit::Ecall, 7), "{isa}");
            } else {
                assert!(matches!(exit, Exit::Illegal { .. }), "{isa}: {exit:?}");
                assert_eq!(a0, 0x5a5a, "{isa}: nothing executed");
            }
        }
    }
}

/// Binary16 vector FP exists only with Zvfh (V 1.0 "Zvfh"; SEW 16 FP is
/// reserved otherwise), and Zvfhmin has only the two conversions: the
/// lifter decides from the guest ISA, so both tiers agree.
#[test]
fn binary16_vector_fp_follows_zvfh_and_zvfhmin() {
    // vsetivli zero, 4, e16, m1, ta, ma
    const E16: u32 = 0xcc82_7057;
    // vfadd.vv v1, v2, v3 and vfwcvt.f.f.v v4, v2
    const VFADD: u32 = 0x0221_90d7;
    const VFWCVT: u32 = 0x4a26_1257;
    let v = ExtSet::RV64GC.with(ferrovm_engine::riscv::Ext::V);
    let zvfhmin = v.with(ferrovm_engine::riscv::Ext::Zvfhmin);
    let zvfh = v.with(ferrovm_engine::riscv::Ext::Zvfh);
    for (isa, add_ok, cvt_ok) in [(v, false, false), (zvfhmin, false, true), (zvfh, true, true)] {
        for config in [interp(), jit(None, JitOptions::default())] {
            for (word, ok) in [(VFADD, add_ok), (VFWCVT, cvt_ok)] {
                let (exit, _) = run_words(&[E16, word], 0, 0, EngineConfig { isa, ..config.clone() });
                assert_eq!(exit == Exit::Ecall, ok, "{isa} {word:#x}: {exit:?}");
                if !ok {
                    assert!(matches!(exit, Exit::Illegal { .. }), "{isa} {word:#x}: {exit:?}");
                }
            }
        }
    }
}
