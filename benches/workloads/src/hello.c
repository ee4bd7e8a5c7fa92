/* Short-lived process: start, print one line, exit. Measures start-up
 * (loading, libc initialization) rather than steady-state speed; SIZE is
 * accepted and ignored. */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
