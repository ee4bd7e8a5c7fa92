/* RVV 1.0 C intrinsics (<riscv_vector.h>, the v0.10 intrinsic names Debian
 * 12's clang 14 provides), built by clang: strip-mined loops over vsetvl with
 * saxpy (vfmacc.vf), an ordered f32 sum (vfredosum), a widening int16 dot
 * product (vwmul + vredsum), strlen with fault-only-first loads up to an
 * unmapped page (vle8ff, vmseq, vfirst), masked arithmetic and stores, a
 * 3-field segment load/store (RGB -> gray and RGB -> BGR), strided column
 * sums (vlse32), indexed gather/scatter (vluxei32, vsoxei32), vcompress with
 * vcpop, a reverse with vrgather, and vnclip with vxsat.
 *
 * Each kernel is checked against a scalar reference in the same program;
 * the lines printed are the same for a host build (no __riscv_vector: the
 * reference stands in for the kernel), and do not depend on VLEN. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __riscv_vector
#include <riscv_vector.h>
#endif

#define N 1000

static float fx[N], fy[N], fy_ref[N];
static int16_t s16a[N], s16b[N];
static int32_t i32a[N], i32b[N], i32_ref[N];
static uint8_t rgb[3 * N], gray[N], gray_ref[N], bgr[3 * N], bgr_ref[3 * N];
static int32_t mat[37][41];
static uint32_t perm[N];
static float gathered[N], gathered_ref[N];
static int32_t scattered[N], scattered_ref[N];
static uint32_t u32a[N], packed[N], packed_ref[N];
static uint8_t bytes[N], rev[N], rev_ref[N];
static int8_t narrow[N], narrow_ref[N];

static unsigned hash(const void *p, size_t n) {
    const uint8_t *b = p;
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}

static int failures;

static void report(const char *what, const void *got, const void *want, size_t n) {
    int same = memcmp(got, want, n) == 0;
    printf("%-10s %08x %s\n", what, hash(got, n), same ? "ok" : "MISMATCH");
    failures += !same;
}

static void report_val(const char *what, long long got, long long want) {
    printf("%-10s %lld %s\n", what, got, got == want ? "ok" : "MISMATCH");
    failures += got != want;
}

/* ---- scalar references (these are what a host build runs) ---- */

static void saxpy_ref(float a, const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}

static float sum_ref(const float *x, long n) {
    float s = 0.5f;
    for (long i = 0; i < n; i++) s += x[i];
    return s;
}

