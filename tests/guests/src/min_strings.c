/* min_strings: hand-written string routines (memcpy, memset, strlen, strcmp,
 * strchr, reverse) plus explicit byte/halfword/word/doubleword loads and
 * stores with inline asm, so sign versus zero extension (lb/lbu, lh/lhu,
 * lw/lwu) and partial stores are checked exactly. Also a few misaligned
 * loads and stores, which Linux user space sees as working. */
#include "minimal.h"

static size_t my_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

static int my_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (int)(u8)*a - (int)(u8)*b;
}

static void *my_memcpy(void *dst, const void *src, size_t n)
{
    volatile u8 *d = dst;
    const volatile u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

static void my_memset(void *dst, int c, size_t n)
{
    volatile u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
}

static const char *my_strchr(const char *s, int c)
{
    for (; *s; s++)
        if (*s == (char)c)
            return s;
    return c ? 0 : s;
}

static void my_reverse(char *s)
{
    size_t n = my_strlen(s);
    for (size_t i = 0; i < n / 2; i++) {
        char t = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = t;
    }
}

static int sign(int x)
{
    return x < 0 ? -1 : x > 0;
}

#define LOAD(insn, T)                                                         \
    static u64 ld_##insn(const void *p)                                       \
    {                                                                         \
        u64 r;                                                                \
        __asm__ volatile(#insn " %0, 0(%1)" : "=r"(r) : "r"(p) : "memory");   \
        return r;                                                             \
    }
LOAD(lb, i8) LOAD(lbu, u8) LOAD(lh, i16) LOAD(lhu, u16) LOAD(lw, i32)
LOAD(lwu, u32) LOAD(ld, u64)

#define STORE(insn)                                                           \
    static void st_##insn(void *p, u64 v)                                     \
    {                                                                         \
        __asm__ volatile(#insn " %1, 0(%0)" : : "r"(p), "r"(v) : "memory");   \
    }
STORE(sb) STORE(sh) STORE(sw) STORE(sd)

static u8 buf[64] __attribute__((aligned(16)));

static void dump_buf(const char *what, int n)
{
    put_str(what);
    put_str(":");
    for (int i = 0; i < n; i++) {
        put_char(' ');
        put_hexn(buf[i], 2);
    }
    nl();
}

int main(int argc, char **argv)
{
    static const char *words[] = {"", "a", "riscv", "riscv64", "RISC-V",
                                  "hello, world", "\xff\x80 high bytes"};
    const int nw = sizeof words / sizeof words[0];
    for (int i = 0; i < nw; i++) {
        put_str("strlen[");
        put_dec(i);
        put_str("] = ");
        put_udec(my_strlen(words[i]));
        nl();
    }
    put_str("strcmp signs:");
    for (int i = 0; i < nw; i++) {
        put_str("\n ");
        for (int j = 0; j < nw; j++) {
            int s = sign(my_strcmp(words[i], words[j]));
            put_str(s < 0 ? " -" : s > 0 ? " +" : " 0");
        }
    }
    nl();

    char s[64];
    my_memcpy(s, "the quick brown fox", 20);
    my_reverse(s);
    put_str("reversed: ");
    put_str(s);
    nl();
    const char *q = my_strchr("find the x here", 'x');
    put_str("strchr offset: ");
    put_dec(q ? q - "find the x here" + 0 : -1);
    nl();

    /* Overlapping-free copies at every small offset/length combination. */
    static u8 src[80], dst[80];
    for (int i = 0; i < 80; i++)
        src[i] = (u8)(i * 37 + 11);
    u64 h = MIX_INIT;
    for (int off = 0; off < 8; off++)
        for (int len = 0; len < 40; len++) {
            my_memset(dst, 0xee, sizeof dst);
            my_memcpy(dst + off, src + (7 - off), (size_t)len);
            for (int i = 0; i < 80; i++)
                h = mix(h, dst[i]);
        }
    put_str("memcpy offset/length checksum ");
    put_hex(h);
    nl();

    /* Loads: sign and zero extension. */
    static const u8 pattern[16] __attribute__((aligned(16))) = {
        0x81, 0x7f, 0xfe, 0x80, 0x01, 0x00, 0x00, 0x80,
        0xff, 0xff, 0xff, 0x7f, 0x12, 0x34, 0x56, 0x78};
    for (int off = 0; off < 16; off += 4) {
        const u8 *p = pattern + off;
        put_str("off ");
        put_dec(off);
        nl();
        put_kv("  lb ", ld_lb(p));
        put_kv("  lbu", ld_lbu(p));
        put_kv("  lh ", ld_lh(p));
        put_kv("  lhu", ld_lhu(p));
        put_kv("  lw ", ld_lw(p));
        put_kv("  lwu", ld_lwu(p));
        if (off % 8 == 0)
            put_kv("  ld ", ld_ld(p));
    }
    put_kv("lb  [1]", ld_lb(pattern + 1));
    put_kv("lh  [2]", ld_lh(pattern + 2));
    put_kv("lhu [6]", ld_lhu(pattern + 6));

    /* Stores: only the low bytes are written. */
    my_memset(buf, 0xaa, sizeof buf);
    st_sb(buf + 1, 0x1122334455667788UL);
    dump_buf("sb", 8);
    st_sh(buf + 2, 0xffffffffffff8001UL);
    dump_buf("sh", 8);
    st_sw(buf + 4, 0xdeadbeefcafef00dUL);
    dump_buf("sw", 8);
    st_sd(buf + 8, 0x0102030405060708UL);
    dump_buf("sd", 16);

    /* Misaligned accesses (Linux emulates them where hardware traps). */
    my_memset(buf, 0, sizeof buf);
    for (int i = 0; i < 32; i++)
        buf[i] = (u8)(0xf0 + i);
    put_kv("lh  misaligned +1", ld_lh(buf + 1));
    put_kv("lw  misaligned +3", ld_lw(buf + 3));
    put_kv("lwu misaligned +5", ld_lwu(buf + 5));
    put_kv("ld  misaligned +7", ld_ld(buf + 7));
    st_sd(buf + 17, 0x8877665544332211UL);
    st_sw(buf + 27, 0xcafebabeUL);
    dump_buf("after misaligned sd/sw", 32);
    return 0;
}
