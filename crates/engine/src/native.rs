//! The JIT tier's policy: which code to compile when, and how. Either every
//! block is compiled the first time it runs, quickly and unoptimized, and
//! recompiled with the optimizer, together with the hot loop around it, once
//! it has run [`JitConfig::tier_up`] times (`--engine jit`); or blocks are
//! interpreted until they have run [`JitConfig::hot_threshold`] times and
//! then compiled that way (`--engine tiered`). The oldest translations are
//! evicted when the code cache is full, and the interpreter takes over
//! (counted in [`crate::Stats`]) when compiling fails.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ferrovm_ir::Terminator;
use ferrovm_jit::{Error as JitError, Flavor, Jit, JitOptions};
use ferrovm_mem::{AddressSpace, PAGE_SIZE};
use ferrovm_riscv::lift::LiftError;

use crate::cache::Translation;
use crate::{Engine, tracing_free_warn};

/// Environment variable that sets [`JitConfig::fault_rate`] when the config
/// leaves it unset: the fraction (0.0..=1.0) of compiles made to fail.
pub const FAULT_RATE_ENV: &str = "FERROVM_JIT_FAULT_RATE";

/// The [`JitConfig::hot_threshold`] `ferrovm run --engine tiered` uses: a
/// block is compiled once the interpreter has run it this many times.
/// Cranelift costs about as much per block as interpreting it a few
/// thousand times, so code that runs fewer times than that is cheaper left
/// to the interpreter. `--engine jit` uses it as [`JitConfig::tier_up`].
pub const DEFAULT_HOT_THRESHOLD: u32 = 1000;

/// Switches of the JIT tier.
#[derive(Debug, Clone, PartialEq)]
pub struct JitConfig {
    /// Chain exits to compiled successors (`--no-chaining` turns it off).
    pub chaining: bool,
    /// Inline caches for indirect branches and the return-address stack
    /// (`--no-inline-cache` turns them off).
    pub inline_cache: bool,
    /// Code-cache budget in bytes (`--code-cache-size`).
    pub code_cache_size: usize,
    /// Fraction of compiles made to fail on purpose, for testing the
    /// fallback; `None` reads [`FAULT_RATE_ENV`] (default 0).
    pub fault_rate: Option<f64>,
    /// Interpreter runs of a block before it is compiled: 0 compiles every
    /// block the first time it runs (the default, which the differential
    /// tests rely on); the command line uses [`DEFAULT_HOT_THRESHOLD`].
    /// Counts live in a small direct-mapped table, so blocks sharing a slot
    /// may be compiled a little early.
    pub hot_threshold: u32,
    /// With `hot_threshold` 0: blocks compiled on their first run count
    /// their runs, and one that runs this many times is recompiled with
    /// Cranelift's optimizer, together with the hot loop around it (it then
    /// stops counting). 0 (the default): never recompiled.
    pub tier_up: u32,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            chaining: true,
            inline_cache: true,
            code_cache_size: ferrovm_jit::DEFAULT_CODE_CACHE_SIZE,
            fault_rate: None,
            hot_threshold: 0,
            tier_up: 0,
        }
    }
}

/// The engine's JIT state.
pub(crate) struct Native {
    pub(crate) jit: Jit,
    /// Compiled pcs, oldest first (FIFO eviction; may hold stale pcs).
    order: VecDeque<u64>,
    /// See [`JitConfig::hot_threshold`].
    hot_threshold: u32,
    /// See [`JitConfig::tier_up`].
    tier_up: u32,
    /// Entry pcs of translations compiled as hot code (may hold pcs
    /// evicted since).
    optimized: HashSet<u64>,
    /// Blocks evicted to make room, and how often: compiled again only
    /// once [`REHEAT_THRESHOLD`] interpreted runs, doubled for every
    /// eviction after the first (even with a zero or tiny threshold), show
    /// they are still hot. A working set larger than the cache then costs
    /// compile time in proportion to the work done, not to every run.
    evicted: HashMap<u64, u32>,
}

/// Fewest interpreter runs before a block evicted for room is compiled
/// again (see [`Native::evicted`]).
const REHEAT_THRESHOLD: u32 = 256;

