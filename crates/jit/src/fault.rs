//! Leaving compiled code from a host fault: what makes loads and stores
//! without inline checks ([`crate::MemAccess::Direct`]) precise, with
//! nothing stored before them.
//!
//! A direct load or store is two machine instructions: a conditional
//! branch (the guest-limit compare, taken for an address beyond
//! `GUEST_LIMIT`) to a side exit at the guest instruction, which writes the
//! dirty guest registers back, sets `pc` and `instret` and leaves with
//! [`exit::SLOW`](crate::abi::exit::SLOW), and, right after it, the plain
//! host access. When the access faults in the host (an unmapped or
//! protected guest page, the guard past `GUEST_LIMIT`, a store to a page
//! write-protected because it holds translated code), the machine state is
//! the state at the branch, so the engine's `SIGSEGV` handler calls
//! [`redirect`], which resumes the thread at the branch's target: the side
//! exit runs as if the branch had been taken, and the engine runs the
//! instruction in the interpreter, which faults exactly (the guest's
//! `SIGSEGV`/`SIGBUS` with the right address and code) or does the access
//! (a write to code drops the stale translations).
//!
//! A trap-mode access ([`crate::MemAccess::Trap`]) has no branch: its
//! address is clamped to the limit. A host fault there that the address
//! space cannot resolve leaves compiled code altogether ([`abort`]): the
//! thread resumes right after [`enter`]'s call, as if the compiled code had
//! returned [`exit::TRAP`](crate::abi::exit::TRAP), and the store finds
//! the access's guest pc from the host pc. Resolved faults (a store into a
//! page holding translated code) run again ([`note_code_write`]).
//!
//! That layout is not left to chance. Cranelift records every instruction
//! that may trap; [`fault_sites`] decodes the function and accepts it only
//! if each guest access starts right after a conditional branch whose
//! target [`branch_target`] finds from the bytes before the access alone
//! (what the handler does at run time); otherwise the function is compiled
//! again with inline checks. The accepted offsets go into the code store's
//! [`FaultSites`], one bit per byte of the code cache, and the handler
//! redirects only at a marked address.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use ferrovm_ir::Cpu;

use crate::abi::JitContext;

thread_local! {
    /// The context of the compiled code this thread is running, its
    /// store's fault sites and the way back out of it (set by [`enter`]
    /// around the call), or nulls. Const-initialized without a destructor:
    /// a plain `#[thread_local]` the signal handler can read.
    static ACTIVE: Cell<(*const JitContext, *const FaultSites, *const JumpBuf)> =
        const { Cell::new((std::ptr::null(), std::ptr::null(), std::ptr::null())) };
}

/// Where [`abort`] resumes a thread that faulted at a trap-mode access
/// ([`crate::MemAccess::Trap`]): the stack pointer and frame pointer that
/// [`enter`]'s call of the trampoline had, and the address right after
/// that call; and what the fault was. The first three are written by
/// `enter`'s assembly, the rest by [`abort`]; `enter` reads them after the
/// call. `repr(C)`: the assembly writes the fields by offset.
#[repr(C)]
#[derive(Default)]
struct JumpBuf {
    rsp: Cell<usize>,
    resume: Cell<usize>,
    rbp: Cell<usize>,
    fault_rip: Cell<usize>,
    fault_addr: Cell<usize>,
    write: Cell<bool>,
}

/// A host fault at a trap-mode access that left compiled code
/// ([`abort`]): where in the machine code, the host address it touched,
/// and whether it was a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trapped {
    pub(crate) rip: usize,
    pub(crate) addr: usize,
    pub(crate) write: bool,
}

/// The trampoline's signature (see `baseline::trampoline`).
pub(crate) type Trampoline = unsafe extern "C" fn(*mut Cpu, *const JitContext, usize, u64) -> u64;

/// Whether this host can leave compiled code from a fault (x86-64 Linux).
pub(crate) const SUPPORTED: bool = cfg!(all(target_arch = "x86_64", target_os = "linux"));

