//! Guest signals: numbers, dispositions, the pending set, and the riscv64
//! Linux signal frame (`arch/riscv/kernel/signal.c`).
//!
//! A handler is entered the way the kernel's `setup_rt_frame` does it: a
//! `struct rt_sigframe { siginfo_t info; struct ucontext uc; }` is written
//! below the stack pointer (or on the alternate stack), `pc` = handler,
//! `a0` = signal, `a1` = `&info`, `a2` = `&uc`, `sp` = frame, and `ra` = a
//! two-instruction trampoline (`li a7, 139; ecall`: `rt_sigreturn`) that
//! ferrovm maps in a page of its own, where Linux would use the vDSO's
//! `__vdso_rt_sigreturn`. `rt_sigreturn` reads the (possibly modified)
//! context back, so a handler can change registers, and `siglongjmp` out
//! of a handler simply never returns through it.
//!
//! On a machine with the vector extension the frame carries the vector
//! state the way Linux 6.5+ lays it out (`setup_sigcontext`/`save_v_state`,
//! uapi `asm/sigcontext.h`): the last 8 bytes of the 528-byte FP union are
//! the first extension header (`sc_extdesc.hdr`, after the `reserved` word
//! that must stay 0), a `RISCV_V_MAGIC` record `{magic, size}` followed by
//! `struct __riscv_v_ext_state {vstart, vl, vtype, vcsr, vlenb, datap}` and
//! the 32 registers (`datap` points at them, 16-byte aligned), then an end
//! header `{0, 0}`; the frame grows by the record's size. `rt_sigreturn`
//! walks the headers as the kernel's `restore_sigcontext` does: the
//! registers come back from wherever `datap` points, `vl`/`vtype` through
//! what `vsetvl` would make of them, and an unknown record, a record of the
//! wrong size or a nonzero `reserved` word is a bad frame (SIGSEGV). Linux
//! adds the record only once the thread has used the vector unit; ferrovm
//! adds it whenever the machine has V (the ABI lets a handler find it or
//! not, by walking the headers).

use ferrovm_ir::Cpu;
use ferrovm_mem::AddressSpace;

/// A Linux signal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(pub i32);

impl Signal {
    /// Hangup.
    pub const SIGHUP: Signal = Signal(1);
    /// Interrupt from the keyboard.
    pub const SIGINT: Signal = Signal(2);
    /// Illegal instruction.
    pub const SIGILL: Signal = Signal(4);
    /// Trace/breakpoint trap.
    pub const SIGTRAP: Signal = Signal(5);
    /// Abort.
    pub const SIGABRT: Signal = Signal(6);
    /// Bus error (misaligned atomic, access past the end of a mapped file).
    pub const SIGBUS: Signal = Signal(7);
    /// Kill (cannot be caught).
    pub const SIGKILL: Signal = Signal(9);
    /// Segmentation fault.
    pub const SIGSEGV: Signal = Signal(11);
    /// Write to a pipe with no reader.
    pub const SIGPIPE: Signal = Signal(13);
    /// Timer (`setitimer(ITIMER_REAL)`, `alarm`).
    pub const SIGALRM: Signal = Signal(14);
    /// Termination request.
    pub const SIGTERM: Signal = Signal(15);
    /// Child stopped or exited.
    pub const SIGCHLD: Signal = Signal(17);
    /// Stop (cannot be caught).
    pub const SIGSTOP: Signal = Signal(19);
    /// Bad system call (a [`crate::filter::Verdict::Kill`]).
    pub const SIGSYS: Signal = Signal(31);

    /// Bit of this signal in a `sigset_t` word (0 for an invalid number).
    pub fn bit(self) -> u64 {
        if (1..=NSIG as i32).contains(&self.0) { 1 << (self.0 - 1) } else { 0 }
    }
}

/// Number of signals (1..=64).
pub const NSIG: usize = 64;

/// `SIG_DFL`.
pub const SIG_DFL: u64 = 0;
/// `SIG_IGN`.
pub const SIG_IGN: u64 = 1;

