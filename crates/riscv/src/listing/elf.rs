//! Reading what the listing needs from an ELF file: sections, symbols with
//! the flags BFD would give them, the ISA and privileged-spec attributes,
//! and (for dynamically linked files) dynamic relocations, symbol versions
//! and objdump's synthetic `<name@plt>` symbols.

use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};

use crate::disasm::PrivSpec;
use crate::error::{Error, Result};
use crate::isa::ExtSet;

pub(super) struct Section<'a> {
    pub(super) name: String,
    pub(super) addr: u64,
    pub(super) size: u64,
    pub(super) data: &'a [u8],
    pub(super) code: bool,
}

// BFD symbol flags that objdump's choices depend on.
pub(super) const BSF_LOCAL: u32 = 1 << 0;
pub(super) const BSF_GLOBAL: u32 = 1 << 1;
pub(super) const BSF_DEBUGGING: u32 = 1 << 2;
pub(super) const BSF_FUNCTION: u32 = 1 << 3;
pub(super) const BSF_SECTION_SYM: u32 = 1 << 4;
pub(super) const BSF_OBJECT: u32 = 1 << 5;
pub(super) const BSF_FILE: u32 = 1 << 6;
pub(super) const BSF_SYNTHETIC: u32 = 1 << 7;

/// A symbol as objdump sees it (a BFD `asymbol`).
#[derive(Clone)]
pub(super) struct Symbol {
    pub(super) name: String,
    /// `bfd_asymbol_value`: the absolute address.
    pub(super) value: u64,
    pub(super) size: u64,
    /// Index into `ElfInfo::sections`; `None` for absolute symbols.
    pub(super) section: Option<usize>,
    pub(super) flags: u32,
}

/// The symbol of a dynamic relocation, printed with its version
/// (`puts@GLIBC_2.27`).
pub(super) struct RelocSymbol {
    pub(super) display: String,
    pub(super) value: u64,
    pub(super) undefined: bool,
}

pub(super) struct ElfInfo<'a> {
    pub(super) sections: Vec<Section<'a>>,
    /// Static symbols (dynamic ones if there are none), without the ones
    /// objdump drops, plus synthetic `@plt` symbols.
    pub(super) symbols: Vec<Symbol>,
    /// Dynamic relocations sorted by address, with their symbol unless it is
    /// absolute (those never name anything).
    pub(super) dyn_relocs: Vec<(u64, Option<RelocSymbol>)>,
    pub(super) relocatable: bool,
    pub(super) exts: ExtSet,
    pub(super) spec: PrivSpec,
}

