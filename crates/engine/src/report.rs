//! The performance report: every statistic of a run in one value
//! ([`Report`], from [`crate::Vm::report`]), printed by `--stats` and
//! written as JSON by `--stats-json` from the same list of entries, so the
//! two always agree.

use std::fmt;
use std::time::Duration;

use crate::Stats;

/// Durations of a kind of event (compiles, queue waits).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    /// Events.
    pub count: u64,
    /// Their total.
    pub total: Duration,
    /// Mean, median, 99th percentile and maximum.
    pub mean: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Distribution {
    /// Of `samples` (reordered).
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Distribution::default();
        }
        samples.sort_unstable();
        let n = samples.len();
        let at = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        let total: Duration = samples.iter().sum();
        Distribution {
            count: n as u64,
            total,
            mean: total / n as u32,
            p50: at(0.5),
            p99: at(0.99),
            max: samples[n - 1],
        }
    }
}

/// A translation the profiler found the guest in often.
#[derive(Clone, Debug, PartialEq)]
pub struct Hot {
    /// Guest pc of the translation (a region's entry, or a block).
    pub pc: u64,
    /// Samples that found a guest thread in it.
    pub samples: u64,
    /// Its share of all samples, `0..=1`.
    pub share: f64,
}

/// One value of the report.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A count.
    Count(u64),
    /// A duration (printed in ms, JSON in seconds).
    Time(Duration),
    /// A number.
    Number(f64),
    /// A name.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Time(d) => write!(f, "{:.3}ms", d.as_secs_f64() * 1e3),
            Value::Number(x) => write!(f, "{x:.4}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

impl Value {
    fn json(&self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Time(d) => format!("{:.9}", d.as_secs_f64()),
            Value::Number(x) if x.is_finite() => format!("{x:.6}"),
            Value::Number(_) => "null".into(),
            Value::Text(s) => json_string(s),
        }
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Everything about a run's tiering and code (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The counters, summed over every vCPU and compile worker.
    pub stats: Stats,
    /// The engine mode, the eviction policy and the cost model.
    pub mode: String,
    pub eviction: String,
    pub cost_model: String,
    /// Compile workers (0: compiles ran on guest threads).
    pub compile_threads: u64,
    /// The hotspot threshold ratio at the end.
    pub threshold_ratio: f64,
    /// Compile durations.
    pub compile: Distribution,
    /// How long compile requests waited in the queue.
    pub queue_wait: Distribution,
    /// Bytes of compiled code live now, the most ever live, the budget.
    pub code_bytes_live: u64,
    pub code_bytes_peak: u64,
    pub code_capacity: u64,
    /// Share of dispatcher lookups that hit the vCPU's local cache.
    pub lookup_hit_rate: f64,
    /// Share of returns the return-address stack predicted, of other
    /// indirect jumps their inline cache predicted, and of the inline
    /// caches' misses the jump cache caught (1 when there were none).
    pub ras_hit_rate: f64,
    pub ic_hit_rate: f64,
    pub jump_cache_hit_rate: f64,
    /// The cost model's compile-time predictions, on compiles it had not
    /// trained on: how many, mean absolute error (µs), mean relative error.
    pub model_samples: u64,
    pub model_error_us: f64,
    pub model_error_rel: f64,
    /// Measured time per guest instruction (ns) in the interpreter and in
    /// compiled code.
    pub interp_ns_per_insn: f64,
    pub native_ns_per_insn: f64,
    /// What a baseline compile of one block costs (µs), as the cost model
    /// has it: measured by the learned model, a constant in the fixed one.
    pub baseline_compile_us: f64,
    /// Profile samples taken, and the hottest translations among them.
    pub profile_samples: u64,
    pub hottest: Vec<Hot>,
}

/// `1 - misses / total` (1 with nothing counted).
pub(crate) fn hit_rate(misses: u64, total: u64) -> f64 {
    if total == 0 { 1.0 } else { 1.0 - misses.min(total) as f64 / total as f64 }
}

impl Report {
    /// Every scalar entry, in report order, with its key.
    pub fn entries(&self) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> =
            self.stats.fields().into_iter().map(|(k, v)| (format!("stats.{k}"), v)).collect();
        let text = |s: &str| Value::Text(s.to_string());
        out.extend([
            ("mode".into(), text(&self.mode)),
            ("eviction".into(), text(&self.eviction)),
            ("cost_model".into(), text(&self.cost_model)),
            ("compile_threads".into(), Value::Count(self.compile_threads)),
            ("threshold_ratio".into(), Value::Number(self.threshold_ratio)),
        ]);
        for (name, d) in [("compile", &self.compile), ("queue_wait", &self.queue_wait)] {
            out.extend([
                (format!("{name}.count"), Value::Count(d.count)),
                (format!("{name}.total"), Value::Time(d.total)),
                (format!("{name}.mean"), Value::Time(d.mean)),
                (format!("{name}.p50"), Value::Time(d.p50)),
                (format!("{name}.p99"), Value::Time(d.p99)),
                (format!("{name}.max"), Value::Time(d.max)),
            ]);
        }
        out.extend([
            ("code_bytes_live".into(), Value::Count(self.code_bytes_live)),
            ("code_bytes_peak".into(), Value::Count(self.code_bytes_peak)),
            ("code_capacity".into(), Value::Count(self.code_capacity)),
            ("lookup_hit_rate".into(), Value::Number(self.lookup_hit_rate)),
            ("ras_hit_rate".into(), Value::Number(self.ras_hit_rate)),
            ("ic_hit_rate".into(), Value::Number(self.ic_hit_rate)),
            ("jump_cache_hit_rate".into(), Value::Number(self.jump_cache_hit_rate)),
            ("model.samples".into(), Value::Count(self.model_samples)),
            ("model.error_us".into(), Value::Number(self.model_error_us)),
            ("model.error_rel".into(), Value::Number(self.model_error_rel)),
            ("interp_ns_per_insn".into(), Value::Number(self.interp_ns_per_insn)),
            ("native_ns_per_insn".into(), Value::Number(self.native_ns_per_insn)),
            ("baseline_compile_us".into(), Value::Number(self.baseline_compile_us)),
            ("profile_samples".into(), Value::Count(self.profile_samples)),
        ]);
        out
    }

    /// The report as one JSON object: every entry of [`Report::entries`]
    /// under its key, and `hottest` as a list.
    pub fn to_json(&self) -> String {
        let mut parts: Vec<String> =
            self.entries().iter().map(|(k, v)| format!("{}: {}", json_string(k), v.json())).collect();
        let hot: Vec<String> = self
            .hottest
            .iter()
            .map(|h| format!("{{\"pc\": {}, \"samples\": {}, \"share\": {:.6}}}", h.pc, h.samples, h.share))
            .collect();
        parts.push(format!("\"hottest\": [{}]", hot.join(", ")));
        format!("{{\n  {}\n}}\n", parts.join(",\n  "))
    }
}

impl fmt::Display for Report {
    /// One `key value` line per entry, then the hottest translations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in self.entries() {
            writeln!(f, "{k:<32} {v:>16}")?;
        }
        write!(f, "hottest ({} samples):", self.profile_samples)?;
        for h in &self.hottest {
            write!(f, "\n  {:#x} {:>6.2}% ({} samples)", h.pc, h.share * 100.0, h.samples)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_percentiles() {
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let d = Distribution::of(&mut v);
        assert_eq!(d.count, 100);
        assert_eq!(d.p50, Duration::from_micros(50));
        assert_eq!(d.p99, Duration::from_micros(99));
        assert_eq!(d.max, Duration::from_micros(100));
        assert_eq!(d.mean, Duration::from_nanos(50_500));
        assert_eq!(Distribution::of(&mut []), Distribution::default());
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
