//! Blocking host system calls that a guest signal can interrupt without a
//! lost wake-up: QEMU's `safe_syscall` technique (`linux-user/safe-syscall.h`).
//!
//! A guest thread that blocks in a host system call (`read` from a pipe, a
//! `futex` wait, `nanosleep`) must return `EINTR` when a guest signal for it
//! arrives, as Linux does. The sender marks the thread's *kick* flag and
//! sends the host thread [`kick_signal`], whose handler is installed
//! without `SA_RESTART`, so a system call in progress returns `EINTR`. The
//! race is a signal arriving after the thread checked its flag but before it
//! entered the kernel: then the system call would block with the signal
//! already sent. So the check and the `syscall` instruction are one small
//! assembly routine, [`safe_syscall`], and the kick handler rewinds a thread
//! it interrupts between the two (its pc in `[start, end)`) to a path that
//! returns `-EINTR` without entering the kernel.

use std::sync::Once;
use std::sync::atomic::AtomicU32;

use rustix::io::Errno;

// x86-64 System V: the flag's address in rdi, the number in rsi, arguments
// in rdx, rcx, r8, r9 and on the stack. The Linux system call ABI wants the
// number in rax and arguments in rdi, rsi, rdx, r10, r8, r9. rbp is
// callee-saved and survives the system call: it holds the flag's address.
std::arch::global_asm!(
    ".text",
    ".globl ferrovm_safe_syscall",
    ".type ferrovm_safe_syscall, @function",
    "ferrovm_safe_syscall:",
    "    push rbp",
    "    mov rbp, rdi",
    "    mov rax, rsi",
    "    mov rdi, rdx",
    "    mov rsi, rcx",
    "    mov rdx, r8",
    "    mov r10, r9",
    "    mov r8, [rsp + 16]",
    "    mov r9, [rsp + 24]",
    ".globl ferrovm_safe_syscall_start",
    "ferrovm_safe_syscall_start:",
    "    cmp dword ptr [rbp], 0",
    "    jnz 2f",
    "    syscall",
    ".globl ferrovm_safe_syscall_end",
    "ferrovm_safe_syscall_end:",
    "    pop rbp",
    "    ret",
    ".globl ferrovm_safe_syscall_interrupted",
    "ferrovm_safe_syscall_interrupted:",
    "2:",
    "    mov rax, -4",
    "    pop rbp",
    "    ret",
    ".size ferrovm_safe_syscall, . - ferrovm_safe_syscall",
);

unsafe extern "C" {
    fn ferrovm_safe_syscall(
        flag: *const AtomicU32,
        nr: i64,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
        a5: u64,
        a6: u64,
    ) -> i64;
    static ferrovm_safe_syscall_start: u8;
    static ferrovm_safe_syscall_end: u8;
    static ferrovm_safe_syscall_interrupted: u8;
}

/// The host signal that interrupts a guest thread's blocking system call.
/// A real-time signal glibc leaves to applications; no guest signal is ever
/// delivered as this host signal.
pub fn kick_signal() -> i32 {
    libc::SIGRTMIN() + 6
}

/// The kick handler: nothing to do but, for a thread between the flag check
/// and the `syscall` instruction, skip the system call.
extern "C" fn on_kick(_: libc::c_int, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid `ucontext_t` for an SA_SIGINFO
    // handler; only the saved rip of the interrupted thread is read and
    // (inside the window) rewritten, to an address in the same routine
    // whose stack layout is the same.
    unsafe {
        let uc = uc.cast::<libc::ucontext_t>();
        let rip = &mut (*uc).uc_mcontext.gregs[libc::REG_RIP as usize];
        let start = &raw const ferrovm_safe_syscall_start as i64;
        let end = &raw const ferrovm_safe_syscall_end as i64;
        if (start..end).contains(rip) {
            *rip = &raw const ferrovm_safe_syscall_interrupted as i64;
        }
    }
}

/// Installs the kick handler (once per process; it survives `fork`).
pub fn install_kick_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sigaction` with a zeroed, then filled, struct; the
        // handler is async-signal-safe (it only reads and writes the
        // interrupted context). No SA_RESTART: system calls in progress
        // return EINTR.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_kick as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(kick_signal(), &sa, std::ptr::null_mut());
        }
    });
}

/// Sends the kick signal to host thread `tid` of this process.
pub fn kick(tid: i32) {
    // SAFETY: tgkill has no memory arguments; a thread that is gone makes
    // it fail with ESRCH, which is fine.
    unsafe {
        libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, kick_signal());
    }
}

/// Makes host system call `nr` with `args`, unless `flag` is non-zero (a
/// guest signal is pending for this thread) before it starts: then, or if
/// the kick signal interrupts it, `Err(Errno::INTR)`.
///
/// # Safety
/// As for the raw system call: every pointer argument must be valid for
/// what the call does with it.
pub unsafe fn safe_syscall(flag: &AtomicU32, nr: i64, args: [u64; 6]) -> Result<u64, Errno> {
    let [a1, a2, a3, a4, a5, a6] = args;
    // SAFETY: the routine follows the C ABI (see the assembly above); the
    // caller vouches for the arguments.
    let r = unsafe { ferrovm_safe_syscall(flag, nr, a1, a2, a3, a4, a5, a6) };
    if (-4095..0).contains(&r) { Err(Errno::from_raw_os_error(-r as i32)) } else { Ok(r as u64) }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_set_flag_skips_the_call() {
        let flag = AtomicU32::new(1);
        // SAFETY: getpid has no arguments.
        assert_eq!(unsafe { safe_syscall(&flag, libc::SYS_getpid, [0; 6]) }, Err(Errno::INTR));
        flag.store(0, Ordering::Relaxed);
        // SAFETY: as above.
        let pid = unsafe { safe_syscall(&flag, libc::SYS_getpid, [0; 6]) };
        assert_eq!(pid, Ok(u64::from(std::process::id())));
    }

    #[test]
    fn a_kick_interrupts_a_blocked_read() {
        install_kick_handler();
        let (r, _w) = rustix::pipe::pipe().expect("pipe");
        let flag = Arc::new(AtomicU32::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = {
            let flag = Arc::clone(&flag);
            std::thread::spawn(move || {
                tx.send(rustix::thread::gettid().as_raw_nonzero().get()).expect("send");
                let mut buf = [0u8; 1];
                let fd = std::os::fd::AsRawFd::as_raw_fd(&r) as u64;
                // SAFETY: a read into a live local buffer.
                unsafe { safe_syscall(&flag, libc::SYS_read, [fd, buf.as_mut_ptr() as u64, 1, 0, 0, 0]) }
            })
        };
        let tid = rx.recv().expect("tid");
        let started = Instant::now();
        // Kick until it returns: the first kick may land before the read
        // started (then the flag makes the next check fail instead).
        flag.store(1, Ordering::Release);
        while !reader.is_finished() {
            kick(tid);
            std::thread::sleep(Duration::from_millis(5));
            assert!(started.elapsed() < Duration::from_secs(10), "the read was not interrupted");
        }
        assert_eq!(reader.join().expect("join"), Err(Errno::INTR));
    }
}
