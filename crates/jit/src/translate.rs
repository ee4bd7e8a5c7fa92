//! One IR block → one Cranelift function (see [`crate::abi`] for its
//! signature and exit protocol).
//!
//! Guest registers live in Cranelift `Variable`s: loaded from the `Cpu` on
//! first use, written back (only the dirty ones) on every path that leaves
//! the function, fault paths included. Temporaries are SSA values.
//!
//! Loads and stores are *direct* with [`crate::MemAccess::Direct`]: the
//! address is compared against `GUEST_LIMIT` once, and the access is a
//! plain host load or store. The compare's branch goes to a side exit at
//! the instruction (registers written back, `pc` set), and a host fault at
//! the access resumes at that same side exit ([`crate::fault`]), so the
//! state is precise without storing anything before the access. With
//! [`crate::MemAccess::Checked`] they check alignment, range and the
//! page's permission byte inline and leave through the same kind of side
//! exit when the check fails. In both cases the engine interprets that
//! instruction (which faults precisely, or does the access: misaligned
//! across a page, a store to a code page). The fast path calls nothing.
//! With [`crate::MemAccess::Trap`] (the default) there is no side exit:
//! the first access of a block through each base temporary compares the
//! lowest address the block reaches through it with the limit and traps
//! (`ud2`) beyond it, which covers the block's other accesses through that
//! base (see `Tr::trap_check`); a host fault at an access, or that trap,
//! leaves compiled code with the access's guest pc ([`crate::fault::abort`]).

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I8, I32, I64};
use cranelift_codegen::ir::{
    AbiParam, AtomicRmwOp, Block as ClBlock, BlockArg, Endianness, Function, InstBuilder, InstructionData,
    MemFlagsData, SigRef, Signature, SourceLoc, TrapCode, UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};
use ferrovm_ir::{BinOp, Block, FenceKind, IndirectHint, MemSize, Op, Reg, Terminator, UnOp};
use ferrovm_mem::{GUEST_LIMIT, PAGE_SHIFT, page_flags};

use crate::abi::{JUMP_CACHE_ENTRIES, RAS_ENTRIES, exit, offsets as off};
use crate::helpers::{HELPERS, order_code, size_code};
use crate::int_ops::{self, RareOps};
use crate::store::Linker;

mod fp;
mod fregs;
mod limits;
mod vector;
pub(crate) use fp::{HostFp, SoftKind};

/// Everything about the environment a translation embeds as constants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Env {
    pub(crate) host_base: u64,
    pub(crate) page_table: u64,
    /// The shared indirect exits ([`crate::baseline::indirect_exit`]): plain, and for
    /// returns (0 until built).
    pub(crate) indirect: [u64; 2],
    /// The shared code of baseline blocks (all 0 until built).
    pub(crate) baseline: crate::baseline::Stubs,
    pub(crate) chaining: bool,
    pub(crate) inline_cache: bool,
    /// Every guest block boundary leaves to the dispatcher, even a branch
    /// back to the region's own head (per-block tracing).
    pub(crate) block_exits: bool,
    /// Optimized regions may be entered at any of their blocks
    /// ([`region_entries`]).
    pub(crate) region_entries: bool,
    /// FP on the host FPU (`None`: every FP op calls SoftFloat).
    pub(crate) fp: Option<HostFp>,
    /// Loads and stores without inline checks ([`crate::MemAccess::Direct`]).
    pub(crate) direct: bool,
    /// Direct loads and stores without their limit branch
    /// ([`crate::MemAccess::Trap`]; only with `direct`).
    pub(crate) trap: bool,
    /// Guest registers are stored to the `Cpu` as they are set, and
    /// `instret` at the end of every guest block (with `trap`, once the
    /// guest can see its registers at a fault): the `Cpu` is then precise
    /// at every trap-mode access, but for the instructions its block
    /// retired before it, which the trap table records (see `Tr::pcs`).
    /// QEMU keeps its guest state so, storing every register before an
    /// access that may fault.
    pub(crate) write_through: bool,
    /// With `trap`: one limit check covers a block's accesses through a
    /// base (`Tr::trap_check`), which needs the guest's first page never
    /// mapped ([`ferrovm_mem::AddressSpace::first_page_mapped`]); else
    /// each access is checked on its own.
    pub(crate) group_checks: bool,
    /// Common vector shapes as host SIMD ([`vector`]); off: every vector
    /// instruction calls the helper.
    pub(crate) vector_simd: bool,
    /// `vlenb` the vector SIMD code is made for ([`crate::JitOptions::vlen`]).
    pub(crate) vlenb: u64,
    /// Baseline code notes each block it enters
    /// ([`crate::JitOptions::track_current`]).
    pub(crate) track_current: bool,
}

/// The signature of the shared indirect exits
/// ([`crate::baseline::indirect_exit`]):
/// `(cpu, ctx, target, ic_word) -> exit code`, `tail` convention.
pub(crate) fn indirect_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.extend([AbiParam::new(I64), AbiParam::new(I64), AbiParam::new(I64), AbiParam::new(I64)]);
    sig.returns.push(AbiParam::new(I64));
    sig
}

/// The signature of every compiled block and of the dispatcher stub.
pub(crate) fn block_signature() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.extend([AbiParam::new(I64), AbiParam::new(I64), AbiParam::new(I64)]);
    sig.returns.push(AbiParam::new(I64));
    sig
}

fn helper_sig(params: usize, ret: bool) -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.extend(std::iter::repeat_n(AbiParam::new(I64), params));
    if ret {
        sig.returns.push(AbiParam::new(I64));
    }
    sig
}

fn flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little).with_notrap()
}

struct Sigs {
    h2: SigRef,
    h3: SigRef,
    h4: SigRef,
    h5: SigRef,
    h3_void: SigRef,
    h4_void: SigRef,
    /// The MXCSR stubs of host FP (`preserve_all`: they clobber nothing).
    stub: SigRef,
    /// The preserving thunks of the SoftFloat helpers (`preserve_all`, six
    /// arguments, the result in `ctx.value`).
    thunk: SigRef,
    block: SigRef,
    indirect: SigRef,
}

/// A side exit waiting to be emitted.
struct SideExit {
    blk: ClBlock,
    dirty: [bool; Reg::COUNT],
    pc: u64,
    retired: u32,
    code: u64,
}

struct Tr<'a, 'b, L: Linker + ?Sized> {
    b: FunctionBuilder<'a>,
    env: Env,
    linker: &'b mut L,
    cpu: Value,
    ctx: Value,
    temps: Vec<Option<Value>>,
    regs: [Option<Variable>; Reg::COUNT],
    dirty: [bool; Reg::COUNT],
    site_pc: u64,
    retired: u32,
    insns: u32,
    sigs: Sigs,
    /// This translation's inline-cache words (one per indirect exit):
    /// the first's address and how many.
    ic_words: (u64, usize),
    /// Inline-cache words handed out ([`Tr::next_ic_word`]).
    ic_used: usize,
    pending: Vec<SideExit>,
    /// Heads of the region's blocks, by guest start address (empty for a
    /// single block).
    heads: Vec<(u64, ClBlock)>,
    /// An op of the current block writes guest memory in a way that may
    /// set `ctx.exit_request` (a helper's AMO or SC, a trap-mode store into
    /// translated code, see `fault::note_code_write`): its forward edges
    /// inside the region poll it too. (The request comes from this thread's
    /// writes, or from outside, which back edges and exits see: a block
    /// that writes nothing need not poll on its way forward.)
    may_write: bool,
    /// `cpu.instret` in a variable (regions); `None`: updated in memory.
    instret: Option<Variable>,
    /// Per block of a region: whether the code from there comes back to a
    /// return of the region without leaving it ([`comes_back`]).
    returns_from: Vec<bool>,
    /// The continuations of the region's calls that push no return
    /// address ([`Tr::call_stays`]); every other call pushes, and a return
    /// that comes back inside to its continuation pops.
    quiet_conts: Vec<u64>,
    /// Index in the region of the block being translated.
    current: usize,
    /// Loads and stores of the current block that share a base temporary,
    /// checked once (see [`AccessGroup`]), by base.
    groups: HashMap<ferrovm_ir::Temp, AccessGroup>,
    /// The flag "one check covers the group", once its first access
    /// checked it.
    group_ok: HashMap<ferrovm_ir::Temp, Variable>,
    /// With `env.trap`: the lowest offset of the current block's loads and
    /// stores through each base temporary, and the bases whose limit check
    /// is done (see [`Tr::trap_check`]); and the block's temporaries that
    /// are another plus a constant, or plus a small index (see
    /// [`trap_bases`]).
    trap_bases: Vec<(ferrovm_ir::Temp, i64, bool)>,
    trap_roots: HashMap<ferrovm_ir::Temp, Rooted>,
    /// Blocks made now are on a cold path (a group's fallback checks).
    cold: bool,
    /// Guest registers are stored to the `Cpu` as they are set (unoptimized
    /// single blocks): every exit then finds them there, so the side exits
    /// of one kind share one block that takes the site as arguments. Fewer
    /// Cranelift instructions, faster compiles, for code compiled on its
    /// first run.
    eager: bool,
    /// The shared side-exit blocks in `eager` mode, by exit code; params:
    /// the site's pc and the instructions retired before it.
    shared: Vec<(u64, ClBlock)>,
    /// Where the region's calls return to (see [`Tr::return_inside`]).
    calls: Vec<u64>,
    /// Per block of the region, the indices of the blocks its indirect
    /// jump may stay inside at ([`Tr::jump_inside`]).
    jumps: Vec<Vec<usize>>,
    /// Values of host FP code reused within the current guest block.
    fp_block: fp::BlockValues,
    /// With host FP, in a region that never writes `frm`: `frm`, loaded
    /// and checked once on entry (see [`Tr::check_frm_on_entry`]).
    region_frm: Option<Value>,
    /// Float shadows of the FP registers ([`fregs`]).
    fregs: fregs::Shadows,
    /// The `vtype` in effect, when a `vsetvli` earlier in the current
    /// guest block fixed it or the block's profile suggests it ([`vector`]).
    vtype: Option<vector::Vtype>,
    /// Regions: the registers dirty at the head of each block (see
    /// [`dirty_on_entry`]).
    dirty_in: Vec<[bool; Reg::COUNT]>,
    /// With `env.trap` and grouped checks: per block, what it tells about
    /// its registers as bases of accesses ([`limits`]); in a region, the
    /// windows each block assumes on entry and those known at its end.
    limit_facts: Vec<limits::BlockFacts>,
    assume: Vec<limits::RegWindows>,
    known_out: Vec<limits::RegWindows>,
    /// Direct memory access: guest loads and stores so far (their number is
    /// their trap code, see [`access_tag`]), and those to check inline
    /// instead (their machine code did not allow a direct access).
    accesses: u32,
    checked: Vec<u32>,
    /// With `env.trap`: the guest pc of each source location set (a
    /// location is an index into this), and with `env.write_through` the
    /// instructions its block retired before it (else 0).
    pcs: Vec<(u64, u32)>,
    /// Under trap mode: the host base of guest memory (the pinned
    /// register) as last read, and the Cranelift block it was read in.
    host_base: Option<(cranelift_codegen::ir::Block, Value)>,
}

/// How far past the lowest address through a base temporary a trap-mode
/// access's bytes may reach for one limit check to cover it (see
/// `Tr::trap_check`): its last byte at most 4 KiB - 1 past the checked
/// address (the guard past the reservation is far larger, and the guest's
/// first 4 KiB are not mapped while checks are grouped).
const TRAP_REACH: i64 = 4096;

/// Most direct accesses in one function: each has its own trap code (its
/// number plus one), so that an access whose layout does not allow direct
/// access can be told and checked inline instead; the rest are checked.
pub(crate) const MAX_DIRECT_ACCESSES: u32 = 250;

/// The trap code of direct access number `n` (below
/// [`MAX_DIRECT_ACCESSES`]), and back.
fn access_tag(n: u32) -> TrapCode {
    TrapCode::user(n as u8 + 1).expect("below the reserved trap codes")
}

/// In trap mode, where accesses are told apart by their source location
/// and all carry number 0: the number of a failed limit check's trap
/// before a load, and before a store (that one plus one).
const LIMIT_CHECK: u32 = 1;

/// For a trap-mode site of access number `n`: `Some(write)` if it is the
/// trap of a failed limit check (see [`LIMIT_CHECK`]), `None` for an access.
pub(crate) fn limit_check(n: u32) -> Option<bool> {
    (n == LIMIT_CHECK || n == LIMIT_CHECK + 1).then_some(n == LIMIT_CHECK + 1)
}

/// The number of the direct access with trap code `code`, if it is one.
pub(crate) fn access_number(code: TrapCode) -> Option<u32> {
    let n = u32::from(code.as_raw().get()) - 1;
    (n < MAX_DIRECT_ACCESSES && access_tag(n) == code).then_some(n)
}

/// Where a failed check leaves: a side-exit block of its own, or (in eager
/// mode) a shared one with the site as arguments.
#[derive(Clone, Copy)]
struct Target {
    blk: ClBlock,
    site: Option<(u64, u32)>,
}

/// Plain loads and stores of one block through the same base temporary
/// (SSA: the same value) at constant offsets, each a multiple of its size
/// and the lowest a multiple of the largest size, spanning at most a page.
/// One check at the first of them covers all when it holds: the lowest
/// address aligned to the largest size (so every member is aligned) and
/// below `GUEST_LIMIT`, all bytes in its page, and that page's flags allow
/// every kind of access in the group. When it does not, each access does
/// its own check (see [`Tr::group_check`]). Worth it from three members on:
/// the group check costs about what two single checks do.
#[derive(Clone, Copy, Debug)]
struct AccessGroup {
    min_off: i64,
    max_end: i64,
    max_size: u32,
    read: bool,
    write: bool,
    count: u32,
    groupable: bool,
}

