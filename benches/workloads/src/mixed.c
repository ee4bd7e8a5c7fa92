/* Mixed integer work: linked lists (build, splice, walk), integer matrix
 * multiply, a table-free state machine (a tokenizer over generated text)
 * and CRC-32. SIZE = rounds. */
#include "bench.h"

typedef struct node { struct node *next; uint32_t key; uint32_t val; } node_t;

#define NODES 50000
static node_t pool[NODES];

static uint64_t lists(rng_t *r)
{
    /* Build a list in random order, reverse it, drop every third node,
     * then walk it summing. */
    static uint32_t order[NODES];
    for (uint32_t i = 0; i < NODES; i++)
        order[i] = i;
    for (uint32_t i = NODES - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rng_below(r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    node_t *head = NULL;
    for (uint32_t i = 0; i < NODES; i++) {
        node_t *n = &pool[order[i]];
        n->key = i;
        n->val = (uint32_t)rng_next(r);
        n->next = head;
        head = n;
    }
    node_t *prev = NULL;
    while (head) {
        node_t *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    head = prev;
    uint32_t k = 0;
    for (node_t *n = head; n && n->next; n = n->next)
        if (++k % 3 == 0)
            n->next = n->next->next;
    uint64_t h = 0;
    for (node_t *n = head; n; n = n->next)
        h = h * 31 + n->key + (n->val & 0xff);
    return h;
}

#define M 48
static uint32_t ma[M][M], mb[M][M], mc[M][M];

static uint64_t matrices(rng_t *r)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            ma[i][j] = (uint32_t)rng_below(r, 1000);
            mb[i][j] = (uint32_t)rng_below(r, 1000);
        }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            uint32_t s = 0;
            for (int k = 0; k < M; k++)
                s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    uint64_t h = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            h = mix64(h, mc[i][j]);
    return h;
}

#define TEXT 40000
static unsigned char text[TEXT];

/* Tokenizer states: whitespace, identifier, number, string, comment. */
enum { S_WS, S_ID, S_NUM, S_STR, S_COM };

static uint64_t state_machine(rng_t *r)
{
    static const unsigned char alphabet[] = "abc xyz 0129 \"q\" /*c*/ _+;\n";
    for (int i = 0; i < TEXT; i++)
        text[i] = alphabet[rng_below(r, sizeof alphabet - 1)];
    int st = S_WS;
    uint64_t counts[5] = { 0 }, h = 0;
    for (int i = 0; i < TEXT; i++) {
        unsigned c = text[i];
        switch (st) {
        case S_WS:
            if ((c >= 'a' && c <= 'z') || c == '_') st = S_ID;
            else if (c >= '0' && c <= '9') st = S_NUM;
            else if (c == '"') st = S_STR;
            else if (c == '/' && i + 1 < TEXT && text[i + 1] == '*') { st = S_COM; i++; }
            break;
        case S_ID:
            if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'))) { counts[S_ID]++; st = S_WS; i--; }
            else h = h * 33 + c;
            break;
        case S_NUM:
            if (c < '0' || c > '9') { counts[S_NUM]++; st = S_WS; i--; }
            else h += c - '0';
            break;
        case S_STR:
            if (c == '"') { counts[S_STR]++; st = S_WS; }
            break;
        case S_COM:
            if (c == '*' && i + 1 < TEXT && text[i + 1] == '/') { counts[S_COM]++; st = S_WS; i++; }
            break;
        }
    }
    for (int i = 0; i < 5; i++)
        h = mix64(h, counts[i]);
    return h;
}

static uint32_t crc_table[256];

static uint32_t crc32(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 240);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    rng_t r = { 42 };
    uint64_t hl = 0, hm = 0, hs = 0, hc = 0;
    for (long i = 0; i < rounds; i++) {
        hl = mix64(hl, lists(&r));
        hm = mix64(hm, matrices(&r));
        hs = mix64(hs, state_machine(&r));
        hc = mix64(hc, crc32(text, TEXT, (uint32_t)i));
        static unsigned char vals[NODES];
        for (int k = 0; k < NODES; k++)
            vals[k] = (unsigned char)(pool[k].val ^ pool[k].key);
        hc = mix64(hc, crc32(vals, NODES, 0));
    }
    bench_result("mixed", "lists", hl);
    bench_result("mixed", "matrices", hm);
    bench_result("mixed", "state_machine", hs);
    bench_result("mixed", "crc32", hc);
    return 0;
}