/// `sa_flags` bits (`include/uapi/asm-generic/signal.h`).
pub mod sa {
    /// Do not send SIGCHLD when children stop.
    pub const NOCLDSTOP: u64 = linux_raw_sys::general::SA_NOCLDSTOP as u64;
    /// Three-argument handler with `siginfo_t`.
    pub const SIGINFO: u64 = linux_raw_sys::general::SA_SIGINFO as u64;
    /// Run on the alternate signal stack.
    pub const ONSTACK: u64 = linux_raw_sys::general::SA_ONSTACK as u64;
    /// Restart interrupted system calls.
    pub const RESTART: u64 = linux_raw_sys::general::SA_RESTART as u64;
    /// Do not block the signal in its own handler.
    pub const NODEFER: u64 = linux_raw_sys::general::SA_NODEFER as u64;
    /// Reset to `SIG_DFL` on delivery.
    pub const RESETHAND: u64 = linux_raw_sys::general::SA_RESETHAND as u64;
}

/// `si_code` values.
pub mod code {
    /// Sent by `kill`.
    pub const SI_USER: i32 = linux_raw_sys::general::SI_USER as i32;
    /// Sent by the kernel (e.g. an interval timer).
    pub const SI_KERNEL: i32 = linux_raw_sys::general::SI_KERNEL as i32;
    /// Sent by `tkill`/`tgkill` (and `raise`).
    pub const SI_TKILL: i32 = linux_raw_sys::general::SI_TKILL;
    /// Address not mapped.
    pub const SEGV_MAPERR: i32 = linux_raw_sys::general::SEGV_MAPERR as i32;
    /// Invalid permissions for a mapped object.
    pub const SEGV_ACCERR: i32 = linux_raw_sys::general::SEGV_ACCERR as i32;
    /// Invalid address alignment.
    pub const BUS_ADRALN: i32 = linux_raw_sys::general::BUS_ADRALN as i32;
    /// Nonexistent physical address (past the end of a mapped file).
    pub const BUS_ADRERR: i32 = linux_raw_sys::general::BUS_ADRERR as i32;
    /// Illegal opcode.
    pub const ILL_ILLOPC: i32 = linux_raw_sys::general::ILL_ILLOPC as i32;
    /// Breakpoint.
    pub const TRAP_BRKPT: i32 = linux_raw_sys::general::TRAP_BRKPT as i32;
}

/// What a signal does when its disposition is `SIG_DFL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process (with or without a core dump).
    Terminate,
    /// Nothing.
    Ignore,
    /// Stop the process (ferrovm does not stop the guest: it ignores the signal).
    Stop,
}

/// The default action of `sig` (`signal(7)`).
pub fn default_action(sig: Signal) -> DefaultAction {
    match sig.0 {
        17 | 18 | 23 | 28 => DefaultAction::Ignore, // CHLD CONT URG WINCH
        19..=22 => DefaultAction::Stop,             // STOP TSTP TTIN TTOU
        _ => DefaultAction::Terminate,
    }
}

/// A guest `struct sigaction` as riscv64 Linux lays it out
/// (`sa_handler`, `sa_flags`, `sa_mask`: 8 + 8 + 8 bytes; no restorer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigAction {
    /// Handler address, or 0 (`SIG_DFL`) / 1 (`SIG_IGN`).
    pub handler: u64,
    /// `SA_*` flags.
    pub flags: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

/// What the guest's `siginfo_t` says about one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    /// The signal.
    pub signo: Signal,
    /// `si_code`.
    pub code: i32,
    /// `si_addr` for faults (SIGSEGV, SIGBUS, SIGILL, SIGTRAP).
    pub addr: Option<u64>,
    /// `si_pid` / `si_uid` of the sender for `kill`-like signals.
    pub sender: Option<(u32, u32)>,
}

impl SigInfo {
    /// A fault-like signal with `si_addr`.
    pub fn fault(signo: Signal, code: i32, addr: u64) -> Self {
        SigInfo { signo, code, addr: Some(addr), sender: None }
    }

    /// A signal sent by a process (`kill`, `tgkill`).
    pub fn user(signo: Signal, code: i32, pid: u32, uid: u32) -> Self {
        SigInfo { signo, code, addr: None, sender: Some((pid, uid)) }
    }

