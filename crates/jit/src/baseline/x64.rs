//! The baseline compiler's x86-64 emitter: the few dozen instruction forms
//! its templates use, written straight into a byte buffer.
//!
//! The baseline compiler used `iced-x86`'s code assembler, which builds an
//! `Instruction` per call and encodes it through a table-driven encoder:
//! about 100 ns per instruction, most of a baseline compile (python3's
//! start-up compiles 8,000 blocks of about 115 instructions each). Here each
//! call appends its bytes at once (prefixes, REX, opcode, ModRM, SIB,
//! displacement, immediate) and branches to labels are rel32, patched in
//! [`X64::finish`]. The API mirrors the code assembler's (`a.mov(rax,
//! qword_ptr(rbx + 8))`), so templates read the same. `iced-x86` stays the
//! oracle: the tests encode every form with both, over every register and
//! the addressing corner cases (`rsp`/`r12` bases need a SIB byte,
//! `rbp`/`r13` bases a displacement), and compare the decoded instructions.
//!
//! A form the emitter does not have returns [`Unsupported`]: the block
//! then goes to Cranelift, as any block the baseline compiler refuses.

use std::ops::{Add, Mul, Sub};

use super::Unsupported;

type R<T = ()> = Result<T, Unsupported>;

/// A general-purpose register of a width: its number (0..16).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gpr<const BITS: u32>(pub(crate) u8);

pub(crate) type AsmRegister64 = Gpr<64>;
pub(crate) type AsmRegister8 = Gpr<8>;

macro_rules! regs {
    ($bits:literal: $($name:ident = $n:literal),* $(,)?) => {
        $(#[allow(non_upper_case_globals, dead_code)] pub(crate) const $name: Gpr<$bits> = Gpr($n);)*
    };
}
regs!(64: rax = 0, rcx = 1, rdx = 2, rbx = 3, rsp = 4, rbp = 5, rsi = 6, rdi = 7,
    r8 = 8, r9 = 9, r10 = 10, r11 = 11, r12 = 12, r13 = 13, r14 = 14, r15 = 15);
regs!(32: eax = 0, ecx = 1, edx = 2, ebx = 3, esi = 6, edi = 7, r8d = 8, r13d = 13, r14d = 14);
regs!(16: ax = 0, cx = 1);
regs!(8: al = 0, cl = 1);

/// `base + index * scale + disp`, the address part of a memory operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Addr {
    base: u8,
    index: Option<(u8, u8)>,
    disp: i32,
}

/// `index * scale`, on its way into an [`Addr`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scaled(u8, u8);

impl From<AsmRegister64> for Addr {
    fn from(r: AsmRegister64) -> Addr {
        Addr { base: r.0, index: None, disp: 0 }
    }
}

impl Add<i32> for AsmRegister64 {
    type Output = Addr;
    fn add(self, d: i32) -> Addr {
        Addr { base: self.0, index: None, disp: d }
    }
}

impl Sub<i32> for AsmRegister64 {
    type Output = Addr;
    fn sub(self, d: i32) -> Addr {
        Addr { base: self.0, index: None, disp: d.wrapping_neg() }
    }
}

impl Add<AsmRegister64> for AsmRegister64 {
    type Output = Addr;
    fn add(self, i: AsmRegister64) -> Addr {
        Addr { base: self.0, index: Some((i.0, 1)), disp: 0 }
    }
}

impl Mul<i32> for AsmRegister64 {
    type Output = Scaled;
    fn mul(self, s: i32) -> Scaled {
        Scaled(self.0, s as u8)
    }
}

impl Add<Scaled> for AsmRegister64 {
    type Output = Addr;
    fn add(self, s: Scaled) -> Addr {
        Addr { base: self.0, index: Some((s.0, s.1)), disp: 0 }
    }
}

impl Add<i32> for Addr {
    type Output = Addr;
    fn add(self, d: i32) -> Addr {
        Addr { disp: self.disp.wrapping_add(d), ..self }
    }
}

/// A memory operand: an address and the width accessed (0 for `lea`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mem {
    addr: Addr,
    bits: u32,
}

pub(crate) fn qword_ptr(a: impl Into<Addr>) -> Mem {
    Mem { addr: a.into(), bits: 64 }
}
pub(crate) fn dword_ptr(a: impl Into<Addr>) -> Mem {
    Mem { addr: a.into(), bits: 32 }
}
pub(crate) fn word_ptr(a: impl Into<Addr>) -> Mem {
    Mem { addr: a.into(), bits: 16 }
}
pub(crate) fn byte_ptr(a: impl Into<Addr>) -> Mem {
    Mem { addr: a.into(), bits: 8 }
}
/// An address for `lea`.
pub(crate) fn ptr(a: impl Into<Addr>) -> Mem {
    Mem { addr: a.into(), bits: 0 }
}

/// One operand of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operand {
    /// A register: its width and number.
    Reg(u32, u8),
    Mem(Mem),
    /// An immediate that sign-extends from 32 bits (`i32`, or a `u32` for
    /// a 32-bit operation).
    Imm32(i32),
    /// A 64-bit immediate (`mov r64, imm64`).
    Imm64(u64),
}

impl<const BITS: u32> From<Gpr<BITS>> for Operand {
    fn from(r: Gpr<BITS>) -> Operand {
        Operand::Reg(BITS, r.0)
    }
}
impl From<Mem> for Operand {
    fn from(m: Mem) -> Operand {
        Operand::Mem(m)
    }
}
impl From<i32> for Operand {
    fn from(v: i32) -> Operand {
        Operand::Imm32(v)
    }
}
impl From<u32> for Operand {
    fn from(v: u32) -> Operand {
        Operand::Imm32(v as i32)
    }
}
impl From<u64> for Operand {
    fn from(v: u64) -> Operand {
        Operand::Imm64(v)
    }
}

