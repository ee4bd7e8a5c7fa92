//! Float shadows of the FP registers: a guest FP register lives in an
//! `I64` Cranelift `Variable` (its architectural bits, NaN box included)
//! like every other register, and next to it in two float `Variable`s:
//!
//! * an `F64` one with the same 64 bits (a double's value);
//! * an `F32` one with what a single-precision op reads from the register:
//!   its low 32 bits if the upper 32 are all ones, the canonical NaN
//!   otherwise (`nanunbox`, spec §20.2).
//!
//! All three are defined wherever the register is (on entry, at every
//! `set`; a shadow nobody reads is dead code Cranelift drops), so each is
//! valid on every path, loops included, and an FP op that reads a register
//! an earlier op wrote (a loop-carried accumulator, say) takes its operand
//! from an SSE register instead of moving the bits through a
//! general-purpose one and back. Registers a region writes with
//! double-precision results are *double-primary*: their `F64` variable is
//! what `get` reads and what exits write back (the same bits: a move
//! between register files never changes them), so the integer copy is
//! dead and a double that stays in the FPU costs no move at all.
//!
//! Within one guest block, values are also remembered by their `I64`
//! [`Value`] (the float that has those bits, see [`Shadows`]), so the
//! result of one op feeds the next as a float whichever way the IR passed
//! it (a copy, a `nanbox` then `nanunbox`, a `zextw`). Only values
//! computed on the block's main line (which dominates the rest of the
//! block) are remembered, and everything is forgotten at the next guest
//! block.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{F32, F64, I32, I64};
use cranelift_codegen::ir::{BlockArg, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::Variable;
use ferrovm_ir::{Block, CvtOp, Op, Prec, Temp, UnOp};

use super::{Tr, flags};
use crate::abi::offsets as off;
use crate::store::Linker;

/// The float shadows of the FP registers and the floats known for values of
/// the current guest block.
#[derive(Default)]
pub(super) struct Shadows {
    /// For FP register `i`: its `F64` and `F32` shadow variables.
    vars: [Option<(Variable, Variable)>; 32],
    /// Registers whose `F64` shadow is the primary copy.
    d_primary: [bool; 32],
    /// Definitions of each FP register so far (a remembered register read
    /// is stale once its register was set again).
    defs: [u32; 32],
    /// `I64` value → the `F64` with the same bits.
    d: HashMap<Value, Value>,
    /// `I64` value → the `F32` whose bits are its low 32.
    s: HashMap<Value, Value>,
    /// `I64` value → the `F32` of its `nanunbox`.
    unboxed: HashMap<Value, Value>,
    /// `I64` value read from FP register `i` (at its `defs[i]`-th
    /// definition): its `F64` is register `i`'s `F64` shadow and its
    /// unboxed `F32` is the `F32` shadow.
    read: HashMap<Value, (usize, u32)>,
    /// `I64` value that is the `nanunbox` of FP register `i`'s value: its
    /// `F32` is the `F32` shadow.
    read_unboxed: HashMap<Value, (usize, u32)>,
}

/// Which float of an `I64` value [`Tr::known`] looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    /// The `F64` with the same 64 bits ([`Shadows::d`]).
    Bits64,
    /// The `F32` whose bits are its low 32 ([`Shadows::s`]).
    Low32,
    /// The `F32` of its `nanunbox` ([`Shadows::unboxed`]).
    Unboxed,
}

/// Which FP registers `blocks` write with double-precision results (through
/// copies too): those are [`Shadows::d_primary`].
pub(super) fn double_registers(blocks: &[Block]) -> [bool; 32] {
    let mut out = [false; 32];
    for block in blocks {
        let mut double = vec![false; block.num_temps as usize];
        let mark = |double: &mut Vec<bool>, t: Temp, yes: bool| {
            if let Some(d) = double.get_mut(t.index()) {
                *d = yes;
            }
        };
        for op in &block.ops {
            match *op {
                Op::FUnary { prec: Prec::D, op, dst, .. } => mark(&mut double, dst, op != ferrovm_ir::FUnOp::Class),
                Op::FBinary { prec: Prec::D, op, dst, .. } => mark(&mut double, dst, produces_float(op)),
                Op::FTernary { prec: Prec::D, dst, .. } => mark(&mut double, dst, true),
                Op::FCvt { op, dst, .. } => mark(
                    &mut double,
                    dst,
                    matches!(op, CvtOp::DS | CvtOp::DW | CvtOp::DWu | CvtOp::DL | CvtOp::DLu | CvtOp::DH),
                ),
                Op::Copy { dst, src } => {
                    let d = double.get(src.index()).copied().unwrap_or(false);
                    mark(&mut double, dst, d);
                }
                Op::SetReg { reg, src } if reg.is_fp() && double.get(src.index()).copied().unwrap_or(false) => {
                    out[reg.index() - 32] = true;
                }
                _ => {}
            }
        }
    }
    out
}