    /// A signal from the kernel (timers, SIGPIPE, forwarded host signals).
    pub fn kernel(signo: Signal) -> Self {
        SigInfo { signo, code: code::SI_KERNEL, addr: None, sender: None }
    }

    /// The 128-byte guest `siginfo_t`.
    pub fn to_bytes(&self) -> [u8; SIGINFO_SIZE] {
        let mut b = [0u8; SIGINFO_SIZE];
        b[0..4].copy_from_slice(&self.signo.0.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        if let Some(addr) = self.addr {
            b[16..24].copy_from_slice(&addr.to_le_bytes());
        } else if let Some((pid, uid)) = self.sender {
            b[16..20].copy_from_slice(&pid.to_le_bytes());
            b[20..24].copy_from_slice(&uid.to_le_bytes());
        }
        b
    }
}

/// `SS_ONSTACK`: currently running on the alternate stack.
pub const SS_ONSTACK: u32 = linux_raw_sys::general::SS_ONSTACK;
/// `SS_DISABLE`: no alternate stack.
pub const SS_DISABLE: u32 = linux_raw_sys::general::SS_DISABLE;

/// The alternate signal stack (`stack_t`: `ss_sp`, `ss_flags`, `ss_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AltStack {
    /// Base address.
    pub sp: u64,
    /// `SS_DISABLE` or 0 (plus `SS_AUTODISARM`, which ferrovm ignores).
    pub flags: u32,
    /// Size in bytes.
    pub size: u64,
}

impl Default for AltStack {
    fn default() -> Self {
        AltStack { sp: 0, flags: SS_DISABLE, size: 0 }
    }
}

impl AltStack {
    /// Whether `sp` lies on this stack.
    pub fn contains(&self, sp: u64) -> bool {
        self.flags & SS_DISABLE == 0 && sp > self.sp && sp - self.sp <= self.size
    }

    /// `stack_t` bytes as `sigaltstack` returns them, given the current sp.
    pub fn to_bytes(&self, sp: u64) -> [u8; 24] {
        let mut b = [0u8; 24];
        let flags = if self.contains(sp) { SS_ONSTACK } else { self.flags & SS_DISABLE };
        b[0..8].copy_from_slice(&self.sp.to_le_bytes());
        b[8..12].copy_from_slice(&flags.to_le_bytes());
        b[16..24].copy_from_slice(&self.size.to_le_bytes());
        b
    }
}

/// SIGKILL and SIGSTOP: never blocked, never caught.
pub const UNBLOCKABLE: u64 = (1 << 8) | (1 << 18);

/// A process's signal dispositions (shared by all its threads).
#[derive(Debug, Clone)]
pub struct Actions([SigAction; NSIG]);

impl Default for Actions {
    fn default() -> Self {
        Actions([SigAction::default(); NSIG])
    }
}

impl Actions {
    /// The action for `sig` (a default one for out-of-range numbers).
    pub fn get(&self, sig: Signal) -> SigAction {
        usize::try_from(sig.0 - 1).ok().and_then(|i| self.0.get(i)).copied().unwrap_or_default()
    }

    /// Replaces the action for `sig`.
    pub fn set(&mut self, sig: Signal, action: SigAction) {
        if let Some(slot) = usize::try_from(sig.0 - 1).ok().and_then(|i| self.0.get_mut(i)) {
            *slot = action;
        }
    }

    /// Whether `sig` is discarded as soon as it is raised: ignored, or left
    /// at a default action that does nothing (ferrovm does not stop
    /// processes, so the stop signals count as ignored too).
    pub fn discards(&self, sig: Signal) -> bool {
        let action = self.get(sig);
        sig != Signal::SIGKILL
            && (action.handler == SIG_IGN
                || action.handler == SIG_DFL && default_action(sig) != DefaultAction::Terminate)
    }

