//! Every encoding the generator emits, checked against GNU `as`: the
//! disassembly text is assembled and must give the same bytes. Skips when
//! the cross assembler is not installed.

use ferrovm_difftest::generator::{Case, Insn};
use ferrovm_difftest::rvc::COp;
use std::path::PathBuf;
use std::process::Command;

fn tool(name: &str) -> Option<PathBuf> {
    let p = std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())?;
    Some(p)
}

#[test]
fn encodings_match_gnu_as() {
    let (Some(asm), Some(objcopy)) = (tool("riscv64-linux-gnu-as"), tool("riscv64-linux-gnu-objcopy")) else {
        eprintln!("SKIP: riscv64-linux-gnu-as/objcopy not installed");
        return;
    };
    let mut src = String::from(".option norelax\n");
    let mut expect = Vec::new();
    let mut lines = Vec::new();
    for seed in 0..3000 {
        for insn in Case::generate(seed).code {
            // GNU as refuses an explicit rounding mode on exact conversions.
            if let Insn::Full(i) = insn
                && i.op.rm_ignored()
                && i.rm != 0
            {
                continue;
            }
            // Nor does it take the shamt = 0 HINTs of the compressed shifts.
            if let Insn::Comp(c) = insn
                && matches!(c.op, COp::Slli | COp::Srli | COp::Srai)
                && c.imm == 0
            {
                continue;
            }
            src.push_str(match insn {
                Insn::Full(_) | Insn::Word(_) => ".option norvc\n",
                Insn::Comp(_) => ".option rvc\n",
            });
            src.push_str(&insn.disasm());
            src.push('\n');
            expect.extend(insn.bytes());
            lines.push((expect.len(), insn));
        }
    }
    let dir = std::env::temp_dir().join(format!("ferrovm-difftest-asm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (s, o, b) = (dir.join("t.s"), dir.join("t.o"), dir.join("t.bin"));
    std::fs::write(&s, &src).unwrap();
    let out =
        Command::new(asm).args(["-march=rv64gc_zba_zbb_zbc_zbs_zfh_zbkb_zbkx", "-o"]).arg(&o).arg(&s).output().unwrap();
    assert!(out.status.success(), "as failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(objcopy).args(["-O", "binary", "-j", ".text"]).arg(&o).arg(&b).output().unwrap();
    assert!(out.status.success(), "objcopy failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let got = std::fs::read(&b).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut start = 0;
    for (end, insn) in &lines {
        assert_eq!(
            got.get(start..*end),
            Some(&expect[start..*end]),
            "`{}`: gas encodes {:02x?}, difftest {:02x?}",
            insn.disasm(),
            got.get(start..*end),
            &expect[start..*end]
        );
        start = *end;
    }
    assert_eq!(got.len(), expect.len());
}
