//! The decoded-instruction value ([`Inst`]) and everything the table says about
//! an opcode: [`Opcode`], its [`Ext`]ension and its operand [`Format`].

use crate::table::{for_each_inst, pattern};

/// A decoded instruction: the opcode plus every operand field, already
/// extracted, sign-extended and scaled.
///
/// Compressed (RVC) instructions decode to the opcode of their 32-bit
/// expansion with `len == 2` (e.g. `c.addi16sp` → [`Opcode::Addi`]), so the
/// lifter never sees RVC.
///
/// Fields that the opcode's [`Format`] does not use are zero. For
/// [`Opcode::Illegal`], `imm` holds the raw instruction bits (16 or 32 of
/// them, as `len` says) so that a disassembler can still show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Inst {
    /// What the instruction is.
    pub op: Opcode,
    /// Destination register number (x or f file as the format implies).
    pub rd: u8,
    /// First source register. For `csrr*i` this holds the 5-bit `uimm`.
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// Third source register (R4-type: `fmadd` and friends).
    pub rs3: u8,
    /// Immediate, sign-extended and scaled: branch/jump offsets in bytes,
    /// `lui`/`auipc` already shifted left by 12, shift amounts, the CSR number
    /// for Zicsr, `(fm << 8) | (pred << 4) | succ` for `fence`.
    pub imm: i64,
    /// Rounding-mode field of FP instructions (0..=4, or 7 = dynamic); for the
    /// A extension `(aq << 1) | rl`.
    pub rm: u8,
    /// Length in bytes: 2 (RVC) or 4.
    pub len: u8,
}

impl Inst {
    /// An illegal instruction of length `len`, keeping its raw `bits`.
    pub const fn illegal(bits: u32, len: u8) -> Inst {
        Inst { op: Opcode::Illegal, rd: 0, rs1: 0, rs2: 0, rs3: 0, imm: bits as i64, rm: 0, len }
    }

    /// Whether the instruction decoded to something real.
    pub const fn is_legal(&self) -> bool {
        !matches!(self.op, Opcode::Illegal)
    }
}

