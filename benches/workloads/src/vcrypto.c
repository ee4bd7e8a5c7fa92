/* Vector crypto: SHA-256 over a 64 KiB buffer with Zvknha (vsha2ms,
 * vsha2cl, vsha2ch; the message words byte-swapped with Zvkb's vrev8.v)
 * and AES-128 ECB encryption of the same buffer, in place, with Zvkned
 * (vaesz.vs, vaesem.vs, vaesef.vs over 4 blocks at a time, the round keys
 * from vaeskf1.vi). Both are checked against FIPS 180-4's "abc" and
 * FIPS-197 C.1 first. SIZE = passes over the buffer.
 *
 * On riscv64 with V (this file, tag [vector-crypto]: the guest engines run
 * it with Zvkned/Zvknha, which qemu-riscv64 7.2 lacks) the kernels are
 * hand-written assembly, the crypto instructions emitted as words (GCC 12
 * and binutils 2.40 know none of them). Without V (the native build, and
 * vcrypto_scalar.c, the riscv64 scalar build of this same source) they are
 * the same algorithms in C: SHA-256 as FIPS 180-4 writes it, AES with the
 * classic 32-bit T-tables. Results do not depend on VLEN (>= 128). */
#include "bench.h"

#define BUF (64 * 1024)
static uint8_t buf[BUF];

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#ifdef __riscv_vector
__asm__(
    /* opp f6, vs2, vs1, vd: an OP-P (1110111) OPMVV word with vm = 1. */
    ".macro opp f6, vs2, vs1, vd\n"
    "  .4byte ((\\f6) << 26) | (1 << 25) | ((\\vs2) << 20) | ((\\vs1) << 15) | (2 << 12) | ((\\vd) << 7) | 0x77\n"
    ".endm\n"
    /* vrev8.v vd, vs2 (Zvkb). */
    ".macro vrev8 vd, vs2\n"
    "  .4byte (0x12 << 26) | (1 << 25) | ((\\vs2) << 20) | (9 << 15) | (2 << 12) | ((\\vd) << 7) | 0x57\n"
    ".endm\n"
    /* Four rounds with the constants in v\k: vsha2cl/vsha2ch on {a,b,e,f}
     * = v1, {c,d,g,h} = v2; with `sched`, the next four message words
     * over w0 (vsha2ms w0, {w2[3..1], w1[0]}, w3). */
    ".macro rounds4 k, w0, w1, w2, w3, sched\n"
    "  vadd.vv v8, v\\k, v\\w0\n"
    "  opp 0x2f, 1, 8, 2\n"
    "  opp 0x2e, 2, 8, 1\n"
    "  .if \\sched\n"
    "  vmerge.vvm v9, v\\w2, v\\w1, v0\n"
    "  opp 0x2d, 9, \\w3, \\w0\n"
    "  .endif\n"
    ".endm\n"
    /* vsha256_blocks(abef, cdgh, data, nblocks, k): the constants live in
     * v16..v31 for the whole call. */
    ".text\n.p2align 2\nvsha256_blocks:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  .irp r, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31\n"
    "  vle32.v v\\r, (a4)\n"
    "  addi a4, a4, 16\n"
    "  .endr\n"
    "  vle32.v v1, (a0)\n"
    "  vle32.v v2, (a1)\n"
    "  li t0, 1\n"
    "  vmv.s.x v0, t0\n"
    "1:\n"
    "  vmv.v.v v6, v1\n"
    "  vmv.v.v v7, v2\n"
    "  .irp r, 10, 11, 12, 13\n"
    "  vle32.v v\\r, (a2)\n"
    "  addi a2, a2, 16\n"
    "  vrev8 \\r, \\r\n"
    "  .endr\n"
    "  rounds4 16, 10, 11, 12, 13, 1\n"
    "  rounds4 17, 11, 12, 13, 10, 1\n"
    "  rounds4 18, 12, 13, 10, 11, 1\n"
    "  rounds4 19, 13, 10, 11, 12, 1\n"
    "  rounds4 20, 10, 11, 12, 13, 1\n"
    "  rounds4 21, 11, 12, 13, 10, 1\n"
    "  rounds4 22, 12, 13, 10, 11, 1\n"
    "  rounds4 23, 13, 10, 11, 12, 1\n"
    "  rounds4 24, 10, 11, 12, 13, 1\n"
    "  rounds4 25, 11, 12, 13, 10, 1\n"
    "  rounds4 26, 12, 13, 10, 11, 1\n"
    "  rounds4 27, 13, 10, 11, 12, 1\n"
    "  rounds4 28, 10, 11, 12, 13, 0\n"
    "  rounds4 29, 11, 12, 13, 10, 0\n"
    "  rounds4 30, 12, 13, 10, 11, 0\n"
    "  rounds4 31, 13, 10, 11, 12, 0\n"
    "  vadd.vv v1, v1, v6\n"
    "  vadd.vv v2, v2, v7\n"
    "  addi a3, a3, -1\n"
    "  bnez a3, 1b\n"
    "  vse32.v v1, (a0)\n"
    "  vse32.v v2, (a1)\n"
    "  ret\n"
    /* vaes128_expand(rk): rk[1..10] from rk[0] with vaeskf1.vi. */
    ".p2align 2\nvaes128_expand:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v1, (a0)\n"
    "  .irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10\n"
    "  opp 0x22, 1, \\r, 2\n"
    "  addi a0, a0, 16\n"
    "  vse32.v v2, (a0)\n"
    "  vmv.v.v v1, v2\n"
    "  .endr\n"
    "  ret\n"
    /* vaes128_ecb(rk, data, nblocks): the round keys in v16..v26, 4 blocks
     * (LMUL 4, vl 16) per step, any tail with a shorter vl. */
    ".p2align 2\nvaes128_ecb:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  .irp r, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26\n"
    "  vle32.v v\\r, (a0)\n"
    "  addi a0, a0, 16\n"
    "  .endr\n"
    "  slli a2, a2, 2\n"
    "1:\n"
    "  vsetvli t0, a2, e32, m4, ta, ma\n"
    "  vle32.v v4, (a1)\n"
    "  opp 0x29, 16, 7, 4\n"
    "  .irp r, 17, 18, 19, 20, 21, 22, 23, 24, 25\n"
    "  opp 0x29, \\r, 2, 4\n"
    "  .endr\n"
    "  opp 0x29, 26, 3, 4\n"
    "  vse32.v v4, (a1)\n"
    "  sub a2, a2, t0\n"
    "  slli t0, t0, 2\n"
    "  add a1, a1, t0\n"
    "  bnez a2, 1b\n"
    "  ret\n");

