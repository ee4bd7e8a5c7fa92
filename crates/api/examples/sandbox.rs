//! Runs Linux programs in a sandbox whose system calls the embedder
//! filters (`ferrovm::linux::Process::set_syscall_filter`): every call of
//! every guest thread is shown to a policy first, which lets it through,
//! fails it with an errno (as seccomp's `SECCOMP_RET_ERRNO`) or kills the
//! process with `SIGSYS` (`SECCOMP_RET_KILL_PROCESS`). The guest's memory
//! is ferrovm's: it can touch nothing of the host's, so the system calls
//! are the whole attack surface, and the policy sees each one.
//!
//! `cargo run -p ferrovm --example sandbox [PROGRAM]`

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ferrovm::linux::filter::{SyscallInfo, Verdict};
use ferrovm::linux::{Options, Process, nr};
use ferrovm::{EngineConfig, ExitStatus};

/// What a program may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    /// Everything (the calls are only logged).
    Log,
    /// No files created or opened for writing: `openat` with `O_CREAT`,
    /// `O_WRONLY` or `O_RDWR` fails with `EACCES`.
    ReadOnly,
    /// Only what a program that computes and prints needs; anything else
    /// kills it.
    Allowlist(&'static [u64]),
}

impl Policy {
    fn decide(self, call: &SyscallInfo<'_>) -> Verdict {
        match self {
            Policy::Log => Verdict::Allow,
            Policy::ReadOnly => {
                let flags = call.args[2] as i32;
                let writes = libc::O_CREAT | libc::O_WRONLY | libc::O_RDWR;
                if call.nr == nr::OPENAT && flags & writes != 0 { Verdict::Deny(libc::EACCES) } else { Verdict::Allow }
            }
            Policy::Allowlist(allowed) => {
                if allowed.contains(&call.nr) {
                    Verdict::Allow
                } else {
                    Verdict::Kill
                }
            }
        }
    }
}

/// One line per system call: its name and the verdict.
type Log = Arc<Mutex<Vec<(String, Verdict)>>>;

/// Runs `program` under `policy`; its status and the calls it made.
fn sandboxed(program: &Path, policy: Policy) -> ferrovm::Result<(ExitStatus, Vec<(String, Verdict)>)> {
    let options = Options { engine: EngineConfig::default(), ..Options::default() };
    let mut process = Process::load(program, options)?;
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    process.set_syscall_filter(Some(Arc::new(move |call: &SyscallInfo<'_>| {
        let verdict = policy.decide(call);
        let name = call.name().map_or_else(|| format!("syscall {}", call.nr), str::to_owned);
        seen.lock().unwrap_or_else(PoisonError::into_inner).push((name, verdict));
        verdict
    })));
    let status = process.run()?;
    let log = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
    Ok((status, log))
}

/// A program of the project's guest tests.
fn guest(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/guests/bin").join(name)
}

/// `hello` (static glibc) needs these.
const PRINTING: &[u64] = &[
    nr::BRK,
    nr::SET_TID_ADDRESS,
    nr::SET_ROBUST_LIST,
    nr::RSEQ,
    nr::PRLIMIT64,
    nr::READLINKAT,
    nr::GETRANDOM,
    nr::MPROTECT,
    nr::MMAP,
    nr::FSTAT,
    nr::NEWFSTATAT,
    nr::WRITE,
    nr::EXIT_GROUP,
    nr::EXIT,
];

fn main() -> ferrovm::Result<()> {
    let program = std::env::args().nth(1).map_or_else(|| guest("strace_probe"), PathBuf::from);
    for policy in [Policy::Log, Policy::ReadOnly, Policy::Allowlist(PRINTING)] {
        let (status, log) = sandboxed(&program, policy)?;
        let denied: Vec<_> = log.iter().filter(|(_, v)| *v != Verdict::Allow).collect();
        println!("{policy:?}: {status:?} after {} system calls; refused: {denied:?}", log.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm::linux::Signal;

    #[test]
    fn policies_allow_deny_and_kill() {
        // Everything allowed: strace_probe creates its file and succeeds.
        let (status, log) = sandboxed(&guest("strace_probe"), Policy::Log).expect("run");
        assert_eq!(status, ExitStatus::Exited(0));
        assert!(log.iter().any(|(name, _)| name == "openat"), "{log:?}");
        // Read-only: its open(O_CREAT) fails with EACCES, and it gives up
        // (status 1) having done nothing after.
        let (status, log) = sandboxed(&guest("strace_probe"), Policy::ReadOnly).expect("run");
        assert_eq!(status, ExitStatus::Exited(1));
        let denied: Vec<_> = log.iter().filter(|(_, v)| *v != Verdict::Allow).collect();
        assert_eq!(denied, vec![&("openat".to_owned(), Verdict::Deny(libc::EACCES))]);
        assert!(!log.iter().any(|(name, _)| name == "unlinkat"), "{log:?}");
        // An allowlist for printing: hello runs, strace_probe is killed at
        // its first open.
        let (status, _) = sandboxed(&guest("hello"), Policy::Allowlist(PRINTING)).expect("run");
        assert_eq!(status, ExitStatus::Exited(0));
        let (status, log) = sandboxed(&guest("strace_probe"), Policy::Allowlist(PRINTING)).expect("run");
        assert_eq!(status, ExitStatus::Signaled(Signal::SIGSYS));
        assert_eq!(log.last(), Some(&("umask".to_owned(), Verdict::Kill)), "{log:?}");
    }
}
