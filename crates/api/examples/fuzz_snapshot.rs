//! A snapshot-and-restore fuzzing loop over a small parser,
//! `parse(s, n, out)` from `guest/funcs.c`, which reads `key=value;`
//! records into a table with room for four and does not check it. The
//! table ends at the end of a page, so a fifth record faults: the crash
//! the loop looks for.
//!
//! Set-up (code, stack, input buffer, table, registers) happens once and
//! is snapshotted; each iteration mutates an input of the corpus, writes
//! it, runs the parser to its return (or a fault, or an instruction
//! budget), keeps the input in the corpus if the parser found more records
//! in it than in any before (feedback from the result, so the loop climbs
//! towards the overflow), and restores the snapshot, which copies back only the pages the run wrote (the input,
//! the table, the stack: a few pages of the 1 MiB mapped), so a run costs
//! what the parser does, not what the machine holds.
//!
//! `cargo run -p ferrovm --example fuzz_snapshot`

use ferrovm::{EngineConfig, Fault, Machine, Outcome, Perms, Reg, Run};

#[path = "guest/funcs.rs"]
#[expect(dead_code, reason = "each example uses some of the functions")]
mod funcs;

const FUNCS: &[u8] = include_bytes!("guest/funcs.bin");
const CODE: u64 = 0x10000;
const STACK: u64 = 0x7000_0000;
const INPUT: u64 = 0x2000_0000;
/// Four 16-byte records fit before the end of the page.
const TABLE: u64 = 0x3000_1000 - 4 * 16;
const RETURN: u64 = 0xdead_0000;
const MAX_INPUT: usize = 64;

/// What a fuzzing campaign found.
#[derive(Debug)]
struct Report {
    iterations: u64,
    /// The first crashing input and its fault.
    crash: Option<(Vec<u8>, Fault)>,
    /// Pages restored, over all iterations.
    pages_restored: u64,
    /// Restores that had to copy everything.
    full_restores: u64,
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes the parser cares about, tried more often than random ones.
const INTERESTING: &[u8] = b";=0123456789abc";

/// One to four random byte changes, insertions or deletions.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut input = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let byte = if rng.below(2) == 0 { INTERESTING[rng.below(INTERESTING.len())] } else { rng.next() as u8 };
        let at = rng.below(input.len() + 1);
        match rng.below(3) {
            0 if at < input.len() => input[at] = byte,
            1 if input.len() < MAX_INPUT => input.insert(at, byte),
            _ if at < input.len() && input.len() > 1 => {
                input.remove(at);
            }
            _ => {}
        }
    }
    input
}

/// Fuzzes `parse` from `seed` for at most `iterations` runs, stopping at
/// the first crash.
fn fuzz(config: EngineConfig, seed: &[u8], iterations: u64) -> ferrovm::Result<Report> {
    let mut m = Machine::new(config)?;
    m.load_code(CODE, FUNCS)?;
    m.map(STACK, 0x10000, Perms::RW)?;
    m.map(INPUT, 0x1000, Perms::R)?;
    // The table's page, and a megabyte of other memory a restore must not
    // have to copy.
    m.map(TABLE & !0xfff, 0x1000, Perms::RW)?;
    m.map(0x4000_0000, 0x10_0000, Perms::RW)?;
    m.set_reg(Reg::SP, STACK + 0x10000)?;
    m.set_reg(Reg::RA, RETURN)?;
    m.set_reg(Reg::A0, INPUT)?;
    m.set_reg(Reg::A2, TABLE)?;
    m.set_pc(CODE + funcs::PARSE);
    let snap = m.snapshot()?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut report = Report { iterations: 0, crash: None, pages_restored: 0, full_restores: 0 };
    let mut corpus = vec![seed.to_vec()];
    let mut best = 0;
    while report.iterations < iterations {
        report.iterations += 1;
        let input = mutate(&corpus[rng.below(corpus.len())], &mut rng);
        m.write(INPUT, &input)?;
        m.set_reg(Reg::A1, input.len() as u64)?;
        let outcome = m.run_with(Run::to_end().until(RETURN).count(100_000))?;
        let records = m.reg(Reg::A0)? as i64;
        let restored = m.restore(&snap)?;
        report.pages_restored += restored.pages;
        report.full_restores += u64::from(restored.full);
        match outcome {
            Outcome::Until if records > best => {
                best = records;
                corpus.push(input);
            }
            Outcome::Until | Outcome::Count => {}
            Outcome::Fault(fault) => {
                report.crash = Some((input, fault));
                break;
            }
            other => panic!("parse ended with {other:?}"),
        }
    }
    Ok(report)
}

const SEED: &[u8] = b"key=12345";

fn main() -> ferrovm::Result<()> {
    let config = EngineConfig::default();
    let started = std::time::Instant::now();
    let report = fuzz(config, SEED, 1_000_000)?;
    let took = started.elapsed();
    println!(
        "{} iterations in {took:.2?} ({:.1} µs each), {:.2} pages restored per iteration, {} full restores",
        report.iterations,
        took.as_secs_f64() * 1e6 / report.iterations as f64,
        report.pages_restored as f64 / report.iterations as f64,
        report.full_restores
    );
    match &report.crash {
        Some((input, fault)) => println!("crash: {:?} -> {fault}", String::from_utf8_lossy(input)),
        None => println!("no crash found"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm::{Access, EngineMode, FaultKind};

    #[test]
    fn finds_the_overflow_restoring_only_written_pages() {
        for mode in [EngineMode::Interp, EngineMode::Jit { tier_up: None }] {
            let config = EngineConfig { mode, ..EngineConfig::default() };
            let report = fuzz(config, SEED, 5_000).expect("fuzz");
            let (input, fault) = report.crash.clone().expect("a crash within 5,000 runs");
            // The fifth record's first store is past the table's page.
            assert_eq!(fault.addr, 0x3000_1000, "{mode:?}");
            assert_eq!((fault.access, fault.kind), (Access::Write, FaultKind::Unmapped), "{mode:?}");
            assert!(input.iter().filter(|&&b| b == b';').count() >= 4, "{:?}", String::from_utf8_lossy(&input));
            assert!(report.iterations > 10, "the loop climbed to it: {report:?}");
            // Input, table, stack at most: never the megabyte.
            assert_eq!(report.full_restores, 0);
            assert!(report.pages_restored <= 3 * report.iterations, "{report:?}");
        }
    }
}
