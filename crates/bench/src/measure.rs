//! Running one child process and measuring it: wall time, user and system
//! CPU time and peak resident set size from `wait4`'s `rusage`, with a
//! timeout that cannot kill a recycled pid.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// What to run: a program, its arguments and extra environment variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(String, String)>,
}

impl Invocation {
    /// The command line as a shell user would type it (for reports).
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(self.program.display().to_string());
        parts.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        parts.join(" ")
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
    /// Killed by the harness after the timeout.
    TimedOut,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Exited(code) => write!(f, "exit status {code}"),
            Status::Signaled(sig) => write!(f, "killed by signal {sig}"),
            Status::TimedOut => write!(f, "timed out (killed by the harness)"),
        }
    }
}

/// One measured run.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Wall-clock time from spawn to exit.
    pub wall: Duration,
    /// User + system CPU time of the child (all its threads).
    pub cpu: Duration,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
}

/// Scratch files for the child's output; reading files after exit keeps the
/// parent out of the child's way while it runs (no pipe to drain).
pub struct Scratch {
    dir: PathBuf,
    id: u64,
}

impl Scratch {
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Ok(Scratch { dir: dir.to_path_buf(), id: NEXT.fetch_add(1, Ordering::Relaxed) })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{}.{}", std::process::id(), self.id))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for name in ["stdout", "stderr"] {
            let _ = std::fs::remove_file(self.file(name));
        }
    }
}

/// Runs `inv` to completion (or until `timeout`) and measures it.
pub fn run(inv: &Invocation, scratch: &Scratch, timeout: Duration) -> anyhow::Result<Measurement> {
    let out_path = scratch.file("stdout");
    let err_path = scratch.file("stderr");
    let out = File::create(&out_path).with_context(|| format!("creating {}", out_path.display()))?;
    let err = File::create(&err_path).with_context(|| format!("creating {}", err_path.display()))?;
    let mut cmd = Command::new(&inv.program);
    cmd.args(&inv.args).stdin(Stdio::null()).stdout(out).stderr(err);
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let child = cmd.spawn().with_context(|| format!("starting {}", inv.display()))?;
    let pid = child.id() as libc::pid_t;
    // `child` is never waited on through std: wait4 below reaps it. Dropping
    // a `Child` neither waits nor kills.
    drop(child);

    // The watchdog kills the child after `timeout` unless told it exited.
    // The child is not reaped until the watchdog has been stopped (waitid
    // with WNOWAIT), so its pid cannot be reused by then.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || match done_rx.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // The pid is our unreaped child, so it names no other process.
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            true
        }
        _ => false,
    });
    wait_exited(pid)?;
    let wall = start.elapsed();
    let _ = done_tx.send(());
    let timed_out = watchdog.join().unwrap_or(false);

    let mut raw_status = 0;
    // SAFETY: rusage is plain old data; an all-zero value is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // libc, not rustix: rustix's waits do not return the child's rusage.
    // SAFETY: both pointers are valid for writes for the duration of the call.
    let reaped = unsafe { libc::wait4(pid, &mut raw_status, 0, &mut usage) };
    if reaped != pid {
        bail!("wait4({pid}) failed: {}", std::io::Error::last_os_error());
    }
    let status = if timed_out {
        Status::TimedOut
    } else if libc::WIFEXITED(raw_status) {
        Status::Exited(libc::WEXITSTATUS(raw_status))
    } else {
        Status::Signaled(libc::WTERMSIG(raw_status))
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    Ok(Measurement {
        status,
        stdout: read_all(&out_path)?,
        stderr: read_all(&err_path)?,
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss as u64,
    })
}

/// Blocks until child `pid` has exited, without reaping it.
fn wait_exited(pid: libc::pid_t) -> anyhow::Result<()> {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let child = Pid::from_raw(pid).context("no child pid")?;
    loop {
        match waitid(WaitId::Pid(child), WaitIdOptions::EXITED | WaitIdOptions::NOWAIT) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => bail!("waitid({pid}) failed: {e}"),
        }
    }
}

fn read_all(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Invocation {
        Invocation { program: "/bin/sh".into(), args: vec!["-c".into(), script.into()], env: vec![] }
    }

    fn scratch() -> Scratch {
        // Scratch files carry the pid; the directory is shared and stays.
        let dir = std::env::temp_dir().join("ferrovm-bench-test-scratch");
        Scratch::new(&dir).unwrap()
    }

    #[test]
    fn captures_output_and_status() {
        let s = scratch();
        let m = run(&sh("echo out; echo err >&2; exit 3"), &s, Duration::from_secs(60)).unwrap();
        assert_eq!(m.stdout, b"out\n");
        assert_eq!(m.stderr, b"err\n");
        assert_eq!(m.status, Status::Exited(3));
        assert!(m.max_rss_kib > 0);
    }

    #[test]
    fn reports_signals_and_env() {
        let s = scratch();
        let mut inv = sh("echo $FERROVM_BENCH_X; kill -TERM $$");
        inv.env.push(("FERROVM_BENCH_X".into(), "y".into()));
        let m = run(&inv, &s, Duration::from_secs(60)).unwrap();
        assert_eq!(m.stdout, b"y\n");
        assert_eq!(m.status, Status::Signaled(libc::SIGTERM));
    }

    #[test]
    fn kills_after_timeout() {
        let s = scratch();
        let m = run(&sh("exec sleep 30"), &s, Duration::from_millis(100)).unwrap();
        assert_eq!(m.status, Status::TimedOut);
    }
}
