//! Diagnostics: `-d` categories and `-D`, the guest profiler
//! (`--profile`), the perf map and the jitdump.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Outcome, ferrovm, ferrovm_riscv64, have_oracle, root, run};

fn guest(name: &str) -> PathBuf {
    root().join("tests/guests/bin").join(name)
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrovm-diag-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs `ferrovm run OPTIONS... PROGRAM ARGS...` with `-d LIST -D log` and
/// returns the outcome and the log.
fn logged(list: &str, options: &[&str], program: &str, args: &[&str]) -> (Outcome, String) {
    let dir = scratch(&format!("{}-{}", list.replace(',', "_"), program));
    let log = dir.join("log");
    let out = run(
        Command::new(ferrovm())
            .arg("run")
            .args(["-d", list, "-D"])
            .arg(&log)
            .args(options)
            .arg(guest(program))
            .args(args),
        &[],
        None,
    );
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    (out, text)
}

#[test]
fn d_help_lists_every_category() {
    for bin in [ferrovm(), ferrovm_riscv64()] {
        let mut cmd = Command::new(bin);
        if bin == ferrovm() {
            cmd.arg("run");
        }
        let out = run(cmd.args(["-d", "help"]), &[], None);
        // As QEMU: the list on stdout, exit status 1.
        assert_eq!(out.status, 1);
        let text = String::from_utf8_lossy(&out.stdout);
        for name in [
            "in_asm", "op", "op_opt", "out_asm", "exec", "cpu", "int", "strace", "unimp", "page", "nochain", "tier",
            "cache",
        ] {
            assert!(text.lines().any(|l| l.split_whitespace().next() == Some(name)), "{name} missing:\n{text}");
        }
    }
    let out = run(Command::new(ferrovm()).args(["run", "-d", "in_asm,bogus"]).arg(guest("min_exit42")), &[], None);
    assert_ne!(out.status, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus"));
}

#[test]
fn in_asm_op_and_op_opt_show_each_translated_block() {
    let (out, log) = logged("in_asm,op,op_opt", &[], "min_exit42", &[]);
    assert_eq!(out.status, 42);
    // _start: li a0,42; li a7,94; ecall (the program's own disassembler).
    assert!(log.contains("----------------\nIN: _start\n"), "{log}");
    assert!(log.contains("0x0000000000011000:  02a00513          li                      a0,42"), "{log}");
    assert!(log.contains("0x0000000000011008:  00000073          ecall"), "{log}");
    assert!(log.contains("OP: _start\nblock 0x11000..0x1100c {"), "{log}");
    assert!(log.contains("OP after optimization: _start\nblock 0x11000..0x1100c {"), "{log}");
    // The passes fold `add zero, 42` into a constant.
    let opt = log.split("OP after optimization").nth(1).unwrap_or_default();
    assert!(!opt.contains("add"), "{opt}");
    // The guest's own output and status are untouched; -D keeps stderr clean.
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn out_asm_shows_host_code_of_a_compiled_block() {
    let (out, log) = logged("out_asm", &["--engine", "jit"], "prof_hot", &["20000"]);
    assert_eq!(out.status, 0);
    let head = log.lines().find(|l| l.starts_with("OUT: [size=")).unwrap_or_else(|| panic!("no OUT header:\n{log}"));
    assert!(head.contains("guest 0x") && head.contains(" blocks, "), "{head}");
    // x86-64 instructions, one a line: `0xADDR:  mnemonic operands`.
    let insns: Vec<&str> = log.lines().filter(|l| l.starts_with("0x") && l.contains(":  ")).collect();
    assert!(insns.len() > 20, "{log}");
    assert!(insns.iter().any(|l| l.contains(":  mov")), "{log}");
    assert!(insns.iter().any(|l| l.contains(":  ret") || l.contains(":  jmp")), "{log}");
    // Some compiled code is named by its guest function.
    assert!(log.contains("riscv64:hot_loop"), "{log}");
}

#[test]
fn exec_and_cpu_show_every_block_under_every_engine() {
    for engine in ["interp", "jit", "tiered"] {
        let (out, log) = logged("exec,cpu", &["--engine", engine], "min_exit42", &[]);
        assert_eq!(out.status, 42, "{engine}");
        assert!(log.contains("[0000000000000000/0000000000011000/00000000/00000000] _start"), "{engine}: {log}");
        assert!(log.contains(" pc       0000000000011000\n x0/zero  0000000000000000 x1/ra"), "{engine}: {log}");
        assert!(log.contains("x10/a0   0000000000000000"), "{engine}: {log}");
    }
    // Compiled code returns to the dispatcher at every block: a loop of N
    // iterations logs its loop block N times however it is compiled.
    for engine in ["interp", "jit", "tiered"] {
        let options: &[&str] = if engine == "interp" { &[] } else { &["--hot-threshold", "2"] };
        let (out, log) = logged("exec", &[&["--engine", engine], options].concat(), "prof_hot", &["3000"]);
        assert_eq!(out.status, 0, "{engine}");
        let in_hot = log.lines().filter(|l| l.starts_with("Trace ") && l.contains("] hot_loop")).count();
        assert!(in_hot >= 3000, "{engine}: {in_hot} hot_loop blocks logged");
    }
}

#[test]
fn int_shows_delivered_signals() {
    let (out, log) = logged("int", &[], "signals", &[]);
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(log.contains("signal SIGSEGV (11) delivered at pc 0x"), "{log}");
    assert!(log.contains("to handler 0x") && log.contains("segv_handler"), "{log}");
    let (out, log) = logged("int", &[], "min_segv", &[]);
    assert_eq!(out.status, 128 + 11);
    assert!(log.contains("signal SIGSEGV (11) at pc 0x") && log.contains("default action"), "{log}");
}

#[test]
fn strace_category_is_the_strace_option() {
    let (out, log) = logged("strace", &[], "min_hello", &[]);
    assert_eq!(out.status, 0);
    let plain = run(Command::new(ferrovm()).args(["run", "--strace"]).arg(guest("min_hello")), &[], None);
    let strip_pid = |s: &str| -> Vec<String> {
        s.lines().map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_string()).collect()
    };
    assert!(log.contains(" write(1,\"hello from riscv64\\n\",19) = 19"), "{log}");
    assert_eq!(strip_pid(&log), strip_pid(&String::from_utf8_lossy(&plain.stderr)));
}

#[test]
fn unimp_reports_unsupported_syscalls_only_when_asked() {
    // Silent by default (as QEMU), so that output stays the program's.
    let quiet = run(Command::new(ferrovm()).arg("run").arg(guest("min_nosys")), &[], None);
    assert_eq!(quiet.status, 0);
    assert!(quiet.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet.stderr));
    let (out, log) = logged("unimp", &[], "min_nosys", &[]);
    assert_eq!(out.stdout, quiet.stdout);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines, ["Unsupported syscall: 999", "Unsupported syscall: 250"]);
    if have_oracle("qemu-riscv64") {
        let q = run(Command::new("qemu-riscv64").args(["-d", "unimp"]).arg(guest("min_nosys")), &[], None);
        let qemu: Vec<String> = String::from_utf8_lossy(&q.stderr).lines().map(str::to_string).collect();
        assert_eq!(lines, qemu, "the same lines as qemu-riscv64 -d unimp");
    }
}

