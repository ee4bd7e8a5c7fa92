//! `ferrovm binfmt`: the binfmt_misc registration that makes the kernel
//! run riscv64 ELF programs with `ferrovm-riscv64`, as
//! `qemu-binfmt-conf.sh` does for qemu-riscv64.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The first 20 bytes of a riscv64 executable or shared object: ELF
/// magic, 64-bit, little-endian, version 1, `e_type` 2 (`ET_EXEC`; the
/// mask's `\xfe` also admits 3, `ET_DYN`), `e_machine` 243 (`EM_RISCV`).
/// Byte for byte `riscv64_magic` of QEMU's `scripts/qemu-binfmt-conf.sh`.
pub const MAGIC: &str = r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00";
/// `riscv64_mask` of `qemu-binfmt-conf.sh`: the OS/ABI byte is ignored,
/// and the low bit of `e_type`.
pub const MASK: &str = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";

/// binfmt_misc flags ferrovm-riscv64 handles. `O` (open-binary, the
/// program passed as `AT_EXECFD`) and `C` (credentials, which implies `O`)
/// are not: ferrovm opens the program by its path.
const FLAGS: &[(char, &str)] = &[
    ('F', "fix-binary: the kernel opens the interpreter when the entry is registered"),
    ('P', "preserve-argv0: the program's own argv[0] is passed on"),
];

/// `ferrovm binfmt` options.
#[derive(clap::Args, Debug)]
pub struct BinfmtArgs {
    /// The interpreter the kernel runs [default: ferrovm-riscv64 next to
    /// this ferrovm]. Made absolute.
    #[arg(long, value_name = "PATH")]
    interpreter: Option<PathBuf>,
    /// Name of the binfmt_misc entry.
    #[arg(long, default_value = "ferrovm-riscv64")]
    name: String,
    /// binfmt_misc flags: any of F (fix-binary: the kernel opens the
    /// interpreter once, at registration, so it works in other mount
    /// namespaces, containers and chroots) and P (preserve-argv0: the
    /// kernel passes the program's own argv[0] after its path and says so
    /// in AT_FLAGS; ferrovm-riscv64 then gives the guest that argv[0], as
    /// qemu-riscv64 does). Empty for none.
    #[arg(long, default_value = "FP")]
    flags: String,
    /// Write the line to FILE as a binfmt.d(5) file (for
    /// systemd-binfmt, e.g. /etc/binfmt.d/ferrovm-riscv64.conf) instead of
    /// printing it.
    #[arg(long, value_name = "FILE", conflicts_with = "register")]
    output: Option<PathBuf>,
    /// Register the entry now: write the line to the binfmt_misc
    /// `register` file (needs privilege over the binfmt_misc mount).
    #[arg(long)]
    register: bool,
    /// Where binfmt_misc is mounted.
    #[arg(long, value_name = "DIR", default_value = "/proc/sys/fs/binfmt_misc")]
    binfmt_misc: PathBuf,
}

/// The registration line `:name:M::magic:mask:interpreter:flags`
/// (Documentation/admin-guide/binfmt-misc.rst).
pub fn line(name: &str, interpreter: &Path, flags: &str) -> anyhow::Result<String> {
    for c in flags.chars() {
        if !FLAGS.iter().any(|&(f, _)| f == c) {
            bail!(
                "binfmt flag `{c}` is not supported (ferrovm-riscv64 handles F and P; O and C pass the program as a descriptor, which it does not read)"
            );
        }
    }
    if name.is_empty() || name.contains([':', '/']) || name == "." || name == ".." {
        bail!("bad binfmt_misc entry name `{name}`");
    }
    let interp = interpreter.to_str().context("the interpreter path must be UTF-8")?;
    if interp.contains(':') || interp.contains(char::is_whitespace) {
        bail!("the interpreter path `{interp}` must not contain `:` or white space");
    }
    Ok(format!(":{name}:M::{MAGIC}:{MASK}:{interp}:{flags}"))
}

fn default_interpreter() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("cannot find this ferrovm binary")?;
    let sibling = me.with_file_name("ferrovm-riscv64");
    if !sibling.is_file() {
        bail!("{} does not exist; give the interpreter with --interpreter PATH", sibling.display());
    }
    Ok(sibling)
}

pub fn run(args: &BinfmtArgs) -> anyhow::Result<()> {
    let interp = match &args.interpreter {
        Some(p) => std::path::absolute(p).with_context(|| format!("bad interpreter path {}", p.display()))?,
        None => default_interpreter()?,
    };
    let line = line(&args.name, &interp, &args.flags)?;
    if args.register {
        let register = args.binfmt_misc.join("register");
        // One write: the kernel parses each write to `register` as a whole entry.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&register)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .with_context(|| {
                format!(
                    "cannot register with {} (is binfmt_misc mounted there, is an entry `{}` already registered, \
                     and may this user write it?)",
                    register.display(),
                    args.name
                )
            })?;
        return Ok(());
    }
    match &args.output {
        Some(path) => {
            let text = format!(
                "# riscv64 ELF programs run by ferrovm ({}: flags {})\n{line}\n",
                "written by `ferrovm binfmt --output`",
                if args.flags.is_empty() { "none" } else { &args.flags }
            );
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => println!("{line}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_qemus_magic_and_mask() {
        let l = line("ferrovm-riscv64", Path::new("/usr/bin/ferrovm-riscv64"), "FP").expect("valid");
        assert_eq!(
            l,
            r":ferrovm-riscv64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/ferrovm-riscv64:FP"
        );
        assert!(line("x", Path::new("/i"), "O").is_err());
        assert!(line("a:b", Path::new("/i"), "").is_err());
    }
}
