/* A compressor: LZ77 with a hash-chain match finder (window 32 KiB,
 * matches 4..258 bytes) over generated text, an output format of literal
 * runs and (length, distance) pairs, then decompression and a byte-exact
 * check. SIZE = input KiB. */
#include "bench.h"

#define WINDOW 32768
#define MIN_MATCH 4
#define MAX_MATCH 258
#define HASH_BITS 15
#define MAX_CHAIN 48

static int32_t head[1 << HASH_BITS];
static int32_t prev_pos[WINDOW];

static inline uint32_t hash4(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void put_varint(unsigned char **o, uint32_t v)
{
    while (v >= 0x80) { *(*o)++ = (unsigned char)(v | 0x80); v >>= 7; }
    *(*o)++ = (unsigned char)v;
}

static uint32_t get_varint(const unsigned char **i)
{
    uint32_t v = 0;
    int shift = 0;
    for (;;) {
        unsigned char b = *(*i)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
        shift += 7;
    }
}

/* Tokens: varint(literal count) literals..., varint(match length - 3 or 0 at end), varint(distance). */
static size_t compress(const unsigned char *in, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < (1 << HASH_BITS); i++) head[i] = -1;
    unsigned char *o = out;
    size_t lit_start = 0, i = 0;
    while (i + MIN_MATCH <= n) {
        uint32_t h = hash4(in + i);
        int32_t cand = head[h];
        size_t best_len = 0, best_dist = 0;
        for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
            size_t dist = i - (size_t)cand;
            if (dist > WINDOW - 1) break;
            if (in[cand + (int32_t)best_len] == in[i + best_len]) {
                size_t len = 0, max = n - i < MAX_MATCH ? n - i : MAX_MATCH;
                while (len < max && in[(size_t)cand + len] == in[i + len]) len++;
                if (len > best_len) { best_len = len; best_dist = dist; if (len == max) break; }
            }
            int32_t next = prev_pos[cand % WINDOW];
            if (next >= cand) break;
            cand = next;
        }
        prev_pos[i % WINDOW] = head[h];
        head[h] = (int32_t)i;
        if (best_len >= MIN_MATCH) {
            put_varint(&o, (uint32_t)(i - lit_start));
            memcpy(o, in + lit_start, i - lit_start);
            o += i - lit_start;
            put_varint(&o, (uint32_t)(best_len - 3));
            put_varint(&o, (uint32_t)best_dist);
            for (size_t k = 1; k < best_len && i + k + MIN_MATCH <= n; k++) {
                uint32_t hk = hash4(in + i + k);
                prev_pos[(i + k) % WINDOW] = head[hk];
                head[hk] = (int32_t)(i + k);
            }
            i += best_len;
            lit_start = i;
        } else {
            i++;
        }
    }
    put_varint(&o, (uint32_t)(n - lit_start));
    memcpy(o, in + lit_start, n - lit_start);
    o += n - lit_start;
    put_varint(&o, 0);
    return (size_t)(o - out);
}

static size_t decompress(const unsigned char *in, unsigned char *out)
{
    unsigned char *o = out;
    for (;;) {
        uint32_t lits = get_varint(&in);
        memcpy(o, in, lits);
        o += lits;
        in += lits;
        uint32_t len = get_varint(&in);
        if (len == 0) break;
        len += 3;
        uint32_t dist = get_varint(&in);
        for (uint32_t k = 0; k < len; k++, o++) *o = *(o - dist);
    }
    return (size_t)(o - out);
}

int main(int argc, char **argv)
{
    size_t n = (size_t)bench_size(argc, argv, 24576) * 1024;
    unsigned char *text = malloc(n), *packed = malloc(n + n / 2 + 64), *back = malloc(n);
    if (!text || !packed || !back) { perror("malloc"); return 1; }
    /* Text from a Zipf-ish vocabulary with occasional random bytes. */
    static char vocab[512][12];
    rng_t r = { 77 };
    for (int w = 0; w < 512; w++) {
        int len = 1 + (int)rng_below(&r, 10);
        for (int k = 0; k < len; k++) vocab[w][k] = (char)('a' + rng_below(&r, 26));
        vocab[w][len] = 0;
    }
    size_t pos = 0;
    while (pos < n) {
        uint64_t x = rng_next(&r);
        if ((x & 63) == 0) { text[pos++] = (unsigned char)(x >> 8); continue; }
        uint64_t w = (x >> 16) % 512;
        w = (w * w) / 512; /* favour low indices */
        for (const char *p = vocab[w]; *p && pos < n; p++) text[pos++] = (unsigned char)*p;
        if (pos < n) text[pos++] = (x >> 40) % 7 ? ' ' : '\n';
    }
    size_t clen = compress(text, n, packed);
    size_t dlen = decompress(packed, back);
    if (dlen != n || memcmp(back, text, n) != 0) { puts("lz77 ROUNDTRIP FAILED"); return 1; }
    printf("lz77 sizes %zu -> %zu\n", n, clen);
    bench_result("lz77", "packed", mix_bytes(0, packed, clen));
    free(text); free(packed); free(back);
    return 0;
}
