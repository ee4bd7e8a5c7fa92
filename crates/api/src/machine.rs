//! [`Machine`]: one guest CPU and its memory, run by the embedder.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use ferrovm_engine::{EngineConfig, Exit, InterruptHandle, Stop, Vcpu, Vm, Watch, WatchKind};
use ferrovm_ir::Cpu;
use ferrovm_linux::elf::LoadedElf;
use ferrovm_linux::{ExitStatus, Options, Process};
use ferrovm_mem::{AddressSpace, Fault, Mapping, MemSnapshot, PAGE_SIZE, Perms, Restored};

use crate::hooks::{Callback, Ecall, Flow, HookId, Hooks, Kind, MemAccess, Resolve};
use crate::{Error, Reg, Result};

/// Why [`Machine::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The Linux program ended ([`Machine::linux`] machines).
    Exited(ExitStatus),
    /// An `ecall` nobody handled (`pc` at the `ecall`): a bare machine
    /// with no `ecall` hook, or a hook said [`Ecall::Stop`].
    Ecall,
    /// An `ebreak` (`pc` at it), on a bare machine.
    Breakpoint,
    /// An illegal instruction (`pc` at it) nobody handled.
    Illegal {
        /// Its bits when known (0 otherwise).
        bits: u32,
    },
    /// A memory fault nobody handled (`pc` at the instruction).
    Fault(Fault),
    /// `pc` reached [`Run::until`] (that instruction has not run).
    Until,
    /// [`Run::count`] instructions ran.
    Count,
    /// [`Run::timeout`] passed.
    Timeout,
    /// A [`StopHandle`] or a hook stopped the run.
    Stopped,
}

/// How long a run goes on: until an event ends it ([`Outcome`]), and
/// optionally until an address, for a number of instructions, or for a
/// time (Unicorn's `uc_emu_start(begin, until, timeout, count)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Stop before running the instruction at this address.
    pub until: Option<u64>,
    /// Stop after this many instructions.
    pub count: Option<u64>,
    /// Stop after this long (wall-clock).
    pub timeout: Option<Duration>,
}

impl Run {
    /// Until an event ends the run.
    pub fn to_end() -> Run {
        Run::default()
    }

    /// Also stop before the instruction at `addr`.
    pub fn until(mut self, addr: u64) -> Run {
        self.until = Some(addr);
        self
    }

    /// Also stop after `n` instructions.
    pub fn count(mut self, n: u64) -> Run {
        self.count = Some(n);
        self
    }

    /// Also stop after `d`.
    pub fn timeout(mut self, d: Duration) -> Run {
        self.timeout = Some(d);
        self
    }
}

/// Stops a running [`Machine`] from another thread ([`Machine::stop_handle`],
/// Unicorn's `uc_emu_stop`). The run returns [`Outcome::Stopped`] at its
/// next block boundary; a stop asked while the machine is not running
/// stops its next run at once.
#[derive(Clone, Debug)]
pub struct StopHandle {
    interrupt: InterruptHandle,
    requested: Arc<AtomicBool>,
}

impl StopHandle {
    /// Asks the machine to stop.
    pub fn stop(&self) {
        self.requested.store(true, Ordering::Release);
        self.interrupt.interrupt();
    }
}

/// A saved CPU and memory state ([`Machine::snapshot`]).
#[derive(Clone, Debug)]
pub struct Snapshot {
    cpu: Cpu,
    mem: MemSnapshot,
}

impl Snapshot {
    /// The saved registers.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// Bytes of guest memory saved.
    pub fn bytes(&self) -> u64 {
        self.mem.bytes()
    }
}

/// Who runs the guest: the embedder alone, or a Linux process too.
enum Backend {
    Bare(Box<Vcpu>),
    Linux(Box<Process>),
}

