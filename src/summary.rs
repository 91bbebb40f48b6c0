//! The end-of-build summary: printed to stderr, and written as JSON for CI to keep.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::ingest::{Reason, Skip, Unrecognised};

/// How many offending files the text summary names.
pub const SHOWN: usize = 10;
/// How many offending reports the JSON summary lists in detail.
pub const LISTED: usize = 100_000;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub files_read: u64,
    pub reports_read: u64,
    pub reports_valid: u64,
    pub reports_skipped: u64,
    /// Skipped reports by reason, in rule order, reasons with none left out.
    pub skipped_by_reason: Vec<(String, u64)>,
    /// Offending reports in (path, line) order, at most [`LISTED`].
    pub skipped: Vec<Skip>,
    /// Offending reports not listed in `skipped`.
    pub skipped_not_listed: u64,
    pub unrecognised: Vec<Unrecognised>,
    pub upload_config: String,
    pub chart_config: String,
    pub daily_chart_sets: u64,
    pub weekly_chart_sets: u64,
    pub chart_sets: Vec<String>,
    pub newest_day: Option<String>,
    pub pages: u64,
    /// The files this build wrote (new or changed), and their bytes.
    pub files_written: u64,
    pub bytes_written: u64,
    /// The files of the site and their bytes: every file in it, written by this build or
    /// kept unchanged from the previous one.
    #[serde(default)]
    pub site_files: u64,
    #[serde(default)]
    pub site_bytes: u64,
    pub notes: Vec<String>,
    pub seconds: f64,
    /// Seconds per stage, in order.
    pub stages: Vec<(String, f64)>,
    /// CPU seconds of the whole process (every thread), user and system apart, in each
    /// part of the build: everything before rendering (walk, read, parse, count), `render`
    /// and `write` (what runs beside a part is counted in it); one part, `walk + compare`,
    /// for a build that found nothing changed.
    #[serde(default)]
    pub cpu: Vec<(String, crate::cpu::CpuTime)>,
    /// Seconds spent writing the valid reports' texts into the spool, summed over threads:
    /// the raw-data downloads' bytes, written while the reports are read (within
    /// `read+parse`), which become `data/<D>.json` by a hard link or a kernel copy.
    #[serde(default)]
    pub spool_write_seconds: f64,
    /// Why the build failed and left the site as it was (see [`refusal`]);
    /// absent when the site was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Why a build of these counts (reports read, skipped, valid) fails (exit 1): with
/// `strict`, any skipped report; always, reports present but none valid. A build that fails
/// so writes nothing and leaves the site as it was.
pub fn refusal(strict: bool, (read, skipped, valid): (u64, u64, u64)) -> Option<String> {
    if strict && skipped > 0 {
        return Some(format!("--strict: {} skipped", counted(skipped, "report", "reports")));
    }
    ((read > 0 || skipped > 0) && valid == 0)
        .then(|| format!("{} read, {skipped} skipped, none valid", counted(read, "report", "reports")))
}

impl Summary {
    /// The line after the first [`SHOWN`] skips: how many more there are, and how many of
    /// them `--summary-json` lists (at most 100 per file, [`LISTED`] in all).
    pub fn more_skipped(&self) -> Option<String> {
        let more = self.reports_skipped.checked_sub(SHOWN as u64).filter(|&more| more > 0)?;
        let listed = self.skipped.len().saturating_sub(SHOWN) as u64;
        Some(if listed == more {
            format!("... and {more} more skipped (listed in --summary-json)")
        } else {
            format!(
                "... and {more} more skipped ({listed} of them listed in --summary-json, at most {} per file)",
                crate::ingest::DETAILS_PER_FILE
            )
        })
    }

    /// [`refusal`] of this summary's counts.
    pub fn refusal(&self, strict: bool) -> Option<String> {
        refusal(strict, (self.reports_read, self.reports_skipped, self.reports_valid))
    }

    pub fn set_skips(&mut self, counts: &[u64], skips: &[Skip]) {
        self.skipped_by_reason =
            Reason::ALL.iter().zip(counts).filter(|(_, &n)| n > 0).map(|(r, &n)| (r.name().to_string(), n)).collect();
        self.reports_skipped = counts.iter().sum();
        self.skipped = skips.iter().take(LISTED).cloned().collect();
        self.skipped_not_listed = self.reports_skipped.saturating_sub(self.skipped.len() as u64);
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a summary always serialises");
        text.push('\n');
        text
    }

    /// The human summary: a few lines, then the first offending files.
    pub fn to_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "read {} reports in {} files: {} valid, {} skipped{}",
            self.reports_read,
            self.files_read,
            self.reports_valid,
            self.reports_skipped,
            if self.skipped_by_reason.is_empty() {
                String::new()
            } else {
                let parts: Vec<String> = self.skipped_by_reason.iter().map(|(r, n)| format!("{n} {r}")).collect();
                format!(" ({})", parts.join(", "))
            }
        );
        if !self.unrecognised.is_empty() {
            let _ = writeln!(
                out,
                "{} not recognised as reports",
                counted(self.unrecognised.len() as u64, "entry", "entries")
            );
            for u in self.unrecognised.iter().take(SHOWN) {
                let _ = writeln!(out, "  {}: {}", u.path, u.why);
            }
        }
        for skip in self.skipped.iter().take(SHOWN) {
            let place = if skip.line > 0 { format!("{}:{}", skip.path, skip.line) } else { skip.path.clone() };
            let _ = writeln!(out, "  skipped {place}: {}: {}", skip.reason, skip.message);
        }
        if let Some(more) = self.more_skipped() {
            let _ = writeln!(out, "  {more}");
        }
        let _ = writeln!(out, "upload config: {}; chart config: {}", self.upload_config, self.chart_config);
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        if self.refused.is_some() {
            let _ = writeln!(out, "wrote nothing: the site is left as it was, in {:.2}s", self.seconds);
        } else {
            let _ = writeln!(
                out,
                "wrote {} daily and {} weekly chart sets, {} pages, {} of the site's {} files ({} bytes){} in {:.2}s",
                self.daily_chart_sets,
                self.weekly_chart_sets,
                self.pages,
                self.files_written,
                self.site_files,
                self.bytes_written,
                self.newest_day.as_ref().map(|d| format!(", data through {d}")).unwrap_or_default(),
                self.seconds
            );
        }
        if verbose {
            for (stage, secs) in &self.stages {
                let _ = writeln!(out, "  {stage:<14} {secs:>8.3}s");
            }
            let _ =
                writeln!(out, "  raw data spooled: {:.3}s in writes, summed over threads", self.spool_write_seconds);
            for (part, cpu) in &self.cpu {
                let _ = writeln!(out, "  cpu: {part:<14} {:>6.3}s user + {:.3}s system", cpu.user, cpu.system);
            }
        }
        out
    }
}

/// `n` and the noun for it: `1 entry`, `2 entries`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// At most `max` characters of `text`, `…` after them when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
