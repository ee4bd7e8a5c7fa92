#!/usr/bin/env python3
"""Prints the V 1.0 rows of crates/riscv/src/table.rs (from the funct6 tables
of the RISC-V "V" Vector Extension 1.0, §31.10 "Vector Instruction Listing"
and §31.7 "Vector Loads and Stores"). Paste the output into the table.

Usage: python3 crates/riscv/tests/gen/gen_vector_rows.py
"""

rows = []


def camel(name):
    out = ""
    for part in name.replace(".", "_").split("_"):
        out += part[:1].upper() + part[1:]
    return out


def row(name, fmt, pattern):
    rows.append((camel(name), name, fmt, pattern))


def opv(f6, vm, vs2, vs1, f3, name, fmt):
    row(name, fmt, f"{f6} {vm} {vs2} {vs1} {f3} ..... 1010111")


# ---- configuration-setting (§31.6) ----
row("vsetvli", "VSetvli", "0........... ..... 111 ..... 1010111")
row("vsetivli", "VSetivli", "11.......... ..... 111 ..... 1010111")
row("vsetvl", "R", "1000000 ..... ..... 111 ..... 1010111")

# ---- loads and stores (§31.7) ----
WIDTHS = [("8", "000"), ("16", "101"), ("32", "110"), ("64", "111")]
for ls, opc in (("l", "0000111"), ("s", "0100111")):
    for w, f3 in WIDTHS:
        row(f"v{ls}e{w}.v", "VMem", f"... 0 00 . 00000 ..... {f3} ..... {opc}")
        if ls == "l":
            row(f"vle{w}ff.v", "VMem", f"... 0 00 . 10000 ..... {f3} ..... {opc}")
        row(f"v{ls}se{w}.v", "VMemStrided", f"... 0 10 . ..... ..... {f3} ..... {opc}")
        row(f"v{ls}uxei{w}.v", "VMemIndexed", f"... 0 01 . ..... ..... {f3} ..... {opc}")
        row(f"v{ls}oxei{w}.v", "VMemIndexed", f"... 0 11 . ..... ..... {f3} ..... {opc}")
    row(f"v{ls}m.v", "VMemWhole", f"000 0 00 1 01011 ..... 000 ..... {opc}")
for nf, n in (("000", 1), ("001", 2), ("011", 4), ("111", 8)):
    for w, f3 in WIDTHS:
        row(f"vl{n}re{w}.v", "VMemWhole", f"{nf} 0 00 1 01000 ..... {f3} ..... 0000111")
    row(f"vs{n}r.v", "VMemWhole", f"{nf} 0 00 1 01000 ..... 000 ..... 0100111")

IVV, FVV, MVV, IVI, IVX, FVF, MVX = "000", "001", "010", "011", "100", "101", "110"

# ---- OPI (integer) ----
OPI = [
    ("000000", "vadd", "vxi"), ("000010", "vsub", "vx"), ("000011", "vrsub", "xi"),
    ("000100", "vminu", "vx"), ("000101", "vmin", "vx"), ("000110", "vmaxu", "vx"), ("000111", "vmax", "vx"),
    ("001001", "vand", "vxi"), ("001010", "vor", "vxi"), ("001011", "vxor", "vxi"),
    ("001100", "vrgather", "vxu"), ("001110", "vslideup", "xu"), ("001111", "vslidedown", "xu"),
    ("011000", "vmseq", "vxi"), ("011001", "vmsne", "vxi"), ("011010", "vmsltu", "vx"), ("011011", "vmslt", "vx"),
    ("011100", "vmsleu", "vxi"), ("011101", "vmsle", "vxi"), ("011110", "vmsgtu", "xi"), ("011111", "vmsgt", "xi"),
    ("100000", "vsaddu", "vxi"), ("100001", "vsadd", "vxi"), ("100010", "vssubu", "vx"), ("100011", "vssub", "vx"),
    ("100101", "vsll", "vxu"), ("100111", "vsmul", "vx"), ("101000", "vsrl", "vxu"), ("101001", "vsra", "vxu"),
    ("101010", "vssrl", "vxu"), ("101011", "vssra", "vxu"),
    ("101100", "vnsrl", "WXU"), ("101101", "vnsra", "WXU"), ("101110", "vnclipu", "WXU"), ("101111", "vnclip", "WXU"),
]
for f6, name, kinds in OPI:
    for k in kinds:
        if k == "v":
            opv(f6, ".", ".....", ".....", IVV, f"{name}.vv", "VV")
        elif k == "x":
            opv(f6, ".", ".....", ".....", IVX, f"{name}.vx", "VX")
        elif k == "i":
            opv(f6, ".", ".....", ".....", IVI, f"{name}.vi", "VI")
        elif k == "u":
            opv(f6, ".", ".....", ".....", IVI, f"{name}.vi", "VIU")
        elif k == "W":
            opv(f6, ".", ".....", ".....", IVV, f"{name}.wv", "VV")
        elif k == "X":
            opv(f6, ".", ".....", ".....", IVX, f"{name}.wx", "VX")
        elif k == "U":
            opv(f6, ".", ".....", ".....", IVI, f"{name}.wi", "VIU")
