#!/usr/bin/env python3
"""Regenerates crates/riscv/tests/all/table_rows.rs: (encoding, objdump text)
rows covering every opcode ferrovm decodes, the pseudo-instructions objdump
prints, and RVC (including HINTs).

The assembly below is written independently of ferrovm's table: GNU as 2.40
encodes it and GNU objdump 2.40 prints it; the Rust test then checks that
ferrovm decodes, disassembles and re-encodes every row identically.

Usage: python3 crates/riscv/tests/gen/gen_table.py
"""
import os
import subprocess
import tempfile

AS = "riscv64-linux-gnu-as"
OBJDUMP = "riscv64-linux-gnu-objdump"
# Every extension ferrovm implements that binutils 2.40 knows, hint-only
# extensions excluded (their encodings print as the base instructions). The
# newer ones (Zicond, Zfa, Zimop, Zcb, Zcmop, Zihintntl) are checked against
# the specifications in tests/all/spec_rows.rs.
MARCH = "rv64gcv_zba_zbb_zbc_zbs_zfh_zicbom_zicboz_zawrs_zbkb_zbkx"
# RVC rows are assembled without V: binutils 2.40 disassembles unclaimed
# 16-bit words as its `vmsge.vx` assembler macro when V is on (a bug).
MARCH_RVC = MARCH.replace("rv64gcv", "rv64gc")
OUT = os.path.join(os.path.dirname(__file__), "..", "all", "table_rows.rs")

R = """add sub sll slt sltu xor srl sra or and addw subw sllw srlw sraw
mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw
add.uw sh1add sh2add sh3add sh1add.uw sh2add.uw sh3add.uw
andn orn xnor max maxu min minu rol ror rolw rorw clmul clmulh clmulr
bclr bext binv bset""".split()
UNARY = "clz ctz cpop clzw ctzw cpopw sext.b sext.h zext.h orc.b rev8".split()
IMM = "addi slti sltiu xori ori andi addiw".split()
SHIFT = "slli srli srai slli.uw rori bclri bexti binvi bseti".split()
SHIFTW = "slliw srliw sraiw roriw".split()
LOADS = "lb lh lw ld lbu lhu lwu".split()
STORES = "sb sh sw sd".split()
BRANCHES = "beq bne blt bge bltu bgeu".split()
AMOS = "swap add xor and or min max minu maxu".split()
FR4 = "fmadd fmsub fnmsub fnmadd".split()
FRRM = "fadd fsub fmul fdiv".split()