/// The extension an instruction belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ext {
    /// RV64I base integer ISA.
    I,
    /// Integer multiplication and division.
    M,
    /// Atomics.
    A,
    /// Single-precision floating point.
    F,
    /// Double-precision floating point.
    D,
    /// Control and status register instructions.
    Zicsr,
    /// Instruction-fetch fence.
    Zifencei,
    /// Address generation (bitmanip).
    Zba,
    /// Basic bit manipulation.
    Zbb,
    /// Carry-less multiplication.
    Zbc,
    /// Single-bit instructions.
    Zbs,
    /// Compressed instructions (no [`Opcode`] has it: RVC decodes to the
    /// 32-bit expansion; it is here so that ISA sets can name it).
    C,
    /// Integer conditional operations (`czero.eqz`, `czero.nez`).
    Zicond,
    /// Bit manipulation for cryptography (`pack`, `packh`, `packw`, `brev8`;
    /// it also contains Zbb's rotates, `andn`/`orn`/`xnor` and `rev8`).
    Zbkb,
    /// Carry-less multiplication for cryptography (`clmul`, `clmulh`: the
    /// [`Ext::Zbc`] rows).
    Zbkc,
    /// Crossbar permutations (`xperm4`, `xperm8`).
    Zbkx,
    /// May-be-operations (`mop.r.n`, `mop.rr.n`).
    Zimop,
    /// Compressed may-be-operations (`c.mop.n`; RVC only).
    Zcmop,
    /// Additional compressed instructions (`c.lbu`, `c.mul`...; RVC only).
    Zcb,
    /// Wait-on-reservation-set (`wrs.nto`, `wrs.sto`).
    Zawrs,
    /// Cache-block management (`cbo.clean`, `cbo.flush`, `cbo.inval`).
    Zicbom,
    /// Cache-block zero (`cbo.zero`).
    Zicboz,
    /// Cache-block prefetch hints (`prefetch.i/r/w`: `ori` HINTs, no opcode).
    Zicbop,
    /// Minimal half precision: loads, stores, moves and conversions.
    Zfhmin,
    /// Half-precision arithmetic (the rest of the `.h` instructions).
    Zfh,
    /// Additional FP instructions (`fli`, `fminm`, `fround`, `fleq`...).
    Zfa,
    /// The `pause` hint (a `fence` encoding, no opcode).
    Zihintpause,
    /// Non-temporal locality hints (`ntl.*`: `add` HINTs, no opcode).
    Zihintntl,
    /// Multiplication without division (the `mul*` rows of [`Ext::M`]).
    Zmmul,
    /// Data-independent execution latency (a property, no instructions).
    Zkt,
    /// The vector extension 1.0.
    V,
    /// Vector basic bit manipulation (`vandn`, `vbrev`, `vclz`, `vrol`,
    /// `vwsll`...; vector cryptography spec 1.0). Needs [`Ext::V`].
    Zvbb,
    /// The subset of [`Ext::Zvbb`] for cryptography (`vandn`, `vbrev8`,
    /// `vrev8`, `vrol`, `vror`): no opcode of its own.
    Zvkb,
    /// Vector data-independent execution latency (a property, no
    /// instructions).
    Zvkt,
    /// Vector AES (`vaesef`, `vaesem`, `vaesdf`, `vaesdm`, `vaesz`,
    /// `vaeskf1`, `vaeskf2`; vector cryptography spec 1.0). Needs [`Ext::V`].
    Zvkned,
    /// Vector SHA-256 (`vsha2ms`, `vsha2ch`, `vsha2cl` at SEW 32).
    Zvknha,
    /// Vector SHA-256 and SHA-512: the [`Ext::Zvknha`] opcodes, at SEW 32
    /// or 64. No opcode of its own.
    Zvknhb,
    /// Vector GCM/GMAC (`vghsh`, `vgmul`: GHASH multiplies in GF(2^128)).
    Zvkg,
    /// Vector carry-less multiplication (`vclmul`, `vclmulh` at SEW 64).
    Zvbc,
    /// Vector SM4 block cipher (`vsm4k`, `vsm4r`).
    Zvksed,
    /// Vector SM3 hash (`vsm3me`, `vsm3c`).
    Zvksh,
    /// Minimal half-precision vector FP: the binary16 <-> binary32
    /// conversions `vfwcvt.f.f.v` and `vfncvt.f.f.w` at SEW 16 (no opcode of
    /// its own: the V rows at another SEW).
    Zvfhmin,
    /// Half-precision vector FP: every vector FP instruction on binary16
    /// elements (SEW 16), and the widening/narrowing forms to and from
    /// them. No opcode of its own.
    Zvfh,
}

impl Ext {
    /// Lower-case name as it appears in an ISA string (`"i"`, `"zba"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Ext::I => "i",
            Ext::M => "m",
            Ext::A => "a",
            Ext::F => "f",
            Ext::D => "d",
            Ext::Zicsr => "zicsr",
            Ext::Zifencei => "zifencei",
            Ext::Zba => "zba",
            Ext::Zbb => "zbb",
            Ext::Zbc => "zbc",
            Ext::Zbs => "zbs",
            Ext::C => "c",
            Ext::Zicond => "zicond",
            Ext::Zbkb => "zbkb",
            Ext::Zbkc => "zbkc",
            Ext::Zbkx => "zbkx",
            Ext::Zimop => "zimop",
            Ext::Zcmop => "zcmop",
            Ext::Zcb => "zcb",
            Ext::Zawrs => "zawrs",
            Ext::Zicbom => "zicbom",
            Ext::Zicboz => "zicboz",
            Ext::Zicbop => "zicbop",
            Ext::Zfhmin => "zfhmin",
            Ext::Zfh => "zfh",
            Ext::Zfa => "zfa",
            Ext::Zihintpause => "zihintpause",
            Ext::Zihintntl => "zihintntl",
            Ext::Zmmul => "zmmul",
            Ext::Zkt => "zkt",
            Ext::V => "v",
            Ext::Zvbb => "zvbb",
            Ext::Zvkb => "zvkb",
            Ext::Zvkt => "zvkt",
            Ext::Zvkned => "zvkned",
            Ext::Zvknha => "zvknha",
            Ext::Zvknhb => "zvknhb",
            Ext::Zvkg => "zvkg",
            Ext::Zvbc => "zvbc",
            Ext::Zvksed => "zvksed",
            Ext::Zvksh => "zvksh",
            Ext::Zvfhmin => "zvfhmin",
            Ext::Zvfh => "zvfh",
        }
    }

    /// Every extension, in declaration order.
    pub const ALL: &'static [Ext] = &[
        Ext::I,
        Ext::M,
        Ext::A,
        Ext::F,
        Ext::D,
        Ext::Zicsr,
        Ext::Zifencei,
        Ext::Zba,
        Ext::Zbb,
        Ext::Zbc,
        Ext::Zbs,
        Ext::C,
        Ext::Zicond,
        Ext::Zbkb,
        Ext::Zbkc,
        Ext::Zbkx,
        Ext::Zimop,
        Ext::Zcmop,
        Ext::Zcb,
        Ext::Zawrs,
        Ext::Zicbom,
        Ext::Zicboz,
        Ext::Zicbop,
        Ext::Zfhmin,
        Ext::Zfh,
        Ext::Zfa,
        Ext::Zihintpause,
        Ext::Zihintntl,
        Ext::Zmmul,
        Ext::Zkt,
        Ext::V,
        Ext::Zvbb,
        Ext::Zvkb,
        Ext::Zvkt,
        Ext::Zvkned,
        Ext::Zvknha,
        Ext::Zvknhb,
        Ext::Zvkg,
        Ext::Zvbc,
        Ext::Zvksed,
        Ext::Zvksh,
        Ext::Zvfhmin,
        Ext::Zvfh,
    ];

    /// Whether the extension's opcodes are vector instructions (lifted to
    /// [`ferrovm_ir::Op::Vector`], disassembled by the vector printer).
    pub const fn has_vector_opcodes(self) -> bool {
        matches!(
            self,
            Ext::V | Ext::Zvbb | Ext::Zvkned | Ext::Zvknha | Ext::Zvkg | Ext::Zvbc | Ext::Zvksed | Ext::Zvksh
        )
    }

    /// Looks an extension up by its ISA-string name.
    pub fn from_name(name: &str) -> Option<Ext> {
        Ext::ALL.iter().copied().find(|e| e.name() == name)
    }
}

