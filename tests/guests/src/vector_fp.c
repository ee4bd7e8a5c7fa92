/* V 1.0 floating point in inline assembly (GCC 12 has no RVV intrinsics):
 * strip-mined kernels (saxpy with vfmacc.vf, an ordered f64 dot product,
 * a widening f32 -> f64 dot product, a first difference with
 * vfslide1up/vfmv.f.s, a clamp with vfmax/vfmin/vfmerge), then every
 * element operation on a table of special values (signed zeros,
 * infinities, quiet and signalling NaNs, subnormals, rounding boundaries)
 * under each rounding mode, printing a hash of the result bits and the
 * fflags each operation raised; finally a reserved frm makes a vector FP
 * instruction raise SIGILL, and so do reserved register groups, overlaps
 * and element widths. Output does not depend on VLEN (sums are
 * ordered or exact). Built with -march=rv64gcv; run with --isa max
 * (ferrovm) or -cpu rv64,v=true,vext_spec=v1.0 (qemu). No rtz conversions:
 * qemu 7.2 aborts on them (crates/difftest/KNOWN_QEMU_DIFFERENCES.md). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static unsigned hash(const void *p, size_t n) {
    const uint8_t *b = p;
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

static unsigned flags(void) {
    unsigned f;
    __asm__ volatile("frflags %0\n fsflags zero" : "=r"(f));
    return f;
}

static void set_frm(unsigned rm) { __asm__ volatile("fsrm %0" : : "r"(rm)); }

#define N 1000
static float xs[N], ys[N], zs[N];
static double xd[N], yd[N];

/* y = a * x + y (vfmacc.vf, e32, LMUL 4). */
static void saxpy(float a, const float *x, float *y, long n) {
    while (n > 0) {
        long vl;
        __asm__ volatile("vsetvli %0, %1, e32, m4, ta, ma\n"
                         "vle32.v v8, (%2)\n"
                         "vle32.v v16, (%3)\n"
                         "vfmacc.vf v16, %4, v8\n"
                         "vse32.v v16, (%3)\n"
                         : "=&r"(vl) : "r"(n), "r"(x), "r"(y), "f"(a) : "memory");
        n -= vl, x += vl, y += vl;
    }
}

/* sum(x[i] * y[i]) in element order: vfmul.vv then vfredosum.vs carrying
 * the sum in v24[0] from strip to strip. */
static double dot(const double *x, const double *y, long n) {
    double s;
    __asm__ volatile("vsetvli t0, zero, e64, m1, ta, ma\n"
                     "vmv.v.i v24, 0\n"
                     "1:\n"
                     "vsetvli t0, %1, e64, m2, ta, ma\n"
                     "vle64.v v8, (%2)\n"
                     "vle64.v v12, (%3)\n"
                     "vfmul.vv v16, v8, v12\n"
                     "vfredosum.vs v24, v16, v24\n"
                     "sub %1, %1, t0\n"
                     "slli t1, t0, 3\n"
                     "add %2, %2, t1\n"
                     "add %3, %3, t1\n"
                     "bnez %1, 1b\n"
                     "vfmv.f.s %0, v24\n"
                     : "=f"(s), "+r"(n), "+r"(x), "+r"(y) : : "t0", "t1", "memory");
    return s;
}

/* Widening dot product of f32 vectors into f64: vfwmul.vv, vfredusum.vs
 * (inputs are small multiples of 1/8, so every sum is exact and the order
 * does not matter) and vfwredosum.vs of x alone. */
static void wdot(const float *x, const float *y, long n, double *dot_out, double *sum_out) {
    double d, s;
    __asm__ volatile("vsetvli t0, zero, e64, m1, ta, ma\n"
                     "vmv.v.i v24, 0\n"
                     "vmv.v.i v25, 0\n"
                     "1:\n"
                     "vsetvli t0, %2, e32, m2, ta, ma\n"
                     "vle32.v v8, (%3)\n"
                     "vle32.v v10, (%4)\n"
                     "vfwmul.vv v16, v8, v10\n"
                     "vfwredosum.vs v25, v8, v25\n"
                     "vsetvli zero, t0, e64, m4, ta, ma\n"
                     "vfredusum.vs v24, v16, v24\n"
                     "sub %2, %2, t0\n"
                     "slli t1, t0, 2\n"
                     "add %3, %3, t1\n"
                     "add %4, %4, t1\n"
                     "bnez %2, 1b\n"
                     "vsetvli t0, zero, e64, m1, ta, ma\n"
                     "vfmv.f.s %0, v24\n"
                     "vfmv.f.s %1, v25\n"
                     : "=f"(d), "=f"(s), "+r"(n), "+r"(x), "+r"(y) : : "t0", "t1", "memory");
    *dot_out = d, *sum_out = s;
}

