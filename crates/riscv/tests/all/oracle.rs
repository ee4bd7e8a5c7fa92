//! Finding and running the binutils oracle.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const AS: &str = "riscv64-linux-gnu-as";
pub const OBJDUMP: &str = "riscv64-linux-gnu-objdump";

/// Whether `tool` runs. If not: panics when `FERROVM_REQUIRE_ORACLES=1`,
/// otherwise prints why the calling test is skipped and returns false.
pub fn available(tool: &str, test: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("FERROVM_REQUIRE_ORACLES").is_ok_and(|v| v == "1") {
            panic!("{test}: {tool} is required (FERROVM_REQUIRE_ORACLES=1) but not installed");
        }
        eprintln!("{test}: skipped, {tool} is not installed");
    }
    ok
}

/// A fresh scratch directory under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("riscv-oracle").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs `objdump -d` on `path` and returns its stdout.
pub fn objdump(path: &Path) -> String {
    let out = Command::new(OBJDUMP).arg("-d").arg(path).output().expect("run objdump");
    assert!(out.status.success(), "objdump failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("objdump output is UTF-8")
}

/// Assembles `.insn` directives for `words` (`(bits, len)`) with every
/// supported extension enabled and returns objdump's text for each, with the
/// `<symbol>` annotation and `#` comment removed. `None` if the tools are
/// missing (and not required).
pub fn objdump_words(words: &[(u32, u8)], test: &str) -> Option<Vec<String>> {
    if !available(AS, test) || !available(OBJDUMP, test) {
        return None;
    }
    let dir = scratch(test);
    let src = dir.join("words.s");
    let obj = dir.join("words.o");
    let mut text = String::new();
    for &(w, len) in words {
        text.push_str(&format!(".insn {len}, 0x{w:x}\n"));
    }
    std::fs::write(&src, text).expect("write .s");
    let status =
        Command::new(AS).arg(format!("-march={MARCH}")).arg("-o").arg(&obj).arg(&src).status().expect("run as");
    assert!(status.success(), "as failed");
    let lines: Vec<String> = objdump(&obj)
        .lines()
        .filter_map(|l| {
            let (addr, rest) = l.split_once(":\t")?;
            if !addr.trim_start().chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let (_bytes, text) = rest.split_once('\t')?;
            Some(strip_annotations(text).to_string())
        })
        .collect();
    assert_eq!(lines.len(), words.len(), "one objdump line per word");
    Some(lines)
}

/// Every extension ferrovm implements that binutils 2.40 knows, without the
/// hint extensions (their encodings print as the base instructions they
/// are). Zicond, Zfa, Zimop, Zcb, Zcmop and Zihintntl are newer than 2.40:
/// `tests/all/spec_rows.rs` checks them against the specifications.
pub const MARCH: &str = "rv64gcv_zba_zbb_zbc_zbs_zfh_zicbom_zicboz_zawrs_zbkb_zbkx";

/// `beqz\ts0,10 <.text+0x10>` -> `beqz\ts0,10`; drops ` # ...` comments too.
pub fn strip_annotations(text: &str) -> &str {
    let text = text.split(" # ").next().unwrap_or(text);
    match text.rfind(" <") {
        Some(i) if text.ends_with('>') => &text[..i],
        _ => text,
    }
}
