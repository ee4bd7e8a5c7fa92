//! The encoder: [`Inst`] back to its 32-bit word, for test generators and
//! round-trip fuzzing. It is the exact inverse of
//! [`decode32`](crate::decode32): every field is placed where the table's
//! [`Format`] says it lives, and the result is accepted only if decoding it
//! gives back the same `Inst` (so out-of-range fields, misaligned offsets,
//! reserved rounding modes and stray values in unused fields all give `None`).

use crate::decode::decode32;
use crate::inst::{Format, Inst};

/// The 32-bit encoding of `inst`, or `None` if it has no encoding: it is
/// [`Opcode::Illegal`](crate::Opcode::Illegal), or a field is out of range
/// for the opcode. `len` is ignored (compressed instructions re-encode as
/// their 32-bit expansion).
///
/// `decode32(encode(i)?) == i` (with `len == 4`) for every `i` that encodes.
pub fn encode(inst: &Inst) -> Option<u32> {
    let (matches, _) = inst.op.encoding();
    if !inst.is_legal() {
        return None;
    }
    let format = inst.op.format();
    let reg = |r: u8| -> u32 { u32::from(r & 0x1f) };
    let rd = reg(inst.rd) << 7;
    let rs1 = reg(inst.rs1) << 15;
    let rs2 = reg(inst.rs2) << 20;
    let rm = u32::from(inst.rm & 7) << 12;
    let imm = inst.imm;
    let vm = u32::from(inst.rm & 1) << 25;
    let nf = u32::from(inst.rs3 & 7) << 29;
    let word = matches
        | match format {
            Format::R | Format::FR | Format::FCmp => rd | rs1 | rs2,
            Format::RUnary | Format::FToX | Format::XToF | Format::FLi => rd | rs1,
            Format::Cbo => rs1,
            Format::MopR => {
                let n = (imm as u32) & 0x1f;
                rd | rs1 | (n & 0x10) << 26 | (n & 0xc) << 24 | (n & 3) << 20
            }
            Format::MopRR => {
                let n = (imm as u32) & 7;
                rd | rs1 | rs2 | (n & 4) << 28 | (n & 3) << 26
            }
            Format::I | Format::Load | Format::FLoad | Format::FenceI => rd | rs1 | ((imm as u32) << 20),
            Format::Store | Format::FStore => rs1 | rs2 | (((imm as u32) >> 5) << 25) | (((imm as u32) & 0x1f) << 7),
            Format::B => {
                let v = imm as u32;
                rs1 | rs2
                    | (((v >> 12) & 1) << 31)
                    | (((v >> 5) & 0x3f) << 25)
                    | (((v >> 1) & 0xf) << 8)
                    | (((v >> 11) & 1) << 7)
            }
            Format::U => rd | ((imm as u32) & 0xffff_f000),
            Format::J => {
                let v = imm as u32;
                rd | (((v >> 20) & 1) << 31) | (((v >> 1) & 0x3ff) << 21) | (((v >> 11) & 1) << 20) | (v & 0x000f_f000)
            }
            Format::Shift => rd | rs1 | (((imm as u32) & 0x3f) << 20),
            Format::ShiftW => rd | rs1 | (((imm as u32) & 0x1f) << 20),
            Format::Amo => rd | rs1 | rs2 | (u32::from(inst.rm & 3) << 25),
            Format::Lr => rd | rs1 | (u32::from(inst.rm & 3) << 25),
            Format::Csr | Format::CsrI | Format::Fence => rd | rs1 | (((imm as u32) & 0xfff) << 20),
            Format::None => 0,
            Format::FRRm => rd | rs1 | rs2 | rm,
            Format::FR4 => rd | rs1 | rs2 | rm | (reg(inst.rs3) << 27),
            Format::FUnaryRm | Format::FToXRm | Format::XToFRm => rd | rs1 | rm,
            Format::VSetvli => rd | rs1 | (((imm as u32) & 0x7ff) << 20),
            Format::VSetivli => rd | rs1 | (((imm as u32) & 0x3ff) << 20),
            Format::VMemWhole | Format::VMvV | Format::VMvX | Format::VMvF => rd | rs1,
            Format::VMvI => rd | (((imm as u32) & 0x1f) << 15),
            Format::VVNm | Format::VXNm | Format::VFNm => rd | rs1 | rs2,
            Format::VINm | Format::VIUNm => rd | rs2 | (((imm as u32) & 0x1f) << 15),
            Format::VToX | Format::VToF | Format::VMvR => rd | rs2,
            Format::VId => rd | vm,
            Format::VToXM | Format::VUnary => rd | rs2 | vm,
            Format::VI | Format::VIU => rd | rs2 | vm | (((imm as u32) & 0x1f) << 15),
            Format::VIU6 => rd | rs2 | vm | (((imm as u32) & 0x1f) << 15) | (((imm as u32 >> 5) & 1) << 26),
            Format::VV | Format::VX | Format::VF | Format::VVMac | Format::VXMac | Format::VFMac => rd | rs1 | rs2 | vm,
            Format::VMem => rd | rs1 | vm | nf,
            Format::VMemStrided | Format::VMemIndexed => rd | rs1 | rs2 | vm | nf,
        };
    let back = decode32(word);
    (back == Inst { len: 4, ..*inst }).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inst::Opcode;

    fn inst(op: Opcode, rd: u8, rs1: u8, rs2: u8, imm: i64) -> Inst {
        Inst { op, rd, rs1, rs2, rs3: 0, imm, rm: 0, len: 4 }
    }

    #[test]
    fn encodes_known_words() {
        assert_eq!(encode(&inst(Opcode::Add, 10, 10, 11, 0)), Some(0x00b5_0533));
        assert_eq!(encode(&inst(Opcode::Ld, 14, 14, 0, -1098)), Some(0xbb67_3703));
        assert_eq!(encode(&inst(Opcode::Beq, 0, 15, 18, 32)), Some(0x0327_8063));
        assert_eq!(encode(&inst(Opcode::Jal, 1, 0, 0, 0xa782)), Some(0x7820_a0ef));
    }

    #[test]
    fn rejects_out_of_range_fields() {
        assert_eq!(encode(&inst(Opcode::Addi, 1, 1, 0, 2048)), None);
        assert_eq!(encode(&inst(Opcode::Beq, 0, 1, 2, 3)), None); // odd offset
        assert_eq!(encode(&inst(Opcode::Add, 32, 1, 2, 0)), None);
        assert_eq!(encode(&inst(Opcode::Add, 1, 1, 2, 5)), None); // stray imm
        assert_eq!(encode(&inst(Opcode::Slli, 1, 1, 0, 64)), None);
        assert_eq!(encode(&Inst::illegal(0, 4)), None);
        let mut fadd = inst(Opcode::FaddD, 1, 2, 3, 0);
        fadd.rm = 5;
        assert_eq!(encode(&fadd), None);
    }

    #[test]
    fn compressed_instructions_encode_as_their_expansion() {
        let c = crate::decode16(0x7131); // c.addi16sp sp,-192
        assert_eq!(encode(&c), Some(0xf401_0113)); // addi sp,sp,-192
    }
}
