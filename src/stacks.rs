//! Stack counters: which crash and bug stacks uploaders saw, week by week.
//!
//! A stack counter's key is its name, then one frame per line, in the client's encoding
//! (`golang.org/x/telemetry`, `internal/counter/stackcounter.go`, `EncodeStack`): a frame
//! is `<import path>.<function>:<line offset>`, where the import path is everything before
//! the last `.`, and a frame whose path equals the previous frame's is written with `"` in
//! its place. [`decode`] is a port of Go's `DecodeStack`; offsets (`:12`, `:+12`,
//! `+0x1a`, `:?12`) are kept as they are.
//!
//! Only reports flagged [`Record::has_stacks`] are read back from the spool, in parallel,
//! once; each day's stacks are kept as (stack id, uploader, count) rows, so any window of
//! days (a weekly chart set and the week before it) is a cheap merge.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::ChartConfigFile;
use crate::day::Day;
use crate::ingest::{report, Ingested, Record};
use crate::summary::cut;

/// Expands `"` ditto marks, exactly as Go's `DecodeStack` does: every line (the name
/// too) is split at its last `.`; a line whose part before it is exactly `"` gets the
/// last full path instead; a line with another path sets the last path.
pub fn decode(encoded: &str) -> String {
    let mut decoded = String::with_capacity(encoded.len());
    for (i, (path, rest)) in decoded_lines(encoded).enumerate() {
        if i > 0 {
            decoded.push('\n');
        }
        decoded.push_str(path);
        decoded.push_str(rest);
    }
    decoded
}

/// The lines of [`decode`], one at a time, each as two parts borrowed from `encoded`: the
/// path a ditto mark stands for (else empty), and the rest of the line.
fn decoded_lines(encoded: &str) -> impl Iterator<Item = (&str, &str)> {
    let stack = encoded.as_bytes().contains(&b'\n'); // else not a stack counter: unchanged
    let mut last_path = ""; // empty or ends with `.`
    encoded.split('\n').map(move |line| {
        let Some((path, rest)) = line.rsplit_once('.').filter(|_| stack) else {
            return ("", line); // no path: unchanged
        };
        if path == "\"" {
            (last_path, rest)
        } else {
            if !path.is_empty() {
                last_path = &line[..path.len() + 1];
            }
            ("", line)
        }
    })
}

/// Appends `path` then `rest`, cut to [`MAX_FRAME_CHARS`] characters as [`cut`] cuts.
fn push_cut(text: &mut String, (path, rest): (&str, &str)) {
    if path.len() + rest.len() <= MAX_FRAME_CHARS {
        text.push_str(path); // no more bytes than the bound, so no more characters
        text.push_str(rest);
    } else {
        text.push_str(&cut(&[path, rest].concat(), MAX_FRAME_CHARS));
    }
}

/// A stack shows at most this many frames: a client's stacks are as deep as its config's
/// `Depth` (16 in Go's), but a report of 100 KiB may hold a stack of thousands of frames,
/// and a week of such reports would make a stacks page of hundreds of megabytes.
pub const MAX_FRAMES_SHOWN: usize = 128;
/// A counter name or frame shows at most this many characters, the rest cut to `…`.
pub const MAX_FRAME_CHARS: usize = 1000;

/// A stack: its program, its counter name (decoded, cut to [`MAX_FRAME_CHARS`]) and its
/// key as uploaded.
///
/// The frames are decoded only when a page lists the stack ([`Stack::shown`]), not kept:
/// a year of reports that each carry distinct stacks holds a million of them, and their
/// decoded frames, kept, were a third of such a year's peak memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The program's and the counter's names, shared by every stack that has them.
    pub program: Arc<str>,
    pub counter: Arc<str>,
    /// The key as uploaded.
    pub encoded: Box<str>,
}

/// A stack's frames as shown: decoded, one per line (a trailing empty line, as after
/// `truncated`, dropped), at most [`MAX_FRAMES_SHOWN`] of them, each cut to
/// [`MAX_FRAME_CHARS`]; one string and where each frame ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    text: String,
    ends: Vec<u32>,
    /// The frames past [`MAX_FRAMES_SHOWN`], not shown.
    pub not_shown: usize,
}