opv("001110", ".", ".....", ".....", IVV, "vrgatherei16.vv", "VV")
# carry/borrow and merge: vm = 0 names v0 as an operand; vm = 1 is another instruction.
opv("010000", "0", ".....", ".....", IVV, "vadc.vvm", "VVNm")
opv("010000", "0", ".....", ".....", IVX, "vadc.vxm", "VXNm")
opv("010000", "0", ".....", ".....", IVI, "vadc.vim", "VINm")
opv("010001", "0", ".....", ".....", IVV, "vmadc.vvm", "VVNm")
opv("010001", "0", ".....", ".....", IVX, "vmadc.vxm", "VXNm")
opv("010001", "0", ".....", ".....", IVI, "vmadc.vim", "VINm")
opv("010001", "1", ".....", ".....", IVV, "vmadc.vv", "VVNm")
opv("010001", "1", ".....", ".....", IVX, "vmadc.vx", "VXNm")
opv("010001", "1", ".....", ".....", IVI, "vmadc.vi", "VINm")
opv("010010", "0", ".....", ".....", IVV, "vsbc.vvm", "VVNm")
opv("010010", "0", ".....", ".....", IVX, "vsbc.vxm", "VXNm")
opv("010011", "0", ".....", ".....", IVV, "vmsbc.vvm", "VVNm")
opv("010011", "0", ".....", ".....", IVX, "vmsbc.vxm", "VXNm")
opv("010011", "1", ".....", ".....", IVV, "vmsbc.vv", "VVNm")
opv("010011", "1", ".....", ".....", IVX, "vmsbc.vx", "VXNm")
opv("010111", "0", ".....", ".....", IVV, "vmerge.vvm", "VVNm")
opv("010111", "0", ".....", ".....", IVX, "vmerge.vxm", "VXNm")
opv("010111", "0", ".....", ".....", IVI, "vmerge.vim", "VINm")
opv("010111", "1", "00000", ".....", IVV, "vmv.v.v", "VMvV")
opv("010111", "1", "00000", ".....", IVX, "vmv.v.x", "VMvX")
opv("010111", "1", "00000", ".....", IVI, "vmv.v.i", "VMvI")
for nr, imm in ((1, "00000"), (2, "00001"), (4, "00011"), (8, "00111")):
    opv("100111", "1", ".....", imm, IVI, f"vmv{nr}r.v", "VMvR")
opv("110000", ".", ".....", ".....", IVV, "vwredsumu.vs", "VV")
opv("110001", ".", ".....", ".....", IVV, "vwredsum.vs", "VV")

# ---- OPM (integer multiply, reductions, masks) ----
for f6, name in (("000000", "vredsum"), ("000001", "vredand"), ("000010", "vredor"), ("000011", "vredxor"),
                 ("000100", "vredminu"), ("000101", "vredmin"), ("000110", "vredmaxu"), ("000111", "vredmax")):
    opv(f6, ".", ".....", ".....", MVV, f"{name}.vs", "VV")
