//! Vector floating point (V 1.0 §31.13-31.16, and the FP moves, slides and
//! reductions of §31.14, §31.16): element loops over the scalar reference
//! semantics in [`crate::fp`], so every element is computed — rounding
//! mode, NaN canonicalization, exception flags — exactly as the scalar F/D
//! instruction would compute it.
//!
//! Elements are F (SEW 32) or D (SEW 64) values, plus binary16 (SEW 16)
//! where the lifter says the machine has it ([`VInst::half`]: Zvfh, or
//! Zvfhmin's two conversions); without that, SEW 16 FP is illegal
//! (§31.13: "If the EEW of a vector floating-point operand does not
//! correspond to a supported IEEE floating-point type, the instruction
//! encoding is reserved"). The integer-side widths of the conversions are
//! independent of that: `vfwcvt.f.x[u].v` at SEW 16 (int16 → binary32) and
//! `vfncvt.x[u].f.w` at SEW 16 (binary32 → int16) are legal.
//!
//! Element values are never NaN-boxed; only a scalar `f[rs1]` operand is
//! checked for a valid NaN box when SEW is 16 or 32 (§31.10.1: "If FLEN > SEW,
//! the value in the f registers is checked for a valid NaN-boxed value,
//! in which case the least-significant SEW bits of the f register are used,
//! else the canonical NaN value is used"), and `vfmv.f.s` NaN-boxes the
//! element it writes to `f[rd]`.
//!
//! Only active elements raise exception flags (§31.13.1). Reductions add in
//! element order: that is what `vfredosum` must do and a valid tree for
//! `vfredusum` (§31.15.3).

use super::exec::{Cfg, active, compute as integer, get, group_ok, overlap_ok, set, set_bit};
use super::{VInst, VOp, VState};
use crate::eval;
use crate::fp as sf;
use crate::op::{CvtOp, FBinOp, FTernOp, FUnOp, Prec, Rm, UnOp};

/// The precision of SEW-wide FP elements (16 → H when binary16 elements
/// are legal for `inst`, 32 → F, 64 → D).
fn prec_of(sew: usize, inst: VInst) -> Result<Prec, ()> {
    match sew {
        2 if inst.half() => Ok(Prec::H),
        4 => Ok(Prec::S),
        8 => Ok(Prec::D),
        _ => Err(()),
    }
}

/// The precision twice as wide as `p` and the exact conversion to it.
fn widened(p: Prec) -> Result<(Prec, CvtOp), ()> {
    match p {
        Prec::H => Ok((Prec::S, CvtOp::SH)),
        Prec::S => Ok((Prec::D, CvtOp::DS)),
        Prec::D => Err(()),
    }
}

/// The FP scalar operand `f[rs1]` as a SEW-wide value.
fn scalar_operand(prec: Prec, raw: u64) -> u64 {
    match prec {
        Prec::H => eval::unary(UnOp::NanUnboxH, raw),
        Prec::S => eval::unary(UnOp::NanUnbox, raw),
        Prec::D => raw,
    }
}

/// An operand of an element-wise FP instruction: element `i` of `vs1` (or
/// the scalar `f[rs1]` of a `.vf` form), of `vs2`, or of `vd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FSrc {
    Vs1,
    Vs2,
    Vd,
}

/// The scalar operation an element-wise binary FP instruction computes on
/// each element, and its operands in order (`vfsub`: `vs2 - vs1`, `vfrsub`:
/// `f[rs1] - vs2`); `None` for other instructions. What the executor and
/// compiled code's SIMD lowering both compute.
pub const fn binary_form(op: VOp) -> Option<(FBinOp, FSrc, FSrc)> {
    use FSrc::{Vs1, Vs2};
    use VOp::*;
    Some(match op {
        Fadd => (FBinOp::Add, Vs2, Vs1),
        Fsub => (FBinOp::Sub, Vs2, Vs1),
        Frsub => (FBinOp::Sub, Vs1, Vs2),
        Fmul => (FBinOp::Mul, Vs2, Vs1),
        Fdiv => (FBinOp::Div, Vs2, Vs1),
        Frdiv => (FBinOp::Div, Vs1, Vs2),
        Fmin => (FBinOp::Min, Vs2, Vs1),
        Fmax => (FBinOp::Max, Vs2, Vs1),
        Fsgnj => (FBinOp::Sgnj, Vs2, Vs1),
        Fsgnjn => (FBinOp::Sgnjn, Vs2, Vs1),
        Fsgnjx => (FBinOp::Sgnjx, Vs2, Vs1),
        _ => return None,
    })
}

