//! The `ferrovm` command: `ferrovm run`, `ferrovm disasm`, `ferrovm binfmt`
//! (see the crate's library for the command line).

/// mimalloc, not the system allocator: translating a block allocates (its
/// record, IR, code buffer), and Python's start-up translates 40,000 of
/// them (see `ferrovm_cli::Allocator`).
#[global_allocator]
static GLOBAL: ferrovm_cli::Allocator = ferrovm_cli::Allocator;

fn main() -> std::process::ExitCode {
    ferrovm_cli::main(ferrovm_cli::Flavor::Ferrovm)
}
