//! ISA sets: which extensions a machine has or a program needs.
//!
//! An [`ExtSet`] is what an ISA string names (`rv64imafdc_zba_zicond`), what a
//! profile mandates ([`ExtSet::RVA23U64`]...), and what the disassembler and
//! the lifter are told to accept. [`ExtSet::allows`] is the one rule for
//! whether an instruction belongs to a set, including the extensions that
//! share instructions with others (Zmmul ⊂ M, Zbkb ∩ Zbb, Zbkc ⊂ Zbc,
//! Zfhmin ⊂ Zfh, and the half-precision Zfa forms that need Zfh).
//!
//! Profiles follow the RVA profiles specification (RVA22U64 and RVA23U64,
//! "RISC-V Profiles" 1.0): the mandatory user-mode extensions that have
//! instructions or visible behaviour (RVA23U64's V, Zvbb, Zvfhmin and Zvkt
//! included), plus the optional extensions ferrovm implements (Zfh, Zbc). The `Zic*`/`Za*` "rules" of the
//! profiles (Ziccif, Ziccrse, Ziccamoa, Zicclsm, Za64rs, Zic64b) have no
//! instructions: ferrovm meets them (aligned and misaligned accesses work,
//! LR/SC reservation granule ≤ 64 bytes, 64-byte cache blocks), so an ISA
//! string naming them needs nothing more.

use crate::compressed::rvc_ext;
use crate::inst::{Ext, Inst, Opcode};

/// A set of ISA extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtSet(u64);

const fn bits(exts: &[Ext]) -> u64 {
    let mut set = 0;
    let mut rest = exts;
    while let [first, tail @ ..] = rest {
        set |= ExtSet::bit(*first);
        rest = tail;
    }
    set
}

/// What ferrovm implements and decodes: every extension.
const IMPLEMENTED: u64 = bits(Ext::ALL);

/// The vector extensions: off on the default machine, like QEMU's.
const VECTOR: u64 = bits(&[
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
]);

/// `zvkn` (vector cryptography spec 1.0, "Zvkn - NIST Algorithm Suite"):
/// shorthand for Zvkned, Zvknhb, Zvkb and Zvkt.
const ZVKN: u64 = bits(&[Ext::Zvkned, Ext::Zvknhb, Ext::Zvkb, Ext::Zvkt]);

/// `zvks` (vector cryptography spec 1.0, "Zvks - ShangMi Algorithm
/// Suite"): shorthand for Zvksed, Zvksh, Zvkb and Zvkt.
const ZVKS: u64 = bits(&[Ext::Zvksed, Ext::Zvksh, Ext::Zvkb, Ext::Zvkt]);

const RV64GC: u64 = bits(&[Ext::I, Ext::M, Ext::A, Ext::F, Ext::D, Ext::Zicsr, Ext::Zifencei, Ext::C]);

/// RVA22U64 mandatory (profiles spec §"RVA22U64 Mandatory Extensions"):
/// rv64gc, Zba, Zbb, Zbs, Zicbom, Zicbop, Zicboz, Zihintpause, Zfhmin, Zkt
/// (and Zicntr/Zihpm, the counters, which ferrovm's CSRs provide); optional
/// and implemented: Zfh.
const RVA22U64: u64 = RV64GC
    | bits(&[
        Ext::Zmmul,
        Ext::Zba,
        Ext::Zbb,
        Ext::Zbs,
        Ext::Zicbom,
        Ext::Zicbop,
        Ext::Zicboz,
        Ext::Zihintpause,
        Ext::Zfhmin,
        Ext::Zkt,
        Ext::Zfh,
    ]);

