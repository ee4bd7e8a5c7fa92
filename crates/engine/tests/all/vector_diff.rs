//! Interpreter vs JIT on random vector sequences: the shapes compiled code
//! runs as host SIMD (unit-stride loads and stores, element-wise integer
//! arithmetic after a `vsetvli`, masked or not) next to ones it leaves to
//! the helper (masked stores, segments, fractional LMUL, byte multiplies,
//! `.vv` shifts, masked reductions), at VLEN 128 and 256, with AVLs that leave tails, accesses
//! that straddle into the read-only and unmapped pages after the data (and
//! fault there), misaligned register groups (illegal), the vector crypto
//! instructions (Zvkned, Zvknh[ab], Zvkg, Zvksed, Zvksh, and Zvbc's
//! `vclmul[h]`; mostly illegal shapes), and half of the
//! sequences looping so they run as compiled loops. Both tiers must end
//! with the same exit, `Cpu` (vector state included) and memory, and the
//! statistics must show SIMD code and the helper both ran, SIMD code at
//! each VLEN. The engine's VLEN is the start state's, except in one case in
//! eight, where it is the other one: code made for one VLEN must then
//! leave every vector instruction to the helper.
//!
//! Encodings follow the V 1.0 field layout (§31.10): OP-V is `funct6 vm
//! vs2 vs1/rs1/imm funct3 vd 1010111`; unit-stride loads and stores are
//! `nf mew 00 vm 00000 rs1 width vd 0000111/0100111`.

use std::sync::Arc;
use std::time::Duration;

use ferrovm_engine::{EngineConfig, ExtSet, Stats};
use ferrovm_ir::vector::{VState, Vlen};
use proptest::test_runner::TestCaseError;

use crate::jit_diff::{DATA, DATA_LEN, Rng, jit_config, memory, random_cpu, run_bounded, snapshot};
use crate::support::{OneVcpu, interp};

const OPV: u32 = 0x57;
/// funct3 of the OP-V forms.
const IVV: u32 = 0;
const MVV: u32 = 2;
const IVI: u32 = 3;
const IVX: u32 = 4;
const MVX: u32 = 6;

/// Base registers of loads and stores (x10..x15), AVLs (x16..x20),
/// scalar operands (x21..x25), the loop counter (x30).
const BASES: std::ops::Range<u32> = 10..16;
const AVLS: std::ops::Range<u32> = 16..21;
const SCALARS: std::ops::Range<u32> = 21..26;
const COUNTER: u32 = 30;

fn opv(f6: u32, vm: u32, vs2: u32, s1: u32, f3: u32, vd: u32) -> u32 {
    f6 << 26 | vm << 25 | vs2 << 20 | (s1 & 31) << 15 | f3 << 12 | vd << 7 | OPV
}

/// The generator's guess of the vector configuration (log2 SEW in bytes,
/// log2 LMUL), to pick mostly legal register groups.
struct Gen {
    rng: Rng,
    sew: u32,
    lmul: i32,
}

impl Gen {
    fn pick(&mut self, r: std::ops::Range<u32>) -> u32 {
        r.start + self.rng.below(u64::from(r.end - r.start)) as u32
    }

    /// A register group for EMUL 2^`emul`: aligned, or (rarely) not.
    fn group(&mut self, emul: i32) -> u32 {
        let n = 1u32 << emul.clamp(0, 3);
        if self.rng.below(40) == 0 {
            return self.rng.below(32) as u32;
        }
        self.rng.below(u64::from(32 / n)) as u32 * n
    }

    fn vm(&mut self) -> u32 {
        u32::from(self.rng.below(6) != 0)
    }

    fn vset(&mut self) -> u32 {
        self.sew = self.rng.below(4) as u32;
        self.lmul = match self.rng.below(8) {
            0 => -(1 + self.rng.below(3) as i32),
            _ => self.rng.below(4) as i32,
        };
        let vlmul = (self.lmul & 7) as u32;
        let vtype = (self.rng.below(4) as u32) << 6 | self.sew << 3 | vlmul;
        let rd = 5 + self.rng.below(3) as u32;
        if self.rng.below(5) == 0 {
            // vsetivli rd, uimm, vtype
            let uimm = self.rng.below(32) as u32;
            return 3 << 30 | vtype << 20 | uimm << 15 | 7 << 12 | rd << 7 | OPV;
        }
        // vsetvli rd, rs1, vtype: rs1 an AVL register or x0 (VLMAX).
        let rs1 = if self.rng.below(3) == 0 { 0 } else { self.pick(AVLS) };
        vtype << 20 | rs1 << 15 | 7 << 12 | rd << 7 | OPV
    }

    fn memory(&mut self) -> u32 {
        let eew = self.rng.below(4) as u32;
        let width = [0b000, 0b101, 0b110, 0b111][eew as usize];
        let emul = eew as i32 - self.sew as i32 + self.lmul;
        let vd = self.group(emul);
        let nf = if self.rng.below(10) == 0 { 1 } else { 0 };
        let rs1 = self.pick(BASES);
        let vm = self.vm();
        let opcode = if self.rng.below(2) == 0 { 0x07 } else { 0x27 };
        nf << 29 | vm << 25 | rs1 << 15 | width << 12 | vd << 7 | opcode
    }

