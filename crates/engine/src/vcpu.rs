//! [`Vcpu`]: one guest thread's CPU and the run loop that dispatches its
//! blocks to the interpreter or to compiled code.

use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, Instant};

use ferrovm_interp::{BlockExit, Frame, Lowered, MAX_SLOTS, execute};
use ferrovm_ir::Cpu;
use ferrovm_jit::{Compiler, JitThread, NativeExit};
use ferrovm_riscv::lift::LiftError;

use crate::Exit;
use crate::config::{EngineMode, FirstTier};
use crate::queue::Request;
use crate::stats::{Counters, Stats};
use crate::table::Record;
use crate::vm::{InterruptHandle, VcpuShared, Vm, request};

/// Entries in a vCPU's local lookup cache at most (a power of two). Large
/// programs run tens of thousands of distinct blocks (Python's start-up:
/// 67k); at 4096 entries a tenth of all dispatches missed.
const LOCAL_ENTRIES: usize = 1 << 14;

/// Entries in a new vCPU's local lookup cache: it doubles (emptied) each
/// time it has missed as often as it has entries, up to
/// [`LOCAL_ENTRIES`]. Made at full size, its 384 KiB were a fifth of the
/// CPU time of a program that exits at once (page faults and `memset`).
const LOCAL_ENTRIES_FIRST: usize = 1 << 10;

/// The slot of `pc` in a local lookup cache of `len` entries.
#[inline]
fn slot(pc: u64, len: usize) -> usize {
    ((pc >> 1) as usize) & (len - 1)
}

/// A local lookup-cache entry: the record of `pc` and its interpreter
/// block when it had one at lookup time, valid while the record's
/// `version` is the one read then (dropping a record's translations bumps
/// it). Checked on every hit instead of flushing the whole cache whenever
/// any translation is dropped: a program that rewrites one code buffer
/// 40,000 times spent 15% of its time clearing 16,384 entries each time.
#[derive(Debug)]
struct Local {
    pc: u64,
    version: u64,
    record: Arc<Record>,
    block: Option<Arc<Lowered>>,
}

/// One guest thread: its CPU state, its JIT context (exit flag,
/// return-address stack, jump cache), a local lookup cache over the VM's
/// translation table, and the interpreter's frame. Owned by the host
/// thread that runs it; made by [`Vm::vcpu`].
pub struct Vcpu {
    /// The guest CPU state. Between runs the embedder reads and changes it
    /// freely (system calls, signal frames).
    pub cpu: Cpu,
    pub(crate) vm: Arc<Vm>,
    pub(crate) shared: Arc<VcpuShared>,
    pub(crate) jit: Option<JitThread>,
    pub(crate) compiler: Option<Compiler>,
    pub(crate) frame: Box<Frame>,
    /// Its single-step switch, instruction budget and step translations.
    pub(crate) debug: crate::debug::VcpuDebug,
    /// Block stops, stop skipping, watch hits ([`crate::hooks`]).
    pub(crate) hooks: crate::hooks::VcpuHooks,
    local: Vec<Option<Local>>,
    /// Misses of the local cache since it last grew.
    local_misses: usize,
    /// `cpu.instret` when the vCPU was made (statistics count from there).
    instret_base: u64,
    /// Timing samples for the cost model.
    samples: Samples,
    /// The profiler's timer on the thread that runs this vCPU.
    timer: Option<crate::profile::ThreadTimer>,
}

/// Interpreted blocks between two timed ones, and entries into compiled
/// code between two timed ones.
const INTERP_SAMPLE: u32 = 512;
const NATIVE_SAMPLE: u32 = 64;
/// Samples gathered before they are handed to the cost model.
const SAMPLE_BATCH: u32 = 16;

/// A vCPU's timing samples, handed to the cost model in batches.
#[derive(Debug)]
struct Samples {
    interp_due: u32,
    native_due: u32,
    interp: (u64, u64),
    native: (u64, u64),
    batched: u32,
}

impl Default for Samples {
    fn default() -> Self {
        Samples { interp_due: INTERP_SAMPLE, native_due: NATIVE_SAMPLE, interp: (0, 0), native: (0, 0), batched: 0 }
    }
}

