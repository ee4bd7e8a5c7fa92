//! A guest process: what its threads share (memory and the VM, descriptors,
//! signal dispositions and process-directed signals, the file system view,
//! the program break, the thread list), loading a program, ending the
//! process (`exit_group`, a fatal signal), and sending it signals.
//! Each guest thread is a [`Thread`] on its own host thread.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::Write;
use std::ops::Range;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ferrovm_engine::ir::vector::Vlen;
use ferrovm_engine::riscv::Ext;
use ferrovm_engine::{EngineConfig, ExtSet, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, PAGE_SIZE, Perms};

use crate::debug::Debugger;
use crate::elf::{self, LoadedElf};
use crate::error::{Error, Result};
use crate::fd::{FdEntry, FdTable};
use crate::signal::{self, SIG_IGN, SigInfo, Signal};
use crate::stack::{self, StackInput};
use crate::syscall;
use crate::thread::{Thread, ThreadEnd, ThreadHandle};
use crate::vfs::Vfs;

/// How the guest process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit`/`exit_group` with this status (low 8 bits are what a parent sees).
    Exited(i32),
    /// Killed by a signal (the default action of a fatal signal).
    Signaled(Signal),
}

impl ExitStatus {
    /// The status a shell would show: the exit code, or 128 + signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c & 0xff,
            ExitStatus::Signaled(s) => 128 + s.0,
        }
    }

    /// Ends the host process with this status: the exit code, or death by
    /// the same signal (without a core dump).
    pub fn end_host_process(self) -> ! {
        match self {
            ExitStatus::Exited(c) => {
                use std::io::Write;
                let _ = std::io::stdout().flush();
                let _ = std::io::stderr().flush();
                std::process::exit(c & 0xff)
            }
            ExitStatus::Signaled(s) => crate::host::die_by_signal(s.0),
        }
    }
}

/// How to start a program.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `argv` (including `argv[0]`); if empty, the program path is used.
    pub argv: Vec<Vec<u8>>,
    /// The environment, `NAME=value` entries.
    pub envp: Vec<Vec<u8>>,
    /// Print one line per system call on stderr (like `qemu -strace`).
    pub strace: bool,
    /// Engine options.
    pub engine: EngineConfig,
    /// Where the interpreter and libraries of a dynamically linked program
    /// are found (`-L`); see [`default_sysroot`].
    pub sysroot: Option<PathBuf>,
    /// Confined mode: this directory is the guest's `/` (`--root`).
    pub root: Option<PathBuf>,
    /// The command line (after the program name) that recreates this
    /// configuration when the guest `execve`s another program: ferrovm runs
    /// itself again (`std::env::current_exe`) with these arguments, then
    /// `--argv0`, `--exec-state` items, `--`, the program and its arguments.
    /// For the `ferrovm` binary it starts with `run`.
    pub reexec_args: Vec<OsString>,
    /// Descriptors inherited through a guest `execve`: (guest fd, host fd).
    pub inherited_fds: Vec<(u64, i32)>,
    /// The initial guest working directory in confined mode (default `/`).
    pub cwd: Option<Vec<u8>>,
    /// The initial signal mask (inherited through `execve`).
    pub sigmask: u64,
    /// Signals that start out ignored (inherited through `execve`).
    pub sigign: u64,
    /// Size of the initial stack mapping (QEMU's `-s`); `None`: 8 MiB.
    /// At most [`crate::MAX_STACK_SIZE`].
    pub stack_size: Option<u64>,
    /// Whether large anonymous guest memory gets the host's transparent
    /// huge pages.
    pub huge_pages: HugePages,
}

