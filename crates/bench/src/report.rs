//! The report of a benchmark run: ratios and geomeans computed from the
//! checked results, rendered as terminal text, Markdown and JSON. Missing
//! engines and wrong runs appear in every form, never as numbers.

use serde::Serialize;

use crate::engine::Availability;
use crate::stats::geomean;
use crate::suite::{Cell, Results};

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
    /// argv[1], or null for the default size.
    pub arg: Option<String>,
    pub results: Vec<ResultReport>,
}

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
                results,
            });
        }
        let geomeans = results
            .engines
            .iter()
            .enumerate()
            .map(|(ei, e)| {
                let ratios = |steady: bool, field: fn(&ResultReport) -> Option<f64>| -> Vec<f64> {
                    workloads
                        .iter()
                        .zip(&results.workloads)
                        .filter(|(_, w)| !(steady && w.is_startup()))
                        .filter_map(|(wr, _)| field(&wr.results[ei]))
                        .collect()
                };
                let vn = ratios(false, |r| r.ratio_native);
                let vq = ratios(false, |r| r.ratio_qemu);
                Geomean {
                    engine: e.name.clone(),
                    vs_native: geomean(&vn),
                    count_native: vn.len(),
                    steady_vs_native: geomean(&ratios(true, |r| r.ratio_native)),
                    vs_qemu: geomean(&vq),
                    count_qemu: vq.len(),
                }
            })
            .collect();
        let wrong = results
            .wrong()
            .into_iter()
            .map(|(w, e, run, reason)| Wrong { workload: w.into(), engine: e.into(), run, reason: reason.into() })
            .collect();
        Report { tool: "ferrovm-bench", command, machine, runs, quick, engines, workloads, geomeans, wrong }
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
        t.push(geo("geomean vs native", &|g| g.vs_native.map(|x| (x, g.count_native))));
        let steady = self.workloads.len() - self.startup_count();
        t.push(geo("geomean vs native, steady", &|g| g.steady_vs_native.map(|x| (x, steady))));
        t.push(geo("geomean vs qemu", &|g| g.vs_qemu.map(|x| (x, g.count_qemu))));
        t
    }

    fn startup_count(&self) -> usize {
        self.workloads.iter().filter(|w| w.description.starts_with("startup")).count()
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

    #[test]
    fn plain_table_aligns() {
        let mut t = Table::new(["a".to_string(), "bb".to_string()]);
        t.push(vec!["xyz".into(), "1".into()]);
        assert_eq!(t.plain(), "a    bb\n-------\nxyz   1\n");
    }
}
