//! The benchmark loop: every workload under every available engine, N
//! rounds, engines in a rotating order within each round so slow drift
//! (thermal, other load) hits them all alike; every run checked against the
//! native reference. A wrong run ends that pair's measurement: it gets no
//! number, only the reason.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;

use crate::check::{self, Expected};
use crate::engine::{Availability, Engine};
use crate::measure::{self, Measurement, Scratch, Status};
use crate::stats::median;
use crate::workload::Workload;

/// Measured numbers of one (workload, engine) pair; all from checked runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Wall seconds of each run, in run order.
    pub wall_s: Vec<f64>,
    /// User + system CPU seconds of each run.
    pub cpu_s: Vec<f64>,
    pub median_wall_s: f64,
    pub median_cpu_s: f64,
    /// Peak resident set size over all runs, KiB.
    pub max_rss_kib: u64,
}

/// The outcome of one (workload, engine) pair.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Ok(Summary),
    /// The engine is not available: no run was attempted.
    Missing(String),
    /// Run `run` (1-based) produced the wrong output or status.
    Wrong {
        run: usize,
        reason: String,
    },
}

impl Cell {
    pub fn summary(&self) -> Option<&Summary> {
        match self {
            Cell::Ok(s) => Some(s),
            _ => None,
        }
    }
}

/// Everything a report needs: `cells[workload][engine]`.
#[derive(Clone, Debug)]
pub struct Results {
    pub workloads: Vec<Workload>,
    pub engines: Vec<Engine>,
    pub cells: Vec<Vec<Cell>>,
}

impl Results {
    /// `(workload, engine, run, reason)` of every wrong result.
    pub fn wrong(&self) -> Vec<(&str, &str, usize, &str)> {
        let mut out = Vec::new();
        for (w, row) in self.workloads.iter().zip(&self.cells) {
            for (e, cell) in self.engines.iter().zip(row) {
                if let Cell::Wrong { run, reason } = cell {
                    out.push((w.name.as_str(), e.name.as_str(), *run, reason.as_str()));
                }
            }
        }
        out
    }
}

/// What to run.
pub struct Plan<'a> {
    pub workloads: &'a [Workload],
    /// Native executables, one per workload.
    pub natives: &'a [PathBuf],
    pub engines: &'a [Engine],
    pub runs: usize,
    /// Each workload's quick size as its size argument, or none (the
    /// default size); see `Workload::args`.
    pub quick: bool,
    pub timeout: Duration,
}

/// Progress callbacks (the terminal progress bar; nothing in tests).
pub trait Progress {
    fn start(&self, workload: &str, engine: &str, run: usize, runs: usize);
    fn finish_one(&self);
}

impl Plan<'_> {
    /// Number of measured runs the plan will make at most.
    pub fn total_runs(&self) -> u64 {
        let avail = self.engines.iter().filter(|e| e.is_available()).count();
        (self.workloads.len() * avail * self.runs) as u64
    }

    /// Runs each workload's native build once, untimed: the expected output.
    /// A failing reference is an error (the suite itself is broken).
    pub fn references(&self, scratch: &Scratch) -> anyhow::Result<Vec<Expected>> {
        let native = crate::engine::native();
        let mut out = Vec::new();
        for (w, exe) in self.workloads.iter().zip(self.natives) {
            let inv = native.invocation(w, exe, &w.args(self.quick));
            let m = measure::run(&inv, scratch, self.timeout)?;
            if m.status != Status::Exited(0) || m.stdout.is_empty() {
                bail!(
                    "the native reference run `{}` failed ({}); stderr: {}",
                    inv.display(),
                    m.status,
                    String::from_utf8_lossy(&m.stderr)
                );
            }
            out.push(Expected { stdout: m.stdout, status: m.status });
        }
        Ok(out)
    }

    pub fn run(&self, expected: &[Expected], scratch: &Scratch, progress: &dyn Progress) -> anyhow::Result<Results> {
        let mut cells = Vec::new();
        let mut first = 0;
        while first < self.workloads.len() {
            // One program's thread counts (`parallel@1`, `parallel@2`) take
            // turns within each round, so drift hits their speed-up least.
            let program = &self.workloads[first].program;
            let len = self.workloads[first..].iter().take_while(|w| &w.program == program).count();
            cells.extend(self.run_group(first..first + len, expected, scratch, progress)?);
            first += len;
        }
        Ok(Results { workloads: self.workloads.to_vec(), engines: self.engines.to_vec(), cells })
    }

    /// The rows of `self.workloads[group]`: every round runs each of them
    /// under each engine.
    fn run_group(
        &self,
        group: Range<usize>,
        expected: &[Expected],
        scratch: &Scratch,
        progress: &dyn Progress,
    ) -> anyhow::Result<Vec<Vec<Cell>>> {
        let ne = self.engines.len();
        let mut measured: Vec<Vec<Vec<Measurement>>> = vec![vec![Vec::new(); ne]; group.len()];
        let mut wrong: Vec<Vec<Option<(usize, String)>>> = vec![vec![None; ne]; group.len()];
        for round in 0..self.runs {
            for (gi, wi) in group.clone().enumerate() {
                let w = &self.workloads[wi];
                for k in 0..ne {
                    let ei = (k + round) % ne;
                    let engine = &self.engines[ei];
                    if !engine.is_available() || wrong[gi][ei].is_some() || engine.cannot_run(w).is_some() {
                        continue;
                    }
                    progress.start(&w.name, &engine.name, round + 1, self.runs);
                    let inv = engine.invocation(w, &self.natives[wi], &w.args(self.quick));
                    let m = measure::run(&inv, scratch, self.timeout)?;
                    match check::verdict(&expected[wi], &m) {
                        Ok(()) => measured[gi][ei].push(m),
                        Err(reason) => wrong[gi][ei] = Some((round + 1, reason)),
                    }
                    progress.finish_one();
                }
            }
        }
        let rows = measured
            .into_iter()
            .zip(wrong)
            .zip(group)
            .map(|((measured, wrong), wi)| {
                let w = &self.workloads[wi];
                self.engines
                    .iter()
                    .zip(measured)
                    .zip(wrong)
                    .map(|((engine, runs), wrong)| match (&engine.availability, wrong) {
                        (Availability::Missing(why), _) => Cell::Missing(why.clone()),
                        (_, _) if let Some(why) = engine.cannot_run(w) => Cell::Missing(why),
                        (_, Some((run, reason))) => Cell::Wrong { run, reason },
                        (Availability::Available, None) => Cell::Ok(summarize(&runs)),
                    })
                    .collect()
            })
            .collect();
        Ok(rows)
    }
}

