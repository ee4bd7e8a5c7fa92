//! The machine's runs, hooks and snapshots under every engine.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrovm_engine::{CompileThreads, HotspotConfig};

use super::*;

const CODE: u64 = 0x10000;
const DATA: u64 = 0x20000;
const ECALL: u64 = CODE + 0x18;

/// `a0` counts to 100, storing it to `0(a2)` each time, then `ecall`,
/// `ebreak`.
const LOOP: [u32; 8] = [
    0x00000513, // li a0, 0
    0x06400593, // li a1, 100
    0x00150513, // 1: addi a0, a0, 1
    0x00a62023, // sw a0, 0(a2)
    0xfff58593, // addi a1, a1, -1
    0xfe059ae3, // bnez a1, 1b
    0x00000073, // ecall
    0x00100073, // ebreak
];

fn bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The interpreter, the JIT (compiling on the guest thread) and tiered
/// (compiling everything at once), each with and without block exits.
fn configs() -> Vec<EngineConfig> {
    let jit = EngineConfig {
        mode: EngineMode::Jit { tier_up: NonZeroU32::new(2) },
        compile_threads: CompileThreads::Guest,
        ..EngineConfig::default()
    };
    let hotspot = HotspotConfig { min_runs: NonZeroU32::MIN, ratio: 0.0, adaptive: false, ..HotspotConfig::default() };
    let tiered = EngineConfig { hotspot, compile_threads: CompileThreads::Guest, ..EngineConfig::default() };
    let interp = EngineConfig { mode: EngineMode::Interp, ..EngineConfig::default() };
    let mut all = Vec::new();
    for c in [interp, jit, tiered] {
        all.push(EngineConfig { block_exits: true, ..c.clone() });
        all.push(c);
    }
    all
}

fn machine(config: EngineConfig, code: &[u32]) -> Machine {
    let mut m = Machine::new(config).expect("machine");
    m.load_code(CODE, &bytes(code)).expect("code");
    m.map(DATA, 0x1000, Perms::RW).expect("data");
    m.set_reg(Reg::A2, DATA).expect("a2");
    m.set_pc(CODE);
    m
}

#[test]
fn runs_until_an_event_an_address_or_a_count() {
    for config in configs() {
        let label = format!("{:?} block_exits={}", config.mode, config.block_exits);
        let mut m = machine(config, &LOOP);
        // Twice: the second time runs compiled code under the JITs.
        for _ in 0..2 {
            m.set_pc(CODE);
            assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
            assert_eq!((m.pc(), m.reg(Reg::A0).expect("a0")), (ECALL, 100), "{label}");
            assert_eq!(m.read_u64(DATA).expect("data"), 100, "{label}");
        }
        assert_eq!(m.start(CODE, Run::to_end().until(CODE + 12)).expect("run"), Outcome::Until, "{label}");
        assert_eq!((m.pc(), m.reg(Reg::A0).expect("a0")), (CODE + 12, 1), "{label}");
        // Two instructions, then two turns of the loop.
        assert_eq!(m.start(CODE, Run::to_end().count(10)).expect("run"), Outcome::Count, "{label}");
        assert_eq!((m.pc(), m.reg(Reg::A0).expect("a0")), (CODE + 8, 2), "{label}");
        assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
        m.set_pc(ECALL + 4);
        assert_eq!(m.run().expect("run"), Outcome::Breakpoint, "{label}");
    }
}

#[test]
fn block_hooks_see_every_block() {
    for config in configs() {
        let label = format!("{:?} block_exits={}", config.mode, config.block_exits);
        let mut m = machine(config, &LOOP);
        let seen = Arc::new(Mutex::new(BTreeMap::<u64, u32>::new()));
        let s = Arc::clone(&seen);
        let id = m.hook_block(move |_, pc| {
            *s.lock().expect("lock").entry(pc).or_default() += 1;
            Flow::Continue
        });
        for round in 1..=2 {
            m.set_pc(CODE);
            assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
            assert_eq!(m.reg(Reg::A0).expect("a0"), 100, "{label}");
            let want = BTreeMap::from([(CODE, round), (CODE + 8, 99 * round), (ECALL, round)]);
            assert_eq!(*seen.lock().expect("lock"), want, "{label}");
        }
        m.remove_hook(id).expect("remove");
        m.set_pc(CODE);
        assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
        assert_eq!(seen.lock().expect("lock")[&CODE], 2, "{label}: removed");
    }
}

