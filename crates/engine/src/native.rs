//! The JIT tier's policy: which code to compile when, and how. Either every
//! block is compiled the first time it runs, quickly and unoptimized, and
//! recompiled with the optimizer, together with the hot loop around it, once
//! it has run `tier_up` times ([`EngineMode::Jit`]); or blocks are
//! interpreted until they have run `threshold` times and then compiled that
//! way ([`EngineMode::Tiered`]). The oldest translations are
//! evicted when the code cache is full, and the interpreter takes over
//! (counted in [`crate::Stats`]) when compiling fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use ferrovm_ir::Terminator;
use ferrovm_jit::abi::Cell;
use ferrovm_jit::{Error as JitError, Flavor, Linker};
use ferrovm_riscv::lift::LiftError;

use crate::config::EngineMode;
use crate::stats::Counters;
use crate::table::{Record, Table};
use crate::vcpu::Vcpu;
use crate::warn;

/// Fewest interpreter runs before a block evicted for room is compiled
/// again: a block evicted `n` times needs `REHEAT_THRESHOLD << (n - 1)`
/// runs (at least the hot threshold), so a working set larger than the
/// cache costs compile time in proportion to the work done, not to every
/// run.
const REHEAT_THRESHOLD: u32 = 256;

/// Links compiled code to the table's records: their cells and counters
/// live as long as the VM.
struct TableLinker<'a>(&'a Table);

impl Linker for TableLinker<'_> {
    fn cell(&mut self, pc: u64) -> *const Cell {
        // The table keeps the record (and so the cell) for the VM's life.
        &self.0.record(pc).cell
    }

    fn counter(&mut self, pc: u64) -> *const AtomicU32 {
        &self.0.record(pc).runs
    }
}

impl Vcpu {
    /// Whether the block of `r`, not translated yet, should be compiled at
    /// once: under [`EngineMode::Jit`], unless it was evicted for room
    /// before.
    #[inline]
    pub(crate) fn eager(&self, r: &Record) -> bool {
        matches!(self.vm.mode, EngineMode::Jit { .. }) && r.evictions.load(Ordering::Relaxed) == 0
    }

    /// How many interpreter runs make the block of `r` worth compiling, if
    /// its interpreter runs count at all: under [`EngineMode::Tiered`] the
    /// threshold; under [`EngineMode::Jit`] only blocks evicted for room
    /// count. A block evicted `n` times needs more runs (see
    /// [`REHEAT_THRESHOLD`]).
    #[inline]
    pub(crate) fn threshold(&self, r: &Record) -> Option<u32> {
        let base = match self.vm.mode {
            EngineMode::Tiered { threshold } => threshold.get(),
            EngineMode::Jit { .. } => 0,
            EngineMode::Interp => return None,
        };
        match r.evictions.load(Ordering::Relaxed) {
            0 if base == 0 => None,
            0 => Some(base),
            n => Some(base.max(REHEAT_THRESHOLD << (n - 1).min(12))),
        }
    }

    /// How many runs make a block hot (0: none ever does).
    fn hot_runs(&self) -> u32 {
        match self.vm.mode {
            EngineMode::Tiered { threshold } => threshold.get(),
            EngineMode::Jit { tier_up } => tier_up.map_or(0, |t| t.get()),
            EngineMode::Interp => 0,
        }
    }

    /// How a translation of hot code (`hot`) or of code on its first run is
    /// compiled.
    fn flavor(&self, hot: bool) -> Flavor {
        let (eager, tier_up) = match self.vm.mode {
            EngineMode::Jit { tier_up } => (true, tier_up),
            _ => (false, None),
        };
        Flavor {
            // Code that proved hot is worth optimizing; under tiered, only
            // such code is compiled.
            optimize: hot || !eager,
            hot_at: if eager && !hot { tier_up.map(|t| t.get()) } else { None },
        }
    }
}

/// Most blocks a region grows to (its entry block included). A loop with
/// many paths (a tokenizer's state machine) needs dozens; each region that
/// holds only part of it costs its own compile and a chained exit per
/// iteration (mixed's state machine: 16 → 116 ms, 64 → 75 ms, QEMU 72).
const MAX_REGION_BLOCKS: usize = 64;