/// RVA23U64 mandatory (profiles spec §"RVA23U64 Mandatory Extensions"):
/// RVA22U64 plus V, Zvfhmin, Zvbb, Zvkt, Zihintntl, Zicond, Zimop, Zcmop,
/// Zcb, Zfa, Zawrs; optional and implemented: Zfh, Zbc.
const RVA23U64: u64 = RVA22U64
    | bits(&[
        Ext::V,
        Ext::Zvfhmin,
        Ext::Zvbb,
        Ext::Zvkt,
        Ext::Zihintntl,
        Ext::Zicond,
        Ext::Zimop,
        Ext::Zcmop,
        Ext::Zcb,
        Ext::Zfa,
        Ext::Zawrs,
        Ext::Zbc,
    ]);

/// Extension names an ISA string may carry that need nothing ferrovm lacks:
/// profile rules met by construction (see the module docs), counters,
/// subsets of implemented extensions, and supervisor/machine-level ones
/// that do not change what a user-mode program can run.
const SATISFIED: &[&str] = &[
    "zicntr",
    "zihpm",
    "ziccif",
    "ziccrse",
    "ziccamoa",
    "zicclsm",
    "za64rs",
    "za128rs",
    "zic64b",
    "zaamo",
    "zalrsc",
    "zca",
    "zcd",
    "zce",
    "zcf",
    "zkt",
    "zmmul",
    "zihintpause",
    "zihintntl",
    "zicbop",
    "zifencei",
    "zicsr",
];

/// Why an ISA string asks for more than a set has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The extension names (as the string spells them) not in the set.
    pub names: Vec<String>,
}

impl ExtSet {
    /// The empty set.
    pub const EMPTY: ExtSet = ExtSet(0);
    /// Every extension ferrovm decodes, without the hint-only extensions
    /// (`zihintpause`, `zicbop`, `zihintntl`) that only change how objdump
    /// prints `fence`/`ori`/`add` encodings: the disassembler's default,
    /// which prints `pause` as the `fence w,unknown` it is, like objdump
    /// does unless an ELF declares that extension.
    pub const ALL: ExtSet =
        ExtSet(IMPLEMENTED & !bits(&[Ext::Zihintpause, Ext::Zicbop, Ext::Zihintntl, Ext::Zkt, Ext::Zvkt])).implied();
    /// Everything ferrovm executes: RVA23U64 plus Zfh, Zbc, Zbkb, Zbkc and
    /// Zbkx.
    pub const IMPLEMENTED: ExtSet = ExtSet(IMPLEMENTED).implied();
    /// The default machine: [`ExtSet::IMPLEMENTED`] without the vector
    /// extensions, as QEMU's default CPU has no vectors (`--isa rv64gcv`,
    /// `--isa rva23u64` or `-cpu rv64,v=true` turn them on).
    pub const DEFAULT: ExtSet = ExtSet(IMPLEMENTED & !VECTOR).implied();
    /// `rv64gc` (`imafd_zicsr_zifencei` + `c`), also what objdump assumes
    /// when the ELF has no ISA attribute.
    pub const RV64GC: ExtSet = ExtSet(RV64GC).implied();
    /// The RVA22U64 profile (see the module docs for what is included).
    pub const RVA22U64: ExtSet = ExtSet(RVA22U64).implied();
    /// The RVA23U64 profile.
    pub const RVA23U64: ExtSet = ExtSet(RVA23U64).implied();

    const fn bit(ext: Ext) -> u64 {
        1 << (ext as u32)
    }

    /// Whether `ext` is in the set.
    pub const fn has(self, ext: Ext) -> bool {
        self.0 & Self::bit(ext) != 0
    }

    /// Whether the compressed extension is in the set.
    pub const fn has_c(self) -> bool {
        self.has(Ext::C)
    }

    /// The set with `ext` added.
    #[must_use]
    pub const fn with(self, ext: Ext) -> ExtSet {
        ExtSet(self.0 | Self::bit(ext)).implied()
    }

    /// The set with `ext` removed.
    #[must_use]
    pub const fn without(self, ext: Ext) -> ExtSet {
        ExtSet(self.0 & !Self::bit(ext))
    }

    /// Whether every extension of `other` is in `self`.
    pub const fn contains(self, other: ExtSet) -> bool {
        other.0 & !self.0 == 0
    }

