/* mmap_test: the memory-management system calls. Anonymous and file-backed
 * mmap, MAP_FIXED over an existing mapping, munmap of a middle page,
 * mprotect (checked by catching SIGSEGV on a write to a read-only page),
 * mremap grow/move, MAP_SHARED file writes visible through read(), brk/sbrk
 * growth and shrink, and large malloc blocks. No addresses are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t faults;

static void on_segv(int sig)
{
    (void)sig;
    faults++;
    siglongjmp(jb, 1);
}

/* Returns 1 if writing to p faults. */
static int write_faults(volatile char *p)
{
    if (sigsetjmp(jb, 1) == 0) {
        *p = 1;
        return 0;
    }
    return 1;
}

static int read_faults(volatile char *p)
{
    if (sigsetjmp(jb, 1) == 0) {
        (void)*p;
        return 0;
    }
    return 1;
}

static unsigned long sum_bytes(const unsigned char *p, size_t n)
{
    unsigned long s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 131 + p[i];
    return s;
}

int main(void)
{
    const long pg = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    /* anonymous mapping is zero-filled and page aligned */
    unsigned char *a = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap anon 16 pages: %s\n", a == MAP_FAILED ? "failed" : "ok");
    printf("page aligned: %s\n", ((uintptr_t)a % pg) == 0 ? "yes" : "no");
    int zero = 1;
    for (long i = 0; i < 16 * pg; i++)
        if (a[i])
            zero = 0;
    printf("zero filled: %s\n", zero ? "yes" : "no");
    for (long i = 0; i < 16 * pg; i++)
        a[i] = (unsigned char)(i * 7);
    printf("pattern checksum %#lx\n", sum_bytes(a, 16 * pg));

    /* mprotect read-only: writes fault, reads work; then back to RW */
    printf("mprotect page 3 PROT_READ: %d\n", mprotect(a + 3 * pg, pg, PROT_READ));
    printf("  write page 3 faults: %d, write page 2 faults: %d, read page 3 faults: %d\n",
           write_faults((char *)a + 3 * pg + 5), write_faults((char *)a + 2 * pg + 5),
           read_faults((char *)a + 3 * pg + 5));
    printf("mprotect page 3 PROT_NONE: %d\n", mprotect(a + 3 * pg, pg, PROT_NONE));
    printf("  read page 3 faults: %d\n", read_faults((char *)a + 3 * pg));
    printf("mprotect page 3 RW again: %d\n", mprotect(a + 3 * pg, pg, PROT_READ | PROT_WRITE));
    printf("  write page 3 faults: %d, byte kept: %s\n", write_faults((char *)a + 3 * pg + 6),
           a[3 * pg + 5] == (unsigned char)((3 * pg + 5) * 7) ? "yes" : "no");
    printf("mprotect unaligned address: %s\n",
           mprotect(a + 1, pg, PROT_READ) == -1 && errno == EINVAL ? "EINVAL" : "unexpected");

    /* munmap a middle page: it faults, neighbours survive */
    printf("munmap page 5: %d\n", munmap(a + 5 * pg, pg));
    printf("  read page 5 faults: %d, page 4 and 6 intact: %s\n", read_faults((char *)a + 5 * pg),
           a[4 * pg + 1] == (unsigned char)((4 * pg + 1) * 7) &&
                   a[6 * pg + 1] == (unsigned char)((6 * pg + 1) * 7)
               ? "yes"
               : "no");

    /* MAP_FIXED replaces existing pages with fresh zero pages */
    unsigned char *f = mmap(a + 8 * pg, 2 * pg, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED over pages 8-9: %s, zeroed: %s, page 10 intact: %s\n",
           f == a + 8 * pg ? "same address" : "moved", f[0] == 0 && f[2 * pg - 1] == 0 ? "yes" : "no",
           a[10 * pg] == (unsigned char)((10 * pg) * 7) ? "yes" : "no");
    /* (MAP_FIXED_NOREPLACE is not tested: qemu-riscv64 7.2, the oracle,
     * maps over the live page where Linux returns EEXIST.) */

    /* mremap: grow in place or move, contents preserved */
    unsigned char *r = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(r, 0xab, 2 * pg);
    unsigned char *r2 = mremap(r, 2 * pg, 64 * pg, MREMAP_MAYMOVE);
    printf("mremap grow to 64 pages: %s, old contents kept: %s, new part zero: %s\n",
           r2 == MAP_FAILED ? "failed" : "ok", r2[0] == 0xab && r2[2 * pg - 1] == 0xab ? "yes" : "no",
           r2[2 * pg] == 0 && r2[64 * pg - 1] == 0 ? "yes" : "no");
    unsigned char *r3 = mremap(r2, 64 * pg, pg, 0);
    printf("mremap shrink to 1 page: %s, same address: %s\n", r3 == MAP_FAILED ? "failed" : "ok",
           r3 == r2 ? "yes" : "no");
    munmap(r3, pg);
    printf("munmap whole first mapping: %d\n", munmap(a, 16 * pg));
    printf("munmap unaligned: %s\n", munmap(a + 1, pg) == -1 && errno == EINVAL ? "EINVAL" : "unexpected");
    printf("mmap length 0: %s\n",
           mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL
               ? "EINVAL"
               : "unexpected");

    /* file-backed mappings */
    char path[4096];
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/ferrovm-mmap-XXXXXX", t && *t ? t : "/tmp");
    int fd = mkstemp(path);
    unlink(path);
    const long flen = 2 * pg + pg / 2; /* two and a half pages */
    for (long i = 0; i < flen; i++) {
        char c = (char)('a' + i % 26);
        if (write(fd, &c, 1) != 1)
            return 1;
    }
    char *m = mmap(NULL, 3 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
    printf("mmap file at offset 1 page: first bytes \"%.8s\"\n", m);
    munmap(m, 3 * pg);
    /* The rest of the page holding EOF reads as zero; a page wholly past
     * EOF gives SIGBUS. */
    m = mmap(NULL, 3 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
    printf("last byte of file mapped: %s\n", m[pg + pg / 2 - 1] == 'a' + (flen - 1) % 26 ? "yes" : "no");
    printf("rest of the EOF page reads zero: %s\n",
           m[pg + pg / 2] == 0 && m[2 * pg - 1] == 0 ? "yes" : "no");
    printf("page past EOF faults: %d\n", read_faults(m + 2 * pg));
    munmap(m, 3 * pg);
    char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(s, "SHARED!", 7);
    msync(s, pg, MS_SYNC);
    char back[8] = {0};
    if (pread(fd, back, 7, 0) != 7)
        return 1;
    printf("MAP_SHARED write visible through pread: \"%s\"\n", back);
    char *p2 = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    p2[0] = 'X';
    if (pread(fd, back, 7, 0) != 7)
        return 1;
    printf("MAP_PRIVATE write not visible: \"%s\", mapping sees \"%.7s\"\n", back, p2);
    munmap(p2, pg);
    munmap(s, pg);
    close(fd);

    /* brk / sbrk */
    char *b0 = sbrk(0);
    char *b1 = sbrk(10 * pg);
    char *b2 = sbrk(0);
    printf("sbrk(10 pages) returned old break: %s, break advanced by %ld\n", b1 == b0 ? "yes" : "no",
           (long)(b2 - b0));
    memset(b1, 0x5c, 10 * pg);
    printf("new heap writable: %s\n", b1[10 * pg - 1] == 0x5c ? "yes" : "no");
    sbrk(-5 * pg);
    printf("sbrk(-5 pages): break now +%ld\n", (long)((char *)sbrk(0) - b0));
    printf("brk back to start: %d\n", brk(b0));

    /* large and many malloc blocks (mmap threshold and brk arena) */
    unsigned long h = 0;
    for (int i = 1; i <= 8; i++) {
        size_t n = (size_t)i * 1024 * 1024;
        unsigned char *big = malloc(n);
        for (size_t k = 0; k < n; k += 4096)
            big[k] = (unsigned char)(k >> 12);
        h = h * 31 + sum_bytes(big, 64) + big[n - 4096];
        free(big);
    }
    void *small[1000];
    for (int i = 0; i < 1000; i++) {
        small[i] = malloc(100 + i);
        memset(small[i], i, 100 + i);
    }
    for (int i = 0; i < 1000; i++) {
        h = h * 31 + ((unsigned char *)small[i])[99 + i];
        free(small[i]);
    }
    printf("malloc large/small checksum %#lx\n", h);
    printf("SIGSEGV/SIGBUS handler ran %d times\n", (int)faults);
    return 0;
}
