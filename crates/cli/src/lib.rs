//! The `ferrovm` and `ferrovm-riscv64` commands: run riscv64 Linux
//! programs, disassemble them, register ferrovm with binfmt_misc.
//!
//! This crate only parses arguments, sets up output and maps results to
//! exit codes; everything else lives in the library crates. Both binaries
//! are [`main`] with a different [`Flavor`]: `ferrovm run [OPTIONS]
//! PROGRAM [ARGS]...` and `ferrovm-riscv64 [OPTIONS] PROGRAM [ARGS]...`
//! (qemu-riscv64's syntax, for binfmt_misc) take the same options.

mod binfmt;
mod cpu;
mod diag;
mod profile;
mod qemu;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use ferrovm_engine::{
    CodeWrites, ColdCode, CompileThreads, CostModelKind, DEFAULT_COLD_RUNS, DEFAULT_TIER_UP, EngineConfig, EngineMode,
    Eviction, EvictionKind, ExtSet, FaultInjection, FirstTier, FpLowering, JitOptions, MemAccess,
};
use ferrovm_linux::{ExitStatus, HugePages, Options, Process};

/// Which command line a binary takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `ferrovm run|disasm|binfmt ...`.
    Ferrovm,
    /// `ferrovm-riscv64 [OPTIONS] PROGRAM [ARGS]...`: qemu-riscv64's
    /// command line, no subcommand (a binfmt_misc interpreter).
    Qemu,
}

/// ferrovm: a RISC-V (riscv64) virtual machine. Runs riscv64 Linux programs
/// on this x86-64 host, like qemu-riscv64.
#[derive(Parser, Debug)]
#[command(name = "ferrovm", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a riscv64 Linux program. The exit status is the program's; if
    /// the program is killed by a signal, ferrovm dies of the same signal.
    /// Options go before PROGRAM: everything after it is the program's.
    #[command(after_help = RUN_ENV_HELP)]
    Run(Box<RunArgs>),
    /// Disassemble every executable section of a riscv64 ELF file, in the
    /// format of `riscv64-linux-gnu-objdump -d`.
    Disasm {
        /// The ELF file.
        program: PathBuf,
    },
    /// Print the binfmt_misc registration line that makes the kernel run
    /// riscv64 ELF programs with ferrovm-riscv64 (the magic and mask of
    /// QEMU's qemu-binfmt-conf.sh), write it as a binfmt.d file, or
    /// register it.
    Binfmt(binfmt::BinfmtArgs),
}

/// ferrovm-riscv64: run a riscv64 Linux program with ferrovm, taking
/// qemu-riscv64's command line (no subcommand), so that it can be the
/// binfmt_misc interpreter for riscv64 programs (see `ferrovm binfmt`).
/// Options go before PROGRAM: everything after it is the program's. Started
/// by binfmt_misc for an entry with the P (preserve-argv0) flag, which the
/// kernel announces in AT_FLAGS, the argument after PROGRAM is the
/// program's own argv[0], as with qemu-riscv64.
#[derive(Parser, Debug)]
#[command(name = "ferrovm-riscv64", version, long_about = None, after_help = RUN_ENV_HELP)]
struct QemuCli {
    #[command(flatten)]
    run: RunArgs,
}

/// The environment variables `ferrovm run` and `ferrovm-riscv64` read
/// (the library crates read none; see `mod env` and `qemu::var`).
const RUN_ENV_HELP: &str = "\
qemu-riscv64 compatibility:
  Everything after PROGRAM is the program's own arguments, even when they look like
  options (`ferrovm run grep -E 'a|b' f`). QEMU's spellings work too: -L, -E, -U,
  -0, -s, -d, -D, and -strace / -cpu with one dash (any long option may be written
  with one dash). Each QEMU_* variable below stands for its option; an option given on the
  command line wins (-E/-U lists apply after QEMU_SET_ENV/QEMU_UNSET_ENV, in order).

Environment:
  QEMU_LD_PREFIX=DIR         -L DIR
  QEMU_SET_ENV=V=X[,V=X...]  -E V=X[,V=X...]
  QEMU_UNSET_ENV=V[,V...]    -U V[,V...]
  QEMU_STRACE (any value)    --strace
  QEMU_STACK_SIZE=SIZE       -s SIZE
  QEMU_CPU=MODEL[,PROP=VAL]  --cpu MODEL[,PROP=VAL...]
  QEMU_ARGV0=ARG             -0 ARG
  QEMU_GDB=PORT              -g PORT
  FERROVM_ISA=PROFILE|ISA    --isa PROFILE|ISA (with QEMU_CPU too: it wins over the
                             CPU's extensions, QEMU_CPU's vlen= still applies)
  FERROVM_JIT_FAULT_RATE=F   make this fraction of compiles fail (testing the fallback)
  FERROVM_CODE_MPROTECT=1    write compiled code by flipping page protections with
                             mprotect instead of through a writable alias (a second
                             mapping of the same memory; code pages are never writable)
  FERROVM_CODE_PROC_MEM=1    write compiled code through /proc/self/mem instead of
                             the writable alias
  FERROVM_PERF_MAP=1         --perf-map
  FERROVM_JIT_DUMP=1         print every compiled function's machine code on stderr
  FERROVM_JIT_CL_FLAGS=k=v,. extra Cranelift settings (an experiment knob)

Diagnostics:
  -d LIST [-D FILE]          log QEMU's categories (in_asm, op, op_opt, out_asm, exec, cpu,
                             int, strace, unimp, page, nochain) and ferrovm's tier and cache,
                             to stderr or FILE; `-d help` lists them. Library users get the
                             same events as `tracing` events with targets `ferrovm::CATEGORY`
  --profile FILE             sample the guest (per-thread CPU-time timers); the hottest
                             functions go to FILE, call stacks to FILE.folded (flamegraph.pl)
  --perf-map, --jitdump DIR  name compiled code by guest function for `perf report`, and
                             write the jitdump `perf inject --jit` reads (`perf annotate`)

