//! Linux signal numbers ↔ gdb's own (the remote protocol numbers signals
//! as gdb's `enum gdb_signal` does, `include/gdb/signals.def`: SIGUSR1 is
//! 30 there, 10 on Linux).

use ferrovm_linux::Signal;
use gdbstub::common::Signal as GdbSignal;

/// gdb's number of each Linux signal 1..=31 (index = Linux number); 0 for
/// none (SIGSTKFLT has no gdb number).
const TO_GDB: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, 0, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32,
    12,
];

/// gdb's `GDB_SIGNAL_REALTIME_33`; 34..=63 follow it; 32 and 64 are apart.
const GDB_RT33: u8 = 45;
const GDB_RT32: u8 = 77;
/// gdb's `GDB_SIGNAL_REALTIME_64`.
const GDB_RT64: u8 = 78;
/// gdb's "unknown signal".
const GDB_UNKNOWN: u8 = 143;

/// gdb's number of a Linux signal.
pub(crate) fn to_gdb(sig: Signal) -> GdbSignal {
    let n = match sig.0 {
        s @ 1..=31 => TO_GDB[s as usize],
        32 => GDB_RT32,
        s @ 33..=63 => GDB_RT33 + (s - 33) as u8,
        64 => GDB_RT64,
        _ => GDB_UNKNOWN,
    };
    GdbSignal(if n == 0 { GDB_UNKNOWN } else { n })
}

/// The Linux signal of gdb's number (`None` for 0 or one Linux lacks).
pub(crate) fn from_gdb(sig: GdbSignal) -> Option<Signal> {
    let g = sig.0;
    if g == 0 {
        return None;
    }
    if let Some(s) = TO_GDB.iter().position(|&n| n == g) {
        return Some(Signal(s as i32));
    }
    match g {
        GDB_RT32 => Some(Signal(32)),
        GDB_RT64 => Some(Signal(64)),
        _ if (GDB_RT33..GDB_RT33 + 31).contains(&g) => Some(Signal(i32::from(g - GDB_RT33) + 33)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip() {
        for s in (1..=64).filter(|&s| s != 16) {
            assert_eq!(from_gdb(to_gdb(Signal(s))), Some(Signal(s)), "signal {s}");
        }
        assert_eq!(to_gdb(Signal(10)), GdbSignal::SIGUSR1);
        assert_eq!(to_gdb(Signal(11)), GdbSignal::SIGSEGV);
        assert_eq!(to_gdb(Signal(17)), GdbSignal::SIGCHLD);
    }
}
