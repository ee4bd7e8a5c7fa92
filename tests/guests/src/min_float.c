/* min_float: the F and D extensions, bit for bit.
 *
 * Every operation is one inline-asm instruction with its rounding mode as a
 * static rm field (or dyn with frm set explicitly). Operands travel in and
 * out as bit patterns through fmv.{w,d}.x / fmv.x.{w,d}; fflags is cleared
 * before and read right after each operation. Results are printed as
 * "result/flags" in hex (flags: NV=10 DZ=08 OF=04 UF=02 NX=01) -- no printf,
 * no FP formatting, nothing the compiler could fold.
 *
 * Covered: add/sub/mul/div/sqrt in all rounding modes, the four fused
 * multiply-adds, fmin/fmax with NaNs and signed zeros, fsgnj*, compares
 * (quiet vs signalling), fclass, every int<->float conversion in every
 * rounding mode with overflow/NaN saturation, float<->double conversion, and
 * NaN boxing of single-precision values in the 64-bit f registers. */
#include "minimal.h"

typedef u64 (*fop)(u64, u64, u64, u64 *);

#define CLOB "ft0", "ft1", "ft2", "ft3", "memory"

/* Operation with a rounding-mode field. */
#define DEF1(name, rm, pre, op, post)                                         \
    static u64 name##_##rm(u64 a, u64 b, u64 c, u64 *fl)                      \
    {                                                                         \
        u64 r, f;                                                             \
        __asm__ volatile(pre "csrw fflags, zero\n\t" op ", " #rm "\n\t" post  \
                         "\n\tcsrr %1, fflags"                                \
                         : "=&r"(r), "=&r"(f)                                 \
                         : "r"(a), "r"(b), "r"(c)                             \
                         : CLOB);                                             \
        *fl = f;                                                              \
        return r;                                                             \
    }
