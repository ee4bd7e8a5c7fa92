/* min_zfh_zbk: half precision (Zfhmin, Zfh) bit for bit, and the scalar
 * crypto bit manipulation of Zbkb and Zbkx (built with
 * -march=rv64gc_zfh_zbkb_zbkx). qemu-riscv64 7.2 implements all of them
 * behind -cpu rv64,Zfh=true,zbkb=true,zbkx=true (the `qemu-ext` tag).
 *
 * As min_float: every operation is one inline-asm instruction with a static
 * rounding mode; operands travel as bit patterns through fmv.h.x/fmv.x.h
 * (or fmv.w.x/fmv.d.x for the conversions); fflags is cleared before and
 * read right after. Each line is an operation and a hash of all its
 * "result/flags" pairs over the operand table, plus a few samples in hex
 * (flags: NV=10 DZ=08 OF=04 UF=02 NX=01). */
#include "minimal.h"

#define CLOB "ft0", "ft1", "ft2", "ft3", "memory"

/* Half operands: zeros, ones, subnormals, max, inf, NaNs, fractions. */
static const u64 hv[] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00,
    0x7e00, 0x7c01, 0x3555, 0x4248, 0xc900, 0x5640, 0x1234, 0x3800,
};
#define NH (sizeof hv / sizeof hv[0])

typedef u64 (*hop)(u64, u64, u64, u64 *);

#define H3(name, op, rm)                                                                   \
    static u64 name(u64 a, u64 b, u64 c, u64 *fl)                                          \
    {                                                                                      \
        u64 r, f;                                                                          \
        __asm__ volatile("fmv.h.x ft0, %2\n\tfmv.h.x ft1, %3\n\tfmv.h.x ft2, %4\n\t"       \
                         "csrw fflags, zero\n\t" op rm "\n\tcsrr %1, fflags\n\t"           \
                         "fmv.x.h %0, ft3"                                                 \
                         : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(c) : CLOB);            \
        *fl = f;                                                                           \
        return r & 0xffff;                                                                 \
    }
/* An operation whose result is in an integer register. */
#define HX(name, op)                                                                       \
    static u64 name(u64 a, u64 b, u64 c, u64 *fl)                                          \
    {                                                                                      \
        u64 r, f;                                                                          \
        (void)c;                                                                           \
        __asm__ volatile("fmv.h.x ft0, %2\n\tfmv.h.x ft1, %3\n\t"                          \
                         "csrw fflags, zero\n\t" op "\n\tcsrr %1, fflags"                  \
                         : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : CLOB);                    \
        *fl = f;                                                                           \
        return r;                                                                          \
    }

H3(fadd_rne, "fadd.h ft3, ft0, ft1", ", rne") H3(fadd_rtz, "fadd.h ft3, ft0, ft1", ", rtz")
H3(fadd_rdn, "fadd.h ft3, ft0, ft1", ", rdn") H3(fadd_rup, "fadd.h ft3, ft0, ft1", ", rup")
H3(fadd_rmm, "fadd.h ft3, ft0, ft1", ", rmm") H3(fsub_rne, "fsub.h ft3, ft0, ft1", ", rne")
H3(fmul_rne, "fmul.h ft3, ft0, ft1", ", rne") H3(fmul_rup, "fmul.h ft3, ft0, ft1", ", rup")
H3(fdiv_rne, "fdiv.h ft3, ft0, ft1", ", rne") H3(fdiv_rtz, "fdiv.h ft3, ft0, ft1", ", rtz")
H3(fsqrt_rne, "fsqrt.h ft3, ft0", ", rne") H3(fsqrt_rdn, "fsqrt.h ft3, ft0", ", rdn")
H3(fmadd_rne, "fmadd.h ft3, ft0, ft1, ft2", ", rne") H3(fmsub_rtz, "fmsub.h ft3, ft0, ft1, ft2", ", rtz")
H3(fnmadd_rne, "fnmadd.h ft3, ft0, ft1, ft2", ", rne") H3(fnmsub_rup, "fnmsub.h ft3, ft0, ft1, ft2", ", rup")
H3(fmin, "fmin.h ft3, ft0, ft1", "") H3(fmax, "fmax.h ft3, ft0, ft1", "")
H3(fsgnj, "fsgnj.h ft3, ft0, ft1", "") H3(fsgnjn, "fsgnjn.h ft3, ft0, ft1", "")
H3(fsgnjx, "fsgnjx.h ft3, ft0, ft1", "")
HX(feq, "feq.h %0, ft0, ft1") HX(flt, "flt.h %0, ft0, ft1") HX(fle, "fle.h %0, ft0, ft1")
HX(fclass, "fclass.h %0, ft0") HX(fmv_x_h, "fmv.x.h %0, ft0")
HX(fcvt_w_rtz, "fcvt.w.h %0, ft0, rtz") HX(fcvt_w_rne, "fcvt.w.h %0, ft0, rne")
HX(fcvt_wu_rtz, "fcvt.wu.h %0, ft0, rtz") HX(fcvt_l_rmm, "fcvt.l.h %0, ft0, rmm")
HX(fcvt_lu_rup, "fcvt.lu.h %0, ft0, rup")
HX(fcvt_s_h, "fcvt.s.h ft3, ft0\n\tfmv.x.w %0, ft3")
HX(fcvt_d_h, "fcvt.d.h ft3, ft0\n\tfmv.x.d %0, ft3")
/* Conversions into half: the operand is an integer, a single or a double. */
#define TOH(name, pre, op)                                                                 \
    static u64 name(u64 a, u64 b, u64 c, u64 *fl)                                          \
    {                                                                                      \
        u64 r, f;                                                                          \
        (void)b;                                                                           \
        (void)c;                                                                           \
        __asm__ volatile(pre "csrw fflags, zero\n\t" op "\n\tcsrr %1, fflags\n\t"          \
                         "fmv.x.h %0, ft3"                                                 \
                         : "=&r"(r), "=&r"(f) : "r"(a) : CLOB);                            \
        *fl = f;                                                                           \
        return r & 0xffff;                                                                 \
    }
