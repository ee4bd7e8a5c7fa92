//! The RV64GC architecture as gdb sees it: the core registers (`x0`-`x31`,
//! `pc`) in the `g` packet, the FP registers and `fflags`/`frm`/`fcsr` one
//! at a time (`p`/`P`), numbered as gdb numbers them (`f0` is 33, CSR `n`
//! is 65 + `n`), and a target description naming them all (the same
//! features and names as QEMU's `riscv-64bit-cpu.xml` and
//! `riscv-64bit-fpu.xml`).

use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, RegId, Registers};

/// RV64GC.
#[derive(Debug)]
pub enum Rv64gc {}

/// The registers of the `g` packet: `x0`-`x31` and `pc`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CoreRegs {
    /// `x0`..`x31`.
    pub x: [u64; 32],
    /// The program counter.
    pub pc: u64,
}

impl Registers for CoreRegs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        self.pc
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for r in self.x.iter().chain(std::iter::once(&self.pc)) {
            r.to_le_bytes().into_iter().for_each(|b| write_byte(Some(b)));
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if bytes.len() < 33 * 8 {
            return Err(());
        }
        let mut words = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()));
        for r in self.x.iter_mut().chain(std::iter::once(&mut self.pc)) {
            *r = words.next().ok_or(())?;
        }
        Ok(())
    }
}

/// One register by gdb's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reg {
    /// `x0`..`x31` (0-31).
    X(u8),
    /// `pc` (32).
    Pc,
    /// `f0`..`f31` (33-64).
    F(u8),
    /// `fflags` (65 + 1).
    Fflags,
    /// `frm` (65 + 2).
    Frm,
    /// `fcsr` (65 + 3).
    Fcsr,
}

/// gdb's number of the first CSR.
const CSR_BASE: usize = 65;

impl RegId for Reg {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        let reg = match id {
            0..=31 => Reg::X(id as u8),
            32 => Reg::Pc,
            33..=64 => Reg::F((id - 33) as u8),
            _ if id == CSR_BASE + 1 => Reg::Fflags,
            _ if id == CSR_BASE + 2 => Reg::Frm,
            _ if id == CSR_BASE + 3 => Reg::Fcsr,
            _ => return None,
        };
        Some((reg, NonZeroUsize::new(8)))
    }
}

impl Arch for Rv64gc {
    type Usize = u64;
    type Registers = CoreRegs;
    type BreakpointKind = usize;
    type RegId = Reg;

    fn target_description_xml() -> Option<&'static str> {
        Some(TARGET_XML)
    }
}