fn produces_float(op: ferrovm_ir::FBinOp) -> bool {
    use ferrovm_ir::FBinOp::*;
    !matches!(op, Eq | Lt | Le | Leq | Ltq)
}

impl Shadows {
    /// A new guest block: values of the previous one are not remembered.
    pub(super) fn new_block(&mut self) {
        self.d.clear();
        self.s.clear();
        self.unboxed.clear();
        self.read.clear();
        self.read_unboxed.clear();
    }

    pub(super) fn set_double_registers(&mut self, d: [bool; 32]) {
        self.d_primary = d;
    }

    fn current(&self, (i, n): (usize, u32)) -> bool {
        self.defs.get(i) == Some(&n)
    }

    /// The floats remembered for values of this block, of `kind`.
    fn cache(&mut self, kind: Known) -> &mut HashMap<Value, Value> {
        match kind {
            Known::Bits64 => &mut self.d,
            Known::Low32 => &mut self.s,
            Known::Unboxed => &mut self.unboxed,
        }
    }

    /// The register reads whose shadow is the float of `kind`.
    fn source(&self, kind: Known) -> &HashMap<Value, (usize, u32)> {
        match kind {
            Known::Low32 => &self.read_unboxed,
            Known::Bits64 | Known::Unboxed => &self.read,
        }
    }
}

impl<L: Linker + ?Sized> Tr<'_, '_, L> {
    /// The shadow variables of FP register `i` (0..32), declared on first
    /// use (always together with the register's `I64` variable, and defined
    /// wherever it is: [`Tr::define_shadows`]).
    fn shadow_vars(&mut self, i: usize) -> (Variable, Variable) {
        if let Some(v) = self.fregs.vars[i] {
            return v;
        }
        let v = (self.b.declare_var(F64), self.b.declare_var(F32));
        self.fregs.vars[i] = Some(v);
        v
    }

    /// Whether guest register index `r` is a double-primary FP register.
    pub(super) fn double_primary(&self, r: usize) -> bool {
        r >= 32 && self.fregs.d_primary[r - 32]
    }

    /// Defines the shadows of FP register `r` (a register index, 32..64)
    /// for its new value `v` (and `f`, its `F64`, and `s`, its unboxed
    /// `F32`, when known).
    pub(super) fn define_shadows(&mut self, r: usize, v: Value, f: Option<Value>, s: Option<Value>) {
        let i = r - 32;
        let (vd, vs) = self.shadow_vars(i);
        let d = match f.or_else(|| self.known(v, Known::Bits64)) {
            Some(d) => d,
            None => self.b.ins().bitcast(F64, MemFlagsData::new(), v),
        };
        self.b.def_var(vd, d);
        let s = match s.or_else(|| self.known(v, Known::Unboxed)) {
            Some(s) => s,
            None => {
                let u = self.nanunbox_bits(v);
                self.float_raw(Prec::S, u)
            }
        };
        self.b.def_var(vs, s);
        self.fregs.defs[i] = self.fregs.defs[i].wrapping_add(1);
    }

    fn nanunbox_bits(&mut self, v: Value) -> Value {
        let mut rare = super::Rare { h2: self.sigs.h2, h3: self.sigs.h3 };
        crate::int_ops::unary(&mut self.b, &mut rare, UnOp::NanUnbox, v)
    }

    /// The register's value on entry to a region (or at its first read in
    /// a single block), loaded from the `Cpu`: the `I64`, and the `F64` for
    /// a double-primary register (loaded as a float).
    pub(super) fn load_fp_reg(&mut self, r: usize) -> Value {
        let at = off::CPU_REGS + 8 * r as i32;
        if self.double_primary(r) {
            let f = self.b.ins().load(F64, flags(), self.cpu, at);
            let v = self.b.ins().bitcast(I64, MemFlagsData::new(), f);
            self.define_shadows(r, v, Some(f), None);
            v
        } else {
            let v = self.b.ins().load(I64, flags(), self.cpu, at);
            // The unboxed single from memory too (its low word, or the
            // canonical NaN unless the high word is all ones), as a block
            // parameter: Cranelift computes a pure value where it is first
            // used and rematerializes constants, and shifts and masks by
            // one, in every block that uses them, so unboxing `v`'s bits
            // (or a select) ran again inside loops that read a register
            // they never write (a constant such as 4.0f). A branch to a
            // join block stays on entry.
            let lo = self.b.ins().load(F32, flags(), self.cpu, at);
            let hi = self.b.ins().uload32(flags(), self.cpu, at + 4);
            let boxed = self.b.ins().icmp_imm_s(IntCC::Equal, hi, 0xffff_ffff);
            let (join, unboxed) = (self.b.create_block(), self.b.create_block());
            self.b.set_cold_block(unboxed);
            let s = self.b.append_block_param(join, F32);
            self.b.ins().brif(boxed, join, &[BlockArg::Value(lo)], unboxed, &[]);
            self.b.switch_to_block(unboxed);
            let nan = self.b.ins().f32const(f32::from_bits(ferrovm_ir::fp::CANONICAL_NAN_S as u32));
            self.b.ins().jump(join, &[BlockArg::Value(nan)]);
            self.b.switch_to_block(join);
            // The double too: a bitcast of `v` would be made where it is
            // used, inside the loop, each time.
            let d = self.b.ins().load(F64, flags(), self.cpu, at);
            self.define_shadows(r, v, Some(d), Some(s));
            v
        }
    }

