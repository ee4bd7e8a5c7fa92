//! Which vector registers an instruction reads, and at which element
//! width: the one place V 1.0 §5.2's rule on source operands is checked,
//! for the executor and for compiled code's SIMD plans alike.
//!
//! §5.2 "Vector Operands": "A vector register cannot be used to provide
//! source operands with more than one EEW for a single instruction. A mask
//! register source is considered to have EEW=1 for this constraint. An
//! encoding that would result in the same vector register being read with
//! two or more different EEWs, including when the vector register appears
//! at different positions within two or more vector register groups, is
//! reserved." ferrovm raises an illegal instruction there, as QEMU does
//! from 10.0.1 on (`vext_check_input_eew`); QEMU 7.2 runs them. The cases:
//! a masked instruction (`v0` read as the mask, or as `vadc`'s carry or
//! `vmerge`'s selector) that reads `v0` as data too (`vadd.vv v8, v0, v4,
//! v0.t`, a masked store of `v0`'s group); the `.w` forms and the
//! narrowing `.wv` shifts and clips whose `vs2` (2·SEW) and `vs1` (SEW)
//! share a register; widening reductions whose `vs1[0]` (2·SEW) lies in
//! `vs2`'s group (SEW); `vrgatherei16.vv` at SEW ≠ 16 and `vcompress.vm`
//! (`vs1` a mask) with overlapping sources; indexed stores whose data and
//! index groups, at different widths, overlap. The destination's overlap
//! rules (the rest of §5.2 and §5.3) are checked with each operation. A
//! widening multiply-add reads its destination as a source too (2·SEW):
//! it may share no register with `vs1` or `vs2` (QEMU 10 agrees; 7.2 runs
//! it).

use super::{VInst, VOp};

/// A source register group: its first register, log2 of its EEW in bits
/// (0: a mask, EEW 1) and how many registers it spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Src {
    reg: u8,
    eew: i32,
    regs: u8,
}

impl Src {
    /// The group of `reg` at EEW 2^`eew` bits when SEW is 2^`sew` bits and
    /// LMUL 2^`lmul`: EMUL = EEW / SEW × LMUL registers, at least one.
    fn at(reg: u8, eew: i32, sew: i32, lmul: i32) -> Src {
        Src { reg, eew, regs: 1 << (lmul + eew - sew).clamp(0, 3) }
    }

    fn mask(reg: u8) -> Src {
        Src { reg, eew: 0, regs: 1 }
    }

    fn overlaps(self, o: Src) -> bool {
        super::exec::spans_overlap(self.reg, self.regs, o.reg, o.regs)
    }
}

