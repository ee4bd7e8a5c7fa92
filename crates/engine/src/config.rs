//! Engine configuration: one value, filled in by the embedder (or by the
//! CLI from its flags and `FERROVM_*` variables). The library reads no
//! environment variables.

use std::num::NonZeroU32;

pub use ferrovm_jit::{FaultInjection, JitOptions, Writes as CodeWrites};

/// How many runs make a block hot by default: under
/// [`EngineMode::Tiered`] the interpreter runs a block this many times
/// before it is compiled; under [`EngineMode::Jit`] a block's first
/// translation runs this many times before it is recompiled as hot code.
/// Cranelift costs about as much per block as interpreting it a few
/// thousand times, so code that runs fewer times than that is cheaper left
/// to the interpreter.
pub const DEFAULT_HOT_THRESHOLD: NonZeroU32 = NonZeroU32::new(1000).expect("non-zero");

/// Which tiers run guest code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineMode {
    /// Every block in the IR interpreter.
    #[default]
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
    /// Blocks run in the interpreter until they have run `threshold`
    /// times, then are compiled as hot code (optimized, with the hot loop
    /// around them).
    Tiered {
        /// Interpreter runs before a block is compiled.
        threshold: NonZeroU32,
    },
}

impl EngineMode {
    /// Whether the mode uses the JIT at all.
    pub fn compiles(self) -> bool {
        !matches!(self, EngineMode::Interp)
    }
}

/// Options for a [`crate::Vm`].
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Which tiers run guest code.
    pub mode: EngineMode,
    /// Whether to run the IR optimization passes.
    pub optimize: bool,
    /// Largest number of guest instructions in one block.
    pub max_block_insns: usize,
    /// JIT switches (used by [`EngineMode::Jit`] and
    /// [`EngineMode::Tiered`]).
    pub jit: JitOptions,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            mode: EngineMode::Interp,
            optimize: true,
            max_block_insns: ferrovm_riscv::lift::MAX_BLOCK_INSNS,
            jit: JitOptions::default(),
        }
    }
}