    fn arith(&mut self) -> u32 {
        // (funct6, forms: bit 0 .vv, bit 1 .vx, bit 2 .vi, OPM?)
        const OPS: [(u32, u32, bool); 18] = [
            (0b000000, 7, false), // vadd
            (0b000010, 3, false), // vsub
            (0b000011, 6, false), // vrsub
            (0b000100, 3, false), // vminu
            (0b000101, 3, false), // vmin
            (0b000110, 3, false), // vmaxu
            (0b000111, 3, false), // vmax
            (0b001001, 7, false), // vand
            (0b001010, 7, false), // vor
            (0b001011, 7, false), // vxor
            (0b010111, 7, false), // vmv.v.* (vm = 1) / vmerge
            (0b100101, 7, false), // vsll
            (0b101000, 7, false), // vsrl
            (0b101001, 7, false), // vsra
            (0b100101, 3, true),  // vmul
            (0b101101, 3, true),  // vmacc
            (0b101001, 3, true),  // vmadd
            (0b000000, 1, true),  // vredsum.vs
        ];
        let (f6, forms, m) = OPS[self.rng.below(OPS.len() as u64) as usize];
        let form = loop {
            let f = self.rng.below(3) as u32;
            if forms >> f & 1 != 0 {
                break f;
            }
        };
        let vd = self.group(self.lmul);
        let vs2 = self.group(self.lmul);
        let vm = if f6 == 0b010111 && self.rng.below(4) != 0 { 1 } else { self.vm() };
        // vmv.v.* has vs2 = 0.
        let vs2 = if f6 == 0b010111 && vm == 1 { 0 } else { vs2 };
        let (s1, f3) = match (form, m) {
            (0, false) => (self.group(self.lmul), IVV),
            (0, true) => (self.group(self.lmul), MVV),
            (1, false) => (self.pick(SCALARS), IVX),
            (1, true) => (self.pick(SCALARS), MVX),
            _ => (self.rng.below(32) as u32, IVI),
        };
        opv(f6, vm, vs2, s1, f3, vd)
    }
}

impl Gen {
    /// A vector crypto instruction (Zvkned, Zvknh[ab], Zvkg, Zvksed, Zvksh:
    /// OP-P, vm = 1) on random registers: legal only at SEW 32 (64 for
    /// vsha2*) with `vl` a multiple of 4 (8 for SM3) and groups that fit, so
    /// most trap as illegal and both tiers must agree on which.
    fn crypto(&mut self) -> u32 {
        if self.rng.below(6) == 0 {
            return self.clmul();
        }
        // (funct6, vs1: None = a register, Some = the fixed field / uimm)
        const OPS: [(u32, Option<u32>); 21] = [
            (0b101000, Some(0)),    // vaesdm.vv
            (0b101001, Some(0)),    // vaesdm.vs
            (0b101000, Some(1)),    // vaesdf.vv
            (0b101001, Some(1)),    // vaesdf.vs
            (0b101000, Some(2)),    // vaesem.vv
            (0b101001, Some(2)),    // vaesem.vs
            (0b101000, Some(3)),    // vaesef.vv
            (0b101001, Some(3)),    // vaesef.vs
            (0b101001, Some(7)),    // vaesz.vs
            (0b100010, None),       // vaeskf1.vi (uimm)
            (0b101010, None),       // vaeskf2.vi (uimm)
            (0b101101, None),       // vsha2ms.vv
            (0b101110, None),       // vsha2ch.vv
            (0b101111, None),       // vsha2cl.vv
            (0b101100, None),       // vghsh.vv
            (0b101000, Some(0x11)), // vgmul.vv
            (0b100001, None),       // vsm4k.vi (uimm)
            (0b101000, Some(0x10)), // vsm4r.vv
            (0b101001, Some(0x10)), // vsm4r.vs
            (0b100000, None),       // vsm3me.vv (EGS 8)
            (0b101011, None),       // vsm3c.vi (uimm; EGS 8)
        ];
        let (f6, fixed) = OPS[self.rng.below(OPS.len() as u64) as usize];
        let vd = self.group(self.lmul);
        let vs2 = self.group(self.lmul);
        let vs1 = fixed.unwrap_or_else(|| self.group(self.lmul));
        f6 << 26 | 1 << 25 | vs2 << 20 | vs1 << 15 | MVV << 12 | vd << 7 | 0x77
    }
}

impl Gen {
    /// Zvbc's `vclmul`/`vclmulh` (OP-V, `.vv` or `.vx`, maybe masked):
    /// legal at SEW 64 only.
    fn clmul(&mut self) -> u32 {
        let f6 = if self.rng.below(2) == 0 { 0b001100 } else { 0b001101 };
        let (vd, vs2, vm) = (self.group(self.lmul), self.group(self.lmul), self.vm());
        if self.rng.below(2) == 0 {
            let vs1 = self.group(self.lmul);
            opv(f6, vm, vs2, vs1, MVV, vd)
        } else {
            let rs1 = self.pick(SCALARS);
            opv(f6, vm, vs2, rs1, MVX, vd)
        }
    }
}