impl Native {
    pub(crate) fn new(
        mem: &Arc<AddressSpace>,
        interrupt: &Arc<AtomicBool>,
        c: &JitConfig,
    ) -> ferrovm_jit::Result<Self> {
        let fault_rate = c
            .fault_rate
            .or_else(|| std::env::var(FAULT_RATE_ENV).ok().and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0);
        let options = JitOptions {
            code_cache_size: c.code_cache_size,
            chaining: c.chaining,
            inline_cache: c.inline_cache,
            fault_rate,
            ..JitOptions::default()
        };
        Ok(Native {
            jit: Jit::new(Arc::clone(mem), Arc::clone(interrupt), options)?,
            order: VecDeque::new(),
            hot_threshold: c.hot_threshold,
            tier_up: if c.hot_threshold == 0 { c.tier_up } else { 0 },
            optimized: HashSet::new(),
            evicted: HashMap::new(),
        })
    }

    /// Whether the block at `pc`, not translated yet, should be compiled at
    /// once: with a zero threshold, unless it was evicted for room before.
    #[inline]
    pub(crate) fn eager(&self, pc: u64) -> bool {
        self.hot_threshold == 0 && !self.evicted.contains_key(&pc)
    }

    /// Counts a run of the interpreted block at `pc`; whether it is now hot
    /// enough to compile. With a zero threshold only blocks evicted for
    /// room count (a block that failed to compile stays interpreted); those
    /// need more runs the more often they were evicted, under any
    /// threshold.
    #[inline]
    pub(crate) fn hot(&mut self, pc: u64) -> bool {
        let evicted = if self.evicted.is_empty() { 0 } else { self.evicted.get(&pc).copied().unwrap_or(0) };
        let threshold = match self.hot_threshold {
            0 if evicted == 0 => return false,
            t if evicted > 0 => t.max(REHEAT_THRESHOLD << (evicted - 1).min(12)),
            t => t,
        };
        if self.jit.count_run(pc) >= threshold {
            self.jit.reset_runs(pc);
            return true;
        }
        false
    }

    /// How a translation of hot code (`hot`) or of code on its first run is
    /// compiled.
    fn flavor(&self, hot: bool) -> Flavor {
        let eager = self.hot_threshold == 0;
        Flavor {
            // Code that proved hot is worth optimizing; under tiered, only
            // such code is compiled.
            optimize: hot || !eager,
            hot_at: (eager && !hot && self.tier_up > 0).then_some(self.tier_up),
        }
    }

    /// How many runs make a block hot (0: none ever does).
    fn threshold(&self) -> u32 {
        if self.hot_threshold == 0 { self.tier_up } else { self.hot_threshold }
    }

    pub(crate) fn evict(&mut self, pc: u64) {
        self.jit.evict(pc);
    }

    pub(crate) fn flush(&mut self) {
        self.jit.flush();
        self.order.clear();
        self.optimized.clear();
    }
}

/// Most blocks a region grows to (its entry block included). A loop with
/// many paths (a tokenizer's state machine) needs dozens; each region that
/// holds only part of it costs its own compile and a chained exit per
/// iteration (mixed's state machine: 16 → 116 ms, 64 → 75 ms, QEMU 72).
const MAX_REGION_BLOCKS: usize = 64;

/// Most blocks [`Engine::grow_region`] looks at to find the cycles.
const MAX_EXPLORED: usize = 128;

/// Whether `block` ends in a call (`jal` linking `ra`): a region grows into
/// the callee only through its hot blocks, and keeps them only if a return
/// among them leads back into the loop.
fn is_call(block: &ferrovm_ir::Block) -> bool {
    matches!(block.term, Terminator::Jump { .. })
        && block.ops.iter().any(|op| matches!(op, ferrovm_ir::Op::SetReg { reg, .. } if *reg == ferrovm_ir::Reg::x(1)))
}

/// Most blocks of callees a region takes in (see [`Engine::grow_region`]).
const MAX_CALLEE_BLOCKS: usize = 16;

/// A block [`Engine::grow_region`] may add.
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

