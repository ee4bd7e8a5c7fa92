//! Loading riscv64 ELF executables into guest memory.
//!
//! The headers are read with the `object` crate; every field the loader
//! uses is checked before use, so a malformed file gives a one-line
//! [`Error::BadElf`] and never a panic or a host fault.

use std::os::fd::BorrowedFd;
use std::path::Path;

use ferrovm_mem::{AddressSpace, GUEST_LIMIT, PAGE_SIZE, Perms};

use object::elf::{self, FileHeader64};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, LittleEndian};

use crate::error::{Error, Result};

/// Where position-independent executables are placed (Linux's
/// `ELF_ET_DYN_BASE` for riscv64: two thirds of the Sv39 user space).
pub const PIE_BASE: u64 = 0x2a_aaaa_a000;

/// Largest size the loader accepts for one segment.
const MAX_SEGMENT: u64 = 1 << 34;

/// What the loader learned, for the initial stack and `brk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedElf {
    /// Entry point (relocated).
    pub entry: u64,
    /// Guest address of the program headers (`AT_PHDR`).
    pub phdr: u64,
    /// Number of program headers (`AT_PHNUM`).
    pub phnum: u64,
    /// Size of one program header (`AT_PHENT`).
    pub phent: u64,
    /// Load bias (0 for `ET_EXEC`).
    pub bias: u64,
    /// First address past the highest segment: the initial program break.
    pub end: u64,
    /// Lowest mapped address.
    pub start: u64,
    /// The `PT_INTERP` path, for dynamically linked programs.
    pub interp: Option<Vec<u8>>,
}

struct Reader<'a> {
    data: &'a [u8],
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn bad<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(Error::BadElf { path: self.path.to_path_buf(), message: message.into() })
    }

    fn bytes(&self, off: u64, len: u64, what: &str) -> Result<&'a [u8]> {
        let end = off.checked_add(len);
        match end.and_then(|end| self.data.get(usize::try_from(off).ok()?..usize::try_from(end).ok()?)) {
            Some(b) => Ok(b),
            None => self.bad(format!("{what} lies outside the file (offset {off:#x}, size {len:#x})")),
        }
    }
}

#[derive(Clone, Copy)]
struct Segment {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
    perms: Perms,
}

fn page_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

