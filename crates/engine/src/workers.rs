//! Background compilation: the compile workers and the VM's periodic
//! maintenance.
//!
//! Workers are host threads that are not guest threads. They start when the
//! first compile is asked for, take requests from the VM's
//! [`CompileQueue`](crate::queue::CompileQueue), and compile, install and
//! publish them while the guest threads go on interpreting; a guest thread
//! picks the new code up at its next block boundary (the record's cell
//! leads to it). A worker takes part in [`Vm::synchronize`] while it reads
//! guest memory (lifting), and finishes its current request before a host
//! `fork` (the VM's fork gate); none survives into a forked child, where
//! they are started again at the next request.
//!
//! Maintenance runs once per hotspot window, on whichever thread gets
//! there first (a worker when there are any): it adapts the threshold
//! ratio to the compile load, tells the eviction policy which compiled code
//! ran, and evicts cold code before the cache fills so that installs rarely
//! have to.

use std::sync::atomic::{Ordering, fence};
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::hotspot::Load;
use crate::native::Outcome;
use crate::queue::{Ask, CompileQueue, Request};
use crate::stats::Counters;
use crate::vm::{VcpuShared, Vm};

/// Fill level of the code cache above which maintenance evicts cold code,
/// and the level it evicts down to (percent).
const HIGH_WATER: usize = 90;
const LOW_WATER: usize = 80;
/// Below half the code budget, the policy hears of what ran every this many
/// windows (see [`Vm::maintain`]).
const POLICY_EVERY: u32 = 16;
/// The policy hears of this many uses per hold of its lock in
/// [`Vm::maintain`] (about 40 µs of the LRU policy's work; 1,024 took
/// 0.12-0.27 ms), so that a guest thread's compile, which inserts into
/// it, never waits long.
const TOUCH_CHUNK: usize = 256;

/// The workers of one process (see [`Pool::start`]).
#[derive(Debug, Default)]
pub(crate) struct Pool {
    /// The process that started them (a forked child has none).
    pid: u32,
    workers: Vec<Arc<VcpuShared>>,
}

/// What maintenance remembers between runs.
#[derive(Debug)]
pub(crate) struct Maintenance {
    at: Instant,
    busy: Duration,
}

impl Default for Maintenance {
    fn default() -> Self {
        Maintenance { at: Instant::now(), busy: Duration::ZERO }
    }
}

/// A thread reading guest memory outside a vCPU (see [`Vm::reading`]).
pub(crate) struct Reading<'a>(Option<&'a VcpuShared>);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if let Some(w) = self.0 {
            w.active.store(false, Ordering::Release);
        }
    }
}

impl Vm {
    /// Starts the compile workers if this process has none.
    pub(crate) fn start_workers(self: &Arc<Self>) {
        if !self.config.compile_threads.on_workers() {
            return;
        }
        let pid = std::process::id();
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.pid == pid || self.store.is_none() {
            return;
        }
        let Some(n) = self.config.compile_threads.workers() else { return };
        pool.pid = pid;
        pool.workers.clear();
        if let Some(store) = &self.store {
            // Code is now installed while vCPUs run other code.
            store.allow_concurrent_installs();
        }
        for i in 0..n.get() {
            let shared = self.register_worker();
            let (vm, queue, me) = (Arc::downgrade(self), Arc::clone(&self.queue), Arc::clone(&shared));
            let spawned =
                std::thread::Builder::new().name(format!("ferrovm-jit-{i}")).spawn(move || worker(&vm, &queue, &me));
            match spawned {
                Ok(_) => pool.workers.push(shared),
                Err(e) => {
                    crate::warn(&format!("cannot start a compile worker: {e}"));
                    self.retire_vcpu(&shared);
                }
            }
        }
    }

    /// Compile workers running.
    pub(crate) fn worker_count(&self) -> usize {
        let pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.pid == std::process::id() { pool.workers.len() } else { 0 }
    }

