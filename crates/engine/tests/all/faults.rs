//! Host faults that belong to the guest: a guest-memory copy whose page
//! vanishes between the permission check and the copy (another guest
//! thread's `munmap` while a system call reads a buffer) is a guest fault,
//! not a crash of the host process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ferrovm_engine::Vm;

use crate::support::interp;
use ferrovm_mem::{AddressSpace, Perms};

const PAGE: u64 = 0x40000;

/// The race, made certain: the host page goes away behind the permission
/// table's back (what a concurrent unmap does between the check and the
/// copy), so the check passes and the copy itself faults in the host.
#[test]
fn a_copy_whose_host_page_vanished_is_a_guest_fault() {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    let _vm = Vm::new(Arc::clone(&mem), interp()); // installs the handler
    mem.map(PAGE, 0x2000, Perms::RW).expect("map");
    mem.write_bytes(PAGE, &[1; 64]).expect("mapped: the copy works");
    let host = mem.host_base() as usize + PAGE as usize;
    // SAFETY: the range is two pages of the guest reservation, which the
    // address space owns; PROT_NONE only makes accesses fault (what a
    // decommitted page does), it frees nothing Rust refers to.
    let r = unsafe { libc::mprotect(host as *mut libc::c_void, 0x2000, libc::PROT_NONE) };
    assert_eq!(r, 0, "mprotect");
    let mut buf = [0u8; 64];
    assert!(mem.read_bytes(PAGE + 8, &mut buf).is_err(), "a read from the vanished page is a fault");
    assert!(mem.write_bytes(PAGE + 0x1ff8, &[2; 16]).is_err(), "a write into it too, straddling two pages");
    assert!(mem.compare_exchange_u32_syscall(PAGE + 4, 1, 2).is_err(), "and a compare-and-swap");
    // SAFETY: as above; back to what the table says.
    let r = unsafe { libc::mprotect(host as *mut libc::c_void, 0x2000, libc::PROT_READ | libc::PROT_WRITE) };
    assert_eq!(r, 0, "mprotect back");
    mem.read_bytes(PAGE, &mut buf).expect("readable again");
    assert_eq!(buf, [1; 64]);
}

/// The real race: one thread copies into a region (as `read()` fills a
/// guest buffer) while another unmaps and maps it again, thousands of
/// times. Every copy succeeds or reports a fault; the process survives.
#[test]
fn copies_racing_with_unmap_never_crash() {
    let mem = Arc::new(AddressSpace::new().expect("address space"));
    let _vm = Vm::new(Arc::clone(&mem), interp());
    mem.map(PAGE, 0x10000, Perms::RW).expect("map");
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let copier = {
        let (mem, stop, ok, failed) = (Arc::clone(&mem), Arc::clone(&stop), Arc::clone(&ok), Arc::clone(&failed));
        std::thread::spawn(move || {
            let data = vec![0x5a; 0x10000];
            while !stop.load(Ordering::Relaxed) {
                match mem.write_bytes(PAGE, &data) {
                    Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        })
    };
    for _ in 0..3000 {
        mem.unmap(PAGE, 0x10000).expect("unmap");
        mem.map(PAGE, 0x10000, Perms::RW).expect("map");
    }
    stop.store(true, Ordering::Relaxed);
    copier.join().expect("the copying thread did not crash");
    assert!(ok.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) > 0, "the copier ran");
}
