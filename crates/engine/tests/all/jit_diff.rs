//! Interpreter vs JIT on random instruction streams: the same start state
//! under both tiers must end with the same exit, registers, fflags/frm,
//! instret and memory.
//!
//! Instructions are random instances of random opcodes (`Opcode::ALL`,
//! fields filled from the opcode's encoding mask), so every extension is
//! covered evenly; branches and `jal` are pointed forward so most streams
//! terminate, and a watchdog interrupts the rest (those cases are dropped if
//! the interpreter did not finish either).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ferrovm_engine::{EngineConfig, EngineMode, Exit, FirstTier, FpLowering, JitOptions, MemAccess, Stats};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, Perms};
use ferrovm_riscv::{ExtSet, Opcode, decode, decode16, encode};
use proptest::prelude::*;

use crate::support::{OneVcpu, interp, jit};

pub(crate) const CODE: u64 = 0x10000;
pub(crate) const DATA: u64 = 0x20000;
pub(crate) const DATA_LEN: u64 = 0x2000;

/// A deterministic generator from the case's seed.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn is_branch(op: Opcode) -> bool {
    matches!(op, Opcode::Beq | Opcode::Bne | Opcode::Blt | Opcode::Bge | Opcode::Bltu | Opcode::Bgeu | Opcode::Jal)
}

/// One random legal instruction (4 bytes, or 2 for a compressed one).
pub(crate) fn random_insn(rng: &mut Rng) -> Vec<u8> {
    loop {
        if rng.below(8) == 0 {
            let half = rng.next() as u16;
            let inst = decode16(half);
            if half & 3 != 3 && inst.is_legal() && !is_branch(inst.op) && inst.op != Opcode::Jalr {
                return half.to_le_bytes().to_vec();
            }
            continue;
        }
        let op = Opcode::ALL[rng.below(Opcode::ALL.len() as u64) as usize];
        // Outside the default ISA (V): every one would end the stream
        // with SIGILL.
        if op == Opcode::Illegal || !ExtSet::DEFAULT.has(op.ext()) {
            continue;
        }
        let (want, mask) = op.encoding();
        let word = want | (rng.next() as u32 & !mask);
        let mut inst = decode(word);
        if !inst.is_legal() || inst.len != 4 {
            continue;
        }
        // `time` differs between two runs; everything else is deterministic.
        if format!("{:?}", inst.op).starts_with("Csr") && inst.imm & 0xfff == 0xc01 {
            continue;
        }
        if is_branch(inst.op) {
            inst.imm = 4 * (1 + rng.below(6) as i64);
            match encode(&inst) {
                Some(w) => return w.to_le_bytes().to_vec(),
                None => continue,
            }
        }
        return word.to_le_bytes().to_vec();
    }
}

/// Doubles that FP operations treat specially: ±0 (with the sign added at
/// random), 1, infinity, quiet and signalling NaNs, subnormals, the normal
/// extremes, halfway cases of rounding to integers and to single precision,
/// values at the edges of integer conversions, values whose products or
/// sums overflow or underflow.
const EDGES_D: [u64; 20] = [
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
    0x3fb9_9999_9999_999a,
    0x3ff0_0000_1000_0000,
    0x41df_ffff_ffe0_0000,
    0x41f0_0000_0000_0000,
    0x43e0_0000_0000_0000,
    0x47ef_ffff_f000_0000,
    0x36a0_0000_0000_0000,
    0x2000_0000_0000_0000,
    0x5fe0_0000_0000_0000,
];

/// The same for singles (NaN-boxed by the caller).
const EDGES_S: [u64; 16] = [
    0,
    0x3f80_0000,
    0x7f80_0000,
    0x7fc0_0001,
    0x7fa0_0001,
    0x0000_0001,
    0x007f_ffff,
    0x0080_0000,
    0x7f7f_ffff,
    0x3f00_0000,
    0x3fc0_0000,
    0x3dcc_cccd,
    0x4f00_0000,
    0x5f00_0000,
    0x1f80_0000,
    0x5f80_0000,
];

/// A start state: registers pointing into (and around) the data pages,
/// random FP registers, sometimes an invalid `frm`.
pub(crate) fn random_cpu(rng: &mut Rng) -> Cpu {
    let mut cpu = Cpu { pc: CODE, ..Cpu::default() };
    for r in 1..32 {
        cpu.regs[r] = match rng.below(5) {
            0 | 1 => DATA + 0x800 + (rng.below(0x800) & !7),
            2 => DATA + DATA_LEN - 0x800 + rng.below(0x1000),
            3 => rng.next(),
            _ => (rng.below(21) as i64 - 10) as u64,
        };
    }
    for r in 32..64 {
        let sign = rng.below(2);
        cpu.regs[r] = match rng.below(4) {
            0 => rng.next(),
            1 => 0xffff_ffff_0000_0000 | (rng.next() & 0xffff_ffff),
            2 => EDGES_D[rng.below(EDGES_D.len() as u64) as usize] ^ (sign << 63),
            _ => 0xffff_ffff_0000_0000 | (EDGES_S[rng.below(EDGES_S.len() as u64) as usize] ^ (sign << 31)),
        };
    }
    cpu.frm = if rng.below(8) == 0 { 5 + rng.below(3) } else { rng.below(5) };
    cpu.fflags = rng.below(32);
    cpu
}

