//! [`Vm`]: what every guest thread shares — the address space, the
//! translation table, the code store, the pass pipeline, the statistics and
//! the registry of vCPUs (to stop them at safe points).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockWriteGuard, Weak};
use std::time::{Duration, Instant};

use ferrovm_interp::{Lowered, lower};
use ferrovm_ir::passes::PassManager;
use ferrovm_ir::{Block, Cpu};
use ferrovm_jit::abi::JitContext;
use ferrovm_jit::{CodeStore, GuestSymbols};
use ferrovm_mem::{Access, AddressSpace, Fault, FaultKind, PAGE_SIZE};
use ferrovm_riscv::lift::{LiftError, lift_block_isa};

use crate::config::{EngineConfig, EngineMode, EvictionPolicy};
use crate::cost::{CostModel, Features, PRIOR_INTERP_NS_PER_INSN, PRIOR_NATIVE_NS_PER_INSN};
use crate::hotspot::{Clock, ColdReach, Threshold};
use crate::queue::CompileQueue;
use crate::report::{Distribution, Hot, Report, hit_rate};
use crate::stats::{Counters, Stats};
use crate::table::{PageIndex, Pages, Record, Table};
use crate::vcpu::Vcpu;
use crate::warn;
use crate::workers::{Maintenance, Pool};

/// Bits of a vCPU's exit request (its [`JitContext::exit_request`]) that
/// the engine uses; the JIT's own bit is
/// [`ferrovm_jit::abi::EXIT_CODE_WRITTEN`].
pub(crate) mod request {
    /// Return [`crate::Exit::Interrupted`] at the next block boundary.
    pub(crate) const INTERRUPT: u8 = 1;
    /// Pass a safe point ([`super::Vm::synchronize`]) and go on.
    pub(crate) const SYNC: u8 = 2;
    /// Stop at a safe point while the VM is paused ([`super::Vm::prepare_fork`]).
    pub(crate) const PAUSE: u8 = 4;
    /// Look at the debug state ([`crate::debug`]): something was armed.
    pub(crate) const DEBUG: u8 = 8;
    /// The profiler's timer fired on the vCPU's thread: take a sample at
    /// the next block boundary ([`crate::profile`]).
    pub(crate) const SAMPLE: u8 = 16;
}

/// Why a translation is compiled with inline memory checks from now on
/// ([`Vm::demote_to_checked`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Demotion {
    /// A trap-mode store of it wrote translated code.
    CodeWriter,
    /// A trap-mode access of it faulted while the guest sees its faults.
    Faulted,
}

/// What other threads see of a vCPU.
#[derive(Debug)]
pub(crate) struct VcpuShared {
    /// Its context: other threads set bits of `exit_request`.
    pub(crate) ctx: Arc<JitContext>,
    /// Inside [`Vcpu::run`] (running guest code, or about to).
    pub(crate) active: AtomicBool,
    /// Safe points passed at another thread's request.
    pub(crate) safepoints: AtomicU64,
    /// Its statistics.
    pub(crate) counters: Counters,
    /// A compile worker, not a guest thread.
    pub(crate) worker: bool,
}

/// A handle to ask a vCPU, from any thread, to return
/// [`crate::Exit::Interrupted`] at its next block boundary (or, if it is not
/// running guest code, as soon as it runs again).
#[derive(Debug, Clone)]
pub struct InterruptHandle {
    shared: Arc<VcpuShared>,
}

impl InterruptHandle {
    /// Asks the vCPU to stop.
    pub fn interrupt(&self) {
        self.shared.ctx.exit_request.fetch_or(request::INTERRUPT, Ordering::Release);
    }

    /// Withdraws an interrupt that is pending (asked and not yet
    /// returned), as if it had not been asked.
    pub fn cancel(&self) {
        self.shared.ctx.exit_request.fetch_and(!request::INTERRUPT, Ordering::AcqRel);
    }

    /// Whether an interrupt is pending (asked and not yet returned).
    pub fn is_pending(&self) -> bool {
        self.shared.ctx.exit_request.load(Ordering::Acquire) & request::INTERRUPT != 0
    }
}

