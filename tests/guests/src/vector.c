/* V 1.0 kernels in inline assembly (GCC 12 has no RVV intrinsics): strip-
 * mined loops over vsetvli with unit-stride, strided, indexed and segment
 * memory accesses, integer and fixed-point arithmetic, widening and
 * narrowing, reductions, masks, slides, gathers and compress. Prints
 * checksums that do not depend on VLEN. Built with -march=rv64gcv; run with
 * --isa max (ferrovm) or -cpu rv64,v=true,vext_spec=v1.0 (qemu). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint8_t a8[1000], b8[1000], c8[1000];
static int32_t a32[257], b32[257], c32[257];
static int16_t s16[300];

static unsigned hash(const void *p, size_t n) {
    const uint8_t *b = p;
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

/* c = saturating (a + b) with vsaddu, then averaged with vaaddu (rnu). */
static void add_sat(uint8_t *d, const uint8_t *x, const uint8_t *y, long n) {
    while (n > 0) {
        long vl;
        __asm__ volatile("vsetvli %0, %1, e8, m4, ta, ma\n"
                         "vle8.v v8, (%2)\n"
                         "vle8.v v12, (%3)\n"
                         "vsaddu.vv v16, v8, v12\n"
                         "csrwi vxrm, 0\n"
                         "vaaddu.vv v16, v16, v8\n"
                         "vse8.v v16, (%4)\n"
                         : "=&r"(vl) : "r"(n), "r"(x), "r"(y), "r"(d) : "memory");
        n -= vl, x += vl, y += vl, d += vl;
    }
}

/* Widening multiply-accumulate dot product: sum(a[i] * b[i]) in 64 bits. */
static int64_t dot(const int32_t *x, const int32_t *y, long n) {
    int64_t s;
    __asm__ volatile("vsetvli t0, zero, e64, m1, ta, ma\n"
                     "vmv.s.x v24, zero\n"
                     "1:\n"
                     "vsetvli t0, %1, e32, m2, ta, ma\n"
                     "vle32.v v8, (%2)\n"
                     "vle32.v v12, (%3)\n"
                     "vwmul.vv v16, v8, v12\n"
                     "vsetvli zero, t0, e64, m4, ta, ma\n"
                     "vredsum.vs v24, v16, v24\n"
                     "sub %1, %1, t0\n"
                     "slli t1, t0, 2\n"
                     "add %2, %2, t1\n"
                     "add %3, %3, t1\n"
                     "bnez %1, 1b\n"
                     "vsetvli t0, zero, e64, m1, ta, ma\n"
                     "vmv.x.s %0, v24\n"
                     : "=r"(s), "+r"(n), "+r"(x), "+r"(y) : : "t0", "t1", "memory");
    return s;
}

/* strlen with vle8ff.v and vfirst.m (reads past the string only within the
 * page the fault-only-first load allows). */
static long vstrlen(const char *s) {
    const char *p = s;
    long vl, idx;
    for (;;) {
        __asm__ volatile("vsetvli t0, zero, e8, m1, ta, ma\n"
                         "vle8ff.v v8, (%2)\n"
                         "csrr %0, vl\n"
                         "vmseq.vi v0, v8, 0\n"
                         "vfirst.m %1, v0\n"
                         : "=r"(vl), "=r"(idx) : "r"(p) : "t0", "memory");
        if (idx >= 0) return p - s + idx;
        p += vl;
    }
}

/* Strided gather of every third element, indexed scatter (reverse), 2-field
 * segment load/store (swap pairs), slide, rgather, compress. */