/// The access groups of `block` worth checking once (two or more members).
fn access_groups(block: &Block) -> HashMap<ferrovm_ir::Temp, AccessGroup> {
    let mut groups: HashMap<ferrovm_ir::Temp, AccessGroup> = HashMap::new();
    for op in &block.ops {
        let (addr, offset, size, write) = match *op {
            Op::Load { addr, offset, size, .. } => (addr, offset, size, false),
            Op::Store { addr, offset, size, .. } => (addr, offset, size, true),
            _ => continue,
        };
        let (off, bytes) = (i64::from(offset), size.bytes());
        let g = groups.entry(addr).or_insert(AccessGroup {
            min_off: off,
            max_end: off + i64::from(bytes),
            max_size: bytes,
            read: false,
            write: false,
            count: 0,
            groupable: true,
        });
        g.min_off = g.min_off.min(off);
        g.max_end = g.max_end.max(off + i64::from(bytes));
        g.max_size = g.max_size.max(bytes);
        g.read |= !write;
        g.write |= write;
        g.count += 1;
        g.groupable &= off.rem_euclid(i64::from(bytes)) == 0;
    }
    groups.retain(|_, g| {
        g.count > 2
            && g.groupable
            && g.min_off.rem_euclid(i64::from(g.max_size)) == 0
            && g.max_end - g.min_off <= 1 << PAGE_SHIFT
    });
    groups
}

/// A base temporary that is another (its root) plus a constant and plus
/// a value known to lie in `0..=span` (a table index: `(x & 0xff) << 2`,
/// a byte loaded unsigned, `x >> 24` of a word), see [`trap_bases`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rooted {
    root: ferrovm_ir::Temp,
    delta: i64,
    span: u64,
}

impl Rooted {
    /// `t` as its own root.
    fn of(t: ferrovm_ir::Temp) -> Self {
        Rooted { root: t, delta: 0, span: 0 }
    }
}

/// The base temporaries of `block`'s loads and stores, each with the
/// lowest offset it is used with (for [`Tr::trap_check`]), none checked.
/// A base that is another temporary plus a constant (a pointer bumped by
/// `addi` between a load and a store: `lw a6, 0(a5); addi a5, a5, 4; sw
/// a6, -4(a5)`) counts as that one (its root, in `roots` with the
/// constant) at the offset plus the constant: one check covers both. So
/// does a base that is another plus a small value known not to be
/// negative (an index into a table, `roots` holding its largest value):
/// the check of the root at its lowest offset covers such an access when
/// every address the index may give is within the check's reach
/// ([`TRAP_REACH`]), so the eight lookups of a block of crypto's AES
/// round, in four 1 KiB tables, take one check instead of eight.
fn trap_bases(
    block: &Block,
    bases: &mut Vec<(ferrovm_ir::Temp, i64, bool)>,
    roots: &mut HashMap<ferrovm_ir::Temp, Rooted>,
) {
    /// Constants this far from zero are not folded in (an address far
    /// from its root's: checked on its own).
    const NEAR: u64 = 1 << 20;
    roots.clear();
    let mut consts = HashMap::new();
    // Temporaries known to be at most this (and not negative), for the
    // ones that may be an index within a check's reach.
    let mut bounds: HashMap<ferrovm_ir::Temp, u64> = HashMap::new();
    let small = |b: u64| (b < TRAP_REACH as u64).then_some(b);
    // Every load and store: base, offset, size.
    let mut accesses = Vec::new();
    for op in &block.ops {
        match *op {
            Op::Const { dst, value } => {
                if value.wrapping_add(NEAR) < 2 * NEAR {
                    consts.insert(dst, value as i64);
                }
                if let Some(b) = small(value) {
                    bounds.insert(dst, b);
                }
            }
            Op::Binary { op: BinOp::Add, dst, a, b } => {
                if let (Some(&x), Some(&y)) = (bounds.get(&a), bounds.get(&b))
                    && let Some(sum) = small(x + y)
                {
                    bounds.insert(dst, sum);
                }
                let (t, c, span) = match (consts.get(&a), consts.get(&b), bounds.get(&a), bounds.get(&b)) {
                    (None, Some(&c), ..) => (a, c, 0),
                    (Some(&c), None, ..) => (b, c, 0),
                    (None, None, _, Some(&span)) => (a, 0, span),
                    (None, None, Some(&span), None) => (b, 0, span),
                    _ => continue,
                };
                let from = roots.get(&t).copied().unwrap_or(Rooted::of(t));
                if (from.delta + c).unsigned_abs() < NEAR && from.span + span < TRAP_REACH as u64 {
                    roots.insert(dst, Rooted { root: from.root, delta: from.delta + c, span: from.span + span });
                }
            }
            Op::Binary { op: op @ (BinOp::And | BinOp::Shl | BinOp::Shr | BinOp::ShrW), dst, a, b } => {
                let (x, y) = (bounds.get(&a).copied(), bounds.get(&b).copied());
                let k = consts.get(&b).map(|&k| k as u64);
                let bound = match (op, k) {
                    (BinOp::And, _) => x.into_iter().chain(y).min(),
                    (BinOp::Shl, Some(k)) => x.and_then(|x| x.checked_shl((k & 63) as u32)).and_then(small),
                    (BinOp::Shr, Some(k)) => small(x.unwrap_or(u64::MAX) >> (k & 63)),
                    // A word shifted right by 1 or more is not negative
                    // once sign-extended.
                    (BinOp::ShrW, Some(k)) if k & 31 != 0 => {
                        small(x.map_or(u64::from(u32::MAX), |x| x.min(u64::from(u32::MAX))) >> (k & 31))
                    }
                    _ => None,
                };
                if let Some(bound) = bound {
                    bounds.insert(dst, bound);
                }
            }
            Op::Unary { op: ferrovm_ir::UnOp::ZextB, dst, .. }
            | Op::Load { dst, size: ferrovm_ir::MemSize::B, signed: false, .. } => {
                bounds.insert(dst, 0xff);
            }
            _ => {}
        }
        if let Op::Load { addr, offset, size, .. } | Op::Store { addr, offset, size, .. } = *op {
            accesses.push((addr, i64::from(offset), i64::from(size.bytes())));
        }
    }
    let base_of = |roots: &HashMap<_, Rooted>, addr| roots.get(&addr).copied().unwrap_or(Rooted::of(addr));
    // A sum with an index joins its root's check only where that check,
    // at the lowest offset of the root's other accesses, covers all of
    // its accesses (it must not lower that offset and leave some of them
    // uncovered); a root with no other accesses is checked at the lowest
    // offset of its sums', and a sum that reaches too far from there is
    // a root of its own (its leaving only raises that offset: the others
    // stay covered). Otherwise it is a root of its own, as before.
    let mut plain = HashMap::new();
    for &(addr, offset, _) in &accesses {
        let from = base_of(roots, addr);
        if from.span == 0 {
            let lo = plain.entry(from.root).or_insert(i64::MAX);
            *lo = (*lo).min(from.delta + offset);
        }
    }
    let mut indexed: HashMap<ferrovm_ir::Temp, i64> = HashMap::new();
    for &(addr, offset, _) in &accesses {
        let from = base_of(roots, addr);
        if from.span > 0 && !plain.contains_key(&from.root) {
            let lo = indexed.entry(from.root).or_insert(i64::MAX);
            *lo = (*lo).min(from.delta + offset);
        }
    }
    let mut apart = Vec::new();
    for &(addr, offset, size) in &accesses {
        let from = base_of(roots, addr);
        let lo = plain.get(&from.root).or(indexed.get(&from.root)).copied().unwrap_or(i64::MAX);
        let at = from.delta + offset;
        if from.span > 0 && !(at >= lo && at + from.span as i64 + size <= lo + TRAP_REACH) {
            apart.push(addr);
        }
    }
    roots.retain(|t, _| !apart.contains(t));
    bases.clear();
    for &(addr, offset, _) in &accesses {
        let from = base_of(roots, addr);
        let offset = offset + from.delta;
        match bases.iter_mut().find(|(t, ..)| *t == from.root) {
            Some((_, lo, _)) => *lo = (*lo).min(offset),
            None => bases.push((from.root, offset, false)),
        }
    }
}

/// Whether compiled code of `block` pushes its return address on the
/// return-address stack (both compilers): a direct call ([`is_call`]), or
/// an indirect one, a `jalr` linking `ra` or `t0` (a function pointer, a
/// PLT's target; spec §2.5 Table 2.1's push), whose return address is the
/// instruction after it too. Every return pops, hit or miss, so a call
/// that pushes nothing puts later returns one entry off: optimized code
/// pushed only for direct calls, and sort's returns (a `qsort` callback)
/// hit the stack 9% of the time, now 94%; strings' 46%, now 62%.
pub(crate) fn pushes_return(block: &Block) -> bool {
    matches!(block.term, Terminator::JumpIndirect { hint: IndirectHint::Call, .. }) || is_call(block)
}

/// Whether `block` is a call: it ends in a jump and sets `ra` to the
/// address right after it.
pub(crate) fn is_call(block: &Block) -> bool {
    if !matches!(block.term, Terminator::Jump { .. }) {
        return false;
    }
    let mut ra_const = None;
    let mut consts = HashMap::new();
    for op in &block.ops {
        match *op {
            Op::Const { dst, value } => {
                consts.insert(dst, value);
            }
            Op::SetReg { reg, src } if reg == Reg::x(1) => ra_const = consts.get(&src).copied(),
            _ => {}
        }
    }
    ra_const == Some(block.end)
}

/// Per block of a region, the indices of the region's blocks its indirect
/// jump (not a call or a return) may stay inside at: those at the targets
/// `linker` guesses for it ([`Linker::indirect_targets`]).
fn indirect_edges<L: Linker + ?Sized>(blocks: &[Block], linker: &mut L) -> Vec<Vec<usize>> {
    blocks
        .iter()
        .map(|bl| match bl.term {
            Terminator::JumpIndirect { hint: IndirectHint::None | IndirectHint::Call, .. } => {
                let targets = linker.indirect_targets(bl.start);
                (0..blocks.len()).filter(|&j| targets.contains(&blocks[j].start)).collect()
            }
            _ => Vec::new(),
        })
        .collect()
}

/// The index in `blocks` of the block that starts at a pc, if any: how
/// the region analyses below map an edge's target to its block.
fn block_index(blocks: &[Block]) -> impl Fn(u64) -> Option<usize> + '_ {
    move |pc| blocks.iter().position(|bl| bl.start == pc)
}

/// The order in which a region's blocks are translated: the entry first,
/// then a reverse postorder of the region's direct edges (jumps, both ways
/// of a branch, a call's block to where it comes back), blocks no such edge
/// reaches last, in the order given. An edge to a block at or before its
/// own in this order is where a loop goes round: such an edge polls the
/// exit request ([`Tr::edge`]), and the poll's exit writes back every
/// dirty register: in an optimized region these exits are most of the
/// code Cranelift is given. In the order the engine grows a region
/// (discovery) more edges went backwards; in reverse postorder only loops'
/// back edges do (the region of `parallel`'s quicksort, 27 blocks: 26
/// polling edges before, 22 now, 11.2 -> 9.8 KB of code).
fn translation_order(blocks: &[Block]) -> Vec<usize> {
    let index = block_index(blocks);
    let successors = |bl: &Block| -> Vec<usize> {
        let mut s: Vec<u64> = match bl.term {
            Terminator::Jump { target } => vec![target],
            // Taken from the back: the one visited last (the
            // fallthrough; a call's callee) lands right after the block.
            Terminator::Branch { taken, fallthrough, .. } => vec![fallthrough, taken],
            _ => Vec::new(),
        };
        if pushes_return(bl) {
            s.push(bl.end);
        }
        s.into_iter().filter_map(&index).collect()
    };
    let mut post = Vec::with_capacity(blocks.len());
    let mut seen = vec![false; blocks.len()];
    // Iterative depth-first walk: (block, its successors not yet taken).
    let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
    if !blocks.is_empty() {
        seen[0] = true;
        stack.push((0, successors(&blocks[0])));
    }
    while let Some((k, next)) = stack.last_mut() {
        match next.pop() {
            Some(n) if !seen[n] => {
                seen[n] = true;
                let succ = successors(&blocks[n]);
                stack.push((n, succ));
            }
            Some(_) => {}
            None => {
                post.push(*k);
                stack.pop();
            }
        }
    }
    post.reverse();
    post.extend((0..blocks.len()).filter(|&k| !seen[k]));
    post
}

/// For each block of a region, the guest registers that some path from an
/// entry of the region to the block's head may have set: what an exit
/// there has to write back. Every other register still holds in the `Cpu`
/// the value the region loaded on entry, so an exit leaves it alone, and a
/// loop that only reads a register does not keep a copy of it alive for
/// the write-back. A forward may-analysis over the region's internal edges
/// (direct jumps and branches to its blocks, returns to where a call of
/// the region comes back, see [`Tr::return_inside`], and indirect jumps to
/// any of its blocks, see [`Tr::jump_inside`]); nothing is dirty where the
/// region is entered.
fn dirty_on_entry(blocks: &[Block], succs: &[Vec<usize>]) -> Vec<[bool; Reg::COUNT]> {
    let sets: Vec<u64> = blocks
        .iter()
        .map(|bl| {
            bl.ops.iter().fold(0u64, |m, op| match *op {
                Op::SetReg { reg, .. } => m | 1 << (reg.index() & 63),
                _ => m,
            }) & !1
        })
        .collect();
    let mut dirty_in = vec![0u64; blocks.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for k in 0..blocks.len() {
            let out = dirty_in[k] | sets[k];
            for &s in &succs[k] {
                if dirty_in[s] | out != dirty_in[s] {
                    dirty_in[s] |= out;
                    changed = true;
                }
            }
        }
    }
    dirty_in.into_iter().map(|m| std::array::from_fn(|i| m >> i & 1 != 0)).collect()
}