def base32():
    lines = []
    for m in R:
        lines += [f"{m} a0,a1,a2", f"{m} s11,t6,sp"]
    for m in UNARY:
        lines += [f"{m} a0,a1", f"{m} t6,s0"]
    for m in IMM:
        lines += [f"{m} a0,a1,-7", f"{m} s2,sp,2047", f"{m} t0,t1,-2048"]
    for m in SHIFT:
        lines += [f"{m} a0,a1,37", f"{m} t3,s1,1"]
    for m in SHIFTW:
        lines += [f"{m} a0,a1,17", f"{m} t3,s1,31"]
    for m in LOADS:
        lines += [f"{m} a0,-12(a1)", f"{m} s3,2047(sp)"]
    for m in STORES:
        lines += [f"{m} a0,-12(a1)", f"{m} s3,2047(sp)"]
    for m in BRANCHES:
        lines += [f"{m} a0,a1,.+16", f"{m} t1,s5,.-4096"]
    lines += ["lui a0,0x12345", "lui t6,0xfffff", "auipc a0,0x12345", "auipc gp,0x1"]
    lines += ["jal a0,.+2048", "jal t1,.-1048576", "jalr a0,-8(a1)", "jalr t0,2047(s1)"]
    lines += ["fence rw,w", "fence r,r", "fence iorw,iorw", "fence.tso", "fence.i", "ecall", "ebreak"]
    for m in ["csrrw", "csrrs", "csrrc"]:
        lines += [f"{m} a0,mscratch,a1", f"{m} t1,0x7c0,s1", f"{m} a5,fflags,a4"]
    for m in ["csrrwi", "csrrsi", "csrrci"]:
        lines += [f"{m} a0,mscratch,7", f"{m} t1,0x7c0,31"]
    for w in "wd":
        lines += [f"lr.{w} a0,(a1)", f"lr.{w}.aq t0,(sp)", f"lr.{w}.aqrl a0,(a1)"]
        lines += [f"sc.{w} a0,a2,(a1)", f"sc.{w}.rl t0,t1,(sp)"]
        for a in AMOS:
            lines += [f"amo{a}.{w} a0,a2,(a1)", f"amo{a}.{w}.aqrl t0,t1,(sp)"]
    for t, ld, st in [("s", "flw", "fsw"), ("d", "fld", "fsd")]:
        lines += [f"{ld} fa0,-8(a1)", f"{ld} fs11,2047(sp)", f"{st} fa0,-8(a1)", f"{st} ft3,100(s0)"]
        for m in FR4:
            lines += [f"{m}.{t} fa0,fa1,fa2,fa3", f"{m}.{t} ft0,fs1,ft11,fs4,rtz"]
        for m in FRRM:
            lines += [f"{m}.{t} fa0,fa1,fa2", f"{m}.{t} ft0,fs1,ft11,rup"]
        lines += [f"fsqrt.{t} fa0,fa1", f"fsqrt.{t} fa0,fa1,rmm"]
        for m in ["fsgnj", "fsgnjn", "fsgnjx", "fmin", "fmax"]:
            lines += [f"{m}.{t} fa0,fa1,fa2"]
        for m in ["feq", "flt", "fle"]:
            lines += [f"{m}.{t} a0,fa1,fa2"]
        for i in ["w", "wu", "l", "lu"]:
            lines += [f"fcvt.{i}.{t} a0,fa1", f"fcvt.{i}.{t} a0,fa1,rtz"]
            lines += [f"fcvt.{t}.{i} fa0,a1"]
            if not (t == "d" and i in ("w", "wu")):
                lines += [f"fcvt.{t}.{i} fa0,a1,rdn"]
        lines += [f"fclass.{t} a0,fa1"]
        x = "w" if t == "s" else "d"
        lines += [f"fmv.x.{x} a0,fa1", f"fmv.{x}.x fa0,a1"]
    lines += ["fcvt.s.d fa0,fa1", "fcvt.s.d fa0,fa1,rne", "fcvt.d.s fa0,fa1"]
    # Zfhmin / Zfh.
    t = "h"
    lines += ["flh fa0,-8(a1)", "flh fs11,2047(sp)", "fsh fa0,-8(a1)", "fsh ft3,100(s0)"]
    for m in FR4:
        lines += [f"{m}.{t} fa0,fa1,fa2,fa3", f"{m}.{t} ft0,fs1,ft11,fs4,rtz"]
    for m in FRRM:
        lines += [f"{m}.{t} fa0,fa1,fa2", f"{m}.{t} ft0,fs1,ft11,rup"]
    lines += [f"fsqrt.{t} fa0,fa1", f"fsqrt.{t} fa0,fa1,rmm"]
    for m in ["fsgnj", "fsgnjn", "fsgnjx", "fmin", "fmax"]:
        lines += [f"{m}.{t} fa0,fa1,fa2"]
    for m in ["feq", "flt", "fle"]:
        lines += [f"{m}.{t} a0,fa1,fa2"]
    for i in ["w", "wu", "l", "lu"]:
        lines += [f"fcvt.{i}.{t} a0,fa1", f"fcvt.{i}.{t} a0,fa1,rtz", f"fcvt.{t}.{i} fa0,a1", f"fcvt.{t}.{i} fa0,a1,rdn"]
    lines += ["fclass.h a0,fa1", "fmv.x.h a0,fa1", "fmv.h.x fa0,a1", "fmv.h fa0,fa1", "fneg.h fa0,fa1",
              "fabs.h fa0,fa1", "fcvt.s.h fa0,fa1", "fcvt.d.h fa0,fa1", "fcvt.h.s fa0,fa1",
              "fcvt.h.s fa0,fa1,rtz", "fcvt.h.d fa0,fa1", "fcvt.h.d fa0,fa1,rdn"]
    # Zicbom, Zicboz, Zawrs, Zbkb, Zbkx.
    lines += ["cbo.clean (a0)", "cbo.flush 0(t6)", "cbo.inval (sp)", "cbo.zero (a3)", "wrs.nto", "wrs.sto"]
    lines += ["pack a0,a1,a2", "packh s11,t6,sp", "packw a0,a1,a2", "brev8 a0,a1", "brev8 t6,s0",
              "xperm4 a0,a1,a2", "xperm8 s11,t6,sp"]
    # Pseudo-instructions as objdump prints them.
    lines += ["nop", "li a0,-5", "mv a0,a1", "not a0,a1", "neg a0,a1", "negw a0,a1",
              "sext.w a0,a1", "seqz a0,a1", "snez a0,a1", "sltz a0,a1", "sgtz a0,a1",
              "zext.b a0,a1", "zext.w a0,a1", "beqz a0,.+8", "bnez a0,.-8", "blez a0,.+8",
              "bgez a0,.+8", "bltz a0,.+8", "bgtz a0,.+8", "j .+64", "jal .+64",
              "jr a1", "jr 8(a1)", "jalr a1", "jalr 8(a1)", "jalr a0,a1", "ret",
              "csrr a0,mscratch", "csrw mscratch,a0", "csrs mscratch,a0", "csrc mscratch,a0",
              "csrwi mscratch,3", "csrsi mscratch,3", "csrci mscratch,3",
              "frflags a0", "fsflags a1", "fsflags a0,a1", "fsflagsi 3", "fsflagsi a0,3",
              "frrm a0", "fsrm a1", "fsrm a0,a1", "fsrmi 2", "fsrmi a0,2",
              "frcsr a0", "fscsr a1", "fscsr a0,a1", "rdcycle a0", "rdtime a0", "rdinstret a0",
              "fmv.s fa0,fa1", "fneg.s fa0,fa1", "fabs.s fa0,fa1",
              "fmv.d fa0,fa1", "fneg.d fa0,fa1", "fabs.d fa0,fa1", "unimp",
              "auipc t1,0x0", "jalr ra,12(t1)"]
    return lines


