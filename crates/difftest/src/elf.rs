//! A batch of cases as one tiny static riscv64 ELF executable.
//!
//! Per case the harness code
//! 1. points x27 at the case's init block, loads fcsr, f0..f31, x1..x31;
//! 2. points x27 at the case's scratch buffer (512 bytes, or for a vector
//!    case [`crate::vector::scratch_bytes`] of its VLEN);
//! 3. runs the sequence (for a case with `iterations` > 1, that many times:
//!    see [`LOOP_REG`]);
//! 4. stores fcsr, x1..x31, f0..f31 into the dump slots right before the
//!    scratch buffer and `write(1, record, record_bytes(case))`s registers
//!    + scratch as one record.
//!
//! The dump slots come first so that the harness reaches them at fixed
//! negative offsets from x27 (-512..-8), whatever the scratch buffer's size
//! (4 KiB for a vector case at VLEN 1024, past a 12-bit offset).
//!
//! After the last case: `exit(0)`. Writing per case (instead of once) means a
//! crash in case k still leaves records 0..k on stdout, which pinpoints it.
//!
//! Memory layout: one `R-X` segment with the headers and code at 0x10000, one
//! `RW-` segment with the init blocks followed by the records.

use crate::generator::{BASE_REG, Case, SCRATCH_BYTES};
use crate::isa::{Inst, op_named};

/// Where the image is loaded.
pub const LOAD_ADDR: u64 = 0x10000;
/// Slots (8 bytes each) of an init block / a register dump:
/// slot 0 = fcsr, 1..=31 = x1..x31, 32..=63 = f0..f31.
pub const SLOTS: usize = 64;
/// Bytes a scalar case writes to stdout: the register dump, then the
/// scratch buffer ([`record_bytes`] of any case).
pub const RECORD_BYTES: usize = SLOTS * 8 + SCRATCH_BYTES;

/// Bytes `case` writes to stdout: the register dump, then its scratch
/// buffer.
pub fn record_bytes(case: &Case) -> usize {
    SLOTS * 8 + case.scratch.len()
}

/// The register the loop of a case with several iterations counts in.
///
/// The loop is the sequence followed by
/// `csrrwi x0, frm, FRM; ld t, -512(x27); addi t, t, -1; sd t, -512(x27);
/// bnez t, start` with `t` = this register: the count lives in the
/// record's first dump slot (written with fcsr at the end), so the sequence
/// keeps every register as its input, and `t` is clobbered only between
/// iterations, the same way on both machines (it ends as 0). `frm` goes
/// back to the case's initial mode, which is what the generator's rounding
/// mode tracking assumes at the start of the sequence. Every access of the
/// sequence is to the scratch buffer through `x27` and every jump goes
/// forward within it, so running it again is as safe as running it once;
/// with `--hot-threshold=1` the loop is one compiled region, back edge and
/// all.
pub const LOOP_REG: u8 = 31;

const EHDR: u64 = 64;
const PHDR: u64 = 56;
const PAGE: u64 = 0x1000;
const SYS_WRITE: i64 = 64;
const SYS_EXIT: i64 = 93;

/// Machine-code emitter for the harness. Harness instructions use this
/// crate's own table (see [`crate::isa`]), not the code under test.
struct Code {
    /// Address of `words[0]`.
    base: u64,
    bytes: Vec<u8>,
}

impl Code {
    fn pc(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }

    fn inst(&mut self, i: Inst) {
        self.bytes.extend_from_slice(&i.encode().to_le_bytes());
    }

    fn op(&mut self, name: &str, rd: u8, rs1: u8, rs2: u8, imm: i64) {
        let mut i = Inst::new(op_named(name));
        (i.rd, i.rs1, i.rs2, i.imm) = (rd, rs1, rs2, imm);
        self.inst(i);
    }

    /// `auipc rd, hi; addi rd, rd, lo` = the address `target`.
    fn la(&mut self, rd: u8, target: u64) {
        let off = target.wrapping_sub(self.pc()) as i64;
        let hi = (off + 0x800) >> 12;
        let lo = off - (hi << 12);
        self.op("auipc", rd, 0, 0, hi & 0xfffff);
        self.op("addi", rd, rd, 0, lo);
    }