    /// Marks `who` as reading guest memory until the guard drops, if it is
    /// a worker (a vCPU is running guest code already): [`Vm::synchronize`]
    /// waits for it, and it waits while the VM is paused.
    pub(crate) fn reading<'a>(&self, who: &'a VcpuShared) -> Reading<'a> {
        if !who.worker {
            return Reading(None);
        }
        who.active.store(true, Ordering::Relaxed);
        // Pairs with the fence in `synchronize` (see `Vcpu::run`).
        fence(Ordering::SeqCst);
        if self.paused.load(Ordering::Acquire) {
            self.park(who);
        }
        Reading(Some(who))
    }

    /// Runs maintenance if a new window has begun and no other thread is
    /// at it.
    pub(crate) fn maintain_if_due(&self, counters: &Counters) {
        let now = self.clock.window();
        if self.tick.load(Ordering::Relaxed) >= now {
            return;
        }
        let Ok(mut m) = self.maintenance.try_lock() else { return };
        if self.tick.load(Ordering::Relaxed) >= now {
            return;
        }
        self.tick.store(now, Ordering::Relaxed);
        self.maintain(&mut m, counters, now);
    }

    fn maintain(&self, m: &mut Maintenance, counters: &Counters, tick: u32) {
        Counters::add(&counters.maintenance_runs, 1);
        self.sample_profile();
        // The load: queue length, share of time the workers compiled.
        let workers: Vec<Arc<VcpuShared>> = {
            let pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
            if pool.pid == std::process::id() { pool.workers.clone() } else { Vec::new() }
        };
        // Without workers, the time guest threads spent compiling (shared
        // out over one thread: the one that waited).
        let busy: Duration = if workers.is_empty() {
            self.stats().compile_pause_time
        } else {
            workers.iter().map(|w| w.counters.get().worker_busy).sum()
        };
        let period = m.at.elapsed();
        let share = if period.is_zero() {
            0.0
        } else {
            (busy.saturating_sub(m.busy).as_secs_f64() / period.as_secs_f64() / workers.len().max(1) as f64).min(1.0)
        };
        m.at = Instant::now();
        m.busy = busy;
        let load = Load { queued: self.queue.len(), workers: workers.len(), busy: share };
        self.threshold.adapt(&self.config.hotspot, load);
        let Some(store) = &self.store else { return };
        // Tell the policy what ran; forget what is no longer compiled. The
        // walk visits every compiled translation (tens of thousands in a
        // large program), and the policy's order matters only once eviction
        // is near: below half the budget it runs every POLICY_EVERY-th
        // window (uses accumulate in `entries` meanwhile, nothing is lost).
        let (used, capacity) = store.code_usage();
        if used * 2 < capacity && !tick.is_multiple_of(POLICY_EVERY) {
            return;
        }
        let (interp, native) = self.rates();
        let cfg = &self.config.hotspot;
        let mut touched = Vec::new();
        // The walk runs on the list taken out of its lock, and the policy
        // hears of it in chunks, each under the lock on its own: a guest
        // thread's compile pushes to the list and inserts into the policy,
        // and it waited whenever it came while the locks were held for the
        // whole walk (Python's start-up: 22,500 translations, 2.3 ms, and
        // the touches 1.3 ms; its guest thread waited 5-8 ms in all on a
        // quiet host, up to 3.8 ms at once, and 8-19 ms beside other
        // work). The list only grows meanwhile (the walk alone removes
        // from it), so what was pushed is kept.
        let mut compiled = std::mem::take(&mut *self.lock_compiled());
        compiled.retain(|r| {
            if r.cell.code.load(Ordering::Relaxed) == store.stub() {
                return false;
            }
            // Most were not entered through the dispatcher since the last
            // walk (chained code): read first, so that their lines are not
            // written (and taken from the guest threads' caches) for nothing.
            let uses = if r.entries.load(Ordering::Relaxed) == 0 { 0 } else { r.entries.swap(0, Ordering::Relaxed) };
            if uses > 0 {
                r.used.store(tick, Ordering::Relaxed);
                let count = r.score.at(cfg, tick).max(uses as f32);
                let (insns, alias) = {
                    let st = r.state();
                    (r.native_insns.load(Ordering::Relaxed), st.alias())
                };
                let benefit = cfg.saving_per_window(count, insns, interp, native);
                // Entries into a region at one of its other blocks count
                // for the region (the policy holds only its entry).
                let pc = match alias.and_then(|a| self.table.get(a)) {
                    Some(region) => {
                        region.used.store(tick, Ordering::Relaxed);
                        region.pc()
                    }
                    None => r.pc(),
                };
                touched.push((pc, u64::from(uses), benefit));
            }
            true
        });
        {
            let mut list = self.lock_compiled();
            compiled.append(&mut list);
            *list = compiled;
        }
        for chunk in touched.chunks(TOUCH_CHUNK) {
            let mut policy = self.lock_policy();
            for &(pc, uses, benefit) in chunk {
                policy.touch(pc, uses, benefit, u64::from(tick));
            }
        }
        // Evict cold code before the cache fills.
        let (used, capacity) = store.code_usage();
        if used * 100 > capacity * HIGH_WATER {
            while store.code_usage().0 * 100 > capacity * LOW_WATER {
                if !self.evict_cold(counters) {
                    break;
                }
            }
        }
    }
}

