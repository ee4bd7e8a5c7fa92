/* Memory-bound: an open-addressing hash table far larger than L2 (inserts,
 * hits, misses, deletes with backward shift) and a chained table with
 * malloc'd nodes. SIZE = log2 of the open table's slot count. */
#include "bench.h"

typedef struct { uint64_t key, val; } slot_t;

static inline uint64_t hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    return k;
}

static uint64_t open_table(unsigned bits, rng_t *r)
{
    size_t cap = (size_t)1 << bits, mask = cap - 1;
    slot_t *t = calloc(cap, sizeof *t);
    if (!t) { perror("calloc"); exit(1); }
    size_t n = cap / 2 + cap / 4; /* 75% load */
    uint64_t seed = r->s, h = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = rng_next(r) | 1; /* key 0 marks an empty slot */
        size_t j = hash(k) & mask;
        while (t[j].key && t[j].key != k)
            j = (j + 1) & mask;
        t[j].key = k;
        t[j].val += i;
    }
    /* Replay the key sequence: hits. Then fresh keys: mostly misses. */
    rng_t again = { seed };
    for (size_t i = 0; i < n; i++) {
        uint64_t k = rng_next(&again) | 1;
        size_t j = hash(k) & mask;
        while (t[j].key != k)
            j = (j + 1) & mask;
        h += t[j].val;
    }
    uint64_t misses = 0;
    for (size_t i = 0; i < n / 2; i++) {
        uint64_t k = rng_next(r) | 1;
        size_t j = hash(k) & mask;
        while (t[j].key && t[j].key != k)
            j = (j + 1) & mask;
        misses += t[j].key == 0;
    }
    /* Delete the first half with backward-shift deletion. */
    again.s = seed;
    for (size_t i = 0; i < n / 2; i++) {
        uint64_t k = rng_next(&again) | 1;
        size_t j = hash(k) & mask;
        while (t[j].key && t[j].key != k)
            j = (j + 1) & mask;
        if (!t[j].key)
            continue;
        size_t hole = j;
        for (;;) {
            j = (j + 1) & mask;
            if (!t[j].key)
                break;
            size_t home = hash(t[j].key) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                t[hole] = t[j];
                hole = j;
            }
        }
        t[hole].key = 0;
        t[hole].val = 0;
    }
    for (size_t i = 0; i < cap; i++)
        if (t[i].key)
            h = mix64(h, t[i].key ^ t[i].val ^ i);
    free(t);
    return mix64(h, misses);
}

typedef struct entry { struct entry *next; uint64_t key; uint64_t count; } entry_t;

static uint64_t chained(size_t n, rng_t *r)
{
    size_t buckets = n / 4;
    entry_t **b = calloc(buckets, sizeof *b);
    if (!b) { perror("calloc"); exit(1); }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = rng_below(r, n / 2);
        entry_t **e = &b[hash(k) & (buckets - 1)];
        while (*e && (*e)->key != k)
            e = &(*e)->next;
        if (*e) {
            (*e)->count++;
        } else {
            entry_t *x = malloc(sizeof *x);
            if (!x) { perror("malloc"); exit(1); }
            *x = (entry_t){ NULL, k, 1 };
            *e = x;
        }
    }
    uint64_t h = 0;
    for (size_t i = 0; i < buckets; i++) {
        uint64_t s = 0;
        for (entry_t *e = b[i], *next; e; e = next) {
            next = e->next;
            s += e->key * e->count;
            free(e);
        }
        h = mix64(h, s);
    }
    free(b);
    return h;
}

int main(int argc, char **argv)
{
    long bits = bench_size(argc, argv, 21);
    if (bits > 28) bits = 28;
    if (bits < 8) bits = 8;
    rng_t r = { 1234 };
    bench_result("hashtable", "open", open_table((unsigned)bits, &r));
    bench_result("hashtable", "chained", chained((size_t)1 << (bits - 1), &r));
    return 0;
}
