//! `ferrovm-bench`: ferrovm's benchmark harness and performance validator.
//!
//! Runs the workload suite in `benches/workloads/` under ferrovm's engines,
//! `qemu-riscv64` and a native x86-64 build of the same C sources (made
//! here with the host gcc), checks every output against the native one, and
//! reports median wall time, user+sys time, peak RSS, ratios to native and
//! to qemu and their geomeans — on the terminal, as JSON and as an SVG
//! chart. A run whose output is wrong gets no number; an engine that is not
//! available is reported as missing.
//!
//! ```text
//! cargo build --release -p ferrovm-cli
//! cargo run --release -p ferrovm-bench -- --quick                # every engine, small sizes, 1 run
//! cargo run --release -p ferrovm-bench -- --runs 3 --json r.json --plot r.svg
//! cargo run --release -p ferrovm-bench -- --quick --validate     # the CI check
//! ```
//!
//! Exit status: 0 when every run was right, 1 when any was wrong (or, with
//! `--validate`, any configuration disagreed or a `--require`d engine was
//! missing), 2 when the harness itself failed.

mod check;
mod engine;
mod help;
mod measure;
mod plot;
mod report;
mod stats;
mod suite;
mod validate;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::{Engine, Ferrovm};
use crate::measure::Scratch;
use crate::report::{Machine, Report};
use crate::suite::{Plan, Progress};

/// Benchmark harness for ferrovm: workloads under ferrovm, qemu-riscv64 and
/// native builds, with every output checked.
#[derive(Parser, Debug)]
#[command(name = "ferrovm-bench", version, about)]
struct Args {
    /// Engines to run, in report order: native, qemu, qemu10, interp,
    /// jit, tiered (`qemu10`: a newer qemu-riscv64, `--qemu10`; the
    /// "vs qemu" ratios are against `qemu`).
    /// A ferrovm engine may carry extra `ferrovm run` arguments after colons
    /// (`tiered:--compile-threads=0`), environment variables of its runs
    /// the same way (`tiered:FERROVM_X=1`), and another ferrovm binary
    /// after an `@` (`tiered@/old/ferrovm`), to compare configurations or
    /// builds in one run.
    /// Unavailable ones are reported as missing.
    #[arg(long, default_value = "native,qemu,interp,jit,tiered")]
    engines: String,
    /// Only workloads whose name contains one of these comma-separated words.
    #[arg(long)]
    filter: Option<String>,
    /// Runs per workload and engine (default 3, or 1 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Small sizes (each workload's quick argument) and 1 run.
    #[arg(long)]
    quick: bool,
    /// Write the report as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an SVG chart of the ratios to native.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Write the tables as Markdown (what README.md shows).
    #[arg(long, value_name = "FILE.md")]
    markdown: Option<PathBuf>,
    /// The ferrovm binary.
    #[arg(long, value_name = "PATH")]
    ferrovm: Option<PathBuf>,
    /// The qemu-riscv64 binary (default: from PATH).
    #[arg(long, value_name = "PATH")]
    qemu: Option<PathBuf>,
    /// The `qemu10` engine's qemu-riscv64, a newer one than Debian 12's
    /// 7.2 (default: target/qemu-10/qemu-riscv64, where
    /// tests/qemu/fetch.sh puts QEMU 10).
    #[arg(long, value_name = "PATH")]
    qemu10: Option<PathBuf>,
    /// Host C compiler for the native builds.
    #[arg(long, default_value = "gcc")]
    cc: String,
    /// The workload directory (manifest.txt, src/, bin/).
    #[arg(long, value_name = "DIR")]
    workloads: Option<PathBuf>,
    /// Kill a run after this many seconds (it is then reported as wrong).
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// Validation mode: every workload under every engine and every
    /// configuration switch of `ferrovm run`; all outputs must agree.
    /// Workloads tagged [no-validate] in manifest.txt are left out unless
    /// --filter selects them.
    #[arg(long)]
    validate: bool,
    /// With --validate: an extra configuration for each ferrovm engine,
    /// e.g. 'FERROVM_X=1 --code-cache-size=65536' (repeatable; a value that
    /// starts with `--` needs the `--config=...` form).
    #[arg(long = "config", value_name = "ARGS")]
    configs: Vec<String>,
    /// With --validate: fail if any of these engines is missing.
    #[arg(long, value_name = "LIST")]
    require: Option<String>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, workload: &str, engine: &str, run: usize, runs: usize) {
        self.0.set_message(format!("{workload} under {engine} (run {run}/{runs})"));
    }
    fn finish_one(&self) {
        self.0.inc(1);
    }
}

