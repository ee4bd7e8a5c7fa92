//! FP ops on the host FPU, bit-exact to `ferrovm_ir::fp` (SoftFloat), results
//! and `fflags` alike (see [`crate::host_fp`] for how the host's sticky flags
//! become `fflags`).
//!
//! Each op runs as the host instruction when its rounding mode is the one
//! the host runs in (`dyn`: the host's rounding control follows `frm`, and
//! the block's `checkfrm` leaves compiled code when `frm` is `rmm`, which
//! x86 cannot round in, see [`Tr::check_frm`]; a static mode equal to
//! `frm`'s, or static `rne` with `frm` `rmm`) and its operands are ones the
//! host handles the RISC-V way; otherwise it calls the SoftFloat helper, on
//! a cold path. What is fixed up
//! inline and what goes to SoftFloat:
//!
//! * `fadd`/`fsub`/`fmul`/`fdiv`/`fsqrt`, `fcvt.s.d`, `fcvt.d.s`: the host
//!   raises the RISC-V flags (invalid for signalling NaNs and invalid
//!   operations, never for quiet NaNs). A NaN result (rare) goes to
//!   SoftFloat, which gives the canonical NaN (spec §20.3) and raises the
//!   same flags again.
//! * `fmadd` family (only where the host has FMA): the same; there
//!   SoftFloat also raises invalid for ∞ × 0 + qNaN (spec §20.6), which
//!   x86 need not. The host's own flags for a NaN result are always a
//!   subset of SoftFloat's, so none is wrong.
//! * `feq`: the host compare is quiet, as `feq` is. `flt`/`fle` signal on
//!   quiet NaNs too (spec §20.8): unordered operands go to SoftFloat.
//! * `fmin`/`fmax`: NaN operands go to SoftFloat; otherwise the result is
//!   picked with compares, and equal operands (±0) are combined bitwise so
//!   -0 < +0 (spec §20.6).
//! * Sign injection: integer ops, no flags.
//! * float → integer: only when the operand's exponent proves the rounded
//!   value in range (so no NaN, infinity or saturation: those go to
//!   SoftFloat, spec §20.7 Table 20.4); `rtz` truncates, `rne`, `rdn`
//!   and `rup` round first with SSE4.1 `roundsd` in that mode (which raises
//!   inexact) and then convert exactly; `dyn` rounds in the host's mode
//!   (`frm`'s) by adding and subtracting 2^52 (2^23) with the operand's
//!   sign, then converts exactly. A static `rmm` has no host equivalent:
//!   SoftFloat.
//! * integer → float: the host conversion. Cranelift's optimizer folds a
//!   conversion of a constant at compile time, where no flag is raised, so
//!   optimized code also checks exactness with integer ops and accrues
//!   inexact itself (cold).
//! * `fclass`: SoftFloat (no flags; rare).
//!
//! * Half precision (Zfh) and the Zfa operations (`fminm`/`fmaxm`,
//!   `fleq`/`fltq`, `fround`/`froundnx`, `fcvtmod.w.d`): SoftFloat only, in
//!   this first cut (the host has no binary16 arithmetic before AVX-512
//!   FP16; the Zfa ones are rare).
//!
//! No host FP instruction runs for an operand the host would flag
//! differently: every check before one is integer code, or a quiet compare
//! whose only flag (invalid on a signalling NaN) the op raises anyway.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F64, I32, I64};
use cranelift_codegen::ir::{Block as ClBlock, BlockArg, InstBuilder, MemFlagsData, Value};
use cranelift_codegen::isa::TargetIsa;
use ferrovm_ir::{CvtOp, FBinOp, FTernOp, FUnOp, Op, Prec, Rm};

use super::{Tr, flags};
use crate::FpLowering;
use crate::abi::offsets as off;
use crate::helpers::{HELPERS, fp_code};
use crate::store::Linker;

/// What the host FPU offers the lowering (`None` in [`super::Env`]: every
/// FP op calls SoftFloat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HostFp {
    /// Fused multiply-add (x86 FMA3).
    pub(crate) fma: bool,
    /// `roundsd`/`roundss` (SSE4.1): float → integer in modes other than
    /// round toward zero.
    pub(crate) round: bool,
    /// Cranelift's optimizer runs: it folds conversions of constants, and
    /// it moves pure instructions (see [`Tr::pin`]).
    pub(crate) optimized: bool,
    /// The MXCSR stubs ([`crate::host_fp::stubs`]): store it in
    /// `ctx.fp_mxcsr`, load guest mode (clearing the flags).
    pub(crate) read_mxcsr: usize,
    pub(crate) clear_mxcsr: usize,
    /// The preserving thunks ([`crate::host_fp::preserving_thunk`]) of the
    /// SoftFloat helpers, by [`SoftKind`]; 0 until installed.
    pub(crate) thunks: [usize; 4],
}

/// The SoftFloat helpers host FP reaches through a preserving thunk, in
/// the order of [`HostFp::thunks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SoftKind {
    Unary,
    Binary,
    Ternary,
    Convert,
}

impl SoftKind {
    pub(crate) const ALL: [SoftKind; 4] = [SoftKind::Unary, SoftKind::Binary, SoftKind::Ternary, SoftKind::Convert];

    /// The name of its preserving thunk in a profile.
    pub(crate) fn thunk_name(self) -> &'static str {
        match self {
            SoftKind::Unary => "soft_unary",
            SoftKind::Binary => "soft_binary",
            SoftKind::Ternary => "soft_ternary",
            SoftKind::Convert => "soft_convert",
        }
    }

    /// The helper's address.
    pub(crate) fn helper(self) -> usize {
        match self {
            SoftKind::Unary => HELPERS.fp_unary,
            SoftKind::Binary => HELPERS.fp_binary,
            SoftKind::Ternary => HELPERS.fp_ternary,
            SoftKind::Convert => HELPERS.fp_convert,
        }
    }
}