/// A random sequence (`vsetvli` first most of the time), looping back to
/// its start while `x30` counts down when `looped`, then `ecall`.
fn program(rng: &mut Rng, looped: bool) -> Vec<u8> {
    let mut g = Gen { rng: Rng(rng.next() | 1), sew: 0, lmul: 0 };
    let mut words = Vec::new();
    if g.rng.below(8) != 0 {
        words.push(g.vset());
    }
    for _ in 0..1 + g.rng.below(24) {
        let w = match g.rng.below(10) {
            0 => g.vset(),
            1..=4 => g.memory(),
            5 if g.rng.below(3) == 0 => g.crypto(),
            _ => g.arith(),
        };
        words.push(w);
    }
    if looped {
        // addi x30, x30, -1; bne x30, x0, start
        words.push(0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13);
        let off = -(4 * words.len() as i32);
        let imm = off as u32;
        let b = (imm >> 12 & 1) << 31
            | (imm >> 5 & 0x3f) << 25
            | COUNTER << 15
            | 1 << 12
            | (imm >> 1 & 0xf) << 8
            | (imm >> 11 & 1) << 7
            | 0x63;
        words.push(b);
    }
    words.push(0x73); // ecall
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The start state: random scalar registers, base registers in and near
/// the end of the data (so accesses straddle into the pages after it),
/// AVLs around VLMAX, random vector registers and configuration.
fn start(rng: &mut Rng) -> ferrovm_ir::Cpu {
    let mut cpu = random_cpu(rng);
    for r in BASES {
        cpu.regs[r as usize] = match rng.below(4) {
            0 | 1 => DATA + rng.below(DATA_LEN - 0x100),
            // Within 256 bytes of the end of the data, or of the page
            // before it, at any alignment.
            2 => DATA + DATA_LEN - 0x100 + rng.below(0x100),
            _ => DATA + 0x1000 - 0x100 + rng.below(0x100),
        };
    }
    for r in AVLS {
        cpu.regs[r as usize] = match rng.below(3) {
            0 => rng.below(20),
            1 => [16, 32, 64, 128, 256][rng.below(5) as usize],
            _ => rng.below(1000),
        };
    }
    cpu.regs[COUNTER as usize] = 1 + rng.below(4);
    let vlen = if rng.below(4) == 0 { 256 } else { 128 };
    let mut v = VState::new(Vlen::new(vlen).expect("a legal VLEN"));
    for b in v.regs.iter_mut() {
        *b = rng.next() as u8;
    }
    if rng.below(2) == 0 {
        let (sew, lmul) = (rng.below(4), rng.below(4));
        v.configure(rng.below(40), sew << 3 | lmul);
    }
    cpu.vector = v;
    cpu
}

/// One case: the interpreter and `config` (with V and, mostly, the start
/// state's VLEN) from the same start. Returns the JIT's statistics and
/// the VLEN its code was made for, if it was the start state's.
fn one_case(seed: u64, config: EngineConfig) -> Result<(Stats, Option<u32>), TestCaseError> {
    let mut rng = Rng(seed | 1);
    let looped = rng.below(2) == 0;
    let code = program(&mut rng, looped);
    let cpu = start(&mut rng);
    let data_seed = rng.next();
    let bits = cpu.vector.vlenb as u32 * 8;
    let (vlen, matched) = if rng.below(8) == 0 { (384 - bits, None) } else { (bits, Some(bits)) };
    let config = EngineConfig { vlen: Vlen::new(vlen).expect("a legal VLEN"), ..config };
    Ok((compare(&code, &cpu, data_seed, config)?, matched))
}

/// A random `Cpu` for a looped program: the loop counter at `iterations`
/// and the vector registers (at `vlen`) random bytes.
fn looping_cpu(rng: &mut Rng, iterations: u64, vlen: Vlen) -> ferrovm_ir::Cpu {
    let mut cpu = random_cpu(rng);
    cpu.regs[COUNTER as usize] = iterations;
    let mut v = VState::new(vlen);
    for b in v.regs.iter_mut() {
        *b = rng.next() as u8;
    }
    cpu.vector = v;
    cpu
}

/// Runs `code` from `cpu` under the interpreter and JIT configuration
/// `case` at `vlen` ([`compare`]): both end alike, no vector instruction
/// went to the helper and at least `simd` ran as SIMD.
fn assert_all_simd(code: &[u8], cpu: &ferrovm_ir::Cpu, data_seed: u64, vlen: Vlen, case: u64, simd: u64, what: &str) {
    let config = EngineConfig { vlen, ..jit_config(case) };
    let stats = compare(code, cpu, data_seed, config).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(stats.vector_helper, 0, "{what} went to the helper");
    assert!(stats.vector_simd >= simd, "{what}: {} as SIMD", stats.vector_simd);
}

/// Runs `code` from `cpu` under the interpreter and `config` (with V);
/// both must end alike.
fn compare(code: &[u8], cpu: &ferrovm_ir::Cpu, data_seed: u64, config: EngineConfig) -> Result<Stats, TestCaseError> {
    let with_v = |config: EngineConfig| EngineConfig { isa: ExtSet::IMPLEMENTED, ..config };

    let mem_i = memory(code, data_seed, false);
    let mut interp = OneVcpu::new(Arc::clone(&mem_i), with_v(interp()));
    let mut cpu_i = cpu.clone();
    let exit_i = run_bounded(&mut interp, &mut cpu_i, Duration::from_secs(5));

    let mem_j = memory(code, data_seed, false);
    let mut jit = OneVcpu::new(Arc::clone(&mem_j), with_v(config));
    let mut cpu_j = cpu.clone();
    let exit_j = run_bounded(&mut jit, &mut cpu_j, Duration::from_secs(20));
    if exit_i != exit_j {
        return Err(TestCaseError::fail(format!("exit differs: {exit_i:?} vs {exit_j:?}")));
    }
    if cpu_i != cpu_j {
        let (vi, vj) = (&cpu_i.vector, &cpu_j.vector);
        let reg = (0..32).find(|&r| vi.reg(r) != vj.reg(r));
        return Err(TestCaseError::fail(format!(
            "cpu differs: pc {:#x} vs {:#x}; {vi:?} vs {vj:?}; first differing vector register {reg:?}",
            cpu_i.pc, cpu_j.pc
        )));
    }
    if snapshot(&mem_i) != snapshot(&mem_j) {
        return Err(TestCaseError::fail("memory differs"));
    }
    if jit.stats().jit_errors != 0 {
        return Err(TestCaseError::fail("a block fell back to the interpreter"));
    }
    Ok(jit.stats())
}

/// What [`run_cases`] counted: vector instructions that ran as SIMD code
/// (`vsetvli` included), in the helper, and as SIMD code in cases at VLEN
/// 256 (code made for it).
#[derive(Debug, Default)]
struct Counts {
    simd: u64,
    helper: u64,
    simd_256: u64,
}

/// `cases` random cases from `seed`, each under the next JIT configuration;
/// panics at the first disagreement.
fn run_cases(seed: u64, cases: u64) -> Counts {
    let mut rng = Rng(seed);
    let mut n = Counts::default();
    for i in 0..cases {
        let seed = rng.next();
        match one_case(seed, jit_config(i)) {
            Ok((s, vlen)) => {
                n.simd += s.vector_simd;
                n.helper += s.vector_helper;
                if vlen == Some(256) {
                    n.simd_256 += s.vector_simd;
                }
            }
            Err(e) => panic!("seed {seed:#x} variant {i}: {e}"),
        }
    }
    n
}

/// 600 sequences under every JIT configuration of the differential tests
/// (first-run code, hot regions, direct memory access, ...): all agree,
/// and both the SIMD code and the helper ran many times, SIMD code at
/// VLEN 256 too; code made for another VLEN than the guest's ran no SIMD
/// code.
#[test]
fn vector_sequences_agree_and_run_as_simd() {
    let n = run_cases(0x0517_d0c5_eed5_0001, 600);
    eprintln!("{n:?}");
    assert!(n.simd > 2000, "only {} vector instructions ran as SIMD", n.simd);
    assert!(n.helper > 1500, "only {} vector instructions ran in the helper", n.helper);
    assert!(n.simd_256 > 500, "only {} vector instructions ran as SIMD at VLEN 256", n.simd_256);
}

/// Every single-width integer reduction (`vredsum` .. `vredmax`) at each
/// SEW with `vl` = VLMAX (LMUL 2, VLEN 128 and 256), in a loop: the
/// interpreter and each JIT configuration agree, and compiled code never
/// called the helper for them (they ran as SIMD); and code made for the
/// other VLEN than the guest's called it for every run it did not
/// interpret.
#[test]
fn reductions_run_as_simd_and_agree() {
    let mut rng = Rng(0x0517_d0c5_eed5_0003);
    let mut case = 0;
    for (bits, code_bits) in [(128, 128), (256, 256), (128, 256), (256, 128)] {
        for sew in 0..4u32 {
            for f6 in 0..8u32 {
                // vsetvli x5, x0, e<sew>, m2, ta, ma; vred*.vs v1, v2, v4 (vs2 = v2..v3)
                let words = [
                    (3 << 6 | sew << 3 | 1) << 20 | 7 << 12 | 5 << 7 | OPV,
                    opv(f6, 1, 2, 4, MVV, 1),
                    // addi x30, x30, -1; bne x30, x0, start; ecall
                    0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13,
                    0xfe0f1ae3,
                    0x73,
                ];
                let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                let cpu = looping_cpu(&mut rng, 50, Vlen::new(bits).expect("a legal VLEN"));
                let config = EngineConfig { vlen: Vlen::new(code_bits).expect("a legal VLEN"), ..jit_config(case) };
                let what = format!("VLEN {bits}, code for {code_bits}, SEW {} funct6 {f6:#b}", 8 << sew);
                let stats = compare(&code, &cpu, rng.next(), config).unwrap_or_else(|e| panic!("{what}: {e}"));
                if bits == code_bits {
                    assert_eq!(stats.vector_helper, 0, "{what} went to the helper");
                    assert!(stats.vector_simd >= 2 * 25, "{what}: only {} as SIMD", stats.vector_simd);
                } else {
                    // Each vsetvli inline, each reduction in the helper.
                    assert_eq!(stats.vector_helper, stats.vector_simd, "{what}");
                    assert!(stats.vector_helper >= 25, "{what}: only {} in the helper", stats.vector_helper);
                }
                case += 1;
            }
        }
    }
}

/// `vrev8.v` and `vmerge.vvm` (what SHA-256 code runs between its
/// `vsha2*`) at SEW 16, 32 and 64, LMUL 2, with `vl` = VLMAX and with a
/// tail (`vl` = 3), at VLEN 128 and 256, in a loop: the interpreter and
/// each JIT configuration agree, and compiled code never called the
/// helper for them.
#[test]
fn rev8_and_merge_run_as_simd_and_agree() {
    let mut rng = Rng(0x0517_d0c5_eed5_0006);
    let mut case = 0;
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        for sew in 1..4u32 {
            for tail in [false, true] {
                let vtype = 3 << 6 | sew << 3 | 1;
                let words = [
                    if tail {
                        // vsetivli x5, 3, e<sew>, m2, ta, ma
                        3 << 30 | vtype << 20 | 3 << 15 | 7 << 12 | 5 << 7 | OPV
                    } else {
                        // vsetvli x5, x0, e<sew>, m2, ta, ma
                        vtype << 20 | 7 << 12 | 5 << 7 | OPV
                    },
                    opv(0b010010, 1, 8, 9, MVV, 4),    // vrev8.v v4, v8
                    opv(0b010111, 0, 16, 20, IVV, 12), // vmerge.vvm v12, v16, v20, v0
                    opv(0b010111, 0, 16, 21, IVX, 14), // vmerge.vxm v14, v16, x21, v0
                    0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13,
                    0xfe0f16e3, // bne x30, x0, start
                    0x73,
                ];
                let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                let cpu = looping_cpu(&mut rng, 30, vlen);
                let what = format!("VLEN {}, SEW {} tail {tail}", vlen.bits(), 8 << sew);
                assert_all_simd(&code, &cpu, rng.next(), vlen, case, 4 * 30, &what);
                case += 1;
            }
        }
    }
}

