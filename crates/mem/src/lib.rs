//! The guest address space of ferrovm: one host reservation, mappings,
//! permissions and faults.
//!
//! # Design
//!
//! * **One reservation.** [`AddressSpace::new`] reserves [`GUEST_LIMIT`]
//!   bytes (riscv64 Linux Sv39 user space, 256 GiB) plus a [`HOST_GUARD`] of
//!   host address space with `mmap(PROT_NONE, MAP_NORESERVE)`. Guest address
//!   `a` lives at host address `host_base() + a`; no translation, no software
//!   TLB. Every checked access first proves `a + size <= GUEST_LIMIT`, so no
//!   guest address reaches host memory outside the reservation.
//! * **Host protection is coarse, or mirrors the guest's.** By default
//!   mapped guest pages are host read-write, unmapped ones `PROT_NONE`; the
//!   host never executes guest memory. After
//!   [`AddressSpace::mirror_protection`] (what a JIT without inline checks
//!   turns on), read-only guest pages are host read-only, inaccessible
//!   ones `PROT_NONE`, and writable pages holding translated code
//!   (`CODE`) host read-only too, so that a plain host access faults where
//!   the guest's would and a store to code faults instead of being checked
//!   (as QEMU's user mode write-protects pages with translations). The
//!   host fault handler finishes such stores through the checked path
//!   ([`AddressSpace::resolve_host_fault`] for checked accesses that raced
//!   with a page's write protection).
//! * **Guest permissions are in software**: a permission table with one
//!   `AtomicU8` per 4 KiB page ([`GUEST_PAGES`] = 2^26 entries, a lazily
//!   committed anonymous mapping, so only touched parts use memory). The bits
//!   are in [`page_flags`]: `READ`, `WRITE`, `EXEC`, `MAPPED` (to tell
//!   `SEGV_ACCERR` from `SEGV_MAPERR`) and `CODE`.
//! * **The hot path** (`load_*`, `store_*`, `fetch_*`) is one compare against
//!   `GUEST_LIMIT`, two relaxed loads of the table (the first and last byte's
//!   pages — the same entry unless the access straddles pages) and a masked
//!   compare. Misaligned accesses are allowed, as Linux emulates them;
//!   straddling ones need both pages. Everything else is a cold slow path.
//! * **Code pages.** The engine marks pages it translated with
//!   [`AddressSpace::mark_code`]. Stores test `flags & (WRITE | CODE) ==
//!   WRITE` — the same single compare as without code tracking — so a store
//!   to a code page falls into the slow path, which does the store, clears
//!   the mark and records the page; the run loop polls
//!   [`AddressSpace::code_dirty`] (one relaxed load) and takes the pages with
//!   [`AddressSpace::take_dirty_code_pages`]. `unmap`, `map` over code and
//!   `protect` removing `EXEC` record pages the same way.
//! * **Snapshots** ([`AddressSpace::snapshot`], [`AddressSpace::restore`])
//!   use the same mechanism: every page is marked `TRACK`, so the first
//!   store to each takes the slow path, which logs it; a restore copies
//!   back only the logged pages. Stores test `flags & (WRITE |
//!   WRITE_SLOW) == WRITE`, `WRITE_SLOW` being `CODE | TRACK`.
//! * **Mappings** (`map`/`unmap`/`protect`, `find_free`, `mappings`) keep a
//!   `BTreeMap` of regions behind a `Mutex`, which also serializes them. The
//!   permission table is what accesses read, lock-free.
//! * **Faults are values.** A guest access returns [`Fault`] (the guest gets
//!   `SIGSEGV` or `SIGBUS`); [`Error`] is only for host failures and bad
//!   mapping arguments.
//!
//! # Concurrency and `unsafe`
//!
//! Guest threads are host threads sharing one `AddressSpace`. Guest memory is
//! racy shared memory, as in QEMU and wasmtime's shared memories: it is only
//! ever touched through raw pointers (`read_unaligned`, `write_unaligned`,
//! `copy_nonoverlapping`) or host atomics made with `from_ptr` (AMOs, LR/SC),
//! and never turned into a Rust reference, so the compiler never assumes it
//! is unchanging or unaliased. Concurrent plain accesses may tear, exactly as
//! the guest's memory model allows for racy code.
//!
//! Mapping operations update the table before releasing host pages (and
//! after committing them), so a page is only ever *marked* mapped while it is
//! host-accessible. A guest thread that races with another's `munmap` may
//! have passed its check just before the table changed; the unmap barrier
//! ([`AddressSpace::add_unmap_barrier`]) that the engine installs waits until
//! every running vCPU has passed a safe point (finished that access) before
//! the host pages are released, so no checked access ever touches a
//! released page.
//!
//! The `unsafe` code is small: host `mmap` calls (`host.rs`), the table
//! reference, and one raw access per checked accessor, each after the check
//! that makes it sound.
//!
//! # Example
//!
//! ```
//! use ferrovm_mem::{Access, AddressSpace, Fault, FaultKind, Perms};
//!
//! # fn main() -> ferrovm_mem::Result<()> {
//! let mem = AddressSpace::new()?;
//! mem.map(0x1_0000, 0x2000, Perms::RW)?;
//! mem.store_u32(0x1_0ffe, 0xdead_beef).unwrap(); // misaligned and straddling
//! assert_eq!(mem.load_u32(0x1_0ffe), Ok(0xdead_beef));
//!
//! mem.protect(0x1_1000, 0x1000, Perms::R)?;
//! assert_eq!(
//!     mem.store_u32(0x1_0ffe, 0),
//!     Err(Fault { addr: 0x1_1000, access: Access::Write, kind: FaultKind::Protection })
//! );
//! assert_eq!(
//!     mem.fetch_u32(0x1_0000),
//!     Err(Fault { addr: 0x1_0000, access: Access::Exec, kind: FaultKind::Protection })
//! );
//!
//! // The ELF loader may write read-only memory; the guest may not.
//! mem.write_bytes_force(0x1_1000, b"hi\0").unwrap();
//! assert_eq!(mem.read_cstr(0x1_1000, 64), Ok(b"hi".to_vec()));
//!
//! // Code pages: stores still succeed, but the run loop learns about them.
//! mem.protect(0x1_0000, 0x1000, Perms::RWX)?;
//! assert!(mem.mark_code(0x1_0000));
//! mem.store_u16(0x1_0010, 0x0001).unwrap();
//! assert!(mem.code_dirty());
//! assert_eq!(mem.take_dirty_code_pages(), vec![0x1_0000]);
//! # Ok(())
//! # }
//! ```

