//! AMOs, LR/SC: alignment, permissions, and exact totals under contention.

use std::sync::atomic::Ordering;

use ferrovm_mem::{Access, AmoOp, Fault, FaultKind, PAGE_SIZE, Perms};

use crate::space;

const P: u64 = PAGE_SIZE;

#[test]
fn alignment_and_permissions() {
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    m.map(0x11000, P, Perms::R).expect("map");
    let seq = Ordering::SeqCst;
    assert_eq!(
        m.amo_u32(0x10002, AmoOp::Add, 1, seq),
        Err(Fault { addr: 0x10002, access: Access::Write, kind: FaultKind::Misaligned })
    );
    assert_eq!(
        m.amo_u64(0x10004, AmoOp::Add, 1, seq),
        Err(Fault { addr: 0x10004, access: Access::Write, kind: FaultKind::Misaligned })
    );
    assert_eq!(
        m.compare_exchange_u64(0x10004, 0, 1, seq),
        Err(Fault { addr: 0x10004, access: Access::Write, kind: FaultKind::Misaligned })
    );
    assert_eq!(
        m.atomic_load_u32(0x10001, seq),
        Err(Fault { addr: 0x10001, access: Access::Read, kind: FaultKind::Misaligned })
    );
    // AMOs on read-only memory fault as writes; LR works there.
    assert_eq!(
        m.amo_u32(0x11000, AmoOp::Or, 1, seq),
        Err(Fault { addr: 0x11000, access: Access::Write, kind: FaultKind::Protection })
    );
    assert_eq!(
        m.compare_exchange_u32(0x11000, 1, 2, seq),
        Err(Fault { addr: 0x11000, access: Access::Write, kind: FaultKind::Protection }),
        "SC checks permission even when it would fail"
    );
    assert_eq!(m.atomic_load_u64(0x11000, Ordering::Acquire), Ok(0));
    assert_eq!(
        m.amo_u64(0x12000, AmoOp::Swap, 1, seq),
        Err(Fault { addr: 0x12000, access: Access::Write, kind: FaultKind::Unmapped })
    );
    // Write-only pages are not enough for a read-modify-write.
    m.protect(0x10000, P, Perms::W).expect("protect");
    assert_eq!(
        m.amo_u32(0x10000, AmoOp::Add, 1, seq),
        Err(Fault { addr: 0x10000, access: Access::Write, kind: FaultKind::Protection })
    );
}

#[test]
fn compare_exchange() {
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    let seq = Ordering::SeqCst;
    assert_eq!(m.compare_exchange_u32(0x10000, 0, 5, seq), Ok(Ok(0)));
    assert_eq!(m.compare_exchange_u32(0x10000, 0, 6, seq), Ok(Err(5)));
    assert_eq!(m.load_u32(0x10000), Ok(5));
    assert_eq!(m.compare_exchange_u64(0x10008, 0, u64::MAX, Ordering::Release), Ok(Ok(0)));
    assert_eq!(m.atomic_load_u64(0x10008, Ordering::Release), Ok(u64::MAX));
    assert_eq!(m.compare_exchange_u64(0x10008, 1, 2, Ordering::AcqRel), Ok(Err(u64::MAX)));
}

#[test]
fn concurrent_increments_are_exact() {
    const THREADS: u64 = 4;
    const ITERS: u64 = 20_000;
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let m = &m;
            s.spawn(move || {
                for _ in 0..ITERS {
                    m.amo_u64(0x10000, AmoOp::Add, 1, Ordering::SeqCst).expect("amo");
                    m.amo_u32(0x10008, AmoOp::Add, 2, Ordering::Relaxed).expect("amo");
                    // An LR/SC increment loop, as a guest would write it.
                    loop {
                        let old = m.atomic_load_u32(0x1000c, Ordering::Acquire).expect("lr");
                        match m.compare_exchange_u32(0x1000c, old, old + 1, Ordering::AcqRel) {
                            Ok(Ok(_)) => break,
                            Ok(Err(_)) => continue,
                            Err(f) => panic!("{f}"),
                        }
                    }
                    m.amo_u32(0x10010, AmoOp::Maxu, t as u32, Ordering::SeqCst).expect("amo");
                }
            });
        }
    });
    assert_eq!(m.load_u64(0x10000), Ok(THREADS * ITERS));
    assert_eq!(m.load_u32(0x10008), Ok((2 * THREADS * ITERS) as u32));
    assert_eq!(m.load_u32(0x1000c), Ok((THREADS * ITERS) as u32));
    assert_eq!(m.load_u32(0x10010), Ok((THREADS - 1) as u32));
}

#[test]
fn plain_accesses_from_many_threads() {
    // Each thread owns its slice of the page: no guest-level race.
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let m = &m;
            s.spawn(move || {
                for i in 0..1000u64 {
                    let a = 0x10000 + t * 1024 + (i % 128) * 8;
                    m.store_u64(a, i).expect("store");
                    assert_eq!(m.load_u64(a), Ok(i));
                }
            });
        }
    });
}

#[test]
fn mapping_changes_never_disturb_unrelated_accesses() {
    // One thread flips a page between rw- and rwx (both allow loads and
    // stores), marks it as code, and maps/unmaps other pages; the others must
    // never see a spurious fault on the page they use.
    let m = space();
    m.map(0x10000, P, Perms::RW).expect("map");
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let (m, stop) = (&m, &stop);
        s.spawn(move || {
            for i in 0..2000u64 {
                let perms = if i % 2 == 0 { Perms::RWX } else { Perms::RW };
                m.protect(0x10000, P, perms).expect("protect");
                m.mark_code(0x10000);
                let other = 0x20000 + (i % 8) * P;
                m.map(other, P, Perms::R).expect("map");
                m.unmap(other, P).expect("unmap");
                m.take_dirty_code_pages();
            }
            stop.store(true, Ordering::Relaxed);
        });
        for t in 0..2u64 {
            s.spawn(move || {
                let a = 0x10000 + t * 64;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    m.store_u64(a, i).expect("store");
                    assert_eq!(m.load_u64(a), Ok(i));
                    m.amo_u64(a + 8, AmoOp::Add, 1, Ordering::SeqCst).expect("amo");
                    i += 1;
                }
                assert_eq!(m.load_u64(a + 8), Ok(i));
            });
        }
    });
}
