/* glibc string and memory functions: memcpy, memmove, memset, memcmp,
 * memchr, strlen, strcpy, strcat, strcmp, strncmp, strchr, strrchr,
 * strstr, strspn, strtoul and snprintf, over buffers of many sizes and
 * alignments. SIZE = rounds. */
#include "bench.h"

#define BUF 65536
static unsigned char src[BUF + 64], dst[BUF + 64];
static char words[256][24];
static char line[8192], copy[8192];

static uint64_t memfns(rng_t *r)
{
    uint64_t h = 0;
    for (int i = 0; i < 400; i++) {
        size_t len = (size_t)rng_below(r, i % 4 == 0 ? BUF : 256);
        size_t so = (size_t)rng_below(r, 16), d0 = (size_t)rng_below(r, 16);
        memcpy(dst + d0, src + so, len);
        h = mix64(h, dst[d0 + len / 2]);
        memmove(dst + d0 + 3, dst + d0, len);
        h = mix64(h, (uint64_t)memcmp(dst + d0 + 3, src + so, len) == 0);
        memset(dst + so, (int)(i & 0xff), len / 2);
        const unsigned char *p = memchr(dst, 0xA5, BUF);
        h = mix64(h, p ? (uint64_t)(p - dst) : 0xffff);
        int c = memcmp(src, dst, BUF);
        h = mix64(h, (uint64_t)(c > 0) - (uint64_t)(c < 0));
    }
    return h;
}

static uint64_t strfns(rng_t *r)
{
    uint64_t h = 0;
    for (int rep = 0; rep < 30; rep++) {
        line[0] = '\0';
        size_t used = 0;
        for (int w = 0; w < 300; w++) {
            const char *word = words[rng_below(r, 256)];
            size_t wl = strlen(word);
            if (used + wl + 2 >= sizeof line) break;
            strcat(line + used, word);
            used += wl;
            strcat(line + used, " ");
            used += 1;
        }
        strcpy(copy, line);
        h = mix64(h, strlen(copy));
        h = mix64(h, (uint64_t)(strcmp(copy, line) == 0));
        for (int k = 0; k < 64; k++) {
            const char *needle = words[(rep * 64 + k) & 255];
            const char *s = strstr(line, needle);
            h = mix64(h, s ? (uint64_t)(s - line) : 0xffffffff);
            int c = strncmp(needle, words[k], 5);
            h = mix64(h, (uint64_t)(c > 0) - (uint64_t)(c < 0));
        }
        const char *q = strchr(line, 'q'), *z = strrchr(line, 'z');
        h = mix64(h, q ? (uint64_t)(q - line) : 1);
        h = mix64(h, z ? (uint64_t)(z - line) : 2);
        h = mix64(h, strspn(line, "abcdefghijklm"));
        char num[32];
        for (int k = 0; k < 200; k++) {
            unsigned long v = (unsigned long)rng_next(r);
            snprintf(num, sizeof num, "%lx", v);
            h = mix64(h, strtoul(num, NULL, 16) == v);
            h = mix64(h, strlen(num));
        }
    }
    return h;
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 250);
    rng_t r = { 5 };
    for (int i = 0; i < BUF + 64; i++) src[i] = (unsigned char)rng_next(&r);
    for (int i = 0; i < 256; i++) {
        int len = 2 + (int)rng_below(&r, 20);
        for (int k = 0; k < len; k++) words[i][k] = (char)('a' + rng_below(&r, 26));
        words[i][len] = '\0';
    }
    uint64_t hm = 0, hs = 0;
    for (long i = 0; i < rounds; i++) {
        hm = mix64(hm, memfns(&r));
        hs = mix64(hs, strfns(&r));
    }
    bench_result("strings", "mem", hm);
    bench_result("strings", "str", hs);
    return 0;
}