/// Most blocks [`Vcpu::grow_region`] looks at to find the cycles.
const MAX_EXPLORED: usize = 128;

/// Whether `block` ends in a call (`jal` linking `ra`): a region grows into
/// the callee only through its hot blocks, and keeps them only if a return
/// among them leads back into the loop.
fn is_call(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::Jump { .. })
        && block.ops.iter().any(|op| matches!(op, ferrovm_ir::Op::SetReg { reg, .. } if *reg == ferrovm_ir::Reg::x(1)))
}

/// Most blocks of callees a region takes in (see [`Vcpu::grow_region`]).
const MAX_CALLEE_BLOCKS: usize = 16;

/// A block [`Vcpu::grow_region`] may add.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    pc: u64,
    heat: u32,
    /// A successor of the entry block.
    of_entry: bool,
    /// Reached through a call from the loop's own blocks.
    in_callee: bool,
}

/// Whether `block` ends in a return (`ret`).
fn is_return(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::JumpIndirect { hint: ferrovm_ir::IndirectHint::Return, .. })
}

/// Direct successors of `block`.
fn successors(block: &ferrovm_ir::Block) -> [Option<u64>; 2] {
    match block.term {
        Terminator::Jump { target } => [Some(target), None],
        Terminator::Branch { taken, fallthrough, .. } => [Some(taken), Some(fallthrough)],
        _ => [None, None],
    }
}

impl Vcpu {
    /// How hot the block at `pc` looks for growing a hot region: the hot
    /// threshold if it was compiled as hot code (under tiered: compiled at
    /// all), else its run count so far: runs in the interpreter under
    /// tiered, runs of its first translation under jit.
    fn heat(&self, pc: u64) -> u32 {
        let Some(store) = &self.vm.store else { return 0 };
        let Some(r) = self.vm.table.get(pc) else { return 0 };
        let linked = r.cell.code.load(Ordering::Relaxed) != store.stub();
        let compiled = match self.vm.mode {
            EngineMode::Jit { .. } => linked && r.optimized.load(Ordering::Relaxed),
            _ => linked,
        };
        if compiled { self.hot_runs() } else { r.runs.load(Ordering::Relaxed) }
    }

