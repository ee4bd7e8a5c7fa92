//! Errors of the embedding API. Guest events (a fault nobody handled, an
//! `ecall`, an exit) are not errors: they are [`crate::Outcome`]s.

use std::path::PathBuf;

use ferrovm_mem::Fault;

/// A failure of the host, or a request the machine cannot carry out.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Mapping, unmapping or protecting memory failed (bad range, not
    /// page-aligned, not mapped, host out of memory).
    #[error(transparent)]
    Memory(#[from] ferrovm_mem::Error),
    /// Reading or writing guest memory through the API hit memory that is
    /// not mapped.
    #[error("guest memory access failed: {0}")]
    Access(Fault),
    /// Loading or running a Linux program failed.
    #[error(transparent)]
    Linux(#[from] ferrovm_linux::Error),
    /// Reading a file failed.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A register that does not exist (`x32`, `f40`).
    #[error("no register {0}")]
    BadRegister(String),
    /// The ELF needs a dynamic linker: load it with [`crate::Machine::linux`].
    #[error("{0} is dynamically linked: load it with Machine::linux")]
    Dynamic(PathBuf),
    /// A hook id that is not installed.
    #[error("no hook {0:?}")]
    NoHook(crate::HookId),
    /// The machine has no Linux process (made with [`crate::Machine::new`]).
    #[error("not a Linux machine: use Machine::linux")]
    NotLinux,
}

/// Result of the embedding API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