/// One guest address space's virtual machine: shared by every guest thread
/// (`Send + Sync`), each of which runs on its own [`Vcpu`].
///
/// ```
/// use ferrovm_engine::{EngineConfig, Exit, Vm};
/// use ferrovm_ir::Cpu;
/// use ferrovm_mem::{AddressSpace, Perms};
/// use std::sync::Arc;
///
/// let mem = Arc::new(AddressSpace::new().unwrap());
/// mem.map(0x10000, 0x1000, Perms::RWX).unwrap();
/// // addi a0, a0, 1 ; ecall
/// mem.write_bytes(0x10000, &[0x13, 0x05, 0x15, 0x00, 0x73, 0x00, 0x00, 0x00]).unwrap();
/// let vm = Vm::new(mem, EngineConfig::default());
/// let threads: Vec<_> = (0..4u64)
///     .map(|i| {
///         let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
///         vcpu.cpu.regs[10] = i;
///         std::thread::spawn(move || (vcpu.run(), vcpu.cpu.regs[10]))
///     })
///     .collect();
/// for (i, t) in threads.into_iter().enumerate() {
///     assert_eq!(t.join().unwrap(), (Exit::Ecall, i as u64 + 1));
/// }
/// assert_eq!(vm.stats().vcpus, 4);
/// ```
pub struct Vm {
    pub(crate) mem: Arc<AddressSpace>,
    pub(crate) config: EngineConfig,
    /// The mode in force ([`EngineMode::Interp`] if the JIT could not be
    /// set up).
    pub(crate) mode: EngineMode,
    passes: RwLock<PassManager>,
    pub(crate) table: Table,
    pub(crate) store: Option<CodeStore>,
    /// Picks what leaves the code cache.
    policy: Mutex<Box<dyn EvictionPolicy>>,
    /// Records with compiled code (and some that lost it since), for
    /// maintenance.
    compiled: Mutex<Vec<Arc<Record>>>,
    /// Where the optimized regions exit.
    pub(crate) exits: Mutex<crate::native::RegionExits>,
    /// Guest pc → the entry of the latest optimized region that holds its
    /// block (not as its entry) and when that region was published: a
    /// hot-code request for it enters that region there ([`Vm::alias`]),
    /// or, made before then, is dropped (see [`Vm::serve`]).
    pub(crate) covered: Mutex<HashMap<u64, (u64, Instant)>>,
    /// Predicts compile costs and savings.
    model: Mutex<CostModel>,
    /// The hotspot detector's clock and adaptive threshold.
    pub(crate) clock: Clock,
    pub(crate) threshold: Threshold,
    /// Whether cold blocks are interpreted first ([`crate::ColdCode`]).
    pub(crate) cold_reach: ColdReach,
    /// The window maintenance last ran in.
    pub(crate) tick: AtomicU32,
    pub(crate) maintenance: Mutex<Maintenance>,
    /// Compile requests, for the workers.
    pub(crate) queue: Arc<CompileQueue>,
    pub(crate) pool: Mutex<Pool>,
    /// Held (shared) by a worker while it serves a request; a host fork
    /// takes it exclusively.
    pub(crate) fork_gate: RwLock<()>,
    /// Every compile's duration, and every served request's wait in the
    /// queue, for the report.
    compile_log: Mutex<Vec<Duration>>,
    wait_log: Mutex<Vec<Duration>>,
    /// Most bytes of compiled code live at once.
    code_peak: AtomicU64,
    /// What compiling an optimized region has cost, ns: an exponentially
    /// weighted mean of the measured compiles (0 before the first).
    region_compile_ns: AtomicU64,
    /// Profile samples: translation entry pc → times a vCPU was found in it.
    pub(crate) profile: Mutex<HashMap<u64, u64>>,
    vcpus: Mutex<Vec<Arc<VcpuShared>>>,
    /// Statistics of vCPUs that are gone, and of work done outside any.
    finished: Mutex<Stats>,
    /// Counts done by whichever thread (invalidations, synchronizations).
    pub(crate) shared_counters: Counters,
    /// Set while a thread forks the host process: every other vCPU waits
    /// at a safe point, holding nothing.
    pub(crate) paused: AtomicBool,
    /// Stop addresses and watched ranges (see [`crate::debug`]).
    pub(crate) debug: crate::debug::Debug,
    /// The guest's symbols, for logs and the profiler (see
    /// [`Vm::set_symbols`]).
    symbols: std::sync::OnceLock<Arc<dyn GuestSymbols>>,
    /// The guest profiler, with [`EngineConfig::profile`].
    pub(crate) profiler: Option<crate::profile::Profiler>,
    /// The CPU clocks of the compile workers running, and the CPU time of
    /// those that ended (see [`Vm::guest_cpu_time`]).
    pub(crate) worker_clocks: Mutex<crate::workers::WorkerClocks>,
    /// The largest guest CPU time reported so far, in ns: it never goes
    /// back.
    guest_cpu_floor_ns: AtomicU64,
}

impl Drop for Vm {
    fn drop(&mut self) {
        // Workers hold only a weak reference: they end.
        self.queue.shutdown();
        crate::fault::remove_space(&self.mem);
        if let Some(s) = &self.store {
            crate::fault::remove_code_range(s.code_range().0);
        }
    }
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm").field("mode", &self.mode).field("records", &self.table.len()).finish_non_exhaustive()
    }
}

impl Vm {
    /// A VM over guest memory `mem`. If the JIT cannot be set up on this
    /// host, it degrades to the interpreter (with a warning; see
    /// [`Vm::mode`]).
    pub fn new(mem: Arc<AddressSpace>, mut config: EngineConfig) -> Arc<Vm> {
        if config.trace.any() || config.block_exits {
            // Per-block events and stops: every block goes back to the
            // dispatcher, which emits them (the run loop decides this
            // once, here).
            config.jit.chaining = false;
            config.jit.inline_cache = false;
            config.jit.block_exits = true;
        }
        // Compiled vector code is specialized to the run's VLEN.
        config.jit.vlen = config.vlen;
        let profiler = config.profile.map(|p| crate::profile::Profiler::new(p.hz));
        let passes = if config.optimize { PassManager::default_pipeline() } else { PassManager::empty() };
        let mut mode = config.mode;
        let store = if mode.compiles() {
            match CodeStore::new(&mem, config.jit.clone()) {
                Ok(s) => Some(s),
                Err(e) => {
                    // Degrade, don't die: without a JIT every block is
                    // interpreted.
                    warn(&format!("JIT unavailable, interpreting: {e}"));
                    mode = EngineMode::Interp;
                    None
                }
            }
        } else {
            None
        };
        let unlinked = store.as_ref().map(CodeStore::unlinked).unwrap_or_default();
        crate::fault::install();
        crate::fault::add_space(&mem);
        if let Some(s) = &store {
            let (start, end) = s.code_range();
            crate::fault::add_code_range(start, end);
        }
        Arc::new_cyclic(|me: &Weak<Vm>| {
            let me = Weak::clone(me);
            // Unmapping memory waits until no vCPU can be between the check
            // of an access and the access (see `synchronize`).
            mem.add_unmap_barrier(Box::new(move || match me.upgrade() {
                Some(vm) => {
                    vm.synchronize();
                    true
                }
                None => false,
            }));
            Vm {
                mem,
                mode,
                passes: RwLock::new(passes),
                table: Table::new(unlinked, config.hotspot.min_runs.get()),
                store,
                policy: Mutex::new(config.eviction.build(0x5eed)),
                compiled: Mutex::new(Vec::new()),
                exits: Mutex::new(Default::default()),
                covered: Mutex::new(HashMap::new()),
                model: Mutex::new(CostModel::new(config.cost_model)),
                clock: Clock::new(config.hotspot.window),
                threshold: Threshold::new(&config.hotspot),
                cold_reach: ColdReach::default(),
                tick: AtomicU32::new(0),
                maintenance: Mutex::new(Maintenance::default()),
                queue: Arc::new(CompileQueue::default()),
                pool: Mutex::new(Pool::default()),
                fork_gate: RwLock::new(()),
                compile_log: Mutex::new(Vec::new()),
                wait_log: Mutex::new(Vec::new()),
                code_peak: AtomicU64::new(0),
                region_compile_ns: AtomicU64::new(0),
                profile: Mutex::new(HashMap::new()),
                config,
                vcpus: Mutex::new(Vec::new()),
                finished: Mutex::new(Stats::default()),
                shared_counters: Counters::default(),
                paused: AtomicBool::new(false),
                debug: crate::debug::Debug::default(),
                symbols: std::sync::OnceLock::new(),
                profiler,
                worker_clocks: Mutex::new(crate::workers::WorkerClocks::default()),
                guest_cpu_floor_ns: AtomicU64::new(0),
            }
        })
    }

