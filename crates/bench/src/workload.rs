//! The workload suite: `benches/workloads/manifest.txt`, the committed
//! riscv64 ELFs in `bin/`, and the native x86-64 builds the harness makes
//! from the same sources with the host gcc.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Flags of the native build. Keep in sync with FLAGS in
/// `benches/workloads/build.sh` (the riscv64 build): same optimization, same
/// static linking, and no FMA contraction so FP results are bit-identical.
pub const NATIVE_FLAGS: &[&str] = &["-O2", "-static", "-ffp-contract=off", "-w"];

/// One workload of the suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub name: String,
    /// argv[1] for `--quick` runs.
    pub quick_arg: String,
    /// The rest of the manifest line.
    pub description: String,
    /// The riscv64 ELF (`bin/NAME`).
    pub guest: PathBuf,
    /// The C source (`src/NAME.c`).
    pub source: PathBuf,
}

impl Workload {
    /// Start-up workloads run briefly on purpose (hello world, translation
    /// of a big program); they are kept out of the "steady" geomean.
    pub fn is_startup(&self) -> bool {
        self.description.starts_with("startup")
    }
}

/// Reads `manifest.txt` in `dir`: `name quick-size description...` per line,
/// `#` comments.
pub fn load_manifest(dir: &Path) -> anyhow::Result<Vec<Workload>> {
    let path = dir.join("manifest.txt");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_manifest(dir, &text).with_context(|| format!("in {}", path.display()))
}

pub fn parse_manifest(dir: &Path, text: &str) -> anyhow::Result<Vec<Workload>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(quick)) = (words.next(), words.next()) else {
            bail!("line {}: expected `name quick-size description`", i + 1);
        };
        out.push(Workload {
            name: name.to_string(),
            quick_arg: quick.to_string(),
            description: words.collect::<Vec<_>>().join(" "),
            guest: dir.join("bin").join(name),
            source: dir.join("src").join(format!("{name}.c")),
        });
    }
    if out.is_empty() {
        bail!("no workloads");
    }
    Ok(out)
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
    let exe = out_dir.join(&w.name);
    let header = w.source.with_file_name("bench.h");
    // The stamp records the command line, so a change of flags rebuilds.
    let stamp = out_dir.join(format!("{}.cmd", w.name));
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
        assert!(parse_manifest(Path::new("/w"), "alu\n").is_err());
        assert!(parse_manifest(Path::new("/w"), "# nothing\n").is_err());
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
        let mut names: Vec<String> = all.iter().map(|w| w.name.clone()).collect();
        names.sort();
        assert_eq!(sources, names, "every src/*.c is in manifest.txt and vice versa");
    }
}