Guest threads run on host threads of their own, in parallel, sharing one VM.";

/// Execution engines.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EngineKind {
    /// The IR interpreter (tier 0).
    Interp,
    /// Cranelift JIT: every block is compiled the first time it runs,
    /// quickly and unoptimized; a block that then runs `--hot-threshold`
    /// times (default 1000) is recompiled with Cranelift's optimizer,
    /// together with the hot loop around it. For measurement.
    Jit,
    /// The default. Interpreter first; the hotspot detector weighs each
    /// block from its decaying run count, its size and the measured speeds
    /// of both tiers, and when compiling saves more than the cost model
    /// says it costs, a compile worker gives it quick first-tier code and
    /// then compiles it with Cranelift's optimizer, together with the hot
    /// loop around it, while the guest goes on running.
    Tiered,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Execution engine.
    #[arg(long, value_enum, default_value_t = EngineKind::Tiered)]
    engine: EngineKind,
    /// Print one line per system call on stderr (name, decoded arguments,
    /// flags, structures, errno names, result), in the format of
    /// `qemu-riscv64 -strace` (also `-strace`, $QEMU_STRACE).
    #[arg(long)]
    strace: bool,
    /// Set variables in the guest environment: VAR=VALUE, or a comma
    /// list VAR=VALUE,VAR=VALUE as QEMU takes it (repeatable; after
    /// $QEMU_SET_ENV).
    #[arg(short = 'E', value_name = "VAR=VALUE[,...]")]
    set_env: Vec<OsString>,
    /// Remove variables from the guest environment: VAR or VAR,VAR
    /// (repeatable; after $QEMU_UNSET_ENV).
    #[arg(short = 'U', value_name = "VAR[,...]")]
    unset_env: Vec<OsString>,
    /// Where the dynamic linker and shared libraries of a dynamically linked
    /// program are found (a riscv64 sysroot). Default: $QEMU_LD_PREFIX, else
    /// /usr/riscv64-linux-gnu if it exists.
    #[arg(short = 'L', long = "sysroot", value_name = "DIR")]
    sysroot: Option<PathBuf>,
    /// Size of the guest's stack: bytes, or with a k/K (KiB) or M (MiB)
    /// suffix, as QEMU's -s [default: $QEMU_STACK_SIZE, else 8M or the
    /// host's stack limit if larger; at most 136M].
    #[arg(short = 's', long = "stack-size", value_name = "SIZE")]
    stack_size: Option<String>,
    /// Back the guest's large anonymous memory with 4 KiB host pages only.
    /// By default private anonymous mappings of 2 MiB or more (not thread
    /// stacks) and the heap ask the host for transparent huge pages
    /// (madvise, effective when /sys/kernel/mm/transparent_hugepage/enabled
    /// is madvise or always), so that a program touching a large table all
    /// over misses the TLB far less; QEMU asks for none.
    #[arg(long)]
    no_huge_pages: bool,
    /// The CPU, as QEMU's -cpu (also $QEMU_CPU): rv64 (or any, sifive-u54,
    /// sifive-e51, shakti-c) with QEMU's extension properties, e.g.
    /// rv64,Zfh=true,zba=false: the guest ISA is the model's (rv64: RV64GC +
    /// Zihintpause + Zba/Zbb/Zbc/Zbs) with those turned on or off; turning
    /// on one ferrovm lacks (v, zk...) is an error. `-cpu help` lists the
    /// models. Not together with --isa.
    #[arg(long, value_name = "MODEL[,PROP=VALUE...]")]
    cpu: Option<String>,
    /// The guest ISA: a profile, rv64gc, rva22u64 or rva23u64 (RVA23U64
    /// without the vector extension, plus Zfh and Zbc), max (everything
    /// ferrovm implements: rva23u64 plus Zbkb/Zbkc/Zbkx and V), or an
    /// ISA string such as rv64gc_zba_zbb_zicond or rv64gcv. The default is
    /// max without V (QEMU's default CPU has no vectors). Instructions outside it
    /// raise SIGILL, AT_HWCAP and riscv_hwprobe report exactly it, and a
    /// program whose ELF attributes ask for more is refused.
    #[arg(long, value_name = "PROFILE|ISA")]
    isa: Option<String>,
    /// VLEN in bits when the ISA has V: a power of two from 64 to 1024
    /// [default: 128] (also `-cpu rv64,v=true,vlen=N`).
    #[arg(long, value_name = "BITS")]
    vlen: Option<u32>,
    /// Confined mode: DIR becomes the guest's `/`. Every path the guest names
    /// resolves inside DIR (openat2 RESOLVE_IN_ROOT): `..`, symlinks and
    /// /proc tricks cannot leave it. Without --root the guest sees the host's
    /// files with ferrovm's permissions: that mode is not a security boundary.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Wait for gdb on TCP PORT of 127.0.0.1 before the first guest
    /// instruction, as qemu-riscv64 -g (also $QEMU_GDB); then `target
    /// remote :PORT` in gdb-multiarch. Port 0 picks a free port and prints
    /// it on stderr.
    #[arg(short = 'g', long = "gdb", value_name = "PORT")]
    gdb: Option<u16>,
    /// argv[0] for the program (default: $QEMU_ARGV0, else PROGRAM as
    /// given).
    #[arg(short = '0', long, value_name = "ARG")]
    argv0: Option<OsString>,
    /// Process state carried through a guest execve, when ferrovm runs
    /// itself on the new program: `cwd=DIR` (confined mode), `fd=GUEST:HOST`,
    /// `sigmask=HEX`, `sigign=HEX`.
    #[arg(long = "exec-state", value_name = "KEY=VALUE", hide = true)]
    exec_state: Vec<String>,
    /// Print engine statistics on stderr when the program ends (the
    /// tiering report: compiles, queue, code cache, exits, cost model,
    /// hottest code).
    #[arg(long)]
    stats: bool,
    /// Write the same statistics as JSON to FILE when the program ends.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// Disable the IR optimization passes (for measurement and debugging).
    #[arg(long)]
    no_opt: bool,
    /// JIT: do not chain compiled blocks (every exit returns to the
    /// dispatcher; for measurement).
    #[arg(long)]
    no_chaining: bool,
    /// JIT: no inline caches on indirect branches and no return-address
    /// stack (for measurement).
    #[arg(long)]
    no_inline_cache: bool,
    /// JIT: a block that turns hot inside a compiled hot region gets a
    /// region of its own instead of entering that region at its own block
    /// (for measurement).
    #[arg(long)]
    no_region_entries: bool,
    /// JIT: every vector instruction through the per-element helper, none
    /// as host SIMD (for measurement).
    #[arg(long)]
    no_vector_simd: bool,
    /// JIT: floating point through SoftFloat calls instead of the host
    /// FPU (same results and flags; for measurement, and for hosts where
    /// the FPU path cannot run).
    #[arg(long)]
    soft_float: bool,
    /// JIT: check every guest load and store inline (limit, alignment,
    /// permission byte) and leave compiled code when a check fails. By
    /// default they are plain host accesses: the host protection mirrors
    /// guest permissions, so a guest fault arrives as a host fault, and
    /// pages holding translated code are write-protected. Registers are
    /// then precise at a fault only once something can see them (a
    /// handler for SIGSEGV or SIGBUS, a debugger); before that a fault
    /// ends the program and only its pc matters.
    #[arg(long, conflicts_with = "direct_memory")]
    checked_memory: bool,
    /// JIT: guest loads and stores as plain host accesses after one
    /// compare against the guest limit, whose branch is where a host fault
    /// resumes: registers always precise at a fault (for measurement; the
    /// default needs no branch).
    #[arg(long)]
    direct_memory: bool,
    /// JIT: code-cache budget in bytes, at most 1 GiB; when full, the
    /// eviction policy picks translations to evict (never exceeded).
    #[arg(long, value_name = "BYTES", default_value_t = JitOptions::default().code_cache_size,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=ferrovm_engine::MAX_CODE_CACHE_SIZE as u64))]
    code_cache_size: usize,
    #[command(flatten)]
    tuning: Tuning,
    #[command(flatten)]
    log: diag::LogArgs,
    #[command(flatten)]
    profile: profile::ProfileArgs,
    /// JIT: make this fraction (0.0..=1.0) of compiles fail, to test the
    /// interpreter fallback (default: $FERROVM_JIT_FAULT_RATE, else 0).
    #[arg(long, value_name = "FRACTION", hide = true)]
    jit_fault_rate: Option<f64>,
    /// JIT: how many runs make a block hot. Tiered: interpreter runs
    /// before a block is first weighed for compiling [default: 50]. Jit:
    /// runs of its first, unoptimized translation before it is recompiled
    /// as hot code [default: 1000; 0: never].
    #[arg(long, value_name = "RUNS")]
    hot_threshold: Option<u32>,
    /// The riscv64 program to run, then its arguments: everything after
    /// PROGRAM is passed to it unchanged, even what looks like an option.
    #[arg(value_name = "PROGRAM [ARGS]", num_args = 1.., trailing_var_arg = true)]
    command: Vec<OsString>,
}

