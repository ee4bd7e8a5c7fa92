//! The generator against ferrovm's own instruction table and decoder: every
//! instruction ferrovm knows is generated, and ferrovm decodes every
//! generated word as the instruction it was meant to be. (The full
//! differential run then checks what they *do*.)

use ferrovm_difftest::generator::{Case, Insn};
use ferrovm_difftest::rvc::COp;
use ferrovm_riscv::{Opcode, decode, decode16};
use std::collections::BTreeSet;

/// ferrovm instructions the generator never emits, and why.
const NOT_GENERATED: &[(&str, &str)] = &[
    ("ecall", "a system call, not a computation; the harness uses it for write/exit"),
    ("ebreak", "raises SIGTRAP; the case would end"),
    // qemu-riscv64 7.2 implements none of these (no -cpu property): their
    // oracles are the spec-derived unit tests (ferrovm-ir's fp.rs/eval.rs,
    // the riscv crate's spec rows), the self-checking guest min_rva23, and
    // the engine's interpreter-vs-JIT random streams (jit_diff.rs).
    ("czero.eqz", "Zicond: not in qemu-riscv64 7.2"),
    ("czero.nez", "Zicond: not in qemu-riscv64 7.2"),
    ("mop.r", "Zimop: not in qemu-riscv64 7.2"),
    ("mop.rr", "Zimop: not in qemu-riscv64 7.2"),
    ("wrs.nto", "Zawrs: not in qemu-riscv64 7.2"),
    ("wrs.sto", "Zawrs: not in qemu-riscv64 7.2"),
    ("cbo.inval", "Zicbom: not in qemu-riscv64 7.2 (and SIGILL in user mode)"),
    ("cbo.clean", "Zicbom: not in qemu-riscv64 7.2"),
    ("cbo.flush", "Zicbom: not in qemu-riscv64 7.2"),
    ("cbo.zero", "Zicboz: not in qemu-riscv64 7.2"),
    ("fli.s", "Zfa: not in qemu-riscv64 7.2"),
    ("fli.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fli.h", "Zfa: not in qemu-riscv64 7.2"),
    ("fminm.s", "Zfa: not in qemu-riscv64 7.2"),
    ("fmaxm.s", "Zfa: not in qemu-riscv64 7.2"),
    ("fminm.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fmaxm.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fminm.h", "Zfa: not in qemu-riscv64 7.2"),
    ("fmaxm.h", "Zfa: not in qemu-riscv64 7.2"),
    ("fround.s", "Zfa: not in qemu-riscv64 7.2"),
    ("froundnx.s", "Zfa: not in qemu-riscv64 7.2"),
    ("fround.d", "Zfa: not in qemu-riscv64 7.2"),
    ("froundnx.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fround.h", "Zfa: not in qemu-riscv64 7.2"),
    ("froundnx.h", "Zfa: not in qemu-riscv64 7.2"),
    ("fcvtmod.w.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fleq.s", "Zfa: not in qemu-riscv64 7.2"),
    ("fltq.s", "Zfa: not in qemu-riscv64 7.2"),
    ("fleq.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fltq.d", "Zfa: not in qemu-riscv64 7.2"),
    ("fleq.h", "Zfa: not in qemu-riscv64 7.2"),
    ("fltq.h", "Zfa: not in qemu-riscv64 7.2"),
];

/// The 32-bit instruction a compressed one expands to (unprivileged spec,
/// "RVC Instruction Set Listings").
fn expansion(op: COp) -> &'static str {
    match op {
        COp::Addi4spn | COp::Nop | COp::Addi | COp::Li | COp::Addi16sp => "addi",
        COp::Fld | COp::Fldsp => "fld",
        COp::Lw | COp::Lwsp => "lw",
        COp::Ld | COp::Ldsp => "ld",
        COp::Fsd | COp::Fsdsp => "fsd",
        COp::Sw | COp::Swsp => "sw",
        COp::Sd | COp::Sdsp => "sd",
        COp::Addiw => "addiw",
        COp::Lui => "lui",
        COp::Srli => "srli",
        COp::Srai => "srai",
        COp::Andi => "andi",
        COp::Sub => "sub",
        COp::Xor => "xor",
        COp::Or => "or",
        COp::And => "and",
        COp::Subw => "subw",
        COp::Addw => "addw",
        COp::J => "jal",
        COp::Beqz => "beq",
        COp::Bnez => "bne",
        COp::Slli => "slli",
        COp::Jr | COp::Jalr => "jalr",
        COp::Mv | COp::Add => "add",
    }
}

fn generated(cases: u64) -> Vec<Insn> {
    (0..cases).flat_map(|s| Case::generate(s).code).collect()
}

#[test]
fn every_ferrovm_instruction_is_generated() {
    let mut seen = BTreeSet::new();
    let mut seen_c = BTreeSet::new();
    for insn in generated(5000) {
        match insn {
            Insn::Full(i) => seen.insert(i.op.name),
            Insn::Comp(c) => seen_c.insert(c.op.name()),
            Insn::Word(_) => false,
        };
    }
    // Vector instructions come from the `--vector` mode (src/vector.rs);
    // Zvbb, which QEMU 7.2 lacks, from none (see tests/guests/vector_rva23).
    let missing: Vec<&str> = Opcode::ALL
        .iter()
        .filter(|o| !o.ext().has_vector_opcodes())
        .map(|o| o.name())
        .filter(|n| !seen.contains(n) && !NOT_GENERATED.iter().any(|(x, _)| x == n))
        .collect();
    assert!(missing.is_empty(), "ferrovm supports these but the generator never emits them: {missing:?}");
    let missing_c: Vec<&str> = COp::ALL.iter().map(|c| c.name()).filter(|n| !seen_c.contains(n)).collect();
    assert!(missing_c.is_empty(), "compressed forms never generated: {missing_c:?}");
}

#[test]
fn ferrovm_decodes_every_generated_word_as_intended() {
    let mut wrong = Vec::new();
    for insn in generated(3000) {
        let (got, want, len) = match insn {
            Insn::Full(i) => (decode(i.encode()), i.op.name, 4),
            Insn::Comp(c) => (decode16(c.encode()), expansion(c.op), 2),
            Insn::Word(_) => continue,
        };
        // `packw rd, rs1, x0` is `zext.h`, as the spec defines it.
        let want = if want == "packw" && got.op.name() == "zext.h" { "zext.h" } else { want };
        if got.op.name() != want || got.len != len {
            wrong.push(format!("{} {}: ferrovm decodes {:?}", insn.hex(), insn.disasm(), got));
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "{} words misdecoded, e.g.:\n{}", wrong.len(), wrong[..wrong.len().min(20)].join("\n"));
}