fn page_up(x: u64) -> Option<u64> {
    Some(x.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// Maps segment `s` (checked: its file bytes lie inside the file, its
/// address and offset agree modulo the page size, its pages are its own)
/// from the file `fd`: its file pages copy-on-write, the rest of the last
/// one zeroed if the segment goes on past its file bytes (`.bss`), as
/// Linux's loader does, then fresh zero pages up to its end. Readable
/// for now; the caller sets the exact permissions. An error leaves the
/// range for the caller to map another way.
fn map_from_file(mem: &AddressSpace, s: &Segment, fd: BorrowedFd<'_>, name: &str) -> Result<()> {
    let start = page_down(s.vaddr);
    let file_end = s.vaddr + s.filesz;
    let (Some(file_pages), Some(end)) = (page_up(file_end), page_up(s.vaddr + s.memsz)) else {
        return Err(Error::BadElf { path: name.into(), message: "segment end overflows".into() });
    };
    mem.map_file(start, file_pages - start, s.perms | Perms::R, Some(name), fd, page_down(s.offset))?;
    if s.memsz > s.filesz && file_end < file_pages {
        let zeros = vec![0; (file_pages - file_end) as usize];
        mem.write_bytes_force(file_end, &zeros)
            .map_err(|f| Error::BadElf { path: name.into(), message: format!("cannot clear .bss: {f}") })?;
    }
    if file_pages < end {
        mem.map_named(file_pages, end - file_pages, s.perms | Perms::R, Some(name))?;
    }
    Ok(())
}

/// Checks the ELF header and program headers of `data` and maps its
/// `PT_LOAD` segments into `mem`. `base` is where to put a position
/// independent (`ET_DYN`) file. With `file` (the open file `data` was
/// read from), a segment whose pages it shares with no other segment is
/// mapped from the file copy-on-write, as Linux maps it (see
/// [`AddressSpace::map_file`]); the others, or all without `file`, are
/// copied from `data`.
pub fn load(
    mem: &AddressSpace,
    data: &[u8],
    file: Option<BorrowedFd<'_>>,
    path: &Path,
    base: u64,
) -> Result<LoadedElf> {
    let r = Reader { data, path };
    if data.len() < 64 {
        return r.bad(format!("truncated ELF header ({} bytes)", data.len()));
    }
    if data[..4] != *b"\x7fELF" {
        return r.bad("not an ELF file");
    }
    if data[4] != elf::ELFCLASS64 {
        return r.bad("not a 64-bit ELF file (riscv64 programs are ELFCLASS64)");
    }
    if data[5] != elf::ELFDATA2LSB {
        return r.bad("not a little-endian ELF file");
    }
    // The identification bytes are checked above, so `object` only fails
    // here on what it checks beyond them (version, header size).
    let header = match FileHeader64::<LittleEndian>::parse(data) {
        Ok(h) => h,
        Err(e) => return r.bad(format!("bad ELF header: {e}")),
    };
    let le = LittleEndian;
    let e_type = header.e_type(le);
    let machine = header.e_machine(le);
    if machine != elf::EM_RISCV {
        return r.bad(format!("ELF machine is {machine}, not RISC-V ({})", elf::EM_RISCV));
    }
    let bias = match e_type {
        elf::ET_EXEC => 0,
        elf::ET_DYN => base,
        other => return r.bad(format!("ELF type {other} is not an executable")),
    };
    let entry = header.e_entry(le);
    let phoff = header.e_phoff(le);
    let phent = u64::from(header.e_phentsize(le));
    if phent != size_of::<elf::ProgramHeader64<Endianness>>() as u64 {
        return r.bad(format!("program header size is {phent}, expected 56"));
    }
    let headers = match header.program_headers(le, data) {
        Ok(h) => h,
        Err(e) => return r.bad(format!("program header table: {e}")),
    };
    let phnum = headers.len() as u64;
    if phnum == 0 {
        return r.bad("no program headers");
    }

    let mut segments = Vec::new();
    let mut interp = None;
    let mut phdr_vaddr = None;
    for (i, h) in headers.iter().enumerate() {
        let flags = h.p_flags(le);
        let offset = h.p_offset(le);
        let vaddr = h.p_vaddr(le);
        let filesz = h.p_filesz(le);
        let memsz = h.p_memsz(le);
        match h.p_type(le) {
            elf::PT_LOAD => {
                if filesz > memsz {
                    return r.bad(format!("segment {i}: file size {filesz:#x} exceeds memory size {memsz:#x}"));
                }
                if memsz > MAX_SEGMENT {
                    return r.bad(format!("segment {i}: memory size {memsz:#x} is absurdly large"));
                }
                r.bytes(offset, filesz, &format!("segment {i}"))?;
                let Some(vaddr) = vaddr.checked_add(bias) else {
                    return r.bad(format!("segment {i}: address overflows"));
                };
                if vaddr.checked_add(memsz).is_none_or(|end| end > GUEST_LIMIT) || vaddr < ferrovm_mem::MMAP_MIN_ADDR {
                    return r
                        .bad(format!("segment {i}: address {vaddr:#x}+{memsz:#x} outside the guest address space"));
                }
                if (vaddr ^ offset) & (PAGE_SIZE - 1) != 0 && filesz > 0 {
                    return r.bad(format!("segment {i}: address and file offset disagree modulo the page size"));
                }
                let mut perms = Perms::NONE;
                if flags & elf::PF_R != 0 {
                    perms |= Perms::R;
                }
                if flags & elf::PF_W != 0 {
                    perms |= Perms::W;
                }
                if flags & elf::PF_X != 0 {
                    perms |= Perms::X;
                }
                segments.push(Segment { vaddr, memsz, offset, filesz, perms });
            }
            elf::PT_INTERP => {
                let raw = r.bytes(offset, filesz, "interpreter path")?;
                let path = raw.split(|b| *b == 0).next().unwrap_or_default();
                if path.is_empty() {
                    return r.bad("empty interpreter path");
                }
                interp = Some(path.to_vec());
            }
            elf::PT_PHDR => phdr_vaddr = Some(vaddr.wrapping_add(bias)),
            _ => {}
        }
    }
    if segments.is_empty() {
        return r.bad("no loadable segments");
    }
    // Segments must be sorted and must not overlap (they may share a page).
    for pair in segments.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b.vaddr < a.vaddr + a.memsz {
            return r.bad(format!("overlapping segments at {:#x} and {:#x}", a.vaddr, b.vaddr));
        }
    }
    let entry = entry.wrapping_add(bias);
    if !segments.iter().any(|s| s.perms.exec() && entry >= s.vaddr && entry < s.vaddr + s.memsz) {
        return r.bad(format!("entry point {entry:#x} is not in an executable segment"));
    }

    // Map: from the file where a segment has its pages to itself, else
    // fresh pages (pages shared by two segments get the union of their
    // permissions) that the segment's bytes are copied into.
    let name = path.to_string_lossy();
    let mut from_file = vec![false; segments.len()];
    if let Some(fd) = file {
        for (i, s) in segments.iter().enumerate() {
            let alone = (i == 0 || page_up(segments[i - 1].vaddr + segments[i - 1].memsz) <= Some(page_down(s.vaddr)))
                && segments.get(i + 1).is_none_or(|n| page_up(s.vaddr + s.memsz) <= Some(page_down(n.vaddr)));
            if alone && s.filesz > 0 {
                from_file[i] = map_from_file(mem, s, fd, &name).is_ok();
            }
        }
    }
    let mut mapped_until = 0u64;
    for (s, _) in segments.iter().zip(&from_file).filter(|(_, f)| !**f) {
        let start = page_down(s.vaddr);
        let Some(end) = page_up(s.vaddr + s.memsz) else { return r.bad("segment end overflows") };
        let fresh = start.max(mapped_until);
        if fresh < end {
            mem.map_named(fresh, end - fresh, s.perms | Perms::R, Some(&name))?;
        }
        if start < mapped_until {
            let shared = mapped_until.min(end) - start;
            let old = mem.perms(start);
            mem.protect(start, shared, old | s.perms)?;
        }
        mapped_until = mapped_until.max(end);
    }
    for (s, _) in segments.iter().zip(&from_file).filter(|(_, f)| !**f) {
        let bytes = r.bytes(s.offset, s.filesz, "segment")?;
        mem.write_bytes_force(s.vaddr, bytes)
            .map_err(|f| Error::BadElf { path: path.to_path_buf(), message: format!("cannot write segment: {f}") })?;
    }
    // Now apply the exact permissions (the mapping above added R for
    // copying); a page shared by two neighbours gets the union of theirs.
    for s in &segments {
        let start = page_down(s.vaddr);
        let Some(end) = page_up(s.vaddr + s.memsz) else { continue };
        mem.protect(start, end - start, s.perms)?;
    }
    for pair in segments.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if page_down(a.vaddr + a.memsz - 1) == page_down(b.vaddr) && a.memsz > 0 {
            mem.protect(page_down(b.vaddr), PAGE_SIZE, a.perms | b.perms)?;
        }
    }

    let end = segments.iter().map(|s| s.vaddr + s.memsz).max().unwrap_or(0);
    let start = segments.iter().map(|s| page_down(s.vaddr)).min().unwrap_or(0);
    // AT_PHDR: PT_PHDR if present, else the segment holding the headers.
    let phdr = phdr_vaddr
        .or_else(|| {
            segments
                .iter()
                .find(|s| phoff >= s.offset && phoff + phent * phnum <= s.offset + s.filesz)
                .map(|s| s.vaddr + (phoff - s.offset))
        })
        .unwrap_or(0);
    Ok(LoadedElf { entry, phdr, phnum, phent, bias, end, start, interp })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program's segments read the same whether they were mapped from
    /// the file or copied: every byte up to each segment's memory size
    /// (`.bss` zero, also in the page its file bytes end in), with the
    /// same permissions.
    #[test]
    fn segments_mapped_from_the_file_read_as_copied_ones() {
        for name in ["hello", "dyn_hello", "min_hello"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/guests/bin").join(name);
            let data = std::fs::read(&path).expect("a committed guest program");
            let file = std::fs::File::open(&path).expect("open");
            let (mapped, copied) = (AddressSpace::new().expect("space"), AddressSpace::new().expect("space"));
            let a = load(&mapped, &data, Some(std::os::fd::AsFd::as_fd(&file)), &path, PIE_BASE).expect("load");
            let b = load(&copied, &data, None, &path, PIE_BASE).expect("load");
            assert_eq!(a, b);
            let maps = |m: &AddressSpace| m.mappings().iter().map(|m| (m.start, m.end, m.perms)).collect::<Vec<_>>();
            assert_eq!(maps(&mapped), maps(&copied), "{name}");
            let header = FileHeader64::<LittleEndian>::parse(&*data).expect("header");
            let mut bss = 0;
            for h in header.program_headers(LittleEndian, &*data).expect("headers") {
                if h.p_type(LittleEndian) != elf::PT_LOAD {
                    continue;
                }
                let (vaddr, memsz) = (h.p_vaddr(LittleEndian) + a.bias, h.p_memsz(LittleEndian));
                bss += memsz - h.p_filesz(LittleEndian);
                let (mut x, mut y) = (vec![0; memsz as usize], vec![0; memsz as usize]);
                mapped.read_bytes_force(vaddr, &mut x).expect("read");
                copied.read_bytes_force(vaddr, &mut y).expect("read");
                assert!(x == y, "{name}: the segment at {vaddr:#x} differs");
            }
            assert!(bss > 0 || name == "min_hello", "{name} has a .bss to check");
            // And the first really was mapped from the file (the host maps
            // it into the guest's reservation).
            let host_maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
            let real = std::fs::canonicalize(&path).expect("path");
            assert!(host_maps.contains(real.to_str().expect("utf-8")), "{name} is mapped from its file");
        }
    }
}