static void permute(void) {
    long vl;
    /* b32[i] = a32[3 i] for i < 85 */
    long n = 85;
    const int32_t *x = a32;
    int32_t *y = b32;
    while (n > 0) {
        __asm__ volatile("vsetvli %0, %1, e32, m2, ta, ma\n"
                         "vlse32.v v8, (%2), %4\n"
                         "vse32.v v8, (%3)\n"
                         : "=&r"(vl) : "r"(n), "r"(x), "r"(y), "r"(12L) : "memory");
        n -= vl, x += 3 * vl, y += vl;
    }
    /* c32 = reverse of b32[0..85) via vid/vrsub index and vsuxei32 */
    n = 85;
    long base = 0;
    while (n > 0) {
        __asm__ volatile("vsetvli %0, %1, e32, m2, ta, ma\n"
                         "vle32.v v8, (%2)\n"
                         "vid.v v12\n"
                         "vadd.vx v12, v12, %4\n"
                         "vrsub.vx v12, v12, %5\n"
                         "vsll.vi v12, v12, 2\n"
                         "vsuxei32.v v8, (%3), v12\n"
                         : "=&r"(vl) : "r"(n), "r"(b32 + base), "r"(c32), "r"(base), "r"(84L) : "memory");
        n -= vl, base += vl;
    }
    /* swap adjacent int16 pairs with vlseg2e16 / vsseg2e16 */
    n = 150;
    int16_t *q = s16;
    while (n > 0) {
        __asm__ volatile("vsetvli %0, %1, e16, m1, ta, ma\n"
                         "vlseg2e16.v v8, (%2)\n"
                         "vmv1r.v v10, v8\n"
                         "vmv1r.v v8, v9\n"
                         "vmv1r.v v9, v10\n"
                         "vsseg2e16.v v8, (%2)\n"
                         : "=&r"(vl) : "r"(n), "r"(q) : "memory");
        n -= vl, q += 2 * vl;
    }
    /* slide, gather and compress on a fixed 16-element e8 vector */
    uint8_t in[16], out[4][16];
    for (int i = 0; i < 16; i++) in[i] = (uint8_t)(i * 17 + 3);
    memset(out, 0, sizeof out);
    /* v8's elements past 16 are zero whatever VLEN is, so the slide-down
     * reads zeros past the 16 loaded elements under any VLEN. */
    __asm__ volatile("vsetvli zero, zero, e8, m1, ta, ma\n"
                     "vsetvli t0, zero, e8, m1, ta, ma\n"
                     "vmv.v.i v8, 0\n"
                     "vsetivli zero, 16, e8, m1, ta, ma\n"
                     "vle8.v v8, (%0)\n"
                     "vmv.v.i v9, 0\n"
                     "vslideup.vi v9, v8, 3\n"
                     "vse8.v v9, (%1)\n"
                     "vslidedown.vi v10, v8, 5\n"
                     "vse8.v v10, (%2)\n"
                     "vid.v v11\n"
                     "vxor.vi v11, v11, 7\n"
                     "vrgather.vv v12, v8, v11\n"
                     "vse8.v v12, (%3)\n"
                     "vand.vi v13, v8, 1\n"
                     "vmsne.vi v0, v13, 0\n"
                     "vmv.v.i v14, 0\n"
                     "vcompress.vm v14, v8, v0\n"
                     "vse8.v v14, (%4)\n"
                     : : "r"(in), "r"(out[0]), "r"(out[1]), "r"(out[2]), "r"(out[3]) : "t0", "memory");
    printf("slides/gather/compress %u\n", hash(out, sizeof out));
}

/* Narrowing clip: int32 -> int16 with rounding shift and saturation. */
static unsigned narrow(void) {
    int32_t in[40];
    int16_t out[40];
    for (int i = 0; i < 40; i++) in[i] = (i - 20) * 123457;
    long n = 40, vl;
    int32_t *x = in;
    int16_t *y = out;
    unsigned sat;
    __asm__ volatile("csrwi vxsat, 0\ncsrwi vxrm, 0" ::: "memory");
    while (n > 0) {
        __asm__ volatile("vsetvli %0, %1, e16, m1, ta, ma\n"
                         "vle32.v v8, (%2)\n"
                         "vnclip.wi v10, v8, 4\n"
                         "vse16.v v10, (%3)\n"
                         : "=&r"(vl) : "r"(n), "r"(x), "r"(y) : "memory");
        n -= vl, x += vl, y += vl;
    }
    __asm__ volatile("csrr %0, vxsat" : "=r"(sat));
    printf("vnclip sat %u\n", sat);
    return hash(out, sizeof out);
}

int main(void) {
    for (int i = 0; i < 1000; i++) a8[i] = (uint8_t)(i * 7), b8[i] = (uint8_t)(251 - i * 3);
    for (int i = 0; i < 257; i++) a32[i] = i * i - 3000, b32[i] = 77 - 5 * i;
    for (int i = 0; i < 300; i++) s16[i] = (int16_t)(i * 31 - 4000);
    add_sat(c8, a8, b8, 1000);
    printf("add_sat %u\n", hash(c8, sizeof c8));
    printf("dot %lld\n", (long long)dot(a32, b32, 257));
    static char text[5000];
    memset(text, 'x', sizeof text - 1);
    printf("strlen %ld %ld %ld\n", vstrlen(""), vstrlen("hello, vectors"), vstrlen(text + 3));
    permute();
    printf("strided %u reversed %u pairs %u\n", hash(b32, 85 * 4), hash(c32, 85 * 4), hash(s16, sizeof s16));
    printf("narrow %u\n", narrow());
    long vlenb;
    __asm__ volatile("csrr %0, vlenb" : "=r"(vlenb));
    printf("vlenb is a multiple of 8: %d\n", vlenb % 8 == 0);
    return 0;
}