/// The internal edges of a region: per block, the indices of the blocks it
/// may go to inside the region (direct jumps and branches to its blocks,
/// returns to where a call of the region comes back, see
/// [`Tr::return_inside`], and indirect jumps to any of its blocks, see
/// [`Tr::jump_inside`]).
fn region_succs(blocks: &[Block], calls: &[u64], jumps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let index = block_index(blocks);
    blocks
        .iter()
        .enumerate()
        .map(|(k, bl)| match bl.term {
            Terminator::Jump { target } => index(target).into_iter().collect(),
            Terminator::Branch { taken, fallthrough, .. } => {
                index(taken).into_iter().chain(index(fallthrough)).collect()
            }
            Terminator::JumpIndirect { hint: IndirectHint::Return, .. } => {
                calls.iter().filter_map(|&c| index(c)).collect()
            }
            Terminator::JumpIndirect { hint: IndirectHint::None | IndirectHint::Call, .. } => {
                jumps.get(k).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        })
        .collect()
}

/// Per block of a region, whether the code from there comes back to a
/// return of the region without leaving it any other way: a return is
/// reached from it inside the region (a call taken as coming back to its
/// continuation), and no way out but a return is (a jump or branch to a
/// block not in the region, an indirect jump that is not a return, whose
/// target may be any, a call whose continuation is not in the region, a
/// system call). A call whose callee's block comes back so is expected
/// back inside (see `Tr::stays_for_return`).
fn comes_back(blocks: &[Block], succs: &[Vec<usize>]) -> Vec<bool> {
    let index = block_index(blocks);
    let ret = |bl: &Block| matches!(bl.term, Terminator::JumpIndirect { hint: IndirectHint::Return, .. });
    let cont: Vec<Option<usize>> =
        blocks.iter().map(|bl| if pushes_return(bl) { index(bl.end) } else { None }).collect();
    let mut reaches: Vec<bool> = blocks.iter().map(ret).collect();
    let mut escapes: Vec<bool> = blocks
        .iter()
        .zip(&cont)
        .map(|(bl, cont)| {
            let out = match bl.term {
                Terminator::Jump { target } => index(target).is_none(),
                Terminator::Branch { taken, fallthrough, .. } => index(taken).is_none() || index(fallthrough).is_none(),
                Terminator::JumpIndirect { hint: IndirectHint::Return, .. } => false,
                _ => true,
            };
            out || (pushes_return(bl) && cont.is_none())
        })
        .collect();
    loop {
        let mut changed = false;
        for k in (0..blocks.len()).filter(|&k| !ret(&blocks[k])) {
            let next = || succs[k].iter().copied().chain(cont[k]);
            if !reaches[k] && next().any(|s| reaches[s]) {
                reaches[k] = true;
                changed = true;
            }
            if !escapes[k] && next().any(|s| escapes[s]) {
                escapes[k] = true;
                changed = true;
            }
        }
        if !changed {
            return reaches.iter().zip(&escapes).map(|(&r, &e)| r && !e).collect();
        }
    }
}

/// How many inline-cache words the translation of `blocks` uses: one per
/// indirect exit (at least one: the engine reads the first, see
/// `NativeCode::ic_target`).
pub(crate) fn ic_words_for(blocks: &[Block]) -> usize {
    blocks.iter().filter(|bl| matches!(bl.term, Terminator::JumpIndirect { .. })).count().max(1)
}

/// Why a block could not be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Untranslatable(pub(crate) String);

/// Calls of the rare-op helpers, by signature.
#[derive(Clone, Copy)]
struct Rare {
    h2: SigRef,
    h3: SigRef,
}

impl RareOps for Rare {
    fn call_binary(&mut self, b: &mut FunctionBuilder<'_>, op: BinOp, x: Value, y: Value) -> Value {
        let code = b.ins().iconst(I64, op as i64);
        let f = b.ins().iconst(I64, HELPERS.int_binary as i64);
        let call = b.ins().call_indirect(self.h3, f, &[code, x, y]);
        b.inst_results(call)[0]
    }

    fn call_unary(&mut self, b: &mut FunctionBuilder<'_>, op: UnOp, x: Value) -> Value {
        let code = b.ins().iconst(I64, op as i64);
        let f = b.ins().iconst(I64, HELPERS.int_unary as i64);
        let call = b.ins().call_indirect(self.h2, f, &[code, x]);
        b.inst_results(call)[0]
    }
}

/// Builds the Cranelift function for the region `blocks` into `func`: the
/// function is entered at `blocks[0]`; direct branches between the region's
/// blocks stay inside it (a loop runs without leaving the function, guest
/// registers in host registers), and so does a `ret` whose target is where
/// a call of the region comes back (compared at run time); every other
/// exit leaves as usual. A
/// region of several blocks loads every guest register it touches on entry
/// and writes back at each exit the registers some path to it may have
/// set ([`dirty_on_entry`]). `ic_word` is the
/// address of the inline-cache word (shared by the region's indirect
/// exits). With `flavor.hot_at`, every entry first counts a run in the
/// profile table and the one that brings the count to `hot_at` leaves with
/// [`exit::HOT`] instead. Unoptimized single blocks store guest registers
/// as they are set (see `Tr::eager`). An optimized region of several blocks
/// may be entered at any of them ([`region_entries`]): the pc it is entered
/// with picks the block.
/// The guest pcs at which compiled code of `blocks` compiled as `flavor`
/// may be entered (besides the first block's): every other block of an
/// optimized region, unless [`crate::JitOptions::region_entries`] is off
/// (see [`translate`]). The engine links those blocks'
/// cells to the region's code instead of compiling regions of their own
/// that would hold the same loop again.
pub(crate) fn region_entries(env: &Env, blocks: &[Block], flavor: crate::Flavor) -> Vec<u64> {
    if env.region_entries && flavor.optimize && flavor.hot_at.is_none() && blocks.len() > 1 {
        let safe = entries_keeping_loops(blocks);
        blocks.iter().zip(safe).skip(1).filter(|(_, safe)| *safe).map(|(b, _)| b.start).collect()
    } else {
        Vec::new()
    }
}

/// Per block of a region, whether entering the region there leaves every
/// loop of it with the one way in it had: the block is on no cycle of the
/// region, or it is the head of its cycles (it dominates, from the first
/// block, every block of its strongly connected component). An entry in
/// the middle of a loop makes the loop irreducible: Cranelift then sees no
/// loop there (no hoisting), and regalloc2, which weighs spills by loop
/// depth, spilled a loop's induction pointer to the stack (`vmatmul_scalar`'s
/// inner loop: a load, an add and a store through memory every round; 12%
/// faster without, in paired runs). The edges are the region's internal ones ([`region_succs`]),
/// with an indirect jump that is not a return going to every block (its
/// guessed targets are not known here). A call's continuation is reached
/// only by a return of the region: where the callee leaves the region, the
/// guest comes back into the loop through the continuation's cell, which
/// is then a way into the region, not a block in the middle of a loop.
pub(crate) fn entries_keeping_loops(blocks: &[Block]) -> Vec<bool> {
    let n = blocks.len();
    let calls: Vec<u64> = blocks.iter().filter(|bl| pushes_return(bl)).map(|bl| bl.end).collect();
    let anywhere: Vec<Vec<usize>> = blocks
        .iter()
        .map(|bl| match bl.term {
            Terminator::JumpIndirect { hint: IndirectHint::None | IndirectHint::Call, .. } => (0..n).collect(),
            _ => Vec::new(),
        })
        .collect();
    let succs = region_succs(blocks, &calls, &anywhere);
    // reach[k][j]: j is reachable from k by one edge or more.
    let mut reach = vec![vec![false; n]; n];
    for (k, row) in reach.iter_mut().enumerate() {
        let mut stack = succs[k].clone();
        while let Some(j) = stack.pop() {
            if !row[j] {
                row[j] = true;
                stack.extend(&succs[j]);
            }
        }
    }
    // Dominators from block 0, iteratively (a region has tens of blocks).
    let mut preds = vec![Vec::new(); n];
    for (k, s) in succs.iter().enumerate() {
        for &j in s {
            preds[j].push(k);
        }
    }
    let mut dom: Vec<Vec<bool>> = (0..n).map(|k| (0..n).map(|j| k != 0 || j == 0).collect()).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for k in 1..n {
            let mut d = vec![true; n];
            for &p in preds[k].iter().filter(|&&p| p == 0 || reach[0][p]) {
                for j in 0..n {
                    d[j] &= dom[p][j];
                }
            }
            d[k] = true;
            if d != dom[k] {
                dom[k] = d;
                changed = true;
            }
        }
    }
    (0..n)
        .map(|k| {
            // The other blocks of k's strongly connected component.
            let mut scc = (0..n).filter(|&j| j != k && reach[k][j] && reach[j][k]);
            !reach[k][k] || scc.all(|j| dom[j][k])
        })
        .collect()
}

/// What [`translate`] returns besides the function: the guest pc of each
/// source location it set (`Tr::pcs`), and the pcs besides the first
/// block's where the code may be entered ([`region_entries`]).
pub(crate) type Translated = (Vec<(u64, u32)>, Vec<u64>);

