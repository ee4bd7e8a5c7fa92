/* thr_spinlock: 8 threads x 1,000,000 increments of a plain (non-atomic)
 * counter protected by a spinlock written with inline lr.w/sc.w:
 *   lock:   lr.w.aq; bnez (held); sc.w; bnez (retry)   -- acquire
 *   unlock: lr.w; sc.w.rl zero                           -- release
 * A waiter spins on a plain load and calls sched_yield every 64 spins (8
 * threads share 2 CPUs, and a holder can be descheduled). The critical
 * section also updates a 64-bit plain sum and a "holder" word that must be
 * free on entry (mutual exclusion check). All threads start together behind
 * a barrier. Only totals are printed. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 8
#define ITERS 1000000

static volatile int lock_word;
static long counter, sum;
static int holder = -1, overlaps;
static pthread_barrier_t start;

static inline void spin_lock(volatile int *l)
{
    for (;;) {
        int busy, fail;
        __asm__ volatile("1: lr.w.aq %0, (%2)\n"
                         "   bnez %0, 2f\n"
                         "   sc.w %1, %3, (%2)\n"
                         "   bnez %1, 1b\n"
                         "2:\n"
                         : "=&r"(busy), "=&r"(fail)
                         : "r"(l), "r"(1)
                         : "memory");
        if (!busy)
            return;
        for (int spins = 0; *l; spins++)
            if (spins >= 64) {
                sched_yield();
                spins = 0;
            }
    }
}

static inline void spin_unlock(volatile int *l)
{
    int fail;
    __asm__ volatile("1: lr.w %0, (%1)\n"
                     "   sc.w.rl %0, zero, (%1)\n"
                     "   bnez %0, 1b\n"
                     : "=&r"(fail)
                     : "r"(l)
                     : "memory");
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ITERS; i++) {
        spin_lock(&lock_word);
        if (holder != -1)
            overlaps++;
        holder = id;
        counter++;
        sum += id + 1;
        holder = -1;
        spin_unlock(&lock_word);
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
    printf("spinlock-protected counter %ld (expected %d)\n", counter, THREADS * ITERS);
    printf("spinlock-protected sum %ld (expected %ld)\n", sum, 36L * ITERS);
    printf("holder found in the critical section on entry: %d time(s)\n", overlaps);
    printf("lock word free at the end: %s\n", lock_word == 0 ? "yes" : "no");
    return 0;
}
