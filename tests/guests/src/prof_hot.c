/* prof_hot: a profiler target whose hot spot is known. main() calls run(),
 * which calls cold_setup() once (a little work) and hot_loop() (nearly all
 * the time: a xorshift loop of ITERATIONS rounds). Built with frame
 * pointers (build.sh), so a profiler's frame-pointer walk sees
 * main -> run -> hot_loop. ITERATIONS is argv[1], default 2,000,000; the
 * profiler test passes a larger one. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned long cold_setup(unsigned long n)
{
    unsigned long s = 0;
    for (unsigned long i = 0; i < n; i++)
        s += i * i;
    return s;
}

__attribute__((noinline)) unsigned long hot_loop(unsigned long n, unsigned long x)
{
    unsigned long acc = 0;
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += (x & 0x100) ? x >> 3 : i;
    }
    return acc;
}

__attribute__((noinline)) unsigned long run(unsigned long n)
{
    unsigned long seed = cold_setup(n / 1000 + 1);
    /* Not a tail call: run() stays on the stack under hot_loop(). */
    return hot_loop(n, seed | 1) ^ seed;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], 0, 10) : 2000000;
    printf("prof_hot %lu iterations: %016lx\n", n, run(n));
    return 0;
}
