/* min_sort: quicksort and insertion sort over the same pseudo-random array
 * (a fixed-seed 64-bit LCG), checks both results agree and are sorted, and
 * prints checksums. Exercises loads/stores, compares, branches, calls and
 * recursion. */
#include "minimal.h"

#define N 3000

static i64 a[N], b[N];

static u64 lcg_state = 0x2545f4914f6cdd1dUL;
static u64 lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005UL + 1442695040888963407UL;
    return lcg_state;
}

static void quicksort(i64 *v, long lo, long hi)
{
    while (lo < hi) {
        i64 pivot = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                i64 t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        /* Recurse into the smaller half, loop on the larger. */
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
}

static void insertion_sort(i64 *v, long n)
{
    for (long i = 1; i < n; i++) {
        i64 x = v[i];
        long j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

/* Sort 32-bit unsigned keys too, so lwu/sltu paths get used. */
static u32 c[N];
static void shell_sort_u32(u32 *v, long n)
{
    for (long gap = n / 2; gap > 0; gap /= 2)
        for (long i = gap; i < n; i++) {
            u32 x = v[i];
            long j = i;
            while (j >= gap && v[j - gap] > x) {
                v[j] = v[j - gap];
                j -= gap;
            }
            v[j] = x;
        }
}

int main(int argc, char **argv)
{
    u64 h0 = MIX_INIT;
    for (int i = 0; i < N; i++) {
        u64 r = lcg();
        a[i] = b[i] = (i64)(r >> 16) - (i64)(1L << 46);
        c[i] = (u32)(r >> 29);
        h0 = mix(h0, (u64)a[i]);
    }
    put_str("input checksum ");
    put_hex(h0);
    nl();

    quicksort(a, 0, N - 1);
    insertion_sort(b, N);
    shell_sort_u32(c, N);

    int sorted = 1, same = 1, usorted = 1;
    u64 h1 = MIX_INIT, h2 = MIX_INIT;
    for (int i = 0; i < N; i++) {
        if (i && a[i - 1] > a[i])
            sorted = 0;
        if (i && c[i - 1] > c[i])
            usorted = 0;
        if (a[i] != b[i])
            same = 0;
        h1 = mix(h1, (u64)a[i]);
        h2 = mix(h2, c[i]);
    }
    put_str("quicksort sorted: ");
    put_str(sorted ? "yes\n" : "NO\n");
    put_str("insertion sort agrees: ");
    put_str(same ? "yes\n" : "NO\n");
    put_str("shell sort (u32) sorted: ");
    put_str(usorted ? "yes\n" : "NO\n");
    put_str("min ");
    put_dec(a[0]);
    put_str(" max ");
    put_dec(a[N - 1]);
    put_str(" median ");
    put_dec(a[N / 2]);
    nl();
    put_str("u32 min ");
    put_udec(c[0]);
    put_str(" max ");
    put_udec(c[N - 1]);
    nl();
    put_str("sorted checksum ");
    put_hex(h1);
    nl();
    put_str("u32 sorted checksum ");
    put_hex(h2);
    nl();
    return sorted && same && usorted ? 0 : 1;
}
