//! Executing one vector instruction against a [`Cpu`] and guest memory.
//!
//! Element loops run from `vstart` to `vl`, skip inactive (masked-off)
//! elements and leave the tail undisturbed; `vstart` is reset to 0 when an
//! instruction completes and set to the faulting element when a memory
//! access faults (spec §31.3.7). Section numbers are those of the V 1.0
//! chapter of the unprivileged spec.

use super::{VILL, VInst, VMemory, VOp, VState, VTrap};
use crate::cpu::Cpu;

/// The active configuration: `vtype` decoded, `vl`, `vstart`.
#[derive(Clone, Copy)]
pub(super) struct Cfg {
    /// SEW in bytes.
    pub sew: usize,
    /// log2(LMUL), -3..=3.
    pub lmul: i32,
    pub vl: usize,
    pub vstart: usize,
    pub vlmax: usize,
}

fn vlmax(vlenb: u64, sew: usize, lmul: i32) -> usize {
    let bytes = if lmul >= 0 { (vlenb as usize) << lmul } else { (vlenb as usize) >> -lmul };
    bytes / sew.max(1)
}

/// `vtype` decoded, or `None` when it is one ferrovm does not support
/// (spec §31.3.4: SEW > ELEN = 64, LMUL 4 (reserved), SEW > LMUL × ELEN,
/// any reserved bit).
pub(super) fn decode_vtype(vtype: u64) -> Option<(usize, i32)> {
    let vsew = (vtype >> 3) & 7;
    let vlmul = (vtype & 7) as i32;
    if vtype >> 8 != 0 || vsew > 3 || vlmul == 4 {
        return None;
    }
    let sew = 1usize << vsew;
    let lmul = if vlmul >= 5 { vlmul - 8 } else { vlmul };
    if lmul < 0 && (64 >> -lmul) < sew * 8 {
        return None;
    }
    Some((sew, lmul))
}

fn cfg(v: &VState) -> Option<Cfg> {
    if v.vtype & VILL != 0 {
        return None;
    }
    let (sew, lmul) = decode_vtype(v.vtype)?;
    Some(Cfg { sew, lmul, vl: v.vl as usize, vstart: v.vstart as usize, vlmax: vlmax(v.vlenb, sew, lmul) })
}

pub(super) const fn ones(bytes: usize) -> u64 {
    if bytes >= 8 { u64::MAX } else { (1u64 << (bytes * 8)) - 1 }
}

pub(super) const fn sext(x: u64, bytes: usize) -> i64 {
    let sh = 64 - (bytes as u32) * 8;
    ((x << sh) as i64) >> sh
}

/// `N` bytes of the register file at `off`, zero-extended (0 out of range).
fn read<const N: usize>(regs: &[u8], off: usize) -> u64 {
    let mut buf = [0u8; 8];
    if let (Some(src), Some(dst)) = (regs.get(off..off + N), buf.get_mut(..N)) {
        dst.copy_from_slice(src);
    }
    u64::from_le_bytes(buf)
}

fn write<const N: usize>(regs: &mut [u8], off: usize, value: u64) {
    if let (Some(dst), Some(src)) = (regs.get_mut(off..off + N), value.to_le_bytes().get(..N)) {
        dst.copy_from_slice(src);
    }
}

// `get`/`set` dispatch on the element size so each copy has a constant
// length (a variable-length `copy_from_slice` is a `memcpy` call).
pub(super) fn get(v: &VState, reg: u8, i: usize, sz: usize) -> u64 {
    let off = usize::from(reg) * v.vlenb as usize + i * sz;
    match sz {
        1 => read::<1>(&v.regs, off),
        2 => read::<2>(&v.regs, off),
        4 => read::<4>(&v.regs, off),
        _ => read::<8>(&v.regs, off),
    }
}

pub(super) fn set(v: &mut VState, reg: u8, i: usize, sz: usize, value: u64) {
    let off = usize::from(reg) * v.vlenb as usize + i * sz;
    match sz {
        1 => write::<1>(&mut v.regs, off, value),
        2 => write::<2>(&mut v.regs, off, value),
        4 => write::<4>(&mut v.regs, off, value),
        _ => write::<8>(&mut v.regs, off, value),
    }
}

pub(super) fn bit(v: &VState, reg: u8, i: usize) -> bool {
    let off = usize::from(reg) * v.vlenb as usize + i / 8;
    v.regs.get(off).is_some_and(|b| b >> (i % 8) & 1 != 0)
}

pub(super) fn set_bit(v: &mut VState, reg: u8, i: usize, on: bool) {
    let off = usize::from(reg) * v.vlenb as usize + i / 8;
    if let Some(b) = v.regs.get_mut(off) {
        *b = (*b & !(1 << (i % 8))) | (u8::from(on) << (i % 8));
    }
}

pub(super) fn active(v: &VState, inst: VInst, i: usize) -> bool {
    inst.unmasked() || bit(v, 0, i)
}

/// Whether a register group of 2^`emul` registers may start at `reg`
/// (spec §31.3.4.2: groups are aligned and end at v31).
pub(super) fn group_ok(reg: u8, emul: i32) -> bool {
    let n = if emul > 0 { 1u32 << emul } else { 1 };
    (-3..=3).contains(&emul) && u32::from(reg) % n == 0 && u32::from(reg) + n <= 32
}

/// Whether the groups `[a, a + 2^ea)` and `[b, b + 2^eb)` share a register.
pub(super) fn overlap(a: u8, ea: i32, b: u8, eb: i32) -> bool {
    spans_overlap(a, 1 << ea.max(0), b, 1 << eb.max(0))
}

/// Whether the registers `[a, a + na)` and `[b, b + nb)` share one.
pub(super) fn spans_overlap(a: u8, na: u8, b: u8, nb: u8) -> bool {
    a < b.saturating_add(nb) && b < a.saturating_add(na)
}

/// Whether a destination group (`dst`, EMUL 2^`de`) may share registers
/// with a source group of another EEW (`src`, 2^`se`) (§31.5.2): when the
/// destination EEW is the wider (`widening`), only in the highest-numbered
/// part of the destination and only if the source EMUL is at least 1;
/// when it is the narrower (narrowing, mask results), only in the
/// lowest-numbered part of the source.
pub(super) fn overlap_ok(dst: u8, de: i32, src: u8, se: i32, widening: bool) -> bool {
    if !overlap(dst, de, src, se) {
        return true;
    }
    let (dn, sn) = (1u8 << de.max(0), 1u8 << se.max(0));
    if widening { se >= 0 && src == dst + dn - sn } else { src == dst }
}

type R<F> = Result<u64, VTrap<F>>;

