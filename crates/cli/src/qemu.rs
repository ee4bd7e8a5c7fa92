//! qemu-riscv64 compatibility of the command line: QEMU's single-dash
//! spellings (`-strace`, `-cpu`), its `QEMU_*` environment variables, its
//! size syntax for `-s`, its comma lists for `-E`/`-U`, and binfmt_misc's
//! preserve-argv0 convention. The rules are those of QEMU 7.2's
//! `linux-user/main.c` (`parse_args` and the `handle_arg_*` functions).

use std::ffi::{OsStr, OsString};

use anyhow::{Context, bail};

/// The `QEMU_*` variables `ferrovm run` and `ferrovm-riscv64` read, each the
/// same as an option (QEMU's `arg_table`). QEMU applies the variables first
/// and the command line after, so an option given on the command line wins.
pub mod var {
    /// `-L DIR`.
    pub const LD_PREFIX: &str = "QEMU_LD_PREFIX";
    /// `-E VAR=VALUE[,VAR=VALUE...]`, applied before the `-E`/`-U` options.
    pub const SET_ENV: &str = "QEMU_SET_ENV";
    /// `-U VAR[,VAR...]`, applied after `QEMU_SET_ENV`, before the options.
    pub const UNSET_ENV: &str = "QEMU_UNSET_ENV";
    /// `-strace` (set to anything, even empty).
    pub const STRACE: &str = "QEMU_STRACE";
    /// `-s SIZE`.
    pub const STACK_SIZE: &str = "QEMU_STACK_SIZE";
    /// `-cpu MODEL`.
    pub const CPU: &str = "QEMU_CPU";
    /// `-0 ARGV0`.
    pub const ARGV0: &str = "QEMU_ARGV0";
    /// `-g PORT`.
    pub const GDB: &str = "QEMU_GDB";
}

/// Rewrites QEMU's single-dash long options (`-strace`, `-cpu rv64`, and
/// any other `-NAME` where NAME is a long option of `cmd`) to `--NAME`, in
/// `args[start..]` up to the program name: everything from the program on
/// belongs to the guest and is left alone. QEMU also takes `--NAME` for
/// `-NAME`, which clap does already.
pub fn spellings(cmd: &mut clap::Command, args: &mut [OsString], start: usize) {
    cmd.build();
    let takes_value = |a: &clap::Arg| a.get_action().takes_values();
    let mut i = start;
    while i < args.len() {
        let Some(token) = args[i].to_str().map(str::to_string) else { break };
        if token == "--" || !token.starts_with('-') || token == "-" {
            break;
        }
        i += 1;
        if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            let mut chars = name.chars();
            let (first, one_char) = (chars.next(), chars.next().is_none());
            if !inline && cmd.get_arguments().any(|a| a.get_long() == Some(name) && takes_value(a)) {
                i += 1;
            } else if one_char && !cmd.get_arguments().any(|a| a.get_long() == Some(name)) {
                // `--0 ARG` is QEMU's `-0 ARG`.
                if let Some(short) = cmd.get_arguments().find(|a| a.get_short() == first) {
                    args[i - 1] = format!("-{name}").into();
                    if !inline && takes_value(short) {
                        i += 1;
                    }
                }
            }
            continue;
        }
        let body = &token[1..];
        if body.len() > 1 && cmd.get_arguments().any(|a| a.get_long() == Some(body)) {
            args[i - 1] = format!("--{body}").into();
            if cmd.get_arguments().any(|a| a.get_long() == Some(body) && takes_value(a)) {
                i += 1;
            }
            continue;
        }
        let short = body.chars().next();
        if body.chars().count() == 1 && cmd.get_arguments().any(|a| a.get_short() == short && takes_value(a)) {
            i += 1;
        }
    }
}

/// One edit of the guest environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvEdit {
    Set(Vec<u8>, Vec<u8>),
    Unset(Vec<u8>),
}

/// The items of one `-E` (`set`) or `-U` value: QEMU splits it at every
/// comma (`strsep`), and each item must be `VAR=VALUE` (`-E`) or a name
/// without `=` (`-U`), else QEMU stops with its usage message.
pub fn env_items(value: &OsStr, set: bool, what: &str) -> anyhow::Result<Vec<EnvEdit>> {
    value
        .as_encoded_bytes()
        .split(|&b| b == b',')
        .map(|item| {
            let shown = String::from_utf8_lossy(item);
            match (set, item.iter().position(|&b| b == b'=')) {
                (true, Some(eq)) if eq > 0 => Ok(EnvEdit::Set(item[..eq].to_vec(), item[eq + 1..].to_vec())),
                (true, _) => bail!("{what} expects VAR=VALUE[,VAR=VALUE...], got `{shown}`"),
                (false, None) if !item.is_empty() => Ok(EnvEdit::Unset(item.to_vec())),
                (false, _) => bail!("{what} expects VAR[,VAR...], got `{shown}`"),
            }
        })
        .collect()
}