    /// `get` of FP register `r` whose `I64` variable holds `v` (read
    /// already; `None` for a double-primary register): for a
    /// double-primary register, the bits of its `F64` instead; either way
    /// its shadows are remembered for the value.
    pub(super) fn read_fp_reg(&mut self, r: usize, v: Option<Value>) -> Value {
        let i = r - 32;
        let n = self.fregs.defs[i];
        let v = if let (false, Some(v)) = (self.double_primary(r), v) {
            v
        } else {
            let (vd, _) = self.shadow_vars(i);
            let f = self.b.use_var(vd);
            let v = self.b.ins().bitcast(I64, MemFlagsData::new(), f);
            self.fregs.d.insert(v, f);
            v
        };
        self.fregs.read.insert(v, (i, n));
        v
    }

    /// The value to store when writing FP register `r` back: the `F64`
    /// shadow of a double-primary register, else `None` (the `I64`).
    pub(super) fn write_back_fp(&mut self, r: usize) -> Option<Value> {
        if !self.double_primary(r) {
            return None;
        }
        let (vd, _) = self.fregs.vars[r - 32]?;
        Some(self.b.use_var(vd))
    }

    /// The float `kind` of `v`: remembered for the block, or the shadow of
    /// the FP register `v` was read from, if that is still current.
    fn known(&mut self, v: Value, kind: Known) -> Option<Value> {
        if let Some(&known) = self.fregs.cache(kind).get(&v) {
            return Some(known);
        }
        let &(i, n) = self.fregs.source(kind).get(&v)?;
        if !self.fregs.current((i, n)) {
            return None;
        }
        let (vd, vs) = self.shadow_vars(i);
        let known = self.b.use_var(if kind == Known::Bits64 { vd } else { vs });
        self.fregs.cache(kind).insert(v, known);
        Some(known)
    }

    /// After the integer op `op` made `dst` from `src` on the main line:
    /// what is known about `src`'s float carries over to `dst`.
    pub(super) fn unary_shadow(&mut self, op: UnOp, src: Value, dst: Value) {
        match op {
            UnOp::NanUnbox => {
                if let Some(&f) = self.fregs.unboxed.get(&src) {
                    self.fregs.s.insert(dst, f);
                } else if let Some(&r) = self.fregs.read.get(&src) {
                    self.fregs.read_unboxed.insert(dst, r);
                }
            }
            UnOp::NanBox => {
                if let Some(f) = self.known(src, Known::Low32) {
                    self.fregs.s.insert(dst, f);
                    self.fregs.unboxed.insert(dst, f);
                }
            }
            UnOp::ZextW => {
                if let Some(f) = self.known(src, Known::Low32) {
                    self.fregs.s.insert(dst, f);
                }
            }
            _ => {}
        }
    }

    /// `x` as a float of `prec` (the bits of a double; the low 32 bits for a
    /// single), reusing a float known to have them. Only on the guest
    /// block's main line: the result is remembered.
    pub(super) fn float_of(&mut self, prec: Prec, x: Value) -> Value {
        let known = match prec {
            Prec::D => self.known(x, Known::Bits64),
            Prec::S => self.known(x, Known::Low32),
            Prec::H => None,
        };
        if let Some(f) = known {
            return f;
        }
        let f = self.float_raw(prec, x);
        self.remember(prec, x, f);
        f
    }

    /// Remembers that `f` is the float of the bits `x` (main line only).
    pub(super) fn remember(&mut self, prec: Prec, x: Value, f: Value) {
        match prec {
            Prec::D => {
                self.fregs.d.insert(x, f);
            }
            Prec::S => {
                self.fregs.s.insert(x, f);
            }
            Prec::H => {}
        }
    }

    /// `x` as a float of `prec`, computed here (anywhere).
    pub(super) fn float_raw(&mut self, prec: Prec, x: Value) -> Value {
        match prec {
            // Halves never reach the host path.
            Prec::S | Prec::H => {
                let lo = self.b.ins().ireduce(I32, x);
                self.b.ins().bitcast(F32, MemFlagsData::new(), lo)
            }
            Prec::D => self.b.ins().bitcast(F64, MemFlagsData::new(), x),
        }
    }
}
