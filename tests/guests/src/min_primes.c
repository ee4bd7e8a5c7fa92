/* min_primes: sieve of Eratosthenes up to 2,000,000 over a byte array, then
 * counts, sums, twin primes and a few spot values. */
#include "minimal.h"

#define LIMIT 2000000

static u8 composite[LIMIT + 1];

int main(int argc, char **argv)
{
    composite[0] = composite[1] = 1;
    for (u64 i = 2; i * i <= LIMIT; i++)
        if (!composite[i])
            for (u64 j = i * i; j <= LIMIT; j += i)
                composite[j] = 1;

    u64 count = 0, sum = 0, twins = 0, last = 0, h = MIX_INIT;
    u64 count_below[7] = {0};
    static const u64 marks[7] = {10, 100, 1000, 10000, 100000, 1000000, 2000000};
    for (u64 i = 2; i <= LIMIT; i++) {
        if (composite[i])
            continue;
        count++;
        sum += i;
        if (last && i - last == 2)
            twins++;
        last = i;
        h = mix(h, i);
        for (int k = 0; k < 7; k++)
            if (i <= marks[k])
                count_below[k]++;
    }
    for (int k = 0; k < 7; k++) {
        put_str("pi(");
        put_udec(marks[k]);
        put_str(") = ");
        put_udec(count_below[k]);
        nl();
    }
    put_str("count ");
    put_udec(count);
    nl();
    put_str("sum ");
    put_udec(sum);
    nl();
    put_str("twin prime pairs ");
    put_udec(twins);
    nl();
    put_str("largest ");
    put_udec(last);
    nl();
    put_str("the 10001st prime is ");
    u64 n = 0;
    for (u64 i = 2; i <= LIMIT; i++)
        if (!composite[i] && ++n == 10001) {
            put_udec(i);
            break;
        }
    nl();
    put_str("checksum ");
    put_hex(h);
    nl();
    return 0;
}
