//! The vector extension (RISC-V "V" 1.0): its architectural state
//! ([`VState`]), the decoded operation an [`Op::Vector`](crate::Op::Vector)
//! carries ([`VInst`]), and [`execute`], the one implementation both tiers
//! run (the interpreter directly, compiled code through a helper). Compiled
//! code runs the vector crypto instructions' element groups on the host's
//! AES and SHA instructions when it has them, wired by the same
//! [`crypto::run_groups32`] and checked against [`crypto::group32`].
//!
//! A vector instruction is one IR op: its scalar operands (`x[rs1]`,
//! `x[rs2]`, or an immediate) arrive as temporaries, its scalar result (the
//! new `vl` of `vsetvl*`, `vmv.x.s`, `vcpop.m`, `vfirst.m`) leaves as one;
//! the vector registers and `vl`/`vtype`/`vstart`/`vxrm`/`vxsat` live in
//! [`VState`], the last field of [`Cpu`](crate::Cpu), which no compiled code
//! caches.
//!
//! Tail and inactive elements are left undisturbed whatever the
//! agnostic bits say (allowed by spec §31.3.4.3, and what QEMU does by
//! default). Vector floating point (`fp`) supports SEW 32 and 64 (F and
//! D elements) and binary16 elements where the lifter says the machine
//! has them ([`VInst::HALF`]: every FP instruction with Zvfh, the two
//! binary16 <-> binary32 conversions with Zvfhmin); otherwise SEW 16 FP is
//! an illegal instruction. Each
//! element operation calls the scalar reference semantics in
//! [`crate::fp`], so vector and scalar FP agree bit for bit, `fflags`
//! included.

pub mod crypto;
mod exec;
mod fp;
mod operands;
mod shangmi;

pub use exec::execute;
pub use fp::{FSrc, binary_form, ternary_form};
pub use operands::sources_ok;

/// The largest VLEN supported, in bytes (VLEN = 1024 bits).
pub const VLEN_MAX_BYTES: usize = 128;

/// `vtype.vill` (bit XLEN-1).
pub const VILL: u64 = 1 << 63;

/// The vector register length VLEN, in bits: a power of two from 64 to 1024.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vlen(u32);

impl Vlen {
    /// VLEN = 128, the minimum the V extension requires (Zvl128b) and QEMU's
    /// default.
    pub const DEFAULT: Vlen = Vlen(128);

    /// `bits` if it is a power of two in 64..=1024.
    pub const fn new(bits: u32) -> Option<Vlen> {
        if bits.is_power_of_two() && bits >= 64 && bits <= 1024 { Some(Vlen(bits)) } else { None }
    }

    /// VLEN in bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// VLEN in bytes (`vlenb`).
    pub const fn bytes(self) -> u64 {
        (self.0 / 8) as u64
    }
}

impl Default for Vlen {
    fn default() -> Self {
        Vlen::DEFAULT
    }
}

/// Vector state of one hart (spec §31.3): 32 registers of `vlenb` bytes each
/// (stored back to back, so a register group is a contiguous byte range) and
/// the vector CSRs. `#[repr(C)]` as the last field of the `#[repr(C)]`
/// [`Cpu`](crate::Cpu).
#[derive(Clone, PartialEq, Eq)]
#[repr(C)]
pub struct VState {
    /// VLEN / 8.
    pub vlenb: u64,
    /// `vl`.
    pub vl: u64,
    /// `vtype` ([`VILL`] set when the last `vsetvl*` asked for a
    /// configuration ferrovm does not support).
    pub vtype: u64,
    /// `vstart`: the element a trapped instruction resumes at.
    pub vstart: u64,
    /// Fixed-point rounding mode (`vxrm`, 2 bits).
    pub vxrm: u64,
    /// Fixed-point saturation flag (`vxsat`, 1 bit).
    pub vxsat: u64,
    /// `v0`..`v31`, `vlenb` bytes each, little-endian elements.
    pub regs: [u8; 32 * VLEN_MAX_BYTES],
}

impl VState {
    /// The reset state for `vlen`: registers zero, `vtype.vill` set (QEMU's
    /// reset value), `vl` 0.
    pub fn new(vlen: Vlen) -> VState {
        VState { vlenb: vlen.bytes(), vl: 0, vtype: VILL, vstart: 0, vxrm: 0, vxsat: 0, regs: [0; 32 * VLEN_MAX_BYTES] }
    }

