/* thr_eintr: a blocking read() on an empty pipe and SIGALRM, with and
 * without SA_RESTART, first in a single-threaded process, then with
 * threads, where the process-directed SIGALRM must go to a thread that does
 * not block it.
 * The alarm is a repeating ITIMER_REAL (every 10 ms; alarm() counts whole
 * seconds, too slow here), so at least one SIGALRM arrives while read() is
 * blocked however the threads are scheduled.
 * Single-threaded:
 *  - no SA_RESTART: read returns -1/EINTR
 *  - SA_RESTART: read is restarted transparently; the third handler run
 *    writes to the pipe and read returns that data
 *  - nanosleep returns EINTR even with SA_RESTART (signal(7))
 * Threaded (a helper thread blocks SIGALRM, main reads):
 *  - no SA_RESTART: main's read returns EINTR; every handler run was on main
 *  - SA_RESTART: the handler posts a semaphore; the helper waits for three
 *    posts and writes to the pipe; main's restarted read returns its data
 * Threaded the other way round (main blocks SIGALRM and waits in
 * pthread_join or sem_wait, a worker unblocks SIGALRM and reads):
 *  - no SA_RESTART: the worker's read returns EINTR, handler on the worker
 *  - SA_RESTART: main writes after three handler runs; the worker's read
 *    returns the data
 * Only outcomes are printed, never how many alarms fired. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static atomic_int alarms;
static atomic_int off_target; /* handler runs on a thread other than `target` */
static pthread_t target;
static int write_on_third; /* single-threaded restart test: the handler writes */
static sem_t ticks;
static int post_ticks;

static void on_alarm(int sig)
{
    (void)sig;
    int n = atomic_fetch_add(&alarms, 1) + 1;
    if (!pthread_equal(pthread_self(), target))
        atomic_fetch_add(&off_target, 1);
    if (write_on_third && n == 3) {
        static const char msg[] = "from-the-handler";
        if (write(fds[1], msg, sizeof msg - 1) < 0)
            atomic_fetch_add(&off_target, 1000);
    }
    if (post_ticks)
        sem_post(&ticks);
}

static void install(int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
}

static void timer(int on)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    if (on) {
        it.it_value.tv_usec = 10000;
        it.it_interval.tv_usec = 10000;
    }
    setitimer(ITIMER_REAL, &it, NULL);
}

static void reset(void)
{
    timer(0);
    atomic_store(&alarms, 0);
    atomic_store(&off_target, 0);
    write_on_third = 0;
    post_ticks = 0;
}

/* read with the timer running; returns a description */
static const char *timed_read(char *buf, size_t n, ssize_t *got, int *err)
{
    timer(1);
    errno = 0;
    *got = read(fds[0], buf, n);
    *err = errno;
    timer(0);
    if (*got < 0)
        return *err == EINTR ? "-1 EINTR" : "-1 other error";
    buf[*got] = 0;
    return "data";
}

static void block_alarm(int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(how, &s, NULL);
}

static sem_t helper_go, helper_done;
static void *helper(void *arg)
{
    int write_after_ticks = (int)(intptr_t)arg;
    block_alarm(SIG_BLOCK);
    sem_post(&helper_done); /* SIGALRM is blocked here now */
    if (write_after_ticks) {
        for (int i = 0; i < 3; i++)
            while (sem_wait(&ticks) != 0)
                ;
        static const char msg[] = "from-the-helper";
        if (write(fds[1], msg, sizeof msg - 1) < 0)
            return (void *)1;
    } else {
        while (sem_wait(&helper_go) != 0)
            ;
    }
    return NULL;
}

struct worker_result {
    ssize_t got;
    int err;
    char buf[64];
    const char *what;
};

static void *reader(void *arg)
{
    struct worker_result *r = arg;
    target = pthread_self(); /* before the timer starts */
    block_alarm(SIG_UNBLOCK); /* it inherited main's mask, which blocks SIGALRM */
    r->what = timed_read(r->buf, sizeof r->buf - 1, &r->got, &r->err);
    return NULL;
}

