/* thr_lifecycle: exiting, joining and detaching threads (thr_create64
 * creates and joins them in bulk).
 *  - detached threads (attribute, pthread_detach by the creator, and
 *    pthread_detach(pthread_self())), 3 waves of 30: each signals its end
 *    through a semaphore, main waits for all and checks the total
 *  - a worker calls pthread_exit from a nested function half-way through
 *    its work while three others keep running: its cleanup handler and its
 *    thread-specific-data destructor run, a sibling joins it and gets the
 *    pthread_exit value, and the others finish their work
 *  - finally main itself calls pthread_exit while a reporter thread and two
 *    workers run on: the reporter joins main (getting main's exit value),
 *    joins the workers, prints, and returns; as the last thread its exit
 *    ends the process with status 0, running atexit handlers and flushing
 *    stdout */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- detached ---- */
static sem_t detached_done;
static atomic_long detached_sum;
static atomic_int detached_fail;

static void *detached_worker(void *arg)
{
    long v = (long)(intptr_t)arg;
    if (v % 3 == 2 && pthread_detach(pthread_self()) != 0)
        atomic_fetch_add(&detached_fail, 1);
    long s = 0;
    for (long i = 1; i <= v; i++)
        s += i;
    atomic_fetch_add(&detached_sum, s);
    sem_post(&detached_done);
    return NULL;
}

/* ---- pthread_exit from a nested call while others run ---- */
static pthread_key_t key;
static atomic_int tsd_destructor_value = -1;
static atomic_int exit_cleanup_ran;
static atomic_long shared_work;
static atomic_int exiter_done;
static pthread_t exiter;

static void tsd_destructor(void *p)
{
    atomic_store(&tsd_destructor_value, (int)(intptr_t)p);
}

static void exit_cleanup(void *arg)
{
    (void)arg;
    atomic_store(&exit_cleanup_ran, 1);
}

/* (GCC 12 warns of infinite recursion here: pthread_exit is noreturn, so
 * every path that returns recurses; depth reaches 0 and the thread exits.) */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __attribute__((noinline)) void deep_exit(int depth)
{
    if (depth == 0) {
        atomic_store(&exiter_done, 1);
        pthread_exit((void *)(intptr_t)4242);
    }
    deep_exit(depth - 1);
    atomic_fetch_add(&shared_work, 1000000); /* never reached */
}

static void *exiting_worker(void *arg)
{
    (void)arg;
    pthread_setspecific(key, (void *)(intptr_t)31);
    pthread_cleanup_push(exit_cleanup, NULL);
    for (int i = 0; i < 20000; i++) {
        atomic_fetch_add(&shared_work, 1);
        if (i == 10000)
            deep_exit(5);
    }
    pthread_cleanup_pop(0);
    return NULL;
}

static void *steady_worker(void *arg)
{
    long after = 0;
    for (int i = 0; i < 20000; i++) {
        atomic_fetch_add(&shared_work, 1);
        if (atomic_load(&exiter_done))
            after++;
    }
    if ((intptr_t)arg == 1) { /* this one also joins the exited thread */
        void *ret;
        int r = pthread_join(exiter, &ret);
        return (void *)(intptr_t)(r == 0 ? (long)(intptr_t)ret : -1);
    }
    return NULL;
}

/* ---- main exits first ---- */
static pthread_t main_thread;
static pthread_t late_workers[2];
static atomic_long late_work;

static void *late_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 30000; i++)
        atomic_fetch_add(&late_work, 1);
    return (void *)(intptr_t)3;
}

static void *reporter(void *arg)
{
    (void)arg;
    void *main_ret;
    int r = pthread_join(main_thread, &main_ret);
    printf("main thread: joined by the reporter (%d), its pthread_exit value %ld\n", r, (long)(intptr_t)main_ret);
    long sum = 0;
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(late_workers[i], &ret);
        sum += (long)(intptr_t)ret;
    }
    printf("after main exited: workers' join values %ld, work %ld (expected 60000)\n", sum, atomic_load(&late_work));
    printf("reporter: returning as the last thread\n");
    return NULL;
}

static void at_exit_handler(void)
{
    printf("atexit handler ran\n");
}

int main(void)
{
    /* detached threads */
    sem_init(&detached_done, 0, 0);
    pthread_attr_t det;
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    long want_detached = 0;
    for (int wave = 0; wave < 3; wave++) {
        for (long i = 0; i < 30; i++) {
            long v = wave * 30 + i + 1;
            pthread_t t;
            if (v % 3 == 0) {
                pthread_create(&t, &det, detached_worker, (void *)(intptr_t)v);
            } else {
                pthread_create(&t, NULL, detached_worker, (void *)(intptr_t)v);
                if (v % 3 == 1 && pthread_detach(t) != 0)
                    atomic_fetch_add(&detached_fail, 1);
            }
            want_detached += v * (v + 1) / 2;
        }
        for (int i = 0; i < 30; i++)
            while (sem_wait(&detached_done) != 0)
                ;
    }
    int extra = sem_trywait(&detached_done);
    printf("detached: 90 threads finished, sum %ld (expected %ld), detach failures %d, extra posts: %s\n",
           atomic_load(&detached_sum), want_detached, atomic_load(&detached_fail), extra == 0 ? "yes" : "none");

    /* pthread_exit from a nested call while others keep running */
    pthread_key_create(&key, tsd_destructor);
    pthread_t steady[3];
    pthread_create(&exiter, NULL, exiting_worker, NULL);
    for (long i = 0; i < 3; i++)
        pthread_create(&steady[i], NULL, steady_worker, (void *)(intptr_t)i);
    long joined_value = 0;
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(steady[i], &ret);
        if (i == 1)
            joined_value = (long)(intptr_t)ret;
    }
    printf("pthread_exit: a sibling joined the exited thread and got %ld\n", joined_value);
    printf("pthread_exit: cleanup handler ran: %s, TSD destructor got %d\n",
           atomic_load(&exit_cleanup_ran) ? "yes" : "no", atomic_load(&tsd_destructor_value));
    printf("pthread_exit: work %ld (expected %d: 10001 before the exit + 3 x 20000)\n", atomic_load(&shared_work),
           10001 + 3 * 20000);

    /* main exits first */
    atexit(at_exit_handler);
    fflush(stdout);
    main_thread = pthread_self();
    for (int i = 0; i < 2; i++)
        pthread_create(&late_workers[i], NULL, late_worker, NULL);
    pthread_t rep;
    pthread_create(&rep, NULL, reporter, NULL);
    printf("main: calling pthread_exit\n");
    pthread_exit((void *)(intptr_t)99);
}
