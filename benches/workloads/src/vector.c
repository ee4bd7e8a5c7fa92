/* Integer vector loops (V 1.0): a byte copy (memcpy), an int32 saxpy
 * (y = a*x + y), a byte-wise transform, an int16 clamp (min/max) and an
 * int64 sum, each over buffers whose lengths leave a tail. SIZE =
 * repetitions.
 *
 * On riscv64 the loops are strip-mined RVV in inline assembly (GCC 12 has
 * neither RVV intrinsics nor RVV auto-vectorization): vsetvli at the loop
 * head, unit-stride loads and stores, .vv/.vx/.vi arithmetic. Built with
 * -march=rv64gcv, so it needs V: the harness runs it (tag [vector]) with
 * QEMU_CPU=rv64,v=true,vlen=128,vext_spec=v1.0, which both qemu-riscv64
 * and ferrovm read. The native build runs the same loops in C; the results
 * do not depend on VLEN. */
#include "bench.h"

#define NB 65531 /* bytes: 4095 full 16-byte vectors and a tail of 11 */
#define NW 16381 /* int32/int16/int64 elements */

static uint8_t src8[NB], dst8[NB];
static uint32_t x32[NW], y32[NW];
static uint16_t s16[NW], d16[NW];
static uint64_t a64[NW];

#ifdef __riscv_vector
static void copy(uint8_t *d, const uint8_t *s, long n)
{
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e8, m8, ta, ma\n"
                     "vle8.v v8, (%1)\n"
                     "vse8.v v8, (%2)\n"
                     "sub %0, %0, t0\n"
                     "add %1, %1, t0\n"
                     "add %2, %2, t0\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(s), "+r"(d) : : "t0", "memory");
}

static void saxpy(uint32_t *y, const uint32_t *x, uint32_t a, long n)
{
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e32, m4, ta, ma\n"
                     "vle32.v v8, (%1)\n"
                     "vle32.v v12, (%2)\n"
                     "vmacc.vx v12, %3, v8\n"
                     "vse32.v v12, (%2)\n"
                     "sub %0, %0, t0\n"
                     "slli t1, t0, 2\n"
                     "add %1, %1, t1\n"
                     "add %2, %2, t1\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(x), "+r"(y) : "r"(a) : "t0", "t1", "memory");
}

/* d = ((s ^ k) + 7) & 0x7f, then d = d | (s >> 7)... in bytes. */
static void transform(uint8_t *d, const uint8_t *s, uint8_t k, long n)
{
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e8, m4, ta, ma\n"
                     "vle8.v v8, (%1)\n"
                     "vxor.vx v12, v8, %3\n"
                     "vadd.vi v12, v12, 7\n"
                     "vand.vx v12, v12, %4\n"
                     "vsrl.vi v16, v8, 7\n"
                     "vor.vv v12, v12, v16\n"
                     "vse8.v v12, (%2)\n"
                     "sub %0, %0, t0\n"
                     "add %1, %1, t0\n"
                     "add %2, %2, t0\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(s), "+r"(d) : "r"(k), "r"(0x7f) : "t0", "memory");
}

static void clamp(uint16_t *d, const uint16_t *s, uint16_t lo, uint16_t hi, long n)
{
    __asm__ volatile("1:\n"
                     "vsetvli t0, %0, e16, m2, ta, ma\n"
                     "vle16.v v8, (%1)\n"
                     "vmaxu.vx v8, v8, %3\n"
                     "vminu.vx v8, v8, %4\n"
                     "vsub.vx v8, v8, %3\n"
                     "vse16.v v8, (%2)\n"
                     "sub %0, %0, t0\n"
                     "slli t1, t0, 1\n"
                     "add %1, %1, t1\n"
                     "add %2, %2, t1\n"
                     "bnez %0, 1b\n"
                     : "+r"(n), "+r"(s), "+r"(d) : "r"(lo), "r"(hi) : "t0", "t1", "memory");
}

