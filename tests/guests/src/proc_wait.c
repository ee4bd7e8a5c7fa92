// waitid (P_PID, P_ALL, WNOHANG, WNOWAIT, a killed child), pidfd_open,
// pidfd_send_signal and waitid(P_PIDFD), and execve of a "#!/bin/sh"
// script (the host's shell runs it, under qemu and ferrovm alike).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

static const char *code_name(int c) {
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    default: return "other";
    }
}

static void show(const char *what, int r, siginfo_t *si, pid_t child) {
    if (r < 0) {
        printf("%s: error %s\n", what, errno == ECHILD ? "ECHILD" : errno == EINVAL ? "EINVAL" : errno == EFAULT ? "EFAULT" : "other");
        return;
    }
    printf("%s: signo %d code %s status %d pid %s\n", what, si->si_signo, code_name(si->si_code), si->si_status,
           si->si_pid == child ? "child" : si->si_pid == 0 ? "0" : "other");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    siginfo_t si;

    pid_t c = fork();
    if (c == 0) _exit(7);
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    show("waitid WNOWAIT", r, &si, c);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    show("waitid P_ALL", r, &si, c);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    show("waitid no children", r, &si, c);
    r = waitid(P_ALL, 0, &si, 0);
    show("waitid no options", r, &si, c);

    int p[2];
    if (pipe(p) != 0) return 1;
    c = fork();
    if (c == 0) {
        close(p[0]);
        write(p[1], "r", 1);
        for (;;) pause();
    }
    close(p[1]);
    char b;
    read(p[0], &b, 1);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, c, &si, WEXITED | WNOHANG);
    printf("waitid WNOHANG on a running child: %d pid %d\n", r, si.si_pid);
    int pidfd = syscall(SYS_pidfd_open, c, 0);
    printf("pidfd_open: %s\n", pidfd >= 0 ? "ok" : "failed");
    printf("pidfd cloexec: %s\n", fcntl(pidfd, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
    r = syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
    printf("pidfd_send_signal 0: %d\n", r);
    r = syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
    printf("pidfd_send_signal SIGTERM: %d\n", r);
    memset(&si, 0, sizeof si);
    r = waitid(P_PIDFD, pidfd, &si, WEXITED);
    show("waitid P_PIDFD", r, &si, c);
    r = syscall(SYS_pidfd_open, -1, 0);
    printf("pidfd_open -1: %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "other");
    close(pidfd);

    // A #!/bin/sh script with an argument on the #! line.
    char path[] = "/tmp/ferrovm-scriptXXXXXX";
    int fd = mkstemp(path);
    const char *text = "#!/bin/sh -e\necho \"script says: $1 $2\"\nexit 3\n";
    write(fd, text, strlen(text));
    fchmod(fd, 0755);
    close(fd);
    c = fork();
    if (c == 0) {
        char *argv[] = {path, "hello", "world", NULL};
        execve(path, argv, environ);
        printf("execve failed: %d\n", errno);
        _exit(99);
    }
    int st;
    waitpid(c, &st, 0);
    printf("script status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    unlink(path);
    return 0;
}
