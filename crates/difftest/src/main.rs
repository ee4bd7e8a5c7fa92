//! `ferrovm-difftest`: the long differential-testing mode.

use anyhow::{Result, bail};
use clap::Parser;
use ferrovm_difftest::generator::Case;
use ferrovm_difftest::oracle::Oracle;
use ferrovm_difftest::run::{Campaign, Runner, Subprocess, run_campaign, run_cases};
use ferrovm_difftest::vector::VLENS;

fn main() -> Result<()> {
    let args = Args::parse();
    let Some(vlen) = VLENS.iter().copied().find(|&v| v == args.vlen) else {
        bail!("--vlen {}: the vector mode runs at VLEN {VLENS:?}", args.vlen)
    };
    let vector = args.vector.then_some(vlen);
    let oracle = args.oracle;
    let Some(mut qemu) = Subprocess::oracle(oracle, vector) else {
        match oracle {
            Oracle::Qemu72 => bail!("qemu-riscv64 not found (set FERROVM_QEMU)"),
            Oracle::Qemu10 => {
                bail!("QEMU 10 not found (run tests/qemu/fetch.sh, or set FERROVM_QEMU_NEW)")
            }
        }
    };
    let stall = std::time::Duration::from_secs(args.stall_timeout);
    qemu.stall_timeout = stall;
    let mut ferrovm = Subprocess::ferrovm();
    if let Some(f) = &mut ferrovm {
        f.stall_timeout = stall;
        if let Some(vlen) = vector {
            f.args.extend(ferrovm_difftest::vector::ferrovm_args(vlen));
        }
        f.args.extend(args.ferrovm_args.iter().cloned());
    }
    let iterations = args.iterations.max(1);
    let make = move |seed| {
        let case = match vector {
            Some(vlen) => Case::generate_vector_for(seed, vlen, oracle),
            None => Case::generate_for(seed, oracle),
        };
        Case { iterations, ..case }
    };
    match &ferrovm {
        _ if args.qemu_only => eprintln!("oracle {} only", qemu.program.display()),
        Some(f) => eprintln!(
            "oracle {} {}, subject {} {}",
            qemu.program.display(),
            qemu.args.join(" "),
            f.program.display(),
            f.args.join(" ")
        ),
        None => bail!("no ferrovm binary (build it, set FERROVM_BIN, or pass --qemu-only)"),
    }
    let subject = if args.qemu_only { None } else { ferrovm.as_ref().map(|f| f as &dyn Runner) };
    if let Some(seed) = args.replay {
        let case = make(seed);
        println!("case seed {seed:#x}:\n{}", case.listing());
    }
    let summary = if let Some(seed) = args.replay {
        run_cases(&[make(seed)], &qemu, subject, 1)?
    } else {
        let campaign = Campaign {
            seed: args.seed,
            first: args.first_case,
            cases: args.cases,
            batch: args.batch,
            jobs: args.jobs,
            max_reports: args.max_reports,
            progress: true,
            vector,
            iterations,
            oracle,
        };
        let looped = if iterations > 1 { format!(", each looped {iterations} times") } else { String::new() };
        let vlen = vector.map(|v| format!(", vector at VLEN {v}")).unwrap_or_default();
        if args.first_case >= args.cases {
            bail!("--first-case {} leaves no case of the {} (it counts from 0)", args.first_case, args.cases);
        }
        let from = match args.first_case {
            0 => String::new(),
            n => format!(" (cases {n}..{})", args.cases),
        };
        eprintln!(
            "seed {:#x}: {} cases{from} in batches of {}, {} jobs{looped}{vlen}",
            args.seed,
            args.cases.saturating_sub(args.first_case),
            args.batch,
            args.jobs
        );
        run_campaign(&campaign, &qemu, subject)?
    };
    for e in &summary.harness_errors {
        println!("HARNESS ERROR: {e}");
    }
    for d in &summary.reports {
        println!("{d}");
    }
    for (name, n) in &summary.known_qemu {
        println!("known QEMU bug worked around ({name}): {n} cases");
    }
    match summary.timeouts {
        0 => println!("{} cases, {} divergences", summary.cases, summary.divergences),
        t => println!("{} cases, {} divergences ({t} of them timeouts)", summary.cases, summary.divergences),
    }
    if summary.divergences > 0 || !summary.harness_errors.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

#[derive(Parser)]
#[command(about = "Differential testing of ferrovm against qemu-riscv64 on random instruction sequences")]
struct Args {
    /// Random V 1.0 integer and floating-point sequences (at `--vlen`; QEMU
    /// runs with `-cpu rv64,v=true,vlen=VLEN,vext_spec=v1.0`, ferrovm with
    /// `--isa=max --vlen=VLEN`).
    #[arg(long)]
    vector: bool,
    /// The QEMU to compare with, and so what the generator emits:
    /// `qemu7` (Debian 12's `qemu-riscv64` 7.2, or `$FERROVM_QEMU`: RV64GC,
    /// Zba, Zbb, Zbc, Zbs, Zfh, Zbkb, Zbkx; V 1.0 with `--vector`) or
    /// `qemu10` (QEMU 10, `-cpu max`: `$FERROVM_QEMU_NEW`, else
    /// `target/qemu-10/qemu-riscv64` from `tests/qemu/fetch.sh`; adds
    /// Zicond, Zfa, Zimop, Zcmop, Zcb, Zawrs, `cbo.clean`, `cbo.flush` and
    /// `cbo.zero`, and with
    /// `--vector` Zvbb, Zvbc, Zvkned, Zvknhb, Zvkg, Zvksed and Zvksh). The
    /// same seed gives the same `qemu7` cases as before `qemu10` existed
    /// (the vector ones less the reserved encodings QEMU 7.2 runs and
    /// ferrovm rejects, V 1.0 §5.2).
    #[arg(long, default_value = "qemu7", value_name = "qemu7|qemu10")]
    oracle: Oracle,
    /// VLEN of the `--vector` cases: 128, 256, 512 or 1024.
    #[arg(long, default_value_t = ferrovm_difftest::vector::DEFAULT_VLEN, requires = "vector")]
    vlen: u32,
    /// Number of cases.
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    /// Start at case N of the campaign (its cases N..CASES run): finishes
    /// a campaign that was stopped, on the same seed (a progress line
    /// "batch K/…" counts K x BATCH cases done, from case 0 or from N).
    #[arg(long, value_name = "N", default_value_t = 0)]
    first_case: u64,
    /// Campaign seed (case i has seed splitmix(seed, i)).
    #[arg(long, default_value_t = 1, value_parser = parse_u64)]
    seed: u64,
    /// Cases per ELF.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Batches run at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Divergence reports printed (all are counted).
    #[arg(long, default_value_t = 20)]
    max_reports: usize,
    /// Seconds a run may go without finishing a case (writing its record)
    /// before it is killed and the case counts as a timeout. Per case, not
    /// per batch: see `run::STALL_TIMEOUT` for why 30 s.
    #[arg(long, value_name = "SECS", default_value_t = ferrovm_difftest::run::STALL_TIMEOUT.as_secs())]
    stall_timeout: u64,
    /// Run each case's sequence this many times in a loop (a back edge
    /// for the JIT: with `--hot-threshold=1` the loop becomes one
    /// optimized region, FP registers carried around it). With `--vector`
    /// each iteration starts from what the last one left: `v0..v15` (read
    /// back from the scratch bytes it stored them to) and `x25`, `x28..x30`
    /// (its last `vsetvli` and CSR reads); `x31`, the loop counter, ends
    /// as 0 instead of holding `vxrm`.
    #[arg(long = "loop", value_name = "N", default_value_t = 1)]
    iterations: u32,
    /// Run one case, by its case seed (printed in every report).
    #[arg(long, value_parser = parse_u64)]
    replay: Option<u64>,
    /// Run only QEMU (validates the generated programs).
    #[arg(long)]
    qemu_only: bool,
    /// An extra `ferrovm run` argument (repeatable), e.g.
    /// `--ferrovm-arg=--engine=jit` so every block runs compiled (the
    /// default engine interprets code that runs once, as these cases do).
    #[arg(long = "ferrovm-arg", value_name = "ARG", allow_hyphen_values = true)]
    ferrovm_args: Vec<String>,
}

fn parse_u64(s: &str) -> Result<u64, String> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    }
    .map_err(|e| e.to_string())
}
