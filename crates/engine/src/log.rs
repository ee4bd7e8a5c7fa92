//! Diagnostics as `tracing` events, one target per category of QEMU's
//! `-d` option (and ferrovm's own `tier` and `cache`), so that a library
//! user gets them through their own subscriber and the CLI writes them in
//! QEMU's formats. Every event is at level `INFO` and carries its text in
//! the `message` field (possibly several lines).
//!
//! Categories decided per translation (`in_asm`, `op`, `op_opt`,
//! `out_asm`, `tier`, `cache`) check `tracing::enabled!` when a block is
//! translated or compiled, never while it runs. The per-block ones
//! (`exec`, `cpu`) cost the run loop nothing unless [`crate::EngineConfig::trace`]
//! asks for them when the VM is made: then every block returns to the
//! dispatcher (no chaining, single-block translations), which logs it.
//!
//! ```
//! for c in ferrovm_engine::log::CATEGORIES {
//!     assert!(c.target.starts_with("ferrovm::"));
//! }
//! ```

/// One `-d` category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Its name on the command line (`-d in_asm`).
    pub name: &'static str,
    /// Its `tracing` target (`ferrovm::in_asm`).
    pub target: &'static str,
    /// One line for `-d help`.
    pub help: &'static str,
}

/// The `tracing` targets, one per category.
pub mod target {
    /// Guest instructions of each translated block.
    pub const IN_ASM: &str = "ferrovm::in_asm";
    /// IR of each block as lifted.
    pub const OP: &str = "ferrovm::op";
    /// IR of each block after the optimization passes.
    pub const OP_OPT: &str = "ferrovm::op_opt";
    /// Host machine code of each compiled translation.
    pub const OUT_ASM: &str = "ferrovm::out_asm";
    /// Each block entered (needs [`crate::EngineConfig::trace`]).
    pub const EXEC: &str = "ferrovm::exec";
    /// Registers at each block entry (needs [`crate::EngineConfig::trace`]).
    pub const CPU: &str = "ferrovm::cpu";
    /// Signals delivered to the guest.
    pub const INT: &str = "ferrovm::int";
    /// System calls, in `qemu-riscv64 -strace`'s format.
    pub const STRACE: &str = "ferrovm::strace";
    /// System calls and features ferrovm does not support.
    pub const UNIMP: &str = "ferrovm::unimp";
    /// The guest memory map, after loading and after each change.
    pub const PAGE: &str = "ferrovm::page";
    /// Compile decisions and their reasons.
    pub const TIER: &str = "ferrovm::tier";
    /// Code-cache evictions, invalidations and flushes.
    pub const CACHE: &str = "ferrovm::cache";
}

/// Every category, in `-d help` order. `nochain` is a switch, not a target.
pub const CATEGORIES: &[Category] = &[
    Category { name: "in_asm", target: target::IN_ASM, help: "show guest instructions of each translated block" },
    Category { name: "op", target: target::OP, help: "show the IR of each block as lifted" },
    Category {
        name: "op_opt",
        target: target::OP_OPT,
        help: "show the IR of each block after the optimization passes",
    },
    Category {
        name: "out_asm",
        target: target::OUT_ASM,
        help: "show the host (x86-64) code of each compiled translation",
    },
    Category {
        name: "exec",
        target: target::EXEC,
        help: "show each block entered (runs block by block, without chaining)",
    },
    Category {
        name: "cpu",
        target: target::CPU,
        help: "show the registers at each block entry (runs block by block, without chaining)",
    },
    Category { name: "int", target: target::INT, help: "show signals delivered to the guest" },
    Category { name: "strace", target: target::STRACE, help: "show each system call (as -strace)" },
    Category { name: "unimp", target: target::UNIMP, help: "show unsupported system calls and features" },
    Category { name: "page", target: target::PAGE, help: "show the guest memory map after loading and each change" },
    Category { name: "tier", target: target::TIER, help: "show compile decisions and their reasons (ferrovm)" },
    Category {
        name: "cache",
        target: target::CACHE,
        help: "show code-cache evictions, invalidations, flushes (ferrovm)",
    },
];

/// The category called `name`.
pub fn category(name: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.name == name)
}

/// `-d cpu`'s register dump, as QEMU's `riscv_cpu_dump_state` prints the
/// integer registers (four a line) after the pc.
pub fn format_cpu(cpu: &ferrovm_ir::Cpu) -> String {
    use std::fmt::Write as _;
    let mut out = format!(" pc       {:016x}\n", cpu.pc);
    for (i, name) in ferrovm_riscv::XREG_NAMES.iter().enumerate() {
        let label = format!("x{i}/{name}");
        let _ = write!(out, " {label:<8} {:016x}", cpu.regs[i]);
        if i % 4 == 3 {
            out.push('\n');
        }
    }
    out.pop();
    out
}