pub(crate) fn memory(code: &[u8], data_seed: u64, code_writable: bool) -> Arc<AddressSpace> {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    let perms = if code_writable { Perms::RWX } else { Perms::RX };
    mem.map(CODE, 0x1000, perms).expect("map code");
    mem.write_bytes_force(CODE, code).expect("code");
    mem.map(DATA, DATA_LEN, Perms::RW).expect("map data");
    let mut rng = Rng(data_seed | 1);
    let bytes: Vec<u8> = (0..DATA_LEN).map(|_| rng.next() as u8).collect();
    mem.write_bytes(DATA, &bytes).expect("data");
    // A read-only page right after the data and an unmapped one after
    // it: registers near the end of the data make loads and stores that
    // straddle into them, stores that fault on the read-only page, and
    // accesses that fault on the unmapped one (SEGV_ACCERR and
    // SEGV_MAPERR, from compiled code: host faults when memory access is
    // direct).
    if data_seed.is_multiple_of(2) {
        mem.map(DATA + DATA_LEN, 0x1000, Perms::R).expect("map read-only");
        mem.write_bytes_force(DATA + DATA_LEN, &bytes[..0x1000]).expect("read-only data");
    }
    mem
}

/// Runs until the first exit, with a watchdog: `None` if it had to be
/// interrupted.
pub(crate) fn run_bounded(engine: &mut OneVcpu, cpu: &mut Cpu, limit: Duration) -> Option<Exit> {
    let flag = engine.interrupt_handle();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::Acquire) {
                if start.elapsed() > limit {
                    flag.interrupt();
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let exit = engine.run(cpu);
    done.store(true, Ordering::Release);
    let _ = watchdog.join();
    (exit != Exit::Interrupted).then_some(exit)
}

/// JIT configurations the differential tests cycle through (by seed).
pub(crate) const VARIANTS: u64 = 7;

pub(crate) fn jit_config(variant: u64) -> EngineConfig {
    let j = JitOptions::default;
    let cranelift = |config: EngineConfig| EngineConfig { first_tier: FirstTier::Cranelift, ..config };
    match variant % VARIANTS {
        0 => jit(None, j()),
        // Every block leaves for a recompile on its first entry: the
        // stream runs as hot code (Cranelift's optimizer on).
        1 => jit(Some(1), j()),
        // Also direct memory access (inline checks are the default).
        2 => jit(None, JitOptions { chaining: false, mem: MemAccess::Direct, ..j() }),
        // Also the SoftFloat lowering of FP (the host FPU's is the default).
        3 => jit(None, JitOptions { inline_cache: false, code_cache_size: 16 << 10, fp: FpLowering::Soft, ..j() }),
        // Counting first-run code from Cranelift (single-pass register
        // allocation) that never gets hot here.
        4 => cranelift(jit(Some(1 << 30), j())),
        // The same from the baseline compiler (Cranelift for the blocks
        // it leaves), with inline checks, and with direct memory access
        // and no inline caches.
        5 => jit(Some(1 << 30), j()),
        _ => jit(Some(1 << 30), JitOptions { mem: MemAccess::Direct, inline_cache: false, ..j() }),
    }
}

pub(crate) fn snapshot(mem: &AddressSpace) -> Vec<u8> {
    let mut out = vec![0; (DATA_LEN + 0x2000) as usize];
    mem.read_bytes_force(DATA, &mut out[..DATA_LEN as usize]).expect("data");
    let _ = mem.read_bytes_force(DATA + DATA_LEN, &mut out[(DATA_LEN + 0x1000) as usize..]);
    mem.read_bytes_force(CODE, &mut out[DATA_LEN as usize..(DATA_LEN + 0x1000) as usize]).expect("code");
    out
}

/// One case; `Ok` carries the JIT's host faults (direct loads and stores
/// that faulted in the host and were finished by the interpreter).
fn one_case(seed: u64, len: usize, direct: bool) -> Result<u64, TestCaseError> {
    let config = if direct {
        // Direct memory access, as first-run code or as hot code.
        let tier_up = (seed % 2 == 1).then_some(1);
        jit(tier_up, JitOptions { mem: MemAccess::Direct, ..JitOptions::default() })
    } else {
        jit_config(seed)
    };
    let stats = run_case(seed, len, random_insn, config)?;
    if !direct && seed % VARIANTS == 1 && stats.native_entries > 0 {
        prop_assert!(stats.hot_regions > 0, "nothing was recompiled as hot code");
    }
    Ok(stats.host_faults)
}

/// Runs `len` instructions from `insn` (then an `ecall`) from a random
/// start state in the interpreter and under `config`; both must agree.
/// The JIT's statistics.
fn run_case(
    seed: u64,
    len: usize,
    insn: fn(&mut Rng) -> Vec<u8>,
    config: EngineConfig,
) -> Result<Stats, TestCaseError> {
    let case = Case::new(seed, len, insn);
    compare(&case.code, &case.start, case.code_writable, case.data_seed, config)
}

/// A random case: `len` instructions from `insn` (then an `ecall`), a
/// start state, whether the code page is writable, the data's seed.
struct Case {
    code: Vec<u8>,
    start: Cpu,
    code_writable: bool,
    data_seed: u64,
}

impl Case {
    fn new(seed: u64, len: usize, insn: fn(&mut Rng) -> Vec<u8>) -> Self {
        let mut rng = Rng(seed | 1);
        let mut code = Vec::new();
        for _ in 0..len {
            code.extend(insn(&mut rng));
        }
        code.extend(0x0000_0073u32.to_le_bytes()); // ecall
        let start = random_cpu(&mut rng);
        let code_writable = rng.below(4) == 0;
        Case { code, start, code_writable, data_seed: rng.next() }
    }
}

/// Runs `code` from `start` in the interpreter and under `config` (data
/// from `data_seed`; the read-only page after it when that is even); both
/// must agree. The JIT's statistics.
fn compare(
    code: &[u8],
    start: &Cpu,
    code_writable: bool,
    data_seed: u64,
    config: EngineConfig,
) -> Result<Stats, TestCaseError> {
    let mem_i = memory(code, data_seed, code_writable);
    let mut interp = OneVcpu::new(Arc::clone(&mem_i), interp());
    let mut cpu_i = start.clone();
    let Some(exit_i) = run_bounded(&mut interp, &mut cpu_i, Duration::from_millis(300)) else {
        return Err(TestCaseError::reject("does not terminate"));
    };

    let mem_j = memory(code, data_seed, code_writable);
    let mut jit = OneVcpu::new(Arc::clone(&mem_j), config);
    let compiles = matches!(jit.mode(), EngineMode::Jit { .. });
    prop_assert!(compiles, "the JIT is not in use");
    let mut cpu_j = start.clone();
    let exit_j = run_bounded(&mut jit, &mut cpu_j, Duration::from_secs(20));
    prop_assert_eq!(Some(exit_i), exit_j, "exit differs");
    prop_assert_eq!(&cpu_i, &cpu_j, "cpu differs");
    prop_assert!(snapshot(&mem_i) == snapshot(&mem_j), "memory differs");
    prop_assert_eq!(jit.stats().jit_errors, 0, "a block fell back to the interpreter");
    Ok(jit.stats())
}

/// `amo<op>.<w|d>` with the given fields (unprivileged spec, "A"
/// chapter: `funct5 aq rl rs2 rs1 funct3 rd 0101111`).
fn amo_word(funct5: u32, aq: u32, rl: u32, rs2: u32, rs1: u32, double: bool, rd: u32) -> u32 {
    funct5 << 27 | aq << 26 | rl << 25 | rs2 << 20 | rs1 << 15 | (2 + u32::from(double)) << 12 | rd << 7 | 0x2f
}

/// AMOs in Cranelift's code are inline host atomics (the check, then one
/// locked instruction). Every operation at both widths with every
/// ordering, on aligned addresses in the data (`x5`..`x7`), agrees with
/// the interpreter, as first-run Cranelift code, as hot code and with
/// direct memory access, without one slow exit: compiled code did them
/// all. Then the same streams with `x7` misaligned, on the read-only page
/// and unmapped: the check sends that AMO to the interpreter (a slow
/// exit), which faults exactly where it does alone.
#[test]
fn amos_agree() {
    // swap add xor and or min max minu maxu
    const FUNCT5: [u32; 9] = [0b00001, 0b00000, 0b00100, 0b01100, 0b01000, 0b10000, 0b10100, 0b11000, 0b11100];
    let configs = || {
        [
            EngineConfig { first_tier: FirstTier::Cranelift, ..jit(Some(1 << 30), JitOptions::default()) },
            jit(Some(1), JitOptions::default()),
            jit(Some(1), JitOptions { mem: MemAccess::Direct, ..JitOptions::default() }),
        ]
    };
    let mut rng = Rng(0xa70_0a70_0a70_0001);
    for case in 0..24u64 {
        let mut code = Vec::new();
        for &f5 in &FUNCT5 {
            for double in [false, true] {
                let (aq, rl) = (rng.below(2) as u32, rng.below(2) as u32);
                let rs1 = 5 + rng.below(3) as u32;
                let (rs2, rd) = (10 + rng.below(22) as u32, 10 + rng.below(22) as u32);
                code.extend(amo_word(f5, aq, rl, rs2, rs1, double, rd).to_le_bytes());
            }
        }
        code.extend(0x0000_0073u32.to_le_bytes()); // ecall
        let mut start = random_cpu(&mut rng);
        for (i, r) in (5..8).enumerate() {
            start.regs[r] = DATA + 0x800 + 8 * (i as u64 + rng.below(8));
        }
        // Even data seeds map the read-only page after the data.
        let data_seed = rng.next() & !1;
        for config in configs() {
            let stats = compare(&code, &start, false, data_seed, config)
                .unwrap_or_else(|e| panic!("case {case}, aligned: {e}"));
            assert!(stats.native_entries > 0, "case {case}: no compiled code ran");
            assert_eq!(stats.exits_slow, 0, "case {case}: an aligned AMO left compiled code");
        }
        let mut bad = start.clone();
        bad.regs[7] = match case % 3 {
            0 => DATA + 0x801,
            1 => DATA + DATA_LEN,
            _ => DATA + DATA_LEN + 0x1000,
        };
        for config in configs() {
            let stats =
                compare(&code, &bad, false, data_seed, config).unwrap_or_else(|e| panic!("case {case}, faulting: {e}"));
            assert!(stats.exits_slow > 0, "case {case}: a faulting AMO stayed in compiled code");
        }
    }
}

/// One random instruction the baseline compiler compiles (no FP
/// arithmetic, no CSR access; FP loads and stores are integer IR).
fn random_int_insn(rng: &mut Rng) -> Vec<u8> {
    loop {
        let bytes = random_insn(rng);
        let name = match *bytes.as_slice() {
            [a, b] => format!("{:?}", decode16(u16::from_le_bytes([a, b])).op),
            [a, b, c, d] => format!("{:?}", decode(u32::from_le_bytes([a, b, c, d])).op),
            _ => continue,
        };
        let fp_or_csr = name.starts_with("Csr") || (name.starts_with('F') && !name.starts_with("Fence"));
        let fp_memory = matches!(name.as_str(), "Flw" | "Fld" | "Flh" | "Fsw" | "Fsd" | "Fsh");
        if !fp_or_csr || fp_memory {
            return bytes;
        }
    }
}

/// [`random_int_insn`] with its register fields (`rd`, `rs1`, `rs2` of a
/// 32-bit instruction) on `x5`, `x10` and `x11` alone: a register set and
/// read again and again, as the baseline compiler keeps in a host register
/// and stores only at sync points (`x10 = x10 op k` runs in place).
fn random_chain_insn(rng: &mut Rng) -> Vec<u8> {
    // Three in four: arithmetic of the shapes that run in place.
    if rng.below(4) != 0 {
        let reg = |rng: &mut Rng| [5u32, 10, 11, 10][rng.below(4) as usize];
        let (rd, rs1, rs2) = (reg(rng), reg(rng), reg(rng));
        let imm = (rng.below(4096) as u32) << 20;
        let shamt = (rng.below(64) as u32) << 20;
        let i = |f3: u32, imm: u32, opcode: u32| imm | rs1 << 15 | f3 << 12 | rd << 7 | opcode;
        let r = |f7: u32, f3: u32, opcode: u32| f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opcode;
        let word = match rng.below(16) {
            0 => i(0, imm, 0x13),                 // addi
            1 => i(4, imm, 0x13),                 // xori
            2 => i(6, imm, 0x13),                 // ori
            3 => i(7, imm, 0x13),                 // andi
            4 => i(1, shamt, 0x13),               // slli
            5 => i(5, shamt, 0x13),               // srli
            6 => i(5, shamt | 0x4000_0000, 0x13), // srai
            7 => i(0, imm, 0x1b),                 // addiw
            8 => r(0, 0, 0x33),                   // add
            9 => r(0x20, 0, 0x33),                // sub
            10 => r(0, 4, 0x33),                  // xor
            11 => r(0, 6, 0x33),                  // or
            12 => r(0, 7, 0x33),                  // and
            13 => r(1, 0, 0x33),                  // mul
            14 => r(0, 0, 0x3b),                  // addw
            _ => r(0x20, 0, 0x3b),                // subw
        };
        return word.to_le_bytes().to_vec();
    }
    let bytes = random_int_insn(rng);
    let Ok(word) = <[u8; 4]>::try_from(bytes.as_slice()) else { return bytes };
    let few = |field: u32| [5, 10, 11, 10][field as usize % 4];
    let mut w = u32::from_le_bytes(word);
    for shift in [7, 15, 20] {
        w = w & !(31 << shift) | few(w >> shift & 31) << shift;
    }
    w.to_le_bytes().to_vec()
}

/// The baseline compiler on integer code: as first-run code under
/// `--engine jit` (counting, never hot), with inline checks and with
/// direct memory access, chained and not, from optimized IR and from the
/// IR as lifted. Every case agrees with the
/// interpreter, and the statistics prove that the baseline compiler made
/// the code (no block fell back to Cranelift).
#[test]
fn baseline_code_agrees_with_the_interpreter() {
    baseline_cases(0xba5e_11e0_c0de_0001, 120, random_int_insn);
}

/// The same on chains of arithmetic on three registers with loads and
/// stores between (whose faults see every register as set before them).
#[test]
fn baseline_register_chains_agree_with_the_interpreter() {
    baseline_cases(0xba5e_11e0_c0de_0002, 400, random_chain_insn);
}

fn baseline_cases(seed: u64, cases: u64, insn: fn(&mut Rng) -> Vec<u8>) {
    let mut rng = Rng(seed);
    let (mut compiles, mut ran) = (0, 0);
    for i in 0..cases {
        let (seed, len) = (rng.next(), 1 + rng.below(40) as usize);
        let options = match i % 3 {
            0 => JitOptions::default(),
            1 => JitOptions { mem: MemAccess::Direct, ..JitOptions::default() },
            _ => JitOptions { chaining: false, ..JitOptions::default() },
        };
        // Optimized IR, and the IR as lifted (what a cold block of the
        // tiered engine gets, `optimize_cold` off).
        let optimize = i / 3 % 2 == 0;
        let config = EngineConfig { first_tier: FirstTier::Baseline, optimize, ..jit(Some(1 << 30), options) };
        match run_case(seed, len, insn, config) {
            Ok(stats) => {
                assert_eq!(stats.baseline_fallbacks, 0, "seed {seed:#x}: a block went to Cranelift");
                compiles += stats.baseline_compiles;
                ran += 1;
            }
            Err(TestCaseError::Reject(_)) => {}
            Err(e) => panic!("seed {seed:#x} len {len}: {e}"),
        }
    }
    assert!(ran > cases * 2 / 3, "{ran} cases ran");
    assert!(compiles > ran, "only {compiles} baseline compiles over {ran} cases");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn interpreter_and_jit_agree(seed in any::<u64>(), len in 1usize..48) {
        one_case(seed, len, false)?;
    }
}

/// Faulting loads and stores in compiled code without inline checks: the
/// same cases as above, many of which fault (wild pointers, the unmapped
/// and read-only pages after the data, stores into the code page), agree
/// with the interpreter, and some of those faults really were host faults
/// in compiled code (not a check that sent them to the interpreter).
#[test]
fn host_faults_in_compiled_code_agree() {
    let mut rng = Rng(0xfa17_5eed_0bad_c0de);
    let (mut faults, mut ran) = (0, 0);
    for _ in 0..300 {
        let (seed, len) = (rng.next(), 1 + rng.below(40) as usize);
        match one_case(seed, len, true) {
            Ok(n) => {
                faults += n;
                ran += 1;
            }
            Err(TestCaseError::Reject(_)) => {}
            Err(e) => panic!("seed {seed:#x} len {len}: {e}"),
        }
    }
    assert!(ran > 200, "{ran} cases ran");
    assert!(faults > 20, "only {faults} host faults in compiled code over {ran} cases");
}

/// Trap-mode memory access ([`MemAccess::Trap`]: no branch before a load
/// or store; a guest fault is a host fault that leaves compiled code with
/// only the pc precise), as first-run and as hot code, on random streams
/// with wild pointers: without a fault, everything agrees with the
/// interpreter; at a fault, the exit (the fault's kind and address) and
/// the pc agree (the registers need not: nothing sees them, since such
/// code runs only while the guest has no handler for the fault), and so
/// does memory (every store before the faulting access happened, none
/// after). Some of the faults really came from trap-mode code. The code
/// page is not writable here: a store into translated code is seen from
/// the next block on in trap mode, not from the next instruction (`smc`
/// tests that).
#[test]
fn trap_mode_agrees_up_to_the_fault() {
    trap_mode_cases(0x7a97_a95e_ed00_0001, false, None);
}

/// Trap-mode memory access once the guest can see its registers at a fault
/// (it installed a `SIGSEGV` handler): the code then stores every guest
/// register as it is set (`write_through`), so at a fault *everything*
/// agrees with the interpreter, `instret` included, not only the pc; and
/// the faults really came from trap-mode code (host faults), as first-run
/// and as hot code.
#[test]
fn trap_mode_with_precise_faults_agrees_at_the_fault() {
    trap_mode_cases(0x7a97_a95e_ed00_0002, true, None);
}

/// Trap-mode table lookups (an index from `andi`, `srliw` or `lbu`,
/// scaled by `slli` and added to a base, then loads and stores through
/// the sum at offsets up to a few KiB apart), where one limit check covers
/// accesses through a base plus an index (see the JIT's `trap_bases`):
/// with bases inside the data, near its end (indexes that reach the
/// read-only and the unmapped page after it) and wild (beyond the guest
/// limit, or near 2^64), everything agrees with the interpreter as in the
/// two tests above, with and without precise faults.
#[test]
fn trap_mode_table_lookups_agree_up_to_the_fault() {
    trap_mode_cases(0x7a97_a95e_ed00_0003, false, Some(random_lookup));
    trap_mode_cases(0x7a97_a95e_ed00_0004, true, Some(random_lookup));
}

/// Half the time a random integer instruction, otherwise a table lookup:
/// an index in `x(5..8)` from `andi` (masks up to 0x7ff), `srliw` (by 20 to
/// 31) or `lbu`, `slli` by 0 to 3, `add` to a base register, and one to
/// three loads or stores through the sum at offsets from -0x800 to 0x7ff.
fn random_lookup(rng: &mut Rng) -> Vec<u8> {
    if rng.below(2) == 0 {
        return random_int_insn(rng);
    }
    let reg = |rng: &mut Rng| 1 + rng.below(31) as u32;
    let (index, src, base) = (5 + rng.below(3) as u32, reg(rng), reg(rng));
    let i_type =
        |imm: u32, rs1: u32, f3: u32, rd: u32, op: u32| (imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
    let mut words = vec![match rng.below(3) {
        0 => i_type([0xff, 0x3f, 0x3ff, 0x7ff][rng.below(4) as usize], src, 7, index, 0x13), // andi
        1 => i_type(20 + rng.below(12) as u32, src, 5, index, 0x1b),                         // srliw
        _ => i_type(rng.below(8) as u32 * 0x100, src, 4, index, 0x03),                       // lbu
    }];
    words.push(i_type(rng.below(4) as u32, index, 1, index, 0x13)); // slli
    words.push(base << 20 | index << 15 | index << 7 | 0x33); // add index, index, base
    for _ in 0..1 + rng.below(3) {
        let off = [0, 0x400, 0x7f8, 0x800, 0xc00, rng.below(0x1000) as u32][rng.below(6) as usize] & 0xfff;
        let f3 = rng.below(4) as u32; // b, h, w, d
        words.push(if rng.below(3) == 0 {
            let rs2 = reg(rng);
            (off >> 5) << 25 | rs2 << 20 | index << 15 | f3 << 12 | (off & 0x1f) << 7 | 0x23
        } else {
            let rd = 8 + rng.below(4) as u32;
            i_type(off, index, f3 | u32::from(rng.below(2) == 0 && f3 < 3) << 2, rd, 0x03)
        });
    }
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Trap-mode loops that walk a pointer (a loop region whose blocks assume
/// what the round before learnt about their base registers, see the JIT's
/// `translate::limits`: the limit check moves to the way into the loop),
/// from bases inside the data, near its end (the walk reaches the
/// read-only and the unmapped page after it in a later round, where
/// compiled code has no check left) and wild (the check on the way in
/// fails and the interpreter faults): everything agrees with the
/// interpreter as in the tests above, with and without precise faults.
#[test]
fn trap_mode_pointer_walks_agree_up_to_the_fault() {
    trap_mode_cases(0x7a97_a95e_ed00_0005, false, Some(random_walk));
    trap_mode_cases(0x7a97_a95e_ed00_0006, true, Some(random_walk));
}

/// Half the time a random integer instruction, otherwise a loop of 1 to
/// 40 rounds (its counter in `x28..x31`): one to three loads or stores
/// through a base register at offsets from -0x800 to 0x7ff (a load may
/// overwrite the base), a forward branch over the next instruction half
/// of the time (two paths through the body), the base bumped by -8 to
/// 2048, the counter counted down, a branch back. A third of those loops
/// run inside an outer loop of 20 to 39 rounds (and have 1 to 8 rounds) (its counter the next of
/// `x28..x31`, the inner loop's steps -8 to 8, the base moved back after
/// it) that makes the base wild (2^40 added, without a branch) before
/// the inner loop in its last round: an edge
/// into the inner loop from inside the region, which must check what the
/// inner loop assumes.
fn random_walk(rng: &mut Rng) -> Vec<u8> {
    if rng.below(2) == 0 {
        return random_int_insn(rng);
    }
    let counter = 28 + rng.below(4) as u32;
    let base = loop {
        let r = 1 + rng.below(31) as u32;
        if r != counter {
            break r;
        }
    };
    let i_type =
        |imm: u32, rs1: u32, f3: u32, rd: u32, op: u32| (imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
    let b_type = |off: i32, rs2: u32, rs1: u32, f3: u32| {
        let o = off as u32;
        (o >> 12 & 1) << 31
            | (o >> 5 & 0x3f) << 25
            | rs2 << 20
            | rs1 << 15
            | f3 << 12
            | (o >> 1 & 0xf) << 8
            | (o >> 11 & 1) << 7
            | 0x63
    };
    let outer = (rng.below(3) == 0).then(|| 28 + (counter - 27) % 4).filter(|&o| o != base);
    let mut words = Vec::new();
    if let Some(outer) = outer {
        words.push(i_type(20 + rng.below(20) as u32, 0, 0, outer, 0x13)); // li outer, m
    }
    let outer_head = words.len();
    if let Some(outer) = outer {
        let tmp = if base == 8 { 9 } else { 8 };
        words.push(i_type(0xfff, outer, 0, tmp, 0x13)); // addi tmp, outer, -1
        words.push(i_type(1, tmp, 3, tmp, 0x13)); // seqz tmp, tmp
        words.push(i_type(40, tmp, 1, tmp, 0x13)); // slli tmp, tmp, 40
        words.push(tmp << 20 | base << 15 | base << 7 | 0x33); // add base, base, tmp
    }
    let rounds = if outer.is_some() { 1 + rng.below(8) } else { 1 + rng.below(40) };
    words.push(i_type(rounds as u32, 0, 0, counter, 0x13)); // li counter, n
    if outer.is_some() {
        // j .+4: the inner loop a block of its own (else the outer one's
        // block runs on into its first round).
        words.push(0x0040_006f);
    }
    let head = words.len();
    for _ in 0..1 + rng.below(3) {
        let off = [0, 4, 8, 0xff8, 0xffc, 0x7f8, 0x800, rng.below(0x1000) as u32][rng.below(8) as usize] & 0xfff;
        let f3 = rng.below(4) as u32; // b, h, w, d
        words.push(if rng.below(3) == 0 {
            let rs2 = 1 + rng.below(31) as u32;
            (off >> 5) << 25 | rs2 << 20 | base << 15 | f3 << 12 | (off & 0x1f) << 7 | 0x23
        } else {
            let rd = if rng.below(6) == 0 { base } else { 8 + rng.below(4) as u32 };
            let rd = if rd == counter { 8 } else { rd };
            i_type(off, base, f3 | u32::from(rng.below(2) == 0 && f3 < 3) << 2, rd, 0x03)
        });
        if rng.below(2) == 0 {
            // beq x8, x9, +8: skips the next instruction (an addi to x10).
            words.push(b_type(8, 9, 8, 0));
            words.push(i_type(rng.below(0x100) as u32, 10, 0, 10, 0x13));
        }
    }
    let step = if outer.is_some() {
        [-8i32, -4, 4, 8][rng.below(4) as usize]
    } else {
        [-8i32, -4, 1, 4, 8, 64, 2048][rng.below(7) as usize]
    };
    words.push(i_type(step as u32, base, 0, base, 0x13)); // addi base, base, step
    words.push(i_type(0xfff, counter, 0, counter, 0x13)); // addi counter, counter, -1
    let back = -4 * (words.len() - head) as i32;
    words.push(b_type(back, 0, counter, 1)); // bne counter, x0, head
    if let Some(outer) = outer {
        words.push(i_type((-(rounds as i32) * step) as u32, base, 0, base, 0x13)); // addi base, base, -rounds * step
        words.push(i_type(0xfff, outer, 0, outer, 0x13)); // addi outer, outer, -1
        let back = -4 * (words.len() - outer_head) as i32;
        words.push(b_type(back, 0, outer, 1)); // bne outer, x0, outer_head
    }
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The tests above: 300 random cases from `seed`, with precise faults
/// required or not (without, a third of the cases run baseline code only:
/// its loads trap too; with, baseline code checks inline), of random
/// instructions or of what `lookups` generates.
fn trap_mode_cases(seed: u64, precise: bool, lookups: Option<fn(&mut Rng) -> Vec<u8>>) {
    let mut rng = Rng(seed);
    let (mut faults, mut trapped, mut trapped_baseline, mut ran) = (0, 0, 0, 0);
    for i in 0..300 {
        let (seed, len) = (rng.next(), 1 + rng.below(40) as usize);
        // Baseline code only on integer code (FP blocks go to Cranelift).
        let baseline = !precise && i % 3 == 2;
        let generate = lookups.unwrap_or(if baseline { random_int_insn } else { random_insn });
        // The code page read-only whatever the case drew (see above).
        let Case { code, start, data_seed, .. } = Case::new(seed, len, generate);
        // (Baseline code is first-run code that counts its runs.)
        let tier_up = if baseline { Some(1 << 30) } else { (seed % 2 == 1).then_some(1) };
        let mut config = jit(tier_up, JitOptions { mem: MemAccess::Trap, ..JitOptions::default() });
        if baseline {
            config.first_tier = FirstTier::Baseline;
        }

        let mem_i = memory(&code, data_seed, false);
        let mut interp = OneVcpu::new(Arc::clone(&mem_i), interp());
        let mut cpu_i = start.clone();
        let Some(exit_i) = run_bounded(&mut interp, &mut cpu_i, Duration::from_millis(300)) else { continue };
        let mem_j = memory(&code, data_seed, false);
        let mut jit = OneVcpu::new(Arc::clone(&mem_j), config);
        if precise {
            jit.require_precise_faults();
        }
        let mut cpu_j = start.clone();
        let exit_j = run_bounded(&mut jit, &mut cpu_j, Duration::from_secs(20));
        ran += 1;
        let what = format!("seed {seed:#x} len {len}");
        // A trap-mode access beyond the guest limit, or wrapped around
        // into the guest's first page (its limit check trapped, or
        // baseline code clamped the address to the limit): only that much
        // of its address is known where registers are not precise (and
        // nothing sees it: the fault ends the program).
        let unknown = |addr: u64| !(0x1000..ferrovm_mem::GUEST_LIMIT).contains(&addr);
        let exit_i = match (exit_i, exit_j) {
            (Exit::Fault(f), Some(Exit::Fault(g)))
                if !precise && unknown(f.addr) && g.addr == ferrovm_mem::GUEST_LIMIT =>
            {
                Exit::Fault(ferrovm_mem::Fault { addr: g.addr, ..f })
            }
            (e, _) => e,
        };
        assert_eq!(Some(exit_i), exit_j, "{what}: exit differs");
        let fault = matches!(exit_i, Exit::Fault(_));
        faults += u32::from(fault);
        if fault && !precise {
            assert_eq!(cpu_i.pc, cpu_j.pc, "{what}: pc differs");
        } else {
            assert_eq!(cpu_i, cpu_j, "{what}: cpu differs");
        }
        assert!(snapshot(&mem_i) == snapshot(&mem_j), "{what}: memory differs");
        assert_eq!(jit.stats().jit_errors, 0, "{what}: a block fell back to the interpreter");
        trapped += jit.stats().host_faults;
        if baseline && jit.stats().baseline_compiles > 0 {
            trapped_baseline += jit.stats().host_faults;
        }
    }
    assert!(ran > 200, "{ran} cases ran");
    assert!(faults > 20 && trapped > 10, "{faults} faults, {trapped} from trap-mode code, over {ran} cases");
    if !precise {
        assert!(trapped_baseline > 3, "{trapped_baseline} faults from trap-mode loads of baseline code");
    }
}

/// A translation whose trap-mode access faults while the guest sees its
/// faults is compiled again with inline checks (a program that faults on
/// purpose, again and again, then pays no host signal per fault): the
/// first fault is a host fault, the next ones at the same place are not,
/// and each leaves the same precise state.
#[test]
fn a_translation_that_faults_with_precise_faults_is_compiled_with_checks() {
    // addi a0, a0, 1 ; ld a2, 0(a1) (a1: unmapped) ; ecall
    let code: Vec<u8> = [0x0015_0513_u32, 0x0005_b603, 0x0000_0073].iter().flat_map(|w| w.to_le_bytes()).collect();
    let mem = memory(&code, 1, false);
    let mut jit = OneVcpu::new(mem, jit(None, JitOptions { mem: MemAccess::Trap, ..JitOptions::default() }));
    jit.require_precise_faults();
    let mut start = Cpu { pc: CODE, ..Cpu::default() };
    start.regs[11] = 0x10;
    for round in 1..=3u64 {
        let mut cpu = start.clone();
        assert!(matches!(jit.run(&mut cpu), Exit::Fault(f) if f.addr == 0x10), "round {round}");
        assert_eq!((cpu.pc, cpu.regs[10], cpu.instret), (CODE + 4, 1, 1), "round {round}: precise at the load");
        let stats = jit.stats();
        assert_eq!((stats.host_faults, stats.faulting_code), (1, 1), "round {round}: {stats:?}");
    }
}

/// The proptest for much longer: `FERROVM_DIFF_CASES=100000 cargo test
/// --release -p ferrovm-engine -- --ignored long_differential`.
#[test]
#[ignore = "long run; see the doc comment"]
fn long_differential() {
    let cases: u64 = std::env::var("FERROVM_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let started = Instant::now();
    let mut rng = Rng(0x5eed_1234_5678_9abc);
    let mut ran = 0;
    for _ in 0..cases {
        let (seed, len) = (rng.next(), 1 + rng.below(63) as usize);
        match one_case(seed, len, false) {
            Ok(_) => ran += 1,
            Err(TestCaseError::Reject(_)) => {}
            Err(e) => panic!("seed {seed:#x} len {len}: {e}"),
        }
    }
    eprintln!("{ran} cases agreed ({cases} generated) in {:.1?}", started.elapsed());
}
