//! The JIT: compiles IR blocks into the code cache, links them through
//! chaining cells, and runs them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use ferrovm_ir::{Block, Cpu};
use ferrovm_mem::{AddressSpace, Fault};

use crate::abi::{Cell, JitContext, RAS_ENTRIES, exit};
use crate::code_cache::{Allocation, CodeCache, Epochs, Participant};
use crate::translate::{self, Env, JUMP_CACHE_ENTRIES, Linker};
use crate::{Error, Result};

/// Default code-cache budget: 64 MiB.
pub const DEFAULT_CODE_CACHE_SIZE: usize = 64 << 20;

/// JIT options (mechanism switches; policy lives in the engine).
#[derive(Clone, Debug, PartialEq)]
pub struct JitOptions {
    /// Code-cache budget in bytes.
    pub code_cache_size: usize,
    /// Chain exits to compiled successors (direct cells, jump cache).
    pub chaining: bool,
    /// Inline caches on indirect branches and the return-address stack.
    pub inline_cache: bool,
    /// Fraction of compiles made to fail on purpose (testing the fallback).
    pub fault_rate: f64,
    /// Seed of the fault-injection generator.
    pub fault_seed: u64,
}

/// How one translation is compiled (the engine's tiering policy chooses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flavor {
    /// Run Cranelift's optimizer (`opt_level=speed`: e-graph rewrites,
    /// GVN, LICM). Compiles take about half again as long; code that has
    /// proven hot runs faster (crypto 1.91 s → 1.13 s). Off for code
    /// compiled on its first run.
    pub optimize: bool,
    /// Count the translation's runs in the profile table ([`Jit::runs`])
    /// and leave with [`NativeExit::Hot`] on the entry that brings the count
    /// to this value, so the engine can recompile it as hot code.
    pub hot_at: Option<u32>,
}

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            code_cache_size: DEFAULT_CODE_CACHE_SIZE,
            chaining: true,
            inline_cache: true,
            fault_rate: 0.0,
            fault_seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// How compiled code stopped (see [`crate::abi::exit`]). `cpu.pc` and every
/// register are precise, as after the interpreter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeExit {
    /// Continue at `cpu.pc`.
    Continue,
    /// `ecall` at `cpu.pc`.
    Ecall,
    /// `ebreak` at `cpu.pc`.
    Ebreak,
    /// Illegal instruction at `cpu.pc`.
    Illegal {
        /// Its bits (0 if unknown).
        bits: u32,
    },
    /// `fence.i`: translations may be stale; resume at `cpu.pc`.
    FenceI,
    /// A memory fault at `cpu.pc`.
    Fault(Fault),
    /// The load or store at `cpu.pc` needs the full access path (see
    /// [`exit::SLOW`]): interpret that one instruction, then continue.
    Slow,
    /// The translation at `cpu.pc` reached its [`Flavor::hot_at`] count
    /// (nothing of it ran): recompile it as hot code, then continue.
    Hot,
}

/// Entries in the profile table (a power of two).
pub const PROFILE_ENTRIES: usize = 1 << 12;

/// The slot of guest `pc` in the profile table: direct-mapped by `pc >> 1`
/// (blocks sharing a slot share a count, which only makes them hot sooner).
pub fn profile_slot(pc: u64) -> usize {
    ((pc >> 1) as usize) & (PROFILE_ENTRIES - 1)
}

/// What one successful compile produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// Bytes of machine code.
    pub code_bytes: usize,
    /// Time spent in Cranelift and the code cache.
    pub time: Duration,
}

struct Translation {
    alloc: Allocation,
    entry: usize,
    /// Inline-cache words referenced by the code.
    data: Box<[AtomicUsize]>,
}

const CELLS_PER_CHUNK: usize = 512;

/// Chaining cells by guest pc (see [`Cell`]); never freed while the JIT lives.
struct Cells {
    chunks: Vec<Box<[Cell]>>,
    used: usize,
    map: HashMap<u64, *const Cell>,
    stub: usize,
}

