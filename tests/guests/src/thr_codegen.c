/* thr_codegen: one thread generates machine code that other threads run,
 * rewriting it in place every round (cross-thread code modification).
 * A writer thread owns an RWX page (mmap PROT_READ|PROT_WRITE|PROT_EXEC).
 * Each of 24 rounds it writes a new function at the same address,
 * returning a new value N, then makes it visible to all threads: in even
 * rounds with __builtin___clear_cache (GCC calls glibc's
 * __riscv_flush_icache(start, end, 0), which uses the vDSO's
 * __vdso_flush_icache if there is a vDSO -- qemu-riscv64 7.2 has none --
 * and otherwise the riscv_flush_icache system call, 259), in odd rounds
 * with syscall(259, start, end, 0) directly; either way followed by a
 * fence.i of its own. A barrier then
 * releases 3 caller threads, which call the function 2000 times each (hot
 * enough for a JIT to compile it) and must see the new value every time;
 * a second barrier keeps the writer from rewriting while they call.
 * The functions vary in length and encoding from round to round:
 *   round % 3 == 0:  lui a0, hi; addiw a0, a0, lo; ret            (li a0, N)
 *   round % 3 == 1:  c.li a0, k; addi a0, a0, 1 (x k); c.jr ra    (RVC mix)
 *   round % 3 == 2:  li a0, N split over lui/addiw, then a loop adding 1
 *                    to a1 N%7+1 times via bnez, added to a0; ret
 * Some rounds also put the function at a second address on the same page
 * (4 bytes further), so a stale translation keyed by address would also
 * be caught. Printed: each round's value and how many calls returned it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SYS_RISCV_FLUSH_ICACHE 259 /* flags 0: all threads of the process */

#define CALLERS 3
#define ROUNDS 24
#define CALLS 2000

typedef long (*fn_t)(void);

static uint8_t *page;
static fn_t current;
static long expected_value;
static pthread_barrier_t written, called;
static atomic_long right_calls[ROUNDS], wrong_calls[ROUNDS];
static atomic_int flush_errors;

/* ---- a tiny RISC-V encoder ---- */
enum { ZERO = 0, RA = 1, A0 = 10, A1 = 11 };