    /// The bytes of register `v[n]`.
    pub fn reg(&self, n: usize) -> &[u8] {
        let b = self.vlenb as usize;
        self.regs.get(n * b..(n + 1) * b).unwrap_or(&[])
    }

    /// The bytes of register `v[n]`, writable.
    pub fn reg_mut(&mut self, n: usize) -> &mut [u8] {
        let b = self.vlenb as usize;
        self.regs.get_mut(n * b..(n + 1) * b).unwrap_or(&mut [])
    }
}

impl Default for VState {
    fn default() -> Self {
        VState::new(Vlen::DEFAULT)
    }
}

impl core::fmt::Debug for VState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VState")
            .field("vlenb", &self.vlenb)
            .field("vl", &self.vl)
            .field("vtype", &format_args!("{:#x}", self.vtype))
            .field("vstart", &self.vstart)
            .field("vxrm", &self.vxrm)
            .field("vxsat", &self.vxsat)
            .finish_non_exhaustive()
    }
}

macro_rules! vops {
    ($($v:ident = $s:literal,)*) => {
        /// What a vector instruction does, independent of where its first
        /// source comes from (see [`VInst::scalar`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        #[expect(missing_docs, reason = "each variant is named after the V 1.0 mnemonic it implements")]
        pub enum VOp { $($v,)* }

        impl VOp {
            /// Every operation, in declaration order (`ALL[op as usize] == op`).
            pub const ALL: &'static [VOp] = &[$(VOp::$v,)*];

            /// The name in the text form (the mnemonic without `v` and the
            /// operand suffix; `_w` marks the `.wv`/`.wx` widening forms).
            pub const fn name(self) -> &'static str {
                match self { $(VOp::$v => $s,)* }
            }

            /// Parses [`VOp::name`].
            pub fn from_name(s: &str) -> Option<VOp> {
                match s { $($s => Some(VOp::$v),)* _ => None }
            }
        }
    };
}

