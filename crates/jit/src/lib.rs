//! ferrovm's JIT tier: IR blocks → Cranelift → machine code in a code cache
//! ferrovm owns.
//!
//! * [`CodeStore::compile`] lowers every IR op and
//!   terminator to Cranelift IR (guest registers in `Variable`s, written
//!   back at every exit — or, in unoptimized single blocks, stored as they
//!   are set; memory through plain host accesses whose host faults leave
//!   compiled code ([`fault`]): with only the pc precise and no branch
//!   ([`MemAccess::Trap`]), or precisely after a limit branch
//!   ([`MemAccess::Direct`]), or with [`MemAccess::Checked`] an inline
//!   range-and-permission check with a precise-fault slow path;
//!   FP on the host FPU, bit-exact to SoftFloat,
//!   with its sticky flags folded into `fflags` lazily ([`host_fp`];
//!   [`FpLowering::Soft`] calls SoftFloat for every op); CSRs, atomics and
//!   FP cases the host cannot do exactly through the
//!   [helper table](helpers)).
//! * [`CodeStore::compile_baseline`] compiles a single block without
//!   Cranelift: x86-64 machine code from per-op templates (`baseline.rs`),
//!   in tens of microseconds, with the same calling convention, exits,
//!   chaining and memory checks; blocks with FP or CSR accesses are left
//!   to Cranelift ([`Error::Unsupported`]).
//! * Each translation is compiled as its [`Flavor`] says: with or without
//!   Cranelift's optimizer, and optionally counting its runs in a counter
//!   the engine owns, so it can recompile it as hot code
//!   ([`NativeExit::Hot`]).
//! * [`code_cache`] owns the executable memory: one region, W^X (code
//!   written through `/proc/self/mem` into pages that are never writable,
//!   or with `mprotect` flips), per translation allocation and deferred
//!   freeing.
//! * Compiled blocks tail-call each other through chaining [`abi::Cell`]s,
//!   a per-vCPU jump cache, per-site inline caches and a per-vCPU
//!   return-address stack, so execution stays in native code until
//!   something needs the engine.
//! * One [`CodeStore`] serves a whole VM: every vCPU ([`JitThread`]) runs
//!   the same code, each thread that compiles has its own [`Compiler`],
//!   and retired code is freed only once no thread can still be running it.
//!
//! When to compile and what to evict is the engine's business; this crate
//! is mechanism only.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::AtomicU32;
//! use ferrovm_ir::{Cpu, text::parse_blocks};
//! use ferrovm_jit::abi::Cell;
//! use ferrovm_jit::{CodeStore, Flavor, JitOptions, Linker, NativeExit};
//! use ferrovm_mem::AddressSpace;
//!
//! let block = parse_blocks("block 0x1000..0x1004 {
//!     mark 0x1000 4
//!     t0 = get x10
//!     t1 = const 0x5
//!     t2 = add t0, t1
//!     set x10, t2
//!     ecall 0x1004
//! }").unwrap().remove(0);
//! let mem = Arc::new(AddressSpace::new().unwrap());
//! let store = CodeStore::new(&mem, JitOptions::default()).unwrap();
//! // The user owns the cells and counters (the engine keeps them in its
//! // translation table); this block chains nowhere and counts nothing.
//! let cell = store.new_cell(0x1000);
//! let counter = AtomicU32::new(0);
//! struct One<'a>(&'a Cell, &'a AtomicU32);
//! impl Linker for One<'_> {
//!     fn cell(&mut self, _: u64) -> *const Cell { self.0 }
//!     fn counter(&mut self, _: u64) -> *const AtomicU32 { self.1 }
//! }
//! let mut compiler = store.compiler();
//! let mut f = store.compile(&mut compiler, &[block], Flavor::default(), &mut One(&cell, &counter)).unwrap();
//! let code = store.install(&mut f).unwrap();
//! store.link(&cell, &code);
//! let thread = store.thread();
//! let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
//! cpu.regs[10] = 37;
//! assert_eq!(store.run(&thread, &mut cpu, &cell), Some(NativeExit::Ecall));
//! assert_eq!((cpu.regs[10], cpu.pc, cpu.instret), (42, 0x1004, 1));
//! store.unlink(&cell);
//! store.retire(code);
//! ```

pub mod abi;
mod baseline;
pub mod code_cache;
pub mod fault;
pub mod helpers;
mod host_crypto;
pub mod host_fp;
mod int_ops;
mod perf;
mod store;
mod sync;
mod translate;

pub use code_cache::{WriteMethod, Writes};
pub use perf::disassemble;
pub use store::{
    CodeStore, Compiler, DEFAULT_CODE_CACHE_SIZE, FaultInjection, Flavor, FpLowering, Function, GuestSymbols,
    JitOptions, JitThread, Linker, MAX_CODE_CACHE_SIZE, MemAccess, NativeCode, NativeExit, StoreState, describe_pc,
};

/// Why the JIT could not do something. Every error leaves the JIT usable;
/// the engine runs the block in the interpreter instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Cranelift could not be set up for this host.
    #[error("cannot set up Cranelift for this host: {0}")]
    Setup(String),
    /// Cranelift rejected the function (a ferrovm bug, degraded around).
    #[error("code generation failed: {0}")]
    Codegen(String),
    /// The code cache has no free range big enough.
    #[error("code cache full ({len} bytes wanted)")]
    CacheFull {
        /// Bytes wanted.
        len: usize,
    },
    /// Code is larger than its allocation.
    #[error("code of {len} bytes does not fit its allocation")]
    TooLarge {
        /// Bytes of code.
        len: usize,
    },
    /// The baseline compiler does not do an op of the block (FP, CSRs):
    /// compile it with Cranelift instead.
    #[error("not for the baseline compiler: {0}")]
    Unsupported(String),
    /// A compile failed on purpose (fault injection).
    #[error("injected compile failure")]
    Injected,
    /// Reserving the code region failed.
    #[error("cannot map the code cache: {0}")]
    Mmap(std::io::Error),
    /// Changing code-page protection failed.
    #[error("cannot change code-cache protection: {0}")]
    Mprotect(std::io::Error),
}

/// Result of JIT operations.
pub type Result<T> = std::result::Result<T, Error>;
