//! Where the guest's threads and the stub meet: the [`Hub`] is the
//! process's [`Debugger`]. Each guest thread reports its stops to it and is
//! held in it (on its own host thread) while gdb looks; the stub thread
//! reads and writes the held threads' registers, stops them all
//! (all-stop mode) and releases them with what gdb asked (continue, step,
//! a signal).
//!
//! A thread in a system call counts as stopped: gdb sees its registers as
//! they were at the `ecall`, and it is held when the call returns (or
//! before it starts, if the stop came first).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ferrovm_engine::{InterruptHandle, Stop, Vm};
use ferrovm_ir::Cpu;
use ferrovm_linux::{DebugThread, Debugger, ExitStatus, Signal};

/// gdb's number of a thread: 1, 2, 3… in the order threads started.
pub type Id = usize;

/// What a thread was told to do when released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run.
    Continue,
    /// Run one instruction and stop.
    Step,
}

/// Why a thread stopped, as reported to gdb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The engine stopped it.
    Stop(Stop),
    /// A signal is about to be delivered to it.
    Signal(Signal),
    /// It was stopped because gdb asked (Ctrl-C).
    Interrupted,
}

/// Where a thread is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Running,
    /// Held in a hook: `cpu` is its state, and may be written.
    Held,
    /// In a system call: `cpu` is its state at the `ecall` (read-only).
    Syscall,
}

#[derive(Debug)]
struct Slot {
    tid: u32,
    interrupt: InterruptHandle,
    place: Place,
    cpu: Cpu,
    /// `cpu` was written by gdb: the thread takes it when released.
    dirty: bool,
    /// Must stay stopped (until gdb resumes it).
    hold: bool,
    /// What gdb's last resume told it, not applied yet.
    action: Option<Action>,
    /// The signal gdb resumed it with.
    signal: Option<Signal>,
}

#[derive(Debug, Default)]
struct State {
    threads: BTreeMap<Id, Slot>,
    next: Id,
    events: VecDeque<(Id, Event)>,
    exit: Option<ExitStatus>,
    detached: bool,
}

/// The process's debugger: see the module docs.
#[derive(Debug)]
pub struct Hub {
    /// The host process it serves (a forked child of the guest runs free).
    pid: u32,
    vm: Arc<Vm>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Hub {
    /// A hub for the guest process whose VM is `vm`; every thread is held
    /// as soon as it starts, until gdb resumes it.
    pub fn new(vm: Arc<Vm>) -> Arc<Hub> {
        Arc::new(Hub {
            pid: std::process::id(),
            vm,
            state: Mutex::new(State { next: 1, ..State::default() }),
            changed: Condvar::new(),
        })
    }

    /// The VM.
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the hooks are inert (detached, or in a forked child).
    fn inert(&self, st: &State) -> bool {
        st.detached || self.foreign()
    }

    /// In a forked child of the debugged process: nobody listens there,
    /// and the state's lock may have been held by the stub thread at the
    /// fork (so it is not taken).
    fn foreign(&self) -> bool {
        std::process::id() != self.pid
    }

    fn id_of(st: &State, tid: u32) -> Option<Id> {
        st.threads.iter().find(|(_, s)| s.tid == tid).map(|(&id, _)| id)
    }

    /// Holds the thread until gdb releases it; returns the signal gdb gave.
    fn hold<'a>(&'a self, mut st: MutexGuard<'a, State>, id: Id, t: &mut DebugThread<'_>) -> Option<Signal> {
        let slot = st.threads.get_mut(&id)?;
        slot.cpu = t.vcpu.cpu.clone();
        slot.place = Place::Held;
        slot.dirty = false;
        self.changed.notify_all();
        loop {
            if self.inert(&st) || st.exit.is_some() || t.process_exiting() {
                break;
            }
            match st.threads.get(&id) {
                Some(s) if s.hold => {}
                _ => break,
            }
            st = self.changed.wait_timeout(st, Duration::from_millis(50)).unwrap_or_else(PoisonError::into_inner).0;
        }
        let detached = self.inert(&st);
        let slot = st.threads.get_mut(&id)?;
        if slot.dirty {
            t.vcpu.cpu = slot.cpu.clone();
            slot.dirty = false;
        }
        slot.place = Place::Running;
        let action = slot.action.take();
        t.vcpu.set_step(!detached && action == Some(Action::Step));
        slot.signal.take()
    }

