//! Control and status registers a user-mode guest can reach.
//!
//! The lifter accepts only the CSRs listed here; any other CSR number, or a
//! write to a read-only one, is an illegal instruction (privileged spec
//! §2.1: "Attempts to access a non-existent CSR raise an illegal instruction
//! exception"). The counters follow the Zicntr extension (unprivileged spec
//! §7.1): `cycle` and `instret` both count retired instructions, and `time`
//! ticks at [`TIMEBASE_HZ`] from process start.

use crate::cpu::Cpu;

/// Accrued exception flags.
pub const FFLAGS: u16 = 0x001;
/// Dynamic rounding mode.
pub const FRM: u16 = 0x002;
/// `frm` and `fflags` together.
pub const FCSR: u16 = 0x003;
/// Cycle counter (read-only).
pub const CYCLE: u16 = 0xc00;
/// Real-time counter (read-only).
pub const TIME: u16 = 0xc01;
/// Instructions-retired counter (read-only).
pub const INSTRET: u16 = 0xc02;

/// Vector start element (V 1.0 §31.3.7).
pub const VSTART: u16 = 0x008;
/// Vector fixed-point saturation flag.
pub const VXSAT: u16 = 0x009;
/// Vector fixed-point rounding mode.
pub const VXRM: u16 = 0x00a;
/// `vxrm` and `vxsat` together.
pub const VCSR: u16 = 0x00f;
/// Vector length (read-only).
pub const VL: u16 = 0xc20;
/// Vector data type (read-only).
pub const VTYPE: u16 = 0xc21;
/// VLEN / 8 (read-only).
pub const VLENB: u16 = 0xc22;

/// Whether `csr` belongs to the vector extension (the lifter accepts these
/// only when the machine has V).
pub fn is_vector(csr: u16) -> bool {
    matches!(csr, VSTART | VXSAT | VXRM | VCSR | VL | VTYPE | VLENB)
}

/// Frequency of the `time` CSR, as on common RISC-V boards and QEMU's virt.
pub const TIMEBASE_HZ: u64 = 10_000_000;

/// Whether the CSR exists for a user-mode guest.
pub fn exists(csr: u16) -> bool {
    matches!(csr, FFLAGS | FRM | FCSR | CYCLE | TIME | INSTRET) || is_vector(csr)
}

/// Whether the CSR may be written (spec: CSRs 0xC00-0xCFF are read-only).
pub fn writable(csr: u16) -> bool {
    matches!(csr, FFLAGS | FRM | FCSR | VSTART | VXSAT | VXRM | VCSR)
}

/// The canonical name, as the disassembler prints it.
pub fn name(csr: u16) -> Option<&'static str> {
    Some(match csr {
        FFLAGS => "fflags",
        FRM => "frm",
        FCSR => "fcsr",
        CYCLE => "cycle",
        TIME => "time",
        INSTRET => "instret",
        VSTART => "vstart",
        VXSAT => "vxsat",
        VXRM => "vxrm",
        VCSR => "vcsr",
        VL => "vl",
        VTYPE => "vtype",
        VLENB => "vlenb",
        _ => return None,
    })
}

fn time_now() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    // 10 MHz: one tick every 100 ns.
    (elapsed.as_nanos() / (1_000_000_000 / u128::from(TIMEBASE_HZ))) as u64
}

/// Reads a CSR. Unknown CSRs read as zero (the lifter never emits them).
pub fn read(cpu: &Cpu, csr: u16) -> u64 {
    match csr {
        FFLAGS => cpu.fflags & 0x1f,
        FRM => cpu.frm & 0x7,
        FCSR => (cpu.frm & 0x7) << 5 | (cpu.fflags & 0x1f),
        CYCLE | INSTRET => cpu.instret,
        TIME => time_now(),
        VSTART => cpu.vector.vstart,
        VXSAT => cpu.vector.vxsat & 1,
        VXRM => cpu.vector.vxrm & 3,
        VCSR => (cpu.vector.vxrm & 3) << 1 | (cpu.vector.vxsat & 1),
        VL => cpu.vector.vl,
        VTYPE => cpu.vector.vtype,
        VLENB => cpu.vector.vlenb,
        _ => 0,
    }
}

/// Writes a CSR, keeping only the implemented bits (WARL).
pub fn write(cpu: &mut Cpu, csr: u16, value: u64) {
    match csr {
        FFLAGS => cpu.fflags = value & 0x1f,
        FRM => cpu.frm = value & 0x7,
        FCSR => {
            cpu.fflags = value & 0x1f;
            cpu.frm = (value >> 5) & 0x7;
        }
        VSTART => cpu.vector.vstart = value & (cpu.vector.vlenb * 8 - 1),
        VXSAT => cpu.vector.vxsat = value & 1,
        VXRM => cpu.vector.vxrm = value & 3,
        VCSR => {
            cpu.vector.vxsat = value & 1;
            cpu.vector.vxrm = (value >> 1) & 3;
        }
        _ => {}
    }
}