#define DEFRM(name, pre, op, post)                                            \
    DEF1(name, rne, pre, op, post)                                            \
    DEF1(name, rtz, pre, op, post)                                            \
    DEF1(name, rdn, pre, op, post)                                            \
    DEF1(name, rup, pre, op, post)                                            \
    DEF1(name, rmm, pre, op, post)                                            \
    DEF1(name, dyn, pre, op, post)                                            \
    static const fop name[6] = {name##_rne, name##_rtz, name##_rdn,           \
                                name##_rup, name##_rmm, name##_dyn};
/* Operation without a rounding mode. */
#define DEF0(name, pre, op, post)                                             \
    static u64 name(u64 a, u64 b, u64 c, u64 *fl)                             \
    {                                                                         \
        u64 r, f;                                                             \
        __asm__ volatile(pre "csrw fflags, zero\n\t" op "\n\t" post           \
                         "\n\tcsrr %1, fflags"                                \
                         : "=&r"(r), "=&r"(f)                                 \
                         : "r"(a), "r"(b), "r"(c)                             \
                         : CLOB);                                             \
        *fl = f;                                                              \
        return r;                                                             \
    }

#define PS1 "fmv.w.x ft0, %2\n\t"
#define PS2 PS1 "fmv.w.x ft1, %3\n\t"
#define PS3 PS2 "fmv.w.x ft2, %4\n\t"
#define PD1 "fmv.d.x ft0, %2\n\t"
#define PD2 PD1 "fmv.d.x ft1, %3\n\t"
#define PD3 PD2 "fmv.d.x ft2, %4\n\t"
#define PX ""
#define OS "fmv.x.w %0, ft3"
#define OD "fmv.x.d %0, ft3"
#define OX ""

/* Arithmetic, all rounding modes. */
DEFRM(fadd_s, PS2, "fadd.s ft3, ft0, ft1", OS)
DEFRM(fsub_s, PS2, "fsub.s ft3, ft0, ft1", OS)
DEFRM(fmul_s, PS2, "fmul.s ft3, ft0, ft1", OS)
DEFRM(fdiv_s, PS2, "fdiv.s ft3, ft0, ft1", OS)
DEFRM(fsqrt_s, PS1, "fsqrt.s ft3, ft0", OS)
DEFRM(fadd_d, PD2, "fadd.d ft3, ft0, ft1", OD)
DEFRM(fsub_d, PD2, "fsub.d ft3, ft0, ft1", OD)
DEFRM(fmul_d, PD2, "fmul.d ft3, ft0, ft1", OD)
DEFRM(fdiv_d, PD2, "fdiv.d ft3, ft0, ft1", OD)
DEFRM(fsqrt_d, PD1, "fsqrt.d ft3, ft0", OD)
/* Fused multiply-add. */
DEFRM(fmadd_s, PS3, "fmadd.s ft3, ft0, ft1, ft2", OS)
DEFRM(fmsub_s, PS3, "fmsub.s ft3, ft0, ft1, ft2", OS)
DEFRM(fnmadd_s, PS3, "fnmadd.s ft3, ft0, ft1, ft2", OS)
DEFRM(fnmsub_s, PS3, "fnmsub.s ft3, ft0, ft1, ft2", OS)
DEFRM(fmadd_d, PD3, "fmadd.d ft3, ft0, ft1, ft2", OD)
DEFRM(fmsub_d, PD3, "fmsub.d ft3, ft0, ft1, ft2", OD)
DEFRM(fnmadd_d, PD3, "fnmadd.d ft3, ft0, ft1, ft2", OD)
DEFRM(fnmsub_d, PD3, "fnmsub.d ft3, ft0, ft1, ft2", OD)
/* float -> int */
DEFRM(fcvt_w_s, PS1, "fcvt.w.s %0, ft0", OX)
DEFRM(fcvt_wu_s, PS1, "fcvt.wu.s %0, ft0", OX)
DEFRM(fcvt_l_s, PS1, "fcvt.l.s %0, ft0", OX)
DEFRM(fcvt_lu_s, PS1, "fcvt.lu.s %0, ft0", OX)
DEFRM(fcvt_w_d, PD1, "fcvt.w.d %0, ft0", OX)
DEFRM(fcvt_wu_d, PD1, "fcvt.wu.d %0, ft0", OX)
DEFRM(fcvt_l_d, PD1, "fcvt.l.d %0, ft0", OX)
DEFRM(fcvt_lu_d, PD1, "fcvt.lu.d %0, ft0", OX)
/* int -> float */
DEFRM(fcvt_s_w, PX, "fcvt.s.w ft3, %2", OS)
DEFRM(fcvt_s_wu, PX, "fcvt.s.wu ft3, %2", OS)
DEFRM(fcvt_s_l, PX, "fcvt.s.l ft3, %2", OS)
DEFRM(fcvt_s_lu, PX, "fcvt.s.lu ft3, %2", OS)
/* int32 -> double is exact: binutils 2.40 takes no rm operand, so the
 * rm-field variants are encoded by hand (funct7 0x69, rs2 0 = w, 1 = wu);
 * the rounding mode must not matter. */
#define FCVT_D_W(rm, rs2) ".insn r 0x53, " #rm ", 0x69, ft3, %2, " #rs2
DEF0(fcvt_d_w_0, PX, FCVT_D_W(0, x0), OD)
DEF0(fcvt_d_w_1, PX, FCVT_D_W(1, x0), OD)
DEF0(fcvt_d_w_2, PX, FCVT_D_W(2, x0), OD)
DEF0(fcvt_d_w_3, PX, FCVT_D_W(3, x0), OD)
DEF0(fcvt_d_w_4, PX, FCVT_D_W(4, x0), OD)
DEF0(fcvt_d_w_7, PX, FCVT_D_W(7, x0), OD)
DEF0(fcvt_d_wu_0, PX, FCVT_D_W(0, x1), OD)
DEF0(fcvt_d_wu_1, PX, FCVT_D_W(1, x1), OD)
DEF0(fcvt_d_wu_2, PX, FCVT_D_W(2, x1), OD)
DEF0(fcvt_d_wu_3, PX, FCVT_D_W(3, x1), OD)
DEF0(fcvt_d_wu_4, PX, FCVT_D_W(4, x1), OD)
DEF0(fcvt_d_wu_7, PX, FCVT_D_W(7, x1), OD)
static const fop fcvt_d_w[6] = {fcvt_d_w_0, fcvt_d_w_1, fcvt_d_w_2,
                                fcvt_d_w_3, fcvt_d_w_4, fcvt_d_w_7};
static const fop fcvt_d_wu[6] = {fcvt_d_wu_0, fcvt_d_wu_1, fcvt_d_wu_2,
                                 fcvt_d_wu_3, fcvt_d_wu_4, fcvt_d_wu_7};
DEFRM(fcvt_d_l, PX, "fcvt.d.l ft3, %2", OD)
DEFRM(fcvt_d_lu, PX, "fcvt.d.lu ft3, %2", OD)
/* float <-> double */
DEFRM(fcvt_s_d, PD1, "fcvt.s.d ft3, ft0", OS)
DEF0(fcvt_d_s, PS1, "fcvt.d.s ft3, ft0", OD)
/* No rounding mode. */
DEF0(fmin_s, PS2, "fmin.s ft3, ft0, ft1", OS)
DEF0(fmax_s, PS2, "fmax.s ft3, ft0, ft1", OS)
DEF0(fsgnj_s, PS2, "fsgnj.s ft3, ft0, ft1", OS)
DEF0(fsgnjn_s, PS2, "fsgnjn.s ft3, ft0, ft1", OS)
DEF0(fsgnjx_s, PS2, "fsgnjx.s ft3, ft0, ft1", OS)
DEF0(feq_s, PS2, "feq.s %0, ft0, ft1", OX)
DEF0(flt_s, PS2, "flt.s %0, ft0, ft1", OX)
DEF0(fle_s, PS2, "fle.s %0, ft0, ft1", OX)
DEF0(fclass_s, PS1, "fclass.s %0, ft0", OX)
DEF0(fmin_d, PD2, "fmin.d ft3, ft0, ft1", OD)
DEF0(fmax_d, PD2, "fmax.d ft3, ft0, ft1", OD)
DEF0(fsgnj_d, PD2, "fsgnj.d ft3, ft0, ft1", OD)
DEF0(fsgnjn_d, PD2, "fsgnjn.d ft3, ft0, ft1", OD)
DEF0(fsgnjx_d, PD2, "fsgnjx.d ft3, ft0, ft1", OD)
DEF0(feq_d, PD2, "feq.d %0, ft0, ft1", OX)
DEF0(flt_d, PD2, "flt.d %0, ft0, ft1", OX)
DEF0(fle_d, PD2, "fle.d %0, ft0, ft1", OX)
DEF0(fclass_d, PD1, "fclass.d %0, ft0", OX)

static const char *const rm_names[6] = {"rne", "rtz", "rdn", "rup", "rmm", "dyn"};

/* ---- operand tables (as bit patterns) ---- */

union fu {
    float f;
    u32 u;
};
union du {
    double d;
    u64 u;
};

#define QNAN_S 0x7fc00000U
#define SNAN_S 0x7f800001U
#define QNAN_D 0x7ff8000000000000UL
#define SNAN_D 0x7ff0000000000001UL

static const u32 grid_s[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x40490fdb, 0x7f7fffff,
    0x00000001, 0x00800000, 0x7f800000, 0xff800000, QNAN_S,     SNAN_S,
    0xffc00001, 0x3eaaaaab, 0x4b000001, 0xcf000000,
};
static const u64 grid_d[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000,
    0xbff8000000000000, 0x400921fb54442d18, 0x7fefffffffffffff,
    0x0000000000000001, 0x0010000000000000, 0x7ff0000000000000,
    0xfff0000000000000, QNAN_D,             SNAN_D,
    0xfff8000000000001, 0x3fd5555555555555, 0x4340000000000001,
    0xc3e0000000000000,
};
#define NGRID 16

static const union fu cvt_s[] = {
    {0.0f}, {-0.0f}, {0.5f}, {-0.5f}, {1.5f}, {-1.5f}, {2.5f}, {-2.5f},
    {0.49999997f}, {-1.0f}, {1e-40f}, {123456.789f}, {2147483520.0f},
    {2147483648.0f}, {-2147483648.0f}, {-2147483904.0f}, {4294967040.0f},
    {4294967296.0f}, {9223371487098961920.0f}, {9223372036854775808.0f},
    {-9223372036854775808.0f}, {18446742974197923840.0f},
    {18446744073709551616.0f}, {.u = 0x7f800000}, {.u = 0xff800000},
    {.u = QNAN_S}, {.u = SNAN_S}, {.u = 0xffc00000},
};
static const union du cvt_d[] = {
    {0.0}, {-0.0}, {0.5}, {-0.5}, {1.5}, {-1.5}, {2.5}, {-2.5},
    {0.49999999999999994}, {-1.0}, {4.9e-324}, {123456.789},
    {2147483647.0}, {2147483647.5}, {2147483648.0}, {-2147483648.0},
    {-2147483648.5}, {-2147483649.0}, {4294967295.0}, {4294967295.5},
    {4294967296.0}, {9223372036854774784.0}, {9223372036854775808.0},
    {-9223372036854775808.0}, {-9223372036854777856.0},
    {18446744073709549568.0}, {18446744073709551616.0},
    {.u = 0x7ff0000000000000}, {.u = 0xfff0000000000000}, {.u = QNAN_D},
    {.u = SNAN_D}, {.u = 0xfff8000000000000},
};
static const u64 cvt_ints[] = {
    0, 1, 0xffffffffffffffff, 3, 0xfffffffffffffffd, 16777217,
    0x000000007fffffff, 0xffffffff80000000, 0x0000000080000000,
    0x00000000ffffffff, 0x0000000100000005, 0x0020000000000001,
    0x7fffffffffffffff, 0x8000000000000000, 0x123456789abcdef1,
    0xfedcba9876543210,
};

/* ---- printing ---- */

static u64 total = MIX_INIT;

static void res(u64 r, u64 fl, int digits)
{
    if (digits == 8)
        r &= 0xffffffff;
    total = mix(mix(total, r), fl);
    put_char(' ');
    put_hexn(r, digits);
    put_char('/');
    put_hexn(fl, 2);
}

/* Two-operand grid: every pair of grid values. */
static void grid(const char *name, fop fn, int dbl)
{
    put_str("== ");
    put_str(name);
    nl();
    for (int i = 0; i < NGRID; i++) {
        u64 a = dbl ? grid_d[i] : grid_s[i];
        put_str("  ");
        put_hexn(a, dbl ? 16 : 8);
        put_char(':');
        for (int j = 0; j < NGRID; j++) {
            u64 b = dbl ? grid_d[j] : grid_s[j];
            u64 fl, r = fn(a, b, 0, &fl);
            res(r, fl, dbl ? 16 : 8);
        }
        nl();
    }
}

/* One line per input, one column per rounding mode (dyn runs with frm=rne,
 * frm is 0 at start-up). */
static void by_rm(const char *name, const fop fns[6], u64 a, u64 b, u64 c,
                  int in_digits, int nin, int out_digits)
{
    put_str(name);
    put_char(' ');
    put_hexn(a, in_digits);
    if (nin > 1) {
        put_char(' ');
        put_hexn(b, in_digits);
    }
    if (nin > 2) {
        put_char(' ');
        put_hexn(c, in_digits);
    }
    put_str(" ->");
    for (int m = 0; m < 6; m++) {
        u64 fl, r = fns[m](a, b, c, &fl);
        res(r, fl, out_digits);
    }
    nl();
}

static void set_frm(u64 rm)
{
    __asm__ volatile("fsrm %0" : : "r"(rm));
}

static void nan_boxing(void)
{
    u64 r, fl;
    put_str("== NaN boxing\n");
    /* fmv.w.x, fadd.s and flw all write a boxed value (upper 32 bits set). */
    __asm__ volatile("li t0, 0x3f800000\n\tfmv.w.x ft0, t0\n\tfmv.x.d %0, ft0"
                     : "=r"(r) : : "t0", "ft0");
    put_kv("fmv.w.x 1.0 as double bits", r);
    __asm__ volatile("li t0, 0x3f800000\n\tfmv.w.x ft0, t0\n\t"
                     "fadd.s ft1, ft0, ft0\n\tfmv.x.d %0, ft1"
                     : "=r"(r) : : "t0", "ft0", "ft1");
    put_kv("fadd.s 1+1 as double bits", r);
    static volatile u32 mem_s = 0xc0490fdb;
    static volatile u64 mem_d = 0;
    __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0"
                     : "=r"(r) : "r"(&mem_s) : "ft0", "memory");
    put_kv("flw -pi as double bits", r);
    __asm__ volatile("flw ft0, 0(%0)\n\tfsd ft0, 0(%1)"
                     : : "r"(&mem_s), "r"(&mem_d) : "ft0", "memory");
    put_kv("flw then fsd", mem_d);
    /* fmv.x.w sign-extends bit 31 into the integer register. */
    __asm__ volatile("li t0, 0xbf800000\n\tfmv.w.x ft0, t0\n\tfmv.x.w %0, ft0"
                     : "=r"(r) : : "t0", "ft0");
    put_kv("fmv.x.w -1.0", r);
    /* An improperly boxed single is read as the canonical NaN... */
    static const u64 unboxed[] = {0x000000003f800000, 0x7fffffff3f800000,
                                  0xfffffffe3f800000};
    for (int i = 0; i < 3; i++) {
        put_str("unboxed ");
        put_hexn(unboxed[i], 16);
        put_str(":");
        __asm__ volatile("fmv.d.x ft0, %2\n\tcsrw fflags, zero\n\t"
                         "fadd.s ft1, ft0, ft0\n\tfmv.x.w %0, ft1\n\t"
                         "csrr %1, fflags"
                         : "=&r"(r), "=&r"(fl) : "r"(unboxed[i]) : "ft0", "ft1");
        put_str(" fadd.s");
        res(r, fl, 8);
        __asm__ volatile("fmv.d.x ft0, %2\n\tcsrw fflags, zero\n\t"
                         "fclass.s %0, ft0\n\tcsrr %1, fflags"
                         : "=&r"(r), "=&r"(fl) : "r"(unboxed[i]) : "ft0");
        put_str(" fclass.s");
        res(r, fl, 8);
        __asm__ volatile("fmv.d.x ft0, %2\n\tcsrw fflags, zero\n\t"
                         "fsgnjn.s ft1, ft0, ft0\n\tfmv.x.d %0, ft1\n\t"
                         "csrr %1, fflags"
                         : "=&r"(r), "=&r"(fl) : "r"(unboxed[i]) : "ft0", "ft1");
        put_str(" fneg.s");
        res(r, fl, 16);
        __asm__ volatile("fmv.d.x ft0, %2\n\tcsrw fflags, zero\n\t"
                         "fcvt.d.s ft1, ft0\n\tfmv.x.d %0, ft1\n\t"
                         "csrr %1, fflags"
                         : "=&r"(r), "=&r"(fl) : "r"(unboxed[i]) : "ft0", "ft1");
        put_str(" fcvt.d.s");
        res(r, fl, 16);
        /* ...but the transfers out (fmv.x.w, fsw) take the low bits as is. */
        __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.w %0, ft0"
                         : "=r"(r) : "r"(unboxed[i]) : "ft0");
        put_str(" fmv.x.w");
        res(r, 0, 16);
        nl();
    }
}

