//! `--validate`: the performance validator. Every workload runs under every
//! engine and every configuration switch `ferrovm run --help` offers (each
//! `--no-*` switch alone and all together, each value of every option that
//! lists its possible values, JIT fault injection), plus qemu-riscv64, and
//! every output must equal the native build's. Optimizations must never
//! change results.

use crate::engine::{self, Engine, Ferrovm};
use crate::measure::Scratch;
use crate::workload::Workload;

/// Environment variable that makes ferrovm's JIT fail compilations at
/// random (it must fall back to the interpreter and still be right).
pub const FAULT_ENV: (&str, &str) = ("FERROVM_JIT_FAULT_RATE", "0.5");

/// Options of `ferrovm run` that are not configuration switches (the
/// guest's set-up, not the engine's).
const NOT_CONFIG: &[&str] =
    &["engine", "strace", "stats", "stats-json", "help", "version", "sysroot", "root", "argv0", "stack-size", "cpu"];

/// The size given to `--*cache-size*` options: small enough that the suite
/// fills the cache and exercises eviction.
pub const SMALL_CACHE: &str = "65536";

/// One configuration: engine, extra arguments, extra environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub engine: String,
    pub extra: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// The configuration matrix for `engines` (ferrovm engine names), and notes
/// on the options it does not exercise (so nothing is left out silently).
pub fn configurations(ferrovm: &Ferrovm, engines: &[String], user: &[String]) -> (Vec<Config>, Vec<String>) {
    let options = ferrovm.options.as_deref().unwrap_or(&[]);
    // Switches documented as "JIT: ..." are validated with the JIT engines
    // only; under the interpreter they would change nothing but the bill.
    // Likewise "Tiered engine: ..." options with the tiered engine only.
    let help_of = |long: &str| options.iter().find(|o| o.long == long).map_or("", |o| o.help.as_str());
    let switches: Vec<String> =
        options.iter().filter(|o| o.value.is_none() && o.long.starts_with("no-")).map(|o| o.long.clone()).collect();
    let mut valued: Vec<(String, String)> = Vec::new();
    let mut notes = Vec::new();
    for o in options {
        if NOT_CONFIG.contains(&o.long.as_str()) || o.long.starts_with("no-") && o.value.is_none() {
            continue;
        }
        match (&o.value, o.possible.is_empty()) {
            (Some(_), false) => valued.extend(o.possible.iter().map(|v| (o.long.clone(), format!("--{}={v}", o.long)))),
            (Some(_), true) if o.long.contains("cache-size") => {
                valued.push((o.long.clone(), format!("--{}={SMALL_CACHE}", o.long)))
            }
            // Compile (almost) everything at once: the tier-up path runs constantly.
            (Some(_), true) if o.long.contains("threshold") => valued.push((o.long.clone(), format!("--{}=1", o.long))),
            // A ratio of 0 compiles whatever the cost model says.
            (Some(_), true) if o.long.ends_with("-ratio") => valued.push((o.long.clone(), format!("--{}=0", o.long))),
            // Cold blocks interpreted once or twice before their baseline
            // code (from the IR kept from their translation).
            (Some(_), true) if o.long == "cold-runs" => {
                valued.push((o.long.clone(), format!("--{}=1", o.long)));
                valued.push((o.long.clone(), format!("--{}=2", o.long)));
            }
            // Regions of one block (by count, and by code: only the entry
            // fits a budget of one byte), and regions that take in no callee.
            (Some(_), true) if o.long == "max-region-blocks" => {
                valued.push((o.long.clone(), format!("--{}=1", o.long)))
            }
            (Some(_), true) if o.long == "max-region-code" => valued.push((o.long.clone(), format!("--{}=1", o.long))),
            (Some(_), true) if o.long == "max-callee-blocks" => {
                valued.push((o.long.clone(), format!("--{}=0", o.long)))
            }
            (Some(_), true) if o.long == "steady-callee-blocks" => {
                valued.push((o.long.clone(), format!("--{}=64", o.long)))
            }
            // No guessed targets of indirect jumps, and as many as found.
            (Some(_), true) if o.long == "max-indirect-targets" => {
                valued.push((o.long.clone(), format!("--{}=0", o.long)));
                valued.push((o.long.clone(), format!("--{}=1000", o.long)));
            }
            // Compiles on the guest thread, and on more workers than cores.
            (Some(_), true) if o.long.ends_with("-threads") => {
                valued.push((o.long.clone(), format!("--{}=0", o.long)));
                valued.push((o.long.clone(), format!("--{}=2", o.long)));
            }
            (Some(v), true) => notes.push(format!(
                "not exercised: --{} <{v}> lists no possible values (add them with --config='--{}=VALUE')",
                o.long, o.long
            )),
            (None, _) => notes.push(format!("not exercised: --{} is not a --no-* switch", o.long)),
        }
    }
    let mut configs = Vec::new();
    for e in engines {
        let cfg = |extra: Vec<String>, env: Vec<(String, String)>| Config { engine: e.clone(), extra, env };
        let applies = |long: &str| {
            let help = help_of(long);
            (e != "interp" || !help.starts_with("JIT:")) && (e == "tiered" || !help.starts_with("Tiered engine:"))
        };
        let switches: Vec<String> = switches.iter().filter(|s| applies(s)).map(|s| format!("--{s}")).collect();
        configs.push(cfg(vec![], vec![]));
        for s in &switches {
            configs.push(cfg(vec![s.clone()], vec![]));
        }
        if switches.len() > 1 {
            configs.push(cfg(switches.clone(), vec![]));
        }
        for (long, v) in &valued {
            if applies(long) {
                configs.push(cfg(vec![v.clone()], vec![]));
            }
        }
        if e != "interp" {
            let fault = vec![(FAULT_ENV.0.to_string(), FAULT_ENV.1.to_string())];
            configs.push(cfg(vec![], fault.clone()));
            if !switches.is_empty() {
                configs.push(cfg(switches.clone(), fault));
            }
        }
        for u in user {
            let (env, extra) = split_config(u);
            configs.push(cfg(extra, env));
        }
    }
    (configs, notes)
}

