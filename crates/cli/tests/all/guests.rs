//! Runs the guest programs of `tests/guests/manifest.txt` under ferrovm and
//! compares stdout, stderr and exit status with the committed expectations,
//! and (where installed) with `qemu-riscv64` run the same way.
//!
//! Programs are selected by tag: a program runs if every one of its tags is
//! in [`SUPPORTED`]. The others are listed on stderr as "not yet supported",
//! never silently skipped.

use std::path::Path;
use std::process::Command;

use crate::support::{Outcome, ferrovm, have_oracle, qemu10, root, run};

/// Tags whose requirements ferrovm meets today.
pub(crate) const SUPPORTED: &[&str] = &[
    "minimal",
    "fp",
    "atomics",
    "bitmanip",
    "rvc",
    "fatal",
    "bench",
    "libc",
    "signals",
    "tmp",
    "stdin",
    "dynamic",
    "process",
    "exec",
    "oracle-native",
    "oracle-spec",
    "qemu10",
    "qemu-ext",
    "vector",
    "threads",
    "net",
    "events",
];

/// Where dynamically linked programs find their interpreter and libraries
/// (Debian's `libc6-riscv64-cross`).
pub(crate) const SYSROOT: &str = "/usr/riscv64-linux-gnu";

/// Programs where qemu-riscv64 7.2 disagrees with the RISC-V specification;
/// they are checked against the committed (spec-correct) expectations only.
/// Each entry says why; details in `crates/difftest/KNOWN_QEMU_DIFFERENCES.md`.
const QEMU_WRONG: &[(&str, &str)] = &[(
    "min_bitmanip",
    "ctzw of a value whose low 32 bits are zero must be 32 (Zbb 1.0.0, ctzw: \
     \"counts the number of 0s before the first 1, starting at the least-significant bit, \
     of the least-significant word\"); QEMU 7.2 returns 63",
)];

/// The guest environment every program runs with (manifest header).
pub(crate) const GUEST_ENV: &[(&str, &str)] = &[("FERROVM_GUEST_VAR", "guest-value")];

pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    args: Vec<String>,
}

pub(crate) fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(root().join("tests/guests/manifest.txt")).expect("manifest exists");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap_or_default().to_string();
            let tags = words.next().unwrap_or_default().split(',').map(str::to_string).collect();
            Entry { name, tags, args: words.map(str::to_string).collect() }
        })
        .collect()
}

pub(crate) fn expected(name: &str) -> Outcome {
    let dir = root().join("tests/guests/expected");
    let read = |ext: &str| std::fs::read(dir.join(format!("{name}.{ext}"))).unwrap_or_default();
    let status = String::from_utf8_lossy(&read("status")).trim().parse().expect("status file holds a number");
    Outcome { stdout: read("stdout"), stderr: read("stderr"), status }
}

fn stdin_for(e: &Entry) -> Option<std::path::PathBuf> {
    e.tags.iter().any(|t| t == "stdin").then(|| root().join(format!("tests/guests/input/{}.stdin", e.name)))
}

pub(crate) fn under(runner: &str, pre: &[&str], e: &Entry, bin: &Path) -> Outcome {
    let mut cmd = Command::new(runner);
    cmd.args(pre).arg(bin).args(&e.args);
    // Programs that write files do so under a fresh temporary directory,
    // one per run: suites run in parallel threads of this process.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!("ferrovm-guest-{}-{}-{n}", e.name, std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    cmd.current_dir(&tmp);
    let out = run(&mut cmd, GUEST_ENV, stdin_for(e).as_deref());
    let _ = std::fs::remove_dir_all(&tmp);
    out
}

pub(crate) fn describe(what: &str, got: &Outcome, want: &Outcome) -> Option<String> {
    if got == want {
        return None;
    }
    let mut msg = format!("{what}:\n");
    if got.status != want.status {
        msg += &format!("  status {} (expected {})\n", got.status, want.status);
    }
    for (label, g, w) in [("stdout", &got.stdout, &want.stdout), ("stderr", &got.stderr, &want.stderr)] {
        if g != w {
            let (g, w) = (String::from_utf8_lossy(g), String::from_utf8_lossy(w));
            let line =
                g.lines().zip(w.lines()).position(|(a, b)| a != b).unwrap_or(g.lines().count().min(w.lines().count()));
            msg += &format!(
                "  {label} differs at line {}:\n    got:      {:?}\n    expected: {:?}\n",
                line + 1,
                g.lines().nth(line).unwrap_or("<end>"),
                w.lines().nth(line).unwrap_or("<end>")
            );
        }
    }
    Some(msg)
}