/// The tiering policy's knobs (see the engine's `HotspotConfig`). Each is
/// passed on to the ferrovm that runs a program the guest `execve`s.
#[derive(clap::Args, Debug, Clone, Default)]
struct Tuning {
    /// JIT: compile workers (background threads that compile while the
    /// guest runs) [default: available cores - 1, at least 1; 0: compile on
    /// the guest thread, which waits].
    #[arg(long, value_name = "N")]
    compile_threads: Option<usize>,
    /// JIT: the compiler of first-tier code (a block's code before its
    /// optimized region, and first-run code under --engine jit):
    /// `baseline` machine code from templates, tens of microseconds per
    /// block on the guest thread [default], or `cranelift` without its
    /// optimizer (about a millisecond, on a compile worker). Blocks the
    /// baseline compiler does not do (FP, CSRs) go to Cranelift.
    #[arg(long, value_enum, value_name = "COMPILER")]
    first_tier: Option<FirstTierArg>,
    /// Tiered engine with the baseline first tier: what runs a block before
    /// it is hot: `baseline` code, made on its first run or after
    /// --cold-runs runs in the interpreter (blocks the baseline compiler
    /// does not do stay interpreted) [default], or `interp`, the
    /// interpreter until the block is hot.
    #[arg(long, value_enum, value_name = "TIER")]
    cold_code: Option<ColdCodeArg>,
    /// Tiered engine, --cold-code baseline: interpreted runs of a block
    /// before its baseline code, while few recent cold blocks run more
    /// often (above 45% of them, cold blocks get baseline code on their
    /// first run, but one in 32 that keeps the share measured, until it
    /// falls below 25%); 0: baseline code on the first run [default: 2].
    #[arg(long, value_name = "N")]
    cold_runs: Option<u32>,
    /// Tiered engine, --cold-code baseline: run the IR optimization passes
    /// on a block given baseline code on its first run too (by default they
    /// run only when it turns hot: for measurement).
    #[arg(long)]
    cold_opt: bool,
    /// Tiered engine: how compile costs and savings are predicted: `fixed`
    /// constants [default], or a model `learned` online from this run's
    /// compiles and measured speeds.
    #[arg(long, value_enum, value_name = "MODEL")]
    cost_model: Option<CostModelArg>,
    /// JIT: what leaves the code cache when it is full: least recently
    /// used, least frequently used, first in, lowest expected benefit per
    /// byte, or random.
    #[arg(long, value_enum, value_name = "POLICY")]
    eviction: Option<EvictionArg>,
    /// Tiered engine: saving/cost ratio a block must reach to be compiled,
    /// at the start (it adapts to the compile load) [default: 1].
    #[arg(long, value_name = "RATIO")]
    hot_ratio: Option<f64>,
    /// Tiered engine: bounds of the adapted ratio [default: 1 and 64].
    #[arg(long, value_name = "RATIO")]
    hot_ratio_min: Option<f64>,
    /// Tiered engine: lowest the adapted ratio falls once the compile
    /// workers have been idle for a while (at most --hot-ratio-min)
    /// [default: 1].
    #[arg(long, value_name = "RATIO")]
    hot_ratio_idle_min: Option<f64>,
    /// Tiered engine: see --hot-ratio-min.
    #[arg(long, value_name = "RATIO")]
    hot_ratio_max: Option<f64>,
    /// Tiered engine: keep the ratio fixed instead of adapting it to the
    /// compile queue and the workers' load.
    #[arg(long)]
    no_hot_adaptive: bool,
    /// Tiered engine: length of a decay window of the hotspot scores, in
    /// milliseconds [default: 10].
    #[arg(long, value_name = "MS")]
    hot_window_ms: Option<u64>,
    /// Tiered engine: fraction of a score kept from one window to the next,
    /// in (0, 1) [default: 0.5].
    #[arg(long, value_name = "FRACTION")]
    hot_decay: Option<f64>,
    /// Tiered engine: the longest future the detector counts on, in
    /// milliseconds [default: 2000].
    #[arg(long, value_name = "MS")]
    hot_horizon_ms: Option<u64>,
    /// Tiered engine: exponent of a block's size in its saving per run
    /// [default: 1].
    #[arg(long, value_name = "W")]
    hot_size_weight: Option<f64>,
    /// Tiered engine: weight (0..=1) of the measured interpreter and
    /// compiled-code speeds against fixed priors [default: 1].
    #[arg(long, value_name = "W")]
    hot_time_weight: Option<f64>,
    /// Tiered engine: share (0..=1) of its time a compile worker may spend
    /// compiling before the ratio rises [default: 0.75].
    #[arg(long, value_name = "FRACTION")]
    compile_budget: Option<f64>,
    /// JIT: most blocks a hot region grows to [default: 64].
    #[arg(long, value_name = "N")]
    max_region_blocks: Option<std::num::NonZeroUsize>,
    /// JIT: most bytes of first-tier code the blocks of a hot region hold,
    /// its entry always included (each block's baseline or quick code; for
    /// a block with none, 32 per IR op and 256 per vector register a vector
    /// op works on): bounds the memory and time of one Cranelift compile
    /// [default: 24576].
    #[arg(long, value_name = "BYTES")]
    max_region_code: Option<usize>,
    /// JIT: most blocks of called functions a hot region takes in
    /// [default: 16].
    #[arg(long, value_name = "N")]
    max_callee_blocks: Option<usize>,
    /// JIT: blocks of called functions a hot region takes in past
    /// --max-callee-blocks when they run about as often as the region's
    /// entry, on every pass through its loop [default: 0].
    #[arg(long, value_name = "N")]
    steady_callee_blocks: Option<usize>,
    /// JIT: most guessed targets (hot blocks of the same function) a hot
    /// region takes in for an indirect jump that is not a call or a
    /// return, such as a switch's jump table; a jump with more gets none;
    /// an indirect call's guess is its last target; 0: no guesses
    /// [default: 16].
    #[arg(long, value_name = "N")]
    max_indirect_targets: Option<usize>,
}

