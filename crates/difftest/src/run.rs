//! Running batches under the oracle (qemu-riscv64) and the subject (ferrovm)
//! and comparing the dumps.

use crate::elf::{self, SLOTS, Side};
use crate::generator::{Case, case_seed};
use crate::isa::rm_name;
use crate::known;
use crate::oracle::Oracle;
use anyhow::{Context, Result};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A program to run: the image, and the same image as a file.
pub struct Program<'a> {
    pub elf: &'a [u8],
    pub path: &'a Path,
}

/// How long a run may go without writing to stdout before it counts as
/// hung ([`Exit::Timeout`]); see [`Subprocess::stall_timeout`].
///
/// Every case writes its record when it ends, so this bounds one case, not
/// a batch: a batch is as long as it needs while it makes progress. One
/// case takes milliseconds (the slowest configuration, `--engine=jit
/// --hot-threshold=1 --compile-threads=0`, compiles each block as an
/// optimized region first: about 20 ms a case on an idle machine, 200 ms
/// at most), so 30 s is a hundred times that and more: a machine loaded
/// tenfold still finishes every case well inside it, and a real hang
/// (an endless loop, a deadlock) is still found in half a minute.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Killed after writing nothing for this long (the stall timeout).
    Timeout {
        stalled: Duration,
    },
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(s) => write!(f, "killed by signal {s}"),
            Exit::Timeout { stalled } => write!(f, "timed out (no output for {} s)", stalled.as_secs()),
        }
    }
}

/// What a run produced.
pub struct RunOutput {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub exit: Exit,
}

/// Something that runs a riscv64 program. A subprocess today; an in-process
/// ferrovm library call can implement this later.
pub trait Runner: Send + Sync {
    fn name(&self) -> &str;
    /// Runs the program; `Err` only when the host failed to run it at all.
    fn run(&self, program: &Program<'_>) -> Result<RunOutput>;
}

/// A runner that executes `program args... FILE`.
pub struct Subprocess {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The run is killed ([`Exit::Timeout`]) when it has written nothing to
    /// stdout for this long ([`STALL_TIMEOUT`] by default): a case that
    /// does not end, whatever the batch's length.
    pub stall_timeout: Duration,
}

impl Subprocess {
    /// `qemu-riscv64` with V 1.0 at `vlen`, for vector cases of that VLEN.
    pub fn qemu_vector(vlen: u32) -> Option<Subprocess> {
        Subprocess::oracle(Oracle::Qemu72, Some(vlen))
    }

    /// `qemu-riscv64` (or `$FERROVM_QEMU`), with every extension the
    /// generator uses switched on explicitly.
    pub fn qemu() -> Option<Subprocess> {
        Subprocess::oracle(Oracle::Qemu72, None)
    }

    /// The QEMU of `oracle` ([`Oracle::binary`]) with its `-cpu` for scalar
    /// cases (`vlen: None`) or vector cases at `vlen` ([`Oracle::cpu`]);
    /// `None` if the binary is not there.
    pub fn oracle(oracle: Oracle, vlen: Option<u32>) -> Option<Subprocess> {
        Some(Subprocess {
            name: match oracle {
                Oracle::Qemu72 => "qemu".to_string(),
                Oracle::Qemu10 => "qemu10".to_string(),
            },
            program: oracle.binary()?,
            args: vec!["-cpu".into(), oracle.cpu(vlen)],
            stall_timeout: STALL_TIMEOUT,
        })
    }

