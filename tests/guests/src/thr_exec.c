/* thr_exec: execve from a secondary thread. Main starts a spinner thread
 * (busy forever), a thread blocked in read() on a pipe, and an exec thread,
 * then blocks in pthread_join on the exec thread. The exec thread (with
 * SIGUSR2 blocked in its own mask; main blocks SIGUSR1 instead) execs
 * /proc/self/exe with arguments that make the new image report:
 *  - argv as passed, and the new image's pid is the old process's pid
 *    (passed in argv) even though a non-leader thread called execve;
 *    its tid is its pid
 *  - the signal mask is the exec'ing thread's (SIGUSR2 blocked, SIGUSR1
 *    not); a handled signal (SIGUSR1) is reset to SIG_DFL, an ignored one
 *    (SIGPIPE) stays ignored
 *  - a pipe without FD_CLOEXEC is still open and holds the bytes written
 *    before the exec; one with FD_CLOEXEC is closed
 *  - the environment is the one given to execve
 *  - the spinner did not survive: the new image is the same static
 *    executable at the same addresses, so a spinner still running its loop
 *    would be incrementing the new image's `spins`, which must stay 0
 * The new image exits with status 5.
 * qemu-riscv64 7.2 cannot execve a riscv64 binary without binfmt_misc
 * (ENOEXEC), so this program is tagged oracle-native: its expected output
 * comes from a native build of this same source. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int keep_pipe[2], cloexec_pipe[2], block_pipe[2];
static atomic_long spins;

static void on_usr1(int sig) { (void)sig; }

static void *spinner(void *arg)
{
    (void)arg;
    for (;;)
        atomic_fetch_add_explicit(&spins, 1, memory_order_relaxed);
    return NULL;
}

static void *blocked_reader(void *arg)
{
    (void)arg;
    char c;
    (void)!read(block_pipe[0], &c, 1); /* nobody writes */
    return NULL;
}

static void *exec_thread(void *arg)
{
    char **argv0 = arg;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL); /* main blocks it, this thread does not */
    while (atomic_load(&spins) < 1000)
        usleep(1000);
    char pid[32], fds[64];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    snprintf(fds, sizeof fds, "%d,%d", keep_pipe[0], cloexec_pipe[0]);
    char *args[] = {*argv0, "exec-image", pid, fds, NULL};
    char *envs[] = {"FERROVM_EXEC_ENV=from-the-thread", NULL};
    printf("exec thread: calling execve with 3 other threads alive\n");
    fflush(stdout);
    execve("/proc/self/exe", args, envs);
    printf("exec thread: execve failed: %s\n", strerror(errno));
    fflush(stdout);
    _exit(99);
}

static int new_image(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("new image: argc=%d argv[1]=%s\n", argc, argv[1]);
    printf("new image: pid unchanged: %s; tid == pid: %s\n", atoi(argv[2]) == (int)getpid() ? "yes" : "no",
           (pid_t)syscall(SYS_gettid) == getpid() ? "yes" : "no");
    printf("new image: FERROVM_EXEC_ENV=%s, FERROVM_GUEST_VAR %s\n",
           getenv("FERROVM_EXEC_ENV") ? getenv("FERROVM_EXEC_ENV") : "(unset)",
           getenv("FERROVM_GUEST_VAR") ? "set" : "unset");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("new image: SIGUSR2 blocked: %s, SIGUSR1 blocked: %s\n", sigismember(&cur, SIGUSR2) ? "yes" : "no",
           sigismember(&cur, SIGUSR1) ? "yes" : "no");
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    const char *usr1 = sa.sa_handler == SIG_DFL ? "SIG_DFL" : sa.sa_handler == SIG_IGN ? "SIG_IGN" : "a handler";
    sigaction(SIGPIPE, NULL, &sa);
    printf("new image: SIGUSR1 disposition %s, SIGPIPE %s\n", usr1,
           sa.sa_handler == SIG_DFL ? "SIG_DFL" : sa.sa_handler == SIG_IGN ? "SIG_IGN" : "a handler");
    int keep, cloexec;
    if (sscanf(argv[3], "%d,%d", &keep, &cloexec) != 2)
        return 98;
    char buf[64];
    ssize_t n = read(keep, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("new image: inherited pipe (no FD_CLOEXEC) holds \"%s\"\n", buf);
    errno = 0;
    int fl = fcntl(cloexec, F_GETFD);
    printf("new image: FD_CLOEXEC pipe closed: %s\n", fl == -1 && errno == EBADF ? "yes" : "no");
    usleep(50000);
    printf("new image: no old thread runs on (spins still 0 after 50 ms): %s\n",
           atomic_load(&spins) == 0 ? "yes" : "no");
    return 5;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "exec-image") == 0)
        return new_image(argc, argv);
    if (pipe(keep_pipe) != 0 || pipe2(cloexec_pipe, O_CLOEXEC) != 0 || pipe(block_pipe) != 0)
        return 1;
    if (write(keep_pipe[1], "before-exec", 11) != 11)
        return 1;
    close(keep_pipe[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);

    printf("main: starting a spinner, a blocked reader and the exec thread\n");
    fflush(stdout);
    pthread_t s, r, e;
    pthread_create(&s, NULL, spinner, NULL);
    pthread_create(&r, NULL, blocked_reader, NULL);
    pthread_create(&e, NULL, exec_thread, &argv[0]);
    pthread_join(e, NULL); /* never returns: the exec replaces the process */
    printf("main: pthread_join returned\n");
    return 1;
}