#[test]
fn a_hook_stops_and_removes_itself() {
    let mut m = machine(EngineConfig::default(), &LOOP);
    let calls = Arc::new(Mutex::new(0));
    let c = Arc::clone(&calls);
    let id = Arc::new(Mutex::new(None::<HookId>));
    let me = Arc::clone(&id);
    let hook = m.hook_block(move |m, _| {
        let mut n = c.lock().expect("lock");
        *n += 1;
        if *n == 3 {
            let id = me.lock().expect("lock").expect("id");
            m.remove_hook(id).expect("remove itself");
            return Flow::Stop;
        }
        Flow::Continue
    });
    *id.lock().expect("lock") = Some(hook);
    assert_eq!(m.run().expect("run"), Outcome::Stopped);
    assert_eq!(m.pc(), CODE + 8);
    assert_eq!(m.run().expect("run"), Outcome::Ecall);
    assert_eq!(*calls.lock().expect("lock"), 3);
    assert!(m.remove_hook(hook).is_err());
}

#[test]
fn code_and_memory_hooks() {
    for config in configs() {
        let label = format!("{:?} block_exits={}", config.mode, config.block_exits);
        let mut m = machine(config, &LOOP);
        // Compiled first, under the JITs.
        assert_eq!(m.run().expect("run"), Outcome::Ecall);
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        m.hook_code(CODE + 12, CODE + 16, move |m, pc| {
            l.lock().expect("lock").push((pc, m.reg(Reg::A0).expect("a0")));
            Flow::Continue
        });
        let writes = Arc::new(Mutex::new(Vec::new()));
        let w = Arc::clone(&writes);
        m.hook_mem_write(DATA, DATA + 4, move |_, a| {
            w.lock().expect("lock").push(a);
            Flow::Continue
        });
        m.set_pc(CODE);
        assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
        let log = log.lock().expect("lock");
        assert_eq!(log.len(), 100, "{label}");
        assert!(log.iter().enumerate().all(|(i, &(pc, a0))| pc == CODE + 12 && a0 == i as u64 + 1), "{label}");
        let writes = writes.lock().expect("lock");
        assert_eq!(writes.len(), 100, "{label}");
        assert!(
            writes
                .iter()
                .enumerate()
                .all(|(i, a)| *a == MemAccess { addr: DATA, size: 4, value: i as u64 + 1, write: true }),
            "{label}"
        );
    }
}

#[test]
fn memory_read_hooks() {
    // lw a3, 0(a2) ; lw a3, 8(a2) ; ecall
    let mut m = machine(EngineConfig::default(), &[0x00062683, 0x00862683, 0x00000073]);
    m.write_u64(DATA, 0x1234).expect("write");
    let reads = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reads);
    m.hook_mem_read(DATA, DATA + 4, move |_, a| {
        r.lock().expect("lock").push(a);
        Flow::Continue
    });
    assert_eq!(m.run().expect("run"), Outcome::Ecall);
    assert_eq!(*reads.lock().expect("lock"), vec![MemAccess { addr: DATA, size: 4, value: 0x1234, write: false }]);
}

#[test]
fn an_invalid_access_hook_maps_memory_and_retries() {
    for config in configs() {
        let label = format!("{:?} block_exits={}", config.mode, config.block_exits);
        let mut m = machine(config, &LOOP);
        m.set_reg(Reg::A2, 0x40000).expect("a2");
        let faults = Arc::new(Mutex::new(Vec::new()));
        let f = Arc::clone(&faults);
        m.hook_invalid(move |m, fault| {
            f.lock().expect("lock").push(fault);
            m.map(fault.addr & !0xfff, 0x1000, Perms::RW).expect("map");
            Resolve::Retry
        });
        assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
        assert_eq!(m.read_u64(0x40000).expect("read"), 100, "{label}");
        assert_eq!(
            *faults.lock().expect("lock"),
            vec![Fault::new(0x40000, Access::Write, FaultKind::Unmapped)],
            "{label}"
        );
    }
    // No hook: the fault ends the run.
    let mut m = machine(EngineConfig::default(), &LOOP);
    m.set_reg(Reg::A2, 0x40000).expect("a2");
    assert_eq!(m.run().expect("run"), Outcome::Fault(Fault::new(0x40000, Access::Write, FaultKind::Unmapped)));
    assert_eq!(m.pc(), CODE + 12);
}

#[test]
fn ecall_and_illegal_hooks() {
    // .word 0 ; li a7, 64 ; ecall ; ebreak
    let mut m = machine(EngineConfig::default(), &[0, 0x04000893, 0x00000073, 0x00100073]);
    let illegal = Arc::new(Mutex::new(Vec::new()));
    let i = Arc::clone(&illegal);
    m.hook_illegal(move |m, bits| {
        i.lock().expect("lock").push((m.pc(), bits));
        m.set_pc(m.pc() + 4);
        Resolve::Retry
    });
    m.hook_ecall(|m| if m.reg(Reg::A7).expect("a7") == 64 { Ecall::Return(7) } else { Ecall::Pass });
    assert_eq!(m.run().expect("run"), Outcome::Breakpoint);
    assert_eq!(m.reg(Reg::A0).expect("a0"), 7);
    assert_eq!(*illegal.lock().expect("lock"), vec![(CODE, 0)]);
    // A hook that passes: the run returns the ecall.
    m.set_reg(Reg::A7, 1).expect("a7");
    m.set_pc(CODE + 8);
    assert_eq!(m.run().expect("run"), Outcome::Ecall);
}

