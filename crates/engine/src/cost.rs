//! The JIT's cost/benefit model: what a compile will cost, what it will
//! save, and whether it is worth doing.
//!
//! A translation (a region of one or more IR blocks) is summed up as
//! [`Features`]. A [`CostModel`] predicts from them the compile's cost in
//! microseconds and the time one execution of the compiled code saves over
//! the interpreter; [`CostModel::should_compile`] weighs the two, given how
//! many more times the engine expects the translation to run. The model is
//! pure policy: it never looks at a clock; the engine measures compiles and
//! executions and feeds them in ([`CostModel::observe_compile`],
//! [`CostModel::observe_interp`], [`CostModel::observe_native`]).
//!
//! Two models, selected by [`CostModelKind`]:
//!
//! - **fixed**: constant coefficients ([`FIXED_BASE_US`],
//!   [`FIXED_PER_OP_US`], [`FIXED_PER_BLOCK_US`]) and constant per-instruction
//!   rates ([`PRIOR_INTERP_NS_PER_INSN`], [`PRIOR_NATIVE_NS_PER_INSN`]). It
//!   learns nothing, but still records its prediction error, so the two can
//!   be compared on the same run.
//! - **learned**: the compile cost is a linear function of every feature,
//!   fitted online by least squares with exponential forgetting and a ridge
//!   penalty pulling towards the fixed model's coefficients: the normal
//!   equations of seven scaled inputs, solved by Cholesky at each sample
//!   (unlike recursive least squares, this cannot wind up in directions the
//!   data never varies). The two rates are exponentially weighted averages
//!   of what the engine measures. Before any data it predicts exactly what
//!   the fixed model does.
//!
//! Prediction error is measured honestly: [`CostModel::observe_compile`]
//! records the error of the prediction made *before* training on the sample,
//! so every error is on a compile the model had not seen.
//!
//! The model holds plain numbers only (it is `Send` and `Sync`); the engine
//! keeps one behind a mutex, predicting with `&self` and training with
//! `&mut self`.
//!
//! ```
//! use ferrovm_engine::cost::{CostModel, CostModelKind, Features};
//! use ferrovm_ir::{BinOp, Builder, Reg, Terminator};
//!
//! let mut b = Builder::new(0x1000);
//! b.mark(0x1000, 4); // addi a0, a0, 1
//! let a0 = b.get(Reg::x(10));
//! let sum = b.binary_imm(BinOp::Add, a0, 1);
//! b.set(Reg::x(10), sum);
//! let block = b.finish(Terminator::Jump { target: 0x1000 }, 0x1004);
//!
//! let f = Features::of(std::slice::from_ref(&block));
//! let mut model = CostModel::new(CostModelKind::Learned);
//! // Run once: not worth a compile. Run a million times: worth it.
//! assert!(!model.should_compile(&f, 1.0).compile);
//! assert!(model.should_compile(&f, 1e6).compile);
//! // The engine timed the compile: 90 µs. The error is of the prediction
//! // made before learning from it.
//! let before = model.predict_compile_us(&f);
//! model.observe_compile(&f, 90.0);
//! assert_eq!(model.error().samples, 1);
//! assert_eq!(model.error().mean_abs_us, (before - 90.0).abs());
//! ```

use std::fmt;
use std::str::FromStr;

use ferrovm_ir::{BinOp, Block, Op, Terminator, UnOp};

/// Fixed cost of any compile, µs: setting up the Cranelift context and the
/// function's signature, entry and prologue, emitting, and publishing the
/// code (copy, `mprotect`, cache maintenance). 25 µs is the middle of the
/// 20–30 µs a near-empty function costs Cranelift at `opt_level=speed`.
pub const FIXED_BASE_US: f64 = 25.0;

/// Cost of each IR op (not counting `mark`s), µs. An op lowers to two to
/// four CLIF instructions, and at `opt_level=speed` Cranelift spends roughly
/// 0.4–0.6 µs on each (e-graph, lowering, register allocation, emission).
/// A guest block of about six instructions lifts to about 24 ops after the
/// IR passes, so 36 µs.
pub const FIXED_PER_OP_US: f64 = 1.5;

/// Cost of each guest block, µs: its terminator's exits and chaining cells,
/// the side-exit blocks of its fault checks, and the control flow register
/// allocation must go over. With [`FIXED_PER_OP_US`] a block of about six
/// instructions costs 20 + 36 = 56 µs, in the 40–80 µs range measured for
/// such blocks (the README's benchmark notes 52–62 µs per block compiled
/// alone, fixed cost included, without the optimizer).
pub const FIXED_PER_BLOCK_US: f64 = 20.0;

/// What the interpreter costs per guest instruction before any measurement,
/// ns: a dispatch per IR op, a few ops per instruction, about 8 ns on the
/// hosts ferrovm's benchmarks run on.
pub const PRIOR_INTERP_NS_PER_INSN: f64 = 8.0;

/// What compiled code costs per guest instruction before any measurement,
/// ns: a few host instructions plus the memory checks, about 1 ns.
pub const PRIOR_NATIVE_NS_PER_INSN: f64 = 1.0;

/// What a baseline compile of one block costs before any is measured, ns:
/// lifting, passes, code and install together. The fixed model keeps it
/// (on a loaded 2-CPU machine python3's start-up measured 10-20 µs a block
/// for the code alone, `baseline_compile_time` over `baseline_compiles`);
/// the learned model learns it from every baseline compile.
pub const PRIOR_BASELINE_COMPILE_NS: f64 = 30_000.0;

/// By default a compile must save this many times what it costs: it has to
/// repay the error of both predictions (the fixed model is easily off by
/// half, and expected executions are an extrapolation) and the core it takes
/// from guest threads while it runs.
pub const DEFAULT_MARGIN: f64 = 2.0;

