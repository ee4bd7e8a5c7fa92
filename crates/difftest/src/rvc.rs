//! The RV64C (with D) compressed instructions the generator emits, with their
//! 16-bit encodings and GNU `as` text — independent of `ferrovm-riscv` for the
//! same reason as [`crate::isa`]. `c.ebreak` is left out on purpose. Zcb
//! (code-size reduction 1.0) and Zcmop's `c.mop.n` are emitted only for the
//! QEMU 10 oracle ([`COp::rva23`]).

/// One compressed instruction kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum COp {
    Addi4spn,
    Fld,
    Lw,
    Ld,
    Fsd,
    Sw,
    Sd,
    Nop,
    Addi,
    Addiw,
    Li,
    Addi16sp,
    Lui,
    Srli,
    Srai,
    Andi,
    Sub,
    Xor,
    Or,
    And,
    Subw,
    Addw,
    J,
    Beqz,
    Bnez,
    Slli,
    Fldsp,
    Lwsp,
    Ldsp,
    Jr,
    Mv,
    Jalr,
    Add,
    Fsdsp,
    Swsp,
    Sdsp,
    // Zcb
    Lbu,
    Lhu,
    Lh,
    Sb,
    Sh,
    ZextB,
    SextB,
    ZextH,
    SextH,
    ZextW,
    Not,
    Mul,
    /// Zcmop `c.mop.n`, `n` (odd, 1..=15) in `rd`.
    Mop,
}

impl COp {
    pub const ALL: &[COp] = &[
        COp::Addi4spn,
        COp::Fld,
        COp::Lw,
        COp::Ld,
        COp::Fsd,
        COp::Sw,
        COp::Sd,
        COp::Nop,
        COp::Addi,
        COp::Addiw,
        COp::Li,
        COp::Addi16sp,
        COp::Lui,
        COp::Srli,
        COp::Srai,
        COp::Andi,
        COp::Sub,
        COp::Xor,
        COp::Or,
        COp::And,
        COp::Subw,
        COp::Addw,
        COp::J,
        COp::Beqz,
        COp::Bnez,
        COp::Slli,
        COp::Fldsp,
        COp::Lwsp,
        COp::Ldsp,
        COp::Jr,
        COp::Mv,
        COp::Jalr,
        COp::Add,
        COp::Fsdsp,
        COp::Swsp,
        COp::Sdsp,
        COp::Lbu,
        COp::Lhu,
        COp::Lh,
        COp::Sb,
        COp::Sh,
        COp::ZextB,
        COp::SextB,
        COp::ZextH,
        COp::SextH,
        COp::ZextW,
        COp::Not,
        COp::Mul,
        COp::Mop,
    ];

    /// Whether the instruction is Zcb's or Zcmop's, which only the QEMU 10
    /// oracle runs.
    pub fn rva23(self) -> bool {
        matches!(
            self,
            COp::Lbu
                | COp::Lhu
                | COp::Lh
                | COp::Sb
                | COp::Sh
                | COp::ZextB
                | COp::SextB
                | COp::ZextH
                | COp::SextH
                | COp::ZextW
                | COp::Not
                | COp::Mul
                | COp::Mop
        )
    }