/// Whether the guest's large anonymous memory is backed by the host's
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`, which takes effect
/// when the host's `/sys/kernel/mm/transparent_hugepage/enabled` is
/// `madvise` or `always`; QEMU's user mode asks for none). A program that
/// touches a large table all over (a hash table, a compressor's
/// dictionary) then misses the TLB once per 2 MiB instead of once per
/// 4 KiB page; a large mapping touched in a few places costs up to 2 MiB
/// of memory per place instead of 4 KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HugePages {
    /// Private anonymous `mmap`s and `mremap`s of at least 2 MiB (not
    /// thread stacks: `MAP_STACK`, `MAP_GROWSDOWN`) and the `brk` heap as
    /// it grows (the default). Only whole 2 MiB host pages inside them.
    #[default]
    Large,
    /// Never: 4 KiB host pages only.
    Off,
}

/// The sysroot to use when none is given (`-L`, `$QEMU_LD_PREFIX`):
/// Debian's `/usr/riscv64-linux-gnu` if it exists.
pub fn default_sysroot() -> Option<PathBuf> {
    let debian = Path::new("/usr/riscv64-linux-gnu");
    debian.is_dir().then(|| debian.to_path_buf())
}

/// The program break.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Brk {
    /// Lowest possible break (end of the loaded image, page aligned).
    pub start: u64,
    /// Current break.
    pub current: u64,
    /// End of the pages mapped for the heap so far.
    pub mapped_end: u64,
}

/// A guest range mapped onto shared host memory (`MAP_SHARED`, `shmat`):
/// it is shared with other processes already, so a `vfork` child does not
/// copy it back, and it never becomes writable if its host pages are not.
#[derive(Debug, Clone)]
pub(crate) struct SharedMap {
    pub range: Range<u64>,
    /// Whether the host pages are writable.
    pub writable: bool,
    pub kind: SharedKind,
}

/// What a [`SharedMap`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SharedKind {
    /// `mmap(MAP_SHARED)`.
    Mmap,
    /// A System V segment attached at the range's start (`shmat`), with
    /// its host id.
    SysV(i32),
}

/// `ITIMER_REAL`, with a helper thread that raises `SIGALRM` when it
/// expires.
#[derive(Debug, Default)]
pub(crate) struct Itimer {
    pub deadline: Option<Instant>,
    pub interval: Duration,
    ticker: Option<Arc<(Mutex<Option<Instant>>, Condvar)>>,
}

/// Signal state the threads share: dispositions and process-directed
/// pending signals.
#[derive(Debug, Default)]
pub(crate) struct ProcSignals {
    pub actions: signal::Actions,
    pub pending: signal::Pending,
}

/// The guest threads.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    /// Live threads by tid.
    pub by_tid: HashMap<u32, Arc<ThreadHandle>>,
    /// The thread group leader's tid (the pid).
    pub leader: u32,
    /// The leader's exit code, once it exited alone (`exit`, not
    /// `exit_group`): the process's status when the last thread ends.
    pub leader_exit: Option<i32>,
}

/// What every thread of a guest process shares.
pub(crate) struct Proc {
    pub(crate) mem: Arc<AddressSpace>,
    pub(crate) vm: Arc<Vm>,
    /// The process id (the host's: guest threads are host threads); a
    /// forked child has its own.
    pid: AtomicU32,
    files: Mutex<FdTable>,
    vfs: Mutex<Vfs>,
    pub(crate) umask: AtomicU32,
    /// Serializes the guest's address-space system calls (see
    /// [`Proc::mm_lock`]).
    mm: Mutex<()>,
    pub(crate) brk: Mutex<Brk>,
    signals: Mutex<ProcSignals>,
    threads: Mutex<Threads>,
    /// Signalled when a thread ends or the group exits.
    ended: Condvar,
    /// The status of a group exit (`exit_group`, a fatal signal), once one
    /// began.
    exit: Mutex<Option<ExitStatus>>,
    exiting: AtomicBool,
    /// See [`Proc::driver`].
    driver: AtomicU32,
    pub(crate) shared_maps: Mutex<Vec<SharedMap>>,
    /// Pages wholly past the end of a mapped file: an access is SIGBUS.
    pub(crate) sigbus: Mutex<Vec<Range<u64>>>,
    pub(crate) itimer: Mutex<Itimer>,
    pub(crate) reported_unknown: Mutex<HashSet<u64>>,
    /// The guest's symbols (program, interpreter, mapped libraries).
    pub(crate) symbols: Arc<crate::Symbols>,
    /// Host path of the program (what `execve("/proc/self/exe")` runs).
    pub(crate) exe: PathBuf,
    /// The path `/proc/self/exe` shows the guest.
    pub(crate) guest_exe: Vec<u8>,
    pub(crate) strace: bool,
    pub(crate) trampoline: u64,
    pub(crate) elf: LoadedElf,
    pub(crate) options: Options,
    /// In a `vfork` child: the pipe end whose closing (at `execve` or exit)
    /// releases the parent.
    pub(crate) vfork_done: Mutex<Option<VforkChild>>,
    /// `personality(2)`'s value.
    pub(crate) personality: AtomicU32,
    /// Socket state (confined-mode `AF_UNIX` names).
    pub(crate) net: syscall::net::NetState,
    /// Event-API state (the emulated signalfds).
    pub(crate) events: syscall::event::EventState,
    /// The debugger attached ([`Process::set_debugger`]).
    debugger: std::sync::RwLock<Option<Arc<dyn Debugger>>>,
    /// The embedder's system-call filter ([`Process::set_syscall_filter`]).
    filter: std::sync::RwLock<Option<crate::filter::SyscallFilter>>,
}

/// A `vfork` child's link to its waiting parent (see [`crate::vfork`]).
#[derive(Debug)]
pub(crate) struct VforkChild {
    /// The pipe's write end: closing it (at `execve` or exit) releases the
    /// parent.
    pub pipe: OwnedFd,
    /// Whether memory is shared with the parent (`CLONE_VM`): the pages the
    /// child wrote go back to it.
    pub shares_memory: bool,
}

/// The locks of a process held across a host `fork` ([`Proc::lock_for_fork`]).
pub(crate) struct ForkLocks<'a> {
    _signalfds: MutexGuard<'a, Vec<syscall::event::SignalFd>>,
    _stdout: std::io::StdoutLock<'static>,
    _stderr: std::io::StderrLock<'static>,
    _threads: MutexGuard<'a, Threads>,
    _signals: MutexGuard<'a, ProcSignals>,
    _mm: MutexGuard<'a, ()>,
    _vfs: MutexGuard<'a, Vfs>,
    _files: MutexGuard<'a, FdTable>,
    _brk: MutexGuard<'a, Brk>,
    _shared_maps: MutexGuard<'a, Vec<SharedMap>>,
    _sigbus: MutexGuard<'a, Vec<Range<u64>>>,
    _itimer: MutexGuard<'a, Itimer>,
    _reported: MutexGuard<'a, HashSet<u64>>,
    _vfork_done: MutexGuard<'a, Option<VforkChild>>,
    _exit: MutexGuard<'a, Option<ExitStatus>>,
    _unix_names: MutexGuard<'a, syscall::net::UnixNames>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A loaded guest program, ready to run: its shared state and its first
/// thread, which runs on the caller's thread ([`Process::run`]); the threads
/// it creates run on host threads of their own.
pub struct Process {
    proc: Arc<Proc>,
    leader: Thread,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process").field("exe", &self.proc.exe).field("pc", &self.leader.vcpu.cpu.pc).finish()
    }
}

/// Linux's `MINSIGSTKSZ` for riscv64, reported in `AT_MINSIGSTKSZ`.
pub const MINSIGSTKSZ: u64 = linux_raw_sys::general::MINSIGSTKSZ as u64;

/// `AT_MINSIGSTKSZ`: at least [`MINSIGSTKSZ`], and at least the signal
/// frame, which with the vector extension carries 32 registers of VLEN
/// (Linux reports its frame size there, `get_rt_frame_size`; at VLEN 512
/// and up the frame is larger than 2048 bytes, and an alternate stack
/// sized from a smaller value would overflow).
pub(crate) fn min_signal_stack(isa: ExtSet, vlen: Vlen) -> u64 {
    let vlenb = isa.has(Ext::V).then_some(vlen.bytes());
    MINSIGSTKSZ.max(signal::frame_size(vlenb))
}

/// Where the dynamic linker goes: just below the mmap area, as Linux puts
/// it at the top of the mmap region.
pub const INTERP_BASE: u64 = syscall::MMAP_BASE - (64 << 20);

/// Refuses a program whose `.riscv.attributes` ask for an extension the
/// machine's ISA lacks (the vector extension, say): it would stop with
/// SIGILL somewhere, or worse pick a code path by its own detection.
fn check_isa(data: &[u8], path: &Path, isa: ExtSet) -> Result<()> {
    // The guest ISA is in the message only through what it lacks.
    let Some(arch) = ferrovm_engine::riscv::elf_arch(data) else { return Ok(()) };
    isa.check_requirements(&arch).map_err(|missing| Error::BadElf {
        path: path.to_path_buf(),
        message: format!(
            "built for {arch}, needs {}, which the guest ISA lacks{}",
            missing.names.join(", "),
            if missing.names.iter().any(|n| n == "v" || n.starts_with("zv")) {
                " (the vector extension is off by default: --isa rv64gcv, --isa max or -cpu rv64,v=true)"
            } else {
                " (see --isa)"
            }
        ),
    })
}

/// Reads the program (or interpreter) at `path`; also the host path of the
/// file read (for its symbols).
fn read_program(vfs: &Vfs, path: &Path, interp: bool) -> Result<Program> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let fd = vfs
        .open_program(bytes, interp)
        .map_err(|e| Error::Read { path: path.to_path_buf(), source: std::io::Error::from(e) })?;
    let host = crate::symbols::fd_path(&fd).unwrap_or_else(|| path.to_path_buf());
    let mut file = std::fs::File::from(fd);
    let regular = file.metadata().is_ok_and(|m| m.is_file() && m.len() > 0);
    // SAFETY: a private read-only map of the file, read only as a byte
    // slice by the loader, which checks every field it uses. If another
    // process changes the file meanwhile, the loader reads other bytes
    // (and fails its checks or loads them, as a `read` racing the change
    // would); if one truncates it, a read past the new end kills ferrovm
    // with SIGBUS instead of failing (Linux forbids writing a program
    // being executed for the same reason). The map is dropped once loaded.
    let mapped = regular.then(|| unsafe { memmap2::Mmap::map(&file) }.ok()).flatten();
    let data = match mapped {
        Some(m) => Bytes::Mapped(m),
        None => {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut data)
                .map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
            Bytes::Read(data)
        }
    };
    Ok(Program { data, file, host })
}

/// A program file opened for loading: its bytes, the open file (its
/// segments are mapped from it) and its host path.
struct Program {
    data: Bytes,
    file: std::fs::File,
    host: PathBuf,
}

/// A program's bytes: mapped (only the pages the loader reads are ever
/// read), or read when the file cannot be mapped (not a regular file).
enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        }
    }
}

/// The guest memory map as QEMU's `-d page` prints it: `start-end size
/// prot` a line, then the name.
pub(crate) fn page_table(mem: &ferrovm_mem::AddressSpace) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("start            end              size             prot");
    for m in mem.mappings() {
        let _ = write!(out, "\n{:016x}-{:016x} {:016x} {}", m.start, m.end, m.end - m.start, m.perms);
        if let Some(name) = &m.name {
            let _ = write!(out, " {name}");
        }
    }
    out
}

