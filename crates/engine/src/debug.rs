//! Stopping guest code where an embedder asks: stop addresses
//! (breakpoints, "run until"), an instruction budget ("run N
//! instructions"), single steps, watched memory ranges (watchpoints,
//! memory hooks) and per-vCPU stop requests ([`crate::InterruptHandle`]).
//! The gdb stub is built on it, and so is the embedding API's control of
//! a run.
//!
//! # How it works
//!
//! The VM holds the stop addresses and the watched ranges ([`Vm::add_stop`],
//! [`Vm::add_watch`]); each [`Vcpu`] holds its own single-step switch and
//! instruction budget ([`Vcpu::set_step`], [`Vcpu::set_budget`]). While
//! none of these is set the run loop is exactly the normal one: nothing is
//! checked in compiled code or per block. The run loop looks at the debug
//! state only where it already branches: when [`Vcpu::run`] starts, and on
//! a vCPU's exit request, which compiled code and the interpreter already
//! poll at block boundaries. Arming anything sets every vCPU's exit
//! request, so a vCPU that is running compiled code leaves it at its next
//! block boundary or loop back-edge.
//!
//! While anything is armed, a vCPU runs the *debug loop* instead:
//!
//! - **No compiled code runs.** Every instruction is executed by the
//!   interpreter, from the same lifted IR the JIT compiles, so the guest
//!   computes the same thing under every engine and no breakpoint can sit
//!   inside a compiled region, a chained jump, an inline cache or a
//!   return-address-stack prediction that skips it. Compiled code stays in
//!   the cache and is entered again once everything is disarmed. (Compiled
//!   code covering a stop address is therefore never run, rather than
//!   invalidated: dropping and recompiling it would cost more than it
//!   saves while a debugger is attached.)
//! - **Stop addresses only** (no watch, step or budget): whole interpreter
//!   blocks run when none of their instructions is a stop address, so
//!   `continue` to a breakpoint runs at the interpreter's speed; a block
//!   that holds one runs one instruction at a time up to it.
//! - **Steps, budgets and watched ranges**: one instruction at a time
//!   (the one-instruction translation kept for slow accesses).
//! - **Watchpoints** are checked by the interpreter itself
//!   ([`ferrovm_interp::execute_observed`]): every load, store, LR/SC and
//!   AMO is matched against the watched ranges before it is made. The
//!   access completes and the vCPU stops after the instruction (the trap
//!   semantics gdb expects of hardware watchpoints, as on x86), with
//!   [`Stop::Watch`].
//!
//! A stop is an [`Exit::Debug`] with `cpu.pc` the address of the next
//! instruction to run and every register precise. A stop address stops the
//! vCPU *before* the instruction there runs, every time it is reached
//! (resuming from one means stepping it first with the stop removed, or
//! removing it: gdb does this itself).
//!
//! ```
//! use ferrovm_engine::{EngineConfig, Exit, Stop, Vm};
//! use ferrovm_ir::Cpu;
//! use ferrovm_mem::{AddressSpace, Perms};
//! use std::sync::Arc;
//!
//! let mem = Arc::new(AddressSpace::new().unwrap());
//! mem.map(0x10000, 0x1000, Perms::RWX).unwrap();
//! // addi a0, a0, 1 ; addi a0, a0, 1 ; ecall
//! mem.write_bytes(0x10000, &[0x13, 0x05, 0x15, 0x00, 0x13, 0x05, 0x15, 0x00, 0x73, 0, 0, 0]).unwrap();
//! let vm = Vm::new(mem, EngineConfig::default());
//! let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
//! vm.add_stop(0x10004);
//! assert_eq!(vcpu.run(), Exit::Debug(Stop::Address));
//! assert_eq!((vcpu.cpu.pc, vcpu.cpu.regs[10]), (0x10004, 1));
//! vm.remove_stop(0x10004);
//! vcpu.set_step(true);
//! assert_eq!(vcpu.run(), Exit::Debug(Stop::Step));
//! assert_eq!((vcpu.cpu.pc, vcpu.cpu.regs[10]), (0x10008, 2));
//! vcpu.set_step(false);
//! assert_eq!(vcpu.run(), Exit::Ecall);
//! ```

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use ferrovm_interp::{BlockExit, Lowered, MemAccess, Observer, execute_observed};
use ferrovm_riscv::lift::LiftError;

