/* min_compressed: the C extension (RVC).
 *
 * Built twice from this one file: bin/min_compressed with -march=rv64gc
 * (the compiler uses compressed encodings everywhere, and the hand-written
 * sections below use explicit c.* instructions, plus a 32-bit instruction
 * that straddles a page boundary at a 2-byte aligned address) and
 * bin/min_compressed_g with -march=rv64g (no compressed instruction at all).
 * The portable workload prints the same results in both; only the "rvc"
 * section differs. */
#include "minimal.h"

/* ---- portable workload: CRC-32, a small matrix product, a string hash ---- */

static u32 crc_table[256];

static void crc_init(void)
{
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320U ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static u32 crc32(const u8 *p, size_t n)
{
    u32 c = 0xffffffffU;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffU;
}

static void workload(void)
{
    crc_init();
    static const char msg[] = "The quick brown fox jumps over the lazy dog";
    put_str("crc32(fox) = ");
    put_hex32(crc32((const u8 *)msg, sizeof msg - 1));
    nl();
    static u8 big[4096];
    for (int i = 0; i < 4096; i++)
        big[i] = (u8)(i * 7 + (i >> 5));
    put_str("crc32(4096 bytes) = ");
    put_hex32(crc32(big, sizeof big));
    nl();

    static i64 m[12][12], n[12][12], p[12][12];
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++) {
            m[i][j] = (i * 3 - j * 5) % 7;
            n[i][j] = (i + 2 * j) % 5 - 2;
        }
    u64 h = MIX_INIT;
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++) {
                i64 s = 0;
                for (int k = 0; k < 12; k++)
                    s += m[i][k] * n[k][j];
                p[i][j] = s;
            }
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 12; j++)
                m[i][j] = (p[i][j] >> 1) ^ (p[i][j] & 0xffff);
    }
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++)
            h = mix(h, (u64)p[i][j]);
    put_str("matrix checksum ");
    put_hex(h);
    nl();
}

#ifdef __riscv_compressed

u64 rvc_alu(u64 x);
u64 rvc_mem(u64 *buf);
u64 rvc_branch(u64 n);
u64 rvc_straddle(u64 x);
u64 rvc_wide_same(u64 x);

