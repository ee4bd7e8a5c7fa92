//! `objdump -d` for RISC-V ELF64 files, line for line.
//!
//! This follows what binutils 2.40 does (`objdump.c` and
//! `opcodes/riscv-dis.c`): code sections in header order; symbols sorted per
//! section with objdump's preference rules to pick the name printed over each
//! block and after each address; runs of zero bytes shown as `...`; mapping
//! symbols (`$x<isa>`, `$d`) switching between instructions and data and
//! choosing the ISA; and the `# <address> <symbol>` comments objdump derives
//! from `auipc`/`lui` + `addi`/load/store/`jalr` pairs and from `gp`/`tp`
//! relative operands.
//!
//! For dynamically linked files it also makes objdump's synthetic
//! `<name@plt>` symbols and names GOT slots after their dynamic relocations
//! (`<puts@GLIBC_2.27>`).

use std::io::Write;

mod elf;

use self::elf::{
    BSF_DEBUGGING, BSF_FILE, BSF_FUNCTION, BSF_GLOBAL, BSF_LOCAL, BSF_OBJECT, BSF_SECTION_SYM, BSF_SYNTHETIC, ElfInfo,
    RelocSymbol, Section, Symbol,
};
use crate::decode::decode;
use crate::disasm::{Effect, Rendered, render};
use crate::error::Result;
use crate::isa::ExtSet;

/// The ISA string an ELF records in its `.riscv.attributes` section
/// (`Tag_RISCV_arch`, e.g. `rv64i2p1_m2p0_a2p1_..._zicond1p0`), if any; check
/// it with [`crate::ExtSet::check_requirements`].
pub fn elf_arch(elf: &[u8]) -> Option<String> {
    self::elf::arch_attribute(elf)
}

/// Writes the `objdump -d` listing of the RISC-V ELF64 file `elf` to `out`,
/// naming the file `elf` in the header line.
pub fn disassemble_elf(elf: &[u8], out: &mut dyn Write) -> Result<()> {
    disassemble_elf_named("elf", elf, out)
}

/// Like [`disassemble_elf`], with `name` in the header line (objdump prints
/// the path it was given: `hello:     file format elf64-littleriscv`).
pub fn disassemble_elf_named(name: &str, elf: &[u8], out: &mut dyn Write) -> Result<()> {
    let file = ElfInfo::parse(elf)?;
    let mut lister = Lister::new(&file);
    write!(out, "\n{name}:     file format elf64-littleriscv\n\n")?;
    for index in 0..file.sections.len() {
        lister.section(index, out)?;
    }
    Ok(())
}

// ---- producing the listing ------------------------------------------------------

const RISCV_GP_SYMBOL: &str = "__global_pointer$";
const UNSET: u64 = u64::MAX;

/// objdump's `DEFAULT_SKIP_ZEROES` and `DEFAULT_SKIP_ZEROES_AT_END`.
const SKIP_ZEROES: u64 = 8;
const SKIP_ZEROES_AT_END: u64 = 3;

fn is_mapping_symbol(name: &str) -> bool {
    name == "$d" || name == "$x" || name.starts_with("$xrv")
}

fn symbol_is_valid(s: &Symbol) -> bool {
    s.name != ".L0 " && !is_mapping_symbol(&s.name)
}

struct Lister<'f, 'a> {
    file: &'f ElfInfo<'a>,
    /// The symbols, sorted for the section being listed.
    syms: Vec<Symbol>,
    gp: Option<u64>,
    /// riscv-dis.c's `hi_addr`: values `lui`/`auipc` left in registers. It
    /// lives for the whole run, across functions and sections, as in objdump.
    hi: [u64; 32],
    rendered: Rendered,
    /// `bytes_per_chunk` of the last instruction (objdump reuses it when
    /// dumping object symbols).
    last_chunk: u64,
    /// Mapping symbols of the current section in sorted order: address and
    /// state from there on (`Some(isa)`: instructions, `None`: data).
    maps: Vec<(u64, Option<ExtSet>)>,
}

