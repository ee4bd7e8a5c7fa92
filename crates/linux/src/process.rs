//! A guest process: its memory, CPU, descriptors and the run loop that
//! hands system calls to [`crate::syscall`], turns guest faults into the
//! signals Linux would raise, and delivers signals to guest handlers.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Write;
use std::ops::Range;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ferrovm_engine::{EngineConfig, Exit, InterruptHandle, Vcpu, Vm};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, FaultKind, PAGE_SIZE, Perms};

use crate::elf::{self, LoadedElf};
use crate::error::{Error, Result};
use crate::fd::{FdEntry, FdTable};
use crate::hostsig::HostSignals;
use crate::signal::{self, DefaultAction, SIG_DFL, SIG_IGN, SigInfo, Signal, code, sa};
use crate::stack::{self, StackInput};
use crate::syscall;
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
    /// Command-line options that recreate this configuration when the guest
    /// `execve`s another program (ferrovm runs itself again with them).
    pub reexec_args: Vec<OsString>,
    /// Descriptors inherited through a guest `execve`: (guest fd, host fd).
    pub inherited_fds: Vec<(u64, i32)>,
    /// The initial guest working directory in confined mode (default `/`).
    pub cwd: Option<Vec<u8>>,
    /// The initial signal mask (inherited through `execve`).
    pub sigmask: u64,
    /// Signals that start out ignored (inherited through `execve`).
    pub sigign: u64,
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

/// A `MAP_SHARED` file mapping: guest memory is written back to the file
/// on `msync`, `munmap` and exit (ferrovm copies file data into guest memory
/// rather than mapping the host file).
#[derive(Debug)]
pub(crate) struct SharedMap {
    pub range: Range<u64>,
    pub file: OwnedFd,
    pub offset: u64,
}

/// `ITIMER_REAL`, with a helper thread that interrupts the engine when it
/// expires.
#[derive(Debug, Default)]
pub(crate) struct Itimer {
    pub deadline: Option<Instant>,
    pub interval: Duration,
    ticker: Option<Arc<(Mutex<Option<Instant>>, Condvar)>>,
}

/// A loaded guest program, ready to run.
pub struct Process {
    pub(crate) mem: Arc<AddressSpace>,
    pub(crate) vm: Arc<Vm>,
    pub(crate) vcpu: Vcpu,
    pub(crate) fds: FdTable,
    pub(crate) brk: Brk,
    /// Host path of the program (what `execve("/proc/self/exe")` runs).
    pub(crate) exe: PathBuf,
    /// The path `/proc/self/exe` shows the guest.
    pub(crate) guest_exe: Vec<u8>,
    pub(crate) strace: bool,
    pub(crate) reported_unknown: HashSet<u64>,
    pub(crate) signals: signal::SignalState,
    pub(crate) host_signals: HostSignals,
    pub(crate) tid_address: u64,
    pub(crate) elf: LoadedElf,
    pub(crate) vfs: Vfs,
    pub(crate) trampoline: u64,
    pub(crate) shared_maps: Vec<SharedMap>,
    /// Pages wholly past the end of a mapped file: an access is SIGBUS.
    pub(crate) sigbus: Vec<Range<u64>>,
    pub(crate) itimer: Itimer,
    pub(crate) options: Options,
    pub(crate) umask: u32,
    /// In a `vfork` child: the pipe end whose closing (at `execve` or exit)
    /// releases the parent.
    pub(crate) vfork_done: Option<OwnedFd>,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process").field("exe", &self.exe).field("pc", &self.vcpu.cpu.pc).finish()
    }
}

/// Linux's `MINSIGSTKSZ` for riscv64, reported in `AT_MINSIGSTKSZ`.
pub const MINSIGSTKSZ: u64 = 2048;

/// Where the dynamic linker goes: just below the mmap area, as Linux puts
/// it at the top of the mmap region.
pub const INTERP_BASE: u64 = syscall::MMAP_BASE - (64 << 20);

