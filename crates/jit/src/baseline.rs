//! The baseline compiler: one IR block straight to x86-64 machine code,
//! op by op from templates (through its own emitter, [`x64`]), for code
//! compiled on its first run or as a quick first tier. It compiles in tens
//! of microseconds where Cranelift takes about a millisecond; its code is
//! slower than Cranelift's, and code that stays hot is recompiled by
//! Cranelift anyway.
//!
//! Its code follows the same contract as Cranelift's block code
//! ([`crate::abi`]): the `tail` convention (`cpu` in `rdi`, `ctx` in
//! `rsi`, `pc` in `rdx`, the exit code in `rax`), chained exits that
//! go through [`Cell`](crate::abi::Cell)s after polling
//! `ctx.exit_request`, the shared indirect exits, the return-address
//! stack, the run counter of [`crate::Flavor::hot_at`], and precise state at
//! every exit. It is what Cranelift's unoptimized single blocks are
//! ("eager" mode in `translate.rs`): guest registers live in the `Cpu`
//! and are stored there by every sync point (an access that may fault, a
//! helper call, an exit), so every side exit only adds the instructions
//! retired before its site and sets `pc`.
//!
//! * `rbx` holds `cpu`, `r12` `ctx`, `r13` the host base of guest memory,
//!   `r14` the page-permission table, `r15` the guest limit (all
//!   callee-saved, pushed on entry;
//!   guest registers are read from the `Cpu` where they are used, but one
//!   set earlier in the block and read again is kept in `r9`-`r11`, see
//!   [`CACHE`]);
//!   IR temporaries live in stack slots (`[rsp + 8 * t]`), constants are
//!   folded into the ops that use them.
//! * Two ways in: the entry of the `tail` convention, which pushes the
//!   callee-saved registers and sets up the frame (`rbp`), and right after
//!   it the inner entry, where the previous block's baseline code jumps
//!   (through the cell's `inner`) with that frame still set up. A chain of
//!   baseline blocks thus pushes and pops once, not at every block: the
//!   chained exit is the poll and one indirect jump. A cell whose code is
//!   not baseline code leads `inner` to [`leave_frame`], which takes the
//!   frame down and enters the code the usual way.
//! * Loads and stores do exactly the checks Cranelift's do: with
//!   [`crate::MemAccess::Checked`] the alignment-and-limit test and the
//!   page's permission byte, leaving with `exit::SLOW` before the
//!   instruction when either fails; with [`crate::MemAccess::Direct`] the
//!   limit compare, whose branch goes to that same exit, and right after
//!   it the plain host access, whose fault resumes at the exit
//!   ([`crate::fault`]). Under [`crate::MemAccess::Trap`] loads and
//!   stores are trap-mode accesses: the address clamped to the guest
//!   limit (held in `r15`), then the plain access, its offset, guest pc
//!   and the instructions retired before it recorded for
//!   [`crate::fault::abort`] (the state is precise there: guest registers
//!   are stored before every access). LR/SC, AMOs and the rare
//!   integer ops call the same helpers ([`crate::helpers`]).
//! * Blocks with FP or vector operations or CSR accesses are not compiled here
//!   ([`Unsupported`]): the caller compiles them with Cranelift.

use ferrovm_ir::{BinOp, Block, FenceKind, IndirectHint, MemSize, Op, Temp, Terminator, UnOp};
use ferrovm_mem::{GUEST_LIMIT, PAGE_SHIFT, page_flags};

use crate::abi::{JUMP_CACHE_ENTRIES, RAS_ENTRIES, exit, offsets as off};
use crate::helpers::{HELPERS, order_code, size_code};
use crate::store::Linker;
use crate::translate::{Env, pushes_return};

mod x64;

use x64::*;

/// Most IR temporaries a block may have here (its frame holds one slot
/// each: 4 KiB at most, below a stack guard page).
const MAX_TEMPS: u32 = 480;

/// Offset of a chained exit's next-site word from its rel32 field (the
/// field, `movabs rax`, `jmp [rax + inner]`; see `Bl::tail_call`).
pub(crate) const CHAIN_NEXT: usize = 4 + 10 + 3;

/// Bytes of the callee-saved registers pushed below `rbp` (`rbx`, `r12`
/// to `r15`).
const PUSHED: i32 = 40;

/// Host registers that keep guest registers for reads later in the same
/// block (none of the emitter's scratch registers, nor `r8`, a helper's
/// fifth argument; `r11` is free past the inner entry). A register set and
/// read again is kept here and written to the `Cpu` at the next sync point
/// ([`Bl::sync`]: before an access that may fault, a helper call or an
/// exit) or when its cache register is taken for another, so the state is
/// precise wherever it can be seen, and a run of arithmetic on one
/// register (`a0 = a0 op k`, again and again) stores it once, not at every
/// instruction. A read of a register set earlier in the block (a
/// store-to-load forwarding round trip on the dependency chain, about five
/// cycles) is a register move. A helper call forgets them (caller-saved).
const CACHE: [AsmRegister64; 3] = [r9, r10, r11];

/// Why a block was not compiled by the baseline compiler: it holds an op it
/// does not do (the caller compiles it with Cranelift instead), or the
/// assembler failed (a ferrovm bug, degraded around the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub(crate) String);

type R<T = ()> = Result<T, Unsupported>;

/// The emitter's working memory, kept by a [`crate::Compiler`]: its
/// buffers are reused from block to block (allocating them per block was
/// a sixth of a cold block's baseline compile).
pub(crate) struct Assembler(X64, Scratch);

impl Assembler {
    pub(crate) fn new() -> R<Self> {
        Ok(Assembler(X64::new(), Scratch::default()))
    }
}

/// The per-temporary tables of a compile ([`Bl`]'s), kept between
/// compiles.
#[derive(Default)]
struct Scratch {
    consts: Vec<Option<u64>>,
    lazy: Vec<Option<u8>>,
    lazy_list: Vec<u32>,
    left: Vec<u32>,
    defined: Vec<bool>,
    uses: Vec<u32>,
    unstored: Vec<bool>,
    stubs: Vec<(Stub, CodeLabel)>,
    read_later: Vec<u64>,
}

impl Scratch {
    /// The tables, emptied and sized for `n` temporaries.
    fn take(&mut self, n: usize) -> Scratch {
        let mut s = std::mem::take(self);
        s.consts.clear();
        s.consts.resize(n, None);
        s.lazy.clear();
        s.lazy.resize(n, None);
        s.lazy_list.clear();
        s.defined.clear();
        s.defined.resize(n, false);
        s.unstored.clear();
        s.unstored.resize(n, false);
        s.stubs.clear();
        s
    }
}

/// Whether the baseline compiler can compile every op of `block`.
pub(crate) fn supports(block: &Block) -> Result<(), Unsupported> {
    for op in &block.ops {
        match op {
            Op::FUnary { .. } | Op::FBinary { .. } | Op::FTernary { .. } | Op::FCvt { .. } | Op::CheckFrm => {
                return Err(Unsupported("floating point".into()));
            }
            Op::CsrRead { .. } | Op::CsrWrite { .. } => return Err(Unsupported("CSR access".into())),
            Op::Vector { .. } => return Err(Unsupported("vector".into())),
            _ => {}
        }
    }
    if block.num_temps > MAX_TEMPS {
        return Err(Unsupported(format!("{} temporaries", block.num_temps)));
    }
    Ok(())
}

/// A cold exit stub: leaves with `code` at guest `pc`, `retired`
/// instructions of the block retired before it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stub {
    pc: u64,
    retired: u32,
    code: u64,
}

struct Bl<'a, L: Linker + ?Sized> {
    a: &'a mut X64,
    env: Env,
    linker: &'a mut L,
    /// Constant temporaries (folded into their uses, never stored).
    consts: Vec<Option<u64>>,
    /// Temporaries that hold a guest register's value, read from the `Cpu`
    /// at each use (never stored) until that register is set.
    lazy: Vec<Option<u8>>,
    /// Uses of each lazy temporary not yet emitted (of `uses`).
    left: Vec<u32>,
    /// Bit `g`: some temporary may read guest register `g` lazily.
    lazy_regs: u64,
    /// The temporaries defined as lazy reads and not yet materialized (a
    /// register's are found without scanning every temporary).
    lazy_list: Vec<u32>,
    defined: Vec<bool>,
    site_pc: u64,
    retired: u32,
    insns: u32,
    /// Exit stubs, emitted after the main path, and their labels.
    stubs: Vec<(Stub, CodeLabel)>,
    /// Offsets of the direct guest accesses ([`crate::fault::fault_sites`]).
    accesses: Vec<u32>,
    /// Offsets of the trap-mode loads and the guest pc of each.
    traps: Vec<crate::store::TrapSite>,
    /// Its patchable chained exits: (end of the rel32 field, cell).
    chains: Vec<(u32, u64)>,
    /// The exit to the dispatcher at `rdx` (everything retired) of an
    /// inline indirect hit that found an exit request.
    leave_dynamic: Option<CodeLabel>,
    /// Uses of each temporary in the block (its ops and terminator).
    uses: Vec<u32>,
    /// Temporaries whose only use took the value from the register that
    /// defined them (their slot was never written).
    unstored: Vec<bool>,
    /// The last temporary defined, while its store is the last thing
    /// emitted: (temporary, register, position before the store, after).
    last_def: Option<(Temp, AsmRegister64, Position, Position)>,
    /// The block's branch condition when the compare that defines it is
    /// the block's last op: only the flags hold it, for the branch's `jcc`.
    flags: Option<(Temp, Cc)>,
    /// The guest register last set from a host register, while that store
    /// is the last thing emitted: (guest register, host register, position
    /// after the store). A read of it right after takes the host register.
    held: Option<(u8, AsmRegister64, Position)>,
    /// Bit `g`: guest register `g` holds the constant `known[g]` (set
    /// from a constant earlier in the block): reading it reads the
    /// constant (`auipc`/`lui` then `addi` fold into one value).
    known_regs: u64,
    /// Bit `g`: guest register `g` was set to the imm32 `known[g]`, not
    /// stored in the `Cpu` yet (stored at the next sync point).
    known_unstored: u64,
    known: [u64; 64],
    frame: i32,
    /// The guest register each of [`CACHE`] holds, if any.
    cached: [Option<u8>; CACHE.len()],
    /// Each of [`CACHE`] whose guest register is not in the `Cpu` yet: set
    /// since the last sync point and read again before it is set again
    /// (see [`Bl::sync`]).
    dirty: [bool; CACHE.len()],
    /// When each of [`CACHE`] was last used (the victim is the oldest).
    cache_used: [u32; CACHE.len()],
    clock: u32,
    /// Per op of the block (and one for its terminator), bit `g`: guest
    /// register `g` is read by a later op before it is set again.
    read_later: Vec<u64>,
    /// Index of the op being compiled.
    at_op: usize,
}

/// A block's machine code.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Compiled {
    pub(crate) bytes: Vec<u8>,
    /// Offsets of its direct accesses ([`crate::MemAccess::Direct`]).
    pub(crate) accesses: Vec<u32>,
    /// Offsets of its trap-mode loads and the guest pc of each, in order.
    pub(crate) traps: Vec<crate::store::TrapSite>,
    /// Offset of the inner entry ([`crate::abi::Cell`]).
    pub(crate) inner: u32,
    /// Its jumps to the shared stubs ([`Stubs`]): (end of the rel32
    /// field, target), resolved where it is installed.
    pub(crate) far: Vec<(u32, u64)>,
    /// Its chained exits' patchable jumps (see `Bl::tail_call`): (end of
    /// the rel32 field, the target's cell); each exit's next-site word is
    /// [`CHAIN_NEXT`] bytes past its field.
    pub(crate) chains: Vec<(u32, u64)>,
}

