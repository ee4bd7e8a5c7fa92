//! Hotspot detection: which translations are worth compiling, from
//! per-translation scores that decay over time.
//!
//! Every translation counts its interpreter runs (a plain counter on the
//! fast path). Every so often — after [`HotspotConfig::min_runs`] runs, then
//! after as many as the last evaluation said were missing — the counter is
//! folded into the translation's **score**: an exponentially decaying run
//! count (an EWMA over time windows of [`HotspotConfig::window`], each
//! keeping [`HotspotConfig::decay`] of the last). From the score follow the
//! recent run rate and the runs to expect from now on (the rate over the
//! time the program has run so far, capped at
//! [`HotspotConfig::horizon`]: code that has run for long is likely to run
//! as long again). Weighted by the block's size and the measured time an
//! interpreted instruction takes against a compiled one, that is the time
//! compiling would save; the cost model predicts what compiling costs, and
//! the translation is compiled when the saving exceeds the cost times the
//! **threshold ratio**. The ratio adapts (`Threshold`): it rises while
//! the compile queue is long or compiling takes more than its share of
//! time, and falls while the workers are idle: to
//! [`HotspotConfig::min_ratio`], and below it, to
//! [`HotspotConfig::idle_min_ratio`], once they have been idle for
//! [`IDLE_PERIODS`] maintenance periods in a row.

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Knobs of the hotspot detector (each has a `ferrovm run` flag).
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotConfig {
    /// Interpreter runs before a translation is first weighed
    /// (`--hot-threshold`).
    pub min_runs: NonZeroU32,
    /// Saving / cost a translation must reach to be compiled, at the start
    /// (`--hot-ratio`).
    pub ratio: f64,
    /// Whether the ratio adapts to the compile load (`--hot-adaptive`).
    pub adaptive: bool,
    /// Bounds of the adapted ratio (`--hot-ratio-min`, `--hot-ratio-max`).
    /// The ratio falls no lower than 1 by default while the workers have
    /// compiled lately: a compile on an idle worker still takes a core's
    /// time (counted in the process's CPU time, and taken from other
    /// processes on a loaded host), so it must at least pay for itself. At
    /// 0.25, Python's start-up compiled 190 regions that cost more than they
    /// saved (benches/results/2026-12-03-cold-baseline.md).
    pub min_ratio: f64,
    /// Lowest the ratio falls once the workers have been idle for ten
    /// maintenance periods in a row (a tenth of a second or more)
    /// (`--hot-ratio-idle-min`; `min_ratio` if that is lower). A program
    /// that has stopped making new hot code for that long runs its hot
    /// loops for long, and there a few more compiles pay back what the
    /// estimate misses (the chained exits between a region and the small
    /// blocks it calls or returns to: `lz77` 1.83 s at 1, 1.56 s at 0.25).
    /// 1 by default, as `min_ratio`: at 0.25 Python's imports took more
    /// CPU time (benches/results/2026-12-03-cold-runs.md).
    pub idle_min_ratio: f64,
    /// See `min_ratio`.
    pub max_ratio: f64,
    /// Length of a decay window (`--hot-window-ms`).
    pub window: Duration,
    /// Fraction of a score kept from one window to the next
    /// (`--hot-decay`, in `(0, 1)`).
    pub decay: f64,
    /// Longest future to count on (`--hot-horizon-ms`).
    pub horizon: Duration,
    /// Exponent of a block's instruction count in its saving per run
    /// (`--hot-size-weight`; 1: proportional to size).
    pub size_weight: f64,
    /// Weight of the measured interpreter and compiled-code speeds against
    /// the cost model's priors (`--hot-time-weight`, `0..=1`).
    pub time_weight: f64,
    /// Share of wall time each compile worker may spend compiling before
    /// the ratio rises (`--compile-budget`, `0..=1`).
    pub compile_budget: f64,
    /// Most blocks a hot region grows to, its entry included
    /// (`--max-region-blocks`). A loop with many paths (a tokenizer's state
    /// machine) needs dozens, and each region that holds only part of it
    /// costs its own compile and a chained exit per iteration; but
    /// Cranelift's optimizer costs more than linearly in a function's size.
    pub max_region_blocks: NonZeroUsize,
    /// Most bytes of code a hot region's blocks hold in their first tier
    /// (the baseline or quick code each has; estimated from the IR of a
    /// block that has none, or whose code is an optimized region's, vector
    /// ops by their register groups: see `native::ir_bytes`), its entry
    /// always included (`--max-region-code`). Cranelift's scratch
    /// memory grows with the function it compiles, about 160 bytes per byte
    /// of code made: `vector`'s region of 19 blocks made 62 KB of code in
    /// 42 ms and took the process's resident set from 12 to 19 MB, above
    /// `qemu-riscv64`'s 15 MB. Integer regions of many blocks can reach
    /// it too: `mixed`'s largest (64 blocks in some runs) stops at about
    /// 26, with no change in its time measured (alternating runs).
    pub max_region_code: usize,
    /// Most blocks of called functions a hot region takes in, among its
    /// [`max_region_blocks`](Self::max_region_blocks)
    /// (`--max-callee-blocks`): a big library function would make the
    /// region slow to compile. They are taken depth first, hottest first,
    /// so when a loop's callees have more hot blocks, which are left out is
    /// a matter of order.
    pub max_callee_blocks: usize,
    /// Blocks of called functions a hot region takes in past
    /// [`max_callee_blocks`](Self::max_callee_blocks) when they run about
    /// as often as the region's entry (half to twice its score), on every
    /// pass through the loop (`--steady-callee-blocks`). A loop cut short
    /// of one exits its region on every pass, or, when the cut block is a
    /// callee's return, loses its cycle: `locks`' mutex loop is one path of
    /// 22 blocks, 18 of them in `pthread_mutex_lock` and `_unlock`, and at
    /// 0 its region is 1 block in some runs and 20 in others, at 16 22 in
    /// every run. 0 by default: strings' loops, which call a dozen glibc
    /// functions a pass, then take regions of up to 64 blocks, and ran
    /// slower in five of six comparisons, by 6% to 37%
    /// (benches/results/2026-12-03-callee-blocks.md).
    pub steady_callee_blocks: usize,
    /// Most guessed targets a hot region takes in for one of its indirect
    /// jumps that is neither a call nor a return (`--max-indirect-targets`):
    /// the hot blocks of the jump's guest function near it, its `switch`'s
    /// cases or a small interpreter's handlers, to which compiled code
    /// then jumps inside the region. A jump with more hot targets than
    /// this gets none (a big interpreter loop's region would be slow to
    /// compile). An indirect call's guess is where it last went (its
    /// inline cache). 0 turns the guessing off. dispatch 0.97 -> 0.66 s
    /// at 16.
    pub max_indirect_targets: usize,
}

