/* stack_probe KIB: moves the stack pointer KIB KiB down and touches every
 * page of that area from the top, then prints how much it touched. With a
 * stack smaller than that (qemu-riscv64 -s, QEMU_STACK_SIZE) it dies of
 * SIGSEGV on the first page past the stack. */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long kib = argc > 1 ? strtol(argv[1], NULL, 10) : 1024;
    size_t size = (size_t)kib << 10;
    volatile char *p = alloca(size);
    for (size_t off = size; off >= 4096; off -= 4096)
        p[off - 4096] = (char)off;
    printf("touched %ld KiB of stack\n", kib);
    return 0;
}
