//! The `-d` categories as a library user sees them: `tracing` events on
//! targets `ferrovm::*`, through the user's own subscriber; and the
//! per-block ones only when the configuration asks for them.
//!
//! A test binary of its own: `tracing` caches whether a call site is
//! enabled process-wide, and a test on another thread that hits a call
//! site first with no subscriber can leave it disabled for this test's
//! scoped subscriber (seen as a lost `out_asm` event in the shared binary).

use std::sync::{Arc, Mutex};

use ferrovm_engine::log::target;
use ferrovm_engine::{BlockTrace, EngineConfig, EngineMode, Exit, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, Perms};
use tracing::field::{Field, Visit};

/// Collects (target, message) of every event.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<(String, String)>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Collect {
    fn enabled(&self, m: &tracing::Metadata<'_>) -> bool {
        m.target().starts_with("ferrovm::")
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, e: &tracing::Event<'_>) {
        let mut m = Message(String::new());
        e.record(&mut m);
        self.0.lock().unwrap().push((e.metadata().target().to_string(), m.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Runs `addi a0, zero, 42; ecall` under `config` with a collecting
/// subscriber; the events.
fn events(config: EngineConfig) -> Vec<(String, String)> {
    let collect = Collect::default();
    let seen = Arc::clone(&collect.0);
    tracing::subscriber::with_default(collect, || {
        let mem = Arc::new(AddressSpace::new().unwrap());
        mem.map(0x10000, 0x1000, Perms::RWX).unwrap();
        mem.write_bytes(0x10000, &[0x13, 0x05, 0xa0, 0x02, 0x73, 0x00, 0x00, 0x00]).unwrap();
        let vm = Vm::new(Arc::clone(&mem), config);
        let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
        assert_eq!(vcpu.run(), Exit::Ecall);
        assert_eq!(vcpu.cpu.regs[10], 42);
    });
    seen.lock().unwrap().clone()
}

#[test]
fn a_library_user_gets_the_translation_events() {
    let interp = EngineConfig { mode: EngineMode::Interp, ..EngineConfig::default() };
    let got = events(interp.clone());
    let of = |t: &str| got.iter().filter(|(target, _)| target == t).map(|(_, m)| m.as_str()).collect::<Vec<_>>();
    let in_asm = of(target::IN_ASM);
    assert!(in_asm.iter().any(|m| m.contains("0x0000000000010000:  02a00513") && m.contains("ecall")), "{got:?}");
    assert!(of(target::OP).iter().any(|m| m.starts_with("OP: 0x10000\nblock 0x10000..0x10008")), "{got:?}");
    assert!(!of(target::OP_OPT).is_empty(), "{got:?}");
    // Per-block events only when the configuration asks for them.
    assert!(of(target::EXEC).is_empty() && of(target::CPU).is_empty(), "{got:?}");
    for mode in [EngineMode::Interp, EngineMode::Jit { tier_up: None }] {
        let traced = EngineConfig { mode, trace: BlockTrace { exec: true, cpu: true }, ..EngineConfig::default() };
        let got = events(traced);
        let exec: Vec<&(String, String)> = got.iter().filter(|(t, _)| t == target::EXEC).collect();
        assert_eq!(exec.len(), 1, "{mode:?}: {got:?}");
        assert!(exec[0].1.contains("[0000000000000000/0000000000010000/00000000/00000000]"), "{got:?}");
        assert!(got.iter().any(|(t, m)| t == target::CPU && m.starts_with(" pc       0000000000010000")), "{got:?}");
        if mode != EngineMode::Interp {
            // Compiled: its host code too.
            assert!(got.iter().any(|(t, m)| t == target::OUT_ASM && m.starts_with("OUT: [size=")), "{got:?}");
        }
    }
}