impl Samples {
    fn interp(&mut self, insns: u64, took: Duration, vm: &Vm) {
        self.interp_due = INTERP_SAMPLE;
        self.interp.0 += insns;
        self.interp.1 += vm.clock.net_of_timer(took);
        self.flush_if_due(vm);
    }

    fn native(&mut self, insns: u64, took: Duration, vm: &Vm) {
        self.native_due = NATIVE_SAMPLE;
        self.native.0 += insns;
        self.native.1 += vm.clock.net_of_timer(took);
        self.flush_if_due(vm);
    }

    fn flush_if_due(&mut self, vm: &Vm) {
        self.batched += 1;
        if self.batched >= SAMPLE_BATCH {
            vm.observe_speeds(std::mem::take(&mut self.interp), std::mem::take(&mut self.native));
            self.batched = 0;
        }
    }
}

impl std::fmt::Debug for Vcpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vcpu").field("pc", &self.cpu.pc).finish_non_exhaustive()
    }
}

impl Drop for Vcpu {
    fn drop(&mut self) {
        self.vm.retire_vcpu(&self.shared);
    }
}

impl Vcpu {
    pub(crate) fn new(vm: Arc<Vm>, cpu: Cpu, shared: Arc<VcpuShared>, jit: Option<JitThread>) -> Self {
        let mut local = Vec::new();
        local.resize_with(LOCAL_ENTRIES_FIRST, || None);
        Vcpu {
            instret_base: cpu.instret,
            cpu,
            vm,
            shared,
            jit,
            compiler: None,
            frame: Box::new([0; MAX_SLOTS]),
            debug: crate::debug::VcpuDebug::default(),
            hooks: crate::hooks::VcpuHooks::default(),
            local,
            local_misses: 0,
            samples: Samples::default(),
            timer: None,
        }
    }