#[allow(clippy::too_many_arguments)]
pub(crate) fn translate<L: Linker + ?Sized>(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    blocks: &[Block],
    env: Env,
    linker: &mut L,
    ic_words: &[AtomicUsize],
    flavor: crate::Flavor,
    fe: TargetFrontendConfig,
    checked: &[u32],
) -> Result<Translated, Untranslatable> {
    let Some(first) = blocks.first() else { return Err(Untranslatable("empty region".into())) };
    let ordered: Vec<Block>;
    let blocks = if blocks.len() > 2 {
        ordered = translation_order(blocks).into_iter().map(|k| blocks[k].clone()).collect();
        &ordered[..]
    } else {
        blocks
    };
    let mut env = env;
    env.fp = env.fp.map(|fp| HostFp { optimized: flavor.optimize, ..fp });
    // The pcs besides the first block's where the engine enters this code.
    let entries = region_entries(&env, blocks, flavor);
    *func = Function::with_name_signature(UserFuncName::default(), block_signature());
    let mut tr = Tr::new(FunctionBuilder::new(func, fctx), env, linker, (ic_words.as_ptr() as u64, ic_words.len()));
    tr.checked = checked.to_vec();
    tr.site_pc = first.start;
    // For the sampling profiler: which translation this thread is in.
    let entered = tr.iconst(first.start);
    tr.b.ins().store(flags(), entered, tr.ctx, off::CTX_CURRENT);
    // Trap-mode stores into translated code do not leave compiled code
    // (`fault::note_code_write`): a block with such a store polls at its edges.
    let trap_stores = env.direct && env.trap;
    let writes = |bl: &Block| {
        bl.ops.iter().any(|op| {
            matches!(op, Op::StoreConditional { .. } | Op::Amo { .. })
                || (trap_stores && matches!(op, Op::Store { .. }))
        })
    };
    let targets = |bl: &Block| match bl.term {
        Terminator::Jump { target } => [Some(target), None],
        Terminator::Branch { taken, fallthrough, .. } => [Some(taken), Some(fallthrough)],
        _ => [None, None],
    };
    let internal = blocks.iter().flat_map(targets).flatten().any(|t| blocks.iter().any(|bl| bl.start == t));
    if env.trap && env.group_checks {
        // Constant addresses (single blocks too), and regions' windows.
        tr.limit_facts = blocks.iter().map(limits::block_facts).collect();
    }
    if env.fp.is_some() {
        tr.fregs.set_double_registers(fregs::double_registers(blocks));
    }
    // Code that counts its runs keeps no loop inside: each iteration
    // re-enters through the cell and counts, so a hot loop is noticed and
    // recompiled however few times it is entered.
    if flavor.hot_at.is_none() && (blocks.len() > 1 || internal) {
        // Every register the region touches is defined on entry (a path
        // through the region may read one another block set). Which ones
        // are dirty is tracked per path ([`dirty_on_entry`]).
        let mut touched = [false; Reg::COUNT];
        for op in blocks.iter().flat_map(|bl| &bl.ops) {
            if let Op::GetReg { reg, .. } | Op::SetReg { reg, .. } = *op {
                touched[reg.index() & 63] = true;
            }
        }
        for (i, _) in touched.iter().enumerate().skip(1).filter(|(_, t)| **t) {
            let var = tr.b.declare_var(I64);
            let v = if i >= 32 && tr.env.fp.is_some() {
                tr.load_fp_reg(i)
            } else {
                tr.b.ins().load(I64, flags(), tr.cpu, off::CPU_REGS + 8 * i as i32)
            };
            tr.b.def_var(var, v);
            tr.regs[i] = Some(var);
        }
        // Written through, `instret` is stored at every block's end and
        // no register is ever dirty.
        if !env.write_through {
            let var = tr.b.declare_var(I64);
            let v = tr.b.ins().load(I64, flags(), tr.cpu, off::CPU_INSTRET);
            tr.b.def_var(var, v);
            tr.instret = Some(var);
        }
        tr.heads = blocks.iter().map(|bl| (bl.start, tr.b.create_block())).collect();
        tr.calls = blocks.iter().filter(|bl| pushes_return(bl)).map(|bl| bl.end).collect();
        tr.jumps = indirect_edges(blocks, &mut *tr.linker);
        let succs = region_succs(blocks, &tr.calls, &tr.jumps);
        tr.returns_from = comes_back(blocks, &succs);
        tr.quiet_conts = blocks
            .iter()
            .enumerate()
            .filter(|&(k, bl)| pushes_return(bl) && tr.call_stays(k, bl))
            .map(|(_, bl)| bl.end)
            .collect();
        tr.dirty_in =
            if env.write_through { vec![[false; Reg::COUNT]; blocks.len()] } else { dirty_on_entry(blocks, &succs) };
        if env.trap && env.group_checks && !env.block_exits {
            let entry: Vec<bool> =
                blocks.iter().enumerate().map(|(k, bl)| k == 0 || entries.contains(&bl.start)).collect();
            tr.assume = limits::assumptions(&tr.limit_facts, &succs, &entry);
            tr.known_out = tr.limit_facts.iter().zip(&tr.assume).map(|(f, a)| limits::out(f, a)).collect();
        }
    }

    tr.eager = !flavor.optimize && tr.heads.is_empty();
    if let Some(n) = flavor.hot_at {
        tr.count_run(first.start, n);
    }
    if !tr.heads.is_empty() {
        tr.check_frm_on_entry(blocks);
    }
    if let Some(&(start, _)) = tr.heads.first() {
        if !entries.is_empty() {
            // A hot region is entered at its first block and at the
            // blocks of `entries` ([`region_entries`]): the engine links
            // their cells to this code too, and the pc it is entered with
            // picks the head. Only those heads are targets of the switch:
            // an edge from here into any other block would give its loop
            // a second way in, to Cranelift as much as a real entry does.
            // Every register the region touches was loaded above,
            // whichever block that is.
            // (Loading the registers may have left the entry block: see
            // `Tr::load_fp_reg`.)
            let entry = tr.b.func.layout.entry_block().expect("the entry block");
            let pc = tr.b.block_params(entry)[2];
            let others = tr.b.create_block();
            let at_start = tr.b.ins().icmp_imm_s(IntCC::Equal, pc, start as i64);
            let ways: Vec<usize> =
                (0..tr.heads.len()).filter(|&k| k == 0 || entries.contains(&tr.heads[k].0)).collect();
            let landings: Vec<(usize, ClBlock)> = ways.into_iter().map(|k| (k, tr.landing(k))).collect();
            tr.b.ins().brif(at_start, landings[0].1, &[], others, &[]);
            tr.b.switch_to_block(others);
            let mut switch = Switch::new();
            for &(k, blk) in &landings[1..] {
                switch.set_entry(u128::from(tr.heads[k].0), blk);
            }
            switch.emit(&mut tr.b, pc, landings[0].1);
            tr.fill_landings(&landings);
        } else {
            let landings = [(0, tr.landing(0))];
            tr.b.ins().jump(landings[0].1, &[]);
            tr.fill_landings(&landings);
        }
    }
    for (k, block) in blocks.iter().enumerate() {
        if let Some(&(_, head)) = tr.heads.get(k) {
            tr.b.switch_to_block(head);
            tr.dirty = tr.dirty_in[k];
        }
        tr.current = k;
        tr.may_write = writes(block);
        tr.temps = vec![None; block.num_temps as usize];
        tr.fp_block = fp::BlockValues::starting(tr.b.current_block(), tr.b.func.dfg.num_blocks());
        tr.fregs.new_block();
        tr.site_pc = block.start;
        tr.retired = 0;
        tr.insns = 0;
        tr.groups = access_groups(block);
        tr.group_ok.clear();
        if env.trap {
            trap_bases(block, &mut tr.trap_bases, &mut tr.trap_roots);
        }
        tr.vtype = tr.linker.vtype(block.start).or_else(|| tr.linker.vtype(first.start)).map(vector::Vtype::Guessed);
        for op in &block.ops {
            tr.op(op)?;
        }
        tr.terminator(block)?;
    }
    tr.emit_side_exits();
    tr.b.seal_all_blocks();
    // The frontend config only matters for stack-map and pointer-width
    // details this code does not use.
    tr.b.finalize(fe);
    let pcs = std::mem::take(&mut tr.pcs);
    remove_dead_loads(func);
    Ok((pcs, entries))
}

/// Drops the `notrap` loads whose values nothing uses. Cranelift lowers
/// every load, used or not (`has_lowering_side_effect` counts any load as
/// one), and a region loads every guest register it touches on entry, the
/// ones its blocks set before reading them too (when no exit can store
/// them first): 15 of the 25 loads on entry to crypto's AES round loop, a
/// `mov` each into a register the next one overwrites. A `notrap` load
/// cannot fault, so nothing can tell that it did not run.
fn remove_dead_loads(func: &mut Function) {
    use cranelift_codegen::entity::EntityRef;
    let mut used = vec![false; func.dfg.num_values()];
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            for v in func.dfg.inst_values(inst) {
                used[func.dfg.resolve_aliases(v).index()] = true;
            }
        }
    }
    let mut pos = FuncCursor::new(func);
    while pos.next_block().is_some() {
        while let Some(inst) = pos.next_inst() {
            let dfg = &pos.func.dfg;
            let notrap_load = match dfg.insts[inst] {
                InstructionData::Load { flags, .. } => dfg.mem_flags[flags].notrap(),
                _ => false,
            };
            if notrap_load && dfg.inst_results(inst).iter().all(|r| !used[r.index()]) {
                pos.remove_inst_and_step_back();
            }
        }
    }
}

impl<'a, 'b, L: Linker + ?Sized> Tr<'a, 'b, L> {
    /// A translator for the function `b` builds, in its entry block (whose
    /// first two params are `cpu` and `ctx`).
    fn new(mut b: FunctionBuilder<'a>, env: Env, linker: &'b mut L, ic_words: (u64, usize)) -> Self {
        let sigs = Sigs {
            h2: b.import_signature(helper_sig(2, true)),
            h3: b.import_signature(helper_sig(3, true)),
            h4: b.import_signature(helper_sig(4, true)),
            h5: b.import_signature(helper_sig(5, true)),
            h3_void: b.import_signature(helper_sig(3, false)),
            h4_void: b.import_signature(helper_sig(4, false)),
            stub: b.import_signature({
                let mut sig = Signature::new(CallConv::PreserveAll);
                sig.params.push(AbiParam::new(I64));
                sig
            }),
            thunk: b.import_signature({
                let mut sig = Signature::new(CallConv::PreserveAll);
                sig.params.extend(std::iter::repeat_n(AbiParam::new(I64), 6));
                sig
            }),
            block: b.import_signature(block_signature()),
            indirect: b.import_signature(indirect_signature()),
        };
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let (cpu, ctx) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        Tr {
            b,
            env,
            linker,
            cpu,
            ctx,
            temps: Vec::new(),
            regs: [None; Reg::COUNT],
            dirty: [false; Reg::COUNT],
            site_pc: 0,
            retired: 0,
            insns: 0,
            sigs,
            ic_words,
            ic_used: 0,
            pending: Vec::new(),
            heads: Vec::new(),
            jumps: Vec::new(),
            may_write: false,
            instret: None,
            returns_from: Vec::new(),
            quiet_conts: Vec::new(),
            current: 0,
            groups: HashMap::new(),
            group_ok: HashMap::new(),
            trap_bases: Vec::new(),
            trap_roots: HashMap::new(),
            cold: false,
            eager: false,
            shared: Vec::new(),
            calls: Vec::new(),
            fp_block: fp::BlockValues::default(),
            region_frm: None,
            fregs: fregs::Shadows::default(),
            vtype: None,
            dirty_in: Vec::new(),
            limit_facts: Vec::new(),
            assume: Vec::new(),
            known_out: Vec::new(),
            accesses: 0,
            checked: Vec::new(),
            pcs: Vec::new(),
            host_base: None,
        }
    }

    /// The address of the next indirect exit's inline-cache word, as a
    /// value: each exit of a region has its own (they shared one, and a
    /// region leaving by several returns and indirect jumps missed where
    /// each would hit alone), the last one shared if there are more exits
    /// than words ([`ic_words_for`]).
    fn next_ic_word(&mut self) -> Value {
        let (base, len) = self.ic_words;
        let k = self.ic_used.min(len.saturating_sub(1));
        self.ic_used += 1;
        self.iconst(base + 8 * k as u64)
    }

    fn t(&self, t: ferrovm_ir::Temp) -> Result<Value, Untranslatable> {
        self.temps
            .get(t.index())
            .copied()
            .flatten()
            .ok_or_else(|| Untranslatable(format!("{t} used before definition")))
    }

    fn def(&mut self, t: ferrovm_ir::Temp, v: Value) -> Result<(), Untranslatable> {
        let slot = self.temps.get_mut(t.index()).ok_or_else(|| Untranslatable(format!("{t} out of range")))?;
        *slot = Some(v);
        Ok(())
    }

    fn iconst(&mut self, v: u64) -> Value {
        self.b.ins().iconst(I64, v as i64)
    }

    fn get_reg(&mut self, r: Reg) -> Value {
        let i = r.index() & 63;
        if i == 0 {
            return self.b.ins().iconst(I64, 0);
        }
        let v = match self.regs[i] {
            // A double-primary register is read from its float shadow.
            Some(_) if self.double_primary(i) => None,
            Some(var) => Some(self.b.use_var(var)),
            None => {
                let var = self.b.declare_var(I64);
                let v = if i >= 32 && self.env.fp.is_some() {
                    self.load_fp_reg(i)
                } else {
                    self.b.ins().load(I64, flags(), self.cpu, off::CPU_REGS + 8 * i as i32)
                };
                self.b.def_var(var, v);
                self.regs[i] = Some(var);
                Some(v)
            }
        };
        match v {
            Some(v) if i < 32 || self.env.fp.is_none() => v,
            // `read_fp_reg` reads a double-primary register itself.
            v => self.read_fp_reg(i, v),
        }
    }

    /// The value of guest register `i` to store into the `Cpu` (a dirty
    /// register, defined).
    fn reg_to_store(&mut self, i: usize, var: Variable) -> Value {
        match self.write_back_fp(i) {
            Some(f) => f,
            None => self.b.use_var(var),
        }
    }

    fn set_reg(&mut self, r: Reg, v: Value) {
        let i = r.index() & 63;
        if i == 0 {
            return;
        }
        let var = match self.regs[i] {
            Some(var) => var,
            None => {
                let var = self.b.declare_var(I64);
                self.regs[i] = Some(var);
                var
            }
        };
        self.b.def_var(var, v);
        if i >= 32 && self.env.fp.is_some() {
            self.define_shadows(i, v, None, None);
        }
        if self.eager || self.env.write_through {
            self.b.ins().store(flags(), v, self.cpu, off::CPU_REGS + 8 * i as i32);
        } else {
            self.dirty[i] = true;
        }
    }

    /// Stores every dirty guest register back into the `Cpu` (and
    /// `instret`, when it lives in a variable).
    fn write_back(&mut self) {
        if let Some(var) = self.instret {
            let v = self.b.use_var(var);
            self.b.ins().store(flags(), v, self.cpu, off::CPU_INSTRET);
        }
        for i in 1..Reg::COUNT {
            if self.dirty[i]
                && let Some(var) = self.regs[i]
            {
                let v = self.reg_to_store(i, var);
                self.b.ins().store(flags(), v, self.cpu, off::CPU_REGS + 8 * i as i32);
            }
        }
    }

    fn add_instret(&mut self, n: u32) {
        if n == 0 {
            return;
        }
        if let Some(var) = self.instret {
            let v = self.b.use_var(var);
            let v = self.b.ins().iadd_imm_s(v, i64::from(n));
            self.b.def_var(var, v);
            return;
        }
        let v = self.b.ins().load(I64, flags(), self.cpu, off::CPU_INSTRET);
        let v = self.b.ins().iadd_imm_s(v, i64::from(n));
        self.b.ins().store(flags(), v, self.cpu, off::CPU_INSTRET);
    }

    fn set_pc(&mut self, pc: Value) {
        self.b.ins().store(flags(), pc, self.cpu, off::CPU_PC);
    }

    fn ret(&mut self, code: u64) {
        let c = self.iconst(code);
        self.b.ins().return_(&[c]);
    }

    /// A cold block that leaves with `code` at the current fault site:
    /// registers written back, `pc` = the instruction's, `instret` += the
    /// instructions retired before it. Its body is emitted after the main
    /// path ([`Tr::emit_side_exits`]) with the dirty set of this point. In
    /// eager mode nothing is dirty and the block is shared by every site.
    fn side_exit(&mut self, code: u64) -> Target {
        if self.eager {
            let site = Some((self.site_pc, self.retired));
            if let Some(&(_, blk)) = self.shared.iter().find(|(c, _)| *c == code) {
                return Target { blk, site };
            }
            let blk = self.b.create_block();
            self.b.set_cold_block(blk);
            self.b.append_block_param(blk, I64);
            self.b.append_block_param(blk, I64);
            self.shared.push((code, blk));
            return Target { blk, site };
        }
        let blk = self.b.create_block();
        self.b.set_cold_block(blk);
        self.pending.push(SideExit { blk, dirty: self.dirty, pc: self.site_pc, retired: self.retired, code });
        Target { blk, site: None }
    }

