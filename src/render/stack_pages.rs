//! What a stacks page shows (`stacks/<NAME>/index.html`, one per weekly chart set), as
//! plain data for its template: each stack counter headed by its chart-config title and
//! description, its stacks ranked by distinct uploaders, each with its total count, a
//! "new" mark and its frames one per line.

use serde::Serialize;

use super::trend_pages::printable;
use crate::stacks::WindowStacks;

#[derive(Debug, Clone, Serialize)]
pub struct StackView {
    pub rank: usize,
    pub uploaders: u32,
    pub total: u64,
    pub new: bool,
    /// The counter name, then the decoded frames, one per line.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CounterView {
    pub program: String,
    pub counter: String,
    pub title: String,
    pub description: String,
    pub stacks: Vec<StackView>,
    pub new: usize,
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
    pub fn new(window: &WindowStacks<'_>) -> StacksView {
        let counters: Vec<CounterView> = window
            .counters
            .iter()
            .map(|c| {
                let stacks: Vec<StackView> = c
                    .stacks
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let mut text = row.stack.counter.clone();
                        for frame in &row.stack.frames {
                            text.push('\n');
                            text.push_str(frame);
                        }
                        StackView {
                            rank: i + 1,
                            uploaders: row.uploaders,
                            total: row.total,
                            new: row.new,
                            text: printable(&text),
                        }
                    })
                    .collect();
                CounterView {
                    program: printable(&c.program),
                    counter: printable(&c.counter),
                    title: printable(c.title.as_deref().unwrap_or_default()),
                    description: printable(c.description.as_deref().unwrap_or_default()),
                    new: stacks.iter().filter(|s| s.new).count(),
                    stacks,
                }
            })
            .collect();
        StacksView {
            start: window.start.to_string(),
            end: window.end.to_string(),
            stacks: counters.iter().map(|c| c.stacks.len()).sum(),
            new: counters.iter().map(|c| c.new).sum(),
            counters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ChartConfigFile;
    use crate::day::Day;
    use crate::stacks::StackIndex;

    #[test]
    fn counters_and_ranked_stacks_with_decoded_frames() {
        let index = StackIndex::from_reports([
            (Day(10), 0.5, vec![("gopls".to_string(), "gopls/bug\na.f:1\n\".g:2\u{1b}".to_string(), 3)]),
            (Day(11), 0.25, vec![("gopls".to_string(), "gopls/bug\nb.f:1".to_string(), 1)]),
        ]);
        let window = index.week(Day(12), &[], &ChartConfigFile::default());
        let view = StacksView::new(&window);
        assert_eq!(view.stacks, 2);
        assert_eq!(view.new, 2);
        let bug = &view.counters[0];
        assert_eq!(bug.counter, "gopls/bug");
        assert_eq!(bug.stacks[0].rank, 1);
        // Both have one uploader: the larger total first.
        assert_eq!(bug.stacks[0].text, "gopls/bug\na.f:1\na.g:2\u{FFFD}");
        assert_eq!(bug.stacks[0].total, 3);
        assert_eq!(bug.stacks[1].text, "gopls/bug\nb.f:1");
    }
}
