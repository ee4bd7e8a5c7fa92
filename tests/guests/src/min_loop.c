/* min_loop: an interpreter speed benchmark. A tight integer loop of 50
 * million iterations (a fixed constant, no argv) mixing add, xor, shifts,
 * multiply and a data-dependent branch, then prints the result. */
#include "minimal.h"

#define ITERATIONS 50000000UL

int main(int argc, char **argv)
{
    u64 x = 0x9e3779b97f4a7c15UL, sum = 0, acc = 0;
    for (u64 i = 0; i < ITERATIONS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x + i;
        if (x & 0x100)
            acc ^= sum >> 3;
        else
            acc += i;
    }
    put_str("iterations ");
    put_udec(ITERATIONS);
    nl();
    put_kv("x", x);
    put_kv("sum", sum);
    put_kv("acc", acc);
    return 0;
}