fn progress_bar(total: u64) -> Bar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    Bar(bar)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("ferrovm-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A private copy of the ferrovm binary at `path` under `target` (the
/// `n`-th of this run), or `path` itself if it cannot be copied (the
/// probe then reports it missing).
fn snapshot_of(path: &Path, target: &Path, n: &mut usize) -> PathBuf {
    let snapshot = target.join(if *n == 0 { "ferrovm".to_string() } else { format!("ferrovm-{n}") });
    *n += 1;
    match std::fs::copy(path, &snapshot) {
        Ok(_) => snapshot,
        Err(_) => path.to_path_buf(),
    }
}

/// Returns whether everything was right.
fn run(args: Args) -> anyhow::Result<bool> {
    let root = workspace_root();
    let dir = args.workloads.clone().unwrap_or_else(|| root.join("benches/workloads"));
    let target = root.join("target/ferrovm-bench");
    let scratch = Scratch::new(&target.join("tmp"))?;
    let workloads = workload::filter(workload::load_manifest(&dir)?, args.filter.as_deref())?;
    let (workloads, skipped) =
        if args.validate { workload::for_validation(workloads, args.filter.is_some()) } else { (workloads, vec![]) };
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let names = engine::parse_list(&args.engines)?;

    eprintln!("ferrovm-bench: building {} native workloads with {}", workloads.len(), args.cc);
    let natives = workloads
        .iter()
        .map(|w| workload::build_native(&args.cc, w, &target.join("native")))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Other builds may replace target/release/ferrovm while a long run goes
    // on: every run of this invocation uses one private copy.
    let ferrovm_path = args.ferrovm.clone().unwrap_or_else(|| root.join("target/release/ferrovm"));
    let mut snapshots = 0;
    let ferrovm = Ferrovm::probe(&snapshot_of(&ferrovm_path, &target, &mut snapshots));
    // Availability probe: the shortest workload, at its quick size.
    let probe_dir = workload::load_manifest(&dir)?;
    let probe = probe_dir.iter().find(|w| w.name == "hello").or(probe_dir.first());
    let wants = |n: &str| names.iter().any(|x| x == n);
    let qemu10 = || engine::qemu10(&args.qemu10.clone().unwrap_or_else(|| engine::qemu10_default(&root)));
    let qemus: Vec<Engine> = [wants("qemu").then(|| engine::qemu(args.qemu.as_deref())), wants("qemu10").then(qemu10)]
        .into_iter()
        .flatten()
        .collect();

    let (engines, notes) = if args.validate {
        let ferrovm_engines: Vec<String> =
            names.iter().filter(|n| engine::FERROVM.contains(&n.as_str())).cloned().collect();
        if names.iter().any(|n| n.contains(':') || n.contains('@')) {
            anyhow::bail!(
                "--validate takes plain engine names; give extra arguments with --config (and another binary with --ferrovm)"
            );
        }
        let (configs, notes) = validate::configurations(&ferrovm, &ferrovm_engines, &args.configs);
        (validate::engines(&ferrovm, &configs, qemus, probe, &scratch), notes)
    } else {
        let engines = names
            .iter()
            .map(|n| match n.as_str() {
                "native" => engine::native(),
                "qemu" => engine::qemu(args.qemu.as_deref()),
                "qemu10" => qemu10(),
                spec => {
                    let spec = engine::split_spec(spec);
                    match spec.binary {
                        Some(binary) => {
                            let other = snapshot_of(Path::new(binary), &target, &mut snapshots);
                            let mut other = Ferrovm::probe(&other);
                            other.tag = Some(binary.to_string());
                            other.engine(spec.name, &spec.args, &spec.env, probe, &scratch)
                        }
                        None => ferrovm.engine(spec.name, &spec.args, &spec.env, probe, &scratch),
                    }
                }
            })
            .collect();
        (engines, vec![])
    };
    for e in &engines {
        match &e.availability {
            engine::Availability::Available => eprintln!("ferrovm-bench: engine {:<28} available", e.name),
            engine::Availability::Missing(why) => eprintln!("ferrovm-bench: engine {:<28} MISSING: {why}", e.name),
        }
    }
    for n in &notes {
        eprintln!("ferrovm-bench: {n}");
    }

    let plan = Plan {
        workloads: &workloads,
        natives: &natives,
        engines: &engines,
        runs: if args.validate { args.runs.unwrap_or(1).max(1) } else { runs },
        quick: args.quick,
        timeout: Duration::from_secs(args.timeout),
    };
    eprintln!("ferrovm-bench: native reference runs");
    let expected = plan.references(&scratch)?;
    let bar = progress_bar(plan.total_runs());
    let results = plan.run(&expected, &scratch, &bar)?;
    bar.0.finish_and_clear();

    let command = std::iter::once("cargo run --release -p ferrovm-bench --".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let report = Report::new(&results, Machine::detect(), command, plan.runs, args.quick);
    let mut all_right = report.wrong.is_empty();
    if args.validate {
        print!("{}", validation_text(&report, &skipped));
        if let Some(req) = &args.require {
            for name in req.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                for e in report.engines.iter().filter(|e| e.name.split(' ').next() == Some(name)) {
                    if let Some(why) = &e.missing {
                        println!("REQUIRED engine {} is missing: {why}", e.name);
                        all_right = false;
                    }
                }
                if !report.engines.iter().any(|e| e.name.split(' ').next() == Some(name)) {
                    println!("REQUIRED engine {name} was not run (add it to --engines)");
                    all_right = false;
                }
            }
        }
        println!("{}", if all_right { "validate: all outputs agree" } else { "validate: FAILED" });
    } else {
        print!("{}", report.to_text());
    }
    if let Some(path) = &args.json {
        std::fs::write(path, report.to_json() + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report.to_markdown()).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.plot {
        plot::write_svg(&report, path)?;
    }
    Ok(all_right)
}

/// One line per configuration: how many workloads agree with native; a
/// line naming the workloads left out.
fn validation_text(report: &Report, skipped: &[workload::Workload]) -> String {
    let mut s = format!("{}\n\n", report.header());
    if !skipped.is_empty() {
        let names: Vec<&str> = skipped.iter().map(|w| w.name.as_str()).collect();
        s.push_str(&format!(
            "SKIPPED  {}: tagged [{}] in manifest.txt (--filter selects them)\n",
            names.join(", "),
            workload::TAG_NO_VALIDATE
        ));
    }
    let n = report.workloads.len();
    for (ei, e) in report.engines.iter().enumerate() {
        if let Some(why) = &e.missing {
            s.push_str(&format!("MISSING  {:<40} {why}\n", e.name));
            continue;
        }
        let count = |status: &str| report.workloads.iter().filter(|w| w.results[ei].status == status).count();
        let (ok, missing) = (count("ok"), count("missing"));
        // A workload the engine cannot run (qemu-riscv64 7.2 and the vector
        // crypto extensions) is reported as missing, not wrong.
        let verdict = if ok + missing == n { "ok" } else { "WRONG" };
        let not_run = if missing > 0 { format!(" ({missing} it cannot run)") } else { String::new() };
        s.push_str(&format!("{verdict:<8} {:<40} {ok}/{n} workloads agree with native{not_run}\n", e.name));
    }
    for w in &report.wrong {
        s.push_str(&format!("WRONG: {} under {}: {}\n", w.workload, w.engine, w.reason));
    }
    s
}