impl Cells {
    fn get_or_create(&mut self, pc: u64) -> *const Cell {
        if let Some(&c) = self.map.get(&pc) {
            return c;
        }
        if self.chunks.is_empty() || self.used == CELLS_PER_CHUNK {
            let chunk: Box<[Cell]> =
                (0..CELLS_PER_CHUNK).map(|_| Cell { code: AtomicUsize::new(self.stub), pc: 1 }).collect();
            self.chunks.push(chunk);
            self.used = 0;
        }
        let Some(chunk) = self.chunks.last_mut() else { unreachable!("a chunk was just pushed") };
        let cell = &mut chunk[self.used];
        self.used += 1;
        cell.pc = pc;
        let p: *const Cell = cell;
        self.map.insert(pc, p);
        p
    }

    fn get(&self, pc: u64) -> Option<&Cell> {
        // SAFETY: cells live in boxed chunks that are never freed or moved
        // while `self` lives.
        self.map.get(&pc).map(|&c| unsafe { &*c })
    }
}

impl Linker for Cells {
    fn cell(&mut self, pc: u64) -> u64 {
        self.get_or_create(pc) as u64
    }
}

type Trampoline = unsafe extern "C" fn(*mut Cpu, *mut JitContext, usize, u64) -> u64;

/// The JIT tier for one guest address space and one guest thread.
pub struct Jit {
    /// Code generators by [`Effort`]: plain, quick, optimizing.
    isa: OwnedTargetIsa,
    isa_quick: OwnedTargetIsa,
    isa_opt: OwnedTargetIsa,
    /// Run counts by [`profile_slot`], shared by compiled code that counts
    /// its runs ([`Flavor::hot_at`]) and the engine's interpreter
    /// ([`Jit::count_run`]).
    runs: Box<[AtomicU32]>,
    cl: cranelift_codegen::Context,
    fctx: FunctionBuilderContext,
    code: CodeCache,
    participant: Participant,
    env: Env,
    cells: Cells,
    /// The sentinel cell: `pc` odd (matches no target), code = the stub.
    sentinel: Box<Cell>,
    jump_cache: Box<[AtomicUsize]>,
    ctx: Box<JitContext>,
    translations: HashMap<u64, Translation>,
    /// Inline-cache words of freed translations, waiting for their epoch.
    dead_data: Vec<(u64, Box<[AtomicUsize]>)>,
    trampoline: Trampoline,
    options: JitOptions,
    rng: u64,
    /// `FERROVM_JIT_DUMP` is set: print each function's machine code.
    dump: bool,
    /// `FERROVM_PERF_MAP` is set: `/tmp/perf-PID.map`, so `perf report`
    /// names compiled code by guest pc.
    perf_map: Option<std::fs::File>,
    // Kept alive because compiled code embeds their addresses.
    _mem: Arc<AddressSpace>,
    _interrupt: Arc<AtomicBool>,
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jit")
            .field("options", &self.options)
            .field("translations", &self.translations.len())
            .field("code_used", &self.code.used())
            .finish_non_exhaustive()
    }
}

/// How hard Cranelift works on a translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effort {
    /// `opt_level=speed` (hot code).
    Optimize,
    /// No optimizer (code compiled on its first run that stays).
    Plain,
    /// No optimizer and regalloc2's single-pass allocator: compiles about a
    /// quarter faster, code somewhat slower. For first-run code that is
    /// recompiled once hot (hello 60 -> 45 ms, bigprog 431 -> 331 ms; the
    /// integer workloads equal or faster).
    Quick,
}

impl Flavor {
    fn effort(self) -> Effort {
        match (self.optimize, self.hot_at) {
            (true, _) => Effort::Optimize,
            (false, Some(_)) => Effort::Quick,
            (false, None) => Effort::Plain,
        }
    }
}