    /// CPU time of the guest's threads: the host process's CPU time less
    /// what the compile workers used (`CLOCK_PROCESS_CPUTIME_ID` as the
    /// guest sees it: a program that sleeps must not see the compiler
    /// work). The workers' clocks are read first, so the difference can
    /// only be a little high, never low; it never goes back.
    pub fn guest_cpu_time(&self) -> Duration {
        let clocks = self.worker_clocks.lock().unwrap_or_else(PoisonError::into_inner);
        let workers = clocks.total_ns();
        let host = crate::workers::cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID);
        drop(clocks);
        let guest = host.saturating_sub(workers);
        let floor = self.guest_cpu_floor_ns.fetch_max(guest, Ordering::Relaxed);
        Duration::from_nanos(guest.max(floor))
    }

    /// Gives the VM the guest's symbols (the Linux layer does, from the
    /// program's and its libraries' symbol tables): logs, the profiler and
    /// the perf map name guest code by them. Only the first call counts.
    pub fn set_symbols(&self, symbols: Arc<dyn GuestSymbols>) {
        if let Some(store) = &self.store {
            store.set_symbols(Arc::clone(&symbols));
        }
        let _ = self.symbols.set(symbols);
    }

    /// The guest's symbols, if given.
    pub fn symbols(&self) -> Option<&dyn GuestSymbols> {
        self.symbols.get().map(|s| &**s)
    }

    /// `name+0xoff` of guest `pc` (or `0xPC` without symbols).
    pub fn describe(&self, pc: u64) -> String {
        ferrovm_jit::describe_pc(self.symbols(), pc)
    }

    /// The profile gathered so far, with [`EngineConfig::profile`]: every
    /// sampled guest call stack (leaf first) and how often it was seen.
    pub fn profile(&self) -> Option<crate::profile::Profile> {
        self.profiler.as_ref().map(crate::profile::Profiler::snapshot)
    }

    /// A new vCPU (a guest thread) starting from `cpu`.
    pub fn vcpu(self: &Arc<Self>, cpu: Cpu) -> Vcpu {
        let jit = self.store.as_ref().map(CodeStore::thread);
        let ctx = match &jit {
            Some(t) => Arc::clone(t.context()),
            // The interpreter polls the same flag.
            None => Arc::new(JitContext::new(&self.mem, std::ptr::null())),
        };
        let shared = Arc::new(VcpuShared {
            ctx,
            active: AtomicBool::new(false),
            safepoints: AtomicU64::new(0),
            counters: Counters::default(),
            worker: false,
        });
        Counters::add(&shared.counters.vcpus, 1);
        self.lock_vcpus().push(Arc::clone(&shared));
        Vcpu::new(Arc::clone(self), cpu, shared, jit)
    }

    /// Registers a compile worker (it takes part in `synchronize` and
    /// `prepare_fork` like a vCPU, and counts in the statistics).
    pub(crate) fn register_worker(&self) -> Arc<VcpuShared> {
        let ctx = Arc::new(JitContext::new(&self.mem, std::ptr::null()));
        let shared = Arc::new(VcpuShared {
            ctx,
            active: AtomicBool::new(false),
            safepoints: AtomicU64::new(0),
            counters: Counters::default(),
            worker: true,
        });
        self.lock_vcpus().push(Arc::clone(&shared));
        shared
    }

    pub(crate) fn lock_policy(&self) -> MutexGuard<'_, Box<dyn EvictionPolicy>> {
        self.policy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_model(&self) -> MutexGuard<'_, CostModel> {
        self.model.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_compiled(&self) -> MutexGuard<'_, Vec<Arc<Record>>> {
        self.compiled.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a compile's duration.
    pub(crate) fn log_compile(&self, took: Duration) {
        self.compile_log.lock().unwrap_or_else(PoisonError::into_inner).push(took);
    }

    /// Notes what compiling an optimized region took.
    pub(crate) fn observe_region_compile(&self, took: Duration) {
        // Load and store: a lost sample between two workers only shifts
        // the mean a little.
        let old = self.region_compile_ns.load(Ordering::Relaxed);
        let took = took.as_nanos().min(u128::from(u64::MAX / 2)) as u64;
        let new = if old == 0 { took } else { old - old / REGION_COST_WEIGHT + took / REGION_COST_WEIGHT };
        self.region_compile_ns.store(new.max(1), Ordering::Relaxed);
    }

    /// What compiling the optimized region grown from a block of features
    /// `f` is expected to cost, ns: what the cost model predicts for the
    /// block, or what regions have cost on average, whichever is more. The
    /// model sees only the block, while the region holds the hot loop
    /// around it (up to 64 blocks, and Cranelift's time grows faster than
    /// its size: `bzip2 -9`'s regions took 120 ms each where the model
    /// predicted well under 1 ms for their entry blocks).
    pub(crate) fn region_cost_ns(&self, f: Option<&Features>) -> f64 {
        let predicted = f.map_or(0.0, |f| self.lock_model().predict_compile_us(f)) * 1000.0;
        predicted.max(self.region_compile_ns.load(Ordering::Relaxed) as f64)
    }

    /// Notes how long a served request waited in the queue.
    pub(crate) fn log_wait(&self, waited: Duration) {
        self.wait_log.lock().unwrap_or_else(PoisonError::into_inner).push(waited);
    }

    /// The interpreter's and compiled code's time per guest instruction
    /// (ns): the cost model's measurements, weighted against its priors
    /// by [`crate::HotspotConfig::time_weight`].
    pub(crate) fn rates(&self) -> (f64, f64) {
        let w = self.config.hotspot.time_weight;
        let model = self.lock_model();
        let mix = |m: f64, p: f64| w * m + (1.0 - w) * p;
        (
            mix(model.interp_ns_per_insn(), PRIOR_INTERP_NS_PER_INSN),
            mix(model.native_ns_per_insn(), PRIOR_NATIVE_NS_PER_INSN),
        )
    }

    /// Feeds sampled interpreter and compiled-code timings to the model.
    pub(crate) fn observe_speeds(&self, interp: (u64, u64), native: (u64, u64)) {
        let mut model = self.lock_model();
        if interp.0 > 0 {
            model.observe_interp(interp.0, interp.1);
        }
        if native.0 > 0 {
            model.observe_native(native.0, native.1);
        }
    }

    /// Notes the bytes of compiled code live now (for the peak).
    pub(crate) fn note_code_bytes(&self) {
        if let Some(store) = &self.store {
            self.code_peak.fetch_max(store.code_usage().0 as u64, Ordering::Relaxed);
        }
    }

    /// Called when a vCPU goes away: its statistics stay in the totals.
    pub(crate) fn retire_vcpu(&self, shared: &Arc<VcpuShared>) {
        self.lock_vcpus().retain(|v| !Arc::ptr_eq(v, shared));
        *self.finished.lock().unwrap_or_else(PoisonError::into_inner) += &shared.counters.get();
    }

    fn lock_vcpus(&self) -> MutexGuard<'_, Vec<Arc<VcpuShared>>> {
        self.vcpus.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A handle that interrupts the vCPU behind `shared`.
    pub(crate) fn interrupt_handle(shared: &Arc<VcpuShared>) -> InterruptHandle {
        InterruptHandle { shared: Arc::clone(shared) }
    }

    /// Guest memory.
    pub fn memory(&self) -> &Arc<AddressSpace> {
        &self.mem
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The mode in force ([`EngineMode::Interp`] if the JIT could not be
    /// set up on this host).
    pub fn mode(&self) -> EngineMode {
        self.mode
    }

    /// The pass pipeline, to add user passes (affects blocks translated from
    /// now on; call [`Vm::flush`] to re-translate existing ones).
    pub fn passes_mut(&self) -> RwLockWriteGuard<'_, PassManager> {
        self.passes.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Statistics so far, summed over every vCPU (running ones as of now,
    /// counted by their own threads).
    pub fn stats(&self) -> Stats {
        let mut total = self.finished.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for v in self.lock_vcpus().iter() {
            total += &v.counters.get();
        }
        total += &self.shared_counters.get();
        total
    }

    /// The performance report: the statistics with the distributions,
    /// code-cache, cost-model and profile figures that go with them.
    pub fn report(&self) -> Report {
        let stats = self.stats();
        let lock = |m: &Mutex<Vec<Duration>>| m.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let (live, capacity) = self.store.as_ref().map_or((0, 0), CodeStore::code_usage);
        let model_error = self.lock_model().error();
        let (interp, native) = self.rates();
        let lookups = stats.blocks_executed + stats.native_entries;
        let profile = self.profile.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let samples: u64 = profile.values().sum();
        let mut hottest: Vec<Hot> = profile
            .into_iter()
            .map(|(pc, n)| Hot { pc, samples: n, share: n as f64 / samples.max(1) as f64 })
            .collect();
        hottest.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.pc.cmp(&b.pc)));
        hottest.truncate(10);
        Report {
            mode: format!("{:?}", self.mode),
            eviction: self.lock_policy().name().to_string(),
            cost_model: self.config.cost_model.to_string(),
            compile_threads: self.worker_count() as u64,
            threshold_ratio: self.threshold.get(),
            compile: Distribution::of(&mut lock(&self.compile_log)),
            queue_wait: Distribution::of(&mut lock(&self.wait_log)),
            code_bytes_live: live as u64,
            code_bytes_peak: self.code_peak.load(Ordering::Relaxed).max(live as u64),
            code_capacity: capacity as u64,
            lookup_hit_rate: hit_rate(stats.lookup_misses, lookups),
            ras_hit_rate: hit_rate(stats.ras_misses, stats.returns),
            // Returns the stack missed go on to the inline cache too.
            ic_hit_rate: hit_rate(
                stats.ic_misses,
                stats.indirect_jumps.saturating_sub(stats.returns.saturating_sub(stats.ras_misses)),
            ),
            jump_cache_hit_rate: hit_rate(stats.jump_cache_misses, stats.ic_misses),
            model_samples: model_error.samples,
            model_error_us: model_error.mean_abs_us,
            model_error_rel: model_error.mean_rel,
            interp_ns_per_insn: interp,
            native_ns_per_insn: native,
            baseline_compile_us: self.lock_model().baseline_compile_ns() / 1e3,
            profile_samples: samples,
            hottest,
            stats,
        }
    }

    /// Sets request bits `bits` of every vCPU (they look at them at their
    /// next block boundary).
    pub(crate) fn request_all(&self, bits: u8) {
        for v in self.lock_vcpus().iter().filter(|v| !v.worker) {
            v.ctx.exit_request.fetch_or(bits, Ordering::AcqRel);
        }
    }

    /// Samples where each running vCPU is (the translation it entered
    /// last), for the report's hottest code.
    pub(crate) fn sample_profile(&self) {
        // Baseline code notes the blocks it runs only when asked to: the
        // samples would name the wrong code otherwise.
        if self.store.as_ref().is_some_and(|s| !s.options().track_current) {
            return;
        }
        let vcpus: Vec<Arc<VcpuShared>> = self.lock_vcpus().clone();
        let mut profile = self.profile.lock().unwrap_or_else(PoisonError::into_inner);
        for v in vcpus.iter().filter(|v| !v.worker && v.active.load(Ordering::Relaxed)) {
            let pc = v.ctx.current.load(Ordering::Relaxed);
            if pc != 0 {
                *profile.entry(pc).or_default() += 1;
            }
        }
    }

    /// From now on the guest may see its registers at a memory fault (it
    /// installed a handler for `SIGSEGV` or `SIGBUS`, or a debugger is
    /// attached): compiled code must make them precise there. Under
    /// [`ferrovm_jit::MemAccess::Trap`] that means code that stores guest
    /// registers as it sets them ([`CodeStore::require_precise`]): what
    /// exists is dropped, and this returns once no vCPU runs it. Cheap when
    /// nothing changes.
    pub fn require_precise_faults(&self) {
        if self.store.as_ref().is_some_and(CodeStore::require_precise) {
            tracing::info!(target: crate::log::target::CACHE, "precise faults needed: trap-mode code dropped");
            self.flush();
            self.synchronize();
        }
    }

    /// The trap-mode access at host pc `at` wrote translated code (a JIT
    /// writing its code buffer, most likely again and again), or faulted
    /// while the guest sees its faults (a program that faults on purpose,
    /// most likely again and again): its translation is dropped and
    /// compiled with inline memory checks from then on, so those accesses
    /// take the checked slow path instead of a host fault each.
    pub(crate) fn demote_to_checked(&self, at: usize, why: Demotion) {
        let Some(store) = &self.store else { return };
        let Some(r) = store.translation_at(at).and_then(|pc| self.table.get(pc)) else { return };
        if r.checked_memory.swap(true, Ordering::Relaxed) {
            return;
        }
        let mut index = self.table.lock_pages();
        self.table.code_changed(&mut index, None);
        let n = self.drop_record(&r);
        drop(index);
        self.table.bump_generation();
        self.shared_counters.invalidations.fetch_add(n, Ordering::Relaxed);
        let (count, what) = match why {
            Demotion::CodeWriter => (&self.shared_counters.code_writers, "wrote translated code"),
            Demotion::Faulted => (&self.shared_counters.faulting_code, "faulted with a handler installed"),
        };
        count.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            target: crate::log::target::CACHE,
            "{:#x} {} {what}: compiled with inline checks from now on",
            r.pc(),
            self.describe(r.pc())
        );
    }

    /// Drops every translation.
    pub fn flush(&self) {
        let mut index = self.table.lock_pages();
        self.table.code_changed(&mut index, None);
        index.clear();
        let mut n = 0;
        for r in self.table.all() {
            n += self.drop_record(&r);
        }
        drop(index);
        self.table.bump_generation();
        tracing::info!(target: crate::log::target::CACHE, "flush: {n} translation(s) dropped");
        self.shared_counters.invalidations.fetch_add(n, Ordering::Relaxed);
        self.shared_counters.flushes.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops translations of code in `[addr, addr + len)` and clears the
    /// code marks of those pages.
    pub fn invalidate(&self, addr: u64, len: u64) {
        let end = addr.saturating_add(len);
        let pages: Pages = (addr & !(PAGE_SIZE - 1)..end).step_by(PAGE_SIZE as usize).collect();
        self.drop_pages(&pages);
        self.mem.clear_code(addr, len);
    }

    /// Drops the translations whose code pages were written, unmapped or
    /// made non-executable since the last call (by any thread). When it
    /// returns, no translation made from the old contents of those pages
    /// can be entered any more (a vCPU already running one finishes its
    /// current block or loop iteration).
    pub fn sync_code(&self) {
        // Holding the page index across taking and dropping: a thread
        // that finds nothing to take (another took it) waits here until
        // the drop is done, so after a `fence.i` its own stores are seen.
        let mut index = self.table.lock_pages();
        let pages = self.mem.take_dirty_code_pages();
        if pages.is_empty() {
            return;
        }
        self.table.code_changed(&mut index, Some(&pages));
        let n = self.drop_pages_locked(&mut index, &pages);
        drop(index);
        self.table.bump_generation();
        self.shared_counters.invalidations.fetch_add(n, Ordering::Relaxed);
    }

    /// `fence.i` (or `riscv_flush_icache`): what [`Self::sync_code`] does,
    /// and the translations of volatile code pages
    /// ([`ferrovm_mem::page_flags::VOLATILE`]), which stores may have
    /// changed without notice, are dropped too.
    pub fn fence_i(&self) {
        let pages = self.mem.take_volatile_code_pages();
        if !pages.is_empty() {
            self.drop_pages(&pages);
        }
        self.sync_code();
    }

    fn drop_pages(&self, pages: &[u64]) {
        let mut index = self.table.lock_pages();
        self.table.code_changed(&mut index, Some(pages));
        let n = self.drop_pages_locked(&mut index, pages);
        drop(index);
        self.table.bump_generation();
        self.shared_counters.invalidations.fetch_add(n, Ordering::Relaxed);
    }

    fn drop_pages_locked(&self, index: &mut PageIndex, pages: &[u64]) -> u64 {
        let mut n = 0;
        for page in pages {
            let mut dropped = Vec::new();
            for pc in index.take(*page) {
                if let Some(r) = self.table.get(pc) {
                    let k = self.drop_record(&r);
                    n += k;
                    if k > 0 {
                        dropped.push(pc);
                    }
                }
            }
            if !dropped.is_empty() {
                tracing::info!(
                    target: crate::log::target::CACHE,
                    "invalidate: page {page:#x} changed, {} translation(s) dropped: {}",
                    dropped.len(),
                    dropped.iter().map(|pc| self.describe(*pc)).collect::<Vec<_>>().join(", ")
                );
            }
        }
        n
    }

    /// Drops every translation of `r`; how many there were.
    fn drop_record(&self, r: &Record) -> u64 {
        let mut st = r.state();
        r.version.fetch_add(1, Ordering::AcqRel);
        let mut n = u64::from(st.block.take().is_some()) + u64::from(st.step.take().is_some());
        st.features = None;
        st.interpreted_first = false;
        let native = st.native.take();
        if let Some(store) = &self.store {
            if st.alias().is_some() {
                st.set_alias(None);
                store.unlink(&r.cell);
            }
            self.unlink_aliases(r.pc(), &mut st, None);
        }
        st.set_heads(Box::default());
        drop(st);
        if let Some(native) = native {
            n += 1;
            if let Some(store) = &self.store {
                store.unlink(&r.cell);
                self.retire(store, native);
            }
            self.lock_policy().remove(r.pc());
        }
        r.optimized.store(false, Ordering::Relaxed);
        // New code counts its runs from the start.
        r.runs.store(0, Ordering::Relaxed);
        n
    }

    /// Retires `code` (its bytes are reused once no thread can be running
    /// it). No cell may lead to it any more: one left leading there would
    /// send a thread into freed, perhaps reused, code. Debug builds (every
    /// test) check that against every record.
    pub(crate) fn retire(&self, store: &ferrovm_jit::CodeStore, code: ferrovm_jit::NativeCode) {
        #[cfg(debug_assertions)]
        for r in self.table.all() {
            assert!(
                !ferrovm_jit::CodeStore::leads_to(&r.cell, &code),
                "code retired while the cell of {:#x} still leads to it",
                r.pc()
            );
        }
        store.retire(code);
    }

    /// The records whose cells lead into the region entered at `entry`
    /// (its state `st`, locked) leave it: each is linked to `to` if that
    /// code may be entered at its pc, otherwise unlinked (it runs as
    /// before it was hot and may be compiled again). Call before the
    /// region's old code is retired.
    pub(crate) fn unlink_aliases(
        &self,
        entry: u64,
        st: &mut crate::table::State,
        to: Option<&ferrovm_jit::NativeCode>,
    ) {
        let Some(store) = &self.store else { return };
        st.retain_aliases(|pc, heads| {
            let Some(x) = self.table.get(pc) else { return false };
            let mut xst = x.state();
            if xst.alias() != Some(entry) {
                return false;
            }
            match to {
                Some(code) if heads.contains(&pc) => {
                    store.link(&x.cell, code);
                    true
                }
                _ => {
                    Self::leave_region(store, &x, &mut xst);
                    false
                }
            }
        });
    }

    /// Record `x` (its state `xst`, locked), whose cell leads into another
    /// record's region, no longer does: it runs as before it was hot and
    /// may be compiled again.
    fn leave_region(store: &ferrovm_jit::CodeStore, x: &Record, xst: &mut crate::table::State) {
        xst.set_alias(None);
        store.unlink(&x.cell);
        x.optimized.store(false, Ordering::Relaxed);
        x.runs.store(0, Ordering::Relaxed);
    }

    /// Links the cell of `x` into the compiled hot region that holds its
    /// block, if there is one, instead of compiling a region of its own:
    /// loops are entered at more than one pc (a loop head, the return
    /// point of a call inside it, the blocks after a side exit), and
    /// without this each entry compiled the same loop again. With `also`,
    /// only into a region that holds that pc too. Whether `x` now leads to
    /// optimized code.
    pub(crate) fn alias(&self, counters: &Counters, x: &Arc<Record>, also: Option<u64>) -> bool {
        let Some(store) = &self.store else { return false };
        let entry = match self.covered.lock().unwrap_or_else(PoisonError::into_inner).get(&x.pc()) {
            Some(&(entry, _)) if entry != x.pc() => entry,
            _ => return false,
        };
        let Some(region) = self.table.get(entry) else { return false };
        // The page lock orders this with invalidation and publishing.
        let _index = self.table.lock_pages();
        let mut rst = region.state();
        let Some(code) = rst.native.as_ref() else { return false };
        if !region.optimized.load(Ordering::Relaxed) || !enters_inside(entry, rst.heads(), x.pc(), also) {
            return false;
        }
        let (old, followers) = {
            let mut xst = x.state();
            if xst.alias().is_some() {
                return false;
            }
            store.link(&x.cell, code);
            xst.set_alias(Some(entry));
            x.native_insns.store(region.native_insns.load(Ordering::Relaxed), Ordering::Relaxed);
            xst.set_heads(Box::default());
            (xst.native.take(), xst.take_aliases())
        };
        rst.add_alias(x.pc());
        x.optimized.store(true, Ordering::Relaxed);
        drop(rst);
        // `x`'s own code may be a region that other records entered
        // inside (its aliases): their cells lead into the code retired
        // below, so they leave it first (after the region's lock is
        // released: one of them may be that region's own record, whose
        // entry in the list is stale).
        for pc in followers {
            if let Some(y) = self.table.get(pc) {
                let mut yst = y.state();
                if yst.alias() == Some(x.pc()) {
                    Self::leave_region(store, &y, &mut yst);
                }
            }
        }
        if let Some(old) = old {
            self.retire(store, old);
            self.lock_policy().remove(x.pc());
        }
        Counters::add(&counters.region_aliases, 1);
        tracing::info!(
            target: crate::log::target::TIER,
            "alias {:#x} {}: entered inside the hot region at {entry:#x}",
            x.pc(),
            self.describe(x.pc())
        );
        true
    }

    /// Waits until every vCPU that is running guest code (other than the
    /// caller, which is not) has passed a safe point: finished the block or
    /// loop iteration it was in. Used before memory is released (an access
    /// checked against the old permissions has then completed) and before
    /// `riscv_flush_icache` returns (every thread then runs the new code).
    /// A vCPU blocked in a system call is not running guest code and is not
    /// waited for.
    pub fn synchronize(&self) {
        fence(Ordering::SeqCst);
        let vcpus: Vec<Arc<VcpuShared>> = self.lock_vcpus().clone();
        let mut waiting = Vec::new();
        for v in vcpus {
            if v.active.load(Ordering::SeqCst) {
                let seen = v.safepoints.load(Ordering::Acquire);
                v.ctx.exit_request.fetch_or(request::SYNC, Ordering::AcqRel);
                waiting.push((v, seen));
            }
        }
        if waiting.is_empty() {
            return;
        }
        self.shared_counters.synchronizations.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        for (v, seen) in waiting {
            let mut spins = 0u32;
            while v.active.load(Ordering::Acquire) && v.safepoints.load(Ordering::Acquire) == seen {
                spins += 1;
                if spins < 64 {
                    std::hint::spin_loop();
                } else if spins < 1024 {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(Duration::from_micros(50));
                }
                if started.elapsed() > Duration::from_secs(10) && spins.is_multiple_of(100_000) {
                    warn("a vCPU has not reached a safe point for 10 s");
                }
            }
        }
    }

    /// Prepares a host `fork` by the thread of `me` (not running guest
    /// code): every other vCPU stops at a safe point, where it holds no
    /// lock, and every lock of the VM and its address space is taken, so
    /// that the child, in which only the forking thread exists, finds
    /// everything consistent. Finish with [`ForkGuard::parent`] or
    /// [`ForkGuard::child`]. Fails (everything going on as before) only
    /// where the code cache cannot be made private to the process
    /// ([`CodeStore::lock_for_fork`]).
    pub fn prepare_fork<'a>(&'a self, me: &Vcpu) -> Result<ForkGuard<'a>, ferrovm_jit::Error> {
        // Compile workers finish what they are doing first (they may wait
        // for locks a running vCPU holds, so before pausing those).
        let gate = self.fork_gate.write().unwrap_or_else(PoisonError::into_inner);
        self.paused.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let others: Vec<Arc<VcpuShared>> =
            self.lock_vcpus().iter().filter(|v| !Arc::ptr_eq(v, &me.shared)).cloned().collect();
        for v in &others {
            v.ctx.exit_request.fetch_or(request::PAUSE, Ordering::AcqRel);
        }
        for v in &others {
            while v.active.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
        }
        // The order every other path takes them in: the page index before
        // a record's state before the code store.
        let pages = self.table.lock_pages();
        let store = match self.store.as_ref().map(CodeStore::lock_for_fork).transpose() {
            Ok(store) => store,
            Err(e) => {
                drop(pages);
                drop(gate);
                self.paused.store(false, Ordering::Release);
                return Err(e);
            }
        };
        let queue = self.queue.lock_for_fork();
        let passes = self.passes.write().unwrap_or_else(PoisonError::into_inner);
        let mem = self.mem.lock_for_fork();
        // Last: a leaf lock that compile workers take as they start and end.
        let clocks = self.worker_clocks.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(ForkGuard {
            vm: self,
            _pages: pages,
            _store: store,
            _queue: queue,
            _passes: passes,
            _mem: mem,
            clocks,
            _gate: gate,
        })
    }

    /// A vCPU at its safe point while the VM is paused: waits, counted as
    /// not running guest code (it holds nothing and checked nothing).
    #[cold]
    pub(crate) fn park(&self, shared: &VcpuShared) {
        shared.active.store(false, Ordering::Release);
        while self.paused.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_micros(50));
        }
        shared.active.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// In a forked child: only `keep` (the forking thread's vCPU) exists;
    /// forget the others, which did not survive the fork.
    fn after_fork_child(&self, keep: &Vcpu) {
        let mut vcpus = self.lock_vcpus();
        let (alive, gone): (Vec<_>, Vec<_>) = vcpus.drain(..).partition(|v| Arc::ptr_eq(v, &keep.shared));
        *vcpus = alive;
        drop(vcpus);
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        for v in gone {
            *finished += &v.counters.get();
        }
        drop(finished);
        if let (Some(store), Some(jit)) = (&self.store, &keep.jit) {
            store.after_fork_child(jit);
        }
        // The workers did not survive: what they had queued or were
        // compiling may be asked for again (new workers start then).
        self.queue.clear();
        self.guest_cpu_floor_ns.store(0, Ordering::Relaxed);
        // Only the queued ones: a store to each record would copy its page.
        self.table.for_each(|r| {
            if r.queued.load(Ordering::Relaxed) {
                r.queued.store(false, Ordering::Relaxed);
            }
        });
    }
}

