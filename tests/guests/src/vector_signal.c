/* The vector state across a signal handler, as Linux (6.5+) delivers it:
 * the handler starts with the interrupted code's vector registers and
 * CSRs; the signal frame carries them in the extended context after the
 * FP state (uapi asm/sigcontext.h: sc_extdesc.reserved = 0, then a header
 * {RISCV_V_MAGIC 0x53465457, size = 8 + 48 + 32 * vlenb}, then
 * struct __riscv_v_ext_state {vstart, vl, vtype, vcsr, vlenb, datap} with
 * datap pointing at the 32 registers right after it, then an end header
 * {0, 0}); rt_sigreturn restores the state from the frame, so what the
 * handler does to the live registers is undone and what it writes into
 * the frame is what the interrupted code gets back (vl, vcsr and register
 * bytes edited here).
 *
 * The signal is a breakpoint (ebreak, SIGTRAP), not a syscall: Linux
 * discards the vector state on syscall entry. qemu-riscv64 7.2 saves no
 * vector state in its frames (tag oracle-spec: the expected output is the
 * kernel's behaviour, checked here line by line). Output does not depend
 * on VLEN. Built with -march=rv64gcv; run with --isa max. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

struct v_state {
    uint64_t vstart, vl, vtype, vcsr, vlenb;
    uint8_t *datap;
};

static uint8_t A[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static uint8_t B[8] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80};
static int failures;

static void report(int ok, const char *what) {
    failures += !ok;
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
}

static uint64_t csr_vl(void) {
    uint64_t x;
    __asm__ volatile("csrr %0, vl" : "=r"(x));
    return x;
}
static uint64_t csr_vtype(void) {
    uint64_t x;
    __asm__ volatile("csrr %0, vtype" : "=r"(x));
    return x;
}
static uint64_t csr_vcsr(void) {
    uint64_t x;
    __asm__ volatile("csrr %0, vcsr" : "=r"(x));
    return x;
}
static uint64_t csr_vlenb(void) {
    uint64_t x;
    __asm__ volatile("csrr %0, vlenb" : "=r"(x));
    return x;
}

static void on_trap(int sig, siginfo_t *info, void *ucp) {
    (void)sig, (void)info;
    ucontext_t *uc = ucp;
    /* The live state is the interrupted code's: e16, m1, ta, mu, vl 4,
     * vxrm 2, vxsat 1, v1 = A, v2 = B. */
    uint64_t vl = csr_vl(), vtype = csr_vtype(), vcsr = csr_vcsr(), vlenb = csr_vlenb();
    printf("handler: vl %lu vtype %#lx vcsr %#lx\n", (unsigned long)vl, (unsigned long)vtype, (unsigned long)vcsr);
    report(vl == 4 && vtype == 0x48 && vcsr == 5, "handler starts with the interrupted vl, vtype, vcsr");
    uint8_t live[8];
    __asm__ volatile("vsetivli zero, 8, e8, m1, ta, mu\n"
                     "vse8.v v1, (%0)\n"
                     : : "r"(live) : "memory");
    report(memcmp(live, A, 8) == 0, "handler starts with the interrupted v1");

    /* The record in the frame. */
    uint8_t *sc = (uint8_t *)&uc->uc_mcontext;
    uint32_t reserved;
    memcpy(&reserved, sc + 256 + 516, 4);
    report(reserved == 0, "sc_extdesc.reserved is 0");
    uint32_t *hdr = (uint32_t *)(sc + 256 + 520);
    printf("header: magic %#x size 8+48+32*vlenb %s\n", hdr[0], hdr[1] == 8 + 48 + 32 * vlenb ? "yes" : "no");
    report(hdr[0] == 0x53465457 && hdr[1] == 8 + 48 + 32 * vlenb, "RISCV_V_MAGIC record of riscv_v_sc_size");
    if (hdr[0] != 0x53465457) {
        /* No vector record (qemu-riscv64 7.2): nothing to look at or edit. */
        __asm__ volatile("vsetvli zero, zero, e64, m1, ta, ma\n vmv.v.i v1, -1\n vmv.v.i v2, 0\n");
        uc->uc_mcontext.__gregs[REG_PC] += 4;
        return;
    }
    struct v_state *vs = (struct v_state *)(hdr + 2);
    printf("saved: vstart %lu vl %lu vtype %#lx vcsr %#lx\n", (unsigned long)vs->vstart, (unsigned long)vs->vl,
           (unsigned long)vs->vtype, (unsigned long)vs->vcsr);
    report(vs->vstart == 0 && vs->vl == 4 && vs->vtype == 0x48 && vs->vcsr == 5, "saved vstart, vl, vtype, vcsr");
    report(vs->vlenb == vlenb, "saved vlenb is vlenb");
    report(vs->datap == (uint8_t *)(vs + 1) && (uintptr_t)vs->datap % 16 == 0,
           "datap points right after the state, 16-byte aligned");
    report(memcmp(vs->datap + 1 * vlenb, A, 8) == 0 && memcmp(vs->datap + 2 * vlenb, B, 8) == 0,
           "saved v1 and v2 hold the interrupted values");
    uint32_t *end = (uint32_t *)((uint8_t *)hdr + hdr[1]);
    report(end[0] == 0 && end[1] == 0, "an end header follows the record");

    /* What the interrupted code should get back: vl 3, vxrm 1 and no
     * vxsat, v2[0] = 0x77. */
    vs->vl = 3;
    vs->vcsr = 1 << 1;
    vs->datap[2 * vlenb] = 0x77;
    /* Clobber the live state; sigreturn must undo it. */
    __asm__ volatile("vsetvli zero, zero, e64, m1, ta, ma\n"
                     "vmv.v.i v1, -1\n"
                     "vmv.v.i v2, 0\n"
                     "csrwi vxrm, 3\n"
                     "csrwi vxsat, 0\n");
    uc->uc_mcontext.__gregs[REG_PC] += 4;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, 0);
    uint64_t vl, vtype, vcsr;
    uint8_t v1[8], v2[8];
    __asm__ volatile("vsetivli zero, 4, e16, m1, ta, mu\n"
                     "vle16.v v1, (%3)\n"
                     "vle16.v v2, (%4)\n"
                     "csrwi vxrm, 2\n"
                     "csrwi vxsat, 1\n"
                     ".4byte 0x00100073\n" /* ebreak, always 4 bytes */
                     "csrr %0, vl\n"
                     "csrr %1, vtype\n"
                     "csrr %2, vcsr\n"
                     "vsetivli zero, 8, e8, m1, ta, mu\n"
                     "vse8.v v1, (%5)\n"
                     "vse8.v v2, (%6)\n"
                     : "=&r"(vl), "=&r"(vtype), "=&r"(vcsr)
                     : "r"(A), "r"(B), "r"(v1), "r"(v2)
                     : "memory");
    printf("after: vl %lu vtype %#lx vcsr %#lx\n", (unsigned long)vl, (unsigned long)vtype, (unsigned long)vcsr);
    report(vl == 3 && vtype == 0x48 && vcsr == 2, "vl, vtype and vcsr come back from the frame");
    report(memcmp(v1, A, 8) == 0, "v1 comes back (the handler's clobber undone)");
    uint8_t want2[8];
    memcpy(want2, B, 8);
    want2[0] = 0x77;
    report(memcmp(v2, want2, 8) == 0, "v2 comes back with the byte the handler wrote into the frame");
    printf("%d failures\n", failures);
    return failures != 0;
}
