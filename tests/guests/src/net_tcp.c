#define _GNU_SOURCE
/* TCP and UDP over 127.0.0.1: an echo server in a forked child, socket
 * options whose values are structures (linger, timeval), sendmsg/recvmsg,
 * sendmmsg/recvmmsg, shutdown, and bad pointers. No port is printed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* An address the guest has not mapped (a global volatile, so the compiler
 * does not see it is bad). */
static volatile unsigned long bad_address = 8;
#define BAD bad_address

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) printf("  errno %d (%s)\n", errno, strerror(errno));
}

static int listener(struct sockaddr_in *addr) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    check(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->sin_port = 0;
    check(bind(s, (struct sockaddr *)addr, sizeof *addr) == 0, "bind port 0");
    socklen_t len = sizeof *addr;
    check(getsockname(s, (struct sockaddr *)addr, &len) == 0 && len == sizeof *addr && addr->sin_port != 0,
          "getsockname gives a port");
    check(listen(s, 4) == 0, "listen");
    return s;
}

static void echo_server(int ls) {
    for (int i = 0; i < 2; i++) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int c = accept4(ls, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
        if (c < 0) _exit(10);
        if (peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) _exit(11);
        char buf[4096];
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0) {
            for (ssize_t k = 0; k < n; k++) buf[k] = buf[k] >= 'a' && buf[k] <= 'z' ? buf[k] - 32 : buf[k];
            if (write(c, buf, n) != n) _exit(12);
        }
        close(c);
    }
    _exit(0);
}

static void tcp(void) {
    struct sockaddr_in addr;
    int ls = listener(&addr);
    pid_t pid = fork();
    if (pid == 0) echo_server(ls);
    close(ls);
    for (int round = 0; round < 2; round++) {
        int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        check(connect(s, (struct sockaddr *)&addr, sizeof addr) == 0, "connect");
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        check(getpeername(s, (struct sockaddr *)&peer, &plen) == 0 && peer.sin_port == addr.sin_port,
              "getpeername is the server");
        int one = 1;
        check(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
        if (round == 0) {
            const char *msg = "hello, echo server";
            check(send(s, msg, strlen(msg), 0) == (ssize_t)strlen(msg), "send");
            char buf[64] = {0};
            size_t got = 0;
            while (got < strlen(msg)) {
                ssize_t n = recv(s, buf + got, sizeof buf - 1 - got, 0);
                if (n <= 0) break;
                got += n;
            }
            printf("echo: %s\n", buf);
        } else {
            /* sendmsg with three iovecs, recvmsg into two. */
            char a[] = "abc", b[] = "defgh", c[] = "ij";
            struct iovec iov[3] = {{a, 3}, {b, 5}, {c, 2}};
            struct msghdr m = {0};
            m.msg_iov = iov;
            m.msg_iovlen = 3;
            check(sendmsg(s, &m, 0) == 10, "sendmsg 3 iovecs");
            shutdown(s, SHUT_WR);
            char x[4] = {0}, y[16] = {0};
            struct iovec riov[2] = {{x, 3}, {y, 15}};
            size_t got = 0;
            char all[32] = {0};
            for (;;) {
                struct msghdr r = {0};
                r.msg_iov = riov;
                r.msg_iovlen = 2;
                ssize_t n = recvmsg(s, &r, 0);
                if (n <= 0) break;
                memcpy(all + got, x, n < 3 ? n : 3);
                if (n > 3) memcpy(all + got + 3, y, n - 3);
                got += n;
            }
            printf("recvmsg after shutdown: %s (%zu bytes)\n", all, got);
        }
        close(s);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("server exit %d\n", WEXITSTATUS(status));
}

static void options(void) {
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    check(s >= 0, "AF_INET6 socket");
    struct linger l = {1, 5}, l2;
    socklen_t len = sizeof l2;
    check(setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0, "set SO_LINGER");
    check(getsockopt(s, SOL_SOCKET, SO_LINGER, &l2, &len) == 0 && len == sizeof l2 && l2.l_onoff && l2.l_linger == 5,
          "get SO_LINGER");
    struct timeval tv = {2, 500000}, tv2;
    len = sizeof tv2;
    check(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "set SO_RCVTIMEO");
    check(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &len) == 0 && len == sizeof tv2 && tv2.tv_sec == 2 &&
              tv2.tv_usec == 500000,
          "get SO_RCVTIMEO");
    int v = 0;
    len = sizeof v;
    check(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM, "SO_TYPE");
    check(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET6, "SO_DOMAIN");
    check(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 0, "SO_ACCEPTCONN");
    errno = 0;
    check(setsockopt(s, SOL_SOCKET, SO_LINGER, (void *)BAD, sizeof l) == -1 && errno == EFAULT, "bad option pointer");
    errno = 0;
    check(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)BAD) == -1 && errno == EFAULT, "bad optlen pointer");
    errno = 0;
    check(connect(s, (struct sockaddr *)BAD, 28) == -1 && errno == EFAULT, "bad address pointer");
    errno = 0;
    check(bind(s, (struct sockaddr *)&tv, 4096) == -1 && errno == EINVAL, "address too long");
    errno = 0;
    check(socket(12345, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT, "unknown family");
    errno = 0;
    check(recv(0x3ff, &v, 1, 0) == -1 && errno == EBADF, "recv on a closed fd");
    errno = 0;
    check(recv(1, &v, 1, MSG_DONTWAIT) == -1 && errno == ENOTSOCK, "recv on a non-socket");
    close(s);
}

