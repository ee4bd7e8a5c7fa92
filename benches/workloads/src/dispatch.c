/* Indirect dispatch: a stack-based bytecode interpreter (switch in a loop:
 * an indirect jump through a table) running small programs, and calls
 * through a table of function pointers chosen by data. SIZE = rounds. */
#include "bench.h"

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, AND, XOR, SHR, LT, JZ, JMP, DUP, DROP, HALT };

typedef struct { uint8_t op; int32_t arg; } insn_t;

/* for (i = n; i; i--) { acc = acc*33 ^ i; acc += acc >> 7; if (!(i & 3)) sum += acc; } */
static const insn_t program[] = {
    /* 0 */ { LOAD, 0 }, { JZ, 26 },
    /* 2 */ { LOAD, 1 }, { PUSH, 33 }, { MUL, 0 }, { LOAD, 0 }, { XOR, 0 },
    /* 7 */ { DUP, 0 }, { PUSH, 7 }, { SHR, 0 }, { ADD, 0 }, { STORE, 1 },
    /* 12 */ { LOAD, 0 }, { PUSH, 3 }, { AND, 0 }, { JZ, 17 }, { JMP, 21 },
    /* 17 */ { LOAD, 2 }, { LOAD, 1 }, { ADD, 0 }, { STORE, 2 },
    /* 21 */ { LOAD, 0 }, { PUSH, 1 }, { SUB, 0 }, { STORE, 0 }, { JMP, 0 },
    /* 26 */ { HALT, 0 },
};

static uint64_t run_vm(const insn_t *code, int64_t *vars)
{
    int64_t stack[64];
    int sp = 0;
    size_t pc = 0;
    uint64_t steps = 0;
    for (;;) {
        const insn_t in = code[pc++];
        steps++;
        switch (in.op) {
        case PUSH: stack[sp++] = in.arg; break;
        case LOAD: stack[sp++] = vars[in.arg]; break;
        case STORE: vars[in.arg] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] + (uint64_t)stack[sp]); break;
        case SUB: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] - (uint64_t)stack[sp]); break;
        case MUL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)stack[sp]); break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: if (stack[--sp] == 0) pc = (size_t)in.arg; break;
        case JMP: pc = (size_t)in.arg; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case HALT: return steps ^ (uint64_t)sp;
        default: abort();
        }
    }
}

typedef uint64_t (*fn_t)(uint64_t, uint64_t);

#define FN(name, expr) __attribute__((noinline)) static uint64_t name(uint64_t a, uint64_t b) { return expr; }
FN(f0, a + b)
FN(f1, a - b)
FN(f2, a ^ (b << 1))
FN(f3, a * (b | 1))
FN(f4, (a >> 3) + b)
FN(f5, a & ~b)
FN(f6, (a | b) - 1)
FN(f7, a + (b >> 5) * 9)
FN(f8, (a << 2) ^ b)
FN(f9, a % ((b & 0xff) + 1) + b)
FN(f10, ~a + b)
FN(f11, a * 5 + b * 3)
FN(f12, (a ^ b) >> 1)
FN(f13, a + 0x1234567)
FN(f14, b - a)
FN(f15, (a + b) ^ 0xAAAA)

static const fn_t table[16] = { f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15 };

static uint64_t fn_table(uint64_t n, rng_t *r)
{
    static uint8_t sel[4096];
    for (int i = 0; i < 4096; i++)
        sel[i] = (uint8_t)rng_below(r, 16);
    uint64_t acc = 1;
    for (uint64_t i = 0; i < n; i++)
        acc = table[sel[i & 4095]](acc, i);
    return acc;
}

int main(int argc, char **argv)
{
    long rounds = bench_size(argc, argv, 34);
    rng_t r = { 7 };
    uint64_t hv = 0, hf = 0;
    for (long i = 0; i < rounds; i++) {
        int64_t vars[3] = { 100000 + i, i, 5 };
        hv = mix64(hv, run_vm(program, vars));
        hv = mix64(hv, (uint64_t)vars[1] ^ (uint64_t)vars[2]);
        hf = mix64(hf, fn_table(1000000, &r));
    }
    bench_result("dispatch", "bytecode", hv);
    bench_result("dispatch", "fnptr", hf);
    return 0;
}
