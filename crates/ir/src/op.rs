//! Operations and terminators.
//!
//! A block is a flat list of [`Op`]s over temporaries, each temporary assigned
//! once, ending in one [`Terminator`]. Ops are small `Copy` values with no
//! per-op allocation. Semantics are written next to each variant; the reference
//! implementation of every pure operation is in [`crate::eval`].

use crate::entities::{Reg, Temp};
use crate::vector::VInst;

/// Defines a fieldless enum with a text name per variant, `Display`, a
/// `from_name` parser and an `ALL` list. Used for every operator kind so the
/// printer and the parser can never disagree.
macro_rules! named_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            /// The name used in the text form.
            pub const fn name(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }

            /// Parses the text-form name.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$v),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// Two-operand integer operations on 64-bit values.
    ///
    /// The `*w` forms operate on the low 32 bits and sign-extend the 32-bit
    /// result to 64 bits (RISC-V unprivileged spec, §4.2 "RV64I"). Shift
    /// amounts are masked to 6 bits (5 for `*w`). Division follows the RISC-V
    /// M extension's table (spec §13.2): division by zero gives all ones
    /// (`div`/`divu`) or the dividend (`rem`/`remu`); signed overflow gives the
    /// dividend (`div`) and zero (`rem`). Comparisons give 0 or 1.
    pub enum BinOp {
        Add = "add", Sub = "sub", And = "and", Or = "or", Xor = "xor",
        Shl = "shl", Shr = "shr", Sar = "sar",
        Mul = "mul", MulH = "mulh", MulHU = "mulhu", MulHSU = "mulhsu",
        Div = "div", DivU = "divu", Rem = "rem", RemU = "remu",
        Eq = "eq", Ne = "ne", Lt = "lt", LtU = "ltu", Ge = "ge", GeU = "geu",
        AddW = "addw", SubW = "subw", ShlW = "shlw", ShrW = "shrw", SarW = "sarw",
        MulW = "mulw", DivW = "divw", DivUW = "divuw", RemW = "remw", RemUW = "remuw",
        /// `a & !b` (Zbb `andn`).
        AndN = "andn",
        /// `a | !b` (Zbb `orn`).
        OrN = "orn",
        /// `!(a ^ b)` (Zbb `xnor`).
        XNor = "xnor",
        Min = "min", MinU = "minu", Max = "max", MaxU = "maxu",
        Rol = "rol", Ror = "ror", RolW = "rolw", RorW = "rorw",
        /// Carry-less multiply, low half (Zbc).
        Clmul = "clmul",
        /// Carry-less multiply, high half (Zbc).
        ClmulH = "clmulh",
        /// Carry-less multiply, reversed (Zbc).
        ClmulR = "clmulr",
        /// `a | (1 << (b & 63))` (Zbs).
        Bset = "bset",
        /// `a & !(1 << (b & 63))` (Zbs).
        Bclr = "bclr",
        /// `a ^ (1 << (b & 63))` (Zbs).
        Binv = "binv",
        /// `(a >> (b & 63)) & 1` (Zbs).
        Bext = "bext",
        /// `zext32(a) | b << 32` (Zbkb `pack`).
        Pack = "pack",
        /// `(a & 0xff) | (b & 0xff) << 8` (Zbkb `packh`).
        PackH = "packh",
        /// `sext32((a & 0xffff) | (b & 0xffff) << 16)` (Zbkb `packw`).
        PackW = "packw",
        /// Nibble lookup: each 4-bit element `i` of `b` picks nibble `i` of
        /// `a`, 0 when `i >= 16` (Zbkx `xperm4`).
        Xperm4 = "xperm4",
        /// Byte lookup: each byte `i` of `b` picks byte `i` of `a`, 0 when
        /// `i >= 8` (Zbkx `xperm8`).
        Xperm8 = "xperm8",
    }
}

