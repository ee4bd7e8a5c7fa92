//! Faults: unmapped, protection, beyond GUEST_LIMIT, wrap-around,
//! straddling pages, instruction fetch.

use ferrovm_mem::{Access, Fault, FaultKind, GUEST_LIMIT, PAGE_SIZE, Perms};

use crate::space;

const P: u64 = PAGE_SIZE;

fn fault(addr: u64, access: Access, kind: FaultKind) -> Fault {
    Fault { addr, access, kind }
}

#[test]
fn unmapped() {
    let m = space();
    assert_eq!(m.load_u8(0), Err(fault(0, Access::Read, FaultKind::Unmapped)));
    assert_eq!(m.store_u32(0x1234, 1), Err(fault(0x1234, Access::Write, FaultKind::Unmapped)));
    assert_eq!(m.fetch_u16(0x1234), Err(fault(0x1234, Access::Exec, FaultKind::Unmapped)));
}

#[test]
fn wrong_permission() {
    let m = space();
    m.map(0x10000, P, Perms::R).expect("map");
    m.map(0x11000, P, Perms::NONE).expect("map");
    m.map(0x12000, P, Perms::W).expect("map");
    assert_eq!(m.load_u64(0x10000), Ok(0));
    assert_eq!(m.store_u64(0x10008, 1), Err(fault(0x10008, Access::Write, FaultKind::Protection)));
    assert_eq!(m.load_u8(0x11000), Err(fault(0x11000, Access::Read, FaultKind::Protection)));
    assert_eq!(m.store_u8(0x12000, 9), Ok(()));
    assert_eq!(m.load_u8(0x12000), Err(fault(0x12000, Access::Read, FaultKind::Protection)));
    // Protection changes take effect at once.
    m.protect(0x10000, P, Perms::RW).expect("protect");
    assert_eq!(m.store_u64(0x10008, 1), Ok(()));
    m.protect(0x10000, P, Perms::NONE).expect("protect");
    assert_eq!(m.load_u64(0x10008), Err(fault(0x10008, Access::Read, FaultKind::Protection)));
    m.protect(0x10000, P, Perms::R).expect("protect");
    assert_eq!(m.load_u64(0x10008), Ok(1), "contents survive mprotect");
}

#[test]
fn beyond_guest_limit() {
    let m = space();
    m.map(GUEST_LIMIT - P, P, Perms::RWX).expect("map");
    assert_eq!(m.load_u64(GUEST_LIMIT - 8), Ok(0));
    for a in [GUEST_LIMIT, GUEST_LIMIT + 8, 1 << 47, 1 << 63, u64::MAX - 9] {
        assert_eq!(m.load_u8(a), Err(fault(a, Access::Read, FaultKind::Unmapped)));
        assert_eq!(m.store_u64(a, 0), Err(fault(a, Access::Write, FaultKind::Unmapped)));
        assert_eq!(m.fetch_u32(a), Err(fault(a, Access::Exec, FaultKind::Unmapped)));
        assert_eq!(m.perms(a), Perms::NONE);
        assert!(!m.is_code(a));
        assert!(!m.mark_code(a));
    }
    // Straddling the limit: the fault is at the first byte past it.
    for a in [GUEST_LIMIT - 7, GUEST_LIMIT - 1] {
        assert_eq!(m.load_u64(a), Err(fault(GUEST_LIMIT, Access::Read, FaultKind::Unmapped)));
        assert_eq!(m.store_u64(a, 0), Err(fault(GUEST_LIMIT, Access::Write, FaultKind::Unmapped)));
    }
    assert_eq!(m.fetch_u32(GUEST_LIMIT - 2), Err(fault(GUEST_LIMIT, Access::Exec, FaultKind::Unmapped)));
    assert_eq!(m.fetch_u16(GUEST_LIMIT - 2), Ok(0));
    let mut buf = [0u8; 16];
    assert_eq!(m.read_bytes(GUEST_LIMIT - 8, &mut buf), Err(fault(GUEST_LIMIT, Access::Read, FaultKind::Unmapped)));
    assert_eq!(m.write_bytes_force(GUEST_LIMIT - 8, &buf), Err(fault(GUEST_LIMIT, Access::Write, FaultKind::Unmapped)));
}

