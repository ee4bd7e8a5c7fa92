//! The `--vector` mode: random V 1.0 sequences, integer and floating
//! point, at a VLEN of 128 (the default), 256, 512 or 1024 (`--vlen`;
//! QEMU runs with the same `vlen=`, ferrovm with the same `--vlen`).
//!
//! A vector case reuses the scalar harness with a scratch buffer of
//! [`scratch_bytes`] = 32 vector registers' worth (512 bytes at VLEN 128,
//! 1 KiB at 256, 4 KiB at 1024): its sequence starts by loading `v0..v15`
//! from the upper half ([`regs_at`]: 16 registers of VLEN/8 bytes), runs
//! random `vsetvli`/`vsetivli` and vector instructions over `v0..v15` whose
//! memory accesses stay inside the lower half, then stores `vl`, `vtype`,
//! `vxsat` and `vxrm` into `x28..x31` and `v0..v15` back over the upper
//! half. The scalar dump then compares everything. Every offset and length
//! bound the generator uses is the VLEN-128 one scaled by VLEN/128, so one
//! generator serves every VLEN (at 128 it makes exactly the cases it made
//! before VLEN was a parameter). The generator models `vl`,
//! SEW and LMUL (AVLs are immediates or VLMAX) so that it only emits legal
//! instructions: register groups aligned, no forbidden overlaps, masked
//! destinations other than `v0`, and accesses in bounds (unit-stride,
//! strided, segment, fault-only-first, whole-register, mask, and indexed
//! ones whose offsets it makes first: `VGen::indexed`). Encodings are built
//! here from the spec's field layout (V 1.0 §31.10), independently of
//! ferrovm's table.
//!
//! Half of the cases are floating-point ones ([`prepare`]): their vector
//! registers start from FP bit patterns (zeros, infinities, quiet and
//! signalling NaNs, subnormals, rounding boundaries; `values::f32_bits` and
//! `values::f64_bits`), and three quarters of their instructions are vector
//! FP at SEW 16 (binary16: ferrovm's `--isa=max` has Zvfh; QEMU 7.2 runs
//! binary16 vector FP without asking for it), 32 and 64, plus the
//! int8 ↔ binary16 conversions at SEW 8:
//! every arithmetic, FMA, widening, compare, estimate, conversion, move,
//! slide and reduction instruction of V 1.0, `.vf` forms reading `f0..f31`
//! (improperly NaN-boxed ones included), with `frm` set to every rounding
//! mode and `fflags` swapped into `x1..x25` along the way so that each
//! instruction's flags show. QEMU 7.2 aborts on every `rtz` conversion (see
//! `KNOWN_QEMU_DIFFERENCES.md`); QEMU runs the same conversion under
//! `frm = rtz` instead ([`RTZ`]).

use rand::Rng;
use rand::rngs::StdRng;

use crate::generator::{BASE_REG, Case, Insn};
use crate::oracle::Oracle;
use crate::values;

/// `$g.w(word)` with the word computed first (it may draw from `$g`).
macro_rules! push {
    ($g:ident, $e:expr) => {{
        let word = $e;
        $g.w(word)
    }};
}

/// The VLENs the vector mode generates for (QEMU 7.2 takes 128 and up).
pub const VLENS: [u32; 4] = [128, 256, 512, 1024];
/// The default VLEN.
pub const DEFAULT_VLEN: u32 = 128;

/// Bytes of scratch memory of a vector case at `vlen`: room for 16 vector
/// registers of data below [`regs_at`] and `v0..v15` from there.
pub fn scratch_bytes(vlen: u32) -> usize {
    4 * vlen as usize
}

/// Where in the scratch buffer `v0..v15` start from and are dumped to.
pub fn regs_at(vlen: u32) -> usize {
    2 * vlen as usize
}

/// ferrovm's arguments for vector cases at `vlen`: every extension QEMU
/// runs (`--isa=max`, see `KNOWN_QEMU_DIFFERENCES.md` on Zvfh) and the VLEN.
pub fn ferrovm_args(vlen: u32) -> [String; 2] {
    ["--isa=max".to_string(), format!("--vlen={vlen}")]
}

const OP_V: u32 = 0x57;
/// OP-VE (1110111): the vector crypto element-group instructions' major
/// opcode (Zvkned, Zvknh[ab], Zvkg, Zvksed, Zvksh; Zvbb and Zvbc are OP-V).
const OP_VE: u32 = 0x77;
const LOAD_FP: u32 = 0x07;
const STORE_FP: u32 = 0x27;
const IVV: u32 = 0;
const MVV: u32 = 2;
const IVI: u32 = 3;
const IVX: u32 = 4;
const MVX: u32 = 6;
const FVV: u32 = 1;
const FVF: u32 = 5;
/// `frm` and `fflags`.
const FRM: u32 = 0x002;
const FFLAGS: u32 = 0x001;

/// Name under which cases using the `rtz` substitution are counted: QEMU
/// 7.2 aborts translating any `vf[w,n]cvt.rtz.*` (an assertion in
/// `decode_save_opc`), so QEMU runs the non-`rtz` conversion with `frm`
/// set to RTZ around it, which the spec defines to be the same.
pub const RTZ: &str = "qemu-7.2-vector-rtz";
/// Scalar registers the sequence may use as AVL/stride/scalar operands and
/// address temporaries (x27 is the harness's scratch base).
const T_ADDR: u8 = 26;

fn opv(f6: u32, vm: u32, vs2: u8, s1: u32, f3: u32, vd: u8) -> u32 {
    f6 << 26 | vm << 25 | u32::from(vs2) << 20 | (s1 & 31) << 15 | f3 << 12 | u32::from(vd) << 7 | OP_V
}

fn itype(imm: i32, rs1: u8, f3: u32, rd: u8, opcode: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | u32::from(rs1) << 15 | f3 << 12 | u32::from(rd) << 7 | opcode
}

/// The generator's model of the vector unit.
struct Model {
    /// log2(SEW in bytes).
    sew: u32,
    /// log2(LMUL).
    lmul: i32,
    vl: u32,
}

struct VGen<'r> {
    rng: &'r mut StdRng,
    vlen: u32,
    m: Model,
    out: Vec<Insn>,
    /// What QEMU runs, when it differs from `out` (see [`RTZ`]).
    oracle: Vec<Insn>,
    substituted: bool,
    /// A floating-point case.
    fp: bool,
    /// The QEMU the case is for: Zvbb, Zvbc and vector crypto only for
    /// QEMU 10 ([`VGen::rva23_one`]), the [`RTZ`] substitution only for
    /// QEMU 7.2.
    target: Oracle,
}

