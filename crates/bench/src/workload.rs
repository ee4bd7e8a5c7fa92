//! The workload suite: `benches/workloads/manifest.txt`, the committed
//! riscv64 ELFs in `bin/`, and the native x86-64 builds the harness makes
//! from the same sources with the host gcc.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::engine::QemuVersion;

/// Flags of the native build. Keep in sync with FLAGS in
/// `benches/workloads/build.sh` (the riscv64 build): same optimization, same
/// static linking, and no FMA contraction so FP results are bit-identical.
/// `-pthread` for the threaded workloads (it changes no other binary).
pub const NATIVE_FLAGS: &[&str] = &["-O2", "-static", "-ffp-contract=off", "-pthread", "-w"];

/// Manifest tag: `--validate` leaves the workload out unless `--filter`
/// selects it (the threaded workloads, until ferrovm runs guest threads).
pub const TAG_NO_VALIDATE: &str = "no-validate";
/// Manifest tag: the program uses the vector extension (V 1.0). Guest
/// engines run it with `QEMU_CPU` set to [`VECTOR_CPU`], which
/// qemu-riscv64 and ferrovm both read (ferrovm's default ISA, like QEMU's
/// default CPU, has no V).
pub const TAG_VECTOR: &str = "vector";
/// The CPU vector workloads run on: V 1.0 at VLEN 128.
pub const VECTOR_CPU: &str = "rv64,v=true,vlen=128,vext_spec=v1.0";
/// Manifest tag: the program uses the vector crypto extensions (Zvkned,
/// Zvknha, and Zvkb's `vrev8.v`) besides V, which qemu-riscv64 7.2 lacks
/// and no `QEMU_CPU` of it names. ferrovm runs it with [`VECTOR_CPU`] and
/// `FERROVM_ISA=max`; a qemu from [`QEMU_VECTOR_CRYPTO`] on (the
/// `qemu10` engine, QEMU 10) with [`VECTOR_CRYPTO_CPU`]; an older qemu
/// is not run (its cell is missing, with the reason): there the program's
/// scalar build (`NAME_scalar`) is what qemu's number comes from.
pub const TAG_VECTOR_CRYPTO: &str = "vector-crypto";
/// The first QEMU with the vector crypto extensions (8.2).
pub const QEMU_VECTOR_CRYPTO: QemuVersion = QemuVersion { major: 8, minor: 2 };
/// [`VECTOR_CPU`] with the vector crypto extensions (QEMU 8.2's names).
pub const VECTOR_CRYPTO_CPU: &str = "rv64,v=true,vlen=128,vext_spec=v1.0,zvkned=true,zvknha=true,zvkb=true";
/// The tags a manifest line may carry (`[tag]` words after the quick size).
pub const TAGS: &[&str] = &[TAG_NO_VALIDATE, TAG_VECTOR, TAG_VECTOR_CRYPTO];
/// Highest thread count a `NAME@THREADS` manifest entry may ask for.
pub const MAX_THREADS: u32 = 64;

/// One workload of the suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    /// The manifest name: `PROGRAM`, or `PROGRAM@THREADS` for one thread
    /// count of a threaded program (`parallel@2`).
    pub name: String,
    /// The program: `bin/PROGRAM` and `src/PROGRAM.c`.
    pub program: String,
    /// For `PROGRAM@THREADS`: the thread count, passed as argv[1] (the size,
    /// if any, follows as argv[2]).
    pub threads: Option<u32>,
    /// The size argument for `--quick` runs.
    pub quick_arg: String,
    /// `[tag]` words of the manifest line, without the brackets.
    pub tags: Vec<String>,
    /// The rest of the manifest line; its first word is the category.
    pub description: String,
    /// The riscv64 ELF (`bin/PROGRAM`).
    pub guest: PathBuf,
    /// The C source (`src/PROGRAM.c`).
    pub source: PathBuf,
}

impl Workload {
    /// Start-up workloads run briefly on purpose (hello world, translation
    /// of a big program); they are kept out of the "steady" geomean.
    pub fn is_startup(&self) -> bool {
        self.description.starts_with("startup")
    }