impl Process {
    /// Loads the ELF at `path` (and its interpreter) and builds its initial
    /// stack.
    pub fn load(path: &Path, options: Options) -> Result<Process> {
        let mut vfs = match &options.root {
            Some(root) => {
                Vfs::confined(root).map_err(|source| Error::Host { context: "opening the --root directory", source })?
            }
            None => Vfs::default(),
        };
        // In confined mode a relative program path is a guest path relative
        // to the guest's working directory (`/` unless an `execve` set it).
        if let (Some(root), Some(cwd)) = (&mut vfs.root, &options.cwd) {
            root.cwd.clone_from(cwd);
        }
        let program = read_program(&vfs, path, false)?;
        check_isa(&program.data, path, options.engine.isa)?;
        let mem = Arc::new(AddressSpace::new()?);
        let loaded = elf::load(&mem, &program.data, Some(program.file.as_fd()), path, elf::PIE_BASE)?;
        let program_host = program.host;
        let mut entry = loaded.entry;
        let mut interp_base = 0;
        let mut interp_module = None;
        if let Some(interp) = &loaded.interp {
            vfs.sysroot.clone_from(&options.sysroot);
            let ipath = PathBuf::from(String::from_utf8_lossy(interp).into_owned());
            let interpreter = read_program(&vfs, &ipath, true).map_err(|e| Error::BadElf {
                path: path.to_path_buf(),
                message: format!(
                    "cannot load interpreter {} ({}); give the riscv64 sysroot with -L DIR",
                    ipath.display(),
                    match e {
                        Error::Read { source, .. } => source.to_string(),
                        other => other.to_string(),
                    }
                ),
            })?;
            let iloaded = elf::load(&mem, &interpreter.data, Some(interpreter.file.as_fd()), &ipath, INTERP_BASE)?;
            let ihost = interpreter.host;
            if iloaded.interp.is_some() {
                return Err(Error::BadElf {
                    path: ipath,
                    message: "the interpreter itself asks for an interpreter".into(),
                });
            }
            entry = iloaded.entry;
            interp_base = iloaded.bias;
            interp_module = Some((iloaded.start, iloaded.end, ihost, iloaded.bias));
        }
        let argv = if options.argv.is_empty() {
            vec![path.as_os_str().as_encoded_bytes().to_vec()]
        } else {
            options.argv.clone()
        };
        let mut random = [0u8; 16];
        rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty())
            .map_err(|e| Error::Host { context: "getrandom", source: e.into() })?;
        let ids = (
            rustix::process::getuid().as_raw(),
            rustix::process::geteuid().as_raw(),
            rustix::process::getgid().as_raw(),
            rustix::process::getegid().as_raw(),
        );
        let input = StackInput {
            argv: &argv,
            envp: &options.envp,
            execfn: path.as_os_str().as_encoded_bytes(),
            random,
            interp_base,
            ids,
            hwcap: stack::hwcap(options.engine.isa),
            minsigstksz: min_signal_stack(options.engine.isa, options.engine.vlen),
        };
        let sp = stack::build(&mem, &loaded, &input, options.stack_size.unwrap_or(stack::STACK_SIZE))?;
        let mut cpu = Cpu { pc: entry, ..Cpu::default() };
        cpu.vector = ferrovm_engine::ir::vector::VState::new(options.engine.vlen);
        cpu.regs[2] = sp;
        let brk_start = (loaded.end + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        let trampoline = mem.find_free(PAGE_SIZE, None, INTERP_BASE).ok_or(Error::Host {
            context: "placing the signal trampoline",
            source: std::io::Error::other("no free guest page"),
        })?;
        mem.map_named(trampoline, PAGE_SIZE, Perms::RW, Some("[vdso]"))?;
        mem.write_bytes(trampoline, &signal::TRAMPOLINE).map_err(|f| Error::Host {
            context: "writing the signal trampoline",
            source: std::io::Error::other(f.to_string()),
        })?;
        mem.protect(trampoline, PAGE_SIZE, Perms::RX)?;
        let mut fds = FdTable::with_stdio().map_err(|source| Error::Host { context: "duplicating stdio", source })?;
        for &(guest, host) in &options.inherited_fds {
            if let Some(file) = crate::host::adopt_fd(host) {
                let _ = fds.insert_at(guest, FdEntry { file: Arc::new(file), cloexec: false });
            }
        }
        let (exe, guest_exe) = match &vfs.root {
            // `/proc/self/exe` is absolute and canonical, as Linux shows it
            // (static glibc's `_dl_get_origin` asserts it starts with `/`).
            Some(_) => {
                let guest = vfs
                    .program_guest_path(path.as_os_str().as_encoded_bytes())
                    .map_err(|e| Error::Read { path: path.to_path_buf(), source: std::io::Error::from(e) })?;
                (PathBuf::from(OsString::from_vec(guest.clone())), guest)
            }
            None => {
                let exe = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                let guest = exe.as_os_str().as_encoded_bytes().to_vec();
                (exe, guest)
            }
        };
        let mut actions = signal::Actions::default();
        for s in 1..=signal::NSIG as i32 {
            if options.sigign & Signal(s).bit() != 0 && s != 9 && s != 19 {
                actions.set(Signal(s), signal::SigAction { handler: SIG_IGN, ..Default::default() });
            }
        }
        let vm = Vm::new(Arc::clone(&mem), options.engine.clone());
        let symbols = Arc::new(crate::Symbols::default());
        symbols.add_loaded(loaded.start, loaded.end, &program_host, loaded.bias);
        if let Some((start, end, path, bias)) = &interp_module {
            symbols.add_loaded(*start, *end, path, *bias);
        }
        vm.set_symbols(Arc::clone(&symbols) as Arc<dyn ferrovm_engine::GuestSymbols>);
        if tracing::enabled!(target: ferrovm_engine::log::target::PAGE, tracing::Level::INFO) {
            tracing::info!(
                target: ferrovm_engine::log::target::PAGE,
                "guest_base  {:#x}\npage layout changed following binary load\n{}\nstart_brk   {brk_start:#018x}\nentry       {entry:#018x}\nstack       {sp:#018x}",
                mem.host_base() as usize,
                page_table(&mem)
            );
        }
        let umask = rustix::process::umask(rustix::fs::Mode::empty());
        rustix::process::umask(umask);
        let pid = std::process::id();
        let mask = options.sigmask & !signal::UNBLOCKABLE;
        let proc = Arc::new(Proc {
            vm: Arc::clone(&vm),
            mem,
            pid: AtomicU32::new(pid),
            files: Mutex::new(fds),
            vfs: Mutex::new(vfs),
            umask: AtomicU32::new(umask.bits()),
            mm: Mutex::new(()),
            brk: Mutex::new(Brk { start: brk_start, current: brk_start, mapped_end: brk_start }),
            signals: Mutex::new(ProcSignals { actions, pending: signal::Pending::default() }),
            threads: Mutex::new(Threads::default()),
            ended: Condvar::new(),
            exit: Mutex::new(None),
            exiting: AtomicBool::new(false),
            driver: AtomicU32::new(pid),
            shared_maps: Mutex::new(Vec::new()),
            sigbus: Mutex::new(Vec::new()),
            itimer: Mutex::new(Itimer::default()),
            reported_unknown: Mutex::new(HashSet::new()),
            symbols: Arc::clone(&symbols),
            exe,
            guest_exe,
            strace: options.strace,
            trampoline,
            elf: loaded,
            options,
            vfork_done: Mutex::new(None),
            personality: AtomicU32::new(0),
            net: syscall::net::NetState::default(),
            events: syscall::event::EventState::default(),
            debugger: std::sync::RwLock::new(None),
            filter: std::sync::RwLock::new(None),
        });
        // Host signals are forwarded by one thread of their own; every
        // other thread blocks them.
        crate::hostsig::block_forwarded();
        crate::host::safe::install_kick_handler();
        crate::hostsig::start_router(&proc);
        let leader = Thread::new(Arc::clone(&proc), vm.vcpu(cpu), mask);
        proc.threads().leader = leader.tid();
        Ok(Process { proc, leader })
    }

