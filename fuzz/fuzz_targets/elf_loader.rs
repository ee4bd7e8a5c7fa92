//! The ELF loader on arbitrary bytes: it must return `Ok` or a one-line
//! `BadElf`/memory error, never panic, and never touch memory outside the
//! guest reservation.
//!
//! ```sh
//! cd fuzz && cargo +nightly fuzz run elf_loader -s none -- -max_total_time=600
//! ```
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use ferrovm_mem::{AddressSpace, GUEST_LIMIT};
use libfuzzer_sys::fuzz_target;

/// One reservation for the whole run (making one per input is slow).
static MEM: OnceLock<Option<AddressSpace>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(mem) = MEM.get_or_init(|| AddressSpace::new().ok()).as_ref() else { return };
    match ferrovm_linux::elf::load(mem, data, None, Path::new("fuzz.elf"), ferrovm_linux::elf::PIE_BASE) {
        Ok(loaded) => assert!(loaded.end <= GUEST_LIMIT && loaded.start <= loaded.end),
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
    let _ = mem.unmap(0, GUEST_LIMIT);
});
