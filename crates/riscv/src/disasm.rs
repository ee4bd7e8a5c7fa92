//! The disassembler: GNU objdump (binutils 2.40) syntax, pseudo-instructions
//! included exactly as objdump prints them by default (ABI register names,
//! `add sp,sp,-16` for `addi`, `sll` for `slli`, `li`, `mv`, `ret`, `csrr`,
//! rounding-mode and `.aq`/`.rl` suffixes, ...).
//!
//! [`disasm`] renders one instruction. [`crate::listing`] builds the full
//! `objdump -d` listing on top of the same renderer; the renderer therefore
//! also reports what objdump's address tracking needs (which register an
//! `auipc`/`lui` defined, which base register and offset an instruction used),
//! and where the printed branch target is.

mod vector;

use core::fmt::Write as _;

use crate::csr_names::CSR_NAMES;
use crate::inst::{Ext, Inst, Opcode};
use crate::isa::ExtSet;

/// ABI names of the integer registers.
pub const XREG_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2",
    "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/// ABI names of the floating-point registers.
pub const FREG_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

const RM_NAMES: [&str; 8] = ["rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn"];

/// How objdump (binutils 2.41 and later, `%a` of the value) prints the
/// `fli` constants, by index (Zfa spec, table "fli.s/fli.d/fli.h").
const FLI_NAMES: [&str; 32] = [
    "-0x1p+0", "min", "0x1p-16", "0x1p-15", "0x1p-8", "0x1p-7", "0x1p-4", "0x1p-3", "0x1p-2", "0x1.4p-2", "0x1.8p-2",
    "0x1.cp-2", "0x1p-1", "0x1.4p-1", "0x1.8p-1", "0x1.cp-1", "0x1p+0", "0x1.4p+0", "0x1.8p+0", "0x1.cp+0", "0x1p+1",
    "0x1.4p+1", "0x1.8p+1", "0x1p+2", "0x1p+3", "0x1p+4", "0x1p+7", "0x1p+8", "0x1p+15", "0x1p+16", "inf", "nan",
];

const PRED_SUCC: [&str; 16] =
    ["unknown", "w", "r", "rw", "o", "ow", "or", "orw", "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw"];

fn x(r: u8) -> &'static str {
    XREG_NAMES.get(usize::from(r)).copied().unwrap_or("?")
}

fn f(r: u8) -> &'static str {
    FREG_NAMES.get(usize::from(r)).copied().unwrap_or("?")
}

/// Privileged-spec version, which decides the CSR names objdump prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PrivSpec {
    /// Privileged spec 1.9.1.
    V1_9_1,
    /// Privileged spec 1.10.
    V1_10,
    /// Privileged spec 1.11.
    V1_11,
    /// Privileged spec 1.12 (objdump's default when the ELF does not say).
    #[default]
    V1_12,
}

impl PrivSpec {
    /// The version `major.minor.revision` as recorded in ELF attributes.
    pub fn from_numbers(major: u64, minor: u64, revision: u64) -> Option<PrivSpec> {
        match (major, minor, revision) {
            (1, 9, 1) => Some(PrivSpec::V1_9_1),
            (1, 10, 0) => Some(PrivSpec::V1_10),
            (1, 11, 0) => Some(PrivSpec::V1_11),
            (1, 12, 0) => Some(PrivSpec::V1_12),
            _ => None,
        }
    }
}

/// The objdump name of CSR `csr` under `spec`, if it has one.
pub fn csr_name(csr: u16, spec: PrivSpec) -> Option<&'static str> {
    let bit = 1u8 << (spec as u8);
    let start = CSR_NAMES.partition_point(|&(n, _, _)| n < csr);
    CSR_NAMES
        .get(start..)?
        .iter()
        .take_while(|&&(n, _, _)| n == csr)
        .find(|&&(_, _, versions)| versions & bit != 0)
        .map(|&(_, name, _)| name)
}

/// What the renderer tells objdump's address tracking (see `listing.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// `auipc`/`lui` printed `rd`: remember its value.
    SetHi { rd: u8, value: u64 },
    /// An operand was `offset(base)` or `base, offset`: maybe print an address.
    Use { base: u8, offset: i64, wide: bool },
}