/// `--cost-model` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CostModelArg {
    Fixed,
    Learned,
}

/// `--first-tier` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FirstTierArg {
    Baseline,
    Cranelift,
}

/// `--cold-code` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColdCodeArg {
    Baseline,
    Interp,
}

/// `--eviction` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EvictionArg {
    Lru,
    Lfu,
    Fifo,
    Value,
    Random,
}

impl Tuning {
    /// The same knobs as `ferrovm run` arguments.
    fn to_args(&self) -> Vec<OsString> {
        let mut out: Vec<OsString> = Vec::new();
        let mut put = |name: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push(format!("--{name}={v}").into());
            }
        };
        let name = |v: Option<clap::builder::PossibleValue>| v.map(|v| v.get_name().to_string());
        put("compile-threads", self.compile_threads.map(|v| v.to_string()));
        put("first-tier", self.first_tier.and_then(|v| name(v.to_possible_value())));
        put("cold-code", self.cold_code.and_then(|v| name(v.to_possible_value())));
        put("cold-runs", self.cold_runs.map(|v| v.to_string()));
        put("cost-model", self.cost_model.and_then(|v| name(v.to_possible_value())));
        put("eviction", self.eviction.and_then(|v| name(v.to_possible_value())));
        put("hot-ratio", self.hot_ratio.map(|v| v.to_string()));
        put("hot-ratio-min", self.hot_ratio_min.map(|v| v.to_string()));
        put("hot-ratio-idle-min", self.hot_ratio_idle_min.map(|v| v.to_string()));
        put("hot-ratio-max", self.hot_ratio_max.map(|v| v.to_string()));
        put("hot-window-ms", self.hot_window_ms.map(|v| v.to_string()));
        put("hot-decay", self.hot_decay.map(|v| v.to_string()));
        put("hot-horizon-ms", self.hot_horizon_ms.map(|v| v.to_string()));
        put("hot-size-weight", self.hot_size_weight.map(|v| v.to_string()));
        put("hot-time-weight", self.hot_time_weight.map(|v| v.to_string()));
        put("compile-budget", self.compile_budget.map(|v| v.to_string()));
        put("max-region-blocks", self.max_region_blocks.map(|v| v.to_string()));
        put("max-region-code", self.max_region_code.map(|v| v.to_string()));
        put("max-callee-blocks", self.max_callee_blocks.map(|v| v.to_string()));
        put("steady-callee-blocks", self.steady_callee_blocks.map(|v| v.to_string()));
        put("max-indirect-targets", self.max_indirect_targets.map(|v| v.to_string()));
        if self.no_hot_adaptive {
            out.push("--no-hot-adaptive".into());
        }
        if self.cold_opt {
            out.push("--cold-opt".into());
        }
        out
    }

    /// Applies the knobs to `config`.
    fn apply(&self, config: &mut EngineConfig) -> anyhow::Result<()> {
        if let Some(n) = self.compile_threads {
            config.compile_threads = match std::num::NonZeroUsize::new(n) {
                Some(n) => CompileThreads::Workers(n),
                None => CompileThreads::Guest,
            };
        }
        if let Some(t) = self.first_tier {
            config.first_tier = match t {
                FirstTierArg::Baseline => FirstTier::Baseline,
                FirstTierArg::Cranelift => FirstTier::Cranelift,
            };
        }
        if let Some(c) = self.cold_code {
            config.cold_code = match c {
                ColdCodeArg::Baseline => ColdCode::Baseline { interpreted: DEFAULT_COLD_RUNS },
                ColdCodeArg::Interp => ColdCode::Interpret,
            };
        }
        if let (Some(n), ColdCode::Baseline { interpreted }) = (self.cold_runs, &mut config.cold_code) {
            *interpreted = n;
        }
        config.optimize_cold = self.cold_opt;
        if let Some(m) = self.cost_model {
            config.cost_model = match m {
                CostModelArg::Fixed => CostModelKind::Fixed,
                CostModelArg::Learned => CostModelKind::Learned,
            };
        }
        if let Some(e) = self.eviction {
            config.eviction = Eviction::Builtin(match e {
                EvictionArg::Lru => EvictionKind::Lru,
                EvictionArg::Lfu => EvictionKind::Lfu,
                EvictionArg::Fifo => EvictionKind::Fifo,
                EvictionArg::Value => EvictionKind::Value,
                EvictionArg::Random => EvictionKind::Random,
            });
        }
        let h = &mut config.hotspot;
        if let Some(v) = self.hot_ratio {
            h.ratio = v;
        }
        if let Some(v) = self.hot_ratio_min {
            h.min_ratio = v;
        }
        if let Some(v) = self.hot_ratio_idle_min {
            h.idle_min_ratio = v;
        }
        if let Some(v) = self.hot_ratio_max {
            h.max_ratio = v;
        }
        h.adaptive = !self.no_hot_adaptive;
        if let Some(v) = self.hot_window_ms {
            h.window = std::time::Duration::from_millis(v);
        }
        if let Some(v) = self.hot_decay {
            h.decay = v;
        }
        if let Some(v) = self.hot_horizon_ms {
            h.horizon = std::time::Duration::from_millis(v);
        }
        if let Some(v) = self.hot_size_weight {
            h.size_weight = v;
        }
        if let Some(v) = self.hot_time_weight {
            h.time_weight = v;
        }
        if let Some(v) = self.compile_budget {
            h.compile_budget = v;
        }
        if let Some(v) = self.max_region_blocks {
            h.max_region_blocks = v;
        }
        if let Some(v) = self.max_region_code {
            h.max_region_code = v;
        }
        if let Some(v) = self.max_callee_blocks {
            h.max_callee_blocks = v;
        }
        if let Some(v) = self.steady_callee_blocks {
            h.steady_callee_blocks = v;
        }
        if let Some(v) = self.max_indirect_targets {
            h.max_indirect_targets = v;
        }
        h.validate().map_err(|e| anyhow::anyhow!("hotspot settings: {e}"))
    }
}

