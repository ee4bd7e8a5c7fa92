//! The run loop: exits, precise state at faults, invalidation on code writes.

use std::sync::Arc;

use ferrovm_engine::{
    ColdCode, CompileThreads, DEFAULT_COLD_RUNS, EngineConfig, Exit, FirstTier, HotspotConfig, JitOptions, Stats,
};
use ferrovm_ir::Cpu;
use ferrovm_mem::{Access, AddressSpace, FaultKind, Perms};

use crate::support::{OneVcpu, interp, jit, tiered};

const BASE: u64 = 0x10000;

fn setup(words: &[u32]) -> (OneVcpu, Cpu) {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    mem.map(BASE, 0x1000, Perms::RWX).expect("map code");
    mem.map(0x20000, 0x1000, Perms::RW).expect("map data");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(BASE, &bytes).expect("write code");
    (OneVcpu::new(mem, interp()), Cpu { pc: BASE, ..Cpu::default() })
}

#[test]
fn fault_state_is_precise() {
    // addi a0,zero,1 ; addi a1,zero,2 ; ld a2,0(zero) ; addi a3,zero,3
    let (mut engine, mut cpu) = setup(&[0x00100513, 0x00200593, 0x00003603, 0x00300693]);
    match engine.run(&mut cpu) {
        Exit::Fault(f) => {
            assert_eq!((f.addr, f.access, f.kind), (0, Access::Read, FaultKind::Unmapped));
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    assert_eq!(cpu.pc, BASE + 8, "pc of the faulting load");
    assert_eq!((cpu.regs[10], cpu.regs[11], cpu.regs[13]), (1, 2, 0), "earlier writes done, later not");
    assert_eq!(cpu.instret, 2);
}

#[test]
fn illegal_instruction_is_an_exit_with_its_pc() {
    // addi a0,zero,7 ; 0x00000000 (illegal)
    let (mut engine, mut cpu) = setup(&[0x00700513, 0x0000_0000]);
    assert_eq!(engine.run(&mut cpu), Exit::Illegal { bits: 0 });
    assert_eq!((cpu.pc, cpu.regs[10], cpu.instret), (BASE + 4, 7, 1));
}

#[test]
fn fetch_fault_outside_code() {
    // jalr zero, 0(a0) with a0 = unmapped address.
    let (mut engine, mut cpu) = setup(&[0x00050067]);
    cpu.regs[10] = 0x5000_0000;
    match engine.run(&mut cpu) {
        Exit::Fault(f) => assert_eq!((f.addr, f.access), (0x5000_0000, Access::Exec)),
        other => panic!("expected a fetch fault, got {other:?}"),
    }
    assert_eq!(cpu.pc, 0x5000_0000);
}

#[test]
fn code_written_by_the_guest_is_retranslated() {
    // Loop: li a0,1 ; ecall   — then the host patches `li a0,1` to `li a0,2`
    // with an ordinary guest-visible write, as a store would.
    let (mut engine, mut cpu) = setup(&[0x00100513, 0x00000073]);
    assert_eq!(engine.run(&mut cpu), Exit::Ecall);
    assert_eq!(cpu.regs[10], 1);
    engine.memory().write_bytes(BASE, &0x00200513u32.to_le_bytes()).expect("patch");
    cpu.pc = BASE;
    assert_eq!(engine.run(&mut cpu), Exit::Ecall);
    assert_eq!(cpu.regs[10], 2, "stale translation was used");
    assert!(engine.stats().invalidations >= 1);
}

#[test]
fn interrupt_flag_stops_an_endless_loop() {
    // j . (an infinite loop)
    let (mut engine, mut cpu) = setup(&[0x0000006f]);
    let flag = engine.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        flag.interrupt();
    });
    assert_eq!(engine.run(&mut cpu), Exit::Interrupted);
    t.join().expect("thread");
    assert_eq!(cpu.pc, BASE);
}

