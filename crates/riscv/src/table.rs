//! The instruction table: every 32-bit instruction ferrovm knows, one per line.
//!
//! `for_each_inst!(callback)` hands the whole list to `callback!`, which is how
//! the [`Opcode`](crate::Opcode) enum, its `name()`/`ext()`/`format()`, the
//! 32-bit decoder index and the encoder are generated from this one place (and
//! how the lifter can generate its dispatch later).
//!
//! Each line is `Variant "mnemonic" Format Ext "pattern"`. The pattern is the
//! 32-bit encoding, most significant bit first: `0`/`1` are fixed bits (they
//! form the match/mask pair), `.` bits belong to operand fields, spaces are
//! ignored. Patterns are laid out along the field boundaries of the base
//! formats (RISC-V Unprivileged ISA, 20191213, §2.2 and §2.3):
//!
//! ```text
//!  31        25 24   20 19   15 14  12 11    7 6      0
//! |   funct7   |  rs2  |  rs1  |funct3|   rd  | opcode |  R-type
//! |      imm[11:0]     |  rs1  |funct3|   rd  | opcode |  I-type
//! | imm[11:5]  |  rs2  |  rs1  |funct3|imm[4:0]| opcode|  S-type
//! |imm[12|10:5]|  rs2  |  rs1  |funct3|imm[4:1|11]|opc |  B-type
//! |          imm[31:12]               |   rd  | opcode |  U-type
//! |     imm[20|10:1|11|19:12]         |   rd  | opcode |  J-type
//! | rs3 |fmt|  rs2     |  rs1  |  rm  |   rd  | opcode |  R4-type (§11.6)
//! |funct5|aq|rl| rs2   |  rs1  |funct3|   rd  | opcode |  AMO (§8.2)
//! ```
//!
//! Only RV64 forms are listed (6-bit shift amounts, `rev8`/`zext.h` of RV64).
//! Compile-time checks below guarantee that no two patterns overlap and that
//! every bit of every pattern is either fixed or part of an operand field of
//! its [`Format`](crate::Format): so the decoder is unambiguous and
//! `encode(decode32(w)) == Some(w)` for every word that decodes.

