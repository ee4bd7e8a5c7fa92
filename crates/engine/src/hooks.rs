//! What the embedding API's hooks need of the run loop, on top of the
//! debug state ([`crate::debug`]): a stop before every guest block
//! ([`Stop::Block`]), stops before every instruction in an address range
//! ([`Vm::add_stop_range`]), resuming past a stop address without removing
//! it ([`Vcpu::resume_past_stop`]), and every watched access of the last
//! instruction ([`Vcpu::watch_hits`]). The hooks themselves (callbacks)
//! live in the API crate, which calls them when [`Vcpu::run`] stops.
//!
//! # Cost
//!
//! Nothing is checked while none of this is set. Block stops are checked
//! once per block, and only on the run loop's per-block path: the one
//! taken when the VM was made with [`crate::EngineConfig::block_exits`]
//! (compiled blocks then return to the run loop at every block boundary)
//! or when the debug loop runs. Without `block_exits`, switching block
//! stops on sends the vCPU to the debug loop (the interpreter), which is
//! correct but slower. Stop ranges and watches always use the debug loop.
//!
//! ```
//! use ferrovm_engine::{EngineConfig, Exit, Stop, Vm};
//! use ferrovm_ir::Cpu;
//! use ferrovm_mem::{AddressSpace, Perms};
//! use std::sync::Arc;
//!
//! let mem = Arc::new(AddressSpace::new().unwrap());
//! mem.map(0x10000, 0x1000, Perms::RWX).unwrap();
//! // addi a0, a0, 1 ; j 1f ; 1: ecall
//! mem.write_bytes(0x10000, &[0x13, 0x05, 0x15, 0x00, 0x09, 0xa0, 0x73, 0, 0, 0]).unwrap();
//! let vm = Vm::new(mem, EngineConfig { block_exits: true, ..EngineConfig::default() });
//! let mut vcpu = vm.vcpu(Cpu { pc: 0x10000, ..Cpu::default() });
//! vcpu.set_block_stops(true);
//! assert_eq!(vcpu.run(), Exit::Debug(Stop::Block));
//! assert_eq!(vcpu.cpu.pc, 0x10000);
//! assert_eq!(vcpu.run(), Exit::Debug(Stop::Block));
//! assert_eq!(vcpu.cpu.pc, 0x10006);
//! assert_eq!(vcpu.run(), Exit::Ecall);
//! ```

use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use crate::debug::{Stop, WatchKind};
use crate::vcpu::Vcpu;
use crate::vm::Vm;

/// One access of the last instruction to a watched range (see
/// [`Vcpu::watch_hits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchHit {
    /// The address accessed.
    pub addr: u64,
    /// Bytes accessed.
    pub size: u8,
    /// A load ([`WatchKind::Read`]), a store ([`WatchKind::Write`]) or an
    /// AMO, which does both ([`WatchKind::Access`]).
    pub kind: WatchKind,
}

/// A vCPU's hook state.
#[derive(Debug, Default)]
pub(crate) struct VcpuHooks {
    /// Stop before every block.
    pub(crate) block_stops: bool,
    /// `(pc, instret)` of the last [`Stop::Block`]: the vCPU does not
    /// stop there again until an instruction ran (a block left before it
    /// ran, to be compiled say, is entered again without a second stop).
    pub(crate) stopped_at: Option<(u64, u64)>,
    /// In the debug loop: the pc that continues the block being stepped
    /// through (not a block boundary).
    pub(crate) next_in_block: Option<u64>,
    /// In the debug loop: the end of the block being stepped through.
    pub(crate) block_end: u64,
    /// Do not stop at this stop address before its instruction runs.
    pub(crate) skip: Option<u64>,
    /// The watched accesses of the last instruction the debug loop ran.
    pub(crate) hits: Vec<WatchHit>,
}

impl Vm {
    /// Makes every vCPU stop before running any instruction in
    /// `[start, end)` ([`Stop::Address`]), as if each were a stop address.
    /// Whether it was not set already.
    pub fn add_stop_range(&self, start: u64, end: u64) -> bool {
        let mut ranges = self.debug.ranges.write().unwrap_or_else(PoisonError::into_inner);
        let added = !ranges.contains(&(start, end));
        if added {
            ranges.push((start, end));
        }
        drop(ranges);
        self.rearm();
        added
    }

    /// Removes a stop range; whether it was set.
    pub fn remove_stop_range(&self, start: u64, end: u64) -> bool {
        let mut ranges = self.debug.ranges.write().unwrap_or_else(PoisonError::into_inner);
        let before = ranges.len();
        ranges.retain(|r| *r != (start, end));
        let removed = ranges.len() != before;
        drop(ranges);
        self.rearm();
        removed
    }
}

impl Vcpu {
    /// Stops before every guest block ([`Stop::Block`], `cpu.pc` the
    /// block's first instruction, which has not run) while set; the run
    /// after such a stop runs that block. Switching it on makes the next
    /// run stop at once (the block at `cpu.pc` is a block too).
    ///
    /// A block is what the run loop dispatches: it ends at a branch, a
    /// jump, a system call, or after the engine's largest block; a block
    /// left early by a fault or an interrupt is stopped at again when it
    /// is resumed.
    pub fn set_block_stops(&mut self, on: bool) {
        self.hooks.block_stops = on;
        self.hooks.stopped_at = None;
        if on && !self.vm.config.block_exits {
            // The normal loop cannot stop per block: the debug loop must.
            self.shared.ctx.exit_request.fetch_or(crate::vm::request::DEBUG, Ordering::Release);
        }
    }

    /// Whether block stops are on.
    pub fn block_stops(&self) -> bool {
        self.hooks.block_stops
    }

    /// The next run does not stop at the stop address (or stop range) at
    /// `cpu.pc` before running its instruction: how an embedder continues
    /// from a stop without removing it. Stops after it are kept.
    pub fn resume_past_stop(&mut self) {
        self.hooks.skip = Some(self.cpu.pc);
    }

    /// The accesses to watched ranges of the instruction before a
    /// [`Stop::Watch`] (loads, stores and AMOs, in order; the first is the
    /// one the stop names).
    pub fn watch_hits(&self) -> &[WatchHit] {
        &self.hooks.hits
    }

    /// At a block boundary with block stops on: whether to stop here
    /// (not if it stopped here already and nothing ran since).
    #[inline]
    pub(crate) fn block_boundary(&mut self) -> bool {
        let here = Some((self.cpu.pc, self.cpu.instret));
        if self.hooks.stopped_at == here {
            false
        } else {
            self.hooks.stopped_at = here;
            true
        }
    }
}

/// `Stop::Block` as an exit (for the run loops).
pub(crate) const BLOCK: crate::Exit = crate::Exit::Debug(Stop::Block);
