//! The gdb stub (`-g PORT`) with the real client: `gdb-multiarch` in batch
//! mode drives `tests/guests/bin/gdb_target` under every engine, and the
//! transcripts must be the same, word for word. gdb-multiarch is an
//! oracle: the tests skip without it (fail under
//! `FERROVM_REQUIRE_ORACLES=1`).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::support::{ferrovm, ferrovm_riscv64, have_oracle, root};

const GDB: &str = "gdb-multiarch";
/// The riscv64 sysroot (dynamic programs' libraries, for ferrovm and gdb).
const SYSROOT: &str = "/usr/riscv64-linux-gnu";

fn guests() -> PathBuf {
    root().join("tests/guests")
}

/// A ferrovm waiting for gdb.
struct Debuggee {
    child: Child,
    port: u16,
    program: String,
}

impl Debuggee {
    /// Starts `binary args... -g 0 PROGRAM` (or with `QEMU_GDB=0` when
    /// `by_env`) with an empty environment, and reads the port it listens
    /// on.
    fn start(binary: &str, args: &[&str], program: &str, by_env: bool) -> Debuggee {
        let mut cmd = Command::new(binary);
        cmd.env_clear().current_dir(guests()).args(args);
        if by_env {
            cmd.env("QEMU_GDB", "0");
        } else {
            cmd.args(["-g", "0"]);
        }
        let mut child = cmd
            .arg(program)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ferrovm starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("ferrovm prints its port");
        let port = line
            .trim()
            .strip_prefix("ferrovm: gdb stub listening on port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        // Keep draining stderr so the guest never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Debuggee { child, port, program: program.to_string() }
    }

    /// Runs gdb with `script` (after `target remote`), then waits for
    /// ferrovm: (gdb's stdout, the guest's stdout, ferrovm's status).
    fn debug(mut self, script: &str) -> (String, String, i32) {
        let dir = std::env::temp_dir().join(format!("ferrovm-gdb-{}-{}", std::process::id(), self.port));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("script.gdb");
        let header = format!(
            "set pagination off\nset confirm off\nset width 0\nset sysroot {SYSROOT}\ntarget remote :{}\n",
            self.port
        );
        std::fs::write(&file, header + script).expect("write the script");
        let out = Command::new("timeout")
            .args(["120", GDB, "-nx", "-batch", "-x"])
            .arg(&file)
            .arg(&self.program)
            .env_clear()
            .env("LC_ALL", "C")
            .env("HOME", &dir)
            .current_dir(guests())
            .stdin(Stdio::null())
            .output()
            .expect("gdb runs");
        let _ = std::fs::remove_dir_all(&dir);
        let mut guest = String::new();
        if let Some(mut o) = self.child.stdout.take() {
            o.read_to_string(&mut guest).expect("guest stdout");
        }
        let status = self.child.wait().expect("ferrovm ends");
        use std::os::unix::process::ExitStatusExt;
        let status = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        let transcript = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("rror"), "gdb complained:\n{stderr}\ntranscript:\n{transcript}");
        (transcript, guest, status)
    }
}

/// The session of issue 14: break at main, registers (integer and FP),
/// stepi and next, finish, bt, print and set var, watch a global, a
/// breakpoint in a second thread with `info threads`, and on to the exit.
const SESSION: &str = "\
break main
continue
info registers
next
rwatch ratio
continue
delete
finish
next
print d
info registers fa0 ft0 fflags frm fcsr
break square
continue
bt
stepi
stepi
finish
next
print value
set var value = 49
print value
watch counter
continue
continue
delete
break worker_mark
continue
info threads
bt
continue
";

/// What the session must show (the transcript is also compared whole
/// between engines).
const MUST_SHOW: &[&str] = &[
    "Breakpoint 1, main () at src/gdb_target.c:39",
    "pc             0x10700\t0x10700 <main+8>",
    "40\t    double d = scale(2.0, 3);",
    "Hardware read watchpoint 2: ratio\n\nValue = 0.75\n",
    "in scale (x=2, n=3) at src/gdb_target.c:16",
    "Value returned is $1 = 6.75",
    "$2 = 6.75",
    "fa0            {float = 0, double = 6.75}",
    "frm            0x0",
    "Breakpoint 3, square (x=6) at src/gdb_target.c:21",
    "#0  square (x=6) at src/gdb_target.c:21\n#1  0x0000000000010728 in main () at src/gdb_target.c:41",
    "Value returned is $3 = 36",
    "$4 = 36",
    "$5 = 49",
    "Old value = 0\nNew value = 1\n",
    "Old value = 1\nNew value = 2\n",
    "Thread 2 hit Breakpoint 5, worker_mark (id=5) at src/gdb_target.c:27",
    "  1    Thread 1.1        0x",
    "* 2    Thread 1.2        worker_mark (id=5) at src/gdb_target.c:27",
    "#1  0x00000000000106ec in worker (arg=0x5) at src/gdb_target.c:33",
    "[Inferior 1 (process 1) exited normally]",
];