/// The fused multiply-add an FMA instruction computes on each element:
/// the operation and its multiplicands and addend (§31.13.6: the "acc"
/// forms overwrite the addend, the "add" forms the multiplicand); `None`
/// for other instructions.
pub const fn ternary_form(op: VOp) -> Option<(FTernOp, FSrc, FSrc, FSrc)> {
    use FSrc::{Vd, Vs1, Vs2};
    use VOp::*;
    Some(match op {
        Fmacc => (FTernOp::Madd, Vs1, Vs2, Vd),
        Fnmacc => (FTernOp::Nmadd, Vs1, Vs2, Vd),
        Fmsac => (FTernOp::Msub, Vs1, Vs2, Vd),
        Fnmsac => (FTernOp::Nmsub, Vs1, Vs2, Vd),
        Fmadd => (FTernOp::Madd, Vs1, Vd, Vs2),
        Fnmadd => (FTernOp::Nmadd, Vs1, Vd, Vs2),
        Fmsub => (FTernOp::Msub, Vs1, Vd, Vs2),
        Fnmsub => (FTernOp::Nmsub, Vs1, Vd, Vs2),
        _ => return None,
    })
}

/// Runs a vector FP instruction; `a` is the raw `f[rs1]` of the `.vf`
/// forms. Returns the scalar result (`vfmv.f.s`) and the exception flags
/// the active elements raised; `Err` for an illegal instruction.
#[expect(clippy::too_many_lines, reason = "one dispatch over the FP operation groups, each a few lines")]
pub(super) fn compute(v: &mut VState, c: Cfg, inst: VInst, a: u64, frm: u64) -> Result<(u64, u8), ()> {
    use VOp::*;
    // §31.10.1: an invalid frm is reserved for every vector FP instruction.
    let rm = match Rm::from_bits(frm as u8) {
        Some(Rm::Dyn) | None => return Err(()),
        Some(rm) => rm,
    };
    let (sz, lm) = (c.sew, c.lmul);
    let (vd, vs1, vs2) = (inst.vd, inst.vs1, inst.vs2);
    let scalar = inst.scalar();
    let check = |ok: bool| if ok { Ok(()) } else { Err(()) };
    let mask_dest = matches!(
        inst.op,
        Mfeq | Mfne
            | Mflt
            | Mfle
            | Mfgt
            | Mfge
            | FmvFS
            | Fredusum
            | Fredosum
            | Fredmin
            | Fredmax
            | Fwredusum
            | Fwredosum
    );
    check(mask_dest || inst.unmasked() || vd != 0)?;
    let mut flags = 0u8;
    let mut acc = |(r, f): (u64, u8)| {
        flags |= f;
        r
    };
    let body = c.vstart..c.vl;
    match inst.op {
        Fadd | Fsub | Frsub | Fmul | Fdiv | Frdiv | Fmin | Fmax | Fsgnj | Fsgnjn | Fsgnjx => {
            let p = prec_of(sz, inst)?;
            check(group_ok(vd, lm) && group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)))?;
            let f = scalar_operand(p, a);
            for i in body {
                if !active(v, inst, i) {
                    continue;
                }
                let src = |s: FSrc| match s {
                    FSrc::Vs1 if scalar => f,
                    FSrc::Vs1 => get(v, vs1, i, sz),
                    FSrc::Vs2 => get(v, vs2, i, sz),
                    FSrc::Vd => get(v, vd, i, sz),
                };
                let (op, l, r) = binary_form(inst.op).ok_or(())?;
                let r = acc(sf::binary(op, p, rm, src(l), src(r)));
                set(v, vd, i, sz, r);
            }
        }
        Fmacc | Fnmacc | Fmsac | Fnmsac | Fmadd | Fnmadd | Fmsub | Fnmsub => {
            let p = prec_of(sz, inst)?;
            check(group_ok(vd, lm) && group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)))?;
            let f = scalar_operand(p, a);
            for i in body {
                if !active(v, inst, i) {
                    continue;
                }
                let src = |s: FSrc| match s {
                    FSrc::Vs1 if scalar => f,
                    FSrc::Vs1 => get(v, vs1, i, sz),
                    FSrc::Vs2 => get(v, vs2, i, sz),
                    FSrc::Vd => get(v, vd, i, sz),
                };
                let (op, m1, m2, addend) = ternary_form(inst.op).ok_or(())?;
                let r = acc(sf::ternary(op, p, rm, src(m1), src(m2), src(addend)));
                set(v, vd, i, sz, r);
            }
        }
        Fsqrt | Frsqrt7 | Frec7 | Fclass => {
            let p = prec_of(sz, inst)?;
            check(group_ok(vd, lm) && group_ok(vs2, lm))?;
            for i in body {
                if !active(v, inst, i) {
                    continue;
                }
                let x = get(v, vs2, i, sz);
                let r = acc(match inst.op {
                    Fsqrt => sf::unary(FUnOp::Sqrt, p, rm, x),
                    Frsqrt7 => sf::rsqrt7(p, x),
                    Frec7 => sf::rec7(p, rm, x),
                    _ => sf::unary(FUnOp::Class, p, rm, x),
                });
                set(v, vd, i, sz, r);
            }
        }
        Fwadd | Fwsub | FwaddW | FwsubW | Fwmul | Fwmacc | Fwnmacc | Fwmsac | Fwnmsac => {
            // §31.13.3/5/7: SEW sources widened exactly to 2*SEW (a
            // signalling NaN raises NV there), one 2*SEW operation:
            // binary32 → binary64, or binary16 → binary32 with Zvfh.
            let (wp, up) = widened(prec_of(sz, inst)?)?;
            check(lm < 3)?;
            let wide2 = matches!(inst.op, FwaddW | FwsubW);
            let e2 = if wide2 { lm + 1 } else { lm };
            check(
                group_ok(vd, lm + 1)
                    && group_ok(vs2, e2)
                    && overlap_ok(vd, lm + 1, vs2, e2, !wide2)
                    && (scalar || (group_ok(vs1, lm) && overlap_ok(vd, lm + 1, vs1, lm, true))),
            )?;
            let f = scalar_operand(prec_of(sz, inst)?, a);
            let w = 2 * sz;
            for i in body {
                if !active(v, inst, i) {
                    continue;
                }
                let x = if wide2 { get(v, vs2, i, w) } else { acc(sf::convert(up, rm, get(v, vs2, i, sz))) };
                let y = acc(sf::convert(up, rm, if scalar { f } else { get(v, vs1, i, sz) }));
                let d = get(v, vd, i, w);
                let r = acc(match inst.op {
                    Fwadd | FwaddW => sf::binary(FBinOp::Add, wp, rm, x, y),
                    Fwsub | FwsubW => sf::binary(FBinOp::Sub, wp, rm, x, y),
                    Fwmul => sf::binary(FBinOp::Mul, wp, rm, x, y),
                    Fwmacc => sf::ternary(FTernOp::Madd, wp, rm, y, x, d),
                    Fwnmacc => sf::ternary(FTernOp::Nmadd, wp, rm, y, x, d),
                    Fwmsac => sf::ternary(FTernOp::Msub, wp, rm, y, x, d),
                    _ => sf::ternary(FTernOp::Nmsub, wp, rm, y, x, d),
                });
                set(v, vd, i, w, r);
            }
        }
        Mfeq | Mfne | Mflt | Mfle | Mfgt | Mfge => {
            let p = prec_of(sz, inst)?;
            check(
                group_ok(vs2, lm)
                    && overlap_ok(vd, 0, vs2, lm, false)
                    && (scalar || (group_ok(vs1, lm) && overlap_ok(vd, 0, vs1, lm, false))),
            )?;
            let f = scalar_operand(p, a);
            let mut out = Vec::with_capacity(c.vl);
            for i in body {
                if !active(v, inst, i) {
                    continue;
                }
                let (x, y) = (get(v, vs2, i, sz), if scalar { f } else { get(v, vs1, i, sz) });
                let r = match inst.op {
                    Mfeq => acc(sf::binary(FBinOp::Eq, p, rm, x, y)) != 0,
                    Mfne => acc(sf::binary(FBinOp::Eq, p, rm, x, y)) == 0,
                    Mflt => acc(sf::binary(FBinOp::Lt, p, rm, x, y)) != 0,
                    Mfle => acc(sf::binary(FBinOp::Le, p, rm, x, y)) != 0,
                    Mfgt => acc(sf::binary(FBinOp::Lt, p, rm, y, x)) != 0,
                    _ => acc(sf::binary(FBinOp::Le, p, rm, y, x)) != 0,
                };
                out.push((i, r));
            }
            for (i, r) in out {
                set_bit(v, vd, i, r);
            }
        }
        FcvtXuF | FcvtXF | FcvtFXu | FcvtFX | FcvtRtzXuF | FcvtRtzXF => {
            let p = prec_of(sz, inst)?;
            check(group_ok(vd, lm) && group_ok(vs2, lm))?;
            if p == Prec::H {
                // binary16 <-> 16-bit integers (Zvfh).
                for i in body {
                    if active(v, inst, i) {
                        let x = get(v, vs2, i, 2);
                        let r = acc(match inst.op {
                            FcvtXuF => sf::float_to_narrow_int(p, 16, false, rm, x),
                            FcvtXF => sf::float_to_narrow_int(p, 16, true, rm, x),
                            FcvtRtzXuF => sf::float_to_narrow_int(p, 16, false, Rm::Rtz, x),
                            FcvtRtzXF => sf::float_to_narrow_int(p, 16, true, Rm::Rtz, x),
                            FcvtFXu => sf::convert(CvtOp::HWu, rm, x),
                            _ => sf::convert(CvtOp::HW, rm, x as u16 as i16 as i64 as u64),
                        });
                        set(v, vd, i, 2, r);
                    }
                }
                return Ok((0, flags));
            }
            let (op, rm) = match (inst.op, p) {
                (FcvtXuF, Prec::S) => (CvtOp::WuS, rm),
                (FcvtXF, Prec::S) => (CvtOp::WS, rm),
                (FcvtFXu, Prec::S) => (CvtOp::SWu, rm),
                (FcvtFX, Prec::S) => (CvtOp::SW, rm),
                (FcvtRtzXuF, Prec::S) => (CvtOp::WuS, Rm::Rtz),
                (FcvtRtzXF, Prec::S) => (CvtOp::WS, Rm::Rtz),
                (FcvtXuF, _) => (CvtOp::LuD, rm),
                (FcvtXF, _) => (CvtOp::LD, rm),
                (FcvtFXu, _) => (CvtOp::DLu, rm),
                (FcvtFX, _) => (CvtOp::DL, rm),
                (FcvtRtzXuF, _) => (CvtOp::LuD, Rm::Rtz),
                _ => (CvtOp::LD, Rm::Rtz),
            };
            for i in body {
                if active(v, inst, i) {
                    let r = acc(sf::convert(op, rm, get(v, vs2, i, sz)));
                    set(v, vd, i, sz, r);
                }
            }
        }
        FwcvtXuF | FwcvtXF | FwcvtFXu | FwcvtFX | FwcvtFF | FwcvtRtzXuF | FwcvtRtzXF => {
            // SEW-wide source, 2*SEW-wide result. The integer → FP forms
            // read int16 (into binary32) or int32 (into binary64);
            // vfwcvt.f.f.v reads binary16 with Zvfhmin (`inst.half()`); the
            // others read binary32 (binary16 would need Zvfh).
            let int_src = matches!(inst.op, FwcvtFXu | FwcvtFX);
            let half_src = inst.op == FwcvtFF && inst.half();
            // With Zvfh (`inst.half()` on every FP instruction) also
            // binary16 → int32 at SEW 16 and int8 → binary16 at SEW 8.
            let zvfh = inst.half() && inst.op != FwcvtFF;
            check(
                lm < 3
                    && (sz == 4 || (sz == 2 && (int_src || half_src || zvfh)) || (sz == 1 && int_src && inst.half())),
            )?;
            check(group_ok(vd, lm + 1) && group_ok(vs2, lm) && overlap_ok(vd, lm + 1, vs2, lm, true))?;
            let (op, rm) = match (inst.op, sz) {
                (FwcvtXuF, 2) => (CvtOp::WuH, rm),
                (FwcvtXF, 2) => (CvtOp::WH, rm),
                (FwcvtRtzXuF, 2) => (CvtOp::WuH, Rm::Rtz),
                (FwcvtRtzXF, 2) => (CvtOp::WH, Rm::Rtz),
                (FwcvtFXu, 1) => (CvtOp::HWu, rm),
                (FwcvtFX, 1) => (CvtOp::HW, rm),
                (FwcvtXuF, _) => (CvtOp::LuS, rm),
                (FwcvtXF, _) => (CvtOp::LS, rm),
                (FwcvtRtzXuF, _) => (CvtOp::LuS, Rm::Rtz),
                (FwcvtRtzXF, _) => (CvtOp::LS, Rm::Rtz),
                (FwcvtFF, 2) => (CvtOp::SH, rm),
                (FwcvtFF, _) => (CvtOp::DS, rm),
                (FwcvtFXu, 2) => (CvtOp::SWu, rm),
                (FwcvtFX, 2) => (CvtOp::SW, rm),
                (FwcvtFXu, _) => (CvtOp::DWu, rm),
                _ => (CvtOp::DW, rm),
            };
            for i in body {
                if active(v, inst, i) {
                    let x = get(v, vs2, i, sz);
                    // Sign-extend a signed int8/int16 (the int32 ones are read
                    // as 32 bits by the conversion itself).
                    let x = if inst.op == FwcvtFX && sz < 4 { super::exec::sext(x, sz) as u64 } else { x };
                    let r = acc(sf::convert(op, rm, x));
                    set(v, vd, i, sz * 2, r);
                }
            }
        }
        FncvtXuF | FncvtXF | FncvtFXu | FncvtFX | FncvtFF | FncvtRodFF | FncvtRtzXuF | FncvtRtzXF => {
            // 2*SEW-wide source, SEW-wide result. binary32 → int16, and
            // binary32 → binary16 with Zvfhmin, are legal at SEW 16;
            // everything else needs SEW 32.
            let to_int = matches!(inst.op, FncvtXuF | FncvtXF | FncvtRtzXuF | FncvtRtzXF);
            let to_half = inst.op == FncvtFF && inst.half();
            // With Zvfh also int32 → binary16 and round-to-odd binary32 →
            // binary16 at SEW 16, and binary16 → int8 at SEW 8.
            let zvfh = inst.half() && inst.op != FncvtFF;
            check(
                lm < 3 && (sz == 4 || (sz == 2 && (to_int || to_half || zvfh)) || (sz == 1 && to_int && inst.half())),
            )?;
            check(group_ok(vd, lm) && group_ok(vs2, lm + 1) && overlap_ok(vd, lm, vs2, lm + 1, false))?;
            let rtz = matches!(inst.op, FncvtRtzXuF | FncvtRtzXF);
            let rm = if rtz { Rm::Rtz } else { rm };
            let signed = matches!(inst.op, FncvtXF | FncvtRtzXF);
            for i in body {
                if !active(v, inst, i) {
                    continue;
                }
                let x = get(v, vs2, i, sz * 2);
                let r = acc(match (inst.op, sz) {
                    (FncvtFF, 2) => sf::convert(CvtOp::HS, rm, x),
                    (FncvtRodFF, 2) => sf::narrow_round_odd(Prec::H, x),
                    (FncvtFXu, 2) => sf::convert(CvtOp::HWu, rm, x),
                    (FncvtFX, 2) => sf::convert(CvtOp::HW, rm, x),
                    (_, 2) => sf::single_to_i16(signed, rm, x),
                    (_, 1) => sf::float_to_narrow_int(Prec::H, 8, signed, rm, x),
                    (FncvtFXu, _) => sf::convert(CvtOp::SLu, rm, x),
                    (FncvtFX, _) => sf::convert(CvtOp::SL, rm, x),
                    (FncvtFF, _) => sf::convert(CvtOp::SD, rm, x),
                    (FncvtRodFF, _) => sf::narrow_round_odd(Prec::S, x),
                    _ => sf::convert(if signed { CvtOp::WD } else { CvtOp::WuD }, rm, x),
                });
                set(v, vd, i, sz, r);
            }
        }
        Fredusum | Fredosum | Fredmin | Fredmax | Fwredusum | Fwredosum => {
            // §31.15.3-4: vs1[0] and the active elements, in element order;
            // with no active element vs1[0] is copied unchanged.
            let widen = matches!(inst.op, Fwredusum | Fwredosum);
            let narrow = prec_of(sz, inst)?;
            let (p, up) = if widen { widened(narrow)? } else { (narrow, CvtOp::DS) };
            check(c.vstart == 0 && group_ok(vs2, lm))?;
            if c.vl > 0 {
                let w = if widen { 2 * sz } else { sz };
                let mut sum = get(v, vs1, 0, w);
                for i in 0..c.vl {
                    if !active(v, inst, i) {
                        continue;
                    }
                    let x = get(v, vs2, i, sz);
                    let x = if widen { acc(sf::convert(up, rm, x)) } else { x };
                    let op = match inst.op {
                        Fredmin => FBinOp::Min,
                        Fredmax => FBinOp::Max,
                        _ => FBinOp::Add,
                    };
                    sum = acc(sf::binary(op, p, rm, sum, x));
                }
                set(v, vd, 0, w, sum);
            }
        }
        FmvFS => {
            // §31.16.2: element 0 to f[rd], whatever vl and vstart are.
            let p = prec_of(sz, inst)?;
            let x = get(v, vs2, 0, sz);
            let boxed = match p {
                Prec::H => eval::unary(UnOp::NanBoxH, x),
                Prec::S => eval::unary(UnOp::NanBox, x),
                Prec::D => x,
            };
            return Ok((boxed, 0));
        }
        Fmerge | FmvVF | FmvSF | Fslide1up | Fslide1down => {
            // The integer forms with the FP scalar as their operand.
            let p = prec_of(sz, inst)?;
            let op = match inst.op {
                Fmerge => Merge,
                FmvVF => Mv,
                FmvSF => MvSX,
                Fslide1up => Slide1up,
                _ => Slide1down,
            };
            integer(v, c, VInst { op, ..inst }, scalar_operand(p, a))?;
        }
        _ => return Err(()),
    }
    Ok((0, flags))
}