/// Compiles `block` into machine code (position independent: every
/// address outside it is an absolute constant). `ic_word` is the address
/// of the block's inline-cache word; with `hot_at`, each entry counts a run
/// in the linker's counter for the block's pc and the entry that brings it
/// to `hot_at` leaves with `exit::HOT` before anything runs.
pub(crate) fn compile<L: Linker + ?Sized>(
    asm: &mut Assembler,
    block: &Block,
    env: Env,
    linker: &mut L,
    ic_word: u64,
    hot_at: Option<u32>,
) -> R<Compiled> {
    supports(block)?;
    let Stubs { enter, tail, ret, indirect, leave } = env.baseline;
    if [enter, tail, ret, indirect[0], indirect[1], leave[0], leave[1]].contains(&0) {
        return Err(Unsupported("the shared baseline stubs are not built".into()));
    }
    let Assembler(a, scratch) = asm;
    a.reset();
    let n = block.num_temps as usize;
    // Below the six pushed registers (48 bytes with the return address):
    // a multiple of 16 with them, so that `rsp` is 16-aligned.
    let frame = ((8 * n as i32 + 8 + 15) & !15) - 8;
    let Scratch { consts, lazy, lazy_list, mut left, defined, mut uses, unstored, stubs, mut read_later } =
        scratch.take(n);
    block.use_counts_into(&mut uses);
    left.clone_from(&uses);
    reads_later_into(block, &mut read_later);
    let mut this = Bl {
        a,
        env,
        linker,
        consts,
        lazy,
        left,
        lazy_regs: 0,
        lazy_list,
        defined,
        site_pc: block.start,
        retired: 0,
        insns: 0,
        stubs,
        accesses: Vec::new(),
        traps: Vec::new(),
        chains: Vec::new(),
        leave_dynamic: None,
        uses,
        unstored,
        last_def: None,
        flags: None,
        held: None,
        known_regs: 0,
        known_unstored: 0,
        known: [0; 64],
        frame,
        cached: [None; CACHE.len()],
        dirty: [false; CACHE.len()],
        cache_used: [0; CACHE.len()],
        clock: 0,
        read_later,
        at_op: 0,
    };
    let built = this.block(block, ic_word, hot_at);
    let chains = std::mem::take(&mut this.chains);
    let accesses = std::mem::take(&mut this.accesses);
    let traps = std::mem::take(&mut this.traps);
    let Bl { a, consts, lazy, lazy_list, left, defined, uses, unstored, stubs, read_later, .. } = this;
    *scratch = Scratch { consts, lazy, lazy_list, left, defined, uses, unstored, stubs, read_later };
    match built {
        Ok(inner) => {
            let far = a.take_far();
            Ok(Compiled { bytes: a.finish()?, accesses, traps, inner, far, chains })
        }
        Err(e) => {
            a.reset();
            Err(e)
        }
    }
}

/// For each op of `block` and then its terminator, bit `g` set if guest
/// register `g` is read by a later op (a `GetReg`) before one sets it.
fn reads_later_into(block: &Block, out: &mut Vec<u64>) {
    out.clear();
    out.resize(block.ops.len() + 1, 0);
    let mut live = 0u64;
    for (k, op) in block.ops.iter().enumerate().rev() {
        out[k] = live;
        match *op {
            Op::GetReg { reg, .. } => live |= 1 << (reg.index() & 63),
            Op::SetReg { reg, .. } => live &= !(1 << (reg.index() & 63)),
            _ => {}
        }
    }
}

/// The shared stub a cell's `inner` leads to when its code is not baseline
/// code ([`crate::abi::Cell`]): entered from baseline code's chained exit
/// with its frame set up and `rax` the cell; takes the frame down and
/// tail-calls the cell's code (`tail` convention) with the cell's pc (a
/// chained exit does not load it: one `movabs` less in every exit).
pub(crate) fn leave_frame() -> R<Vec<u8>> {
    let mut a = X64::new();
    a.mov(rdx, qword_ptr(rax + off::CELL_PC))?;
    a.mov(rdi, rbx)?;
    a.mov(rsi, r12)?;
    pop_frame(&mut a)?;
    a.jmp(qword_ptr(rax + off::CELL_CODE))?;
    a.finish()
}

/// The dispatcher stub, where every cell without compiled code leads (a
/// block's `tail` convention: `cpu` in `rdi`, `pc` in `rdx`): stores the
/// wanted `pc` and returns [`exit::CONTINUE`].
pub(crate) fn dispatcher() -> R<Vec<u8>> {
    let mut a = X64::new();
    a.mov(qword_ptr(rdi + off::CPU_PC), rdx)?;
    a.mov(eax, exit::CONTINUE as u32)?;
    a.ret()?;
    a.finish()
}

/// The entry trampoline, called from Rust with the C ABI
/// ([`crate::fault::Trampoline`]: `(cpu, ctx, code, pc) -> exit code`):
/// calls `code` with the `tail` convention (`cpu`, `ctx`, `pc`), under
/// which chained blocks replace each other's frames. (The callee-saved
/// registers are saved around it by [`crate::fault::enter`].)
pub(crate) fn trampoline() -> R<Vec<u8>> {
    let mut a = X64::new();
    // Entered with rsp = 8 mod 16: after the push, the call is aligned.
    a.push(rbp)?;
    a.mov(rbp, rsp)?;
    a.mov(rax, rdx)?;
    a.mov(rdx, rcx)?;
    a.call(rax)?;
    a.mov(rsp, rbp)?;
    a.pop(rbp)?;
    a.ret()?;
    a.finish()
}

/// A shared indirect exit (`ret`: the one for returns), tail-called with
/// the `tail` convention as `(cpu, ctx, target, ic_word)` in `rdi`, `rsi`,
/// `rdx`, `rcx`, guest registers written back already: continues at guest
/// `target` through the top of the return-address stack (popped; if
/// `ret`), the inline cache at `ic_word`, the vCPU's jump cache (a hit
/// there fills the inline cache) or the dispatcher, polling the exit
/// request before it chains and counting what Cranelift's inline indirect
/// exit counts (`Tr::chain_indirect` in `translate.rs`, which optimized
/// regions use). Machine code rather than a Cranelift function: the store
/// builds it at start-up, where a Cranelift compile costs 100 us.
pub(crate) fn indirect_exit(env: &Env, ret: bool) -> R<Vec<u8>> {
    let mut a = X64::new();
    let (hit, miss, leave) = (a.create_label(), a.create_label(), a.create_label());
    if env.chaining {
        a.add(qword_ptr(rsi + off::CTX_INDIRECT), 1)?;
        if ret {
            a.add(qword_ptr(rsi + off::CTX_RETURNS), 1)?;
        }
        if env.inline_cache && ret {
            a.mov(rax, qword_ptr(rsi + off::CTX_RAS_TOP))?;
            a.sub(rax, 1)?;
            a.mov(qword_ptr(rsi + off::CTX_RAS_TOP), rax)?;
            a.and(eax, (RAS_ENTRIES - 1) as u32)?;
            a.mov(rax, qword_ptr(rsi + rax * 8 + off::CTX_RAS))?;
            a.cmp(qword_ptr(rax + off::CELL_PC), rdx)?;
            a.je(hit)?;
            a.add(qword_ptr(rsi + off::CTX_RAS_MISSES), 1)?;
        }
        if env.inline_cache {
            a.mov(rax, qword_ptr(rcx))?;
            a.cmp(qword_ptr(rax + off::CELL_PC), rdx)?;
            a.je(hit)?;
            a.add(qword_ptr(rsi + off::CTX_IC_MISSES), 1)?;
        }
        // The jump cache: direct-mapped by `pc >> 1`.
        a.mov(rax, rdx)?;
        a.shr(rax, 1)?;
        a.and(eax, (JUMP_CACHE_ENTRIES - 1) as u32)?;
        a.mov(rax, qword_ptr(rsi + rax * 8 + off::CTX_JUMP_CACHE))?;
        a.cmp(qword_ptr(rax + off::CELL_PC), rdx)?;
        a.jne(miss)?;
        if env.inline_cache {
            a.mov(qword_ptr(rcx), rax)?;
        }
        let mut hit = hit;
        a.set_label(&mut hit)?;
        a.cmp(byte_ptr(rsi + off::CTX_EXIT_REQUEST), 0)?;
        a.jne(leave)?;
        a.jmp(qword_ptr(rax + off::CELL_CODE))?;
        let mut miss = miss;
        a.set_label(&mut miss)?;
        a.add(qword_ptr(rsi + off::CTX_JC_MISSES), 1)?;
    }
    let mut leave = leave;
    a.set_label(&mut leave)?;
    a.mov(qword_ptr(rdi + off::CPU_PC), rdx)?;
    a.mov(eax, exit::CONTINUE as u32)?;
    a.ret()?;
    a.finish()
}

/// The store's shared code that every baseline block jumps to (`jmp
/// rel32`, resolved where the block is installed: the code cache is at
/// most 1 GiB), so that each block holds only what is its own. 0 until
/// the store installs the code of [`Stubs::code`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stubs {
    /// The `tail`-convention entry: pushes the callee-saved registers,
    /// sets up the frame and the fixed registers, then jumps to `r11` (the
    /// block's inner entry).
    pub(crate) enter: u64,
    /// An exit stub's tail: adds `rcx` to `instret`, sets `pc` to `rdx`,
    /// takes the frame down and returns `eax`.
    pub(crate) tail: u64,
    /// Takes the frame down and returns `eax` (`pc` set already).
    pub(crate) ret: u64,
    /// Takes the frame down and jumps to the shared indirect exit, plain
    /// and for returns (arguments in place).
    pub(crate) indirect: [u64; 2],
    /// Sets `pc` to `rdx`, takes the frame down and returns
    /// [`exit::CONTINUE`], then [`exit::HOT`]: the exits that retire
    /// nothing more (an exit request at a chained exit, a block's entry
    /// that made it hot) in two instructions of the block's, not four.
    pub(crate) leave: [u64; 2],
}

/// The exit codes of [`Stubs::leave`], in order.
const LEAVE_CODES: [u64; 2] = [exit::CONTINUE, exit::HOT];

impl Stubs {
    /// The machine code of the shared stubs for the store of `env` (its
    /// indirect exits built already), in the order of the fields: the
    /// store installs each and puts its address there.
    pub(crate) fn code(env: &Env) -> R<[Vec<u8>; 7]> {
        let mut a = X64::new();
        // Entered with rsp = 8 mod 16 (a call, or a tail call that left
        // the caller's frame as it found it): six pushes make it 8, and a
        // block's frame below them 0 (see `compile`).
        a.push(rbp)?;
        a.mov(rbp, rsp)?;
        a.push(rbx)?;
        a.push(r12)?;
        a.push(r13)?;
        a.push(r14)?;
        a.push(r15)?;
        a.mov(rbx, rdi)?;
        a.mov(r12, rsi)?;
        // The same for every block of this store: set here once for a
        // whole chain of baseline blocks.
        a.mov(r13, env.host_base)?;
        a.mov(r14, env.page_table)?;
        a.mov(r15, GUEST_LIMIT)?;
        a.jmp(r11)?;
        let enter = a.finish()?;
        a.add(qword_ptr(rbx + off::CPU_INSTRET), rcx)?;
        a.mov(qword_ptr(rbx + off::CPU_PC), rdx)?;
        pop_frame(&mut a)?;
        a.ret()?;
        let tail = a.finish()?;
        pop_frame(&mut a)?;
        a.ret()?;
        let ret = a.finish()?;
        let mut indirect = [Vec::new(), Vec::new()];
        for (leave, shared) in indirect.iter_mut().zip(env.indirect) {
            if shared == 0 {
                return Err(Unsupported("no shared indirect exit".into()));
            }
            pop_frame(&mut a)?;
            a.mov(rax, shared)?;
            a.jmp(rax)?;
            *leave = a.finish()?;
        }
        let [plain, ret_exit] = indirect;
        let [cont, hot] = LEAVE_CODES.map(|code| {
            a.mov(qword_ptr(rbx + off::CPU_PC), rdx)?;
            a.mov(eax, code as u32)?;
            pop_frame(&mut a)?;
            a.ret()?;
            a.finish()
        });
        Ok([enter, tail, ret, plain, ret_exit, cont?, hot?])
    }
}