/* y[i] = x[i] - x[i-1] (x[-1] = 0): vfslide1up.vf brings in the previous
 * strip's last element, which vfslidedown + vfmv.f.s extract. */
static void diff(const float *x, float *y, long n) {
    float carry = 0.0f;
    while (n > 0) {
        long vl;
        __asm__ volatile("vsetvli %0, %2, e32, m2, ta, ma\n"
                         "vle32.v v8, (%3)\n"
                         "vfslide1up.vf v12, v8, %1\n"
                         "vfsub.vv v16, v8, v12\n"
                         "vse32.v v16, (%4)\n"
                         "addi t0, %0, -1\n"
                         "vslidedown.vx v12, v8, t0\n"
                         "vfmv.f.s %1, v12\n"
                         : "=&r"(vl), "+f"(carry) : "r"(n), "r"(x), "r"(y) : "t0", "memory");
        n -= vl, x += vl, y += vl;
    }
}

/* y = clamp(x, lo, hi), then NaNs replaced by -1 (vmfne + vfmerge.vfm),
 * and vfslide1down.vf / vfmv.s.f / vfmv.v.f on the side: in strips of 8
 * (e32, LMUL 2: 8 elements at every VLEN >= 128), z[i] = x[i+1] with hi
 * shifted in at the end and z[0] of each strip = lo. */
static void clamp(const float *x, float *y, float *z, long n, float lo, float hi) {
    float m1 = -1.0f;
    while (n > 0) {
        long vl;
        __asm__ volatile("vsetvli %0, %1, e32, m2, ta, mu\n"
                         "vle32.v v8, (%2)\n"
                         "vfmax.vf v10, v8, %5\n"
                         "vfmin.vf v10, v10, %6\n"
                         "vmfne.vv v0, v8, v8\n"
                         "vfmerge.vfm v10, v10, %7, v0\n"
                         "vse32.v v10, (%3)\n"
                         "vfmv.v.f v12, %6\n"
                         "vfslide1down.vf v12, v8, %6\n"
                         "vfmv.s.f v12, %5\n"
                         "vse32.v v12, (%4)\n"
                         : "=&r"(vl) : "r"(n < 8 ? n : 8), "r"(x), "r"(y), "r"(z), "f"(lo), "f"(hi), "f"(m1)
                         : "memory");
        n -= vl, x += vl, y += vl, z += vl;
    }
}

/* The special values: 32 singles and 32 doubles. */
static const uint32_t S32[32] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0xffa00000,
    0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000,
    0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000,
    0x3eaaaaab, 0x40490fdb, 0x00718abc, 0x7f765432, 0x4b800001, 0x3f7fffff, 0x4effffff, 0x40400000,
};
static const uint64_t S64[32] = {
    0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000,
    0x7ff8000000000000, 0xfff8000000000001, 0x7ff0000000000001, 0xfff4000000000000,
    0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000, 0x7fefffffffffffff,
    0x3ff0000000000000, 0xbff0000000000000, 0x3fe0000000000000, 0x3ff8000000000000,
    0x4004000000000000, 0xc004000000000000, 0x41e0000000000000, 0xc1e0000000200000,
    0x43e0000000000000, 0x43f0000000000000, 0x3ff0000010000000, 0x3ff0000030000000,
    0x47efffffe0000000, 0x47efffffefffffff, 0x36a0000000000000, 0x3690000000000001,
    0x380fffffc0000000, 0x400921fb54442d18, 0x3fd5555555555555, 0x4008000000000000,
};

static uint32_t a32[32], b32[32], c32[32], d32[32];
static uint64_t a64[32], b64[32], c64[32], d64[32];

