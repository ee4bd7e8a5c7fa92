//! ferrovm's execution engine: the run loop, translation, tiering and the
//! embedding API.
//!
//! A [`Vm`] is one guest address space with everything its threads share:
//! the translation table (one record per guest pc: the interpreter's block,
//! the compiled code and its chaining cell, the profile counter), the JIT's
//! code store, the pass pipeline and the statistics. Each guest thread runs
//! on its own [`Vcpu`] (its `Cpu`, JIT context, local lookup cache and
//! return-address stack), on its own host thread, truly in parallel.
//!
//! [`Vcpu::run`] looks the current pc up; on a miss the front end lifts the
//! block, the IR passes optimize it and the interpreter lowers it (or the
//! JIT compiles it, as the [`EngineMode`] and [`ColdCode`] say: by
//! default a block is interpreted for its first two runs and the baseline
//! compiler makes its code at the third, or on its first run while most
//! cold blocks run that often; blocks it does not compile stay
//! interpreted); then it runs it. Under the
//! default [`EngineMode::Tiered`], the hotspot detector ([`hotspot`]) and
//! the cost model ([`cost`]) decide what is worth compiling; compile
//! workers ([`CompileThreads`]) compile it in the background, and the
//! eviction policy ([`evict`]) keeps the code cache within its budget.
//! [`Vm::report`] tells what was decided and what it cost; [`log`] lists
//! the `tracing` targets of its diagnostics (QEMU's `-d` categories), and
//! [`profile`] samples the guest's pcs and call stacks. It keeps
//! going until the guest does something the environment must handle, and
//! returns that as an [`Exit`] value: a system call, a breakpoint, an
//! illegal instruction, a memory fault. Stop addresses, watched memory
//! ranges, single steps and instruction budgets ([`debug`]) make it stop
//! where a debugger or an embedder asks, under every engine, at no cost
//! while none is set; per-block stops and stop ranges ([`hooks`]) are
//! what the embedding API's hooks (the `ferrovm` crate) stand on. It knows nothing about Linux;
//! `ferrovm-linux` drives it.
//!
//! ```
//! use std::sync::Arc;
//! use ferrovm_engine::{EngineConfig, Exit, Vm};
//! use ferrovm_ir::Cpu;
//! use ferrovm_mem::{AddressSpace, Perms};
//!
//! let mem = Arc::new(AddressSpace::new().unwrap());
//! mem.map(0x10000, 0x1000, Perms::RWX).unwrap();
//! // addi a0, zero, 42 ; ecall
//! mem.write_bytes(0x10000, &[0x13, 0x05, 0xa0, 0x02, 0x73, 0x00, 0x00, 0x00]).unwrap();
//! let vm = Vm::new(Arc::clone(&mem), EngineConfig::default());
//! let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
//! assert_eq!(vcpu.run(), Exit::Ecall);
//! assert_eq!((vcpu.cpu.regs[10], vcpu.cpu.pc), (42, 0x10004));
//! ```

mod config;
pub mod cost;
pub mod debug;
pub mod evict;
mod fault;
pub mod hooks;
pub mod hotspot;
pub mod log;
mod native;
pub mod profile;
mod queue;
pub mod report;
mod stats;
mod table;
mod vcpu;
mod vm;
mod workers;

use ferrovm_mem::Fault;

pub use config::{
    BlockTrace, CodeWrites, ColdCode, CompileThreads, CostModelKind, DEFAULT_COLD_RUNS, DEFAULT_TIER_UP, EngineConfig,
    EngineMode, Eviction, EvictionFactory, EvictionKind, EvictionPolicy, ExtSet, FaultInjection, FirstTier, FpLowering,
    HotspotConfig, JitOptions, MemAccess, ProfileConfig, Vlen,
};
pub use debug::{Stop, Watch, WatchKind};
pub use ferrovm_ir as ir;
pub use ferrovm_jit::{GuestSymbols, MAX_CODE_CACHE_SIZE, describe_pc};
pub use ferrovm_riscv as riscv;
pub use hooks::WatchHit;
pub use report::Report;
pub use stats::Stats;
pub use vcpu::Vcpu;
pub use vm::{ForkGuard, InterruptHandle, Vm};

/// A guest event that the environment (e.g. the Linux layer) must handle.
/// On every exit, `cpu.pc` is the address of the instruction concerned and
/// all registers are precise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `ecall` at `cpu.pc` has been reached; handle it, then set
    /// `cpu.pc += 4` and run again.
    Ecall,
    /// `ebreak` at `cpu.pc`.
    Breakpoint,
    /// Illegal instruction at `cpu.pc`.
    Illegal {
        /// Its bits when known (0 otherwise).
        bits: u32,
    },
    /// A load, store or instruction fetch at `cpu.pc` faulted.
    Fault(Fault),
    /// The vCPU was interrupted ([`InterruptHandle::interrupt`]); `cpu.pc`
    /// is where execution resumes.
    Interrupted,
    /// A stop the embedder asked for (a stop address, a single step, the
    /// instruction budget, a watched range: see [`debug`]); `cpu.pc` is
    /// the next instruction to run.
    Debug(Stop),
}

/// Reports an internal, recoverable problem on stderr (a degraded but
/// correct path: a compile that failed, a pass that broke).
fn warn(message: &str) {
    eprintln!("ferrovm: warning: {message}");
}
