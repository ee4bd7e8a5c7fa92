//! Checking a run against the reference (the native build's output): the
//! exit status must match and stdout must be byte-identical. A run that
//! fails this check gets no number anywhere — only the reason.

use crate::measure::{Measurement, Status};

/// The reference result of a workload: what the native build printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub stdout: Vec<u8>,
    pub status: Status,
}

/// Why a run's result is wrong, in one line for the report.
pub fn verdict(expected: &Expected, got: &Measurement) -> Result<(), String> {
    if got.status != expected.status {
        let stderr = first_line(&got.stderr);
        let tail = if stderr.is_empty() { String::new() } else { format!("; stderr: {stderr}") };
        return Err(format!("{} (expected {}){tail}", got.status, expected.status));
    }
    if got.stdout != expected.stdout {
        return Err(first_difference(&expected.stdout, &got.stdout));
    }
    Ok(())
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    truncate(line, 160)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}

/// "stdout line N: expected `a`, got `b`" for the first differing line.
pub fn first_difference(expected: &[u8], got: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let g = String::from_utf8_lossy(got);
    let mut el = e.lines();
    let mut gl = g.lines();
    for n in 1.. {
        match (el.next(), gl.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => {
                return format!("stdout line {n}: expected `{}`, got `{}`", truncate(a, 80), truncate(b, 80));
            }
            (Some(a), None) => return format!("stdout ends early at line {n}: expected `{}`", truncate(a, 80)),
            (None, Some(b)) => return format!("stdout has an extra line {n}: `{}`", truncate(b, 80)),
            (None, None) => break,
        }
    }
    "stdout differs in line endings or invalid UTF-8".to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn m(stdout: &str, status: Status, stderr: &str) -> Measurement {
        Measurement {
            status,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
            max_rss_kib: 0,
        }
    }

    fn expected(stdout: &str) -> Expected {
        Expected { stdout: stdout.as_bytes().to_vec(), status: Status::Exited(0) }
    }

    #[test]
    fn identical_output_passes() {
        assert_eq!(verdict(&expected("a 1\nb 2\n"), &m("a 1\nb 2\n", Status::Exited(0), "noise")), Ok(()));
    }

    #[test]
    fn names_the_first_differing_line() {
        let e = verdict(&expected("a 1\nb 2\nc 3\n"), &m("a 1\nb 9\nc 3\n", Status::Exited(0), "")).unwrap_err();
        assert_eq!(e, "stdout line 2: expected `b 2`, got `b 9`");
    }

    #[test]
    fn short_and_long_output() {
        let e = verdict(&expected("a\nb\n"), &m("a\n", Status::Exited(0), "")).unwrap_err();
        assert_eq!(e, "stdout ends early at line 2: expected `b`");
        let e = verdict(&expected("a\n"), &m("a\nzz\n", Status::Exited(0), "")).unwrap_err();
        assert_eq!(e, "stdout has an extra line 2: `zz`");
        let e = verdict(&expected("a\n"), &m("a", Status::Exited(0), "")).unwrap_err();
        assert_eq!(e, "stdout differs in line endings or invalid UTF-8");
    }

    #[test]
    fn status_mismatch_quotes_stderr() {
        let got = m("", Status::Exited(125), "\nferrovm: --engine jit is not implemented yet\n");
        let e = verdict(&expected("x\n"), &got).unwrap_err();
        assert_eq!(e, "exit status 125 (expected exit status 0); stderr: ferrovm: --engine jit is not implemented yet");
        let e = verdict(&expected("x\n"), &m("x\n", Status::Signaled(11), "")).unwrap_err();
        assert_eq!(e, "killed by signal 11 (expected exit status 0)");
    }
}