/// Applies `edits` in order to `env` (`NAME=value` entries, host order):
/// a new variable goes last, a replaced one keeps its place.
pub fn apply_env(env: &mut Vec<(Vec<u8>, Vec<u8>)>, edits: &[EnvEdit]) {
    for edit in edits {
        match edit {
            EnvEdit::Set(k, v) => match env.iter_mut().find(|(key, _)| key == k) {
                Some(entry) => entry.1.clone_from(v),
                None => env.push((k.clone(), v.clone())),
            },
            EnvEdit::Unset(k) => env.retain(|(key, _)| key != k),
        }
    }
}

/// QEMU's `-s SIZE`: a number as `strtoul(…, 0)` reads it (decimal, `0x`
/// hex, leading-`0` octal), times 1 MiB with an `M` suffix or 1 KiB with
/// `k`/`K`. QEMU ignores any other trailing text; ferrovm refuses it, so
/// that `8G` (8 bytes to QEMU) is an error instead of a crash.
pub fn stack_size(text: &str) -> anyhow::Result<u64> {
    let t = text.trim_start();
    let (digits, radix) = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (hex, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    let bad = || format!("bad stack size `{text}` (a number of bytes, with an optional k, K or M suffix)");
    let n = if end == 0 && radix == 8 { 0 } else { u64::from_str_radix(&digits[..end], radix).with_context(bad)? };
    let scale = match &digits[end..] {
        "" => 1,
        "k" | "K" => 1 << 10,
        "M" => 1 << 20,
        _ => bail!(bad()),
    };
    let size = n.checked_mul(scale).with_context(bad)?;
    if size == 0 {
        bail!("bad stack size `{text}`: it must not be 0");
    }
    let max = ferrovm_linux::MAX_STACK_SIZE;
    if size > max {
        bail!("stack size {size} is larger than ferrovm's largest stack ({} MiB)", max >> 20);
    }
    Ok(size)
}

/// The stack size without `-s`: QEMU's rule, the larger of 8 MiB and the
/// host's soft `RLIMIT_STACK` (when finite), within ferrovm's largest stack.
pub fn default_stack_size() -> u64 {
    let base = ferrovm_linux::stack::STACK_SIZE;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Stack).current;
    limit.map_or(base, |l| l.max(base)).min(ferrovm_linux::MAX_STACK_SIZE)
}

/// `AT_FLAGS` in the auxiliary vector (`include/uapi/linux/auxvec.h`).
const AT_FLAGS: u64 = 8;
/// `AT_FLAGS_PRESERVE_ARGV0` (`include/uapi/linux/binfmts.h`): the kernel
/// started this program as the binfmt_misc interpreter of an entry with the
/// `P` flag, so `argv` is `[us, options..., path, original argv[0], ...]`.
const AT_FLAGS_PRESERVE_ARGV0: u64 = 1;

/// Whether binfmt_misc started this process with the preserve-argv0 flag
/// (read from `/proc/self/auxv`, as QEMU reads `getauxval(AT_FLAGS)`).
pub fn preserve_argv0() -> bool {
    let Ok(auxv) = std::fs::read("/proc/self/auxv") else { return false };
    auxv.chunks_exact(16)
        .map(|e| {
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            (word(&e[..8]), word(&e[8..]))
        })
        .find(|&(key, _)| key == AT_FLAGS)
        .is_some_and(|(_, flags)| flags & AT_FLAGS_PRESERVE_ARGV0 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_sizes_parse_as_qemu_reads_them() {
        assert_eq!(stack_size("1048576").ok(), Some(1 << 20));
        assert_eq!(stack_size("16M").ok(), Some(16 << 20));
        assert_eq!(stack_size("512k").ok(), Some(512 << 10));
        assert_eq!(stack_size("512K").ok(), Some(512 << 10));
        assert_eq!(stack_size("0x100000").ok(), Some(1 << 20));
        assert_eq!(stack_size("010").ok(), Some(8));
        assert!(stack_size("0").is_err());
        assert!(stack_size("8G").is_err());
        assert!(stack_size("M").is_err());
        assert!(stack_size("1000M").is_err(), "larger than the largest stack");
    }

    #[test]
    fn env_lists_split_at_commas() {
        let set = env_items(OsStr::new("A=1,B=x=y"), true, "-E").expect("valid");
        assert_eq!(set, [EnvEdit::Set(b"A".to_vec(), b"1".to_vec()), EnvEdit::Set(b"B".to_vec(), b"x=y".to_vec())]);
        assert!(env_items(OsStr::new("A=1,"), true, "-E").is_err(), "an empty item has no =");
        assert!(env_items(OsStr::new("A"), true, "-E").is_err());
        assert_eq!(env_items(OsStr::new("A,B"), false, "-U").expect("valid").len(), 2);
        assert!(env_items(OsStr::new("A=1"), false, "-U").is_err());
    }

    #[test]
    fn edits_apply_in_order() {
        let mut env = vec![(b"A".to_vec(), b"0".to_vec()), (b"B".to_vec(), b"0".to_vec())];
        let edits = [
            EnvEdit::Set(b"A".to_vec(), b"1".to_vec()),
            EnvEdit::Unset(b"B".to_vec()),
            EnvEdit::Set(b"C".to_vec(), b"2".to_vec()),
            EnvEdit::Unset(b"C".to_vec()),
        ];
        apply_env(&mut env, &edits);
        assert_eq!(env, [(b"A".to_vec(), b"1".to_vec())]);
    }
}
