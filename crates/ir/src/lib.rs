//! ferrovm's intermediate representation.
//!
//! Guest code is lifted into [`Block`]s: flat lists of [`Op`]s over
//! temporaries ([`Temp`]), each assigned once, ending in one [`Terminator`].
//! Guest registers are read and written only by explicit `get`/`set` ops. Both
//! tiers — the interpreter and the JIT — execute this IR, so it is the single
//! place where guest semantics live once lifted. [`eval`] and [`fp`] hold the
//! reference semantics of every computation; [`passes`] rewrites blocks;
//! [`verify()`] checks the invariants passes must keep; [`text`] prints and
//! parses the text form used by golden tests.
//!
//! ```
//! use ferrovm_ir::{BinOp, Builder, Reg, Terminator, verify};
//! use ferrovm_ir::passes::PassManager;
//!
//! let mut b = Builder::new(0x1000);
//! b.mark(0x1000, 4);                         // addi a0, a0, 0
//! let a0 = b.get(Reg::x(10));
//! let zero = b.iconst(0);
//! let sum = b.binary(BinOp::Add, a0, zero);
//! b.set(Reg::x(10), sum);
//! let mut block = b.finish(Terminator::Jump { target: 0x1004 }, 0x1004);
//! verify(&block).unwrap();
//! PassManager::default_pipeline().run(&mut block).unwrap();
//! // `a0 = a0 + 0` writes back what a0 already holds, so nothing is left.
//! assert_eq!(block.ops.len(), 1);
//! print!("{block}");
//! ```

pub mod block;
pub mod builder;
pub mod cpu;
pub mod csr;
pub mod entities;
pub mod eval;
pub mod fp;
pub mod op;
pub mod passes;
pub mod text;
pub mod vector;
pub mod verify;

pub use block::Block;
pub use builder::Builder;
pub use cpu::{Cpu, NO_RESERVATION};
pub use entities::{Reg, Temp};
pub use op::{
    AmoOp, BinOp, CvtOp, FBinOp, FTernOp, FUnOp, FenceKind, IndirectHint, MemSize, Op, Ordering, Prec, Rm, Terminator,
    UnOp,
};
pub use verify::{VerifyError, verify};
