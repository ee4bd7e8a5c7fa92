//! The report of a benchmark run: ratios and geomeans computed from the
//! checked results, rendered as terminal text, Markdown and JSON. Missing
//! engines and wrong runs appear in every form, never as numbers.

use serde::Serialize;

use crate::engine::Availability;
use crate::stats::geomean;
use crate::suite::{Cell, Results};
use crate::workload::Workload;

/// Where and how the numbers were taken.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub date: String,
    pub cpu: String,
    pub nproc: usize,
    pub kernel: String,
    /// `git describe --always --dirty` of the checkout, if any.
    pub commit: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.to_string()))
            .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
            .unwrap_or_else(|| "unknown".into());
        Machine {
            date: command_line_output("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]).unwrap_or_else(|| "unknown".into()),
            cpu,
            nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".into()),
            commit: command_line_output("git", &["describe", "--always", "--dirty"])
                .unwrap_or_else(|| "unknown".into()),
        }
    }
}

fn command_line_output(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[derive(Clone, Debug, Serialize)]
pub struct EngineReport {
    pub name: String,
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResultReport {
    pub engine: String,
    /// "ok", "wrong" or "missing".
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For "wrong": which run (1-based) was wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrong_run: Option<usize>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<crate::suite::Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_native: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_qemu: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkloadReport {
    pub name: String,
    pub description: String,
    /// The size argument (the quick size), or null for the default size.
    pub arg: Option<String>,
    /// `bin/PROGRAM` (the name without `@THREADS`).
    pub program: String,
    /// For a threaded workload (`PROGRAM@THREADS`): the thread count. These
    /// are left out of the suite's geomeans (see `Geomean`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    /// Every argument the program got (thread count, then `arg`).
    pub args: Vec<String>,
    pub results: Vec<ResultReport>,
}

impl WorkloadReport {
    fn is_startup(&self) -> bool {
        self.description.starts_with("startup")
    }

    fn is_threaded(&self) -> bool {
        self.threads.is_some()
    }
}

/// Geomeans of one engine's ratios. The threaded workloads are left out of
/// `vs_native`, `steady_vs_native` and `vs_qemu` (so these stay comparable
/// with runs made before they existed) and have their own `threads_*`.
#[derive(Clone, Debug, Serialize)]
pub struct Geomean {
    pub engine: String,
    /// Geomean of wall-time ratios to native over `count_native` workloads.
    pub vs_native: Option<f64>,
    pub count_native: usize,
    /// The same without the start-up workloads.
    pub steady_vs_native: Option<f64>,
    pub vs_qemu: Option<f64>,
    pub count_qemu: usize,
    /// The threaded workloads alone: ratios to native and to qemu.
    pub threads_vs_native: Option<f64>,
    pub threads_count_native: usize,
    pub threads_vs_qemu: Option<f64>,
    pub threads_count_qemu: usize,
}

/// Thread scaling of one threaded program: the speed-up of `workload`
/// (`threads` threads) over `base_workload` (the fewest threads run of the
/// same program), which does the same total work.
#[derive(Clone, Debug, Serialize)]
pub struct Scaling {
    pub program: String,
    pub workload: String,
    pub threads: u32,
    pub base_workload: String,
    pub base_threads: u32,
    /// One per engine, in report order.
    pub speedups: Vec<Speedup>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Speedup {
    pub engine: String,
    /// "ok", or "missing" / "wrong" when either workload's result is.
    pub status: &'static str,
    /// Median wall time of `base_workload` / median wall time of `workload`
    /// (above 1: more threads are faster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Wrong {
    pub workload: String,
    pub engine: String,
    pub run: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    /// The command line that produced this report.
    pub command: String,
    pub machine: Machine,
    pub runs: usize,
    pub quick: bool,
    pub engines: Vec<EngineReport>,
    pub workloads: Vec<WorkloadReport>,
    pub geomeans: Vec<Geomean>,
    /// Thread scaling of the threaded programs run with several thread counts.
    pub scaling: Vec<Scaling>,
    /// Every run whose output was wrong; these have no numbers.
    pub wrong: Vec<Wrong>,
}

impl Report {
    pub fn new(results: &Results, machine: Machine, command: String, runs: usize, quick: bool) -> Report {
        let col = |name: &str| results.engines.iter().position(|e| e.name == name);
        let (native, qemu) = (col("native"), col("qemu"));
        let wall = |row: &[Cell], c: Option<usize>| c.and_then(|c| row[c].summary()).map(|s| s.median_wall_s);
        let engines = results
            .engines
            .iter()
            .map(|e| EngineReport {
                name: e.name.clone(),
                available: e.is_available(),
                missing: match &e.availability {
                    Availability::Missing(why) => Some(why.clone()),
                    Availability::Available => None,
                },
            })
            .collect();
        let mut workloads = Vec::new();
        for (w, row) in results.workloads.iter().zip(&results.cells) {
            let (n, q) = (wall(row, native), wall(row, qemu));
            let results = results
                .engines
                .iter()
                .zip(row)
                .map(|(e, cell)| {
                    let mut r = ResultReport {
                        engine: e.name.clone(),
                        status: "ok",
                        reason: None,
                        wrong_run: None,
                        numbers: None,
                        ratio_native: None,
                        ratio_qemu: None,
                    };
                    match cell {
                        Cell::Ok(s) => {
                            r.ratio_native = n.map(|n| s.median_wall_s / n);
                            r.ratio_qemu = q.map(|q| s.median_wall_s / q);
                            r.numbers = Some(s.clone());
                        }
                        Cell::Missing(why) => {
                            r.status = "missing";
                            r.reason = Some(why.clone());
                        }
                        Cell::Wrong { run, reason } => {
                            r.status = "wrong";
                            r.reason = Some(reason.clone());
                            r.wrong_run = Some(*run);
                        }
                    }
                    r
                })
                .collect();
            workloads.push(WorkloadReport {
                name: w.name.clone(),
                description: w.description.clone(),
                arg: quick.then(|| w.quick_arg.clone()),
                program: w.program.clone(),
                threads: w.threads,
                args: w.args(quick),
                results,
            });
        }
        let geomeans = results
            .engines
            .iter()
            .enumerate()
            .map(|(ei, e)| {
                let ratios = |which: fn(&Workload) -> bool, field: fn(&ResultReport) -> Option<f64>| -> Vec<f64> {
                    workloads
                        .iter()
                        .zip(&results.workloads)
                        .filter(|(_, w)| which(w))
                        .filter_map(|(wr, _)| field(&wr.results[ei]))
                        .collect()
                };
                let suite: fn(&Workload) -> bool = |w| !w.is_threaded();
                let vn = ratios(suite, |r| r.ratio_native);
                let vq = ratios(suite, |r| r.ratio_qemu);
                let tn = ratios(Workload::is_threaded, |r| r.ratio_native);
                let tq = ratios(Workload::is_threaded, |r| r.ratio_qemu);
                Geomean {
                    engine: e.name.clone(),
                    vs_native: geomean(&vn),
                    count_native: vn.len(),
                    steady_vs_native: geomean(&ratios(|w| !w.is_threaded() && !w.is_startup(), |r| r.ratio_native)),
                    vs_qemu: geomean(&vq),
                    count_qemu: vq.len(),
                    threads_vs_native: geomean(&tn),
                    threads_count_native: tn.len(),
                    threads_vs_qemu: geomean(&tq),
                    threads_count_qemu: tq.len(),
                }
            })
            .collect();
        let scaling = scaling(&workloads);
        let wrong = results
            .wrong()
            .into_iter()
            .map(|(w, e, run, reason)| Wrong { workload: w.into(), engine: e.into(), run, reason: reason.into() })
            .collect();
        Report { tool: "ferrovm-bench", command, machine, runs, quick, engines, workloads, geomeans, scaling, wrong }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The summary matrix: median wall time per workload and engine with the
    /// ratio to native, then the geomeans.
    pub fn summary_table(&self) -> Table {
        let mut t =
            Table::new(std::iter::once("workload".to_string()).chain(self.engines.iter().map(|e| e.name.clone())));
        for w in &self.workloads {
            let mut row = vec![w.name.clone()];
            for r in &w.results {
                row.push(match (r.status, &r.numbers) {
                    ("ok", Some(s)) => match r.ratio_native {
                        Some(x) if r.engine != "native" => format!("{} ({})", secs(s.median_wall_s), times(x)),
                        _ => secs(s.median_wall_s),
                    },
                    ("wrong", _) => "WRONG".into(),
                    _ => "missing".into(),
                });
            }
            t.push(row);
        }
        let geo = |label: &str, f: &dyn Fn(&Geomean) -> Option<(f64, usize)>| {
            let mut row = vec![label.to_string()];
            for g in &self.geomeans {
                row.push(match f(g) {
                    Some((x, n)) if n == self.workloads.len() => times(x),
                    Some((x, n)) => format!("{} (of {n})", times(x)),
                    None => "-".into(),
                });
            }
            row
        };
        // The suite's rows, unless the run has only threaded workloads.
        if self.threaded().count() < self.workloads.len() {
            t.push(geo("geomean vs native", &|g| g.vs_native.map(|x| (x, g.count_native))));
            let steady = self.workloads.iter().filter(|w| !w.is_startup() && !w.is_threaded()).count();
            t.push(geo("geomean vs native, steady", &|g| g.steady_vs_native.map(|x| (x, steady))));
            t.push(geo("geomean vs qemu", &|g| g.vs_qemu.map(|x| (x, g.count_qemu))));
        }
        if self.threaded().next().is_some() {
            t.push(geo("geomean vs native, threads", &|g| g.threads_vs_native.map(|x| (x, g.threads_count_native))));
            t.push(geo("geomean vs qemu, threads", &|g| g.threads_vs_qemu.map(|x| (x, g.threads_count_qemu))));
        }
        t
    }

    fn threaded(&self) -> impl Iterator<Item = &WorkloadReport> {
        self.workloads.iter().filter(|w| w.is_threaded())
    }

    /// Says which workloads the geomean rows leave out (none without
    /// threaded workloads).
    pub fn geomean_note(&self) -> Option<String> {
        let names: Vec<&str> = self.threaded().map(|w| w.name.as_str()).collect();
        (!names.is_empty()).then(|| {
            format!(
                "The geomean rows leave out the {} threaded workloads ({}); the `threads` rows are over those alone.",
                names.len(),
                names.join(", ")
            )
        })
    }

    /// Speed-up of each threaded program's larger thread counts over its
    /// fewest, per engine: `parallel: 2 vs 1 threads | 1.98x | ...`.
    pub fn scaling_table(&self) -> Table {
        let mut t =
            Table::new(std::iter::once("threads".to_string()).chain(self.engines.iter().map(|e| e.name.clone())));
        for s in &self.scaling {
            let mut row = vec![format!("{}: {} vs {} threads", s.program, s.threads, s.base_threads)];
            row.extend(s.speedups.iter().map(|x| match (x.status, x.speedup) {
                ("ok", Some(v)) => times(v),
                ("wrong", _) => "WRONG".into(),
                _ => "missing".into(),
            }));
            t.push(row);
        }
        t
    }

    fn scaling_heading(&self) -> &'static str {
        "Thread scaling: speed-up of N threads over the fewest (median wall time with the fewest / with N; \
         the same total work; above 1x is faster):"
    }

    /// One row per (workload, available engine): wall, user+sys, peak RSS, ratios.
    pub fn detail_table(&self) -> Table {
        let mut t = Table::new(
            ["workload", "engine", "wall s", "user+sys s", "peak RSS MiB", "vs native", "vs qemu"].map(String::from),
        );
        for w in &self.workloads {
            for r in &w.results {
                let cells = match (&r.numbers, r.status) {
                    (Some(s), _) => vec![
                        secs(s.median_wall_s),
                        secs(s.median_cpu_s),
                        format!("{:.1}", s.max_rss_kib as f64 / 1024.0),
                        r.ratio_native.map(times).unwrap_or_else(|| "-".into()),
                        r.ratio_qemu.map(times).unwrap_or_else(|| "-".into()),
                    ],
                    (None, "wrong") => vec!["WRONG".into(), String::new(), String::new(), String::new(), String::new()],
                    _ => continue,
                };
                t.push([w.name.clone(), r.engine.clone()].into_iter().chain(cells).collect());
            }
        }
        t
    }

    /// Lines saying which engines are missing and which runs were wrong.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.engines {
            if let Some(why) = &e.missing {
                out.push(format!("MISSING engine {}: {why}", e.name));
            }
        }
        for w in &self.wrong {
            out.push(format!(
                "WRONG (no number reported): {} under {}, run {}: {}",
                w.workload, w.engine, w.run, w.reason
            ));
        }
        out
    }

    pub fn header(&self) -> String {
        let m = &self.machine;
        format!(
            "{} on {} ({} CPUs), Linux {}, ferrovm {}; {} run(s) per engine, {} sizes; times are medians",
            m.date,
            m.cpu,
            m.nproc,
            m.kernel,
            m.commit,
            self.runs,
            if self.quick { "quick" } else { "default" }
        )
    }

    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n\nMedian wall time in seconds (ratio to native):\n", self.header());
        s.push_str(&self.summary_table().plain());
        if let Some(note) = self.geomean_note() {
            s.push_str(&format!("{note}\n"));
        }
        if !self.scaling.is_empty() {
            s.push_str(&format!("\n{}\n", self.scaling_heading()));
            s.push_str(&self.scaling_table().plain());
        }
        s.push_str(
            "\nPer engine: median wall and user+sys time, peak RSS (max over runs), ratios of median wall time:\n",
        );
        s.push_str(&self.detail_table().plain());
        for n in self.notes() {
            s.push_str(&format!("{n}\n"));
        }
        s
    }

    pub fn to_markdown(&self) -> String {
        let mut s = format!("{}.\n\nMedian wall time in seconds (ratio to native):\n\n", self.header());
        s.push_str(&self.summary_table().markdown());
        if let Some(note) = self.geomean_note() {
            s.push_str(&format!("\n{note}\n"));
        }
        if !self.scaling.is_empty() {
            s.push_str(&format!("\n{}\n\n", self.scaling_heading()));
            s.push_str(&self.scaling_table().markdown());
        }
        s.push_str("\nMedian wall and user+sys time, peak RSS (max over runs), ratios of median wall time:\n\n");
        s.push_str(&self.detail_table().markdown());
        let notes = self.notes();
        if !notes.is_empty() {
            s.push('\n');
            for n in notes {
                s.push_str(&format!("- {n}\n"));
            }
        }
        s
    }
}

/// Pairs each threaded program's runs with more threads with its run with
/// the fewest, in report order.
fn scaling(workloads: &[WorkloadReport]) -> Vec<Scaling> {
    let mut out = Vec::new();
    let mut programs: Vec<&str> = Vec::new();
    for w in workloads.iter().filter(|w| w.is_threaded()) {
        if !programs.contains(&w.program.as_str()) {
            programs.push(&w.program);
        }
    }
    for p in programs {
        let mut runs: Vec<&WorkloadReport> = workloads.iter().filter(|w| w.program == p && w.is_threaded()).collect();
        runs.sort_by_key(|w| w.threads);
        let Some((base, more)) = runs.split_first() else { continue };
        for w in more {
            let speedups = base
                .results
                .iter()
                .zip(&w.results)
                .map(|(b, r)| {
                    let status = if b.status == "missing" || r.status == "missing" {
                        "missing"
                    } else if b.status == "wrong" || r.status == "wrong" {
                        "wrong"
                    } else {
                        "ok"
                    };
                    let wall = |x: &ResultReport| x.numbers.as_ref().map(|s| s.median_wall_s);
                    let speedup = match (wall(b), wall(r)) {
                        (Some(b), Some(r)) if status == "ok" && r > 0.0 => Some(b / r),
                        _ => None,
                    };
                    Speedup { engine: r.engine.clone(), status, speedup }
                })
                .collect();
            out.push(Scaling {
                program: p.to_string(),
                workload: w.name.clone(),
                threads: w.threads.unwrap_or(1),
                base_workload: base.name.clone(),
                base_threads: base.threads.unwrap_or(1),
                speedups,
            });
        }
    }
    out
}

fn secs(s: f64) -> String {
    if s < 0.1 {
        format!("{s:.4}")
    } else if s < 10.0 {
        format!("{s:.3}")
    } else {
        format!("{s:.1}")
    }
}

fn times(x: f64) -> String {
    if x < 10.0 { format!("{x:.2}x") } else { format!("{x:.1}x") }
}

/// A table of strings, rendered as aligned text or as Markdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(head: impl IntoIterator<Item = String>) -> Table {
        Table { head: head.into_iter().collect(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, c) in row.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
        }
        w
    }

    /// Aligned columns: the first left-aligned, the others right-aligned.
    pub fn plain(&self) -> String {
        let w = self.widths();
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let width = w.get(i).copied().unwrap_or(0);
                if i == 0 {
                    s.push_str(&format!("{c:<width$}"));
                } else {
                    s.push_str(&format!("  {c:>width$}"));
                }
            }
            s.trim_end().to_string() + "\n"
        };
        let mut s = line(&self.head);
        s.push_str(&format!("{}\n", "-".repeat(w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1))));
        for row in &self.rows {
            s.push_str(&line(row));
        }
        s
    }

    pub fn markdown(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut s = line(&self.head);
        let align: Vec<String> =
            (0..self.head.len()).map(|i| if i == 0 { ":--".to_string() } else { "--:".to_string() }).collect();
        s.push_str(&line(&align));
        for row in &self.rows {
            s.push_str(&line(row));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::{Engine, Runner};
    use crate::suite::Summary;
    use crate::workload::parse_manifest;

    fn ok(wall: f64) -> Cell {
        Cell::Ok(Summary {
            wall_s: vec![wall],
            cpu_s: vec![wall],
            median_wall_s: wall,
            median_cpu_s: wall,
            max_rss_kib: 2048,
        })
    }

    fn engine(name: &str, missing: Option<&str>) -> Engine {
        Engine {
            name: name.into(),
            availability: missing.map_or(Availability::Available, |m| Availability::Missing(m.into())),
            runner: Runner::Native,
        }
    }

    fn results() -> Results {
        Results {
            workloads: parse_manifest(Path::new("/w"), "a 1 x\nb 1 x\nhello 1 startup: hi\n").unwrap(),
            engines: vec![
                engine("native", None),
                engine("qemu", None),
                engine("interp", None),
                engine("jit", Some("not implemented yet")),
            ],
            cells: vec![
                vec![ok(1.0), ok(4.0), ok(16.0), Cell::Missing("not implemented yet".into())],
                vec![
                    ok(2.0),
                    ok(2.0),
                    Cell::Wrong { run: 2, reason: "stdout line 1: bad".into() },
                    Cell::Missing("n".into()),
                ],
                vec![ok(0.001), ok(0.004), ok(0.002), Cell::Missing("n".into())],
            ],
        }
    }

    fn machine() -> Machine {
        Machine { date: "d".into(), cpu: "c".into(), nproc: 2, kernel: "k".into(), commit: "g".into() }
    }

    #[test]
    fn ratios_and_geomeans_skip_wrong_and_missing() {
        let r = Report::new(&results(), machine(), "cmd".into(), 1, false);
        let interp = &r.geomeans[2];
        // a: 16x native, hello: 2x native; b is wrong and not counted.
        assert_eq!(interp.count_native, 2);
        assert!((interp.vs_native.unwrap() - (16.0f64 * 2.0).sqrt()).abs() < 1e-9);
        assert!((interp.steady_vs_native.unwrap() - 16.0).abs() < 1e-9);
        assert!((interp.vs_qemu.unwrap() - (4.0f64 * 0.5).sqrt()).abs() < 1e-9);
        assert_eq!(r.geomeans[3].vs_native, None);
        assert_eq!(r.geomeans[3].count_native, 0);
        let b_interp = &r.workloads[1].results[2];
        assert_eq!(b_interp.status, "wrong");
        assert!(b_interp.numbers.is_none() && b_interp.ratio_native.is_none());
    }

    #[test]
    fn wrong_and_missing_show_in_every_form() {
        let r = Report::new(&results(), machine(), "cmd".into(), 1, false);
        let text = r.to_text();
        assert!(text.contains("WRONG (no number reported): b under interp, run 2: stdout line 1: bad"));
        assert!(text.contains("MISSING engine jit: not implemented yet"));
        let summary = r.summary_table();
        assert_eq!(summary.rows[1], ["b", "2.000", "2.000 (1.00x)", "WRONG", "missing"]);
        assert_eq!(summary.rows[0][2], "4.000 (4.00x)");
        assert_eq!(summary.rows[3][3], "5.66x (of 2)");
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["wrong"][0]["engine"], "interp");
        assert_eq!(json["workloads"][1]["results"][2]["status"], "wrong");
        assert!(json["workloads"][1]["results"][2].get("median_wall_s").is_none());
        assert_eq!(json["workloads"][0]["results"][2]["median_wall_s"], 16.0);
        assert_eq!(json["engines"][3]["missing"], "not implemented yet");
        assert!(r.to_markdown().contains("| b | 2.000 | 2.000 (1.00x) | WRONG | missing |"));
    }

    /// `a` and `hello` as in `results()`, then a threaded program at 1 and 2
    /// threads and one at 2 and 4 (whose 4-thread run is wrong under qemu).
    fn threaded_results() -> Results {
        let manifest = "a 1 x\nhello 1 startup: hi\npar@1 1 threads: p\npar@2 1 threads: p\n\
                        lk@2 1 [no-validate] threads: l\nlk@4 1 [no-validate] threads: l\n";
        let wrong = || Cell::Wrong { run: 1, reason: "exit status 1".into() };
        Results {
            workloads: parse_manifest(Path::new("/w"), manifest).unwrap(),
            engines: vec![engine("native", None), engine("qemu", None), engine("jit", Some("n"))],
            cells: vec![
                vec![ok(1.0), ok(4.0), Cell::Missing("n".into())],
                vec![ok(0.001), ok(0.004), Cell::Missing("n".into())],
                vec![ok(2.0), ok(8.0), Cell::Missing("n".into())],
                vec![ok(1.0), ok(5.0), Cell::Missing("n".into())],
                vec![ok(1.0), ok(2.0), Cell::Missing("n".into())],
                vec![ok(1.5), wrong(), Cell::Missing("n".into())],
            ],
        }
    }

    #[test]
    fn threaded_workloads_have_their_own_geomeans_and_scaling() {
        let r = Report::new(&threaded_results(), machine(), "cmd".into(), 1, true);
        let q = &r.geomeans[1];
        // The suite's geomeans are those of `a` and `hello` alone.
        assert_eq!((q.count_native, q.count_qemu), (2, 2));
        assert!((q.vs_native.unwrap() - 4.0).abs() < 1e-9);
        assert!((q.steady_vs_native.unwrap() - 4.0).abs() < 1e-9);
        // Threads: par@1 4x, par@2 5x, lk@2 2x native; lk@4 is wrong.
        assert_eq!(q.threads_count_native, 3);
        assert!((q.threads_vs_native.unwrap() - 40.0f64.cbrt()).abs() < 1e-9);
        assert_eq!(r.geomeans[0].threads_count_qemu, 3);
        assert_eq!(r.geomeans[2].threads_vs_native, None);

        assert_eq!(r.scaling.len(), 2);
        let par = &r.scaling[0];
        assert_eq!((par.program.as_str(), par.threads, par.base_threads), ("par", 2, 1));
        assert_eq!((par.workload.as_str(), par.base_workload.as_str()), ("par@2", "par@1"));
        assert_eq!(par.speedups[0].speedup, Some(2.0));
        assert_eq!(par.speedups[1].speedup, Some(8.0 / 5.0));
        assert_eq!(par.speedups[2].status, "missing");
        let lk = &r.scaling[1];
        assert_eq!((lk.threads, lk.base_threads), (4, 2));
        assert_eq!((lk.speedups[1].status, lk.speedups[1].speedup), ("wrong", None));

        let table = r.scaling_table();
        assert_eq!(table.head, ["threads", "native", "qemu", "jit"]);
        assert_eq!(table.rows[0], ["par: 2 vs 1 threads", "2.00x", "1.60x", "missing"]);
        assert_eq!(table.rows[1], ["lk: 4 vs 2 threads", "0.67x", "WRONG", "missing"]);

        let summary = r.summary_table();
        let labels: Vec<&str> = summary.rows.iter().map(|row| row[0].as_str()).collect();
        assert_eq!(
            &labels[6..],
            [
                "geomean vs native",
                "geomean vs native, steady",
                "geomean vs qemu",
                "geomean vs native, threads",
                "geomean vs qemu, threads"
            ]
        );
        assert_eq!(summary.rows[6][2], "4.00x (of 2)");
        assert_eq!(summary.rows[9][2], "3.42x (of 3)");

        let note = "The geomean rows leave out the 4 threaded workloads (par@1, par@2, lk@2, lk@4)";
        let text = r.to_text();
        assert!(text.contains(note));
        assert!(text.contains("Thread scaling: speed-up of N threads over the fewest"));
        assert!(text.contains("par: 2 vs 1 threads"));
        let md = r.to_markdown();
        assert!(md.contains(note));
        assert!(md.contains("| par: 2 vs 1 threads | 2.00x | 1.60x | missing |"));

        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["scaling"][0]["speedups"][0]["speedup"], 2.0);
        assert_eq!(json["scaling"][1]["speedups"][1]["status"], "wrong");
        assert_eq!(json["workloads"][3]["threads"], 2);
        assert_eq!(json["workloads"][3]["program"], "par");
        assert_eq!(json["workloads"][3]["args"], serde_json::json!(["2", "1"]));
        assert_eq!(json["workloads"][3]["arg"], "1");
        assert!(json["workloads"][0].get("threads").is_none());
        assert_eq!(json["geomeans"][1]["threads_count_native"], 3);
    }

    #[test]
    fn only_threaded_workloads_only_threads_rows() {
        let mut res = threaded_results();
        res.workloads.drain(..2);
        res.cells.drain(..2);
        let r = Report::new(&res, machine(), "cmd".into(), 1, false);
        let labels: Vec<String> = r.summary_table().rows.into_iter().map(|row| row[0].clone()).collect();
        assert_eq!(&labels[4..], ["geomean vs native, threads", "geomean vs qemu, threads"]);
    }

    #[test]
    fn no_threaded_workloads_no_threads_rows() {
        let r = Report::new(&results(), machine(), "cmd".into(), 1, false);
        assert_eq!(r.summary_table().rows.len(), 6);
        assert!(r.scaling.is_empty() && r.geomean_note().is_none());
        assert!(!r.to_text().contains("Thread scaling"));
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["scaling"], serde_json::json!([]));
    }

    #[test]
    fn plain_table_aligns() {
        let mut t = Table::new(["a".to_string(), "bb".to_string()]);
        t.push(vec!["xyz".into(), "1".into()]);
        assert_eq!(t.plain(), "a    bb\n-------\nxyz   1\n");
    }
}
