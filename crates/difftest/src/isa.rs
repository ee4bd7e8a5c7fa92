//! The 32-bit instructions the generator draws from — RV64 I, M, A, F, D,
//! Zicsr, Zifencei, Zba, Zbb, Zbc, Zbs, Zfh, Zbkb, Zbkx, and for the QEMU 10
//! oracle ([`Ext::rva23`]) Zicond, Zimop, Zawrs, Zicboz and Zfa — with an
//! encoder and a disassembler whose text GNU `as` accepts (a unit test
//! assembles it and compares bits; binutils 2.40 knows none of the QEMU-10
//! extensions, so their encodings are checked against the spec's in
//! `known_encodings` here and against ferrovm's decoder in
//! `tests/all/coverage.rs`).
//!
//! This table is deliberately independent of `ferrovm-riscv`: the words a
//! differential test feeds both machines must not come from the code under
//! test, or a bug shared by ferrovm's encoder and decoder could hide.
//! `tests/all/coverage.rs` checks that every instruction ferrovm supports has
//! a row here.

use std::fmt::Write as _;

/// ISA extension an instruction belongs to (for coverage reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ext {
    I,
    M,
    A,
    F,
    D,
    C,
    Zicsr,
    Zifencei,
    Zba,
    Zbb,
    Zbc,
    Zbs,
    Zfh,
    Zbkb,
    Zbkx,
    Zicond,
    Zimop,
    Zawrs,
    Zicbom,
    Zicboz,
    Zfa,
}

impl Ext {
    /// Whether only the QEMU 10 oracle runs the extension (QEMU 7.2 has no
    /// `-cpu` property for it): generated only for
    /// [`crate::oracle::Oracle::Qemu10`].
    pub fn rva23(self) -> bool {
        matches!(self, Ext::Zicond | Ext::Zimop | Ext::Zawrs | Ext::Zicbom | Ext::Zicboz | Ext::Zfa)
    }
}

/// Register class of an operand field; `N` means the field is fixed by the
/// row's `bits` (e.g. the `rs2` field of `fsqrt.s`, which selects the op).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    N,
    X,
    F,
}

/// Where the immediate (and rounding mode) go in the word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Only register fields vary.
    R,
    /// Register fields plus `rm` in funct3 (14:12).
    RRm,
    /// `rs3` in 31:27 plus `rm`.
    R4,
    /// `imm[11:0]` in 31:20.
    I,
    /// `shamt[5:0]` in 25:20.
    Shamt6,
    /// `shamt[4:0]` in 24:20.
    Shamt5,
    /// `imm[11:5]` in 31:25, `imm[4:0]` in 11:7.
    S,
    /// `imm[12|10:5]` in 31:25, `imm[4:1|11]` in 11:7.
    B,
    /// `imm[31:12]` in 31:12 (the immediate is the 20-bit field value).
    U,
    /// `imm[20|10:1|11|19:12]` in 31:12.
    J,
    /// `aq` in bit 26, `rl` in bit 25 (`rm` holds `aq << 1 | rl`).
    Amo,
    /// CSR number in 31:20, source register in `rs1`.
    Csr,
    /// CSR number in 31:20, 5-bit `zimm` in the `rs1` field.
    CsrI,
    /// `fm`, `pred`, `succ` in 31:20.
    Fence,
    /// `mop.r.n`: `n[4]` in 30, `n[3:2]` in 27:26, `n[1:0]` in 21:20 (`imm`
    /// holds `n`, 0..=31).
    MopR,
    /// `mop.rr.n`: `n[2]` in 30, `n[1:0]` in 27:26 (`imm` holds `n`, 0..=7).
    MopRr,
    /// `fli`: the constant's index (`imm`, 0..=31) in the `rs1` field.
    Fli,
}

/// What an instruction does, as far as the generator's safety rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Integer computation.
    Alu,
    /// Floating-point computation, conversion, move or compare.
    Fp,
    /// Load of this many bytes (integer or FP, by `rd`'s class).
    Load(u8),
    /// Store of this many bytes.
    Store(u8),
    Lr(u8),
    Sc(u8),
    Amo(u8),
    Branch,
    Jal,
    Jalr,
    Csr,
    Fence,
    /// `ecall`: used by the harness, never generated.
    System,
    /// `cbo.zero` (zeroes the 64-byte cache block holding `x[rs1]`),
    /// `cbo.clean`, `cbo.flush` (no visible effect but a fault check).
    Cbo,
    /// `wrs.nto`/`wrs.sto`: a stall that may end at once.
    Wait,
}

/// One row of the table.
#[derive(Debug)]
pub struct Op {
    pub name: &'static str,
    pub ext: Ext,
    pub form: Form,
    pub class: Class,
    /// The fixed bits; every field the row says varies is zero here.
    pub bits: u32,
    pub rd: Reg,
    pub rs1: Reg,
    pub rs2: Reg,
}

impl Op {
    /// Conversions that are exact, whose `rm` field GNU `as` refuses to print.
    pub fn rm_ignored(&self) -> bool {
        matches!(self.name, "fcvt.d.w" | "fcvt.d.wu" | "fcvt.d.s" | "fcvt.s.h" | "fcvt.d.h")
    }
}

#[expect(clippy::too_many_arguments, reason = "one table row")]
const fn op(name: &'static str, ext: Ext, form: Form, class: Class, bits: u32, rd: Reg, rs1: Reg, rs2: Reg) -> Op {
    Op { name, ext, form, class, bits, rd, rs1, rs2 }
}

/// `funct7 | rs2 | rs1 | funct3 | rd | opcode` with the register fields zero.
const fn r(opcode: u32, f3: u32, f7: u32) -> u32 {
    opcode | (f3 << 12) | (f7 << 25)
}

/// `imm[11:0] | rs1 | funct3 | rd | opcode` with a fixed `imm` (unary ops).
const fn i(opcode: u32, f3: u32, imm12: u32) -> u32 {
    opcode | (f3 << 12) | (imm12 << 20)
}

/// An atomic: `funct5 | aq | rl | rs2 | rs1 | funct3 | rd | 0101111`.
const fn amo(f3: u32, f5: u32) -> u32 {
    0x2f | (f3 << 12) | (f5 << 27)
}