    /// Resets every handled signal to `SIG_DFL`, keeping ignored ones
    /// (`execve`, `clone(CLONE_CLEAR_SIGHAND)`).
    pub fn reset_handlers(&mut self) {
        for a in &mut self.0 {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
    }

    /// Signals whose handler is `SIG_IGN` (kept through `execve`).
    pub fn ignored(&self) -> u64 {
        (1..=NSIG as i32).filter(|&s| self.get(Signal(s)).handler == SIG_IGN).fold(0, |m, s| m | Signal(s).bit())
    }
}

/// Pending signals with their `siginfo` (standard signals do not queue:
/// a second one of a pending number merges into the first).
#[derive(Debug, Clone)]
pub struct Pending {
    /// The pending signal numbers as a `sigset_t` word.
    pub bits: u64,
    info: [Option<SigInfo>; NSIG],
}

impl Default for Pending {
    fn default() -> Self {
        Pending { bits: 0, info: [None; NSIG] }
    }
}

impl Pending {
    /// Adds `info.signo` (merging with one already pending).
    pub fn add(&mut self, info: SigInfo) {
        let sig = info.signo;
        if self.bits & sig.bit() == 0
            && let Some(slot) = usize::try_from(sig.0 - 1).ok().and_then(|i| self.info.get_mut(i))
        {
            *slot = Some(info);
        }
        self.bits |= sig.bit();
    }

    /// Adds `info`, replacing the `siginfo` of one already pending (a fault
    /// must report its own address).
    pub fn replace(&mut self, info: SigInfo) {
        if let Some(slot) = usize::try_from(info.signo.0 - 1).ok().and_then(|i| self.info.get_mut(i)) {
            *slot = Some(info);
        }
        self.bits |= info.signo.bit();
    }

    /// Drops `sig` if it is pending.
    pub fn remove(&mut self, sig: Signal) {
        self.bits &= !sig.bit();
        if let Some(slot) = usize::try_from(sig.0 - 1).ok().and_then(|i| self.info.get_mut(i)) {
            *slot = None;
        }
    }

    /// Takes the next signal among `allowed`: synchronous ones (with
    /// `si_addr`) first, then the lowest number.
    pub fn take(&mut self, allowed: u64) -> Option<SigInfo> {
        let ready = self.bits & allowed;
        if ready == 0 {
            return None;
        }
        let sync = (0..NSIG)
            .find(|&i| ready & (1 << i) != 0 && self.info.get(i).copied().flatten().is_some_and(|s| s.addr.is_some()));
        let i = sync.unwrap_or(ready.trailing_zeros() as usize);
        self.bits &= !(1u64 << i);
        let sig = Signal(i as i32 + 1);
        Some(self.info.get_mut(i).and_then(Option::take).unwrap_or_else(|| SigInfo::kernel(sig)))
    }

