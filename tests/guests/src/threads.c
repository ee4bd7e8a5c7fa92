/* threads: POSIX threads on static glibc. Creates 4 threads that each add
 * to a mutex-protected counter and to an atomic counter, use thread-local
 * storage, and return a value through pthread_join; then a condition
 * variable hand-off and a pthread_once. Only totals are printed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 4
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static atomic_long acounter;
static __thread long tls_value;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_fn(void)
{
    once_runs++;
}

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    tls_value = id * 1000;
    pthread_once(&once, once_fn);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter += 1;
        pthread_mutex_unlock(&lock);
        atomic_fetch_add_explicit(&acounter, 2, memory_order_relaxed);
        tls_value++;
    }
    return (void *)(intptr_t)(tls_value - id * 1000 + id);
}

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;

static void *pingpong(void *arg)
{
    (void)arg;
    for (int round = 0; round < 100; round++) {
        pthread_mutex_lock(&cv_lock);
        while (stage % 2 == 0)
            pthread_cond_wait(&cv, &cv_lock);
        stage++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&cv_lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    tls_value = -1;
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    long rets = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        rets += (long)(intptr_t)r;
    }
    printf("mutex counter %ld (expected %d)\n", counter, THREADS * ITERS);
    printf("atomic counter %ld (expected %d)\n", (long)atomic_load(&acounter), 2 * THREADS * ITERS);
    printf("sum of join values %ld (expected %d)\n", rets, THREADS * ITERS + 0 + 1 + 2 + 3);
    printf("main thread's TLS untouched: %s\n", tls_value == -1 ? "yes" : "no");
    printf("pthread_once ran %d time(s)\n", once_runs);

    pthread_t p;
    pthread_create(&p, NULL, pingpong, NULL);
    for (int round = 0; round < 100; round++) {
        pthread_mutex_lock(&cv_lock);
        while (stage % 2 == 1)
            pthread_cond_wait(&cv, &cv_lock);
        stage++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&cv_lock);
    }
    pthread_join(p, NULL);
    printf("condition variable ping-pong stages: %d\n", stage);
    return 0;
}