def vector():
    """V 1.0, by the operand shapes of the spec's instruction listing."""
    lines = ["vsetvli a0,a1,e32,m2,ta,mu", "vsetvli t0,zero,e8,mf8,tu,ma", "vsetvli a0,a1,e64,m8,ta,ma",
             "vsetvli a0,a1,0x7ff", "vsetivli a0,31,e16,mf2,ta,mu", "vsetivli zero,0,e8,m1,tu,mu",
             "vsetvl a0,a1,a2"]
    for ls in "ls":
        for w in (8, 16, 32, 64):
            lines += [f"v{ls}e{w}.v v1,(a0)", f"v{ls}e{w}.v v8,(sp),v0.t", f"v{ls}seg3e{w}.v v4,(a1)",
                      f"v{ls}se{w}.v v2,(a0),a1", f"v{ls}sseg8e{w}.v v8,(a0),t1,v0.t",
                      f"v{ls}uxei{w}.v v2,(a0),v4", f"v{ls}oxei{w}.v v3,(a0),v5,v0.t",
                      f"v{ls}uxseg2ei{w}.v v2,(a0),v4", f"v{ls}oxseg4ei{w}.v v8,(a0),v16,v0.t"]
            if ls == "l":
                lines += [f"vle{w}ff.v v1,(a0)", f"vlseg5e{w}ff.v v1,(a0),v0.t"]
                for n in (1, 2, 4, 8):
                    lines += [f"vl{n}re{w}.v v8,(a0)"]
        lines += [f"v{ls}m.v v3,(a2)"]
    for n in (1, 2, 4, 8):
        lines += [f"vs{n}r.v v8,(a0)", f"vmv{n}r.v v8,v16"]
    vxi = "vadd vand vor vxor vmseq vmsne vmsleu vmsle vsaddu vsadd".split()
    vx = ("vsub vminu vmin vmaxu vmax vmsltu vmslt vssubu vssub vsmul vaaddu vaadd vasubu vasub "
          "vdivu vdiv vremu vrem vmulhu vmul vmulhsu vmulh vwaddu vwadd vwsubu vwsub vwmulu vwmulsu vwmul").split()
    xi = "vrsub vmsgtu vmsgt".split()
    vxu = "vrgather vsll vsrl vsra vssrl vssra".split()
    for m in vxi + vx + vxu:
        lines += [f"{m}.vv v1,v2,v3", f"{m}.vv v4,v8,v12,v0.t", f"{m}.vx v1,v2,a0", f"{m}.vx v4,v8,t6,v0.t"]
    for m in vxi + xi:
        lines += [f"{m}.vi v1,v2,-16", f"{m}.vi v4,v8,15,v0.t", f"{m}.vx v1,v2,a1"]
    for m in vxu + ["vslideup", "vslidedown"]:
        lines += [f"{m}.vi v1,v2,31", f"{m}.vi v4,v8,0,v0.t"]
    for m in ["vslideup", "vslidedown", "vslide1up", "vslide1down"]:
        lines += [f"{m}.vx v1,v2,a0", f"{m}.vx v4,v8,t1,v0.t"]
    for m in "vnsrl vnsra vnclipu vnclip".split():
        lines += [f"{m}.wv v1,v2,v3", f"{m}.wx v1,v2,a0,v0.t", f"{m}.wi v1,v2,31"]
    for m in "vwaddu vwadd vwsubu vwsub".split():
        lines += [f"{m}.wv v2,v4,v6", f"{m}.wx v2,v4,a0,v0.t"]
    for m in "vmacc vnmsac vmadd vnmsub vwmaccu vwmacc vwmaccsu".split():
        lines += [f"{m}.vv v1,v2,v3", f"{m}.vx v1,a0,v3,v0.t"]
    lines += ["vwmaccus.vx v2,a0,v4", "vrgatherei16.vv v1,v2,v3,v0.t"]
    for m in "vadc vsbc vmadc vmsbc vmerge".split():
        lines += [f"{m}.vvm v1,v2,v3,v0", f"{m}.vxm v1,v2,a0,v0"]
    for m in "vadc vmadc vmerge".split():
        lines += [f"{m}.vim v1,v2,-5,v0"]
    lines += ["vmadc.vv v1,v2,v3", "vmadc.vx v1,v2,a0", "vmadc.vi v1,v2,7", "vmsbc.vv v1,v2,v3", "vmsbc.vx v1,v2,a0"]
    lines += ["vmv.v.v v1,v2", "vmv.v.x v1,a0", "vmv.v.i v1,-3", "vmv.x.s a0,v2", "vmv.s.x v1,a0",
              "vcpop.m a0,v2", "vcpop.m a0,v2,v0.t", "vfirst.m a1,v3", "vid.v v1", "vid.v v2,v0.t",
              "vcompress.vm v1,v2,v3"]
    for m in "vredsum vredand vredor vredxor vredminu vredmin vredmaxu vredmax vwredsumu vwredsum".split():
        lines += [f"{m}.vs v1,v2,v3", f"{m}.vs v1,v2,v3,v0.t"]
    for n in (2, 4, 8):
        lines += [f"vzext.vf{n} v2,v4", f"vsext.vf{n} v2,v4,v0.t"]
    for m in "vmsbf vmsof vmsif viota".split():
        lines += [f"{m}.m v2,v4", f"{m}.m v2,v4,v0.t"]
    for m in "vmandn vmand vmor vmxor vmorn vmnand vmnor vmxnor".split():
        lines += [f"{m}.mm v1,v2,v3"]
    # Floating point.
    fvf = "vfadd vfsub vfmin vfmax vfsgnj vfsgnjn vfsgnjx vmfeq vmfle vmflt vmfne vfdiv vfmul vfwadd vfwsub vfwmul".split()
    for m in fvf:
        lines += [f"{m}.vv v1,v2,v3", f"{m}.vf v4,v8,fa0,v0.t"]
    for m in "vmfgt vmfge vfrdiv vfrsub vfslide1up vfslide1down".split():
        lines += [f"{m}.vf v1,v2,fa1"]
    for m in "vfmacc vfnmacc vfmsac vfnmsac vfmadd vfnmadd vfmsub vfnmsub vfwmacc vfwnmacc vfwmsac vfwnmsac".split():
        lines += [f"{m}.vv v1,v2,v3", f"{m}.vf v4,fa0,v8,v0.t"]
    for m in "vfwadd vfwsub".split():
        lines += [f"{m}.wv v2,v4,v6", f"{m}.wf v2,v4,fa0,v0.t"]
    for m in "vfredusum vfredosum vfredmin vfredmax vfwredusum vfwredosum".split():
        lines += [f"{m}.vs v1,v2,v3"]
    lines += ["vfmv.f.s fa0,v2", "vfmv.s.f v1,fa0", "vfmerge.vfm v1,v2,fa0,v0", "vfmv.v.f v1,fa1"]
    cvt = ("vfcvt.xu.f.v vfcvt.x.f.v vfcvt.f.xu.v vfcvt.f.x.v vfcvt.rtz.xu.f.v vfcvt.rtz.x.f.v "
           "vfwcvt.xu.f.v vfwcvt.x.f.v vfwcvt.f.xu.v vfwcvt.f.x.v vfwcvt.f.f.v vfwcvt.rtz.xu.f.v vfwcvt.rtz.x.f.v "
           "vfncvt.xu.f.w vfncvt.x.f.w vfncvt.f.xu.w vfncvt.f.x.w vfncvt.f.f.w vfncvt.rod.f.f.w "
           "vfncvt.rtz.xu.f.w vfncvt.rtz.x.f.w vfsqrt.v vfrsqrt7.v vfrec7.v vfclass.v").split()
    for m in cvt:
        lines += [f"{m} v2,v4", f"{m} v2,v4,v0.t"]
    # Aliases objdump prints.
    lines += ["vneg.v v1,v2", "vnot.v v1,v2,v0.t", "vwcvt.x.x.v v2,v4", "vwcvtu.x.x.v v2,v4", "vncvt.x.x.w v1,v2",
              "vmmv.m v1,v2", "vmnot.m v1,v2", "vmclr.m v1", "vmset.m v1", "vfneg.v v1,v2", "vfabs.v v1,v2"]
    return lines