void vsha256_blocks(uint32_t abef[4], uint32_t cdgh[4], const uint8_t *p, long nblocks, const uint32_t *k);
void vaes128_expand(void *rk);
void vaes128_ecb(const void *rk, uint8_t *p, long nblocks);

typedef struct { uint32_t abef[4], cdgh[4]; } sha_state;

static void sha_init(sha_state *s)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    uint32_t abef[4] = { iv[5], iv[4], iv[1], iv[0] }, cdgh[4] = { iv[7], iv[6], iv[3], iv[2] };
    memcpy(s->abef, abef, sizeof abef);
    memcpy(s->cdgh, cdgh, sizeof cdgh);
}

static void sha_blocks(sha_state *s, const uint8_t *p, long n) { vsha256_blocks(s->abef, s->cdgh, p, n, K256); }

static void sha_words(const sha_state *s, uint32_t h[8])
{
    uint32_t w[8] = { s->abef[3], s->abef[2], s->cdgh[3], s->cdgh[2], s->abef[1], s->abef[0], s->cdgh[1], s->cdgh[0] };
    memcpy(h, w, sizeof w);
}

typedef struct { uint8_t rk[11][16]; } aes_key_t;

static void aes_setup(aes_key_t *k, const uint8_t key[16])
{
    memcpy(k->rk[0], key, 16);
    vaes128_expand(k->rk);
}

static void aes_ecb(const aes_key_t *k, uint8_t *p, long nblocks) { vaes128_ecb(k->rk, p, nblocks); }
#else
static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

typedef struct { uint32_t h[8]; } sha_state;

static void sha_init(sha_state *s)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, iv, sizeof iv);
}

static void sha_blocks(sha_state *st, const uint8_t *p, long n)
{
    uint32_t *s = st->h;
    for (; n > 0; n--, p += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
            uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
    }
}

static void sha_words(const sha_state *s, uint32_t h[8]) { memcpy(h, s->h, 32); }

static uint8_t sbox[256];
static uint32_t T0[256], T1[256], T2[256], T3[256];

static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

static void aes_tables(void)
{
    /* FIPS 197 section 5.1.1: the inverse in GF(2^8), then the affine map. */
    uint8_t p = 1, q = 1;
    do {
        p = (uint8_t)(p ^ xtime(p));
        q ^= (uint8_t)(q << 1); q ^= (uint8_t)(q << 2); q ^= (uint8_t)(q << 4);
        if (q & 0x80) q ^= 0x09;
        uint8_t x = (uint8_t)(q ^ (q << 1 | q >> 7) ^ (q << 2 | q >> 6) ^ (q << 3 | q >> 5) ^ (q << 4 | q >> 4));
        sbox[p] = x ^ 0x63;
    } while (p != 1);
    sbox[0] = 0x63;
    for (int i = 0; i < 256; i++) {
        uint8_t s = sbox[i], s2 = xtime(s), s3 = s2 ^ s;
        T0[i] = (uint32_t)s2 << 24 | (uint32_t)s << 16 | (uint32_t)s << 8 | s3;
        T1[i] = ror(T0[i], 8); T2[i] = ror(T0[i], 16); T3[i] = ror(T0[i], 24);
    }
}

typedef struct { uint32_t rk[44]; } aes_key_t;

