//! The guest programs of `tests/guests/manifest.txt` under `--engine jit`:
//! as is, with half of all compiles failing on purpose (those blocks run in
//! the interpreter), with 64 KiB and 16 KiB code caches (both force constant
//! eviction), and without chaining or inline caches. Each run must match the
//! committed expectations exactly.
//!
//! The whole suite also runs under a 64 KiB cache, under `--engine jit`
//! recompiling blocks as hot code after two runs, and under `--engine
//! tiered` with a threshold of 2 (hot regions, optimized), alone and (the
//! `minimal` tier and `hello`) with a 16 KiB cache.

use std::path::Path;

use crate::guests::{SUPPORTED, describe, expected, manifest, under};
use crate::support::{ferrovm, root};

/// Which programs a suite runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Programs {
    All,
    MinimalAndHello,
}

fn suite(extra: &[&str]) {
    suite_of(Programs::All, extra);
}

fn suite_of(which: Programs, extra: &[&str]) {
    suite_under("jit", which, extra);
}

fn suite_under(engine: &str, which: Programs, extra: &[&str]) {
    let mut pre = vec!["run", "--engine", engine];
    pre.extend_from_slice(extra);
    let mut failures = Vec::new();
    let mut ran = 0;
    for e in manifest() {
        if !e.tags.iter().all(|t| SUPPORTED.contains(&t.as_str())) {
            continue;
        }
        if which == Programs::MinimalAndHello && !(e.tags.iter().any(|t| t == "minimal") || e.name == "hello") {
            continue;
        }
        let dynamic = e.tags.iter().any(|t| t == "dynamic");
        if dynamic && !Path::new(crate::guests::SYSROOT).join("lib").exists() {
            continue;
        }
        let mut pre = pre.clone();
        if dynamic {
            pre.extend_from_slice(&["-L", crate::guests::SYSROOT]);
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
    suite_of(Programs::MinimalAndHello, &["--code-cache-size", "65536"]);
}

/// 16 KiB evicts constantly even for the minimal programs (e.g. `min_sort`:
/// 160 compiles, 126 evictions).
#[test]
fn guest_programs_with_a_16k_code_cache() {
    suite_of(Programs::MinimalAndHello, &["--code-cache-size", "16384"]);
}

/// The whole suite under a 64 KiB cache: blocks evicted for room run
/// interpreted until they are hot again, so this no longer recompiles
/// every block on every run.
#[test]
fn whole_suite_with_a_64k_code_cache() {
    suite(&["--code-cache-size", "65536"]);
}

/// The tiered engine with a tiny threshold: nearly every block is compiled
/// as hot code (Cranelift's optimizer on, regions grown along hot
/// successors), after running in the interpreter first.
#[test]
fn guest_programs_as_hot_regions() {
    suite_under("tiered", Programs::All, &["--hot-threshold", "2"]);
}

/// Hot regions under constant eviction (the `minimal` tier and `hello`: a
/// 16 KiB cache cannot hold glibc's printf, so the rest would mostly
/// measure Cranelift in a debug build).
#[test]
fn guest_programs_as_hot_regions_with_a_16k_code_cache() {
    suite_under("tiered", Programs::MinimalAndHello, &["--hot-threshold", "2", "--code-cache-size", "16384"]);
}

/// `--engine jit` recompiling nearly every block as hot code after two
/// runs of its first translation; and with half of those compiles failing
/// (the first translation keeps running).
#[test]
fn guest_programs_recompiled_as_hot_code() {
    suite(&["--hot-threshold", "2"]);
    suite(&["--hot-threshold", "2", "--jit-fault-rate", "0.5"]);
}

#[test]
fn guest_programs_without_chaining_or_inline_caches() {
    suite(&["--no-chaining", "--no-inline-cache"]);
}