/// One rendered instruction.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rendered {
    /// `mnemonic\toperands`, ending with the branch target if there is one.
    pub(crate) text: String,
    /// Byte offset in `text` and value of a printed code address (always the
    /// last operand), which objdump follows with ` <symbol>`.
    pub(crate) target: Option<(usize, u64)>,
    /// Address-tracking effects, in objdump's order.
    pub(crate) effects: Vec<Effect>,
}

impl Rendered {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.target = None;
        self.effects.clear();
    }

    fn use_base(&mut self, base: u8, offset: i64) {
        self.effects.push(Effect::Use { base, offset, wide: false });
    }

    fn put(&mut self, args: core::fmt::Arguments<'_>) {
        let _ = self.text.write_fmt(args);
    }

    fn target(&mut self, addr: u64) {
        let at = self.text.len();
        self.put(format_args!("{addr:x}"));
        self.target = Some((at, addr));
    }
}

/// Disassembles `inst`, located at `pc`, as GNU objdump 2.40 prints it
/// (without the `<symbol>` annotation objdump adds after branch targets).
///
/// All supported extensions are assumed present and CSRs are named after
/// privileged spec 1.12. Compressed instructions print as objdump prints the
/// 16-bit encoding; the few RVC HINTs that expand to the same [`Inst`] (e.g.
/// `c.li zero,0` and `c.nop`) print as the first of them.
///
/// ```
/// let inst = ferrovm_riscv::decode(0x7131);
/// assert_eq!(ferrovm_riscv::disasm(&inst, 0x10420), "add\tsp,sp,-192");
/// ```
pub fn disasm(inst: &Inst, pc: u64) -> String {
    let mut out = Rendered::default();
    render(inst, None, pc, ExtSet::ALL, PrivSpec::default(), &mut out);
    out.text
}

/// Decodes `word` (as [`decode`](crate::decode) does) and disassembles it
/// exactly as objdump prints that encoding. Unlike [`disasm`], this also
/// tells apart the RVC HINTs that expand to the same [`Inst`], and prints
/// unrecognised bits as objdump does (`.4byte\t0x...`).
pub fn disasm_word(word: u32, pc: u64) -> String {
    disasm_word_isa(word, pc, ExtSet::ALL)
}

/// [`disasm_word`] as objdump prints it for an ELF whose ISA attribute names
/// `exts`: instructions of other extensions print as raw bits, and hint
/// extensions in `exts` (`zicbop`, `zihintpause`, `zihintntl`) get their
/// names.
pub fn disasm_word_isa(word: u32, pc: u64, exts: ExtSet) -> String {
    let inst = crate::decode(word);
    let bits = if inst.len == 2 { word & 0xffff } else { word };
    let mut out = Rendered::default();
    render(&inst, Some(bits), pc, exts, PrivSpec::default(), &mut out);
    out.text
}

/// Renders `inst` into `out`. `raw` is the instruction's bits when known (the
/// listing always knows them); it disambiguates RVC HINT encodings and lets
/// objdump's own reading of encodings it treats differently win.
pub(crate) fn render(inst: &Inst, raw: Option<u32>, pc: u64, exts: ExtSet, spec: PrivSpec, out: &mut Rendered) {
    out.clear();
    let raw = raw.or_else(|| match inst.len {
        4 => crate::encode(inst),
        _ => None,
    });
    if !inst.is_legal() {
        let bits = inst.imm as u32;
        if inst.len == 4 {
            // objdump names FP instructions with a reserved rounding mode.
            let lenient = crate::decode::decode32_with(bits, true);
            if lenient.is_legal() && exts.accepts(&lenient, Some(bits)) {
                if !render32(&lenient, pc, exts, spec, out) {
                    out.clear();
                    raw_bits(4, bits, out);
                }
                return;
            }
        } else if exts.has_c() && render_reserved16(bits as u16, out) {
            return;
        }
        raw_bits(inst.len, bits, out);
        return;
    }
    if !exts.accepts(inst, raw) {
        let bits = raw.unwrap_or(inst.imm as u32);
        raw_bits(inst.len, bits, out);
        return;
    }
    let ok = if inst.len == 2 {
        render16(inst, raw.map(|w| w as u16), pc, out)
    } else {
        render32(inst, pc, exts, spec, out)
    };
    if !ok {
        out.clear();
        raw_bits(inst.len, raw.unwrap_or(0), out);
    }
}