/// Values host FP code computes once per guest block, on the block's main
/// line (never inside one op's host or SoftFloat path), so they dominate
/// the rest of the block.
/// How many pure instructions back [`Tr::tied`] looks for a tie.
const TIE_DEPTH: u32 = 6;

#[derive(Clone, Copy, Default)]
pub(super) struct BlockValues {
    /// The zero [`Tr::pin`] ORs in (only with the optimizer).
    zero: Option<Value>,
    /// `frm`, loaded once (until a CSR write).
    frm: Option<Value>,
    /// Per rounding mode (by [`Rm`]'s 3-bit code), "the host does not run
    /// in this mode now" (see [`Tr::host_rm`]), computed once from `frm`.
    not_host: [Option<Value>; 8],
    /// The block's `checkfrm` left unless the host rounds in `frm`'s mode
    /// (see [`Tr::check_frm`]): `dyn` ops need no test (until `frm` is
    /// written).
    dyn_host: bool,
    /// The zero as an `F64` and an `F32`, for [`Tr::pin_f`].
    zero_d: Option<Value>,
    zero_s: Option<Value>,
    /// The Cranelift block the guest block starts in and the number of
    /// blocks made before it: blocks made since are its own (see
    /// [`Tr::tied`]).
    start: Option<(ClBlock, usize)>,
    /// The float results of the block's last host FP ops (a ring).
    results: [Option<Value>; RESULTS],
    next_result: usize,
}

/// How many FP results of a guest block [`BlockValues`] remembers.
const RESULTS: usize = 16;

impl BlockValues {
    /// The values of a guest block that starts in Cranelift block `at`,
    /// `made` blocks made so far.
    pub(super) fn starting(at: Option<ClBlock>, made: usize) -> Self {
        BlockValues { start: at.map(|b| (b, made)), ..BlockValues::default() }
    }

    fn note_result(&mut self, f: Value) {
        self.results[self.next_result % RESULTS] = Some(f);
        self.next_result += 1;
    }

    fn is_result(&self, v: Value) -> bool {
        self.results.contains(&Some(v))
    }
}

impl HostFp {
    /// The host lowering `lowering` asks for, with the features `isa` (the
    /// host's, detected once by `cranelift_native`) has.
    pub(crate) fn new(lowering: FpLowering, isa: &dyn TargetIsa) -> Option<HostFp> {
        if lowering == FpLowering::Soft || !crate::host_fp::SUPPORTED {
            return None;
        }
        let has = |name: &str| isa.isa_flags().iter().any(|f| f.name == name && f.as_bool() == Some(true));
        Some(HostFp {
            fma: has("has_fma"),
            round: has("has_sse41"),
            optimized: false,
            read_mxcsr: 0,
            clear_mxcsr: 0,
            thunks: [0; 4],
        })
    }
}

/// Which SoftFloat helper an op falls back to.
#[derive(Clone, Copy)]
enum Soft {
    Unary(FUnOp, Prec, Rm, Value),
    Binary(FBinOp, Prec, Rm, Value, Value),
    Ternary(FTernOp, Prec, Rm, Value, Value, Value),
    Convert(CvtOp, Rm, Value),
}

/// A host fast path with a cold SoftFloat fallback (created on demand).
struct Split {
    soft: Option<ClBlock>,
    op: Soft,
}

const SIGN_S: i64 = 1 << 31;
const SIGN_D: i64 = i64::MIN;

fn float_ty(prec: Prec) -> cranelift_codegen::ir::Type {
    match prec {
        Prec::S | Prec::H => F32,
        Prec::D => F64,
    }
}

/// Whether the op always goes to SoftFloat (see the module docs).
fn soft_only(prec: Prec) -> bool {
    prec == Prec::H
}

fn soft_only_cvt(op: CvtOp) -> bool {
    use CvtOp::*;
    matches!(op, WH | WuH | LH | LuH | HW | HWu | HL | HLu | SH | HS | DH | HD | WDMod)
}

impl<L: Linker + ?Sized> Tr<'_, '_, L> {
    /// The SoftFloat helper call for `op`: through the helper's preserving
    /// thunk with host FP (it clobbers nothing, so no value of the op's
    /// surroundings is spilled for a call that is almost never made), a
    /// plain System V call otherwise.
    fn soft(&mut self, op: Soft) -> Value {
        let code = |i: usize, prec, rm| u64::from(fp_code(i, prec, rm));
        let (kind, c, args) = match op {
            Soft::Unary(o, p, rm, x) => (SoftKind::Unary, code(o as usize, p, rm), [Some(x), None, None]),
            Soft::Binary(o, p, rm, x, y) => (SoftKind::Binary, code(o as usize, p, rm), [Some(x), Some(y), None]),
            Soft::Ternary(o, p, rm, x, y, z) => {
                (SoftKind::Ternary, code(o as usize, p, rm), [Some(x), Some(y), Some(z)])
            }
            Soft::Convert(o, rm, x) => (SoftKind::Convert, code(o as usize, Prec::S, rm), [Some(x), None, None]),
        };
        let c = self.iconst(c);
        let mut all = vec![self.cpu, c];
        all.extend(args.into_iter().flatten());
        let n = all.len();
        let thunk = self.env.fp.map_or(0, |f| f.thunks[kind as usize]);
        if thunk != 0 {
            // Unused argument registers carry anything; ctx goes in the sixth.
            let mut six = all.clone();
            six.resize(5, c);
            six.push(self.ctx);
            self.call(self.sigs.thunk, thunk, &six);
            return self.ctx_value();
        }
        let sig = [self.sigs.h3, self.sigs.h4, self.sigs.h5][n - 3];
        self.call(sig, kind.helper(), &all).unwrap_or(c)
    }

