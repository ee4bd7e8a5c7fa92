//! Differential testing of ferrovm against `qemu-riscv64` on random
//! instruction sequences.
//!
//! A seeded generator ([`generator`]) makes cases: initial values for x1..x31,
//! f0..f31, fcsr and a 512-byte scratch buffer, drawn from the values that
//! matter (0, ±1, integer extremes, ±0.0, infinities, quiet and signalling
//! NaNs, subnormals, rounding boundaries, improperly NaN-boxed singles), plus
//! a sequence of up to 24 instruction groups over RV64 I, M, A, F, D, C,
//! Zicsr, Zifencei, Zba, Zbb, Zbc and Zbs with every rounding mode. [`elf`]
//! wraps a batch of cases into one tiny static ELF that loads each case's
//! state, runs its sequence and writes all registers, fcsr and the scratch
//! buffer to stdout. [`run`] runs the ELF under QEMU (the oracle) and ferrovm
//! and compares the dumps location by location.
//!
//! # Two oracles
//!
//! `--oracle qemu7` (the default) compares with Debian 12's `qemu-riscv64`
//! 7.2 (`$FERROVM_QEMU`, else `qemu-riscv64` on `PATH`), and generates
//! what it has. `--oracle qemu10` compares with QEMU 10 `-cpu max`
//! (`$FERROVM_QEMU_NEW`, else `target/qemu-10/qemu-riscv64`, which
//! `tests/qemu/fetch.sh` fetches) and generates the RVA23U64 extensions
//! 7.2 lacks too — Zicond, Zfa, Zimop, Zcmop, Zcb, Zawrs, `cbo.clean`,
//! `cbo.flush`, `cbo.zero` — and with `--vector` Zvbb, Zvbc and the vector
//! crypto extensions (Zvkned, Zvknhb, Zvkg, Zvksed, Zvksh). The choice is
//! [`oracle::Oracle`], which the generator takes
//! ([`generator::Case::generate_for`]); the same seed gives the same QEMU
//! 7.2 cases it always did, less (in vector cases) the reserved encodings
//! of V 1.0 §5.2 that ferrovm and QEMU 10 reject and QEMU 7.2 runs. QEMU
//! 10's own bugs and those encodings are in `KNOWN_QEMU_DIFFERENCES.md`,
//! section 3.
//!
//! # Running
//!
//! ```text
//! # a few thousand cases, part of the normal test suite
//! cargo build -p ferrovm-cli --release    # the ferrovm binary under test
//! cargo test -p ferrovm-difftest
//!
//! # the long mode: 100,000 cases, 2 processes at a time
//! cargo run -p ferrovm-difftest --release -- --cases 100000 --jobs 2
//! # one failing case again, with its listing
//! cargo run -p ferrovm-difftest --release -- --replay 0x1234abcd
//! # V 1.0 integer and FP sequences (VLEN 128) instead of scalar ones
//! cargo run -p ferrovm-difftest --release -- --vector --cases 100000 --jobs 2
//! # against QEMU 10 (tests/qemu/fetch.sh first), with RVA23U64's scalar
//! # extensions, and with Zvbb, Zvbc and vector crypto
//! cargo run -p ferrovm-difftest --release -- --oracle qemu10 --cases 100000
//! cargo run -p ferrovm-difftest --release -- --oracle qemu10 --vector --cases 100000
//! # the same at VLEN 256 (QEMU vlen=256, ferrovm --vlen=256; also 512, 1024)
//! cargo run -p ferrovm-difftest --release -- --vector --vlen 256 --cases 100000
//! # every case compiled (first-run code only: a case runs each block once)
//! cargo run -p ferrovm-difftest --release -- --ferrovm-arg=--engine=jit
//! # every block compiled as an optimized region before it runs (on the
//! # guest thread, so the same code runs every time)
//! cargo run -p ferrovm-difftest --release -- --ferrovm-arg=--engine=jit \
//!     --ferrovm-arg=--hot-threshold=1 --ferrovm-arg=--compile-threads=0
//! # the same with each sequence run 3 times in a loop: each case's loop is
//! # one compiled region, back edge and all (see `elf::LOOP_REG`)
//! cargo run -p ferrovm-difftest --release -- --loop 3 --ferrovm-arg=--engine=jit \
//!     --ferrovm-arg=--hot-threshold=1 --ferrovm-arg=--compile-threads=0
//! ```
//!
//! With `--hot-threshold=1` but compile workers, which code a block runs
//! depends on timing: its first-run code asks for its region and runs
//! while a worker compiles it, so straight-line cases mostly test
//! first-run code; `--compile-threads=0` makes the guest thread wait.
//!
//! A run that writes no record for `--stall-timeout` seconds (default
//! [`run::STALL_TIMEOUT`], 30 s) is killed and the case it was in counts as
//! a divergence, a timeout (the summary says how many); the rest of the
//! batch runs again from the next case. The limit is per case, so a batch
//! under a loaded machine is never cut short while it makes progress.
//!
//! The long mode ends with `N cases, M divergences` (exit status 1 if M > 0);
//! each divergence prints the case seed, the sequence with encodings, the
//! initial registers and every differing register/fcsr/memory word. Where
//! QEMU 7.2 itself breaks the spec, QEMU runs a spec-equivalent substitute and
//! the summary says how many cases relied on it ([`known`],
//! `KNOWN_QEMU_DIFFERENCES.md`, which also lists what is not generated and
//! why).
//!
//! Without `qemu-riscv64` (or without QEMU 10, for the `qemu10_*` tests)
//! the tests skip (fail with `FERROVM_REQUIRE_ORACLES=1`). The ferrovm binary is `$FERROVM_BIN`, or the
//! newer of `target/{release,debug}/ferrovm`; without it (or if it cannot
//! run the empty probe case yet) only QEMU runs, which still checks that
//! every generated program is valid and deterministic.
//!
//! ```no_run
//! use ferrovm_difftest::oracle::Oracle;
//! use ferrovm_difftest::run::{Campaign, Subprocess, run_campaign};
//! let qemu = Subprocess::qemu().expect("qemu-riscv64 installed");
//! let ferrovm = Subprocess::ferrovm();
//! let c = Campaign {
//!     seed: 1, first: 0, cases: 1000, batch: 200, jobs: 2, max_reports: 5, progress: false, vector: None, iterations: 1,
//!     oracle: Oracle::Qemu72,
//! };
//! let s = run_campaign(&c, &qemu, ferrovm.as_ref().map(|f| f as _))?;
//! println!("{} cases, {} divergences", s.cases, s.divergences);
//! # anyhow::Ok(())
//! ```

pub mod elf;
pub mod generator;
pub mod isa;
pub mod known;
pub mod oracle;
pub mod run;
pub mod rvc;
pub mod values;
pub mod vector;
