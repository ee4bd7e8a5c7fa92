//! ferrovm's execution engine: the run loop, translation, and the embedding
//! API.
//!
//! The engine owns the path from a guest pc to executed code: it looks the
//! pc up in its translation cache; on a miss it has the front end lift the
//! block, the IR passes optimize it and the interpreter lower it; then it runs
//! it. It keeps going until the guest does something the environment must
//! handle, and returns that as an [`Exit`] value: a system call, a
//! breakpoint, an illegal instruction, a memory fault. It knows nothing about
//! Linux; `ferrovm-linux` drives it.
//!
//! ```
//! use std::sync::Arc;
//! use ferrovm_engine::{Engine, Exit};
//! use ferrovm_ir::Cpu;
//! use ferrovm_mem::{AddressSpace, Perms};
//!
//! let mem = Arc::new(AddressSpace::new().unwrap());
//! mem.map(0x10000, 0x1000, Perms::RWX).unwrap();
//! // addi a0, zero, 42 ; ecall
//! mem.write_bytes(0x10000, &[0x13, 0x05, 0xa0, 0x02, 0x73, 0x00, 0x00, 0x00]).unwrap();
//! let mut engine = Engine::new(Arc::clone(&mem));
//! let mut cpu = Cpu { pc: 0x10000, ..Cpu::default() };
//! assert_eq!(engine.run(&mut cpu), Exit::Ecall);
//! assert_eq!((cpu.regs[10], cpu.pc), (42, 0x10004));
//! ```

mod cache;
mod native;
mod stats;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use ferrovm_interp::{BlockExit, Frame, Lowered, MAX_SLOTS, execute, lower};
use ferrovm_ir::passes::PassManager;
use ferrovm_ir::{Block, Cpu};
use ferrovm_jit::NativeExit;
use ferrovm_mem::{Access, AddressSpace, Fault, FaultKind, PAGE_SIZE};
use ferrovm_riscv::lift::{LiftError, lift_block_limited};

use cache::{Translation, TranslationCache};
pub use ferrovm_ir as ir;
pub use native::{DEFAULT_HOT_THRESHOLD, JitConfig};
pub use stats::Stats;

/// A guest event that the environment (e.g. the Linux layer) must handle.
/// On every exit, `cpu.pc` is the address of the instruction concerned and
/// all registers are precise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `ecall` at `cpu.pc` has been reached; handle it, then set
    /// `cpu.pc += 4` and run again.
    Ecall,
    /// `ebreak` at `cpu.pc`.
    Breakpoint,
    /// Illegal instruction at `cpu.pc`.
    Illegal {
        /// Its bits when known (0 otherwise).
        bits: u32,
    },
    /// A load, store or instruction fetch at `cpu.pc` faulted.
    Fault(Fault),
    /// [`Engine::interrupt_flag`] was raised; `cpu.pc` is where execution
    /// resumes.
    Interrupted,
}

/// Which tier runs guest blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tier {
    /// Every block in the IR interpreter.
    #[default]
    Interp,
    /// The Cranelift JIT, as [`JitConfig`] says: every block compiled the
    /// first time it runs (and recompiled as hot code after
    /// [`JitConfig::tier_up`] runs), or interpreted until it has run
    /// [`JitConfig::hot_threshold`] times; blocks the JIT cannot take run
    /// in the interpreter.
    Jit,
}

/// Options for an engine.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest number of guest instructions in one block.
    pub max_block_insns: usize,
    /// Whether to run the IR optimization passes.
    pub optimize: bool,
    /// The execution tier.
    pub tier: Tier,
    /// JIT switches (used with [`Tier::Jit`]).
    pub jit: JitConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_block_insns: ferrovm_riscv::lift::MAX_BLOCK_INSNS,
            optimize: true,
            tier: Tier::Interp,
            jit: JitConfig::default(),
        }
    }
}

/// Runs guest code: translation cache plus interpreter.
pub struct Engine {
    mem: Arc<AddressSpace>,
    cache: TranslationCache,
    passes: PassManager,
    config: Config,
    stats: Stats,
    interrupt: Arc<AtomicBool>,
    frame: Box<Frame>,
    native: Option<native::Native>,
    /// One-instruction blocks for loads and stores compiled code hands back
    /// ([`NativeExit::Slow`]), by pc; cleared whenever translations drop.
    slow_steps: HashMap<u64, Arc<Lowered>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.config).field("translations", &self.cache.len()).finish()
    }
}

impl Engine {
    /// An engine over guest memory `mem` with the default configuration.
    pub fn new(mem: Arc<AddressSpace>) -> Self {
        Self::with_config(mem, Config::default())
    }

