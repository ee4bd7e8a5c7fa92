/* thr_amo: 8 threads x 1,000,000 increments of one shared counter through
 * AMOs. C11 atomic_fetch_add compiles to amoadd (GCC 12: relaxed is a bare
 * amoadd.w, seq_cst is "fence iorw,ow; amoadd.aq"). All threads start
 * together behind a barrier so the increments really race.
 *  - amoadd.w: 8 x 1,000,000 relaxed increments of an atomic_int, exact
 *  - amoadd.d.aq: 8 x 100,000 seq_cst adds of id+1 to an atomic_long
 *  - once per thread: amoor.w (atomic_fetch_or), amoand.w (atomic_fetch_and),
 *    amoswap.w (atomic_exchange), and amomax.w / amominu.w (inline asm; C11
 *    has no fetch_max): the final values do not depend on the order
 * Only totals are printed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 8
#define ITERS 1000000
#define ITERS64 100000

static atomic_int counter;
static atomic_long counter64;
static atomic_uint bits, mask = 0xffffffffu;
static int maxv = -1000;
static unsigned minu = 0xffffffffu;
static atomic_int swap_slot = -1;
static atomic_int swap_sum;
static pthread_barrier_t start;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ITERS; i++)
        atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    for (int i = 0; i < ITERS64; i++)
        atomic_fetch_add(&counter64, id + 1);
    atomic_fetch_or(&bits, 1u << (id * 3));
    atomic_fetch_and(&mask, ~(1u << (id * 2)));
    int old;
    int v = id * 37 - 100; /* -100, -63, ..., 159 */
    __asm__ volatile("amomax.w.aqrl %0, %2, (%1)" : "=r"(old) : "r"(&maxv), "r"(v) : "memory");
    unsigned uold, u = 1000u + (unsigned)((id * 5) % THREADS); /* a permutation: minimum 1000 */
    __asm__ volatile("amominu.w.aqrl %0, %2, (%1)" : "=r"(uold) : "r"(&minu), "r"(u) : "memory");
    /* Every value swapped in is swapped out exactly once (by the next
     * swapper, or by main at the end): the sum of what comes out is fixed. */
    int prev = atomic_exchange(&swap_slot, id);
    atomic_fetch_add(&swap_sum, prev);
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
    int last = atomic_exchange(&swap_slot, -1);
    int swaps = atomic_load(&swap_sum) + last;
    printf("amoadd.w counter %d (expected %d)\n", atomic_load(&counter), THREADS * ITERS);
    printf("amoadd.d counter %ld (expected %ld)\n", atomic_load(&counter64), want64);
    printf("amoor.w bits %#x\n", atomic_load(&bits));
    printf("amoand.w mask %#x\n", atomic_load(&mask));
    printf("amomax.w %d, amominu.w %u\n", maxv, minu);
    printf("amoswap.w: sum of values swapped out %d (expected %d)\n", swaps, -1 + 0 + 1 + 2 + 3 + 4 + 5 + 6 + 7);
    return 0;
}