/* One .vv instruction on 32 elements of SEW 32 (LMUL 8) or 64 (LMUL 8,
 * two strips at VLEN 128): v8 = a, v16 = b, v24 = c (the accumulator and
 * destination); the mask v0 is "a < b" so masked forms are exercised. */
#define OP32(name, insn)                                                              \
    static void name(void) {                                                          \
        const uint32_t *a = a32, *b = b32;                                            \
        uint32_t *d = d32;                                                            \
        memcpy(d32, c32, sizeof d32);                                                 \
        long n = 32;                                                                  \
        while (n > 0) {                                                               \
            long vl;                                                                  \
            __asm__ volatile("vsetvli %0, %1, e32, m8, ta, mu\n"                      \
                             "vle32.v v8, (%2)\n"                                     \
                             "vle32.v v16, (%3)\n"                                    \
                             "vle32.v v24, (%4)\n"                                    \
                             "vmflt.vv v0, v8, v16\n" insn "\n"                       \
                             "vse32.v v24, (%4)\n"                                    \
                             : "=&r"(vl) : "r"(n), "r"(a), "r"(b), "r"(d) : "memory"); \
            n -= vl, a += vl, b += vl, d += vl;                                       \
        }                                                                             \
    }
#define OP64(name, insn)                                                              \
    static void name(void) {                                                          \
        const uint64_t *a = a64, *b = b64;                                            \
        uint64_t *d = d64;                                                            \
        memcpy(d64, c64, sizeof d64);                                                 \
        long n = 32;                                                                  \
        while (n > 0) {                                                               \
            long vl;                                                                  \
            __asm__ volatile("vsetvli %0, %1, e64, m8, ta, mu\n"                      \
                             "vle64.v v8, (%2)\n"                                     \
                             "vle64.v v16, (%3)\n"                                    \
                             "vle64.v v24, (%4)\n"                                    \
                             "vmfle.vv v0, v8, v16\n" insn "\n"                       \
                             "vse64.v v24, (%4)\n"                                    \
                             : "=&r"(vl) : "r"(n), "r"(a), "r"(b), "r"(d) : "memory"); \
            n -= vl, a += vl, b += vl, d += vl;                                       \
        }                                                                             \
    }

#define BOTH(n, insn) OP32(n##_s, insn) OP64(n##_d, insn)
BOTH(fadd, "vfadd.vv v24, v8, v16")
BOTH(fsub_m, "vfsub.vv v24, v8, v16, v0.t")
BOTH(fmul, "vfmul.vv v24, v8, v16")
BOTH(fdiv, "vfdiv.vv v24, v8, v16")
BOTH(fsqrt, "vfsqrt.v v24, v8")
BOTH(fmin, "vfmin.vv v24, v8, v16")
BOTH(fmax_m, "vfmax.vv v24, v8, v16, v0.t")
BOTH(fsgnjn, "vfsgnjn.vv v24, v8, v16")
BOTH(fsgnjx, "vfsgnjx.vv v24, v8, v16")
BOTH(fmacc, "vfmacc.vv v24, v8, v16")
BOTH(fnmsac, "vfnmsac.vv v24, v8, v16")
BOTH(fmadd, "vfmadd.vv v24, v8, v16")
BOTH(fnmsub_m, "vfnmsub.vv v24, v8, v16, v0.t")
BOTH(frec7, "vfrec7.v v24, v8")
BOTH(frsqrt7, "vfrsqrt7.v v24, v8")
BOTH(fclass, "vfclass.v v24, v8")
BOTH(fcvt_x, "vfcvt.x.f.v v24, v8")
BOTH(fcvt_xu, "vfcvt.xu.f.v v24, v8")
BOTH(fcvt_f_x, "vfcvt.f.x.v v24, v8")
BOTH(fcvt_f_xu_m, "vfcvt.f.xu.v v24, v8, v0.t")
BOTH(mfeq, "vmfeq.vv v1, v8, v16\n vmv.v.i v24, 0\n vmerge.vim v24, v24, 1, v0\n vmv1r.v v0, v1\n vmerge.vim v24, v24, 2, v0")
BOTH(mfle_mne, "vmfle.vv v1, v8, v16\n vmfne.vv v2, v8, v24\n vmv.v.i v24, 0\n vmv1r.v v0, v1\n vmerge.vim v24, v24, 1, v0\n vmv1r.v v0, v2\n vmerge.vim v24, v24, 3, v0")

