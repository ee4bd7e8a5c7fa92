/* min_bitmanip: the Zba, Zbb, Zbc and Zbs extensions (built with
 * -march=rv64gc_zba_zbb_zbc_zbs). Each instruction runs over a table of
 * operands; results are printed in hex, one row per instruction. */
#include "minimal.h"

static const u64 vals[] = {
    0x0000000000000000UL, 0x0000000000000001UL, 0xffffffffffffffffUL,
    0x8000000000000000UL, 0x7fffffffffffffffUL, 0x0000000080000000UL,
    0x00000000ffffffffUL, 0x123456789abcdef0UL, 0x00ff00ff00ff0000UL,
    0xfedcba9876543210UL, 0x000000000000003fUL, 0x0000000000000041UL,
};
#define NV (sizeof vals / sizeof vals[0])

#define R2(fn, insn)                                                          \
    static u64 fn(u64 a, u64 b)                                               \
    {                                                                         \
        u64 r;                                                                \
        __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));      \
        return r;                                                             \
    }
#define R1(fn, insn)                                                          \
    static u64 fn(u64 a, u64 b)                                               \
    {                                                                         \
        u64 r;                                                                \
        (void)b;                                                              \
        __asm__ volatile(insn " %0, %1" : "=r"(r) : "r"(a));                  \
        return r;                                                             \
    }
#define RI(fn, insn, imm)                                                     \
    static u64 fn(u64 a, u64 b)                                               \
    {                                                                         \
        u64 r;                                                                \
        (void)b;                                                              \
        __asm__ volatile(insn " %0, %1, " #imm : "=r"(r) : "r"(a));           \
        return r;                                                             \
    }

/* Zba */
R2(sh1add, "sh1add") R2(sh2add, "sh2add") R2(sh3add, "sh3add")
R2(add_uw, "add.uw") R2(sh1add_uw, "sh1add.uw") R2(sh2add_uw, "sh2add.uw")
R2(sh3add_uw, "sh3add.uw") RI(slli_uw_0, "slli.uw", 0)
RI(slli_uw_3, "slli.uw", 3) RI(slli_uw_32, "slli.uw", 32)
/* Zbb */
R2(andn, "andn") R2(orn, "orn") R2(xnor, "xnor")
R1(clz, "clz") R1(clzw, "clzw") R1(ctz, "ctz") R1(ctzw, "ctzw")
R1(cpop, "cpop") R1(cpopw, "cpopw")
R2(max, "max") R2(maxu, "maxu") R2(min, "min") R2(minu, "minu")
R1(sext_b, "sext.b") R1(sext_h, "sext.h") R1(zext_h, "zext.h")
R2(rol, "rol") R2(rolw, "rolw") R2(ror, "ror") R2(rorw, "rorw")
RI(rori_0, "rori", 0) RI(rori_1, "rori", 1) RI(rori_63, "rori", 63)
RI(roriw_0, "roriw", 0) RI(roriw_1, "roriw", 1) RI(roriw_31, "roriw", 31)
R1(orc_b, "orc.b") R1(rev8, "rev8")
/* Zbc */
R2(clmul, "clmul") R2(clmulh, "clmulh") R2(clmulr, "clmulr")
/* Zbs */
R2(bclr, "bclr") R2(bext, "bext") R2(binv, "binv") R2(bset, "bset")
RI(bclri_0, "bclri", 0) RI(bclri_63, "bclri", 63)
RI(bexti_31, "bexti", 31) RI(bexti_63, "bexti", 63)
RI(binvi_5, "binvi", 5) RI(binvi_63, "binvi", 63)
RI(bseti_0, "bseti", 0) RI(bseti_32, "bseti", 32)

struct op {
    const char *name;
    u64 (*fn)(u64, u64);
    int binary;
};

static const struct op ops[] = {
    {"sh1add", sh1add, 1}, {"sh2add", sh2add, 1}, {"sh3add", sh3add, 1},
    {"add.uw", add_uw, 1}, {"sh1add.uw", sh1add_uw, 1},
    {"sh2add.uw", sh2add_uw, 1}, {"sh3add.uw", sh3add_uw, 1},
    {"slli.uw 0 (zext.w)", slli_uw_0, 0}, {"slli.uw 3", slli_uw_3, 0},
    {"slli.uw 32", slli_uw_32, 0},
    {"andn", andn, 1}, {"orn", orn, 1}, {"xnor", xnor, 1},
    {"clz", clz, 0}, {"clzw", clzw, 0}, {"ctz", ctz, 0}, {"ctzw", ctzw, 0},
    {"cpop", cpop, 0}, {"cpopw", cpopw, 0},
    {"max", max, 1}, {"maxu", maxu, 1}, {"min", min, 1}, {"minu", minu, 1},
    {"sext.b", sext_b, 0}, {"sext.h", sext_h, 0}, {"zext.h", zext_h, 0},
    {"rol", rol, 1}, {"rolw", rolw, 1}, {"ror", ror, 1}, {"rorw", rorw, 1},
    {"rori 0", rori_0, 0}, {"rori 1", rori_1, 0}, {"rori 63", rori_63, 0},
    {"roriw 0", roriw_0, 0}, {"roriw 1", roriw_1, 0},
    {"roriw 31", roriw_31, 0},
    {"orc.b", orc_b, 0}, {"rev8", rev8, 0},
    {"clmul", clmul, 1}, {"clmulh", clmulh, 1}, {"clmulr", clmulr, 1},
    {"bclr", bclr, 1}, {"bext", bext, 1}, {"binv", binv, 1}, {"bset", bset, 1},
    {"bclri 0", bclri_0, 0}, {"bclri 63", bclri_63, 0},
    {"bexti 31", bexti_31, 0}, {"bexti 63", bexti_63, 0},
    {"binvi 5", binvi_5, 0}, {"binvi 63", binvi_63, 0},
    {"bseti 0", bseti_0, 0}, {"bseti 32", bseti_32, 0},
};

int main(int argc, char **argv)
{
    u64 total = MIX_INIT;
    put_str("operands:");
    for (unsigned i = 0; i < NV; i++) {
        put_str(i % 4 == 0 ? "\n  " : " ");
        put_hexn(vals[i], 16);
    }
    nl();
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        put_str("== ");
        put_str(ops[k].name);
        if (ops[k].binary) {
            nl();
            for (unsigned i = 0; i < NV; i++) {
                put_str("  ");
                put_hexn(vals[i], 16);
                put_char(':');
                for (unsigned j = 0; j < NV; j++) {
                    u64 r = ops[k].fn(vals[i], vals[j]);
                    total = mix(total, r);
                    put_char(' ');
                    put_hexn(r, 16);
                }
                nl();
            }
        } else {
            put_char(':');
            for (unsigned i = 0; i < NV; i++) {
                u64 r = ops[k].fn(vals[i], 0);
                total = mix(total, r);
                put_str(i % 4 == 0 ? "\n  " : " ");
                put_hexn(r, 16);
            }
            nl();
        }
    }
    put_str("total checksum ");
    put_hex(total);
    nl();
    return 0;
}