#[cfg(test)]
mod tests {
    use super::super::{VILL, execute};
    use super::*;
    use crate::cpu::Cpu;
    use crate::fp::{CANONICAL_NAN_S, DZ, NV, NX, OF};

    struct NoMem;

    impl super::super::VMemory for NoMem {
        type Fault = ();
        fn load(&mut self, _: u64, _: usize) -> Result<u64, ()> {
            Err(())
        }
        fn store(&mut self, _: u64, _: usize, _: u64) -> Result<(), ()> {
            Err(())
        }
    }

    fn vi(op: VOp, vd: u8, vs2: u8, vs1: u8, flags: u8) -> VInst {
        VInst { op, vd, vs1, vs2, flags, imm: 0 }
    }

    /// A CPU with `vl` elements of SEW `sew` bytes, LMUL 1.
    fn cpu(sew: usize, vl: u64) -> Cpu {
        let mut cpu = Cpu::default();
        let vsew = sew.trailing_zeros() as u64;
        execute(
            &mut cpu,
            VInst { op: VOp::Setivli, vd: 0, vs1: vl as u8, vs2: 0, flags: 1, imm: (vsew << 3) as i16 },
            0,
            0,
            &mut NoMem,
        )
        .unwrap();
        cpu
    }

    fn put(cpu: &mut Cpu, reg: u8, sz: usize, xs: &[u64]) {
        for (i, &x) in xs.iter().enumerate() {
            set(&mut cpu.vector, reg, i, sz, x);
        }
    }

