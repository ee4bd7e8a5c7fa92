//! vCPU threads run compiled code through cells while compiler threads
//! compile new translations, evict old ones and install into a tiny, full
//! code cache: no thread ever runs freed or reused bytes, and the cache
//! keeps taking code once evictions have freed room.
//!
//! The model checks of the same protocol are in
//! `crates/jit/src/code_cache/loom_model.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};

use ferrovm_ir::text::parse_blocks;
use ferrovm_ir::{Block, Cpu};
use ferrovm_jit::abi::Cell;
use ferrovm_jit::{CodeStore, Error, Flavor, JitOptions, Linker, NativeCode, NativeExit, Writes};
use ferrovm_mem::AddressSpace;

/// Guest pcs with a cell each: their code alone more than fills the
/// cache, so installing means evicting.
const CELLS: usize = 48;
/// Threads running code.
const VCPUS: usize = 4;
/// Threads compiling, evicting and installing.
const COMPILERS: usize = 2;
/// Translations each compiler thread makes.
const COMPILES: usize = 200;
/// Runs each vCPU makes at least (it goes on while compilers work).
const MIN_RUNS: usize = 2_000;
/// The code-cache budget: room for a few dozen of these translations
/// through `/proc/self/mem`, three with `mprotect` (one per page: while
/// several vCPUs exist, a page takes new code only once the code it held
/// has all been reclaimed; the first page holds the permanent stubs).
const CACHE: usize = 16 << 10;
/// Registers each translation sets (`x10..=x31`), so that a run executes a
/// few hundred bytes of it.
const REGS: u64 = 22;

fn pc(cell: usize) -> u64 {
    0x1_0000 + 0x100 * cell as u64
}

/// What translation `generation` of `cell` leaves in `x10`.
fn value(cell: usize, generation: u64) -> u64 {
    (cell as u64) << 32 | generation
}

/// Translation `generation` of `cell`: sets `x10..x10 + REGS` to
/// `value(cell, generation) + i` and leaves with `ecall`.
fn block(cell: usize, generation: u64) -> Block {
    let (start, end) = (pc(cell), pc(cell) + 4);
    let mut text = format!("block {start:#x}..{end:#x} {{\n    mark {start:#x} 4\n");
    for i in 0..REGS {
        text += &format!("    t{i} = const {:#x}\n    set x{}, t{i}\n", value(cell, generation) + i, 10 + i);
    }
    text += &format!("    ecall {end:#x}\n}}\n");
    parse_blocks(&text).expect("block").remove(0)
}

/// What the threads share, as the engine's translation table would hold it.
struct Scene {
    store: CodeStore,
    cells: Vec<Cell>,
    /// Each cell's compiled code (the engine's record state).
    native: Vec<Mutex<Option<NativeCode>>>,
    /// Cells with code, oldest first (the engine's eviction order).
    order: Mutex<VecDeque<usize>>,
    /// Per generation: whether it was ever linked (set before the link).
    linked: Vec<AtomicBool>,
    next_generation: AtomicU64,
    /// Compiler threads still working.
    compilers_left: AtomicUsize,
    counter: AtomicU32,
    runs: AtomicUsize,
    ran_code: AtomicUsize,
    evictions: AtomicUsize,
    full: AtomicUsize,
}

struct Links<'a>(&'a Scene, usize);

impl Linker for Links<'_> {
    fn cell(&mut self, _: u64) -> *const Cell {
        &self.0.cells[self.1]
    }

    fn counter(&mut self, _: u64) -> *const AtomicU32 {
        &self.0.counter
    }
}

/// A small xorshift generator: which cell to run or compile next.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

