//! The guest programs of `tests/guests/manifest.txt` under the JIT
//! engines: `--engine jit` as is, with half of all compiles failing on
//! purpose (those blocks run in the interpreter), with 64 KiB and 16 KiB
//! code caches (both force constant eviction), and without chaining or
//! inline caches; the default engine (tiered, background compile workers)
//! with each eviction policy under constant eviction, with 0, 1 and 2
//! compile threads, with both cost models and with failing compiles. Each
//! run must match the committed expectations exactly, and every suite reads
//! the statistics (`--stats-json`) to prove that what it claims to test
//! happened: code was compiled, evicted, failed on purpose.

use std::collections::HashMap;
use std::path::Path;

use crate::guests::{SUPPORTED, describe, expected, manifest, under};
use crate::support::{ferrovm, root};

/// Which programs a suite runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Programs {
    All,
    MinimalAndHello,
}

/// Statistics summed over a suite's runs, by `--stats-json` key.
struct Totals(HashMap<String, f64>);

impl Totals {
    fn get(&self, key: &str) -> f64 {
        self.0.get(key).copied().unwrap_or(0.0)
    }

    /// Asserts that `key` summed to more than zero (`what` says why it
    /// should have).
    fn some(&self, key: &str, what: &str) -> &Self {
        assert!(self.get(key) > 0.0, "{what}: {key} is {} over the suite", self.get(key));
        self
    }
}

/// The numbers of a `--stats-json` file (a flat object; `hottest` skipped).
fn stats_numbers(json: &str) -> HashMap<String, f64> {
    json.lines()
        .filter_map(|l| {
            let (k, v) = l.trim().trim_end_matches(',').split_once(": ")?;
            Some((k.trim_matches('"').to_string(), v.parse::<f64>().ok()?))
        })
        .collect()
}

fn suite(extra: &[&str]) -> Totals {
    suite_of(Programs::All, extra)
}

fn suite_of(which: Programs, extra: &[&str]) -> Totals {
    suite_under("jit", which, extra)
}