TOH(fcvt_h_w, "", "fcvt.h.w ft3, %2, rne") TOH(fcvt_h_lu, "", "fcvt.h.lu ft3, %2, rtz")
TOH(fcvt_h_l, "", "fcvt.h.l ft3, %2, rup")
TOH(fcvt_h_s, "fmv.w.x ft0, %2\n\t", "fcvt.h.s ft3, ft0, rne")
TOH(fcvt_h_s_rdn, "fmv.w.x ft0, %2\n\t", "fcvt.h.s ft3, ft0, rdn")
TOH(fcvt_h_d, "fmv.d.x ft0, %2\n\t", "fcvt.h.d ft3, ft0, rne")
/* NaN boxing: a single in an f register is not a boxed half. */
TOH(unboxed, "fmv.w.x ft0, %2\n\t", "fadd.h ft3, ft0, ft0, rne")

struct op {
    const char *name;
    hop fn;
    int kind; /* 0 half operands, 1 integers, 2 singles, 3 doubles */
};

static const struct op ops[] = {
    {"fadd.h rne", fadd_rne, 0}, {"fadd.h rtz", fadd_rtz, 0}, {"fadd.h rdn", fadd_rdn, 0},
    {"fadd.h rup", fadd_rup, 0}, {"fadd.h rmm", fadd_rmm, 0}, {"fsub.h rne", fsub_rne, 0},
    {"fmul.h rne", fmul_rne, 0}, {"fmul.h rup", fmul_rup, 0}, {"fdiv.h rne", fdiv_rne, 0},
    {"fdiv.h rtz", fdiv_rtz, 0}, {"fsqrt.h rne", fsqrt_rne, 0}, {"fsqrt.h rdn", fsqrt_rdn, 0},
    {"fmadd.h rne", fmadd_rne, 0}, {"fmsub.h rtz", fmsub_rtz, 0}, {"fnmadd.h rne", fnmadd_rne, 0},
    {"fnmsub.h rup", fnmsub_rup, 0}, {"fmin.h", fmin, 0}, {"fmax.h", fmax, 0},
    {"fsgnj.h", fsgnj, 0}, {"fsgnjn.h", fsgnjn, 0}, {"fsgnjx.h", fsgnjx, 0},
    {"feq.h", feq, 0}, {"flt.h", flt, 0}, {"fle.h", fle, 0}, {"fclass.h", fclass, 0},
    {"fmv.x.h", fmv_x_h, 0}, {"fcvt.w.h rtz", fcvt_w_rtz, 0}, {"fcvt.w.h rne", fcvt_w_rne, 0},
    {"fcvt.wu.h rtz", fcvt_wu_rtz, 0}, {"fcvt.l.h rmm", fcvt_l_rmm, 0},
    {"fcvt.lu.h rup", fcvt_lu_rup, 0}, {"fcvt.s.h", fcvt_s_h, 0}, {"fcvt.d.h", fcvt_d_h, 0},
    {"fcvt.h.w rne", fcvt_h_w, 1}, {"fcvt.h.lu rtz", fcvt_h_lu, 1}, {"fcvt.h.l rup", fcvt_h_l, 1},
    {"fcvt.h.s rne", fcvt_h_s, 2}, {"fcvt.h.s rdn", fcvt_h_s_rdn, 2},
    {"fcvt.h.d rne", fcvt_h_d, 3}, {"unboxed single as half", unboxed, 2},
};