/// The guest environment: the host's, edited by `QEMU_SET_ENV`,
/// `QEMU_UNSET_ENV`, then the `-E`/`-U` options in command-line order
/// (QEMU's order).
fn guest_env(args: &RunArgs, matches: &ArgMatches) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut edits = Vec::new();
    if let Some(v) = std::env::var_os(qemu::var::SET_ENV) {
        edits.extend(qemu::env_items(&v, true, qemu::var::SET_ENV)?);
    }
    if let Some(v) = std::env::var_os(qemu::var::UNSET_ENV) {
        edits.extend(qemu::env_items(&v, false, qemu::var::UNSET_ENV)?);
    }
    let indices = |id: &str| matches.indices_of(id).map(Iterator::collect::<Vec<_>>).unwrap_or_default();
    let mut options: Vec<(usize, bool, &OsString)> = Vec::new();
    options.extend(indices("set_env").into_iter().zip(&args.set_env).map(|(i, v)| (i, true, v)));
    options.extend(indices("unset_env").into_iter().zip(&args.unset_env).map(|(i, v)| (i, false, v)));
    options.sort_by_key(|&(i, _, _)| i);
    for (_, set, value) in options {
        edits.extend(qemu::env_items(value, set, if set { "-E" } else { "-U" })?);
    }
    let mut env: Vec<(Vec<u8>, Vec<u8>)> =
        std::env::vars_os().map(|(k, v)| (k.into_encoded_bytes(), v.into_encoded_bytes())).collect();
    qemu::apply_env(&mut env, &edits);
    Ok(env
        .into_iter()
        .map(|(mut k, v)| {
            k.push(b'=');
            k.extend_from_slice(&v);
            k
        })
        .collect())
}

