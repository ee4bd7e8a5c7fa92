//! The harness under qemu-riscv64, and ferrovm against qemu-riscv64.

use ferrovm_difftest::elf::{self, RECORD_BYTES};
use ferrovm_difftest::generator::{Case, SCRATCH_BYTES, case_seed};
use ferrovm_difftest::oracle::Oracle;
use ferrovm_difftest::run::{Campaign, Exit, Program, Runner, Subprocess, run_campaign, run_cases};
use ferrovm_difftest::vector::{self, VLENS};

/// qemu-riscv64, or `None` (skip) — a failure if `FERROVM_REQUIRE_ORACLES=1`.
fn qemu() -> Option<Subprocess> {
    let q = Subprocess::qemu();
    if q.is_none() {
        assert!(
            std::env::var("FERROVM_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "qemu-riscv64 not found and FERROVM_REQUIRE_ORACLES=1"
        );
        eprintln!("SKIP: qemu-riscv64 not installed");
    }
    q
}

/// The ferrovm binary if it exists and runs the probe (one case with an
/// empty sequence) exactly like QEMU. A binary that cannot yet is skipped
/// with a message — unless `FERROVM_REQUIRE_ORACLES=1`, where it fails.
fn ferrovm(qemu: &Subprocess) -> Option<Subprocess> {
    let require = std::env::var("FERROVM_REQUIRE_ORACLES").as_deref() == Ok("1");
    let Some(f) = Subprocess::ferrovm() else {
        assert!(!require, "no ferrovm binary and FERROVM_REQUIRE_ORACLES=1");
        eprintln!("SKIP ferrovm side: no ferrovm binary (cargo build -p ferrovm-cli --release, or set FERROVM_BIN)");
        return None;
    };
    let mut probe = Case::generate(0);
    probe.code.clear();
    let s = run_cases(&[probe], qemu, Some(&f), 1).expect("running the probe");
    if s.divergences != 0 || !s.harness_errors.is_empty() {
        let why = s.reports.first().map(|d| d.to_string()).unwrap_or_default();
        assert!(!require, "{} fails the probe case:\n{why}", f.program.display());
        eprintln!("SKIP ferrovm side: {} cannot run the probe case yet:\n{why}", f.program.display());
        return None;
    }
    Some(f)
}

#[test]
fn harness_runs_under_qemu_and_is_deterministic() {
    let Some(q) = qemu() else { return };
    let cases: Vec<Case> = (0..300).map(|i| Case::generate(case_seed(99, i))).collect();
    let image = elf::build(&cases, elf::Side::Oracle);
    let path = std::env::temp_dir().join(format!("ferrovm-difftest-det-{}.elf", std::process::id()));
    std::fs::write(&path, &image).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let program = Program { elf: &image, path: &path };
    let a = q.run(&program).unwrap();
    let b = q.run(&program).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(a.exit, Exit::Code(0), "{}", a.stderr);
    assert_eq!(a.stdout.len(), cases.len() * RECORD_BYTES);
    assert!(a.stdout == b.stdout, "two qemu runs of the same batch differ");
}

/// The CI-sized campaign: 3,000 cases against QEMU, and against ferrovm
/// when it can run them.
#[test]
fn three_thousand_cases() {
    let Some(q) = qemu() else { return };
    let f = ferrovm(&q);
    let seed = std::env::var("FERROVM_DIFFTEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_0001);
    let c = Campaign {
        seed,
        cases: 3000,
        first: 0,
        batch: 200,
        jobs: 2,
        max_reports: 10,
        progress: false,
        vector: None,
        iterations: 1,
        oracle: Oracle::Qemu72,
    };
    let s = run_campaign(&c, &q, f.as_ref().map(|f| f as &dyn Runner)).unwrap();
    for e in &s.harness_errors {
        eprintln!("HARNESS ERROR: {e}");
    }
    for d in &s.reports {
        eprintln!("{d}");
    }
    for (name, n) in &s.known_qemu {
        eprintln!("known QEMU bug worked around ({name}): {n} cases");
    }
    eprintln!("{} cases, {} compared with ferrovm, {} divergences", s.cases, s.compared, s.divergences);
    assert!(s.harness_errors.is_empty(), "the oracle rejected generated programs");
    assert_eq!(s.divergences, 0, "ferrovm diverges from qemu-riscv64");
}

/// A small vector campaign at VLEN 128 and 256 (V 1.0 integer and FP
/// sequences; the long one is `ferrovm-difftest --vector --vlen N`).
#[test]
fn two_hundred_vector_cases_at_vlen_128_and_256() {
    let Some(q) = qemu() else { return };
    for vlen in [128, 256] {
        let Some(q) = Subprocess::qemu_vector(vlen) else { return };
        let mut f = ferrovm(&q);
        if let Some(f) = &mut f {
            f.args.extend(vector::ferrovm_args(vlen));
        }
        let c = Campaign {
            seed: 0x7ec,
            cases: 200,
            first: 0,
            batch: 200,
            jobs: 1,
            max_reports: 5,
            progress: false,
            vector: Some(vlen),
            iterations: 1,
            oracle: Oracle::Qemu72,
        };
        let s = run_campaign(&c, &q, f.as_ref().map(|f| f as &dyn Runner)).unwrap();
        for d in &s.reports {
            eprintln!("{d}");
        }
        assert!(
            s.harness_errors.is_empty(),
            "VLEN {vlen}: the oracle rejected vector programs: {:?}",
            s.harness_errors
        );
        assert_eq!(s.divergences, 0, "ferrovm diverges from qemu-riscv64 on vector cases at VLEN {vlen}");
    }
    drop(q);
}

/// The vector harness's layout at every VLEN, under QEMU (with the same
/// `vlen=`) and ferrovm (with the same `--vlen`): a hand-written case that
/// sets `v1` to all ones and `v8..v15` (e64, m8) to 0, 1, 2, … must give a
/// record whose scratch buffer is `scratch_bytes(vlen)` long, with the
/// lower half and the other registers as they started, `v1`'s VLEN/8 bytes
/// all 0xff at `regs_at + VLEN/8` and the indices from `regs_at + VLEN`
/// on; `vl` (x28) the last `vsetvli`'s VLMAX. A layout made for 16-byte
/// registers fails this at any VLEN but 128.
#[test]
fn vector_register_dump_layout_at_every_vlen() {
    let Some(_) = qemu() else { return };
    let opv = |f6: u32, vs2: u32, s1: u32, f3: u32, vd: u32| {
        f6 << 26 | 1 << 25 | vs2 << 20 | s1 << 15 | f3 << 12 | vd << 7 | 0x57
    };
    let vsetvli = |rd: u32, vtype: u32| vtype << 20 | 7 << 12 | rd << 7 | 0x57;
    let body = [
        vsetvli(5, 0b011_011),           // vsetvli x5, x0, e64, m8
        opv(0b010100, 0, 0b10001, 2, 8), // vid.v v8
        vsetvli(6, 0b000_000),           // vsetvli x6, x0, e8, m1
        opv(0b010111, 0, 0b11111, 3, 1), // vmv.v.i v1, -1
    ];
    for vlen in VLENS {
        let Some(q) = Subprocess::qemu_vector(vlen) else { return };
        let mut case = Case::generate_vector(0x1a40, vlen);
        case.code = vector::wrap(&body, vlen);
        case.oracle_code = None;
        let (bytes, regs, vlenb) = (vector::scratch_bytes(vlen), vector::regs_at(vlen), vlen as usize / 8);
        assert_eq!(case.scratch.len(), bytes);
        let image = elf::build(std::slice::from_ref(&case), elf::Side::Oracle);
        let path = std::env::temp_dir().join(format!("ferrovm-difftest-layout-{}-{vlen}.elf", std::process::id()));
        std::fs::write(&path, &image).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = q.run(&Program { elf: &image, path: &path }).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(out.exit, Exit::Code(0), "VLEN {vlen}: {}", out.stderr);
        assert_eq!(out.stdout.len(), elf::record_bytes(&case), "VLEN {vlen}");
        let rec = &ferrovm_difftest::run::parse(&out.stdout, bytes)[0];
        let (old, new) = (&case.scratch, &rec.scratch);
        assert_eq!(new[..regs + vlenb], old[..regs + vlenb], "VLEN {vlen}: data and v0 unchanged");
        assert!(new[regs + vlenb..regs + 2 * vlenb].iter().all(|&b| b == 0xff), "VLEN {vlen}: v1 all ones");
        assert_eq!(
            new[regs + 2 * vlenb..regs + 8 * vlenb],
            old[regs + 2 * vlenb..regs + 8 * vlenb],
            "VLEN {vlen}: v2..v7"
        );
        let ids: Vec<u64> =
            new[regs + 8 * vlenb..].chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(ids, (0..vlen as u64 / 8).collect::<Vec<_>>(), "VLEN {vlen}: v8..v15 = vid.v at e64, m8");
        assert_eq!([rec.slots[5], rec.slots[6], rec.slots[28]], [vlen as u64 / 8; 3], "VLEN {vlen}: x5, x6, vl");
        // ferrovm at the same VLEN writes the same record.
        if let Some(mut f) = ferrovm(&q) {
            f.args.extend(vector::ferrovm_args(vlen));
            let s = run_cases(std::slice::from_ref(&case), &q, Some(&f), 1).unwrap();
            assert!(
                s.harness_errors.is_empty() && s.divergences == 0,
                "VLEN {vlen}: {:?}",
                s.reports.first().map(|d| d.to_string())
            );
            assert_eq!(s.compared, 1);
        }
    }
}

/// A subject that is QEMU with two injected faults on its first run: one
/// flipped bit in x5 of case 3, and a crash in case 7.
struct Faulty<'a> {
    qemu: &'a Subprocess,
    first: std::sync::atomic::AtomicBool,
}

impl Runner for Faulty<'_> {
    fn name(&self) -> &str {
        "faulty"
    }

    fn run(&self, program: &Program<'_>) -> anyhow::Result<ferrovm_difftest::run::RunOutput> {
        let mut out = self.qemu.run(program)?;
        if self.first.swap(false, std::sync::atomic::Ordering::Relaxed) {
            out.stdout[3 * RECORD_BYTES + 5 * 8] ^= 4;
            out.stdout.truncate(7 * RECORD_BYTES + 100);
            out.exit = Exit::Signal(11);
        }
        Ok(out)
    }
}

