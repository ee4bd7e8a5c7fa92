//! ferrovm's tier 0: an interpreter of the IR.
//!
//! A lifted, optimized [`ferrovm_ir::Block`] is [`lower`]ed once into a
//! compact form (immediates folded in, frequent ops specialized, temporaries
//! packed into a small frame) and then [`execute`]d as often as the guest
//! runs it, against a [`ferrovm_ir::Cpu`] and a
//! [`ferrovm_mem::AddressSpace`]. Execution returns a [`BlockExit`] value;
//! guest faults are values, never host errors, and leave the CPU state
//! precise.
//!
//! ```
//! use ferrovm_interp::{BlockExit, Frame, execute, lower};
//! use ferrovm_ir::{Cpu, text::parse_blocks};
//! use ferrovm_mem::AddressSpace;
//!
//! let block = parse_blocks("block 0x1000..0x1004 {
//!     mark 0x1000 4
//!     t0 = get x10
//!     t1 = const 0x5
//!     t2 = add t0, t1
//!     set x10, t2
//!     jump 0x1004
//! }").unwrap().remove(0);
//! let lowered = lower(&block).unwrap();
//! let mem = AddressSpace::new().unwrap();
//! let mut cpu = Cpu::default();
//! cpu.regs[10] = 37;
//! let mut frame: Frame = [0; 256];
//! assert_eq!(execute(&lowered, &mut cpu, &mem, &mut frame), BlockExit::Continue);
//! assert_eq!((cpu.regs[10], cpu.pc, cpu.instret), (42, 0x1004, 1));
//! ```

mod exec;
mod lower;

pub use exec::{BlockExit, Frame, MemAccess, Observer, execute, execute_observed};
pub use lower::{IOp, ITerm, LowerError, Lowered, MAX_SLOTS, Site, lower};
