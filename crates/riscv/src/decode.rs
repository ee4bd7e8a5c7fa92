//! Instruction decoding: total functions from raw bits to [`Inst`].
//!
//! The 32-bit decoder does not scan the table linearly. At compile time the
//! table is sorted into 8192 buckets keyed by the bits that separate almost all
//! instructions: the major opcode (bits 6:2), `funct3` (14:12) and the top five
//! bits (31:27, i.e. `funct5`/the high part of `funct7`). A word's bucket holds
//! the one to eight table rows that can match it; the decoder checks each with
//! a single mask-and-compare. RVC lives in [`crate::compressed`].

use crate::compressed::decode16;
use crate::inst::{ENTRIES, Format, Inst, Opcode};

/// Decodes the instruction whose first bytes are `word` (little-endian).
///
/// If the low two bits are not `0b11` this is a 16-bit RVC instruction taken
/// from the low half of `word`; otherwise a 32-bit one. Never panics: every
/// input gives an [`Inst`], [`Opcode::Illegal`] for anything undefined.
#[inline]
pub fn decode(word: u32) -> Inst {
    if word & 3 == 3 { decode32(word) } else { decode16(word as u16) }
}

/// Decodes a 32-bit instruction. Words whose low bits are not `0b11` are
/// [`Opcode::Illegal`] (with `len == 4`).
#[inline]
pub fn decode32(word: u32) -> Inst {
    decode32_with(word, false)
}

/// [`decode32`], optionally accepting the reserved rounding modes 5 and 6
/// (objdump names such words, printing the mode as `unknown`).
#[inline]
pub(crate) fn decode32_with(word: u32, any_rm: bool) -> Inst {
    let k = key(word);
    let start = BUCKET_START.get(k).copied().unwrap_or(0) as usize;
    let end = BUCKET_START.get(k + 1).copied().unwrap_or(0) as usize;
    for &index in BUCKET_LIST.get(start..end).unwrap_or(&[]) {
        if let Some(e) = ENTRIES.get(index as usize)
            && word & e.mask == e.matches
        {
            return fields(e.op, e.format, word, any_rm);
        }
    }
    Inst::illegal(word, 4)
}

