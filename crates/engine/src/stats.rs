//! Engine statistics, for the performance report and for tests.

use std::fmt;
use std::time::Duration;

/// Counters the engine keeps while running.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks lifted, optimized and lowered.
    pub blocks_translated: u64,
    /// Guest instructions in those blocks.
    pub insns_translated: u64,
    /// Block executions in the interpreter.
    pub blocks_executed: u64,
    /// Translations dropped because their code changed or was unmapped.
    pub invalidations: u64,
    /// Whole-cache flushes (`fence.i`).
    pub flushes: u64,
    /// Blocks that had to be re-lifted smaller (too many live values).
    pub split_blocks: u64,
    /// Time spent translating.
    pub translate_time: Duration,
    /// Entries from the dispatcher into compiled code (chained blocks run
    /// without coming back, so this is not a count of blocks run).
    pub native_entries: u64,
    /// Blocks compiled by the JIT.
    pub blocks_compiled: u64,
    /// Guest instructions in those blocks.
    pub insns_compiled: u64,
    /// Bytes of machine code produced.
    pub code_bytes: u64,
    /// Time spent compiling (Cranelift and the code cache), included in
    /// `translate_time`.
    pub compile_time: Duration,
    /// Compiles that failed in Cranelift (the block ran in the interpreter).
    pub jit_errors: u64,
    /// Compiles failed on purpose by fault injection.
    pub jit_injected_failures: u64,
    /// Blocks that did not fit the code cache even after eviction.
    pub jit_cache_full: u64,
    /// Compiled blocks evicted to make room.
    pub jit_evictions: u64,
    /// Loads and stores compiled code handed to the interpreter (inline
    /// check failed: misaligned, fault, or a store to a code page).
    pub slow_accesses: u64,
    /// Translations compiled as hot code (optimized, with the hot loop
    /// around them); included in the compile counts above.
    pub hot_regions: u64,
    /// Blocks in those translations.
    pub hot_blocks: u64,
    /// Guest instructions in those translations.
    pub hot_insns: u64,
    /// Time spent compiling them.
    pub hot_compile_time: Duration,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "blocks translated   {:>12}", self.blocks_translated)?;
        writeln!(f, "insns translated    {:>12}", self.insns_translated)?;
        writeln!(f, "blocks executed     {:>12}", self.blocks_executed)?;
        writeln!(f, "invalidations       {:>12}", self.invalidations)?;
        writeln!(f, "cache flushes       {:>12}", self.flushes)?;
        writeln!(f, "split blocks        {:>12}", self.split_blocks)?;
        write!(f, "translate time      {:>12.3?}", self.translate_time)?;
        if self.blocks_compiled + self.jit_errors + self.jit_injected_failures > 0 {
            let per_block = self.compile_time.checked_div(self.blocks_compiled.max(1) as u32).unwrap_or_default();
            let per_insn = self.compile_time.checked_div(self.insns_compiled.max(1) as u32).unwrap_or_default();
            writeln!(f)?;
            writeln!(f, "native entries      {:>12}", self.native_entries)?;
            writeln!(f, "blocks compiled     {:>12}", self.blocks_compiled)?;
            writeln!(f, "insns compiled      {:>12}", self.insns_compiled)?;
            writeln!(f, "code bytes          {:>12}", self.code_bytes)?;
            writeln!(f, "compile time        {:>12.3?}", self.compile_time)?;
            writeln!(f, "compile per block   {:>12.3?}", per_block)?;
            writeln!(f, "compile per insn    {:>12.3?}", per_insn)?;
            writeln!(f, "jit errors          {:>12}", self.jit_errors)?;
            writeln!(f, "jit injected fails  {:>12}", self.jit_injected_failures)?;
            writeln!(f, "jit cache full      {:>12}", self.jit_cache_full)?;
            writeln!(f, "jit evictions       {:>12}", self.jit_evictions)?;
            writeln!(f, "slow accesses       {:>12}", self.slow_accesses)?;
            writeln!(f, "hot regions         {:>12}", self.hot_regions)?;
            writeln!(f, "hot region blocks   {:>12}", self.hot_blocks)?;
            writeln!(f, "hot region insns    {:>12}", self.hot_insns)?;
            write!(f, "hot compile time    {:>12.3?}", self.hot_compile_time)?;
        }
        Ok(())
    }
}
