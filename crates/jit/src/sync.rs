//! The synchronization primitives of the code-reclamation protocol
//! ([`crate::code_cache::Epochs`]): std's, or loom's when the crate's unit
//! tests are built with `--cfg loom`, so that the model checks in
//! `code_cache/loom.rs` explore the real epoch code, not a copy of it.

#[cfg(all(test, loom))]
pub(crate) use loom::sync::Mutex;
#[cfg(all(test, loom))]
pub(crate) use loom::sync::atomic::{AtomicU64, fence};
#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::Mutex;
#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::atomic::{AtomicU64, fence};
