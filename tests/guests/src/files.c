/* files: file system calls on a scratch directory. The directory is argv[1]
 * if given (it must exist and be empty-ish; the program only touches names
 * it creates and removes them again), else a fresh mkdtemp under $TMPDIR or
 * /tmp that is removed at the end. Only deterministic facts are printed:
 * sizes, contents, errno names, never paths, inode numbers or times. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char dir[4096];

static const char *path(const char *name)
{
    static char buf[2][4200];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EBADF: return "EBADF";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case ESPIPE: return "ESPIPE";
    default: return "other";
    }
}

#define CHECK(what, expr)                                                     \
    do {                                                                      \
        errno = 0;                                                            \
        long r_ = (long)(expr);                                               \
        printf("%-44s -> %ld%s%s\n", what, r_ < 0 ? -1L : r_,                 \
               r_ < 0 ? " errno=" : "", r_ < 0 ? errname(errno) : "");        \
    } while (0)

int main(int argc, char **argv)
{
    int own_dir = 0;
    umask(022); /* modes printed below must not depend on the caller's umask */
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ferrovm-files-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        own_dir = 1;
    }
    printf("scratch directory ready\n");

    /* create, write, read back */
    int fd = open(path("a.txt"), O_CREAT | O_EXCL | O_WRONLY | O_TRUNC, 0644);
    printf("open O_CREAT|O_EXCL: %s\n", fd >= 0 ? "ok" : "failed");
    const char *text = "line one\nline two\nthird line here\n";
    CHECK("write 3 lines", write(fd, text, strlen(text)));
    struct iovec iov[3] = {{"vec", 3}, {"tor", 3}, {"ed\n", 3}};
    CHECK("writev 3 iovecs", writev(fd, iov, 3));
    CHECK("fsync", fsync(fd));
    CHECK("close", close(fd));
    CHECK("close again", close(fd));
    CHECK("open O_CREAT|O_EXCL existing", open(path("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644));

    struct stat st;
    CHECK("stat a.txt", stat(path("a.txt"), &st));
    printf("  size=%lld regular=%d mode=%04o\n", (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0,
           (unsigned)(st.st_mode & 07777));

    fd = open(path("a.txt"), O_RDONLY);
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("read %zd bytes:\n%s", n, buf);
    CHECK("lseek SEEK_SET 5", lseek(fd, 5, SEEK_SET));
    n = read(fd, buf, 8);
    printf("read after seek: \"%.*s\"\n", (int)n, buf);
    CHECK("lseek SEEK_CUR -3", lseek(fd, -3, SEEK_CUR));
    CHECK("lseek SEEK_END 0", lseek(fd, 0, SEEK_END));
    CHECK("read at EOF", read(fd, buf, 10));
    n = pread(fd, buf, 4, 9);
    printf("pread 4 at 9: \"%.*s\"\n", (int)n, buf);
    CHECK("fstat", fstat(fd, &st));
    printf("  fstat size=%lld\n", (long long)st.st_size);
    CHECK("write to O_RDONLY fd", write(fd, "x", 1));
    close(fd);

    /* stdio on the same file */
    FILE *f = fopen(path("a.txt"), "r");
    int lines = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        printf("fgets line %d: %s\n", ++lines, buf);
    }
    fclose(f);
    f = fopen(path("b.txt"), "w+");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "%04d\n", i);
    fflush(f);
    printf("ftell after 1000 lines: %ld\n", ftell(f));
    rewind(f);
    long sum = 0;
    int v;
    while (fscanf(f, "%d", &v) == 1)
        sum += v;
    fclose(f);
    printf("sum read back: %ld\n", sum);

    /* pwrite, ftruncate, O_APPEND */
    fd = open(path("b.txt"), O_RDWR);
    CHECK("pwrite 'XXXX' at 10", pwrite(fd, "XXXX", 4, 10));
    CHECK("ftruncate to 20", ftruncate(fd, 20));
    n = pread(fd, buf, 64, 0);
    printf("after pwrite+ftruncate (%zd bytes): ", n);
    for (ssize_t i = 0; i < n; i++)
        putchar(buf[i] == '\n' ? '|' : buf[i]);
    putchar('\n');
    close(fd);
    fd = open(path("b.txt"), O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    CHECK("O_APPEND write", write(fd, "tail", 4));
    CHECK("position after append", lseek(fd, 0, SEEK_CUR));
    close(fd);

    /* dup, dup2, pipe-free fd games */
    fd = open(path("a.txt"), O_RDONLY);
    int fd2 = dup(fd);
    lseek(fd, 5, SEEK_SET);
    CHECK("dup shares offset", lseek(fd2, 0, SEEK_CUR));
    CHECK("dup2 to 100", dup2(fd, 100));
    CHECK("fcntl F_GETFD on 100", fcntl(100, F_GETFD));
    CHECK("fcntl F_SETFD FD_CLOEXEC", fcntl(100, F_SETFD, FD_CLOEXEC));
    CHECK("fcntl F_GETFD on 100", fcntl(100, F_GETFD));
    CHECK("fcntl F_GETFL & O_ACCMODE", fcntl(fd, F_GETFL) & O_ACCMODE);
    close(100);
    close(fd2);
    close(fd);

    /* rename, link, symlink, unlink, mkdir, rmdir, access */
    CHECK("rename a.txt -> c.txt", rename(path("a.txt"), path("c.txt")));
    CHECK("stat a.txt (gone)", stat(path("a.txt"), &st));
    CHECK("link c.txt d.txt", link(path("c.txt"), path("d.txt")));
    CHECK("stat c.txt", stat(path("c.txt"), &st));
    printf("  nlink=%lu\n", (unsigned long)st.st_nlink);
    CHECK("symlink c.txt e.lnk", symlink("c.txt", path("e.lnk")));
    n = readlink(path("e.lnk"), buf, sizeof buf);
    printf("readlink: \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);
    CHECK("lstat e.lnk", lstat(path("e.lnk"), &st));
    printf("  is symlink: %d\n", S_ISLNK(st.st_mode) ? 1 : 0);
    CHECK("stat through e.lnk", stat(path("e.lnk"), &st));
    printf("  size via link=%lld\n", (long long)st.st_size);
    CHECK("mkdir sub", mkdir(path("sub"), 0755));
    CHECK("mkdir sub again", mkdir(path("sub"), 0755));
    CHECK("rename c.txt sub/f.txt", rename(path("c.txt"), path("sub/f.txt")));
    CHECK("rmdir non-empty sub", rmdir(path("sub")));
    CHECK("open sub O_RDONLY|O_DIRECTORY", open(path("sub"), O_RDONLY | O_DIRECTORY) >= 0);
    CHECK("open sub/f.txt as dir", open(path("sub/f.txt"), O_RDONLY | O_DIRECTORY));
    CHECK("access sub/f.txt R_OK", access(path("sub/f.txt"), R_OK));
    CHECK("access missing F_OK", access(path("missing"), F_OK));
    CHECK("unlink sub/f.txt", unlink(path("sub/f.txt")));
    CHECK("rmdir sub", rmdir(path("sub")));
    CHECK("unlink d.txt", unlink(path("d.txt")));
    CHECK("unlink e.lnk", unlink(path("e.lnk")));
    CHECK("unlink b.txt", unlink(path("b.txt")));
    CHECK("unlink missing", unlink(path("missing")));

    /* openat / fstatat / unlinkat relative to a directory fd */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    fd = openat(dfd, "g.txt", O_CREAT | O_WRONLY, 0600);
    CHECK("write via openat", write(fd, "12345", 5));
    close(fd);
    CHECK("fstatat g.txt", fstatat(dfd, "g.txt", &st, 0));
    printf("  size=%lld mode=%04o\n", (long long)st.st_size, (unsigned)(st.st_mode & 0777));
    CHECK("unlinkat g.txt", unlinkat(dfd, "g.txt", 0));
    close(dfd);

    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) {
        CHECK("chdir scratch", chdir(dir));
        fd = open("rel.txt", O_CREAT | O_WRONLY, 0644);
        CHECK("relative create after chdir", fd >= 0);
        close(fd);
        CHECK("stat via absolute path", stat(path("rel.txt"), &st));
        CHECK("unlink rel.txt", unlink("rel.txt"));
        CHECK("chdir back", chdir(cwd));
    }

    {
        /* Pipe capacity: set, read back on the other end; stdin (/dev/null) is not a pipe. */
        int pfd[2];
        CHECK("pipe", pipe(pfd));
        printf("F_SETPIPE_SZ 8192 -> %d\n", fcntl(pfd[1], F_SETPIPE_SZ, 8192));
        printf("F_GETPIPE_SZ read end -> %d\n", fcntl(pfd[0], F_GETPIPE_SZ));
        int r = fcntl(0, F_GETPIPE_SZ);
        printf("F_GETPIPE_SZ on a file -> %d %s\n", r, r < 0 && errno == EBADF ? "EBADF" : "?");
        close(pfd[0]);
        close(pfd[1]);
    }

    if (own_dir)
        CHECK("rmdir scratch directory", rmdir(dir));
    printf("done\n");
    return 0;
}