/// A RISC-V (riscv64) machine: one CPU, its memory, its hooks. See the
/// crate docs for an example.
pub struct Machine {
    backend: Backend,
    mem: Arc<AddressSpace>,
    vm: Arc<Vm>,
    pub(crate) hooks: Hooks,
    /// Stop ranges and watches set in the engine for code and memory
    /// hooks.
    armed_ranges: Vec<(u64, u64)>,
    armed_watches: Vec<Watch>,
    stop_requested: Arc<AtomicBool>,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("pc", &self.cpu().pc)
            .field("linux", &matches!(self.backend, Backend::Linux(_)))
            .finish_non_exhaustive()
    }
}

impl Machine {
    /// A bare machine (Unicorn's `uc_open`): no memory mapped, every
    /// register 0. System calls are the embedder's ([`Machine::hook_ecall`]).
    pub fn new(config: EngineConfig) -> Result<Machine> {
        let mem = Arc::new(AddressSpace::new()?);
        let vm = Vm::new(Arc::clone(&mem), config);
        let vcpu = vm.vcpu(Cpu::default());
        Ok(Machine::with(Backend::Bare(Box::new(vcpu)), mem, vm))
    }

    /// A machine running the Linux program at `path` (static or
    /// dynamic): loaded with its stack, argv and environment as
    /// `ferrovm run` does, system calls served by the Linux layer unless
    /// an `ecall` hook takes them, faults turned into signals unless an
    /// invalid-access hook fixes them. Hooks, stops and snapshots concern
    /// the program's first thread; threads it creates run freely (do not
    /// use code or memory hooks, [`Run::until`] or snapshots with a
    /// multi-threaded program). A snapshot holds memory and registers,
    /// not the process's descriptors or other kernel state.
    pub fn linux(path: &Path, options: Options) -> Result<Machine> {
        let process = Process::load(path, options)?;
        let vm = Arc::clone(process.vm());
        let mem = Arc::clone(vm.memory());
        Ok(Machine::with(Backend::Linux(Box::new(process)), mem, vm))
    }

    fn with(backend: Backend, mem: Arc<AddressSpace>, vm: Arc<Vm>) -> Machine {
        Machine {
            backend,
            mem,
            vm,
            hooks: Hooks::default(),
            armed_ranges: Vec::new(),
            armed_watches: Vec::new(),
            stop_requested: Arc::new(AtomicBool::new(false)),
        }
    }

    fn vcpu(&mut self) -> &mut Vcpu {
        match &mut self.backend {
            Backend::Bare(v) => v,
            Backend::Linux(p) => p.vcpu_mut(),
        }
    }

    /// The CPU state (every register, `pc`, `fflags`, `frm`, `instret`).
    pub fn cpu(&self) -> &Cpu {
        match &self.backend {
            Backend::Bare(v) => &v.cpu,
            Backend::Linux(p) => p.cpu(),
        }
    }

    /// The CPU state, to change it.
    pub fn cpu_mut(&mut self) -> &mut Cpu {
        &mut self.vcpu().cpu
    }

    /// The engine's VM (statistics, its report).
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// The guest memory itself (checked accesses, atomics, the code-page
    /// machinery).
    pub fn memory(&self) -> &Arc<AddressSpace> {
        &self.mem
    }

    /// The Linux process of a [`Machine::linux`] machine (its syscall
    /// filter, symbols, loader information).
    pub fn process(&self) -> Option<&Process> {
        match &self.backend {
            Backend::Linux(p) => Some(p),
            Backend::Bare(_) => None,
        }
    }

    /// A handle that stops this machine's run from another thread.
    pub fn stop_handle(&mut self) -> StopHandle {
        let interrupt = self.vcpu().interrupt_handle();
        StopHandle { interrupt, requested: Arc::clone(&self.stop_requested) }
    }
}

/// Memory (Unicorn's `uc_mem_*`).
impl Machine {
    /// Maps `[addr, addr + len)` zero-filled with `perms`, replacing what
    /// was there (`addr` page-aligned, `len` rounded up to pages).
    pub fn map(&self, addr: u64, len: u64, perms: Perms) -> Result<()> {
        Ok(self.mem.map(addr, len, perms)?)
    }