impl Shown {
    /// The frames shown, in order.
    pub fn frames(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.ends.len()).map(|i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            &self.text[start..self.ends[i] as usize]
        })
    }
}

impl Stack {
    pub fn new(program: Arc<str>, encoded: &str) -> Stack {
        let mut counter = String::new();
        push_cut(&mut counter, decoded_lines(encoded).next().unwrap_or_default());
        Stack { program, counter: counter.into(), encoded: encoded.into() }
    }

    /// The frames shown, decoded from the key.
    pub fn shown(&self) -> Shown {
        let mut frames: Vec<(&str, &str)> = decoded_lines(&self.encoded).skip(1).collect();
        while frames.last().is_some_and(|(path, rest)| path.is_empty() && rest.is_empty()) {
            frames.pop();
        }
        let not_shown = frames.len().saturating_sub(MAX_FRAMES_SHOWN);
        let (mut text, mut ends) = (String::new(), Vec::with_capacity(frames.len().min(MAX_FRAMES_SHOWN)));
        for &frame in frames.iter().take(MAX_FRAMES_SHOWN) {
            push_cut(&mut text, frame);
            ends.push(text.len() as u32);
        }
        Shown { text, ends, not_shown }
    }

    /// A hash of the program and the key as uploaded: what identifies the stack (the hash
    /// a table of stack names finds it by).
    fn hash(&self) -> u64 {
        crate::cache::stack_hash(&self.program, &self.encoded)
    }
}

/// One uploaded report's stacks: (program, encoded key, count).
pub type ReportStacks = Vec<(String, String, u64)>;

/// One uploader's count of one stack on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    stack: u32,
    x: u64,
    count: u64,
}

/// Every stack seen, and per day who saw which.
#[derive(Debug, Clone, Default)]
pub struct StackIndex {
    stacks: Vec<Stack>,
    /// Per stack, a hash of its program and key (for [`StackIndex::window_hash`]).
    hashes: Vec<u64>,
    /// Days in order, each with its rows sorted.
    days: Vec<(Day, Vec<Row>)>,
}

/// One stack in a window: its uploaders and total count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRow<'a> {
    pub stack: &'a Stack,
    /// Distinct uploaders (`X`) whose reports in the window hold the stack.
    pub uploaders: u32,
    /// The stack's counts summed over those reports.
    pub total: u128,
    /// Not seen in the previous non-overlapping week (the seven days before the window).
    pub new: bool,
}

/// One stack counter's stacks in a window, ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterStacks<'a> {
    pub program: String,
    pub counter: String,
    /// From the chart config, when it has a record for the counter.
    pub title: Option<String>,
    pub description: Option<String>,
    /// By distinct uploaders, then total count, descending, then by key as uploaded.
    pub stacks: Vec<StackRow<'a>>,
}

/// The stacks of a window of days, by program then counter name.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowStacks<'a> {
    pub start: Day,
    pub end: Day,
    pub counters: Vec<CounterStacks<'a>>,
}

impl WindowStacks<'_> {
    pub fn stack_count(&self) -> usize {
        self.counters.iter().map(|c| c.stacks.len()).sum()
    }
}

/// The stacks of reports taken from the incremental-build cache: for each report, by
/// (file, line), its rows (index in the cache's [`crate::cache::Cache::stack_names`],
/// count), kept flat. The names stay in the cache ([`Ingested::stack_names`]).
#[derive(Debug, Default)]
pub struct CachedStacks {
    by_report: FxHashMap<(u32, u32), (u32, u32)>,
    rows: Vec<(u32, u64)>,
}

impl CachedStacks {
    /// The rows of the report at `line` of file `file`, when the cache gave them.
    pub fn get(&self, file: u32, line: u32) -> Option<&[(u32, u64)]> {
        let &(start, len) = self.by_report.get(&(file, line))?;
        Some(&self.rows[start as usize..][..len as usize])
    }

    /// Adds a report's rows (name index, count).
    pub fn insert(&mut self, file: u32, line: u32, rows: impl IntoIterator<Item = (u32, u64)>) {
        let start = self.rows.len();
        self.rows.extend(rows);
        self.by_report.insert((file, line), (start as u32, (self.rows.len() - start) as u32));
    }
}