/// No compile is predicted to cost less than this, µs (Cranelift cannot
/// compile anything faster; it also keeps relative errors finite).
pub const MIN_COMPILE_US: f64 = 1.0;

/// Measured compile times are clamped to this, µs (100 s): a longer one is
/// a broken clock, and the clamp keeps every sum finite.
const MAX_COMPILE_US: f64 = 1e8;

/// Each feature is clamped to this before use. Regions are at most 64
/// blocks of a few hundred ops, so no real translation comes near it; the
/// clamp keeps predictions finite whatever comes in. A compile with a
/// feature beyond it is scored but not learned from: its inputs would be
/// thousands of times the usual ones, and one such sample would pin the fit
/// for thousands of compiles.
const FEATURE_CAP: f64 = 1e5;

/// Expected executions are clamped to this (a translation that runs for
/// days), so that savings stay finite.
const EXECS_CAP: f64 = 1e12;

/// A learned rate above this (1 ms per guest instruction) is a broken
/// clock; rates are clamped to it.
const MAX_NS_PER_INSN: f64 = 1e6;

/// Weight an old rate observation keeps at each new one. Half-life
/// ln 0.5 / ln 0.97 ≈ 23 observations: a phase change shows within a few
/// dozen, one odd sample moves the rate by 3% of its weight.
const RATE_DECAY: f64 = 0.97;

/// Weight an old compile sample keeps at each new one: an effective memory
/// of 1 / (1 − 0.995) = 200 compiles, enough to average out timer noise and
/// short enough to follow a change of load on the machine.
const COMPILE_DECAY: f64 = 0.995;

/// Strength of the pull towards the fixed model's coefficients, in
/// (scaled) samples: the prior counts as about four typical compiles in
/// every direction, so it sets the first predictions and keeps directions
/// the data never varies (e.g. `blocks` when every compile is one block)
/// well-posed, and is outweighed after a few dozen compiles.
const RIDGE: f64 = 4.0;

/// A training target is clipped to within this factor of the current
/// prediction, so one compile stalled by preemption (tens of ms on a busy
/// 2-core machine) cannot throw the fit off. A model that is really off by
/// more still gets there: each sample moves it by up to this factor.
const OUTLIER_FACTOR: f64 = 8.0;

/// Number of regression inputs: the intercept and the six features.
const DIM: usize = 7;

/// Typical magnitude of each regression input (intercept, ops, blocks,
/// memory ops, helper calls, branches, instructions): inputs are divided by
/// it so they are all of order one, which keeps the normal equations well
/// conditioned and makes [`RIDGE`] mean the same in every direction.
const SCALE: [f64; DIM] = [1.0, 64.0, 4.0, 16.0, 8.0, 4.0, 32.0];

/// The fixed model's coefficients in scaled units (each raw coefficient
/// times its input's [`SCALE`]); the learned model's prior.
const PRIOR: [f64; DIM] =
    [FIXED_BASE_US * SCALE[0], FIXED_PER_OP_US * SCALE[1], FIXED_PER_BLOCK_US * SCALE[2], 0.0, 0.0, 0.0, 0.0];

/// Which cost model to use (`fixed` or `learned` as text).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CostModelKind {
    /// Constant coefficients and rates; learns nothing. The default: on
    /// real programs (tests/debian/bench.py) it compiled less and ran
    /// faster (geomean 2.92x QEMU's time against 3.12x); on the workload
    /// suite the two are within the noise (1.10x against 1.07x).
    #[default]
    Fixed,
    /// Starts as [`CostModelKind::Fixed`] and learns from measurements.
    Learned,
}

impl CostModelKind {
    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            CostModelKind::Fixed => "fixed",
            CostModelKind::Learned => "learned",
        }
    }
}

impl fmt::Display for CostModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cost model name that is neither `fixed` nor `learned`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown cost model `{0}` (expected `fixed` or `learned`)")]
pub struct UnknownCostModel(pub String);

impl FromStr for CostModelKind {
    type Err = UnknownCostModel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fixed" => Ok(CostModelKind::Fixed),
            "learned" => Ok(CostModelKind::Learned),
            _ => Err(UnknownCostModel(s.to_owned())),
        }
    }
}

/// What a translation is made of, as far as its compile cost and its
/// speed-up go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Features {
    /// IR ops, not counting `mark`s (which emit no code).
    pub ops: u64,
    /// Memory ops: loads, stores, `lr`, `sc` and AMOs.
    pub mem_ops: u64,
    /// Terminators that choose between targets: conditional branches and
    /// indirect jumps. (Every block has one terminator; the others are
    /// accounted for by `blocks`.)
    pub branches: u64,
    /// Ops the JIT lowers to calls of Rust helpers (see
    /// [`Features::is_helper_call`]).
    pub helper_calls: u64,
    /// IR blocks.
    pub blocks: u64,
    /// Guest instructions (`mark`s).
    pub insns: u64,
}

impl Features {
    /// Counts the features of the translation made of `blocks`.
    pub fn of(blocks: &[Block]) -> Features {
        let mut f = Features { blocks: blocks.len() as u64, ..Features::default() };
        for block in blocks {
            for op in &block.ops {
                if matches!(op, Op::Mark { .. }) {
                    f.insns += 1;
                    continue;
                }
                f.ops += 1;
                f.mem_ops += u64::from(Self::is_memory(op));
                f.helper_calls += u64::from(Self::is_helper_call(op));
            }
            f.branches += u64::from(matches!(block.term, Terminator::Branch { .. } | Terminator::JumpIndirect { .. }));
        }
        f
    }

