#!/usr/bin/env python3
"""Creates the case lines of the lifter golden files from assembly.

Each file tests/filetests/<ext>.ft holds cases: `case WORD... ; asm`, each
followed by the IR that the lifter produces (written by the Rust test runner
with FERROVM_BLESS=1). This script only (re)writes the case lines, using GNU
as and objdump from Debian's binutils-riscv64-linux-gnu as the encoder, so
the inputs do not depend on ferrovm's own encoder.

    tests/filetests/gen.py            # rewrite every .ft file's cases
    FERROVM_BLESS=1 cargo test -p ferrovm-engine filetests   # fill in the IR

Cases separated by `|` in the lists below are lifted together as one block
(to show what the passes do across instructions).
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MARCH = "rv64gcv_zba_zbb_zbc_zbs_zicsr_zifencei_zfh_zbkb_zbkx_zicbom_zicboz_zicbop_zawrs_zihintpause"

FILES = {
    "rv64i": ("RV64I base integer instructions and Zifencei", [
        "lui a0,0x12345", "auipc a1,0x10", "jal ra,.+0x100", "jalr ra,8(a5)", "jalr zero,0(ra)",
        "beq a0,a1,.+0x40", "bne a0,zero,.-0x20", "blt a2,a3,.+0x10", "bge a2,a3,.+0x10", "bltu a4,a5,.+0x10",
        "bgeu a4,a5,.+0x10", "lb a0,-1(sp)", "lh a0,2(sp)", "lw a0,4(sp)", "ld a0,8(sp)", "lbu a0,1(a1)",
        "lhu a0,2(a1)", "lwu a0,4(a1)", "sb a0,0(sp)", "sh a0,2(sp)", "sw a0,4(sp)", "sd a0,-8(sp)",
        "addi a0,a0,-1", "slti a0,a1,5", "sltiu a0,a1,5", "xori a0,a1,-1", "ori a0,a1,0x7f",
        "andi a0,a1,0xff", "slli a0,a1,63", "srli a0,a1,1", "srai a0,a1,63", "add a0,a1,a2",
        "sub a0,a1,a2", "sll a0,a1,a2", "slt a0,a1,a2", "sltu a0,a1,a2", "xor a0,a1,a2", "srl a0,a1,a2",
        "sra a0,a1,a2", "or a0,a1,a2", "and a0,a1,a2", "addiw a0,a1,1", "slliw a0,a1,31",
        "srliw a0,a1,31", "sraiw a0,a1,31", "addw a0,a1,a2", "subw a0,a1,a2", "sllw a0,a1,a2",
        "srlw a0,a1,a2", "sraw a0,a1,a2", "fence rw,rw", "fence.tso", "fence iorw,ow", "fence r,rw", "fence w,r", "ecall", "ebreak", "fence.i",
        "addi a0,zero,0", "add zero,a1,a2",
        "addi a0,a0,1|addi a0,a0,2|sd a0,0(sp)|addi a0,a0,3",
        "mv a1,a0|mv a2,a1|add a3,a2,a1",
    ]),
    "rv64m": ("M extension: multiplication and division", [
        "mul a0,a1,a2", "mulh a0,a1,a2", "mulhsu a0,a1,a2", "mulhu a0,a1,a2", "div a0,a1,a2",
        "divu a0,a1,a2", "rem a0,a1,a2", "remu a0,a1,a2", "mulw a0,a1,a2", "divw a0,a1,a2",
        "divuw a0,a1,a2", "remw a0,a1,a2", "remuw a0,a1,a2",
    ]),
    "rv64a": ("A extension: LR/SC and AMOs", [
        "lr.w a0,(a1)", "sc.w a0,a2,(a1)", "lr.d.aq a0,(a1)", "sc.d.rl a0,a2,(a1)",
        "amoswap.w a0,a2,(a1)", "amoadd.w.aqrl a0,a2,(a1)", "amoxor.w a0,a2,(a1)", "amoand.w a0,a2,(a1)",
        "amoor.w a0,a2,(a1)", "amomin.w a0,a2,(a1)", "amomax.w a0,a2,(a1)", "amominu.w a0,a2,(a1)",
        "amomaxu.w a0,a2,(a1)", "amoswap.d a0,a2,(a1)", "amoadd.d a0,a2,(a1)", "amoxor.d a0,a2,(a1)",
        "amoand.d a0,a2,(a1)", "amoor.d a0,a2,(a1)", "amomin.d a0,a2,(a1)", "amomax.d a0,a2,(a1)",
        "amominu.d a0,a2,(a1)", "amomaxu.d a0,a2,(a1)",
    ]),
    "rv64f": ("F extension: single precision (NaN-boxed in 64-bit registers)", [
        "flw fa0,4(a1)", "fsw fa0,4(a1)", "fmadd.s fa0,fa1,fa2,fa3", "fmsub.s fa0,fa1,fa2,fa3,rtz",
        "fnmsub.s fa0,fa1,fa2,fa3,rdn", "fnmadd.s fa0,fa1,fa2,fa3,rup", "fadd.s fa0,fa1,fa2",
        "fsub.s fa0,fa1,fa2,rmm", "fmul.s fa0,fa1,fa2,rne", "fdiv.s fa0,fa1,fa2", "fsqrt.s fa0,fa1",
        "fsgnj.s fa0,fa1,fa2", "fsgnjn.s fa0,fa1,fa2", "fsgnjx.s fa0,fa1,fa2", "fmin.s fa0,fa1,fa2",
        "fmax.s fa0,fa1,fa2", "fcvt.w.s a0,fa1,rtz", "fcvt.wu.s a0,fa1", "fcvt.l.s a0,fa1",
        "fcvt.lu.s a0,fa1", "fmv.x.w a0,fa1", "feq.s a0,fa1,fa2", "flt.s a0,fa1,fa2", "fle.s a0,fa1,fa2",
        "fclass.s a0,fa1", "fcvt.s.w fa0,a1", "fcvt.s.wu fa0,a1", "fcvt.s.l fa0,a1", "fcvt.s.lu fa0,a1",
        "fmv.w.x fa0,a1", "fadd.s fa0,fa1,fa2|fmul.s fa0,fa0,fa1",
    ]),
    "rv64d": ("D extension: double precision", [
        "fld fa0,8(a1)", "fsd fa0,8(a1)", "fmadd.d fa0,fa1,fa2,fa3", "fmsub.d fa0,fa1,fa2,fa3",
        "fnmsub.d fa0,fa1,fa2,fa3", "fnmadd.d fa0,fa1,fa2,fa3", "fadd.d fa0,fa1,fa2,rtz",
        "fsub.d fa0,fa1,fa2", "fmul.d fa0,fa1,fa2", "fdiv.d fa0,fa1,fa2", "fsqrt.d fa0,fa1",
        "fsgnj.d fa0,fa1,fa2", "fsgnjn.d fa0,fa1,fa2", "fsgnjx.d fa0,fa1,fa2", "fmin.d fa0,fa1,fa2",
        "fmax.d fa0,fa1,fa2", "fcvt.s.d fa0,fa1", "fcvt.d.s fa0,fa1", "feq.d a0,fa1,fa2",
        "flt.d a0,fa1,fa2", "fle.d a0,fa1,fa2", "fclass.d a0,fa1", "fcvt.w.d a0,fa1,rtz",
        "fcvt.wu.d a0,fa1", "fcvt.l.d a0,fa1", "fcvt.lu.d a0,fa1", "fcvt.d.w fa0,a1", "fcvt.d.wu fa0,a1",
        "fcvt.d.l fa0,a1", "fcvt.d.lu fa0,a1", "fmv.x.d a0,fa1", "fmv.d.x fa0,a1",
    ]),
    "zicsr": ("Zicsr: the CSRs a user-mode guest can reach", [
        "csrrw a0,fcsr,a1", "csrrs a0,fflags,a1", "csrrc a0,frm,a1", "csrrwi a0,fcsr,5",
        "csrrsi a0,fflags,1", "csrrci a0,frm,1", "csrr a0,cycle", "csrr a0,time", "csrr a0,instret",
        "csrw cycle,a0", "csrr a0,mstatus", "fsrm a1|fadd.d fa0,fa1,fa2",
    ]),
    "bitmanip": ("Zba, Zbb, Zbc and Zbs", [
        "add.uw a0,a1,a2", "sh1add a0,a1,a2", "sh2add a0,a1,a2", "sh3add a0,a1,a2",
        "sh1add.uw a0,a1,a2", "sh2add.uw a0,a1,a2", "sh3add.uw a0,a1,a2", "slli.uw a0,a1,3",
        "andn a0,a1,a2", "orn a0,a1,a2", "xnor a0,a1,a2", "clz a0,a1", "ctz a0,a1", "cpop a0,a1",
        "clzw a0,a1", "ctzw a0,a1", "cpopw a0,a1", "max a0,a1,a2", "maxu a0,a1,a2", "min a0,a1,a2",
        "minu a0,a1,a2", "sext.b a0,a1", "sext.h a0,a1", "zext.h a0,a1", "rol a0,a1,a2", "ror a0,a1,a2",
        "rori a0,a1,7", "rolw a0,a1,a2", "rorw a0,a1,a2", "roriw a0,a1,7", "orc.b a0,a1", "rev8 a0,a1",
        "clmul a0,a1,a2", "clmulh a0,a1,a2", "clmulr a0,a1,a2", "bclr a0,a1,a2", "bclri a0,a1,63",
        "bext a0,a1,a2", "bexti a0,a1,5", "binv a0,a1,a2", "binvi a0,a1,5", "bset a0,a1,a2",
        "bseti a0,a1,5",
    ]),
    "zbk": ("Zbkb and Zbkx (scalar crypto bit manipulation); Zbkc is Zbc's clmul/clmulh", [
        "pack a0,a1,a2", "packh a0,a1,a2", "packw a0,a1,a2", "brev8 a0,a1", "xperm4 a0,a1,a2",
        "xperm8 a0,a1,a2",
    ]),
    "zfh": ("Zfhmin and Zfh: half precision (NaN-boxed in 64-bit registers; SoftFloat in the JIT)", [
        "flh fa0,2(a1)", "fsh fa0,2(a1)", "fmv.x.h a0,fa1", "fmv.h.x fa0,a1", "fcvt.s.h fa0,fa1",
        "fcvt.h.s fa0,fa1,rtz", "fcvt.d.h fa0,fa1", "fcvt.h.d fa0,fa1", "fmadd.h fa0,fa1,fa2,fa3",
        "fadd.h fa0,fa1,fa2", "fdiv.h fa0,fa1,fa2,rup", "fsqrt.h fa0,fa1", "fsgnjn.h fa0,fa1,fa2",
        "fmin.h fa0,fa1,fa2", "flt.h a0,fa1,fa2", "fclass.h a0,fa1", "fcvt.w.h a0,fa1,rtz",
        "fcvt.h.lu fa0,a1",
    ]),
    "cmo": ("Zicbom, Zicboz, Zicbop, Zawrs, Zihintpause: cache blocks and hints", [
        "cbo.zero (a0)", "cbo.clean (a0)", "cbo.flush (a0)", "cbo.inval (a0)", "prefetch.r 64(a0)",
        "pause", "wrs.nto", "wrs.sto",
    ]),
    # binutils 2.40 does not know these: `.insn` words, named after `#`.
    "rva23": ("Zicond, Zfa, Zimop, Zcb, Zcmop (encodings from the specifications)", [
        ".insn 4, 0x0ec5d533 # czero.eqz a0,a1,a2", ".insn 4, 0x0ec5f533 # czero.nez a0,a1,a2",
        ".insn 4, 0xf0180553 # fli.s fa0,0x1p+0", ".insn 4, 0xf41e8553 # fli.h fa0,0x1p+16",
        ".insn 4, 0x28b52553 # fminm.s fa0,fa0,fa1", ".insn 4, 0x2ab53553 # fmaxm.d fa0,fa0,fa1",
        ".insn 4, 0x42450553 # fround.d fa0,fa0,rne", ".insn 4, 0x40557553 # froundnx.s fa0,fa0",
        ".insn 4, 0xc2851653 # fcvtmod.w.d a2,fa0,rtz", ".insn 4, 0xa2b54653 # fleq.d a2,fa0,fa1",
        ".insn 4, 0xa0b55653 # fltq.s a2,fa0,fa1", ".insn 4, 0x81c5c573 # mop.r.0 a0,a1",
        ".insn 4, 0xcec5c573 # mop.rr.7 a0,a1,a2", ".insn 2, 0x8064 # c.lbu s1,3(s0)",
        ".insn 2, 0x8c04 # c.sh s1,0(s0)", ".insn 2, 0x9c61 # c.zext.b s0", ".insn 2, 0x9c75 # c.not s0",
        ".insn 2, 0x9c45 # c.mul s0,s1", ".insn 2, 0x6181 # c.mop.3",
    ]),
    "vector": ("V 1.0: one vector op per instruction; FP ones take the raw f register and check frm", [
        "vsetvli t0,a0,e32,m2,ta,ma", "vle32.v v2,(a0)", "vadd.vx v2,v4,a1", "vmv.x.s a0,v2",
        "vfadd.vv v2,v4,v6", "vfadd.vf v2,v4,fa0", "vfmacc.vf v2,fa0,v4,v0.t", "vfwmul.vf v4,v2,fa1",
        "vmflt.vf v0,v2,fa0", "vfmv.f.s fa0,v2", "vfmv.s.f v2,fa0", "vfmerge.vfm v2,v4,fa0,v0",
        "vfcvt.rtz.x.f.v v2,v4", "vfncvt.rod.f.f.w v2,v4", "vfredosum.vs v1,v2,v3",
        "vfadd.vv v2,v4,v6|vfmul.vv v2,v2,v6", "fsrm a1|vfsqrt.v v2,v4",
        # Zvfhmin: the lifter marks the f.f conversions HALF (flags bit 2).
        "vfwcvt.f.f.v v4,v2", "vfncvt.f.f.w v2,v4",
        # Zvbb (binutils 2.40 does not know it): `.insn` words.
        ".insn 4, 0x062180d7 # vandn.vv v1,v2,v3", ".insn 4, 0x062540d7 # vandn.vx v1,v2,a0",
        ".insn 4, 0x547fb357 # vror.vi v6,v7,63,v0.t", ".insn 4, 0xd62540d7 # vwsll.vx v1,v2,a0",
        ".insn 4, 0x4a2720d7 # vcpop.v v1,v2", ".insn 4, 0x4a24a0d7 # vrev8.v v1,v2",
    ]),
    # binutils 2.40 does not know these either: `.insn` words, spec syntax.
    "vector_crypto": ("Zvkned, Zvknh[ab], Zvkg, Zvbc, Zvksed and Zvksh: one vector op each; vaeskf*, "
                      "vsm4k and vsm3c carry uimm as the scalar operand, vsha2* the SHA512 flag (bit 3) under "
                      "max's Zvknhb, vclmul*.vx x[rs1]", [
        ".insn 4, 0xa2912577 # vaesem.vv v10,v9", ".insn 4, 0xa691a577 # vaesef.vs v10,v9",
        ".insn 4, 0xa2902577 # vaesdm.vv v10,v9", ".insn 4, 0xa690a577 # vaesdf.vs v10,v9",
        ".insn 4, 0xa693a577 # vaesz.vs v10,v9", ".insn 4, 0x8a90a577 # vaeskf1.vi v10,v9,1",
        ".insn 4, 0xaa9fa577 # vaeskf2.vi v10,v9,31", ".insn 4, 0xb6942577 # vsha2ms.vv v10,v9,v8",
        ".insn 4, 0xba942577 # vsha2ch.vv v10,v9,v8", ".insn 4, 0xbe942577 # vsha2cl.vv v10,v9,v8",
        ".insn 4, 0xb2942577 # vghsh.vv v10,v9,v8", ".insn 4, 0xa298a577 # vgmul.vv v10,v9",
        ".insn 4, 0x32942557 # vclmul.vv v10,v9,v8", ".insn 4, 0x36956557 # vclmulh.vx v10,v9,a0",
        ".insn 4, 0x31eeafd7 # vclmul.vv v31,v30,v29,v0.t",
        ".insn 4, 0x8693a577 # vsm4k.vi v10,v9,7", ".insn 4, 0xa2982577 # vsm4r.vv v10,v9",
        ".insn 4, 0xa6982577 # vsm4r.vs v10,v9", ".insn 4, 0x82942577 # vsm3me.vv v10,v9,v8",
        ".insn 4, 0xae93a577 # vsm3c.vi v10,v9,7",
        "vsetivli zero,4,e32,m1,ta,ma|.insn 4, 0xa693a577 # vaesz.vs v10,v9|.insn 4, 0xa6912577 # vaesem.vs v10,v9",
    ]),
    "rvc": ("C extension: compressed instructions expand to base instructions", [
        "c.addi4spn a0,sp,16", "c.fld fa0,8(a1)", "c.lw a0,4(a1)", "c.ld a0,8(a1)", "c.fsd fa0,8(a1)",
        "c.sw a0,4(a1)", "c.sd a0,8(a1)", "c.nop", "c.addi a0,-1", "c.addiw a0,1", "c.li a0,-5",
        "c.addi16sp sp,-64", "c.lui a0,0x1f", "c.srli a0,3", "c.srai a0,3", "c.andi a0,7", "c.sub a0,a1",
        "c.xor a0,a1", "c.or a0,a1", "c.and a0,a1", "c.subw a0,a1", "c.addw a0,a1", "c.j .+0x20",
        "c.beqz a0,.+0x10", "c.bnez a0,.-0x10", "c.slli a0,3", "c.fldsp fa0,8(sp)", "c.lwsp a0,4(sp)",
        "c.ldsp a0,8(sp)", "c.jr ra", "c.mv a0,a1", "c.ebreak", "c.jalr a5", "c.add a0,a1",
        "c.fsdsp fa0,8(sp)", "c.swsp a0,4(sp)", "c.sdsp a0,8(sp)",
    ]),
}


def assemble(lines, rvc):
    """Returns a list of (hex words, objdump text) per input line."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "t.s")
        obj = os.path.join(tmp, "t.o")
        with open(src, "w") as f:
            f.write(".option rvc\n" if rvc else ".option norvc\n")
            for line in lines:
                f.write(f"{line}\n")
        subprocess.run(["riscv64-linux-gnu-as", f"-march={MARCH}", "-o", obj, src], check=True)
        dump = subprocess.run(["riscv64-linux-gnu-objdump", "-d", "-r", "-M", "no-aliases", obj],
                              check=True, capture_output=True, text=True).stdout
    out = []
    for l in dump.splitlines():
        m = re.match(r"\s+[0-9a-f]+:\s+([0-9a-f]+)\s+(.*)$", l)
        if m:
            out.append((m.group(1), " ".join(m.group(2).split())))
    # `.insn` lines name their instruction after `#` (objdump says .4byte).
    out = [(w, line.split("#", 1)[1].strip() if "#" in line else text) for (w, text), line in zip(out, lines)]
    if len(out) != len(lines):
        sys.exit(f"expected {len(lines)} instructions, objdump shows {len(out)}")
    return out


