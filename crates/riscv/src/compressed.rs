//! RVC: the 16-bit compressed instructions of RV64C, expanded to the 32-bit
//! instruction they stand for (RISC-V Unprivileged ISA 20191213, chapter 16).
//!
//! ```text
//!  15  13 12  11 10   7 6   5 4   2 1 0
//! |funct4      |rd/rs1  |  rs2      |op |  CR
//! |funct3|imm |rd/rs1  |  imm      |op |  CI
//! |funct3|   imm          |  rs2      |op |  CSS
//! |funct3|   imm                |rd'  |op |  CIW
//! |funct3| imm |rs1'|imm |rd'  |op |  CL
//! |funct3| imm |rs1'|imm |rs2' |op |  CS
//! |funct6         |rd'/rs1'|f2 |rs2' |op |  CA
//! |funct3|offset|rs1'|  offset   |op |  CB
//! |funct3|      jump target      |op |  CJ
//! ```
//!
//! `rd'`, `rs1'`, `rs2'` are 3-bit fields naming `x8..x15` (or `f8..f15`).
//!
//! Zcb (code-size reduction 1.0, §"Zcb") takes reserved quadrant-0 and
//! quadrant-1 space for `c.lbu`, `c.lhu`, `c.lh`, `c.sb`, `c.sh`, `c.zext.b`,
//! `c.sext.b`, `c.zext.h`, `c.sext.h`, `c.zext.w`, `c.not` and `c.mul`; they
//! expand to the 32-bit instruction of the same name. Zcmop takes the
//! reserved `c.lui x{1,3,..,15}, 0` space for `c.mop.n`, which writes no
//! register: it decodes as `addi x0, x0, 0`. Which extension a 16-bit word
//! needs is [`rvc_ext`]'s answer (the decoder itself accepts all of them).
//!
//! Table 16.5-16.7 rules followed here: encodings marked *reserved* decode as
//! [`Opcode::Illegal`] (including the all-zero word, §16.1); encodings marked
//! *HINT* decode as the ordinary instruction they expand to (e.g. `c.li x0, 5`
//! is `addi x0, x0, 5`), since executing a HINT is executing that instruction.

use crate::inst::{Ext, Inst, Opcode};