impl Scene {
    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Evicts the oldest translation (unlink, retire); false if none is left.
    fn evict_oldest(&self) -> bool {
        let Some(victim) = Self::lock(&self.order).pop_front() else { return false };
        let code = Self::lock(&self.native[victim]).take();
        if let Some(code) = code {
            self.store.unlink(&self.cells[victim]);
            self.store.retire(code);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    /// A compiler thread: compiles, installs (evicting until there is
    /// room), links and retires what the link replaced.
    fn compile(&self, seed: u64) {
        // The vCPUs stop once every compiler has, even one that failed.
        struct Done<'a>(&'a AtomicUsize);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Release);
            }
        }
        let _done = Done(&self.compilers_left);
        let mut rng = Rng(seed);
        let mut compiler = self.store.compiler();
        for _ in 0..COMPILES {
            let cell = rng.below(CELLS);
            let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
            let mut f = self
                .store
                .compile(&mut compiler, &[block(cell, generation)], Flavor::default(), &mut Links(self, cell))
                .expect("compile");
            // Retired code is reused once every vCPU has left compiled
            // code since; the vCPUs run short blocks, so that takes a few
            // of their runs, or a time slice if one is preempted in
            // compiled code. Past a second of waiting, the cache is stuck.
            let mut waits = 0;
            let code = loop {
                match self.store.install(&mut f) {
                    Ok(code) => break code,
                    Err(Error::CacheFull { .. }) => {
                        self.full.fetch_add(1, Ordering::Relaxed);
                        if !self.evict_oldest() {
                            waits += 1;
                            assert!(waits < 20_000, "the cache stays full with nothing left to evict");
                            std::thread::sleep(std::time::Duration::from_micros(50));
                        }
                    }
                    Err(e) => panic!("install: {e}"),
                }
            };
            let old = {
                let mut native = Self::lock(&self.native[cell]);
                self.linked[generation as usize].store(true, Ordering::Release);
                self.store.link(&self.cells[cell], &code);
                native.replace(code)
            };
            if let Some(old) = old {
                self.store.retire(old);
            }
            Self::lock(&self.order).push_back(cell);
        }
    }

    /// A vCPU thread: runs random cells until the compilers are done;
    /// every run that finds code must run a translation linked to that
    /// cell, entirely.
    fn run(&self, seed: u64, ready: &Barrier) {
        let thread = self.store.thread();
        ready.wait();
        let mut rng = Rng(seed);
        let mut runs = 0;
        while runs < MIN_RUNS || self.compilers_left.load(Ordering::Acquire) > 0 {
            runs += 1;
            let cell = rng.below(CELLS);
            let mut cpu = Cpu { pc: pc(cell), ..Cpu::default() };
            let Some(exit) = self.store.run(&thread, &mut cpu, &self.cells[cell]) else { continue };
            assert_eq!(exit, NativeExit::Ecall, "cell {cell}");
            assert_eq!(cpu.pc, pc(cell) + 4, "cell {cell}");
            let x10 = cpu.regs[10];
            assert_eq!(x10 >> 32, cell as u64, "cell {cell} ran another cell's code: {x10:#x}");
            let generation = x10 & 0xffff_ffff;
            assert!(
                self.linked.get(generation as usize).is_some_and(|l| l.load(Ordering::Acquire)),
                "cell {cell} ran generation {generation}, never linked"
            );
            for i in 0..REGS as usize {
                assert_eq!(cpu.regs[10 + i], x10 + i as u64, "cell {cell}: x{} of generation {generation}", 10 + i);
            }
            self.ran_code.fetch_add(1, Ordering::Relaxed);
        }
        self.runs.fetch_add(runs, Ordering::Relaxed);
    }
}

fn stress(writes: Writes) {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    let options = JitOptions { code_cache_size: CACHE, code_writes: writes, ..JitOptions::default() };
    let store = CodeStore::new(&mem, options).expect("store");
    let scene = Scene {
        cells: (0..CELLS).map(|c| store.new_cell(pc(c))).collect(),
        store,
        native: (0..CELLS).map(|_| Mutex::new(None)).collect(),
        order: Mutex::new(VecDeque::new()),
        linked: (0..COMPILERS * COMPILES).map(|_| AtomicBool::new(false)).collect(),
        next_generation: AtomicU64::new(0),
        compilers_left: AtomicUsize::new(COMPILERS),
        counter: AtomicU32::new(0),
        runs: AtomicUsize::new(0),
        ran_code: AtomicUsize::new(0),
        evictions: AtomicUsize::new(0),
        full: AtomicUsize::new(0),
    };
    // Every vCPU has its JIT thread before anything is installed (as in
    // the engine, where the threads that install are vCPUs themselves).
    let ready = Barrier::new(VCPUS + COMPILERS);
    std::thread::scope(|s| {
        for v in 0..VCPUS {
            let (scene, ready) = (&scene, &ready);
            s.spawn(move || scene.run(0x9e37_79b9 + v as u64, ready));
        }
        for c in 0..COMPILERS {
            let (scene, ready) = (&scene, &ready);
            s.spawn(move || {
                ready.wait();
                scene.compile(0x85eb_ca6b + c as u64);
            });
        }
    });
    let (used, capacity) = scene.store.code_usage();
    let count = |a: &AtomicUsize| a.load(Ordering::Relaxed);
    eprintln!(
        "{writes:?} (written by {:?}): {} runs, {} ran code, {} evictions, {} full, {used} of {capacity} bytes in use",
        scene.store.write_method(),
        count(&scene.runs),
        count(&scene.ran_code),
        count(&scene.evictions),
        count(&scene.full),
    );
    assert!(count(&scene.full) > 0, "{writes:?}: the cache never filled up");
    assert!(count(&scene.ran_code) > 0, "{writes:?}: no run found code");
    for cell in 0..CELLS {
        if let Some(code) = Scene::lock(&scene.native[cell]).take() {
            scene.store.unlink(&scene.cells[cell]);
            scene.store.retire(code);
        }
    }
}

#[test]
fn vcpus_never_run_evicted_code_alias_writes() {
    stress(Writes::Auto);
}

#[test]
fn vcpus_never_run_evicted_code_proc_mem_writes() {
    stress(Writes::ProcMem);
}

#[test]
fn vcpus_never_run_evicted_code_mprotect_writes() {
    stress(Writes::Mprotect);
}
