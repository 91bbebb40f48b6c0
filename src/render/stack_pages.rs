//! What a stacks page shows (`stacks/<NAME>/index.html`, one per weekly chart set), as
//! plain data for its template: each stack counter headed by its chart-config title and
//! description, its stacks ranked by distinct uploaders, each with its total count, a
//! "new" mark and its frames one per line.
//!
//! At most [`LISTED`] stacks a counter are listed, the best ranked; the page says how many
//! more there were. A week of real crash stacks is a few dozen a counter; thousands of
//! distinct ones are what one uploader can send to make a page of hundreds of megabytes
//! (300 valid reports of 3,500 one-frame stacks each made a 225 MB page, and a build of
//! 1.2 GiB; with the bound, 30 MB of site and 0.6 GiB).

use serde::Serialize;

use super::fixed::push;
use super::paths::{display_name, display_text};
use super::xml;
use crate::stacks::{Stack, StackRow, WindowStacks};

/// The most stacks a stacks page lists for one counter.
pub const LISTED: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct CounterView {
    pub program: String,
    pub counter: String,
    pub title: String,
    pub description: String,
    /// How many stacks, and how many of them are new.
    pub count: usize,
    pub new: usize,
    /// How many of them are not listed: those ranked after the first [`LISTED`].
    pub unlisted: usize,
    /// The ranked stacks as `<li>` items, escaped markup: written here rather than looped
    /// over in the template, as a year's stacks pages hold over a hundred thousand.
    pub list: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StacksView {
    pub start: String,
    pub end: String,
    pub counters: Vec<CounterView>,
    pub stacks: usize,
    pub new: usize,
}

impl StacksView {
    /// The view of `window`.
    pub fn new(window: &WindowStacks<'_>) -> StacksView {
        let counters: Vec<CounterView> = window
            .counters
            .iter()
            .map(|c| CounterView {
                program: display_name(&c.program),
                counter: display_name(&c.counter),
                title: display_text(c.title.as_deref().unwrap_or_default()),
                description: display_text(c.description.as_deref().unwrap_or_default()),
                count: c.stacks.len(),
                new: c.stacks.iter().filter(|s| s.new).count(),
                unlisted: c.stacks.len().saturating_sub(LISTED),
                list: list_items(&c.stacks[..c.stacks.len().min(LISTED)]),
            })
            .collect();
        StacksView {
            start: window.start.to_string(),
            end: window.end.to_string(),
            stacks: counters.iter().map(|c| c.count).sum(),
            new: counters.iter().map(|c| c.new).sum(),
            counters,
        }
    }
}

/// Appends a stack's counter name and decoded frames, one per line, escaped (control
/// characters other than newline and tab replaced). Made for each page that lists the
/// stack (up to seven weeks' pages), not kept: a year of distinct stacks held 0.1 GB of
/// such markup when it was made once and kept. The frames are decoded here too.
fn push_stack_markup(html: &mut String, stack: &Stack) {
    xml::push_text(html, &stack.counter);
    let shown = stack.shown();
    for frame in shown.frames() {
        html.push('\n');
        xml::push_text(html, frame);
    }
    if shown.not_shown > 0 {
        let more = crate::summary::counted(shown.not_shown as u64, "more frame", "more frames");
        push!(html, "\n… ", more.as_str(), ", not shown");
    }
}

/// One `<li class="stack">` per stack: its uploaders, total count, "new" mark, and its
/// markup.
fn list_items(stacks: &[StackRow<'_>]) -> String {
    let mut html = String::new();
    for row in stacks {
        let plural = if row.uploaders == 1 { "" } else { "s" };
        push!(
            &mut html,
            "\n    <li class=\"stack\">\n      <p class=\"stack-meta\"><strong>",
            u64::from(row.uploaders)
        );
        push!(&mut html, "</strong> uploader", plural, " · total count ", row.total);
        if row.new {
            html.push_str(" · <span class=\"badge new\">new</span>");
        }
        html.push_str("</p>\n      <pre class=\"code\"><code>");
        push_stack_markup(&mut html, row.stack);
        html.push_str("</code></pre>\n    </li>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ChartConfigFile;
    use crate::day::Day;
    use crate::stacks::StackIndex;

    /// The view of the week ending on day 12 of reports (day, X, program `gopls`, stack
    /// key, count).
    fn week_of(reports: &[(i32, f64, &str, u64)]) -> StacksView {
        let reports =
            reports.iter().map(|&(day, x, key, n)| (Day(day), x, vec![("gopls".to_string(), key.to_string(), n)]));
        let index = StackIndex::from_reports(reports);
        StacksView::new(&index.week(Day(12), &[], &ChartConfigFile::default()))
    }

    #[test]
    fn a_counter_lists_its_best_ranked_stacks_up_to_the_bound_and_counts_the_rest() {
        // Stack i is sent by one uploader, but stack 0 by two: it ranks first.
        let mut reports: Vec<(i32, f64, String, u64)> =
            (0..LISTED + 3).map(|i| (12, (i + 1) as f64 / 4096.0, format!("crash/crash\nm.f{i}:+1"), 1)).collect();
        reports.push((11, 0.9, "crash/crash\nm.f0:+1".into(), 1));
        let reports: Vec<(i32, f64, &str, u64)> = reports.iter().map(|(d, x, k, n)| (*d, *x, k.as_str(), *n)).collect();
        let view = week_of(&reports);
        let counter = &view.counters[0];
        assert_eq!((counter.count, counter.unlisted), (LISTED + 3, 3));
        assert_eq!(counter.list.matches("<li class=\"stack\">").count(), LISTED);
        assert!(counter.list.contains("m.f0:+1"), "the best ranked is listed");
        assert_eq!(view.stacks, LISTED + 3, "the page's total counts them all");
    }

    #[test]
    fn a_deep_stack_shows_its_first_frames_and_how_many_more_there_are() {
        let key = format!("crash/crash\n{}", (0..130).map(|i| format!("m.f{i}:+1")).collect::<Vec<_>>().join("\n"));
        let stack = crate::stacks::Stack::new("gopls".into(), &key);
        let mut markup = String::new();
        push_stack_markup(&mut markup, &stack);
        assert!(markup.ends_with("\nm.f127:+1\n… 2 more frames, not shown"), "{markup}");
        assert!(!markup.contains("m.f128"));
    }

    #[test]
    fn counters_and_ranked_stacks_with_decoded_frames() {
        let view = week_of(&[(10, 0.5, "gopls/bug\na.f:1\n\".g:2\u{1b}", 3), (11, 0.25, "gopls/bug\nb.f:1", 1)]);
        assert_eq!(view.stacks, 2);
        assert_eq!(view.new, 2);
        let bug = &view.counters[0];
        assert_eq!(bug.counter, "gopls/bug");
        assert_eq!((bug.count, bug.new), (2, 2));
        let items: Vec<&str> = bug.list.split("<li class=\"stack\">").skip(1).collect();
        assert_eq!(items.len(), 2);
        // Both have one uploader: the larger total first.
        assert!(
            items[0].contains("<strong>1</strong> uploader · total count 3 · <span class=\"badge new\">new</span></p>")
        );
        assert!(items[0].contains("<code>gopls/bug\na.f:1\na.g:2\u{FFFD}</code>"), "{}", items[0]);
        assert!(items[1].contains("<code>gopls/bug\nb.f:1</code>"), "{}", items[1]);
    }

    #[test]
    fn stack_texts_are_escaped() {
        let key = "gopls/bug\n<a>&\"x\":1";
        let list = &week_of(&[(10, 0.5, key, 2), (10, 0.25, key, 3)]).counters[0].list;
        assert!(list.contains("<strong>2</strong> uploaders · total count 5 · <span"), "{list}");
        assert!(list.contains("<code>gopls/bug\n&lt;a&gt;&amp;&quot;x&quot;:1</code>"), "{list}");
    }
}