impl<'a> ElfInfo<'a> {
    pub(super) fn parse(data: &'a [u8]) -> Result<ElfInfo<'a>> {
        let ident = data.get(..20).ok_or(Error::TooShort(data.len()))?;
        let (class, endian_byte) = (ident.get(4).copied(), ident.get(5).copied());
        let machine = ident.get(18..20).and_then(|m| m.try_into().ok()).map_or(0, u16::from_le_bytes);
        if class != Some(elf::ELFCLASS64) || endian_byte != Some(elf::ELFDATA2LSB) || machine != elf::EM_RISCV {
            return Err(Error::NotRiscv64 { class: class.unwrap_or(0), machine });
        }
        let header = elf::FileHeader64::<object::LittleEndian>::parse(data)?;
        let endian = header.endian()?;
        let table = header.sections(endian, data)?;
        let mut sections = Vec::new();
        let mut exts = ExtSet::RV64GC;
        let mut spec = PrivSpec::default();
        for s in table.iter() {
            let name = String::from_utf8_lossy(table.section_name(endian, s)?).into_owned();
            let nobits = s.sh_type(endian) == elf::SHT_NOBITS;
            let contents = if nobits {
                &[][..]
            } else {
                s.data(endian, data).map_err(|_| Error::Truncated { name: name.clone() })?
            };
            if s.sh_type(endian) == elf::SHT_RISCV_ATTRIBUTES {
                let attrs = riscv_attributes(contents);
                if let Some(e) = attrs.arch.as_deref().and_then(ExtSet::parse) {
                    exts = e;
                }
                if let Some(p) = attrs.priv_spec {
                    spec = p;
                }
            }
            sections.push(Section {
                name,
                addr: s.sh_addr(endian),
                size: s.sh_size(endian),
                data: contents,
                code: s.sh_flags(endian) & u64::from(elf::SHF_EXECINSTR) != 0 && !nobits,
            });
        }
        let mut symtab = table.symbols(endian, data, elf::SHT_SYMTAB)?;
        if symtab.is_empty() {
            symtab = table.symbols(endian, data, elf::SHT_DYNSYM)?;
        }
        let mut symbols = Vec::new();
        for sym in symtab.iter().skip(1) {
            let shndx = sym.st_shndx(endian);
            if shndx == elf::SHN_UNDEF || shndx == elf::SHN_COMMON {
                continue;
            }
            let section = match shndx {
                elf::SHN_ABS => None,
                n if usize::from(n) < sections.len() => Some(usize::from(n)),
                _ => None,
            };
            let flags = bfd_flags(sym.st_bind(), sym.st_type(), shndx);
            let mut name = String::from_utf8_lossy(symtab.symbol_name(endian, sym).unwrap_or(b"")).into_owned();
            if sym.st_type() == elf::STT_SECTION && name.is_empty() {
                name = section.and_then(|i| sections.get(i)).map_or_else(String::new, |s: &Section<'_>| s.name.clone());
            }
            // objdump's remove_useless_symbols().
            let significant = name.starts_with(".plt") || name.starts_with(".got");
            if name.is_empty() || (flags & (BSF_DEBUGGING | BSF_SECTION_SYM) != 0 && !significant) {
                continue;
            }
            symbols.push(Symbol { name, value: sym.st_value(endian), size: sym.st_size(endian), section, flags });
        }
        let relocatable = header.e_type(endian) == elf::ET_REL;
        let mut dyn_relocs = Vec::new();
        if !relocatable {
            read_dynamic(&table, endian, data, &sections, &mut symbols, &mut dyn_relocs)?;
        }
        Ok(ElfInfo { sections, symbols, dyn_relocs, relocatable, exts, spec })
    }
}

/// The BFD flags of an ELF symbol (`elf_slurp_symbol_table`).
/// The `Tag_RISCV_arch` string of a riscv64 ELF's `.riscv.attributes`
/// section, if the file has one (`None` for anything unparsable too).
pub(crate) fn arch_attribute(data: &[u8]) -> Option<String> {
    let header = elf::FileHeader64::<object::LittleEndian>::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let table = header.sections(endian, data).ok()?;
    let s = table.iter().find(|s| s.sh_type(endian) == elf::SHT_RISCV_ATTRIBUTES)?;
    riscv_attributes(s.data(endian, data).ok()?).arch
}

fn bfd_flags(bind: u8, kind: u8, shndx: u16) -> u32 {
    let defined = shndx != elf::SHN_UNDEF && shndx != elf::SHN_COMMON;
    let binding = match bind {
        elf::STB_LOCAL => BSF_LOCAL,
        elf::STB_GLOBAL if defined => BSF_GLOBAL,
        _ => 0,
    };
    binding
        | match kind {
            elf::STT_FUNC | elf::STT_GNU_IFUNC => BSF_FUNCTION,
            elf::STT_OBJECT => BSF_OBJECT,
            elf::STT_SECTION => BSF_SECTION_SYM | BSF_DEBUGGING,
            elf::STT_FILE => BSF_FILE | BSF_DEBUGGING,
            _ => 0,
        }
}

type Table<'a> = object::read::elf::SectionTable<'a, elf::FileHeader64<object::LittleEndian>>;
type Le = object::LittleEndian;

/// `.gnu.version*`: the version of each dynamic symbol as BFD names it
/// (`_bfd_elf_get_symbol_version_string`).
struct Versions {
    versym: Vec<u16>,
    /// Indexed by `vd_ndx - 1`: `(vd_flags, name)`.
    verdef: Vec<(u16, String)>,
    /// `(vna_other, name)`.
    verneed: Vec<(u16, String)>,
    present: bool,
}

impl Versions {
    fn read(table: &Table<'_>, endian: Le, data: &[u8]) -> Versions {
        let mut v = Versions { versym: Vec::new(), verdef: Vec::new(), verneed: Vec::new(), present: false };
        let mut has_versym = false;
        let mut has_def_or_need = false;
        for s in table.iter() {
            let Ok(bytes) = s.data(endian, data) else { continue };
            let strings = table.strings(endian, data, object::read::SectionIndex(s.sh_link(endian) as usize)).ok();
            let string = |off: u32| -> String {
                strings
                    .and_then(|t| t.get(off).ok())
                    .map_or_else(String::new, |b| String::from_utf8_lossy(b).into_owned())
            };
            let u16_at = |o: usize| bytes.get(o..o + 2).and_then(|b| b.try_into().ok()).map_or(0, u16::from_le_bytes);
            let u32_at = |o: usize| bytes.get(o..o + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_le_bytes);
            match s.sh_type(endian) {
                elf::SHT_GNU_VERSYM => {
                    has_versym = true;
                    v.versym = bytes.chunks_exact(2).map(|c| c.try_into().map_or(0, u16::from_le_bytes)).collect();
                }
                elf::SHT_GNU_VERDEF => {
                    has_def_or_need = true;
                    let mut off = 0usize;
                    for _ in 0..bytes.len() {
                        let (flags, ndx, aux, next) =
                            (u16_at(off + 2), u16_at(off + 4), u32_at(off + 12), u32_at(off + 16));
                        let name = string(u32_at(off + aux as usize));
                        let slot = usize::from(ndx).saturating_sub(1);
                        if v.verdef.len() <= slot {
                            v.verdef.resize(slot + 1, (0, String::new()));
                        }
                        if let Some(e) = v.verdef.get_mut(slot) {
                            *e = (flags, name);
                        }
                        if next == 0 {
                            break;
                        }
                        off += next as usize;
                    }
                }
                elf::SHT_GNU_VERNEED => {
                    has_def_or_need = true;
                    let mut off = 0usize;
                    for _ in 0..bytes.len() {
                        let (cnt, aux, next) = (u16_at(off + 2), u32_at(off + 8), u32_at(off + 12));
                        let mut a = off + aux as usize;
                        for _ in 0..cnt {
                            v.verneed.push((u16_at(a + 6), string(u32_at(a + 8))));
                            let anext = u32_at(a + 12);
                            if anext == 0 {
                                break;
                            }
                            a += anext as usize;
                        }
                        if next == 0 {
                            break;
                        }
                        off += next as usize;
                    }
                }
                _ => {}
            }
        }
        v.present = has_versym && has_def_or_need;
        v
    }

    /// `(version, hidden)` of dynamic symbol `index`.
    fn of(&self, index: usize) -> (String, bool) {
        if !self.present {
            return (String::new(), false);
        }
        let raw = self.versym.get(index).copied().unwrap_or(0);
        let (hidden, vernum) = (raw & 0x8000 != 0, raw & 0x7fff);
        let cverdefs = self.verdef.len();
        if vernum == 0 {
            (String::new(), hidden)
        } else if vernum == 1 && (cverdefs < 1 || self.verdef.first().is_some_and(|d| d.0 == 1)) {
            ("Base".to_string(), hidden)
        } else if usize::from(vernum) <= cverdefs {
            (self.verdef.get(usize::from(vernum) - 1).map_or_else(String::new, |d| d.1.clone()), hidden)
        } else {
            match self.verneed.iter().find(|(other, _)| *other == vernum) {
                Some((_, name)) => (name.clone(), true),
                None => ("<corrupt>".to_string(), hidden),
            }
        }
    }
}

/// Dynamic relocations (`bfd_canonicalize_dynamic_reloc`) and synthetic
/// `name@plt` symbols (`_bfd_elf_get_synthetic_symtab` with RISC-V's
/// 32-byte PLT header and 16-byte entries).
fn read_dynamic(
    table: &Table<'_>,
    endian: Le,
    data: &[u8],
    sections: &[Section<'_>],
    symbols: &mut Vec<Symbol>,
    relocs: &mut Vec<(u64, Option<RelocSymbol>)>,
) -> Result<()> {
    let Some(dynsym_index) = table.iter().position(|s| s.sh_type(endian) == elf::SHT_DYNSYM) else {
        return Ok(());
    };
    let dynsyms = table.symbols(endian, data, elf::SHT_DYNSYM)?;
    let versions = Versions::read(table, endian, data);
    let name_of = |i: usize| -> String {
        dynsyms
            .symbol(object::read::SymbolIndex(i))
            .ok()
            .and_then(|s| dynsyms.symbol_name(endian, s).ok())
            .map_or_else(String::new, |b| String::from_utf8_lossy(b).into_owned())
    };
    let plt = sections.iter().position(|s| s.name == ".plt");
    for (index, s) in table.iter().enumerate() {
        let kind = s.sh_type(endian);
        if s.sh_link(endian) as usize != dynsym_index || (kind != elf::SHT_RELA && kind != elf::SHT_REL) {
            continue;
        }
        let Ok(bytes) = s.data(endian, data) else { continue };
        let entsize = if kind == elf::SHT_RELA { 24 } else { 16 };
        let is_relplt = kind == elf::SHT_RELA && sections.get(index).is_some_and(|x| x.name == ".rela.plt");
        for (n, r) in bytes.chunks_exact(entsize).enumerate() {
            let word = |o: usize| r.get(o..o + 8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes);
            let (offset, info) = (word(0), word(8));
            let addend = if kind == elf::SHT_RELA { word(16) } else { 0 };
            let sym_index = (info >> 32) as usize;
            let sym = dynsyms.symbol(object::read::SymbolIndex(sym_index)).ok().filter(|_| sym_index != 0);
            let reloc_sym = sym.and_then(|sym| {
                let shndx = sym.st_shndx(endian);
                if shndx == elf::SHN_ABS {
                    return None;
                }
                let undefined = shndx == elf::SHN_UNDEF;
                let (version, hidden) = versions.of(sym_index);
                let mut display = name_of(sym_index);
                if !version.is_empty() {
                    display.push_str(if hidden || undefined { "@" } else { "@@" });
                    display.push_str(&version);
                }
                Some(RelocSymbol { display, value: sym.st_value(endian), undefined })
            });
            relocs.push((offset, reloc_sym));
            if let (true, Some(plt_index), Some(plt)) = (is_relplt, plt, plt.and_then(|p| sections.get(p))) {
                let mut name = if sym_index == 0 { "*ABS*".to_string() } else { name_of(sym_index) };
                if addend != 0 {
                    name.push_str(&format!("+0x{addend:x}"));
                }
                name.push_str("@plt");
                let mut flags = sym.map_or(0, |s| bfd_flags(s.st_bind(), s.st_type(), s.st_shndx(endian)));
                if flags & BSF_LOCAL == 0 {
                    flags |= BSF_GLOBAL;
                }
                symbols.push(Symbol {
                    name,
                    value: plt.addr.wrapping_add(32 + 16 * n as u64),
                    size: 0,
                    section: Some(plt_index),
                    flags: flags | BSF_SYNTHETIC,
                });
            }
        }
    }
    relocs.sort_by_key(|r| r.0);
    Ok(())
}

#[derive(Default)]
pub(super) struct RiscvAttributes {
    arch: Option<String>,
    priv_spec: Option<PrivSpec>,
}

/// Reads `Tag_RISCV_arch` and the privileged-spec version from a
/// `.riscv.attributes` section (ELF build attributes: `'A'`, then
/// subsections of `len:u32 vendor\0 (tag:u8 len:u32 attributes...)*`; in the
/// `riscv` vendor odd tags carry strings and even tags ULEB128 integers).
fn riscv_attributes(data: &[u8]) -> RiscvAttributes {
    let mut attrs = RiscvAttributes::default();
    let (mut major, mut minor, mut revision) = (0, 0, 0);
    let Some((&b'A', mut rest)) = data.split_first() else { return attrs };
    while rest.len() >= 4 {
        let len = read_u32(rest).unwrap_or(0) as usize;
        let Some(sub) = rest.get(4..len.max(4)) else { break };
        rest = rest.get(len.max(4)..).unwrap_or(&[]);
        let Some(nul) = sub.iter().position(|&b| b == 0) else { continue };
        if sub.get(..nul) != Some(b"riscv".as_slice()) {
            continue;
        }
        let mut subs = sub.get(nul + 1..).unwrap_or(&[]);
        while let Some((&tag, after)) = subs.split_first() {
            let size = read_u32(after).unwrap_or(0) as usize;
            let Some(body) = subs.get(5..size.max(5)) else { break };
            subs = subs.get(size.max(5)..).unwrap_or(&[]);
            if tag != 1 {
                continue; // only file-scope attributes matter
            }
            let mut p = body;
            while !p.is_empty() {
                let (tag, n) = uleb128(p);
                p = p.get(n..).unwrap_or(&[]);
                if tag % 2 == 1 {
                    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
                    let s = String::from_utf8_lossy(p.get(..end).unwrap_or(&[])).into_owned();
                    p = p.get(end + 1..).unwrap_or(&[]);
                    if tag == 5 {
                        attrs.arch = Some(s);
                    }
                } else {
                    let (v, n) = uleb128(p);
                    p = p.get(n..).unwrap_or(&[]);
                    match tag {
                        8 => major = v,
                        10 => minor = v,
                        12 => revision = v,
                        _ => {}
                    }
                }
            }
        }
    }
    attrs.priv_spec = PrivSpec::from_numbers(major, minor, revision);
    attrs
}

fn read_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(..4)?.try_into().ok()?))
}

/// Decodes a ULEB128 number; returns it and the bytes consumed (at least 1).
fn uleb128(b: &[u8]) -> (u64, usize) {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate() {
        if i < 10 {
            v |= u64::from(byte & 0x7f) << (7 * i);
        }
        if byte & 0x80 == 0 {
            return (v, i + 1);
        }
    }
    (v, b.len().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uleb128_reads_multi_byte_numbers() {
        assert_eq!(uleb128(&[0xe5, 0x8e, 0x26]), (624_485, 3));
        assert_eq!(uleb128(&[5]), (5, 1));
    }
}
