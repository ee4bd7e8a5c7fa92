/* min_segv: prints a line, then stores to address 8 (page 0 is never
 * mapped). Linux delivers SIGSEGV with the default action: shell status
 * 128 + 11 = 139. */
#include "minimal.h"

int main(int argc, char **argv)
{
    put_str("about to store to address 8\n");
    __asm__ volatile("li t0, 8\n\tli t1, 42\n\tsd t1, 0(t0)" ::: "t0", "t1", "memory");
    put_str("still alive after storing to address 8?!\n");
    return 1;
}