/// Calls `$m! { Variant "name" Format Ext "pattern", ... }` with the table.
#[rustfmt::skip]
macro_rules! for_each_inst {
    ($m:ident) => {
        $m! {
            // ---- RV64I base (§2, §5) ------------------------------------------------
            Lui       "lui"        U        I        "....................  ..... 0110111",
            Auipc     "auipc"      U        I        "....................  ..... 0010111",
            Jal       "jal"        J        I        "....................  ..... 1101111",
            Jalr      "jalr"       I        I        "............ ..... 000 ..... 1100111",
            Beq       "beq"        B        I        "....... ..... ..... 000 ..... 1100011",
            Bne       "bne"        B        I        "....... ..... ..... 001 ..... 1100011",
            Blt       "blt"        B        I        "....... ..... ..... 100 ..... 1100011",
            Bge       "bge"        B        I        "....... ..... ..... 101 ..... 1100011",
            Bltu      "bltu"       B        I        "....... ..... ..... 110 ..... 1100011",
            Bgeu      "bgeu"       B        I        "....... ..... ..... 111 ..... 1100011",
            Lb        "lb"         Load     I        "............ ..... 000 ..... 0000011",
            Lh        "lh"         Load     I        "............ ..... 001 ..... 0000011",
            Lw        "lw"         Load     I        "............ ..... 010 ..... 0000011",
            Ld        "ld"         Load     I        "............ ..... 011 ..... 0000011",
            Lbu       "lbu"        Load     I        "............ ..... 100 ..... 0000011",
            Lhu       "lhu"        Load     I        "............ ..... 101 ..... 0000011",
            Lwu       "lwu"        Load     I        "............ ..... 110 ..... 0000011",
            Sb        "sb"         Store    I        "....... ..... ..... 000 ..... 0100011",
            Sh        "sh"         Store    I        "....... ..... ..... 001 ..... 0100011",
            Sw        "sw"         Store    I        "....... ..... ..... 010 ..... 0100011",
            Sd        "sd"         Store    I        "....... ..... ..... 011 ..... 0100011",
            Addi      "addi"       I        I        "............ ..... 000 ..... 0010011",
            Slti      "slti"       I        I        "............ ..... 010 ..... 0010011",
            Sltiu     "sltiu"      I        I        "............ ..... 011 ..... 0010011",
            Xori      "xori"       I        I        "............ ..... 100 ..... 0010011",
            Ori       "ori"        I        I        "............ ..... 110 ..... 0010011",
            Andi      "andi"       I        I        "............ ..... 111 ..... 0010011",
            Slli      "slli"       Shift    I        "000000 ...... ..... 001 ..... 0010011",
            Srli      "srli"       Shift    I        "000000 ...... ..... 101 ..... 0010011",
            Srai      "srai"       Shift    I        "010000 ...... ..... 101 ..... 0010011",
            Add       "add"        R        I        "0000000 ..... ..... 000 ..... 0110011",
            Sub       "sub"        R        I        "0100000 ..... ..... 000 ..... 0110011",
            Sll       "sll"        R        I        "0000000 ..... ..... 001 ..... 0110011",
            Slt       "slt"        R        I        "0000000 ..... ..... 010 ..... 0110011",
            Sltu      "sltu"       R        I        "0000000 ..... ..... 011 ..... 0110011",
            Xor       "xor"        R        I        "0000000 ..... ..... 100 ..... 0110011",
            Srl       "srl"        R        I        "0000000 ..... ..... 101 ..... 0110011",
            Sra       "sra"        R        I        "0100000 ..... ..... 101 ..... 0110011",
            Or        "or"         R        I        "0000000 ..... ..... 110 ..... 0110011",
            And       "and"        R        I        "0000000 ..... ..... 111 ..... 0110011",
            Addiw     "addiw"      I        I        "............ ..... 000 ..... 0011011",
            Slliw     "slliw"      ShiftW   I        "0000000 ..... ..... 001 ..... 0011011",
            Srliw     "srliw"      ShiftW   I        "0000000 ..... ..... 101 ..... 0011011",
            Sraiw     "sraiw"      ShiftW   I        "0100000 ..... ..... 101 ..... 0011011",
            Addw      "addw"       R        I        "0000000 ..... ..... 000 ..... 0111011",
            Subw      "subw"       R        I        "0100000 ..... ..... 000 ..... 0111011",
            Sllw      "sllw"       R        I        "0000000 ..... ..... 001 ..... 0111011",
            Srlw      "srlw"       R        I        "0000000 ..... ..... 101 ..... 0111011",
            Sraw      "sraw"       R        I        "0100000 ..... ..... 101 ..... 0111011",
            Fence     "fence"      Fence    I        "............ ..... 000 ..... 0001111",
            Ecall     "ecall"      None     I        "000000000000 00000 000 00000 1110011",
            Ebreak    "ebreak"     None     I        "000000000001 00000 000 00000 1110011",
            // ---- Zifencei (§3) ------------------------------------------------------
            FenceI    "fence.i"    FenceI   Zifencei "............ ..... 001 ..... 0001111",
            // ---- Zicsr (§9) ---------------------------------------------------------
            Csrrw     "csrrw"      Csr      Zicsr    "............ ..... 001 ..... 1110011",
            Csrrs     "csrrs"      Csr      Zicsr    "............ ..... 010 ..... 1110011",
            Csrrc     "csrrc"      Csr      Zicsr    "............ ..... 011 ..... 1110011",
            Csrrwi    "csrrwi"     CsrI     Zicsr    "............ ..... 101 ..... 1110011",
            Csrrsi    "csrrsi"     CsrI     Zicsr    "............ ..... 110 ..... 1110011",
            Csrrci    "csrrci"     CsrI     Zicsr    "............ ..... 111 ..... 1110011",
            // ---- M (§7) -------------------------------------------------------------
            Mul       "mul"        R        M        "0000001 ..... ..... 000 ..... 0110011",
            Mulh      "mulh"       R        M        "0000001 ..... ..... 001 ..... 0110011",
            Mulhsu    "mulhsu"     R        M        "0000001 ..... ..... 010 ..... 0110011",
            Mulhu     "mulhu"      R        M        "0000001 ..... ..... 011 ..... 0110011",
            Div       "div"        R        M        "0000001 ..... ..... 100 ..... 0110011",
            Divu      "divu"       R        M        "0000001 ..... ..... 101 ..... 0110011",
            Rem       "rem"        R        M        "0000001 ..... ..... 110 ..... 0110011",
            Remu      "remu"       R        M        "0000001 ..... ..... 111 ..... 0110011",
            Mulw      "mulw"       R        M        "0000001 ..... ..... 000 ..... 0111011",
            Divw      "divw"       R        M        "0000001 ..... ..... 100 ..... 0111011",
            Divuw     "divuw"      R        M        "0000001 ..... ..... 101 ..... 0111011",
            Remw      "remw"       R        M        "0000001 ..... ..... 110 ..... 0111011",
            Remuw     "remuw"      R        M        "0000001 ..... ..... 111 ..... 0111011",
            // ---- A (§8) -------------------------------------------------------------
            LrW       "lr.w"       Lr       A        "00010 .. 00000 ..... 010 ..... 0101111",
            ScW       "sc.w"       Amo      A        "00011 .. ..... ..... 010 ..... 0101111",
            AmoswapW  "amoswap.w"  Amo      A        "00001 .. ..... ..... 010 ..... 0101111",
            AmoaddW   "amoadd.w"   Amo      A        "00000 .. ..... ..... 010 ..... 0101111",
            AmoxorW   "amoxor.w"   Amo      A        "00100 .. ..... ..... 010 ..... 0101111",
            AmoandW   "amoand.w"   Amo      A        "01100 .. ..... ..... 010 ..... 0101111",
            AmoorW    "amoor.w"    Amo      A        "01000 .. ..... ..... 010 ..... 0101111",
            AmominW   "amomin.w"   Amo      A        "10000 .. ..... ..... 010 ..... 0101111",
            AmomaxW   "amomax.w"   Amo      A        "10100 .. ..... ..... 010 ..... 0101111",
            AmominuW  "amominu.w"  Amo      A        "11000 .. ..... ..... 010 ..... 0101111",
            AmomaxuW  "amomaxu.w"  Amo      A        "11100 .. ..... ..... 010 ..... 0101111",
            LrD       "lr.d"       Lr       A        "00010 .. 00000 ..... 011 ..... 0101111",
            ScD       "sc.d"       Amo      A        "00011 .. ..... ..... 011 ..... 0101111",
            AmoswapD  "amoswap.d"  Amo      A        "00001 .. ..... ..... 011 ..... 0101111",
            AmoaddD   "amoadd.d"   Amo      A        "00000 .. ..... ..... 011 ..... 0101111",
            AmoxorD   "amoxor.d"   Amo      A        "00100 .. ..... ..... 011 ..... 0101111",
            AmoandD   "amoand.d"   Amo      A        "01100 .. ..... ..... 011 ..... 0101111",
            AmoorD    "amoor.d"    Amo      A        "01000 .. ..... ..... 011 ..... 0101111",
            AmominD   "amomin.d"   Amo      A        "10000 .. ..... ..... 011 ..... 0101111",
            AmomaxD   "amomax.d"   Amo      A        "10100 .. ..... ..... 011 ..... 0101111",
            AmominuD  "amominu.d"  Amo      A        "11000 .. ..... ..... 011 ..... 0101111",
            AmomaxuD  "amomaxu.d"  Amo      A        "11100 .. ..... ..... 011 ..... 0101111",
            // ---- F (§11) ------------------------------------------------------------
            Flw       "flw"        FLoad    F        "............ ..... 010 ..... 0000111",
            Fsw       "fsw"        FStore   F        "....... ..... ..... 010 ..... 0100111",
            FmaddS    "fmadd.s"    FR4      F        "..... 00 ..... ..... ... ..... 1000011",
            FmsubS    "fmsub.s"    FR4      F        "..... 00 ..... ..... ... ..... 1000111",
            FnmsubS   "fnmsub.s"   FR4      F        "..... 00 ..... ..... ... ..... 1001011",
            FnmaddS   "fnmadd.s"   FR4      F        "..... 00 ..... ..... ... ..... 1001111",
            FaddS     "fadd.s"     FRRm     F        "0000000 ..... ..... ... ..... 1010011",
            FsubS     "fsub.s"     FRRm     F        "0000100 ..... ..... ... ..... 1010011",
            FmulS     "fmul.s"     FRRm     F        "0001000 ..... ..... ... ..... 1010011",
            FdivS     "fdiv.s"     FRRm     F        "0001100 ..... ..... ... ..... 1010011",
            FsqrtS    "fsqrt.s"    FUnaryRm F        "0101100 00000 ..... ... ..... 1010011",
            FsgnjS    "fsgnj.s"    FR       F        "0010000 ..... ..... 000 ..... 1010011",
            FsgnjnS   "fsgnjn.s"   FR       F        "0010000 ..... ..... 001 ..... 1010011",
            FsgnjxS   "fsgnjx.s"   FR       F        "0010000 ..... ..... 010 ..... 1010011",
            FminS     "fmin.s"     FR       F        "0010100 ..... ..... 000 ..... 1010011",
            FmaxS     "fmax.s"     FR       F        "0010100 ..... ..... 001 ..... 1010011",
            FcvtWS    "fcvt.w.s"   FToXRm   F        "1100000 00000 ..... ... ..... 1010011",
            FcvtWuS   "fcvt.wu.s"  FToXRm   F        "1100000 00001 ..... ... ..... 1010011",
            FcvtLS    "fcvt.l.s"   FToXRm   F        "1100000 00010 ..... ... ..... 1010011",
            FcvtLuS   "fcvt.lu.s"  FToXRm   F        "1100000 00011 ..... ... ..... 1010011",
            FmvXW     "fmv.x.w"    FToX     F        "1110000 00000 ..... 000 ..... 1010011",
            FclassS   "fclass.s"   FToX     F        "1110000 00000 ..... 001 ..... 1010011",
            FeqS      "feq.s"      FCmp     F        "1010000 ..... ..... 010 ..... 1010011",
            FltS      "flt.s"      FCmp     F        "1010000 ..... ..... 001 ..... 1010011",
            FleS      "fle.s"      FCmp     F        "1010000 ..... ..... 000 ..... 1010011",
            FcvtSW    "fcvt.s.w"   XToFRm   F        "1101000 00000 ..... ... ..... 1010011",
            FcvtSWu   "fcvt.s.wu"  XToFRm   F        "1101000 00001 ..... ... ..... 1010011",
            FcvtSL    "fcvt.s.l"   XToFRm   F        "1101000 00010 ..... ... ..... 1010011",
            FcvtSLu   "fcvt.s.lu"  XToFRm   F        "1101000 00011 ..... ... ..... 1010011",
            FmvWX     "fmv.w.x"    XToF     F        "1111000 00000 ..... 000 ..... 1010011",
            // ---- D (§12) ------------------------------------------------------------
            Fld       "fld"        FLoad    D        "............ ..... 011 ..... 0000111",
            Fsd       "fsd"        FStore   D        "....... ..... ..... 011 ..... 0100111",
            FmaddD    "fmadd.d"    FR4      D        "..... 01 ..... ..... ... ..... 1000011",
            FmsubD    "fmsub.d"    FR4      D        "..... 01 ..... ..... ... ..... 1000111",
            FnmsubD   "fnmsub.d"   FR4      D        "..... 01 ..... ..... ... ..... 1001011",
            FnmaddD   "fnmadd.d"   FR4      D        "..... 01 ..... ..... ... ..... 1001111",
            FaddD     "fadd.d"     FRRm     D        "0000001 ..... ..... ... ..... 1010011",
            FsubD     "fsub.d"     FRRm     D        "0000101 ..... ..... ... ..... 1010011",
            FmulD     "fmul.d"     FRRm     D        "0001001 ..... ..... ... ..... 1010011",
            FdivD     "fdiv.d"     FRRm     D        "0001101 ..... ..... ... ..... 1010011",
            FsqrtD    "fsqrt.d"    FUnaryRm D        "0101101 00000 ..... ... ..... 1010011",
            FsgnjD    "fsgnj.d"    FR       D        "0010001 ..... ..... 000 ..... 1010011",
            FsgnjnD   "fsgnjn.d"   FR       D        "0010001 ..... ..... 001 ..... 1010011",
            FsgnjxD   "fsgnjx.d"   FR       D        "0010001 ..... ..... 010 ..... 1010011",
            FminD     "fmin.d"     FR       D        "0010101 ..... ..... 000 ..... 1010011",
            FmaxD     "fmax.d"     FR       D        "0010101 ..... ..... 001 ..... 1010011",
            FcvtSD    "fcvt.s.d"   FUnaryRm D        "0100000 00001 ..... ... ..... 1010011",
            FcvtDS    "fcvt.d.s"   FUnaryRm D        "0100001 00000 ..... ... ..... 1010011",
            FeqD      "feq.d"      FCmp     D        "1010001 ..... ..... 010 ..... 1010011",
            FltD      "flt.d"      FCmp     D        "1010001 ..... ..... 001 ..... 1010011",
            FleD      "fle.d"      FCmp     D        "1010001 ..... ..... 000 ..... 1010011",
            FclassD   "fclass.d"   FToX     D        "1110001 00000 ..... 001 ..... 1010011",
            FcvtWD    "fcvt.w.d"   FToXRm   D        "1100001 00000 ..... ... ..... 1010011",
            FcvtWuD   "fcvt.wu.d"  FToXRm   D        "1100001 00001 ..... ... ..... 1010011",
            FcvtLD    "fcvt.l.d"   FToXRm   D        "1100001 00010 ..... ... ..... 1010011",
            FcvtLuD   "fcvt.lu.d"  FToXRm   D        "1100001 00011 ..... ... ..... 1010011",
            FcvtDW    "fcvt.d.w"   XToFRm   D        "1101001 00000 ..... ... ..... 1010011",
            FcvtDWu   "fcvt.d.wu"  XToFRm   D        "1101001 00001 ..... ... ..... 1010011",
            FcvtDL    "fcvt.d.l"   XToFRm   D        "1101001 00010 ..... ... ..... 1010011",
            FcvtDLu   "fcvt.d.lu"  XToFRm   D        "1101001 00011 ..... ... ..... 1010011",
            FmvXD     "fmv.x.d"    FToX     D        "1110001 00000 ..... 000 ..... 1010011",
            FmvDX     "fmv.d.x"    XToF     D        "1111001 00000 ..... 000 ..... 1010011",
            // ---- Zba (bitmanip 1.0.0 §2.1) --------------------------------------------
            AddUw     "add.uw"     R        Zba      "0000100 ..... ..... 000 ..... 0111011",
            Sh1add    "sh1add"     R        Zba      "0010000 ..... ..... 010 ..... 0110011",
            Sh2add    "sh2add"     R        Zba      "0010000 ..... ..... 100 ..... 0110011",
            Sh3add    "sh3add"     R        Zba      "0010000 ..... ..... 110 ..... 0110011",
            Sh1addUw  "sh1add.uw"  R        Zba      "0010000 ..... ..... 010 ..... 0111011",
            Sh2addUw  "sh2add.uw"  R        Zba      "0010000 ..... ..... 100 ..... 0111011",
            Sh3addUw  "sh3add.uw"  R        Zba      "0010000 ..... ..... 110 ..... 0111011",
            SlliUw    "slli.uw"    Shift    Zba      "000010 ...... ..... 001 ..... 0011011",
            // ---- Zbb (bitmanip 1.0.0 §2.2) --------------------------------------------
            Andn      "andn"       R        Zbb      "0100000 ..... ..... 111 ..... 0110011",
            Orn       "orn"        R        Zbb      "0100000 ..... ..... 110 ..... 0110011",
            Xnor      "xnor"       R        Zbb      "0100000 ..... ..... 100 ..... 0110011",
            Clz       "clz"        RUnary   Zbb      "0110000 00000 ..... 001 ..... 0010011",
            Ctz       "ctz"        RUnary   Zbb      "0110000 00001 ..... 001 ..... 0010011",
            Cpop      "cpop"       RUnary   Zbb      "0110000 00010 ..... 001 ..... 0010011",
            Clzw      "clzw"       RUnary   Zbb      "0110000 00000 ..... 001 ..... 0011011",
            Ctzw      "ctzw"       RUnary   Zbb      "0110000 00001 ..... 001 ..... 0011011",
            Cpopw     "cpopw"      RUnary   Zbb      "0110000 00010 ..... 001 ..... 0011011",
            Max       "max"        R        Zbb      "0000101 ..... ..... 110 ..... 0110011",
            Maxu      "maxu"       R        Zbb      "0000101 ..... ..... 111 ..... 0110011",
            Min       "min"        R        Zbb      "0000101 ..... ..... 100 ..... 0110011",
            Minu      "minu"       R        Zbb      "0000101 ..... ..... 101 ..... 0110011",
            SextB     "sext.b"     RUnary   Zbb      "0110000 00100 ..... 001 ..... 0010011",
            SextH     "sext.h"     RUnary   Zbb      "0110000 00101 ..... 001 ..... 0010011",
            ZextH     "zext.h"     RUnary   Zbb      "0000100 00000 ..... 100 ..... 0111011",
            Rol       "rol"        R        Zbb      "0110000 ..... ..... 001 ..... 0110011",
            Ror       "ror"        R        Zbb      "0110000 ..... ..... 101 ..... 0110011",
            Rori      "rori"       Shift    Zbb      "011000 ...... ..... 101 ..... 0010011",
            Rolw      "rolw"       R        Zbb      "0110000 ..... ..... 001 ..... 0111011",
            Rorw      "rorw"       R        Zbb      "0110000 ..... ..... 101 ..... 0111011",
            Roriw     "roriw"      ShiftW   Zbb      "0110000 ..... ..... 101 ..... 0011011",
            OrcB      "orc.b"      RUnary   Zbb      "0010100 00111 ..... 101 ..... 0010011",
            Rev8      "rev8"       RUnary   Zbb      "0110101 11000 ..... 101 ..... 0010011",
            // ---- Zbc (bitmanip 1.0.0 §2.3) --------------------------------------------
            Clmul     "clmul"      R        Zbc      "0000101 ..... ..... 001 ..... 0110011",
            Clmulh    "clmulh"     R        Zbc      "0000101 ..... ..... 011 ..... 0110011",
            Clmulr    "clmulr"     R        Zbc      "0000101 ..... ..... 010 ..... 0110011",
            // ---- Zbs (bitmanip 1.0.0 §2.4) --------------------------------------------
            Bclr      "bclr"       R        Zbs      "0100100 ..... ..... 001 ..... 0110011",
            Bclri     "bclri"      Shift    Zbs      "010010 ...... ..... 001 ..... 0010011",
            Bext      "bext"       R        Zbs      "0100100 ..... ..... 101 ..... 0110011",
            Bexti     "bexti"      Shift    Zbs      "010010 ...... ..... 101 ..... 0010011",
            Binv      "binv"       R        Zbs      "0110100 ..... ..... 001 ..... 0110011",
            Binvi     "binvi"      Shift    Zbs      "011010 ...... ..... 001 ..... 0010011",
            Bset      "bset"       R        Zbs      "0010100 ..... ..... 001 ..... 0110011",
            Bseti     "bseti"      Shift    Zbs      "001010 ...... ..... 001 ..... 0010011",
            // ---- Zicond 1.0 (czero: rd = condition ? 0 : rs1) ------------------------
            CzeroEqz  "czero.eqz"  R        Zicond   "0000111 ..... ..... 101 ..... 0110011",
            CzeroNez  "czero.nez"  R        Zicond   "0000111 ..... ..... 111 ..... 0110011",
            // ---- Zbkb (scalar crypto 1.0.1 §2; ror/rol/andn/rev8... are Zbb's rows) -
            // `zext.h` is `packw rd, rs1, x0`: its row above is the specialization and
            // wins (the overlap check allows an earlier, strictly narrower pattern).
            Pack      "pack"       R        Zbkb     "0000100 ..... ..... 100 ..... 0110011",
            Packh     "packh"      R        Zbkb     "0000100 ..... ..... 111 ..... 0110011",
            Packw     "packw"      R        Zbkb     "0000100 ..... ..... 100 ..... 0111011",
            Brev8     "brev8"      RUnary   Zbkb     "0110100 00111 ..... 101 ..... 0010011",
            // ---- Zbkx (scalar crypto 1.0.1 §2) --------------------------------------
            Xperm4    "xperm4"     R        Zbkx     "0010100 ..... ..... 010 ..... 0110011",
            Xperm8    "xperm8"     R        Zbkx     "0010100 ..... ..... 100 ..... 0110011",
            // ---- Zimop (may-be-operations: rd = 0 until redefined) ------------------
            // mop.r.n: n[4] = bit 30, n[3:2] = bits 27:26, n[1:0] = bits 21:20.
            MopR      "mop.r"      MopR     Zimop    "1.00..0111.. ..... 100 ..... 1110011",
            // mop.rr.n: n[2] = bit 30, n[1:0] = bits 27:26.
            MopRr     "mop.rr"     MopRR    Zimop    "1.00..1 ..... ..... 100 ..... 1110011",
            // ---- Zawrs 1.01 (wait on reservation set) -------------------------------
            WrsNto    "wrs.nto"    None     Zawrs    "000000001101 00000 000 00000 1110011",
            WrsSto    "wrs.sto"    None     Zawrs    "000000011101 00000 000 00000 1110011",
            // ---- Zicbom/Zicboz 1.0 (CMO: MISC-MEM, funct3 = 010, rd = 0) -------------
            CboInval  "cbo.inval"  Cbo      Zicbom   "000000000000 ..... 010 00000 0001111",
            CboClean  "cbo.clean"  Cbo      Zicbom   "000000000001 ..... 010 00000 0001111",
            CboFlush  "cbo.flush"  Cbo      Zicbom   "000000000010 ..... 010 00000 0001111",
            CboZero   "cbo.zero"   Cbo      Zicboz   "000000000100 ..... 010 00000 0001111",
            // ---- Zfhmin / Zfh 1.0 (fmt = 10: half precision) -------------------------
            Flh       "flh"        FLoad    Zfhmin   "............ ..... 001 ..... 0000111",
            Fsh       "fsh"        FStore   Zfhmin   "....... ..... ..... 001 ..... 0100111",
            FmvXH     "fmv.x.h"    FToX     Zfhmin   "1110010 00000 ..... 000 ..... 1010011",
            FmvHX     "fmv.h.x"    XToF     Zfhmin   "1111010 00000 ..... 000 ..... 1010011",
            FcvtSH    "fcvt.s.h"   FUnaryRm Zfhmin   "0100000 00010 ..... ... ..... 1010011",
            FcvtHS    "fcvt.h.s"   FUnaryRm Zfhmin   "0100010 00000 ..... ... ..... 1010011",
            FcvtDH    "fcvt.d.h"   FUnaryRm Zfhmin   "0100001 00010 ..... ... ..... 1010011",
            FcvtHD    "fcvt.h.d"   FUnaryRm Zfhmin   "0100010 00001 ..... ... ..... 1010011",
            FmaddH    "fmadd.h"    FR4      Zfh      "..... 10 ..... ..... ... ..... 1000011",
            FmsubH    "fmsub.h"    FR4      Zfh      "..... 10 ..... ..... ... ..... 1000111",
            FnmsubH   "fnmsub.h"   FR4      Zfh      "..... 10 ..... ..... ... ..... 1001011",
            FnmaddH   "fnmadd.h"   FR4      Zfh      "..... 10 ..... ..... ... ..... 1001111",
            FaddH     "fadd.h"     FRRm     Zfh      "0000010 ..... ..... ... ..... 1010011",
            FsubH     "fsub.h"     FRRm     Zfh      "0000110 ..... ..... ... ..... 1010011",
            FmulH     "fmul.h"     FRRm     Zfh      "0001010 ..... ..... ... ..... 1010011",
            FdivH     "fdiv.h"     FRRm     Zfh      "0001110 ..... ..... ... ..... 1010011",
            FsqrtH    "fsqrt.h"    FUnaryRm Zfh      "0101110 00000 ..... ... ..... 1010011",
            FsgnjH    "fsgnj.h"    FR       Zfh      "0010010 ..... ..... 000 ..... 1010011",
            FsgnjnH   "fsgnjn.h"   FR       Zfh      "0010010 ..... ..... 001 ..... 1010011",
            FsgnjxH   "fsgnjx.h"   FR       Zfh      "0010010 ..... ..... 010 ..... 1010011",
            FminH     "fmin.h"     FR       Zfh      "0010110 ..... ..... 000 ..... 1010011",
            FmaxH     "fmax.h"     FR       Zfh      "0010110 ..... ..... 001 ..... 1010011",
            FeqH      "feq.h"      FCmp     Zfh      "1010010 ..... ..... 010 ..... 1010011",
            FltH      "flt.h"      FCmp     Zfh      "1010010 ..... ..... 001 ..... 1010011",
            FleH      "fle.h"      FCmp     Zfh      "1010010 ..... ..... 000 ..... 1010011",
            FclassH   "fclass.h"   FToX     Zfh      "1110010 00000 ..... 001 ..... 1010011",
            FcvtWH    "fcvt.w.h"   FToXRm   Zfh      "1100010 00000 ..... ... ..... 1010011",
            FcvtWuH   "fcvt.wu.h"  FToXRm   Zfh      "1100010 00001 ..... ... ..... 1010011",
            FcvtLH    "fcvt.l.h"   FToXRm   Zfh      "1100010 00010 ..... ... ..... 1010011",
            FcvtLuH   "fcvt.lu.h"  FToXRm   Zfh      "1100010 00011 ..... ... ..... 1010011",
            FcvtHW    "fcvt.h.w"   XToFRm   Zfh      "1101010 00000 ..... ... ..... 1010011",
            FcvtHWu   "fcvt.h.wu"  XToFRm   Zfh      "1101010 00001 ..... ... ..... 1010011",
            FcvtHL    "fcvt.h.l"   XToFRm   Zfh      "1101010 00010 ..... ... ..... 1010011",
            FcvtHLu   "fcvt.h.lu"  XToFRm   Zfh      "1101010 00011 ..... ... ..... 1010011",
            // ---- Zfa 1.0 (fmvh.x.d and fmvp.d.x are RV32-only: not listed) -----------
            // fli: the rs1 field indexes the constant table (Zfa Table "fli").
            FliS      "fli.s"      FLi      Zfa      "1111000 00001 ..... 000 ..... 1010011",
            FliD      "fli.d"      FLi      Zfa      "1111001 00001 ..... 000 ..... 1010011",
            FliH      "fli.h"      FLi      Zfa      "1111010 00001 ..... 000 ..... 1010011",
            FminmS    "fminm.s"    FR       Zfa      "0010100 ..... ..... 010 ..... 1010011",
            FmaxmS    "fmaxm.s"    FR       Zfa      "0010100 ..... ..... 011 ..... 1010011",
            FminmD    "fminm.d"    FR       Zfa      "0010101 ..... ..... 010 ..... 1010011",
            FmaxmD    "fmaxm.d"    FR       Zfa      "0010101 ..... ..... 011 ..... 1010011",
            FminmH    "fminm.h"    FR       Zfa      "0010110 ..... ..... 010 ..... 1010011",
            FmaxmH    "fmaxm.h"    FR       Zfa      "0010110 ..... ..... 011 ..... 1010011",
            FroundS   "fround.s"   FUnaryRm Zfa      "0100000 00100 ..... ... ..... 1010011",
            FroundnxS "froundnx.s" FUnaryRm Zfa      "0100000 00101 ..... ... ..... 1010011",
            FroundD   "fround.d"   FUnaryRm Zfa      "0100001 00100 ..... ... ..... 1010011",
            FroundnxD "froundnx.d" FUnaryRm Zfa      "0100001 00101 ..... ... ..... 1010011",
            FroundH   "fround.h"   FUnaryRm Zfa      "0100010 00100 ..... ... ..... 1010011",
            FroundnxH "froundnx.h" FUnaryRm Zfa      "0100010 00101 ..... ... ..... 1010011",
            // fcvtmod.w.d: the rm field must be rtz (001).
            FcvtmodWD "fcvtmod.w.d" FToX    Zfa      "1100001 01000 ..... 001 ..... 1010011",
            FleqS     "fleq.s"     FCmp     Zfa      "1010000 ..... ..... 100 ..... 1010011",
            FltqS     "fltq.s"     FCmp     Zfa      "1010000 ..... ..... 101 ..... 1010011",
            FleqD     "fleq.d"     FCmp     Zfa      "1010001 ..... ..... 100 ..... 1010011",
            FltqD     "fltq.d"     FCmp     Zfa      "1010001 ..... ..... 101 ..... 1010011",
            FleqH     "fleq.h"     FCmp     Zfa      "1010010 ..... ..... 100 ..... 1010011",
            FltqH     "fltq.h"     FCmp     Zfa      "1010010 ..... ..... 101 ..... 1010011",
        }
    };
}
pub(crate) use for_each_inst;

/// Turns a table pattern into `(match, mask)`. Runs at compile time only; a
/// malformed pattern is a build error, never a run-time panic.
#[expect(clippy::panic, reason = "const evaluation of the static table: a bad pattern fails the build")]
pub(crate) const fn pattern(s: &str) -> (u32, u32) {
    let mut bytes = s.as_bytes();
    let mut bits = 0u32;
    let mut matches = 0u32;
    let mut mask = 0u32;
    while let [c, rest @ ..] = bytes {
        bytes = rest;
        let (m, k) = match *c {
            b'0' => (0, 1),
            b'1' => (1, 1),
            b'.' => (0, 0),
            b' ' => continue,
            _ => panic!("bad character in instruction pattern"),
        };
        matches = (matches << 1) | m;
        mask = (mask << 1) | k;
        bits += 1;
    }
    if bits != 32 {
        panic!("instruction pattern is not 32 bits long");
    }
    (matches, mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_parses_fixed_and_free_bits() {
        assert_eq!(pattern("0000000 ..... ..... 000 ..... 0110011"), (0x33, 0xfe00_707f));
        assert_eq!(pattern("....................  ..... 0110111"), (0x37, 0x7f));
    }
}
