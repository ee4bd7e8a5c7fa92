//! Shared helpers: locating the binary and the repository, running
//! programs, and the oracle policy.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `ferrovm` binary under test.
pub fn ferrovm() -> &'static str {
    env!("CARGO_BIN_EXE_ferrovm")
}

/// The `ferrovm-riscv64` binary under test (qemu-riscv64's command line).
pub fn ferrovm_riscv64() -> &'static str {
    env!("CARGO_BIN_EXE_ferrovm-riscv64")
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether oracle tools (qemu-riscv64, objdump) are required: CI sets
/// `FERROVM_REQUIRE_ORACLES=1` so that a missing oracle fails instead of
/// skipping.
pub fn oracles_required() -> bool {
    std::env::var_os("FERROVM_REQUIRE_ORACLES").is_some_and(|v| v == "1")
}

/// Whether `tool` can be run; if not and oracles are required, panics.
pub fn have_oracle(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        assert!(!oracles_required(), "{tool} is not installed but FERROVM_REQUIRE_ORACLES=1");
        eprintln!("note: {tool} not installed; skipping its comparison");
    }
    found
}

/// The newer qemu-riscv64 (QEMU 10) that `tests/qemu/fetch.sh` puts in
/// `target/qemu-10`, or `$FERROVM_QEMU_NEW`: the oracle for the
/// extensions Debian 12's qemu-riscv64 7.2 lacks. `None` (skip, with a
/// note) when it is not there; if oracles are required, panics.
pub fn qemu10() -> Option<PathBuf> {
    let path = std::env::var_os("FERROVM_QEMU_NEW")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/qemu-10/qemu-riscv64"));
    let found = Command::new(&path).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        assert!(
            !oracles_required(),
            "{} is missing but FERROVM_REQUIRE_ORACLES=1 (tests/qemu/fetch.sh fetches it)",
            path.display()
        );
        eprintln!("note: no {} (tests/qemu/fetch.sh); skipping its comparisons", path.display());
    }
    found.then_some(path)
}

/// stdout, stderr and shell-style status of a finished command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: i32,
}

impl From<Output> for Outcome {
    fn from(o: Output) -> Self {
        use std::os::unix::process::ExitStatusExt;
        let status = o.status.code().unwrap_or_else(|| 128 + o.status.signal().unwrap_or(0));
        Outcome { stdout: o.stdout, stderr: o.stderr, status }
    }
}

/// Runs a command to completion with a clean environment (`env`) and the
/// given stdin file.
pub fn run(cmd: &mut Command, env: &[(&str, &str)], stdin: Option<&Path>) -> Outcome {
    cmd.env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Core dumps of guests that die by a signal are not wanted.
    cmd.stdin(match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).expect("stdin file exists")),
        None => Stdio::null(),
    });
    cmd.output().expect("command starts").into()
}