    /// `addi rd, x0, v` for a small constant, `lui rd, hi; addiw rd, rd,
    /// lo` for any other 32-bit one.
    fn li(&mut self, rd: u8, v: i64) {
        if (-2048..2048).contains(&v) {
            self.op("addi", rd, 0, 0, v);
        } else {
            debug_assert!(i32::try_from(v).is_ok());
            let hi = (v + 0x800) >> 12;
            self.op("lui", rd, 0, 0, hi & 0xfffff);
            self.op("addiw", rd, rd, 0, v - (hi << 12));
        }
    }
}

/// Offsets of a batch's pieces.
struct Layout {
    code_off: u64,
    init_addr: u64,
    records_addr: u64,
}

/// Which machine an image is for: they differ only where QEMU runs a
/// spec-equivalent substitute (see [`crate::known`]), with the same layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Subject,
    Oracle,
}

/// Builds the ELF image running `cases` in order.
pub fn build(cases: &[Case], side: Side) -> Vec<u8> {
    // Code first: its size fixes where data starts, and the code refers to
    // data addresses. Lay data after a generous bound, then emit.
    let code_off = EHDR + 2 * PHDR;
    let code_bound: u64 =
        cases.iter().map(|c| 4 * 168 + c.code.iter().map(|i| i.size()).sum::<u64>()).sum::<u64>() + 64;
    let data_off = (code_off + code_bound).div_ceil(PAGE) * PAGE;
    let init_addr = LOAD_ADDR + data_off;
    let records_addr = init_addr + (cases.len() * SLOTS * 8) as u64;
    let records_len: usize = cases.iter().map(record_bytes).sum();
    let layout = Layout { code_off, init_addr, records_addr };

    let code = emit_code(cases, &layout, side);
    assert!(code_off + code.len() as u64 <= data_off, "code bound too small");

    let mut data = Vec::with_capacity(cases.len() * SLOTS * 8 + records_len);
    for c in cases {
        let mut slots = [0u64; SLOTS];
        slots[0] = c.fcsr;
        slots[1..32].copy_from_slice(&c.x[1..32]);
        slots[32..64].copy_from_slice(&c.f);
        for s in slots {
            data.extend_from_slice(&s.to_le_bytes());
        }
    }
    for c in cases {
        // The first dump slot holds the loop count until the dump.
        data.extend_from_slice(&u64::from(c.iterations.max(1)).to_le_bytes());
        data.extend_from_slice(&[0u8; SLOTS * 8 - 8]);
        data.extend_from_slice(&c.scratch);
    }

    let mut elf = Vec::with_capacity((data_off as usize) + data.len());
    let entry = LOAD_ADDR + code_off;
    // ---- ELF header (ELF64, little-endian, EXEC, EM_RISCV = 243) ----
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    elf.extend_from_slice(&[0; 8]);
    push16(&mut elf, 2); // e_type: ET_EXEC
    push16(&mut elf, 243); // e_machine: EM_RISCV
    push32(&mut elf, 1); // e_version
    push64(&mut elf, entry);
    push64(&mut elf, EHDR); // e_phoff
    push64(&mut elf, 0); // e_shoff
    push32(&mut elf, 0x5); // e_flags: EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE
    push16(&mut elf, EHDR as u16);
    push16(&mut elf, PHDR as u16);
    push16(&mut elf, 2); // e_phnum
    push16(&mut elf, 64); // e_shentsize
    push16(&mut elf, 0); // e_shnum
    push16(&mut elf, 0); // e_shstrndx
    // ---- program headers ----
    let text_size = code_off + code.len() as u64;
    phdr(&mut elf, 5, 0, LOAD_ADDR, text_size); // R-X
    phdr(&mut elf, 6, data_off, LOAD_ADDR + data_off, data.len() as u64); // RW-
    debug_assert_eq!(elf.len() as u64, code_off);
    elf.extend_from_slice(&code);
    elf.resize(data_off as usize, 0);
    elf.extend_from_slice(&data);
    elf
}