mod access;
mod atomic;
mod error;
mod fault;
pub mod fixup;
mod host;
mod perms;
mod regions;
mod snapshot;
mod space;

pub use atomic::{AmoOp, AtomicWidth};
pub use error::{Error, Result};
pub use fault::{Access, Fault, FaultKind};
pub use host::SharedBacking;
pub use perms::{Perms, page_flags};
pub use regions::Mapping;
pub use snapshot::{MemSnapshot, Restored};
pub use space::{AddressSpace, ForkLock, UnmapBarrier, WrittenPage};

/// One past the highest guest address: riscv64 Linux Sv39 user space.
pub const GUEST_LIMIT: u64 = 1 << 38;

/// log2 of the guest page size.
pub const PAGE_SHIFT: u32 = 12;

/// The guest page size (4 KiB).
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// The host's (x86-64's) transparent huge page: 2 MiB
/// ([`AddressSpace::advise_huge_pages`]).
pub const HUGE_PAGE: u64 = 2 << 20;

/// Number of guest pages below [`GUEST_LIMIT`]: entries in the permission
/// table.
pub const GUEST_PAGES: usize = (GUEST_LIMIT >> PAGE_SHIFT) as usize;

/// `PROT_NONE` host address space reserved after [`GUEST_LIMIT`], never
/// mapped: a JIT that checks `addr < GUEST_LIMIT` (or masks the address to
/// 38 bits) may then access up to this many bytes past it without a second
/// check and fault safely inside the reservation.
pub const HOST_GUARD: u64 = 1 << 32;

/// Lowest address [`AddressSpace::find_free`] hands out, like Linux's
/// default `vm.mmap_min_addr` (64 KiB).
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_by_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<AddressSpace>();
    }

    #[test]
    fn constants() {
        assert_eq!(GUEST_LIMIT, 0x40_0000_0000);
        assert_eq!(GUEST_PAGES, 1 << 26);
        assert_eq!(PAGE_SIZE, 4096);
    }
}
