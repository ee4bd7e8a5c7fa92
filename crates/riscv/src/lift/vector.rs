//! V 1.0, Zvbb, Zvbc and the vector crypto: every vector instruction becomes one `vector` op
//! ([`ferrovm_ir::Op::Vector`]) carrying a [`VInst`]; its scalar operands
//! (`x[rs1]`, `x[rs2]` or the immediate) are temporaries and a scalar result
//! (`vsetvl*`, `vmv.x.s`, `vcpop.m`, `vfirst.m`) is written to `x[rd]`.
//! The semantics are [`ferrovm_ir::vector::execute`]. Floating-point ones
//! take the raw `f[rs1]` as `a` (the executor NaN-unboxes it for SEW 32),
//! write `vfmv.f.s`'s result to `f[rd]`, and are preceded by the `frm`
//! check of the scalar FP instructions ([`ferrovm_ir::Op::CheckFrm`]).

use std::sync::OnceLock;

use ferrovm_ir::Reg;
use ferrovm_ir::vector::{VInst, VOp};

use super::{Ctx, Flow};
use crate::{Ext, Format, Inst, Opcode};

/// What an opcode becomes: the operation, the scalar-source flag, the
/// `imm` field and a fixed `nf` (whole-register forms).
#[derive(Clone, Copy)]
struct Shape {
    op: VOp,
    scalar: bool,
    imm: i16,
    nf: u8,
}

/// The element-width code of a load/store mnemonic (`vle16.v` → 1).
fn eew_code(name: &str) -> Option<i16> {
    let digits: String = name.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
    Some(match digits.as_str() {
        "8" => 0,
        "16" => 1,
        "32" => 2,
        "64" => 3,
        _ => return None,
    })
}

/// Maps one V opcode by its mnemonic (the table's names are the spec's).
fn shape(op: Opcode) -> Option<Shape> {
    let name = op.name();
    let format = op.format();
    let scalar = matches!(
        format,
        Format::VX
            | Format::VI
            | Format::VIU
            | Format::VIU6
            | Format::VXNm
            | Format::VINm
            | Format::VIUNm
            | Format::VMvX
            | Format::VMvI
            | Format::VXMac
            | Format::VF
            | Format::VFMac
            | Format::VFNm
            | Format::VMvF
    );
    let plain = |op| Some(Shape { op, scalar, imm: 0, nf: 0 });
    match op {
        Opcode::Vsetvli => return plain(VOp::Setvli),
        Opcode::Vsetivli => return plain(VOp::Setivli),
        Opcode::Vsetvl => return plain(VOp::Setvl),
        Opcode::VlmV => return plain(VOp::Lm),
        Opcode::VsmV => return plain(VOp::Sm),
        _ => {}
    }
    if matches!(format, Format::VMem | Format::VMemStrided | Format::VMemIndexed | Format::VMemWhole) {
        let (vop, nf) = if let Some(rest) = name.strip_prefix("vl").filter(|r| r.contains("re")) {
            // vl<n>re<w>.v
            let n: u8 = rest.split('r').next()?.parse().ok()?;
            (VOp::Lr, n - 1)
        } else if let Some(rest) = name.strip_prefix("vs").filter(|r| r.ends_with("r.v")) {
            let n: u8 = rest.trim_end_matches("r.v").parse().ok()?;
            (VOp::Sr, n - 1)
        } else {
            let stem: String = name.chars().take_while(|c| !c.is_ascii_digit()).collect();
            let vop = match (stem.as_str(), name.ends_with("ff.v")) {
                ("vle", true) => VOp::Leff,
                ("vle", false) => VOp::Le,
                ("vlse", _) => VOp::Lse,
                ("vluxei", _) => VOp::Luxei,
                ("vloxei", _) => VOp::Loxei,
                ("vse", _) => VOp::Se,
                ("vsse", _) => VOp::Sse,
                ("vsuxei", _) => VOp::Suxei,
                ("vsoxei", _) => VOp::Soxei,
                _ => return None,
            };
            (vop, 0)
        };
        let imm = match vop {
            VOp::Lr => eew_code(name.split("re").nth(1)?)?,
            VOp::Sr => 0,
            _ => eew_code(name)?,
        };
        return Some(Shape { op: vop, scalar: false, imm, nf });
    }
    let body = name.strip_prefix('v')?;
    let (base, suffix) = body.split_once('.')?;
    if let Some(n) = base.strip_prefix("mv").and_then(|r| r.strip_suffix('r')) {
        return Some(Shape { op: VOp::Mvr, scalar: false, imm: n.parse().ok()?, nf: 0 });
    }
    let key = match (base, suffix) {
        ("waddu" | "wadd" | "wsubu" | "wsub", "wv" | "wx") | ("fwadd" | "fwsub", "wv" | "wf") => format!("{base}_w"),
        ("zext" | "sext", _)
        | ("mv", "x.s" | "s.x")
        | ("fmv", _)
        | ("cpop", "v")
        | ("aesdm" | "aesdf" | "aesem" | "aesef" | "aesz" | "sm4r", _) => format!("{base}.{suffix}"),
        // vfcvt.xu.f.v → fcvt.xu.f (the operand-shape suffix dropped)
        ("fcvt" | "fwcvt" | "fncvt", _) => format!("{base}.{}", suffix.get(..suffix.len().saturating_sub(2))?),
        _ => base.to_owned(),
    };
    plain(VOp::from_name(&key)?)
}