/* Widening and narrowing: SEW 32 sources (a32, b32) into 64-bit results,
 * and 64-bit sources (a64) into 32-bit results. */
#define WIDE(name, insn)                                                              \
    static void name(void) {                                                          \
        const uint32_t *a = a32, *b = b32;                                            \
        uint64_t *d = d64;                                                            \
        memcpy(d64, c64, sizeof d64);                                                 \
        long n = 32;                                                                  \
        while (n > 0) {                                                               \
            long vl;                                                                  \
            __asm__ volatile("vsetvli %0, %1, e32, m4, ta, mu\n"                      \
                             "vle32.v v8, (%2)\n"                                     \
                             "vle32.v v12, (%3)\n"                                    \
                             "vle64.v v24, (%4)\n"                                    \
                             "vmflt.vv v0, v8, v12\n" insn "\n"                       \
                             "vse64.v v24, (%4)\n"                                    \
                             : "=&r"(vl) : "r"(n), "r"(a), "r"(b), "r"(d) : "memory"); \
            n -= vl, a += vl, b += vl, d += vl;                                       \
        }                                                                             \
    }
#define NARROW(name, insn)                                                            \
    static void name(void) {                                                          \
        const uint64_t *a = a64;                                                      \
        uint32_t *d = d32;                                                            \
        memcpy(d32, c32, sizeof d32);                                                 \
        long n = 32;                                                                  \
        while (n > 0) {                                                               \
            long vl;                                                                  \
            __asm__ volatile("vsetvli %0, %1, e32, m4, ta, mu\n"                      \
                             "vle64.v v8, (%2)\n"                                     \
                             "vle32.v v24, (%3)\n"                                    \
                             "vmfeq.vv v0, v24, v24\n" insn "\n"                      \
                             "vse32.v v24, (%3)\n"                                    \
                             : "=&r"(vl) : "r"(n), "r"(a), "r"(d) : "memory");        \
            n -= vl, a += vl, d += vl;                                                \
        }                                                                             \
    }
WIDE(fwadd, "vfwadd.vv v24, v8, v12")
WIDE(fwsub_w, "vfwsub.wv v24, v24, v8")
WIDE(fwmul_m, "vfwmul.vv v24, v8, v12, v0.t")
WIDE(fwmacc, "vfwmacc.vv v24, v8, v12")
WIDE(fwnmacc, "vfwnmacc.vv v24, v8, v12")
WIDE(fwcvt_f_f, "vfwcvt.f.f.v v24, v8")
WIDE(fwcvt_x, "vfwcvt.x.f.v v24, v8")
WIDE(fwcvt_xu, "vfwcvt.xu.f.v v24, v8")
WIDE(fwcvt_f_x, "vfwcvt.f.x.v v24, v8")
NARROW(fncvt_f_f, "vfncvt.f.f.w v24, v8")
NARROW(fncvt_rod_m, "vfncvt.rod.f.f.w v24, v8, v0.t")
NARROW(fncvt_x, "vfncvt.x.f.w v24, v8")
NARROW(fncvt_xu, "vfncvt.xu.f.w v24, v8")
NARROW(fncvt_f_x, "vfncvt.f.x.w v24, v8")
NARROW(fncvt_f_xu, "vfncvt.f.xu.w v24, v8")

struct op {
    const char *name;
    void (*run)(void);
    int wide; /* 0: d32 or d64 by name suffix, 1: d64, 2: d32 */
};

#define P(n) {#n "_s", n##_s, 2}, {#n "_d", n##_d, 1}
static const struct op OPS[] = {
    P(fadd), P(fsub_m), P(fmul), P(fdiv), P(fsqrt), P(fmin), P(fmax_m), P(fsgnjn), P(fsgnjx), P(fmacc),
    P(fnmsac), P(fmadd), P(fnmsub_m), P(frec7), P(frsqrt7), P(fclass), P(fcvt_x), P(fcvt_xu), P(fcvt_f_x),
    P(fcvt_f_xu_m), P(mfeq), P(mfle_mne),
    {"fwadd", fwadd, 1}, {"fwsub_w", fwsub_w, 1}, {"fwmul_m", fwmul_m, 1}, {"fwmacc", fwmacc, 1},
    {"fwnmacc", fwnmacc, 1}, {"fwcvt_f_f", fwcvt_f_f, 1}, {"fwcvt_x", fwcvt_x, 1},
    {"fwcvt_xu", fwcvt_xu, 1}, {"fwcvt_f_x", fwcvt_f_x, 1},
    {"fncvt_f_f", fncvt_f_f, 2}, {"fncvt_rod_m", fncvt_rod_m, 2}, {"fncvt_x", fncvt_x, 2},
    {"fncvt_xu", fncvt_xu, 2}, {"fncvt_f_x", fncvt_f_x, 2}, {"fncvt_f_xu", fncvt_f_xu, 2},
};