    /// The extensions in the set, in [`Ext::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Ext> {
        Ext::ALL.iter().copied().filter(move |&e| self.has(e))
    }

    /// A profile or an ISA string: `rv64gc`, `rva22u64`, `rva23u64`, `max`
    /// ([`ExtSet::IMPLEMENTED`]), or anything [`ExtSet::parse_strict`] reads.
    pub fn from_profile_or_isa(name: &str) -> Result<ExtSet, Missing> {
        match name.to_ascii_lowercase().as_str() {
            "max" => Ok(ExtSet::IMPLEMENTED),
            "rv64gc" => Ok(ExtSet::RV64GC),
            "rva22u64" => Ok(ExtSet::RVA22U64),
            "rva23u64" => Ok(ExtSet::RVA23U64),
            _ => ExtSet::parse_strict(name),
        }
    }

    /// Adds what extensions imply (`d` → `f`, `f` → `zicsr`, `zfh` →
    /// `zfhmin`, `m` → `zmmul`, the half-precision and FP extensions → `f`,
    /// `zvbb` → `zvkb`, `zvfh` → `zvfhmin` and `zfhmin`, the `zv*`
    /// extensions → `v`).
    const fn implied(self) -> ExtSet {
        let mut s = self.0;
        // Zvfh needs Zvfhmin and scalar Zfhmin (Zvfh: "depends on ... Zfhmin").
        if s & Self::bit(Ext::Zvfh) != 0 {
            s |= Self::bit(Ext::Zvfhmin) | Self::bit(Ext::Zfhmin);
        }
        if s & Self::bit(Ext::Zfh) != 0 {
            s |= Self::bit(Ext::Zfhmin);
        }
        if s & (Self::bit(Ext::D) | Self::bit(Ext::Zfhmin) | Self::bit(Ext::Zfa)) != 0 {
            s |= Self::bit(Ext::F);
        }
        if s & Self::bit(Ext::F) != 0 {
            s |= Self::bit(Ext::Zicsr);
        }
        if s & Self::bit(Ext::M) != 0 {
            s |= Self::bit(Ext::Zmmul);
        }
        if s & Self::bit(Ext::Zvbb) != 0 {
            s |= Self::bit(Ext::Zvkb);
        }
        // Every Zv* extension is built on a vector unit (Zve32x at least).
        if s & VECTOR != 0 {
            s |= Self::bit(Ext::V);
        }
        ExtSet(s)
    }

    /// Parses an ISA string the way objdump reads `Tag_RISCV_arch` and
    /// `$x<isa>` mapping symbols: `rv64` + single-letter extensions (with
    /// optional `2p1`-style versions) + `_`-separated multi-letter ones.
    /// Implied extensions are added (`g` = `imafd_zicsr_zifencei`, `d` → `f`,
    /// `f` → `zicsr`, `i` older than 2.1 → `zicsr_zifencei`). Names it does
    /// not know are ignored.
    pub fn parse(isa: &str) -> Option<ExtSet> {
        Self::parse_parts(isa).map(|(set, _)| set)
    }

    /// [`ExtSet::parse`], but a name that is neither known nor one that needs
    /// nothing ([`SATISFIED`]: profile rules, counters, supervisor-level
    /// extensions) is an error, as is a string that is not `rv64...`.
    pub fn parse_strict(isa: &str) -> Result<ExtSet, Missing> {
        match Self::parse_parts(isa) {
            Some((set, unknown)) if unknown.is_empty() => Ok(set),
            Some((_, names)) => Err(Missing { names }),
            None => Err(Missing { names: vec![isa.to_owned()] }),
        }
    }

    /// What an ELF's `Tag_RISCV_arch` string asks that `self` lacks: the
    /// names of the missing extensions (unknown ones included), in string
    /// order. `Ok(())` when `self` has all of it.
    pub fn check_requirements(self, isa: &str) -> Result<(), Missing> {
        let (need, mut names) = Self::parse_parts(isa).ok_or_else(|| Missing { names: vec![isa.to_owned()] })?;
        // Zfh programs run on Zfh; a Zfhmin one on either (implied() added it).
        for e in need.iter() {
            if !self.has(e) {
                names.push(e.name().to_owned());
            }
        }
        if names.is_empty() { Ok(()) } else { Err(Missing { names }) }
    }

    /// The set named by `isa` and the names it did not know.
    fn parse_parts(isa: &str) -> Option<(ExtSet, Vec<String>)> {
        let lower = isa.to_ascii_lowercase();
        let rest = lower.strip_prefix("rv64").or_else(|| lower.strip_prefix("rv32"))?;
        let mut set = 0u64;
        let mut unknown = Vec::new();
        for part in rest.split('_').filter(|p| !p.is_empty()) {
            if part.starts_with(['z', 's', 'x', 'h']) {
                let name = strip_version(part);
                let known = match name {
                    "zk" | "zkn" => bits(&[Ext::Zbkb, Ext::Zbkc, Ext::Zbkx, Ext::Zkt]) | 1 << 63,
                    "zvkn" => ZVKN,
                    "zvkng" => ZVKN | Self::bit(Ext::Zvkg),
                    "zvknc" => ZVKN | Self::bit(Ext::Zvbc),
                    "zvks" => ZVKS,
                    "zvksc" => ZVKS | Self::bit(Ext::Zvbc),
                    "zvksg" => ZVKS | Self::bit(Ext::Zvkg),
                    // The embedded vector subsets and VLEN guarantees: V
                    // covers them (VLEN >= 128 unless --vlen 64 says otherwise).
                    _ if name.starts_with("zve") || name.starts_with("zvl") => Self::bit(Ext::V),
                    // Supervisor-, machine- and hypervisor-level extensions
                    // change nothing a user-mode program can run.
                    _ if name.starts_with(['s', 'h']) => 0,
                    _ => match Ext::from_name(name) {
                        Some(e) => Self::bit(e),
                        None if SATISFIED.contains(&name) => 0,
                        None => {
                            unknown.push(name.to_owned());
                            0
                        }
                    },
                };
                if known & 1 << 63 != 0 {
                    // zkn/zk also need the scalar AES/SHA instructions, which
                    // ferrovm lacks.
                    unknown.push(name.to_owned());
                }
                set |= known & !(1 << 63);
                match name {
                    "zca" | "zcd" => set |= Self::bit(Ext::C),
                    "zmmul" => set |= Self::bit(Ext::Zmmul),
                    _ => {}
                }
                continue;
            }
            let (letters, odd) = Self::parse_single_letters(part);
            set |= letters;
            unknown.extend(odd.into_iter().map(String::from));
        }
        Some((ExtSet(set).implied(), unknown))
    }

    /// Single-letter extensions with optional versions: `i2p1m2p0ac`; the
    /// letters it does not know come back separately.
    fn parse_single_letters(part: &str) -> (u64, Vec<char>) {
        let mut set = 0;
        let mut odd = Vec::new();
        let mut chars = part.chars().peekable();
        while let Some(c) = chars.next() {
            let mut version = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || d == 'p' {
                    version.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            match c {
                'i' | 'e' => {
                    set |= Self::bit(Ext::I);
                    // Before version 2.1, I included Zicsr and Zifencei.
                    let major_minor = version.split_once('p').unwrap_or((version.as_str(), "0"));
                    if !version.is_empty() && major_minor < ("2", "1") {
                        set |= Self::bit(Ext::Zicsr) | Self::bit(Ext::Zifencei);
                    }
                }
                'g' => set |= RV64GC & !Self::bit(Ext::C),
                'm' => set |= Self::bit(Ext::M),
                'a' => set |= Self::bit(Ext::A),
                'f' => set |= Self::bit(Ext::F),
                'd' => set |= Self::bit(Ext::D),
                'c' => set |= Self::bit(Ext::C),
                'b' => set |= bits(&[Ext::Zba, Ext::Zbb, Ext::Zbs]),
                'v' => set |= Self::bit(Ext::V),
                // The hypervisor extension: nothing for user mode.
                'h' => {}
                other => odd.push(other),
            }
        }
        (set, odd)
    }

    /// Whether `inst` (with raw bits `raw` when it is 16-bit: they tell the
    /// Zcb/Zcmop encodings apart) belongs to this set.
    pub fn allows(self, inst: &Inst, raw: u32) -> bool {
        use Opcode::*;
        let ext = inst.op.ext();
        let op_ok = self.has(ext)
            || match ext {
                Ext::M => self.has(Ext::Zmmul) && matches!(inst.op, Mul | Mulh | Mulhsu | Mulhu | Mulw),
                Ext::Zbb => {
                    self.has(Ext::Zbkb)
                        && matches!(inst.op, Rol | Ror | Rori | Rolw | Rorw | Roriw | Andn | Orn | Xnor | Rev8 | ZextH)
                }
                Ext::Zbc => self.has(Ext::Zbkc) && matches!(inst.op, Clmul | Clmulh),
                Ext::Zfhmin => self.has(Ext::Zfh),
                // Zvknhb is Zvknha's instructions with SEW 64 as well.
                Ext::Zvknha => self.has(Ext::Zvknhb),
                Ext::Zvbb => {
                    self.has(Ext::Zvkb)
                        && matches!(
                            inst.op,
                            VandnVv | VandnVx | Vbrev8V | Vrev8V | VrolVv | VrolVx | VrorVv | VrorVx | VrorVi
                        )
                }
                _ => false,
            };
        // The half-precision Zfa forms exist only with Zfh (Zfa §"fli.h...").
        let half_zfa = matches!(inst.op, FliH | FminmH | FmaxmH | FroundH | FroundnxH | FleqH | FltqH);
        let extra_ok = !half_zfa || self.has(Ext::Zfh);
        let rvc_ok = inst.len != 2 || {
            let e = rvc_ext(raw as u16);
            self.has(Ext::C) && (e == Ext::C || self.has(e))
        };
        op_ok && extra_ok && rvc_ok
    }

    /// Whether objdump would disassemble `inst` under this ISA. Without the
    /// raw bits a 16-bit instruction counts as plain C.
    pub(crate) fn accepts(self, inst: &Inst, raw: Option<u32>) -> bool {
        let raw = raw.unwrap_or(if inst.len == 2 { 0x0001 } else { 0 });
        self.allows(inst, raw)
    }
}

