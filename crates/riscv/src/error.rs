//! Errors of this crate. Decoding never fails (illegal words are values);
//! only reading an ELF file for a listing can.

/// What went wrong while listing an ELF file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not a well-formed ELF file (truncated, bad offsets...).
    #[error("malformed ELF file: {0}")]
    Elf(#[from] object::read::Error),
    /// The file is too short to hold an ELF header.
    #[error("not an ELF file: only {0} bytes")]
    TooShort(usize),
    /// The file is ELF, but not for 64-bit little-endian RISC-V.
    #[error("not a RISC-V ELF64 file (class {class}, machine {machine})")]
    NotRiscv64 {
        /// `e_ident[EI_CLASS]`.
        class: u8,
        /// `e_machine`.
        machine: u16,
    },
    /// A section's contents lie outside the file.
    #[error("section {name} lies outside the file")]
    Truncated {
        /// The section's name.
        name: String,
    },
    /// Writing the listing failed.
    #[error("writing the listing failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Result type of this crate.
pub type Result<T> = core::result::Result<T, Error>;