    /// Whether `op` accesses guest memory.
    pub fn is_memory(op: &Op) -> bool {
        matches!(
            op,
            Op::Load { .. } | Op::Store { .. } | Op::LoadReserved { .. } | Op::StoreConditional { .. } | Op::Amo { .. }
        )
    }

    /// Whether the JIT lowers `op` to a call of a Rust helper rather than
    /// inline code. This mirrors `ferrovm-jit`'s `translate.rs` and
    /// `int_ops.rs`: the reservation ops and AMOs (`lr`, `sc`, `amo*`: the
    /// helper does the atomic access and the reservation), every FP
    /// operation and conversion (softfloat, for exact flags and NaNs), CSR
    /// reads and writes, and the two integer ops without a Cranelift
    /// instruction (carry-less multiplies, `orc.b`). Loads and stores are
    /// inline (their slow path is a call, taken rarely). If the JIT moves an
    /// op between inline and helper, change this list.
    pub fn is_helper_call(op: &Op) -> bool {
        match op {
            Op::LoadReserved { .. }
            | Op::StoreConditional { .. }
            | Op::Amo { .. }
            | Op::FUnary { .. }
            | Op::FBinary { .. }
            | Op::FTernary { .. }
            | Op::FCvt { .. }
            | Op::CsrRead { .. }
            | Op::CsrWrite { .. }
            | Op::Vector { .. } => true,
            Op::Binary { op, .. } => matches!(op, BinOp::Clmul | BinOp::ClmulH | BinOp::ClmulR),
            Op::Unary { op, .. } => matches!(op, UnOp::OrcB),
            _ => false,
        }
    }

    /// Whether every feature is at most [`FEATURE_CAP`] (the translation is
    /// one the engine could build).
    fn within_cap(&self) -> bool {
        [self.ops, self.mem_ops, self.branches, self.helper_calls, self.blocks, self.insns]
            .iter()
            .all(|&n| n as f64 <= FEATURE_CAP)
    }

    /// The regression's input vector: the intercept and each feature,
    /// clamped to [`FEATURE_CAP`] and divided by its [`SCALE`].
    fn inputs(&self) -> [f64; DIM] {
        let raw = [1, self.ops, self.blocks, self.mem_ops, self.helper_calls, self.branches, self.insns];
        let mut x = [0.0; DIM];
        for ((x, raw), scale) in x.iter_mut().zip(raw).zip(SCALE) {
            *x = (raw as f64).min(FEATURE_CAP) / scale;
        }
        x
    }
}

/// The verdict on one translation, with the predictions it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    /// Predicted compile cost, µs.
    pub cost_us: f64,
    /// Predicted time saved over the expected executions, µs (never
    /// negative: code slower than the interpreter saves nothing).
    pub saving_us: f64,
    /// Whether to compile: the saving exceeds the cost times the margin.
    pub compile: bool,
}

/// How far the compile-cost predictions were from the measured costs, over
/// every compile observed, each predicted before the model trained on it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ModelError {
    /// Compiles observed.
    pub samples: u64,
    /// Mean of |predicted − actual|, µs (0 with no samples).
    pub mean_abs_us: f64,
    /// Mean of |predicted − actual| / actual (0 with no samples); an actual
    /// below [`MIN_COMPILE_US`] counts as that.
    pub mean_rel: f64,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} compiles, mean error {:.1} µs ({:.1}%)", self.samples, self.mean_abs_us, self.mean_rel * 100.0)
    }
}

/// Running sums of the prediction errors.
#[derive(Clone, Copy, Debug, Default)]
struct ErrorSums {
    samples: u64,
    abs_us: f64,
    rel: f64,
}

impl ErrorSums {
    /// Adds one prediction and the measurement it is judged against.
    fn record(&mut self, predicted: f64, actual: f64) {
        let abs = (predicted - actual).abs();
        self.samples += 1;
        self.abs_us += abs;
        self.rel += abs / actual.max(MIN_COMPILE_US);
    }

    /// The means.
    fn get(&self) -> ModelError {
        if self.samples == 0 {
            return ModelError::default();
        }
        let n = self.samples as f64;
        ModelError { samples: self.samples, mean_abs_us: self.abs_us / n, mean_rel: self.rel / n }
    }
}

/// A cost per guest instruction, ns, learned as an exponentially weighted
/// ratio of sums: total time over total instructions, each observation's
/// weight decaying by [`RATE_DECAY`] at every later one. Big batches weigh
/// more than small ones, as they should (a 10-instruction sample is mostly
/// timer noise). Before the first observation the rate is the prior.
#[derive(Clone, Copy, Debug)]
struct Rate {
    /// The rate before any observation.
    prior: f64,
    /// Decayed sum of the nanoseconds observed.
    ns: f64,
    /// Decayed sum of the instructions observed (0 before the first
    /// observation, at least 1 after).
    insns: f64,
}

impl Rate {
    /// A rate with no observations yet.
    const fn new(prior: f64) -> Self {
        Rate { prior, ns: 0.0, insns: 0.0 }
    }

    /// Adds `insns` instructions that took `elapsed_ns`. An observation of
    /// no instructions says nothing about a rate and is ignored.
    fn observe(&mut self, insns: u64, elapsed_ns: u64) {
        if insns == 0 {
            return;
        }
        self.ns = self.ns * RATE_DECAY + elapsed_ns as f64;
        self.insns = self.insns * RATE_DECAY + insns as f64;
    }

    /// The current rate, ns per instruction.
    fn get(&self) -> f64 {
        if self.insns > 0.0 { (self.ns / self.insns).min(MAX_NS_PER_INSN) } else { self.prior }
    }
}