    /// Threaded workloads (`PROGRAM@THREADS`) are kept out of the suite's
    /// geomeans and get their own rows and the thread-scaling table.
    pub fn is_threaded(&self) -> bool {
        self.threads.is_some()
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Environment variables a guest engine runs the program with besides
    /// the engine's own (see [`TAG_VECTOR`], [`TAG_VECTOR_CRYPTO`]): for
    /// ferrovm (`qemu` `None`) or a qemu-riscv64 of that version.
    pub fn guest_env(&self, qemu: Option<QemuVersion>) -> Vec<(String, String)> {
        let mut env = Vec::new();
        let crypto = self.has_tag(TAG_VECTOR_CRYPTO);
        if crypto && qemu.is_some_and(|v| v >= QEMU_VECTOR_CRYPTO) {
            env.push(("QEMU_CPU".into(), VECTOR_CRYPTO_CPU.into()));
        } else if self.has_tag(TAG_VECTOR) || crypto {
            env.push(("QEMU_CPU".into(), VECTOR_CPU.into()));
        }
        if crypto && qemu.is_none() {
            env.push(("FERROVM_ISA".into(), "max".into()));
        }
        env
    }

    /// Why qemu-riscv64 of `version` cannot run the program, if it cannot
    /// (see [`TAG_VECTOR_CRYPTO`]).
    pub fn qemu_lacks(&self, version: QemuVersion) -> Option<String> {
        (self.has_tag(TAG_VECTOR_CRYPTO) && version < QEMU_VECTOR_CRYPTO).then(|| {
            format!(
                "qemu-riscv64 {version} lacks the vector crypto extensions (Zvkned, Zvknha; from QEMU \
                 {QEMU_VECTOR_CRYPTO} on, the qemu10 engine); see the _scalar build"
            )
        })
    }

    /// The program's arguments: the thread count (threaded workloads), then
    /// the quick size with `quick` (none: the program's default size).
    pub fn args(&self, quick: bool) -> Vec<String> {
        let threads = self.threads.map(|t| t.to_string());
        threads.into_iter().chain(quick.then(|| self.quick_arg.clone())).collect()
    }
}

/// Reads `manifest.txt` in `dir`: `name quick-size [tag]... description...`
/// per line, `#` comments (see the manifest's header).
pub fn load_manifest(dir: &Path) -> anyhow::Result<Vec<Workload>> {
    let path = dir.join("manifest.txt");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_manifest(dir, &text).with_context(|| format!("in {}", path.display()))
}

pub fn parse_manifest(dir: &Path, text: &str) -> anyhow::Result<Vec<Workload>> {
    let mut out: Vec<Workload> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace().peekable();
        let (Some(name), Some(quick)) = (words.next(), words.next()) else {
            bail!("line {}: expected `name quick-size description`", i + 1);
        };
        let (program, threads) = match name.split_once('@') {
            None => (name, None),
            Some((program, n)) => match n.parse::<u32>() {
                Ok(t) if (1..=MAX_THREADS).contains(&t) && !program.is_empty() => (program, Some(t)),
                _ => bail!("line {}: `{name}`: expected PROGRAM@THREADS with THREADS in 1..={MAX_THREADS}", i + 1),
            },
        };
        let mut tags = Vec::new();
        while let Some(tag) = words.peek().and_then(|w| w.strip_prefix('[')?.strip_suffix(']')) {
            if !TAGS.contains(&tag) {
                bail!("line {}: unknown tag `[{tag}]` (known: {})", i + 1, TAGS.join(", "));
            }
            tags.push(tag.to_string());
            words.next();
        }
        if out.iter().any(|w| w.name == name) {
            bail!("line {}: `{name}` appears twice", i + 1);
        }
        out.push(Workload {
            name: name.to_string(),
            program: program.to_string(),
            threads,
            quick_arg: quick.to_string(),
            tags,
            description: words.collect::<Vec<_>>().join(" "),
            guest: dir.join("bin").join(program),
            source: dir.join("src").join(format!("{program}.c")),
        });
    }
    if out.is_empty() {
        bail!("no workloads");
    }
    Ok(out)
}