    /// `ferrovm run`: `$FERROVM_BIN`, else the newer of
    /// `<target>/release/ferrovm` and `<target>/debug/ferrovm`.
    pub fn ferrovm() -> Option<Subprocess> {
        let program = match std::env::var_os("FERROVM_BIN") {
            Some(p) => PathBuf::from(p),
            None => {
                let target = std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
                ["release", "debug"]
                    .iter()
                    .map(|p| target.join(p).join("ferrovm"))
                    .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
                    .max()?
                    .1
            }
        };
        program.is_file().then(|| Subprocess {
            name: "ferrovm".to_string(),
            program,
            args: vec!["run".into()],
            stall_timeout: STALL_TIMEOUT,
        })
    }
}

impl Runner for Subprocess {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&self, program: &Program<'_>) -> Result<RunOutput> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg(program.path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("spawning {}", self.program.display()))?;
        let mut out = child.stdout.take().context("stdout")?;
        let mut err = child.stderr.take().context("stderr")?;
        // Bytes read from stdout so far: progress (see `STALL_TIMEOUT`).
        let progress = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&progress);
        let out_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match out.read(&mut buf) {
                    Ok(0) => break Ok(v),
                    Ok(n) => {
                        v.extend_from_slice(&buf[..n]);
                        seen.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            }
        });
        let err_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            err.read_to_end(&mut v).map(|_| v)
        });
        let (mut read, mut last) = (0, Instant::now());
        let mut nap = Duration::from_micros(200);
        let exit = loop {
            if let Some(status) = child.try_wait()? {
                use std::os::unix::process::ExitStatusExt;
                break match (status.code(), status.signal()) {
                    (Some(c), _) => Exit::Code(c),
                    (None, Some(s)) => Exit::Signal(s),
                    (None, None) => Exit::Code(-1),
                };
            }
            let now = progress.load(Ordering::Relaxed);
            if now != read {
                (read, last) = (now, Instant::now());
            } else if last.elapsed() > self.stall_timeout {
                let _ = child.kill();
                let _ = child.wait();
                break Exit::Timeout { stalled: self.stall_timeout };
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(5));
        };
        let stdout = out_t.join().map_err(|_| anyhow::anyhow!("stdout reader panicked"))??;
        let stderr = err_t.join().map_err(|_| anyhow::anyhow!("stderr reader panicked"))??;
        Ok(RunOutput { stdout, stderr: String::from_utf8_lossy(&stderr).into_owned(), exit })
    }
}

/// One case's dump: registers and scratch memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub scratch: Vec<u8>,
    /// Slot 0 = fcsr, 1..=31 = x1..x31, 32..=63 = f0..f31.
    pub slots: [u64; SLOTS],
}

/// The complete records in a run's stdout, each `SLOTS * 8` bytes of
/// registers and then `scratch_bytes` of scratch memory (every case of a
/// batch has the same: [`crate::generator::SCRATCH_BYTES`], or
/// [`crate::vector::scratch_bytes`] of the campaign's VLEN).
pub fn parse(stdout: &[u8], scratch_bytes: usize) -> Vec<Record> {
    stdout
        .chunks_exact(SLOTS * 8 + scratch_bytes)
        .map(|r| {
            let (regs, scratch) = r.split_at(SLOTS * 8);
            let mut slots = [0u64; SLOTS];
            for (s, b) in slots.iter_mut().zip(regs.chunks_exact(8)) {
                *s = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            }
            Record { scratch: scratch.to_vec(), slots }
        })
        .collect()
}

/// One differing location.
#[derive(Clone, Debug)]
pub struct Diff {
    pub what: String,
    pub oracle: u64,
    pub subject: u64,
}

/// Name of dump slot `k`.
pub fn slot_name(k: usize) -> String {
    match k {
        0 => "fcsr".to_string(),
        1..=31 => format!("x{k}"),
        _ => format!("f{}", k - 32),
    }
}

/// Location-by-location differences between two records.
pub fn compare(oracle: &Record, subject: &Record) -> Vec<Diff> {
    let mut diffs = Vec::new();
    for k in (1..SLOTS).chain([0]) {
        if oracle.slots[k] != subject.slots[k] {
            diffs.push(Diff { what: slot_name(k), oracle: oracle.slots[k], subject: subject.slots[k] });
        }
    }
    for (off, (a, b)) in oracle.scratch.chunks_exact(8).zip(subject.scratch.chunks_exact(8)).enumerate() {
        if a != b {
            let word = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
            diffs.push(Diff { what: format!("mem[{:#x}]", off * 8), oracle: word(a), subject: word(b) });
        }
    }
    diffs
}

