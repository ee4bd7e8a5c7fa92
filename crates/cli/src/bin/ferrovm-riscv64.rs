//! `ferrovm-riscv64 [OPTIONS] PROGRAM [ARGS]...`: ferrovm with
//! qemu-riscv64's command line and no subcommand, to be the binfmt_misc
//! interpreter for riscv64 programs (`ferrovm binfmt`).

fn main() -> std::process::ExitCode {
    ferrovm_cli::main(ferrovm_cli::Flavor::Qemu)
}
