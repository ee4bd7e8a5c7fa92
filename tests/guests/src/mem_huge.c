/* mem_huge: large anonymous memory, which ferrovm backs with host huge
 * pages (2 MiB), behaves as 4 KiB pages must: a 16 MiB mapping filled and
 * checked with a stride that crosses every page, then parts of it unmapped
 * (one page, a range across a huge-page boundary), made read-only (a store
 * there faults: SIGSEGV, recovered with siglongjmp) and mremap'd larger
 * (contents kept, new pages zero); a 4 MiB heap grown with sbrk a page at a
 * time; and an 8 MiB MAP_STACK mapping, touched at its top only.
 *
 * With the argument "wait" it prints "ready" after mapping and touching
 * everything, then waits for a byte on standard input before it checks and
 * unmaps: the CLI test reads the host's /proc/PID/smaps meanwhile to see
 * which host pages were advised (crates/cli/tests/all/linux.rs,
 * large_guest_memory_gets_host_huge_pages).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024UL * 1024)
#define PAGE 4096UL

static sigjmp_buf env;
static volatile int faults;

static void on_segv(int sig)
{
    faults++;
    siglongjmp(env, 1);
}

static uint64_t tag(uint64_t i) { return i * 0x9e3779b97f4a7c15ULL ^ (i >> 7); }

int main(int argc, char **argv)
{
    int wait = argc > 1 && strcmp(argv[1], "wait") == 0;
    size_t len = 16 * MiB;
    uint64_t *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *stack = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (a == MAP_FAILED || stack == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    /* Every page, 520 bytes apart: each 4 KiB page gets several tags. */
    size_t n = len / sizeof *a;
    for (size_t i = 0; i < n; i += 65) a[i] = tag(i);
    memset(stack + 8 * MiB - PAGE, 0x5a, PAGE);

    /* The heap, a page at a time. */
    unsigned char *heap0 = sbrk(0);
    for (int k = 0; k < 1024; k++) {
        unsigned char *p = sbrk(PAGE);
        if (p == (void *)-1) {
            perror("sbrk");
            return 1;
        }
        memset(p, k & 0xff, PAGE);
    }

    if (wait) {
        printf("ready\n");
        fflush(stdout);
        char c;
        if (read(0, &c, 1) != 1) return 1;
    }

    uint64_t bad = 0;
    for (size_t i = 0; i < n; i += 65) bad += a[i] != tag(i);
    for (size_t i = 1; i < n; i += 4096) bad += i % 65 != 0 && a[i] != 0; /* never written */
    printf("16 MiB mapping: %lu wrong\n", (unsigned long)bad);

    bad = 0;
    for (int k = 0; k < 1024; k++) bad += heap0[k * PAGE + 123] != (k & 0xff);
    printf("4 MiB heap: %lu wrong\n", (unsigned long)bad);
    printf("stack top: %d, below it: %d\n", stack[8 * MiB - 1], stack[8 * MiB - PAGE - 1]);

    /* Unmap one page in the middle of a huge page, and 1 MiB across the
     * 4 MiB mark (a huge-page boundary if the mapping is 2 MiB-aligned,
     * inside huge pages either way); the rest stays. */
    char *b = (char *)a;
    munmap(b + 3 * MiB + 5 * PAGE, PAGE);
    munmap(b + 3 * MiB + 512 * 1024, MiB);
    bad = 0;
    for (size_t i = 0; i < n; i += 65) {
        size_t at = i * sizeof *a;
        int gone = (at >= 3 * MiB + 5 * PAGE && at < 3 * MiB + 6 * PAGE) ||
                   (at >= 3 * MiB + 512 * 1024 && at < 4 * MiB + 512 * 1024);
        if (!gone) bad += a[i] != tag(i);
    }
    printf("after two munmaps: %lu wrong\n", (unsigned long)bad);

    /* Read-only pages inside: reads work, a store faults. */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    mprotect(b + 6 * MiB, 3 * PAGE, PROT_READ);
    volatile uint64_t *ro = (volatile uint64_t *)(b + 6 * MiB + PAGE);
    uint64_t was = *ro;
    if (sigsetjmp(env, 1) == 0) *ro = 1;
    printf("read-only: read %s, store faulted %d time(s), value kept %s\n",
           was == a[(6 * MiB + PAGE) / 8] ? "ok" : "WRONG", faults, *ro == was ? "yes" : "NO");
    /* A store to an unmapped page faults too. */
    if (sigsetjmp(env, 1) == 0) b[3 * MiB + 5 * PAGE + 8] = 1;
    printf("store into the unmapped page: %d fault(s) in all\n", faults);
    mprotect(b + 6 * MiB, 3 * PAGE, PROT_READ | PROT_WRITE);
    *ro = 42;
    printf("writable again: %lu\n", (unsigned long)*ro);

    /* Grow the last 4 MiB piece to 12 MiB: its contents move along. */
    uint64_t *tail = (uint64_t *)(b + 12 * MiB);
    uint64_t *g = mremap(tail, 4 * MiB, 12 * MiB, MREMAP_MAYMOVE);
    if (g == MAP_FAILED) {
        perror("mremap");
        return 1;
    }
    bad = 0;
    size_t first = 12 * MiB / sizeof *a;
    for (size_t i = (first + 64) / 65 * 65; i < n; i += 65) bad += g[i - first] != tag(i);
    for (size_t i = 4 * MiB / 8; i < 12 * MiB / 8; i += 512) bad += g[i] != 0;
    for (size_t i = 4 * MiB / 8; i < 12 * MiB / 8; i += 1) g[i] = i;
    for (size_t i = 4 * MiB / 8; i < 12 * MiB / 8; i += 4099) bad += g[i] != i;
    printf("mremap to 12 MiB: %lu wrong\n", (unsigned long)bad);

    munmap(b, 12 * MiB);
    munmap(g, 12 * MiB);
    munmap(stack, 8 * MiB);
    printf("done\n");
    return 0;
}