/// Restores the callee-saved registers and the caller's frame, as pushed
/// by a baseline block's `tail`-convention entry.
fn pop_frame(a: &mut X64) -> R {
    a.lea(rsp, ptr(rbp - PUSHED))?;
    a.pop(r15)?;
    a.pop(r14)?;
    a.pop(r13)?;
    a.pop(r12)?;
    a.pop(rbx)?;
    a.pop(rbp)?;
    Ok(())
}

impl<L: Linker + ?Sized> Bl<'_, L> {
    /// Compiles `block`; returns the offset of the inner entry.
    fn block(&mut self, block: &Block, ic_word: u64, hot_at: Option<u32>) -> R<u32> {
        let inner = self.prologue()?;
        // For the sampler of the hottest code: which translation this
        // thread is in.
        if self.env.track_current {
            match i32::try_from(block.start) {
                Ok(pc) => self.a.mov(qword_ptr(r12 + off::CTX_CURRENT), pc)?,
                Err(_) => {
                    self.mov_imm(rax, block.start)?;
                    self.a.mov(qword_ptr(r12 + off::CTX_CURRENT), rax)?;
                }
            }
        }
        if let Some(n) = hot_at {
            self.count_run(block.start, n)?;
        }
        let fused = self.fused_compare(block);
        let mut set_already = false;
        for (k, op) in block.ops.iter().enumerate() {
            self.at_op = k;
            if std::mem::take(&mut set_already) {
                continue;
            }
            match (op, fused) {
                (&Op::Binary { op, dst, a, b }, _)
                    if let Some(&Op::SetReg { reg, src }) = block.ops.get(k + 1)
                        && src == dst
                        && self.in_place(op, dst, a, b, reg.index(), k + 1)? =>
                {
                    set_already = true;
                }
                (&Op::Binary { dst, a, b, .. }, Some(cc)) if k + 1 == block.ops.len() => {
                    self.compare(a, b, self.insns)?;
                    // Defined, but only in the flags.
                    self.define(dst, None, None)?;
                    self.unstored[dst.index()] = true;
                    self.flags = Some((dst, cc));
                }
                _ => self.op(op)?,
            }
        }
        self.at_op = block.ops.len();
        self.terminator(block, ic_word)?;
        self.emit_stubs()?;
        Ok(inner)
    }

    /// `x<g> = a op b` (`dst = a op b`, then the op at `set` sets guest
    /// register `g` to `dst`) computed in `g`'s cache register when `g` is
    /// read again later (or is cached and this is its last set, from its
    /// own value): `add r9, 5` where the templates would move `g` into
    /// `rax`, add, and move it back (when `a` is `g`'s value read for this
    /// op alone), or `mov r9, a` and the op (otherwise). Returns whether it
    /// did (both ops done); otherwise nothing was emitted.
    fn in_place(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp, g: usize, set: usize) -> R<bool> {
        use BinOp::*;
        let Ok(g) = u8::try_from(g) else { return Ok(false) };
        let (i, k) = (self.check_temp(a)?, self.imm32(b));
        self.check_temp(b)?;
        let shapes = match op {
            Add | Sub | And | Or | Xor | Mul | AddW | SubW => true,
            Shl | Shr | Sar => k.is_some(),
            _ => false,
        };
        let own = self.lazy[i] == Some(g) && self.left[i] == 1;
        // Read again later, or (its last value in the block) already in
        // a cache register and computed there from its own value: stored
        // at the next sync point as it would be right away, with no move
        // through `rax` (`add r9, rcx` and, at the exit, one store).
        let kept =
            self.read_later.get(set).is_some_and(|&m| m & 1 << g != 0) || (own && self.cached.contains(&Some(g)));
        if !shapes || g == 0 || g >= 64 || self.uses.get(dst.index()) != Some(&1) || !kept {
            return Ok(false);
        }
        let h = if own {
            // This was `a`'s last use; other temporaries reading `g`'s old
            // value get it in their slots.
            self.left[i] = 0;
            self.materialize(g)?;
            match self.cache_reg(g) {
                Some(h) => h,
                None => {
                    let h = self.cache_for(g)?;
                    self.a.mov(h, Self::guest_reg(g))?;
                    h
                }
            }
        } else {
            // `x<g> = a op b`: `a` copied into `g`'s register first (a
            // `b` reading `g` is in its slot by then).
            self.materialize(g)?;
            let h = self.cache_for(g)?;
            self.get(h, a)?;
            h
        };
        // After `h` is taken: its victim's value is in the `Cpu` by then.
        let y = match k {
            Some(_) => None,
            None => Some(self.operand(rcx, b)?),
        };
        let (h32, y32) = (Gpr::<32>(h.0), y.map(|y| Gpr::<32>(y.0)));
        let a = &mut self.a;
        match (op, k, y, y32) {
            (Add | Sub | Or | Xor | Shl | Shr | Sar, Some(0), ..) => {}
            (Add, Some(k), ..) => a.add(h, k)?,
            (Sub, Some(k), ..) => a.sub(h, k)?,
            (And, Some(k), ..) => a.and(h, k)?,
            (Or, Some(k), ..) => a.or(h, k)?,
            (Xor, Some(k), ..) => a.xor(h, k)?,
            (Mul, Some(k), ..) => a.imul_3(h, h, k)?,
            (Shl, Some(k), ..) => a.shl(h, k & 63)?,
            (Shr, Some(k), ..) => a.shr(h, k & 63)?,
            (Sar, Some(k), ..) => a.sar(h, k & 63)?,
            (AddW, Some(k), ..) => {
                a.add(h32, k)?;
                a.movsxd(h, h32)?;
            }
            (SubW, Some(k), ..) => {
                a.sub(h32, k)?;
                a.movsxd(h, h32)?;
            }
            (Add, None, Some(y), _) => a.add(h, y)?,
            (Sub, None, Some(y), _) => a.sub(h, y)?,
            (And, None, Some(y), _) => a.and(h, y)?,
            (Or, None, Some(y), _) => a.or(h, y)?,
            (Xor, None, Some(y), _) => a.xor(h, y)?,
            (Mul, None, Some(y), _) => a.imul_2(h, y)?,
            (AddW, None, _, Some(y32)) => {
                a.add(h32, y32)?;
                a.movsxd(h, h32)?;
            }
            (SubW, None, _, Some(y32)) => {
                a.sub(h32, y32)?;
                a.movsxd(h, h32)?;
            }
            _ => return Err(Unsupported(format!("in-place {op:?}: no form"))),
        }
        // `dst` lives in `h` alone and has no use left; the set: `g` is
        // in `h`, not in the `Cpu` (to the next sync point).
        self.define(dst, None, None)?;
        self.unstored[dst.index()] = true;
        self.known_regs &= !(1 << g);
        self.known_unstored &= !(1 << g);
        if let Some(c) = self.cached.iter().position(|&c| c == Some(g)) {
            self.dirty[c] = true;
        }
        self.held = None;
        self.last_def = None;
        Ok(true)
    }

    /// The condition of the compare that is `block`'s last op, when the
    /// block's branch is its only use: it then branches on the flags
    /// (`cmp`, `jcc`) instead of materializing the value (`setcc`,
    /// `movzx`, `test`, `jcc`).
    fn fused_compare(&self, block: &Block) -> Option<Cc> {
        if !self.env.chaining {
            return None;
        }
        let Terminator::Branch { cond, .. } = block.term else { return None };
        let Some(&Op::Binary { op, dst, .. }) = block.ops.last() else { return None };
        if dst != cond || self.uses.get(cond.index()) != Some(&1) {
            return None;
        }
        Some(match op {
            BinOp::Eq => Cc::E,
            BinOp::Ne => Cc::Ne,
            BinOp::Lt => Cc::L,
            BinOp::LtU => Cc::B,
            BinOp::Ge => Cc::Ge,
            BinOp::GeU => Cc::Ae,
            _ => return None,
        })
    }

    /// `cmp a, b` (an imm32 `b` folded in), after adding the block's
    /// `insns` to `instret`: both ways of its branch retire them all (the
    /// `add` sets flags, so it goes between the operands' loads and the
    /// compare).
    fn compare(&mut self, x: Temp, y: Temp, insns: u32) -> R {
        let k = self.imm32(y);
        self.get(rax, x)?;
        match k {
            Some(k) => {
                self.add_instret(insns)?;
                self.a.cmp(rax, k)
            }
            None => {
                let y = self.operand(rcx, y)?;
                self.add_instret(insns)?;
                self.a.cmp(rax, y)
            }
        }
    }

    /// The entry of the `tail` convention, then the inner entry (its offset
    /// returned), which sizes the frame for this block's slots and loads
    /// the memory registers.
    fn prologue(&mut self) -> R<u32> {
        // The shared entry ([`Stubs::enter`]) sets up the frame and comes
        // back to the inner entry.
        let mut inner_label = self.a.create_label();
        self.a.lea_label(r11, inner_label)?;
        self.a.jmp_far(self.env.baseline.enter)?;
        // Inner entry: the frame (rbp, the pushed registers, rbx, r12, r13,
        // r14, r15) is the previous baseline block's or the shared entry's;
        // rsp is this block's (16-aligned with the pushes, see `compile`).
        self.a.set_label(&mut inner_label)?;
        let inner = self.a.offset() as u32;
        self.a.lea(rsp, ptr(rbp - (PUSHED + self.frame)))?;
        Ok(inner)
    }

    /// Returns exit code `code` (registers and `pc` set already).
    fn ret(&mut self, code: u64) -> R {
        self.a.mov(eax, code as u32)?;
        self.a.jmp_far(self.env.baseline.ret)
    }

    /// `r = v`, in the shortest form.
    fn mov_imm(&mut self, r: AsmRegister64, v: u64) -> R {
        // Writing a 32-bit register zero-extends into the 64-bit one.
        match u32::try_from(v) {
            Ok(v32) => self.a.mov(Gpr::<32>(r.0), v32),
            Err(_) => self.a.mov(r, v),
        }
    }

    fn slot(t: Temp) -> Mem {
        qword_ptr(rsp + 8 * t.index() as i32)
    }

    /// Guest register `x<g>` in the `Cpu`.
    fn guest_reg(g: u8) -> Mem {
        qword_ptr(rbx + (off::CPU_REGS + 8 * i32::from(g)))
    }

    /// Before guest register `g` is set: the temporaries that read it
    /// lazily and have uses left get its old value in their slots.
    fn materialize(&mut self, g: u8) -> R {
        if self.lazy_regs & 1 << g == 0 {
            return Ok(());
        }
        self.lazy_regs &= !(1 << g);
        let mut k = 0;
        while k < self.lazy_list.len() {
            let i = self.lazy_list[k] as usize;
            if self.lazy[i] != Some(g) {
                k += 1;
                continue;
            }
            self.lazy_list.swap_remove(k);
            self.lazy[i] = None;
            if self.left[i] == 0 {
                // Dead: never read again (and never from its slot).
                self.unstored[i] = true;
                continue;
            }
            match self.cache_reg(g) {
                Some(h) => self.a.mov(qword_ptr(rsp + 8 * i as i32), h)?,
                None => {
                    self.a.mov(rcx, Self::guest_reg(g))?;
                    self.a.mov(qword_ptr(rsp + 8 * i as i32), rcx)?;
                }
            }
        }
        Ok(())
    }

    /// Whether guest register `g` is read by an op after this one before
    /// one sets it.
    fn read_later(&self, g: u8) -> bool {
        self.read_later.get(self.at_op).is_some_and(|&m| m & 1 << g != 0)
    }

    /// The cache register holding guest register `g`, if one does.
    fn cache_reg(&mut self, g: u8) -> Option<AsmRegister64> {
        let k = self.cached.iter().position(|&c| c == Some(g))?;
        self.clock += 1;
        self.cache_used[k] = self.clock;
        Some(CACHE[k])
    }

    /// A cache register for guest register `g`, whose new value the caller
    /// puts there and not in the `Cpu` (stored at the next sync point):
    /// its own, a free one, one whose register no later op reads (one
    /// already in the `Cpu` first), or the least recently used; a victim
    /// not in the `Cpu` yet is stored first.
    fn cache_for(&mut self, g: u8) -> R<AsmRegister64> {
        let unread = |this: &Self, k: usize| this.cached[k].is_some_and(|c| !this.read_later(c));
        let n = CACHE.len();
        let k = (self.cached.iter().position(|&c| c == Some(g)))
            .or_else(|| self.cached.iter().position(Option::is_none))
            .or_else(|| (0..n).find(|&k| unread(self, k) && !self.dirty[k]))
            .or_else(|| (0..n).find(|&k| unread(self, k)))
            .unwrap_or_else(|| (0..n).min_by_key(|&k| self.cache_used[k]).unwrap_or(0));
        if self.dirty[k]
            && let Some(c) = self.cached[k]
            && c != g
        {
            self.a.mov(Self::guest_reg(c), CACHE[k])?;
        }
        self.cached[k] = Some(g);
        self.dirty[k] = true;
        self.clock += 1;
        self.cache_used[k] = self.clock;
        Ok(CACHE[k])
    }

    /// Guest register `g` changes (its new value stored in the `Cpu`): no
    /// cache register holds it any more.
    fn uncache(&mut self, g: u8) {
        for (c, d) in self.cached.iter_mut().zip(&mut self.dirty) {
            if *c == Some(g) {
                *c = None;
                *d = false;
            }
        }
    }

    /// A sync point: an access that may fault, a helper call, an exit. The
    /// guest registers set since the last one and kept only in a cache
    /// register are stored in the `Cpu` (the state is precise there, as
    /// if every register had been stored as it was set). Between sync
    /// points a register set and read again is not stored (a value set
    /// again before the next one never is): the straight-line arithmetic
    /// of a block stores each register once. Stores only: no register or
    /// flag changes, so it may go anywhere before the access or jump.
    fn sync(&mut self) -> R {
        let mut consts = std::mem::take(&mut self.known_unstored);
        while consts != 0 {
            let g = consts.trailing_zeros() as u8;
            consts &= consts - 1;
            self.a.mov(Self::guest_reg(g), self.known[usize::from(g)] as i32)?;
        }
        for (k, &h) in CACHE.iter().enumerate() {
            if std::mem::take(&mut self.dirty[k])
                && let Some(c) = self.cached[k]
            {
                self.a.mov(Self::guest_reg(c), h)?;
            }
        }
        Ok(())
    }

    fn check_temp(&self, t: Temp) -> R<usize> {
        match self.defined.get(t.index()) {
            Some(true) => Ok(t.index()),
            _ => Err(Unsupported(format!("{t} used before definition"))),
        }
    }

    /// Loads temporary `t` into `r`.
    fn get(&mut self, r: AsmRegister64, t: Temp) -> R {
        let i = self.check_temp(t)?;
        if let Some(v) = self.consts[i] {
            return self.mov_imm(r, v);
        }
        if let Some(g) = self.lazy[i] {
            self.left[i] = self.left[i].saturating_sub(1);
            // Set by the instruction just before: still in its register
            // (nothing emitted since the store).
            if let Some((held_g, held, after)) = self.held
                && held_g == g
                && self.a.position() == after
            {
                if held != r {
                    self.a.mov(r, held)?;
                    self.held = Some((g, held, self.a.position()));
                }
                return Ok(());
            }
            // Set earlier in the block and kept; a register not set in
            // the block is read from the `Cpu` at each use (an L1 load, no
            // store to wait for: keeping it too cost more compile time in
            // large programs than it saved).
            if let Some(h) = self.cache_reg(g) {
                return self.a.mov(r, h);
            }
            return self.a.mov(r, Self::guest_reg(g));
        }
        // Defined by the instruction just before: the value is still in
        // its register, and a temporary used only here needs no slot.
        if let Some((d, held, before, after)) = self.last_def.take()
            && d == t
            && self.a.position() == after
        {
            if self.uses[i] == 1 && self.a.undo(before) {
                self.unstored[i] = true;
            }
            if held != r {
                self.a.mov(r, held)?;
            }
            return Ok(());
        }
        if self.unstored[i] {
            // A use the count missed: never read a slot not written.
            return Err(Unsupported(format!("{t} read again after its only use")));
        }
        self.a.mov(r, Self::slot(t))
    }

    /// Temporary `t` as a register operand: the cache register holding it
    /// (a lazy read of a cached guest register: no move), else `r`, where
    /// it is loaded.
    fn operand(&mut self, r: AsmRegister64, t: Temp) -> R<AsmRegister64> {
        let i = self.check_temp(t)?;
        if let Some(g) = self.lazy[i]
            && let Some(h) = self.cache_reg(g)
        {
            self.left[i] = self.left[i].saturating_sub(1);
            return Ok(h);
        }
        self.get(r, t)?;
        Ok(r)
    }

    /// The constant temporary `t` holds, if any.
    fn const_of(&self, t: Temp) -> Option<u64> {
        self.consts.get(t.index()).copied().flatten()
    }

    /// The constant temporary `t` holds, if it fits a sign-extended imm32.
    fn imm32(&self, t: Temp) -> Option<i32> {
        self.const_of(t).and_then(|v| i32::try_from(v as i64).ok())
    }

    /// Marks temporary `t` defined: as constant `value`, as a lazy read of
    /// guest register `reg`, or (both `None`) as a value in its slot.
    fn define(&mut self, t: Temp, value: Option<u64>, reg: Option<u8>) -> R {
        let i = t.index();
        if i >= self.defined.len() {
            return Err(Unsupported(format!("{t} out of range")));
        }
        self.defined[i] = true;
        self.consts[i] = value;
        self.lazy[i] = reg;
        if let Some(g) = reg {
            self.lazy_regs |= 1 << g;
            self.lazy_list.push(i as u32);
        }
        Ok(())
    }

    /// Defines temporary `t` as the value in `r`.
    fn def(&mut self, t: Temp, r: AsmRegister64) -> R {
        self.define(t, None, None)?;
        let before = self.a.position();
        self.a.mov(Self::slot(t), r)?;
        self.last_def = Some((t, r, before, self.a.position()));
        Ok(())
    }

    /// Defines temporary `t` as guest register `x<g>`'s value now.
    fn def_lazy(&mut self, t: Temp, g: u8) -> R {
        self.define(t, None, Some(g))
    }

    fn def_const(&mut self, t: Temp, v: u64) -> R {
        self.define(t, Some(v), None)
    }

    /// The label of the exit stub leaving with `code` at the current site.
    fn stub(&mut self, code: u64) -> CodeLabel {
        // Every jump to an exit stub leaves with the registers in the
        // `Cpu`: its callers sync before (checked in debug builds).
        debug_assert!(
            !self.dirty.contains(&true) && self.known_unstored == 0,
            "an exit with a guest register not stored"
        );
        let s = Stub { pc: self.site_pc, retired: self.retired, code };
        if let Some((_, l)) = self.stubs.iter().find(|(x, _)| *x == s) {
            return *l;
        }
        let l = self.a.create_label();
        self.stubs.push((s, l));
        l
    }

    fn emit_stubs(&mut self) -> R {
        for i in 0..self.stubs.len() {
            let (s, mut l) = self.stubs[i];
            self.a.set_label(&mut l)?;
            if s.retired == 0
                && let Some(k) = LEAVE_CODES.iter().position(|&c| c == s.code)
            {
                self.mov_imm(rdx, s.pc)?;
                self.a.jmp_far(self.env.baseline.leave[k])?;
                continue;
            }
            self.a.mov(ecx, s.retired)?;
            self.mov_imm(rdx, s.pc)?;
            self.a.mov(eax, s.code as u32)?;
            self.a.jmp_far(self.env.baseline.tail)?;
        }
        if let Some(mut leave) = self.leave_dynamic.take() {
            self.a.set_label(&mut leave)?;
            self.a.jmp_far(self.env.baseline.leave[0])?;
        }
        Ok(())
    }

    fn add_instret(&mut self, n: u32) -> R {
        if n > 0 {
            self.a.add(qword_ptr(rbx + off::CPU_INSTRET), n as i32)?;
        }
        Ok(())
    }

    /// Counts this entry in the profile table; leaves with `exit::HOT`
    /// (before anything ran) when the count reaches `hot_at` exactly.
    fn count_run(&mut self, pc: u64, hot_at: u32) -> R {
        let counter = self.linker.counter(pc) as u64;
        self.mov_imm(rax, counter)?;
        self.a.add(dword_ptr(rax), 1)?;
        self.a.cmp(dword_ptr(rax), hot_at as i32)?;
        let hot = self.stub(exit::HOT);
        self.a.je(hot)?;
        Ok(())
    }

    /// Calls helper `f` with the System V convention; arguments are in
    /// place already. Temporaries live in the frame, so nothing is saved.
    fn call(&mut self, f: usize) -> R {
        self.sync()?;
        self.mov_imm(rax, f as u64)?;
        self.a.call(rax)?;
        // Caller-saved: the cache registers are gone.
        self.cached = [None; CACHE.len()];
        Ok(())
    }

    /// Leaves with `exit::FAULT` at the current site if the helper's
    /// status in `rax` is non-zero.
    fn check_status(&mut self) -> R {
        let fault = self.stub(exit::FAULT);
        self.a.test(rax, rax)?;
        self.a.jne(fault)?;
        Ok(())
    }

    fn op(&mut self, op: &Op) -> R {
        match *op {
            Op::Mark { pc, .. } => {
                self.site_pc = pc;
                self.retired = self.insns;
                self.insns += 1;
            }
            Op::Const { dst, value } => self.def_const(dst, value)?,
            Op::Copy { dst, src } => {
                let i = self.check_temp(src)?;
                match (self.consts[i], self.lazy[i]) {
                    (Some(v), _) => self.def_const(dst, v)?,
                    (None, Some(g)) => {
                        self.left[i] = self.left[i].saturating_sub(1);
                        self.def_lazy(dst, g)?;
                    }
                    (None, None) => {
                        self.get(rax, src)?;
                        self.def(dst, rax)?;
                    }
                }
            }
            Op::GetReg { dst, reg } => {
                let i = reg.index() & 63;
                if i == 0 {
                    self.def_const(dst, 0)?;
                } else if self.known_regs & 1 << i != 0 {
                    self.def_const(dst, self.known[i])?;
                } else {
                    self.def_lazy(dst, i as u8)?;
                }
            }
            Op::SetReg { reg, src } => {
                let i = reg.index() & 63;
                if i != 0 {
                    let at = Self::guest_reg(i as u8);
                    match self.const_of(src) {
                        Some(v) => {
                            self.known_regs |= 1 << i;
                            self.known[i] = v;
                        }
                        None => self.known_regs &= !(1 << i),
                    }
                    let g = i as u8;
                    self.known_unstored &= !(1 << i);
                    match self.imm32(src) {
                        Some(_) => {
                            // Read as the constant; stored at the next sync
                            // point.
                            self.materialize(g)?;
                            self.known_unstored |= 1 << i;
                            self.uncache(g);
                        }
                        None => {
                            self.get(rax, src)?;
                            self.materialize(g)?;
                            // Read again: kept in a cache register, and
                            // stored at the next sync point. A constant is
                            // read as one (`known`).
                            if self.read_later(g) && self.const_of(src).is_none() {
                                let h = self.cache_for(g)?;
                                self.a.mov(h, rax)?;
                            } else {
                                self.a.mov(at, rax)?;
                                self.uncache(g);
                            }
                            self.held = Some((g, rax, self.a.position()));
                        }
                    }
                }
            }
            Op::Unary { op, dst, src } => {
                if let Some(v) = self.const_of(src) {
                    self.check_temp(src)?;
                    return self.def_const(dst, ferrovm_ir::eval::unary(op, v));
                }
                self.get(rax, src)?;
                self.unary(op)?;
                self.def(dst, rax)?;
            }
            Op::Binary { op, dst, a, b } => {
                let (x, y) = (self.const_of(a), self.const_of(b));
                if let (Some(x), Some(y)) = (x, y) {
                    self.check_temp(a)?;
                    self.check_temp(b)?;
                    return self.def_const(dst, ferrovm_ir::eval::binary(op, x, y));
                }
                // A constant on the left of a commutative op goes right,
                // where it folds into an immediate form.
                let commutes = matches!(op, BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul);
                let (a, b) = if commutes && x.is_some() { (b, a) } else { (a, b) };
                self.binary(op, a, b)?;
                self.def(dst, rax)?;
            }
            Op::Select { dst, cond, a, b } => {
                self.get(rcx, cond)?;
                self.get(rax, a)?;
                self.get(rdx, b)?;
                self.a.test(rcx, rcx)?;
                self.a.cmove(rax, rdx)?;
                self.def(dst, rax)?;
            }
            Op::Load { dst, addr, offset, size, signed } => {
                self.address(addr, offset, size, false)?;
                let at = r13 + rax;
                match (size, signed) {
                    (MemSize::B, false) => self.a.movzx(eax, byte_ptr(at))?,
                    (MemSize::B, true) => self.a.movsx(rax, byte_ptr(at))?,
                    (MemSize::H, false) => self.a.movzx(eax, word_ptr(at))?,
                    (MemSize::H, true) => self.a.movsx(rax, word_ptr(at))?,
                    (MemSize::W, false) => self.a.mov(eax, dword_ptr(at))?,
                    (MemSize::W, true) => self.a.movsxd(rax, dword_ptr(at))?,
                    (MemSize::D, _) => self.a.mov(rax, qword_ptr(at))?,
                }
                self.def(dst, rax)?;
            }
            Op::Store { addr, offset, src, size } => {
                if self.env.direct || self.env.trap {
                    // Nothing between the limit branch (or the trap site's
                    // clamp) and the access.
                    self.get(rcx, src)?;
                    self.address(addr, offset, size, true)?;
                } else {
                    self.address(addr, offset, size, true)?;
                    self.get(rcx, src)?;
                }
                let at = r13 + rax;
                match size {
                    MemSize::B => self.a.mov(byte_ptr(at), cl)?,
                    MemSize::H => self.a.mov(word_ptr(at), cx)?,
                    MemSize::W => self.a.mov(dword_ptr(at), ecx)?,
                    MemSize::D => self.a.mov(qword_ptr(at), rcx)?,
                }
            }
            Op::LoadReserved { dst, addr, size, order } => {
                self.a.mov(rdi, r12)?;
                self.a.mov(rsi, rbx)?;
                self.get(rdx, addr)?;
                self.a.mov(ecx, size_code(size) | order_code(order) << 2)?;
                self.call(HELPERS.lr)?;
                self.check_status()?;
                self.a.mov(rax, qword_ptr(r12 + off::CTX_VALUE))?;
                self.def(dst, rax)?;
            }
            Op::StoreConditional { dst, addr, src, size, order } => {
                self.a.mov(rdi, r12)?;
                self.a.mov(rsi, rbx)?;
                self.get(rdx, addr)?;
                self.get(rcx, src)?;
                self.a.mov(r8d, size_code(size) | order_code(order) << 2)?;
                self.call(HELPERS.sc)?;
                self.check_status()?;
                self.a.mov(rax, qword_ptr(r12 + off::CTX_VALUE))?;
                self.def(dst, rax)?;
            }
            Op::Amo { op, dst, addr, src, size, order } => {
                self.a.mov(rdi, r12)?;
                self.get(rsi, addr)?;
                self.get(rdx, src)?;
                self.a.mov(ecx, size_code(size) | order_code(order) << 2 | (op as u32) << 8)?;
                self.call(HELPERS.amo)?;
                self.check_status()?;
                self.a.mov(rax, qword_ptr(r12 + off::CTX_VALUE))?;
                self.def(dst, rax)?;
            }
            // What Cranelift's `fence` is on x86-64; a TSO fence is no
            // instruction (see `ferrovm_ir::FenceKind`).
            Op::Fence { kind: FenceKind::Full } => self.a.mfence()?,
            Op::Fence { kind: FenceKind::Tso } => {}
            Op::FUnary { .. }
            | Op::FBinary { .. }
            | Op::FTernary { .. }
            | Op::FCvt { .. }
            | Op::CheckFrm
            | Op::CsrRead { .. }
            | Op::CsrWrite { .. }
            | Op::Vector { .. } => return Err(Unsupported("floating point, vector or CSR access".into())),
        }
        Ok(())
    }

    /// Computes the guest address `addr + offset` of a load or store of
    /// `size` into `rax` and checks it as Cranelift's block code does
    /// (see the module docs); afterwards `[r13 + rax]` is the host access.
    fn address(&mut self, addr: Temp, offset: i32, size: MemSize, write: bool) -> R {
        self.get(rax, addr)?;
        if offset != 0 {
            self.a.add(rax, offset)?;
        }
        // It may fault or leave.
        self.sync()?;
        if self.env.trap {
            // A trap-mode access ([`crate::MemAccess::Trap`]): the address
            // clamped to the guest limit (in `r15`; a guard page follows
            // it), then the plain access, whose host fault leaves compiled
            // code with the pc of this instruction (`crate::fault::abort`;
            // the registers are in the `Cpu` already, so with the
            // instructions retired before it the state is precise there),
            // or, a store into a page of translated code, is made possible
            // and leaves at the next block edge
            // (`crate::fault::note_code_write`).
            self.a.cmp(rax, r15)?;
            self.a.cmova(rax, r15)?;
            self.traps.push(crate::store::TrapSite {
                at: self.a.offset() as u32,
                pc: self.site_pc,
                retired: self.retired,
                check: None,
            });
            return Ok(());
        }
        if self.env.direct {
            // The limit compare, its branch to the slow exit, and then
            // (the caller's next instruction) the access: a host fault
            // there resumes at the exit (see `crate::fault`).
            let slow = self.stub(exit::SLOW);
            self.a.mov(rdx, rax)?;
            self.a.shr(rdx, GUEST_LIMIT.trailing_zeros())?;
            self.a.jne(slow)?;
            self.accesses.push(self.a.offset() as u32);
            return Ok(());
        }
        let slow = self.stub(exit::SLOW);
        // One test covers both: no bit at or above GUEST_LIMIT, and none
        // below the access size.
        let mask = !(GUEST_LIMIT - 1) | u64::from(size.bytes() - 1);
        self.mov_imm(rcx, mask)?;
        self.a.test(rax, rcx)?;
        self.a.jne(slow)?;
        self.a.mov(rcx, rax)?;
        self.a.shr(rcx, PAGE_SHIFT)?;
        self.a.movzx(ecx, byte_ptr(r14 + rcx))?;
        if write {
            // A store also goes slow on a page holding translated code or
            // one a snapshot tracks (`WRITE_SLOW`).
            self.a.and(ecx, u32::from(page_flags::WRITE | page_flags::WRITE_SLOW))?;
            self.a.cmp(ecx, u32::from(page_flags::WRITE))?;
            self.a.jne(slow)?;
        } else {
            self.a.test(cl, u32::from(page_flags::READ))?;
            self.a.je(slow)?;
        }
        Ok(())
    }

    /// `rax = op rax`.
    fn unary(&mut self, op: UnOp) -> R {
        use UnOp::*;
        let a = &mut self.a;
        match op {
            Not => a.not(rax)?,
            Neg => a.neg(rax)?,
            SextB => a.movsx(rax, al)?,
            SextH => a.movsx(rax, ax)?,
            SextW => a.movsxd(rax, eax)?,
            ZextB => a.movzx(eax, al)?,
            ZextH => a.movzx(eax, ax)?,
            ZextW => a.mov(eax, eax)?,
            Rev8 => a.bswap(rax)?,
            NanBox => {
                a.mov(rcx, 0xffff_ffff_0000_0000_u64)?;
                a.or(rax, rcx)?;
            }
            NanBoxH => {
                a.mov(rcx, 0xffff_ffff_ffff_0000_u64)?;
                a.or(rax, rcx)?;
            }
            // The rest through the helper that runs the interpreter's
            // own evaluation.
            _ => {
                a.mov(rsi, rax)?;
                a.mov(edi, op as u32)?;
                self.call(HELPERS.int_unary)?;
            }
        }
        Ok(())
    }

    /// `rax = a op b`.
    fn binary(&mut self, op: BinOp, x: Temp, y: Temp) -> R {
        use BinOp::*;
        let k = self.imm32(y);
        self.get(rax, x)?;
        // Immediate forms for a constant right operand.
        if let Some(k) = k {
            if k == 0 && matches!(op, Add | Sub | Or | Xor | Shl | Shr | Sar) {
                // `mv`, `sext.w`'s first half, `li`: nothing to do.
                return Ok(());
            }
            let done = match op {
                Add => Some(self.a.add(rax, k)),
                Sub => Some(self.a.sub(rax, k)),
                And => Some(self.a.and(rax, k)),
                Or => Some(self.a.or(rax, k)),
                Xor => Some(self.a.xor(rax, k)),
                Mul => Some(self.a.imul_3(rax, rax, k)),
                Shl => Some(self.a.shl(rax, k & 63)),
                Shr => Some(self.a.shr(rax, k & 63)),
                Sar => Some(self.a.sar(rax, k & 63)),
                _ => None,
            };
            if let Some(done) = done {
                done?;
                return Ok(());
            }
        }
        // Ops that take any register as `y` take a cached one as it is;
        // the rest want it in `rcx` (shift counts in `cl`).
        let any = matches!(
            op,
            Add | Sub
                | And
                | Or
                | Xor
                | Mul
                | Eq
                | Ne
                | Lt
                | LtU
                | Ge
                | GeU
                | AddW
                | SubW
                | MulW
                | Min
                | MinU
                | Max
                | MaxU
        );
        let y = if any { self.operand(rcx, y)? } else { self.get(rcx, y).map(|()| rcx)? };
        let y32 = Gpr::<32>(y.0);
        let a = &mut self.a;
        match op {
            Add => a.add(rax, y)?,
            Sub => a.sub(rax, y)?,
            And => a.and(rax, y)?,
            Or => a.or(rax, y)?,
            Xor => a.xor(rax, y)?,
            // x86 masks shift and rotate counts to the width, as RISC-V does.
            Shl => a.shl(rax, cl)?,
            Shr => a.shr(rax, cl)?,
            Sar => a.sar(rax, cl)?,
            Rol => a.rol(rax, cl)?,
            Ror => a.ror(rax, cl)?,
            Mul => a.imul_2(rax, y)?,
            MulH => {
                a.imul(rcx)?;
                a.mov(rax, rdx)?;
            }
            MulHU => {
                a.mul(rcx)?;
                a.mov(rax, rdx)?;
            }
            Eq | Ne | Lt | LtU | Ge | GeU => {
                a.cmp(rax, y)?;
                match op {
                    Eq => a.sete(al)?,
                    Ne => a.setne(al)?,
                    Lt => a.setl(al)?,
                    LtU => a.setb(al)?,
                    Ge => a.setge(al)?,
                    _ => a.setae(al)?,
                }
                a.movzx(eax, al)?;
            }
            AddW | SubW | ShlW | ShrW | SarW | MulW | RolW | RorW => {
                match op {
                    AddW => a.add(eax, y32)?,
                    SubW => a.sub(eax, y32)?,
                    ShlW => a.shl(eax, cl)?,
                    ShrW => a.shr(eax, cl)?,
                    SarW => a.sar(eax, cl)?,
                    MulW => a.imul_2(eax, y32)?,
                    RolW => a.rol(eax, cl)?,
                    _ => a.ror(eax, cl)?,
                }
                a.movsxd(rax, eax)?;
            }
            AndN => {
                a.not(rcx)?;
                a.and(rax, rcx)?;
            }
            OrN => {
                a.not(rcx)?;
                a.or(rax, rcx)?;
            }
            XNor => {
                a.xor(rax, rcx)?;
                a.not(rax)?;
            }
            Min | MinU | Max | MaxU => {
                a.cmp(rax, y)?;
                match op {
                    Min => a.cmovg(rax, y)?,
                    MinU => a.cmova(rax, y)?,
                    Max => a.cmovl(rax, y)?,
                    _ => a.cmovb(rax, y)?,
                }
            }
            // Division (with RISC-V's results for zero and overflow) and
            // the rare bit-manipulation ops: the interpreter's evaluation.
            _ => {
                a.mov(rdx, rcx)?;
                a.mov(rsi, rax)?;
                a.mov(edi, op as u32)?;
                self.call(HELPERS.int_binary)?;
            }
        }
        Ok(())
    }

    /// Leaves towards guest `target` (a constant) through its chaining
    /// cell, or to the dispatcher.
    fn chain_direct(&mut self, target: u64) -> R {
        if !self.env.chaining {
            self.mov_imm(rax, target)?;
            self.a.mov(qword_ptr(rbx + off::CPU_PC), rax)?;
            return self.ret(exit::CONTINUE);
        }
        // An exit request (an interrupt, code written): to the dispatcher.
        let leave = self.stub_at(target, exit::CONTINUE);
        self.a.cmp(byte_ptr(r12 + off::CTX_EXIT_REQUEST), 0)?;
        self.a.jne(leave)?;
        self.tail_call(target)
    }

    /// A stub leaving with `code` at `pc`, nothing more retired.
    fn stub_at(&mut self, pc: u64, code: u64) -> CodeLabel {
        let (site, retired) = (self.site_pc, self.retired);
        (self.site_pc, self.retired) = (pc, 0);
        let l = self.stub(code);
        (self.site_pc, self.retired) = (site, retired);
        l
    }

    /// Goes to `target` through its cell's inner way in, with this frame
    /// (exit request polled). First a `jmp rel32` to the next instruction,
    /// which the store patches to lead straight to the inner entry while
    /// the cell leads to baseline code ([`Compiled::chains`]): no load of
    /// the cell and no indirect jump, as QEMU chains its blocks.
    fn tail_call(&mut self, target: u64) -> R {
        let cell = self.linker.cell(target) as u64;
        let end = self.a.jmp_patchable()?;
        // Fixed sizes (`movabs`), so that the exit's word in its cell's
        // list of exits (the store's), after the jump and never executed,
        // is `CHAIN_NEXT` bytes past the rel32 field. Where the cell's
        // `inner` leads takes the pc from the cell.
        self.a.mov(rax, cell)?;
        self.a.jmp(qword_ptr(rax + off::CELL_INNER))?;
        if self.a.offset() != end as usize + CHAIN_NEXT - 4 {
            return Err(Unsupported("x64 emitter: a chained exit of an unexpected size".into()));
        }
        self.a.data_u64(0);
        self.chains.push((end, cell));
        Ok(())
    }

    /// The hit of an indirect jump to `rdx` (instructions counted, return
    /// address pushed), here in the block: the top of the return-address
    /// stack for a return, else the site's inline-cache word; on a hit
    /// (counted as the shared exit counts it), popped, polled and chained
    /// through the cell's inner way in with this frame, as a direct exit
    /// is, from a jump of this site's own (predicted per site, not one
    /// shared jump for every target). A miss falls through to the shared
    /// exit, which looks again (the stack not popped yet) and on.
    fn inline_indirect(&mut self, hint: IndirectHint, ic_word: u64) -> R {
        let miss = self.a.create_label();
        if hint == IndirectHint::Return {
            self.a.mov(rcx, qword_ptr(r12 + off::CTX_RAS_TOP))?;
            self.a.sub(rcx, 1)?;
            self.a.mov(esi, ecx)?;
            self.a.and(esi, (RAS_ENTRIES - 1) as u32)?;
            self.a.mov(rax, qword_ptr(r12 + rsi * 8 + off::CTX_RAS))?;
            self.a.cmp(qword_ptr(rax + off::CELL_PC), rdx)?;
            self.a.jne(miss)?;
            self.a.mov(qword_ptr(r12 + off::CTX_RAS_TOP), rcx)?;
            self.a.add(qword_ptr(r12 + off::CTX_RETURNS), 1)?;
        } else {
            self.mov_imm(rax, ic_word)?;
            self.a.mov(rax, qword_ptr(rax))?;
            self.a.cmp(qword_ptr(rax + off::CELL_PC), rdx)?;
            self.a.jne(miss)?;
        }
        self.a.add(qword_ptr(r12 + off::CTX_INDIRECT), 1)?;
        // An exit request: to the dispatcher at `rdx`.
        let leave = *self.leave_dynamic.get_or_insert_with(|| self.a.create_label());
        self.a.cmp(byte_ptr(r12 + off::CTX_EXIT_REQUEST), 0)?;
        self.a.jne(leave)?;
        self.a.jmp(qword_ptr(rax + off::CELL_INNER))?;
        let mut miss = miss;
        self.a.set_label(&mut miss)
    }

    /// Pushes the cell of the return address if `block` is a call
    /// ([`pushes_return`]). Large programs call through pointers all the
    /// time: without the indirect ones, half of python3's returns missed
    /// the stack.
    fn push_return(&mut self, block: &Block) -> R {
        if !(self.env.chaining && self.env.inline_cache && pushes_return(block)) {
            return Ok(());
        }
        // `rdx` holds an indirect call's target: not touched here.
        let cell = self.linker.cell(block.end) as u64;
        self.a.mov(rax, qword_ptr(r12 + off::CTX_RAS_TOP))?;
        self.a.mov(ecx, eax)?;
        self.a.and(ecx, (RAS_ENTRIES - 1) as u32)?;
        self.mov_imm(rsi, cell)?;
        self.a.mov(qword_ptr(r12 + rcx * 8 + off::CTX_RAS), rsi)?;
        self.a.add(rax, 1)?;
        self.a.mov(qword_ptr(r12 + off::CTX_RAS_TOP), rax)?;
        Ok(())
    }

    fn terminator(&mut self, block: &Block, ic_word: u64) -> R {
        let n = self.insns;
        // Every way out leaves the registers in the `Cpu`: synced here, or
        // (a branch on a value, an indirect jump) once the value is loaded.
        match block.term {
            Terminator::Branch { cond, .. } if self.flags.is_none_or(|(t, _)| t != cond) => {}
            Terminator::JumpIndirect { .. } => {}
            _ => self.sync()?,
        }
        match block.term {
            Terminator::Jump { target } => {
                self.add_instret(n)?;
                self.push_return(block)?;
                self.chain_direct(target)?;
            }
            Terminator::Branch { cond, taken, fallthrough } => {
                if !self.env.chaining {
                    self.get(rax, cond)?;
                    self.sync()?;
                    self.add_instret(n)?;
                    self.mov_imm(rcx, fallthrough)?;
                    self.mov_imm(rdx, taken)?;
                    self.a.test(rax, rax)?;
                    self.a.cmovne(rcx, rdx)?;
                    self.a.mov(qword_ptr(rbx + off::CPU_PC), rcx)?;
                    return self.ret(exit::CONTINUE);
                }
                // The condition: in the flags (a fused compare, the
                // block's instructions counted before it) or a value.
                let cc = match self.flags.take() {
                    Some((t, cc)) if t == cond => cc,
                    _ => {
                        self.get(rax, cond)?;
                        self.sync()?;
                        self.add_instret(n)?;
                        self.a.test(rax, rax)?;
                        Cc::Ne
                    }
                };
                // Each way polls the exit request and chains to its target
                // on its own (each has its own patchable jump).
                let mut not_taken = self.a.create_label();
                self.a.jcc(cc.inverse(), not_taken)?;
                self.chain_direct(taken)?;
                self.a.set_label(&mut not_taken)?;
                self.chain_direct(fallthrough)?;
            }
            Terminator::JumpIndirect { target, hint } => {
                self.get(rdx, target)?;
                self.sync()?;
                self.add_instret(n)?;
                self.push_return(block)?;
                if !self.env.chaining {
                    self.a.mov(qword_ptr(rbx + off::CPU_PC), rdx)?;
                    return self.ret(exit::CONTINUE);
                }
                if self.env.inline_cache {
                    self.inline_indirect(hint, ic_word)?;
                }
                // The shared lookup: (cpu, ctx, target, ic_word), after
                // the frame is taken down ([`Stubs::indirect`]).
                self.a.mov(rdi, rbx)?;
                self.a.mov(rsi, r12)?;
                self.mov_imm(rcx, ic_word)?;
                self.a.jmp_far(self.env.baseline.indirect[usize::from(hint == IndirectHint::Return)])?;
            }
            Terminator::Ecall { pc } => self.leave(pc, n, exit::ECALL, None)?,
            Terminator::Ebreak { pc } => self.leave(pc, n.saturating_sub(1), exit::EBREAK, None)?,
            Terminator::Illegal { pc, bits } => self.leave(pc, n.saturating_sub(1), exit::ILLEGAL, Some(bits))?,
            Terminator::FenceI { next, .. } => self.leave(next, n, exit::FENCE_I, None)?,
        }
        Ok(())
    }

    fn leave(&mut self, pc: u64, retired: u32, code: u64, bits: Option<u32>) -> R {
        self.add_instret(retired)?;
        self.mov_imm(rax, pc)?;
        self.a.mov(qword_ptr(rbx + off::CPU_PC), rax)?;
        if let Some(bits) = bits {
            self.a.mov(dword_ptr(r12 + off::CTX_ILLEGAL_BITS), bits)?;
        }
        self.ret(code)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use ferrovm_ir::Cpu;
    use ferrovm_ir::text::parse_blocks;
    use ferrovm_mem::{AddressSpace, Perms};

    use crate::abi::Cell;
    use crate::{CodeStore, Error, Flavor, JitOptions, Linker, NativeExit};

    /// One cell and one counter for every pc (the crate's tests' linker).
    pub(crate) struct One<'a>(pub(crate) &'a Cell, pub(crate) &'a AtomicU32);

    impl Linker for One<'_> {
        fn cell(&mut self, _: u64) -> *const Cell {
            self.0
        }

        fn counter(&mut self, _: u64) -> *const AtomicU32 {
            self.1
        }
    }

    /// Compiles `text` (one block) with the baseline compiler and runs it
    /// once from `cpu`.
    fn run(text: &str, cpu: &mut Cpu, mem: &Arc<AddressSpace>, hot_at: Option<u32>) -> crate::Result<NativeExit> {
        run_requested(text, cpu, mem, hot_at, false)
    }

    /// [`run`], with the thread's exit request set first if `request`.
    fn run_requested(
        text: &str,
        cpu: &mut Cpu,
        mem: &Arc<AddressSpace>,
        hot_at: Option<u32>,
        request: bool,
    ) -> crate::Result<NativeExit> {
        let block = parse_blocks(text).expect("parses").remove(0);
        let store = CodeStore::new(mem, JitOptions::default())?;
        let cell = store.new_cell(block.start);
        let counter = AtomicU32::new(0);
        let mut c = store.compiler();
        let flavor = Flavor { optimize: false, hot_at, checked: false };
        let mut f = store.compile_baseline(&mut c, &block, flavor, &mut One(&cell, &counter))?;
        let code = store.install(&mut f)?;
        store.link(&cell, &code);
        let thread = store.thread();
        thread.context().exit_request.store(u8::from(request), Ordering::Relaxed);
        let exit = store.run(&thread, cpu, &cell).expect("compiled code ran");
        store.unlink(&cell);
        store.retire(code);
        Ok(exit)
    }

    /// The machine code of the block `text` (its first), compiled for a
    /// store on `mem` (not installed: for reading its instructions).
    fn machine_code(text: &str, mem: &Arc<AddressSpace>) -> super::Compiled {
        let store = CodeStore::new(mem, JitOptions::default()).expect("store");
        let cell = store.new_cell(0x1000);
        let counter = AtomicU32::new(0);
        let mut asm = super::Assembler::new().expect("assembler");
        let block = parse_blocks(text).expect("parses").remove(0);
        super::compile(&mut asm, &block, store.env, &mut One(&cell, &counter), 0, None).expect("compiles")
    }

    /// The emitter's tables are reused from compile to compile: a block
    /// compiled after a larger one (more temporaries, constants, exit
    /// stubs) gets the same code as on a fresh assembler.
    #[test]
    fn reused_tables_give_the_same_code() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let store = CodeStore::new(&mem, JitOptions::default()).expect("store");
        let cell = store.new_cell(0x1000);
        let counter = AtomicU32::new(0);
        let big = parse_blocks(
            "block 0x1000..0x100c {
                mark 0x1000 4
                t0 = get x10
                t1 = const 0x7
                t2 = add t0, t1
                t3 = load.64u t2+0
                set x11, t3
                mark 0x1004 4
                t4 = const 0x3
                t5 = mul t3, t4
                t6 = load.32s t5+8
                set x12, t6
                mark 0x1008 4
                t7 = get x13
                branch t7, 0x2000, 0x100c
            }",
        )
        .expect("parses")
        .remove(0);
        let small = parse_blocks(
            "block 0x3000..0x3004 {
                mark 0x3000 4
                t0 = get x1
                t1 = get x2
                t2 = add t0, t1
                set x3, t2
                jump 0x3004
            }",
        )
        .expect("parses")
        .remove(0);
        let compile = |asm: &mut super::Assembler, block| {
            super::compile(asm, block, store.env, &mut One(&cell, &counter), 0x1234_5678, Some(10)).expect("compiles")
        };
        let mut reused = super::Assembler::new().expect("assembler");
        let big_code = compile(&mut reused, &big);
        let small_after_big = compile(&mut reused, &small);
        let big_again = compile(&mut reused, &big);
        let mut fresh = super::Assembler::new().expect("assembler");
        assert_eq!(small_after_big, compile(&mut fresh, &small));
        assert_eq!(big_again, big_code);
    }

    #[test]
    fn integer_ops_loads_and_stores() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        mem.map(0x20000, 0x1000, Perms::RW).expect("map");
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[10] = 0x20000;
        cpu.regs[11] = 7;
        let exit = run(
            "block 0x1000..0x1010 {
                mark 0x1000 4
                t0 = get x10
                t1 = get x11
                t2 = const 0x5
                t3 = mulw t1, t2
                store.64 t0+8, t3
                mark 0x1004 4
                t4 = load.8u t0+8
                t5 = const 0x3
                t6 = shl t4, t5
                set x12, t6
                mark 0x1008 4
                t7 = const 0xffffffffffffffff
                t8 = ltu t1, t7
                set x13, t8
                mark 0x100c 4
                ecall 0x100c
            }",
            &mut cpu,
            &mem,
            None,
        )
        .expect("compiles");
        assert_eq!(exit, NativeExit::Ecall);
        assert_eq!((cpu.regs[12], cpu.regs[13], cpu.pc, cpu.instret), (35 * 8, 1, 0x100c, 4));
        let mut stored = [0; 8];
        mem.read_bytes(0x20008, &mut stored).expect("stored");
        assert_eq!(u64::from_le_bytes(stored), 35);
    }

    /// Guest registers read again later in the block come from the cache
    /// registers: more of them live than there are cache registers (so
    /// some are evicted), a helper call in the middle (which clobbers
    /// them), and a value read before its register is set and used after
    /// (materialized from the cache). Every register ends as computed
    /// here, stored in the `Cpu` by the exit.
    #[test]
    fn cached_guest_registers_survive_eviction_and_helper_calls() {
        const BLOCK: &str = "block 0x1000..0x1020 {
                mark 0x1000 4
                t0 = get x10
                t1 = const 0x1
                t2 = add t0, t1
                set x10, t2
                mark 0x1004 4
                t3 = get x10
                t4 = get x11
                t5 = mul t3, t4
                set x12, t5
                mark 0x1008 4
                t6 = get x12
                t7 = get x10
                t8 = xor t6, t7
                set x13, t8
                mark 0x100c 4
                t9 = get x13
                t10 = get x12
                t11 = add t9, t10
                set x14, t11
                mark 0x1010 4
                t12 = get x14
                t13 = get x11
                t14 = div t12, t13
                set x11, t14
                mark 0x1014 4
                t15 = get x10
                t16 = get x12
                t17 = add t15, t16
                t18 = get x13
                t19 = add t17, t18
                set x10, t19
                mark 0x1018 4
                t20 = get x14
                t21 = add t20, t15
                t22 = get x11
                t23 = sub t21, t22
                set x15, t23
                mark 0x101c 4
                ecall 0x101c
            }";
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[10] = 100;
        cpu.regs[11] = 7;
        let exit = run(BLOCK, &mut cpu, &mem, None).expect("compiles");
        assert_eq!(exit, NativeExit::Ecall);
        let (x10, x11) = (101u64, 7u64);
        let x12 = x10 * x11;
        let x13 = x12 ^ x10;
        let x14 = x13 + x12;
        let x11 = x14 / x11;
        // `t15` was read before x10 was set again.
        let x15 = x14 + x10 - x11;
        let x10 = x10 + x12 + x13;
        assert_eq!(cpu.regs[10..16], [x10, x11, x12, x13, x14, x15]);
        assert_eq!((cpu.pc, cpu.instret), (0x101c, 8));
        // A helper need not clobber the cache registers (this one does
        // not), so the values alone cannot show they are forgotten at the
        // call: the code must read none after a call before writing it,
        // and it must read some (the cache is used at all).
        let code = machine_code(BLOCK, &mem);
        let (mut valid, mut reads, mut calls) = ([false; 3], 0, 0);
        for ins in super::x64::tests::text(&code.bytes) {
            if ins.starts_with("call") {
                valid = [false; 3];
                calls += 1;
                continue;
            }
            let operands: Vec<&str> = ins.split_once(' ').map_or(vec![], |(_, o)| o.split(',').collect());
            for (k, name) in ["%r9", "%r10", "%r11"].iter().enumerate() {
                for (at, o) in operands.iter().enumerate() {
                    if o.trim() != *name {
                        continue;
                    }
                    if at + 1 == operands.len() && (ins.starts_with("mov ") || ins.starts_with("lea ")) {
                        valid[k] = true;
                    } else {
                        assert!(valid[k], "{ins}: {name} read after a call, before it was set");
                        reads += 1;
                    }
                }
            }
        }
        assert_eq!(calls, 1, "the division's helper call");
        assert!(reads >= 3, "only {reads} reads from cache registers");
    }

    /// An exit request found at a chained exit leaves (through the shared
    /// `leave` stub) at that way's target, the block's instructions
    /// counted once whichever way the branch went (a fused compare and a
    /// value condition).
    #[test]
    fn an_exit_request_leaves_at_the_branch_target_with_the_block_retired() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let fused = "block 0x1000..0x1008 {
            mark 0x1000 4
            t0 = const 0x9
            set x5, t0
            mark 0x1004 4
            t1 = get x6
            t2 = get x7
            t3 = ltu t1, t2
            branch t3, 0x2000, 0x1008
        }";
        // The condition used twice: a value, not the flags.
        let value = fused.replace("branch", "set x8, t3\n            branch");
        for text in [fused, &value] {
            for (x6, target) in [(1, 0x2000), (5, 0x1008)] {
                let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
                (cpu.regs[6], cpu.regs[7]) = (x6, 3);
                let exit = run_requested(text, &mut cpu, &mem, None, true).expect("compiles");
                assert_eq!(exit, NativeExit::Continue);
                assert_eq!((cpu.pc, cpu.instret, cpu.regs[5]), (target, 2, 9), "{text}");
            }
        }
    }

    #[test]
    fn registers_set_again_are_stored_once_by_the_next_sync_point() {
        // x10 = ((x10 + 1) ^ 5) + ((x10 + 1) ^ 5) >> 3, x5 the shift, then a
        // load that leaves (unmapped): the state there is precise, and
        // before it each register was stored once, not at each set.
        const BLOCK: &str = "block 0x1000..0x1014 {
                mark 0x1000 4
                t0 = get x10
                t1 = const 0x1
                t2 = add t0, t1
                set x10, t2
                mark 0x1004 4
                t3 = get x10
                t4 = const 0x5
                t5 = xor t3, t4
                set x10, t5
                mark 0x1008 4
                t6 = get x10
                t7 = const 0x3
                t8 = shr t6, t7
                set x5, t8
                mark 0x100c 4
                t9 = get x10
                t10 = get x5
                t11 = add t9, t10
                set x10, t11
                mark 0x1010 4
                t12 = const 0x7
                t13 = load.64u t12+0
                set x6, t13
                ecall 0x1014
            }";
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[10] = 100;
        let exit = run(BLOCK, &mut cpu, &mem, None).expect("compiles");
        assert_eq!(exit, NativeExit::Slow);
        let x10 = (100u64 + 1) ^ 5;
        let x5 = x10 >> 3;
        assert_eq!((cpu.pc, cpu.instret), (0x1010, 4));
        assert_eq!((cpu.regs[10], cpu.regs[5], cpu.regs[6]), (x10 + x5, x5, 0));

        let code = machine_code(BLOCK, &mem);
        let text = super::x64::tests::text(&code.bytes);
        let stores = |slot: &str| text.iter().filter(|i| i.starts_with("mov ") && i.ends_with(slot)).count();
        let (x10_at, x5_at) =
            (format!(",{:#X}(%rbx)", super::off::CPU_REGS + 80), format!(",{:#X}(%rbx)", super::off::CPU_REGS + 40));
        assert_eq!((stores(&x10_at), stores(&x5_at)), (1, 1), "{text:#?}");
    }

    #[test]
    fn a_failed_check_leaves_precisely() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        let exit = run(
            "block 0x1000..0x1008 {
                mark 0x1000 4
                t0 = const 0x7
                set x5, t0
                mark 0x1004 4
                t1 = load.64u t0+0
                set x6, t1
                ecall 0x1008
            }",
            &mut cpu,
            &mem,
            None,
        )
        .expect("compiles");
        assert_eq!(exit, NativeExit::Slow, "unmapped and misaligned: the interpreter does it");
        assert_eq!((cpu.pc, cpu.instret, cpu.regs[5], cpu.regs[6]), (0x1004, 1, 7, 0));
    }

    #[test]
    fn counting_code_leaves_hot_before_running() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        let text = "block 0x1000..0x1004 {
            mark 0x1000 4
            t0 = const 0x1
            set x5, t0
            ecall 0x1000
        }";
        assert_eq!(run(text, &mut cpu, &mem, Some(1)).expect("compiles"), NativeExit::Hot);
        assert_eq!((cpu.pc, cpu.instret, cpu.regs[5]), (0x1000, 0, 0));
    }

    /// `jalr ra, a5`, an indirect call, pushes the cell of its return
    /// address as `jal ra` does (the return after it is predicted); an
    /// indirect jump that links nothing pushes nothing. In baseline code
    /// and in Cranelift's optimized code (which pushed nothing for it).
    #[test]
    fn indirect_calls_push_their_return_address() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        for (hint, pushes, optimize) in
            [(" call", true, false), ("", false, false), (" call", true, true), ("", false, true)]
        {
            let text = format!(
                "block 0x1000..0x1004 {{
                    mark 0x1000 4
                    t0 = get x15
                    t1 = const 0x1004
                    set x1, t1
                    jump_indirect t0{hint}
                }}"
            );
            let block = parse_blocks(&text).expect("parses").remove(0);
            let store = CodeStore::new(&mem, JitOptions::default()).expect("store");
            let cell = store.new_cell(block.start);
            let counter = AtomicU32::new(0);
            let mut c = store.compiler();
            let flavor = Flavor { optimize, hot_at: None, checked: false };
            let mut f = if optimize {
                store.compile(&mut c, std::slice::from_ref(&block), flavor, &mut One(&cell, &counter))
            } else {
                store.compile_baseline(&mut c, &block, flavor, &mut One(&cell, &counter))
            }
            .expect("compiles");
            let code = store.install(&mut f).expect("installs");
            store.link(&cell, &code);
            let thread = store.thread();
            let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
            cpu.regs[15] = 0x2000;
            let exit = store.run(&thread, &mut cpu, &cell).expect("compiled code ran");
            assert_eq!((exit, cpu.pc, cpu.regs[1]), (NativeExit::Continue, 0x2000, 0x1004));
            let ctx = thread.context();
            let top = ctx.ras_top.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(top, u64::from(pushes), "{hint:?} optimize={optimize}");
            if pushes {
                // The test's linker has one cell for every pc.
                let pushed = ctx.ras[0].load(std::sync::atomic::Ordering::Relaxed);
                assert_eq!(pushed.cast_const(), &raw const cell);
            }
            store.unlink(&cell);
            store.retire(code);
        }
    }

    /// A call and its return, and an indirect jump whose cache the shared
    /// exit filled, run through baseline code with the results and counts
    /// of the shared exit (indirect jumps, returns, misses) and the return
    /// popped: what the inline hits must keep (each hit here is taken
    /// inline first; the test does not see which path ran, only that the
    /// inline one counts and pops as the shared one does: without its pop
    /// it fails).
    #[test]
    fn returns_and_cached_indirect_jumps_chain_inline() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let store = CodeStore::new(&mem, JitOptions::default()).expect("store");
        let cells = [0x1000, 0x1004, 0x1008, 0x2000, 0x100c].map(|pc| store.new_cell(pc));
        let mut c = store.compiler();
        let texts = [
            // A call of 0x2000 returning to 0x1004.
            "block 0x1000..0x1004 {\n mark 0x1000 4\n t0 = const 0x1004\n set x1, t0\n jump 0x2000\n }",
            // Jumps through x5 (twice: 0x1008 comes back here).
            "block 0x1004..0x1008 {\n mark 0x1004 4\n t0 = get x5\n jump_indirect t0\n }",
            "block 0x1008..0x100c {\n mark 0x1008 4\n t0 = get x6\n t1 = const 0x1\n t2 = add t0, t1\n set x6, t2\n t3 = const 0x2\n t4 = ltu t2, t3\n branch t4, 0x1004, 0x100c\n }",
            "block 0x2000..0x2004 {\n mark 0x2000 4\n t0 = get x1\n jump_indirect t0 return\n }",
        ];
        let codes: Vec<_> = texts
            .iter()
            .zip(&cells)
            .map(|(text, cell)| {
                let code = install_block(&store, &mut c, &cells.iter().collect::<Vec<_>>(), text);
                store.link(cell, &code);
                code
            })
            .collect();
        let thread = store.thread();
        // The vCPU's jump cache knows 0x1008 (the dispatcher fills it): the
        // shared exit finds it there and fills the site's inline cache.
        thread.context().jump_cache[crate::abi::jump_cache_slot(0x1008)]
            .store(std::ptr::from_ref(&cells[2]).cast_mut(), Ordering::Relaxed);
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[5] = 0x1008;
        let exit = store.run(&thread, &mut cpu, &cells[0]).expect("compiled code ran");
        // 0x1000, 0x2000, 0x1004, 0x1008, 0x1004, 0x1008, then 0x100c (no code).
        assert_eq!((exit, cpu.pc, cpu.regs[6], cpu.instret), (NativeExit::Continue, 0x100c, 2, 6));
        let ctx = thread.context();
        let count = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(
            (count(&ctx.indirect_jumps), count(&ctx.returns), count(&ctx.ras_misses), count(&ctx.ic_misses)),
            (3, 1, 0, 1),
            "every indirect jump and return counted once; the first jump through x5 missed its cache"
        );
        assert_eq!(ctx.ras_top.load(Ordering::Relaxed), 0, "the return popped its address");
        for (cell, code) in cells.iter().zip(codes) {
            store.unlink(cell);
            store.retire(code);
        }
    }

    /// Cells by pc, for blocks that chain to each other.
    struct ByPc<'a>(Vec<&'a Cell>, &'a AtomicU32);

    impl Linker for ByPc<'_> {
        fn cell(&mut self, pc: u64) -> *const Cell {
            *self.0.iter().find(|c| c.pc == pc).expect("a cell for the pc")
        }

        fn counter(&mut self, _: u64) -> *const AtomicU32 {
            self.1
        }
    }

    /// Compiles `text` (one block, no run counter) with the baseline
    /// compiler, its exits through `cells` (by pc), and installs it.
    fn install_block(store: &CodeStore, c: &mut crate::Compiler, cells: &[&Cell], text: &str) -> crate::NativeCode {
        let block = parse_blocks(text).expect("parses").remove(0);
        let flavor = Flavor { optimize: false, hot_at: None, checked: false };
        let counter = AtomicU32::new(0);
        let mut f = store.compile_baseline(c, &block, flavor, &mut ByPc(cells.to_vec(), &counter)).expect("compiles");
        store.install(&mut f).expect("installs")
    }

    /// The rel32 of the patchable jump whose field is at `at` (in the
    /// code view), as the address it leads to.
    fn aimed_at(at: usize) -> usize {
        // SAFETY: `at` is a listed exit's field in live code (readable).
        let rel = unsafe { std::ptr::read_unaligned(at as *const i32) };
        (at as i64 + 4 + i64::from(rel)) as usize
    }

    /// A chained exit goes straight to the inner entry of the baseline
    /// code its cell leads to (its jump patched, QEMU's block chaining),
    /// back through the cell once the cell leads elsewhere; exits are
    /// listed per cell and leave the list when their code is retired.
    #[test]
    fn chained_exits_are_patched_while_their_target_is_baseline_code() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let store = CodeStore::new(&mem, JitOptions::default()).expect("store");
        let (a1, a2, b) = (store.new_cell(0x1000), store.new_cell(0x1100), store.new_cell(0x2000));
        let mut c = store.compiler();
        let mut compile = |text: &str| install_block(&store, &mut c, &[&a1, &a2, &b], text);
        let jump = |pc: u64| format!("block {pc:#x}..{:#x} {{\n mark {pc:#x} 4\n jump 0x2000\n }}", pc + 4);
        let code_a1 = compile(&jump(0x1000));
        let code_a2 = compile(&jump(0x1100));
        store.link(&a1, &code_a1);
        store.link(&a2, &code_a2);
        // Both exits listed under b's cell (the later first), through the
        // cell while b has no code.
        let site2 = b.sites.load(Ordering::Relaxed);
        assert_ne!(site2, 0);
        let site1 = crate::CodeStore::next_site(site2);
        assert_ne!(site1, 0);
        assert_eq!(crate::CodeStore::next_site(site1), 0);
        for site in [site1, site2] {
            assert_eq!(aimed_at(site), site + 4, "unpatched: the next instruction");
        }
        let code_b = compile(
            "block 0x2000..0x2004 {
                mark 0x2000 4
                t0 = const 0x2a
                set x10, t0
                ecall 0x2000
            }",
        );
        store.link(&b, &code_b);
        let inner = b.inner.load(Ordering::Relaxed);
        assert_ne!(inner, store.unlinked().inner, "baseline code has an inner entry");
        for site in [site1, site2] {
            assert_eq!(aimed_at(site), inner, "patched to b's inner entry");
        }
        let thread = store.thread();
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        let exit = store.run(&thread, &mut cpu, &a1).expect("compiled code ran");
        assert_eq!((exit, cpu.pc, cpu.regs[10], cpu.instret), (NativeExit::Ecall, 0x2000, 0x2a, 2));
        // Unlinked: back through the cell, to the dispatcher.
        store.unlink(&b);
        for site in [site1, site2] {
            assert_eq!(aimed_at(site), site + 4);
        }
        let mut cpu = Cpu { pc: 0x1100, ..Cpu::default() };
        let exit = store.run(&thread, &mut cpu, &a2).expect("compiled code ran");
        assert_eq!((exit, cpu.pc, cpu.regs[10], cpu.instret), (NativeExit::Continue, 0x2000, 0, 1));
        // a1's code retired (the exit at the list's tail): a2's alone is
        // listed and patched again.
        store.unlink(&a1);
        store.retire(code_a1);
        assert_eq!((b.sites.load(Ordering::Relaxed), crate::CodeStore::next_site(site2)), (site2, 0));
        store.link(&b, &code_b);
        assert_eq!(aimed_at(site2), inner);
        // a2's too (the head): the list is empty.
        store.unlink(&a2);
        store.retire(code_a2);
        assert_eq!(b.sites.load(Ordering::Relaxed), 0);
        store.unlink(&b);
        store.retire(code_b);
    }

    /// Before a fork the store stops patching (its writable alias goes):
    /// every chained exit is aimed back through its cell first, and a link
    /// after it patches nothing.
    #[test]
    fn chained_exits_are_unpatched_for_a_fork() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let store = CodeStore::new(&mem, JitOptions::default()).expect("store");
        let (a, b) = (store.new_cell(0x1000), store.new_cell(0x2000));
        let mut c = store.compiler();
        let code_a =
            install_block(&store, &mut c, &[&a, &b], "block 0x1000..0x1004 {\n mark 0x1000 4\n jump 0x2000\n }");
        let code_b =
            install_block(&store, &mut c, &[&a, &b], "block 0x2000..0x2004 {\n mark 0x2000 4\n ecall 0x2000\n }");
        store.link(&a, &code_a);
        store.link(&b, &code_b);
        let site = b.sites.load(Ordering::Relaxed);
        assert_eq!(aimed_at(site), b.inner.load(Ordering::Relaxed), "patched");
        drop(store.lock_for_fork().expect("ready for a fork"));
        assert_eq!(aimed_at(site), site + 4, "back through the cell");
        store.unlink(&b);
        store.link(&b, &code_b);
        assert_eq!(aimed_at(site), site + 4, "not patched again");
        let thread = store.thread();
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        let exit = store.run(&thread, &mut cpu, &a).expect("compiled code ran");
        assert_eq!((exit, cpu.pc, cpu.instret), (NativeExit::Ecall, 0x2000, 2), "chained through the cell");
    }

    #[test]
    fn floating_point_is_left_to_cranelift() {
        let mem = Arc::new(AddressSpace::new().expect("address space"));
        let mut cpu = Cpu::default();
        let text = "block 0x1000..0x1004 {
            mark 0x1000 4
            t0 = get f1
            t1 = fadd.d.rne t0, t0
            set f2, t1
            ecall 0x1004
        }";
        assert!(matches!(run(text, &mut cpu, &mem, None), Err(Error::Unsupported(_))));
    }
}
