//! The JIT tier's policy: which code to compile when, and how. Under
//! [`EngineMode::Tiered`] blocks are interpreted until the hotspot detector
//! ([`crate::hotspot`]) finds that compiling them saves more than it costs;
//! then they get quick first-tier code (the block alone: from the baseline
//! compiler on the guest thread, or from Cranelift without its optimizer on
//! a compile worker, ahead of the queue; see [`FirstTier`]) and then a
//! compile worker gives them hot code (optimized, with the hot loop around
//! them) while the guest goes on running; with
//! [`crate::CompileThreads::Guest`] the guest thread compiles the hot code itself. Under
//! [`EngineMode::Jit`] every block is compiled the first time it runs,
//! quickly (first-tier code), and recompiled as hot code once it has run
//! `tier_up` times. A hot region whose side exit turns hot is re-formed
//! with it. When the code cache is full the eviction policy picks what
//! leaves; the interpreter takes over (counted in [`crate::Stats`]) when
//! compiling fails.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use ferrovm_ir::Terminator;
use ferrovm_jit::abi::Cell;
use ferrovm_jit::{Compiler, Error as JitError, Flavor, Linker};
use ferrovm_riscv::lift::LiftError;

use crate::config::{ColdCode, EngineMode, FirstTier};
use crate::cost::Features;
use crate::queue::{Ask, Pushed, Request};
use crate::stats::Counters;
use crate::table::{Record, Table};
use crate::vcpu::Vcpu;
use crate::vm::{VcpuShared, Vm};
use crate::warn;

/// Links compiled code to the table's records (their cells and counters
/// live as long as the VM) and hands it the guessed targets of a region's
/// indirect jumps, by the jumping block's pc ([`Vm::indirect_targets`]).
struct TableLinker<'a>(&'a Table, &'a [(u64, Vec<u64>)]);

impl Linker for TableLinker<'_> {
    fn cell(&mut self, pc: u64) -> *const Cell {
        // The table keeps the record (and so the cell) for the VM's life.
        self.0.with_record(pc, |r| &raw const r.cell)
    }

    fn counter(&mut self, pc: u64) -> *const AtomicU32 {
        self.0.with_record(pc, |r| &raw const r.runs)
    }

    fn vtype(&mut self, pc: u64) -> Option<u64> {
        let vtype = self.0.get(pc)?.vtype.load(Ordering::Relaxed);
        (vtype & ferrovm_ir::vector::VILL == 0).then_some(vtype)
    }

    fn indirect_targets(&mut self, pc: u64) -> Vec<u64> {
        self.1.iter().find(|(at, _)| *at == pc).map(|(_, t)| t.clone()).unwrap_or_default()
    }
}

/// Most times one region is re-formed because a side exit turned hot.
const MAX_REFORMS: u32 = 4;

/// Runs of quick first-tier code after which it asks again for its
/// optimized region (in case that request was refused or dropped, or was
/// not worth making when the baseline code was). A loop reaches it in
/// microseconds; Python's test modules do fewer region compiles at 16384
/// than at 4096 (8-12% less CPU time, wall time 0-3% less; 1024: 5% more
/// wall time), the suite's workloads the same (A/B runs of 5 December,
/// README "Baseline code that chains like QEMU's").
const QUICK_TIER_UP: u32 = 16384;

/// How much slower than optimized code the tiering policy expects baseline
/// code to run, per instruction (it keeps guest registers and temporaries
/// in memory): what an optimized region saves over it.
const BASELINE_SLOWDOWN: f64 = 3.0;

/// What a compile makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Under [`EngineMode::Jit`], a block on its first run.
    FirstRun,
    /// Under [`EngineMode::Tiered`], quick first-tier code for a block that
    /// turned hot, while its optimized region waits in the queue: the
    /// block alone, no optimizer, single-pass register allocation.
    Quick,
    /// Under [`EngineMode::Tiered`] with [`FirstTier::Baseline`], the
    /// same quick code from the baseline compiler, on the guest thread
    /// that found the block hot; [`Outcome::Unsupported`] for a block it
    /// does not compile (then it is asked of a worker as [`Kind::Quick`]).
    Baseline,
    /// Hot code: optimized, with the hot loop around it.
    Hot,
}

/// How a compile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The translation now has compiled code.
    Compiled,
    /// Compiling failed; `kept` if older compiled code stays in place.
    Failed { kept: bool },
    /// The code changed while it was compiled: thrown away.
    Stale,
    /// A re-formed region would not have held the block that asked for it.
    Missed,
    /// [`Kind::Baseline`]: the baseline compiler does not compile the block.
    Unsupported,
}

/// The code of its own a block without code may get before its region
/// (see [`Vcpu::evaluate`]): baseline code, quick first-tier code from
/// Cranelift (what the cost model predicts that compile costs, scaled), or
/// none (only its region).
#[derive(Clone, Copy, PartialEq)]
enum FirstCode {
    Baseline,
    Quick(f64),
    None,
}

impl Vcpu {
    /// Whether interpreter runs of `r` count toward compiling it: under
    /// [`EngineMode::Tiered`], and under [`EngineMode::Jit`] for blocks
    /// evicted for room (the others are compiled on their first run).
    #[inline]
    pub(crate) fn counts(&self, r: &Record) -> bool {
        match self.vm.mode {
            EngineMode::Tiered => true,
            EngineMode::Jit { .. } => r.evictions.load(Ordering::Relaxed) > 0,
            EngineMode::Interp => false,
        }
    }

    /// Whether the block of `r`, not translated yet, should be compiled at
    /// once: under [`EngineMode::Jit`], unless it was evicted for room
    /// before.
    #[inline]
    pub(crate) fn eager(&self, r: &Record) -> bool {
        matches!(self.vm.mode, EngineMode::Jit { .. }) && r.evictions.load(Ordering::Relaxed) == 0
    }

    /// Whether the block of `r`, not translated yet, gets baseline code
    /// before it is hot ([`ColdCode::Baseline`]): under [`EngineMode::Tiered`]
    /// with [`FirstTier::Baseline`], unless the baseline compiler refused it
    /// or its code was evicted for room before (then the interpreter runs
    /// it until it is hot again, as under [`EngineMode::Jit`]).
    #[inline]
    pub(crate) fn cold_baseline(&self, r: &Record) -> bool {
        let vm = &self.vm;
        matches!(vm.mode, EngineMode::Tiered)
            && vm.config.first_tier == FirstTier::Baseline
            && matches!(vm.config.cold_code, ColdCode::Baseline { .. })
            && vm.store.is_some()
            && r.evictions.load(Ordering::Relaxed) == 0
            && !r.baseline_refused.load(Ordering::Relaxed)
    }

    /// Translates the block of `r` on its first run under
    /// [`ColdCode::Baseline`]: baseline code, or an interpreter block if the
    /// baseline compiler does not compile it; with interpreted runs first
    /// (while most cold blocks do not reach their baseline code: see
    /// [`crate::hotspot::ColdReach`]), an interpreter block that keeps its
    /// IR for the baseline compile at the end of those runs
    /// ([`Vcpu::evaluate`]).
    pub(crate) fn translate_cold(&mut self, r: &Arc<Record>) -> Result<(), LiftError> {
        if let ColdCode::Baseline { interpreted: runs @ 1.. } = self.vm.config.cold_code
            && self.vm.cold_reach.interpret_next()
        {
            // Weighed when the count reaches `next_eval`, before that run.
            r.next_eval.store(runs.saturating_add(1), Ordering::Relaxed);
            return self.vm.translate_keeping(r, &self.shared.counters, true).map(|_| ());
        }
        self.compile_cold(r)
    }

