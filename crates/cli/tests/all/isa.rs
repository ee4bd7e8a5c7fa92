//! `--isa`, `-cpu` and the ELF's ISA attribute.

use std::process::Command;

use crate::support::{ferrovm, root, run};

fn guest(name: &str) -> std::path::PathBuf {
    root().join("tests/guests/bin").join(name)
}

#[test]
fn a_program_that_needs_the_vector_extension_is_refused_in_one_line() {
    // min_hello with its Tag_RISCV_arch edited from ..._c2p0_... to
    // ..._v1p0_... (same length): a program built for V.
    let mut elf = std::fs::read(guest("min_hello")).expect("min_hello");
    let at: Vec<usize> = elf.windows(6).enumerate().filter(|(_, w)| *w == b"_c2p0_").map(|(i, _)| i).collect();
    assert!(!at.is_empty(), "an ISA attribute");
    for i in at {
        elf[i..i + 6].copy_from_slice(b"_v1p0_");
    }
    let path = std::env::temp_dir().join(format!("ferrovm-needs-v-{}", std::process::id()));
    std::fs::write(&path, &elf).expect("write");
    let out = run(Command::new(ferrovm()).arg("run").arg(&path), &[], None);
    let _ = std::fs::remove_file(&path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs v,") && err.contains("vector extension"), "{err}");
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn the_isa_decides_what_is_illegal() {
    // min_rva23 declares rv64gc (it uses .insn words), so it loads under
    // --isa rv64gc, and its first czero.eqz is SIGILL there.
    let out = run(Command::new(ferrovm()).args(["run", "--isa", "rv64gc"]).arg(guest("min_rva23")), &[], None);
    assert_eq!(out.status, 128 + 4, "SIGILL");
    for isa in ["rva23u64", "max", "rv64gc_zba_zbb_zicond_zfa_zfh_zcb_zcmop_zimop_zicboz_zicbom_zicbop_zihintntl_zawrs"]
    {
        let out = run(Command::new(ferrovm()).args(["run", "--isa", isa]).arg(guest("min_rva23")), &[], None);
        assert_eq!(out.status, 0, "--isa {isa}: {}", String::from_utf8_lossy(&out.stdout));
    }
    // Zcb's c.sext.b/c.zext.h need Zbb and c.zext.w Zba: without them, SIGILL.
    let no_zbb = "rv64gc_zicond_zfa_zfh_zcb_zcmop_zimop_zicboz_zicbom_zicbop_zihintntl_zawrs";
    let out = run(Command::new(ferrovm()).args(["run", "--isa", no_zbb]).arg(guest("min_rva23")), &[], None);
    assert_eq!(out.status, 128 + 4, "SIGILL");
}

#[test]
fn the_attribute_check_names_what_is_missing() {
    let out = run(Command::new(ferrovm()).args(["run", "--isa", "rva22u64"]).arg(guest("min_zfh_zbk")), &[], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status, 0);
    assert!(err.contains("needs zbkb, zbkx,") && err.lines().count() == 1, "{err}");
    // -cpu as QEMU: rv64 lacks Zfh and Zbk*; the properties add them.
    let out = run(Command::new(ferrovm()).args(["run", "-cpu", "rv64"]).arg(guest("min_zfh_zbk")), &[], None);
    assert_ne!(out.status, 0);
    let cpu = "rv64,Zfh=true,zbkb=true,zbkx=true";
    let out = run(Command::new(ferrovm()).args(["run", "-cpu", cpu]).arg(guest("min_zfh_zbk")), &[], None);
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bad_isa_arguments_are_errors() {
    for (args, says) in [
        (&["--isa", "rva99"][..], "not a profile"),
        (&["--isa", "rv64gc_zfoo"][..], "zfoo"),
        (&["--isa", "rv64gc", "-cpu", "rv64"][..], "one of --isa and -cpu"),
    ] {
        let out = run(Command::new(ferrovm()).arg("run").args(args).arg(guest("min_hello")), &[], None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status, 0, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
