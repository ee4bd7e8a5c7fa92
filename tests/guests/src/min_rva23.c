/* min_rva23: the RVA23U64 scalar extensions qemu-riscv64 7.2 lacks --
 * Zicond, Zfa, Zcb, Zcmop, Zimop, Zicboz/Zicbom, Zicbop, Zihintntl,
 * Zihintpause, Zawrs -- written as .insn encodings (binutils 2.40 knows few
 * of them; built with -march=rv64gc). There is no emulator oracle, so every
 * check compares with a value worked out from the specification text (cited
 * next to it) and prints "ok NAME" or "FAIL NAME got X want Y". */
#include "minimal.h"

static int failures;

static void check(const char *name, u64 got, u64 want)
{
    put_str(got == want ? "ok   " : "FAIL ");
    put_str(name);
    if (got != want) {
        put_str(" got ");
        put_hex(got);
        put_str(" want ");
        put_hex(want);
        failures++;
    }
    nl();
}

/* ---- Zicond: czero.eqz rd = rs2 == 0 ? 0 : rs1; czero.nez rd = rs2 != 0 ? 0 : rs1 ---- */
static u64 czero_eqz(u64 a, u64 c)
{
    u64 r;
    /* czero.eqz a0, a1, a2: 0000111 rs2 rs1 101 rd 0110011 */
    register u64 a0 __asm__("a0");
    register u64 a1 __asm__("a1") = a;
    register u64 a2 __asm__("a2") = c;
    __asm__ volatile(".insn 4, 0x0ec5d533" : "=r"(a0) : "r"(a1), "r"(a2));
    r = a0;
    return r;
}
static u64 czero_nez(u64 a, u64 c)
{
    register u64 a0 __asm__("a0");
    register u64 a1 __asm__("a1") = a;
    register u64 a2 __asm__("a2") = c;
    __asm__ volatile(".insn 4, 0x0ec5f533" : "=r"(a0) : "r"(a1), "r"(a2));
    return a0;
}

/* ---- Zfa ---- */
#define FCLOB "ft0", "ft1", "ft2", "memory"
/* Runs one Zfa word on fa0/fa1 (in: a, b as raw 64-bit f-register bits),
 * result raw bits of fa2 (or a2 for the x-destination ones) and fflags. */
#define ZFA_F(fn, word)                                                                    \
    static u64 fn(u64 a, u64 b, u64 *fl)                                                   \
    {                                                                                      \
        register u64 x10 __asm__("a0") = a;                                                \
        register u64 x11 __asm__("a1") = b;                                                \
        register u64 x12 __asm__("a2");                                                    \
        u64 f;                                                                             \
        __asm__ volatile("fmv.d.x fa0, a0\n\tfmv.d.x fa1, a1\n\tcsrw fflags, zero\n\t"     \
                         ".insn 4, " #word "\n\tcsrr %1, fflags\n\tfmv.x.d a2, fa2"         \
                         : "=r"(x12), "=&r"(f) : "r"(x10), "r"(x11) : "fa0", "fa1", "fa2"); \
        *fl = f;                                                                           \
        return x12;                                                                        \
    }
#define ZFA_X(fn, word)                                                                    \
    static u64 fn(u64 a, u64 b, u64 *fl)                                                   \
    {                                                                                      \
        register u64 x10 __asm__("a0") = a;                                                \
        register u64 x11 __asm__("a1") = b;                                                \
        register u64 x12 __asm__("a2");                                                    \
        u64 f;                                                                             \
        __asm__ volatile("fmv.d.x fa0, a0\n\tfmv.d.x fa1, a1\n\tcsrw fflags, zero\n\t"     \
                         ".insn 4, " #word "\n\tcsrr %1, fflags"                           \
                         : "=r"(x12), "=&r"(f) : "r"(x10), "r"(x11) : "fa0", "fa1", "fa2"); \
        *fl = f;                                                                           \
        return x12;                                                                        \
    }