    /// Unmaps `[addr, addr + len)`.
    pub fn unmap(&self, addr: u64, len: u64) -> Result<()> {
        Ok(self.mem.unmap(addr, len)?)
    }

    /// Changes the permissions of `[addr, addr + len)` (all mapped).
    pub fn protect(&self, addr: u64, len: u64, perms: Perms) -> Result<()> {
        Ok(self.mem.protect(addr, len, perms)?)
    }

    /// The mappings, in address order.
    pub fn mappings(&self) -> Vec<Mapping> {
        self.mem.mappings()
    }

    /// Reads guest memory, whatever its permissions (mapped is enough).
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.mem.read_bytes_force(addr, buf).map_err(Error::Access)
    }

    /// Writes guest memory, whatever its permissions (mapped is enough).
    /// Compiled code of the pages written is dropped.
    pub fn write(&self, addr: u64, data: &[u8]) -> Result<()> {
        self.mem.write_bytes_force(addr, data).map_err(Error::Access)
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, addr: u64) -> Result<u64> {
        let mut b = [0; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&self, addr: u64, value: u64) -> Result<()> {
        self.write(addr, &value.to_le_bytes())
    }

    /// Places raw machine code at `addr`: the pages it needs that are not
    /// mapped are mapped read-execute, then the bytes are written. `pc`
    /// is not changed.
    pub fn load_code(&self, addr: u64, code: &[u8]) -> Result<()> {
        let end =
            addr.checked_add(code.len() as u64).ok_or(ferrovm_mem::Error::BadRange { addr, len: code.len() as u64 })?;
        let mut page = addr & !(PAGE_SIZE - 1);
        while page < end {
            if !self.mem.page_mapped(page) {
                self.mem.map(page, PAGE_SIZE, Perms::RX)?;
            }
            page += PAGE_SIZE;
        }
        self.write(addr, code)
    }

    /// Loads a static ELF executable's segments (a position-independent
    /// one at [`ferrovm_linux::elf::PIE_BASE`]) and sets `pc` to its
    /// entry. No stack, no Linux: for bare-metal-style code; a program
    /// for Linux wants [`Machine::linux`].
    pub fn load_elf(&mut self, path: &Path) -> Result<LoadedElf> {
        let data = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let loaded = ferrovm_linux::elf::load(&self.mem, &data, None, path, ferrovm_linux::elf::PIE_BASE)?;
        if loaded.interp.is_some() {
            return Err(Error::Dynamic(path.to_path_buf()));
        }
        self.cpu_mut().pc = loaded.entry;
        Ok(loaded)
    }
}

/// Registers (Unicorn's `uc_reg_read`/`uc_reg_write`).
impl Machine {
    /// Reads a register.
    pub fn reg(&self, reg: Reg) -> Result<u64> {
        let cpu = self.cpu();
        Ok(match reg.slot()? {
            Some(i) => cpu.regs[i],
            None => match reg {
                Reg::Pc => cpu.pc,
                Reg::Fflags => cpu.fflags,
                Reg::Frm => cpu.frm,
                _ => cpu.frm << 5 | cpu.fflags,
            },
        })
    }

    /// Writes a register (a write to `x0` is ignored; `fflags`, `frm` and
    /// `fcsr` keep their defined bits).
    pub fn set_reg(&mut self, reg: Reg, value: u64) -> Result<()> {
        let slot = reg.slot()?;
        let cpu = self.cpu_mut();
        match (slot, reg) {
            (Some(0), _) => {}
            (Some(i), _) => cpu.regs[i] = value,
            (None, Reg::Pc) => cpu.pc = value,
            (None, Reg::Fflags) => cpu.fflags = value & 0x1f,
            (None, Reg::Frm) => cpu.frm = value & 7,
            (None, _) => {
                cpu.fflags = value & 0x1f;
                cpu.frm = (value >> 5) & 7;
            }
        }
        Ok(())
    }

    /// `pc`.
    pub fn pc(&self) -> u64 {
        self.cpu().pc
    }

    /// Sets `pc`.
    pub fn set_pc(&mut self, pc: u64) {
        self.cpu_mut().pc = pc;
    }
}

