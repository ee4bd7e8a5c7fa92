/* Self-modifying code: a small expression JIT. Each generation picks a
 * random straight-line program over one 64-bit accumulator (add, xor and
 * multiply by immediates, x ^= x >> s, x += x << s), writes it as machine
 * code for the machine it runs on (RISC-V or x86-64) into one RWX buffer,
 * makes it visible to instruction fetch (__builtin___clear_cache: fence.i /
 * riscv_flush_icache on RISC-V) and calls it a few thousand times through a
 * function pointer. Every generation rewrites the same bytes, so a
 * translator must notice the write, drop its translation and translate
 * again. The checksum is the same on both machines (the C reference
 * interpreter checks every generation's first result).
 * SIZE = generations (each: CALLS calls). */
#include <sys/mman.h>
#include "bench.h"

#define MAX_OPS 24
#define CALLS 2000
#define BUF_BYTES 4096

enum { ADD, XOR, MUL, SHR_XOR, SHL_ADD, KINDS };
typedef struct { int kind; int64_t imm; } op_t;

static uint64_t reference(const op_t *p, int n, uint64_t x)
{
    for (int i = 0; i < n; i++) {
        switch (p[i].kind) {
        case ADD: x += (uint64_t)p[i].imm; break;
        case XOR: x ^= (uint64_t)p[i].imm; break;
        case MUL: x *= (uint64_t)p[i].imm; break;
        case SHR_XOR: x ^= x >> p[i].imm; break;
        default: x += x << p[i].imm; break;
        }
    }
    return x;
}

#if defined(__riscv)
/* RV64 encodings; the accumulator is a0 (x10), scratch t0 (x5). */
static uint32_t itype(int64_t imm, int rs1, int f3, int rd, int opc)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (uint32_t)rs1 << 15 | (uint32_t)f3 << 12 | (uint32_t)rd << 7 | (uint32_t)opc;
}
static uint32_t rtype(int f7, int rs2, int rs1, int f3, int rd, int opc)
{
    return (uint32_t)f7 << 25 | (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | (uint32_t)f3 << 12 | (uint32_t)rd << 7 | (uint32_t)opc;
}
static size_t emit(unsigned char *buf, const op_t *p, int n)
{
    uint32_t *w = (uint32_t *)buf;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        int64_t imm = p[i].imm;
        switch (p[i].kind) {
        case ADD: w[k++] = itype(imm, 10, 0, 10, 0x13); break;              /* addi a0,a0,imm */
        case XOR: w[k++] = itype(imm, 10, 4, 10, 0x13); break;              /* xori a0,a0,imm */
        case MUL:
            w[k++] = itype(imm, 0, 0, 5, 0x13);                             /* addi t0,zero,imm */
            w[k++] = rtype(1, 5, 10, 0, 10, 0x33);                          /* mul a0,a0,t0 */
            break;
        case SHR_XOR:
            w[k++] = itype(imm, 10, 5, 5, 0x13);                            /* srli t0,a0,imm */
            w[k++] = rtype(0, 5, 10, 4, 10, 0x33);                          /* xor a0,a0,t0 */
            break;
        default:
            w[k++] = itype(imm, 10, 1, 5, 0x13);                            /* slli t0,a0,imm */
            w[k++] = rtype(0, 5, 10, 0, 10, 0x33);                          /* add a0,a0,t0 */
            break;
        }
    }
    w[k++] = 0x00008067;                                                    /* ret */
    return k * 4;
}
#elif defined(__x86_64__)
/* x86-64 encodings; the argument is in rdi, the accumulator rax. */
static size_t put(unsigned char *b, size_t k, const unsigned char *s, size_t n)
{
    memcpy(b + k, s, n);
    return k + n;
}
static size_t imm32(unsigned char *b, size_t k, int64_t v)
{
    int32_t i = (int32_t)v;
    memcpy(b + k, &i, 4);
    return k + 4;
}
static size_t emit(unsigned char *b, const op_t *p, int n)
{
    size_t k = put(b, 0, (const unsigned char *)"\x48\x89\xf8", 3);          /* mov rax,rdi */
    for (int i = 0; i < n; i++) {
        int64_t imm = p[i].imm;
        switch (p[i].kind) {
        case ADD: k = imm32(b, put(b, k, (const unsigned char *)"\x48\x05", 2), imm); break;          /* add rax,imm32 */
        case XOR: k = imm32(b, put(b, k, (const unsigned char *)"\x48\x35", 2), imm); break;          /* xor rax,imm32 */
        case MUL: k = imm32(b, put(b, k, (const unsigned char *)"\x48\x69\xc0", 3), imm); break;      /* imul rax,rax,imm32 */
        case SHR_XOR:
            k = put(b, k, (const unsigned char *)"\x48\x89\xc2\x48\xc1\xea", 6);                      /* mov rdx,rax; shr rdx,imm8 */
            b[k++] = (unsigned char)imm;
            k = put(b, k, (const unsigned char *)"\x48\x31\xd0", 3);                                  /* xor rax,rdx */
            break;
        default:
            k = put(b, k, (const unsigned char *)"\x48\x89\xc2\x48\xc1\xe2", 6);                      /* mov rdx,rax; shl rdx,imm8 */
            b[k++] = (unsigned char)imm;
            k = put(b, k, (const unsigned char *)"\x48\x01\xd0", 3);                                  /* add rax,rdx */
            break;
        }
    }
    b[k++] = 0xc3;                                                                                    /* ret */
    return k;
}
#else
#error "smc.c generates code for riscv64 and x86-64 only"
#endif

int main(int argc, char **argv)
{
    long gens = bench_size(argc, argv, 40000);
    unsigned char *buf = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    rng_t r = { 0x5eed5eed5eedULL };
    uint64_t h = 0, ops = 0;
    op_t prog[MAX_OPS];
    for (long g = 0; g < gens; g++) {
        int n = 8 + (int)rng_below(&r, MAX_OPS - 8 + 1);
        for (int i = 0; i < n; i++) {
            int kind = (int)rng_below(&r, KINDS);
            int64_t imm;
            switch (kind) {
            case ADD: case XOR: imm = (int64_t)rng_below(&r, 4096) - 2048; break;
            case MUL: imm = 1 + (int64_t)rng_below(&r, 2047); break;
            default: imm = 1 + (int64_t)rng_below(&r, 63); break;
            }
            prog[i] = (op_t){ kind, imm };
        }
        size_t len = emit(buf, prog, n);
        __builtin___clear_cache((char *)buf, (char *)buf + len);
        ops += (uint64_t)n;
        uint64_t (*f)(uint64_t) = (uint64_t (*)(uint64_t))(void *)buf;
        uint64_t x = rng_next(&r);
        if (f(x) != reference(prog, n, x)) {
            fprintf(stderr, "generation %ld: generated code disagrees with the reference\n", g);
            return 1;
        }
        uint64_t acc = 0;
        for (int c = 0; c < CALLS; c++)
            acc += f(x + (uint64_t)c * 0x9E3779B97F4A7C15ULL);
        h = mix64(h, acc);
    }
    bench_result("smc", "generations", (uint64_t)gens);
    bench_result("smc", "ops", ops);
    bench_result("smc", "calls", h);
    return 0;
}