/// What objdump prints for bits it does not recognise: `.2byte 0x1f`.
fn raw_bits(len: u8, bits: u32, out: &mut Rendered) {
    out.put(format_args!(".{len}byte\t0x{bits:x}"));
}

/// The reserved RVC encodings objdump nevertheless names.
fn render_reserved16(h: u16, out: &mut Rendered) -> bool {
    match h {
        0x0000 => out.put(format_args!("unimp")),
        // c.addi16sp with a zero immediate.
        _ if h & 0xef83 == 0x6101 => out.put(format_args!("add\tsp,sp,0")),
        _ => return false,
    }
    true
}

fn rm_suffix(out: &mut Rendered, rm: u8) {
    if rm != 7 {
        out.put(format_args!(",{}", RM_NAMES.get(usize::from(rm)).copied().unwrap_or("unknown")));
    }
}

fn aqrl_suffix(rm: u8) -> &'static str {
    match rm & 3 {
        0 => "",
        1 => ".rl",
        2 => ".aq",
        _ => ".aqrl",
    }
}

/// Renders a 16-bit instruction (already expanded into `i`). Returns false if
/// objdump would not name it.
fn render16(i: &Inst, raw: Option<u16>, pc: u64, out: &mut Rendered) -> bool {
    use Opcode::*;
    let funct3 = raw.map(|h| h >> 13);
    match i.op {
        Addi if i.rs1 == 2 && i.rd != 2 => {
            out.put(format_args!("add\t{},sp,{}", x(i.rd), i.imm)); // c.addi4spn
        }
        Addi if i.rs1 == 0 && i.rd != 0 => out.put(format_args!("li\t{},{}", x(i.rd), i.imm)),
        Addi if i.rd == 0 => match (funct3, i.imm) {
            (Some(0b010), imm) => out.put(format_args!("c.li\tzero,{imm}")),
            // Zcmop c.mop.n (`c.lui x(2n+1), 0`).
            (Some(0b011), _) => {
                out.put(format_args!("c.mop.{}", raw.map_or(0, |h| (h >> 7) & 0x1f)));
            }
            (_, 0) => out.put(format_args!("nop")),
            (_, imm) => out.put(format_args!("c.nop\t{imm}")),
        },
        Addi => {
            out.put(format_args!("add\t{0},{0},{1}", x(i.rd), i.imm));
            // c.addi (not c.addi16sp) feeds objdump's address tracking.
            let is_addi16sp = match raw {
                Some(h) => h >> 13 == 0b011,
                None => i.imm % 16 == 0 && !(-32..32).contains(&i.imm),
            };
            if !is_addi16sp {
                out.use_base(i.rd, i.imm);
            }
        }
        Addiw if i.imm == 0 => out.put(format_args!("sext.w\t{0},{0}", x(i.rd))),
        Addiw => {
            out.put(format_args!("addw\t{0},{0},{1}", x(i.rd), i.imm));
            out.effects.push(Effect::Use { base: i.rd, offset: i.imm, wide: true });
        }
        Lui => {
            let name = if i.rd == 0 { "c.lui" } else { "lui" };
            out.put(format_args!("{name}\t{},0x{:x}", x(i.rd), (i.imm >> 12) & 0xfffff));
            out.effects.push(Effect::SetHi { rd: i.rd, value: i.imm as u64 });
        }
        Srli | Srai if i.imm == 0 => {
            let name = if i.op == Srli { "c.srli64" } else { "c.srai64" };
            out.put(format_args!("{name}\t{}", x(i.rd)));
        }
        Srli | Srai => {
            let name = if i.op == Srli { "srl" } else { "sra" };
            out.put(format_args!("{name}\t{0},{0},0x{1:x}", x(i.rd), i.imm));
        }
        Slli => match (i.rd, i.imm) {
            (rd, 0) => out.put(format_args!("c.slli64\t{}", x(rd))),
            (0, imm) => out.put(format_args!("c.slli\tzero,0x{imm:x}")),
            (rd, imm) => out.put(format_args!("sll\t{0},{0},0x{1:x}", x(rd), imm)),
        },
        Andi if i.imm == 255 => out.put(format_args!("zext.b\t{0},{0}", x(i.rd))), // Zcb
        Andi => out.put(format_args!("and\t{0},{0},{1}", x(i.rd), i.imm)),
        Sub | Xor | Or | And | Subw | Addw => {
            out.put(format_args!("{}\t{1},{1},{2}", i.op.name(), x(i.rd), x(i.rs2)));
        }
        Jal => {
            out.put(format_args!("j\t"));
            out.target(pc.wrapping_add(i.imm as u64));
        }
        Beq | Bne => {
            let name = if i.op == Beq { "beqz" } else { "bnez" };
            out.put(format_args!("{name}\t{},", x(i.rs1)));
            out.target(pc.wrapping_add(i.imm as u64));
        }
        Lw | Ld => out.put(format_args!("{}\t{},{}({})", i.op.name(), x(i.rd), i.imm, x(i.rs1))),
        Fld => out.put(format_args!("fld\t{},{}({})", f(i.rd), i.imm, x(i.rs1))),
        Sw | Sd => out.put(format_args!("{}\t{},{}({})", i.op.name(), x(i.rs2), i.imm, x(i.rs1))),
        Fsd => out.put(format_args!("fsd\t{},{}({})", f(i.rs2), i.imm, x(i.rs1))),
        Jalr if i.rd == 0 && i.rs1 == 1 => out.put(format_args!("ret")),
        Jalr if i.rd == 0 => out.put(format_args!("jr\t{}", x(i.rs1))),
        Jalr => out.put(format_args!("jalr\t{}", x(i.rs1))),
        Add => {
            // c.mv is `add rd, x0, rs2`, c.add is `add rd, rd, rs2`; with rd
            // == 0 (HINTs) only bit 12 tells them apart.
            let is_mv = match raw {
                Some(h) => h & 0x1000 == 0,
                None => i.rs1 == 0,
            };
            match (is_mv, i.rd) {
                (true, 0) => out.put(format_args!("c.mv\tzero,{}", x(i.rs2))),
                (true, rd) => out.put(format_args!("mv\t{},{}", x(rd), x(i.rs2))),
                (false, 0) => out.put(format_args!("c.add\tzero,{}", x(i.rs2))),
                (false, rd) => out.put(format_args!("add\t{0},{0},{1}", x(rd), x(i.rs2))),
            }
        }
        Ebreak => out.put(format_args!("ebreak")),
        // Zcb (binutils 2.41 and later print the 32-bit mnemonics).
        Lbu | Lhu | Lh => out.put(format_args!("{}\t{},{}({})", i.op.name(), x(i.rd), i.imm, x(i.rs1))),
        Sb | Sh => out.put(format_args!("{}\t{},{}({})", i.op.name(), x(i.rs2), i.imm, x(i.rs1))),
        SextB | SextH | ZextH => out.put(format_args!("{}\t{1},{1}", i.op.name(), x(i.rd))),
        AddUw => out.put(format_args!("zext.w\t{0},{0}", x(i.rd))),
        Xori => out.put(format_args!("not\t{0},{0}", x(i.rd))),
        Mul => out.put(format_args!("mul\t{0},{0},{1}", x(i.rd), x(i.rs2))),
        _ => return false,
    }
    true
}

