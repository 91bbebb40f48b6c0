//! `telemetry-site check DATA`: the build's reading and checking, without a site.
//!
//! Like `zola check`, for CI: exit 0 when both configs and every report are fine, else
//! the counts by reason and the first offending files (`path[:line]: reason: why`), exit 1.
//! `--max-age` also catches uploads that stopped arriving.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli::CheckArgs;
use crate::day::Day;
use crate::progress::Progress;
use crate::summary::{Summary, SHOWN};

use super::{fail, Exit};

pub fn run(args: &CheckArgs) -> Result<Exit, Exit> {
    super::check_summary_path(args.summary_json.as_deref(), &args.data)?;
    // Said here for --from-summary too, which reads no report but names DATA's files.
    crate::analysis::check_data_dir(&args.data).map_err(|e| fail(Exit::Usage, e))?;
    let config = super::site_config(&args.data)?;
    let today = match &args.today {
        Some(text) => {
            Day::parse(text).ok_or_else(|| fail(Exit::Usage, format!("--today: not a YYYY-MM-DD date: `{text}`")))?
        }
        None => today_utc(),
    };
    super::set_jobs(args.inputs.jobs, args.quiet)?;
    let summary = match &args.from_summary {
        Some(path) => read_summary(path)?,
        None => {
            let opts = args.options(&config, Progress::for_stderr(args.quiet));
            let analysis = crate::analysis::analyse(&opts).map_err(|e| fail(super::build::exit_for(&e), e.cause()))?;
            crate::analysis::summarise(&analysis, analysis.stages.clone())
        }
    };
    if let Some(path) = &args.summary_json {
        super::write_summary(path, &summary)?;
    }
    let (newest, future) = newest_until(&summary, today.plus(1));
    let stale = args.max_age.or(config.max_age).and_then(|max_age| staleness(newest, today, max_age));
    eprint!("{}", report(&summary, &args.data, args.quiet));
    if let (Some(future), false) = (future, args.quiet) {
        eprintln!("{}; --max-age counts from the newest day until then", future_warning(future, today));
    }
    if let Some(problem) = &stale {
        eprintln!("error: {problem}");
    }
    if summary.reports_skipped > 0 {
        eprintln!("error: {} of {} reports skipped", summary.reports_skipped, summary.reports_read);
    }
    // A folder that could not be listed hides whatever reports it holds: none is counted.
    let unlisted = summary
        .unrecognised
        .iter()
        .filter(|entry| entry.why.starts_with(crate::ingest::discover::CANNOT_BE_READ))
        .count() as u64;
    if unlisted > 0 {
        let what = crate::summary::counted(unlisted, "entry", "entries");
        eprintln!("error: {what} of DATA could not be read; any reports in them are not counted");
    }
    if summary.reports_skipped > 0 || stale.is_some() || unlisted > 0 {
        return Ok(Exit::Input);
    }
    if !args.quiet {
        eprintln!("ok");
    }
    Ok(Exit::Success)
}

/// The summary a build wrote with `--summary-json` (`--from-summary`).
fn read_summary(path: &Path) -> Result<Summary, Exit> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(Exit::Usage, format!("`{}`: cannot read the summary: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        fail(Exit::Usage, format!("`{}`: not a summary written by `build --summary-json`: {e}", path.display()))
    })
}

/// Today's date in UTC, from the system clock.
pub fn today_utc() -> Day {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Day((secs / 86_400) as i32)
}

/// The warning for `(days, last)` of [`newest_until`]: days with valid reports after the
/// day after `today` (UTC, so a client a day ahead of the runner is not named).
pub(super) fn future_warning((days, last): (usize, Day), today: Day) -> String {
    let days = crate::summary::counted(days as u64, "day", "days");
    format!(
        "warning: reports of {days} after {}, the last {last}, are dated in the future (a client's clock is \
         wrong, or the Week was made up)",
        today.plus(1)
    )
}