impl VGen<'_> {
    fn vlmax_of(&self, sew: u32, lmul: i32) -> u32 {
        let bits = if lmul >= 0 { self.vlen << lmul } else { self.vlen >> -lmul };
        bits / (8 << sew)
    }

    /// A VLEN-128 byte count or offset scaled to this VLEN.
    fn scaled(&self, n: u32) -> u32 {
        n * (self.vlen / 128)
    }

    fn w(&mut self, word: u32) {
        // Reserved encodings, which ferrovm and QEMU 10 reject and QEMU 7.2
        // runs, are left out (see `reads_v0_as_data`).
        if reads_v0_as_data(word) || reads_with_two_eews(word, self.m.lmul) {
            return;
        }
        self.raw(word);
    }

    /// `word` for both sides, whatever it is.
    fn raw(&mut self, word: u32) {
        self.out.push(Insn::Word(word));
        self.oracle.push(Insn::Word(word));
    }

    /// `word` for ferrovm, `oracle` for QEMU, at the same address.
    fn w2(&mut self, word: u32, oracle: u32) {
        if reads_v0_as_data(word) || reads_with_two_eews(word, self.m.lmul) {
            return;
        }
        self.out.push(Insn::Word(word));
        self.oracle.push(Insn::Word(oracle));
        self.substituted |= word != oracle;
    }

    /// A register group of 2^`emul` registers in v0..v15, aligned.
    fn group(&mut self, emul: i32) -> u8 {
        let n = 1u8 << emul.max(0);
        self.rng.gen_range(0..16 / n) * n
    }

    fn disjoint(a: u8, ea: i32, b: u8, eb: i32) -> bool {
        let (na, nb) = (1u8 << ea.max(0), 1u8 << eb.max(0));
        a + na <= b || b + nb <= a
    }

    /// A scalar source register with a value the case chose (x1..x25).
    fn xs(&mut self) -> u8 {
        if self.rng.gen_ratio(1, 8) { 0 } else { self.rng.gen_range(1..26) }
    }

    /// `vsetvli`/`vsetivli` with a random legal vtype and a known vl.
    fn vset(&mut self) {
        let sew = self.rng.gen_range(0..4u32);
        self.vset_sew(sew);
    }

    /// [`VGen::vset`] with SEW = 8 << `sew`.
    fn vset_sew(&mut self, sew: u32) {
        let lmul = loop {
            let l = self.rng.gen_range(-3..=3i32);
            // SEW <= LMUL * ELEN (ELEN = 64).
            if l >= 0 || (64 >> -l) >= (8 << sew) {
                break l;
            }
        };
        let vlmax = self.vlmax_of(sew, lmul);
        let (ta, ma) = (self.rng.gen_range(0..2u32), self.rng.gen_range(0..2u32));
        let vtype = ma << 7 | ta << 6 | sew << 3 | (lmul as u32 & 7);
        let vl = if self.rng.gen_ratio(1, 2) {
            // vsetvli x28, x0, vtype: VLMAX.
            push!(self, itype(vtype as i32, 0, 7, 28, OP_V));
            vlmax
        } else {
            let avl = self.rng.gen_range(0..32u32);
            push!(self, 0xc000_0000 | vtype << 20 | avl << 15 | 7 << 12 | 28 << 7 | OP_V);
            avl.min(vlmax)
        };
        self.m = Model { sew, lmul, vl };
    }

    /// `addi x26, x27, off` (`addi x26, x27, 2047; addi x26, x26,
    /// off - 2047` past a 12-bit offset: `v0..v15` at VLEN 1024).
    fn base(&mut self, off: u32) {
        if off < 2048 {
            push!(self, itype(off as i32, BASE_REG, 0, T_ADDR, 0x13));
        } else {
            assert!(off < 4095);
            push!(self, itype(2047, BASE_REG, 0, T_ADDR, 0x13));
            push!(self, itype(off as i32 - 2047, T_ADDR, 0, T_ADDR, 0x13));
        }
    }

    fn vm(&mut self) -> u32 {
        u32::from(self.rng.gen_ratio(3, 4))
    }

    /// One random instruction under the current configuration.
    fn one(&mut self) {
        // (No draw for QEMU 7.2: its stream is what it always was.)
        if self.target.rva23() && self.rng.gen_ratio(1, 4) {
            return self.rva23_one();
        }
        if self.fp && self.rng.gen_ratio(3, 4) {
            return self.fp_one();
        }
        let (sew, lm, vl) = (self.m.sew, self.m.lmul, self.m.vl);
        match self.rng.gen_range(0..100) {
            0..=7 => self.vset(),
            8..=9 => {
                // csrwi vxrm, r
                let r = self.rng.gen_range(0..4);
                push!(self, 0x00a << 20 | r << 15 | 5 << 12 | 0x73);
            }
            10..=19 => self.memory(),
            20..=49 => {
                // single-width: (funct6, funct3 kinds) over IVV/IVX/IVI and MVV/MVX
                const OPS: &[(u32, &str)] = &[
                    (0b000000, "vxi"),
                    (0b000010, "vx"),
                    (0b000011, "xi"),
                    (0b000100, "vx"),
                    (0b000101, "vx"),
                    (0b000110, "vx"),
                    (0b000111, "vx"),
                    (0b001001, "vxi"),
                    (0b001010, "vxi"),
                    (0b001011, "vxi"),
                    (0b100101, "vxu"),
                    (0b101000, "vxu"),
                    (0b101001, "vxu"),
                    (0b100000, "vxi"),
                    (0b100001, "vxi"),
                    (0b100010, "vx"),
                    (0b100011, "vx"),
                    (0b100111, "vx"),
                    (0b101010, "vxu"),
                    (0b101011, "vxu"),
                    (0b010111, "m"),
                    (0b010000, "c"),
                    (0b010010, "c"),
                ];
                const MOPS: &[u32] = &[
                    0b001000, 0b001001, 0b001010, 0b001011, 0b100000, 0b100001, 0b100010, 0b100011, 0b100100, 0b100101,
                    0b100110, 0b100111, 0b101001, 0b101011, 0b101101, 0b101111,
                ];
                let vd = self.group(lm);
                let vs2 = self.group(lm);
                let vs1 = self.group(lm);
                let mut vm = self.vm();
                if self.rng.gen_ratio(1, 3) {
                    let f6 = MOPS[self.rng.gen_range(0..MOPS.len())];
                    if vm == 0 && vd == 0 {
                        vm = 1;
                    }
                    if self.rng.gen_ratio(1, 2) {
                        push!(self, opv(f6, vm, vs2, u32::from(vs1), MVV, vd));
                    } else {
                        let x = self.xs();
                        push!(self, opv(f6, vm, vs2, u32::from(x), MVX, vd));
                    }
                    return;
                }
                let (f6, kinds) = OPS[self.rng.gen_range(0..OPS.len())];
                let kind = kinds.as_bytes()[self.rng.gen_range(0..kinds.len())];
                if kinds == "m" || kinds == "c" {
                    // vmerge/vmv.v.* and vadc/vsbc: vm = 0 uses v0, vd != v0.
                    let vd = if vd == 0 { 1u8 << lm.max(0) } else { vd };
                    let (vm, vs2) = if kinds == "m" && self.rng.gen_ratio(1, 2) { (1, 0) } else { (0, vs2) };
                    let (f3, s1) = match self.rng.gen_range(0..3) {
                        0 => (IVV, u32::from(vs1)),
                        1 => (IVX, u32::from(self.xs())),
                        _ if kinds == "c" && f6 == 0b010010 => (IVV, u32::from(vs1)),
                        _ => (IVI, self.rng.gen_range(0..32)),
                    };
                    push!(self, opv(f6, vm, vs2, s1, f3, vd));
                    return;
                }
                if vm == 0 && vd == 0 {
                    vm = 1;
                }
                let word = match kind {
                    b'v' => opv(f6, vm, vs2, u32::from(vs1), IVV, vd),
                    b'x' => {
                        let x = self.xs();
                        opv(f6, vm, vs2, u32::from(x), IVX, vd)
                    }
                    _ => opv(f6, vm, vs2, self.rng.gen_range(0..32), IVI, vd),
                };
                push!(self, word);
            }
            50..=59 => {
                // compares and vmadc/vmsbc: mask destination, no overlap with
                // the sources when LMUL > 1.
                const CMPS: &[(u32, &str)] = &[
                    (0b011000, "vxi"),
                    (0b011001, "vxi"),
                    (0b011010, "vx"),
                    (0b011011, "vx"),
                    (0b011100, "vxi"),
                    (0b011101, "vxi"),
                    (0b011110, "xi"),
                    (0b011111, "xi"),
                    (0b010001, "vxi"),
                    (0b010011, "vx"),
                ];
                let (f6, kinds) = CMPS[self.rng.gen_range(0..CMPS.len())];
                let kind = kinds.as_bytes()[self.rng.gen_range(0..kinds.len())];
                let (vs2, vs1, vd) = loop {
                    let (a, b, r) = (self.group(lm), self.group(lm), self.rng.gen_range(0..16u8));
                    if lm <= 0 || (Self::disjoint(r, 0, a, lm) && Self::disjoint(r, 0, b, lm)) {
                        break (a, b, r);
                    }
                };
                let vm = self.vm();
                let (f3, s1) = match kind {
                    b'v' => (IVV, u32::from(vs1)),
                    b'x' => (IVX, u32::from(self.xs())),
                    _ => (IVI, self.rng.gen_range(0..32)),
                };
                push!(self, opv(f6, vm, vs2, s1, f3, vd));
            }
            60..=67 => {
                // widening (sew <= 32, lmul <= 2) and narrowing
                if sew >= 3 || lm >= 3 {
                    return self.vset();
                }
                let vd = self.group(lm + 1);
                let (vs2, vs1) = loop {
                    let (a, b) = (self.group(lm + 1), self.group(lm));
                    if Self::disjoint(a, lm + 1, vd, lm + 1) && Self::disjoint(b, lm, vd, lm + 1) {
                        break (a, b);
                    }
                };
                let vm = if vd == 0 { 1 } else { self.vm() };
                if self.rng.gen_ratio(1, 3) {
                    // narrowing: vd (lmul) <- vs2 (2 lmul), vs1/x/uimm shift
                    let f6 = 0b101100 + self.rng.gen_range(0..4);
                    let vdn = loop {
                        let r = self.group(lm);
                        if Self::disjoint(r, lm, vs2, lm + 1) && (vm == 1 || r != 0) {
                            break r;
                        }
                    };
                    let (f3, s1) = match self.rng.gen_range(0..3) {
                        0 if Self::disjoint(vs1, lm, vdn, lm) || vs1 == vdn => (IVV, u32::from(vs1)),
                        1 => (IVX, u32::from(self.xs())),
                        _ => (IVI, self.rng.gen_range(0..32)),
                    };
                    push!(self, opv(f6, vm, vs2, s1, f3, vdn));
                    return;
                }
                const W: &[u32] = &[
                    0b110000, 0b110001, 0b110010, 0b110011, 0b110100, 0b110101, 0b110110, 0b110111, 0b111000, 0b111010,
                    0b111011, 0b111100, 0b111101, 0b111111,
                ];
                let f6 = W[self.rng.gen_range(0..W.len())];
                let wide2 = (0b110100..=0b110111).contains(&f6);
                let src2 = if wide2 {
                    vs2
                } else {
                    loop {
                        let r = self.group(lm);
                        if Self::disjoint(r, lm, vd, lm + 1) {
                            break r;
                        }
                    }
                };
                if self.rng.gen_ratio(1, 2) {
                    push!(self, opv(f6, vm, src2, u32::from(vs1), MVV, vd));
                } else {
                    let x = self.xs();
                    push!(self, opv(f6, vm, src2, u32::from(x), MVX, vd));
                }
            }
            68..=73 => {
                // reductions: vd, vs1 single registers
                let f6 = self.rng.gen_range(0..8);
                let vs2 = self.group(lm);
                let (vd, vs1) = (self.rng.gen_range(0..16), self.rng.gen_range(0..16));
                push!(self, opv(f6, self.vm(), vs2, vs1, MVV, vd));
                if sew < 3 && self.rng.gen_ratio(1, 3) {
                    let f6 = 0b110000 + self.rng.gen_range(0..2);
                    push!(self, opv(f6, self.vm(), vs2, vs1, IVV, vd));
                }
            }
            74..=79 => {
                // mask logical, vcpop/vfirst, vmsbf/vmsif/vmsof, viota, vid
                let (vd, vs2, vs1) =
                    (self.rng.gen_range(0..16u8), self.rng.gen_range(0..16u8), self.rng.gen_range(0..16u32));
                match self.rng.gen_range(0..5) {
                    0 | 1 => push!(self, opv(0b011000 + self.rng.gen_range(0..8), 1, vs2, vs1, MVV, vd)),
                    2 => {
                        let rd = 28 + self.rng.gen_range(0..2);
                        let which = 0b10000 + self.rng.gen_range(0..2);
                        push!(self, opv(0b010000, self.vm(), vs2, which, MVV, rd));
                    }
                    3 => {
                        let vm = self.vm();
                        if vd != vs2 && (vm == 1 || vd != 0) {
                            push!(self, opv(0b010100, vm, vs2, self.rng.gen_range(1..4), MVV, vd));
                        }
                    }
                    _ => {
                        let g = self.group(lm);
                        let vm = if g == 0 { 1 } else { self.vm() };
                        if self.rng.gen_ratio(1, 2) {
                            push!(self, opv(0b010100, vm, 0, 0b10001, MVV, g));
                        } else if Self::disjoint(g, lm, vs2, 0) && (vm == 1 || Self::disjoint(g, lm, 0, 0)) {
                            push!(self, opv(0b010100, vm, vs2, 0b10000, MVV, g));
                        }
                    }
                }
            }
            80..=89 => {
                // permutations
                let vd = self.group(lm);
                let (vs2, vs1) = loop {
                    let (a, b) = (self.group(lm), self.group(lm));
                    if Self::disjoint(a, lm, vd, lm) && Self::disjoint(b, lm, vd, lm) {
                        break (a, b);
                    }
                };
                if vs2 == vd {
                    return;
                }
                let vm = if vd == 0 { 1 } else { self.vm() };
                let x = self.xs();
                let word = match self.rng.gen_range(0..9) {
                    0 => opv(0b001110, vm, vs2, self.rng.gen_range(0..32), IVI, vd),
                    1 => opv(0b001110, vm, vs2, u32::from(x), IVX, vd),
                    2 => opv(0b001111, vm, vs2, self.rng.gen_range(0..32), IVI, vd),
                    3 => opv(0b001111, vm, vs2, u32::from(x), IVX, vd),
                    4 => opv(0b001110 + self.rng.gen_range(0..2), vm, vs2, u32::from(x), MVX, vd),
                    5 => opv(0b001100, vm, vs2, u32::from(vs1), IVV, vd),
                    6 => opv(0b001100, vm, vs2, self.rng.gen_range(0..32), IVI, vd),
                    7 => {
                        // vcompress.vm: vs1 a mask register outside vd's group
                        let m = loop {
                            let r = self.rng.gen_range(0..16u8);
                            if Self::disjoint(r, 0, vd, lm) {
                                break r;
                            }
                        };
                        opv(0b010111, 1, vs2, u32::from(m), MVV, vd)
                    }
                    _ => {
                        // vmv.x.s x29 / vmv.s.x
                        if self.rng.gen_ratio(1, 2) {
                            opv(0b010000, 1, vs2, 0, MVV, 29)
                        } else {
                            opv(0b010000, 1, 0, u32::from(x), MVX, vd)
                        }
                    }
                };
                push!(self, word);
            }
            90..=94 => {
                // vzext/vsext
                let f = self.rng.gen_range(1..=3u32);
                if sew < f || lm - (f as i32) < -3 {
                    return;
                }
                let vd = self.group(lm);
                let vs2 = loop {
                    let r = self.group(lm - f as i32);
                    if Self::disjoint(r, lm - f as i32, vd, lm) {
                        break r;
                    }
                };
                let vm = if vd == 0 { 1 } else { self.vm() };
                let code = (4 - f) * 2 + self.rng.gen_range(0..2);
                push!(self, opv(0b010010, vm, vs2, code, MVV, vd));
            }
            _ => {
                // vmv<nr>r.v
                let nr = [1u8, 2, 4, 8][self.rng.gen_range(0..4)];
                let e = nr.trailing_zeros() as i32;
                let (vd, vs2) = (self.group(e), self.group(e));
                push!(self, opv(0b100111, 1, vs2, u32::from(nr - 1), IVI, vd));
            }
        }
        let _ = vl;
    }

    /// An FP scalar register.
    fn fs(&mut self) -> u32 {
        self.rng.gen_range(0..32)
    }

    /// `vm` for an instruction writing the (non-mask) group at `vd`.
    fn vm_for(&mut self, vd: u8) -> u32 {
        if vd == 0 { 1 } else { self.vm() }
    }

    /// Two groups of 2^`ea` and 2^`eb` registers that do not overlap.
    fn two_disjoint(&mut self, ea: i32, eb: i32) -> (u8, u8) {
        loop {
            let (a, b) = (self.group(ea), self.group(eb));
            if Self::disjoint(a, ea, b, eb) {
                return (a, b);
            }
        }
    }

    /// One random vector FP instruction (or what it needs first: a `vtype`
    /// with an FP SEW, an `frm` write, an `fflags` swap).
    fn fp_one(&mut self) {
        let (sew, lm) = (self.m.sew, self.m.lmul);
        // SEW 16 is binary16 (Zvfh, in ferrovm's --isa max; QEMU 7.2 runs
        // binary16 vector FP without asking for it); SEW 8 has only the
        // int8 <-> binary16 conversions.
        if sew == 0 && self.rng.gen_ratio(1, 3) {
            return self.fp_convert();
        }
        if sew == 0 {
            let s = if self.rng.gen_ratio(1, 8) { self.rng.gen_range(0..2) } else { self.rng.gen_range(1..4) };
            return self.vset_sew(s);
        }
        match self.rng.gen_range(0..100) {
            0..=3 => {
                // csrwi frm, 0..=4
                let r = self.rng.gen_range(0..5);
                push!(self, FRM << 20 | r << 15 | 5 << 12 | 0x73);
            }
            4..=7 => {
                // csrrwi xk, fflags, 0: the flags so far into x1..x25
                let rd = self.rng.gen_range(1..26u32);
                push!(self, FFLAGS << 20 | 5 << 12 | rd << 7 | 0x73);
            }
            8..=29 => {
                // single width: (funct6, has .vv)
                const OPS: &[(u32, bool)] = &[
                    (0b000000, true),
                    (0b000010, true),
                    (0b100111, false),
                    (0b100100, true),
                    (0b100000, true),
                    (0b100001, false),
                    (0b000100, true),
                    (0b000110, true),
                    (0b001000, true),
                    (0b001001, true),
                    (0b001010, true),
                ];
                let (f6, vv) = OPS[self.rng.gen_range(0..OPS.len())];
                self.fp_arith(f6, vv);
            }
            30..=41 => {
                let f6 = 0b101000 + self.rng.gen_range(0..8);
                self.fp_arith(f6, true);
            }
            42..=49 => {
                // vfsqrt, vfrsqrt7, vfrec7, vfclass
                let code = [0u32, 4, 5, 16][self.rng.gen_range(0..4)];
                let (vd, vs2) = (self.group(lm), self.group(lm));
                let vm = self.vm_for(vd);
                push!(self, opv(0b010011, vm, vs2, code, FVV, vd));
            }
            50..=59 => {
                // compares: (funct6, has .vv)
                const CMPS: &[(u32, bool)] = &[
                    (0b011000, true),
                    (0b011001, true),
                    (0b011011, true),
                    (0b011100, true),
                    (0b011101, false),
                    (0b011111, false),
                ];
                let (f6, vv) = CMPS[self.rng.gen_range(0..CMPS.len())];
                let (vs2, vs1, vd) = loop {
                    let (a, b, r) = (self.group(lm), self.group(lm), self.rng.gen_range(0..16u8));
                    if lm <= 0 || (Self::disjoint(r, 0, a, lm) && Self::disjoint(r, 0, b, lm)) {
                        break (a, b, r);
                    }
                };
                let vm = self.vm();
                let word = if vv && self.rng.gen_ratio(1, 2) {
                    opv(f6, vm, vs2, u32::from(vs1), FVV, vd)
                } else {
                    opv(f6, vm, vs2, self.fs(), FVF, vd)
                };
                push!(self, word);
            }
            60..=69 => self.fp_widen(),
            70..=81 => self.fp_convert(),
            82..=89 => self.fp_move(),
            _ => {
                // reductions (single registers for vd and vs1[0])
                let widen = sew <= 2 && self.rng.gen_ratio(1, 3);
                let f6 = if widen { 0b110001 + 2 * self.rng.gen_range(0..2) } else { 1 + 2 * self.rng.gen_range(0..4) };
                let vs2 = self.group(lm);
                let (vd, vs1) = (self.rng.gen_range(0..16u8), self.rng.gen_range(0..16u32));
                push!(self, opv(f6, self.vm(), vs2, vs1, FVV, vd));
            }
        }
    }

    /// A single-width arithmetic or FMA instruction, `.vv` (if `vv`) or `.vf`.
    fn fp_arith(&mut self, f6: u32, vv: bool) {
        let lm = self.m.lmul;
        let (vd, vs2, vs1) = (self.group(lm), self.group(lm), self.group(lm));
        let vm = self.vm_for(vd);
        let word = if vv && self.rng.gen_ratio(1, 2) {
            opv(f6, vm, vs2, u32::from(vs1), FVV, vd)
        } else {
            opv(f6, vm, vs2, self.fs(), FVF, vd)
        };
        push!(self, word);
    }

    /// Widening arithmetic and FMA: SEW 16 → 32 or 32 → 64, LMUL ≤ 4.
    fn fp_widen(&mut self) {
        let lm = self.m.lmul;
        if !(1..=2).contains(&self.m.sew) || lm >= 3 {
            let s = self.rng.gen_range(1..3);
            return self.vset_sew(s);
        }
        // (funct6, .w form, has .vv)
        const W: &[(u32, bool)] = &[
            (0b110000, false),
            (0b110010, false),
            (0b110100, true),
            (0b110110, true),
            (0b111000, false),
            (0b111100, false),
            (0b111101, false),
            (0b111110, false),
            (0b111111, false),
        ];
        let (f6, wide2) = W[self.rng.gen_range(0..W.len())];
        let vd = self.group(lm + 1);
        let vs2 = if wide2 {
            self.group(lm + 1)
        } else {
            loop {
                let r = self.group(lm);
                if Self::disjoint(r, lm, vd, lm + 1) {
                    break r;
                }
            }
        };
        let vs1 = loop {
            let r = self.group(lm);
            if Self::disjoint(r, lm, vd, lm + 1) {
                break r;
            }
        };
        let vm = self.vm_for(vd);
        let word = if self.rng.gen_ratio(1, 2) {
            opv(f6, vm, vs2, u32::from(vs1), FVV, vd)
        } else {
            opv(f6, vm, vs2, self.fs(), FVF, vd)
        };
        push!(self, word);
    }

    /// `vfcvt`, `vfwcvt`, `vfncvt` (VFUNARY0), under the current SEW when it
    /// has that form.
    fn fp_convert(&mut self) {
        let (sew, lm) = (self.m.sew, self.m.lmul);
        // (vs1 code, SEWs allowed (bit = log2 SEW bytes), width change)
        const CVT: &[(u32, u32, i32)] = &[
            (0b00000, 0b1110, 0),
            (0b00001, 0b1110, 0),
            (0b00010, 0b1110, 0),
            (0b00011, 0b1110, 0),
            (0b00110, 0b1110, 0),
            (0b00111, 0b1110, 0),
            (0b01000, 0b0110, 1),
            (0b01001, 0b0110, 1),
            (0b01010, 0b0111, 1),
            (0b01011, 0b0111, 1),
            (0b01100, 0b0110, 1),
            (0b01110, 0b0110, 1),
            (0b01111, 0b0110, 1),
            (0b10000, 0b0111, -1),
            (0b10001, 0b0111, -1),
            (0b10010, 0b0110, -1),
            (0b10011, 0b0110, -1),
            (0b10100, 0b0110, -1),
            (0b10101, 0b0110, -1),
            (0b10110, 0b0111, -1),
            (0b10111, 0b0111, -1),
        ];
        let (code, sews, width) = CVT[self.rng.gen_range(0..CVT.len())];
        if sews & (1 << sew) == 0 || (width != 0 && lm >= 3) {
            return;
        }
        let (vd, vs2) = match width {
            0 => (self.group(lm), self.group(lm)),
            1 => self.two_disjoint(lm + 1, lm),
            _ => self.two_disjoint(lm, lm + 1),
        };
        let vm = self.vm_for(vd);
        let word = opv(0b010010, vm, vs2, code, FVV, vd);
        match rtz_substitute(word).filter(|_| self.target == Oracle::Qemu72) {
            Some((subject, oracle)) => {
                for (w, q) in subject.into_iter().zip(oracle) {
                    self.w2(w, q);
                }
            }
            None => self.w(word),
        }
    }

    /// `vfmerge.vfm`, `vfmv.v.f`, `vfmv.f.s`, `vfmv.s.f`, `vfslide1up.vf`,
    /// `vfslide1down.vf`.
    fn fp_move(&mut self) {
        let lm = self.m.lmul;
        let f = self.fs();
        let word = match self.rng.gen_range(0..6) {
            0 => {
                let vd = loop {
                    let r = self.group(lm);
                    if r != 0 {
                        break r;
                    }
                };
                let vs2 = self.group(lm);
                opv(0b010111, 0, vs2, f, FVF, vd)
            }
            1 => opv(0b010111, 1, 0, f, FVF, self.group(lm)),
            2 => opv(0b010000, 1, self.rng.gen_range(0..16), 0, FVV, f as u8),
            3 => opv(0b010000, 1, 0, f, FVF, self.rng.gen_range(0..16)),
            k => {
                let (vd, vs2) = self.two_disjoint(lm, lm);
                let vm = self.vm_for(vd);
                opv(0b001110 + (k as u32 - 4), vm, vs2, f, FVF, vd)
            }
        };
        push!(self, word);
    }

    /// A load or store inside the lower half of the scratch buffer (bytes
    /// 0..256 at VLEN 128).
    fn memory(&mut self) {
        let (sew, lm, vl) = (self.m.sew, self.m.lmul, self.m.vl);
        let width = |eew: u32| [0u32, 5, 6, 7][eew as usize];
        let store = self.rng.gen_ratio(1, 2);
        let opcode = if store { STORE_FP } else { LOAD_FP };
        match self.rng.gen_range(0..5) {
            4 => self.indexed(store),
            0 | 1 => {
                // unit-stride or strided, maybe segmented
                let eew = self.rng.gen_range(0..4u32);
                let emul = eew as i32 - sew as i32 + lm;
                if !(-3..=3).contains(&emul) {
                    return;
                }
                let regs = 1u32 << emul.max(0);
                let nf = self.rng.gen_range(1..=(8 / regs).min(4));
                let vd = (self.rng.gen_range(0..=(16 - nf * regs) / regs) * regs) as u8;
                let vm = if !store && vd == 0 { 1 } else { self.vm() };
                let strided = self.rng.gen_ratio(1, 2);
                let stride = if strided { [0i32, 1, 2, -1][self.rng.gen_range(0..4)] * (nf << eew) as i32 } else { 0 };
                let span = vl.max(1) as i32 * stride.abs() + ((vl * nf) << eew) as i32;
                let (half, most) = (self.scaled(256) as i32, self.scaled(200) as i32);
                if span > most {
                    return;
                }
                // A negative stride goes down from 228 (scaled): the lowest
                // byte is at 28 (scaled) or above, the highest at most 32
                // bytes past the start (past the lower half only into the
                // registers' bytes, all loaded by then and all stored over
                // at the end).
                let off = if stride < 0 {
                    self.scaled(228)
                } else {
                    let room = self.scaled(56) as i32;
                    self.rng.gen_range(0..(half - span).clamp(1, room)) as u32
                };
                self.base(off);
                let mop = if strided {
                    push!(self, itype(stride, 0, 0, 29, 0x13)); // li x29, stride
                    0b10 << 26 | 29 << 20
                } else if !store && self.rng.gen_ratio(1, 4) {
                    0b10000 << 20 // fault-only-first (no fault here)
                } else {
                    0
                };
                // QEMU 10 aborts (an assertion in `probe_access_flags`) on a
                // fault-only-first load whose data crosses a page boundary
                // inside an element or a segment (KNOWN_QEMU_DIFFERENCES.md);
                // seen only at VLEN >= 512, whose scratch buffers are large
                // enough to straddle pages often. There, for QEMU 10, a
                // misaligned or segment `ff` load is a plain one (no draw:
                // every other case stays as it was).
                let ff_bug = self.target == Oracle::Qemu10
                    && self.vlen >= 512
                    && mop == 0b10000 << 20
                    && (nf > 1 || off % (1 << eew) != 0);
                let mop = if ff_bug { 0 } else { mop };
                let word = (nf - 1) << 29
                    | mop
                    | vm << 25
                    | u32::from(T_ADDR) << 15
                    | width(eew) << 12
                    | u32::from(vd) << 7
                    | opcode;
                push!(self, word);
            }
            2 => {
                // whole registers: vl<n>re<eew>.v / vs<n>r.v
                let n = [1u32, 2, 4, 8][self.rng.gen_range(0..4)];
                let vd = (self.rng.gen_range(0..16 / n) * n) as u8;
                let eew = if store { 0 } else { self.rng.gen_range(0..4) };
                let off = self.rng.gen_range(0..self.scaled(256 - 16 * n).clamp(1, self.scaled(64)));
                self.base(off);
                push!(
                    self,
                    (n - 1) << 29
                        | 1 << 25
                        | 0b01000 << 20
                        | u32::from(T_ADDR) << 15
                        | width(eew) << 12
                        | u32::from(vd) << 7
                        | opcode
                );
            }
            _ => {
                // vlm.v / vsm.v
                let vd = self.rng.gen_range(0..16u8);
                let off = self.rng.gen_range(0..self.scaled(200));
                self.base(off);
                push!(self, 1 << 25 | 0b01011 << 20 | u32::from(T_ADDR) << 15 | u32::from(vd) << 7 | opcode);
            }
        }
        let _ = sew;
    }

    /// An indexed load or store (`vl[u,o]xseg<nf>ei<eew>.v`,
    /// `vs[u,o]xseg<nf>ei<eew>.v`), its offsets made first in an index
    /// group at SEW, above the data groups: `vid.v`, `vxor.vi` with a
    /// constant below 16 (a permutation of `0..max(2^k, 16)`) and `vsll.vi`
    /// by the bytes of a segment rounded up to a power of two, so that no
    /// two elements touch the same byte. The index EEW is at most SEW:
    /// read narrower, the small offsets give bytes of themselves and
    /// zeros, all in bounds but no longer distinct, so such stores are the
    /// ordered ones (an unordered store to one address twice may keep
    /// either value).
    fn indexed(&mut self, store: bool) {
        let (sew, lm, vl) = (self.m.sew, self.m.lmul, self.m.vl);
        let regs = 1u32 << lm.max(0);
        let eew = self.rng.gen_range(0..=sew);
        if !(-3..=3).contains(&(eew as i32 - sew as i32 + lm)) {
            return;
        }
        let nf = self.rng.gen_range(1..=(8 / regs).min(4));
        if (nf + 1) * regs > 16 {
            return;
        }
        let vi = (16 - regs) as u8;
        let vd = (self.rng.gen_range(0..=(16 - regs - nf * regs) / regs) * regs) as u8;
        let vm = if !store && vd == 0 { 1 } else { self.vm() };
        let shift = sew + nf.next_power_of_two().trailing_zeros();
        let c = self.rng.gen_range(0..16u32);
        let last = vl.next_power_of_two().max(16) - 1;
        let span = (last << shift) + (nf << sew);
        let (half, room) = (self.scaled(256), self.scaled(56));
        if span >= half {
            return;
        }
        let ordered = (store && eew < sew) || self.rng.gen_ratio(1, 2);
        push!(self, opv(0b010100, 1, 0, 0b10001, MVV, vi)); // vid.v vi
        push!(self, opv(0b001011, 1, vi, c, IVI, vi)); // vxor.vi vi, vi, c
        push!(self, opv(0b100101, 1, vi, shift, IVI, vi)); // vsll.vi vi, vi, shift
        let off = self.rng.gen_range(0..(half - span).clamp(1, room));
        self.base(off);
        let width = [0u32, 5, 6, 7][eew as usize];
        let mop = if ordered { 0b11 } else { 0b01 };
        push!(
            self,
            (nf - 1) << 29
                | mop << 26
                | vm << 25
                | u32::from(vi) << 20
                | u32::from(T_ADDR) << 15
                | width << 12
                | u32::from(vd) << 7
                | if store { STORE_FP } else { LOAD_FP }
        );
    }
}