def insn32(words):
    return [".insn 4, 0x%08x" % w for w in words]


# Encodings objdump prints specially (or not at all).
SPECIAL32 = insn32([
    0x0100000f,  # fence w,unknown (pause without zihintpause)
    0x0ff5000f,  # fence with rs1 != 0: .4byte
    0x8ff0000f,  # fence with an odd fm: .4byte
    0x0010100f,  # fence.i with an immediate: .4byte
    0xd2057553,  # fcvt.d.w with rm != 0: .4byte
    0x4025f553,  # fcvt.s.h with rm != 0: .4byte
    0x0085f00f,  # cbo.* with rd != 0... a fence.i-group word: .4byte
    0x02c5d553,  # fadd.d with reserved rm 5: objdump says "unknown"
    0xfffff07b,  # custom-3 opcode: .4byte
])

RVC = """c.addi4spn a0,sp,16
c.fld fa0,8(a1)
c.lw a0,4(a1)
c.ld a0,8(a1)
c.fsd fa0,8(a1)
c.sw a0,4(a1)
c.sd a0,8(a1)
c.nop
c.addi a0,-3
c.addiw a0,5
c.addiw a0,0
c.li a0,-32
c.addi16sp sp,-64
c.lui a0,0x1f
c.lui a0,0xfffe0
c.srli a0,3
c.srai a0,63
c.andi a0,-1
c.sub a0,a1
c.xor a0,a1
c.or a0,a1
c.and a0,a1
c.subw a0,a1
c.addw a0,a1
c.j .+100
c.beqz a0,.-20
c.bnez a5,.+254
c.slli a0,7
c.fldsp fa0,504(sp)
c.lwsp a0,252(sp)
c.ldsp ra,504(sp)
c.jr a0
c.jr ra
c.mv a0,a1
c.ebreak
c.jalr a0
c.add a0,a1
c.fsdsp fa0,504(sp)
c.swsp a0,252(sp)
c.sdsp ra,504(sp)""".splitlines()