    /// Baseline code for the block of `r`, which has not turned hot
    /// ([`ColdCode::Baseline`]), or an interpreter block if the baseline
    /// compiler does not compile it.
    fn compile_cold(&mut self, r: &Arc<Record>) -> Result<(), LiftError> {
        match self.compile_baseline(r)? {
            Outcome::Compiled => {
                Counters::add(&self.shared.counters.baseline_cold, 1);
                Ok(())
            }
            Outcome::Unsupported => self.vm.translate(r, &self.shared.counters).map(|_| ()),
            // A failed compile left an interpreter block; stale code runs
            // from a fresh lookup.
            Outcome::Failed { .. } | Outcome::Stale | Outcome::Missed => Ok(()),
        }
    }

    /// Weighs compiling `r`, whose interpreter runs reached its next
    /// evaluation (see [`crate::hotspot`]): folds the runs into its score
    /// and, if the expected saving exceeds the predicted cost times the
    /// threshold ratio, asks for it to be compiled (on this thread, or
    /// queued for a worker). Whether it now has compiled code.
    #[cold]
    pub(crate) fn evaluate(&mut self, r: &Arc<Record>, insns: u32) -> bool {
        r.vtype.store(self.cpu.vector.vtype, Ordering::Relaxed);
        let vm = Arc::clone(&self.vm);
        let cfg = &vm.config.hotspot;
        let now = vm.clock.window();
        let runs = r.runs.swap(0, Ordering::Relaxed);
        let count = r.score.add(cfg, runs, now);
        // Only with interpreted cold runs: no lock otherwise.
        if matches!(vm.config.cold_code, ColdCode::Baseline { interpreted: 1.. })
            && r.state().interpreted_first
            && !r.queued.load(Ordering::Acquire)
        {
            // Its interpreted runs under [`ColdCode::Baseline`] are over:
            // baseline code (lifted again), whatever the score.
            let stub = vm.store.as_ref().map_or(0, |s| s.stub());
            if r.cell.code.load(Ordering::Relaxed) == stub {
                Counters::add(&self.shared.counters.evaluations, 1);
                r.next_eval.store(cfg.min_runs.get(), Ordering::Relaxed);
                // Refused or failed, its interpreter block runs on and is
                // weighed as any other (optimized, if it was not: see
                // `EngineConfig::optimize_cold`).
                vm.cold_reach.reached();
                match self.compile_baseline(r) {
                    Ok(Outcome::Compiled) => {
                        Counters::add(&self.shared.counters.baseline_cold, 1);
                        return true;
                    }
                    Ok(Outcome::Unsupported)
                        if !vm.config.optimize_cold && vm.translate(r, &self.shared.counters).is_ok() =>
                    {
                        self.forget_local(r.pc());
                    }
                    _ => {}
                }
                return false;
            }
        }
        // With compile workers, they do the maintenance (off the guest's
        // path); without, the first guest thread into a new window does.
        if matches!(vm.config.compile_threads, crate::CompileThreads::Guest) {
            vm.maintain_if_due(&self.shared.counters);
        }
        Counters::add(&self.shared.counters.evaluations, 1);
        if r.queued.load(Ordering::Acquire) {
            r.next_eval.store(crate::hotspot::MAX_EVAL_INTERVAL, Ordering::Relaxed);
            return false;
        }
        let expected = cfg.expected_runs(count, vm.clock.elapsed());
        let features = vm.features(r);
        let (interp, native) = vm.rates();
        let cost_ns = vm.region_cost_ns(features.as_ref());
        let baseline_ns = vm.lock_model().baseline_compile_ns();
        let saving = cfg.saving_per_run(insns, interp, native) * expected;
        let needed = cost_ns * vm.threshold.get();
        // A block without compiled code gets baseline code as soon as that
        // pays for its own (small) compile; its optimized region only when
        // that pays for Cranelift's.
        let no_code = vm.store.as_ref().is_some_and(|s| r.cell.code.load(Ordering::Relaxed) == s.stub());
        let first_tier_baseline =
            vm.config.first_tier == FirstTier::Baseline && matches!(vm.mode, EngineMode::Tiered) && no_code;
        // A block with no code may first get code of its own, which must
        // repay only its own compile (`needed_for`): baseline code
        // (compiled on the guest thread: the threshold ratio that adapts
        // to the workers' load does not apply), or, where the baseline
        // compiler refuses the block (floating point, CSRs), quick
        // first-tier code from Cranelift (the model's prediction for the
        // block alone, a few hundred microseconds, not its region's
        // milliseconds: until then it is interpreted, its FP through
        // SoftFloat; `fpround` ran 433,933 interpreted blocks, its
        // `fetestexcept` and `nearbyint` among them, 113,924 now). Either
        // way its region is weighed again once that code has run
        // [`QUICK_TIER_UP`] times ([`Vcpu::reweigh`]). Never more than the
        // region's own cost (`needed`).
        let quick = || match &features {
            Some(f) if vm.config.compile_threads.on_workers() => {
                FirstCode::Quick(vm.lock_model().predict_compile_us(f) * 1000.0 * vm.threshold.get())
            }
            _ => FirstCode::None,
        };
        let mut first = match (first_tier_baseline, r.baseline_refused.load(Ordering::Relaxed)) {
            (true, false) => FirstCode::Baseline,
            (true, true) => quick(),
            (false, _) => FirstCode::None,
        };
        let needed_for = |first: FirstCode| match first {
            FirstCode::Baseline => (baseline_ns * cfg.ratio).min(needed),
            FirstCode::Quick(q) => q.min(needed),
            FirstCode::None => needed,
        };
        let enough_runs = count >= cfg.min_runs.get() as f32;
        // Tried (and refused) here: not again below for the same block.
        let mut baseline_refused = false;
        if first == FirstCode::Baseline && saving >= needed_for(first) && enough_runs {
            match self.compile_baseline(r) {
                Ok(Outcome::Compiled) => {
                    tracing::info!(
                        target: crate::log::target::TIER,
                        "baseline {:#x} {}: score {count:.0}, saving {:.0} us",
                        r.pc(),
                        vm.describe(r.pc()),
                        saving / 1e3,
                    );
                    return true;
                }
                // Refused: quick first-tier code instead, if any.
                Ok(Outcome::Unsupported) => {
                    baseline_refused = true;
                    first = quick();
                }
                _ => return false,
            }
        }
        let first_needed = needed_for(first);
        let quick_alone =
            matches!(first, FirstCode::Quick(_)) && saving < needed && saving >= first_needed && enough_runs;
        if quick_alone {
            r.next_eval.store(cfg.min_runs.get(), Ordering::Relaxed);
            tracing::info!(
                target: crate::log::target::TIER,
                "compile {:#x} {}: score {count:.0}, saving {:.0} us; quick first-tier code alone (its region: cost {:.0} us)",
                r.pc(),
                vm.describe(r.pc()),
                saving / 1e3,
                cost_ns / 1e3,
            );
            return self.submit(Request::quick(Arc::clone(r), saving - cost_ns, Ask::Quick));
        }
        if saving < needed || count < cfg.min_runs.get() as f32 {
            r.next_eval.store(cfg.next_evaluation(count, saving, first_needed), Ordering::Relaxed);
            tracing::info!(
                target: crate::log::target::TIER,
                "wait {:#x} {}: score {count:.0}, saving {:.0} us < cost {:.0} us x ratio {:.2}{}",
                r.pc(),
                vm.describe(r.pc()),
                saving / 1e3,
                cost_ns / 1e3,
                vm.threshold.get(),
                if count < cfg.min_runs.get() as f32 { " (too few runs)" } else { "" }
            );
            return false;
        }
        r.next_eval.store(cfg.min_runs.get(), Ordering::Relaxed);
        // A side exit of a hot region turned hot: re-form the region with
        // it, if that region is compiled and has not been re-formed often.
        let reform = vm.region_exiting_to(r.pc());
        let priority = saving - cost_ns;
        // With workers, a block with no code gets quick first-tier code
        // first (served ahead of everything), then its optimized region:
        // the guest runs native code long before a big region is ready.
        let quick = reform.is_none() && vm.config.compile_threads.on_workers() && no_code;
        tracing::info!(
            target: crate::log::target::TIER,
            "compile {:#x} {}: score {count:.0}, saving {:.0} us >= cost {:.0} us x ratio {:.2}; {}",
            r.pc(),
            vm.describe(r.pc()),
            saving / 1e3,
            cost_ns / 1e3,
            vm.threshold.get(),
            match (&reform, quick) {
                (Some(region), _) => format!("re-form the region at {:#x} with it", region.pc()),
                (None, true) => "quick first-tier code first, then its optimized region".to_string(),
                (None, false) => "its optimized region".to_string(),
            }
        );
        if quick && vm.config.first_tier == FirstTier::Baseline && !baseline_refused {
            // Baseline code now, on this thread (tens of microseconds),
            // then the optimized region from a worker, in turn.
            match self.compile_baseline(r) {
                Ok(Outcome::Compiled) => {
                    self.submit(Request::new(Arc::clone(r), priority, None));
                    return true;
                }
                Ok(Outcome::Unsupported) => {}
                _ => return false,
            }
        }
        let req = if quick {
            Request::quick(Arc::clone(r), priority, Ask::QuickThenRegion)
        } else {
            Request::new(Arc::clone(r), priority, reform)
        };
        self.submit(req)
    }

