/* thr_fork: fork in a multi-threaded process. While two spinner threads
 * keep incrementing a shared counter and a holder thread sits (blocked in
 * read on a pipe) holding a mutex:
 *  - fork from main: in the child only the forking thread exists. Its tid
 *    is the child's pid; the spinners' counter is frozen (it does not move
 *    while the child creates, runs and joins two threads of its own, which
 *    do 2 x 10000 increments under a fresh mutex); the holder's mutex stays
 *    locked (trylock: EBUSY) since its owner does not exist in the child;
 *    malloc and stdio work; pthread_atfork's prepare and child handlers ran
 *    once. The child exits with 42 (exit(), so its stdout is flushed)
 *  - fork from a secondary thread while main waits in pthread_join: the
 *    child's only thread is that secondary thread (its __thread value, not
 *    main's; tid == pid); it creates and joins a thread and exits with 43
 *  - in the parent, the spinners kept running across both forks, the
 *    atfork parent handler ran twice, and everything shuts down cleanly
 * The parent prints only after waitpid, so the output order is fixed.
 *
 * qemu-riscv64 7.2 bug worked around here: a forked child keeps the
 * parent's vCPU indices in qemu's plugin table (its fork_end drops the
 * other vCPUs from the CPU list without the plugin exit hook), and a new
 * thread's vCPU takes index max(live)+1; when that index belonged to a
 * parent thread still alive at the fork, qemu aborts with "assertion failed:
 * (success)" in qemu_plugin_vcpu_init_hook. So the parent first starts two
 * short-lived threads (vCPUs 1 and 2) and ends them only after the
 * spinners and the holder (3, 4, 5) are running: at the first fork indices
 * 1 and 2 are free for the child's two threads, and the forking secondary
 * thread (6) has the highest index, so its child's threads get 7 and 8.
 * Linux (and any emulator without that bug) does not care about the order. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_long spin_count;
static atomic_int stop;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t holder_ready;
static int holder_pipe[2];
static __thread int who = -1;
static atomic_int prepare_runs, parent_runs, child_runs;

static void at_prepare(void) { atomic_fetch_add(&prepare_runs, 1); }
static void at_parent(void) { atomic_fetch_add(&parent_runs, 1); }
static void at_child(void) { atomic_fetch_add(&child_runs, 1); }

static void *spinner(void *arg)
{
    who = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        atomic_fetch_add_explicit(&spin_count, 1, memory_order_relaxed);
    return NULL;
}

static void *holder(void *arg)
{
    (void)arg;
    who = 3;
    pthread_mutex_lock(&held);
    sem_post(&holder_ready);
    char c;
    while (read(holder_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    pthread_mutex_unlock(&held);
    return NULL;
}

/* started first, ended once the others run (see the qemu note at the top) */
static sem_t early_go;
static void *early_thread(void *arg)
{
    while (sem_wait(&early_go) != 0)
        ;
    return arg;
}

/* ---- what a child does ---- */
static pthread_mutex_t child_lock = PTHREAD_MUTEX_INITIALIZER;
static long child_counter;

static void *child_thread(void *arg)
{
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&child_lock);
        child_counter++;
        pthread_mutex_unlock(&child_lock);
    }
    return arg;
}

static void child_checks(const char *name)
{
    long frozen = atomic_load(&spin_count);
    pid_t tid = (pid_t)syscall(SYS_gettid);
    printf("%s: tid == pid: %s; __thread who = %d\n", name, tid == getpid() ? "yes" : "no", who);
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, child_thread, (void *)(intptr_t)(i + 1));
    long rets = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        rets += (long)(intptr_t)r;
    }
    usleep(10000);
    printf("%s: own threads: counter %ld, join values %ld; spinners' counter frozen: %s\n", name, child_counter, rets,
           atomic_load(&spin_count) == frozen ? "yes" : "no");
    int tr = pthread_mutex_trylock(&held);
    printf("%s: mutex held by the parent's holder thread: trylock %s\n", name, tr == EBUSY ? "EBUSY" : "acquired");
    char *p = malloc(100000);
    snprintf(p, 100000, "%s", "malloc works");
    printf("%s: %s; atfork prepare %d, child %d, parent %d\n", name, p, atomic_load(&prepare_runs),
           atomic_load(&child_runs), atomic_load(&parent_runs));
    free(p);
}

static void report(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("parent: %s exited with %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("parent: %s killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("parent: %s: status %#x\n", what, status);
}

static void *forking_thread(void *arg)
{
    (void)arg;
    who = 7;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child_checks("child of a secondary thread");
        exit(43);
    }
    int status = 0;
    pid_t w = waitpid(pid, &status, 0);
    return (void *)(intptr_t)(w == pid ? status : -1);
}

static long wait_for_progress(long from)
{
    while (atomic_load(&spin_count) < from + 1000)
        usleep(1000);
    return atomic_load(&spin_count);
}

int main(void)
{
    who = 0;
    pthread_atfork(at_prepare, at_parent, at_child);
    sem_init(&holder_ready, 0, 0);
    if (pipe(holder_pipe) != 0)
        return 1;
    pthread_t early[2], spinners[2], hold;
    sem_init(&early_go, 0, 0);
    for (int i = 0; i < 2; i++)
        pthread_create(&early[i], NULL, early_thread, NULL);
    for (long i = 0; i < 2; i++)
        pthread_create(&spinners[i], NULL, spinner, (void *)(intptr_t)(i + 1));
    pthread_create(&hold, NULL, holder, NULL);
    while (sem_wait(&holder_ready) != 0)
        ;
    /* A post wakes whichever early thread is waiting: post both, then
     * join both (joining early[i] after each post would wait forever when
     * the first post woke early[1]). */
    for (int i = 0; i < 2; i++)
        sem_post(&early_go);
    for (int i = 0; i < 2; i++)
        pthread_join(early[i], NULL);
    long seen = wait_for_progress(0);
    printf("parent: 2 spinners running, holder holds the mutex\n");
    fflush(stdout);

    pid_t pid = fork();
    if (pid == 0) {
        child_checks("child of main");
        exit(42);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    report("child of main", status);
    seen = wait_for_progress(seen);
    printf("parent: spinners still running after the fork: yes\n");

    pthread_t f;
    pthread_create(&f, NULL, forking_thread, NULL);
    void *fret;
    pthread_join(f, &fret);
    report("child of a secondary thread", (int)(intptr_t)fret);
    wait_for_progress(seen);
    printf("parent: spinners still running after the second fork: yes\n");

    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(spinners[i], NULL);
    if (write(holder_pipe[1], "x", 1) != 1)
        return 1;
    pthread_join(hold, NULL);
    int tr = pthread_mutex_trylock(&held);
    printf("parent: holder released the mutex: %s; atfork prepare %d, parent %d, child %d; main's who = %d\n",
           tr == 0 ? "yes" : "no", atomic_load(&prepare_runs), atomic_load(&parent_runs), atomic_load(&child_runs),
           who);
    return 0;
}
