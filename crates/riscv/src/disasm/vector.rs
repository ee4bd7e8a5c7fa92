//! The vector (V 1.0) part of the disassembler, as binutils 2.40 prints it:
//! `v0.t` for masked forms, `vtype` by name when it is a defined one, the
//! segment count spliced into load/store mnemonics (`vlseg2e8.v`), and the
//! aliases objdump prefers (`vneg.v`, `vnot.v`, `vmmv.m`, `vfneg.v`...).

use super::{Rendered, f, x};
use crate::inst::{Format, Inst, Opcode};

/// Vector register names.
pub(crate) fn v(r: u8) -> &'static str {
    const NAMES: [&str; 32] = [
        "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
        "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31",
    ];
    NAMES.get(usize::from(r)).copied().unwrap_or("?")
}

/// `vtype` as `vsetvli` prints it (`e32,m2,ta,mu`), or the number when a
/// field is reserved (binutils `riscv-dis.c`, operands `Vb`/`Vc`).
pub(crate) fn vtype_text(zimm: i64, out: &mut Rendered) {
    const SEW: [Option<&str>; 8] = [Some("e8"), Some("e16"), Some("e32"), Some("e64"), None, None, None, None];
    const LMUL: [Option<&str>; 8] =
        [Some("m1"), Some("m2"), Some("m4"), Some("m8"), None, Some("mf8"), Some("mf4"), Some("mf2")];
    let z = zimm as usize;
    let sew = SEW.get((z >> 3) & 7).copied().flatten();
    let lmul = LMUL.get(z & 7).copied().flatten();
    match (sew, lmul) {
        (Some(sew), Some(lmul)) if z >> 8 == 0 => {
            let ta = if z & 0x40 != 0 { "ta" } else { "tu" };
            let ma = if z & 0x80 != 0 { "ma" } else { "mu" };
            out.put(format_args!("{sew},{lmul},{ta},{ma}"));
        }
        _ => out.put(format_args!("{zimm}")),
    }
}

/// The mnemonic of a load/store with `nf` + 1 segments: `seg<n>` goes in
/// front of the element-width part (`vl` + `seg2` + `e8.v`).
fn seg_name(name: &str, nf: u8, out: &mut Rendered) {
    if nf == 0 {
        out.put(format_args!("{name}"));
        return;
    }
    let at = name.get(2..).and_then(|rest| rest.find('e')).map_or(name.len(), |p| p + 2);
    let (head, tail) = name.split_at(at);
    out.put(format_args!("{head}seg{}{tail}", nf + 1));
}

fn mask(i: &Inst, out: &mut Rendered) {
    if i.rm & 1 == 0 {
        out.put(format_args!(",v0.t"));
    }
}

