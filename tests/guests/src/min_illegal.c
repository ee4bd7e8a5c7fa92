/* min_illegal: prints a line, then executes the all-zero instruction word
 * (0x00000000 is defined to be illegal). Linux delivers SIGILL with the
 * default action, so the process dies: shell status 128 + 4 = 132. */
#include "minimal.h"

int main(int argc, char **argv)
{
    put_str("about to execute 0x00000000\n");
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     ".4byte 0x00000000\n\t"
                     ".option pop");
    put_str("still alive after an illegal instruction?!\n");
    return 1;
}