static const u64 ints[] = {0, 1, (u64)-1, 65504, 65519, 65520, 1000001, (u64)-70000, 0x7fffffffffffffffUL, 2049};
static const u64 singles[] = {0x3f800000, 0x477fe000, 0x477ff000, 0x33800000, 0x33000001, 0x7fc00000,
                              0x7f800001, 0xff800000, 0x3f801000, 0xc2f6e979};
static const u64 doubles[] = {0x3ff0000000000000, 0x40effc0000000000, 0x3e70000000000000, 0x7ff8000000000000,
                              0xc0fe240000000000, 0x3ff0020000000001, 0x0000000000000001, 0x40e0000000000000};

static void run_op(const struct op *o)
{
    u64 h = MIX_INIT, fl, r, shown = 0;
    put_str(o->name);
    put_str(":");
    if (o->kind == 0) {
        for (size_t i = 0; i < NH; i++)
            for (size_t j = 0; j < NH; j++) {
                u64 c = hv[(i + j) % NH];
                r = o->fn(hv[i], hv[j], c, &fl);
                h = mix(mix(h, r), fl);
                if ((i * NH + j) % 53 == 7 && shown++ < 3) {
                    put_char(' ');
                    put_hexn(r, 4);
                    put_char('/');
                    put_hexn(fl, 2);
                }
            }
    } else {
        const u64 *v = o->kind == 1 ? ints : o->kind == 2 ? singles : doubles;
        size_t n = o->kind == 1 ? sizeof ints / 8 : o->kind == 2 ? sizeof singles / 8 : sizeof doubles / 8;
        for (size_t i = 0; i < n; i++) {
            r = o->fn(v[i], 0, 0, &fl);
            h = mix(mix(h, r), fl);
            put_char(' ');
            put_hexn(r, 4);
            put_char('/');
            put_hexn(fl, 2);
        }
    }
    put_str(" hash ");
    put_hex(h);
    nl();
}

/* flh/fsh move raw bits; flh NaN-boxes. */
static void loads_and_stores(void)
{
    static u16 mem[4] = {0x3c00, 0x7c01, 0xabcd, 0};
    u64 boxed, raw;
    __asm__ volatile("flh ft0, 2(%2)\n\tfmv.x.d %0, ft0\n\tfsh ft0, 6(%2)\n\tflh ft1, 4(%2)\n\t"
                     "fmv.x.h %1, ft1"
                     : "=&r"(boxed), "=&r"(raw) : "r"(mem) : CLOB);
    put_kv("flh boxed", boxed);
    put_kv("fmv.x.h sign-extends", raw);
    put_kv("fsh stored", mem[3]);
}

static const u64 xv[] = {0, 1, 0xffffffffffffffffUL, 0x0123456789abcdefUL, 0x8000000080000000UL,
                         0xfedcba9876543210UL, 0x0706050403020100UL, 0x00000000000000ffUL};
#define R2(fn, insn)                                                                       \
    static u64 fn(u64 a, u64 b)                                                            \
    {                                                                                      \
        u64 r;                                                                             \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));                   \
        return r;                                                                          \
    }
R2(pack, "pack") R2(packh, "packh") R2(packw, "packw") R2(xperm4, "xperm4") R2(xperm8, "xperm8")
static u64 brev8(u64 a, u64 b)
{
    u64 r;
    (void)b;
    __asm__ volatile("brev8 %0, %1" : "=r"(r) : "r"(a));
    return r;
}

static void zbk(const char *name, u64 (*fn)(u64, u64))
{
    u64 h = MIX_INIT;
    for (size_t i = 0; i < sizeof xv / 8; i++)
        for (size_t j = 0; j < sizeof xv / 8; j++)
            h = mix(h, fn(xv[i], xv[j]));
    put_str(name);
    put_str(": ");
    put_hex(fn(xv[3], xv[6]));
    put_str(" hash ");
    put_hex(h);
    nl();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        run_op(&ops[i]);
    loads_and_stores();
    zbk("pack", pack);
    zbk("packh", packh);
    zbk("packw", packw);
    zbk("brev8", brev8);
    zbk("xperm4", xperm4);
    zbk("xperm8", xperm8);
    return 0;
}