    /// Under [`EngineMode::Tiered`] with [`FirstTier::Baseline`], quick
    /// code of `r` reached its run count ([`QUICK_TIER_UP`]): asks for its
    /// optimized region if what that saves over baseline code now pays
    /// for Cranelift's compile; the count starts again either way.
    pub(crate) fn reweigh(&mut self, r: &Arc<Record>) {
        r.vtype.store(self.cpu.vector.vtype, Ordering::Relaxed);
        let vm = Arc::clone(&self.vm);
        let cfg = &vm.config.hotspot;
        let runs = r.runs.swap(0, Ordering::Relaxed);
        let count = r.score.add(cfg, runs, vm.clock.window());
        Counters::add(&self.shared.counters.evaluations, 1);
        // Queued, or its optimized code came while this vCPU still ran
        // its baseline code (another vCPU asked first; its cell leads
        // there now): compiling it again would make the same region.
        if r.queued.load(Ordering::Acquire) || r.optimized.load(Ordering::Acquire) {
            return;
        }
        let insns = r.native_insns.load(Ordering::Relaxed);
        let features = vm.features(r);
        let expected = cfg.expected_runs(count, vm.clock.elapsed());
        // What optimized code saves over baseline code (estimated; the
        // samples do not tell the two kinds of compiled code apart).
        let (_, native) = vm.rates();
        let cost_ns = vm.region_cost_ns(features.as_ref());
        let saving = cfg.saving_per_run(insns, native * BASELINE_SLOWDOWN, native) * expected;
        let worth = saving >= cost_ns * vm.threshold.get();
        tracing::info!(
            target: crate::log::target::TIER,
            "reweigh {:#x} {}: score {count:.0}, saving {:.0} us {} cost {:.0} us x ratio {:.2}",
            r.pc(),
            vm.describe(r.pc()),
            saving / 1e3,
            if worth { ">=" } else { "<" },
            cost_ns / 1e3,
            vm.threshold.get(),
        );
        if worth {
            let reform = vm.region_exiting_to(r.pc());
            self.submit(Request::new(Arc::clone(r), saving - cost_ns, reform));
        }
    }

    /// Compiles the block of `r` with the baseline compiler on this thread
    /// ([`Kind::Baseline`]); a block it refuses is marked, not asked again.
    fn compile_baseline(&mut self, r: &Arc<Record>) -> Result<Outcome, LiftError> {
        let vm = Arc::clone(&self.vm);
        let Some(store) = &vm.store else { return Ok(Outcome::Failed { kept: false }) };
        let compiler = self.compiler.get_or_insert_with(|| store.compiler());
        let out = vm.compile(compiler, &self.shared, r, Kind::Baseline, None)?;
        if out == Outcome::Unsupported {
            r.baseline_refused.store(true, Ordering::Relaxed);
        }
        Ok(out)
    }

    /// Compiles `req` on this thread or queues it for a worker (see
    /// [`crate::CompileThreads`]). Whether `req`'s translation has compiled code now.
    pub(crate) fn submit(&mut self, req: Request) -> bool {
        let vm = Arc::clone(&self.vm);
        let counters = &self.shared.counters;
        Counters::add(&counters.compile_requests, 1);
        if vm.config.compile_threads.on_workers() {
            vm.start_workers();
            match vm.queue.push(req) {
                Pushed::Queued => {}
                Pushed::Merged => Counters::add(&counters.compile_merged, 1),
                Pushed::Refused => Counters::add(&counters.compile_refused, 1),
            }
            return false;
        }
        // On the guest thread, which waits: the pause is measured.
        let Some(store) = &vm.store else { return false };
        let started = Instant::now();
        let compiler = self.compiler.get_or_insert_with(|| store.compiler());
        let r = Arc::clone(&req.record);
        let outcome = vm.serve(compiler, &self.shared, &req);
        let paused = started.elapsed();
        Counters::max(&counters.compile_pause_max, paused);
        Counters::add_time(&counters.compile_pause_time, paused);
        Counters::add(&counters.compile_pauses, 1);
        matches!(outcome, Ok(Outcome::Compiled)) && r.cell.code.load(Ordering::Relaxed) != store.stub()
    }

    /// Translates the block of `r` for the JIT tier on this thread:
    /// compiled if possible (as hot code if `hot`), otherwise an
    /// interpreter block. A compiled translation this one was to replace
    /// stays if compiling fails. Whether `r` now has compiled code.
    pub(crate) fn translate_native(&mut self, r: &Arc<Record>, hot: bool) -> Result<bool, LiftError> {
        r.vtype.store(self.cpu.vector.vtype, Ordering::Relaxed);
        let vm = Arc::clone(&self.vm);
        let Some(store) = &vm.store else {
            vm.translate(r, &self.shared.counters)?;
            return Ok(false);
        };
        let started = Instant::now();
        let compiler = self.compiler.get_or_insert_with(|| store.compiler());
        let kind = if hot { Kind::Hot } else { Kind::FirstRun };
        let outcome = vm.compile(compiler, &self.shared, r, kind, None);
        // One clock read (a cold block's compile reads the clock several
        // times already).
        let paused = started.elapsed();
        Counters::max(&self.shared.counters.compile_pause_max, paused);
        Counters::add_time(&self.shared.counters.compile_pause_time, paused);
        Counters::add(&self.shared.counters.compile_pauses, 1);
        Ok(matches!(outcome?, Outcome::Compiled | Outcome::Failed { kept: true }))
    }
}

impl Vm {
    /// How many runs make a block hot for region growing under
    /// [`EngineMode::Jit`] (0: none ever does).
    fn hot_runs(&self) -> u32 {
        match self.mode {
            EngineMode::Jit { tier_up } => tier_up.map_or(0, |t| t.get()),
            _ => 0,
        }
    }

