//! The guest profiler ([`crate::EngineConfig::profile`]): samples each
//! guest thread's pc and call stack at a fixed rate of its CPU time.
//!
//! Each vCPU's host thread gets a timer of its own (`timer_create` on
//! `CLOCK_THREAD_CPUTIME_ID`, delivered to that thread by
//! `SIGEV_THREAD_ID`), so a thread is sampled in proportion to the CPU it
//! uses and a blocked thread not at all. The signal handler only notes the
//! host pc it interrupted and sets a bit of the vCPU's exit request; the
//! vCPU takes the sample at its next block boundary (compiled code polls the
//! request at every loop back edge and chained exit), where every guest
//! register is precise: the leaf is the guest pc there, the callers come
//! from walking the guest's frame-pointer chain (`s0`). The host pc says
//! where the time went: compiled code (the code store knows which
//! translation holds it) or ferrovm's runtime (interpreter, helpers, system
//! calls).
//!
//! Without frame pointers (GCC's default at `-O1` and above) the walk
//! stops at the first frame whose saved values do not look like a frame:
//! stacks then hold the leaf function and, when the leaf has not saved its
//! return address yet, its caller (from `ra`).
//!
//! The handler takes one real-time signal (`SIGRTMIN + 7`); system calls it
//! interrupts restart (`SA_RESTART`), and a CPU-time timer seldom fires in
//! a blocking call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};

use ferrovm_ir::Cpu;
use ferrovm_jit::abi::JitContext;
use ferrovm_mem::{AddressSpace, Perms};

use crate::vm::request;

/// Default sampling rate: 1 kHz of each thread's CPU time.
pub const DEFAULT_HZ: u32 = 1000;

/// Deepest guest stack walked.
const MAX_DEPTH: usize = 128;

/// What one sample says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Samples per second of thread CPU time.
    pub hz: u32,
    /// Each sampled guest call stack (leaf first: the pc, then return
    /// addresses) and how many samples found it.
    pub stacks: Vec<(Vec<u64>, u64)>,
    /// Samples taken in all.
    pub samples: u64,
    /// Of those, samples whose host pc was in compiled code.
    pub in_compiled_code: u64,
    /// Time the vCPUs spent taking the samples (not counting the signal
    /// delivery and the exit from compiled code): the profiler's own cost.
    pub sampling_time: std::time::Duration,
}

/// The profiler of one VM.
#[derive(Debug)]
pub(crate) struct Profiler {
    hz: u32,
    stacks: Mutex<HashMap<Vec<u64>, u64>>,
    samples: AtomicU64,
    compiled: AtomicU64,
    spent_ns: AtomicU64,
}

/// What the signal handler reaches on its thread.
#[derive(Debug)]
struct Slot {
    ctx: Arc<JitContext>,
    /// Host pc the last timer signal interrupted.
    rip: AtomicU64,
}

thread_local! {
    /// This thread's slot, while a vCPU with a timer runs on it.
    static CURRENT: AtomicPtr<Slot> = const { AtomicPtr::new(std::ptr::null_mut()) };
}

/// The host signal of the profiler's timers.
fn signal() -> i32 {
    libc::SIGRTMIN() + 7
}

extern "C" fn on_timer(_: libc::c_int, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let slot = CURRENT.with(|c| c.load(Ordering::Relaxed));
    if slot.is_null() {
        return;
    }
    // SAFETY: the kernel passes a valid `ucontext_t` to an SA_SIGINFO
    // handler; only the saved rip is read. `slot` is this thread's live
    // slot: a `ThreadTimer` clears `CURRENT` before its slot can go.
    let (slot, rip) = unsafe { (&*slot, (*uc.cast::<libc::ucontext_t>()).uc_mcontext.gregs[libc::REG_RIP as usize]) };
    slot.rip.store(rip as u64, Ordering::Relaxed);
    slot.ctx.exit_request.fetch_or(request::SAMPLE, Ordering::Relaxed);
}

fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sigaction` with a zeroed, then filled, struct; the
        // handler is async-signal-safe (a thread-local load and two atomic
        // stores).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_timer as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(signal(), &sa, std::ptr::null_mut());
        }
    });
}

/// A vCPU's timer on the host thread that runs it.
#[derive(Debug)]
pub(crate) struct ThreadTimer {
    slot: Arc<Slot>,
    timer: libc::timer_t,
    tid: i32,
}

// SAFETY: `timer_t` is a kernel timer id (a pointer-sized token), usable
// from any thread of the process.
unsafe impl Send for ThreadTimer {}

fn gettid() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

impl ThreadTimer {
    /// Starts sampling the calling thread `hz` times a second of its CPU
    /// time; `None` if the host refuses a timer.
    pub(crate) fn arm(ctx: &Arc<JitContext>, hz: u32) -> Option<ThreadTimer> {
        install_handler();
        let tid = gettid();
        let slot = Arc::new(Slot { ctx: Arc::clone(ctx), rip: AtomicU64::new(0) });
        // SAFETY: a zeroed `sigevent` filled for SIGEV_THREAD_ID (the
        // calling thread); `timer` is written by a successful
        // `timer_create`, and armed with a valid `itimerspec`.
        unsafe {
            let mut ev: libc::sigevent = std::mem::zeroed();
            ev.sigev_notify = libc::SIGEV_THREAD_ID;
            ev.sigev_signo = signal();
            ev.sigev_notify_thread_id = tid;
            let mut timer: libc::timer_t = std::mem::zeroed();
            if libc::timer_create(libc::CLOCK_THREAD_CPUTIME_ID, &mut ev, &mut timer) != 0 {
                return None;
            }
            CURRENT.with(|c| c.store(Arc::as_ptr(&slot).cast_mut(), Ordering::Relaxed));
            let ns = 1_000_000_000 / i64::from(hz.max(1));
            let period = libc::timespec { tv_sec: ns / 1_000_000_000, tv_nsec: ns % 1_000_000_000 };
            let spec = libc::itimerspec { it_interval: period, it_value: period };
            libc::timer_settime(timer, 0, &spec, std::ptr::null_mut());
            Some(ThreadTimer { slot, timer, tid })
        }
    }

    /// Whether the timer belongs to the calling thread (not so in a forked
    /// child, which inherits no timers).
    pub(crate) fn on_this_thread(&self) -> bool {
        self.tid == gettid()
    }

    /// The host pc of the last timer signal.
    pub(crate) fn rip(&self) -> u64 {
        self.slot.rip.load(Ordering::Relaxed)
    }

    /// Forgets a timer inherited through `fork` (the child has no such
    /// timer; deleting its id could delete one of the child's own).
    pub(crate) fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for ThreadTimer {
    fn drop(&mut self) {
        // SAFETY: `timer` came from `timer_create` in this process and is
        // deleted once.
        unsafe { libc::timer_delete(self.timer) };
        let mine = Arc::as_ptr(&self.slot).cast_mut();
        if self.on_this_thread() {
            CURRENT.with(|c| {
                let _ = c.compare_exchange(mine, std::ptr::null_mut(), Ordering::Relaxed, Ordering::Relaxed);
            });
        } else {
            // Another thread's `CURRENT` may still name the slot (a signal
            // already queued): keep it alive.
            std::mem::forget(Arc::clone(&self.slot));
        }
    }
}

impl Profiler {
    pub(crate) fn new(hz: u32) -> Self {
        Profiler {
            hz: hz.max(1),
            stacks: Mutex::new(HashMap::new()),
            samples: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
            spent_ns: AtomicU64::new(0),
        }
    }

    pub(crate) fn hz(&self) -> u32 {
        self.hz
    }

    /// Records one sample: `cpu` at a block boundary, `compiled` if the
    /// timer found the thread in compiled code.
    pub(crate) fn record(&self, cpu: &Cpu, mem: &AddressSpace, compiled: bool) {
        let started = std::time::Instant::now();
        let stack = walk(cpu, mem);
        self.samples.fetch_add(1, Ordering::Relaxed);
        if compiled {
            self.compiled.fetch_add(1, Ordering::Relaxed);
        }
        *self.stacks.lock().unwrap_or_else(PoisonError::into_inner).entry(stack).or_default() += 1;
        self.spent_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Profile {
        let stacks = self.stacks.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stacks: Vec<(Vec<u64>, u64)> = stacks.iter().map(|(s, n)| (s.clone(), *n)).collect();
        stacks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Profile {
            hz: self.hz,
            stacks,
            samples: self.samples.load(Ordering::Relaxed),
            in_compiled_code: self.compiled.load(Ordering::Relaxed),
            sampling_time: std::time::Duration::from_nanos(self.spent_ns.load(Ordering::Relaxed)),
        }
    }
}

/// The guest call stack at a block boundary, leaf first: the pc, then the
/// return addresses found by following the frame pointer `s0`.
///
/// GCC's RISC-V frames with a frame pointer keep the caller's `s0` at
/// `s0 - 16` and `ra` at `s0 - 8`; a leaf function that saves no `ra`
/// keeps the caller's `s0` at `s0 - 8`, which is then a stack address
/// rather than code: its caller is `ra`. The walk stops at anything that is
/// not a plausible frame (not increasing, not readable, not code).
pub(crate) fn walk(cpu: &Cpu, mem: &AddressSpace) -> Vec<u64> {
    let mut stack = vec![cpu.pc];
    let is_code = |a: u64| a != 0 && mem.perms(a).contains(Perms::X);
    let read = |a: u64| mem.load_u64(a).ok();
    let (sp, mut fp) = (cpu.regs[2], cpu.regs[8]);
    if fp < sp || fp.wrapping_sub(sp) > 1 << 24 {
        // No frame pointer in use: the caller only, if `ra` is code.
        let ra = cpu.regs[1];
        if is_code(ra) && ra != cpu.pc {
            stack.push(ra);
        }
        return stack;
    }
    // The innermost frame may be a leaf's (no `ra` saved).
    if let Some(v) = read(fp.wrapping_sub(8))
        && !is_code(v)
        && v > fp
        && is_code(cpu.regs[1])
    {
        stack.push(cpu.regs[1]);
        fp = v;
    }
    while stack.len() < MAX_DEPTH {
        let (Some(ra), Some(next)) = (read(fp.wrapping_sub(8)), read(fp.wrapping_sub(16))) else { break };
        if !is_code(ra) {
            break;
        }
        stack.push(ra);
        if next <= fp || next.wrapping_sub(fp) > 1 << 24 {
            break;
        }
        fp = next;
    }
    stack
}
