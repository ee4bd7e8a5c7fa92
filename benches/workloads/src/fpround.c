/* Floating point under every rounding mode, with the accrued exception
 * flags read back: for each of round-to-nearest, upward, downward and
 * toward zero (fesetround), double and single precision kernels (a
 * harmonic-like sum, products and quotients near overflow, square roots,
 * fma, conversions to integers with lrint/llrint and nearbyint), then
 * fetestexcept for inexact, overflow, divide-by-zero and invalid, cleared
 * after each kernel. Underflow is left out of the checksum (x86-64 detects
 * tininess before rounding, RISC-V after, so the flag may differ at the
 * boundary on real hardware) and NaNs are folded in as "is NaN" (their
 * payloads differ between the two machines).
 * SIZE = repetitions. */
#include <fenv.h>
#include <math.h>
#include "bench.h"

#define N 2048
static double xd[N];
static float xf[N];

static const int modes[4] = { FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO };
#define FLAGS (FE_INEXACT | FE_OVERFLOW | FE_DIVBYZERO | FE_INVALID)

static uint64_t fold_d(uint64_t h, double v) { return mix64(h, isnan(v) ? 1 : dbits(v)); }
static uint64_t fold_f(uint64_t h, float v) { return mix64(h, isnan(v) ? 1 : fbits(v)); }

static uint64_t flags(uint64_t h)
{
    h = mix64(h, (uint64_t)(fetestexcept(FE_INEXACT) != 0) | (uint64_t)(fetestexcept(FE_OVERFLOW) != 0) << 1 |
                     (uint64_t)(fetestexcept(FE_DIVBYZERO) != 0) << 2 | (uint64_t)(fetestexcept(FE_INVALID) != 0) << 3);
    feclearexcept(FE_ALL_EXCEPT);
    return h;
}

static uint64_t kernel_d(uint64_t h)
{
    volatile double zero = 0.0;
    double s = 0, p = 1, q = 0;
    for (int i = 0; i < N; i++) {
        s += 1.0 / xd[i];
        p = p * (1.0 + xd[i] * 1e-3);
        q += sqrt(xd[i]) - fma(xd[i], 0.1, -s * 1e-6);
    }
    h = flags(fold_d(fold_d(fold_d(h, s), p), q));
    double big = 1e300;
    for (int i = 0; i < 8; i++) big *= 1e10;          /* overflows */
    h = flags(fold_d(h, big));
    h = flags(fold_d(h, 1.0 / zero));                 /* divide by zero */
    h = flags(fold_d(h, sqrt(-xd[1])));               /* invalid */
    long l = 0;
    for (int i = 0; i < N; i++) l += lrint(xd[i] * 12.345) + (long)nearbyint(xd[i] * -3.75);
    h = flags(mix64(h, (uint64_t)l));
    return h;
}

static uint64_t kernel_f(uint64_t h)
{
    volatile float zero = 0.0f;
    float s = 0, p = 1, q = 0;
    for (int i = 0; i < N; i++) {
        s += 1.0f / xf[i];
        p = p * (1.0f + xf[i] * 1e-3f);
        q += sqrtf(xf[i]) - fmaf(xf[i], 0.1f, -s * 1e-6f);
    }
    h = flags(fold_f(fold_f(fold_f(h, s), p), q));
    float big = 1e30f;
    for (int i = 0; i < 4; i++) big *= 1e5f;           /* overflows */
    h = flags(fold_f(h, big));
    h = flags(fold_f(h, 1.0f / zero));
    h = flags(fold_f(h, sqrtf(-xf[1])));
    long long l = 0;
    for (int i = 0; i < N; i++) l += llrint(xf[i] * 7.5f) + (long long)nearbyintf(xf[i] * 2.5f);
    h = flags(mix64(h, (uint64_t)l));
    /* Mixed precision: float <-> double conversions round too. */
    double d = 0;
    for (int i = 0; i < N; i++) d += (double)(float)(xd[i] * 1.0000001);
    return flags(fold_d(h, d));
}

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 600);
    rng_t r = { 0xf10a7 };
    for (int i = 0; i < N; i++) {
        xd[i] = 0.5 + (double)(rng_next(&r) >> 11) * 0x1p-50;   /* [0.5, 8.5) with full mantissas */
        xf[i] = (float)(0.5 + (double)(rng_below(&r, 1 << 20)) * 0x1p-17);
    }
    uint64_t h[4] = { 0 };
    for (long rep = 0; rep < reps; rep++)
        for (int m = 0; m < 4; m++) {
            fesetround(modes[m]);
            feclearexcept(FE_ALL_EXCEPT);
            h[m] = kernel_f(kernel_d(h[m]));
        }
    fesetround(FE_TONEAREST);
    static const char *names[4] = { "nearest", "upward", "downward", "towardzero" };
    for (int m = 0; m < 4; m++) bench_result("fpround", names[m], h[m]);
    return 0;
}