    /// How a translation of `kind` is compiled.
    fn flavor(&self, kind: Kind) -> Flavor {
        let hot = match kind {
            Kind::Hot => true,
            Kind::FirstRun => false,
            Kind::Quick | Kind::Baseline => {
                return Flavor { optimize: false, hot_at: Some(QUICK_TIER_UP), checked: false };
            }
        };
        let (eager, tier_up) = match self.mode {
            EngineMode::Jit { tier_up } => (true, tier_up),
            _ => (false, None),
        };
        Flavor {
            // Code that proved hot is worth optimizing; under tiered, only
            // such code is compiled.
            optimize: hot || !eager,
            hot_at: if eager && !hot { tier_up.map(|t| t.get()) } else { None },
            checked: false,
        }
    }

    /// The compiled hot region that exits to `pc` and may be re-formed to
    /// take it in, if any.
    fn region_exiting_to(&self, pc: u64) -> Option<Arc<Record>> {
        let store = self.store.as_ref()?;
        let exits = self.exits.lock().unwrap_or_else(PoisonError::into_inner);
        exits.to(pc).iter().filter_map(|&e| self.table.get(e)).find(|r| {
            r.optimized.load(Ordering::Relaxed)
                && r.cell.code.load(Ordering::Relaxed) != store.stub()
                && r.reforms.load(Ordering::Relaxed) < MAX_REFORMS
                && !r.queued.load(Ordering::Relaxed)
        })
    }

    /// Whether an optimized region holding the block at `pc` (not as its
    /// entry) was published after `since`.
    fn covered_since(&self, pc: u64, since: Instant) -> bool {
        self.covered.lock().unwrap_or_else(PoisonError::into_inner).get(&pc).is_some_and(|&(_, at)| at > since)
    }

    /// Carries out a compile request (on a worker or a guest thread); the
    /// caller marks it [done](Request::done).
    pub(crate) fn serve(&self, compiler: &mut Compiler, who: &VcpuShared, req: &Request) -> Result<Outcome, LiftError> {
        let counters = &who.counters;
        let waited = req.queued_at.elapsed();
        Counters::add_time(&counters.compile_queue_wait, waited);
        self.log_wait(waited);
        let out = match &req.reform {
            // A block another optimized region holds is entered there.
            // If it is a hot exit of a region too, only when that other
            // region holds the exiting region's entry as well (the cycle
            // through the exit runs there): re-forming would compile
            // those blocks once more (a recursive quicksort got four
            // overlapping regions, each most of it). Otherwise the
            // re-formed region keeps the cycle in one piece of code
            // (sort is 2-3% slower with the alias).
            _ if !req.ask.quick() && self.alias(counters, &req.record, req.reform.as_ref().map(|r| r.pc())) => {
                Outcome::Compiled
            }
            Some(region) => {
                // The region's entry is queued with the request's, so a
                // second re-form of it merges.
                let out = if region.queued.swap(true, Ordering::AcqRel) {
                    Outcome::Missed
                } else {
                    let out = self.compile(compiler, who, region, Kind::Hot, Some(req.record.pc()));
                    region.queued.store(false, Ordering::Release);
                    out?
                };
                tracing::info!(
                    target: crate::log::target::TIER,
                    "re-form {:#x} {} with its hot exit to {:#x}: {}",
                    region.pc(),
                    self.describe(region.pc()),
                    req.record.pc(),
                    if out == Outcome::Compiled { "done" } else { "the block is not on its hot cycles" },
                );
                if out == Outcome::Compiled {
                    region.reforms.fetch_add(1, Ordering::Relaxed);
                    Counters::add(&counters.regions_reformed, 1);
                    Outcome::Compiled
                } else {
                    // The block is not on the region's hot cycles: it gets
                    // its own.
                    self.compile(compiler, who, &req.record, Kind::Hot, None)?
                }
            }
            None if req.ask.quick() => self.compile(compiler, who, &req.record, Kind::Quick, None)?,
            None if self.covered_since(req.record.pc(), req.queued_at) => {
                // While it waited, the hot loop around its block got its
                // region from another block's request (the blocks of a
                // loop turn hot together, and a big region takes a
                // worker tens of milliseconds): compiling its own would
                // make the same loop again. If its code stays hot on its
                // own (entered from outside that region), it asks again.
                Counters::add(&counters.compile_covered_dropped, 1);
                Outcome::Missed
            }
            None => self.compile(compiler, who, &req.record, Kind::Hot, None)?,
        };
        Ok(out)
    }

