/* An epoll event loop over a timerfd, an eventfd and a pipe: level and
 * edge triggering, EPOLLONESHOT, EPOLL_CTL_MOD/DEL, 64-bit user data
 * (riscv64's struct epoll_event is 16 bytes, x86-64's is packed),
 * timeouts, epoll_pwait with a signal mask, and bad arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMER 0x1111111122222222ull
#define EVENT 0x3333333344444444ull
#define PIPE 0x5555555566666666ull

/* An address the guest has not mapped (a global volatile, so the compiler
 * does not see it is bad). */
static volatile unsigned long bad_address = 8;
#define BAD bad_address

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) printf("  errno %d (%s)\n", errno, strerror(errno));
}

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

static const char *name(uint64_t d) {
    return d == TIMER ? "timer" : d == EVENT ? "eventfd" : d == PIPE ? "pipe" : "???";
}

static int wait_print(int ep, int ms) {
    struct epoll_event ev[8];
    memset(ev, 0xa5, sizeof ev);
    int n = epoll_wait(ep, ev, 8, ms);
    printf("  epoll_wait(%d ms) = %d:", ms, n);
    for (int i = 0; i < n; i++) printf(" %s%s%s", name(ev[i].data.u64), ev[i].events & EPOLLIN ? "/in" : "",
                                       ev[i].events & EPOLLHUP ? "/hup" : "");
    printf("\n");
    return n;
}

static int add(int ep, int fd, uint32_t events, uint64_t data, int op) {
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, op, fd, &e);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int p[2];
    pipe2(p, O_CLOEXEC);
    check(ep >= 0 && tfd >= 0 && efd >= 0, "created");
    check(add(ep, tfd, EPOLLIN, TIMER, EPOLL_CTL_ADD) == 0, "add timerfd");
    check(add(ep, efd, EPOLLIN, EVENT, EPOLL_CTL_ADD) == 0, "add eventfd");
    check(add(ep, p[0], EPOLLIN | EPOLLET, PIPE, EPOLL_CTL_ADD) == 0, "add pipe (edge-triggered)");
    errno = 0;
    check(add(ep, efd, EPOLLIN, EVENT, EPOLL_CTL_ADD) == -1 && errno == EEXIST, "add twice: EEXIST");

    printf("nothing ready:\n");
    wait_print(ep, 0);
    wait_print(ep, 30);

    printf("eventfd written twice:\n");
    uint64_t v = 5;
    write(efd, &v, 8);
    v = 7;
    write(efd, &v, 8);
    wait_print(ep, -1);
    read(efd, &v, 8);
    printf("  eventfd counter %llu\n", (unsigned long long)v);
    wait_print(ep, 0);

    printf("pipe, edge-triggered:\n");
    write(p[1], "abc", 3);
    wait_print(ep, -1);
    wait_print(ep, 0); /* no new edge */
    write(p[1], "d", 1);
    wait_print(ep, -1);
    char buf[8];
    printf("  read %zd\n", read(p[0], buf, sizeof buf));

    printf("timerfd, 20 ms then every 10 ms:\n");
    struct itimerspec its = {{0, 10000000}, {0, 20000000}}, cur;
    check(timerfd_settime(tfd, 0, &its, NULL) == 0, "timerfd_settime");
    check(timerfd_gettime(tfd, &cur) == 0 && cur.it_interval.tv_nsec == 10000000 && cur.it_value.tv_sec == 0 &&
              cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000,
          "timerfd_gettime");
    uint64_t total = 0;
    while (total < 3) {
        struct epoll_event e;
        if (epoll_wait(ep, &e, 1, 1000) != 1 || e.data.u64 != TIMER) break;
        uint64_t exp;
        if (read(tfd, &exp, 8) == 8) total += exp;
    }
    printf("  at least 3 expirations: %s\n", total >= 3 ? "yes" : "no");
    struct itimerspec off = {{0, 0}, {0, 0}};
    check(timerfd_settime(tfd, 0, &off, &cur) == 0 && cur.it_interval.tv_nsec == 10000000, "disarm, old value");
    read(tfd, &v, 8);
    errno = 0;
    check(read(tfd, &v, 8) == -1 && errno == EAGAIN, "disarmed timerfd: EAGAIN");

    printf("oneshot and modify:\n");
    check(add(ep, efd, EPOLLIN | EPOLLONESHOT, EVENT, EPOLL_CTL_MOD) == 0, "EPOLL_CTL_MOD oneshot");
    v = 1;
    write(efd, &v, 8);
    wait_print(ep, 0);
    wait_print(ep, 0); /* disabled after one */
    check(add(ep, efd, EPOLLIN, EVENT, EPOLL_CTL_MOD) == 0, "re-arm");
    wait_print(ep, 0);
    check(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL) == 0, "EPOLL_CTL_DEL");
    wait_print(ep, 0);

    printf("hang-up from a child (level-triggered):\n");
    check(add(ep, p[0], EPOLLIN, PIPE, EPOLL_CTL_MOD) == 0, "EPOLL_CTL_MOD to level-triggered");
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        write(p[1], "x", 1);
        _exit(0);
    }
    close(p[1]);
    struct epoll_event e1;
    check(epoll_wait(ep, &e1, 1, 5000) == 1 && e1.data.u64 == PIPE && (e1.events & EPOLLIN), "readable");
    read(p[0], buf, sizeof buf);
    waitpid(pid, NULL, 0);
    check(epoll_wait(ep, &e1, 1, 5000) == 1 && e1.events == EPOLLHUP, "then only EPOLLHUP");

    check(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "remove the pipe");

    printf("epoll_pwait and signal masks:\n");
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    signal(SIGUSR1, on_usr1);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR1);
    struct epoll_event e;
    check(epoll_pwait(ep, &e, 1, 10, &block) == 0 && got == 0, "SIGUSR1 kept blocked: timeout");
    errno = 0;
    check(epoll_pwait(ep, &e, 1, 1000, &old) == -1 && errno == EINTR && got == 1, "unblocked: EINTR after the handler");
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    check(sigismember(&now, SIGUSR1), "mask restored");

    printf("bad arguments:\n");
    errno = 0;
    check(epoll_wait(ep, &e, 0, 0) == -1 && errno == EINVAL, "maxevents 0: EINVAL");
    errno = 0;
    check(epoll_wait(ep, (void *)BAD, 1, 0) == -1 && errno == EFAULT, "bad events pointer: EFAULT");
    errno = 0;
    check(epoll_ctl(ep, EPOLL_CTL_ADD, tfd, (void *)BAD) == -1 && errno == EFAULT, "bad event pointer: EFAULT");
    errno = 0;
    check(epoll_ctl(ep, EPOLL_CTL_ADD, 0x3ff, &e) == -1 && errno == EBADF, "closed fd: EBADF");
    errno = 0;
    check(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e) == -1 && errno == EINVAL, "epoll in itself: EINVAL");
    errno = 0;
    check(eventfd(0, 0x12345) == -1 && errno == EINVAL, "eventfd bad flags");
    errno = 0;
    check(timerfd_create(12345, 0) == -1 && errno == EINVAL, "timerfd bad clock");
    its.it_value.tv_nsec = 2000000000;
    errno = 0;
    check(timerfd_settime(tfd, 0, &its, NULL) == -1 && errno == EINVAL, "timerfd bad nsec");
    return 0;
}
