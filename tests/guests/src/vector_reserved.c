/* Reserved vector encodings that qemu-riscv64 7.2, QEMU 10 and ferrovm all
 * refuse, next to legal neighbours, all about V 1.0 "Vector Operands": a
 * destination group may overlap a source group of another EEW only in the
 * lowest part of a wider source, or in the highest part of a wider
 * destination when the source's EMUL is at least 1 (mask results have EEW
 * 1). Indexed loads whose destination shares registers with the index
 * vector ("Vector Indexed Segment Loads and Stores": a segment load's
 * destinations may not overlap the index at all; each load reads buf[0],
 * the index registers holding 0, so a legal one runs); widening,
 * narrowing, extending and compare instructions.
 * (vwmacc.vv v2, v3, v4 at e8, where v3 is read as vs1 and as part of the
 * 16-bit accumulator v2..v3, is reserved too, but qemu-riscv64 7.2 runs
 * it: vector_rva23 has it.) The SIGILL handler steps over the instruction. One line per encoding:
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
                         "vsetivli t0, 4, e32, m1, tu, mu\n"                                         \
                         "vmv.v.i v4, 0\n vmv.v.i v5, 0\n vmv.v.i v6, 0\n vmv.v.i v7, 0\n"         \
                         "vsetivli t0, 4, " vset ", tu, mu\n" insn "\n"                               \
                         :                                                                            \
                         : "r"(buf)                                                                   \
                         : "a0", "t0", "memory");                                                     \
        printf("%-34s %d\n", name, sigills != before);                                               \
    } while (0)

/* The same for an encoding the assembler does not take. */
#define OPV(f6, vm, vs2, vs1, f3, vd)                                                              \
    ((unsigned)(f6) << 26 | (unsigned)(vm) << 25 | (unsigned)(vs2) << 20 | (unsigned)(vs1) << 15 | \
     (unsigned)(f3) << 12 | (unsigned)(vd) << 7 | 0x57u)
