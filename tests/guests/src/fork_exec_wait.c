/* fork_exec_wait: process creation.
 *  - fork; the child re-executes this program (/proc/self/exe) with the
 *    argument "child", which prints a line and exits 7; the parent waits
 *    with waitpid and prints the decoded status
 *  - a forked child that exits 3 without exec, and one killed by SIGKILL
 *  - copy-on-write: the child's writes are not seen by the parent
 *  - a pipe between parent and child
 *  - execve of a missing file fails with ENOENT in the child
 * No pids are printed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int global_value = 100;

static void report(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: exited with status %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: other status %#x\n", what, status);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("child: exec'd with argc=%d argv[1]=%s argv[2]=%s\n", argc, argv[1], argc > 2 ? argv[2] : "-");
        printf("child: FERROVM_CHILD_ENV=%s\n", getenv("FERROVM_CHILD_ENV") ? getenv("FERROVM_CHILD_ENV") : "(unset)");
        return 7;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("parent: start\n");
    fflush(stdout);

    /* fork + exec of ourselves */
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {argv[0], "child", "extra-arg", NULL};
        char *envs[] = {"FERROVM_CHILD_ENV=from-parent", NULL};
        execve("/proc/self/exe", args, envs);
        printf("child: execve failed: %s\n", strerror(errno));
        _exit(99);
    }
    int status = 0;
    pid_t w = waitpid(pid, &status, 0);
    printf("parent: waitpid returned the child: %s\n", w == pid ? "yes" : "no");
    report("exec'd child", status);

    /* fork without exec; copy-on-write memory */
    pid = fork();
    if (pid == 0) {
        global_value = 555;
        printf("child: global_value=%d\n", global_value);
        _exit(3);
    }
    waitpid(pid, &status, 0);
    report("plain child", status);
    printf("parent: global_value still %d\n", global_value);

    /* child killed by a signal */
    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    report("killed child", status);

    /* pipe from child to parent */
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        for (int i = 0; i < 100; i++)
            dprintf(fds[1], "%d\n", i);
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    char buf[4096];
    long total = 0, sum = 0;
    ssize_t n;
    char line[32];
    int ll = 0;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        total += n;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                line[ll] = 0;
                sum += atol(line);
                ll = 0;
            } else if (ll < 31) {
                line[ll++] = buf[i];
            }
        }
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    printf("pipe: read %ld bytes, sum of numbers %ld\n", total, sum);
    report("pipe child", status);

    /* exec of a missing file */
    pid = fork();
    if (pid == 0) {
        char *args[] = {"nope", NULL};
        execv("/nonexistent/ferrovm-no-such-program", args);
        _exit(errno == ENOENT ? 10 : 11);
    }
    waitpid(pid, &status, 0);
    report("exec of missing file (10 means ENOENT)", status);

    /* wait with no children */
    errno = 0;
    w = wait(&status);
    printf("wait with no children: %s\n", w == -1 && errno == ECHILD ? "ECHILD" : "unexpected");
    printf("parent: done\n");
    return 0;
}