/// The newest day with valid reports on or before `until`, and how many days with valid
/// reports come after it, with the last of them. A client dates its reports by its own
/// clock: one report dated 9999-12-31 would otherwise keep `--max-age` quiet for ever.
pub(super) fn newest_until(summary: &Summary, until: Day) -> (Option<Day>, Option<(usize, Day)>) {
    let days = summary.chart_sets.iter().filter(|name| !name.contains('_')).filter_map(|name| Day::parse(name));
    let (past, future): (Vec<Day>, Vec<Day>) = days.partition(|&day| day <= until);
    (past.into_iter().max(), future.iter().max().map(|&last| (future.len(), last)))
}

/// Why the data is too old (or absent) for `--max-age`, or `None` when it is fresh.
pub fn staleness(newest: Option<Day>, today: Day, max_age: u32) -> Option<String> {
    match newest {
        None => Some(format!("--max-age {max_age}: no valid report at all")),
        Some(day) if today.0 - day.0 > max_age as i32 => Some(format!(
            "--max-age {max_age}: the newest valid report is from {day}, {} days before {today}",
            today.0 - day.0
        )),
        Some(_) => None,
    }
}

/// The human report: counts, counts by reason, the first offending files, unread entries.
fn report(summary: &Summary, data: &Path, quiet: bool) -> String {
    let mut out = String::new();
    let place = |rel: &str| data.join(rel).display().to_string();
    if !quiet {
        let _ = writeln!(
            out,
            "checked {} reports in {} files: {} valid, {} skipped",
            summary.reports_read, summary.files_read, summary.reports_valid, summary.reports_skipped
        );
        for (reason, n) in &summary.skipped_by_reason {
            let _ = writeln!(out, "  {n:>8} {reason}");
        }
        let _ = writeln!(out, "upload config: {}; chart config: {}", summary.upload_config, summary.chart_config);
        if let Some(day) = &summary.newest_day {
            let _ = writeln!(out, "newest valid report: {day}");
        }
        for note in &summary.notes {
            let _ = writeln!(out, "note: {note}");
        }
        for entry in summary.unrecognised.iter().take(SHOWN) {
            let _ = writeln!(out, "warning: {}: {}", place(&entry.path), entry.why);
        }
        if summary.unrecognised.len() > SHOWN {
            let _ = writeln!(out, "warning: ... and {} more entries not read", summary.unrecognised.len() - SHOWN);
        }
    }
    for skip in summary.skipped.iter().take(SHOWN) {
        let line = if skip.line > 0 { format!(":{}", skip.line) } else { String::new() };
        let _ = writeln!(out, "{}{line}: {}: {}", place(&skip.path), skip.reason, skip.message);
    }
    if let Some(more) = summary.more_skipped() {
        let _ = writeln!(out, "{more}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_counts_whole_days() {
        let today = Day::parse("2026-11-25").unwrap();
        let day = |s| Day::parse(s);
        assert_eq!(staleness(day("2026-11-22"), today, 3), None);
        assert!(staleness(day("2026-11-21"), today, 3).unwrap().contains("4 days before 2026-11-25"));
        assert!(staleness(None, today, 3).unwrap().contains("no valid report"));
        assert_eq!(staleness(day("2026-11-26"), today, 0), None);
    }

    #[test]
    fn days_after_tomorrow_do_not_count_as_the_newest() {
        let summary = Summary {
            chart_sets: ["2026-11-20", "2026-11-14_2026-11-20", "2026-11-26", "2026-11-20_2026-11-26", "2026-11-27"]
                .into_iter()
                .chain(["2026-11-21_2026-11-27", "9999-12-31", "9999-12-25_9999-12-31"])
                .map(String::from)
                .collect(),
            ..Summary::default()
        };
        let day = |s| Day::parse(s).unwrap();
        // Today 2026-11-25: 11-26 is tomorrow (a client ahead of UTC), 11-27 and 9999-12-31 later.
        assert_eq!(newest_until(&summary, day("2026-11-26")), (Some(day("2026-11-26")), Some((2, day("9999-12-31")))));
        assert_eq!(newest_until(&summary, day("2026-11-19")), (None, Some((4, day("9999-12-31")))));
        assert_eq!(newest_until(&Summary::default(), day("2026-11-26")), (None, None));
        assert_eq!(newest_until(&summary, day("9999-12-31")), (Some(day("9999-12-31")), None));
    }

    #[test]
    fn today_is_after_2025() {
        assert!(today_utc() > Day::parse("2025-01-01").unwrap());
    }
}
