//! The debug state (`ferrovm_engine::debug`): stop addresses, steps,
//! watched ranges and budgets stop where they should under every engine,
//! also in code that was compiled before they were set.

use std::sync::Arc;

use ferrovm_engine::{EngineConfig, Exit, JitOptions, Stop, Vm, Watch, WatchHit, WatchKind};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, Perms};

use crate::support::{interp, jit, tiered};

const BASE: u64 = 0x10000;
const DATA: u64 = 0x20000;
/// The store of the loop body, the decrement after it, and the `ecall`.
const STORE: u64 = BASE + 12;
const DECREMENT: u64 = BASE + 16;
const ECALL: u64 = BASE + 24;

/// `a0` counts to 1000 in a loop that stores it to `DATA` each time.
const LOOP: [u32; 7] = [
    0x00000513, // li a0, 0
    0x3e800593, // li a1, 1000
    0x00150513, // 1: addi a0, a0, 1
    0x00a62023, // sw a0, 0(a2)
    0xfff58593, // addi a1, a1, -1
    0xfe059ae3, // bnez a1, 1b
    0x00000073, // ecall
];

fn configs() -> Vec<EngineConfig> {
    vec![interp(), jit(None, JitOptions::default()), tiered(1, JitOptions::default())]
}

/// A VM with the loop, already run once to its `ecall` (so that under the
/// compiling engines the loop is compiled code now), and its vCPU back at
/// the start.
fn warmed(config: EngineConfig) -> (Arc<Vm>, ferrovm_engine::Vcpu) {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    mem.map(BASE, 0x1000, Perms::RWX).expect("map code");
    mem.map(DATA, 0x1000, Perms::RW).expect("map data");
    let bytes: Vec<u8> = LOOP.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes(BASE, &bytes).expect("write code");
    let compiles = config.mode.compiles();
    let vm = Vm::new(mem, config);
    let mut vcpu = vm.vcpu(Cpu { pc: BASE, ..Cpu::default() });
    vcpu.cpu.regs[12] = DATA;
    for _ in 0..3 {
        vcpu.cpu.pc = BASE;
        assert_eq!(vcpu.run(), Exit::Ecall);
        assert_eq!(vcpu.cpu.regs[10], 1000);
    }
    if compiles {
        assert!(vm.stats().native_entries > 0, "the loop runs as compiled code");
    }
    vcpu.cpu.pc = BASE;
    (vm, vcpu)
}

#[test]
fn stop_addresses_stop_compiled_loops_every_time() {
    for config in configs() {
        let mode = config.mode;
        let (vm, mut vcpu) = warmed(config);
        assert!(vm.add_stop(DECREMENT));
        for i in 1..=3 {
            assert_eq!(vcpu.run(), Exit::Debug(Stop::Address), "{mode:?}");
            assert_eq!((vcpu.cpu.pc, vcpu.cpu.regs[10], vcpu.cpu.regs[11]), (DECREMENT, i, 1000 - i + 1), "{mode:?}");
            // Resuming from a stop address: step it with the stop removed.
            assert!(vm.remove_stop(DECREMENT));
            vcpu.set_step(true);
            assert_eq!(vcpu.run(), Exit::Debug(Stop::Step), "{mode:?}");
            assert_eq!(vcpu.cpu.pc, DECREMENT + 4, "{mode:?}");
            vcpu.set_step(false);
            vm.add_stop(DECREMENT);
        }
        vm.clear_debug();
        assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?}");
        assert_eq!(vcpu.cpu.regs[10], 1000, "{mode:?}");
    }
}

#[test]
fn steps_visit_every_instruction() {
    for config in configs() {
        let mode = config.mode;
        let (_vm, mut vcpu) = warmed(config);
        vcpu.set_step(true);
        let mut pcs = Vec::new();
        for _ in 0..8 {
            assert_eq!(vcpu.run(), Exit::Debug(Stop::Step), "{mode:?}");
            pcs.push(vcpu.cpu.pc - BASE);
        }
        assert_eq!(pcs, [4, 8, 12, 16, 20, 8, 12, 16], "{mode:?}");
        vcpu.set_step(false);
        assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?}");
    }
}

#[test]
fn watched_ranges_stop_after_the_access() {
    for config in configs() {
        let mode = config.mode;
        let (vm, mut vcpu) = warmed(config);
        // A read watch does not stop on stores.
        let read = Watch { addr: DATA, len: 4, kind: WatchKind::Read };
        vm.add_watch(read);
        assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?}");
        assert!(vm.remove_watch(read));
        vcpu.cpu.pc = BASE;
        // A write watch on the last byte of the word stored.
        let write = Watch { addr: DATA + 3, len: 1, kind: WatchKind::Write };
        vm.add_watch(write);
        for i in 1..=2u64 {
            assert_eq!(vcpu.run(), Exit::Debug(Stop::Watch { addr: DATA + 3, kind: WatchKind::Write }), "{mode:?}");
            assert_eq!(vcpu.cpu.pc, STORE + 4, "{mode:?}");
            assert_eq!(vm.memory().load_u32(DATA).expect("data"), i as u32, "the store was made");
        }
        // A watch next to the word does not stop.
        vm.remove_watch(write);
        vm.add_watch(Watch { addr: DATA + 4, len: 8, kind: WatchKind::Access });
        assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?}");
        vm.clear_debug();
    }
}

