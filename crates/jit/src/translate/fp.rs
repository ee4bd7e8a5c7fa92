//! FP ops on the host FPU, bit-exact to `ferrovm_ir::fp` (SoftFloat), results
//! and `fflags` alike (see [`crate::host_fp`] for how the host's sticky flags
//! become `fflags`).
//!
//! Each op runs as the host instruction when its rounding mode is round to
//! nearest (static `rne`, or `dyn` with `frm` = 0 at run time: the host runs
//! in that mode) and its operands are ones the host handles the RISC-V way;
//! otherwise it calls the SoftFloat helper, on a cold path. What is fixed up
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
//!   SoftFloat, spec §20.7 Table 20.4); `rtz` truncates, `rne`/`dyn`, `rdn`
//!   and `rup` round first with SSE4.1 `roundsd` (which raises inexact)
//!   and then convert exactly. `rmm` has no host equivalent: SoftFloat.
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
use ferrovm_ir::{CvtOp, FBinOp, FTernOp, FUnOp, Prec, Rm};

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
}

/// Values host FP code computes once per guest block, on the block's main
/// line (never inside one op's host or SoftFloat path), so they dominate
/// the rest of the block.
#[derive(Clone, Copy, Default)]
pub(super) struct BlockValues {
    /// The zero [`Tr::pin`] ORs in (only with the optimizer).
    zero: Option<Value>,
    /// `frm != 0`: dynamic rounding is not the host's (until a CSR write).
    dyn_not_nearest: Option<Value>,
}