/// The VM prepared for a host `fork` (see [`Vm::prepare_fork`]).
#[must_use = "finish with parent() or child()"]
pub struct ForkGuard<'a> {
    vm: &'a Vm,
    _pages: MutexGuard<'a, PageIndex>,
    _store: Option<MutexGuard<'a, ferrovm_jit::StoreState>>,
    _queue: MutexGuard<'a, crate::queue::Inner>,
    _passes: RwLockWriteGuard<'a, PassManager>,
    _mem: ferrovm_mem::ForkLock<'a>,
    /// Held across the fork: a worker that held it then would not exist
    /// in the child to let it go (the child deadlocked in `thr_vfork`).
    clocks: MutexGuard<'a, crate::workers::WorkerClocks>,
    _gate: RwLockWriteGuard<'a, ()>,
}

impl std::fmt::Debug for ForkGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForkGuard").finish_non_exhaustive()
    }
}

impl ForkGuard<'_> {
    /// In the parent after the fork (or when it failed): everything goes on.
    pub fn parent(self) {
        let vm = self.vm;
        drop(self);
        vm.paused.store(false, Ordering::Release);
    }

    /// In the child: only the forking thread's vCPU `keep` exists.
    pub fn child(mut self, keep: &Vcpu) {
        // A new process: its CPU time starts at zero, and its workers'
        // clocks are gone with the workers.
        *self.clocks = Default::default();
        let vm = self.vm;
        drop(self);
        vm.paused.store(false, Ordering::Release);
        vm.after_fork_child(keep);
    }
}