use crate::Exit;
use crate::hooks::WatchHit;
use crate::vcpu::Vcpu;
use crate::vm::{Vm, request};

/// Why a vCPU stopped for the debugger ([`Exit::Debug`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `cpu.pc` is a stop address ([`Vm::add_stop`]); its instruction has
    /// not run.
    Address,
    /// One instruction ran ([`Vcpu::set_step`]).
    Step,
    /// The instruction budget ran out ([`Vcpu::set_budget`]).
    Budget,
    /// `cpu.pc` starts a block and block stops are on
    /// ([`Vcpu::set_block_stops`]); the block has not run.
    Block,
    /// The instruction before `cpu.pc` accessed a watched range.
    Watch {
        /// The start of the watched range.
        addr: u64,
        /// The watch that matched.
        kind: WatchKind,
    },
}

/// Which accesses a watched range stops on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// Stores (gdb's `watch`).
    Write,
    /// Loads (gdb's `rwatch`).
    Read,
    /// Both (gdb's `awatch`).
    Access,
}

impl WatchKind {
    fn matches(self, access: MemAccess) -> bool {
        match self {
            WatchKind::Write => access != MemAccess::Read,
            WatchKind::Read => access != MemAccess::Write,
            WatchKind::Access => true,
        }
    }
}

/// A watched memory range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Watch {
    /// First byte.
    pub addr: u64,
    /// Bytes watched (at least 1).
    pub len: u64,
    /// Which accesses stop.
    pub kind: WatchKind,
}

/// What the VM's threads share of the debug state.
#[derive(Debug, Default)]
pub(crate) struct Debug {
    /// Something is set: stop addresses or watched ranges.
    armed: AtomicBool,
    stops: RwLock<BTreeSet<u64>>,
    /// Stop ranges `[start, end)` ([`Vm::add_stop_range`]).
    pub(crate) ranges: RwLock<Vec<(u64, u64)>>,
    watches: RwLock<Vec<Watch>>,
}

/// A vCPU's own debug state.
#[derive(Debug, Default)]
pub(crate) struct VcpuDebug {
    /// Stop after each instruction.
    step: bool,
    /// An instruction ran since the last stop (for `step`).
    stepped: bool,
    /// Instructions left before [`Stop::Budget`].
    budget: Option<u64>,
    /// One-instruction translations by pc, valid for `generation`.
    steps: HashMap<u64, Arc<Lowered>>,
    generation: u64,
}

impl Vm {
    /// Makes every vCPU stop before running the instruction at `pc`
    /// ([`Stop::Address`]). Whether it was not set already.
    pub fn add_stop(&self, pc: u64) -> bool {
        let added = self.debug.stops.write().unwrap_or_else(PoisonError::into_inner).insert(pc);
        self.rearm();
        added
    }

    /// Removes a stop address; whether it was set.
    pub fn remove_stop(&self, pc: u64) -> bool {
        let removed = self.debug.stops.write().unwrap_or_else(PoisonError::into_inner).remove(&pc);
        self.rearm();
        removed
    }

    /// Makes every vCPU stop after an instruction that accesses `watch`
    /// ([`Stop::Watch`]). Whether it was not set already.
    pub fn add_watch(&self, watch: Watch) -> bool {
        let mut watches = self.debug.watches.write().unwrap_or_else(PoisonError::into_inner);
        let added = !watches.contains(&watch);
        if added {
            watches.push(watch);
        }
        drop(watches);
        self.rearm();
        added
    }

    /// Removes a watched range; whether it was set.
    pub fn remove_watch(&self, watch: Watch) -> bool {
        let mut watches = self.debug.watches.write().unwrap_or_else(PoisonError::into_inner);
        let before = watches.len();
        watches.retain(|w| *w != watch);
        let removed = watches.len() != before;
        drop(watches);
        self.rearm();
        removed
    }

    /// Removes every stop address and watched range.
    pub fn clear_debug(&self) {
        self.debug.stops.write().unwrap_or_else(PoisonError::into_inner).clear();
        self.debug.watches.write().unwrap_or_else(PoisonError::into_inner).clear();
        self.debug.ranges.write().unwrap_or_else(PoisonError::into_inner).clear();
        self.rearm();
    }

    /// Whether any stop address or watched range is set.
    pub fn debug_armed(&self) -> bool {
        self.debug.armed.load(Ordering::Acquire)
    }