fn read_program(vfs: &Vfs, path: &Path, interp: bool) -> Result<Vec<u8>> {
    let bytes = path.as_os_str().as_encoded_bytes();
    let fd = vfs
        .open_program(bytes, interp)
        .map_err(|e| Error::Read { path: path.to_path_buf(), source: std::io::Error::from(e) })?;
    let mut file = std::fs::File::from(fd);
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut data)
        .map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    Ok(data)
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
        let data = read_program(&vfs, path, false)?;
        let mem = Arc::new(AddressSpace::new()?);
        let loaded = elf::load(&mem, &data, path, elf::PIE_BASE)?;
        let mut entry = loaded.entry;
        let mut interp_base = 0;
        if let Some(interp) = &loaded.interp {
            vfs.sysroot.clone_from(&options.sysroot);
            let ipath = PathBuf::from(String::from_utf8_lossy(interp).into_owned());
            let idata = read_program(&vfs, &ipath, true).map_err(|e| Error::BadElf {
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
            let iloaded = elf::load(&mem, &idata, &ipath, INTERP_BASE)?;
            if iloaded.interp.is_some() {
                return Err(Error::BadElf {
                    path: ipath,
                    message: "the interpreter itself asks for an interpreter".into(),
                });
            }
            entry = iloaded.entry;
            interp_base = iloaded.bias;
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
        };
        let sp = stack::build(&mem, &loaded, &input)?;
        let mut cpu = Cpu { pc: entry, ..Cpu::default() };
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
            Some(_) => (path.to_path_buf(), path.as_os_str().as_encoded_bytes().to_vec()),
            None => {
                let exe = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                let guest = exe.as_os_str().as_encoded_bytes().to_vec();
                (exe, guest)
            }
        };
        if let (Some(root), Some(cwd)) = (&mut vfs.root, &options.cwd) {
            root.cwd.clone_from(cwd);
        }
        let mut signals = signal::SignalState { mask: options.sigmask & !signal::UNBLOCKABLE, ..Default::default() };
        for s in 1..=signal::NSIG as i32 {
            if options.sigign & Signal(s).bit() != 0 && s != 9 && s != 19 {
                signals.set_action(Signal(s), signal::SigAction { handler: SIG_IGN, ..Default::default() });
            }
        }
        let vm = Vm::new(Arc::clone(&mem), options.engine.clone());
        let vcpu = vm.vcpu(cpu);
        let host_signals = HostSignals::install(&vcpu.interrupt_handle());
        host_signals.update(&signals);
        let umask = rustix::process::umask(rustix::fs::Mode::empty());
        rustix::process::umask(umask);
        Ok(Process {
            vm,
            vcpu,
            mem,
            fds,
            brk: Brk { start: brk_start, current: brk_start, mapped_end: brk_start },
            exe,
            guest_exe,
            strace: options.strace,
            reported_unknown: HashSet::new(),
            signals,
            host_signals,
            tid_address: 0,
            elf: loaded,
            vfs,
            trampoline,
            shared_maps: Vec::new(),
            sigbus: Vec::new(),
            itimer: Itimer::default(),
            options,
            umask: umask.bits(),
            vfork_done: None,
        })
    }

    /// The guest CPU (for embedders and tests).
    pub fn cpu(&self) -> &Cpu {
        &self.vcpu.cpu
    }

    /// The VM (statistics, pass manager).
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// What the loader learned about the program.
    pub fn loaded(&self) -> &LoadedElf {
        &self.elf
    }

    /// Runs the program until it exits or is killed.
    pub fn run(&mut self) -> Result<ExitStatus> {
        let status = self.run_loop();
        self.sync_shared_maps();
        let _ = std::io::stderr().flush();
        Ok(status)
    }

    fn run_loop(&mut self) -> ExitStatus {
        loop {
            let exit = self.vcpu.run();
            match exit {
                Exit::Ecall => match syscall::dispatch(self) {
                    syscall::Outcome::Return(v) => {
                        self.vcpu.cpu.regs[10] = v;
                        self.vcpu.cpu.pc = self.vcpu.cpu.pc.wrapping_add(4);
                    }
                    syscall::Outcome::Resume => {}
                    syscall::Outcome::Exit(status) => return status,
                },
                Exit::Breakpoint => {
                    self.signals.force(SigInfo::fault(Signal::SIGTRAP, code::TRAP_BRKPT, self.vcpu.cpu.pc));
                }
                Exit::Illegal { .. } => {
                    self.signals.force(SigInfo::fault(Signal::SIGILL, code::ILL_ILLOPC, self.vcpu.cpu.pc));
                }
                Exit::Fault(f) => {
                    let info = if f.kind == FaultKind::Misaligned {
                        SigInfo::fault(Signal::SIGBUS, code::BUS_ADRALN, f.addr)
                    } else if self.sigbus.iter().any(|r| r.contains(&f.addr)) {
                        SigInfo::fault(Signal::SIGBUS, code::BUS_ADRERR, f.addr)
                    } else if f.kind == FaultKind::Unmapped {
                        SigInfo::fault(Signal::SIGSEGV, code::SEGV_MAPERR, f.addr)
                    } else {
                        SigInfo::fault(Signal::SIGSEGV, code::SEGV_ACCERR, f.addr)
                    };
                    self.signals.force(info);
                }
                Exit::Interrupted => {}
            }
            if let Some(status) = self.deliver_signals() {
                return status;
            }
        }
    }

    /// Moves host signals and an expired interval timer into the pending set.
    pub(crate) fn poll_async(&mut self) {
        self.host_signals.collect(&mut self.signals);
        if let Some(deadline) = self.itimer.deadline {
            let now = Instant::now();
            if now >= deadline {
                self.signals.raise(SigInfo::kernel(Signal::SIGALRM));
                if self.itimer.interval.is_zero() {
                    self.set_itimer(None, Duration::ZERO);
                } else {
                    let mut next = deadline + self.itimer.interval;
                    while next <= now {
                        next += self.itimer.interval;
                    }
                    self.set_itimer(Some(next), self.itimer.interval);
                }
            }
        }
    }

    /// Arms (or disarms) `ITIMER_REAL`.
    pub(crate) fn set_itimer(&mut self, deadline: Option<Instant>, interval: Duration) {
        self.itimer.deadline = deadline;
        self.itimer.interval = interval;
        if deadline.is_none() && self.itimer.ticker.is_none() {
            return;
        }
        let ticker = match &self.itimer.ticker {
            Some(t) => Arc::clone(t),
            None => {
                let t = Arc::new((Mutex::new(None::<Instant>), Condvar::new()));
                let shared = Arc::clone(&t);
                let flag = self.vcpu.interrupt_handle();
                let spawned = std::thread::Builder::new().name("ferrovm-itimer".into()).spawn(move || {
                    ticker_thread(&shared, &flag);
                });
                if spawned.is_err() {
                    return; // the timer then fires only at system calls
                }
                self.itimer.ticker = Some(Arc::clone(&t));
                t
            }
        };
        let (lock, cv) = &*ticker;
        *lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = deadline;
        cv.notify_all();
    }

    /// After a host `fork`, in the child: helper threads do not exist there,
    /// and Linux clears interval timers in the child.
    pub(crate) fn after_fork_child(&mut self) {
        self.itimer = Itimer::default();
        self.signals.pending = 0;
    }

    /// Waits until a signal can be delivered or `until` passes. Returns
    /// whether a signal is deliverable.
    pub(crate) fn wait_for_signal(&mut self, until: Option<Instant>) -> bool {
        loop {
            self.poll_async();
            if self.signals.deliverable() {
                return true;
            }
            let now = Instant::now();
            if until.is_some_and(|u| now >= u) {
                return false;
            }
            let mut nap = Duration::from_millis(2);
            if let Some(u) = until {
                nap = nap.min(u - now);
            }
            if let Some(d) = self.itimer.deadline {
                nap = nap.min(d.saturating_duration_since(now));
            }
            std::thread::sleep(nap);
        }
    }

    /// Delivers every deliverable pending signal: guest handlers get a
    /// frame, default actions end the process. Returns the exit status if
    /// the process is killed.
    pub(crate) fn deliver_signals(&mut self) -> Option<ExitStatus> {
        self.poll_async();
        let mut delivered = false;
        while let Some(info) = self.signals.take() {
            let sig = info.signo;
            let action = self.signals.action(sig);
            match action.handler {
                SIG_IGN if sig != Signal::SIGKILL => {}
                SIG_DFL | SIG_IGN => {
                    if sig == Signal::SIGKILL || signal::default_action(sig) == DefaultAction::Terminate {
                        return Some(ExitStatus::Signaled(sig));
                    }
                }
                _ => {
                    let saved = self.signals.saved_mask.take().unwrap_or(self.signals.mask);
                    let ok = signal::setup_frame(
                        &self.mem,
                        &mut self.vcpu.cpu,
                        &self.signals,
                        &info,
                        &action,
                        saved,
                        self.trampoline,
                    );
                    if !ok {
                        return Some(ExitStatus::Signaled(Signal::SIGSEGV));
                    }
                    let mut mask = self.signals.mask | action.mask;
                    if action.flags & sa::NODEFER == 0 {
                        mask |= sig.bit();
                    }
                    self.signals.mask = mask & !signal::UNBLOCKABLE;
                    if action.flags & sa::RESETHAND != 0 {
                        self.signals.set_action(sig, signal::SigAction::default());
                    }
                    delivered = true;
                }
            }
        }
        if !delivered && let Some(mask) = self.signals.saved_mask.take() {
            self.signals.mask = mask;
        }
        if delivered {
            self.host_signals.update(&self.signals);
        }
        None
    }

    /// Writes `MAP_SHARED` file mappings back to their files.
    pub(crate) fn sync_shared_maps(&mut self) {
        for m in &self.shared_maps {
            sync_one(&self.mem, m, m.range.clone());
        }
    }
}

