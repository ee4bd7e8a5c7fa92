//! Guest memory faults: values describing why a guest access failed.

use core::fmt;

/// What kind of access faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load (or the read half of a syscall copy).
    Read,
    /// A store, an AMO or a store-conditional (RISC-V reports AMO faults as
    /// store/AMO faults).
    Write,
    /// An instruction fetch.
    Exec,
}

/// Why the access faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// No mapping at the address (Linux: `SIGSEGV`/`SEGV_MAPERR`). Addresses
    /// at or beyond [`GUEST_LIMIT`](crate::GUEST_LIMIT) are unmapped.
    Unmapped,
    /// The page is mapped but does not allow the access (`SIGSEGV`/
    /// `SEGV_ACCERR`).
    Protection,
    /// An atomic access that is not naturally aligned, or an instruction fetch
    /// from an odd address (`SIGBUS`/`BUS_ADRALN`). Plain loads and stores may
    /// be misaligned and never fault with this kind.
    Misaligned,
}

/// A guest memory fault. Not an error of ferrovm: the guest gets a signal.
///
/// `addr` is the first faulting byte, like RISC-V `stval`: for an access that
/// straddles two pages and faults on the second, it is the first byte of the
/// second page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// Guest address of the first byte that could not be accessed.
    pub addr: u64,
    /// The access that faulted.
    pub access: Access,
    /// Why it faulted.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault of `kind` for `access` at `addr`.
    #[inline]
    #[must_use]
    pub const fn new(addr: u64, access: Access, kind: FaultKind) -> Self {
        Self { addr, access, kind }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Exec => "execute",
        })
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Unmapped => "unmapped address",
            FaultKind::Protection => "permission denied",
            FaultKind::Misaligned => "misaligned address",
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest {} fault at {:#x}: {}", self.access, self.addr, self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let f = Fault::new(0x1234, Access::Write, FaultKind::Protection);
        assert_eq!(f.to_string(), "guest write fault at 0x1234: permission denied");
        let f = Fault::new(0x10, Access::Exec, FaultKind::Unmapped);
        assert_eq!(f.to_string(), "guest execute fault at 0x10: unmapped address");
        let f = Fault::new(0x11, Access::Read, FaultKind::Misaligned);
        assert_eq!(f.to_string(), "guest read fault at 0x11: misaligned address");
    }
}
