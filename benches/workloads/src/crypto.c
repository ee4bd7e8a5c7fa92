/* SHA-256 (FIPS 180-4) over a buffer, and AES-128 (FIPS 197) in CTR mode
 * with the classic 32-bit T-table implementation: four 1 KiB tables
 * indexed by data bytes, the memory access pattern of table-driven
 * ciphers. Both are checked against the standards' test vectors first.
 * SIZE = MiB processed by each. */
#include "bench.h"

/* ---- SHA-256 ---- */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t s[8], const unsigned char *p)
{
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
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

static void sha256(const unsigned char *msg, size_t n, unsigned char out[32])
{
    uint32_t s[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    size_t i = 0;
    for (; i + 64 <= n; i += 64) sha256_block(s, msg + i);
    unsigned char tail[128] = { 0 };
    size_t rest = n - i;
    memcpy(tail, msg + i, rest);
    tail[rest] = 0x80;
    size_t blocks = rest + 9 <= 64 ? 1 : 2;
    uint64_t bitlen = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++) tail[blocks * 64 - 1 - k] = (unsigned char)(bitlen >> (8 * k));
    for (size_t b = 0; b < blocks; b++) sha256_block(s, tail + 64 * b);
    for (int k = 0; k < 8; k++) {
        out[4 * k] = (unsigned char)(s[k] >> 24); out[4 * k + 1] = (unsigned char)(s[k] >> 16);
        out[4 * k + 2] = (unsigned char)(s[k] >> 8); out[4 * k + 3] = (unsigned char)s[k];
    }
}

/* ---- AES-128 with T-tables ---- */
static uint8_t sbox[256];
static uint32_t T0[256], T1[256], T2[256], T3[256];

static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

static void aes_tables(void)
{
    /* S-box from the multiplicative inverse in GF(2^8) and the affine map
     * (FIPS 197 section 5.1.1), walking generator 3 and its inverse. */
    uint8_t p = 1, q = 1;
    do {
        p = (uint8_t)(p ^ xtime(p));            /* p *= 3 */
        q ^= (uint8_t)(q << 1); q ^= (uint8_t)(q << 2); q ^= (uint8_t)(q << 4);
        if (q & 0x80) q ^= 0x09;                /* q /= 3 */
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

static void aes_key(const uint8_t key[16], uint32_t rk[44])
{
    for (int i = 0; i < 4; i++) rk[i] = (uint32_t)key[4 * i] << 24 | (uint32_t)key[4 * i + 1] << 16 | (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3];
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

static void aes_encrypt(const uint32_t rk[44], const uint8_t in[16], uint8_t out[16])
{
    uint32_t s0, s1, s2, s3, t0, t1, t2, t3;
#define LOAD(i) ((uint32_t)in[4 * i] << 24 | (uint32_t)in[4 * i + 1] << 16 | (uint32_t)in[4 * i + 2] << 8 | in[4 * i + 3])
    s0 = LOAD(0) ^ rk[0]; s1 = LOAD(1) ^ rk[1]; s2 = LOAD(2) ^ rk[2]; s3 = LOAD(3) ^ rk[3];
    for (int r = 1; r < 10; r++) {
        t0 = T0[s0 >> 24] ^ T1[(s1 >> 16) & 0xff] ^ T2[(s2 >> 8) & 0xff] ^ T3[s3 & 0xff] ^ rk[4 * r];
        t1 = T0[s1 >> 24] ^ T1[(s2 >> 16) & 0xff] ^ T2[(s3 >> 8) & 0xff] ^ T3[s0 & 0xff] ^ rk[4 * r + 1];
        t2 = T0[s2 >> 24] ^ T1[(s3 >> 16) & 0xff] ^ T2[(s0 >> 8) & 0xff] ^ T3[s1 & 0xff] ^ rk[4 * r + 2];
        t3 = T0[s3 >> 24] ^ T1[(s0 >> 16) & 0xff] ^ T2[(s1 >> 8) & 0xff] ^ T3[s2 & 0xff] ^ rk[4 * r + 3];
        s0 = t0; s1 = t1; s2 = t2; s3 = t3;
    }
#define LAST(a, b, c, d, k) ((uint32_t)sbox[a >> 24] << 24 | (uint32_t)sbox[(b >> 16) & 0xff] << 16 | (uint32_t)sbox[(c >> 8) & 0xff] << 8 | sbox[d & 0xff]) ^ rk[k]
    t0 = LAST(s0, s1, s2, s3, 40); t1 = LAST(s1, s2, s3, s0, 41);
    t2 = LAST(s2, s3, s0, s1, 42); t3 = LAST(s3, s0, s1, s2, 43);
    uint32_t t[4] = { t0, t1, t2, t3 };
    for (int i = 0; i < 4; i++) {
        out[4 * i] = (uint8_t)(t[i] >> 24); out[4 * i + 1] = (uint8_t)(t[i] >> 16);
        out[4 * i + 2] = (uint8_t)(t[i] >> 8); out[4 * i + 3] = (uint8_t)t[i];
    }
}

static void hex(const uint8_t *p, int n, char *out)
{
    for (int i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

int main(int argc, char **argv)
{
    size_t n = (size_t)bench_size(argc, argv, 40) << 20;
    char text[65];
    uint8_t digest[32];
    sha256((const unsigned char *)"abc", 3, digest);
    hex(digest, 32, text);
    printf("sha256(abc) %s\n", text);
    aes_tables();
    uint8_t key[16], block[16], ct[16];
    for (int i = 0; i < 16; i++) { key[i] = (uint8_t)i; block[i] = (uint8_t)(i * 0x11); }
    uint32_t rk[44];
    aes_key(key, rk);
    aes_encrypt(rk, block, ct);
    hex(ct, 16, text);
    printf("aes128(fips197 C.1) %s\n", text);

    unsigned char *buf = malloc(n);
    if (!buf) { perror("malloc"); return 1; }
    rng_t r = { 11 };
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(rng_next(&r) >> 32);
    sha256(buf, n, digest);
    hex(digest, 32, text);
    printf("crypto sha256 %s\n", text);
    /* AES-CTR over the same buffer, in place. */
    uint8_t ctr[16] = { 0 }, ks[16];
    for (size_t i = 0; i < n; i += 16) {
        uint64_t c = i / 16;
        for (int k = 0; k < 8; k++) ctr[15 - k] = (uint8_t)(c >> (8 * k));
        aes_encrypt(rk, ctr, ks);
        for (int k = 0; k < 16 && i + k < n; k++) buf[i + k] ^= ks[k];
    }
    bench_result("crypto", "aes_ctr", mix_bytes(0, buf, n));
    free(buf);
    return 0;
}
