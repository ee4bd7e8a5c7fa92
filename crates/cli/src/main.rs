//! The `ferrovm` command: run riscv64 Linux programs, disassemble them.
//!
//! This file only parses arguments, sets up output and maps results to exit
//! codes; everything else lives in the library crates.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use ferrovm_engine::{
    CodeWrites, CompileThreads, CostModelKind, DEFAULT_TIER_UP, EngineConfig, EngineMode, Eviction, EvictionKind,
    FaultInjection, FpLowering, JitOptions,
};
use ferrovm_linux::{ExitStatus, Options, Process};

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
    #[command(trailing_var_arg = true, after_help = RUN_ENV_HELP)]
    Run(Box<RunArgs>),
    /// Disassemble every executable section of a riscv64 ELF file, in the
    /// format of `riscv64-linux-gnu-objdump -d`.
    Disasm {
        /// The ELF file.
        program: PathBuf,
    },
}

/// The environment variables `ferrovm run` reads (the library crates read
/// none; see `mod env`).
const RUN_ENV_HELP: &str = "\
Environment:
  QEMU_LD_PREFIX=DIR         the sysroot when -L is not given
  FERROVM_JIT_FAULT_RATE=F   make this fraction of compiles fail (testing the fallback)
  FERROVM_CODE_MPROTECT=1    write compiled code by flipping page protections with
                             mprotect instead of through /proc/self/mem
  FERROVM_PERF_MAP=1         write /tmp/perf-PID.map so perf report names compiled code
  FERROVM_JIT_DUMP=1         print every compiled function's machine code on stderr
  FERROVM_JIT_CL_FLAGS=k=v,. extra Cranelift settings (an experiment knob)

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
    /// result), like `qemu-riscv64 -strace`.
    #[arg(long)]
    strace: bool,
    /// Set VAR=VALUE in the guest environment (repeatable).
    #[arg(short = 'E', value_name = "VAR=VALUE")]
    set_env: Vec<String>,
    /// Remove VAR from the guest environment (repeatable).
    #[arg(short = 'U', value_name = "VAR")]
    unset_env: Vec<String>,
    /// Where the dynamic linker and shared libraries of a dynamically linked
    /// program are found (a riscv64 sysroot). Default: $QEMU_LD_PREFIX, else
    /// /usr/riscv64-linux-gnu if it exists.
    #[arg(short = 'L', long = "sysroot", value_name = "DIR")]
    sysroot: Option<PathBuf>,
    /// Confined mode: DIR becomes the guest's `/`. Every path the guest names
    /// resolves inside DIR (openat2 RESOLVE_IN_ROOT): `..`, symlinks and
    /// /proc tricks cannot leave it. Without --root the guest sees the host's
    /// files with ferrovm's permissions: that mode is not a security boundary.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// argv[0] for the program (default: PROGRAM as given).
    #[arg(long, value_name = "ARG")]
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
    /// JIT: floating point through SoftFloat calls instead of the host
    /// FPU (same results and flags; for measurement, and for hosts where
    /// the FPU path cannot run).
    #[arg(long)]
    soft_float: bool,
    /// JIT: code-cache budget in bytes; when full, the eviction policy
    /// picks translations to evict (never exceeded).
    #[arg(long, value_name = "BYTES", default_value_t = JitOptions::default().code_cache_size)]
    code_cache_size: usize,
    #[command(flatten)]
    tuning: Tuning,
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
    /// The riscv64 program to run.
    program: PathBuf,
    /// Arguments passed to the program.
    #[arg(allow_hyphen_values = true)]
    args: Vec<OsString>,
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
    /// Tiered engine: bounds of the adapted ratio [default: 0.25 and 64].
    #[arg(long, value_name = "RATIO")]
    hot_ratio_min: Option<f64>,
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
}

/// `--cost-model` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CostModelArg {
    Fixed,
    Learned,
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
        put("cost-model", self.cost_model.and_then(|v| name(v.to_possible_value())));
        put("eviction", self.eviction.and_then(|v| name(v.to_possible_value())));
        put("hot-ratio", self.hot_ratio.map(|v| v.to_string()));
        put("hot-ratio-min", self.hot_ratio_min.map(|v| v.to_string()));
        put("hot-ratio-max", self.hot_ratio_max.map(|v| v.to_string()));
        put("hot-window-ms", self.hot_window_ms.map(|v| v.to_string()));
        put("hot-decay", self.hot_decay.map(|v| v.to_string()));
        put("hot-horizon-ms", self.hot_horizon_ms.map(|v| v.to_string()));
        put("hot-size-weight", self.hot_size_weight.map(|v| v.to_string()));
        put("hot-time-weight", self.hot_time_weight.map(|v| v.to_string()));
        put("compile-budget", self.compile_budget.map(|v| v.to_string()));
        put("max-region-blocks", self.max_region_blocks.map(|v| v.to_string()));
        if self.no_hot_adaptive {
            out.push("--no-hot-adaptive".into());
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
        h.validate().map_err(|e| anyhow::anyhow!("hotspot settings: {e}"))
    }
}