#[test]
fn divergences_are_reported_and_the_batch_continues() {
    let Some(q) = qemu() else { return };
    let faulty = Faulty { qemu: &q, first: true.into() };
    let c = Campaign {
        seed: 3,
        cases: 20,
        first: 0,
        batch: 20,
        jobs: 1,
        max_reports: 10,
        progress: false,
        vector: None,
        iterations: 1,
        oracle: Oracle::Qemu72,
    };
    let s = run_campaign(&c, &q, Some(&faulty)).unwrap();
    assert!(s.harness_errors.is_empty());
    assert_eq!(s.divergences, 2);
    assert_eq!(s.compared, 20);
    let seeds: Vec<u64> = s.reports.iter().map(|d| d.case.seed).collect();
    assert_eq!(seeds, vec![case_seed(3, 3), case_seed(3, 7)]);
    let text = s.reports[0].to_string();
    assert!(text.contains("x5 ") && text.contains("--replay"), "{text}");
    assert!(s.reports[1].to_string().contains("killed by signal 11"), "{}", s.reports[1]);
}

/// QEMU 7.2's `ctzw` bug and its workaround (KNOWN_QEMU_DIFFERENCES.md):
/// `ctzw` of `1 << 63` is 32 by the spec; QEMU 7.2 says 63, the substitute
/// QEMU runs instead says 32. If this fails because QEMU now says 32, the
/// workaround in `known.rs` can go.
#[test]
fn qemu_ctzw_bug_is_worked_around() {
    use ferrovm_difftest::isa::{Inst, op_named};
    let Some(q) = qemu() else { return };
    let mut case = Case::generate(1);
    case.x[1] = 1 << 63;
    let mut i = Inst::new(op_named("ctzw"));
    (i.rd, i.rs1) = (2, 1);
    let (subject, oracle) = ferrovm_difftest::known::oracle_substitute(&i).unwrap();
    case.code = subject;
    case.oracle_code = Some(oracle);
    let x2 = |side| {
        let image = elf::build(std::slice::from_ref(&case), side);
        let path = std::env::temp_dir().join(format!("ferrovm-difftest-ctzw-{}-{side:?}.elf", std::process::id()));
        std::fs::write(&path, &image).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = q.run(&Program { elf: &image, path: &path }).unwrap();
        let _ = std::fs::remove_file(&path);
        ferrovm_difftest::run::parse(&out.stdout, SCRATCH_BYTES)[0].slots[2]
    };
    assert_eq!(x2(elf::Side::Subject), 63, "QEMU's ctzw bug (fixed in QEMU 8.0)");
    assert_eq!(x2(elf::Side::Oracle), 32, "the spec value via bseti + ctz");
}

