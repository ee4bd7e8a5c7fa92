//! The IR's text form: a printer (`Display for Block`) and a parser, so golden
//! tests can show and read IR.
//!
//! ```text
//! block 0x1000..0x1008 {
//!     mark 0x1000 4
//!     t0 = get x10
//!     t1 = const 0x1
//!     t2 = add t0, t1
//!     set x10, t2
//!     mark 0x1004 4
//!     t3 = load.32s t2+8
//!     store.64 t2-16, t3
//!     jump 0x1008
//! }
//! ```
//!
//! Comments start with `;` and run to the end of the line.

use std::fmt::{self, Display, Formatter};

use crate::block::Block;
use crate::entities::{Reg, Temp};
use crate::op::{
    AmoOp, BinOp, CvtOp, FBinOp, FTernOp, FUnOp, FenceKind, IndirectHint, MemSize, Op, Ordering, Prec, Rm, Terminator,
    UnOp,
};

fn offset(off: i32) -> String {
    if off < 0 { format!("-{}", off.unsigned_abs()) } else { format!("+{off}") }
}

impl Display for Op {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Mark { pc, len } => write!(f, "mark {pc:#x} {len}"),
            Op::Const { dst, value } => write!(f, "{dst} = const {value:#x}"),
            Op::Copy { dst, src } => write!(f, "{dst} = copy {src}"),
            Op::GetReg { dst, reg } => write!(f, "{dst} = get {reg}"),
            Op::SetReg { reg, src } => write!(f, "set {reg}, {src}"),
            Op::Unary { op, dst, src } => write!(f, "{dst} = {op} {src}"),
            Op::Binary { op, dst, a, b } => write!(f, "{dst} = {op} {a}, {b}"),
            Op::Select { dst, cond, a, b } => write!(f, "{dst} = select {cond}, {a}, {b}"),
            Op::Load { dst, addr, offset: off, size, signed } => {
                let s = if signed { "s" } else { "u" };
                write!(f, "{dst} = load.{size}{s} {addr}{}", offset(off))
            }
            Op::Store { addr, offset: off, src, size } => write!(f, "store.{size} {addr}{}, {src}", offset(off)),
            Op::LoadReserved { dst, addr, size, order } => write!(f, "{dst} = lr.{size}.{order} {addr}"),
            Op::StoreConditional { dst, addr, src, size, order } => {
                write!(f, "{dst} = sc.{size}.{order} {addr}, {src}")
            }
            Op::Amo { op, dst, addr, src, size, order } => {
                write!(f, "{dst} = amo.{op}.{size}.{order} {addr}, {src}")
            }
            Op::Fence { kind } => write!(f, "fence {kind}"),
            Op::FUnary { op, prec, rm, dst, src } => write!(f, "{dst} = {op}.{prec}.{rm} {src}"),
            Op::FBinary { op, prec, rm, dst, a, b } => write!(f, "{dst} = {op}.{prec}.{rm} {a}, {b}"),
            Op::FTernary { op, prec, rm, dst, a, b, c } => {
                write!(f, "{dst} = {op}.{prec}.{rm} {a}, {b}, {c}")
            }
            Op::FCvt { op, rm, dst, src } => write!(f, "{dst} = fcvt.{op}.{rm} {src}"),
            Op::CheckFrm => write!(f, "checkfrm"),
            Op::CsrRead { dst, csr } => write!(f, "{dst} = csrr {csr:#x}"),
            Op::CsrWrite { csr, src } => write!(f, "csrw {csr:#x}, {src}"),
            // The packed `VInst` (see `VInst::pack`), then the scalar operands.
            Op::Vector { inst, dst, a, b } => write!(f, "{dst} = vector {:#x}, {a}, {b}", inst.pack()),
        }
    }
}

impl Display for Terminator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            Terminator::Jump { target } => write!(f, "jump {target:#x}"),
            Terminator::Branch { cond, taken, fallthrough } => {
                write!(f, "branch {cond}, {taken:#x}, {fallthrough:#x}")
            }
            Terminator::JumpIndirect { target, hint } => match hint {
                IndirectHint::None => write!(f, "jump_indirect {target}"),
                IndirectHint::Call => write!(f, "jump_indirect {target} call"),
                IndirectHint::Return => write!(f, "jump_indirect {target} return"),
            },
            Terminator::Ecall { pc } => write!(f, "ecall {pc:#x}"),
            Terminator::Ebreak { pc } => write!(f, "ebreak {pc:#x}"),
            Terminator::Illegal { pc, bits } => write!(f, "illegal {pc:#x} {bits:#010x}"),
            Terminator::FenceI { pc, next } => write!(f, "fence_i {pc:#x} {next:#x}"),
        }
    }
}