named_enum! {
    /// One-operand integer operations.
    pub enum UnOp {
        Not = "not", Neg = "neg",
        SextB = "sextb", SextH = "sexth", SextW = "sextw",
        ZextB = "zextb", ZextH = "zexth", ZextW = "zextw",
        Clz = "clz", Ctz = "ctz", Cpop = "cpop",
        ClzW = "clzw", CtzW = "ctzw", CpopW = "cpopw",
        /// Byte-reverse (Zbb `rev8`).
        Rev8 = "rev8",
        /// Each byte becomes 0xff if non-zero, else 0 (Zbb `orc.b`).
        OrcB = "orcb",
        /// NaN-box a single: `x | 0xffff_ffff_0000_0000` (spec §20.2).
        NanBox = "nanbox",
        /// Unbox a single from a 64-bit FP register: the low 32 bits if the
        /// upper 32 are all ones, else the canonical NaN `0x7fc00000`
        /// (spec §20.2, "NaN Boxing of Narrower Values"). Result zero-extended.
        NanUnbox = "nanunbox",
        /// NaN-box a half: `x | 0xffff_ffff_ffff_0000` (spec §20.2).
        NanBoxH = "nanboxh",
        /// Unbox a half: the low 16 bits if the upper 48 are all ones, else
        /// the canonical half NaN `0x7e00` (spec §20.2, Zfh §"NaN boxing").
        NanUnboxH = "nanunboxh",
        /// Reverse the bits of each byte (Zbkb `brev8`).
        Brev8 = "brev8",
    }
}

named_enum! {
    /// Access size of a memory operation.
    pub enum MemSize { B = "8", H = "16", W = "32", D = "64", }
}

impl MemSize {
    /// Size in bytes.
    pub const fn bytes(self) -> u32 {
        match self {
            MemSize::B => 1,
            MemSize::H => 2,
            MemSize::W => 4,
            MemSize::D => 8,
        }
    }
}

named_enum! {
    /// Memory-ordering annotation of an atomic (the A extension's `aq`/`rl` bits).
    pub enum Ordering { Relaxed = "relaxed", Acquire = "acq", Release = "rel", AcqRel = "acqrel", }
}

impl Ordering {
    /// The host memory ordering that gives this one: `aq` acquire, `rl`
    /// release, both sequentially consistent (the A extension's `aqrl`).
    pub const fn host(self) -> std::sync::atomic::Ordering {
        match self {
            Ordering::Relaxed => std::sync::atomic::Ordering::Relaxed,
            Ordering::Acquire => std::sync::atomic::Ordering::Acquire,
            Ordering::Release => std::sync::atomic::Ordering::Release,
            Ordering::AcqRel => std::sync::atomic::Ordering::SeqCst,
        }
    }

    /// From the instruction's `aq` and `rl` bits.
    pub const fn from_bits(aq: bool, rl: bool) -> Self {
        match (aq, rl) {
            (false, false) => Ordering::Relaxed,
            (true, false) => Ordering::Acquire,
            (false, true) => Ordering::Release,
            (true, true) => Ordering::AcqRel,
        }
    }
}

named_enum! {
    /// Read-modify-write operations of the A extension (`amo*.w`/`amo*.d`).
    pub enum AmoOp {
        Swap = "swap", Add = "add", Xor = "xor", And = "and", Or = "or",
        Min = "min", Max = "max", MinU = "minu", MaxU = "maxu",
    }
}

named_enum! {
    /// Floating-point precision: `s` is IEEE binary32, `d` binary64, `h`
    /// binary16 (Zfh).
    ///
    /// Single- and half-precision operands and results live in the low 32
    /// or 16 bits of a temporary (upper bits zero); boxing into 64-bit FP
    /// registers is explicit with [`UnOp::NanBox`]/[`UnOp::NanUnbox`] and
    /// [`UnOp::NanBoxH`]/[`UnOp::NanUnboxH`].
    pub enum Prec { S = "s", D = "d", H = "h", }
}

named_enum! {
    /// Rounding mode (spec §20.2, Table "Rounding mode encoding"). `Dyn` reads
    /// `frm` at run time; the lifter emits [`Op::CheckFrm`] before the first
    /// dynamic op so an invalid `frm` traps as an illegal instruction.
    pub enum Rm { Rne = "rne", Rtz = "rtz", Rdn = "rdn", Rup = "rup", Rmm = "rmm", Dyn = "dyn", }
}

