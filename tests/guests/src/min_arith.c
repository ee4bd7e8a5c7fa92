/* min_arith: RV64IM integer arithmetic. Every operation is one inline-asm
 * instruction over a table of edge-case operands (0, ±1, INT64_MIN/MAX,
 * 32-bit boundaries, ...), so division by zero, signed overflow and the
 * sign extension of the *W forms are all covered. Results are printed in
 * hex, one row per first operand, plus a checksum per operation. */
#include "minimal.h"

static const u64 vals[] = {
    0x0000000000000000UL, 0x0000000000000001UL, 0xffffffffffffffffUL,
    0x8000000000000000UL, 0x7fffffffffffffffUL, 0x0000000080000000UL,
    0x000000007fffffffUL, 0xffffffff80000000UL, 0x00000000ffffffffUL,
    0x123456789abcdef0UL, 0xfffffffffffffff9UL, 0x0000000000000003UL,
    0x000000000000003fUL, 0x0000000000000021UL,
};
#define NV (sizeof vals / sizeof vals[0])

#define RR(insn)                                                              \
    static u64 op_##insn(u64 a, u64 b)                                        \
    {                                                                         \
        u64 r;                                                                \
        __asm__ volatile(#insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));     \
        return r;                                                             \
    }
#define RRN(fn, mnem)                                                         \
    static u64 op_##fn(u64 a, u64 b)                                          \
    {                                                                         \
        u64 r;                                                                \
        __asm__ volatile(mnem " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));      \
        return r;                                                             \
    }

RR(add) RR(sub) RR(sll) RR(srl) RR(sra) RR(slt) RR(sltu) RR(xor) RR(or)
RR(and) RR(addw) RR(subw) RR(sllw) RR(srlw) RR(sraw)
RR(mul) RR(mulh) RR(mulhu) RR(mulhsu) RR(mulw)
RR(div) RR(divu) RR(rem) RR(remu) RR(divw) RR(divuw) RR(remw) RR(remuw)

struct rrop {
    const char *name;
    u64 (*fn)(u64, u64);
};

static const struct rrop rrops[] = {
#define E(x) {#x, op_##x},
    E(add) E(sub) E(sll) E(srl) E(sra) E(slt) E(sltu) E(xor) E(or) E(and)
    E(addw) E(subw) E(sllw) E(srlw) E(sraw)
    E(mul) E(mulh) E(mulhu) E(mulhsu) E(mulw)
    E(div) E(divu) E(rem) E(remu) E(divw) E(divuw) E(remw) E(remuw)
#undef E
};

/* Immediate forms: each instance has its immediate baked in. */
#define RI(fn, insn, imm)                                                     \
    static u64 fn(u64 a)                                                      \
    {                                                                         \
        u64 r;                                                                \
        __asm__ volatile(insn " %0, %1, " #imm : "=r"(r) : "r"(a));           \
        return r;                                                             \
    }

RI(i_addi_m1, "addi", -1) RI(i_addi_2047, "addi", 2047)
RI(i_addi_m2048, "addi", -2048) RI(i_addiw_1, "addiw", 1)
RI(i_addiw_m1, "addiw", -1) RI(i_addiw_0, "addiw", 0)
RI(i_slti_m1, "slti", -1) RI(i_slti_5, "slti", 5)
RI(i_sltiu_m1, "sltiu", -1) RI(i_sltiu_1, "sltiu", 1)
RI(i_xori_m1, "xori", -1) RI(i_ori_0x555, "ori", 0x555)
RI(i_andi_m16, "andi", -16) RI(i_andi_0x7ff, "andi", 0x7ff)
RI(i_slli_0, "slli", 0) RI(i_slli_1, "slli", 1) RI(i_slli_63, "slli", 63)
RI(i_srli_1, "srli", 1) RI(i_srli_63, "srli", 63)
RI(i_srai_1, "srai", 1) RI(i_srai_63, "srai", 63)
RI(i_slliw_0, "slliw", 0) RI(i_slliw_31, "slliw", 31) RI(i_slliw_4, "slliw", 4)
RI(i_srliw_0, "srliw", 0) RI(i_srliw_31, "srliw", 31) RI(i_srliw_4, "srliw", 4)
RI(i_sraiw_0, "sraiw", 0) RI(i_sraiw_31, "sraiw", 31) RI(i_sraiw_4, "sraiw", 4)

struct riop {
    const char *name;
    u64 (*fn)(u64);
};

static const struct riop riops[] = {
    {"addi -1", i_addi_m1}, {"addi 2047", i_addi_2047},
    {"addi -2048", i_addi_m2048}, {"addiw 1", i_addiw_1},
    {"addiw -1", i_addiw_m1}, {"addiw 0 (sext.w)", i_addiw_0},
    {"slti -1", i_slti_m1}, {"slti 5", i_slti_5},
    {"sltiu -1", i_sltiu_m1}, {"sltiu 1 (seqz)", i_sltiu_1},
    {"xori -1 (not)", i_xori_m1}, {"ori 0x555", i_ori_0x555},
    {"andi -16", i_andi_m16}, {"andi 0x7ff", i_andi_0x7ff},
    {"slli 0", i_slli_0}, {"slli 1", i_slli_1}, {"slli 63", i_slli_63},
    {"srli 1", i_srli_1}, {"srli 63", i_srli_63},
    {"srai 1", i_srai_1}, {"srai 63", i_srai_63},
    {"slliw 0", i_slliw_0}, {"slliw 31", i_slliw_31}, {"slliw 4", i_slliw_4},
    {"srliw 0", i_srliw_0}, {"srliw 31", i_srliw_31}, {"srliw 4", i_srliw_4},
    {"sraiw 0", i_sraiw_0}, {"sraiw 31", i_sraiw_31}, {"sraiw 4", i_sraiw_4},
};

static void upper_immediates(void)
{
    u64 r;
    __asm__ volatile("lui %0, 0xfffff" : "=r"(r));
    put_kv("lui 0xfffff", r);
    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    put_kv("lui 0x80000", r);
    __asm__ volatile("lui %0, 0x7ffff" : "=r"(r));
    put_kv("lui 0x7ffff", r);
    __asm__ volatile("lui %0, 0x12345\n\taddiw %0, %0, -1" : "=r"(r));
    put_kv("lui 0x12345; addiw -1", r);
    __asm__ volatile("li %0, 0x123456789abcdef0" : "=r"(r));
    put_kv("li 0x123456789abcdef0", r);
    /* auipc: print the distance to a label, not the absolute address. */
    u64 a, b;
    __asm__ volatile("1: auipc %0, 0\n\tlla %1, 1b" : "=r"(a), "=r"(b));
    put_kv("auipc 0 - label", a - b);
    __asm__ volatile("1: auipc %0, 0x1\n\tlla %1, 1b" : "=r"(a), "=r"(b));
    put_kv("auipc 1 - label", a - b);
    __asm__ volatile("1: auipc %0, 0xfffff\n\tlla %1, 1b" : "=r"(a), "=r"(b));
    put_kv("auipc -1 - label", a - b);
}

/* Branches: taken/not taken for every comparison over the operand table,
 * accumulated into one bit mask per condition. */
#define BR(insn)                                                              \
    static int br_##insn(u64 a, u64 b)                                        \
    {                                                                         \
        int t;                                                                \
        __asm__ volatile(#insn " %1, %2, 1f\n\tli %0, 0\n\tj 2f\n"            \
                         "1: li %0, 1\n2:"                                    \
                         : "=r"(t) : "r"(a), "r"(b));                         \
        return t;                                                             \
    }
BR(beq) BR(bne) BR(blt) BR(bge) BR(bltu) BR(bgeu)

static void branches(void)
{
    static const struct {
        const char *name;
        int (*fn)(u64, u64);
    } brs[] = {{"beq", br_beq},   {"bne", br_bne},   {"blt", br_blt},
               {"bge", br_bge},   {"bltu", br_bltu}, {"bgeu", br_bgeu}};
    for (unsigned k = 0; k < sizeof brs / sizeof brs[0]; k++) {
        put_str(brs[k].name);
        put_str(":");
        for (unsigned i = 0; i < NV; i++) {
            u64 m = 0;
            for (unsigned j = 0; j < NV; j++)
                m |= (u64)brs[k].fn(vals[i], vals[j]) << j;
            put_char(' ');
            put_hexn(m, 4);
        }
        nl();
    }
}

/* jal/jalr: link register values relative to the call site. */
static void jumps(void)
{
    u64 link, site, r;
    __asm__ volatile("lla %1, 1f\n\t"
                     "jal %0, 2f\n"
                     "1: nop\n"
                     "2:"
                     : "=r"(link), "=r"(site));
    put_kv("jal link - return site", link - site);
    /* jalr with an odd target offset: bit 0 of the target is cleared. */
    __asm__ volatile("lla t0, 3f\n\t"
                     "jalr %0, 1(t0)\n\t"
                     "li %1, 99\n"
                     "3: li %1, 7\n"
                     : "=&r"(link), "=&r"(r)
                     :
                     : "t0");
    put_kd("jalr odd target reached", (i64)r);
    /* jalr where rd == rs1: the target uses the old value. */
    __asm__ volatile("lla %0, 4f\n\t"
                     "jalr %0, 0(%0)\n\t"
                     "li %1, 99\n\t"
                     "j 5f\n"
                     "4: li %1, 8\n"
                     "5:"
                     : "=&r"(link), "=&r"(r));
    put_kd("jalr rd==rs1 reached", (i64)r);
}

int main(int argc, char **argv)
{
    put_str("min_arith: RV64IM\n");
    put_str("operands:");
    for (unsigned i = 0; i < NV; i++) {
        put_str(i % 4 == 0 ? "\n  " : " ");
        put_hex(vals[i]);
    }
    nl();
    u64 total = MIX_INIT;
    for (unsigned k = 0; k < sizeof rrops / sizeof rrops[0]; k++) {
        u64 h = MIX_INIT;
        put_str("== ");
        put_str(rrops[k].name);
        nl();
        for (unsigned i = 0; i < NV; i++) {
            put_str("  a=");
            put_hexn(vals[i], 16);
            put_char(':');
            for (unsigned j = 0; j < NV; j++) {
                u64 r = rrops[k].fn(vals[i], vals[j]);
                h = mix(h, r);
                put_char(' ');
                put_hexn(r, 16);
            }
            nl();
        }
        put_str("  checksum ");
        put_hex(h);
        nl();
        total = mix(total, h);
    }
    for (unsigned k = 0; k < sizeof riops / sizeof riops[0]; k++) {
        put_str("== ");
        put_str(riops[k].name);
        put_char(':');
        for (unsigned i = 0; i < NV; i++) {
            u64 r = riops[k].fn(vals[i]);
            total = mix(total, r);
            put_str(i % 4 == 0 ? "\n  " : " ");
            put_hexn(r, 16);
        }
        nl();
    }
    upper_immediates();
    branches();
    jumps();
    /* x0 is hard-wired to zero even as a destination. */
    u64 z;
    __asm__ volatile("li t0, 5\n\tadd x0, t0, t0\n\tmv %0, x0" : "=r"(z) : : "t0");
    put_kv("x0 after write", z);
    put_str("total checksum ");
    put_hex(total);
    nl();
    return 0;
}
