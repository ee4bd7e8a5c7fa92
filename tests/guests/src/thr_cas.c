/* thr_cas: 8 threads x 1,000,000 increments of one shared counter through a
 * C11 compare-exchange loop, which compiles to an lr.w/sc.w sequence
 * (GCC 12, seq_cst: "fence iorw,ow; lr.w.aq; bne; sc.w.aq; bnez"), so every
 * increment is an LR/SC pair that can lose the race and retry. All threads
 * start together behind a barrier. A 64-bit counter gets 8 x 100,000
 * strong compare-exchange increments (lr.d/sc.d). Only totals are printed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 8
#define ITERS 1000000
#define ITERS64 100000

static atomic_int counter;
static atomic_long counter64;
static pthread_barrier_t start;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ITERS; i++) {
        int old = atomic_load_explicit(&counter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&counter, &old, old + 1))
            ;
    }
    for (int i = 0; i < ITERS64; i++) {
        long old = atomic_load_explicit(&counter64, memory_order_relaxed);
        while (!atomic_compare_exchange_strong(&counter64, &old, old + id + 1))
            ;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    long want64 = 0;
    for (int id = 0; id < THREADS; id++)
        want64 += (long)(id + 1) * ITERS64;
    printf("lr.w/sc.w compare-exchange counter %d (expected %d)\n", atomic_load(&counter), THREADS * ITERS);
    printf("lr.d/sc.d compare-exchange counter %ld (expected %ld)\n", atomic_load(&counter64), want64);
    return 0;
}