/// QEMU 7.2 aborts on every vector `rtz` conversion
/// (`KNOWN_QEMU_DIFFERENCES.md`), and runs the substitute the vector mode
/// gives it: `vfcvt.x.f.v` under `frm` = RTZ. If this fails because QEMU
/// now runs `vfcvt.rtz.x.f.v`, the workaround (`vector::RTZ`) can go.
#[test]
fn qemu_vector_rtz_bug_is_worked_around() {
    use ferrovm_difftest::generator::Insn;
    let Some(q) = qemu().and_then(|_| Subprocess::qemu_vector(128)) else { return };
    let mut case = Case::generate_vector(1, 128);
    // vsetivli x28, 4, e32, m1; then vfcvt.rtz.x.f.v v1, v2.
    let vset = 0xc000_0000 | 0b010_000 << 20 | 4 << 15 | 7 << 12 | 28 << 7 | 0x57;
    let rtz = 0b010010 << 26 | 1 << 25 | 2 << 20 | 0b00111 << 15 | 1 << 12 | 1 << 7 | 0x57;
    let (subject, oracle) = ferrovm_difftest::vector::rtz_substitute(rtz).unwrap();
    let words = |w: [u32; 3]| std::iter::once(vset).chain(w).map(Insn::Word).collect::<Vec<_>>();
    case.code = words(subject);
    case.oracle_code = Some(words(oracle));
    let run = |side| {
        let image = elf::build(std::slice::from_ref(&case), side);
        let path = std::env::temp_dir().join(format!("ferrovm-difftest-rtz-{}-{side:?}.elf", std::process::id()));
        std::fs::write(&path, &image).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = q.run(&Program { elf: &image, path: &path }).unwrap();
        let _ = std::fs::remove_file(&path);
        ferrovm_difftest::run::parse(&out.stdout, SCRATCH_BYTES).len()
    };
    assert_eq!(run(elf::Side::Subject), 0, "QEMU 7.2 aborts on vfcvt.rtz.x.f.v");
    assert_eq!(run(elf::Side::Oracle), 1, "the substitute runs");
}