#[rustfmt::skip]
vops! {
    // configuration
    Setvli = "setvli", Setivli = "setivli", Setvl = "setvl",
    // loads and stores (`imm` = log2 of the element width in bytes, or of
    // the register count for whole-register ones)
    Le = "le", Leff = "leff", Lse = "lse", Luxei = "luxei", Loxei = "loxei", Lr = "lr", Lm = "lm",
    Se = "se", Sse = "sse", Suxei = "suxei", Soxei = "soxei", Sr = "sr", Sm = "sm",
    // single-width integer
    Add = "add", Sub = "sub", Rsub = "rsub", Minu = "minu", Min = "min", Maxu = "maxu", Max = "max",
    And = "and", Or = "or", Xor = "xor", Sll = "sll", Srl = "srl", Sra = "sra",
    Mul = "mul", Mulh = "mulh", Mulhu = "mulhu", Mulhsu = "mulhsu",
    Divu = "divu", Div = "div", Remu = "remu", Rem = "rem",
    Macc = "macc", Nmsac = "nmsac", Madd = "madd", Nmsub = "nmsub",
    Merge = "merge", Mv = "mv",
    Adc = "adc", Sbc = "sbc", Madc = "madc", Msbc = "msbc",
    // fixed point
    Saddu = "saddu", Sadd = "sadd", Ssubu = "ssubu", Ssub = "ssub",
    Aaddu = "aaddu", Aadd = "aadd", Asubu = "asubu", Asub = "asub",
    Smul = "smul", Ssrl = "ssrl", Ssra = "ssra", Nclipu = "nclipu", Nclip = "nclip",
    // compares (mask results)
    Mseq = "mseq", Msne = "msne", Msltu = "msltu", Mslt = "mslt", Msleu = "msleu", Msle = "msle",
    Msgtu = "msgtu", Msgt = "msgt",
    // widening and narrowing
    Waddu = "waddu", Wadd = "wadd", Wsubu = "wsubu", Wsub = "wsub",
    WadduW = "waddu_w", WaddW = "wadd_w", WsubuW = "wsubu_w", WsubW = "wsub_w",
    Wmulu = "wmulu", Wmulsu = "wmulsu", Wmul = "wmul",
    Wmaccu = "wmaccu", Wmacc = "wmacc", Wmaccsu = "wmaccsu", Wmaccus = "wmaccus",
    Nsrl = "nsrl", Nsra = "nsra",
    Zext2 = "zext.vf2", Zext4 = "zext.vf4", Zext8 = "zext.vf8",
    Sext2 = "sext.vf2", Sext4 = "sext.vf4", Sext8 = "sext.vf8",
    // reductions
    Redsum = "redsum", Redand = "redand", Redor = "redor", Redxor = "redxor",
    Redminu = "redminu", Redmin = "redmin", Redmaxu = "redmaxu", Redmax = "redmax",
    Wredsumu = "wredsumu", Wredsum = "wredsum",
    // masks
    Mandn = "mandn", Mand = "mand", Mor = "mor", Mxor = "mxor", Morn = "morn", Mnand = "mnand",
    Mnor = "mnor", Mxnor = "mxnor",
    Cpop = "cpop", First = "first", Msbf = "msbf", Msof = "msof", Msif = "msif", Iota = "iota", Id = "id",
    // moves and permutations
    MvXS = "mv.x.s", MvSX = "mv.s.x", Mvr = "mvr",
    Slideup = "slideup", Slidedown = "slidedown", Slide1up = "slide1up", Slide1down = "slide1down",
    Rgather = "rgather", Rgatherei16 = "rgatherei16", Compress = "compress",
    // Zvbb (vector cryptography spec 1.0 "Zvbb"): `CpopV` is `vcpop.v`, the
    // per-element count (`Cpop` is the mask `vcpop.m`)
    Andn = "andn", Rol = "rol", Ror = "ror", Wsll = "wsll",
    Brev = "brev", Brev8 = "brev8", Rev8 = "rev8", Clz = "clz", Ctz = "ctz", CpopV = "cpop.v",
    // floating point (§31.13-31.16; everything from `Fadd` to `Fwredosum`
    // is FP, see `VOp::is_fp`): single width
    Fadd = "fadd", Fsub = "fsub", Frsub = "frsub", Fmul = "fmul", Fdiv = "fdiv", Frdiv = "frdiv",
    Fmin = "fmin", Fmax = "fmax", Fsgnj = "fsgnj", Fsgnjn = "fsgnjn", Fsgnjx = "fsgnjx",
    Fmacc = "fmacc", Fnmacc = "fnmacc", Fmsac = "fmsac", Fnmsac = "fnmsac",
    Fmadd = "fmadd", Fnmadd = "fnmadd", Fmsub = "fmsub", Fnmsub = "fnmsub",
    Fsqrt = "fsqrt", Frsqrt7 = "frsqrt7", Frec7 = "frec7", Fclass = "fclass",
    // FP widening
    Fwadd = "fwadd", Fwsub = "fwsub", FwaddW = "fwadd_w", FwsubW = "fwsub_w", Fwmul = "fwmul",
    Fwmacc = "fwmacc", Fwnmacc = "fwnmacc", Fwmsac = "fwmsac", Fwnmsac = "fwnmsac",
    // FP compares (mask results)
    Mfeq = "mfeq", Mfne = "mfne", Mflt = "mflt", Mfle = "mfle", Mfgt = "mfgt", Mfge = "mfge",
    // FP moves and slides
    Fmerge = "fmerge", FmvVF = "fmv.v.f", FmvFS = "fmv.f.s", FmvSF = "fmv.s.f",
    Fslide1up = "fslide1up", Fslide1down = "fslide1down",
    // FP conversions
    FcvtXuF = "fcvt.xu.f", FcvtXF = "fcvt.x.f", FcvtFXu = "fcvt.f.xu", FcvtFX = "fcvt.f.x",
    FcvtRtzXuF = "fcvt.rtz.xu.f", FcvtRtzXF = "fcvt.rtz.x.f",
    FwcvtXuF = "fwcvt.xu.f", FwcvtXF = "fwcvt.x.f", FwcvtFXu = "fwcvt.f.xu", FwcvtFX = "fwcvt.f.x",
    FwcvtFF = "fwcvt.f.f", FwcvtRtzXuF = "fwcvt.rtz.xu.f", FwcvtRtzXF = "fwcvt.rtz.x.f",
    FncvtXuF = "fncvt.xu.f", FncvtXF = "fncvt.x.f", FncvtFXu = "fncvt.f.xu", FncvtFX = "fncvt.f.x",
    FncvtFF = "fncvt.f.f", FncvtRodFF = "fncvt.rod.f.f", FncvtRtzXuF = "fncvt.rtz.xu.f",
    FncvtRtzXF = "fncvt.rtz.x.f",
    // FP reductions
    Fredusum = "fredusum", Fredosum = "fredosum", Fredmin = "fredmin", Fredmax = "fredmax",
    Fwredusum = "fwredusum", Fwredosum = "fwredosum",
    // Zvkned, Zvknh[ab] and Zvkg (vector cryptography spec 1.0), after the FP
    // ones so the numbers of the rest stay put: element-group instructions
    // (`crypto`, see `VOp::is_crypto`); the `.vs` forms take their round
    // key from element group 0 of `vs2`.
    AesdmVv = "aesdm.vv", AesdmVs = "aesdm.vs", AesdfVv = "aesdf.vv", AesdfVs = "aesdf.vs",
    AesemVv = "aesem.vv", AesemVs = "aesem.vs", AesefVv = "aesef.vv", AesefVs = "aesef.vs",
    AeszVs = "aesz.vs", Aeskf1 = "aeskf1", Aeskf2 = "aeskf2",
    Sha2ms = "sha2ms", Sha2ch = "sha2ch", Sha2cl = "sha2cl",
    // Zvkg.
    Ghsh = "ghsh", Gmul = "gmul",
    // Zvbc (element-wise, maskable, SEW 64 only; not `crypto`).
    Clmul = "clmul", Clmulh = "clmulh",
    // Zvksed (SM4) and Zvksh (SM3): element-group instructions again
    // (`crypto`); SM3's groups are 8 elements (EGW 256).
    Sm4k = "sm4k", Sm4rVv = "sm4r.vv", Sm4rVs = "sm4r.vs", Sm3me = "sm3me", Sm3c = "sm3c",
}

