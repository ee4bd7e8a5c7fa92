/* Double-precision numeric kernels: dense matrix multiply, LU
 * factorization with partial pivoting, a 2-D Jacobi stencil, daxpy/dot,
 * Horner polynomials, the spectral-norm power method and Mandelbrot.
 * SIZE = repetitions. */
#include <math.h>
#include "bench.h"

#define N 96
static double A[N][N], B[N][N], C[N][N];

static uint64_t matmul_lu(rng_t *r)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(rng_below(r, 2001)) / 1000.0 - 1.0;
            B[i][j] = (double)(rng_below(r, 2001)) / 1000.0 - 1.0;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) C[i][j] = 0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            double a = A[i][k];
            for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
        }
    /* LU of C in place. */
    for (int k = 0; k < N; k++) {
        int p = k;
        for (int i = k + 1; i < N; i++)
            if (fabs(C[i][k]) > fabs(C[p][k])) p = i;
        if (p != k)
            for (int j = 0; j < N; j++) { double t = C[k][j]; C[k][j] = C[p][j]; C[p][j] = t; }
        double piv = C[k][k];
        for (int i = k + 1; i < N; i++) {
            double f = C[i][k] / piv;
            C[i][k] = f;
            for (int j = k + 1; j < N; j++) C[i][j] -= f * C[k][j];
        }
    }
    uint64_t h = 0;
    for (int i = 0; i < N; i++) h = mix64(h, dbits(C[i][i]) ^ dbits(C[i][N - 1 - i]));
    return h;
}

#define G 128
static double grid[2][G][G];

static uint64_t jacobi(int iters)
{
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) grid[0][i][j] = grid[1][i][j] = (i == 0 || j == 0) ? 100.0 : 0.0;
    int cur = 0;
    for (int it = 0; it < iters; it++) {
        for (int i = 1; i < G - 1; i++)
            for (int j = 1; j < G - 1; j++)
                grid[1 - cur][i][j] = 0.25 * (grid[cur][i - 1][j] + grid[cur][i + 1][j] + grid[cur][i][j - 1] + grid[cur][i][j + 1]);
        cur = 1 - cur;
    }
    uint64_t h = 0;
    for (int i = 0; i < G; i += 7) h = mix64(h, dbits(grid[cur][i][G / 2]));
    return h;
}

static uint64_t blas1(rng_t *r)
{
    static double x[4096], y[4096];
    for (int i = 0; i < 4096; i++) { x[i] = (double)rng_below(r, 1 << 20) / 1024.0; y[i] = 1.0 / (i + 1); }
    double dot = 0;
    for (int rep = 0; rep < 50; rep++) {
        double a = 0.5 + rep * 0.125;
        for (int i = 0; i < 4096; i++) y[i] += a * x[i];
        for (int i = 0; i < 4096; i++) dot += x[i] * y[i];
    }
    /* Horner: evaluate a degree-12 polynomial at many points. */
    static const double c[13] = { 1, -0.5, 0.25, -0.125, 0.0625, 3, -2, 1.5, 0.75, -0.375, 0.1875, 2.5, -1 };
    double acc = 0;
    for (int i = 0; i < 20000; i++) {
        double t = (i - 10000) / 8192.0, p = c[0];
        for (int k = 1; k < 13; k++) p = p * t + c[k];
        acc += p;
    }
    return mix64(dbits(dot), dbits(acc));
}

static double spec_a(int i, int j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }

static uint64_t spectral(int n)
{
    double u[256], v[256], t[256];
    for (int i = 0; i < n; i++) u[i] = 1;
    for (int it = 0; it < 10; it++) {
        for (int pass = 0; pass < 2; pass++) {
            double *in = pass ? v : u, *out = pass ? u : v;
            for (int i = 0; i < n; i++) { t[i] = 0; for (int j = 0; j < n; j++) t[i] += spec_a(i, j) * in[j]; }
            for (int i = 0; i < n; i++) { out[i] = 0; for (int j = 0; j < n; j++) out[i] += spec_a(j, i) * t[j]; }
        }
    }
    double vbv = 0, vv = 0;
    for (int i = 0; i < n; i++) { vbv += u[i] * v[i]; vv += v[i] * v[i]; }
    return dbits(sqrt(vbv / vv));
}

static uint64_t mandel(int size)
{
    uint64_t total = 0;
    for (int py = 0; py < size; py++)
        for (int px = 0; px < size; px++) {
            double cr = 2.0 * px / size - 1.5, ci = 2.0 * py / size - 1.0, zr = 0, zi = 0;
            int k = 0;
            while (k < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                k++;
            }
            total = total * 3 + (uint64_t)k;
        }
    return total;
}

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 44);
    rng_t r = { 2024 };
    uint64_t hm = 0, hj = 0, hb = 0, hs = 0, hd = 0;
    for (long i = 0; i < reps; i++) {
        hm = mix64(hm, matmul_lu(&r));
        hj = mix64(hj, jacobi(60));
        hb = mix64(hb, blas1(&r));
        hs = mix64(hs, spectral(200));
        hd = mix64(hd, mandel(160));
    }
    bench_result("fpkernels", "matmul_lu", hm);
    bench_result("fpkernels", "jacobi", hj);
    bench_result("fpkernels", "blas1_horner", hb);
    bench_result("fpkernels", "spectral_norm", hs);
    bench_result("fpkernels", "mandelbrot", hd);
    return 0;
}
