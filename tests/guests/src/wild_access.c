/* wild_access: loads and stores through wild pointers (beyond the Sv39
 * user space, negative, NULL with offsets), each recovered by a SIGSEGV
 * handler with siglongjmp, from functions hot enough to be compiled, with
 * several accesses through one base pointer (as compiled code checks them
 * together). Between the wild ones, the same functions do valid work whose
 * sums are printed. si_addr is printed for the NULL-based faults only:
 * beyond the guest's space, where it points is the emulator's business.
 * (Not 2^38 + 4096: qemu-riscv64 7.2, the oracle, lets a store there
 * succeed; on Sv39 Linux it faults.) WILD_DEBUG=1 lists the faults. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf jb;
static volatile uintptr_t last_addr;
static volatile int faults;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    faults++;
    last_addr = (uintptr_t)si->si_addr;
    siglongjmp(jb, 1);
}

/* Three loads through one base: p[0], p[1], p[k]. */
__attribute__((noinline)) static long sum3(const volatile long *p, long k)
{
    return p[0] + p[1] * 3 + p[k];
}

/* Two stores and a load through one base, one store through another. */
__attribute__((noinline)) static long update(volatile long *p, volatile long *q, long v)
{
    p[1] = v;
    p[0] = v + 1;
    *q = p[1] ^ v;
    return p[0];
}

static const uintptr_t wild[] = {
    (uintptr_t)1 << 38,        /* the first byte past Sv39 user space */
    (uintptr_t)1 << 40,
    (uintptr_t)1 << 47,
    (uintptr_t)1 << 63,
    (uintptr_t)-8,             /* -1 * 8: wraps */
    (uintptr_t)-4096,
    0x123456789abcdef0,
};
#define NWILD (sizeof wild / sizeof wild[0])

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    static long data[64], sink[4];
    for (int i = 0; i < 64; i++)
        data[i] = i * 7 + 1;
    volatile long sum = 0;
    volatile int recovered = 0, null_ok = 0;
    for (volatile int i = 0; i < 60000; i++) {
        /* Wild ones only once the functions ran hot. */
        volatile int wild_now = i >= 30000 && i % 1500 == 1499;
        volatile uintptr_t w = wild[(i / 1500) % NWILD];
        if (sigsetjmp(jb, 1) == 0) {
            if (wild_now && (i / 1500) % 3 == 0) {
                sum += update((volatile long *)w, &sink[0], i);
            } else if (wild_now && (i / 1500) % 3 == 1) {
                sum += sum3((const volatile long *)w, 2);
            } else if (wild_now) {
                /* NULL plus small offsets: a fault at a known address. */
                sum += sum3((const volatile long *)0, 5);
            } else {
                sum += sum3(&data[i % 32], i % 16);
                sum += update(&data[32 + i % 16], &sink[i % 4], i);
            }
        } else {
            recovered++;
            if (getenv("WILD_DEBUG"))
                fprintf(stderr, "fault at i=%d w=%#lx addr=%#lx\n", (int)i, (unsigned long)w, (unsigned long)last_addr);
            if (wild_now && (i / 1500) % 3 == 2 && last_addr == 0)
                null_ok++;
        }
    }
    printf("faults %d, recovered %d, NULL faults at address 0: %d\n", (int)faults, (int)recovered, (int)null_ok);
    printf("sum %ld\n", sum);
    return 0;
}