impl VOp {
    /// Whether this is a floating-point operation (it reads `frm`, may
    /// accrue `fflags`, and is illegal while `frm` holds a reserved value:
    /// V 1.0 §31.10.1).
    pub const fn is_fp(self) -> bool {
        self as u8 >= VOp::Fadd as u8 && self as u8 <= VOp::Fwredosum as u8
    }
}

impl VOp {
    /// Whether this is a vector crypto element-group instruction
    /// (`crypto`): unmasked, on element groups of 4 or 8 elements
    /// ([`crypto::egs`]), with the vector cryptography spec's constraints
    /// on SEW, `vl` and `vstart`.
    pub const fn is_crypto(self) -> bool {
        let n = self as u8;
        (n >= VOp::AesdmVv as u8 && n <= VOp::Gmul as u8) || n >= VOp::Sm4k as u8
    }
}

impl core::fmt::Display for VOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoded vector instruction, as [`Op::Vector`](crate::Op::Vector)
/// carries it (8 bytes, so ops stay small).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VInst {
    /// The operation.
    pub op: VOp,
    /// `vd` (or `vs3` of a store; `rd` of `vsetvl*`).
    pub vd: u8,
    /// `vs1` (or `rs1` of `vsetvl*`, the AVL of `vsetivli`).
    pub vs1: u8,
    /// `vs2`.
    pub vs2: u8,
    /// Bit 0: `vm` (1 = unmasked); bit 1: the first source is the scalar
    /// operand `a` (`.vx`/`.vi`/`.wx` forms) rather than `v[vs1]`; bit 2:
    /// binary16 elements are legal ([`VInst::HALF`]); bit 3: SEW 64 is legal
    /// for `vsha2*` ([`VInst::SHA512`]); bits 4..=6: `nf` of
    /// loads and stores.
    pub flags: u8,
    /// `zimm` of `vsetvli`/`vsetivli`, the element/register-count code of
    /// loads and stores, 0 otherwise.
    pub imm: i16,
}

impl VInst {
    /// Unmasked.
    pub const UNMASKED: u8 = 1;
    /// The first source is the scalar operand.
    pub const SCALAR: u8 = 2;
    /// The machine has binary16 vector elements for this instruction
    /// (every FP instruction with Zvfh, the two conversions with Zvfhmin):
    /// the lifter sets it from the guest ISA, so SEW 16 FP stays reserved
    /// on a machine without them.
    pub const HALF: u8 = 4;
    /// `vsha2*` may run at SEW 64 (SHA-512): the machine has Zvknhb, not
    /// only Zvknha (the lifter sets it from the guest ISA).
    pub const SHA512: u8 = 8;

