//! Traces every basic block a guest function runs into a coverage map
//! (a block hook, Unicorn's `UC_HOOK_BLOCK`), for `classify(x)` from
//! `guest/funcs.c` over a few inputs: which inputs reach new code. The
//! machine is made with `block_exits`, so the blocks run compiled and
//! return to the run loop at each block boundary for the hook.
//!
//! `cargo run -p ferrovm --example coverage`

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ferrovm::{EngineConfig, Flow, Machine, Outcome, Perms, Reg, Run};

#[path = "guest/funcs.rs"]
#[expect(dead_code, reason = "each example uses some of the functions")]
mod funcs;

const FUNCS: &[u8] = include_bytes!("guest/funcs.bin");
const CODE: u64 = 0x10000;
const STACK: u64 = 0x7000_0000;
const RETURN: u64 = 0xdead_0000;

/// Block start (offset in `funcs.bin`) → times it ran.
type Coverage = BTreeMap<u64, u64>;

/// Runs `classify(x)` for each input; returns the results, the coverage
/// of all runs, and for each input how many blocks it reached first.
fn trace(config: EngineConfig, inputs: &[i64]) -> ferrovm::Result<(Vec<i64>, Coverage, Vec<usize>)> {
    let mut m = Machine::new(config)?;
    m.load_code(CODE, FUNCS)?;
    m.map(STACK, 0x10000, Perms::RW)?;
    let coverage = Arc::new(Mutex::new(Coverage::new()));
    let map = Arc::clone(&coverage);
    m.hook_block(move |_, pc| {
        if let Some(off) = pc.checked_sub(CODE).filter(|&off| off < FUNCS.len() as u64) {
            *map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(off).or_default() += 1;
        }
        Flow::Continue
    });
    let mut results = Vec::new();
    let mut new_blocks = Vec::new();
    for &x in inputs {
        let before = coverage.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len();
        m.set_reg(Reg::SP, STACK + 0x10000)?;
        m.set_reg(Reg::RA, RETURN)?;
        m.set_reg(Reg::A0, x as u64)?;
        let outcome = m.start(CODE + funcs::CLASSIFY, Run::to_end().until(RETURN))?;
        assert_eq!(outcome, Outcome::Until, "classify({x}) returned");
        results.push(m.reg(Reg::A0)? as i32 as i64);
        let after = coverage.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len();
        new_blocks.push(after - before);
    }
    let map = coverage.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    Ok((results, map, new_blocks))
}

const INPUTS: [i64; 7] = [7, -3, 0, 8, 200, 101, 5];

fn main() -> ferrovm::Result<()> {
    let config = EngineConfig { block_exits: true, ..EngineConfig::default() };
    let (results, coverage, new_blocks) = trace(config, &INPUTS)?;
    for ((x, r), n) in INPUTS.iter().zip(&results).zip(&new_blocks) {
        println!("classify({x:4}) = {r:2}   new blocks: {n}");
    }
    println!("coverage (block offset: runs):");
    for (off, runs) in &coverage {
        println!("  {:#06x}: {runs}", off);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm::EngineMode;

    #[test]
    fn every_branch_is_covered_the_same_under_every_engine() {
        let mut maps = Vec::new();
        for mode in [EngineMode::Interp, EngineMode::Jit { tier_up: None }, EngineMode::Tiered] {
            for block_exits in [true, false] {
                let config = EngineConfig { mode, block_exits, ..EngineConfig::default() };
                let (results, coverage, new_blocks) = trace(config, &INPUTS).expect("trace");
                assert_eq!(results, vec![1, -1, 0, 2, 4, 3, 1]);
                // classify has 9 blocks: 7 reaches 5 of them, each of
                // the next four one more, 101 and 5 none.
                assert_eq!(new_blocks, vec![5, 1, 1, 1, 1, 0, 0], "{mode:?} {block_exits}");
                maps.push(coverage);
            }
        }
        // Every exit of classify is reached; the entry block ran once per input.
        assert_eq!(maps[0][&funcs::CLASSIFY], INPUTS.len() as u64);
        assert!(maps.iter().all(|m| *m == maps[0]), "{maps:?}");
    }
}
