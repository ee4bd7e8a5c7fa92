//! The generator against ferrovm's own instruction table and decoder: every
//! instruction ferrovm knows is generated, and ferrovm decodes every
//! generated word as the instruction it was meant to be. (The full
//! differential run then checks what they *do*.)

use ferrovm_difftest::generator::{Case, Insn};
use ferrovm_difftest::oracle::Oracle;
use ferrovm_difftest::rvc::COp;
use ferrovm_riscv::{Ext, Opcode, decode, decode16};
use std::collections::BTreeSet;

/// ferrovm instructions the generator never emits (for either oracle), and
/// why. Zicond, Zimop, Zawrs, Zicbom, Zicboz and Zfa, which qemu-riscv64
/// 7.2 lacks, are generated for the QEMU 10 oracle (`--oracle qemu10`).
const NOT_GENERATED: &[(&str, &str)] = &[
    ("ecall", "a system call, not a computation; the harness uses it for write/exit"),
    ("ebreak", "raises SIGTRAP; the case would end"),
    (
        "cbo.inval",
        "Linux leaves senvcfg.CBIE at 0, so it is SIGILL in user mode (ferrovm follows Linux); \
         QEMU 10's linux-user runs it as a no-op (KNOWN_QEMU_DIFFERENCES.md)",
    ),
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
        COp::Lbu => "lbu",
        COp::Lhu => "lhu",
        COp::Lh => "lh",
        COp::Sb => "sb",
        COp::Sh => "sh",
        COp::ZextB => "andi",
        COp::SextB => "sext.b",
        COp::ZextH => "zext.h",
        COp::SextH => "sext.h",
        COp::ZextW => "add.uw",
        COp::Not => "xori",
        COp::Mul => "mul",
        // c.mop.n writes nothing: `addi x0, x0, 0`.
        COp::Mop => "addi",
    }
}

/// The instructions of the first `cases` cases for every oracle.
fn generated(cases: u64) -> Vec<Insn> {
    Oracle::ALL.into_iter().flat_map(|o| (0..cases).flat_map(move |s| Case::generate_for(s, o).code)).collect()
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
    // Every scalar instruction is generated for at least one of the two
    // oracles; vector instructions come from the `--vector` mode (below).
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

/// The vector extensions QEMU 7.2 lacks — Zvbb, Zvbc, Zvkned, Zvknh[ab],
/// Zvkg, Zvksed, Zvksh — are all generated for QEMU 10 (`--vector
/// --oracle qemu10`), every instruction of them, as ferrovm decodes the
/// words; and none for QEMU 7.2, whose cases are unchanged.
#[test]
fn every_new_vector_instruction_is_generated_for_qemu10() {
    let new = [Ext::Zvbb, Ext::Zvbc, Ext::Zvkned, Ext::Zvknha, Ext::Zvkg, Ext::Zvksed, Ext::Zvksh];
    let seen = |oracle| {
        let mut seen = BTreeSet::new();
        for seed in 0..1500 {
            for insn in Case::generate_vector_for(seed, 128, oracle).code {
                if let Insn::Word(w) = insn {
                    let d = decode(w);
                    assert_ne!(d.op.name(), "illegal", "seed {seed}: {w:#010x} does not decode");
                    seen.insert(d.op.name());
                }
            }
        }
        seen
    };
    let (old, now) = (seen(Oracle::Qemu72), seen(Oracle::Qemu10));
    let wanted: Vec<&str> = Opcode::ALL.iter().filter(|o| new.contains(&o.ext())).map(|o| o.name()).collect();
    let missing: Vec<&&str> = wanted.iter().filter(|n| !now.contains(*n)).collect();
    assert!(missing.is_empty(), "never generated for QEMU 10: {missing:?}");
    let leaked: Vec<&&str> = wanted.iter().filter(|n| old.contains(*n)).collect();
    assert!(leaked.is_empty(), "generated for QEMU 7.2: {leaked:?}");
}