    /// The assembler mnemonic.
    pub fn name(self) -> &'static str {
        match self {
            COp::Addi4spn => "c.addi4spn",
            COp::Fld => "c.fld",
            COp::Lw => "c.lw",
            COp::Ld => "c.ld",
            COp::Fsd => "c.fsd",
            COp::Sw => "c.sw",
            COp::Sd => "c.sd",
            COp::Nop => "c.nop",
            COp::Addi => "c.addi",
            COp::Addiw => "c.addiw",
            COp::Li => "c.li",
            COp::Addi16sp => "c.addi16sp",
            COp::Lui => "c.lui",
            COp::Srli => "c.srli",
            COp::Srai => "c.srai",
            COp::Andi => "c.andi",
            COp::Sub => "c.sub",
            COp::Xor => "c.xor",
            COp::Or => "c.or",
            COp::And => "c.and",
            COp::Subw => "c.subw",
            COp::Addw => "c.addw",
            COp::J => "c.j",
            COp::Beqz => "c.beqz",
            COp::Bnez => "c.bnez",
            COp::Slli => "c.slli",
            COp::Fldsp => "c.fldsp",
            COp::Lwsp => "c.lwsp",
            COp::Ldsp => "c.ldsp",
            COp::Jr => "c.jr",
            COp::Mv => "c.mv",
            COp::Jalr => "c.jalr",
            COp::Add => "c.add",
            COp::Fsdsp => "c.fsdsp",
            COp::Swsp => "c.swsp",
            COp::Sdsp => "c.sdsp",
            COp::Lbu => "c.lbu",
            COp::Lhu => "c.lhu",
            COp::Lh => "c.lh",
            COp::Sb => "c.sb",
            COp::Sh => "c.sh",
            COp::ZextB => "c.zext.b",
            COp::SextB => "c.sext.b",
            COp::ZextH => "c.zext.h",
            COp::SextH => "c.sext.h",
            COp::ZextW => "c.zext.w",
            COp::Not => "c.not",
            COp::Mul => "c.mul",
            COp::Mop => "c.mop",
        }
    }

    /// Bytes accessed by a load or store, else 0.
    pub fn mem_size(self) -> u8 {
        match self {
            COp::Lw | COp::Sw | COp::Lwsp | COp::Swsp => 4,
            COp::Fld | COp::Ld | COp::Fsd | COp::Sd => 8,
            COp::Fldsp | COp::Ldsp | COp::Fsdsp | COp::Sdsp => 8,
            COp::Lbu | COp::Sb => 1,
            COp::Lhu | COp::Lh | COp::Sh => 2,
            _ => 0,
        }
    }

    /// True for loads and stores whose base is `sp`.
    pub fn sp_based(self) -> bool {
        matches!(self, COp::Fldsp | COp::Lwsp | COp::Ldsp | COp::Fsdsp | COp::Swsp | COp::Sdsp)
    }

    /// True for stores (the `rs2` operand is the data).
    pub fn is_store(self) -> bool {
        matches!(self, COp::Fsd | COp::Sw | COp::Sd | COp::Fsdsp | COp::Swsp | COp::Sdsp | COp::Sb | COp::Sh)
    }

    /// True when the data register is an FP register.
    pub fn fp_data(self) -> bool {
        matches!(self, COp::Fld | COp::Fsd | COp::Fldsp | COp::Fsdsp)
    }

    /// Largest offset of a load/store (they are unsigned and scaled).
    pub fn max_offset(self) -> i64 {
        match self {
            COp::Lw | COp::Sw => 124,
            COp::Fld | COp::Ld | COp::Fsd | COp::Sd => 248,
            COp::Lwsp | COp::Swsp => 252,
            COp::Fldsp | COp::Ldsp | COp::Fsdsp | COp::Sdsp => 504,
            COp::Lbu | COp::Sb => 3,
            COp::Lhu | COp::Lh | COp::Sh => 2,
            _ => 0,
        }
    }
}

/// One compressed instruction. Register fields hold full register numbers
/// (8..=15 where the format only has the 3-bit `rd'`/`rs1'`/`rs2'`).
#[derive(Clone, Copy, Debug)]
pub struct CInst {
    pub op: COp,
    /// `rd`, or `rd'`, or `rd/rs1` of the two-operand forms.
    pub rd: u8,
    /// `rs1'` of loads, stores and compressed branches; `rs1` of `c.jr`/`c.jalr`.
    pub rs1: u8,
    /// `rs2`/`rs2'`.
    pub rs2: u8,
    /// Immediate as the assembler writes it (byte offset for `c.j`/`c.beqz`,
    /// the 6-bit signed field value for `c.lui`).
    pub imm: i64,
}

/// Bit `from` of `v` moved to bit `to`.
fn bit(v: i64, from: u32, to: u32) -> u16 {
    (((v >> from) & 1) as u16) << to
}

/// Bits `hi..=lo` of `v` moved so that `lo` lands on `to`.
fn bits(v: i64, hi: u32, lo: u32, to: u32) -> u16 {
    let mask = (1i64 << (hi - lo + 1)) - 1;
    (((v >> lo) & mask) as u16) << to
}