/// OP-FP with a fixed `rs2` field selecting the variant.
const fn fp2(f7: u32, rs2: u32, f3: u32) -> u32 {
    0x53 | (f3 << 12) | (rs2 << 20) | (f7 << 25)
}

use Class::{Alu, Fp};
use Form::{Amo, Csr, CsrI, Fence, R, R4, RRm, Shamt5, Shamt6};
use Reg::{F, N, X};

/// Every instruction the generator may emit (control flow and memory access
/// are constrained by `gen`), plus `ecall`-free harness needs.
#[rustfmt::skip]
pub static OPS: &[Op] = &[
    // RV64I
    op("lui",     Ext::I, Form::U, Alu, 0x37, X, N, N),
    op("auipc",   Ext::I, Form::U, Alu, 0x17, X, N, N),
    op("jal",     Ext::I, Form::J, Class::Jal, 0x6f, X, N, N),
    op("jalr",    Ext::I, Form::I, Class::Jalr, i(0x67, 0, 0), X, X, N),
    op("beq",     Ext::I, Form::B, Class::Branch, i(0x63, 0, 0), N, X, X),
    op("bne",     Ext::I, Form::B, Class::Branch, i(0x63, 1, 0), N, X, X),
    op("blt",     Ext::I, Form::B, Class::Branch, i(0x63, 4, 0), N, X, X),
    op("bge",     Ext::I, Form::B, Class::Branch, i(0x63, 5, 0), N, X, X),
    op("bltu",    Ext::I, Form::B, Class::Branch, i(0x63, 6, 0), N, X, X),
    op("bgeu",    Ext::I, Form::B, Class::Branch, i(0x63, 7, 0), N, X, X),
    op("lb",      Ext::I, Form::I, Class::Load(1), i(0x03, 0, 0), X, X, N),
    op("lh",      Ext::I, Form::I, Class::Load(2), i(0x03, 1, 0), X, X, N),
    op("lw",      Ext::I, Form::I, Class::Load(4), i(0x03, 2, 0), X, X, N),
    op("ld",      Ext::I, Form::I, Class::Load(8), i(0x03, 3, 0), X, X, N),
    op("lbu",     Ext::I, Form::I, Class::Load(1), i(0x03, 4, 0), X, X, N),
    op("lhu",     Ext::I, Form::I, Class::Load(2), i(0x03, 5, 0), X, X, N),
    op("lwu",     Ext::I, Form::I, Class::Load(4), i(0x03, 6, 0), X, X, N),
    op("sb",      Ext::I, Form::S, Class::Store(1), i(0x23, 0, 0), N, X, X),
    op("sh",      Ext::I, Form::S, Class::Store(2), i(0x23, 1, 0), N, X, X),
    op("sw",      Ext::I, Form::S, Class::Store(4), i(0x23, 2, 0), N, X, X),
    op("sd",      Ext::I, Form::S, Class::Store(8), i(0x23, 3, 0), N, X, X),
    op("addi",    Ext::I, Form::I, Alu, i(0x13, 0, 0), X, X, N),
    op("slti",    Ext::I, Form::I, Alu, i(0x13, 2, 0), X, X, N),
    op("sltiu",   Ext::I, Form::I, Alu, i(0x13, 3, 0), X, X, N),
    op("xori",    Ext::I, Form::I, Alu, i(0x13, 4, 0), X, X, N),
    op("ori",     Ext::I, Form::I, Alu, i(0x13, 6, 0), X, X, N),
    op("andi",    Ext::I, Form::I, Alu, i(0x13, 7, 0), X, X, N),
    op("slli",    Ext::I, Shamt6, Alu, r(0x13, 1, 0x00), X, X, N),
    op("srli",    Ext::I, Shamt6, Alu, r(0x13, 5, 0x00), X, X, N),
    op("srai",    Ext::I, Shamt6, Alu, r(0x13, 5, 0x20), X, X, N),
    op("add",     Ext::I, R, Alu, r(0x33, 0, 0x00), X, X, X),
    op("sub",     Ext::I, R, Alu, r(0x33, 0, 0x20), X, X, X),
    op("sll",     Ext::I, R, Alu, r(0x33, 1, 0x00), X, X, X),
    op("slt",     Ext::I, R, Alu, r(0x33, 2, 0x00), X, X, X),
    op("sltu",    Ext::I, R, Alu, r(0x33, 3, 0x00), X, X, X),
    op("xor",     Ext::I, R, Alu, r(0x33, 4, 0x00), X, X, X),
    op("srl",     Ext::I, R, Alu, r(0x33, 5, 0x00), X, X, X),
    op("sra",     Ext::I, R, Alu, r(0x33, 5, 0x20), X, X, X),
    op("or",      Ext::I, R, Alu, r(0x33, 6, 0x00), X, X, X),
    op("and",     Ext::I, R, Alu, r(0x33, 7, 0x00), X, X, X),
    op("fence",   Ext::I, Fence, Class::Fence, i(0x0f, 0, 0), N, N, N),
    op("addiw",   Ext::I, Form::I, Alu, i(0x1b, 0, 0), X, X, N),
    op("slliw",   Ext::I, Shamt5, Alu, r(0x1b, 1, 0x00), X, X, N),
    op("srliw",   Ext::I, Shamt5, Alu, r(0x1b, 5, 0x00), X, X, N),
    op("sraiw",   Ext::I, Shamt5, Alu, r(0x1b, 5, 0x20), X, X, N),
    op("addw",    Ext::I, R, Alu, r(0x3b, 0, 0x00), X, X, X),
    op("subw",    Ext::I, R, Alu, r(0x3b, 0, 0x20), X, X, X),
    op("sllw",    Ext::I, R, Alu, r(0x3b, 1, 0x00), X, X, X),
    op("srlw",    Ext::I, R, Alu, r(0x3b, 5, 0x00), X, X, X),
    op("sraw",    Ext::I, R, Alu, r(0x3b, 5, 0x20), X, X, X),
    op("ecall",   Ext::I, R, Class::System, 0x73, N, N, N),
    // Zifencei
    op("fence.i", Ext::Zifencei, R, Class::Fence, i(0x0f, 1, 0), N, N, N),
    // M
    op("mul",     Ext::M, R, Alu, r(0x33, 0, 0x01), X, X, X),
    op("mulh",    Ext::M, R, Alu, r(0x33, 1, 0x01), X, X, X),
    op("mulhsu",  Ext::M, R, Alu, r(0x33, 2, 0x01), X, X, X),
    op("mulhu",   Ext::M, R, Alu, r(0x33, 3, 0x01), X, X, X),
    op("div",     Ext::M, R, Alu, r(0x33, 4, 0x01), X, X, X),
    op("divu",    Ext::M, R, Alu, r(0x33, 5, 0x01), X, X, X),
    op("rem",     Ext::M, R, Alu, r(0x33, 6, 0x01), X, X, X),
    op("remu",    Ext::M, R, Alu, r(0x33, 7, 0x01), X, X, X),
    op("mulw",    Ext::M, R, Alu, r(0x3b, 0, 0x01), X, X, X),
    op("divw",    Ext::M, R, Alu, r(0x3b, 4, 0x01), X, X, X),
    op("divuw",   Ext::M, R, Alu, r(0x3b, 5, 0x01), X, X, X),
    op("remw",    Ext::M, R, Alu, r(0x3b, 6, 0x01), X, X, X),
    op("remuw",   Ext::M, R, Alu, r(0x3b, 7, 0x01), X, X, X),
    // A
    op("lr.w",      Ext::A, Amo, Class::Lr(4), amo(2, 0x02), X, X, N),
    op("sc.w",      Ext::A, Amo, Class::Sc(4), amo(2, 0x03), X, X, X),
    op("amoswap.w", Ext::A, Amo, Class::Amo(4), amo(2, 0x01), X, X, X),
    op("amoadd.w",  Ext::A, Amo, Class::Amo(4), amo(2, 0x00), X, X, X),
    op("amoxor.w",  Ext::A, Amo, Class::Amo(4), amo(2, 0x04), X, X, X),
    op("amoand.w",  Ext::A, Amo, Class::Amo(4), amo(2, 0x0c), X, X, X),
    op("amoor.w",   Ext::A, Amo, Class::Amo(4), amo(2, 0x08), X, X, X),
    op("amomin.w",  Ext::A, Amo, Class::Amo(4), amo(2, 0x10), X, X, X),
    op("amomax.w",  Ext::A, Amo, Class::Amo(4), amo(2, 0x14), X, X, X),
    op("amominu.w", Ext::A, Amo, Class::Amo(4), amo(2, 0x18), X, X, X),
    op("amomaxu.w", Ext::A, Amo, Class::Amo(4), amo(2, 0x1c), X, X, X),
    op("lr.d",      Ext::A, Amo, Class::Lr(8), amo(3, 0x02), X, X, N),
    op("sc.d",      Ext::A, Amo, Class::Sc(8), amo(3, 0x03), X, X, X),
    op("amoswap.d", Ext::A, Amo, Class::Amo(8), amo(3, 0x01), X, X, X),
    op("amoadd.d",  Ext::A, Amo, Class::Amo(8), amo(3, 0x00), X, X, X),
    op("amoxor.d",  Ext::A, Amo, Class::Amo(8), amo(3, 0x04), X, X, X),
    op("amoand.d",  Ext::A, Amo, Class::Amo(8), amo(3, 0x0c), X, X, X),
    op("amoor.d",   Ext::A, Amo, Class::Amo(8), amo(3, 0x08), X, X, X),
    op("amomin.d",  Ext::A, Amo, Class::Amo(8), amo(3, 0x10), X, X, X),
    op("amomax.d",  Ext::A, Amo, Class::Amo(8), amo(3, 0x14), X, X, X),
    op("amominu.d", Ext::A, Amo, Class::Amo(8), amo(3, 0x18), X, X, X),
    op("amomaxu.d", Ext::A, Amo, Class::Amo(8), amo(3, 0x1c), X, X, X),
    // F
    op("flw",       Ext::F, Form::I, Class::Load(4), i(0x07, 2, 0), F, X, N),
    op("fsw",       Ext::F, Form::S, Class::Store(4), i(0x27, 2, 0), N, X, F),
    op("fmadd.s",   Ext::F, R4, Fp, 0x43, F, F, F),
    op("fmsub.s",   Ext::F, R4, Fp, 0x47, F, F, F),
    op("fnmsub.s",  Ext::F, R4, Fp, 0x4b, F, F, F),
    op("fnmadd.s",  Ext::F, R4, Fp, 0x4f, F, F, F),
    op("fadd.s",    Ext::F, RRm, Fp, r(0x53, 0, 0x00), F, F, F),
    op("fsub.s",    Ext::F, RRm, Fp, r(0x53, 0, 0x04), F, F, F),
    op("fmul.s",    Ext::F, RRm, Fp, r(0x53, 0, 0x08), F, F, F),
    op("fdiv.s",    Ext::F, RRm, Fp, r(0x53, 0, 0x0c), F, F, F),
    op("fsqrt.s",   Ext::F, RRm, Fp, fp2(0x2c, 0, 0), F, F, N),
    op("fsgnj.s",   Ext::F, R, Fp, r(0x53, 0, 0x10), F, F, F),
    op("fsgnjn.s",  Ext::F, R, Fp, r(0x53, 1, 0x10), F, F, F),
    op("fsgnjx.s",  Ext::F, R, Fp, r(0x53, 2, 0x10), F, F, F),
    op("fmin.s",    Ext::F, R, Fp, r(0x53, 0, 0x14), F, F, F),
    op("fmax.s",    Ext::F, R, Fp, r(0x53, 1, 0x14), F, F, F),
    op("fcvt.w.s",  Ext::F, RRm, Fp, fp2(0x60, 0, 0), X, F, N),
    op("fcvt.wu.s", Ext::F, RRm, Fp, fp2(0x60, 1, 0), X, F, N),
    op("fcvt.l.s",  Ext::F, RRm, Fp, fp2(0x60, 2, 0), X, F, N),
    op("fcvt.lu.s", Ext::F, RRm, Fp, fp2(0x60, 3, 0), X, F, N),
    op("fmv.x.w",   Ext::F, R, Fp, fp2(0x70, 0, 0), X, F, N),
    op("fclass.s",  Ext::F, R, Fp, fp2(0x70, 0, 1), X, F, N),
    op("feq.s",     Ext::F, R, Fp, r(0x53, 2, 0x50), X, F, F),
    op("flt.s",     Ext::F, R, Fp, r(0x53, 1, 0x50), X, F, F),
    op("fle.s",     Ext::F, R, Fp, r(0x53, 0, 0x50), X, F, F),
    op("fcvt.s.w",  Ext::F, RRm, Fp, fp2(0x68, 0, 0), F, X, N),
    op("fcvt.s.wu", Ext::F, RRm, Fp, fp2(0x68, 1, 0), F, X, N),
    op("fcvt.s.l",  Ext::F, RRm, Fp, fp2(0x68, 2, 0), F, X, N),
    op("fcvt.s.lu", Ext::F, RRm, Fp, fp2(0x68, 3, 0), F, X, N),
    op("fmv.w.x",   Ext::F, R, Fp, fp2(0x78, 0, 0), F, X, N),
    // D
    op("fld",       Ext::D, Form::I, Class::Load(8), i(0x07, 3, 0), F, X, N),
    op("fsd",       Ext::D, Form::S, Class::Store(8), i(0x27, 3, 0), N, X, F),
    op("fmadd.d",   Ext::D, R4, Fp, 0x43 | (1 << 25), F, F, F),
    op("fmsub.d",   Ext::D, R4, Fp, 0x47 | (1 << 25), F, F, F),
    op("fnmsub.d",  Ext::D, R4, Fp, 0x4b | (1 << 25), F, F, F),
    op("fnmadd.d",  Ext::D, R4, Fp, 0x4f | (1 << 25), F, F, F),
    op("fadd.d",    Ext::D, RRm, Fp, r(0x53, 0, 0x01), F, F, F),
    op("fsub.d",    Ext::D, RRm, Fp, r(0x53, 0, 0x05), F, F, F),
    op("fmul.d",    Ext::D, RRm, Fp, r(0x53, 0, 0x09), F, F, F),
    op("fdiv.d",    Ext::D, RRm, Fp, r(0x53, 0, 0x0d), F, F, F),
    op("fsqrt.d",   Ext::D, RRm, Fp, fp2(0x2d, 0, 0), F, F, N),
    op("fsgnj.d",   Ext::D, R, Fp, r(0x53, 0, 0x11), F, F, F),
    op("fsgnjn.d",  Ext::D, R, Fp, r(0x53, 1, 0x11), F, F, F),
    op("fsgnjx.d",  Ext::D, R, Fp, r(0x53, 2, 0x11), F, F, F),
    op("fmin.d",    Ext::D, R, Fp, r(0x53, 0, 0x15), F, F, F),
    op("fmax.d",    Ext::D, R, Fp, r(0x53, 1, 0x15), F, F, F),
    op("fcvt.s.d",  Ext::D, RRm, Fp, fp2(0x20, 1, 0), F, F, N),
    op("fcvt.d.s",  Ext::D, RRm, Fp, fp2(0x21, 0, 0), F, F, N),
    op("feq.d",     Ext::D, R, Fp, r(0x53, 2, 0x51), X, F, F),
    op("flt.d",     Ext::D, R, Fp, r(0x53, 1, 0x51), X, F, F),
    op("fle.d",     Ext::D, R, Fp, r(0x53, 0, 0x51), X, F, F),
    op("fclass.d",  Ext::D, R, Fp, fp2(0x71, 0, 1), X, F, N),
    op("fcvt.w.d",  Ext::D, RRm, Fp, fp2(0x61, 0, 0), X, F, N),
    op("fcvt.wu.d", Ext::D, RRm, Fp, fp2(0x61, 1, 0), X, F, N),
    op("fcvt.l.d",  Ext::D, RRm, Fp, fp2(0x61, 2, 0), X, F, N),
    op("fcvt.lu.d", Ext::D, RRm, Fp, fp2(0x61, 3, 0), X, F, N),
    op("fcvt.d.w",  Ext::D, RRm, Fp, fp2(0x69, 0, 0), F, X, N),
    op("fcvt.d.wu", Ext::D, RRm, Fp, fp2(0x69, 1, 0), F, X, N),
    op("fcvt.d.l",  Ext::D, RRm, Fp, fp2(0x69, 2, 0), F, X, N),
    op("fcvt.d.lu", Ext::D, RRm, Fp, fp2(0x69, 3, 0), F, X, N),
    op("fmv.x.d",   Ext::D, R, Fp, fp2(0x71, 0, 0), X, F, N),
    op("fmv.d.x",   Ext::D, R, Fp, fp2(0x79, 0, 0), F, X, N),
    // Zicsr
    op("csrrw",   Ext::Zicsr, Csr, Class::Csr, i(0x73, 1, 0), X, X, N),
    op("csrrs",   Ext::Zicsr, Csr, Class::Csr, i(0x73, 2, 0), X, X, N),
    op("csrrc",   Ext::Zicsr, Csr, Class::Csr, i(0x73, 3, 0), X, X, N),
    op("csrrwi",  Ext::Zicsr, CsrI, Class::Csr, i(0x73, 5, 0), X, N, N),
    op("csrrsi",  Ext::Zicsr, CsrI, Class::Csr, i(0x73, 6, 0), X, N, N),
    op("csrrci",  Ext::Zicsr, CsrI, Class::Csr, i(0x73, 7, 0), X, N, N),
    // Zba
    op("add.uw",    Ext::Zba, R, Alu, r(0x3b, 0, 0x04), X, X, X),
    op("sh1add",    Ext::Zba, R, Alu, r(0x33, 2, 0x10), X, X, X),
    op("sh2add",    Ext::Zba, R, Alu, r(0x33, 4, 0x10), X, X, X),
    op("sh3add",    Ext::Zba, R, Alu, r(0x33, 6, 0x10), X, X, X),
    op("sh1add.uw", Ext::Zba, R, Alu, r(0x3b, 2, 0x10), X, X, X),
    op("sh2add.uw", Ext::Zba, R, Alu, r(0x3b, 4, 0x10), X, X, X),
    op("sh3add.uw", Ext::Zba, R, Alu, r(0x3b, 6, 0x10), X, X, X),
    op("slli.uw",   Ext::Zba, Shamt6, Alu, r(0x1b, 1, 0x04), X, X, N),
    // Zbb
    op("andn",   Ext::Zbb, R, Alu, r(0x33, 7, 0x20), X, X, X),
    op("orn",    Ext::Zbb, R, Alu, r(0x33, 6, 0x20), X, X, X),
    op("xnor",   Ext::Zbb, R, Alu, r(0x33, 4, 0x20), X, X, X),
    op("clz",    Ext::Zbb, R, Alu, i(0x13, 1, 0x600), X, X, N),
    op("ctz",    Ext::Zbb, R, Alu, i(0x13, 1, 0x601), X, X, N),
    op("cpop",   Ext::Zbb, R, Alu, i(0x13, 1, 0x602), X, X, N),
    op("clzw",   Ext::Zbb, R, Alu, i(0x1b, 1, 0x600), X, X, N),
    op("ctzw",   Ext::Zbb, R, Alu, i(0x1b, 1, 0x601), X, X, N),
    op("cpopw",  Ext::Zbb, R, Alu, i(0x1b, 1, 0x602), X, X, N),
    op("max",    Ext::Zbb, R, Alu, r(0x33, 6, 0x05), X, X, X),
    op("maxu",   Ext::Zbb, R, Alu, r(0x33, 7, 0x05), X, X, X),
    op("min",    Ext::Zbb, R, Alu, r(0x33, 4, 0x05), X, X, X),
    op("minu",   Ext::Zbb, R, Alu, r(0x33, 5, 0x05), X, X, X),
    op("sext.b", Ext::Zbb, R, Alu, i(0x13, 1, 0x604), X, X, N),
    op("sext.h", Ext::Zbb, R, Alu, i(0x13, 1, 0x605), X, X, N),
    op("zext.h", Ext::Zbb, R, Alu, i(0x3b, 4, 0x080), X, X, N),
    op("rol",    Ext::Zbb, R, Alu, r(0x33, 1, 0x30), X, X, X),
    op("ror",    Ext::Zbb, R, Alu, r(0x33, 5, 0x30), X, X, X),
    op("rolw",   Ext::Zbb, R, Alu, r(0x3b, 1, 0x30), X, X, X),
    op("rorw",   Ext::Zbb, R, Alu, r(0x3b, 5, 0x30), X, X, X),
    op("rori",   Ext::Zbb, Shamt6, Alu, r(0x13, 5, 0x30), X, X, N),
    op("roriw",  Ext::Zbb, Shamt5, Alu, r(0x1b, 5, 0x30), X, X, N),
    op("orc.b",  Ext::Zbb, R, Alu, i(0x13, 5, 0x287), X, X, N),
    op("rev8",   Ext::Zbb, R, Alu, i(0x13, 5, 0x6b8), X, X, N),
    // Zbc
    op("clmul",  Ext::Zbc, R, Alu, r(0x33, 1, 0x05), X, X, X),
    op("clmulr", Ext::Zbc, R, Alu, r(0x33, 2, 0x05), X, X, X),
    op("clmulh", Ext::Zbc, R, Alu, r(0x33, 3, 0x05), X, X, X),
    // Zbs
    op("bclr",   Ext::Zbs, R, Alu, r(0x33, 1, 0x24), X, X, X),
    op("bclri",  Ext::Zbs, Shamt6, Alu, r(0x13, 1, 0x24), X, X, N),
    op("bext",   Ext::Zbs, R, Alu, r(0x33, 5, 0x24), X, X, X),
    op("bexti",  Ext::Zbs, Shamt6, Alu, r(0x13, 5, 0x24), X, X, N),
    op("binv",   Ext::Zbs, R, Alu, r(0x33, 1, 0x34), X, X, X),
    op("binvi",  Ext::Zbs, Shamt6, Alu, r(0x13, 1, 0x34), X, X, N),
    op("bset",   Ext::Zbs, R, Alu, r(0x33, 1, 0x14), X, X, X),
    op("bseti",  Ext::Zbs, Shamt6, Alu, r(0x13, 1, 0x14), X, X, N),
    // Zbkb, Zbkx (scalar crypto 1.0.1)
    op("pack",   Ext::Zbkb, R, Alu, r(0x33, 4, 0x04), X, X, X),
    op("packh",  Ext::Zbkb, R, Alu, r(0x33, 7, 0x04), X, X, X),
    op("packw",  Ext::Zbkb, R, Alu, r(0x3b, 4, 0x04), X, X, X),
    op("brev8",  Ext::Zbkb, R, Alu, i(0x13, 5, 0x687), X, X, N),
    op("xperm4", Ext::Zbkx, R, Alu, r(0x33, 2, 0x14), X, X, X),
    op("xperm8", Ext::Zbkx, R, Alu, r(0x33, 4, 0x14), X, X, X),
    // Zfhmin, Zfh (fmt = 10)
    op("flh",       Ext::Zfh, Form::I, Class::Load(2), i(0x07, 1, 0), F, X, N),
    op("fsh",       Ext::Zfh, Form::S, Class::Store(2), i(0x27, 1, 0), N, X, F),
    op("fmadd.h",   Ext::Zfh, R4, Fp, 0x43 | (2 << 25), F, F, F),
    op("fmsub.h",   Ext::Zfh, R4, Fp, 0x47 | (2 << 25), F, F, F),
    op("fnmsub.h",  Ext::Zfh, R4, Fp, 0x4b | (2 << 25), F, F, F),
    op("fnmadd.h",  Ext::Zfh, R4, Fp, 0x4f | (2 << 25), F, F, F),
    op("fadd.h",    Ext::Zfh, RRm, Fp, r(0x53, 0, 0x02), F, F, F),
    op("fsub.h",    Ext::Zfh, RRm, Fp, r(0x53, 0, 0x06), F, F, F),
    op("fmul.h",    Ext::Zfh, RRm, Fp, r(0x53, 0, 0x0a), F, F, F),
    op("fdiv.h",    Ext::Zfh, RRm, Fp, r(0x53, 0, 0x0e), F, F, F),
    op("fsqrt.h",   Ext::Zfh, RRm, Fp, fp2(0x2e, 0, 0), F, F, N),
    op("fsgnj.h",   Ext::Zfh, R, Fp, r(0x53, 0, 0x12), F, F, F),
    op("fsgnjn.h",  Ext::Zfh, R, Fp, r(0x53, 1, 0x12), F, F, F),
    op("fsgnjx.h",  Ext::Zfh, R, Fp, r(0x53, 2, 0x12), F, F, F),
    op("fmin.h",    Ext::Zfh, R, Fp, r(0x53, 0, 0x16), F, F, F),
    op("fmax.h",    Ext::Zfh, R, Fp, r(0x53, 1, 0x16), F, F, F),
    op("fcvt.w.h",  Ext::Zfh, RRm, Fp, fp2(0x62, 0, 0), X, F, N),
    op("fcvt.wu.h", Ext::Zfh, RRm, Fp, fp2(0x62, 1, 0), X, F, N),
    op("fcvt.l.h",  Ext::Zfh, RRm, Fp, fp2(0x62, 2, 0), X, F, N),
    op("fcvt.lu.h", Ext::Zfh, RRm, Fp, fp2(0x62, 3, 0), X, F, N),
    op("fmv.x.h",   Ext::Zfh, R, Fp, fp2(0x72, 0, 0), X, F, N),
    op("fclass.h",  Ext::Zfh, R, Fp, fp2(0x72, 0, 1), X, F, N),
    op("feq.h",     Ext::Zfh, R, Fp, r(0x53, 2, 0x52), X, F, F),
    op("flt.h",     Ext::Zfh, R, Fp, r(0x53, 1, 0x52), X, F, F),
    op("fle.h",     Ext::Zfh, R, Fp, r(0x53, 0, 0x52), X, F, F),
    op("fcvt.h.w",  Ext::Zfh, RRm, Fp, fp2(0x6a, 0, 0), F, X, N),
    op("fcvt.h.wu", Ext::Zfh, RRm, Fp, fp2(0x6a, 1, 0), F, X, N),
    op("fcvt.h.l",  Ext::Zfh, RRm, Fp, fp2(0x6a, 2, 0), F, X, N),
    op("fcvt.h.lu", Ext::Zfh, RRm, Fp, fp2(0x6a, 3, 0), F, X, N),
    op("fmv.h.x",   Ext::Zfh, R, Fp, fp2(0x7a, 0, 0), F, X, N),
    op("fcvt.s.h",  Ext::Zfh, RRm, Fp, fp2(0x20, 2, 0), F, F, N),
    op("fcvt.h.s",  Ext::Zfh, RRm, Fp, fp2(0x22, 0, 0), F, F, N),
    op("fcvt.d.h",  Ext::Zfh, RRm, Fp, fp2(0x21, 2, 0), F, F, N),
    op("fcvt.h.d",  Ext::Zfh, RRm, Fp, fp2(0x22, 1, 0), F, F, N),
    // Zicond 1.0
    op("czero.eqz", Ext::Zicond, R, Alu, r(0x33, 5, 0x07), X, X, X),
    op("czero.nez", Ext::Zicond, R, Alu, r(0x33, 7, 0x07), X, X, X),
    // Zimop 1.0: 1 n4 00 n3 n2 0111 n1 n0 | rs1 | 100 | rd | 1110011, and
    // 1 n2 00 n1 n0 1 | rs2 | rs1 | 100 | rd | 1110011
    op("mop.r",     Ext::Zimop, Form::MopR, Alu, 0x8000_0000 | (0x7 << 22) | (4 << 12) | 0x73, X, X, N),
    op("mop.rr",    Ext::Zimop, Form::MopRr, Alu, 0x8000_0000 | (1 << 25) | (4 << 12) | 0x73, X, X, X),
    // Zawrs 1.01
    op("wrs.nto",   Ext::Zawrs, R, Class::Wait, 0x00d0_0073, N, N, N),
    op("wrs.sto",   Ext::Zawrs, R, Class::Wait, 0x01d0_0073, N, N, N),
    // Zicbom, Zicboz 1.0: funct12 | rs1 | 010 | 00000 | 0001111 (cbo.inval,
    // funct12 0, is SIGILL in Linux user mode: not generated)
    op("cbo.clean", Ext::Zicbom, R, Class::Cbo, i(0x0f, 2, 1), N, X, N),
    op("cbo.flush", Ext::Zicbom, R, Class::Cbo, i(0x0f, 2, 2), N, X, N),
    op("cbo.zero",  Ext::Zicboz, R, Class::Cbo, i(0x0f, 2, 4), N, X, N),
    // Zfa 1.0 (fmvh.x.d and fmvp.d.x are RV32-only)
    op("fli.s",       Ext::Zfa, Form::Fli, Fp, fp2(0x78, 1, 0), F, N, N),
    op("fli.d",       Ext::Zfa, Form::Fli, Fp, fp2(0x79, 1, 0), F, N, N),
    op("fli.h",       Ext::Zfa, Form::Fli, Fp, fp2(0x7a, 1, 0), F, N, N),
    op("fminm.s",     Ext::Zfa, R, Fp, r(0x53, 2, 0x14), F, F, F),
    op("fmaxm.s",     Ext::Zfa, R, Fp, r(0x53, 3, 0x14), F, F, F),
    op("fminm.d",     Ext::Zfa, R, Fp, r(0x53, 2, 0x15), F, F, F),
    op("fmaxm.d",     Ext::Zfa, R, Fp, r(0x53, 3, 0x15), F, F, F),
    op("fminm.h",     Ext::Zfa, R, Fp, r(0x53, 2, 0x16), F, F, F),
    op("fmaxm.h",     Ext::Zfa, R, Fp, r(0x53, 3, 0x16), F, F, F),
    op("fround.s",    Ext::Zfa, RRm, Fp, fp2(0x20, 4, 0), F, F, N),
    op("froundnx.s",  Ext::Zfa, RRm, Fp, fp2(0x20, 5, 0), F, F, N),
    op("fround.d",    Ext::Zfa, RRm, Fp, fp2(0x21, 4, 0), F, F, N),
    op("froundnx.d",  Ext::Zfa, RRm, Fp, fp2(0x21, 5, 0), F, F, N),
    op("fround.h",    Ext::Zfa, RRm, Fp, fp2(0x22, 4, 0), F, F, N),
    op("froundnx.h",  Ext::Zfa, RRm, Fp, fp2(0x22, 5, 0), F, F, N),
    // rm is fixed at rtz (001).
    op("fcvtmod.w.d", Ext::Zfa, R, Fp, fp2(0x61, 8, 1), X, F, N),
    op("fleq.s",      Ext::Zfa, R, Fp, r(0x53, 4, 0x50), X, F, F),
    op("fltq.s",      Ext::Zfa, R, Fp, r(0x53, 5, 0x50), X, F, F),
    op("fleq.d",      Ext::Zfa, R, Fp, r(0x53, 4, 0x51), X, F, F),
    op("fltq.d",      Ext::Zfa, R, Fp, r(0x53, 5, 0x51), X, F, F),
    op("fleq.h",      Ext::Zfa, R, Fp, r(0x53, 4, 0x52), X, F, F),
    op("fltq.h",      Ext::Zfa, R, Fp, r(0x53, 5, 0x52), X, F, F),
];

