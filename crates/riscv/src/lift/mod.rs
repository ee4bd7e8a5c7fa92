//! The lifter: RISC-V instructions to IR, one block at a time.
//!
//! This is the one place where instruction semantics are defined; both tiers
//! execute what it produces. [`lift_block`] decodes from a guest pc until an
//! instruction that ends the block (control flow, `ecall`, `ebreak`,
//! `fence.i`, an illegal instruction) or the size limit, and emits a `mark`
//! before each instruction. Handlers live per extension (`rv64i.rs`,
//! `rv64m.rs`, `rv64a.rs`, `rv64fd.rs` (with Zfh), `zfa.rs`, `zicsr.rs`,
//! `bitmanip.rs` (with Zicond and Zbk*), `cmo.rs` (Zicbom/Zicboz, Zimop,
//! Zawrs)) and are a
//! few lines each over the helpers in [`Ctx`]. Compressed instructions arrive
//! already expanded by the decoder, so there is no separate RVC lifter.

mod bitmanip;
mod cmo;
mod rv64a;
mod rv64fd;
mod rv64i;
mod rv64m;
mod vector;
mod zfa;
mod zicsr;

pub use cmo::CACHE_BLOCK;
use ferrovm_ir::{Block, Builder, Prec, Reg, Rm, Temp, Terminator, UnOp};

use crate::{Ext, ExtSet, Inst, Opcode, decode};

/// Most instructions lifted into one block.
pub const MAX_BLOCK_INSNS: usize = 64;

/// Why no block could be lifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LiftError {
    /// The first instruction could not be fetched (unmapped or not
    /// executable): the guest takes an instruction fault at `addr`.
    #[error("cannot fetch an instruction at {addr:#x}")]
    Fetch {
        /// The address that could not be fetched.
        addr: u64,
    },
}

/// What lifting one instruction did to the block.
pub(crate) enum Flow {
    /// Go on with the next instruction.
    Next,
    /// The block ends with this terminator.
    End(Terminator),
}

/// State while lifting a block: the builder plus what the lifter tracks
/// across instructions.
pub(crate) struct Ctx {
    pub b: Builder,
    /// Whether `frm` has been checked since the block start or the last write
    /// to `frm`/`fcsr` (see [`ferrovm_ir::Op::CheckFrm`]).
    frm_checked: bool,
    /// The machine's extensions (the vector CSRs exist only with V).
    pub isa: ExtSet,
}

impl Ctx {
    /// `x[r]` (x0 reads as the constant 0).
    pub fn x(&mut self, r: u8) -> Temp {
        self.b.get(Reg::x(r))
    }

    /// `x[r] = t` (writes to x0 are dropped).
    pub fn set_x(&mut self, r: u8, t: Temp) {
        self.b.set(Reg::x(r), t);
    }

    /// Raw 64 bits of `f[r]`.
    pub fn f_raw(&mut self, r: u8) -> Temp {
        self.b.get(Reg::f(r))
    }

    /// `f[r]` as an operand of precision `prec`: singles and halves are
    /// unboxed (spec §20.2: an improperly boxed value reads as the canonical
    /// NaN).
    pub fn f(&mut self, r: u8, prec: Prec) -> Temp {
        let raw = self.f_raw(r);
        match prec {
            Prec::S => self.b.unary(UnOp::NanUnbox, raw),
            Prec::H => self.b.unary(UnOp::NanUnboxH, raw),
            Prec::D => raw,
        }
    }

    /// `f[r] = t` for a result of precision `prec` (singles are NaN-boxed).
    pub fn set_f(&mut self, r: u8, prec: Prec, t: Temp) {
        let v = match prec {
            Prec::S => self.b.unary(UnOp::NanBox, t),
            Prec::H => self.b.unary(UnOp::NanBoxH, t),
            Prec::D => t,
        };
        self.b.set(Reg::f(r), v);
    }

    /// A constant.
    pub fn imm(&mut self, v: i64) -> Temp {
        self.b.iconst(v as u64)
    }

    /// The rounding mode of an FP instruction, or `None` for the reserved
    /// encodings 5 and 6 (illegal, spec §20.2). Emits the `frm` check before
    /// the first dynamic-mode op of a block.
    pub fn rm(&mut self, inst: &Inst) -> Option<Rm> {
        let rm = Rm::from_bits(inst.rm)?;
        if rm == Rm::Dyn {
            self.check_frm();
        }
        Some(rm)
    }

    /// Emits the `frm` check (once per block until `frm` is written) for an
    /// instruction that uses the dynamic rounding mode without an `rm` field
    /// (vector floating point).
    pub fn check_frm(&mut self) {
        if !self.frm_checked {
            self.b.check_frm();
            self.frm_checked = true;
        }
    }

    /// After a write to `frm` (directly or through `fcsr`).
    pub fn frm_written(&mut self) {
        self.frm_checked = false;
    }
}