/// Calls `trampoline(cpu, ctx, code, pc)` so that a host fault at a marked
/// site of `sites` (`None` without direct access) in the compiled code it
/// runs resumes at its side exit ([`redirect`]) or, at a trap-mode site,
/// leaves the call ([`abort`]: the result is then
/// [`exit::TRAP`](crate::abi::exit::TRAP) and the fault comes back as
/// well), with `host_base` in `r15`: with direct memory access,
/// Cranelift's pinned register, where compiled code finds the host base of
/// guest memory (nothing else in compiled code writes it; the helpers it
/// calls preserve it, as the C ABI says).
///
/// # Safety
///
/// As for calling `trampoline` directly; `sites` belongs to the store the
/// code lives in.
pub(crate) unsafe fn enter(
    trampoline: Trampoline,
    cpu: *mut Cpu,
    ctx: &JitContext,
    sites: Option<&FaultSites>,
    code: usize,
    pc: u64,
    host_base: u64,
) -> (u64, Option<Trapped>) {
    let jb = JumpBuf::default();
    let prev = ACTIVE.with(|a| {
        a.replace((std::ptr::from_ref(ctx), sites.map_or(std::ptr::null(), std::ptr::from_ref), &raw const jb))
    });
    let r;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: forwarded contract: a C-ABI call of `trampoline` with its four
    // arguments. `r15` is declared clobbered (the compiler saves and
    // restores it: the pinned register is not callee-saved in compiled
    // code), and so are the C ABI's caller-saved registers. The other
    // callee-saved registers are pushed here and popped after the call,
    // also when `abort` resumes at label 2 (with this call's stack and
    // frame pointer, whatever compiled code left in the registers): so
    // both ways out leave them as they were. `jb` outlives the call.
    unsafe {
        core::arch::asm!(
            "push rbp",
            "push rbx",
            "push r12",
            "push r13",
            "push r14",
            "mov rbp, rsp",
            "and rsp, -16",
            "mov [r11], rsp",
            "mov [r11 + 16], rbp",
            "lea rax, [rip + 2f]",
            "mov [r11 + 8], rax",
            "call r10",
            "2:",
            "mov rsp, rbp",
            "pop r14",
            "pop r13",
            "pop r12",
            "pop rbx",
            "pop rbp",
            in("r10") trampoline,
            in("r11") &raw const jb,
            in("rdi") cpu,
            in("rsi") std::ptr::from_ref(ctx),
            in("rdx") code,
            in("rcx") pc,
            inout("r15") host_base => _,
            lateout("rax") r,
            clobber_abi("C"),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: forwarded contract.
    unsafe {
        let _ = host_base;
        r = trampoline(cpu, ctx, code, pc);
    }
    ACTIVE.with(|a| a.set(prev));
    let trapped = (r == crate::abi::exit::TRAP).then(|| Trapped {
        rip: jb.fault_rip.get(),
        addr: jb.fault_addr.get(),
        write: jb.write.get(),
    });
    (r, trapped)
}

/// The target of the conditional branch that ends right before an
/// instruction, from the 6 bytes before it: a `jcc rel32` (`0f 8x` and a
/// 32-bit displacement) or else a `jcc rel8` (`7x` and an 8-bit one), as
/// an offset from the instruction's start. Only meaningful where
/// [`fault_sites`] verified that this rule finds the real branch; the
/// handler relies on exactly this function.
fn branch_target(before: [u8; 6]) -> Option<i64> {
    if before[0] == 0x0f && before[1] & 0xf0 == 0x80 {
        let rel = i32::from_le_bytes([before[2], before[3], before[4], before[5]]);
        Some(i64::from(rel))
    } else if before[4] & 0xf0 == 0x70 {
        Some(i64::from(before[5] as i8))
    } else {
        None
    }
}

/// Checks the machine code `code` of one function whose guest accesses
/// start at the offsets `accesses` (Cranelift's trap records, or the
/// baseline compiler's): each must be an instruction that starts right
/// after a conditional branch whose target [`branch_target`] finds, inside
/// the function and not the access itself. Returns the sites to mark, or
/// the indexes (into `accesses`) of those whose layout does not allow
/// direct access (the register allocator put a move between the branch
/// and the access, say): the caller checks those inline instead.
pub(crate) fn fault_sites(code: &[u8], accesses: &[u32]) -> Result<Vec<u32>, Vec<usize>> {
    use iced_x86::{Decoder, DecoderOptions};
    let Some(&last) = accesses.iter().max() else { return Ok(Vec::new()) };
    // Instruction starts up to the last access, and by end offset, whether
    // the instruction is a conditional branch (and to where).
    let mut ends = std::collections::HashMap::new();
    let mut starts = std::collections::HashSet::new();
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    while decoder.can_decode() && decoder.ip() <= u64::from(last) {
        let insn = decoder.decode();
        if insn.is_invalid() {
            return Err((0..accesses.len()).collect());
        }
        let (start, end) = (insn.ip(), insn.next_ip());
        starts.insert(start);
        let bytes = &code[start as usize..end as usize];
        let jcc =
            matches!(*bytes, [0x0f, b, _, _, _, _] if b & 0xf0 == 0x80) || matches!(*bytes, [b, _] if b & 0xf0 == 0x70);
        ends.insert(end, jcc.then(|| insn.near_branch_target()));
    }
    let valid = |at: u32| {
        let t = u64::from(at);
        let Some(Some(target)) = ends.get(&t) else { return false };
        let found = (at >= 6)
            .then(|| branch_target(code[at as usize - 6..at as usize].try_into().expect("6 bytes")))
            .flatten()
            .map(|rel| t as i64 + rel);
        starts.contains(&t) && found == Some(*target as i64) && *target != t && *target < code.len() as u64
    };
    let bad: Vec<usize> = (0..accesses.len()).filter(|&i| !valid(accesses[i])).collect();
    if bad.is_empty() { Ok(accesses.to_vec()) } else { Err(bad) }
}

/// One bit per byte of a code cache: set at the first byte of every direct
/// guest access of the code installed there ([`fault_sites`]). Written by
/// the installing thread before the code is published, cleared before a
/// range is reused (only once no thread can run the old code), read by the
/// signal handler: plain atomics, no locks.
pub struct FaultSites {
    start: usize,
    bits: Box<[AtomicU8]>,
    /// The same for trap-mode accesses ([`crate::MemAccess::Trap`]).
    traps: Box<[AtomicU8]>,
    /// One past the highest address ever marked: nothing above is set, so
    /// a range there (code installed where none was before, as all of it
    /// is until the cache evicts) needs no clearing.
    high: AtomicUsize,
}

impl std::fmt::Debug for FaultSites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultSites").field("start", &self.start).field("bytes", &(self.bits.len() * 8)).finish()
    }
}