    /// Reports `event` of thread `id` and holds it. Nobody listening, a
    /// signal is delivered as it is.
    fn report(&self, t: &mut DebugThread<'_>, event: Event) -> Option<Signal> {
        let unheard = match event {
            Event::Signal(sig) => Some(sig),
            _ => None,
        };
        if self.foreign() {
            self.run_free(t);
            return unheard;
        }
        let mut st = self.lock();
        if self.inert(&st) {
            drop(st);
            self.run_free(t);
            return unheard;
        }
        let Some(id) = Self::id_of(&st, t.tid) else { return unheard };
        if let Some(s) = st.threads.get_mut(&id) {
            s.hold = true;
        }
        st.events.push_back((id, event));
        self.changed.notify_all();
        self.hold(st, id, t)
    }

    /// Nobody listens: clear what would stop the thread again.
    fn run_free(&self, t: &mut DebugThread<'_>) {
        if self.vm.debug_armed() {
            self.vm.clear_debug();
        }
        t.vcpu.set_step(false);
    }

    // The stub's side.

    /// Waits until a thread reported an event (or the process exited), for
    /// at most `timeout`.
    pub(crate) fn next_event(&self, timeout: Duration) -> Option<Result<(Id, Event), ExitStatus>> {
        let mut st = self.lock();
        let until = Instant::now() + timeout;
        loop {
            self.purge(&mut st);
            if let Some(e) = st.events.pop_front() {
                return Some(Ok(e));
            }
            if let Some(status) = st.exit {
                return Some(Err(status));
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            st = self.changed.wait_timeout(st, until - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Drops the events at stop addresses gdb has removed since: the
    /// thread had not run the instruction there, so it just goes on when
    /// resumed.
    fn purge(&self, st: &mut State) {
        let State { events, threads, .. } = st;
        events.retain(|(id, e)| {
            *e != Event::Stop(Stop::Address) || threads.get(id).is_some_and(|s| self.vm.is_stop(s.cpu.pc))
        });
    }

    /// Stops every thread and waits until each is held or in a system
    /// call (or the process exited).
    pub(crate) fn stop_all(&self) {
        let mut st = self.lock();
        for s in st.threads.values_mut() {
            s.hold = true;
            if s.place == Place::Running {
                s.interrupt.interrupt();
            }
        }
        while st.exit.is_none() && st.threads.values().any(|s| s.place == Place::Running) {
            st = self.changed.wait_timeout(st, Duration::from_millis(20)).unwrap_or_else(PoisonError::into_inner).0;
            // A thread that started since.
            for s in st.threads.values_mut().filter(|s| s.place == Place::Running && !s.hold) {
                s.hold = true;
                s.interrupt.interrupt();
            }
        }
    }

    /// Waits until the first thread is held (before it runs anything).
    pub(crate) fn wait_first(&self) {
        let mut st = self.lock();
        while st.exit.is_none() && !st.threads.values().any(|s| s.place == Place::Held) {
            st = self.changed.wait_timeout(st, Duration::from_millis(20)).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Releases threads: `actions` says what each resumed one does; the
    /// others stay stopped.
    pub(crate) fn resume(&self, actions: &[(Id, Action, Option<Signal>)]) {
        let mut st = self.lock();
        self.purge(&mut st);
        if !st.events.is_empty() {
            // Another thread stopped meanwhile: that is reported at once,
            // and nothing runs.
            self.changed.notify_all();
            return;
        }
        for &(id, action, signal) in actions {
            if let Some(s) = st.threads.get_mut(&id) {
                s.hold = false;
                s.action = Some(action);
                s.signal = signal;
            }
        }
        self.changed.notify_all();
    }

    /// Lets everything run free and stops reporting (gdb detached or
    /// killed).
    pub(crate) fn detach(&self) {
        self.vm.clear_debug();
        let mut st = self.lock();
        st.detached = true;
        st.events.clear();
        for s in st.threads.values_mut() {
            s.hold = false;
            s.action = None;
        }
        self.changed.notify_all();
    }

    /// The process ended with `status` (the embedder tells).
    pub fn exited(&self, status: ExitStatus) {
        let mut st = self.lock();
        st.exit = Some(status);
        self.changed.notify_all();
    }

    /// The live threads' ids.
    pub(crate) fn threads(&self) -> Vec<Id> {
        self.lock().threads.keys().copied().collect()
    }

    /// Reads a stopped thread's registers.
    pub(crate) fn cpu(&self, id: Id) -> Option<Cpu> {
        let st = self.lock();
        st.threads.get(&id).filter(|s| s.place != Place::Running).map(|s| s.cpu.clone())
    }

    /// Changes a held thread's registers; `false` if it is not held (a
    /// thread in a system call cannot be changed).
    pub(crate) fn set_cpu(&self, id: Id, change: impl FnOnce(&mut Cpu)) -> bool {
        let mut st = self.lock();
        match st.threads.get_mut(&id) {
            Some(s) if s.place == Place::Held => {
                change(&mut s.cpu);
                s.dirty = true;
                true
            }
            _ => false,
        }
    }
}

impl Debugger for Hub {
    fn thread_started(&self, tid: u32, interrupt: InterruptHandle) {
        if self.foreign() {
            return;
        }
        let mut st = self.lock();
        if self.inert(&st) {
            return;
        }
        let id = st.next;
        st.next += 1;
        // A thread started while the others are stopped stops too (it
        // reaches a checkpoint before its first instruction).
        let hold = st.threads.is_empty() || st.threads.values().any(|s| s.hold);
        st.threads.insert(
            id,
            Slot {
                tid,
                interrupt,
                place: Place::Running,
                cpu: Cpu::default(),
                dirty: false,
                hold,
                action: None,
                signal: None,
            },
        );
        self.changed.notify_all();
    }

    fn thread_exited(&self, tid: u32) {
        if self.foreign() {
            return;
        }
        let mut st = self.lock();
        if let Some(id) = Self::id_of(&st, tid) {
            st.threads.remove(&id);
            st.events.retain(|(i, _)| *i != id);
        }
        self.changed.notify_all();
    }

    fn checkpoint(&self, t: &mut DebugThread<'_>) -> Option<Signal> {
        if self.foreign() {
            self.run_free(t);
            return None;
        }
        let mut st = self.lock();
        if self.inert(&st) {
            return None;
        }
        let id = Self::id_of(&st, t.tid)?;
        let slot = st.threads.get_mut(&id)?;
        slot.place = Place::Running;
        if slot.hold {
            return self.hold(st, id, t);
        }
        self.changed.notify_all();
        None
    }

    fn stop(&self, t: &mut DebugThread<'_>, stop: Stop) -> Option<Signal> {
        self.report(t, Event::Stop(stop))
    }

    fn syscall(&self, t: &mut DebugThread<'_>) {
        if self.foreign() {
            return;
        }
        let mut st = self.lock();
        if self.inert(&st) {
            return;
        }
        let Some(id) = Self::id_of(&st, t.tid) else { return };
        if st.threads.get(&id).is_some_and(|s| s.hold) {
            // Stopped before the call starts. (A signal gdb resumes it
            // with here is dropped: gdb gives one only with a stop it
            // reported, and it reported none for this thread.)
            let _ = self.hold(st, id, t);
            st = self.lock();
        }
        if let Some(s) = st.threads.get_mut(&id) {
            s.cpu = t.vcpu.cpu.clone();
            s.place = Place::Syscall;
        }
        self.changed.notify_all();
    }

    fn signal(&self, t: &mut DebugThread<'_>, sig: Signal) -> Option<Signal> {
        self.report(t, Event::Signal(sig))
    }
}
