/* min_fib: Fibonacci numbers recursively (deep call/return traffic: ra
 * save/restore on the stack), iteratively (wrapping 64-bit adds), by fast
 * doubling (multiplies), and modulo a prime (remu). */
#include "minimal.h"

__attribute__((noinline)) static u64 fib_rec(u32 n)
{
    return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2);
}

static u64 fib_iter(u32 n)
{
    u64 a = 0, b = 1;
    while (n--) {
        u64 t = a + b;
        a = b;
        b = t;
    }
    return a;
}

/* F(2k) = F(k) * (2F(k+1) - F(k)), F(2k+1) = F(k)^2 + F(k+1)^2 (mod 2^64). */
static void fib_doubling(u64 n, u64 *fn, u64 *fn1)
{
    if (n == 0) {
        *fn = 0;
        *fn1 = 1;
        return;
    }
    u64 a, b;
    fib_doubling(n / 2, &a, &b);
    u64 c = a * (2 * b - a);
    u64 d = a * a + b * b;
    if (n & 1) {
        *fn = d;
        *fn1 = c + d;
    } else {
        *fn = c;
        *fn1 = d;
    }
}

static u64 fib_mod(u64 n, u64 m)
{
    u64 a = 0, b = 1;
    for (u64 i = 0; i < n; i++) {
        u64 t = (a + b) % m;
        a = b;
        b = t;
    }
    return a;
}

int main(int argc, char **argv)
{
    for (u32 n = 0; n <= 30; n += 5) {
        put_str("fib_rec(");
        put_udec(n);
        put_str(") = ");
        put_udec(fib_rec(n));
        nl();
    }
    put_str("fib_rec(27) = ");
    put_udec(fib_rec(27));
    nl();
    for (u32 n = 80; n <= 100; n += 5) {
        put_str("fib_iter(");
        put_udec(n);
        put_str(") mod 2^64 = ");
        put_udec(fib_iter(n));
        nl();
    }
    int agree = 1;
    for (u64 n = 0; n < 300; n++) {
        u64 f, f1;
        fib_doubling(n, &f, &f1);
        if (f != fib_iter((u32)n))
            agree = 0;
    }
    put_str("doubling agrees with iteration for n < 300: ");
    put_str(agree ? "yes\n" : "NO\n");
    u64 f, f1;
    fib_doubling(1000000000000UL, &f, &f1);
    put_str("fib(10^12) mod 2^64 = ");
    put_hex(f);
    nl();
    put_str("fib(100000) mod 1000000007 = ");
    put_udec(fib_mod(100000, 1000000007));
    nl();
    return 0;
}