impl FaultSites {
    /// Sites for the code range `[start, start + len)`.
    pub(crate) fn new(start: usize, len: usize) -> Self {
        let n = len.div_ceil(8);
        // Zeroed memory (the allocator maps fresh pages for a large one, so
        // untouched parts of the map cost nothing).
        let zeroed = || {
            let bits = Box::<[AtomicU8]>::new_zeroed_slice(n);
            // SAFETY: an all-zero `AtomicU8` is a valid value (0).
            unsafe { bits.assume_init() }
        };
        FaultSites { start, bits: zeroed(), traps: zeroed(), high: AtomicUsize::new(start) }
    }

    fn slot<'a>(&self, bits: &'a [AtomicU8], addr: usize) -> Option<(&'a AtomicU8, u8)> {
        let off = addr.checked_sub(self.start)?;
        Some((bits.get(off / 8)?, 1 << (off % 8)))
    }

    /// Marks `addr` (a direct access of code about to be published; a
    /// trap-mode one with `trap`).
    pub(crate) fn mark(&self, addr: usize, trap: bool) {
        if let Some((b, m)) = self.slot(if trap { &self.traps } else { &self.bits }, addr) {
            b.fetch_or(m, Ordering::Release);
            self.high.fetch_max(addr + 1, Ordering::Relaxed);
        }
    }

    /// Clears every mark in `[addr, addr + len)` (a range about to be
    /// reused: no thread can be running what was there). Bytes already
    /// clear are only read: a store, even of 0, would give an untouched
    /// page of the map memory of its own (`bigprog`: 1.3 MB of the two
    /// maps resident for 2.8 MB of code, most of it never marked).
    pub(crate) fn clear(&self, addr: usize, len: usize) {
        // (Marks and clears happen under the code store's lock.)
        let end = (addr + len).min(self.high.load(Ordering::Relaxed));
        for bits in [&self.bits, &self.traps] {
            let mut a = addr;
            while a < end {
                let Some((b, m)) = self.slot(bits, a) else { break };
                let whole = m == 1 && end - a >= 8;
                let mask = if whole { 0xff } else { m };
                if b.load(Ordering::Relaxed) & mask != 0 {
                    b.fetch_and(!mask, Ordering::Relaxed);
                }
                a += if whole { 8 } else { 1 };
            }
        }
    }

    /// Whether `addr` is a marked direct-access site.
    pub(crate) fn is_site(&self, addr: usize) -> bool {
        self.slot(&self.bits, addr).is_some_and(|(b, m)| b.load(Ordering::Acquire) & m != 0)
    }

    /// Whether `addr` is a marked trap-mode site.
    pub(crate) fn is_trap_site(&self, addr: usize) -> bool {
        self.slot(&self.traps, addr).is_some_and(|(b, m)| b.load(Ordering::Acquire) & m != 0)
    }
}