impl Default for HotspotConfig {
    fn default() -> Self {
        HotspotConfig {
            min_runs: NonZeroU32::new(50).expect("non-zero"),
            ratio: 1.0,
            adaptive: true,
            min_ratio: 1.0,
            idle_min_ratio: 1.0,
            max_ratio: 64.0,
            window: Duration::from_millis(10),
            decay: 0.5,
            horizon: Duration::from_secs(2),
            size_weight: 1.0,
            time_weight: 1.0,
            compile_budget: 0.75,
            max_region_blocks: NonZeroUsize::new(64).expect("non-zero"),
            max_region_code: 24 << 10,
            max_callee_blocks: 16,
            steady_callee_blocks: 0,
            max_indirect_targets: 16,
        }
    }
}

/// Most runs between two evaluations of one translation.
pub(crate) const MAX_EVAL_INTERVAL: u32 = 1 << 14;

/// Idle maintenance periods in a row (no request waiting, the workers
/// busy less than a quarter of their budget) after which the threshold
/// ratio may fall below [`HotspotConfig::min_ratio`] (see
/// [`HotspotConfig::idle_min_ratio`]): with the default window, a tenth of
/// a second or more. Any busier period ends the run.
pub(crate) const IDLE_PERIODS: u32 = 10;

impl HotspotConfig {
    /// Checks the knobs' ranges; a message naming the bad one.
    pub fn validate(&self) -> Result<(), String> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) { Ok(()) } else { Err(format!("{name} must be in 0..=1, got {v}")) }
        };
        if !(self.decay > 0.0 && self.decay < 1.0) {
            return Err(format!("decay must be in (0, 1), got {}", self.decay));
        }
        unit("time weight", self.time_weight)?;
        unit("compile budget", self.compile_budget)?;
        if !(self.min_ratio >= 0.0 && self.min_ratio <= self.max_ratio && self.max_ratio.is_finite()) {
            return Err(format!(
                "ratio bounds must satisfy 0 <= min <= max, got {} and {}",
                self.min_ratio, self.max_ratio
            ));
        }
        if !(self.idle_min_ratio >= 0.0 && self.idle_min_ratio.is_finite()) {
            return Err(format!("the idle ratio floor must be a finite number >= 0, got {}", self.idle_min_ratio));
        }
        if !(self.ratio >= 0.0 && self.ratio.is_finite()) {
            return Err(format!("ratio must be a finite number >= 0, got {}", self.ratio));
        }
        if !(self.size_weight >= 0.0 && self.size_weight <= 4.0) {
            return Err(format!("size weight must be in 0..=4, got {}", self.size_weight));
        }
        if self.window.is_zero() || self.horizon < self.window {
            return Err("the window must be positive and the horizon at least one window".into());
        }
        Ok(())
    }

    /// The score `count` stamped in window `from`, as of window `to`.
    pub(crate) fn decayed(&self, count: f32, from: u32, to: u32) -> f32 {
        let windows = to.saturating_sub(from);
        if windows == 0 {
            return count;
        }
        if windows > 64 {
            return 0.0;
        }
        (f64::from(count) * self.decay.powi(windows as i32)) as f32
    }

    /// Runs to expect from a translation whose score is `count`, in a
    /// program that has run `elapsed`: its recent rate (a steady rate `r`
    /// per window gives a score of `r / (1 - decay)`) over the time run so
    /// far, at least the windows the score spans and at most the horizon.
    pub(crate) fn expected_runs(&self, count: f32, elapsed: Duration) -> f64 {
        let per_window = f64::from(count) * (1.0 - self.decay);
        let window = self.window.as_secs_f64();
        let span = 1.0 / (1.0 - self.decay);
        let windows = (elapsed.as_secs_f64() / window).clamp(span, (self.horizon.as_secs_f64() / window).max(span));
        per_window * windows
    }

    /// The time (ns) one run of a block of `insns` instructions saves once
    /// compiled, from the per-instruction times (ns) of the interpreter and
    /// of compiled code.
    pub(crate) fn saving_per_run(&self, insns: u32, interp_ns: f64, native_ns: f64) -> f64 {
        let insns = f64::from(insns.max(1));
        // The default weight without `pow` (a libm call per compile showed
        // in profiles of python3's start-up); `powf(x, 1.0)` is `x` exactly.
        let size = if self.size_weight == 1.0 { insns } else { insns.powf(self.size_weight) };
        size * (interp_ns - native_ns).max(0.0)
    }

    /// The time (ns) compiled code of `insns` instructions saves per decay
    /// window at the rate a score of `count` stands for: what eviction
    /// weighs.
    pub(crate) fn saving_per_window(&self, count: f32, insns: u32, interp_ns: f64, native_ns: f64) -> f64 {
        f64::from(count) * (1.0 - self.decay) * self.saving_per_run(insns, interp_ns, native_ns)
    }

    /// Runs until the next evaluation of a translation whose evaluation
    /// found `saving` against `needed` after `count` (decayed) runs: about
    /// the runs that would close the gap, within sensible bounds.
    pub(crate) fn next_evaluation(&self, count: f32, saving: f64, needed: f64) -> u32 {
        let min = self.min_runs.get().min(64);
        if saving.is_nan() || saving <= 0.0 || !needed.is_finite() {
            return MAX_EVAL_INTERVAL;
        }
        let missing = f64::from(count.max(1.0)) * (needed / saving - 1.0);
        (missing.ceil().max(f64::from(min)) as u32).min(MAX_EVAL_INTERVAL)
    }
}