impl Engine {
    /// How hot the block at `pc` looks for growing a hot region: the hot
    /// threshold if it was compiled as hot code, else its run count so far
    /// (shared slots may overcount): runs in the interpreter under tiered,
    /// runs of its first translation under jit.
    fn heat(&mut self, pc: u64) -> u32 {
        let Some(n) = &self.native else { return 0 };
        let hot = n.threshold();
        let compiled = if n.hot_threshold == 0 {
            n.optimized.contains(&pc) && n.jit.contains(pc)
        } else {
            matches!(self.cache.get(pc), Some(Translation::Native { .. }))
        };
        if compiled { hot } else { n.jit.runs(pc) }
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
        let (warm, callee_hot) = match &self.native {
            Some(n) if hot => ((n.threshold() / 32).max(1), (n.threshold() / 4).max(1)),
            _ => (u32::MAX, u32::MAX),
        };
        let mut stack: Vec<Candidate> = Vec::new();
        let push = |engine: &mut Engine, stack: &mut Vec<Candidate>, block: &ferrovm_ir::Block, from: Candidate| {
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
            self.mem.mark_code(c.pc);
            let Ok(succ) = self.translate_ir(c.pc, self.config.max_block_insns.max(1)) else { continue };
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
            let first = succ.start & !(PAGE_SIZE - 1);
            let last = succ.end.saturating_sub(1).max(succ.start) & !(PAGE_SIZE - 1);
            if last != first {
                self.mem.mark_code(last);
            }
            pages.extend((first..=last).step_by(PAGE_SIZE as usize));
            region.push(succ);
        }
    }

    /// Translates the block at `pc` for the JIT tier: compiled if possible
    /// (as hot code, optimized and with the hot loop around it, if `hot`),
    /// otherwise an interpreter block. A translation this one was to
    /// replace stays if compiling fails.
    pub(crate) fn translate_native(&mut self, pc: u64, hot: bool) -> Result<Translation, LiftError> {
        let started = std::time::Instant::now();
        // Mark the pages first, so a write racing with the read is noticed.
        self.mem.mark_code(pc);
        let block = self.translate_ir(pc, self.config.max_block_insns.max(1))?;
        let first_page = block.start & !(PAGE_SIZE - 1);
        let last_page = block.end.saturating_sub(1).max(block.start) & !(PAGE_SIZE - 1);
        if last_page != first_page {
            self.mem.mark_code(last_page);
        }
        let mut pages: Vec<u64> = (first_page..=last_page).step_by(PAGE_SIZE as usize).collect();
        let mut region = vec![block];
        // Code compiled on its first run that will be recompiled once hot
        // gets its loop region then; until then a single block is cheaper
        // to compile (growing lifts successors).
        let grow = hot || self.native.as_ref().is_some_and(|n| n.tier_up == 0);
        if grow && self.native.as_ref().is_some_and(|n| n.jit.options().chaining) {
            self.grow_region(&mut region, &mut pages, hot);
        }
        let Some(native) = self.native.as_mut() else {
            return self.translate(pc).map(Translation::Interp);
        };
        let mut evicted = Vec::new();
        let flavor = native.flavor(hot);
        let order = &mut native.order;
        let outcome = native.jit.compile_region_evicting(&region, flavor, &mut || order.pop_front(), &mut evicted);
        for old in evicted {
            // Evicted to make room: it runs interpreted until it is hot
            // again, so a working set larger than the cache does not
            // recompile on every run.
            *native.evicted.entry(old).or_insert(0) += 1;
            self.stats.jit_evictions += 1;
            self.cache.remove(old);
        }
        match outcome {
            Ok(c) => {
                native.order.push_back(pc);
                let insns: u64 = region.iter().map(|b| b.insn_count() as u64).sum();
                self.stats.blocks_compiled += region.len() as u64;
                self.stats.insns_compiled += insns;
                self.stats.code_bytes += c.code_bytes as u64;
                self.stats.compile_time += c.time;
                self.stats.blocks_translated += region.len() as u64;
                self.stats.insns_translated += insns;
                self.stats.translate_time += started.elapsed();
                if flavor.optimize {
                    native.optimized.insert(pc);
                    self.stats.hot_regions += 1;
                    self.stats.hot_blocks += region.len() as u64;
                    self.stats.hot_insns += insns;
                    self.stats.hot_compile_time += c.time;
                }
                let t = Translation::Native { start: pc };
                pages.sort_unstable();
                pages.dedup();
                self.cache.insert(t.clone(), pages.into_iter());
                Ok(t)
            }
            Err(e) => {
                let kept = native.jit.contains(pc);
                match e {
                    JitError::Injected => self.stats.jit_injected_failures += 1,
                    JitError::CacheFull { .. } => self.stats.jit_cache_full += 1,
                    e => {
                        self.stats.jit_errors += 1;
                        let runs = if kept { "keeps running unoptimized" } else { "runs in the interpreter" };
                        tracing_free_warn(&format!("block at {pc:#x} {runs}: {e}"));
                    }
                }
                if kept {
                    return Ok(Translation::Native { start: pc });
                }
                self.translate(pc).map(Translation::Interp)
            }
        }
    }
}
