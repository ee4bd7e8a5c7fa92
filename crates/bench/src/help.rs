//! Reading `ferrovm run --help` (clap's long help): which options exist,
//! which take a value and which values they accept. The validator builds
//! its configuration matrix from this, so a new switch is validated the
//! day it is added.

/// One option from the help text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionSpec {
    /// Long name without the dashes (`no-opt`).
    pub long: String,
    /// The value placeholder (`ENGINE`), if the option takes a value.
    pub value: Option<String>,
    /// The values listed under "Possible values:" or in `[possible values: ...]`.
    pub possible: Vec<String>,
    /// The first line of the description (`JIT: do not chain ...`).
    pub help: String,
}

/// Parses the options of a clap help text.
pub fn parse(help: &str) -> Vec<OptionSpec> {
    let mut options: Vec<OptionSpec> = Vec::new();
    let mut in_possible = false;
    for line in help.lines() {
        let t = line.trim();
        if let Some(spec) = option_line(t) {
            options.push(spec);
            in_possible = false;
            continue;
        }
        let Some(current) = options.last_mut() else { continue };
        if current.help.is_empty() && !t.is_empty() && !t.starts_with('[') {
            current.help = t.to_string();
        }
        if t == "Possible values:" {
            in_possible = true;
        } else if in_possible && let Some(item) = t.strip_prefix("- ") {
            let name = item.split(':').next().unwrap_or("").trim();
            if !name.is_empty() {
                current.possible.push(name.to_string());
            }
        } else if let Some(start) = t.find("[possible values: ") {
            let rest = &t[start + "[possible values: ".len()..];
            let list = rest.split(']').next().unwrap_or("");
            current.possible.extend(list.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()));
        } else if t.is_empty() {
            in_possible = false;
        }
    }
    options
}

/// `-E <VAR=VALUE>`, `--engine <ENGINE>`, `-h, --help`: an option line starts
/// with a dash; only options with a long name are returned.
fn option_line(t: &str) -> Option<OptionSpec> {
    // `- tiered: ... `--hot-threshold` ...` is a possible value, not an option.
    if !t.starts_with('-') || t.starts_with("- ") {
        return None;
    }
    let long_start = t.find("--")?;
    let rest = &t[long_start + 2..];
    let name_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).unwrap_or(rest.len());
    let long = &rest[..name_end];
    if long.is_empty() {
        return None;
    }
    let after = rest[name_end..].trim_start_matches('=').trim_start();
    let value = after.strip_prefix('<').and_then(|v| v.split('>').next()).map(str::to_string);
    // Short help puts the description on the same line: `[possible values: ...]`.
    let possible = after
        .find("[possible values: ")
        .map(|i| {
            after[i + 18..]
                .split(']')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default();
    // Short help: the description follows the option on the same line.
    let help = after
        .strip_prefix('<')
        .and_then(|v| v.split_once('>'))
        .map_or(after, |(_, rest)| rest)
        .split(" [")
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    Some(OptionSpec { long: long.to_string(), value, possible, help })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG_HELP: &str = "Run a riscv64 Linux program.

Usage: ferrovm run [OPTIONS] <PROGRAM> [ARGS]...

Arguments:
  <PROGRAM>
          The riscv64 program to run

Options:
      --engine <ENGINE>
          Execution engine

          Possible values:
          - interp: The IR interpreter (tier 0)
          - jit:    Cranelift JIT for every block (not implemented yet)
          - tiered: Interpreter first; compiled after `--hot-threshold` runs

          [default: interp]

      --strace
          Print one line per system call

  -E <VAR=VALUE>
          Set VAR=VALUE in the guest environment (repeatable)

      --no-opt
          Disable the IR optimization passes

      --eviction <POLICY>
          Code cache eviction policy [default: lru] [possible values: lru, fifo, flush]

      --code-cache-size <BYTES>
          Size of the code cache

  -h, --help
          Print help (see a summary with '-h')
";

    #[test]
    fn parses_clap_long_help() {
        let opts = parse(LONG_HELP);
        let names: Vec<&str> = opts.iter().map(|o| o.long.as_str()).collect();
        assert_eq!(names, ["engine", "strace", "no-opt", "eviction", "code-cache-size", "help"]);
        assert_eq!(opts[0].value.as_deref(), Some("ENGINE"));
        assert_eq!(opts[0].possible, ["interp", "jit", "tiered"]);
        assert_eq!(opts[1].value, None);
        assert_eq!(opts[2].value, None);
        assert_eq!(opts[3].possible, ["lru", "fifo", "flush"]);
        assert_eq!(opts[4].value.as_deref(), Some("BYTES"));
        assert_eq!(opts[0].help, "Execution engine");
        assert_eq!(opts[2].help, "Disable the IR optimization passes");
        assert_eq!(opts[3].help, "Code cache eviction policy [default: lru] [possible values: lru, fifo, flush]");
        assert!(opts[4].possible.is_empty());
    }

    #[test]
    fn parses_short_help_inline_values() {
        let opts = parse(
            "Options:\n      --engine <ENGINE>  Execution engine [default: interp] [possible values: interp, jit, tiered]\n      --no-opt  Disable\n",
        );
        assert_eq!(opts[0].possible, ["interp", "jit", "tiered"]);
        assert_eq!(opts[1].long, "no-opt");
        assert_eq!(opts[0].help, "Execution engine");
        assert_eq!(opts[1].help, "Disable");
    }
}
