//! Reference semantics of the pure integer operations.
//!
//! The interpreter calls these directly and constant folding uses them, so an
//! op means the same thing everywhere. Each function is small and `#[inline]`.

use crate::op::{AmoOp, BinOp, MemSize, UnOp};

#[inline]
fn sext32(x: u64) -> u64 {
    x as u32 as i32 as i64 as u64
}

/// Carry-less multiply of `a` and `b`: the full 128-bit product (Zbc, spec §28.4).
fn clmul_wide(a: u64, b: u64) -> u128 {
    let mut r: u128 = 0;
    for i in 0..64 {
        if (b >> i) & 1 != 0 {
            r ^= u128::from(a) << i;
        }
    }
    r
}

/// Evaluates a two-operand integer operation (see [`BinOp`]).
#[inline]
pub fn binary(op: BinOp, a: u64, b: u64) -> u64 {
    let (sa, sb) = (a as i64, b as i64);
    match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << (b & 63),
        BinOp::Shr => a >> (b & 63),
        BinOp::Sar => (sa >> (b & 63)) as u64,
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::MulH => ((i128::from(sa) * i128::from(sb)) >> 64) as u64,
        BinOp::MulHU => ((u128::from(a) * u128::from(b)) >> 64) as u64,
        BinOp::MulHSU => ((i128::from(sa).wrapping_mul(u128::from(b) as i128)) >> 64) as u64,
        // Spec §13.2, Table 13.1: x/0 = -1, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0.
        BinOp::Div => match sb {
            0 => u64::MAX,
            _ => sa.wrapping_div(sb) as u64,
        },
        BinOp::DivU => a.checked_div(b).unwrap_or(u64::MAX),
        BinOp::Rem => match sb {
            0 => a,
            _ => sa.wrapping_rem(sb) as u64,
        },
        BinOp::RemU => a.checked_rem(b).unwrap_or(a),
        BinOp::Eq => u64::from(a == b),
        BinOp::Ne => u64::from(a != b),
        BinOp::Lt => u64::from(sa < sb),
        BinOp::LtU => u64::from(a < b),
        BinOp::Ge => u64::from(sa >= sb),
        BinOp::GeU => u64::from(a >= b),
        BinOp::AddW => sext32(a.wrapping_add(b)),
        BinOp::SubW => sext32(a.wrapping_sub(b)),
        BinOp::ShlW => sext32(((a as u32) << (b & 31)) as u64),
        BinOp::ShrW => sext32(((a as u32) >> (b & 31)) as u64),
        BinOp::SarW => ((a as i32) >> (b & 31)) as i64 as u64,
        BinOp::MulW => sext32(a.wrapping_mul(b)),
        BinOp::DivW => {
            let (x, y) = (a as i32, b as i32);
            match y {
                0 => u64::MAX,
                _ => x.wrapping_div(y) as i64 as u64,
            }
        }
        BinOp::DivUW => {
            let (x, y) = (a as u32, b as u32);
            match y {
                0 => u64::MAX,
                _ => sext32(u64::from(x / y)),
            }
        }
        BinOp::RemW => {
            let (x, y) = (a as i32, b as i32);
            match y {
                0 => x as i64 as u64,
                _ => x.wrapping_rem(y) as i64 as u64,
            }
        }
        BinOp::RemUW => {
            let (x, y) = (a as u32, b as u32);
            match y {
                0 => sext32(u64::from(x)),
                _ => sext32(u64::from(x % y)),
            }
        }
        BinOp::AndN => a & !b,
        BinOp::OrN => a | !b,
        BinOp::XNor => !(a ^ b),
        BinOp::Min => sa.min(sb) as u64,
        BinOp::MinU => a.min(b),
        BinOp::Max => sa.max(sb) as u64,
        BinOp::MaxU => a.max(b),
        BinOp::Rol => a.rotate_left((b & 63) as u32),
        BinOp::Ror => a.rotate_right((b & 63) as u32),
        BinOp::RolW => sext32(u64::from((a as u32).rotate_left((b & 31) as u32))),
        BinOp::RorW => sext32(u64::from((a as u32).rotate_right((b & 31) as u32))),
        BinOp::Clmul => clmul_wide(a, b) as u64,
        BinOp::ClmulH => (clmul_wide(a, b) >> 64) as u64,
        BinOp::ClmulR => (clmul_wide(a, b) >> 63) as u64,
        BinOp::Bset => a | (1 << (b & 63)),
        BinOp::Bclr => a & !(1 << (b & 63)),
        BinOp::Binv => a ^ (1 << (b & 63)),
        BinOp::Bext => (a >> (b & 63)) & 1,
        BinOp::Pack => (a & 0xffff_ffff) | b << 32,
        BinOp::PackH => (a & 0xff) | (b & 0xff) << 8,
        BinOp::PackW => sext32((a & 0xffff) | (b & 0xffff) << 16),
        BinOp::Xperm4 => xperm(a, b, 4),
        BinOp::Xperm8 => xperm(a, b, 8),
    }
}