/* Encodings: rd = fa2 (12) or a2 (12), rs1 = fa0 (10), rs2 = fa1 (11). */
ZFA_F(fli_s_1, 0xf0180653)      /* fli.s fa2, 16 (1.0) */
ZFA_F(fli_d_min, 0xf2108653)    /* fli.d fa2, 1 (min) */
ZFA_F(fli_d_0p3125, 0xf2148653) /* fli.d fa2, 9 (0.3125) */
ZFA_F(fli_h_65536, 0xf41e8653)  /* fli.h fa2, 29 (2^16: +inf in binary16) */
ZFA_F(fli_s_nan, 0xf01f8653)    /* fli.s fa2, 31 (canonical NaN) */
ZFA_F(fminm_s, 0x28b52653)      /* fminm.s fa2, fa0, fa1 */
ZFA_F(fmaxm_d, 0x2ab53653)      /* fmaxm.d fa2, fa0, fa1 */
ZFA_F(fmin_s, 0x28b50653)       /* fmin.s (for contrast) */
ZFA_F(fround_d_rne, 0x42450653) /* fround.d fa2, fa0, rne */
ZFA_F(froundnx_d_rne, 0x42550653) /* froundnx.d fa2, fa0, rne */
ZFA_F(fround_s_rup, 0x40453653) /* fround.s fa2, fa0, rup */
ZFA_F(froundnx_s_rdn, 0x40552653) /* froundnx.s fa2, fa0, rdn */
ZFA_X(fcvtmod_w_d, 0xc2851653)  /* fcvtmod.w.d a2, fa0, rtz */
ZFA_X(fleq_d, 0xa2b54653)       /* fleq.d a2, fa0, fa1 */
ZFA_X(fltq_s, 0xa0b55653)       /* fltq.s a2, fa0, fa1 */
ZFA_X(flt_s, 0xa0b51653)        /* flt.s (signalling, for contrast) */

#define BOX_S(x) (0xffffffff00000000UL | (x))
#define NV 0x10
#define NX 0x01

static void zfa(void)
{
    u64 fl, r;
    /* Zfa §"FLI": table entry 16 is 1.0, 1 the minimum positive normal,
     * 9 is 0.3125 (2^-2 * 1.25), 29 is 2^16 (binary16: +inf), 31 the
     * canonical NaN. Singles and halves are NaN-boxed. */
    r = fli_s_1(0, 0, &fl);
    check("fli.s 1.0", r, BOX_S(0x3f800000));
    check("fli.d min", fli_d_min(0, 0, &fl), 0x0010000000000000UL);
    check("fli.d 0.3125", fli_d_0p3125(0, 0, &fl), 0x3fd4000000000000UL);
    check("fli.h 2^16 is inf", fli_h_65536(0, 0, &fl), 0xffffffffffff7c00UL);
    check("fli.s nan", fli_s_nan(0, 0, &fl), BOX_S(0x7fc00000));
    /* fminm/fmaxm (IEEE 754-2019 minimum/maximum): a NaN operand gives the
     * canonical NaN; fmin would return the other operand. Quiet NaN: no flag. */
    r = fminm_s(BOX_S(0x7fc00000), BOX_S(0x3f800000), &fl);
    check("fminm.s qnan,1 = nan", r, BOX_S(0x7fc00000));
    check("fminm.s qnan flags", fl, 0);
    r = fmin_s(BOX_S(0x7fc00000), BOX_S(0x3f800000), &fl);
    check("fmin.s qnan,1 = 1", r, BOX_S(0x3f800000));
    r = fminm_s(BOX_S(0x80000000), BOX_S(0x00000000), &fl);
    check("fminm.s -0,+0 = -0", r, BOX_S(0x80000000));
    r = fmaxm_d(0x7ff0000000000001UL, 0x3ff0000000000000UL, &fl);
    check("fmaxm.d snan,1 = nan", r, 0x7ff8000000000000UL);
    check("fmaxm.d snan flags NV", fl, NV);
    /* fround rounds to an integer value without raising inexact; froundnx
     * raises it when the value changes (Zfa §"FROUND"). 2.5 -> 2.0 (rne). */
    r = fround_d_rne(0x4004000000000000UL, 0, &fl);
    check("fround.d 2.5 rne", r, 0x4000000000000000UL);
    check("fround.d flags", fl, 0);
    r = froundnx_d_rne(0x4004000000000000UL, 0, &fl);
    check("froundnx.d 2.5 rne", r, 0x4000000000000000UL);
    check("froundnx.d flags NX", fl, NX);
    r = froundnx_d_rne(0x4000000000000000UL, 0, &fl);
    check("froundnx.d 2.0 exact: no NX", fl, 0);
    r = fround_s_rup(BOX_S(0xbfc00000), 0, &fl); /* -1.5 up -> -1.0 */
    check("fround.s -1.5 rup", r, BOX_S(0xbf800000));
    r = froundnx_s_rdn(BOX_S(0x3e800000), 0, &fl); /* 0.25 down -> +0 */
    check("froundnx.s 0.25 rdn", r, BOX_S(0x00000000));
    check("froundnx.s 0.25 flags NX", fl, NX);
    r = fround_s_rup(BOX_S(0x7f800001), 0, &fl); /* sNaN -> canonical, NV */
    check("fround.s snan", r, BOX_S(0x7fc00000));
    check("fround.s snan flags NV", fl, NV);
    /* fcvtmod.w.d: truncate, take the integer modulo 2^32, sign-extend;
     * NV when out of the int32 range (or NaN/inf: result 0), else NX when
     * not integral (Zfa §"FCVTMOD.W.D"). */
    r = fcvtmod_w_d(0x41f0000000100000UL, 0, &fl); /* 2^32 + 1 */
    check("fcvtmod.w.d 2^32+1", r, 1);
    check("fcvtmod.w.d 2^32+1 flags NV", fl, NV);
    r = fcvtmod_w_d(0xbff8000000000000UL, 0, &fl); /* -1.5 */
    check("fcvtmod.w.d -1.5", r, (u64)-1);
    check("fcvtmod.w.d -1.5 flags NX", fl, NX);
    r = fcvtmod_w_d(0x41e0000000000000UL, 0, &fl); /* 2^31 wraps */
    check("fcvtmod.w.d 2^31", r, 0xffffffff80000000UL);
    check("fcvtmod.w.d 2^31 flags NV", fl, NV);
    r = fcvtmod_w_d(0xfff0000000000000UL, 0, &fl); /* -inf */
    check("fcvtmod.w.d -inf", r, 0);
    check("fcvtmod.w.d -inf flags NV", fl, NV);
    r = fcvtmod_w_d(0x4415af1d78b58c40UL, 0, &fl); /* 1e20 */
    check("fcvtmod.w.d 1e20", r, 0x63100000); /* 1e20 mod 2^32, exact */
    /* fleq/fltq are quiet: a quiet NaN raises nothing (flt raises NV). */
    r = fleq_d(0x3ff0000000000000UL, 0x3ff0000000000000UL, &fl);
    check("fleq.d 1,1", r, 1);
    r = fltq_s(BOX_S(0x7fc00000), BOX_S(0x3f800000), &fl);
    check("fltq.s qnan,1", r, 0);
    check("fltq.s qnan flags", fl, 0);
    r = flt_s(BOX_S(0x7fc00000), BOX_S(0x3f800000), &fl);
    check("flt.s qnan flags NV", fl, NV);
}