/// The vector sources of `inst` (`vs2`, `vs1`, a store's `vs3`, a
/// widening multiply-add's accumulator `vd`) under SEW 2^`sew` bits and
/// LMUL 2^`lmul`; the mask `v0` is added by the caller. Scalar operands,
/// immediates and `vs1` fields that select the operation are no sources;
/// a single-width multiply-add's `vd` is one, but at the EEW of the others.
fn sources(inst: VInst, sew: i32, lmul: i32) -> [Option<Src>; 3] {
    use VOp::*;
    let (vs1, vs2, vd) = (inst.vs1, inst.vs2, inst.vd);
    let at = |reg, eew| Some(Src::at(reg, eew, sew, lmul));
    let v1 = |eew| if inst.scalar() { None } else { at(vs1, eew) };
    let one = |reg, eew| Some(Src { reg, eew, regs: 1 });
    // Loads and stores: `imm` is log2 of the element width in bytes.
    let width = i32::from(inst.imm & 3) + 3;
    let fields = |data: Src| Src { regs: data.regs * (inst.nf() + 1), ..data };
    match inst.op {
        // Single width: both sources at SEW.
        Add | Sub | Rsub | Minu | Min | Maxu | Max | And | Or | Xor | Sll | Srl | Sra | Mul | Mulh | Mulhu | Mulhsu
        | Divu | Div | Remu | Rem | Macc | Nmsac | Madd | Nmsub | Merge | Adc | Sbc | Madc | Msbc | Saddu | Sadd
        | Ssubu | Ssub | Aaddu | Aadd | Asubu | Asub | Smul | Ssrl | Ssra | Mseq | Msne | Msltu | Mslt | Msleu
        | Msle | Msgtu | Msgt | Andn | Rol | Ror | Clmul | Clmulh | Rgather | Fadd | Fsub | Frsub | Fmul | Fdiv
        | Frdiv | Fmin | Fmax | Fsgnj | Fsgnjn | Fsgnjx | Fmacc | Fnmacc | Fmsac | Fnmsac | Fmadd | Fnmadd | Fmsub
        | Fnmsub | Mfeq | Mfne | Mflt | Mfle | Mfgt | Mfge | Fmerge => [at(vs2, sew), v1(sew), None],
        // Widening from SEW: both sources at SEW; a multiply-add reads its
        // 2·SEW destination too, so it may not share a register with
        // either (`vwmacc.vv v2, v3, v4` at LMUL 1 reads v3 at both widths).
        Waddu | Wadd | Wsubu | Wsub | Wmulu | Wmulsu | Wmul | Wsll | Fwadd | Fwsub | Fwmul => {
            [at(vs2, sew), v1(sew), None]
        }
        Wmaccu | Wmacc | Wmaccsu | Wmaccus | Fwmacc | Fwnmacc | Fwmsac | Fwnmsac => {
            [at(vs2, sew), v1(sew), at(vd, sew + 1)]
        }
        // `vs2` at 2·SEW, `vs1` at SEW.
        WadduW | WaddW | WsubuW | WsubW | FwaddW | FwsubW | Nsrl | Nsra | Nclipu | Nclip => {
            [at(vs2, sew + 1), v1(sew), None]
        }
        Mv => [None, v1(sew), None],
        // Reductions: `vs2` at SEW, element 0 of the register `vs1`.
        Redsum | Redand | Redor | Redxor | Redminu | Redmin | Redmaxu | Redmax | Fredusum | Fredosum | Fredmin
        | Fredmax => [at(vs2, sew), one(vs1, sew), None],
        Wredsumu | Wredsum | Fwredusum | Fwredosum => [at(vs2, sew), one(vs1, sew + 1), None],
        Rgatherei16 => [at(vs2, sew), at(vs1, 4), None],
        Compress => [at(vs2, sew), Some(Src::mask(vs1)), None],
        Mandn | Mand | Mor | Mxor | Morn | Mnand | Mnor | Mxnor => [Some(Src::mask(vs2)), Some(Src::mask(vs1)), None],
        Cpop | First | Msbf | Msof | Msif | Iota => [Some(Src::mask(vs2)), None, None],
        // One source at SEW (`vs1` selects the operation, or is `x[rs1]`).
        Brev | Brev8 | Rev8 | Clz | Ctz | CpopV | Slideup | Slidedown | Slide1up | Slide1down | Fslide1up
        | Fslide1down | Fsqrt | Frsqrt7 | Frec7 | Fclass | FcvtXuF | FcvtXF | FcvtFXu | FcvtFX | FcvtRtzXuF
        | FcvtRtzXF | FwcvtXuF | FwcvtXF | FwcvtFXu | FwcvtFX | FwcvtFF | FwcvtRtzXuF | FwcvtRtzXF => {
            [at(vs2, sew), None, None]
        }
        MvXS | FmvFS => [one(vs2, sew), None, None],
        FncvtXuF | FncvtXF | FncvtFXu | FncvtFX | FncvtFF | FncvtRodFF | FncvtRtzXuF | FncvtRtzXF => {
            [at(vs2, sew + 1), None, None]
        }
        Zext2 | Sext2 => [at(vs2, sew - 1), None, None],
        Zext4 | Sext4 => [at(vs2, sew - 2), None, None],
        Zext8 | Sext8 => [at(vs2, sew - 3), None, None],
        // Indexed accesses: the index at its own width; stores' data (`vd`
        // is `vs3`) at the instruction's width, or SEW when indexed, one
        // group per field.
        Luxei | Loxei => [at(vs2, width), None, None],
        Suxei | Soxei => [at(vs2, width), at(vd, sew).map(fields), None],
        Se | Sse => [at(vd, width).map(fields), None, None],
        // No vector source, a whole-register one, or unmasked element
        // groups (the vector crypto spec's own overlap rules).
        Setvli | Setivli | Setvl | Le | Leff | Lse | Lr | Lm | Sr | Sm | Id | MvSX | Mvr | FmvVF | FmvSF | AesdmVv
        | AesdmVs | AesdfVv | AesdfVs | AesemVv | AesemVs | AesefVv | AesefVs | AeszVs | Aeskf1 | Aeskf2 | Sha2ms
        | Sha2ch | Sha2cl | Ghsh | Gmul | Sm4k | Sm4rVv | Sm4rVs | Sm3me | Sm3c => [None, None, None],
    }
}

