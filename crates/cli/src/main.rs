//! The `ferrovm` command: `ferrovm run`, `ferrovm disasm`, `ferrovm binfmt`
//! (see the crate's library for the command line).

fn main() -> std::process::ExitCode {
    ferrovm_cli::main(ferrovm_cli::Flavor::Ferrovm)
}