/// Masked (`v0.t`) loads and element-wise operations, `vmerge`, and
/// unit-stride stores with a tail, at SEW 8, 16, 32 and 64, LMUL 1 and 2,
/// `vl` = VLMAX and a tail (`vl` = 3, or 17 bytes' worth at SEW 8: the
/// last part's prefix stored as 8 + 1 bytes; at SEW 64 LMUL 2, VLEN 256:
/// 3 of 8 elements), at VLEN 128 and 256, in a loop: the interpreter and
/// each JIT configuration agree, and compiled code never called the helper
/// for them (they ran as SIMD). Then the same for masked stores.
#[test]
fn masked_ops_and_tail_stores_run_as_simd_and_agree() {
    let mut rng = Rng(0x0517_d0c5_eed5_000a);
    let mut case = 0;
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        for sew in 0..4u32 {
            for lmul in 0..2u32 {
                for tail in [false, true] {
                    // vtype: tu, mu (the policy does not change what the
                    // executor leaves in inactive and tail elements).
                    let vtype = sew << 3 | lmul;
                    let avl = if sew == 0 { 17 } else { 3 };
                    let width = [0b000, 0b101, 0b110, 0b111][sew as usize];
                    let g = 1 << lmul;
                    let words = [
                        if tail {
                            // vsetivli x5, avl, vtype
                            3 << 30 | vtype << 20 | avl << 15 | 7 << 12 | 5 << 7 | OPV
                        } else {
                            // vsetvli x5, x0, vtype
                            vtype << 20 | 7 << 12 | 5 << 7 | OPV
                        },
                        // vle<sew>.v v4, (x10), v0.t
                        10 << 15 | width << 12 | 4 << 7 | 0x07,
                        opv(0b000000, 0, 4, 12, IVV, 8), // vadd.vv v8, v4, v12, v0.t
                        opv(0b000010, 0, 8, 21, IVX, 8 + 2 * g), // vsub.vx v8+2g, v8, x21, v0.t
                        opv(0b000110, 0, 8 + 2 * g, 4, IVV, 16), // vmaxu.vv v16, v8+2g, v4, v0.t
                        opv(0b101001, 0, 16, 3, IVI, 16 + 2 * g), // vsra.vi v16+2g, v16, 3, v0.t
                        opv(0b001011, 0, 16 + 2 * g, 21, IVX, 24), // vxor.vx v24, v16+2g, x21, v0.t
                        if sew == 0 {
                            opv(0b001010, 0, 24, 4, IVV, 24) // vor.vv v24, v24, v4, v0.t
                        } else {
                            opv(0b101101, 0, 24, 8, MVV, 24) // vmacc.vv v24, v8, v24, v0.t
                        },
                        opv(0b010111, 0, 24, 4, IVV, 28), // vmerge.vvm v28, v24, v4, v0
                        // vse<sew>.v v28, (x11)
                        1 << 25 | 11 << 15 | width << 12 | 28 << 7 | 0x27,
                        0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13,
                        0xfc0f1ae3, // bne x30, x0, start
                        0x73,
                    ];
                    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                    let mut cpu = looping_cpu(&mut rng, 30, vlen);
                    cpu.regs[10] = DATA + 0x100 + rng.below(0x100);
                    cpu.regs[11] = DATA + 0x800 + rng.below(0x100);
                    let what = format!("VLEN {}, SEW {}, LMUL {g}, tail {tail}", vlen.bits(), 8 << sew);
                    assert_all_simd(&code, &cpu, rng.next(), vlen, case, 10 * 30, &what);
                    case += 1;
                }
            }
        }
    }
    // Masked stores (vse<sew>.v, v0.t) and an unmasked one of v0's own
    // group (masked, it reads v0 at two widths: reserved, V 1.0 §5.2),
    // LMUL 2 and 8 (at SEW 8 and VLEN 256, 256 elements: four 64-bit
    // words of mask), vl = VLMAX or 70, after a masked load.
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        for sew in 0..4u32 {
            for lmul in [1, 3] {
                for tail in [false, true] {
                    let width = [0b000, 0b101, 0b110, 0b111][sew as usize];
                    let avl = if tail { 16 } else { 0 };
                    let words = [
                        (sew << 3 | lmul) << 20 | avl << 15 | 7 << 12 | 5 << 7 | OPV, // vsetvli x5, x16/x0, e<sew>, m<2/8>
                        10 << 15 | width << 12 | 8 << 7 | 0x07,                       // vle<sew>.v v8, (x10), v0.t
                        11 << 15 | width << 12 | 8 << 7 | 0x27,                       // vse<sew>.v v8, (x11), v0.t
                        1 << 25 | 12 << 15 | width << 12 | 0x27,                      // vse<sew>.v v0, (x12)
                        0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13,
                        0xfe0f16e3, // bne x30, x0, start
                        0x73,
                    ];
                    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                    let mut cpu = looping_cpu(&mut rng, 30, vlen);
                    cpu.regs[16] = 70;
                    cpu.regs[10] = DATA + 0x100 + rng.below(0x100);
                    cpu.regs[11] = DATA + 0x800 + rng.below(0x100);
                    cpu.regs[12] = DATA + 0xc00 + rng.below(0x100);
                    let what = format!(
                        "masked stores: VLEN {}, SEW {}, LMUL {}, tail {tail}",
                        vlen.bits(),
                        8 << sew,
                        1 << lmul
                    );
                    assert_all_simd(&code, &cpu, rng.next(), vlen, case, 4 * 30, &what);
                    case += 1;
                }
            }
        }
    }
}

