//! Golden-file tests of the lifter and the default pass pipeline.
//!
//! Each `tests/filetests/*.ft` file lists cases (`case WORD... ; source`);
//! after each case line comes the IR the lifter makes of those words placed
//! at 0x10000, then `optimized:` and the IR after the default passes. With
//! `FERROVM_BLESS=1` the runner rewrites the expectations instead of
//! comparing. Every block is also checked by the verifier.

use std::path::{Path, PathBuf};

use ferrovm_ir::passes::PassManager;
use ferrovm_ir::verify;
use ferrovm_mem::{AddressSpace, Perms};
use ferrovm_riscv::lift::lift_block_limited;

const BASE: u64 = 0x10000;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/filetests")
}

/// Lifts the case's words and renders the expected text.
fn render(words: &[&str]) -> String {
    let mem = AddressSpace::new().expect("address space");
    mem.map(BASE, 0x1000, Perms::RX).expect("map");
    let mut bytes = Vec::new();
    for w in words {
        let v = u32::from_str_radix(w, 16).expect("hex word");
        if w.len() <= 4 {
            bytes.extend_from_slice(&(v as u16).to_le_bytes());
        } else {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    mem.write_bytes_force(BASE, &bytes).expect("write code");
    let mut fetch = |a: u64| mem.fetch_u16(a).ok();
    let mut block = lift_block_limited(BASE, words.len(), &mut fetch).expect("lifts");
    if let Err(e) = verify(&block) {
        panic!("lifted block fails verification: {e}\n{block}");
    }
    let mut out = block.to_string();
    let mut pm = PassManager::default_pipeline();
    pm.set_verify(true);
    pm.run(&mut block).unwrap_or_else(|e| panic!("{e}\n{block}"));
    out.push_str("optimized:\n");
    out.push_str(&block.to_string());
    out
}

/// Runs one file; returns a description of the mismatches.
fn check_file(path: &Path, bless: bool) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable filetest");
    let mut header = String::new();
    let mut cases: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with("case ") {
            cases.push((line.to_string(), String::new()));
        } else if let Some((_, body)) = cases.last_mut() {
            body.push_str(line);
            body.push('\n');
        } else {
            header.push_str(line);
            header.push('\n');
        }
    }
    let mut failures = Vec::new();
    let mut rewritten = header;
    for (case, body) in &cases {
        let words: Vec<&str> = case["case ".len()..].split(';').next().unwrap_or("").split_whitespace().collect();
        let got = render(&words);
        if !bless && body.trim() != got.trim() {
            failures.push(format!("{}: {case}\n--- expected\n{}\n--- got\n{got}", path.display(), body.trim()));
        }
        rewritten.push_str(case);
        rewritten.push('\n');
        rewritten.push_str(&got);
        rewritten.push('\n');
    }
    if bless {
        std::fs::write(path, rewritten).expect("write blessed file");
    }
    assert!(!cases.is_empty(), "{} has no cases", path.display());
    failures
}

#[test]
fn filetests() {
    let bless = std::env::var_os("FERROVM_BLESS").is_some_and(|v| v == "1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/filetests exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ft"))
        .collect();
    files.sort();
    // One file per extension, as the issue asks.
    for ext in ["rv64i", "rv64m", "rv64a", "rv64f", "rv64d", "zicsr", "bitmanip", "zbk", "zfh", "cmo", "rva23", "rvc"] {
        assert!(files.iter().any(|f| f.file_stem().is_some_and(|s| s == ext)), "missing {ext}.ft");
    }
    let failures: Vec<String> = files.iter().flat_map(|f| check_file(f, bless)).collect();
    assert!(
        failures.is_empty(),
        "{} golden mismatches (rerun with FERROVM_BLESS=1 if intended):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