impl HostFp {
    /// The host lowering `lowering` asks for, with the features `isa` (the
    /// host's, detected once by `cranelift_native`) has.
    pub(crate) fn new(lowering: FpLowering, isa: &dyn TargetIsa) -> Option<HostFp> {
        if lowering == FpLowering::Soft || !crate::host_fp::SUPPORTED {
            return None;
        }
        let has = |name: &str| isa.isa_flags().iter().any(|f| f.name == name && f.as_bool() == Some(true));
        Some(HostFp { fma: has("has_fma"), round: has("has_sse41"), optimized: false, read_mxcsr: 0, clear_mxcsr: 0 })
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
    /// The SoftFloat helper call for `op`.
    fn soft(&mut self, op: Soft) -> Value {
        let code = |i: usize, prec, rm| u64::from(fp_code(i, prec, rm));
        match op {
            Soft::Unary(o, p, rm, x) => {
                let c = self.iconst(code(o as usize, p, rm));
                self.call(self.sigs.h3, HELPERS.fp_unary, &[self.cpu, c, x]).unwrap_or(x)
            }
            Soft::Binary(o, p, rm, x, y) => {
                let c = self.iconst(code(o as usize, p, rm));
                self.call(self.sigs.h4, HELPERS.fp_binary, &[self.cpu, c, x, y]).unwrap_or(x)
            }
            Soft::Ternary(o, p, rm, x, y, z) => {
                let c = self.iconst(code(o as usize, p, rm));
                self.call(self.sigs.h5, HELPERS.fp_ternary, &[self.cpu, c, x, y, z]).unwrap_or(x)
            }
            Soft::Convert(o, rm, x) => {
                let c = self.iconst(code(o as usize, Prec::S, rm));
                self.call(self.sigs.h3, HELPERS.fp_convert, &[self.cpu, c, x]).unwrap_or(x)
            }
        }
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

    /// Whether the host may round as `rm` says: `Some(None)` always (round
    /// to nearest), `Some(Some(bad))` unless `bad` (dynamic: `frm` is not
    /// 0), `None` never.
    fn nearest_rm(&mut self, rm: Rm) -> Option<Option<Value>> {
        match rm {
            Rm::Rne => Some(None),
            Rm::Dyn => {
                if self.fp_block.dyn_not_nearest.is_none() {
                    let frm = self.b.ins().load(I64, flags(), self.cpu, off::CPU_FRM);
                    self.fp_block.dyn_not_nearest = Some(self.b.ins().icmp_imm_s(IntCC::NotEqual, frm, 0));
                }
                Some(self.fp_block.dyn_not_nearest)
            }
            _ => None,
        }
    }

    fn float_of(&mut self, prec: Prec, x: Value) -> Value {
        match prec {
            // Halves never reach the host path (`soft_only`).
            Prec::S | Prec::H => {
                let lo = self.b.ins().ireduce(I32, x);
                self.b.ins().bitcast(F32, MemFlagsData::new(), lo)
            }
            Prec::D => self.b.ins().bitcast(F64, MemFlagsData::new(), x),
        }
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

    /// The bits of the host's result `r` (a float), or SoftFloat's when `r`
    /// is a NaN: RISC-V's is canonical (spec §20.3), and SoftFloat raises
    /// every flag the host did for it (invalid, for a signalling NaN
    /// operand or an invalid operation) and, for `fmadd` of ∞ × 0 and a
    /// quiet NaN, the invalid flag the host may not. The test (a quiet
    /// compare; `r` is never a signalling NaN) decides a branch, which
    /// also keeps the instruction that computed `r`, used or not.
    fn checked(&mut self, s: &mut Split, prec: Prec, r: Value) -> Value {
        let nan = self.b.ins().fcmp(FloatCC::Unordered, r, r);
        self.bail(s, nan);
        self.bits_of(prec, r)
    }

    /// `x`, tied to the current guest block for Cranelift's optimizer: a
    /// host FP instruction is pure to Cranelift, which may hoist one out of
    /// a loop (raising its flags where the guest never ran it); ORing in a
    /// zero loaded in this block keeps it here.
    fn pin(&mut self, x: Value) -> Value {
        match self.zero() {
            Some(z) => self.b.ins().bor(x, z),
            None => x,
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
    /// host's pending flags are added to `cpu.fflags` (MXCSR through the
    /// read stub, its flag bits mapped by a table). `None` for other CSRs.
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
        let f = self.iconst(host.read_mxcsr as u64);
        self.b.ins().call_indirect(self.sigs.stub, f, &[self.ctx]);
        let m = self.b.ins().uload32(flags(), self.ctx, off::CTX_FP_MXCSR);
        let m = self.b.ins().band_imm_s(m, 63);
        let table = self.iconst(crate::host_fp::FFLAGS_OF.as_ptr() as u64);
        let at = self.b.ins().iadd(table, m);
        let pending = self.b.ins().uload8(I64, flags(), at, 0);
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

    /// `CsrWrite` of `fflags`, `frm` or `fcsr` with host FP, inline: a
    /// write of `fflags` also clears the host's pending flags (the clear
    /// stub). False for other CSRs.
    pub(super) fn csr_write_host_fp(&mut self, csr: u16, v: Value) -> bool {
        use ferrovm_ir::csr::{FCSR, FFLAGS, FRM};
        let Some(host) = self.env.fp else { return false };
        if !matches!(csr, FFLAGS | FRM | FCSR) {
            return false;
        }
        if matches!(csr, FFLAGS | FCSR) {
            let f = self.iconst(host.clear_mxcsr as u64);
            self.b.ins().call_indirect(self.sigs.stub, f, &[self.ctx]);
            let fl = self.b.ins().band_imm_s(v, 0x1f);
            self.b.ins().store(flags(), fl, self.cpu, off::CPU_FFLAGS);
        }
        if matches!(csr, FRM | FCSR) {
            let frm = if csr == FCSR { self.b.ins().ushr_imm_s(v, 5) } else { v };
            let frm = self.b.ins().band_imm_s(frm, 7);
            self.b.ins().store(flags(), frm, self.cpu, off::CPU_FRM);
            self.fp_block.dyn_not_nearest = None;
        }
        true
    }

    /// `FUnary`.
    pub(super) fn f_unary(&mut self, op: FUnOp, prec: Prec, rm: Rm, x: Value) -> Value {
        let soft = Soft::Unary(op, prec, rm, x);
        if self.env.fp.is_none() || op != FUnOp::Sqrt || soft_only(prec) {
            return self.soft(soft);
        }
        let Some(bad) = self.nearest_rm(rm) else { return self.soft(soft) };
        let mut s = self.split(soft, bad);
        let x = self.pin(x);
        let f = self.float_of(prec, x);
        let r = self.b.ins().sqrt(f);
        let r = self.checked(&mut s, prec, r);
        self.join(s, r)
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
                let Some(bad) = self.nearest_rm(rm) else { return self.soft(soft) };
                let mut s = self.split(soft, bad);
                let x = self.pin(x);
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
                let r = match op {
                    FBinOp::Add => self.b.ins().fadd(a, b),
                    FBinOp::Sub => self.b.ins().fsub(a, b),
                    FBinOp::Mul => self.b.ins().fmul(a, b),
                    _ => self.b.ins().fdiv(a, b),
                };
                let r = self.checked(&mut s, prec, r);
                self.join(s, r)
            }
            FBinOp::Eq => {
                // Quiet compare: invalid only for signalling NaNs, as feq.
                let x = self.pin(x);
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
                let r = self.b.ins().fcmp(FloatCC::Equal, a, b);
                let r = self.b.ins().uextend(I64, r);
                self.anchor(r);
                r
            }
            FBinOp::Lt | FBinOp::Le => {
                // The unordered test (quiet: invalid for signalling NaNs,
                // which SoftFloat raises then too) decides a branch, which
                // keeps it; the ordered compare raises nothing.
                let x = self.pin(x);
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
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
                let s = self.split(soft, Some(any));
                let (a, b) = (self.float_of(prec, x), self.float_of(prec, y));
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
        let Some(bad) = self.nearest_rm(rm) else { return self.soft(soft) };
        let mut s = self.split(soft, bad);
        let x = self.pin(x);
        let (a, b, c) = (self.float_of(prec, x), self.float_of(prec, y), self.float_of(prec, z));
        // Negation flips the sign bit only (no flags, sNaN stays sNaN).
        let (a, c) = match op {
            FTernOp::Madd => (a, c),
            FTernOp::Msub => (a, self.b.ins().fneg(c)),
            FTernOp::Nmsub => (self.b.ins().fneg(a), c),
            FTernOp::Nmadd => (self.b.ins().fneg(a), self.b.ins().fneg(c)),
        };
        let r = self.b.ins().fma(a, b, c);
        let r = self.checked(&mut s, prec, r);
        self.join(s, r)
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
                let mut s = self.split(soft, None);
                let x = self.pin(x);
                let f = self.float_of(Prec::S, x);
                let r = self.b.ins().fpromote(F64, f);
                let r = self.checked(&mut s, Prec::D, r);
                self.join(s, r)
            }
            SD => {
                let Some(bad) = self.nearest_rm(rm) else { return self.soft(soft) };
                let mut s = self.split(soft, bad);
                let x = self.pin(x);
                let f = self.float_of(Prec::D, x);
                let r = self.b.ins().fdemote(F32, f);
                let r = self.checked(&mut s, Prec::S, r);
                self.join(s, r)
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
                self.bits_of(Prec::D, r)
            }
            SW | SWu | SL | SLu | DL | DLu => {
                let Some(bad) = self.nearest_rm(rm) else { return self.soft(soft) };
                let s = self.split(soft, bad);
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
                let r = self.bits_of(prec, r);
                self.anchor(r);
                self.join(s, r)
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
        let (bad, k) = match rm {
            Rm::Rtz => (None, 0),
            Rm::Rdn | Rm::Rup if host.round => (None, 1),
            Rm::Rne | Rm::Dyn if host.round => match self.nearest_rm(rm) {
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
        let mut s = self.split(soft, bad);
        self.bail(&mut s, out);
        // `fcvt_to_sint` may trap (it never does here: the operand is in
        // range), so Cranelift keeps it in place, rounding and all.
        let f = self.float_of(prec, x);
        let f = match rm {
            Rm::Rtz => f,
            Rm::Rdn => self.b.ins().floor(f),
            Rm::Rup => self.b.ins().ceil(f),
            _ => self.b.ins().nearest(f),
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
