//! Atomic guest accesses for the A extension: AMOs, LR and SC.
//!
//! They run on host atomics made from the host pointer, so guest threads
//! (host threads) see them as atomic with respect to each other. RISC-V
//! requires natural alignment (unprivileged spec, "A" chapter: misaligned
//! LR/SC/AMOs raise an address-misaligned exception, which Linux does not
//! emulate), so a misaligned address is a [`FaultKind::Misaligned`] fault.
//! AMOs and SC need read and write permission and fault as writes; LR needs
//! read permission.
//!
//! Ordering: the caller passes the [`Ordering`] its `aq`/`rl` bits ask for
//! (`aq` → `Acquire`, `rl` → `Release`, both → `SeqCst`, which is what the
//! spec's "sequentially consistent" `aqrl` needs; neither → `Relaxed`).

use core::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64, Ordering};

use crate::access::Need;
use crate::{AddressSpace, Fault, FaultKind};

/// The read-modify-write operation of an AMO instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmoOp {
    /// `amoswap`: store the operand.
    Swap,
    /// `amoadd`: wrapping add.
    Add,
    /// `amoxor`.
    Xor,
    /// `amoand`.
    And,
    /// `amoor`.
    Or,
    /// `amomin`: signed minimum.
    Min,
    /// `amomax`: signed maximum.
    Max,
    /// `amominu`: unsigned minimum.
    Minu,
    /// `amomaxu`: unsigned maximum.
    Maxu,
}

impl AmoOp {
    /// Every operation, in the A extension's `funct5` order (the same order
    /// as `ferrovm_ir::AmoOp::ALL`, so the tiers convert by index).
    pub const ALL: [AmoOp; 9] =
        [AmoOp::Swap, AmoOp::Add, AmoOp::Xor, AmoOp::And, AmoOp::Or, AmoOp::Min, AmoOp::Max, AmoOp::Minu, AmoOp::Maxu];
}

/// The width of an atomic access: `.w` (32 bits, values sign-extended to
/// 64) or `.d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicWidth {
    /// 32 bits (`lr.w`, `sc.w`, `amo*.w`).
    Word,
    /// 64 bits (`lr.d`, `sc.d`, `amo*.d`).
    Double,
}

/// The strongest failure ordering allowed with success ordering `ord`.
fn failure_ordering(ord: Ordering) -> Ordering {
    match ord {
        Ordering::Release => Ordering::Relaxed,
        Ordering::AcqRel => Ordering::Acquire,
        other => other,
    }
}

/// Ordering valid for a plain atomic load.
fn load_ordering(ord: Ordering) -> Ordering {
    match ord {
        Ordering::Release => Ordering::Relaxed,
        Ordering::AcqRel => Ordering::Acquire,
        other => other,
    }
}

macro_rules! atomic_ops {
    ($amo:ident, $cas:ident, $load:ident, $ty:ty, $aty:ty, $sty:ty, $saty:ty) => {
        #[doc = concat!("Atomically applies `op` with `val` to the `", stringify!($ty),
                                    "` at `addr` and returns the old value (`amo*.", stringify!($ty), "`). ",
                                    "Needs natural alignment and read-write permission.")]
        #[inline]
        pub fn $amo(&self, addr: u64, op: AmoOp, val: $ty, ord: Ordering) -> Result<$ty, Fault> {
            let p = self.check_atomic(addr, size_of::<$ty>() as u64, Need::READ_WRITE)?;
            // SAFETY: `check_atomic` proved `p` naturally aligned and the
            // whole value inside a mapped (host read-write) guest page of the
            // reservation, which outlives `&self`. Guest memory is only ever
            // accessed through raw pointers or atomics (crate docs on races).
            let a = unsafe { <$aty>::from_ptr(p.cast()) };
            Ok(match op {
                AmoOp::Swap => a.swap(val, ord),
                AmoOp::Add => a.fetch_add(val, ord),
                AmoOp::Xor => a.fetch_xor(val, ord),
                AmoOp::And => a.fetch_and(val, ord),
                AmoOp::Or => a.fetch_or(val, ord),
                AmoOp::Minu => a.fetch_min(val, ord),
                AmoOp::Maxu => a.fetch_max(val, ord),
                AmoOp::Min | AmoOp::Max => {
                    // SAFETY: as above; the signed type has the same size and
                    // alignment.
                    let s = unsafe { <$saty>::from_ptr(p.cast()) };
                    let v = val as $sty;
                    let old = if op == AmoOp::Min { s.fetch_min(v, ord) } else { s.fetch_max(v, ord) };
                    old as $ty
                }
            })
        }

        #[doc = concat!("Atomic compare-and-exchange of the `", stringify!($ty),
                                    "` at `addr` (for `sc`): `Ok(Ok(old))` if it held `expected` and now holds `new`, ",
                                    "`Ok(Err(actual))` if not. Needs natural alignment and read-write permission ",
                                    "(checked even when the exchange would fail).")]
        #[inline]
        pub fn $cas(&self, addr: u64, expected: $ty, new: $ty, ord: Ordering) -> Result<Result<$ty, $ty>, Fault> {
            let p = self.check_atomic(addr, size_of::<$ty>() as u64, Need::READ_WRITE)?;
            // SAFETY: as in the AMO.
            let a = unsafe { <$aty>::from_ptr(p.cast()) };
            Ok(a.compare_exchange(expected, new, ord, failure_ordering(ord)))
        }

        #[doc = concat!("Atomic load of the `", stringify!($ty),
                                    "` at `addr` (for `lr`). Needs natural alignment and read permission. ",
                                    "`Release` is weakened to `Relaxed` and `AcqRel` to `Acquire`.")]
        #[inline]
        pub fn $load(&self, addr: u64, ord: Ordering) -> Result<$ty, Fault> {
            let p = self.check_atomic(addr, size_of::<$ty>() as u64, Need::READ)?;
            // SAFETY: as in the AMO.
            let a = unsafe { <$aty>::from_ptr(p.cast()) };
            Ok(a.load(load_ordering(ord)))
        }
    };
}

