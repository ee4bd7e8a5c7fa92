//! Guest page permissions and the per-page flag byte of the permission table.

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// Bits of one entry of the per-page permission table.
///
/// The table has one `AtomicU8` per 4 KiB guest page (see
/// [`AddressSpace::page_table_base`](crate::AddressSpace::page_table_base)).
/// A JIT that checks permissions inline tests these bits directly; they are
/// stable within one build of ferrovm.
pub mod page_flags {
    /// The guest may read the page.
    pub const READ: u8 = 1 << 0;
    /// The guest may write the page.
    pub const WRITE: u8 = 1 << 1;
    /// The guest may execute the page.
    pub const EXEC: u8 = 1 << 2;
    /// The page is mapped (possibly with no permissions at all, like
    /// `PROT_NONE`). Distinguishes `SEGV_ACCERR` from `SEGV_MAPERR`.
    pub const MAPPED: u8 = 1 << 3;
    /// A translation of code on this page exists. A write through the checked
    /// API to such a page takes the slow path, which clears this bit and
    /// records the page as dirty code (see
    /// [`AddressSpace::take_dirty_code_pages`](crate::AddressSpace::take_dirty_code_pages)).
    pub const CODE: u8 = 1 << 4;
    /// Writes to this page are logged since the last snapshot (see
    /// [`AddressSpace::snapshot`](crate::AddressSpace::snapshot)): the first
    /// write through the checked API takes the slow path, which clears this
    /// bit and records the page, so a restore copies back only the pages
    /// written since.
    pub const TRACK: u8 = 1 << 5;
    /// Translated code on this page was rewritten many times (a JIT's code
    /// buffer): with host protection mirrored, the page is no longer
    /// write-protected for its code (a host fault and two `mprotect`s per
    /// rewrite cost more than the rewrite), so a store without an inline
    /// check may change its code unnoticed; its translations are dropped at
    /// every `fence.i` instead (see
    /// [`AddressSpace::take_volatile_code_pages`](crate::AddressSpace::take_volatile_code_pages)),
    /// which is what RISC-V asks a program to run before new code.
    pub const VOLATILE: u8 = 1 << 6;
    /// The bits that send a store to the slow path (a JIT checking stores
    /// inline tests `flags & (WRITE | WRITE_SLOW) == WRITE`).
    pub const WRITE_SLOW: u8 = CODE | TRACK;
    /// The bits that come from [`Perms`](super::Perms).
    pub const PERMS: u8 = READ | WRITE | EXEC;
}

/// Guest memory permissions: any combination of read, write and execute.
///
/// A small bitflags-like value; `Display` prints the `/proc/self/maps` form
/// (`r-x`, `rw-`, `---`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perms(u8);

impl Perms {
    /// No access (`PROT_NONE`).
    pub const NONE: Self = Self(0);
    /// Read.
    pub const R: Self = Self(page_flags::READ);
    /// Write.
    pub const W: Self = Self(page_flags::WRITE);
    /// Execute.
    pub const X: Self = Self(page_flags::EXEC);
    /// Read and write.
    pub const RW: Self = Self(page_flags::READ | page_flags::WRITE);
    /// Read and execute.
    pub const RX: Self = Self(page_flags::READ | page_flags::EXEC);
    /// Read, write and execute.
    pub const RWX: Self = Self(page_flags::PERMS);

    /// The permissions in the low bits of `bits` ([`page_flags::READ`],
    /// [`page_flags::WRITE`], [`page_flags::EXEC`]); other bits are ignored.
    #[inline]
    #[must_use]
    pub const fn from_bits_truncate(bits: u8) -> Self {
        Self(bits & page_flags::PERMS)
    }

    /// From Linux `PROT_*` bits (`PROT_READ = 1`, `PROT_WRITE = 2`,
    /// `PROT_EXEC = 4`), which happen to match ours; unknown bits are ignored.
    #[inline]
    #[must_use]
    pub const fn from_prot(prot: u32) -> Self {
        Self((prot & 7) as u8)
    }

    /// The raw bits ([`page_flags`] layout).
    #[inline]
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every permission in `other` is also in `self`.
    #[inline]
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no permission is set.
    #[inline]
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Readable.
    #[inline]
    #[must_use]
    pub const fn read(self) -> bool {
        self.0 & page_flags::READ != 0
    }

    /// Writable.
    #[inline]
    #[must_use]
    pub const fn write(self) -> bool {
        self.0 & page_flags::WRITE != 0
    }

    /// Executable.
    #[inline]
    #[must_use]
    pub const fn exec(self) -> bool {
        self.0 & page_flags::EXEC != 0
    }
}

impl BitOr for Perms {
    type Output = Self;
    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for Perms {
    #[inline]
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Perms {
    type Output = Self;
    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl Not for Perms {
    type Output = Self;
    #[inline]
    fn not(self) -> Self {
        Self(!self.0 & page_flags::PERMS)
    }
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |on: bool, ch: char| if on { ch } else { '-' };
        write!(f, "{}{}{}", c(self.read(), 'r'), c(self.write(), 'w'), c(self.exec(), 'x'))
    }
}

impl fmt::Debug for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Perms({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        assert_eq!(Perms::NONE.to_string(), "---");
        assert_eq!(Perms::RX.to_string(), "r-x");
        assert_eq!(Perms::RW.to_string(), "rw-");
        assert_eq!(Perms::RWX.to_string(), "rwx");
        assert_eq!((Perms::W | Perms::X).to_string(), "-wx");
        assert_eq!(format!("{:?}", Perms::R), "Perms(r--)");
    }

    #[test]
    fn ops() {
        assert!(Perms::RWX.contains(Perms::RW));
        assert!(!Perms::RX.contains(Perms::W));
        assert!(Perms::RX.contains(Perms::NONE));
        assert_eq!(!Perms::R, Perms::W | Perms::X);
        assert_eq!(Perms::RW & Perms::RX, Perms::R);
        assert_eq!(Perms::from_prot(0xff), Perms::RWX);
        assert_eq!(Perms::from_bits_truncate(0xff), Perms::RWX);
        assert!(Perms::NONE.is_empty());
        let mut p = Perms::R;
        p |= Perms::X;
        assert_eq!(p, Perms::RX);
    }
}