/// A branch target inside the code being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CodeLabel(u32);

/// Condition codes (the low nibble of `jcc`, `setcc`, `cmovcc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cc {
    B = 2,
    Ae = 3,
    E = 4,
    Ne = 5,
    Be = 6,
    A = 7,
    L = 0xc,
    Ge = 0xd,
    Le = 0xe,
    G = 0xf,
}

impl Cc {
    /// The condition that holds exactly when `self` does not.
    pub(crate) fn inverse(self) -> Cc {
        match self {
            Cc::B => Cc::Ae,
            Cc::Ae => Cc::B,
            Cc::E => Cc::Ne,
            Cc::Ne => Cc::E,
            Cc::Be => Cc::A,
            Cc::A => Cc::Be,
            Cc::L => Cc::Ge,
            Cc::Ge => Cc::L,
            Cc::Le => Cc::G,
            Cc::G => Cc::Le,
        }
    }
}

/// The ALU group's `/digit`s (and opcode rows: `op * 8 + 1` is `r/m, r`).
#[derive(Clone, Copy)]
enum Alu {
    Add = 0,
    Or = 1,
    And = 4,
    Sub = 5,
    Xor = 6,
    Cmp = 7,
}

/// Shift and rotate `/digit`s.
#[derive(Clone, Copy)]
enum Shift {
    Rol = 0,
    Ror = 1,
    Shl = 4,
    Shr = 5,
    Sar = 7,
}

/// Machine code being built, its labels and the branches waiting for them.
#[derive(Debug, Default)]
pub(crate) struct X64 {
    buf: Vec<u8>,
    /// Each label's offset, once placed.
    labels: Vec<Option<u32>>,
    /// (end of a rel32 field, its label).
    fixups: Vec<(u32, CodeLabel)>,
    /// Labels placed so far (part of [`X64::position`]).
    placed: usize,
    /// Jumps to absolute addresses (the store's shared stubs): (end of a
    /// rel32 field, target), resolved where the code is installed.
    far: Vec<(u32, u64)>,
}

/// Where emission stands: the same [`X64::position`] twice means nothing
/// was emitted and no label placed in between (so registers hold what they
/// held, and no branch can arrive there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    len: usize,
    placed: usize,
}

fn unsupported(what: &str, a: Operand, b: Option<Operand>) -> Unsupported {
    Unsupported(format!("x64 emitter: no form {what} {a:?}{}", b.map(|b| format!(", {b:?}")).unwrap_or_default()))
}

fn fits_i8(v: i32) -> bool {
    i8::try_from(v).is_ok()
}

impl X64 {
    pub(crate) fn new() -> X64 {
        X64 {
            buf: Vec::with_capacity(1024),
            labels: Vec::with_capacity(16),
            fixups: Vec::with_capacity(16),
            placed: 0,
            far: Vec::with_capacity(8),
        }
    }