/// Runs `inst` with scalar operands `a` (`x[rs1]` or the immediate) and
/// `b` (`x[rs2]`). Returns the scalar result (the new `vl` of `vsetvl*`,
/// `vmv.x.s`, `vcpop.m`, `vfirst.m`; 0 for the rest).
pub fn execute<M: VMemory>(cpu: &mut Cpu, inst: VInst, a: u64, b: u64, mem: &mut M) -> R<M::Fault> {
    use VOp::*;
    let frm = cpu.frm;
    let v = &mut cpu.vector;
    match inst.op {
        Setvli | Setivli | Setvl => return Ok(setvl(v, inst, a, b)),
        Lr | Sr => return whole(v, inst, a, mem),
        _ => {}
    }
    let Some(c) = cfg(v) else { return Err(VTrap::Illegal) };
    if !super::sources_ok(inst, c.sew, c.lmul) {
        return Err(VTrap::Illegal);
    }
    let mut fflags = 0;
    let r = match inst.op {
        Setvli | Setivli | Setvl | Lr | Sr => Ok(0),
        Le | Leff | Lse | Luxei | Loxei | Lm | Se | Sse | Suxei | Soxei | Sm => memory(v, c, inst, a, b, mem),
        op if op.is_fp() => super::fp::compute(v, c, inst, a, frm)
            .map(|(r, flags)| {
                fflags = flags;
                r
            })
            .map_err(|()| VTrap::Illegal),
        op if op.is_crypto() => super::crypto::compute(v, c, inst, a).map_err(|()| VTrap::Illegal),
        _ => compute(v, c, inst, a).map_err(|()| VTrap::Illegal),
    };
    if r.is_ok() {
        v.vstart = 0;
    }
    cpu.fflags |= u64::from(fflags);
    r
}

/// `vsetvli`/`vsetivli`/`vsetvl` (§31.6): `vl` = min(AVL, VLMAX).
fn setvl(v: &mut VState, inst: VInst, a: u64, b: u64) -> u64 {
    let (rd, rs1) = (inst.vd, inst.vs1);
    let vtype = inst.vtype_imm().unwrap_or(b);
    let avl = match inst.op {
        VOp::Setivli => u64::from(rs1),
        _ if rs1 != 0 => a,
        _ if rd != 0 => u64::MAX,
        _ => v.vl,
    };
    v.configure(avl, vtype)
}

impl VState {
    /// What `vsetvl` does with an application vector length and a `vtype`
    /// (§31.6): `vl` = min(`avl`, VLMAX), or `vtype.vill` and `vl` = 0 for
    /// a configuration ferrovm does not support; `vstart` = 0. Returns the
    /// new `vl`. (Also how `rt_sigreturn` puts back a saved `vl`/`vtype`,
    /// as Linux's restore does with `vsetvl`.)
    pub fn configure(&mut self, avl: u64, vtype: u64) -> u64 {
        self.vstart = 0;
        match decode_vtype(vtype) {
            Some((sew, lmul)) => {
                let max = vlmax(self.vlenb, sew, lmul) as u64;
                self.vtype = vtype;
                self.vl = avl.min(max);
            }
            None => {
                self.vtype = VILL;
                self.vl = 0;
            }
        }
        self.vl
    }
}

/// Whole-register loads and stores (§31.7.9): `nf` + 1 registers, no
/// masking, independent of `vtype` and `vl`.
fn whole<M: VMemory>(v: &mut VState, inst: VInst, base: u64, mem: &mut M) -> R<M::Fault> {
    let nreg = inst.nf() + 1;
    if !matches!(nreg, 1 | 2 | 4 | 8) || !group_ok(inst.vd, i32::from(nreg.trailing_zeros() as u8)) {
        return Err(VTrap::Illegal);
    }
    let eew = 1usize << (inst.imm & 3);
    let evl = usize::from(nreg) * v.vlenb as usize / eew;
    for i in v.vstart as usize..evl {
        let addr = base.wrapping_add((i * eew) as u64);
        let r = if inst.op == VOp::Lr {
            mem.load(addr, eew).map(|x| set(v, inst.vd, i, eew, x))
        } else {
            mem.store(addr, eew, get(v, inst.vd, i, eew))
        };
        if let Err(f) = r {
            v.vstart = i as u64;
            return Err(VTrap::Fault(f));
        }
    }
    v.vstart = 0;
    Ok(0)
}

/// Unit-stride, strided, indexed, segment, mask and fault-only-first loads
/// and stores (§31.7).
fn memory<M: VMemory>(v: &mut VState, c: Cfg, inst: VInst, base: u64, stride: u64, mem: &mut M) -> R<M::Fault> {
    use VOp::*;
    let load = matches!(inst.op, Le | Leff | Lse | Luxei | Loxei | Lm);
    let indexed = matches!(inst.op, Luxei | Loxei | Suxei | Soxei);
    let fields = usize::from(inst.nf()) + 1;
    let sew_log = c.sew.trailing_zeros() as i32;
    let code = i32::from(inst.imm & 3);
    // Data: EEW from the instruction (SEW for indexed); index EEW for indexed.
    let (eew, emul, idx_eew, idx_emul) = match inst.op {
        Lm | Sm => (1, 0, 0, 0),
        _ if indexed => (c.sew, c.lmul, 1usize << code, code - sew_log + c.lmul),
        _ => (1usize << code, code - sew_log + c.lmul, 0, 0),
    };
    let evl = if matches!(inst.op, Lm | Sm) { c.vl.div_ceil(8) } else { c.vl };
    let regs_per_field = 1i32 << emul.max(0);
    // An indexed load's destination (SEW) may share registers with its
    // index (another EEW) only as §5.2 allows, in each field's group; a
    // segment load's destinations none at all (§7.8.3).
    let index_overlap_ok = |f: i32| {
        let seg = (i32::from(inst.vd) + f * regs_per_field) as u8;
        if fields > 1 {
            !overlap(seg, emul, inst.vs2, idx_emul)
        } else {
            c.sew == idx_eew || overlap_ok(seg, emul, inst.vs2, idx_emul, c.sew > idx_eew)
        }
    };
    if !(-3..=3).contains(&emul)
        || fields as i32 * regs_per_field > 8
        || !group_ok(inst.vd, emul)
        || i32::from(inst.vd) + fields as i32 * regs_per_field > 32
        || (indexed && !group_ok(inst.vs2, idx_emul))
        || (indexed && load && !(0..fields as i32).all(index_overlap_ok))
        || (!inst.unmasked() && load && inst.vd == 0)
    {
        return Err(VTrap::Illegal);
    }
    for i in c.vstart..evl {
        if !matches!(inst.op, Lm | Sm) && !active(v, inst, i) {
            continue;
        }
        for f in 0..fields {
            let offset = match inst.op {
                Lse | Sse => stride.wrapping_mul(i as u64).wrapping_add((f * eew) as u64),
                _ if indexed => get(v, inst.vs2, i, idx_eew).wrapping_add((f * eew) as u64),
                _ => ((i * fields + f) * eew) as u64,
            };
            let addr = base.wrapping_add(offset);
            let reg = inst.vd + (f as i32 * regs_per_field) as u8;
            let r = if load {
                mem.load(addr, eew).map(|x| set(v, reg, i, eew, x))
            } else {
                mem.store(addr, eew, get(v, reg, i, eew))
            };
            if let Err(fault) = r {
                if inst.op == Leff && i > 0 {
                    // §31.7.7: a fault past element 0 only trims vl.
                    v.vl = i as u64;
                    return Ok(0);
                }
                v.vstart = i as u64;
                return Err(VTrap::Fault(fault));
            }
        }
    }
    Ok(0)
}

/// The rounding increment of shifting `x` right by `d` bits under `vxrm`
/// (§31.3.8 "Vector Fixed-Point Rounding Mode Register").
fn round_inc(x: u128, d: u32, vxrm: u64) -> u128 {
    if d == 0 {
        return 0;
    }
    let b = |k: u32| (x >> k) & 1;
    let low = |k: u32| if k == 0 { 0 } else { x & ((1u128 << k) - 1) };
    match vxrm & 3 {
        0 => b(d - 1),
        1 => b(d - 1) & u128::from(low(d - 1) != 0 || b(d) != 0),
        2 => 0,
        _ => u128::from(b(d) == 0 && low(d) != 0),
    }
}

