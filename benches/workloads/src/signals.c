/* Signals: (1) a SIGSEGV handler that recovers with siglongjmp, in a loop:
 * every iteration stores to a PROT_NONE page, the handler jumps back, and
 * the loop goes on (the fault path of a translator: a host fault mapped to
 * a precise guest pc, a guest signal frame, sigreturn-free siglongjmp);
 * (2) signal ping-pong between two processes: the parent sends SIGUSR1, the
 * child answers SIGUSR2, each waiting in sigsuspend (delivery, handlers,
 * rt_sigreturn, kill across processes).
 * SIZE = thousands of faults; the ping-pong does SIZE/4 thousand rounds. */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static sigjmp_buf env;
static volatile sig_atomic_t faults_seen, pings, pongs;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    faults_seen += (si->si_code == SEGV_ACCERR || si->si_code == SEGV_MAPERR);
    siglongjmp(env, 1);
}

static uint64_t segv_loop(long n)
{
    unsigned char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    uint64_t h = 0;
    volatile long recovered = 0;
    for (long i = 0; i < n; i++) {
        if (sigsetjmp(env, 1) == 0) {
            page[(i * 64) & 4095] = (unsigned char)i;  /* faults */
            h = mix64(h, 0xdead);                       /* never reached */
        } else {
            recovered++;
            h = mix64(h, (uint64_t)i);
        }
    }
    signal(SIGSEGV, SIG_DFL);
    munmap(page, 4096);
    bench_result("signals", "segv_recovered", (uint64_t)recovered + (uint64_t)faults_seen);
    return h;
}

static void on_ping(int sig) { (void)sig; pings++; }
static void on_pong(int sig) { (void)sig; pongs++; }

static uint64_t ping_pong(long rounds)
{
    sigset_t block, wait;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &wait);
    sigdelset(&wait, SIGUSR1);
    sigdelset(&wait, SIGUSR2);
    signal(SIGUSR1, on_ping);
    signal(SIGUSR2, on_pong);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        exit(1);
    }
    if (child == 0) {
        /* Answer every ping with a pong. */
        pid_t parent = getppid();
        for (long i = 0; i < rounds; i++) {
            while (pings <= i)
                sigsuspend(&wait);
            kill(parent, SIGUSR2);
        }
        _exit(pings == rounds ? 0 : 3);
    }
    for (long i = 0; i < rounds; i++) {
        kill(child, SIGUSR1);
        while (pongs <= i)
            sigsuspend(&wait);
    }
    int status = 0;
    waitpid(child, &status, 0);
    bench_result("signals", "ping_pong", ((uint64_t)pongs << 8) | (uint64_t)(WIFEXITED(status) ? WEXITSTATUS(status) : 255));
    return (uint64_t)pongs;
}

int main(int argc, char **argv)
{
    long k = bench_size(argc, argv, 100);
    uint64_t h = segv_loop(k * 1000);
    bench_result("signals", "segv_checksum", h);
    ping_pong(k * 250);
    return 0;
}
