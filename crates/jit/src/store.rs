//! The JIT of one VM: a [`CodeStore`] shared by every thread (code cache,
//! code generators, the permanent stubs), a [`Compiler`] per compiling
//! thread, and a [`JitThread`] per vCPU (its context and its epoch
//! registration).
//!
//! The store never decides what to compile or evict: its user (the
//! engine) compiles a region into a [`Function`], installs it
//! ([`CodeStore::install`], which says [`Error::CacheFull`] when there is
//! no room, so that the user evicts and retries), links it into the
//! translation's [`Cell`] ([`CodeStore::link`]) and, once the cell no longer
//! leads to it, retires it ([`CodeStore::retire`]): its bytes are reused
//! only after every thread has left compiled code since (epochs).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::TrapCode;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use ferrovm_ir::{Block, Cpu};
use ferrovm_mem::{Access, AddressSpace, Fault, FaultKind, GUEST_LIMIT};

use crate::abi::{Cell, JitContext, Unlinked, exit};
use crate::code_cache::{Allocation, CodeCache, Epochs, Participant, Writes};
use crate::fault::Trampoline;
use crate::translate::{self, Env};
use crate::{Error, Result};

/// The chaining cell at address `cell`, named by live compiled code (its
/// exits, their lists); the caller holds it no longer than that code lives.
fn cell_at<'a>(cell: usize) -> &'a Cell {
    // SAFETY: the cells compiled code goes through outlive it and stay
    // where they are (the engine's records are never freed; the sentinel
    // is the store's own), per `Linker::cell`'s contract.
    unsafe { &*(cell as *const Cell) }
}

/// Default code-cache budget: 64 MiB.
pub const DEFAULT_CODE_CACHE_SIZE: usize = 64 << 20;

/// Largest code-cache budget: 1 GiB, so that code anywhere in the cache
/// reaches the store's shared stubs with a `jmp rel32` (QEMU caps its
/// x86-64 code buffer at 2 GiB for the same reason).
pub const MAX_CODE_CACHE_SIZE: usize = 1 << 30;

/// Compiles made to fail on purpose, to test the fallback paths.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultInjection {
    /// Fraction (0.0..=1.0) of compiles that fail.
    pub rate: f64,
    /// Seed of each compiler's generator.
    pub seed: u64,
}

/// JIT options (mechanism switches; policy lives in the engine).
#[derive(Clone, Debug, PartialEq)]
pub struct JitOptions {
    /// Code-cache budget in bytes.
    pub code_cache_size: usize,
    /// Chain exits to compiled successors (direct cells, jump cache).
    pub chaining: bool,
    /// Inline caches on indirect branches and the return-address stack.
    pub inline_cache: bool,
    /// Make some compiles fail on purpose.
    pub fault_injection: Option<FaultInjection>,
    /// How code gets into the code cache.
    pub code_writes: Writes,
    /// Print every compiled function's machine code on stderr.
    pub dump: bool,
    /// Append `START LEN NAME` lines to `/tmp/perf-PID.map`, so `perf
    /// report` names compiled code by guest symbol (see
    /// [`CodeStore::set_symbols`]). With [`Writes::Auto`], code is then
    /// written through `/proc/self/mem` (perf reads only anonymous code
    /// memory through the map; the writable alias is a file mapping).
    pub perf_map: bool,
    /// Write a jitdump file (`DIR/jit-PID.dump`, the format `perf inject
    /// --jit` reads) with every compiled function's name and machine code,
    /// so `perf annotate` shows the host code of a guest function (code
    /// then written as with [`JitOptions::perf_map`]).
    pub jitdump: Option<std::path::PathBuf>,
    /// Every guest block boundary leaves compiled code for the dispatcher
    /// (no branch inside a translation, not even a loop back to its own
    /// head): per-block tracing (`exec`, `cpu`) sees every block.
    pub block_exits: bool,
    /// Extra Cranelift settings (`name`, `value`), applied to every
    /// compile (an experiment knob).
    pub cranelift_flags: Vec<(String, String)>,
    /// An optimized region may be entered at any of its blocks
    /// ([`Function::take_entries`]): a block that turns hot inside a
    /// compiled region is linked to it instead of compiling the same loop
    /// again as a region of its own. Off only for measurement.
    pub region_entries: bool,
    /// How compiled code does floating point.
    pub fp: FpLowering,
    /// How compiled code accesses guest memory.
    pub mem: MemAccess,
    /// Common vector instructions as host SIMD (see the `translate::vector`
    /// module); off, every vector instruction calls the helper (for
    /// measurement).
    pub vector_simd: bool,
    /// VLEN the vector SIMD code is made for (the engine sets it from its
    /// own `vlen`, fixed for a run): 128 or 256 lower to host SIMD; at
    /// any other, or when a `Cpu`'s `vlenb` differs (a run-time check),
    /// vector instructions call the helper.
    pub vlen: ferrovm_ir::vector::Vlen,
    /// Baseline code notes in its context which translation runs, at
    /// every block it enters, for a sampler of the hottest code (the
    /// statistics'); one store per block, 3-5% of Python's test modules.
    /// Off (the default), only region entries and the dispatcher note it.
    pub track_current: bool,
}

/// How compiled code loads and stores guest memory. All give the guest
/// what the interpreter gives it; they differ in what a fault costs and in
/// how much of the state is precise when one ends the process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MemAccess {
    /// Plain host accesses without a branch to a side exit: the guest
    /// address is added to the host base in the pinned register; the first
    /// access of a block through each base register compares the lowest
    /// address the block reaches through it with
    /// [`ferrovm_mem::GUEST_LIMIT`] and traps beyond it (a `ud2`, which the
    /// host `SIGILL` handler makes that access's fault), which covers the
    /// block's other accesses through it (beyond the limit lies the
    /// reservation's guard; baseline code clamps each address to the limit
    /// instead, a compare and a conditional move). The host protection mirrors guest
    /// permissions, so a guest fault is a host fault at the access, which
    /// leaves compiled code ([`crate::fault::abort`]) with `cpu.pc` at the
    /// faulting access and the other registers where the code last wrote
    /// them back: not precise. Such code runs only while nothing can see
    /// the difference, that is while the guest has no handler for the
    /// fault's signal (it ends the process); once the guest can see them
    /// ([`CodeStore::require_precise`]) the code compiled from then on
    /// stores each guest register as it is set, as QEMU does, and the state
    /// is precise at every access (the caller drops the code compiled
    /// before). (bzip2 installs a `SIGSEGV` handler to print a message:
    /// with inline checks instead, `bzip2 -9` of 16 MiB took 2.82 s, with
    /// registers written through 2.50 s, QEMU 2.41 s.) A store into a page holding translated code
    /// faults too; the handler makes the page writable and records the
    /// code as stale, and the store runs again. `Checked` where this cannot
    /// work.
    Trap,
    /// A plain host access with no inline check but a compare against the
    /// guest limit: the address space mirrors guest permissions in the
    /// host protection ([`AddressSpace::mirror_protection`], turned on by
    /// [`CodeStore::new`]), and a host fault resumes at the access's side
    /// exit, the target of its limit branch ([`crate::fault`]; the engine's
    /// `SIGSEGV` handler must call [`crate::fault::redirect`]). Nothing is
    /// stored before an access. An access whose machine code does not sit
    /// right after its branch (a register move between them) is checked
    /// inline instead. `Checked` on a host where this cannot work (not
    /// x86-64 Linux, or a page size other than 4 KiB).
    Direct,
    /// An inline check of the limit, alignment and the page's permission
    /// byte before every access, leaving compiled code when it fails.
    #[default]
    Checked,
}

/// How compiled code does floating point. Both are bit-exact (results and
/// `fflags`) to `ferrovm_ir::fp`, which the interpreter runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FpLowering {
    /// The host's FPU (see [`crate::host_fp`]), with SoftFloat for what it
    /// cannot do exactly. On a host that is not x86-64 this is `Soft`.
    #[default]
    Host,
    /// A SoftFloat helper call for every FP operation (for measurement).
    Soft,
}

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            code_cache_size: DEFAULT_CODE_CACHE_SIZE,
            chaining: true,
            inline_cache: true,
            fault_injection: None,
            code_writes: Writes::Auto,
            dump: false,
            perf_map: false,
            jitdump: None,
            block_exits: false,
            cranelift_flags: Vec::new(),
            region_entries: true,
            fp: FpLowering::default(),
            mem: MemAccess::default(),
            vector_simd: true,
            vlen: ferrovm_ir::vector::Vlen::DEFAULT,
            track_current: false,
        }
    }
}

/// How one translation is compiled (the engine's tiering policy chooses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flavor {
    /// Run Cranelift's optimizer (`opt_level=speed`: e-graph rewrites,
    /// GVN, LICM). Compiles take about half again as long; code that has
    /// proven hot runs faster (crypto 1.91 s → 1.13 s). Off for code
    /// compiled on its first run.
    pub optimize: bool,
    /// Count the translation's runs in the counter its [`Linker`] gives
    /// for the entry pc, and leave with [`NativeExit::Hot`] on the entry
    /// that brings the count to this value, so the engine can recompile it
    /// as hot code.
    pub hot_at: Option<u32>,
    /// Check loads and stores inline even under [`MemAccess::Trap`]: the
    /// translation's stores wrote translated code before (a JIT's code
    /// buffer), and a host fault for each such store costs more than the
    /// checks (the engine's choice, see `Vm::demote_code_writer`).
    pub checked: bool,
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

/// What the translator needs from the JIT's user besides constants: the
/// stable addresses of per-pc state. Both must stay valid (same address)
/// as long as compiled code that embeds them can run.
pub trait Linker {
    /// The chaining cell of guest `pc` (created on demand).
    fn cell(&mut self, pc: u64) -> *const Cell;
    /// The run counter of guest `pc` (for [`Flavor::hot_at`]).
    fn counter(&mut self, pc: u64) -> *const AtomicU32;
    /// The `vtype` the guest had when it last entered the block at `pc`,
    /// if the user saw one: vector instructions of a block that sets none
    /// of its own are specialized to it (SIMD), behind a run-time check
    /// that sends them to the helper when the live `vtype` differs. A
    /// loop's body rarely has a `vsetvli`: it is set once before the loop.
    fn vtype(&mut self, pc: u64) -> Option<u64> {
        let _ = pc;
        None
    }
    /// Where the indirect jump (not a call or a return) ending the block
    /// at `pc` may go, as the user guesses: compiled code of a region
    /// holding blocks at some of them compares the target with those and
    /// stays inside on a match (else it leaves as usual).
    fn indirect_targets(&mut self, pc: u64) -> Vec<u64> {
        let _ = pc;
        Vec::new()
    }
}

