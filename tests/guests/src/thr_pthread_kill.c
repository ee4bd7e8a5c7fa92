/* thr_pthread_kill: thread-directed signals.
 *  - pthread_kill(t, SIGUSR1) to each of 4 threads, thread i getting i+1
 *    signals (one at a time, each acknowledged before the next): every
 *    handler run records the __thread id of the thread it ran on and
 *    compares pthread_self() with the target's pthread_t; each target runs
 *    exactly its own count, and main none
 *  - a thread spinning in a loop (not in a system call) gets the signal
 *    asynchronously: its handler sets a __thread flag the loop is waiting for
 *  - pending is per thread: SIGUSR2 sent with pthread_kill to a thread that
 *    blocks it is pending in that thread (sigpending) but not in main; when
 *    the target unblocks it, the handler runs on the target before
 *    pthread_sigmask returns
 *  - pthread_kill(pthread_self()) and raise() run the handler on the caller
 *    before they return
 *  - a blocked thread-directed signal is taken by sigwait in that thread
 * The signal masks: main blocks SIGUSR1 and SIGUSR2 before creating
 * threads, so the threads start with them blocked and unblock them only in
 * sigsuspend. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NT 4

static __thread int my_id; /* 0 = main, i+1 = worker i */
static __thread volatile sig_atomic_t my_hits, my_spin_flag, my_usr2;
static pthread_t thread_of[NT + 1];
static atomic_int seen_by[NT + 1];
static atomic_int wrong_thread;
static atomic_int usr2_seen_by = -1;

static void usr1_handler(int sig)
{
    (void)sig;
    int id = my_id;
    if (id < 0 || id > NT || !pthread_equal(pthread_self(), thread_of[id]))
        atomic_fetch_add(&wrong_thread, 1);
    else
        atomic_fetch_add(&seen_by[id], 1);
    my_hits++;
    my_spin_flag = 1;
}

static void usr2_handler(int sig)
{
    (void)sig;
    my_usr2 = 1;
    atomic_store(&usr2_seen_by, my_id);
}

static void *waiter(void *arg)
{
    my_id = (int)(intptr_t)arg;
    sigset_t none;
    sigemptyset(&none);
    /* SIGUSR1 is blocked except inside sigsuspend: no signal is lost
     * between the check and the wait */
    while (my_hits < my_id)
        sigsuspend(&none);
    return (void *)(intptr_t)my_hits;
}

static atomic_int spinner_started;
static void *spinner(void *arg)
{
    my_id = (int)(intptr_t)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    atomic_store(&spinner_started, 1);
    while (!my_spin_flag)
        ;
    return (void *)(intptr_t)(my_hits == 1);
}

static pthread_barrier_t pend_bar;
static atomic_int pending_here, handled_in_unblock;
static void *pending_target(void *arg)
{
    my_id = (int)(intptr_t)arg;
    pthread_barrier_wait(&pend_bar); /* ready */
    pthread_barrier_wait(&pend_bar); /* main has sent SIGUSR2 */
    sigset_t pend, usr2;
    sigpending(&pend);
    atomic_store(&pending_here, sigismember(&pend, SIGUSR2));
    pthread_barrier_wait(&pend_bar); /* main checks its own pending set */
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
    atomic_store(&handled_in_unblock, my_usr2 == 1);
    return NULL;
}

static atomic_int sigwait_ok;
static void *sigwaiter(void *arg)
{
    my_id = (int)(intptr_t)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sig = 0;
    pthread_barrier_wait(&pend_bar);
    int r = sigwait(&set, &sig);
    atomic_store(&sigwait_ok, r == 0 && sig == SIGUSR1 && my_hits == 0);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1_handler;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = usr2_handler;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &both, NULL);
    my_id = 0;
    thread_of[0] = pthread_self();

    /* 1: pthread_kill to each waiting thread, i+1 times */
    pthread_t t[NT];
    for (int i = 0; i < NT; i++) {
        pthread_create(&t[i], NULL, waiter, (void *)(intptr_t)(i + 1));
        thread_of[i + 1] = t[i];
    }
    int sends = 0, send_errors = 0;
    for (int i = 0; i < NT; i++)
        for (int k = 0; k <= i; k++) {
            int before = atomic_load(&seen_by[i + 1]);
            if (pthread_kill(t[i], SIGUSR1) != 0)
                send_errors++;
            sends++;
            /* wait for delivery: standard signals do not queue */
            while (atomic_load(&seen_by[i + 1]) == before && atomic_load(&wrong_thread) == 0)
                usleep(200);
        }
    long hits = 0;
    for (int i = 0; i < NT; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        hits += (long)(intptr_t)ret;
    }
    printf("pthread_kill: %d sent, %d errors; handler runs by thread: main %d", sends, send_errors,
           atomic_load(&seen_by[0]));
    for (int i = 1; i <= NT; i++)
        printf(", t%d %d", i, atomic_load(&seen_by[i]));
    printf("\n");
    printf("pthread_kill: handler ran on a thread other than the target: %d time(s); targets counted %ld\n",
           atomic_load(&wrong_thread), hits);

    /* 2: a spinning thread */
    pthread_t sp;
    pthread_create(&sp, NULL, spinner, (void *)(intptr_t)1);
    thread_of[1] = sp;
    while (!atomic_load(&spinner_started))
        usleep(200);
    usleep(5000);
    pthread_kill(sp, SIGUSR1);
    void *sret;
    pthread_join(sp, &sret);
    printf("spinning thread: interrupted by its handler, one run: %s; wrong thread %d\n",
           (intptr_t)sret == 1 ? "yes" : "no", atomic_load(&wrong_thread));

    /* 3: per-thread pending set */
    pthread_barrier_init(&pend_bar, NULL, 2);
    pthread_t pt;
    pthread_create(&pt, NULL, pending_target, (void *)(intptr_t)2);
    thread_of[2] = pt;
    pthread_barrier_wait(&pend_bar);
    pthread_kill(pt, SIGUSR2);
    pthread_barrier_wait(&pend_bar);
    sigset_t mine;
    pthread_barrier_wait(&pend_bar);
    sigpending(&mine);
    int main_pending = sigismember(&mine, SIGUSR2);
    pthread_join(pt, NULL);
    printf("pending SIGUSR2: in the target %s, in main %s; handler ran on the target when it unblocked: %s (on t%d)\n",
           atomic_load(&pending_here) ? "yes" : "no", main_pending ? "yes" : "no",
           atomic_load(&handled_in_unblock) ? "yes" : "no", atomic_load(&usr2_seen_by));

    /* 4: sigwait takes a thread-directed signal in its target */
    pthread_t sw;
    pthread_create(&sw, NULL, sigwaiter, (void *)(intptr_t)3);
    thread_of[3] = sw;
    pthread_barrier_wait(&pend_bar);
    pthread_kill(sw, SIGUSR1);
    pthread_join(sw, NULL);
    printf("sigwait in the target thread got SIGUSR1 (no handler run): %s\n", atomic_load(&sigwait_ok) ? "yes" : "no");

    /* 5: to oneself: delivered before pthread_kill / raise return */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    my_hits = 0;
    pthread_kill(pthread_self(), SIGUSR1);
    int after_kill = my_hits;
    raise(SIGUSR1);
    int after_raise = my_hits;
    printf("to itself: handled before pthread_kill returned: %s, before raise returned: %s; main's runs %d\n",
           after_kill == 1 ? "yes" : "no", after_raise == 2 ? "yes" : "no", atomic_load(&seen_by[0]));
    printf("handler ran on a thread other than the target: %d time(s) in all\n", atomic_load(&wrong_thread));
    return 0;
}