#[test]
fn wrap_around() {
    let m = space();
    m.map(0, P, Perms::RW).expect("map page 0");
    for a in [u64::MAX, u64::MAX - 1, u64::MAX - 6] {
        assert_eq!(m.load_u64(a), Err(fault(a, Access::Read, FaultKind::Unmapped)));
        assert_eq!(m.store_u64(a, 0), Err(fault(a, Access::Write, FaultKind::Unmapped)));
    }
    let mut buf = [0u8; 32];
    assert_eq!(m.read_bytes(u64::MAX - 3, &mut buf), Err(fault(u64::MAX - 3, Access::Read, FaultKind::Unmapped)));
    assert_eq!(m.read_cstr(u64::MAX - 3, 100), Err(fault(u64::MAX - 3, Access::Read, FaultKind::Unmapped)));
}

#[test]
fn straddling_pages() {
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    // [0x11000, 0x12000) unmapped.
    m.map(0x12000, P, Perms::R).expect("map");
    m.map(0x13000, P, Perms::RW).expect("map");
    // Misaligned within a page is fine.
    m.store_u64(0x10ff1, u64::MAX).expect("misaligned store");
    assert_eq!(m.load_u64(0x10ff1), Ok(u64::MAX));
    // Second page unmapped: the fault is at its first byte.
    assert_eq!(m.load_u64(0x10ffc), Err(fault(0x11000, Access::Read, FaultKind::Unmapped)));
    assert_eq!(m.load_u16(0x10fff), Err(fault(0x11000, Access::Read, FaultKind::Unmapped)));
    // First page unmapped: the fault is at the address.
    assert_eq!(m.load_u32(0x11ffe), Err(fault(0x11ffe, Access::Read, FaultKind::Unmapped)));
    // Read-only second page.
    assert_eq!(m.store_u32(0x12ffe, 1), Err(fault(0x12ffe, Access::Write, FaultKind::Protection)));
    m.map(0x14000, P, Perms::R).expect("map");
    assert_eq!(m.store_u32(0x13ffe, 0xaabb_ccdd), Err(fault(0x14000, Access::Write, FaultKind::Protection)));
    assert_eq!(m.load_u16(0x13ffe), Ok(0), "a faulting store writes nothing");
    assert_eq!(m.load_u32(0x13ffe), Ok(0), "loads straddling rw/r pages are fine");
    // Straddling two good pages works byte-exactly.
    m.map(0x14000, P, Perms::RW).expect("map");
    m.store_u64(0x13ffd, 0x0807_0605_0403_0201).expect("store");
    let mut buf = [0u8; 8];
    m.read_bytes(0x13ffd, &mut buf).expect("read");
    assert_eq!(buf, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(m.load_u8(0x14000), Ok(4));
}

#[test]
fn fetch_needs_exec() {
    let m = space();
    m.map(0x10000, P, Perms::RX).expect("map");
    m.map(0x11000, P, Perms::RW).expect("map");
    m.write_bytes_force(0x10000, &0x0011_2233u32.to_le_bytes()).expect("write");
    assert_eq!(m.fetch_u32(0x10000), Ok(0x0011_2233));
    assert_eq!(m.fetch_u16(0x10002), Ok(0x0011));
    assert_eq!(m.load_u32(0x10000), Ok(0x0011_2233), "r-x is readable");
    assert_eq!(m.fetch_u16(0x11000), Err(fault(0x11000, Access::Exec, FaultKind::Protection)));
    // A 32-bit instruction in the last parcel of an exec page, continuing
    // into a non-exec page.
    assert_eq!(m.fetch_u16(0x10ffe), Ok(0));
    assert_eq!(m.fetch_u32(0x10ffe), Err(fault(0x11000, Access::Exec, FaultKind::Protection)));
    m.protect(0x11000, P, Perms::RX).expect("protect");
    assert_eq!(m.fetch_u32(0x10ffe), Ok(0));
    // Odd pc.
    assert_eq!(m.fetch_u16(0x10001), Err(fault(0x10001, Access::Exec, FaultKind::Misaligned)));
    assert_eq!(m.fetch_u32(0x10003), Err(fault(0x10003, Access::Exec, FaultKind::Misaligned)));
}

#[test]
fn little_endian_widths() {
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    m.store_u64(0x10000, 0x8877_6655_4433_2211).expect("store");
    assert_eq!(m.load_u8(0x10000), Ok(0x11));
    assert_eq!(m.load_u16(0x10001), Ok(0x3322));
    assert_eq!(m.load_u32(0x10003), Ok(0x7766_5544));
    m.store_u16(0x10006, 0xbbaa).expect("store");
    m.store_u32(0x10000, 0xffee_ddcc).expect("store");
    m.store_u8(0x10005, 0x99).expect("store");
    assert_eq!(m.load_u64(0x10000), Ok(0xbbaa_9955_ffee_ddcc));
}
