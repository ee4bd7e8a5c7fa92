/* thr_cancel: pthread_cancel of threads blocked in cancellation points and
 * of running ones. glibc cancels with a signal (SIGCANCEL, 32) sent by
 * tgkill: its handler unwinds the target through its cleanup handlers.
 *  - blocked in pthread_cond_wait: the mutex is re-acquired before the
 *    cleanup handler runs (the handler unlocks an error-checking mutex: 0)
 *  - blocked in read() on an empty pipe: two cleanup handlers run in LIFO
 *    order
 *  - blocked in nanosleep (100 s): woken by the cancel
 *  - blocked in pause()
 *  - cancellation disabled: the cancel stays pending across a sem_wait
 *    (a cancellation point), and acts at pthread_testcancel once enabled
 *  - asynchronous cancellation of a thread in a pure computation loop
 *  - pthread_cleanup_pop(1) runs a handler without cancellation
 *  - cancelling a thread that already returned: join gets its value
 * Every cancelled thread's join value is PTHREAD_CANCELED. Main waits until
 * each target is at (or past) its blocking point, so the result does not
 * depend on timing. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t cv_mutex;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cv_waiting;
static atomic_int cv_cleanup_unlock = -1;

static char order[8];
static atomic_int order_len;
static atomic_int started;
static atomic_int sleep_cleanup, pause_cleanup, async_cleanup, pop_ran;
static int pipe_fds[2];

static void record(char c)
{
    order[atomic_fetch_add(&order_len, 1)] = c;
}

static void cv_cleanup(void *arg)
{
    (void)arg;
    /* error-checking mutex: 0 if this thread owns it, EPERM if not */
    atomic_store(&cv_cleanup_unlock, pthread_mutex_unlock(&cv_mutex));
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cv_mutex);
    pthread_cleanup_push(cv_cleanup, NULL);
    cv_waiting = 1;
    for (;;)
        pthread_cond_wait(&cv, &cv_mutex); /* never signalled */
    pthread_cleanup_pop(0);
    return NULL;
}

static void cleanup_a(void *arg) { (void)arg; record('A'); }
static void cleanup_b(void *arg) { (void)arg; record('B'); }

static void *pipe_reader(void *arg)
{
    (void)arg;
    char buf[16];
    pthread_cleanup_push(cleanup_a, NULL);
    pthread_cleanup_push(cleanup_b, NULL);
    atomic_fetch_add(&started, 1);
    for (;;)
        if (read(pipe_fds[0], buf, sizeof buf) >= 0)
            record('X'); /* nobody writes */
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void set_flag(void *arg) { atomic_store((atomic_int *)arg, 1); }

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_cleanup_push(set_flag, &sleep_cleanup);
    atomic_fetch_add(&started, 1);
    struct timespec ts = {100, 0};
    nanosleep(&ts, NULL);
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void *pauser(void *arg)
{
    (void)arg;
    pthread_cleanup_push(set_flag, &pause_cleanup);
    atomic_fetch_add(&started, 1);
    for (;;)
        pause();
    pthread_cleanup_pop(0);
    return (void *)1;
}

static sem_t disabled_go;
static atomic_int disabled_survived;
static void *disabled(void *arg)
{
    (void)arg;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    atomic_fetch_add(&started, 1);
    while (sem_wait(&disabled_go) != 0) /* a cancellation point, but disabled */
        ;
    atomic_store(&disabled_survived, 1);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_testcancel();
    atomic_store(&disabled_survived, 2); /* not reached */
    return NULL;
}

static atomic_long spin_progress;
static void *async_spinner(void *arg)
{
    (void)arg;
    int old;
    pthread_cleanup_push(set_flag, &async_cleanup);
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    volatile unsigned long x = 1;
    for (;;) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        atomic_fetch_add_explicit(&spin_progress, 1, memory_order_relaxed);
    }
    pthread_cleanup_pop(0);
    return NULL;
}

static void *popper(void *arg)
{
    (void)arg;
    pthread_cleanup_push(set_flag, &pop_ran);
    pthread_cleanup_pop(1);
    return (void *)(intptr_t)77;
}

static void wait_started(int n)
{
    while (atomic_load(&started) < n)
        usleep(1000);
    usleep(20000); /* let it reach the blocking call (the result is the same either way) */
}

/* Cancels t, joins it, and describes both results. (Sequenced here: the
 * order in which printf's arguments are evaluated is unspecified.) */
static const char *cancel_join(pthread_t t)
{
    static char buf[64];
    int c = pthread_cancel(t);
    void *ret;
    int r = pthread_join(t, &ret);
    snprintf(buf, sizeof buf, "cancel %d, join %s", c,
             r != 0 ? "failed" : ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "a value");
    return buf;
}

int main(void)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&cv_mutex, &ma);
    if (pipe(pipe_fds) != 0)
        return 1;
    sem_init(&disabled_go, 0, 0);

    /* cond_wait: once main can take the mutex with cv_waiting set, the
     * waiter is inside pthread_cond_wait (it released the mutex there). */
    pthread_t t;
    pthread_create(&t, NULL, cond_waiter, NULL);
    for (;;) {
        pthread_mutex_lock(&cv_mutex);
        int w = cv_waiting;
        pthread_mutex_unlock(&cv_mutex);
        if (w)
            break;
        usleep(1000);
    }
    const char *res = cancel_join(t);
    printf("cond_wait: %s, cleanup unlocked the re-acquired mutex: %s\n", res,
           atomic_load(&cv_cleanup_unlock) == 0 ? "yes" : "no");

    pthread_create(&t, NULL, pipe_reader, NULL);
    wait_started(1);
    res = cancel_join(t);
    order[atomic_load(&order_len)] = 0;
    printf("read: %s, cleanup order %s\n", res, order);

    pthread_create(&t, NULL, sleeper, NULL);
    wait_started(2);
    res = cancel_join(t);
    printf("nanosleep: %s, cleanup ran: %s\n", res, atomic_load(&sleep_cleanup) ? "yes" : "no");

    pthread_create(&t, NULL, pauser, NULL);
    wait_started(3);
    res = cancel_join(t);
    printf("pause: %s, cleanup ran: %s\n", res, atomic_load(&pause_cleanup) ? "yes" : "no");

    pthread_create(&t, NULL, disabled, NULL);
    wait_started(4);
    int c = pthread_cancel(t);
    usleep(20000); /* the pending cancel must not interrupt sem_wait */
    int survived_early = atomic_load(&disabled_survived);
    sem_post(&disabled_go);
    void *dret;
    int dj = pthread_join(t, &dret);
    printf("disabled: cancel %d, still waiting after it: %s, join %s, ran on until testcancel: %s\n", c,
           survived_early == 0 ? "yes" : "no", dj == 0 && dret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "other",
           atomic_load(&disabled_survived) == 1 ? "yes" : "no");

    pthread_create(&t, NULL, async_spinner, NULL);
    while (atomic_load(&spin_progress) < 1000)
        usleep(1000);
    res = cancel_join(t);
    printf("asynchronous: %s, cleanup ran: %s\n", res, atomic_load(&async_cleanup) ? "yes" : "no");

    pthread_create(&t, NULL, popper, NULL);
    void *ret;
    usleep(20000);
    int cr = pthread_cancel(t); /* it has returned already (or does so soon) */
    pthread_join(t, &ret);
    printf("already finished: cancel %d, join value %s, pthread_cleanup_pop(1) ran the handler: %s\n", cr,
           ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : ret == (void *)77 ? "77" : "other",
           atomic_load(&pop_ran) ? "yes" : "no");
    return 0;
}