impl Display for Block {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "block {:#x}..{:#x} {{", self.start, self.end)?;
        for op in &self.ops {
            writeln!(f, "    {op}")?;
        }
        writeln!(f, "    {}", self.term)?;
        writeln!(f, "}}")
    }
}

/// A parse error with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// Line of the problem.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

struct Cursor<'a> {
    line: usize,
    words: Vec<&'a str>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(line: usize, text: &'a str) -> Self {
        let words = text.split([' ', ',', '\t']).filter(|w| !w.is_empty()).collect();
        Cursor { line, words, pos: 0 }
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError { line: self.line, message: message.into() })
    }

    fn word(&mut self) -> Result<&'a str, ParseError> {
        match self.words.get(self.pos) {
            Some(w) => {
                self.pos += 1;
                Ok(w)
            }
            None => self.err("unexpected end of line"),
        }
    }

    fn done(&self) -> Result<(), ParseError> {
        match self.words.get(self.pos) {
            None => Ok(()),
            Some(w) => self.err(format!("unexpected `{w}`")),
        }
    }

    fn temp(&mut self) -> Result<Temp, ParseError> {
        let w = self.word()?;
        parse_temp(w).map_or_else(|| self.err(format!("expected a temporary, found `{w}`")), Ok)
    }

    fn reg(&mut self) -> Result<Reg, ParseError> {
        let w = self.word()?;
        let parsed = match w.split_at_checked(1) {
            Some(("x", n)) => n.parse::<u8>().ok().filter(|n| *n < 32).map(Reg::x),
            Some(("f", n)) => n.parse::<u8>().ok().filter(|n| *n < 32).map(Reg::f),
            _ => None,
        };
        parsed.map_or_else(|| self.err(format!("expected a register, found `{w}`")), Ok)
    }

    fn int(&mut self) -> Result<u64, ParseError> {
        let w = self.word()?;
        parse_int(w).map_or_else(|| self.err(format!("expected a number, found `{w}`")), Ok)
    }

    /// `t3+8` / `t3-16`.
    fn address(&mut self) -> Result<(Temp, i32), ParseError> {
        let w = self.word()?;
        let split = w.find(['+', '-']);
        let parsed = split.and_then(|i| {
            let (t, off) = w.split_at(i);
            let magnitude: i64 = off[1..].parse().ok()?;
            let off = if off.starts_with('-') { -magnitude } else { magnitude };
            Some((parse_temp(t)?, i32::try_from(off).ok()?))
        });
        parsed.map_or_else(|| self.err(format!("expected `tN+offset`, found `{w}`")), Ok)
    }
}

fn parse_temp(w: &str) -> Option<Temp> {
    w.strip_prefix('t')?.parse().ok().map(Temp)
}

fn parse_int(w: &str) -> Option<u64> {
    match w.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => w.parse().ok(),
    }
}

fn named<T>(cur: &Cursor<'_>, what: &str, s: Option<&str>, from: impl Fn(&str) -> Option<T>) -> Result<T, ParseError> {
    match s.and_then(from) {
        Some(v) => Ok(v),
        None => cur.err(format!("bad {what} in `{}`", s.unwrap_or(""))),
    }
}

