/* argv_env: prints its arguments, a few chosen environment variables and
 * the deterministic auxiliary vector entries. Paths are reduced to their
 * last component; values that vary (addresses, uid, random bytes) are
 * reported as properties. Run it with arguments and FERROVM_GUEST_VAR set:
 * the harness passes "one two three" and FERROVM_GUEST_VAR=guest-value. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    printf("argv[0] basename=%s\n", base(argv[0]));
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\" (len %zu)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");

    const char *v = getenv("FERROVM_GUEST_VAR");
    printf("FERROVM_GUEST_VAR=%s\n", v ? v : "(unset)");
    v = getenv("FERROVM_SURELY_UNSET_VARIABLE");
    printf("FERROVM_SURELY_UNSET_VARIABLE=%s\n", v ? v : "(unset)");
    int n = 0, found = 0;
    for (char **e = envp; *e; e++) {
        n++;
        if (strncmp(*e, "FERROVM_GUEST_VAR=", 18) == 0)
            found = 1;
    }
    printf("envp has FERROVM_GUEST_VAR: %s; envp non-empty: %s\n",
           found ? "yes" : "no", n > 0 ? "yes" : "no");
    printf("environ == envp: %s\n", (void *)__environ == (void *)envp ? "yes" : "no");

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("sysconf(_SC_PAGESIZE)=%ld\n", sysconf(_SC_PAGESIZE));
    printf("AT_HWCAP=%#lx\n", getauxval(AT_HWCAP));
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    printf("AT_PHNUM=%lu\n", getauxval(AT_PHNUM));
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_BASE=%#lx\n", getauxval(AT_BASE));
    extern char _start[];
    printf("AT_ENTRY == &_start: %s\n",
           getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
    printf("AT_PHDR non-zero: %s\n", getauxval(AT_PHDR) ? "yes" : "no");
    printf("AT_RANDOM non-zero: %s\n", getauxval(AT_RANDOM) ? "yes" : "no");
    const char *fn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN basename=%s\n", fn ? base(fn) : "(none)");
    printf("AT_UID == getuid(): %s\n", getauxval(AT_UID) == getuid() ? "yes" : "no");
    printf("AT_EUID == geteuid(): %s\n", getauxval(AT_EUID) == geteuid() ? "yes" : "no");
    printf("AT_GID == getgid(): %s\n", getauxval(AT_GID) == getgid() ? "yes" : "no");
    printf("AT_EGID == getegid(): %s\n", getauxval(AT_EGID) == getegid() ? "yes" : "no");
    /* The initial stack is 16-byte aligned: argv sits right above argc. */
    printf("argv 8-byte aligned: %s\n", ((unsigned long)argv & 7) == 0 ? "yes" : "no");
    printf("strings in argv are contiguous: %s\n",
           argc < 2 || argv[1] == argv[0] + strlen(argv[0]) + 1 ? "yes" : "no");
    return 0;
}
