/* inotify: a watch on a scratch directory sees a file created, written,
 * renamed and removed; rm_watch sends IN_IGNORED; bad paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* An address the guest has not mapped (a global volatile, so the compiler
 * does not see it is bad). */
static volatile unsigned long bad_address = 8;
#define BAD bad_address

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) printf("  errno %d (%s)\n", errno, strerror(errno));
}

static void show(int fd, int wd) {
    char buf[4096] __attribute__((aligned(8)));
    struct pollfd pfd = {fd, POLLIN, 0};
    while (poll(&pfd, 1, 50) == 1) {
        ssize_t n = read(fd, buf, sizeof buf);
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            printf("  %s%s%s%s%s%s %s\n", e->wd == wd ? "" : "(other wd) ", e->mask & IN_CREATE ? "CREATE" : "",
                   e->mask & IN_CLOSE_WRITE ? "CLOSE_WRITE" : "", e->mask & IN_MOVED_FROM ? "MOVED_FROM" : "",
                   e->mask & IN_MOVED_TO ? "MOVED_TO" : "", e->mask & IN_DELETE ? "DELETE" : "",
                   e->mask & IN_IGNORED ? "IGNORED" : e->name);
            p += sizeof *e + e->len;
        }
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *base = argc > 1 ? argv[1] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[256], a[300], b[300];
    snprintf(dir, sizeof dir, "%s/ferrovm-inotify-XXXXXX", base);
    if (!mkdtemp(dir)) return 1;
    snprintf(a, sizeof a, "%s/created.txt", dir);
    snprintf(b, sizeof b, "%s/renamed.txt", dir);
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    check(fd >= 0, "inotify_init1");
    int wd = inotify_add_watch(fd, dir, IN_CREATE | IN_CLOSE_WRITE | IN_MOVE | IN_DELETE);
    check(wd >= 0, "inotify_add_watch");
    char ev[64];
    errno = 0;
    check(read(fd, ev, sizeof ev) == -1 && errno == EAGAIN, "no events yet");
    int f = open(a, O_WRONLY | O_CREAT, 0600);
    write(f, "x", 1);
    close(f);
    rename(a, b);
    unlink(b);
    printf("events:\n");
    show(fd, wd);
    check(inotify_rm_watch(fd, wd) == 0, "inotify_rm_watch");
    show(fd, wd);
    errno = 0;
    check(inotify_rm_watch(fd, wd) == -1 && errno == EINVAL, "removed twice: EINVAL");
    errno = 0;
    check(inotify_add_watch(fd, a, IN_CREATE) == -1 && errno == ENOENT, "missing path: ENOENT");
    errno = 0;
    check(inotify_add_watch(fd, (char *)BAD, IN_CREATE) == -1 && errno == EFAULT, "bad path pointer: EFAULT");
    errno = 0;
    check(inotify_add_watch(1, dir, IN_CREATE) == -1 && errno == EINVAL, "not an inotify fd: EINVAL");
    rmdir(dir);
    return 0;
}