fn parse_op(cur: &mut Cursor<'_>) -> Result<Op, ParseError> {
    let first = cur.word()?;
    if let Some(dst) = parse_temp(first) {
        if cur.word()? != "=" {
            return cur.err("expected `=`");
        }
        let name = cur.word()?;
        let mut parts = name.split('.');
        let head = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        let op = match (head, rest.as_slice()) {
            ("const", []) => Op::Const { dst, value: cur.int()? },
            ("copy", []) => Op::Copy { dst, src: cur.temp()? },
            ("get", []) => Op::GetReg { dst, reg: cur.reg()? },
            ("select", []) => Op::Select { dst, cond: cur.temp()?, a: cur.temp()?, b: cur.temp()? },
            ("vector", []) => {
                let bits = cur.int()?;
                let Some(inst) = crate::vector::VInst::unpack(bits) else {
                    return cur.err("bad vector instruction");
                };
                Op::Vector { inst, dst, a: cur.temp()?, b: cur.temp()? }
            }
            ("csrr", []) => {
                let csr = cur.int()?;
                Op::CsrRead { dst, csr: u16::try_from(csr).or_else(|_| cur.err("CSR out of range"))? }
            }
            ("load", [ty]) => {
                let (size, signed) = match ty.split_at_checked(ty.len().saturating_sub(1)) {
                    Some((size, "s")) => (size, true),
                    Some((size, "u")) => (size, false),
                    _ => return cur.err(format!("bad load type `{ty}`")),
                };
                let size = named(cur, "size", Some(size), MemSize::from_name)?;
                let (addr, offset) = cur.address()?;
                Op::Load { dst, addr, offset, size, signed }
            }
            ("lr", [size, order]) => Op::LoadReserved {
                dst,
                size: named(cur, "size", Some(size), MemSize::from_name)?,
                order: named(cur, "ordering", Some(order), Ordering::from_name)?,
                addr: cur.temp()?,
            },
            ("sc", [size, order]) => Op::StoreConditional {
                dst,
                size: named(cur, "size", Some(size), MemSize::from_name)?,
                order: named(cur, "ordering", Some(order), Ordering::from_name)?,
                addr: cur.temp()?,
                src: cur.temp()?,
            },
            ("amo", [op, size, order]) => Op::Amo {
                op: named(cur, "AMO", Some(op), AmoOp::from_name)?,
                dst,
                size: named(cur, "size", Some(size), MemSize::from_name)?,
                order: named(cur, "ordering", Some(order), Ordering::from_name)?,
                addr: cur.temp()?,
                src: cur.temp()?,
            },
            ("fcvt", [to, from, rm]) => {
                let name = format!("{to}.{from}");
                Op::FCvt {
                    op: named(cur, "conversion", Some(&name), CvtOp::from_name)?,
                    rm: named(cur, "rounding mode", Some(rm), Rm::from_name)?,
                    dst,
                    src: cur.temp()?,
                }
            }
            (fop, [prec, rm]) => {
                let prec = named(cur, "precision", Some(prec), Prec::from_name)?;
                let rm = named(cur, "rounding mode", Some(rm), Rm::from_name)?;
                if let Some(op) = FUnOp::from_name(fop) {
                    Op::FUnary { op, prec, rm, dst, src: cur.temp()? }
                } else if let Some(op) = FBinOp::from_name(fop) {
                    Op::FBinary { op, prec, rm, dst, a: cur.temp()?, b: cur.temp()? }
                } else if let Some(op) = FTernOp::from_name(fop) {
                    Op::FTernary { op, prec, rm, dst, a: cur.temp()?, b: cur.temp()?, c: cur.temp()? }
                } else {
                    return cur.err(format!("unknown FP op `{fop}`"));
                }
            }
            (name, []) => {
                if let Some(op) = UnOp::from_name(name) {
                    Op::Unary { op, dst, src: cur.temp()? }
                } else if let Some(op) = BinOp::from_name(name) {
                    Op::Binary { op, dst, a: cur.temp()?, b: cur.temp()? }
                } else {
                    return cur.err(format!("unknown op `{name}`"));
                }
            }
            _ => return cur.err(format!("unknown op `{name}`")),
        };
        return Ok(op);
    }
    let op = match first {
        "mark" => {
            let pc = cur.int()?;
            let len = cur.int()?;
            Op::Mark { pc, len: u8::try_from(len).or_else(|_| cur.err("bad length"))? }
        }
        "set" => Op::SetReg { reg: cur.reg()?, src: cur.temp()? },
        "fence" => {
            let kind = cur.word()?;
            Op::Fence { kind: named(cur, "fence kind", Some(kind), FenceKind::from_name)? }
        }
        "checkfrm" => Op::CheckFrm,
        "csrw" => {
            let csr = cur.int()?;
            Op::CsrWrite { csr: u16::try_from(csr).or_else(|_| cur.err("CSR out of range"))?, src: cur.temp()? }
        }
        store if store.starts_with("store.") => {
            let size = named(cur, "size", store.strip_prefix("store."), MemSize::from_name)?;
            let (addr, offset) = cur.address()?;
            Op::Store { addr, offset, src: cur.temp()?, size }
        }
        other => return cur.err(format!("unknown op `{other}`")),
    };
    Ok(op)
}