impl<'f, 'a> Lister<'f, 'a> {
    fn new(file: &'f ElfInfo<'a>) -> Self {
        let gp = file.symbols.iter().rev().find(|s| s.name == RISCV_GP_SYMBOL).map(|s| s.value);
        Lister {
            file,
            syms: file.symbols.clone(),
            gp,
            hi: [UNSET; 32],
            rendered: Rendered::default(),
            last_chunk: 1,
            maps: Vec::new(),
        }
    }

    fn section_name(&self, s: &Symbol) -> &str {
        match s.section.and_then(|i| self.file.sections.get(i)) {
            Some(sec) => &sec.name,
            None => "*ABS*",
        }
    }

    /// objdump's `compare_symbols` with `compare_section` = `current`.
    fn sort_symbols(&mut self, current: &str) {
        let mut syms = std::mem::take(&mut self.syms);
        syms.sort_by(|a, b| {
            use core::cmp::Ordering::*;
            let ord = a.value.cmp(&b.value);
            if ord != Equal {
                return ord;
            }
            let (asec, bsec) = (self.section_name(a) == current, self.section_name(b) == current);
            if asec != bsec {
                return if asec { Less } else { Greater };
            }
            let compiled = |s: &Symbol| s.name.contains("gnu_compiled") || s.name.contains("gcc2_compiled");
            let file_sym = |s: &Symbol| {
                s.flags & BSF_FILE != 0 || (s.name.len() > 2 && (s.name.ends_with(".o") || s.name.ends_with(".a")))
            };
            for (fa, fb) in [(compiled(a), compiled(b)), (file_sym(a), file_sym(b))] {
                if fa != fb {
                    return if fa { Greater } else { Less };
                }
            }
            for (bit, first) in [
                (BSF_DEBUGGING, false),
                (BSF_SECTION_SYM, false),
                (BSF_FUNCTION, true),
                (BSF_OBJECT, true),
                (BSF_LOCAL, false),
                (BSF_GLOBAL, true),
            ] {
                let (fa, fb) = (a.flags & bit != 0, b.flags & bit != 0);
                if fa != fb {
                    return if fa == first { Less } else { Greater };
                }
            }
            let size = |s: &Symbol| if s.flags & (BSF_SECTION_SYM | BSF_SYNTHETIC) != 0 { 0 } else { s.size };
            if size(a) != size(b) {
                return size(b).cmp(&size(a));
            }
            let (ad, bd) = (a.name.starts_with('.'), b.name.starts_with('.'));
            if ad != bd {
                return if ad { Greater } else { Less };
            }
            a.name.as_bytes().cmp(b.name.as_bytes())
        });
        self.syms = syms;
    }

    fn sym(&self, i: usize) -> Option<&Symbol> {
        self.syms.get(i)
    }

    fn value(&self, i: usize) -> u64 {
        self.sym(i).map_or(0, |s| s.value)
    }

    fn sym_ok(&self, want_section: bool, i: usize, sec: usize) -> bool {
        let Some(s) = self.sym(i) else { return false };
        (!want_section || s.section == Some(sec)) && symbol_is_valid(s)
    }

    /// objdump's `find_symbol_for_address`: the index of the symbol to name
    /// `vma` after, if any.
    fn find_symbol(&self, vma: u64, sec: usize, require_sec: bool) -> Option<usize> {
        let n = self.syms.len();
        if n == 0 {
            return None;
        }
        let (mut min, mut max) = (0, n);
        while min + 1 < max {
            let mid = (max + min) / 2;
            let v = self.value(mid);
            if v > vma {
                max = mid;
            } else if v < vma {
                min = mid;
            } else {
                min = mid;
                break;
            }
        }
        let mut place = min;
        while place > 0 && self.value(place) == self.value(place - 1) {
            place -= 1;
        }
        let mut min = place;
        while min < max && self.value(min) == self.value(place) {
            if self.sym_ok(true, min, sec) {
                return Some(min);
            }
            min += 1;
        }
        let section = self.file.sections.get(sec);
        let want = require_sec
            || (self.file.relocatable && section.is_some_and(|s| vma >= s.addr && vma < s.addr.wrapping_add(s.size)));
        if !self.sym_ok(want, place, sec) {
            let mut newplace = n;
            for i in (0..min).rev() {
                if self.sym_ok(want, i, sec) {
                    if newplace == n {
                        newplace = i;
                    }
                    if self.value(i) != self.value(newplace) {
                        break;
                    }
                    newplace = i;
                }
            }
            if newplace != n {
                place = newplace;
            } else if let Some(i) = (place + 1..n).find(|&i| self.sym_ok(want, i, sec)) {
                place = i;
            }
            if !self.sym_ok(want, place, sec) {
                return None;
            }
        }
        Some(place)
    }