/* ---- Zcb (compressed, registers s0/s1 = x8/x9) ---- */
#define ZCB1(fn, half)                                                                     \
    static u64 fn(u64 v)                                                                   \
    {                                                                                      \
        register u64 s0 __asm__("s0") = v;                                                 \
        __asm__ volatile(".insn 2, " #half : "+r"(s0));                                    \
        return s0;                                                                         \
    }
ZCB1(c_zext_b, 0x9c61) /* c.zext.b s0 */
ZCB1(c_sext_b, 0x9c65) /* c.sext.b s0 */
ZCB1(c_zext_h, 0x9c69) /* c.zext.h s0 */
ZCB1(c_sext_h, 0x9c6d) /* c.sext.h s0 */
ZCB1(c_zext_w, 0x9c71) /* c.zext.w s0 */
ZCB1(c_not, 0x9c75)    /* c.not s0 */

static u64 c_mul(u64 a, u64 b)
{
    register u64 s0 __asm__("s0") = a;
    register u64 s1 __asm__("s1") = b;
    __asm__ volatile(".insn 2, 0x9c45" : "+r"(s0) : "r"(s1)); /* c.mul s0, s1 */
    return s0;
}

static void zcb(void)
{
    static u8 buf[8] __attribute__((aligned(8))) = {0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8};
    u64 v = 0xfedcba9876543210UL;
    check("c.zext.b", c_zext_b(v), 0x10);
    check("c.sext.b", c_sext_b(0x80), 0xffffffffffffff80UL);
    check("c.zext.h", c_zext_h(v), 0x3210);
    check("c.sext.h", c_sext_h(0x8001), 0xffffffffffff8001UL);
    check("c.zext.w", c_zext_w(v), 0x76543210);
    check("c.not", c_not(v), ~v);
    check("c.mul", c_mul(0x123456789UL, 0x1000000001UL), 0x123456789UL * 0x1000000001UL);
    /* Loads and stores: c.lbu s1,3(s0) c.lhu s1,2(s0) c.lh s1,2(s0)
     * c.sb s1,1(s0) c.sh s1,0(s0) (uimm: byte 0..3, half 0 or 2). */
    register u8 *s0 __asm__("s0") = buf;
    register u64 s1 __asm__("s1");
    __asm__ volatile(".insn 2, 0x8064" : "=r"(s1) : "r"(s0) : "memory"); /* c.lbu s1,3(s0) */
    check("c.lbu 3", s1, 0xb4);
    __asm__ volatile(".insn 2, 0x8424" : "=r"(s1) : "r"(s0) : "memory"); /* c.lhu s1,2(s0) */
    check("c.lhu 2", s1, 0xb4a3);
    __asm__ volatile(".insn 2, 0x8464" : "=r"(s1) : "r"(s0) : "memory"); /* c.lh s1,2(s0) */
    check("c.lh 2", s1, 0xffffffffffffb4a3UL);
    s1 = 0x55;
    __asm__ volatile(".insn 2, 0x8844" : : "r"(s0), "r"(s1) : "memory"); /* c.sb s1,1(s0) */
    check("c.sb 1", buf[1], 0x55);
    s1 = 0x6677;
    __asm__ volatile(".insn 2, 0x8c04" : : "r"(s0), "r"(s1) : "memory"); /* c.sh s1,0(s0) */
    check("c.sh 0", (u64)buf[0] | (u64)buf[1] << 8, 0x6677);
}

/* ---- Zimop, Zcmop: mop.r.n/mop.rr.n write 0; c.mop.n writes nothing ---- */
static void mops(void)
{
    register u64 a0 __asm__("a0") = 0x1234;
    register u64 a1 __asm__("a1") = 5;
    register u64 a2 __asm__("a2") = 6;
    __asm__ volatile(".insn 4, 0x81c5c573" : "+r"(a0) : "r"(a1)); /* mop.r.0 a0, a1 */
    check("mop.r.0 writes 0", a0, 0);
    a0 = 0x1234;
    __asm__ volatile(".insn 4, 0xcec5c573" : "+r"(a0) : "r"(a1), "r"(a2)); /* mop.rr.7 a0, a1, a2 */
    check("mop.rr.7 writes 0", a0, 0);
    register u64 t = 0;
    __asm__ volatile("mv %0, gp\n\t.insn 2, 0x6181\n\tsub %0, %0, gp" : "=&r"(t)); /* c.mop.3 (x3 = gp) */
    check("c.mop.3 leaves gp", t, 0);
}

/* ---- CMO: cbo.zero zeroes the 64-byte block (hwprobe reports 64) ---- */
static void cmo(void)
{
    static u8 buf[192] __attribute__((aligned(64)));
    for (int i = 0; i < 192; i++)
        buf[i] = 0xee;
    register u8 *a0 __asm__("a0") = buf + 64 + 37;
    __asm__ volatile(".insn 4, 0x0045200f" : : "r"(a0) : "memory"); /* cbo.zero (a0) */
    u64 zeros = 0, kept = 0;
    for (int i = 0; i < 192; i++) {
        if (buf[i] == 0)
            zeros += (i >= 64 && i < 128);
        else
            kept += (i < 64 || i >= 128) && buf[i] == 0xee;
    }
    check("cbo.zero zeroes its block", zeros, 64);
    check("cbo.zero leaves the rest", kept, 128);
    a0 = buf;
    __asm__ volatile(".insn 4, 0x0015200f\n\t.insn 4, 0x0025200f" : : "r"(a0) : "memory"); /* cbo.clean, cbo.flush */
    check("cbo.clean/flush keep data", buf[0], 0xee);
    /* prefetch.i/r/w 64(a0) (ori x0 HINTs), pause, ntl.all, wrs.nto, wrs.sto */
    __asm__ volatile(".insn 4, 0x04056013\n\t.insn 4, 0x04156013\n\t.insn 4, 0x04356013\n\t"
                     ".insn 4, 0x0100000f\n\t.insn 4, 0x00500033\n\t.insn 4, 0x00d00073\n\t"
                     ".insn 4, 0x01d00073" : : "r"(a0) : "memory");
    check("hints run", buf[64 + 40], 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static const u64 vals[] = {0, 1, 0x8000000000000000UL, 0x123456789abcdef0UL};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            u64 a = vals[i], c = vals[j];
            if (czero_eqz(a, c) != (c == 0 ? 0 : a) || czero_nez(a, c) != (c != 0 ? 0 : a)) {
                check("czero table", i * 4 + j, 99);
            }
        }
    check("czero.eqz a,0", czero_eqz(0x55, 0), 0);
    check("czero.eqz a,1", czero_eqz(0x55, 1), 0x55);
    check("czero.nez a,0", czero_nez(0x55, 0), 0x55);
    check("czero.nez a,-1", czero_nez(0x55, (u64)-1), 0);
    zfa();
    zcb();
    mops();
    cmo();
    put_str(failures ? "FAILURES\n" : "all ok\n");
    return failures != 0;
}
