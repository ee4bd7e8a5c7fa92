// Descriptor names: /proc/self/fd lists exactly the process's open
// descriptor numbers (what close_fds implementations such as Python's
// subprocess read to find what to close), and /proc/self/fd/N, /dev/fd/N
// and /dev/stdin name descriptor N.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"

static void descriptors(void) {
    int p[2];
    if (pipe(p) != 0 || dup2(p[1], 40) != 40)
        return;
    DIR *dir = opendir("/proc/self/fd");
    static int seen[1024];
    int others = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        if (fd >= 0 && fd < 1024)
            seen[fd] = 1;
        else
            others++;
    }
    int dfd = dir ? dirfd(dir) : -1;
    int ok = dir && others == 0;
    // Exactly the open ones (whatever the process inherited), the new
    // ones among them.
    for (int fd = 0; fd < 1024; fd++)
        ok &= seen[fd] == (fcntl(fd, F_GETFD) != -1);
    ok &= seen[p[0]] && seen[p[1]] && seen[40] && dfd >= 0 && seen[dfd];
    check("/proc/self/fd lists the process's descriptors", ok, "");
    if (dir)
        closedir(dir);

    // /proc/self/fd/N and /dev/fd/N reopen descriptor N.
    int w = open("/dev/fd/40", O_WRONLY);
    char buf[8] = "";
    check("/dev/fd/N reopens descriptor N", w >= 0 && write(w, "pipe", 4) == 4 && read(p[0], buf, 4) == 4 &&
                                                 memcmp(buf, "pipe", 4) == 0, "");
    if (w >= 0)
        close(w);
    char link[64] = "", path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    ssize_t n = readlink(path, link, sizeof link - 1);
    check("readlink /proc/self/fd/N", n > 5 && strncmp(link, "pipe:", 5) == 0, link);
    struct stat st;
    check("stat /dev/stdin is the guest's stdin", stat("/dev/stdin", &st) == 0 && S_ISCHR(st.st_mode), "");
    check("stat /proc/self/fd/40 is the pipe", stat("/proc/self/fd/40", &st) == 0 && S_ISFIFO(st.st_mode), "");
    errno = 0;
    check("/proc/self/fd/N of a closed N is ENOENT", open("/proc/self/fd/39", O_RDONLY) == -1 && errno == ENOENT, "");
}

int main(void) {
    descriptors();
    printf("done: %s\n", failures ? "failures" : "all ok");
    return failures != 0;
}