    /// Branches to `to` if `cond` is non-zero; continues in a new block
    /// (cold on a cold path).
    fn branch_to(&mut self, cond: Value, to: Target) {
        let next = self.b.create_block();
        if self.cold {
            self.b.set_cold_block(next);
        }
        match to.site {
            Some((pc, retired)) => {
                let pc = self.iconst(pc);
                let retired = self.iconst(u64::from(retired));
                self.b.ins().brif(cond, to.blk, &[BlockArg::Value(pc), BlockArg::Value(retired)], next, &[]);
            }
            None => {
                self.b.ins().brif(cond, to.blk, &[], next, &[]);
            }
        }
        self.b.switch_to_block(next);
    }

    fn emit_side_exits(&mut self) {
        for (code, blk) in std::mem::take(&mut self.shared) {
            self.b.switch_to_block(blk);
            let (pc, retired) = (self.b.block_params(blk)[0], self.b.block_params(blk)[1]);
            let n = self.b.ins().load(I64, flags(), self.cpu, off::CPU_INSTRET);
            let n = self.b.ins().iadd(n, retired);
            self.b.ins().store(flags(), n, self.cpu, off::CPU_INSTRET);
            self.set_pc(pc);
            if code == exit::ILLEGAL {
                let zero = self.b.ins().iconst(I32, 0);
                self.b.ins().store(flags(), zero, self.ctx, off::CTX_ILLEGAL_BITS);
            }
            self.ret(code);
        }
        for e in std::mem::take(&mut self.pending) {
            self.b.switch_to_block(e.blk);
            let dirty = std::mem::replace(&mut self.dirty, e.dirty);
            // instret first: `write_back` stores it when it is a variable.
            self.add_instret(e.retired);
            self.write_back();
            self.dirty = dirty;
            let pc = self.iconst(e.pc);
            self.set_pc(pc);
            if e.code == exit::ILLEGAL {
                let zero = self.b.ins().iconst(I32, 0);
                self.b.ins().store(flags(), zero, self.ctx, off::CTX_ILLEGAL_BITS);
            }
            self.ret(e.code);
        }
    }

    fn call(&mut self, sig: SigRef, addr: usize, args: &[Value]) -> Option<Value> {
        let f = self.b.ins().iconst(I64, addr as i64);
        let call = self.b.ins().call_indirect(sig, f, args);
        self.b.inst_results(call).first().copied()
    }

    /// Branches to a fault exit if `status` is non-zero; continues in a new
    /// block otherwise.
    fn check_status(&mut self, status: Value) {
        let fault = self.side_exit(exit::FAULT);
        self.branch_to(status, fault);
    }

    /// Counts this entry in the profile table; leaves with [`exit::HOT`]
    /// (before anything ran) when the count reaches `hot_at`. Exactly
    /// reaching it, so the exit happens once, not on every later run.
    fn count_run(&mut self, pc: u64, hot_at: u32) {
        let counter = self.linker.counter(pc) as u64;
        let at = self.iconst(counter);
        let n = self.b.ins().load(I32, flags(), at, 0);
        let n = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(flags(), n, at, 0);
        let hot = self.b.ins().icmp_imm_s(IntCC::Equal, n, i64::from(hot_at as i32));
        let leave = self.side_exit(exit::HOT);
        self.branch_to(hot, leave);
    }

    fn ctx_value(&mut self) -> Value {
        self.b.ins().load(I64, flags(), self.ctx, off::CTX_VALUE)
    }