/// A compiled function, not yet in the code cache.
#[derive(Debug)]
pub struct Function {
    bytes: Vec<u8>,
    data: Box<[AtomicUsize]>,
    /// Guest address the function is entered at.
    start: u64,
    /// Blocks in the region.
    blocks: usize,
    /// Compiled with Cranelift's optimizer.
    optimized: bool,
    /// Compiled by the baseline compiler (not Cranelift).
    baseline: bool,
    time: Duration,
    /// Offsets of its direct guest accesses ([`crate::fault::fault_sites`]).
    sites: Vec<u32>,
    /// Its trap-mode guest accesses ([`MemAccess::Trap`]).
    traps: Vec<TrapSite>,
    /// Some of its accesses were compiled with inline checks because its
    /// machine code did not allow them direct (see [`crate::fault`]).
    checked_fallback: bool,
    /// Offset of baseline code's inner entry ([`Cell`]).
    inner: Option<u32>,
    /// Baseline code's jumps to the store's shared stubs: (end of a rel32
    /// field, target), resolved where it is installed.
    far: Vec<(u32, u64)>,
    /// Baseline code's patchable chained exits: (end of the rel32 field,
    /// the cell it goes through).
    chains: Vec<(u32, u64)>,
    /// The pcs besides the first block's where a region's code may be
    /// entered ([`translate::region_entries`]).
    entries: Vec<u64>,
    /// The name of code that is not a translation (the store's stubs), for
    /// the perf map and the jitdump (`ferrovm:NAME`).
    stub: Option<&'static str>,
}

impl Function {
    /// Bytes of machine code.
    pub fn code_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// How it was compiled, as profiles and logs name it.
    fn how(&self) -> &'static str {
        match (self.baseline, self.optimized) {
            (true, _) => "baseline",
            (false, true) => "optimized",
            (false, false) => "unoptimized",
        }
    }

    /// Code that is not a translation (stubs, trampolines), named `name`.
    fn permanent(name: &'static str, bytes: Vec<u8>) -> Self {
        Function {
            bytes,
            data: Box::new([]),
            start: 0,
            blocks: 0,
            optimized: false,
            baseline: false,
            time: Duration::ZERO,
            sites: Vec::new(),
            traps: Vec::new(),
            checked_fallback: false,
            inner: None,
            far: Vec::new(),
            chains: Vec::new(),
            entries: Vec::new(),
            stub: Some(name),
        }
    }

    /// The pcs besides its first block's where it may be entered (the
    /// region's code dispatches on the entry pc; see
    /// [`JitOptions::region_entries`]), taken out (empty afterwards).
    pub fn take_entries(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.entries)
    }

    /// Time spent in Cranelift.
    pub fn compile_time(&self) -> Duration {
        self.time
    }

    /// Whether direct memory access was asked for but some of this
    /// function's accesses got inline checks: its machine code did not put
    /// them right after their limit branch (see [`crate::fault`]).
    pub fn checked_fallback(&self) -> bool {
        self.checked_fallback
    }
}

/// A function in the code cache, owned by one translation. Give it back
/// with [`CodeStore::retire`] once no cell leads to it any more (dropping
/// it instead leaks its bytes in the cache).
#[derive(Debug)]
#[must_use = "code in the cache is freed only by CodeStore::retire"]
pub struct NativeCode {
    alloc: Allocation,
    entry: usize,
    /// Baseline code's inner entry ([`Cell`]'s `inner`; a host address,
    /// never 0: 8 bytes, not 16, in every translation record).
    inner: Option<std::num::NonZeroUsize>,
    /// Inline-cache words referenced by the code.
    data: Box<[AtomicUsize]>,
}

impl NativeCode {
    /// Host address of the entry point.
    pub fn entry(&self) -> usize {
        self.entry
    }

    /// Bytes of the cache it occupies.
    pub fn len(&self) -> usize {
        self.alloc.len()
    }

    /// Whether it occupies nothing (never).
    pub fn is_empty(&self) -> bool {
        self.alloc.is_empty()
    }

    /// The guest pc an indirect jump of this code last went to through
    /// its inline cache, if any: where its indirect call most likely goes
    /// (the engine's guess when it forms a region around it).
    pub fn ic_target(&self) -> Option<u64> {
        let cell = self.data.first()?.load(Ordering::Relaxed) as *const Cell;
        // SAFETY: the word holds the store's sentinel or a cell of the
        // code's linker (filled in from the jump cache), and the linker
        // keeps its cells valid as long as code that can reach them may
        // run (`Linker`); this code exists. A cell's `pc` never changes.
        let pc = unsafe { (*cell).pc };
        // The sentinel's pc is odd: no guest target.
        (pc & 1 == 0).then_some(pc)
    }
}

/// Cranelift's working memory: one per thread that compiles.
pub struct Compiler {
    cl: cranelift_codegen::Context,
    fctx: FunctionBuilderContext,
    /// The baseline compiler's assembler (made on first use).
    asm: Option<crate::baseline::Assembler>,
    rng: u64,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler").finish_non_exhaustive()
    }
}

/// One vCPU's part of the JIT: its context (exit flag, return-address
/// stack, jump cache) and its epoch registration.
#[derive(Debug)]
pub struct JitThread {
    ctx: Arc<JitContext>,
    participant: Participant,
}

impl JitThread {
    /// The context compiled code runs with; other threads may set bits of
    /// its `exit_request`.
    pub fn context(&self) -> &Arc<JitContext> {
        &self.ctx
    }
}

/// What the store's lock guards (see [`CodeStore::lock_for_fork`]).
pub struct StoreState {
    cache: CodeCache,
    /// Inline-cache words of retired code, waiting for their epoch.
    dead_data: Vec<(u64, Box<[AtomicUsize]>)>,
    perf_map: Option<std::fs::File>,
    jitdump: Option<crate::perf::JitDump>,
    /// Live translations by host entry, for [`CodeStore::translation_at`]
    /// and for the guest pc of a trap-mode access that faulted.
    live: std::collections::BTreeMap<usize, Live>,
    /// JIT threads made so far (see [`CodeStore::thread`]).
    threads: usize,
    /// Whether baseline code's chained exits are patched to jump straight
    /// to the baseline code their cells lead to ([`CodeCache::can_patch`];
    /// not after a fork). Each cell lists its exits ([`Cell`]'s `sites`).
    patching: bool,
}

/// A live translation's machine code, in [`StoreState::live`].
#[derive(Debug)]
struct Live {
    /// Host address past its end.
    end: usize,
    /// The guest pc it is entered at.
    pc: u64,
    /// Its trap-mode accesses, by offset from the entry.
    traps: Box<[TrapSite]>,
    /// Its patchable chained exits, each in its cell's list: (cell,
    /// address of the rel32 field).
    chains: Box<[(usize, usize)]>,
}

/// A trap-mode access ([`MemAccess::Trap`]) in machine code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TrapSite {
    /// Offset from the code's entry.
    pub(crate) at: u32,
    /// The guest pc of the access.
    pub(crate) pc: u64,
    /// In code that writes registers through (`Env::write_through`): the
    /// instructions its guest block retired before the access, which the
    /// `Cpu`'s `instret` does not count yet. 0 elsewhere.
    pub(crate) retired: u32,
    /// The site is the trap of a failed limit check (a `ud2`, see
    /// `Tr::trap_check`), not the access: whether the access it checks
    /// writes (a host fault at the access itself tells that).
    pub(crate) check: Option<bool>,
}

/// The JIT state a whole VM shares (see the module docs). `Send + Sync`.
pub struct CodeStore {
    /// Code generators by [`Effort`]: plain, quick, optimizing.
    isa: OwnedTargetIsa,
    isa_quick: OwnedTargetIsa,
    isa_opt: OwnedTargetIsa,
    code: Mutex<StoreState>,
    epochs: Arc<Epochs>,
    pub(crate) env: Env,
    stub: usize,
    /// Where a cell's `inner` leads when its code is not baseline code:
    /// takes baseline code's frame down and jumps to the cell's `code`
    /// ([`Cell`]).
    leave_frame: usize,
    trampoline: Trampoline,
    /// The sentinel cell: `pc` odd (matches no target), code = the stub.
    sentinel: Box<Cell>,
    options: JitOptions,
    /// Keeps the address space alive: compiled code embeds its addresses.
    mem: Arc<AddressSpace>,
    /// Guest symbols, for the names in the perf map and the jitdump.
    symbols: std::sync::OnceLock<Arc<dyn GuestSymbols>>,
    /// The direct guest accesses of the installed code, for the fault
    /// handler ([`crate::fault`]); only with direct memory access.
    sites: Option<crate::fault::FaultSites>,
    /// [`MemAccess::Trap`] code is no longer compiled (see
    /// [`Self::require_precise`]).
    precise: AtomicBool,
}

/// Names guest addresses (the guest program's and its libraries' symbol
/// tables). The embedder provides it ([`CodeStore::set_symbols`]); the JIT
/// uses it to name compiled code for perf, the engine for `-d` logs and
/// the profiler. Lookups must not take the guest address space's locks
/// (they happen on threads running guest code).
pub trait GuestSymbols: Send + Sync {
    /// The function containing guest `pc`: its name and `pc`'s offset
    /// into it.
    fn lookup(&self, pc: u64) -> Option<(String, u64)>;
}

/// `name+0xoff` for guest `pc` if `symbols` know it, else `0xPC`.
pub fn describe_pc(symbols: Option<&dyn GuestSymbols>, pc: u64) -> String {
    match symbols.and_then(|s| s.lookup(pc)) {
        Some((name, 0)) => name,
        Some((name, off)) => format!("{name}+{off:#x}"),
        None => format!("{pc:#x}"),
    }
}

impl std::fmt::Debug for CodeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeStore").field("options", &self.options).finish_non_exhaustive()
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

fn host_isa(effort: Effort, direct: bool, extra: &[(String, String)]) -> Result<OwnedTargetIsa> {
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
    // Direct memory access: the host base of guest memory lives in the
    // pinned register (r15), as QEMU keeps its guest base in a reserved
    // register: never spilled, no register to load it into before an
    // access ([`crate::fault::enter`] sets it).
    set(&mut flags, "enable_pinned_reg", if direct { "true" } else { "false" })?;
    for (k, v) in extra {
        set(&mut flags, k, v)?;
    }
    let builder = cranelift_native::builder().map_err(|e| Error::Setup(e.to_string()))?;
    builder.finish(settings::Flags::new(flags)).map_err(|e| Error::Setup(e.to_string()))
}