static uint32_t lui(int rd, int32_t imm20) { return ((uint32_t)imm20 << 12) | (uint32_t)rd << 7 | 0x37; }
static uint32_t addiw(int rd, int rs1, int32_t imm) { return ((uint32_t)imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | (uint32_t)rd << 7 | 0x1b; }
static uint32_t addi(int rd, int rs1, int32_t imm) { return ((uint32_t)imm & 0xfff) << 20 | (uint32_t)rs1 << 15 | (uint32_t)rd << 7 | 0x13; }
static uint32_t add(int rd, int rs1, int rs2) { return (uint32_t)rs2 << 20 | (uint32_t)rs1 << 15 | (uint32_t)rd << 7 | 0x33; }
static uint32_t ret_insn(void) { return 0x00008067; } /* jalr zero, 0(ra) */
/* bne rs1, zero, offset (offset a multiple of 2, within +-4 KiB) */
static uint32_t bnez(int rs1, int32_t off)
{
    uint32_t o = (uint32_t)off;
    return ((o >> 12) & 1) << 31 | ((o >> 5) & 0x3f) << 25 | 0u << 20 | (uint32_t)rs1 << 15 | 1u << 12 |
           ((o >> 1) & 0xf) << 8 | ((o >> 11) & 1) << 7 | 0x63;
}
static uint16_t c_li(int rd, int32_t imm) { return (uint16_t)(2u << 13 | ((imm >> 5) & 1) << 12 | (uint32_t)rd << 7 | (imm & 0x1f) << 2 | 1); }
static uint16_t c_jr_ra(void) { return 0x8082; }

struct emitter {
    uint8_t *p;
};
static void e32(struct emitter *e, uint32_t insn) { memcpy(e->p, &insn, 4); e->p += 4; }
static void e16(struct emitter *e, uint16_t insn) { memcpy(e->p, &insn, 2); e->p += 2; }
static void li32(struct emitter *e, int rd, int32_t n)
{
    int32_t hi = (int32_t)(((int64_t)n + 0x800) >> 12);
    int32_t lo = n - (int32_t)((uint32_t)hi << 12);
    e32(e, lui(rd, hi & 0xfffff));
    e32(e, addiw(rd, rd, lo));
}

/* Writes round r's function at `at`; returns the value it returns. */
static long generate(uint8_t *at, int r)
{
    struct emitter e = {at};
    long n;
    switch (r % 3) {
    case 0:
        n = 100000L * (r + 1) + 4321 * r - 2048;
        li32(&e, A0, (int32_t)n);
        e32(&e, ret_insn());
        break;
    case 1: {
        int k = r % 9 + 2;
        n = 7 + r % 5 + k;
        e16(&e, c_li(A0, 7 + r % 5));
        for (int i = 0; i < k; i++)
            e32(&e, addi(A0, A0, 1));
        e16(&e, c_jr_ra());
        break;
    }
    default: {
        int32_t base = -300000 * r + 77;
        int loops = r % 7 + 1;
        n = base + loops;
        li32(&e, A0, base);
        e32(&e, addi(A1, ZERO, loops)); /* a1 = loops */
        e32(&e, addi(A0, A0, 1));       /* loop: a0 += 1 */
        e32(&e, addi(A1, A1, -1));      /*       a1 -= 1 */
        e32(&e, bnez(A1, -8));          /*       bnez a1, loop */
        e32(&e, add(A0, A0, ZERO));
        e32(&e, ret_insn());
        break;
    }
    }
    return n;
}

static void *writer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        /* odd rounds of each six move the entry 4 bytes further in */
        uint8_t *at = page + ((r / 3) % 2 ? 4 : 0);
        memset(page, 0, 256); /* 0x00000000 is an illegal instruction: stale code would fault */
        expected_value = generate(at, r);
        if (r % 2 == 0)
            __builtin___clear_cache((char *)page, (char *)page + 256);
        else if (syscall(SYS_RISCV_FLUSH_ICACHE, page, page + 256, 0UL) != 0)
            atomic_fetch_add(&flush_errors, 1);
        __asm__ volatile("fence.i" ::: "memory");
        current = (fn_t)(void *)at;
        pthread_barrier_wait(&written);
        pthread_barrier_wait(&called);
    }
    return NULL;
}

static void *caller(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&written);
        fn_t f = current;
        long want = expected_value;
        long right = 0, wrong = 0;
        for (int i = 0; i < CALLS; i++) {
            if (f() == want)
                right++;
            else
                wrong++;
        }
        atomic_fetch_add(&right_calls[r], right);
        atomic_fetch_add(&wrong_calls[r], wrong);
        pthread_barrier_wait(&called);
    }
    return NULL;
}

int main(void)
{
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        printf("mmap RWX failed\n");
        return 1;
    }
    pthread_barrier_init(&written, NULL, CALLERS + 1);
    pthread_barrier_init(&called, NULL, CALLERS + 1);
    pthread_t w, c[CALLERS];
    for (int i = 0; i < CALLERS; i++)
        pthread_create(&c[i], NULL, caller, NULL);
    pthread_create(&w, NULL, writer, NULL);
    pthread_join(w, NULL);
    for (int i = 0; i < CALLERS; i++)
        pthread_join(c[i], NULL);
    long total_wrong = 0;
    for (int r = 0; r < ROUNDS; r++) {
        struct emitter e = {page + 1024}; /* recompute the value without running it */
        long n = generate(e.p, r);
        printf("round %2d: value %8ld returned by %ld of %d calls\n", r, n, atomic_load(&right_calls[r]),
               CALLERS * CALLS);
        total_wrong += atomic_load(&wrong_calls[r]);
    }
    printf("calls that returned an old value: %ld; failed riscv_flush_icache calls: %d\n", total_wrong,
           atomic_load(&flush_errors));
    return 0;
}