/// `0x… (rdn, NV NX)`.
pub fn describe_fcsr(v: u64) -> String {
    let mut flags = Vec::new();
    for (bit, name) in [(4, "NV"), (3, "DZ"), (2, "OF"), (1, "UF"), (0, "NX")] {
        if v & (1 << bit) != 0 {
            flags.push(name);
        }
    }
    format!(
        "{v:#x} (frm={}, flags={})",
        rm_name(((v >> 5) & 7) as u8),
        if flags.is_empty() { "-".into() } else { flags.join(" ") }
    )
}

/// An FP register value with its reading as binary32 (if boxed) or binary64.
pub fn describe_freg(v: u64) -> String {
    if v >> 32 == 0xffff_ffff {
        format!("{v:#018x} (f32 {:e})", f32::from_bits(v as u32))
    } else {
        format!("{v:#018x} (f64 {:e})", f64::from_bits(v))
    }
}

fn describe(what: &str, v: u64) -> String {
    if what == "fcsr" {
        describe_fcsr(v)
    } else if what.starts_with('f') {
        describe_freg(v)
    } else {
        format!("{v:#018x}")
    }
}

/// How the subject disagreed with the oracle on one case.
#[derive(Clone, Debug)]
pub enum Mismatch {
    Values(Vec<Diff>),
    /// The subject stopped (crashed, exited, hung) inside this case.
    Stopped {
        exit: Exit,
        stderr: String,
    },
}

/// A case on which the two machines disagree.
#[derive(Clone, Debug)]
pub struct Divergence {
    pub case: Case,
    pub oracle: String,
    pub subject: String,
    pub mismatch: Mismatch,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.case;
        writeln!(f, "DIVERGENCE: case seed {:#018x}", c.seed)?;
        let mut flags = String::new();
        if c.oracle != Oracle::default() {
            flags.push_str(&format!(" --oracle {}", c.oracle));
        }
        if c.code.iter().any(|i| matches!(i, crate::generator::Insn::Word(_))) {
            flags.push_str(&format!(" --vector --vlen {}", c.scratch.len() / 4));
        }
        if c.iterations > 1 {
            flags.push_str(&format!(" --loop {}", c.iterations));
        }
        writeln!(f, "replay: cargo run -p ferrovm-difftest --release -- --replay {:#x}{flags}", c.seed)?;
        writeln!(f, "sequence:")?;
        write!(f, "{}", c.listing())?;
        writeln!(f, "initial state: fcsr = {}", describe_fcsr(c.fcsr))?;
        for row in 0..8 {
            let regs: Vec<String> = (0..4)
                .map(|k| row * 4 + k)
                .filter(|&k| k != 0 && k != 27)
                .map(|k| format!("x{k:<2}={:#018x}", c.x[k]))
                .collect();
            writeln!(f, "  {}", regs.join(" "))?;
        }
        for row in 0..16 {
            let regs: Vec<String> =
                (0..2).map(|k| row * 2 + k).map(|k| format!("f{k:<2}={}", describe_freg(c.f[k]))).collect();
            writeln!(f, "  {}", regs.join("  "))?;
        }
        match &self.mismatch {
            Mismatch::Values(diffs) => {
                writeln!(f, "differences ({} vs {}):", self.oracle, self.subject)?;
                for d in diffs {
                    writeln!(f, "  {:<10} {}: {}", d.what, self.oracle, describe(&d.what, d.oracle))?;
                    writeln!(f, "  {:<10} {}: {}", "", self.subject, describe(&d.what, d.subject))?;
                }
            }
            Mismatch::Stopped { exit, stderr } => {
                writeln!(f, "{} completed the case; {} stopped in it: {exit}", self.oracle, self.subject)?;
                for line in stderr.lines().take(20) {
                    writeln!(f, "  | {line}")?;
                }
            }
        }
        Ok(())
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub seed: u64,
    /// The first case run: the campaign runs cases `first..cases`, so a
    /// campaign stopped part way can be finished on its own seed.
    pub first: u64,
    /// Number of cases; case `i` has seed `case_seed(seed, i)`.
    pub cases: u64,
    pub batch: usize,
    pub jobs: usize,
    /// Stop collecting divergence reports after this many (still counting).
    pub max_reports: usize,
    pub progress: bool,
    /// Vector cases ([`Case::generate_vector`]) at this VLEN (one of
    /// [`crate::vector::VLENS`]) instead of scalar ones.
    pub vector: Option<u32>,
    /// Times each case's sequence runs, in a loop ([`Case::iterations`]).
    pub iterations: u32,
    /// The QEMU the cases are made for ([`Case::oracle`]): what the
    /// generator may emit.
    pub oracle: Oracle,
}

