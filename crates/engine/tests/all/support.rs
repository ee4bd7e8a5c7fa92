//! One guest thread on its own VM, driven the way the tests drive it: the
//! test owns the `Cpu` and hands it in for every run.

use std::num::NonZeroU32;
use std::sync::Arc;

use ferrovm_engine::{EngineConfig, EngineMode, Exit, InterruptHandle, JitOptions, Stats, Vcpu, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::AddressSpace;

/// A VM with one vCPU.
pub(crate) struct OneVcpu {
    vm: Arc<Vm>,
    vcpu: Vcpu,
}

impl OneVcpu {
    pub(crate) fn new(mem: Arc<AddressSpace>, config: EngineConfig) -> Self {
        let vm = Vm::new(mem, config);
        let vcpu = vm.vcpu(Cpu::default());
        OneVcpu { vm, vcpu }
    }

    /// Runs from `cpu` until a guest event; `cpu` is updated.
    pub(crate) fn run(&mut self, cpu: &mut Cpu) -> Exit {
        self.vcpu.cpu = cpu.clone();
        let exit = self.vcpu.run();
        *cpu = self.vcpu.cpu.clone();
        exit
    }

    pub(crate) fn stats(&self) -> Stats {
        self.vm.stats()
    }

    pub(crate) fn memory(&self) -> &Arc<AddressSpace> {
        self.vm.memory()
    }

    pub(crate) fn interrupt_handle(&self) -> InterruptHandle {
        self.vcpu.interrupt_handle()
    }

    pub(crate) fn mode(&self) -> EngineMode {
        self.vm.mode()
    }
}

/// `--engine jit`: every block compiled on its first run, recompiled as
/// hot code after `tier_up` runs (never with `None`).
pub(crate) fn jit(tier_up: Option<u32>, jit: JitOptions) -> EngineConfig {
    EngineConfig {
        mode: EngineMode::Jit { tier_up: tier_up.and_then(NonZeroU32::new) },
        jit,
        ..EngineConfig::default()
    }
}

/// `--engine tiered`: interpreted until `threshold` runs, then compiled.
pub(crate) fn tiered(threshold: u32, jit: JitOptions) -> EngineConfig {
    let threshold = NonZeroU32::new(threshold).expect("a threshold of at least 1");
    EngineConfig { mode: EngineMode::Tiered { threshold }, jit, ..EngineConfig::default() }
}