#[test]
fn gdb_session_is_the_same_under_every_engine() {
    if !have_oracle(GDB) {
        return;
    }
    let mut first: Option<(String, String)> = None;
    for engine in ["interp", "jit", "tiered"] {
        let d = Debuggee::start(ferrovm(), &["run", "--engine", engine], "bin/gdb_target", false);
        let (transcript, guest, status) = d.debug(SESSION);
        for want in MUST_SHOW {
            assert!(transcript.contains(want), "{engine}: no {want:?} in the transcript:\n{transcript}");
        }
        // `set var value = 49` reached the guest.
        assert_eq!(guest, "value 49 d 6.75 counter 2\ncounter 7\n", "{engine}");
        assert_eq!(status, 0, "{engine}");
        match &first {
            None => first = Some((engine.to_string(), transcript)),
            Some((e, t)) => assert_eq!(&transcript, t, "{engine} and {e} differ"),
        }
    }
}

#[test]
fn detach_lets_the_program_finish() {
    if !have_oracle(GDB) {
        return;
    }
    let d = Debuggee::start(ferrovm(), &["run"], "bin/gdb_target", false);
    let (transcript, guest, status) = d.debug("break square\ncontinue\nwatch counter\ndetach\n");
    assert!(transcript.contains("Breakpoint 1, square (x=6)"), "{transcript}");
    assert!(transcript.contains("[Inferior 1 (process 1) detached]"), "{transcript}");
    // Nothing stops it any more (the watchpoint went with gdb).
    assert_eq!((guest.as_str(), status), ("value 36 d 6.75 counter 2\ncounter 7\n", 0));
}

#[test]
fn kill_ends_the_program() {
    if !have_oracle(GDB) {
        return;
    }
    let d = Debuggee::start(ferrovm(), &["run"], "bin/gdb_target", false);
    let (transcript, guest, status) = d.debug("break square\ncontinue\nkill\n");
    assert!(transcript.contains("[Inferior 1 (process 1) killed]"), "{transcript}");
    assert_eq!((guest.as_str(), status), ("", 128 + 9));
}

#[test]
fn signals_are_stop_reasons_and_gdb_decides_delivery() {
    if !have_oracle(GDB) {
        return;
    }
    // The fatal SIGSEGV is reported first; continuing delivers it.
    let d = Debuggee::start(ferrovm(), &["run", "--engine", "jit"], "bin/segv_uncaught", false);
    let (transcript, _, status) = d.debug("continue\ncontinue\n");
    assert!(transcript.contains("Program received signal SIGSEGV, Segmentation fault."), "{transcript}");
    assert!(transcript.contains("Program terminated with signal SIGSEGV, Segmentation fault."), "{transcript}");
    assert_eq!(status, 128 + 11);
}

#[test]
fn qemu_gdb_variable_and_the_qemu_binary() {
    if !have_oracle(GDB) {
        return;
    }
    // ferrovm-riscv64 with QEMU_GDB: stopped before the first instruction.
    let d = Debuggee::start(ferrovm_riscv64(), &[], "bin/gdb_target", true);
    let (transcript, guest, status) = d.debug("info registers pc\nstepi\ninfo registers pc\ncontinue\n");
    assert!(transcript.contains("in _start ()"), "{transcript}");
    assert!(transcript.contains("[Inferior 1 (process 1) exited normally]"), "{transcript}");
    assert_eq!((guest.as_str(), status), ("value 36 d 6.75 counter 2\ncounter 7\n", 0));
}

#[test]
fn dynamic_programs_show_their_shared_libraries() {
    if !have_oracle(GDB) {
        return;
    }
    if !std::path::Path::new(SYSROOT).join("lib").exists() {
        assert!(!crate::support::oracles_required(), "{SYSROOT} is missing but FERROVM_REQUIRE_ORACLES=1");
        eprintln!("note: {SYSROOT} not installed; skipping");
        return;
    }
    // A PIE started by the dynamic linker: gdb finds both through the
    // auxiliary vector, and libc through the linker's list.
    let d = Debuggee::start(ferrovm(), &["run", "-L", SYSROOT], "bin/dyn_hello", false);
    let (transcript, guest, status) = d.debug("break main\ncontinue\nbreak puts\ncontinue\nbt\ncontinue\n");
    assert!(transcript.contains("Breakpoint 1, 0x0000002aaaaaa70e in main ()"), "{transcript}");
    assert!(transcript.contains("in puts () from /usr/riscv64-linux-gnu/lib/libc.so.6"), "{transcript}");
    assert!(transcript.contains("#1  0x0000002aaaaaa712 in main ()"), "{transcript}");
    assert!(guest.starts_with("hello from a dynamically linked riscv64 program\n"), "{guest}");
    assert_eq!(status, 0);
}

#[test]
fn forked_children_run_free() {
    if !have_oracle(GDB) {
        return;
    }
    // Children forked by the main thread and by a second thread, while a
    // breakpoint is set: gdb follows the parent, the children run on
    // alone and exit with their own statuses.
    let d = Debuggee::start(ferrovm(), &["run"], "bin/thr_fork", false);
    let (transcript, guest, status) = d.debug("break main\ncontinue\ncontinue\n");
    assert!(transcript.contains("[Inferior 1 (process 1) exited normally]"), "{transcript}");
    let want = std::fs::read_to_string(guests().join("expected/thr_fork.stdout")).expect("expected output");
    assert_eq!((guest, status), (want, 0));
}