/// Whether `inst`, under SEW `sew` bytes and LMUL 2^`lmul`, reads every
/// vector register at one EEW (§5.2; the module's note). `false`: the
/// encoding is reserved and the instruction illegal.
pub fn sources_ok(inst: VInst, sew: usize, lmul: i32) -> bool {
    let sew = sew.trailing_zeros() as i32 + 3;
    let [a, b, c] = sources(inst, sew, lmul);
    let mask = (!inst.unmasked()).then_some(Src::mask(0));
    let all = [mask, a, b, c];
    all.iter().enumerate().all(|(i, x)| {
        all.iter().skip(i + 1).all(|y| match (x, y) {
            (Some(x), Some(y)) => x.eew == y.eew || !x.overlaps(*y),
            _ => true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(op: VOp, vd: u8, vs2: u8, vs1: u8, masked: bool) -> VInst {
        VInst { op, vd, vs1, vs2, flags: if masked { 0 } else { VInst::UNMASKED }, imm: 0 }
    }

    #[test]
    fn a_masked_instruction_may_not_read_v0_as_data() {
        // vadd.vv v8, v0, v4, v0.t and vadd.vv v8, v4, v0, v0.t: reserved;
        // unmasked, or with other sources, fine.
        assert!(!sources_ok(inst(VOp::Add, 8, 0, 4, true), 4, 0));
        assert!(!sources_ok(inst(VOp::Add, 8, 4, 0, true), 4, 0));
        assert!(sources_ok(inst(VOp::Add, 8, 0, 0, false), 4, 0));
        assert!(sources_ok(inst(VOp::Add, 8, 2, 4, true), 4, 0));
        // A scalar form's vs1 field is x[rs1]: x0 is no v0.
        let vx = VInst { flags: VInst::SCALAR, ..inst(VOp::Add, 8, 4, 0, true) };
        assert!(sources_ok(vx, 4, 0));
        // vadc.vvm's carry and vmerge's selector are v0 as a mask too.
        assert!(!sources_ok(inst(VOp::Adc, 8, 0, 4, true), 1, 0));
        assert!(!sources_ok(inst(VOp::Merge, 8, 4, 0, true), 1, 0));
        // At LMUL 2 the group v0..v1 holds v0.
        assert!(!sources_ok(inst(VOp::Sub, 4, 0, 2, true), 4, 1));
        // Mask sources have EEW 1 like v0: vcpop.m/viota.m of v0, masked.
        assert!(sources_ok(inst(VOp::Cpop, 1, 0, 0, true), 1, 0));
        assert!(sources_ok(inst(VOp::Iota, 8, 0, 0, true), 1, 0));
        // A masked reduction may not take vs1[0] from v0; vzext's vs1 field
        // is an opcode, not v0.
        assert!(!sources_ok(inst(VOp::Redsum, 8, 4, 0, true), 4, 0));
        assert!(sources_ok(inst(VOp::Zext2, 8, 4, 0, true), 4, 0));
    }

    #[test]
    fn one_register_at_two_widths_is_reserved() {
        // vwadd.wv v8, v0, v0 at SEW 16, LMUL 1: vs2 is v0..v1 at 32 bits,
        // vs1 v0 at 16; vs1 = v2 is disjoint.
        assert!(!sources_ok(inst(VOp::WaddW, 8, 0, 0, false), 2, 0));
        assert!(!sources_ok(inst(VOp::WaddW, 8, 0, 1, false), 2, 0));
        assert!(sources_ok(inst(VOp::WaddW, 8, 0, 2, false), 2, 0));
        // vnsrl.wv likewise; vwadd.vv's sources are both SEW.
        assert!(!sources_ok(inst(VOp::Nsrl, 8, 2, 3, false), 2, 0));
        assert!(sources_ok(inst(VOp::Wadd, 8, 2, 2, false), 2, 0));
        // vwredsum.vs: vs1[0] at 2·SEW inside vs2's group of SEW elements.
        assert!(!sources_ok(inst(VOp::Wredsum, 8, 4, 5, false), 1, 1));
        assert!(sources_ok(inst(VOp::Wredsum, 8, 4, 6, false), 1, 1));
        assert!(sources_ok(inst(VOp::Redsum, 8, 4, 5, false), 1, 1));
        // vrgatherei16.vv: vs1 at 16 bits; at SEW 16 one width, at SEW 8 two.
        assert!(sources_ok(inst(VOp::Rgatherei16, 8, 4, 4, false), 2, 0));
        assert!(!sources_ok(inst(VOp::Rgatherei16, 8, 4, 4, false), 1, 0));
        // vwmacc.vv v2, v3, v4 at SEW 8: v3 is vs1 (8-bit) and part of the
        // 16-bit accumulator v2..v3; vs1 = v6 is apart. vmacc's
        // accumulator has the sources' EEW.
        assert!(!sources_ok(inst(VOp::Wmacc, 2, 4, 3, false), 1, 0));
        assert!(!sources_ok(inst(VOp::Fwmacc, 2, 3, 6, false), 4, 0));
        assert!(sources_ok(inst(VOp::Wmacc, 2, 4, 6, false), 1, 0));
        assert!(sources_ok(inst(VOp::Macc, 2, 2, 2, false), 1, 0));
        // vcompress.vm: vs1 is a mask.
        assert!(!sources_ok(inst(VOp::Compress, 8, 4, 5, false), 4, 1));
        assert!(sources_ok(inst(VOp::Compress, 8, 4, 6, false), 4, 1));
    }

    #[test]
    fn stores_read_their_data_and_index() {
        // vse32.v v0, (a0), v0.t: the data is v0; a segment store's fields
        // reach v0 only from v0.
        let se = |vd, nf: u8, masked: bool| VInst {
            imm: 2,
            flags: nf << 4 | u8::from(!masked),
            ..inst(VOp::Se, vd, 0, 0, masked)
        };
        assert!(!sources_ok(se(0, 0, true), 4, 0));
        assert!(sources_ok(se(0, 0, false), 4, 0));
        assert!(sources_ok(se(1, 2, true), 4, 0));
        // vsuxei8.v v4, (a0), v5 at SEW 32, LMUL 2: data v4..v5 at 32
        // bits, index v5 at 8; index v6 is disjoint.
        let sx = |vd, vs2| VInst { imm: 0, ..inst(VOp::Suxei, vd, vs2, 0, false) };
        assert!(!sources_ok(sx(4, 5), 4, 1));
        assert!(sources_ok(sx(4, 6), 4, 1));
        // A masked indexed load's index may not be v0.
        let lx = VInst { imm: 2, ..inst(VOp::Luxei, 8, 0, 0, true) };
        assert!(!sources_ok(lx, 4, 0));
    }
}
