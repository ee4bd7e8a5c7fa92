//! Host-side failures of the address space (not guest faults).

/// A failure of the host or a bad argument to a mapping operation.
///
/// Guest accesses never return this: they return [`Fault`](crate::Fault).
/// The syscall layer maps these to errno values (`EINVAL`, `ENOMEM`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reserving or changing host memory failed.
    #[error("host {op} failed: {source}")]
    Host {
        /// The host call (`mmap`, `munmap`, `madvise`).
        op: &'static str,
        /// The host errno.
        #[source]
        source: rustix::io::Errno,
    },
    /// An address that must be page-aligned is not (`EINVAL`).
    #[error("address {addr:#x} is not page-aligned")]
    Unaligned {
        /// The offending address.
        addr: u64,
    },
    /// The range is empty or extends past [`GUEST_LIMIT`](crate::GUEST_LIMIT)
    /// (`EINVAL` / `ENOMEM`).
    #[error("bad guest range {addr:#x} + {len:#x}")]
    BadRange {
        /// Start of the range.
        addr: u64,
        /// Length of the range in bytes.
        len: u64,
    },
    /// Part of the range is not mapped (`mprotect`: `ENOMEM`).
    #[error("guest address {addr:#x} is not mapped")]
    NotMapped {
        /// The first unmapped address in the range.
        addr: u64,
    },
}

/// Result of host-side address-space operations.
pub type Result<T, E = Error> = core::result::Result<T, E>;
