/* printf_heavy: glibc formatting and parsing. Many printf conversions
 * (integers, %f %e %g %a, widths, precisions, flags), snprintf truncation,
 * strtod/strtol round trips, qsort, and malloc/free churn with a checksum.
 * glibc's float formatting is exact, so the output is deterministic. */
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void integers(void)
{
    printf("[%d] [%i] [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, -42, 42, 42, 42, 42, 42);
    printf("[%u] [%x] [%X] [%o] [%#x] [%#o] [%#X]\n", 3000000000u, 0xabcdefu, 0xabcdefu, 8u, 255u, 8u, 255u);
    printf("[%ld] [%lu] [%lld] [%llx]\n", LONG_MIN, ULONG_MAX, LLONG_MAX, 0x123456789abcdefULL);
    printf("[%hd] [%hhd] [%hu] [%hhu]\n", (short)-12345, (signed char)-100, (unsigned short)65535, (unsigned char)255);
    printf("[%zu] [%zd] [%td] [%jd]\n", (size_t)123, (ssize_t)-123, (ptrdiff_t)-7, (intmax_t)INT64_MIN);
    printf("[%" PRId32 "] [%" PRIu64 "] [%" PRIx64 "]\n", INT32_MIN, UINT64_MAX, UINT64_C(0xfeedface));
    printf("[%.0d] [%.5d] [%8.5d] [%-8.5d|]\n", 0, 42, -42, 42);
    printf("[%*d] [%-*d] [%.*d]\n", 6, 7, 6, 7, 4, 7);
    printf("[%c%c%c] [%%] [%s] [%.3s] [%10.2s]\n", 'a', 'b', 'c', "string", "truncate", "xy");
}

static void floats(void)
{
    static const double v[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 2.5, 0.1,
                               1e-300, 1e300, 123456789.125, DBL_MAX, DBL_MIN,
                               4.9e-324, 1.0 / 3.0, 1e21, 5e-5};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        double d = v[i];
        printf("%-24.17g| %.6f | %e | %g | %a | %.3A\n", d, d, d, d, d, d);
    }
    printf("[%10.3f] [%-10.3f|] [%+.2e] [%010.4f] [% .1f] [%#.0f] [%#g]\n",
           2.71828, 2.71828, 12345.678, -3.14159, 7.25, 3.0, 1.5);
    printf("[%.0f] [%.0f] [%.0f] [%.0f] (round half even)\n", 0.5, 1.5, 2.5, 3.5);
    printf("[%.20f]\n", 0.1);
    printf("[%.40e]\n", 1.0 / 3.0);
    printf("[%f] [%f] [%F] [%e] [%g]\n", INFINITY, -INFINITY, INFINITY, NAN, -NAN);
    printf("[%Lf] [%La] [%.30Lg]\n", 1.0L / 3.0L, 1.0L / 3.0L, 2.0L / 3.0L);
    printf("[%f] [%g]\n", (double)1.1f, (double)FLT_MAX);
}

static void snprintf_tests(void)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%s-%d-%s", "abcdefgh", 12345, "tail");
    printf("snprintf returned %d, buf=\"%s\"\n", n, buf);
    n = snprintf(NULL, 0, "%0100d", 1);
    printf("snprintf(NULL, 0) returned %d\n", n);
    n = snprintf(buf, 1, "xyz");
    printf("snprintf size 1 returned %d, buf empty: %s\n", n, buf[0] == 0 ? "yes" : "no");
    char *big = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&big, &len);
    for (int i = 0; i < 1000; i++)
        fprintf(m, "%d,", i * i);
    fclose(m);
    unsigned long h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char)big[i];
    printf("open_memstream length %zu hash %#lx\n", len, h);
    free(big);
}

