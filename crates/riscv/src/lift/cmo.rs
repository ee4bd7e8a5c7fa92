//! Instructions with no data result in a user-mode VM: the cache-block
//! operations (Zicbom, Zicboz: CMO spec 1.0), the may-be-operations (Zimop)
//! and wait-on-reservation-set (Zawrs 1.01).
//!
//! * `cbo.zero` writes zeros to the [`CACHE_BLOCK`]-byte block that holds
//!   `x[rs1]` (the block size ferrovm reports through `riscv_hwprobe`), as
//!   stores (so a fault is a store fault, raised before any byte is written:
//!   the block lies in one page).
//! * `cbo.clean` and `cbo.flush` have nothing to write back (there is no
//!   cache to model) but check the access like a load does: a block nobody
//!   may read or write faults (CMO spec §"Cache-block management": they are
//!   permitted whenever a load or store is).
//! * `cbo.inval` is an illegal instruction in user mode under Linux, which
//!   leaves `senvcfg.CBIE` at 0 (CMO spec §"senvcfg": CBIE = 00 makes it
//!   raise an illegal-instruction exception); so it is here.
//! * `mop.r.n`/`mop.rr.n` write 0 to `rd` until an extension redefines them
//!   (Zimop §"Zimop").
//! * `wrs.nto`/`wrs.sto` may complete at any time (Zawrs: "the stall may
//!   end for any reason"), so they complete at once.

use ferrovm_ir::{FenceKind, MemSize};

use super::{Ctx, Flow};
use crate::{Inst, Opcode};

/// The cache-block size of Zicbom/Zicboz, in bytes (also Zic64b's 64).
pub const CACHE_BLOCK: u64 = 64;

pub(crate) fn lift(cx: &mut Ctx, i: &Inst) -> Option<Flow> {
    use Opcode::*;
    match i.op {
        CboZero => {
            let a = cx.x(i.rs1);
            let base = cx.b.binary_imm(ferrovm_ir::BinOp::And, a, !(CACHE_BLOCK - 1));
            let zero = cx.imm(0);
            for k in 0..CACHE_BLOCK / 8 {
                cx.b.store(base, (k * 8) as i32, zero, MemSize::D);
            }
        }
        CboClean | CboFlush => {
            let a = cx.x(i.rs1);
            let _probe = cx.b.load(a, 0, MemSize::B, false);
            cx.b.fence(FenceKind::Full);
        }
        CboInval => return None,
        MopR | MopRr => {
            let zero = cx.imm(0);
            cx.set_x(i.rd, zero);
        }
        WrsNto | WrsSto => {}
        _ => return None,
    }
    Some(Flow::Next)
}