/// Renders a 32-bit instruction. Returns false if objdump would not name it.
fn render32(i: &Inst, pc: u64, exts: ExtSet, spec: PrivSpec, out: &mut Rendered) -> bool {
    use Opcode::*;
    if i.op.ext().has_vector_opcodes() {
        return vector::render(i, out);
    }
    let name = i.op.name();
    let (rd, rs1, rs2, imm) = (i.rd, i.rs1, i.rs2, i.imm);
    match i.op {
        Lui | Auipc => {
            out.put(format_args!("{name}\t{},0x{:x}", x(rd), (imm >> 12) & 0xfffff));
            let value = if i.op == Lui { imm as u64 } else { pc.wrapping_add(imm as u64) };
            out.effects.push(Effect::SetHi { rd, value });
        }
        Jal => {
            match rd {
                0 => out.put(format_args!("j\t")),
                1 => out.put(format_args!("jal\t")),
                _ => out.put(format_args!("jal\t{},", x(rd))),
            }
            out.target(pc.wrapping_add(imm as u64));
        }
        Jalr => {
            // Each of objdump's `o` (offset), `j` (immediate of jalr) and `s`
            // (base of jalr) operand letters consults the address tracker.
            let uses = match (rd, rs1, imm) {
                (0, 1, 0) => {
                    out.put(format_args!("ret"));
                    0
                }
                (0, _, 0) => {
                    out.put(format_args!("jr\t{}", x(rs1)));
                    1
                }
                (0, _, _) => {
                    out.put(format_args!("jr\t{imm}({})", x(rs1)));
                    3
                }
                (1, _, 0) => {
                    out.put(format_args!("jalr\t{}", x(rs1)));
                    1
                }
                (1, _, _) => {
                    out.put(format_args!("jalr\t{imm}({})", x(rs1)));
                    3
                }
                (_, _, 0) => {
                    out.put(format_args!("jalr\t{},{}", x(rd), x(rs1)));
                    1
                }
                _ => {
                    out.put(format_args!("jalr\t{},{imm}({})", x(rd), x(rs1)));
                    3
                }
            };
            for _ in 0..uses {
                out.use_base(rs1, imm);
            }
        }
        Beq | Bne | Blt | Bge | Bltu | Bgeu => {
            match (i.op, rs1, rs2) {
                (Beq, _, 0) => out.put(format_args!("beqz\t{},", x(rs1))),
                (Bne, _, 0) => out.put(format_args!("bnez\t{},", x(rs1))),
                (Bge, 0, _) => out.put(format_args!("blez\t{},", x(rs2))),
                (Bge, _, 0) => out.put(format_args!("bgez\t{},", x(rs1))),
                (Blt, _, 0) => out.put(format_args!("bltz\t{},", x(rs1))),
                (Blt, 0, _) => out.put(format_args!("bgtz\t{},", x(rs2))),
                _ => out.put(format_args!("{name}\t{},{},", x(rs1), x(rs2))),
            }
            out.target(pc.wrapping_add(imm as u64));
        }
        Lb | Lh | Lw | Ld | Lbu | Lhu | Lwu => {
            out.put(format_args!("{name}\t{},{imm}({})", x(rd), x(rs1)));
            out.use_base(rs1, imm);
        }
        Flw | Fld => {
            out.put(format_args!("{name}\t{},{imm}({})", f(rd), x(rs1)));
            out.use_base(rs1, imm);
        }
        Sb | Sh | Sw | Sd => {
            out.put(format_args!("{name}\t{},{imm}({})", x(rs2), x(rs1)));
            out.use_base(rs1, imm);
        }
        Fsw | Fsd => {
            out.put(format_args!("{name}\t{},{imm}({})", f(rs2), x(rs1)));
            out.use_base(rs1, imm);
        }
        Addi => match (rd, rs1, imm) {
            (0, 0, 0) => out.put(format_args!("nop")),
            (_, 0, _) => out.put(format_args!("li\t{},{imm}", x(rd))),
            (_, _, 0) => out.put(format_args!("mv\t{},{}", x(rd), x(rs1))),
            _ => {
                out.put(format_args!("add\t{},{},{imm}", x(rd), x(rs1)));
                out.use_base(rs1, imm);
            }
        },
        Slti => out.put(format_args!("slti\t{},{},{imm}", x(rd), x(rs1))),
        Sltiu if imm == 1 => out.put(format_args!("seqz\t{},{}", x(rd), x(rs1))),
        Sltiu => out.put(format_args!("sltiu\t{},{},{imm}", x(rd), x(rs1))),
        // Zicbop: `ori x0` with offset[4:0] = 0, 1, 3 (CMO spec §"prefetch").
        Ori if rd == 0 && exts.has(Ext::Zicbop) && matches!(imm & 0x1f, 0 | 1 | 3) => {
            let which = match imm & 0x1f {
                0 => "i",
                1 => "r",
                _ => "w",
            };
            out.put(format_args!("prefetch.{which}\t{}({})", imm & !0x1f, x(rs1)));
        }
        Xori if imm == -1 => out.put(format_args!("not\t{},{}", x(rd), x(rs1))),
        Andi if imm == 255 => out.put(format_args!("zext.b\t{},{}", x(rd), x(rs1))),
        Xori | Ori | Andi => {
            let alias = match i.op {
                Xori => "xor",
                Ori => "or",
                _ => "and",
            };
            out.put(format_args!("{alias}\t{},{},{imm}", x(rd), x(rs1)));
        }
        Slli | Srli | Srai | Slliw | Srliw | Sraiw => {
            let alias = match i.op {
                Slli => "sll",
                Srli => "srl",
                Srai => "sra",
                Slliw => "sllw",
                Srliw => "srlw",
                _ => "sraw",
            };
            out.put(format_args!("{alias}\t{},{},0x{imm:x}", x(rd), x(rs1)));
        }
        Sub if rs1 == 0 => out.put(format_args!("neg\t{},{}", x(rd), x(rs2))),
        Subw if rs1 == 0 => out.put(format_args!("negw\t{},{}", x(rd), x(rs2))),
        Sltu if rs1 == 0 => out.put(format_args!("snez\t{},{}", x(rd), x(rs2))),
        Slt if rs2 == 0 => out.put(format_args!("sltz\t{},{}", x(rd), x(rs1))),
        Slt if rs1 == 0 => out.put(format_args!("sgtz\t{},{}", x(rd), x(rs2))),
        AddUw if rs2 == 0 => out.put(format_args!("zext.w\t{},{}", x(rd), x(rs1))),
        Addiw if imm == 0 => out.put(format_args!("sext.w\t{},{}", x(rd), x(rs1))),
        Addiw => {
            out.put(format_args!("addw\t{},{},{imm}", x(rd), x(rs1)));
            if rs1 != 0 {
                out.effects.push(Effect::Use { base: rs1, offset: imm, wide: true });
            }
        }
        Fence => {
            let (fm, pred, succ) = ((imm >> 8) & 0xf, (imm >> 4) & 0xf, imm & 0xf);
            match (rd, rs1, fm, pred, succ) {
                (0, 0, 0, 0xf, 0xf) => out.put(format_args!("fence")),
                (0, 0, 0, 1, 0) if exts.has(Ext::Zihintpause) => out.put(format_args!("pause")),
                (0, 0, 0, p, s) => out.put(format_args!(
                    "fence\t{},{}",
                    PRED_SUCC.get(p as usize).copied().unwrap_or("unknown"),
                    PRED_SUCC.get(s as usize).copied().unwrap_or("unknown")
                )),
                (0, 0, 8, 3, 3) => out.put(format_args!("fence.tso")),
                _ => return false,
            }
        }
        FenceI if (rd, rs1, imm) == (0, 0, 0) => out.put(format_args!("fence.i")),
        FenceI => return false,
        Ecall | Ebreak => out.put(format_args!("{name}")),
        Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => render_csr(i, exts, spec, out),
        LrW | LrD => out.put(format_args!("{name}{}\t{},({})", aqrl_suffix(i.rm), x(rd), x(rs1))),
        ScW | ScD | AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW
        | AmoswapD | AmoaddD | AmoxorD | AmoandD | AmoorD | AmominD | AmomaxD | AmominuD | AmomaxuD => {
            out.put(format_args!("{name}{}\t{},{},({})", aqrl_suffix(i.rm), x(rd), x(rs2), x(rs1)))
        }
        FsgnjS | FsgnjnS | FsgnjxS | FsgnjD | FsgnjnD | FsgnjxD | FsgnjH | FsgnjnH | FsgnjxH if rs1 == rs2 => {
            let alias = match i.op {
                FsgnjS => "fmv.s",
                FsgnjnS => "fneg.s",
                FsgnjxS => "fabs.s",
                FsgnjD => "fmv.d",
                FsgnjnD => "fneg.d",
                FsgnjxD => "fabs.d",
                FsgnjH => "fmv.h",
                FsgnjnH => "fneg.h",
                _ => "fabs.h",
            };
            out.put(format_args!("{alias}\t{},{}", f(rd), f(rs1)));
        }
        // These conversions are exact; objdump only knows them with rm = 0.
        FcvtDS | FcvtDW | FcvtDWu | FcvtSH | FcvtDH if i.rm != 0 => return false,
        FcvtDS | FcvtSH | FcvtDH => out.put(format_args!("{name}\t{},{}", f(rd), f(rs1))),
        Flh => {
            out.put(format_args!("{name}\t{},{imm}({})", f(rd), x(rs1)));
            out.use_base(rs1, imm);
        }
        Fsh => {
            out.put(format_args!("{name}\t{},{imm}({})", f(rs2), x(rs1)));
            out.use_base(rs1, imm);
        }
        // Zihintntl: `add x0, x0, x2..x5` (binutils 2.41 names them).
        Add if rd == 0 && rs1 == 0 && (2..=5).contains(&rs2) && exts.has(Ext::Zihintntl) => {
            let which = ["p1", "pall", "s1", "all"].get(usize::from(rs2 - 2)).copied().unwrap_or("?");
            out.put(format_args!("ntl.{which}"));
        }
        // `packw rd, rs1, x0` is Zbb's `zext.h` only where Zbb is known.
        ZextH if !exts.has(Ext::Zbb) => out.put(format_args!("packw\t{},{},zero", x(rd), x(rs1))),
        CboInval | CboClean | CboFlush | CboZero => out.put(format_args!("{name}\t({})", x(rs1))),
        WrsNto | WrsSto => out.put(format_args!("{name}")),
        MopR => out.put(format_args!("mop.r.{imm}\t{},{}", x(rd), x(rs1))),
        MopRr => out.put(format_args!("mop.rr.{imm}\t{},{},{}", x(rd), x(rs1), x(rs2))),
        FliS | FliD | FliH => {
            let value = FLI_NAMES.get(usize::from(rs1)).copied().unwrap_or("?");
            out.put(format_args!("{name}\t{},{value}", f(rd)));
        }
        FcvtmodWD => out.put(format_args!("{name}\t{},{},rtz", x(rd), f(rs1))),
        FcvtDW | FcvtDWu => out.put(format_args!("{name}\t{},{}", f(rd), x(rs1))),
        _ => return render_generic(i, out),
    }
    true
}