    /// Whether `pc` is a stop address.
    pub fn is_stop(&self, pc: u64) -> bool {
        self.debug.stops.read().unwrap_or_else(PoisonError::into_inner).contains(&pc)
    }

    /// Sets `armed` from the sets, and sends every vCPU to look.
    pub(crate) fn rearm(&self) {
        let armed = !self.debug.stops.read().unwrap_or_else(PoisonError::into_inner).is_empty()
            || !self.debug.watches.read().unwrap_or_else(PoisonError::into_inner).is_empty()
            || !self.debug.ranges.read().unwrap_or_else(PoisonError::into_inner).is_empty();
        self.debug.armed.store(armed, Ordering::SeqCst);
        self.request_all(request::DEBUG);
    }
}

/// Notes which watched range an instruction's accesses hit (the first
/// names the stop), and every access that hit one.
struct Watcher<'a> {
    watches: &'a [Watch],
    hit: Option<Stop>,
    hits: &'a mut Vec<WatchHit>,
}

impl Observer for Watcher<'_> {
    fn access(&mut self, addr: u64, size: u8, kind: MemAccess) {
        let end = addr.saturating_add(u64::from(size));
        let Some(w) = self
            .watches
            .iter()
            .find(|w| w.kind.matches(kind) && addr < w.addr.saturating_add(w.len.max(1)) && w.addr < end)
        else {
            return;
        };
        if self.hit.is_none() {
            self.hit = Some(Stop::Watch { addr: w.addr, kind: w.kind });
        }
        let kind = match kind {
            MemAccess::Read => WatchKind::Read,
            MemAccess::Write => WatchKind::Write,
            MemAccess::ReadWrite => WatchKind::Access,
        };
        self.hits.push(WatchHit { addr, size, kind });
    }
}

impl Vcpu {
    /// Stops after every instruction ([`Stop::Step`]) while set. An
    /// `ecall` counts as one instruction with its system call: the stop
    /// comes before the instruction after it.
    ///
    /// Setting it again while it is set keeps a step that is already
    /// done: after an `ecall` the stop still comes right after its system
    /// call.
    pub fn set_step(&mut self, step: bool) {
        self.debug.step = step;
        if !step {
            self.debug.stepped = false;
        }
    }

    /// Stops after `n` more instructions ([`Stop::Budget`]); `None`: no
    /// limit.
    pub fn set_budget(&mut self, n: Option<u64>) {
        self.debug.budget = n;
    }

    /// Instructions left of the budget.
    pub fn budget(&self) -> Option<u64> {
        self.debug.budget
    }

    /// Whether the debug loop must run.
    #[inline]
    pub(crate) fn debug_wanted(&self) -> bool {
        self.vm.debug.armed.load(Ordering::Relaxed)
            || self.debug.step
            || self.debug.budget.is_some()
            || (self.hooks.block_stops && !self.vm.config.block_exits)
    }

