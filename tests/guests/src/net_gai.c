/* Name resolution as a program does it: getaddrinfo("localhost") (glibc
 * reads /etc/hosts and asks the kernel over AF_NETLINK which address
 * families are configured), getnameinfo, and if_nameindex (netlink too).
 * Only host-independent facts are printed. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int e = getaddrinfo("localhost", "80", &hints, &res);
    printf("getaddrinfo(localhost, AF_INET): %s\n", e ? gai_strerror(e) : "ok");
    if (e) return 1;
    int loop = 0;
    for (struct addrinfo *r = res; r; r = r->ai_next) {
        struct sockaddr_in *in = (struct sockaddr_in *)r->ai_addr;
        if (in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(in->sin_port) == 80) loop = 1;
    }
    printf("127.0.0.1 port 80 among the results: %s\n", loop ? "yes" : "no");
    char host[64], serv[16];
    e = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    printf("getnameinfo: %s %s:%s\n", e ? gai_strerror(e) : "ok", host, serv);
    freeaddrinfo(res);

    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_ADDRCONFIG;
    e = getaddrinfo("localhost", NULL, &hints, &res);
    printf("getaddrinfo(localhost, AF_UNSPEC, AI_ADDRCONFIG): %s\n", e ? gai_strerror(e) : "ok");
    if (!e) freeaddrinfo(res);

    e = getaddrinfo("127.0.0.1", "http", &hints, &res);
    printf("getaddrinfo(127.0.0.1, http): %s\n", e ? gai_strerror(e) : "ok");
    if (!e) freeaddrinfo(res);

    struct if_nameindex *ni = if_nameindex();
    int lo = 0;
    for (struct if_nameindex *i = ni; i && i->if_index; i++)
        if (strcmp(i->if_name, "lo") == 0) lo = 1;
    printf("if_nameindex lists lo: %s\n", lo ? "yes" : "no");
    if (ni) if_freenameindex(ni);
    unsigned idx = if_nametoindex("lo");
    char name[IF_NAMESIZE];
    printf("if_nametoindex(lo) round trip: %s\n", idx && if_indextoname(idx, name) && !strcmp(name, "lo") ? "yes" : "no");
    return 0;
}