    /// Bytes emitted so far (the offset of the next instruction).
    pub(crate) fn offset(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn position(&self) -> Position {
        Position { len: self.buf.len(), placed: self.placed }
    }

    /// Drops what was emitted since `from`, if nothing but plain
    /// instructions was (no branch, no label): whether it did.
    pub(crate) fn undo(&mut self, from: Position) -> bool {
        let clean = from.placed == self.placed
            && from.len <= self.buf.len()
            && self.fixups.last().is_none_or(|&(end, _)| end as usize <= from.len)
            && self.far.last().is_none_or(|&(end, _)| end as usize <= from.len);
        if clean {
            self.buf.truncate(from.len);
        }
        clean
    }

    /// Empties the buffer and forgets every label (capacity kept).
    pub(crate) fn reset(&mut self) {
        self.buf.clear();
        self.labels.clear();
        self.fixups.clear();
        self.far.clear();
        self.placed = 0;
    }

    pub(crate) fn create_label(&mut self) -> CodeLabel {
        self.labels.push(None);
        CodeLabel(self.labels.len() as u32 - 1)
    }

    /// Places `l` at the current offset.
    pub(crate) fn set_label(&mut self, l: &mut CodeLabel) -> R {
        match self.labels.get_mut(l.0 as usize) {
            Some(slot @ None) => {
                *slot = Some(self.buf.len() as u32);
                self.placed += 1;
                Ok(())
            }
            _ => Err(Unsupported(format!("x64 emitter: label {} placed twice or unknown", l.0))),
        }
    }

    /// The jumps to absolute addresses emitted so far (see
    /// [`X64::jmp_far`]), taken out: the caller resolves them where the
    /// code lands. Before [`X64::finish`], which refuses code with any left.
    pub(crate) fn take_far(&mut self) -> Vec<(u32, u64)> {
        std::mem::take(&mut self.far)
    }

    /// The code, every branch patched; the emitter is empty afterwards.
    pub(crate) fn finish(&mut self) -> R<Vec<u8>> {
        if !self.far.is_empty() {
            return Err(Unsupported("x64 emitter: jumps to absolute addresses not taken".into()));
        }
        for &(end, l) in &self.fixups {
            let Some(Some(target)) = self.labels.get(l.0 as usize) else {
                return Err(Unsupported(format!("x64 emitter: branch to an unplaced label {}", l.0)));
            };
            let disp = (i64::from(*target) - i64::from(end)) as i32;
            let end = end as usize;
            self.buf[end - 4..end].copy_from_slice(&disp.to_le_bytes());
        }
        let code = self.buf.clone();
        self.reset();
        Ok(code)
    }

    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    fn imm32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A REX prefix if any bit is set or `force` (byte registers 4..8).
    fn rex(&mut self, w: bool, r: u8, x: u8, b: u8, force: bool) {
        let rex = 0x40 | u8::from(w) << 3 | (r >> 3 & 1) << 2 | (x >> 3 & 1) << 1 | (b >> 3 & 1);
        if rex != 0x40 || force {
            self.byte(rex);
        }
    }

    /// Prefixes and opcode of an instruction with a register-or-memory
    /// operand `rm` and ModRM.reg `reg` (a register number or a `/digit`),
    /// then its ModRM (SIB, displacement). `bits` is the operand size.
    fn op_rm(&mut self, bits: u32, opcode: &[u8], reg: u8, rm: Operand, byte_regs: bool) -> R {
        if bits == 16 {
            self.byte(0x66);
        }
        let w = bits == 64;
        match rm {
            Operand::Reg(_, r) => {
                // spl, bpl, sil, dil need a REX prefix to be byte registers.
                let force = byte_regs && ((4..8).contains(&r) || (4..8).contains(&reg));
                self.rex(w, reg, 0, r, force);
                self.buf.extend_from_slice(opcode);
                self.byte(0xc0 | (reg & 7) << 3 | (r & 7));
            }
            Operand::Mem(m) => {
                let a = m.addr;
                let (index, scale) = a.index.unwrap_or((4, 1));
                if a.index.is_some() && index == 4 {
                    return Err(unsupported("(rsp as an index)", rm, None));
                }
                let force = byte_regs && (4..8).contains(&reg);
                self.rex(w, reg, if a.index.is_some() { index } else { 0 }, a.base, force);
                self.buf.extend_from_slice(opcode);
                let base = a.base & 7;
                // rbp and r13 as a base need a displacement (mod 00 would
                // mean RIP-relative or no base).
                let md: u8 = if a.disp == 0 && base != 5 {
                    0
                } else if fits_i8(a.disp) {
                    1
                } else {
                    2
                };
                if a.index.is_none() && base != 4 {
                    self.byte(md << 6 | (reg & 7) << 3 | base);
                } else {
                    let ss = match scale {
                        1 => 0,
                        2 => 1,
                        4 => 2,
                        8 => 3,
                        _ => return Err(unsupported("(scale)", rm, None)),
                    };
                    self.byte(md << 6 | (reg & 7) << 3 | 4);
                    self.byte(ss << 6 | (index & 7) << 3 | base);
                }
                match md {
                    1 => self.byte(a.disp as i8 as u8),
                    2 => self.imm32(a.disp),
                    _ => {}
                }
            }
            _ => return Err(unsupported("(r/m)", rm, None)),
        }
        Ok(())
    }

    pub(crate) fn mov(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        use Operand::*;
        let (a, b) = (a.into(), b.into());
        match (a, b) {
            (Reg(8, d), Reg(8, s)) => self.op_rm(8, &[0x88], s, Reg(8, d), true),
            (Reg(n, d), Reg(m, s)) if n == m => self.op_rm(n, &[0x89], s, Reg(n, d), false),
            (Reg(8, d), Mem(m)) if m.bits == 8 => self.op_rm(8, &[0x8a], d, Mem(m), true),
            (Reg(n, d), Mem(m)) if m.bits == n => self.op_rm(n, &[0x8b], d, Mem(m), false),
            (Mem(m), Reg(8, s)) if m.bits == 8 => self.op_rm(8, &[0x88], s, Mem(m), true),
            (Mem(m), Reg(n, s)) if m.bits == n => self.op_rm(n, &[0x89], s, Mem(m), false),
            (Reg(32, d), Imm32(v)) => {
                self.rex(false, 0, 0, d, false);
                self.byte(0xb8 + (d & 7));
                self.imm32(v);
                Ok(())
            }
            (Reg(64, d), Imm32(v)) => {
                self.op_rm(64, &[0xc7], 0, Reg(64, d), false)?;
                self.imm32(v);
                Ok(())
            }
            (Reg(64, d), Imm64(v)) => {
                self.rex(true, 0, 0, d, false);
                self.byte(0xb8 + (d & 7));
                self.buf.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
            (Mem(m), Imm32(v)) if m.bits == 32 || m.bits == 64 => {
                self.op_rm(m.bits, &[0xc7], 0, Mem(m), false)?;
                self.imm32(v);
                Ok(())
            }
            _ => Err(unsupported("mov", a, Some(b))),
        }
    }

    fn alu(&mut self, op: Alu, a: Operand, b: Operand) -> R {
        use Operand::*;
        let row = (op as u8) * 8;
        match (a, b) {
            (Reg(n, _) | Mem(self::Mem { bits: n, .. }), Reg(m, s)) if n == m && n != 8 => {
                self.op_rm(n, &[row + 1], s, a, false)
            }
            (Reg(n, _), Mem(m)) if m.bits == n && n != 8 => {
                let Reg(_, d) = a else { unreachable!() };
                self.op_rm(n, &[row + 3], d, b, false)
            }
            (Reg(8, _) | Mem(self::Mem { bits: 8, .. }), Imm32(v)) => {
                self.op_rm(8, &[0x80], op as u8, a, true)?;
                self.byte(v as u8);
                Ok(())
            }
            (Reg(n, _) | Mem(self::Mem { bits: n, .. }), Imm32(v)) if n == 32 || n == 64 => {
                if fits_i8(v) {
                    self.op_rm(n, &[0x83], op as u8, a, false)?;
                    self.byte(v as u8);
                } else {
                    self.op_rm(n, &[0x81], op as u8, a, false)?;
                    self.imm32(v);
                }
                Ok(())
            }
            _ => Err(unsupported("alu", a, Some(b))),
        }
    }

    pub(crate) fn add(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.alu(Alu::Add, a.into(), b.into())
    }
    pub(crate) fn or(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.alu(Alu::Or, a.into(), b.into())
    }
    pub(crate) fn and(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.alu(Alu::And, a.into(), b.into())
    }
    pub(crate) fn sub(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.alu(Alu::Sub, a.into(), b.into())
    }
    pub(crate) fn xor(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.alu(Alu::Xor, a.into(), b.into())
    }
    pub(crate) fn cmp(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.alu(Alu::Cmp, a.into(), b.into())
    }

    pub(crate) fn test(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        use Operand::*;
        let (a, b) = (a.into(), b.into());
        match (a, b) {
            (Reg(8, _), Reg(8, s)) => self.op_rm(8, &[0x84], s, a, true),
            (Reg(n, _), Reg(m, s)) if n == m => self.op_rm(n, &[0x85], s, a, false),
            (Reg(8, _) | Mem(self::Mem { bits: 8, .. }), Imm32(v)) => {
                self.op_rm(8, &[0xf6], 0, a, true)?;
                self.byte(v as u8);
                Ok(())
            }
            _ => Err(unsupported("test", a, Some(b))),
        }
    }

    /// `movzx` (and `movsx`: `sign`) of a byte or word into a 32- or
    /// 64-bit register.
    fn extend(&mut self, sign: bool, a: Operand, b: Operand) -> R {
        use Operand::*;
        let Reg(n @ (32 | 64), d) = a else { return Err(unsupported("movzx/movsx", a, Some(b))) };
        let from = match b {
            Reg(m, _) => m,
            Mem(m) => m.bits,
            _ => 0,
        };
        let op = match (sign, from) {
            (false, 8) => 0xb6,
            (false, 16) => 0xb7,
            (true, 8) => 0xbe,
            (true, 16) => 0xbf,
            _ => return Err(unsupported("movzx/movsx", a, Some(b))),
        };
        self.op_rm(n, &[0x0f, op], d, b, from == 8)
    }

    pub(crate) fn movzx(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.extend(false, a.into(), b.into())
    }
    pub(crate) fn movsx(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.extend(true, a.into(), b.into())
    }

    pub(crate) fn movsxd(&mut self, a: AsmRegister64, b: impl Into<Operand>) -> R {
        let b = b.into();
        match b {
            Operand::Reg(32, _) | Operand::Mem(Mem { bits: 32, .. }) => self.op_rm(64, &[0x63], a.0, b, false),
            _ => Err(unsupported("movsxd", a.into(), Some(b))),
        }
    }

    pub(crate) fn lea(&mut self, a: AsmRegister64, m: Mem) -> R {
        self.op_rm(64, &[0x8d], a.0, Operand::Mem(m), false)
    }

    fn shift(&mut self, op: Shift, a: Operand, b: Operand) -> R {
        use Operand::*;
        let n = match a {
            Reg(n @ (32 | 64), _) => n,
            _ => return Err(unsupported("shift", a, Some(b))),
        };
        match b {
            Reg(8, 1) => self.op_rm(n, &[0xd3], op as u8, a, false),
            Imm32(1) => self.op_rm(n, &[0xd1], op as u8, a, false),
            Imm32(v) => {
                self.op_rm(n, &[0xc1], op as u8, a, false)?;
                self.byte(v as u8);
                Ok(())
            }
            _ => Err(unsupported("shift", a, Some(b))),
        }
    }

    pub(crate) fn shl(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.shift(Shift::Shl, a.into(), b.into())
    }
    pub(crate) fn shr(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.shift(Shift::Shr, a.into(), b.into())
    }
    pub(crate) fn sar(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.shift(Shift::Sar, a.into(), b.into())
    }
    pub(crate) fn rol(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.shift(Shift::Rol, a.into(), b.into())
    }
    pub(crate) fn ror(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        self.shift(Shift::Ror, a.into(), b.into())
    }

    /// The `F7 /digit` group on a 32- or 64-bit register.
    fn group3(&mut self, digit: u8, a: Operand) -> R {
        match a {
            Operand::Reg(n @ (32 | 64), _) => self.op_rm(n, &[0xf7], digit, a, false),
            _ => Err(unsupported("not/neg/mul/imul", a, None)),
        }
    }

    pub(crate) fn not(&mut self, a: impl Into<Operand>) -> R {
        self.group3(2, a.into())
    }
    pub(crate) fn neg(&mut self, a: impl Into<Operand>) -> R {
        self.group3(3, a.into())
    }
    /// `rdx:rax = rax * a`, unsigned.
    pub(crate) fn mul(&mut self, a: impl Into<Operand>) -> R {
        self.group3(4, a.into())
    }
    /// `rdx:rax = rax * a`, signed.
    pub(crate) fn imul(&mut self, a: impl Into<Operand>) -> R {
        self.group3(5, a.into())
    }

    /// `a = a * b` (truncated).
    pub(crate) fn imul_2(&mut self, a: impl Into<Operand>, b: impl Into<Operand>) -> R {
        let (a, b) = (a.into(), b.into());
        match (a, b) {
            (Operand::Reg(n @ (32 | 64), d), Operand::Reg(m, _)) if n == m => self.op_rm(n, &[0x0f, 0xaf], d, b, false),
            _ => Err(unsupported("imul", a, Some(b))),
        }
    }

    /// `a = b * k` (truncated; the 8-bit immediate form when `k` fits).
    pub(crate) fn imul_3(&mut self, a: AsmRegister64, b: AsmRegister64, k: i32) -> R {
        if fits_i8(k) {
            self.op_rm(64, &[0x6b], a.0, Operand::Reg(64, b.0), false)?;
            self.byte(k as u8);
        } else {
            self.op_rm(64, &[0x69], a.0, Operand::Reg(64, b.0), false)?;
            self.imm32(k);
        }
        Ok(())
    }

    pub(crate) fn setcc(&mut self, cc: Cc, a: AsmRegister8) -> R {
        self.op_rm(8, &[0x0f, 0x90 + cc as u8], 0, a.into(), true)
    }
    pub(crate) fn sete(&mut self, a: AsmRegister8) -> R {
        self.setcc(Cc::E, a)
    }
    pub(crate) fn setne(&mut self, a: AsmRegister8) -> R {
        self.setcc(Cc::Ne, a)
    }
    pub(crate) fn setl(&mut self, a: AsmRegister8) -> R {
        self.setcc(Cc::L, a)
    }
    pub(crate) fn setb(&mut self, a: AsmRegister8) -> R {
        self.setcc(Cc::B, a)
    }
    pub(crate) fn setge(&mut self, a: AsmRegister8) -> R {
        self.setcc(Cc::Ge, a)
    }
    pub(crate) fn setae(&mut self, a: AsmRegister8) -> R {
        self.setcc(Cc::Ae, a)
    }

    fn cmovcc(&mut self, cc: Cc, a: AsmRegister64, b: AsmRegister64) -> R {
        self.op_rm(64, &[0x0f, 0x40 + cc as u8], a.0, b.into(), false)
    }
    pub(crate) fn cmove(&mut self, a: AsmRegister64, b: AsmRegister64) -> R {
        self.cmovcc(Cc::E, a, b)
    }
    pub(crate) fn cmovne(&mut self, a: AsmRegister64, b: AsmRegister64) -> R {
        self.cmovcc(Cc::Ne, a, b)
    }
    pub(crate) fn cmovl(&mut self, a: AsmRegister64, b: AsmRegister64) -> R {
        self.cmovcc(Cc::L, a, b)
    }
    pub(crate) fn cmovg(&mut self, a: AsmRegister64, b: AsmRegister64) -> R {
        self.cmovcc(Cc::G, a, b)
    }
    pub(crate) fn cmovb(&mut self, a: AsmRegister64, b: AsmRegister64) -> R {
        self.cmovcc(Cc::B, a, b)
    }
    pub(crate) fn cmova(&mut self, a: AsmRegister64, b: AsmRegister64) -> R {
        self.cmovcc(Cc::A, a, b)
    }

    /// A rel32 branch to `l` (`opcode` is `E9` or `0F 8x`).
    fn branch(&mut self, opcode: &[u8], l: CodeLabel) -> R {
        self.buf.extend_from_slice(opcode);
        self.imm32(0);
        self.fixups.push((self.buf.len() as u32, l));
        Ok(())
    }
    pub(crate) fn jcc(&mut self, cc: Cc, l: CodeLabel) -> R {
        self.branch(&[0x0f, 0x80 + cc as u8], l)
    }
    pub(crate) fn je(&mut self, l: CodeLabel) -> R {
        self.jcc(Cc::E, l)
    }
    pub(crate) fn jne(&mut self, l: CodeLabel) -> R {
        self.jcc(Cc::Ne, l)
    }

    /// `jmp label`, `jmp reg` or `jmp qword [mem]`.
    pub(crate) fn jmp(&mut self, to: impl Into<Target>) -> R {
        match to.into() {
            Target::Label(l) => self.branch(&[0xe9], l),
            Target::Reg(r) => self.op_rm(32, &[0xff], 4, r.into(), false),
            // The 64-bit operand size is the default for near jumps.
            Target::Mem(m) => self.op_rm(32, &[0xff], 4, Mem { addr: m.addr, bits: 64 }.into(), false),
        }
    }

    /// `jmp rel32` to the absolute address `target`, which must be within
    /// 2 GiB of where the code is installed: its displacement is left 0
    /// and recorded for [`X64::take_far`].
    pub(crate) fn jmp_far(&mut self, target: u64) -> R {
        self.byte(0xe9);
        self.imm32(0);
        self.far.push((self.buf.len() as u32, target));
        Ok(())
    }

    /// `jmp rel32` to the next instruction, its rel32 field 4-byte aligned
    /// (NOPs before it as needed), so that it can be patched with one
    /// aligned store while other threads run it (code lands at 32-byte
    /// aligned addresses). Returns the offset of the end of the field.
    pub(crate) fn jmp_patchable(&mut self) -> R<u32> {
        match (self.buf.len() + 1) % 4 {
            0 => {}
            3 => self.byte(0x90),
            2 => self.buf.extend_from_slice(&[0x66, 0x90]),
            _ => self.buf.extend_from_slice(&[0x0f, 0x1f, 0x00]),
        }
        self.byte(0xe9);
        self.imm32(0);
        Ok(self.buf.len() as u32)
    }

    /// Eight bytes of data (`value`) where no code runs: after an
    /// unconditional jump.
    pub(crate) fn data_u64(&mut self, value: u64) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    /// `lea r, [rip + label]`: the address of a label in this code.
    pub(crate) fn lea_label(&mut self, r: AsmRegister64, l: CodeLabel) -> R {
        self.rex(true, r.0, 0, 0, false);
        // ModRM mod 00, rm 101: RIP-relative, a disp32 after it.
        self.buf.extend_from_slice(&[0x8d, (r.0 & 7) << 3 | 0b101]);
        self.imm32(0);
        self.fixups.push((self.buf.len() as u32, l));
        Ok(())
    }

    pub(crate) fn call(&mut self, r: AsmRegister64) -> R {
        self.op_rm(32, &[0xff], 2, r.into(), false)
    }

    pub(crate) fn push(&mut self, r: AsmRegister64) -> R {
        self.rex(false, 0, 0, r.0, false);
        self.byte(0x50 + (r.0 & 7));
        Ok(())
    }

    pub(crate) fn pop(&mut self, r: AsmRegister64) -> R {
        self.rex(false, 0, 0, r.0, false);
        self.byte(0x58 + (r.0 & 7));
        Ok(())
    }

    pub(crate) fn ret(&mut self) -> R {
        self.byte(0xc3);
        Ok(())
    }

    pub(crate) fn mfence(&mut self) -> R {
        self.buf.extend_from_slice(&[0x0f, 0xae, 0xf0]);
        Ok(())
    }

    pub(crate) fn bswap(&mut self, r: AsmRegister64) -> R {
        self.rex(true, 0, 0, r.0, false);
        self.buf.extend_from_slice(&[0x0f, 0xc8 + (r.0 & 7)]);
        Ok(())
    }
}

/// What `jmp` goes to.
pub(crate) enum Target {
    Label(CodeLabel),
    Reg(AsmRegister64),
    Mem(Mem),
}

impl From<CodeLabel> for Target {
    fn from(l: CodeLabel) -> Target {
        Target::Label(l)
    }
}
impl From<AsmRegister64> for Target {
    fn from(r: AsmRegister64) -> Target {
        Target::Reg(r)
    }
}
impl From<Mem> for Target {
    fn from(m: Mem) -> Target {
        Target::Mem(m)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Every form against `iced-x86`: both encode the same instruction,
    //! and the decoded instructions must be the same (the encodings may
    //! differ where x86 has two, e.g. `add eax, imm32`).

    use iced_x86::code_asm as ia;
    use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter};

    use super::*;

    /// `bytes` decoded, one instruction per line in GAS syntax.
    pub(crate) fn text(bytes: &[u8]) -> Vec<String> {
        let mut d = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
        let mut f = GasFormatter::new();
        let mut out = Vec::new();
        while d.can_decode() {
            let ins = d.decode();
            assert!(!ins.is_invalid(), "invalid encoding in {bytes:02x?}");
            let mut s = String::new();
            f.format(&ins, &mut s);
            out.push(s);
        }
        out
    }

    fn iced(build: impl FnOnce(&mut ia::CodeAssembler) -> Result<(), iced_x86::IcedError>) -> Vec<String> {
        let mut a = ia::CodeAssembler::new(64).unwrap();
        build(&mut a).unwrap();
        text(&a.assemble(0).unwrap())
    }

    fn ours(build: impl FnOnce(&mut X64) -> R) -> Vec<String> {
        let mut a = X64::new();
        build(&mut a).unwrap();
        text(&a.finish().unwrap())
    }

    const R64: [ia::AsmRegister64; 16] = [
        ia::rax,
        ia::rcx,
        ia::rdx,
        ia::rbx,
        ia::rsp,
        ia::rbp,
        ia::rsi,
        ia::rdi,
        ia::r8,
        ia::r9,
        ia::r10,
        ia::r11,
        ia::r12,
        ia::r13,
        ia::r14,
        ia::r15,
    ];
    const R32: [ia::AsmRegister32; 16] = [
        ia::eax,
        ia::ecx,
        ia::edx,
        ia::ebx,
        ia::esp,
        ia::ebp,
        ia::esi,
        ia::edi,
        ia::r8d,
        ia::r9d,
        ia::r10d,
        ia::r11d,
        ia::r12d,
        ia::r13d,
        ia::r14d,
        ia::r15d,
    ];
    const R16: [ia::AsmRegister16; 16] = [
        ia::ax,
        ia::cx,
        ia::dx,
        ia::bx,
        ia::sp,
        ia::bp,
        ia::si,
        ia::di,
        ia::r8w,
        ia::r9w,
        ia::r10w,
        ia::r11w,
        ia::r12w,
        ia::r13w,
        ia::r14w,
        ia::r15w,
    ];
    const R8: [ia::AsmRegister8; 16] = [
        ia::al,
        ia::cl,
        ia::dl,
        ia::bl,
        ia::spl,
        ia::bpl,
        ia::sil,
        ia::dil,
        ia::r8b,
        ia::r9b,
        ia::r10b,
        ia::r11b,
        ia::r12b,
        ia::r13b,
        ia::r14b,
        ia::r15b,
    ];

    /// Addresses with every base, the SIB and displacement corner cases.
    fn addrs() -> Vec<(Addr, ia::AsmMemoryOperand)> {
        let mut v = Vec::new();
        for b in 0..16u8 {
            for disp in [0, 8, -32, 0x80C8, -0x1000] {
                v.push((Gpr::<64>(b) + disp, ia::ptr(R64[b as usize] + disp)));
            }
            for (i, s) in [(0u8, 1), (1, 8), (13, 1), (9, 4), (5, 2)] {
                v.push((Gpr::<64>(b) + Gpr::<64>(i) * s + 0x40, ia::ptr(R64[b as usize] + R64[i as usize] * s + 0x40)));
                v.push((Gpr::<64>(b) + Gpr::<64>(i) * s, ia::ptr(R64[b as usize] + R64[i as usize] * s)));
            }
        }
        v
    }

    fn sized(m: ia::AsmMemoryOperand, bits: u32) -> ia::AsmMemoryOperand {
        match bits {
            64 => ia::qword_ptr(m),
            32 => ia::dword_ptr(m),
            16 => ia::word_ptr(m),
            _ => ia::byte_ptr(m),
        }
    }

    fn ours_mem(a: Addr, bits: u32) -> Mem {
        Mem { addr: a, bits }
    }

    #[test]
    fn register_forms_match_iced() {
        for d in 0..16usize {
            for s in 0..16usize {
                let (gd, gs) = (Gpr::<64>(d as u8), Gpr::<64>(s as u8));
                let (ed, es) = (Gpr::<32>(d as u8), Gpr::<32>(s as u8));
                let (id, is) = (R64[d], R64[s]);
                let (jd, js) = (R32[d], R32[s]);
                let expect = iced(|a| {
                    a.mov(id, is)?;
                    a.mov(jd, js)?;
                    a.add(id, is)?;
                    a.sub(jd, js)?;
                    a.and(id, is)?;
                    a.or(id, is)?;
                    a.xor(id, is)?;
                    a.cmp(id, is)?;
                    a.test(id, is)?;
                    a.imul_2(id, is)?;
                    a.imul_2(jd, js)?;
                    a.imul_3(id, is, 5)?;
                    a.imul_3(id, is, -0x800)?;
                    a.cmove(id, is)?;
                    a.cmovne(id, is)?;
                    a.cmovl(id, is)?;
                    a.cmovg(id, is)?;
                    a.cmovb(id, is)?;
                    a.cmova(id, is)?;
                    a.movsxd(id, js)?;
                    a.movzx(jd, R8[s])?;
                    a.movzx(jd, R16[s])?;
                    a.movsx(id, R8[s])?;
                    a.movsx(id, R16[s])?;
                    a.mov(R8[d], R8[s])?;
                    Ok(())
                });
                let got = ours(|a| {
                    a.mov(gd, gs)?;
                    a.mov(ed, es)?;
                    a.add(gd, gs)?;
                    a.sub(ed, es)?;
                    a.and(gd, gs)?;
                    a.or(gd, gs)?;
                    a.xor(gd, gs)?;
                    a.cmp(gd, gs)?;
                    a.test(gd, gs)?;
                    a.imul_2(gd, gs)?;
                    a.imul_2(ed, es)?;
                    a.imul_3(gd, gs, 5)?;
                    a.imul_3(gd, gs, -0x800)?;
                    a.cmove(gd, gs)?;
                    a.cmovne(gd, gs)?;
                    a.cmovl(gd, gs)?;
                    a.cmovg(gd, gs)?;
                    a.cmovb(gd, gs)?;
                    a.cmova(gd, gs)?;
                    a.movsxd(gd, es)?;
                    a.movzx(ed, Gpr::<8>(s as u8))?;
                    a.movzx(ed, Gpr::<16>(s as u8))?;
                    a.movsx(gd, Gpr::<8>(s as u8))?;
                    a.movsx(gd, Gpr::<16>(s as u8))?;
                    a.mov(Gpr::<8>(d as u8), Gpr::<8>(s as u8))?;
                    Ok(())
                });
                assert_eq!(got, expect, "registers {d}, {s}");
            }
            let (g, e, i, j) = (Gpr::<64>(d as u8), Gpr::<32>(d as u8), R64[d], R32[d]);
            let expect = iced(|a| {
                a.not(i)?;
                a.neg(i)?;
                a.mul(i)?;
                a.imul(i)?;
                a.not(j)?;
                a.bswap(i)?;
                a.push(i)?;
                a.pop(i)?;
                a.call(i)?;
                a.jmp(i)?;
                a.setne(R8[d])?;
                a.sete(R8[d])?;
                a.setl(R8[d])?;
                a.setb(R8[d])?;
                a.setge(R8[d])?;
                a.setae(R8[d])?;
                for k in [0i32, 1, 5, 63] {
                    a.shl(i, k)?;
                    a.shr(j, k)?;
                    a.sar(i, k)?;
                }
                a.shl(i, ia::cl)?;
                a.shr(i, ia::cl)?;
                a.sar(j, ia::cl)?;
                a.rol(i, ia::cl)?;
                a.ror(j, ia::cl)?;
                for k in [0i32, 1, -1, 127, 128, -129, 0x7fff_ffff, i32::MIN] {
                    a.add(i, k)?;
                    a.sub(i, k)?;
                    a.and(i, k)?;
                    a.or(i, k)?;
                    a.xor(i, k)?;
                    a.cmp(i, k)?;
                    // code_asm's `mov r64, i64` is always movabs: the
                    // sign-extended imm32 form, built by hand.
                    a.add_instruction(iced_x86::Instruction::with2(
                        iced_x86::Code::Mov_rm64_imm32,
                        iced_x86::Register::from(i),
                        k,
                    )?)?;
                    a.and(j, k as u32)?;
                    a.cmp(j, k as u32)?;
                    a.mov(j, k as u32)?;
                }
                for k in [0u64, 1, 0xffff_ffff_0000_0000, u64::MAX] {
                    a.mov(i, k)?;
                }
                a.test(R8[d], 1u32)?;
                a.test(R8[d], 0x80u32)?;
                Ok(())
            });
            let got = ours(|a| {
                a.not(g)?;
                a.neg(g)?;
                a.mul(g)?;
                a.imul(g)?;
                a.not(e)?;
                a.bswap(g)?;
                a.push(g)?;
                a.pop(g)?;
                a.call(g)?;
                a.jmp(g)?;
                let b = Gpr::<8>(d as u8);
                a.setne(b)?;
                a.sete(b)?;
                a.setl(b)?;
                a.setb(b)?;
                a.setge(b)?;
                a.setae(b)?;
                for k in [0i32, 1, 5, 63] {
                    a.shl(g, k)?;
                    a.shr(e, k)?;
                    a.sar(g, k)?;
                }
                a.shl(g, cl)?;
                a.shr(g, cl)?;
                a.sar(e, cl)?;
                a.rol(g, cl)?;
                a.ror(e, cl)?;
                for k in [0i32, 1, -1, 127, 128, -129, 0x7fff_ffff, i32::MIN] {
                    a.add(g, k)?;
                    a.sub(g, k)?;
                    a.and(g, k)?;
                    a.or(g, k)?;
                    a.xor(g, k)?;
                    a.cmp(g, k)?;
                    a.mov(g, k)?;
                    a.and(e, k as u32)?;
                    a.cmp(e, k as u32)?;
                    a.mov(e, k as u32)?;
                }
                for k in [0u64, 1, 0xffff_ffff_0000_0000, u64::MAX] {
                    a.mov(g, k)?;
                }
                a.test(b, 1u32)?;
                a.test(b, 0x80u32)?;
                Ok(())
            });
            assert_eq!(got, expect, "register {d}");
        }
    }

    #[test]
    fn memory_forms_match_iced() {
        for (ours_addr, iced_addr) in addrs() {
            for r in [0usize, 1, 2, 5, 8, 12, 13] {
                let (g, e, i, j) = (Gpr::<64>(r as u8), Gpr::<32>(r as u8), R64[r], R32[r]);
                let expect = iced(|a| {
                    a.mov(i, sized(iced_addr, 64))?;
                    a.mov(sized(iced_addr, 64), i)?;
                    a.mov(j, sized(iced_addr, 32))?;
                    a.mov(sized(iced_addr, 32), j)?;
                    a.mov(sized(iced_addr, 16), R16[r])?;
                    a.mov(sized(iced_addr, 8), R8[r])?;
                    a.mov(sized(iced_addr, 64), -5i32)?;
                    a.mov(sized(iced_addr, 32), 0x1234_5678i32)?;
                    a.add(sized(iced_addr, 64), i)?;
                    a.add(sized(iced_addr, 64), 4i32)?;
                    a.add(sized(iced_addr, 64), 0x1000i32)?;
                    a.add(i, sized(iced_addr, 64))?;
                    a.cmp(sized(iced_addr, 8), 0i32)?;
                    a.test(sized(iced_addr, 8), 2u32)?;
                    a.movzx(j, sized(iced_addr, 8))?;
                    a.movzx(j, sized(iced_addr, 16))?;
                    a.movsx(i, sized(iced_addr, 8))?;
                    a.movsx(i, sized(iced_addr, 16))?;
                    a.movsxd(i, sized(iced_addr, 32))?;
                    a.lea(i, iced_addr)?;
                    a.jmp(sized(iced_addr, 64))?;
                    Ok(())
                });
                let got = ours(|a| {
                    a.mov(g, ours_mem(ours_addr, 64))?;
                    a.mov(ours_mem(ours_addr, 64), g)?;
                    a.mov(e, ours_mem(ours_addr, 32))?;
                    a.mov(ours_mem(ours_addr, 32), e)?;
                    a.mov(ours_mem(ours_addr, 16), Gpr::<16>(r as u8))?;
                    a.mov(ours_mem(ours_addr, 8), Gpr::<8>(r as u8))?;
                    a.mov(ours_mem(ours_addr, 64), -5i32)?;
                    a.mov(ours_mem(ours_addr, 32), 0x1234_5678i32)?;
                    a.add(ours_mem(ours_addr, 64), g)?;
                    a.add(ours_mem(ours_addr, 64), 4i32)?;
                    a.add(ours_mem(ours_addr, 64), 0x1000i32)?;
                    a.add(g, ours_mem(ours_addr, 64))?;
                    a.cmp(ours_mem(ours_addr, 8), 0i32)?;
                    a.test(ours_mem(ours_addr, 8), 2u32)?;
                    a.movzx(e, ours_mem(ours_addr, 8))?;
                    a.movzx(e, ours_mem(ours_addr, 16))?;
                    a.movsx(g, ours_mem(ours_addr, 8))?;
                    a.movsx(g, ours_mem(ours_addr, 16))?;
                    a.movsxd(g, ours_mem(ours_addr, 32))?;
                    a.lea(g, ptr(ours_addr))?;
                    a.jmp(ours_mem(ours_addr, 64))?;
                    Ok(())
                });
                assert_eq!(got, expect, "{ours_addr:?} with register {r}");
            }
        }
    }

    #[test]
    fn branches_reach_their_labels() {
        let mut a = X64::new();
        let mut fwd = a.create_label();
        let mut back = a.create_label();
        a.set_label(&mut back).unwrap();
        a.je(fwd).unwrap();
        a.jne(back).unwrap();
        a.jmp(back).unwrap();
        a.mfence().unwrap();
        a.set_label(&mut fwd).unwrap();
        a.ret().unwrap();
        let code = a.finish().unwrap();
        // je and jne rel32 (6 bytes each), jmp rel32 (5), mfence (3):
        // `fwd` is at 0x14, `back` at 0.
        assert_eq!(text(&code), ["je 0x0000000000000014", "jne 0", "jmp 0", "mfence", "ret"]);
        assert_eq!(code.len(), 6 + 6 + 5 + 3 + 1);
    }

    #[test]
    fn every_condition_and_its_inverse() {
        use Cc::*;
        let all = [B, Ae, E, Ne, Be, A, L, Ge, Le, G];
        let names = ["jb", "jae", "je", "jne", "jbe", "ja", "jl", "jge", "jle", "jg"];
        for (i, cc) in all.into_iter().enumerate() {
            let mut a = X64::new();
            let mut l = a.create_label();
            a.jcc(cc, l).unwrap();
            a.jcc(cc.inverse(), l).unwrap();
            a.set_label(&mut l).unwrap();
            let got = text(&a.finish().unwrap());
            // The inverse of each is its pair (x86 pairs them by the low bit).
            let inv = names[i ^ 1];
            assert_eq!(got, [format!("{} 0x000000000000000C", names[i]), format!("{inv} 0x000000000000000C")]);
            assert_eq!(cc.inverse().inverse(), cc);
        }
    }

    #[test]
    fn unplaced_labels_and_missing_forms_are_errors() {
        let mut a = X64::new();
        let l = a.create_label();
        a.jmp(l).unwrap();
        assert!(a.finish().is_err());
        let mut a = X64::new();
        assert!(a.mov(qword_ptr(rax), 1u64).is_err());
        assert!(a.mov(rax, ecx).is_err());
        let mut l = a.create_label();
        a.set_label(&mut l).unwrap();
        assert!(a.set_label(&mut l).is_err());
    }
}