/// The row named `name`. Panics on a name not in the table: callers pass
/// literals, and a unit test checks every literal the crate uses.
pub fn op_named(name: &str) -> &'static Op {
    match OPS.iter().find(|o| o.name == name) {
        Some(o) => o,
        None => panic!("no instruction {name:?} in the difftest table"),
    }
}

/// One 32-bit instruction with its operands.
#[derive(Clone, Copy, Debug)]
pub struct Inst {
    pub op: &'static Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub rs3: u8,
    /// Immediate as the assembler writes it (byte offset for branches, the
    /// 20-bit field for `lui`/`auipc`, the CSR number for CSR ops, the
    /// `fm|pred|succ` field for `fence`).
    pub imm: i64,
    /// FP rounding mode 0..=7, or `aq << 1 | rl` for atomics.
    pub rm: u8,
}

impl Inst {
    /// An instruction with every operand zero.
    pub fn new(op: &'static Op) -> Inst {
        Inst { op, rd: 0, rs1: 0, rs2: 0, rs3: 0, imm: 0, rm: 0 }
    }

    /// The 32-bit encoding.
    pub fn encode(&self) -> u32 {
        let o = self.op;
        let mut w = o.bits;
        if o.rd != N {
            w |= u32::from(self.rd & 31) << 7;
        }
        if o.rs1 != N {
            w |= u32::from(self.rs1 & 31) << 15;
        }
        if o.rs2 != N {
            w |= u32::from(self.rs2 & 31) << 20;
        }
        let imm = self.imm as u32;
        let rm = u32::from(self.rm & 7);
        w | match o.form {
            R => 0,
            RRm => rm << 12,
            R4 => (u32::from(self.rs3 & 31) << 27) | (rm << 12),
            Form::I | Csr | Fence => (imm & 0xfff) << 20,
            CsrI => ((imm & 0xfff) << 20) | (u32::from(self.rs1 & 31) << 15),
            Shamt6 => (imm & 63) << 20,
            Shamt5 => (imm & 31) << 20,
            Form::S => ((imm & 0x1f) << 7) | (((imm >> 5) & 0x7f) << 25),
            //  31     30:25      11:8     7
            // [12]  [10:5]      [4:1]   [11]
            Form::B => {
                (((imm >> 12) & 1) << 31)
                    | (((imm >> 5) & 0x3f) << 25)
                    | (((imm >> 1) & 0xf) << 8)
                    | (((imm >> 11) & 1) << 7)
            }
            Form::U => (imm & 0xfffff) << 12,
            //  31     30:21     20     19:12
            // [20]  [10:1]    [11]  [19:12]
            Form::J => {
                (((imm >> 20) & 1) << 31)
                    | (((imm >> 1) & 0x3ff) << 21)
                    | (((imm >> 11) & 1) << 20)
                    | (((imm >> 12) & 0xff) << 12)
            }
            Amo => (rm & 3) << 25,
            Form::MopR => (((imm >> 4) & 1) << 30) | (((imm >> 2) & 3) << 26) | ((imm & 3) << 20),
            Form::MopRr => (((imm >> 2) & 1) << 30) | ((imm & 3) << 26),
            Form::Fli => (imm & 31) << 15,
        }
    }

