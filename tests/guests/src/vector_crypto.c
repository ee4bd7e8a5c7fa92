/* The vector crypto extensions Zvkned (AES), Zvknha/Zvknhb (SHA-256,
 * SHA-512), Zvkg (GHASH), Zvbc (carry-less multiply), Zvksed (SM4) and
 * Zvksh (SM3), checked against the known answers of FIPS-197 (Appendix B,
 * C.1, C.3), FIPS 180-4 (the "abc" and two-block examples), the GCM spec,
 * GB/T 32907-2016 and GB/T 32905-2016. Neither
 * qemu-riscv64 7.2 nor binutils 2.40 knows these instructions: they are
 * emitted as words (the `opp` macro: OP-P, OPMVV, vm = 1) from the vector
 * cryptography spec 1.0's encodings, and every result is compared here
 * with the specifications' values (SHA-2's round constants computed from
 * their definition, the digests also checked against a host's hashlib).
 *   - AES-128/256 key expansion with vaeskf1.vi/vaeskf2.vi;
 *   - encryption (vaesz, vaesem, vaesef) and decryption (vaesdm, vaesdf)
 *     of 4 blocks at LMUL 4 with the .vs forms (one round key for all),
 *     and of 2 blocks under 2 different keys with the .vv forms (each
 *     element group its own key);
 *   - SHA-256 (SEW 32) and SHA-512 (SEW 64, LMUL 2: EGW 256) with
 *     vsha2ms/vsha2cl/vsha2ch, message words byte-swapped with vrev8.v
 *     (Zvkb) and arranged with vmerge, as the spec's notes describe;
 *   - reserved encodings raise SIGILL: SEW 64 AES, vl or vstart not a
 *     multiple of 4, a .vs destination overlapping its key, vsha2ms's
 *     destination overlapping a source, a masked (vm = 0) encoding, and
 *     LMUL * VLEN < 128 (which depends on VLEN: checked against vlenb).
 *   - Zvkg: GHASH of the GCM spec's test case 2 with vghsh.vv, and vgmul.vv;
 *   - Zvbc: vclmul/vclmulh (.vv, .vx, masked) at SEW 64 against hand-worked
 *     products, a bit-by-bit C model of the spec's clmul/clmulh, and the
 *     scalar Zbc clmul/clmulh; SEW 32 and a masked vd = v0 raise SIGILL;
 *   - Zvksed: GB/T 32907-2016's example 1 (key = plaintext =
 *     0123456789abcdeffedcba9876543210): the 32 round keys from vsm4k.vi,
 *     encryption of 4 blocks at LMUL 4 with vsm4r.vs, and the spec's code
 *     sample arrangement (LMUL 1, vsm4r.vv, keys reversed with vrgather for
 *     decryption, the output reversed);
 *   - Zvksh: SM3 of GB/T 32905-2016's "abc" and 64-byte examples with
 *     vsm3me.vv/vsm3c.vi arranged as the spec's code sample does (LMUL 2,
 *     slides and vmerge feeding vsm3c the words it consumes);
 * Prints "ok"/"FAIL" lines; the same at every VLEN >= 128. Built with
 * -march=rv64gcv_zbc; run with --isa max (ferrovm). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

__asm__(
    /* opp f6, vs2, vs1, vd: an OP-P (1110111) OPMVV word with vm = 1. */
    ".macro opp f6, vs2, vs1, vd\n"
    "  .4byte ((\\f6) << 26) | (1 << 25) | ((\\vs2) << 20) | ((\\vs1) << 15) | (2 << 12) | ((\\vd) << 7) | 0x77\n"
    ".endm\n"
    /* opv f6, vm, vs2, vs1, f3, vd: an OP-V (1010111) word (Zvbc's
     * vclmul/vclmulh: funct6 0x0c/0x0d, OPMVV 2 or OPMVX 6). */
    ".macro opv f6, vm, vs2, vs1, f3, vd\n"
    "  .4byte ((\\f6) << 26) | ((\\vm) << 25) | ((\\vs2) << 20) | ((\\vs1) << 15) | ((\\f3) << 12) | ((\\vd) << 7) | 0x57\n"
    ".endm\n"
    /* vrev8.v vd, vs2 (Zvkb: VXUNARY0 01001), as a word. */
    ".macro vrev8 vd, vs2\n"
    "  .4byte (0x12 << 26) | (1 << 25) | ((\\vs2) << 20) | (9 << 15) | (2 << 12) | ((\\vd) << 7) | 0x57\n"
    ".endm\n"

    /* aes_kf1(rk): rk[1..10] from rk[0] (AES-128). */
    ".text\n.globl aes_kf1\naes_kf1:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v1, (a0)\n"
    "  .irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10\n"
    "  opp 0x22, 1, \\r, 2\n" /* vaeskf1.vi v2, v1, r */
    "  addi a0, a0, 16\n"
    "  vse32.v v2, (a0)\n"
    "  vmv.v.v v1, v2\n"
    "  .endr\n"
    "  ret\n"

    /* aes_kf2(rk): rk[2..14] from rk[0], rk[1] (AES-256). */
    ".globl aes_kf2\naes_kf2:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v1, (a0)\n"
    "  addi a0, a0, 16\n"
    "  vle32.v v2, (a0)\n"
    "  .irp r, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14\n"
    "  vmv.v.v v3, v1\n"
    "  opp 0x2a, 2, \\r, 3\n" /* vaeskf2.vi v3, v2, r */
    "  addi a0, a0, 16\n"
    "  vse32.v v3, (a0)\n"
    "  vmv.v.v v1, v2\n"
    "  vmv.v.v v2, v3\n"
    "  .endr\n"
    "  ret\n"

    /* aes_enc_vs(rk, nr, blocks, n): n blocks in v4..v7 (LMUL 4), the
     * round key in v8 for all of them. */
    ".globl aes_enc_vs\naes_enc_vs:\n"
    "  slli t1, a3, 2\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  vle32.v v4, (a2)\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v8, (a0)\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  opp 0x29, 8, 7, 4\n" /* vaesz.vs v4, v8 */
    "  li t2, 1\n"
    "1: addi a0, a0, 16\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v8, (a0)\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  beq t2, a1, 2f\n"
    "  opp 0x29, 8, 2, 4\n" /* vaesem.vs v4, v8 */
    "  addi t2, t2, 1\n"
    "  j 1b\n"
    "2: opp 0x29, 8, 3, 4\n" /* vaesef.vs v4, v8 */
    "  vse32.v v4, (a2)\n"
    "  ret\n"

    /* aes_dec_vs(rk, nr, blocks, n): the inverse cipher, keys backwards. */
    ".globl aes_dec_vs\naes_dec_vs:\n"
    "  slli t1, a3, 2\n"
    "  slli t0, a1, 4\n"
    "  add a0, a0, t0\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  vle32.v v4, (a2)\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v8, (a0)\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  opp 0x29, 8, 7, 4\n" /* vaesz.vs v4, v8 */
    "  li t2, 1\n"
    "1: addi a0, a0, -16\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v8, (a0)\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  beq t2, a1, 2f\n"
    "  opp 0x29, 8, 0, 4\n" /* vaesdm.vs v4, v8 */
    "  addi t2, t2, 1\n"
    "  j 1b\n"
    "2: opp 0x29, 8, 1, 4\n" /* vaesdf.vs v4, v8 */
    "  vse32.v v4, (a2)\n"
    "  ret\n"

    /* aes_enc_vv(rk, nr, blocks, n) / aes_dec_vv: each round's keys are
     * n groups (one per block) in v8..v11; round 0 is vxor.vv. */
    ".globl aes_enc_vv\naes_enc_vv:\n"
    "  slli t1, a3, 2\n"
    "  slli t3, a3, 4\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  vle32.v v4, (a2)\n"
    "  vle32.v v8, (a0)\n"
    "  vxor.vv v4, v4, v8\n"
    "  li t2, 1\n"
    "1: add a0, a0, t3\n"
    "  vle32.v v8, (a0)\n"
    "  beq t2, a1, 2f\n"
    "  opp 0x28, 8, 2, 4\n" /* vaesem.vv v4, v8 */
    "  addi t2, t2, 1\n"
    "  j 1b\n"
    "2: opp 0x28, 8, 3, 4\n" /* vaesef.vv v4, v8 */
    "  vse32.v v4, (a2)\n"
    "  ret\n"
    ".globl aes_dec_vv\naes_dec_vv:\n"
    "  slli t1, a3, 2\n"
    "  slli t3, a3, 4\n"
    "  mul t0, t3, a1\n"
    "  add a0, a0, t0\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  vle32.v v4, (a2)\n"
    "  vle32.v v8, (a0)\n"
    "  vxor.vv v4, v4, v8\n"
    "  li t2, 1\n"
    "1: sub a0, a0, t3\n"
    "  vle32.v v8, (a0)\n"
    "  beq t2, a1, 2f\n"
    "  opp 0x28, 8, 0, 4\n" /* vaesdm.vv v4, v8 */
    "  addi t2, t2, 1\n"
    "  j 1b\n"
    "2: opp 0x28, 8, 1, 4\n" /* vaesdf.vv v4, v8 */
    "  vse32.v v4, (a2)\n"
    "  ret\n"

    /* Four SHA-2 rounds: W + K into v8, vsha2cl then vsha2ch (the state
     * {a, b, e, f} in `ab`, {c, d, g, h} in `cd`), and, with `sched`, the
     * next four message words over the oldest group w0:
     * vsha2ms w0, {w2[3..1], w1[0]}, w3. */
    ".macro rounds4 ld, sz, w0, w1, w2, w3, ab, cd, tmp, sched\n"
    "  \\ld v8, (a3)\n"
    "  addi a3, a3, \\sz\n"
    "  vadd.vv v8, v8, v\\w0\n"
    "  opp 0x2f, \\ab, 8, \\cd\n" /* vsha2cl.vv cd, ab, v8 */
    "  opp 0x2e, \\cd, 8, \\ab\n" /* vsha2ch.vv ab, cd, v8 */
    "  .if \\sched\n"
    "  vmerge.vvm v\\tmp, v\\w2, v\\w1, v0\n"
    "  opp 0x2d, \\tmp, \\w3, \\w0\n" /* vsha2ms.vv w0, tmp, w3 */
    "  .endif\n"
    ".endm\n"

    /* sha256_block(abef, cdgh, data, k): one 64-byte block. */
    ".globl sha256_block\nsha256_block:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v1, (a0)\n"
    "  vle32.v v2, (a1)\n"
    "  vmv.v.v v20, v1\n"
    "  vmv.v.v v21, v2\n"
    "  .irp r, 10, 11, 12, 13\n"
    "  vle32.v v\\r, (a2)\n"
    "  addi a2, a2, 16\n"
    "  vrev8 \\r, \\r\n"
    "  .endr\n"
    "  li t0, 1\n"
    "  vmv.s.x v0, t0\n"
    "  .rept 3\n"
    "  rounds4 vle32.v, 16, 10, 11, 12, 13, 1, 2, 9, 1\n"
    "  rounds4 vle32.v, 16, 11, 12, 13, 10, 1, 2, 9, 1\n"
    "  rounds4 vle32.v, 16, 12, 13, 10, 11, 1, 2, 9, 1\n"
    "  rounds4 vle32.v, 16, 13, 10, 11, 12, 1, 2, 9, 1\n"
    "  .endr\n"
    "  rounds4 vle32.v, 16, 10, 11, 12, 13, 1, 2, 9, 0\n"
    "  rounds4 vle32.v, 16, 11, 12, 13, 10, 1, 2, 9, 0\n"
    "  rounds4 vle32.v, 16, 12, 13, 10, 11, 1, 2, 9, 0\n"
    "  rounds4 vle32.v, 16, 13, 10, 11, 12, 1, 2, 9, 0\n"
    "  vadd.vv v1, v1, v20\n"
    "  vadd.vv v2, v2, v21\n"
    "  vse32.v v1, (a0)\n"
    "  vse32.v v2, (a1)\n"
    "  ret\n"

    /* ghash2(h, c, len, out): GHASH over two blocks with vghsh.vv, then
     * vgmul.vv of the first block alone (out[0] = Y2, out[1] = C * H). */
    ".globl ghash2\nghash2:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v3, (a0)\n"
    "  vle32.v v4, (a1)\n"
    "  vle32.v v5, (a2)\n"
    "  vmv.v.i v1, 0\n"
    "  opp 0x2c, 3, 4, 1\n" /* vghsh.vv v1, v3, v4 */
    "  opp 0x2c, 3, 5, 1\n" /* vghsh.vv v1, v3, v5 */
    "  vse32.v v1, (a3)\n"
    "  vmv.v.v v2, v4\n"
    "  opp 0x28, 3, 0x11, 2\n" /* vgmul.vv v2, v3 */
    "  addi a3, a3, 16\n"
    "  vse32.v v2, (a3)\n"
    "  ret\n"

    /* clmul_vv(x, y, n, lo, hi): lo[i], hi[i] = vclmul.vv, vclmulh.vv of
     * x[i] (vs2) and y[i] (vs1), strip-mined at SEW 64, LMUL 4. */
    ".globl clmul_vv\nclmul_vv:\n"
    "1: vsetvli t0, a2, e64, m4, ta, ma\n"
    "  vle64.v v8, (a0)\n"
    "  vle64.v v12, (a1)\n"
    "  opv 0x0c, 1, 8, 12, 2, 16\n" /* vclmul.vv v16, v8, v12 */
    "  opv 0x0d, 1, 8, 12, 2, 20\n" /* vclmulh.vv v20, v8, v12 */
    "  vse64.v v16, (a3)\n"
    "  vse64.v v20, (a4)\n"
    "  slli t1, t0, 3\n"
    "  add a0, a0, t1\n"
    "  add a1, a1, t1\n"
    "  add a3, a3, t1\n"
    "  add a4, a4, t1\n"
    "  sub a2, a2, t0\n"
    "  bnez a2, 1b\n"
    "  ret\n"

    /* clmul_vx(x, y, n, lo, hi): the same with the scalar y (.vx). */
    ".globl clmul_vx\nclmul_vx:\n"
    "1: vsetvli t0, a2, e64, m4, ta, ma\n"
    "  vle64.v v8, (a0)\n"
    "  opv 0x0c, 1, 8, 11, 6, 16\n" /* vclmul.vx v16, v8, a1 */
    "  opv 0x0d, 1, 8, 11, 6, 20\n" /* vclmulh.vx v20, v8, a1 */
    "  vse64.v v16, (a3)\n"
    "  vse64.v v20, (a4)\n"
    "  slli t1, t0, 3\n"
    "  add a0, a0, t1\n"
    "  add a3, a3, t1\n"
    "  add a4, a4, t1\n"
    "  sub a2, a2, t0\n"
    "  bnez a2, 1b\n"
    "  ret\n"

    /* clmul_masked(x, y, out): vclmul.vx v4, v2, a1, v0.t over 4 elements
     * with v0 = 0b0101: out[1] and out[3] keep their values. */
    ".globl clmul_masked\nclmul_masked:\n"
    "  li t0, 5\n"
    "  vsetivli zero, 1, e8, m1, ta, ma\n"
    "  vmv.s.x v0, t0\n"
    "  vsetivli zero, 4, e64, m2, tu, mu\n"
    "  vle64.v v2, (a0)\n"
    "  vle64.v v4, (a2)\n"
    "  opv 0x0c, 0, 2, 11, 6, 4\n" /* vclmul.vx v4, v2, a1, v0.t */
    "  vse64.v v4, (a2)\n"
    "  ret\n"

    /* sm4_keys(mk, fk, rk): the 32 SM4 round keys, vsm4k.vi rnd 0..7 from
     * MK ^ FK (K[0..4]). */
    ".globl sm4_keys\nsm4_keys:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v10, (a0)\n"
    "  vle32.v v11, (a1)\n"
    "  vxor.vv v10, v10, v11\n"
    "  .irp r, 0, 1, 2, 3, 4, 5, 6, 7\n"
    "  opp 0x21, 10, \\r, 11\n" /* vsm4k.vi v11, v10, r */
    "  vse32.v v11, (a2)\n"
    "  addi a2, a2, 16\n"
    "  vmv.v.v v10, v11\n"
    "  .endr\n"
    "  ret\n"

    /* sm4_enc_vs(rk, blocks, n): n <= 4 blocks at LMUL 4, each group of 4
     * round keys in v8 for all of them (vsm4r.vs), then the reverse
     * transform R (each block's words backwards, vrgather). */
    ".globl sm4_enc_vs\nsm4_enc_vs:\n"
    "  slli t1, a2, 2\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  vle32.v v4, (a1)\n"
    "  .rept 8\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v8, (a0)\n"
    "  addi a0, a0, 16\n"
    "  vsetvli zero, t1, e32, m4, ta, ma\n"
    "  opp 0x29, 8, 0x10, 4\n" /* vsm4r.vs v4, v8 */
    "  .endr\n"
    "  vid.v v12\n"
    "  vxor.vi v12, v12, 3\n"
    "  vrgather.vv v16, v4, v12\n"
    "  vse32.v v16, (a1)\n"
    "  ret\n"

    /* sm4_crypt_vv(dst, src, n, mk, fk, decrypt): n bytes (whole blocks),
     * one block at a time at LMUL 1, as the spec's code sample does: the
     * round keys in v11..v18 (vsm4k.vi), for decryption reversed within
     * each group (vrgather) and applied from rk[31:28] down; the output
     * reversed (R). */
    ".globl sm4_crypt_vv\nsm4_crypt_vv:\n"
    "  vsetivli zero, 4, e32, m1, ta, ma\n"
    "  vle32.v v10, (a3)\n"
    "  vle32.v v11, (a4)\n"
    "  vxor.vv v10, v10, v11\n"
    "  opp 0x21, 10, 0, 11\n" /* vsm4k.vi v11, v10, 0 */
    "  opp 0x21, 11, 1, 12\n" /* vsm4k.vi v12, v11, 1 */
    "  opp 0x21, 12, 2, 13\n"
    "  opp 0x21, 13, 3, 14\n"
    "  opp 0x21, 14, 4, 15\n"
    "  opp 0x21, 15, 5, 16\n"
    "  opp 0x21, 16, 6, 17\n"
    "  opp 0x21, 17, 7, 18\n" /* vsm4k.vi v18, v17, 7 */
    "  vid.v v3\n"
    "  vxor.vi v3, v3, 3\n"
    "  bnez a5, 3f\n"
    "1: vle32.v v1, (a1)\n"
    "  .irp k, 11, 12, 13, 14, 15, 16, 17, 18\n"
    "  opp 0x28, \\k, 0x10, 1\n" /* vsm4r.vv v1, vk */
    "  .endr\n"
    "  vrgather.vv v10, v1, v3\n"
    "  vse32.v v10, (a0)\n"
    "  addi a2, a2, -16\n"
    "  addi a1, a1, 16\n"
    "  addi a0, a0, 16\n"
    "  bnez a2, 1b\n"
    "  ret\n"
    "3: vrgather.vv v4, v11, v3\n" /* rk[3:0] backwards */
    "  vrgather.vv v5, v12, v3\n"
    "  vrgather.vv v6, v13, v3\n"
    "  vrgather.vv v7, v14, v3\n"
    "  vrgather.vv v8, v15, v3\n"
    "  vrgather.vv v9, v16, v3\n"
    "  vrgather.vv v10, v17, v3\n"
    "  vrgather.vv v11, v18, v3\n" /* rk[31:28] backwards */
    "2: vle32.v v1, (a1)\n"
    "  .irp k, 11, 10, 9, 8, 7, 6, 5, 4\n"
    "  opp 0x28, \\k, 0x10, 1\n" /* vsm4r.vv v1, vk */
    "  .endr\n"
    "  vrgather.vv v12, v1, v3\n"
    "  vse32.v v12, (a0)\n"
    "  addi a2, a2, -16\n"
    "  addi a1, a1, 16\n"
    "  addi a0, a0, 16\n"
    "  bnez a2, 2b\n"
    "  ret\n"

    /* SM3 (the spec's code sample's arrangement at LMUL 2). v4: the state
     * {A..H} (byte-swapped words, i.e. the standard's bytes in memory), v8:
     * the state at the block's start, v12/v16: 8 message words each, v20
     * and v24 scratch, v0: elements 0..3. sm3quad lo, hi, r, me: rounds
     * 2r..2r+7 from W[8k..8k+7] in v<lo> and (after vsm3me when me = 1,
     * from v<lo> and the older words in v<hi>) W[8k+8..8k+15] in v<hi>.
     * vsm3c consumes elements 0, 1, 4, 5: {W_j, W_j+1, W_j+4, W_j+5}. */
    ".macro sm3quad lo, hi, r, me\n"
    "  vslidedown.vi v20, v\\lo, 2\n"
    "  opp 0x2b, \\lo, \\r, 4\n" /* vsm3c.vi v4, v<lo>, r */
    "  opp 0x2b, 20, (\\r + 1), 4\n" /* vsm3c.vi v4, v20, r + 1 */
    "  .if \\me\n"
    "  opp 0x20, \\lo, \\hi, \\hi\n" /* vsm3me.vv v<hi>, v<lo>, v<hi> */
    "  .endif\n"
    "  vslidedown.vi v20, v20, 2\n"
    "  vslideup.vi v24, v\\hi, 4\n"
    "  vmerge.vvm v20, v24, v20, v0\n"
    "  opp 0x2b, 20, (\\r + 2), 4\n"
    "  vslidedown.vi v20, v20, 2\n"
    "  opp 0x2b, 20, (\\r + 3), 4\n"
    ".endm\n"

    /* sm3_blocks(state, data, n): n padded 64-byte blocks into state. */
    ".globl sm3_blocks\nsm3_blocks:\n"
    "  vsetivli zero, 8, e32, m2, ta, ma\n"
    "  vle32.v v4, (a0)\n"
    "  vid.v v0\n"
    "  vmsleu.vi v0, v0, 3\n"
    "1: vmv.v.v v8, v4\n"
    "  vle32.v v12, (a1)\n"
    "  addi a1, a1, 32\n"
    "  vle32.v v16, (a1)\n"
    "  addi a1, a1, 32\n"
    "  sm3quad 12, 16, 0, 0\n"
    "  sm3quad 16, 12, 4, 1\n"
    "  sm3quad 12, 16, 8, 1\n"
    "  sm3quad 16, 12, 12, 1\n"
    "  sm3quad 12, 16, 16, 1\n"
    "  sm3quad 16, 12, 20, 1\n"
    "  sm3quad 12, 16, 24, 1\n"
    "  sm3quad 16, 12, 28, 1\n"
    "  vxor.vv v4, v8, v4\n"
    "  addi a2, a2, -1\n"
    "  bnez a2, 1b\n"
    "  vse32.v v4, (a0)\n"
    "  ret\n"

    /* sha512_block(abef, cdgh, data, k): one 128-byte block at SEW 64,
     * LMUL 2 (every group is two registers at VLEN 128). */
    ".globl sha512_block\nsha512_block:\n"
    "  vsetivli zero, 4, e64, m2, ta, ma\n"
    "  vle64.v v2, (a0)\n"
    "  vle64.v v4, (a1)\n"
    "  vmv.v.v v26, v2\n"
    "  vmv.v.v v28, v4\n"
    "  .irp r, 16, 18, 20, 22\n"
    "  vle64.v v\\r, (a2)\n"
    "  addi a2, a2, 32\n"
    "  vrev8 \\r, \\r\n"
    "  .endr\n"
    "  li t0, 1\n"
    "  vmv.s.x v0, t0\n"
    "  .rept 4\n"
    "  rounds4 vle64.v, 32, 16, 18, 20, 22, 2, 4, 24, 1\n"
    "  rounds4 vle64.v, 32, 18, 20, 22, 16, 2, 4, 24, 1\n"
    "  rounds4 vle64.v, 32, 20, 22, 16, 18, 2, 4, 24, 1\n"
    "  rounds4 vle64.v, 32, 22, 16, 18, 20, 2, 4, 24, 1\n"
    "  .endr\n"
    "  rounds4 vle64.v, 32, 16, 18, 20, 22, 2, 4, 24, 0\n"
    "  rounds4 vle64.v, 32, 18, 20, 22, 16, 2, 4, 24, 0\n"
    "  rounds4 vle64.v, 32, 20, 22, 16, 18, 2, 4, 24, 0\n"
    "  rounds4 vle64.v, 32, 22, 16, 18, 20, 2, 4, 24, 0\n"
    "  vadd.vv v2, v2, v26\n"
    "  vadd.vv v4, v4, v28\n"
    "  vse64.v v2, (a0)\n"
    "  vse64.v v4, (a1)\n"
    "  ret\n");