/// Weight of the newest sample in [`Vm::region_compile_ns`]'s mean, as
/// 1 / this: the mean follows the last dozen or so regions.
const REGION_COST_WEIGHT: u64 = 8;

/// Translation: lifting, passes, lowering.
impl Vm {
    /// Lifts and optimizes the block at `pc` (no caching). Exposed for tools
    /// and tests that want to see the IR.
    pub fn translate_ir(&self, pc: u64, max_insns: usize) -> Result<Block, LiftError> {
        self.translate_ir_with(pc, max_insns, true)
    }

    /// The guest's block at `pc` (at most `max_insns` instructions), lifted
    /// from guest memory for this VM's ISA: no passes, no logging.
    fn lift(&self, pc: u64, max_insns: usize) -> Result<Block, LiftError> {
        let mem = &self.mem;
        let mut fetch = |addr: u64| mem.fetch_u16(addr).ok();
        lift_block_isa(pc, max_insns, self.config.isa, &mut fetch)
    }

    /// [`Vm::translate_ir`], without the passes unless `optimize`.
    pub(crate) fn translate_ir_with(&self, pc: u64, max_insns: usize, optimize: bool) -> Result<Block, LiftError> {
        let mut block = self.lift(pc, max_insns)?;
        use crate::log::target;
        if tracing::enabled!(target: target::IN_ASM, tracing::Level::INFO) {
            tracing::info!(target: target::IN_ASM, "{}", self.in_asm(&block));
        }
        if tracing::enabled!(target: target::OP, tracing::Level::INFO) {
            tracing::info!(target: target::OP, "OP: {}\n{block}", self.describe(pc));
        }
        // `-d op_opt` shows every block after the passes, so with it on
        // they run on cold blocks too.
        if !optimize && !tracing::enabled!(target: target::OP_OPT, tracing::Level::INFO) {
            return Ok(block);
        }
        let passes = self.passes.read().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = passes.run(&mut block) {
            // A broken pass is a ferrovm bug; running the unoptimized block is
            // still correct, so degrade rather than die.
            warn(&e.to_string());
            block = self.lift(pc, max_insns)?;
        }
        if tracing::enabled!(target: target::OP_OPT, tracing::Level::INFO) {
            tracing::info!(target: target::OP_OPT, "OP after optimization: {}\n{block}", self.describe(pc));
        }
        Ok(block)
    }

