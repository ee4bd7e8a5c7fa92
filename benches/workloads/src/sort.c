/* Memory-bound sorting: our own introsort-free quicksort on 64-bit keys,
 * a bottom-up merge sort on 32-bit keys, an LSD radix sort, and glibc qsort
 * with a comparison callback (distinct keys, so the order is unique).
 * SIZE = thousands of elements. */
#include "bench.h"

static void quicksort(uint64_t *a, long lo, long hi)
{
    while (hi - lo > 16) {
        uint64_t p = a[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { uint64_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    for (long i = lo + 1; i <= hi; i++) {
        uint64_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static void mergesort32(uint32_t *a, uint32_t *tmp, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

static void radix(uint32_t *a, uint32_t *tmp, size_t n)
{
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static uint64_t check64(const uint64_t *a, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && a[i - 1] > a[i]) { puts("NOT SORTED"); exit(1); }
        h = mix64(h, a[i]);
    }
    return h;
}

static uint64_t check32(const uint32_t *a, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && a[i - 1] > a[i]) { puts("NOT SORTED"); exit(1); }
        h = mix64(h, a[i]);
    }
    return h;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)bench_size(argc, argv, 2500) * 1000;
    uint64_t *a = malloc(n * sizeof *a);
    uint32_t *b = calloc(n, sizeof *b), *tmp = calloc(n, sizeof *tmp);
    if (!a || !b || !tmp) { perror("malloc"); return 1; }
    rng_t r = { 99 };
    for (size_t i = 0; i < n; i++) a[i] = rng_next(&r);
    quicksort(a, 0, (long)n - 1);
    bench_result("sort", "quicksort", check64(a, n));
    for (size_t i = 0; i < n; i++) b[i] = (uint32_t)rng_next(&r);
    mergesort32(b, tmp, n);
    bench_result("sort", "mergesort", check32(b, n));
    for (size_t i = 0; i < n; i++) b[i] = (uint32_t)rng_next(&r);
    radix(b, tmp, n);
    bench_result("sort", "radix", check32(b, n));
    /* Distinct keys: i * odd constant is a bijection mod 2^64. */
    size_t m = n / 4;
    for (size_t i = 0; i < m; i++) a[i] = (i + 1) * 0x9E3779B97F4A7C15ULL;
    qsort(a, m, sizeof *a, cmp_u64);
    bench_result("sort", "qsort", check64(a, m));
    free(a); free(b); free(tmp);
    return 0;
}