    /// Compiles the translation of `r` (as hot code, optimized and with the
    /// hot loop around it, if `hot`), installs it (evicting as the policy
    /// says to make room) and publishes it. With `must_hold`, gives up
    /// before compiling if the region would not hold that pc. Without a
    /// compiled translation afterwards (and none kept), `r` gets an
    /// interpreter block.
    pub(crate) fn compile(
        &self,
        compiler: &mut Compiler,
        who: &VcpuShared,
        r: &Arc<Record>,
        kind: Kind,
        must_hold: Option<u64>,
    ) -> Result<Outcome, LiftError> {
        let hot = kind == Kind::Hot;
        let counters = &who.counters;
        let Some(store) = &self.store else { return Ok(Outcome::Failed { kept: false }) };
        let started = Instant::now();
        let pc = r.pc();
        let changes = self.table.code_changes.load(Ordering::Acquire);
        if kind == Kind::Baseline {
            r.state().interpreted_first = false;
        }
        // Lifting reads guest memory: take part in `synchronize`, so that
        // no page is unmapped under the read.
        let region = {
            let _reading = self.reading(who);
            // Mark the pages first, so a write racing with the read is noticed.
            self.mem.mark_code(pc);
            let block = self.translate_ir_with(
                pc,
                self.config.max_block_insns.max(1),
                kind != Kind::Baseline || self.config.optimize_cold,
            )?;
            let mut pages = self.pages_of(block.start, block.end);
            let mut region = vec![block];
            let mut jumps = Vec::new();
            // Code compiled on its first run that will be recompiled when
            // hot gets its loop region then; until then a single block is
            // cheaper to compile (growing lifts successors).
            let tier_up = matches!(self.mode, EngineMode::Jit { tier_up: Some(_) });
            if (hot || (kind == Kind::FirstRun && !tier_up)) && store.options().chaining {
                jumps = self.grow_region(&mut region, &mut pages, hot, r);
            }
            pages.sort_unstable();
            pages.dedup();
            (region, pages, jumps)
        };
        let (region, pages, jumps) = region;
        if let Some(want) = must_hold
            && !region.iter().any(|b| b.start == want)
        {
            return Ok(Outcome::Missed);
        }
        // A translation whose stores wrote translated code checks them.
        let flavor = Flavor { checked: r.checked_memory.load(Ordering::Relaxed), ..self.flavor(kind) };
        // The cost model learns from Cranelift's compiles; baseline code's
        // block has its features taken when its region is weighed
        // ([`Vm::features`]: most never are).
        let features = (kind != Kind::Baseline).then(|| Features::of(&region));
        // First-tier code of a single block: the baseline compiler's if
        // it takes the block, else Cranelift's.
        let first_tier = match kind {
            Kind::Baseline => true,
            Kind::FirstRun => {
                self.config.first_tier == FirstTier::Baseline && region.len() == 1 && flavor.hot_at.is_some()
            }
            Kind::Quick | Kind::Hot => false,
        };
        let mut baseline = false;
        let compiled = match first_tier
            .then(|| store.compile_baseline(compiler, &region[0], flavor, &mut TableLinker(&self.table, &jumps)))
        {
            Some(Err(JitError::Unsupported(why))) => {
                Counters::add(&counters.baseline_fallbacks, 1);
                tracing::info!(target: crate::log::target::TIER, "baseline {pc:#x}: {why}; Cranelift instead");
                if kind == Kind::Baseline {
                    return Ok(Outcome::Unsupported);
                }
                store.compile(compiler, &region, flavor, &mut TableLinker(&self.table, &jumps))
            }
            Some(done) => {
                baseline = done.is_ok();
                done
            }
            None => store.compile(compiler, &region, flavor, &mut TableLinker(&self.table, &jumps)),
        };
        let installed = compiled.and_then(|mut f| {
            // Make room as the eviction policy says, so the function is
            // compiled once however many evictions it takes.
            let code = loop {
                match store.install(&mut f) {
                    Err(JitError::CacheFull { .. }) => {
                        if !self.evict_one(counters, r.pc()) {
                            return Err(JitError::CacheFull { len: f.code_bytes() });
                        }
                    }
                    other => break other?,
                }
            };
            Ok((f, code))
        });
        // One clock read for what follows (each is a `clock_gettime`; a
        // cold block's compile read the clock six times).
        let installed_at = Instant::now();
        let (mut f, code) = match installed {
            Ok(done) => done,
            Err(e) => {
                let kept = r.cell.code.load(Ordering::Relaxed) != store.stub();
                match e {
                    JitError::Injected => Counters::add(&counters.jit_injected_failures, 1),
                    JitError::CacheFull { .. } => Counters::add(&counters.jit_cache_full, 1),
                    e => {
                        tracing::info!(target: crate::log::target::TIER, "compile {pc:#x} failed: {e}");
                        Counters::add(&counters.jit_errors, 1);
                        let runs = if kept { "keeps running unoptimized" } else { "runs in the interpreter" };
                        warn(&format!("block at {pc:#x} {runs}: {e}"));
                    }
                }
                if !kept && r.state().block.is_none() {
                    let _reading = self.reading(who);
                    self.translate(r, counters)?;
                }
                return Ok(Outcome::Failed { kept });
            }
        };
        let compile_time = f.compile_time();
        if f.checked_fallback() {
            Counters::add(&counters.checked_fallbacks, 1);
        }
        if baseline {
            // The whole cost of a baseline compile, lifting to install: what
            // the evaluation weighs against a block's saving.
            self.lock_model().observe_baseline_compile((installed_at - started).as_nanos() as u64);
        } else if let Some(features) = &features {
            // The model predicts Cranelift's compiles (what tiering weighs).
            self.lock_model().observe_compile(features, compile_time.as_secs_f64() * 1e6);
            if kind == Kind::Hot {
                self.observe_region_compile(compile_time);
            }
        }
        // Publish, unless the code changed while it was compiled.
        let mut index = self.table.lock_pages();
        if !index.unchanged_since(&pages, changes) {
            drop(index);
            self.retire(store, code);
            Counters::add(&counters.jit_stale_compiles, 1);
            return Ok(Outcome::Stale);
        }
        index.add(pc, &pages);
        let insns: u32 = region.iter().map(|b| b.insn_count() as u32).sum();
        let bytes = code.len();
        let entries = f.take_entries();
        let old = {
            let mut st = r.state();
            store.link(&r.cell, &code);
            Counters::add(&counters.chain_links, 1);
            r.native_insns.store(insns, Ordering::Relaxed);
            if kind == Kind::Baseline {
                // Its interpreter block's, if any, are not its code's.
                st.features = None;
            }
            st.set_heads(entries.into_boxed_slice());
            // Records that entered the old code inside follow it if they can.
            self.unlink_aliases(pc, &mut st, Some(&code));
            // If it led into another region, that region's list forgets it
            // when it next looks (the alias no longer names it).
            st.set_alias(None);
            st.native.replace(code)
        };
        drop(index);
        let tick = self.tick.load(Ordering::Relaxed);
        r.used.store(tick, Ordering::Relaxed);
        let benefit = self.benefit_at(r, self.clock.window_at(installed_at));
        {
            let mut policy = self.lock_policy();
            if old.is_some() {
                policy.remove(pc);
            }
            policy.insert(pc, bytes, benefit, u64::from(tick));
        }
        if let Some(old) = old {
            self.retire(store, old);
        } else {
            self.lock_compiled().push(Arc::clone(r));
        }
        r.optimized.store(flavor.optimize, Ordering::Relaxed);
        if kind == Kind::Hot {
            let now = Instant::now();
            let mut covered = self.covered.lock().unwrap_or_else(PoisonError::into_inner);
            for b in region.iter().filter(|b| b.start != pc) {
                covered.insert(b.start, (pc, now));
            }
        }
        if flavor.optimize {
            self.exits.lock().unwrap_or_else(PoisonError::into_inner).published(pc, &region);
        }
        tracing::info!(
            target: crate::log::target::TIER,
            "compiled {pc:#x} {}: {} block(s), {insns} insns, {bytes} bytes, {:?}, {} ({})",
            self.describe(pc),
            region.len(),
            compile_time,
            if baseline {
                "baseline"
            } else if flavor.optimize {
                "optimized"
            } else {
                "unoptimized"
            },
            match kind {
                Kind::Hot => "hot",
                Kind::FirstRun => "first run",
                Kind::Quick => "quick first tier",
                Kind::Baseline => "baseline first tier",
            }
        );
        self.note_code_bytes();
        if baseline {
            Counters::add(&counters.baseline_compiles, 1);
            Counters::add_time(&counters.baseline_compile_time, compile_time);
            Counters::max(&counters.baseline_compile_max, compile_time);
            Counters::add(&counters.baseline_code_bytes, f.code_bytes() as u64);
        } else {
            self.log_compile(compile_time);
        }
        let blocks = region.len() as u64;
        let insns = u64::from(insns);
        Counters::add(&counters.blocks_compiled, blocks);
        Counters::add(&counters.insns_compiled, insns);
        Counters::add(&counters.code_bytes, f.code_bytes() as u64);
        Counters::add_time(&counters.compile_time, compile_time);
        Counters::add(&counters.blocks_translated, blocks);
        Counters::add(&counters.insns_translated, insns);
        Counters::add_time(&counters.translate_time, installed_at - started);
        if kind == Kind::Quick {
            Counters::add(&counters.quick_compiles, 1);
        }
        if flavor.optimize {
            Counters::add(&counters.hot_regions, 1);
            Counters::add(&counters.hot_blocks, blocks);
            Counters::add(&counters.hot_insns, insns);
            Counters::add_time(&counters.hot_compile_time, compile_time);
        }
        Ok(Outcome::Compiled)
    }

    /// The expected saving of `r`'s compiled code per maintenance tick (ns),
    /// from its score as of decay window `window`: what the `value`
    /// eviction policy weighs.
    fn benefit_at(&self, r: &Record, window: u32) -> f64 {
        let cfg = &self.config.hotspot;
        let count = r.score.at(cfg, window);
        let insns = r.native_insns.load(Ordering::Relaxed);
        let (interp, native) = self.rates();
        cfg.saving_per_window(count, insns, interp, native)
    }

    /// Whether the compiled code entered at `pc` ran in maintenance tick
    /// `tick` or the one before (the hot/cold split: evicted last).
    fn recently_used(&self, pc: u64, tick: u32) -> bool {
        self.table.get(pc).is_some_and(|r| r.used.load(Ordering::Relaxed).saturating_add(1) >= tick)
    }

    /// Evicts one translation as the policy says (not `keep`, which is
    /// being compiled); whether one was.
    pub(crate) fn evict_one(&self, counters: &Counters, keep: u64) -> bool {
        let tick = self.tick.load(Ordering::Relaxed);
        let protected = |pc: u64| pc == keep || self.recently_used(pc, tick);
        let victim = self.lock_policy().victim(u64::from(tick), &protected);
        match victim {
            Some(pc) => {
                self.evict(pc, counters);
                true
            }
            None => false,
        }
    }

