/* min_vector_sigill: a vector instruction (V 1.0 `vsetvli`) raises SIGILL:
 * ferrovm does not implement V and says so instead of computing a wrong
 * result, as qemu-riscv64 7.2's default rv64 CPU (v=false) does too.
 * Expected status 132 (128 + SIGILL). */
#include "minimal.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    put_str("before vsetvli\n");
    out_flush();
    u64 vl;
    /* vsetvli a0, zero, e32, m1, ta, ma */
    __asm__ volatile(".insn 4, 0x0d007557\n\tmv %0, a0" : "=r"(vl) : : "a0");
    put_kv("after vsetvli: vl", vl);
    return 0;
}