fn roundoff_u(x: u128, d: u32, vxrm: u64) -> u128 {
    if d >= 128 { 0 } else { (x >> d) + round_inc(x, d, vxrm) }
}

fn roundoff_s(x: i128, d: u32, vxrm: u64) -> i128 {
    (x >> d.min(127)) + round_inc(x as u128, d.min(127), vxrm) as i128
}

/// Single-width integer and fixed-point element operations (§31.11-12):
/// `x` from `vs2`, `y` from `vs1`/the scalar, both `sz` bytes.
fn binop(op: VOp, x: u64, y: u64, sz: usize, vxrm: u64, sat: &mut bool) -> u64 {
    use VOp::*;
    let m = ones(sz);
    let bits = (sz * 8) as u32;
    let (sx, sy) = (sext(x, sz), sext(y, sz));
    let (smin, smax) = (i64::MIN >> (64 - bits), i64::MAX >> (64 - bits));
    let clamp = |r: i128, sat: &mut bool| -> u64 {
        if r > i128::from(smax) {
            *sat = true;
            smax as u64
        } else if r < i128::from(smin) {
            *sat = true;
            smin as u64
        } else {
            r as u64
        }
    };
    let sh = (y & u64::from(bits - 1)) as u32;
    let r = match op {
        Add => x.wrapping_add(y),
        Sub => x.wrapping_sub(y),
        Rsub => y.wrapping_sub(x),
        Minu => x.min(y),
        Min => sx.min(sy) as u64,
        Maxu => x.max(y),
        Max => sx.max(sy) as u64,
        And => x & y,
        Or => x | y,
        Xor => x ^ y,
        Sll => x << sh,
        Srl => x >> sh,
        Sra => (sx >> sh) as u64,
        Mul => x.wrapping_mul(y),
        Mulh => ((i128::from(sx) * i128::from(sy)) >> bits) as u64,
        Mulhu => ((u128::from(x) * u128::from(y)) >> bits) as u64,
        Mulhsu => ((i128::from(sx) * i128::from(y)) >> bits) as u64,
        Divu => x.checked_div(y).unwrap_or(u64::MAX),
        Div => match (sx, sy) {
            (_, 0) => u64::MAX,
            (a, -1) if a == smin => x,
            (a, b) => (a / b) as u64,
        },
        Remu => x.checked_rem(y).unwrap_or(x),
        Rem => match (sx, sy) {
            (a, 0) => a as u64,
            (a, -1) if a == smin => 0,
            (a, b) => (a % b) as u64,
        },
        Saddu => {
            let r = u128::from(x) + u128::from(y);
            if r > u128::from(m) {
                *sat = true;
                m
            } else {
                r as u64
            }
        }
        Sadd => clamp(i128::from(sx) + i128::from(sy), sat),
        Ssubu => {
            if x < y {
                *sat = true;
                0
            } else {
                x - y
            }
        }
        Ssub => clamp(i128::from(sx) - i128::from(sy), sat),
        Aaddu => roundoff_u(u128::from(x) + u128::from(y), 1, vxrm) as u64,
        Aadd => roundoff_s(i128::from(sx) + i128::from(sy), 1, vxrm) as u64,
        Asubu => roundoff_s(i128::from(x) - i128::from(y), 1, vxrm) as u64,
        Asub => roundoff_s(i128::from(sx) - i128::from(sy), 1, vxrm) as u64,
        Smul => {
            if sx == smin && sy == smin {
                *sat = true;
                smax as u64
            } else {
                clamp(roundoff_s(i128::from(sx) * i128::from(sy), bits - 1, vxrm), sat)
            }
        }
        // Zvbb: the rotate amount is the low log2(SEW) bits.
        Andn => x & !y,
        Rol => rotate_left(x, sh, bits),
        Ror => rotate_left(x, (bits - sh) & (bits - 1), bits),
        Ssrl => roundoff_u(u128::from(x), sh, vxrm) as u64,
        Ssra => roundoff_s(i128::from(sx), sh, vxrm) as u64,
        // Zvbc (SEW 64 only, checked by `compute`): the scalar Zbc
        // clmul/clmulh, the low and high halves of the 128-bit product.
        Clmul => crate::eval::binary(crate::BinOp::Clmul, x, y),
        Clmulh => crate::eval::binary(crate::BinOp::ClmulH, x, y),
        _ => 0,
    };
    r & m
}

/// `x` (the low `bits` bits) rotated left by `sh` < `bits`.
fn rotate_left(x: u64, sh: u32, bits: u32) -> u64 {
    if sh == 0 { x } else { (x << sh | x >> (bits - sh)) & ones(bits as usize / 8) }
}

/// Zvbb's unary element operations on an element of `sz` bytes.
fn bitop(op: VOp, x: u64, sz: usize) -> u64 {
    let bits = (sz * 8) as u32;
    // The element in the high bits of a u64, so the u64 operations give
    // the element's answer (and a count of `bits` for zero).
    let top = x << (64 - bits);
    match op {
        VOp::Brev => top.reverse_bits(),
        VOp::Brev8 => u64::from_le_bytes(x.to_le_bytes().map(u8::reverse_bits)),
        VOp::Rev8 => top.swap_bytes(),
        VOp::Clz => u64::from(top.leading_zeros().min(bits)),
        VOp::Ctz => u64::from(x.trailing_zeros().min(bits)),
        _ => u64::from(x.count_ones()),
    }
}

/// Compares (§31.11.8).
fn compare(op: VOp, x: u64, y: u64, sz: usize) -> bool {
    use VOp::*;
    let (sx, sy) = (sext(x, sz), sext(y, sz));
    match op {
        Mseq => x == y,
        Msne => x != y,
        Msltu => x < y,
        Mslt => sx < sy,
        Msleu => x <= y,
        Msle => sx <= sy,
        Msgtu => x > y,
        _ => sx > sy,
    }
}