/// A decaying score in one atomic word: the decayed run count (an `f32`)
/// and the window it is as of.
#[derive(Debug, Default)]
pub(crate) struct Score(AtomicU64);

impl Score {
    /// The count and its window.
    pub(crate) fn get(&self) -> (f32, u32) {
        let v = self.0.load(Ordering::Relaxed);
        (f32::from_bits((v >> 32) as u32), v as u32)
    }

    /// Folds `runs` into the score as of window `now`; the new count.
    /// Evaluations of one translation racing on two threads may lose one's
    /// runs: a score is an estimate.
    pub(crate) fn add(&self, cfg: &HotspotConfig, runs: u32, now: u32) -> f32 {
        let (count, at) = self.get();
        let count = cfg.decayed(count, at, now) + runs as f32;
        self.set(count, now);
        count
    }

    /// Sets the count as of window `now`.
    pub(crate) fn set(&self, count: f32, now: u32) {
        self.0.store((u64::from(count.to_bits()) << 32) | u64::from(now), Ordering::Relaxed);
    }

    /// The count as of window `now`.
    pub(crate) fn at(&self, cfg: &HotspotConfig, now: u32) -> f32 {
        let (count, at) = self.get();
        cfg.decayed(count, at, now)
    }
}

/// The share of recent cold blocks, interpreted first under
/// [`crate::ColdCode::Baseline`], that went on to run often enough for
/// their baseline code. Interpreting first pays where most do not (a
/// block that runs once or twice costs a lowering instead of baseline
/// code generation and installation: bigprog, static start-up code) and
/// costs where most do (the lowering and interpreted runs come on top of
/// the baseline compile: Python). Cold blocks get baseline code on their
/// first run once the share rises above [`COLD_REACH_HIGH`], all but every
/// [`COLD_REACH_SAMPLE`]-th, which keeps the share measured, until it falls
/// below [`COLD_REACH_LOW`]. The two thresholds keep a program whose share
/// sits near one of them in one mode: Python's start-up reaches about 57%,
/// and with one threshold at 50% it went back and forth, interpreting a
/// block first in seven of the times it paid to compile it at once.
#[derive(Debug, Default)]
pub(crate) struct ColdReach {
    /// Cold blocks so far.
    blocks: AtomicU32,
    /// Recent cold blocks interpreted first, and those of them that got
    /// their baseline code (both halved every [`COLD_REACH_WINDOW`]).
    interpreted: AtomicU32,
    reached: AtomicU32,
    /// Cold blocks get baseline code first (but the sampled ones).
    baseline_first: AtomicBool,
}

