//! Integer IR ops in Cranelift IR, following `ferrovm_ir::eval` exactly.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I8, I16, I32, I64};
use cranelift_codegen::ir::{InstBuilder, InstructionData, Opcode, Value, ValueDef};
use cranelift_frontend::FunctionBuilder;
use ferrovm_ir::{BinOp, UnOp};

/// How to call `int_binary`/`int_unary` for the few ops that are not inlined.
pub(crate) trait RareOps {
    fn call_binary(&mut self, b: &mut FunctionBuilder<'_>, op: BinOp, x: Value, y: Value) -> Value;
    fn call_unary(&mut self, b: &mut FunctionBuilder<'_>, op: UnOp, x: Value) -> Value;
}

fn bool64(b: &mut FunctionBuilder<'_>, cc: IntCC, x: Value, y: Value) -> Value {
    let c = b.ins().icmp(cc, x, y);
    b.ins().uextend(I64, c)
}

fn sext32(b: &mut FunctionBuilder<'_>, v32: Value) -> Value {
    b.ins().sextend(I64, v32)
}

/// The constant `v` is defined as, if it is an `iconst`.
fn const_of(b: &FunctionBuilder<'_>, v: Value) -> Option<i64> {
    let ValueDef::Result(inst, _) = b.func.dfg.value_def(v) else { return None };
    match b.func.dfg.insts[inst] {
        InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => Some(imm.bits()),
        _ => None,
    }
}

/// The low 32 bits of `v`. A constant stays a constant, so instruction
/// selection can use an immediate (an `ireduce` hides it when Cranelift's
/// optimizer is off: `sllw` by 7 became a register shift).
fn lo32(b: &mut FunctionBuilder<'_>, v: Value) -> Value {
    match const_of(b, v) {
        Some(k) => b.ins().iconst(I32, i64::from(k as i32)),
        None => b.ins().ireduce(I32, v),
    }
}

/// Division and remainder with the RISC-V M results for division by zero
/// and signed overflow (spec §13.2, Table 13.1), on `ty` (I32 or I64).
fn divrem(b: &mut FunctionBuilder<'_>, x: Value, y: Value, signed: bool, rem: bool) -> Value {
    let ty = b.func.dfg.value_type(x);
    let zero = b.ins().icmp_imm_s(IntCC::Equal, y, 0);
    let one = b.ins().iconst(ty, 1);
    let bad = if signed {
        let min = if ty == I32 { i64::from(i32::MIN) } else { i64::MIN };
        let is_min = b.ins().icmp_imm_s(IntCC::Equal, x, min);
        let is_m1 = b.ins().icmp_imm_s(IntCC::Equal, y, -1);
        let ovf = b.ins().band(is_min, is_m1);
        b.ins().bor(zero, ovf)
    } else {
        zero
    };
    // A safe divisor: 1 where the hardware would trap. MIN / 1 = MIN and
    // MIN % 1 = 0 are exactly the overflow results.
    let safe = b.ins().select(bad, one, y);
    let q = match (signed, rem) {
        (true, false) => b.ins().sdiv(x, safe),
        (false, false) => b.ins().udiv(x, safe),
        (true, true) => b.ins().srem(x, safe),
        (false, true) => b.ins().urem(x, safe),
    };
    let on_zero = if rem { x } else { b.ins().iconst(ty, -1) };
    b.ins().select(zero, on_zero, q)
}

/// `op x, y` on 64-bit values.
pub(crate) fn binary(b: &mut FunctionBuilder<'_>, rare: &mut impl RareOps, op: BinOp, x: Value, y: Value) -> Value {
    use BinOp::*;
    match op {
        Add => b.ins().iadd(x, y),
        Sub => b.ins().isub(x, y),
        And => b.ins().band(x, y),
        Or => b.ins().bor(x, y),
        Xor => b.ins().bxor(x, y),
        // Cranelift masks shift amounts to the type's width, as RISC-V does.
        Shl => b.ins().ishl(x, y),
        Shr => b.ins().ushr(x, y),
        Sar => b.ins().sshr(x, y),
        Mul => b.ins().imul(x, y),
        MulH => b.ins().smulhi(x, y),
        MulHU => b.ins().umulhi(x, y),
        MulHSU => {
            // signed(x) * unsigned(y) = unsigned product - (x < 0 ? y << 64 : 0).
            let hi = b.ins().umulhi(x, y);
            let sign = b.ins().sshr_imm_s(x, 63);
            let fix = b.ins().band(sign, y);
            b.ins().isub(hi, fix)
        }
        Div => divrem(b, x, y, true, false),
        DivU => divrem(b, x, y, false, false),
        Rem => divrem(b, x, y, true, true),
        RemU => divrem(b, x, y, false, true),
        Eq => bool64(b, IntCC::Equal, x, y),
        Ne => bool64(b, IntCC::NotEqual, x, y),
        Lt => bool64(b, IntCC::SignedLessThan, x, y),
        LtU => bool64(b, IntCC::UnsignedLessThan, x, y),
        Ge => bool64(b, IntCC::SignedGreaterThanOrEqual, x, y),
        GeU => bool64(b, IntCC::UnsignedGreaterThanOrEqual, x, y),
        AddW | SubW | ShlW | ShrW | SarW | MulW | DivW | DivUW | RemW | RemUW | RolW | RorW => {
            let (x, y) = (lo32(b, x), lo32(b, y));
            let r = match op {
                AddW => b.ins().iadd(x, y),
                SubW => b.ins().isub(x, y),
                ShlW => b.ins().ishl(x, y),
                ShrW => b.ins().ushr(x, y),
                SarW => b.ins().sshr(x, y),
                MulW => b.ins().imul(x, y),
                DivW => divrem(b, x, y, true, false),
                DivUW => divrem(b, x, y, false, false),
                RemW => divrem(b, x, y, true, true),
                RemUW => divrem(b, x, y, false, true),
                RolW => b.ins().rotl(x, y),
                _ => b.ins().rotr(x, y),
            };
            sext32(b, r)
        }
        AndN => b.ins().band_not(x, y),
        OrN => b.ins().bor_not(x, y),
        XNor => b.ins().bxor_not(x, y),
        Min => b.ins().smin(x, y),
        MinU => b.ins().umin(x, y),
        Max => b.ins().smax(x, y),
        MaxU => b.ins().umax(x, y),
        Rol => b.ins().rotl(x, y),
        Ror => b.ins().rotr(x, y),
        Clmul | ClmulH | ClmulR | Xperm4 | Xperm8 => rare.call_binary(b, op, x, y),
        Pack => {
            let lo = b.ins().band_imm_s(x, 0xffff_ffff);
            let hi = b.ins().ishl_imm_s(y, 32);
            b.ins().bor(lo, hi)
        }
        PackH => {
            let lo = b.ins().band_imm_s(x, 0xff);
            let hi = b.ins().band_imm_s(y, 0xff);
            let hi = b.ins().ishl_imm_s(hi, 8);
            b.ins().bor(lo, hi)
        }
        PackW => {
            let lo = b.ins().band_imm_s(x, 0xffff);
            let hi = b.ins().ishl_imm_s(y, 16);
            let v = b.ins().bor(lo, hi);
            let w = b.ins().ireduce(I32, v);
            b.ins().sextend(I64, w)
        }
        Bset | Bclr | Binv => {
            let one = b.ins().iconst(I64, 1);
            let bit = b.ins().ishl(one, y);
            match op {
                Bset => b.ins().bor(x, bit),
                Bclr => b.ins().band_not(x, bit),
                _ => b.ins().bxor(x, bit),
            }
        }
        Bext => {
            let s = b.ins().ushr(x, y);
            b.ins().band_imm_s(s, 1)
        }
    }
}

/// `op x` on a 64-bit value.
pub(crate) fn unary(b: &mut FunctionBuilder<'_>, rare: &mut impl RareOps, op: UnOp, x: Value) -> Value {
    use UnOp::*;
    match op {
        Not => b.ins().bnot(x),
        Neg => b.ins().ineg(x),
        SextB | SextH | SextW => {
            let ty = match op {
                SextB => I8,
                SextH => I16,
                _ => I32,
            };
            let n = b.ins().ireduce(ty, x);
            b.ins().sextend(I64, n)
        }
        ZextB => b.ins().band_imm_s(x, 0xff),
        ZextH => b.ins().band_imm_s(x, 0xffff),
        ZextW => b.ins().band_imm_s(x, 0xffff_ffff),
        Clz => b.ins().clz(x),
        Ctz => b.ins().ctz(x),
        Cpop => b.ins().popcnt(x),
        ClzW | CtzW | CpopW => {
            let w = lo32(b, x);
            let r = match op {
                ClzW => b.ins().clz(w),
                CtzW => b.ins().ctz(w),
                _ => b.ins().popcnt(w),
            };
            b.ins().uextend(I64, r)
        }
        Rev8 => b.ins().bswap(x),
        OrcB | Brev8 => rare.call_unary(b, op, x),
        NanBoxH => b.ins().bor_imm_s(x, 0xffff_ffff_ffff_0000_u64 as i64),
        NanUnboxH => {
            // A half is valid only if the upper 48 bits are all ones.
            let hi = b.ins().ushr_imm_s(x, 16);
            let boxed = b.ins().icmp_imm_s(IntCC::Equal, hi, 0xffff_ffff_ffff);
            let lo = b.ins().band_imm_s(x, 0xffff);
            let nan = b.ins().iconst(I64, 0x7e00);
            b.ins().select(boxed, lo, nan)
        }
        NanBox => b.ins().bor_imm_s(x, 0xffff_ffff_0000_0000_u64 as i64),
        NanUnbox => {
            // Spec §20.2: a single is valid only if the upper 32 bits are all
            // ones; otherwise it reads as the canonical NaN.
            let hi = b.ins().ushr_imm_s(x, 32);
            let boxed = b.ins().icmp_imm_s(IntCC::Equal, hi, 0xffff_ffff);
            let lo = b.ins().band_imm_s(x, 0xffff_ffff);
            let nan = b.ins().iconst(I64, 0x7fc0_0000);
            b.ins().select(boxed, lo, nan)
        }
    }
}