/// Whether the masked (`vm` = 0) vector instruction `word` also reads `v0`
/// as data: a vector source (`vs2`, a `vs1` register, a store's `vs3`) that
/// is, or is the group starting at, `v0`, with an EEW other than the
/// mask's. V 1.0 §5.2 "Vector Operands": "A vector register cannot be used
/// to provide source operands with more than one EEW for a single
/// instruction. A mask register source is considered to have EEW=1 for
/// this constraint. An encoding that would result in the same vector
/// register being read with two or more different EEWs, including when the
/// vector register appears at different positions within two or more
/// vector register groups, is reserved." ferrovm and QEMU 10 raise an
/// illegal instruction there (QEMU: `vext_check_input_eew`, from 10.0.1;
/// but it runs `vadc.vvm` with `v0` as the carry and `vs2`); QEMU 7.2
/// executes them. The generator leaves them out for both oracles
/// (the QEMU 7.2 cases did emit them until ferrovm rejected them too; see
/// KNOWN_QEMU_DIFFERENCES.md). Mask sources (`vcpop.m`, `vfirst.m`,
/// `vmsbf.m`, `vmsif.m`, `vmsof.m`, `viota.m`: EEW 1 like `v0`) and the
/// opcode-in-`vs1` unary forms are not data reads of `vs1`/`vs2`.
pub fn reads_v0_as_data(word: u32) -> bool {
    if (word >> 25) & 1 == 1 {
        return false;
    }
    let (opcode, f3, f6) = (word & 0x7f, (word >> 12) & 7, word >> 26);
    let (vs1, vs2, vd) = ((word >> 15) & 31, (word >> 20) & 31, (word >> 7) & 31);
    match opcode {
        OP_V if f3 != 7 => {
            let unary = (f3 == MVV && matches!(f6, 0b010000 | 0b010010 | 0b010100))
                || (f3 == FVV && matches!(f6, 0b010000 | 0b010010 | 0b010011));
            // VWXUNARY0's vcpop.m/vfirst.m, VMUNARY0's vmsbf/vmsof/vmsif/
            // viota: vs2 is a mask; vid.v has no vs2.
            let mask_or_none = f3 == MVV && ((f6 == 0b010000 && matches!(vs1, 0b10000 | 0b10001)) || f6 == 0b010100);
            (vs2 == 0 && !mask_or_none) || (vs1 == 0 && matches!(f3, IVV | MVV | FVV) && !unary)
        }
        STORE_FP => vd == 0,
        _ => false,
    }
}