/// Snapshots (Unicorn's `uc_context_save`/`uc_context_restore`, with
/// memory).
impl Machine {
    /// Saves the registers and a copy of all memory, and starts tracking
    /// the pages written from now on.
    pub fn snapshot(&self) -> Result<Snapshot> {
        Ok(Snapshot { cpu: self.cpu().clone(), mem: self.mem.snapshot()? })
    }

    /// Puts registers and memory back as they were at `snap`. Copies only
    /// the pages written since, unless the mappings changed or another
    /// snapshot was taken since (then all of them: `full`).
    pub fn restore(&mut self, snap: &Snapshot) -> Result<Restored> {
        let restored = self.mem.restore(&snap.mem)?;
        *self.cpu_mut() = snap.cpu.clone();
        Ok(restored)
    }
}

/// Hooks (Unicorn's `uc_hook_add`/`uc_hook_del`); see [`crate::hooks`].
impl Machine {
    /// Calls `f(machine, pc)` before every guest block runs (`UC_HOOK_BLOCK`).
    /// With [`EngineConfig::block_exits`] compiled code returns to the
    /// run loop at every block boundary and blocks run compiled; without
    /// it the machine interprets while a block hook is installed.
    pub fn hook_block(&mut self, f: impl FnMut(&mut Machine, u64) -> Flow + Send + 'static) -> HookId {
        self.add(Callback::Block(Box::new(f)))
    }

    /// Calls `f(machine, pc)` before every instruction in `[start, end)`
    /// (`UC_HOOK_CODE`). The machine interprets while it is installed.
    pub fn hook_code(
        &mut self,
        start: u64,
        end: u64,
        f: impl FnMut(&mut Machine, u64) -> Flow + Send + 'static,
    ) -> HookId {
        self.add(Callback::Code { start, end, f: Box::new(f) })
    }

    /// Calls `f` after every instruction that loaded from `[start, end)`
    /// (`UC_HOOK_MEM_READ`, but after the access). Interprets while installed.
    pub fn hook_mem_read(
        &mut self,
        start: u64,
        end: u64,
        f: impl FnMut(&mut Machine, MemAccess) -> Flow + Send + 'static,
    ) -> HookId {
        self.add(Callback::Mem { start, end, write: false, f: Box::new(f) })
    }

    /// Calls `f` after every instruction that stored to `[start, end)`
    /// (`UC_HOOK_MEM_WRITE`, but after the access, with the value
    /// written). Interprets while installed.
    pub fn hook_mem_write(
        &mut self,
        start: u64,
        end: u64,
        f: impl FnMut(&mut Machine, MemAccess) -> Flow + Send + 'static,
    ) -> HookId {
        self.add(Callback::Mem { start, end, write: true, f: Box::new(f) })
    }

    /// Calls `f(machine, fault)` when an access faults: unmapped memory,
    /// a permission, a misaligned atomic (`UC_HOOK_MEM_INVALID`). It may
    /// map memory or change permissions and return [`Resolve::Retry`].
    pub fn hook_invalid(&mut self, f: impl FnMut(&mut Machine, Fault) -> Resolve + Send + 'static) -> HookId {
        self.add(Callback::Invalid(Box::new(f)))
    }

    /// Calls `f(machine)` on every `ecall`, `pc` at it (`UC_HOOK_INTR`).
    pub fn hook_ecall(&mut self, f: impl FnMut(&mut Machine) -> Ecall + Send + 'static) -> HookId {
        self.add(Callback::Ecall(Box::new(f)))
    }

    /// Calls `f(machine, bits)` on an illegal instruction, `pc` at it
    /// (`UC_HOOK_INSN_INVALID`).
    pub fn hook_illegal(&mut self, f: impl FnMut(&mut Machine, u32) -> Resolve + Send + 'static) -> HookId {
        self.add(Callback::Illegal(Box::new(f)))
    }

