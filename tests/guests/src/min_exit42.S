/* min_exit42: exits with status 42 via exit_group(94), printing nothing. */
    .file "min_exit42.S"  /* fixed STT_FILE name: reproducible builds */
#define SYS_exit_group 94

    .text
    .globl _start
    .type _start, @function
_start:
    li a0, 42
    li a7, SYS_exit_group
    ecall
    .size _start, . - _start
