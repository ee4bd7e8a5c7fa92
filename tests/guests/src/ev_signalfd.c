/* signalfd: blocked guest signals read as struct signalfd_siginfo, from
 * raise (tkill), kill and sigqueue-less kill from a child; poll and epoll
 * see a signalfd become readable; the mask can be changed; non-blocking
 * reads; a too-short buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* An address the guest has not mapped (a global volatile, so the compiler
 * does not see it is bad). */
static volatile unsigned long bad_address = 8;
#define BAD bad_address

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) printf("  errno %d (%s)\n", errno, strerror(errno));
}

static const char *code(int c) {
    return c == SI_USER ? "SI_USER" : c == SI_TKILL ? "SI_TKILL" : c == SI_KERNEL ? "SI_KERNEL" : "other";
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    check(sfd >= 0, "signalfd");
    struct signalfd_siginfo si;
    errno = 0;
    check(read(sfd, &si, sizeof si) == -1 && errno == EAGAIN, "nothing pending: EAGAIN");
    struct pollfd pfd = {sfd, POLLIN, 0};
    check(poll(&pfd, 1, 20) == 0, "poll times out");

    raise(SIGUSR1);
    check(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN), "poll: readable after raise");
    check(read(sfd, &si, sizeof si) == sizeof si, "read");
    printf("  signo %u (SIGUSR1 %s), code %s, pid %s\n", si.ssi_signo, si.ssi_signo == SIGUSR1 ? "yes" : "no",
           code(si.ssi_code), si.ssi_pid == (unsigned)getpid() ? "mine" : "other");
    check(poll(&pfd, 1, 0) == 0, "consumed: not readable");

    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo two[4];
    ssize_t n = read(sfd, two, sizeof two);
    printf("two pending read at once: %zd bytes:", n);
    for (int i = 0; i < n / (int)sizeof si; i++) printf(" %u/%s", two[i].ssi_signo, code(two[i].ssi_code));
    printf("\n");
    sigset_t pend;
    sigpending(&pend);
    check(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "no longer pending");

    raise(SIGUSR1);
    char part1[64], part2[200];
    struct iovec iov[2] = {{part1, sizeof part1}, {part2, sizeof part2}};
    struct signalfd_siginfo joined;
    n = readv(sfd, iov, 2);
    memcpy(&joined, part1, 64);
    memcpy((char *)&joined + 64, part2, 64);
    check(n == sizeof joined && joined.ssi_signo == SIGUSR1, "readv across two iovecs");

    printf("epoll on the signalfd, signal from a child:\n");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xfeedfacecafebeefull};
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    struct epoll_event got;
    int r = epoll_wait(ep, &got, 1, 5000);
    check(r == 1 && got.data.u64 == 0xfeedfacecafebeefull, "epoll_wait woke");
    check(read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2 && si.ssi_code == SI_USER &&
              si.ssi_pid == (unsigned)pid,
          "SIGUSR2 from the child, with its pid");
    waitpid(pid, NULL, 0);

    printf("changing the mask:\n");
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    check(signalfd(sfd, &only2, 0) == sfd, "signalfd(fd, SIGUSR2 only)");
    raise(SIGUSR1);
    errno = 0;
    check(read(sfd, &si, sizeof si) == -1 && errno == EAGAIN, "SIGUSR1 not in the mask");
    sigpending(&pend);
    check(sigismember(&pend, SIGUSR1), "SIGUSR1 still pending");
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    int sig = 0;
    sigwait(&one, &sig);
    check(sig == SIGUSR1, "sigwait takes it");

    printf("blocking read:\n");
    int bfd = signalfd(-1, &only2, 0);
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    check(read(bfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2, "blocking read returns SIGUSR2");
    waitpid(pid, NULL, 0);

    printf("after fork, each process reads its own signals:\n");
    pid = fork();
    if (pid == 0) {
        raise(SIGUSR2);
        struct signalfd_siginfo c;
        int ok = read(sfd, &c, sizeof c) == sizeof c && c.ssi_signo == SIGUSR2 && c.ssi_pid == (unsigned)getpid();
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child read its SIGUSR2");
    pfd.revents = 0;
    check(poll(&pfd, 1, 0) == 0, "the parent's signalfd stays empty");

    printf("bad arguments:\n");
    errno = 0;
    check(read(sfd, &si, 64) == -1 && errno == EINVAL, "short buffer: EINVAL");
    errno = 0;
    check(signalfd(1, &mask, 0) == -1 && errno == EINVAL, "not a signalfd: EINVAL");
    errno = 0;
    check(signalfd(-1, (sigset_t *)BAD, 0) == -1 && errno == EFAULT, "bad mask pointer: EFAULT");
    errno = 0;
    check(signalfd(-1, &mask, 0x40000000) == -1 && errno == EINVAL, "bad flags: EINVAL");
    raise(SIGUSR2);
    errno = 0;
    check(read(sfd, (void *)BAD, sizeof si) == -1 && errno == EFAULT, "bad buffer: EFAULT");
    check(read(sfd, &si, sizeof si) == sizeof si, "the signal is still there");
    return 0;
}