/// Which register file a register field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegFile {
    /// Integer registers `x0..x31`.
    X,
    /// Floating-point registers `f0..f31`.
    F,
    /// Vector registers `v0..v31`.
    V,
}

/// Operand layout of an instruction: which [`Inst`] fields are meaningful and
/// which register file each register field refers to.
///
/// Bit positions (RISC-V Unprivileged ISA §2.2): `rd` 11:7, `rs1` 19:15,
/// `rs2` 24:20, `rs3` 31:27, `rm` 14:12, I-immediate 31:20, `shamt` 25:20
/// (RV64) or 24:20 (`*W`), `aq`/`rl` 26:25, `csr` 31:20.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `rd, rs1, rs2`, all x.
    R,
    /// `rd, rs1`, x (`rs2` is part of the opcode: `clz`, `sext.b`, `rev8`...).
    RUnary,
    /// `rd, rs1, imm` with a 12-bit signed immediate (`addi`, `jalr`...).
    I,
    /// `rd, imm(rs1)`: integer load.
    Load,
    /// `rs2, imm(rs1)`: integer store.
    Store,
    /// `rs1, rs2, offset`: conditional branch, offset in bytes.
    B,
    /// `rd, imm` with `imm` already shifted left by 12.
    U,
    /// `rd, offset`: `jal`, offset in bytes.
    J,
    /// `rd, rs1, shamt` with a 6-bit shift amount.
    Shift,
    /// `rd, rs1, shamt` with a 5-bit shift amount (`*iw`).
    ShiftW,
    /// `rd, rs2, (rs1)` plus `aq`/`rl` in `rm`.
    Amo,
    /// `rd, (rs1)` plus `aq`/`rl` in `rm` (`lr.*`).
    Lr,
    /// `rd, csr, rs1` with the CSR number in `imm`.
    Csr,
    /// `rd, csr, uimm` with the CSR number in `imm` and the 5-bit `uimm` in
    /// `rs1`.
    CsrI,
    /// `fence`: `imm = (fm << 8) | (pred << 4) | succ`; `rd` and `rs1` are
    /// reserved fields kept as decoded (implementations ignore them, §2.7).
    Fence,
    /// `fence.i`: `imm`, `rd` and `rs1` are reserved fields kept as decoded
    /// (implementations ignore them, §3.1).
    FenceI,
    /// No operands (`ecall`, `ebreak`; also [`Opcode::Illegal`]).
    None,
    /// `frd, imm(rs1)`: FP load.
    FLoad,
    /// `frs2, imm(rs1)`: FP store.
    FStore,
    /// `frd, frs1, frs2` without a rounding mode (`fsgnj`, `fmin`...).
    FR,
    /// `frd, frs1, frs2, rm`.
    FRRm,
    /// `frd, frs1, frs2, frs3, rm` (R4-type fused multiply-add).
    FR4,
    /// `frd, frs1, rm` (`fsqrt`, FP-to-FP conversions).
    FUnaryRm,
    /// `rd, frs1` (`fmv.x.w`, `fclass`).
    FToX,
    /// `rd, frs1, rm` (FP-to-integer conversions).
    FToXRm,
    /// `frd, rs1` (`fmv.w.x`).
    XToF,
    /// `frd, rs1, rm` (integer-to-FP conversions).
    XToFRm,
    /// `rd, frs1, frs2` (FP compares).
    FCmp,
    /// `(rs1)`: cache-block operations (`cbo.*`).
    Cbo,
    /// `rd, rs1` plus the MOP number `n` (0..=31) in `imm` (`mop.r.n`).
    MopR,
    /// `rd, rs1, rs2` plus the MOP number `n` (0..=7) in `imm` (`mop.rr.n`).
    MopRR,
    /// `frd, index`: `fli`, with the 5-bit constant index in `rs1`.
    FLi,
    // ---- V 1.0. For all of these `rd` is `vd` (or `vs3` of a store), `rs2`
    // is `vs2`, `rm` is the `vm` bit (1 = unmasked) where the format has it,
    // and `rs3` is `nf` (fields 31:29) of loads and stores.
    /// `rd, rs1, vtypei`: `vsetvli` with the 11-bit `zimm` in `imm`.
    VSetvli,
    /// `rd, uimm, vtypei`: `vsetivli` with the 5-bit AVL in `rs1` and the
    /// 10-bit `zimm` in `imm`.
    VSetivli,
    /// `vd, (rs1), vm` with `nf`: unit-stride and fault-only-first.
    VMem,
    /// `vd, (rs1), rs2, vm` with `nf`: strided.
    VMemStrided,
    /// `vd, (rs1), vs2, vm` with `nf`: indexed.
    VMemIndexed,
    /// `vd, (rs1)`: whole-register and mask loads/stores (`nf`, `vm` fixed).
    VMemWhole,
    /// `vd, vs2, vs1, vm`.
    VV,
    /// `vd, vs2, rs1, vm`.
    VX,
    /// `vd, vs2, simm5, vm` (`imm` sign-extended).
    VI,
    /// `vd, vs2, uimm5, vm` (`imm` zero-extended: shifts, slides, gathers).
    VIU,
    /// `vd, vs2, uimm6, vm`: `vror.vi` (Zvbb), whose rotate amount has its
    /// bit 5 in instruction bit 26 and bits 4:0 in the `vs1` field.
    VIU6,
    /// `vd, vs2, frs1, vm`.
    VF,
    /// `vd, vs1, vs2, vm`: multiply-add operand order.
    VVMac,
    /// `vd, rs1, vs2, vm`.
    VXMac,
    /// `vd, frs1, vs2, vm`.
    VFMac,
    /// `vd, vs2, vs1` with `vm` fixed by the opcode (`, v0` when it is 0).
    VVNm,
    /// `vd, vs2, rs1` with `vm` fixed.
    VXNm,
    /// `vd, vs2, simm5` with `vm` fixed.
    VINm,
    /// `vd, vs2, uimm5` with `vm` fixed (`vaeskf1.vi`, `vaeskf2.vi`).
    VIUNm,
    /// `vd, vs2, frs1` with `vm` fixed.
    VFNm,
    /// `vd, vs1` (`vmv.v.v`).
    VMvV,
    /// `vd, rs1` (`vmv.v.x`, `vmv.s.x`).
    VMvX,
    /// `vd, simm5` (`vmv.v.i`).
    VMvI,
    /// `vd, frs1` (`vfmv.v.f`, `vfmv.s.f`).
    VMvF,
    /// `rd, vs2` (`vmv.x.s`).
    VToX,
    /// `frd, vs2` (`vfmv.f.s`).
    VToF,
    /// `rd, vs2, vm` (`vcpop.m`, `vfirst.m`).
    VToXM,
    /// `vd, vs2, vm`: unary operations (`vzext.vf2`, `vmsbf.m`, `vfsqrt.v`...).
    VUnary,
    /// `vd, vm` (`vid.v`).
    VId,
    /// `vd, vs2` (`vmv<nr>r.v`).
    VMvR,
}