impl CodeStore {
    /// A JIT for guest memory `mem`.
    pub fn new(mem: &Arc<AddressSpace>, options: JitOptions) -> Result<Self> {
        let extra = &options.cranelift_flags;
        // Direct access needs the host to fault where the guest would.
        let direct = matches!(options.mem, MemAccess::Direct | MemAccess::Trap)
            && crate::fault::SUPPORTED
            && mem.mirror_protection().unwrap_or(false);
        if direct && options.mem == MemAccess::Trap {
            // Writers of code are compiled with checks once seen
            // (`Flavor::checked`): a rewritten code buffer need not stay
            // write-protected.
            mem.allow_volatile_code();
        }
        let isa = host_isa(Effort::Plain, direct, extra)?;
        let isa_quick = host_isa(Effort::Quick, direct, extra)?;
        let isa_opt = host_isa(Effort::Optimize, direct, extra)?;
        let fp = translate::HostFp::new(options.fp, &*isa);
        let epochs = Arc::new(Epochs::default());
        // perf resolves code through /tmp/perf-PID.map or a jitdump only in
        // anonymous memory: the alias's memfd reads as a deleted file to it.
        let writes = match options.code_writes {
            Writes::Auto if options.perf_map || options.jitdump.is_some() => Writes::ProcMem,
            writes => writes,
        };
        if options.code_cache_size > MAX_CODE_CACHE_SIZE {
            return Err(Error::Setup(format!(
                "a code cache of {} bytes: at most {MAX_CODE_CACHE_SIZE} (1 GiB)",
                options.code_cache_size
            )));
        }
        let cache = CodeCache::with_writes(options.code_cache_size, Arc::clone(&epochs), writes)?;
        let can_patch = cache.can_patch();
        let sites = direct.then(|| {
            let (start, len) = cache.region();
            crate::fault::FaultSites::new(start, len)
        });
        let perf_map = options.perf_map.then(|| {
            let path = format!("/tmp/perf-{}.map", std::process::id());
            std::fs::OpenOptions::new().create(true).append(true).open(path).ok()
        });
        let jitdump = options.jitdump.as_deref().and_then(|dir| match crate::perf::JitDump::create(dir) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!(target: "ferrovm::perf", "cannot write a jitdump in {}: {e}", dir.display());
                None
            }
        });
        let mut store = CodeStore {
            isa,
            isa_quick,
            isa_opt,
            code: Mutex::new(StoreState {
                cache,
                dead_data: Vec::new(),
                perf_map: perf_map.flatten(),
                jitdump,
                live: std::collections::BTreeMap::new(),
                threads: 0,
                patching: can_patch,
            }),
            epochs,
            env: Env {
                host_base: mem.host_base() as u64,
                page_table: mem.page_table_base() as u64,
                indirect: [0; 2],
                baseline: crate::baseline::Stubs::default(),
                chaining: options.chaining,
                inline_cache: options.inline_cache,
                block_exits: options.block_exits,
                region_entries: options.region_entries,
                fp,
                direct,
                trap: direct && options.mem == MemAccess::Trap,
                write_through: false,
                group_checks: true,
                vector_simd: options.vector_simd,
                track_current: options.track_current,
                vlenb: options.vlen.bytes(),
            },
            stub: 0,
            leave_frame: 0,
            trampoline: unreachable_trampoline,
            sentinel: Box::new(Cell::new(1, Unlinked::default())),
            options,
            mem: Arc::clone(mem),
            symbols: std::sync::OnceLock::new(),
            sites,
            precise: AtomicBool::new(false),
        };
        // The stub, the trampoline and the shared indirect exits are
        // permanent: their code is never retired. (Machine code from the
        // baseline emitter: Cranelift compiles here would cost a short
        // program's start-up 0.4 ms.)
        let codegen = |e: crate::baseline::Unsupported| Error::Codegen(e.0);
        store.stub = store.install_permanent("dispatcher", crate::baseline::dispatcher().map_err(codegen)?)?;
        let tramp = store.install_permanent("trampoline", crate::baseline::trampoline().map_err(codegen)?)?;
        // SAFETY: `tramp` is the published entry of machine code taking
        // exactly the `Trampoline` signature (System V, four i64 params,
        // one i64 result), built just above.
        store.trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(tramp) };
        store.leave_frame = store.install_permanent("leave_frame", crate::baseline::leave_frame().map_err(codegen)?)?;
        store.unlink(&store.sentinel);
        if store.env.fp.is_some() {
            // The MXCSR stubs host FP calls (machine code: Cranelift IR
            // cannot name MXCSR).
            let [read, clear] = crate::host_fp::stubs();
            let (read, clear) =
                (store.install_permanent("read_mxcsr", read)?, store.install_permanent("clear_mxcsr", clear)?);
            let mut thunks = [0; 4];
            for kind in translate::SoftKind::ALL {
                thunks[kind as usize] =
                    store.install_permanent(kind.thunk_name(), crate::host_fp::preserving_thunk(kind.helper()))?;
            }
            store.env.fp =
                store.env.fp.map(|fp| translate::HostFp { read_mxcsr: read, clear_mxcsr: clear, thunks, ..fp });
        }
        for ret in [false, true] {
            let code = crate::baseline::indirect_exit(&store.env, ret).map_err(codegen)?;
            let name = if ret { "indirect_return" } else { "indirect_exit" };
            store.env.indirect[usize::from(ret)] = store.install_permanent(name, code)? as u64;
        }
        let mut at = [0; 7];
        let names = [
            "baseline_enter",
            "baseline_tail",
            "baseline_ret",
            "baseline_indirect",
            "baseline_return",
            "baseline_continue",
            "baseline_hot",
        ];
        for ((at, bytes), name) in
            at.iter_mut().zip(crate::baseline::Stubs::code(&store.env).map_err(codegen)?).zip(names)
        {
            *at = store.install_permanent(name, bytes)? as u64;
        }
        let [enter, tail, ret, plain, ret_exit, cont, hot] = at;
        store.env.baseline =
            crate::baseline::Stubs { enter, tail, ret, indirect: [plain, ret_exit], leave: [cont, hot] };
        Ok(store)
    }

    /// Whether compiled code accesses guest memory without inline checks
    /// ([`MemAccess::Direct`] asked for and possible on this host).
    pub fn direct_memory(&self) -> bool {
        self.env.direct
    }

    /// The options in force.
    pub fn options(&self) -> &JitOptions {
        &self.options
    }

    /// The guest pcs, besides the first block's, at which code compiled
    /// from `blocks` as `flavor` may be entered (see
    /// [`JitOptions::region_entries`]; a compiled [`Function`] carries its
    /// own, [`Function::take_entries`]).
    #[cfg(test)]
    fn region_entries(&self, blocks: &[ferrovm_ir::Block], flavor: Flavor) -> Vec<u64> {
        crate::translate::region_entries(&self.env, blocks, flavor)
    }

    /// The dispatcher stub: where a [`Cell`] with no compiled code leads.
    pub fn stub(&self) -> usize {
        self.stub
    }

    /// Where a cell with no compiled code leads.
    pub fn unlinked(&self) -> Unlinked {
        Unlinked { code: self.stub, inner: self.leave_frame }
    }

    /// A cell for guest `pc` that leads to the dispatcher (no code yet).
    pub fn new_cell(&self, pc: u64) -> Cell {
        Cell::new(pc, self.unlinked())
    }

    /// The sentinel cell (matches no guest pc).
    pub fn sentinel(&self) -> *const Cell {
        &*self.sentinel
    }

    /// The host address range of the code cache: compiled code runs there
    /// and nowhere else.
    pub fn code_range(&self) -> (usize, usize) {
        let code = self.lock();
        let (start, size) = code.cache.region();
        (start, start + size)
    }

    /// Bytes of the code cache in use, and its capacity.
    pub fn code_usage(&self) -> (usize, usize) {
        let code = self.lock();
        (code.cache.used(), code.cache.capacity())
    }

    /// How the code cache writes code.
    pub fn write_method(&self) -> crate::WriteMethod {
        self.lock().cache.write_method()
    }

    fn lock(&self) -> MutexGuard<'_, StoreState> {
        self.code.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Working memory for compiling on the calling thread.
    pub fn compiler(&self) -> Compiler {
        let seed = self.options.fault_injection.map_or(1, |f| f.seed);
        Compiler {
            cl: cranelift_codegen::Context::new(),
            fctx: FunctionBuilderContext::new(),
            asm: None,
            rng: seed | 1,
        }
    }

    /// The JIT part of a new vCPU.
    pub fn thread(&self) -> JitThread {
        let mut code = self.lock();
        code.threads += 1;
        if code.threads > 1 {
            // With `mprotect` writes, a page holding published code is made
            // writable only while no other thread can run it; from the
            // second vCPU on, nothing proves that any more.
            code.cache.set_shared_pages(false);
        }
        JitThread { ctx: Arc::new(JitContext::new(&self.mem, self.sentinel())), participant: self.epochs.register() }
    }

    /// Code will be installed by threads that are not vCPUs (compile
    /// workers) while vCPUs run other code: with `mprotect` writes, no page
    /// holding published code may be made writable again.
    pub fn allow_concurrent_installs(&self) {
        self.lock().cache.set_shared_pages(false);
    }

    /// Installs and publishes machine code that is never retired (the
    /// store's stubs); returns its entry. `name` is what the perf map and
    /// the jitdump call it (`ferrovm:NAME`; without them a profile shows a
    /// bare address there).
    fn install_permanent(&self, name: &'static str, bytes: Vec<u8>) -> Result<usize> {
        let code = self.install(&mut Function::permanent(name, bytes))?;
        let entry = code.entry;
        // Permanent: never retired.
        std::mem::forget(code);
        Ok(entry)
    }

    /// Compiles the region `blocks` as one function entered at
    /// `blocks[0].start`, as `flavor` says: direct branches between its
    /// blocks stay in native code without leaving the function. The result
    /// still has to be [installed](Self::install) and
    /// [linked](Self::link); the caller must unlink and retire it when the
    /// code of any of the blocks changes.
    pub fn compile(
        &self,
        c: &mut Compiler,
        blocks: &[Block],
        flavor: Flavor,
        linker: &mut dyn Linker,
    ) -> Result<Function> {
        let Some(block) = blocks.first() else { return Err(Error::Codegen("empty region".into())) };
        let started = Instant::now();
        if c.inject_fault(self.options.fault_injection) {
            return Err(Error::Injected);
        }
        let data: Box<[AtomicUsize]> =
            (0..translate::ic_words_for(blocks)).map(|_| AtomicUsize::new(self.sentinel() as usize)).collect();
        let isa = match flavor.effort() {
            Effort::Optimize => &self.isa_opt,
            Effort::Plain => &self.isa,
            Effort::Quick => &self.isa_quick,
        };
        let how = if flavor.optimize { "optimized" } else { "unoptimized" };
        let mut env = self.env;
        if env.trap && flavor.checked {
            // A writer of translated code: inline checks (a write to code
            // then costs no host signal).
            env.trap = false;
            env.direct = false;
        } else if env.trap && self.precise.load(Ordering::Acquire) {
            // Precise faults from now on: the registers are stored as they
            // are set, so the `Cpu` is precise at a trap-mode access.
            env.write_through = true;
        }
        // Read before the code is: a first mapping of page 0 after this
        // drops the code (see `AddressSpace::first_page_mapped`).
        env.group_checks = !self.mem.first_page_mapped();
        // Direct accesses whose machine code did not put them right after
        // their limit branch (see `crate::fault`): compiled again with
        // those checked inline, a few times, then every access checked.
        let mut checked = Vec::new();
        let mut attempts = 0;
        let (bytes, sites, traps, entries) = loop {
            c.cl.clear();
            let (pcs, entries) = translate::translate(
                &mut c.cl.func,
                &mut c.fctx,
                blocks,
                env,
                linker,
                &data,
                flavor,
                self.isa.frontend_config(),
                &checked,
            )
            .map_err(|e| Error::Codegen(e.0))?;
            if self.options.dump {
                eprintln!("; region at {:#x}, {} block(s), {how}", block.start, blocks.len());
            }
            let (bytes, traps, srclocs) = c.emit(isa, self.options.dump)?;
            if !env.direct {
                break (bytes, Vec::new(), Vec::new(), entries);
            }
            // Only guest accesses carry these trap codes.
            let accesses: Vec<(u32, u32)> =
                traps.iter().filter_map(|&(at, code)| Some((at, translate::access_number(code)?))).collect();
            if env.trap {
                // Any layout will do; each access's guest pc is its
                // instruction's source location (an index into `pcs`).
                let pc_at = |at: u32| {
                    let i = srclocs.partition_point(|&(start, _, _)| start <= at);
                    i.checked_sub(1)
                        .map(|i| srclocs[i])
                        .filter(|&(_, end, _)| at < end)
                        .and_then(|(_, _, loc)| pcs.get(loc as usize).copied())
                };
                let traps = accesses
                    .iter()
                    .map(|&(at, n)| {
                        let (pc, retired) = pc_at(at).unwrap_or((block.start, 0));
                        TrapSite { at, pc, retired, check: translate::limit_check(n) }
                    })
                    .collect();
                break (bytes, Vec::new(), traps, entries);
            }
            let offsets: Vec<u32> = accesses.iter().map(|&(at, _)| at).collect();
            match crate::fault::fault_sites(&bytes, &offsets) {
                Ok(sites) => break (bytes, sites, Vec::new(), entries),
                Err(bad) => {
                    attempts += 1;
                    tracing::debug!(
                        target: "ferrovm::jit",
                        "region at {:#x}: {} access(es) checked inline (layout)",
                        block.start,
                        bad.len()
                    );
                    if attempts >= 3 {
                        env.direct = false;
                    }
                    checked.extend(bad.iter().map(|&i| accesses[i].1));
                }
            }
        };
        let checked_fallback = !checked.is_empty();
        Ok(Function {
            bytes,
            data,
            start: block.start,
            blocks: blocks.len(),
            optimized: flavor.optimize,
            baseline: false,
            time: started.elapsed(),
            sites,
            traps,
            checked_fallback,
            inner: None,
            far: Vec::new(),
            chains: Vec::new(),
            entries,
            stub: None,
        })
    }

    /// Compiles the single block `block` with the baseline compiler
    /// ([`crate::baseline`]): machine code from templates, in a few tens of
    /// microseconds where Cranelift takes a millisecond, for code compiled
    /// on its first run. The code follows the same contract as
    /// [`Self::compile`]'s (with `flavor.optimize` off): chaining, exits,
    /// memory checks, the run counter of `flavor.hot_at`.
    /// [`Error::Unsupported`] for a block it does not compile (FP, CSR
    /// accesses): compile that one with [`Self::compile`].
    pub fn compile_baseline(
        &self,
        c: &mut Compiler,
        block: &Block,
        flavor: Flavor,
        linker: &mut dyn Linker,
    ) -> Result<Function> {
        let started = Instant::now();
        crate::baseline::supports(block).map_err(|e| Error::Unsupported(e.0))?;
        if flavor.optimize {
            return Err(Error::Unsupported("optimized code".into()));
        }
        if c.inject_fault(self.options.fault_injection) {
            return Err(Error::Injected);
        }
        let data: Box<[AtomicUsize]> = Box::new([AtomicUsize::new(self.sentinel() as usize)]);
        let asm = match &mut c.asm {
            Some(asm) => asm,
            None => c.asm.insert(crate::baseline::Assembler::new().map_err(|e| Error::Codegen(e.0))?),
        };
        // Under trap mode, baseline code's loads and stores are trap-mode
        // accesses, whose sites it knows without decoding its machine
        // code; it stores guest registers as it sets them, so its state is
        // precise at each of them. A writer of code checks everything.
        let mut env = self.env;
        let trap = env.trap && !flavor.checked;
        env.direct &= !env.trap;
        env.trap = trap;
        let crate::baseline::Compiled { bytes, accesses, traps, inner, far, chains } =
            crate::baseline::compile(asm, block, env, linker, data.as_ptr() as u64, flavor.hot_at)
                .map_err(|e| Error::Unsupported(e.0))?;
        // Its templates put each access right after its branch; checked
        // all the same, as Cranelift's code is.
        let sites = if env.direct {
            crate::fault::fault_sites(&bytes, &accesses)
                .map_err(|bad| Error::Unsupported(format!("{} direct access(es) not after their branch", bad.len())))?
        } else {
            Vec::new()
        };
        if self.options.dump {
            eprintln!("; block at {:#x}, baseline", block.start);
            eprintln!("{}", crate::perf::disassemble(&bytes, 0));
        }
        Ok(Function {
            bytes,
            data,
            start: block.start,
            blocks: 1,
            optimized: false,
            baseline: true,
            time: started.elapsed(),
            sites,
            traps,
            checked_fallback: false,
            inner: Some(inner),
            far,
            chains,
            entries: Vec::new(),
            stub: None,
        })
    }

    /// Copies `f` into the code cache and makes it executable.
    /// [`Error::CacheFull`] when no free range is big enough: the caller
    /// retires something and tries again with the same `f` (or gives up).
    /// On success the inline-cache words the code refers to move from `f`
    /// into the result.
    pub fn install(&self, f: &mut Function) -> Result<NativeCode> {
        let mut code = self.lock();
        let Some(alloc) = code.cache.alloc(f.bytes.len(), None) else {
            return Err(Error::CacheFull { len: f.bytes.len() });
        };
        let entry = code.cache.addr(&alloc);
        // Jumps to the shared stubs: the code cache spans at most 1 GiB
        // (`new`), so every displacement fits.
        for &(end, target) in &f.far {
            let disp = (target as i64).wrapping_sub((entry + end as usize) as i64);
            let (Ok(disp), Some(field)) = (i32::try_from(disp), f.bytes.get_mut(end as usize - 4..end as usize)) else {
                code.cache.free(alloc);
                return Err(Error::Codegen(format!("jump to {target:#x} out of reach at offset {end}")));
            };
            field.copy_from_slice(&disp.to_le_bytes());
        }
        // The range is reused only once no thread can be running what was
        // there; its sites are marked before the code can run.
        if let Some(sites) = &self.sites {
            sites.clear(entry, alloc.len());
            for &at in &f.sites {
                sites.mark(entry + at as usize, false);
            }
            for t in &f.traps {
                sites.mark(entry + t.at as usize, true);
            }
        }
        // Its chained exits go at the head of their cells' lists, each
        // with its next-site word set in the bytes before they are copied.
        let mut chains = Vec::new();
        if code.patching {
            for &(end, cell) in &f.chains {
                let head = cell_at(cell as usize).sites.load(Ordering::Relaxed);
                let next = end as usize - 4 + crate::baseline::CHAIN_NEXT;
                f.bytes[next..next + 8].copy_from_slice(&(head as u64).to_le_bytes());
                chains.push((cell as usize, entry + end as usize - 4));
            }
        }
        let written = code.cache.write(&alloc, &f.bytes).and_then(|()| code.cache.publish(&alloc));
        if let Err(e) = written {
            code.cache.free(alloc);
            return Err(e);
        }
        // Then they lead straight to the baseline code their cells lead
        // to, from now on as those cells change (`link`). Listed first,
        // then aimed: a `link` that stored a cell's new inner way in
        // before the list held the exit is seen here, and one after sees
        // the exit in the list (see `repatch`).
        for &(cell, at) in &chains {
            let c = cell_at(cell);
            c.sites.store(at, Ordering::SeqCst);
            let inner = c.inner.load(Ordering::SeqCst);
            code.cache.patch_rel32(at, Self::disp(at, inner, self.leave_frame));
        }
        if f.blocks > 0 {
            let traps = std::mem::take(&mut f.traps).into_boxed_slice();
            let chains = chains.into_boxed_slice();
            code.live.insert(entry, Live { end: entry + f.bytes.len(), pc: f.start, traps, chains });
        }
        let out_asm = f.stub.is_none() && tracing::enabled!(target: "ferrovm::out_asm", tracing::Level::INFO);
        if code.perf_map.is_some() || code.jitdump.is_some() || out_asm {
            let name = match f.stub {
                Some(stub) => format!("ferrovm:{stub}"),
                None => format!(
                    "riscv64:{} ({} blocks, {})",
                    describe_pc(self.symbols.get().map(|s| &**s), f.start),
                    f.blocks,
                    f.how()
                ),
            };
            if let Some(map) = &mut code.perf_map {
                // Best effort: a profile aid, not part of the run.
                let _ = writeln!(map, "{entry:x} {:x} {name}", f.bytes.len());
            }
            if let Some(dump) = &mut code.jitdump {
                dump.code_load(&name, entry as u64, &f.bytes);
            }
            if out_asm {
                let text = crate::perf::disassemble(&f.bytes, entry as u64);
                tracing::info!(
                    target: "ferrovm::out_asm",
                    "OUT: [size={}] guest {:#x} {name}\n{text}",
                    f.bytes.len(),
                    f.start
                );
            }
        }
        // The code embeds the words' address: move them, never copy.
        let data = std::mem::take(&mut f.data);
        let inner = f.inner.and_then(|at| std::num::NonZeroUsize::new(entry + at as usize));
        Ok(NativeCode { alloc, entry, inner, data })
    }

    /// The displacement of a patchable chained exit whose rel32 field is at
    /// `at`, aimed at `inner`, a cell's inner way in: straight there if it
    /// is baseline code's inner entry, otherwise (`leave_frame`, for code
    /// of another kind or none) 0, the next instruction, which goes through
    /// the cell.
    fn disp(at: usize, inner: usize, leave_frame: usize) -> i32 {
        if inner == leave_frame { 0 } else { (inner as i64 - (at as i64 + 4)) as i32 }
    }

    /// After `cell`'s inner way in changed: aims every chained exit through
    /// it where it now leads, walking its list (the next-site word of each
    /// is read from the code).
    fn repatch(&self, cell: &Cell) {
        // The caller stored `inner` (SeqCst): an exit listed after this
        // load is aimed by `install`, which loads `inner` after listing it.
        if cell.sites.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut code = self.lock();
        if !code.patching {
            return;
        }
        // Read under the lock: of two links racing, the later repatch aims
        // at the later `inner`.
        let inner = cell.inner.load(Ordering::SeqCst);
        let mut at = cell.sites.load(Ordering::Relaxed);
        while at != 0 {
            code.cache.patch_rel32(at, Self::disp(at, inner, self.leave_frame));
            at = Self::next_site(at);
        }
    }

    /// The chained exit after the one whose rel32 field is at `at` in its
    /// cell's list (0: none).
    pub(crate) fn next_site(at: usize) -> usize {
        // SAFETY: a listed exit is in live code (its translation takes it
        // off the list before it is retired), readable in the code view;
        // its word changes only under the lock, which the caller holds.
        unsafe { std::ptr::read_unaligned((at + crate::baseline::CHAIN_NEXT) as *const u64) as usize }
    }

    /// Makes `cell` lead to `code` (every chained exit aimed at its pc now
    /// runs it).
    pub fn link(&self, cell: &Cell, code: &NativeCode) {
        cell.code.store(code.entry, Ordering::Release);
        cell.inner.store(code.inner.map_or(self.leave_frame, std::num::NonZeroUsize::get), Ordering::SeqCst);
        self.repatch(cell);
    }

    /// Makes `cell` lead back to the dispatcher.
    pub fn unlink(&self, cell: &Cell) {
        cell.code.store(self.stub, Ordering::Release);
        cell.inner.store(self.leave_frame, Ordering::SeqCst);
        self.repatch(cell);
    }

    /// Whether `cell` leads into `code` by either of its ways in.
    pub fn leads_to(cell: &Cell, code: &NativeCode) -> bool {
        let inside = |at: usize| at == code.entry || code.inner.map(std::num::NonZeroUsize::get) == Some(at);
        inside(cell.code.load(Ordering::Acquire)) || inside(cell.inner.load(Ordering::Acquire))
    }

    /// Frees `code`, which no cell leads to any more: its bytes are reused
    /// once every thread has left compiled code since this call.
    pub fn retire(&self, native: NativeCode) {
        let mut code = self.lock();
        let live = code.live.remove(&native.entry);
        // Its chained exits are patched no more (the bytes are reused once
        // freed below): off their cells' lists.
        if code.patching
            && let Some(live) = live
        {
            for &(cell, at) in &live.chains {
                let cell = cell_at(cell);
                let next = Self::next_site(at);
                // The exit before it in the list (`None`: it is the head).
                let mut before = None;
                let mut cur = cell.sites.load(Ordering::Relaxed);
                while cur != 0 && cur != at {
                    before = Some(cur);
                    cur = Self::next_site(cur);
                }
                if cur == at {
                    match before {
                        None => cell.sites.store(next, Ordering::SeqCst),
                        Some(b) => {
                            code.cache.patch_word(b + crate::baseline::CHAIN_NEXT, next as u64);
                        }
                    }
                }
            }
        }
        code.cache.free(native.alloc);
        let tag = self.epochs.advance();
        code.dead_data.push((tag, native.data));
        let epochs = &self.epochs;
        code.dead_data.retain(|(tag, _)| !epochs.reclaimable(*tag));
    }

    /// Runs compiled code for `cpu.pc` through `cell` (the cell of
    /// `cpu.pc`), chaining through compiled successors, until it leaves.
    /// `None` if the cell leads to no compiled code.
    pub fn run(&self, th: &JitThread, cpu: &mut Cpu, cell: &Cell) -> Option<NativeExit> {
        let pc = cpu.pc;
        // Enter the epoch before reading the code pointer: code unlinked
        // after this point stays allocated until this thread leaves.
        th.participant.enter(&self.epochs);
        let entry = cell.code.load(Ordering::Acquire);
        if entry == self.stub {
            th.participant.leave();
            return None;
        }
        let ctx = &*th.ctx;
        if self.options.chaining {
            ctx.jump_cache[crate::abi::jump_cache_slot(pc)]
                .store(std::ptr::from_ref(cell).cast_mut(), Ordering::Relaxed);
        }
        let host_fp = self.env.fp.is_some();
        if host_fp {
            crate::host_fp::enter(ctx, cpu);
        }
        // SAFETY: `entry` is the published code of a translation of `pc`
        // built by `translate` for this address space and still allocated
        // (this thread's epoch is entered); it accesses only `cpu`
        // (exclusively borrowed), `ctx` (this vCPU's, owned by this thread),
        // guest memory through checked accesses, and cells, caches and
        // helpers that outlive it. The trampoline's signature matches (see
        // `new`).
        let (code, trapped) = unsafe {
            crate::fault::enter(self.trampoline, cpu, ctx, self.sites.as_ref(), entry, pc, self.env.host_base)
        };
        if host_fp {
            crate::host_fp::leave(cpu);
        }
        th.participant.leave();
        Some(match code {
            exit::CONTINUE => NativeExit::Continue,
            exit::ECALL => NativeExit::Ecall,
            exit::EBREAK => NativeExit::Ebreak,
            exit::ILLEGAL => NativeExit::Illegal { bits: ctx.illegal_bits.load(Ordering::Relaxed) },
            exit::FENCE_I => NativeExit::FenceI,
            exit::SLOW => NativeExit::Slow,
            exit::HOT => NativeExit::Hot,
            exit::TRAP if let Some(t) = trapped => {
                if self.precise.load(Ordering::Relaxed) {
                    ctx.trapped.store(t.rip, Ordering::Relaxed);
                }
                NativeExit::Fault(self.trap_fault(cpu, t))
            }
            _ => match ctx.take_fault() {
                Some(f) => NativeExit::Fault(f),
                None => NativeExit::Illegal { bits: 0 },
            },
        })
    }

    /// The guest fault of a trap-mode access that left compiled code
    /// ([`crate::fault::abort`]); sets `cpu.pc` to the access (and, for
    /// code that writes registers through, `instret`: the state is then
    /// precise). Otherwise the registers are where the code last wrote them
    /// back (see [`MemAccess::Trap`]).
    fn trap_fault(&self, cpu: &mut Cpu, t: crate::fault::Trapped) -> Fault {
        let site = self.trap_site(t.rip);
        if let Some(site) = site {
            cpu.pc = site.pc;
            cpu.instret += u64::from(site.retired);
        }
        // An address clamped to the limit faulted in the guard past it:
        // the guest address itself is not known any more, only that it was
        // beyond the limit.
        let addr = (t.addr as u64).wrapping_sub(self.env.host_base).min(GUEST_LIMIT);
        let write = site.and_then(|s| s.check).unwrap_or(t.write);
        let access = if write { Access::Write } else { Access::Read };
        let kind =
            if addr < GUEST_LIMIT && self.mem.page_mapped(addr) { FaultKind::Protection } else { FaultKind::Unmapped };
        Fault::new(addr, access, kind)
    }

    /// Holds the store's lock across a host `fork`, so the child never
    /// finds it held by a thread that does not exist there, with the code
    /// cache ready for the fork ([`CodeCache::prepare_fork`]: its memory
    /// private to the process). The caller has stopped every thread that
    /// writes or runs code but its own, which runs none.
    pub fn lock_for_fork(&self) -> Result<MutexGuard<'_, StoreState>> {
        let mut state = self.lock();
        // Published code is not patched after the fork (the alias goes):
        // every chained exit back to the way through its cell first (the
        // lists are not used again).
        if std::mem::replace(&mut state.patching, false) {
            let StoreState { live, cache, .. } = &mut *state;
            for &(_, at) in live.values().flat_map(|l| l.chains.iter()) {
                cache.patch_rel32(at, 0);
            }
        }
        state.cache.prepare_fork()?;
        Ok(state)
    }

    /// In a forked child, where only the thread of `keep` exists: the other
    /// threads' epoch registrations no longer hold back reuse.
    pub fn after_fork_child(&self, keep: &JitThread) {
        self.epochs.retain_only(&keep.participant);
    }

    /// Gives the JIT the guest's symbols (for the perf map and the
    /// jitdump); only the first call counts.
    pub fn set_symbols(&self, symbols: Arc<dyn GuestSymbols>) {
        let _ = self.symbols.set(symbols);
    }

    /// The guest symbols given to [`Self::set_symbols`].
    pub fn symbols(&self) -> Option<&Arc<dyn GuestSymbols>> {
        self.symbols.get()
    }

    /// The guest entry pc of the live translation whose machine code holds
    /// host address `host_pc`, if any (a profiler's sample).
    pub fn translation_at(&self, host_pc: usize) -> Option<u64> {
        let code = self.lock();
        let (_, live) = code.live.range(..=host_pc).next_back()?;
        (host_pc < live.end).then_some(live.pc)
    }

    /// The trap-mode access at host address `host_pc`.
    fn trap_site(&self, host_pc: usize) -> Option<TrapSite> {
        let code = self.lock();
        let (&entry, live) = code.live.range(..=host_pc).next_back()?;
        let off = u32::try_from(host_pc - entry).ok()?;
        let i = live.traps.binary_search_by_key(&off, |t| t.at).ok()?;
        Some(live.traps[i])
    }

    /// The guest can now see the registers at a fault (it installed a
    /// handler for `SIGSEGV` or `SIGBUS`, or a debugger is attached): [`MemAccess::Trap`]
    /// code compiled from now on stores every guest register as it is set
    /// (and `instret` at the end of each guest block), so the state is
    /// precise at a trap-mode access, as baseline code's always is.
    /// Returns whether code that is not precise may exist: the
    /// caller must then drop every translation and wait until no thread
    /// runs it any more.
    pub fn require_precise(&self) -> bool {
        self.env.trap && !self.precise.swap(true, Ordering::AcqRel)
    }

    /// The epochs that guard reuse of retired code.
    pub fn epochs(&self) -> &Arc<Epochs> {
        &self.epochs
    }
}

