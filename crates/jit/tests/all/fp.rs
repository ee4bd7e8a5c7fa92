//! FP on the host FPU against SoftFloat (`ferrovm_ir::fp`), bit for bit and
//! flag for flag: every op, every precision (half precision and Zfa's ops
//! go to SoftFloat helpers from compiled code), every rounding mode (static,
//! and dynamic with each `frm`), on operands of every class (±0,
//! subnormals, normals at rounding boundaries, the largest finite values,
//! infinities, quiet and signalling NaNs, integers that round), compiled
//! with and without Cranelift's optimizer.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use ferrovm_ir::text::parse_blocks;
use ferrovm_ir::{Cpu, CvtOp, FBinOp, FTernOp, FUnOp, Prec, Reg, Rm, fp};
use ferrovm_jit::abi::Cell;
use ferrovm_jit::{CodeStore, Flavor, FpLowering, JitOptions, JitThread, Linker, NativeCode, NativeExit};
use ferrovm_mem::AddressSpace;

struct One<'a>(&'a Cell, &'a AtomicU32);

impl Linker for One<'_> {
    fn cell(&mut self, _: u64) -> *const Cell {
        self.0
    }
    fn counter(&mut self, _: u64) -> *const AtomicU32 {
        self.1
    }
}

/// One compiled block, run with operands in f1, f2, f3 (or x1 for
/// integer → float conversions); the result in f10, flags in `fflags`.
struct Compiled {
    store: CodeStore,
    thread: JitThread,
    cell: Box<Cell>,
    _counter: Box<AtomicU32>,
    code: Option<NativeCode>,
}

impl Compiled {
    fn new(body: &str, optimize: bool, fp: FpLowering) -> Compiled {
        Compiled::region(
            &format!("block 0x1000..0x1004 {{\n    mark 0x1000 4\n{body}\n    ecall 0x1004\n}}"),
            optimize,
            fp,
        )
    }

    /// The blocks of `text`, compiled as one translation (a region, if
    /// several) entered at 0x1000.
    fn region(text: &str, optimize: bool, fp: FpLowering) -> Compiled {
        let blocks = parse_blocks(text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
        let mem = Arc::new(AddressSpace::new().unwrap());
        let store = CodeStore::new(&mem, JitOptions { fp, ..JitOptions::default() }).unwrap();
        let cell = Box::new(store.new_cell(0x1000));
        let counter = Box::new(AtomicU32::new(0));
        let mut compiler = store.compiler();
        let flavor = Flavor { optimize, hot_at: None, checked: false };
        let mut f = store.compile(&mut compiler, &blocks, flavor, &mut One(&cell, &counter)).unwrap();
        let code = store.install(&mut f).unwrap();
        store.link(&cell, &code);
        let thread = store.thread();
        Compiled { store, thread, cell, _counter: counter, code: Some(code) }
    }

    /// Runs with `regs` set; (f10, fflags).
    fn run(&self, regs: &[(Reg, u64)], frm: u64) -> (u64, u64) {
        let mut cpu = Cpu { pc: 0x1000, frm, ..Cpu::default() };
        for &(r, v) in regs {
            cpu.regs[r.index()] = v;
        }
        assert_eq!(self.store.run(&self.thread, &mut cpu, &self.cell), Some(NativeExit::Ecall));
        (cpu.regs[Reg::f(10).index()], cpu.fflags)
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        self.store.unlink(&self.cell);
        if let Some(code) = self.code.take() {
            self.store.retire(code);
        }
    }
}

const RMS: [Rm; 6] = [Rm::Rne, Rm::Rtz, Rm::Rdn, Rm::Rup, Rm::Rmm, Rm::Dyn];

/// The mode SoftFloat is given: `dyn` resolved with `frm`.
fn resolve(rm: Rm, frm: u64) -> Rm {
    if rm == Rm::Dyn { Rm::from_bits(frm as u8).unwrap() } else { rm }
}

/// `frm` values to run a block with: the host rounds in `frm`'s mode, so
/// a static mode runs under each too (on the host when they agree).
fn frms(rm: Rm) -> &'static [u64] {
    if rm == Rm::Dyn { &[0, 1, 2, 3, 4] } else { &[0, 1, 2, 3] }
}