__asm__(".pushsection .text.rvc,\"ax\",@progbits\n"
        ".option push\n"
        ".option rvc\n"
        /* Integer ALU: every compressed arithmetic form. */
        ".globl rvc_alu\n.type rvc_alu, @function\n"
        "rvc_alu:\n"
        "  c.nop\n"
        "  c.li a1, -32\n"
        "  c.addi a0, 7\n"
        "  c.slli a0, 3\n"
        "  c.add a0, a1\n"
        "  c.mv a2, a0\n"
        "  c.srli a2, 1\n"
        "  c.srai a0, 2\n"
        "  c.andi a0, -9\n"
        "  c.sub a0, a2\n"
        "  c.xor a0, a1\n"
        "  c.or a0, a2\n"
        "  c.and a1, a0\n"
        "  c.addw a0, a1\n"
        "  c.subw a0, a2\n"
        "  c.addiw a0, -1\n"
        "  c.lui a3, 0x1f\n"
        "  c.add a0, a3\n"
        "  c.lui a4, 0xfffe1\n"
        "  c.xor a4, a0\n"
        "  c.addi4spn a5, sp, 1020\n"
        "  c.sub a5, a4\n"
        "  sub a5, a5, sp\n"
        "  c.slli a5, 63\n"
        "  c.srli a4, 63\n"
        "  c.srai a5, 1\n"
        "  c.add a0, a5\n"
        "  c.add a0, a4\n"
        "  c.addiw a0, 0\n"
        "  c.jr ra\n"
        ".size rvc_alu, .-rvc_alu\n"
        /* Loads and stores, sp-relative and register-relative, incl. FP. */
        ".globl rvc_mem\n.type rvc_mem, @function\n"
        "rvc_mem:\n"
        "  c.addi16sp sp, -512\n"
        "  c.ld a1, 0(a0)\n"
        "  c.lw a2, 8(a0)\n"
        "  c.sd a1, 16(a0)\n"
        "  c.sw a2, 28(a0)\n"
        "  c.sdsp a1, 8(sp)\n"
        "  c.swsp a2, 16(sp)\n"
        "  c.sdsp a2, 504(sp)\n"
        "  c.swsp a1, 252(sp)\n"
        "  c.ldsp a3, 8(sp)\n"
        "  c.lwsp a4, 16(sp)\n"
        "  c.ldsp a5, 504(sp)\n"
        "  c.lwsp t0, 252(sp)\n"
        "  c.fld fa0, 0(a0)\n"
        "  c.fsd fa0, 32(a0)\n"
        "  c.fsdsp fa0, 496(sp)\n"
        "  c.fldsp fa1, 496(sp)\n"
        "  fmv.x.d t1, fa1\n"
        "  c.add a3, a4\n"
        "  c.add a3, a5\n"
        "  c.add a3, t0\n"
        "  c.add a3, t1\n"
        "  c.sd a3, 40(a0)\n"
        "  c.ld a1, 248(a0)\n"
        "  c.sw a1, 124(a0)\n"
        "  c.addi16sp sp, 496\n"
        "  c.addi16sp sp, 16\n"
        "  c.mv a0, a3\n"
        "  c.jr ra\n"
        ".size rvc_mem, .-rvc_mem\n"
        /* Control flow: c.bnez loop, c.beqz, c.j, c.jalr, c.jr. */
        ".globl rvc_branch\n.type rvc_branch, @function\n"
        "rvc_branch:\n"
        "  c.li a1, 0\n"
        "1:\n"
        "  c.add a1, a0\n"
        "  c.addi a0, -1\n"
        "  c.bnez a0, 1b\n"
        "  c.beqz a1, 2f\n"
        "  c.addi a1, 1\n"
        "2:\n"
        "  c.beqz a0, 3f\n"
        "  c.li a1, 0\n"
        "3:\n"
        "  c.mv a0, a1\n"
        "  c.mv t1, ra\n"
        "  lla t0, rvc_helper\n"
        "  c.jalr t0\n"
        "  c.mv ra, t1\n"
        "  c.j 4f\n"
        "  c.li a0, 0\n"
        "4:\n"
        "  c.jr ra\n"
        "rvc_helper:\n"
        "  c.addi a0, 3\n"
        "  c.slli a0, 1\n"
        "  c.jr ra\n"
        ".size rvc_branch, .-rvc_branch\n"
        /* The same arithmetic as 32-bit encodings, for comparison. */
        ".option norvc\n"
        ".globl rvc_wide_same\n.type rvc_wide_same, @function\n"
        "rvc_wide_same:\n"
        "  addi a0, a0, 5\n"
        "  addi a0, a0, 100\n"
        "  addi a0, a0, 2\n"
        "  slli a0, a0, 2\n"
        "  jalr x0, 0(ra)\n"
        ".size rvc_wide_same, .-rvc_wide_same\n"
        ".option pop\n"
        ".popsection\n"
        /* A 32-bit instruction at a 2-byte aligned address straddling a page
         * boundary: 4090 = 4096 - 6. The c.nop filler is never executed. */
        ".pushsection .text.straddle,\"ax\",@progbits\n"
        ".option push\n"
        ".option rvc\n"
        ".balign 4096\n"
        "  .rept 2045\n  c.nop\n  .endr\n"
        ".globl rvc_straddle\n.type rvc_straddle, @function\n"
        "rvc_straddle:\n"
        "  c.addi a0, 5\n"           /* 4090..4091 */
        "  c.nop\n"                  /* 4092..4093 */
        ".option norvc\n"
        "  addi a0, a0, 100\n"       /* 4094..4097: crosses the page */
        ".option rvc\n"
        "  c.addi a0, 2\n"
        "  c.slli a0, 2\n"
        "  c.jr ra\n"
        ".size rvc_straddle, .-rvc_straddle\n"
        ".option pop\n"
        ".popsection\n");

static void rvc_tests(void)
{
    static const u64 ins[] = {0, 1, 0x7fffffff, 0xffffffffffffffff,
                              0x123456789abcdef0};
    for (int i = 0; i < 5; i++) {
        put_str("rvc_alu(");
        put_hexn(ins[i], 16);
        put_str(") = ");
        put_hex(rvc_alu(ins[i]));
        nl();
    }
    static u64 buf[32];
    for (int i = 0; i < 32; i++)
        buf[i] = 0x0101010101010101UL * (u64)(i + 1) ^ 0x8000000080000000UL;
    u64 r = rvc_mem(buf);
    put_kv("rvc_mem result", r);
    u64 h = MIX_INIT;
    for (int i = 0; i < 32; i++)
        h = mix(h, buf[i]);
    put_kv("rvc_mem buffer checksum", h);
    put_kd("rvc_branch(10)", (i64)rvc_branch(10));
    put_kd("rvc_branch(1000)", (i64)rvc_branch(1000));
    put_kd("rvc_straddle(1)", (i64)rvc_straddle(1));
    put_kd("rvc_wide_same(1)", (i64)rvc_wide_same(1));
    u64 addr = (u64)(void *)rvc_straddle;
    put_kd("straddling instruction starts at page offset",
           (i64)((addr + 4) & 4095));
}
#endif

int main(int argc, char **argv)
{
    workload();
#ifdef __riscv_compressed
    put_str("rvc: compiled in\n");
    rvc_tests();
#else
    put_str("rvc: not compiled in (rv64g build)\n");
#endif
    return 0;
}