static void udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {0}, sb = {0};
    sa.sin_family = sb.sin_family = AF_INET;
    sa.sin_addr.s_addr = sb.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(a, (struct sockaddr *)&sa, sizeof sa);
    bind(b, (struct sockaddr *)&sb, sizeof sb);
    socklen_t len = sizeof sa;
    getsockname(a, (struct sockaddr *)&sa, &len);
    getsockname(b, (struct sockaddr *)&sb, &len);
    struct mmsghdr msgs[3];
    struct iovec iov[3];
    char *words[3] = {"one", "two!", "three"};
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < 3; i++) {
        iov[i].iov_base = words[i];
        iov[i].iov_len = strlen(words[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &sb;
        msgs[i].msg_hdr.msg_namelen = sizeof sb;
    }
    int n = sendmmsg(a, msgs, 3, 0);
    printf("sendmmsg: %d (%u %u %u)\n", n, msgs[0].msg_len, msgs[1].msg_len, msgs[2].msg_len);
    char bufs[3][16];
    struct sockaddr_in from[3];
    memset(msgs, 0, sizeof msgs);
    memset(bufs, 0, sizeof bufs);
    for (int i = 0; i < 3; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof bufs[i] - 1;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    n = recvmmsg(b, msgs, 3, MSG_WAITFORONE, NULL);
    /* Datagrams on loopback arrive at once, but WAITFORONE may return fewer. */
    int total = n;
    while (total < 3 && n > 0) {
        n = recvmmsg(b, msgs + total, 3 - total, 0, NULL);
        if (n > 0) total += n;
    }
    printf("recvmmsg: %d: %s %s %s\n", total, bufs[0], bufs[1], bufs[2]);
    check(from[0].sin_port == sa.sin_port && msgs[0].msg_hdr.msg_namelen == sizeof sa, "sender address");
    /* sendto/recvfrom with a truncating buffer. */
    sendto(b, "datagram", 8, 0, (struct sockaddr *)&sa, sizeof sa);
    char small[4];
    struct sockaddr_in f;
    socklen_t flen = sizeof f;
    ssize_t got = recvfrom(a, small, sizeof small, MSG_TRUNC, (struct sockaddr *)&f, &flen);
    printf("recvfrom MSG_TRUNC: %zd %.4s port ok %d\n", got, small, f.sin_port == sb.sin_port);
    close(a);
    close(b);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    tcp();
    options();
    udp();
    return 0;
}