/// Writes the part `range` of shared mapping `m` back to its file (only up
/// to the file's current size: a shared mapping does not extend a file).
pub(crate) fn sync_one(mem: &AddressSpace, m: &SharedMap, range: Range<u64>) {
    let start = range.start.max(m.range.start);
    let end = range.end.min(m.range.end);
    if start >= end {
        return;
    }
    let Ok(st) = rustix::fs::fstat(&m.file) else { return };
    let file_off = m.offset + (start - m.range.start);
    let size = u64::try_from(st.st_size).unwrap_or(0);
    if file_off >= size {
        return;
    }
    let len = (end - start).min(size - file_off);
    let mut buf = vec![0u8; len as usize];
    if mem.read_bytes_force(start, &mut buf).is_ok() {
        let _ = rustix::io::pwrite(&m.file, &buf, file_off);
    }
}

fn ticker_thread(shared: &(Mutex<Option<Instant>>, Condvar), flag: &InterruptHandle) {
    let (lock, cv) = shared;
    let mut guard = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        match *guard {
            None => guard = cv.wait(guard).unwrap_or_else(std::sync::PoisonError::into_inner),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    flag.interrupt();
                    *guard = None;
                } else {
                    guard = cv.wait_timeout(guard, deadline - now).unwrap_or_else(std::sync::PoisonError::into_inner).0;
                }
            }
        }
    }
}