/// `vmv.s.x` and `vmv.x.s` (what code around a reduction runs) at each
/// SEW, LMUL 2, with `vl` = VLMAX, a tail and `vl` = 0 (`vmv.s.x` writes
/// nothing; `vmv.x.s` still reads element 0), at VLEN 128 and 256, in a
/// loop whose sum of the `vmv.x.s` results carries from one iteration to
/// the next: the interpreter and each JIT configuration agree, and
/// compiled code never called the helper for them.
#[test]
fn scalar_moves_run_as_simd_and_agree() {
    let mut rng = Rng(0x0517_d0c5_eed5_000c);
    let mut case = 0;
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        for sew in 0..4u32 {
            for avl in [None, Some(3), Some(0)] {
                let vtype = sew << 3 | 1;
                let words = [
                    match avl {
                        // vsetivli x5, avl, e<sew>, m2, tu, mu
                        Some(avl) => 3 << 30 | vtype << 20 | avl << 15 | 7 << 12 | 5 << 7 | OPV,
                        // vsetvli x5, x0, e<sew>, m2, tu, mu
                        None => vtype << 20 | 7 << 12 | 5 << 7 | OPV,
                    },
                    opv(0b010000, 1, 0, 22, MVX, 3),      // vmv.s.x v3, x22
                    opv(0b010000, 1, 3, 0, MVV, 22),      // vmv.x.s x22, v3
                    opv(0b010000, 1, 9, 0, MVV, 23),      // vmv.x.s x23, v9
                    22 << 20 | 23 << 15 | 22 << 7 | 0x33, // add x22, x22, x23
                    0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13,
                    0xfe0f14e3, // bne x30, x0, start
                    0x73,
                ];
                let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                let cpu = looping_cpu(&mut rng, 30, vlen);
                let what = format!("VLEN {}, SEW {}, AVL {avl:?}", vlen.bits(), 8 << sew);
                assert_all_simd(&code, &cpu, rng.next(), vlen, case, 4 * 30, &what);
                case += 1;
            }
        }
    }
}

