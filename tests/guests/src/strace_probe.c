/* strace_probe: makes system calls whose arguments and results --strace
 * decodes (open flags and an errno, a struct stat, mmap protections and
 * flags, signal names, socket addresses), with values that do not depend
 * on the run: a file it creates with a known mode and size, and sockets
 * calls on descriptor -1. Prints only "done"; the CLI test reads the
 * trace. */
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(void)
{
    umask(022);
    if (open("/nonexistent/strace_probe", O_RDONLY) >= 0)
        return 1;
    int fd = open("strace_probe.tmp", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || write(fd, "12345", 5) != 5)
        return 1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size != 5)
        return 1;
    close(fd);
    unlink("strace_probe.tmp");

    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 1;
    mprotect(p, 4096, PROT_READ);
    munmap(p, 8192);

    signal(SIGUSR1, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    in.sin_port = htons(9);
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(-1, (struct sockaddr *)&in, sizeof in);
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, "/tmp/strace_probe.sock");
    bind(-1, (struct sockaddr *)&un, sizeof un);
    puts("done");
    return 0;
}
