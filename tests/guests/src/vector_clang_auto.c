/* Plain C loops that clang vectorizes for V 1.0 at -O3: element-wise
 * integer and FP arithmetic, sum/min/max reductions, widening products,
 * a byte-wise transform with a condition (masks, merges), a table lookup
 * (indexed loads), an array of structures (strided or segment loads),
 * conditional stores and 64-bit shifts, each at every length from 0 to 70
 * and at 1000 so that every VLEN ends with a partial strip.
 *
 * Built twice (build.sh): with scalable vectors (VLEN-agnostic code over
 * vsetvli and vlenb) and as vector_clang_auto_fixed with fixed-length
 * vectors (vsetivli, assuming VLEN >= 128). Neither output depends on VLEN,
 * and both equal a host build's: the loops are ordinary C. */
#include <stdint.h>
#include <stdio.h>

#define N 1000

static int32_t a[N], b[N], c[N];
static int16_t h[N], g[N];
static uint8_t text[N], out8[N];
static float x[N], y[N];
static double dx[N], dy[N];
static uint32_t idx[N], tab[256];
static int64_t q[N], r[N];
struct point { int32_t x, y, z; };
static struct point pts[N];

static unsigned hash(const void *p, size_t n) {
    const uint8_t *s = p;
    unsigned v = 2166136261u;
    for (size_t i = 0; i < n; i++) v = (v ^ s[i]) * 16777619u;
    return v;
}

/* noinline: each kernel is vectorized on its own, for any n */
#define K __attribute__((noinline))

K static void axpy_i32(int32_t *restrict d, const int32_t *restrict s, const int32_t *restrict t, int n) {
    for (int i = 0; i < n; i++) d[i] = s[i] * 3 + t[i];
}

K static uint32_t sum_i32(const int32_t *s, int n) {
    uint32_t v = 0; /* wraps, as the vector code does */
    for (int i = 0; i < n; i++) v += (uint32_t)s[i];
    return v;
}

K static int32_t max_i32(const int32_t *s, int n) {
    int32_t v = INT32_MIN;
    for (int i = 0; i < n; i++) v = s[i] > v ? s[i] : v;
    return v;
}

K static uint32_t min_u32(const uint32_t *s, int n) {
    uint32_t v = UINT32_MAX;
    for (int i = 0; i < n; i++) v = s[i] < v ? s[i] : v;
    return v;
}

K static int64_t sumsq_i16(const int16_t *s, const int16_t *t, int n) {
    int64_t v = 0;
    for (int i = 0; i < n; i++) v += (int32_t)s[i] * t[i];
    return v;
}

K static void upper(uint8_t *restrict d, const uint8_t *restrict s, int n) {
    for (int i = 0; i < n; i++) d[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i] ^ 0x5a;
}

K static void scale_f32(float *restrict d, const float *restrict s, int n) {
    for (int i = 0; i < n; i++) d[i] = s[i] * 2.5f + (s[i] < 0.0f ? -1.0f : 1.0f);
}

K static void mix_f64(double *restrict d, const double *restrict s, int n) {
    for (int i = 0; i < n; i++) d[i] = (s[i] - d[i]) * 0.125 + d[i] / 3.0;
}

K static void lookup(uint32_t *restrict d, const uint32_t *restrict ix, const uint32_t *restrict t, int n) {
    for (int i = 0; i < n; i++) d[i] = t[ix[i] & 255] + ix[i];
}

K static int64_t points(const struct point *p, int n) {
    int64_t v = 0;
    for (int i = 0; i < n; i++) v += (int64_t)p[i].x * 5 + p[i].z - p[i].y;
    return v;
}

K static void cond_store(int32_t *restrict d, const int32_t *restrict s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] & 4) d[i] = s[i] >> 2;
}

K static void shifts_i64(int64_t *restrict d, const int64_t *restrict s, int n) {
    for (int i = 0; i < n; i++) d[i] ^= (s[i] << 3) + (s[i] >> 7) + (int64_t)((uint64_t)s[i] >> 60);
}