/// Online linear regression of compile µs on the scaled [`Features`]:
/// least squares with exponential forgetting and a ridge penalty towards the
/// fixed model's coefficients. The coefficients minimize
///
/// ```text
/// Σᵢ λⁿ⁻ⁱ (yᵢ − θ·xᵢ)² + ρ ‖θ − θ₀‖²
/// ```
///
/// (λ = [`COMPILE_DECAY`], ρ = [`RIDGE`], θ₀ = [`PRIOR`]), which are the
/// solution of `(G + ρI) θ = m + ρθ₀` with the decayed sums `G = Σ λⁿ⁻ⁱ xᵢxᵢᵀ`
/// and `m = Σ λⁿ⁻ⁱ xᵢyᵢ`. Each observation updates the sums and solves the
/// 7×7 system by Cholesky (a few hundred flops, nothing next to a compile).
///
/// Why not recursive least squares with a forgetting factor: RLS forgets
/// its covariance in every direction, including directions the data never
/// varies (every compile one block, no FP code), where the covariance then
/// grows without bound ("wind-up") until one unusual sample swings the fit.
/// Here forgetting only shrinks `G`, the ridge term stays, so the system is
/// always positive definite, unexcited directions rest at the prior, and
/// collinear features (ops and instructions rise together) share the load
/// instead of diverging.
#[derive(Clone, Debug)]
struct Regression {
    /// Decayed Σ x xᵀ.
    gram: [[f64; DIM]; DIM],
    /// Decayed Σ x y.
    moment: [f64; DIM],
    /// The current coefficients (scaled units).
    theta: [f64; DIM],
}

impl Regression {
    /// A regression that predicts the prior.
    fn new() -> Self {
        Regression { gram: [[0.0; DIM]; DIM], moment: [0.0; DIM], theta: PRIOR }
    }

    /// Learns one sample: inputs `x`, compile time `y` µs.
    fn train(&mut self, x: &[f64; DIM], y: f64) {
        for ((row, moment), xi) in self.gram.iter_mut().zip(&mut self.moment).zip(x) {
            for (g, xj) in row.iter_mut().zip(x) {
                *g = *g * COMPILE_DECAY + xi * xj;
            }
            *moment = *moment * COMPILE_DECAY + xi * y;
        }
        let mut system = self.gram;
        let mut rhs = [0.0; DIM];
        for (i, (row, r)) in system.iter_mut().zip(&mut rhs).enumerate() {
            row[i] += RIDGE;
            *r = self.moment[i] + RIDGE * PRIOR[i];
        }
        // With every input and target clamped the system is finite and
        // positive definite; should rounding ever break that, the previous
        // coefficients stay (the sample is still in the sums).
        if let Some(theta) = cholesky_solve(&system, &rhs) {
            self.theta = theta;
        }
    }
}

