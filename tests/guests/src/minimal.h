/* minimal.h — the whole "runtime" of the minimal-tier guest programs.
 *
 * Minimal programs are built with -nostdlib -ffreestanding and use only the
 * write (64), exit (93) and exit_group (94) system calls, so that the very
 * first ferrovm runner (no brk, no mmap, no auxv consumers) can run them.
 *
 * A program includes this header once and defines `int main(int, char **)`.
 * The header provides `_start` (sets up gp, calls main, exits with its
 * return value through exit_group), a small line-buffered writer and number
 * printing (decimal, hex), plus memcpy/memset/memmove/memcmp because GCC may
 * emit calls to them even in freestanding code.
 */
#ifndef FERROVM_MINIMAL_H
#define FERROVM_MINIMAL_H

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef short i16;
typedef unsigned char u8;
typedef signed char i8;
typedef unsigned long size_t;

#define SYS_write 64
#define SYS_exit 93
#define SYS_exit_group 94

static inline long sys_call3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static inline long sys_write(int fd, const void *buf, size_t len)
{
    return sys_call3(SYS_write, fd, (long)buf, (long)len);
}

static __attribute__((noreturn)) void sys_exit(int code)
{
    sys_call3(SYS_exit, code, 0, 0);
    __builtin_unreachable();
}

static __attribute__((noreturn)) void sys_exit_group(int code)
{
    sys_call3(SYS_exit_group, code, 0, 0);
    __builtin_unreachable();
}

/* ---- library functions GCC may call on its own ---- */

void *memcpy(void *dst, const void *src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    u8 *d = dst;
    const u8 *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* ---- output: a line buffer flushed at '\n', when full and at exit ---- */

static char out_buf[512];
static size_t out_len;

static void out_flush(void)
{
    size_t off = 0;
    while (off < out_len) {
        long r = sys_write(1, out_buf + off, out_len - off);
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    out_len = 0;
}

static void put_char(char c)
{
    if (out_len == sizeof out_buf)
        out_flush();
    out_buf[out_len++] = c;
    if (c == '\n')
        out_flush();
}

static void put_str(const char *s)
{
    while (*s)
        put_char(*s++);
}

static void put_udec(u64 v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(tmp[--n]);
}

static void put_dec(i64 v)
{
    if (v < 0) {
        put_char('-');
        put_udec(-(u64)v);
    } else {
        put_udec((u64)v);
    }
}

/* Hex with a fixed number of digits and no prefix. */
static void put_hexn(u64 v, int digits)
{
    static const char hexdig[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--)
        put_char(hexdig[(v >> (i * 4)) & 15]);
}

/* 0x + 16 hex digits. */
static void put_hex(u64 v)
{
    put_str("0x");
    put_hexn(v, 16);
}

/* 0x + 8 hex digits. */
static void put_hex32(u32 v)
{
    put_str("0x");
    put_hexn(v, 8);
}

static void nl(void)
{
    put_char('\n');
}

/* "name=0x...\n" */
static void put_kv(const char *name, u64 v)
{
    put_str(name);
    put_char('=');
    put_hex(v);
    nl();
}

/* "name=decimal\n" */
static void put_kd(const char *name, i64 v)
{
    put_str(name);
    put_char('=');
    put_dec(v);
    nl();
}

/* FNV-1a over 64-bit words: a cheap order-sensitive checksum. */
static u64 mix(u64 h, u64 v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (i * 8)) & 0xff;
        h *= 0x100000001b3UL;
    }
    return h;
}
#define MIX_INIT 0xcbf29ce484222325UL

/* ---- entry ---- */

int main(int argc, char **argv);

__attribute__((used, noreturn)) static void minimal_start_c(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    int code = main(argc, argv);
    out_flush();
    sys_exit_group(code);
}

/* Linux enters with sp pointing at argc; gp must be set up by hand because
 * the linker relaxes small-data accesses to be gp-relative. */
__asm__(".pushsection .text._start,\"ax\",@progbits\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "  la gp, __global_pointer$\n"
        ".option pop\n"
        "  mv a0, sp\n"
        "  andi sp, sp, -16\n"
        "  call minimal_start_c\n"
        "  unimp\n"
        ".size _start, .-_start\n"
        ".popsection\n");

#endif
