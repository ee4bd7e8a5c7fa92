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