    /// objdump's `objdump_print_addr_with_sym`.
    fn addr_with_sym(&self, out: &mut String, vma: u64, sym: Option<usize>, sec: usize, skip_zeroes: bool) {
        use core::fmt::Write as _;
        let _ = if skip_zeroes { write!(out, "{vma:x} ") } else { write!(out, "{vma:016x} ") };
        match sym.and_then(|i| self.sym(i)) {
            None => {
                let (name, base) = self.file.sections.get(sec).map_or(("", 0), |s| (s.name.as_str(), s.addr));
                out.push('<');
                out.push_str(name);
                let _ = match vma.cmp(&base) {
                    core::cmp::Ordering::Less => write!(out, "-0x{:x}", base - vma),
                    core::cmp::Ordering::Greater => write!(out, "+0x{:x}", vma - base),
                    core::cmp::Ordering::Equal => Ok(()),
                };
                out.push('>');
            }
            Some(s) => {
                out.push('<');
                out.push_str(&s.name);
                let _ = match s.value.cmp(&vma) {
                    core::cmp::Ordering::Greater => write!(out, "-0x{:x}", s.value - vma),
                    core::cmp::Ordering::Less => write!(out, "+0x{:x}", vma - s.value),
                    core::cmp::Ordering::Equal => Ok(()),
                };
                out.push('>');
            }
        }
    }

    /// objdump's `objdump_print_address` (used after branch targets and in
    /// `#` comments).
    fn print_address(&self, out: &mut String, vma: u64, sec: usize) {
        use core::fmt::Write as _;
        if self.syms.is_empty() {
            let _ = write!(out, "0x{vma:x}");
            return;
        }
        let place = self.find_symbol(vma, sec, false);
        if let Some(r) = place.and_then(|p| self.reloc_symbol(vma, sec, p)) {
            let _ = write!(out, "{vma:x} <{}", r.display);
            if !r.undefined && r.value != vma {
                let _ = if r.value > vma {
                    write!(out, "-0x{:x}", r.value - vma)
                } else {
                    write!(out, "+0x{:x}", vma - r.value)
                };
            }
            out.push('>');
            return;
        }
        self.addr_with_sym(out, vma, place, sec, true);
    }

    /// The tail of `find_symbol_for_address`: when `vma` is not exactly a
    /// symbol, a dynamic relocation at `vma` names it better.
    fn reloc_symbol(&self, vma: u64, sec: usize, place: usize) -> Option<&RelocSymbol> {
        let file = self.file;
        let relocs = &file.dyn_relocs;
        let section = file.sections.get(sec)?;
        let want = file.relocatable && vma >= section.addr && vma < section.addr.wrapping_add(section.size);
        let s = self.sym(place)?;
        if want || s.flags & BSF_SYNTHETIC != 0 {
            return None;
        }
        // BFD compares the section-relative `value` with the address.
        let relative = match s.section.and_then(|i| file.sections.get(i)) {
            Some(home) => s.value.wrapping_sub(home.addr),
            None => s.value,
        };
        if relative == vma || relocs.first()?.0 > vma || relocs.last()?.0 < vma {
            return None;
        }
        let i = relocs.partition_point(|r| r.0 < vma);
        relocs.get(i..)?.iter().take_while(|r| r.0 == vma).find_map(|r| r.1.as_ref())
    }