/// Decodes a 16-bit RVC instruction. Reserved encodings and words whose low
/// two bits are `0b11` are [`Opcode::Illegal`] with `len == 2`.
#[inline]
pub fn decode16(half: u16) -> Inst {
    let h = half as u32;
    let funct3 = h >> 13;
    let rd = ((h >> 7) & 0x1f) as u8; // rd/rs1 of CR/CI
    let rs2 = ((h >> 2) & 0x1f) as u8; // rs2 of CR/CSS
    let rdp = 8 + ((h >> 2) & 7) as u8; // rd'/rs2' (bits 4:2)
    let rs1p = 8 + ((h >> 7) & 7) as u8; // rs1'/rd' (bits 9:7)
    let illegal = Inst::illegal(h, 2);
    match (h & 3, funct3) {
        // ---- quadrant 0 ----
        (0, 0b000) => {
            // c.addi4spn: addi rd', x2, nzuimm[9:2]; nzuimm == 0 is reserved
            // (that includes the all-zero word, which is defined illegal).
            let imm = bits(h, 12, 11) << 4 | bits(h, 10, 7) << 6 | bits(h, 6, 6) << 2 | bits(h, 5, 5) << 3;
            if imm == 0 { illegal } else { i_type(Opcode::Addi, rdp, 2, imm as i64) }
        }
        (0, 0b001) => i_type(Opcode::Fld, rdp, rs1p, cl_d_offset(h)), // c.fld
        (0, 0b010) => i_type(Opcode::Lw, rdp, rs1p, cl_w_offset(h)),  // c.lw
        (0, 0b011) => i_type(Opcode::Ld, rdp, rs1p, cl_d_offset(h)),  // c.ld
        (0, 0b100) => match bits(h, 12, 10) {
            // Zcb: c.lbu (uimm[0] = bit 6, uimm[1] = bit 5), c.lhu/c.lh
            // (uimm[1] = bit 5, bit 6 picks lh), c.sb, c.sh.
            0b000 => i_type(Opcode::Lbu, rdp, rs1p, (bits(h, 6, 6) | bits(h, 5, 5) << 1) as i64),
            0b001 => {
                let op = if bits(h, 6, 6) == 0 { Opcode::Lhu } else { Opcode::Lh };
                i_type(op, rdp, rs1p, (bits(h, 5, 5) << 1) as i64)
            }
            0b010 => s_type(Opcode::Sb, rs1p, rdp, (bits(h, 6, 6) | bits(h, 5, 5) << 1) as i64),
            0b011 if bits(h, 6, 6) == 0 => s_type(Opcode::Sh, rs1p, rdp, (bits(h, 5, 5) << 1) as i64),
            _ => illegal, // reserved
        },
        (0, 0b101) => s_type(Opcode::Fsd, rs1p, rdp, cl_d_offset(h)), // c.fsd
        (0, 0b110) => s_type(Opcode::Sw, rs1p, rdp, cl_w_offset(h)),  // c.sw
        (0, 0b111) => s_type(Opcode::Sd, rs1p, rdp, cl_d_offset(h)),  // c.sd
        // ---- quadrant 1 ----
        // c.addi (c.nop when rd == 0; rd == 0 with imm != 0 and imm == 0 with
        // rd != 0 are HINTs).
        (1, 0b000) => i_type(Opcode::Addi, rd, rd, ci_imm(h)),
        // c.addiw: rd == 0 is reserved.
        (1, 0b001) => {
            if rd == 0 {
                illegal
            } else {
                i_type(Opcode::Addiw, rd, rd, ci_imm(h))
            }
        }
        // c.li: rd == 0 is a HINT.
        (1, 0b010) => i_type(Opcode::Addi, rd, 0, ci_imm(h)),
        (1, 0b011) if rd == 2 => {
            // c.addi16sp: addi x2, x2, nzimm[9:4]; nzimm == 0 is reserved.
            let imm = sext(
                bits(h, 12, 12) << 9
                    | bits(h, 6, 6) << 4
                    | bits(h, 5, 5) << 6
                    | bits(h, 4, 3) << 7
                    | bits(h, 2, 2) << 5,
                10,
            );
            if imm == 0 { illegal } else { i_type(Opcode::Addi, 2, 2, imm) }
        }
        (1, 0b011) => {
            // c.lui: nzimm == 0 is reserved; rd == 0 is a HINT.
            let imm = sext(bits(h, 12, 12) << 17 | bits(h, 6, 2) << 12, 18);
            match (imm, rd) {
                // Zcmop c.mop.n (rd = 2n + 1 < 16): writes nothing.
                (0, 1 | 3 | 5 | 7 | 9 | 11 | 13 | 15) => i_type(Opcode::Addi, 0, 0, 0),
                (0, _) => illegal,
                _ => Inst { op: Opcode::Lui, rd, imm, ..base() },
            }
        }
        (1, 0b100) => match bits(h, 11, 10) {
            // c.srli / c.srai: shamt == 0 is a HINT on RV64 (§16.5).
            0b00 => i_type(Opcode::Srli, rs1p, rs1p, ci_uimm(h)),
            0b01 => i_type(Opcode::Srai, rs1p, rs1p, ci_uimm(h)),
            0b10 => i_type(Opcode::Andi, rs1p, rs1p, ci_imm(h)), // c.andi
            _ => {
                let op = match (bits(h, 12, 12), bits(h, 6, 5)) {
                    (0, 0b00) => Opcode::Sub,
                    (0, 0b01) => Opcode::Xor,
                    (0, 0b10) => Opcode::Or,
                    (0, _) => Opcode::And,
                    (_, 0b00) => Opcode::Subw,
                    (_, 0b01) => Opcode::Addw,
                    (_, 0b10) => Opcode::Mul, // Zcb c.mul
                    _ => {
                        // Zcb c.zext.b .. c.not (bits 4:2), on rd'.
                        return match bits(h, 4, 2) {
                            0b000 => i_type(Opcode::Andi, rs1p, rs1p, 0xff),
                            0b001 => i_type(Opcode::SextB, rs1p, rs1p, 0),
                            0b010 => i_type(Opcode::ZextH, rs1p, rs1p, 0),
                            0b011 => i_type(Opcode::SextH, rs1p, rs1p, 0),
                            0b100 => r_type(Opcode::AddUw, rs1p, rs1p, 0),
                            0b101 => i_type(Opcode::Xori, rs1p, rs1p, -1),
                            _ => illegal, // reserved
                        };
                    }
                };
                r_type(op, rs1p, rs1p, rdp)
            }
        },
        (1, 0b101) => {
            // c.j: jal x0, offset[11:1]
            let imm = sext(
                bits(h, 12, 12) << 11
                    | bits(h, 11, 11) << 4
                    | bits(h, 10, 9) << 8
                    | bits(h, 8, 8) << 10
                    | bits(h, 7, 7) << 6
                    | bits(h, 6, 6) << 7
                    | bits(h, 5, 3) << 1
                    | bits(h, 2, 2) << 5,
                12,
            );
            Inst { op: Opcode::Jal, rd: 0, imm, ..base() }
        }
        (1, 0b110 | 0b111) => {
            // c.beqz / c.bnez: b{eq,ne} rs1', x0, offset[8:1]
            let imm = sext(
                bits(h, 12, 12) << 8
                    | bits(h, 11, 10) << 3
                    | bits(h, 6, 5) << 6
                    | bits(h, 4, 3) << 1
                    | bits(h, 2, 2) << 5,
                9,
            );
            let op = if funct3 == 0b110 { Opcode::Beq } else { Opcode::Bne };
            Inst { op, rs1: rs1p, rs2: 0, imm, ..base() }
        }
        // ---- quadrant 2 ----
        // c.slli: rd == 0 and shamt == 0 are HINTs.
        (2, 0b000) => i_type(Opcode::Slli, rd, rd, ci_uimm(h)),
        (2, 0b001) => i_type(Opcode::Fld, rd, 2, ci_ldsp_offset(h)), // c.fldsp
        (2, 0b010) => {
            // c.lwsp: rd == 0 is reserved.
            let imm = bits(h, 12, 12) << 5 | bits(h, 6, 4) << 2 | bits(h, 3, 2) << 6;
            if rd == 0 { illegal } else { i_type(Opcode::Lw, rd, 2, imm as i64) }
        }
        // c.ldsp: rd == 0 is reserved.
        (2, 0b011) => {
            if rd == 0 {
                illegal
            } else {
                i_type(Opcode::Ld, rd, 2, ci_ldsp_offset(h))
            }
        }
        (2, 0b100) => match (bits(h, 12, 12), rd, rs2) {
            (0, 0, 0) => illegal,                               // c.jr x0: reserved
            (0, _, 0) => i_type(Opcode::Jalr, 0, rd, 0),        // c.jr
            (0, _, _) => r_type(Opcode::Add, rd, 0, rs2),       // c.mv (rd == 0: HINT)
            (_, 0, 0) => Inst { op: Opcode::Ebreak, ..base() }, // c.ebreak
            (_, _, 0) => i_type(Opcode::Jalr, 1, rd, 0),        // c.jalr
            _ => r_type(Opcode::Add, rd, rd, rs2),              // c.add (rd == 0: HINT)
        },
        (2, 0b101) => s_type(Opcode::Fsd, 2, rs2, css_d_offset(h)), // c.fsdsp
        (2, 0b110) => s_type(Opcode::Sw, 2, rs2, (bits(h, 12, 9) << 2 | bits(h, 8, 7) << 6) as i64), // c.swsp
        (2, 0b111) => s_type(Opcode::Sd, 2, rs2, css_d_offset(h)),  // c.sdsp
        _ => illegal,                                               // quadrant 3 is not RVC
    }
}

