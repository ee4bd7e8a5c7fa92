//! Engine statistics, for the performance report and for tests.
//!
//! Each vCPU counts in its own [`Counters`] (atomics written only by the
//! vCPU's thread, with plain loads and stores, so counting costs what a
//! plain `u64` does); the VM adds up every vCPU's counters, live or
//! finished, into one [`Stats`] value. Both types come from one list of
//! fields below.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

macro_rules! stats {
    ($($(#[$doc:meta])* $field:ident: $kind:ident,)*) => {
        /// Counters the engine keeps while running (summed over every vCPU).
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Stats {
            $($(#[$doc])* pub $field: stats!(@type $kind),)*
        }

        /// One vCPU's (or compile thread's) counters: written by one thread,
        /// read by any.
        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $(pub(crate) $field: AtomicU64,)*
        }

        impl Counters {
            /// A snapshot.
            pub(crate) fn get(&self) -> Stats {
                Stats { $($field: stats!(@from $kind, self.$field.load(Ordering::Relaxed)),)* }
            }
        }

        impl Stats {
            /// Every field with its name, for the report.
            pub fn fields(&self) -> Vec<(&'static str, crate::report::Value)> {
                vec![$((stringify!($field), stats!(@value $kind, self.$field)),)*]
            }
        }

        impl std::ops::AddAssign<&Stats> for Stats {
            fn add_assign(&mut self, other: &Stats) {
                $(stats!(@add $kind, self.$field, other.$field);)*
            }
        }
    };
    (@type count) => { u64 };
    (@type time) => { Duration };
    (@type max_time) => { Duration };
    (@from count, $v:expr) => { $v };
    (@from time, $v:expr) => { Duration::from_nanos($v) };
    (@from max_time, $v:expr) => { Duration::from_nanos($v) };
    (@add max_time, $a:expr, $b:expr) => { $a = $a.max($b) };
    (@value count, $v:expr) => { crate::report::Value::Count($v) };
    (@value $kind:ident, $v:expr) => { crate::report::Value::Time($v) };
    (@add $kind:ident, $a:expr, $b:expr) => { $a += $b };
}

stats! {
    /// Blocks lifted, optimized and lowered.
    blocks_translated: count,
    /// Dispatcher lookups that missed the vCPU's local cache.
    lookup_misses: count,
    /// Guest instructions in those blocks.
    insns_translated: count,
    /// Block executions in the interpreter.
    blocks_executed: count,
    /// Translations dropped because their code changed or was unmapped.
    invalidations: count,
    /// Whole-cache flushes.
    flushes: count,
    /// Blocks that had to be re-lifted smaller (too many live values).
    split_blocks: count,
    /// Time spent translating.
    translate_time: time,
    /// Entries from the dispatcher into compiled code (chained blocks run
    /// without coming back, so this is not a count of blocks run).
    native_entries: count,
    /// Blocks compiled by the JIT.
    blocks_compiled: count,
    /// Guest instructions in those blocks.
    insns_compiled: count,
    /// Bytes of machine code produced.
    code_bytes: count,
    /// Time spent compiling (Cranelift and the code cache), included in
    /// `translate_time`.
    compile_time: time,
    /// Compiles that failed in Cranelift (the block ran in the interpreter).
    jit_errors: count,
    /// Compiles failed on purpose by fault injection.
    jit_injected_failures: count,
    /// Blocks that did not fit the code cache even after eviction.
    jit_cache_full: count,
    /// Compiled blocks evicted to make room.
    jit_evictions: count,
    /// Compiles thrown away because the code they were made from changed
    /// while they were being compiled.
    jit_stale_compiles: count,
    /// Loads and stores compiled code handed to the interpreter (inline
    /// check failed: misaligned, fault, or a store to a code page), and
    /// dynamic-rounding FP instructions under `rmm` (the host cannot round
    /// so; see `ferrovm_jit`'s `check_frm`).
    slow_accesses: count,
    /// Of those, loads and stores without inline checks that faulted in
    /// the host (direct memory access: a guest fault, or a store to a page
    /// holding translated code).
    host_faults: count,
    /// Translations that got inline checks although direct memory access
    /// was asked for: their machine code put something between an
    /// access's limit branch and the access (`ferrovm_jit::fault`).
    checked_fallbacks: count,
    /// Translations compiled again with inline checks because their
    /// trap-mode stores wrote translated code (`Vm::demote_to_checked`).
    code_writers: count,
    /// Translations compiled again with inline checks because a trap-mode
    /// access of theirs faulted while the guest had a handler for the
    /// fault (`Vm::demote_to_checked`).
    faulting_code: count,
    /// Translations compiled as hot code (optimized, with the hot loop
    /// around them); included in the compile counts above.
    hot_regions: count,
    /// Blocks in those translations.
    hot_blocks: count,
    /// Guest instructions in those translations.
    hot_insns: count,
    /// Time spent compiling them.
    hot_compile_time: time,
    /// Guest instructions retired (by finished vCPUs and, at the time of
    /// the snapshot, running ones as of their last exit).
    insns_retired: count,
    /// vCPUs (guest threads) created.
    vcpus: count,
    /// Waits for every running vCPU to pass a safe point (before memory is
    /// unmapped, or code changed for every thread).
    synchronizations: count,
    /// Indirect jumps taken by compiled code, and of those the returns.
    indirect_jumps: count,
    returns: count,
    /// Returns the return-address stack did not predict, indirect jumps
    /// their inline cache missed, and those the jump cache missed too (back
    /// to the dispatcher).
    ras_misses: count,
    ic_misses: count,
    jump_cache_misses: count,
    /// Vector instructions compiled code ran inline (host SIMD, or
    /// `vsetvli`'s few integer ops), and those it handed to the vector
    /// helper (shapes not lowered, or a run-time check that failed: a
    /// tail, `vstart` != 0, an access near a page end or to a page it may
    /// not touch). The interpreter's vector instructions count in neither.
    vector_simd: count,
    vector_helper: count,
    /// Times the hotspot detector weighed compiling a translation.
    evaluations: count,
    /// Compiles asked for (as hot code).
    compile_requests: count,
    /// Requests merged into one already queued or being compiled.
    compile_merged: count,
    /// Requests refused because the queue was full.
    compile_refused: count,
    /// Queued requests dropped because their code changed meanwhile.
    compile_stale_dropped: count,
    /// Hot-code requests dropped because, while they waited, an optimized
    /// region compiled for another block took their block in.
    compile_covered_dropped: count,
    /// Time requests waited in the queue (summed).
    compile_queue_wait: time,
    /// Compiles that made a guest thread wait (on the guest thread).
    compile_pauses: count,
    /// The longest of those waits, and all of them.
    compile_pause_max: max_time,
    compile_pause_time: time,
    /// Time compile workers spent serving requests.
    worker_busy: time,
    /// Quick first-tier compiles (a block alone, no optimizer) made while
    /// its optimized region waited.
    quick_compiles: count,
    /// Blocks compiled by the baseline compiler (first-tier code from
    /// templates; included in the compile counts above), the time it took
    /// (on guest threads), the longest of those compiles, and the bytes of
    /// code made.
    baseline_compiles: count,
    baseline_compile_time: time,
    baseline_compile_max: max_time,
    baseline_code_bytes: count,
    /// Of those, blocks compiled before they were hot (cold code, on their
    /// first run or after their few interpreted runs: see
    /// [`crate::ColdCode`]).
    baseline_cold: count,
    /// First-tier compiles the baseline compiler left to Cranelift (blocks
    /// with FP or CSR accesses).
    baseline_fallbacks: count,
    /// Hot regions re-formed because a side exit turned hot.
    regions_reformed: count,
    /// Blocks that turned hot inside a compiled hot region and were linked
    /// to enter it there instead of getting a region of their own.
    region_aliases: count,
    /// Cells linked to new compiled code (chain patches: every chained
    /// jump to that pc now goes there).
    chain_links: count,
    /// Maintenance runs (once per hotspot window).
    maintenance_runs: count,
    /// Exits from compiled code back to the dispatcher, by reason: a
    /// jump to code not compiled (or not chained), a system call or
    /// breakpoint, a load or store handed to the interpreter, a hot
    /// counter, anything else (faults, illegal instructions, fence.i).
    exits_chain: count,
    exits_ecall: count,
    exits_slow: count,
    exits_hot: count,
    exits_other: count,
}

impl Counters {
    /// Adds `n` to `counter` (only the owning thread writes it).
    #[inline]
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.store(counter.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
    }

    /// Raises a max-time counter to `d`.
    #[inline]
    pub(crate) fn max(counter: &AtomicU64, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        if ns > counter.load(Ordering::Relaxed) {
            counter.store(ns, Ordering::Relaxed);
        }
    }

    /// Adds `d` to a time counter.
    #[inline]
    pub(crate) fn add_time(counter: &AtomicU64, d: Duration) {
        Self::add(counter, u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, String); 8] = [
            ("blocks translated", self.blocks_translated.to_string()),
            ("insns translated", self.insns_translated.to_string()),
            ("blocks executed", self.blocks_executed.to_string()),
            ("invalidations", self.invalidations.to_string()),
            ("cache flushes", self.flushes.to_string()),
            ("split blocks", self.split_blocks.to_string()),
            ("threads", self.vcpus.to_string()),
            ("translate time", format!("{:.3?}", self.translate_time)),
        ];
        let mut first = true;
        let mut line = |f: &mut fmt::Formatter<'_>, name: &str, value: &str| {
            let sep = if std::mem::take(&mut first) { "" } else { "\n" };
            write!(f, "{sep}{name:<20}{value:>12}")
        };
        for (name, value) in &rows {
            line(f, name, value)?;
        }
        if self.synchronizations > 0 {
            line(f, "synchronizations", &self.synchronizations.to_string())?;
        }
        if self.blocks_compiled + self.jit_errors + self.jit_injected_failures > 0 {
            let per_block = self.compile_time.checked_div(self.blocks_compiled.max(1) as u32).unwrap_or_default();
            let per_insn = self.compile_time.checked_div(self.insns_compiled.max(1) as u32).unwrap_or_default();
            let jit: [(&str, String); 22] = [
                ("native entries", self.native_entries.to_string()),
                ("blocks compiled", self.blocks_compiled.to_string()),
                ("insns compiled", self.insns_compiled.to_string()),
                ("code bytes", self.code_bytes.to_string()),
                ("compile time", format!("{:.3?}", self.compile_time)),
                ("compile per block", format!("{per_block:.3?}")),
                ("compile per insn", format!("{per_insn:.3?}")),
                ("jit errors", self.jit_errors.to_string()),
                ("jit injected fails", self.jit_injected_failures.to_string()),
                ("jit cache full", self.jit_cache_full.to_string()),
                ("jit evictions", self.jit_evictions.to_string()),
                ("jit stale compiles", self.jit_stale_compiles.to_string()),
                ("slow accesses", self.slow_accesses.to_string()),
                ("host faults", self.host_faults.to_string()),
                ("checked fallbacks", self.checked_fallbacks.to_string()),
                ("hot regions", self.hot_regions.to_string()),
                ("hot region blocks", self.hot_blocks.to_string()),
                ("hot region insns", self.hot_insns.to_string()),
                ("hot compile time", format!("{:.3?}", self.hot_compile_time)),
                ("baseline compiles", self.baseline_compiles.to_string()),
                ("baseline for cold code", self.baseline_cold.to_string()),
                ("baseline fallbacks", self.baseline_fallbacks.to_string()),
            ];
            for (name, value) in &jit {
                line(f, name, value)?;
            }
            if self.vector_simd + self.vector_helper > 0 {
                line(f, "vector inline", &self.vector_simd.to_string())?;
                line(f, "vector helper", &self.vector_helper.to_string())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up() {
        let a = Counters::default();
        Counters::add(&a.blocks_executed, 3);
        Counters::add_time(&a.compile_time, Duration::from_micros(5));
        let mut total = a.get();
        total += &a.get();
        assert_eq!(total.blocks_executed, 6);
        assert_eq!(total.compile_time, Duration::from_micros(10));
        let shown = total.to_string();
        assert!(shown.contains("blocks executed"), "{shown}");
    }
}