    /// objdump's `disassemble_section`.
    fn section(&mut self, sec: usize, out: &mut dyn Write) -> Result<()> {
        let file = self.file;
        let Some(section) = file.sections.get(sec) else { return Ok(()) };
        if !section.code || section.size == 0 {
            return Ok(());
        }
        let stop = section.data.len() as u64;
        self.sort_symbols(&section.name);
        self.collect_mapping_symbols(sec);
        let mut text = format!("\nDisassembly of section {}:\n", section.name);
        let mut sym = self.find_symbol(section.addr, sec, true);
        let mut place = sym.unwrap_or(0);
        let mut offset = 0u64;
        while offset < stop {
            let addr = section.addr.wrapping_add(offset);
            text.push('\n');
            self.addr_with_sym(&mut text, addr, sym, sec, false);
            text.push_str(":\n");
            let sym_value = sym.map(|i| self.value(i));
            let next = match (sym, sym_value) {
                (Some(s), Some(v)) if v > addr => Some(s),
                (None, _) => None,
                _ => {
                    let cur = sym_value.unwrap_or(0);
                    while place < self.syms.len() && !self.is_valid_next(place, section, cur) {
                        place += 1;
                    }
                    (place < self.syms.len()).then_some(place)
                }
            };
            let mut next_stop = match (sym_value, next) {
                (Some(v), _) if v > addr => v.wrapping_sub(section.addr),
                (_, None) => stop,
                (_, Some(n)) => self.value(n).wrapping_sub(section.addr),
            };
            if next_stop > stop || next_stop <= offset {
                next_stop = stop;
            }
            let insns = match sym.and_then(|i| self.sym(i)) {
                None => true,
                Some(s) => {
                    s.section != Some(sec)
                        || s.value > addr
                        || (s.flags & BSF_OBJECT == 0
                            && !s.name.contains("gnu_compiled")
                            && !s.name.contains("gcc2_compiled"))
                        || s.flags & BSF_FUNCTION != 0
                }
            };
            self.bytes(sec, insns, offset, next_stop, &mut text);
            out.write_all(text.as_bytes())?;
            text.clear();
            offset = next_stop;
            sym = next;
        }
        out.write_all(text.as_bytes())?;
        Ok(())
    }

    fn is_valid_next(&self, i: usize, section: &Section<'_>, cur: u64) -> bool {
        self.sym(i).is_some_and(|s| self.section_name(s) == section.name && s.value > cur && symbol_is_valid(s))
    }

    /// Collects the mapping symbols of section `sec` (after sorting).
    fn collect_mapping_symbols(&mut self, sec: usize) {
        let mut isa = self.file.exts;
        self.maps.clear();
        for s in &self.syms {
            if s.section != Some(sec) || !is_mapping_symbol(&s.name) {
                continue;
            }
            let state = match s.name.strip_prefix("$x") {
                Some(rest) => {
                    if let Some(e) = ExtSet::parse(rest) {
                        isa = e;
                    }
                    Some(isa)
                }
                None => None,
            };
            self.maps.push((s.value, state));
        }
    }

    /// The mapping state at `addr` (`Some(isa)` for instructions, `None`
    /// for data) and the address of the next mapping symbol, if any.
    fn mapping(&self, addr: u64) -> (Option<ExtSet>, Option<u64>) {
        let i = self.maps.partition_point(|&(v, _)| v <= addr);
        let state = match i.checked_sub(1).and_then(|j| self.maps.get(j)) {
            Some(&(_, state)) => state,
            None => Some(self.file.exts),
        };
        (state, self.maps.get(i).map(|&(v, _)| v))
    }

