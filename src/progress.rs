//! Progress of a build's stages, drawn the way the terminal can take it.
//!
//! Like uv's `Printer`, one value decides: a bar per long stage (indicatif) when stderr is
//! a terminal; one plain line per finished stage when it is not, so CI logs hold no escape
//! sequences; nothing at all with `--quiet` (and in library use, the default).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Progress {
    /// Nothing is shown.
    #[default]
    Hidden,
    /// One plain line per finished stage on stderr.
    Lines,
    /// A bar per stage on stderr (a terminal).
    Bars,
}

impl Progress {
    /// Bars on a terminal, lines otherwise; hidden when `quiet`.
    pub fn for_stderr(quiet: bool) -> Progress {
        if quiet {
            Progress::Hidden
        } else if std::io::stderr().is_terminal() {
            Progress::Bars
        } else {
            Progress::Lines
        }
    }

    /// Starts a stage named `name` (`"reading reports"`) counting `unit`s (`"files"`; empty
    /// for a stage without steps).
    pub fn stage(self, name: &str, unit: &'static str) -> Stage {
        let bar = match self {
            Progress::Bars => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:>16} {elapsed}").expect("a valid template"),
                );
                bar.set_prefix(name.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                Some(bar)
            }
            _ => None,
        };
        Stage {
            mode: self,
            name: name.to_string(),
            unit,
            started: Instant::now(),
            bar,
            done: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

/// One stage under way; finish it with [`Stage::finish`].
#[derive(Debug)]
pub struct Stage {
    mode: Progress,
    name: String,
    unit: &'static str,
    started: Instant,
    bar: Option<ProgressBar>,
    done: std::sync::atomic::AtomicU64,
}

impl Stage {
    /// A stage that shows nothing.
    pub fn hidden() -> Stage {
        Progress::Hidden.stage("", "")
    }

    /// Sets the number of steps once it is known.
    pub fn set_length(&self, len: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(len);
            bar.set_style(
                ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
        }
    }

    /// Counts `n` more steps done (from any thread).
    pub fn inc(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Ends the stage: clears its bar, or prints its line (`reading reports: 340 files in 0.08s`).
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode == Progress::Lines {
            let done = self.done.load(std::sync::atomic::Ordering::Relaxed);
            let secs = self.started.elapsed().as_secs_f64();
            let line = if self.unit.is_empty() {
                format!("{}: {secs:.2}s", self.name)
            } else {
                format!("{}: {done} {} in {secs:.2}s", self.name, self.unit)
            };
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_line_stages_draw_no_bar() {
        let stage = Progress::Lines.stage("reading reports", "files");
        assert!(stage.bar.is_none());
        stage.inc(2);
        stage.set_length(4);
        assert_eq!(stage.done.load(std::sync::atomic::Ordering::Relaxed), 2);
        stage.finish();
        assert!(Stage::hidden().bar.is_none());
    }
}