K static void widen_u8(uint16_t *restrict d, const uint8_t *restrict s, int n) {
    for (int i = 0; i < n; i++) d[i] = (uint16_t)(s[i] * s[i] + 7);
}

static uint16_t wide[N];

int main(void) {
    uint32_t seed = 2024;
#define RND() (seed = seed * 1664525u + 1013904223u, seed >> 7)
    for (int i = 0; i < N; i++) {
        a[i] = (int32_t)RND() - (1 << 24);
        b[i] = (int32_t)(RND() % 2000001) - 1000000;
        h[i] = (int16_t)RND(), g[i] = (int16_t)RND();
        text[i] = (uint8_t)(RND() % 128);
        x[i] = (float)((int)(RND() % 40001) - 20000) / 16.0f;
        dx[i] = (double)((int)(RND() % 40001) - 20000) / 7.0;
        dy[i] = (double)((int)(RND() % 40001) - 20000) / 9.0;
        idx[i] = RND();
        uint64_t hi = RND(), mid = RND(), lo = RND();
        q[i] = (int64_t)((hi << 40) ^ (mid << 13) ^ lo);
        r[i] = (int64_t)RND();
        pts[i].x = (int32_t)RND() - (1 << 24);
        pts[i].y = (int32_t)RND();
        pts[i].z = (int32_t)(RND() % 1000);
    }
    for (int i = 0; i < 256; i++) tab[i] = RND();

    unsigned ha = 0, hu = 0, hf = 0, hd = 0, hl = 0, hc = 0, hs = 0, hw = 0;
    uint64_t sums = 0; /* wraps */
    for (int n = 0; n <= 70; n++) {
        axpy_i32(c, a + 1, b, n);
        ha = ha * 31 + hash(c, sizeof c);
        sums = sums * 7 + sum_i32(a + n, n) + (uint64_t)max_i32(b + 3, n) + min_u32(idx + n, n);
        sums = sums * 7 + (uint64_t)sumsq_i16(h + 2, g, n) + (uint64_t)points(pts + n, n);
        upper(out8, text + n, n);
        hu = hu * 31 + hash(out8, sizeof out8);
        scale_f32(y, x + 2, n);
        hf = hf * 31 + hash(y, sizeof y);
        mix_f64(dy, dx, n);
        hd = hd * 31 + hash(dy, sizeof dy);
        lookup((uint32_t *)c, idx + 1, tab, n);
        hl = hl * 31 + hash(c, sizeof c);
        cond_store(c, a, n);
        hc = hc * 31 + hash(c, sizeof c);
        shifts_i64(r, q + 1, n);
        hs = hs * 31 + hash(r, sizeof r);
        widen_u8(wide, text, n);
        hw = hw * 31 + hash(wide, sizeof wide);
    }
    axpy_i32(c, a, b, N);
    printf("axpy      %08x %08x\n", ha, hash(c, sizeof c));
    printf("sum       %u\n", sum_i32(a, N));
    printf("max/min   %d %u\n", max_i32(b, N), min_u32(idx, N));
    printf("sumsq     %lld\n", (long long)sumsq_i16(h, g, N));
    printf("points    %lld\n", (long long)points(pts, N));
    printf("short     %llu\n", (unsigned long long)sums);
    upper(out8, text, N);
    printf("upper     %08x %08x\n", hu, hash(out8, sizeof out8));
    scale_f32(y, x, N);
    printf("scale_f32 %08x %08x\n", hf, hash(y, sizeof y));
    mix_f64(dy, dx, N);
    printf("mix_f64   %08x %08x\n", hd, hash(dy, sizeof dy));
    lookup((uint32_t *)c, idx, tab, N);
    printf("lookup    %08x %08x\n", hl, hash(c, sizeof c));
    cond_store(c, b, N);
    printf("cond      %08x %08x\n", hc, hash(c, sizeof c));
    shifts_i64(r, q, N);
    printf("shifts    %08x %08x\n", hs, hash(r, sizeof r));
    widen_u8(wide, text, N);
    printf("widen     %08x %08x\n", hw, hash(wide, sizeof wide));
    return 0;
}