#[test]
fn page_shows_the_memory_map_and_its_changes() {
    let (out, log) = logged("page", &[], "hello", &[]);
    assert_eq!(out.status, 0);
    assert!(log.contains(
        "page layout changed following binary load\nstart            end              size             prot\n"
    ));
    assert!(log.lines().any(|l| l.starts_with("0000000000010000-") && l.contains(" r-x ")), "{log}");
    assert!(log.contains("[stack]") && log.contains("entry       0x"), "{log}");
    // glibc's start-up grows the heap.
    assert!(log.contains("page layout changed following brk"), "{log}");
}

#[test]
fn nochain_runs_without_chaining() {
    let report = |list: Option<&str>| {
        let dir = scratch(&format!("nochain-{}", list.is_some()));
        let json = dir.join("stats.json");
        let mut cmd = Command::new(ferrovm());
        cmd.args(["run", "--engine", "jit", "--stats-json"]).arg(&json);
        if let Some(list) = list {
            cmd.args(["-d", list]);
        }
        let out = run(cmd.arg(guest("prof_hot")).arg("20000"), &[], None);
        assert_eq!(out.status, 0);
        let text = std::fs::read_to_string(&json).expect("stats written");
        let _ = std::fs::remove_dir_all(&dir);
        text
    };
    let chain_exits = |json: &str| -> u64 {
        let at = json.find("\"stats.exits_chain\"").unwrap_or_else(|| panic!("no exits_chain in {json}"));
        json[at..].split(':').nth(1).and_then(|v| v.trim().split([',', '}']).next()?.trim().parse().ok()).unwrap_or(0)
    };
    let chained = report(None);
    let unchained = report(Some("nochain"));
    // Without chaining every exit from compiled code goes back to the
    // dispatcher (an exit "by chain" is counted there).
    assert!(chain_exits(&unchained) > chain_exits(&chained), "{chained}\n{unchained}");
}

