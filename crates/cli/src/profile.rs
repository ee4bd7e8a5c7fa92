//! `--profile FILE`: the guest profiler's report. The engine samples every
//! guest thread (`ferrovm_engine::profile`); this writes, at exit, FILE (the
//! hottest guest functions with their share of the samples, by symbol from
//! the program's and its libraries' symbol tables) and `FILE.folded` (one
//! line per sampled call stack, `outer;...;leaf COUNT`, the input of
//! flamegraph.pl, inferno and speedscope).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ferrovm_engine::GuestSymbols;
use ferrovm_engine::profile::Profile;
use ferrovm_linux::Symbols;

/// The profiling options.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ProfileArgs {
    /// Profile the guest: sample each guest thread's pc and call stack
    /// (by frame pointer) on a timer of its CPU time, and write the hottest
    /// functions to FILE and the call stacks to FILE.folded (for flame
    /// graphs) when the program ends.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Samples per second of each thread's CPU time for --profile
    /// [default: 1000].
    #[arg(long, value_name = "HZ", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub profile_hz: Option<u32>,
    /// Write /tmp/perf-PID.map, so `perf report` names compiled code by
    /// guest function (`riscv64:main+0x1c`) [also $FERROVM_PERF_MAP].
    #[arg(long)]
    pub perf_map: bool,
    /// Write DIR/jit-PID.dump, the jitdump `perf inject --jit` reads, so
    /// `perf annotate` shows the host code of each guest function (record
    /// with `perf record -k mono`).
    #[arg(long, value_name = "DIR")]
    pub jitdump: Option<PathBuf>,
}

/// The name of the function holding guest `pc`: its symbol, else
/// `module+0xoff`, else the address.
fn function_of(symbols: &Symbols, pc: u64) -> String {
    if let Some((name, _)) = symbols.lookup(pc) {
        return name;
    }
    match symbols.module_of(pc) {
        Some((module, off)) => format!("{module}+{off:#x}"),
        None => format!("{pc:#x}"),
    }
}

/// The report and the folded stacks of `profile`.
pub fn render(profile: &Profile, symbols: &Symbols) -> (String, String) {
    let total = profile.samples.max(1);
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut name = |pc: u64| names.entry(pc).or_insert_with(|| function_of(symbols, pc)).clone();
    let mut self_counts: HashMap<String, u64> = HashMap::new();
    let mut incl_counts: HashMap<String, u64> = HashMap::new();
    let mut folded: HashMap<String, u64> = HashMap::new();
    for (stack, n) in &profile.stacks {
        let frames: Vec<String> = stack.iter().map(|&pc| name(pc)).collect();
        if let Some(leaf) = frames.first() {
            *self_counts.entry(leaf.clone()).or_default() += n;
        }
        let mut seen: Vec<&String> = Vec::new();
        for f in &frames {
            if !seen.contains(&f) {
                seen.push(f);
                *incl_counts.entry(f.clone()).or_default() += n;
            }
        }
        let line: Vec<&str> = frames.iter().rev().map(String::as_str).collect();
        *folded.entry(line.join(";")).or_default() += n;
    }
    let sorted = |m: HashMap<String, u64>| {
        let mut v: Vec<(String, u64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    let pct = |n: u64| 100.0 * n as f64 / total as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# ferrovm guest profile: {} samples (a timer of {} Hz on each guest thread's CPU time), {:.1}% in compiled code",
        profile.samples,
        profile.hz,
        pct(profile.in_compiled_code)
    );
    let _ = writeln!(
        out,
        "# taking a sample cost {:.1} us in ferrovm (stack walk and count; the signal and the exit from compiled code come on top)",
        profile.sampling_time.as_secs_f64() * 1e6 / total as f64
    );
    let _ = writeln!(out, "# hottest functions by samples with the pc in them (self)");
    let _ = writeln!(out, "# {:>6}  {:>8}  function", "self%", "samples");
    for (f, n) in sorted(self_counts).iter().take(50) {
        let _ = writeln!(out, "  {:>6.2}%  {n:>8}  {f}", pct(*n));
    }
    let _ = writeln!(out, "#\n# functions by samples with them on the stack (self and callees; frame-pointer walk)");
    let _ = writeln!(out, "# {:>6}  {:>8}  function", "total%", "samples");
    for (f, n) in sorted(incl_counts).iter().take(50) {
        let _ = writeln!(out, "  {:>6.2}%  {n:>8}  {f}", pct(*n));
    }
    let mut folded_text = String::new();
    for (line, n) in sorted(folded) {
        let _ = writeln!(folded_text, "{line} {n}");
    }
    (out, folded_text)
}

/// `FILE.folded` beside FILE.
pub fn folded_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".folded");
    PathBuf::from(p)
}

/// Writes the report to `path` and the folded stacks beside it.
pub fn write(path: &Path, profile: &Profile, symbols: &Symbols) -> anyhow::Result<()> {
    let (report, folded) = render(profile, symbols);
    std::fs::write(path, report).with_context(|| format!("--profile: cannot write {}", path.display()))?;
    let fpath = folded_path(path);
    std::fs::write(&fpath, folded).with_context(|| format!("--profile: cannot write {}", fpath.display()))
}