fn doubles() -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0x0000_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0x7ff8_0000_0000_0001,
        0x7ff0_0000_0000_0001,
        0x7ff4_0000_0000_0000,
        0x0000_0000_0000_0001,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x0010_0000_0000_0001,
        0x001f_ffff_ffff_ffff,
        0x7fef_ffff_ffff_ffff,
        0x7fe0_0000_0000_0000,
        0x3ff0_0000_0000_0000,
        0x3ff0_0000_0000_0001,
        0x3fe0_0000_0000_0000,
        0x3ff8_0000_0000_0000,
        0x4004_0000_0000_0000,
        0x400c_0000_0000_0000,
        0x3fb9_9999_9999_999a, // 0.1
        0x41df_ffff_ffc0_0000, // 2^31 - 1
        0x41df_ffff_ffe0_0000, // 2^31 - 0.5
        0x41cf_ffff_ffe0_0000, // 2^30 - 0.5...
        0x41e0_0000_0000_0000, // 2^31
        0x41ef_ffff_ffe0_0000, // 2^32 - 1
        0x43df_ffff_ffff_ffff,
        0x43e0_0000_0000_0000,
        0x43cf_ffff_ffff_ffff,
        0x3ff0_0000_1000_0000, // halfway for binary32
        0x47ef_ffff_f000_0000, // f32 max + half ulp
        0x36a0_0000_0000_0000, // f32 min subnormal
        0x3690_0000_0000_0000, // half of it
        0x380f_ffff_c000_0000, // f32 max subnormal
        0x3810_0000_0000_0000, // f32 min normal
        0x3ca0_0000_0000_0000, // 2^-53
        0x2000_0000_0000_0000, // 2^-511: products underflow
        0x5fe0_0000_0000_0000, // 2^511: products overflow
        0x432f_ffff_ffff_ffff, // 2^52 - 0.5: rounds up to 2^52
        0x4330_0000_0000_0001, // 2^52 + 1: an integer, odd
        0x433f_ffff_ffff_ffff, // 2^53 - 1
    ];
    let neg: Vec<u64> = v.iter().map(|x| x ^ (1 << 63)).collect();
    v.extend(neg);
    v
}

fn singles() -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0x0000_0000,
        0x7f80_0000,
        0x7fc0_0000,
        0x7fc0_0001,
        0x7f80_0001,
        0x7fa0_0000,
        0x0000_0001,
        0x007f_ffff,
        0x0080_0000,
        0x0080_0001,
        0x00ff_ffff,
        0x7f7f_ffff,
        0x7f00_0000,
        0x3f80_0000,
        0x3f80_0001,
        0x3f00_0000,
        0x3fc0_0000,
        0x4020_0000,
        0x3dcc_cccd, // 0.1
        0x4eff_ffff, // below 2^31
        0x4f00_0000, // 2^31
        0x4e80_0000, // 2^30
        0x4f7f_ffff, // below 2^32
        0x5eff_ffff, // below 2^63
        0x5f00_0000, // 2^63
        0x4b80_0001, // 2^24 + 2
        0x3380_0000, // 2^-24
        0x1f80_0000, // 2^-64: products underflow
        0x5f80_0000, // 2^64: products overflow
        0x4aff_ffff, // 2^23 - 0.5: rounds up to 2^23
        0x4b00_0001, // 2^23 + 1: an integer, odd (+ 2^23 is inexact)
        0x4b7f_ffff, // 2^24 - 1
    ];
    let neg: Vec<u64> = v.iter().map(|x| x ^ (1 << 31)).collect();
    v.extend(neg);
    v
}

fn ints() -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0,
        1,
        2,
        3,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x100_0001,
        0x100_0003,
        0x7fff_ffc0,
        0xffff_ff80,
        0x20_0000_0000_0001,
        0x7fff_ffff_ffff_ffff,
        0x7fff_ffff_ffff_fc00,
        0xffff_ffff_ffff_f800,
        0x8000_0000_0000_0000,
        0x8000_0000_0000_0001,
        0xffff_ffff_8000_0000,
        0x1234_5678_9abc_def1,
    ];
    let neg: Vec<u64> = v.iter().map(|x| x.wrapping_neg()).collect();
    v.extend(neg);
    v
}

/// Half-precision operands (Zfh: SoftFloat in both tiers, so this checks
/// the JIT's helper calls): zeros, ±1, subnormals, the largest finite,
/// infinities, NaNs, values at rounding boundaries.
fn halves() -> Vec<u64> {
    vec![
        0x0000, 0x8000, 0x3c00, 0xbc00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x3555,
        0x4248, 0x3800, 0x3e00, 0x4100, 0x6400, 0x1400,
    ]
}

fn values(prec: Prec) -> Vec<u64> {
    match prec {
        Prec::S => singles(),
        Prec::D => doubles(),
        Prec::H => halves(),
    }
}

fn check(what: &str, got: (u64, u64), want: (u64, u8)) {
    assert_eq!(got, (want.0, u64::from(want.1)), "{what}: (result, fflags)");
}