    /// Starts a host path for `op`; `bad` (an `i8` truth value), when
    /// given, sends the op to SoftFloat instead.
    fn split(&mut self, op: Soft, bad: Option<Value>) -> Split {
        self.zero();
        let mut s = Split { soft: None, op };
        if let Some(bad) = bad {
            self.bail(&mut s, bad);
        }
        s
    }

    /// On the host path: leaves it for SoftFloat when `bad`.
    fn bail(&mut self, s: &mut Split, bad: Value) {
        let soft = *s.soft.get_or_insert_with(|| {
            let blk = self.b.create_block();
            self.b.set_cold_block(blk);
            blk
        });
        let next = self.b.create_block();
        self.b.ins().brif(bad, soft, &[], next, &[]);
        self.b.switch_to_block(next);
    }

    /// Ends the host path with its result `host`; the op's value.
    fn join(&mut self, s: Split, host: Value) -> Value {
        let Some(soft) = s.soft else { return host };
        let join = self.b.create_block();
        let v = self.b.append_block_param(join, I64);
        self.b.ins().jump(join, &[BlockArg::Value(host)]);
        self.b.switch_to_block(soft);
        let r = self.soft(s.op);
        self.b.ins().jump(join, &[BlockArg::Value(r)]);
        self.b.switch_to_block(join);
        v
    }

    /// Ends the host path with its float result `host` (of `prec`); the
    /// op's value, as bits. The float reaches the code after the op as
    /// itself (a block parameter of the float type: the SoftFloat path's
    /// bits become a float there), and is remembered as the float of the
    /// result (see [`super::fregs`]), so the next op reading it needs no
    /// move between register files.
    fn join_float(&mut self, s: Split, prec: Prec, host: Value) -> Value {
        let f = match s.soft {
            None => host,
            Some(soft) => {
                let join = self.b.create_block();
                let f = self.b.append_block_param(join, float_ty(prec));
                self.b.ins().jump(join, &[BlockArg::Value(host)]);
                self.b.switch_to_block(soft);
                // SoftFloat's single results are zero-extended: exactly
                // what `bits_of` gives back after the round trip.
                let r = self.soft(s.op);
                let r = self.float_raw(prec, r);
                self.b.ins().jump(join, &[BlockArg::Value(r)]);
                self.b.switch_to_block(join);
                f
            }
        };
        let bits = self.bits_of(prec, f);
        self.remember(prec, bits, f);
        self.fp_block.note_result(f);
        bits
    }

    /// The op's value (as [`Tr::join_float`]): the host's result `r` (a
    /// float), or SoftFloat's when `r` is a NaN: RISC-V's is canonical
    /// (spec §20.3), and SoftFloat raises
    /// every flag the host did for it (invalid, for a signalling NaN
    /// operand or an invalid operation) and, for `fmadd` of ∞ × 0 and a
    /// quiet NaN, the invalid flag the host may not. The test (a quiet
    /// compare; `r` is never a signalling NaN) decides a branch, which
    /// also keeps the instruction that computed `r`, used or not.
    fn finish(&mut self, mut s: Split, prec: Prec, r: Value) -> Value {
        let nan = self.b.ins().fcmp(FloatCC::Unordered, r, r);
        self.bail(&mut s, nan);
        self.join_float(s, prec, r)
    }