const RD: u32 = 0x0000_0f80;
const RS1: u32 = 0x000f_8000;
const RS2: u32 = 0x01f0_0000;
const RS3: u32 = 0xf800_0000;
const RM: u32 = 0x0000_7000;
const IMM_I: u32 = 0xfff0_0000;
const IMM_S: u32 = 0xfe00_0f80;
const IMM_U: u32 = 0xffff_f000;
const SHAMT6: u32 = 0x03f0_0000;
const AQRL: u32 = 0x0600_0000;
/// `mop.r.n`'s `n`: bits 30, 27:26, 21:20.
const MOP_R_N: u32 = 0x4c30_0000;
/// `mop.rr.n`'s `n`: bits 30, 27:26.
const MOP_RR_N: u32 = 0x4c00_0000;
/// The vector mask bit `vm`.
const VM: u32 = 0x0200_0000;
/// The segment count `nf` of vector loads and stores (bits 31:29).
const NF: u32 = 0xe000_0000;
/// `vsetvli`'s `zimm[10:0]` (bits 30:20).
const ZIMM11: u32 = 0x7ff0_0000;
/// `vror.vi`'s `uimm[5]` (bit 26).
const ZIMM6_HI: u32 = 0x0400_0000;
/// `vsetivli`'s `zimm[9:0]` (bits 29:20).
const ZIMM10: u32 = 0x3ff0_0000;