/// A loop of `body` (then `addi x30, x30, -1; bne x30, x0, start;
/// ecall`) from a start state at `vlen` with `vl` = 4 at e32 m1 and no
/// `vsetvli` before it, under each JIT configuration (code made for
/// `vlen`): the interpreter and compiled code agree; their statistics
/// added up.
fn loop_without_vsetvli(body: &[u32], seed: u64, vlen: Vlen) -> (u64, u64) {
    let mut rng = Rng(seed);
    let mut words = body.to_vec();
    let back = -(4 * words.len() as i32 + 4) as u32;
    words.push(0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13);
    words.push(
        (back >> 12 & 1) << 31
            | (back >> 5 & 0x3f) << 25
            | COUNTER << 15
            | 1 << 12
            | (back >> 1 & 0xf) << 8
            | (back >> 11 & 1) << 7
            | 0x63,
    );
    words.push(0x73);
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (mut simd, mut helper) = (0, 0);
    for variant in 0..7 {
        let mut cpu = random_cpu(&mut rng);
        cpu.regs[COUNTER as usize] = 40;
        (cpu.regs[6], cpu.regs[7]) = (E32M1, 4);
        let mut v = VState::new(vlen);
        for b in v.regs.iter_mut() {
            *b = rng.next() as u8;
        }
        v.configure(4, E32M1);
        cpu.vector = v;
        let config = EngineConfig { vlen, ..jit_config(variant) };
        let stats = compare(&code, &cpu, rng.next(), config)
            .unwrap_or_else(|e| panic!("VLEN {} variant {variant}: {e}", vlen.bits()));
        simd += stats.vector_simd;
        helper += stats.vector_helper;
    }
    (simd, helper)
}

/// `vtype` e32 m1 (vsew 2, vlmul 0).
const E32M1: u64 = 0b010_000;

/// An OP-P (vector crypto) word with vm = 1.
fn opp(f6: u32, vs2: u32, vs1: u32, vd: u32) -> u32 {
    f6 << 26 | 1 << 25 | vs2 << 20 | vs1 << 15 | MVV << 12 | vd << 7 | 0x77
}

/// The vector crypto instructions at SEW 32 in a loop, after a
/// `vsetivli` and (the second time) in a block without one: compiled
/// code runs every one through the crypto helper (the host's AES-NI and
/// SHA-NI where it has them), never the generic one, and agrees with the
/// interpreter.
#[test]
fn crypto_instructions_take_the_crypto_helper_and_agree() {
    let body = [
        opp(0b101001, 8, 2, 4),      // vaesem.vs v4, v8
        opp(0b101001, 8, 3, 5),      // vaesef.vs v5, v8
        opp(0b101001, 8, 0, 6),      // vaesdm.vs v6, v8
        opp(0b101001, 8, 1, 7),      // vaesdf.vs v7, v8
        opp(0b101000, 9, 2, 10),     // vaesem.vv v10, v9
        opp(0b101001, 8, 7, 11),     // vaesz.vs v11, v8
        opp(0b100010, 25, 3, 24),    // vaeskf1.vi v24, v25, 3
        opp(0b101010, 25, 12, 23),   // vaeskf2.vi v23, v25, 12
        opp(0b101101, 13, 14, 12),   // vsha2ms.vv v12, v13, v14
        opp(0b101110, 17, 18, 16),   // vsha2ch.vv v16, v17, v18
        opp(0b101111, 16, 18, 17),   // vsha2cl.vv v17, v16, v18
        opp(0b101100, 27, 28, 26),   // vghsh.vv v26, v27, v28
        opp(0b101000, 27, 0x11, 29), // vgmul.vv v29, v27
        opp(0b100001, 25, 5, 30),    // vsm4k.vi v30, v25, 5
        opp(0b101000, 25, 0x10, 31), // vsm4r.vv v31, v25
        opp(0b101001, 8, 0x10, 3),   // vsm4r.vs v3, v8
    ];
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        let (simd, helper) = loop_without_vsetvli(&body, 0x0517_d0c5_eed5_0007, vlen);
        assert_eq!(helper, 0, "a crypto instruction went to the generic helper");
        assert!(simd >= 7 * 40 * body.len() as u64, "only {simd} took the crypto helper");
        // vsetivli x0, 4 or 8, e32, m1, ta, ma first: the vtype is known
        // (at VLEN 256, two element groups per register).
        let avl = vlen.bits() / 32;
        let mut with_vset = vec![3 << 30 | (3 << 6 | E32M1 as u32) << 20 | avl << 15 | 7 << 12 | OPV];
        with_vset.extend(body);
        let (simd, helper) = loop_without_vsetvli(&with_vset, 0x0517_d0c5_eed5_0008, vlen);
        assert_eq!(helper, 0, "a crypto instruction went to the generic helper");
        assert!(simd >= 7 * 40 * body.len() as u64, "only {simd} took the crypto helper");
    }
}

/// SM3's instructions (8-element groups: EGW 256, so LMUL 2 at VLEN 128)
/// and Zvbc's in a loop after a `vsetivli`: compiled code runs them in the
/// generic helper and agrees with the interpreter.
#[test]
fn sm3_and_clmul_run_in_the_helper_and_agree() {
    // vsetivli x0, 8, e32, m2, ta, ma
    let vset = 3 << 30 | (3 << 6 | (E32M1 as u32 | 1)) << 20 | 8 << 15 | 7 << 12 | OPV;
    let body = [
        vset,
        opp(0b100000, 8, 12, 4),  // vsm3me.vv v4, v8, v12
        opp(0b101011, 8, 9, 12),  // vsm3c.vi v12, v8, 9
        opp(0b101011, 4, 22, 16), // vsm3c.vi v16, v4, 22
        // vsetivli x0, 2, e64, m1, ta, ma; vclmul.vv v20, v21, v22; vclmulh.vx v23, v21, x1
        3 << 30 | (3 << 6 | 0b011_000) << 20 | 2 << 15 | 7 << 12 | OPV,
        opv(0b001100, 1, 21, 22, MVV, 20),
        opv(0b001101, 1, 21, 1, MVX, 23),
    ];
    let (_, helper) = loop_without_vsetvli(&body, 0x0517_d0c5_eed5_0009, Vlen::DEFAULT);
    assert!(helper >= 7 * 40 * 5, "only {helper} ran in the helper");
}

