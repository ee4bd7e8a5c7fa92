//! A guest process: its memory, CPU, descriptors and the run loop that
//! hands system calls to [`crate::syscall`] and turns guest faults into the
//! signal Linux would deliver.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrovm_engine::{Config, Engine, Exit};
use ferrovm_ir::Cpu;
use ferrovm_mem::{AddressSpace, FaultKind};

use crate::elf::{self, LoadedElf};
use crate::error::{Error, Result};
use crate::fd::FdTable;
use crate::signal::{self, Signal};
use crate::stack::{self, StackInput};
use crate::syscall;

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
    pub engine: Config,
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

/// A loaded guest program, ready to run.
pub struct Process {
    pub(crate) mem: Arc<AddressSpace>,
    pub(crate) engine: Engine,
    pub(crate) cpu: Cpu,
    pub(crate) fds: FdTable,
    pub(crate) brk: Brk,
    pub(crate) exe: PathBuf,
    pub(crate) strace: bool,
    pub(crate) reported_unknown: HashSet<u64>,
    pub(crate) signals: signal::SignalState,
    pub(crate) tid_address: u64,
    pub(crate) elf: LoadedElf,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process").field("exe", &self.exe).field("pc", &self.cpu.pc).finish()
    }
}

/// Linux's `MINSIGSTKSZ` for riscv64, reported in `AT_MINSIGSTKSZ`.
pub const MINSIGSTKSZ: u64 = 2048;

impl Process {
    /// Loads the ELF at `path` and builds its initial stack.
    pub fn load(path: &Path, options: Options) -> Result<Process> {
        let data = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let mem = Arc::new(AddressSpace::new()?);
        let loaded = elf::load(&mem, &data, path, elf::PIE_BASE)?;
        if let Some(interp) = &loaded.interp {
            return Err(Error::BadElf {
                path: path.to_path_buf(),
                message: format!(
                    "dynamically linked (interpreter {}): not supported yet, build with -static",
                    String::from_utf8_lossy(interp)
                ),
            });
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
            interp_base: 0,
            ids,
        };
        let sp = stack::build(&mem, &loaded, &input)?;
        let mut cpu = Cpu { pc: loaded.entry, ..Cpu::default() };
        cpu.regs[2] = sp;
        let brk_start = (loaded.end + ferrovm_mem::PAGE_SIZE - 1) & !(ferrovm_mem::PAGE_SIZE - 1);
        let fds = FdTable::with_stdio().map_err(|source| Error::Host { context: "duplicating stdio", source })?;
        let exe = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Process {
            engine: Engine::with_config(Arc::clone(&mem), options.engine.clone()),
            mem,
            cpu,
            fds,
            brk: Brk { start: brk_start, current: brk_start, mapped_end: brk_start },
            exe,
            strace: options.strace,
            reported_unknown: HashSet::new(),
            signals: signal::SignalState::default(),
            tid_address: 0,
            elf: loaded,
        })
    }

    /// The guest CPU (for embedders and tests).
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// What the loader learned about the program.
    pub fn loaded(&self) -> &LoadedElf {
        &self.elf
    }

    /// The engine (statistics, pass manager).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs the program until it exits or is killed.
    pub fn run(&mut self) -> Result<ExitStatus> {
        loop {
            let exit = self.engine.run(&mut self.cpu);
            let signal = match exit {
                Exit::Ecall => match syscall::dispatch(self) {
                    syscall::Outcome::Return(v) => {
                        self.cpu.regs[10] = v;
                        self.cpu.pc = self.cpu.pc.wrapping_add(4);
                        continue;
                    }
                    syscall::Outcome::Exit(status) => return Ok(status),
                },
                Exit::Breakpoint => Signal::SIGTRAP,
                Exit::Illegal { .. } => Signal::SIGILL,
                Exit::Fault(f) if f.kind == FaultKind::Misaligned => Signal::SIGBUS,
                Exit::Fault(_) => Signal::SIGSEGV,
                Exit::Interrupted => continue,
            };
            // Guest signal handlers are not delivered yet: a synchronous
            // signal takes its default action, which for these is to die.
            let _ = std::io::stderr().flush();
            return Ok(ExitStatus::Signaled(signal));
        }
    }
}