static void dynamic_rm(void)
{
    put_str("== dynamic rounding mode (frm = 0..4, then static rm)\n");
    static const struct {
        const char *name;
        const fop *fn;
        u64 a, b, c;
        int dig;
    } cases[] = {
        {"fadd.s", fadd_s, 0x3f800000, 0x33800001, 0, 8},
        {"fadd.s", fadd_s, 0xbf800000, 0xb3800001, 0, 8},
        {"fmul.d", fmul_d, 0x3ff0000000000001, 0x3ff0000000000001, 0, 16},
        {"fdiv.d", fdiv_d, 0xbff0000000000000, 0x4008000000000000, 0, 16},
        {"fsqrt.d", fsqrt_d, 0x4000000000000000, 0, 0, 16},
        {"fcvt.w.d", fcvt_w_d, 0xc004000000000000, 0, 0, 16},
        {"fcvt.s.l", fcvt_s_l, 0x0000000001000001, 0, 0, 8},
        {"fmadd.s", fmadd_s, 0x3f800001, 0x3f7ffffe, 0xbf800000, 8},
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        put_str(cases[k].name);
        put_str(" dyn:");
        u64 fl, r;
        for (u64 m = 0; m < 5; m++) {
            set_frm(m);
            r = cases[k].fn[5](cases[k].a, cases[k].b, cases[k].c, &fl);
            res(r, fl, cases[k].dig);
        }
        set_frm(0);
        put_str(" static:");
        for (int m = 0; m < 5; m++) {
            r = cases[k].fn[m](cases[k].a, cases[k].b, cases[k].c, &fl);
            res(r, fl, cases[k].dig);
        }
        nl();
    }
}

