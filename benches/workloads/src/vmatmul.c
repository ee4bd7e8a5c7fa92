/* Integer dot products and small matrix multiplies (V 1.0): int32 dot
 * products of 4093-element vectors (vmacc.vv into a tail-undisturbed
 * accumulator, one vredsum per product) and 16x16 int32 matrix products
 * C = A * B, each row of C accumulated as vmacc.vx of A's element times a
 * row of B, k unrolled by 8. SIZE = repetitions.
 *
 * On riscv64 with V (this file) the kernels are RVV in inline assembly
 * (GCC 12 has neither RVV intrinsics nor auto-vectorization); each loop
 * body starts with its vsetvli, as strip-mined code does (the k steps of
 * the matrix product repeat the row's). Without V (the native build, and
 * vmatmul_scalar.c, the riscv64 scalar build of this same source) they
 * are the same loops in C. Wrapping 32-bit arithmetic: the results do not
 * depend on VLEN. */
#include "bench.h"

#define N 4093
#define M 16

static uint32_t xa[N], xb[N];
static uint32_t A[M * M], B[M * M], C[M * M];

#ifdef __riscv_vector
static uint32_t dot(const uint32_t *a, const uint32_t *b, long n)
{
    uint64_t s;
    __asm__ volatile("vsetvli t0, zero, e32, m4, ta, ma\n"
                     "vmv.v.i v8, 0\n"
                     "1:\n"
                     "vsetvli t0, %1, e32, m4, tu, ma\n"
                     "vle32.v v12, (%2)\n"
                     "vle32.v v16, (%3)\n"
                     "vmacc.vv v8, v12, v16\n"
                     "sub %1, %1, t0\n"
                     "slli t0, t0, 2\n"
                     "add %2, %2, t0\n"
                     "add %3, %3, t0\n"
                     "bnez %1, 1b\n"
                     "vsetvli t0, zero, e32, m4, ta, ma\n"
                     "vmv.s.x v20, zero\n"
                     "vredsum.vs v20, v8, v20\n"
                     "vmv.x.s %0, v20\n"
                     : "=r"(s), "+r"(n), "+r"(a), "+r"(b) : : "t0", "memory");
    return (uint32_t)s;
}

/* C = A * B: row i of C in v8 (j strip-mined, one pass when VLEN >= 128
 * and M = 16 fits m4), k in steps of 8. */
static void matmul(uint32_t *c, const uint32_t *a, const uint32_t *b)
{
    for (long i = 0; i < M; i++) {
        for (long j = 0; j < M;) {
            long n = M - j, vl;
            const uint32_t *arow = a + i * M, *bp = b + j;
            __asm__ volatile("vsetvli %0, %1, e32, m4, ta, ma\n"
                             "vmv.v.i v8, 0\n"
                             : "=r"(vl) : "r"(n) : "memory");
            for (long k = 0; k < M; k += 8) {
                __asm__ volatile("vsetvli zero, %0, e32, m4, tu, ma\n"
                                 ".irp o, 0, 4, 8, 12, 16, 20, 24, 28\n"
                                 "lw t1, \\o(%1)\n"
                                 "vle32.v v16, (%2)\n"
                                 "vmacc.vx v8, t1, v16\n"
                                 "addi %2, %2, 64\n"
                                 ".endr\n"
                                 : "+r"(n), "+r"(arow), "+r"(bp) : : "t1", "memory");
                arow += 8;
            }
            __asm__ volatile("vsetvli zero, %0, e32, m4, ta, ma\n"
                             "vse32.v v8, (%1)\n"
                             : : "r"(vl), "r"(c + i * M + j) : "memory");
            j += vl;
        }
    }
}
#else
static uint32_t dot(const uint32_t *a, const uint32_t *b, long n)
{
    uint32_t s = 0;
    for (long i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void matmul(uint32_t *c, const uint32_t *a, const uint32_t *b)
{
    for (long i = 0; i < M; i++) {
        uint32_t row[M] = { 0 };
        for (long k = 0; k < M; k++)
            for (long j = 0; j < M; j++) row[j] += a[i * M + k] * b[k * M + j];
        memcpy(c + i * M, row, sizeof row);
    }
}
#endif

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 12000);
    rng_t r = { 0xd07d07 };
    for (long i = 0; i < N; i++) {
        xa[i] = (uint32_t)rng_next(&r);
        xb[i] = (uint32_t)rng_next(&r);
    }
    for (long i = 0; i < M * M; i++) {
        A[i] = (uint32_t)rng_next(&r);
        B[i] = (uint32_t)rng_next(&r);
    }
    uint64_t hd = 0, hm = 0;
    for (long k = 0; k < reps; k++) {
        long o = k % 8;
        uint32_t d = dot(xa + o, xb, N - o);
        hd = mix64(hd, d);
        xa[k % N] ^= d;
        for (int t = 0; t < 16; t++) {
            matmul(C, A, B);
            A[(k * 16 + t) % (M * M)] ^= C[(k * 7 + t) % (M * M)];
        }
        hm = mix64(hm, C[k % (M * M)]);
    }
    bench_result("vmatmul", "dot", hd);
    bench_result("vmatmul", "matmul", mix_bytes(hm, (const unsigned char *)C, sizeof C));
    return 0;
}
