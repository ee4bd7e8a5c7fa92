/* A file mapped MAP_SHARED and then truncated under the mapping: Linux
 * raises SIGBUS (BUS_ADRERR) for an access to a page wholly past the new
 * end of the file, and a system call that copies from or to such a page
 * fails with EFAULT. Each access runs in a child process that is expected
 * to die of SIGBUS (the default action), the parent reports how it ended;
 * one child reads the page from a hot loop, so the access runs in compiled
 * code under a JIT. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static long pg;

static volatile unsigned char *map_truncated(int *fd_out)
{
    char path[4096];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/ferrovm-trunc-XXXXXX", t && *t ? t : "/tmp");
    int fd = mkstemp(path);
    unlink(path);
    if (fd < 0 || ftruncate(fd, 3 * pg) != 0)
        exit(100);
    unsigned char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        exit(101);
    memset(m, 'x', 3 * pg);
    if (ftruncate(fd, pg) != 0) /* pages 1 and 2 are now past the end */
        exit(102);
    *fd_out = fd;
    return m;
}

static void report(const char *what, pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        printf("%s: waitpid failed\n", what);
        return;
    }
    if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", what, WTERMSIG(st) == SIGBUS ? "SIGBUS" : strsignal(WTERMSIG(st)));
    else
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

int main(void)
{
    pg = sysconf(_SC_PAGESIZE);
    int fd;
    volatile unsigned char *m = map_truncated(&fd);
    printf("page 0 still reads: %c\n", m[10]);

    /* A system call reading from or writing to the truncated page: EFAULT. */
    int p[2];
    if (pipe(p) != 0)
        return 1;
    errno = 0;
    long n = write(p[1], (const void *)(m + pg), 16);
    printf("write from the page past EOF: %ld (%s)\n", n, n < 0 && errno == EFAULT ? "EFAULT" : strerror(errno));
    if (write(p[1], "abcdefgh", 8) != 8)
        return 1;
    errno = 0;
    n = read(p[0], (void *)(m + 2 * pg), 8);
    printf("read into the page past EOF: %ld (%s)\n", n, n < 0 && errno == EFAULT ? "EFAULT" : strerror(errno));
    fflush(stdout);

    pid_t pid = fork();
    if (pid == 0) {
        unsigned sum = m[pg + 1]; /* dies here */
        _exit((int)sum);
    }
    report("load past EOF", pid);

    pid = fork();
    if (pid == 0) {
        m[2 * pg + 7] = 1; /* dies here */
        _exit(0);
    }
    report("store past EOF", pid);

    pid = fork();
    if (pid == 0) {
        /* A hot loop over page 0 first, then the same loop reaches page 1. */
        unsigned long sum = 0;
        for (int round = 0; round < 200; round++)
            for (long i = 0; i < pg; i += 8)
                sum += m[i];
        for (long i = 0; i < 2 * pg; i += 8)
            sum += m[i];
        _exit((int)(sum & 0x7f));
    }
    report("hot loop reaching past EOF", pid);

    /* Growing the file again brings the pages back (zero-filled). */
    if (ftruncate(fd, 3 * pg) != 0)
        return 1;
    pid = fork();
    if (pid == 0)
        _exit(m[pg + 1] == 0 && m[2 * pg + 100] == 0 ? 0 : 1);
    report("load after the file grew again", pid);
    return 0;
}