/// A compile worker's loop.
/// CPU time of host clock `id` in ns (0 if it cannot be read).
pub(crate) fn cpu_ns(id: libc::clockid_t) -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec for the call's duration.
    if unsafe { libc::clock_gettime(id, &mut t) } != 0 {
        return 0;
    }
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

/// The compile workers' CPU clocks, so that the guest's CPU time can
/// leave them out ([`Vm::guest_cpu_time`]). A worker takes its clock out
/// (under the lock) before its thread ends, so a clock read here is never
/// a dead thread's.
#[derive(Debug, Default)]
pub(crate) struct WorkerClocks {
    running: Vec<libc::clockid_t>,
    /// CPU time of the workers that ended, in ns.
    ended_ns: u64,
}

impl WorkerClocks {
    /// CPU time of every worker of this process so far, in ns.
    pub(crate) fn total_ns(&self) -> u64 {
        self.ended_ns + self.running.iter().map(|&c| cpu_ns(c)).sum::<u64>()
    }
}

/// A worker's entry in [`WorkerClocks`], for as long as its thread runs.
struct ClockEntry<'a> {
    vm: &'a Weak<Vm>,
    clock: Option<libc::clockid_t>,
}

impl<'a> ClockEntry<'a> {
    fn register(vm: &'a Weak<Vm>) -> Self {
        let mut id: libc::clockid_t = 0;
        // SAFETY: `id` is a valid place for the clock id; pthread_self()
        // is this (running) thread.
        let ok = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) } == 0;
        let clock = ok.then_some(id);
        if let (Some(id), Some(vm)) = (clock, vm.upgrade()) {
            vm.worker_clocks.lock().unwrap_or_else(PoisonError::into_inner).running.push(id);
        }
        ClockEntry { vm, clock }
    }
}

impl Drop for ClockEntry<'_> {
    fn drop(&mut self) {
        let (Some(id), Some(vm)) = (self.clock, self.vm.upgrade()) else { return };
        let mut clocks = vm.worker_clocks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = clocks.running.iter().position(|&c| c == id) {
            clocks.running.swap_remove(i);
            clocks.ended_ns += cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID);
        }
    }
}

fn worker(vm: &Weak<Vm>, queue: &CompileQueue, me: &Arc<VcpuShared>) {
    let mut compiler = None;
    let _clock = ClockEntry::register(vm);
    loop {
        let wait = match vm.upgrade() {
            Some(vm) => vm.config.hotspot.window,
            None => return,
        };
        let (req, stale) = queue.pop(wait);
        let Some(vm) = vm.upgrade() else { return };
        Counters::add(&me.counters.compile_stale_dropped, stale);
        // Not across a host fork (see `Vm::prepare_fork`).
        let _gate = vm.fork_gate.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(req) = req {
            let started = Instant::now();
            // A block that cannot be lifted stays interpreted; the guest
            // meets the fault itself.
            let out = match &vm.store {
                Some(store) => vm.serve(compiler.get_or_insert_with(|| store.compiler()), me, &req),
                None => Ok(Outcome::Failed { kept: false }),
            };
            req.done();
            if !req.ask.quick() && !matches!(out, Ok(Outcome::Compiled)) {
                // No hot code came of it: first-run (or quick) code, whose
                // count went on past the threshold while this was pending
                // (see `Vcpu::native_exit`), asks again once it reaches it
                // anew.
                req.record.runs.store(0, Ordering::Relaxed);
            }
            if req.ask == Ask::QuickThenRegion && matches!(out, Ok(Outcome::Compiled)) {
                // Its optimized region next, in turn.
                Counters::add(&me.counters.compile_requests, 1);
                vm.queue.push(Request::new(Arc::clone(&req.record), req.priority, None));
            }
            Counters::add_time(&me.counters.worker_busy, started.elapsed());
        } else if queue.is_shut_down() {
            return;
        }
        vm.maintain_if_due(&me.counters);
    }
}