/// The one copy of `name` in `names`, added if new.
fn shared(names: &mut rustc_hash::FxHashSet<Arc<str>>, name: &str) -> Arc<str> {
    if let Some(known) = names.get(name) {
        return known.clone();
    }
    let name: Arc<str> = name.into();
    names.insert(name.clone());
    name
}

/// An index being built: stacks by (program, key) and each day's rows.
#[derive(Default)]
struct Builder {
    /// By a hash of (program, key), checked against the stack's own (see
    /// [`crate::cache::find_stack`]): the stack's texts are kept once, in `stacks`. Made
    /// at the first [`Builder::intern`]: a build whose stacks all come from the cache,
    /// whose names are distinct, needs none.
    ids: Option<FxHashMap<u64, u32>>,
    /// Program and counter names, each kept once for all the stacks that have it.
    names: rustc_hash::FxHashSet<Arc<str>>,
    stacks: Vec<Stack>,
    days: BTreeMap<Day, Vec<Row>>,
}

impl Builder {
    /// The id of the stack (program, key), new if it was not seen.
    fn intern(&mut self, program: &str, encoded: &str) -> u32 {
        let hash = crate::cache::stack_hash(program, encoded);
        let stacks = &self.stacks;
        let ids = self.ids.get_or_insert_with(|| {
            let mut ids = FxHashMap::default();
            for (id, stack) in stacks.iter().enumerate() {
                ids.entry(stack.hash()).or_insert(id as u32);
            }
            ids
        });
        let same = |id: u32| *stacks[id as usize].program == *program && *stacks[id as usize].encoded == *encoded;
        if let Some(id) = crate::cache::find_stack(ids, hash, stacks.len(), same) {
            return id;
        }
        self.add_new(program, encoded)
    }

    /// Adds the stack (program, key) without looking it up: for names known to be new,
    /// such as the cache's, which are distinct.
    fn add_new(&mut self, program: &str, encoded: &str) -> u32 {
        let mut stack = Stack::new(shared(&mut self.names, program), encoded);
        stack.counter = shared(&mut self.names, &stack.counter);
        let id = self.stacks.len() as u32;
        if let Some(ids) = &mut self.ids {
            ids.entry(stack.hash()).or_insert(id);
        }
        self.stacks.push(stack);
        id
    }

    fn push(&mut self, day: Day, x: f64, stack: u32, count: u64) {
        self.days.entry(day).or_default().push(Row { stack, x: x.to_bits(), count });
    }

    fn add(&mut self, day: Day, x: f64, report: ReportStacks) {
        for (program, encoded, count) in report {
            let id = self.intern(&program, &encoded);
            self.push(day, x, id, count);
        }
    }