/// Environment variables the CLI reads for the engine (the library crates
/// read none): see `ferrovm run --help`.
mod env {
    /// `FERROVM_JIT_FAULT_RATE=F`: make this fraction of compiles fail
    /// (when `--jit-fault-rate` is not given).
    pub const FAULT_RATE: &str = "FERROVM_JIT_FAULT_RATE";
    /// `FERROVM_ISA=NAME`: `--isa NAME` (how the benchmark harness gives a
    /// workload an ISA no `QEMU_CPU` spelling of QEMU 7.2 names, such as
    /// `max`'s vector crypto).
    pub const ISA: &str = "FERROVM_ISA";
    /// `FERROVM_CODE_MPROTECT=1`: write code by flipping page protections
    /// with `mprotect` instead of through a writable alias.
    pub const CODE_MPROTECT: &str = "FERROVM_CODE_MPROTECT";
    /// `FERROVM_CODE_PROC_MEM=1`: write code through `/proc/self/mem`
    /// instead of through a writable alias.
    pub const CODE_PROC_MEM: &str = "FERROVM_CODE_PROC_MEM";
    /// `FERROVM_JIT_DUMP=1`: print every compiled function's machine code.
    pub const JIT_DUMP: &str = "FERROVM_JIT_DUMP";
    /// `FERROVM_PERF_MAP=1`: write `/tmp/perf-PID.map` for `perf report`.
    pub const PERF_MAP: &str = "FERROVM_PERF_MAP";
    /// `FERROVM_JIT_CL_FLAGS=name=value,...`: extra Cranelift settings.
    pub const CL_FLAGS: &str = "FERROVM_JIT_CL_FLAGS";
    /// Whether `name` is set (to anything).
    pub fn set(name: &str) -> bool {
        std::env::var_os(name).is_some()
    }
}

/// The engine configuration the flags and `FERROVM_*` variables ask for.
fn engine_config(args: &RunArgs) -> anyhow::Result<EngineConfig> {
    let mut config = EngineConfig::default();
    config.mode = match args.engine {
        EngineKind::Interp => EngineMode::Interp,
        EngineKind::Jit => EngineMode::Jit {
            tier_up: match args.hot_threshold {
                Some(n) => std::num::NonZeroU32::new(n),
                None => Some(DEFAULT_TIER_UP),
            },
        },
        EngineKind::Tiered => {
            if let Some(n) = args.hot_threshold {
                let Some(n) = std::num::NonZeroU32::new(n) else {
                    bail!("--engine tiered needs a --hot-threshold of at least 1")
                };
                config.hotspot.min_runs = n;
            }
            EngineMode::Tiered
        }
    };
    args.tuning.apply(&mut config)?;
    let rate = match args.jit_fault_rate {
        Some(r) => Some(r),
        None => match std::env::var(env::FAULT_RATE) {
            Ok(v) => Some(v.trim().parse::<f64>().with_context(|| format!("{}: bad fraction `{v}`", env::FAULT_RATE))?),
            Err(_) => None,
        },
    };
    let cranelift_flags = match std::env::var(env::CL_FLAGS) {
        Ok(v) => v
            .split(',')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, "true"));
                (k.to_string(), v.to_string())
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let jit = JitOptions {
        chaining: !args.no_chaining,
        inline_cache: !args.no_inline_cache,
        region_entries: !args.no_region_entries,
        vector_simd: !args.no_vector_simd,
        code_cache_size: args.code_cache_size,
        fault_injection: rate.filter(|r| *r > 0.0).map(|rate| FaultInjection { rate, seed: 0x9e37_79b9_7f4a_7c15 }),
        code_writes: if env::set(env::CODE_MPROTECT) {
            CodeWrites::Mprotect
        } else if env::set(env::CODE_PROC_MEM) {
            CodeWrites::ProcMem
        } else {
            CodeWrites::Auto
        },
        dump: env::set(env::JIT_DUMP),
        perf_map: args.profile.perf_map || env::set(env::PERF_MAP),
        jitdump: args.profile.jitdump.clone(),
        block_exits: false,
        cranelift_flags,
        fp: if args.soft_float { FpLowering::Soft } else { FpLowering::Host },
        mem: if args.checked_memory {
            MemAccess::Checked
        } else if args.direct_memory || args.gdb.is_some() {
            // A debugger sees the registers at every fault.
            MemAccess::Direct
        } else {
            MemAccess::Trap
        },
        // The engine puts its own `vlen` (`--vlen`, below) here.
        vlen: Default::default(),
        // The report's hottest code, sampled from what compiled code notes.
        track_current: args.stats || args.stats_json.is_some(),
    };
    config.optimize = !args.no_opt;
    config.jit = jit;
    if args.profile.profile.is_some() {
        config.profile = Some(ferrovm_engine::ProfileConfig {
            hz: args.profile.profile_hz.unwrap_or(ferrovm_engine::profile::DEFAULT_HZ),
        });
    }
    Ok(config)
}