/// The extension a (valid) 16-bit encoding belongs to: [`Ext::Zcb`] and
/// [`Ext::Zcmop`] for theirs, [`Ext::C`] for the rest. The expansion may
/// need more (`c.fld` needs D, Zcb's `c.mul` M or Zmmul, `c.sext.b` Zbb):
/// that is the expanded opcode's [`Opcode::ext`].
pub fn rvc_ext(half: u16) -> Ext {
    let h = u32::from(half);
    match (h & 3, h >> 13) {
        (0, 0b100) => Ext::Zcb,
        (1, 0b100) if bits(h, 12, 10) == 0b111 && bits(h, 6, 5) >= 0b10 => Ext::Zcb,
        (1, 0b011) if bits(h, 12, 12) == 0 && bits(h, 6, 2) == 0 && bits(h, 7, 7) == 1 && bits(h, 11, 11) == 0 => {
            Ext::Zcmop
        }
        _ => Ext::C,
    }
}

/// Bits `hi..=lo` of `h`, shifted down.
#[inline]
const fn bits(h: u32, hi: u32, lo: u32) -> u32 {
    (h >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// Sign-extends the low `width` bits of `v`.
#[inline]
const fn sext(v: u32, width: u32) -> i64 {
    (((v << (32 - width)) as i32) >> (32 - width)) as i64
}

/// CI-format signed immediate `imm[5]` = bit 12, `imm[4:0]` = bits 6:2.
#[inline]
const fn ci_imm(h: u32) -> i64 {
    sext(bits(h, 12, 12) << 5 | bits(h, 6, 2), 6)
}

/// CI-format unsigned shift amount `shamt[5]` = bit 12, `shamt[4:0]` = 6:2.
#[inline]
const fn ci_uimm(h: u32) -> i64 {
    (bits(h, 12, 12) << 5 | bits(h, 6, 2)) as i64
}

/// CL/CS word offset: `uimm[5:3]` = bits 12:10, `uimm[2]` = 6, `uimm[6]` = 5.
#[inline]
const fn cl_w_offset(h: u32) -> i64 {
    (bits(h, 12, 10) << 3 | bits(h, 6, 6) << 2 | bits(h, 5, 5) << 6) as i64
}

/// CL/CS doubleword offset: `uimm[5:3]` = bits 12:10, `uimm[7:6]` = 6:5.
#[inline]
const fn cl_d_offset(h: u32) -> i64 {
    (bits(h, 12, 10) << 3 | bits(h, 6, 5) << 6) as i64
}

/// CI stack-relative doubleword offset: `uimm[5]` = 12, `uimm[4:3|8:6]` = 6:2.
#[inline]
const fn ci_ldsp_offset(h: u32) -> i64 {
    (bits(h, 12, 12) << 5 | bits(h, 6, 5) << 3 | bits(h, 4, 2) << 6) as i64
}

/// CSS doubleword offset: `uimm[5:3|8:6]` = bits 12:7.
#[inline]
const fn css_d_offset(h: u32) -> i64 {
    (bits(h, 12, 10) << 3 | bits(h, 9, 7) << 6) as i64
}

#[inline]
const fn base() -> Inst {
    Inst { op: Opcode::Illegal, rd: 0, rs1: 0, rs2: 0, rs3: 0, imm: 0, rm: 0, len: 2 }
}

#[inline]
const fn i_type(op: Opcode, rd: u8, rs1: u8, imm: i64) -> Inst {
    Inst { op, rd, rs1, imm, ..base() }
}

#[inline]
const fn s_type(op: Opcode, rs1: u8, rs2: u8, imm: i64) -> Inst {
    Inst { op, rs1, rs2, imm, ..base() }
}

#[inline]
const fn r_type(op: Opcode, rd: u8, rs1: u8, rs2: u8) -> Inst {
    Inst { op, rd, rs1, rs2, ..base() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(h: u16) -> (Opcode, u8, u8, u8, i64) {
        let i = decode16(h);
        assert_eq!(i.len, 2);
        (i.op, i.rd, i.rs1, i.rs2, i.imm)
    }

    #[test]
    fn expands_common_forms() {
        assert_eq!(d(0x7131), (Opcode::Addi, 2, 2, 0, -192)); // c.addi16sp
        assert_eq!(d(0xf922), (Opcode::Sd, 0, 2, 8, 176)); // c.sdsp s0,176(sp)
        assert_eq!(d(0x641c), (Opcode::Ld, 15, 8, 0, 8)); // c.ld a5,8(s0)
        assert_eq!(d(0x4681), (Opcode::Addi, 13, 0, 0, 0)); // c.li a3,0
        assert_eq!(d(0x84a2), (Opcode::Add, 9, 0, 8, 0)); // c.mv s1,s0
        assert_eq!(d(0xe781), (Opcode::Bne, 0, 15, 0, 8)); // c.bnez a5,+8
        assert_eq!(d(0x2781), (Opcode::Addiw, 15, 15, 0, 0)); // c.addiw a5,0
        assert_eq!(d(0x8082), (Opcode::Jalr, 0, 1, 0, 0)); // c.jr ra
        assert_eq!(d(0x9002), (Opcode::Ebreak, 0, 0, 0, 0)); // c.ebreak
        assert_eq!(d(0x1000), (Opcode::Addi, 8, 2, 0, 32)); // c.addi4spn s0,sp,32
    }

    #[test]
    fn reserved_encodings_are_illegal() {
        for h in [0x0000u16, 0x6101, 0x8002, 0x2001, 0x4002, 0x6002, 0x9c7d, 0x8c40, 0x9c79] {
            assert_eq!(decode16(h).op, Opcode::Illegal, "{h:#06x}");
        }
        assert_eq!(decode16(0x6001).op, Opcode::Illegal); // c.lui x0, 0
        assert_eq!(decode16(0x6101).op, Opcode::Illegal); // c.lui x2, 0 is c.addi16sp 0
        assert_eq!(decode16(0x6201).op, Opcode::Illegal); // c.lui x4, 0: not a c.mop
    }

    #[test]
    fn zcb_and_zcmop() {
        assert_eq!(d(0x8024), (Opcode::Lbu, 9, 8, 0, 2)); // c.lbu s1,2(s0)
        assert_eq!(d(0x8424), (Opcode::Lhu, 9, 8, 0, 2)); // c.lhu s1,2(s0)
        assert_eq!(d(0x8444), (Opcode::Lh, 9, 8, 0, 0)); // c.lh s1,0(s0)
        assert_eq!(d(0x8824), (Opcode::Sb, 0, 8, 9, 2)); // c.sb s1,2(s0)
        assert_eq!(d(0x8c24), (Opcode::Sh, 0, 8, 9, 2)); // c.sh s1,2(s0)
        assert_eq!(d(0x9c61), (Opcode::Andi, 8, 8, 0, 255)); // c.zext.b s0
        assert_eq!(d(0x9c75), (Opcode::Xori, 8, 8, 0, -1)); // c.not s0
        assert_eq!(d(0x9c45), (Opcode::Mul, 8, 8, 9, 0)); // c.mul s0,s1
        assert_eq!(d(0x6081), (Opcode::Addi, 0, 0, 0, 0)); // c.mop.1
        assert_eq!(rvc_ext(0x6081), Ext::Zcmop);
        assert_eq!(rvc_ext(0x9c61), Ext::Zcb);
        assert_eq!(rvc_ext(0x8824), Ext::Zcb);
        assert_eq!(rvc_ext(0x9c01), Ext::C); // c.subw
        assert_eq!(rvc_ext(0x6085), Ext::C); // c.lui ra,0x1
    }

    #[test]
    fn hints_decode_as_their_expansion() {
        assert_eq!(d(0x0005), (Opcode::Addi, 0, 0, 0, 1)); // c.nop 1
        assert_eq!(d(0x8001), (Opcode::Srli, 8, 8, 0, 0)); // c.srli64 s0
        assert_eq!(d(0x4005), (Opcode::Addi, 0, 0, 0, 1)); // c.li zero,1
        assert_eq!(d(0x8006), (Opcode::Add, 0, 0, 1, 0)); // c.mv zero,ra
    }
}