void aes_kf1(uint8_t rk[11][16]);
void aes_kf2(uint8_t rk[15][16]);
void aes_enc_vs(const void *rk, long nr, uint8_t *blocks, long n);
void aes_dec_vs(const void *rk, long nr, uint8_t *blocks, long n);
void aes_enc_vv(const void *rk, long nr, uint8_t *blocks, long n);
void aes_dec_vv(const void *rk, long nr, uint8_t *blocks, long n);
void sha256_block(uint32_t abef[4], uint32_t cdgh[4], const uint8_t *data, const uint32_t *k);
void sha512_block(uint64_t abef[4], uint64_t cdgh[4], const uint8_t *data, const uint64_t *k);
void ghash2(const uint8_t h[16], const uint8_t c[16], const uint8_t len[16], uint8_t out[2][16]);
void clmul_vv(const uint64_t *x, const uint64_t *y, long n, uint64_t *lo, uint64_t *hi);
void clmul_vx(const uint64_t *x, uint64_t y, long n, uint64_t *lo, uint64_t *hi);
void clmul_masked(const uint64_t x[4], uint64_t y, uint64_t out[4]);
void sm4_keys(const uint32_t mk[4], const uint32_t fk[4], uint32_t rk[32]);
void sm4_enc_vs(const uint32_t rk[32], uint32_t *blocks, long n);
void sm4_crypt_vv(uint32_t *dst, const uint32_t *src, long n, const uint32_t mk[4], const uint32_t fk[4], long decrypt);
void sm3_blocks(uint8_t state[32], const uint8_t *data, long n);