    /// objdump's `disassemble_bytes` for the block `[start, stop)`.
    fn bytes(&mut self, sec: usize, insns: bool, start: u64, stop: u64, text: &mut String) {
        use core::fmt::Write as _;
        let file = self.file;
        let Some(section) = file.sections.get(sec) else { return };
        let data = section.data;
        let byte = |o: u64| data.get(o as usize).copied().unwrap_or(0);
        let end_str = format!("{:016x}", section.addr.wrapping_add(section.size));
        let mut skip = end_str.bytes().take_while(|&b| b == b'0').count();
        if skip == end_str.len() && section.addr != 0 {
            skip = 0;
        }
        if skip != 0 {
            skip = (skip - 1) & !3;
        }
        let mut offset = start;
        while offset < stop {
            let zeros = (offset..stop).take_while(|&o| byte(o) == 0).count() as u64;
            if zeros >= SKIP_ZEROES || (offset + zeros == stop && zeros < SKIP_ZEROES_AT_END && zeros > 0) {
                let skipped = if offset + zeros != stop { zeros & !3 } else { zeros };
                text.push_str("\t...\n");
                offset += skipped;
                continue;
            }
            let addr = section.addr.wrapping_add(offset);
            let full = format!("{addr:016x}");
            let shown = full.get(skip..).unwrap_or(&full);
            let digits = shown.trim_start_matches('0');
            let digits = if digits.is_empty() { "0" } else { digits };
            let _ = write!(text, "{:>width$}:\t", digits, width = shown.len());

            let (octets, chunk, per_line, body) = if insns {
                let (state, next_map) = self.mapping(addr);
                match state {
                    Some(isa) => match self.instruction(sec, isa, addr, offset, stop) {
                        Some(r) => r,
                        None => {
                            let _ = write!(text, "Address 0x{addr:016x} is out of bounds.\n\n");
                            break;
                        }
                    },
                    None => {
                        let mut len = 4u64;
                        let limit = next_map.unwrap_or(section.addr.wrapping_add(section.size));
                        len = len.min(limit.wrapping_sub(addr));
                        if len == 3 {
                            len = 2;
                        }
                        if offset + len > stop || len == 0 {
                            let _ = write!(text, "Address 0x{addr:016x} is out of bounds.\n\n");
                            break;
                        }
                        let mut v = 0u64;
                        for k in (0..len).rev() {
                            v = (v << 8) | u64::from(byte(offset + k));
                        }
                        let body = match len {
                            1 => format!(".byte\t0x{v:02x}"),
                            2 => format!(".short\t0x{v:04x}"),
                            _ => format!(".word\t0x{v:08x}"),
                        };
                        (len, len, if len == 1 { 6 } else { 8 }, body)
                    }
                }
            } else {
                let octets = 16.min(stop - offset);
                let ascii: String = (offset..offset + octets)
                    .map(|o| {
                        let b = byte(o);
                        if (0x20..0x7f).contains(&b) { b as char } else { '.' }
                    })
                    .collect();
                (octets, self.last_chunk, 16, ascii)
            };
            if insns {
                self.last_chunk = chunk;
            }
            // The raw bytes, `chunk` bytes at a time, little-endian.
            let shown_bytes = octets.min(per_line);
            let mut j = 0;
            while j < shown_bytes {
                if offset + j + chunk <= stop {
                    for k in (0..chunk).rev() {
                        let _ = write!(text, "{:02x}", byte(offset + j + k));
                    }
                }
                text.push(' ');
                j += chunk;
            }
            let mut pb = shown_bytes;
            while pb < per_line {
                for _ in 0..chunk {
                    text.push_str("  ");
                }
                text.push(' ');
                pb += chunk;
            }
            text.push_str(if insns { "\t" } else { "    " });
            text.push_str(&body);
            let mut pb = shown_bytes;
            while pb < octets {
                text.push('\n');
                let a = format!("{:016x}", addr.wrapping_add(pb));
                let shown = a.get(skip..).unwrap_or(&a);
                let digits = shown.trim_start_matches('0');
                let _ =
                    write!(text, "{:>width$}:\t", if digits.is_empty() { "0" } else { digits }, width = shown.len());
                let end = (pb + per_line).min(octets);
                let mut j = pb;
                while j < end {
                    if offset + j + chunk <= stop {
                        for k in (0..chunk).rev() {
                            let _ = write!(text, "{:02x}", byte(offset + j + k));
                        }
                    }
                    text.push(' ');
                    j += chunk;
                }
                pb = end;
            }
            text.push('\n');
            offset += octets;
        }
    }