/// What a campaign found.
#[derive(Debug, Default)]
pub struct Summary {
    pub cases: u64,
    /// Cases compared against the subject (0 without one).
    pub compared: u64,
    pub divergences: u64,
    /// Of the divergences, how many are the subject timing out in a case
    /// ([`Exit::Timeout`]; also counted in `divergences`).
    pub timeouts: u64,
    pub reports: Vec<Divergence>,
    /// Cases that relied on a documented QEMU-bug workaround (a substitution
    /// or an excused difference), by name.
    pub known_qemu: Vec<(&'static str, u64)>,
    /// Problems with the harness itself (the oracle failed to run a case).
    pub harness_errors: Vec<String>,
}

impl Summary {
    fn note_known(&mut self, name: &'static str) {
        match self.known_qemu.iter_mut().find(|(n, _)| *n == name) {
            Some((_, k)) => *k += 1,
            None => self.known_qemu.push((name, 1)),
        }
    }
}

/// Runs a campaign: generates, runs and compares all cases, `jobs` batches at
/// a time. Without a subject only the oracle runs (checking the harness).
pub fn run_campaign(c: &Campaign, oracle: &dyn Runner, subject: Option<&dyn Runner>) -> Result<Summary> {
    // A directory of this campaign's own: campaigns run in parallel
    // (tests), and each removes its directory when done, which would pull
    // a shared one from under another's next batch.
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let tag = RUN.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ferrovm-difftest-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let batches = batch_count(c);
    let next = AtomicU64::new(0);
    let summary = Mutex::new(Summary { cases: c.cases.saturating_sub(c.first), ..Summary::default() });
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..c.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if b >= batches {
                        break;
                    }
                    let (lo, hi) = batch_range(c, b);
                    let make = |seed| match c.vector {
                        Some(vlen) => Case::generate_vector_for(seed, vlen, c.oracle),
                        None => Case::generate_for(seed, c.oracle),
                    };
                    let cases: Vec<Case> =
                        (lo..hi).map(|i| Case { iterations: c.iterations, ..make(case_seed(c.seed, i)) }).collect();
                    let path = dir.join(format!("b{b}.elf"));
                    if let Err(e) = run_batch(&cases, &path, oracle, subject, c.max_reports, &summary) {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        break;
                    }
                    if c.progress && (b + 1).is_multiple_of(50) {
                        let s = summary.lock().unwrap_or_else(|p| p.into_inner());
                        eprintln!("  … batch {}/{batches}: {} divergences so far", b + 1, s.divergences);
                    }
                }
            });
        }
    });
    let _ = std::fs::remove_dir(&dir);
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    Ok(summary.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// How many batches campaign `c` runs.
fn batch_count(c: &Campaign) -> u64 {
    c.cases.saturating_sub(c.first).div_ceil(c.batch.max(1) as u64)
}

/// The cases of batch `b` of campaign `c`: `lo..hi`.
fn batch_range(c: &Campaign, b: u64) -> (u64, u64) {
    let lo = c.first + b * c.batch.max(1) as u64;
    (lo, (lo + c.batch.max(1) as u64).min(c.cases))
}

/// Writes `image` to `path` with mode 0755 (qemu-user refuses to load a
/// file without execute permission).
fn write_executable(path: &Path, image: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, image).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("chmod {}", path.display()))
}

