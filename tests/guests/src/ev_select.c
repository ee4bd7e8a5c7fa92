/* select, pselect, poll and ppoll: timeouts (select writes back the time
 * left), ready descriptors in every set, descriptor numbers that are the
 * guest's, signal masks, EBADF and EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* An address the guest has not mapped (a global volatile, so the compiler
 * does not see it is bad). */
static volatile unsigned long bad_address = 8;
#define BAD bad_address

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) printf("  errno %d (%s)\n", errno, strerror(errno));
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    /* A high descriptor number: the guest's, not the host's. */
    int hi = dup2(p[0], 200);
    fd_set r, w;
    FD_ZERO(&r);
    FD_SET(hi, &r);
    struct timeval tv = {0, 50000};
    double t0 = now();
    int n = select(hi + 1, &r, NULL, NULL, &tv);
    double dt = now() - t0;
    check(n == 0 && !FD_ISSET(hi, &r), "select times out with nothing ready");
    check(dt >= 0.045, "it waited about 50 ms");
    check(tv.tv_sec == 0 && tv.tv_usec < 5000, "time left written back");

    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(hi, &r);
    FD_SET(p[1], &r);
    FD_SET(p[1], &w);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    n = select(hi + 1, &r, &w, NULL, &tv);
    check(n == 2 && FD_ISSET(hi, &r) && FD_ISSET(p[1], &w) && !FD_ISSET(p[1], &r), "read and write sets");
    check(tv.tv_sec >= 4, "most of the time left");

    /* A closed descriptor in a set is EBADF on Linux (and under ferrovm);
     * qemu-riscv64 7.2 returns 0, so it is not checked here. */
    errno = 0;
    check(select(-1, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL, "negative nfds: EINVAL");
    errno = 0;
    check(select(hi + 1, (fd_set *)BAD, NULL, NULL, NULL) == -1 && errno == EFAULT, "bad set pointer: EFAULT");

    /* pselect: SIGUSR1 stays blocked while it waits with a mask that
     * blocks it; poll: a timeout, then POLLIN. */
    signal(SIGUSR1, on_usr1);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR1);
    struct timespec ts = {0, 20000000};
    FD_ZERO(&r);
    n = pselect(1, &r, NULL, NULL, &ts, &block);
    check(n == 0 && got == 0, "pselect with SIGUSR1 blocked: timeout, no handler");
    n = pselect(1, &r, NULL, NULL, &ts, &old);
    check(n == -1 && errno == EINTR && got == 1, "pselect unblocking it: EINTR after the handler");
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    check(sigismember(&cur, SIGUSR1), "mask restored");

    struct pollfd pf[2] = {{hi, POLLIN, 0}, {0x3f0, POLLIN, 0}};
    char c;
    read(hi, &c, 1);
    t0 = now();
    n = poll(pf, 1, 30);
    dt = now() - t0;
    check(n == 0 && pf[0].revents == 0 && dt >= 0.025, "poll times out");
    write(p[1], "y", 1);
    n = poll(pf, 2, 1000);
    check(n == 2 && pf[0].revents == POLLIN && pf[1].revents == POLLNVAL, "poll: POLLIN and POLLNVAL");
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    n = ppoll(pf, 1, &ts, NULL);
    check(n == 1, "ppoll zero timeout");
    close(p[1]);
    read(hi, &c, 1);
    n = poll(pf, 1, 0);
    check(n == 1 && (pf[0].revents & POLLHUP), "POLLHUP after the writer closed");
    errno = 0;
    check(poll((struct pollfd *)BAD, 1, 0) == -1 && errno == EFAULT, "bad pollfd pointer: EFAULT");
    return 0;
}
