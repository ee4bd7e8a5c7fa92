/* stdio_cat: reads all of standard input (the harness feeds
 * input/stdio_cat.stdin) and writes it back upper-cased with line numbers,
 * then a line/word/byte count. A summary line goes to stderr, so the
 * .stderr expectation is exercised too. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char line[1024];
    long lines = 0, bytes = 0, words = 0;
    unsigned long h = 5381;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        bytes += (long)n;
        lines++;
        int in_word = 0;
        for (size_t i = 0; i < n; i++) {
            h = h * 33 + (unsigned char)line[i];
            if (isspace((unsigned char)line[i]))
                in_word = 0;
            else if (!in_word) {
                in_word = 1;
                words++;
            }
        }
        printf("%4ld: ", lines);
        for (size_t i = 0; i < n; i++)
            putchar(toupper((unsigned char)line[i]));
        if (n && line[n - 1] != '\n')
            putchar('\n');
    }
    printf("%ld lines, %ld words, %ld bytes, hash %#lx\n", lines, words, bytes, h);
    fprintf(stderr, "stdio_cat: read %ld lines from stdin\n", lines);
    return feof(stdin) ? 0 : 1;
}
