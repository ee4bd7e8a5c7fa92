//! The host FPU's state around compiled code, for floating point on the
//! host ([`FpLowering::Host`]): the rounding mode it runs in and the sticky
//! exception flags it accrues, which become the guest's `fflags` lazily.
//!
//! Compiled code runs FP operations as SSE/AVX instructions in the guest's
//! mode: MXCSR `0x1f80` (every exception masked, no flush-to-zero, no
//! denormals-are-zero, the Linux default) with the rounding control set
//! from `frm` (round to nearest, toward zero, down or up; `rmm` has no x86
//! equivalent: the host rounds to nearest then, an op with a static `rmm`
//! goes to SoftFloat, and a block's `frm` check leaves for the interpreter
//! before a dynamic-mode op would run under it). Under masked exceptions the
//! host raises exactly the IEEE 754 flags RISC-V accrues, with tininess
//! detected after rounding on both (x86: Intel SDM vol. 1 §4.9.1.5;
//! RISC-V: spec §20.2), so no operation computes its own flags: the
//! host's sticky flags collect them, and [`leave`] folds them into
//! `cpu.fflags` when compiled code returns to the engine (and puts the
//! host's own mode back). In between,
//! compiled code reads MXCSR through a two-instruction stub ([`stubs`]) when
//! the guest reads `fflags` (the value is `cpu.fflags` with the host's
//! flags added), and loads the guest mode with no flags through the other
//! when the guest writes `fflags` or `frm` (a write of `frm` first folds
//! the pending flags into `cpu.fflags` and sets the mode the stub loads,
//! `ctx.fp_guest_mxcsr`, from [`MXCSR_OF_FRM`]). The mapping:
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
//! signal on quiet NaNs, out-of-range conversions, an op's static rounding
//! mode other than the one the host runs in, `rmm`, `fmadd` with invalid
//! products and quiet NaN addends),
//! the lowering (`translate/fp.rs`) fixes the result up or calls SoftFloat,
//! and never runs a host instruction whose flags RISC-V would not raise.
//!
//! [`FpLowering::Host`]: crate::FpLowering::Host

use std::sync::atomic::Ordering;

use ferrovm_ir::Cpu;

use crate::abi::JitContext;

/// The host's MXCSR outside compiled code, and guest code's with `frm` =
/// round to nearest: all exceptions masked, flags clear, no FTZ/DAZ (the
/// Linux default).
pub(crate) const GUEST_MXCSR: u32 = 0x1f80;

/// The MXCSR compiled code runs in for the guest's `frm`: [`GUEST_MXCSR`]
/// with the rounding control (bits 13–14: 0 to nearest, 1 down, 2 up, 3
/// toward zero; Intel SDM vol. 1 §10.2.3) of `rtz` (1), `rdn` (2) or `rup`
/// (3); round to nearest for `rne`, `rmm` and the reserved values, whose
/// ops never run on the host.
pub(crate) const fn mxcsr_for(frm: u64) -> u32 {
    GUEST_MXCSR
        | match frm {
            1 => 3 << 13,
            2 => 1 << 13,
            3 => 2 << 13,
            _ => 0,
        }
}

/// [`mxcsr_for`] for every 3-bit `frm`: compiled code that writes `frm`
/// looks the mode up here.
pub(crate) static MXCSR_OF_FRM: [u32; 8] = {
    let mut t = [0u32; 8];
    let mut i = 0;
    while i < 8 {
        t[i] = mxcsr_for(i as u64);
        i += 1;
    }
    t
};
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