/// Whether the vector instruction `word`, under log2(LMUL) `lmul`, reads
/// one register as part of two sources with different EEWs — reserved by
/// the same sentence of V 1.0 §5.2 as [`reads_v0_as_data`], and rejected by
/// ferrovm (QEMU 7.2 executes them; QEMU 10 rejects all but the widening
/// reductions and `vcompress.vm`): the `.w` forms
/// (`vwadd[u].w*`, `vwsub[u].w*`, `vfw{add,sub}.w*`) and the narrowing
/// `.wv` shifts and clips, whose `vs2` (2·SEW) and `vs1` (SEW) overlap;
/// the widening reductions, whose `vs2` (SEW) and `vs1[0]` (2·SEW)
/// overlap; `vcompress.vm`, whose `vs2` (SEW) and mask `vs1` (EEW 1)
/// overlap. Left out for both oracles.
pub fn reads_with_two_eews(word: u32, lmul: i32) -> bool {
    if word & 0x7f != OP_V {
        return false;
    }
    let (f3, f6) = ((word >> 12) & 7, word >> 26);
    let (vs1, vs2) = (((word >> 15) & 31) as u8, ((word >> 20) & 31) as u8);
    let (wide, narrow) = match (f3, f6) {
        (MVV, 0b110100..=0b110111) | (FVV, 0b110100 | 0b110110) | (IVV, 0b101100..=0b101111) => (lmul + 1, lmul),
        (IVV, 0b110000 | 0b110001) | (FVV, 0b110001 | 0b110011) | (MVV, 0b010111) => (lmul, 0),
        _ => return false,
    };
    !VGen::disjoint(vs2, wide, vs1, narrow)
}

