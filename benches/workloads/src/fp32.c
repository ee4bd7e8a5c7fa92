/* Single-precision FP: float matrix multiply, a small 2-D particle
 * simulation with sqrtf, a 3x3 convolution and Mandelbrot in float.
 * SIZE = repetitions. */
#include <math.h>
#include "bench.h"

#define N 96
static float A[N][N], B[N][N], C[N][N];

static uint64_t matmul(rng_t *r)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (float)rng_below(r, 2001) / 1000.0f - 1.0f;
            B[i][j] = (float)rng_below(r, 2001) / 1000.0f - 1.0f;
            C[i][j] = 0;
        }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            float a = A[i][k];
            for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
        }
    uint64_t h = 0;
    for (int i = 0; i < N; i++) h = mix64(h, fbits(C[i][(i * 7) % N]));
    return h;
}

#define P 256
static uint64_t particles(int steps)
{
    float x[P], y[P], vx[P], vy[P];
    for (int i = 0; i < P; i++) {
        x[i] = (float)(i % 16) * 0.5f; y[i] = (float)(i / 16) * 0.5f;
        vx[i] = (float)((i * 37) % 11) * 0.01f - 0.05f; vy[i] = (float)((i * 53) % 13) * 0.01f - 0.06f;
    }
    const float dt = 0.01f;
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < P; i++) {
            /* Attraction to the centre, drag and a soft wall. */
            float dx = 4.0f - x[i], dy = 4.0f - y[i];
            float d = sqrtf(dx * dx + dy * dy) + 0.1f;
            vx[i] += dt * (dx / d - 0.1f * vx[i]);
            vy[i] += dt * (dy / d - 0.1f * vy[i]);
            x[i] += dt * vx[i];
            y[i] += dt * vy[i];
            if (x[i] < 0.0f) { x[i] = -x[i]; vx[i] = -vx[i]; }
            if (y[i] > 8.0f) { y[i] = 16.0f - y[i]; vy[i] = -vy[i]; }
        }
    }
    uint64_t h = 0;
    for (int i = 0; i < P; i++) h = mix64(h, ((uint64_t)fbits(x[i]) << 32) | fbits(vy[i]));
    return h;
}

#define W 160
static float img[W][W], out[W][W];

static uint64_t convolve(int passes)
{
    static const float k[3][3] = { { 0.0625f, 0.125f, 0.0625f }, { 0.125f, 0.25f, 0.125f }, { 0.0625f, 0.125f, 0.0625f } };
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++) img[i][j] = (float)((i * 31 + j * 17) % 256) / 255.0f;
    for (int p = 0; p < passes; p++) {
        for (int i = 1; i < W - 1; i++)
            for (int j = 1; j < W - 1; j++) {
                float s = 0;
                for (int a = -1; a <= 1; a++)
                    for (int b = -1; b <= 1; b++) s += k[a + 1][b + 1] * img[i + a][j + b];
                out[i][j] = s * 1.01f;
            }
        for (int i = 1; i < W - 1; i++)
            for (int j = 1; j < W - 1; j++) img[i][j] = out[i][j];
    }
    uint64_t h = 0;
    for (int i = 0; i < W; i += 5) h = mix64(h, fbits(img[i][W / 3]));
    return h;
}

static uint64_t mandelf(int size)
{
    uint64_t total = 0;
    for (int py = 0; py < size; py++)
        for (int px = 0; px < size; px++) {
            float cr = 2.0f * (float)px / (float)size - 1.5f, ci = 2.0f * (float)py / (float)size - 1.0f, zr = 0, zi = 0;
            int k = 0;
            while (k < 200 && zr * zr + zi * zi <= 4.0f) {
                float t = zr * zr - zi * zi + cr;
                zi = 2.0f * zr * zi + ci;
                zr = t;
                k++;
            }
            total = total * 3 + (uint64_t)k;
        }
    return total;
}

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 52);
    rng_t r = { 3 };
    uint64_t hm = 0, hp = 0, hc = 0, hd = 0;
    for (long i = 0; i < reps; i++) {
        hm = mix64(hm, matmul(&r));
        hp = mix64(hp, particles(400));
        hc = mix64(hc, convolve(20));
        hd = mix64(hd, mandelf(160));
    }
    bench_result("fp32", "matmul", hm);
    bench_result("fp32", "particles", hp);
    bench_result("fp32", "convolve", hc);
    bench_result("fp32", "mandelbrot", hd);
    return 0;
}