static volatile sig_atomic_t sigills;

static void on_sigill(int sig, siginfo_t *info, void *uc) {
    (void)sig, (void)info;
    sigills++;
    ((ucontext_t *)uc)->uc_mcontext.__gregs[REG_PC] += 4;
}

int main(void) {
    for (int i = 0; i < N; i++) {
        xs[i] = (float)((i * 37) % 101 - 50) / 8.0f;
        ys[i] = (float)((i * 11) % 23) / 4.0f;
        xd[i] = 1.0 / (i + 1);
        yd[i] = (double)(i % 7) - 3.1;
    }
    set_frm(0);
    flags();
    memcpy(zs, ys, sizeof zs);
    saxpy(0.3f, xs, zs, N);
    printf("saxpy %08x flags %02x\n", hash(zs, sizeof zs), flags());
    double d = dot(xd, yd, N);
    uint64_t bits;
    memcpy(&bits, &d, 8);
    printf("dot %016llx flags %02x\n", (unsigned long long)bits, flags());
    double wd, ws;
    wdot(xs, ys, N, &wd, &ws);
    uint64_t wb, sb;
    memcpy(&wb, &wd, 8), memcpy(&sb, &ws, 8);
    printf("wdot %016llx sum %016llx flags %02x\n", (unsigned long long)wb, (unsigned long long)sb, flags());
    diff(xs, zs, N);
    printf("diff %08x flags %02x\n", hash(zs, sizeof zs), flags());
    float cl[N], sl[N];
    memcpy(cl, S32, sizeof S32);
    clamp((const float *)S32, cl, sl, 32, -2.5f, 1e30f);
    printf("clamp %08x slide %08x flags %02x\n", hash(cl, 32 * 4), hash(sl, 32 * 4), flags());

    /* Every operation on the special values, a against a rotation of
     * itself, under each rounding mode. */
    for (int i = 0; i < 32; i++) {
        a32[i] = S32[i], b32[i] = S32[(i * 7 + 3) % 32], c32[i] = S32[(i * 13 + 5) % 32];
        a64[i] = S64[i], b64[i] = S64[(i * 7 + 3) % 32], c64[i] = S64[(i * 13 + 5) % 32];
    }
    for (unsigned rm = 0; rm < 5; rm++) {
        set_frm(rm);
        for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
            flags();
            OPS[k].run();
            unsigned f = flags();
            unsigned h = OPS[k].wide == 1 ? hash(d64, sizeof d64) : hash(d32, sizeof d32);
            printf("rm %u %-12s %08x flags %02x\n", rm, OPS[k].name, h, f);
        }
    }

    /* A reserved frm: every vector FP instruction is illegal (V 1.0
     * "Vector Arithmetic Instruction encoding"); the handler skips it. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, 0);
    set_frm(5);
    __asm__ volatile("vsetivli zero, 4, e32, m1, ta, ma\n"
                     "vfadd.vv v1, v2, v3\n"
                     "vfsgnj.vv v1, v2, v3\n"
                     "vfmv.f.s ft0, v1\n" ::: "ft0");
    set_frm(0);
    __asm__ volatile("vfadd.vv v1, v2, v3\n");
    printf("sigill with frm=5: %d\n", (int)sigills);

    /* Reserved encodings trap, legal neighbours do not (V 1.0 "Vector
     * Operands": misaligned groups, "Vector Masking": a masked vd = v0,
     * the overlap rules for widening, narrowing and mask results, a SEW
     * that is no FP type, and vfslide1up's vd = vs2). One digit each:
     * 1 = SIGILL. */
    static const char *const names[] = {
        "misaligned vd",        "misaligned vs2",       "masked vd=v0",        "e8 fadd",
        "e64 fwadd",            "fwadd vd=vs2 low",     "fwadd vd=vs2 high",   "fwadd.wv vd=vs2",
        "fwadd.wv vs2 odd",     "fwadd mf2 overlap",    "fncvt vd=vs2",        "fncvt vd=vs2+1",
        "fncvt vs2 odd",        "mflt vd apart",        "mflt vd=vs2",         "mflt vd=vs2+1",
        "fslide1up vd=vs2",     "fslide1down vd=vs2",   "fredosum vd=v0 mask", "fwredosum e32",
        "fwredosum e64",        "fmerge vd=v0",         "fwcvt.f.f e64",       "fmv.f.s any vs2",
        "fwadd m8",             "fwmacc vd=vs1 low",    "fwmacc apart",  "masked fsgnj",
    };
    char got[sizeof names / sizeof names[0] + 1];