/// The shape of an element-group instruction (vector crypto spec 1.0):
/// all are OPMVV in the OP-VE major opcode ([`OP_VE`]), unmasked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EgForm {
    /// `vd` (also read), `vs2` groups; `vs1` is a fixed code.
    Vv,
    /// `vd` group, `vs2` one element group (one register here) that `vd`
    /// must not overlap.
    Vs,
    /// `vd` group, `vs2` group, a 5-bit `uimm` in the `vs1` field.
    Vi,
    /// `vd`, `vs2`, `vs1` groups, pairwise disjoint.
    Vvv,
}

/// `(name, funct6, vs1 code, form, EGS, SEW 64 allowed)`.
const EG_OPS: &[(&str, u32, u32, EgForm, u32, bool)] = &[
    ("vaesdm.vv", 0b101000, 0b00000, EgForm::Vv, 4, false),
    ("vaesdf.vv", 0b101000, 0b00001, EgForm::Vv, 4, false),
    ("vaesem.vv", 0b101000, 0b00010, EgForm::Vv, 4, false),
    ("vaesef.vv", 0b101000, 0b00011, EgForm::Vv, 4, false),
    ("vaesdm.vs", 0b101001, 0b00000, EgForm::Vs, 4, false),
    ("vaesdf.vs", 0b101001, 0b00001, EgForm::Vs, 4, false),
    ("vaesem.vs", 0b101001, 0b00010, EgForm::Vs, 4, false),
    ("vaesef.vs", 0b101001, 0b00011, EgForm::Vs, 4, false),
    ("vaesz.vs", 0b101001, 0b00111, EgForm::Vs, 4, false),
    ("vaeskf1.vi", 0b100010, 0, EgForm::Vi, 4, false),
    ("vaeskf2.vi", 0b101010, 0, EgForm::Vi, 4, false),
    ("vsha2ms.vv", 0b101101, 0, EgForm::Vvv, 4, true),
    ("vsha2ch.vv", 0b101110, 0, EgForm::Vvv, 4, true),
    ("vsha2cl.vv", 0b101111, 0, EgForm::Vvv, 4, true),
    ("vghsh.vv", 0b101100, 0, EgForm::Vvv, 4, false),
    ("vgmul.vv", 0b101000, 0b10001, EgForm::Vv, 4, false),
    ("vsm4k.vi", 0b100001, 0, EgForm::Vi, 4, false),
    ("vsm4r.vv", 0b101000, 0b10000, EgForm::Vv, 4, false),
    ("vsm4r.vs", 0b101001, 0b10000, EgForm::Vs, 4, false),
    ("vsm3me.vv", 0b100000, 0, EgForm::Vvv, 8, false),
    ("vsm3c.vi", 0b101011, 0, EgForm::Vi, 8, false),
];

