//! Each file read, parsed, checked and its valid reports spooled, in units of one spool
//! file each.

use rayon::prelude::*;

use super::duplicates::object_name_order;
use super::outcome::{FileOutcome, SeenStacks};
use super::read::{self, Piece};
use super::spool::{FileSpool, Spool, SpoolRef};
use super::validate::{self, Valid};
use super::{compact, discover, Catalog, IngestOptions, InputFile, Layout, Reason, Record};
use crate::cache;
use crate::cache::StackNames;
use crate::day::Day;

/// Reads files in parallel, one spool unit to a task: what every pass of a build shares.
pub(super) struct Reader<'a> {
    pub(super) files: &'a [InputFile],
    /// The files in spool units ([`spool_units`]).
    pub(super) units: Vec<std::ops::Range<usize>>,
    pub(super) spool: &'a Spool,
    pub(super) options: &'a IngestOptions<'a>,
    pub(super) catalog: &'a Catalog,
    /// Where the stacks of valid reports are named, when a cache is made.
    pub(super) seen_stacks: Option<&'a std::sync::Mutex<StackNames>>,
}

impl Reader<'_> {
    /// Reads each file `only` picks that `reuse` does not take from the cache. The texts of
    /// reports on `textless` days are not spooled: the day's raw data is reused from the
    /// previous site (but for those with stacks, which the stack pages may read back).
    pub(super) fn read(
        &self,
        reuse: &[Option<&cache::FileEntry>],
        only: &(dyn Fn(usize) -> bool + Sync),
        textless: &(dyn Fn(Day) -> bool + Sync),
    ) -> FileOutcome {
        let (files, spool, options) = (self.files, self.spool, self.options);
        // Only the units with a file to read are shared out: the few days a rebuild reads
        // may be neighbours, and would otherwise fall to one thread together.
        let wanted = |i: &usize| reuse[*i].is_none() && only(*i);
        let todo: Vec<&std::ops::Range<usize>> =
            self.units.iter().filter(|unit| (**unit).clone().any(|i| wanted(&i))).collect();
        todo.into_par_iter()
            .fold(FileOutcome::default, |mut acc, unit| {
                let first_record = acc.records.len();
                let mut own: Option<Option<FileSpool>> = None;
                for index in unit.clone().filter(wanted) {
                    // Made for the first file read; a spool file that cannot be made leaves
                    // the unit's reports to the shared spool (a spool that keeps no text
                    // makes none).
                    let own = own.get_or_insert_with(|| spool.file_slot().ok()).as_mut();
                    let to = SpoolTo { shared: spool, own, textless };
                    read_file(&mut acc, index as u32, &files[index], (options, self.catalog), to, self.seen_stacks);
                    options.progress.inc(1);
                }
                if let Some(Some(mut own)) = own {
                    place_texts(&mut acc.records[first_record..], &mut own, spool);
                    // A spool file that cannot be ended holds texts that cannot be read
                    // back: the ingest stops on it ([`Spool::fail`]).
                    if let Err(e) = spool.finish(own) {
                        spool.fail(&e);
                    }
                }
                acc
            })
            .reduce(FileOutcome::default, FileOutcome::merge)
            .flatten()
    }
}

/// The files read into one spool file each, as ranges of `files`: a newline-delimited file
/// alone, and the one-report files of a folder together, in order. A day's raw data is
/// then read back from the spool in long runs, or hard-linked when it is a whole spool file.
pub(super) fn spool_units(files: &[InputFile]) -> Vec<std::ops::Range<usize>> {
    let together = |a: &InputFile, b: &InputFile| {
        a.layout == Layout::Upload
            && b.layout == Layout::Upload
            && discover::folder_of(a.path()) == discover::folder_of(b.path())
    };
    let mut units = Vec::new();
    let mut start = 0;
    for run in files.chunk_by(together) {
        units.push(start..start + run.len());
        start += run.len();
    }
    units
}

