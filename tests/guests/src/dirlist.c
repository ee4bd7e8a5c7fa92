/* dirlist: creates a known set of files and directories in a fresh
 * directory, lists it with opendir/readdir (and getdents64 directly),
 * sorts the names and prints them with their types and sizes. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *type_name(unsigned char t)
{
    switch (t) {
    case DT_REG: return "file";
    case DT_DIR: return "dir";
    case DT_LNK: return "symlink";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}

int main(void)
{
    char dir[4096], p[4200];
    umask(022);
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ferrovm-dirlist-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    static const char *files[] = {"zeta.txt", "alpha", "Beta.c", "gamma.dat", "_under",
                                  "a-long-file-name-with-many-characters-in-it.txt", "09", "10"};
    const int nf = sizeof files / sizeof files[0];
    for (int i = 0; i < nf; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        int fd = open(p, O_CREAT | O_WRONLY, 0644);
        for (int k = 0; k < i * 10; k++)
            if (write(fd, "x", 1) != 1)
                return 1;
        close(fd);
    }
    snprintf(p, sizeof p, "%s/subdir", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/link-to-alpha", dir);
    if (symlink("alpha", p) != 0)
        return 1;

    DIR *d = opendir(dir);
    char *names[64];
    char types[64][16];
    int n = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            dots++;
            continue;
        }
        /* d_type may be DT_UNKNOWN on some file systems: fall back to lstat. */
        unsigned char ty = e->d_type;
        if (ty == DT_UNKNOWN) {
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            lstat(p, &st);
            ty = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
        }
        names[n] = malloc(strlen(e->d_name) + 1 + 16);
        strcpy(names[n], e->d_name);
        snprintf(types[n], sizeof types[n], "%s", type_name(ty));
        /* keep type with name: append after a NUL */
        strcpy(names[n] + strlen(e->d_name) + 1, types[n]);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("readdir: %d entries plus %d dot entries\n", n, dots);
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        lstat(p, &st);
        const char *ty = names[i] + strlen(names[i]) + 1;
        if (!strcmp(ty, "file"))
            printf("  %-50s %-7s %lld bytes\n", names[i], ty, (long long)st.st_size);
        else
            printf("  %-50s %s\n", names[i], ty);
    }

    /* The same listing through the raw getdents64 system call, with a buffer
     * small enough that several calls are needed. */
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[288] __attribute__((aligned(8)));
    int total = 0, calls = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (r <= 0)
            break;
        calls++;
        for (long off = 0; off < r;) {
            struct dirent64 *de = (struct dirent64 *)(buf + off);
            total++;
            off += de->d_reclen;
        }
    }
    close(fd);
    printf("getdents64 with a 288-byte buffer: %d entries, more than one call: %s\n", total,
           calls > 1 ? "yes" : "no");

    /* rewinddir / telldir / seekdir */
    d = opendir(dir);
    int first = 0;
    while (readdir(d))
        first++;
    rewinddir(d);
    int second = 0;
    while (readdir(d))
        second++;
    closedir(d);
    printf("rewinddir gives the same count again: %s\n", first == second ? "yes" : "no");

    /* scandir with alphasort */
    struct dirent **list;
    int m = scandir(dir, &list, NULL, alphasort);
    printf("scandir+alphasort:");
    for (int i = 0; i < m; i++) {
        printf(" %s", list[i]->d_name);
        free(list[i]);
    }
    printf("\n");
    free(list);

    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (!strcmp(names[i], "subdir"))
            rmdir(p);
        else
            unlink(p);
        free(names[i]);
    }
    printf("rmdir scratch: %s\n", rmdir(dir) == 0 ? "ok" : "failed");
    return 0;
}