    /// Evicts the coldest translation if it is not protected (recently
    /// used); whether one was.
    pub(crate) fn evict_cold(&self, counters: &Counters) -> bool {
        let tick = self.tick.load(Ordering::Relaxed);
        let protected = |pc: u64| self.recently_used(pc, tick);
        let mut policy = self.lock_policy();
        let Some(pc) = policy.victim(u64::from(tick), &protected) else { return false };
        if protected(pc) {
            // Everything left is hot: keep it (the policy learns it again).
            if let Some(r) = self.table.get(pc) {
                let bytes = r.state().native.as_ref().map_or(0, ferrovm_jit::NativeCode::len);
                policy.insert(pc, bytes, 0.0, u64::from(tick));
            }
            return false;
        }
        drop(policy);
        self.evict(pc, counters);
        true
    }

    /// Evicts the compiled code entered at `pc` to make room. It runs in
    /// the interpreter again, weighed at its next run: if it is still hot,
    /// it is recompiled in the background.
    fn evict(&self, pc: u64, counters: &Counters) {
        let Some(store) = &self.store else { return };
        let Some(r) = self.table.get(pc) else { return };
        let code = {
            let mut st = r.state();
            let Some(code) = st.native.take() else { return };
            self.unlink_aliases(pc, &mut st, None);
            st.set_heads(Box::default());
            code
        };
        tracing::info!(
            target: crate::log::target::CACHE,
            "evict: {pc:#x} {} ({} bytes, policy {})",
            self.describe(pc),
            code.len(),
            self.lock_policy().name()
        );
        store.unlink(&r.cell);
        self.retire(store, code);
        r.optimized.store(false, Ordering::Relaxed);
        r.evictions.fetch_add(1, Ordering::Relaxed);
        r.next_eval.store(1, Ordering::Relaxed);
        Counters::add(&counters.jit_evictions, 1);
    }
}

/// Most blocks [`Vm::grow_region`] looks at to find the cycles.
const MAX_EXPLORED: usize = 128;

/// What a block with no first-tier code counts per IR op against
/// [`HotspotConfig::max_region_code`](crate::HotspotConfig::max_region_code)
/// (baseline code takes 20 to 60 bytes per op), and per vector register
/// of a vector op's register group (`vector`'s loops: about 6 KB of
/// optimized code for 3 vector ops at LMUL 8).
pub(crate) const IR_OP_BYTES: usize = 32;
const VECTOR_REG_BYTES: usize = 256;

/// The code [`IR_OP_BYTES`] and [`VECTOR_REG_BYTES`] estimate for
/// `block`, its vector ops at the LMUL of `vtype` (4 when it is not
/// known: `VILL`).
fn ir_bytes(block: &ferrovm_ir::Block, vtype: u64) -> usize {
    let lmul = match vtype {
        v if v & ferrovm_ir::vector::VILL != 0 => 4,
        v if v & 7 < 4 => 1 << (v & 7),
        _ => 1,
    };
    block
        .ops
        .iter()
        .map(|op| if matches!(op, ferrovm_ir::Op::Vector { .. }) { VECTOR_REG_BYTES * lmul } else { IR_OP_BYTES })
        .sum()
}

/// How far from an indirect jump its guessed targets lie at most
/// ([`Vm::indirect_targets`]).
const INDIRECT_WINDOW: u64 = 16 << 10;

/// How many hot blocks near an indirect jump [`Vm::indirect_targets`]
/// looks up in the symbols at most.
const MAX_INDIRECT_LOOKUPS: usize = 256;

/// Whether `block` ends in an indirect jump that is neither a call nor a
/// return.
fn is_plain_indirect(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::JumpIndirect { hint: ferrovm_ir::IndirectHint::None, .. })
}

/// Whether `block` ends in an indirect call (`jalr` linking `ra` or `t0`).
fn is_indirect_call(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::JumpIndirect { hint: ferrovm_ir::IndirectHint::Call, .. })
}

/// Whether `block` ends in a call (`jal` linking `ra`): a region grows into
/// the callee only through its hot blocks, and keeps them only if a return
/// among them leads back into the loop.
fn is_call(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::Jump { .. })
        && block.ops.iter().any(|op| matches!(op, ferrovm_ir::Op::SetReg { reg, .. } if *reg == ferrovm_ir::Reg::x(1)))
}

/// A block [`Vm::grow_region`] may add.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    pc: u64,
    heat: u32,
    /// A successor of the entry block.
    of_entry: bool,
    /// Reached through a call from the loop's own blocks.
    in_callee: bool,
    /// Its heat is its counted runs, not that of code compiled as hot.
    counted: bool,
}

/// Whether `block` ends in a return (`ret`).
fn is_return(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::JumpIndirect { hint: ferrovm_ir::IndirectHint::Return, .. })
}

/// Guest pc → the entries of the optimized regions whose code exits to
/// it: a block there that turns hot re-forms such a region
/// ([`Vm::region_exiting_to`]).
#[derive(Debug, Default)]
pub(crate) struct RegionExits(std::collections::HashMap<u64, Vec<u64>>);

impl RegionExits {
    /// The optimized region entered at `pc`, made of `region`, was
    /// published (first, or re-formed): its direct successors outside it
    /// are its exits, and what it holds is none (a stale entry would
    /// re-form it again and again for a block it already holds: up to
    /// `MAX_REFORMS` identical compiles of a recursive quicksort).
    pub(crate) fn published(&mut self, pc: u64, region: &[ferrovm_ir::Block]) {
        for b in region {
            if let Some(e) = self.0.get_mut(&b.start) {
                e.retain(|&x| x != pc);
                if e.is_empty() {
                    self.0.remove(&b.start);
                }
            }
        }
        for b in region {
            for t in successors(b).into_iter().flatten() {
                if !region.iter().any(|x| x.start == t) {
                    let e = self.0.entry(t).or_default();
                    if !e.contains(&pc) {
                        e.push(pc);
                    }
                }
            }
        }
    }

    /// The entries of the regions that exit to `pc`.
    pub(crate) fn to(&self, pc: u64) -> &[u64] {
        self.0.get(&pc).map_or(&[], Vec::as_slice)
    }
}

/// Direct successors of `block`.
fn successors(block: &ferrovm_ir::Block) -> [Option<u64>; 2] {
    match block.term {
        Terminator::Jump { target } => [Some(target), None],
        Terminator::Branch { taken, fallthrough, .. } => [Some(taken), Some(fallthrough)],
        _ => [None, None],
    }
}

impl Vm {
    /// The bytes of first-tier code (baseline, quick or first-run) the
    /// record of `block` holds; its IR's size when there is no record, no
    /// code, or only an optimized region's code.
    fn first_tier_bytes(&self, block: &ferrovm_ir::Block) -> usize {
        let Some(r) = self.table.get(block.start) else { return ir_bytes(block, ferrovm_ir::vector::VILL) };
        let estimate = ir_bytes(block, r.vtype.load(Ordering::Relaxed));
        if r.optimized.load(Ordering::Relaxed) {
            return estimate;
        }
        r.state().native.as_ref().map_or(estimate, |code| code.len())
    }

    /// How hot the block at `pc` looks for growing a hot region: `hot` if
    /// it was compiled as hot code (under tiered: compiled at all), else
    /// its runs: under tiered its score as of window `now` plus the runs
    /// not folded in yet, under jit the runs of its first translation.
    /// With whether it is counted runs (hot code counts none).
    fn heat(&self, pc: u64, hot: u32, now: u32) -> (u32, bool) {
        match self.table.get(pc) {
            Some(r) => self.heat_of(&r, hot, now),
            None => (0, true),
        }
    }