/// Writes the texts that the spool file `own` holds (of `records`, a unit's) in the order
/// of its main day's raw data: the reports on the day most of them are on, one per X (the
/// last by file and line, as the duplicate rule keeps), in object-name order. Unless another
/// file adds to that day, the spool file is then its `data/<D>.json`, hard-linked, not
/// copied. The other texts go to the shared slots.
fn place_texts(records: &mut [Record], own: &mut FileSpool, spool: &Spool) {
    let slot = own.slot();
    let mut mine: Vec<usize> = (0..records.len()).filter(|&i| records[i].text.slot == slot).collect();
    let mut days: Vec<(Day, usize)> = Vec::new();
    for &i in &mine {
        match days.iter_mut().find(|(day, _)| *day == records[i].day) {
            Some((_, n)) => *n += 1,
            None => days.push((records[i].day, 1)),
        }
    }
    let Some(main) = days.iter().max_by_key(|(day, n)| (*n, std::cmp::Reverse(*day))).map(|(day, _)| *day) else {
        return;
    };
    // As the duplicate rule orders them (the kept one of a run last), the main day first.
    mine.sort_unstable_by_key(|&i| (records[i].day != main, records[i].rule_order()));
    let (mut here, mut elsewhere) = (Vec::with_capacity(mine.len()), Vec::new());
    for (k, &i) in mine.iter().enumerate() {
        let r = &records[i];
        if r.day == main && !mine.get(k + 1).is_some_and(|&j| records[j].same_report(r)) {
            here.push(i);
        } else {
            elsewhere.push(i);
        }
    }
    here.sort_by(|&a, &b| object_name_order(records[a].x, records[b].x));
    let refs = |list: &[usize]| list.iter().map(|&i| records[i].text).collect::<Vec<_>>();
    if let Some((moved_here, moved_elsewhere)) = own.write_held(spool, &refs(&here), &refs(&elsewhere)) {
        for (i, at) in here.into_iter().zip(moved_here).chain(elsewhere.into_iter().zip(moved_elsewhere)) {
            records[i].text = at;
        }
    }
}

/// Where [`read_file`] puts the texts of valid reports.
struct SpoolTo<'a> {
    shared: &'a Spool,
    /// The spool file of the file's unit, when it has one.
    own: Option<&'a mut FileSpool>,
    /// The days whose reports' texts are not kept (see [`Reader::read`]).
    textless: &'a (dyn Fn(Day) -> bool + Sync),
}