static int32_t dot_ref(const int16_t *a, const int16_t *b, long n) {
    int32_t s = 0;
    for (long i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
    return s;
}

static long strlen_ref(const char *s) { return (long)strlen(s); }

/* Negative elements doubled; then odd-indexed elements stored over d. */
static void masked_ref(const int32_t *x, int32_t *d, long n) {
    for (long i = 0; i < n; i++) {
        int32_t v = x[i] < 0 ? x[i] + x[i] : x[i];
        if (i & 1) d[i] = v;
    }
}

static void gray_bgr_ref(const uint8_t *p, uint8_t *g, uint8_t *q, long n) {
    for (long i = 0; i < n; i++) {
        uint8_t r = p[3 * i], gg = p[3 * i + 1], b = p[3 * i + 2];
        g[i] = (uint8_t)((77u * r + 150u * gg + 29u * b) >> 8);
        q[3 * i] = b, q[3 * i + 1] = gg, q[3 * i + 2] = r;
    }
}

static int64_t colsums_ref(void) {
    int64_t h = 0;
    for (int c = 0; c < 41; c++) {
        int32_t s = 0;
        for (int r = 0; r < 37; r++) s += mat[r][c];
        h = h * 31 + s;
    }
    return h;
}

static void gather_scatter_ref(const float *x, const uint32_t *idx, float *g, const int32_t *v, int32_t *sc,
                               long n) {
    for (long i = 0; i < n; i++) g[i] = x[idx[i]];
    for (long i = 0; i < n; i++) sc[idx[i]] = v[i];
}

static long compress_ref(const uint32_t *x, uint32_t *d, long n) {
    long k = 0;
    for (long i = 0; i < n; i++)
        if (x[i] % 3 == 0) d[k++] = x[i];
    return k;
}

static void reverse_ref(const uint8_t *x, uint8_t *d, long n) {
    for (long i = 0; i < n; i++) d[i] = x[n - 1 - i];
}

/* vnclip.wx with vxrm = rnu (round to nearest, ties up): the spec's
 * roundoff_signed, then saturation to int8. Returns whether any saturated. */
static int nclip_ref(const int32_t *x, int8_t *d, long n, int shift) {
    int sat = 0;
    for (long i = 0; i < n; i++) {
        int16_t w = (int16_t)x[i];
        int32_t r = ((int32_t)w + (1 << (shift - 1))) >> shift;
        if (r > 127) r = 127, sat = 1;
        if (r < -128) r = -128, sat = 1;
        d[i] = (int8_t)r;
    }
    return sat;
}

#ifdef __riscv_vector
/* ---- the vector kernels ---- */

static void saxpy(float a, const float *x, float *y, long n) {
    for (size_t vl; n > 0; n -= vl, x += vl, y += vl) {
        vl = vsetvl_e32m2(n);
        vfloat32m2_t vx = vle32_v_f32m2(x, vl);
        vfloat32m2_t vy = vle32_v_f32m2(y, vl);
        vse32_v_f32m2(y, vfmacc_vf_f32m2(vy, a, vx, vl), vl);
    }
}

static float sum(const float *x, long n) {
    vfloat32m1_t acc = vfmv_v_f_f32m1(0.5f, 1);
    for (size_t vl; n > 0; n -= vl, x += vl) {
        vl = vsetvl_e32m4(n);
        acc = vfredosum_vs_f32m4_f32m1(acc, vle32_v_f32m4(x, vl), acc, vl);
    }
    return vfmv_f_s_f32m1_f32(acc);
}

static int32_t dot(const int16_t *a, const int16_t *b, long n) {
    vint32m1_t acc = vmv_v_x_i32m1(0, 1);
    for (size_t vl; n > 0; n -= vl, a += vl, b += vl) {
        vl = vsetvl_e16m2(n);
        vint32m4_t p = vwmul_vv_i32m4(vle16_v_i16m2(a, vl), vle16_v_i16m2(b, vl), vl);
        acc = vredsum_vs_i32m4_i32m1(acc, p, acc, vl);
    }
    return vmv_x_s_i32m1_i32(acc);
}

/* Reads whole vectors past the terminator; vle8ff stops at the first
 * element that would fault, so a string ending just before an unmapped
 * page is fine. */
static long vstrlen(const char *s) {
    const uint8_t *p = (const uint8_t *)s;
    for (;;) {
        size_t vl = vsetvlmax_e8m2();
        vuint8m2_t v = vle8ff_v_u8m2(p, &vl, vl);
        long z = vfirst_m_b4(vmseq_vx_u8m2_b4(v, 0, vl), vl);
        if (z >= 0) return (long)(p - (const uint8_t *)s) + z;
        p += vl;
    }
}

static void masked(const int32_t *x, int32_t *d, long n) {
    for (size_t vl, i = 0; (long)i < n; i += vl) {
        vl = vsetvl_e32m2(n - i);
        vint32m2_t v = vle32_v_i32m2(x + i, vl);
        vbool16_t neg = vmslt_vx_i32m2_b16(v, 0, vl);
        v = vadd_vv_i32m2_m(neg, v, v, v, vl);
        vuint32m2_t id = vadd_vx_u32m2(vid_v_u32m2(vl), (uint32_t)i, vl);
        vbool16_t odd = vmsne_vx_u32m2_b16(vand_vx_u32m2(id, 1, vl), 0, vl);
        vse32_v_i32m2_m(odd, d + i, v, vl);
    }
}

static void gray_bgr(const uint8_t *p, uint8_t *g, uint8_t *q, long n) {
    for (size_t vl; n > 0; n -= vl, p += 3 * vl, q += 3 * vl, g += vl) {
        vl = vsetvl_e8m1(n);
        vuint8m1_t r, gg, b;
        vlseg3e8_v_u8m1(&r, &gg, &b, p, vl);
        vuint16m2_t acc = vwmulu_vx_u16m2(r, 77, vl);
        acc = vwmaccu_vx_u16m2(acc, 150, gg, vl);
        acc = vwmaccu_vx_u16m2(acc, 29, b, vl);
        vse8_v_u8m1(g, vnsrl_wx_u8m1(acc, 8, vl), vl);
        vsseg3e8_v_u8m1(q, b, gg, r, vl);
    }
}

static int64_t colsums(void) {
    int32_t s[41];
    for (size_t vl, c = 0; c < 41; c += vl) {
        vl = vsetvl_e32m1(41 - c);
        vint32m1_t acc = vmv_v_x_i32m1(0, vl);
        for (int r = 0; r < 37; r++)
            acc = vadd_vv_i32m1(acc, vle32_v_i32m1(&mat[r][c], vl), vl);
        vse32_v_i32m1(s + c, acc, vl);
    }
    /* and once more down the columns with strided loads: the same sums */
    for (size_t c = 0; c < 41; c++) {
        vint32m1_t acc = vmv_v_x_i32m1(0, 1);
        for (size_t vl, r = 0; r < 37; r += vl) {
            vl = vsetvl_e32m1(37 - r);
            vint32m1_t col = vlse32_v_i32m1(&mat[r][c], sizeof mat[0], vl);
            acc = vredsum_vs_i32m1_i32m1(acc, col, acc, vl);
        }
        if (vmv_x_s_i32m1_i32(acc) != s[c]) s[c] = -1;
    }
    int64_t h = 0;
    for (int c = 0; c < 41; c++) h = h * 31 + s[c];
    return h;
}

static void gather_scatter(const float *x, const uint32_t *idx, float *g, const int32_t *v, int32_t *sc,
                           long n) {
    for (size_t vl, i = 0; (long)i < n; i += vl) {
        vl = vsetvl_e32m2(n - i);
        vuint32m2_t off = vsll_vx_u32m2(vle32_v_u32m2(idx + i, vl), 2, vl);
        vse32_v_f32m2(g + i, vluxei32_v_f32m2(x, off, vl), vl);
        vsoxei32_v_i32m2(sc, off, vle32_v_i32m2(v + i, vl), vl);
    }
}

static long compress(const uint32_t *x, uint32_t *d, long n) {
    long k = 0;
    for (size_t vl; n > 0; n -= vl, x += vl) {
        vl = vsetvl_e32m2(n);
        vuint32m2_t v = vle32_v_u32m2(x, vl);
        vbool16_t m = vmseq_vx_u32m2_b16(vremu_vx_u32m2(v, 3, vl), 0, vl);
        long c = (long)vcpop_m_b16(m, vl);
        vuint32m2_t packedv = vcompress_vm_u32m2(m, v, v, vl);
        vse32_v_u32m2(d + k, packedv, c);
        k += c;
    }
    return k;
}

static void reverse(const uint8_t *x, uint8_t *d, long n) {
    for (size_t vl, off = 0; (long)off < n; off += vl) {
        vl = vsetvl_e8m4(n - off);
        vuint8m4_t v = vle8_v_u8m4(x + n - off - vl, vl);
        /* indices vl-1 .. 0 at SEW 16 (vl can pass 255 at large VLEN) */
        vuint16m8_t id = vrsub_vx_u16m8(vid_v_u16m8(vl), (uint16_t)(vl - 1), vl);
        vse8_v_u8m4(d + off, vrgatherei16_vv_u8m4(v, id, vl), vl);
    }
}

static int nclip(const int32_t *x, int8_t *d, long n, int shift) {
    unsigned long sat;
    __asm__ volatile("csrwi vxrm, 0\n csrwi vxsat, 0" ::: "memory");
    for (size_t vl; n > 0; n -= vl, x += vl, d += vl) {
        vl = vsetvl_e32m4(n);
        vint16m2_t w = vncvt_x_x_w_i16m2(vle32_v_i32m4(x, vl), vl);
        vse8_v_i8m1(d, vnclip_wx_i8m1(w, shift, vl), vl);
    }
    __asm__ volatile("csrr %0, vxsat" : "=r"(sat));
    return (int)sat;
}
#else
#define saxpy saxpy_ref
#define sum sum_ref
#define dot dot_ref
#define vstrlen strlen_ref
#define masked masked_ref
#define gray_bgr gray_bgr_ref
#define colsums colsums_ref
#define gather_scatter gather_scatter_ref
#define compress compress_ref
#define reverse reverse_ref
#define nclip nclip_ref
#endif

int main(void) {
    uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, seed >> 8)
    for (int i = 0; i < N; i++) {
        fx[i] = (float)((int)(RND() % 20001) - 10000) / 64.0f;
        fy[i] = fy_ref[i] = (float)((int)(RND() % 2001) - 1000) / 3.0f;
        s16a[i] = (int16_t)((int)(RND() % 2001) - 1000);
        s16b[i] = (int16_t)((int)(RND() % 2001) - 1000);
        i32a[i] = (int32_t)(RND() % 100001) - 50000;
        i32b[i] = i32_ref[i] = (int32_t)RND();
        u32a[i] = RND();
        bytes[i] = (uint8_t)RND();
        perm[i] = (uint32_t)i;
    }
    for (int i = 0; i < 3 * N; i++) rgb[i] = (uint8_t)RND();
    for (int r = 0; r < 37; r++)
        for (int c = 0; c < 41; c++) mat[r][c] = (int32_t)(RND() % 1000000) - 500000;
    for (int i = N - 1; i > 0; i--) { /* a fixed permutation */
        uint32_t j = RND() % (uint32_t)(i + 1), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }

    /* odd lengths: every VLEN ends with a partial strip somewhere */
    saxpy(1.75f, fx, fy, N - 3);
    saxpy_ref(1.75f, fx, fy_ref, N - 3);
    report("saxpy", fy, fy_ref, sizeof fy);

    float fs = sum(fx, N - 1), fs_ref = sum_ref(fx, N - 1);
    printf("%-10s %a %s\n", "fredosum", (double)fs, fs == fs_ref ? "ok" : "MISMATCH");
    failures += fs != fs_ref;

    report_val("dot", dot(s16a, s16b, N - 7), dot_ref(s16a, s16b, N - 7));

    /* strings that end 0..80 bytes before an unmapped page */
    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m + page, page, PROT_NONE) != 0) return 2;
    long tot = 0, tot_ref = 0;
    for (int len = 0; len <= 80; len++) {
        char *s = m + page - len - 1;
        for (int k = 0; k < len; k++) s[k] = (char)('a' + (k * 7 + len) % 26);
        s[len] = 0;
        tot += vstrlen(s) * (len + 1);
        tot_ref += strlen_ref(s) * (len + 1);
        tot += vstrlen(m + len);  /* and from the page's start */
        tot_ref += strlen_ref(m + len);
    }
    report_val("strlen", tot, tot_ref);

    masked(i32a, i32b, N - 5);
    masked_ref(i32a, i32_ref, N - 5);
    report("masked", i32b, i32_ref, sizeof i32b);

    gray_bgr(rgb, gray, bgr, N - 11);
    gray_bgr_ref(rgb, gray_ref, bgr_ref, N - 11);
    report("gray", gray, gray_ref, sizeof gray);
    report("bgr", bgr, bgr_ref, sizeof bgr);

    report_val("colsums", colsums(), colsums_ref());

    gather_scatter(fx, perm, gathered, i32a, scattered, N);
    gather_scatter_ref(fx, perm, gathered_ref, i32a, scattered_ref, N);
    report("gather", gathered, gathered_ref, sizeof gathered);
    report("scatter", scattered, scattered_ref, sizeof scattered);

    long k = compress(u32a, packed, N - 2), k_ref = compress_ref(u32a, packed_ref, N - 2);
    report_val("ncompress", k, k_ref);
    report("compress", packed, packed_ref, sizeof packed);

    reverse(bytes, rev, N - 13);
    reverse_ref(bytes, rev_ref, N - 13);
    report("reverse", rev, rev_ref, sizeof rev);

    int sat = nclip(i32a, narrow, N, 3), sat_ref = nclip_ref(i32a, narrow_ref, N, 3);
    report("nclip", narrow, narrow_ref, sizeof narrow);
    report_val("vxsat", sat, sat_ref);

    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures != 0;
}
