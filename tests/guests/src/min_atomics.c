/* min_atomics: the A extension on a single hart. LR/SC retry loops (word
 * and doubleword), SC failure without a reservation, every AMO in .w and .d
 * width with the plain/.aq/.rl/.aqrl orderings, sign extension of .w
 * results, and the fence forms. Prints old values and memory contents. */
#include "minimal.h"

static volatile u64 dmem[4] __attribute__((aligned(16)));
static volatile u32 wmem[4] __attribute__((aligned(16)));

#define AMO(name, insn)                                                       \
    static u64 name(volatile void *p, u64 v)                                  \
    {                                                                         \
        u64 old;                                                              \
        __asm__ volatile(insn " %0, %2, (%1)"                                 \
                         : "=&r"(old) : "r"(p), "r"(v) : "memory");           \
        return old;                                                           \
    }

/* Expand by hand: the mnemonic needs dots, so name the functions apart. */
#define AMOPAIR(op)                                                           \
    AMO(amo##op##_w, "amo" #op ".w") AMO(amo##op##_w_aq, "amo" #op ".w.aq")   \
    AMO(amo##op##_w_rl, "amo" #op ".w.rl")                                    \
    AMO(amo##op##_w_aqrl, "amo" #op ".w.aqrl")                                \
    AMO(amo##op##_d, "amo" #op ".d") AMO(amo##op##_d_aq, "amo" #op ".d.aq")   \
    AMO(amo##op##_d_rl, "amo" #op ".d.rl")                                    \
    AMO(amo##op##_d_aqrl, "amo" #op ".d.aqrl")

AMOPAIR(swap) AMOPAIR(add) AMOPAIR(and) AMOPAIR(or) AMOPAIR(xor)
AMOPAIR(min) AMOPAIR(max) AMOPAIR(minu) AMOPAIR(maxu)

typedef u64 (*amofn)(volatile void *, u64);
struct amo {
    const char *name;
    amofn w[4], d[4];
};
#define ROW(op)                                                               \
    {#op,                                                                     \
     {amo##op##_w, amo##op##_w_aq, amo##op##_w_rl, amo##op##_w_aqrl},         \
     {amo##op##_d, amo##op##_d_aq, amo##op##_d_rl, amo##op##_d_aqrl}},
static const struct amo amos[] = {
    ROW(swap) ROW(add) ROW(and) ROW(or) ROW(xor) ROW(min) ROW(max) ROW(minu)
    ROW(maxu)
};

static const u64 init_vals[] = {0x0000000000000005, 0xfffffffffffffffb,
                                0x000000007fffffff, 0x8000000080000000};
static const u64 operands[] = {0x0000000000000003, 0xfffffffffffffffd,
                               0x0000000080000000, 0x7fffffff00000001};

static void amo_table(void)
{
    u64 h = MIX_INIT;
    for (unsigned k = 0; k < sizeof amos / sizeof amos[0]; k++) {
        put_str("amo");
        put_str(amos[k].name);
        nl();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int ord = (i + j) & 3; /* cycle through the orderings */
                /* .w: memory holds the low half of init; the old value
                 * comes back sign-extended. */
                wmem[1] = (u32)init_vals[i];
                u64 oldw = amos[k].w[ord](&wmem[1], operands[j]);
                dmem[1] = init_vals[i];
                u64 oldd = amos[k].d[ord](&dmem[1], operands[j]);
                put_str("  .w old=");
                put_hexn(oldw, 16);
                put_str(" new=");
                put_hexn(wmem[1], 8);
                put_str("  .d old=");
                put_hexn(oldd, 16);
                put_str(" new=");
                put_hexn(dmem[1], 16);
                nl();
                h = mix(mix(mix(mix(h, oldw), wmem[1]), oldd), dmem[1]);
                if (wmem[0] || wmem[2] || dmem[0] || dmem[2])
                    put_str("  NEIGHBOUR CLOBBERED\n");
            }
    }
    put_str("amo checksum ");
    put_hex(h);
    nl();
}

/* Atomic increment with an LR/SC loop; returns the number of SC failures. */
static u64 lrsc_add_d(volatile u64 *p, u64 v, u64 *old)
{
    u64 o, fails = 0, t, rc;
    __asm__ volatile("1: lr.d %0, (%4)\n\t"
                     "add %1, %0, %5\n\t"
                     "sc.d %2, %1, (%4)\n\t"
                     "beqz %2, 2f\n\t"
                     "addi %3, %3, 1\n\t"
                     "j 1b\n"
                     "2:"
                     : "=&r"(o), "=&r"(t), "=&r"(rc), "+r"(fails)
                     : "r"(p), "r"(v)
                     : "memory");
    *old = o;
    return fails;
}

static u64 lrsc_add_w_aqrl(volatile u32 *p, u64 v, u64 *old)
{
    u64 o, fails = 0, t, rc;
    __asm__ volatile("1: lr.w.aq %0, (%4)\n\t"
                     "addw %1, %0, %5\n\t"
                     "sc.w.rl %2, %1, (%4)\n\t"
                     "beqz %2, 2f\n\t"
                     "addi %3, %3, 1\n\t"
                     "j 1b\n"
                     "2:"
                     : "=&r"(o), "=&r"(t), "=&r"(rc), "+r"(fails)
                     : "r"(p), "r"(v)
                     : "memory");
    *old = o;
    return fails;
}

static void lrsc(void)
{
    u64 old, fails = 0;
    dmem[0] = 0;
    for (int i = 0; i < 1000; i++)
        fails += lrsc_add_d(&dmem[0], (u64)i * 0x100000001UL, &old);
    put_kv("lr.d/sc.d sum of 0..999 * 0x100000001", dmem[0]);
    put_kv("last old value", old);
    wmem[0] = 0x7ffffff0;
    for (int i = 0; i < 100; i++)
        fails += lrsc_add_w_aqrl(&wmem[0], 1, &old);
    put_kv("lr.w.aq/sc.w.rl 0x7ffffff0 + 100", wmem[0]);
    put_kv("lr.w old value (sign-extended)", old);
    /* Spurious SC failures are allowed by the spec but must not be forever;
     * print only whether the loops finished. */
    put_str("lr/sc loops finished: yes\n");
    (void)fails;

    /* SC must fail after the reservation was consumed by an earlier SC. */
    u64 rc1, rc2, v;
    dmem[0] = 11;
    __asm__ volatile("lr.d %2, (%3)\n\t"
                     "sc.d %0, %2, (%3)\n\t"
                     "li t0, 99\n\t"
                     "sc.d %1, t0, (%3)"
                     : "=&r"(rc1), "=&r"(rc2), "=&r"(v)
                     : "r"(&dmem[0])
                     : "t0", "memory");
    put_str("first sc.d succeeded: ");
    put_str(rc1 == 0 ? "yes\n" : "no\n");
    put_str("second sc.d (no reservation) failed: ");
    put_str(rc2 != 0 ? "yes\n" : "no\n");
    put_kv("memory after", dmem[0]);
    /* A plain sc.w with no lr at all fails and leaves memory alone. */
    wmem[2] = 0x1234;
    __asm__ volatile("li t0, 0x5678\n\tsc.w %0, t0, (%1)"
                     : "=&r"(rc1) : "r"(&wmem[2]) : "t0", "memory");
    put_str("sc.w without lr failed: ");
    put_str(rc1 != 0 ? "yes\n" : "no\n");
    put_kv("memory after", wmem[2]);
    wmem[2] = 0;
    /* lr.w sign-extends. */
    wmem[3] = 0x80000001;
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(&wmem[3]) : "memory");
    put_kv("lr.w of 0x80000001", v);
    wmem[3] = 0;
}

static void fences(void)
{
    __asm__ volatile("fence" ::: "memory");
    __asm__ volatile("fence rw, rw" ::: "memory");
    __asm__ volatile("fence r, r" ::: "memory");
    __asm__ volatile("fence w, w" ::: "memory");
    __asm__ volatile("fence r, rw" ::: "memory");
    __asm__ volatile("fence rw, w" ::: "memory");
    __asm__ volatile("fence iorw, iorw" ::: "memory");
    __asm__ volatile("fence.tso" ::: "memory");
    __asm__ volatile("fence.i" ::: "memory");
    put_str("fences executed: ok\n");
}

int main(int argc, char **argv)
{
    amo_table();
    /* rd = x0 forms: no old value, memory still updated. */
    dmem[0] = 40;
    __asm__ volatile("li t0, 2\n\tamoadd.d x0, t0, (%0)"
                     : : "r"(&dmem[0]) : "t0", "memory");
    put_kv("amoadd.d rd=x0 result in memory", dmem[0]);
    dmem[0] = 0;
    lrsc();
    fences();
    return 0;
}