/// Solves `a · x = b` for a symmetric positive definite `a` by Cholesky
/// decomposition; `None` if `a` is not (numerically) positive definite or
/// the solution is not finite.
fn cholesky_solve(a: &[[f64; DIM]; DIM], b: &[f64; DIM]) -> Option<[f64; DIM]> {
    // a = L Lᵀ, L lower triangular.
    let mut l = [[0.0; DIM]; DIM];
    for i in 0..DIM {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if !(s.is_finite() && s > 0.0) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    // L y = b, then Lᵀ x = y.
    let mut y = [0.0; DIM];
    for i in 0..DIM {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = [0.0; DIM];
    for i in (0..DIM).rev() {
        x[i] = (y[i] - (i + 1..DIM).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// How compile costs are predicted.
#[derive(Clone, Debug)]
enum Compile {
    /// From [`PRIOR`], always.
    Fixed,
    /// From a regression that starts at [`PRIOR`].
    Learned(Box<Regression>),
}

/// The JIT's cost/benefit model: predicts compile costs and savings, learns
/// from measurements (if [`CostModelKind::Learned`]), decides what is worth
/// compiling, and keeps score of its own prediction error.
#[derive(Clone, Debug)]
pub struct CostModel {
    /// Compile-cost predictor.
    compile: Compile,
    /// Interpreter ns per guest instruction.
    interp: Rate,
    /// Compiled code ns per guest instruction.
    native: Rate,
    /// Baseline compiles, ns per block (a "rate" over blocks).
    baseline: Rate,
    /// A compile must save this many times its cost.
    margin: f64,
    /// Errors of the compile-cost predictions.
    errors: ErrorSums,
}

impl CostModel {
    /// A model of `kind` with no measurements yet and [`DEFAULT_MARGIN`].
    pub fn new(kind: CostModelKind) -> Self {
        let compile = match kind {
            CostModelKind::Fixed => Compile::Fixed,
            CostModelKind::Learned => Compile::Learned(Box::new(Regression::new())),
        };
        CostModel {
            compile,
            interp: Rate::new(PRIOR_INTERP_NS_PER_INSN),
            native: Rate::new(PRIOR_NATIVE_NS_PER_INSN),
            baseline: Rate::new(PRIOR_BASELINE_COMPILE_NS),
            margin: DEFAULT_MARGIN,
            errors: ErrorSums::default(),
        }
    }

    /// The same model, requiring a compile to save `margin` times its cost
    /// (a negative or NaN margin counts as 0: compile whatever saves
    /// anything).
    pub fn with_margin(mut self, margin: f64) -> Self {
        self.margin = if margin >= 0.0 { margin } else { 0.0 };
        self
    }

    /// Which model this is.
    pub fn kind(&self) -> CostModelKind {
        match self.compile {
            Compile::Fixed => CostModelKind::Fixed,
            Compile::Learned(_) => CostModelKind::Learned,
        }
    }

    /// The factor a compile's saving must exceed its cost by.
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// Predicted cost of compiling a translation with features `f`, µs
    /// (at least [`MIN_COMPILE_US`]).
    pub fn predict_compile_us(&self, f: &Features) -> f64 {
        let theta = match &self.compile {
            Compile::Fixed => &PRIOR,
            Compile::Learned(r) => &r.theta,
        };
        let y: f64 = theta.iter().zip(f.inputs()).map(|(t, x)| t * x).sum();
        y.clamp(MIN_COMPILE_US, MAX_COMPILE_US)
    }

    /// Tells the model a compile of a translation with features `f` took
    /// `actual_us`. First records the error of the prediction made before
    /// this sample, then (learned model) trains on it. A time that is NaN or
    /// negative is ignored; a huge one is clamped to 100 s. A translation
    /// with a feature beyond any the engine builds (over 100,000) is scored
    /// but not learned from.
    pub fn observe_compile(&mut self, f: &Features, actual_us: f64) {
        if actual_us.is_nan() || actual_us < 0.0 {
            return;
        }
        let actual = actual_us.min(MAX_COMPILE_US);
        let predicted = self.predict_compile_us(f);
        self.errors.record(predicted, actual);
        if let Compile::Learned(r) = &mut self.compile
            && f.within_cap()
        {
            let target = actual.clamp(predicted / OUTLIER_FACTOR, predicted * OUTLIER_FACTOR);
            r.train(&f.inputs(), target);
        }
    }

    /// Tells the model the interpreter ran `insns` guest instructions in
    /// `elapsed_ns` (the fixed model ignores it).
    pub fn observe_interp(&mut self, insns: u64, elapsed_ns: u64) {
        if let Compile::Learned(_) = self.compile {
            self.interp.observe(insns, elapsed_ns);
        }
    }

    /// Tells the model compiled code ran `insns` guest instructions in
    /// `elapsed_ns` (the fixed model ignores it).
    pub fn observe_native(&mut self, insns: u64, elapsed_ns: u64) {
        if let Compile::Learned(_) = self.compile {
            self.native.observe(insns, elapsed_ns);
        }
    }

    /// Tells the model a baseline compile of one block took `elapsed_ns`
    /// from lifting to install (the fixed model ignores it).
    pub fn observe_baseline_compile(&mut self, elapsed_ns: u64) {
        if let Compile::Learned(_) = self.compile {
            self.baseline.observe(1, elapsed_ns);
        }
    }

    /// What a baseline compile of one block costs, ns.
    pub fn baseline_compile_ns(&self) -> f64 {
        self.baseline.get()
    }

    /// What the interpreter costs per guest instruction, ns.
    pub fn interp_ns_per_insn(&self) -> f64 {
        self.interp.get()
    }

    /// What compiled code costs per guest instruction, ns.
    pub fn native_ns_per_insn(&self) -> f64 {
        self.native.get()
    }

    /// Time one execution of the compiled translation saves over the
    /// interpreter, ns: `(interp − native) × insns`, and never negative.
    pub fn saving_per_exec_ns(&self, f: &Features) -> f64 {
        let per_insn = (self.interp_ns_per_insn() - self.native_ns_per_insn()).max(0.0);
        per_insn * (f.insns as f64).min(FEATURE_CAP)
    }

    /// Whether compiling a translation with features `f` pays off if it
    /// runs `expected_execs` more times: the saving over those executions
    /// must exceed the compile cost times the margin. More expected
    /// executions never turn a yes into a no. A NaN or negative count counts
    /// as 0.
    pub fn should_compile(&self, f: &Features, expected_execs: f64) -> Decision {
        let execs = if expected_execs >= 0.0 { expected_execs.min(EXECS_CAP) } else { 0.0 };
        let cost_us = self.predict_compile_us(f);
        let saving_us = self.saving_per_exec_ns(f) * execs / 1000.0;
        Decision { cost_us, saving_us, compile: saving_us > cost_us * self.margin }
    }

    /// The compile-cost prediction error so far.
    pub fn error(&self) -> ModelError {
        self.errors.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm_ir::{AmoOp, Builder, FBinOp, MemSize, Ordering, Prec, Reg, Rm};

    /// A small deterministic generator (splitmix64), so tests need no
    /// random-number crate and never flake.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform in `lo..=hi`.
        fn range(&mut self, lo: u64, hi: u64) -> u64 {
            lo + self.next() % (hi - lo + 1)
        }

        /// Uniform in `[-1, 1)`.
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
    }

    /// Features of a plausible translation: correlated the way real ones
    /// are (ops grow with instructions), but not exactly.
    fn random_features(rng: &mut Rng) -> Features {
        let blocks = rng.range(1, 8);
        let insns = blocks * rng.range(2, 12);
        let ops = insns * rng.range(2, 6) + rng.range(0, 10);
        Features {
            ops,
            mem_ops: rng.range(0, insns / 2),
            branches: rng.range(0, blocks),
            helper_calls: rng.range(0, insns / 4),
            blocks,
            insns,
        }
    }

    /// The synthetic truth the learned model must find: unlike the fixed
    /// model, memory ops, helper calls and branches cost extra.
    fn true_cost_us(f: &Features) -> f64 {
        12.0 + 2.2 * f.ops as f64
            + 30.0 * f.blocks as f64
            + 3.0 * f.mem_ops as f64
            + 6.0 * f.helper_calls as f64
            + 8.0 * f.branches as f64
            + 0.5 * f.insns as f64
    }

    fn features(ops: u64, blocks: u64, insns: u64) -> Features {
        Features { ops, blocks, insns, ..Features::default() }
    }

    #[test]
    fn kind_parses_and_prints() {
        for kind in [CostModelKind::Fixed, CostModelKind::Learned] {
            assert_eq!(kind.to_string().parse::<CostModelKind>(), Ok(kind));
        }
        assert_eq!("fixed".parse(), Ok(CostModelKind::Fixed));
        assert_eq!("Learned".parse::<CostModelKind>(), Err(UnknownCostModel("Learned".into())));
        assert_eq!(CostModel::new(CostModelKind::Fixed).kind(), CostModelKind::Fixed);
    }

    #[test]
    fn model_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<CostModel>();
    }

    #[test]
    fn features_of_counts_a_hand_built_region() {
        // Block 1: lw a1, 0(a0); add a1, a1, a1; sw a1, 8(a0);
        // fadd.d on the two values; amoadd.w; then a conditional branch.
        let mut b = Builder::new(0x1000);
        b.mark(0x1000, 4);
        let a0 = b.get(Reg::x(10));
        let v = b.load(a0, 0, MemSize::W, true);
        b.set(Reg::x(11), v);
        b.mark(0x1004, 4);
        let sum = b.binary(BinOp::Add, v, v);
        b.set(Reg::x(11), sum);
        b.mark(0x1008, 4);
        b.store(a0, 8, sum, MemSize::W);
        b.mark(0x100c, 4);
        let f = b.fbinary(FBinOp::Add, Prec::D, Rm::Rne, v, sum);
        b.set(Reg::x(12), f);
        b.mark(0x1010, 4);
        let old = b.amo(AmoOp::Add, a0, sum, MemSize::W, Ordering::AcqRel);
        b.set(Reg::x(13), old);
        let first = b.finish(Terminator::Branch { cond: old, taken: 0x1000, fallthrough: 0x1014 }, 0x1014);
        // Block 2: orc.b (a helper call) and a jump back.
        let mut b = Builder::new(0x1014);
        b.mark(0x1014, 4);
        let x = b.get(Reg::x(14));
        let y = b.unary(UnOp::OrcB, x);
        b.set(Reg::x(14), y);
        let second = b.finish(Terminator::Jump { target: 0x1000 }, 0x1018);

        let f = Features::of(&[first.clone(), second]);
        assert_eq!(
            f,
            Features {
                // get, load, set; binary, set; store; fbinary, set; amo, set;
                // get, unary, set.
                ops: 13,
                mem_ops: 3,      // load, store, amo
                branches: 1,     // the conditional branch; the jump is not one
                helper_calls: 3, // fadd, amo, orc.b
                blocks: 2,
                insns: 6,
            }
        );
        assert_eq!(Features::of(&[]), Features::default());
        assert_eq!(Features::of(std::slice::from_ref(&first)).insns, first.insn_count() as u64);
    }

    #[test]
    fn fixed_costs_are_in_the_documented_range() {
        let model = CostModel::new(CostModelKind::Fixed);
        // One block of six instructions, about 24 ops.
        let one = model.predict_compile_us(&features(24, 1, 6));
        let two = model.predict_compile_us(&features(48, 2, 12));
        assert_eq!(one, FIXED_BASE_US + 24.0 * FIXED_PER_OP_US + FIXED_PER_BLOCK_US);
        assert!((40.0..=80.0).contains(&(two - one)), "per block {}", two - one);
        assert!((20.0..=30.0).contains(&FIXED_BASE_US));
    }

    #[test]
    fn learned_starts_where_fixed_is() {
        let fixed = CostModel::new(CostModelKind::Fixed);
        let learned = CostModel::new(CostModelKind::Learned);
        let mut rng = Rng(1);
        for _ in 0..100 {
            let f = random_features(&mut rng);
            assert_eq!(fixed.predict_compile_us(&f), learned.predict_compile_us(&f));
        }
        assert_eq!(learned.interp_ns_per_insn(), PRIOR_INTERP_NS_PER_INSN);
        assert_eq!(learned.native_ns_per_insn(), PRIOR_NATIVE_NS_PER_INSN);
        assert_eq!(learned.error(), ModelError::default());
    }

    #[test]
    fn learned_model_converges_on_noisy_linear_data() {
        let mut learned = CostModel::new(CostModelKind::Learned);
        let mut fixed = CostModel::new(CostModelKind::Fixed);
        let mut rng = Rng(42);
        // ±10% multiplicative noise on the measured times.
        let sample = |rng: &mut Rng| {
            let f = random_features(rng);
            (f, true_cost_us(&f) * (1.0 + 0.1 * rng.unit()))
        };
        for _ in 0..1000 {
            let (f, y) = sample(&mut rng);
            learned.observe_compile(&f, y);
            fixed.observe_compile(&f, y);
        }
        // The next 500 compiles, each predicted before training on it.
        let before = learned.error();
        let (mut rel, mut truth_rel) = (0.0, 0.0);
        for _ in 0..500 {
            let (f, y) = sample(&mut rng);
            let p = learned.predict_compile_us(&f);
            rel += (p - y).abs() / y;
            truth_rel += (p - true_cost_us(&f)).abs() / true_cost_us(&f);
            learned.observe_compile(&f, y);
        }
        let (rel, truth_rel) = (rel / 500.0, truth_rel / 500.0);
        // The noise alone is 5% on average; the fit adds little to it.
        assert!(rel < 0.07, "mean relative error {rel}");
        assert!(truth_rel < 0.03, "mean relative distance to the truth {truth_rel}");
        // error() saw the same predictions (the 500 are its last samples).
        let after = learned.error();
        assert_eq!(after.samples, 1500);
        let sum_after = after.mean_rel * 1500.0 - before.mean_rel * 1000.0;
        assert!((sum_after / 500.0 - rel).abs() < 1e-9);
        // Early mistakes count, yet the learned model beats the fixed one.
        assert!(after.mean_rel < fixed.error().mean_rel / 2.0, "{after} vs {}", fixed.error());
        // And on a translation unlike the training data it stays close.
        let big = Features { ops: 600, mem_ops: 60, branches: 10, helper_calls: 20, blocks: 12, insns: 150 };
        let p = learned.predict_compile_us(&big);
        assert!((p / true_cost_us(&big) - 1.0).abs() < 0.05, "{p} vs {}", true_cost_us(&big));
    }

    #[test]
    fn learned_model_follows_a_change_of_machine_load() {
        let mut model = CostModel::new(CostModelKind::Learned);
        let mut rng = Rng(7);
        for _ in 0..500 {
            let f = random_features(&mut rng);
            model.observe_compile(&f, true_cost_us(&f));
        }
        // Everything now compiles twice as slowly.
        for _ in 0..1500 {
            let f = random_features(&mut rng);
            model.observe_compile(&f, 2.0 * true_cost_us(&f));
        }
        let f = features(100, 4, 25);
        let p = model.predict_compile_us(&f);
        assert!((p / (2.0 * true_cost_us(&f)) - 1.0).abs() < 0.05, "{p}");
    }

    #[test]
    fn fixed_model_learns_nothing_but_keeps_score() {
        let mut model = CostModel::new(CostModelKind::Fixed);
        let f = features(30, 2, 8);
        let before = model.predict_compile_us(&f);
        for _ in 0..100 {
            model.observe_compile(&f, 5000.0);
            model.observe_interp(1000, 50_000);
            model.observe_native(1000, 10_000);
        }
        assert_eq!(model.predict_compile_us(&f), before);
        assert_eq!(model.interp_ns_per_insn(), PRIOR_INTERP_NS_PER_INSN);
        assert_eq!(model.native_ns_per_insn(), PRIOR_NATIVE_NS_PER_INSN);
        let e = model.error();
        assert_eq!(e.samples, 100);
        assert_eq!(e.mean_abs_us, 5000.0 - before);
        assert!((e.mean_rel - (5000.0 - before) / 5000.0).abs() < 1e-12);
    }

    #[test]
    fn error_is_measured_before_training() {
        let mut model = CostModel::new(CostModelKind::Learned);
        let f = features(40, 2, 10);
        let prior = model.predict_compile_us(&f);
        let actual = 300.0;
        model.observe_compile(&f, actual);
        let e = model.error();
        assert_eq!(e.samples, 1);
        assert_eq!(e.mean_abs_us, (prior - actual).abs());
        assert_eq!(e.mean_rel, (prior - actual).abs() / actual);
        // Training moved the prediction towards the sample, so an error
        // measured after training would have been smaller.
        let trained = model.predict_compile_us(&f);
        assert!((trained - actual).abs() < (prior - actual).abs());
        // The second sample is judged by the model trained on the first.
        model.observe_compile(&f, actual);
        let e = model.error();
        assert!((e.mean_abs_us * 2.0 - (prior - actual).abs() - (trained - actual).abs()).abs() < 1e-9);
    }

    #[test]
    fn absurd_translations_are_scored_but_not_learned_from() {
        let mut model = CostModel::new(CostModelKind::Learned);
        let f = features(40, 2, 10);
        let before = model.predict_compile_us(&f);
        let absurd = features(10_000_000, 2, 10);
        let predicted = model.predict_compile_us(&absurd);
        model.observe_compile(&absurd, 1.0);
        assert_eq!(model.error().samples, 1);
        assert_eq!(model.error().mean_abs_us, predicted - 1.0);
        assert_eq!(model.predict_compile_us(&f), before);
    }

    #[test]
    fn predictions_never_fall_below_the_floor() {
        let mut model = CostModel::new(CostModelKind::Learned);
        let mut rng = Rng(3);
        for _ in 0..2000 {
            let f = random_features(&mut rng);
            model.observe_compile(&f, 0.0);
        }
        for _ in 0..100 {
            let p = model.predict_compile_us(&random_features(&mut rng));
            assert!(p >= MIN_COMPILE_US, "{p}");
        }
        assert!(model.predict_compile_us(&Features::default()) >= MIN_COMPILE_US);
    }

    #[test]
    fn the_learned_model_learns_what_baseline_compiles_cost() {
        let mut fixed = CostModel::new(CostModelKind::Fixed);
        let mut learned = CostModel::new(CostModelKind::Learned);
        assert_eq!(learned.baseline_compile_ns(), PRIOR_BASELINE_COMPILE_NS);
        for _ in 0..200 {
            fixed.observe_baseline_compile(8_000);
            learned.observe_baseline_compile(8_000);
        }
        assert_eq!(fixed.baseline_compile_ns(), PRIOR_BASELINE_COMPILE_NS, "fixed constants");
        assert!((learned.baseline_compile_ns() - 8_000.0).abs() < 1e-6, "{}", learned.baseline_compile_ns());
        // Slower compiles (a loaded machine) raise it again.
        for _ in 0..200 {
            learned.observe_baseline_compile(40_000);
        }
        assert!(learned.baseline_compile_ns() > 39_000.0, "{}", learned.baseline_compile_ns());
    }

    #[test]
    fn rates_follow_observations_and_adapt_to_a_phase_change() {
        let mut model = CostModel::new(CostModelKind::Learned);
        for _ in 0..50 {
            model.observe_interp(1000, 20_000);
            model.observe_native(1000, 2_500);
        }
        assert!((model.interp_ns_per_insn() - 20.0).abs() < 1e-9);
        assert!((model.native_ns_per_insn() - 2.5).abs() < 1e-9);
        // A new phase: the interpreter runs at 5 ns per instruction.
        model.observe_interp(1000, 5_000);
        let one = model.interp_ns_per_insn();
        assert!(one < 20.0 && one > 15.0, "one sample moves the rate a little: {one}");
        let mut previous = one;
        for _ in 0..150 {
            model.observe_interp(1000, 5_000);
            let now = model.interp_ns_per_insn();
            assert!(now <= previous, "moves steadily towards the new rate");
            previous = now;
        }
        assert!((model.interp_ns_per_insn() / 5.0 - 1.0).abs() < 0.05, "{}", model.interp_ns_per_insn());
        // Bigger batches weigh more.
        let mut rate = Rate::new(1.0);
        rate.observe(10, 1000);
        rate.observe(10_000, 10_000);
        assert!(rate.get() < 1.2);
        // No instructions, no information.
        rate.observe(0, 1_000_000);
        assert!(rate.get() < 1.2);
    }

    #[test]
    fn saving_uses_the_rates() {
        let mut model = CostModel::new(CostModelKind::Learned);
        let f = features(40, 1, 10);
        assert_eq!(model.saving_per_exec_ns(&f), (PRIOR_INTERP_NS_PER_INSN - PRIOR_NATIVE_NS_PER_INSN) * 10.0);
        model.observe_interp(100, 1_200);
        model.observe_native(100, 200);
        assert!((model.saving_per_exec_ns(&f) - 100.0).abs() < 1e-9);
        let d = model.should_compile(&f, 1000.0);
        assert!((d.saving_us - 100.0).abs() < 1e-9);
        assert_eq!(d.cost_us, model.predict_compile_us(&f));
        assert_eq!(d.compile, d.saving_us > d.cost_us * DEFAULT_MARGIN);
        // Compiled code slower than the interpreter saves nothing.
        model.observe_native(1_000_000, 100_000_000);
        assert_eq!(model.saving_per_exec_ns(&f), 0.0);
        assert!(!model.should_compile(&f, 1e9).compile);
    }

    #[test]
    fn should_compile_is_monotone_in_expected_executions() {
        let mut rng = Rng(11);
        let mut learned = CostModel::new(CostModelKind::Learned);
        for _ in 0..200 {
            let f = random_features(&mut rng);
            learned.observe_compile(&f, true_cost_us(&f));
        }
        let models =
            [CostModel::new(CostModelKind::Fixed), learned, CostModel::new(CostModelKind::Learned).with_margin(0.0)];
        let mut execs = vec![f64::NAN, -1.0, 0.0, 0.5];
        execs.extend((0..60).map(|i| 1.5f64.powi(i)));
        execs.extend([1e15, f64::MAX, f64::INFINITY]);
        for model in &models {
            for _ in 0..50 {
                let f = random_features(&mut rng);
                let mut yes = false;
                let mut saving = 0.0;
                for &n in &execs {
                    let d = model.should_compile(&f, n);
                    assert!(!yes || d.compile, "{f:?}: yes turned to no at {n} executions");
                    assert!(d.saving_us >= saving, "saving shrank at {n}");
                    yes = d.compile;
                    saving = d.saving_us;
                }
                assert!(!model.should_compile(&f, 0.0).compile, "never compile code that will not run");
                assert!(yes, "compile code that runs forever");
            }
        }
    }

    #[test]
    fn extreme_inputs_give_no_nan_or_infinity() {
        let huge = Features {
            ops: u64::MAX,
            mem_ops: u64::MAX,
            branches: u64::MAX,
            helper_calls: u64::MAX,
            blocks: u64::MAX,
            insns: u64::MAX,
        };
        let zero = Features::default();
        for kind in [CostModelKind::Fixed, CostModelKind::Learned] {
            let mut model = CostModel::new(kind);
            let finite = |model: &CostModel| {
                for f in [&zero, &huge] {
                    for n in [0.0, 1.0, f64::MAX, f64::INFINITY, f64::NAN] {
                        let d = model.should_compile(f, n);
                        assert!(d.cost_us.is_finite() && d.cost_us >= MIN_COMPILE_US, "{kind}: {d:?}");
                        assert!(d.saving_us.is_finite() && d.saving_us >= 0.0, "{kind}: {d:?}");
                    }
                    assert!(model.saving_per_exec_ns(f).is_finite());
                }
                assert!(model.interp_ns_per_insn().is_finite() && model.native_ns_per_insn().is_finite());
                let e = model.error();
                assert!(e.mean_abs_us.is_finite() && e.mean_rel.is_finite(), "{kind}: {e:?}");
            };
            finite(&model);
            for actual in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::MAX, 1e-300, 50.0] {
                model.observe_compile(&zero, actual);
                model.observe_compile(&huge, actual);
                finite(&model);
            }
            for (insns, ns) in [(0, 0), (0, u64::MAX), (u64::MAX, 0), (u64::MAX, u64::MAX), (1, u64::MAX), (1, 0)] {
                model.observe_interp(insns, ns);
                model.observe_native(insns, ns);
                finite(&model);
            }
            // Still sane after all that: training on ordinary compiles
            // brings ordinary predictions back.
            let mut rng = Rng(5);
            for _ in 0..1000 {
                let f = random_features(&mut rng);
                model.observe_compile(&f, true_cost_us(&f));
            }
            let f = features(100, 4, 25);
            let p = model.predict_compile_us(&f);
            assert!(p.is_finite() && p >= MIN_COMPILE_US, "{kind}: {p}");
            if kind == CostModelKind::Learned {
                assert!((p / true_cost_us(&f) - 1.0).abs() < 0.05, "{p} vs {}", true_cost_us(&f));
            }
        }
    }
}