    /// The debug loop (see the module docs): `None` when nothing is armed
    /// any more (back to the normal loop).
    #[cold]
    pub(crate) fn debug_dispatch(&mut self) -> Option<Exit> {
        let vm = Arc::clone(&self.vm);
        let mem = &*vm.mem;
        loop {
            if self.shared.ctx.exit_request.load(Ordering::Relaxed) != 0
                && let Some(exit) = self.requests()
            {
                return Some(exit);
            }
            if !self.debug_wanted() {
                self.hooks.next_in_block = None;
                return None;
            }
            if mem.code_dirty() {
                vm.sync_code();
            }
            let generation = vm.table.generation.load(Ordering::Acquire);
            if generation != self.debug.generation {
                self.debug.steps.clear();
                self.debug.generation = generation;
            }
            if self.debug.step && self.debug.stepped {
                self.debug.stepped = false;
                return Some(Exit::Debug(Stop::Step));
            }
            if self.debug.budget == Some(0) {
                return Some(Exit::Debug(Stop::Budget));
            }
            let pc = self.cpu.pc;
            // A block starts here unless the last step ended inside one.
            let boundary = self.hooks.next_in_block != Some(pc);
            if boundary && self.hooks.block_stops && self.block_boundary() {
                return Some(crate::hooks::BLOCK);
            }
            if self.hooks.skip.is_some_and(|s| s != pc) {
                self.hooks.skip = None;
            }
            let skip = self.hooks.skip == Some(pc);
            let stops = vm.debug.stops.read().unwrap_or_else(PoisonError::into_inner);
            let ranges = vm.debug.ranges.read().unwrap_or_else(PoisonError::into_inner).clone();
            if !skip && (stops.contains(&pc) || ranges.iter().any(|&(s, e)| (s..e).contains(&pc))) {
                return Some(Exit::Debug(Stop::Address));
            }
            let watches = vm.debug.watches.read().unwrap_or_else(PoisonError::into_inner).clone();
            // Whole blocks when only stop addresses (and a budget it
            // covers) are set and none is inside this one; the first
            // instruction of a block being stepped through is not one.
            let whole = if !self.debug.step && watches.is_empty() && boundary {
                match self.debug_block(pc) {
                    Ok(b) => b.filter(|b| {
                        stops.range(b.start..b.end).next().is_none()
                            && !ranges.iter().any(|&(s, e)| s < b.end && b.start < e)
                            && self.debug.budget.is_none_or(|left| u64::from(b.insns) <= left)
                    }),
                    Err(exit) => return Some(exit),
                }
            } else {
                None
            };
            drop(stops);
            if self.hooks.block_stops && whole.is_none() && boundary {
                // Stepping through a block: where it ends.
                match self.debug_block(pc) {
                    Ok(b) => self.hooks.block_end = b.map_or(pc, |b| b.end),
                    Err(exit) => return Some(exit),
                }
            }
            let stepping = whole.is_none();
            let block = match whole {
                Some(b) => b,
                None => match self.debug_step(pc) {
                    Ok(b) => b,
                    Err(exit) => return Some(exit),
                },
            };
            let before = self.cpu.instret;
            self.hooks.hits.clear();
            let mut watcher = Watcher { watches: &watches, hit: None, hits: &mut self.hooks.hits };
            let exit = execute_observed(&block, &mut self.cpu, mem, &mut self.frame, &mut watcher);
            let hit = watcher.hit;
            self.hooks.skip = None;
            self.hooks.next_in_block =
                (self.hooks.block_stops && stepping && self.cpu.pc == block.end && block.end < self.hooks.block_end)
                    .then_some(self.cpu.pc);
            if let Some(left) = &mut self.debug.budget {
                *left = left.saturating_sub(self.cpu.instret.wrapping_sub(before));
            }
            let exit = match exit {
                BlockExit::Continue => None,
                BlockExit::Ecall => Some(Exit::Ecall),
                BlockExit::Ebreak => return Some(Exit::Breakpoint),
                BlockExit::Illegal { bits } => return Some(Exit::Illegal { bits }),
                BlockExit::Fault(f) => return Some(Exit::Fault(f)),
                BlockExit::FenceI => {
                    vm.fence_i();
                    None
                }
            };
            // The instruction completed (an `ecall` completes with its
            // system call, which the caller makes now).
            self.debug.stepped = self.debug.step;
            if exit.is_some() {
                return exit;
            }
            if let Some(stop) = hit {
                self.debug.stepped = false;
                return Some(Exit::Debug(stop));
            }
        }
    }

    /// The interpreter block at `pc` (translated if needed).
    fn debug_block(&mut self, pc: u64) -> Result<Option<Arc<Lowered>>, Exit> {
        let vm = Arc::clone(&self.vm);
        let record = vm.table.record(pc);
        let block = record.state().block.clone();
        if let Some(b) = block {
            return Ok(Some(b));
        }
        match vm.translate(&record, &self.shared.counters) {
            Ok(b) => Ok(Some(b)),
            Err(LiftError::Fetch { addr }) => Err(Exit::Fault(vm.fetch_fault(addr))),
        }
    }

    /// The one-instruction block at `pc`.
    fn debug_step(&mut self, pc: u64) -> Result<Arc<Lowered>, Exit> {
        if let Some(b) = self.debug.steps.get(&pc) {
            return Ok(Arc::clone(b));
        }
        let vm = Arc::clone(&self.vm);
        let record = vm.table.record(pc);
        match vm.slow_step(&record) {
            Ok(b) => {
                self.debug.steps.insert(pc, Arc::clone(&b));
                Ok(b)
            }
            Err(LiftError::Fetch { addr }) => Err(Exit::Fault(vm.fetch_fault(addr))),
        }
    }
}
