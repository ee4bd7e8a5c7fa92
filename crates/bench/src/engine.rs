//! The engines a workload runs under — ferrovm's engines (with optional
//! configuration switches), qemu-riscv64 and the native build — and how
//! the harness finds out whether each is available. An engine that is not
//! available is kept, with the reason, so every report can say so.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::help::{self, OptionSpec};
use crate::measure::{self, Invocation, Scratch, Status};
use crate::workload::Workload;

/// The engine names `--engines` accepts, in report order.
pub const ALL: &[&str] = &["native", "qemu", "qemu10", "interp", "jit", "tiered"];
/// The ones that are ferrovm's own (`ferrovm run --engine NAME`).
pub const FERROVM: &[&str] = &["interp", "jit", "tiered"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    Available,
    Missing(String),
}

/// How an engine runs a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runner {
    /// `PROGRAM PREFIX... GUEST-ELF ARGS...` (ferrovm).
    Guest { program: PathBuf, prefix: Vec<OsString>, env: Vec<(String, String)> },
    /// `PROGRAM GUEST-ELF ARGS...`: qemu-riscv64 of that version (which
    /// says which extensions it has, [`Workload::qemu_lacks`]).
    Qemu { program: PathBuf, version: QemuVersion },
    /// The native x86-64 build.
    Native,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engine {
    /// The engine (`interp`), or engine and configuration in validation
    /// mode (`interp --no-opt`).
    pub name: String,
    pub availability: Availability,
    pub runner: Runner,
}

impl Engine {
    pub fn is_available(&self) -> bool {
        self.availability == Availability::Available
    }

    /// Why the engine cannot run `w` although it is available (a qemu and
    /// the extensions it lacks), or `None`.
    pub fn cannot_run(&self, w: &Workload) -> Option<String> {
        match self.runner {
            Runner::Qemu { version, .. } => w.qemu_lacks(version),
            _ => None,
        }
    }

    /// The command that runs `w` (native build at `native_exe`) with `args`
    /// (`Workload::args`).
    pub fn invocation(&self, w: &Workload, native_exe: &Path, args: &[String]) -> Invocation {
        let args = args.iter().map(OsString::from);
        match &self.runner {
            Runner::Native => Invocation { program: native_exe.to_path_buf(), args: args.collect(), env: vec![] },
            Runner::Guest { program, prefix, env } => {
                let mut all = prefix.clone();
                all.push(w.guest.clone().into_os_string());
                all.extend(args);
                let env = env.iter().cloned().chain(w.guest_env(None)).collect();
                Invocation { program: program.clone(), args: all, env }
            }
            Runner::Qemu { program, version } => {
                let all = std::iter::once(w.guest.clone().into_os_string()).chain(args).collect();
                Invocation { program: program.clone(), args: all, env: w.guest_env(Some(*version)) }
            }
        }
    }
}

/// What `ferrovm run --help` says, or why it could not be asked.
#[derive(Clone, Debug)]
pub struct Ferrovm {
    pub path: PathBuf,
    pub options: Result<Vec<OptionSpec>, String>,
    /// How engine labels name this binary (`@NAME`), when it is not the
    /// default one.
    pub tag: Option<String>,
}

impl Ferrovm {
    pub fn probe(path: &Path) -> Ferrovm {
        let options = if !path.exists() {
            Err(format!(
                "no ferrovm binary at {} (build it: cargo build --release -p ferrovm-cli, or pass --ferrovm PATH)",
                path.display()
            ))
        } else {
            match Command::new(path).args(["run", "--help"]).output() {
                Ok(out) if out.status.success() => Ok(help::parse(&String::from_utf8_lossy(&out.stdout))),
                Ok(out) => Err(format!("`{} run --help` failed: {}", path.display(), out.status)),
                Err(e) => Err(format!("cannot run {}: {e}", path.display())),
            }
        };
        Ferrovm { path: path.to_path_buf(), options, tag: None }
    }

    /// The values `--engine` accepts.
    pub fn engines(&self) -> Vec<String> {
        self.options
            .as_ref()
            .map(|o| o.iter().find(|o| o.long == "engine").map(|o| o.possible.clone()).unwrap_or_default())
            .unwrap_or_default()
    }