/// The 3-bit field of a register in x8..=x15 / f8..=f15.
fn p(r: u8) -> u16 {
    u16::from(r.wrapping_sub(8) & 7)
}

impl CInst {
    pub fn new(op: COp) -> CInst {
        CInst { op, rd: 0, rs1: 0, rs2: 0, imm: 0 }
    }

    /// The 16-bit encoding.
    pub fn encode(&self) -> u16 {
        let (rd, rs1, rs2, imm) = (self.rd, self.rs1, self.rs2, self.imm);
        let full = |r: u8| u16::from(r & 31);
        // CI: funct3 | imm[5] | rd | imm[4:0] | op
        let ci = |f3: u16, q: u16| (f3 << 13) | bit(imm, 5, 12) | (full(rd) << 7) | bits(imm, 4, 0, 2) | q;
        // CL/CS with 8-byte scale: funct3 | uimm[5:3] | rs1' | uimm[7:6] | rd' | 00
        let cl8 = |f3: u16, r: u8| (f3 << 13) | bits(imm, 5, 3, 10) | (p(rs1) << 7) | bits(imm, 7, 6, 5) | (p(r) << 2);
        // CL/CS with 4-byte scale: funct3 | uimm[5:3] | rs1' | uimm[2|6] | rd' | 00
        let cl4 = |f3: u16, r: u8| {
            (f3 << 13) | bits(imm, 5, 3, 10) | (p(rs1) << 7) | bit(imm, 2, 6) | bit(imm, 6, 5) | (p(r) << 2)
        };
        // CA: 100 | f1 | 11 | rd' | f2 | rs2' | 01
        let ca =
            |f1: u16, f2: u16| (0b100 << 13) | (f1 << 12) | (0b11 << 10) | (p(rd) << 7) | (f2 << 5) | (p(rs2) << 2) | 1;
        // CB shifts and andi: 100 | imm[5] | f2 | rd' | imm[4:0] | 01
        let cb = |f2: u16| (0b100 << 13) | bit(imm, 5, 12) | (f2 << 10) | (p(rd) << 7) | bits(imm, 4, 0, 2) | 1;
        // CB branches: funct3 | imm[8|4:3] | rs1' | imm[7:6|2:1|5] | 01
        let br = |f3: u16| {
            (f3 << 13)
                | bit(imm, 8, 12)
                | bits(imm, 4, 3, 10)
                | (p(rs1) << 7)
                | bits(imm, 7, 6, 5)
                | bits(imm, 2, 1, 3)
                | bit(imm, 5, 2)
                | 1
        };
        // CI sp loads, 8-byte: funct3 | uimm[5] | rd | uimm[4:3|8:6] | 10
        let ldsp =
            |f3: u16| (f3 << 13) | bit(imm, 5, 12) | (full(rd) << 7) | bits(imm, 4, 3, 5) | bits(imm, 8, 6, 2) | 0b10;
        // CSS, 8-byte: funct3 | uimm[5:3|8:6] | rs2 | 10
        let sdsp = |f3: u16| (f3 << 13) | bits(imm, 5, 3, 10) | bits(imm, 8, 6, 7) | (full(rs2) << 2) | 0b10;
        let zcb_mem = |f3: u16, uimm: u16, r: u8| (0b100 << 13) | (f3 << 10) | (p(rs1) << 7) | uimm | (p(r) << 2);
        let unary = |f3: u16| (0b100_111 << 10) | (p(rd) << 7) | (0b11 << 5) | (f3 << 2) | 1;
        match self.op {
            // 000 | nzuimm[5:4|9:6|2|3] | rd' | 00
            COp::Addi4spn => bits(imm, 5, 4, 11) | bits(imm, 9, 6, 7) | bit(imm, 2, 6) | bit(imm, 3, 5) | (p(rd) << 2),
            COp::Fld => cl8(0b001, rd),
            COp::Lw => cl4(0b010, rd),
            COp::Ld => cl8(0b011, rd),
            COp::Fsd => cl8(0b101, rs2),
            COp::Sw => cl4(0b110, rs2),
            COp::Sd => cl8(0b111, rs2),
            COp::Nop => 0x0001,
            COp::Addi => ci(0b000, 0b01),
            COp::Addiw => ci(0b001, 0b01),
            COp::Li => ci(0b010, 0b01),
            // 011 | nzimm[9] | 00010 | nzimm[4|6|8:7|5] | 01
            COp::Addi16sp => {
                (0b011 << 13)
                    | bit(imm, 9, 12)
                    | (2 << 7)
                    | bit(imm, 4, 6)
                    | bit(imm, 6, 5)
                    | bits(imm, 8, 7, 3)
                    | bit(imm, 5, 2)
                    | 0b01
            }
            COp::Lui => ci(0b011, 0b01),
            COp::Srli => cb(0b00),
            COp::Srai => cb(0b01),
            COp::Andi => cb(0b10),
            COp::Sub => ca(0, 0),
            COp::Xor => ca(0, 1),
            COp::Or => ca(0, 2),
            COp::And => ca(0, 3),
            COp::Subw => ca(1, 0),
            COp::Addw => ca(1, 1),
            // 101 | imm[11|4|9:8|10|6|7|3:1|5] | 01
            COp::J => {
                (0b101 << 13)
                    | bit(imm, 11, 12)
                    | bit(imm, 4, 11)
                    | bits(imm, 9, 8, 9)
                    | bit(imm, 10, 8)
                    | bit(imm, 6, 7)
                    | bit(imm, 7, 6)
                    | bits(imm, 3, 1, 3)
                    | bit(imm, 5, 2)
                    | 0b01
            }
            COp::Beqz => br(0b110),
            COp::Bnez => br(0b111),
            COp::Slli => ci(0b000, 0b10),
            COp::Fldsp => ldsp(0b001),
            // 010 | uimm[5] | rd | uimm[4:2|7:6] | 10
            COp::Lwsp => {
                (0b010 << 13) | bit(imm, 5, 12) | (full(rd) << 7) | bits(imm, 4, 2, 4) | bits(imm, 7, 6, 2) | 0b10
            }
            COp::Ldsp => ldsp(0b011),
            COp::Jr => (0b1000 << 12) | (full(rs1) << 7) | 0b10,
            COp::Mv => (0b1000 << 12) | (full(rd) << 7) | (full(rs2) << 2) | 0b10,
            COp::Jalr => (0b1001 << 12) | (full(rs1) << 7) | 0b10,
            COp::Add => (0b1001 << 12) | (full(rd) << 7) | (full(rs2) << 2) | 0b10,
            COp::Fsdsp => sdsp(0b101),
            // 110 | uimm[5:2|7:6] | rs2 | 10
            COp::Swsp => (0b110 << 13) | bits(imm, 5, 2, 9) | bits(imm, 7, 6, 7) | (full(rs2) << 2) | 0b10,
            COp::Sdsp => sdsp(0b111),
            // Zcb loads/stores: 100 | f3 | rs1' | uimm[0|1] or f1|uimm[1] | rd'/rs2' | 00
            COp::Lbu => zcb_mem(0b000, bit(imm, 0, 6) | bit(imm, 1, 5), rd),
            COp::Lhu => zcb_mem(0b001, bit(imm, 1, 5), rd),
            COp::Lh => zcb_mem(0b001, (1 << 6) | bit(imm, 1, 5), rd),
            COp::Sb => zcb_mem(0b010, bit(imm, 0, 6) | bit(imm, 1, 5), rs2),
            COp::Sh => zcb_mem(0b011, bit(imm, 1, 5), rs2),
            // 100 | 1 | 11 | rd' | 11 | f3 | 01
            COp::ZextB => unary(0b000),
            COp::SextB => unary(0b001),
            COp::ZextH => unary(0b010),
            COp::SextH => unary(0b011),
            COp::ZextW => unary(0b100),
            COp::Not => unary(0b101),
            COp::Mul => ca(1, 2),
            // 011 | 0 | n | 00000 | 01 (c.lui rd = n, odd < 16, nzimm = 0)
            COp::Mop => (0b011 << 13) | (full(rd) << 7) | 0b01,
        }
    }

