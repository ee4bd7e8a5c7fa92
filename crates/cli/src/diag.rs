//! `-d LIST` and `-D FILE`: QEMU's logging options. The engine and the
//! Linux layer emit `tracing` events, one target per category
//! (`ferrovm_engine::log`); this module parses the list, sets the engine
//! configuration the per-block categories need, and installs a subscriber
//! that writes the selected events' text, one event a line (or several),
//! to stderr or to FILE, as QEMU's log does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use ferrovm_engine::log::{CATEGORIES, category};
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata};

/// The logging options of `ferrovm run` and `ferrovm-riscv64`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LogArgs {
    /// Log the comma-separated categories (QEMU's -d): in_asm, op, op_opt,
    /// out_asm, exec, cpu, int, strace, unimp, page, nochain, and
    /// ferrovm's tier and cache. `-d help` lists them.
    #[arg(short = 'd', value_name = "LIST")]
    pub log: Option<String>,
    /// Write the log to FILE instead of stderr (QEMU's -D).
    #[arg(short = 'D', value_name = "FILE")]
    pub logfile: Option<PathBuf>,
}

/// What `-d` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `tracing` targets to write.
    pub targets: Vec<&'static str>,
    /// `nochain`: no chaining of compiled code.
    pub nochain: bool,
    /// `exec` and `cpu`: per-block events.
    pub exec: bool,
    pub cpu: bool,
}

impl Selection {
    /// Whether `name` (a category) was asked for.
    pub fn has(&self, name: &str) -> bool {
        category(name).is_some_and(|c| self.targets.contains(&c.target))
    }
}

/// `-d help`'s text (QEMU's layout: name, then what it shows).
pub fn help() -> String {
    let mut out = String::from("Log items (comma separated):\n");
    for c in CATEGORIES {
        out.push_str(&format!("{:<15} {}\n", c.name, c.help));
    }
    out.push_str(&format!(
        "{:<15} {}\n",
        "nochain", "do not chain compiled code, so that exec and cpu show complete traces"
    ));
    out
}

/// Parses `-d LIST`; `Ok(None)` for `help`.
pub fn parse(list: &str) -> anyhow::Result<Option<Selection>> {
    let mut sel = Selection::default();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item {
            "help" | "?" => return Ok(None),
            "nochain" => sel.nochain = true,
            name => {
                let Some(c) = category(name) else { bail!("-d: unknown log category `{name}` (`-d help` lists them)") };
                sel.exec |= name == "exec";
                sel.cpu |= name == "cpu";
                if !sel.targets.contains(&c.target) {
                    sel.targets.push(c.target);
                }
            }
        }
    }
    Ok(Some(sel))
}

/// Where the log goes.
enum Sink {
    Stderr,
    File(std::fs::File),
}

/// Writes the `message` of every event of the selected targets, plus
/// warnings of any `ferrovm::` target, as QEMU's log does.
struct LogWriter {
    targets: Vec<&'static str>,
    sink: Mutex<Sink>,
}

impl LogWriter {
    fn wants(&self, m: &Metadata<'_>) -> bool {
        self.targets.contains(&m.target()) || (*m.level() <= tracing::Level::WARN && m.target().starts_with("ferrovm"))
    }
}

/// Takes the `message` field of an event.
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for LogWriter {
    fn register_callsite(&self, m: &'static Metadata<'static>) -> Interest {
        if self.wants(m) { Interest::always() } else { Interest::never() }
    }

    fn enabled(&self, m: &Metadata<'_>) -> bool {
        self.wants(m)
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut msg = Message(String::new());
        event.record(&mut msg);
        if *event.metadata().level() <= tracing::Level::WARN {
            msg.0 = format!("ferrovm: warning: {}", msg.0);
        }
        msg.0.push('\n');
        // One write a line, so that processes sharing the file (fork)
        // never interleave inside a line.
        let mut sink = self.sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = match &mut *sink {
            Sink::Stderr => std::io::stderr().write_all(msg.0.as_bytes()),
            Sink::File(f) => f.write_all(msg.0.as_bytes()),
        };
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// Sets what the selection needs of the engine: per-block events
/// (`exec`, `cpu`: every block back to the dispatcher) and `nochain`.
pub fn configure(sel: &Selection, config: &mut ferrovm_engine::EngineConfig) {
    config.trace = ferrovm_engine::BlockTrace { exec: sel.exec, cpu: sel.cpu };
    if sel.nochain {
        config.jit.chaining = false;
    }
}

/// Installs the process-wide subscriber for `sel` (and `strace` lines if
/// `strace`), writing to `file`, or stderr. `-D` truncates FILE, as QEMU
/// does.
pub fn install(sel: &Selection, strace: bool, file: Option<&Path>) -> anyhow::Result<()> {
    let mut sel = sel.clone();
    if strace && !sel.targets.contains(&ferrovm_engine::log::target::STRACE) {
        sel.targets.push(ferrovm_engine::log::target::STRACE);
    }
    let sink = match file {
        Some(path) => {
            Sink::File(std::fs::File::create(path).with_context(|| format!("-D: cannot create {}", path.display()))?)
        }
        None => Sink::Stderr,
    };
    let writer = LogWriter { targets: sel.targets.clone(), sink: Mutex::new(sink) };
    tracing::subscriber::set_global_default(writer).context("a tracing subscriber is already installed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        let sel = parse("in_asm,exec,nochain").unwrap().unwrap();
        assert!(sel.has("in_asm") && sel.has("exec") && !sel.has("cpu"));
        assert!(sel.nochain && sel.exec && !sel.cpu);
        assert!(parse("help").unwrap().is_none());
        assert!(parse("in_asm,bogus").is_err());
        let text = help();
        for c in CATEGORIES {
            assert!(text.contains(c.name), "{}", c.name);
        }
    }
}
