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

impl AddressSpace {
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
