// Terminal ioctls on a pseudo-terminal from /dev/ptmx: TIOCGPTN/TIOCSPTLCK
// (ptsname, unlockpt), TCGETS/TCSETS (tcgetattr, tcsetattr, cfmakeraw),
// TIOCSWINSZ/TIOCGWINSZ, FIONREAD, TIOCGPGRP on a terminal that is not
// the controlling one, and EFAULT for a bad structure pointer.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) {
        printf("no /dev/ptmx\n");
        return 0;
    }
    printf("grantpt %d unlockpt %d\n", grantpt(master), unlockpt(master));
    const char *name = ptsname(master);
    printf("ptsname: %s\n", name && strncmp(name, "/dev/pts/", 9) == 0 ? "/dev/pts/N" : "bad");
    int slave = open(name, O_RDWR | O_NOCTTY);
    printf("slave open: %s, isatty %d\n", slave >= 0 ? "ok" : "failed", isatty(slave));

    struct termios t;
    printf("tcgetattr: %d, ICANON %s, ECHO %s\n", tcgetattr(slave, &t), t.c_lflag & ICANON ? "on" : "off",
           t.c_lflag & ECHO ? "on" : "off");
    printf("VINTR %d VEOF %d VMIN %d\n", t.c_cc[VINTR], t.c_cc[VEOF], t.c_cc[VMIN]);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    printf("tcsetattr raw: %d\n", tcsetattr(slave, TCSANOW, &t));
    struct termios back;
    tcgetattr(slave, &back);
    printf("after: ICANON %s, ECHO %s, VMIN %d, CS8 %s\n", back.c_lflag & ICANON ? "on" : "off",
           back.c_lflag & ECHO ? "on" : "off", back.c_cc[VMIN], (back.c_cflag & CSIZE) == CS8 ? "yes" : "no");

    struct winsize ws = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 640, .ws_ypixel = 480};
    printf("TIOCSWINSZ: %d\n", ioctl(master, TIOCSWINSZ, &ws));
    struct winsize got = {0};
    printf("TIOCGWINSZ: %d -> %ux%u (%ux%u px)\n", ioctl(slave, TIOCGWINSZ, &got), got.ws_row, got.ws_col,
           got.ws_xpixel, got.ws_ypixel);

    write(master, "hello", 5);
    /* Wait until the line discipline has the bytes (a fixed sleep was not
       enough on a loaded machine). */
    struct pollfd pfd = {.fd = slave, .events = POLLIN};
    poll(&pfd, 1, 10000);
    int avail = -1;
    printf("FIONREAD: %d -> %d\n", ioctl(slave, FIONREAD, &avail), avail);
    char buf[16] = {0};
    printf("read: %zd \"%s\"\n", read(slave, buf, sizeof buf - 1), buf);

    pid_t pg;
    int r = ioctl(slave, TIOCGPGRP, &pg);
    printf("TIOCGPGRP (not controlling): %s\n", r < 0 && errno == ENOTTY ? "ENOTTY" : "other");
    r = ioctl(slave, TCGETS, (void *)8);
    printf("TCGETS bad pointer: %s\n", r < 0 && errno == EFAULT ? "EFAULT" : "other");
    r = ioctl(0, TCGETS, &t);
    printf("TCGETS on /dev/null: %s\n", r < 0 && errno == ENOTTY ? "ENOTTY" : "other");
    /* glibc's tcsendbreak is TCSBRKP; tcdrain is TCSBRK 1. */
    printf("tcsendbreak: %d, tcdrain: %d\n", tcsendbreak(slave, 0), tcdrain(slave));
    close(slave);
    close(master);
    return 0;
}