/// Runs the given cases (e.g. one, to replay it) as one batch.
pub fn run_cases(
    cases: &[Case],
    oracle: &dyn Runner,
    subject: Option<&dyn Runner>,
    max_reports: usize,
) -> Result<Summary> {
    // A file of this call's own: calls run in parallel (tests), and a
    // machine may read the program for as long as it runs (ferrovm maps
    // its segments from the file, as Linux does).
    static CALL: AtomicUsize = AtomicUsize::new(0);
    let call = CALL.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("ferrovm-difftest-{}-{call}-cases.elf", std::process::id()));
    let summary = Mutex::new(Summary { cases: cases.len() as u64, ..Summary::default() });
    let ran = run_batch(cases, &path, oracle, subject, max_reports, &summary);
    let _ = std::fs::remove_file(&path);
    ran?;
    Ok(summary.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// Runs `cases` as one program (re-running the rest after a case that stops
/// either machine) and records the outcome in `summary`.
fn run_batch(
    cases: &[Case],
    path: &Path,
    oracle: &dyn Runner,
    subject: Option<&dyn Runner>,
    max_reports: usize,
    summary: &Mutex<Summary>,
) -> Result<()> {
    let Some(first) = cases.first() else { return Ok(()) };
    let scratch_bytes = first.scratch.len();
    anyhow::ensure!(
        cases.iter().all(|c| c.scratch.len() == scratch_bytes),
        "a batch's cases must have scratch buffers of one size (one VLEN)"
    );
    let mut start = 0;
    while start < cases.len() {
        let rest = &cases[start..];
        let image = elf::build(rest, Side::Oracle);
        write_executable(path, &image)?;
        let q = oracle.run(&Program { elf: &image, path })?;
        let q_recs = parse(&q.stdout, scratch_bytes);
        let s = match subject {
            Some(r) if rest.iter().any(|c| c.oracle_code.is_some()) => {
                let image = elf::build(rest, Side::Subject);
                write_executable(path, &image)?;
                Some(r.run(&Program { elf: &image, path })?)
            }
            Some(r) => Some(r.run(&Program { elf: &image, path })?),
            None => None,
        };
        let _ = std::fs::remove_file(path);

        // The oracle must run every case; if not, the generator broke a rule.
        let q_done = q_recs.len().min(rest.len());
        let mut sum = summary.lock().unwrap_or_else(|p| p.into_inner());
        let mut stop = rest.len();
        if q_done < rest.len() || q.exit != Exit::Code(0) {
            let k = q_done.min(rest.len() - 1);
            sum.harness_errors.push(format!(
                "{} did not complete case seed {:#x} ({}, {} of {} records):\n{}{}",
                oracle.name(),
                rest[k].seed,
                q.exit,
                q_recs.len(),
                rest.len(),
                rest[k].listing(),
                q.stderr
            ));
            stop = k;
        }
        if let (Some(s), Some(r)) = (s, subject) {
            let s_recs = parse(&s.stdout, scratch_bytes);
            let n = s_recs.len().min(q_done);
            for k in 0..n {
                sum.compared += 1;
                for name in known::substitutions(&rest[k]) {
                    sum.note_known(name);
                }
                let diffs = compare(&q_recs[k], &s_recs[k]);
                if diffs.is_empty() {
                    continue;
                }
                if let Some(name) = known::qemu_bug(&rest[k], &q_recs[k], &s_recs[k], &diffs) {
                    sum.note_known(name);
                    continue;
                }
                sum.divergences += 1;
                if sum.reports.len() < max_reports {
                    sum.reports.push(Divergence {
                        case: rest[k].clone(),
                        oracle: oracle.name().to_string(),
                        subject: r.name().to_string(),
                        mismatch: Mismatch::Values(diffs),
                    });
                }
            }
            if n < q_done || (s.exit != Exit::Code(0) && n == q_done && q_done == rest.len()) {
                // The subject stopped inside case n (or failed to exit cleanly
                // after the last one).
                let k = n.min(rest.len() - 1);
                sum.compared += u64::from(n < q_done);
                sum.divergences += 1;
                sum.timeouts += u64::from(matches!(s.exit, Exit::Timeout { .. }));
                if sum.reports.len() < max_reports {
                    sum.reports.push(Divergence {
                        case: rest[k].clone(),
                        oracle: oracle.name().to_string(),
                        subject: r.name().to_string(),
                        mismatch: Mismatch::Stopped { exit: s.exit, stderr: s.stderr },
                    });
                }
                stop = stop.min(k);
            }
        }
        drop(sum);
        start += stop + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcsr_description() {
        assert_eq!(describe_fcsr(0x49), "0x49 (frm=rdn, flags=DZ NX)");
        assert_eq!(describe_fcsr(0), "0x0 (frm=rne, flags=-)");
    }

    fn sh(script: &str, stall: Duration) -> RunOutput {
        let r = Subprocess {
            name: "sh".into(),
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into(), "sh".into()],
            stall_timeout: stall,
        };
        r.run(&Program { elf: &[], path: Path::new("/dev/null") }).expect("running /bin/sh")
    }

    /// A run that goes on writing is not cut short, however long it takes
    /// in all (1.5 s here, three times the stall timeout).
    #[test]
    fn runs_that_make_progress_are_not_timed_out() {
        let out = sh("i=0; while [ $i -lt 15 ]; do printf x; sleep 0.1; i=$((i+1)); done", Duration::from_millis(500));
        assert_eq!(out.exit, Exit::Code(0), "{}", out.stderr);
        assert_eq!(out.stdout, vec![b'x'; 15]);
    }

    /// A run that stops writing is killed after the stall timeout; what it
    /// wrote before is kept.
    #[test]
    fn a_run_that_stops_writing_times_out() {
        let stall = Duration::from_millis(300);
        let out = sh("printf abc; exec sleep 60", stall);
        assert_eq!(out.exit, Exit::Timeout { stalled: stall });
        assert_eq!(out.stdout, b"abc");
    }

    #[test]
    fn parse_and_compare() {
        use crate::elf::RECORD_BYTES;
        use crate::generator::SCRATCH_BYTES;
        let mut bytes = vec![0u8; RECORD_BYTES * 2 + 5];
        bytes[RECORD_BYTES + 8] = 1; // second record: x1 = 1
        let recs = parse(&bytes, SCRATCH_BYTES);
        assert_eq!(recs.len(), 2);
        let d = compare(&recs[0], &recs[1]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].what, "x1");
    }
}

