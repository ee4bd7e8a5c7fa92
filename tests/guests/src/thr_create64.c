/* thr_create64: 64 threads created and joined, 100 times over (6400
 * threads). All 64 of a round run at once; each does a little work and
 * returns a distinct value: the sum of the join values and the sum of the
 * work are exact. Thread 0 of each round uses the default attributes
 * (glibc's 8 MiB stack, reused from its stack cache round after round);
 * the others ask for 64 KiB stacks, because qemu-riscv64 spends ~0.3 ms
 * mapping and unmapping every 8 MiB stack that does not fit the cache
 * (6400 of them took 4 s). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define PER_ROUND 64
#define ROUNDS 100

static atomic_long work_total;
static atomic_int running;

static void *small_worker(void *arg)
{
    long v = (long)(intptr_t)arg;
    atomic_fetch_add(&running, 1);
    long s = 0;
    for (long i = 0; i < 50; i++)
        s += (v ^ i) & 7;
    atomic_fetch_add(&work_total, s);
    atomic_fetch_sub(&running, 1);
    return (void *)(intptr_t)v;
}

int main(void)
{
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    long join_sum = 0;
    int create_fail = 0, join_fail = 0;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t t[PER_ROUND];
        for (int i = 0; i < PER_ROUND; i++)
            if (pthread_create(&t[i], i == 0 ? NULL : &small, small_worker,
                               (void *)(intptr_t)(r * PER_ROUND + i + 1)) != 0)
                create_fail++;
        for (int i = 0; i < PER_ROUND; i++) {
            void *ret;
            if (pthread_join(t[i], &ret) == 0)
                join_sum += (long)(intptr_t)ret;
            else
                join_fail++;
        }
    }
    long want_work = 0;
    for (long v = 1; v <= PER_ROUND * ROUNDS; v++)
        for (long i = 0; i < 50; i++)
            want_work += (v ^ i) & 7;
    printf("%d rounds x %d threads: %d create failures, %d join failures\n", ROUNDS, PER_ROUND, create_fail,
           join_fail);
    printf("join values sum %ld (expected %ld)\n", join_sum, (long)PER_ROUND * ROUNDS * (PER_ROUND * ROUNDS + 1) / 2);
    printf("work %ld (expected %ld)\n", atomic_load(&work_total), want_work);
    printf("threads still running after the joins: %d\n", atomic_load(&running));
    return 0;
}