    /// Assembly text GNU `as -march=rv64gc_zba_zbb_zbc_zbs_zfh_zbkb_zbkx` accepts and
    /// encodes to [`Inst::encode`] (branch targets are written `.+off`).
    pub fn disasm(&self) -> String {
        let o = self.op;
        let reg = |class: Reg, n: u8| match class {
            F => format!("f{n}"),
            _ => format!("x{n}"),
        };
        let mut s = String::from(o.name);
        let mut args: Vec<String> = Vec::new();
        match o.form {
            R | RRm | R4 => {
                for (class, n) in [(o.rd, self.rd), (o.rs1, self.rs1), (o.rs2, self.rs2)] {
                    if class != N {
                        args.push(reg(class, n));
                    }
                }
                if o.form == R4 {
                    args.push(reg(F, self.rs3));
                }
                if o.form != R && !(o.rm_ignored() && self.rm == 0) {
                    args.push(rm_name(self.rm).to_string());
                }
                if o.name == "fcvtmod.w.d" {
                    args.push("rtz".to_string());
                }
                if o.class == Class::Cbo {
                    args = vec![format!("(x{})", self.rs1)];
                }
            }
            Form::I => match o.class {
                Class::Load(_) | Class::Jalr => {
                    args.push(reg(o.rd, self.rd));
                    args.push(format!("{}(x{})", self.imm, self.rs1));
                }
                _ => {
                    args.push(reg(o.rd, self.rd));
                    args.push(reg(o.rs1, self.rs1));
                    args.push(self.imm.to_string());
                }
            },
            Shamt6 | Shamt5 => {
                args.push(reg(o.rd, self.rd));
                args.push(reg(o.rs1, self.rs1));
                args.push(self.imm.to_string());
            }
            Form::S => {
                args.push(reg(o.rs2, self.rs2));
                args.push(format!("{}(x{})", self.imm, self.rs1));
            }
            Form::B => {
                args.push(reg(X, self.rs1));
                args.push(reg(X, self.rs2));
                args.push(format!(".{:+}", self.imm));
            }
            Form::U => {
                args.push(reg(X, self.rd));
                args.push(format!("{:#x}", self.imm & 0xfffff));
            }
            Form::J => {
                args.push(reg(X, self.rd));
                args.push(format!(".{:+}", self.imm));
            }
            Amo => {
                s.push_str(match self.rm & 3 {
                    0 => "",
                    1 => ".rl",
                    2 => ".aq",
                    _ => ".aqrl",
                });
                args.push(reg(X, self.rd));
                if o.rs2 != N {
                    args.push(reg(X, self.rs2));
                }
                args.push(format!("(x{})", self.rs1));
            }
            Csr => {
                args.push(reg(X, self.rd));
                args.push(csr_name(self.imm));
                args.push(reg(X, self.rs1));
            }
            CsrI => {
                args.push(reg(X, self.rd));
                args.push(csr_name(self.imm));
                args.push(self.rs1.to_string());
            }
            Form::MopR | Form::MopRr => {
                s.push_str(&format!(".{}", self.imm));
                for (class, n) in [(o.rd, self.rd), (o.rs1, self.rs1), (o.rs2, self.rs2)] {
                    if class != N {
                        args.push(reg(class, n));
                    }
                }
            }
            Form::Fli => {
                args.push(reg(F, self.rd));
                args.push(FLI_NAMES[(self.imm & 31) as usize].to_string());
            }
            Fence => {
                if self.imm & 0xfff == 0x833 {
                    return "fence.tso".to_string();
                }
                args.push(fence_set((self.imm >> 4) & 15));
                args.push(fence_set(self.imm & 15));
            }
        }
        if !args.is_empty() {
            s.push(' ');
            s.push_str(&args.join(", "));
        }
        s
    }
}

