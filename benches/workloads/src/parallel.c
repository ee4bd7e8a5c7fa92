/* Thread scaling: 8 independent integer tasks, each on its own data set in
 * its own memory (generate 32-bit keys, build and probe an open-addressing
 * hash table, quicksort them, delta + varint encode the sorted keys, CRC-32
 * the encoding), spread over THREADS threads (thread k runs tasks k, k+T,
 * ...). Nothing is shared while the tasks run but the read-only CRC table;
 * each task writes its own result slot once at the end. The total work and
 * the output do not depend on THREADS, so the wall times of `parallel 1`
 * and `parallel 2` give the speed-up of two threads over one. THREADS
 * threads are always created (also for 1); the main thread only waits.
 *
 * usage: parallel [THREADS [SIZE]]   THREADS 1..8 (default 2), SIZE = rounds
 * per task. */
#include <pthread.h>

#include "bench.h"

#define NTASKS 8
#define KEYS 16384
#define TABLE_BITS 15 /* 32 Ki slots for 16 Ki keys: 50% load */

typedef struct {
    uint32_t keys[KEYS];
    uint32_t table[1u << TABLE_BITS];
    unsigned char enc[KEYS * 5];
} task_mem_t;

static uint32_t crc_table[256];
static uint64_t results[NTASKS];
static long rounds;
static int nthreads;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static inline uint32_t hash32(uint32_t k)
{
    return (k * 2654435761u) >> (32 - TABLE_BITS);
}

/* Inserts every key (0 marks an empty slot, so keys are stored | 1), then
 * looks up as many fresh keys: returns the number of duplicates, hits and
 * probe steps, folded together. */
static uint64_t table_work(task_mem_t *m, rng_t *r)
{
    const uint32_t mask = (1u << TABLE_BITS) - 1;
    memset(m->table, 0, sizeof m->table);
    uint64_t dups = 0, hits = 0, steps = 0;
    for (size_t i = 0; i < KEYS; i++) {
        uint32_t k = m->keys[i] | 1;
        uint32_t j = hash32(k);
        while (m->table[j] && m->table[j] != k) {
            j = (j + 1) & mask;
            steps++;
        }
        dups += m->table[j] == k;
        m->table[j] = k;
    }
    for (size_t i = 0; i < KEYS; i++) {
        /* Half of the lookups are keys of the set, half are fresh. */
        uint32_t k = (i & 1 ? m->keys[rng_below(r, KEYS)] : (uint32_t)(rng_next(r) >> 32)) | 1;
        uint32_t j = hash32(k);
        while (m->table[j] && m->table[j] != k) {
            j = (j + 1) & mask;
            steps++;
        }
        hits += m->table[j] == k;
    }
    return mix64(mix64(dups, hits), steps);
}

static void quicksort(uint32_t *a, long lo, long hi)
{
    while (hi - lo > 16) {
        uint32_t p = a[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

/* Deltas of the sorted keys as LEB128 varints; returns the length. */
static size_t encode(const uint32_t *a, size_t n, unsigned char *out)
{
    unsigned char *o = out;
    uint32_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = a[i] - prev;
        prev = a[i];
        while (d >= 0x80) { *o++ = (unsigned char)(d | 0x80); d >>= 7; }
        *o++ = (unsigned char)d;
    }
    return (size_t)(o - out);
}

static uint64_t run_task(int task, task_mem_t *m)
{
    uint64_t h = (uint64_t)task;
    for (long round = 0; round < rounds; round++) {
        rng_t r = { mix64((uint64_t)task + 1, (uint64_t)round + 1) | 1 };
        for (size_t i = 0; i < KEYS; i++)
            m->keys[i] = (uint32_t)(rng_next(&r) >> 32);
        h = mix64(h, table_work(m, &r));
        quicksort(m->keys, 0, KEYS - 1);
        for (size_t i = 1; i < KEYS; i++)
            if (m->keys[i - 1] > m->keys[i]) { fputs("parallel: NOT SORTED\n", stderr); exit(1); }
        size_t len = encode(m->keys, KEYS, m->enc);
        h = mix64(h, len);
        h = mix64(h, crc32(m->enc, len));
        h = mix64(h, (uint64_t)m->keys[0] << 32 | m->keys[KEYS - 1]);
    }
    return h;
}

static void *worker(void *arg)
{
    int k = (int)(intptr_t)arg;
    task_mem_t *m = malloc(sizeof *m);
    if (!m) { perror("malloc"); exit(1); }
    for (int task = k; task < NTASKS; task += nthreads)
        results[task] = run_task(task, m);
    free(m);
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = 2;
    if (argc > 1) {
        char *end;
        nthreads = (int)strtol(argv[1], &end, 10);
        if (*end != '\0' || nthreads < 1 || nthreads > NTASKS) {
            fprintf(stderr, "usage: %s [THREADS 1..%d [SIZE > 0]]\n", argv[0], NTASKS);
            return 2;
        }
    }
    char *size_argv[] = { argv[0], argc > 2 ? argv[2] : NULL };
    rounds = bench_size(argc > 2 ? 2 : 1, size_argv, 72);
    crc_init();
    pthread_t tid[NTASKS];
    for (int k = 0; k < nthreads; k++) {
        int e = pthread_create(&tid[k], NULL, worker, (void *)(intptr_t)k);
        if (e) {
            fprintf(stderr, "parallel: pthread_create: %s\n", strerror(e));
            return 1;
        }
    }
    for (int k = 0; k < nthreads; k++) {
        int e = pthread_join(tid[k], NULL);
        if (e) {
            fprintf(stderr, "parallel: pthread_join: %s\n", strerror(e));
            return 1;
        }
    }
    uint64_t all = 0;
    for (int t = 0; t < NTASKS; t++) {
        char part[16];
        snprintf(part, sizeof part, "task%d", t);
        bench_result("parallel", part, results[t]);
        all = mix64(all, results[t]);
    }
    bench_result("parallel", "all", all);
    return 0;
}
