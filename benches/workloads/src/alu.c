/* Integer ALU loops: add/sub/xor/shift/rotate chains, 64x64->128 multiply,
 * division and remainder, bit counting. SIZE = millions of iterations. */
#include "bench.h"

static inline uint64_t rotl(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

__attribute__((noinline)) static uint64_t chain(uint64_t n, uint64_t seed)
{
    uint64_t a = seed, b = seed ^ 0x5555, c = 12345, d = 0;
    for (uint64_t i = 0; i < n; i++) {
        a += b ^ i;
        b = rotl(b, 13) - a;
        c ^= (a << 7) | (b >> 3);
        d += (c & 0xffff) * 3 + (a >> 60);
        a ^= d >> 11;
    }
    return a ^ b ^ c ^ d;
}

__attribute__((noinline)) static uint64_t muldiv(uint64_t n, uint64_t seed)
{
    uint64_t x = seed | 1, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        unsigned __int128 p = (unsigned __int128)x * 0x9E3779B97F4A7C15ULL;
        x = (uint64_t)p ^ (uint64_t)(p >> 64);
        uint64_t d = (x >> 40) | 1;
        acc += x / d + x % (d + 7);
        int32_t s = (int32_t)x;
        acc ^= (uint64_t)(int64_t)(s / 37) + (uint64_t)(uint32_t)((uint32_t)x % 1000u);
    }
    return acc ^ x;
}

__attribute__((noinline)) static uint64_t bits(uint64_t n, uint64_t seed)
{
    rng_t r = { seed };
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = rng_next(&r);
        acc += (uint64_t)__builtin_popcountll(v);
        acc += (uint64_t)__builtin_clzll(v | 1) * 3;
        acc += (uint64_t)__builtin_ctzll(v | (1ULL << 63)) * 5;
        acc ^= (v >> (acc & 31)) & 0xff;
    }
    return acc;
}

int main(int argc, char **argv)
{
    long m = bench_size(argc, argv, 100);
    uint64_t n = (uint64_t)m * 1000000ULL;
    bench_result("alu", "chain", chain(n, 1));
    bench_result("alu", "muldiv", muldiv(n / 4, 7));
    bench_result("alu", "bits", bits(n / 4, 99));
    return 0;
}