/// The `fli` constants by index, as GNU `as` (2.41+) writes them (Zfa,
/// Table "Immediate values loaded by the FLI instructions").
pub const FLI_NAMES: [&str; 32] = [
    "-1.0", "min", "0x1p-16", "0x1p-15", "0x1p-8", "0x1p-7", "0.0625", "0.125", "0.25", "0.3125", "0.375", "0.4375",
    "0.5", "0.625", "0.75", "0.875", "1.0", "1.25", "1.5", "1.75", "2.0", "2.5", "3.0", "4.0", "8.0", "16.0", "128.0",
    "256.0", "0x1p15", "0x1p16", "inf", "nan",
];

/// Assembler name of a rounding mode (`rm` 5 and 6 are reserved).
pub fn rm_name(rm: u8) -> &'static str {
    ["rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"][usize::from(rm & 7)]
}

/// Name of one of the three FP CSRs, or the number.
pub fn csr_name(csr: i64) -> String {
    match csr {
        1 => "fflags".to_string(),
        2 => "frm".to_string(),
        3 => "fcsr".to_string(),
        n => format!("{n:#x}"),
    }
}

/// `iorw` letters of a fence predecessor/successor set.
fn fence_set(bits: i64) -> String {
    let mut s = String::new();
    for (bit, c) in [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')] {
        if bits & bit != 0 {
            let _ = write!(s, "{c}");
        }
    }
    if s.is_empty() { "0".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (k, a) in OPS.iter().enumerate() {
            assert!(OPS[k + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }

    #[test]
    fn known_encodings() {
        // From `riscv64-linux-gnu-objdump -d -M no-aliases`.
        let mut add = Inst::new(op_named("add"));
        (add.rd, add.rs1, add.rs2) = (10, 10, 11);
        assert_eq!(add.encode(), 0x00b5_0533);
        let mut beq = Inst::new(op_named("beq"));
        (beq.rs1, beq.rs2, beq.imm) = (1, 2, 12);
        assert_eq!(beq.encode(), 0x0020_8663);
        let mut csr = Inst::new(op_named("csrrw"));
        (csr.rd, csr.rs1, csr.imm) = (1, 2, 3);
        assert_eq!(csr.encode(), 0x0031_10f3);
        let mut rev8 = Inst::new(op_named("rev8"));
        (rev8.rd, rev8.rs1) = (1, 2);
        assert_eq!(rev8.encode(), 0x6b81_5093);
        assert_eq!(rev8.disasm(), "rev8 x1, x2");
    }

    /// The QEMU-10-only rows, against encodings worked out by hand from
    /// the specs' field layouts (binutils 2.40 cannot assemble them).
    #[test]
    fn rva23_encodings() {
        let enc = |name: &str, rd: u8, rs1: u8, rs2: u8, imm: i64, rm: u8| {
            let mut i = Inst::new(op_named(name));
            (i.rd, i.rs1, i.rs2, i.imm, i.rm) = (rd, rs1, rs2, imm, rm);
            i.encode()
        };
        // czero.eqz a0, a1, a2: 0000111 01100 01011 101 01010 0110011
        assert_eq!(enc("czero.eqz", 10, 11, 12, 0, 0), 0x0ec5_d533);
        assert_eq!(enc("czero.nez", 10, 11, 12, 0, 0), 0x0ec5_f533);
        // mop.r.0 a0, a1: 1000000 11100 01011 100 01010 1110011
        assert_eq!(enc("mop.r", 10, 11, 0, 0, 0), 0x81c5_c573);
        // mop.r.31: bit 30, bits 27:26 and 21:20 all set.
        assert_eq!(enc("mop.r", 10, 11, 0, 31, 0), 0xcdf5_c573);
        // mop.rr.7 a0, a1, a2: 1100111 01100 01011 100 01010 1110011
        assert_eq!(enc("mop.rr", 10, 11, 12, 7, 0), 0xcec5_c573);
        assert_eq!(enc("wrs.nto", 0, 0, 0, 0, 0), 0x00d0_0073);
        assert_eq!(enc("wrs.sto", 0, 0, 0, 0, 0), 0x01d0_0073);
        // cbo.zero (a0): 000000000100 01010 010 00000 0001111
        assert_eq!(enc("cbo.zero", 0, 10, 0, 0, 0), 0x0045_200f);
        // fli.d fa0, 1.0 (index 16): 1111001 00001 10000 000 01010 1010011
        assert_eq!(enc("fli.d", 10, 0, 0, 16, 0), 0xf218_0553);
        // fround.s fa0, fa1, rtz: 0100000 00100 01011 001 01010 1010011
        assert_eq!(enc("fround.s", 10, 11, 0, 0, 1), 0x4045_9553);
        // fcvtmod.w.d a0, fa1, rtz: 1100001 01000 01011 001 01010 1010011
        assert_eq!(enc("fcvtmod.w.d", 10, 11, 0, 0, 0), 0xc285_9553);
        // fltq.d a0, fa1, fa2: 1010001 01100 01011 101 01010 1010011
        assert_eq!(enc("fltq.d", 10, 11, 12, 0, 0), 0xa2c5_d553);
        // fmaxm.h fa0, fa1, fa2: 0010110 01100 01011 011 01010 1010011
        assert_eq!(enc("fmaxm.h", 10, 11, 12, 0, 0), 0x2cc5_b553);
    }
}