static void parse_tests(void)
{
    static const char *nums[] = {"3.14159", "-2.5e-3", "0x1.8p3", "1e400", "-1e-400",
                                 "inf", "-nan", "  42.0abc", "1.7976931348623157e308",
                                 "4.9406564584124654e-324", "0.1", "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        char *end;
        double d = strtod(nums[i], &end);
        printf("strtod(\"%s\") = %.17g (%a), consumed %td\n", nums[i], d, d, end - nums[i]);
    }
    static const char *ints[] = {"123", "-0x7f", "0777", "9223372036854775807",
                                 "9223372036854775808", "  -17 rest", "z"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char *end;
        long l = strtol(ints[i], &end, 0);
        printf("strtol(\"%s\", 0) = %ld, consumed %td\n", ints[i], l, end - ints[i]);
    }
    printf("strtoul(\"ff\", 16) = %lu, atoi(\"-99x\") = %d\n", strtoul("ff", NULL, 16), atoi("-99x"));
    int a;
    double b;
    char w[16];
    int got = sscanf("17 2.75 word", "%d %lf %15s", &a, &b, w);
    printf("sscanf got %d: %d %g %s\n", got, a, b, w);
    /* printf -> strtod round trip is exact with %.17g. */
    int exact = 1;
    for (int i = 0; i < 2000; i++) {
        uint64_t bits = xorshift() & 0x7fefffffffffffffULL;
        double d;
        memcpy(&d, &bits, sizeof d);
        char s[40];
        snprintf(s, sizeof s, "%.17g", d);
        if (strtod(s, NULL) != d)
            exact = 0;
    }
    printf("2000 random %%.17g round trips exact: %s\n", exact ? "yes" : "no");
}

static void sorting(void)
{
    double d[500];
    for (int i = 0; i < 500; i++)
        d[i] = (double)(int64_t)(xorshift() % 2000001) / 1000.0 - 1000.0;
    qsort(d, 500, sizeof d[0], cmp_double);
    int ok = 1;
    double sum = 0;
    for (int i = 0; i < 500; i++) {
        if (i && d[i - 1] > d[i])
            ok = 0;
        sum += d[i];
    }
    printf("qsort doubles sorted: %s, min %.3f max %.3f median %.3f sum %.3f\n",
           ok ? "yes" : "no", d[0], d[499], d[250], sum);
    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry", "grape"};
    qsort(words, 8, sizeof words[0], cmp_str);
    printf("qsort strings:");
    for (int i = 0; i < 8; i++)
        printf(" %s", words[i]);
    printf("\n");
}

static void malloc_churn(void)
{
    enum { SLOTS = 256 };
    unsigned char *slot[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    unsigned long h = 0;
    for (int round = 0; round < 20000; round++) {
        int k = (int)(xorshift() % SLOTS);
        if (slot[k]) {
            for (size_t i = 0; i < size[k]; i++)
                h = h * 31 + slot[k][i];
            free(slot[k]);
            slot[k] = NULL;
        } else {
            size_t n = (size_t)(xorshift() % 3000) + 1;
            if (round % 97 == 0)
                n *= 100; /* some large blocks (mmap threshold) */
            slot[k] = malloc(n);
            size[k] = n;
            memset(slot[k], (int)(n & 0xff), n);
            slot[k][n - 1] = (unsigned char)k;
        }
        if (round % 1000 == 0 && slot[k]) {
            size_t n2 = size[k] * 2;
            unsigned char *p = realloc(slot[k], n2);
            memset(p + size[k], 0x5a, n2 - size[k]);
            slot[k] = p;
            size[k] = n2;
        }
    }
    for (int k = 0; k < SLOTS; k++)
        free(slot[k]);
    void *c = calloc(1000, 8);
    int zero = 1;
    for (int i = 0; i < 8000; i++)
        if (((unsigned char *)c)[i])
            zero = 0;
    free(c);
    printf("malloc churn hash %#lx, calloc zeroed: %s\n", h, zero ? "yes" : "no");
}

int main(void)
{
    integers();
    floats();
    snprintf_tests();
    parse_tests();
    sorting();
    malloc_churn();
    printf("math: sqrt(2)=%.17g exp(1)=%.17g log(10)=%.17g sin(1)=%.17g pow(2,0.5)=%.17g\n",
           sqrt(2.0), exp(1.0), log(10.0), sin(1.0), pow(2.0, 0.5));
    printf("math: fma(0.1,10,-1)=%a floor(-2.5)=%g ceil(-2.5)=%g round(2.5)=%g rint(2.5)=%g\n",
           fma(0.1, 10, -1), floor(-2.5), ceil(-2.5), round(2.5), rint(2.5));
    return 0;
}