/// The A extension's semantics, used by every tier (the interpreter and
/// the JIT's helpers call exactly these):
///
/// * `lr` loads atomically and the hart records the reservation: the
///   address and the value loaded (see `ferrovm_ir::Cpu::reserve`).
/// * `sc` stores only if the hart holds a reservation for the same address
///   *and* memory still holds the value loaded, as one host
///   compare-and-swap; otherwise it stores nothing (but its address is still
///   checked, as a write: a bad address faults). It never succeeds after
///   another thread changed the word, because the compare-and-swap sees the
///   change.
/// * The case it cannot see is ABA: between the `lr` and the `sc`, another
///   thread stores a different value and then the original one again (or
///   stores the same value). The `sc` then succeeds, where the
///   specification says "an SC may succeed only if no store from another
///   hart to the reservation set can be observed to have occurred between
///   the LR and the SC" (unprivileged spec, "Load-Reserved/Store-Conditional
///   Instructions"). QEMU's user mode does exactly the same (its `sc` is a
///   host `cmpxchg` against the value `lr` loaded). Code that uses LR/SC for
///   a compare-and-swap, a fetch-and-op or a lock (what compilers and libcs
///   emit) cannot tell the difference; only a lock-free algorithm that
///   relies on LR/SC to detect ABA (a version-less stack pop, say) could.
/// * AMOs are one host atomic read-modify-write each. Cranelift's code
///   (`ferrovm_jit`'s `Tr::amo`) emits that same locked instruction inline
///   when its inline check (`Need::READ_WRITE`'s test of the page flags) passes, and
///   leaves every other case (misaligned, unmapped, read-only, a code page)
///   to the interpreter, which calls [`AddressSpace::amo`].
///
/// Orderings come from the `aq`/`rl` bits; on an x86-64 host every atomic
/// read-modify-write is a full barrier anyway.
impl AddressSpace {
    /// `lr.w`/`lr.d` at `addr`: the value, sign-extended for `.w`. The
    /// caller records the reservation (address and value).
    #[inline]
    pub fn load_reserved(&self, addr: u64, width: AtomicWidth, ord: Ordering) -> Result<u64, Fault> {
        match width {
            AtomicWidth::Word => self.atomic_load_u32(addr, ord).map(|v| v as i32 as i64 as u64),
            AtomicWidth::Double => self.atomic_load_u64(addr, ord),
        }
    }

    /// `sc.w`/`sc.d` at `addr` storing `value`, where `reserved` is the
    /// value the hart's `lr` loaded if it holds a reservation for `addr`
    /// (`None` otherwise). Whether it stored.
    #[inline]
    pub fn store_conditional(
        &self,
        addr: u64,
        width: AtomicWidth,
        reserved: Option<u64>,
        value: u64,
        ord: Ordering,
    ) -> Result<bool, Fault> {
        match (width, reserved) {
            (AtomicWidth::Word, Some(expected)) => {
                self.compare_exchange_u32(addr, expected as u32, value as u32, ord).map(|r| r.is_ok())
            }
            (AtomicWidth::Double, Some(expected)) => {
                self.compare_exchange_u64(addr, expected, value, ord).map(|r| r.is_ok())
            }
            // No reservation: nothing is stored, but the access is still
            // checked as a write (an `or` of zero changes nothing).
            (AtomicWidth::Word, None) => self.amo_u32(addr, AmoOp::Or, 0, ord).map(|_| false),
            (AtomicWidth::Double, None) => self.amo_u64(addr, AmoOp::Or, 0, ord).map(|_| false),
        }
    }

