// Credentials, as real programs meet them:
// - user and group ids (set*id, setgroups/getgroups, setfsuid): Python's
//   subprocess sets them in a child before execve. Run as root every call
//   must take effect with the kernel's rules for real/effective/saved ids;
//   run as another user the privileged ones must fail with EPERM. Each line
//   says "ok" either way, so the output does not depend on who runs it.
// - a process-wide change from one thread reaches the others (glibc runs
//   the call on every thread), so a second thread sees the new ids.
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks.h"

static int res_is(int user, unsigned r, unsigned e, unsigned s, char *detail, size_t n) {
    unsigned a, b, c;
    if (user)
        getresuid(&a, &b, &c);
    else
        getresgid(&a, &b, &c);
    snprintf(detail, n, "(%u %u %u)", a, b, c);
    return a == r && b == e && c == s;
}

// A privileged call: as root it must succeed (and `then` must hold), as
// anyone else fail with EPERM.
static void privileged(const char *what, int root, int r, int then, const char *detail) {
    if (root)
        check(what, r == 0 && then, detail);
    else
        check(what, r == -1 && errno == EPERM, "expected EPERM");
}

static void ids_in_child(void) {
    char d[96] = "";
    int root = geteuid() == 0;

    int n = getgroups(0, NULL);
    gid_t groups[64];
    check("getgroups counts", n >= 0 && getgroups(64, groups) == n, "");

    gid_t want[3] = {7, 8, 9};
    int r = setgroups(3, want);
    int m = getgroups(64, groups);
    snprintf(d, sizeof d, "count %d", m);
    privileged("setgroups then getgroups", root, r, m == 3 && groups[0] == 7 && groups[1] == 8 && groups[2] == 9, d);
    // Too small a list (not 0, which asks for the count) is EINVAL.
    errno = 0;
    check("getgroups with too small a list is EINVAL", m < 2 || (getgroups(m - 1, groups) == -1 && errno == EINVAL), "");

    r = setresgid(101, 102, 103);
    privileged("setresgid", root, r, res_is(0, 101, 102, 103, d, sizeof d), d);
    // setregid with a real id: the saved id becomes the new effective id.
    r = setregid(201, -1);
    privileged("setregid", root, r, res_is(0, 201, 102, 102, d, sizeof d), d);
    unsigned gr, ge, gs;
    getresgid(&gr, &ge, &gs);
    // setfsgid returns the previous id; it changes only when permitted.
    int prev = setfsgid(300);
    int now = setfsgid(-1);
    snprintf(d, sizeof d, "prev %d now %d", prev, now);
    check("setfsgid returns the previous id", prev == (int)ge && now == (root ? 300 : (int)ge), d);
    // Privileged, setgid sets all three ids; otherwise only the effective
    // one, and only to the real or saved id.
    r = setgid(root ? 0 : gr);
    check("setgid", r == 0 && (root ? res_is(0, 0, 0, 0, d, sizeof d) : res_is(0, gr, gr, gs, d, sizeof d)), d);

    r = setresuid(1001, 1002, 1003);
    privileged("setresuid", root, r, res_is(1, 1001, 1002, 1003, d, sizeof d), d);
    // Unprivileged from here on (root gave up its ids): setuid may only
    // pick the real or saved id, and then changes the effective id alone.
    unsigned ur, ue, us;
    getresuid(&ur, &ue, &us);
    r = setuid(us);
    check("setuid unprivileged sets the effective id", r == 0 && res_is(1, ur, us, us, d, sizeof d), d);
    errno = 0;
    r = setuid(0);
    check("setuid(0) unprivileged is EPERM", ur == 0 || (r == -1 && errno == EPERM), "");
    // An effective id equal to the old real id leaves the saved id.
    r = setreuid(-1, ur);
    check("setreuid keeps the saved id", r == 0 && res_is(1, ur, ur, us, d, sizeof d), d);
    errno = 0;
    r = setgroups(0, NULL);
    check("setgroups unprivileged is EPERM", r == -1 && errno == EPERM, "");
    errno = 0;
    r = syscall(SYS_setgroups, 1, (void *)8);
    check("setgroups bad pointer", r == -1 && (errno == EFAULT || errno == EPERM), "");
}

static volatile int stage;
static unsigned thread_ids[3];

static void *second_thread(void *arg) {
    (void)arg;
    while (stage == 0)
        usleep(1000);
    // The raw call: this thread's own ids.
    syscall(SYS_getresgid, &thread_ids[0], &thread_ids[1], &thread_ids[2]);
    return NULL;
}

static void threads_in_child(void) {
    pthread_t t;
    unsigned before[3];
    getresgid(&before[0], &before[1], &before[2]);
    pthread_create(&t, NULL, second_thread, NULL);
    int r = setresgid(51, 52, 53);
    int e = errno;
    stage = 1;
    pthread_join(t, NULL);
    char d[64];
    snprintf(d, sizeof d, "(%u %u %u)", thread_ids[0], thread_ids[1], thread_ids[2]);
    if (r == 0)
        check("a process-wide setresgid reaches the other thread",
              thread_ids[0] == 51 && thread_ids[1] == 52 && thread_ids[2] == 53, d);
    else
        check("a process-wide setresgid reaches the other thread",
              e == EPERM && memcmp(thread_ids, before, sizeof before) == 0, d);
}

static int in_child(void (*body)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        body();
        fflush(stdout);
        _exit(failures ? 1 : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void) {
    int bad = in_child(ids_in_child);
    bad |= in_child(threads_in_child);
    printf("done: %s\n", bad || failures ? "failures" : "all ok");
    return bad || failures;
}