/// Renders a V instruction. Returns false if objdump would not name it.
pub(crate) fn render(i: &Inst, out: &mut Rendered) -> bool {
    use Opcode::*;
    let name = i.op.name();
    let (rd, rs1, rs2, imm) = (i.rd, i.rs1, i.rs2, i.imm);
    // Aliases binutils lists before the instruction they stand for.
    match i.op {
        VrsubVx if rs1 == 0 => {
            out.put(format_args!("vneg.v\t{},{}", v(rd), v(rs2)));
            mask(i, out);
            return true;
        }
        VxorVi if imm == -1 => {
            out.put(format_args!("vnot.v\t{},{}", v(rd), v(rs2)));
            mask(i, out);
            return true;
        }
        VwaddVx | VwadduVx | VnsrlWx if rs1 == 0 => {
            let alias = match i.op {
                VwaddVx => "vwcvt.x.x.v",
                VwadduVx => "vwcvtu.x.x.v",
                _ => "vncvt.x.x.w",
            };
            out.put(format_args!("{alias}\t{},{}", v(rd), v(rs2)));
            mask(i, out);
            return true;
        }
        VfsgnjnVv | VfsgnjxVv if rs1 == rs2 => {
            let alias = if i.op == VfsgnjnVv { "vfneg.v" } else { "vfabs.v" };
            out.put(format_args!("{alias}\t{},{}", v(rd), v(rs2)));
            mask(i, out);
            return true;
        }
        VmandMm | VmnandMm if rs1 == rs2 => {
            let alias = if i.op == VmandMm { "vmmv.m" } else { "vmnot.m" };
            out.put(format_args!("{alias}\t{},{}", v(rd), v(rs2)));
            return true;
        }
        Vl1re8V | Vl2re8V | Vl4re8V | Vl8re8V => {
            let alias = match i.op {
                Vl1re8V => "vl1r.v",
                Vl2re8V => "vl2r.v",
                Vl4re8V => "vl4r.v",
                _ => "vl8r.v",
            };
            out.put(format_args!("{alias}\t{},({})", v(rd), x(rs1)));
            return true;
        }
        VmxorMm | VmxnorMm if rs1 == rd && rs2 == rd => {
            let alias = if i.op == VmxorMm { "vmclr.m" } else { "vmset.m" };
            out.put(format_args!("{alias}\t{}", v(rd)));
            return true;
        }
        _ => {}
    }
    let fixed_vm0 = i.op.encoding().0 & (1 << 25) == 0;
    match i.op.format() {
        Format::VSetvli => {
            out.put(format_args!("{name}\t{},{},", x(rd), x(rs1)));
            vtype_text(imm, out);
        }
        Format::VSetivli => {
            out.put(format_args!("{name}\t{},{rs1},", x(rd)));
            vtype_text(imm, out);
        }
        Format::R => out.put(format_args!("{name}\t{},{},{}", x(rd), x(rs1), x(rs2))),
        Format::VMem => {
            seg_name(name, i.rs3, out);
            out.put(format_args!("\t{},({})", v(rd), x(rs1)));
            mask(i, out);
        }
        Format::VMemStrided => {
            seg_name(name, i.rs3, out);
            out.put(format_args!("\t{},({}),{}", v(rd), x(rs1), x(rs2)));
            mask(i, out);
        }
        Format::VMemIndexed => {
            seg_name(name, i.rs3, out);
            out.put(format_args!("\t{},({}),{}", v(rd), x(rs1), v(rs2)));
            mask(i, out);
        }
        Format::VMemWhole => out.put(format_args!("{name}\t{},({})", v(rd), x(rs1))),
        Format::VV => {
            out.put(format_args!("{name}\t{},{},{}", v(rd), v(rs2), v(rs1)));
            mask(i, out);
        }
        Format::VX => {
            out.put(format_args!("{name}\t{},{},{}", v(rd), v(rs2), x(rs1)));
            mask(i, out);
        }
        Format::VI | Format::VIU | Format::VIU6 => {
            out.put(format_args!("{name}\t{},{},{imm}", v(rd), v(rs2)));
            mask(i, out);
        }
        Format::VF => {
            out.put(format_args!("{name}\t{},{},{}", v(rd), v(rs2), f(rs1)));
            mask(i, out);
        }
        Format::VVMac => {
            out.put(format_args!("{name}\t{},{},{}", v(rd), v(rs1), v(rs2)));
            mask(i, out);
        }
        Format::VXMac => {
            out.put(format_args!("{name}\t{},{},{}", v(rd), x(rs1), v(rs2)));
            mask(i, out);
        }
        Format::VFMac => {
            out.put(format_args!("{name}\t{},{},{}", v(rd), f(rs1), v(rs2)));
            mask(i, out);
        }
        Format::VVNm | Format::VXNm | Format::VINm | Format::VIUNm | Format::VFNm => {
            let src1 = match i.op.format() {
                Format::VVNm => v(rs1).to_owned(),
                Format::VXNm => x(rs1).to_owned(),
                Format::VFNm => f(rs1).to_owned(),
                _ => imm.to_string(),
            };
            out.put(format_args!("{name}\t{},{},{src1}", v(rd), v(rs2)));
            if fixed_vm0 {
                out.put(format_args!(",v0"));
            }
        }
        Format::VMvV => out.put(format_args!("{name}\t{},{}", v(rd), v(rs1))),
        Format::VMvX => out.put(format_args!("{name}\t{},{}", v(rd), x(rs1))),
        Format::VMvI => out.put(format_args!("{name}\t{},{imm}", v(rd))),
        Format::VMvF => out.put(format_args!("{name}\t{},{}", v(rd), f(rs1))),
        Format::VToX => out.put(format_args!("{name}\t{},{}", x(rd), v(rs2))),
        Format::VToF => out.put(format_args!("{name}\t{},{}", f(rd), v(rs2))),
        Format::VToXM => {
            out.put(format_args!("{name}\t{},{}", x(rd), v(rs2)));
            mask(i, out);
        }
        Format::VUnary => {
            out.put(format_args!("{name}\t{},{}", v(rd), v(rs2)));
            mask(i, out);
        }
        Format::VId => {
            out.put(format_args!("{name}\t{}", v(rd)));
            mask(i, out);
        }
        Format::VMvR => out.put(format_args!("{name}\t{},{}", v(rd), v(rs2))),
        _ => return false,
    }
    true
}