impl Rm {
    /// Decodes the 3-bit `rm` field; 5 and 6 are reserved (None).
    pub const fn from_bits(bits: u8) -> Option<Rm> {
        match bits {
            0 => Some(Rm::Rne),
            1 => Some(Rm::Rtz),
            2 => Some(Rm::Rdn),
            3 => Some(Rm::Rup),
            4 => Some(Rm::Rmm),
            7 => Some(Rm::Dyn),
            _ => None,
        }
    }

    /// The 3-bit encoding.
    pub const fn bits(self) -> u8 {
        match self {
            Rm::Rne => 0,
            Rm::Rtz => 1,
            Rm::Rdn => 2,
            Rm::Rup => 3,
            Rm::Rmm => 4,
            Rm::Dyn => 7,
        }
    }
}

named_enum! {
    /// One-operand floating-point operations. `sqrt` rounds and may raise
    /// flags; `class` gives the 10-bit `fclass` mask and raises nothing.
    /// `round` and `roundnx` (Zfa `fround`/`froundnx`) round to an integral
    /// value in the given mode; `roundnx` raises inexact when the value
    /// changes, `round` does not; both raise invalid only for signalling
    /// NaNs, and a NaN input gives the canonical NaN.
    pub enum FUnOp { Sqrt = "fsqrt", Class = "fclass", Round = "fround", RoundNx = "froundnx", }
}

named_enum! {
    /// Two-operand floating-point operations. Arithmetic results that are NaN
    /// are the canonical NaN (spec §20.3). `fmin`/`fmax` follow IEEE 754-2019
    /// minimumNumber/maximumNumber with -0 < +0 and raise invalid only for
    /// signalling NaN inputs (spec §20.6). Sign injection never raises flags
    /// and never canonicalizes. Comparisons give 0/1: `feq` is quiet, `flt`
    /// and `fle` signal on any NaN (spec §20.8).
    pub enum FBinOp {
        Add = "fadd", Sub = "fsub", Mul = "fmul", Div = "fdiv",
        Min = "fmin", Max = "fmax",
        Sgnj = "fsgnj", Sgnjn = "fsgnjn", Sgnjx = "fsgnjx",
        Eq = "feq", Lt = "flt", Le = "fle",
        /// Zfa `fminm`/`fmaxm`: IEEE 754-2019 minimum/maximum, like
        /// `fmin`/`fmax` except that a NaN operand gives the canonical NaN.
        Minm = "fminm", Maxm = "fmaxm",
        /// Zfa `fleq`/`fltq`: quiet `fle`/`flt` (invalid only for signalling
        /// NaNs).
        Leq = "fleq", Ltq = "fltq",
    }
}

named_enum! {
    /// Fused multiply-add family: `madd` = a*b+c, `msub` = a*b-c,
    /// `nmsub` = -(a*b)+c, `nmadd` = -(a*b)-c, each with one rounding.
    pub enum FTernOp { Madd = "fmadd", Msub = "fmsub", Nmsub = "fnmsub", Nmadd = "fnmadd", }
}

named_enum! {
    /// Numeric conversions between integers and floats and between
    /// precisions. Names read `to_from`: `w_s` converts a single to a signed
    /// 32-bit integer (result sign-extended to 64 bits as `fcvt.w.s` does).
    /// Out-of-range and NaN inputs saturate as spec §20.7 Table 11.4 defines.
    pub enum CvtOp {
        WS = "w.s", WuS = "wu.s", LS = "l.s", LuS = "lu.s",
        SW = "s.w", SWu = "s.wu", SL = "s.l", SLu = "s.lu",
        WD = "w.d", WuD = "wu.d", LD = "l.d", LuD = "lu.d",
        DW = "d.w", DWu = "d.wu", DL = "d.l", DLu = "d.lu",
        SD = "s.d", DS = "d.s",
        WH = "w.h", WuH = "wu.h", LH = "l.h", LuH = "lu.h",
        HW = "h.w", HWu = "h.wu", HL = "h.l", HLu = "h.lu",
        SH = "s.h", HS = "h.s", DH = "d.h", HD = "h.d",
        /// Zfa `fcvtmod.w.d`: the double truncated, modulo 2^32,
        /// sign-extended; invalid for NaN, infinity and out-of-range values,
        /// inexact when not integral (and not invalid); NaN and infinity
        /// give 0.
        WDMod = "wmod.d",
    }
}