    /// [`Vm::heat`] of record `r`.
    fn heat_of(&self, r: &Record, hot: u32, now: u32) -> (u32, bool) {
        let Some(store) = &self.store else { return (0, true) };
        let linked = r.cell.code.load(Ordering::Relaxed) != store.stub();
        // Hot code; first-run and quick code count their runs.
        let compiled = linked && r.optimized.load(Ordering::Relaxed);
        let runs = r.runs.load(Ordering::Relaxed);
        if compiled {
            (hot, false)
        } else if matches!(self.mode, EngineMode::Tiered) {
            ((r.score.at(&self.config.hotspot, now) as u32).saturating_add(runs), true)
        } else {
            (runs, true)
        }
    }

    /// The hot blocks an indirect jump (not a call or a return) in the
    /// block at `pc` may go to, for [`Vm::grow_region`]: translated blocks
    /// at least `warm`, within [`INDIRECT_WINDOW`] bytes of it and in the
    /// same guest function (when there are symbols), hottest first, at
    /// most [`HotspotConfig::max_indirect_targets`](crate::HotspotConfig::max_indirect_targets)
    /// (none if there are more): a `switch`'s cases, a small
    /// interpreter's handlers. A guess: compiled code compares the target
    /// with the region's blocks among them (`Tr::jump_inside` in
    /// `ferrovm_jit`) and leaves when it is none of them.
    fn indirect_targets(&self, pc: u64, hot: u32, warm: u32, now: u32) -> Vec<u64> {
        let max = self.config.hotspot.max_indirect_targets;
        if max == 0 {
            return Vec::new();
        }
        let function = |at: u64| self.symbols().and_then(|s| s.lookup(at)).map(|(name, off)| (name, at - off));
        let home = function(pc);
        // The translations on the pages around it (the page index lists
        // them: no walk over every record of a big program).
        let around =
            self.table.lock_pages().pcs_in(pc.saturating_sub(INDIRECT_WINDOW), pc.saturating_add(INDIRECT_WINDOW));
        let mut near: Vec<(u32, u64)> = around
            .into_iter()
            .filter_map(|at| self.table.get(at))
            .map(|r| (self.heat_of(&r, hot, now).0, r.pc()))
            .filter(|&(heat, _)| heat >= warm)
            .collect();
        // Hottest first; then the same function (a symbol lookup each).
        near.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut targets: Vec<u64> = near
            .into_iter()
            .map(|(_, at)| at)
            .take(MAX_INDIRECT_LOOKUPS)
            .filter(|&at| home.is_none() || function(at) == home)
            .take(max + 1)
            .collect();
        if targets.len() > max {
            // More hot targets than that: an interpreter's big loop
            // (Python's eval loop has hundreds), whose region would be
            // slow to compile and whose handlers do enough work each for
            // the exit not to matter much.
            targets.clear();
        }
        targets
    }

    /// Where the indirect call ending the block at `pc` most likely goes,
    /// for [`Vm::grow_region`]: where it went last through its compiled
    /// code's inline cache (a `qsort` callback, a virtual call: most call
    /// sites have one target). A guess, as [`Vm::indirect_targets`]'s;
    /// none with [`HotspotConfig::max_indirect_targets`](crate::HotspotConfig::max_indirect_targets)
    /// 0.
    fn call_target(&self, pc: u64) -> Option<u64> {
        if self.config.hotspot.max_indirect_targets == 0 {
            return None;
        }
        self.table.get(pc)?.state().native.as_ref()?.ic_target()
    }

    /// A [`Candidate`] at `pc` for [`Vm::grow_region`].
    fn candidate(&self, pc: u64, hot: u32, now: u32, of_entry: bool, in_callee: bool) -> Candidate {
        let (heat, counted) = self.heat(pc, hot, now);
        Candidate { pc, heat, of_entry, in_callee, counted }
    }