    /// Whether one of the pending signals is a synchronous one (a fault).
    pub fn has_fault(&self) -> bool {
        self.info.iter().flatten().any(|i| i.addr.is_some())
    }
}

/// Size of the guest `siginfo_t`.
pub const SIGINFO_SIZE: usize = 128;
/// Offset of `uc_mcontext` in the guest `struct ucontext`: 8 bytes of flags,
/// 8 of link, 24 of stack and the 128-byte sigmask area, rounded up to the
/// sigcontext's 16-byte alignment.
pub const UC_MCONTEXT: u64 = 176;
/// Offset of `uc_sigmask` in `struct ucontext`.
pub const UC_SIGMASK: u64 = 40;
/// Offset of `uc_stack` in `struct ucontext`.
pub const UC_STACK: u64 = 16;
/// Size of `struct sigcontext`: 32 × 8 bytes of `user_regs_struct` plus the
/// 528-byte `union __riscv_fp_state`.
pub const SIGCONTEXT_SIZE: u64 = 256 + 528;
/// Size of `struct rt_sigframe`.
pub const FRAME_SIZE: u64 = SIGINFO_SIZE as u64 + UC_MCONTEXT + SIGCONTEXT_SIZE;

/// `RISCV_V_MAGIC`: the vector-state record of the extended context.
pub const RISCV_V_MAGIC: u32 = 0x5346_5457;
/// Offset in `struct sigcontext` of `sc_extdesc.reserved` (the FP union's
/// word 129), which a frame must keep 0.
const EXT_RESERVED: usize = 256 + 516;
/// Offset in `struct sigcontext` of the first extension header
/// (`sc_extdesc.hdr`).
const EXT_HDR: usize = 256 + 520;
/// `struct __riscv_v_ext_state` without the register data: `vstart`, `vl`,
/// `vtype`, `vcsr`, `vlenb`, `datap`.
const V_STATE_SIZE: usize = 48;
/// Most extension headers `rt_sigreturn` walks (Linux knows one record).
const MAX_RECORDS: usize = 8;

/// The size of the vector record for `vlenb`-byte registers (Linux's
/// `riscv_v_sc_size`): header, state, 32 registers.
pub const fn v_record_size(vlenb: u64) -> u64 {
    8 + V_STATE_SIZE as u64 + 32 * vlenb
}

/// The size of the frame (Linux's `get_rt_frame_size`): the `rt_sigframe`,
/// the vector record when there is one, rounded up to 16 bytes.
pub const fn frame_size(vlenb: Option<u64>) -> u64 {
    let record = match vlenb {
        Some(b) => v_record_size(b),
        None => 0,
    };
    (FRAME_SIZE + record).next_multiple_of(16)
}

/// Where and how a frame is built: the thread's alternate stack, the
/// sigreturn trampoline, and whether the machine has the vector extension
/// (then the frame carries the vector state).
#[derive(Debug, Clone, Copy)]
pub struct FrameTarget {
    /// The alternate signal stack.
    pub alt: AltStack,
    /// Where the handler returns to (`rt_sigreturn`).
    pub trampoline: u64,
    /// Whether the vector state goes into the frame.
    pub vector: bool,
}

/// The sigreturn trampoline: `li a7, 139` (`addi x17, x0, 139`); `ecall`.
pub const TRAMPOLINE: [u8; 8] = {
    let li = (139u32 << 20) | (17 << 7) | 0x13;
    let ecall = 0x73u32;
    let a = li.to_le_bytes();
    let b = ecall.to_le_bytes();
    [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
};

/// Writes the signal frame for `info` and points the CPU at the handler.
/// `saved_mask` goes into `uc_sigmask` (restored by `rt_sigreturn`).
/// Returns `false` if the frame cannot be written (the caller then kills the
/// process with SIGSEGV, as Linux does).
pub fn setup_frame(
    mem: &AddressSpace,
    cpu: &mut Cpu,
    target: FrameTarget,
    info: &SigInfo,
    action: &SigAction,
    saved_mask: u64,
) -> bool {
    let alt = target.alt;
    let sp = cpu.regs[2];
    let mut top = sp;
    if action.flags & sa::ONSTACK != 0 && alt.flags & SS_DISABLE == 0 && !alt.contains(sp) {
        top = alt.sp.wrapping_add(alt.size);
    }
    let vlenb = target.vector.then_some(cpu.vector.vlenb);
    let size = frame_size(vlenb);
    let Some(frame) = top.checked_sub(size).map(|f| f & !15) else { return false };
    if alt.contains(sp) && !alt.contains(frame) {
        return false; // alternate stack overflow
    }
    let mut b = vec![0u8; size as usize];
    b[..SIGINFO_SIZE].copy_from_slice(&info.to_bytes());
    let uc = SIGINFO_SIZE;
    // uc_flags = 0, uc_link = 0.
    let st = uc + UC_STACK as usize;
    b[st..st + 24].copy_from_slice(&alt.to_bytes(sp));
    let m = uc + UC_SIGMASK as usize;
    b[m..m + 8].copy_from_slice(&saved_mask.to_le_bytes());
    let mc = uc + UC_MCONTEXT as usize;
    put_word(&mut b, mc, cpu.pc);
    for r in 1..32 {
        put_word(&mut b, mc + 8 * r, cpu.regs[r]);
    }
    let fp = mc + 256;
    for r in 0..32 {
        put_word(&mut b, fp + 8 * r, cpu.regs[32 + r]);
    }
    let fcsr = ((cpu.frm & 7) << 5) | (cpu.fflags & 0x1f);
    b[fp + 256..fp + 260].copy_from_slice(&(fcsr as u32).to_le_bytes());
    if let Some(vlenb) = vlenb {
        save_vector(&mut b, mc + EXT_HDR, frame, cpu, vlenb);
    }
    // The end header after the last record is {0, 0}: already zero.
    if mem.write_bytes(frame, &b).is_err() {
        return false;
    }
    cpu.regs[2] = frame;
    cpu.regs[1] = target.trampoline;
    cpu.regs[10] = info.signo.0 as u64;
    cpu.regs[11] = frame;
    cpu.regs[12] = frame + SIGINFO_SIZE as u64;
    cpu.pc = action.handler;
    true
}

/// The vector record at `at` in the frame buffer `b` (guest address
/// `frame`): header, `__riscv_v_ext_state`, the registers.
fn save_vector(b: &mut [u8], at: usize, frame: u64, cpu: &Cpu, vlenb: u64) {
    let v = &cpu.vector;
    let head = [RISCV_V_MAGIC, v_record_size(vlenb) as u32];
    for (k, w) in head.iter().enumerate() {
        if let Some(slot) = b.get_mut(at + 4 * k..at + 4 * k + 4) {
            slot.copy_from_slice(&w.to_le_bytes());
        }
    }
    let state = at + 8;
    let data = state + V_STATE_SIZE;
    let vcsr = (v.vxrm & 3) << 1 | (v.vxsat & 1);
    for (k, w) in [v.vstart, v.vl, v.vtype, vcsr, vlenb, frame + data as u64].into_iter().enumerate() {
        put_word(b, state + 8 * k, w);
    }
    let n = 32 * vlenb as usize;
    if let (Some(dst), Some(src)) = (b.get_mut(data..data + n), v.regs.get(..n)) {
        dst.copy_from_slice(src);
    }
}

fn put_word(b: &mut [u8], at: usize, v: u64) {
    if let Some(slot) = b.get_mut(at..at + 8) {
        slot.copy_from_slice(&v.to_le_bytes());
    }
}

fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(slot) = b.get(at..at + 8) {
        w.copy_from_slice(slot);
    }
    u64::from_le_bytes(w)
}

/// What `rt_sigreturn` restores besides the registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restored {
    /// The signal mask saved in the frame.
    pub mask: u64,
    /// The alternate stack saved in the frame (`ss_sp`, `ss_flags`, `ss_size`).
    pub altstack: AltStack,
}