/// Extracts the operand fields of `word`, which matches `op`'s pattern.
#[inline]
fn fields(op: Opcode, format: Format, word: u32, any_rm: bool) -> Inst {
    let rd = ((word >> 7) & 0x1f) as u8;
    let rs1 = ((word >> 15) & 0x1f) as u8;
    let rs2 = ((word >> 20) & 0x1f) as u8;
    let rm = ((word >> 12) & 7) as u8;
    let vm = ((word >> 25) & 1) as u8;
    let nf = (word >> 29) as u8;
    let mut inst = Inst { op, rd: 0, rs1: 0, rs2: 0, rs3: 0, imm: 0, rm: 0, len: 4 };
    match format {
        Format::R | Format::FR | Format::FCmp => (inst.rd, inst.rs1, inst.rs2) = (rd, rs1, rs2),
        Format::RUnary | Format::FToX | Format::XToF | Format::FLi => (inst.rd, inst.rs1) = (rd, rs1),
        Format::Cbo => inst.rs1 = rs1,
        Format::MopR => {
            let n = (word >> 26) & 0x10 | (word >> 24) & 0xc | (word >> 20) & 3;
            (inst.rd, inst.rs1, inst.imm) = (rd, rs1, i64::from(n));
        }
        Format::MopRR => {
            let n = (word >> 28) & 4 | (word >> 26) & 3;
            (inst.rd, inst.rs1, inst.rs2, inst.imm) = (rd, rs1, rs2, i64::from(n));
        }
        Format::I | Format::Load | Format::FLoad | Format::FenceI => {
            (inst.rd, inst.rs1, inst.imm) = (rd, rs1, imm_i(word));
        }
        Format::Store | Format::FStore => (inst.rs1, inst.rs2, inst.imm) = (rs1, rs2, imm_s(word)),
        Format::B => (inst.rs1, inst.rs2, inst.imm) = (rs1, rs2, imm_b(word)),
        Format::U => (inst.rd, inst.imm) = (rd, imm_u(word)),
        Format::J => (inst.rd, inst.imm) = (rd, imm_j(word)),
        Format::Shift => (inst.rd, inst.rs1, inst.imm) = (rd, rs1, ((word >> 20) & 0x3f) as i64),
        Format::ShiftW => (inst.rd, inst.rs1, inst.imm) = (rd, rs1, ((word >> 20) & 0x1f) as i64),
        Format::Amo => {
            (inst.rd, inst.rs1, inst.rs2, inst.rm) = (rd, rs1, rs2, ((word >> 25) & 3) as u8);
        }
        Format::Lr => (inst.rd, inst.rs1, inst.rm) = (rd, rs1, ((word >> 25) & 3) as u8),
        Format::Csr | Format::CsrI | Format::Fence => {
            (inst.rd, inst.rs1, inst.imm) = (rd, rs1, (word >> 20) as i64);
        }
        Format::None => {}
        Format::FRRm => (inst.rd, inst.rs1, inst.rs2, inst.rm) = (rd, rs1, rs2, rm),
        Format::FR4 => {
            (inst.rd, inst.rs1, inst.rs2, inst.rs3, inst.rm) = (rd, rs1, rs2, (word >> 27) as u8, rm);
        }
        Format::FUnaryRm | Format::FToXRm | Format::XToFRm => {
            (inst.rd, inst.rs1, inst.rm) = (rd, rs1, rm);
        }
        Format::VSetvli => (inst.rd, inst.rs1, inst.imm) = (rd, rs1, i64::from((word >> 20) & 0x7ff)),
        Format::VSetivli => (inst.rd, inst.rs1, inst.imm) = (rd, rs1, i64::from((word >> 20) & 0x3ff)),
        Format::VMemWhole | Format::VMvV | Format::VMvX | Format::VMvF => (inst.rd, inst.rs1) = (rd, rs1),
        Format::VMvI => (inst.rd, inst.imm) = (rd, simm5(rs1)),
        Format::VVNm | Format::VXNm | Format::VFNm => (inst.rd, inst.rs1, inst.rs2) = (rd, rs1, rs2),
        Format::VINm => (inst.rd, inst.rs2, inst.imm) = (rd, rs2, simm5(rs1)),
        Format::VIUNm => (inst.rd, inst.rs2, inst.imm) = (rd, rs2, i64::from(rs1)),
        Format::VToX | Format::VToF | Format::VMvR => (inst.rd, inst.rs2) = (rd, rs2),
        Format::VId => (inst.rd, inst.rm) = (rd, vm),
        Format::VToXM | Format::VUnary => (inst.rd, inst.rs2, inst.rm) = (rd, rs2, vm),
        Format::VI => (inst.rd, inst.rs2, inst.imm, inst.rm) = (rd, rs2, simm5(rs1), vm),
        Format::VIU => (inst.rd, inst.rs2, inst.imm, inst.rm) = (rd, rs2, i64::from(rs1), vm),
        Format::VIU6 => {
            let uimm = i64::from(rs1) | i64::from((word >> 26) & 1) << 5;
            (inst.rd, inst.rs2, inst.imm, inst.rm) = (rd, rs2, uimm, vm);
        }
        Format::VV | Format::VX | Format::VF | Format::VVMac | Format::VXMac | Format::VFMac => {
            (inst.rd, inst.rs1, inst.rs2, inst.rm) = (rd, rs1, rs2, vm);
        }
        Format::VMem => (inst.rd, inst.rs1, inst.rm, inst.rs3) = (rd, rs1, vm, nf),
        Format::VMemStrided | Format::VMemIndexed => {
            (inst.rd, inst.rs1, inst.rs2, inst.rm, inst.rs3) = (rd, rs1, rs2, vm, nf);
        }
    }
    // Rounding modes 5 and 6 are reserved (§11.2): the instruction is illegal.
    if !any_rm && format.has_rounding_mode() && (rm == 5 || rm == 6) {
        return Inst::illegal(word, 4);
    }
    inst
}

