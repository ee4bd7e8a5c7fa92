/* time_random: clocks, sleeping and randomness, printing only properties
 * ("ok"), never values. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void ok(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAIL");
}

int main(void)
{
    struct timespec a, b, res;
    int mono = 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (ns(b) < ns(a))
            mono = 0;
        a = b;
    }
    ok("CLOCK_MONOTONIC non-decreasing over 1000 reads", mono);
    ok("tv_nsec in range", b.tv_nsec >= 0 && b.tv_nsec < 1000000000);

    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    ok("CLOCK_REALTIME after 2020-01-01", rt.tv_sec > 1577836800);
    time_t t = time(NULL);
    ok("time() close to CLOCK_REALTIME", t >= rt.tv_sec - 2 && t <= rt.tv_sec + 2);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    ok("gettimeofday close to CLOCK_REALTIME", tv.tv_sec >= rt.tv_sec - 2 && tv.tv_sec <= rt.tv_sec + 2);
    ok("clock_getres(CLOCK_MONOTONIC) succeeds and is <= 1 ms",
       clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec <= 1000000);
    struct timespec c1, c2;
    ok("CLOCK_PROCESS_CPUTIME_ID readable", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1) == 0);
    ok("CLOCK_THREAD_CPUTIME_ID readable", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c2) == 0);
    ok("CLOCK_BOOTTIME readable", clock_gettime(CLOCK_BOOTTIME, &c2) == 0);
    ok("invalid clock id gives EINVAL", clock_gettime(12345, &c2) == -1 && errno == EINVAL);
    clockid_t cid;
    ok("pthread_getcpuclockid(self) clock readable",
       pthread_getcpuclockid(pthread_self(), &cid) == 0 && clock_gettime(cid, &c2) == 0);
    ok("clock_settime(CLOCK_MONOTONIC) gives EINVAL", clock_settime(CLOCK_MONOTONIC, &c2) == -1 && errno == EINVAL);

    /* Process CPU time is the program's own: it does not run on while the
     * program sleeps (an emulator's compiler threads must not show). Some
     * work first, so that a JIT has something to compile meanwhile. */
    volatile unsigned long sink = 0;
    for (unsigned long i = 0; i < 300000; i++)
        sink += i * i ^ (sink >> 3);
    struct timespec p1, p2, tenth = {0, 100000000};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
    nanosleep(&tenth, NULL);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p2);
    ok("CPU time during a 100 ms sleep < 30 ms", ns(p2) - ns(p1) >= 0 && ns(p2) - ns(p1) < 30000000);

    struct timespec before, after, req = {0, 1000000}, rem;
    clock_gettime(CLOCK_MONOTONIC, &before);
    int r = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &after);
    ok("nanosleep(1 ms) returns 0", r == 0);
    ok("at least 1 ms passed", ns(after) - ns(before) >= 1000000);
    clock_gettime(CLOCK_MONOTONIC, &before);
    req.tv_nsec = 2000000;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    ok("clock_nanosleep(2 ms) returns 0 and waits", r == 0 && ns(after) - ns(before) >= 2000000);
    clock_gettime(CLOCK_MONOTONIC, &before);
    struct timespec deadline = before;
    deadline.tv_nsec += 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_nsec -= 1000000000;
        deadline.tv_sec++;
    }
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    ok("clock_nanosleep TIMER_ABSTIME reaches the deadline", r == 0 && ns(after) >= ns(deadline));
    req.tv_nsec = 1000000000;
    ok("nanosleep with tv_nsec = 1e9 gives EINVAL", nanosleep(&req, NULL) == -1 && errno == EINVAL);
    ok("usleep(500) returns 0", usleep(500) == 0);

    unsigned char buf1[16], buf2[16];
    memset(buf1, 0, sizeof buf1);
    memset(buf2, 0, sizeof buf2);
    ssize_t n1 = getrandom(buf1, sizeof buf1, 0);
    ssize_t n2 = getrandom(buf2, sizeof buf2, GRND_NONBLOCK);
    printf("getrandom returned %zd bytes: %s\n", n1, n1 == 16 ? "ok" : "FAIL");
    printf("getrandom(GRND_NONBLOCK) returned %zd bytes: %s\n", n2, n2 == 16 ? "ok" : "FAIL");
    ok("two getrandom results differ", memcmp(buf1, buf2, 16) != 0);
    int nonzero = 0;
    for (int i = 0; i < 16; i++)
        nonzero |= buf1[i];
    ok("getrandom bytes not all zero", nonzero != 0);
    unsigned char big[4096];
    ssize_t nb = getrandom(big, sizeof big, 0);
    int counts[256] = {0};
    for (int i = 0; i < 4096; i++)
        counts[big[i]]++;
    int maxc = 0;
    for (int i = 0; i < 256; i++)
        if (counts[i] > maxc)
            maxc = counts[i];
    ok("getrandom 4096 bytes, no byte value more than 64 times", nb == 4096 && maxc <= 64);
    ok("getentropy(32)", getentropy(big, 32) == 0);

    struct rusage ru;
    ok("getrusage(RUSAGE_SELF)", getrusage(RUSAGE_SELF, &ru) == 0);
    struct tms tm;
    ok("times() does not fail", times(&tm) != (clock_t)-1);
    ok("sysconf(_SC_CLK_TCK) == 100", sysconf(_SC_CLK_TCK) == 100);
    struct tm utc;
    time_t fixed = 1700000000;
    gmtime_r(&fixed, &utc);
    char s[64];
    strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S %a", &utc);
    printf("gmtime(1700000000) = %s\n", s);
    return 0;
}