/// A loop body without a `vsetvli` (the configuration is set before the
/// loop, as real code does): compiled code guesses the `vtype` the block
/// was entered with, so its `vadd.vv` runs as SIMD, never in the helper.
#[test]
fn blocks_without_vsetvli_run_as_simd_on_the_entry_vtype() {
    let (simd, helper) = loop_without_vsetvli(&[opv(0, 1, 8, 12, IVV, 4)], 0x0517_d0c5_eed5_0004, Vlen::DEFAULT);
    assert_eq!(helper, 0, "the vadd.vv went to the helper");
    assert!(simd >= 7 * 40, "only {simd} ran as SIMD");
}

/// The same block entered with a `vtype` that alternates between e32 and
/// e8 (a `vsetvl` after the `vadd.vv` flips it every iteration): the
/// run-time check sends the runs whose `vtype` is not the guessed one to
/// the helper, and the results still agree with the interpreter's.
#[test]
fn a_guessed_vtype_that_changes_falls_back_to_the_helper() {
    // vadd.vv v4, v8, v12; xori x6, x6, 0x10; vsetvl x0, x7, x6
    let body = [
        opv(0, 1, 8, 12, IVV, 4),
        0x10 << 20 | 6 << 15 | 4 << 12 | 6 << 7 | 0x13,
        0x8000_0000 | 6 << 20 | 7 << 15 | 7 << 12 | OPV,
    ];
    let (simd, helper) = loop_without_vsetvli(&body, 0x0517_d0c5_eed5_0005, Vlen::DEFAULT);
    // Each iteration's vsetvl runs in the helper, and so does every other
    // vadd.vv (some configurations interpret the first runs).
    assert!(helper >= 7 * (40 + 10), "only {helper} ran in the helper");
    assert!(simd >= 7 * 10, "only {simd} ran as SIMD");
}

/// The same for longer: `FERROVM_DIFF_CASES=100000 cargo test --release
/// -p ferrovm-engine -- --ignored long_vector_differential`.
/// `FERROVM_DIFF_SEED` (decimal or `0x` hex) picks another stream, so runs
/// in parallel with distinct seeds add up to distinct cases.
#[test]
#[ignore = "long run; see the doc comment"]
fn long_vector_differential() {
    let cases: u64 = std::env::var("FERROVM_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let seed = std::env::var("FERROVM_DIFF_SEED").ok().map_or(0x0517_d0c5_eed5_0002, |v| {
        let parsed = match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse(),
        };
        parsed.unwrap_or_else(|e| panic!("FERROVM_DIFF_SEED={v}: {e}"))
    });
    let started = std::time::Instant::now();
    let n = run_cases(seed, cases);
    eprintln!(
        "seed {seed:#x}: {cases} cases agreed in {:.1?}; {} vector instructions as SIMD ({} at VLEN 256), {} in the helper",
        started.elapsed(),
        n.simd,
        n.simd_256,
        n.helper
    );
}

const OPFVV: u32 = 1;
const OPFVF: u32 = 5;

/// An element of SEW `sew_bits` (32 or 64): with `specials`, one in four
/// a NaN (quiet or signalling), an infinity, a zero or a subnormal;
/// otherwise a finite normal of either sign whose exponent is -70..20
/// (products and quotients reach the subnormal range, a loop's
/// `vfmadd` overflows), never a NaN.
fn fp_element(rng: &mut Rng, sew_bits: u32, specials: bool) -> u64 {
    let sign = rng.below(2);
    if specials && rng.below(4) == 0 {
        let (d, s) = (
            [0x7ff8_0000_0000_0001u64, 0x7ff0_0000_0000_0001, 0x7ff0_0000_0000_0000, 0, 1],
            [0x7fc0_0001u64, 0x7f80_0001, 0x7f80_0000, 0, 1],
        );
        let i = rng.below(5) as usize;
        return if sew_bits == 64 { d[i] | sign << 63 } else { s[i] | sign << 31 };
    }
    let e = rng.below(91) as i64 - 70;
    if sew_bits == 64 {
        sign << 63 | ((1023 + e) as u64) << 52 | (rng.next() & ((1 << 52) - 1))
    } else {
        sign << 31 | ((127 + e) as u64) << 23 | (rng.next() & ((1 << 23) - 1))
    }
}