/// Machine code of a *preserving thunk* for the SoftFloat helper at
/// `helper` (a System V function of up to five integer arguments with an
/// integer result): compiled code calls it with Cranelift's `preserve_all`
/// convention, the helper's arguments in the first five System V argument
/// registers (unused ones anything) and the [`crate::abi::JitContext`] in
/// the sixth (`r9`); the thunk stores the helper's result in `ctx.value`,
/// where the compiled code reloads it (a `preserve_all` signature has no
/// return values). Every register the System V convention lets the
/// helper clobber (`rax`, `rcx`, `rdx`, `rsi`, `rdi`, `r8`–`r11`,
/// `xmm0`–`xmm15`, whole 128 bits) is saved around the call and restored,
/// so the compiled code's common path keeps its values in registers across
/// a call it almost never makes (a NaN result, a rounding mode other than
/// the host's) instead of spilling them around it.
///
/// ```text
/// push rax; push rcx; push rdx; push rsi; push rdi; push r8; push r9; push r10; push r11
/// sub rsp, 256                       ; 16 xmm slots
/// movdqu [rsp + 16*i], xmm<i>        ; i = 0..16
/// mov rax, helper; call rax
/// mov rcx, [rsp + 272]               ; the saved r9: ctx
/// mov [rcx + value], rax
/// movdqu xmm<i>, [rsp + 16*i]
/// add rsp, 256
/// pop r11; ...; pop rax
/// ret
/// ```
///
/// (Intel SDM vol. 2: `push`/`pop` `50+r`/`58+r` with REX.B for r8–r15;
/// `movdqu` `F3 0F 7F /r` (store) and `F3 0F 6F /r` (load), ModRM mod=10
/// rm=100 with SIB `24` (base rsp) and a 32-bit displacement, REX.R for
/// xmm8–15; `sub`/`add r/m64, imm32` `REX.W 81 /5` and `/0`; `mov rax,
/// imm64` `REX.W B8`; `call rax` `FF D0`; `mov r64, r/m64` `REX.W 8B /r`
/// and `mov r/m64, r64` `REX.W 89 /r`.) Entered with `rsp` ≡ 8 (mod 16)
/// (after the caller's `call`), nine pushes and 256 bytes leave it ≡ 0 at
/// the inner call, as the System V ABI wants.
pub(crate) fn preserving_thunk(helper: usize) -> Vec<u8> {
    // rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11 by number.
    const SAVED: [u8; 9] = [0, 1, 2, 6, 7, 8, 9, 10, 11];
    const FRAME: i32 = 16 * 16;
    // Where the pushed r9 is, above the xmm slots (r11 and r10 pushed after it).
    const R9_SLOT: i32 = FRAME + 16;
    let mut v = Vec::with_capacity(192);
    for r in SAVED {
        if r >= 8 {
            v.push(0x41);
        }
        v.push(0x50 + (r & 7));
    }
    v.extend([0x48, 0x81, 0xec]);
    v.extend(FRAME.to_le_bytes());
    let movdqu = |v: &mut Vec<u8>, op: u8, x: u8| {
        v.push(0xf3);
        if x >= 8 {
            v.push(0x44);
        }
        v.extend([0x0f, op, 0x84 | (x & 7) << 3, 0x24]);
        v.extend((16 * i32::from(x)).to_le_bytes());
    };
    for x in 0..16 {
        movdqu(&mut v, 0x7f, x);
    }
    v.extend([0x48, 0xb8]);
    v.extend((helper as u64).to_le_bytes());
    v.extend([0xff, 0xd0]);
    // mov rcx, [rsp + R9_SLOT]; mov [rcx + CTX_VALUE], rax
    v.extend([0x48, 0x8b, 0x8c, 0x24]);
    v.extend(R9_SLOT.to_le_bytes());
    v.extend([0x48, 0x89, 0x81]);
    v.extend(crate::abi::offsets::CTX_VALUE.to_le_bytes());
    for x in 0..16 {
        movdqu(&mut v, 0x6f, x);
    }
    v.extend([0x48, 0x81, 0xc4]);
    v.extend(FRAME.to_le_bytes());
    for r in SAVED.into_iter().rev() {
        if r >= 8 {
            v.push(0x41);
        }
        v.push(0x58 + (r & 7));
    }
    v.push(0xc3);
    v
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

/// Before compiled code runs: the guest mode for `cpu.frm`, with no flags
/// pending, in the host and in `ctx.fp_guest_mxcsr` (what the clear stub
/// loads).
pub(crate) fn enter(ctx: &JitContext, cpu: &Cpu) {
    let want = mxcsr_for(cpu.frm & 7);
    ctx.fp_guest_mxcsr.store(want, Ordering::Relaxed);
    if get() != want {
        set(want);
    }
}

/// After compiled code returned: folds the flags it raised since [`enter`]
/// into `cpu.fflags`, and puts back the host's mode (no flags, round to
/// nearest: the engine's own arithmetic is not the guest's).
pub(crate) fn leave(cpu: &mut Cpu) {
    let m = get();
    if m & FLAG_BITS != 0 {
        cpu.fflags |= fflags_of(m);
    }
    if m != GUEST_MXCSR {
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
    fn thunk_encoding() {
        let t = preserving_thunk(0x1122_3344_5566_7788);
        // push rax ... push r11, then sub rsp, 256.
        assert_eq!(t[..13], [0x50, 0x51, 0x52, 0x56, 0x57, 0x41, 0x50, 0x41, 0x51, 0x41, 0x52, 0x41, 0x53]);
        assert_eq!(t[13..20], [0x48, 0x81, 0xec, 0x00, 0x01, 0, 0]);
        // movdqu [rsp+0], xmm0 and movdqu [rsp+0xf0], xmm15.
        assert_eq!(t[20..29], [0xf3, 0x0f, 0x7f, 0x84, 0x24, 0, 0, 0, 0]);
        let call = t.windows(2).position(|w| w == [0xff, 0xd0]).unwrap();
        assert_eq!(t[call - 8..call], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(t[call - 20..call - 10], [0xf3, 0x44, 0x0f, 0x7f, 0xbc, 0x24, 0xf0, 0, 0, 0]);
        // The saved r9 (ctx) is at rsp + 256 + 16; the result goes to ctx.value.
        assert_eq!(t[call + 2..call + 10], [0x48, 0x8b, 0x8c, 0x24, 0x10, 0x01, 0, 0]);
        let value = crate::abi::offsets::CTX_VALUE.to_le_bytes();
        assert_eq!(t[call + 10..call + 17], [0x48, 0x89, 0x81, value[0], value[1], value[2], value[3]]);
        // Restores mirror the saves.
        assert_eq!(
            t[t.len() - 14..],
            [0x41, 0x5b, 0x41, 0x5a, 0x41, 0x59, 0x41, 0x58, 0x5f, 0x5e, 0x5a, 0x59, 0x58, 0xc3]
        );
    }

    #[test]
    fn flag_mapping() {
        assert_eq!(fflags_of(0x3f), 31);
        assert_eq!(fflags_of(0x02), 0, "DE has no RISC-V flag");
        assert_eq!(fflags_of(0x01), 16);
        assert_eq!(fflags_of(0x20), 1);
    }

    #[test]
    fn rounding_control_of_each_frm() {
        let rc = |frm: usize| (MXCSR_OF_FRM[frm] >> 13) & 3;
        assert_eq!((0..8).map(rc).collect::<Vec<u32>>(), [0, 3, 1, 2, 0, 0, 0, 0]);
        assert!(MXCSR_OF_FRM.iter().all(|m| m & !0x6000 == GUEST_MXCSR));
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_guest_mode_rounds_as_frm_says_and_leave_restores_the_hosts() {
        let mem = ferrovm_mem::AddressSpace::new().unwrap();
        let ctx = JitContext::new(&mem, std::ptr::null());
        let third = || std::hint::black_box(1.0f64) / std::hint::black_box(3.0f64);
        let nearest = third();
        for (frm, want) in [(1, nearest), (2, nearest), (3, f64::from_bits(nearest.to_bits() + 1))] {
            let mut cpu = Cpu { frm, ..Cpu::default() };
            enter(&ctx, &cpu);
            assert_eq!(ctx.fp_guest_mxcsr.load(Ordering::Relaxed), mxcsr_for(frm));
            // Into black_box before `leave`: LLVM may otherwise sink the
            // division past it (it does not model MXCSR).
            let got = std::hint::black_box(third());
            leave(&mut cpu);
            assert_eq!((got.to_bits(), cpu.fflags, get()), (want.to_bits(), 1, GUEST_MXCSR), "frm={frm}");
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn host_flags_fold_into_fflags() {
        let mem = ferrovm_mem::AddressSpace::new().unwrap();
        enter(&JitContext::new(&mem, std::ptr::null()), &Cpu::default());
        let x = std::hint::black_box(1.0f64) / std::hint::black_box(3.0f64);
        std::hint::black_box(x);
        let mut cpu = Cpu::default();
        leave(&mut cpu);
        assert_eq!(cpu.fflags, 1);
        assert_eq!(get() & FLAG_BITS, 0);
    }
}