fn summarize(runs: &[Measurement]) -> Summary {
    let wall_s: Vec<f64> = runs.iter().map(|m| m.wall.as_secs_f64()).collect();
    let cpu_s: Vec<f64> = runs.iter().map(|m| m.cpu.as_secs_f64()).collect();
    Summary {
        median_wall_s: median(&wall_s).unwrap_or(f64::NAN),
        median_cpu_s: median(&cpu_s).unwrap_or(f64::NAN),
        max_rss_kib: runs.iter().map(|m| m.max_rss_kib).max().unwrap_or(0),
        wall_s,
        cpu_s,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::path::Path;

    use super::*;
    use crate::engine::Runner;
    use crate::workload::parse_manifest;

    /// A fake suite in a temporary directory: workload `w` whose native
    /// build (a shell script) prints "sum 42"; guest "ELFs" are shell
    /// scripts run by `/bin/sh`, the fake emulator.
    pub(crate) struct Fake {
        pub dir: PathBuf,
        pub workloads: Vec<Workload>,
        pub natives: Vec<PathBuf>,
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    pub(crate) fn fake(tag: &str, guests: &[(&str, &str)]) -> Fake {
        let dir = std::env::temp_dir().join(format!("ferrovm-bench-test-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let mut manifest = String::new();
        let mut natives = Vec::new();
        for (name, guest_script) in guests {
            manifest.push_str(&format!("{name} 1 fake\n"));
            std::fs::write(dir.join("bin").join(name), guest_script).unwrap();
            let native = dir.join(format!("{name}.native"));
            std::fs::write(&native, "#!/bin/sh\necho sum 42\n").unwrap();
            std::process::Command::new("chmod").arg("+x").arg(&native).status().unwrap();
            natives.push(native);
        }
        Fake { workloads: parse_manifest(&dir, &manifest).unwrap(), natives, dir }
    }

    pub(crate) fn sh_engine(name: &str, env: &[(&str, &str)]) -> Engine {
        Engine {
            name: name.into(),
            availability: Availability::Available,
            runner: Runner::Guest {
                program: "/bin/sh".into(),
                prefix: vec![],
                env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            },
        }
    }

    struct NoProgress;

    impl Progress for NoProgress {
        fn start(&self, _: &str, _: &str, _: usize, _: usize) {}
        fn finish_one(&self) {}
    }

    #[derive(Default)]
    struct Log(RefCell<Vec<String>>);

    impl Progress for Log {
        fn start(&self, w: &str, e: &str, run: usize, _: usize) {
            self.0.borrow_mut().push(format!("{w}/{e}/{run}"));
        }
        fn finish_one(&self) {}
    }

    #[test]
    fn wrong_output_gets_no_number_and_says_which() {
        // The guest prints the right answer unless FAKE_BROKEN is set.
        let f = fake("wrong", &[("good", "if [ -n \"$FAKE_BROKEN\" ]; then echo sum 41; else echo sum 42; fi\n")]);
        let engines = vec![
            crate::engine::native(),
            sh_engine("fine", &[]),
            sh_engine("broken", &[("FAKE_BROKEN", "1")]),
            Engine {
                name: "absent".into(),
                availability: Availability::Missing("not installed".into()),
                runner: Runner::Native,
            },
        ];
        let plan = Plan {
            workloads: &f.workloads,
            natives: &f.natives,
            engines: &engines,
            runs: 3,
            quick: true,
            timeout: Duration::from_secs(60),
        };
        let scratch = Scratch::new(&f.dir).unwrap();
        let expected = plan.references(&scratch).unwrap();
        assert_eq!(expected[0].stdout, b"sum 42\n");
        let log = Log::default();
        let r = plan.run(&expected, &scratch, &log).unwrap();
        let row = &r.cells[0];
        assert_eq!(row[0].summary().unwrap().wall_s.len(), 3);
        assert_eq!(row[1].summary().unwrap().wall_s.len(), 3);
        assert_eq!(row[2], Cell::Wrong { run: 1, reason: "stdout line 1: expected `sum 42`, got `sum 41`".into() });
        assert_eq!(row[3], Cell::Missing("not installed".into()));
        assert_eq!(r.wrong(), [("good", "broken", 1, "stdout line 1: expected `sum 42`, got `sum 41`")]);
        // Engines alternate within each round; the broken one is not run again.
        assert_eq!(
            log.0.borrow().as_slice(),
            [
                "good/native/1",
                "good/fine/1",
                "good/broken/1",
                "good/fine/2",
                "good/native/2",
                "good/native/3",
                "good/fine/3"
            ]
        );
    }

    #[test]
    fn thread_counts_of_one_program_take_turns() {
        let f = fake("turns", &[("a", "echo sum 42\n"), ("p", "echo sum 42\n")]);
        // The fake suite as a, p@1, p@2 (both run bin/p and p's native).
        let workloads = parse_manifest(&f.dir, "a 1 x\np@1 1 threads\np@2 1 threads\n").unwrap();
        let natives = vec![f.natives[0].clone(), f.natives[1].clone(), f.natives[1].clone()];
        let engines = vec![crate::engine::native(), sh_engine("fine", &[])];
        let plan = Plan {
            workloads: &workloads,
            natives: &natives,
            engines: &engines,
            runs: 2,
            quick: false,
            timeout: Duration::from_secs(60),
        };
        let scratch = Scratch::new(&f.dir).unwrap();
        let expected = plan.references(&scratch).unwrap();
        let log = Log::default();
        let r = plan.run(&expected, &scratch, &log).unwrap();
        assert_eq!(r.cells.len(), 3);
        assert!(r.cells.iter().flatten().all(|c| c.summary().is_some_and(|s| s.wall_s.len() == 2)));
        assert_eq!(
            log.0.borrow().as_slice(),
            [
                "a/native/1",
                "a/fine/1",
                "a/fine/2",
                "a/native/2",
                "p@1/native/1",
                "p@1/fine/1",
                "p@2/native/1",
                "p@2/fine/1",
                "p@1/fine/2",
                "p@1/native/2",
                "p@2/fine/2",
                "p@2/native/2"
            ]
        );
    }

    #[test]
    fn crash_and_timeout_are_wrong() {
        let f = fake("crash", &[("crashes", "kill -SEGV $$\n"), ("hangs", "exec sleep 30\n")]);
        let engines = vec![sh_engine("fake", &[])];
        let plan = Plan {
            workloads: &f.workloads,
            natives: &f.natives,
            engines: &engines,
            runs: 1,
            quick: false,
            timeout: Duration::from_millis(300),
        };
        let scratch = Scratch::new(&f.dir).unwrap();
        let expected = plan.references(&scratch).unwrap();
        let r = plan.run(&expected, &scratch, &NoProgress).unwrap();
        assert_eq!(
            r.cells[0][0],
            Cell::Wrong { run: 1, reason: "killed by signal 11 (expected exit status 0)".into() }
        );
        assert!(matches!(&r.cells[1][0], Cell::Wrong { reason, .. } if reason.starts_with("timed out")));
        assert_eq!(plan.total_runs(), 2);
    }

    #[test]
    fn failing_reference_is_an_error() {
        let f = fake("badref", &[("x", "echo\n")]);
        std::fs::write(&f.natives[0], "#!/bin/sh\nexit 1\n").unwrap();
        let plan = Plan {
            workloads: &f.workloads,
            natives: &f.natives,
            engines: &[],
            runs: 1,
            quick: false,
            timeout: Duration::from_secs(60),
        };
        let scratch = Scratch::new(Path::new(&f.dir)).unwrap();
        assert!(plan.references(&scratch).is_err());
    }
}
