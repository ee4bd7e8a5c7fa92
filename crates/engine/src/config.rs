//! Engine configuration: one value, filled in by the embedder (or by the
//! CLI from its flags and `FERROVM_*` variables). The library reads no
//! environment variables.

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;

pub use ferrovm_ir::vector::Vlen;
pub use ferrovm_jit::{FaultInjection, FpLowering, JitOptions, MemAccess, Writes as CodeWrites};
pub use ferrovm_riscv::ExtSet;

pub use crate::cost::CostModelKind;
pub use crate::evict::{EvictionKind, EvictionPolicy};
pub use crate::hotspot::HotspotConfig;

/// How many runs of a block's first translation make it hot under
/// [`EngineMode::Jit`] by default (its recompile as hot code is then asked
/// for, and weighed like any other).
pub const DEFAULT_TIER_UP: NonZeroU32 = NonZeroU32::new(1000).expect("non-zero");

/// Which tiers run guest code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineMode {
    /// Every block in the IR interpreter.
    Interp,
    /// Every block compiled the first time it runs, quickly (no optimizer,
    /// single-pass register allocation when it will be recompiled). With
    /// `tier_up`, a block whose first translation runs that many times is
    /// recompiled with Cranelift's optimizer, together with the hot loop
    /// around it; with `None` nothing is ever recompiled.
    Jit {
        /// Runs before a block is recompiled as hot code.
        tier_up: Option<NonZeroU32>,
    },
    /// Blocks run in the interpreter until the hotspot detector finds that
    /// compiling them would save more time than it costs
    /// ([`HotspotConfig`], [`CostModelKind`]); then they are compiled as
    /// hot code (optimized, with the hot loop around them). The default.
    #[default]
    Tiered,
}

impl EngineMode {
    /// Whether the mode uses the JIT at all.
    pub fn compiles(self) -> bool {
        !matches!(self, EngineMode::Interp)
    }
}

/// Which compiler makes first-tier code: the quick code a block gets
/// under [`EngineMode::Tiered`] when it turns hot, before its optimized
/// region (with compile workers), and the counting code of every block's
/// first run under [`EngineMode::Jit`] with a `tier_up`. Hot code is
/// always Cranelift's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FirstTier {
    /// The baseline compiler: machine code from templates, op by op, in
    /// tens of microseconds per block, on the guest thread (no queue).
    /// Blocks it does not compile (FP, CSR accesses) go to Cranelift,
    /// counted in [`crate::Stats::baseline_fallbacks`].
    #[default]
    Baseline,
    /// Cranelift without its optimizer (about a millisecond per block),
    /// on a compile worker under [`EngineMode::Tiered`].
    Cranelift,
}

/// What runs a block before it is hot, under [`EngineMode::Tiered`] with
/// [`FirstTier::Baseline`].
///
/// Large programs run most of their blocks only a few times (Python's
/// start-up: 40,000 blocks, 28,000 of them fewer than 50 times), so what
/// a block costs before it turns hot is mostly what translating it costs:
/// an interpreter block (lifting, the IR passes, lowering) and, once hot,
/// the same block lifted again for the baseline compiler cost about twice
/// what baseline code alone does, and interpreting it is several times
/// slower than running that code. But a block that runs once or twice
/// (start-up code, a generated program's functions) costs less
/// interpreted: lowering is cheaper than baseline code generation and
/// installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColdCode {
    /// The interpreter for the block's first `interpreted` runs (its IR not
    /// optimized), then the baseline compiler (the block lifted again: most
    /// such blocks never get there, and keeping their IR cost more), while
    /// few recent cold blocks run that often (otherwise, and with 0,
    /// baseline code on its first run; see `hotspot::ColdReach`). Blocks the baseline compiler does
    /// not compile (FP, CSR accesses, vector) are interpreted. Its code
    /// counts runs, and the block's optimized region is weighed as for
    /// quick first-tier code. Counted in [`crate::Stats::baseline_cold`].
    Baseline {
        /// Interpreted runs before baseline code (`--cold-runs`).
        interpreted: u32,
    },
    /// The interpreter, until the hotspot detector finds the block hot.
    Interpret,
}

/// Interpreted runs of a block before its baseline code by default (see
/// [`ColdCode::Baseline`]): two, while few cold blocks run a third time
/// ([`crate::hotspot`]'s cold reach). bigprog, whose blocks run once or
/// twice, 0.039 s -> 0.024 s; python3's start-up, most of whose blocks
/// run on, within noise of none (benches/results/2026-12-07-s46-cold-runs.md).
pub const DEFAULT_COLD_RUNS: u32 = 2;

impl Default for ColdCode {
    fn default() -> Self {
        ColdCode::Baseline { interpreted: DEFAULT_COLD_RUNS }
    }
}

/// Where compiles run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompileThreads {
    /// On the guest thread that asked, which waits (`--compile-threads 0`).
    Guest,
    /// On this many background workers, fed by one queue ordered by
    /// expected benefit; the guest keeps interpreting meanwhile.
    Workers(NonZeroUsize),
    /// As [`CompileThreads::Workers`], with the available cores but one, at
    /// least one, counted when the first worker starts: counting reads the
    /// cgroup's CPU quota (`available_parallelism`), half a millisecond of
    /// a 7 ms static hello world, which never compiles hot code. The
    /// default.
    #[default]
    Auto,
}

