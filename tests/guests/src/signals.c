/* signals: signal delivery and return.
 *  - SIGSEGV handler + siglongjmp recovery, 1000 times in a loop
 *  - SIGUSR1 via raise() and kill(getpid()), returning normally (sigreturn),
 *    with registers and FP state preserved across the handler
 *  - SA_SIGINFO: si_signo, si_code, si_addr of a fault
 *  - sigprocmask blocking, sigpending, delivery on unblock
 *  - SA_NODEFER, SA_RESETHAND, SIG_IGN
 *  - SIGALRM from setitimer, waited for with sigsuspend
 *  - sigaltstack: handler runs on the alternate stack
 * Everything printed is deterministic. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t segv_count, usr1_count, usr2_count, alrm_count;
static volatile int last_signo, last_code;
static volatile uintptr_t last_addr;
static volatile int usr1_seen_self_blocked;
static volatile int on_altstack;
static char *alt_base;
static size_t alt_size;

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    segv_count++;
    last_signo = sig;
    last_code = si->si_code;
    last_addr = (uintptr_t)si->si_addr;
    siglongjmp(jb, 1);
}

static void usr1_handler(int sig)
{
    (void)sig;
    usr1_count++;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    /* SIGUSR1 itself is blocked while its handler runs. (sa_mask is not
     * checked: qemu-riscv64 7.2, the oracle, does not add sa_mask to the
     * mask during the handler, unlike Linux.) */
    usr1_seen_self_blocked = sigismember(&cur, SIGUSR1);
    /* clobber FP and integer state; sigreturn must restore it */
    volatile double x = 1.0;
    for (int i = 0; i < 10; i++)
        x = x * 3.5 + 1.0;
    char local;
    on_altstack = alt_base && &local >= alt_base && &local < alt_base + alt_size;
}

static void usr2_handler(int sig)
{
    (void)sig;
    usr2_count++;
}

static void alrm_handler(int sig)
{
    (void)sig;
    alrm_count++;
}

static volatile int nodefer_depth, nodefer_max;
static void nodefer_handler(int sig)
{
    nodefer_depth++;
    if (nodefer_depth > nodefer_max)
        nodefer_max = nodefer_depth;
    if (nodefer_depth < 3)
        raise(sig); /* delivered immediately because of SA_NODEFER */
    nodefer_depth--;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    /* 1000 faults recovered with siglongjmp */
    volatile int recovered = 0;
    for (volatile int i = 0; i < 1000; i++) {
        if (sigsetjmp(jb, 1) == 0) {
            volatile int *p = (volatile int *)(uintptr_t)(16 + (i % 64) * 8);
            *p = i;
        } else {
            recovered++;
        }
    }
    printf("SIGSEGV recovered %d times, handler ran %d times\n", recovered, (int)segv_count);
    printf("last fault: signo=%d (SIGSEGV=%d) si_code=%d (SEGV_MAPERR=%d) si_addr=%#lx\n", last_signo,
           SIGSEGV, last_code, SEGV_MAPERR, (unsigned long)last_addr);
    /* the signal mask was restored by siglongjmp (savemask = 1) */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("SIGSEGV blocked after siglongjmp: %s\n", sigismember(&cur, SIGSEGV) ? "yes" : "no");

    /* SIGUSR1 via raise and kill, normal return through sigreturn */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr2_handler;
    sigaction(SIGUSR2, &sa, NULL);

    volatile double f = 1.25;
    long keep = 0x1234567890abcdefL;
    raise(SIGUSR1);
    printf("after raise: usr1_count=%d, SIGUSR1 blocked inside its handler: %s\n", (int)usr1_count,
           usr1_seen_self_blocked ? "yes" : "no");
    kill(getpid(), SIGUSR1);
    printf("after kill: usr1_count=%d\n", (int)usr1_count);
    printf("state preserved across handlers: %s\n", f == 1.25 && keep == 0x1234567890abcdefL ? "yes" : "no");
    int many = 0;
    for (int i = 0; i < 500; i++) {
        raise(SIGUSR1);
        many++;
    }
    printf("500 more raises: usr1_count=%d\n", (int)usr1_count);

    /* blocking and pending */
    sigset_t block, old, pend;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR2);
    raise(SIGUSR2); /* standard signals do not queue: one delivery */
    sigpending(&pend);
    printf("blocked SIGUSR2: delivered=%d, pending=%s\n", (int)usr2_count,
           sigismember(&pend, SIGUSR2) ? "yes" : "no");
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigpending(&pend);
    printf("after unblock: delivered=%d, pending=%s\n", (int)usr2_count,
           sigismember(&pend, SIGUSR2) ? "yes" : "no");
    printf("sigprocmask cannot block SIGKILL: ");
    sigfillset(&block);
    sigprocmask(SIG_SETMASK, &block, &old);
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("%s, SIGSTOP: %s\n", sigismember(&cur, SIGKILL) ? "blocked?!" : "ok",
           sigismember(&cur, SIGSTOP) ? "blocked?!" : "ok");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* SIG_IGN: raising an ignored signal does nothing */
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("ignored SIGUSR2: delivered=%d\n", (int)usr2_count);

    /* SA_NODEFER lets the handler be re-entered */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nodefer_handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("SA_NODEFER nesting depth reached %d\n", nodefer_max);

    /* SA_RESETHAND: the disposition goes back to default after one delivery */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr2_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    printf("SA_RESETHAND: delivered=%d, handler now SIG_DFL: %s\n", (int)usr2_count,
           now.sa_handler == SIG_DFL ? "yes" : "no");

    /* sigaltstack */
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
    printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("handler ran on the alternate stack: %s\n", on_altstack ? "yes" : "no");
    stack_t cur_ss;
    sigaltstack(NULL, &cur_ss);
    printf("alt stack not in use after return: %s\n", (cur_ss.ss_flags & SS_ONSTACK) ? "no" : "yes");

    /* SIGALRM from an interval timer, waited for with sigsuspend */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alrm_handler;
    sigaction(SIGALRM, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &it, NULL);
    sigset_t waitmask = old;
    sigdelset(&waitmask, SIGALRM);
    while (alrm_count < 3) {
        int r = sigsuspend(&waitmask);
        if (r != -1 || errno != EINTR)
            printf("sigsuspend returned unexpectedly\n");
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGALRM received at least 3 times via sigsuspend: yes\n");

    /* alarm() then pause() */
    alrm_count = 0;
    alarm(1);
    unsigned left = alarm(0);
    printf("alarm(0) returned remaining seconds >= 1: %s\n", left >= 1 ? "yes" : "no");
    printf("done\n");
    return 0;
}
