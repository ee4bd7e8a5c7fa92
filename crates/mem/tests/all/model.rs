//! Property test: `AddressSpace` against a simple model, a map from page to
//! (permissions, contents), over random map/unmap/protect/access sequences.
//!
//! Two windows of pages are exercised: a low one, and one ending at
//! `GUEST_LIMIT` so that accesses run off the end of guest space.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;

use ferrovm_mem::{Access, AddressSpace, AmoOp, Error, Fault, FaultKind, GUEST_LIMIT, Mapping, PAGE_SIZE, Perms};
use proptest::prelude::*;

use crate::space;

const P: u64 = PAGE_SIZE;
/// Pages per window.
const WINDOW: u64 = 8;
const LOW: u64 = 0x40_0000;
const HIGH: u64 = GUEST_LIMIT - WINDOW * P;

type Page = Box<[u8; PAGE_SIZE as usize]>;

#[derive(Default)]
struct Model {
    pages: HashMap<u64, (Perms, Page)>,
    /// Pages marked as code.
    code: BTreeSet<u64>,
    /// Code pages invalidated since the last take.
    dirty: BTreeSet<u64>,
}

impl Model {
    /// The first byte of `[addr, addr + len)` that `ok` rejects, as a fault.
    fn check(&self, addr: u64, len: u64, access: Access, ok: impl Fn(Perms) -> bool) -> Result<(), Fault> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.saturating_add(len);
        let mut page = addr & !(P - 1);
        while page < end {
            let at = page.max(addr);
            if page >= GUEST_LIMIT {
                return Err(Fault { addr: at, access, kind: FaultKind::Unmapped });
            }
            match self.pages.get(&page) {
                None => return Err(Fault { addr: at, access, kind: FaultKind::Unmapped }),
                Some((perms, _)) if !ok(*perms) => {
                    return Err(Fault { addr: at, access, kind: FaultKind::Protection });
                }
                Some(_) => {}
            }
            page += P;
        }
        Ok(())
    }

    fn byte(&self, addr: u64) -> u8 {
        self.pages.get(&(addr & !(P - 1))).map_or(0, |(_, d)| d[(addr % P) as usize])
    }

    fn set_byte(&mut self, addr: u64, v: u8) {
        if let Some((_, d)) = self.pages.get_mut(&(addr & !(P - 1))) {
            d[(addr % P) as usize] = v;
        }
    }

    fn read(&self, addr: u64, len: u64, access: Access, ok: impl Fn(Perms) -> bool) -> Result<u64, Fault> {
        self.check(addr, len, access, ok)?;
        Ok((0..len).rev().fold(0u64, |acc, i| acc << 8 | u64::from(self.byte(addr + i))))
    }

    /// Code pages in `[addr, addr + len)` go stale.
    fn invalidate(&mut self, addr: u64, len: u64) {
        if len == 0 {
            return;
        }
        let stale: Vec<u64> = self.code.range(addr & !(P - 1)..addr + len).copied().collect();
        for page in stale {
            self.code.remove(&page);
            self.dirty.insert(page);
        }
    }

    fn write(&mut self, addr: u64, len: u64, val: u64) -> Result<(), Fault> {
        self.check(addr, len, Access::Write, Perms::write)?;
        self.invalidate(addr, len);
        for i in 0..len {
            self.set_byte(addr + i, (val >> (8 * i)) as u8);
        }
        Ok(())
    }

    fn mappings(&self) -> Vec<Mapping> {
        let mut pages: Vec<(u64, Perms)> = self.pages.iter().map(|(&a, (p, _))| (a, *p)).collect();
        pages.sort_unstable_by_key(|&(a, _)| a);
        let mut out: Vec<Mapping> = Vec::new();
        for (a, perms) in pages {
            match out.last_mut() {
                Some(m) if m.end == a && m.perms == perms => m.end += P,
                _ => out.push(Mapping { start: a, end: a + P, perms, name: None }),
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
enum Op {
    Map(u64, u64, Perms),
    Unmap(u64, u64),
    Protect(u64, u64, Perms),
    Load(u64, u64),
    Store(u64, u64, u64),
    Fetch(u64, u64),
    ReadBytes(u64, u64),
    WriteBytes(u64, u64, u8),
    AmoAdd(u64, u64, u64),
    MarkCode(u64),
}

fn perms() -> impl Strategy<Value = Perms> {
    (0u8..8).prop_map(Perms::from_bits_truncate)
}

/// A page range `(start, len)` inside one window.
fn pages() -> impl Strategy<Value = (u64, u64)> {
    (prop::bool::ANY, 0..WINDOW, 1..=WINDOW).prop_map(|(high, first, n)| {
        let base = if high { HIGH } else { LOW };
        (base + first * P, n.min(WINDOW - first) * P)
    })
}

/// An address in or just around a window, often near a page boundary.
fn addr() -> impl Strategy<Value = u64> {
    let offset = prop_oneof![
        0..(WINDOW + 1) * P,
        (0..=WINDOW + 1, 0u64..16).prop_map(|(page, back)| (page * P).saturating_sub(back)),
    ];
    (prop::bool::ANY, offset).prop_map(|(high, off)| if high { HIGH + off } else { LOW + off - 8 })
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![Just(1u64), Just(2), Just(4), Just(8)];
    prop_oneof![
        (pages(), perms()).prop_map(|((a, n), p)| Op::Map(a, n, p)),
        pages().prop_map(|(a, n)| Op::Unmap(a, n)),
        (pages(), perms()).prop_map(|((a, n), p)| Op::Protect(a, n, p)),
        (addr(), size.clone()).prop_map(|(a, s)| Op::Load(a, s)),
        (addr(), size.clone(), any::<u64>()).prop_map(|(a, s, v)| Op::Store(a, s, v)),
        (addr(), prop_oneof![Just(2u64), Just(4)]).prop_map(|(a, s)| Op::Fetch(a, s)),
        (addr(), 0u64..600).prop_map(|(a, n)| Op::ReadBytes(a, n)),
        (addr(), 0u64..600, any::<u8>()).prop_map(|(a, n, seed)| Op::WriteBytes(a, n, seed)),
        (addr(), prop_oneof![Just(4u64), Just(8)], any::<u64>()).prop_map(|(a, s, v)| Op::AmoAdd(a, s, v)),
        addr().prop_map(Op::MarkCode),
    ]
}

fn load(m: &AddressSpace, addr: u64, size: u64) -> Result<u64, Fault> {
    match size {
        1 => m.load_u8(addr).map(u64::from),
        2 => m.load_u16(addr).map(u64::from),
        4 => m.load_u32(addr).map(u64::from),
        _ => m.load_u64(addr),
    }
}

fn store(m: &AddressSpace, addr: u64, size: u64, val: u64) -> Result<(), Fault> {
    match size {
        1 => m.store_u8(addr, val as u8),
        2 => m.store_u16(addr, val as u16),
        4 => m.store_u32(addr, val as u32),
        _ => m.store_u64(addr, val),
    }
}

fn mask(size: u64) -> u64 {
    if size == 8 { u64::MAX } else { (1 << (8 * size)) - 1 }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let m = space();
    let mut model = Model::default();
    for op in ops {
        match *op {
            Op::Map(a, n, perms) => {
                m.map(a, n, perms).map_err(|e| TestCaseError::fail(e.to_string()))?;
                model.invalidate(a, n);
                for page in (a..a + n).step_by(P as usize) {
                    model.pages.insert(page, (perms, Box::new([0; PAGE_SIZE as usize])));
                }
            }
            Op::Unmap(a, n) => {
                m.unmap(a, n).map_err(|e| TestCaseError::fail(e.to_string()))?;
                model.invalidate(a, n);
                for page in (a..a + n).step_by(P as usize) {
                    model.pages.remove(&page);
                }
            }
            Op::Protect(a, n, perms) => {
                let gap = (a..a + n).step_by(P as usize).find(|p| !model.pages.contains_key(p));
                match (m.protect(a, n, perms), gap) {
                    (Ok(()), None) => {
                        if !perms.exec() {
                            model.invalidate(a, n);
                        }
                        for page in (a..a + n).step_by(P as usize) {
                            if let Some(e) = model.pages.get_mut(&page) {
                                e.0 = perms;
                            }
                        }
                    }
                    (Err(Error::NotMapped { addr }), Some(g)) => prop_assert_eq!(addr, g),
                    (got, want) => prop_assert!(false, "protect: {got:?} vs gap {want:?}"),
                }
            }
            Op::Load(a, s) => {
                prop_assert_eq!(load(&m, a, s), model.read(a, s, Access::Read, Perms::read), "{:?}", op);
            }
            Op::Store(a, s, v) => {
                prop_assert_eq!(store(&m, a, s, v), model.write(a, s, v & mask(s)), "{:?}", op);
            }
            Op::Fetch(a, s) => {
                let got = if s == 2 { m.fetch_u16(a).map(u64::from) } else { m.fetch_u32(a).map(u64::from) };
                let want = if a % 2 != 0 {
                    Err(Fault { addr: a, access: Access::Exec, kind: FaultKind::Misaligned })
                } else {
                    model.read(a, s, Access::Exec, Perms::exec)
                };
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::ReadBytes(a, n) => {
                let mut buf = vec![0u8; n as usize];
                let got = m.read_bytes(a, &mut buf).map(|()| buf);
                let want = model
                    .check(a, n, Access::Read, Perms::read)
                    .map(|()| (0..n).map(|i| model.byte(a + i)).collect::<Vec<u8>>());
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::WriteBytes(a, n, seed) => {
                let data: Vec<u8> = (0..n).map(|i| seed.wrapping_add(i as u8)).collect();
                let want = model.check(a, n, Access::Write, Perms::write);
                if want.is_ok() {
                    model.invalidate(a, n);
                    for (i, &b) in data.iter().enumerate() {
                        model.set_byte(a + i as u64, b);
                    }
                }
                prop_assert_eq!(m.write_bytes(a, &data), want, "{:?}", op);
            }
            Op::AmoAdd(a, s, v) => {
                let want = if a % s != 0 {
                    Err(Fault { addr: a, access: Access::Write, kind: FaultKind::Misaligned })
                } else {
                    model.read(a, s, Access::Write, |p| p.contains(Perms::RW))
                };
                if let Ok(old) = want {
                    model.write(a, s, old.wrapping_add(v) & mask(s)).ok();
                }
                let got = if s == 4 {
                    m.amo_u32(a, AmoOp::Add, v as u32, Ordering::SeqCst).map(u64::from)
                } else {
                    m.amo_u64(a, AmoOp::Add, v, Ordering::SeqCst)
                };
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::MarkCode(a) => {
                let page = a & !(P - 1);
                let mapped = model.pages.contains_key(&page);
                if mapped {
                    model.code.insert(page);
                }
                prop_assert_eq!(m.mark_code(a), mapped, "{:?}", op);
            }
        }
        prop_assert_eq!(m.mappings(), model.mappings(), "after {:?}", op);
        prop_assert_eq!(m.code_dirty(), !model.dirty.is_empty(), "after {:?}", op);
        let dirty: BTreeSet<u64> = m.take_dirty_code_pages().into_iter().collect();
        prop_assert_eq!(&dirty, &model.dirty, "after {:?}", op);
        model.dirty.clear();
    }
    // Finally every page's permissions and every byte agree.
    for base in [LOW, HIGH] {
        for page in (base..base + WINDOW * P).step_by(P as usize) {
            let want = model.pages.get(&page).map(|(p, _)| *p);
            prop_assert_eq!(m.is_mapped(page..page + P), want.is_some());
            prop_assert_eq!(m.perms(page), want.unwrap_or(Perms::NONE));
            prop_assert_eq!(m.is_code(page), model.code.contains(&page), "page {:#x}", page);
            if want.is_some() {
                let mut buf = vec![0u8; P as usize];
                m.read_bytes_force(page, &mut buf).map_err(|f| TestCaseError::fail(f.to_string()))?;
                prop_assert!(model.pages.get(&page).is_some_and(|(_, d)| d[..] == buf[..]), "page {page:#x}");
            }
        }
    }
    Ok(())
}

proptest! {
    // 256 cases by default; set PROPTEST_CASES for a longer run.
    #[test]
    fn matches_model(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops)?;
    }
}