/// The target description.
const TARGET_XML: &str = r#"<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>riscv:rv64</architecture>
  <osabi>GNU/Linux</osabi>
  <feature name="org.gnu.gdb.riscv.cpu">
    <reg name="zero" bitsize="64" type="int" regnum="0"/>
    <reg name="ra" bitsize="64" type="code_ptr"/>
    <reg name="sp" bitsize="64" type="data_ptr"/>
    <reg name="gp" bitsize="64" type="data_ptr"/>
    <reg name="tp" bitsize="64" type="data_ptr"/>
    <reg name="t0" bitsize="64" type="int"/>
    <reg name="t1" bitsize="64" type="int"/>
    <reg name="t2" bitsize="64" type="int"/>
    <reg name="fp" bitsize="64" type="data_ptr"/>
    <reg name="s1" bitsize="64" type="int"/>
    <reg name="a0" bitsize="64" type="int"/>
    <reg name="a1" bitsize="64" type="int"/>
    <reg name="a2" bitsize="64" type="int"/>
    <reg name="a3" bitsize="64" type="int"/>
    <reg name="a4" bitsize="64" type="int"/>
    <reg name="a5" bitsize="64" type="int"/>
    <reg name="a6" bitsize="64" type="int"/>
    <reg name="a7" bitsize="64" type="int"/>
    <reg name="s2" bitsize="64" type="int"/>
    <reg name="s3" bitsize="64" type="int"/>
    <reg name="s4" bitsize="64" type="int"/>
    <reg name="s5" bitsize="64" type="int"/>
    <reg name="s6" bitsize="64" type="int"/>
    <reg name="s7" bitsize="64" type="int"/>
    <reg name="s8" bitsize="64" type="int"/>
    <reg name="s9" bitsize="64" type="int"/>
    <reg name="s10" bitsize="64" type="int"/>
    <reg name="s11" bitsize="64" type="int"/>
    <reg name="t3" bitsize="64" type="int"/>
    <reg name="t4" bitsize="64" type="int"/>
    <reg name="t5" bitsize="64" type="int"/>
    <reg name="t6" bitsize="64" type="int"/>
    <reg name="pc" bitsize="64" type="code_ptr"/>
  </feature>
  <feature name="org.gnu.gdb.riscv.fpu">
    <union id="riscv_double">
      <field name="float" type="ieee_single"/>
      <field name="double" type="ieee_double"/>
    </union>
    <reg name="ft0" bitsize="64" type="riscv_double" regnum="33"/>
    <reg name="ft1" bitsize="64" type="riscv_double"/>
    <reg name="ft2" bitsize="64" type="riscv_double"/>
    <reg name="ft3" bitsize="64" type="riscv_double"/>
    <reg name="ft4" bitsize="64" type="riscv_double"/>
    <reg name="ft5" bitsize="64" type="riscv_double"/>
    <reg name="ft6" bitsize="64" type="riscv_double"/>
    <reg name="ft7" bitsize="64" type="riscv_double"/>
    <reg name="fs0" bitsize="64" type="riscv_double"/>
    <reg name="fs1" bitsize="64" type="riscv_double"/>
    <reg name="fa0" bitsize="64" type="riscv_double"/>
    <reg name="fa1" bitsize="64" type="riscv_double"/>
    <reg name="fa2" bitsize="64" type="riscv_double"/>
    <reg name="fa3" bitsize="64" type="riscv_double"/>
    <reg name="fa4" bitsize="64" type="riscv_double"/>
    <reg name="fa5" bitsize="64" type="riscv_double"/>
    <reg name="fa6" bitsize="64" type="riscv_double"/>
    <reg name="fa7" bitsize="64" type="riscv_double"/>
    <reg name="fs2" bitsize="64" type="riscv_double"/>
    <reg name="fs3" bitsize="64" type="riscv_double"/>
    <reg name="fs4" bitsize="64" type="riscv_double"/>
    <reg name="fs5" bitsize="64" type="riscv_double"/>
    <reg name="fs6" bitsize="64" type="riscv_double"/>
    <reg name="fs7" bitsize="64" type="riscv_double"/>
    <reg name="fs8" bitsize="64" type="riscv_double"/>
    <reg name="fs9" bitsize="64" type="riscv_double"/>
    <reg name="fs10" bitsize="64" type="riscv_double"/>
    <reg name="fs11" bitsize="64" type="riscv_double"/>
    <reg name="ft8" bitsize="64" type="riscv_double"/>
    <reg name="ft9" bitsize="64" type="riscv_double"/>
    <reg name="ft10" bitsize="64" type="riscv_double"/>
    <reg name="ft11" bitsize="64" type="riscv_double"/>
    <reg name="fflags" bitsize="64" type="int" regnum="66"/>
    <reg name="frm" bitsize="64" type="int" regnum="67"/>
    <reg name="fcsr" bitsize="64" type="int" regnum="68"/>
  </feature>
</target>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_numbers_are_gdbs() {
        assert_eq!(Reg::from_raw_id(0).map(|r| r.0), Some(Reg::X(0)));
        assert_eq!(Reg::from_raw_id(32).map(|r| r.0), Some(Reg::Pc));
        assert_eq!(Reg::from_raw_id(33).map(|r| r.0), Some(Reg::F(0)));
        assert_eq!(Reg::from_raw_id(64).map(|r| r.0), Some(Reg::F(31)));
        assert_eq!(Reg::from_raw_id(65).map(|r| r.0), None);
        assert_eq!(Reg::from_raw_id(68).map(|r| r.0), Some(Reg::Fcsr));
        let xml = Rv64gc::target_description_xml().unwrap_or_default();
        assert_eq!(xml.matches("<reg ").count(), 33 + 32 + 3);
    }

    #[test]
    fn core_registers_round_trip() {
        let mut regs = CoreRegs { pc: 0x1234, ..CoreRegs::default() };
        regs.x[10] = 42;
        let mut bytes = Vec::new();
        regs.gdb_serialize(|b| bytes.push(b.unwrap_or(0)));
        assert_eq!(bytes.len(), 33 * 8);
        let mut back = CoreRegs::default();
        assert_eq!(back.gdb_deserialize(&bytes), Ok(()));
        assert_eq!(back, regs);
    }
}