#[test]
fn unary_and_binary_ops_match_softfloat() {
    for optimize in [false, true] {
        for prec in [Prec::S, Prec::D, Prec::H] {
            let vals = values(prec);
            for rm in RMS {
                for op in [FUnOp::Sqrt, FUnOp::Round, FUnOp::RoundNx] {
                    let c = Compiled::new(
                        &format!("    t0 = get f1\n    t1 = {op}.{prec}.{rm} t0\n    set f10, t1"),
                        optimize,
                        FpLowering::Host,
                    );
                    for &frm in frms(rm) {
                        for &a in &vals {
                            let got = c.run(&[(Reg::f(1), a)], frm);
                            check(
                                &format!("{op}.{prec}.{rm} {a:#x} frm={frm}"),
                                got,
                                fp::unary(op, prec, resolve(rm, frm), a),
                            );
                        }
                    }
                }
                for op in FBinOp::ALL.iter().copied() {
                    // Ops without rounding are lifted with rne only.
                    if !matches!(op, FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div) && rm != Rm::Rne {
                        continue;
                    }
                    let c = Compiled::new(
                        &format!("    t0 = get f1\n    t1 = get f2\n    t2 = {op}.{prec}.{rm} t0, t1\n    set f10, t2"),
                        optimize,
                        FpLowering::Host,
                    );
                    for &frm in frms(rm) {
                        for &a in &vals {
                            for &b in &vals {
                                let got = c.run(&[(Reg::f(1), a), (Reg::f(2), b)], frm);
                                let want = fp::binary(op, prec, resolve(rm, frm), a, b);
                                check(&format!("{op}.{prec}.{rm} {a:#x}, {b:#x} frm={frm} opt={optimize}"), got, want);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn fused_multiply_add_matches_softfloat() {
    for optimize in [false, true] {
        for prec in [Prec::S, Prec::D, Prec::H] {
            // A third of the values, so the cube stays small.
            let vals: Vec<u64> = values(prec).into_iter().step_by(3).collect();
            for rm in [Rm::Rne, Rm::Rtz, Rm::Dyn] {
                for op in FTernOp::ALL.iter().copied() {
                    let c = Compiled::new(
                        &format!(
                            "    t0 = get f1\n    t1 = get f2\n    t2 = get f3\n    t3 = {op}.{prec}.{rm} t0, t1, t2\n    set f10, t3"
                        ),
                        optimize,
                        FpLowering::Host,
                    );
                    for &frm in &frms(rm)[..frms(rm).len().min(2)] {
                        for &a in &vals {
                            for &b in &vals {
                                for &z in &vals {
                                    let got = c.run(&[(Reg::f(1), a), (Reg::f(2), b), (Reg::f(3), z)], frm);
                                    let want = fp::ternary(op, prec, resolve(rm, frm), a, b, z);
                                    check(&format!("{op}.{prec}.{rm} {a:#x}, {b:#x}, {z:#x} frm={frm}"), got, want);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn conversions_match_softfloat() {
    for optimize in [false, true] {
        for op in CvtOp::ALL.iter().copied() {
            let name = op.name();
            // `to.from`: the operand's kind is after the dot.
            let from = name.split('.').nth(1).unwrap_or("");
            let (src, vals) = match from {
                "s" => (Reg::f(1), singles()),
                "d" => (Reg::f(1), doubles()),
                "h" => (Reg::f(1), halves()),
                _ => (Reg::x(1), ints()),
            };
            for rm in RMS {
                let c = Compiled::new(
                    &format!("    t0 = get {src}\n    t1 = fcvt.{name}.{rm} t0\n    set f10, t1"),
                    optimize,
                    FpLowering::Host,
                );
                for &frm in frms(rm) {
                    for &a in &vals {
                        let got = c.run(&[(src, a)], frm);
                        let want = fp::convert(op, resolve(rm, frm), a);
                        check(&format!("fcvt.{name}.{rm} {a:#x} frm={frm} opt={optimize}"), got, want);
                    }
                }
            }
        }
    }
}

/// Operands known when compiling: Cranelift's optimizer folds what it can
/// (an integer → float conversion of a constant); the flags must survive.
#[test]
fn constant_operands_keep_their_flags() {
    for op in CvtOp::ALL.iter().copied() {
        let from = op.name().split('.').nth(1).unwrap_or("");
        let vals = match from {
            "s" => singles(),
            "d" => doubles(),
            "h" => halves(),
            _ => ints(),
        };
        for &a in &vals {
            for optimize in [false, true] {
                let c = Compiled::new(
                    &format!("    t0 = const {a:#x}\n    t1 = fcvt.{}.rne t0\n    set f10, t1", op.name()),
                    optimize,
                    FpLowering::Host,
                );
                check(
                    &format!("fcvt.{}.rne const {a:#x} opt={optimize}", op.name()),
                    c.run(&[], 0),
                    fp::convert(op, Rm::Rne, a),
                );
            }
        }
    }
    let (a, b) = (0x3fb9_9999_9999_999a_u64, 0x3fc9_9999_9999_999a_u64); // 0.1, 0.2
    for optimize in [false, true] {
        let c = Compiled::new(
            &format!("    t0 = const {a:#x}\n    t1 = const {b:#x}\n    t2 = fadd.d.rne t0, t1\n    set f10, t2"),
            optimize,
            FpLowering::Host,
        );
        check("fadd.d.rne const", c.run(&[], 0), fp::binary(FBinOp::Add, Prec::D, Rm::Rne, a, b));
    }
}

/// Integer → float conversions of values Cranelift's optimizer finds
/// constant though they come from a register (`xor x1, x1` plus a
/// constant, a division by zero, which RISC-V defines as all ones) round in
/// the op's mode, static or `frm`'s, not to nearest as a constant folded at
/// compile time would (`ferrovm-difftest` found `fcvt.d.lu` of a `divuw`
/// by zero under `rdn`, and `fcvt.s.wu` of a `div` by zero under `rtz`).
#[test]
fn conversions_of_values_the_optimizer_folds_round_in_the_guest_mode() {
    let ops = [CvtOp::SW, CvtOp::SWu, CvtOp::SL, CvtOp::SLu, CvtOp::DL, CvtOp::DLu];
    let mut operands: Vec<(String, u64)> = ints()
        .into_iter()
        .map(|a| (format!("    t3 = xor t2, t2\n    t4 = const {a:#x}\n    t0 = add t3, t4"), a))
        .collect();
    operands.push(("    t3 = const 0\n    t0 = divuw t2, t3".into(), u64::MAX));
    operands.push(("    t3 = const 0\n    t0 = div t2, t3".into(), u64::MAX));
    for op in ops {
        for rm in [Rm::Dyn, Rm::Rtz, Rm::Rdn, Rm::Rup] {
            for (def, a) in &operands {
                let body = format!("    t2 = get x1\n{def}\n    t1 = fcvt.{}.{rm} t0\n    set f10, t1", op.name());
                let c = Compiled::new(&body, true, FpLowering::Host);
                for &frm in frms(rm) {
                    let got = c.run(&[(Reg::x(1), 0x1234_5678_9abc_def1)], frm);
                    let want = fp::convert(op, resolve(rm, frm), *a);
                    check(&format!("fcvt.{}.{rm} of {a:#x} ({def:?}) frm={frm}", op.name()), got, want);
                }
            }
        }
    }
}

/// The same for arithmetic on such values once converted exactly
/// (`fcvt.d.w` of a 32-bit integer): the optimizer folds arithmetic on
/// float constants, to nearest.
#[test]
fn arithmetic_on_values_the_optimizer_folds_rounds_in_the_guest_mode() {
    let ints = [0x7fff_ffffu64, 0x8000_0001, 3, 0x0123_4567, 0xffff_fffd];
    for rm in [Rm::Dyn, Rm::Rtz, Rm::Rdn, Rm::Rup] {
        for &a in &ints {
            for &b in &ints {
                let def = |t: u32, v: u64| {
                    format!(
                        "    t{t} = xor t2, t2\n    t{} = const {v:#x}\n    t{} = add t{t}, t{}\n",
                        t + 1,
                        t + 2,
                        t + 1
                    )
                };
                for (name, op) in
                    [("fmul", FBinOp::Mul), ("fdiv", FBinOp::Div), ("fadd", FBinOp::Add), ("fsub", FBinOp::Sub)]
                {
                    let body = format!(
                        "    t2 = get x1\n{}{}    t5 = fcvt.d.w.rne t12\n    t6 = fcvt.d.w.rne t22\n    t7 = {name}.d.{rm} t5, t6\n    set f10, t7",
                        def(10, a),
                        def(20, b)
                    );
                    let c = Compiled::new(&body, true, FpLowering::Host);
                    let (fa, fb) = (fp::convert(CvtOp::DW, Rm::Rne, a).0, fp::convert(CvtOp::DW, Rm::Rne, b).0);
                    for &frm in frms(rm) {
                        let got = c.run(&[(Reg::x(1), 0x1234_5678_9abc_def1)], frm);
                        let want = fp::binary(op, Prec::D, resolve(rm, frm), fa, fb);
                        check(&format!("{name}.d.{rm} of {a:#x}, {b:#x} frm={frm}"), got, want);
                    }
                }
                let body = format!(
                    "    t2 = get x1\n{}    t5 = fcvt.d.w.rne t12\n    t7 = fsqrt.d.{rm} t5\n    set f10, t7",
                    def(10, a)
                );
                let c = Compiled::new(&body, true, FpLowering::Host);
                let fa = fp::convert(CvtOp::DW, Rm::Rne, a).0;
                for &frm in frms(rm) {
                    let got = c.run(&[(Reg::x(1), 0x1234_5678_9abc_def1)], frm);
                    let want = fp::unary(FUnOp::Sqrt, Prec::D, resolve(rm, frm), fa);
                    check(&format!("fsqrt.d.{rm} of {a:#x} frm={frm}"), got, want);
                }
            }
        }
    }
}

/// An op whose result nobody uses still raises its flags.
#[test]
fn dead_results_still_raise_flags() {
    for optimize in [false, true] {
        for (body, want) in [
            ("    t2 = fdiv.d.rne t0, t1", fp::DZ),
            ("    t2 = fadd.d.rne t0, t0", fp::OF | fp::NX),
            ("    t2 = fsqrt.d.rne t1", 0),
            ("    t2 = fmul.d.dyn t0, t0", fp::OF | fp::NX),
            ("    t2 = flt.d.rne t0, t3", fp::NV),
            ("    t2 = feq.d.rne t0, t4", fp::NV),
            ("    t2 = fcvt.s.d.rne t0", fp::OF | fp::NX),
            ("    t2 = fmadd.d.rne t0, t0, t1", fp::OF | fp::NX),
        ] {
            let c = Compiled::new(
                &format!(
                    "    t0 = get f1\n    t1 = get f2\n    t3 = get f3\n    t4 = get f4\n{body}\n    t5 = const 0\n    set f10, t5"
                ),
                optimize,
                FpLowering::Host,
            );
            let regs = [
                (Reg::f(1), 0x7fe0_0000_0000_0000),
                (Reg::f(2), 0),
                (Reg::f(3), 0x7ff8_0000_0000_0000),
                (Reg::f(4), 0x7ff0_0000_0000_0001),
            ];
            assert_eq!(c.run(&regs, 0), (0, u64::from(want)), "{body} opt={optimize}");
        }
    }
}

/// Flags raised in compiled code before a CSR access are seen by it: a read
/// returns them, a write of `fflags` replaces them.
#[test]
fn csr_accesses_see_host_flags() {
    for optimize in [false, true] {
        let c = Compiled::new(
            "    t0 = get f1\n    t1 = get f2\n    t2 = fdiv.d.rne t0, t1\n    t3 = csrr 0x1\n    set f10, t3\n    t4 = const 0\n    csrw 0x1, t4\n    t5 = fadd.d.rne t0, t1\n    t6 = csrr 0x3\n    set f11, t6\n    t7 = const 0x41\n    csrw 0x3, t7\n    t8 = fdiv.d.dyn t1, t0\n    t9 = csrr 0x2\n    set f12, t9",
            optimize,
            FpLowering::Host,
        );
        // 1/3: inexact; after the write only the second op's (exact)
        // flags, with frm 3 in fcsr; then fcsr = 0x41 (frm 2, NX), and
        // 3/1 under rdn is exact.
        let regs = [(Reg::f(1), 0x3ff0_0000_0000_0000), (Reg::f(2), 0x4008_0000_0000_0000)];
        let mut cpu = Cpu { pc: 0x1000, frm: 3, ..Cpu::default() };
        for &(r, v) in &regs {
            cpu.regs[r.index()] = v;
        }
        assert_eq!(c.store.run(&c.thread, &mut cpu, &c.cell), Some(NativeExit::Ecall));
        let got: Vec<u64> = (10..13).map(|i| cpu.regs[Reg::f(i).index()]).collect();
        assert_eq!((got, cpu.fflags, cpu.frm), (vec![u64::from(fp::NX), 3 << 5, 2], 1, 2), "opt={optimize}");
    }
}

/// Compiled code that writes `frm` switches the host's rounding for the
/// ops after it, in the same block, and keeps the flags raised before the
/// write; a write of `fflags` keeps the mode. (1/3 rounds down to nearest,
/// so `rup` gives one ulp more; -1/3 under `rdn` one ulp more in magnitude
/// than under `rtz`.)
#[test]
fn writes_of_frm_switch_the_hosts_rounding_in_the_block() {
    let third = 0x3fd5_5555_5555_5555u64;
    let sign = 1u64 << 63;
    for optimize in [false, true] {
        let c = Compiled::new(
            "    t0 = get f1\n    t1 = get f2\n    t2 = fdiv.d.dyn t0, t1\n    set f10, t2\n    t3 = const 3\n    csrw 0x2, t3\n    t4 = fdiv.d.dyn t0, t1\n    set f11, t4\n    t5 = const 1\n    csrw 0x2, t5\n    t6 = fdiv.d.dyn t0, t1\n    set f12, t6\n    t7 = fdiv.d.rup t0, t1\n    set f13, t7\n    t8 = csrr 0x1\n    set f14, t8\n    t9 = const 0x2\n    csrw 0x2, t9\n    t10 = const 0\n    csrw 0x1, t10\n    t11 = fsgnjn.d.rne t0, t0\n    t12 = fdiv.d.dyn t11, t1\n    set f15, t12\n    t13 = fcvt.l.d.dyn t12\n    set f16, t13",
            optimize,
            FpLowering::Host,
        );
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[Reg::f(1).index()] = 0x3ff0_0000_0000_0000;
        cpu.regs[Reg::f(2).index()] = 0x4008_0000_0000_0000;
        assert_eq!(c.store.run(&c.thread, &mut cpu, &c.cell), Some(NativeExit::Ecall));
        let got: Vec<u64> = (10..17).map(|i| cpu.regs[Reg::f(i).index()]).collect();
        // -1/3 rounded down converts to -1 (dyn, frm = rdn), inexact.
        let want = vec![third, third + 1, third, third + 1, u64::from(fp::NX), sign | (third + 1), u64::MAX];
        assert_eq!((got, cpu.fflags, cpu.frm), (want, u64::from(fp::NX), 2), "opt={optimize}");
    }
}

/// The SoftFloat lowering gives the same answers (spot check: it is what
/// every FP op did before).
#[test]
fn soft_lowering_matches() {
    let c = Compiled::new(
        "    t0 = get f1\n    t1 = get f2\n    t2 = fdiv.d.dyn t0, t1\n    set f10, t2",
        true,
        FpLowering::Soft,
    );
    for &a in &doubles() {
        for &b in &doubles() {
            check(
                "soft fdiv",
                c.run(&[(Reg::f(1), a), (Reg::f(2), b)], 0),
                fp::binary(FBinOp::Div, Prec::D, Rm::Rne, a, b),
            );
        }
    }
}

/// Several host FP ops in one block, each with its own fallback path: the
/// code stays well-formed (Cranelift's verifier runs in debug builds) and
/// every op's result and flags are SoftFloat's.
#[test]
fn chains_of_ops_match_softfloat() {
    let body = "    t0 = get f1\n    t1 = get f2\n    t2 = fadd.d.dyn t0, t1\n    t3 = fmul.d.rne t2, t1\n    t4 = fmadd.d.dyn t3, t0, t2\n    t5 = fsqrt.d.rne t4\n    t6 = fcvt.w.d.rne t5\n    t7 = fcvt.d.l.dyn t6\n    t8 = fdiv.d.dyn t7, t0\n    t9 = fmin.d.rne t8, t1\n    t10 = flt.d.rne t9, t0\n    t11 = fcvt.s.d.dyn t9\n    t12 = fsub.s.rne t11, t11\n    set f10, t8\n    set f11, t9\n    set f12, t10\n    set f13, t12";
    let chain = |a: u64, b: u64, rm: Rm| {
        let mut fl = 0u8;
        let mut f = |(v, f): (u64, u8)| {
            fl |= f;
            v
        };
        let t2 = f(fp::binary(FBinOp::Add, Prec::D, rm, a, b));
        let t3 = f(fp::binary(FBinOp::Mul, Prec::D, Rm::Rne, t2, b));
        let t4 = f(fp::ternary(FTernOp::Madd, Prec::D, rm, t3, a, t2));
        let t5 = f(fp::unary(FUnOp::Sqrt, Prec::D, Rm::Rne, t4));
        let t6 = f(fp::convert(CvtOp::WD, Rm::Rne, t5));
        let t7 = f(fp::convert(CvtOp::DL, rm, t6));
        let t8 = f(fp::binary(FBinOp::Div, Prec::D, rm, t7, a));
        let t9 = f(fp::binary(FBinOp::Min, Prec::D, Rm::Rne, t8, b));
        let t10 = f(fp::binary(FBinOp::Lt, Prec::D, Rm::Rne, t9, a));
        let t11 = f(fp::convert(CvtOp::SD, rm, t9));
        let t12 = f(fp::binary(FBinOp::Sub, Prec::S, Rm::Rne, t11, t11));
        ([t8, t9, t10, t12], fl)
    };
    for optimize in [false, true] {
        let c = Compiled::new(body, optimize, FpLowering::Host);
        for &a in &doubles() {
            for &b in doubles().iter().step_by(5) {
                for frm in [0, 1, 4] {
                    let mut cpu = Cpu { pc: 0x1000, frm, ..Cpu::default() };
                    cpu.regs[Reg::f(1).index()] = a;
                    cpu.regs[Reg::f(2).index()] = b;
                    assert_eq!(c.store.run(&c.thread, &mut cpu, &c.cell), Some(NativeExit::Ecall));
                    let got: Vec<u64> = (10..14).map(|i| cpu.regs[Reg::f(i).index()]).collect();
                    let (want, fl) = chain(a, b, Rm::from_bits(frm as u8).unwrap());
                    assert_eq!(
                        (got, cpu.fflags),
                        (want.to_vec(), u64::from(fl)),
                        "a={a:#x} b={b:#x} frm={frm} opt={optimize}"
                    );
                }
            }
        }
    }
}

/// FP ops inside a compiled loop whose operands do not change in it: a
/// host instruction that can raise a flag runs where the guest runs the op,
/// never before its test (Cranelift hoists pure instructions out of loops:
/// the `roundss` of a loop-invariant operand went above the range test of
/// `fcvt.lu.s.rdn`, so converting -2.5 raised inexact besides invalid). The
/// loop is one block that runs the op three times; its flags must be
/// SoftFloat's.
#[test]
fn loop_invariant_ops_raise_flags_only_where_they_run() {
    /// An op, its operand, and SoftFloat's (result, flags).
    type Case = (&'static str, u64, fn(u64) -> (u64, u8));
    let ops: &[Case] = &[
        ("fcvt.lu.s.rdn", 0xffff_ffff_c020_0000, |a| fp::convert(CvtOp::LuS, Rm::Rdn, a)), // -2.5
        ("fcvt.wu.s.rup", 0xffff_ffff_c020_0000, |a| fp::convert(CvtOp::WuS, Rm::Rup, a)),
        ("fcvt.l.s.rne", 0xffff_ffff_7f00_0000, |a| fp::convert(CvtOp::LS, Rm::Rne, a)), // 2^127
        ("fcvt.wu.d.rdn", 0xc004_0000_0000_0000, |a| fp::convert(CvtOp::WuD, Rm::Rdn, a)), // -2.5
        ("fcvt.w.d.rup", 0x41f0_0000_0000_0000, |a| fp::convert(CvtOp::WD, Rm::Rup, a)), // 2^32
        ("fcvt.l.d.dyn", 0x7ff4_0000_0000_0000, |a| fp::convert(CvtOp::LD, Rm::Rne, a)), // sNaN
        ("fcvt.lu.d.rne", 0xbfe8_0000_0000_0000, |a| fp::convert(CvtOp::LuD, Rm::Rne, a)), // -0.75
    ];
    for &(op, a, want) in ops {
        let single = op.ends_with(".s.rdn") || op.ends_with(".s.rup") || op.ends_with(".s.rne");
        // The operand as the lifter reads a single: unboxed.
        let read = if single { "    t8 = get f1\n    t0 = nanunbox t8" } else { "    t0 = get f1" };
        let text = format!(
            "block 0x1000..0x1008 {{\n    mark 0x1000 4\n{read}\n    t1 = {op} t0\n    set x10, t1\n    mark 0x1004 4\n    t2 = get x6\n    t3 = const 0xffffffffffffffff\n    t4 = add t2, t3\n    set x6, t4\n    branch t4, 0x1000, 0x1008\n}}\n\
             block 0x1008..0x100c {{\n    mark 0x1008 4\n    ecall 0x1008\n}}"
        );
        let c = Compiled::region(&text, true, FpLowering::Host);
        let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
        cpu.regs[Reg::x(6).index()] = 3;
        cpu.regs[Reg::f(1).index()] = a;
        assert_eq!(c.store.run(&c.thread, &mut cpu, &c.cell), Some(NativeExit::Ecall), "{op}");
        let (v, flags) = want(a);
        assert_eq!((cpu.pc, cpu.regs[Reg::x(10).index()], cpu.fflags), (0x1008, v, u64::from(flags)), "{op} of {a:#x}");
    }
}

/// A loop that reads a single-precision register it never writes (as
/// compiled code sees a constant such as 4.0f): the register is unboxed on
/// entry to the region, from memory, and a value that is not a proper NaN
/// box reads as the canonical NaN (spec §20.2) on every iteration. The
/// loop adds f1 (unboxed) to f10 three times.
#[test]
fn a_loop_reads_an_unwritten_single_register_unboxed() {
    let text = "block 0x1000..0x1008 {\n    mark 0x1000 4\n    t0 = get f1\n    t1 = nanunbox t0\n    t2 = get f10\n    t3 = nanunbox t2\n    t4 = fadd.s.rne t3, t1\n    t5 = nanbox t4\n    set f10, t5\n    mark 0x1004 4\n    t6 = get x6\n    t7 = const 0xffffffffffffffff\n    t8 = add t6, t7\n    set x6, t8\n    branch t8, 0x1000, 0x1008\n}\n\
                block 0x1008..0x100c {\n    mark 0x1008 4\n    ecall 0x1008\n}";
    let boxed = |bits: u64| bits | 0xffff_ffff_0000_0000;
    // (f1, what f10 ends as): 0 + 1.5 three times; an unboxed 1.5 (upper
    // word not all ones) and a double are the canonical NaN.
    let cases = [
        (boxed(0x3fc0_0000), boxed(0x4090_0000)),
        (0x3fc0_0000, boxed(fp::CANONICAL_NAN_S)),
        (0x3ff8_0000_0000_0000, boxed(fp::CANONICAL_NAN_S)),
    ];
    for optimize in [false, true] {
        let c = Compiled::region(text, optimize, FpLowering::Host);
        for (f1, want) in cases {
            let mut cpu = Cpu { pc: 0x1000, ..Cpu::default() };
            cpu.regs[Reg::x(6).index()] = 3;
            cpu.regs[Reg::f(1).index()] = f1;
            cpu.regs[Reg::f(10).index()] = boxed(0);
            assert_eq!(c.store.run(&c.thread, &mut cpu, &c.cell), Some(NativeExit::Ecall));
            let got = (cpu.pc, cpu.regs[Reg::f(10).index()], cpu.regs[Reg::f(1).index()]);
            assert_eq!(got, (0x1008, want, f1), "f1 = {f1:#x}, optimize = {optimize}");
        }
    }
}

/// A block's `checkfrm` before its dynamic-mode ops: with `frm` 0..=3 the
/// ops run on the host in that mode (no test of their own), with `rmm` the
/// block leaves for the interpreter before the instruction, and a reserved
/// `frm` is an illegal instruction.
#[test]
fn checkfrm_leaves_for_rmm_and_traps_reserved_modes() {
    let third = 0x3fd5_5555_5555_5555u64;
    for optimize in [false, true] {
        let c = Compiled::new(
            "    checkfrm\n    t0 = get f1\n    t1 = get f2\n    t2 = fdiv.d.dyn t0, t1\n    set f10, t2\n    t3 = fcvt.l.d.dyn t2\n    set x11, t3",
            optimize,
            FpLowering::Host,
        );
        for frm in 0..8u64 {
            let mut cpu = Cpu { pc: 0x1000, frm, ..Cpu::default() };
            cpu.regs[Reg::f(1).index()] = 0x3ff0_0000_0000_0000;
            cpu.regs[Reg::f(2).index()] = 0x4008_0000_0000_0000;
            let exit = c.store.run(&c.thread, &mut cpu, &c.cell);
            let got = (cpu.pc, cpu.regs[Reg::f(10).index()], cpu.regs[Reg::x(11).index()], cpu.fflags);
            match frm {
                // 1/3 rounds up only under rup; converting it rounds to 1
                // only under rup too.
                0..=3 => {
                    let (q, l) = if frm == 3 { (third + 1, 1) } else { (third, 0) };
                    assert_eq!((exit, got), (Some(NativeExit::Ecall), (0x1004, q, l, 1)), "frm={frm} opt={optimize}");
                }
                4 => assert_eq!((exit, got), (Some(NativeExit::Slow), (0x1000, 0, 0, 0)), "opt={optimize}"),
                _ => assert!(matches!(exit, Some(NativeExit::Illegal { .. })) && got == (0x1000, 0, 0, 0), "frm={frm}"),
            }
        }
    }
}

/// A region that never writes `frm` checks it once on entry, not in each
/// block: with `frm` 0..=3 its blocks' dynamic-mode ops run on the host in
/// that mode; with `rmm` or a reserved `frm` it leaves for the interpreter
/// at the entry, before anything ran (the interpreter then rounds `rmm`
/// or raises the illegal instruction where the op is). A region that
/// writes `frm` keeps the check of each block: the block after the write
/// leaves at its op. The loop (two blocks, then the exit block) divides f10
/// by f2 in its second block, twice.
#[test]
fn a_region_checks_frm_once_on_entry_unless_it_writes_frm() {
    let region = |write_frm: bool| {
        let write = if write_frm { "    t3 = get x7\n    csrw 0x2, t3\n" } else { "" };
        format!(
            "block 0x1000..0x1004 {{\n    mark 0x1000 4\n    t0 = get x6\n    t1 = const 0xffffffffffffffff\n    t2 = add t0, t1\n    set x6, t2\n{write}    jump 0x1004\n}}\n\
             block 0x1004..0x100c {{\n    mark 0x1004 4\n    checkfrm\n    t0 = get f10\n    t1 = get f2\n    t2 = fdiv.d.dyn t0, t1\n    set f10, t2\n    mark 0x1008 4\n    t3 = get x6\n    branch t3, 0x1000, 0x100c\n}}\n\
             block 0x100c..0x1010 {{\n    mark 0x100c 4\n    ecall 0x100c\n}}"
        )
    };
    let (one, three) = (0x3ff0_0000_0000_0000u64, 0x4008_0000_0000_0000u64);
    for write_frm in [false, true] {
        let c = Compiled::region(&region(write_frm), true, FpLowering::Host);
        for frm in 0..8u64 {
            let mut cpu = Cpu { pc: 0x1000, frm, ..Cpu::default() };
            cpu.regs[Reg::x(6).index()] = 2;
            // The region that writes `frm` writes the same value.
            cpu.regs[Reg::x(7).index()] = frm;
            cpu.regs[Reg::f(10).index()] = one;
            cpu.regs[Reg::f(2).index()] = three;
            let exit = c.store.run(&c.thread, &mut cpu, &c.cell);
            let got = (cpu.pc, cpu.regs[Reg::x(6).index()], cpu.regs[Reg::f(10).index()], cpu.instret);
            let what = format!("frm={frm} write_frm={write_frm}");
            if frm <= 3 {
                let rm = Rm::from_bits(frm as u8).unwrap();
                let (q1, f1) = fp::binary(FBinOp::Div, Prec::D, rm, one, three);
                let (q2, f2) = fp::binary(FBinOp::Div, Prec::D, rm, q1, three);
                assert_eq!(exit, Some(NativeExit::Ecall), "{what}");
                assert_eq!((got, cpu.fflags), ((0x100c, 0, q2, 7), u64::from(f1 | f2)), "{what}");
            } else if !write_frm {
                // Left on entry: nothing ran.
                assert_eq!((exit, got), (Some(NativeExit::Slow), (0x1000, 2, one, 0)), "{what}");
            } else if frm == 4 {
                // The first block ran; the second left before its op.
                assert_eq!((exit, got), (Some(NativeExit::Slow), (0x1004, 1, one, 1)), "{what}");
            } else {
                assert!(matches!(exit, Some(NativeExit::Illegal { .. })), "{what}: {exit:?}");
                assert_eq!(got, (0x1004, 1, one, 1), "{what}");
            }
        }
    }
}
