//! The guest programs of `tests/guests/manifest.txt` under `--engine jit`:
//! as is, with half of all compiles failing on purpose (those blocks run in
//! the interpreter), with 64 KiB and 16 KiB code caches (16 KiB forces
//! constant eviction), and without chaining or inline caches. Each run must
//! match the committed expectations exactly.

use crate::guests::{SUPPORTED, describe, expected, manifest, under};
use crate::support::{ferrovm, root};

fn suite(extra: &[&str]) {
    let mut pre = vec!["run", "--engine", "jit"];
    pre.extend_from_slice(extra);
    let mut failures = Vec::new();
    let mut ran = 0;
    for e in manifest() {
        if !e.tags.iter().all(|t| SUPPORTED.contains(&t.as_str())) {
            continue;
        }
        let bin = root().join("tests/guests/bin").join(&e.name);
        let got = under(ferrovm(), &pre, &e, &bin);
        ran += 1;
        if let Some(m) = describe(&format!("{} under {}", e.name, pre.join(" ")), &got, &expected(&e.name)) {
            failures.push(m);
        }
    }
    assert!(ran >= 10, "only {ran} guest programs ran");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn guest_programs_under_the_jit() {
    suite(&[]);
}

#[test]
fn guest_programs_with_half_of_all_compiles_failing() {
    suite(&["--jit-fault-rate", "0.5"]);
}

#[test]
fn guest_programs_with_a_64k_code_cache() {
    suite(&["--code-cache-size", "65536"]);
}

/// The minimal programs' hot code fits in 64 KiB; 16 KiB evicts constantly
/// (e.g. `min_sort`: 160 compiles, 126 evictions).
#[test]
fn guest_programs_with_a_16k_code_cache() {
    suite(&["--code-cache-size", "16384"]);
}

#[test]
fn guest_programs_without_chaining_or_inline_caches() {
    suite(&["--no-chaining", "--no-inline-cache"]);
}