impl VGen<'_> {
    /// One instruction of the extensions only QEMU 10 runs: Zvbb (Zvkb
    /// included) under the current `vtype`, Zvbc at SEW 64, and the vector
    /// crypto instructions in a `vtype` and `vl` of their own.
    fn rva23_one(&mut self) {
        match self.rng.gen_range(0..100) {
            0..=44 => self.zvbb(),
            45..=54 => self.zvbc(),
            _ => self.element_group(),
        }
    }

    /// Zvbb: `vandn`, `vrol`, `vror` (`.vv`, `.vx`, `vror.vi`), the
    /// VXUNARY0 bit counts and reversals, and `vwsll` (widening).
    fn zvbb(&mut self) {
        let (sew, lm) = (self.m.sew, self.m.lmul);
        let x = u32::from(self.xs());
        match self.rng.gen_range(0..10) {
            0..=4 => {
                let (vd, vs2, vs1) = (self.group(lm), self.group(lm), self.group(lm));
                let vm = self.vm_for(vd);
                let f6 = [0b000001, 0b010101, 0b010100][self.rng.gen_range(0..3)];
                let word = match self.rng.gen_range(0..3) {
                    0 => opv(f6, vm, vs2, u32::from(vs1), IVV, vd),
                    1 => opv(f6, vm, vs2, x, IVX, vd),
                    // vror.vi: uimm[5] is bit 26, the low bit of funct6.
                    _ => {
                        let imm = self.rng.gen_range(0..64u32);
                        opv(0b010100 | imm >> 5, vm, vs2, imm, IVI, vd)
                    }
                };
                push!(self, word);
            }
            5..=7 => {
                // vbrev8, vrev8, vbrev, vclz, vctz, vcpop.v
                let code = [0b01000, 0b01001, 0b01010, 0b01100, 0b01101, 0b01110][self.rng.gen_range(0..6)];
                let (vd, vs2) = (self.group(lm), self.group(lm));
                let vm = self.vm_for(vd);
                push!(self, opv(0b010010, vm, vs2, code, MVV, vd));
            }
            _ => {
                // vwsll.{vv,vx,vi}: 2*SEW destination (SEW <= 32, LMUL <= 4)
                if sew >= 3 || lm >= 3 {
                    let s = self.rng.gen_range(0..3);
                    return self.vset_sew(s);
                }
                let vd = self.group(lm + 1);
                let (vs2, vs1) = loop {
                    let (a, b) = (self.group(lm), self.group(lm));
                    if Self::disjoint(a, lm, vd, lm + 1) && Self::disjoint(b, lm, vd, lm + 1) {
                        break (a, b);
                    }
                };
                let vm = self.vm_for(vd);
                let word = match self.rng.gen_range(0..3) {
                    0 => opv(0b110101, vm, vs2, u32::from(vs1), IVV, vd),
                    1 => opv(0b110101, vm, vs2, x, IVX, vd),
                    _ => opv(0b110101, vm, vs2, self.rng.gen_range(0..32), IVI, vd),
                };
                push!(self, word);
            }
        }
    }

    /// Zvbc: `vclmul`/`vclmulh` `.vv`/`.vx`, at SEW 64 (the only SEW
    /// they have; a `vsetvli` to it first if needed).
    fn zvbc(&mut self) {
        if self.m.sew != 3 {
            return self.vset_sew(3);
        }
        let lm = self.m.lmul;
        let (vd, vs2, vs1) = (self.group(lm), self.group(lm), self.group(lm));
        let vm = self.vm_for(vd);
        let f6 = 0b001100 + self.rng.gen_range(0..2);
        let word = if self.rng.gen_ratio(1, 2) {
            opv(f6, vm, vs2, u32::from(vs1), MVV, vd)
        } else {
            let x = u32::from(self.xs());
            opv(f6, vm, vs2, x, MVX, vd)
        };
        push!(self, word);
    }

    /// A `vtype` of SEW 8 << `sew` and an LMUL with LMUL × VLEN >= EGW
    /// (`egs` elements) and at most 2^`max_lmul`, and a `vl` that is a
    /// multiple of `egs` (VLMAX, or an immediate AVL `k * egs` <= VLMAX):
    /// the shapes the vector crypto spec allows ("Instruction
    /// Constraints"), with LMUL at least 2^`min_lmul`. `false` if there is
    /// none.
    fn vset_element_groups(&mut self, sew: u32, egs: u32, min_lmul: i32, max_lmul: i32) -> bool {
        let egw = egs * (8 << sew);
        // SEW <= LMUL * ELEN (64) and LMUL * VLEN >= EGW.
        let Some(lo) = (min_lmul..=max_lmul).find(|&l| {
            let bits = if l >= 0 { self.vlen << l } else { self.vlen >> -l };
            (l >= 0 || (64 >> -l) >= (8 << sew)) && bits >= egw
        }) else {
            return false;
        };
        let lmul = self.rng.gen_range(lo..=max_lmul);
        let vlmax = self.vlmax_of(sew, lmul);
        let (ta, ma) = (self.rng.gen_range(0..2u32), self.rng.gen_range(0..2u32));
        let vtype = ma << 7 | ta << 6 | sew << 3 | (lmul as u32 & 7);
        let vl = if self.rng.gen_ratio(1, 2) {
            push!(self, itype(vtype as i32, 0, 7, 28, OP_V));
            vlmax
        } else {
            let k = self.rng.gen_range(0..=(31 / egs).min(vlmax / egs));
            push!(self, 0xc000_0000 | vtype << 20 | (k * egs) << 15 | 7 << 12 | 28 << 7 | OP_V);
            k * egs
        };
        self.m = Model { sew, lmul, vl };
        true
    }

    /// A vector crypto instruction (Zvkned, Zvknhb, Zvkg, Zvksed, Zvksh)
    /// in a legal shape: its SEW (32; SHA-2 also 64), vl a multiple of
    /// EGS, LMUL × VLEN >= EGW, aligned groups, and no overlap of `vd`
    /// with `vs2` (and `vs1`) where the spec reserves it (we keep them
    /// apart everywhere but the `.vv` forms' `vd`, which is also a source).
    fn element_group(&mut self) {
        let (_, f6, code, form, egs, sha) = EG_OPS[self.rng.gen_range(0..EG_OPS.len())];
        let sew = if sha && self.rng.gen_ratio(1, 2) { 3 } else { 2 };
        // Three disjoint groups must fit in v0..v15.
        let max_lmul = if form == EgForm::Vvv { 2 } else { 3 };
        // QEMU 10 raises an illegal instruction for every vsha2* at a
        // fractional LMUL, which the ratified spec allows when LMUL × VLEN
        // >= EGW (and ferrovm runs): a QEMU bug, left out
        // (KNOWN_QEMU_DIFFERENCES.md). At VLEN 128 this changes nothing:
        // EGW >= 128 needs LMUL >= 1 there anyway.
        let min_lmul = if sha { 0 } else { -3 };
        if !self.vset_element_groups(sew, egs, min_lmul, max_lmul) {
            return;
        }
        let lm = self.m.lmul;
        let word = match form {
            EgForm::Vv => {
                let (vd, vs2) = self.two_disjoint(lm, lm);
                opv(f6, 1, vs2, code, MVV, vd)
            }
            EgForm::Vs => {
                let (vd, vs2) = self.two_disjoint(lm, 0);
                opv(f6, 1, vs2, code, MVV, vd)
            }
            EgForm::Vi => {
                let (vd, vs2) = self.two_disjoint(lm, lm);
                opv(f6, 1, vs2, self.rng.gen_range(0..32), MVV, vd)
            }
            EgForm::Vvv => {
                let (vd, vs2) = self.two_disjoint(lm, lm);
                let vs1 = loop {
                    let r = self.group(lm);
                    if Self::disjoint(r, lm, vd, lm) && Self::disjoint(r, lm, vs2, lm) {
                        break r;
                    }
                };
                opv(f6, 1, vs2, u32::from(vs1), MVV, vd)
            }
        };
        push!(self, (word & !0x7f) | OP_VE);
    }
}