/// For the host `SIGSEGV`/`SIGBUS` handler, on a fault at a pc inside
/// compiled code (the caller checked that, and that the faulting address
/// is in the guest reservation): if this thread is running compiled code
/// entered through [`enter`] and the pc is a marked direct access, rewrites
/// the signal context `uc` so that the thread resumes at the side exit of
/// that access (the target of the branch before it) and returns `true`.
/// `false` (context untouched) otherwise: an access with an inline check
/// (a vector access, say) that raced with another thread's protection
/// change is the caller's to resolve.
///
/// # Safety
///
/// `uc` is the `ucontext_t` the kernel passed to an `SA_SIGINFO` handler
/// for a fault on this thread.
pub unsafe fn redirect(uc: *mut core::ffi::c_void) -> bool {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let (ctx, sites, _) = ACTIVE.with(Cell::get);
        if ctx.is_null() || sites.is_null() {
            return false;
        }
        // SAFETY: `ctx` and `sites` are what `enter` set for this thread
        // (cleared before `enter` returns), alive while it runs; `uc` is
        // valid per the contract. A marked pc has 6 bytes of this
        // function's code before it (`fault_sites` checked that), and code
        // stays mapped while this thread is in its epoch.
        unsafe {
            let uc = uc.cast::<libc::ucontext_t>();
            let rip = (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
            if !(*sites).is_site(rip) {
                return false;
            }
            let before = std::ptr::read((rip - 6) as *const [u8; 6]);
            let Some(rel) = branch_target(before) else { return false };
            (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = rip as i64 + rel;
            (*ctx).mem_faults.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = uc;
        false
    }
}

/// For the host `SIGSEGV`/`SIGBUS` handler, after it resolved a fault in
/// compiled code by making a page writable (a store into a page holding
/// translated code, most often): the code this thread runs leaves at its
/// next block boundary (trap-mode regions that store poll there, see
/// `translate`), where the dispatcher drops the stale translations. A
/// store is then seen by instruction fetch from the next guest block on.
/// A trap-mode store (at host pc `pc`) is noted in the context, so the
/// engine can compile its translation with inline checks
/// ([`crate::Flavor::checked`]).
pub fn note_code_write(pc: usize) {
    let (ctx, sites, _) = ACTIVE.with(Cell::get);
    // SAFETY: a non-null `ctx` is what `enter` set for this thread, alive
    // while it runs.
    if let Some(ctx) = unsafe { ctx.as_ref() } {
        // SAFETY: the same for `sites`.
        if unsafe { sites.as_ref() }.is_some_and(|s| s.is_trap_site(pc)) {
            ctx.code_writer.store(pc, Ordering::Relaxed);
        }
        ctx.exit_request.fetch_or(crate::abi::EXIT_CODE_WRITTEN, Ordering::Relaxed);
    }
}

/// For the host `SIGSEGV`/`SIGBUS` handler, on a fault at a pc inside
/// compiled code at address `addr` that the address space could not
/// resolve (a real guest fault): if this thread is running compiled code
/// entered through [`enter`] and the pc is a marked trap-mode access
/// ([`crate::MemAccess::Trap`]), rewrites the signal context `uc` so that
/// the thread resumes right after `enter`'s call, with its stack, frame
/// pointer and [`exit::TRAP`](crate::abi::exit::TRAP) as the result, and
/// returns `true`; `enter` hands back the fault. Nothing of the compiled
/// code's frame is needed again: it is abandoned. `false` (context
/// untouched) otherwise. Also for the host `SIGILL` handler, on the `ud2`
/// of a failed limit check (a trap-mode site too), with `addr`
/// `usize::MAX`: the access's address is beyond the guest limit.
///
/// # Safety
///
/// `uc` is the `ucontext_t` the kernel passed to an `SA_SIGINFO` handler
/// for a fault on this thread.
pub unsafe fn abort(uc: *mut core::ffi::c_void, addr: usize) -> bool {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        let (ctx, sites, jb) = ACTIVE.with(Cell::get);
        if ctx.is_null() || sites.is_null() || jb.is_null() {
            return false;
        }
        // SAFETY: `ctx`, `sites` and `jb` are what `enter` set for this
        // thread (cleared before `enter` returns), alive while it runs; `uc`
        // is valid per the contract.
        unsafe {
            let uc = uc.cast::<libc::ucontext_t>();
            let gregs = &mut (*uc).uc_mcontext.gregs;
            let rip = gregs[libc::REG_RIP as usize] as usize;
            if !(*sites).is_trap_site(rip) {
                return false;
            }
            let jb = &*jb;
            jb.fault_rip.set(rip);
            jb.fault_addr.set(addr);
            // x86-64's page-fault error code, bit 1: a write.
            jb.write.set(gregs[libc::REG_ERR as usize] & 2 != 0);
            gregs[libc::REG_RSP as usize] = jb.rsp.get() as i64;
            gregs[libc::REG_RBP as usize] = jb.rbp.get() as i64;
            gregs[libc::REG_RIP as usize] = jb.resume.get() as i64;
            gregs[libc::REG_RAX as usize] = crate::abi::exit::TRAP as i64;
            (*ctx).mem_faults.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = (uc, addr);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branch_before_an_access_is_found_from_its_bytes() {
        // jcc rel32 (ja +4, to the ret), then mov rax, [rbx + rcx]
        let code = [0x0f, 0x87, 0x04, 0, 0, 0, 0x48, 0x8b, 0x04, 0x0b, 0xc3];
        assert_eq!(fault_sites(&code, &[6]), Ok(vec![6]));
        // jcc rel8 (jne +2) then the access, then two bytes to land on.
        let code = [0x90, 0x90, 0x90, 0x90, 0x75, 0x04, 0x48, 0x8b, 0x04, 0x0b, 0xc3, 0xc3];
        assert_eq!(fault_sites(&code, &[6]), Ok(vec![6]));
    }

    #[test]
    fn anything_between_the_branch_and_the_access_is_refused() {
        // ja, a register move, then the access.
        let code = [0x0f, 0x87, 0x20, 0, 0, 0, 0x48, 0x89, 0xc1, 0x48, 0x8b, 0x04, 0x0b, 0xc3];
        assert_eq!(fault_sites(&code, &[9]), Err(vec![0]));
        // An unconditional jump before it.
        let code = [0xe9, 0x10, 0, 0, 0, 0x48, 0x8b, 0x04, 0x0b, 0xc3];
        assert_eq!(fault_sites(&code, &[5]), Err(vec![0]));
        // Not an instruction boundary.
        let code = [0x0f, 0x87, 0x04, 0, 0, 0, 0x48, 0x8b, 0x04, 0x0b, 0xc3];
        assert_eq!(fault_sites(&code, &[6, 7]), Err(vec![1]));
        // A branch to the access itself (the fall-through).
        let code = [0x0f, 0x87, 0, 0, 0, 0, 0x48, 0x8b, 0x04, 0x0b, 0xc3];
        assert_eq!(fault_sites(&code, &[6]), Err(vec![0]));
    }

    #[test]
    fn marks_are_set_cleared_and_bounded() {
        let sites = FaultSites::new(0x1000, 64);
        sites.mark(0x1003, false);
        sites.mark(0x1005, true);
        assert!(sites.is_site(0x1003) && !sites.is_trap_site(0x1003));
        assert!(sites.is_trap_site(0x1005) && !sites.is_site(0x1005));
        assert!(!sites.is_site(0x1004) && !sites.is_site(0xfff) && !sites.is_site(0x1000 + 64 * 8));
        sites.clear(0x1000, 8);
        assert!(!sites.is_site(0x1003) && !sites.is_trap_site(0x1005));
        // Above the highest mark nothing is read; below it, all is cleared.
        sites.mark(0x1030, false);
        sites.mark(0x1011, true);
        sites.clear(0x1031, 0x10);
        assert!(sites.is_site(0x1030) && sites.is_trap_site(0x1011));
        sites.clear(0x1010, 0x21);
        assert!(!sites.is_site(0x1030) && !sites.is_trap_site(0x1011));
    }
}
