//! Guest-memory copies that survive the host page going away under them.
//!
//! A system call copies guest memory (`read_bytes`, `write_bytes`) on a
//! thread that is not running guest code, so the unmap barrier does not
//! wait for it: another guest thread's `munmap` may release the host pages
//! between the permission check and the copy. The copy is therefore one
//! instruction whose address is known (`rep movsb`, `lock cmpxchg`), in a
//! routine with a second exit; the engine's host `SIGSEGV`/`SIGBUS` handler
//! asks [`fixup`] whether a fault happened there and, if so, resumes at
//! that exit, which reports the fault to the caller — the kernel's
//! exception tables, in user space.

use core::sync::atomic::AtomicU32;

// System V: dst in rdi, src in rsi, len in rdx; 0 in eax, or 1 after a
// fault. `rep movsb` copies rcx bytes from [rsi] to [rdi].
//
// cas32: ptr in rdi, expected in esi, new in edx; the old value
// (zero-extended) in rax, or u64::MAX after a fault.
core::arch::global_asm!(
    ".text",
    ".globl ferrovm_guest_copy",
    ".type ferrovm_guest_copy, @function",
    "ferrovm_guest_copy:",
    "    mov rcx, rdx",
    ".globl ferrovm_guest_copy_insn",
    "ferrovm_guest_copy_insn:",
    "    rep movsb",
    "    xor eax, eax",
    "    ret",
    ".globl ferrovm_guest_copy_fault",
    "ferrovm_guest_copy_fault:",
    "    mov eax, 1",
    "    ret",
    ".size ferrovm_guest_copy, . - ferrovm_guest_copy",
    ".globl ferrovm_guest_cas32",
    ".type ferrovm_guest_cas32, @function",
    "ferrovm_guest_cas32:",
    "    mov eax, esi",
    ".globl ferrovm_guest_cas32_insn",
    "ferrovm_guest_cas32_insn:",
    "    lock cmpxchg dword ptr [rdi], edx",
    "    ret",
    ".globl ferrovm_guest_cas32_fault",
    "ferrovm_guest_cas32_fault:",
    "    mov rax, -1",
    "    ret",
    ".size ferrovm_guest_cas32, . - ferrovm_guest_cas32",
);

unsafe extern "C" {
    fn ferrovm_guest_copy(dst: *mut u8, src: *const u8, len: usize) -> u32;
    fn ferrovm_guest_cas32(ptr: *const AtomicU32, expected: u32, new: u32) -> u64;
    static ferrovm_guest_copy_insn: u8;
    static ferrovm_guest_copy_fault: u8;
    static ferrovm_guest_cas32_insn: u8;
    static ferrovm_guest_cas32_fault: u8;
}

/// For a host fault at `pc`: where execution continues if `pc` is the
/// guest-memory instruction of one of these routines (its fault exit).
#[must_use]
pub fn fixup(pc: usize) -> Option<usize> {
    let copy = &raw const ferrovm_guest_copy_insn as usize;
    let cas = &raw const ferrovm_guest_cas32_insn as usize;
    if pc == copy {
        Some(&raw const ferrovm_guest_copy_fault as usize)
    } else if pc == cas {
        Some(&raw const ferrovm_guest_cas32_fault as usize)
    } else {
        None
    }
}

/// Copies `len` bytes from `src` to `dst`; `false` if a host fault stopped
/// it (part may have been copied).
///
/// # Safety
/// Both ranges must be valid for the copy and not overlap, except that a
/// guest range may fault (a released page of the reservation): that is
/// what the engine's fault handler turns into `false`.
pub(crate) unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) -> bool {
    // SAFETY: forwarded contract; the routine follows the C ABI.
    unsafe { ferrovm_guest_copy(dst, src, len) == 0 }
}

/// Compare-and-swap of the 32-bit word at `ptr`: `Some(old)` (it swapped
/// if `old == expected`), `None` if a host fault stopped it.
///
/// # Safety
/// As for [`copy`]: `ptr` is an aligned guest word of the reservation.
pub(crate) unsafe fn cas32(ptr: *const AtomicU32, expected: u32, new: u32) -> Option<u32> {
    // SAFETY: forwarded contract.
    let r = unsafe { ferrovm_guest_cas32(ptr, expected, new) };
    u32::try_from(r).ok()
}