/// See [`ColdReach`].
pub(crate) const COLD_REACH_HIGH: f64 = 0.45;
/// See [`ColdReach`].
pub(crate) const COLD_REACH_LOW: f64 = 0.25;
/// See [`ColdReach`].
pub(crate) const COLD_REACH_SAMPLE: u32 = 32;
/// Interpreted cold blocks between two halvings of [`ColdReach`]'s counts.
const COLD_REACH_WINDOW: u32 = 256;
/// Interpreted cold blocks measured before the first switch of mode.
const COLD_REACH_MIN: u32 = 128;

impl ColdReach {
    /// Whether the next cold block is to be interpreted first (counted if
    /// so). Counts race between threads: the share is an estimate.
    pub(crate) fn interpret_next(&self) -> bool {
        let n = self.blocks.fetch_add(1, Ordering::Relaxed);
        let interpreted = self.interpreted.load(Ordering::Relaxed);
        let reached = self.reached.load(Ordering::Relaxed);
        let share = f64::from(reached) / f64::from(interpreted.max(1));
        let mut baseline_first = self.baseline_first.load(Ordering::Relaxed);
        if interpreted >= COLD_REACH_MIN
            && (if baseline_first { share < COLD_REACH_LOW } else { share > COLD_REACH_HIGH })
        {
            baseline_first = !baseline_first;
            self.baseline_first.store(baseline_first, Ordering::Relaxed);
        }
        if baseline_first && !n.is_multiple_of(COLD_REACH_SAMPLE) {
            return false;
        }
        if interpreted >= COLD_REACH_WINDOW {
            self.interpreted.store(interpreted / 2, Ordering::Relaxed);
            self.reached.store(reached / 2, Ordering::Relaxed);
        }
        self.interpreted.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// A cold block interpreted first got its baseline code.
    pub(crate) fn reached(&self) {
        self.reached.fetch_add(1, Ordering::Relaxed);
    }
}

/// The VM's clock in decay windows.
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    window_ns: u64,
    /// What reading the clock twice costs (ns): taken off every timed
    /// sample, which would otherwise count it as guest time (a block of a
    /// few instructions takes about as long as the two reads).
    timer_ns: u64,
}