/// For a `vf[w,n]cvt.rtz.*` word: what ferrovm runs
/// (`csrr x26, frm; <word>; csrw frm, x26`) and what QEMU runs at the same
/// addresses (`csrrwi x26, frm, 1; <the conversion without rtz>; csrw frm,
/// x26`), see [`RTZ`]. `None` for any other word.
pub fn rtz_substitute(word: u32) -> Option<([u32; 3], [u32; 3])> {
    let code = (word >> 15) & 31;
    let vfunary0 = word & 0x7f == OP_V && (word >> 12) & 7 == FVV && word >> 26 == 0b010010;
    // The rtz forms are codes x0110/x0111; without rtz, x0000/x0001.
    if !vfunary0 || code & 0b00110 != 0b00110 {
        return None;
    }
    let plain = word & !(0b00110 << 15);
    let t = u32::from(T_ADDR);
    let restore = FRM << 20 | t << 15 | 1 << 12 | 0x73;
    Some((
        [FRM << 20 | 2 << 12 | t << 7 | 0x73, word, restore],
        [FRM << 20 | 1 << 15 | 5 << 12 | t << 7 | 0x73, plain, restore],
    ))
}

/// Makes `case` (a scalar case's initial state, its scratch buffer
/// [`scratch_bytes`] of `vlen` long) a vector case at `vlen`: for an FP
/// case, FP bit patterns in the scratch bytes the vector registers start
/// from; then the sequence, and QEMU's version of it if that differs.
pub fn prepare(case: &mut Case, rng: &mut StdRng, vlen: u32, oracle: Oracle) {
    assert!(VLENS.contains(&vlen), "VLEN {vlen} is not one of {VLENS:?}");
    assert_eq!(case.scratch.len(), scratch_bytes(vlen));
    let fp = rng.gen_ratio(1, 2);
    if fp {
        for chunk in case.scratch[regs_at(vlen)..].chunks_exact_mut(8) {
            let v = match rng.gen_range(0..5) {
                0 | 1 => u64::from(values::f32_bits(rng)) | (u64::from(values::f32_bits(rng)) << 32),
                2 | 3 => values::f64_bits(rng),
                _ => values::int(rng),
            };
            chunk.copy_from_slice(&v.to_le_bytes());
        }
    }
    let (code, oracle_code) = sequence_for(rng, fp, vlen, oracle);
    case.code = code;
    case.oracle_code = oracle_code;
}

/// Which substitutions a vector case relies on (for the summary).
pub fn substitutions(case: &Case) -> Vec<&'static str> {
    if case.oracle_code.is_some() { vec![RTZ] } else { Vec::new() }
}

/// The sequence of a vector case at `vlen` (see the module docs), and
/// QEMU's if it differs.
pub fn sequence(rng: &mut StdRng, fp: bool, vlen: u32) -> (Vec<Insn>, Option<Vec<Insn>>) {
    sequence_for(rng, fp, vlen, Oracle::Qemu72)
}

/// [`sequence`] for `oracle`.
pub fn sequence_for(rng: &mut StdRng, fp: bool, vlen: u32, oracle: Oracle) -> (Vec<Insn>, Option<Vec<Insn>>) {
    let mut g = VGen {
        rng,
        vlen,
        m: Model { sew: 0, lmul: 0, vl: 0 },
        out: Vec::new(),
        oracle: Vec::new(),
        substituted: false,
        fp,
        target: oracle,
    };
    g.load_registers();
    g.vset();
    let n = g.rng.gen_range(4..=20);
    for _ in 0..n {
        g.one();
    }
    g.dump_registers();
    let oracle = g.substituted.then_some(g.oracle);
    (g.out, oracle)
}

/// `body` between the prologue and epilogue every vector case at `vlen`
/// has (`v0..v15` loaded from the scratch buffer's upper half; the vector
/// CSRs into `x28..x31` and `v0..v15` stored back): a hand-written vector
/// case, e.g. to check the harness's layout.
pub fn wrap(body: &[u32], vlen: u32) -> Vec<Insn> {
    let mut rng = rand::SeedableRng::seed_from_u64(0);
    let mut g = VGen {
        rng: &mut rng,
        vlen,
        m: Model { sew: 0, lmul: 0, vl: 0 },
        out: Vec::new(),
        oracle: Vec::new(),
        substituted: false,
        fp: false,
        target: Oracle::Qemu72,
    };
    g.load_registers();
    for &w in body {
        g.raw(w);
    }
    g.dump_registers();
    g.out
}