static int failures;

static void check(const char *what, int ok) {
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static void unhex(const char *s, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        sscanf(s + 2 * i, "%2x", &b);
        out[i] = (uint8_t)b;
    }
}

static void print_hex(const char *label, const uint8_t *p, size_t n) {
    printf("%s ", label);
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

/* FIPS-197 Appendix A.1's expanded key, words w[40..43] (the last round
 * key of 2b7e1516...). */
static const char *A1_LAST = "d014f9a8c9ee2589e13f0cc8b6630ca6";

static void aes_tests(void) {
    struct {
        const char *name, *key, *plain, *cipher;
    } cases[] = {
        {"aes-128 FIPS-197 B", "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
         "3925841d02dc09fbdc118597196a0b32"},
        {"aes-128 FIPS-197 C.1", "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
         "69c4e0d86a7b0430d8cdb78070b4c55a"},
        {"aes-256 FIPS-197 C.3", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089"},
    };
    static uint8_t rk[3][15][16];
    for (int c = 0; c < 3; c++) {
        int nr = strlen(cases[c].key) == 64 ? 14 : 10;
        unhex(cases[c].key, rk[c][0], nr == 14 ? 32 : 16);
        if (nr == 14)
            aes_kf2(rk[c]);
        else
            aes_kf1(rk[c]);
        if (c == 0) {
            uint8_t last[16];
            unhex(A1_LAST, last, 16);
            check("vaeskf1.vi: FIPS-197 A.1 round key 10", memcmp(rk[0][10], last, 16) == 0);
        }
        uint8_t plain[16], want[16], blocks[64];
        unhex(cases[c].plain, plain, 16);
        unhex(cases[c].cipher, want, 16);
        for (int b = 0; b < 4; b++) memcpy(blocks + 16 * b, plain, 16);
        aes_enc_vs(rk[c], nr, blocks, 4);
        char what[96];
        int same = 1;
        for (int b = 0; b < 4; b++) same &= memcmp(blocks + 16 * b, want, 16) == 0;
        snprintf(what, sizeof what, "%s: encrypt 4 blocks (.vs, LMUL 4)", cases[c].name);
        check(what, same);
        print_hex("  ciphertext", blocks, 16);
        aes_dec_vs(rk[c], nr, blocks, 4);
        same = 1;
        for (int b = 0; b < 4; b++) same &= memcmp(blocks + 16 * b, plain, 16) == 0;
        snprintf(what, sizeof what, "%s: decrypt 4 blocks (.vs)", cases[c].name);
        check(what, same);
    }
    /* .vv: block 0 under FIPS-197 B's key, block 1 under C.1's. */
    static uint8_t rk2[11][2][16];
    for (int r = 0; r <= 10; r++) {
        memcpy(rk2[r][0], rk[0][r], 16);
        memcpy(rk2[r][1], rk[1][r], 16);
    }
    uint8_t blocks[32], want[32];
    unhex(cases[0].plain, blocks, 16);
    unhex(cases[1].plain, blocks + 16, 16);
    unhex(cases[0].cipher, want, 16);
    unhex(cases[1].cipher, want + 16, 16);
    aes_enc_vv(rk2, 10, blocks, 2);
    check("aes-128: 2 blocks under 2 keys (.vv)", memcmp(blocks, want, 32) == 0);
    aes_dec_vv(rk2, 10, blocks, 2);
    unhex(cases[0].plain, want, 16);
    unhex(cases[1].plain, want + 16, 16);
    check("aes-128: decrypt them (.vv)", memcmp(blocks, want, 32) == 0);
}

/* FIPS 180-4 §4.2.2 and §4.2.3: the first 32/64 bits of the fractional
 * parts of the cube roots of the first 64/80 primes. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};
static const uint64_t K512[80] = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
    0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
    0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
    0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
    0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
    0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
    0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
    0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
    0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
    0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
    0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
    0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
    0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
    0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
    0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
    0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
    0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
    0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
    0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull
};

/* Pads `msg` (FIPS 180-4 §5.1) into `buf`; returns the block count. */
static size_t pad(const char *msg, uint8_t *buf, size_t block) {
    size_t len = strlen(msg), n = (len + 1 + block / 8 + block - 1) / block;
    memset(buf, 0, n * block);
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) buf[n * block - 1 - i] = (uint8_t)(bits >> (8 * i));
    return n;
}

static void sha_tests(void) {
    static const char *msgs[] = {
        "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"};
    static const char *want256[] = {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"};
    static const char *want512[] = {
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"};
    static uint8_t buf[256];
    char what[64];
    for (int m = 0; m < 2; m++) {
        uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        size_t n = pad(msgs[m], buf, 64);
        uint32_t abef[4] = {h[5], h[4], h[1], h[0]}, cdgh[4] = {h[7], h[6], h[3], h[2]};
        for (size_t b = 0; b < n; b++) sha256_block(abef, cdgh, buf + 64 * b, K256);
        uint32_t out[8] = {abef[3], abef[2], cdgh[3], cdgh[2], abef[1], abef[0], cdgh[1], cdgh[0]};
        uint8_t digest[32], want[32];
        for (int i = 0; i < 32; i++) digest[i] = (uint8_t)(out[i / 4] >> (24 - 8 * (i % 4)));
        unhex(want256[m], want, 32);
        snprintf(what, sizeof what, "sha-256 FIPS 180-4 %s (%zu block%s)", m ? "two-block" : "\"abc\"", n,
                 n > 1 ? "s" : "");
        check(what, memcmp(digest, want, 32) == 0);
        print_hex("  digest", digest, 32);
    }
    for (int m = 0; m < 2; m++) {
        uint64_t h[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
                         0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};
        size_t n = pad(msgs[m ? 2 : 0], buf, 128);
        uint64_t abef[4] = {h[5], h[4], h[1], h[0]}, cdgh[4] = {h[7], h[6], h[3], h[2]};
        for (size_t b = 0; b < n; b++) sha512_block(abef, cdgh, buf + 128 * b, K512);
        uint64_t out[8] = {abef[3], abef[2], cdgh[3], cdgh[2], abef[1], abef[0], cdgh[1], cdgh[0]};
        uint8_t digest[64], want[64];
        for (int i = 0; i < 64; i++) digest[i] = (uint8_t)(out[i / 8] >> (56 - 8 * (i % 8)));
        unhex(want512[m], want, 64);
        snprintf(what, sizeof what, "sha-512 FIPS 180-4 %s (%zu block%s)", m ? "two-block" : "\"abc\"", n,
                 n > 1 ? "s" : "");
        check(what, memcmp(digest, want, 64) == 0);
        print_hex("  digest", digest, 64);
    }
}

/* The GCM specification's test case 2 (zero key and IV, one zero block):
 * H, the ciphertext, GHASH(H, {}, C), and (C * H) from the first step. */
static void ghash_tests(void) {
    uint8_t h[16], c[16], len[16] = {0}, want[16], out[2][16], once[2][16];
    unhex("66e94bd4ef8a2c3b884cfa59ca342b2e", h, 16);
    unhex("0388dace60b6a392f328c2b971b2fe78", c, 16);
    len[15] = 0x80;
    unhex("f38cbb1ad69223dcc3457ae5b6b0f885", want, 16);
    ghash2(h, c, len, out);
    check("ghash GCM test case 2 (vghsh.vv)", memcmp(out[0], want, 16) == 0);
    print_hex("  ghash", out[0], 16);
    /* vghsh with a zero length block leaves Y1 * H; vgmul gives C * H = Y1. */
    uint8_t zero[16] = {0};
    ghash2(h, c, zero, once);
    check("vgmul.vv: C * H is vghsh's first step", memcmp(out[1], once[1], 16) == 0 && memcmp(out[1], zero, 16) != 0);
}

/* The vector crypto spec's clmul and clmulh (vclmul, vclmulh), bit by bit
 * as its pseudo-code writes them. */
static uint64_t model_clmul(uint64_t x, uint64_t y) {
    uint64_t r = 0;
    for (int i = 0; i < 64; i++)
        if (y >> i & 1) r ^= x << i;
    return r;
}

static uint64_t model_clmulh(uint64_t x, uint64_t y) {
    uint64_t r = 0;
    for (int i = 1; i < 64; i++)
        if (y >> i & 1) r ^= x >> (64 - i);
    return r;
}

static uint64_t zbc_clmul(uint64_t x, uint64_t y) {
    uint64_t r;
    __asm__("clmul %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
    return r;
}

static uint64_t zbc_clmulh(uint64_t x, uint64_t y) {
    uint64_t r;
    __asm__("clmulh %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
    return r;
}

static void clmul_tests(void) {
    enum { N = 37 };
    /* Hand-worked: (x + 1)^2 = x^2 + 1; the squares of all-ones masks are
     * every even bit; x^63 * x^63 = x^126; x^63 * (x + 1) = x^64 + x^63. */
    static const uint64_t hand[6][4] = {
        {3, 3, 5, 0},
        {0xff, 0xff, 0x5555, 0},
        {~0ull, ~0ull, 0x5555555555555555ull, 0x5555555555555555ull},
        {1ull << 63, 1ull << 63, 0, 1ull << 62},
        {1ull << 63, 3, 1ull << 63, 1},
        {0x876543210fedcba9ull, 0, 0, 0},
    };
    static uint64_t x[N], y[N], lo[N], hi[N];
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < N; i++) {
        if (i < 6) {
            x[i] = hand[i][0], y[i] = hand[i][1];
        } else {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            x[i] = s;
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            y[i] = s;
        }
    }
    int ok = 1;
    for (int i = 0; i < 6; i++)
        ok &= model_clmul(x[i], y[i]) == hand[i][2] && model_clmulh(x[i], y[i]) == hand[i][3];
    check("clmul model: hand-worked products", ok);
    ok = 1;
    for (int i = 0; i < N; i++)
        ok &= zbc_clmul(x[i], y[i]) == model_clmul(x[i], y[i]) && zbc_clmulh(x[i], y[i]) == model_clmulh(x[i], y[i]);
    check("clmul model = scalar Zbc clmul/clmulh", ok);
    clmul_vv(x, y, N, lo, hi);
    ok = 1;
    for (int i = 0; i < N; i++) ok &= lo[i] == model_clmul(x[i], y[i]) && hi[i] == model_clmulh(x[i], y[i]);
    check("vclmul.vv/vclmulh.vv: 37 products (6 hand-worked) at e64", ok);
    printf("  x^63 * (x + 1): lo %016llx hi %016llx\n", (unsigned long long)lo[4], (unsigned long long)hi[4]);
    uint64_t r = 0x87; /* GCM's reduction polynomial's low terms */
    clmul_vx(x, r, N, lo, hi);
    ok = 1;
    for (int i = 0; i < N; i++) ok &= lo[i] == model_clmul(x[i], r) && hi[i] == model_clmulh(x[i], r);
    check("vclmul.vx/vclmulh.vx: 37 products by 0x87", ok);
    uint64_t out[4] = {1, 2, 3, 4};
    clmul_masked(x + 6, y[7], out);
    check("vclmul.vx masked: active elements only",
          out[0] == model_clmul(x[6], y[7]) && out[1] == 2 && out[2] == model_clmul(x[8], y[7]) && out[3] == 4);
}

/* GB/T 32907-2016 Appendix A, example 1; FK from §7.3. */
static void sm4_tests(void) {
    static const uint32_t fk[4] = {0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc};
    static const uint32_t mk[4] = {0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210};
    static const uint32_t cipher[4] = {0x681edf34, 0xd206965e, 0x86b3e94f, 0x536e4246};
    static const uint32_t want_rk[32] = {
        0xf12186f9, 0x41662b61, 0x5a6ab19a, 0x7ba92077, 0x367360f4, 0x776a0c61, 0xb6bb89b3, 0x24763151,
        0xa520307c, 0xb7584dbd, 0xc30753ed, 0x7ee55b57, 0x6988608c, 0x30d895b7, 0x44ba14af, 0x104495a1,
        0xd120b428, 0x73b55fa3, 0xcc874966, 0x92244439, 0xe89e641f, 0x98ca015a, 0xc7159060, 0x99e1fd2e,
        0xb79bd80c, 0x1d2115b0, 0x0e228aeb, 0xf1780c81, 0x428d3654, 0x62293496, 0x01cf72e5, 0x9124a012};
    uint32_t rk[32];
    sm4_keys(mk, fk, rk);
    check("vsm4k.vi: GB/T 32907 round keys rk0..rk31", memcmp(rk, want_rk, sizeof rk) == 0);
    printf("  rk0 %08x rk31 %08x\n", rk[0], rk[31]);
    uint32_t blocks[16];
    for (int b = 0; b < 4; b++) memcpy(blocks + 4 * b, mk, 16);
    sm4_enc_vs(rk, blocks, 4);
    int same = 1;
    for (int b = 0; b < 4; b++) same &= memcmp(blocks + 4 * b, cipher, 16) == 0;
    check("sm4 GB/T 32907 example 1: encrypt 4 blocks (vsm4r.vs, LMUL 4)", same);
    printf("  ciphertext %08x%08x%08x%08x\n", blocks[0], blocks[1], blocks[2], blocks[3]);
    uint32_t two[8], out[8];
    memcpy(two, mk, 16);
    memcpy(two + 4, cipher, 16);
    sm4_crypt_vv(out, two, 32, mk, fk, 0);
    check("sm4: encrypt 2 blocks as the spec's sample (vsm4r.vv)", memcmp(out, cipher, 16) == 0);
    sm4_crypt_vv(two, out, 32, mk, fk, 1);
    check("sm4: decrypt them (keys reversed)", memcmp(two, mk, 16) == 0 && memcmp(two + 4, cipher, 16) == 0);
}

/* GB/T 32905-2016 Appendix A: "abc" and "abcd" x 16. */
static void sm3_tests(void) {
    static const char *msgs[] = {"abc", "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd"};
    static const char *want[] = {"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
                                 "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"};
    static uint8_t buf[128];
    for (int m = 0; m < 2; m++) {
        uint8_t state[32], digest[32];
        unhex("7380166f4914b2b9172442d7da8a0600a96f30bc163138aae38dee4db0fb0e4e", state, 32);
        size_t n = pad(msgs[m], buf, 64);
        sm3_blocks(state, buf, (long)n);
        unhex(want[m], digest, 32);
        char what[64];
        snprintf(what, sizeof what, "sm3 GB/T 32905 %s (%zu block%s)", m ? "64-byte" : "\"abc\"", n, n > 1 ? "s" : "");
        check(what, memcmp(state, digest, 32) == 0);
        print_hex("  digest", state, 32);
    }
}

static volatile sig_atomic_t sigills;

static void on_sigill(int sig, siginfo_t *info, void *uc) {
    (void)sig, (void)info;
    sigills++;
    ((ucontext_t *)uc)->uc_mcontext.__gregs[REG_PC] += 4;
}

/* Runs `setup` then the instruction word, and says whether it trapped. */
#define TRAPS(setup, word)                                                                          \
    ({                                                                                              \
        int before_ = sigills;                                                                      \
        __asm__ volatile(setup "\n.4byte " #word "\ncsrwi vstart, 0\n" : : : "t0", "memory");       \
        sigills != before_;                                                                         \
    })

static void reserved_tests(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, 0);
    unsigned long vlenb;
    __asm__ volatile("csrr %0, vlenb" : "=r"(vlenb));
    /* The words: vaesef.vv v4, v8 = 0xa281a277 (funct6 101000, vs1 00011),
     * vaesef.vs 0xa6..., masked 0xa0..., vaesz.vs vs1 00111, vsha2ms 0xb6... */
    check("vaesef.vv at e32, vl 4: legal", !TRAPS("vsetivli zero, 4, e32, m1, ta, ma", 0xa281a277));
    check("vaesef.vv at e64: SIGILL", TRAPS("vsetivli zero, 4, e64, m2, ta, ma", 0xa281a277));
    check("vaesef.vv with vl 3: SIGILL", TRAPS("vsetivli zero, 3, e32, m1, ta, ma", 0xa281a277));
    check("vaesz.vs with vstart 1: SIGILL", TRAPS("vsetivli zero, 4, e32, m1, ta, ma\ncsrwi vstart, 1", 0xa683a277));
    check("vaesef.vs v4 (LMUL 4) with key v5: SIGILL", TRAPS("vsetivli zero, 4, e32, m4, ta, ma", 0xa651a277));
    check("vaesef.vs v4 (LMUL 4) with key v8: legal", !TRAPS("vsetivli zero, 4, e32, m4, ta, ma", 0xa681a277));
    check("vaesef.vv masked (vm = 0): SIGILL", TRAPS("vsetivli zero, 4, e32, m1, ta, ma", 0xa081a277));
    check("vsha2ms.vv v4, v8, v4: SIGILL", TRAPS("vsetivli zero, 4, e32, m1, ta, ma", 0xb6822277));
    check("vsha2ms.vv v4, v8, v12 at e64: legal (Zvknhb)", !TRAPS("vsetivli zero, 4, e64, m2, ta, ma", 0xb6862277));
    /* LMUL 1/2: LMUL * VLEN >= EGW = 128 only when VLEN >= 256. */
    int trapped = TRAPS("vsetivli zero, 0, e32, mf2, ta, ma", 0xa281a277);
    check("vaesef.vv at mf2 traps exactly when VLEN/2 < 128 (even at vl 0)", trapped == (vlenb * 8 / 2 < 128));
    /* Zvbc: vclmul.vv v4, v8, v12 = 0x32862257, masked with vd = v0
     * 0x30862057, vclmulh.vx v4, v8, t0 0x3682e257. */
    check("vclmul.vv at e64: legal", !TRAPS("vsetivli zero, 2, e64, m1, ta, ma", 0x32862257));
    check("vclmul.vv at e32: SIGILL", TRAPS("vsetivli zero, 2, e32, m1, ta, ma", 0x32862257));
    check("vclmulh.vx at e8: SIGILL", TRAPS("vsetivli zero, 2, e8, m1, ta, ma", 0x3682e257));
    check("vclmul.vv masked into v0: SIGILL", TRAPS("vsetivli zero, 2, e64, m1, ta, ma", 0x30862057));
    /* Zvksed/Zvksh: vsm4k.vi v4, v8, 1 = 0x8680a277; vsm4r.vs v4, v5
     * 0xa6582277 (v4, v8: 0xa6882277); vsm3me.vv v4, v4, v8 0x82442277
     * (v4, v8, v4: 0x82822277); vsm3c.vi v4, v8, 3 0xae81a277. */
    check("vsm4k.vi at e32: legal", !TRAPS("vsetivli zero, 4, e32, m1, ta, ma", 0x8680a277));
    check("vsm4k.vi at e64: SIGILL", TRAPS("vsetivli zero, 4, e64, m2, ta, ma", 0x8680a277));
    check("vsm4r.vs v4 (LMUL 4) with key v5: SIGILL", TRAPS("vsetivli zero, 4, e32, m4, ta, ma", 0xa6582277));
    check("vsm4r.vs v4 (LMUL 4) with key v8: legal", !TRAPS("vsetivli zero, 4, e32, m4, ta, ma", 0xa6882277));
    check("vsm3me.vv v4, v4, v8 (vd = vs2): SIGILL", TRAPS("vsetivli zero, 8, e32, m2, ta, ma", 0x82442277));
    check("vsm3me.vv v4, v8, v4 (vd = vs1): legal", !TRAPS("vsetivli zero, 8, e32, m2, ta, ma", 0x82822277));
    check("vsm3c.vi with vl 4: SIGILL", TRAPS("vsetivli zero, 4, e32, m2, ta, ma", 0xae81a277));
    trapped = TRAPS("vsetivli zero, 0, e32, m1, ta, ma", 0xae81a277);
    check("vsm3c.vi at m1 traps exactly when VLEN < 256 (even at vl 0)", trapped == (vlenb * 8 < 256));
}

int main(void) {
    aes_tests();
    sha_tests();
    ghash_tests();
    clmul_tests();
    sm4_tests();
    sm3_tests();
    reserved_tests();
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures != 0;
}