impl Clock {
    pub(crate) fn new(window: Duration) -> Self {
        let timer_ns = (0..32)
            .map(|_| {
                let t = Instant::now();
                u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
            })
            .min()
            .unwrap_or(0);
        Clock {
            start: Instant::now(),
            window_ns: u64::try_from(window.as_nanos()).unwrap_or(u64::MAX).max(1),
            timer_ns,
        }
    }

    /// A timed sample's duration in ns, less the cost of timing it.
    pub(crate) fn net_of_timer(&self, took: Duration) -> u64 {
        u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).saturating_sub(self.timer_ns)
    }

    /// Time since the VM started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The current window.
    pub(crate) fn window(&self) -> u32 {
        Self::window_of(self.elapsed(), self.window_ns)
    }

    /// The window `t` fell in.
    pub(crate) fn window_at(&self, t: Instant) -> u32 {
        Self::window_of(t.saturating_duration_since(self.start), self.window_ns)
    }

    fn window_of(elapsed: Duration, window_ns: u64) -> u32 {
        u32::try_from(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX) / window_ns).unwrap_or(u32::MAX)
    }
}

/// What the compile pipeline looked like over the last maintenance period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Load {
    /// Requests waiting.
    pub(crate) queued: usize,
    /// Compile workers (0: compiles run on guest threads).
    pub(crate) workers: usize,
    /// Share of the period the workers (all together, per worker) spent
    /// compiling, `0..=1`.
    pub(crate) busy: f64,
}

/// The adaptive threshold ratio (see the module docs).
#[derive(Debug)]
pub(crate) struct Threshold {
    ratio: AtomicU64,
    /// Idle maintenance periods in a row.
    idle: AtomicU32,
}

impl Threshold {
    pub(crate) fn new(cfg: &HotspotConfig) -> Self {
        Threshold { ratio: AtomicU64::new(cfg.ratio.to_bits()), idle: AtomicU32::new(0) }
    }

