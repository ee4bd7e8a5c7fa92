// clone(CLONE_PIDFD) and clone3 with a pidfd: the descriptor lands where
// the parent tid would (clone) or in clone_args.pidfd (clone3), is
// close-on-exec, and waitid(P_PIDFD) reaps the child through it. qemu-riscv64
// 7.2 ignores CLONE_PIDFD, so the expectation comes from a native build.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void reap(const char *what, int pidfd, long child) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PIDFD, pidfd, &si, WEXITED);
    printf("%s: waitid %d, code %s, status %d, pid %s\n", what, r, si.si_code == CLD_EXITED ? "CLD_EXITED" : "other",
           si.si_status, si.si_pid == child ? "child" : "other");
    close(pidfd);
}

int main(void) {
    int pidfd = -1;
    long c = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    if (c == 0) _exit(7);
    printf("clone CLONE_PIDFD: %s, cloexec %s\n", pidfd >= 0 ? "pidfd" : "none",
           pidfd >= 0 && fcntl(pidfd, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
    reap("clone", pidfd, c);

    long r = syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, 0, 0);
    printf("clone CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "other");

    // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal,
    // stack, stack_size, tls.
    int fd3 = -1;
    uint64_t args[8] = {CLONE_PIDFD, (uint64_t)(uintptr_t)&fd3, 0, 0, SIGCHLD, 0, 0, 0};
    c = syscall(SYS_clone3, args, sizeof args);
    if (c == 0) _exit(9);
    printf("clone3 pidfd: %s\n", fd3 >= 0 ? "pidfd" : "none");
    reap("clone3", fd3, c);
    return 0;
}