/// Looped cases (`--loop N`): the harness really runs a sequence N times
/// (under QEMU, most records of a twice-run batch differ from the
/// once-run one), and ferrovm agrees with QEMU on them with every block
/// compiled as an optimized region before it runs, so that each case's
/// loop is one compiled region with its back edge (FP registers carried
/// around it in host registers).
#[test]
fn looped_cases() {
    let Some(q) = qemu() else { return };
    let records = |iterations: u32| {
        let cases: Vec<Case> = (0..40).map(|i| Case { iterations, ..Case::generate(case_seed(0x100b, i)) }).collect();
        let image = elf::build(&cases, elf::Side::Oracle);
        let path = std::env::temp_dir().join(format!("ferrovm-difftest-loop-{}-{iterations}.elf", std::process::id()));
        std::fs::write(&path, &image).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let out = q.run(&Program { elf: &image, path: &path }).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(out.exit, Exit::Code(0), "{}", out.stderr);
        ferrovm_difftest::run::parse(&out.stdout, SCRATCH_BYTES)
    };
    let (once, twice) = (records(1), records(2));
    assert_eq!((once.len(), twice.len()), (40, 40));
    let changed = once.iter().zip(&twice).filter(|(a, b)| a != b).count();
    assert!(changed > 20, "only {changed} of 40 records change when the sequences run twice");

    let mut f = ferrovm(&q);
    if let Some(f) = &mut f {
        f.args.extend(["--engine=jit", "--hot-threshold=1", "--compile-threads=0"].map(String::from));
    }
    let c = Campaign {
        seed: 0x100b,
        cases: 40,
        first: 0,
        batch: 40,
        jobs: 1,
        max_reports: 5,
        progress: false,
        vector: None,
        iterations: 3,
        oracle: Oracle::Qemu72,
    };
    let s = run_campaign(&c, &q, f.as_ref().map(|f| f as &dyn Runner)).unwrap();
    for d in &s.reports {
        eprintln!("{d}");
    }
    assert!(s.harness_errors.is_empty(), "the oracle rejected looped programs: {:?}", s.harness_errors);
    assert_eq!(s.divergences, 0, "ferrovm diverges from qemu-riscv64 on looped cases");
}

