//! Vector instructions in compiled code: the shapes vector loops are made
//! of as host SIMD, everything else through the vector helper
//! (`ferrovm_ir::vector::execute`, the code the interpreter runs).
//!
//! * `vsetvli`/`vsetivli` run inline: `vl` = min(AVL, VLMAX) with VLMAX from
//!   `vlenb`, `vtype` their immediate (or `vill`), `vstart` = 0. From there
//!   to the end of the guest block the translator knows SEW and LMUL
//!   ([`ferrovm_ir::vector::vtype_after`]). Before the block's first
//!   `vsetvl*` (a loop body that has none: real code sets `vtype` once
//!   before the loop) it assumes the `vtype` the engine saw at the
//!   block's entry ([`Linker::vtype`], a [`Vtype::Guessed`]), and the
//!   SIMD code checks it at run time with the other conditions below.
//! * With SEW and LMUL >= 1 known and VLEN 128 or 256 (the run's VLEN,
//!   [`crate::JitOptions::vlen`]: the code is made for it), instructions
//!   of these shapes ([`plan`]) run as 128-bit
//!   `I8X16`..`I64X2` values, one per register of each group at VLEN 128,
//!   two (its halves) at 256, loaded from and stored back to the register
//!   file in the
//!   `Cpu` (nothing stays in host registers between instructions yet):
//!   unit-stride loads and stores without segments (`vle<eew>.v`,
//!   `vse<eew>.v`), and in their `.vv`, `.vx` and `.vi` forms `vadd`,
//!   `vsub`, `vrsub`, `vand`, `vor`, `vxor`, `vmul` (SEW >= 16: the host has
//!   no byte multiply), `vminu`, `vmin`, `vmaxu`, `vmax`, `vmacc`, `vnmsac`,
//!   `vmadd`, `vnmsub`, `vmv.v.*`, `vmerge.v*m`, `vrev8.v` (one byte
//!   shuffle), and `vsll`/`vsrl`/`vsra` with a scalar
//!   shift amount (`.vx`, `.vi`), the loads and stores and these
//!   operations (but `vmv.v.*`) unmasked or masked (`v0.t`: `v0`'s bits spread to lane
//!   masks, [`Tr::mask_lanes`], and the inactive elements blended back
//!   in: mask undisturbed, what the executor does); and the single-width integer
//!   reductions `vredsum`, `vredand`, `vredor`, `vredxor`, `vredminu`,
//!   `vredmin`, `vredmaxu`, `vredmax` (the group folded lane-wise, then
//!   its lanes and `vs1[0]` into `vd[0]`) when `vl` = VLMAX; and the
//!   scalar moves `vmv.x.s` and `vmv.s.x` (what code around a reduction
//!   runs) at any `vl`.
//! * The vector crypto instructions at SEW 32 with 4-element groups
//!   (Zvkned, Zvknha, Zvkg, Zvksed) of a legal shape
//!   ([`crypto::shape_ok`], the executor's own check) and with `vl` a
//!   multiple of 4 call a helper of their own instead of the generic one:
//!   the AES rounds (`vaes{em,ef,dm,df}.{vv,vs}`, `vaesz.vs`) and SHA-256's
//!   `vsha2ms`/`vsha2cl`/`vsha2ch` one whose operation is fixed and that
//!   takes the register groups' addresses ([`crate::host_crypto::kernel`],
//!   on the host's AES-NI and SHA-NI), the rest `helpers::vector_crypto`
//!   (the packed instruction; the interpreter's code where the host has no
//!   instruction). SM3's (Zvksh, 8-element groups) and Zvbc's take
//!   the generic helper.
//! * Element-wise FP at SEW 32 and 64 (`vfadd`, `vfsub`, `vfrsub`,
//!   `vfmul`, `vfdiv`, `vfrdiv`, and with the host's FMA the eight
//!   `vfmacc`..`vfnmsub` forms; `.vv` and `.vf`, masked or not) with host
//!   FP ([`crate::FpLowering::Host`]), on `F32X4`/`F64X2` in the guest's
//!   `frm` (the helper when it is `rmm` or reserved, or a `.vf` single is
//!   not NaN-boxed), the host's sticky flags collecting `fflags`, and the
//!   helper for any instruction with a NaN result ([`Tr::simd_fp`]).
//! * Those run as SIMD only when a run-time check holds: `vlenb` is the
//!   one the code was made for (a `Cpu` of another VLEN takes the
//!   helper), `vstart` = 0, `vtype` the guessed one (if it is a
//!   guess), and for a load or store the whole
//!   group's bytes lie below the guest limit in pages (one or two) whose
//!   permission bytes allow the access (for a store, none holding
//!   translated code). With a tail (`vl` < VLMAX: a loop's last, shorter
//!   iteration) loads and arithmetic compute whole registers and blend the
//!   old tail elements back in (tail undisturbed, as the helper leaves
//!   them), and a store writes the active elements' bytes only
//!   ([`Tr::store_prefix`]; masked, [`Tr::store_masked`]: one store per
//!   active element); an access that may fault goes to the helper, which
//!   faults precisely at the element.
//!
//! [`JitContext::vector_simd`](crate::abi::JitContext::vector_simd) and
//! `vector_helper` count how many ran which way (the crypto helper's
//! instructions count as SIMD: they skip the generic helper).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I8, I8X16, I16, I16X8, I32, I32X4, I64, I64X2};
use cranelift_codegen::ir::{Block as ClBlock, BlockArg, Endianness, InstBuilder, MemFlagsData, Type, Value};
use ferrovm_ir::FBinOp;
use ferrovm_ir::vector::{FSrc, VILL, VInst, VOp, binary_form, crypto, ternary_form, vtype_after, vtype_shape};
use ferrovm_mem::{GUEST_LIMIT, page_flags};

use super::{Tr, Untranslatable, flags};
use crate::abi::{exit, offsets as off};
use crate::helpers::HELPERS;
use crate::store::Linker;

/// Bytes of one host vector (`I8X16`..`I64X2`): a guest register is
/// `vlenb / 16` of them, a group of LMUL registers `LMUL * vlenb / 16`,
/// back to back in the register file.
const PART: i64 = 16;

/// Whether SIMD code is made for `vlenb` (VLEN 128 or 256, one or two host
/// vectors per register); at any other VLEN the helper runs everything.
fn simd_vlenb(vlenb: u64) -> bool {
    matches!(vlenb, 16 | 32)
}

/// The `vtype` the translator assumes at a point of a guest block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Vtype {
    /// Set by a `vsetvli`/`vsetivli` earlier in the block.
    Known(u64),
    /// The one the guest had at the block's entry when the engine profiled
    /// it ([`Linker::vtype`]): the SIMD code checks it at run time, and
    /// the helper runs the instruction when it differs (so a block entered
    /// with another `vtype` is still right, only slower).
    Guessed(u64),
}

impl Vtype {
    fn value(self) -> u64 {
        match self {
            Vtype::Known(v) | Vtype::Guessed(v) => v,
        }
    }
}

