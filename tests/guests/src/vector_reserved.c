/* Reserved vector encodings that qemu-riscv64 7.2, QEMU 10 and ferrovm all
 * refuse, next to legal neighbours: indexed loads whose destination shares
 * registers with the index vector (V 1.0 "Vector Operands": a destination
 * group may overlap a source group of another EEW only in the lowest part
 * of a wider source, or the highest part of a wider destination when the
 * source's EMUL is at least 1; "Vector Indexed Segment Loads and Stores":
 * a segment load's destinations may not overlap the index at all). Each
 * load reads buf[0] (the index registers hold 0), so a legal one runs.
 * The SIGILL handler steps over the instruction. One line per encoding:
 * 1 = SIGILL. Nothing depends on VLEN (>= 128). Built with -march=rv64gcv;
 * run with --isa max (ferrovm), -cpu rv64,v=true (qemu). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile sig_atomic_t sigills;

static void on_sigill(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)info;
    sigills++;
    ((ucontext_t *)uc)->uc_mcontext.__gregs[REG_PC] += 4;
}

static unsigned buf[64];

#define TRY(name, vset, insn)                                                                         \
    do {                                                                                              \
        int before = sigills;                                                                         \
        __asm__ volatile("mv a0, %0\n"                                                                \
                         "vsetivli t0, 4, " vset ", tu, mu\n"                                         \
                         "vmv.v.i v4, 0\n vmv.v.i v5, 0\n vmv.v.i v6, 0\n vmv.v.i v7, 0\n" insn "\n" \
                         :                                                                            \
                         : "r"(buf)                                                                   \
                         : "a0", "t0", "memory");                                                     \
        printf("%-34s %d\n", name, sigills != before);                                               \
    } while (0)

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, 0);
    /* A 32-bit destination over an 8-bit index of EMUL 1/4: reserved. */
    TRY("vluxei8.v v4, (a0), v4 at e32", "e32, m1", "vluxei8.v v4, (a0), v4");
    TRY("vluxei8.v v4, (a0), v5 at e32", "e32, m1", "vluxei8.v v4, (a0), v5");
    /* An 8-bit destination in the lowest part of the 32-bit index v4..v7:
     * legal; elsewhere in it: reserved. */
    TRY("vluxei32.v v4, (a0), v4 at e8", "e8, m1", "vluxei32.v v4, (a0), v4");
    TRY("vluxei32.v v5, (a0), v4 at e8", "e8, m1", "vluxei32.v v5, (a0), v4");
    /* One EEW: any overlap. */
    TRY("vloxei32.v v4, (a0), v4 at e32", "e32, m1", "vloxei32.v v4, (a0), v4");
    /* Segments: no overlap at all. */
    TRY("vluxseg2ei32.v v4, (a0), v5 at e32", "e32, m1", "vluxseg2ei32.v v4, (a0), v5");
    TRY("vluxseg2ei32.v v4, (a0), v6 at e32", "e32, m1", "vluxseg2ei32.v v4, (a0), v6");
    TRY("vloxseg2ei32.v v4, (a0), v4 at e32", "e32, m1", "vloxseg2ei32.v v4, (a0), v4");
    return 0;
}