static void aes_setup(aes_key_t *k, const uint8_t key[16])
{
    aes_tables();
    uint32_t *rk = k->rk;
    for (int i = 0; i < 4; i++)
        rk[i] = (uint32_t)key[4 * i] << 24 | (uint32_t)key[4 * i + 1] << 16 | (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3];
    uint8_t rcon = 1;
    for (int i = 4; i < 44; i++) {
        uint32_t t = rk[i - 1];
        if (i % 4 == 0) {
            t = (uint32_t)sbox[(t >> 16) & 0xff] << 24 | (uint32_t)sbox[(t >> 8) & 0xff] << 16 | (uint32_t)sbox[t & 0xff] << 8 | sbox[t >> 24];
            t ^= (uint32_t)rcon << 24;
            rcon = xtime(rcon);
        }
        rk[i] = rk[i - 4] ^ t;
    }
}

static void aes_ecb(const aes_key_t *k, uint8_t *p, long nblocks)
{
    const uint32_t *rk = k->rk;
    for (; nblocks > 0; nblocks--, p += 16) {
        uint32_t s0, s1, s2, s3, t0, t1, t2, t3;
#define LOAD(i) ((uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3])
        s0 = LOAD(0) ^ rk[0]; s1 = LOAD(1) ^ rk[1]; s2 = LOAD(2) ^ rk[2]; s3 = LOAD(3) ^ rk[3];
        for (int r = 1; r < 10; r++) {
            t0 = T0[s0 >> 24] ^ T1[(s1 >> 16) & 0xff] ^ T2[(s2 >> 8) & 0xff] ^ T3[s3 & 0xff] ^ rk[4 * r];
            t1 = T0[s1 >> 24] ^ T1[(s2 >> 16) & 0xff] ^ T2[(s3 >> 8) & 0xff] ^ T3[s0 & 0xff] ^ rk[4 * r + 1];
            t2 = T0[s2 >> 24] ^ T1[(s3 >> 16) & 0xff] ^ T2[(s0 >> 8) & 0xff] ^ T3[s1 & 0xff] ^ rk[4 * r + 2];
            t3 = T0[s3 >> 24] ^ T1[(s0 >> 16) & 0xff] ^ T2[(s1 >> 8) & 0xff] ^ T3[s2 & 0xff] ^ rk[4 * r + 3];
            s0 = t0; s1 = t1; s2 = t2; s3 = t3;
        }
#define LAST(a, b, c, d, k) ((uint32_t)sbox[a >> 24] << 24 | (uint32_t)sbox[(b >> 16) & 0xff] << 16 | (uint32_t)sbox[(c >> 8) & 0xff] << 8 | sbox[d & 0xff]) ^ rk[k]
        uint32_t t[4] = { LAST(s0, s1, s2, s3, 40), LAST(s1, s2, s3, s0, 41), LAST(s2, s3, s0, s1, 42), LAST(s3, s0, s1, s2, 43) };
        for (int i = 0; i < 4; i++) {
            p[4 * i] = (uint8_t)(t[i] >> 24); p[4 * i + 1] = (uint8_t)(t[i] >> 16);
            p[4 * i + 2] = (uint8_t)(t[i] >> 8); p[4 * i + 3] = (uint8_t)t[i];
        }
    }
}
#endif

static void hex(const uint8_t *p, int n, char *out)
{
    for (int i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

int main(int argc, char **argv)
{
    long reps = bench_size(argc, argv, 1000);
    char text[65];
    /* Known answers first: FIPS 180-4 "abc" (one padded block) and
     * FIPS-197 C.1 (four copies of the block, so the vector code's group
     * of 4 is whole). */
    static uint8_t block[64];
    memcpy(block, "abc", 3);
    block[3] = 0x80;
    block[63] = 24;
    sha_state s;
    sha_init(&s);
    sha_blocks(&s, block, 1);
    uint32_t h[8];
    sha_words(&s, h);
    uint8_t digest[32];
    for (int i = 0; i < 32; i++) digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
    hex(digest, 32, text);
    printf("sha256(abc) %s\n", text);
    uint8_t key[16];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    aes_key_t k;
    aes_setup(&k, key);
    for (int i = 0; i < 64; i++) block[i] = (uint8_t)((i % 16) * 0x11);
    aes_ecb(&k, block, 4);
    hex(block + 48, 16, text);
    printf("aes128(fips197 C.1) %s\n", text);

    rng_t r = { 0xc0ffee };
    for (long i = 0; i < BUF; i++) buf[i] = (uint8_t)(rng_next(&r) >> 32);
    sha_init(&s);
    for (long p = 0; p < reps; p++) {
        sha_blocks(&s, buf, BUF / 64);
        aes_ecb(&k, buf, BUF / 16);
        sha_words(&s, h);
        buf[(p * 4099) % BUF] ^= (uint8_t)h[p % 8];
    }
    sha_words(&s, h);
    for (int i = 0; i < 32; i++) digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
    hex(digest, 32, text);
    printf("vcrypto sha256 %s\n", text);
    bench_result("vcrypto", "aes_ecb", mix_bytes(0, buf, BUF));
    return 0;
}