/// Zbkx `xperm4`/`xperm8` (scalar crypto 1.0.1, §"xperm"): element `i` of
/// the result is element `b[i]` of `a`, or 0 past the end.
fn xperm(a: u64, b: u64, bits: u32) -> u64 {
    let mask = (1u64 << bits) - 1;
    let mut r = 0;
    for i in (0..64).step_by(bits as usize) {
        let index = (b >> i) & mask;
        let shift = index * u64::from(bits);
        if shift < 64 {
            r |= ((a >> shift) & mask) << i;
        }
    }
    r
}

/// Evaluates a one-operand integer operation (see [`UnOp`]).
#[inline]
pub fn unary(op: UnOp, a: u64) -> u64 {
    match op {
        UnOp::Not => !a,
        UnOp::Neg => a.wrapping_neg(),
        UnOp::SextB => a as u8 as i8 as i64 as u64,
        UnOp::SextH => a as u16 as i16 as i64 as u64,
        UnOp::SextW => sext32(a),
        UnOp::ZextB => a & 0xff,
        UnOp::ZextH => a & 0xffff,
        UnOp::ZextW => a & 0xffff_ffff,
        UnOp::Clz => u64::from(a.leading_zeros()),
        UnOp::Ctz => u64::from(a.trailing_zeros()),
        UnOp::Cpop => u64::from(a.count_ones()),
        UnOp::ClzW => u64::from((a as u32).leading_zeros()),
        UnOp::CtzW => u64::from((a as u32).trailing_zeros()),
        UnOp::CpopW => u64::from((a as u32).count_ones()),
        UnOp::Rev8 => a.swap_bytes(),
        UnOp::OrcB => {
            let mut r = 0u64;
            for i in 0..8 {
                if (a >> (i * 8)) & 0xff != 0 {
                    r |= 0xff << (i * 8);
                }
            }
            r
        }
        UnOp::NanBox => a | 0xffff_ffff_0000_0000,
        UnOp::NanUnbox => {
            if a >> 32 == 0xffff_ffff {
                a & 0xffff_ffff
            } else {
                0x7fc0_0000
            }
        }
        UnOp::NanBoxH => a | 0xffff_ffff_ffff_0000,
        UnOp::NanUnboxH => {
            if a >> 16 == 0xffff_ffff_ffff {
                a & 0xffff
            } else {
                0x7e00
            }
        }
        UnOp::Brev8 => a.reverse_bits().swap_bytes(),
    }
}

/// Extends a loaded value of `size` bytes to 64 bits.
#[inline]
pub fn extend(value: u64, size: MemSize, signed: bool) -> u64 {
    match (size, signed) {
        (MemSize::B, true) => value as u8 as i8 as i64 as u64,
        (MemSize::H, true) => value as u16 as i16 as i64 as u64,
        (MemSize::W, true) => value as u32 as i32 as i64 as u64,
        (MemSize::B, false) => value & 0xff,
        (MemSize::H, false) => value & 0xffff,
        (MemSize::W, false) => value & 0xffff_ffff,
        (MemSize::D, _) => value,
    }
}