    /// `ferrovm run --engine NAME EXTRA...` with `env`, checked against the
    /// help text and by running `probe` (a short guest program): an engine
    /// the help does not list, or that answers "not implemented" (exit 125),
    /// is missing. Any other failure leaves it available — its runs will
    /// then be reported as wrong, with the error.
    pub fn engine(
        &self,
        name: &str,
        extra: &[String],
        env: &[(String, String)],
        probe: Option<&Workload>,
        scratch: &Scratch,
    ) -> Engine {
        let mut prefix: Vec<OsString> = vec!["run".into(), "--engine".into(), name.into()];
        prefix.extend(extra.iter().map(OsString::from));
        let runner = Runner::Guest { program: self.path.clone(), prefix, env: env.to_vec() };
        let head = match &self.tag {
            Some(tag) => format!("{name}@{tag}"),
            None => name.to_string(),
        };
        let label = std::iter::once(head)
            .chain(env.iter().map(|(k, v)| format!("{k}={v}")))
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut engine = Engine { name: label, availability: Availability::Available, runner };
        if let Err(why) = &self.options {
            engine.availability = Availability::Missing(why.clone());
            return engine;
        }
        if !self.engines().iter().any(|e| e == name) {
            engine.availability = Availability::Missing(format!("`ferrovm run --help` offers no `--engine {name}`"));
            return engine;
        }
        if let Some(w) = probe {
            let inv = engine.invocation(w, Path::new("/nonexistent"), &w.args(true));
            match measure::run(&inv, scratch, Duration::from_secs(120)) {
                Ok(m) if m.status == Status::Exited(125) => {
                    let stderr = String::from_utf8_lossy(&m.stderr);
                    if stderr.contains("not implemented") || stderr.contains("invalid value") {
                        let line = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
                        engine.availability = Availability::Missing(line.to_string());
                    }
                }
                Ok(_) => {}
                Err(e) => engine.availability = Availability::Missing(format!("{e:#}")),
            }
        }
        engine
    }
}

/// A qemu-riscv64 release (`qemu-riscv64 --version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QemuVersion {
    pub major: u32,
    pub minor: u32,
}

impl QemuVersion {
    /// From `qemu-riscv64 version 7.2.22 (Debian ...)`.
    pub fn parse(text: &str) -> Option<QemuVersion> {
        let rest = text.split("version ").nth(1)?;
        let mut nums = rest.split(|c: char| !c.is_ascii_digit()).map(str::parse::<u32>);
        Some(QemuVersion { major: nums.next()?.ok()?, minor: nums.next()?.ok()? })
    }
}

impl std::fmt::Display for QemuVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// `qemu-riscv64` at `path`, or found on PATH: the `qemu` engine.
pub fn qemu(path: Option<&Path>) -> Engine {
    let found = match path {
        Some(p) if p.exists() => Ok(p.to_path_buf()),
        Some(p) => Err(format!("no qemu-riscv64 at {}", p.display())),
        None => which("qemu-riscv64").ok_or_else(|| "qemu-riscv64 is not on PATH (apt-get install qemu-user)".into()),
    };
    qemu_engine("qemu", found)
}

/// Where `tests/qemu/fetch.sh` puts its newer qemu-riscv64 (QEMU 10) in
/// the repository at `root`.
pub fn qemu10_default(root: &Path) -> PathBuf {
    root.join("target/qemu-10/qemu-riscv64")
}

/// The `qemu10` engine: a newer qemu-riscv64 than Debian 12's 7.2 (one
/// that has the vector crypto extensions), at `path`.
pub fn qemu10(path: &Path) -> Engine {
    let found = if path.exists() {
        Ok(path.to_path_buf())
    } else {
        Err(format!("no qemu-riscv64 at {} (tests/qemu/fetch.sh fetches QEMU 10 there)", path.display()))
    };
    qemu_engine("qemu10", found)
}

