/* hello: static glibc printf. Another test disassembles this binary and
 * compares with objdump, so keep the name. */
#include <stdio.h>

int main(void)
{
    printf("hello, world\n");
    printf("%d %u %ld %x %#lx %o\n", -42, 42u, 1234567890123L, 0xbeef, 0xdeadbeefcafeL, 0755);
    printf("[%8s] [%-8s] [%08.3f] [%c]\n", "right", "left", 3.14159, 'R');
    printf("%.3e %g %g\n", 6.02214076e23, 0.0001, 1e100);
    return 0;
}