fn parse_term(cur: &mut Cursor<'_>) -> Result<Option<Terminator>, ParseError> {
    let term = match cur.words.first().copied() {
        Some("jump") => {
            cur.pos = 1;
            Terminator::Jump { target: cur.int()? }
        }
        Some("branch") => {
            cur.pos = 1;
            Terminator::Branch { cond: cur.temp()?, taken: cur.int()?, fallthrough: cur.int()? }
        }
        Some("jump_indirect") => {
            cur.pos = 1;
            let target = cur.temp()?;
            let hint = match cur.words.get(2).copied() {
                None => IndirectHint::None,
                Some("call") => IndirectHint::Call,
                Some("return") => IndirectHint::Return,
                Some(other) => return cur.err(format!("bad hint `{other}`")),
            };
            cur.pos = cur.words.len();
            Terminator::JumpIndirect { target, hint }
        }
        Some("ecall") => {
            cur.pos = 1;
            Terminator::Ecall { pc: cur.int()? }
        }
        Some("ebreak") => {
            cur.pos = 1;
            Terminator::Ebreak { pc: cur.int()? }
        }
        Some("illegal") => {
            cur.pos = 1;
            let pc = cur.int()?;
            let bits = u32::try_from(cur.int()?).or_else(|_| cur.err("bits out of range"))?;
            Terminator::Illegal { pc, bits }
        }
        Some("fence_i") => {
            cur.pos = 1;
            Terminator::FenceI { pc: cur.int()?, next: cur.int()? }
        }
        _ => return Ok(None),
    };
    cur.done()?;
    Ok(Some(term))
}

/// Parses every block in `text` (the printer's format; `;` comments allowed).
pub fn parse_blocks(text: &str) -> Result<Vec<Block>, ParseError> {
    let mut blocks = Vec::new();
    let mut current: Option<(u64, u64, Vec<Op>)> = None;
    let mut term: Option<Terminator> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut cur = Cursor::new(i + 1, line);
        if line == "}" {
            let Some((start, end, ops)) = current.take() else {
                return cur.err("`}` outside a block");
            };
            let Some(t) = term.take() else {
                return cur.err("block has no terminator");
            };
            let mut max = 0u32;
            let mut see = |t: Temp| max = max.max(t.0 + 1);
            for op in &ops {
                op.for_each_use(&mut see);
                if let Some(d) = op.dst() {
                    see(d);
                }
            }
            t.for_each_use(&mut see);
            blocks.push(Block { start, end, ops, term: t, num_temps: max });
            continue;
        }
        if let Some(rest) = line.strip_prefix("block ") {
            if current.is_some() {
                return cur.err("nested block");
            }
            let range = rest.trim_end_matches('{').trim();
            let Some((a, b)) = range.split_once("..") else {
                return cur.err("expected `block START..END {`");
            };
            let (Some(start), Some(end)) = (parse_int(a.trim()), parse_int(b.trim())) else {
                return cur.err("bad block range");
            };
            current = Some((start, end, Vec::new()));
            continue;
        }
        let Some((_, _, ops)) = current.as_mut() else {
            return cur.err("op outside a block");
        };
        if term.is_some() {
            return cur.err("op after the terminator");
        }
        if let Some(t) = parse_term(&mut cur)? {
            term = Some(t);
            continue;
        }
        let op = parse_op(&mut cur)?;
        cur.done()?;
        ops.push(op);
    }
    if current.is_some() {
        return Err(ParseError { line: text.lines().count(), message: "unterminated block".into() });
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
block 0x1000..0x1010 {
    mark 0x1000 4
    t0 = get x10
    t1 = const 0x1
    t2 = add t0, t1
    set x10, t2
    mark 0x1004 4
    t3 = load.32s t2+8
    store.64 t2-16, t3
    t4 = lr.64.acq t2
    t5 = sc.32.acqrel t2, t3
    t6 = amo.maxu.64.relaxed t2, t3
    fence tso
    t7 = nanunbox t3
    t8 = fmadd.s.dyn t7, t7, t7
    t9 = fcvt.w.d.rtz t8
    t10 = fclass.d.rne t9
    t11 = select t10, t9, t8
    checkfrm
    t12 = csrr 0x3
    csrw 0x2, t12
    t13 = copy t12
    t14 = feq.d.rne t13, t13
    branch t14, 0x2000, 0x1010
}
";

    #[test]
    fn print_parse_round_trip() {
        let blocks = parse_blocks(SAMPLE).expect("sample parses");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].to_string(), SAMPLE);
        assert_eq!(blocks[0].num_temps, 15);
    }

    #[test]
    fn terminators_round_trip() {
        for term in [
            "jump_indirect t0 return",
            "jump_indirect t0 call",
            "jump_indirect t0",
            "ecall 0x10",
            "ebreak 0x10",
            "illegal 0x10 0x00000000",
            "fence_i 0x10 0x14",
        ] {
            let text = format!("block 0x10..0x14 {{\n    t0 = const 0x0\n    {term}\n}}\n");
            let blocks = parse_blocks(&text).expect("parses");
            assert_eq!(blocks[0].to_string(), text);
        }
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_blocks("block 0x0..0x4 {\n    t0 = frobnicate t1\n    jump 0x4\n}\n").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