fn qemu_engine(name: &str, found: Result<PathBuf, String>) -> Engine {
    let version = found.and_then(|p| {
        let out = Command::new(&p).arg("--version").output().map_err(|e| format!("{}: {e}", p.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        match QemuVersion::parse(&text) {
            Some(v) => Ok((p, v)),
            None => Err(format!("{}: no version in `--version`'s answer", p.display())),
        }
    });
    let (runner, availability) = match version {
        Ok((program, version)) => (Runner::Qemu { program, version }, Availability::Available),
        Err(why) => (
            Runner::Qemu { program: PathBuf::from("qemu-riscv64"), version: QemuVersion { major: 0, minor: 0 } },
            Availability::Missing(why),
        ),
    };
    Engine { name: name.into(), availability, runner }
}

pub fn native() -> Engine {
    Engine { name: "native".into(), availability: Availability::Available, runner: Runner::Native }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Parses `--engines a,b,c`: known names only, no duplicates, report order
/// as given.
pub fn parse_list(list: &str) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for spec in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Spec { name, binary, args, env } = split_spec(spec);
        if !ALL.contains(&name) {
            anyhow::bail!("unknown engine `{name}` (known: {})", ALL.join(", "));
        }
        if (binary.is_some() || !args.is_empty() || !env.is_empty()) && !FERROVM.contains(&name) {
            anyhow::bail!("`{spec}`: only ferrovm's engines take a binary or arguments");
        }
        if !out.iter().any(|n| n == spec) {
            out.push(spec.to_string());
        }
    }
    if out.is_empty() {
        anyhow::bail!("--engines lists no engine");
    }
    Ok(out)
}

/// A ferrovm engine as `--engines` gives it: `NAME[@BINARY][:ARG]...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec<'a> {
    pub name: &'a str,
    /// Another ferrovm binary than `--ferrovm`'s (to compare two builds
    /// in one run).
    pub binary: Option<&'a str>,
    /// Extra `ferrovm run` arguments.
    pub args: Vec<String>,
    /// `VAR=VALUE` parts: environment variables of the runs.
    pub env: Vec<(String, String)>,
}