    /// For a load or store through `addr` (whose value is `base`), in an
    /// [`AccessGroup`]: the group's first access checks the whole group
    /// and records the outcome in a flag; every member branches on that
    /// flag past its own check, which runs (out of line) only when the
    /// group check failed (a group straddling two pages, say), so such a
    /// group costs what ungrouped accesses cost, never a trip to the
    /// interpreter. Returns whether the access was handled this way; the
    /// builder is then in the block where the host access goes.
    fn group_check(&mut self, addr: ferrovm_ir::Temp, base: Value, at: Value, size: u32, write: bool) -> bool {
        let Some(g) = self.groups.get(&addr).copied() else { return false };
        let (own, fast) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(own);
        match self.group_ok.get(&addr) {
            Some(&var) => {
                let ok = self.b.use_var(var);
                self.b.ins().brif(ok, fast, &[], own, &[]);
            }
            None => {
                let var = self.b.declare_var(I8);
                self.group_ok.insert(addr, var);
                let fail = self.b.create_block();
                self.b.set_cold_block(fail);
                let fail_to = Target { blk: fail, site: None };
                let first = self.b.ins().iadd_imm_s(base, g.min_off);
                let mask = !(GUEST_LIMIT - 1) | u64::from(g.max_size - 1);
                let bad = self.b.ins().band_imm_s(first, mask as i64);
                self.branch_to(bad, fail_to);
                let span = g.max_end - g.min_off;
                if span > i64::from(g.max_size) {
                    let in_page = self.b.ins().band_imm_s(first, (1 << PAGE_SHIFT) - 1);
                    let bad = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, in_page, (1 << PAGE_SHIFT) - span);
                    self.branch_to(bad, fail_to);
                }
                let (mut mask, mut want) = (0, 0);
                if g.read {
                    mask |= page_flags::READ;
                    want |= page_flags::READ;
                }
                if g.write {
                    mask |= page_flags::WRITE | page_flags::WRITE_SLOW;
                    want |= page_flags::WRITE;
                }
                let bad = self.page_flags_differ(first, mask, want);
                self.branch_to(bad, fail_to);
                let yes = self.b.ins().iconst(I8, 1);
                self.b.def_var(var, yes);
                self.b.ins().jump(fast, &[]);
                self.b.switch_to_block(fail);
                let no = self.b.ins().iconst(I8, 0);
                self.b.def_var(var, no);
                self.b.ins().jump(own, &[]);
            }
        }
        self.b.switch_to_block(own);
        let slow = self.side_exit(exit::SLOW);
        let cold = std::mem::replace(&mut self.cold, true);
        self.access_check(at, size, write, slow);
        self.cold = cold;
        self.b.ins().jump(fast, &[]);
        self.b.switch_to_block(fast);
        true
    }

    /// Whether the flags of the page holding `addr` (below [`GUEST_LIMIT`])
    /// masked by `mask` differ from `want`.
    fn page_flags_differ(&mut self, addr: Value, mask: u8, want: u8) -> Value {
        let page = self.b.ins().ushr_imm_s(addr, i64::from(PAGE_SHIFT));
        let table = self.iconst(self.env.page_table);
        let at = self.b.ins().iadd(table, page);
        let f = self.b.ins().uload8(I64, flags(), at, 0);
        let m = self.b.ins().band_imm_s(f, i64::from(mask));
        if mask == want && mask.is_power_of_two() {
            // One bit that must be set: `test` + `jz`.
            return self.b.ins().icmp_imm_s(IntCC::Equal, m, 0);
        }
        self.b.ins().icmp_imm_s(IntCC::NotEqual, m, i64::from(want))
    }

    /// The inline access check, as a chain of predicted branches to `slow`:
    /// the address is aligned to `size` (so the access stays in one page:
    /// one lookup covers it), below [`GUEST_LIMIT`] (an aligned address
    /// below it ends below it), and its page's flags allow the access (see
    /// `ferrovm_mem`'s `Need`; a store also goes slow on a page holding
    /// translated code). Leaves the builder in the fast-path block.
    /// Misaligned accesses take the slow exit: the interpreter does them.
    fn access_check(&mut self, addr: Value, size: u32, write: bool, slow: Target) {
        let (mask, want) = if write {
            (page_flags::WRITE | page_flags::WRITE_SLOW, page_flags::WRITE)
        } else {
            (page_flags::READ, page_flags::READ)
        };
        self.access_check_flags(addr, size, mask, want, slow);
    }

    /// [`Tr::access_check`] for an access whose page flags masked by
    /// `mask` must equal `want` (the pair `ferrovm_mem`'s `Need` holds).
    fn access_check_flags(&mut self, addr: Value, size: u32, mask: u8, want: u8, slow: Target) {
        // One test covers both: no bit at or above GUEST_LIMIT, and none
        // below the access size.
        let bits = !(GUEST_LIMIT - 1) | u64::from(size - 1);
        let bad = self.b.ins().band_imm_s(addr, bits as i64);
        self.branch_to(bad, slow);
        let bad = self.page_flags_differ(addr, mask, want);
        self.branch_to(bad, slow);
    }

    /// An AMO at guest address `at` with operand `src`, inline: the check
    /// a store's is plus read permission (`Need::READ_WRITE` in
    /// `ferrovm_mem`: aligned, readable and writable, no translated code on
    /// the page), then one host atomic read-modify-write, the instruction
    /// the `fetch_*` of `AddressSpace::amo` compiles to (a `lock`ed
    /// instruction, or a `lock cmpxchg` loop for min/max). Anything the
    /// check refuses leaves with [`exit::SLOW`] before the instruction, and
    /// the interpreter runs it through `AddressSpace::amo`, which faults
    /// exactly; so faults, alignment and permissions have one
    /// implementation, and this is the fast path of its success case.
    /// Every `lock`ed x86-64 instruction is a full barrier, the strongest
    /// ordering `aq`/`rl` can ask for.
    fn amo(&mut self, op: ferrovm_ir::AmoOp, at: Value, src: Value, size: MemSize) -> Value {
        use ferrovm_ir::AmoOp as A;
        let slow = self.side_exit(exit::SLOW);
        let (mask, want) =
            (page_flags::READ | page_flags::WRITE | page_flags::WRITE_SLOW, page_flags::READ | page_flags::WRITE);
        self.access_check_flags(at, size.bytes(), mask, want, slow);
        let p = self.host_addr(at);
        let rmw = match op {
            A::Swap => AtomicRmwOp::Xchg,
            A::Add => AtomicRmwOp::Add,
            A::Xor => AtomicRmwOp::Xor,
            A::And => AtomicRmwOp::And,
            A::Or => AtomicRmwOp::Or,
            A::Min => AtomicRmwOp::Smin,
            A::Max => AtomicRmwOp::Smax,
            A::MinU => AtomicRmwOp::Umin,
            A::MaxU => AtomicRmwOp::Umax,
        };
        // Aligned (checked above) and mapped (the unmap barrier keeps the
        // page while this code runs, as for every checked access).
        let fl = flags().with_aligned();
        if size == MemSize::W {
            let x = self.b.ins().ireduce(I32, src);
            let old = self.b.ins().atomic_rmw(I32, fl, rmw, p, x);
            self.b.ins().sextend(I64, old)
        } else {
            self.b.ins().atomic_rmw(I64, fl, rmw, p, src)
        }
    }

    fn host_addr(&mut self, addr: Value) -> Value {
        let base = self.iconst(self.env.host_base);
        self.b.ins().iadd(base, addr)
    }

    /// The check before a load or store at `at` (`base` plus an offset,
    /// `base` the value of temporary `addr`): its group's, or its own. When
    /// it fails, the block leaves with [`exit::SLOW`] before the instruction
    /// (state precise), and the engine runs it in the interpreter, which
    /// faults exactly or does the access. The fast path calls nothing, so
    /// no value has to leave a register for it.
    fn check(&mut self, addr: ferrovm_ir::Temp, base: Value, at: Value, size: u32, write: bool) {
        if !self.group_check(addr, base, at, size, write) {
            let slow = self.side_exit(exit::SLOW);
            self.access_check(at, size, write, slow);
        }
    }

    /// Before a direct load or store at guest address `at`
    /// ([`crate::MemAccess::Direct`]): one compare against the guest limit
    /// (the reservation covers `[0, GUEST_LIMIT)` and a guard past it),
    /// whose branch goes to a side exit at this instruction, exactly as a
    /// failed check does. Returns the host address (the pinned base plus
    /// `at`, which the access folds into its address operand). The access
    /// must be the next machine instruction after the branch, because a
    /// host fault there is resumed at the branch's target (see
    /// [`crate::fault`], which verifies that layout in the machine code).
    ///
    /// A store whose value the optimizer computes only after the branch
    /// (it sinks a value used by the store alone to right before it) fails
    /// that check and is compiled again with an inline check.
    ///
    /// With `env.trap` ([`crate::MemAccess::Trap`]) only the first access
    /// through each base temporary in the block is checked, in a way that
    /// covers the others ([`Tr::trap_check`]), and a failed check traps
    /// (`ud2`, a trap-mode site of that access) instead of branching.
    fn direct_check(
        &mut self,
        at: Value,
        addr: ferrovm_ir::Temp,
        base_value: Value,
        offset: i32,
        size: u32,
        write: bool,
    ) -> Value {
        // The host base is in the pinned register (see `store::host_isa`),
        // not a constant: the optimizer would fold a constant and the
        // access's offset into a new constant materialized right before the
        // access, between it and its branch.
        let here = self.b.current_block();
        let base = match self.host_base {
            // Read already in this block (straight-line code: one copy of
            // the register serves every access of the block).
            Some((block, base)) if self.env.trap && Some(block) == here => base,
            _ => {
                let base = self.b.ins().get_pinned_reg(I64);
                self.host_base = here.filter(|_| self.env.trap).map(|b| (b, base));
                base
            }
        };
        if self.env.trap {
            self.trap_check(addr, base_value, i64::from(offset), size, write);
            return self.b.ins().iadd(base, at);
        }
        let p = self.b.ins().iadd(base, at);
        // A constant is fine here: it is used before the branch.
        let beyond = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, at, GUEST_LIMIT as i64);
        let slow = self.side_exit(exit::SLOW);
        self.branch_to(beyond, slow);
        p
    }

    /// The limit check of a trap-mode access through base temporary `addr`
    /// (value `base_value`) at `offset`, if it is the block's first through
    /// that base (every access, without `env.group_checks`): `base + lo < GUEST_LIMIT`, `lo` the lowest offset the
    /// block uses it with, else a trap at this access. It covers every
    /// access of the block through the base (or through the base plus a
    /// small index, see [`trap_bases`]) whose bytes lie within
    /// [`TRAP_REACH`] of `base + lo` (all of them, with 12-bit immediates
    /// and no index; any other is checked on its own): when it holds they
    /// fall below the limit or
    /// in the guard past it (faulting there as the guest access would),
    /// and when it fails every one of them is beyond the limit or, wrapped
    /// around, in the guest's first 4 KiB, which are not mapped (or it
    /// would not group): the
    /// first in program order, this one, faults, as the trap says. QEMU
    /// checks nothing (in user mode a wild address reaches its own
    /// memory); a clamp of every address (`umin`, a `cmov`) made bzip2 -9
    /// about 20% slower than no check, a check of every access about 12%,
    /// this about 5% (README, "Benchmarks").
    ///
    /// The limit is a memory operand (the context's copy): as a constant
    /// it would take a register for a 10-byte `movabs`.
    fn trap_check(&mut self, addr: ferrovm_ir::Temp, base_value: Value, offset: i64, size: u32, write: bool) {
        let Rooted { root, delta, span } = self.trap_roots.get(&addr).copied().unwrap_or(Rooted::of(addr));
        let at = offset + delta;
        // Past its last byte, with the largest index.
        let end = at + span as i64 + i64::from(size);
        if self.known_window(root).is_some_and(|w| w.covers(at, end)) {
            // A constant address, or a register the block assumes a
            // window for on entry ([`limits`]).
            return;
        }
        let group = self.trap_bases.iter_mut().find(|(t, ..)| *t == root).filter(|_| self.env.group_checks);
        // The root is defined earlier in the block, on its main line: its
        // value dominates this access (the verifier sees to the order).
        let root_value = self.temps.get(root.index()).copied().flatten();
        let (base, lo) = match (group, root_value) {
            (Some((_, lo, done)), Some(root_value)) if at >= *lo && end <= *lo + TRAP_REACH => {
                if std::mem::replace(done, true) {
                    // Covered by the check done.
                    return;
                }
                (root_value, *lo)
            }
            // An offset far from the others (folded in by an IR pass):
            // checked on its own.
            _ => (base_value, offset),
        };
        let first = self.b.ins().iadd_imm_s(base, lo);
        let limit = self.b.ins().load(I64, flags(), self.ctx, off::CTX_GUEST_LIMIT);
        let beyond = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, first, limit);
        // The trap's code marks it as an access (`CodeStore::compile`
        // records it as this instruction's trap-mode site; the host
        // `SIGILL` handler sends it to `fault::abort`).
        self.b.ins().trapnz(beyond, access_tag(LIMIT_CHECK + u32::from(write)));
    }

    /// What is known about temporary `t` of the current block wherever it
    /// is defined: a constant's window, or the window the block assumes
    /// on entry for the register whose value on entry it holds.
    fn known_window(&self, t: ferrovm_ir::Temp) -> Option<limits::Window> {
        let facts = self.limit_facts.get(self.current)?;
        if let Some(&w) = facts.constants.get(&t) {
            return Some(w);
        }
        let &r = facts.entry.get(&t)?;
        self.assume.get(self.current)?[r]
    }

    /// The number of the next guest load or store if it is to be direct
    /// (its trap code, see [`access_tag`]), `None` to check it inline.
    fn next_access(&mut self) -> Option<u32> {
        let n = self.accesses;
        self.accesses += 1;
        if self.env.direct && self.env.trap {
            // Any number of them; told apart by their source location
            // (the guest pc), not their trap code.
            return Some(0);
        }
        (self.env.direct && n < MAX_DIRECT_ACCESSES && !self.checked.contains(&n)).then_some(n)
    }

    /// Flags of a guest load or store: a direct one (number `direct`) may
    /// fault, when the guest access would, with its own trap code.
    fn guest_flags(direct: Option<u32>) -> MemFlagsData {
        match direct {
            Some(n) => MemFlagsData::new().with_endianness(Endianness::Little).with_trap_code(Some(access_tag(n))),
            None => flags(),
        }
    }

    /// A plain host load from host address `p` (a checked guest address,
    /// or a direct one).
    fn load(&mut self, p: Value, size: MemSize, signed: bool, direct: Option<u32>) -> Value {
        let fl = Self::guest_flags(direct);
        match (size, signed) {
            (MemSize::B, false) => self.b.ins().uload8(I64, fl, p, 0),
            (MemSize::B, true) => self.b.ins().sload8(I64, fl, p, 0),
            (MemSize::H, false) => self.b.ins().uload16(I64, fl, p, 0),
            (MemSize::H, true) => self.b.ins().sload16(I64, fl, p, 0),
            (MemSize::W, false) => self.b.ins().uload32(fl, p, 0),
            (MemSize::W, true) => self.b.ins().sload32(fl, p, 0),
            (MemSize::D, _) => self.b.ins().load(I64, fl, p, 0),
        }
    }

    /// A plain host store to checked guest address `addr` (the check sent
    /// stores to pages holding translated code to the slow exit, so the
    /// engine sees them).
    fn store(&mut self, p: Value, value: Value, size: MemSize, direct: Option<u32>) {
        let fl = Self::guest_flags(direct);
        match size {
            MemSize::B => self.b.ins().istore8(fl, value, p, 0),
            MemSize::H => self.b.ins().istore16(fl, value, p, 0),
            MemSize::W => self.b.ins().istore32(fl, value, p, 0),
            MemSize::D => self.b.ins().store(fl, value, p, 0),
        };
    }

    fn op(&mut self, op: &Op) -> Result<(), Untranslatable> {
        match *op {
            Op::Mark { pc, .. } => {
                self.site_pc = pc;
                if self.env.trap {
                    // Where a faulting trap-mode access is: the source
                    // location of the instructions that follow names their
                    // guest pc (see `CodeStore::compile`).
                    self.b.set_srcloc(SourceLoc::new(self.pcs.len() as u32));
                    self.pcs.push((pc, if self.env.write_through { self.insns } else { 0 }));
                }
                self.retired = self.insns;
                self.insns += 1;
            }
            Op::Const { dst, value } => {
                let v = self.iconst(value);
                self.def(dst, v)?;
            }
            Op::Copy { dst, src } => {
                let v = self.t(src)?;
                self.def(dst, v)?;
            }
            Op::GetReg { dst, reg } => {
                let v = self.get_reg(reg);
                self.def(dst, v)?;
            }
            Op::SetReg { reg, src } => {
                let v = self.t(src)?;
                self.set_reg(reg, v);
            }
            Op::Unary { op, dst, src } => {
                let x = self.t(src)?;
                let mut rare = Rare { h2: self.sigs.h2, h3: self.sigs.h3 };
                let v = int_ops::unary(&mut self.b, &mut rare, op, x);
                self.unary_shadow(op, x, v);
                self.def(dst, v)?;
            }
            Op::Binary { op, dst, a, b: bb } => {
                let (x, y) = (self.t(a)?, self.t(bb)?);
                let mut rare = Rare { h2: self.sigs.h2, h3: self.sigs.h3 };
                let v = int_ops::binary(&mut self.b, &mut rare, op, x, y);
                self.def(dst, v)?;
            }
            Op::Select { dst, cond, a, b } => {
                let (c, x, y) = (self.t(cond)?, self.t(a)?, self.t(b)?);
                let v = self.b.ins().select(c, x, y);
                self.def(dst, v)?;
            }
            Op::Load { dst, addr, offset, size, signed } => {
                let base = self.t(addr)?;
                let a = self.b.ins().iadd_imm_s(base, i64::from(offset));
                let direct = self.next_access();
                let p = if direct.is_some() {
                    self.direct_check(a, addr, base, offset, size.bytes(), false)
                } else {
                    self.check(addr, base, a, size.bytes(), false);
                    self.host_addr(a)
                };
                let v = self.load(p, size, signed, direct);
                self.def(dst, v)?;
            }
            Op::Store { addr, offset, src, size } => {
                let (base, v) = (self.t(addr)?, self.t(src)?);
                let a = self.b.ins().iadd_imm_s(base, i64::from(offset));
                let direct = self.next_access();
                let p = if direct.is_some() {
                    self.direct_check(a, addr, base, offset, size.bytes(), true)
                } else {
                    self.check(addr, base, a, size.bytes(), true);
                    self.host_addr(a)
                };
                self.store(p, v, size, direct);
            }
            Op::LoadReserved { dst, addr, size, order } => {
                let a = self.t(addr)?;
                let kind = self.iconst(u64::from(size_code(size) | order_code(order) << 2));
                let status = self.call(self.sigs.h4, HELPERS.lr, &[self.ctx, self.cpu, a, kind]).unwrap_or(a);
                self.check_status(status);
                let v = self.ctx_value();
                self.def(dst, v)?;
            }
            Op::StoreConditional { dst, addr, src, size, order } => {
                let (a, s) = (self.t(addr)?, self.t(src)?);
                let kind = self.iconst(u64::from(size_code(size) | order_code(order) << 2));
                let status = self.call(self.sigs.h5, HELPERS.sc, &[self.ctx, self.cpu, a, s, kind]).unwrap_or(a);
                self.check_status(status);
                let v = self.ctx_value();
                self.def(dst, v)?;
            }
            Op::Amo { op, dst, addr, src, size, .. } => {
                let (a, s) = (self.t(addr)?, self.t(src)?);
                let v = self.amo(op, a, s, size);
                self.def(dst, v)?;
            }
            Op::Fence { kind: FenceKind::Full } => {
                self.b.ins().fence();
            }
            // Nothing on x86-64 (see `FenceKind::Tso`). Cranelift keeps
            // guest loads and stores in program order; the one liberty its
            // alias analysis takes, reusing a value it loaded or stored
            // before, is one a plain RVWMO access may already see.
            Op::Fence { kind: FenceKind::Tso } => {}
            Op::FUnary { op, prec, rm, dst, src } => {
                let x = self.t(src)?;
                let v = self.f_unary(op, prec, rm, x);
                self.def(dst, v)?;
            }
            Op::FBinary { op, prec, rm, dst, a, b } => {
                let (x, y) = (self.t(a)?, self.t(b)?);
                let v = self.f_binary(op, prec, rm, x, y);
                self.def(dst, v)?;
            }
            Op::FTernary { op, prec, rm, dst, a, b, c } => {
                let (x, y, z) = (self.t(a)?, self.t(b)?, self.t(c)?);
                let v = self.f_ternary(op, prec, rm, x, y, z);
                self.def(dst, v)?;
            }
            Op::FCvt { op, rm, dst, src } => {
                let x = self.t(src)?;
                let v = self.f_convert(op, rm, x);
                self.def(dst, v)?;
            }
            Op::CheckFrm => self.check_frm(),
            Op::CsrRead { dst, csr } => {
                let v = match self.csr_read_host_fp(csr) {
                    Some(v) => v,
                    None => {
                        let c = self.iconst(u64::from(csr));
                        self.call(self.sigs.h2, HELPERS.csr_read, &[self.cpu, c]).unwrap_or(c)
                    }
                };
                self.def(dst, v)?;
            }
            Op::CsrWrite { csr, src } => {
                let v = self.t(src)?;
                if !self.csr_write_host_fp(csr, v) {
                    let c = self.iconst(u64::from(csr));
                    self.call(self.sigs.h3_void, HELPERS.csr_write, &[self.cpu, c, v]);
                }
            }
            Op::Vector { inst, dst, a, b } => self.vector(inst, dst, a, b)?,
        }
        Ok(())
    }

    /// Leaves towards guest `pc` through the chaining cell at `cell` (a
    /// value), or returns to the dispatcher if chaining is off or an exit was
    /// requested (interrupt, or code written).
    fn chain(&mut self, pc: Value, cell: Value) {
        if !self.env.chaining {
            self.set_pc(pc);
            self.ret(exit::CONTINUE);
            return;
        }
        let go = self.poll_exit(pc, false);
        self.b.switch_to_block(go);
        let code = self.b.ins().load(I64, flags(), cell, off::CELL_CODE);
        self.b.ins().return_call_indirect(self.sigs.block, code, &[self.cpu, self.ctx, pc]);
    }

    /// Polls `ctx.exit_request` (an interrupt, a code write, a request of
    /// another thread): if it is set, leaves to the dispatcher at `pc`
    /// (writing registers back first if `write_back`). Returns the block to
    /// continue in otherwise (not yet switched to).
    fn poll_exit(&mut self, pc: Value, write_back: bool) -> ClBlock {
        let any = self.b.ins().uload8(I64, flags(), self.ctx, off::CTX_EXIT_REQUEST);
        let (leave, go) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(leave);
        self.b.ins().brif(any, leave, &[], go, &[]);
        self.b.switch_to_block(leave);
        self.leave_at(pc, exit::CONTINUE, write_back);
        go
    }

    /// Leaves compiled code with `code` at guest `pc` (writing registers
    /// back first if `write_back`).
    fn leave_at(&mut self, pc: Value, code: u64, write_back: bool) {
        if write_back {
            self.write_back();
        }
        self.set_pc(pc);
        self.ret(code);
    }

    /// Where the region is entered at its block `k`: the block's head, or
    /// a block of its own that first checks the windows `k` assumes
    /// ([`limits`]; filled by [`Tr::fill_landings`]).
    fn landing(&mut self, k: usize) -> ClBlock {
        if self.assume.get(k).is_some_and(|a| a.iter().any(Option::is_some)) {
            self.b.create_block()
        } else {
            self.heads[k].1
        }
    }

    /// The checks of the region's entries made by [`Tr::landing`]: nothing
    /// ran yet, so a failed one leaves at the block's start.
    fn fill_landings(&mut self, landings: &[(usize, ClBlock)]) {
        for &(k, blk) in landings {
            let (start, head) = self.heads[k];
            if blk == head {
                continue;
            }
            self.b.switch_to_block(blk);
            let beyond = self.limit_guard(k, None).expect("a window to check");
            let leave = self.b.create_block();
            self.b.set_cold_block(leave);
            self.b.ins().brif(beyond, leave, &[], head, &[]);
            self.b.switch_to_block(leave);
            let pc = self.iconst(start);
            self.leave_at(pc, exit::SLOW, false);
        }
    }

    /// Whether any window region block `k` assumes on entry
    /// ([`limits::assumptions`]) is not known on the way there (`known`,
    /// none on an entry): one limit check of each such window's low end,
    /// `None` if there is nothing to check.
    fn limit_guard(&mut self, k: usize, known: Option<limits::RegWindows>) -> Option<Value> {
        let assumed = self.assume.get(k).copied()?;
        let mut beyond = None;
        let mut limit = None;
        for (r, w) in assumed.iter().enumerate() {
            let Some(w) = *w else { continue };
            if known.and_then(|known| known[r]).is_some_and(|o| o.covers(w.lo, w.hi)) {
                continue;
            }
            let v = self.get_reg(Reg::x(r as u8));
            let first = self.b.ins().iadd_imm_s(v, w.lo);
            let limit = *limit.get_or_insert_with(|| self.b.ins().load(I64, flags(), self.ctx, off::CTX_GUEST_LIMIT));
            let out = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, first, limit);
            beyond = Some(match beyond {
                Some(b) => self.b.ins().bor(b, out),
                None => out,
            });
        }
        beyond
    }

    /// Leaves towards guest `target`: a jump inside the function if
    /// `target` starts a block of the region, otherwise a write-back and a
    /// chained exit.
    /// Any cycle inside the region has an edge to a block at or before the
    /// current one in region order: those edges poll the interrupt flag.
    /// Forward edges poll only for `ctx.exit_request`, if the current block
    /// may write code ([`Tr::may_write`]).
    fn edge(&mut self, target: u64) {
        if !self.env.block_exits
            && let Some(k) = self.head(target)
        {
            let head = self.heads[k].1;
            let known = self.known_out.get(self.current).copied();
            if let Some(beyond) = self.limit_guard(k, known) {
                // A window `k` assumes that this block does not know: a
                // failed check leaves for the interpreter at `target`.
                let (leave, go) = (self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(leave);
                self.b.ins().brif(beyond, leave, &[], go, &[]);
                self.b.switch_to_block(leave);
                let pc = self.iconst(target);
                self.leave_at(pc, exit::SLOW, true);
                self.b.switch_to_block(go);
            }
            if k <= self.current || self.may_write {
                // One exit per block shared by the edges that poll on
                // their way to it (its write-back written once) was tried:
                // a third less code for quicksort's region, but the join of
                // the loop's values at the shared exit made the register
                // allocator reload them in the loop (vmatmul_scalar 1.6 ->
                // 2.1 s).
                let pc = self.iconst(target);
                let go = self.poll_exit(pc, true);
                self.b.switch_to_block(go);
            }
            self.b.ins().jump(head, &[]);
            return;
        }
        self.write_back();
        self.chain_direct(target);
    }

    fn chain_direct(&mut self, target: u64) {
        let pc = self.iconst(target);
        let cell_addr = if self.env.chaining { self.linker.cell(target) as u64 } else { 0 };
        let cell = self.iconst(cell_addr);
        self.chain(pc, cell);
    }

    /// An indirect exit: the return-address stack for returns, then the
    /// site's inline cache, then the jump cache, then the dispatcher.
    fn chain_indirect(&mut self, target: Value, hint: IndirectHint) {
        if !self.env.chaining {
            self.set_pc(target);
            self.ret(exit::CONTINUE);
            return;
        }
        let hit = self.b.create_block();
        let cell_param = self.b.append_block_param(hit, I64);
        self.bump(off::CTX_INDIRECT);
        if hint == IndirectHint::Return {
            self.bump(off::CTX_RETURNS);
        }
        if self.env.inline_cache && hint == IndirectHint::Return {
            let new_top = self.pop_return();
            let idx = self.b.ins().band_imm_s(new_top, (RAS_ENTRIES - 1) as i64);
            let byte = self.b.ins().ishl_imm_s(idx, 3);
            let at = self.b.ins().iadd(self.ctx, byte);
            let cell = self.b.ins().load(I64, flags(), at, off::CTX_RAS);
            let cpc = self.b.ins().load(I64, flags(), cell, off::CELL_PC);
            let eq = self.b.ins().icmp(IntCC::Equal, cpc, target);
            let next = self.b.create_block();
            self.b.ins().brif(eq, hit, &[BlockArg::Value(cell)], next, &[]);
            self.b.switch_to_block(next);
            self.bump(off::CTX_RAS_MISSES);
        }
        let word = self.env.inline_cache.then(|| self.next_ic_word());
        if let Some(word) = word {
            let cell = self.b.ins().load(I64, flags(), word, 0);
            let cpc = self.b.ins().load(I64, flags(), cell, off::CELL_PC);
            let eq = self.b.ins().icmp(IntCC::Equal, cpc, target);
            let next = self.b.create_block();
            self.b.ins().brif(eq, hit, &[BlockArg::Value(cell)], next, &[]);
            self.b.switch_to_block(next);
            self.bump(off::CTX_IC_MISSES);
        }
        // The vCPU's jump cache: direct-mapped by pc >> 1.
        let idx = self.b.ins().ushr_imm_s(target, 1);
        let idx = self.b.ins().band_imm_s(idx, (JUMP_CACHE_ENTRIES - 1) as i64);
        let byte = self.b.ins().ishl_imm_s(idx, 3);
        let at = self.b.ins().iadd(self.ctx, byte);
        let cell = self.b.ins().load(I64, flags(), at, off::CTX_JUMP_CACHE);
        let cpc = self.b.ins().load(I64, flags(), cell, off::CELL_PC);
        let eq = self.b.ins().icmp(IntCC::Equal, cpc, target);
        let (fill, miss) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(eq, fill, &[], miss, &[]);
        self.b.switch_to_block(fill);
        if let Some(word) = word {
            self.b.ins().store(flags(), cell, word, 0);
        }
        self.b.ins().jump(hit, &[BlockArg::Value(cell)]);
        self.b.switch_to_block(miss);
        self.bump(off::CTX_JC_MISSES);
        self.set_pc(target);
        self.ret(exit::CONTINUE);
        self.b.switch_to_block(hit);
        self.chain(target, cell_param);
    }

    /// How likely a branch to `target` stays in a loop of the region: 2
    /// for an edge back to a block at or before the current one (a loop's
    /// back edge), 1 for a later block of the region, 0 for an exit. A
    /// two-way branch names its likelier way second: Cranelift lays blocks
    /// out in a reverse postorder whose depth-first walk takes a block's
    /// first successor first, so the second one lands right after the
    /// block. Else a loop's latch comes after all the code its exit leads
    /// to (the outer loop's), and the register allocator, which takes
    /// every block between a back edge's ends for part of the loop, sees
    /// the outer loop's values as often used as the inner loop's and
    /// spills the inner loop's, then reloads and stores back outer values
    /// in the latch on every iteration (vmatmul_scalar 1.22 -> 0.80 s,
    /// vector_scalar and vcrypto_scalar 7-9% faster, the other steady
    /// workloads within 3% either way: `ferrovm-bench --runs 5`).
    fn loop_rank(&self, target: u64) -> u8 {
        match self.head(target) {
            Some(k) if k <= self.current => 2,
            Some(_) => 1,
            None => 0,
        }
    }

    /// The index of the region's block that starts at `pc`, if any.
    fn head(&self, pc: u64) -> Option<usize> {
        self.heads.iter().position(|&(h, _)| h == pc)
    }

    /// Adds one to the context's counter at `offset` (statistics; only the
    /// owner thread writes it).
    fn bump(&mut self, offset: i32) {
        let n = self.b.ins().load(I64, flags(), self.ctx, offset);
        let n = self.b.ins().iadd_imm_s(n, 1);
        self.b.ins().store(flags(), n, self.ctx, offset);
    }

    /// A return to where a call of the region comes back: if `target` is
    /// the address after such a call (a block of the region), jump there,
    /// popping the return-address stack if that call pushed (its
    /// continuation not in [`Tr::quiet_conts`]); otherwise continue in a new block (the exit
    /// path, whose lookup pops).
    fn return_inside(&mut self, target: Value) {
        let conts: Vec<u64> = self.calls.iter().copied().filter(|&c| self.head(c).is_some()).collect();
        self.stay_inside(target, conts, true);
    }

    /// An indirect jump (not a call or a return: a `switch`'s jump table,
    /// an interpreter's dispatch) to `target` in a region: when that is
    /// one of the region's blocks the linker guessed for it
    /// ([`Linker::indirect_targets`]), the jump stays inside (a search
    /// over their pcs, then the block with the guest registers where they
    /// are), else it takes the exit after this. The engine grows a region
    /// with a hot indirect jump by its hot targets (`Vm::grow_region`).
    fn jump_inside(&mut self, target: Value) {
        let pcs = self.guessed(self.current);
        self.stay_inside(target, pcs, false);
    }

    /// The blocks of the region the linker guessed for the indirect jump
    /// ending the region's block `k` ([`Linker::indirect_targets`]).
    fn guessed(&self, k: usize) -> Vec<u64> {
        self.jumps.get(k).into_iter().flatten().filter_map(|&j| self.heads.get(j)).map(|&(pc, _)| pc).collect()
    }

    /// An indirect transfer to `target` that may stay inside the region:
    /// when it is one of `pcs` (blocks of the region) it jumps there (a
    /// search over them, Cranelift's `Switch`); otherwise it continues in
    /// a new block, the exit path. A return (`ret`) that comes back to the
    /// continuation of a call that pushed pops its entry on the way.
    fn stay_inside(&mut self, target: Value, mut pcs: Vec<u64>, ret: bool) {
        if pcs.is_empty() || self.env.block_exits {
            return;
        }
        // Two calls of the region may come back to one place.
        pcs.sort_unstable();
        pcs.dedup();
        let mut switch = Switch::new();
        let mut inside = Vec::with_capacity(pcs.len());
        for pc in pcs {
            let blk = self.b.create_block();
            switch.set_entry(u128::from(pc), blk);
            inside.push((blk, pc));
        }
        let out = self.b.create_block();
        switch.emit(&mut self.b, target, out);
        for (blk, pc) in inside {
            self.b.switch_to_block(blk);
            if ret && self.env.chaining && self.env.inline_cache && !self.quiet_conts.contains(&pc) {
                self.pop_return();
            }
            self.edge(pc);
        }
        self.b.switch_to_block(out);
    }

    /// Whether call `block` (of a region), to one of `callees`, goes
    /// without pushing its return address while it stays in the region:
    /// its continuation and every callee are blocks of the region, and
    /// from each callee the code comes back to a return of the region
    /// without leaving it ([`comes_back`]), so the callee's return comes
    /// back inside (`return_inside`, which pops nothing for it). Any other call
    /// pushes, and its return pops wherever it runs: a call into the
    /// region whose return left it (its continuation not in the region,
    /// the callee's return not, or the callee leaving by a tail call)
    /// pushed nothing before, and the return popped its caller's entry, so
    /// both missed (crypto hit the stack on 5% of its returns, lz77 on
    /// 45%, strings on 58%). A call that does come back inside pushes
    /// nothing: a push and a pop there cost recursion 20% (spills in fib's
    /// region).
    fn stays_for_return(&self, block: &Block, callees: &[u64]) -> bool {
        !callees.is_empty()
            && self.head(block.end).is_some()
            && callees.iter().all(|&c| self.head(c).is_some_and(|k| self.returns_from.get(k).copied().unwrap_or(false)))
    }

    /// [`Self::stays_for_return`] for call `block`, the region's block `k`:
    /// its callee, or for an indirect call the blocks the linker guessed.
    fn call_stays(&self, k: usize, block: &Block) -> bool {
        match block.term {
            Terminator::Jump { target } => self.stays_for_return(block, &[target]),
            _ => self.stays_for_return(block, &self.guessed(k)),
        }
    }

    /// Pops the return-address stack: its new top.
    fn pop_return(&mut self) -> Value {
        let top = self.b.ins().load(I64, flags(), self.ctx, off::CTX_RAS_TOP);
        let top = self.b.ins().iadd_imm_s(top, -1);
        self.b.ins().store(flags(), top, self.ctx, off::CTX_RAS_TOP);
        top
    }

    /// Pushes the cell of the return address if this block is a call
    /// ([`pushes_return`]).
    fn push_return(&mut self, block: &Block) {
        if !(self.env.chaining && self.env.inline_cache && pushes_return(block)) {
            return;
        }
        let cell = self.linker.cell(block.end) as u64;
        let top = self.b.ins().load(I64, flags(), self.ctx, off::CTX_RAS_TOP);
        let idx = self.b.ins().band_imm_s(top, (RAS_ENTRIES - 1) as i64);
        let byte = self.b.ins().ishl_imm_s(idx, 3);
        let at = self.b.ins().iadd(self.ctx, byte);
        let c = self.iconst(cell);
        self.b.ins().store(flags(), c, at, off::CTX_RAS);
        let top = self.b.ins().iadd_imm_s(top, 1);
        self.b.ins().store(flags(), top, self.ctx, off::CTX_RAS_TOP);
    }

    fn terminator(&mut self, block: &Block) -> Result<(), Untranslatable> {
        let n = self.insns;
        match block.term {
            Terminator::Jump { target } => {
                self.add_instret(n);
                if !self.quiet_conts.contains(&block.end) {
                    self.push_return(block);
                }
                self.edge(target);
            }
            Terminator::Branch { cond, taken, fallthrough } => {
                let c = self.t(cond)?;
                self.add_instret(n);
                let internal = self.head(taken).is_some() || self.head(fallthrough).is_some();
                if self.env.chaining && !internal {
                    // Both ways leave: write back and poll once, then pick
                    // the cell.
                    self.write_back();
                    let (tpc, fpc) = (self.iconst(taken), self.iconst(fallthrough));
                    let pc = self.b.ins().select(c, tpc, fpc);
                    let go = self.poll_exit(pc, false);
                    self.b.switch_to_block(go);
                    let (t, f) = (self.b.create_block(), self.b.create_block());
                    self.b.ins().brif(c, t, &[], f, &[]);
                    for (blk, target, pc) in [(t, taken, tpc), (f, fallthrough, fpc)] {
                        self.b.switch_to_block(blk);
                        let cell = self.linker.cell(target) as u64;
                        let cell = self.iconst(cell);
                        let code = self.b.ins().load(I64, flags(), cell, off::CELL_CODE);
                        self.b.ins().return_call_indirect(self.sigs.block, code, &[self.cpu, self.ctx, pc]);
                    }
                    return Ok(());
                }
                let (t, f) = (self.b.create_block(), self.b.create_block());
                if self.loop_rank(taken) > self.loop_rank(fallthrough) {
                    // The taken way stays in the loop: second successor.
                    let not = self.b.ins().icmp_imm_s(IntCC::Equal, c, 0);
                    self.b.ins().brif(not, f, &[], t, &[]);
                } else {
                    self.b.ins().brif(c, t, &[], f, &[]);
                }
                self.b.switch_to_block(t);
                self.edge(taken);
                self.b.switch_to_block(f);
                self.edge(fallthrough);
            }
            Terminator::JumpIndirect { target, hint } => {
                let t = self.t(target)?;
                self.add_instret(n);
                // A call kept inside pushes no return address where its
                // return is expected inside (as for a direct call); one
                // that leaves pushes on its way out.
                let stays = self.quiet_conts.contains(&block.end);
                if !stays {
                    self.push_return(block);
                }
                match hint {
                    IndirectHint::Return => self.return_inside(t),
                    IndirectHint::None | IndirectHint::Call => self.jump_inside(t),
                }
                self.write_back();
                if stays {
                    self.push_return(block);
                }
                let shared = self.env.indirect[usize::from(hint == IndirectHint::Return)];
                if self.eager && self.env.chaining && shared != 0 {
                    // The lookup is the same everywhere: a tail call to the
                    // shared one keeps this function small (compiled on its
                    // first run, its compile time is what counts).
                    let f = self.iconst(shared);
                    let word = self.next_ic_word();
                    self.b.ins().return_call_indirect(self.sigs.indirect, f, &[self.cpu, self.ctx, t, word]);
                } else {
                    self.chain_indirect(t, hint);
                }
            }
            Terminator::Ecall { pc } => self.leave(pc, n, exit::ECALL, None),
            Terminator::Ebreak { pc } => self.leave(pc, n.saturating_sub(1), exit::EBREAK, None),
            Terminator::Illegal { pc, bits } => self.leave(pc, n.saturating_sub(1), exit::ILLEGAL, Some(bits)),
            Terminator::FenceI { next, .. } => self.leave(next, n, exit::FENCE_I, None),
        }
        Ok(())
    }

    fn leave(&mut self, pc: u64, retired: u32, code: u64, bits: Option<u32>) {
        self.add_instret(retired);
        self.write_back();
        let pc = self.iconst(pc);
        self.set_pc(pc);
        if let Some(bits) = bits {
            let v = self.b.ins().iconst(I32, i64::from(bits as i32));
            self.b.ins().store(flags(), v, self.ctx, off::CTX_ILLEGAL_BITS);
        }
        self.ret(code);
    }
}

