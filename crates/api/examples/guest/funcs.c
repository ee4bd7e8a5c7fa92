/* FNV-1a over a buffer, from a seed. */
unsigned long fnv1a(const unsigned char *p, unsigned long n, unsigned long seed)
{
    unsigned long h = seed;
    for (unsigned long i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3UL;
    }
    return h;
}

/* Sorts small numbers: which branch a value takes. */
int classify(long x)
{
    if (x < 0)
        return -1;
    if (x == 0)
        return 0;
    if (x % 2 == 0) {
        if (x > 100)
            return 4;
        return 2;
    }
    if (x > 100)
        return 3;
    return 1;
}

struct rec {
    char key[8];
    long value;
};

/* Parses "key=value;key=value;..." (n bytes) into out[], which has room
 * for 4 records; returns how many it parsed, or -1 on a bad value.
 * The bug the fuzzer finds: nothing checks the 4. */
long parse(const char *s, long n, struct rec *out)
{
    long count = 0;
    long i = 0;
    while (i < n) {
        struct rec *r = &out[count];
        long k = 0;
        while (i < n && s[i] != '=' && s[i] != ';') {
            if (k < 7)
                r->key[k++] = s[i];
            i++;
        }
        r->key[k] = 0;
        long v = 0;
        if (i < n && s[i] == '=') {
            i++;
            while (i < n && s[i] != ';') {
                if (s[i] < '0' || s[i] > '9')
                    return -1;
                v = v * 10 + (s[i] - '0');
                i++;
            }
        }
        r->value = v;
        count++;
        if (i < n && s[i] == ';')
            i++;
    }
    return count;
}