fn host_isa(effort: Effort) -> Result<OwnedTargetIsa> {
    let mut flags = settings::builder();
    let set = |flags: &mut settings::Builder, k: &str, v: &str| {
        flags.set(k, v).map_err(|e| Error::Setup(format!("{k}={v}: {e}")))
    };
    // The IR passes already simplified the block. Cranelift's optimizer
    // costs a third of compile time (printf_heavy, every block compiled:
    // 0.47 s without, 0.71 s with) and pays off only on code that runs
    // long: the tiering policy decides (`Flavor::optimize`).
    set(&mut flags, "opt_level", if effort == Effort::Optimize { "speed" } else { "none" })?;
    if effort == Effort::Quick {
        set(&mut flags, "regalloc_algorithm", "single_pass")?;
    }
    // Cranelift's x86-64 tail calls rely on frame pointers.
    set(&mut flags, "preserve_frame_pointers", "true")?;
    // Nothing unwinds through compiled code.
    set(&mut flags, "unwind_info", "false")?;
    set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
    // Experiment knob: `FERROVM_JIT_CL_FLAGS=opt_level=none,regalloc_algorithm=single_pass`.
    if let Ok(extra) = std::env::var("FERROVM_JIT_CL_FLAGS") {
        for kv in extra.split(',').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, "true"));
            set(&mut flags, k, v)?;
        }
    }
    let builder = cranelift_native::builder().map_err(|e| Error::Setup(e.to_string()))?;
    builder.finish(settings::Flags::new(flags)).map_err(|e| Error::Setup(e.to_string()))
}