/// A loop of element-wise vector FP instructions (`vfadd`, `vfsub`,
/// `vfrsub`, `vfmul`, `vfdiv`, `vfrdiv`, `vfmacc`, `vfnmacc`, `vfmsac`,
/// `vfnmsac`, `vfmadd`, `vfnmadd`, `vfmsub`, `vfnmsub`; `.vv` and `.vf`)
/// at SEW `sew_bits`, LMUL 2, masked or not, `vl` = VLMAX or 3, from
/// random FP elements: interpreter and JIT end alike (`fflags` too).
fn fp_loop(
    rng: &mut Rng,
    vlen: Vlen,
    sew_bits: u32,
    tail: bool,
    vm: u32,
    specials: bool,
) -> (Vec<u8>, ferrovm_ir::Cpu) {
    let sew = sew_bits.trailing_zeros() - 3;
    let vtype = 3 << 6 | sew << 3 | 1;
    let mut words = vec![if tail {
        3 << 30 | vtype << 20 | 3 << 15 | 7 << 12 | 5 << 7 | OPV // vsetivli x5, 3, e<sew>, m2
    } else {
        vtype << 20 | 7 << 12 | 5 << 7 | OPV // vsetvli x5, x0, e<sew>, m2
    }];
    // (funct6, .vv, .vf) of each: vfrsub and vfrdiv have .vf only.
    let ops: [(u32, bool, bool); 14] = [
        (0b000000, true, true),  // vfadd
        (0b000010, true, true),  // vfsub
        (0b100111, false, true), // vfrsub
        (0b100100, true, true),  // vfmul
        (0b100000, true, true),  // vfdiv
        (0b100001, false, true), // vfrdiv
        (0b101100, true, true),  // vfmacc
        (0b101101, true, true),  // vfnmacc
        (0b101110, true, true),  // vfmsac
        (0b101111, true, true),  // vfnmsac
        (0b101000, true, true),  // vfmadd
        (0b101001, true, true),  // vfnmadd
        (0b101010, true, true),  // vfmsub
        (0b101011, true, true),  // vfnmsub
    ];
    for (i, (f6, vv, vf)) in ops.into_iter().enumerate() {
        // Destinations v16.. (an aligned pair each, never v0); sources
        // v8, v10; scalars f1..f3.
        let vd = 16 + 2 * (i as u32 % 8);
        if vv {
            words.push(opv(f6, vm, 8, 10, OPFVV, vd));
        }
        if vf {
            words.push(opv(f6, vm, 10, 1 + i as u32 % 3, OPFVF, vd));
        }
    }
    words.push(0xfff << 20 | COUNTER << 15 | COUNTER << 7 | 0x13); // addi x30, x30, -1
    let back = -4 * (words.len() as i32 - 1);
    // bne x30, x0, back to the first instruction after vsetvli
    let imm = back as u32;
    words.push(
        (imm >> 12 & 1) << 31
            | (imm >> 5 & 0x3f) << 25
            | COUNTER << 15
            | 1 << 12
            | (imm >> 1 & 0xf) << 8
            | (imm >> 11 & 1) << 7
            | 0x63,
    );
    words.push(0x73);
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut cpu = looping_cpu(rng, 20, vlen);
    let bytes = sew_bits as usize / 8;
    for r in 1..32 {
        let reg = cpu.vector.reg_mut(r);
        for e in reg.chunks_mut(bytes) {
            let v = fp_element(rng, sew_bits, specials);
            e.copy_from_slice(&v.to_le_bytes()[..bytes]);
        }
    }
    for f in 1..4 {
        let v = fp_element(rng, sew_bits, specials);
        cpu.regs[32 + f] = if sew_bits == 32 { 0xffff_ffff_0000_0000 | v } else { v };
    }
    cpu.frm = rng.below(if specials { 5 } else { 4 });
    (code, cpu)
}

/// Element-wise vector FP at SEW 32 and 64, LMUL 2, `vl` = VLMAX and 3,
/// masked and not, at VLEN 128 and 256, in a loop of 20, every rounding
/// mode the host rounds in, from finite elements (subnormal and infinite
/// results, never a NaN): the interpreter and every JIT configuration
/// agree (registers, `fflags`), and compiled code with host FP never
/// called the helper for them (they ran as host SIMD, the inactive and
/// tail elements raising no flag); SoftFloat's configuration leaves them
/// to the helper.
#[test]
fn fp_ops_run_as_simd_and_agree() {
    let mut rng = Rng(0x0517_d0c5_eed5_00f9);
    let mut case = 0;
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        for sew_bits in [32, 64] {
            for (tail, vm) in [(false, 1), (true, 1), (false, 0), (true, 0)] {
                let (code, cpu) = fp_loop(&mut rng, vlen, sew_bits, tail, vm, false);
                let what = format!("VLEN {}, SEW {sew_bits}, tail {tail}, vm {vm}, frm {}", vlen.bits(), cpu.frm);
                for variant in 0..crate::jit_diff::VARIANTS {
                    let config = EngineConfig { vlen, ..jit_config(case + variant) };
                    let soft = (case + variant) % crate::jit_diff::VARIANTS == 3;
                    let data = rng.next();
                    let stats = compare(&code, &cpu, data, config).unwrap_or_else(|e| panic!("{what}: {e}"));
                    if !soft {
                        assert_eq!(stats.vector_helper, 0, "{what} (variant {variant}) went to the helper");
                        assert!(stats.vector_simd >= 20 * 22, "{what}: {} as SIMD", stats.vector_simd);
                    }
                }
                case += 1;
            }
        }
    }
}

/// The same loops from elements that are NaNs (quiet and signalling),
/// infinities, zeros and subnormals one time in four, and `frm` `rmm`
/// too: the interpreter and every JIT configuration agree; instructions
/// with a NaN result (and all of them under `rmm`) leave for the helper,
/// the rest run as SIMD.
#[test]
fn fp_ops_with_special_values_agree() {
    let mut rng = Rng(0x0517_d0c5_eed5_00fa);
    let (mut simd, mut helper) = (0, 0);
    let mut case = 0;
    for vlen in [Vlen::DEFAULT, Vlen::new(256).expect("a legal VLEN")] {
        for sew_bits in [32, 64] {
            for (tail, vm) in [(false, 1), (true, 1), (false, 0), (true, 0)] {
                for _ in 0..3 {
                    let (code, cpu) = fp_loop(&mut rng, vlen, sew_bits, tail, vm, true);
                    let what = format!("VLEN {}, SEW {sew_bits}, tail {tail}, vm {vm}, frm {}", vlen.bits(), cpu.frm);
                    let config = EngineConfig { vlen, ..jit_config(case) };
                    let stats = compare(&code, &cpu, rng.next(), config).unwrap_or_else(|e| panic!("{what}: {e}"));
                    simd += stats.vector_simd;
                    helper += stats.vector_helper;
                    case += 1;
                }
            }
        }
    }
    eprintln!("{simd} as SIMD, {helper} in the helper");
    assert!(simd > 2000 && helper > 2000, "{simd} as SIMD, {helper} in the helper");
}