/// `ferrovm run` and `ferrovm-riscv64`: `matches` are the parsed options
/// (for the order of `-E` and `-U`).
fn run(args: RunArgs, matches: &ArgMatches, flavor: Flavor) -> anyhow::Result<ExitCode> {
    if args.hot_threshold.is_some() && args.engine == EngineKind::Interp {
        bail!("--hot-threshold applies to --engine jit and --engine tiered");
    }
    let from_env = |name: &str| std::env::var_os(name);
    let text_of = |v: OsString, what: &str| v.into_string().map_err(|_| anyhow::anyhow!("{what} is not UTF-8"));
    let cpu = match &args.cpu {
        Some(c) => Some(c.clone()),
        None => from_env(qemu::var::CPU).map(|v| text_of(v, qemu::var::CPU)).transpose()?,
    };
    if let Some(cpu) = &cpu
        && (cpu == "help" || cpu == "?")
    {
        // QEMU lists the models and exits with status 1.
        print!("{}", cpu::help());
        return Ok(ExitCode::FAILURE);
    }
    let isa_arg = match &args.isa {
        Some(name) => Some(name.clone()),
        None => from_env(env::ISA).map(|v| text_of(v, env::ISA)).transpose()?,
    };
    let isa = match (&isa_arg, &cpu) {
        (Some(_), Some(_)) if args.cpu.is_some() && args.isa.is_some() => bail!("give one of --isa and -cpu"),
        (Some(name), _) => ExtSet::from_profile_or_isa(name).map_err(|m| {
            anyhow::anyhow!(
                "--isa {name}: not a profile (rv64gc, rva22u64, rva23u64, max) or an ISA string ferrovm implements \
                 (unknown or missing: {})",
                m.names.join(", ")
            )
        })?,
        (None, Some(cpu)) => cpu::isa(cpu)?,
        (None, None) => ExtSet::DEFAULT,
    };
    if !ExtSet::IMPLEMENTED.contains(isa) {
        let lacking: Vec<&str> = isa.iter().filter(|&e| !ExtSet::IMPLEMENTED.has(e)).map(|e| e.name()).collect();
        bail!("--isa: ferrovm does not implement {}", lacking.join(", "));
    }
    let vlen_bits = match (args.vlen, cpu.as_deref().map(cpu::vlen).transpose()?.flatten()) {
        (Some(_), Some(_)) => bail!("give one of --vlen and -cpu ...,vlen="),
        (Some(v), None) | (None, Some(v)) => Some(v),
        (None, None) => None,
    };
    let vlen = match vlen_bits {
        Some(bits) => ferrovm_engine::Vlen::new(bits)
            .ok_or_else(|| anyhow::anyhow!("--vlen {bits}: VLEN must be a power of two from 64 to 1024"))?,
        None => ferrovm_engine::Vlen::DEFAULT,
    };
    let stack_size = match &args.stack_size {
        Some(s) => qemu::stack_size(s).context("-s")?,
        None => match from_env(qemu::var::STACK_SIZE) {
            Some(v) => qemu::stack_size(&text_of(v, qemu::var::STACK_SIZE)?).context(qemu::var::STACK_SIZE)?,
            None => qemu::default_stack_size(),
        },
    };
    let selection = match &args.log.log {
        Some(list) => match diag::parse(list)? {
            Some(sel) => Some(sel),
            None => {
                // QEMU prints the categories and exits with status 1.
                print!("{}", diag::help());
                return Ok(ExitCode::FAILURE);
            }
        },
        None => None,
    };
    let strace =
        args.strace || from_env(qemu::var::STRACE).is_some() || selection.as_ref().is_some_and(|s| s.has("strace"));
    let mut engine = engine_config(&args)?;
    if let Some(sel) = &selection {
        diag::configure(sel, &mut engine);
        diag::install(sel, strace, args.log.logfile.as_deref())?;
    }
    engine.isa = isa;
    engine.vlen = vlen;
    // binfmt_misc's preserve-argv0 flag (ferrovm-riscv64 as the
    // interpreter): PROGRAM is followed by the program's own argv[0]
    // (QEMU: `if (optind + 1 < argc && preserve_argv0) optind++`).
    let (program, guest_args) = match args.command.split_first() {
        Some((program, rest)) if flavor == Flavor::Qemu && !rest.is_empty() && qemu::preserve_argv0() => {
            (PathBuf::from(program), rest)
        }
        Some((program, rest)) => (PathBuf::from(program), args.command.get(..=rest.len()).unwrap_or_default()),
        None => bail!("no program to run (usage: PROGRAM [ARGS]... after the options)"),
    };
    let argv0 = args
        .argv0
        .clone()
        .or_else(|| from_env(qemu::var::ARGV0))
        .or_else(|| guest_args.first().cloned())
        .unwrap_or_else(|| program.clone().into_os_string());
    let mut argv = vec![argv0.into_encoded_bytes()];
    argv.extend(guest_args.iter().skip(1).map(|a| a.as_encoded_bytes().to_vec()));
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).with_context(|| format!("bad mask `{s}`"));
    let (mut inherited_fds, mut cwd, mut sigmask, mut sigign) = (Vec::new(), None, 0, 0);
    for item in &args.exec_state {
        match item.split_once('=') {
            Some(("cwd", dir)) => cwd = Some(dir.as_bytes().to_vec()),
            Some(("sigmask", m)) => sigmask = hex(m)?,
            Some(("sigign", m)) => sigign = hex(m)?,
            Some(("fd", pair)) => {
                let parsed = pair.split_once(':').and_then(|(g, h)| Some((g.parse::<u64>().ok()?, h.parse().ok()?)));
                let Some(pair) = parsed else { bail!("--exec-state fd= expects GUEST:HOST, got `{pair}`") };
                inherited_fds.push(pair);
            }
            _ => bail!("unknown --exec-state item `{item}`"),
        }
    }
    let sysroot = args
        .sysroot
        .clone()
        .or_else(|| from_env(qemu::var::LD_PREFIX).filter(|p| !p.is_empty()).map(PathBuf::from))
        .or_else(ferrovm_linux::default_sysroot);
    // What a guest execve passes to the ferrovm that runs the new program.
    // The new program runs on the same engine with the same switches.
    let engine_name =
        args.engine.to_possible_value().map_or_else(|| "interp".to_string(), |v| v.get_name().to_string());
    // Options given on the command line are passed on; `QEMU_*` variables
    // are read again from the environment the guest passes (as QEMU run by
    // binfmt_misc would read them).
    let mut reexec_args: Vec<OsString> = match flavor {
        Flavor::Ferrovm => vec!["run".into()],
        Flavor::Qemu => Vec::new(),
    };
    reexec_args.extend(["--engine".into(), engine_name.into()]);
    if let Some(n) = args.hot_threshold {
        reexec_args.extend(["--hot-threshold".into(), n.to_string().into()]);
    }
    if args.no_chaining {
        reexec_args.push("--no-chaining".into());
    }
    if args.no_inline_cache {
        reexec_args.push("--no-inline-cache".into());
    }
    if args.no_region_entries {
        reexec_args.push("--no-region-entries".into());
    }
    if args.no_vector_simd {
        reexec_args.push("--no-vector-simd".into());
    }
    if args.soft_float {
        reexec_args.push("--soft-float".into());
    }
    if args.direct_memory {
        reexec_args.push("--direct-memory".into());
    }
    if args.checked_memory {
        reexec_args.push("--checked-memory".into());
    }
    if args.engine != EngineKind::Interp {
        reexec_args.extend(["--code-cache-size".into(), args.code_cache_size.to_string().into()]);
    }
    reexec_args.extend(args.tuning.to_args());
    if let Some(rate) = args.jit_fault_rate {
        reexec_args.extend(["--jit-fault-rate".into(), rate.to_string().into()]);
    }
    if args.strace {
        reexec_args.push("--strace".into());
    }
    if let Some(size) = &args.stack_size {
        reexec_args.push(format!("--stack-size={size}").into());
    }
    if args.no_huge_pages {
        reexec_args.push("--no-huge-pages".into());
    }
    if let Some(isa) = &args.isa {
        reexec_args.push(format!("--isa={isa}").into());
    }
    if let Some(cpu) = &args.cpu {
        reexec_args.push(format!("--cpu={cpu}").into());
    }
    if let Some(vlen) = args.vlen {
        reexec_args.push(format!("--vlen={vlen}").into());
    }
    if args.no_opt {
        reexec_args.push("--no-opt".into());
    }
    if let Some(dir) = &args.sysroot {
        reexec_args.push("-L".into());
        reexec_args.push(dir.clone().into_os_string());
    }
    if let Some(dir) = &args.root {
        reexec_args.push("--root".into());
        reexec_args.push(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()).into_os_string());
    }
    let options = Options {
        argv,
        envp: guest_env(&args, matches)?,
        strace,
        engine,
        sysroot,
        root: args.root.clone(),
        reexec_args,
        inherited_fds,
        cwd,
        sigmask,
        sigign,
        stack_size: Some(stack_size),
        huge_pages: if args.no_huge_pages { HugePages::Off } else { HugePages::Large },
    };
    let gdb_port = match args.gdb {
        Some(port) => Some(port),
        None => match from_env(qemu::var::GDB) {
            Some(v) => Some(text_of(v, qemu::var::GDB)?.parse::<u16>().context(qemu::var::GDB)?),
            None => None,
        },
    };
    let pid = std::process::id();
    let mut process = Process::load(&program, options)?;
    let stub = match gdb_port {
        Some(port) => {
            let listener = std::net::TcpListener::bind(("127.0.0.1", port))
                .with_context(|| format!("-g: cannot listen on port {port}"))?;
            if port == 0 {
                eprintln!("ferrovm: gdb stub listening on port {}", listener.local_addr()?.port());
            }
            // gdb's `kill`: the program dies as of SIGKILL.
            let kill = || ExitStatus::Signaled(ferrovm_linux::Signal::SIGKILL).end_host_process();
            Some(ferrovm_gdb::Stub::start(&process, listener, kill))
        }
        None => None,
    };
    let status = process.run().context("running the guest")?;
    if let Some(stub) = stub {
        stub.finish(status);
    }
    // A forked child returns here too: only the process started writes
    // the profile.
    if let Some(path) = &args.profile.profile
        && std::process::id() == pid
        && let Some(p) = process.vm().profile()
    {
        profile::write(path, &p, process.symbols())?;
    }
    if args.stats || args.stats_json.is_some() {
        // Every thread's work: the VM adds up its vCPUs and workers.
        let report = process.vm().report();
        if args.stats {
            eprintln!("ferrovm: guest instructions retired {:>12}\n{report}", report.stats.insns_retired);
        }
        if let Some(path) = &args.stats_json {
            std::fs::write(path, report.to_json())
                .with_context(|| format!("cannot write the statistics to {}", path.display()))?;
        }
    }
    if args.profile.jitdump.is_none() {
        // The kernel takes back the guest's memory, the code cache and the
        // translation table at exit at once; dropping them piece by piece
        // (tens of thousands of translations) was 2% of a python3
        // start-up. Nothing else is left to write: the guest's files are
        // host descriptors, unbuffered. (The jitdump writer closes its
        // file when dropped, so with --jitdump the process is dropped.)
        std::mem::forget(process);
    }
    match status {
        ExitStatus::Exited(code) => Ok(ExitCode::from(code as u8)),
        status @ ExitStatus::Signaled(_) => status.end_host_process(),
    }
}

