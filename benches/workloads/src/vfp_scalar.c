/* The scalar riscv64 build of vfp.c: the same source built without V
 * (-march=rv64gc), so its C loops run; the harness compares it with the
 * vector build under each engine. */
#include "vfp.c"