#[test]
fn tier_and_cache_explain_compiles_and_invalidations() {
    let (out, log) = logged("tier", &[], "prof_hot", &["3000000"]);
    assert_eq!(out.status, 0);
    // The decision for the hot loop's optimized code: `compile` under the
    // Cranelift first tier, `reweigh` once baseline code runs it.
    assert!(
        log.lines().any(|l| (l.starts_with("compile 0x") || l.starts_with("reweigh 0x"))
            && l.contains("hot_loop")
            && l.contains(">= cost")),
        "{log}"
    );
    // Its baseline code (made on its first run, as cold code).
    assert!(
        log.lines().any(|l| l.starts_with("compiled 0x") && l.contains("hot_loop") && l.contains(", baseline (")),
        "{log}"
    );
    assert!(log.lines().any(|l| l.starts_with("compiled 0x") && l.contains("optimized (hot)")), "{log}");
    // A block not worth its optimized region yet: at a ratio of 1000 none
    // is (at the default, region entries leave this program no such
    // decision to log once its loop is compiled).
    let (out, log) = logged("tier", &["--hot-ratio", "1000"], "prof_hot", &["300000"]);
    assert_eq!(out.status, 0);
    assert!(
        log.lines().any(|l| (l.starts_with("wait 0x") || l.starts_with("reweigh 0x")) && l.contains("< cost")),
        "{log}"
    );
    // A program that writes code it then runs: its translations go.
    let (out, log) = logged("cache", &[], "thr_codegen", &[]);
    assert_eq!(out.status, 0);
    assert!(log.lines().any(|l| l.starts_with("invalidate: page 0x") && l.contains("translation(s) dropped")), "{log}");
    // A tiny code cache evicts.
    let (out, log) = logged("cache", &["--engine", "jit", "--code-cache-size", "65536"], "printf_heavy", &[]);
    assert_eq!(out.status, 0);
    assert!(log.lines().any(|l| l.starts_with("evict: 0x") && l.contains("bytes, policy lru")), "{log}");
}

/// Self share (percent) of `function` in a `--profile` report.
fn self_share(report: &str, function: &str) -> Option<f64> {
    report
        .lines()
        .take_while(|l| !l.starts_with("#\n") && !l.contains("on the stack"))
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.split_whitespace().nth(2) == Some(function))
        .and_then(|l| l.split_whitespace().next()?.trim_end_matches('%').parse().ok())
}

fn profiled(engine: &str, iterations: &str) -> (String, String) {
    let dir = scratch(&format!("profile-{engine}"));
    let path = dir.join("profile.txt");
    let out = run(
        Command::new(ferrovm())
            .args(["run", "--engine", engine, "--profile"])
            .arg(&path)
            .arg(guest("prof_hot"))
            .arg(iterations),
        &[],
        None,
    );
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_to_string(&path).expect("report written");
    let folded = std::fs::read_to_string(dir.join("profile.txt.folded")).expect("folded stacks written");
    let _ = std::fs::remove_dir_all(&dir);
    (report, folded)
}