    /// Attaches a debugger: every thread calls its hooks from now on (see
    /// [`crate::debug`]). Set it before [`Process::run`] to hold the first
    /// thread before its first instruction.
    pub fn set_debugger(&self, debugger: Arc<dyn Debugger>) {
        *self.proc.debugger.write().unwrap_or_else(PoisonError::into_inner) = Some(debugger);
    }

    /// Sets the system-call filter every thread consults before each
    /// system call (see [`crate::filter`]); `None` removes it. Threads and
    /// `fork`ed children keep it; an `execve`d program does not.
    pub fn set_syscall_filter(&self, filter: Option<crate::filter::SyscallFilter>) {
        *self.proc.filter.write().unwrap_or_else(PoisonError::into_inner) = filter;
    }

    /// The first thread's vCPU, for an embedder that runs it itself
    /// (the embedding API): run it, then give each [`Exit`] to
    /// [`Process::handle_exit`]. Threads the guest creates run on their
    /// own host threads as usual.
    ///
    /// [`Exit`]: ferrovm_engine::Exit
    pub fn vcpu_mut(&mut self) -> &mut ferrovm_engine::Vcpu {
        &mut self.leader.vcpu
    }

    /// Handles one return of the first thread's vCPU as [`Process::run`]
    /// does (a system call, the signal for a fault or an illegal
    /// instruction, signal delivery); `Some` with the status when the
    /// process ended (or the first thread did, and then the last of the
    /// others: this waits for them).
    pub fn handle_exit(&mut self, exit: ferrovm_engine::Exit) -> Option<ExitStatus> {
        if self.proc.exiting() {
            return Some(self.proc.finish(crate::thread::ThreadEnd::Group));
        }
        let debugger = self.proc.debugger();
        let end = self.leader.handle_exit(exit, debugger.as_deref())?;
        Some(self.proc.finish(end))
    }

