//! Random valid instructions, shared by the oracle and round-trip tests.

use ferrovm_riscv::{Format, Inst, Opcode, encode};
use rand::Rng;

/// A random instruction of opcode `op` with valid, interesting fields:
/// registers and immediates favour the values pseudo-instructions care about
/// (x0, ra, sp, rs1 == rs2, 0, 1, -1).
pub fn random_inst(op: Opcode, rng: &mut impl Rng) -> Inst {
    loop {
        if let Some(inst) = try_random_inst(op, rng) {
            return inst;
        }
    }
}

fn reg(rng: &mut impl Rng) -> u8 {
    match rng.gen_range(0..8) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => rng.gen_range(3..5),
        _ => rng.gen_range(0..32),
    }
}

fn signed(rng: &mut impl Rng, bits: u32) -> i64 {
    let lo = -(1i64 << (bits - 1));
    let hi = (1i64 << (bits - 1)) - 1;
    match rng.gen_range(0..7) {
        0 => 0,
        1 => 1,
        2 => -1,
        6 => 255,
        3 => rng.gen_range(-64..64),
        _ => rng.gen_range(lo..=hi),
    }
}

fn try_random_inst(op: Opcode, rng: &mut impl Rng) -> Option<Inst> {
    let format = op.format();
    let mut i = Inst { op, rd: 0, rs1: 0, rs2: 0, rs3: 0, imm: 0, rm: 0, len: 4 };
    if format.rd().is_some() {
        i.rd = reg(rng);
    }
    if format.rs1().is_some() || matches!(format, Format::CsrI | Format::VSetivli) {
        i.rs1 = reg(rng);
    }
    if format.rs2().is_some() {
        i.rs2 = if rng.gen_ratio(1, 4) { i.rs1 } else { reg(rng) };
    }
    if format.rs3().is_some() {
        i.rs3 = reg(rng);
    }
    if format.has_nf() {
        i.rs3 = rng.gen_range(0..8);
    }
    if format.has_vm() {
        i.rm = rng.gen_range(0..2);
    }
    if format.has_rounding_mode() {
        i.rm = [0, 1, 2, 3, 4, 7, 7, 7][rng.gen_range(0..8)];
    } else if format.has_rm() {
        i.rm = rng.gen_range(0..4);
    }
    i.imm = match format {
        Format::I | Format::Load | Format::Store | Format::FLoad | Format::FStore => signed(rng, 12),
        Format::FenceI => {
            if rng.gen_ratio(3, 4) {
                i.rd = 0;
                i.rs1 = 0;
                0
            } else {
                signed(rng, 12)
            }
        }
        Format::B => signed(rng, 12) * 2,
        Format::J => signed(rng, 20) * 2,
        Format::U => signed(rng, 20) << 12,
        Format::Shift => rng.gen_range(0..64),
        Format::VI | Format::VINm | Format::VMvI => signed(rng, 5),
        Format::VIU => rng.gen_range(0..32),
        Format::VIU6 => rng.gen_range(0..64),
        Format::VSetvli | Format::VSetivli => {
            let width = if format == Format::VSetivli { 0x3ff } else { 0x7ff };
            let zimm: i64 = if rng.gen_ratio(1, 4) { rng.gen_range(0..0x800) } else { rng.gen_range(0..0x100) };
            zimm & width
        }
        Format::ShiftW => rng.gen_range(0..32),
        Format::Csr | Format::CsrI => match rng.gen_range(0..4) {
            0 => rng.gen_range(1..4),
            1 => rng.gen_range(0xc00..0xc03),
            _ => rng.gen_range(0..4096),
        },
        Format::Fence => {
            if rng.gen_ratio(3, 4) {
                i.rd = 0;
                i.rs1 = 0;
            }
            match rng.gen_range(0..4) {
                0 => 0x0ff,
                1 => 0x833,
                2 => rng.gen_range(0..0x100),
                _ => rng.gen_range(0..0x1000),
            }
        }
        _ => 0,
    };
    encode(&i).map(|_| i)
}
