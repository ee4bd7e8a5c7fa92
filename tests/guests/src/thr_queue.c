/* thr_queue: a bounded queue (16 slots) guarded by one mutex and two
 * condition variables (not_full, not_empty), 4 producers x 5000 items and
 * 3 consumers running at the same time.
 *  - every item is consumed exactly once: count, sum and an order-independent
 *    checksum (a sum of 64-bit hashes) are exact
 *  - FIFO: within each consumer, each producer's items arrive in increasing
 *    order; the queue never holds more than its capacity
 *  - shutdown by pthread_cond_broadcast of a "closed" flag (consumers drain
 *    the queue first)
 *  - pthread_cond_timedwait with nobody signalling returns ETIMEDOUT
 * Which consumer gets which item varies from run to run; only totals and
 * properties are printed. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CAP 16
#define PRODUCERS 4
#define CONSUMERS 3
#define ITEMS 5000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long queue[CAP];
static int head, count, closed, max_count, overflow;

struct consumer {
    long items, sum;
    uint64_t hash;
    long per_producer[PRODUCERS];
    long last_seq[PRODUCERS];
    int out_of_order;
};
static struct consumer consumers[CONSUMERS];

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void put(long v)
{
    pthread_mutex_lock(&lock);
    while (count == CAP)
        pthread_cond_wait(&not_full, &lock);
    queue[(head + count) % CAP] = v;
    count++;
    if (count > max_count)
        max_count = count;
    if (count > CAP)
        overflow = 1;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&lock);
}

/* Returns 0 when the queue is closed and empty. */
static int get(long *v)
{
    pthread_mutex_lock(&lock);
    while (count == 0 && !closed)
        pthread_cond_wait(&not_empty, &lock);
    if (count == 0) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    *v = queue[head];
    head = (head + 1) % CAP;
    count--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&lock);
    return 1;
}

static void *producer(void *arg)
{
    long p = (long)(intptr_t)arg;
    for (long seq = 0; seq < ITEMS; seq++)
        put(p * 1000000 + seq);
    return NULL;
}

static void *consumer(void *arg)
{
    struct consumer *c = arg;
    for (int p = 0; p < PRODUCERS; p++)
        c->last_seq[p] = -1;
    long v;
    while (get(&v)) {
        long p = v / 1000000, seq = v % 1000000;
        c->items++;
        c->sum += v;
        c->hash += mix((uint64_t)v);
        if (p < 0 || p >= PRODUCERS) {
            c->out_of_order = 1;
            continue;
        }
        c->per_producer[p]++;
        if (seq <= c->last_seq[p])
            c->out_of_order = 1;
        c->last_seq[p] = seq;
    }
    return NULL;
}

int main(void)
{
    pthread_t prod[PRODUCERS], cons[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
        pthread_create(&cons[i], NULL, consumer, &consumers[i]);
    for (long i = 0; i < PRODUCERS; i++)
        pthread_create(&prod[i], NULL, producer, (void *)(intptr_t)i);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(prod[i], NULL);
    pthread_mutex_lock(&lock);
    closed = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(cons[i], NULL);

    long items = 0, sum = 0, per[PRODUCERS] = {0};
    uint64_t hash = 0;
    int order_ok = 1;
    for (int i = 0; i < CONSUMERS; i++) {
        items += consumers[i].items;
        sum += consumers[i].sum;
        hash += consumers[i].hash;
        order_ok &= !consumers[i].out_of_order;
        for (int p = 0; p < PRODUCERS; p++)
            per[p] += consumers[i].per_producer[p];
    }
    long want_sum = 0;
    uint64_t want_hash = 0;
    for (long p = 0; p < PRODUCERS; p++)
        for (long seq = 0; seq < ITEMS; seq++) {
            want_sum += p * 1000000 + seq;
            want_hash += mix((uint64_t)(p * 1000000 + seq));
        }
    printf("items consumed %ld (expected %d)\n", items, PRODUCERS * ITEMS);
    printf("sum %ld (expected %ld)\n", sum, want_sum);
    printf("checksum %016llx (%s)\n", (unsigned long long)hash, hash == want_hash ? "matches" : "MISMATCH");
    printf("per producer:");
    for (int p = 0; p < PRODUCERS; p++)
        printf(" %ld", per[p]);
    printf("\n");
    printf("each producer's items in order within every consumer: %s\n", order_ok ? "yes" : "no");
    printf("queue never over capacity: %s; left in queue %d\n", !overflow && max_count <= CAP ? "yes" : "no", count);

    /* A timed wait that nobody signals times out (and still holds the lock). */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&lock);
    int r;
    do
        r = pthread_cond_timedwait(&not_empty, &lock, &deadline);
    while (r == 0); /* a spurious wakeup is allowed; keep waiting */
    int busy = pthread_mutex_trylock(&lock);
    pthread_mutex_unlock(&lock);
    printf("pthread_cond_timedwait: %s, lock held afterwards: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other",
           busy == EBUSY ? "yes" : "no");
    return 0;
}
