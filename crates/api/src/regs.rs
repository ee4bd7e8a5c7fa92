//! Register names ([`Reg`]): `x0`–`x31` by number or ABI name, `f0`–`f31`
//! (raw bits: a single-precision value is NaN-boxed), `pc` and the FP CSRs.

use crate::{Error, Result};

/// A guest register, for [`crate::Machine::reg`] and
/// [`crate::Machine::set_reg`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reg {
    /// Integer register `x0`..`x31` (`x0` reads 0; writes to it are
    /// ignored).
    X(u8),
    /// FP register `f0`..`f31`, as raw 64 bits (a `float` is NaN-boxed:
    /// upper 32 bits all ones).
    F(u8),
    /// The program counter.
    Pc,
    /// `fcsr`: `frm << 5 | fflags`.
    Fcsr,
    /// `fflags` (5 bits: NV DZ OF UF NX).
    Fflags,
    /// `frm` (3 bits).
    Frm,
}

macro_rules! abi {
    ($($name:ident = $n:literal),* $(,)?) => {
        impl Reg {
            $(
                #[doc = concat!("`x", stringify!($n), "`.")]
                pub const $name: Reg = Reg::X($n);
            )*
        }
    };
}

abi! {
    ZERO = 0, RA = 1, SP = 2, GP = 3, TP = 4, T0 = 5, T1 = 6, T2 = 7, S0 = 8, FP = 8, S1 = 9,
    A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, A6 = 16, A7 = 17,
    S2 = 18, S3 = 19, S4 = 20, S5 = 21, S6 = 22, S7 = 23, S8 = 24, S9 = 25, S10 = 26, S11 = 27,
    T3 = 28, T4 = 29, T5 = 30, T6 = 31,
}

impl Reg {
    /// Argument register `a{i}` (`i < 8`).
    pub fn arg(i: u8) -> Result<Reg> {
        if i < 8 { Ok(Reg::X(10 + i)) } else { Err(Error::BadRegister(format!("a{i}"))) }
    }

    /// The index into [`ferrovm_ir::Cpu::regs`], checked.
    pub(crate) fn slot(self) -> Result<Option<usize>> {
        match self {
            Reg::X(n) if n < 32 => Ok(Some(usize::from(n))),
            Reg::F(n) if n < 32 => Ok(Some(32 + usize::from(n))),
            Reg::X(n) => Err(Error::BadRegister(format!("x{n}"))),
            Reg::F(n) => Err(Error::BadRegister(format!("f{n}"))),
            _ => Ok(None),
        }
    }
}
