/* thr_proc: what a process can learn about its threads. With three threads
 * parked on a barrier: /proc/self/task lists exactly the four threads (by
 * tid, as gettid() returns them), each thread's name set with
 * pthread_setname_np (prctl PR_SET_NAME) shows in /proc/self/task/TID/comm
 * and comes back from pthread_getname_np, tids differ from the pid except
 * the main thread's, sched_getaffinity/pthread_setaffinity_np work per
 * thread, and sched_yield returns 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 3

static pthread_barrier_t parked, done;
static pid_t tids[N + 1];

static void *worker(void *arg)
{
    long i = (long)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", i);
    pthread_setname_np(pthread_self(), name);
    tids[i] = gettid();
    pthread_barrier_wait(&parked);
    pthread_barrier_wait(&done);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    pthread_barrier_init(&parked, NULL, N + 1);
    pthread_barrier_init(&done, NULL, N + 1);
    pthread_setname_np(pthread_self(), "main-thread");
    tids[0] = gettid();
    pthread_t t[N];
    for (long i = 1; i <= N; i++)
        pthread_create(&t[i - 1], NULL, worker, (void *)i);
    pthread_barrier_wait(&parked);

    printf("main tid == pid: %s\n", tids[0] == getpid() ? "yes" : "no");
    int distinct = 1;
    for (int i = 1; i <= N; i++)
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j];
    printf("thread tids distinct and not the pid: %s\n", distinct ? "yes" : "no");

    DIR *d = opendir("/proc/self/task");
    int listed = 0, known = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        listed++;
        pid_t tid = atoi(e->d_name);
        for (int i = 0; i <= N; i++)
            known += tid == tids[i];
    }
    if (d)
        closedir(d);
    printf("/proc/self/task lists %d threads, %d of them ours\n", listed, known);

    char *names[N + 1];
    for (int i = 0; i <= N; i++) {
        char path[64], buf[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[i]);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(buf, sizeof buf, f))
                buf[0] = 0;
            fclose(f);
        }
        buf[strcspn(buf, "\n")] = 0;
        names[i] = strdup(buf);
    }
    qsort(names, N + 1, sizeof names[0], cmp);
    printf("comm:");
    for (int i = 0; i <= N; i++)
        printf(" %s", names[i]);
    printf("\n");

    char got[16];
    pthread_getname_np(t[0], got, sizeof got);
    printf("pthread_getname_np: %s\n", got);

    cpu_set_t set;
    CPU_ZERO(&set);
    int aff = sched_getaffinity(0, sizeof set, &set);
    int cpus = CPU_COUNT(&set);
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) {
            CPU_SET(c, &one);
            break;
        }
    int set_r = pthread_setaffinity_np(t[1], sizeof one, &one);
    cpu_set_t back;
    CPU_ZERO(&back);
    int get_r = pthread_getaffinity_np(t[1], sizeof back, &back);
    printf("affinity: get %d (cpus > 0: %s), pin a thread %d, read back %d (one cpu: %s)\n", aff,
           cpus > 0 ? "yes" : "no", set_r, get_r, CPU_COUNT(&back) == 1 ? "yes" : "no");
    printf("sched_yield: %d\n", sched_yield());

    pthread_barrier_wait(&done);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    return 0;
}
