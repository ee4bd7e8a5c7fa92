/* min_csr: Zicsr and the user-level counters.
 *
 * cycle/time/instret are read through rdcycle/rdtime/rdinstret and through
 * csrr/csrrs/csrrc with x0 (which must not write); only monotonic increase is
 * checked, never values. The FP CSRs fflags, frm and fcsr are written and
 * read back through every CSR instruction form (csrrw/s/c and the
 * immediate variants, plus the fsflags/fsrm/fscsr pseudos). */
#include "minimal.h"

static u64 rd_cycle(void)
{
    u64 v;
    __asm__ volatile("rdcycle %0" : "=r"(v));
    return v;
}
static u64 rd_time(void)
{
    u64 v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}
static u64 rd_instret(void)
{
    u64 v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static volatile u64 sink;

static void busy(void)
{
    for (u64 i = 0; i < 20000; i++)
        sink += i * i;
}

static void ok(const char *what, int cond)
{
    put_str(what);
    put_str(cond ? ": ok\n" : ": FAIL\n");
}

static void counters(void)
{
    u64 c0 = rd_cycle(), t0 = rd_time(), i0 = rd_instret();
    busy();
    u64 c1 = rd_cycle(), t1 = rd_time(), i1 = rd_instret();
    busy();
    u64 c2, t2, i2;
    __asm__ volatile("csrr %0, cycle" : "=r"(c2));
    __asm__ volatile("csrrs %0, time, x0" : "=r"(t2));
    __asm__ volatile("csrrc %0, instret, x0" : "=r"(i2));
    ok("rdcycle non-decreasing", c0 <= c1 && c1 <= c2);
    ok("rdtime non-decreasing", t0 <= t1 && t1 <= t2);
    ok("rdinstret non-decreasing", i0 <= i1 && i1 <= i2);
    ok("rdinstret advanced over 20000 loop iterations", i2 > i0);
    /* Many back-to-back reads never go backwards. */
    int mono = 1;
    u64 pc = rd_cycle(), pt = rd_time(), pi = rd_instret();
    for (int k = 0; k < 1000; k++) {
        u64 c = rd_cycle(), t = rd_time(), i = rd_instret();
        if (c < pc || t < pt || i < pi)
            mono = 0;
        pc = c;
        pt = t;
        pi = i;
    }
    ok("1000 successive counter reads monotonic", mono);
}

#define CSRR(name, var) __asm__ volatile("csrr %0, " #name : "=r"(var))

static void show_fp_csrs(const char *what)
{
    u64 fl, rm, cs;
    CSRR(fflags, fl);
    CSRR(frm, rm);
    CSRR(fcsr, cs);
    put_str(what);
    put_str(": fflags=");
    put_hexn(fl, 2);
    put_str(" frm=");
    put_hexn(rm, 1);
    put_str(" fcsr=");
    put_hexn(cs, 3);
    nl();
}

static void fp_csrs(void)
{
    u64 old;
    show_fp_csrs("initial");
    __asm__ volatile("li t0, 0xff\n\tcsrw fcsr, t0" ::: "t0");
    show_fp_csrs("csrw fcsr 0xff");
    __asm__ volatile("li t0, 0xfff\n\tcsrrw %0, fcsr, t0" : "=r"(old) : : "t0");
    put_kv("  old fcsr from csrrw", old);
    show_fp_csrs("csrw fcsr 0xfff (upper bits dropped)");
    __asm__ volatile("csrw fcsr, zero");
    show_fp_csrs("csrw fcsr 0");
    __asm__ volatile("li t0, 0xff\n\tcsrw fflags, t0" ::: "t0");
    show_fp_csrs("csrw fflags 0xff");
    __asm__ volatile("li t0, 0x6\n\tcsrrc %0, fflags, t0" : "=r"(old) : : "t0");
    put_kv("  old fflags from csrrc 0x6", old);
    show_fp_csrs("after csrrc fflags 0x6");
    __asm__ volatile("csrrci %0, fflags, 0x11" : "=r"(old));
    put_kv("  old fflags from csrrci 0x11", old);
    show_fp_csrs("after csrrci fflags 0x11");
    __asm__ volatile("csrrsi %0, fflags, 0x4" : "=r"(old));
    show_fp_csrs("after csrrsi fflags 0x4");
    __asm__ volatile("csrrwi %0, frm, 3" : "=r"(old));
    put_kv("  old frm from csrrwi 3", old);
    show_fp_csrs("after csrrwi frm 3");
    __asm__ volatile("li t0, 0x4\n\tcsrrs %0, frm, t0" : "=r"(old) : : "t0");
    show_fp_csrs("after csrrs frm 4");
    __asm__ volatile("csrrci %0, frm, 0x6" : "=r"(old));
    show_fp_csrs("after csrrci frm 6");
    __asm__ volatile("li t0, 0x3a\n\tcsrw frm, t0" ::: "t0");
    show_fp_csrs("csrw frm 0x3a (only 3 bits kept)");
    /* Writing fcsr through the frm/fflags fields and back. */
    __asm__ volatile("li t0, 0x95\n\tfscsr %0, t0" : "=r"(old) : : "t0");
    put_kv("  old fcsr from fscsr", old);
    show_fp_csrs("fscsr 0x95");
    __asm__ volatile("li t0, 2\n\tfsrm %0, t0" : "=r"(old) : : "t0");
    put_kv("  old frm from fsrm", old);
    __asm__ volatile("li t0, 0x0a\n\tfsflags %0, t0" : "=r"(old) : : "t0");
    put_kv("  old fflags from fsflags", old);
    show_fp_csrs("fsrm 2, fsflags 0x0a");
    u64 a, b, c;
    __asm__ volatile("frflags %0\n\tfrrm %1\n\tfrcsr %2" : "=r"(a), "=r"(b), "=r"(c));
    put_str("frflags/frrm/frcsr: ");
    put_hexn(a, 2);
    put_char(' ');
    put_hexn(b, 1);
    put_char(' ');
    put_hexn(c, 3);
    nl();
    /* csrrs/csrrc with x0 or a zero immediate only read. */
    __asm__ volatile("csrrs %0, fcsr, x0\n\tcsrrci %1, fcsr, 0"
                     : "=r"(a), "=r"(b));
    put_str("read-only forms agree: ");
    put_str(a == b && a == c ? "yes\n" : "NO\n");
    /* An FP op sets fflags; the rounding mode field is left alone. */
    __asm__ volatile("csrw fcsr, zero\n\t"
                     "li t0, 0x3f800000\n\tfmv.w.x ft0, t0\n\t"
                     "fmv.w.x ft1, zero\n\tfdiv.s ft2, ft0, ft1"
                     ::: "t0", "ft0", "ft1", "ft2");
    show_fp_csrs("after 1.0/0.0");
    __asm__ volatile("csrw fcsr, zero");
}

int main(int argc, char **argv)
{
    counters();
    fp_csrs();
    return 0;
}