named_enum! {
    /// Kinds of `fence`, by what they order (RVWMO, unprivileged spec
    /// "Memory Ordering Instructions").
    pub enum FenceKind {
        /// A fence that orders earlier stores before later loads (its
        /// predecessor set has `w` or `o`, its successor set `r` or `i`),
        /// among anything else: a full barrier on every host.
        Full = "full",
        /// `fence.tso`, and every fence that orders no earlier store before
        /// a later load (`fence rw,w` before a release store, `fence r,rw`
        /// after an acquire load): what a TSO host (x86-64) does without any
        /// instruction.
        Tso = "tso",
    }
}

/// Hint carried by an indirect jump, for return-address prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndirectHint {
    /// Nothing is known.
    None,
    /// A call (`jalr ra, ...`); the return address is the next instruction.
    Call,
    /// A return (`jalr x0, 0(ra)`).
    Return,
}

/// One operation. Every field is a plain value; temporaries are defined once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Start of the guest instruction at `pc` (`len` bytes). Every block
    /// starts with one; faults are reported at the last mark before them,
    /// and the number of marks executed is the number of instructions retired.
    Mark { pc: u64, len: u8 },
    /// `dst = value`.
    Const { dst: Temp, value: u64 },
    /// `dst = src`.
    Copy { dst: Temp, src: Temp },
    /// `dst = reg` (never `x0`: the lifter emits `const 0`).
    GetReg { dst: Temp, reg: Reg },
    /// `reg = src` (never `x0`: writes to `x0` are dropped by the lifter).
    SetReg { reg: Reg, src: Temp },
    /// `dst = op a`.
    Unary { op: UnOp, dst: Temp, src: Temp },
    /// `dst = a op b`.
    Binary { op: BinOp, dst: Temp, a: Temp, b: Temp },
    /// `dst = if cond != 0 { a } else { b }`.
    Select { dst: Temp, cond: Temp, a: Temp, b: Temp },
    /// Load `size` bytes from `addr + offset`, sign- or zero-extended.
    /// May fault.
    Load { dst: Temp, addr: Temp, offset: i32, size: MemSize, signed: bool },
    /// Store the low `size` bytes of `src` to `addr + offset`. May fault.
    Store { addr: Temp, offset: i32, src: Temp, size: MemSize },
    /// `lr.w`/`lr.d`: load (sign-extended) and register a reservation.
    /// Size is `W` or `D`; the address must be naturally aligned. May fault.
    LoadReserved { dst: Temp, addr: Temp, size: MemSize, order: Ordering },
    /// `sc.w`/`sc.d`: store if the reservation holds; `dst` = 0 on success,
    /// 1 on failure. Always clears the reservation. May fault.
    StoreConditional { dst: Temp, addr: Temp, src: Temp, size: MemSize, order: Ordering },
    /// Atomic read-modify-write; `dst` = the old value (sign-extended for
    /// `W`). May fault.
    Amo { op: AmoOp, dst: Temp, addr: Temp, src: Temp, size: MemSize, order: Ordering },
    /// Memory fence.
    Fence { kind: FenceKind },
    /// One-operand FP op; accrues `fflags`.
    FUnary { op: FUnOp, prec: Prec, rm: Rm, dst: Temp, src: Temp },
    /// Two-operand FP op; accrues `fflags`.
    FBinary { op: FBinOp, prec: Prec, rm: Rm, dst: Temp, a: Temp, b: Temp },
    /// Fused multiply-add family; accrues `fflags`.
    FTernary { op: FTernOp, prec: Prec, rm: Rm, dst: Temp, a: Temp, b: Temp, c: Temp },
    /// Conversion; accrues `fflags`.
    FCvt { op: CvtOp, rm: Rm, dst: Temp, src: Temp },
    /// Trap as an illegal instruction if `frm` holds a reserved value (5, 6,
    /// 7): needed before ops with [`Rm::Dyn`] (spec §20.2).
    CheckFrm,
    /// Read a CSR (one the lifter accepted; see [`crate::csr`]).
    CsrRead { dst: Temp, csr: u16 },
    /// Write a CSR (one the lifter accepted as writable).
    CsrWrite { csr: u16, src: Temp },
    /// One vector instruction, run by [`crate::vector::execute`] on the
    /// vector state with scalar operands `a` and `b`; `dst` is its scalar
    /// result. May fault (memory, at an element) or be illegal (`vtype`,
    /// register groups), both precisely.
    Vector { inst: VInst, dst: Temp, a: Temp, b: Temp },
}

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Terminator {
    /// Continue at a known address.
    Jump { target: u64 },
    /// Continue at `taken` if `cond != 0`, else at `fallthrough`.
    Branch { cond: Temp, taken: u64, fallthrough: u64 },
    /// Continue at the address in `target` (low bit already cleared).
    JumpIndirect { target: Temp, hint: IndirectHint },
    /// `ecall` at `pc`: the environment handles it, then execution resumes at
    /// `pc + 4`.
    Ecall { pc: u64 },
    /// `ebreak` (or `c.ebreak`) at `pc`.
    Ebreak { pc: u64 },
    /// An illegal or unsupported instruction at `pc` with raw bits `bits`.
    Illegal { pc: u64, bits: u32 },
    /// `fence.i` at `pc`: translations may be stale; resume at `next`.
    FenceI { pc: u64, next: u64 },
}

