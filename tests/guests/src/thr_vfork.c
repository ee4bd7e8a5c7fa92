// vfork while another thread writes next to the bytes the child writes:
// the child's writes reach the parent (vfork shares memory) and the other
// thread's writes to the same page are not undone when the child exits.
// ferrovm's vfork child is a forked host process whose changes go back to
// the parent at its exit or execve; copying back whole pages put the
// writer's counter (and, in Python, heap and lock words) back to the value
// it had at the fork: test_subprocess's test_double_close_on_error hung or
// crashed. The writer also checks a mutex it takes and releases on the
// same page.
// oracle-native: qemu-riscv64 7.2 runs vfork as fork (the child's write
// never reaches the parent).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20

// One page: the writer's counter and mutex, and the child's word.
static struct {
    _Alignas(4096) volatile long counter;
    pthread_mutex_t lock;
    volatile long locked_count;
    char pad[128];
    volatile int child_wrote;
} page = { .lock = PTHREAD_MUTEX_INITIALIZER };

static atomic_int stop, regressions, started;

static void *writer(void *arg) {
    long mine = 0;
    atomic_store(&started, 1);
    while (!atomic_load(&stop)) {
        if (page.counter != mine)
            atomic_fetch_add(&regressions, 1);
        page.counter = ++mine;
        pthread_mutex_lock(&page.lock);
        page.locked_count++;
        pthread_mutex_unlock(&page.lock);
    }
    return NULL;
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, writer, NULL) != 0) {
        puts("pthread_create failed");
        return 1;
    }
    while (!atomic_load(&started))
        sched_yield();
    int seen = 0;
    for (int i = 1; i <= ROUNDS; i++) {
        pid_t pid = vfork();
        if (pid == 0) {
            // The writer runs on in the parent meanwhile.
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            page.child_wrote = i;
            _exit(0);
        }
        int status = -1;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
            puts("vfork child failed");
            return 1;
        }
        seen += page.child_wrote == i;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    // The mutex is free and usable: not put back to a locked state.
    int relock = pthread_mutex_trylock(&page.lock);
    printf("child writes seen: %d of %d\n", seen, ROUNDS);
    printf("counter went back: %s\n", atomic_load(&regressions) ? "yes" : "no");
    printf("mutex free after: %s\n", relock == 0 ? "yes" : "no");
    return 0;
}