#[cfg(test)]
mod tests {
    use ferrovm_ir::text::parse_blocks;

    use super::*;

    /// The registers of `set` as a dirty set.
    fn regs(set: &[usize]) -> [bool; Reg::COUNT] {
        std::array::from_fn(|i| set.contains(&i))
    }

    #[test]
    fn exits_write_back_what_their_paths_set() {
        // 0x0: loop head; 0x8: loop body setting x5 (and x0, never
        // dirty); 0x10: after the loop, sets x6 and calls 0x40; 0x14: where
        // the call comes back, reached by the return of 0x40, which sets
        // x7; 0x20: only ever entered from outside (a region entry).
        let blocks = parse_blocks(
            "block 0x0..0x8 {\n mark 0x0 4\n t0 = get x5\n branch t0, 0x8, 0x10\n}\n\
             block 0x8..0x10 {\n mark 0x8 4\n t0 = const 0x1\n set x5, t0\n set x0, t0\n jump 0x0\n}\n\
             block 0x10..0x14 {\n mark 0x10 4\n t0 = const 0x14\n set x6, t0\n set x1, t0\n jump 0x40\n}\n\
             block 0x14..0x18 {\n mark 0x14 4\n t0 = get x1\n jump_indirect t0 return\n}\n\
             block 0x40..0x44 {\n mark 0x40 4\n t0 = get x1\n set x7, t0\n jump_indirect t0 return\n}\n\
             block 0x20..0x24 {\n mark 0x20 4\n t0 = const 0x1\n set x8, t0\n jump 0x0\n}\n",
        )
        .unwrap();
        let calls: Vec<u64> = blocks.iter().filter(|bl| is_call(bl)).map(|bl| bl.end).collect();
        assert_eq!(calls, [0x14]);
        let dirty = dirty_on_entry(&blocks, &region_succs(&blocks, &calls, &[]));
        // The loop sees x5 (its own) and x8 (from the entry at 0x20), and
        // nothing the code after it sets.
        assert_eq!(dirty[0], regs(&[5, 8]));
        assert_eq!(dirty[1], regs(&[5, 8]));
        assert_eq!(dirty[2], regs(&[5, 8]));
        assert_eq!(dirty[4], regs(&[1, 5, 6, 8]));
        assert_eq!(dirty[3], regs(&[1, 5, 6, 7, 8]));
        assert_eq!(dirty[5], regs(&[]));
    }