impl Op {
    /// The temporary this op defines, if any.
    pub fn dst(&self) -> Option<Temp> {
        match *self {
            Op::Const { dst, .. }
            | Op::Copy { dst, .. }
            | Op::GetReg { dst, .. }
            | Op::Unary { dst, .. }
            | Op::Binary { dst, .. }
            | Op::Select { dst, .. }
            | Op::Load { dst, .. }
            | Op::LoadReserved { dst, .. }
            | Op::StoreConditional { dst, .. }
            | Op::Amo { dst, .. }
            | Op::FUnary { dst, .. }
            | Op::FBinary { dst, .. }
            | Op::FTernary { dst, .. }
            | Op::FCvt { dst, .. }
            | Op::CsrRead { dst, .. }
            | Op::Vector { dst, .. } => Some(dst),
            Op::Mark { .. }
            | Op::SetReg { .. }
            | Op::Store { .. }
            | Op::Fence { .. }
            | Op::CheckFrm
            | Op::CsrWrite { .. } => None,
        }
    }

    /// Calls `f` on every temporary this op reads, in operand order.
    pub fn for_each_use(&self, mut f: impl FnMut(Temp)) {
        let mut copy = *self;
        copy.visit_uses(|t| f(*t));
    }

    /// Rewrites every temporary this op reads with `f`.
    pub fn map_uses(&mut self, mut f: impl FnMut(Temp) -> Temp) {
        self.visit_uses(|t| *t = f(*t));
    }

    /// The one place that knows which fields of each op are operands.
    fn visit_uses(&mut self, mut f: impl FnMut(&mut Temp)) {
        match self {
            Op::Mark { .. }
            | Op::Const { .. }
            | Op::GetReg { .. }
            | Op::Fence { .. }
            | Op::CheckFrm
            | Op::CsrRead { .. } => {}
            Op::Copy { src, .. }
            | Op::SetReg { src, .. }
            | Op::Unary { src, .. }
            | Op::FUnary { src, .. }
            | Op::FCvt { src, .. }
            | Op::CsrWrite { src, .. } => f(src),
            Op::Load { addr, .. } | Op::LoadReserved { addr, .. } => f(addr),
            Op::Binary { a, b, .. } | Op::FBinary { a, b, .. } | Op::Vector { a, b, .. } => {
                f(a);
                f(b);
            }
            Op::Store { addr, src, .. } | Op::StoreConditional { addr, src, .. } | Op::Amo { addr, src, .. } => {
                f(addr);
                f(src);
            }
            Op::Select { cond, a, b, .. } => {
                f(cond);
                f(a);
                f(b);
            }
            Op::FTernary { a, b, c, .. } => {
                f(a);
                f(b);
                f(c);
            }
        }
    }