/* If a SIGALRM is left pending after the timer is off, take it now. */
static void drain(void)
{
    sigset_t pend;
    sigpending(&pend);
    if (sigismember(&pend, SIGALRM)) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGALRM);
        int sig;
        sigwait(&s, &sig);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe(fds) != 0)
        return 1;
    sem_init(&ticks, 0, 0);
    sem_init(&helper_go, 0, 0);
    sem_init(&helper_done, 0, 0);
    char buf[64];
    ssize_t got;
    int err;
    target = pthread_self();

    /* single-threaded, no SA_RESTART */
    reset();
    install(0);
    const char *what = timed_read(buf, sizeof buf - 1, &got, &err);
    printf("single thread, no SA_RESTART: read -> %s; handler ran: %s\n", what, alarms > 0 ? "yes" : "no");

    /* single-threaded, SA_RESTART: the third run of the handler writes */
    reset();
    install(1);
    write_on_third = 1;
    what = timed_read(buf, sizeof buf - 1, &got, &err);
    printf("single thread, SA_RESTART: read -> %s \"%s\" (%zd bytes); handler runs before the data: 3 or more: %s\n",
           what, got > 0 ? buf : "", got, alarms >= 3 ? "yes" : "no");

    /* nanosleep is not restarted even with SA_RESTART */
    reset();
    install(1);
    timer(1);
    struct timespec ts = {5, 0}, rem = {0, 0};
    int r = nanosleep(&ts, &rem);
    err = errno;
    timer(0);
    printf("single thread, SA_RESTART: nanosleep(5 s) -> %d %s, remaining time reported: %s\n", r,
           r < 0 && err == EINTR ? "EINTR" : "other", rem.tv_sec > 0 || rem.tv_nsec > 0 ? "yes" : "no");

    /* threads: the helper blocks SIGALRM, main reads, no SA_RESTART */
    reset();
    install(0);
    pthread_t h;
    pthread_create(&h, NULL, helper, (void *)0);
    while (sem_wait(&helper_done) != 0)
        ;
    what = timed_read(buf, sizeof buf - 1, &got, &err);
    sem_post(&helper_go);
    pthread_join(h, NULL);
    printf("helper blocks SIGALRM, no SA_RESTART: main's read -> %s; every handler run on main: %s\n", what,
           alarms > 0 && off_target == 0 ? "yes" : "no");

    /* threads: the helper blocks SIGALRM and writes after three alarms */
    reset();
    install(1);
    post_ticks = 1;
    pthread_create(&h, NULL, helper, (void *)1);
    while (sem_wait(&helper_done) != 0)
        ;
    what = timed_read(buf, sizeof buf - 1, &got, &err);
    void *hret;
    pthread_join(h, &hret);
    printf("helper blocks SIGALRM, SA_RESTART: main's read -> %s \"%s\"; every handler run on main: %s\n", what,
           got > 0 ? buf : "", alarms >= 3 && off_target == 0 && hret == NULL ? "yes" : "no");
    while (sem_trywait(&ticks) == 0)
        ;

    /* the other way round: main blocks SIGALRM, a worker reads */
    reset();
    install(0);
    block_alarm(SIG_BLOCK);
    struct worker_result wr;
    pthread_t w;
    pthread_create(&w, NULL, reader, &wr);
    pthread_join(w, NULL);
    drain();
    printf("main blocks SIGALRM, no SA_RESTART: the worker's read -> %s; every handler run on the worker: %s\n",
           wr.what, alarms > 0 && off_target == 0 ? "yes" : "no");

    reset();
    install(1);
    post_ticks = 1;
    memset(&wr, 0, sizeof wr);
    pthread_create(&w, NULL, reader, &wr);
    for (int i = 0; i < 3; i++)
        while (sem_wait(&ticks) != 0)
            ;
    static const char msg[] = "from-main";
    if (write(fds[1], msg, sizeof msg - 1) < 0)
        return 1;
    pthread_join(w, NULL);
    drain();
    printf("main blocks SIGALRM, SA_RESTART: the worker's read -> %s \"%s\"; every handler run on the worker: %s\n",
           wr.what, wr.got > 0 ? wr.buf : "", alarms >= 3 && off_target == 0 ? "yes" : "no");
    return 0;
}