/// `zicbop1p0` → `zicbop`, `zba1` → `zba`: drops a trailing
/// `<major>[p<minor>]` version (a name itself may end in `p`).
fn strip_version(part: &str) -> &str {
    let no_minor = part.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = match no_minor.strip_suffix('p') {
        Some(before) if no_minor.len() < part.len() && before.ends_with(|c: char| c.is_ascii_digit()) => before,
        _ => no_minor,
    };
    base.trim_end_matches(|c: char| c.is_ascii_digit())
}

impl core::fmt::Display for ExtSet {
    /// The canonical ISA string: `rv64imafdc_zicsr_zifencei_zba...`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("rv64")?;
        for e in self.iter().filter(|e| e.name().len() == 1) {
            f.write_str(e.name())?;
        }
        for e in self.iter().filter(|e| e.name().len() > 1) {
            write!(f, "_{}", e.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode;

    #[test]
    fn parses_isa_strings() {
        let hello = "rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zicsr2p0_zifencei2p0_zmmul1p0";
        let e = ExtSet::parse(hello);
        assert!(e.is_some_and(|e| e.has(Ext::D) && e.has_c() && !e.has(Ext::Zba)));
        let e = ExtSet::parse("rv64i2p0_m2p0");
        assert!(e.is_some_and(|e| e.has(Ext::Zicsr) && e.has(Ext::Zifencei)));
        assert_eq!(ExtSet::parse("rv64gc"), Some(ExtSet::RV64GC));
        assert_eq!(ExtSet::parse("x86"), None);
    }

    #[test]
    fn versions_are_stripped() {
        assert_eq!(strip_version("zicbop1p0"), "zicbop");
        assert_eq!(strip_version("zicbop"), "zicbop");
        assert_eq!(strip_version("zba1"), "zba");
        assert_eq!(strip_version("zvl128b1p0"), "zvl128b");
    }

    #[test]
    fn profiles_nest() {
        assert!(ExtSet::RVA22U64.contains(ExtSet::RV64GC));
        assert!(ExtSet::RVA23U64.contains(ExtSet::RVA22U64));
        assert!(ExtSet::IMPLEMENTED.contains(ExtSet::RVA23U64));
        assert!(ExtSet::IMPLEMENTED.has(Ext::V) && !ExtSet::DEFAULT.has(Ext::V));
        assert!(ExtSet::RVA23U64.has(Ext::Zicond) && !ExtSet::RVA22U64.has(Ext::Zicond));
    }

    #[test]
    fn requirements_name_what_is_missing() {
        let rva23 = "rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_v1p0_zic64b1p0_zicbom1p0_zicbop1p0_zicboz1p0_\
                     ziccamoa1p0_ziccif1p0_zicclsm1p0_ziccrse1p0_zicntr2p0_zicond1p0_zicsr2p0_zifencei2p0_\
                     zihintntl1p0_zihintpause2p0_zihpm2p0_zimop1p0_zmmul1p0_za64rs1p0_zaamo1p0_zalrsc1p0_\
                     zawrs1p0_zfa1p0_zfhmin1p0_zca1p0_zcb1p0_zcd1p0_zcmop1p0_zba1p0_zbb1p0_zbs1p0_zkt1p0_\
                     zvbb1p0_zve32f1p0_zve64d1p0_zvl128b1p0_supm1p0";
        assert_eq!(ExtSet::RVA23U64.check_requirements(rva23), Ok(()));
        assert_eq!(ExtSet::RVA23U64.check_requirements(&format!("{rva23}_zvfhmin1p0_zvkt1p0_zvkb1p0")), Ok(()));
        let err = ExtSet::RVA22U64.check_requirements(rva23).map_err(|m| m.names);
        assert!(err.is_err_and(|n| n.contains(&"v".to_owned()) && n.contains(&"zvbb".to_owned())));
        // Every vector crypto extension is implemented; an unknown one is
        // named, not ignored.
        assert_eq!(ExtSet::IMPLEMENTED.check_requirements("rv64gcv_zvkned1p0_zvknha1p0_zvkn1p0"), Ok(()));
        assert_eq!(ExtSet::IMPLEMENTED.check_requirements("rv64gcv_zvkned1p0_zvkg1p0_zvkng1p0"), Ok(()));
        assert_eq!(ExtSet::IMPLEMENTED.check_requirements("rv64gcv_zvbc1p0_zvknc1p0"), Ok(()));
        let all_sm = "rv64gcv_zvksed1p0_zvksh1p0_zvks1p0_zvksc1p0_zvksg1p0";
        assert_eq!(ExtSet::IMPLEMENTED.check_requirements(all_sm), Ok(()));
        let err = ExtSet::IMPLEMENTED.check_requirements("rv64gcv_zvbc1p0_zvkx1p0").map_err(|m| m.names);
        assert_eq!(err, Err(vec!["zvkx".to_owned()]));
        let err = ExtSet::RVA23U64.check_requirements("rv64gcv_zvbc1p0_zvksh1p0").map_err(|m| m.names);
        assert_eq!(err, Err(vec!["zvbc".to_owned(), "zvksh".to_owned()]));
        let err = ExtSet::RVA23U64.check_requirements("rv64gcv_zvkned1p0").map_err(|m| m.names);
        assert_eq!(err, Err(vec!["zvkned".to_owned()]));
        assert_eq!(
            ExtSet::DEFAULT.check_requirements("rv64gc_zvbb"),
            Err(Missing { names: vec!["v".into(), "zvbb".into(), "zvkb".into()] })
        );
        let without_v = rva23.replace("_v1p0", "").replace("_zvbb1p0_zve32f1p0_zve64d1p0_zvl128b1p0", "");
        assert_eq!(ExtSet::RVA23U64.check_requirements(&without_v), Ok(()));
        let err = ExtSet::RV64GC.check_requirements(&without_v).map_err(|m| m.names);
        assert!(err.is_err_and(|n| n.contains(&"zicond".to_owned()) && n.contains(&"zcb".to_owned())));
        assert!(ExtSet::RVA23U64.check_requirements("rv64gc_xtheadba").is_err());
        assert!(ExtSet::RVA23U64.check_requirements("rv64gcq").is_err());
    }

    #[test]
    fn allows_follows_the_profiles() {
        let czero = decode(0x0eb5_5533); // czero.eqz a0,a0,a1
        assert!(ExtSet::RVA23U64.allows(&czero, 0x0eb5_5533));
        assert!(!ExtSet::RVA22U64.allows(&czero, 0x0eb5_5533));
        let zext_b = decode(0x9c61); // c.zext.b s0 (Zcb)
        assert!(ExtSet::RVA23U64.allows(&zext_b, 0x9c61));
        assert!(!ExtSet::RVA22U64.allows(&zext_b, 0x9c61));
        let andi = decode(0x0ff4_7413); // andi s0,s0,255 (same expansion, 32-bit)
        assert!(ExtSet::RV64GC.allows(&andi, 0x0ff4_7413));
        let ror = decode(0x60c5_d533); // ror a0,a1,a2: Zbb and Zbkb
        assert!(ExtSet::RV64GC.with(Ext::Zbkb).allows(&ror, 0));
        assert!(!ExtSet::RV64GC.allows(&ror, 0));
    }

    #[test]
    fn vector_crypto_follows_its_extensions() {
        let vaesef = decode(0xa291_a577); // vaesef.vv v10,v9
        let vsha2ms = decode(0xb694_2577); // vsha2ms.vv v10,v9,v8
        let rv64gcv = ExtSet::RV64GC.with(Ext::V);
        assert!(!rv64gcv.allows(&vaesef, 0) && !rv64gcv.allows(&vsha2ms, 0));
        assert!(!ExtSet::RVA23U64.allows(&vaesef, 0) && !ExtSet::DEFAULT.allows(&vaesef, 0));
        assert!(rv64gcv.with(Ext::Zvkned).allows(&vaesef, 0));
        assert!(rv64gcv.with(Ext::Zvknha).allows(&vsha2ms, 0) && rv64gcv.with(Ext::Zvknhb).allows(&vsha2ms, 0));
        assert!(ExtSet::IMPLEMENTED.allows(&vaesef, 0) && ExtSet::IMPLEMENTED.allows(&vsha2ms, 0));
        let zvkn = ExtSet::from_profile_or_isa("rv64gc_zvkn").ok();
        assert!(zvkn.is_some_and(|s| {
            s.has(Ext::V) && s.has(Ext::Zvkned) && s.has(Ext::Zvknhb) && s.has(Ext::Zvkb) && !s.has(Ext::Zvbb)
        }));
        // Zvbc: its own extension, in zvknc and max, not in RVA23U64.
        let vclmul = decode(0x3294_2557); // vclmul.vv v10,v9,v8
        let vclmulh_vx = decode(0x3695_6557); // vclmulh.vx v10,v9,a0
        assert!(!rv64gcv.allows(&vclmul, 0) && !ExtSet::RVA23U64.allows(&vclmulh_vx, 0));
        assert!(rv64gcv.with(Ext::Zvbc).allows(&vclmul, 0) && rv64gcv.with(Ext::Zvbc).allows(&vclmulh_vx, 0));
        assert!(ExtSet::IMPLEMENTED.allows(&vclmul, 0) && !rv64gcv.with(Ext::Zbc).allows(&vclmul, 0));
        let zvknc = ExtSet::from_profile_or_isa("rv64gc_zvknc").ok();
        assert!(zvknc.is_some_and(|s| s.has(Ext::V) && s.has(Ext::Zvkned) && s.has(Ext::Zvbc) && !s.has(Ext::Zvkg)));
    }

    #[test]
    fn shangmi_follows_its_extensions() {
        let vsm4r = decode(0xa298_2577); // vsm4r.vv v10,v9
        let vsm3c = decode(0xae93_a577); // vsm3c.vi v10,v9,7
        let rv64gcv = ExtSet::RV64GC.with(Ext::V);
        assert!(!rv64gcv.allows(&vsm4r, 0) && !rv64gcv.allows(&vsm3c, 0));
        assert!(!ExtSet::RVA23U64.allows(&vsm4r, 0) && !ExtSet::DEFAULT.allows(&vsm3c, 0));
        assert!(rv64gcv.with(Ext::Zvksed).allows(&vsm4r, 0) && !rv64gcv.with(Ext::Zvksed).allows(&vsm3c, 0));
        assert!(rv64gcv.with(Ext::Zvksh).allows(&vsm3c, 0) && !rv64gcv.with(Ext::Zvksh).allows(&vsm4r, 0));
        assert!(ExtSet::IMPLEMENTED.allows(&vsm4r, 0) && ExtSet::IMPLEMENTED.allows(&vsm3c, 0));
        let set = |isa: &str| ExtSet::from_profile_or_isa(isa).ok();
        let zvks = [Ext::V, Ext::Zvksed, Ext::Zvksh, Ext::Zvkb, Ext::Zvkt];
        assert!(set("rv64gc_zvks").is_some_and(|s| {
            zvks.iter().all(|&e| s.has(e)) && !s.has(Ext::Zvbb) && !s.has(Ext::Zvbc) && !s.has(Ext::Zvkg)
        }));
        assert!(set("rv64gc_zvksc").is_some_and(|s| zvks.iter().all(|&e| s.has(e)) && s.has(Ext::Zvbc)));
        assert!(set("rv64gc_zvksg").is_some_and(|s| zvks.iter().all(|&e| s.has(e)) && s.has(Ext::Zvkg)));
        assert!(set("rv64gc_zvksg").is_some_and(|s| !s.has(Ext::Zvkned) && !s.has(Ext::Zvbc)));
    }

    #[test]
    fn zvbb_needs_zvbb_and_zvkb_has_its_subset() {
        let vandn = decode(0x0621_80d7); // vandn.vv v1,v2,v3
        let vclz = decode(0x4a26_20d7); // vclz.v v1,v2
        let rv64gcv = ExtSet::RV64GC.with(Ext::V);
        assert!(!rv64gcv.allows(&vandn, 0) && !rv64gcv.allows(&vclz, 0));
        let zvkb = rv64gcv.with(Ext::Zvkb);
        assert!(zvkb.allows(&vandn, 0) && !zvkb.allows(&vclz, 0));
        assert!(ExtSet::RVA23U64.allows(&vandn, 0) && ExtSet::RVA23U64.allows(&vclz, 0));
        assert!(!ExtSet::DEFAULT.allows(&vclz, 0) && !ExtSet::DEFAULT.has(Ext::Zvfhmin));
        assert!(ExtSet::RV64GC.with(Ext::Zvfhmin).has(Ext::V), "zv* implies v");
        let zvfh = ExtSet::RV64GC.with(Ext::Zvfh);
        assert!(zvfh.has(Ext::Zvfhmin) && zvfh.has(Ext::Zfhmin) && zvfh.has(Ext::V));
        assert!(!ExtSet::RVA23U64.has(Ext::Zvfh) && ExtSet::IMPLEMENTED.has(Ext::Zvfh));
    }

    #[test]
    fn displays_as_an_isa_string() {
        assert_eq!(ExtSet::RV64GC.to_string(), "rv64imafdc_zicsr_zifencei_zmmul");
    }
}
