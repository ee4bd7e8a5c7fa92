/* sig_restart: blocking system calls interrupted by a signal with a
 * handler, with and without SA_RESTART (signal(7), "Interruption of system
 * calls and library functions by signal handlers"). SIGALRM arrives 100 ms
 * into each call (a margin for a loaded machine, where the code between
 * arming the timer and the call may first have to be compiled); the handler
 * makes the call's condition true, so a restarted call completes:
 *   read (pipe), write (full pipe), wait4, futex wait: restarted with
 *     SA_RESTART, EINTR without;
 *   nanosleep, poll, sigsuspend (and pause): EINTR either way. For these
 *   the timer repeats, so a signal that still came before the call (the
 *   handler does nothing) cannot leave sigsuspend or pause waiting forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static volatile sig_atomic_t handled;
static volatile int futex_word;
static void (*on_alarm)(void);

static void handler(int sig)
{
    (void)sig;
    handled++;
    if (on_alarm)
        on_alarm();
}

static void fill_pipe_byte(void)
{
    char c = 'x';
    if (write(pipefd[1], &c, 1) != 1)
        _exit(3);
}

static void drain_pipe(void)
{
    char buf[4096];
    int fl = fcntl(pipefd[0], F_GETFL);
    fcntl(pipefd[0], F_SETFL, fl | O_NONBLOCK);
    while (read(pipefd[0], buf, sizeof buf) > 0)
        ;
    fcntl(pipefd[0], F_SETFL, fl);
}

static void change_futex(void)
{
    futex_word = 1;
}

static void arm(int restart, void (*then)(void))
{
    const struct timeval first = {0, 100000};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    on_alarm = then;
    handled = 0;
    /* One signal for a handler that changes the call's condition; a
     * signal every 100 ms for the others. */
    struct itimerval it = {then ? (struct timeval){0, 0} : first, first};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
}

static const char *outcome(long r)
{
    static char buf[64];
    if (r < 0)
        snprintf(buf, sizeof buf, "%s", errno == EINTR ? "EINTR" : strerror(errno));
    else
        snprintf(buf, sizeof buf, "returned %ld", r);
    return buf;
}

static void report(const char *call, int restart, long r)
{
    disarm();
    printf("%-10s %-12s %s (handler ran: %s)\n", call, restart ? "SA_RESTART:" : "no restart:", outcome(r),
           handled ? "yes" : "no");
}

int main(void)
{
    for (int restart = 0; restart <= 1; restart++) {
        char c;
        long r;

        /* read from an empty pipe; the handler writes a byte */
        if (pipe(pipefd) != 0)
            return 1;
        arm(restart, fill_pipe_byte);
        r = read(pipefd[0], &c, 1);
        report("read", restart, r);
        close(pipefd[0]);
        close(pipefd[1]);

        /* write to a full pipe; the handler drains it */
        if (pipe(pipefd) != 0)
            return 1;
        fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
        char block[4096];
        memset(block, 'y', sizeof block);
        while (write(pipefd[1], block, sizeof block) > 0)
            ;
        while (write(pipefd[1], block, 1) > 0)
            ;
        fcntl(pipefd[1], F_SETFL, 0);
        arm(restart, drain_pipe);
        r = write(pipefd[1], block, 1);
        report("write", restart, r);
        close(pipefd[0]);
        close(pipefd[1]);

        /* wait4 for a child that exits after 300 ms */
        pid_t child = fork();
        if (child == 0) {
            struct timespec ts = {0, 300000000};
            nanosleep(&ts, NULL);
            _exit(9);
        }
        arm(restart, NULL);
        int status = 0;
        r = waitpid(child, &status, 0);
        report("wait4", restart, r == child ? 1 : r);
        if (r != child)
            waitpid(child, &status, 0);

        /* futex wait on a word the handler changes */
        futex_word = 0;
        arm(restart, change_futex);
        r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        if (r < 0 && errno == EAGAIN) {
            disarm();
            printf("%-10s %-12s restarted, then EAGAIN (handler ran: %s)\n", "futex", restart ? "SA_RESTART:" : "no restart:",
                   handled ? "yes" : "no");
        } else
            report("futex", restart, r);

        /* nanosleep: 2 s, cut short */
        arm(restart, NULL);
        struct timespec req = {2, 0}, rem = {0, 0};
        r = nanosleep(&req, &rem);
        report("nanosleep", restart, r);
        printf("%-10s %-12s remaining time reported: %s\n", "nanosleep", restart ? "SA_RESTART:" : "no restart:",
               rem.tv_sec == 1 && rem.tv_nsec > 0 ? "yes" : "no");

        /* poll on nothing for 2 s */
        arm(restart, NULL);
        r = poll(NULL, 0, 2000);
        report("poll", restart, r);

        /* sigsuspend with an empty mask */
        sigset_t none;
        sigemptyset(&none);
        arm(restart, NULL);
        r = sigsuspend(&none);
        report("sigsuspend", restart, r);

        /* pause */
        arm(restart, NULL);
        r = pause();
        report("pause", restart, r);
    }
    return 0;
}
