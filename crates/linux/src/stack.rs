//! The initial stack: argc, argv, envp and the auxiliary vector, laid out as
//! the Linux kernel does for a new riscv64 process (`create_elf_tables`).

use ferrovm_mem::{AddressSpace, Fault, PAGE_SIZE, Perms};

use ferrovm_engine::riscv::{Ext, ExtSet};

use crate::elf::LoadedElf;
use crate::error::Result;

/// Top of the guest stack (just below the top of Sv39 user space, leaving a
/// guard page).
pub const STACK_TOP: u64 = ferrovm_mem::GUEST_LIMIT - PAGE_SIZE;
/// Size of the initial stack mapping (the default `RLIMIT_STACK`).
pub const STACK_SIZE: u64 = 8 << 20;
/// The largest stack [`build`] maps (`Options::stack_size`, QEMU's `-s`):
/// the default stack and the 128 MiB gap Linux leaves below it for growth,
/// minus a guard page above the mmap area.
pub const MAX_STACK_SIZE: u64 = STACK_SIZE + (128 << 20) - PAGE_SIZE;

/// Auxiliary-vector keys (`include/uapi/linux/auxvec.h`).
pub mod at {
    pub const NULL: u64 = linux_raw_sys::auxvec::AT_NULL as u64;
    pub const PHDR: u64 = linux_raw_sys::auxvec::AT_PHDR as u64;
    pub const PHENT: u64 = linux_raw_sys::auxvec::AT_PHENT as u64;
    pub const PHNUM: u64 = linux_raw_sys::auxvec::AT_PHNUM as u64;
    pub const PAGESZ: u64 = linux_raw_sys::auxvec::AT_PAGESZ as u64;
    pub const BASE: u64 = linux_raw_sys::auxvec::AT_BASE as u64;
    pub const FLAGS: u64 = linux_raw_sys::auxvec::AT_FLAGS as u64;
    pub const ENTRY: u64 = linux_raw_sys::auxvec::AT_ENTRY as u64;
    pub const UID: u64 = linux_raw_sys::auxvec::AT_UID as u64;
    pub const EUID: u64 = linux_raw_sys::auxvec::AT_EUID as u64;
    pub const GID: u64 = linux_raw_sys::auxvec::AT_GID as u64;
    pub const EGID: u64 = linux_raw_sys::auxvec::AT_EGID as u64;
    pub const HWCAP: u64 = linux_raw_sys::auxvec::AT_HWCAP as u64;
    pub const CLKTCK: u64 = linux_raw_sys::auxvec::AT_CLKTCK as u64;
    pub const SECURE: u64 = linux_raw_sys::auxvec::AT_SECURE as u64;
    pub const RANDOM: u64 = linux_raw_sys::auxvec::AT_RANDOM as u64;
    pub const HWCAP2: u64 = linux_raw_sys::auxvec::AT_HWCAP2 as u64;
    pub const EXECFN: u64 = linux_raw_sys::auxvec::AT_EXECFN as u64;
    pub const MINSIGSTKSZ: u64 = linux_raw_sys::auxvec::AT_MINSIGSTKSZ as u64;
}

/// `AT_HWCAP` for the ISA `isa`: one bit per single-letter extension
/// (`1 << (letter - 'A')`, as Linux's `COMPAT_HWCAP_ISA_*`), for the
/// letters Linux reports (I, M, A, F, D, C, V); the multi-letter extensions
/// are `riscv_hwprobe`'s business.
pub fn hwcap(isa: ExtSet) -> u64 {
    [(Ext::I, b'I'), (Ext::M, b'M'), (Ext::A, b'A'), (Ext::F, b'F'), (Ext::D, b'D'), (Ext::C, b'C'), (Ext::V, b'V')]
        .iter()
        .filter(|(e, _)| isa.has(*e))
        .fold(0, |bits, (_, letter)| bits | 1 << (letter - b'A'))
}