#[test]
fn profiler_finds_the_hot_function() {
    // `--engine jit` compiles every block of start-up on the guest thread
    // the first time it runs (time the profile rightly charges to those
    // blocks), so there the hot loop's share is smaller.
    for (engine, n, least) in [("tiered", "40000000", 80.0), ("interp", "4000000", 80.0), ("jit", "60000000", 30.0)] {
        let (report, folded) = profiled(engine, n);
        let share = self_share(&report, "hot_loop").unwrap_or_else(|| panic!("{engine}: no hot_loop:\n{report}"));
        assert!(share > least, "{engine}: hot_loop has {share}%:\n{report}");
        // The first function listed is the hot one.
        let first = report.lines().find(|l| !l.starts_with('#')).unwrap_or_default();
        assert!(first.ends_with(" hot_loop"), "{engine}: {report}");
        // Stacks by frame pointer: main -> run -> hot_loop.
        let top = folded.lines().next().unwrap_or_default();
        assert!(top.contains("main;run;hot_loop "), "{engine}: {folded}");
        let samples: u64 = folded.lines().filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum();
        assert!(samples >= 20, "{engine}: only {samples} samples");
        if engine != "interp" {
            assert!(report.contains("in compiled code"), "{report}");
        }
    }
}

/// The jitdump records of `path`: (name, code size).
fn jitdump_records(path: &Path) -> Vec<(String, u64)> {
    let bytes = std::fs::read(path).expect("jitdump written");
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    assert_eq!(u32_at(0), 0x4A69_5444, "jitdump magic");
    assert_eq!(u32_at(12), 62, "EM_X86_64");
    let mut at = u32_at(8) as usize;
    let mut out = Vec::new();
    while at + 16 <= bytes.len() {
        let (id, size) = (u32_at(at), u32_at(at + 4) as usize);
        if id == 0 {
            let code_size = u64_at(at + 40);
            let name_end = bytes[at + 56..].iter().position(|&b| b == 0).expect("name ends") + at + 56;
            out.push((String::from_utf8_lossy(&bytes[at + 56..name_end]).into_owned(), code_size));
            assert_eq!(name_end + 1 + code_size as usize, at + size, "record size");
        }
        at += size.max(16);
    }
    out
}

#[test]
fn perf_map_and_jitdump_name_compiled_code_by_guest_symbol() {
    let dir = scratch("perf");
    let mut child = Command::new(ferrovm())
        // Hot code compiled on the guest thread: the program cannot end
        // before its optimized region exists.
        .args(["run", "--engine", "jit", "--compile-threads", "0", "--perf-map", "--jitdump"])
        .arg(&dir)
        .arg(guest("prof_hot"))
        .arg("200000")
        .env_clear()
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ferrovm starts");
    let pid = child.id();
    assert!(child.wait().expect("ferrovm ends").success());
    let map_path = PathBuf::from(format!("/tmp/perf-{pid}.map"));
    let map = std::fs::read_to_string(&map_path).expect("perf map written");
    let _ = std::fs::remove_file(&map_path);
    // `START LEN NAME`, named by guest symbol.
    assert!(map.lines().any(|l| l.split(' ').nth(2).is_some_and(|n| n.starts_with("riscv64:hot_loop"))), "{map}");
    assert!(map.lines().all(|l| l.split(' ').count() >= 3 && !l.contains("guest_")), "{map}");
    // Each names how it was compiled: the hot loop first on its first run
    // (baseline code, or Cranelift's for what the baseline compiler
    // refuses), then optimized.
    let how = |l: &str, how: &str| l.contains("riscv64:hot_loop") && l.ends_with(&format!(", {how})"));
    assert!(map.lines().any(|l| how(l, "optimized")), "{map}");
    assert!(map.lines().any(|l| how(l, "baseline") || how(l, "unoptimized")), "{map}");
    let records = jitdump_records(&dir.join(format!("jit-{pid}.dump")));
    assert!(records.iter().any(|(n, size)| n.starts_with("riscv64:hot_loop") && *size > 0), "{records:?}");
    assert!(records.iter().any(|(n, _)| n.starts_with("riscv64:main")), "{records:?}");
    // The store's own code is named too (a profile showed the MXCSR read
    // stub as a bare address).
    for stub in ["ferrovm:dispatcher", "ferrovm:indirect_return", "ferrovm:baseline_enter"] {
        assert!(map.lines().any(|l| l.ends_with(&format!(" {stub}"))), "{stub} in {map}");
        assert!(records.iter().any(|(n, size)| n == stub && *size > 0), "{stub} in {records:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