#define TRY(k, vset, insn)                                                                   \
    do {                                                                                     \
        int before = sigills;                                                                \
        __asm__ volatile("li t1, 4\n" vset "\n" insn "\n" ::: "t1", "t2", "fa0", "memory");  \
        got[k] = sigills != before ? '1' : '0';                                              \
    } while (0)
#define M2 "vsetvli t2, t1, e32, m2, ta, ma"
#define M1 "vsetvli t2, t1, e32, m1, ta, ma"
    TRY(0, M2, "vfadd.vv v3, v4, v6");
    TRY(1, M2, "vfadd.vv v2, v5, v6");
    TRY(2, M2, "vfadd.vv v0, v4, v6, v0.t");
    TRY(3, "vsetvli t2, t1, e8, m1, ta, ma", "vfadd.vv v2, v4, v6");
    TRY(4, "vsetvli t2, t1, e64, m1, ta, ma", "vfwadd.vv v2, v4, v6");
    TRY(5, M1, "vfwadd.vv v2, v2, v6");
    TRY(6, M1, "vfwadd.vv v2, v3, v6");
    TRY(7, M1, "vfwadd.wv v2, v2, v6");
    TRY(8, M1, "vfwadd.wv v2, v3, v6");
    TRY(9, "vsetvli t2, t1, e32, mf2, ta, ma", "vfwadd.vv v2, v2, v6");
    TRY(10, M1, "vfncvt.f.f.w v2, v2");
    TRY(11, M1, "vfncvt.f.f.w v3, v2");
    TRY(12, M1, "vfncvt.f.f.w v2, v3");
    TRY(13, M2, "vmflt.vv v3, v4, v6");
    TRY(14, M2, "vmflt.vv v4, v4, v6");
    TRY(15, M2, "vmflt.vv v5, v4, v6");
    TRY(16, M1, "vfslide1up.vf v2, v2, fa0");
    TRY(17, M1, "vfslide1down.vf v2, v2, fa0");
    TRY(18, M1, "vfredosum.vs v0, v2, v3, v0.t");
    TRY(19, M1, "vfwredosum.vs v1, v2, v3");
    TRY(20, "vsetvli t2, t1, e64, m1, ta, ma", "vfwredosum.vs v1, v2, v3");
    TRY(21, M1, "vfmerge.vfm v0, v2, fa0, v0");
    TRY(22, "vsetvli t2, t1, e64, m1, ta, ma", "vfwcvt.f.f.v v2, v4");
    TRY(23, M2, "vfmv.f.s fa0, v3");
    TRY(24, "vsetvli t2, t1, e32, m8, ta, ma", "vfwadd.vv v0, v8, v16");
    TRY(25, M1, "vfwmacc.vv v2, v2, v6");
    /* (vfwmacc.vv v2, v3, v6, v3 in the accumulator's highest part, is
     * reserved too: v3 read at 32 and 64 bits; qemu 7.2 runs it, so
     * vector_rva23 has it.) */
    TRY(26, M1, "vfwmacc.vv v2, v4, v6");
    TRY(27, M1, "vfsgnj.vv v2, v4, v6, v0.t");
    got[sizeof got - 1] = 0;
    printf("reserved encodings trap: %s\n", got);
    for (size_t k = 0; k + 1 < sizeof got; k++) printf("  %-20s %c\n", names[k], got[k]);
    return 0;
}
