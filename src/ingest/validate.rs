//! The validity rules for one report's text, checked in rule order: the upload server's
//! `validate()`, made strict. Pure: text in, a valid report's facts or a reason out.

use super::catalog::Catalog;
use super::reason::Reason;
use super::report;
use crate::day::Day;
use crate::version::semver_is_valid;

/// What the rest of the build needs of a valid report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valid {
    pub day: Day,
    pub x: f64,
    pub has_programs: bool,
    pub has_stacks: bool,
}

/// Checks one report's text (its final newline already removed) against every rule but
/// the duplicate rule, which needs all reports. Key ids of the report are appended to `keys`.
pub fn check(text: &[u8], max_bytes: usize, catalog: &Catalog, keys: &mut Vec<u32>) -> Result<Valid, (Reason, String)> {
    if text.len() > max_bytes {
        return Err((Reason::TooLarge, format!("{} bytes, more than the limit of {max_bytes}", text.len())));
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err((Reason::Empty, "no report, only blank".into()));
    }
    let text = std::str::from_utf8(text)
        .map_err(|e| (Reason::InvalidUtf8, format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
    let report = report::parse(text)?;
    let day = Day::parse(&report.week)
        .ok_or_else(|| (Reason::BadWeek, format!("`Week` is not a YYYY-MM-DD date: {:?}", clip(&report.week))))?;
    if !(report.x > 0.0 && report.x < 1.0) {
        return Err((Reason::XRange, format!("`X` is {}, not in (0, 1)", report.x)));
    }
    if !semver_is_valid(&report.config) {
        return Err((Reason::BadConfig, format!("`Config` is not a semantic version: {:?}", clip(&report.config))));
    }
    catalog.resolve(&report, keys).map_err(|(reason, why)| (reason, clip(&why).to_string()))?;
    Ok(Valid {
        day,
        x: report.x,
        has_programs: !report.programs.is_empty(),
        has_stacks: report.programs.iter().any(|p| !p.stacks.is_empty()),
    })
}

/// At most 120 characters of an uploaded string, for messages.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(120) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