fn guest_env(args: &RunArgs) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut env: Vec<(Vec<u8>, Vec<u8>)> =
        std::env::vars_os().map(|(k, v)| (k.into_encoded_bytes(), v.into_encoded_bytes())).collect();
    for var in &args.unset_env {
        env.retain(|(k, _)| k != var.as_bytes());
    }
    for item in &args.set_env {
        let Some((k, v)) = item.split_once('=') else {
            bail!("-E expects VAR=VALUE, got `{item}`");
        };
        env.retain(|(key, _)| key != k.as_bytes());
        env.push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
    }
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
    /// `FERROVM_CODE_MPROTECT=1`: write code by flipping page protections
    /// with `mprotect` instead of through `/proc/self/mem`.
    pub const CODE_MPROTECT: &str = "FERROVM_CODE_MPROTECT";
    /// `FERROVM_JIT_DUMP=1`: print every compiled function's machine code.
    pub const JIT_DUMP: &str = "FERROVM_JIT_DUMP";
    /// `FERROVM_PERF_MAP=1`: write `/tmp/perf-PID.map` for `perf report`.
    pub const PERF_MAP: &str = "FERROVM_PERF_MAP";
    /// `FERROVM_JIT_CL_FLAGS=name=value,...`: extra Cranelift settings.
    pub const CL_FLAGS: &str = "FERROVM_JIT_CL_FLAGS";
    /// `QEMU_LD_PREFIX=DIR`: the sysroot when `-L` is not given.
    pub const LD_PREFIX: &str = "QEMU_LD_PREFIX";

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
        code_cache_size: args.code_cache_size,
        fault_injection: rate.filter(|r| *r > 0.0).map(|rate| FaultInjection { rate, seed: 0x9e37_79b9_7f4a_7c15 }),
        code_writes: if env::set(env::CODE_MPROTECT) { CodeWrites::Mprotect } else { CodeWrites::Auto },
        dump: env::set(env::JIT_DUMP),
        perf_map: env::set(env::PERF_MAP),
        cranelift_flags,
        fp: if args.soft_float { FpLowering::Soft } else { FpLowering::Host },
    };
    config.optimize = !args.no_opt;
    config.jit = jit;
    Ok(config)
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.hot_threshold.is_some() && args.engine == EngineKind::Interp {
        bail!("--hot-threshold applies to --engine jit and --engine tiered");
    }
    let engine = engine_config(&args)?;
    let argv0 = args.argv0.clone().unwrap_or_else(|| args.program.clone().into_os_string());
    let mut argv = vec![argv0.into_encoded_bytes()];
    argv.extend(args.args.iter().map(|a| a.as_encoded_bytes().to_vec()));
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
        .or_else(|| std::env::var_os(env::LD_PREFIX).filter(|p| !p.is_empty()).map(PathBuf::from))
        .or_else(ferrovm_linux::default_sysroot);
    // What a guest execve passes to the ferrovm that runs the new program.
    // The new program runs on the same engine with the same switches.
    let engine_name =
        args.engine.to_possible_value().map_or_else(|| "interp".to_string(), |v| v.get_name().to_string());
    let mut reexec_args: Vec<OsString> = vec!["--engine".into(), engine_name.into()];
    if let Some(n) = args.hot_threshold {
        reexec_args.extend(["--hot-threshold".into(), n.to_string().into()]);
    }
    if args.no_chaining {
        reexec_args.push("--no-chaining".into());
    }
    if args.no_inline_cache {
        reexec_args.push("--no-inline-cache".into());
    }
    if args.soft_float {
        reexec_args.push("--soft-float".into());
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
        envp: guest_env(&args)?,
        strace: args.strace,
        engine,
        sysroot,
        root: args.root.clone(),
        reexec_args,
        inherited_fds,
        cwd,
        sigmask,
        sigign,
    };
    let mut process = Process::load(&args.program, options)?;
    let status = process.run().context("running the guest")?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(*args),
        Command::Disasm { program } => disasm(program),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferrovm: {e:#}");
            ExitCode::from(125)
        }
    }
}
