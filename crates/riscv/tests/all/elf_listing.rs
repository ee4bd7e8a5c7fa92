//! Oracle: `disassemble_elf` against `riscv64-linux-gnu-objdump -d` on the
//! guest programs in `tests/guests/bin/` (static glibc binaries and small
//! hand-written ones).
//!
//! Instruction lines are compared exactly, including objdump's `<symbol>`
//! annotations and `# address <symbol>` comments; the test requires at least
//! 99.9% of objdump's instruction lines to match (it reports the rate with
//! and without the comments, and every mismatch). The other lines (file
//! header, section and symbol headers) are compared as well and must match.
//! (Today every listing is byte-for-byte identical to objdump's; the test
//! reports how many are.)

use crate::oracle::{OBJDUMP, available, objdump, scratch};
use ferrovm_riscv::disassemble_elf_named;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn guest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/guests/bin")
}

fn is_insn_line(l: &str) -> Option<&str> {
    let (addr, _) = l.split_once(":\t")?;
    let a = addr.trim_start();
    (!a.is_empty() && addr.starts_with(' ') && a.chars().all(|c| c.is_ascii_hexdigit())).then_some(a)
}

fn without_comment(l: &str) -> &str {
    l.split(" # ").next().unwrap_or(l)
}

struct Outcome {
    total: usize,
    exact: usize,
    no_comment: usize,
    other_mismatches: usize,
    identical: bool,
}

/// Lists `path` both ways; returns the comparison.
fn compare_file(path: &Path, report: &mut String) -> Outcome {
    let name = path.to_string_lossy().into_owned();
    let elf = std::fs::read(path).expect("read guest ELF");
    let mut ours = Vec::new();
    disassemble_elf_named(&name, &elf, &mut ours).expect("disassemble_elf");
    let ours = String::from_utf8(ours).expect("UTF-8 listing");
    let theirs = objdump(path);

    let ours_insns: HashMap<&str, &str> = ours.lines().filter_map(|l| Some((is_insn_line(l)?, l))).collect();
    let mut out = Outcome { total: 0, exact: 0, no_comment: 0, other_mismatches: 0, identical: ours == theirs };
    for l in theirs.lines() {
        let Some(addr) = is_insn_line(l) else { continue };
        out.total += 1;
        match ours_insns.get(addr) {
            Some(&o) if o == l => {
                out.exact += 1;
                out.no_comment += 1;
            }
            Some(&o) if without_comment(o) == without_comment(l) => {
                out.no_comment += 1;
                report.push_str(&format!("{name}\n  objdump: {l}\n  ours:    {o}\n"));
            }
            o => report.push_str(&format!("{name}\n  objdump: {l}\n  ours:    {o:?}\n")),
        }
    }
    let headers =
        |s: &str| -> Vec<String> { s.lines().filter(|l| is_insn_line(l).is_none()).map(str::to_string).collect() };
    let (ours_h, theirs_h) = (headers(&ours), headers(&theirs));
    for (i, (a, b)) in ours_h.iter().zip(&theirs_h).enumerate() {
        if a != b {
            out.other_mismatches += 1;
            report.push_str(&format!("{name}: header line {i}\n  objdump: {b}\n  ours:    {a}\n"));
        }
    }
    if ours_h.len() != theirs_h.len() {
        out.other_mismatches += 1;
        report.push_str(&format!("{name}: {} non-instruction lines, objdump has {}\n", ours_h.len(), theirs_h.len()));
    }
    if out.exact != out.total || out.other_mismatches != 0 {
        let dir = scratch(&format!("listing-{}", path.file_name().unwrap_or_default().to_string_lossy()));
        let _ = std::fs::write(dir.join("ours.txt"), &ours);
        let _ = std::fs::write(dir.join("objdump.txt"), &theirs);
    }
    out
}

#[test]
fn oracle_listing_matches_objdump_on_guest_binaries() {
    let test = "oracle_listing_matches_objdump_on_guest_binaries";
    let hello = guest_dir().join("hello");
    if !hello.exists() {
        if std::env::var("FERROVM_REQUIRE_ORACLES").is_ok_and(|v| v == "1") {
            panic!("{test}: {} is missing", hello.display());
        }
        eprintln!("{test}: skipped, {} does not exist yet", hello.display());
        return;
    }
    if !available(OBJDUMP, test) {
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(guest_dir())
        .expect("list guests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x7fELF")))
        .collect();
    files.sort();
    let mut report = String::new();
    let (mut total, mut exact, mut no_comment, mut other, mut identical) = (0, 0, 0, 0, 0);
    for f in &files {
        let o = compare_file(f, &mut report);
        identical += usize::from(o.identical);
        eprintln!(
            "{}: {}/{} exact, {}/{} without comments, {} other mismatches",
            f.display(),
            o.exact,
            o.total,
            o.no_comment,
            o.total,
            o.other_mismatches
        );
        total += o.total;
        exact += o.exact;
        no_comment += o.no_comment;
        other += o.other_mismatches;
    }
    let rate = exact as f64 / total.max(1) as f64;
    eprintln!(
        "all: {exact}/{total} instruction lines exact ({:.4}%), {no_comment}/{total} without comments",
        rate * 100.0
    );
    eprintln!("{identical} of {} listings are byte-for-byte identical to objdump's", files.len());
    let path = scratch("listing").join("mismatches.txt");
    let _ = std::fs::write(&path, &report);
    if !report.is_empty() {
        eprintln!("mismatches (all in {}):\n{}", path.display(), report.chars().take(4000).collect::<String>());
    }
    assert!(total > 0);
    assert!(rate >= 0.999, "only {:.4}% of instruction lines match", rate * 100.0);
    assert_eq!(other, 0, "header/section/symbol lines differ");
}