    /// An engine with explicit options.
    pub fn with_config(mem: Arc<AddressSpace>, config: Config) -> Self {
        let passes = if config.optimize { PassManager::default_pipeline() } else { PassManager::empty() };
        let interrupt = Arc::new(AtomicBool::new(false));
        let native = match config.tier {
            Tier::Interp => None,
            // Degrade, don't die: without a JIT every block is interpreted.
            Tier::Jit => match native::Native::new(&mem, &interrupt, &config.jit) {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing_free_warn(&format!("JIT unavailable, interpreting: {e}"));
                    None
                }
            },
        };
        Engine {
            mem,
            cache: TranslationCache::new(),
            passes,
            config,
            stats: Stats::default(),
            interrupt,
            frame: Box::new([0; MAX_SLOTS]),
            native,
            slow_steps: HashMap::new(),
        }
    }

    /// The pass pipeline, to add user passes (affects blocks translated from
    /// now on; call [`Engine::flush`] to re-translate existing ones).
    pub fn passes_mut(&mut self) -> &mut PassManager {
        &mut self.passes
    }

    /// Guest memory.
    pub fn memory(&self) -> &Arc<AddressSpace> {
        &self.mem
    }

    /// Statistics so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// A flag that, when set from any thread, makes [`Engine::run`] return
    /// [`Exit::Interrupted`] at the next block boundary (and clears it).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// Drops every translation.
    pub fn flush(&mut self) {
        self.stats.invalidations += self.cache.flush() as u64;
        self.stats.flushes += 1;
        self.slow_steps.clear();
        if let Some(n) = &mut self.native {
            n.flush();
        }
    }

    /// The tier actually in use ([`Tier::Interp`] if the JIT could not be
    /// set up).
    pub fn tier(&self) -> Tier {
        if self.native.is_some() { Tier::Jit } else { Tier::Interp }
    }

    /// Drops translations (both tiers) that `dropped` lists.
    fn dropped(&mut self, dropped: Vec<Translation>) {
        self.stats.invalidations += dropped.len() as u64;
        self.slow_steps.clear();
        for t in dropped {
            if let (Translation::Native { start }, Some(n)) = (t, &mut self.native) {
                n.evict(start);
            }
        }
    }

    /// Drops translations of code in `[addr, addr + len)`.
    pub fn invalidate(&mut self, addr: u64, len: u64) {
        let end = addr.saturating_add(len);
        let mut page = addr & !(PAGE_SIZE - 1);
        while page < end {
            let dropped = self.cache.invalidate_page(page);
            self.dropped(dropped);
            page += PAGE_SIZE;
        }
        self.mem.clear_code(addr, len);
    }

    /// Lifts, optimizes and lowers the block at `pc` (no caching). Exposed
    /// for tools and tests that want to see the IR.
    pub fn translate_ir(&self, pc: u64, max_insns: usize) -> Result<Block, LiftError> {
        let mem = &self.mem;
        let mut fetch = |addr: u64| mem.fetch_u16(addr).ok();
        let mut block = lift_block_limited(pc, max_insns, &mut fetch)?;
        if let Err(e) = self.passes.run(&mut block) {
            // A broken pass is a ferrovm bug; running the unoptimized block is
            // still correct, so degrade rather than die.
            tracing_free_warn(&e.to_string());
            block = lift_block_limited(pc, max_insns, &mut fetch)?;
        }
        Ok(block)
    }

    fn translate(&mut self, pc: u64) -> Result<Arc<Lowered>, LiftError> {
        let started = Instant::now();
        let mut limit = self.config.max_block_insns.max(1);
        // Mark the pages first, so a write racing with the read is noticed.
        self.mem.mark_code(pc);
        let lowered = loop {
            let block = self.translate_ir(pc, limit)?;
            match lower(&block) {
                Ok(l) => break l,
                Err(_) if limit > 1 => {
                    limit /= 2;
                    self.stats.split_blocks += 1;
                }
                Err(e) => break unlowerable(pc, &e)?,
            }
        };
        let first_page = lowered.start & !(PAGE_SIZE - 1);
        let last_page = lowered.end.saturating_sub(1).max(lowered.start) & !(PAGE_SIZE - 1);
        if last_page != first_page {
            self.mem.mark_code(last_page);
        }
        self.stats.blocks_translated += 1;
        self.stats.insns_translated += u64::from(lowered.insns);
        self.stats.translate_time += started.elapsed();
        let lowered = Arc::new(lowered);
        let pages = (first_page..=last_page).step_by(PAGE_SIZE as usize);
        self.cache.insert(Translation::Interp(Arc::clone(&lowered)), pages);
        Ok(lowered)
    }

    /// Drops translations whose code pages were written since the last check.
    #[cold]
    fn sync_code(&mut self) {
        for page in self.mem.take_dirty_code_pages() {
            let dropped = self.cache.invalidate_page(page);
            self.dropped(dropped);
        }
    }

    /// Runs from `cpu.pc` until a guest event.
    pub fn run(&mut self, cpu: &mut Cpu) -> Exit {
        loop {
            if self.interrupt.swap(false, Ordering::Acquire) {
                return Exit::Interrupted;
            }
            if self.mem.code_dirty() {
                self.sync_code();
            }
            let pc = cpu.pc;
            let translation = match self.cache.get(pc) {
                Some(t) => t.clone(),
                None => {
                    let made = if self.native.as_ref().is_some_and(|n| n.eager(pc)) {
                        self.translate_native(pc, false)
                    } else {
                        self.translate(pc).map(Translation::Interp)
                    };
                    match made {
                        Ok(t) => t,
                        Err(LiftError::Fetch { addr }) => return Exit::Fault(self.fetch_fault(addr)),
                    }
                }
            };
            let block = match translation {
                Translation::Interp(block) => block,
                Translation::Native { start } => {
                    self.stats.native_entries += 1;
                    let ran = self.native.as_mut().and_then(|n| n.jit.run(cpu));
                    match ran {
                        Some(NativeExit::Continue) => {}
                        Some(NativeExit::Ecall) => return Exit::Ecall,
                        Some(NativeExit::Ebreak) => return Exit::Breakpoint,
                        Some(NativeExit::Illegal { bits }) => return Exit::Illegal { bits },
                        Some(NativeExit::Fault(f)) => return Exit::Fault(f),
                        Some(NativeExit::FenceI) => self.flush(),
                        Some(NativeExit::Hot) => {
                            // Recompile as hot code; on failure the
                            // translation it would replace keeps running.
                            // The count starts again, so another block
                            // sharing its slot can become hot too.
                            if let Some(n) = &self.native {
                                n.jit.reset_runs(cpu.pc);
                            }
                            if let Err(LiftError::Fetch { addr }) = self.translate_native(cpu.pc, true) {
                                return Exit::Fault(self.fetch_fault(addr));
                            }
                        }
                        Some(NativeExit::Slow) => {
                            self.stats.slow_accesses += 1;
                            let step = match self.slow_step(cpu.pc) {
                                Ok(step) => step,
                                Err(LiftError::Fetch { addr }) => return Exit::Fault(self.fetch_fault(addr)),
                            };
                            if let Some(exit) = self.execute(&step, cpu) {
                                return exit;
                            }
                        }
                        // The JIT no longer holds it (evicted behind our
                        // back): translate again.
                        None => {
                            self.cache.remove(start);
                        }
                    }
                    continue;
                }
            };
            // Tier up: a block the interpreter has run often enough is
            // compiled, then run natively from the next iteration on.
            if let Some(n) = &mut self.native
                && n.hot(pc)
            {
                match self.translate_native(pc, true) {
                    Ok(Translation::Native { .. }) => continue,
                    // Compiling failed: it stays interpreted (and counts
                    // again from zero).
                    Ok(Translation::Interp(_)) | Err(_) => {}
                }
            }
            if let Some(exit) = self.execute(&block, cpu) {
                return exit;
            }
        }
    }

    /// Interprets `block`; `Some` for a guest event.
    fn execute(&mut self, block: &Lowered, cpu: &mut Cpu) -> Option<Exit> {
        self.stats.blocks_executed += 1;
        match execute(block, cpu, &self.mem, &mut self.frame) {
            BlockExit::Continue => None,
            BlockExit::Ecall => Some(Exit::Ecall),
            BlockExit::Ebreak => Some(Exit::Breakpoint),
            BlockExit::Illegal { bits } => Some(Exit::Illegal { bits }),
            BlockExit::Fault(f) => Some(Exit::Fault(f)),
            BlockExit::FenceI => {
                // fence.i: make every store so far visible to instruction
                // fetch by re-translating.
                self.flush();
                None
            }
        }
    }

    /// The one-instruction block at `pc`, for a load or store compiled code
    /// handed back. Its page is already marked as code (the compiled block
    /// came from it), so a write to it clears `slow_steps` like any other
    /// translation.
    #[cold]
    fn slow_step(&mut self, pc: u64) -> Result<Arc<Lowered>, LiftError> {
        if let Some(step) = self.slow_steps.get(&pc) {
            return Ok(Arc::clone(step));
        }
        let block = self.translate_ir(pc, 1)?;
        let lowered = match lower(&block) {
            Ok(l) => l,
            Err(e) => unlowerable(pc, &e)?,
        };
        let step = Arc::new(lowered);
        self.slow_steps.insert(pc, Arc::clone(&step));
        Ok(step)
    }
}

impl Engine {
    /// The fault for an instruction fetch at `addr` that could not be lifted.
    fn fetch_fault(&self, addr: u64) -> Fault {
        let kind = if self.mem.perms(addr).bits() == 0 && !self.mem.is_mapped(addr..addr + 1) {
            FaultKind::Unmapped
        } else {
            FaultKind::Protection
        };
        Fault::new(addr, Access::Exec, kind)
    }
}

/// The block for a single instruction at `pc` that does not lower. One
/// instruction never needs 256 live values; keep the run loop total anyway
/// by treating it as illegal.
fn unlowerable(pc: u64, e: &impl std::fmt::Display) -> Result<Lowered, LiftError> {
    tracing_free_warn(&e.to_string());
    let block =
        ferrovm_ir::Builder::new(pc).finish(ferrovm_ir::Terminator::Illegal { pc, bits: 0 }, pc.wrapping_add(4));
    lower(&block).map_err(|_| LiftError::Fetch { addr: pc })
}

/// Reports an internal, recoverable problem on stderr (once per kind of
/// message is enough for a degraded-but-correct path).
fn tracing_free_warn(message: &str) {
    eprintln!("ferrovm: warning: {message}");
}