    /// Whether the host may round as `rm` says: `Some(None)` always,
    /// `Some(Some(bad))` unless `bad` (an `i8` truth value computed from
    /// `frm`), `None` never (`rmm`). The host runs in `frm`'s mode when
    /// that is `rne`, `rtz`, `rdn` or `rup`, and in `rne` otherwise (see
    /// [`crate::host_fp`]): `dyn` is bad when `frm` > 3 (`rmm` or
    /// reserved: SoftFloat, which raises nothing or knows better) unless
    /// the block's `checkfrm` already left for those ([`Tr::check_frm`]),
    /// a static `rne` when `frm` is 1..=3, any other static mode unless
    /// `frm` is that mode.
    pub(super) fn host_rm(&mut self, rm: Rm) -> Option<Option<Value>> {
        if rm == Rm::Rmm {
            return None;
        }
        if rm == Rm::Dyn && self.fp_block.dyn_host {
            return Some(None);
        }
        let code = usize::from(rm.bits());
        if let Some(bad) = self.fp_block.not_host[code] {
            return Some(Some(bad));
        }
        let frm = match self.fp_block.frm.or(self.region_frm) {
            Some(frm) => frm,
            None => {
                let frm = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FRM);
                *self.fp_block.frm.insert(frm)
            }
        };
        let bad = match rm {
            Rm::Dyn => self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, frm, 3),
            Rm::Rne => {
                let less = self.b.ins().iadd_imm_s(frm, -1);
                self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, less, 3)
            }
            _ => self.b.ins().icmp_imm_s(IntCC::NotEqual, frm, code as i64),
        };
        self.fp_block.not_host[code] = Some(bad);
        Some(Some(bad))
    }

    /// `CheckFrm` (before the first `dyn` op of a guest block, and again
    /// after a write of `frm`): a reserved `frm` (5..=7) is an illegal
    /// instruction (spec §20.2). With host FP, `rmm` (4), the one valid
    /// mode the host cannot round in, leaves for the interpreter before
    /// this instruction ([`exit::SLOW`](crate::abi::exit::SLOW): the
    /// engine runs it through SoftFloat), so the block's `dyn` ops run on
    /// the host with no test of their own.
    pub(super) fn check_frm(&mut self) {
        if let Some(frm) = self.region_frm {
            // Checked on entry; nothing in the region writes it.
            self.fp_block.frm = Some(frm);
            self.fp_block.dyn_host = true;
            return;
        }
        let frm = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FRM);
        let reserved = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, frm, 4);
        let illegal = self.side_exit(crate::abi::exit::ILLEGAL);
        self.branch_to(reserved, illegal);
        if self.env.fp.is_some() {
            let rmm = self.b.ins().icmp_imm_s(IntCC::Equal, frm, 4);
            let slow = self.side_exit(crate::abi::exit::SLOW);
            self.branch_to(rmm, slow);
            self.fp_block.frm = Some(frm);
            self.fp_block.dyn_host = true;
        }
    }

    /// With host FP, for a region of several blocks (or a loop) with a
    /// `CheckFrm` and no write of `frm` or `fcsr`: one check of `frm` on
    /// entry instead of one in every guest block (a load, two compares and
    /// two branches per block run: fp32 4% faster, 1.07 -> 1.02 s).
    /// `frm` cannot change inside the region: only a CSR write changes it
    /// (a system call, a signal, another helper that could leaves the
    /// region first), and it is per thread. Unless the host rounds in its
    /// mode (`frm` 0..=3), the entry leaves with
    /// [`exit::SLOW`](crate::abi::exit::SLOW) before anything ran: the
    /// engine interprets one instruction (which raises the illegal
    /// instruction of a reserved `frm` exactly where a `dyn` op is, or
    /// rounds `rmm` in SoftFloat), then enters again.
    pub(super) fn check_frm_on_entry(&mut self, blocks: &[ferrovm_ir::Block]) {
        use ferrovm_ir::csr::{FCSR, FRM};
        let ops = || blocks.iter().flat_map(|bl| &bl.ops);
        if self.env.fp.is_none()
            || !ops().any(|op| matches!(op, Op::CheckFrm))
            || ops().any(|op| matches!(op, Op::CsrWrite { csr: FRM | FCSR, .. }))
        {
            return;
        }
        let frm = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FRM);
        let bad = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, frm, 3);
        let (leave, go) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(leave);
        self.b.ins().brif(bad, leave, &[], go, &[]);
        self.b.switch_to_block(leave);
        let entry = self.b.func.layout.entry_block().expect("the entry block");
        let pc = self.b.block_params(entry)[2];
        self.set_pc(pc);
        self.ret(crate::abi::exit::SLOW);
        self.b.switch_to_block(go);
        self.region_frm = Some(frm);
    }

    fn bits_of(&mut self, prec: Prec, f: Value) -> Value {
        match prec {
            Prec::S | Prec::H => {
                let lo = self.b.ins().bitcast(I32, MemFlagsData::new(), f);
                self.b.ins().uextend(I64, lo)
            }
            Prec::D => self.b.ins().bitcast(I64, MemFlagsData::new(), f),
        }
    }

    /// Whether the bits `x` (a single zero-extended, or a double) are a NaN.
    fn is_nan(&mut self, prec: Prec, x: Value) -> Value {
        // Shifting the sign out leaves exponent and fraction on top: NaN iff
        // above the infinity's pattern.
        let (shift, inf) = match prec {
            Prec::S => (33, 0xff00_0000_0000_0000u64),
            Prec::D => (1, 0xffe0_0000_0000_0000u64),
            Prec::H => (49, 0xf800_0000_0000_0000u64),
        };
        let t = self.b.ins().ishl_imm_s(x, shift);
        self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, t, inf as i64)
    }

    /// Whether `v` can only be computed inside the current guest block, and
    /// is no constant to Cranelift's optimizer: the float result of one of
    /// its host FP ops (see [`Tr::join_float`]), the result of an
    /// instruction Cranelift does not move (a load, a call) in one of its
    /// Cranelift blocks, or that of a bitcast or a width change of such a
    /// value (up to `depth` instructions back). Not any block parameter:
    /// one the SSA builder made for a variable in a block not yet sealed
    /// (a loop's head) may turn out to be the value from before the loop.
    /// A float with such an operand stays in the guest block without
    /// [`Tr::pin_f`]: in a chain of FP ops only the first needs the OR (an
    /// `orps` on the chain's critical path each: Mandelbrot's loop is a
    /// chain). (A load may still become a constant stored before it, which
    /// Cranelift forwards: harmless for a float, which no rule folds from
    /// an integer's bits, and why a conversion's integer operand is always
    /// pinned.)
    fn tied(&self, v: Value, depth: u32) -> bool {
        use cranelift_codegen::entity::EntityRef;
        use cranelift_codegen::ir::ValueDef;
        let Some((entry, made)) = self.fp_block.start else { return false };
        if self.fp_block.is_result(v) {
            return true;
        }
        let own = |b: ClBlock| b == entry || b.index() >= made;
        let dfg = &self.b.func.dfg;
        match dfg.value_def(v) {
            ValueDef::Param(..) => false,
            ValueDef::Result(inst, _) => {
                let op = dfg.insts[inst].opcode();
                if op.can_load() || op.is_call() || op.other_side_effects() || dfg.inst_results(inst).len() != 1 {
                    return self.b.func.layout.inst_block(inst).is_some_and(own);
                }
                // Only through ops whose result is a constant only if their
                // operand is: the optimizer folds others to constants with
                // no constant in (`xor x, x`, `select` on a known test,
                // RISC-V's division by zero), and a host FP op on a folded
                // constant is folded too, rounded to nearest and raising
                // no flag.
                use cranelift_codegen::ir::Opcode;
                depth > 0
                    && matches!(op, Opcode::Bitcast | Opcode::Uextend | Opcode::Sextend | Opcode::Ireduce)
                    && self.tied(dfg.inst_args(inst)[0], depth - 1)
            }
            ValueDef::Union(..) => false,
        }
    }

    /// `x`, tied to the current guest block for Cranelift's optimizer and
    /// opaque to it: a host FP instruction is pure to Cranelift, which may
    /// hoist one out of a loop (raising its flags where the guest never
    /// ran it) or fold it if its operand is a constant (rounding to nearest
    /// and raising nothing); ORing in a zero loaded in this block prevents
    /// both, even where `x` is tied to the block already ([`Tr::tied`]:
    /// an integer the optimizer finds constant can still be). Nothing
    /// without the optimizer.
    fn pin(&mut self, x: Value) -> Value {
        match self.zero() {
            Some(z) => self.b.ins().bor(x, z),
            None => x,
        }
    }

    /// The float `f` of `prec`, tied to the current guest block like
    /// [`Tr::pin`] (a bitwise OR with a float zero loaded in this block:
    /// `orps`/`orpd`, exact for every bit pattern). The zero is loaded on
    /// the main line by [`Tr::fzero`], which the op calls before it splits.
    fn pin_f(&mut self, prec: Prec, f: Value) -> Value {
        if self.tied(f, TIE_DEPTH) {
            return f;
        }
        let z = match prec {
            Prec::D => self.fp_block.zero_d,
            Prec::S | Prec::H => self.fp_block.zero_s,
        };
        match z {
            Some(z) => self.b.ins().bor(f, z),
            None => f,
        }
    }

    /// Loads the float zero [`Tr::pin_f`] uses for `prec`, on the main
    /// line (once per guest block). Nothing without the optimizer.
    fn fzero(&mut self, prec: Prec) {
        if !self.env.fp.is_some_and(|f| f.optimized) {
            return;
        }
        let (slot, ty) = match prec {
            Prec::D => (&mut self.fp_block.zero_d, F64),
            Prec::S | Prec::H => (&mut self.fp_block.zero_s, F32),
        };
        if slot.is_none() {
            *slot = Some(self.b.ins().load(ty, flags(), self.ctx, off::CTX_FP_ZERO));
        }
    }

    /// The zero [`Tr::pin`] ORs in, loaded at its first use in the guest
    /// block, which is always on the block's main line (never inside one
    /// op's host or SoftFloat path: [`Tr::split`] loads it before it
    /// branches), so it dominates the rest of the block. `None` when
    /// Cranelift's optimizer is off (nothing moves then).
    fn zero(&mut self) -> Option<Value> {
        if !self.env.fp.is_some_and(|f| f.optimized) {
            return None;
        }
        if self.fp_block.zero.is_none() {
            self.fp_block.zero = Some(self.b.ins().load(I64, flags(), self.ctx, off::CTX_FP_ZERO));
        }
        self.fp_block.zero
    }

    /// Keeps the host FP instruction that computed `v` even if the guest
    /// never uses its value (Cranelift drops unused pure instructions; the
    /// guest's flags would go with it).
    fn anchor(&mut self, v: Value) {
        self.b.ins().store(flags(), v, self.ctx, off::CTX_FP_SINK);
    }

    /// ORs `bits` into `cpu.fflags` (for flags the host cannot raise).
    fn accrue_if(&mut self, cond: Value, bits: u8) {
        let raise = self.b.create_block();
        let next = self.b.create_block();
        self.b.set_cold_block(raise);
        self.b.ins().brif(cond, raise, &[], next, &[]);
        self.b.switch_to_block(raise);
        let f = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FFLAGS);
        let f = self.b.ins().bor_imm_s(f, i64::from(bits));
        self.b.ins().store(flags(), f, self.cpu, off::CPU_FFLAGS);
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
    }

    /// `CsrRead` of `fflags`, `frm` or `fcsr` with host FP, inline: the
    /// host's pending flags are added to `cpu.fflags`. `None` for other
    /// CSRs.
    pub(super) fn csr_read_host_fp(&mut self, csr: u16) -> Option<Value> {
        let host = self.env.fp?;
        if !matches!(csr, ferrovm_ir::csr::FFLAGS | ferrovm_ir::csr::FRM | ferrovm_ir::csr::FCSR) {
            return None;
        }
        let frm = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FRM);
        let frm = self.b.ins().band_imm_s(frm, 7);
        if csr == ferrovm_ir::csr::FRM {
            return Some(frm);
        }
        let pending = self.pending_flags(host);
        let fl = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FFLAGS);
        let fl = self.b.ins().band_imm_s(fl, 0x1f);
        let fl = self.b.ins().bor(fl, pending);
        Some(if csr == ferrovm_ir::csr::FCSR {
            let r = self.b.ins().ishl_imm_s(frm, 5);
            self.b.ins().bor(r, fl)
        } else {
            fl
        })
    }

    /// The `fflags` bits of the host's pending flags: MXCSR through the
    /// read stub, its flag bits mapped by a table.
    fn pending_flags(&mut self, host: HostFp) -> Value {
        let f = self.iconst(host.read_mxcsr as u64);
        self.b.ins().call_indirect(self.sigs.stub, f, &[self.ctx]);
        let m = self.b.ins().uload32(flags(), self.ctx, off::CTX_FP_MXCSR);
        let m = self.b.ins().band_imm_s(m, 63);
        let table = self.iconst(crate::host_fp::FFLAGS_OF.as_ptr() as u64);
        let at = self.b.ins().iadd(table, m);
        self.b.ins().uload8(I64, flags(), at, 0)
    }

    /// `CsrWrite` of `fflags`, `frm` or `fcsr` with host FP, inline: the
    /// host is left in the guest's (new) mode with no flags pending,
    /// through the clear stub. A write of `fflags` drops the pending
    /// flags; one of `frm` alone first folds them into `cpu.fflags`, and
    /// sets the mode the stub loads from `frm`. False for other CSRs.
    pub(super) fn csr_write_host_fp(&mut self, csr: u16, v: Value) -> bool {
        use ferrovm_ir::csr::{FCSR, FFLAGS, FRM};
        let Some(host) = self.env.fp else { return false };
        if !matches!(csr, FFLAGS | FRM | FCSR) {
            return false;
        }
        if csr == FRM {
            let pending = self.pending_flags(host);
            let fl = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FFLAGS);
            let fl = self.b.ins().bor(fl, pending);
            self.b.ins().store(flags(), fl, self.cpu, off::CPU_FFLAGS);
        } else {
            let fl = self.b.ins().band_imm_s(v, 0x1f);
            self.b.ins().store(flags(), fl, self.cpu, off::CPU_FFLAGS);
        }
        if matches!(csr, FRM | FCSR) {
            let frm = if csr == FCSR { self.b.ins().ushr_imm_s(v, 5) } else { v };
            let frm = self.b.ins().band_imm_s(frm, 7);
            self.b.ins().store(flags(), frm, self.cpu, off::CPU_FRM);
            let table = self.iconst(crate::host_fp::MXCSR_OF_FRM.as_ptr() as u64);
            let offset = self.b.ins().ishl_imm_s(frm, 2);
            let at = self.b.ins().iadd(table, offset);
            let mode = self.b.ins().uload32(flags(), at, 0);
            self.b.ins().istore32(flags(), mode, self.ctx, off::CTX_FP_GUEST_MXCSR);
            self.fp_block.frm = None;
            self.fp_block.not_host = [None; 8];
            self.fp_block.dyn_host = false;
        }
        let f = self.iconst(host.clear_mxcsr as u64);
        self.b.ins().call_indirect(self.sigs.stub, f, &[self.ctx]);
        true
    }

    /// `FUnary`.
    pub(super) fn f_unary(&mut self, op: FUnOp, prec: Prec, rm: Rm, x: Value) -> Value {
        let soft = Soft::Unary(op, prec, rm, x);
        if self.env.fp.is_none() || op != FUnOp::Sqrt || soft_only(prec) {
            return self.soft(soft);
        }
        let Some(bad) = self.host_rm(rm) else { return self.soft(soft) };
        let f = self.float_of(prec, x);
        self.fzero(prec);
        let s = self.split(soft, bad);
        let f = self.pin_f(prec, f);
        let r = self.b.ins().sqrt(f);
        self.finish(s, prec, r)
    }

    /// `FBinary`.
    pub(super) fn f_binary(&mut self, op: FBinOp, prec: Prec, rm: Rm, x: Value, y: Value) -> Value {
        let soft = Soft::Binary(op, prec, rm, x, y);
        if self.env.fp.is_none()
            || soft_only(prec)
            || matches!(op, FBinOp::Minm | FBinOp::Maxm | FBinOp::Leq | FBinOp::Ltq)
        {
            return self.soft(soft);
        }
        let sign = match prec {
            Prec::S | Prec::H => SIGN_S,
            Prec::D => SIGN_D,
        };
        let mask = self.mask(prec);
        match op {
            FBinOp::Sgnj | FBinOp::Sgnjn | FBinOp::Sgnjx => {
                let mag = self.b.ins().band_imm_s(x, !sign & mask);
                let from = match op {
                    FBinOp::Sgnj => y,
                    FBinOp::Sgnjn => self.b.ins().bnot(y),
                    _ => x,
                };
                let s = self.b.ins().band_imm_s(from, sign & mask);
                match op {
                    FBinOp::Sgnjx => {
                        let sy = self.b.ins().band_imm_s(y, sign & mask);
                        self.b.ins().bxor(x, sy)
                    }
                    _ => self.b.ins().bor(mag, s),
                }
            }
            FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div => {
                let Some(bad) = self.host_rm(rm) else { return self.soft(soft) };
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
                self.fzero(prec);
                let s = self.split(soft, bad);
                let a = self.pin_f(prec, a);
                let r = match op {
                    FBinOp::Add => self.b.ins().fadd(a, b),
                    FBinOp::Sub => self.b.ins().fsub(a, b),
                    FBinOp::Mul => self.b.ins().fmul(a, b),
                    _ => self.b.ins().fdiv(a, b),
                };
                self.finish(s, prec, r)
            }
            FBinOp::Eq => {
                // Quiet compare: invalid only for signalling NaNs, as feq.
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
                self.fzero(prec);
                let a = self.pin_f(prec, a);
                let r = self.b.ins().fcmp(FloatCC::Equal, a, b);
                let r = self.b.ins().uextend(I64, r);
                self.anchor(r);
                r
            }
            FBinOp::Lt | FBinOp::Le => {
                // The unordered test (quiet: invalid for signalling NaNs,
                // which SoftFloat raises then too) decides a branch, which
                // keeps it; the ordered compare raises nothing.
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
                self.fzero(prec);
                let a = self.pin_f(prec, a);
                let unordered = self.b.ins().fcmp(FloatCC::Unordered, a, b);
                let s = self.split(soft, Some(unordered));
                let cc = if op == FBinOp::Lt { FloatCC::LessThan } else { FloatCC::LessThanOrEqual };
                let r = self.b.ins().fcmp(cc, a, b);
                let r = self.b.ins().uextend(I64, r);
                self.join(s, r)
            }
            FBinOp::Minm | FBinOp::Maxm | FBinOp::Leq | FBinOp::Ltq => self.soft(soft),
            FBinOp::Min | FBinOp::Max => {
                let (na, nb) = (self.is_nan(prec, x), self.is_nan(prec, y));
                let any = self.b.ins().bor(na, nb);
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
                self.fzero(prec);
                let s = self.split(soft, Some(any));
                // Pinned: a compare of a signalling NaN raises invalid, and
                // one hoisted out of a loop, above the NaN test, would raise
                // it on paths that skip this op.
                let a = self.pin_f(prec, a);
                let lt = self.b.ins().fcmp(FloatCC::LessThan, a, b);
                let eq = self.b.ins().fcmp(FloatCC::Equal, a, b);
                // Equal operands are equal bits or ±0: min ORs the signs,
                // max ANDs them.
                let (pick, both) = if op == FBinOp::Min {
                    (self.b.ins().select(lt, x, y), self.b.ins().bor(x, y))
                } else {
                    (self.b.ins().select(lt, y, x), self.b.ins().band(x, y))
                };
                let r = self.b.ins().select(eq, both, pick);
                self.join(s, r)
            }
        }
    }

    fn mask(&self, prec: Prec) -> i64 {
        match prec {
            Prec::S => 0xffff_ffff,
            Prec::D => -1,
            Prec::H => 0xffff,
        }
    }

    /// `FTernary`.
    pub(super) fn f_ternary(&mut self, op: FTernOp, prec: Prec, rm: Rm, x: Value, y: Value, z: Value) -> Value {
        let soft = Soft::Ternary(op, prec, rm, x, y, z);
        if !self.env.fp.is_some_and(|f| f.fma) || soft_only(prec) {
            return self.soft(soft);
        }
        let Some(bad) = self.host_rm(rm) else { return self.soft(soft) };
        let (a, b, c) = (self.float_of(prec, x), self.float_of(prec, y), self.float_of(prec, z));
        self.fzero(prec);
        let s = self.split(soft, bad);
        let a = self.pin_f(prec, a);
        // Negation flips the sign bit only (no flags, sNaN stays sNaN).
        let (a, c) = match op {
            FTernOp::Madd => (a, c),
            FTernOp::Msub => (a, self.b.ins().fneg(c)),
            FTernOp::Nmsub => (self.b.ins().fneg(a), c),
            FTernOp::Nmadd => (self.b.ins().fneg(a), self.b.ins().fneg(c)),
        };
        let r = self.b.ins().fma(a, b, c);
        self.finish(s, prec, r)
    }

    /// `FCvt`.
    pub(super) fn f_convert(&mut self, op: CvtOp, rm: Rm, x: Value) -> Value {
        let soft = Soft::Convert(op, rm, x);
        let Some(host) = self.env.fp else { return self.soft(soft) };
        if soft_only_cvt(op) {
            return self.soft(soft);
        }
        use CvtOp::*;
        match op {
            DS => {
                // Exact in every rounding mode.
                let f = self.float_of(Prec::S, x);
                self.fzero(Prec::S);
                let s = self.split(soft, None);
                let f = self.pin_f(Prec::S, f);
                let r = self.b.ins().fpromote(F64, f);
                self.finish(s, Prec::D, r)
            }
            SD => {
                let Some(bad) = self.host_rm(rm) else { return self.soft(soft) };
                let f = self.float_of(Prec::D, x);
                self.fzero(Prec::D);
                let s = self.split(soft, bad);
                let f = self.pin_f(Prec::D, f);
                let r = self.b.ins().fdemote(F32, f);
                self.finish(s, Prec::S, r)
            }
            DW | DWu => {
                // Exact in every rounding mode, raises nothing.
                let lo = self.b.ins().ireduce(I32, x);
                let r = if op == DW {
                    self.b.ins().fcvt_from_sint(F64, lo)
                } else {
                    let wide = self.b.ins().uextend(I64, lo);
                    self.b.ins().fcvt_from_sint(F64, wide)
                };
                let bits = self.bits_of(Prec::D, r);
                self.remember(Prec::D, bits, r);
                bits
            }
            SW | SWu | SL | SLu | DL | DLu => {
                let Some(bad) = self.host_rm(rm) else { return self.soft(soft) };
                let s = self.split(soft, bad);
                // Opaque even when tied to the block: Cranelift's optimizer
                // folds a conversion of a constant, rounding to nearest
                // whatever `frm` says, and an operand that pure integer ops
                // tie to a load can still fold to one (`divuw x, 0` is all
                // ones: `ferrovm-difftest` found 0xffff_ffff_ffff_ffff
                // converted under `rdn` rounding up).
                let x = self.pin(x);
                let (prec, bits) = if matches!(op, SW | SWu | SL | SLu) { (Prec::S, 24) } else { (Prec::D, 53) };
                let ty = float_ty(prec);
                // The integer operand, as i64 (signed ops) or u64.
                let v = match op {
                    SW => {
                        let lo = self.b.ins().ireduce(I32, x);
                        self.b.ins().sextend(I64, lo)
                    }
                    SWu => {
                        let lo = self.b.ins().ireduce(I32, x);
                        self.b.ins().uextend(I64, lo)
                    }
                    _ => x,
                };
                let r = if matches!(op, SLu | DLu) {
                    self.b.ins().fcvt_from_uint(ty, v)
                } else {
                    self.b.ins().fcvt_from_sint(ty, v)
                };
                if host.optimized {
                    // |v| has more significant bits than the format: inexact.
                    let m = if matches!(op, SLu | DLu) {
                        v
                    } else {
                        let neg = self.b.ins().ineg(v);
                        let is_neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, v, 0);
                        self.b.ins().select(is_neg, neg, v)
                    };
                    let tz = self.b.ins().ctz(m);
                    let top = self.b.ins().ushr(m, tz);
                    let inexact = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, top, 1 << bits);
                    self.accrue_if(inexact, ferrovm_ir::fp::NX);
                }
                let bits = self.bits_of(prec, r);
                self.anchor(bits);
                self.join_float(s, prec, r)
            }
            WS | WuS | LS | LuS | WD | WuD | LD | LuD => self.float_to_int(op, rm, x, host),
            WH | WuH | LH | LuH | HW | HWu | HL | HLu | SH | HS | DH | HD | WDMod => self.soft(soft),
        }
    }

    /// float → integer conversions (see the module docs).
    fn float_to_int(&mut self, op: CvtOp, rm: Rm, x: Value, host: HostFp) -> Value {
        use CvtOp::*;
        let soft = Soft::Convert(op, rm, x);
        let prec = if matches!(op, WS | WuS | LS | LuS) { Prec::S } else { Prec::D };
        let (mant, bias) = match prec {
            Prec::S | Prec::H => (23, 127),
            Prec::D => (52, 1023),
        };
        let unsigned = matches!(op, WuS | LuS | WuD | LuD);
        let wide = matches!(op, LS | LuS | LD | LuD);
        // The rounded magnitude is below 2^k: truncation stays below
        // |x| < 2^k; rounding up may reach 2^(k-1) from below 2^(k-1).
        // Static modes round with their own instruction, whatever the
        // host's mode; `dyn` picks one by `frm` (SoftFloat for `rmm`).
        let (bad, k) = match rm {
            Rm::Rtz => (None, 0),
            Rm::Rne | Rm::Rdn | Rm::Rup if host.round => (None, 1),
            Rm::Dyn if host.round => match self.host_rm(rm) {
                Some(bad) => (bad, 1),
                None => return self.soft(soft),
            },
            _ => return self.soft(soft),
        };
        let limit: i64 = match (wide, unsigned) {
            (false, false) => 31,
            (false, true) => 32,
            (true, _) => 63,
        } - k;
        // Biased exponent (with the sign above it for unsigned targets, so
        // negative operands fail the test too) below bias + limit.
        let e = self.b.ins().ushr_imm_s(x, mant);
        let e = if unsigned {
            e
        } else {
            let m = if prec == Prec::S { 0xff } else { 0x7ff };
            self.b.ins().band_imm_s(e, m)
        };
        let out = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, e, bias + limit);
        let f = self.float_of(prec, x);
        self.fzero(prec);
        let mut s = self.split(soft, bad);
        self.bail(&mut s, out);
        // `fcvt_to_sint` may trap (it never does here: the operand is in
        // range), so Cranelift keeps it in place. The rounding before it
        // is pure to Cranelift: pinned, or a loop-invariant operand's
        // `roundss` would be hoisted out of the loop, above the range test,
        // and raise inexact for an operand SoftFloat converts (out of
        // range: invalid only) or on a path that skips the op.
        let f = match rm {
            Rm::Rtz => f,
            Rm::Rdn => {
                let f = self.pin_f(prec, f);
                self.b.ins().floor(f)
            }
            Rm::Rup => {
                let f = self.pin_f(prec, f);
                self.b.ins().ceil(f)
            }
            Rm::Rne => {
                let f = self.pin_f(prec, f);
                self.b.ins().nearest(f)
            }
            _ => {
                // `dyn` with `frm` 0..=3, which is the host's rounding mode
                // here: x + c - c with c = ±2^mant (x's sign) rounds x to
                // an integer in that mode. |x + c| lies in [2^mant,
                // 2^(mant+1)], where the representable values are the
                // integers, and rounding commutes with adding the integer
                // c (ties to even too: c is even); the subtraction is
                // exact. The add raises inexact exactly when x is not an
                // integer, as the conversion must, and nothing else. An
                // operand of 2^mant or more is an integer already, and
                // must not reach the add (2^23 + 1 + 2^23 is inexact in
                // binary32): zero goes there instead.
                let f = self.pin_f(prec, f);
                // For unsigned targets `e` holds the sign too, but a
                // negative operand left for SoftFloat above.
                let small = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, e, bias + mant);
                let (c, zero) = match prec {
                    Prec::D => (self.b.ins().f64const((1u64 << 52) as f64), self.b.ins().f64const(0.0)),
                    Prec::S | Prec::H => (self.b.ins().f32const((1u32 << 23) as f32), self.b.ins().f32const(0.0)),
                };
                let operand = self.b.ins().select(small, f, zero);
                let c = self.b.ins().fcopysign(c, operand);
                let sum = self.b.ins().fadd(operand, c);
                let r = self.b.ins().fsub(sum, c);
                self.b.ins().select(small, r, f)
            }
        };
        let r = match (wide, unsigned) {
            (false, false) => {
                let i = self.b.ins().fcvt_to_sint(I32, f);
                self.b.ins().sextend(I64, i)
            }
            (false, true) => {
                let i = self.b.ins().fcvt_to_sint(I64, f);
                let lo = self.b.ins().ireduce(I32, i);
                self.b.ins().sextend(I64, lo)
            }
            (true, _) => self.b.ins().fcvt_to_sint(I64, f),
        };
        self.join(s, r)
    }
}