/// Splits `--validate`'s workloads: those tagged `[no-validate]` are left
/// out (second list) unless `--filter` was given and selected them.
pub fn for_validation(all: Vec<Workload>, filtered: bool) -> (Vec<Workload>, Vec<Workload>) {
    all.into_iter().partition(|w| filtered || !w.has_tag(TAG_NO_VALIDATE))
}

/// Keeps the workloads whose name contains any of the comma-separated
/// `filter` words; an error if nothing matches (a typo must not silently
/// benchmark nothing).
pub fn filter(all: Vec<Workload>, filter: Option<&str>) -> anyhow::Result<Vec<Workload>> {
    let Some(f) = filter else { return Ok(all) };
    let words: Vec<&str> = f.split(',').map(str::trim).filter(|w| !w.is_empty()).collect();
    let kept: Vec<Workload> = all.into_iter().filter(|w| words.iter().any(|x| w.name.contains(x))).collect();
    if kept.is_empty() {
        bail!("--filter {f} matches no workload");
    }
    Ok(kept)
}

/// Builds the native version of `w` into `out_dir` with the host `cc`
/// unless an up-to-date build is there; returns its path.
pub fn build_native(cc: &str, w: &Workload, out_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    // One build per program: `parallel@1` and `parallel@2` share it.
    let exe = out_dir.join(&w.program);
    let header = w.source.with_file_name("bench.h");
    // The stamp records the command line, so a change of flags rebuilds.
    let stamp = out_dir.join(format!("{}.cmd", w.program));
    let cmdline = format!("{cc} {} -o {} {} -lm", NATIVE_FLAGS.join(" "), exe.display(), w.source.display());
    let stamp_ok = std::fs::read_to_string(&stamp).is_ok_and(|s| s == cmdline);
    if stamp_ok && is_newer(&exe, &[&w.source, &header]) {
        return Ok(exe);
    }
    let output = Command::new(cc)
        .args(NATIVE_FLAGS)
        .arg("-o")
        .arg(&exe)
        .arg(&w.source)
        .arg("-lm")
        .output()
        .with_context(|| format!("running {cc} (the native build needs the host C compiler)"))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&exe);
        bail!("{cmdline} failed ({}):\n{}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    std::fs::write(&stamp, cmdline).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(exe)
}