    /// Removes a hook (also from inside a hook, itself included).
    pub fn remove_hook(&mut self, id: HookId) -> Result<()> {
        if !self.hooks.remove(id) {
            return Err(Error::NoHook(id));
        }
        self.sync_engine();
        Ok(())
    }

    fn add(&mut self, callback: Callback) -> HookId {
        let id = self.hooks.add(callback);
        self.sync_engine();
        id
    }

    /// Sets the engine's block stops, stop ranges and watches from the
    /// hooks installed.
    fn sync_engine(&mut self) {
        self.hooks.compact();
        self.hooks.changed = self.hooks.depth > 0;
        let blocks = self.hooks.any(Kind::Block);
        if self.vcpu().block_stops() != blocks {
            self.vcpu().set_block_stops(blocks);
        }
        let mut ranges = Vec::new();
        let mut watches = Vec::new();
        for e in self.hooks.entries.iter().filter(|e| !e.removed) {
            match &e.callback {
                Some(Callback::Code { start, end, .. }) => ranges.push((*start, *end)),
                Some(Callback::Mem { start, end, write, .. }) => watches.push(Watch {
                    addr: *start,
                    len: end.saturating_sub(*start).max(1),
                    kind: if *write { WatchKind::Write } else { WatchKind::Read },
                }),
                _ => {}
            }
        }
        // A running hook's own range is kept (its callback is out).
        for e in self.hooks.entries.iter().filter(|e| !e.removed && e.callback.is_none()) {
            if e.kind == Kind::Code {
                ranges.extend(self.armed_ranges.iter().copied());
            }
            if e.kind == Kind::Mem {
                watches.extend(self.armed_watches.iter().copied());
            }
        }
        ranges.sort_unstable();
        ranges.dedup();
        watches.dedup();
        if ranges != self.armed_ranges {
            for &(s, e) in &self.armed_ranges {
                self.vm.remove_stop_range(s, e);
            }
            for &(s, e) in &ranges {
                self.vm.add_stop_range(s, e);
            }
            self.armed_ranges = ranges;
        }
        if watches != self.armed_watches {
            for w in &self.armed_watches {
                self.vm.remove_watch(*w);
            }
            for w in &watches {
                self.vm.add_watch(*w);
            }
            self.armed_watches = watches;
        }
    }

    /// Calls the hooks of `kind` in order with `call` until one returns
    /// `Some`.
    fn each<R>(&mut self, kind: Kind, mut call: impl FnMut(&mut Machine, &mut Callback) -> Option<R>) -> Option<R> {
        let mut result = None;
        // Hooks added by a hook are appended: they run from the next event.
        let n = self.hooks.entries.len();
        for i in 0..n {
            let Some(mut cb) = self.hooks.take(i, kind) else { continue };
            self.hooks.depth += 1;
            let r = call(self, &mut cb);
            self.hooks.depth -= 1;
            self.hooks.put(i, cb);
            if r.is_some() {
                result = r;
                break;
            }
        }
        if self.hooks.changed && self.hooks.depth == 0 {
            self.sync_engine();
        }
        result
    }
}

/// Running (Unicorn's `uc_emu_start`).
impl Machine {
    /// Runs from `pc` until an event ends the run.
    pub fn run(&mut self) -> Result<Outcome> {
        self.run_with(Run::to_end())
    }

    /// Runs from `pc` until it reaches `addr` (or an event ends the run).
    pub fn run_until(&mut self, addr: u64) -> Result<Outcome> {
        self.run_with(Run::to_end().until(addr))
    }

    /// Runs `n` instructions (or until an event ends the run).
    pub fn run_for(&mut self, n: u64) -> Result<Outcome> {
        self.run_with(Run::to_end().count(n))
    }

    /// Sets `pc` to `begin` and runs as `run` says.
    pub fn start(&mut self, begin: u64, run: Run) -> Result<Outcome> {
        self.set_pc(begin);
        self.run_with(run)
    }