def main():
    for name, (title, cases) in FILES.items():
        flat = [part for case in cases for part in case.split("|")]
        words = iter(assemble(flat, name in ("rvc", "rva23")))
        path = os.path.join(HERE, f"{name}.ft")
        old = open(path).read() if os.path.exists(path) else ""
        bodies = {}
        for block in re.split(r"^(?=case )", old, flags=re.M)[1:]:
            head, _, rest = block.partition("\n")
            bodies[head.split(";")[0].strip()] = rest
        with open(path, "w") as f:
            f.write(f"; {title}.\n")
            f.write("; Each case: the instruction words (lifted as one block at 0x10000),\n")
            f.write("; their source, then the lifted IR and the IR after the default passes.\n")
            f.write("; Cases come from tests/filetests/gen.py; the IR is rewritten by\n")
            f.write(";   FERROVM_BLESS=1 cargo test -p ferrovm-engine filetests\n\n")
            for case in cases:
                parts = [next(words) for _ in case.split("|")]
                hexes = " ".join(w for w, _ in parts)
                key = f"case {hexes}"
                f.write(f"{key} ; {' | '.join(t for _, t in parts)}\n")
                f.write(bodies.get(key, "\n"))
    print("wrote", ", ".join(f"{n}.ft" for n in FILES))


if __name__ == "__main__":
    main()
