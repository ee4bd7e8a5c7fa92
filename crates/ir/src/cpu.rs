//! The guest CPU state that IR operates on.

use crate::vector::VState;

/// No reservation is held (see [`Cpu::reservation`]).
pub const NO_RESERVATION: u64 = u64::MAX;

/// Architectural state of one guest hart (one guest thread).
///
/// `#[repr(C)]` because compiled code addresses fields by offset. The
/// vector state is the last field, so the offsets of the others do not
/// depend on it (and compiled code never touches it: vector instructions
/// run in a helper).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Cpu {
    /// `x0`..`x31` then `f0`..`f31` (see [`crate::Reg`]); `regs[0]` stays 0.
    pub regs: [u64; 64],
    /// Address of the next instruction to run.
    pub pc: u64,
    /// Accrued FP exception flags (`fflags`, 5 bits: NV DZ OF UF NX).
    pub fflags: u64,
    /// Dynamic rounding mode (`frm`, 3 bits).
    pub frm: u64,
    /// Instructions retired (backs `instret` and `cycle`).
    pub instret: u64,
    /// Address reserved by the last `lr`, or [`NO_RESERVATION`].
    pub reservation: u64,
    /// Value loaded by the last `lr` (an `sc` succeeds only if memory still
    /// holds it: the same compare-and-swap scheme QEMU uses).
    pub reservation_value: u64,
    /// Vector registers and CSRs (see [`crate::vector`]).
    pub vector: VState,
}

impl Default for Cpu {
    fn default() -> Self {
        Cpu {
            regs: [0; 64],
            pc: 0,
            fflags: 0,
            frm: 0,
            instret: 0,
            reservation: NO_RESERVATION,
            reservation_value: 0,
            vector: VState::default(),
        }
    }
}

impl Cpu {
    /// Records the reservation an `lr` at `addr` that loaded `value` takes.
    #[inline]
    pub fn reserve(&mut self, addr: u64, value: u64) {
        self.reservation = addr;
        self.reservation_value = value;
    }

    /// For an `sc` at `addr`: the value the reservation's `lr` loaded, if
    /// the hart holds a reservation for `addr`. Every `sc` gives up the
    /// reservation, whether it succeeds or not.
    #[inline]
    pub fn take_reservation(&mut self, addr: u64) -> Option<u64> {
        let held = self.reservation == addr;
        self.reservation = NO_RESERVATION;
        held.then_some(self.reservation_value)
    }

    /// Integer register `xN`.
    pub fn x(&self, n: usize) -> u64 {
        self.regs[n & 31]
    }

    /// Sets integer register `xN` (writes to `x0` are ignored).
    pub fn set_x(&mut self, n: usize, value: u64) {
        if n & 31 != 0 {
            self.regs[n & 31] = value;
        }
    }

    /// Floating-point register `fN` (raw 64 bits).
    pub fn f(&self, n: usize) -> u64 {
        self.regs[32 + (n & 31)]
    }

    /// Sets floating-point register `fN` (raw 64 bits).
    pub fn set_f(&mut self, n: usize, value: u64) {
        self.regs[32 + (n & 31)] = value;
    }
}