    /// Runs from `pc` as `run` says.
    ///
    /// [`Run::until`] at an address that is not executable (a return
    /// address nothing is mapped at, the usual way to call a guest
    /// function) costs nothing: the run ends when the guest jumps there.
    /// At an executable address it is a stop address of the engine's
    /// debug state, and the run interprets until it is reached.
    pub fn run_with(&mut self, run: Run) -> Result<Outcome> {
        let until = run.until.filter(|&a| self.mem.perms(a).exec() && self.vm.add_stop(a));
        if let Some(n) = run.count {
            self.vcpu().set_budget(Some(n));
        }
        let timer = run.timeout.map(|d| Timer::start(d, self.vcpu().interrupt_handle()));
        let outcome = self.run_loop(run.until, timer.as_ref());
        if let Some(t) = timer {
            t.finish();
        }
        if run.count.is_some() {
            self.vcpu().set_budget(None);
        }
        if let Some(a) = until {
            self.vm.remove_stop(a);
        }
        outcome
    }

    fn run_loop(&mut self, until: Option<u64>, timer: Option<&Timer>) -> Result<Outcome> {
        loop {
            let exit = self.vcpu().run();
            match exit {
                Exit::Debug(Stop::Block) => {
                    let pc = self.pc();
                    if until == Some(pc) {
                        return Ok(Outcome::Until);
                    }
                    let flow = self.each(Kind::Block, |m, cb| match cb {
                        Callback::Block(f) => (f(m, pc) == Flow::Stop).then_some(()),
                        _ => None,
                    });
                    if flow.is_some() {
                        return Ok(Outcome::Stopped);
                    }
                }
                Exit::Debug(Stop::Address) => {
                    let pc = self.pc();
                    if until == Some(pc) {
                        return Ok(Outcome::Until);
                    }
                    let flow = self.each(Kind::Code, |m, cb| match cb {
                        Callback::Code { start, end, f } if (*start..*end).contains(&pc) => {
                            (f(m, pc) == Flow::Stop).then_some(())
                        }
                        _ => None,
                    });
                    if flow.is_some() {
                        return Ok(Outcome::Stopped);
                    }
                    if self.pc() == pc {
                        self.vcpu().resume_past_stop();
                    }
                }
                Exit::Debug(Stop::Watch { .. }) => {
                    if self.memory_hooks() == Flow::Stop {
                        return Ok(Outcome::Stopped);
                    }
                }
                Exit::Debug(Stop::Budget) => return Ok(Outcome::Count),
                Exit::Debug(Stop::Step) => {}
                Exit::Interrupted => {
                    if timer.is_some_and(Timer::fired) {
                        return Ok(Outcome::Timeout);
                    }
                    if self.stop_requested.swap(false, Ordering::AcqRel) {
                        return Ok(Outcome::Stopped);
                    }
                    if let Some(status) = self.linux_default(exit) {
                        return Ok(Outcome::Exited(status));
                    }
                }
                Exit::Ecall => {
                    let action = self.each(Kind::Ecall, |m, cb| match cb {
                        Callback::Ecall(f) => Some(f(m)).filter(|a| *a != Ecall::Pass),
                        _ => None,
                    });
                    match action {
                        Some(Ecall::Return(v)) => {
                            let cpu = self.cpu_mut();
                            cpu.regs[10] = v;
                            cpu.pc = cpu.pc.wrapping_add(4);
                        }
                        Some(Ecall::Resume) => {}
                        Some(Ecall::Stop) => return Ok(Outcome::Ecall),
                        Some(Ecall::Pass) | None => match &self.backend {
                            Backend::Bare(_) => return Ok(Outcome::Ecall),
                            Backend::Linux(_) => {
                                if let Some(status) = self.linux_default(exit) {
                                    return Ok(Outcome::Exited(status));
                                }
                            }
                        },
                    }
                }
                Exit::Fault(fault) => {
                    if fault.access == ferrovm_mem::Access::Exec && until == Some(fault.addr) {
                        // A jump to a non-executable `until`.
                        return Ok(Outcome::Until);
                    }
                    let action = self.each(Kind::Invalid, |m, cb| match cb {
                        Callback::Invalid(f) => Some(f(m, fault)).filter(|a| *a != Resolve::Pass),
                        _ => None,
                    });
                    if let Some(outcome) = self.resolve(action, exit, Outcome::Fault(fault)) {
                        return Ok(outcome);
                    }
                }
                Exit::Illegal { bits } => {
                    let action = self.each(Kind::Illegal, |m, cb| match cb {
                        Callback::Illegal(f) => Some(f(m, bits)).filter(|a| *a != Resolve::Pass),
                        _ => None,
                    });
                    if let Some(outcome) = self.resolve(action, exit, Outcome::Illegal { bits }) {
                        return Ok(outcome);
                    }
                }
                Exit::Breakpoint => {
                    if let Some(outcome) = self.resolve(None, exit, Outcome::Breakpoint) {
                        return Ok(outcome);
                    }
                }
            }
        }
    }