/// True if `target` exists and is newer than every existing input.
fn is_newer(target: &Path, inputs: &[&Path]) -> bool {
    let Ok(t) = std::fs::metadata(target).and_then(|m| m.modified()) else { return false };
    inputs.iter().all(|i| std::fs::metadata(i).and_then(|m| m.modified()).map(|m| m < t).unwrap_or(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "# comment\n\nalu 1 integer ALU loops\nhello  1  startup: hello world\n";

    #[test]
    fn parses_manifest() {
        let w = parse_manifest(Path::new("/w"), MANIFEST).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, "alu");
        assert_eq!(w[0].quick_arg, "1");
        assert_eq!(w[0].description, "integer ALU loops");
        assert_eq!(w[0].guest, Path::new("/w/bin/alu"));
        assert_eq!(w[1].source, Path::new("/w/src/hello.c"));
        assert!(!w[0].is_startup());
        assert!(w[1].is_startup());
        assert_eq!(w[0].program, "alu");
        assert_eq!((w[0].threads, w[0].tags.len()), (None, 0));
        assert_eq!(w[0].args(true), ["1"]);
        assert!(w[0].args(false).is_empty());
        assert!(parse_manifest(Path::new("/w"), "alu\n").is_err());
        assert!(parse_manifest(Path::new("/w"), "# nothing\n").is_err());
    }

    #[test]
    fn vector_crypto_workloads_get_max_and_no_qemu() {
        let text = "v 1 [vector] vector: v\nvc 1 [vector-crypto] vector: vc\nvc_scalar 1 vector: its scalar build\n";
        let w = parse_manifest(Path::new("/w"), text).unwrap();
        let (old, new) = (QemuVersion { major: 7, minor: 2 }, QemuVersion { major: 10, minor: 0 });
        let cpu = |c: &str| ("QEMU_CPU".to_string(), c.to_string());
        assert_eq!(w[0].guest_env(None), [cpu(VECTOR_CPU)]);
        assert_eq!(w[0].guest_env(Some(new)), [cpu(VECTOR_CPU)]);
        assert!(w[0].qemu_lacks(old).is_none() && w[2].qemu_lacks(old).is_none() && w[2].guest_env(None).is_empty());
        assert_eq!(w[1].guest_env(None), [cpu(VECTOR_CPU), ("FERROVM_ISA".into(), "max".into())]);
        assert_eq!(w[1].guest_env(Some(new)), [cpu(VECTOR_CRYPTO_CPU)]);
        assert!(w[1].qemu_lacks(old).is_some_and(|m| m.contains("7.2")));
        assert!(w[1].qemu_lacks(new).is_none() && w[1].qemu_lacks(QEMU_VECTOR_CRYPTO).is_none());
    }

    #[test]
    fn parses_threaded_entries_and_tags() {
        let text = "par@1 3 [no-validate] threads: one\npar@2 3 [no-validate] threads: two [not a tag]\n";
        let w = parse_manifest(Path::new("/w"), text).unwrap();
        assert_eq!((w[0].name.as_str(), w[0].program.as_str(), w[0].threads), ("par@1", "par", Some(1)));
        assert_eq!(w[1].threads, Some(2));
        assert_eq!(w[1].guest, Path::new("/w/bin/par"));
        assert_eq!(w[1].source, Path::new("/w/src/par.c"));
        assert_eq!(w[1].tags, ["no-validate"]);
        assert_eq!(w[1].description, "threads: two [not a tag]");
        assert!(w[1].is_threaded() && w[1].has_tag(TAG_NO_VALIDATE));
        assert_eq!(w[1].args(true), ["2", "3"]);
        assert_eq!(w[1].args(false), ["2"]);
        for bad in
            ["par@0 1 x\n", "par@ 1 x\n", "@2 1 x\n", "par@x 1 x\n", "par@65 1 x\n", "a 1 [nope] x\n", "a 1 x\na 2 y\n"]
        {
            assert!(parse_manifest(Path::new("/w"), bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn validation_leaves_out_tagged_workloads_unless_filtered() {
        let all = parse_manifest(Path::new("/w"), "alu 1 x\npar@2 1 [no-validate] threads\n").unwrap();
        let (run, skipped) = for_validation(all.clone(), false);
        assert_eq!((run.len(), skipped[0].name.as_str()), (1, "par@2"));
        let (run, skipped) = for_validation(filter(all, Some("par")).unwrap(), true);
        assert_eq!((run[0].name.as_str(), skipped.len()), ("par@2", 0));
    }

    #[test]
    fn filter_by_substring_and_refuses_empty_match() {
        let all = parse_manifest(Path::new("/w"), MANIFEST).unwrap();
        assert_eq!(filter(all.clone(), Some("hel")).unwrap().len(), 1);
        assert_eq!(filter(all.clone(), Some("alu,hello")).unwrap().len(), 2);
        assert_eq!(filter(all.clone(), None).unwrap().len(), 2);
        assert!(filter(all, Some("nope")).is_err());
    }

    #[test]
    fn the_real_manifest_matches_the_sources() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/workloads");
        let all = load_manifest(&dir).unwrap();
        for w in &all {
            assert!(w.source.exists(), "{} has no source", w.name);
            assert!(w.guest.exists(), "{} has no committed riscv64 build", w.name);
        }
        let mut sources: Vec<String> = std::fs::read_dir(dir.join("src"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".c").map(str::to_string))
            .collect();
        sources.sort();
        let mut names: Vec<String> = all.iter().map(|w| w.program.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(sources, names, "every src/*.c is in manifest.txt and vice versa");
        // A threaded program's lines differ in thread count only.
        for w in all.iter().filter(|w| w.is_threaded()) {
            assert!(w.description.starts_with("threads"), "{}: category `threads`", w.name);
            assert!(
                all.iter().filter(|x| x.program == w.program).all(|x| x.is_threaded() && x.quick_arg == w.quick_arg)
            );
        }
    }
}