impl Format {
    /// Register file of `rd`, if the format has an `rd` operand.
    pub const fn rd(self) -> Option<RegFile> {
        use Format::*;
        match self {
            R | RUnary | I | Load | U | J | Shift | ShiftW | Amo | Lr | Csr | CsrI | FToX | FToXRm | FCmp | MopR
            | MopRR | VSetvli | VSetivli | VToX | VToXM => Some(RegFile::X),
            FLoad | FR | FRRm | FR4 | FUnaryRm | XToF | XToFRm | FLi | VToF => Some(RegFile::F),
            VMem | VMemStrided | VMemIndexed | VMemWhole | VV | VX | VI | VIU | VIU6 | VF | VVMac | VXMac | VFMac
            | VVNm | VXNm | VINm | VIUNm | VFNm | VMvV | VMvX | VMvI | VMvF | VUnary | VId | VMvR => Some(RegFile::V),
            Store | B | Fence | FenceI | None | FStore | Cbo => Option::None,
        }
    }

    /// Register file of `rs1`, if the format has an `rs1` register operand
    /// (`CsrI` keeps an immediate there and answers `None`).
    pub const fn rs1(self) -> Option<RegFile> {
        use Format::*;
        match self {
            R | RUnary | I | Load | Store | B | Shift | ShiftW | Amo | Lr | Csr | FLoad | FStore | XToF | XToFRm
            | Cbo | MopR | MopRR | VSetvli | VMem | VMemStrided | VMemIndexed | VMemWhole | VX | VXMac | VXNm
            | VMvX => Some(RegFile::X),
            FR | FRRm | FR4 | FUnaryRm | FToX | FToXRm | FCmp | VF | VFMac | VFNm | VMvF => Some(RegFile::F),
            VV | VVMac | VVNm | VMvV => Some(RegFile::V),
            U | J | CsrI | Fence | FenceI | None | FLi | VSetivli | VI | VIU | VIU6 | VINm | VIUNm | VMvI | VToX
            | VToF | VToXM | VUnary | VId | VMvR => Option::None,
        }
    }

    /// Register file of `rs2`, if the format has an `rs2` operand.
    pub const fn rs2(self) -> Option<RegFile> {
        use Format::*;
        match self {
            R | Store | B | Amo | MopRR | VMemStrided => Some(RegFile::X),
            FStore | FR | FRRm | FR4 | FCmp => Some(RegFile::F),
            VMemIndexed | VV | VX | VI | VIU | VIU6 | VF | VVMac | VXMac | VFMac | VVNm | VXNm | VINm | VIUNm
            | VFNm | VToX | VToF | VToXM | VUnary | VMvR => Some(RegFile::V),
            _ => Option::None,
        }
    }

    /// Register file of `rs3`, if the format has an `rs3` operand.
    pub const fn rs3(self) -> Option<RegFile> {
        match self {
            Format::FR4 => Some(RegFile::F),
            _ => Option::None,
        }
    }

