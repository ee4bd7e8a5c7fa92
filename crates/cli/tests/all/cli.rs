//! The command line itself: help, errors, exit codes.

use std::process::Command;

use crate::support::{ferrovm, root, run};

#[test]
fn help_explains_subcommands() {
    let out = run(Command::new(ferrovm()).arg("--help"), &[], None);
    assert_eq!(out.status, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("run") && text.contains("disasm"), "{text}");
    let out = run(Command::new(ferrovm()).args(["run", "--help"]), &[], None);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in ["--strace", "--engine", "-E", "-U"] {
        assert!(text.contains(flag), "run --help lacks {flag}:\n{text}");
    }
}

#[test]
fn exit_status_is_the_guests() {
    let out = run(Command::new(ferrovm()).args(["run"]).arg(root().join("tests/guests/bin/min_exit42")), &[], None);
    assert_eq!(out.status, 42);
}

#[test]
fn non_riscv_file_is_a_one_line_error() {
    // This test binary itself is an x86-64 ELF.
    let me = std::env::current_exe().expect("test binary path");
    let out = run(Command::new(ferrovm()).arg("run").arg(&me), &[], None);
    assert_ne!(out.status, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not RISC-V"), "{err}");
}

#[test]
fn truncated_elf_is_a_one_line_error() {
    let dir = std::env::temp_dir().join(format!("ferrovm-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let full = std::fs::read(root().join("tests/guests/bin/min_hello")).expect("guest exists");
    for len in [0, 3, 20, 63, 64, 100] {
        let path = dir.join(format!("trunc{len}"));
        std::fs::write(&path, &full[..len.min(full.len())]).expect("write");
        let out = run(Command::new(ferrovm()).arg("run").arg(&path), &[], None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status, 0, "length {len}");
        assert_eq!(err.lines().count(), 1, "length {len}: {err}");
        assert!(!err.contains("panicked"), "length {len}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn illegal_instruction_kills_with_sigill() {
    let out = run(Command::new(ferrovm()).arg("run").arg(root().join("tests/guests/bin/min_illegal")), &[], None);
    assert_eq!(out.status, 128 + 4);
}

/// `ferrovm disasm` against Debian's `riscv64-linux-gnu-objdump -d` on a
/// static glibc program: at least 99.9% of instruction lines must be
/// identical; any that differ are listed.
#[test]
fn disasm_matches_objdump() {
    if !crate::support::have_oracle("riscv64-linux-gnu-objdump") {
        return;
    }
    for (name, at_least) in [("hello", 10_000), ("printf_heavy", 10_000), ("min_float", 500)] {
        let rel = format!("tests/guests/bin/{name}");
        let ours = run(Command::new(ferrovm()).args(["disasm", &rel]).current_dir(root()), &[], None);
        assert_eq!(ours.status, 0, "{}", String::from_utf8_lossy(&ours.stderr));
        let theirs = run(Command::new("riscv64-linux-gnu-objdump").args(["-d", &rel]).current_dir(root()), &[], None);
        let is_insn = |l: &&str| l.starts_with(' ') && l.contains(":\t");
        let ours = String::from_utf8_lossy(&ours.stdout).into_owned();
        let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
        let (a, b): (Vec<&str>, Vec<&str>) =
            (ours.lines().filter(is_insn).collect(), theirs.lines().filter(is_insn).collect());
        assert!(b.len() > at_least, "{name}: objdump listed only {} instructions", b.len());
        assert_eq!(a.len(), b.len(), "{name}: different number of instruction lines");
        let differing: Vec<String> =
            a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| format!("  ours:    {x}\n  objdump: {y}")).collect();
        let rate = 1.0 - differing.len() as f64 / b.len() as f64;
        eprintln!(
            "{name}: {} of {} instruction lines identical ({:.4}%)",
            b.len() - differing.len(),
            b.len(),
            rate * 100.0
        );
        assert!(rate >= 0.999, "{name}: only {:.3}% identical:\n{}", rate * 100.0, differing.join("\n"));
        if !differing.is_empty() {
            eprintln!("{name}: differing lines:\n{}", differing.join("\n"));
        }
    }
}

/// `--stats` and `--stats-json` print the same report, and its counts are
/// consistent with each other. `printf_heavy` under the default engine,
/// forced to compile early (`--hot-ratio 0`) on the guest thread so the
/// run is deterministic.
#[test]
fn stats_report_and_json_agree_and_add_up() {
    let json_path = std::env::temp_dir().join(format!("ferrovm-stats-agree-{}.json", std::process::id()));
    let out = run(
        Command::new(ferrovm())
            .args(["run", "--stats", "--hot-ratio", "0", "--hot-threshold", "10", "--compile-threads", "0"])
            .arg(format!("--stats-json={}", json_path.display()))
            .arg(root().join("tests/guests/bin/printf_heavy")),
        &[],
        None,
    );
    assert_eq!(out.status, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    let printed: std::collections::HashMap<String, String> = err
        .lines()
        .skip_while(|l| !l.starts_with("ferrovm: guest instructions retired"))
        .skip(1)
        .take_while(|l| !l.starts_with("hottest"))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect();
    let json = std::fs::read_to_string(&json_path).expect("--stats-json wrote the file");
    let _ = std::fs::remove_file(&json_path);
    let mut compared = 0;
    for line in json.lines().map(str::trim).filter(|l| l.starts_with('"') && !l.starts_with("\"hottest\"")) {
        let (k, v) = line.trim_end_matches(',').split_once(": ").expect("key: value");
        let k = k.trim_matches('"');
        let shown = printed.get(k).unwrap_or_else(|| panic!("{k} is in the JSON but not in --stats:\n{err}"));
        match (v.parse::<f64>(), shown.strip_suffix("ms")) {
            // Times: JSON in seconds, printed in ms with three decimals.
            (Ok(secs), Some(ms)) => {
                let ms: f64 = ms.parse().expect("a number of ms");
                assert!((secs * 1e3 - ms).abs() <= 0.0006, "{k}: JSON {secs} s, printed {ms} ms");
            }
            (Ok(x), None) => {
                let y: f64 = shown.parse().expect("a number");
                assert!((x - y).abs() <= 0.0001 * x.abs().max(1.0), "{k}: JSON {x}, printed {y}");
            }
            (Err(_), _) => assert_eq!(v.trim_matches('"'), shown, "{k}"),
        }
        compared += 1;
    }
    assert_eq!(compared, printed.len(), "the printed report has entries the JSON lacks");
    let n = |k: &str| -> f64 { printed[k].trim_end_matches("ms").parse().expect("a number") };
    // Counts that must agree.
    assert!(n("stats.hot_regions") > 0.0, "nothing compiled:\n{err}");
    assert_eq!(n("compile.count"), n("stats.hot_regions"), "every compile is a hot region under tiered");
    assert_eq!(n("stats.compile_pauses"), n("stats.compile_requests"), "compiles ran on the guest thread");
    assert!(n("stats.hot_blocks") <= n("stats.blocks_compiled"));
    assert!(n("stats.hot_insns") >= n("stats.hot_blocks"), "a block holds at least one instruction");
    let exits = ["chain", "ecall", "slow", "hot", "other"].iter().map(|e| n(&format!("stats.exits_{e}"))).sum::<f64>();
    assert!(exits <= n("stats.native_entries") && exits > 0.0, "exits {exits} vs entries");
    assert!(n("code_bytes_live") <= n("code_bytes_peak") && n("code_bytes_peak") <= n("code_capacity"));
    assert!(n("stats.compile_time") <= n("stats.translate_time"), "compile time is part of translate time");
    assert_eq!(n("stats.vcpus"), 1.0);
    assert!(n("stats.insns_retired") > 0.0);
}