    /// The ratio in force.
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.ratio.load(Ordering::Relaxed))
    }

    /// Adapts the ratio to `load`: up by a quarter when the queue holds more
    /// than two requests per worker or the workers were busier than the
    /// budget, down by a fifth when nothing waits and they were mostly idle
    /// (below [`HotspotConfig::min_ratio`] only after [`IDLE_PERIODS`] such
    /// periods in a row). Returns the new ratio.
    pub(crate) fn adapt(&self, cfg: &HotspotConfig, load: Load) -> f64 {
        let ratio = self.get();
        if !cfg.adaptive {
            return ratio;
        }
        let workers = load.workers.max(1);
        let idle = load.queued == 0 && load.busy < cfg.compile_budget / 4.0;
        // One thread maintains at a time: load and store.
        let idle_run = if idle { self.idle.load(Ordering::Relaxed).saturating_add(1) } else { 0 };
        self.idle.store(idle_run, Ordering::Relaxed);
        let new = if load.queued > 2 * workers || load.busy > cfg.compile_budget {
            ratio * 1.25
        } else if idle {
            ratio * 0.8
        } else {
            ratio
        };
        let floor = if idle_run >= IDLE_PERIODS { cfg.idle_min_ratio.min(cfg.min_ratio) } else { cfg.min_ratio };
        let new = new.clamp(floor, cfg.max_ratio);
        self.ratio.store(new.to_bits(), Ordering::Relaxed);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> HotspotConfig {
        HotspotConfig::default()
    }

    /// A time's window counts whole windows since the clock started;
    /// before the start is window 0.
    #[test]
    fn window_at_counts_whole_windows() {
        let clock = Clock::new(Duration::from_millis(10));
        let start = clock.start;
        assert_eq!(clock.window_at(start), 0);
        assert_eq!(clock.window_at(start + Duration::from_millis(25)), 2);
        assert_eq!(clock.window_at(start + Duration::from_millis(30)), 3);
        assert!(clock.window_at(Instant::now()) <= clock.window());
    }

    #[test]
    fn scores_decay_per_window() {
        let c = cfg();
        let s = Score::default();
        assert_eq!(s.add(&c, 100, 0), 100.0);
        assert_eq!(s.add(&c, 0, 0), 100.0);
        // Two windows later, a quarter is left (decay 0.5).
        assert_eq!(s.at(&c, 2), 25.0);
        assert_eq!(s.add(&c, 10, 2), 35.0);
        // Long gone.
        assert_eq!(s.at(&c, 200), 0.0);
        // A stamp from the future (a racing writer) does not grow it.
        assert_eq!(c.decayed(8.0, 5, 3), 8.0);
    }

    #[test]
    fn steady_rate_converges_to_rate_over_one_minus_decay() {
        let c = cfg();
        let s = Score::default();
        for w in 0..60 {
            s.add(&c, 100, w);
        }
        let count = s.at(&c, 59);
        assert!((count - 200.0).abs() < 0.01, "{count}");
        // Over a long run, the expected runs are the rate over the horizon.
        let expected = c.expected_runs(count, Duration::from_secs(60));
        assert!((expected - 100.0 * 200.0).abs() < 1.0, "{expected}");
        // Early on, no less than the score itself.
        assert!((c.expected_runs(count, Duration::ZERO) - 200.0).abs() < 0.01);
    }

    #[test]
    fn expected_runs_grow_with_elapsed_time_up_to_the_horizon() {
        let c = cfg();
        let mut last = 0.0;
        for ms in [0, 5, 20, 100, 1000, 2000, 5000] {
            let e = c.expected_runs(50.0, Duration::from_millis(ms));
            assert!(e >= last, "{ms} ms: {e} < {last}");
            last = e;
        }
        assert_eq!(c.expected_runs(50.0, Duration::from_secs(2)), c.expected_runs(50.0, Duration::from_secs(100)));
    }

    #[test]
    fn saving_weighs_size_and_speeds() {
        let mut c = cfg();
        assert_eq!(c.saving_per_run(10, 8.0, 1.0), 70.0);
        // Compiled code slower than the interpreter saves nothing.
        assert_eq!(c.saving_per_run(10, 1.0, 8.0), 0.0);
        c.size_weight = 0.0;
        assert_eq!(c.saving_per_run(10, 8.0, 1.0), 7.0);
    }

    #[test]
    fn next_evaluation_closes_the_gap_within_bounds() {
        let c = cfg();
        // Half the needed saving after 100 runs: about 100 more.
        assert_eq!(c.next_evaluation(100.0, 50.0, 100.0), 100);
        assert_eq!(c.next_evaluation(100.0, 99.9, 100.0), 50);
        assert_eq!(c.next_evaluation(100.0, 0.0, 100.0), MAX_EVAL_INTERVAL);
        assert_eq!(c.next_evaluation(1.0, 1e-9, 1e9), MAX_EVAL_INTERVAL);
    }

    #[test]
    fn threshold_rises_under_load_and_falls_when_idle() {
        let c = HotspotConfig { idle_min_ratio: 0.25, ..cfg() };
        let t = Threshold::new(&c);
        assert_eq!(t.get(), 1.0);
        assert_eq!(t.adapt(&c, Load { queued: 10, workers: 1, busy: 0.2 }), 1.25);
        assert_eq!(t.adapt(&c, Load { queued: 0, workers: 1, busy: 0.9 }), 1.5625);
        // In between: unchanged.
        assert_eq!(t.adapt(&c, Load { queued: 1, workers: 1, busy: 0.5 }), 1.5625);
        let idle = Load { queued: 0, workers: 1, busy: 0.0 };
        for _ in 1..IDLE_PERIODS {
            t.adapt(&c, idle);
        }
        assert_eq!(t.get(), c.min_ratio);
        // Idle for long: down to the idle floor.
        for _ in 0..100 {
            t.adapt(&c, idle);
        }
        assert_eq!(t.get(), c.idle_min_ratio);
        // A busy period ends the idle run: back above the floor at once,
        // and not below `min_ratio` again for a while.
        assert_eq!(t.adapt(&c, Load { queued: 0, workers: 1, busy: 0.9 }), c.min_ratio);
        assert_eq!(t.adapt(&c, idle), c.min_ratio);
        for _ in 0..100 {
            t.adapt(&c, Load { queued: 100, workers: 2, busy: 1.0 });
        }
        assert_eq!(t.get(), c.max_ratio);
        let fixed = HotspotConfig { adaptive: false, ..cfg() };
        let t = Threshold::new(&fixed);
        assert_eq!(t.adapt(&fixed, Load { queued: 100, workers: 1, busy: 1.0 }), 1.0);
    }

    #[test]
    fn validate_rejects_bad_knobs() {
        assert!(cfg().validate().is_ok());
        assert!(HotspotConfig { decay: 1.0, ..cfg() }.validate().is_err());
        assert!(HotspotConfig { compile_budget: 2.0, ..cfg() }.validate().is_err());
        assert!(HotspotConfig { min_ratio: 5.0, max_ratio: 1.0, ..cfg() }.validate().is_err());
        assert!(HotspotConfig { ratio: f64::NAN, ..cfg() }.validate().is_err());
        assert!(HotspotConfig { idle_min_ratio: -1.0, ..cfg() }.validate().is_err());
        assert!(HotspotConfig { window: Duration::ZERO, ..cfg() }.validate().is_err());
    }

    #[test]
    fn cold_blocks_are_interpreted_first_while_few_reach_their_baseline_code() {
        let c = ColdReach::default();
        // None reaches: every block is interpreted first.
        assert!((0..10_000).all(|_| c.interpret_next()));
        // Now every one does: soon only the sampled ones are.
        let mut first = 0;
        for _ in 0..10_000 {
            if c.interpret_next() {
                first += 1;
                c.reached();
            }
        }
        let tail = |c: &ColdReach, reach: &dyn Fn(usize) -> bool| {
            (0..3200)
                .filter(|&k| {
                    c.interpret_next() && {
                        if reach(k) {
                            c.reached();
                        }
                        true
                    }
                })
                .count()
        };
        assert!(first < 10_000, "{first}");
        assert_eq!(tail(&c, &|_| true), 3200 / COLD_REACH_SAMPLE as usize);
        // A share between the thresholds keeps the mode: a third of the
        // sampled blocks reaching (under the high threshold) leaves cold
        // blocks compiled first.
        assert_eq!(tail(&c, &|k| k % 3 == 0), 3200 / COLD_REACH_SAMPLE as usize);
        // They stop reaching: after a window or so, all are interpreted first again.
        for _ in 0..20_000 {
            c.interpret_next();
        }
        assert!((0..100).all(|_| c.interpret_next()));
        // A third reaching keeps that mode too.
        assert_eq!(tail(&c, &|k| k % 3 == 0), 3200);
    }

    #[test]
    fn clock_counts_windows() {
        assert_eq!(Clock::window_of(Duration::from_millis(25), 10_000_000), 2);
        assert_eq!(Clock::window_of(Duration::from_secs(u64::MAX), 1), u32::MAX);
    }
}