    /// The index, with ids in (program, key) order whatever order the reports came in,
    /// so the same stacks always give the same index (and the same page fingerprints), and
    /// stacks that tie on a page rank by key ([`StackIndex::week`]).
    fn finish(self) -> StackIndex {
        let Builder { stacks, days, .. } = self;
        let mut order: Vec<u32> = (0..stacks.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&stacks[a as usize], &stacks[b as usize]);
            (&a.program, &a.encoded).cmp(&(&b.program, &b.encoded))
        });
        let mut new_id = vec![0u32; stacks.len()];
        for (id, &old) in order.iter().enumerate() {
            new_id[old as usize] = id as u32;
        }
        // Put in place by swaps, not copied into a second vector: a million distinct
        // stacks are over 100 MB of `Stack`s.
        let (mut stacks, mut target) = (stacks, new_id.clone());
        for i in 0..stacks.len() {
            while target[i] as usize != i {
                let j = target[i] as usize;
                stacks.swap(i, j);
                target.swap(i, j);
            }
        }
        stacks.shrink_to_fit();
        let days = days
            .into_iter()
            .map(|(day, mut rows)| {
                for row in &mut rows {
                    row.stack = new_id[row.stack as usize];
                }
                rows.sort_unstable();
                (day, rows)
            })
            .collect();
        let hashes = stacks.iter().map(Stack::hash).collect::<Vec<u64>>();
        StackIndex { stacks, hashes, days }
    }
}
impl StackIndex {
    /// Reads the stacks of every record with stacks back from the spool, in parallel, or
    /// takes those the cache kept.
    pub fn read(ingested: &Ingested) -> std::io::Result<StackIndex> {
        let records = ingested.records.iter().chain(&ingested.stack_records);
        let with_stacks: Vec<&Record> = records.filter(|r| r.has_stacks).collect();
        let cached = &ingested.cached_stacks;
        let to_parse: Vec<&Record> =
            with_stacks.iter().copied().filter(|record| cached.get(record.file, record.line).is_none()).collect();
        let mut builder = Builder::default();
        // The cache's stacks first, by the cache's ids, each name taken once: the cache's
        // names are distinct, so none is looked up.
        let names = ingested.stack_names();
        let mut ids = vec![u32::MAX; names.map_or(0, |names| names.len())];
        let missing = || std::io::Error::new(std::io::ErrorKind::InvalidData, "a stack the cache does not name");
        for record in &with_stacks {
            for &(name, count) in cached.get(record.file, record.line).unwrap_or_default() {
                let id = ids.get_mut(name as usize).ok_or_else(missing)?;
                if *id == u32::MAX {
                    let (program, encoded) = names.ok_or_else(missing)?.get(name);
                    *id = builder.add_new(program, encoded);
                }
                builder.push(record.day, record.x, *id, count);
            }
        }
        drop(ids);
        // Then the others', parsed in parallel a slice at a time, not all at once: a year of
        // distinct stacks parsed whole held every key twice.
        for slice in to_parse.chunks(4096) {
            let parsed: Vec<(Day, f64, ReportStacks)> = slice
                .par_iter()
                .map(|record| Ok((record.day, record.x, stacks_in_spool(&ingested.spool, record.text)?)))
                .collect::<std::io::Result<_>>()?;
            for (day, x, report) in parsed {
                builder.add(day, x, report);
            }
        }
        Ok(builder.finish())
    }

    /// Builds the index from reports' stacks, given as (day, X, stacks).
    pub fn from_reports(reports: impl IntoIterator<Item = (Day, f64, ReportStacks)>) -> StackIndex {
        let mut builder = Builder::default();
        for (day, x, report) in reports {
            builder.add(day, x, report);
        }
        builder.finish()
    }

    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }

    /// A hash of everything the index holds for days `start..=end` (stacks by their text,
    /// uploaders, counts), for the page memo of incremental builds.
    pub fn window_hash(&self, start: Day, end: Day) -> u64 {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        for (day, rows) in self.days.iter().filter(|(d, _)| *d >= start && *d <= end) {
            hash.update(&day.0.to_le_bytes());
            for row in rows {
                hash.update(&self.hashes[row.stack as usize].to_le_bytes());
                hash.update(&row.x.to_le_bytes());
                hash.update(&row.count.to_le_bytes());
            }
        }
        hash.digest()
    }

    /// (program, counter name) of every stack counter seen, sorted.
    pub fn counters(&self) -> Vec<(String, String)> {
        let mut names: Vec<(&str, &str)> = self.stacks.iter().map(|s| (&*s.program, &*s.counter)).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(|(program, counter)| (program.to_string(), counter.to_string())).collect()
    }

    /// The stacks of days `end - 6 ..= end`, for every counter in `counters` (those the
    /// upload config names, say) and every counter seen in the window, ranked; "new"
    /// against the seven days before.
    pub fn week(&self, end: Day, counters: &[(String, String)], chart_config: &ChartConfigFile) -> WindowStacks<'_> {
        let start = end.plus(-6);
        let mut rows: Vec<Row> = self.days_between(start, end).flatten().copied().collect();
        // Each day's rows are sorted: a stable sort merges the runs.
        rows.sort();
        let before: rustc_hash::FxHashSet<u32> =
            self.days_between(start.plus(-7), start.plus(-1)).flatten().map(|r| r.stack).collect();
        let mut by_counter: BTreeMap<(Arc<str>, Arc<str>), Vec<StackRow<'_>>> = counters
            .iter()
            .map(|(program, counter)| ((program.as_str().into(), counter.as_str().into()), Vec::new()))
            .collect();
        for group in rows.chunk_by(|a, b| a.stack == b.stack) {
            let stack = &self.stacks[group[0].stack as usize];
            let mut uploaders = 0u32;
            let mut last_x = None;
            for row in group {
                if last_x != Some(row.x) {
                    uploaders += 1;
                    last_x = Some(row.x);
                }
            }
            by_counter.entry((stack.program.clone(), stack.counter.clone())).or_default().push(StackRow {
                stack,
                uploaders,
                total: group.iter().map(|r| u128::from(r.count)).sum(),
                new: !before.contains(&group[0].stack),
            });
        }
        let counters = by_counter
            .into_iter()
            .map(|((program, counter), mut stacks)| {
                // Stable: ties keep the order of ids, the order of the keys as uploaded.
                stacks.sort_by(|a, b| b.uploaders.cmp(&a.uploaders).then(b.total.cmp(&a.total)));
                let record = chart_config.find(&program, &counter);
                CounterStacks {
                    title: record.map(|r| r.title.clone()).filter(|t| !t.is_empty()),
                    description: record.map(|r| r.description.clone()).filter(|d| !d.is_empty()),
                    program: program.to_string(),
                    counter: counter.to_string(),
                    stacks,
                }
            })
            .collect();
        WindowStacks { start, end, counters }
    }

    /// The rows of each day of `start..=end`.
    fn days_between(&self, start: Day, end: Day) -> impl Iterator<Item = &[Row]> {
        let from = self.days.partition_point(|(d, _)| *d < start);
        self.days[from..].iter().take_while(move |(d, _)| *d <= end).map(|(_, rows)| rows.as_slice())
    }
}

