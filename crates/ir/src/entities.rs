//! Entity references: small `u32`/`u8` newtypes that index into a block.

/// Defines an entity newtype with a text prefix, in the style of Cranelift's
/// `entity_impl!`: `Temp(3)` prints as `t3`.
macro_rules! entity {
    ($(#[$m:meta])* $name:ident($ty:ty), $prefix:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $ty);

        impl $name {
            /// The raw index.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

entity! {
    /// A temporary: a 64-bit value assigned exactly once within a block.
    Temp(u32), "t"
}

/// A guest register: `x0`..`x31` are indices 0..32, `f0`..`f31` are 32..64.
///
/// Guest registers are only touched by explicit `get`/`set` ops, which is what
/// lets passes keep them in temporaries and write back only what changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Reg(pub u8);

impl Reg {
    /// Number of guest registers in the register file.
    pub const COUNT: usize = 64;

    /// Integer register `xN`.
    pub const fn x(n: u8) -> Reg {
        Reg(n & 31)
    }

    /// Floating-point register `fN`.
    pub const fn f(n: u8) -> Reg {
        Reg(32 + (n & 31))
    }

    /// The raw index into [`crate::Cpu::regs`].
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// Whether this is `x0`, which reads as zero and ignores writes.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether this is a floating-point register.
    pub const fn is_fp(self) -> bool {
        self.0 >= 32
    }
}

impl std::fmt::Display for Reg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_fp() { write!(f, "f{}", self.0 - 32) } else { write!(f, "x{}", self.0) }
    }
}