#[test]
fn stopped_from_another_thread_and_by_a_timeout() {
    for config in configs() {
        let label = format!("{:?} block_exits={}", config.mode, config.block_exits);
        // j .
        let mut m = machine(config, &[0x0000006f]);
        let stop = m.stop_handle();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            stop.stop();
        });
        assert_eq!(m.run().expect("run"), Outcome::Stopped, "{label}");
        stopper.join().expect("stopper");
        assert_eq!(m.pc(), CODE, "{label}");
        assert_eq!(m.run_with(Run::to_end().timeout(Duration::from_millis(20))).expect("run"), Outcome::Timeout);
        // Nothing left pending.
        assert_eq!(m.run_for(5).expect("run"), Outcome::Count, "{label}");
    }
}

#[test]
fn snapshots_restore_registers_and_written_pages() {
    for config in configs() {
        let label = format!("{:?} block_exits={}", config.mode, config.block_exits);
        let mut m = machine(config, &LOOP);
        m.map(0x100000, 0x100000, Perms::RW).expect("big");
        let snap = m.snapshot().expect("snapshot");
        for _ in 0..3 {
            assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
            assert_eq!(m.read_u64(DATA).expect("data"), 100);
            assert_eq!(m.restore(&snap).expect("restore"), Restored { pages: 1, full: false }, "{label}");
            assert_eq!((m.pc(), m.reg(Reg::A0).expect("a0")), (CODE, 0), "{label}");
            assert_eq!(m.read_u64(DATA).expect("data"), 0, "{label}");
        }
        // Code restored is code run: the old translation is dropped.
        m.write(CODE + 4, &0x00500593u32.to_le_bytes()).expect("patch: li a1, 5");
        assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
        assert_eq!(m.reg(Reg::A0).expect("a0"), 5, "{label}");
        assert!(!m.restore(&snap).expect("restore").full, "{label}");
        assert_eq!(m.run().expect("run"), Outcome::Ecall, "{label}");
        assert_eq!(m.reg(Reg::A0).expect("a0"), 100, "{label}");
    }
}

#[test]
fn registers() {
    let mut m = Machine::new(EngineConfig::default()).expect("machine");
    m.set_reg(Reg::X(0), 5).expect("x0");
    assert_eq!(m.reg(Reg::ZERO).expect("x0"), 0);
    m.set_reg(Reg::T6, 9).expect("t6");
    assert_eq!(m.reg(Reg::X(31)).expect("x31"), 9);
    m.set_reg(Reg::F(3), 0xffff_ffff_3f80_0000).expect("f3");
    assert_eq!(m.cpu().regs[35], 0xffff_ffff_3f80_0000);
    m.set_reg(Reg::Fcsr, 0b011_00101).expect("fcsr");
    assert_eq!((m.reg(Reg::Frm).expect("frm"), m.reg(Reg::Fflags).expect("fflags")), (3, 5));
    m.set_reg(Reg::Pc, 0x1234).expect("pc");
    assert_eq!(m.pc(), 0x1234);
    assert!(matches!(m.reg(Reg::X(32)), Err(Error::BadRegister(_))));
    assert_eq!(Reg::arg(3).expect("a3"), Reg::A3);
}

#[test]
fn machines_move_between_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Machine>();
    send_sync::<StopHandle>();
    send::<Snapshot>();
}

#[test]
fn a_linux_program_with_its_writes_taken_by_a_hook() {
    let hello = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/guests/bin/hello");
    let mut m = Machine::linux(&hello, linux::Options::default()).expect("load");
    assert!(m.process().is_some());
    // write(1, ...) goes to a buffer instead of stdout; every other call
    // goes to the Linux layer.
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = Arc::clone(&out);
    let calls = Arc::new(Mutex::new(0));
    let c = Arc::clone(&calls);
    m.hook_ecall(move |m| {
        *c.lock().expect("lock") += 1;
        let [nr, fd, buf, len] = [Reg::A7, Reg::A0, Reg::A1, Reg::A2].map(|r| m.reg(r).expect("reg"));
        if nr != linux::nr::WRITE || fd != 1 {
            return Ecall::Pass;
        }
        let mut bytes = vec![0; len as usize];
        m.read(buf, &mut bytes).expect("read");
        o.lock().expect("lock").extend_from_slice(&bytes);
        Ecall::Return(len)
    });
    assert_eq!(m.run().expect("run"), Outcome::Exited(ExitStatus::Exited(0)));
    let out = String::from_utf8(out.lock().expect("lock").clone()).expect("utf-8");
    assert!(out.starts_with("hello, world\n"), "{out:?}");
    assert!(*calls.lock().expect("lock") > 5);
}