    /// `-d in_asm`'s text for `block`: its guest instructions as QEMU
    /// prints them (address, encoding, disassembly).
    fn in_asm(&self, block: &Block) -> String {
        use std::fmt::Write as _;
        let mut out = format!("----------------\nIN: {}", self.describe(block.start));
        for op in &block.ops {
            if let ferrovm_ir::Op::Mark { pc, len } = *op {
                let word = if len == 2 { self.mem.fetch_u16(pc).map(u32::from) } else { self.mem.fetch_u32(pc) };
                let Ok(word) = word else { continue };
                let bits = if len == 2 { format!("{word:04x}") } else { format!("{word:08x}") };
                let text = ferrovm_riscv::disasm_word(word, pc);
                let (mnemonic, operands) = text.split_once('\t').unwrap_or((&text, ""));
                let _ = write!(out, "\n{pc:#018x}:  {bits:<16}  {mnemonic:<23} {operands}");
            }
        }
        out.push('\n');
        out
    }

    /// The cost model's features of `r`'s block: its interpreter block's,
    /// else (baseline code keeps none: most such blocks never have their
    /// region weighed) the block lifted again, kept from then on. `None`
    /// if it cannot be fetched now.
    pub(crate) fn features(&self, r: &Record) -> Option<Features> {
        if let Some(f) = r.state().features.as_deref().copied() {
            return Some(f);
        }
        let block = self.lift(r.pc(), self.config.max_block_insns.max(1)).ok()?;
        let f = Features::of(std::slice::from_ref(&block));
        r.state().features = Some(Box::new(f));
        Some(f)
    }