    /// Grows `region` (holding the entry block) into the loop around it:
    /// explores successors depth first, hottest first (those hot
    /// themselves: compiled already, or run 1/32 of the hot threshold;
    /// through a call, a quarter of it and at most [`MAX_CALLEE_BLOCKS`]
    /// blocks), then keeps the explored blocks from which the entry can be
    /// reached again — the blocks of the hot cycles through it. A `ret`
    /// counts as leading to where the calls found so far return, so a hot
    /// callee (or a recursive call) joins the loop; compiled code checks
    /// the return address and jumps there inside the region. Code compiled
    /// on its first run (`hot` false: nothing has run yet) takes only
    /// successors of the entry that branch straight back to it. Edges
    /// between the region's blocks stay inside one compiled function, guest
    /// registers in host registers; blocks off the cycles stay out, so they
    /// add no register pressure to the loop. Code pages of added blocks are
    /// marked and added to `pages`.
    fn grow_region(&mut self, region: &mut Vec<ferrovm_ir::Block>, pages: &mut Vec<u64>, hot: bool) {
        let Some(entry) = region.first() else { return };
        let head = entry.start;
        let hot_runs = self.hot_runs();
        let (warm, callee_hot) =
            if hot { ((hot_runs / 32).max(1), (hot_runs / 4).max(1)) } else { (u32::MAX, u32::MAX) };
        let mut stack: Vec<Candidate> = Vec::new();
        let push = |engine: &Vcpu, stack: &mut Vec<Candidate>, block: &ferrovm_ir::Block, from: Candidate| {
            let call = is_call(block);
            let mut succ: Vec<Candidate> = successors(block)
                .into_iter()
                .flatten()
                .map(|pc| Candidate {
                    pc,
                    heat: engine.heat(pc),
                    of_entry: from.of_entry,
                    in_callee: from.in_callee || call,
                })
                .collect();
            // Popped hottest first.
            succ.sort_by_key(|c| c.heat);
            stack.extend(succ);
        };
        let start = Candidate { pc: head, heat: 0, of_entry: true, in_callee: false };
        push(self, &mut stack, entry, start);
        // Where the calls among the blocks found so far return to (and
        // whether that is inside a callee): a return found later may come
        // back there (inside the region when the callee's blocks are hot
        // too; compiled code checks the address).
        let mut continuations: Vec<(u64, bool)> = if is_call(entry) { vec![(entry.end, false)] } else { Vec::new() };
        let mut explored: Vec<ferrovm_ir::Block> = Vec::new();
        let mut callee_blocks = 0;
        while let Some(c) = stack.pop() {
            if explored.len() >= MAX_EXPLORED {
                break;
            }
            if c.pc == head || explored.iter().any(|b| b.start == c.pc) {
                continue;
            }
            // Callees join only with their hot blocks, and only so many:
            // a big library function would make the region slow to compile
            // and mostly cold.
            let hot =
                if c.in_callee { c.heat >= callee_hot && callee_blocks < MAX_CALLEE_BLOCKS } else { c.heat >= warm };
            if !hot && !c.of_entry {
                continue;
            }
            self.vm.mem.mark_code(c.pc);
            let Ok(succ) = self.vm.translate_ir(c.pc, self.vm.config.max_block_insns.max(1)) else { continue };
            if !hot && !successors(&succ).contains(&Some(head)) {
                continue;
            }
            if hot {
                let from = Candidate { of_entry: false, ..c };
                push(self, &mut stack, &succ, from);
                if is_call(&succ) {
                    continuations.push((succ.end, c.in_callee));
                }
                if is_return(&succ) {
                    let back: Vec<Candidate> = continuations
                        .iter()
                        .map(|&(pc, in_callee)| Candidate { pc, heat: self.heat(pc), of_entry: false, in_callee })
                        .collect();
                    stack.extend(back);
                }
            }
            callee_blocks += usize::from(c.in_callee);
            explored.push(succ);
        }
        // Keep the blocks that lead back to the entry.
        let mut keep = vec![false; explored.len()];
        loop {
            let mut changed = false;
            for i in 0..explored.len() {
                if keep[i] {
                    continue;
                }
                let returns: &[(u64, bool)] = if is_return(&explored[i]) { &continuations } else { &[] };
                let back = successors(&explored[i])
                    .into_iter()
                    .flatten()
                    .chain(returns.iter().map(|&(pc, _)| pc))
                    .any(|t| t == head || explored.iter().position(|b| b.start == t).is_some_and(|j| keep[j]));
                if back {
                    keep[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (succ, _) in explored.into_iter().zip(keep).filter(|(_, k)| *k) {
            if region.len() >= MAX_REGION_BLOCKS {
                break;
            }
            pages.extend(self.vm.pages_of(succ.start, succ.end));
            region.push(succ);
        }
    }

    /// Translates the block of `r` for the JIT tier: compiled if possible
    /// (as hot code, optimized and with the hot loop around it, if `hot`),
    /// otherwise an interpreter block. A compiled translation this one was
    /// to replace stays if compiling fails. Whether `r` now has compiled
    /// code.
    pub(crate) fn translate_native(&mut self, r: &Arc<Record>, hot: bool) -> Result<bool, LiftError> {
        let vm = Arc::clone(&self.vm);
        let Some(store) = &vm.store else {
            vm.translate(r, &self.shared.counters)?;
            return Ok(false);
        };
        let started = Instant::now();
        let pc = r.pc;
        let changes = vm.table.code_changes.load(Ordering::Acquire);
        // Mark the pages first, so a write racing with the read is noticed.
        vm.mem.mark_code(pc);
        let block = vm.translate_ir(pc, vm.config.max_block_insns.max(1))?;
        let mut pages = vm.pages_of(block.start, block.end);
        let mut region = vec![block];
        // Code compiled on its first run that will be recompiled when hot
        // gets its loop region then; until then a single block is cheaper
        // to compile (growing lifts successors).
        let tier_up = matches!(vm.mode, EngineMode::Jit { tier_up: Some(_) });
        if (hot || !tier_up) && store.options().chaining {
            self.grow_region(&mut region, &mut pages, hot);
        }
        let flavor = self.flavor(hot);
        let compiler = self.compiler.get_or_insert_with(|| store.compiler());
        let compiled = store.compile(compiler, &region, flavor, &mut TableLinker(&vm.table));
        let counters = &self.shared.counters;
        let installed = compiled.and_then(|mut f| {
            // Make room by evicting the oldest translations, so the
            // function is compiled once however many evictions it takes.
            let code = loop {
                match store.install(&mut f) {
                    Err(JitError::CacheFull { .. }) => {
                        let victim = vm.order.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop_front();
                        match victim {
                            Some(victim) => self.evict(victim),
                            None => return Err(JitError::CacheFull { len: f.code_bytes() }),
                        }
                    }
                    other => break other?,
                }
            };
            Ok((f, code))
        });
        let (f, code) = match installed {
            Ok(done) => done,
            Err(e) => {
                let kept = r.cell.code.load(Ordering::Relaxed) != store.stub();
                match e {
                    JitError::Injected => Counters::add(&counters.jit_injected_failures, 1),
                    JitError::CacheFull { .. } => Counters::add(&counters.jit_cache_full, 1),
                    e => {
                        Counters::add(&counters.jit_errors, 1);
                        let runs = if kept { "keeps running unoptimized" } else { "runs in the interpreter" };
                        warn(&format!("block at {pc:#x} {runs}: {e}"));
                    }
                }
                if kept {
                    return Ok(true);
                }
                vm.translate(r, counters)?;
                return Ok(false);
            }
        };
        // Publish, unless the code changed while it was compiled.
        pages.sort_unstable();
        pages.dedup();
        let mut index = vm.table.lock_pages();
        if vm.table.code_changes.load(Ordering::Acquire) != changes {
            drop(index);
            store.retire(code);
            Counters::add(&counters.jit_stale_compiles, 1);
            return Ok(false);
        }
        Table::add_pages(&mut index, pc, &pages);
        let old = {
            let mut st = r.state();
            store.link(&r.cell, &code);
            st.native.replace(code)
        };
        drop(index);
        if let Some(old) = old {
            store.retire(old);
        }
        r.optimized.store(flavor.optimize, Ordering::Relaxed);
        vm.order.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push_back(pc);
        let insns: u64 = region.iter().map(|b| b.insn_count() as u64).sum();
        let blocks = region.len() as u64;
        Counters::add(&counters.blocks_compiled, blocks);
        Counters::add(&counters.insns_compiled, insns);
        Counters::add(&counters.code_bytes, f.code_bytes() as u64);
        Counters::add_time(&counters.compile_time, f.compile_time());
        Counters::add(&counters.blocks_translated, blocks);
        Counters::add(&counters.insns_translated, insns);
        Counters::add_time(&counters.translate_time, started.elapsed());
        if flavor.optimize {
            Counters::add(&counters.hot_regions, 1);
            Counters::add(&counters.hot_blocks, blocks);
            Counters::add(&counters.hot_insns, insns);
            Counters::add_time(&counters.hot_compile_time, f.compile_time());
        }
        Ok(true)
    }

    /// Evicts the compiled code entered at `pc` to make room: it runs in the
    /// interpreter until it is hot again.
    fn evict(&self, pc: u64) {
        let Some(store) = &self.vm.store else { return };
        let Some(r) = self.vm.table.get(pc) else { return };
        let Some(code) = r.state().native.take() else { return };
        store.unlink(&r.cell);
        store.retire(code);
        r.optimized.store(false, Ordering::Relaxed);
        r.evictions.fetch_add(1, Ordering::Relaxed);
        Counters::add(&self.shared.counters.jit_evictions, 1);
    }
}
