/* min_hello: the smallest useful guest. Prints one line with write(64) and
 * exits 0 with exit(93). No libc, no stack use, no gp. */
    .file "min_hello.S"   /* fixed STT_FILE name: reproducible builds */
#define SYS_write 64
#define SYS_exit 93

    .section .rodata
msg:
    .ascii "hello from riscv64\n"
msg_end:
    .equ msg_len, msg_end - msg

    .text
    .globl _start
    .type _start, @function
_start:
    li a0, 1                /* fd = stdout */
    la a1, msg              /* buf */
    li a2, msg_len          /* len */
    li a7, SYS_write
    ecall
    li a0, 0
    li a7, SYS_exit
    ecall
    .size _start, . - _start

