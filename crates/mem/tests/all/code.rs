//! CODE-page tracking: marks, dirty pages from writes and mapping changes.

use std::sync::atomic::Ordering;

use ferrovm_mem::{AmoOp, PAGE_SIZE, Perms};

use crate::space;

const P: u64 = PAGE_SIZE;

#[test]
fn mark_and_clear() {
    let m = space();
    assert!(!m.mark_code(0x10000), "unmapped pages cannot be marked");
    m.map(0x10000, 2 * P, Perms::RX).expect("map");
    assert!(m.mark_code(0x10123));
    assert!(m.is_code(0x10000));
    assert!(m.is_code(0x10fff));
    assert!(!m.is_code(0x11000));
    assert_eq!(m.perms(0x10000), Perms::RX, "CODE is not a permission");
    m.clear_code(0x10fff, 2);
    assert!(!m.is_code(0x10000));
    assert!(!m.code_dirty(), "clearing is not dirtying");
    m.clear_code(0, u64::MAX);
}

#[test]
fn stores_to_code_pages_succeed_and_are_reported() {
    let m = space();
    m.map(0x10000, 3 * P, Perms::RWX).expect("map");
    m.mark_code(0x10000);
    m.mark_code(0x11000);
    m.store_u32(0x12000, 1).expect("non-code store");
    assert!(!m.code_dirty());
    m.store_u32(0x10010, 0x0000_0013).expect("code store");
    assert_eq!(m.load_u32(0x10010), Ok(0x13), "the store happened");
    assert!(m.code_dirty());
    assert!(!m.is_code(0x10000), "mark cleared by the write");
    assert!(m.is_code(0x11000));
    assert_eq!(m.take_dirty_code_pages(), vec![0x10000]);
    assert!(!m.code_dirty());
    assert!(m.take_dirty_code_pages().is_empty());
    // Later stores to the now-unmarked page are fast-path and unreported.
    m.store_u32(0x10010, 0).expect("store");
    assert!(!m.code_dirty());
}

#[test]
fn every_writer_reports() {
    let m = space();
    m.map(0x10000, 8 * P, Perms::RWX).expect("map");
    let seq = Ordering::SeqCst;
    let writers: [&dyn Fn(u64); 7] = [
        &|a| m.store_u8(a, 1).expect("store"),
        &|a| m.store_u64(a + P - 4, 1).expect("straddling store"),
        &|a| m.write_bytes(a, &[1, 2]).expect("write_bytes"),
        &|a| m.write_bytes_force(a, &[1, 2]).expect("write_bytes_force"),
        &|a| {
            m.amo_u32(a, AmoOp::Add, 1, seq).expect("amo");
        },
        &|a| {
            m.compare_exchange_u64(a, 5, 6, seq).expect("sc").ok();
        },
        &|a| m.store_u16(a, 1).expect("store"),
    ];
    for (i, w) in writers.iter().enumerate() {
        let page = 0x10000 + i as u64 * P;
        assert!(m.mark_code(page));
        w(page);
        assert_eq!(m.take_dirty_code_pages(), vec![page], "writer {i}");
        assert!(!m.is_code(page));
    }
    // A straddling store into a code page that follows a plain page.
    m.mark_code(0x17000);
    m.store_u32(0x16ffe, 0).expect("store");
    assert_eq!(m.take_dirty_code_pages(), vec![0x17000]);
}

#[test]
fn faulting_write_reports_nothing() {
    let m = space();
    m.map(0x10000, P, Perms::RX).expect("map");
    m.mark_code(0x10000);
    assert!(m.store_u32(0x10000, 1).is_err());
    assert!(!m.code_dirty());
    assert!(m.is_code(0x10000));
}

#[test]
fn mapping_changes_report() {
    let m = space();
    m.map(0x10000, 4 * P, Perms::RX).expect("map");
    for i in 0..4 {
        m.mark_code(0x10000 + i * P);
    }
    // mprotect keeping EXEC keeps the translation...
    m.protect(0x10000, P, Perms::RWX).expect("protect");
    assert!(m.is_code(0x10000));
    assert!(!m.code_dirty());
    // ...removing it does not.
    m.protect(0x10000, P, Perms::R).expect("protect");
    assert!(!m.is_code(0x10000));
    assert_eq!(m.take_dirty_code_pages(), vec![0x10000]);
    m.unmap(0x11000, P).expect("unmap");
    assert_eq!(m.take_dirty_code_pages(), vec![0x11000]);
    m.map(0x12000, P, Perms::RX).expect("map fixed");
    assert_eq!(m.take_dirty_code_pages(), vec![0x12000]);
    assert!(!m.is_code(0x12000), "a fresh mapping has no code");
    assert!(m.is_code(0x13000));
}

#[test]
fn concurrent_writers_all_reported_once_marked() {
    let m = space();
    m.map(0x10000, 16 * P, Perms::RWX).expect("map");
    for i in 0..16 {
        m.mark_code(0x10000 + i * P);
    }
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let m = &m;
            s.spawn(move || {
                for i in 0..16 {
                    m.store_u64(0x10000 + i * P + t * 8, t).expect("store");
                }
            });
        }
    });
    let mut pages = m.take_dirty_code_pages();
    pages.sort_unstable();
    pages.dedup();
    assert_eq!(pages, (0..16).map(|i| 0x10000 + i * P).collect::<Vec<_>>());
}

/// A page whose code is rewritten again and again (a JIT's code buffer)
/// turns volatile: still reported to stores that check, but no longer
/// write-protected in the host for its code, and handed to `fence.i`
/// (`take_volatile_code_pages`) whenever it holds code.
#[test]
fn rewritten_code_pages_turn_volatile() {
    let m = space();
    let mirrored = m.mirror_protection().expect("mirror");
    m.map(0x10000, 2 * P, Perms::RWX).expect("map");
    for round in 0..20 {
        m.mark_code(0x10000);
        m.store_u32(0x10010, round).expect("code store");
    }
    assert!(!m.is_volatile(0x10000), "only when allowed");
    assert_eq!(m.take_dirty_code_pages().len(), 20);
    m.allow_volatile_code();
    let mut rounds = 0;
    while !m.is_volatile(0x10000) {
        assert!(rounds < 100, "never turned volatile");
        m.mark_code(0x10000);
        m.store_u32(0x10010, rounds).expect("code store");
        assert_eq!(m.take_dirty_code_pages(), vec![0x10000], "round {rounds}");
        rounds += 1;
    }
    assert!(rounds > 1, "one write is not a code buffer");
    assert!(!m.is_volatile(0x11000), "only the rewritten page");
    // Marked again: no write protection (a direct store into it would not
    // fault), so `fence.i` must drop what it holds.
    assert!(m.take_volatile_code_pages().is_empty(), "no code on it now");
    m.mark_code(0x10000);
    if mirrored {
        // SAFETY: the page is mapped read-write for the guest; a host write
        // that faulted here would fail the test with a crash.
        unsafe { std::ptr::write_volatile(m.host_base().add(0x10020).cast::<u32>(), 7) };
        assert!(!m.code_dirty(), "an unchecked store is not seen");
    }
    assert_eq!(m.take_volatile_code_pages(), vec![0x10000]);
    assert!(!m.is_code(0x10000), "its code mark is taken");
    assert!(m.take_volatile_code_pages().is_empty());
    // A checked store still sees its code.
    m.mark_code(0x10000);
    m.store_u32(0x10010, 1).expect("store");
    assert_eq!(m.take_dirty_code_pages(), vec![0x10000]);
}
