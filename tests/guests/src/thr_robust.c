/* thr_robust: robust mutexes (PTHREAD_MUTEX_ROBUST) whose owner thread
 * exits while holding them.
 *  - the owner returns from its start routine holding the mutex: the next
 *    locker gets EOWNERDEAD (and owns the mutex), calls
 *    pthread_mutex_consistent, unlocks, and the mutex works normally again:
 *    4 threads then do 4 x 20000 locked increments, exact
 *  - main is already blocked in pthread_mutex_lock when the owner calls
 *    pthread_exit: it wakes with EOWNERDEAD
 *  - one thread dies holding three robust mutexes (the robust list has three
 *    entries): lock, trylock and timedlock each report EOWNERDEAD
 *  - the next owner unlocks without pthread_mutex_consistent: the mutex is
 *    unrecoverable, later lockers get ENOTRECOVERABLE
 * Whether the kernel (set_robust_list) or glibc (when set_robust_list fails,
 * as under qemu-riscv64, which returns ENOSYS) marks the dead owner, the
 * results are the same. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *err_name(int e)
{
    switch (e) {
    case 0: return "0";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EBUSY: return "EBUSY";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    default: return "other";
    }
}

static void robust_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static pthread_mutex_t m1, m2, m3[3], m4;
static sem_t locked;
static long counter;

static void *die_returning(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    counter = 1000; /* the protected state the next owner must repair */
    return NULL;    /* still holding it */
}

static void *die_exiting(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    sem_post(&locked);
    usleep(30000); /* give main time to block in pthread_mutex_lock */
    pthread_exit(NULL);
}

static void *die_holding_three(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        pthread_mutex_lock(&m3[i]);
    return NULL;
}

static void *incrementer(void *arg)
{
    (void)arg;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        if (pthread_mutex_lock(&m1) != 0)
            bad++;
        counter++;
        pthread_mutex_unlock(&m1);
    }
    return (void *)(intptr_t)bad;
}

int main(void)
{
    pthread_t t;
    robust_init(&m1);
    robust_init(&m2);
    robust_init(&m4);
    for (int i = 0; i < 3; i++)
        robust_init(&m3[i]);
    sem_init(&locked, 0, 0);

    /* 1: owner returns holding it */
    pthread_create(&t, NULL, die_returning, &m1);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&m1);
    printf("owner returned holding the mutex: lock -> %s\n", err_name(r));
    if (r == EOWNERDEAD) {
        counter = 0; /* repair the state */
        printf("pthread_mutex_consistent -> %s\n", err_name(pthread_mutex_consistent(&m1)));
    }
    printf("unlock -> %s", err_name(pthread_mutex_unlock(&m1)));
    printf(", lock again -> %s", err_name(pthread_mutex_lock(&m1)));
    printf(", unlock -> %s\n", err_name(pthread_mutex_unlock(&m1)));
    pthread_t inc[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&inc[i], NULL, incrementer, NULL);
    long bad = 0;
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(inc[i], &ret);
        bad += (long)(intptr_t)ret;
    }
    printf("after recovery: 4 threads x 20000 locked increments -> %ld, failed locks %ld\n", counter, bad);

    /* 2: main blocked in lock while the owner exits */
    pthread_create(&t, NULL, die_exiting, &m2);
    while (sem_wait(&locked) != 0)
        ;
    r = pthread_mutex_lock(&m2);
    printf("blocked locker woken by the owner's pthread_exit: %s", err_name(r));
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(&m2);
    printf(", unlock -> %s\n", err_name(pthread_mutex_unlock(&m2)));
    pthread_join(t, NULL);

    /* 3: three robust mutexes held by one dying thread */
    pthread_create(&t, NULL, die_holding_three, NULL);
    pthread_join(t, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    int r0 = pthread_mutex_lock(&m3[0]);
    int r1 = pthread_mutex_trylock(&m3[1]);
    int r2 = pthread_mutex_timedlock(&m3[2], &ts);
    printf("three held by a dead thread: lock %s, trylock %s, timedlock %s\n", err_name(r0), err_name(r1),
           err_name(r2));
    for (int i = 0; i < 3; i++) {
        pthread_mutex_consistent(&m3[i]);
        pthread_mutex_unlock(&m3[i]);
    }
    printf("after consistent+unlock, trylock of each: %s %s %s\n", err_name(pthread_mutex_trylock(&m3[0])),
           err_name(pthread_mutex_trylock(&m3[1])), err_name(pthread_mutex_trylock(&m3[2])));

    /* 4: not made consistent: unrecoverable */
    pthread_create(&t, NULL, die_returning, &m4);
    pthread_join(t, NULL);
    r = pthread_mutex_lock(&m4);
    printf("not made consistent: lock %s", err_name(r));
    printf(", unlock %s", err_name(pthread_mutex_unlock(&m4)));
    printf(", lock again %s", err_name(pthread_mutex_lock(&m4)));
    printf(", trylock %s\n", err_name(pthread_mutex_trylock(&m4)));
    return 0;
}
