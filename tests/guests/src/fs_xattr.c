/* fs_xattr: extended attributes (user.* namespace) on a file, a symlink and
 * a descriptor in a fresh mkdtemp directory under $TMPDIR or /tmp:
 * set/get/list/remove in their path, l (no follow) and f (descriptor)
 * forms, the size query (size 0), XATTR_CREATE/XATTR_REPLACE, ERANGE for a
 * small buffer, ENODATA for a missing name and EFAULT for a bad pointer.
 * Python's shutil.copy2/copytree/move list a file's attributes and fail
 * if the calls are missing. Prints only deterministic facts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENODATA: return "ENODATA";
    case ERANGE: return "ERANGE";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EBADF: return "EBADF";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "other";
    }
}

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-28s -1 %s\n", what, errname(errno));
    else
        printf("%-28s %ld\n", what, r);
}

/* A name list is NUL-separated in no fixed order: print it sorted. */
static void show_list(const char *what, const char *list, long n)
{
    const char *names[16];
    int count = 0;
    for (long i = 0; i < n && count < 16; i += (long)strlen(list + i) + 1)
        names[count++] = list + i;
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    printf("%-28s", what);
    for (int i = 0; i < count; i++)
        printf(" %s", names[i]);
    printf("\n");
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], file[4200], link[4200], missing[4200], buf[256];
    snprintf(dir, sizeof dir, "%s/fs_xattr.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(file, sizeof file, "%s/file", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(missing, sizeof missing, "%s/missing", dir);
    int fd = open(file, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || symlink("file", link) != 0) {
        perror("setup");
        return 1;
    }

    show("setxattr user.a", setxattr(file, "user.a", "alpha", 5, 0));
    show("setxattr user.b CREATE", setxattr(file, "user.b", "beta!", 5, XATTR_CREATE));
    show("setxattr user.b CREATE again", setxattr(file, "user.b", "x", 1, XATTR_CREATE));
    show("setxattr user.c REPLACE", setxattr(file, "user.c", "x", 1, XATTR_REPLACE));
    show("setxattr bad flags", setxattr(file, "user.c", "x", 1, 0x40));
    show("fsetxattr user.c", fsetxattr(fd, "user.c", "", 0, 0));
    show("setxattr via link", setxattr(link, "user.d", "delta", 5, 0));
    show("lsetxattr on the link", lsetxattr(link, "user.e", "x", 1, 0));

    show("getxattr size query", getxattr(file, "user.a", NULL, 0));
    memset(buf, 0, sizeof buf);
    long n = getxattr(file, "user.a", buf, sizeof buf);
    show("getxattr user.a", n);
    printf("  value \"%s\"\n", buf);
    show("getxattr small buffer", getxattr(file, "user.a", buf, 2));
    show("getxattr missing name", getxattr(file, "user.zz", buf, sizeof buf));
    show("getxattr missing file", getxattr(missing, "user.a", buf, sizeof buf));
    /* volatile: the compiler must not see (and warn about) the bad pointers */
    void *volatile bad = (void *)8;
    show("getxattr bad buffer", getxattr(file, "user.a", bad, 64));
    show("getxattr bad name ptr", getxattr(file, (const char *)bad, buf, sizeof buf));
    memset(buf, 0, sizeof buf);
    show("fgetxattr user.d", fgetxattr(fd, "user.d", buf, sizeof buf));
    printf("  value \"%s\"\n", buf);
    show("lgetxattr link user.d", lgetxattr(link, "user.d", buf, sizeof buf));
    show("getxattr empty value", getxattr(file, "user.c", buf, sizeof buf));

    show("listxattr size query", listxattr(file, NULL, 0));
    n = listxattr(file, buf, sizeof buf);
    show_list("listxattr", buf, n);
    n = flistxattr(fd, buf, sizeof buf);
    show_list("flistxattr", buf, n);
    n = llistxattr(link, buf, sizeof buf);
    show_list("llistxattr link", buf, n < 0 ? 0 : n);
    show("listxattr small buffer", listxattr(file, buf, 3));

    show("removexattr user.a", removexattr(file, "user.a"));
    show("removexattr user.a again", removexattr(file, "user.a"));
    show("fremovexattr user.b", fremovexattr(fd, "user.b"));
    show("lremovexattr link user.d", lremovexattr(link, "user.d"));
    n = listxattr(file, buf, sizeof buf);
    show_list("listxattr after removes", buf, n);
    show("fgetxattr closed fd", fgetxattr(999, "user.c", buf, sizeof buf));

    close(fd);
    unlink(link);
    unlink(file);
    rmdir(dir);
    return 0;
}