fn emit_code(cases: &[Case], l: &Layout, side: Side) -> Vec<u8> {
    let mut c = Code { base: LOAD_ADDR + l.code_off, bytes: Vec::new() };
    let b = BASE_REG;
    let mut record = l.records_addr;
    for (k, case) in cases.iter().enumerate() {
        let init = l.init_addr + (k * SLOTS * 8) as u64;
        // x27 points at the scratch buffer, the dump slots right before it.
        let dump = -((SLOTS * 8) as i64);
        // 1. Initial state.
        c.la(b, init);
        c.op("ld", 1, b, 0, 0);
        c.op("csrrw", 0, 1, 0, 3); // fcsr
        for f in 0..32u8 {
            c.op("fld", f, b, 0, 8 * (32 + i64::from(f)));
        }
        for x in 1..32u8 {
            if x != b {
                c.op("ld", x, b, 0, 8 * i64::from(x));
            }
        }
        // 2. Scratch base.
        c.la(b, record + (SLOTS * 8) as u64);
        // 3. The sequence.
        let start = c.pc();
        let code = match side {
            Side::Subject => &case.code[..],
            Side::Oracle => case.oracle_code(),
        };
        for insn in code {
            c.bytes.extend_from_slice(&insn.bytes());
        }
        if !c.bytes.len().is_multiple_of(4) {
            // Keep the harness 4-aligned (not required with RVC, but tidy).
            c.bytes.extend_from_slice(&0x0001u16.to_le_bytes()); // c.nop
        }
        if case.iterations > 1 {
            let t = LOOP_REG;
            let frm = ((case.fcsr >> 5) & 7) as u8;
            c.op("csrrwi", 0, frm, 0, 2); // frm = the initial mode
            c.op("ld", t, b, 0, dump);
            c.op("addi", t, t, 0, -1);
            c.op("sd", 0, b, t, dump);
            let back = start as i64 - c.pc() as i64;
            c.op("bne", 0, t, 0, back);
        }
        // 4. Dump.
        for x in 1..32u8 {
            c.op("sd", 0, b, x, dump + 8 * i64::from(x));
        }
        for f in 0..32u8 {
            c.op("fsd", 0, b, f, dump + 8 * (32 + i64::from(f)));
        }
        c.op("csrrs", 1, 0, 0, 3); // csrr x1, fcsr
        c.op("sd", 0, b, 1, dump);
        c.li(10, 1); // a0 = stdout
        c.op("addi", 11, b, 0, dump); // a1 = record
        c.li(12, record_bytes(case) as i64); // a2 = length
        c.li(17, SYS_WRITE);
        c.op("ecall", 0, 0, 0, 0);
        record += record_bytes(case) as u64;
    }
    c.li(10, 0);
    c.li(17, SYS_EXIT);
    c.op("ecall", 0, 0, 0, 0);
    c.bytes
}

fn phdr(elf: &mut Vec<u8>, flags: u32, off: u64, vaddr: u64, size: u64) {
    push32(elf, 1); // PT_LOAD
    push32(elf, flags);
    push64(elf, off);
    push64(elf, vaddr);
    push64(elf, vaddr);
    push64(elf, size); // p_filesz
    push64(elf, size); // p_memsz
    push64(elf, PAGE);
}

fn push16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn push32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn push64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_sane() {
        let cases: Vec<Case> = (0..3).map(Case::generate).collect();
        let elf = build(&cases, Side::Subject);
        assert_eq!(&elf[..4], b"\x7fELF");
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 243);
        let data_off = u64::from_le_bytes(elf[64 + 56 + 8..64 + 56 + 16].try_into().unwrap());
        assert_eq!(data_off % PAGE, 0);
        assert_eq!(elf.len() as u64, data_off + 3 * (SLOTS * 8 + RECORD_BYTES) as u64);
    }

    /// A looped case: its count in the record's first dump slot, and the
    /// tail (five instructions, the last a `bne` back) after the sequence.
    #[test]
    fn looped_cases_carry_their_count_and_tail() {
        let once = Case::generate(5);
        let looped = Case { iterations: 3, ..once.clone() };
        let (a, b) = (build(std::slice::from_ref(&once), Side::Subject), build(&[looped], Side::Subject));
        assert_eq!(a.len(), b.len(), "the data starts at the same page");
        let count_at = a.len() - RECORD_BYTES;
        assert_eq!(a[count_at..count_at + 8], 1u64.to_le_bytes());
        assert_eq!(b[count_at..count_at + 8], 3u64.to_le_bytes());
        let code = (EHDR + 2 * PHDR) as usize;
        let differ = (code..a.len()).find(|&k| a[k] != b[k]).expect("the tail");
        let word = |k: usize| u32::from_le_bytes(b[k..k + 4].try_into().unwrap());
        let bne = word(differ + 16);
        assert_eq!((bne & 0x707f, (bne >> 15) & 31, bne >> 31), (0x1063, u32::from(LOOP_REG), 1), "{bne:#x}");
    }
}
