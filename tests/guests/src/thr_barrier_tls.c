/* thr_barrier_tls: pthread barriers and __thread variables.
 * Barriers: 6 threads, 200 rounds of two phases each. In phase 1 of round
 * r every thread writes its own slot; after a barrier every thread checks
 * every slot holds round r's value; after a second barrier (so nobody
 * overwrites a slot that is still being read) the next round starts.
 * Exactly one waiter per barrier round gets PTHREAD_BARRIER_SERIAL_THREAD;
 * in phase 1 it advances a shared phase counter (a plain long) that
 * everybody checks after the second barrier. A barrier of 3 is then reused by a different trio.
 * __thread: .tdata variables (int, string, array with initializers) and
 * .tbss ones (zero-initialized long and array), in two waves of 8 threads
 * (the second wave reuses the first wave's cached stacks):
 *  - every new thread sees the initial values, not main's modified ones
 *  - a thread's writes stay its own while others write theirs (checked
 *    after a barrier where all have written)
 *  - each thread's copy is at a distinct address, and main's copy is
 *    unchanged at the end
 * Only counts and "yes/no" facts are printed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NT 6
#define ROUNDS 200

static pthread_barrier_t bar;
static long slot[NT];
static long phase;
static atomic_int serial_count, bad_reads, bad_phase;

static void *barrier_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (long r = 0; r < ROUNDS; r++) {
        slot[id] = r * 1000 + id;
        int s = pthread_barrier_wait(&bar);
        if (s == PTHREAD_BARRIER_SERIAL_THREAD) {
            atomic_fetch_add(&serial_count, 1);
            phase++;
        } else if (s != 0) {
            atomic_fetch_add(&bad_reads, 1000);
        }
        for (int j = 0; j < NT; j++)
            if (slot[j] != r * 1000 + j)
                atomic_fetch_add(&bad_reads, 1);
        s = pthread_barrier_wait(&bar);
        if (s == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial_count, 1);
        /* phase was advanced once, before the second barrier; the next
         * advance needs everybody at the next round's first barrier */
        if (phase != r + 1)
            atomic_fetch_add(&bad_phase, 1);
    }
    return NULL;
}

static pthread_barrier_t trio;
static atomic_int trio_hits;
static void *trio_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < 50; r++) {
        atomic_fetch_add(&trio_hits, 1);
        pthread_barrier_wait(&trio);
        if (atomic_load(&trio_hits) != 3 * (r + 1))
            atomic_fetch_add(&bad_reads, 1);
        pthread_barrier_wait(&trio);
    }
    return NULL;
}

/* ---- __thread ---- */
#define TT 8
static __thread int tls_int = 1234;
static __thread char tls_str[16] = "initial";
static __thread short tls_arr[4] = {1, 2, 3, 4};
static __thread long tls_zero;
static __thread long tls_zero_arr[32];

static pthread_barrier_t tls_bar;
static uintptr_t tls_addr[2 * TT];
static atomic_int init_ok, kept_ok;

static int initial_values_ok(void)
{
    int ok = tls_int == 1234 && strcmp(tls_str, "initial") == 0 && tls_arr[0] == 1 && tls_arr[3] == 4 &&
             tls_zero == 0;
    for (int i = 0; i < 32; i++)
        ok &= tls_zero_arr[i] == 0;
    return ok;
}

static void *tls_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    if (initial_values_ok())
        atomic_fetch_add(&init_ok, 1);
    tls_addr[id] = (uintptr_t)&tls_int;
    tls_int = 5000 + id;
    snprintf(tls_str, sizeof tls_str, "thread-%d", id);
    tls_arr[2] = (short)(id * 11);
    tls_zero = (long)id * id;
    for (int i = 0; i < 32; i++)
        tls_zero_arr[i] = id + i;
    pthread_barrier_wait(&tls_bar); /* everybody has written their own copies */
    char want[16];
    snprintf(want, sizeof want, "thread-%d", id);
    int ok = tls_int == 5000 + id && strcmp(tls_str, want) == 0 && tls_arr[2] == id * 11 && tls_arr[1] == 2 &&
             tls_zero == (long)id * id;
    for (int i = 0; i < 32; i++)
        ok &= tls_zero_arr[i] == id + i;
    if (ok)
        atomic_fetch_add(&kept_ok, 1);
    return (void *)(intptr_t)tls_int;
}

int main(void)
{
    pthread_t t[NT];
    pthread_barrier_init(&bar, NULL, NT);
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)(intptr_t)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    printf("barrier: %d threads x %d rounds x 2 waits\n", NT, ROUNDS);
    printf("barrier: serial-thread returns %d (expected %d), phase %ld\n", atomic_load(&serial_count), 2 * ROUNDS,
           phase);
    printf("barrier: slots read before they were all written: %d, phase mismatches: %d\n", atomic_load(&bad_reads),
           atomic_load(&bad_phase));

    pthread_barrier_init(&trio, NULL, 3);
    pthread_t tr[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&tr[i], NULL, trio_worker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(tr[i], NULL);
    pthread_barrier_destroy(&trio);
    printf("barrier of 3: %d arrivals, errors %d\n", atomic_load(&trio_hits), atomic_load(&bad_reads));

    /* __thread: main changes its own copies first */
    tls_int = -1;
    strcpy(tls_str, "main");
    tls_arr[0] = -7;
    tls_zero = 99;
    tls_zero_arr[5] = 55;
    uintptr_t main_addr = (uintptr_t)&tls_int;
    long join_sum = 0;
    pthread_barrier_init(&tls_bar, NULL, TT);
    for (int wave = 0; wave < 2; wave++) {
        pthread_t w[TT];
        for (long i = 0; i < TT; i++)
            pthread_create(&w[i], NULL, tls_worker, (void *)(intptr_t)(wave * TT + i));
        for (int i = 0; i < TT; i++) {
            void *ret;
            pthread_join(w[i], &ret);
            join_sum += (long)(intptr_t)ret;
        }
    }
    int distinct = 1;
    for (int i = 0; i < 2 * TT; i++) {
        if (tls_addr[i] == main_addr)
            distinct = 0;
        for (int j = 0; j < i; j++)
            /* two live threads never share; a second-wave thread may reuse a
             * first-wave thread's stack (and so its TLS block) */
            if (tls_addr[i] == tls_addr[j] && i / TT == j / TT)
                distinct = 0;
    }
    printf("__thread: %d/%d threads saw the initial values\n", atomic_load(&init_ok), 2 * TT);
    printf("__thread: %d/%d threads kept their own values while the others wrote\n", atomic_load(&kept_ok), 2 * TT);
    printf("__thread: sum of values returned through join %ld (expected %d)\n", join_sum, 2 * TT * 5000 + 120);
    printf("__thread: copies at distinct addresses (and not main's): %s\n", distinct ? "yes" : "no");
    printf("__thread: main's copies unchanged: %s\n",
           tls_int == -1 && strcmp(tls_str, "main") == 0 && tls_arr[0] == -7 && tls_zero == 99 &&
                   tls_zero_arr[5] == 55 && tls_zero_arr[4] == 0 && tls_arr[1] == 2
               ? "yes"
               : "no");
    return 0;
}