/// The shape of every opcode, indexed by `Opcode as usize`.
fn shapes() -> &'static [Option<Shape>] {
    static SHAPES: OnceLock<Vec<Option<Shape>>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let mut v = vec![None; Opcode::ALL.len() + 1];
        for &op in Opcode::ALL {
            if op.ext().has_vector_opcodes()
                && let Some(slot) = v.get_mut(op as usize)
            {
                *slot = shape(op);
            }
        }
        v
    })
}

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Option<Flow> {
    let s = shapes().get(i.op as usize).copied().flatten()?;
    let format = i.op.format();
    let vm = if format.has_vm() { i.rm & 1 } else { u8::from(i.op.encoding().0 & (1 << 25) != 0) };
    let nf = if format.has_nf() { i.rs3 } else { s.nf };
    let imm = match s.op {
        VOp::Setvli | VOp::Setivli => i.imm as i16,
        _ => s.imm,
    };
    // binary16 elements: every FP instruction with Zvfh, the binary16 <->
    // binary32 conversions with Zvfhmin (SEW 16 FP is reserved otherwise,
    // V 1.0 §31.13).
    let half = (cx.isa.has(Ext::Zvfh) && s.op.is_fp())
        || (cx.isa.has(Ext::Zvfhmin) && matches!(s.op, VOp::FwcvtFF | VOp::FncvtFF));
    // SHA-512 (vsha2* at SEW 64) needs Zvknhb; Zvknha has SHA-256 only.
    let sha512 = cx.isa.has(Ext::Zvknhb) && matches!(s.op, VOp::Sha2ms | VOp::Sha2ch | VOp::Sha2cl);
    let flags = vm
        | if s.scalar { VInst::SCALAR } else { 0 }
        | if half { VInst::HALF } else { 0 }
        | if sha512 { VInst::SHA512 } else { 0 }
        | (nf & 7) << 4;
    let inst = VInst { op: s.op, vd: i.rd, vs1: i.rs1, vs2: i.rs2, flags, imm };
    if s.op.is_fp() {
        // V 1.0 §31.10.1: a reserved frm makes every vector FP instruction
        // illegal, even those that do not round.
        cx.check_frm();
    }
    let a = match format {
        Format::VI | Format::VIU | Format::VIU6 | Format::VINm | Format::VIUNm | Format::VMvI => cx.imm(i.imm),
        Format::VSetivli | Format::VToF => cx.imm(0),
        // The raw f[rs1]: whether it is NaN-unboxed depends on SEW.
        Format::VF | Format::VFMac | Format::VFNm | Format::VMvF => cx.f_raw(i.rs1),
        _ => cx.x(i.rs1),
    };
    let b = match format {
        Format::VMemStrided | Format::R => cx.x(i.rs2),
        _ => cx.imm(0),
    };
    let r = cx.b.vector(inst, a, b);
    if matches!(format, Format::VSetvli | Format::VSetivli | Format::R | Format::VToX | Format::VToXM) {
        cx.set_x(i.rd, r);
    } else if format == Format::VToF {
        // vfmv.f.s: the element, already NaN-boxed for SEW 32.
        cx.b.set(Reg::f(i.rd), r);
    }
    Some(Flow::Next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vector_opcode_has_a_shape() {
        let missing: Vec<&str> = Opcode::ALL
            .iter()
            .filter(|op| op.ext().has_vector_opcodes() && shape(**op).is_none())
            .map(|op| op.name())
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
        let f = |op| shape(op).map(|s| (s.op, s.imm, s.nf, s.scalar));
        assert_eq!(f(Opcode::Vl4re16V), Some((VOp::Lr, 1, 3, false)));
        assert_eq!(f(Opcode::Vs8rV), Some((VOp::Sr, 0, 7, false)));
        assert_eq!(f(Opcode::Vluxei32V), Some((VOp::Luxei, 2, 0, false)));
        assert_eq!(f(Opcode::VwadduWx), Some((VOp::WadduW, 0, 0, true)));
        assert_eq!(f(Opcode::VzextVf4), Some((VOp::Zext4, 0, 0, false)));
        assert_eq!(f(Opcode::VmvXS), Some((VOp::MvXS, 0, 0, false)));
        assert_eq!(f(Opcode::Vmv2rV), Some((VOp::Mvr, 2, 0, false)));
        assert_eq!(f(Opcode::VaddVi), Some((VOp::Add, 0, 0, true)));
        assert_eq!(f(Opcode::VfirstM), Some((VOp::First, 0, 0, false)));
        assert_eq!(f(Opcode::VfaddVf), Some((VOp::Fadd, 0, 0, true)));
        assert_eq!(f(Opcode::VfwaddWf), Some((VOp::FwaddW, 0, 0, true)));
        assert_eq!(f(Opcode::VfncvtRodFFW), Some((VOp::FncvtRodFF, 0, 0, false)));
        assert_eq!(f(Opcode::VfwcvtRtzXuFV), Some((VOp::FwcvtRtzXuF, 0, 0, false)));
        assert_eq!(f(Opcode::VfmvFS), Some((VOp::FmvFS, 0, 0, false)));
        assert_eq!(f(Opcode::VfmvVF), Some((VOp::FmvVF, 0, 0, true)));
        assert_eq!(f(Opcode::VfmergeVfm), Some((VOp::Fmerge, 0, 0, true)));
        assert_eq!(f(Opcode::VmfgeVf), Some((VOp::Mfge, 0, 0, true)));
        assert_eq!(f(Opcode::VfwredosumVs), Some((VOp::Fwredosum, 0, 0, false)));
        assert_eq!(f(Opcode::VcpopV), Some((VOp::CpopV, 0, 0, false)));
        assert_eq!(f(Opcode::VcpopM), Some((VOp::Cpop, 0, 0, false)));
        assert_eq!(f(Opcode::VrorVi), Some((VOp::Ror, 0, 0, true)));
        assert_eq!(f(Opcode::VwsllVx), Some((VOp::Wsll, 0, 0, true)));
        assert_eq!(f(Opcode::VandnVv), Some((VOp::Andn, 0, 0, false)));
        assert_eq!(f(Opcode::Vbrev8V), Some((VOp::Brev8, 0, 0, false)));
        assert_eq!(f(Opcode::VaesefVs), Some((VOp::AesefVs, 0, 0, false)));
        assert_eq!(f(Opcode::VaesdmVv), Some((VOp::AesdmVv, 0, 0, false)));
        assert_eq!(f(Opcode::VaeszVs), Some((VOp::AeszVs, 0, 0, false)));
        assert_eq!(f(Opcode::Vaeskf2Vi), Some((VOp::Aeskf2, 0, 0, true)));
        assert_eq!(f(Opcode::Vsha2clVv), Some((VOp::Sha2cl, 0, 0, false)));
        assert_eq!(f(Opcode::VghshVv), Some((VOp::Ghsh, 0, 0, false)));
        assert_eq!(f(Opcode::VgmulVv), Some((VOp::Gmul, 0, 0, false)));
        assert_eq!(f(Opcode::VclmulVv), Some((VOp::Clmul, 0, 0, false)));
        assert_eq!(f(Opcode::VclmulhVx), Some((VOp::Clmulh, 0, 0, true)));
        assert_eq!(f(Opcode::Vsm4kVi), Some((VOp::Sm4k, 0, 0, true)));
        assert_eq!(f(Opcode::Vsm4rVs), Some((VOp::Sm4rVs, 0, 0, false)));
        assert_eq!(f(Opcode::Vsm3meVv), Some((VOp::Sm3me, 0, 0, false)));
        assert_eq!(f(Opcode::Vsm3cVi), Some((VOp::Sm3c, 0, 0, true)));
    }
}