/// The stacks of the valid report at `at` in `spool`, read back.
pub(crate) fn stacks_in_spool(
    spool: &crate::ingest::spool::Spool,
    at: crate::ingest::spool::SpoolRef,
) -> std::io::Result<ReportStacks> {
    let mut text = Vec::new();
    spool.read_into(at, &mut text)?;
    Ok(stacks_of(&text))
}

/// The stacks of one valid report's text; none when it does not parse (it did at ingest).
pub(crate) fn stacks_of(text: &[u8]) -> ReportStacks {
    let Ok(text) = std::str::from_utf8(text) else {
        return Vec::new();
    };
    let Ok(report) = report::parse(text) else {
        return Vec::new();
    };
    report.stacks().map(|(program, key, count)| (program.to_string(), key.to_string(), count)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_does_not_depend_on_report_order() {
        let report = |day: i32, x: f64, key: &str| {
            (Day(day), x, vec![("p".to_string(), format!("crash/{key}\nmain.f:+1"), 2u64)])
        };
        let reports = vec![report(1, 0.5, "b"), report(1, 0.25, "a"), report(2, 0.5, "a")];
        let one = StackIndex::from_reports(reports.clone());
        let other = StackIndex::from_reports(reports.into_iter().rev());
        assert_eq!(one.window_hash(Day(0), Day(3)), other.window_hash(Day(0), Day(3)));
        assert_eq!(&*one.stacks[0].counter, "crash/a");
        // Stacks of one program share its name, and of one counter its name: one copy each.
        let keys = ["crash/a\nmain.f:+1", "crash/a\nmain.g:+1"].map(String::from);
        let index = StackIndex::from_reports([(Day(1), 0.5, keys.map(|k| ("p".to_string(), k, 1)).to_vec())]);
        assert!(Arc::ptr_eq(&index.stacks[0].program, &index.stacks[1].program));
        assert!(Arc::ptr_eq(&index.stacks[0].counter, &index.stacks[1].counter));
    }

    #[test]
    fn stacks_put_in_order_keep_their_own_rows() {
        // 60 stacks first seen in a scrambled order (long cycles for the swaps), stack i
        // with count i + 1, from uploader i.
        let keys: Vec<String> = (0..60).map(|i| format!("crash/crash\nm.f{i:02}:+1")).collect();
        let reports = (0..60u64).map(|k| (k * 37) % 60).map(|i| {
            let i = i as usize;
            (Day(5), (i + 1) as f64 / 64.0, vec![("p".to_string(), keys[i].clone(), i as u64 + 1)])
        });
        let index = StackIndex::from_reports(reports);
        let encoded: Vec<&str> = index.stacks.iter().map(|s| &*s.encoded).collect();
        assert_eq!(encoded, keys.iter().map(String::as_str).collect::<Vec<_>>(), "in key order");
        let week = index.week(Day(5), &[], &ChartConfigFile::default());
        assert_eq!(week.counters[0].stacks.len(), 60);
        for row in &week.counters[0].stacks {
            let i: u128 = row.stack.encoded[15..17].parse().unwrap();
            assert_eq!((row.total, row.uploaders), (i + 1, 1), "{}", row.stack.encoded);
        }
    }

    #[test]
    fn decode_expands_ditto_marks_like_go() {
        let encoded = "gopls/bug\n\
            golang.org/x/tools/gopls/internal/util/bug.report:35\n\
            \".Reportf:2\n\
            golang.org/x/tools/gopls/internal/cache.(*Snapshot).load:+0x1a\n\
            \".initialize:7\n\
            runtime.goexit:0";
        assert_eq!(
            decode(encoded),
            "gopls/bug\n\
            golang.org/x/tools/gopls/internal/util/bug.report:35\n\
            golang.org/x/tools/gopls/internal/util/bug.Reportf:2\n\
            golang.org/x/tools/gopls/internal/cache.(*Snapshot).load:+0x1a\n\
            golang.org/x/tools/gopls/internal/cache.(*Snapshot).initialize:7\n\
            runtime.goexit:0"
        );
    }

    #[test]
    fn decode_follows_go_on_edge_cases() {
        // Not a stack: unchanged.
        assert_eq!(decode("crash/crash"), "crash/crash");
        assert_eq!(decode("a.b"), "a.b");
        // Method frames: the "path" is everything before the last dot, as encoded.
        assert_eq!(decode("c\npkg.(*T).M:1\n\".N:2"), "c\npkg.(*T).M:1\npkg.(*T).N:2");
        // A ditto before any path expands to the bare rest.
        assert_eq!(decode("c\n\".f:1"), "c\nf:1");
        // A name with a dot sets the path (Go treats every line alike).
        assert_eq!(decode("go.x\n\".f:1"), "go.x\ngo.f:1");
        // Lines without a dot, `:?N` and `:??N` frames and `truncated` pass through.
        assert_eq!(decode("c\nruntime.f:?12\n\".g:??3\ntruncated\n"), "c\nruntime.f:?12\nruntime.g:??3\ntruncated\n");
        // A `"` that is not the whole path is a path.
        assert_eq!(decode("c\n\"x\".f:1\n\".g:2"), "c\n\"x\".f:1\n\"x\".g:2");
        // Empty lines and a leading dot (empty path) are unchanged.
        assert_eq!(decode("c\n\n.f:1\n\".g"), "c\n\n.f:1\ng");
    }

    #[test]
    fn stack_splits_name_and_frames_dropping_a_trailing_empty_line() {
        let stack = Stack::new("p".into(), "gopls/bug\na.f:1\n\".g:2\ntruncated\n");
        assert_eq!(&*stack.counter, "gopls/bug");
        let shown = stack.shown();
        assert_eq!(shown.frames().collect::<Vec<_>>(), ["a.f:1", "a.g:2", "truncated"]);
        assert_eq!(shown.not_shown, 0);
        let bare = Stack::new("p".into(), "crash/crash");
        assert_eq!(&*bare.counter, "crash/crash");
        assert_eq!(bare.shown().frames().len(), 0);
        // A name that is a ditto mark and a function decodes as Go decodes it.
        assert_eq!(&*Stack::new("p".into(), "\".bug\na.f:1").counter, "bug");
    }

    #[test]
    fn a_stack_shows_128_frames_of_1000_characters_at_most_and_counts_the_rest() {
        let long_frame = format!("a.{}:1", "f".repeat(MAX_FRAME_CHARS + 500));
        let frames: Vec<String> = (0..200).map(|i| format!("p.f{i}:+{i}")).collect();
        let encoded = format!("crash/crash\n{long_frame}\n{}", frames.join("\n"));
        let stack = Stack::new("p".into(), &encoded);
        let shown = stack.shown();
        let frames: Vec<&str> = shown.frames().collect();
        assert_eq!(frames.len(), MAX_FRAMES_SHOWN);
        assert_eq!(shown.not_shown, 201 - MAX_FRAMES_SHOWN);
        assert_eq!(frames[0].chars().count(), MAX_FRAME_CHARS + 1);
        assert!(frames[0].ends_with("ff…"));
        assert_eq!(frames[MAX_FRAMES_SHOWN - 1], "p.f126:+126");
        // The stack is still told apart by its whole key: the same first frames with
        // another end are another stack.
        let other = encoded.replace("p.f199:+199", "p.f199:+7");
        let index = StackIndex::from_reports([
            (Day(20_000), 0.1, vec![s("p", &encoded, 1)]),
            (Day(20_000), 0.2, vec![s("p", &other, 1)]),
        ]);
        assert_eq!(index.stacks.len(), 2);
    }

    #[test]
    fn a_stack_added_unlooked_is_found_by_a_later_intern_and_the_other_way_round() {
        let mut builder = Builder::default();
        let cached = builder.add_new("p", "crash/crash\nm.f:+1");
        assert_eq!(builder.intern("p", "crash/crash\nm.f:+1"), cached, "the map is made from the stacks so far");
        let parsed = builder.intern("p", "crash/crash\nm.g:+1");
        let later = builder.add_new("p", "crash/crash\nm.h:+1");
        assert_eq!(builder.intern("p", "crash/crash\nm.h:+1"), later, "the map follows what is added");
        assert_eq!(builder.intern("q", "crash/crash\nm.f:+1"), 3, "another program's stack is another stack");
        assert_eq!((builder.stacks.len(), parsed), (4, 1));
    }

    fn first_frame(stack: &Stack) -> String {
        stack.shown().frames().next().unwrap().to_string()
    }

    #[test]
    fn ties_rank_by_key_as_uploaded_not_by_decoded_frames() {
        // Decoded, the second key's frames come first (`z.a` < `z.g`); as uploaded, the
        // ditto mark (`"`, 0x22) sorts before `z`. Inserted in the other order.
        const DITTO: &str = "gopls/bug\nz.f:1\n\".g:1";
        const PLAIN: &str = "gopls/bug\nz.f:1\nz.a:1";
        let index = StackIndex::from_reports([
            (Day(20_000), 0.1, vec![s("gopls", PLAIN, 1)]),
            (Day(20_000), 0.2, vec![s("gopls", DITTO, 1)]),
        ]);
        let week = index.week(Day(20_000), &[], &ChartConfigFile::default());
        let keys: Vec<&str> = week.counters[0].stacks.iter().map(|r| &*r.stack.encoded).collect();
        assert_eq!(keys, [DITTO, PLAIN]);
        assert_eq!(week.counters[0].stacks[0].stack.shown().frames().nth(1), Some("z.g:1"));
    }

    fn s(program: &str, key: &str, count: u64) -> (String, String, u64) {
        (program.to_string(), key.to_string(), count)
    }

    #[test]
    fn totals_past_two_to_the_64_are_exact_and_rank_as_such() {
        const BIG: &str = "crash/crash\nmain.big:+1";
        const SMALL: &str = "crash/crash\nmain.small:+1";
        let max = i64::MAX as u64;
        let reports = [0.1, 0.2, 0.3].map(|x| (Day(20_000), x, vec![s("p", BIG, max), s("p", SMALL, max / 3 * 2)]));
        let index = StackIndex::from_reports(reports);
        let week = index.week(Day(20_000), &[], &ChartConfigFile::default());
        let got: Vec<(String, u128)> =
            week.counters[0].stacks.iter().map(|r| (first_frame(r.stack), r.total)).collect();
        // 3 x (2^63 - 1) = 27670116110564327421, past u64::MAX; it ranks first.
        assert_eq!(
            got,
            vec![
                ("main.big:+1".into(), 27_670_116_110_564_327_421),
                ("main.small:+1".into(), 18_446_744_073_709_551_612)
            ]
        );
    }

    #[test]
    fn ranks_by_uploaders_then_total_then_text_and_marks_new() {
        const A: &str = "gopls/bug\na.f:1"; // seen the week before too
        const B: &str = "gopls/bug\nb.f:1";
        const C: &str = "gopls/bug\nc.f:1";
        const D: &str = "gopls/bug\nd.f:1";
        let day = |n| Day(20_000 + n);
        let index = StackIndex::from_reports([
            // The week before: days 0..=6.
            (day(3), 0.9, vec![s("gopls", A, 1)]),
            (day(5), 0.8, vec![s("gopls", "crash/crash\nruntime.f:1", 4)]),
            // The week: days 7..=13.
            (day(7), 0.1, vec![s("gopls", A, 5), s("gopls", B, 1)]),
            (day(8), 0.1, vec![s("gopls", A, 5)]), // same uploader on another day: 1 uploader
            (day(8), 0.2, vec![s("gopls", B, 2), s("gopls", C, 1)]),
            (day(9), 0.3, vec![s("gopls", C, 1), s("gopls", D, 2)]),
            (day(13), 0.4, vec![s("gopls", D, 1)]),
            // After: not in the window.
            (day(14), 0.5, vec![s("gopls", C, 100)]),
        ]);
        let mut config = ChartConfigFile::default();
        config.records.push(crate::config::ChartConfig {
            title: "Bugs".into(),
            description: "gopls bug reports".into(),
            kind: "stack".into(),
            program: "gopls".into(),
            counter: "gopls/bug".into(),
            ..Default::default()
        });
        let configured =
            vec![("gopls".to_string(), "crash/crash".to_string()), ("gopls".to_string(), "gopls/bug".to_string())];
        let week = index.week(day(13), &configured, &config);
        assert_eq!((week.start, week.end), (day(7), day(13)));
        // crash/crash is configured, not seen this week: listed, empty.
        assert_eq!(week.counters.len(), 2);
        assert_eq!(week.counters[0].counter, "crash/crash");
        assert!(week.counters[0].stacks.is_empty());
        assert_eq!(week.counters[0].title, None);
        let bug = &week.counters[1];
        assert_eq!(bug.title.as_deref(), Some("Bugs"));
        assert_eq!(bug.description.as_deref(), Some("gopls bug reports"));
        let got: Vec<(String, u32, u128, bool)> =
            bug.stacks.iter().map(|r| (first_frame(r.stack), r.uploaders, r.total, r.new)).collect();
        // B: 0.1, 0.2 -> 2 uploaders, 3; C: 0.2, 0.3 -> 2, 2; D: 0.3, 0.4 -> 2, 3;
        // A: 0.1 twice -> 1 uploader, 10. B and D tie on uploaders and total: by key.
        let want = [("b.f:1", 2, 3, true), ("d.f:1", 2, 3, true), ("c.f:1", 2, 2, true), ("a.f:1", 1, 10, false)];
        assert_eq!(got, want.map(|(f, u, t, n)| (f.to_string(), u, t, n)));
        assert_eq!(week.stack_count(), 4);
        // The first week: everything is new, the counter seen is listed even unconfigured.
        let first = index.week(day(6), &[], &config);
        assert_eq!(first.counters.len(), 2);
        assert!(first.counters.iter().all(|c| c.stacks.iter().all(|r| r.new)));
        assert_eq!(
            index.counters(),
            vec![("gopls".to_string(), "crash/crash".to_string()), ("gopls".to_string(), "gopls/bug".to_string())]
        );
    }

    #[test]
    fn reads_stacks_from_report_text() {
        let text = br#"{"Week":"2026-01-07","LastWeek":"","X":0.5,"Programs":[{"Program":"gopls","Version":"v1","GoVersion":"go1.22","GOOS":"linux","GOARCH":"amd64","Counters":{},"Stacks":{"gopls/bug\na.f:1\n\".g:2":3}}],"Config":"v1"}"#;
        assert_eq!(stacks_of(text), vec![s("gopls", "gopls/bug\na.f:1\n\".g:2", 3)]);
        assert!(stacks_of(b"not json").is_empty());
    }
}