impl CompileThreads {
    /// How many workers compile, or `None` for the guest thread
    /// ([`CompileThreads::Auto`] counts the cores now).
    pub fn workers(self) -> Option<NonZeroUsize> {
        match self {
            CompileThreads::Guest => None,
            CompileThreads::Workers(n) => Some(n),
            CompileThreads::Auto => {
                let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
                Some(NonZeroUsize::new(cores.saturating_sub(1)).unwrap_or(NonZeroUsize::MIN))
            }
        }
    }

    /// Whether compile workers compile (not the guest thread).
    pub fn on_workers(self) -> bool {
        !matches!(self, CompileThreads::Guest)
    }
}

/// Makes a fresh eviction policy (one per VM).
pub type EvictionFactory = Arc<dyn Fn() -> Box<dyn EvictionPolicy> + Send + Sync>;

/// Which translations leave the code cache when it is full.
#[derive(Clone)]
pub enum Eviction {
    /// One of ferrovm's policies.
    Builtin(EvictionKind),
    /// A policy of the embedder's own.
    Custom(EvictionFactory),
}

impl Default for Eviction {
    fn default() -> Self {
        Eviction::Builtin(EvictionKind::Lru)
    }
}

impl std::fmt::Debug for Eviction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Eviction::Builtin(k) => write!(f, "Builtin({k})"),
            Eviction::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Eviction {
    /// A fresh policy.
    pub(crate) fn build(&self, seed: u64) -> Box<dyn EvictionPolicy> {
        match self {
            Eviction::Builtin(k) => k.build(seed),
            Eviction::Custom(make) => make(),
        }
    }
}

/// Options for a [`crate::Vm`].
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Which tiers run guest code.
    pub mode: EngineMode,
    /// Whether to run the IR optimization passes.
    pub optimize: bool,
    /// Whether to run them on a block the baseline compiler compiles on its
    /// first run ([`ColdCode::Baseline`]). Off by default: most such blocks
    /// run a few times, the passes took a third of the time of a cold
    /// block's translation (more than the baseline compiler), and a block
    /// that turns hot is lifted and optimized again for its region.
    /// (Off: bigprog 0.074 s of CPU instead of 0.117 s, python3 -c pass
    /// 0.61 s instead of 0.79 s; benches/results/2026-12-04-cold-path.md.)
    pub optimize_cold: bool,
    /// Largest number of guest instructions in one block.
    pub max_block_insns: usize,
    /// JIT switches (used by [`EngineMode::Jit`] and
    /// [`EngineMode::Tiered`]).
    pub jit: JitOptions,
    /// When code is hot enough to compile.
    pub hotspot: HotspotConfig,
    /// How compile costs and savings are predicted.
    pub cost_model: CostModelKind,
    /// Where compiles run.
    pub compile_threads: CompileThreads,
    /// Which compiler makes first-tier code.
    pub first_tier: FirstTier,
    /// What runs a block before it is hot.
    pub cold_code: ColdCode,
    /// What leaves the code cache when it is full.
    pub eviction: Eviction,
    /// The guest ISA: an instruction outside it is illegal (SIGILL), and
    /// `AT_HWCAP`/`riscv_hwprobe` report exactly it.
    pub isa: ExtSet,
    /// VLEN of the vector unit (used when `isa` has V).
    pub vlen: Vlen,
    /// Per-block logging (`-d exec`, `-d cpu`), decided when the VM is
    /// made: when on, every block returns to the dispatcher.
    pub trace: BlockTrace,
    /// Sample every guest thread's pc ([`crate::profile`]).
    pub profile: Option<ProfileConfig>,
    /// Every block returns to the run loop, as with [`BlockTrace`] (no
    /// chaining, no loops inside compiled code, single-block
    /// translations), so that per-block stops ([`crate::Vcpu::set_block_stops`],
    /// the embedding API's block hooks) work in compiled code. Off, a
    /// per-block stop makes the vCPU interpret instead.
    pub block_exits: bool,
}

/// Which per-block events the run loop emits (see [`crate::log`]). Any of
/// them makes every block return to the dispatcher (no chaining, no loops
/// inside compiled code, single-block translations), as QEMU's `-d exec`
/// wants `-d nochain`; with none, the run loop has no logging code at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockTrace {
    /// A `ferrovm::exec` event at each block entry.
    pub exec: bool,
    /// A `ferrovm::cpu` event (the registers) at each block entry.
    pub cpu: bool,
}

impl BlockTrace {
    /// Whether any per-block event is on.
    pub fn any(self) -> bool {
        self.exec || self.cpu
    }
}

/// The guest profiler's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileConfig {
    /// Samples per second of each guest thread's CPU time.
    pub hz: u32,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig { hz: crate::profile::DEFAULT_HZ }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            mode: EngineMode::default(),
            optimize: true,
            optimize_cold: false,
            max_block_insns: ferrovm_riscv::lift::MAX_BLOCK_INSNS,
            jit: JitOptions::default(),
            hotspot: HotspotConfig::default(),
            cost_model: CostModelKind::default(),
            compile_threads: CompileThreads::default(),
            first_tier: FirstTier::default(),
            cold_code: ColdCode::default(),
            eviction: Eviction::default(),
            isa: ExtSet::DEFAULT,
            vlen: Vlen::DEFAULT,
            trace: BlockTrace::default(),
            profile: None,
            block_exits: false,
        }
    }
}
