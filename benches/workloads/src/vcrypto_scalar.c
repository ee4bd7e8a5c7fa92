/* The scalar riscv64 build of vcrypto.c: the same source built without V
 * (-march=rv64gc), so its C kernels run; the harness compares it with the
 * vector build under each engine (and under qemu-riscv64 7.2, which cannot
 * run the vector crypto build). */
#include "vcrypto.c"