/// `"A=1 --x --y=2"` → env `[A=1]`, args `[--x, --y=2]`.
pub fn split_config(s: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut env = Vec::new();
    let mut args = Vec::new();
    for word in s.split_whitespace() {
        match word.split_once('=') {
            Some((k, v)) if !word.starts_with('-') && args.is_empty() => env.push((k.to_string(), v.to_string())),
            _ => args.push(word.to_string()),
        }
    }
    (env, args)
}

/// Every engine of the validation run: native, the qemus asked for and each
/// configuration of each ferrovm engine, probed with `probe`.
pub fn engines(
    ferrovm: &Ferrovm,
    configs: &[Config],
    qemus: Vec<Engine>,
    probe: Option<&Workload>,
    scratch: &Scratch,
) -> Vec<Engine> {
    let mut out = vec![engine::native()];
    out.extend(qemus);
    let mut missing: Vec<&str> = Vec::new();
    for c in configs {
        if missing.contains(&c.engine.as_str()) {
            continue; // reported once, by its baseline configuration
        }
        let e = ferrovm.engine(&c.engine, &c.extra, &c.env, probe, scratch);
        if !e.is_available() && c.extra.is_empty() && c.env.is_empty() {
            missing.push(&c.engine);
        }
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::help;

    fn ferrovm(help_text: &str) -> Ferrovm {
        Ferrovm { path: PathBuf::from("/x/ferrovm"), options: Ok(help::parse(help_text)), tag: None }
    }

    const HELP: &str = "Options:
      --engine <ENGINE>
          Possible values:
          - interp: i
          - jit:    j

      --strace
          s
  -E <VAR=VALUE>
          e
      --stats
          s
      --no-opt
          o
      --no-chaining
          JIT: do not chain
      --eviction <POLICY>
          [possible values: lru, flush]
      --code-cache-size <BYTES>
          JIT: code-cache budget
      --sysroot <DIR>
          s
      --trace-file <FILE>
          t
      --fast
          f
  -h, --help
          h
";

    #[test]
    fn matrix_from_help() {
        let f = ferrovm(HELP);
        let (configs, notes) = configurations(&f, &["interp".into(), "jit".into()], &["--code-cache-size=1".into()]);
        let show: Vec<String> = configs
            .iter()
            .map(|c| {
                let env: Vec<String> = c.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} {} {}", c.engine, env.join(" "), c.extra.join(" "))
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            show,
            [
                "interp",
                "interp --no-opt",
                "interp --eviction=lru",
                "interp --eviction=flush",
                "interp --code-cache-size=1",
                "jit",
                "jit --no-opt",
                "jit --no-chaining",
                "jit --no-opt --no-chaining",
                "jit --eviction=lru",
                "jit --eviction=flush",
                "jit --code-cache-size=65536",
                "jit FERROVM_JIT_FAULT_RATE=0.5",
                "jit FERROVM_JIT_FAULT_RATE=0.5 --no-opt --no-chaining",
                "jit --code-cache-size=1",
            ]
        );
        assert_eq!(
            notes,
            [
                "not exercised: --trace-file <FILE> lists no possible values (add them with --config='--trace-file=VALUE')",
                "not exercised: --fast is not a --no-* switch"
            ]
        );
    }

    #[test]
    fn today_s_help_gives_baseline_and_no_opt() {
        let f = ferrovm(
            "Options:\n      --engine <ENGINE>\n          [possible values: interp, jit]\n      --no-opt\n          x\n",
        );
        let (configs, notes) = configurations(&f, &["interp".into()], &[]);
        assert_eq!(configs.len(), 2);
        assert_eq!(configs[1].extra, ["--no-opt"]);
        assert!(notes.is_empty());
    }

    #[test]
    fn config_strings() {
        assert_eq!(
            split_config("A=1 B=x=y --k=v --z"),
            (vec![("A".into(), "1".into()), ("B".into(), "x=y".into())], vec!["--k=v".into(), "--z".into()])
        );
    }
}
