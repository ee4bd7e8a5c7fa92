//! Runs one guest function in isolation: `fnv1a(buf, len, seed)` from
//! `guest/funcs.c`, with its arguments in registers and its buffer in
//! guest memory, and reads the result from `a0`. Nothing else of a program
//! is needed: a stack, the code, and a return address where the run
//! stops.
//!
//! `cargo run -p ferrovm --example isolated_call`

use ferrovm::{EngineConfig, Machine, Outcome, Perms, Reg, Run};

#[path = "guest/funcs.rs"]
#[expect(dead_code, reason = "each example uses some of the functions")]
mod funcs;

/// The guest functions, linked at 0 (`guest/build.sh`).
const FUNCS: &[u8] = include_bytes!("guest/funcs.bin");
const CODE: u64 = 0x10000;
const STACK: u64 = 0x7000_0000;
const BUF: u64 = 0x2000_0000;
/// The function "returns" here: nothing is mapped, the run stops first.
const RETURN: u64 = 0xdead_0000;

/// Calls `fnv1a(data, data.len(), seed)` in a fresh machine.
fn guest_fnv1a(config: EngineConfig, data: &[u8], seed: u64) -> ferrovm::Result<u64> {
    let mut m = Machine::new(config)?;
    m.load_code(CODE, FUNCS)?;
    m.map(STACK, 0x10000, Perms::RW)?;
    m.map(BUF, (data.len() as u64).max(1), Perms::R)?;
    m.write(BUF, data)?;
    m.set_reg(Reg::SP, STACK + 0x10000)?;
    m.set_reg(Reg::RA, RETURN)?;
    m.set_reg(Reg::A0, BUF)?;
    m.set_reg(Reg::A1, data.len() as u64)?;
    m.set_reg(Reg::A2, seed)?;
    match m.start(CODE + funcs::FNV1A, Run::to_end().until(RETURN))? {
        Outcome::Until => m.reg(Reg::A0),
        other => panic!("fnv1a did not return: {other:?} at {:#x}", m.pc()),
    }
}

/// The same function in Rust.
fn host_fnv1a(data: &[u8], seed: u64) -> u64 {
    data.iter().fold(seed, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

const SEED: u64 = 0xcbf2_9ce4_8422_2325;

fn main() -> ferrovm::Result<()> {
    let text = b"The quick brown fox jumps over the lazy dog";
    let got = guest_fnv1a(EngineConfig::default(), text, SEED)?;
    println!(
        "fnv1a({:?}) = {got:#018x} (guest), {:#018x} (host)",
        String::from_utf8_lossy(text),
        host_fnv1a(text, SEED)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm::EngineMode;

    #[test]
    fn guest_and_host_agree_under_every_engine() {
        let inputs: [&[u8]; 3] = [b"", b"a", b"The quick brown fox jumps over the lazy dog"];
        for mode in [EngineMode::Interp, EngineMode::Jit { tier_up: None }, EngineMode::Tiered] {
            for data in inputs {
                let config = EngineConfig { mode, ..EngineConfig::default() };
                assert_eq!(guest_fnv1a(config, data, SEED).expect("run"), host_fnv1a(data, SEED), "{mode:?}");
            }
        }
        // The known FNV-1a value.
        assert_eq!(host_fnv1a(b"a", SEED), 0xaf63_dc4c_8601_ec8c);
    }
}