/// Where a function's trapping instructions start, and their trap codes.
type Traps = Vec<(u32, TrapCode)>;

/// A function's machine code ranges `[start, end)` by source location,
/// sorted.
type SrcLocs = Vec<(u32, u32, u32)>;

impl Compiler {
    /// Compiles the function in `self.cl.func` with `isa` into machine
    /// code without relocations, and the offsets of its guest accesses
    /// (the instructions that may trap: only guest loads and stores carry a
    /// trap code).
    fn emit(&mut self, isa: &OwnedTargetIsa, dump: bool) -> Result<(Vec<u8>, Traps, SrcLocs)> {
        self.cl.set_disasm(dump);
        // Degrade, don't die: a Cranelift panic is a compile error too.
        let cl = &mut self.cl;
        let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cl.compile(&**isa, &mut ControlPlane::default()).map(|_| ()).map_err(|e| format!("{:?}", e.inner))
        }));
        match compiled {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if dump {
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
        if dump {
            eprintln!("{}", compiled.vcode.as_deref().unwrap_or(""));
        }
        if !compiled.buffer.relocs().is_empty() {
            return Err(Error::Codegen("machine code needs relocations".into()));
        }
        let accesses = compiled.buffer.traps().iter().map(|t| (t.offset, t.code)).collect();
        let srclocs = compiled
            .buffer
            .get_srclocs_sorted()
            .iter()
            .filter(|l| !l.loc.is_default())
            .map(|l| (l.start, l.end, l.loc.bits()))
            .collect();
        Ok((compiled.code_buffer().to_vec(), accesses, srclocs))
    }

    fn inject_fault(&mut self, f: Option<FaultInjection>) -> bool {
        let Some(f) = f.filter(|f| f.rate > 0.0) else { return false };
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        (r as f64 / (1u64 << 53) as f64) < f.rate
    }
}

