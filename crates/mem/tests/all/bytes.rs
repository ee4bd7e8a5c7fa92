//! read_bytes / write_bytes (and their _force variants), read_cstr.

use ferrovm_mem::{Access, Fault, FaultKind, PAGE_SIZE, Perms};

use crate::space;

const P: u64 = PAGE_SIZE;

#[test]
fn round_trip_across_pages() {
    let m = space();
    m.map(0x10000, 3 * P, Perms::RW).expect("map");
    let data: Vec<u8> = (0..2 * P as usize + 100).map(|i| (i * 7) as u8).collect();
    m.write_bytes(0x10050, &data).expect("write");
    let mut back = vec![0u8; data.len()];
    m.read_bytes(0x10050, &mut back).expect("read");
    assert_eq!(back, data);
    assert_eq!(m.load_u8(0x10050 + 1000), Ok(data[1000]));
}

#[test]
fn empty_copies_never_fault() {
    let m = space();
    m.read_bytes(0xdead_0000, &mut []).expect("empty read");
    m.write_bytes(u64::MAX, &[]).expect("empty write");
}

#[test]
fn faults_report_first_bad_byte_and_copy_nothing() {
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    m.map(0x11000, P, Perms::R).expect("map");
    let data = [0xffu8; 64];
    assert_eq!(
        m.write_bytes(0x10fe0, &data),
        Err(Fault { addr: 0x11000, access: Access::Write, kind: FaultKind::Protection })
    );
    assert_eq!(m.load_u8(0x10fe0), Ok(0), "nothing written");
    let mut buf = [0u8; 64];
    m.read_bytes(0x10fe0, &mut buf).expect("r and rw pages are readable");
    assert_eq!(
        m.read_bytes(0x11fe0, &mut buf),
        Err(Fault { addr: 0x12000, access: Access::Read, kind: FaultKind::Unmapped })
    );
}

#[test]
fn force_ignores_permissions_but_not_mapping() {
    let m = space();
    m.map(0x10000, P, Perms::NONE).expect("map");
    m.write_bytes_force(0x10000, b"\x13\x00\x00\x00").expect("force write");
    let mut buf = [0u8; 4];
    assert_eq!(
        m.read_bytes(0x10000, &mut buf),
        Err(Fault { addr: 0x10000, access: Access::Read, kind: FaultKind::Protection })
    );
    m.read_bytes_force(0x10000, &mut buf).expect("force read");
    assert_eq!(&buf, b"\x13\x00\x00\x00");
    assert_eq!(
        m.write_bytes_force(0x10ffe, &buf),
        Err(Fault { addr: 0x11000, access: Access::Write, kind: FaultKind::Unmapped })
    );
    assert_eq!(
        m.read_bytes_force(0x20000, &mut buf),
        Err(Fault { addr: 0x20000, access: Access::Read, kind: FaultKind::Unmapped })
    );
}

#[test]
fn cstr() {
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    m.write_bytes(0x10000, b"/bin/sh\0junk").expect("write");
    assert_eq!(m.read_cstr(0x10000, 4096), Ok(b"/bin/sh".to_vec()));
    assert_eq!(m.read_cstr(0x10007, 4096), Ok(Vec::new()));
    assert_eq!(m.read_cstr(0x10000, 3), Ok(b"/bi".to_vec()), "unterminated: len == max");
    // A string running into an unmapped page faults there...
    m.write_bytes(0x10ffc, b"abcd").expect("write");
    assert_eq!(
        m.read_cstr(0x10ffc, 100),
        Err(Fault { addr: 0x11000, access: Access::Read, kind: FaultKind::Unmapped })
    );
    // ...unless `max` stops before it.
    assert_eq!(m.read_cstr(0x10ffc, 4), Ok(b"abcd".to_vec()));
    // A terminated string right before an unmapped page is fine.
    m.store_u8(0x10fff, 0).expect("store");
    assert_eq!(m.read_cstr(0x10ffc, 100), Ok(b"abc".to_vec()));
    // Needs read permission.
    m.protect(0x10000, P, Perms::W).expect("protect");
    assert_eq!(
        m.read_cstr(0x10000, 100),
        Err(Fault { addr: 0x10000, access: Access::Read, kind: FaultKind::Protection })
    );
}