    /// The guest pages `block` came from (marking the last as code too).
    pub(crate) fn pages_of(&self, start: u64, end: u64) -> Pages {
        let first = start & !(PAGE_SIZE - 1);
        let last = end.saturating_sub(1).max(start) & !(PAGE_SIZE - 1);
        if last != first {
            self.mem.mark_code(last);
        }
        (first..=last).step_by(PAGE_SIZE as usize).collect()
    }

    /// Translates the block at `r.pc` for the interpreter and keeps it in
    /// `r` (unless its code changed meanwhile: then it is returned, to run
    /// once, but not kept).
    pub(crate) fn translate(&self, r: &Record, counters: &Counters) -> Result<Arc<Lowered>, LiftError> {
        self.translate_keeping(r, counters, false)
    }

    /// [`Vm::translate`]; with `first_runs`, for the first runs of a cold
    /// block that gets baseline code after them (see
    /// [`crate::table::State::interpreted_first`]).
    pub(crate) fn translate_keeping(
        &self,
        r: &Record,
        counters: &Counters,
        first_runs: bool,
    ) -> Result<Arc<Lowered>, LiftError> {
        let started = Instant::now();
        let pc = r.pc();
        let changes = self.table.code_changes.load(Ordering::Acquire);
        let mut limit = self.config.max_block_insns.max(1);
        // Mark the pages first, so a write racing with the read is noticed.
        self.mem.mark_code(pc);
        // A cold block interpreted before its baseline code is optimized
        // as that code would be (see `EngineConfig::optimize_cold`).
        let optimize = !first_runs || self.config.optimize_cold;
        let (lowered, features) = loop {
            let block = self.translate_ir_with(pc, limit, optimize)?;
            match lower(&block) {
                // The cost model's features weigh a block's region; a
                // block interpreted first gets baseline code before that
                // (whose features are taken when its region is weighed:
                // `Vm::features`), or never runs again.
                Ok(l) => break (l, (!first_runs).then(|| Features::of(std::slice::from_ref(&block)))),
                Err(_) if limit > 1 => {
                    limit /= 2;
                    Counters::add(&counters.split_blocks, 1);
                }
                Err(e) => break (unlowerable(pc, &e)?, Some(Features::default())),
            }
        };
        let pages = self.pages_of(lowered.start, lowered.end);
        Counters::add(&counters.blocks_translated, 1);
        Counters::add(&counters.insns_translated, u64::from(lowered.insns));
        Counters::add_time(&counters.translate_time, started.elapsed());
        let lowered = Arc::new(lowered);
        let mut index = self.table.lock_pages();
        if index.unchanged_since(&pages, changes) {
            index.add(pc, &pages);
            let mut st = r.state();
            st.block = Some(Arc::clone(&lowered));
            st.features = features.map(Box::new);
            st.interpreted_first = first_runs;
        }
        Ok(lowered)
    }