unsafe extern "C" fn unreachable_trampoline(_: *mut Cpu, _: *const JitContext, _: usize, _: u64) -> u64 {
    exit::CONTINUE
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use cranelift_codegen::dominator_tree::DominatorTree;
    use cranelift_codegen::flowgraph::ControlFlowGraph;
    use cranelift_codegen::ir::Opcode;
    use ferrovm_ir::text::parse_blocks;

    use super::*;
    use crate::baseline::tests::One;

    /// A store of the default options over a fresh address space.
    fn store() -> CodeStore {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        CodeStore::new(&mem, crate::JitOptions::default()).expect("store")
    }

    /// `text`'s blocks compiled by `c` as one optimized region, linked by
    /// `linker` (the Cranelift function stays in `c`).
    fn optimized<L: Linker>(store: &CodeStore, c: &mut Compiler, text: &str, linker: &mut L) -> Function {
        let blocks = parse_blocks(text).expect("parses");
        let flavor = Flavor { optimize: true, hot_at: None, checked: false };
        store.compile(c, &blocks, flavor, linker).expect("compiles")
    }

    /// A compiler holding the Cranelift function of `text`'s blocks
    /// compiled as one optimized region entered at 0x1000.
    fn optimized_ir(text: &str) -> Compiler {
        let store = store();
        let cell = store.new_cell(0x1000);
        let counter = AtomicU32::new(0);
        let mut c = store.compiler();
        optimized(&store, &mut c, text, &mut One(&cell, &counter));
        c
    }

    /// A loop whose branch takes its back edge (`branch t2, 0x1000,
    /// 0x1004`, the taken way first, as the guest's `bnez` has it) gets its
    /// latch laid out before its exit: Cranelift lowers blocks in the
    /// order of the dominator tree's reverse postorder, in which the exit
    /// path (a chained exit to 0x1004) came before the latch when the back
    /// edge was the branch's first successor, and the latch then followed
    /// all the code after the loop (see `Tr::loop_rank`).
    #[test]
    fn a_loops_latch_is_laid_out_before_its_exit() {
        let text = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = get x6\n t1 = const 0xffffffffffffffff\n \
                    t2 = add t0, t1\n set x6, t2\n branch t2, 0x1000, 0x1004\n}";
        let c = optimized_ir(text);
        let func = &c.cl.func;
        let cfg = ControlFlowGraph::with_function(func);
        let rpo: Vec<_> = DominatorTree::with_function(func, &cfg).cfg_rpo().copied().collect();
        let pos = |b| rpo.iter().position(|&x| x == b).expect("reachable");
        let latch = rpo.iter().position(|&b| cfg.succ_iter(b).any(|s| pos(s) <= pos(b))).expect("a back edge");
        let exit = rpo
            .iter()
            .position(|&b| {
                func.layout.last_inst(b).is_some_and(|i| func.dfg.insts[i].opcode() == Opcode::ReturnCallIndirect)
            })
            .expect("a chained exit");
        assert!(latch < exit, "latch at {latch}, exit at {exit} in {rpo:?}");
    }

    /// `text` compiled as optimized code with trap-mode memory access
    /// ([`crate::MemAccess::Trap`]).
    fn trap_mode_ir(text: &str) -> Compiler {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let options = crate::JitOptions { mem: crate::MemAccess::Trap, ..crate::JitOptions::default() };
        let store = CodeStore::new(&mem, options).expect("store");
        let (cell, counter) = (store.new_cell(0x1000), AtomicU32::new(0));
        let mut c = store.compiler();
        optimized(&store, &mut c, text, &mut One(&cell, &counter));
        c
    }

    /// The limit checks in an optimized region of `text`'s blocks compiled
    /// with trap-mode accesses.
    fn limit_checks(text: &str) -> usize {
        let c = trap_mode_ir(text);
        let func = &c.cl.func;
        func.layout
            .blocks()
            .flat_map(|b| func.layout.block_insts(b))
            .filter(|&i| func.dfg.insts[i].opcode() == Opcode::Trapnz)
            .count()
    }

    /// An AES round's lookups, `x17 + ((xN & 0xff) << 2)` with four
    /// indexes at offsets 0, 0x400, 0x800 and 0xc00 (four 1 KiB tables),
    /// take one limit check (`trap_bases`): the last byte any index reaches
    /// is 4 KiB - 1 past the tables' address. A fifth at 0xc04 may reach
    /// past that and is checked on its own. Loads through one sum at
    /// offsets 0 to 0xc04 take the sum's one check, as before.
    #[test]
    fn table_lookups_share_their_tables_limit_check() {
        // Lookup k at `off`: `x(5 + k) & 0xff`, scaled by 4 and added to
        // x17, or the sum `t6` of the first index.
        let lookup = |k: usize, off: u32, own_index: bool| {
            let t = 10 + 5 * k;
            let (a, b, c, v) = (t + 1, t + 2, t + 3, t + 4);
            let sum = if own_index {
                format!(" t{t} = get x{}\n t{a} = and t{t}, t2\n t{b} = shl t{a}, t4\n t{c} = add t0, t{b}\n", 5 + k)
            } else {
                String::new()
            };
            let base = if own_index { c } else { 6 };
            format!("{sum} t{v} = load.32s t{base}+{off}\n set x{}, t{v}\n", 20 + k)
        };
        let block = |offsets: &[u32], own_index: bool| {
            let loads: String = offsets.iter().enumerate().map(|(k, &off)| lookup(k, off, own_index)).collect();
            format!(
                "block 0x1000..0x1004 {{\n mark 0x1000 4\n t0 = get x17\n t1 = get x15\n t2 = const 0xff\n \
                 t3 = and t1, t2\n t4 = const 0x2\n t5 = shl t3, t4\n t6 = add t0, t5\n{loads} jump 0x1004\n}}"
            )
        };
        assert_eq!(limit_checks(&block(&[0, 0x400, 0x800, 0xc00], true)), 1);
        assert_eq!(limit_checks(&block(&[0, 0x400, 0x800, 0xc00, 0xc04], true)), 2);
        assert_eq!(limit_checks(&block(&[0, 0x400, 0x800, 0xc00, 0xc04], false)), 1);
    }

    /// A loop walking a pointer (`lw a6, 0(a5); addi a5, a5, 4; bnez a6,
    /// loop`) checks it once on the way in, not on every round: no trap
    /// in the loop (it had one), one limit compare at the region's entry
    /// (`translate::limits`). So does the same loop entered through a
    /// block that sets the pointer (its edge into the loop checks).
    #[test]
    fn a_loop_checks_its_pointer_on_the_way_in() {
        use cranelift_codegen::ir::InstructionData;
        let counts = |text: &str| {
            let c = trap_mode_ir(text);
            let func = &c.cl.func;
            let insts: Vec<_> = func.layout.blocks().flat_map(|b| func.layout.block_insts(b)).collect();
            let traps = insts.iter().filter(|&&i| func.dfg.insts[i].opcode() == Opcode::Trapnz).count();
            let limits = insts
                .iter()
                .filter(|&&i| {
                    matches!(func.dfg.insts[i], InstructionData::Load { opcode: Opcode::Load, offset, .. }
                        if i32::from(offset) == crate::abi::offsets::CTX_GUEST_LIMIT)
                })
                .count();
            (traps, limits)
        };
        const LOOP: &str = "block 0x1000..0x100c {\n mark 0x1000 4\n t0 = get x15\n t1 = load.32s t0+0\n \
                            set x16, t1\n t2 = const 0x4\n t3 = add t0, t2\n set x15, t3\n \
                            branch t1, 0x1000, 0x100c\n}";
        assert_eq!(counts(LOOP), (0, 1));
        let entered = format!(
            "block 0x0f00..0x0f08 {{\n mark 0x0f00 4\n t0 = get x10\n set x15, t0\n jump 0x1000\n}}\n{LOOP}\n\
             block 0x100c..0x1010 {{\n mark 0x100c 4\n jump 0x0f00\n}}"
        );
        // The edge from 0x0f00 into the loop compares (0x1000 is no way
        // into this region: it is inside the loop through 0x0f00, see
        // `a_region_is_entered_only_where_its_loops_keep_one_way_in`).
        assert_eq!(counts(&entered), (0, 1));
    }

    /// A loop at 0x1000 with two back edges (0x1008 and 0x100c, picked by
    /// `x7`), written in an order where its blocks' own edges also went
    /// backwards (0x100c and 0x1008 before 0x1004), counting `x6` down
    /// and adding 1 or 2 to `x5` each round; an `ecall` at 0x1010 when
    /// `x6` reaches 0.
    const TWO_LATCHES: &str = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = get x6\n t1 = const 0xffffffffffffffff\n \
                               t2 = add t0, t1\n set x6, t2\n branch t2, 0x1004, 0x1010\n}\n\
                               block 0x100c..0x1010 {\n mark 0x100c 4\n t0 = get x5\n t1 = const 0x2\n \
                               t2 = add t0, t1\n set x5, t2\n jump 0x1000\n}\n\
                               block 0x1008..0x100c {\n mark 0x1008 4\n t0 = get x5\n t1 = const 0x1\n \
                               t2 = add t0, t1\n set x5, t2\n jump 0x1000\n}\n\
                               block 0x1004..0x1008 {\n mark 0x1004 4\n t0 = get x7\n branch t0, 0x1008, 0x100c\n}\n\
                               block 0x1010..0x1014 {\n mark 0x1010 4\n ecall 0x1010\n}";

    /// A region loads on entry only the guest registers some path reads
    /// (or stores back) before setting them: `x9`, set in the loop before
    /// anything reads it, is not loaded (Cranelift would emit the unused
    /// load: it lowers every load); `x6`, read first, is.
    #[test]
    fn a_region_does_not_load_registers_it_sets_before_reading() {
        use cranelift_codegen::ir::InstructionData;
        let text = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = get x6\n t1 = const 0xffffffffffffffff\n \
                    t2 = add t0, t1\n set x6, t2\n set x9, t2\n branch t2, 0x1000, 0x1004\n}";
        let c = optimized_ir(text);
        let func = &c.cl.func;
        let entry = func.layout.entry_block().expect("an entry block");
        let cpu = func.dfg.block_params(entry)[0];
        let loads_of = |reg: i32| {
            func.layout
                .blocks()
                .flat_map(|b| func.layout.block_insts(b))
                .filter(|&i| match func.dfg.insts[i] {
                    InstructionData::Load { arg, offset, .. } => {
                        arg == cpu && i32::from(offset) == crate::abi::offsets::CPU_REGS + 8 * reg
                    }
                    _ => false,
                })
                .count()
        };
        assert_eq!((loads_of(6), loads_of(9)), (1, 0), "{}", func.display());
    }

    /// Only a loop's back edges poll the exit request
    /// (`translation_order`): [`TWO_LATCHES`]'s region reads it on its two
    /// back edges; in the order its blocks were given, on four edges.
    #[test]
    fn only_back_edges_poll() {
        use cranelift_codegen::ir::InstructionData;
        let c = optimized_ir(TWO_LATCHES);
        let func = &c.cl.func;
        let entry = func.layout.entry_block().expect("an entry block");
        let ctx = func.dfg.block_params(entry)[1];
        let polls = func
            .layout
            .blocks()
            .flat_map(|b| func.layout.block_insts(b))
            .filter(|&i| match func.dfg.insts[i] {
                InstructionData::Load { opcode: Opcode::Uload8, arg, offset, .. } => {
                    arg == ctx && i32::from(offset) == crate::abi::offsets::CTX_EXIT_REQUEST
                }
                _ => false,
            })
            .count();
        assert_eq!(polls, 2, "{}", func.display());
    }

    /// A back edge's poll leaves with the round it ends retired and its
    /// registers written back, at the loop's head; without a request the
    /// loop runs to its end. Both ways round the loop (`x7` set or not).
    #[test]
    fn a_back_edges_poll_leaves_at_the_loops_head_with_the_round_written_back() {
        for (x7, step) in [(1, 1), (0, 2)] {
            for request in [true, false] {
                let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
                cpu.regs[6] = 5;
                cpu.regs[7] = x7;
                let (exit, _) = run_region(TWO_LATCHES, false, request, &mut cpu);
                let got = (exit, cpu.pc, cpu.regs[5], cpu.regs[6], cpu.instret);
                if request {
                    assert_eq!(got, (Some(NativeExit::Continue), 0x1000, step, 4, 3), "x7 = {x7}");
                } else {
                    // Four full rounds, the fifth's head, and the ecall.
                    assert_eq!(got, (Some(NativeExit::Ecall), 0x1010, 4 * step, 0, 4 * 3 + 2), "x7 = {x7}");
                }
            }
        }
    }

    /// [`One`], guessing that the indirect jump of the block at 0x1000
    /// goes to 0x1100 when `guess`.
    struct Guess<'a>(One<'a>, bool);

    impl Linker for Guess<'_> {
        fn cell(&mut self, pc: u64) -> *const Cell {
            self.0.cell(pc)
        }

        fn counter(&mut self, pc: u64) -> *const AtomicU32 {
            self.0.counter(pc)
        }

        fn indirect_targets(&mut self, pc: u64) -> Vec<u64> {
            if self.1 && pc == 0x1000 { vec![0x1100] } else { Vec::new() }
        }
    }

    /// Runs `text`'s blocks, compiled as one region entered at 0x1000 with
    /// or without the guess of [`Guess`], on `cpu`, with an exit requested
    /// or not: the exit, and the indirect jumps that left the region.
    fn run_region(text: &str, guess: bool, request: bool, cpu: &mut Cpu) -> (Option<NativeExit>, u64) {
        let store = store();
        let cell = store.new_cell(0x1000);
        let counter = AtomicU32::new(0);
        let mut c = store.compiler();
        let mut f = optimized(&store, &mut c, text, &mut Guess(One(&cell, &counter), guess));
        let code = store.install(&mut f).expect("installs");
        store.link(&cell, &code);
        let thread = store.thread();
        thread.context().exit_request.store(u8::from(request), Ordering::Relaxed);
        let exit = store.run(&thread, cpu, &cell);
        let left = thread.context().indirect_jumps.load(Ordering::Relaxed);
        store.unlink(&cell);
        store.retire(code);
        (exit, left)
    }

    /// [`run_region`] from 0x1000 with `x5` = 0x1100 and `x6` = 5: the
    /// exit, the CPU, and the indirect jumps that left the region.
    fn run_guessed(text: &str, guess: bool) -> (Option<NativeExit>, Cpu, u64) {
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[5] = 0x1100;
        cpu.regs[6] = 5;
        let (exit, left) = run_region(text, guess, false, &mut cpu);
        (exit, cpu, left)
    }

    /// An indirect jump to a block of its region that the linker guessed
    /// stays inside (`Tr::jump_inside`): a loop through it runs to its end
    /// with no indirect exit; without the guess the jump leaves the region.
    #[test]
    fn an_indirect_jump_to_a_guessed_block_stays_in_the_region() {
        let text = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = get x5\n jump_indirect t0\n}\n\
                    block 0x1100..0x1108 {\n mark 0x1100 4\n t0 = get x6\n t1 = const 0xffffffffffffffff\n \
                    t2 = add t0, t1\n set x6, t2\n mark 0x1104 4\n branch t2, 0x1000, 0x1108\n}\n\
                    block 0x1108..0x110c {\n mark 0x1108 4\n ecall 0x1108\n}";
        let (exit, cpu, left) = run_guessed(text, true);
        assert_eq!((exit, cpu.pc, cpu.regs[6], left), (Some(NativeExit::Ecall), 0x1108, 0, 0));
        assert_eq!(cpu.instret, 16, "five rounds of three instructions, and the ecall");
        let (exit, cpu, left) = run_guessed(text, false);
        assert_eq!((exit, cpu.pc, cpu.regs[6], left), (Some(NativeExit::Continue), 0x1100, 5, 1));
    }

    /// An indirect call to a guessed callee in the region stays inside,
    /// and so does the callee's return to the call's continuation
    /// (`Tr::return_inside`): five calls, no indirect exit.
    #[test]
    fn an_indirect_call_to_a_guessed_callee_and_its_return_stay_in_the_region() {
        let text = "block 0x1000..0x1008 {\n mark 0x1000 4\n t0 = get x5\n mark 0x1004 4\n \
                    t1 = const 0x1008\n set x1, t1\n jump_indirect t0 call\n}\n\
                    block 0x1100..0x1108 {\n mark 0x1100 4\n t0 = get x6\n t1 = const 0xffffffffffffffff\n \
                    t2 = add t0, t1\n set x6, t2\n mark 0x1104 4\n t3 = get x1\n jump_indirect t3 return\n}\n\
                    block 0x1008..0x100c {\n mark 0x1008 4\n t0 = get x6\n branch t0, 0x1000, 0x100c\n}\n\
                    block 0x100c..0x1010 {\n mark 0x100c 4\n ecall 0x100c\n}";
        let (exit, cpu, left) = run_guessed(text, true);
        assert_eq!((exit, cpu.pc, cpu.regs[6], cpu.regs[1], left), (Some(NativeExit::Ecall), 0x100c, 0, 0x1008, 0));
        assert_eq!(cpu.instret, 26, "five rounds of five instructions, and the ecall");
        let (exit, cpu, left) = run_guessed(text, false);
        assert_eq!((exit, cpu.pc, cpu.regs[6], left), (Some(NativeExit::Continue), 0x1100, 5, 1));
    }

    /// A cell per pc (a return's prediction is a cell whose pc is the
    /// return address).
    struct Cells<'a>(&'a CodeStore, HashMap<u64, Box<Cell>>, AtomicU32);

    impl Linker for Cells<'_> {
        fn cell(&mut self, pc: u64) -> *const Cell {
            let store = self.0;
            &**self.1.entry(pc).or_insert_with(|| Box::new(store.new_cell(pc)))
        }

        fn counter(&mut self, _: u64) -> *const AtomicU32 {
            &self.2
        }
    }

    /// A call into the region pushes its return address unless its return
    /// is expected back inside (`Tr::stays_for_return`): with the callee's
    /// return and the continuation in the region it pushes nothing and the
    /// return pops nothing; with the continuation not in the region the
    /// return leaves through the return-address stack and finds its own
    /// prediction there; with the callee's return not in the region (the
    /// region made of a loop in the callee) the return-address stack holds
    /// the continuation when the callee leaves; with a way out of the
    /// region on the callee's path it pushes, and the return that comes
    /// back inside all the same pops. Before, a call into the region pushed
    /// nothing, and such a return popped its caller's entry (top -1, a
    /// miss).
    #[test]
    fn a_call_pushes_unless_its_return_comes_back_inside() {
        const CALL: &str = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = const 0x1004\n set x1, t0\n jump 0x1100\n}\n\
                            block 0x1100..0x1108 {\n mark 0x1100 4\n t0 = get x6\n t1 = const 0xffffffffffffffff\n \
                            t2 = add t0, t1\n set x6, t2\n mark 0x1104 4\n branch t2, 0x1100, 0x1108\n}\n";
        const RETURN: &str = "block 0x1108..0x110c {\n mark 0x1108 4\n t0 = get x1\n jump_indirect t0 return\n}\n";
        const BACK: &str = "block 0x1004..0x1008 {\n mark 0x1004 4\n ecall 0x1004\n}";
        // The callee may leave the region on the way to its return (a
        // branch out, not taken here).
        const MAY_LEAVE: &str = "block 0x1108..0x110c {\n mark 0x1108 4\n t0 = get x7\n branch t0, 0x2000, 0x110c\n}\n\
                                 block 0x110c..0x1110 {\n mark 0x110c 4\n t0 = get x1\n jump_indirect t0 return\n}\n";
        let cases = [
            (format!("{CALL}{RETURN}"), NativeExit::Continue, 0x1004, 0),
            (format!("{CALL}{RETURN}{BACK}"), NativeExit::Ecall, 0x1004, 0),
            (format!("{CALL}{BACK}"), NativeExit::Continue, 0x1108, 1),
            // It pushes, and its return coming back inside pops.
            (format!("{CALL}{MAY_LEAVE}{BACK}"), NativeExit::Ecall, 0x1004, 0),
        ];
        for (text, want_exit, want_pc, want_top) in cases {
            let store = store();
            let mut cells = Cells(&store, HashMap::new(), AtomicU32::new(0));
            let mut c = store.compiler();
            let mut f = optimized(&store, &mut c, &text, &mut cells);
            let code = store.install(&mut f).expect("installs");
            cells.cell(0x1000);
            let entry = &*cells.1[&0x1000];
            store.link(entry, &code);
            let thread = store.thread();
            let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
            cpu.regs[6] = 3;
            let exit = store.run(&thread, &mut cpu, entry);
            let ctx = thread.context();
            let (top, misses) = (ctx.ras_top.load(Ordering::Relaxed), ctx.ras_misses.load(Ordering::Relaxed));
            let pushed = ctx.ras[0].load(Ordering::Relaxed).cast_const();
            store.unlink(entry);
            store.retire(code);
            let what = text.lines().filter(|l| l.starts_with("block")).collect::<Vec<_>>().join(" ");
            assert_eq!((exit, cpu.pc, cpu.regs[6]), (Some(want_exit), want_pc, 0), "{what}");
            assert_eq!((top, misses), (want_top, 0), "{what}");
            if want_top == 1 {
                assert!(std::ptr::eq(pushed, &*cells.1[&0x1004]), "{what}: the continuation's cell is pushed");
            }
        }
    }

    /// Each indirect exit of a region has its own inline-cache word: a
    /// region leaving by two indirect jumps to two targets hits both
    /// caches after one round through each. With one word for the region
    /// (before), the second exit's target replaced the first's and every
    /// switch between them missed.
    #[test]
    fn each_indirect_exit_of_a_region_has_its_own_inline_cache() {
        let text = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = get x6\n branch t0, 0x1100, 0x1200\n}\n\
                    block 0x1100..0x1104 {\n mark 0x1100 4\n t0 = get x5\n jump_indirect t0\n}\n\
                    block 0x1200..0x1204 {\n mark 0x1200 4\n t0 = get x7\n jump_indirect t0\n}";
        let store = store();
        let mut cells = Cells(&store, HashMap::new(), AtomicU32::new(0));
        let mut c = store.compiler();
        let mut f = optimized(&store, &mut c, text, &mut cells);
        assert_eq!(f.data.len(), 2, "one word per indirect exit");
        let code = store.install(&mut f).expect("installs");
        for pc in [0x1000, 0x3010, 0x3020] {
            cells.cell(pc);
        }
        let entry = &*cells.1[&0x1000];
        store.link(entry, &code);
        let thread = store.thread();
        let ctx = thread.context();
        // The targets in the jump cache, where a missed inline cache
        // looks next (and fills the word from), in other slots than the
        // entry's (`CodeStore::run` puts it there).
        for pc in [0x3010, 0x3020] {
            let cell = std::ptr::from_ref(&*cells.1[&pc]).cast_mut();
            ctx.jump_cache[crate::abi::jump_cache_slot(pc)].store(cell, Ordering::Relaxed);
        }
        let mut run = |way: u64| {
            let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
            (cpu.regs[5], cpu.regs[6], cpu.regs[7]) = (0x3010, way, 0x3020);
            let exit = store.run(&thread, &mut cpu, entry);
            assert_eq!(exit, Some(NativeExit::Continue));
            cpu.pc
        };
        let pcs: Vec<u64> = [1, 0, 1, 0, 1].into_iter().map(&mut run).collect();
        assert_eq!(pcs, [0x3010, 0x3020, 0x3010, 0x3020, 0x3010]);
        assert_eq!(ctx.ic_misses.load(Ordering::Relaxed), 2, "one miss per exit, its first run");
        store.unlink(entry);
        store.retire(code);
    }

    /// In a chain of host FP ops only the first is pinned to its guest
    /// block (ORed with a zero loaded there, see `Tr::pin_f`): the others
    /// take an operand that is the previous op's result, which ties them
    /// to the block already. Three ops, one `bor` of a float.
    #[test]
    fn a_chain_of_fp_ops_is_pinned_once() {
        let store = store();
        let cell = store.new_cell(0x1000);
        let counter = AtomicU32::new(0);
        let mut c = store.compiler();
        let text = "block 0x1000..0x1010 {\n mark 0x1000 4\n t0 = get f1\n t1 = get f2\n t2 = fmul.d.rne t0, t1\n \
                    set f1, t2\n mark 0x1004 4\n t3 = fadd.d.rne t2, t1\n set f3, t3\n mark 0x1008 4\n \
                    t4 = fmul.d.rne t3, t3\n set f4, t4\n mark 0x100c 4\n t5 = get x6\n \
                    t6 = const 0xffffffffffffffff\n t7 = add t5, t6\n set x6, t7\n branch t7, 0x1000, 0x1010\n}";
        optimized(&store, &mut c, text, &mut One(&cell, &counter));
        let func = &c.cl.func;
        let ops = |op: Opcode| {
            func.layout
                .blocks()
                .flat_map(|b| func.layout.block_insts(b))
                .filter(|&i| func.dfg.insts[i].opcode() == op && func.dfg.ctrl_typevar(i).is_float())
                .count()
        };
        assert_eq!((ops(Opcode::Fmul), ops(Opcode::Fadd)), (2, 1), "the host ops:\n{}", func.display());
        assert_eq!(ops(Opcode::Bor), 1, "pins:\n{}", func.display());
    }

    /// A block in the middle of a loop is no way into its region (it would
    /// give the loop a second way in, and Cranelift and regalloc2 no loop
    /// to see); a loop's head and a block on no loop are.
    #[test]
    fn a_region_is_entered_only_where_its_loops_keep_one_way_in() {
        let block = |pc: u64, term: &str| {
            format!("block {pc:#x}..{:#x} {{\n mark {pc:#x} 4\n t0 = get x6\n {term}\n}}\n", pc + 4)
        };
        let entries = |text: &str| {
            let blocks = parse_blocks(text).expect("parses");
            store().region_entries(&blocks, Flavor { optimize: true, hot_at: None, checked: false })
        };
        // Entered at an inner loop's head (0x1000), with the outer loop
        // around it (0x1010 its latch, 0x1020 its head) and the way out.
        let nest = [
            block(0x1000, "branch t0, 0x1000, 0x1010"),
            block(0x1010, "branch t0, 0x1020, 0x1030"),
            block(0x1020, "jump 0x1000"),
            block(0x1030, "jump 0x2000"),
        ]
        .concat();
        assert_eq!(entries(&nest), vec![0x1030]);
        // Entered before a loop: its head (0x1010) is a way in, its body
        // (0x1020) is not.
        let before = [
            block(0x1000, "jump 0x1010"),
            block(0x1010, "branch t0, 0x1020, 0x1030"),
            block(0x1020, "jump 0x1010"),
            block(0x1030, "jump 0x2000"),
        ]
        .concat();
        assert_eq!(entries(&before), vec![0x1010, 0x1030]);
        // A loop that calls a function outside the region: the guest comes
        // back into the loop at the call's continuation (0x1004) through
        // its cell, so that block is a way in (the loop closes outside).
        let call = "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = const 0x1004\n set x1, t0\n jump 0x3000\n}\n";
        let calling = [call, &block(0x1004, "branch t0, 0x1000, 0x1010"), &block(0x1010, "jump 0x2000")].concat();
        assert_eq!(entries(&calling), vec![0x1004, 0x1010]);
        // The compiled code's graph has no way into the nest's loops but
        // their heads: every edge back to a block at or before its source
        // in reverse postorder goes to a block that dominates the source
        // (the switch on the entry pc leads to 0x1000 and 0x1030 only).
        let c = optimized_ir(&nest);
        let func = &c.cl.func;
        let cfg = ControlFlowGraph::with_function(func);
        let dt = DominatorTree::with_function(func, &cfg);
        let rpo: Vec<_> = dt.cfg_rpo().copied().collect();
        let pos = |b| rpo.iter().position(|&x| x == b).expect("reachable");
        let mut back_edges = 0;
        for &b in &rpo {
            for s in cfg.succ_iter(b).filter(|&s| pos(s) <= pos(b)) {
                back_edges += 1;
                assert!(
                    dt.block_dominates(s, b),
                    "an edge {b} -> {s} into a loop that {s} does not head:\n{}",
                    func.display()
                );
            }
        }
        assert!(back_edges >= 2, "the two loops' back edges");
        // With region entries off, none.
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let off = CodeStore::new(&mem, crate::JitOptions { region_entries: false, ..crate::JitOptions::default() })
            .expect("store");
        let blocks = parse_blocks(&before).expect("parses");
        assert!(off.region_entries(&blocks, Flavor { optimize: true, hot_at: None, checked: false }).is_empty());
    }
}
