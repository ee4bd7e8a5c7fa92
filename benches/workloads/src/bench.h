/* Shared helpers for the ferrovm workload suite.
 *
 * Every workload takes an optional size argument (argv[1]) and prints a
 * checksum that must be identical on riscv64 and x86-64: only fixed-width
 * unsigned integer arithmetic for checksums, `unsigned char` for bytes
 * (plain `char` is unsigned on riscv64 and signed on x86-64), and FP values
 * folded in by their bit patterns. Built with -ffp-contract=off so neither
 * compiler fuses a*b+c into an FMA. */
#ifndef FERROVM_BENCH_H
#define FERROVM_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* argv[1] as a positive size, or `dflt` when absent. */
static long bench_size(int argc, char **argv, long dflt)
{
    if (argc < 2)
        return dflt;
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n <= 0) {
        fprintf(stderr, "usage: %s [SIZE > 0]\n", argv[0]);
        exit(2);
    }
    return n;
}

/* xorshift64*: a fast PRNG with the same sequence everywhere. */
typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, n) for small n (bias is irrelevant here). */
static inline uint64_t rng_below(rng_t *r, uint64_t n)
{
    return (rng_next(r) >> 11) % n;
}

/* Order-sensitive 64-bit mixing checksum. */
static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDULL;
    return h ^ (h >> 29);
}

static inline uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline uint64_t mix_bytes(uint64_t h, const unsigned char *p, size_t n)
{
    /* FNV-1a folded into the running checksum. */
    uint64_t f = 0xCBF29CE484222325ULL;
    for (size_t i = 0; i < n; i++) {
        f ^= p[i];
        f *= 0x100000001B3ULL;
    }
    return mix64(h, f);
}

static void bench_result(const char *name, const char *part, uint64_t sum)
{
    printf("%s %s %016llx\n", name, part, (unsigned long long)sum);
}

#endif
