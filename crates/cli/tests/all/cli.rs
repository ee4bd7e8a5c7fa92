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
