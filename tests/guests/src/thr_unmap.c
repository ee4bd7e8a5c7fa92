/* thr_unmap: one thread unmaps or protects memory while another thread's
 * hot loop (compiled code, in a JIT) or a system call is using it. The
 * looping thread must get SIGSEGV at the exact load or store instruction,
 * with si_addr in the page and the right si_code (SEGV_MAPERR after
 * munmap, SEGV_ACCERR after mprotect); the system call must fail with
 * EFAULT. Nothing else may happen: no crash of the emulator, no hang.
 *
 * The loops are assembly with global labels, so the handler can compare
 * the saved pc with the instruction's address. Each round waits until the
 * loop has run 200,000 times (long enough to be compiled by any tiering
 * policy) before the other thread pulls the memory away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* load_loop(p, counter): forever { t0 = *p; *counter += 1 }.
 * store_loop(p, counter): forever { *p = t0; *counter += 1 }. */
__asm__(".text\n"
        ".globl load_loop\n"
        ".type load_loop, @function\n"
        "load_loop:\n"
        "    li a2, 1\n"
        "1:\n"
        ".globl race_load\n"
        "race_load:\n"
        "    ld t0, 8(a0)\n"
        "    amoadd.d zero, a2, (a1)\n"
        "    j 1b\n"
        ".size load_loop, . - load_loop\n"
        ".globl store_loop\n"
        ".type store_loop, @function\n"
        "store_loop:\n"
        "    li a2, 1\n"
        "1:\n"
        ".globl race_store\n"
        "race_store:\n"
        "    sd a2, 16(a0)\n"
        "    amoadd.d zero, a2, (a1)\n"
        "    j 1b\n"
        ".size store_loop, . - store_loop\n");

void load_loop(void *p, _Atomic long *counter) __attribute__((noreturn));
void store_loop(void *p, _Atomic long *counter) __attribute__((noreturn));
extern char race_load[], race_store[];

static __thread sigjmp_buf escape;
static __thread uintptr_t fault_pc, fault_addr;
static __thread int fault_code;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    ucontext_t *uc = ctx;
    fault_pc = uc->uc_mcontext.__gregs[REG_PC];
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    siglongjmp(escape, 1);
}

struct round {
    void (*loop)(void *, _Atomic long *);
    char *page;
    _Atomic long count;
    uintptr_t pc, addr;
    int code;
};

static void *looper(void *arg)
{
    struct round *r = arg;
    if (sigsetjmp(escape, 1) == 0)
        r->loop(r->page, &r->count);
    r->pc = fault_pc;
    r->addr = fault_addr;
    r->code = fault_code;
    return NULL;
}

static void wait_for(_Atomic long *count, long n)
{
    while (atomic_load(count) < n) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

/* One round: a looper thread runs `loop` on a fresh page; once it is hot
 * this thread unmaps the page (or makes it inaccessible). */
static void round_(const char *what, void (*loop)(void *, _Atomic long *), char *insn, int protect, int want_code,
                   uintptr_t offset)
{
    struct round r = {.loop = loop};
    r.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r.page == MAP_FAILED) {
        printf("%s: mmap failed\n", what);
        return;
    }
    memset(r.page, 7, 4096);
    pthread_t t;
    pthread_create(&t, NULL, looper, &r);
    wait_for(&r.count, 200000);
    if (protect)
        mprotect(r.page, 4096, PROT_NONE);
    else
        munmap(r.page, 4096);
    pthread_join(t, NULL);
    printf("%s: SIGSEGV at the instruction: %s; si_addr: %s; si_code %s: %s\n", what,
           r.pc == (uintptr_t)insn ? "yes" : "no", r.addr == (uintptr_t)r.page + offset ? "yes" : "no",
           want_code == SEGV_MAPERR ? "SEGV_MAPERR" : "SEGV_ACCERR", r.code == want_code ? "yes" : "no");
    if (protect)
        munmap(r.page, 4096);
}

/* A system call reading a buffer another thread unmaps: write() returns
 * EFAULT once the buffer is gone, and nothing worse happens. */
static char *write_buf;
static _Atomic long writes;
static int write_errno;

static void *writer(void *arg)
{
    int fd = (int)(intptr_t)arg;
    for (;;) {
        ssize_t n = write(fd, write_buf, 65536);
        if (n < 0) {
            write_errno = errno;
            return NULL;
        }
        atomic_fetch_add(&writes, 1);
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    for (int i = 0; i < 3; i++) {
        round_("load, munmap", load_loop, race_load, 0, SEGV_MAPERR, 8);
        round_("store, munmap", store_loop, race_store, 0, SEGV_MAPERR, 16);
        round_("load, mprotect", load_loop, race_load, 1, SEGV_ACCERR, 8);
        round_("store, mprotect", store_loop, race_store, 1, SEGV_ACCERR, 16);
    }

    int fd = open("/dev/null", O_WRONLY);
    write_buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(write_buf, 1, 65536);
    pthread_t w;
    pthread_create(&w, NULL, writer, (void *)(intptr_t)fd);
    wait_for(&writes, 100);
    munmap(write_buf, 65536);
    pthread_join(w, NULL);
    printf("write from a buffer another thread unmapped: %s\n", write_errno == EFAULT ? "EFAULT" : strerror(write_errno));
    return 0;
}