    fn read(cpu: &Cpu, reg: u8, sz: usize, n: usize) -> Vec<u64> {
        (0..n).map(|i| get(&cpu.vector, reg, i, sz)).collect()
    }

    const ONE: u64 = 0x3f80_0000;
    const TWO: u64 = 0x4000_0000;
    const THREE: u64 = 0x4040_0000;

    #[test]
    fn add_is_per_element_with_masks_tail_and_flags() {
        let mut c = cpu(4, 3);
        put(&mut c, 2, 4, &[ONE, 0x7f80_0001, 0x7f7f_ffff, ONE]);
        put(&mut c, 3, 4, &[TWO, ONE, 0x7f7f_ffff, ONE]);
        put(&mut c, 1, 4, &[7, 7, 7, 7]);
        c.vector.regs[0] = 0b101; // v0: elements 0 and 2 active
        execute(&mut c, vi(VOp::Fadd, 1, 2, 3, 0), 0, 0, &mut NoMem).unwrap();
        // Element 1 (an sNaN) is inactive: no NV; element 2 overflows.
        assert_eq!(read(&c, 1, 4, 4), [THREE, 7, 0x7f80_0000, 7]);
        assert_eq!(c.fflags, 4 | 1);
        execute(&mut c, vi(VOp::Fadd, 1, 2, 3, 1), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 4, 2), [THREE, CANONICAL_NAN_S]);
        assert_eq!(c.fflags & u64::from(NV), u64::from(NV));
    }

    #[test]
    fn scalar_operand_is_unboxed_and_frm_is_used() {
        let mut c = cpu(4, 2);
        put(&mut c, 2, 4, &[ONE, ONE]);
        // A properly boxed 2.0, and an improperly boxed one (canonical NaN).
        execute(&mut c, vi(VOp::Fmul, 1, 2, 0, 3), 0xffff_ffff_0000_0000 | TWO, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 4, 2), [TWO, TWO]);
        execute(&mut c, vi(VOp::Fmul, 1, 2, 0, 3), TWO, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 4, 2), [CANONICAL_NAN_S, CANONICAL_NAN_S]);
        // 1/3 rounds down under RDN, up under RUP.
        c.frm = 2;
        put(&mut c, 2, 4, &[THREE, THREE]);
        execute(&mut c, vi(VOp::Frdiv, 1, 2, 0, 3), 0xffff_ffff_0000_0000 | ONE, 0, &mut NoMem).unwrap();
        let down = read(&c, 1, 4, 1)[0];
        c.frm = 3;
        execute(&mut c, vi(VOp::Frdiv, 1, 2, 0, 3), 0xffff_ffff_0000_0000 | ONE, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 4, 1)[0], down + 1);
        assert_eq!(c.fflags, u64::from(NX));
        // A reserved frm makes every FP instruction illegal.
        c.frm = 5;
        let r = execute(&mut c, vi(VOp::Fsgnj, 1, 2, 2, 1), 0, 0, &mut NoMem);
        assert_eq!(r, Err(super::super::VTrap::Illegal));
    }

    #[test]
    fn sew_16_fp_is_illegal_but_int16_conversions_are_not() {
        let mut c = cpu(2, 2);
        let r = execute(&mut c, vi(VOp::Fadd, 1, 2, 3, 1), 0, 0, &mut NoMem);
        assert_eq!(r, Err(super::super::VTrap::Illegal));
        put(&mut c, 2, 2, &[0xffff, 3]);
        execute(&mut c, vi(VOp::FwcvtFX, 4, 2, 0, 1), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 4, 4, 2), [0xbf80_0000, 0x4040_0000]);
        put(&mut c, 6, 4, &[0x4f00_0000, 0x3fc0_0000]); // 2^31, 1.5
        execute(&mut c, vi(VOp::FncvtXF, 8, 6, 0, 1), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 8, 2, 2), [0x7fff, 2]);
        assert_eq!(c.fflags, u64::from(NV | NX));
    }

    /// Zvfhmin: binary16 <-> binary32 at SEW 16 when the lifter marks the
    /// instruction [`VInst::HALF`], reserved without it; the other SEW 16
    /// FP operations stay reserved either way (they need Zvfh).
    #[test]
    fn zvfhmin_converts_half_only_when_the_machine_has_it() {
        let mut c = cpu(2, 4);
        // 1.0, -2.0, the smallest subnormal, a signalling NaN.
        put(&mut c, 2, 2, &[0x3c00, 0xc000, 0x0001, 0x7c01]);
        let r = execute(&mut c, vi(VOp::FwcvtFF, 4, 2, 0, 1), 0, 0, &mut NoMem);
        assert_eq!(r, Err(super::super::VTrap::Illegal));
        execute(&mut c, vi(VOp::FwcvtFF, 4, 2, 0, 1 | VInst::HALF), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 4, 4, 4), [ONE, 0xc000_0000, 0x3380_0000, CANONICAL_NAN_S]);
        assert_eq!(c.fflags, u64::from(NV));
        // Back: 1.0 exact, 65520 overflows to inf (OF|NX), 1 + 2^-11 rounds to even.
        c.fflags = 0;
        put(&mut c, 6, 4, &[ONE, 0x477f_f000, 0x3f80_1000, 0xc000_0000]);
        execute(&mut c, vi(VOp::FncvtFF, 8, 6, 0, 1 | VInst::HALF), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 8, 2, 4), [0x3c00, 0x7c00, 0x3c00, 0xc000]);
        assert_eq!(c.fflags, u64::from(OF | NX));
        let r = execute(&mut c, vi(VOp::FncvtFF, 8, 6, 0, 1), 0, 0, &mut NoMem);
        assert_eq!(r, Err(super::super::VTrap::Illegal));
        // Without Zvfh the lifter marks no other instruction HALF.
        for op in [VOp::FncvtRodFF, VOp::Fadd, VOp::FcvtXF] {
            let r = execute(&mut c, vi(op, 8, 6, 6, 1), 0, 0, &mut NoMem);
            assert_eq!(r, Err(super::super::VTrap::Illegal), "{op:?}");
        }
    }

    /// Zvfh: binary16 elements for every FP instruction (the lifter marks
    /// them all HALF), through the scalar Zfh reference; values worked out
    /// by hand (binary16: 1 sign, 5 exponent bits, bias 15, 10 fraction
    /// bits).
    #[test]
    fn zvfh_runs_binary16_arithmetic_and_its_widening_forms() {
        const H: u8 = 1 | VInst::HALF;
        let mut c = cpu(2, 3);
        // 1.0, 2.0, 65504; 2.0, 0.5, 65504.
        put(&mut c, 2, 2, &[0x3c00, 0x4000, 0x7bff]);
        put(&mut c, 3, 2, &[0x4000, 0x3800, 0x7bff]);
        execute(&mut c, vi(VOp::Fadd, 1, 2, 3, H), 0, 0, &mut NoMem).unwrap();
        // 3.0, 2.5, and 131008 overflows to +inf.
        assert_eq!(read(&c, 1, 2, 3), [0x4200, 0x4100, 0x7c00]);
        assert_eq!(c.fflags, u64::from(OF | NX));
        // .vf: the f register NaN-unboxed to 16 bits (an unboxed value is the
        // canonical NaN 0x7e00).
        c.fflags = 0;
        execute(&mut c, vi(VOp::Fmul, 1, 2, 0, H | 2), 0xffff_ffff_ffff_3800, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 2, 3), [0x3800, 0x3c00, 0x77ff]);
        execute(&mut c, vi(VOp::Fmul, 1, 2, 0, H | 2), 0x3800, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 2, 3), [0x7e00; 3]);
        // vfwadd.vv: binary16 sources, one binary32 sum (65504 + 65504 is
        // finite there).
        c.fflags = 0;
        execute(&mut c, vi(VOp::Fwadd, 4, 2, 3, H), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 4, 4, 3), [0x4040_0000, 0x4020_0000, 0x47ff_e000]);
        assert_eq!(c.fflags, 0);
        // vfncvt.rod.f.f.w: 1 + 2^-11 is inexact in binary16: truncate and
        // set the last bit; vfncvt.x.f.w to int8 saturates.
        put(&mut c, 6, 4, &[0x3f80_1000, 0x3f80_0000, 0xc000_0000]);
        execute(&mut c, vi(VOp::FncvtRodFF, 8, 6, 0, H), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 8, 2, 3), [0x3c01, 0x3c00, 0xc000]);
        let mut c8 = cpu(1, 2);
        put(&mut c8, 6, 2, &[0x5bd0, 0xd800]); // 250.0, -128.0
        execute(&mut c8, vi(VOp::FncvtXF, 8, 6, 0, H), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c8, 8, 1, 2), [0x7f, 0x80]);
        assert_eq!(c8.fflags, u64::from(NV));
        // int8 -> binary16 and binary16 <-> int16; vfmv.f.s NaN-boxes.
        put(&mut c8, 2, 1, &[0xff, 100]);
        execute(&mut c8, vi(VOp::FwcvtFX, 4, 2, 0, H), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c8, 4, 2, 2), [0xbc00, 0x5640]);
        execute(&mut c, vi(VOp::FcvtXF, 10, 1, 0, H), 0, 0, &mut NoMem).unwrap();
        put(&mut c, 11, 2, &[0xfffe]);
        execute(&mut c, vi(VOp::FcvtFX, 12, 11, 0, H), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 12, 2, 1), [0xc000]);
        let r = execute(&mut c, vi(VOp::FmvFS, 0, 2, 0, H), 0, 0, &mut NoMem);
        assert_eq!(r, Ok(0xffff_ffff_ffff_3c00));
        // Widening needs SEW 16 or 32, and SEW 8 FP stays reserved.
        assert!(execute(&mut c8, vi(VOp::Fadd, 1, 2, 3, H), 0, 0, &mut NoMem).is_err());
    }

    #[test]
    fn fma_forms_pick_their_operands() {
        let mut c = cpu(8, 1);
        let d = |x: f64| x.to_bits();
        let run = |c: &mut Cpu, op| {
            put(c, 1, 8, &[d(10.0)]);
            put(c, 2, 8, &[d(3.0)]);
            put(c, 3, 8, &[d(2.0)]);
            execute(c, vi(op, 1, 2, 3, 1), 0, 0, &mut NoMem).unwrap();
            f64::from_bits(read(c, 1, 8, 1)[0])
        };
        // vd = 10, vs2 = 3, vs1 = 2.
        assert_eq!(run(&mut c, VOp::Fmacc), 16.0);
        assert_eq!(run(&mut c, VOp::Fnmacc), -16.0);
        assert_eq!(run(&mut c, VOp::Fmsac), -4.0);
        assert_eq!(run(&mut c, VOp::Fnmsac), 4.0);
        assert_eq!(run(&mut c, VOp::Fmadd), 23.0);
        assert_eq!(run(&mut c, VOp::Fnmadd), -23.0);
        assert_eq!(run(&mut c, VOp::Fmsub), 17.0);
        assert_eq!(run(&mut c, VOp::Fnmsub), -17.0);
    }

    #[test]
    fn reductions_compares_moves_and_estimates() {
        let mut c = cpu(4, 4);
        put(&mut c, 2, 4, &[ONE, TWO, THREE, 0x7fc0_0000]);
        put(&mut c, 3, 4, &[ONE]);
        c.vector.regs[0] = 0b0111;
        execute(&mut c, vi(VOp::Fredosum, 4, 2, 3, 0), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 4, 4, 1), [0x40e0_0000]); // 1 + 1 + 2 + 3 = 7
        execute(&mut c, vi(VOp::Fredmax, 4, 2, 3, 1), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 4, 4, 1), [THREE]); // the quiet NaN is ignored
        put(&mut c, 7, 8, &[1f64.to_bits()]);
        execute(&mut c, vi(VOp::Fwredosum, 6, 2, 7, 0), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 6, 8, 1), [7f64.to_bits()]);
        assert_eq!(c.fflags, 0);
        // vmflt.vf: vs2 < 2.0; vmfne with a NaN is true; vmflt signals on it.
        execute(&mut c, vi(VOp::Mflt, 5, 2, 0, 3), 0xffff_ffff_0000_0000 | TWO, 0, &mut NoMem).unwrap();
        assert_eq!(c.vector.regs[5 * 16] & 0xf, 0b0001);
        assert_eq!(c.fflags, u64::from(NV));
        execute(&mut c, vi(VOp::Mfne, 5, 2, 2, 1), 0, 0, &mut NoMem).unwrap();
        assert_eq!(c.vector.regs[5 * 16] & 0xf, 0b1000);
        // vfmv.f.s NaN-boxes; vfmv.s.f writes element 0 only.
        let r = execute(&mut c, vi(VOp::FmvFS, 1, 2, 0, 1), 0, 0, &mut NoMem);
        assert_eq!(r, Ok(0xffff_ffff_0000_0000 | ONE));
        execute(&mut c, vi(VOp::FmvSF, 2, 0, 0, 3), 0xffff_ffff_0000_0000 | THREE, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 2, 4, 2), [THREE, TWO]);
        // vfrec7(2.0) = 2^-2 * (1 + 127/128) (table[0] = 127); vfrec7(+0) = +inf.
        c.fflags = 0;
        put(&mut c, 2, 4, &[TWO, 0]);
        execute(&mut c, vi(VOp::Frec7, 1, 2, 0, 1), 0, 0, &mut NoMem).unwrap();
        assert_eq!(read(&c, 1, 4, 2), [0x3eff_0000, 0x7f80_0000]);
        assert_eq!(c.fflags, u64::from(DZ));
        // A reduction with vstart != 0 is illegal; so is anything after vill.
        c.vector.vstart = 1;
        assert!(execute(&mut c, vi(VOp::Fredosum, 4, 2, 3, 1), 0, 0, &mut NoMem).is_err());
        c.vector.vtype = VILL;
        assert!(execute(&mut c, vi(VOp::FmvFS, 1, 2, 0, 1), 0, 0, &mut NoMem).is_err());
    }
}