    /// Whether the op may leave the block early with a guest fault (memory
    /// faults, or an illegal `frm`). Passes must not move guest-visible state
    /// changes across such an op.
    pub fn may_fault(&self) -> bool {
        matches!(
            self,
            Op::Load { .. }
                | Op::Store { .. }
                | Op::LoadReserved { .. }
                | Op::StoreConditional { .. }
                | Op::Amo { .. }
                | Op::CheckFrm
                | Op::Vector { .. }
        )
    }

    /// Whether the op has an effect besides defining its temporary (so dead
    /// code elimination must keep it even when its result is unused).
    pub fn has_side_effects(&self) -> bool {
        match self {
            Op::Const { .. }
            | Op::Copy { .. }
            | Op::GetReg { .. }
            | Op::Unary { .. }
            | Op::Binary { .. }
            | Op::Select { .. } => false,
            // Reading a CSR changes nothing (it is not pure either: its value
            // depends on state, so it is never CSE'd or folded).
            Op::CsrRead { .. } => false,
            // Sign injection and classification never touch fflags.
            Op::FBinary { op, .. } => !matches!(op, FBinOp::Sgnj | FBinOp::Sgnjn | FBinOp::Sgnjx),
            Op::FUnary { op, .. } => !matches!(op, FUnOp::Class),
            // Loads can fault, and a fault is a side effect.
            _ => true,
        }
    }

    /// Whether the op is a pure function of its operands (eligible for CSE and
    /// constant folding).
    pub fn is_pure(&self) -> bool {
        match self {
            Op::Const { .. } | Op::Copy { .. } | Op::Unary { .. } | Op::Binary { .. } | Op::Select { .. } => true,
            Op::FBinary { .. } | Op::FUnary { .. } => !self.has_side_effects(),
            _ => false,
        }
    }
}

impl Terminator {
    /// Calls `f` on every temporary the terminator reads.
    pub fn for_each_use(&self, mut f: impl FnMut(Temp)) {
        let mut copy = *self;
        copy.map_uses(|t| {
            f(t);
            t
        });
    }

    /// Rewrites every temporary the terminator reads.
    pub fn map_uses(&mut self, mut f: impl FnMut(Temp) -> Temp) {
        match self {
            Terminator::Branch { cond: t, .. } | Terminator::JumpIndirect { target: t, .. } => *t = f(*t),
            _ => {}
        }
    }

    /// Statically known successor addresses (for chaining and region growth).
    pub fn successors(&self) -> impl Iterator<Item = u64> {
        let (a, b) = match *self {
            Terminator::Jump { target } => (Some(target), None),
            Terminator::Branch { taken, fallthrough, .. } => (Some(taken), Some(fallthrough)),
            Terminator::Ecall { pc } => (Some(pc.wrapping_add(4)), None),
            Terminator::FenceI { next, .. } => (Some(next), None),
            _ => (None, None),
        };
        a.into_iter().chain(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_stay_small() {
        // The interpreter walks a slice of ops; keep them compact.
        assert!(std::mem::size_of::<Op>() <= 24, "Op is {} bytes", std::mem::size_of::<Op>());
    }

    #[test]
    fn names_round_trip() {
        for op in BinOp::ALL {
            assert_eq!(BinOp::from_name(op.name()), Some(*op));
        }
        for op in CvtOp::ALL {
            assert_eq!(CvtOp::from_name(op.name()), Some(*op));
        }
    }
}