/// The new memory value of an AMO given the old value and the operand, at
/// `size` (W compares as signed/unsigned 32-bit values).
#[inline]
pub fn amo(op: AmoOp, size: MemSize, old: u64, src: u64) -> u64 {
    let w = size == MemSize::W;
    let (so, ss) = if w { (old as i32 as i64, src as i32 as i64) } else { (old as i64, src as i64) };
    let (uo, us) = if w { (old & 0xffff_ffff, src & 0xffff_ffff) } else { (old, src) };
    match op {
        AmoOp::Swap => src,
        AmoOp::Add => old.wrapping_add(src),
        AmoOp::Xor => old ^ src,
        AmoOp::And => old & src,
        AmoOp::Or => old | src,
        AmoOp::Min => so.min(ss) as u64,
        AmoOp::Max => so.max(ss) as u64,
        AmoOp::MinU => uo.min(us),
        AmoOp::MaxU => uo.max(us),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_table() {
        // Spec §13.2 Table 13.1.
        let min = i64::MIN as u64;
        assert_eq!(binary(BinOp::Div, 7, 0), u64::MAX);
        assert_eq!(binary(BinOp::DivU, 7, 0), u64::MAX);
        assert_eq!(binary(BinOp::Rem, 7, 0), 7);
        assert_eq!(binary(BinOp::RemU, 7, 0), 7);
        assert_eq!(binary(BinOp::Div, min, u64::MAX), min);
        assert_eq!(binary(BinOp::Rem, min, u64::MAX), 0);
        assert_eq!(binary(BinOp::DivW, 0x8000_0000, u64::MAX), 0xffff_ffff_8000_0000);
        assert_eq!(binary(BinOp::RemW, 0x8000_0000, u64::MAX), 0);
        assert_eq!(binary(BinOp::DivUW, 5, 0), u64::MAX);
        assert_eq!(binary(BinOp::RemUW, 0xffff_ffff, 0), u64::MAX);
        assert_eq!(binary(BinOp::RemW, 0x1_0000_0005, 0), 5);
    }

    #[test]
    fn multiply_high() {
        assert_eq!(binary(BinOp::MulH, u64::MAX, u64::MAX), 0);
        assert_eq!(binary(BinOp::MulHU, u64::MAX, u64::MAX), u64::MAX - 1);
        assert_eq!(binary(BinOp::MulHSU, u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(binary(BinOp::MulHSU, 2, u64::MAX), 1);
    }

    #[test]
    fn word_ops_sign_extend() {
        assert_eq!(binary(BinOp::AddW, 0x7fff_ffff, 1), 0xffff_ffff_8000_0000);
        assert_eq!(binary(BinOp::ShrW, 0xffff_ffff_8000_0000, 0), 0xffff_ffff_8000_0000);
        assert_eq!(binary(BinOp::ShrW, 0x8000_0000, 1), 0x4000_0000);
        assert_eq!(binary(BinOp::SarW, 0x8000_0000, 31), u64::MAX);
        assert_eq!(binary(BinOp::ShlW, 1, 33), 2);
    }

    #[test]
    fn bitmanip() {
        assert_eq!(unary(UnOp::OrcB, 0x0100_2000_0000_0003), 0xff00_ff00_0000_00ff);
        assert_eq!(unary(UnOp::Rev8, 0x0102_0304_0506_0708), 0x0807_0605_0403_0201);
        assert_eq!(unary(UnOp::Brev8, 0x0102_0304_0506_0780), 0x8040_c020_a060_e001);
        assert_eq!(unary(UnOp::NanUnboxH, 0xffff_ffff_ffff_3c00), 0x3c00);
        assert_eq!(unary(UnOp::NanUnboxH, 0xffff_ffff_0000_3c00), 0x7e00);
        assert_eq!(unary(UnOp::NanBoxH, 0x3c00), 0xffff_ffff_ffff_3c00);
    }

    #[test]
    fn zbkb_zbkx() {
        assert_eq!(binary(BinOp::Pack, 0xaaaa_aaaa_1234_5678, 0xbbbb_bbbb_9abc_def0), 0x9abc_def0_1234_5678);
        assert_eq!(binary(BinOp::PackH, 0x1234, 0x5678), 0x7834);
        assert_eq!(binary(BinOp::PackW, 0x1234, 0x8765), 0xffff_ffff_8765_1234);
        // xperm8 with indices 0..7 reversed is rev8; index >= 8 gives 0.
        assert_eq!(binary(BinOp::Xperm8, 0x0102_0304_0506_0708, 0x0001_0203_0405_0607), 0x0807_0605_0403_0201);
        assert_eq!(binary(BinOp::Xperm8, 0x0102_0304_0506_0708, 0x0000_0000_0000_0008), 0x0808_0808_0808_0800);
        assert_eq!(binary(BinOp::Xperm4, 0xfedc_ba98_7654_3210, 0x0123_4567_89ab_cdef), 0x0123_4567_89ab_cdef);
        assert_eq!(binary(BinOp::Clmul, 3, 3), 5);
        assert_eq!(binary(BinOp::ClmulH, 1 << 63, 2), 1);
        assert_eq!(binary(BinOp::ClmulR, 1 << 63, 1 << 63), 1 << 63);
        assert_eq!(unary(UnOp::CtzW, 0), 32);
        assert_eq!(unary(UnOp::Clz, 0), 64);
    }

    #[test]
    fn nan_boxing() {
        assert_eq!(unary(UnOp::NanUnbox, 0xffff_ffff_3f80_0000), 0x3f80_0000);
        assert_eq!(unary(UnOp::NanUnbox, 0x0000_0000_3f80_0000), 0x7fc0_0000);
        assert_eq!(unary(UnOp::NanBox, 0x3f80_0000), 0xffff_ffff_3f80_0000);
    }

    #[test]
    fn amo_word_compares_32_bits() {
        assert_eq!(amo(AmoOp::Min, MemSize::W, 0x8000_0000, 1), 0xffff_ffff_8000_0000);
        assert_eq!(amo(AmoOp::MaxU, MemSize::W, 0x8000_0000, 0x1_0000_0001), 0x8000_0000);
    }
}