    /// Assembly text GNU `as` accepts (with `.option rvc`).
    pub fn disasm(&self) -> String {
        let n = self.op.name();
        let (rd, rs1, rs2, imm) = (self.rd, self.rs1, self.rs2, self.imm);
        let data = |r: u8| {
            if self.op.fp_data() { format!("f{r}") } else { format!("x{r}") }
        };
        match self.op {
            COp::Addi4spn => format!("{n} x{rd}, x2, {imm}"),
            COp::Fld | COp::Lw | COp::Ld => format!("{n} {}, {imm}(x{rs1})", data(rd)),
            COp::Fsd | COp::Sw | COp::Sd => format!("{n} {}, {imm}(x{rs1})", data(rs2)),
            COp::Nop => n.to_string(),
            COp::Addi | COp::Addiw | COp::Li | COp::Slli => format!("{n} x{rd}, {imm}"),
            COp::Srli | COp::Srai | COp::Andi => format!("{n} x{rd}, {imm}"),
            COp::Addi16sp => format!("{n} x2, {imm}"),
            COp::Lui => format!("{n} x{rd}, {:#x}", imm & 0xfffff),
            COp::Sub | COp::Xor | COp::Or | COp::And | COp::Subw | COp::Addw => {
                format!("{n} x{rd}, x{rs2}")
            }
            COp::Mv | COp::Add => format!("{n} x{rd}, x{rs2}"),
            COp::J => format!("{n} .{imm:+}"),
            COp::Beqz | COp::Bnez => format!("{n} x{rs1}, .{imm:+}"),
            COp::Fldsp | COp::Lwsp | COp::Ldsp => format!("{n} {}, {imm}(x2)", data(rd)),
            COp::Fsdsp | COp::Swsp | COp::Sdsp => format!("{n} {}, {imm}(x2)", data(rs2)),
            COp::Jr | COp::Jalr => format!("{n} x{rs1}"),
            COp::Lbu | COp::Lhu | COp::Lh => format!("{n} x{rd}, {imm}(x{rs1})"),
            COp::Sb | COp::Sh => format!("{n} x{rs2}, {imm}(x{rs1})"),
            COp::ZextB | COp::SextB | COp::ZextH | COp::SextH | COp::ZextW | COp::Not => format!("{n} x{rd}"),
            COp::Mul => format!("{n} x{rd}, x{rs2}"),
            COp::Mop => format!("c.mop.{rd}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings() {
        // From `riscv64-linux-gnu-objdump -d -M no-aliases`.
        let mut c = CInst::new(COp::Addi);
        (c.rd, c.imm) = (8, 3);
        assert_eq!(c.encode(), 0x040d);
        assert_eq!(CInst::new(COp::Nop).encode(), 0x0001);
    }

    /// Zcb and Zcmop, against encodings worked out from the Zcb spec's
    /// tables (binutils 2.40 cannot assemble them).
    #[test]
    fn zcb_encodings() {
        let enc = |op, rd, rs1, rs2, imm| CInst { op, rd, rs1, rs2, imm }.encode();
        // c.lbu x9, 3(x8): 100 000 000 11 001 00
        assert_eq!(enc(COp::Lbu, 9, 8, 0, 3), 0x8064);
        // c.lh x10, 2(x11): 100 001 011 11 010 00
        assert_eq!(enc(COp::Lh, 10, 11, 0, 2), 0x85e8);
        // c.sh x12, 0(x13): 100 011 101 00 100 00
        assert_eq!(enc(COp::Sh, 0, 13, 12, 0), 0x8e90);
        // c.not x8: 100 111 000 11 101 01
        assert_eq!(enc(COp::Not, 8, 0, 0, 0), 0x9c75);
        // c.mul x9, x10: 100 111 001 10 010 01
        assert_eq!(enc(COp::Mul, 9, 0, 10, 0), 0x9cc9);
        // c.mop.1: c.lui x1, 0
        assert_eq!(enc(COp::Mop, 1, 0, 0, 0), 0x6081);
    }
}