    /// `amo*.w`/`amo*.d` at `addr` with operand `value`: the old value,
    /// sign-extended for `.w`.
    #[inline]
    pub fn amo(&self, op: AmoOp, addr: u64, width: AtomicWidth, value: u64, ord: Ordering) -> Result<u64, Fault> {
        match width {
            AtomicWidth::Word => self.amo_u32(addr, op, value as u32, ord).map(|v| v as i32 as i64 as u64),
            AtomicWidth::Double => self.amo_u64(addr, op, value, ord),
        }
    }

    /// Host pointer for a naturally aligned atomic access of `size` bytes.
    #[inline(always)]
    fn check_atomic(&self, addr: u64, size: u64, need: Need) -> Result<*mut u8, Fault> {
        if addr & (size - 1) != 0 {
            return Err(Fault::new(addr, need.access, FaultKind::Misaligned));
        }
        self.check(addr, size, need)
    }

    atomic_ops!(amo_u32, compare_exchange_u32, atomic_load_u32, u32, AtomicU32, i32, AtomicI32);
    atomic_ops!(amo_u64, compare_exchange_u64, atomic_load_u64, u64, AtomicU64, i64, AtomicI64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Perms;

    #[test]
    fn orderings() {
        assert_eq!(failure_ordering(Ordering::Release), Ordering::Relaxed);
        assert_eq!(failure_ordering(Ordering::AcqRel), Ordering::Acquire);
        assert_eq!(failure_ordering(Ordering::SeqCst), Ordering::SeqCst);
        assert_eq!(load_ordering(Ordering::Release), Ordering::Relaxed);
    }

    #[test]
    fn every_op_u32() {
        let s = AddressSpace::new().expect("new");
        s.map(0x10000, 0x1000, Perms::RW).expect("map");
        let a = 0x10000;
        let cases: [(AmoOp, u32, u32, u32); 9] = [
            (AmoOp::Swap, 5, 9, 9),
            (AmoOp::Add, u32::MAX, 2, 1),
            (AmoOp::Xor, 0b1100, 0b1010, 0b0110),
            (AmoOp::And, 0b1100, 0b1010, 0b1000),
            (AmoOp::Or, 0b1100, 0b1010, 0b1110),
            (AmoOp::Min, (-3i32) as u32, 2, (-3i32) as u32),
            (AmoOp::Max, (-3i32) as u32, 2, 2),
            (AmoOp::Minu, (-3i32) as u32, 2, 2),
            (AmoOp::Maxu, (-3i32) as u32, 2, (-3i32) as u32),
        ];
        for (op, init, val, want) in cases {
            s.store_u32(a, init).expect("store");
            assert_eq!(s.amo_u32(a, op, val, Ordering::SeqCst), Ok(init), "{op:?}");
            assert_eq!(s.load_u32(a), Ok(want), "{op:?}");
        }
    }

    #[test]
    fn every_op_u64() {
        let s = AddressSpace::new().expect("new");
        s.map(0x10000, 0x1000, Perms::RW).expect("map");
        let a = 0x10008;
        let m3 = (-3i64) as u64;
        let cases: [(AmoOp, u64, u64, u64); 9] = [
            (AmoOp::Swap, 5, 9, 9),
            (AmoOp::Add, u64::MAX, 2, 1),
            (AmoOp::Xor, 0b1100, 0b1010, 0b0110),
            (AmoOp::And, 0b1100, 0b1010, 0b1000),
            (AmoOp::Or, 0b1100, 0b1010, 0b1110),
            (AmoOp::Min, m3, 2, m3),
            (AmoOp::Max, m3, 2, 2),
            (AmoOp::Minu, m3, 2, 2),
            (AmoOp::Maxu, m3, 2, m3),
        ];
        for (op, init, val, want) in cases {
            s.store_u64(a, init).expect("store");
            assert_eq!(s.amo_u64(a, op, val, Ordering::AcqRel), Ok(init), "{op:?}");
            assert_eq!(s.load_u64(a), Ok(want), "{op:?}");
        }
    }
}