#[test]
fn guest_programs_match_expectations_and_qemu() {
    let qemu = have_oracle("qemu-riscv64");
    let qemu10 = qemu10();
    let mut failures = Vec::new();
    let (mut ran, mut compared_new) = (0, 0);
    for e in manifest() {
        if !e.tags.iter().all(|t| SUPPORTED.contains(&t.as_str())) {
            eprintln!("not yet supported: {} ({})", e.name, e.tags.join(","));
            continue;
        }
        let bin = root().join("tests/guests/bin").join(&e.name);
        let want = expected(&e.name);
        let dynamic = e.tags.iter().any(|t| t == "dynamic");
        if dynamic && !Path::new(SYSROOT).join("lib").exists() {
            assert!(!crate::support::oracles_required(), "{SYSROOT} is missing but FERROVM_REQUIRE_ORACLES=1");
            eprintln!("note: {SYSROOT} not installed; skipping {}", e.name);
            continue;
        }
        let vector = e.tags.iter().any(|t| t == "vector");
        let run_args: &[&str] = match (dynamic, vector) {
            (true, _) => &["run", "-L", SYSROOT],
            (false, true) => &["run", "--isa", "max"],
            (false, false) => &["run"],
        };
        let got = under(ferrovm(), run_args, &e, &bin);
        ran += 1;
        if let Some(m) = describe(&format!("{} vs expected/", e.name), &got, &want) {
            failures.push(m);
        }
        // `oracle-native` programs do what qemu-riscv64 7.2 cannot (exec a
        // riscv64 binary); their expectations come from a native build.
        // `oracle-spec` ones use extensions qemu-riscv64 7.2 lacks (they
        // check themselves against the specifications' values); `qemu-ext`
        // ones need QEMU's Zfh/Zbk* properties turned on.
        let qemu_can = !e.tags.iter().any(|t| t == "oracle-native" || t == "oracle-spec");
        if qemu && qemu_can && !QEMU_WRONG.iter().any(|(n, _)| *n == e.name) {
            let ext = e.tags.iter().any(|t| t == "qemu-ext");
            let qemu_args: &[&str] = match (dynamic, ext, vector) {
                (true, ..) => &["-L", SYSROOT],
                (false, true, _) => &["-cpu", "rv64,Zfh=true,zbkb=true,zbkx=true"],
                (false, false, true) => &["-cpu", "rv64,v=true,vlen=128,vext_spec=v1.0"],
                (false, false, false) => &[],
            };
            let mut oracle = under("qemu-riscv64", qemu_args, &e, &bin);
            // qemu reports a fatal guest signal on stderr itself; Linux does not.
            let text = String::from_utf8_lossy(&oracle.stderr).into_owned();
            let kept: String = text
                .lines()
                .filter(|l| !l.starts_with("qemu: uncaught target signal"))
                .map(|l| format!("{l}\n"))
                .collect();
            oracle.stderr = kept.into_bytes();
            if let Some(m) = describe(&format!("{} vs qemu-riscv64", e.name), &got, &oracle) {
                failures.push(m);
            }
        }
        if let Some(q) = qemu10.as_deref().filter(|_| e.tags.iter().any(|t| t == "qemu10")) {
            let oracle = under(&q.to_string_lossy(), &["-cpu", "max"], &e, &bin);
            if let Some(m) = describe(&format!("{} vs qemu-riscv64 10 -cpu max", e.name), &got, &oracle) {
                failures.push(m);
            }
            compared_new += 1;
        }
    }
    assert!(ran >= 10, "only {ran} guest programs ran");
    assert!(qemu10.is_none() || compared_new >= 3, "only {compared_new} programs compared with the newer qemu");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// The vector programs give the same output at every VLEN from 128 to 1024
/// (they are written so that it does not depend on VLEN), interpreted,
/// compiled, and tiered with compile workers compiling nearly every block
/// while the program runs, and so does qemu-riscv64 at the same VLENs
/// (except for the `oracle-spec` ones, which use extensions it lacks). Among
/// them are the gcc-built inline-assembly programs and the clang-built
/// `vector_clang_*` ones (RVV intrinsics; auto-vectorized loops, scalable
/// and fixed-length).
#[test]
fn vector_programs_at_every_vlen_under_each_engine() {
    let qemu = have_oracle("qemu-riscv64");
    let qemu10 = qemu10();
    let mut failures = Vec::new();
    let (mut ran, mut compared_new) = (0, 0);
    for e in manifest().into_iter().filter(|e| e.tags.iter().any(|t| t == "vector")) {
        let bin = root().join("tests/guests/bin").join(&e.name);
        let want = expected(&e.name);
        for vlen in [128, 256, 512, 1024] {
            let v = format!("--vlen={vlen}");
            let engines: [&[&str]; 3] =
                [&["interp"], &["jit"], &["tiered", "--hot-threshold", "2", "--hot-ratio", "0"]];
            for engine in engines {
                let mut pre = vec!["run", "--engine"];
                pre.extend_from_slice(engine);
                pre.extend_from_slice(&["--isa", "max", v.as_str()]);
                ran += 1;
                if let Some(m) =
                    describe(&format!("{} under {}", e.name, pre.join(" ")), &under(ferrovm(), &pre, &e, &bin), &want)
                {
                    failures.push(m);
                }
            }
            if qemu && !e.tags.iter().any(|t| t == "oracle-spec") {
                let cpu = format!("rv64,v=true,vlen={vlen},vext_spec=v1.0");
                let mut oracle = under("qemu-riscv64", &["-cpu", &cpu], &e, &bin);
                oracle.stderr.clear();
                if let Some(m) = describe(&format!("{} under qemu -cpu {cpu}", e.name), &oracle, &want) {
                    failures.push(m);
                }
            }
            if let Some(q) = qemu10.as_deref().filter(|_| e.tags.iter().any(|t| t == "qemu10")) {
                let cpu = format!("max,vlen={vlen}");
                let mut oracle = under(&q.to_string_lossy(), &["-cpu", &cpu], &e, &bin);
                oracle.stderr.clear();
                if let Some(m) = describe(&format!("{} under qemu 10 -cpu {cpu}", e.name), &oracle, &want) {
                    failures.push(m);
                }
                compared_new += 1;
            }
        }
    }
    assert!(ran >= 16, "only {ran} runs");
    assert!(qemu10.is_none() || compared_new >= 8, "only {compared_new} runs under the newer qemu");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