/// Instructions whose objdump form is just their operands in format order.
fn render_generic(i: &Inst, out: &mut Rendered) -> bool {
    use crate::inst::Format;
    let name = i.op.name();
    let (rd, rs1, rs2, imm) = (i.rd, i.rs1, i.rs2, i.imm);
    match i.op.format() {
        Format::R => out.put(format_args!("{name}\t{},{},{}", x(rd), x(rs1), x(rs2))),
        Format::RUnary => out.put(format_args!("{name}\t{},{}", x(rd), x(rs1))),
        Format::Shift | Format::ShiftW => {
            // binutils 2.40 prints the bitmanip immediate forms with the
            // register-form mnemonic (`ror a0,a1,0x3` for `rori`).
            let name = match i.op {
                Opcode::Rori => "ror",
                Opcode::Roriw => "rorw",
                Opcode::Bclri => "bclr",
                Opcode::Bexti => "bext",
                Opcode::Binvi => "binv",
                Opcode::Bseti => "bset",
                _ => name,
            };
            out.put(format_args!("{name}\t{},{},0x{imm:x}", x(rd), x(rs1)));
        }
        Format::FR => out.put(format_args!("{name}\t{},{},{}", f(rd), f(rs1), f(rs2))),
        Format::FRRm => {
            out.put(format_args!("{name}\t{},{},{}", f(rd), f(rs1), f(rs2)));
            rm_suffix(out, i.rm);
        }
        Format::FR4 => {
            out.put(format_args!("{name}\t{},{},{},{}", f(rd), f(rs1), f(rs2), f(i.rs3)));
            rm_suffix(out, i.rm);
        }
        Format::FUnaryRm => {
            out.put(format_args!("{name}\t{},{}", f(rd), f(rs1)));
            rm_suffix(out, i.rm);
        }
        Format::FToX => out.put(format_args!("{name}\t{},{}", x(rd), f(rs1))),
        Format::FToXRm => {
            out.put(format_args!("{name}\t{},{}", x(rd), f(rs1)));
            rm_suffix(out, i.rm);
        }
        Format::XToF => out.put(format_args!("{name}\t{},{}", f(rd), x(rs1))),
        Format::XToFRm => {
            out.put(format_args!("{name}\t{},{}", f(rd), x(rs1)));
            rm_suffix(out, i.rm);
        }
        Format::FCmp => out.put(format_args!("{name}\t{},{},{}", x(rd), f(rs1), f(rs2))),
        _ => return false,
    }
    true
}