/// Reads the frame at the guest's `sp` back into the CPU (`rt_sigreturn`);
/// `vector` says whether the machine has the vector extension. Returns
/// `None` if the frame is unreadable or malformed (Linux then sends
/// SIGSEGV).
pub fn restore_frame(mem: &AddressSpace, cpu: &mut Cpu, vector: bool) -> Option<Restored> {
    let frame = cpu.regs[2];
    let mut b = vec![0u8; FRAME_SIZE as usize];
    mem.read_bytes(frame, &mut b).ok()?;
    let uc = SIGINFO_SIZE;
    let mc = uc + UC_MCONTEXT as usize;
    cpu.pc = word(&b, mc);
    for r in 1..32 {
        cpu.regs[r] = word(&b, mc + 8 * r);
    }
    let fp = mc + 256;
    for r in 0..32 {
        cpu.regs[32 + r] = word(&b, fp + 8 * r);
    }
    let fcsr = word(&b, fp + 256) & 0xffff_ffff;
    cpu.fflags = fcsr & 0x1f;
    cpu.frm = (fcsr >> 5) & 7;
    if word(&b, mc + EXT_RESERVED) & 0xffff_ffff != 0 {
        return None;
    }
    restore_extensions(mem, cpu, frame + (mc + EXT_HDR) as u64, vector)?;
    let st = uc + UC_STACK as usize;
    let altstack = AltStack { sp: word(&b, st), flags: word(&b, st + 8) as u32, size: word(&b, st + 16) };
    Some(Restored { mask: word(&b, uc + UC_SIGMASK as usize), altstack })
}

/// Walks the extension records from the header at guest address `at` to
/// the end header, restoring the vector state from its record.
fn restore_extensions(mem: &AddressSpace, cpu: &mut Cpu, mut at: u64, vector: bool) -> Option<()> {
    for _ in 0..MAX_RECORDS {
        let mut head = [0u8; 8];
        mem.read_bytes(at, &mut head).ok()?;
        let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        match magic {
            0 => return (size == 0).then_some(()),
            RISCV_V_MAGIC if vector && u64::from(size) == v_record_size(cpu.vector.vlenb) => {
                restore_vector(mem, cpu, at + 8)?;
            }
            _ => return None,
        }
        at = at.wrapping_add(u64::from(size));
    }
    None
}