    /// Disassembles the instruction at `offset` of section `sec`: returns
    /// (length, bytes per chunk, bytes per line, text), or `None` if it runs
    /// past `stop`.
    fn instruction(
        &mut self,
        sec: usize,
        isa: ExtSet,
        addr: u64,
        offset: u64,
        stop: u64,
    ) -> Option<(u64, u64, u64, String)> {
        let file = self.file;
        let data = file.sections.get(sec)?.data;
        let at = |o: u64| data.get((offset + o) as usize).copied();
        if offset + 2 > stop {
            return None;
        }
        let half = u16::from_le_bytes([at(0)?, at(1)?]);
        let len = insn_length(half);
        if offset + len > stop {
            return None;
        }
        let mut word = 0u64;
        for k in (0..len.min(8)).rev() {
            word = (word << 8) | u64::from(at(k)?);
        }
        let chunk = if len.is_multiple_of(4) { 4 } else { 2 };
        let mut text = String::new();
        if len > 4 {
            if len == 8 {
                text = format!(".8byte\t0x{word:x}");
            } else {
                let bytes: Vec<String> = (0..len).map(|k| format!("0x{:02x}", at(k).unwrap_or(0))).collect();
                text = format!(".byte\t{}", bytes.join(", "));
            }
            return Some((len, chunk, 8, text));
        }
        let raw = word as u32;
        let inst = decode(raw);
        let mut rendered = std::mem::take(&mut self.rendered);
        render(&inst, Some(raw), addr, isa, file.spec, &mut rendered);
        text.push_str(&rendered.text);
        if let Some((at, target)) = rendered.target {
            // The printed target is `{target:x}`; objdump adds `<symbol>`.
            text.truncate(at);
            self.print_address(&mut text, target, sec);
        }
        if let Some(comment) = self.track(&rendered.effects) {
            text.push_str(" # ");
            self.print_address(&mut text, comment, sec);
        }
        self.rendered = rendered;
        Some((len, chunk, 8, text))
    }

    /// riscv-dis.c's `maybe_print_address` bookkeeping: returns the address
    /// to print in a `#` comment, if any.
    fn track(&mut self, effects: &[Effect]) -> Option<u64> {
        let mut shown = None;
        for &e in effects {
            match e {
                Effect::SetHi { rd, value } => {
                    if let Some(h) = self.hi.get_mut(usize::from(rd)) {
                        *h = value;
                    }
                }
                Effect::Use { base, offset, wide } => {
                    let hi = self.hi.get(usize::from(base)).copied().unwrap_or(UNSET);
                    let addr = if hi != UNSET {
                        if let Some(h) = self.hi.get_mut(usize::from(base)) {
                            *h = UNSET;
                        }
                        (if base != 0 { hi } else { 0 }).wrapping_add(offset as u64)
                    } else if base == 3 && self.gp.is_some() {
                        self.gp.unwrap_or(0).wrapping_add(offset as u64)
                    } else if base == 4 || base == 0 {
                        offset as u64
                    } else {
                        continue;
                    };
                    shown = Some(if wide { addr as i32 as i64 as u64 } else { addr });
                }
            }
        }
        shown
    }
}

/// Instruction length from its first 16 bits (riscv_insn_length, binutils
/// 2.40: the standard 16/32/48/64-bit lengths and the 80..176-bit scheme).
fn insn_length(half: u16) -> u64 {
    let h = u64::from(half);
    if h & 3 != 3 {
        2
    } else if h & 0x1f != 0x1f {
        4
    } else if h & 0x3f == 0x1f {
        6
    } else if h & 0x7f == 0x3f {
        8
    } else if h & 0x7f == 0x7f && h & 0x7000 != 0x7000 {
        10 + ((h >> 11) & 0xe)
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn rejects_non_riscv_and_truncated_files() {
        let mut out = Vec::new();
        let e = disassemble_elf(b"\x7fELF", &mut out);
        assert!(e.is_err());
        // An ELF64 header whose section table (1 entry at 0x1000) is missing.
        let header = |machine: u8| {
            let mut h = b"\x7fELF\x02\x01\x01".to_vec();
            h.resize(18, 0);
            h.push(machine);
            h.resize(0x28, 0);
            h.extend_from_slice(&0x1000u64.to_le_bytes()); // e_shoff
            h.resize(0x3a, 0);
            h.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
            h.extend_from_slice(&1u16.to_le_bytes()); // e_shnum
            h.resize(64, 0);
            h
        };
        let e = disassemble_elf(&header(62), &mut out); // x86-64
        assert!(matches!(e, Err(Error::NotRiscv64 { machine: 62, .. })), "{e:?}");
        let e = disassemble_elf(&header(243), &mut out); // RISC-V, truncated
        assert!(e.is_err(), "{e:?}");
    }

    #[test]
    fn instruction_lengths() {
        assert_eq!(insn_length(0x4501), 2);
        assert_eq!(insn_length(0x0513), 4);
        assert_eq!(insn_length(0x001f), 6);
        assert_eq!(insn_length(0x003f), 8);
    }
}