OPM = [
    ("001000", "vaaddu", "vx"), ("001001", "vaadd", "vx"), ("001010", "vasubu", "vx"), ("001011", "vasub", "vx"),
    ("001110", "vslide1up", "x"), ("001111", "vslide1down", "x"),
    ("100000", "vdivu", "vx"), ("100001", "vdiv", "vx"), ("100010", "vremu", "vx"), ("100011", "vrem", "vx"),
    ("100100", "vmulhu", "vx"), ("100101", "vmul", "vx"), ("100110", "vmulhsu", "vx"), ("100111", "vmulh", "vx"),
    ("101001", "vmadd", "VX"), ("101011", "vnmsub", "VX"), ("101101", "vmacc", "VX"), ("101111", "vnmsac", "VX"),
    ("110000", "vwaddu", "vx"), ("110001", "vwadd", "vx"), ("110010", "vwsubu", "vx"), ("110011", "vwsub", "vx"),
    ("110100", "vwaddu", "w"), ("110101", "vwadd", "w"), ("110110", "vwsubu", "w"), ("110111", "vwsub", "w"),
    ("111000", "vwmulu", "vx"), ("111010", "vwmulsu", "vx"), ("111011", "vwmul", "vx"),
    ("111100", "vwmaccu", "VX"), ("111101", "vwmacc", "VX"), ("111110", "vwmaccus", "X"), ("111111", "vwmaccsu", "VX"),
]
for f6, name, kinds in OPM:
    for k in kinds:
        if k == "v":
            opv(f6, ".", ".....", ".....", MVV, f"{name}.vv", "VV")
        elif k == "x":
            opv(f6, ".", ".....", ".....", MVX, f"{name}.vx", "VX")
        elif k == "V":
            opv(f6, ".", ".....", ".....", MVV, f"{name}.vv", "VVMac")
        elif k == "X":
            opv(f6, ".", ".....", ".....", MVX, f"{name}.vx", "VXMac")
        elif k == "w":
            opv(f6, ".", ".....", ".....", MVV, f"{name}.wv", "VV")
            opv(f6, ".", ".....", ".....", MVX, f"{name}.wx", "VX")
opv("010000", "1", ".....", "00000", MVV, "vmv.x.s", "VToX")
opv("010000", ".", ".....", "10000", MVV, "vcpop.m", "VToXM")
opv("010000", ".", ".....", "10001", MVV, "vfirst.m", "VToXM")
opv("010000", "1", "00000", ".....", MVX, "vmv.s.x", "VMvX")
for code, name in (("00010", "vzext.vf8"), ("00011", "vsext.vf8"), ("00100", "vzext.vf4"),
                   ("00101", "vsext.vf4"), ("00110", "vzext.vf2"), ("00111", "vsext.vf2")):
    opv("010010", ".", ".....", code, MVV, name, "VUnary")
for code, name in (("00001", "vmsbf.m"), ("00010", "vmsof.m"), ("00011", "vmsif.m"), ("10000", "viota.m")):
    opv("010100", ".", ".....", code, MVV, name, "VUnary")
opv("010100", ".", "00000", "10001", MVV, "vid.v", "VId")
opv("010111", "1", ".....", ".....", MVV, "vcompress.vm", "VVNm")
for f6, name in (("011000", "vmandn"), ("011001", "vmand"), ("011010", "vmor"), ("011011", "vmxor"),
                 ("011100", "vmorn"), ("011101", "vmnand"), ("011110", "vmnor"), ("011111", "vmxnor")):
    opv(f6, "1", ".....", ".....", MVV, f"{name}.mm", "VVNm")