static uint64_t sum(const uint64_t *a, long n)
{
    uint64_t s;
    __asm__ volatile("vsetvli t0, zero, e64, m2, ta, ma\n"
                     "vmv.v.i v8, 0\n"
                     "1:\n"
                     "vsetvli t0, %1, e64, m2, tu, ma\n"
                     "vle64.v v12, (%2)\n"
                     "vadd.vv v8, v8, v12\n"
                     "sub %1, %1, t0\n"
                     "slli t1, t0, 3\n"
                     "add %2, %2, t1\n"
                     "bnez %1, 1b\n"
                     "vsetvli t0, zero, e64, m2, ta, ma\n"
                     "vmv.s.x v16, zero\n"
                     "vredsum.vs v16, v8, v16\n"
                     "vmv.x.s %0, v16\n"
                     : "=r"(s), "+r"(n), "+r"(a) : : "t0", "t1", "memory");
    return s;
}
#else
static void copy(uint8_t *d, const uint8_t *s, long n)
{
    for (long i = 0; i < n; i++) d[i] = s[i];
}

static void saxpy(uint32_t *y, const uint32_t *x, uint32_t a, long n)
{
    for (long i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

static void transform(uint8_t *d, const uint8_t *s, uint8_t k, long n)
{
    for (long i = 0; i < n; i++) d[i] = (uint8_t)((((s[i] ^ k) + 7) & 0x7f) | (s[i] >> 7));
}

static void clamp(uint16_t *d, const uint16_t *s, uint16_t lo, uint16_t hi, long n)
{
    for (long i = 0; i < n; i++) {
        uint16_t v = s[i] < lo ? lo : s[i];
        v = v > hi ? hi : v;
        d[i] = (uint16_t)(v - lo);
    }
}

static uint64_t sum(const uint64_t *a, long n)
{
    uint64_t s = 0;
    for (long i = 0; i < n; i++) s += a[i];
    return s;
}
#endif

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 4000);
    rng_t r = { 0x5eed0f0ec7035ULL };
    for (long i = 0; i < NB; i++) src8[i] = (uint8_t)rng_next(&r);
    for (long i = 0; i < NW; i++) {
        x32[i] = (uint32_t)rng_next(&r);
        y32[i] = (uint32_t)rng_next(&r);
        s16[i] = (uint16_t)rng_next(&r);
        a64[i] = rng_next(&r);
    }
    uint64_t hb = 0, hw = 0, hh = 0, total = 0;
    for (long k = 0; k < reps; k++) {
        /* Each pass starts at a different offset, so accesses cross
         * pages at every alignment. */
        long o = k % 16;
        copy(dst8 + o, src8, NB - 16);
        src8[k % NB] ^= dst8[(k * 7) % NB];
        saxpy(y32, x32, (uint32_t)k * 2654435761u + 1, NW - o);
        transform(dst8, src8 + o, (uint8_t)k, NB - o);
        clamp(d16, s16 + o, (uint16_t)(k * 97), (uint16_t)(k * 97 + 30000), NW - o);
        a64[k % NW] += y32[(k * 13) % NW] + d16[(k * 5) % NW];
        total = mix64(total, sum(a64 + o, NW - o));
        if (k % 64 == 63) {
            hb = mix_bytes(hb, dst8, NB);
            hw = mix_bytes(hw, (const unsigned char *)y32, sizeof y32);
            hh = mix_bytes(hh, (const unsigned char *)d16, sizeof d16);
        }
    }
    bench_result("vector", "bytes", mix_bytes(hb, dst8, NB));
    bench_result("vector", "saxpy", mix_bytes(hw, (const unsigned char *)y32, sizeof y32));
    bench_result("vector", "clamp", mix_bytes(hh, (const unsigned char *)d16, sizeof d16));
    bench_result("vector", "sum", total);
    return 0;
}