fn suite_under(engine: &str, which: Programs, extra: &[&str]) -> Totals {
    let mut failures = Vec::new();
    let mut totals: HashMap<String, f64> = HashMap::new();
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
        let json = std::env::temp_dir().join(format!(
            "ferrovm-stats-{}-{}-{}.json",
            e.name,
            std::process::id(),
            RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let json_arg = format!("--stats-json={}", json.display());
        let mut pre = vec!["run", "--engine", engine, json_arg.as_str()];
        pre.extend_from_slice(extra);
        if dynamic {
            pre.extend_from_slice(&["-L", crate::guests::SYSROOT]);
        }
        if e.tags.iter().any(|t| t == "vector") {
            pre.extend_from_slice(&["--isa", "max"]);
        }
        let bin = root().join("tests/guests/bin").join(&e.name);
        let got = under(ferrovm(), &pre, &e, &bin);
        ran += 1;
        if let Some(m) = describe(&format!("{} under {}", e.name, pre.join(" ")), &got, &expected(&e.name)) {
            failures.push(m);
        }
        // A program killed by a signal writes no statistics.
        if let Ok(text) = std::fs::read_to_string(&json) {
            for (k, v) in stats_numbers(&text) {
                *totals.entry(k).or_default() += v;
            }
            let _ = std::fs::remove_file(&json);
        }
    }
    assert!(ran >= 10, "only {ran} guest programs ran");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    Totals(totals)
}

static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn guest_programs_under_the_jit() {
    suite(&[])
        .some("stats.blocks_compiled", "every block is compiled under --engine jit")
        .some("stats.baseline_compiles", "first-run code from the baseline compiler (the default first tier)");
}

/// The same programs give the same output whichever compiler makes
/// first-tier code: Cranelift's under `--engine jit` (and no baseline code
/// at all), and the baseline compiler's quick code under the default
/// engine with a compile worker (its optimized regions from Cranelift).
#[test]
fn guest_programs_under_each_first_tier() {
    let t = suite_of(Programs::MinimalAndHello, &["--first-tier", "cranelift"]);
    t.some("stats.blocks_compiled", "first-run code from Cranelift");
    assert_eq!(t.get("stats.baseline_compiles"), 0.0, "--first-tier cranelift made baseline code");
    let args = ["--first-tier", "baseline", "--compile-threads", "1", "--hot-threshold", "2", "--hot-ratio", "0"];
    suite_under("tiered", Programs::MinimalAndHello, &args)
        .some("stats.baseline_compiles", "quick code from the baseline compiler under tiered");
}

#[test]
fn guest_programs_with_half_of_all_compiles_failing() {
    suite(&["--jit-fault-rate", "0.5"])
        .some("stats.jit_injected_failures", "compiles failed on purpose")
        .some("stats.blocks_compiled", "the others compiled");
}

#[test]
fn guest_programs_with_a_64k_code_cache() {
    suite_of(Programs::MinimalAndHello, &["--code-cache-size", "65536"])
        .some("stats.jit_evictions", "a 64 KiB cache overflows");
}

/// 16 KiB evicts constantly even for the minimal programs (e.g. `min_sort`:
/// 160 compiles, 126 evictions).
#[test]
fn guest_programs_with_a_16k_code_cache() {
    suite_of(Programs::MinimalAndHello, &["--code-cache-size", "16384"])
        .some("stats.jit_evictions", "a 16 KiB cache overflows");
}

/// The whole suite under a 64 KiB cache: blocks evicted for room run
/// interpreted until they are hot again, so this no longer recompiles
/// every block on every run.
#[test]
fn whole_suite_with_a_64k_code_cache() {
    suite(&["--code-cache-size", "65536"]).some("stats.jit_evictions", "a 64 KiB cache overflows");
}

/// The tiered engine with a tiny threshold: nearly every block is compiled
/// as hot code (Cranelift's optimizer on, regions grown along hot
/// successors), after running in the interpreter first.
#[test]
fn guest_programs_as_hot_regions() {
    suite_under("tiered", Programs::All, &["--hot-threshold", "2", "--hot-ratio", "0"])
        .some("stats.hot_regions", "hot regions compiled")
        .some("compile.count", "compiles timed");
}

/// The guest suite as hot regions with each way compiled code reaches
/// guest memory (the default, plain host accesses that fault in the host,
/// is the test above):
/// inline checks on every access (`--checked-memory`: no access ever
/// faults in the host), and a limit branch before a plain host access
/// (`--direct-memory`).
#[test]
fn guest_programs_as_hot_regions_with_checked_and_direct_memory() {
    let hot = ["--hot-threshold", "2", "--hot-ratio", "0"];
    let checked = suite_under("tiered", Programs::All, &[&hot[..], &["--checked-memory"]].concat());
    checked.some("stats.hot_regions", "hot regions compiled with inline checks");
    assert_eq!(checked.get("stats.host_faults"), 0.0, "an access with an inline check faulted in the host");
    suite_under("tiered", Programs::All, &[&hot[..], &["--direct-memory"]].concat())
        .some("stats.hot_regions", "hot regions compiled for direct memory access");
}

/// Hot regions under constant eviction (the `minimal` tier and `hello`: a
/// 16 KiB cache cannot hold glibc's printf, so the rest would mostly
/// measure Cranelift in a debug build).
#[test]
fn guest_programs_as_hot_regions_with_a_16k_code_cache() {
    suite_under(
        "tiered",
        Programs::MinimalAndHello,
        &["--hot-threshold", "2", "--hot-ratio", "0", "--code-cache-size", "16384"],
    )
    .some("stats.hot_regions", "hot regions compiled")
    .some("stats.jit_evictions", "a 16 KiB cache overflows");
}

/// `--engine jit` recompiling nearly every block as hot code after two
/// runs of its first translation; and with half of those compiles failing
/// (the first translation keeps running).
#[test]
fn guest_programs_recompiled_as_hot_code() {
    suite(&["--hot-threshold", "2"]).some("stats.hot_regions", "first-run code recompiled as hot");
    suite(&["--hot-threshold", "2", "--jit-fault-rate", "0.5"])
        .some("stats.hot_regions", "first-run code recompiled as hot")
        .some("stats.jit_injected_failures", "compiles failed on purpose");
}

#[test]
fn guest_programs_without_chaining_or_inline_caches() {
    suite(&["--no-chaining", "--no-inline-cache"]).some("stats.blocks_compiled", "blocks compiled");
}

/// The default engine (tiered, compile workers), forced to compile nearly
/// everything (`--hot-threshold 2 --hot-ratio 0`) into a 16 KiB cache,
/// under each eviction policy.
#[test]
fn default_engine_with_each_eviction_policy() {
    for policy in ["lru", "lfu", "fifo", "value", "random"] {
        suite_under(
            "tiered",
            Programs::MinimalAndHello,
            &["--eviction", policy, "--hot-threshold", "2", "--hot-ratio", "0", "--code-cache-size", "16384"],
        )
        .some("stats.jit_evictions", &format!("{policy}: a 16 KiB cache overflows"));
    }
}

/// The default engine with its compiles on the guest thread (0), on one
/// and on two workers, and with each cost model; forced to compile early
/// so the compile paths run.
#[test]
fn default_engine_with_0_1_2_compile_threads_and_both_cost_models() {
    for extra in [
        ["--compile-threads", "0", "--cost-model", "fixed"],
        ["--compile-threads", "1", "--cost-model", "learned"],
        ["--compile-threads", "2", "--cost-model", "fixed"],
    ] {
        let mut args = extra.to_vec();
        args.extend(["--hot-threshold", "2", "--hot-ratio", "0"]);
        let t = suite_under("tiered", Programs::All, &args);
        t.some("stats.hot_regions", &format!("{}: hot regions compiled", extra.join(" ")));
        if extra[1] == "0" {
            t.some("stats.compile_pauses", "compiles on the guest thread");
            // Deterministic on the guest thread: min_sort's inner loop turns
            // hot inside the region of its outer one and enters it there.
            t.some("stats.region_aliases", "blocks entering a compiled region at their own pc");
        } else {
            t.some("stats.worker_busy", "compiles on workers");
        }
    }
}

/// The default engine as users get it (no knobs), and with half of all
/// compiles failing.
#[test]
fn default_engine_as_is_and_with_failing_compiles() {
    suite_under("tiered", Programs::All, &[]).some("stats.evaluations", "blocks weighed for compiling");
    suite_under("tiered", Programs::All, &["--jit-fault-rate", "0.5", "--hot-threshold", "2", "--hot-ratio", "0"])
        .some("stats.jit_injected_failures", "compiles failed on purpose");
}

/// A hot region takes in the guessed targets of its `switch`'s indirect
/// jump and jumps to them inside: the dispatch workload's bytecode loop
/// leaves compiled code through an indirect exit far less often than with
/// the guessing off (`--max-indirect-targets 0`), with the same output.
#[test]
fn a_switch_loop_stays_inside_its_region() {
    let bin = root().join("benches/workloads/bin/dispatch");
    let run = |targets: &str| {
        let json = std::env::temp_dir().join(format!("ferrovm-dispatch-{targets}-{}.json", std::process::id()));
        let out = std::process::Command::new(ferrovm())
            .args(["run", "--compile-threads", "0", "--max-indirect-targets", targets])
            .arg(format!("--stats-json={}", json.display()))
            .arg(&bin)
            .arg("1")
            .output()
            .expect("ferrovm runs");
        assert!(out.status.success(), "dispatch with --max-indirect-targets {targets}: {out:?}");
        let stats = stats_numbers(&std::fs::read_to_string(&json).expect("statistics written"));
        let _ = std::fs::remove_file(&json);
        (out.stdout, stats.get("stats.indirect_jumps").copied().unwrap_or(0.0), stats)
    };
    let (off_out, off, _) = run("0");
    let (on_out, on, stats) = run("16");
    assert_eq!(String::from_utf8_lossy(&on_out), String::from_utf8_lossy(&off_out));
    assert!(stats.get("stats.hot_regions").copied().unwrap_or(0.0) > 0.0, "hot regions compiled");
    assert!(off > 1e6, "the loop's indirect jumps leave compiled code without guesses: {off}");
    assert!(on < 0.75 * off, "indirect exits with guesses {on}, without {off}");
}

/// Limit checks moved onto the ways into a block (the JIT's
/// `translate::limits`) fail only where one of the block's accesses would
/// fault: the sort workload, whose regions are entered at blocks where a
/// register used as a pointer further on holds something else, runs
/// without one slow exit (when a block also assumed windows for
/// registers it only carried on, the quick size took 978 and 7,528 of
/// them in two runs, the default size 35 million, and four times as
/// long).
#[test]
fn checks_on_the_way_into_a_block_fail_only_before_a_fault() {
    let bin = root().join("benches/workloads/bin/sort");
    let json = std::env::temp_dir().join(format!("ferrovm-sort-limits-{}.json", std::process::id()));
    let out = std::process::Command::new(ferrovm())
        .args(["run", "--compile-threads", "0"])
        .arg(format!("--stats-json={}", json.display()))
        .arg(&bin)
        .arg("30")
        .output()
        .expect("ferrovm runs");
    assert!(out.status.success(), "sort: {out:?}");
    let stats = stats_numbers(&std::fs::read_to_string(&json).expect("statistics written"));
    let _ = std::fs::remove_file(&json);
    assert!(stats.get("stats.hot_regions").copied().unwrap_or(0.0) > 0.0, "hot regions compiled: {stats:?}");
    assert_eq!(stats.get("stats.exits_slow").copied(), Some(0.0), "slow exits");
}