static void sticky_flags(void)
{
    u64 fl;
    /* Flags accumulate until cleared: 1/0 (DZ) then 1+tiny (NX). */
    __asm__ volatile("csrw fflags, zero\n\t"
                     "li t0, 0x3f800000\n\tfmv.w.x ft0, t0\n\t"
                     "fmv.w.x ft1, zero\n\t"
                     "fdiv.s ft2, ft0, ft1\n\t"
                     "li t0, 0x33800001\n\tfmv.w.x ft1, t0\n\t"
                     "fadd.s ft2, ft0, ft1\n\t"
                     "csrr %0, fflags"
                     : "=r"(fl) : : "t0", "ft0", "ft1", "ft2");
    put_kv("sticky DZ|NX", fl);
    /* An exact operation leaves earlier flags in place. */
    __asm__ volatile("li t0, 0x1f\n\tcsrw fflags, t0\n\t"
                     "fmv.w.x ft0, zero\n\tfadd.s ft1, ft0, ft0\n\t"
                     "csrr %0, fflags"
                     : "=r"(fl) : : "t0", "ft0", "ft1");
    put_kv("exact op keeps all flags", fl);
    __asm__ volatile("csrw fflags, zero");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        fop fn;
        int dbl;
    } grids[] = {
        {"fadd.s rne", fadd_s_rne, 0}, {"fsub.s rne", fsub_s_rne, 0},
        {"fmul.s rne", fmul_s_rne, 0}, {"fdiv.s rne", fdiv_s_rne, 0},
        {"fmin.s", fmin_s, 0},         {"fmax.s", fmax_s, 0},
        {"fsgnj.s", fsgnj_s, 0},       {"fsgnjn.s", fsgnjn_s, 0},
        {"fsgnjx.s", fsgnjx_s, 0},     {"feq.s", feq_s, 0},
        {"flt.s", flt_s, 0},           {"fle.s", fle_s, 0},
        {"fadd.d rne", fadd_d_rne, 1}, {"fsub.d rne", fsub_d_rne, 1},
        {"fmul.d rne", fmul_d_rne, 1}, {"fdiv.d rne", fdiv_d_rne, 1},
        {"fmin.d", fmin_d, 1},         {"fmax.d", fmax_d, 1},
        {"fsgnj.d", fsgnj_d, 1},       {"fsgnjn.d", fsgnjn_d, 1},
        {"fsgnjx.d", fsgnjx_d, 1},     {"feq.d", feq_d, 1},
        {"flt.d", flt_d, 1},           {"fle.d", fle_d, 1},
    };
    put_str("min_float: results are value/fflags (NV=10 DZ=08 OF=04 UF=02 NX=01)\n");
    for (unsigned k = 0; k < sizeof grids / sizeof grids[0]; k++)
        grid(grids[k].name, grids[k].fn, grids[k].dbl);

    put_str("== fclass\n");
    for (int i = 0; i < NGRID; i++) {
        u64 fl, r;
        put_str("  ");
        put_hexn(grid_s[i], 8);
        r = fclass_s(grid_s[i], 0, 0, &fl);
        res(r, fl, 8);
        put_str("   ");
        put_hexn(grid_d[i], 16);
        r = fclass_d(grid_d[i], 0, 0, &fl);
        res(r, fl, 8);
        nl();
    }

    put_str("== rounding modes: columns");
    for (int m = 0; m < 6; m++) {
        put_char(' ');
        put_str(rm_names[m]);
    }
    nl();
    /* Inexact sums/products/quotients whose rounding differs per mode. */
    static const u32 rs[][2] = {
        {0x3f800000, 0x33800001}, {0xbf800000, 0xb3800001},
        {0x3f800000, 0x40400000}, {0xbf800000, 0x40400000},
        {0x7f7fffff, 0x7f7fffff}, {0x00800000, 0x3f000001},
        {0x3f800000, 0xbf800000}, {0x40490fdb, 0x3eaaaaab},
    };
    for (unsigned i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        by_rm("fadd.s", fadd_s, rs[i][0], rs[i][1], 0, 8, 2, 8);
        by_rm("fsub.s", fsub_s, rs[i][0], rs[i][1], 0, 8, 2, 8);
        by_rm("fmul.s", fmul_s, rs[i][0], rs[i][1], 0, 8, 2, 8);
        by_rm("fdiv.s", fdiv_s, rs[i][0], rs[i][1], 0, 8, 2, 8);
    }
    static const u64 rd[][2] = {
        {0x3ff0000000000000, 0x3c90000000000001},
        {0xbff0000000000000, 0xbc90000000000001},
        {0x3ff0000000000000, 0x4008000000000000},
        {0xbff0000000000000, 0x4008000000000000},
        {0x7fefffffffffffff, 0x7fefffffffffffff},
        {0x0010000000000000, 0x3fe0000000000001},
        {0x3ff0000000000000, 0xbff0000000000000},
        {0x400921fb54442d18, 0x3fd5555555555555},
    };
    for (unsigned i = 0; i < sizeof rd / sizeof rd[0]; i++) {
        by_rm("fadd.d", fadd_d, rd[i][0], rd[i][1], 0, 16, 2, 16);
        by_rm("fsub.d", fsub_d, rd[i][0], rd[i][1], 0, 16, 2, 16);
        by_rm("fmul.d", fmul_d, rd[i][0], rd[i][1], 0, 16, 2, 16);
        by_rm("fdiv.d", fdiv_d, rd[i][0], rd[i][1], 0, 16, 2, 16);
    }
    for (int i = 0; i < NGRID; i++)
        by_rm("fsqrt.s", fsqrt_s, grid_s[i], 0, 0, 8, 1, 8);
    by_rm("fsqrt.s", fsqrt_s, 0x40000000, 0, 0, 8, 1, 8);
    by_rm("fsqrt.s", fsqrt_s, 0x40800000, 0, 0, 8, 1, 8);
    for (int i = 0; i < NGRID; i++)
        by_rm("fsqrt.d", fsqrt_d, grid_d[i], 0, 0, 16, 1, 16);
    by_rm("fsqrt.d", fsqrt_d, 0x4000000000000000, 0, 0, 16, 1, 16);
    by_rm("fsqrt.d", fsqrt_d, 0x4010000000000000, 0, 0, 16, 1, 16);

    put_str("== fused multiply-add\n");
    static const u32 fs[][3] = {
        {0x3f800001, 0x3f7ffffe, 0xbf800000}, /* single rounding visible */
        {0x40000000, 0x40400000, 0xc0c00000}, /* exact zero: sign per rm */
        {0x7f800000, 0x00000000, QNAN_S},     /* inf*0 + qNaN: NV */
        {0x7f800000, 0x3f800000, 0xff800000}, /* inf - inf: NV */
        {SNAN_S, 0x3f800000, 0x3f800000},     /* sNaN: NV */
        {0x7f7fffff, 0x40000000, 0xff7fffff}, /* no intermediate overflow */
        {0x00000001, 0x3f000000, 0x00000000}, /* underflow */
        {0x3eaaaaab, 0x40400000, 0xbf800000},
    };
    for (unsigned i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        by_rm("fmadd.s", fmadd_s, fs[i][0], fs[i][1], fs[i][2], 8, 3, 8);
        by_rm("fmsub.s", fmsub_s, fs[i][0], fs[i][1], fs[i][2], 8, 3, 8);
        by_rm("fnmadd.s", fnmadd_s, fs[i][0], fs[i][1], fs[i][2], 8, 3, 8);
        by_rm("fnmsub.s", fnmsub_s, fs[i][0], fs[i][1], fs[i][2], 8, 3, 8);
    }
    static const u64 fd[][3] = {
        {0x3ff0000000000001, 0x3fefffffffffffff, 0xbff0000000000000},
        {0x4000000000000000, 0x4008000000000000, 0xc018000000000000},
        {0x7ff0000000000000, 0x0000000000000000, QNAN_D},
        {0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000},
        {SNAN_D, 0x3ff0000000000000, 0x3ff0000000000000},
        {0x7fefffffffffffff, 0x4000000000000000, 0xffefffffffffffff},
        {0x0000000000000001, 0x3fe0000000000000, 0x0000000000000000},
        {0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000},
    };
    for (unsigned i = 0; i < sizeof fd / sizeof fd[0]; i++) {
        by_rm("fmadd.d", fmadd_d, fd[i][0], fd[i][1], fd[i][2], 16, 3, 16);
        by_rm("fmsub.d", fmsub_d, fd[i][0], fd[i][1], fd[i][2], 16, 3, 16);
        by_rm("fnmadd.d", fnmadd_d, fd[i][0], fd[i][1], fd[i][2], 16, 3, 16);
        by_rm("fnmsub.d", fnmsub_d, fd[i][0], fd[i][1], fd[i][2], 16, 3, 16);
    }

    put_str("== float -> int (w/wu results are sign-extended to 64 bits)\n");
    for (unsigned i = 0; i < sizeof cvt_s / sizeof cvt_s[0]; i++) {
        by_rm("fcvt.w.s ", fcvt_w_s, cvt_s[i].u, 0, 0, 8, 1, 16);
        by_rm("fcvt.wu.s", fcvt_wu_s, cvt_s[i].u, 0, 0, 8, 1, 16);
        by_rm("fcvt.l.s ", fcvt_l_s, cvt_s[i].u, 0, 0, 8, 1, 16);
        by_rm("fcvt.lu.s", fcvt_lu_s, cvt_s[i].u, 0, 0, 8, 1, 16);
    }
    for (unsigned i = 0; i < sizeof cvt_d / sizeof cvt_d[0]; i++) {
        by_rm("fcvt.w.d ", fcvt_w_d, cvt_d[i].u, 0, 0, 16, 1, 16);
        by_rm("fcvt.wu.d", fcvt_wu_d, cvt_d[i].u, 0, 0, 16, 1, 16);
        by_rm("fcvt.l.d ", fcvt_l_d, cvt_d[i].u, 0, 0, 16, 1, 16);
        by_rm("fcvt.lu.d", fcvt_lu_d, cvt_d[i].u, 0, 0, 16, 1, 16);
    }
    put_str("== int -> float\n");
    for (unsigned i = 0; i < sizeof cvt_ints / sizeof cvt_ints[0]; i++) {
        u64 v = cvt_ints[i];
        by_rm("fcvt.s.w ", fcvt_s_w, v, 0, 0, 16, 1, 8);
        by_rm("fcvt.s.wu", fcvt_s_wu, v, 0, 0, 16, 1, 8);
        by_rm("fcvt.s.l ", fcvt_s_l, v, 0, 0, 16, 1, 8);
        by_rm("fcvt.s.lu", fcvt_s_lu, v, 0, 0, 16, 1, 8);
        by_rm("fcvt.d.w ", fcvt_d_w, v, 0, 0, 16, 1, 16);
        by_rm("fcvt.d.wu", fcvt_d_wu, v, 0, 0, 16, 1, 16);
        by_rm("fcvt.d.l ", fcvt_d_l, v, 0, 0, 16, 1, 16);
        by_rm("fcvt.d.lu", fcvt_d_lu, v, 0, 0, 16, 1, 16);
    }
    put_str("== float <-> double\n");
    static const u64 sd[] = {
        0x3fd5555555555555, 0xbfd5555555555555, 0x7fefffffffffffff,
        0x47efffffefffffff, 0x47efffff00000000, 0x0000000000000001,
        0x36a0000000000000, 0x3810000000000000, 0x380fffffffffffff,
        0x7ff0000000000000, QNAN_D, SNAN_D, 0xfff8000000000001,
        0x8000000000000000, 0x400921fb54442d18,
    };
    for (unsigned i = 0; i < sizeof sd / sizeof sd[0]; i++)
        by_rm("fcvt.s.d", fcvt_s_d, sd[i], 0, 0, 16, 1, 8);
    for (int i = 0; i < NGRID; i++) {
        u64 fl, r = fcvt_d_s(grid_s[i], 0, 0, &fl);
        put_str("fcvt.d.s ");
        put_hexn(grid_s[i], 8);
        put_str(" ->");
        res(r, fl, 16);
        nl();
    }
    nan_boxing();
    dynamic_rm();
    sticky_flags();
    put_str("checksum ");
    put_hex(total);
    nl();
    return 0;
}