/// The vector 5-bit signed immediate (`simm5`, in the `vs1`/`rs1` field).
#[inline]
fn simm5(field: u8) -> i64 {
    i64::from((field as i8) << 3 >> 3)
}

/// I-type immediate: `imm[11:0]` = bits 31:20, sign-extended.
#[inline]
pub(crate) fn imm_i(word: u32) -> i64 {
    ((word as i32) >> 20) as i64
}

/// S-type immediate: `imm[11:5]` = bits 31:25, `imm[4:0]` = bits 11:7.
#[inline]
pub(crate) fn imm_s(word: u32) -> i64 {
    ((((word as i32) >> 25) << 5) | ((word >> 7) & 0x1f) as i32) as i64
}

/// B-type immediate: `imm[12|10:5]` = bits 31:25, `imm[4:1|11]` = bits 11:7.
#[inline]
pub(crate) fn imm_b(word: u32) -> i64 {
    let sign = ((word as i32) >> 31) << 12;
    let b11 = ((word >> 7) & 1) << 11;
    let b10_5 = ((word >> 25) & 0x3f) << 5;
    let b4_1 = ((word >> 8) & 0xf) << 1;
    (sign | (b11 | b10_5 | b4_1) as i32) as i64
}

/// U-type immediate: bits 31:12 in place, sign-extended from bit 31.
#[inline]
pub(crate) fn imm_u(word: u32) -> i64 {
    (word & 0xffff_f000) as i32 as i64
}

/// J-type immediate: `imm[20|10:1|11|19:12]` = bits 31:12.
#[inline]
pub(crate) fn imm_j(word: u32) -> i64 {
    let sign = ((word as i32) >> 31) << 20;
    let b19_12 = word & 0x000f_f000;
    let b11 = ((word >> 20) & 1) << 11;
    let b10_1 = ((word >> 21) & 0x3ff) << 1;
    (sign | (b19_12 | b11 | b10_1) as i32) as i64
}

// ---- the bucket index, built at compile time ------------------------------------

const KEY_BITS: u32 = 13;
const BUCKETS: usize = 1 << KEY_BITS;

/// Bucket key: opcode[6:2] (5 bits), funct3 (3 bits), bits 31:27 (5 bits).
#[inline]
const fn key(word: u32) -> usize {
    ((((word >> 2) & 0x1f) << 8) | (((word >> 12) & 7) << 5) | (word >> 27)) as usize
}

/// The key bits a row with this `mask` does not fix: the row belongs in every
/// bucket that agrees with it on the other bits.
const fn free_key_bits(mask: u32) -> usize {
    !key(mask) & (BUCKETS - 1)
}

/// `BUCKET_START[k]..BUCKET_START[k + 1]` is bucket `k`'s slice of
/// `BUCKET_LIST`.
static BUCKET_START: [u16; BUCKETS + 1] = bucket_starts();

#[expect(clippy::indexing_slicing, reason = "compile-time table construction: a bad index fails the build")]
const fn bucket_starts() -> [u16; BUCKETS + 1] {
    let mut counts = [0u16; BUCKETS + 1];
    let mut i = 0;
    while i < ENTRIES.len() {
        let e = &ENTRIES[i];
        let free = free_key_bits(e.mask);
        let fixed = key(e.matches) & !free;
        let mut sub = free;
        loop {
            counts[(fixed | sub) + 1] += 1;
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & free;
        }
        i += 1;
    }
    let mut k = 0;
    while k < BUCKETS {
        counts[k + 1] += counts[k];
        k += 1;
    }
    counts
}

const LIST_LEN: usize = bucket_starts()[BUCKETS] as usize;

/// Indices into `ENTRIES`, grouped by bucket, table order within a bucket.
static BUCKET_LIST: [u16; LIST_LEN] = bucket_list();