# ---- OPF (floating point) ----
OPF = [
    ("000000", "vfadd", "vf"), ("000010", "vfsub", "vf"), ("000100", "vfmin", "vf"), ("000110", "vfmax", "vf"),
    ("001000", "vfsgnj", "vf"), ("001001", "vfsgnjn", "vf"), ("001010", "vfsgnjx", "vf"),
    ("001110", "vfslide1up", "f"), ("001111", "vfslide1down", "f"),
    ("011000", "vmfeq", "vf"), ("011001", "vmfle", "vf"), ("011011", "vmflt", "vf"), ("011100", "vmfne", "vf"),
    ("011101", "vmfgt", "f"), ("011111", "vmfge", "f"),
    ("100000", "vfdiv", "vf"), ("100001", "vfrdiv", "f"), ("100100", "vfmul", "vf"), ("100111", "vfrsub", "f"),
    ("101000", "vfmadd", "VF"), ("101001", "vfnmadd", "VF"), ("101010", "vfmsub", "VF"), ("101011", "vfnmsub", "VF"),
    ("101100", "vfmacc", "VF"), ("101101", "vfnmacc", "VF"), ("101110", "vfmsac", "VF"), ("101111", "vfnmsac", "VF"),
    ("110000", "vfwadd", "vf"), ("110010", "vfwsub", "vf"), ("110100", "vfwadd", "w"), ("110110", "vfwsub", "w"),
    ("111000", "vfwmul", "vf"),
    ("111100", "vfwmacc", "VF"), ("111101", "vfwnmacc", "VF"), ("111110", "vfwmsac", "VF"), ("111111", "vfwnmsac", "VF"),
]
for f6, name in (("000001", "vfredusum"), ("000011", "vfredosum"), ("000101", "vfredmin"), ("000111", "vfredmax"),
                 ("110001", "vfwredusum"), ("110011", "vfwredosum")):
    opv(f6, ".", ".....", ".....", FVV, f"{name}.vs", "VV")
for f6, name, kinds in OPF:
    for k in kinds:
        if k == "v":
            opv(f6, ".", ".....", ".....", FVV, f"{name}.vv", "VV")
        elif k == "f":
            opv(f6, ".", ".....", ".....", FVF, f"{name}.vf", "VF")
        elif k == "V":
            opv(f6, ".", ".....", ".....", FVV, f"{name}.vv", "VVMac")
            opv(f6, ".", ".....", ".....", FVF, f"{name}.vf", "VFMac")
        elif k == "w":
            opv(f6, ".", ".....", ".....", FVV, f"{name}.wv", "VV")
            opv(f6, ".", ".....", ".....", FVF, f"{name}.wf", "VF")
opv("010000", "1", ".....", "00000", FVV, "vfmv.f.s", "VToF")
opv("010000", "1", "00000", ".....", FVF, "vfmv.s.f", "VMvF")
opv("010111", "0", ".....", ".....", FVF, "vfmerge.vfm", "VFNm")
opv("010111", "1", "00000", ".....", FVF, "vfmv.v.f", "VMvF")
FUNARY0 = [
    ("00000", "vfcvt.xu.f.v"), ("00001", "vfcvt.x.f.v"), ("00010", "vfcvt.f.xu.v"), ("00011", "vfcvt.f.x.v"),
    ("00110", "vfcvt.rtz.xu.f.v"), ("00111", "vfcvt.rtz.x.f.v"),
    ("01000", "vfwcvt.xu.f.v"), ("01001", "vfwcvt.x.f.v"), ("01010", "vfwcvt.f.xu.v"), ("01011", "vfwcvt.f.x.v"),
    ("01100", "vfwcvt.f.f.v"), ("01110", "vfwcvt.rtz.xu.f.v"), ("01111", "vfwcvt.rtz.x.f.v"),
    ("10000", "vfncvt.xu.f.w"), ("10001", "vfncvt.x.f.w"), ("10010", "vfncvt.f.xu.w"), ("10011", "vfncvt.f.x.w"),
    ("10100", "vfncvt.f.f.w"), ("10101", "vfncvt.rod.f.f.w"), ("10110", "vfncvt.rtz.xu.f.w"),
    ("10111", "vfncvt.rtz.x.f.w"),
]
for code, name in FUNARY0:
    opv("010010", ".", ".....", code, FVV, name, "VUnary")
for code, name in (("00000", "vfsqrt.v"), ("00100", "vfrsqrt7.v"), ("00101", "vfrec7.v"), ("10000", "vfclass.v")):
    opv("010011", ".", ".....", code, FVV, name, "VUnary")

w1 = max(len(r[0]) for r in rows) + 1
w2 = max(len(r[1]) for r in rows) + 3
w3 = max(len(r[2]) for r in rows) + 1
for v, n, f, p in rows:
    q = '"' + n + '"'
    print(f'            {v:<{w1}} {q:<{w2}} {f:<{w3}} V        "{p}",')