/// QEMU 10 (`--oracle qemu10`: `$FERROVM_QEMU_NEW` or
/// `target/qemu-10/qemu-riscv64`, from `tests/qemu/fetch.sh`) for scalar
/// cases (`vlen: None`) or vector cases at `vlen`, or `None` (skip) — a
/// failure if `FERROVM_REQUIRE_ORACLES=1`.
fn qemu10(vlen: Option<u32>) -> Option<Subprocess> {
    let q = Subprocess::oracle(Oracle::Qemu10, vlen);
    if q.is_none() {
        assert!(
            std::env::var("FERROVM_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "QEMU 10 not found (tests/qemu/fetch.sh, or FERROVM_QEMU_NEW) and FERROVM_REQUIRE_ORACLES=1"
        );
        eprintln!("SKIP: QEMU 10 not found (run tests/qemu/fetch.sh, or set FERROVM_QEMU_NEW)");
    }
    q
}

/// Runs `case` (one side of it) under `q`; the records it wrote.
fn run_one(q: &Subprocess, case: &Case, side: elf::Side, tag: &str) -> Vec<ferrovm_difftest::run::Record> {
    let image = elf::build(std::slice::from_ref(case), side);
    let path = std::env::temp_dir().join(format!("ferrovm-difftest-{tag}-{}-{side:?}.elf", std::process::id()));
    std::fs::write(&path, &image).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = q.run(&Program { elf: &image, path: &path }).unwrap();
    let _ = std::fs::remove_file(&path);
    ferrovm_difftest::run::parse(&out.stdout, case.scratch.len())
}

/// A short campaign against QEMU 10 (`--oracle qemu10`): 1,000 scalar
/// cases with Zicond, Zfa, Zimop, Zcmop, Zcb, Zawrs and the CMOs, and 150
/// vector cases at VLEN 128 and 256 with Zvbb, Zvbc and vector crypto; the
/// long ones are `ferrovm-difftest --oracle qemu10 [--vector]`.
#[test]
fn qemu10_short_campaign() {
    let Some(q) = qemu10(None) else { return };
    for vlen in [None, Some(128), Some(256)] {
        let Some(q) = qemu10(vlen) else { return };
        let mut f = ferrovm(&q);
        if let (Some(f), Some(vlen)) = (&mut f, vlen) {
            f.args.extend(vector::ferrovm_args(vlen));
        }
        let c = Campaign {
            seed: 0x0010_5eed,
            cases: if vlen.is_some() { 150 } else { 1000 },
            first: 0,
            batch: 200,
            jobs: 2,
            max_reports: 5,
            progress: false,
            vector: vlen,
            iterations: 1,
            oracle: Oracle::Qemu10,
        };
        let s = run_campaign(&c, &q, f.as_ref().map(|f| f as &dyn Runner)).unwrap();
        for d in &s.reports {
            eprintln!("{d}");
        }
        for (name, n) in &s.known_qemu {
            eprintln!("known QEMU bug worked around ({name}): {n} cases");
        }
        assert!(s.harness_errors.is_empty(), "QEMU 10 rejected generated programs ({vlen:?}): {:?}", s.harness_errors);
        assert_eq!(s.divergences, 0, "ferrovm diverges from QEMU 10 ({vlen:?})");
    }
    drop(q);
}

/// QEMU 10 drops the flags of `fround`/`froundnx` whose result is dead
/// (KNOWN_QEMU_DIFFERENCES.md), and the substitute it runs keeps them:
/// `froundnx.d f1, f2` of 0.3 then `fmv.d.x f1, x0` must leave NX set.
/// If this fails because QEMU now sets NX, the workaround in `known.rs`
/// can go.
#[test]
fn qemu10_fround_flags_bug_is_worked_around() {
    use ferrovm_difftest::generator::Insn;
    use ferrovm_difftest::isa::{Inst, op_named};
    let Some(q) = qemu10(None) else { return };
    let mut case = Case::generate_for(1, Oracle::Qemu10);
    (case.fcsr, case.f[2]) = (0, 0.3f64.to_bits());
    let mut round = Inst::new(op_named("froundnx.d"));
    (round.rd, round.rs1) = (1, 2);
    let mut clobber = Inst::new(op_named("fmv.d.x"));
    clobber.rd = 1;
    let (subject, oracle) = ferrovm_difftest::known::oracle_substitute_for(&round, Oracle::Qemu10).unwrap();
    case.code = [subject, vec![Insn::Full(clobber)]].concat();
    case.oracle_code = Some([oracle, vec![Insn::Full(clobber)]].concat());
    let fflags = |side| run_one(&q, &case, side, "fround")[0].slots[0] & 31;
    assert_eq!(fflags(elf::Side::Subject), 0, "QEMU 10 loses froundnx's NX when its result is dead");
    assert_eq!(fflags(elf::Side::Oracle), 1, "NX, kept alive by feq.d x0, f1, f1");
}

/// The reserved vector encodings ferrovm and QEMU 10 reject (V 1.0 §5.2;
/// see `vector::reads_v0_as_data`) and the generator leaves out:
/// `vadd.vx v1, v0, x1, v0.t` reads `v0` as a mask and as data. QEMU 10
/// and ferrovm (under every engine) raise SIGILL (no record); QEMU 7.2
/// runs it.
#[test]
fn qemu10_rejects_v0_as_masked_source() {
    let Some(q10) = qemu10(Some(128)) else { return };
    // vsetivli x28, 4, e32, m1; vadd.vx v1, v0, x1, v0.t
    let vset = 0xc000_0000 | 0b010_000 << 20 | 4 << 15 | 7 << 12 | 28 << 7 | 0x57;
    let vadd = 1 << 15 | 4 << 12 | 1 << 7 | 0x57;
    assert!(vector::reads_v0_as_data(vadd));
    let mut case = Case::generate_vector(1, 128);
    case.code = vector::wrap(&[vset, vadd], 128);
    case.oracle_code = None;
    assert_eq!(run_one(&q10, &case, elf::Side::Oracle, "v0src").len(), 0, "QEMU 10 rejects it");
    if let Some(mut f) = ferrovm(&q10) {
        f.args.extend(vector::ferrovm_args(128));
        for engine in ["interp", "jit", "tiered"] {
            f.args.push(format!("--engine={engine}"));
            assert_eq!(
                run_one(&f, &case, elf::Side::Subject, "v0srcf").len(),
                0,
                "ferrovm --engine={engine} rejects it"
            );
            f.args.pop();
        }
    }
    if let Some(q7) = qemu().and_then(|_| Subprocess::qemu_vector(128)) {
        assert_eq!(run_one(&q7, &case, elf::Side::Oracle, "v0src7").len(), 1, "QEMU 7.2 runs it");
    }
}

/// Reserved encodings (V 1.0 §5.2: one register read at two EEWs) that
/// QEMU 10 runs and ferrovm rejects, as the specification reserves them
/// (KNOWN_QEMU_DIFFERENCES.md): `v0` as `vadc.vvm`'s carry and as its
/// `vs2`, a widening reduction's `vs1[0]` (2·SEW) inside its `vs2` group,
/// `vcompress.vm`'s mask inside its `vs2` group, a masked unit-stride
/// store of `v0`'s own group. The generator leaves them
/// out (`reads_v0_as_data`, `reads_with_two_eews`). Fails once QEMU
/// rejects them too (then the difference can go).
#[test]
fn reserved_sources_qemu10_runs_and_ferrovm_rejects() {
    let Some(q10) = qemu10(Some(128)) else { return };
    let mut f = ferrovm(&q10);
    if let Some(f) = f.as_mut() {
        f.args.extend(vector::ferrovm_args(128));
    }
    let vsetivli = |vtype: u32| 0xc000_0000 | vtype << 20 | 4 << 15 | 7 << 12 | 28 << 7 | 0x57;
    let opv = |f6: u32, vm: u32, vs2: u32, vs1: u32, f3: u32| {
        f6 << 26 | vm << 25 | vs2 << 20 | vs1 << 15 | f3 << 12 | 2 << 7 | 0x57
    };
    // (what, vtype, log2 LMUL, word)
    let cases = [
        ("vadc.vvm v2, v0, v4, v0 (e32, m1)", 0b010_000, 0, opv(0b010000, 0, 0, 4, 0)),
        ("vwredsum.vs v2, v4, v5 (e8, m2)", 0b000_001, 1, opv(0b110001, 1, 4, 5, 0)),
        ("vcompress.vm v2, v4, v5 (e32, m2)", 0b010_001, 1, opv(0b010111, 1, 4, 5, 2)),
        // vse32.v v0, (x26), v0.t: x26 points into the case's buffer.
        ("vse32.v v0, (x26), v0.t (e32, m1)", 0b010_000, 0, 26 << 15 | 6 << 12 | 0x27),
    ];
    for (what, vtype, lmul, word) in cases {
        assert!(
            vector::reads_v0_as_data(word) || vector::reads_with_two_eews(word, lmul),
            "the generator leaves out {what}"
        );
        let mut case = Case::generate_vector(1, 128);
        case.code = vector::wrap(&[vsetivli(vtype), word], 128);
        case.oracle_code = None;
        assert_eq!(run_one(&q10, &case, elf::Side::Oracle, "rsv10").len(), 1, "QEMU 10 runs {what}");
        if let Some(f) = f.as_mut() {
            for engine in ["interp", "jit", "tiered"] {
                f.args.push(format!("--engine={engine}"));
                assert_eq!(
                    run_one(f, &case, elf::Side::Subject, "rsvf").len(),
                    0,
                    "ferrovm --engine={engine} rejects {what}"
                );
                f.args.pop();
            }
        }
    }
}