    /// The first thread's CPU (for embedders and tests).
    pub fn cpu(&self) -> &Cpu {
        &self.leader.vcpu.cpu
    }

    /// The VM (statistics, pass manager).
    pub fn vm(&self) -> &Arc<Vm> {
        &self.proc.vm
    }

    /// The guest's symbols (program, interpreter, mapped libraries).
    pub fn symbols(&self) -> &Arc<crate::Symbols> {
        &self.proc.symbols
    }

    /// What the loader learned about the program.
    pub fn loaded(&self) -> &LoadedElf {
        &self.proc.elf
    }

    /// Runs the program until it exits or is killed: the first thread runs
    /// here; if it ends alone (`exit`) while other threads run, this waits
    /// for them, as the process lives on until its last thread ends.
    pub fn run(&mut self) -> Result<ExitStatus> {
        let end = self.leader.run();
        Ok(self.proc.finish(end))
    }
}

impl Proc {
    /// The system-call filter, if any.
    pub(crate) fn syscall_filter(&self) -> Option<crate::filter::SyscallFilter> {
        self.filter.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The debugger attached, if any.
    pub(crate) fn debugger(&self) -> Option<Arc<dyn Debugger>> {
        self.debugger.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid.load(Ordering::Acquire)
    }

    /// The guest's address-space lock: `mmap`, `munmap`, `mprotect`,
    /// `mremap`, `brk`, `msync` and `madvise` run one at a time, as under
    /// Linux's mmap lock, so that choosing a free range and mapping it are
    /// one step for the guest. Lock it before [`Proc::vfs`] and
    /// [`Proc::files`].
    pub(crate) fn mm_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.mm)
    }

    /// The descriptor table.
    pub(crate) fn files(&self) -> MutexGuard<'_, FdTable> {
        lock(&self.files)
    }

    /// The file-system view (cwd, root, sysroot). Lock it before
    /// [`Proc::files`] when both are needed.
    pub(crate) fn vfs(&self) -> MutexGuard<'_, Vfs> {
        lock(&self.vfs)
    }

    /// Dispositions and process-directed pending signals.
    pub(crate) fn signals(&self) -> MutexGuard<'_, ProcSignals> {
        lock(&self.signals)
    }

    /// The thread list.
    pub(crate) fn threads(&self) -> MutexGuard<'_, Threads> {
        lock(&self.threads)
    }

    /// Whether the process is ending (`exit_group` or a fatal signal): every
    /// thread stops at its next chance.
    pub(crate) fn exiting_flag(&self) -> &AtomicBool {
        &self.exiting
    }

    /// Whether a group exit began.
    pub(crate) fn exiting(&self) -> bool {
        self.exiting.load(Ordering::Acquire)
    }

    /// Ends the process with `status` (the first group exit wins): every
    /// other thread is stopped and woken.
    pub(crate) fn group_exit(&self, status: ExitStatus) {
        {
            let mut exit = lock(&self.exit);
            if exit.is_none() {
                *exit = Some(status);
            }
        }
        self.exiting.store(true, Ordering::Release);
        let threads = self.threads();
        for t in threads.by_tid.values() {
            t.wake();
        }
        self.ended.notify_all();
    }

    /// The status of the group exit (a group exit must have begun).
    fn exit_status(&self) -> ExitStatus {
        lock(&self.exit).unwrap_or(ExitStatus::Exited(0))
    }

    /// The host thread that ends the process (waits for the last thread and
    /// reports the status): the one that runs [`Process::run`], or in a
    /// forked child the thread that forked.
    pub(crate) fn driver(&self) -> u32 {
        self.driver.load(Ordering::Acquire)
    }

    /// The driver's thread is done with `end`: the process's status, once
    /// every thread is gone or the group exited; shared mappings are
    /// written back.
    pub(crate) fn finish(&self, end: ThreadEnd) -> ExitStatus {
        let status = match end {
            ThreadEnd::Group => self.exit_status(),
            ThreadEnd::Exited(code) => self.wait_for_threads(code),
        };
        self.vfork_release();
        let _ = std::io::stderr().flush();
        status
    }

    /// The leader ended alone with `code`: waits until the last thread is
    /// gone (or a group exit), as the process lives on until then.
    fn wait_for_threads(&self, code: i32) -> ExitStatus {
        let mut threads = self.threads();
        threads.leader_exit = Some(code);
        while !threads.by_tid.is_empty() && !self.exiting() {
            threads = self.ended.wait(threads).unwrap_or_else(PoisonError::into_inner);
        }
        drop(threads);
        match *lock(&self.exit) {
            Some(status) => status,
            None => ExitStatus::Exited(code),
        }
    }

    /// A thread other than the leader ended.
    pub(crate) fn thread_ended(&self, tid: u32) {
        let mut threads = self.threads();
        threads.by_tid.remove(&tid);
        if threads.by_tid.is_empty() {
            self.ended.notify_all();
        }
    }

    /// Sends a process-directed signal: it becomes pending for the process
    /// (unless ignored) and one thread that does not block it is woken to
    /// take it (the leader first, as Linux prefers the main thread).
    pub(crate) fn send(&self, info: SigInfo) {
        {
            let mut sig = self.signals();
            if sig.actions.discards(info.signo) {
                return;
            }
            sig.pending.add(info);
        }
        let threads = self.threads();
        let bit = info.signo.bit();
        let leader = threads.by_tid.get(&threads.leader);
        let target =
            leader.into_iter().chain(threads.by_tid.values()).find(|t| t.mask.load(Ordering::Acquire) & bit == 0);
        if let Some(t) = target {
            t.wake();
        }
        drop(threads);
        syscall::event::sync_signalfds(self);
    }

    /// Sends a signal to thread `tid` of this process; `false` if there is
    /// no such thread.
    pub(crate) fn send_to_thread(&self, tid: u32, info: SigInfo) -> bool {
        let Some(t) = self.threads().by_tid.get(&tid).cloned() else { return false };
        if !self.signals().actions.discards(info.signo) {
            t.pending().add(info);
            t.wake();
            syscall::event::sync_signalfds(self);
        }
        true
    }

    /// Arms (or disarms) `ITIMER_REAL`.
    pub(crate) fn set_itimer(self: &Arc<Self>, deadline: Option<Instant>, interval: Duration) {
        let mut itimer = lock(&self.itimer);
        itimer.deadline = deadline;
        itimer.interval = interval;
        if deadline.is_none() && itimer.ticker.is_none() {
            return;
        }
        let ticker = match &itimer.ticker {
            Some(t) => Arc::clone(t),
            None => {
                let t = Arc::new((Mutex::new(None::<Instant>), Condvar::new()));
                let shared = Arc::clone(&t);
                let proc = Arc::downgrade(self);
                let spawned = std::thread::Builder::new().name("ferrovm-itimer".into()).spawn(move || {
                    ticker_thread(&shared, &proc);
                });
                if spawned.is_err() {
                    return; // the timer then never fires
                }
                itimer.ticker = Some(Arc::clone(&t));
                t
            }
        };
        drop(itimer);
        let (lock_, cv) = &*ticker;
        *lock(lock_) = deadline;
        cv.notify_all();
    }

    /// The interval timer fired: raises `SIGALRM` and re-arms it.
    fn itimer_fired(self: &Arc<Self>) {
        let (deadline, interval) = {
            let itimer = lock(&self.itimer);
            (itimer.deadline, itimer.interval)
        };
        let Some(deadline) = deadline else { return };
        let now = Instant::now();
        if now < deadline {
            return;
        }
        if interval.is_zero() {
            self.set_itimer(None, Duration::ZERO);
        } else {
            let mut next = deadline + interval;
            while next <= now {
                next += interval;
            }
            self.set_itimer(Some(next), interval);
        }
        self.send(SigInfo::kernel(Signal::SIGALRM));
    }

    /// After a host `fork`, in the child: only the forking thread exists;
    /// helper threads do not either (Linux clears interval timers in the
    /// child), and pending process signals are not inherited.
    pub(crate) fn after_fork_child(self: &Arc<Self>, me: &Arc<ThreadHandle>) {
        {
            let mut threads = self.threads();
            threads.by_tid.clear();
            threads.by_tid.insert(me.tid, Arc::clone(me));
            threads.leader = me.tid;
            threads.leader_exit = None;
        }
        self.driver.store(me.tid, Ordering::Release);
        self.pid.store(std::process::id(), Ordering::Release);
        *lock(&self.itimer) = Itimer::default();
        self.signals().pending = signal::Pending::default();
        syscall::event::after_fork_child(self);
        crate::hostsig::start_router(self);
    }

    /// In a `vfork` child sharing memory, at `execve` or exit: sends the
    /// bytes it changed back to the waiting parent (see [`crate::vfork`]).
    pub(crate) fn vfork_release(&self) {
        let link = lock(&self.vfork_done);
        if let Some(v) = link.as_ref().filter(|v| v.shares_memory) {
            crate::vfork::send_written(self, &v.pipe);
        }
    }

    /// Takes every lock of the process (and the standard streams') for a
    /// host `fork`, in the one order, so the child never finds one held by
    /// a thread that does not exist there. No path holds one of them while
    /// it takes an earlier one.
    /// The guest ranges of the shared mappings (`MAP_SHARED`, SysV `shmat`).
    pub(crate) fn shared_ranges(&self) -> Vec<std::ops::Range<u64>> {
        lock(&self.shared_maps).iter().map(|m| m.range.clone()).collect()
    }

    pub(crate) fn lock_for_fork(&self) -> ForkLocks<'_> {
        ForkLocks {
            _signalfds: self.events.signalfds(),
            _stdout: std::io::stdout().lock(),
            _stderr: std::io::stderr().lock(),
            _threads: self.threads(),
            _signals: self.signals(),
            _mm: self.mm_lock(),
            _vfs: self.vfs(),
            _files: self.files(),
            _brk: lock(&self.brk),
            _shared_maps: lock(&self.shared_maps),
            _sigbus: lock(&self.sigbus),
            _itimer: lock(&self.itimer),
            _reported: lock(&self.reported_unknown),
            _vfork_done: lock(&self.vfork_done),
            _exit: lock(&self.exit),
            _unix_names: self.net.names(),
        }
    }
}

fn ticker_thread(shared: &(Mutex<Option<Instant>>, Condvar), proc: &std::sync::Weak<Proc>) {
    let (lock_, cv) = shared;
    let mut guard = lock(lock_);
    loop {
        match *guard {
            None => guard = cv.wait(guard).unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    *guard = None;
                    drop(guard);
                    match proc.upgrade() {
                        Some(p) => p.itimer_fired(),
                        None => return,
                    }
                    guard = lock(lock_);
                } else {
                    guard = cv.wait_timeout(guard, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
                }
            }
        }
    }
}