/// How a lowered instruction runs on its register groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// A unit-stride load or store of `regs` whole registers from or to
    /// the `vlenb * regs` bytes at `x[rs1]`, elements of type `lane`.
    Mem { store: bool, regs: u8, lane: Type },
    /// An element-wise operation on groups of `regs` registers with
    /// elements of type `lane`.
    Lanes { lane: Type, regs: u8 },
    /// An element-wise FP operation (`vfadd`..`vfrdiv`, the FMA forms) on
    /// groups of `regs` registers, SEW 32 or 64 (`lane` `I32` or `I64`,
    /// computed as `F32X4`/`F64X2`), on the host FPU in the guest's mode.
    FLanes { lane: Type, regs: u8, form: FForm },
    /// A single-width integer reduction (`vred*.vs`) of a group of `regs`
    /// registers into element 0 of `vd`, for `vl` = VLMAX only.
    Reduce { lane: Type, regs: u8 },
    /// `vmv.x.s` (element 0 of `vs2`, sign-extended, is the result) or
    /// `vmv.s.x` (`x[rs1]` into element 0 of `vd` when `vl` > 0), on
    /// elements of type `lane`, whatever `vl`.
    Move { lane: Type },
    /// A vector crypto instruction at SEW 32 (Zvkned, Zvknha, Zvkg) of a
    /// legal shape, for `vl` a multiple of 4: its element groups by the
    /// crypto helper, on the host's AES and SHA instructions.
    Crypto,
}

/// The element operation of a [`Plan::FLanes`] instruction and where its
/// operands come from ([`ferrovm_ir::vector::binary_form`],
/// [`ferrovm_ir::vector::ternary_form`], the executor's mapping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FForm {
    /// Add, Sub, Mul or Div.
    Binary(FBinOp, FSrc, FSrc),
    /// Fused: needs the host's FMA.
    Ternary(ferrovm_ir::FTernOp, FSrc, FSrc, FSrc),
}

/// The lowering of `inst` when the `vtype` in effect is `vtype` and
/// `vlenb` is `vlenb`, and VLMAX (what `vl` must be for the SIMD code to
/// run); `None`: the helper runs it. Mirrors the legality checks of
/// `ferrovm_ir::vector::execute`, so a planned instruction is never one
/// that traps as illegal there.
pub(super) fn plan(inst: VInst, vtype: Option<u64>, vlenb: u64) -> Option<(Plan, i64)> {
    use VOp::*;
    if !simd_vlenb(vlenb) {
        return None;
    }
    let (sew, lmul) = vtype_shape(vtype?)?;
    // A register read at two widths (v0 as the mask and as data, among
    // others) is reserved: the executor traps.
    if lmul < 0 || !ferrovm_ir::vector::sources_ok(inst, sew, lmul) {
        return None;
    }
    // Masked (`v0.t`): loads and the element-wise operations, with the
    // inactive elements left as they were (mask undisturbed, as the
    // executor does for agnostic ones too), never into v0 (illegal: the
    // executor traps); and stores, of the active elements only. vmerge is
    // masked by definition (its "mask" is what it selects by); vmv.v.* has
    // no masked form (vm = 0 is vmerge).
    let masked = !inst.unmasked() && inst.op != Merge;
    let maskable = matches!(
        inst.op,
        Le | Add
            | Sub
            | Rsub
            | And
            | Or
            | Xor
            | Mul
            | Minu
            | Min
            | Maxu
            | Max
            | Macc
            | Nmsac
            | Madd
            | Nmsub
            | Sll
            | Srl
            | Sra
            | Rev8
            | Fadd
            | Fsub
            | Frsub
            | Fmul
            | Fdiv
            | Frdiv
            | Fmacc
            | Fnmacc
            | Fmsac
            | Fnmsac
            | Fmadd
            | Fnmadd
            | Fmsub
            | Fnmsub
    );
    if masked && !(inst.op == Se || (maskable && inst.vd != 0)) {
        return None;
    }
    let vlmax = ((vlenb as i64) << lmul) / sew as i64;
    let sew_log = sew.trailing_zeros() as i32;
    let group = |reg: u8, emul: i32| {
        let n = 1u32 << emul;
        u32::from(reg) % n == 0 && u32::from(reg) + n <= 32
    };
    let scalar = inst.scalar();
    match inst.op {
        Le | Se => {
            let emul = i32::from(inst.imm & 3) - sew_log + lmul;
            let ok = inst.nf() == 0 && (0..=3).contains(&emul) && group(inst.vd, emul);
            let lane = [I8, I16, I32, I64][usize::from(inst.imm as u8 & 3)];
            ok.then(|| (Plan::Mem { store: inst.op == Se, regs: 1 << emul, lane }, vlmax))
        }
        Add | Sub | Rsub | And | Or | Xor | Mul | Minu | Min | Maxu | Max | Macc | Nmsac | Madd | Nmsub | Mv | Sll
        | Srl | Sra | Merge | Rev8 => {
            let lane = match sew {
                1 => I8,
                2 => I16,
                4 => I32,
                _ => I64,
            };
            let byte_mul = sew == 1 && matches!(inst.op, Mul | Macc | Nmsac | Madd | Nmsub);
            let shift_vv = !scalar && matches!(inst.op, Sll | Srl | Sra);
            // vmerge never into v0 (masked: illegal; unmasked, the
            // executor reads each mask bit after writing the elements
            // before it).
            let merge_ok = inst.op != Merge || inst.vd != 0;
            let ok = !byte_mul
                && !shift_vv
                && merge_ok
                && group(inst.vd, lmul)
                && (inst.op == Mv || group(inst.vs2, lmul))
                && (scalar || inst.op == Rev8 || group(inst.vs1, lmul));
            ok.then(|| (Plan::Lanes { lane, regs: 1 << lmul }, vlmax))
        }
        // SEW 32 and 64 (binary16 goes to the helper); the executor's
        // group checks. Whether the host runs them (host FP, FMA) is the
        // caller's to check.
        Fadd | Fsub | Frsub | Fmul | Fdiv | Frdiv | Fmacc | Fnmacc | Fmsac | Fnmsac | Fmadd | Fnmadd | Fmsub
        | Fnmsub => {
            let lane = match sew {
                4 => I32,
                8 => I64,
                _ => return None,
            };
            let form = match (binary_form(inst.op), ternary_form(inst.op)) {
                (Some((op @ (FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div), x, y)), _) => {
                    FForm::Binary(op, x, y)
                }
                (None, Some((op, x, y, z))) => FForm::Ternary(op, x, y, z),
                _ => return None,
            };
            let ok = group(inst.vd, lmul) && group(inst.vs2, lmul) && (scalar || group(inst.vs1, lmul));
            ok.then_some((Plan::FLanes { lane, regs: 1 << lmul, form }, vlmax))
        }
        // The executor's checks: vstart = 0 (checked at run time) and an
        // aligned vs2 group; vd and vs1 are single registers.
        Redsum | Redand | Redor | Redxor | Redminu | Redmin | Redmaxu | Redmax => {
            let lane = [I8, I16, I32, I64][sew_log as usize];
            group(inst.vs2, lmul).then(|| (Plan::Reduce { lane, regs: 1 << lmul }, vlmax))
        }
        // Single registers: LMUL and vl do not matter (vmv.s.x writes
        // nothing when vl = 0).
        MvXS | MvSX => Some((Plan::Move { lane: [I8, I16, I32, I64][sew_log as usize] }, vlmax)),
        // SM3's 8-element groups (EGS 8) go to the generic helper.
        op if op.is_crypto() && crypto::egs(op) == 4 => {
            (sew == 4 && crypto::shape_ok(inst, sew, lmul, vlenb)).then_some((Plan::Crypto, vlmax))
        }
        _ => None,
    }
}

/// What the SIMD code of an instruction works on besides its registers.
#[derive(Clone, Copy)]
enum Operand {
    /// The host address of a load's or store's bytes.
    Host(Value),
    /// The scalar operand (narrowed to the element) and its splat.
    Scalar(Value, Value),
    None,
}