    /// After a fault or illegal-instruction hook: `Some` to end the run.
    fn resolve(&mut self, action: Option<Resolve>, exit: Exit, outcome: Outcome) -> Option<Outcome> {
        match action {
            Some(Resolve::Retry) => None,
            Some(Resolve::Stop) => Some(outcome),
            Some(Resolve::Pass) | None => match &self.backend {
                Backend::Bare(_) => Some(outcome),
                Backend::Linux(_) => self.linux_default(exit).map(Outcome::Exited),
            },
        }
    }

    /// The Linux layer handles `exit` (a system call, a signal); the
    /// status if the program ended. Nothing on a bare machine.
    fn linux_default(&mut self, exit: Exit) -> Option<ExitStatus> {
        match &mut self.backend {
            Backend::Linux(p) => p.handle_exit(exit),
            Backend::Bare(_) => None,
        }
    }

    /// Calls the memory hooks for the watched accesses of the last
    /// instruction.
    fn memory_hooks(&mut self) -> Flow {
        let hits = self.vcpu().watch_hits().to_vec();
        for hit in hits {
            let mut bytes = [0u8; 8];
            let n = usize::from(hit.size.min(8));
            let value = match self.mem.read_bytes_force(hit.addr, &mut bytes[..n]) {
                Ok(()) => u64::from_le_bytes(bytes),
                Err(_) => 0,
            };
            let end = hit.addr.saturating_add(u64::from(hit.size));
            for write in [false, true] {
                let wanted = match hit.kind {
                    WatchKind::Read => !write,
                    WatchKind::Write => write,
                    WatchKind::Access => true,
                };
                if !wanted {
                    continue;
                }
                let access = MemAccess { addr: hit.addr, size: hit.size, value, write };
                let stop = self.each(Kind::Mem, |m, cb| match cb {
                    Callback::Mem { start, end: e, write: w, f } if *w == write && hit.addr < *e && *start < end => {
                        (f(m, access) == Flow::Stop).then_some(())
                    }
                    _ => None,
                });
                if stop.is_some() {
                    return Flow::Stop;
                }
            }
        }
        Flow::Continue
    }
}

/// A run's timeout: a thread that interrupts the vCPU when it passes.
struct Timer {
    fired: Arc<AtomicBool>,
    cancel: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
    interrupt: InterruptHandle,
}

impl Timer {
    fn start(d: Duration, interrupt: InterruptHandle) -> Timer {
        let fired = Arc::new(AtomicBool::new(false));
        let (cancel, wait) = mpsc::channel::<()>();
        let (flag, handle) = (Arc::clone(&fired), interrupt.clone());
        let thread = std::thread::spawn(move || {
            if wait.recv_timeout(d) == Err(mpsc::RecvTimeoutError::Timeout) {
                flag.store(true, Ordering::Release);
                handle.interrupt();
            }
        });
        Timer { fired, cancel, thread, interrupt }
    }

    fn fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }

    /// Ends the timer; a timeout that fired after the run ended does not
    /// stop the next run.
    fn finish(self) {
        drop(self.cancel);
        let _ = self.thread.join();
        if self.fired.load(Ordering::Acquire) {
            self.interrupt.cancel();
        }
    }
}