    /// Whether `Inst::imm` is meaningful.
    pub const fn has_imm(self) -> bool {
        use Format::*;
        matches!(
            self,
            I | Load
                | Store
                | B
                | U
                | J
                | Shift
                | ShiftW
                | Csr
                | CsrI
                | Fence
                | FenceI
                | FLoad
                | FStore
                | MopR
                | MopRR
                | VSetvli
                | VSetivli
                | VI
                | VIU
                | VIU6
                | VINm
                | VIUNm
                | VMvI
        )
    }

    /// Whether `Inst::rm` is meaningful (a rounding mode, or `aq`/`rl` for
    /// [`Format::Amo`] and [`Format::Lr`]).
    pub const fn has_rm(self) -> bool {
        use Format::*;
        matches!(self, Amo | Lr | FRRm | FR4 | FUnaryRm | FToXRm | XToFRm)
    }

    /// Whether `rm` holds the vector mask bit `vm` (1 = unmasked).
    pub const fn has_vm(self) -> bool {
        use Format::*;
        matches!(
            self,
            VMem | VMemStrided
                | VMemIndexed
                | VV
                | VX
                | VI
                | VIU
                | VIU6
                | VF
                | VVMac
                | VXMac
                | VFMac
                | VToXM
                | VUnary
                | VId
        )
    }

    /// Whether `rs3` holds the segment count `nf` (vector loads and stores).
    pub const fn has_nf(self) -> bool {
        matches!(self, Format::VMem | Format::VMemStrided | Format::VMemIndexed)
    }

    /// Whether `rm` is a floating-point rounding mode (so 5 and 6 are
    /// reserved and decode as illegal, §11.2).
    pub const fn has_rounding_mode(self) -> bool {
        use Format::*;
        matches!(self, FRRm | FR4 | FUnaryRm | FToXRm | XToFRm)
    }

    /// The instruction bits that hold this format's operand fields.
    pub(crate) const fn field_bits(self) -> u32 {
        use Format::*;
        match self {
            R | FR | FCmp => RD | RS1 | RS2,
            RUnary | FToX | XToF | FLi => RD | RS1,
            Cbo => RS1,
            MopR => RD | RS1 | MOP_R_N,
            MopRR => RD | RS1 | RS2 | MOP_RR_N,
            I | Load | FLoad | FenceI | Csr | CsrI | Fence => RD | RS1 | IMM_I,
            Store | FStore | B => RS1 | RS2 | IMM_S,
            U | J => RD | IMM_U,
            Shift => RD | RS1 | SHAMT6,
            ShiftW => RD | RS1 | RS2,
            Amo => RD | RS1 | RS2 | AQRL,
            Lr => RD | RS1 | AQRL,
            None => 0,
            FRRm => RD | RS1 | RS2 | RM,
            FR4 => RD | RS1 | RS2 | RS3 | RM,
            FUnaryRm | FToXRm | XToFRm => RD | RS1 | RM,
            VSetvli => RD | RS1 | ZIMM11,
            VSetivli => RD | RS1 | ZIMM10,
            VMem => RD | RS1 | VM | NF,
            VMemStrided | VMemIndexed => RD | RS1 | RS2 | VM | NF,
            VMemWhole | VMvV | VMvX | VMvI | VMvF => RD | RS1,
            VV | VX | VI | VIU | VF | VVMac | VXMac | VFMac => RD | RS1 | RS2 | VM,
            VIU6 => RD | RS1 | RS2 | VM | ZIMM6_HI,
            VVNm | VXNm | VINm | VIUNm | VFNm => RD | RS1 | RS2,
            VToX | VToF | VMvR => RD | RS2,
            VToXM | VUnary => RD | RS2 | VM,
            VId => RD | VM,
        }
    }
}

/// One row of the table after expansion: `word & mask == matches`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub(crate) op: Opcode,
    pub(crate) matches: u32,
    pub(crate) mask: u32,
    pub(crate) format: Format,
}