/// What the process needs besides the ELF: arguments and environment.
#[derive(Debug, Clone, Default)]
pub struct StackInput<'a> {
    /// `argv`, `argv[0]` included.
    pub argv: &'a [Vec<u8>],
    /// `envp` entries, `NAME=value`.
    pub envp: &'a [Vec<u8>],
    /// `AT_EXECFN`: the path the program was started with.
    pub execfn: &'a [u8],
    /// `AT_RANDOM`: 16 bytes.
    pub random: [u8; 16],
    /// `AT_BASE`: load address of the interpreter (0 if none).
    pub interp_base: u64,
    /// Real and effective ids for the auxv.
    pub ids: (u32, u32, u32, u32),
    /// `AT_HWCAP` (see [`hwcap`]).
    pub hwcap: u64,
    /// `AT_MINSIGSTKSZ` (see [`crate::process::min_signal_stack`]); 0 is
    /// read as [`crate::MINSIGSTKSZ`].
    pub minsigstksz: u64,
}

struct Pusher<'m> {
    mem: &'m AddressSpace,
    sp: u64,
}

impl Pusher<'_> {
    fn bytes(&mut self, data: &[u8]) -> Result<u64, Fault> {
        self.sp -= data.len() as u64;
        self.mem.write_bytes(self.sp, data)?;
        Ok(self.sp)
    }

    fn cstr(&mut self, s: &[u8]) -> Result<u64, Fault> {
        let mut v = s.to_vec();
        v.push(0);
        self.bytes(&v)
    }
}

/// Maps a stack of `size` bytes (rounded up to pages, at most
/// [`MAX_STACK_SIZE`]) and writes the initial process image onto it.
/// Returns the initial stack pointer (pointing at `argc`).
pub fn build(mem: &AddressSpace, elf: &LoadedElf, input: &StackInput<'_>, size: u64) -> Result<u64> {
    let size = size.clamp(PAGE_SIZE, MAX_STACK_SIZE).next_multiple_of(PAGE_SIZE);
    mem.map_named(STACK_TOP - size, size, Perms::RW, Some("[stack]"))?;
    let fault = |f: Fault| crate::error::Error::Host {
        context: "writing the initial stack",
        source: std::io::Error::other(f.to_string()),
    };
    let mut p = Pusher { mem, sp: STACK_TOP };
    let execfn = p.cstr(input.execfn).map_err(fault)?;
    let mut envp = Vec::with_capacity(input.envp.len());
    for e in input.envp.iter().rev() {
        envp.push(p.cstr(e).map_err(fault)?);
    }
    envp.reverse();
    let mut argv = Vec::with_capacity(input.argv.len());
    for a in input.argv.iter().rev() {
        argv.push(p.cstr(a).map_err(fault)?);
    }
    argv.reverse();
    p.sp &= !15;
    let random = p.bytes(&input.random).map_err(fault)?;
    let (uid, euid, gid, egid) = input.ids;
    let auxv: [(u64, u64); 18] = [
        (at::PHDR, elf.phdr),
        (at::PHENT, elf.phent),
        (at::PHNUM, elf.phnum),
        (at::PAGESZ, PAGE_SIZE),
        (at::BASE, input.interp_base),
        (at::FLAGS, 0),
        (at::ENTRY, elf.entry),
        (at::UID, u64::from(uid)),
        (at::EUID, u64::from(euid)),
        (at::GID, u64::from(gid)),
        (at::EGID, u64::from(egid)),
        (at::HWCAP, input.hwcap),
        (at::CLKTCK, 100),
        (at::SECURE, 0),
        (at::RANDOM, random),
        (at::HWCAP2, 0),
        (at::EXECFN, execfn),
        (at::MINSIGSTKSZ, input.minsigstksz.max(crate::MINSIGSTKSZ)),
    ];
    // argc, argv..., 0, envp..., 0, auxv pairs..., AT_NULL 0.
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (auxv.len() + 1);
    p.sp = (p.sp - 8 * words as u64) & !15;
    let mut table = Vec::with_capacity(words * 8);
    let mut push = |w: u64| table.extend_from_slice(&w.to_le_bytes());
    push(argv.len() as u64);
    argv.iter().for_each(|&a| push(a));
    push(0);
    envp.iter().for_each(|&e| push(e));
    push(0);
    for (k, v) in auxv {
        push(k);
        push(v);
    }
    push(at::NULL);
    push(0);
    mem.write_bytes(p.sp, &table).map_err(fault)?;
    Ok(p.sp)
}