    /// The one-instruction block at `r.pc`, for a load or store compiled
    /// code handed back.
    #[cold]
    pub(crate) fn slow_step(&self, r: &Record) -> Result<Arc<Lowered>, LiftError> {
        if let Some(step) = &r.state().step {
            return Ok(Arc::clone(step));
        }
        let changes = self.table.code_changes.load(Ordering::Acquire);
        self.mem.mark_code(r.pc());
        let block = self.translate_ir(r.pc(), 1)?;
        let lowered = match lower(&block) {
            Ok(l) => l,
            Err(e) => unlowerable(r.pc(), &e)?,
        };
        let pages = self.pages_of(lowered.start, lowered.end);
        let step = Arc::new(lowered);
        let mut index = self.table.lock_pages();
        if index.unchanged_since(&pages, changes) {
            index.add(r.pc(), &pages);
            r.state().step = Some(Arc::clone(&step));
        }
        Ok(step)
    }

    /// The fault for an instruction fetch at `addr` that could not be lifted.
    pub(crate) fn fetch_fault(&self, addr: u64) -> Fault {
        // The permission table, not the region list: a running vCPU never
        // takes the address space's lock (an unmapping thread may hold it
        // while it waits for this vCPU to pass a safe point).
        let kind = if self.mem.page_mapped(addr) { FaultKind::Protection } else { FaultKind::Unmapped };
        Fault::new(addr, Access::Exec, kind)
    }
}

/// The block for a single instruction at `pc` that does not lower. One
/// instruction never needs 256 live values; keep the run loop total anyway
/// by treating it as illegal.
pub(crate) fn unlowerable(pc: u64, e: &impl std::fmt::Display) -> Result<Lowered, LiftError> {
    warn(&e.to_string());
    let block =
        ferrovm_ir::Builder::new(pc).finish(ferrovm_ir::Terminator::Illegal { pc, bits: 0 }, pc.wrapping_add(4));
    lower(&block).map_err(|_| LiftError::Fetch { addr: pc })
}

/// Whether code entering at `x` may enter the region at `entry`, whose
/// other entries are `heads` (its blocks but the first), there: `x` is
/// one of them, and so is `also` (or it is the entry) if given.
fn enters_inside(entry: u64, heads: &[u64], x: u64, also: Option<u64>) -> bool {
    heads.contains(&x) && also.is_none_or(|pc| pc == entry || heads.contains(&pc))
}

#[cfg(test)]
mod alias_tests {
    use super::enters_inside;

    #[test]
    fn a_hot_exit_enters_another_region_only_if_that_holds_the_exiting_entry_too() {
        // Region at 0x100 holding 0x110 and 0x120.
        let heads = [0x110, 0x120];
        assert!(enters_inside(0x100, &heads, 0x110, None));
        assert!(!enters_inside(0x100, &heads, 0x130, None), "not a block of it");
        // 0x120 is a hot exit of the region at 0x110 (held: the cycle
        // runs here) or of the one at 0x100 (its own entry); not of the
        // one at 0x200, which is re-formed instead.
        assert!(enters_inside(0x100, &heads, 0x120, Some(0x110)));
        assert!(enters_inside(0x100, &heads, 0x120, Some(0x100)));
        assert!(!enters_inside(0x100, &heads, 0x120, Some(0x200)));
    }
}
