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
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "blocks translated   {:>12}", self.blocks_translated)?;
        writeln!(f, "insns translated    {:>12}", self.insns_translated)?;
        writeln!(f, "blocks executed     {:>12}", self.blocks_executed)?;
        writeln!(f, "invalidations       {:>12}", self.invalidations)?;
        writeln!(f, "cache flushes       {:>12}", self.flushes)?;
        writeln!(f, "split blocks        {:>12}", self.split_blocks)?;
        write!(f, "translate time      {:>12.3?}", self.translate_time)
    }
}