#[cfg(test)]
mod campaign_tests {
    use super::*;

    fn campaign(first: u64, cases: u64, batch: usize) -> Campaign {
        Campaign {
            seed: 1,
            first,
            cases,
            batch,
            jobs: 1,
            max_reports: 0,
            progress: false,
            vector: None,
            iterations: 1,
            oracle: Oracle::Qemu72,
        }
    }

    fn covered(c: &Campaign) -> Vec<u64> {
        (0..batch_count(c))
            .flat_map(|b| {
                let (lo, hi) = batch_range(c, b);
                lo..hi
            })
            .collect()
    }

    #[test]
    fn a_campaign_from_a_first_case_runs_exactly_the_rest() {
        assert_eq!(covered(&campaign(0, 450, 200)), (0..450).collect::<Vec<_>>());
        // Resumed where a stopped run's 2 batches of 200 ended, and off a
        // batch boundary: the cases after it, each once.
        assert_eq!(covered(&campaign(400, 1000, 200)), (400..1000).collect::<Vec<_>>());
        assert_eq!(covered(&campaign(333, 1000, 200)), (333..1000).collect::<Vec<_>>());
        assert!(covered(&campaign(1000, 1000, 200)).is_empty());
        assert!(covered(&campaign(2000, 1000, 200)).is_empty());
    }
}