    /// Blocks given in discovery order (a diamond's join before its arms,
    /// the code after a call before the callee) are translated in reverse
    /// postorder: the only edge to a block at or before its own is the
    /// loop's back edge, and a call's callee comes before the block the
    /// call comes back to.
    #[test]
    fn a_region_is_translated_in_reverse_postorder() {
        // 0x0: loop head, a diamond (0x4 / 0x8) joining at 0xc, which
        // calls 0x40 (returning to 0x10) ; 0x10 loops back to 0x0.
        let blocks = parse_blocks(
            "block 0x0..0x4 {\n mark 0x0 4\n t0 = get x5\n branch t0, 0x4, 0x8\n}\n\
             block 0xc..0x10 {\n mark 0xc 4\n t0 = const 0x10\n set x1, t0\n jump 0x40\n}\n\
             block 0x10..0x14 {\n mark 0x10 4\n t0 = get x5\n branch t0, 0x0, 0x14\n}\n\
             block 0x8..0xc {\n mark 0x8 4\n jump 0xc\n}\n\
             block 0x40..0x44 {\n mark 0x40 4\n t0 = get x1\n jump_indirect t0 return\n}\n\
             block 0x4..0x8 {\n mark 0x4 4\n jump 0xc\n}\n",
        )
        .unwrap();
        let order: Vec<u64> = translation_order(&blocks).into_iter().map(|k| blocks[k].start).collect();
        let at = |pc: u64| order.iter().position(|&p| p == pc).expect("every block placed");
        assert_eq!(order[0], 0x0, "{order:x?}");
        assert_eq!(order.len(), blocks.len());
        let edges = [(0x0, 0x4), (0x0, 0x8), (0x4, 0xc), (0x8, 0xc), (0xc, 0x40), (0x10, 0x0)];
        let back: Vec<_> = edges.iter().filter(|&&(from, to)| at(to) <= at(from)).collect();
        assert_eq!(back, [&(0x10, 0x0)], "{order:x?}");
        assert!(at(0x40) < at(0x10), "the callee before where it returns: {order:x?}");
    }

    /// `lw a6, 0(a5); addi a5, a5, 4; sw a6, -4(a5)`: the store's base is
    /// the load's plus 4, so both count as the load's base at offset 0 and
    /// one limit check covers them. A base far from its root (a constant
    /// beyond `NEAR`) is a root of its own; so is a sum of two unknowns.
    #[test]
    fn a_bumped_pointer_shares_its_roots_limit_check() {
        let block = parse_blocks(
            "block 0x0..0xc {\n mark 0x0 4\n t0 = get x15\n t1 = load.32s t0+0\n mark 0x4 4\n t2 = const 0x4\n t3 = add t0, t2\n\
             mark 0x8 4\n store.32 t3-4, t1\n t4 = const 0x10000000\n t5 = add t3, t4\n store.32 t5+0, t1\n\
             t6 = add t0, t1\n store.32 t6+0, t1\n jump 0xc\n}\n",
        )
        .unwrap()
        .remove(0);
        let t = ferrovm_ir::Temp;
        let (mut bases, mut roots) = (Vec::new(), HashMap::new());
        trap_bases(&block, &mut bases, &mut roots);
        assert_eq!(bases, [(t(0), 0, false), (t(5), 0, false), (t(6), 0, false)]);
        assert_eq!(roots.get(&t(3)), Some(&Rooted { root: t(0), delta: 4, span: 0 }));
        assert_eq!(roots.get(&t(5)), None);
    }

    /// Table lookups (`andi`, `srliw` by 24 or an unsigned byte, scaled by
    /// `slli` and added to the table's address) count as the table's
    /// address plus an index of known range, and so does a bumped pointer
    /// from such a sum; an index that may be large (a byte shifted by 4 KiB,
    /// a word shifted by 16, a sum of an unknown) or may be negative (a
    /// signed byte) makes a root of its own.
    #[test]
    fn a_table_lookup_counts_as_its_tables_address_plus_an_index() {
        let block = parse_blocks(
            "block 0x0..0x4 {\n mark 0x0 4\n t0 = get x17\n t1 = get x15\n t2 = const 0xff\n t3 = and t1, t2\n \
             t4 = const 0x2\n t5 = shl t3, t4\n t6 = add t0, t5\n t7 = load.32s t6+1024\n \
             t8 = const 0x18\n t9 = shrw t1, t8\n t10 = shl t9, t4\n t11 = add t10, t0\n t12 = load.32s t11+0\n \
             t13 = load.8u t0+0\n t14 = add t0, t13\n t15 = const 0x10\n t16 = add t14, t15\n store.8 t16+0, t13\n \
             t17 = const 0xc\n t18 = shl t13, t17\n t19 = add t0, t18\n t20 = load.32s t19+0\n \
             t21 = shrw t1, t15\n t22 = add t0, t21\n t23 = load.32s t22+0\n \
             t24 = load.8s t0+0\n t25 = add t0, t24\n t26 = load.32s t25+0\n jump 0x4\n}\n",
        )
        .unwrap()
        .remove(0);
        let t = ferrovm_ir::Temp;
        let (mut bases, mut roots) = (Vec::new(), HashMap::new());
        trap_bases(&block, &mut bases, &mut roots);
        let rooted = |root, delta, span| Some(Rooted { root: t(root), delta, span });
        assert_eq!(roots.get(&t(6)).copied(), rooted(0, 0, 0x3fc));
        assert_eq!(roots.get(&t(11)).copied(), rooted(0, 0, 0x3fc));
        assert_eq!(roots.get(&t(14)).copied(), rooted(0, 0, 0xff));
        assert_eq!(roots.get(&t(16)).copied(), rooted(0, 0x10, 0xff));
        for far in [19, 22, 25] {
            assert_eq!(roots.get(&t(far)), None, "t{far}");
        }
        assert_eq!(bases, [(t(0), 0, false), (t(19), 0, false), (t(22), 0, false), (t(25), 0, false)]);
    }

    /// A table lookup below its base's other accesses (at -0x800, while
    /// the base is used at 0x800 and 0xff0) would lower the base's check
    /// and leave the access at 0xff0 uncovered: it keeps its own check.
    /// One that fits above the lowest of them joins.
    #[test]
    fn a_table_lookup_does_not_lower_its_roots_check() {
        let block = parse_blocks(
            "block 0x0..0x4 {\n mark 0x0 4\n t0 = get x17\n t1 = get x15\n t2 = const 0xff\n t3 = and t1, t2\n \
             t4 = load.64s t0+2048\n t5 = load.64s t0+4080\n t6 = add t0, t3\n t7 = load.8u t6-2048\n \
             t8 = add t3, t0\n t9 = load.8u t8+2304\n jump 0x4\n}\n",
        )
        .unwrap()
        .remove(0);
        let t = ferrovm_ir::Temp;
        let (mut bases, mut roots) = (Vec::new(), HashMap::new());
        trap_bases(&block, &mut bases, &mut roots);
        assert_eq!(roots.get(&t(6)), None);
        assert_eq!(roots.get(&t(8)).copied(), Some(Rooted { root: t(0), delta: 0, span: 0xff }));
        assert_eq!(bases, [(t(0), 2048, false), (t(6), -2048, false)]);
    }
}