/// Everything but configuration and memory.
#[expect(clippy::too_many_lines, reason = "one dispatch over the V 1.0 operation groups, each a few lines")]
pub(super) fn compute(v: &mut VState, c: Cfg, inst: VInst, a: u64) -> Result<u64, ()> {
    use VOp::*;
    let sz = c.sew;
    let (vd, vs1, vs2) = (inst.vd, inst.vs1, inst.vs2);
    let lm = c.lmul;
    let vxrm = v.vxrm;
    let scalar = inst.scalar();
    let src1 = |v: &VState, i: usize, sz: usize| if scalar { a & ones(sz) } else { get(v, vs1, i, sz) };
    let check = |ok: bool| if ok { Ok(()) } else { Err(()) };
    // A mask result (EEW 1, one register) may share a register with a SEW
    // source group only as its lowest register (§5.2: mask elements have
    // EEW 1 for the overlap rules).
    let mask_result_ok =
        |vd: u8, lm: i32| overlap_ok(vd, 0, vs2, lm, false) && (scalar || overlap_ok(vd, 0, vs1, lm, false));
    // Masked destinations other than masks may not be v0 (§31.5.3).
    let mask_dest = matches!(
        inst.op,
        Mseq | Msne
            | Msltu
            | Mslt
            | Msleu
            | Msle
            | Msgtu
            | Msgt
            | Madc
            | Msbc
            | Mandn
            | Mand
            | Mor
            | Mxor
            | Morn
            | Mnand
            | Mnor
            | Mxnor
            | Cpop
            | First
            | MvXS
            | Redsum
            | Redand
            | Redor
            | Redxor
            | Redminu
            | Redmin
            | Redmaxu
            | Redmax
            | Wredsumu
            | Wredsum
    );
    if !mask_dest && !inst.unmasked() && vd == 0 {
        return Err(());
    }
    let mut sat = false;
    let mut result = 0;
    match inst.op {
        Add | Sub | Rsub | Minu | Min | Maxu | Max | And | Or | Xor | Sll | Srl | Sra | Mul | Mulh | Mulhu | Mulhsu
        | Divu | Div | Remu | Rem | Saddu | Sadd | Ssubu | Ssub | Aaddu | Aadd | Asubu | Asub | Smul | Ssrl | Ssra
        | Andn | Rol | Ror | Clmul | Clmulh => {
            // Zvbc: SEW other than 64 is reserved (vector crypto spec, vclmul).
            let sew_ok = sz == 8 || !matches!(inst.op, Clmul | Clmulh);
            check(sew_ok && group_ok(vd, lm) && group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)))?;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    let r = binop(inst.op, get(v, vs2, i, sz), src1(v, i, sz), sz, vxrm, &mut sat);
                    set(v, vd, i, sz, r);
                }
            }
        }
        Macc | Nmsac | Madd | Nmsub => {
            check(group_ok(vd, lm) && group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)))?;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    let (x, y, d) = (get(v, vs2, i, sz), src1(v, i, sz), get(v, vd, i, sz));
                    let r = match inst.op {
                        Macc => y.wrapping_mul(x).wrapping_add(d),
                        Nmsac => d.wrapping_sub(y.wrapping_mul(x)),
                        Madd => y.wrapping_mul(d).wrapping_add(x),
                        _ => x.wrapping_sub(y.wrapping_mul(d)),
                    };
                    set(v, vd, i, sz, r & ones(sz));
                }
            }
        }
        Merge | Mv => {
            check(group_ok(vd, lm) && (inst.op == Mv || group_ok(vs2, lm)) && (scalar || group_ok(vs1, lm)))?;
            for i in c.vstart..c.vl {
                let take1 = inst.op == Mv || bit(v, 0, i);
                let r = if take1 { src1(v, i, sz) } else { get(v, vs2, i, sz) };
                set(v, vd, i, sz, r);
            }
        }
        Adc | Sbc => {
            check(group_ok(vd, lm) && group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)) && vd != 0)?;
            for i in c.vstart..c.vl {
                let (x, y, cin) = (get(v, vs2, i, sz), src1(v, i, sz), u64::from(bit(v, 0, i)));
                let r = if inst.op == Adc {
                    x.wrapping_add(y).wrapping_add(cin)
                } else {
                    x.wrapping_sub(y).wrapping_sub(cin)
                };
                set(v, vd, i, sz, r & ones(sz));
            }
        }
        Madc | Msbc => {
            check(group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)) && mask_result_ok(vd, lm))?;
            let carry_in = !inst.unmasked();
            let mut out = Vec::with_capacity(c.vl);
            for i in c.vstart..c.vl {
                let (x, y) = (u128::from(get(v, vs2, i, sz)), u128::from(src1(v, i, sz)));
                let cin = u128::from(carry_in && bit(v, 0, i));
                let co = if inst.op == Madc { (x + y + cin) >> (sz * 8) != 0 } else { x < y + cin };
                out.push((i, co));
            }
            for (i, co) in out {
                set_bit(v, vd, i, co);
            }
        }
        Mseq | Msne | Msltu | Mslt | Msleu | Msle | Msgtu | Msgt => {
            check(group_ok(vs2, lm) && (scalar || group_ok(vs1, lm)) && mask_result_ok(vd, lm))?;
            let mut out = Vec::with_capacity(c.vl);
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    out.push((i, compare(inst.op, get(v, vs2, i, sz), src1(v, i, sz), sz)));
                }
            }
            for (i, r) in out {
                set_bit(v, vd, i, r);
            }
        }
        Waddu | Wadd | Wsubu | Wsub | WadduW | WaddW | WsubuW | WsubW | Wmulu | Wmulsu | Wmul | Wmaccu | Wmacc
        | Wmaccsu | Wmaccus => {
            let wide2 = matches!(inst.op, WadduW | WaddW | WsubuW | WsubW);
            // The 2·SEW destination may share registers with a SEW source
            // only in its highest part, for a source EMUL of at least 1
            // (§5.2); a `.w` form's vs2 has its EEW.
            check(
                sz <= 4
                    && lm < 3
                    && group_ok(vd, lm + 1)
                    && group_ok(vs2, if wide2 { lm + 1 } else { lm })
                    && (scalar || group_ok(vs1, lm))
                    && (wide2 || overlap_ok(vd, lm + 1, vs2, lm, true))
                    && (scalar || overlap_ok(vd, lm + 1, vs1, lm, true)),
            )?;
            let w = sz * 2;
            for i in c.vstart..c.vl {
                if !active(v, inst, i) {
                    continue;
                }
                let x = get(v, vs2, i, if wide2 { w } else { sz });
                let y = src1(v, i, sz);
                let (zx, sx) = (x, sext(x, sz) as u64);
                let (zy, sy) = (y, sext(y, sz) as u64);
                let (wx_s, wx_z) = if wide2 { (x, x) } else { (sx, zx) };
                let d = get(v, vd, i, w);
                let r = match inst.op {
                    Waddu | WadduW => wx_z.wrapping_add(zy),
                    Wadd | WaddW => wx_s.wrapping_add(sy),
                    Wsubu | WsubuW => wx_z.wrapping_sub(zy),
                    Wsub | WsubW => wx_s.wrapping_sub(sy),
                    Wmulu => zx.wrapping_mul(zy),
                    Wmulsu => sx.wrapping_mul(zy),
                    Wmul => sx.wrapping_mul(sy),
                    Wmaccu => zy.wrapping_mul(zx).wrapping_add(d),
                    Wmacc => sy.wrapping_mul(sx).wrapping_add(d),
                    Wmaccsu => sy.wrapping_mul(zx).wrapping_add(d),
                    _ => zy.wrapping_mul(sx).wrapping_add(d),
                };
                set(v, vd, i, w, r & ones(w));
            }
        }
        Brev | Brev8 | Rev8 | Clz | Ctz | CpopV => {
            check(group_ok(vd, lm) && group_ok(vs2, lm))?;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    let r = bitop(inst.op, get(v, vs2, i, sz), sz);
                    set(v, vd, i, sz, r & ones(sz));
                }
            }
        }
        Wsll => {
            // Zvbb vwsll: 2*SEW = zext(vs2) << (the low log2(2*SEW) bits of
            // vs1/rs1/uimm5), with the widening overlap rules (§31.5.2).
            check(
                sz <= 4
                    && lm < 3
                    && group_ok(vd, lm + 1)
                    && group_ok(vs2, lm)
                    && overlap_ok(vd, lm + 1, vs2, lm, true)
                    && (scalar || (group_ok(vs1, lm) && overlap_ok(vd, lm + 1, vs1, lm, true))),
            )?;
            let w = sz * 2;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    let sh = src1(v, i, sz) & (w as u64 * 8 - 1);
                    let r = get(v, vs2, i, sz) << sh;
                    set(v, vd, i, w, r & ones(w));
                }
            }
        }
        Nsrl | Nsra | Nclipu | Nclip => {
            // The SEW destination may share registers with the 2·SEW vs2
            // only in vs2's lowest part (§5.2).
            check(
                sz <= 4
                    && lm < 3
                    && group_ok(vd, lm)
                    && group_ok(vs2, lm + 1)
                    && (scalar || group_ok(vs1, lm))
                    && overlap_ok(vd, lm, vs2, lm + 1, false),
            )?;
            let w = sz * 2;
            let bits = (sz * 8) as u32;
            for i in c.vstart..c.vl {
                if !active(v, inst, i) {
                    continue;
                }
                let x = get(v, vs2, i, w);
                let sh = (src1(v, i, sz) & u64::from(2 * bits - 1)) as u32;
                let r = match inst.op {
                    Nsrl => x >> sh,
                    Nsra => (sext(x, w) >> sh) as u64,
                    Nclipu => {
                        let r = roundoff_u(u128::from(x), sh, vxrm);
                        if r > u128::from(ones(sz)) {
                            sat = true;
                            ones(sz)
                        } else {
                            r as u64
                        }
                    }
                    _ => {
                        let r = roundoff_s(i128::from(sext(x, w)), sh, vxrm);
                        let (lo, hi) = (i128::from(sext(1 << (bits - 1), sz)), i128::from(ones(sz) >> 1));
                        if r > hi {
                            sat = true;
                            hi as u64
                        } else if r < lo {
                            sat = true;
                            lo as u64
                        } else {
                            r as u64
                        }
                    }
                };
                set(v, vd, i, sz, r & ones(sz));
            }
        }
        Zext2 | Zext4 | Zext8 | Sext2 | Sext4 | Sext8 => {
            let f = match inst.op {
                Zext2 | Sext2 => 1,
                Zext4 | Sext4 => 2,
                _ => 3,
            };
            let from = sz >> f;
            check(from >= 1 && group_ok(vd, lm) && group_ok(vs2, lm - f) && overlap_ok(vd, lm, vs2, lm - f, true))?;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    let x = get(v, vs2, i, from);
                    let r = if matches!(inst.op, Sext2 | Sext4 | Sext8) { sext(x, from) as u64 } else { x };
                    set(v, vd, i, sz, r & ones(sz));
                }
            }
        }
        Redsum | Redand | Redor | Redxor | Redminu | Redmin | Redmaxu | Redmax | Wredsumu | Wredsum => {
            let widen = matches!(inst.op, Wredsumu | Wredsum);
            check(c.vstart == 0 && group_ok(vs2, lm) && (!widen || sz <= 4))?;
            if c.vl > 0 {
                let w = if widen { sz * 2 } else { sz };
                let mut acc = get(v, vs1, 0, w);
                for i in 0..c.vl {
                    if !active(v, inst, i) {
                        continue;
                    }
                    let x = get(v, vs2, i, sz);
                    acc = match inst.op {
                        Redsum | Wredsumu => acc.wrapping_add(x),
                        Wredsum => acc.wrapping_add(sext(x, sz) as u64),
                        Redand => acc & x,
                        Redor => acc | x,
                        Redxor => acc ^ x,
                        Redminu => acc.min(x),
                        Redmaxu => acc.max(x),
                        Redmin => sext(acc, sz).min(sext(x, sz)) as u64,
                        _ => sext(acc, sz).max(sext(x, sz)) as u64,
                    } & ones(w);
                }
                set(v, vd, 0, w, acc);
            }
        }
        Mandn | Mand | Mor | Mxor | Morn | Mnand | Mnor | Mxnor => {
            for i in c.vstart..c.vl {
                let (x, y) = (bit(v, vs2, i), bit(v, vs1, i));
                let r = match inst.op {
                    Mandn => x && !y,
                    Mand => x && y,
                    Mor => x || y,
                    Mxor => x != y,
                    Morn => x || !y,
                    Mnand => !(x && y),
                    Mnor => !(x || y),
                    _ => x == y,
                };
                set_bit(v, vd, i, r);
            }
        }
        Cpop | First => {
            check(c.vstart == 0)?;
            let mut hits = (0..c.vl).filter(|&i| active(v, inst, i) && bit(v, vs2, i));
            result = if inst.op == Cpop { hits.count() as u64 } else { hits.next().map_or(u64::MAX, |i| i as u64) };
        }
        Msbf | Msif | Msof => {
            check(c.vstart == 0 && vd != vs2 && (inst.unmasked() || vd != 0))?;
            let mut found = false;
            for i in 0..c.vl {
                if !active(v, inst, i) {
                    continue;
                }
                let here = bit(v, vs2, i);
                let r = match inst.op {
                    Msbf => !found && !here,
                    Msif => !found,
                    _ => !found && here,
                };
                found |= here;
                set_bit(v, vd, i, r);
            }
        }
        Iota => {
            check(c.vstart == 0 && group_ok(vd, lm) && !overlap(vd, lm, vs2, 0))?;
            let mut sum = 0u64;
            for i in 0..c.vl {
                if active(v, inst, i) {
                    let here = bit(v, vs2, i);
                    set(v, vd, i, sz, sum & ones(sz));
                    sum += u64::from(here);
                }
            }
        }
        Id => {
            check(group_ok(vd, lm))?;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    set(v, vd, i, sz, i as u64 & ones(sz));
                }
            }
        }
        MvXS => result = sext(get(v, vs2, 0, sz), sz) as u64,
        MvSX => {
            if c.vstart < c.vl {
                set(v, vd, 0, sz, a & ones(sz));
            }
        }
        Mvr => {
            let nreg = inst.imm.clamp(1, 8) as u8;
            let e = i32::from(nreg.trailing_zeros() as u8);
            check(group_ok(vd, e) && group_ok(vs2, e))?;
            let evl = usize::from(nreg) * v.vlenb as usize / sz;
            for i in c.vstart..evl {
                let x = get(v, vs2, i, sz);
                set(v, vd, i, sz, x);
            }
        }
        Slideup | Slide1up => {
            check(group_ok(vd, lm) && group_ok(vs2, lm) && !overlap(vd, lm, vs2, lm))?;
            let offset = if inst.op == Slideup { a } else { 1 };
            let start = c.vstart.max(usize::try_from(offset).unwrap_or(usize::MAX));
            for i in start..c.vl {
                if active(v, inst, i) {
                    let x = get(v, vs2, i - offset as usize, sz);
                    set(v, vd, i, sz, x);
                }
            }
            if inst.op == Slide1up && c.vstart == 0 && c.vl > 0 && active(v, inst, 0) {
                set(v, vd, 0, sz, a & ones(sz));
            }
        }
        Slidedown | Slide1down => {
            check(group_ok(vd, lm) && group_ok(vs2, lm))?;
            let offset = if inst.op == Slidedown { a } else { 1 };
            let mut out = Vec::with_capacity(c.vl);
            for i in c.vstart..c.vl {
                if !active(v, inst, i) {
                    continue;
                }
                let x = if inst.op == Slide1down && i + 1 == c.vl {
                    a & ones(sz)
                } else {
                    match (i as u64).checked_add(offset) {
                        Some(j) if j < c.vlmax as u64 => get(v, vs2, j as usize, sz),
                        _ => 0,
                    }
                };
                out.push((i, x));
            }
            for (i, x) in out {
                set(v, vd, i, sz, x);
            }
        }
        Rgather | Rgatherei16 => {
            let (isz, ilm) = if inst.op == Rgatherei16 { (2, 1 - sz.trailing_zeros() as i32 + lm) } else { (sz, lm) };
            check(
                group_ok(vd, lm)
                    && group_ok(vs2, lm)
                    && !overlap(vd, lm, vs2, lm)
                    && (scalar || (group_ok(vs1, ilm) && !overlap(vd, lm, vs1, ilm))),
            )?;
            for i in c.vstart..c.vl {
                if active(v, inst, i) {
                    let idx = if scalar { a } else { get(v, vs1, i, isz) };
                    let x = if idx < c.vlmax as u64 { get(v, vs2, idx as usize, sz) } else { 0 };
                    set(v, vd, i, sz, x);
                }
            }
        }
        Compress => {
            check(
                c.vstart == 0
                    && group_ok(vd, lm)
                    && group_ok(vs2, lm)
                    && !overlap(vd, lm, vs2, lm)
                    && !overlap(vd, lm, vs1, 0),
            )?;
            let mut k = 0;
            for i in 0..c.vl {
                if bit(v, vs1, i) {
                    let x = get(v, vs2, i, sz);
                    set(v, vd, k, sz, x);
                    k += 1;
                }
            }
        }
        Setvli | Setivli | Setvl | Le | Leff | Lse | Luxei | Loxei | Lr | Lm | Se | Sse | Suxei | Soxei | Sr | Sm => {}
        // Floating point: `super::fp`.
        _ => return Err(()),
    }
    if sat {
        v.vxsat = 1;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flat(Vec<u8>);

    impl VMemory for Flat {
        type Fault = u64;
        fn load(&mut self, addr: u64, size: usize) -> Result<u64, u64> {
            let mut buf = [0u8; 8];
            let src = self.0.get(addr as usize..addr as usize + size).ok_or(addr)?;
            buf.get_mut(..size).ok_or(addr)?.copy_from_slice(src);
            Ok(u64::from_le_bytes(buf))
        }
        fn store(&mut self, addr: u64, size: usize, value: u64) -> Result<(), u64> {
            let dst = self.0.get_mut(addr as usize..addr as usize + size).ok_or(addr)?;
            dst.copy_from_slice(&value.to_le_bytes()[..size]);
            Ok(())
        }
    }

    fn vi(op: VOp, vd: u8, vs2: u8, vs1: u8, flags: u8, imm: i16) -> VInst {
        VInst { op, vd, vs1, vs2, flags, imm }
    }

    #[test]
    fn vsetvli_clamps_to_vlmax_and_flags_bad_vtype() {
        let mut cpu = Cpu::default();
        let mut mem = Flat(vec![]);
        // e32, m2: VLMAX = 2 * 128 / 32 = 8.
        let r = execute(&mut cpu, vi(VOp::Setvli, 10, 0, 11, 1, 0b010_001), 100, 0, &mut mem);
        assert_eq!(r, Ok(8));
        // rs1 = x0, rd != x0: AVL = VLMAX.
        let r = execute(&mut cpu, vi(VOp::Setvli, 10, 0, 0, 1, 0b000_000), 0, 0, &mut mem);
        assert_eq!(r, Ok(16));
        // mf8 with e16 is reserved.
        let r = execute(&mut cpu, vi(VOp::Setvli, 10, 0, 11, 1, 0b001_101), 4, 0, &mut mem);
        assert_eq!((r, cpu.vector.vtype), (Ok(0), VILL));
        let add = vi(VOp::Add, 1, 2, 3, 1, 0);
        assert_eq!(execute(&mut cpu, add, 0, 0, &mut mem), Err(VTrap::Illegal));
    }

    #[test]
    fn load_add_store_and_a_precise_fault() {
        let mut cpu = Cpu::default();
        let mut mem = Flat((0u8..64).collect());
        execute(&mut cpu, vi(VOp::Setivli, 0, 0, 4, 1, 0b010_000), 0, 0, &mut mem).unwrap();
        execute(&mut cpu, vi(VOp::Le, 1, 0, 0, 1, 2), 0, 0, &mut mem).unwrap();
        execute(&mut cpu, vi(VOp::Add, 2, 1, 0, 1 | 2, 0), 0x0101_0101, 0, &mut mem).unwrap();
        execute(&mut cpu, vi(VOp::Se, 2, 0, 0, 1, 2), 32, 0, &mut mem).unwrap();
        assert_eq!(mem.0[32..36], [1, 2, 3, 4]);
        // A store that runs off the end faults at element 2 with vstart = 2.
        let r = execute(&mut cpu, vi(VOp::Se, 2, 0, 0, 1, 2), 56, 0, &mut mem);
        assert_eq!((r, cpu.vector.vstart), (Err(VTrap::Fault(64)), 2));
    }

    #[test]
    fn indexed_loads_overlap_their_index_only_as_the_spec_allows() {
        let mut mem = Flat(vec![0; 64]);
        let mut at = |vtype: i16, inst: VInst| {
            let mut cpu = Cpu::default();
            execute(&mut cpu, vi(VOp::Setivli, 0, 0, 4, 1, vtype), 0, 0, &mut mem).unwrap();
            execute(&mut cpu, inst, 0, 0, &mut mem).map(|_| ())
        };
        // `imm`: the index EEW code (0: 8 bits, 2: 32 bits).
        let lx = |vd, vs2, imm, nf: u8| VInst { flags: 1 | nf << 4, ..vi(VOp::Luxei, vd, vs2, 0, 1, imm) };
        let (e32m1, e8m1) = (0b010_000, 0b000_000);
        // vluxei8.v v4, (a0), v4 at e32: a 32-bit destination over an 8-bit
        // index of EMUL 1/4 (below 1): reserved; v5 is disjoint.
        assert_eq!(at(e32m1, lx(4, 4, 0, 0)), Err(VTrap::Illegal));
        assert_eq!(at(e32m1, lx(4, 5, 0, 0)), Ok(()));
        // vluxei32.v at e8: an 8-bit destination v4 over the 32-bit index
        // v4..v7 is its lowest part (legal); v5 is not.
        assert_eq!(at(e8m1, lx(4, 4, 2, 0)), Ok(()));
        assert_eq!(at(e8m1, lx(5, 4, 2, 0)), Err(VTrap::Illegal));
        // Same EEW: any overlap; segments: none.
        assert_eq!(at(e32m1, lx(4, 4, 2, 0)), Ok(()));
        assert_eq!(at(e32m1, lx(4, 5, 2, 1)), Err(VTrap::Illegal));
        assert_eq!(at(e32m1, lx(4, 6, 2, 1)), Ok(()));
    }

    #[test]
    fn destinations_overlap_sources_of_other_widths_only_as_the_spec_allows() {
        let mut mem = Flat(vec![]);
        let mut at = |vtype: i16, inst: VInst| {
            let mut cpu = Cpu::default();
            execute(&mut cpu, vi(VOp::Setivli, 0, 0, 4, 1, vtype), 0, 0, &mut mem).unwrap();
            execute(&mut cpu, inst, 0, 0, &mut mem).map(|_| ())
        };
        let (e8m1, e8m2, e8mf2, e16m2) = (0b000_000, 0b000_001, 0b000_111, 0b001_001);
        // Widening: the 16-bit v2..v3 over an 8-bit source of EMUL 1 in
        // its highest part only; of EMUL 1/2 not at all.
        assert_eq!(at(e8m1, vi(VOp::Wadd, 2, 3, 4, 1, 0)), Ok(()));
        assert_eq!(at(e8m1, vi(VOp::Wadd, 2, 2, 4, 1, 0)), Err(VTrap::Illegal));
        assert_eq!(at(e8m1, vi(VOp::Wadd, 2, 4, 2, 1, 0)), Err(VTrap::Illegal));
        assert_eq!(at(e8mf2, vi(VOp::Wadd, 2, 2, 4, 1, 0)), Err(VTrap::Illegal));
        // .w: vs2 has the destination's width.
        assert_eq!(at(e8m1, vi(VOp::WaddW, 2, 2, 4, 1, 0)), Ok(()));
        // Narrowing: the 8-bit destination on the 16-bit vs2's lowest part.
        assert_eq!(at(e8m1, vi(VOp::Nsrl, 2, 2, 4, 1, 0)), Ok(()));
        assert_eq!(at(e8m1, vi(VOp::Nsrl, 3, 2, 4, 1, 0)), Err(VTrap::Illegal));
        // vsext.vf2 at e16 m2: the 8-bit v3 is v2..v3's highest part.
        assert_eq!(at(e16m2, vi(VOp::Sext2, 2, 3, 0, 1, 0)), Ok(()));
        assert_eq!(at(e16m2, vi(VOp::Sext2, 2, 2, 0, 1, 0)), Err(VTrap::Illegal));
        // A mask result on a source group's lowest register only.
        assert_eq!(at(e8m2, vi(VOp::Mseq, 2, 2, 4, 1, 0)), Ok(()));
        assert_eq!(at(e8m2, vi(VOp::Mseq, 3, 2, 4, 1, 0)), Err(VTrap::Illegal));
        assert_eq!(at(e8m2, vi(VOp::Madc, 5, 2, 4, 1, 0)), Err(VTrap::Illegal));
        assert_eq!(at(e8m2, vi(VOp::Madc, 6, 2, 4, 1, 0)), Ok(()));
        // A widening multiply-add reads its 2·SEW destination: no overlap.
        assert_eq!(at(e8m1, vi(VOp::Wmacc, 2, 4, 3, 1, 0)), Err(VTrap::Illegal));
        assert_eq!(at(e8m1, vi(VOp::Wmacc, 2, 4, 6, 1, 0)), Ok(()));
    }

    /// Runs `vsetivli` for `vl` elements of `sew` bytes (LMUL 1), then
    /// `inst` with scalar `a`.
    fn run(cpu: &mut Cpu, sew: usize, vl: u8, inst: VInst, a: u64) -> R<u64> {
        let vsew = sew.trailing_zeros() as i16;
        execute(cpu, vi(VOp::Setivli, 0, 0, vl, 1, vsew << 3), 0, 0, &mut Flat(vec![]))?;
        execute(cpu, inst, a, 0, &mut Flat(vec![]))
    }

    fn put(cpu: &mut Cpu, reg: u8, sz: usize, xs: &[u64]) {
        for (i, &x) in xs.iter().enumerate() {
            set(&mut cpu.vector, reg, i, sz, x);
        }
    }

    fn read(cpu: &Cpu, reg: u8, sz: usize, n: usize) -> Vec<u64> {
        (0..n).map(|i| get(&cpu.vector, reg, i, sz)).collect()
    }

    /// Zvbb's unary operations, each element by hand from the definitions
    /// of vector cryptography spec 1.0 "Zvbb".
    #[test]
    fn zvbb_unary_operations() {
        let cases: &[(VOp, usize, [u64; 4], [u64; 4])] = &[
            (VOp::Brev8, 1, [0x01, 0x80, 0xf0, 0x00], [0x80, 0x01, 0x0f, 0x00]),
            (VOp::Brev8, 4, [0x1234_5678, 1, 0, 0xff00_0001], [0x482c_6a1e, 0x80, 0, 0xff00_0080]),
            (VOp::Rev8, 1, [0x12, 0x34, 0, 0xff], [0x12, 0x34, 0, 0xff]),
            (VOp::Rev8, 4, [0x1122_3344, 1, 0, 0xff00_0000], [0x4433_2211, 0x0100_0000, 0, 0xff]),
            (VOp::Brev, 2, [0x0001, 0x8000, 0x1234, 0xffff], [0x8000, 0x0001, 0x2c48, 0xffff]),
            (VOp::Clz, 1, [0, 1, 0x80, 0x10], [8, 7, 0, 3]),
            (VOp::Clz, 8, [0, 1 << 40, 0, 0], [64, 23, 0, 0]),
            (VOp::Ctz, 8, [u64::MAX, 1 << 63, 0, 0], [0, 63, 0, 0]),
            (VOp::Ctz, 2, [0, 0x8000, 1, 0x0100], [16, 15, 0, 8]),
            (VOp::CpopV, 4, [0, 0xffff_ffff, 0x8000_0001, 0x0f0f], [0, 32, 2, 8]),
        ];
        for &(op, sz, src, want) in cases {
            // VLEN 128 holds two 64-bit elements in one register.
            let n = 4.min(16 / sz);
            let mut cpu = Cpu::default();
            put(&mut cpu, 2, sz, &src[..n]);
            run(&mut cpu, sz, n as u8, vi(op, 1, 2, 0, 1, 0), 0).unwrap();
            assert_eq!(read(&cpu, 1, sz, n), want[..n], "{op:?} at SEW {}", sz * 8);
        }
    }

    #[test]
    fn zvbb_rotates_andn_and_masks() {
        let mut cpu = Cpu::default();
        put(&mut cpu, 2, 1, &[0x81, 0x81, 0x81, 0x0f]);
        put(&mut cpu, 3, 1, &[1, 9, 0, 4]);
        // The amount is the low 3 bits at SEW 8: 9 rotates by 1.
        run(&mut cpu, 1, 4, vi(VOp::Rol, 1, 2, 3, 1, 0), 0).unwrap();
        assert_eq!(read(&cpu, 1, 1, 4), [0x03, 0x03, 0x81, 0xf0]);
        run(&mut cpu, 1, 4, vi(VOp::Ror, 1, 2, 3, 1, 0), 0).unwrap();
        assert_eq!(read(&cpu, 1, 1, 4), [0xc0, 0xc0, 0x81, 0xf0]);
        // vandn.vx: vs2 & !x[rs1]; masked: element 1 and 3 are inactive.
        put(&mut cpu, 1, 1, &[0xaa; 4]);
        cpu.vector.regs[0] = 0b0101;
        run(&mut cpu, 1, 4, vi(VOp::Andn, 1, 2, 0, VInst::SCALAR, 0), 0x0f).unwrap();
        assert_eq!(read(&cpu, 1, 1, 4), [0x80, 0xaa, 0x80, 0xaa]);
        // vror.vi 63 at SEW 64 is a rotate left by 1.
        put(&mut cpu, 2, 8, &[0x8000_0000_0000_0001]);
        run(&mut cpu, 8, 1, vi(VOp::Ror, 1, 2, 0, 1 | VInst::SCALAR, 0), 63).unwrap();
        assert_eq!(read(&cpu, 1, 8, 1), [3]);
        // Masked with vd = v0 is reserved.
        assert_eq!(run(&mut cpu, 1, 4, vi(VOp::Clz, 0, 2, 0, 0, 0), 0), Err(VTrap::Illegal));
    }

    #[test]
    fn zvbb_widening_shift() {
        let mut cpu = Cpu::default();
        put(&mut cpu, 2, 1, &[0xff, 0x01, 0x80, 0x7f]);
        put(&mut cpu, 3, 1, &[8, 15, 16, 0x1f]);
        // The low log2(2*SEW) = 4 bits: 16 shifts by 0, 0x1f by 15.
        run(&mut cpu, 1, 4, vi(VOp::Wsll, 4, 2, 3, 1, 0), 0).unwrap();
        assert_eq!(read(&cpu, 4, 2, 4), [0xff00, 0x8000, 0x0080, 0x8000]);
        put(&mut cpu, 6, 4, &[0xffff_ffff, 1]);
        run(&mut cpu, 4, 2, vi(VOp::Wsll, 4, 6, 0, 1 | VInst::SCALAR, 0), 33).unwrap();
        assert_eq!(read(&cpu, 4, 8, 2), [0x1_ffff_fffe_0000_0000, 0x2_0000_0000].map(|x: u128| x as u64));
        // SEW 64 has no wider type; vd overlapping the lower part of its
        // source, or an odd destination group, are reserved.
        assert_eq!(run(&mut cpu, 8, 1, vi(VOp::Wsll, 4, 6, 0, 3, 0), 1), Err(VTrap::Illegal));
        assert_eq!(run(&mut cpu, 1, 4, vi(VOp::Wsll, 4, 4, 3, 1, 0), 0), Err(VTrap::Illegal));
        assert_eq!(run(&mut cpu, 1, 4, vi(VOp::Wsll, 5, 2, 3, 1, 0), 0), Err(VTrap::Illegal));
        // The highest-numbered part of the destination may be the source.
        assert_eq!(run(&mut cpu, 1, 4, vi(VOp::Wsll, 4, 5, 3, 1, 0), 0), Ok(0));
    }

    /// The vector crypto spec's `clmul`/`clmulh` (vclmul, vclmulh),
    /// bit by bit as its pseudo-code writes them: the low half XORs
    /// `x << i` for each set bit `i` of `y`, the high half `x >> (64 - i)`
    /// for `i` in 1..64.
    fn spec_clmul(x: u64, y: u64) -> (u64, u64) {
        let (mut lo, mut hi) = (0u64, 0u64);
        for i in 0..64 {
            if y >> i & 1 != 0 {
                lo ^= x << i;
                if i > 0 {
                    hi ^= x >> (64 - i);
                }
            }
        }
        (lo, hi)
    }

    /// Zvbc at SEW 64: hand-worked products, 500 random pairs against the
    /// spec's bit-by-bit definition (and the scalar Zbc clmul/clmulh),
    /// the `.vx` form, masking, and every other SEW reserved.
    #[test]
    fn zvbc_carry_less_multiply() {
        // (x + 1)^2 = x^2 + 1; (sum of x^i, i < 64)^2 = sum of x^2i (every
        // even bit, in both halves); x^63 * x^63 = x^126 (bit 62 of the
        // high half); x^63 * (x + 1) = x^64 + x^63.
        let hand = [
            (3, 3, 5, 0),
            (0xff, 0xff, 0x5555, 0),
            (u64::MAX, u64::MAX, 0x5555_5555_5555_5555, 0x5555_5555_5555_5555),
            (1 << 63, 1 << 63, 0, 1 << 62),
            (1 << 63, 3, 1 << 63, 1),
            (0x8765_4321_0fed_cba9, 0, 0, 0),
        ];
        let mut seed = 0x2026_1204_c1a5_5ed5_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let random: Vec<(u64, u64)> = (0..500).map(|_| (next(), next())).collect();
        for &(x, y, lo, hi) in &hand {
            assert_eq!(spec_clmul(x, y), (lo, hi), "{x:#x} * {y:#x}");
        }
        let pairs: Vec<(u64, u64)> = hand.iter().map(|&(x, y, _, _)| (x, y)).chain(random).collect();
        let mut cpu = Cpu::default();
        for &(x, y) in &pairs {
            let (lo, hi) = spec_clmul(x, y);
            assert_eq!(crate::eval::binary(crate::BinOp::Clmul, x, y), lo);
            assert_eq!(crate::eval::binary(crate::BinOp::ClmulH, x, y), hi);
            // vs2 = x (multiplicand), vs1 = y; and .vx with the roles as
            // the spec has them (rs1 the multiplier).
            put(&mut cpu, 2, 8, &[x, y]);
            put(&mut cpu, 3, 8, &[y, x]);
            run(&mut cpu, 8, 2, vi(VOp::Clmul, 4, 2, 3, 1, 0), 0).unwrap();
            run(&mut cpu, 8, 2, vi(VOp::Clmulh, 5, 2, 3, 1, 0), 0).unwrap();
            assert_eq!(read(&cpu, 4, 8, 2), [lo, lo], "vclmul.vv {x:#x} {y:#x}");
            assert_eq!(read(&cpu, 5, 8, 2), [hi, hi], "vclmulh.vv {x:#x} {y:#x}");
            run(&mut cpu, 8, 1, vi(VOp::Clmulh, 6, 2, 0, 1 | VInst::SCALAR, 0), y).unwrap();
            assert_eq!(read(&cpu, 6, 8, 1), [hi], "vclmulh.vx {x:#x} {y:#x}");
        }
        // Masked: element 1 inactive (undisturbed).
        put(&mut cpu, 2, 8, &[3, 3]);
        put(&mut cpu, 7, 8, &[0xaa, 0xbb]);
        cpu.vector.regs[0] = 0b01;
        run(&mut cpu, 8, 2, vi(VOp::Clmul, 7, 2, 0, VInst::SCALAR, 0), 3).unwrap();
        assert_eq!(read(&cpu, 7, 8, 2), [5, 0xbb]);
        // SEW 8, 16 and 32 are reserved; so is masked vd = v0.
        for sew in [1, 2, 4] {
            assert_eq!(run(&mut cpu, sew, 1, vi(VOp::Clmul, 4, 2, 3, 1, 0), 0), Err(VTrap::Illegal), "SEW {sew}");
            let vx = vi(VOp::Clmulh, 4, 2, 0, 1 | VInst::SCALAR, 0);
            assert_eq!(run(&mut cpu, sew, 1, vx, 1), Err(VTrap::Illegal), "SEW {sew}");
        }
        assert_eq!(run(&mut cpu, 8, 1, vi(VOp::Clmul, 0, 2, 3, 0, 0), 0), Err(VTrap::Illegal));
    }

    #[test]
    fn fixed_point_rounds_and_saturates() {
        // vaaddu with rnu: (5 + 2) / 2 rounds up to 4.
        let mut sat = false;
        assert_eq!(binop(VOp::Aaddu, 5, 2, 1, 0, &mut sat), 4);
        assert_eq!(binop(VOp::Aaddu, 5, 2, 1, 2, &mut sat), 3);
        assert!(!sat);
        assert_eq!(binop(VOp::Sadd, 0x7f, 1, 1, 0, &mut sat), 0x7f);
        assert!(sat);
        let mut sat = false;
        assert_eq!(binop(VOp::Smul, 0x80, 0x80, 1, 0, &mut sat), 0x7f);
        assert!(sat);
    }
}