macro_rules! define_opcodes {
    ($($variant:ident $name:literal $format:ident $ext:ident $pattern:literal,)*) => {
        /// Every instruction ferrovm decodes: the CamelCase of its canonical
        /// mnemonic, one variant per real instruction (see `table.rs`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum Opcode {
            /// Not a valid instruction (reserved, unknown, or outside the
            /// supported extensions).
            Illegal,
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Opcode {
            /// Every opcode except [`Opcode::Illegal`], in table order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant,)*];

            /// Canonical mnemonic, e.g. `"fmadd.d"`, `"amoadd.w"`,
            /// `"sh1add.uw"` (`"illegal"` for [`Opcode::Illegal`]).
            pub const fn name(self) -> &'static str {
                match self {
                    Opcode::Illegal => "illegal",
                    $(Opcode::$variant => $name,)*
                }
            }

            /// The extension the instruction belongs to ([`Ext::I`] for
            /// [`Opcode::Illegal`]).
            pub const fn ext(self) -> Ext {
                match self {
                    Opcode::Illegal => Ext::I,
                    $(Opcode::$variant => Ext::$ext,)*
                }
            }

            /// The operand layout ([`Format::None`] for [`Opcode::Illegal`]).
            pub const fn format(self) -> Format {
                match self {
                    Opcode::Illegal => Format::None,
                    $(Opcode::$variant => Format::$format,)*
                }
            }

            /// `(match, mask)` of the 32-bit encoding (`(0, 0)` for
            /// [`Opcode::Illegal`]).
            pub const fn encoding(self) -> (u32, u32) {
                match self {
                    Opcode::Illegal => (0, 0),
                    $(Opcode::$variant => pattern($pattern),)*
                }
            }

            /// Looks an opcode up by its canonical mnemonic.
            pub fn from_name(name: &str) -> Option<Opcode> {
                match name {
                    $($name => Some(Opcode::$variant),)*
                    _ => None,
                }
            }
        }

        /// The expanded table, in table order.
        pub(crate) const ENTRIES: &[Entry] = &[$(
            Entry {
                op: Opcode::$variant,
                matches: pattern($pattern).0,
                mask: pattern($pattern).1,
                format: Format::$format,
            },
        )*];
    };
}

for_each_inst!(define_opcodes);

impl core::fmt::Display for Opcode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Compile-time proof that the table is sound: every pattern's fixed bits and
/// its format's operand bits partition the word, and no two patterns overlap.
#[expect(clippy::indexing_slicing, reason = "compile-time table construction: a bad index fails the build")]
const _: () = {
    let mut i = 0;
    while i < ENTRIES.len() {
        let e = &ENTRIES[i];
        let fields = e.format.field_bits();
        assert!(e.mask & fields == 0, "a fixed bit overlaps an operand field");
        assert!(e.mask | fields == u32::MAX, "a bit is neither fixed nor an operand");
        assert!(e.matches & !e.mask == 0, "match has bits outside its mask");
        assert!(e.matches & 3 == 3, "32-bit patterns end in 0b11");
        assert!(e.op as usize == i + 1, "ENTRIES[i] is opcode i + 1");
        let mut j = i + 1;
        while j < ENTRIES.len() {
            let f = &ENTRIES[j];
            // Rows may only overlap when the earlier one is a strict
            // specialization of the later (`zext.h` of `packw`): the decoder
            // tries rows in table order, so the special case wins.
            let disjoint = (e.matches ^ f.matches) & e.mask & f.mask != 0;
            let special = e.mask & f.mask == f.mask && e.mask != f.mask && e.matches & f.mask == f.matches;
            assert!(disjoint || special, "two instruction patterns overlap");
            j += 1;
        }
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &op in Opcode::ALL {
            assert_eq!(Opcode::from_name(op.name()), Some(op));
        }
        assert_eq!(Opcode::FmaddD.name(), "fmadd.d");
        assert_eq!(Opcode::AmoaddW.name(), "amoadd.w");
        assert_eq!(Opcode::Sh1addUw.name(), "sh1add.uw");
    }

    #[test]
    fn inst_stays_small() {
        assert!(core::mem::size_of::<Inst>() <= 16);
    }

    #[test]
    fn formats_describe_register_files() {
        assert_eq!(Opcode::FcvtWD.format().rd(), Some(RegFile::X));
        assert_eq!(Opcode::FcvtWD.format().rs1(), Some(RegFile::F));
        assert_eq!(Opcode::Fsd.format().rs2(), Some(RegFile::F));
        assert_eq!(Opcode::Fsd.format().rs1(), Some(RegFile::X));
        assert_eq!(Opcode::FmaddS.format().rs3(), Some(RegFile::F));
        assert_eq!(Opcode::Csrrwi.format().rs1(), None);
        assert_eq!(Opcode::Clmul.ext(), Ext::Zbc);
    }
}