/// Reads `file` (the `index`th) into `outcome`; with `stack_names`, the stacks of its
/// valid reports are kept in `outcome.stacks` too.
fn read_file(
    outcome: &mut FileOutcome,
    index: u32,
    file: &InputFile,
    (options, catalog): (&IngestOptions<'_>, &Catalog),
    to: SpoolTo<'_>,
    stack_names: Option<&std::sync::Mutex<StackNames>>,
) {
    let (limits, timed) = (options.limits, options.cpu_times);
    let started = Lap::start(timed);
    let (cpu_before, skipped_before) = (outcome.cpu, outcome.skipped);
    let mut reading = Reading {
        outcome,
        index,
        file,
        catalog,
        max_bytes: limits.max_report_bytes,
        timed,
        to,
        stack_names,
        details: 0,
        keys: Vec::with_capacity(64),
        line_text: Vec::with_capacity(2048),
        stacks: Vec::new(),
    };
    let mut last_line = 0;
    let result = read::read_reports(file, limits, timed, |line, piece| {
        last_line = line;
        reading.report(line, piece)
    });
    let decompressed = match result {
        Ok((read, decompressed)) => {
            reading.outcome.stats.push((index, read));
            decompressed
        }
        Err(e) => {
            // What could not be read counts as one report read and skipped, so that the
            // reports read are the valid and the skipped ones, whether this file's outcome
            // is found now or taken from the cache by a later build.
            // A merged file that breaks off (a gzip stream cut short) keeps the lines read
            // before: the skip names the line it broke off in.
            reading.outcome.reports += 1;
            match last_line {
                0 => reading.skip(0, Reason::Unreadable, || format!("cannot read the file: {e}")),
                read => reading.skip(read + 1, Reason::Unreadable, || {
                    format!("cannot read the file from this line on (the {read} lines before it are read): {e}")
                }),
            }
            // Not the file's fault, maybe not for long (a permission mended by `chmod`,
            // which leaves the file's size and mtime as they were): read again next time.
            if read::failed_outside_the_file(&e) {
                reading.outcome.unsettled.push(index);
            }
            std::time::Duration::ZERO
        }
    };
    let outcome = reading.outcome;
    // What the reports' checks and spooling did not spend, reading and decompressing did.
    let in_reports = (outcome.cpu.parse - cpu_before.parse)
        + (outcome.cpu.validate - cpu_before.validate)
        + (outcome.cpu.spool - cpu_before.spool);
    if timed {
        outcome.cpu.decompress += decompressed;
        outcome.cpu.read += started.elapsed().saturating_sub(in_reports + decompressed);
    }
    for (reason, (now, was)) in Reason::ALL.iter().zip(outcome.skipped.iter().zip(skipped_before)) {
        if *now > was {
            outcome.file_skips.push((index, *reason, (*now - was) as u32));
        }
    }
}

/// One file's reading ([`read_file`]): where its reports go, and the buffers each report
/// reuses.
struct Reading<'r, 'a> {
    outcome: &'r mut FileOutcome,
    index: u32,
    file: &'a InputFile,
    catalog: &'a Catalog,
    max_bytes: usize,
    /// Whether CPU times are measured (`-v`).
    timed: bool,
    to: SpoolTo<'a>,
    stack_names: Option<&'a std::sync::Mutex<StackNames>>,
    /// How many of the file's skips were listed with their reason so far.
    details: usize,
    /// The report's key ids ([`validate::judge`]).
    keys: Vec<u32>,
    /// The report's text compacted, before it is spooled.
    line_text: Vec<u8>,
    /// The report's stacks, as interned names and counts, when they are kept.
    stacks: Vec<(u32, u64)>,
}

impl Reading<'_, '_> {
    /// One report of the file, at `line` (0 for a one-report file): kept or skipped.
    fn report(&mut self, line: u32, piece: Piece<'_>) {
        self.outcome.reports += 1;
        let text = match piece {
            Piece::Text(text) => read::without_newline(text),
            Piece::TooLarge(len) => {
                let why = match len {
                    Some(len) => format!("{len} bytes, more than the limit of {}", self.max_bytes),
                    None => format!("more than the limit of {} bytes (the rest was not read)", self.max_bytes),
                };
                return self.skip(line, Reason::TooLarge, || why);
            }
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            // Ahead of [`Self::check`], which says the same, with a message made every
            // time: a gzip bomb of blank lines is a billion of them.
            return self.skip(line, Reason::Empty, || validate::BLANK.to_string());
        }
        match self.check(text) {
            Ok(valid) => self.keep(line, text, valid),
            Err((reason, why)) => self.skip(line, reason, || plainer(text, line, reason, why)),
        }
    }

    /// Every rule but the duplicate rule: [`validate::parse`], then [`validate::judge`],
    /// timed apart. The report's keys are left in `keys`, its stacks in `stacks`.
    fn check(&mut self, text: &[u8]) -> Result<Valid, (Reason, String)> {
        self.keys.clear();
        self.stacks.clear();
        let mut clock = Lap::start(self.timed);
        let parsed = validate::parse(text, self.max_bytes);
        self.outcome.cpu.parse += clock.lap();
        let (catalog, keys, stacks) = (self.catalog, &mut self.keys, &mut self.stacks);
        let checked = parsed.and_then(|report| match self.stack_names {
            Some(names) => {
                let mut see = |program: &str, key: &str, count| {
                    let mut names = names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    stacks.push((names.intern(program, key), count));
                };
                validate::judge(&report, catalog, keys, &mut see)
            }
            None => validate::judge(&report, catalog, keys, &mut |_, _, _| {}),
        });
        self.outcome.cpu.validate += clock.elapsed();
        checked
    }

    /// Spools a valid report's text (unless its day's texts are not kept) and records it.
    fn keep(&mut self, line: u32, text: &[u8], valid: Valid) {
        let clock = Lap::start(self.timed);
        let put = if !self.to.shared.keeps_texts() || (!valid.has_stacks && (self.to.textless)(valid.day)) {
            self.outcome.textless += 1;
            Ok(SpoolRef::NONE)
        } else {
            let compact = if valid.unknown_keys {
                // Rare: a copy, then the text without the keys Go's types do not have.
                let compact = compact::compact(text, &mut self.line_text).to_vec();
                self.line_text.clear();
                compact::without_unknown_keys(&compact, &mut self.line_text);
                &self.line_text[..]
            } else {
                compact::compact(text, &mut self.line_text)
            };
            match &mut self.to.own {
                Some(own) => own.put(compact),
                None => self.to.shared.put(compact),
            }
        };
        self.outcome.cpu.spool += clock.elapsed();
        let at = match put {
            Ok(at) => at,
            Err(e) => {
                // The ingest stops on it ([`Spool::fail`]); the skip only keeps the counts whole.
                self.to.shared.fail(&e);
                return self.skip(line, Reason::Unreadable, || format!("cannot spool the report: {e}"));
            }
        };
        self.keys.sort_unstable();
        self.keys.dedup();
        let outcome = &mut *self.outcome;
        outcome.records.push(Record {
            day: valid.day,
            x: valid.x,
            file: self.index,
            line,
            has_programs: valid.has_programs,
            has_stacks: valid.has_stacks,
            keys: super::key_ids::KeyIds::new(&self.keys),
            text: at,
        });
        if !self.stacks.is_empty() {
            let (start, len) = (outcome.stack_counts.len() as u32, self.stacks.len() as u32);
            outcome.stack_counts.extend_from_slice(&self.stacks);
            outcome.stacks.push(SeenStacks { file: self.index, line, start, len });
        }
    }

    fn skip(&mut self, line: u32, reason: Reason, why: impl FnOnce() -> String) {
        self.outcome.skip(&mut self.details, self.file, line, reason, why);
    }
}

/// A skip's message as a maintainer reads it beside the file and line: a line of a merged
/// file is its report's only line, so serde's `at line 1 column N` becomes `at column N`;
/// a report that starts with a UTF-8 byte order mark (which JSON does not allow) says so.
fn plainer(text: &[u8], line: u32, reason: Reason, why: String) -> String {
    let why = if line > 0 { why.replace(" at line 1 column ", " at column ") } else { why };
    if reason == Reason::Malformed && text.starts_with(b"\xEF\xBB\xBF") {
        format!("starts with a UTF-8 byte order mark, which JSON does not allow: {why}")
    } else {
        why
    }
}

/// A clock read only when CPU times are asked for: a year of reports would read it five
/// million times.
#[derive(Clone, Copy)]
struct Lap(Option<std::time::Instant>);

impl Lap {
    fn start(timed: bool) -> Lap {
        Lap(timed.then(std::time::Instant::now))
    }

    /// The time since the start; zero when not measured.
    fn elapsed(self) -> std::time::Duration {
        self.0.map_or(std::time::Duration::ZERO, |start| start.elapsed())
    }

    /// The time since the start, which is now from here on: one clock read for two parts.
    fn lap(&mut self) -> std::time::Duration {
        let Some(start) = &mut self.0 else { return std::time::Duration::ZERO };
        let now = std::time::Instant::now();
        let lap = now - *start;
        *start = now;
        lap
    }
}

#[cfg(test)]
mod tests {
    use super::{place_texts, spool_units};
    use crate::day::Day;
    use crate::ingest::{InputFile, Layout, Record};

    #[test]
    fn a_spool_file_holds_its_main_days_reports_once_each_in_object_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let spool = super::Spool::new(dir.path(), ".test-spool-").unwrap();
        let mut own = spool.file_slot().unwrap();
        // (day, X, line): day 1 is the main day; X 0.5 comes twice (line 4 is kept); 2e-5
        // names an object `2e-05.json`, after every `0.` name.
        let reports = [(1, 0.5, 1), (1, 0.25, 2), (2, 0.125, 3), (1, 0.5, 4), (1, 2e-5, 5), (1, 0.75, 6)];
        let mut records: Vec<Record> = reports
            .iter()
            .map(|&(day, x, line)| Record {
                day: Day(day),
                x,
                file: 0,
                line,
                has_programs: true,
                has_stacks: false,
                keys: Default::default(),
                text: own.put(format!("{{\"X\":{x},\"line\":{line}}}").as_bytes()).unwrap(),
            })
            .collect();
        place_texts(&mut records, &mut own, &spool);
        spool.finish(own).unwrap();
        spool.flush().unwrap();
        let text_of = |r: &Record| {
            let mut text = Vec::new();
            spool.read_into(r.text, &mut text).unwrap();
            String::from_utf8(text).unwrap()
        };
        for (r, &(_, x, line)) in records.iter().zip(&reports) {
            assert_eq!(text_of(r), format!("{{\"X\":{x},\"line\":{line}}}"), "each record keeps its own text");
        }
        let kept = [1usize, 3, 5, 4].map(|i| records[i].text);
        let path = spool.whole_file(kept).expect("the main day's kept reports, in object-name order");
        let lines: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(String::from).collect();
        let expected: Vec<String> = [1usize, 3, 5, 4].iter().map(|&i| text_of(&records[i])).collect();
        assert_eq!(lines, expected);
    }
    #[test]
    fn one_report_files_of_a_folder_share_a_spool_file_and_merged_files_have_their_own() {
        let file = |rel: &str, layout| InputFile::new(std::path::Path::new("/d").join(rel), rel, layout, false);
        let files = [
            file("2026-01-01.json", Layout::Merged),
            file("2026-01-01/0.1.json", Layout::Upload),
            file("2026-01-01/0.2.json", Layout::Upload),
            file("2026-01-02.json", Layout::Merged),
            file("2026-01-02.jsonl", Layout::Merged),
            file("2026-01-02/0.3.json", Layout::Upload),
            file("sub/2026-01-02/0.4.json", Layout::Upload),
        ];
        assert_eq!(spool_units(&files), [0..1, 1..3, 3..4, 4..5, 5..6, 6..7]);
    }
}
