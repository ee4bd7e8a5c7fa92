/* Deep recursion: calls and returns dominate. Naive Fibonacci, Takeuchi,
 * Ackermann and a recursive binary-tree build/walk. SIZE = fib argument. */
#include "bench.h"

__attribute__((noinline)) static uint64_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static int tak(int x, int y, int z)
{
    return y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z;
}

__attribute__((noinline)) static uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

typedef struct tree { struct tree *l, *r; uint32_t v; } tree_t;

static tree_t *build(int depth, uint32_t *counter)
{
    tree_t *t = malloc(sizeof *t);
    if (!t) { perror("malloc"); exit(1); }
    t->v = (*counter)++;
    t->l = depth ? build(depth - 1, counter) : NULL;
    t->r = depth ? build(depth - 1, counter) : NULL;
    return t;
}

static uint64_t walk(const tree_t *t, uint64_t h)
{
    if (!t) return h;
    h = walk(t->l, h * 3 + t->v);
    return walk(t->r, h ^ t->v);
}

static void release(tree_t *t)
{
    if (!t) return;
    release(t->l);
    release(t->r);
    free(t);
}

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 41);
    bench_result("recursion", "fib", fib((uint32_t)n));
    int t = n > 8 ? (int)(n / 2) : 4;
    bench_result("recursion", "tak", (uint64_t)tak(t, t / 2, 0));
    bench_result("recursion", "ack", ack(2, (uint64_t)n * 40));
    uint64_t h = 0;
    for (long i = 0; i < n / 5; i++) {
        uint32_t counter = (uint32_t)i;
        tree_t *root = build(15, &counter);
        h = mix64(h, walk(root, 0));
        release(root);
    }
    bench_result("recursion", "trees", h);
    return 0;
}