impl VGen<'_> {
    /// Where `v0` and `v8` are loaded from and stored to.
    fn register_bases(&self) -> (u32, u32) {
        let at = regs_at(self.vlen) as u32;
        // e8, m8: a group of 8 registers is VLEN bytes.
        (at, at + self.vlen)
    }

    /// `v0..v15` from the upper half of the scratch buffer.
    fn load_registers(&mut self) {
        let (v0_at, v8_at) = self.register_bases();
        push!(self, itype(0b0000_0011, 0, 7, 28, OP_V)); // vsetvli x28, x0, e8, m8
        self.base(v0_at);
        push!(self, 1 << 25 | u32::from(T_ADDR) << 15 | LOAD_FP); // v0
        self.base(v8_at);
        push!(self, 1 << 25 | u32::from(T_ADDR) << 15 | 8 << 7 | LOAD_FP);
    }

    /// The scalar view of the vector CSRs (`vl`, `vtype`, `vxsat`, `vxrm`
    /// into `x28..x31`), then `v0..v15` back where they came from.
    fn dump_registers(&mut self) {
        for (rd, csr) in [(28u8, 0xc20), (29, 0xc21), (30, 0x009), (31, 0x00a)] {
            push!(self, itype(csr, 0, 2, rd, 0x73));
        }
        let (v0_at, v8_at) = self.register_bases();
        push!(self, itype(0b0000_0011, 0, 7, 25, OP_V)); // vsetvli x25, x0, e8, m8
        self.base(v0_at);
        push!(self, 1 << 25 | u32::from(T_ADDR) << 15 | STORE_FP); // v0
        self.base(v8_at);
        push!(self, 1 << 25 | u32::from(T_ADDR) << 15 | 8 << 7 | STORE_FP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    /// Every vector FP instruction shape appears in a few thousand cases:
    /// each OPFVV/OPFVF funct6, each VFUNARY0/VFUNARY1 code, and the `rtz`
    /// forms only where QEMU runs a substitute.
    #[test]
    fn fp_cases_cover_every_vector_fp_instruction() {
        let mut seen = BTreeSet::new();
        let mut rtz_substituted = 0;
        for seed in 0..3000u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let (code, oracle) = sequence(&mut rng, true, DEFAULT_VLEN);
            for (k, insn) in code.iter().enumerate() {
                let Insn::Word(w) = *insn else { continue };
                let (f3, f6, vs1) = ((w >> 12) & 7, w >> 26, (w >> 15) & 31);
                if w & 0x7f != OP_V || !(f3 == FVV || f3 == FVF) {
                    continue;
                }
                let unary = f3 == FVV && (f6 == 0b010010 || f6 == 0b010011);
                seen.insert((f6, f3, if unary { vs1 } else { 0 }));
                if unary && f6 == 0b010010 && vs1 & 0b00110 == 0b00110 {
                    let q = oracle.as_ref().and_then(|o| o.get(k)).copied();
                    assert!(matches!(q, Some(Insn::Word(q)) if q != w), "rtz at {k} not substituted");
                    rtz_substituted += 1;
                }
            }
        }
        let mut want = BTreeSet::new();
        for f6 in [
            0b000000, 0b000010, 0b000100, 0b000110, 0b001000, 0b001001, 0b001010, 0b011000, 0b011001, 0b011011,
            0b011100, 0b100000, 0b100100, 0b101000, 0b101001, 0b101010, 0b101011, 0b101100, 0b101101, 0b101110,
            0b101111, 0b110000, 0b110010, 0b110100, 0b110110, 0b111000, 0b111100, 0b111101, 0b111110, 0b111111,
        ] {
            want.extend([(f6, FVV, 0), (f6, FVF, 0)]);
        }
        for f6 in [0b100111, 0b100001, 0b011101, 0b011111, 0b001110, 0b001111, 0b010111, 0b010000] {
            want.insert((f6, FVF, 0));
        }
        for f6 in [0b000001, 0b000011, 0b000101, 0b000111, 0b110001, 0b110011, 0b010000] {
            want.insert((f6, FVV, 0));
        }
        for code in [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23] {
            want.insert((0b010010, FVV, code));
        }
        for code in [0, 4, 5, 16] {
            want.insert((0b010011, FVV, code));
        }
        let missing: Vec<_> = want.difference(&seen).collect();
        assert!(missing.is_empty(), "never generated (funct6, funct3, vs1): {missing:?}");
        assert!(rtz_substituted > 0);
    }

    /// FP at SEW 16 (binary16, Zvfh) and the int8 <-> binary16 conversions
    /// at SEW 8 are generated: the SEW of the last `vset{i}vli` before each
    /// FP instruction.
    #[test]
    fn fp_cases_include_binary16() {
        let mut per_sew = [0usize; 4];
        for seed in 0..1000u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let (code, _) = sequence(&mut rng, true, DEFAULT_VLEN);
            let mut sew = 0;
            for insn in &code {
                let Insn::Word(w) = *insn else { continue };
                let f3 = (w >> 12) & 7;
                if w & 0x7f != OP_V {
                    continue;
                }
                // vsetvli (bit 31 = 0) or vsetivli (bits 31:30 = 11): vsew
                // is bits 25:23 in both.
                if f3 == 7 && (w >> 31 == 0 || w >> 30 == 3) {
                    sew = (w >> 23) & 7;
                } else if (f3 == FVV || f3 == FVF) && sew < 4 {
                    per_sew[sew as usize] += 1;
                }
            }
        }
        assert!(per_sew.iter().all(|&n| n > 0), "FP instructions per SEW 8/16/32/64: {per_sew:?}");
    }

    /// Indexed loads and stores are generated at every VLEN: unordered
    /// and ordered, segmented, with each index width.
    #[test]
    fn indexed_accesses_are_generated() {
        for vlen in VLENS {
            let (mut loads, mut stores, mut ordered, mut segments, mut widths) = (0, 0, 0, 0, [0; 8]);
            for seed in 0..2000u64 {
                let mut rng = StdRng::seed_from_u64(seed);
                let (code, _) = sequence(&mut rng, false, vlen);
                for insn in &code {
                    let Insn::Word(w) = *insn else { continue };
                    let (op, width, mop) = (w & 0x7f, (w >> 12) & 7, (w >> 26) & 3);
                    if !matches!(op, LOAD_FP | STORE_FP) || !matches!(width, 0 | 5 | 6 | 7) || mop & 1 == 0 {
                        continue;
                    }
                    if op == LOAD_FP {
                        loads += 1
                    } else {
                        stores += 1
                    }
                    ordered += usize::from(mop == 3);
                    segments += usize::from(w >> 29 != 0);
                    widths[width as usize] += 1;
                }
            }
            eprintln!(
                "VLEN {vlen}: {loads} indexed loads, {stores} stores, {ordered} ordered, {segments} segmented, index widths {widths:?}"
            );
            assert!(loads > 100 && stores > 100, "VLEN {vlen}: {loads} indexed loads, {stores} stores");
            assert!(ordered > 100 && segments > 50, "VLEN {vlen}: {ordered} ordered, {segments} segmented");
            assert!([0, 5, 6, 7].iter().all(|&w| widths[w] > 0), "VLEN {vlen}: index widths {widths:?}");
        }
    }

    /// The generator is the same at every VLEN, its bounds scaled: loads
    /// and stores (whose lengths grow with VLEN) are generated at least
    /// 95% as often at 256, 512 and 1024 as at 128 on the same seeds, not
    /// thinned out by bounds made for VLEN 128; and every `addi x26, x27, off` (the accesses' base)
    /// stays inside the case's scratch buffer.
    #[test]
    fn memory_accesses_at_every_vlen() {
        let mut counts = Vec::new();
        for vlen in VLENS {
            let mut n = 0;
            for seed in 0..2000u64 {
                let mut rng = StdRng::seed_from_u64(seed);
                let (code, _) = sequence(&mut rng, false, vlen);
                let words: Vec<u32> =
                    code.iter().map(|i| if let Insn::Word(w) = *i { w } else { unreachable!() }).collect();
                // Minus the prologue's and epilogue's two each.
                n += words.iter().filter(|&&w| w & 0x7f == LOAD_FP || w & 0x7f == STORE_FP).count() - 4;
                for (k, &w) in words.iter().enumerate() {
                    let addi = w & 0x707f == 0x13 && (w >> 7) & 31 == u32::from(T_ADDR);
                    if !addi {
                        continue;
                    }
                    let imm = (w as i32) >> 20;
                    let off = match (w >> 15) & 31 {
                        r if r == u32::from(BASE_REG) => imm,
                        // The second half of a base past 2047.
                        _ => 2047 + imm,
                    };
                    assert!((0..scratch_bytes(vlen) as i32).contains(&off), "VLEN {vlen} seed {seed} word {k}: {off}");
                }
            }
            counts.push(n);
        }
        for (vlen, n) in VLENS.iter().zip(&counts) {
            // (Unscaled bounds give 91%, 85%, 80% of VLEN 128's count.)
            assert!(*n * 20 >= counts[0] * 19, "VLEN {vlen}: {n} loads/stores, VLEN 128: {}", counts[0]);
        }
        eprintln!("loads and stores at VLEN {VLENS:?}: {counts:?}");
    }
}
