//! The SVG chart: wall time relative to native per workload, one bar per
//! engine, log scale. Wrong results are marked WRONG instead of a bar;
//! missing engines are named in the legend.

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

use crate::report::Report;

const COLORS: [RGBColor; 6] = [
    RGBColor(0x4c, 0x72, 0xb0),
    RGBColor(0xdd, 0x84, 0x52),
    RGBColor(0x55, 0xa8, 0x68),
    RGBColor(0x81, 0x72, 0xb3),
    RGBColor(0x93, 0x78, 0x60),
    RGBColor(0xda, 0x8b, 0xc3),
];

pub fn write_svg(report: &Report, path: &Path) -> anyhow::Result<()> {
    let n = report.workloads.len();
    // Every engine but native gets a bar (native is the 1x line).
    let engines: Vec<usize> = (0..report.engines.len()).filter(|&e| report.engines[e].name != "native").collect();
    let ratios = report.workloads.iter().flat_map(|w| engines.iter().filter_map(|&e| w.results[e].ratio_native));
    let (lo, hi) = ratios.fold((1.0f64, 1.0f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let (lo, hi) = (lo / 2.0, hi * 2.0);

    let width = (160 + 80 * n.max(4)) as u32;
    let root = SVGBackend::new(path, (width, 560)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let caption = format!(
        "ferrovm-bench: wall time relative to native (log scale, lower is better) — {} run(s), {} sizes",
        report.runs,
        if report.quick { "quick" } else { "default" }
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n as f64, (lo..hi).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("time / native time")
        .y_label_formatter(&|y| if *y >= 1.0 { format!("{y:.0}x") } else { format!("{y:.2}x") })
        .draw()
        .map_err(|e| err(&e))?;

    let slot = 0.8 / engines.len().max(1) as f64;
    for (k, &e) in engines.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let info = &report.engines[e];
        let label = match &info.missing {
            Some(_) => format!("{} (missing)", info.name),
            None => info.name.clone(),
        };
        let bars: Vec<Rectangle<(f64, f64)>> = report
            .workloads
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let r = w.results[e].ratio_native?;
                let x0 = i as f64 + 0.1 + k as f64 * slot;
                Some(Rectangle::new([(x0, lo), (x0 + slot * 0.9, r)], color.filled()))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(|e| err(&e))?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        let wrong: Vec<Text<(f64, f64), String>> = report
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| w.results[e].status == "wrong")
            .map(|(i, _)| {
                let x = i as f64 + 0.1 + k as f64 * slot;
                Text::new("WRONG".to_string(), (x, lo * 1.3), ("sans-serif", 11).into_font().color(&RED))
            })
            .collect();
        chart.draw_series(wrong).map_err(|e| err(&e))?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(vec![(0.0, 1.0), (n as f64, 1.0)], BLACK)))
        .map_err(|e| err(&e))?
        .label("native = 1x")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], BLACK));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;

    // Workload names under their groups, in root (pixel) coordinates.
    let style = ("sans-serif", 13).into_font().color(&BLACK);
    for (i, w) in report.workloads.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, lo));
        let x = px - (w.name.len() as i32 * 7) / 2;
        root.draw(&Text::new(w.name.clone(), (x, py + 8), style.clone())).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::{Availability, Engine, Runner};
    use crate::report::Machine;
    use crate::suite::{Cell, Results, Summary};
    use crate::workload::parse_manifest;

    #[test]
    fn writes_an_svg_with_bars_wrong_marks_and_missing_engines() {
        let ok = |x: f64| {
            Cell::Ok(Summary { wall_s: vec![x], cpu_s: vec![x], median_wall_s: x, median_cpu_s: x, max_rss_kib: 1 })
        };
        let eng = |name: &str, a: Availability| Engine { name: name.into(), availability: a, runner: Runner::Native };
        let results = Results {
            workloads: parse_manifest(Path::new("/w"), "alu 1 x\nsort 1 y\n").unwrap(),
            engines: vec![
                eng("native", Availability::Available),
                eng("interp", Availability::Available),
                eng("jit", Availability::Missing("no".into())),
            ],
            cells: vec![
                vec![ok(1.0), ok(30.0), Cell::Missing("no".into())],
                vec![ok(1.0), Cell::Wrong { run: 1, reason: "r".into() }, Cell::Missing("no".into())],
            ],
        };
        let machine = Machine { date: "d".into(), cpu: "c".into(), nproc: 1, kernel: "k".into(), commit: "g".into() };
        let report = Report::new(&results, machine, "cmd".into(), 1, true);
        let path = std::env::temp_dir().join(format!("ferrovm-bench-test-{}.svg", std::process::id()));
        write_svg(&report, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(svg.starts_with("<svg"));
        for needle in ["alu", "sort", "WRONG", "jit (missing)", "interp", "native = 1x"] {
            assert!(svg.contains(needle), "svg lacks {needle}");
        }
    }
}