    /// Whether the instruction is unmasked (`vm` = 1).
    pub const fn unmasked(self) -> bool {
        self.flags & Self::UNMASKED != 0
    }

    /// Whether the first source operand is the scalar `a`.
    pub const fn scalar(self) -> bool {
        self.flags & Self::SCALAR != 0
    }

    /// Whether binary16 elements are legal ([`VInst::HALF`]).
    pub const fn half(self) -> bool {
        self.flags & Self::HALF != 0
    }

    /// `nf` (segments minus one) of a load or store.
    pub const fn nf(self) -> u8 {
        (self.flags >> 4) & 7
    }

    /// The `vtype` a `vsetvli`/`vsetivli` asks for (its `zimm`); `None`
    /// for every other instruction (`vsetvl` takes it from a register).
    pub const fn vtype_imm(self) -> Option<u64> {
        match self.op {
            VOp::Setivli => Some((self.imm as u64) & 0x3ff),
            VOp::Setvli => Some((self.imm as u64) & 0x7ff),
            _ => None,
        }
    }

    /// Packs the instruction into 64 bits (how compiled code hands it to the
    /// helper).
    pub const fn pack(self) -> u64 {
        (self.op as u64)
            | (self.vd as u64) << 8
            | (self.vs1 as u64) << 16
            | (self.vs2 as u64) << 24
            | (self.flags as u64) << 32
            | (self.imm as u16 as u64) << 40
    }

    /// The inverse of [`VInst::pack`] (`None` for a bad operation number).
    pub fn unpack(bits: u64) -> Option<VInst> {
        Some(VInst {
            op: *VOp::ALL.get((bits & 0xff) as usize)?,
            vd: (bits >> 8) as u8,
            vs1: (bits >> 16) as u8,
            vs2: (bits >> 24) as u8,
            flags: (bits >> 32) as u8,
            imm: (bits >> 40) as u16 as i16,
        })
    }
}

impl core::fmt::Display for VInst {
    /// `add v1, v2, v3 m` style: operation, `vd`, `vs2`, `vs1` (or `a` for
    /// the scalar forms), then flags and `imm`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {} {} {} {:#x} {}", self.op, self.vd, self.vs2, self.vs1, self.flags, self.imm)
    }
}

/// SEW in bytes and log2(LMUL) of `vtype`, or `None` for a `vtype` ferrovm
/// does not support (`vsetvl*` then sets [`VILL`]; `vill` itself is such a
/// value).
pub fn vtype_shape(vtype: u64) -> Option<(usize, i32)> {
    exec::decode_vtype(vtype)
}

/// The `vtype` in effect after `inst`, when it is known without running
/// it (`before`: the one in effect before it, if known): `vsetvli` and
/// `vsetivli` set their immediate (or [`VILL`] when it is one ferrovm does
/// not support), `vsetvl` one from a register (unknown), every other
/// instruction leaves it alone. What lets compiled code specialize the
/// instructions after a `vsetvli` to their element width and LMUL.
pub fn vtype_after(inst: VInst, before: Option<u64>) -> Option<u64> {
    match inst.op {
        VOp::Setvl => None,
        VOp::Setvli | VOp::Setivli => {
            let vtype = inst.vtype_imm()?;
            Some(if vtype_shape(vtype).is_some() { vtype } else { VILL })
        }
        _ => before,
    }
}

/// Guest memory as the vector unit sees it: element-sized accesses that may
/// fault. The interpreter and the JIT's helper implement it over the
/// address space with its checked accessors.
pub trait VMemory {
    /// Why an access failed.
    type Fault;
    /// Loads `size` (1, 2, 4 or 8) bytes, zero-extended.
    fn load(&mut self, addr: u64, size: usize) -> Result<u64, Self::Fault>;
    /// Stores the low `size` bytes of `value`.
    fn store(&mut self, addr: u64, size: usize, value: u64) -> Result<(), Self::Fault>;
}

/// Why a vector instruction trapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VTrap<F> {
    /// An illegal instruction: `vtype.vill`, a misaligned register group,
    /// a reserved encoding (spec §31.3.4.2, §31.3.4.3).
    Illegal,
    /// A memory fault at an element; `vstart` holds its index.
    Fault(F),
}
