/* print_args: prints its argv exactly (argv[0] reduced to its last path
 * component when it has a directory, so the output does not depend on
 * where the program lies) and its whole environment, sorted. Used to show
 * that arguments after PROGRAM reach the guest unchanged, even ones that
 * look like ferrovm or QEMU options, and what -E/-U/-0 and the QEMU_*
 * variables do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    if (slash)
        printf("argv[0]=.../%s\n", slash + 1);
    else
        printf("argv[0]=%s\n", argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = malloc((n + 1) * sizeof *env);
    if (!env)
        return 1;
    memcpy(env, environ, (n + 1) * sizeof *env);
    qsort(env, n, sizeof *env, cmp);
    for (size_t i = 0; i < n; i++)
        printf("env %s\n", env[i]);
    return 0;
}