#[expect(clippy::indexing_slicing, reason = "compile-time table construction: a bad index fails the build")]
const fn bucket_list() -> [u16; LIST_LEN] {
    let starts = bucket_starts();
    let mut fill = [0u16; BUCKETS];
    let mut list = [0u16; LIST_LEN];
    let mut i = 0;
    while i < ENTRIES.len() {
        let e = &ENTRIES[i];
        let free = free_key_bits(e.mask);
        let fixed = key(e.matches) & !free;
        let mut sub = free;
        loop {
            let k = fixed | sub;
            list[(starts[k] + fill[k]) as usize] = i as u16;
            fill[k] += 1;
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & free;
        }
        i += 1;
    }
    list
}

const _: () = assert!(ENTRIES.len() < 65536, "bucket entries are u16 indices");
const _: () = assert!(LIST_LEN < u16::MAX as usize, "bucket starts are u16");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_small() {
        let max = BUCKET_START
            .windows(2)
            .map(|w| match w {
                [a, b] => b - a,
                _ => 0,
            })
            .max();
        // The largest is the vector FP conversions (OPFVV funct6 01001x:
        // VFUNARY0/VFUNARY1, 25 rows told apart by the vs1 field); next the
        // FP-to-FP conversions and Zfa's fround/froundnx (funct5 01000, any
        // rounding mode): rare instructions.
        assert!(max <= Some(25), "largest bucket: {max:?}");
    }

    #[test]
    fn decodes_known_words() {
        let i = decode32(0x00b5_0533); // add a0,a0,a1
        assert_eq!((i.op, i.rd, i.rs1, i.rs2, i.len), (Opcode::Add, 10, 10, 11, 4));
        let i = decode32(0xbb67_3703); // ld a4,-1098(a4)
        assert_eq!((i.op, i.rd, i.rs1, i.imm), (Opcode::Ld, 14, 14, -1098));
        let i = decode32(0x0324_3423); // sd s2,40(s0)
        assert_eq!(i.op, Opcode::Sd);
        let i = decode32(0x0327_8063); // beq a5,s2,+32
        assert_eq!((i.op, i.rs1, i.rs2, i.imm), (Opcode::Beq, 15, 18, 32));
        let i = decode32(0x7820_a0ef); // jal ra,+0xa782
        assert_eq!((i.op, i.rd, i.imm), (Opcode::Jal, 1, 0xa782));
        let i = decode32(0x0006_7717); // auipc a4,0x67
        assert_eq!((i.op, i.rd, i.imm), (Opcode::Auipc, 14, 0x67000));
        let i = decode32(0xc205_1553); // fcvt.w.d a0,fa0,rtz
        assert_eq!((i.op, i.rd, i.rs1, i.rm), (Opcode::FcvtWD, 10, 10, 1));
        let i = decode32(0x1ce4_26af); // sc.w.aq a3,a4,(s0)
        assert_eq!((i.op, i.rd, i.rs1, i.rs2, i.rm), (Opcode::ScW, 13, 8, 14, 2));
        assert_eq!(decode32(0x0ff0_000f).imm, 0x0ff);
        assert_eq!(decode32(0x8330_000f).imm, 0x833);
    }

    #[test]
    fn reserved_rounding_modes_are_illegal() {
        assert_eq!(decode32(0x02c5_d553).op, Opcode::Illegal); // fadd.d ..., rm=5
        assert_eq!(decode32(0x02c5_e553).op, Opcode::Illegal); // rm=6
        assert_eq!(decode32(0x02c5_f553).op, Opcode::FaddD); // rm=7 (dyn)
    }

    #[test]
    fn non_32bit_words_are_illegal_in_decode32() {
        let i = decode32(0x0000_4501);
        assert_eq!((i.op, i.len), (Opcode::Illegal, 4));
        assert_eq!(decode(0x0000_4501).len, 2);
    }

    #[test]
    fn immediates_sign_extend() {
        assert_eq!(imm_i(0xfff0_0000), -1);
        assert_eq!(imm_s(0xfe00_0f80), -1);
        assert_eq!(imm_b(0xfe00_0f80), -2);
        assert_eq!(imm_j(0xffff_f000), -2);
        assert_eq!(imm_u(0x8000_0000), -0x8000_0000);
    }
}
