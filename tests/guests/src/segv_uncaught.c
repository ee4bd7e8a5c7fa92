/* segv_uncaught: static glibc program that writes through a null pointer
 * with no handler installed. Dies by SIGSEGV: status 139. The line before
 * is flushed first so the expected stdout is known. */
#include <stdio.h>

int main(void)
{
    printf("writing through a null pointer\n");
    fflush(stdout);
    volatile int *p = (volatile int *)0;
    *p = 1;
    printf("survived?!\n");
    return 0;
}