fn vector_type(lane: Type) -> Type {
    match lane {
        I8 => I8X16,
        I16 => I16X8,
        I32 => I32X4,
        _ => I64X2,
    }
}

/// Offset in the `Cpu` of host vector `k` (16 bytes) of the group at
/// `v[reg]` when `vlenb` is `vlenb`.
fn vreg(vlenb: u64, reg: u8, k: u8) -> i32 {
    off::CPU_VREGS + i32::from(reg) * vlenb as i32 + i32::from(k) * PART as i32
}

impl<L: Linker + ?Sized> Tr<'_, '_, L> {
    /// `Op::Vector`.
    pub(super) fn vector(
        &mut self,
        inst: VInst,
        dst: ferrovm_ir::Temp,
        a: ferrovm_ir::Temp,
        b: ferrovm_ir::Temp,
    ) -> Result<(), Untranslatable> {
        let before = self.vtype;
        self.vtype = match (before, vtype_after(inst, before.map(Vtype::value))) {
            (Some(Vtype::Guessed(_)), Some(v)) if inst.vtype_imm().is_none() => Some(Vtype::Guessed(v)),
            (_, v) => v.map(Vtype::Known),
        };
        if !self.env.vector_simd {
            let v = self.vector_call(inst, a, b)?;
            return self.def(dst, v);
        }
        if let Some(vtype) = inst.vtype_imm() {
            let v = self.vsetvli(inst, vtype, a)?;
            return self.def(dst, v);
        }
        let vlenb = self.env.vlenb;
        let host = |t: &Self, form| match t.env.fp {
            Some(fp) => fp.fma || !matches!(form, FForm::Ternary(..)),
            None => false,
        };
        let planned = plan(inst, before.map(Vtype::value), vlenb).filter(|(p, _)| match p {
            Plan::FLanes { form, .. } => host(self, *form),
            _ => true,
        });
        let Some((plan, vlmax)) = planned else {
            let v = self.vector_call(inst, a, b)?;
            return self.def(dst, v);
        };
        // Vector FP runs in frm's mode (`dyn`): the host's when frm is
        // rne, rtz, rdn or rup; the helper otherwise (rmm, or a reserved
        // frm, illegal there).
        // (`host_rm` answers `None`, never on the host, only for `rmm`.)
        let fp_bad = match plan {
            Plan::FLanes { .. } => self.host_rm(ferrovm_ir::Rm::Dyn).flatten(),
            _ => None,
        };
        let (slow, join) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.append_block_param(join, I64);
        // The shape the SIMD code is for: the vlenb it is made for (VLEN
        // is fixed for a run, but a `Cpu` made for another one may come
        // through), vstart = 0, and vl = VLMAX for a reduction, vl <= VLMAX
        // for the rest (a tail is blended in, or for a store not written);
        // and the guessed vtype, if it is one.
        let tails = !matches!(plan, Plan::Reduce { .. } | Plan::Move { .. });
        let live_vlenb = self.b.ins().load(I64, flags(), self.cpu, off::CPU_VLENB);
        let vl = self.b.ins().load(I64, flags(), self.cpu, off::CPU_VL);
        let vstart = self.b.ins().load(I64, flags(), self.cpu, off::CPU_VSTART);
        let x = self.b.ins().bxor_imm_s(live_vlenb, vlenb as i64);
        let y = if tails || matches!(plan, Plan::Move { .. }) {
            // (vl <= VLMAX always holds: a vmv.s.x/vmv.x.s needs no check.)
            let over = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, vl, vlmax);
            let over = self.b.ins().uextend(I64, over);
            if plan == Plan::Crypto {
                // Whole element groups only.
                let part = self.b.ins().band_imm_s(vl, 3);
                self.b.ins().bor(over, part)
            } else {
                over
            }
        } else {
            self.b.ins().bxor_imm_s(vl, vlmax)
        };
        let any = self.b.ins().bor(x, y);
        let mut bad = self.b.ins().bor(any, vstart);
        if let Some(Vtype::Guessed(guess)) = before {
            let vtype = self.b.ins().load(I64, flags(), self.cpu, off::CPU_VTYPE);
            let other = self.b.ins().bxor_imm_s(vtype, guess as i64);
            bad = self.b.ins().bor(bad, other);
        }
        if let Some(fp_bad) = fp_bad {
            let fp_bad = self.b.ins().uextend(I64, fp_bad);
            bad = self.b.ins().bor(bad, fp_bad);
        }
        if let Plan::FLanes { lane: I32, .. } = plan
            && inst.scalar()
        {
            // A `.vf` single not NaN-boxed is the canonical NaN (§31.10.1):
            // its results are NaNs, which the helper computes.
            let f = self.t(a)?;
            let high = self.b.ins().ushr_imm_u(f, 32);
            let unboxed = self.b.ins().icmp_imm_s(IntCC::NotEqual, high, 0xffff_ffff);
            let unboxed = self.b.ins().uextend(I64, unboxed);
            bad = self.b.ins().bor(bad, unboxed);
        }
        self.leave_if(bad, slow);
        let operand = match plan {
            Plan::Mem { store, regs, .. } => {
                let addr = self.t(a)?;
                let bytes = i64::from(regs) * vlenb as i64;
                // Below the limit (so the page-table lookups are in
                // range); the bytes (at most 256) span one page or two,
                // and the pages of the first and the last byte allow it
                // (the whole group's, also for a store with a tail that
                // writes fewer).
                let beyond = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, addr, (GUEST_LIMIT as i64) - bytes);
                self.leave_if(beyond, slow);
                let (mask, want) = if store {
                    (page_flags::WRITE | page_flags::WRITE_SLOW, page_flags::WRITE)
                } else {
                    (page_flags::READ, page_flags::READ)
                };
                let last = self.b.ins().iadd_imm_s(addr, bytes - 1);
                let first_bad = self.page_flags_differ(addr, mask, want);
                let last_bad = self.page_flags_differ(last, mask, want);
                let bad = self.b.ins().bor(first_bad, last_bad);
                self.leave_if(bad, slow);
                let host = self.host_addr(addr);
                Operand::Host(host)
            }
            Plan::Lanes { lane, .. } | Plan::FLanes { lane, .. } if inst.scalar() => {
                let s = self.t(a)?;
                let s = if lane == I64 { s } else { self.b.ins().ireduce(lane, s) };
                Operand::Scalar(s, self.b.ins().splat(vector_type(lane), s))
            }
            Plan::Move { .. } if inst.op == VOp::MvSX => Operand::Scalar(self.t(a)?, vl),
            Plan::Lanes { .. } | Plan::FLanes { .. } | Plan::Reduce { .. } | Plan::Move { .. } | Plan::Crypto => {
                Operand::None
            }
        };
        let done = self.b.create_block();
        let mut result = None;
        if let Plan::Move { lane } = plan {
            result = Some(self.scalar_move(inst, lane, operand, vl));
        } else if plan == Plan::Crypto {
            if let Some(kernel) = crate::host_crypto::kernel(inst.op) {
                // The register groups' addresses and vl / 4 (a multiple
                // of 4 within VLMAX: checked above).
                let at = |t: &mut Self, reg: u8| t.b.ins().iadd_imm_s(t.cpu, i64::from(vreg(vlenb, reg, 0)));
                let (vd, vs2, vs1) = (at(self, inst.vd), at(self, inst.vs2), at(self, inst.vs1));
                let groups = self.b.ins().ushr_imm_u(vl, 2);
                self.call(self.sigs.h4_void, kernel, &[vd, vs2, vs1, groups]);
            } else {
                let (uimm, packed) = (self.t(a)?, self.iconst(inst.pack()));
                self.call(self.sigs.h3_void, HELPERS.vector_crypto, &[self.cpu, packed, uimm]);
            }
        } else if tails {
            // The whole group, or (a loop's last iteration) the first vl
            // elements with the tail left as it was.
            let (full, part) = (self.b.create_block(), self.b.create_block());
            let is_full = self.b.ins().icmp_imm_s(IntCC::Equal, vl, vlmax);
            self.b.ins().brif(is_full, full, &[], part, &[]);
            self.b.switch_to_block(full);
            self.simd(inst, plan, operand, None, slow);
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(part);
            self.simd(inst, plan, operand, Some(vl), slow);
        } else {
            self.simd(inst, plan, operand, None, slow);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        self.bump(off::CTX_VECTOR_SIMD);
        let result = result.unwrap_or_else(|| self.iconst(0));
        self.b.ins().jump(join, &[BlockArg::Value(result)]);
        self.b.switch_to_block(slow);
        let cold = std::mem::replace(&mut self.cold, true);
        let v = self.vector_call(inst, a, b)?;
        self.cold = cold;
        self.b.ins().jump(join, &[BlockArg::Value(v)]);
        self.b.switch_to_block(join);
        let v = self.b.block_params(join)[0];
        self.def(dst, v)
    }

    /// The SIMD code of `inst` as `plan` says, for `vl` = VLMAX, or with
    /// `vl` (fewer) only the first `vl` elements written; FP code may
    /// leave for `slow` before it writes anything.
    ///
    /// A group of `regs` registers is `regs * vlenb / 16` host vectors
    /// (`parts`), the `k`-th holding the group's bytes `16 k..16 k + 16`
    /// (its elements `k * lanes..`): every shape below works part by part.
    fn simd(&mut self, inst: VInst, plan: Plan, operand: Operand, vl: Option<Value>, slow: ClBlock) {
        let vlenb = self.env.vlenb;
        let parts = |regs: u8| regs * (vlenb / PART as u64) as u8;
        match (plan, operand) {
            (Plan::Mem { store: true, regs, lane }, Operand::Host(host)) if !inst.unmasked() => {
                // vl = VLMAX when there is no tail: the group's elements.
                let vl =
                    vl.unwrap_or_else(|| self.iconst(u64::from(parts(regs)) * PART as u64 / u64::from(lane.bytes())));
                self.store_masked(inst, plan, host, vl);
            }
            (Plan::Mem { store: true, regs, .. }, Operand::Host(host)) => match vl {
                None => {
                    for k in 0..parts(regs) {
                        let v = self.b.ins().load(I8X16, flags(), self.cpu, vreg(vlenb, inst.vd, k));
                        self.b.ins().store(flags(), v, host, i32::from(k) * PART as i32);
                    }
                }
                Some(vl) => self.store_prefix(inst, plan, host, vl),
            },
            (Plan::Mem { store: false, regs, lane }, Operand::Host(host)) => {
                let ty = vector_type(lane);
                for k in 0..parts(regs) {
                    // The whole register is read even with a tail or a
                    // mask: its bytes are in the page checked readable.
                    let v = self.b.ins().load(ty, flags(), host, i32::from(k) * PART as i32);
                    let mask = (!inst.unmasked()).then(|| self.mask_lanes(lane, k));
                    let v = self.blend(lane, k, v, inst.vd, vl, mask);
                    self.b.ins().store(flags(), v, self.cpu, vreg(vlenb, inst.vd, k));
                }
            }
            (Plan::Lanes { lane, regs }, operand) => {
                let ty = vector_type(lane);
                let scalar = match operand {
                    Operand::Scalar(s, v) => Some((s, v)),
                    _ => None,
                };
                for k in 0..parts(regs) {
                    let y = match scalar {
                        Some((_, v)) => v,
                        None if inst.op == VOp::Rev8 => {
                            self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vs2, k))
                        }
                        None => self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vs1, k)),
                    };
                    let r = if inst.op == VOp::Mv {
                        y
                    } else if inst.op == VOp::Rev8 {
                        self.rev8(lane, y)
                    } else if inst.op == VOp::Merge {
                        let x = self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vs2, k));
                        let take = self.mask_lanes(lane, k);
                        self.b.ins().bitselect(take, y, x)
                    } else {
                        let x = self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vs2, k));
                        let d = matches!(inst.op, VOp::Macc | VOp::Nmsac | VOp::Madd | VOp::Nmsub)
                            .then(|| self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vd, k)));
                        self.lanes(inst.op, x, y, d, scalar.map(|(s, _)| s))
                    };
                    let masked = !inst.unmasked() && inst.op != VOp::Merge;
                    let mask = masked.then(|| self.mask_lanes(lane, k));
                    let r = self.blend(lane, k, r, inst.vd, vl, mask);
                    self.b.ins().store(flags(), r, self.cpu, vreg(vlenb, inst.vd, k));
                }
            }
            (Plan::FLanes { lane, regs, form }, operand) => {
                let scalar = match operand {
                    Operand::Scalar(_, v) => Some(v),
                    _ => None,
                };
                self.simd_fp(inst, form, lane, parts(regs), scalar, vl, slow);
            }
            (Plan::Reduce { lane, regs }, _) => {
                // The group folded part by part, then the lanes and
                // vs1[0]: the operations are associative and commutative,
                // so any order gives the executor's answer.
                let ty = vector_type(lane);
                let mut acc = self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vs2, 0));
                for k in 1..parts(regs) {
                    let x = self.b.ins().load(ty, flags(), self.cpu, vreg(vlenb, inst.vs2, k));
                    acc = self.reduce(inst.op, acc, x);
                }
                let mut r = self.b.ins().load(lane, flags(), self.cpu, vreg(vlenb, inst.vs1, 0));
                for i in 0..(PART as u32 / lane.bytes()) {
                    let x = self.b.ins().extractlane(acc, i as u8);
                    r = self.reduce(inst.op, r, x);
                }
                self.b.ins().store(flags(), r, self.cpu, vreg(vlenb, inst.vd, 0));
            }
            // `vector` makes no other pair.
            _ => {}
        }
    }

    /// An element-wise FP instruction on the host FPU, `parts` host vectors
    /// per group: each part computed as `F32X4`/`F64X2` in the mode the
    /// host runs in (the guest's `frm`, checked by the caller), its flags
    /// collected by the host's sticky flags as scalar host FP's are
    /// ([`crate::host_fp`]). Inactive and tail elements compute 1.0 op 1.0
    /// (op 1.0), which raises no flag, and keep their old value. If any
    /// element's result is a NaN, nothing is written and the instruction
    /// leaves for `slow`, the per-element helper: RISC-V's NaN is the
    /// canonical one (the host's is not) and SoftFloat raises every flag
    /// the host raised for it, and for `vfmacc`..`vfnmsub` of ∞ × 0 and
    /// a quiet NaN the invalid flag the host may not (spec §20.6), as the
    /// scalar lowering does (`translate/fp.rs`). The host's flags for the
    /// other elements are the ones the helper raises again.
    ///
    /// Cranelift cannot move the host FP instructions away: their operands
    /// are loads in this block and the NaN test's branch uses each result.
    #[expect(clippy::too_many_arguments, reason = "the plan's parts, each used")]
    fn simd_fp(
        &mut self,
        inst: VInst,
        form: FForm,
        lane: Type,
        parts: u8,
        scalar: Option<Value>,
        vl: Option<Value>,
        slow: ClBlock,
    ) {
        use cranelift_codegen::ir::condcodes::FloatCC;
        use cranelift_codegen::ir::types::{F32X4, F64X2};
        use ferrovm_ir::FTernOp;
        let vlenb = self.env.vlenb;
        let (ity, fty, one) = match lane {
            I32 => (I32X4, F32X4, 0x3f80_0000_i64),
            _ => (I64X2, F64X2, 0x3ff0_0000_0000_0000_i64),
        };
        let one = self.b.ins().iconst(lane, one);
        let one = self.b.ins().splat(ity, one);
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        let mut results = Vec::with_capacity(usize::from(parts));
        let mut nan: Option<Value> = None;
        for k in 0..parts {
            let mask = (!inst.unmasked()).then(|| self.mask_lanes(lane, k));
            let live = match (vl, mask) {
                (None, None) => None,
                (None, Some(m)) => Some(m),
                (Some(vl), m) => {
                    let below = self.below_vl(lane, k, vl);
                    Some(match m {
                        Some(m) => self.b.ins().band(below, m),
                        None => below,
                    })
                }
            };
            let src = |t: &mut Self, s: FSrc| {
                let v = match (s, scalar) {
                    (FSrc::Vs1, Some(v)) => v,
                    (FSrc::Vs1, None) => t.b.ins().load(ity, flags(), t.cpu, vreg(vlenb, inst.vs1, k)),
                    (FSrc::Vs2, _) => t.b.ins().load(ity, flags(), t.cpu, vreg(vlenb, inst.vs2, k)),
                    (FSrc::Vd, _) => t.b.ins().load(ity, flags(), t.cpu, vreg(vlenb, inst.vd, k)),
                };
                let v = match live {
                    Some(live) => t.b.ins().bitselect(live, v, one),
                    None => v,
                };
                t.b.ins().bitcast(fty, little, v)
            };
            let r = match form {
                FForm::Binary(op, x, y) => {
                    let (x, y) = (src(self, x), src(self, y));
                    match op {
                        FBinOp::Add => self.b.ins().fadd(x, y),
                        FBinOp::Sub => self.b.ins().fsub(x, y),
                        FBinOp::Mul => self.b.ins().fmul(x, y),
                        // Div (`plan` makes no other).
                        _ => self.b.ins().fdiv(x, y),
                    }
                }
                FForm::Ternary(op, x, y, z) => {
                    let (x, y, z) = (src(self, x), src(self, y), src(self, z));
                    // Negation flips the sign bit only (no flags, and the
                    // exact x * y + z it rounds is the one the spec's is).
                    let (x, z) = match op {
                        FTernOp::Madd => (x, z),
                        FTernOp::Msub => (x, self.b.ins().fneg(z)),
                        FTernOp::Nmsub => (self.b.ins().fneg(x), z),
                        FTernOp::Nmadd => (self.b.ins().fneg(x), self.b.ins().fneg(z)),
                    };
                    self.b.ins().fma(x, y, z)
                }
            };
            let unordered = self.b.ins().fcmp(FloatCC::Unordered, r, r);
            let any = self.b.ins().vany_true(unordered);
            nan = Some(match nan {
                Some(n) => self.b.ins().bor(n, any),
                None => any,
            });
            let r = self.b.ins().bitcast(ity, little, r);
            let r = match live {
                Some(live) => {
                    let old = self.b.ins().load(ity, flags(), self.cpu, vreg(vlenb, inst.vd, k));
                    self.b.ins().bitselect(live, r, old)
                }
                None => r,
            };
            results.push(r);
        }
        if let Some(nan) = nan {
            self.leave_if(nan, slow);
        }
        for (k, r) in results.into_iter().enumerate() {
            self.b.ins().store(flags(), r, self.cpu, vreg(vlenb, inst.vd, k as u8));
        }
    }

    /// The lanes of part `k` (16 bytes) of a group whose mask bit in `v0`
    /// is set (all ones) or clear (zeros): for lanes of 16 bits or more
    /// the part's `16 / SEW` <= 8 bits lie in one byte of `v0`, for bytes
    /// its 16 bits are two bytes, each spread over 8 lanes.
    fn mask_lanes(&mut self, lane: Type, k: u8) -> Value {
        let ty = vector_type(lane);
        let n = PART as u32 / lane.bytes();
        let v0 = vreg(self.env.vlenb, 0, 0);
        let (m, shift) = if lane == I8 {
            let m = self.b.ins().load(I16, flags(), self.cpu, v0 + 2 * i32::from(k));
            let m = self.b.ins().splat(I16X8, m);
            let little = MemFlagsData::new().with_endianness(Endianness::Little);
            let m = self.b.ins().bitcast(I8X16, little, m);
            let order: Vec<u8> = (0..16).map(|i| i / 8).collect();
            let order = self.b.func.dfg.immediates.push(order.into());
            (self.b.ins().shuffle(m, m, order), 0)
        } else {
            let (byte, shift) = (u32::from(k) * n / 8, u32::from(k) * n % 8);
            let m = self.b.ins().uload8(lane, flags(), self.cpu, v0 + byte as i32);
            (self.b.ins().splat(ty, m), shift)
        };
        // Lane i tests bit (shift + i) mod 8 of its byte.
        let bits: Vec<u8> = (0..n)
            .flat_map(|i| (1u64 << ((shift + i) % 8)).to_le_bytes().into_iter().take(lane.bytes() as usize))
            .collect();
        let c = self.b.func.dfg.constants.insert(bits.into());
        let bits = self.b.ins().vconst(ty, c);
        let m = self.b.ins().band(m, bits);
        let c = self.b.func.dfg.constants.insert(vec![0u8; PART as usize].into());
        let zero = self.b.ins().vconst(ty, c);
        self.b.ins().icmp(IntCC::NotEqual, m, zero)
    }

    /// `vmv.x.s`: element 0 of `vs2`, sign-extended (the result); or
    /// `vmv.s.x` (`operand` the scalar and `vl`): the scalar, narrowed,
    /// into element 0 of `vd` if `vl` > 0 (`vstart` is 0), the rest of
    /// `vd` as it was; its result is 0, as the helper's.
    fn scalar_move(&mut self, inst: VInst, lane: Type, operand: Operand, vl: Value) -> Value {
        let vlenb = self.env.vlenb;
        if inst.op == VOp::MvXS {
            let x = self.b.ins().load(lane, flags(), self.cpu, vreg(vlenb, inst.vs2, 0));
            return if lane == I64 { x } else { self.b.ins().sextend(I64, x) };
        }
        let Operand::Scalar(s, _) = operand else { return self.iconst(0) };
        let s = if lane == I64 { s } else { self.b.ins().ireduce(lane, s) };
        let at = vreg(vlenb, inst.vd, 0);
        let old = self.b.ins().load(lane, flags(), self.cpu, at);
        let new = self.b.ins().select(vl, s, old);
        self.b.ins().store(flags(), new, self.cpu, at);
        self.iconst(0)
    }

    /// `vrev8.v` (Zvbb): the bytes of each lane reversed, one byte shuffle.
    fn rev8(&mut self, lane: Type, x: Value) -> Value {
        let b = lane.bytes() as u8;
        let order: Vec<u8> = (0..PART as u8).map(|i| i / b * b + (b - 1 - i % b)).collect();
        let order = self.b.func.dfg.immediates.push(order.into());
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        let bytes = self.b.ins().bitcast(I8X16, little, x);
        let r = self.b.ins().shuffle(bytes, bytes, order);
        self.b.ins().bitcast(vector_type(lane), little, r)
    }

    /// A reduction's combining operation, on vectors or scalars.
    fn reduce(&mut self, op: VOp, x: Value, y: Value) -> Value {
        let ins = self.b.ins();
        match op {
            VOp::Redand => ins.band(x, y),
            VOp::Redor => ins.bor(x, y),
            VOp::Redxor => ins.bxor(x, y),
            VOp::Redminu => ins.umin(x, y),
            VOp::Redmin => ins.smin(x, y),
            VOp::Redmaxu => ins.umax(x, y),
            VOp::Redmax => ins.smax(x, y),
            _ => ins.iadd(x, y),
        }
    }

    /// `new` for part `k` (16 bytes) of the group at `vd`, with the
    /// elements at and past `vl` (when there is a tail) and those whose
    /// `mask` lane is clear (when masked) taken from the part's old value:
    /// tail and mask undisturbed.
    fn blend(&mut self, lane: Type, k: u8, new: Value, vd: u8, vl: Option<Value>, mask: Option<Value>) -> Value {
        let ty = vector_type(lane);
        let live = match (vl, mask) {
            (None, None) => return new,
            (None, Some(mask)) => mask,
            (Some(vl), mask) => {
                let tail = self.below_vl(lane, k, vl);
                match mask {
                    Some(mask) => self.b.ins().band(tail, mask),
                    None => tail,
                }
            }
        };
        let old = self.b.ins().load(ty, flags(), self.cpu, vreg(self.env.vlenb, vd, k));
        self.b.ins().bitselect(live, new, old)
    }

    /// The lanes of part `k` (16 bytes) of a group whose element index is
    /// below `vl` (all ones) or not (zeros).
    fn below_vl(&mut self, lane: Type, k: u8, vl: Value) -> Value {
        let ty = vector_type(lane);
        let bytes = lane.bytes() as usize;
        let lanes = PART as usize / bytes;
        // Element indices of this part's lanes, little-endian (at most
        // 256 elements, at SEW 8: indices up to 255; with a tail vl <
        // VLMAX, so vl fits a lane too).
        let index: Vec<u8> = (0..lanes)
            .flat_map(|i| ((usize::from(k) * lanes + i) as u64).to_le_bytes().into_iter().take(bytes))
            .collect();
        let c = self.b.func.dfg.constants.insert(index.into());
        let index = self.b.ins().vconst(ty, c);
        let n = if lane == I64 { vl } else { self.b.ins().ireduce(lane, vl) };
        let n = self.b.ins().splat(ty, n);
        self.b.ins().icmp(IntCC::UnsignedLessThan, index, n)
    }

    /// A masked unit-stride store: each element below `vl` whose bit in
    /// `v0` is set, one store of EEW bytes each (none of the others'
    /// bytes is written), found 64 mask bits at a time with `ctz`.
    fn store_masked(&mut self, inst: VInst, plan: Plan, host: Value, vl: Value) {
        let Plan::Mem { regs, lane, .. } = plan else { return };
        let vlenb = self.env.vlenb;
        let elements = u64::from(regs) * vlenb / u64::from(lane.bytes());
        let shift = i64::from(lane.bytes().trailing_zeros());
        let data = self.b.ins().iadd_imm_s(self.cpu, i64::from(vreg(vlenb, inst.vd, 0)));
        let done = self.b.create_block();
        for w in 0..elements.div_ceil(64) {
            let first = 64 * w as i64;
            // Elements first.. of this word below vl: none (done), all 64,
            // or the low n bits.
            let (some, next_word) = (self.b.create_block(), self.b.create_block());
            let any = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, vl, first);
            self.b.ins().brif(any, some, &[], done, &[]);
            self.b.switch_to_block(some);
            // v0 is at least 16 bytes: an 8-byte word is always there.
            let bits = self.b.ins().load(I64, flags(), self.cpu, vreg(vlenb, 0, 0) + 8 * w as i32);
            let n = self.b.ins().iadd_imm_s(vl, -first);
            let one = self.iconst(1);
            let low = self.b.ins().ishl(one, n);
            let low = self.b.ins().iadd_imm_s(low, -1);
            let all = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, n, 64);
            let ones = self.iconst(u64::MAX);
            let live = self.b.ins().select(all, ones, low);
            let bits = self.b.ins().band(bits, live);
            let (head, body) = (self.b.create_block(), self.b.create_block());
            self.b.append_block_param(head, I64);
            self.b.ins().jump(head, &[BlockArg::Value(bits)]);
            self.b.switch_to_block(head);
            let left = self.b.block_params(head)[0];
            self.b.ins().brif(left, body, &[], next_word, &[]);
            self.b.switch_to_block(body);
            let i = self.b.ins().ctz(left);
            let at = self.b.ins().iadd_imm_s(i, first);
            let at = self.b.ins().ishl_imm_s(at, shift);
            let from = self.b.ins().iadd(data, at);
            let to = self.b.ins().iadd(host, at);
            let x = self.b.ins().load(lane, flags(), from, 0);
            self.b.ins().store(flags(), x, to, 0);
            let below = self.b.ins().iadd_imm_s(left, -1);
            let rest = self.b.ins().band(left, below);
            self.b.ins().jump(head, &[BlockArg::Value(rest)]);
            self.b.switch_to_block(next_word);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// A unit-stride store with a tail (`vl` < VLMAX): only the first `vl`
    /// elements' bytes, `vl * EEW`, go to memory at `host`: the whole
    /// parts among them as host vectors, then the rest of the part the
    /// tail starts in (fewer than 16 bytes, a multiple of EEW) as at most
    /// one store of 8, 4, 2 and 1 bytes each, largest first, so every
    /// element is written by one store and no byte past the last active
    /// element is written.
    fn store_prefix(&mut self, inst: VInst, plan: Plan, host: Value, vl: Value) {
        let Plan::Mem { regs, lane, .. } = plan else { return };
        let vlenb = self.env.vlenb;
        let parts = regs * (vlenb / PART as u64) as u8;
        let bytes = self.b.ins().ishl_imm_s(vl, i64::from(lane.bytes().trailing_zeros()));
        let done = self.b.create_block();
        for k in 0..parts {
            let (whole, rest) = (self.b.create_block(), self.b.create_block());
            let at = i64::from(k) * PART;
            let fits = self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, bytes, at + PART);
            self.b.ins().brif(fits, whole, &[], rest, &[]);
            self.b.switch_to_block(whole);
            let v = self.b.ins().load(I8X16, flags(), self.cpu, vreg(vlenb, inst.vd, k));
            self.b.ins().store(flags(), v, host, at as i32);
            let next = self.b.create_block();
            self.b.ins().jump(next, &[]);
            // The bytes of part k below vl: 0..16, all in this part.
            self.b.switch_to_block(rest);
            let left = self.b.ins().iadd_imm_s(bytes, -at);
            let src = self.b.ins().iadd_imm_s(self.cpu, i64::from(vreg(vlenb, inst.vd, k)));
            let dst = self.b.ins().iadd_imm_s(host, at);
            for (size, ty) in [(8, I64), (4, I32), (2, I16), (1, I8)] {
                if size < lane.bytes() {
                    // `left` is a multiple of EEW.
                    break;
                }
                let (put, after) = (self.b.create_block(), self.b.create_block());
                let bit = self.b.ins().band_imm_s(left, i64::from(size));
                self.b.ins().brif(bit, put, &[], after, &[]);
                self.b.switch_to_block(put);
                // The pieces before it: the larger sizes' bits of `left`.
                let pos = self.b.ins().band_imm_s(left, (PART - 2 * i64::from(size)) & 15);
                let from = self.b.ins().iadd(src, pos);
                let to = self.b.ins().iadd(dst, pos);
                let x = self.b.ins().load(ty, flags(), from, 0);
                self.b.ins().store(flags(), x, to, 0);
                self.b.ins().jump(after, &[]);
                self.b.switch_to_block(after);
            }
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(next);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// One element-wise operation on a register's worth of lanes: `x` from
    /// `vs2`, `y` from `vs1` or the scalar (`scalar`: its value, for the
    /// shifts), `d` the destination's old value (multiply-adds).
    fn lanes(&mut self, op: VOp, x: Value, y: Value, d: Option<Value>, scalar: Option<Value>) -> Value {
        let ins = self.b.ins();
        match (op, d, scalar) {
            (VOp::Add, ..) => ins.iadd(x, y),
            (VOp::Sub, ..) => ins.isub(x, y),
            (VOp::Rsub, ..) => ins.isub(y, x),
            (VOp::And, ..) => ins.band(x, y),
            (VOp::Or, ..) => ins.bor(x, y),
            (VOp::Xor, ..) => ins.bxor(x, y),
            (VOp::Mul, ..) => ins.imul(x, y),
            (VOp::Minu, ..) => ins.umin(x, y),
            (VOp::Min, ..) => ins.smin(x, y),
            (VOp::Maxu, ..) => ins.umax(x, y),
            (VOp::Max, ..) => ins.smax(x, y),
            // Cranelift takes a vector shift's amount modulo the lane
            // width, as RISC-V does (the low log2(SEW) bits).
            (VOp::Sll, _, Some(s)) => ins.ishl(x, s),
            (VOp::Srl, _, Some(s)) => ins.ushr(x, s),
            (VOp::Sra, _, Some(s)) => ins.sshr(x, s),
            (VOp::Macc, Some(d), _) => {
                let p = ins.imul(y, x);
                self.b.ins().iadd(p, d)
            }
            (VOp::Nmsac, Some(d), _) => {
                let p = ins.imul(y, x);
                self.b.ins().isub(d, p)
            }
            (VOp::Madd, Some(d), _) => {
                let p = ins.imul(y, d);
                self.b.ins().iadd(p, x)
            }
            (VOp::Nmsub, Some(d), _) => {
                let p = ins.imul(y, d);
                self.b.ins().isub(x, p)
            }
            // `plan` admits no other shape.
            _ => y,
        }
    }

    /// Branches to the cold block `slow` if `bad` is non-zero.
    fn leave_if(&mut self, bad: Value, slow: cranelift_codegen::ir::Block) {
        let next = self.b.create_block();
        if self.cold {
            self.b.set_cold_block(next);
        }
        self.b.ins().brif(bad, slow, &[], next, &[]);
        self.b.switch_to_block(next);
    }

    /// `vsetvli`/`vsetivli` asking for `vtype` (its immediate), inline:
    /// what `VState::configure` does. Returns the new `vl`.
    fn vsetvli(&mut self, inst: VInst, vtype: u64, a: ferrovm_ir::Temp) -> Result<Value, Untranslatable> {
        let (vl, vtype) = match vtype_shape(vtype) {
            None => (self.iconst(0), VILL),
            Some((sew, lmul)) => {
                let vlenb = self.b.ins().load(I64, flags(), self.cpu, off::CPU_VLENB);
                // VLMAX = vlenb * LMUL / SEW, all powers of two.
                let shift = lmul - sew.trailing_zeros() as i32;
                let vlmax = if shift >= 0 {
                    self.b.ins().ishl_imm_s(vlenb, i64::from(shift))
                } else {
                    self.b.ins().ushr_imm_s(vlenb, i64::from(-shift))
                };
                // AVL (§31.6.2): the immediate, x[rs1], VLMAX (rs1 = x0,
                // rd != x0) or the current vl (both x0).
                let avl = match inst.op {
                    VOp::Setivli => Some(self.iconst(u64::from(inst.vs1))),
                    _ if inst.vs1 != 0 => Some(self.t(a)?),
                    _ if inst.vd != 0 => None,
                    _ => Some(self.b.ins().load(I64, flags(), self.cpu, off::CPU_VL)),
                };
                let vl = match avl {
                    Some(avl) => self.b.ins().umin(avl, vlmax),
                    None => vlmax,
                };
                (vl, vtype)
            }
        };
        let vtype = self.iconst(vtype);
        let zero = self.iconst(0);
        self.b.ins().store(flags(), vl, self.cpu, off::CPU_VL);
        self.b.ins().store(flags(), vtype, self.cpu, off::CPU_VTYPE);
        self.b.ins().store(flags(), zero, self.cpu, off::CPU_VSTART);
        self.bump(off::CTX_VECTOR_SIMD);
        Ok(vl)
    }

    /// The vector helper runs `inst`; leaves through a side exit if it
    /// trapped. Returns its scalar result.
    fn vector_call(&mut self, inst: VInst, a: ferrovm_ir::Temp, b: ferrovm_ir::Temp) -> Result<Value, Untranslatable> {
        let (x, y) = (self.t(a)?, self.t(b)?);
        let packed = self.iconst(inst.pack());
        let status = self.call(self.sigs.h5, HELPERS.vector, &[self.ctx, self.cpu, packed, x, y]).unwrap_or(packed);
        let is_illegal = self.b.ins().icmp_imm_s(IntCC::Equal, status, crate::helpers::ILLEGAL as i64);
        let illegal = self.side_exit(exit::ILLEGAL);
        self.branch_to(is_illegal, illegal);
        self.check_status(status);
        Ok(self.ctx_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(op: VOp, vd: u8, vs2: u8, vs1: u8, flags: u8, imm: i16) -> VInst {
        VInst { op, vd, vs1, vs2, flags, imm }
    }

    /// [`super::plan`] at VLEN 128.
    fn plan(inst: VInst, vtype: Option<u64>) -> Option<(Plan, i64)> {
        super::plan(inst, vtype, 16)
    }

    const E32M2: u64 = 0b010_001;
    const E8M8: u64 = 0b000_011;

    #[test]
    fn plans_the_common_shapes_and_leaves_the_rest() {
        let u = VInst::UNMASKED;
        let s = VInst::SCALAR;
        // vle32.v v8, (a0) at e32 m2: two registers, VLMAX 8.
        assert_eq!(
            plan(inst(VOp::Le, 8, 0, 10, u, 2), Some(E32M2)),
            Some((Plan::Mem { store: false, regs: 2, lane: I32 }, 8))
        );
        // vse8.v at e32 m2: EMUL 1/2, not lowered.
        assert_eq!(plan(inst(VOp::Se, 8, 0, 10, u, 0), Some(E32M2)), None);
        // vle8.v at e8 m8 into v8: eight registers, VLMAX 128.
        assert_eq!(
            plan(inst(VOp::Le, 8, 0, 10, u, 0), Some(E8M8)),
            Some((Plan::Mem { store: false, regs: 8, lane: I8 }, 128))
        );
        // Masked loads, but not into v0 (illegal).
        let le_m2 = Some((Plan::Mem { store: false, regs: 2, lane: I32 }, 8));
        assert_eq!(plan(inst(VOp::Le, 8, 0, 10, 0, 2), Some(E32M2)), le_m2);
        assert_eq!(plan(inst(VOp::Le, 0, 0, 10, 0, 2), Some(E32M2)), None);
        // Masked stores, but not of v0's group (v0 read as the mask and as
        // data: reserved, V 1.0 §5.2).
        let se_m2 = Some((Plan::Mem { store: true, regs: 2, lane: I32 }, 8));
        assert_eq!(plan(inst(VOp::Se, 8, 0, 10, 0, 2), Some(E32M2)), se_m2);
        assert_eq!(plan(inst(VOp::Se, 0, 0, 10, 0, 2), Some(E32M2)), None);
        assert_eq!(
            plan(inst(VOp::Se, 0, 0, 10, u, 2), Some(E32M2)),
            Some((Plan::Mem { store: true, regs: 2, lane: I32 }, 8))
        );
        // Misaligned group, segments, unknown vtype, vill.
        assert_eq!(plan(inst(VOp::Le, 9, 0, 10, u, 2), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Le, 8, 0, 10, u | 0x10, 2), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Le, 8, 0, 10, u, 2), None), None);
        assert_eq!(plan(inst(VOp::Le, 8, 0, 10, u, 2), Some(VILL)), None);
        // vadd.vx v8, v10, a0; vmul.vv at e8 (no byte multiply); vsll.vv.
        let lanes = Some((Plan::Lanes { lane: I32, regs: 2 }, 8));
        assert_eq!(plan(inst(VOp::Add, 8, 10, 10, u | s, 0), Some(E32M2)), lanes);
        assert_eq!(plan(inst(VOp::Mul, 8, 16, 24, u, 0), Some(E8M8)), None);
        assert_eq!(plan(inst(VOp::Sll, 8, 10, 12, u, 0), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Sll, 8, 10, 12, u | s, 0), Some(E32M2)), lanes);
        // Masked element-wise operations, but not into v0, not vmv.v.*'s
        // vm = 0 form (vmerge is its own op), not masked reductions.
        assert_eq!(plan(inst(VOp::Add, 8, 10, 12, 0, 0), Some(E32M2)), lanes);
        assert_eq!(plan(inst(VOp::Macc, 8, 10, 12, s, 0), Some(E32M2)), lanes);
        assert_eq!(plan(inst(VOp::Add, 0, 10, 12, 0, 0), Some(E32M2)), None);
        // ... nor reading v0's group as data (reserved).
        assert_eq!(plan(inst(VOp::Add, 8, 0, 12, 0, 0), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Add, 8, 10, 0, 0, 0), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Add, 8, 10, 0, u, 0), Some(E32M2)), lanes);
        assert_eq!(plan(inst(VOp::Mv, 8, 0, 12, 0, 0), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Merge, 8, 16, 24, 0, 0), Some(E8M8)), Some((Plan::Lanes { lane: I8, regs: 8 }, 128)));
        // vmv.v.v ignores vs2; reductions are not lowered.
        assert_eq!(plan(inst(VOp::Mv, 8, 1, 12, u, 0), Some(E32M2)), lanes);
        let reduce = Some((Plan::Reduce { lane: I32, regs: 2 }, 8));
        assert_eq!(plan(inst(VOp::Redsum, 8, 10, 12, u, 0), Some(E32M2)), reduce);
        assert_eq!(
            plan(inst(VOp::Redmaxu, 1, 10, 3, u, 0), Some(E32M2)),
            Some((Plan::Reduce { lane: I32, regs: 2 }, 8))
        );
        assert_eq!(plan(inst(VOp::Redsum, 8, 11, 12, u, 0), Some(E32M2)), None, "misaligned vs2");
        // vmv.x.s / vmv.s.x on single registers (any vs2/vd), vm = 1 only.
        let mv = Some((Plan::Move { lane: I32 }, 8));
        assert_eq!(plan(inst(VOp::MvXS, 5, 11, 0, u, 0), Some(E32M2)), mv);
        assert_eq!(plan(inst(VOp::MvSX, 3, 0, 10, u | s, 0), Some(E32M2)), mv);
        assert_eq!(plan(inst(VOp::MvSX, 3, 0, 10, s, 0), Some(E32M2)), None);
        assert_eq!(plan(inst(VOp::Redsum, 8, 10, 12, 0, 0), Some(E32M2)), None, "masked");
    }

    #[test]
    fn plans_at_vlen_256_with_twice_the_elements_and_not_at_other_vlens() {
        let u = VInst::UNMASKED;
        let le32 = inst(VOp::Le, 8, 0, 10, u, 2);
        assert_eq!(super::plan(le32, Some(E32M2), 32), Some((Plan::Mem { store: false, regs: 2, lane: I32 }, 16)));
        let le8 = inst(VOp::Le, 8, 0, 10, u, 0);
        assert_eq!(super::plan(le8, Some(E8M8), 32), Some((Plan::Mem { store: false, regs: 8, lane: I8 }, 256)));
        let sum = inst(VOp::Redsum, 8, 10, 12, u, 0);
        assert_eq!(super::plan(sum, Some(E32M2), 32), Some((Plan::Reduce { lane: I32, regs: 2 }, 16)));
        let aes = inst(VOp::AesemVs, 4, 17, 2, u, 0);
        assert_eq!(super::plan(aes, Some(0b010_000), 32), Some((Plan::Crypto, 8)));
        for vlenb in [8, 64, 128] {
            assert_eq!(super::plan(le32, Some(E32M2), vlenb), None, "vlenb {vlenb}");
            assert_eq!(super::plan(sum, Some(E32M2), vlenb), None, "vlenb {vlenb}");
        }
    }

    #[test]
    fn plans_the_legal_crypto_shapes() {
        let u = VInst::UNMASKED;
        const E32M4: u64 = 0b010_010;
        const E64M2: u64 = 0b011_001;
        const E32MF2: u64 = 0b010_111;
        // vaesem.vs v4, v17 at e32 m4; vsha2ms.vv v10, v9, v13 at e32 m1.
        assert_eq!(plan(inst(VOp::AesemVs, 4, 17, 2, u, 0), Some(E32M4)), Some((Plan::Crypto, 16)));
        assert_eq!(plan(inst(VOp::Sha2ms, 10, 9, 13, u, 0), Some(0b010_000)), Some((Plan::Crypto, 4)));
        // A .vs key inside the destination group, a misaligned group,
        // SEW 64 (SHA-512 stays with the executor), LMUL 1/2.
        assert_eq!(plan(inst(VOp::AesemVs, 4, 6, 2, u, 0), Some(E32M4)), None);
        assert_eq!(plan(inst(VOp::AesemVv, 4, 6, 2, u, 0), Some(E32M4)), None);
        let sha512 = inst(VOp::Sha2ms, 2, 4, 6, u | VInst::SHA512, 0);
        assert_eq!(plan(sha512, Some(E64M2)), None);
        assert_eq!(plan(inst(VOp::AesemVs, 4, 17, 2, u, 0), Some(E32MF2)), None);
        // vsha2ch's destination may not overlap a source.
        assert_eq!(plan(inst(VOp::Sha2ch, 2, 2, 8, u, 0), Some(0b010_000)), None);
        // SM4 takes the crypto helper, SM3 (8-element groups) and Zvbc the
        // generic one.
        assert_eq!(plan(inst(VOp::Sm4rVs, 4, 17, 0x10, u, 0), Some(E32M4)), Some((Plan::Crypto, 16)));
        assert_eq!(plan(inst(VOp::Sm4k, 4, 8, 3, u, 0), Some(E32M4)), Some((Plan::Crypto, 16)));
        assert_eq!(plan(inst(VOp::Sm3c, 4, 8, 3, u, 0), Some(E32M4)), None);
        assert_eq!(plan(inst(VOp::Sm3me, 4, 8, 12, u, 0), Some(E32M4)), None);
        assert_eq!(plan(inst(VOp::Clmul, 4, 8, 12, u, 0), Some(0b011_000)), None);
    }
}