/// Lifts one decoded instruction at `pc`. Returns `None` if the instruction
/// turned out to be illegal in a way only the lifter can see (reserved
/// rounding mode, unknown or read-only CSR); nothing has been emitted then.
fn lift_inst(cx: &mut Ctx, inst: &Inst, pc: u64) -> Option<Flow> {
    match inst.op.ext() {
        _ if inst.op == Opcode::Illegal => None,
        Ext::I | Ext::Zifencei => rv64i::lift(cx, inst, pc),
        Ext::M => Some(rv64m::lift(cx, inst)),
        Ext::A => rv64a::lift(cx, inst),
        Ext::F | Ext::D | Ext::Zfhmin | Ext::Zfh => rv64fd::lift(cx, inst),
        Ext::Zfa => zfa::lift(cx, inst),
        Ext::Zicsr => zicsr::lift(cx, inst),
        Ext::Zba | Ext::Zbb | Ext::Zbc | Ext::Zbs | Ext::Zbkb | Ext::Zbkx | Ext::Zicond => {
            Some(bitmanip::lift(cx, inst))
        }
        Ext::Zimop | Ext::Zawrs | Ext::Zicbom | Ext::Zicboz => cmo::lift(cx, inst),
        // No opcode belongs to these (RVC expands, hints are base opcodes).
        Ext::C
        | Ext::Zbkc
        | Ext::Zcmop
        | Ext::Zcb
        | Ext::Zicbop
        | Ext::Zihintpause
        | Ext::Zihintntl
        | Ext::Zmmul
        | Ext::Zkt
        | Ext::Zvkb
        | Ext::Zvkt
        | Ext::Zvknhb
        | Ext::Zvfhmin
        | Ext::Zvfh => None,
        Ext::V | Ext::Zvbb | Ext::Zvkned | Ext::Zvknha | Ext::Zvkg | Ext::Zvbc | Ext::Zvksed | Ext::Zvksh => {
            vector::lift(cx, inst)
        }
    }
}

/// Fetches the instruction word at `pc` through `fetch` (16-bit parcels,
/// `None` if not executable): `(word, length)`.
fn fetch_word(pc: u64, fetch: &mut dyn FnMut(u64) -> Option<u16>) -> Option<u32> {
    let lo = fetch(pc)?;
    if lo & 3 != 3 {
        return Some(u32::from(lo));
    }
    let hi = fetch(pc.wrapping_add(2))?;
    Some(u32::from(lo) | u32::from(hi) << 16)
}

/// Lifts the block starting at `pc`, reading code with `fetch` (which
/// returns the 16-bit parcel at an address, or `None` if it is not
/// executable).
///
/// A block ends after a control-flow instruction, `ecall`, `ebreak`,
/// `fence.i`, an illegal instruction, after [`MAX_BLOCK_INSNS`] instructions,
/// or before an instruction that cannot be fetched (so that the fault is
/// raised when execution gets there, with precise state).
pub fn lift_block(pc: u64, fetch: &mut dyn FnMut(u64) -> Option<u16>) -> Result<Block, LiftError> {
    lift_block_limited(pc, MAX_BLOCK_INSNS, fetch)
}

/// [`lift_block`] with an explicit instruction limit (at least 1), for a
/// machine with every extension ferrovm implements ([`ExtSet::IMPLEMENTED`]).
pub fn lift_block_limited(
    start: u64,
    max_insns: usize,
    fetch: &mut dyn FnMut(u64) -> Option<u16>,
) -> Result<Block, LiftError> {
    lift_block_isa(start, max_insns, ExtSet::IMPLEMENTED, fetch)
}

/// [`lift_block_limited`] for a machine with the extensions `isa`: an
/// instruction outside it ends the block as an illegal instruction (the
/// guest gets SIGILL), exactly like an encoding nobody defines.
pub fn lift_block_isa(
    start: u64,
    max_insns: usize,
    isa: ExtSet,
    fetch: &mut dyn FnMut(u64) -> Option<u16>,
) -> Result<Block, LiftError> {
    let mut cx = Ctx { b: Builder::new(start), frm_checked: false, isa };
    let mut pc = start;
    for n in 0..max_insns.max(1) {
        let Some(word) = fetch_word(pc, fetch) else {
            if n == 0 {
                return Err(LiftError::Fetch { addr: pc });
            }
            break;
        };
        let inst = decode(word);
        let len = u64::from(inst.len);
        cx.b.mark(pc, inst.len);
        let before = cx.b.len();
        let flow = if isa.allows(&inst, word) { lift_inst(&mut cx, &inst, pc) } else { None };
        let next = pc.wrapping_add(len);
        match flow {
            Some(Flow::Next) => pc = next,
            Some(Flow::End(term)) => return Ok(cx.b.finish(term, next)),
            None => {
                cx.b.truncate(before);
                let bits = if inst.len == 2 { word & 0xffff } else { word };
                return Ok(cx.b.finish(Terminator::Illegal { pc, bits }, next));
            }
        }
    }
    Ok(cx.b.finish(Terminator::Jump { target: pc }, pc))
}
