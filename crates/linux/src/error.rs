//! Errors of the Linux layer: the host failed, or the program cannot be run.
//! (What the *guest* does wrong is not an error: it gets an errno or a signal.)

use std::path::PathBuf;

/// Why a program could not be started or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The program file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The host error.
        source: std::io::Error,
    },
    /// The ELF file is malformed or not a riscv64 Linux executable.
    #[error("{path}: {message}")]
    BadElf {
        /// The file.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },
    /// Setting up guest memory failed on the host.
    #[error("guest memory: {0}")]
    Memory(#[from] ferrovm_mem::Error),
    /// A host I/O operation failed while setting up the process.
    #[error("{context}: {source}")]
    Host {
        /// What was being done.
        context: &'static str,
        /// The host error.
        source: std::io::Error,
    },
}

/// Result of the Linux layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