# RVC HINTs and reserved encodings, which gas will not write by name.
SPECIAL16 = [
    (0x0000, False),  # unimp (defined illegal)
    (0x0005, True),   # c.nop 1 (HINT)
    (0x4005, True),   # c.li zero,1 (HINT; same Inst as c.nop 1)
    (0x6005, False),  # c.lui zero,0x1 (HINT)
    (0x8001, False),  # c.srli64 s0 (HINT)
    (0x8401, False),  # c.srai64 s0 (HINT)
    (0x0002, False),  # c.slli64 zero (HINT)
    (0x0006, False),  # c.slli zero,0x1 (HINT)
    (0x8006, True),   # c.mv zero,ra (HINT)
    (0x9006, True),   # c.add zero,ra (HINT; same Inst as c.mv zero,ra)
    (0x0081, False),  # c.addi ra,0 (HINT): add ra,ra,0
    (0x6101, False),  # c.addi16sp sp,0: reserved, objdump says add sp,sp,0
    (0x9c7d, False),  # reserved CA encoding (also in Zcb): .2byte
    (0x8c40, False),  # reserved quadrant-0 encoding (also in Zcb): .2byte
]


def run(lines, tmp, march=MARCH):
    src = os.path.join(tmp, "t.s")
    obj = os.path.join(tmp, "t.o")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run([AS, "-march=" + march, src, "-o", obj], check=True)
    out = subprocess.run([OBJDUMP, "-d", obj], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0].strip().endswith(":"):
            continue
        addr = int(parts[0].strip()[:-1], 16)
        word = int(parts[1].strip(), 16)
        text = "\t".join(parts[2:])
        text = text.split(" # ")[0]
        if text.endswith(">") and " <" in text:
            text = text[: text.rindex(" <")]
        rows.append((addr, word, len(parts[1].strip()) // 2, text))
    return rows


def main():
    with tempfile.TemporaryDirectory() as tmp:
        rows32 = run([".option norvc"] + base32() + vector() + SPECIAL32, tmp)
        rows16 = run(RVC + [".insn 2, 0x%04x" % h for h, _ in SPECIAL16], tmp, MARCH_RVC)
    hint = {h for h, ambiguous in SPECIAL16 if ambiguous}
    with open(OUT, "w") as f:
        f.write("//! Decoder table test data: (pc, encoding, length, objdump text, hint).\n")
        f.write("//! Generated by `tests/gen/gen_table.py` with GNU as/objdump 2.40; do not edit.\n")
        f.write("//! `hint` marks RVC HINTs that expand to the same `Inst` as another\n")
        f.write("//! encoding, so only `disasm_word` (which sees the bits) can name them.\n\n")
        f.write("#[rustfmt::skip]\n")
        f.write("pub const ROWS: &[(u64, u32, u8, &str, bool)] = &[\n")
        for addr, word, n, text in rows32 + rows16:
            amb = "true" if n == 2 and word in hint else "false"
            f.write("    (0x%x, 0x%0*x, %d, %s, %s),\n" % (addr, n * 2, word, n, '"%s"' % text.replace("\t", "\\t"), amb))
        f.write("];\n")
    print("wrote %d rows" % (len(rows32) + len(rows16)))


if __name__ == "__main__":
    main()
