//! Embed ferrovm, a RISC-V (riscv64) virtual machine, in a Rust program:
//! map memory, load code or an ELF, set registers, run (to the end, until
//! an address, for N instructions, with a timeout, stopped from another
//! thread), hook blocks, instructions, memory accesses, faults, system
//! calls and illegal instructions, and snapshot and restore the whole
//! state quickly. The shape follows Unicorn's API, which fuzzers,
//! sandboxes and analysis tools are written against; `README.md` in this
//! crate compares the two point by point.
//!
//! A [`Machine`] is either bare ([`Machine::new`]: nothing mapped, the
//! embedder handles `ecall`s) or a Linux process ([`Machine::linux`]: an
//! ELF loaded with its stack, system calls served by ferrovm's Linux
//! layer unless a hook takes them). Guest code runs in whichever engine
//! the [`EngineConfig`] picks (the interpreter, the JIT, tiered); hooks
//! work under every engine ([`hooks`] says what each costs).
//!
//! ```
//! use ferrovm::{EngineConfig, Machine, Outcome, Perms, Reg};
//!
//! let mut m = Machine::new(EngineConfig::default())?;
//! // add a0, a0, a1 ; ret
//! m.load_code(0x10000, &[0x33, 0x05, 0xb5, 0x00, 0x82, 0x80])?;
//! m.map(0x80000, 0x1000, Perms::RW)?; // a stack
//! m.set_reg(Reg::A0, 40)?;
//! m.set_reg(Reg::A1, 2)?;
//! m.set_reg(Reg::SP, 0x81000)?;
//! m.set_reg(Reg::RA, 0xdead0)?; // return here: stop
//! assert_eq!(m.start(0x10000, ferrovm::Run::to_end().until(0xdead0))?, Outcome::Until);
//! assert_eq!(m.reg(Reg::A0)?, 42);
//! # Ok::<(), ferrovm::Error>(())
//! ```
//!
//! The examples (`crates/api/examples/`): `isolated_call` runs a guest
//! function with arguments and reads its result; `coverage` traces every
//! block into a coverage map; `fuzz_snapshot` runs a parser over inputs
//! from a snapshot, restoring only the pages each run wrote; `sandbox`
//! runs Linux programs under a system-call policy.

mod error;
pub mod hooks;
mod machine;
mod regs;

pub use error::{Error, Result};
pub use ferrovm_engine::{EngineConfig, EngineMode};
pub use ferrovm_ir::Cpu;
pub use ferrovm_linux as linux;
pub use ferrovm_linux::ExitStatus;
pub use ferrovm_mem::{Access, Fault, FaultKind, Mapping, PAGE_SIZE, Perms, Restored};
pub use hooks::{Ecall, Flow, HookId, MemAccess, Resolve};
pub use machine::{Machine, Outcome, Run, Snapshot, StopHandle};
pub use regs::Reg;

#[cfg(test)]
mod tests;