impl Jit {
    /// A JIT for guest memory `mem`; compiled code polls `interrupt` at every
    /// chained exit.
    pub fn new(mem: Arc<AddressSpace>, interrupt: Arc<AtomicBool>, options: JitOptions) -> Result<Self> {
        let isa = host_isa(Effort::Plain)?;
        let isa_quick = host_isa(Effort::Quick)?;
        let isa_opt = host_isa(Effort::Optimize)?;
        let runs: Box<[AtomicU32]> = (0..PROFILE_ENTRIES).map(|_| AtomicU32::new(0)).collect();
        let epochs = Arc::new(Epochs::default());
        let participant = epochs.register();
        let code = CodeCache::new(options.code_cache_size, epochs)?;
        let mut jit = Jit {
            isa,
            isa_quick,
            isa_opt,
            cl: cranelift_codegen::Context::new(),
            fctx: FunctionBuilderContext::new(),
            code,
            participant,
            env: Env {
                host_base: mem.host_base() as u64,
                page_table: mem.page_table_base() as u64,
                runs: runs.as_ptr() as u64,
                indirect: [0; 2],
                interrupt: Arc::as_ptr(&interrupt) as u64,
                jump_cache: 0,
                chaining: options.chaining,
                inline_cache: options.inline_cache,
            },
            runs,
            cells: Cells { chunks: Vec::new(), used: 0, map: HashMap::new(), stub: 0 },
            sentinel: Box::new(Cell { code: AtomicUsize::new(0), pc: 1 }),
            jump_cache: Box::new([]),
            ctx: Box::new(JitContext::new(Arc::as_ptr(&mem), std::ptr::null())),
            translations: HashMap::new(),
            dead_data: Vec::new(),
            trampoline: unreachable_trampoline,
            rng: options.fault_seed | 1,
            dump: std::env::var_os("FERROVM_JIT_DUMP").is_some(),
            perf_map: std::env::var_os("FERROVM_PERF_MAP").and_then(|_| {
                let path = format!("/tmp/perf-{}.map", std::process::id());
                std::fs::OpenOptions::new().create(true).append(true).open(path).ok()
            }),
            options,
            _mem: mem,
            _interrupt: interrupt,
        };
        // The stub and the trampoline are permanent: their allocations are
        // never freed.
        let fe = jit.isa.frontend_config();
        jit.cl.clear();
        translate::build_stub(&mut jit.cl.func, &mut jit.fctx, fe);
        let (stub, _) = jit.emit()?;
        jit.cl.clear();
        translate::build_trampoline(&mut jit.cl.func, &mut jit.fctx, fe);
        let (tramp, _) = jit.emit()?;
        // SAFETY: `tramp` is the published entry of a function with exactly
        // the `Trampoline` signature (System V, four i64 params, one i64
        // result), built just above.
        jit.trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(tramp) };
        jit.cells.stub = stub;
        jit.sentinel.code.store(stub, Ordering::Relaxed);
        let sentinel: *const Cell = &*jit.sentinel;
        jit.jump_cache = (0..JUMP_CACHE_ENTRIES).map(|_| AtomicUsize::new(sentinel as usize)).collect();
        jit.env.jump_cache = jit.jump_cache.as_ptr() as u64;
        for ret in [false, true] {
            jit.cl.clear();
            let env = jit.env;
            translate::build_indirect(&mut jit.cl.func, &mut jit.fctx, env, &mut jit.cells, ret, fe);
            let (code, _) = jit.emit()?;
            jit.env.indirect[usize::from(ret)] = code as u64;
        }
        jit.ctx.ras = [sentinel; RAS_ENTRIES];
        Ok(jit)
    }

    /// The options in force.
    pub fn options(&self) -> &JitOptions {
        &self.options
    }

    /// Bytes of the code cache in use, and its capacity.
    pub fn code_usage(&self) -> (usize, usize) {
        (self.code.used(), self.code.capacity())
    }

    /// Number of compiled translations held.
    pub fn len(&self) -> usize {
        self.translations.len()
    }

    /// Whether no translation is held.
    pub fn is_empty(&self) -> bool {
        self.translations.is_empty()
    }

    /// Whether a translation for `pc` is held.
    pub fn contains(&self, pc: u64) -> bool {
        self.translations.contains_key(&pc)
    }

    /// Compiles the function in `self.cl.func`, copies it into the code
    /// cache and publishes it. Returns its entry address and allocation.
    fn emit(&mut self) -> Result<(usize, Allocation)> {
        self.emit_evicting(Effort::Plain, &mut || None, &mut Vec::new())
    }

    /// [`Jit::emit`], making room when the cache is full by evicting the
    /// translations `victim` names, in order (pushed onto `evicted`), so
    /// the function is compiled once however many evictions it takes.
    fn emit_evicting(
        &mut self,
        effort: Effort,
        victim: &mut dyn FnMut() -> Option<u64>,
        evicted: &mut Vec<u64>,
    ) -> Result<(usize, Allocation)> {
        self.cl.set_disasm(self.dump);
        // Degrade, don't die: a Cranelift panic is a compile error too.
        let isa = match effort {
            Effort::Optimize => &*self.isa_opt,
            Effort::Plain => &*self.isa,
            Effort::Quick => &*self.isa_quick,
        };
        let cl = &mut self.cl;
        let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cl.compile(isa, &mut ControlPlane::default()).map(|_| ()).map_err(|e| format!("{:?}", e.inner))
        }));
        match compiled {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if std::env::var_os("FERROVM_JIT_DUMP").is_some() {
                    eprintln!("{}", self.cl.func.display());
                }
                return Err(Error::Codegen(e));
            }
            Err(_) => {
                self.cl.clear();
                return Err(Error::Codegen("Cranelift panicked".into()));
            }
        }
        let Some(compiled) = self.cl.compiled_code() else {
            return Err(Error::Codegen("no compiled code".into()));
        };
        if self.dump {
            eprintln!("{}", compiled.vcode.as_deref().unwrap_or(""));
        }
        if !compiled.buffer.relocs().is_empty() {
            return Err(Error::Codegen("machine code needs relocations".into()));
        }
        let bytes = compiled.code_buffer().to_vec();
        let alloc = loop {
            if let Some(a) = self.code.alloc(bytes.len(), Some(&self.participant)) {
                break a;
            }
            match victim() {
                Some(pc) => {
                    if self.evict(pc) {
                        evicted.push(pc);
                    }
                }
                None => return Err(Error::CacheFull { len: bytes.len() }),
            }
        };
        let written = self.code.write(&alloc, &bytes).and_then(|()| self.code.publish(&alloc));
        if let Err(e) = written {
            self.code.free(alloc);
            return Err(e);
        }
        Ok((self.code.addr(&alloc), alloc))
    }

    fn inject_fault(&mut self) -> bool {
        if self.options.fault_rate <= 0.0 {
            return false;
        }
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        (r as f64 / (1u64 << 53) as f64) < self.options.fault_rate
    }

    /// Runs of guest `pc` counted in the profile table (by compiled code
    /// with [`Flavor::hot_at`] and by [`Jit::count_run`]; blocks sharing a
    /// slot share a count).
    pub fn runs(&self, pc: u64) -> u32 {
        self.runs[profile_slot(pc)].load(Ordering::Relaxed)
    }

    /// Counts one run of guest `pc` done elsewhere (in the interpreter);
    /// returns the new count.
    pub fn count_run(&self, pc: u64) -> u32 {
        let slot = &self.runs[profile_slot(pc)];
        let n = slot.load(Ordering::Relaxed).wrapping_add(1);
        slot.store(n, Ordering::Relaxed);
        n
    }

    /// Sets the run count of `pc`'s slot back to zero.
    pub fn reset_runs(&self, pc: u64) {
        self.runs[profile_slot(pc)].store(0, Ordering::Relaxed);
    }

    /// Compiles `block` (for guest address `block.start`) and links it: the
    /// cell of `block.start` now leads to it. Replaces an older translation
    /// of the same address. On error nothing changes.
    pub fn compile(&mut self, block: &Block) -> Result<Compiled> {
        self.compile_region(std::slice::from_ref(block))
    }

    /// Compiles the region `blocks` as one function entered at
    /// `blocks[0].start`: direct branches
    /// between its blocks stay in native code without leaving the function.
    /// Linked and replaced like [`Jit::compile`]; the caller must drop the
    /// translation when the code of any of the blocks changes.
    pub fn compile_region(&mut self, blocks: &[Block]) -> Result<Compiled> {
        self.compile_region_evicting(blocks, Flavor::default(), &mut || None, &mut Vec::new())
    }

    /// [`Jit::compile_region`] as `flavor` says; when the code cache is
    /// full, evicts the translations `victim` names (oldest first, say)
    /// until the new code fits, and lists them in `evicted`.
    /// [`Error::CacheFull`] once `victim` has nothing left to name. If
    /// compiling fails, an older translation of `blocks[0].start` stays in
    /// force (unless `victim` named it).
    pub fn compile_region_evicting(
        &mut self,
        blocks: &[Block],
        flavor: Flavor,
        victim: &mut dyn FnMut() -> Option<u64>,
        evicted: &mut Vec<u64>,
    ) -> Result<Compiled> {
        let Some(block) = blocks.first() else { return Err(Error::Codegen("empty region".into())) };
        let started = Instant::now();
        if self.inject_fault() {
            return Err(Error::Injected);
        }
        let sentinel: *const Cell = &*self.sentinel;
        let data: Box<[AtomicUsize]> = Box::new([AtomicUsize::new(sentinel as usize)]);
        self.cl.clear();
        translate::translate(
            &mut self.cl.func,
            &mut self.fctx,
            blocks,
            self.env,
            &mut self.cells,
            data.as_ptr() as u64,
            flavor,
            self.isa.frontend_config(),
        )
        .map_err(|e| Error::Codegen(e.0))?;
        if self.dump {
            let how = if flavor.optimize { "optimized" } else { "unoptimized" };
            eprintln!("; region at {:#x}, {} block(s), {how}", block.start, blocks.len());
        }
        let (entry, alloc) = self.emit_evicting(flavor.effort(), victim, evicted)?;
        let code_bytes = alloc.len();
        if let Some(f) = &mut self.perf_map {
            use std::io::Write;
            // Best effort: a profile aid, not part of the run.
            let _ = writeln!(f, "{entry:x} {code_bytes:x} guest_{:x}_x{}", block.start, blocks.len());
        }
        self.evict(block.start);
        self.translations.insert(block.start, Translation { alloc, entry, data });
        let cell = self.cells.get_or_create(block.start);
        // SAFETY: cells are never freed while the JIT lives.
        unsafe { &*cell }.code.store(entry, Ordering::Release);
        Ok(Compiled { code_bytes, time: started.elapsed() })
    }

    /// Drops the translation of `pc`, if any: its cell goes back to the
    /// dispatcher stub, and its code is freed once no thread can be running
    /// it. Returns whether there was one.
    pub fn evict(&mut self, pc: u64) -> bool {
        let Some(t) = self.translations.remove(&pc) else { return false };
        if let Some(cell) = self.cells.get(pc) {
            cell.code.store(self.cells.stub, Ordering::Release);
        }
        self.code.free(t.alloc);
        let tag = self.code.epochs().advance();
        self.dead_data.push((tag, t.data));
        let epochs = Arc::clone(self.code.epochs());
        self.dead_data.retain(|(tag, _)| !epochs.reclaimable(*tag));
        true
    }

    /// Drops every translation and forgets every prediction.
    pub fn flush(&mut self) {
        let pcs: Vec<u64> = self.translations.keys().copied().collect();
        for pc in pcs {
            self.evict(pc);
        }
        let sentinel: *const Cell = &*self.sentinel;
        for e in self.jump_cache.iter() {
            e.store(sentinel as usize, Ordering::Relaxed);
        }
        self.ctx.ras = [sentinel; RAS_ENTRIES];
    }

    /// Runs compiled code starting at `cpu.pc`, chaining through compiled
    /// successors, until it leaves. `None` if `cpu.pc` has no translation.
    pub fn run(&mut self, cpu: &mut Cpu) -> Option<NativeExit> {
        let pc = cpu.pc;
        let entry = self.translations.get(&pc)?.entry;
        if self.options.chaining {
            let cell = self.cells.get_or_create(pc);
            let slot = ((pc >> 1) as usize) & (JUMP_CACHE_ENTRIES - 1);
            self.jump_cache[slot].store(cell as usize, Ordering::Relaxed);
        }
        self.participant.enter(self.code.epochs());
        // SAFETY: `entry` is the published code of a translation of `pc`
        // built by `translate` for this address space; it accesses only
        // `cpu` (exclusively borrowed), `ctx` (owned by `self`), guest
        // memory through checked accesses, and cells, caches and helpers
        // that outlive it. The trampoline's signature matches (see `new`).
        let code = unsafe { (self.trampoline)(cpu, &mut *self.ctx, entry, pc) };
        self.participant.leave();
        self.ctx.exit_request.store(0, Ordering::Relaxed);
        Some(match code {
            exit::CONTINUE => NativeExit::Continue,
            exit::ECALL => NativeExit::Ecall,
            exit::EBREAK => NativeExit::Ebreak,
            exit::ILLEGAL => NativeExit::Illegal { bits: self.ctx.illegal_bits },
            exit::FENCE_I => NativeExit::FenceI,
            exit::SLOW => NativeExit::Slow,
            exit::HOT => NativeExit::Hot,
            _ => match self.ctx.fault.take() {
                Some(f) => NativeExit::Fault(f),
                None => NativeExit::Illegal { bits: 0 },
            },
        })
    }
}

unsafe extern "C" fn unreachable_trampoline(_: *mut Cpu, _: *mut JitContext, _: usize, _: u64) -> u64 {
    exit::CONTINUE
}