#[test]
fn compiled_code_hands_misaligned_and_faulting_accesses_to_the_interpreter() {
    // ld a2,0(a1) (misaligned) ; sd a2,8(a1) (misaligned) ; ld a3,0(a4)
    // (crosses into an unmapped page: faults)
    let code = [0x0005b603, 0x00c5b423, 0x00073683];
    let run = |config: EngineConfig| {
        let (engine, mut cpu) = setup(&code);
        let mut engine = OneVcpu::new(Arc::clone(engine.memory()), config);
        engine.memory().write_bytes(0x20000, &(0u8..64).collect::<Vec<u8>>()).expect("data");
        cpu.regs[11] = 0x20001;
        cpu.regs[14] = 0x20ffc;
        let exit = engine.run(&mut cpu);
        let mut stored = [0u8; 8];
        engine.memory().read_bytes(0x20009, &mut stored).expect("read");
        (exit, cpu, stored, engine.stats().slow_accesses)
    };
    let (exit_i, cpu_i, stored_i, _) = run(interp());
    let (exit_j, cpu_j, stored_j, slow) = run(jit(None, JitOptions::default()));
    match exit_j {
        Exit::Fault(f) => assert_eq!((f.addr, f.access, f.kind), (0x21000, Access::Read, FaultKind::Unmapped)),
        ref other => panic!("expected a fault, got {other:?}"),
    }
    assert_eq!(exit_i, exit_j);
    assert_eq!((cpu_j.pc, cpu_j.instret), (BASE + 8, 2), "precise pc and count");
    assert_eq!(cpu_j.regs[12], u64::from_le_bytes([1, 2, 3, 4, 5, 6, 7, 8]));
    assert_eq!(stored_j, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!((cpu_i.regs, cpu_i.pc, stored_i), (cpu_j.regs, cpu_j.pc, stored_j));
    assert_eq!(slow, 3, "each access failed the inline check once");
}

#[test]
fn accesses_checked_as_a_group_stay_precise() {
    // sd a0,0(a1) ; sd a0,8(a1) ; ld a2,0(a1) ; ecall — one check covers the
    // three accesses through a1 in compiled code.
    let code = [0x00a5b023, 0x00a5b423, 0x0005b603, 0x00000073];
    let run = |config: EngineConfig, a1: u64| {
        let (engine, mut cpu) = setup(&code);
        let mut engine = OneVcpu::new(Arc::clone(engine.memory()), config);
        cpu.regs[10] = 0x1122_3344_5566_7788;
        cpu.regs[11] = a1;
        let exit = engine.run(&mut cpu);
        let mut data = vec![0u8; 0x1000];
        engine.memory().read_bytes(0x20000, &mut data).expect("read");
        (exit, cpu, data)
    };
    // In one page: the fast path.
    let (exit_i, cpu_i, data_i) = run(interp(), 0x20100);
    let (exit_j, cpu_j, data_j) = run(jit(None, JitOptions::default()), 0x20100);
    assert_eq!(exit_j, Exit::Ecall);
    assert_eq!(cpu_j.regs[12], 0x1122_3344_5566_7788);
    assert_eq!((exit_i, cpu_i.regs, cpu_i.pc, data_i), (exit_j, cpu_j.regs, cpu_j.pc, data_j));
    // The second store crosses into an unmapped page: the first store is
    // done, the second faults with its own pc.
    let (exit_i, cpu_i, data_i) = run(interp(), 0x20ff8);
    let (exit_j, cpu_j, data_j) = run(jit(None, JitOptions::default()), 0x20ff8);
    match exit_j {
        Exit::Fault(f) => assert_eq!((f.addr, f.access), (0x21000, Access::Write)),
        ref other => panic!("expected a fault, got {other:?}"),
    }
    assert_eq!((cpu_j.pc, cpu_j.instret), (BASE + 4, 1));
    assert_eq!(data_j[0xff8..], 0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!((exit_i, cpu_i.regs, cpu_i.pc, data_i), (exit_j, cpu_j.regs, cpu_j.pc, data_j));
}

/// A loop calling a small function, compiled as hot code: the callee's
/// blocks join the loop's region and its `ret` comes back inside it
/// (checked against the address after the call). Same result and
/// instruction count as the interpreter, under both compiling policies.
#[test]
fn calls_inside_a_hot_region_return_inside_it() {
    let code = [
        0x00000513, // li a0, 0
        0x3e800493, // li s1, 1000
        0x00048593, // loop: mv a1, s1
        0x014000ef, // jal ra, func
        0x00b50533, // add a0, a0, a1
        0xfff48493, // addi s1, s1, -1
        0xfe0498e3, // bnez s1, loop
        0x00000073, // ecall
        0x00159593, // func: slli a1, a1, 1
        0x00358593, // addi a1, a1, 3
        0x00008067, // ret
    ];
    let run = |config: EngineConfig| {
        let (engine, mut cpu) = setup(&code);
        let mut engine = OneVcpu::new(Arc::clone(engine.memory()), config);
        assert_eq!(engine.run(&mut cpu), Exit::Ecall);
        (cpu, engine.stats())
    };
    let (interp, _) = run(interp());
    // sum over n = 1..=1000 of 2n + 3
    assert_eq!(interp.regs[10], 1000 * 1001 + 3 * 1000);
    for (name, config) in [("tiered", tiered(10, JitOptions::default())), ("jit", jit(Some(10), JitOptions::default()))]
    {
        let (cpu, stats) = run(config);
        assert_eq!(cpu, interp, "{name}");
        assert!(stats.hot_regions > 0, "{name}: nothing compiled as hot code");
        // The loop's region holds the callee and the code after the call
        // (three blocks); without returns inside regions each of the
        // three blocks is a region of its own.
        assert!(
            stats.hot_blocks >= stats.hot_regions + 2,
            "{name}: {} blocks in {} regions",
            stats.hot_blocks,
            stats.hot_regions
        );
    }
}

/// `jal ra, offset`.
fn jal_ra(offset: i32) -> u32 {
    let o = offset as u32;
    ((o >> 20 & 1) << 31) | ((o >> 1 & 0x3ff) << 21) | ((o >> 11 & 1) << 20) | ((o >> 12 & 0xff) << 12) | 0xef
}

/// A loop that calls two functions of nine blocks each, all run on every
/// iteration (as the `locks` workload calls `pthread_mutex_lock` and
/// `pthread_mutex_unlock`), under the default first tier. With the
/// default limit of sixteen callee blocks the cut falls on the second
/// callee's return and loses the cycle (a region of one block, then more
/// for the rest); with `steady_callee_blocks` the loop's region holds its
/// three blocks and all eighteen of the callees', once.
#[test]
fn hot_regions_take_in_the_steady_blocks_of_two_callees() {
    const ITERATIONS: u64 = 20_000;
    const CALLEE_BLOCKS: usize = 9;
    let callee_words = 2 * CALLEE_BLOCKS as i32;
    let mut code = vec![
        0x00000513,                     // li a0, 0
        0x000054b7,                     // lui s1, 5
        0xe204849b,                     // addiw s1, s1, -480 (20000 iterations)
        0x0040006f,                     // j loop
        0x00048593,                     // loop: mv a1, s1
        jal_ra(4 * 5),                  // jal ra, f
        jal_ra(4 * (4 + callee_words)), // jal ra, g
        0xfff48493,                     // addi s1, s1, -1
        0xfe0498e3,                     // bnez s1, loop
        0x00000073,                     // ecall
    ];
    // f and g: eight blocks `addi a0, a0, 1 ; bnez s1, .+4`, then
    // `add a0, a0, a1 ; ret`.
    for _ in 0..2 {
        for _ in 1..CALLEE_BLOCKS {
            code.extend([0x00150513, 0x00049263]);
        }
        code.extend([0x00b50533, 0x00008067]);
    }
    let run = |config: EngineConfig| {
        let (engine, mut cpu) = setup(&code);
        let mut engine = OneVcpu::new(Arc::clone(engine.memory()), config);
        assert_eq!(engine.run(&mut cpu), Exit::Ecall);
        (cpu, engine.stats())
    };
    let (want, _) = run(interp());
    let n = ITERATIONS;
    assert_eq!(want.regs[10], 2 * (CALLEE_BLOCKS as u64 - 1) * n + n * (n + 1));
    let config = EngineConfig { first_tier: FirstTier::Baseline, ..tiered(10, JitOptions::default()) };
    assert_eq!(config.cold_code, ColdCode::Baseline { interpreted: DEFAULT_COLD_RUNS }, "the default");
    let (cpu, stats) = run(config.clone());
    assert_eq!(cpu, want);
    assert!(stats.hot_regions > 1, "the default limit splits the loop: {} region(s)", stats.hot_regions);
    let hotspot = HotspotConfig { steady_callee_blocks: 16, ..config.hotspot.clone() };
    let (cpu, stats) = run(EngineConfig { hotspot, ..config });
    assert_eq!(cpu, want);
    assert_eq!(
        (stats.hot_regions, stats.hot_blocks),
        (1, 3 + 2 * CALLEE_BLOCKS as u64),
        "one region: the loop with both callees"
    );
}

/// `a0 = sum of 2 * i for i in 1..=49152`: a hot loop of one block (three
/// times `QUICK_TIER_UP`, 16384, the runs of baseline code before its
/// region is weighed).
const SUM_LOOP: [u32; 8] = [
    0x00000513, // li a0, 0
    0x0000c4b7, // lui s1, 12  (49152 iterations)
    0x00048593, // loop: mv a1, s1
    0x00159593, // slli a1, a1, 1
    0x00b50533, // add a0, a0, a1
    0xfff48493, // addi s1, s1, -1
    0xfe0498e3, // bnez s1, loop
    0x00000073, // ecall
];

/// Runs [`SUM_LOOP`] to its `ecall` under `config`: the registers and
/// the statistics.
fn run_sum_loop(config: EngineConfig) -> (Cpu, Stats) {
    let (engine, mut cpu) = setup(&SUM_LOOP);
    let mut engine = OneVcpu::new(Arc::clone(engine.memory()), config);
    assert_eq!(engine.run(&mut cpu), Exit::Ecall);
    (cpu, engine.stats())
}

/// The baseline first tier under tiered with cold code interpreted: a hot
/// loop gets baseline code at its first evaluation, and once that code has
/// run `QUICK_TIER_UP` (16384) times, its optimized region; the result is
/// the interpreter's.
#[test]
fn tiered_loops_get_baseline_code_then_their_region() {
    let run = run_sum_loop;
    let (want, _) = run(interp());
    assert_eq!(want.regs[10], 49152 * 49153);
    let config = EngineConfig {
        first_tier: FirstTier::Baseline,
        cold_code: ColdCode::Interpret,
        ..tiered(10, JitOptions::default())
    };
    let (cpu, stats) = run(config);
    assert_eq!(cpu, want);
    assert!(stats.baseline_compiles > 0, "no baseline code");
    assert_eq!(stats.baseline_cold, 0, "cold code got baseline code");
    assert!(stats.blocks_executed > 0, "nothing was interpreted");
    assert_eq!(stats.baseline_fallbacks, 0);
    assert!(stats.hot_regions > 0, "the loop never got its optimized region");
}

/// Cold code with no interpreted runs under tiered: every block gets
/// baseline code on its first run (none is interpreted), and the loop its
/// optimized region once that code has run `QUICK_TIER_UP` times; the
/// result is the interpreter's.
#[test]
fn tiered_cold_blocks_get_baseline_code_on_their_first_run() {
    let (want, _) = run_sum_loop(interp());
    let config = EngineConfig {
        first_tier: FirstTier::Baseline,
        cold_code: ColdCode::Baseline { interpreted: 0 },
        ..tiered(10, JitOptions::default())
    };
    let (cpu, stats) = run_sum_loop(config);
    assert_eq!(cpu, want);
    assert_eq!(stats.blocks_executed, 0, "a block was interpreted");
    assert!(stats.baseline_cold >= 2, "the loop and its entry block: {}", stats.baseline_cold);
    assert_eq!(stats.baseline_cold, stats.baseline_compiles);
    assert!(stats.hot_regions > 0, "the loop never got its optimized region");
}

/// The IR passes run on a block given baseline code on its first run only
/// with `optimize_cold` (`--cold-opt`): without them its code is larger (the
/// loop reads back `a1` it just wrote, which register caching would
/// forward), with them as large as from the interpreter's optimized IR.
/// Both give the interpreter's result, and the loop its optimized region.
#[test]
fn cold_blocks_are_not_optimized_unless_asked() {
    let (want, _) = run_sum_loop(interp());
    let config = EngineConfig {
        first_tier: FirstTier::Baseline,
        cold_code: ColdCode::Baseline { interpreted: 0 },
        ..tiered(10, JitOptions::default())
    };
    assert!(!config.optimize_cold, "the default");
    let (cpu, plain) = run_sum_loop(config.clone());
    assert_eq!(cpu, want);
    let (cpu, optimized) = run_sum_loop(EngineConfig { optimize_cold: true, ..config });
    assert_eq!(cpu, want);
    assert_eq!(plain.baseline_cold, optimized.baseline_cold);
    assert!(
        plain.baseline_code_bytes > optimized.baseline_code_bytes,
        "unoptimized {} bytes, optimized {}",
        plain.baseline_code_bytes,
        optimized.baseline_code_bytes
    );
    assert!(plain.hot_regions > 0 && optimized.hot_regions > 0, "the loop never got its optimized region");
}

/// The default cold code (`--cold-runs 2`): a block is interpreted for
/// its first two runs (the first blocks of a program always are: nothing
/// is measured yet) and gets baseline code (lifted again) at its third;
/// blocks that run fewer times are only interpreted. The loop gets its
/// optimized region as before; the result is the interpreter's.
#[test]
fn tiered_cold_blocks_are_interpreted_then_get_baseline_code() {
    let (want, _) = run_sum_loop(interp());
    let config = EngineConfig { first_tier: FirstTier::Baseline, ..tiered(10, JitOptions::default()) };
    assert_eq!(config.cold_code, ColdCode::Baseline { interpreted: DEFAULT_COLD_RUNS }, "the default");
    assert_eq!(DEFAULT_COLD_RUNS, 2);
    let (cpu, stats) = run_sum_loop(config);
    assert_eq!(cpu, want);
    // The entry block and the `ecall` block run once, the loop's block
    // twice before its baseline code.
    assert_eq!(stats.blocks_executed, 4, "interpreted runs");
    assert_eq!(stats.baseline_cold, 1, "only the loop's block runs often enough");
    assert!(stats.hot_regions > 0, "the loop never got its optimized region");
}

/// A block the baseline compiler does not compile (FP) is interpreted from
/// its first run, and the compiler is not asked again at its evaluations;
/// the blocks around it get baseline code.
#[test]
fn tiered_cold_blocks_the_baseline_compiler_refuses_are_interpreted() {
    let program = [
        0x00a00493, // li s1, 10
        0x0040006f, // j loop
        0xd2257053, // loop: fcvt.d.l ft0, a0
        0x00150513, // addi a0, a0, 1
        0xfff48493, // addi s1, s1, -1
        0xfe049ae3, // bnez s1, loop
        0x00000073, // ecall
    ];
    let run = |config| {
        let (engine, mut cpu) = setup(&program);
        let mut engine = crate::support::OneVcpu::new(Arc::clone(engine.memory()), config);
        assert_eq!(engine.run(&mut cpu), Exit::Ecall);
        (cpu, engine.stats())
    };
    let (want, _) = run(interp());
    assert_eq!(want.regs[10], 10);
    let config = EngineConfig {
        first_tier: FirstTier::Baseline,
        cold_code: ColdCode::Baseline { interpreted: 0 },
        ..tiered(2, JitOptions::default())
    };
    let (cpu, stats) = run(config.clone());
    assert_eq!(cpu, want);
    assert_eq!(stats.baseline_cold, 2, "the entry block and the ecall");
    assert_eq!(stats.baseline_fallbacks, 1, "the FP loop, refused once (not again when it turned hot)");
    assert!(stats.blocks_executed >= 1, "the FP loop ran in the interpreter until hot");
    // Interpreted first (unoptimized, as baseline code would be), then
    // refused at its third run: it is translated again, optimized, for
    // the interpreter runs until it is hot.
    let cold_runs = EngineConfig { cold_code: ColdCode::Baseline { interpreted: 2 }, ..config };
    let (cpu, stats) = run(cold_runs);
    assert_eq!(cpu, want);
    assert_eq!(stats.baseline_fallbacks, 1, "the FP loop, refused once");
    assert_eq!(stats.blocks_translated - stats.blocks_compiled, 4, "3 blocks, the loop twice: {stats:?}");
}

/// `--engine jit --hot-threshold 1` with a compile worker: each block's
/// first-run code leaves once to ask for its hot code, then runs while the
/// worker compiles (it used to leave again on every run, so the guest
/// thread spun through the dispatcher until the hot code came: millions of
/// exits, the worker starved of CPU). The result is the interpreter's.
#[test]
fn first_run_code_runs_while_its_hot_code_compiles() {
    let run = run_sum_loop;
    let (want, _) = run(interp());
    let workers = CompileThreads::Workers(std::num::NonZeroUsize::MIN);
    let (cpu, stats) = run(EngineConfig { compile_threads: workers, ..jit(Some(1), JitOptions::default()) });
    assert_eq!(cpu, want);
    // Three blocks, one exit each to ask (a failed compile would ask
    // again, but nothing fails here).
    assert!(stats.exits_hot <= 3, "{} hot exits for 3 blocks", stats.exits_hot);
}

/// A recursive function with two call sites (a Fibonacci-shaped count):
/// its region holds both calls' return points, so the second one gets no
/// region of its own (the second call site is found after the callee's
/// return, and its return point was left out: three regions, and in
/// `parallel`'s quicksort one that copied most of the function). Every
/// hot block is compiled once, in one region.
#[test]
fn a_recursive_function_with_two_call_sites_is_one_region() {
    let (want, _) = run_fib(interp());
    assert_eq!(want.regs[10], 121_393, "fib(26)");
    let config = EngineConfig { first_tier: FirstTier::Baseline, ..tiered(10, JitOptions::default()) };
    let (cpu, stats) = run_fib(config);
    assert_eq!(cpu, want);
    assert!(stats.hot_regions > 0, "nothing compiled as hot code");
    // fib's six blocks: entry, first call, second call, the add, base,
    // the return.
    assert_eq!((stats.hot_regions, stats.hot_blocks), (1, 6), "one region holding fib's six blocks");
}

/// `--max-region-code`: a region grows only while its blocks' first-tier
/// code fits the budget, its entry always in. At one byte, fib's blocks
/// get a region each (one region of six blocks at the default, above);
/// the result stays the interpreter's.
#[test]
fn a_region_grows_only_as_far_as_its_code_budget() {
    let (want, _) = run_fib(interp());
    let mut config = EngineConfig { first_tier: FirstTier::Baseline, ..tiered(10, JitOptions::default()) };
    config.hotspot.max_region_code = 1;
    let (cpu, stats) = run_fib(config);
    assert_eq!(cpu, want);
    assert!(stats.hot_regions > 1, "{} hot regions", stats.hot_regions);
    assert_eq!(stats.hot_blocks, stats.hot_regions, "one block per region: {stats:?}");
}

/// fib(25) by recursion, from two call sites (see
/// `a_recursive_function_with_two_call_sites_is_one_region`), run to its
/// `ecall` under `config`.
fn run_fib(config: EngineConfig) -> (Cpu, Stats) {
    let code = [
        0x01900513,      // li a0, 25
        jal_ra(4 * 2),   // jal ra, fib
        0x00000073,      // ecall
        0xfe010113,      // fib: addi sp, sp, -32
        0x00113c23,      // sd ra, 24(sp)
        0x00813823,      // sd s0, 16(sp)
        0x00913423,      // sd s1, 8(sp)
        0x00050413,      // mv s0, a0
        0x00200293,      // li t0, 2
        0x02554063,      // blt a0, t0, base (+32)
        0xfff40513,      // addi a0, s0, -1
        jal_ra(-4 * 8),  // jal ra, fib
        0x00050493,      // mv s1, a0
        0xffe40513,      // addi a0, s0, -2
        jal_ra(-4 * 11), // jal ra, fib
        0x00950533,      // add a0, a0, s1
        0x0080006f,      // j out (+8)
        0x00100513,      // base: li a0, 1
        0x01813083,      // out: ld ra, 24(sp)
        0x01013403,      // ld s0, 16(sp)
        0x00813483,      // ld s1, 8(sp)
        0x02010113,      // addi sp, sp, 32
        0x00008067,      // ret
    ];
    let (engine, mut cpu) = setup(&code);
    cpu.regs[2] = 0x21000;
    let mut engine = OneVcpu::new(Arc::clone(engine.memory()), config);
    assert_eq!(engine.run(&mut cpu), Exit::Ecall);
    (cpu, engine.stats())
}
