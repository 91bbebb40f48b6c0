//! `feed.xml`: an Atom feed (RFC 4287) with one entry per non-overlapping week.
//!
//! Feed readers need absolute links, so the feed exists only when the site's base URL is
//! known. Everything in it comes from the data: ids are the entries' links, `updated` is
//! a week's last day at midnight UTC, so a rebuild of the same data writes the same bytes.

use std::fmt::Write as _;

use crate::aggregate::Aggregates;
use crate::render::xml;
use crate::trends::TrendWeek;

/// Entries in the feed at most: a year of weeks.
pub const MAX_ENTRIES: usize = 52;

/// The feed, newest week first; `None` without a base URL (`https://host/path/`).
pub fn atom(aggregates: &Aggregates, weeks: &[TrendWeek], title: &str, base_url: Option<&str>) -> Option<String> {
    let base = base_url?;
    let base = if base.ends_with('/') { base.to_string() } else { format!("{base}/") };
    let updated = |week: &TrendWeek| format!("{}T00:00:00Z", week.end);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", xml::text(&base));
    let _ = writeln!(out, "  <title>{}</title>", xml::text(title));
    let _ = writeln!(out, "  <subtitle>One entry per week of uploaded reports.</subtitle>");
    let newest = weeks.last().map(updated).unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let _ = writeln!(out, "  <updated>{newest}</updated>");
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml::text(&format!("{base}feed.xml"))
    );
    let _ = writeln!(out, "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", xml::text(&base));
    let _ = writeln!(out, "  <author><name>{}</name></author>", xml::text(title));
    let _ = writeln!(out, "  <generator version=\"{}\">telemetry-site</generator>", env!("CARGO_PKG_VERSION"));
    for week in weeks.iter().rev().take(MAX_ENTRIES) {
        let link = format!("{base}charts/{}/index.html", week.name());
        let _ = writeln!(out, "  <entry>");
        let _ = writeln!(out, "    <id>{}</id>", xml::text(&link));
        let _ = writeln!(out, "    <title>Week {} to {}</title>", week.start, week.end);
        let _ = writeln!(out, "    <updated>{}</updated>", updated(week));
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", xml::text(&link));
        let _ = writeln!(out, "    <summary>{}</summary>", xml::text(&summary(aggregates, week)));
        let _ = writeln!(out, "  </entry>");
    }
    out.push_str("</feed>\n");
    Some(out)
}

/// `N reports; gopls: 40 uploaders, cmd/go: 3 uploaders` (programs with uploaders).
fn summary(aggregates: &Aggregates, week: &TrendWeek) -> String {
    let set = &aggregates.sets[week.set];
    let mut text = format!(
        "{} report{} from {} to {}",
        set.num_reports,
        if set.num_reports == 1 { "" } else { "s" },
        week.start,
        week.end
    );
    let mut first = true;
    for (p, program) in aggregates.plan.programs.iter().enumerate() {
        let uploaders = aggregates.uploaders(week.set, p);
        if uploaders == 0 {
            continue;
        }
        text.push_str(if first { ". " } else { ", " });
        first = false;
        let _ = write!(text, "{}: {uploaders} uploader{}", program.name, if uploaders == 1 { "" } else { "s" });
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{plan::ProgramLists, Plan, SetCounts};
    use crate::day::Day;
    use crate::render::xml::tree;

    /// `weeks` weekly sets ending 7 days apart from 2026-01-07, program `<evil & "p">`.
    fn fixture(weeks: usize) -> (Aggregates, Vec<TrendWeek>) {
        let plan = Plan::build(
            [ProgramLists { name: "<evil & \"p\">", versions: Vec::new(), counters: Vec::new() }],
            &["linux".to_string()],
            &[],
            &[],
        );
        let first = Day::parse("2026-01-07").unwrap();
        let mut sets = Vec::new();
        let mut trend_weeks = Vec::new();
        for w in 0..weeks {
            let end = first.plus(7 * w as i32);
            let mut counts = vec![0; plan.bucket_count as usize];
            counts[plan.programs[0].uploaders_bucket as usize] = w as u32;
            trend_weeks.push(TrendWeek { set: sets.len(), start: end.plus(-6), end });
            sets.push(SetCounts { start: end.plus(-6), end, num_reports: w as u64 + 1, week: Some(end), counts });
        }
        (Aggregates { plan, sets }, trend_weeks)
    }

    #[test]
    fn no_base_url_no_feed() {
        let (aggregates, weeks) = fixture(2);
        assert_eq!(atom(&aggregates, &weeks, "T", None), None);
    }

    #[test]
    fn well_formed_atom_newest_first_at_most_52_absolute_links() {
        let (aggregates, weeks) = fixture(60);
        let text = atom(&aggregates, &weeks, "Go <telemetry> & \u{1}co", Some("https://example.com/t")).unwrap();
        let feed = tree::parse(&text);
        assert_eq!(feed.name, "feed");
        assert_eq!(feed.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
        assert_eq!(feed.child("id").unwrap().text, "https://example.com/t/");
        assert_eq!(feed.child("title").unwrap().text, "Go <telemetry> & \u{FFFD}co");
        let newest = weeks.last().unwrap();
        assert_eq!(feed.child("updated").unwrap().text, format!("{}T00:00:00Z", newest.end));
        assert!(feed.child("author").unwrap().child("name").is_some());
        let links = feed.all("link");
        assert_eq!(links[0].attr("rel"), Some("self"));
        assert_eq!(links[0].attr("href"), Some("https://example.com/t/feed.xml"));
        let entries = feed.all("entry");
        assert_eq!(entries.len(), MAX_ENTRIES);
        let mut ids = std::collections::BTreeSet::new();
        for (entry, week) in entries.iter().zip(weeks.iter().rev()) {
            let link = format!("https://example.com/t/charts/{}_{}/index.html", week.start, week.end);
            assert_eq!(entry.child("id").unwrap().text, link);
            assert!(ids.insert(link.clone()));
            assert_eq!(entry.child("link").unwrap().attr("href"), Some(link.as_str()));
            assert_eq!(entry.child("updated").unwrap().text, format!("{}T00:00:00Z", week.end));
            assert!(entry.child("title").unwrap().text.starts_with("Week "));
        }
        // Newest first: 2026-01-07 + 59 weeks.
        assert_eq!(entries[0].child("title").unwrap().text, format!("Week {} to {}", newest.start, newest.end));
        let summary = &entries[0].child("summary").unwrap().text;
        assert_eq!(
            summary,
            &format!("60 reports from {} to {}. <evil & \"p\">: 59 uploaders.", newest.start, newest.end)
        );
        // Byte-stable.
        assert_eq!(Some(text), atom(&aggregates, &weeks, "Go <telemetry> & \u{1}co", Some("https://example.com/t/")));
    }

    #[test]
    fn an_empty_history_is_still_a_valid_feed() {
        let (aggregates, weeks) = fixture(0);
        let feed = tree::parse(&atom(&aggregates, &weeks, "T", Some("https://x/")).unwrap());
        assert!(feed.all("entry").is_empty());
        assert_eq!(feed.child("updated").unwrap().text, "1970-01-01T00:00:00Z");
    }
}
