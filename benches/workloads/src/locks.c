/* Contended locks: THREADS threads hammer one small shared structure
 * (a count, a sum, an xor, a maximum and an 8-bucket histogram) in three
 * phases, SIZE * 65536 updates each:
 *   mutex   a default pthread mutex around every update (futex waits and
 *           wakes under contention);
 *   spin    a test-and-test-and-set spinlock on a C11 atomic_int
 *           (atomic exchange to take it, sched_yield after 64 failed
 *           spins, so 4 threads on 2 CPUs still make progress);
 *   atomic  no lock: C11 fetch_add / fetch_xor and a compare-exchange loop
 *           for the maximum (AMOs and LR/SC on riscv64).
 * Update i goes to thread i % THREADS and its value is a hash of i computed
 * outside the lock; every update is commutative, so the final structure
 * does not depend on the interleaving or on THREADS. The main thread
 * checks each phase's structure against a sequential computation and
 * prints its checksum. A pthread barrier starts every phase; THREADS
 * threads are always created, the main thread only waits.
 *
 * usage: locks [THREADS [SIZE]]   THREADS 1..16 (default 2). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "bench.h"

#define MAX_THREADS 16

typedef struct {
    uint64_t count, sum, xor, max;
    uint64_t hist[8];
} shared_t;

typedef struct {
    _Atomic uint64_t count, sum, xor, max;
    _Atomic uint64_t hist[8];
} atomic_shared_t;

/* Each shared structure on its own cache lines, away from its lock. */
static _Alignas(64) shared_t by_mutex;
static _Alignas(64) pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static _Alignas(64) shared_t by_spin;
static _Alignas(64) atomic_int spin;
static _Alignas(64) atomic_shared_t by_atomic;

static pthread_barrier_t barrier;
static uint64_t nupdates;
static int nthreads;

static inline uint64_t value_of(uint64_t i)
{
    uint64_t v = mix64(i, 0x5DEECE66DULL);
    return mix64(v, i >> 3);
}

static inline void update(shared_t *s, uint64_t v)
{
    s->count++;
    s->sum += v;
    s->xor ^= v;
    if (v > s->max) s->max = v;
    s->hist[v >> 61] += v & 0xffff;
}

static inline void spin_lock(atomic_int *l)
{
    for (unsigned n = 0;; n++) {
        if (!atomic_load_explicit(l, memory_order_relaxed) &&
            !atomic_exchange_explicit(l, 1, memory_order_acquire))
            return;
        if (n >= 64) {
            sched_yield();
            n = 0;
        }
    }
}

static inline void spin_unlock(atomic_int *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

static void atomic_update(atomic_shared_t *s, uint64_t v)
{
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum, v, memory_order_relaxed);
    atomic_fetch_xor_explicit(&s->xor, v, memory_order_relaxed);
    uint64_t m = atomic_load_explicit(&s->max, memory_order_relaxed);
    while (v > m && !atomic_compare_exchange_weak_explicit(&s->max, &m, v, memory_order_relaxed,
                                                           memory_order_relaxed))
        ;
    atomic_fetch_add_explicit(&s->hist[v >> 61], v & 0xffff, memory_order_relaxed);
}

static void *worker(void *arg)
{
    uint64_t k = (uint64_t)(intptr_t)arg, step = (uint64_t)nthreads;
    pthread_barrier_wait(&barrier);
    for (uint64_t i = k; i < nupdates; i += step) {
        uint64_t v = value_of(i);
        pthread_mutex_lock(&mutex);
        update(&by_mutex, v);
        pthread_mutex_unlock(&mutex);
    }
    pthread_barrier_wait(&barrier);
    for (uint64_t i = k; i < nupdates; i += step) {
        uint64_t v = value_of(i);
        spin_lock(&spin);
        update(&by_spin, v);
        spin_unlock(&spin);
    }
    pthread_barrier_wait(&barrier);
    for (uint64_t i = k; i < nupdates; i += step)
        atomic_update(&by_atomic, value_of(i));
    return NULL;
}

static uint64_t checksum(const shared_t *s)
{
    uint64_t h = mix64(mix64(mix64(mix64(0, s->count), s->sum), s->xor), s->max);
    for (int b = 0; b < 8; b++)
        h = mix64(h, s->hist[b]);
    return h;
}

static void check(const char *phase, const shared_t *got, const shared_t *want)
{
    if (memcmp(got, want, sizeof *got) != 0) {
        printf("locks %s MISMATCH: count %llu (want %llu), sum %016llx (want %016llx)\n", phase,
               (unsigned long long)got->count, (unsigned long long)want->count, (unsigned long long)got->sum,
               (unsigned long long)want->sum);
        exit(1);
    }
    bench_result("locks", phase, checksum(got));
}

int main(int argc, char **argv)
{
    nthreads = 2;
    if (argc > 1) {
        char *end;
        nthreads = (int)strtol(argv[1], &end, 10);
        if (*end != '\0' || nthreads < 1 || nthreads > MAX_THREADS) {
            fprintf(stderr, "usage: %s [THREADS 1..%d [SIZE > 0]]\n", argv[0], MAX_THREADS);
            return 2;
        }
    }
    char *size_argv[] = { argv[0], argc > 2 ? argv[2] : NULL };
    nupdates = (uint64_t)bench_size(argc > 2 ? 2 : 1, size_argv, 96) << 16;

    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
    pthread_t tid[MAX_THREADS];
    for (int k = 0; k < nthreads; k++) {
        int e = pthread_create(&tid[k], NULL, worker, (void *)(intptr_t)k);
        if (e) {
            fprintf(stderr, "locks: pthread_create: %s\n", strerror(e));
            return 1;
        }
    }
    for (int k = 0; k < nthreads; k++) {
        int e = pthread_join(tid[k], NULL);
        if (e) {
            fprintf(stderr, "locks: pthread_join: %s\n", strerror(e));
            return 1;
        }
    }

    shared_t want = { 0 };
    for (uint64_t i = 0; i < nupdates; i++)
        update(&want, value_of(i));
    shared_t from_atomic = {
        .count = atomic_load(&by_atomic.count),
        .sum = atomic_load(&by_atomic.sum),
        .xor = atomic_load(&by_atomic.xor),
        .max = atomic_load(&by_atomic.max),
    };
    for (int b = 0; b < 8; b++)
        from_atomic.hist[b] = atomic_load(&by_atomic.hist[b]);
    check("mutex", &by_mutex, &want);
    check("spin", &by_spin, &want);
    check("atomic", &from_atomic, &want);
    return 0;
}
