/* dyn_hello: a dynamically linked program (built without -static). Needs
 * the riscv64 ld.so and libc.so.6: run as
 *   qemu-riscv64 -L /usr/riscv64-linux-gnu bin/dyn_hello
 * (or QEMU_LD_PREFIX=/usr/riscv64-linux-gnu), and ferrovm with -L. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("hello from a dynamically linked riscv64 program\n");
    printf("%s %d %.3f %#x\n", "formatted:", 42, 2.5, 0xcafe);
    char *s = strdup("heap string via libc.so");
    printf("%s (%zu chars)\n", s, strlen(s));
    free(s);
    /* a symbol resolved at run time */
    void *sym = dlsym(RTLD_DEFAULT, "strlen");
    printf("dlsym(RTLD_DEFAULT, \"strlen\") found: %s\n", sym ? "yes" : "no");
    return 0;
}
