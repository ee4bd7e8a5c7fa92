/* Element-wise floating point (V 1.0): three kernels over 4093-element
 * arrays (a tail at every VLEN), SIZE repetitions:
 *   single: y = y * 0.5 + x * 0.25           (vfmul.vf, vfmul.vf, vfadd.vv)
 *   double: z = (z + x) / d                  (vfadd.vv, vfdiv.vv)
 *   double: w = w + (z - w) * 0.125          (vfsub.vv, vfmul.vf, vfadd.vv)
 * Each loop body starts with its vsetvli (strip-mined, LMUL 4). No fused
 * multiply-add: the C loops (the native build, and vfp_scalar.c, the
 * riscv64 scalar build of this same source, all with -ffp-contract=off)
 * round each operation the same way, so every build prints the same
 * checksums; the values stay finite (inexact is the only flag), and the
 * results do not depend on VLEN. */
#include "bench.h"

#define N 4093

static float xs[N], ys[N];
static double xd[N], zd[N], dd[N], wd[N];

#ifdef __riscv_vector
static void single(float *y, const float *x, long n)
{
    float half = 0.5f, quarter = 0.25f;
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e32, m4, ta, ma\n"
                     "vle32.v v8, (%1)\n"
                     "vle32.v v12, (%2)\n"
                     "vfmul.vf v12, v12, %4\n"
                     "vfmul.vf v8, v8, %3\n"
                     "vfadd.vv v8, v8, v12\n"
                     "vse32.v v8, (%1)\n"
                     "sub %0, %0, t0\n"
                     "slli t0, t0, 2\n"
                     "add %1, %1, t0\n"
                     "add %2, %2, t0\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(y), "+r"(x) : "f"(half), "f"(quarter) : "t0", "memory");
}

static void mean(double *z, const double *x, const double *d, long n)
{
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e64, m4, ta, ma\n"
                     "vle64.v v8, (%1)\n"
                     "vle64.v v12, (%2)\n"
                     "vle64.v v16, (%3)\n"
                     "vfadd.vv v8, v8, v12\n"
                     "vfdiv.vv v8, v8, v16\n"
                     "vse64.v v8, (%1)\n"
                     "sub %0, %0, t0\n"
                     "slli t0, t0, 3\n"
                     "add %1, %1, t0\n"
                     "add %2, %2, t0\n"
                     "add %3, %3, t0\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(z), "+r"(x), "+r"(d) : : "t0", "memory");
}

static void follow(double *w, const double *z, long n)
{
    double eighth = 0.125;
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e64, m4, ta, ma\n"
                     "vle64.v v8, (%1)\n"
                     "vle64.v v12, (%2)\n"
                     "vfsub.vv v12, v12, v8\n"
                     "vfmul.vf v12, v12, %3\n"
                     "vfadd.vv v8, v8, v12\n"
                     "vse64.v v8, (%1)\n"
                     "sub %0, %0, t0\n"
                     "slli t0, t0, 3\n"
                     "add %1, %1, t0\n"
                     "add %2, %2, t0\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(w), "+r"(z) : "f"(eighth) : "t0", "memory");
}
#else
static void single(float *y, const float *x, long n)
{
    for (long i = 0; i < n; i++) {
        float t = x[i] * 0.25f;
        y[i] = y[i] * 0.5f + t;
    }
}

static void mean(double *z, const double *x, const double *d, long n)
{
    for (long i = 0; i < n; i++)
        z[i] = (z[i] + x[i]) / d[i];
}

static void follow(double *w, const double *z, long n)
{
    for (long i = 0; i < n; i++)
        w[i] = w[i] + (z[i] - w[i]) * 0.125;
}
#endif

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 20000);
    rng_t r = { 0xf10a7 };
    for (long i = 0; i < N; i++) {
        /* x in [1, 2), d in [2, 3), y, z, w start at 0. */
        xs[i] = 1.0f + (float)(rng_next(&r) >> 40) / (float)(1 << 24);
        xd[i] = 1.0 + (double)(rng_next(&r) >> 11) / 9007199254740992.0;
        dd[i] = 2.0 + (double)(rng_next(&r) >> 11) / 9007199254740992.0;
    }
    for (long p = 0; p < reps; p++) {
        single(ys, xs, N);
        mean(zd, xd, dd, N);
        follow(wd, zd, N);
        /* Perturb one element per pass so no fixed point is reached. */
        xs[(p * 97) % N] += 0x1p-20f;
        xd[(p * 89) % N] += 0x1p-40;
    }
    bench_result("vfp", "single", mix_bytes(0, (const unsigned char *)ys, sizeof ys));
    bench_result("vfp", "mean", mix_bytes(0, (const unsigned char *)zd, sizeof zd));
    bench_result("vfp", "follow", mix_bytes(0, (const unsigned char *)wd, sizeof wd));
    return 0;
}