/// `"tiered:--compile-threads=0:--eviction=lfu"` → `tiered` with the two
/// arguments; `"tiered@/old/ferrovm:FERROVM_X=1"` → `tiered` of the
/// binary `/old/ferrovm` with `FERROVM_X=1` in its environment.
pub fn split_spec(spec: &str) -> Spec<'_> {
    let mut parts = spec.split(':');
    let head = parts.next().unwrap_or_default();
    let (name, binary) = match head.split_once('@') {
        Some((name, binary)) => (name, Some(binary)),
        None => (head, None),
    };
    let (mut args, mut env) = (Vec::new(), Vec::new());
    for a in parts.filter(|a| !a.is_empty()) {
        match a.split_once('=') {
            Some((var, value)) if !a.starts_with('-') => env.push((var.to_string(), value.to_string())),
            _ => args.push(a.to_string()),
        }
    }
    Spec { name, binary, args, env }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::parse_manifest;

    fn workload() -> Workload {
        parse_manifest(Path::new("/w"), "alu 3 integer\n").unwrap().remove(0)
    }

    #[test]
    fn engine_specs_take_ferrovm_arguments() {
        assert_eq!(
            parse_list("native,tiered,tiered:--compile-threads=0,tiered").unwrap(),
            ["native", "tiered", "tiered:--compile-threads=0"]
        );
        let spec = split_spec("jit:--a:--b=1");
        assert_eq!((spec.name, spec.binary, spec.args), ("jit", None, vec!["--a".to_string(), "--b=1".to_string()]));
        let spec = split_spec("tiered@/old/ferrovm:X=1:--c");
        assert_eq!((spec.name, spec.binary), ("tiered", Some("/old/ferrovm")));
        assert_eq!((spec.args, spec.env), (vec!["--c".to_string()], vec![("X".to_string(), "1".to_string())]));
        assert!(parse_list("qemu@/x").is_err());
        assert!(parse_list("qemu:--x").is_err());
        assert!(parse_list("bogus:--x").is_err());
    }

    #[test]
    fn invocations() {
        let w = workload();
        let n = native().invocation(&w, Path::new("/n/alu"), &w.args(true));
        assert_eq!(n.display(), "/n/alu 3");
        let q = Engine {
            name: "qemu".into(),
            availability: Availability::Available,
            runner: Runner::Qemu {
                program: "/usr/bin/qemu-riscv64".into(),
                version: QemuVersion { major: 7, minor: 2 },
            },
        };
        assert_eq!(q.invocation(&w, Path::new("/n/alu"), &w.args(false)).display(), "/usr/bin/qemu-riscv64 /w/bin/alu");
        let t = parse_manifest(Path::new("/w"), "par@2 5 [no-validate] threads\n").unwrap().remove(0);
        assert_eq!(
            q.invocation(&t, Path::new("/n/par"), &t.args(true)).display(),
            "/usr/bin/qemu-riscv64 /w/bin/par 2 5"
        );
        assert_eq!(native().invocation(&t, Path::new("/n/par"), &t.args(false)).display(), "/n/par 2");
        let v = parse_manifest(Path::new("/w"), "vec 5 [vector] vector loops\n").unwrap().remove(0);
        let env = [("QEMU_CPU".to_string(), crate::workload::VECTOR_CPU.to_string())];
        assert_eq!(q.invocation(&v, Path::new("/n/vec"), &v.args(true)).env, env);
        assert_eq!(q.invocation(&w, Path::new("/n/alu"), &w.args(true)).env, []);
        assert_eq!(native().invocation(&v, Path::new("/n/vec"), &v.args(true)).env, []);
    }

    #[test]
    fn engine_list() {
        assert_eq!(parse_list("interp, qemu,interp").unwrap(), ["interp", "qemu"]);
        assert!(parse_list("interp,warp").is_err());
        assert!(parse_list(",").is_err());
    }

    #[test]
    fn missing_ferrovm_binary_makes_every_ferrovm_engine_missing() {
        // Scratch files carry the pid; the directory is shared and stays.
        let dir = std::env::temp_dir().join("ferrovm-bench-test-scratch");
        let scratch = Scratch::new(&dir).unwrap();
        let f = Ferrovm::probe(Path::new("/nonexistent/ferrovm"));
        let e = f.engine("interp", &[], &[], None, &scratch);
        assert!(matches!(e.availability, Availability::Missing(ref why) if why.contains("no ferrovm binary")));
    }

    #[test]
    fn engine_not_in_help_is_missing_and_not_implemented_is_missing() {
        let dir = std::env::temp_dir().join(format!("ferrovm-bench-test-engine2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scratch = Scratch::new(&dir).unwrap();
        // A fake ferrovm: help lists interp and jit; jit says "not implemented".
        let fake = dir.join("fake-ferrovm");
        std::fs::write(
            &fake,
            "#!/bin/sh\nif [ \"$2\" = --help ]; then printf 'Options:\\n      --engine <ENGINE>\\n          Possible values:\\n          - interp: i\\n          - jit:    j\\n\\n      --no-opt\\n          x\\n'; exit 0; fi\n\
             if [ \"$3\" = jit ]; then echo 'ferrovm: --engine jit is not implemented yet' >&2; exit 125; fi\necho ok\n",
        )
        .unwrap();
        std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
        let f = Ferrovm::probe(&fake);
        assert_eq!(f.engines(), ["interp", "jit"]);
        let w = workload();
        assert!(f.engine("interp", &[], &[], Some(&w), &scratch).is_available());
        let jit = f.engine("jit", &[], &[], Some(&w), &scratch);
        assert_eq!(jit.availability, Availability::Missing("ferrovm: --engine jit is not implemented yet".into()));
        let tiered = f.engine("tiered", &[], &[], Some(&w), &scratch);
        assert_eq!(
            tiered.availability,
            Availability::Missing("`ferrovm run --help` offers no `--engine tiered`".into())
        );
        let cfg = f.engine("interp", &["--no-opt".into()], &[("A".into(), "1".into())], Some(&w), &scratch);
        assert_eq!(cfg.name, "interp A=1 --no-opt");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
