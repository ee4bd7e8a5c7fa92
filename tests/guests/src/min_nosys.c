/* min_nosys: system calls Linux does not have (number 999, and 250, in
 * riscv64's arch-specific range but unassigned) return -ENOSYS (-38);
 * ferrovm and QEMU say nothing unless asked (`-d unimp`). */
#include "minimal.h"

int main(int argc, char **argv)
{
    put_str("syscall 999: ");
    put_dec(sys_call3(999, 1, 2, 3));
    nl();
    put_str("syscall 250: ");
    put_dec(sys_call3(250, 0, 0, 0));
    nl();
    return 0;
}