#define TRYW(name, vset, w)                                                                  \
    do {                                                                                     \
        int before = sigills;                                                                \
        __asm__ volatile("vsetivli t0, 4, " vset ", tu, mu\n .4byte %0\n" : : "i"(w) : "t0", "a1"); \
        printf("%-34s %d\n", name, sigills != before);                                      \
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
    /* Widening: the 16-bit v2..v3 over an 8-bit source of EMUL 1 in its
     * highest part (legal), its lowest (reserved), or of EMUL 1/2
     * (reserved). */
    TRY("vwadd.vv v2, v3, v4 at e8", "e8, m1", "vwadd.vv v2, v3, v4");
    TRY("vwadd.vv v2, v2, v4 at e8", "e8, m1", "vwadd.vv v2, v2, v4");
    TRY("vwadd.vv v2, v2, v4 at e8 mf2", "e8, mf2", "vwadd.vv v2, v2, v4");
    TRY("vwmacc.vv v2, v2, v4 at e8", "e8, m1", "vwmacc.vv v2, v2, v4");
    /* Narrowing: the 8-bit v2 or v3 over the 16-bit v2..v3. */
    TRY("vnsrl.wv v2, v2, v4 at e8", "e8, m1", "vnsrl.wv v2, v2, v4");
    TRY("vnsrl.wv v3, v2, v4 at e8", "e8, m1", "vnsrl.wv v3, v2, v4");
    /* vsext.vf2 at e16 m2: the 8-bit v3 is the highest part of v2..v3. */
    TRY("vsext.vf2 v2, v3 at e16 m2", "e16, m2", "vsext.vf2 v2, v3");
    TRY("vsext.vf2 v2, v2 at e16 m2", "e16, m2", "vsext.vf2 v2, v2");
    /* A mask result over the lowest or the second register of v2..v3. */
    TRY("vmseq.vv v2, v2, v4 at e8 m2", "e8, m2", "vmseq.vv v2, v2, v4");
    TRY("vmseq.vv v3, v2, v4 at e8 m2", "e8, m2", "vmseq.vv v3, v2, v4");
    TRY("vmadc.vv v3, v2, v4 at e8 m2", "e8, m2", "vmadc.vv v3, v2, v4");
    TRY("vmadc.vv v5, v2, v4 at e8 m2", "e8, m2", "vmadc.vv v5, v2, v4");
    TRY("vmadc.vv v6, v2, v4 at e8 m2", "e8, m2", "vmadc.vv v6, v2, v4");
    /* The same rules in FP. */
    TRY("vfwadd.vv v2, v2, v4 at e32 mf2", "e32, mf2", "vfwadd.vv v2, v2, v4");
    TRY("vfncvt.f.f.w v3, v2 at e32", "e32, m1", "vfncvt.f.f.w v3, v2");
    TRY("vmfeq.vv v3, v2, v4 at e32 m2", "e32, m2", "vmfeq.vv v3, v2, v4");
    TRY("vfwcvt.f.f.v v2, v2 at e32", "e32, m1", "vfwcvt.f.f.v v2, v2");
    TRY("vfwcvt.f.f.v v2, v3 at e32", "e32, m1", "vfwcvt.f.f.v v2, v3");
    /* Destinations that may not overlap a source at all. */
    TRY("vrgather.vi v2, v2, 1 at e8", "e8, m1", "vrgather.vi v2, v2, 1");
    TRY("vrgatherei16.vv v2, v4, v2 at e16", "e16, m1", "vrgatherei16.vv v2, v4, v2");
    TRY("vslide1up.vx v2, v2, a1 at e8", "e8, m1", "vslide1up.vx v2, v2, a1");
    TRY("vslidedown.vi v2, v2, 1 at e8 m2", "e8, m2", "vslidedown.vi v2, v2, 1");
    TRY("vcompress.vm v2, v2, v3 at e8", "e8, m1", "vcompress.vm v2, v2, v3");
    TRY("vcompress.vm v2, v4, v2 at e8", "e8, m1", "vcompress.vm v2, v4, v2");
    TRY("vmsif.m v2, v2 at e8", "e8, m1", "vmsif.m v2, v2");
    TRY("vmsbf.m v1, v2 at e8", "e8, m1", "vmsbf.m v1, v2");
    TRY("viota.m v0, v2, v0.t at e8", "e8, m1", "viota.m v0, v2, v0.t");
    /* Masked: v0 as a destination only for scalar and mask results. */
    TRY("vredsum.vs v0, v2, v3, v0.t at e8", "e8, m1", "vredsum.vs v0, v2, v3, v0.t");
    TRY("vmadc.vim v0, v2, 1, v0 at e8", "e8, m1", "vmadc.vim v0, v2, 1, v0");
    TRY("vsbc.vxm v0, v2, a1, v0 at e8", "e8, m1", "vsbc.vxm v0, v2, a1, v0");
    TRY("vlseg2e32.v v0, (a0), v0.t at e32", "e32, m1", "vlseg2e32.v v0, (a0), v0.t");
    /* Fields that must be 0 (vs2 of the moves, vs1 of vmv.x.s) or 1 (vm of
     * unmaskable instructions), and element widths with no wider or
     * narrower type. */
    TRYW("vmv.v.v v2, v4 with vs2 = v3", "e8, m1", OPV(0x17, 1, 3, 4, 0, 2));
    TRYW("vmv.v.i v2, 1 with vs2 = v3", "e8, m1", OPV(0x17, 1, 3, 1, 3, 2));
    TRYW("vmv.s.x v2, a0 with vs2 = v3", "e8, m1", OPV(0x10, 1, 3, 10, 6, 2));
    TRYW("vmv.x.s a1, v2 with vs1 = 1", "e8, m1", OPV(0x10, 1, 2, 1, 2, 11));
    TRYW("vid.v v2 with vs2 = v3", "e8, m1", OPV(0x14, 1, 3, 0x11, 2, 2));
    TRYW("vmv1r.v v2, v4 with vm = 0", "e8, m1", OPV(0x27, 0, 4, 0, 3, 2));
    TRYW("vmv.x.s a1, v2 with vm = 0", "e8, m1", OPV(0x10, 0, 2, 0, 2, 11));
    TRY("vwadd.vv v2, v4, v6 at e64", "e64, m1", "vwadd.vv v2, v4, v6");
    TRY("vnsrl.wv v2, v4, v6 at e64", "e64, m1", "vnsrl.wv v2, v4, v6");
    TRY("vwadd.vv v0, v8, v16 at e8 m8", "e8, m8", "vwadd.vv v0, v8, v16");
    TRY("vzext.vf2 v2, v4 at e8", "e8, m1", "vzext.vf2 v2, v4");
    TRY("vzext.vf8 v2, v4 at e64", "e64, m1", "vzext.vf8 v2, v4");
    return 0;
}