/// The vector state from the `__riscv_v_ext_state` at `at` (Linux's
/// `__restore_v_state` and `__vstate_csr_restore`).
fn restore_vector(mem: &AddressSpace, cpu: &mut Cpu, at: u64) -> Option<()> {
    let mut state = [0u8; V_STATE_SIZE];
    mem.read_bytes(at, &mut state).ok()?;
    let [vstart, vl, vtype, vcsr, _vlenb, datap] = core::array::from_fn(|k| word(&state, 8 * k));
    let v = &mut cpu.vector;
    let n = 32 * v.vlenb as usize;
    mem.read_bytes(datap, v.regs.get_mut(..n)?).ok()?;
    v.configure(vl, vtype);
    v.vstart = vstart;
    v.vxrm = (vcsr >> 1) & 3;
    v.vxsat = vcsr & 1;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm_ir::vector::VState;
    use ferrovm_mem::Perms;

    #[test]
    fn frame_layout() {
        // sizeof(struct rt_sigframe) on riscv64 Linux with the D extension.
        assert_eq!(FRAME_SIZE, 128 + 176 + 784);
        assert_eq!(TRAMPOLINE, [0x93, 0x08, 0xb0, 0x08, 0x73, 0, 0, 0]);
    }

    #[test]
    fn frame_round_trip() {
        let mem = AddressSpace::new().unwrap();
        mem.map(0x10000, 0x10000, Perms::RW).unwrap();
        let mut cpu = Cpu { pc: 0x1234, ..Cpu::default() };
        for r in 1..64 {
            cpu.regs[r] = r as u64 * 0x1111;
        }
        cpu.regs[2] = 0x1f000;
        cpu.fflags = 3;
        cpu.frm = 2;
        let before = cpu.clone();
        let action = SigAction { handler: 0x5000, flags: sa::SIGINFO, mask: 0 };
        let info = SigInfo::fault(Signal::SIGSEGV, code::SEGV_MAPERR, 0xdead);
        let target = FrameTarget { alt: AltStack::default(), trampoline: 0x9000, vector: false };
        assert!(setup_frame(&mem, &mut cpu, target, &info, &action, 0x42));
        assert_eq!(cpu.pc, 0x5000);
        assert_eq!(cpu.regs[1], 0x9000);
        assert_eq!(cpu.regs[2] % 16, 0);
        let mut si = [0u8; 24];
        mem.read_bytes(cpu.regs[11], &mut si).unwrap();
        assert_eq!(i32::from_le_bytes(si[0..4].try_into().unwrap()), 11);
        assert_eq!(u64::from_le_bytes(si[16..24].try_into().unwrap()), 0xdead);
        let restored = restore_frame(&mem, &mut cpu, false).unwrap();
        assert_eq!(restored.mask, 0x42);
        assert_eq!(cpu.regs, before.regs);
        assert_eq!((cpu.pc, cpu.fflags, cpu.frm), (0x1234, 3, 2));
    }

    /// The vector record as Linux lays it out (VLEN 128: 56 + 512 bytes,
    /// the frame 1088 + 568 rounded up to 1664), read back by
    /// `rt_sigreturn` through `datap`, with `vl`/`vtype` put back as
    /// `vsetvl` would.
    #[test]
    fn vector_state_round_trip() {
        let mem = AddressSpace::new().unwrap();
        mem.map(0x10000, 0x10000, Perms::RW).unwrap();
        let mut cpu = Cpu { pc: 0x1234, ..Cpu::default() };
        cpu.regs[2] = 0x1f008;
        let v = &mut cpu.vector;
        for (k, b) in v.regs.iter_mut().take(32 * 16).enumerate() {
            *b = k as u8 ^ 0x5a;
        }
        v.configure(3, 0b01_010_001); // e32, m2, ta
        (v.vstart, v.vxrm, v.vxsat) = (1, 2, 1);
        let before = cpu.vector.clone();
        assert_eq!(frame_size(Some(16)), 1664);
        let target = FrameTarget { alt: AltStack::default(), trampoline: 0x9000, vector: true };
        let action = SigAction { handler: 0x5000, flags: sa::SIGINFO, mask: 0 };
        assert!(setup_frame(&mem, &mut cpu, target, &SigInfo::kernel(Signal(10)), &action, 0));
        let frame = cpu.regs[2];
        assert_eq!(frame, (0x1f008 - 1664) & !15);
        let sc = frame + SIGINFO_SIZE as u64 + UC_MCONTEXT;
        let hdr = sc + EXT_HDR as u64;
        let mut rec = [0u8; 56];
        mem.read_bytes(hdr, &mut rec).unwrap();
        let w = |k: usize| word(&rec, 8 + 8 * k);
        assert_eq!(&rec[..8], &[0x57, 0x54, 0x46, 0x53, 0x38, 2, 0, 0][..], "magic, size 568");
        assert_eq!([w(0), w(1), w(2), w(3), w(4)], [1, 3, 0b01_010_001, 5, 16]);
        assert_eq!(w(5), hdr + 56, "datap right after the state");
        assert_eq!(w(5) % 16, 0);
        let mut end = [0xffu8; 8];
        mem.read_bytes(hdr + 568, &mut end).unwrap();
        assert_eq!(end, [0; 8], "end header");
        assert!(hdr + 576 <= frame + 1664);
        // The handler clobbers the live state and edits v1's first byte in
        // the frame; sigreturn restores the frame's version.
        cpu.vector = VState::default();
        mem.write_bytes(w(5) + 16, &[0xee]).unwrap();
        restore_frame(&mem, &mut cpu, true).unwrap();
        let mut want = before.clone();
        want.regs[16] = 0xee;
        assert_eq!(cpu.vector, want);
        // Without V, or with a wrong size, the record is a bad frame; so is
        // a nonzero reserved word.
        cpu.regs[2] = frame;
        assert!(restore_frame(&mem, &mut cpu, false).is_none());
        cpu.regs[2] = frame;
        mem.write_bytes(hdr + 4, &[0x40]).unwrap();
        assert!(restore_frame(&mem, &mut cpu, true).is_none());
        mem.write_bytes(hdr, &[0; 8]).unwrap();
        cpu.regs[2] = frame;
        assert!(restore_frame(&mem, &mut cpu, true).is_some(), "an end header alone is fine");
        mem.write_bytes(sc + EXT_RESERVED as u64, &[1]).unwrap();
        cpu.regs[2] = frame;
        assert!(restore_frame(&mem, &mut cpu, true).is_none());
    }

    /// `AT_MINSIGSTKSZ` is never below the frame (VLEN 1024: 1088 + 56 +
    /// 4096 rounded up to 5248 bytes).
    #[test]
    fn min_signal_stack_covers_the_vector_frame() {
        use crate::process::min_signal_stack;
        use ferrovm_engine::ir::vector::Vlen;
        use ferrovm_engine::riscv::{Ext, ExtSet};
        let v = ExtSet::RV64GC.with(Ext::V);
        assert_eq!(min_signal_stack(ExtSet::RV64GC, Vlen::DEFAULT), 2048);
        assert_eq!(min_signal_stack(v, Vlen::DEFAULT), 2048, "the 1664-byte frame fits");
        assert_eq!(min_signal_stack(v, Vlen::new(1024).expect("a valid VLEN")), 5248);
    }

    #[test]
    fn pending_order() {
        let mut actions = Actions::default();
        actions.set(Signal(10), SigAction { handler: 0x1000, ..SigAction::default() });
        assert!(!actions.discards(Signal(10)));
        assert!(actions.discards(Signal::SIGCHLD), "default-ignored");
        let mut p = Pending::default();
        p.add(SigInfo::kernel(Signal(10)));
        p.add(SigInfo::fault(Signal::SIGSEGV, code::SEGV_MAPERR, 8));
        assert!(p.has_fault());
        assert_eq!(p.take(!Signal(10).bit()).map(|i| i.signo), Some(Signal::SIGSEGV), "faults first");
        assert_eq!(p.take(!Signal(10).bit()), None, "10 is blocked");
        assert_eq!(p.take(u64::MAX).map(|i| i.signo), Some(Signal(10)));
        assert_eq!(p.bits, 0);
    }
}
