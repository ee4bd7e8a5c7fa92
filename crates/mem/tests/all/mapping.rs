//! map / unmap / protect semantics, `mappings`, `find_free`.

use ferrovm_mem::{Error, GUEST_LIMIT, MMAP_MIN_ADDR, Mapping, PAGE_SIZE, Perms};

use crate::space;

const P: u64 = PAGE_SIZE;

#[test]
fn map_is_zero_filled_and_replaces() {
    let m = space();
    m.map(0x10000, 3 * P, Perms::RW).expect("map");
    assert_eq!(m.load_u64(0x10000), Ok(0));
    m.store_u64(0x10008, 42).expect("store");
    m.store_u64(0x11008, 43).expect("store");
    // MAP_FIXED over the middle page: fresh zeros there, the rest kept.
    m.map(0x11000, P, Perms::R).expect("remap");
    assert_eq!(m.load_u64(0x10008), Ok(42));
    assert_eq!(m.load_u64(0x11008), Ok(0));
    assert_eq!(m.perms(0x11000), Perms::R);
    assert_eq!(m.perms(0x12000), Perms::RW);
    assert_eq!(
        m.mappings(),
        vec![
            Mapping { start: 0x10000, end: 0x11000, perms: Perms::RW, name: None },
            Mapping { start: 0x11000, end: 0x12000, perms: Perms::R, name: None },
            Mapping { start: 0x12000, end: 0x13000, perms: Perms::RW, name: None },
        ]
    );
}

#[test]
fn len_rounds_up_and_addr_must_be_aligned() {
    let m = space();
    m.map(0x10000, 1, Perms::RW).expect("map");
    assert!(m.is_mapped(0x10000..0x11000));
    assert!(!m.is_mapped(0x10000..0x11001));
    assert!(matches!(m.map(0x10001, P, Perms::RW), Err(Error::Unaligned { addr: 0x10001 })));
    assert!(matches!(m.map(0x10000, 0, Perms::RW), Err(Error::BadRange { .. })));
    assert!(matches!(m.unmap(0x10000, 0), Err(Error::BadRange { .. })));
    assert!(matches!(m.unmap(0x10001, P), Err(Error::Unaligned { .. })));
    assert!(matches!(m.map(GUEST_LIMIT - P, 2 * P, Perms::RW), Err(Error::BadRange { .. })));
    assert!(matches!(m.map(GUEST_LIMIT, P, Perms::RW), Err(Error::BadRange { .. })));
    assert!(matches!(m.map(0, u64::MAX, Perms::RW), Err(Error::BadRange { .. })));
    // The very last page is fine.
    m.map(GUEST_LIMIT - P, P, Perms::RW).expect("last page");
    m.store_u64(GUEST_LIMIT - 8, 7).expect("store");
    assert_eq!(m.load_u64(GUEST_LIMIT - 8), Ok(7));
}

#[test]
fn unmap_partial_and_contents_are_gone() {
    let m = space();
    m.map(0x10000, 4 * P, Perms::RW).expect("map");
    m.store_u8(0x11000, 1).expect("store");
    m.unmap(0x11000, P).expect("unmap");
    assert!(!m.is_mapped(0x11000..0x11001));
    assert!(m.is_mapped(0x10000..0x11000));
    assert!(m.is_mapped(0x12000..0x14000));
    assert_eq!(m.perms(0x11000), Perms::NONE);
    // Unmapping nothing is fine, and so is a range covering holes.
    m.unmap(0x50000, P).expect("unmap nothing");
    m.map(0x11000, P, Perms::RW).expect("map again");
    assert_eq!(m.load_u8(0x11000), Ok(0), "a new mapping is zero-filled");
    m.unmap(0x0, 0x100000).expect("unmap all");
    assert!(m.mappings().is_empty());
}

#[test]
fn protect_needs_every_page_mapped() {
    let m = space();
    m.map(0x10000, 2 * P, Perms::RW).expect("map");
    m.map(0x13000, P, Perms::RW).expect("map");
    assert!(matches!(m.protect(0x10000, 4 * P, Perms::R), Err(Error::NotMapped { addr: 0x12000 })));
    assert_eq!(m.perms(0x10000), Perms::RW, "failed mprotect changes nothing");
    m.protect(0x10000, 2 * P, Perms::R).expect("protect");
    assert_eq!(m.perms(0x11fff), Perms::R);
    m.protect(0x10000, 0, Perms::NONE).expect("len 0 is a no-op");
    assert_eq!(m.perms(0x10000), Perms::R);
    m.protect(0x11000, 1, Perms::NONE).expect("len rounds up");
    assert_eq!(m.perms(0x11000), Perms::NONE);
    assert!(m.is_mapped(0x11000..0x12000), "PROT_NONE is still mapped");
    assert!(matches!(m.protect(0x10001, P, Perms::R), Err(Error::Unaligned { .. })));
}

#[test]
fn names_and_merging() {
    let m = space();
    m.map_named(0x20000, P, Perms::RW, Some("[heap]")).expect("map");
    m.map_named(0x21000, P, Perms::RW, Some("[heap]")).expect("grow");
    m.map(0x22000, P, Perms::RW).expect("anon");
    m.protect(0x21000, P, Perms::R).expect("protect");
    m.protect(0x21000, P, Perms::RW).expect("protect back");
    assert_eq!(
        m.mappings(),
        vec![
            Mapping { start: 0x20000, end: 0x22000, perms: Perms::RW, name: Some("[heap]".into()) },
            Mapping { start: 0x22000, end: 0x23000, perms: Perms::RW, name: None },
        ]
    );
}

#[test]
fn is_mapped_edges() {
    let m = space();
    assert!(m.is_mapped(5..5), "empty range");
    assert!(!m.is_mapped(GUEST_LIMIT - 1..GUEST_LIMIT + 1));
    m.map(0x10000, P, Perms::NONE).expect("map");
    assert!(m.is_mapped(0x10000..0x11000));
}

#[test]
fn find_free_is_top_down() {
    let m = space();
    let top = 0x40_0000_0000 / 2;
    let a = m.find_free(3 * P, None, top).expect("free");
    assert_eq!(a, top - 3 * P);
    m.map(a, 3 * P, Perms::RW).expect("map");
    let b = m.find_free(P, None, top).expect("free");
    assert_eq!(b, a - P);
    m.map(b, P, Perms::RW).expect("map");
    m.unmap(a + P, P).expect("hole");
    assert_eq!(m.find_free(P, None, top), Some(a + P), "reuses the highest hole");
    assert_eq!(m.find_free(2 * P, None, top), Some(b - 2 * P));
    assert_eq!(m.find_free(P, Some(0x7000_0000), top), Some(0x7000_0000));
    assert_eq!(m.find_free(P, Some(a), top), Some(a + P), "taken hint ignored");
    assert_eq!(m.find_free(P, None, MMAP_MIN_ADDR), None);
    assert_eq!(m.find_free(0, None, top), None);
}

#[test]
fn drop_releases_reservation() {
    // Reserve and drop many more spaces than could coexist in 47 bits of
    // host address space if Drop leaked (each is 260 GiB).
    for _ in 0..600 {
        let m = space();
        m.map(0x10000, P, Perms::RW).expect("map");
    }
}