    /// The VM this vCPU belongs to.
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// A handle that makes [`Vcpu::run`] return [`Exit::Interrupted`] at the
    /// next block boundary, from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        Vm::interrupt_handle(&self.shared)
    }

    /// This vCPU's own statistics (the VM's [`Vm::stats`] adds up all).
    pub fn stats(&self) -> Stats {
        self.shared.counters.get()
    }

    /// Runs from `cpu.pc` until a guest event. On return `cpu.pc` is the
    /// address of the instruction concerned and every register is precise.
    pub fn run(&mut self) -> Exit {
        self.shared.active.store(true, Ordering::Relaxed);
        // Pairs with the fence in `Vm::synchronize`: either that thread sees
        // this vCPU active (and waits for it), or this vCPU sees everything
        // that thread did before (the permission table) in what it runs.
        fence(Ordering::SeqCst);
        if self.vm.paused.load(Ordering::Acquire) {
            self.vm.park(&self.shared);
        }
        if let Some(p) = &self.vm.profiler
            && !self.timer.as_ref().is_some_and(crate::profile::ThreadTimer::on_this_thread)
        {
            // First run on this thread (or in a forked child, which
            // inherits no timers): sample this thread from now on.
            if let Some(old) = self.timer.take() {
                old.forget();
            }
            self.timer = crate::profile::ThreadTimer::arm(&self.shared.ctx, p.hz());
        }
        let trace = self.vm.config.trace.any() || self.vm.config.block_exits;
        let exit = loop {
            // The debug loop while anything is armed (see `crate::debug`);
            // each loop hands over to the other when that changes.
            let exit = if self.debug_wanted() {
                self.debug_dispatch()
            } else if trace {
                self.dispatch::<true>()
            } else {
                self.dispatch::<false>()
            };
            if let Some(exit) = exit {
                break exit;
            }
        };
        let c = &self.shared.counters;
        c.insns_retired.store(self.cpu.instret.wrapping_sub(self.instret_base), Ordering::Relaxed);
        let ctx = &self.shared.ctx;
        for (from, to) in [
            (&ctx.indirect_jumps, &c.indirect_jumps),
            (&ctx.returns, &c.returns),
            (&ctx.ras_misses, &c.ras_misses),
            (&ctx.ic_misses, &c.ic_misses),
            (&ctx.jump_cache_misses, &c.jump_cache_misses),
            (&ctx.mem_faults, &c.host_faults),
            (&ctx.vector_simd, &c.vector_simd),
            (&ctx.vector_helper, &c.vector_helper),
        ] {
            to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        self.shared.active.store(false, Ordering::Release);
        exit
    }

    /// Handles requests other threads (or helpers) made; `Some` to return.
    #[cold]
    pub(crate) fn requests(&mut self) -> Option<Exit> {
        let req = self.shared.ctx.exit_request.swap(0, Ordering::AcqRel);
        let writer = self.shared.ctx.code_writer.swap(0, Ordering::Relaxed);
        if writer != 0 {
            self.vm.demote_to_checked(writer, crate::vm::Demotion::CodeWriter);
        }
        if req & request::SYNC != 0 {
            self.shared.safepoints.fetch_add(1, Ordering::AcqRel);
        }
        if req & request::PAUSE != 0 && self.vm.paused.load(Ordering::Acquire) {
            self.vm.park(&self.shared);
        }
        if req & request::SAMPLE != 0 {
            self.take_sample();
        }
        (req & request::INTERRUPT != 0).then_some(Exit::Interrupted)
    }

    /// Records a profile sample (the timer fired on this thread): the
    /// registers are precise here, at a block boundary.
    #[cold]
    fn take_sample(&mut self) {
        let (Some(profiler), Some(timer)) = (&self.vm.profiler, &self.timer) else { return };
        let rip = timer.rip() as usize;
        let compiled = self.vm.store.as_ref().is_some_and(|s| {
            let (start, end) = s.code_range();
            (start..end).contains(&rip) && s.translation_at(rip).is_some()
        });
        profiler.record(&self.cpu, &self.vm.mem, compiled);
    }

    /// `-d exec` and `-d cpu` for the block about to run at `cpu.pc`
    /// (`host`: its compiled code, if it runs compiled).
    #[cold]
    fn trace_block(&self, host: Option<usize>) {
        let pc = self.cpu.pc;
        let tid = rustix::thread::gettid().as_raw_nonzero();
        if tracing::enabled!(target: crate::log::target::EXEC, tracing::Level::INFO) {
            let host = host.unwrap_or(0);
            tracing::info!(
                target: crate::log::target::EXEC,
                "Trace {tid}: {host:#x} [0000000000000000/{pc:016x}/00000000/00000000] {}",
                self.vm.describe(pc)
            );
        }
        if tracing::enabled!(target: crate::log::target::CPU, tracing::Level::INFO) {
            tracing::info!(target: crate::log::target::CPU, "{}", crate::log::format_cpu(&self.cpu));
        }
    }

    /// The normal run loop; `None` when the debug loop must take over.
    /// `TRACE` (from [`crate::EngineConfig::trace`] or
    /// [`crate::EngineConfig::block_exits`]) adds the per-block events and
    /// stops, so without it the loop has no logging code.
    fn dispatch<const TRACE: bool>(&mut self) -> Option<Exit> {
        let vm = Arc::clone(&self.vm);
        let mem = &*vm.mem;
        let trace = vm.config.trace.any();
        loop {
            if self.shared.ctx.exit_request.load(Ordering::Relaxed) != 0 {
                if let Some(exit) = self.requests() {
                    return Some(exit);
                }
                if self.debug_wanted() {
                    return None;
                }
            }
            if mem.code_dirty() {
                vm.sync_code();
            }
            let pc = self.cpu.pc;
            if TRACE && self.hooks.block_stops && self.block_boundary() {
                return Some(crate::hooks::BLOCK);
            }
            let i = slot(pc, self.local.len());
            // Acquire: pairs with the bump of a dropped record's version, so
            // an entry that passes sees none of the translations it dropped.
            let hit = matches!(&self.local[i], Some(l) if l.pc == pc && l.record.version.load(Ordering::Acquire) == l.version);
            if !hit && let Err(exit) = self.fill(&vm, pc) {
                return Some(exit);
            }
            let Some(local) = &self.local[i] else { continue };
            // Compiled code, if the cell leads to some.
            if let (Some(store), Some(jit)) = (&vm.store, &self.jit)
                && local.record.cell.code.load(Ordering::Relaxed) != store.stub()
            {
                if TRACE && trace {
                    self.trace_block(Some(local.record.cell.code.load(Ordering::Relaxed)));
                }
                let Some(local) = &self.local[i] else { continue };
                Counters::add(&self.shared.counters.native_entries, 1);
                let r = &local.record;
                r.entries.store(r.entries.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
                self.samples.native_due = self.samples.native_due.wrapping_sub(1);
                let ran = if self.samples.native_due == 0 {
                    // Sampled: how fast compiled code runs.
                    let (t, before) = (Instant::now(), self.cpu.instret);
                    let ran = store.run(jit, &mut self.cpu, &local.record.cell);
                    self.samples.native(self.cpu.instret.wrapping_sub(before), t.elapsed(), &vm);
                    ran
                } else {
                    store.run(jit, &mut self.cpu, &local.record.cell)
                };
                if let Some(e) = ran
                    && let Some(exit) = self.native_exit(e)
                {
                    return Some(exit);
                }
                continue;
            }
            if TRACE && trace && local.block.is_some() {
                self.trace_block(None);
            }
            let Some(local) = &self.local[i] else { continue };
            let Some(block) = &local.block else {
                // No interpreter block and no compiled code (evicted, or
                // dropped since): look it up again.
                self.local[i] = None;
                continue;
            };
            // Tier up: a block the interpreter has run often enough is
            // weighed for compiling; compiled (here, or by a worker while
            // it goes on running here), it runs natively from the next
            // time on.
            if vm.store.is_some()
                && self.counts(&local.record)
                && local.record.count_run() >= local.record.next_eval.load(Ordering::Relaxed)
            {
                let (record, insns) = (Arc::clone(&local.record), block.insns);
                if self.evaluate(&record, insns) {
                    continue;
                }
                let Some(Local { block: Some(block), .. }) = &self.local[i] else { continue };
                if let Some(exit) = Self::interpret(&mut self.cpu, block, mem, &mut self.frame, &vm, &self.shared) {
                    return Some(exit);
                }
                continue;
            }
            self.samples.interp_due = self.samples.interp_due.wrapping_sub(1);
            if self.samples.interp_due == 0 {
                // Sampled: how fast the interpreter runs.
                let (t, before) = (Instant::now(), self.cpu.instret);
                let exit = Self::interpret(&mut self.cpu, block, mem, &mut self.frame, &vm, &self.shared);
                self.samples.interp(self.cpu.instret.wrapping_sub(before), t.elapsed(), &vm);
                if let Some(exit) = exit {
                    return Some(exit);
                }
                continue;
            }
            self.shared.ctx.current.store(pc, Ordering::Relaxed);
            if let Some(exit) = Self::interpret(&mut self.cpu, block, mem, &mut self.frame, &vm, &self.shared) {
                return Some(exit);
            }
        }
    }

    /// Looks `pc` up in the VM's table (translating it if needed) and fills
    /// its local cache entry.
    #[cold]
    fn fill(&mut self, vm: &Vm, pc: u64) -> Result<(), Exit> {
        Counters::add(&self.shared.counters.lookup_misses, 1);
        let record = vm.table.record(pc);
        // Read before the translations: one dropped after this read makes
        // the entry stale at its first use.
        let version = record.version.load(Ordering::Acquire);
        let compiled = vm.store.as_ref().is_some_and(|s| record.cell.code.load(Ordering::Acquire) != s.stub());
        let mut block = record.state().block.clone();
        if !compiled && block.is_none() {
            let made = if self.eager(&record) {
                self.translate_native(&record, false).map(|_| ())
            } else if self.cold_baseline(&record) {
                self.translate_cold(&record)
            } else {
                vm.translate(&record, &self.shared.counters).map(|b| block = Some(b))
            };
            if let Err(LiftError::Fetch { addr }) = made {
                return Err(Exit::Fault(vm.fetch_fault(addr)));
            }
            if block.is_none() {
                block = record.state().block.clone();
            }
        }
        self.local_misses += 1;
        if self.local_misses >= self.local.len() && self.local.len() < LOCAL_ENTRIES {
            // Entries whose slot changes are looked up again.
            let len = self.local.len() * 2;
            self.local.clear();
            self.local.resize_with(len, || None);
            self.local_misses = 0;
        }
        let i = slot(pc, self.local.len());
        self.local[i] = Some(Local { pc, version, record, block });
        Ok(())
    }

    /// Drops `pc`'s local lookup-cache entry (its record got a new
    /// interpreter block): the next dispatch looks it up again.
    pub(crate) fn forget_local(&mut self, pc: u64) {
        let i = slot(pc, self.local.len());
        if matches!(&self.local[i], Some(l) if l.pc == pc) {
            self.local[i] = None;
        }
    }

    /// Interprets `block`; `Some` for a guest event.
    #[inline]
    fn interpret(
        cpu: &mut Cpu,
        block: &Lowered,
        mem: &ferrovm_mem::AddressSpace,
        frame: &mut Frame,
        vm: &Vm,
        shared: &VcpuShared,
    ) -> Option<Exit> {
        Counters::add(&shared.counters.blocks_executed, 1);
        match execute(block, cpu, mem, frame) {
            BlockExit::Continue => None,
            BlockExit::Ecall => Some(Exit::Ecall),
            BlockExit::Ebreak => Some(Exit::Breakpoint),
            BlockExit::Illegal { bits } => Some(Exit::Illegal { bits }),
            BlockExit::Fault(f) => Some(Exit::Fault(f)),
            BlockExit::FenceI => {
                // fence.i: this thread's stores to code (every one is
                // tracked, but on volatile pages) are dropped from the
                // translations now.
                vm.fence_i();
                None
            }
        }
    }

    /// Handles how compiled code stopped; `Some` to return.
    fn native_exit(&mut self, e: NativeExit) -> Option<Exit> {
        let vm = Arc::clone(&self.vm);
        let c = &self.shared.counters;
        Counters::add(
            match e {
                NativeExit::Continue => &c.exits_chain,
                NativeExit::Ecall | NativeExit::Ebreak => &c.exits_ecall,
                NativeExit::Slow => &c.exits_slow,
                NativeExit::Hot => &c.exits_hot,
                NativeExit::Illegal { .. } | NativeExit::Fault(_) | NativeExit::FenceI => &c.exits_other,
            },
            1,
        );
        match e {
            NativeExit::Continue => None,
            NativeExit::Ecall => Some(Exit::Ecall),
            NativeExit::Ebreak => Some(Exit::Breakpoint),
            NativeExit::Illegal { bits } => Some(Exit::Illegal { bits }),
            NativeExit::Fault(f) => {
                let at = self.shared.ctx.trapped.swap(0, Ordering::Relaxed);
                if at == 0 {
                    return Some(Exit::Fault(f));
                }
                self.vm.demote_to_checked(at, crate::vm::Demotion::Faulted);
                // Registers precise at the access: its address is known.
                Some(Exit::Fault(crate::fault::with_access_address(&vm.mem, &self.cpu, f)))
            }
            NativeExit::FenceI => {
                vm.fence_i();
                None
            }
            NativeExit::Hot => {
                // Recompile as hot code (the first-run translation keeps
                // running meanwhile, and if that fails).
                let record = vm.table.record(self.cpu.pc);
                record.vtype.store(self.cpu.vector.vtype, Ordering::Relaxed);
                if matches!(vm.mode, EngineMode::Tiered) && vm.config.first_tier == FirstTier::Baseline {
                    self.reweigh(&record);
                    return None;
                }
                let runs = record.runs.swap(0, Ordering::Relaxed);
                let now = vm.clock.window();
                let count = record.score.add(&vm.config.hotspot, runs, now);
                self.submit(Request::new(Arc::clone(&record), f64::from(count), None));
                // While a worker has the request, the count goes on past
                // the threshold (the code leaves only when its count
                // *reaches* it), so the first-run code runs instead of
                // leaving again at once: with a threshold of 1 it would
                // never run, and the guest thread would spin through the
                // dispatcher until its hot code came, taking the CPU from
                // the worker compiling it. Otherwise (compiled here,
                // refused, or the request ends without hot code: see
                // `worker`) the count starts again and asks again at the
                // threshold.
                if record.queued.load(Ordering::Acquire) {
                    record.runs.fetch_add(runs, Ordering::Relaxed);
                }
                None
            }
            NativeExit::Slow => {
                Counters::add(&self.shared.counters.slow_accesses, 1);
                let record = vm.table.record(self.cpu.pc);
                let step = match vm.slow_step(&record) {
                    Ok(step) => step,
                    Err(LiftError::Fetch { addr }) => return Some(Exit::Fault(vm.fetch_fault(addr))),
                };
                let exit = Self::interpret(&mut self.cpu, &step, &vm.mem, &mut self.frame, &vm, &self.shared);
                // The rest of the block is not a block of its own.
                self.hooks.stopped_at = Some((self.cpu.pc, self.cpu.instret));
                exit
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferrovm_ir::Cpu;
    use ferrovm_mem::{AddressSpace, Perms};

    use super::{LOCAL_ENTRIES_FIRST, slot};
    use crate::config::{EngineConfig, EngineMode};
    use crate::{Exit, Vm};

    /// The local lookup cache starts small and grows (emptied) once it
    /// has missed as often as it has entries: 3,000 one-jump blocks make
    /// it grow once, and every block still runs.
    #[test]
    fn the_local_cache_grows_with_the_blocks_run() {
        const BLOCKS: u64 = 3000;
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        mem.map(0x10000, 0x4000, Perms::RWX).expect("map");
        let mut code = Vec::new();
        for _ in 0..BLOCKS {
            code.extend(0x0040_006f_u32.to_le_bytes()); // j .+4
        }
        code.extend(0x0000_0073_u32.to_le_bytes()); // ecall
        mem.write_bytes(0x10000, &code).expect("write");
        let vm = Vm::new(mem, EngineConfig { mode: EngineMode::Interp, ..EngineConfig::default() });
        let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
        assert_eq!(vcpu.local.len(), LOCAL_ENTRIES_FIRST);
        assert_eq!(vcpu.run(), Exit::Ecall);
        assert_eq!(vcpu.cpu.pc, 0x10000 + 4 * BLOCKS);
        assert_eq!(vcpu.local.len(), 2 * LOCAL_ENTRIES_FIRST, "grown once");
        // The ecall's block, looked up since, is where it belongs.
        let last = 0x10000 + 4 * BLOCKS;
        let i = slot(last, vcpu.local.len());
        assert!(matches!(&vcpu.local[i], Some(l) if l.pc == last));
    }

    /// Dropping one translation leaves the rest of the local cache as it
    /// is, and the dropped one is not run again: its entry is stale by its
    /// record's version.
    #[test]
    fn an_invalidated_block_is_looked_up_again_and_the_others_stay_cached() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        mem.map(0x10000, 0x2000, Perms::RWX).expect("map");
        let addi = |imm: u32| (imm << 20 | 10 << 15 | 10 << 7 | 0x13).to_le_bytes(); // addi a0, a0, imm
        let ecall = 0x0000_0073_u32.to_le_bytes();
        mem.write_bytes(0x10000, &[addi(1), ecall].concat()).expect("write");
        mem.write_bytes(0x11010, &[addi(100), ecall].concat()).expect("write");
        let vm = Vm::new(mem.clone(), EngineConfig { mode: EngineMode::Interp, ..EngineConfig::default() });
        let mut vcpu = vm.vcpu(Cpu { pc: 0x11010, ..Cpu::default() });
        assert_eq!(vcpu.run(), Exit::Ecall);
        vcpu.cpu.pc = 0x10000;
        assert_eq!(vcpu.run(), Exit::Ecall);
        assert_eq!(vcpu.cpu.regs[10], 101);
        mem.write_bytes(0x10000, &addi(5)).expect("write");
        vm.invalidate(0x10000, 4);
        vcpu.cpu.pc = 0x10000;
        assert_eq!(vcpu.run(), Exit::Ecall);
        assert_eq!(vcpu.cpu.regs[10], 106, "the rewritten block ran");
        let other = slot(0x11010, vcpu.local.len());
        assert!(
            matches!(&vcpu.local[other], Some(l) if l.pc == 0x11010 && l.record.version.load(std::sync::atomic::Ordering::Relaxed) == l.version),
            "the other block's entry is still there, and valid"
        );
    }
}