/// Zicsr instructions and their many aliases (`csrr`, `frflags`, `rdcycle`...).
fn render_csr(i: &Inst, exts: ExtSet, spec: PrivSpec, out: &mut Rendered) {
    use Opcode::*;
    let csr = (i.imm & 0xfff) as u16;
    let (rd, rs1) = (i.rd, i.rs1);
    let fp = exts.has(Ext::F);
    // Aliases that name the CSR in the mnemonic.
    let named = |base: &str| -> Option<String> {
        let short = match (csr, fp) {
            (0x001, true) => "flags",
            (0x002, true) => "rm",
            (0x003, true) => "csr",
            _ => return None,
        };
        Some(format!("{base}{short}"))
    };
    match (i.op, rd, rs1, csr) {
        (Csrrw, 0, 0, 0xc00) => return out.put(format_args!("unimp")),
        (Csrrs, _, 0, 0xc00..=0xc02) => {
            let which = ["rdcycle", "rdtime", "rdinstret"];
            let n = which.get(usize::from(csr - 0xc00)).copied().unwrap_or("?");
            return out.put(format_args!("{n}\t{}", x(rd)));
        }
        (Csrrs, _, 0, _) => {
            if let Some(n) = named("fr") {
                return out.put(format_args!("{n}\t{}", x(rd)));
            }
        }
        (Csrrw, 0, _, _) => {
            if let Some(n) = named("fs") {
                return out.put(format_args!("{n}\t{}", x(rs1)));
            }
        }
        (Csrrw, _, _, _) => {
            if let Some(n) = named("fs") {
                return out.put(format_args!("{n}\t{},{}", x(rd), x(rs1)));
            }
        }
        (Csrrwi, _, _, 0x001 | 0x002) if fp => {
            let n = if csr == 1 { "fsflagsi" } else { "fsrmi" };
            return out.put(format_args!("{n}\t{},{rs1}", x(rd)));
        }
        _ => {}
    }
    let name_of = |out: &mut Rendered| match csr_name(csr, spec) {
        Some(n) => out.put(format_args!("{n}")),
        None => out.put(format_args!("0x{csr:x}")),
    };
    match (i.op, rd, rs1) {
        (Csrrs, _, 0) => {
            out.put(format_args!("csrr\t{},", x(rd)));
            name_of(out);
        }
        (Csrrw | Csrrs | Csrrc, 0, _) => {
            let n = match i.op {
                Csrrw => "csrw",
                Csrrs => "csrs",
                _ => "csrc",
            };
            out.put(format_args!("{n}\t"));
            name_of(out);
            out.put(format_args!(",{}", x(rs1)));
        }
        (Csrrwi | Csrrsi | Csrrci, 0, _) => {
            // binutils 2.40 lists the `csrw csr,uimm` spellings first.
            let n = match i.op {
                Csrrwi => "csrw",
                Csrrsi => "csrs",
                _ => "csrc",
            };
            out.put(format_args!("{n}\t"));
            name_of(out);
            out.put(format_args!(",{rs1}"));
        }
        (Csrrw | Csrrs | Csrrc, _, _) => {
            out.put(format_args!("{}\t{},", i.op.name(), x(rd)));
            name_of(out);
            out.put(format_args!(",{}", x(rs1)));
        }
        _ => {
            let n = match i.op {
                Csrrwi => "csrrw",
                Csrrsi => "csrrs",
                _ => "csrrc",
            };
            out.put(format_args!("{n}\t{},", x(rd)));
            name_of(out);
            out.put(format_args!(",{rs1}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode;

    fn d(word: u32) -> String {
        disasm(&decode(word), 0x10420)
    }

    #[test]
    fn prints_like_objdump() {
        assert_eq!(d(0x7131), "add\tsp,sp,-192");
        assert_eq!(d(0x1d81_8413), "add\ts0,gp,472");
        assert_eq!(d(0x0006_7717), "auipc\ta4,0x67");
        assert_eq!(d(0x0327_8063), "beq\ta5,s2,10440");
        assert_eq!(d(0x1ce4_26af), "sc.w.aq\ta3,a4,(s0)");
        assert_eq!(d(0x0200_0793), "li\ta5,32");
        assert_eq!(d(0xc205_1553), "fcvt.w.d\ta0,fa0,rtz");
        assert_eq!(d(0x8082), "ret");
    }

    #[test]
    fn csr_names_follow_the_spec_version() {
        assert_eq!(csr_name(0x001, PrivSpec::V1_12), Some("fflags"));
        assert_eq!(csr_name(0x000, PrivSpec::V1_11), Some("ustatus"));
        assert_eq!(csr_name(0x000, PrivSpec::V1_12), None);
        assert_eq!(csr_name(0x30a, PrivSpec::V1_12), Some("menvcfg"));
    }
}
