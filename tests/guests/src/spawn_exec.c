// posix_spawn error reporting through vfork's shared memory, vfork itself,
// execve of #! scripts whose interpreter is this (riscv64) program, the
// interpreter nesting limit, execveat (fexecve of a descriptor, a program
// relative to a directory descriptor), and openat2's RESOLVE_* flags.
// oracle-native: qemu-riscv64 7.2 runs vfork as fork (posix_spawn then
// reports success and the child exits 127), cannot exec a riscv64
// interpreter without binfmt_misc, and has no openat2.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case EINVAL: return "EINVAL";
    case E2BIG: return "E2BIG";
    default: return "other";
    }
}

static void write_file(const char *path, const char *text, int mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        exit(1);
    }
    close(fd);
}

// execveat(dir, path, argv, flags) in a child; its status.
static int execveat_and_wait(int dir, const char *path, char *const argv[], int flags) {
    pid_t pid = fork();
    if (pid == 0) {
        syscall(SYS_execveat, dir, path, argv, environ, flags);
        printf("  execveat: %s\n", errname(errno));
        fflush(stdout);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_and_wait(char *const argv[]) {
    pid_t pid = fork();
    if (pid == 0) {
        execve(argv[0], argv, environ);
        printf("  execve: %s\n", errname(errno));
        fflush(stdout);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "interp") == 0) {
        // Run as a script's interpreter: (interp, optional arg, script, args).
        printf("  interpreter got %d args:", argc - 1);
        for (int i = 2; i < argc; i++) {
            const char *slash = strrchr(argv[i], '/');
            printf(" [%s]", slash ? slash + 1 : argv[i]);
        }
        printf("\n");
        return 4;
    }
    setvbuf(stdout, NULL, _IONBF, 0);

    // posix_spawn of a missing program: the error comes back from the child.
    pid_t pid;
    char *args[] = {"missing", NULL};
    int r = posix_spawn(&pid, "/nonexistent/ferrovm-missing", NULL, NULL, args, environ);
    printf("posix_spawn missing: %s\n", errname(r));
    r = posix_spawnp(&pid, "ferrovm-no-such-program", NULL, NULL, args, environ);
    printf("posix_spawnp missing: %s\n", errname(r));
    // A file that is not executable.
    char dir[] = "/tmp/ferrovm-spawnXXXXXX";
    if (!mkdtemp(dir)) return 1;
    char plain[256], s1[256], s2[256], loop[256], exe[256];
    snprintf(plain, sizeof plain, "%s/plain", dir);
    write_file(plain, "data\n", 0644);
    r = posix_spawn(&pid, plain, NULL, NULL, args, environ);
    printf("posix_spawn non-executable: %s\n", errname(r));

    // vfork: the child's writes are the parent's.
    volatile int shared = 1;
    pid = vfork();
    if (pid == 0) {
        shared = 42;
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("vfork child wrote: %d\n", shared);

    // #! scripts with this program as the interpreter.
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 1;
    exe[n] = 0;
    char text[512];
    snprintf(s1, sizeof s1, "%s/script1", dir);
    snprintf(text, sizeof text, "#!%s interp\nignored\n", exe);
    write_file(s1, text, 0755);
    char *sargv[] = {s1, "a", "b c", NULL};
    printf("script with argument:\n");
    printf("  status %d\n", run_and_wait(sargv));
    snprintf(s2, sizeof s2, "%s/script2", dir);
    snprintf(text, sizeof text, "#!  %s   interp   \n", exe);
    write_file(s2, text, 0755);
    char *s2argv[] = {s2, "x", NULL};
    printf("script with blanks:\n");
    printf("  status %d\n", run_and_wait(s2argv));
    // A script whose interpreter is itself: too deep.
    snprintf(loop, sizeof loop, "%s/loop", dir);
    snprintf(text, sizeof text, "#!%s\n", loop);
    write_file(loop, text, 0755);
    char *largv[] = {loop, NULL};
    printf("self-interpreting script:\n");
    printf("  status %d\n", run_and_wait(largv));
    // An interpreter that does not exist.
    snprintf(text, sizeof text, "#!%s/nowhere\n", dir);
    write_file(s2, text, 0755);
    char *margv[] = {s2, NULL};
    printf("missing interpreter:\n");
    printf("  status %d\n", run_and_wait(margv));

    // execveat: fexecve (an open descriptor of this program), a script
    // relative to a directory descriptor, and the errors.
    int dfd = open(dir, O_PATH | O_DIRECTORY);
    int self = open(exe, O_RDONLY | O_CLOEXEC);
    char *fargv[] = {"fexecve", "interp", "by-descriptor", NULL};
    printf("fexecve of this program:\n");
    printf("  status %d\n", execveat_and_wait(self, "", fargv, AT_EMPTY_PATH));
    char *rargv[] = {"script1", "relative", NULL};
    printf("execveat of a script relative to a directory:\n");
    printf("  status %d\n", execveat_and_wait(dfd, "script1", rargv, 0));
    printf("execveat empty path without AT_EMPTY_PATH:\n");
    printf("  status %d\n", execveat_and_wait(self, "", fargv, 0));
    printf("execveat unknown flag:\n");
    printf("  status %d\n", execveat_and_wait(dfd, "script1", rargv, 0x40000));
    close(self);

    // openat2.
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
    int fd = syscall(SYS_openat2, dfd, "plain", &how, sizeof how);
    printf("openat2 beneath plain: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    fd = syscall(SYS_openat2, dfd, "../etc/passwd", &how, sizeof how);
    printf("openat2 beneath ..: %s\n", fd >= 0 ? "opened" : errname(errno));
    fd = syscall(SYS_openat2, dfd, "/etc/passwd", &how, sizeof how);
    printf("openat2 beneath absolute: %s\n", fd >= 0 ? "opened" : errname(errno));
    how.resolve = RESOLVE_IN_ROOT;
    fd = syscall(SYS_openat2, dfd, "/plain", &how, sizeof how);
    printf("openat2 in-root /plain: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    how.resolve = 0;
    how.mode = 0644;
    fd = syscall(SYS_openat2, dfd, "plain", &how, sizeof how);
    printf("openat2 mode without O_CREAT: %s\n", fd >= 0 ? "opened" : errname(errno));
    fd = syscall(SYS_openat2, dfd, "plain", &how, 8);
    printf("openat2 short size: %s\n", fd >= 0 ? "opened" : errname(errno));
    struct { struct open_how h; long extra; } big = {{.flags = O_RDONLY}, 1};
    fd = syscall(SYS_openat2, dfd, "plain", &big, sizeof big);
    printf("openat2 non-zero tail: %s\n", fd >= 0 ? "opened" : errname(errno));
    big.extra = 0;
    fd = syscall(SYS_openat2, dfd, "plain", &big, sizeof big);
    printf("openat2 zero tail: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    fd = syscall(SYS_openat2, dfd, "plain", (void *)8, sizeof how);
    printf("openat2 bad pointer: %s\n", fd >= 0 ? "opened" : (errno == EFAULT ? "EFAULT" : errname(errno)));

    unlink(plain);
    unlink(s1);
    unlink(s2);
    unlink(loop);
    rmdir(dir);
    return 0;
}