    /// Grows `region` (holding the entry block) into the loop around it:
    /// explores successors depth first, hottest first (those hot
    /// themselves: compiled already, or run 1/32 of the hot threshold;
    /// through a call, a quarter of it and at most
    /// [`HotspotConfig::max_callee_blocks`](crate::HotspotConfig::max_callee_blocks)
    /// blocks, and then
    /// [`HotspotConfig::steady_callee_blocks`](crate::HotspotConfig::steady_callee_blocks)
    /// more that run about as often as the entry), then keeps the explored blocks from which the entry can be
    /// reached again — the blocks of the hot cycles through it. A `ret`
    /// counts as leading to where the calls found so far return, so a hot
    /// callee (or a recursive call) joins the loop; compiled code checks
    /// the return address and jumps there inside the region. Code compiled
    /// on its first run (`hot` false: nothing has run yet) takes only
    /// successors of the entry that branch straight back to it. Edges
    /// between the region's blocks stay inside one compiled function, guest
    /// registers in host registers; blocks off the cycles stay out, so they
    /// add no register pressure to the loop. An indirect jump that is not
    /// a call or a return leads to its guessed targets
    /// ([`Vm::indirect_targets`]); those the region holds are returned, by
    /// the jumping block's pc, for the [`Linker`]. Code pages of added
    /// blocks are marked and added to `pages`.
    fn grow_region(
        &self,
        region: &mut Vec<ferrovm_ir::Block>,
        pages: &mut Vec<u64>,
        hot: bool,
        r: &Record,
    ) -> Vec<(u64, Vec<u64>)> {
        let Some(entry) = region.first() else { return Vec::new() };
        let head = entry.start;
        let now = self.clock.window();
        // Under tiered, hot relative to the entry's own score.
        let hot_runs = match self.mode {
            EngineMode::Tiered => {
                (r.score.at(&self.config.hotspot, now) as u32).max(self.config.hotspot.min_runs.get())
            }
            _ => self.hot_runs(),
        };
        let (warm, callee_hot) =
            if hot { ((hot_runs / 32).max(1), (hot_runs / 4).max(1)) } else { (u32::MAX, u32::MAX) };
        let mut stack: Vec<Candidate> = Vec::new();
        // The guessed targets of the hot indirect jumps found, by block.
        let mut jumps: Vec<(u64, Vec<u64>)> = Vec::new();
        let mut push = |engine: &Vm, stack: &mut Vec<Candidate>, block: &ferrovm_ir::Block, from: Candidate| {
            let call = is_call(block) || is_indirect_call(block);
            let targets = if hot && is_plain_indirect(block) {
                engine.indirect_targets(block.start, hot_runs, warm, now)
            } else if hot && is_indirect_call(block) {
                engine.call_target(block.start).into_iter().collect()
            } else {
                Vec::new()
            };
            if !targets.is_empty() {
                jumps.push((block.start, targets.clone()));
            }
            let mut succ: Vec<Candidate> = successors(block)
                .into_iter()
                .flatten()
                .chain(targets)
                .map(|pc| engine.candidate(pc, hot_runs, now, from.of_entry, from.in_callee || call))
                .collect();
            // Popped hottest first.
            succ.sort_by_key(|c| c.heat);
            stack.extend(succ);
        };
        let start = Candidate { pc: head, heat: 0, of_entry: true, in_callee: false, counted: true };
        push(self, &mut stack, entry, start);
        // Where the calls among the blocks found so far return to (and
        // whether that is inside a callee): a return found later may come
        // back there (inside the region when the callee's blocks are hot
        // too; compiled code checks the address).
        let mut continuations: Vec<(u64, bool)> =
            if is_call(entry) || is_indirect_call(entry) { vec![(entry.end, false)] } else { Vec::new() };
        let mut explored: Vec<ferrovm_ir::Block> = Vec::new();
        let mut callee_blocks = 0;
        let max_callee = self.config.hotspot.max_callee_blocks;
        let (mut steady_blocks, max_steady) = (0, self.config.hotspot.steady_callee_blocks);
        while let Some(c) = stack.pop() {
            if explored.len() >= MAX_EXPLORED {
                break;
            }
            if c.pc == head || explored.iter().any(|b| b.start == c.pc) {
                continue;
            }
            // Callees join only with their hot blocks, and only so many:
            // a big library function would make the region slow to compile
            // and mostly cold. Past that, with `max_steady`, blocks that
            // run about as often as the entry, on every pass through the
            // loop (code compiled as hot counts no runs: not those).
            let steady = c.in_callee && c.counted && c.heat >= hot_runs / 2 && c.heat <= hot_runs.saturating_mul(2);
            let hot = if c.in_callee {
                c.heat >= callee_hot && (callee_blocks < max_callee || steady && steady_blocks < max_steady)
            } else {
                c.heat >= warm
            };
            if !hot && !c.of_entry {
                continue;
            }
            self.mem.mark_code(c.pc);
            let Ok(succ) = self.translate_ir(c.pc, self.config.max_block_insns.max(1)) else { continue };
            if !hot && !successors(&succ).contains(&Some(head)) {
                continue;
            }
            if hot {
                let from = Candidate { of_entry: false, ..c };
                push(self, &mut stack, &succ, from);
                if is_call(&succ) || is_indirect_call(&succ) {
                    continuations.push((succ.end, c.in_callee));
                    // A return found already may come back here too (a
                    // recursive function's second call site, found after
                    // the callee's return: quicksort's return point got
                    // a region of its own, most of the function again).
                    if explored.iter().any(is_return) {
                        stack.push(self.candidate(succ.end, hot_runs, now, false, c.in_callee));
                    }
                }
                if is_return(&succ) {
                    let back: Vec<Candidate> = continuations
                        .iter()
                        .map(|&(pc, in_callee)| self.candidate(pc, hot_runs, now, false, in_callee))
                        .collect();
                    stack.extend(back);
                }
            }
            if c.in_callee && callee_blocks < max_callee {
                callee_blocks += 1;
            } else if c.in_callee {
                steady_blocks += 1;
            }
            explored.push(succ);
        }
        // Keep the blocks that lead back to the entry.
        let mut keep = vec![false; explored.len()];
        loop {
            let mut changed = false;
            for i in 0..explored.len() {
                if keep[i] {
                    continue;
                }
                let returns: &[(u64, bool)] = if is_return(&explored[i]) { &continuations } else { &[] };
                let targets = jumps.iter().find(|(pc, _)| *pc == explored[i].start).map_or(&[][..], |(_, t)| &t[..]);
                let back = successors(&explored[i])
                    .into_iter()
                    .flatten()
                    .chain(returns.iter().map(|&(pc, _)| pc))
                    .chain(targets.iter().copied())
                    .any(|t| t == head || explored.iter().position(|b| b.start == t).is_some_and(|j| keep[j]));
                if back {
                    keep[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut code = self.first_tier_bytes(&region[0]);
        for (succ, _) in explored.into_iter().zip(keep).filter(|(_, k)| *k) {
            if region.len() >= self.config.hotspot.max_region_blocks.get() {
                break;
            }
            code += self.first_tier_bytes(&succ);
            if code > self.config.hotspot.max_region_code {
                break;
            }
            pages.extend(self.pages_of(succ.start, succ.end));
            region.push(succ);
        }
        // The guesses for the region's indirect jumps, of its blocks.
        jumps.retain(|(pc, _)| region.iter().any(|b| b.start == *pc));
        for (_, targets) in &mut jumps {
            targets.retain(|t| region.iter().any(|b| b.start == *t));
        }
        jumps.retain(|(_, targets)| !targets.is_empty());
        jumps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block at `start` with a two-byte body ending in `term`.
    fn block(start: u64, term: Terminator) -> ferrovm_ir::Block {
        ferrovm_ir::Block { start, end: start + 2, ops: Vec::new(), term, num_temps: 0 }
    }

    /// A loop's baseline code reaching its count after the loop's
    /// optimized region came (on another vCPU: the loop started in the
    /// baseline code before) asks for no second compile of that region.
    #[test]
    fn baseline_code_running_on_after_its_region_came_asks_for_no_compile() {
        use std::num::NonZeroU32;

        use ferrovm_ir::Cpu;
        use ferrovm_mem::{AddressSpace, Perms};

        use crate::config::{CompileThreads, EngineConfig, FirstTier, HotspotConfig};
        use crate::{Exit, Vm};

        let mem = Arc::new(AddressSpace::new().expect("address space"));
        mem.map(0x10000, 0x1000, Perms::RWX).expect("map");
        let code: Vec<u8> = [
            0x0000_c4b7_u32, // lui s1, 12
            0x0014_8513,     // loop: addi a0, s1, 1
            0xfff4_8493,     // addi s1, s1, -1
            0xfe04_9ce3,     // bnez s1, loop
            0x0000_0073,     // ecall
        ]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
        mem.write_bytes(0x10000, &code).expect("write");
        let hotspot = HotspotConfig { min_runs: NonZeroU32::new(10).unwrap(), ratio: 0.0, ..HotspotConfig::default() };
        let config = EngineConfig {
            mode: EngineMode::Tiered,
            hotspot,
            compile_threads: CompileThreads::Guest,
            first_tier: FirstTier::Baseline,
            ..EngineConfig::default()
        };
        let vm = Vm::new(mem, config);
        let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
        assert_eq!(vcpu.run(), Exit::Ecall);
        let record = vm.table.get(0x10004).expect("the loop's record");
        assert!(record.optimized.load(Ordering::Acquire), "the loop got its optimized region");
        let before = vcpu.shared.counters.get();
        vcpu.reweigh(&record);
        let after = vcpu.shared.counters.get();
        assert_eq!(after.evaluations, before.evaluations + 1, "weighed");
        assert_eq!(after.compile_requests, before.compile_requests, "no second compile asked for");
    }

    #[test]
    fn a_region_re_formed_with_its_exit_no_longer_exits_there() {
        let mut exits = RegionExits::default();
        // A loop 0x100 -> 0x110 -> 0x100 whose 0x110 may leave to 0x120.
        let lp = |at| block(at, Terminator::Jump { target: 0x100 });
        let branch = block(0x110, Terminator::Branch { cond: ferrovm_ir::Temp(0), taken: 0x100, fallthrough: 0x120 });
        exits.published(0x100, &[block(0x100, Terminator::Jump { target: 0x110 }), branch.clone()]);
        assert_eq!(exits.to(0x120), &[0x100]);
        assert!(exits.to(0x110).is_empty(), "a block of the region is no exit of it");
        // 0x120 turned hot: the region is re-formed with it; it exits
        // there no more (it did, before: and was re-formed over again).
        exits.published(0x100, &[block(0x100, Terminator::Jump { target: 0x110 }), branch, lp(0x120)]);
        assert!(exits.to(0x120).is_empty());
        // Another region's exit to the same block stays.
        exits.published(0x200, &[block(0x200, Terminator::Jump { target: 0x120 })]);
        exits.published(0x100, &[block(0x100, Terminator::Jump { target: 0x110 }), lp(0x120)]);
        assert_eq!(exits.to(0x120), &[0x200]);
    }
}