fn disasm(program: PathBuf) -> anyhow::Result<ExitCode> {
    let data = std::fs::read(&program).with_context(|| format!("cannot read {}", program.display()))?;
    let name = program.display().to_string();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    ferrovm_riscv::disassemble_elf_named(&name, &data, &mut out).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The program name a binary was started as, without its directory.
fn invoked_as() -> Option<String> {
    let arg0 = std::env::args_os().next()?;
    Some(PathBuf::from(arg0).file_name()?.to_string_lossy().into_owned())
}

/// The `ferrovm` and `ferrovm-riscv64` binaries. A `ferrovm` started under
/// a name beginning with `ferrovm-riscv64` (a link) takes QEMU's syntax too.
pub fn main(flavor: Flavor) -> ExitCode {
    let flavor = match invoked_as() {
        Some(name) if name.starts_with("ferrovm-riscv64") => Flavor::Qemu,
        _ => flavor,
    };
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let result = match flavor {
        Flavor::Ferrovm => {
            let mut cmd = Cli::command();
            if args.get(1).is_some_and(|a| a == "run")
                && let Some(run) = cmd.find_subcommand_mut("run")
            {
                qemu::spellings(run, &mut args, 2);
            }
            let matches = cmd.get_matches_from(args);
            let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
            match cli.command {
                Command::Run(run_args) => match matches.subcommand_matches("run") {
                    Some(m) => run(*run_args, m, flavor),
                    None => Err(anyhow::anyhow!("internal error: no matches for run")),
                },
                Command::Disasm { program } => disasm(program),
                Command::Binfmt(b) => binfmt::run(&b).map(|()| ExitCode::SUCCESS),
            }
        }
        Flavor::Qemu => {
            let mut cmd = QemuCli::command();
            qemu::spellings(&mut cmd, &mut args, 1);
            let matches = cmd.get_matches_from(args);
            let cli = QemuCli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
            run(cli.run, &matches, flavor)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferrovm: {e:#}");
            ExitCode::from(125)
        }
    }
}
