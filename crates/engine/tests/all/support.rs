//! One guest thread on its own VM, driven the way the tests drive it: the
//! test owns the `Cpu` and hands it in for every run.

use std::num::NonZeroU32;
use std::sync::Arc;

use ferrovm_engine::{
    CompileThreads, EngineConfig, EngineMode, Exit, FirstTier, HotspotConfig, InterruptHandle, JitOptions, Stats, Vcpu,
    Vm,
};
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

    /// The guest can see its registers at a fault from now on (as when it
    /// installs a `SIGSEGV` handler).
    pub(crate) fn require_precise_faults(&self) {
        self.vm.require_precise_faults();
    }
}

/// `--engine jit`: every block compiled on its first run, recompiled as
/// hot code after `tier_up` runs (never with `None`), on the guest thread
/// (deterministic).
pub(crate) fn jit(tier_up: Option<u32>, jit: JitOptions) -> EngineConfig {
    EngineConfig {
        mode: EngineMode::Jit { tier_up: tier_up.and_then(NonZeroU32::new) },
        jit,
        compile_threads: CompileThreads::Guest,
        ..EngineConfig::default()
    }
}

/// `--engine tiered`, made deterministic: interpreted until `threshold`
/// runs, then compiled as hot code on the guest thread whatever the cost
/// model says (no baseline first tier, which would make it wait for
/// thousands of runs of baseline code).
pub(crate) fn tiered(threshold: u32, jit: JitOptions) -> EngineConfig {
    let min_runs = NonZeroU32::new(threshold).expect("a threshold of at least 1");
    let hotspot = HotspotConfig { min_runs, ratio: 0.0, adaptive: false, ..HotspotConfig::default() };
    EngineConfig {
        mode: EngineMode::Tiered,
        jit,
        hotspot,
        compile_threads: CompileThreads::Guest,
        first_tier: FirstTier::Cranelift,
        ..EngineConfig::default()
    }
}

/// `--engine interp`.
pub(crate) fn interp() -> EngineConfig {
    EngineConfig { mode: EngineMode::Interp, ..EngineConfig::default() }
}