#[test]
fn budgets_count_instructions() {
    for config in configs() {
        let mode = config.mode;
        let (_vm, mut vcpu) = warmed(config);
        let before = vcpu.cpu.instret;
        vcpu.set_budget(Some(10));
        assert_eq!(vcpu.run(), Exit::Debug(Stop::Budget), "{mode:?}");
        assert_eq!(vcpu.cpu.instret - before, 10, "{mode:?}");
        // 2 set-up instructions, then 4 per iteration: 2 iterations done.
        assert_eq!((vcpu.cpu.pc, vcpu.cpu.regs[10]), (BASE + 8, 2), "{mode:?}");
        vcpu.set_budget(None);
        assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?}");
        assert_eq!(vcpu.cpu.pc, ECALL);
    }
}

#[test]
fn stops_set_from_another_thread_stop_a_running_vcpu() {
    for config in configs() {
        let mode = config.mode;
        let (vm, mut vcpu) = warmed(config);
        // An endless loop: bnez a1 with a1 never reaching zero.
        vcpu.cpu.regs[11] = 0;
        vcpu.cpu.pc = BASE + 8;
        let other = Arc::clone(&vm);
        let setter = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            other.add_stop(DECREMENT);
        });
        assert_eq!(vcpu.run(), Exit::Debug(Stop::Address), "{mode:?}");
        assert_eq!(vcpu.cpu.pc, DECREMENT, "{mode:?}");
        setter.join().expect("setter");
    }
}

#[test]
fn a_step_over_an_ecall_stops_right_after_its_system_call() {
    for config in configs() {
        let mode = config.mode;
        let (_vm, mut vcpu) = warmed(config);
        vcpu.cpu.pc = ECALL;
        vcpu.set_step(true);
        assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?}");
        // The embedder makes the system call, and steps on (set again, as
        // a debugger releasing the thread does).
        vcpu.cpu.pc += 4;
        vcpu.set_step(true);
        let instret = vcpu.cpu.instret;
        assert_eq!(vcpu.run(), Exit::Debug(Stop::Step), "{mode:?}");
        assert_eq!((vcpu.cpu.pc, vcpu.cpu.instret), (ECALL + 4, instret), "{mode:?}: nothing ran after the ecall");
    }
}

/// Block stops (`crate::hooks`): once before every block, under every
/// engine, from compiled code with `block_exits` and from the debug loop
/// without; stop ranges resumed past without removing them; the watched
/// accesses of the instruction before a watch stop.
#[test]
fn block_stops_stop_ranges_and_watch_hits() {
    for block_exits in [true, false] {
        for config in configs() {
            let mode = config.mode;
            let (vm, mut vcpu) = warmed(EngineConfig { block_exits, ..config });
            vcpu.set_block_stops(true);
            let mut starts = Vec::new();
            loop {
                match vcpu.run() {
                    Exit::Debug(Stop::Block) => starts.push(vcpu.cpu.pc),
                    Exit::Ecall => break,
                    other => panic!("{mode:?} {block_exits}: {other:?}"),
                }
            }
            // The first block runs to the first `bnez`, the loop block
            // 999 more times, then the `ecall`'s.
            assert_eq!(starts.len(), 1001, "{mode:?} {block_exits}");
            assert_eq!((starts[0], starts[1], starts[999], starts[1000]), (BASE, BASE + 8, BASE + 8, ECALL));
            vcpu.set_block_stops(false);

            vm.add_stop_range(STORE, STORE + 4);
            vcpu.cpu.pc = BASE;
            let mut stops = 0;
            loop {
                match vcpu.run() {
                    Exit::Debug(Stop::Address) => {
                        assert_eq!(vcpu.cpu.pc, STORE, "{mode:?} {block_exits}");
                        stops += 1;
                        vcpu.resume_past_stop();
                    }
                    Exit::Ecall => break,
                    other => panic!("{mode:?} {block_exits}: {other:?}"),
                }
            }
            assert_eq!(stops, 1000, "{mode:?} {block_exits}");
            assert!(vm.remove_stop_range(STORE, STORE + 4));

            vm.add_watch(Watch { addr: DATA, len: 8, kind: WatchKind::Write });
            vcpu.cpu.pc = BASE;
            assert_eq!(vcpu.run(), Exit::Debug(Stop::Watch { addr: DATA, kind: WatchKind::Write }));
            assert_eq!(vcpu.watch_hits(), [WatchHit { addr: DATA, size: 4, kind: WatchKind::Write }]);
            vm.clear_debug();
            assert_eq!(vcpu.run(), Exit::Ecall, "{mode:?} {block_exits}");
        }
    }
}
