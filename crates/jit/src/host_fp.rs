//! The host FPU's state around compiled code, for floating point on the
//! host ([`FpLowering::Host`]): the rounding mode it runs in and the sticky
//! exception flags it accrues, which become the guest's `fflags` lazily.
//!
//! Compiled code runs FP operations as SSE/AVX instructions in the host's
//! default mode (MXCSR `0x1f80`: round to nearest, every exception masked,
//! no flush-to-zero, no denormals-are-zero). Under masked exceptions the
//! host raises exactly the IEEE 754 flags RISC-V accrues, with tininess
//! detected after rounding on both (x86: Intel SDM vol. 1 §4.9.1.5;
//! RISC-V: spec §20.2), so no operation computes its own flags: the
//! host's sticky flags collect them, and [`leave`] folds them into
//! `cpu.fflags` when compiled code returns to the engine. In between,
//! compiled code reads MXCSR through a two-instruction stub ([`stubs`]) when
//! the guest reads `fflags` (the value is `cpu.fflags` with the host's
//! flags added), and clears the host's flags through the other when the
//! guest writes `fflags`. The mapping:
//!
//! | MXCSR | bit | `fflags` |
//! |---|---|---|
//! | IE invalid | 0 | NV (16) |
//! | DE denormal operand | 1 | — (no RISC-V flag) |
//! | ZE divide by zero | 2 | DZ (8) |
//! | OE overflow | 3 | OF (4) |
//! | UE underflow | 4 | UF (2) |
//! | PE precision | 5 | NX (1) |
//!
//! This is sound because nothing else runs on the guest thread's FPU
//! between [`enter`] and [`leave`]: the helpers compiled code calls do
//! integer work only (SoftFloat is integer code; memory, CSR and bit
//! helpers touch no float), and a host signal handler runs with its own
//! FPU state, which the kernel restores on return. Where the host's result
//! or flags differ from RISC-V (NaN payloads, `fmin`/`fmax`, compares that
//! signal on quiet NaNs, out-of-range conversions, rounding modes other than
//! round to nearest, `fmadd` with invalid products and quiet NaN addends),
//! the lowering (`translate/fp.rs`) fixes the result up or calls SoftFloat,
//! and never runs a host instruction whose flags RISC-V would not raise.
//!
//! [`FpLowering::Host`]: crate::FpLowering::Host

use ferrovm_ir::Cpu;

/// MXCSR for guest code: round to nearest, all exceptions masked, flags
/// clear, no FTZ/DAZ (the Linux default).
pub(crate) const GUEST_MXCSR: u32 = 0x1f80;
/// The sticky flags that map to `fflags` (all but DE).
const FLAG_BITS: u32 = 0x3d;

/// `fflags` bits for the MXCSR flags in `mxcsr`.
pub(crate) const fn fflags_of(mxcsr: u32) -> u64 {
    let mut f = 0;
    if mxcsr & 1 != 0 {
        f |= 16;
    }
    if mxcsr & 4 != 0 {
        f |= 8;
    }
    if mxcsr & 8 != 0 {
        f |= 4;
    }
    if mxcsr & 16 != 0 {
        f |= 2;
    }
    if mxcsr & 32 != 0 {
        f |= 1;
    }
    f
}

/// [`fflags_of`] for every value of the six flag bits: compiled code
/// looks the host's flags up here.
pub(crate) static FFLAGS_OF: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        t[i] = fflags_of(i as u32) as u8;
        i += 1;
    }
    t
};

/// Machine code of the two stubs compiled code calls (with Cranelift's
/// `preserve_all` convention: they clobber nothing) to reach MXCSR, which
/// Cranelift IR cannot name; each takes the [`crate::abi::JitContext`] in
/// `rdi`: `stmxcsr [rdi + fp_mxcsr]; ret` and `ldmxcsr [rdi +
/// fp_guest_mxcsr]; ret` (Intel SDM vol. 2: `0F AE /3`, `0F AE /2`, ModRM
/// mod=10 with rm=rdi and a 32-bit displacement).
pub(crate) fn stubs() -> [Vec<u8>; 2] {
    let stub = |reg: u8, off: i32| {
        let mut v = vec![0x0f, 0xae, 0x80 | reg << 3 | 7];
        v.extend(off.to_le_bytes());
        v.push(0xc3);
        v
    };
    [stub(3, crate::abi::offsets::CTX_FP_MXCSR), stub(2, crate::abi::offsets::CTX_FP_GUEST_MXCSR)]
}

#[cfg(target_arch = "x86_64")]
fn get() -> u32 {
    let mut v: u32 = 0;
    // SAFETY: `stmxcsr` stores the 4-byte MXCSR at the given address, a
    // live local.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack, preserves_flags)) };
    v
}

#[cfg(target_arch = "x86_64")]
fn set(v: u32) {
    // SAFETY: `ldmxcsr` reads 4 bytes from a live local; every value this
    // module loads is a valid MXCSR (reserved bits clear).
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, preserves_flags, readonly)) };
}

#[cfg(not(target_arch = "x86_64"))]
fn get() -> u32 {
    GUEST_MXCSR
}

#[cfg(not(target_arch = "x86_64"))]
fn set(_: u32) {}

/// Before compiled code runs: the guest mode, with no flags pending.
pub(crate) fn enter() {
    if get() != GUEST_MXCSR {
        set(GUEST_MXCSR);
    }
}

/// After compiled code returned: folds the flags it raised since [`enter`]
/// into `cpu.fflags` and clears them.
pub(crate) fn leave(cpu: &mut Cpu) {
    let m = get();
    if m & FLAG_BITS != 0 {
        cpu.fflags |= fflags_of(m);
        set(GUEST_MXCSR);
    }
}

/// Whether this host can run FP on its FPU the way the lowering expects
/// (x86-64, whose baseline SSE2 has every scalar operation; SSE4.1 rounding
/// and FMA are optional and checked per operation).
pub(crate) const SUPPORTED: bool = cfg!(target_arch = "x86_64");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_encodings() {
        let [st, ld] = stubs();
        assert_eq!(st[..3], [0x0f, 0xae, 0x9f]);
        assert_eq!(ld[..3], [0x0f, 0xae, 0x97]);
        assert_eq!((st.len(), st[7]), (8, 0xc3));
    }

    #[test]
    fn flag_mapping() {
        assert_eq!(fflags_of(0x3f), 31);
        assert_eq!(fflags_of(0x02), 0, "DE has no RISC-V flag");
        assert_eq!(fflags_of(0x01), 16);
        assert_eq!(fflags_of(0x20), 1);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn host_flags_fold_into_fflags() {
        enter();
        let x = std::hint::black_box(1.0f64) / std::hint::black_box(3.0f64);
        std::hint::black_box(x);
        let mut cpu = Cpu::default();
        leave(&mut cpu);
        assert_eq!(cpu.fflags, 1);
        assert_eq!(get() & FLAG_BITS, 0);
    }
}
