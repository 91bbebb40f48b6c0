//! Ingest: DATA -> valid, deduplicated reports as compact records, plus every skip.
//!
//! Files are read, decompressed, parsed and checked in parallel; each report becomes a
//! [`Record`] of a few numbers and key ids, and its text goes to a spool on disk. Memory
//! grows with reports (tens of bytes each) and names, never with input bytes.

pub mod catalog;
pub mod compact;
pub mod discover;
pub mod gunzip;
pub mod incremental;
pub mod read;
pub mod reason;
pub mod report;
pub mod spool;
pub mod validate;

use std::collections::BTreeSet;
use std::path::Path;

use rayon::prelude::*;

pub use catalog::Catalog;
pub use discover::{Discovery, InputFile, Layout, Unrecognised};
pub use read::Limits;
use read::Piece;
pub use reason::Reason;
use spool::{FileSpool, Spool, SpoolRef};

use crate::cache;
use crate::day::Day;
use crate::stacks::CachedStacks;

/// A valid report, reduced to what aggregation and the downloads need.
#[derive(Debug, Clone)]
pub struct Record {
    pub day: Day,
    pub x: f64,
    /// Index into [`Ingested::files`], then line (0 in the upload layout).
    pub file: u32,
    pub line: u32,
    pub has_programs: bool,
    /// Whether a program report holds stack counters (read back from the spool for stack pages).
    pub has_stacks: bool,
    /// Key ids (see [`Catalog`]), sorted, without repeats.
    pub keys: Box<[u32]>,
    pub text: SpoolRef,
}

impl Record {
    /// The duplicate rule's order: by day and X, then file and line, so that of reports
    /// sharing a day and X ([`Record::same_report`]) the one kept comes last.
    fn rule_order(&self) -> (Day, u64, u32, u32) {
        (self.day, self.x.to_bits(), self.file, self.line)
    }

    /// Whether the two are the same report to the duplicate rule: the same `Week` and `X`,
    /// as the server names an object `<Week>/<X>.json`.
    fn same_report(&self, other: &Record) -> bool {
        self.day == other.day && self.x.to_bits() == other.x.to_bits()
    }
}

/// A skipped report (or unreadable file), named for the summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skip {
    pub path: String,
    /// 1-based line in the merged layout; 0 for a whole file.
    pub line: u32,
    pub reason: Reason,
    pub message: String,
}

/// How many skips each file keeps in detail (all are counted).
const DETAILS_PER_FILE: usize = 100;

/// Everything ingest found.
pub struct Ingested {
    pub files: Vec<InputFile>,
    /// The stat of every file, when asked for ([`IngestOptions::keep_stats`]).
    pub stats: Option<Vec<std::io::Result<cache::FileStat>>>,
    pub unrecognised: Vec<Unrecognised>,
    /// Valid reports, one per (day, X), sorted by day then object name `<Week>/<%g X>.json`.
    pub records: Vec<Record>,
    /// Reports (files or lines) read, valid or not.
    pub reports_read: u64,
    /// Skipped reports, by [`Reason::index`].
    pub skipped: [u64; Reason::ALL.len()],
    /// Skips in detail, in (path, line) order; at most [`DETAILS_PER_FILE`] per file.
    pub skips: Vec<Skip>,
    pub catalog: Catalog,
    pub spool: Spool,
    /// Seconds per ingest stage.
    pub stages: Vec<(String, f64)>,
    /// The cache for the next build, when asked for (its `data_files` are filled in once
    /// the site is written).
    pub cache: Option<cache::Cache>,
    /// Days whose raw data is unchanged: the previous site's `data/<D>.json` is reused.
    pub linkable_days: BTreeSet<Day>,
    /// Input files taken from the cache instead of being parsed.
    pub files_reused: u64,
    /// Valid reports read again only to be counted: their day's raw data is reused, so
    /// their texts were not spooled.
    pub textless: u64,
    /// Every file was taken from the previous cache, which still holds (so it need not be
    /// made again: [`Ingested::cache`] is `None`).
    pub unchanged: bool,
    /// The previous cache, given back when `unchanged`.
    pub previous: Option<cache::Cache>,
    /// In an incremental build: the days whose records `records` holds, and the previous
    /// build's counts for the others.
    pub partial: Option<Partial>,
    /// Valid reports with stacks on the days `records` leaves out (see [`Ingested::partial`]).
    pub stack_records: Vec<Record>,
    /// The stacks of the records taken from the cache (whose texts are not kept).
    pub cached_stacks: CachedStacks,
    /// Every report the duplicate rule dropped, by day, X, path and line.
    pub duplicates: Vec<cache::CachedDuplicate>,
}

/// What an incremental build recounts: the changed days, and the rare day near one that
/// may share an uploader with a changed report (see [`crate::aggregate::uploaders`]); and
/// what it takes from the previous build for all other days.
#[derive(Debug, Clone, Default)]
pub struct Partial {
    pub days: BTreeSet<Day>,
    /// The previous build's chart set counts.
    pub sets: Vec<crate::aggregate::SetCounts>,
    /// The previous build's uploaders: the repeats of the days not recounted come from it.
    pub uploaders: crate::aggregate::uploaders::Uploaders,
}

impl Partial {
    /// The previous build's daily sets of the days not recounted.
    pub fn kept_daily(&self) -> impl Iterator<Item = &crate::aggregate::SetCounts> {
        self.sets.iter().filter(|s| s.is_daily() && !self.days.contains(&s.end))
    }
}

impl Ingested {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// Valid reports, after the duplicate rule.
    pub fn valid_reports(&self) -> u64 {
        let kept: u64 = self.partial.iter().flat_map(Partial::kept_daily).map(|s| s.num_reports).sum();
        self.records.len() as u64 + kept
    }

    /// The newest day with a valid report.
    pub fn newest_day(&self) -> Option<Day> {
        let kept = self.partial.iter().flat_map(Partial::kept_daily).map(|s| s.end).max();
        self.records.last().map(|r| r.day).max(kept)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("`{path}`: cannot read the data directory: {source}")]
    Data { path: String, source: std::io::Error },
    #[error("cannot create a temporary spool in `{path}`: {source}")]
    Spool { path: String, source: std::io::Error },
}

/// What a share of the files held (folded per thread, then merged).
#[derive(Default)]
struct FileOutcome {
    records: Vec<Record>,
    /// Records of other shares, merged in but not yet moved into `records` (see
    /// [`FileOutcome::flatten`]): a year's records are 56 MB, and moving them at every
    /// merge copied each several times, on one core at the end.
    more_records: Vec<Vec<Record>>,
    reports: u64,
    /// Valid reports whose texts were not spooled (see [`Ingested::textless`]).
    textless: u64,
    skipped: [u64; Reason::ALL.len()],
    skips: Vec<Skip>,
    /// (file, reason, count) for every file with skips, for the cache.
    file_skips: Vec<(u32, Reason, u32)>,
    /// (file, stat and hash) of every file read, as opened.
    stats: Vec<(u32, read::FileRead)>,
    /// The stacks of the valid reports that have some, seen as they were parsed, when a
    /// cache is made: it takes them from here rather than reading the reports back.
    stacks: Vec<SeenStacks>,
    /// Their (stack id, count) pairs, all in one vector: a small allocation per report,
    /// held until the end of the parse, would fragment the heap that parsing churns.
    stack_counts: Vec<(u32, u64)>,
    /// Time spent, summed over threads: reading and decompressing, parsing and checking,
    /// spooling the valid reports.
    cpu: CpuTimes,
}

/// The stacks of one valid report (by file and line): `len` (stack id in a
/// [`StackNames`], count) pairs from `start` in [`FileOutcome::stack_counts`].
#[derive(Clone, Copy)]
struct SeenStacks {
    file: u32,
    line: u32,
    start: u32,
    len: u32,
}

/// The stack names (program, key) that parsing saw, shared by the threads; an id is
/// good for this build only (the cache numbers its stacks again, in file order). The
/// names are kept in one string, for the reason of [`FileOutcome::stack_counts`].
#[derive(Default)]
struct StackNames {
    text: String,
    /// Per id: where its program starts in `text`, and the lengths of program and key.
    spans: Vec<(u32, u32, u32)>,
    ids: rustc_hash::FxHashMap<u64, u32>,
}

impl StackNames {
    /// The id of the stack (program, key), added if new (as [`cache::Cache`] interns).
    fn intern(&mut self, program: &str, key: &str) -> u32 {
        let hash = cache::stack_hash(program, key);
        if let Some(id) = cache::find_stack(&self.ids, hash, self.spans.len(), |id| self.get(id) == (program, key)) {
            return id;
        }
        let start = self.text.len() as u32;
        self.text.push_str(program);
        self.text.push_str(key);
        self.spans.push((start, program.len() as u32, key.len() as u32));
        let id = self.spans.len() as u32 - 1;
        self.ids.entry(hash).or_insert(id);
        id
    }

    fn get(&self, id: u32) -> (&str, &str) {
        let (start, program, key) = self.spans[id as usize];
        let (start, program, key) = (start as usize, program as usize, key as usize);
        (&self.text[start..start + program], &self.text[start + program..start + program + key])
    }
}

/// Seconds of one part of ingest, summed over the threads that did it (for `-v`).
#[derive(Debug, Default, Clone, Copy)]
struct CpuTimes {
    /// Reading files, less decompressing them.
    read: std::time::Duration,
    decompress: std::time::Duration,
    /// Rules 1 and 2: the text and its JSON ([`validate::parse`]).
    parse: std::time::Duration,
    /// Rules 3 and 4: the report's values and names ([`validate::judge`]).
    validate: std::time::Duration,
    spool: std::time::Duration,
}

impl FileOutcome {
    /// Counts a skip; keeps its details unless this file already has `DETAILS_PER_FILE`.
    fn skip(&mut self, details_in_file: &mut usize, file: &InputFile, line: u32, reason: Reason, message: String) {
        self.skipped[reason.index()] += 1;
        if *details_in_file < DETAILS_PER_FILE {
            *details_in_file += 1;
            self.skips.push(Skip { path: file.rel().to_string(), line, reason, message });
        }
    }

    fn merge(mut self, other: FileOutcome) -> FileOutcome {
        if self.records.len() < other.records.len() {
            return other.merge(self);
        }
        self.more_records.push(other.records);
        self.more_records.extend(other.more_records);
        self.reports += other.reports;
        self.textless += other.textless;
        for (sum, n) in self.skipped.iter_mut().zip(other.skipped) {
            *sum += n;
        }
        self.skips.extend(other.skips);
        self.file_skips.extend(other.file_skips);
        self.stats.extend(other.stats);
        let base = self.stack_counts.len() as u32;
        self.stack_counts.extend(other.stack_counts);
        self.stacks.extend(other.stacks.into_iter().map(|s| SeenStacks { start: s.start + base, ..s }));
        self.cpu.read += other.cpu.read;
        self.cpu.decompress += other.cpu.decompress;
        self.cpu.parse += other.cpu.parse;
        self.cpu.validate += other.cpu.validate;
        self.cpu.spool += other.cpu.spool;
        self
    }

    /// Moves every merged record into `records`, each once, in the order of their files
    /// where it can: each share's records are in file order, and the shares of one parse
    /// hold runs of files that do not overlap, so they go in the order of their first file.
    fn flatten(mut self) -> FileOutcome {
        let mut runs = std::mem::take(&mut self.more_records);
        if runs.is_empty() {
            return self;
        }
        runs.push(std::mem::take(&mut self.records));
        runs.retain(|run| !run.is_empty());
        runs.sort_by_key(|run| run.first().map(|r| (r.file, r.line)));
        let mut runs = runs.into_iter();
        self.records = runs.next().unwrap_or_default();
        append_in_parallel(&mut self.records, runs.collect());
        self
    }
}

/// Moves the records of `runs` to the end of `records`, in order, the runs in parallel:
/// a year's records are 60 MB, and one core moving them into fresh pages took 0.03 s.
/// `records` grows in place (a large vector is remapped when it grows, not copied).
fn append_in_parallel(records: &mut Vec<Record>, runs: Vec<Vec<Record>>) {
    let start = records.len();
    let added = runs.iter().map(Vec::len).sum::<usize>();
    records.reserve_exact(added);
    let mut free = &mut records.spare_capacity_mut()[..added];
    let mut slots = Vec::with_capacity(runs.len());
    for run in &runs {
        let (slot, rest) = free.split_at_mut(run.len());
        slots.push(slot);
        free = rest;
    }
    slots.into_par_iter().zip(runs).for_each(|(slot, run)| {
        for (place, record) in slot.iter_mut().zip(run) {
            place.write(record);
        }
    });
    // SAFETY: the slots tile `start..start + added` and each was given as many records as
    // it holds, so every place up to the new length is initialised. (A panic above leaves
    // the length as it was: the records moved so far leak, nothing is read uninitialised.)
    unsafe { records.set_len(start + added) };
}

/// How to ingest: limits, where to spool, and what the previous build left.
pub struct IngestOptions<'a> {
    pub limits: &'a Limits,
    pub spool_parent: &'a Path,
    /// The name prefix of the spool directory (see [`crate::site::spool_prefix`]).
    pub spool_prefix: &'a str,
    /// Whether to return a cache for the next build.
    pub make_cache: bool,
    /// Whether to return the stat of every file ([`Ingested::stats`]) when the caller has
    /// not taken them: they are then taken as files are opened, not by a stat of each path.
    pub keep_stats: bool,
    /// Counts each file parsed.
    pub progress: &'a crate::progress::Stage,
    /// Whether to measure the CPU time of reading, parsing and spooling (`-v`).
    pub cpu_times: bool,
}

/// Finds the input files under `data`, with their stats if `stat` (see [`discover::discover`]).
pub fn discover_data(data: &Path, stat: bool) -> Result<Discovery, IngestError> {
    discover::discover(data, stat).map_err(|source| IngestError::Data { path: data.display().to_string(), source })
}

/// Reads every report of `found`. Only no room for the spool in `spool_parent` is an
/// error; every bad file or report is a counted [`Skip`].
///
/// `previous` is dropped as soon as the files it proves unchanged are taken from it (its
/// tables are large), unless nothing changed: then it comes back as [`Ingested::previous`].
pub fn ingest(
    mut found: Discovery,
    catalog: Catalog,
    options: &IngestOptions<'_>,
    mut previous: Option<incremental::Previous<'_>>,
) -> Result<Ingested, IngestError> {
    let started = std::time::Instant::now();
    let spool_parent = options.spool_parent;
    let spool = Spool::new(spool_parent, options.spool_prefix)
        .map_err(|source| IngestError::Spool { path: spool_parent.display().to_string(), source })?;
    // Without a previous build to compare with, nothing needs a stat before reading: each
    // file's identity is the stat of the file as opened (see `identities`).
    let mut now = match &previous {
        Some(previous) => incremental::identify(&mut found, previous),
        None => incremental::Identified { ids: Vec::new(), entries: vec![None; found.files.len()] },
    };
    // Stats taken by `identify` are returned when asked for; without a previous build,
    // those of the files as opened are (below).
    let mut stats = found.stats.take().filter(|_| options.keep_stats);
    let files = &found.files;
    let identified = started.elapsed().as_secs_f64();
    options.progress.set_length(files.len() as u64);
    let units = spool_units(files);
    let stack_names = std::sync::Mutex::new(StackNames::default());
    let seen_stacks = options.make_cache.then_some(&stack_names);
    // `textless(day)`: the day's raw data is reused from the previous site, so the texts
    // of its reports are not spooled (but for those with stacks, which the stack pages may
    // read back).
    let parse = |reuse: &[Option<&cache::FileEntry>],
                 only: &(dyn Fn(usize) -> bool + Sync),
                 textless: &(dyn Fn(Day) -> bool + Sync)| {
        // Only the units with a file to read are shared out: the few days a rebuild reads
        // may be neighbours, and would otherwise fall to one thread together.
        let wanted = |i: &usize| reuse[*i].is_none() && only(*i);
        let todo: Vec<&std::ops::Range<usize>> =
            units.iter().filter(|unit| (**unit).clone().any(|i| wanted(&i))).collect();
        todo.into_par_iter()
            .fold(FileOutcome::default, |mut acc, unit| {
                let first_record = acc.records.len();
                let mut own: Option<Option<FileSpool>> = None;
                for index in unit.clone().filter(wanted) {
                    // Made for the first file read; a spool file that cannot be made leaves
                    // the unit's reports to the shared spool.
                    let own = own.get_or_insert_with(|| spool.file_slot().ok()).as_mut();
                    let to = SpoolTo { shared: &spool, own, textless };
                    read_file(&mut acc, index as u32, &files[index], (options, &catalog), to, seen_stacks);
                    options.progress.inc(1);
                }
                if let Some(Some(mut own)) = own {
                    place_texts(&mut acc.records[first_record..], &mut own, &spool);
                    finish_spool(&mut acc, &spool, own, &files[unit.clone()], unit.start as u32);
                }
                acc
            })
            .reduce(FileOutcome::default, FileOutcome::merge)
            .flatten()
    };
    let mut linkable_days: BTreeSet<Day> = BTreeSet::new();
    let (mut outcome, reuse, dirty, needed) = match &previous {
        None => {
            let first = parse(&vec![None; files.len()], &|_| true, &|_| false);
            (first, vec![None; files.len()], BTreeSet::new(), None)
        }
        Some(previous) => {
            let mut reuse = incremental::unchanged(&now, previous);
            let first = parse(&reuse, &|_| true, &|_| false);
            let dirty = incremental::dirty_days(&now, &reuse, first.records.iter().map(|r| r.day.0), previous);
            // Unchanged files keep their days' raw data, unless another file made a day dirty.
            let cache = &previous.cache;
            let days = incremental::days_of(cache, &reuse);
            linkable_days.extend(days.into_iter().filter(|d| !dirty.contains(d)).map(Day));
            // Only the changed days are recounted (the previous build's counts hold for the
            // rest), and the rare unchanged day near one that may share an uploader with a
            // changed report (see `aggregate::uploaders`): every file with a report on one
            // of them is parsed again.
            let dirty_days: BTreeSet<Day> = dirty.iter().map(|&d| Day(d)).collect();
            let fresh = first.records.iter().map(|r| (r.day, r.x.to_bits()));
            let mut needed = cache.uploaders.days_near(fresh, &dirty_days);
            needed.extend(dirty_days);
            let mut again = vec![false; files.len()];
            for (i, entry) in reuse.iter_mut().enumerate() {
                if entry.is_some_and(|e| cache.days_of(e).iter().any(|&d| needed.contains(&Day(d)))) {
                    *entry = None;
                    again[i] = true;
                }
            }
            // Their reports on days not dirty only count again: those days' raw data stays.
            let second = parse(&reuse, &|i| again[i], &|day| linkable_days.contains(&day));
            (first.merge(second).flatten(), reuse, dirty, Some(needed))
        }
    };
    let read = started.elapsed().as_secs_f64();
    if previous.is_none() && (options.make_cache || options.keep_stats) {
        let (opened, hashes) = identities(files, &mut outcome.stats);
        if options.make_cache {
            now.ids = incremental::ids_of(files, &opened, &hashes);
        }
        stats = Some(opened).filter(|_| options.keep_stats);
    }
    let files_reused = reuse.iter().flatten().count() as u64;
    options.progress.inc(files_reused);
    let mut stack_records = match &previous {
        Some(previous) => take_from_cache(&mut outcome, files, &reuse, &previous.cache),
        None => Vec::new(),
    };
    if let Err(e) = spool.flush() {
        return Err(IngestError::Spool { path: spool_parent.display().to_string(), source: e });
    }
    // Nothing parsed, nothing deleted: the previous cache still describes every file.
    let unchanged = previous.as_ref().is_some_and(|p| {
        files_reused == files.len() as u64 && p.cache.files().len() == files.len() && dirty.is_empty()
    });
    let make_new_cache = options.make_cache && !unchanged;
    // What the cache keeps of each record, copied, so that the cache is made while the
    // records themselves are thinned by the duplicate rule and sorted.
    let rows: Vec<CacheRow> =
        if make_new_cache { outcome.records.par_iter().map(CacheRow::of).collect() } else { Vec::new() };
    let mut records = std::mem::take(&mut outcome.records);
    if let Some(needed) = &needed {
        // Records of re-parsed files on days not recounted: only their stacks are needed.
        let others;
        (records, others) = records.into_iter().partition(|r| needed.contains(&r.day));
        stack_records.extend(others.into_iter().filter(|r: &Record| r.has_stacks));
    }
    let names = stack_names.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cached = previous.as_ref().map(|p| (&p.cache, reuse.as_slice()));
    let cache_files = (files.as_slice(), now.ids.as_slice());
    let ((new_cache, cache_seconds), ((records, dropped), rule_seconds)) = rayon::join(
        || timed(|| make_new_cache.then(|| make_cache(rows, &mut outcome, cache_files, (&spool, &names), cached))),
        || {
            timed(|| {
                let dropped = drop_duplicates(&mut records);
                sort_by_object_name(&mut records);
                (records, dropped)
            })
        },
    );
    // The stacks of the reports the stack pages need, from the cache that has them all:
    // the new one (which holds every file), or the previous one when nothing changed.
    let cached = started.elapsed().as_secs_f64();
    let cached_stacks = match (&new_cache, &previous) {
        (Some(cache), _) => stacks_in(cache, cache.files().iter().map(Some)),
        (None, Some(previous)) => stacks_in(&previous.cache, reuse.iter().copied()),
        (None, None) => CachedStacks::default(),
    };
    drop(reuse);
    let mut previous_duplicates = Vec::new();
    let partial = match (previous.as_mut(), needed) {
        (Some(previous), Some(needed)) => {
            previous_duplicates = std::mem::take(&mut previous.cache.duplicates);
            previous_duplicates.retain(|d| !needed.contains(&Day(d.day)));
            Some(Partial {
                days: needed,
                sets: std::mem::take(&mut previous.cache.sets),
                uploaders: std::mem::take(&mut previous.cache.uploaders),
            })
        }
        _ => None,
    };
    let previous = if unchanged { previous.map(|p| p.cache) } else { None };
    let parsed = started.elapsed().as_secs_f64();
    let cpu_stages = [
        ("reading (cpu)", outcome.cpu.read),
        ("decompressing (cpu)", outcome.cpu.decompress),
        ("parsing (cpu)", outcome.cpu.parse),
        ("validating (cpu)", outcome.cpu.validate),
        ("spooling (cpu)", outcome.cpu.spool),
    ];
    let mut ingested = Ingested {
        files: found.files,
        stats,
        unrecognised: found.unrecognised,
        records: Vec::new(),
        reports_read: outcome.reports,
        skipped: outcome.skipped,
        skips: outcome.skips,
        catalog,
        spool,
        stages: vec![("identify".into(), identified), ("read+parse".into(), parsed - identified)],
        cache: new_cache,
        linkable_days,
        files_reused,
        textless: outcome.textless,
        unchanged,
        previous,
        partial,
        stack_records: Vec::new(),
        cached_stacks,
        duplicates: Vec::new(),
    };
    let tail = std::time::Instant::now();
    let mut duplicates = previous_duplicates;
    duplicates.extend(dropped.into_iter().map(|d| cache::CachedDuplicate {
        day: d.day.0,
        x: d.x,
        rel: ingested.files[d.file as usize].rel().to_string(),
        line: d.line,
    }));
    // The order of a clean build's duplicate rule: by day, X, path, line.
    duplicates.sort_unstable_by(|a, b| {
        (a.day, a.x.to_bits(), a.rel.as_bytes(), a.line).cmp(&(b.day, b.x.to_bits(), b.rel.as_bytes(), b.line))
    });
    let mut details: rustc_hash::FxHashMap<&str, usize> = Default::default();
    for dropped in &duplicates {
        ingested.skipped[Reason::Duplicate.index()] += 1;
        let shown = details.entry(&dropped.rel).or_default();
        if *shown >= DETAILS_PER_FILE {
            continue; // counted, not detailed: a file of one line repeated must not cost memory per line
        }
        *shown += 1;
        ingested.skips.push(Skip {
            path: dropped.rel.clone(),
            line: dropped.line,
            reason: Reason::Duplicate,
            message: format!(
                "another report has the same `Week` {} and `X` {}",
                Day(dropped.day),
                crate::gofmt::format_g(dropped.x)
            ),
        });
    }
    if ingested.partial.is_some() {
        // Stacks of reports the duplicate rule dropped on the days not recounted do not count.
        let dropped: rustc_hash::FxHashSet<(&str, u32)> = duplicates.iter().map(|d| (d.rel.as_str(), d.line)).collect();
        stack_records.retain(|r| !dropped.contains(&(ingested.files[r.file as usize].rel(), r.line)));
    }
    drop(details);
    ingested.stack_records = stack_records;
    ingested.duplicates = duplicates;
    ingested.skips.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()).then(a.line.cmp(&b.line)));
    ingested.records = records;
    if options.cpu_times {
        // The parts of read+parse: the files read, the cache made, the stacks taken from it;
        // then the CPU time of reading, parsing and spooling, summed over threads.
        let laps = [
            ("read+parse/files", read - identified),
            ("read+parse/cache", cache_seconds),
            ("read+parse/stacks", parsed - cached),
        ];
        ingested.stages.extend(laps.map(|(name, secs)| (name.to_string(), secs)));
        ingested.stages.extend(cpu_stages.map(|(name, cpu)| (name.to_string(), cpu.as_secs_f64())));
    }
    // The duplicate rule and the sort ran beside the cache (within read+parse), then their
    // skips were listed.
    ingested.stages.push(("dedup+sort".into(), rule_seconds + tail.elapsed().as_secs_f64()));
    Ok(ingested)
}

/// Adds the outcomes of reused files to `outcome` (their counts and skips); returns their
/// reports with stacks (whose stacks [`stacks_in`] gives). They are on days not recounted:
/// a file with a report on a recounted day is parsed again, not reused.
fn take_from_cache(
    outcome: &mut FileOutcome,
    files: &[InputFile],
    reuse: &[Option<&cache::FileEntry>],
    cache: &cache::Cache,
) -> Vec<Record> {
    let mut stack_records = Vec::new();
    for (index, entry) in reuse.iter().enumerate() {
        let Some(entry) = entry else { continue };
        outcome.reports += entry.reports;
        for &(reason, n) in cache.skipped_of(entry) {
            outcome.skipped[reason.index()] += n;
            outcome.file_skips.push((index as u32, reason, n as u32));
        }
        let rel = files[index].rel();
        outcome.skips.extend(cache.skips_of(entry).iter().map(|s| Skip {
            path: rel.to_string(),
            line: s.line,
            reason: s.reason,
            message: s.message.clone(),
        }));
        for r in cache.records_of(entry) {
            stack_records.push(Record {
                day: Day(r.day),
                x: r.x,
                file: index as u32,
                line: r.line,
                has_programs: r.has_programs,
                has_stacks: true,
                keys: Box::default(),
                text: SpoolRef::NONE,
            });
        }
    }
    stack_records
}

/// The stacks `cache` holds for the reports of `entries`, each the entry of the file at
/// its position (or none): the stack pages take them from there instead of reading and
/// parsing the reports again.
fn stacks_in<'c>(cache: &'c cache::Cache, entries: impl Iterator<Item = Option<&'c cache::FileEntry>>) -> CachedStacks {
    let mut stacks = CachedStacks::with_names(cache.stack_names.clone());
    for (index, entry) in entries.enumerate() {
        let Some(entry) = entry else { continue };
        for (n, r) in cache.record_indices(entry).zip(cache.records_of(entry)) {
            stacks.insert(index as u32, r.line, cache.stack_ids_of(n));
        }
    }
    stacks
}

/// `work()`, and how long it took in seconds.
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let clock = std::time::Instant::now();
    let value = work();
    (value, clock.elapsed().as_secs_f64())
}

/// What the cache keeps of a record ([`make_cache`]), copied from it.
#[derive(Debug, Clone, Copy)]
struct CacheRow {
    file: u32,
    line: u32,
    day: i32,
    x: f64,
    has_programs: bool,
    has_stacks: bool,
    text: SpoolRef,
}

impl CacheRow {
    fn of(r: &Record) -> CacheRow {
        let (file, line, day, x, text) = (r.file, r.line, r.day.0, r.x, r.text);
        CacheRow { file, line, day, x, has_programs: r.has_programs, has_stacks: r.has_stacks, text }
    }
}

/// The cache of this build's outcomes, per file (before the duplicate rule), from `rows`
/// (every record's [`CacheRow`]) and the skips and stacks of `outcome`. Files reused from
/// a previous cache (`cached`) are copied from it.
fn make_cache(
    mut rows: Vec<CacheRow>,
    outcome: &mut FileOutcome,
    (files, ids): (&[InputFile], &[(cache::FileStat, u64)]),
    (spool, names): (&Spool, &StackNames),
    cached: Option<(&cache::Cache, &[Option<&cache::FileEntry>])>,
) -> cache::Cache {
    // Usually sorted already (see `FileOutcome::flatten`).
    if !rows.is_sorted_by_key(|r| (r.file, r.line)) {
        rows.par_sort_unstable_by_key(|r| (r.file, r.line));
    }
    outcome.file_skips.sort_unstable();
    let mut skips_by_path: rustc_hash::FxHashMap<&str, Vec<&Skip>> = Default::default();
    for skip in &outcome.skips {
        skips_by_path.entry(skip.path.as_str()).or_default().push(skip);
    }
    // The stacks of the reports that have some, as parsing saw them, in the order of the
    // records (which is the order they are stored in below). A report whose stacks were
    // not seen (none in practice) has them read back from the spool.
    let mut seen = std::mem::take(&mut outcome.stacks);
    seen.sort_unstable_by_key(|s| (s.file, s.line));
    let missing: rustc_hash::FxHashMap<(u32, u32), crate::stacks::ReportStacks> = {
        let mut seen = seen.iter().peekable();
        let missing: Vec<&CacheRow> =
            rows.iter().filter(|r| r.has_stacks && seen_for(&mut seen, r).is_none()).collect();
        let read_back =
            |r: &&CacheRow| ((r.file, r.line), crate::stacks::stacks_in_spool(spool, r.text).unwrap_or_default());
        missing.par_iter().map(read_back).collect()
    };
    let tables = CacheInputs {
        files,
        ids,
        rows: &rows,
        file_skips: &outcome.file_skips,
        seen: &seen,
        stack_counts: &outcome.stack_counts,
        names,
        missing: &missing,
        skips_by_path: &skips_by_path,
        cached,
    };
    // Two halves of the files, each on a core, the second then appended to the first: the
    // cache is the one a single pass makes (stack ids numbered in first-seen order).
    let half = files.len() / 2;
    let (mut cache, second) = rayon::join(|| tables.fill(0..half, files.len()), || tables.fill(half..files.len(), 0));
    cache.append(second);
    cache
}

/// What [`make_cache`] makes a cache's file entries from: `rows` sorted by file and line,
/// `file_skips` by file, `seen` by file and line.
struct CacheInputs<'a> {
    files: &'a [InputFile],
    ids: &'a [(cache::FileStat, u64)],
    rows: &'a [CacheRow],
    file_skips: &'a [(u32, Reason, u32)],
    seen: &'a [SeenStacks],
    stack_counts: &'a [(u32, u64)],
    names: &'a StackNames,
    missing: &'a rustc_hash::FxHashMap<(u32, u32), crate::stacks::ReportStacks>,
    skips_by_path: &'a rustc_hash::FxHashMap<&'a str, Vec<&'a Skip>>,
    cached: Option<(&'a cache::Cache, &'a [Option<&'a cache::FileEntry>])>,
}

impl CacheInputs<'_> {
    /// A cache of the files `range`, with room for `room` files (at least the range's).
    fn fill(&self, range: std::ops::Range<usize>, room: usize) -> cache::Cache {
        let (files, ids) = (&self.files[range.clone()], &self.ids[range.clone()]);
        let rows = slice_of_files(self.rows, &range, |r| r.file);
        let file_skips = slice_of_files(self.file_skips, &range, |s| s.0);
        let seen = slice_of_files(self.seen, &range, |s| s.file);
        let mut by_file = rows.chunk_by(|a, b| a.file == b.file).peekable();
        let mut counts = file_skips.chunk_by(|a, b| a.0 == b.0).peekable();
        let mut seen = seen.iter().peekable();
        let mut stacks_of = |r: &CacheRow| -> Vec<(&str, &str, u64)> {
            match seen_for(&mut seen, r) {
                Some(s) => self.stack_counts[s.start as usize..][..s.len as usize]
                    .iter()
                    .map(|&(id, count)| {
                        let (program, key) = self.names.get(id);
                        (program, key, count)
                    })
                    .collect(),
                None => self
                    .missing
                    .get(&(r.file, r.line))
                    .map(|stacks| stacks.iter().map(|(p, k, n)| (p.as_str(), k.as_str(), *n)).collect())
                    .unwrap_or_default(),
            }
        };
        let mut cache = cache::Cache::default();
        let name_bytes = files.iter().map(|f| f.rel().len()).sum();
        let with_stacks = rows.iter().filter(|r| r.has_stacks).count();
        let room = room.max(files.len());
        let scale = |n: usize| n * room / files.len().max(1);
        cache.reserve(room, scale(name_bytes), room, scale(with_stacks));
        let mut stack_ids = cache::StackIds::default();
        for (offset, file) in files.iter().enumerate() {
            let index = range.start + offset;
            let (stat, hash) = ids[offset];
            let mut skipped = [0u64; Reason::ALL.len()];
            let counted = counts.next_if(|g| g[0].0 == index as u32);
            for &(_, reason, n) in counted.into_iter().flatten() {
                skipped[reason.index()] += u64::from(n);
            }
            let records: &[CacheRow] = by_file.next_if(|rs| rs[0].file == index as u32).unwrap_or(&[]);
            if let Some((previous, Some(entry))) = self.cached.map(|(c, reuse)| (c, reuse[index])) {
                cache.copy_file(previous, &mut stack_ids, entry, (stat, hash));
                continue;
            }
            let mut days: Vec<i32> = records.iter().map(|r| r.day).collect();
            days.sort_unstable();
            days.dedup();
            let skipped: Vec<(Reason, u64)> =
                Reason::ALL.iter().zip(skipped).filter(|(_, n)| *n > 0).map(|(r, n)| (*r, n)).collect();
            let facts = cache::FileFacts {
                rel: file.rel(),
                stat,
                hash,
                reports: records.len() as u64 + skipped.iter().map(|(_, n)| n).sum::<u64>(),
                skipped: &skipped,
                days: &days,
            };
            let rows = records.iter().filter(|r| r.has_stacks).map(|r| {
                let record = cache::CachedRecord { day: r.day, x: r.x, line: r.line, has_programs: r.has_programs };
                (record, stacks_of(r))
            });
            // A file with skips in detail has skip counts: only those are looked up (a
            // million one-report files, nearly all valid, would otherwise hash a million
            // paths).
            let detailed = counted.and_then(|_| self.skips_by_path.get(file.rel()));
            let skips = detailed.into_iter().flatten().map(|s| cache::CachedSkip {
                line: s.line,
                reason: s.reason,
                message: s.message.clone(),
            });
            cache.push_file(facts, rows, skips);
        }
        cache
    }
}

/// The part of `items` (sorted by the file index `file_of` gives) whose files are in `range`.
fn slice_of_files<'t, T>(items: &'t [T], range: &std::ops::Range<usize>, file_of: impl Fn(&T) -> u32) -> &'t [T] {
    let first = items.partition_point(|item| (file_of(item) as usize) < range.start);
    let end = items.partition_point(|item| (file_of(item) as usize) < range.end);
    &items[first..end]
}

/// The entry of `seen` (sorted by file and line) for the record `r`, passing those before
/// it: called for records in the same order, it walks `seen` once.
fn seen_for<'s>(
    seen: &mut std::iter::Peekable<std::slice::Iter<'s, SeenStacks>>,
    r: &CacheRow,
) -> Option<&'s SeenStacks> {
    while seen.next_if(|s| (s.file, s.line) < (r.file, r.line)).is_some() {}
    seen.next_if(|s| (s.file, s.line) == (r.file, r.line))
}

/// The stat of each of `files`: as opened when it was read (`opened`, drained), by its
/// path when it was not; and the hash of its content when reading took it.
type Identities = (Vec<std::io::Result<cache::FileStat>>, Vec<Option<u64>>);
fn identities(files: &[InputFile], opened: &mut Vec<(u32, read::FileRead)>) -> Identities {
    let mut stats: Vec<Option<cache::FileStat>> = vec![None; files.len()];
    let mut hashes = vec![None; files.len()];
    for (index, read) in opened.drain(..) {
        stats[index as usize] = Some(read.stat);
        hashes[index as usize] = read.hash;
    }
    let stats = stats
        .into_par_iter()
        .zip(files)
        .map(|(stat, file)| stat.map_or_else(|| cache::FileStat::of(file.path()), Ok))
        .collect();
    (stats, hashes)
}

/// The files read into one spool file each, as ranges of `files`: a newline-delimited file
/// alone, and the one-report files of a folder together, in order. A day's raw data is
/// then read back from the spool in long runs, or hard-linked when it is a whole spool file.
fn spool_units(files: &[InputFile]) -> Vec<std::ops::Range<usize>> {
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

/// Ends the spool file `own` of the files `unit` (the first at index `first`). When it
/// cannot be ended, its texts cannot be read back, so its files' reports cannot be
/// published: they are dropped and counted as unreadable.
fn finish_spool(outcome: &mut FileOutcome, spool: &Spool, own: FileSpool, unit: &[InputFile], first: u32) {
    let slot = own.slot();
    let Err(e) = spool.finish(own) else { return };
    for (n, file) in unit.iter().enumerate() {
        let index = first + n as u32;
        let lost = outcome.records.iter().filter(|r| r.file == index && r.text.slot == slot).count() as u64;
        if lost == 0 {
            continue;
        }
        outcome.records.retain(|r| !(r.file == index && r.text.slot == slot));
        outcome.skipped[Reason::Unreadable.index()] += lost - 1;
        let mut details = 0;
        outcome.skip(&mut details, file, 0, Reason::Unreadable, format!("cannot spool the file's reports: {e}"));
        outcome.file_skips.push((index, Reason::Unreadable, lost as u32));
    }
}

/// Where [`read_file`] puts the texts of valid reports.
struct SpoolTo<'a> {
    shared: &'a Spool,
    /// The spool file of the file's unit, when it has one.
    own: Option<&'a mut FileSpool>,
    /// The days whose reports' texts are not kept (see `textless` in [`ingest`]).
    textless: &'a (dyn Fn(Day) -> bool + Sync),
}

/// Reads `file` (the `index`th) into `outcome`; with `stack_names`, the stacks of its
/// valid reports are kept in `outcome.stacks` too.
fn read_file(
    outcome: &mut FileOutcome,
    index: u32,
    file: &InputFile,
    (options, catalog): (&IngestOptions<'_>, &Catalog),
    mut to: SpoolTo<'_>,
    stack_names: Option<&std::sync::Mutex<StackNames>>,
) {
    let (limits, timed) = (options.limits, options.cpu_times);
    let started = Lap::start(timed);
    let cpu_before = outcome.cpu;
    let mut details = 0usize;
    let before = outcome.skipped;
    let mut keys = Vec::with_capacity(64);
    let mut line_text = Vec::with_capacity(2048);
    let mut stacks: Vec<(u32, u64)> = Vec::new();
    let result = read::read_reports(file, limits, timed, |line, piece| {
        outcome.reports += 1;
        let text = match piece {
            Piece::Text(text) => text,
            Piece::TooLarge(len) => {
                let why = format!("{len} bytes, more than the limit of {}", limits.max_report_bytes);
                outcome.skip(&mut details, file, line, Reason::TooLarge, why);
                return;
            }
        };
        let text = read::without_newline(text);
        keys.clear();
        let mut clock = Lap::start(timed);
        stacks.clear();
        let parsed = validate::parse(text, limits.max_report_bytes);
        outcome.cpu.parse += clock.lap();
        let checked = parsed.and_then(|report| match stack_names {
            Some(names) => {
                let mut see = |program: &str, key: &str, count| {
                    let mut names = names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    stacks.push((names.intern(program, key), count));
                };
                validate::judge(&report, catalog, &mut keys, &mut see)
            }
            None => validate::judge(&report, catalog, &mut keys, &mut |_, _, _| {}),
        });
        outcome.cpu.validate += clock.elapsed();
        match checked {
            Ok(valid) => {
                let clock = Lap::start(timed);
                let put = if !valid.has_stacks && (to.textless)(valid.day) {
                    outcome.textless += 1;
                    Ok(SpoolRef::NONE)
                } else {
                    let compact = compact::compact(text, &mut line_text);
                    match &mut to.own {
                        Some(own) => own.put(compact),
                        None => to.shared.put(compact),
                    }
                };
                outcome.cpu.spool += clock.elapsed();
                match put {
                    Ok(at) => {
                        keys.sort_unstable();
                        keys.dedup();
                        outcome.records.push(Record {
                            day: valid.day,
                            x: valid.x,
                            file: index,
                            line,
                            has_programs: valid.has_programs,
                            has_stacks: valid.has_stacks,
                            keys: keys.as_slice().into(),
                            text: at,
                        });
                        if !stacks.is_empty() {
                            let (start, len) = (outcome.stack_counts.len() as u32, stacks.len() as u32);
                            outcome.stack_counts.extend_from_slice(&stacks);
                            outcome.stacks.push(SeenStacks { file: index, line, start, len });
                        }
                    }
                    Err(e) => outcome.skip(
                        &mut details,
                        file,
                        line,
                        Reason::Unreadable,
                        format!("cannot spool the report: {e}"),
                    ),
                }
            }
            Err((reason, why)) => outcome.skip(&mut details, file, line, reason, why),
        }
    });
    let decompressed = match result {
        Ok((read, decompressed)) => {
            outcome.stats.push((index, read));
            decompressed
        }
        Err(e) => {
            outcome.skip(&mut details, file, 0, Reason::Unreadable, format!("cannot read the file: {e}"));
            std::time::Duration::ZERO
        }
    };
    // What the callback did not spend, reading and decompressing did.
    let in_callback = (outcome.cpu.parse - cpu_before.parse)
        + (outcome.cpu.validate - cpu_before.validate)
        + (outcome.cpu.spool - cpu_before.spool);
    if timed {
        outcome.cpu.decompress += decompressed;
        outcome.cpu.read += started.elapsed().saturating_sub(in_callback + decompressed);
    }
    for (reason, (now, was)) in Reason::ALL.iter().zip(outcome.skipped.iter().zip(before)) {
        if *now > was {
            outcome.file_skips.push((index, *reason, (*now - was) as u32));
        }
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

/// A report dropped by the duplicate rule.
struct Dropped {
    file: u32,
    line: u32,
    day: Day,
    x: f64,
}

/// Keeps one record per (day, X): the one from the file whose path sorts last, and within
/// a file the last line. Returns the others.
fn drop_duplicates(records: &mut Vec<Record>) -> Vec<Dropped> {
    records.par_sort_unstable_by_key(Record::rule_order);
    // Compacted in place: `records[..kept]` are the records kept so far, and each later
    // one either replaces the last of them (a duplicate of it) or joins them.
    let mut duplicates = Vec::new();
    let mut kept: usize = 0;
    for next in 0..records.len() {
        if let Some(last) = kept.checked_sub(1).map(|i| &records[i]) {
            if last.same_report(&records[next]) {
                duplicates.push(Dropped { file: last.file, line: last.line, day: last.day, x: last.x });
                records.swap(kept - 1, next);
                continue;
            }
        }
        records.swap(kept, next);
        kept += 1;
    }
    records.truncate(kept);
    duplicates
}

/// Orders records sorted by day and X (as [`drop_duplicates`] leaves them) by day, then as
/// the upload server names objects: `<%g of X>.json`. Within a day that moves only the
/// X below 1e-4 (see [`object_name_order`]), so a stable sort of each day takes one pass.
fn sort_by_object_name(records: &mut [Record]) {
    for day in records.chunk_by_mut(|a, b| a.day == b.day) {
        day.sort_by(|a, b| object_name_order(a.x, b.x));
    }
}

/// The byte order of the object names `<%g of a>.json` and `<%g of b>.json`, for valid X
/// (0 < X < 1), without formatting in the common case. For 1e-4 <= X < 1, `%g` writes the
/// shortest digits as `0.ddd`, and those names sort as the numbers do: where two digit
/// strings differ they order like the numbers, and where one is a prefix of the other the
/// shorter is smaller and its `.json` sorts before any digit. Below 1e-4, `%g` writes
/// `d.ddde-05`, which sorts after every `0.` name, and among themselves by their text.
pub fn object_name_order(a: f64, b: f64) -> std::cmp::Ordering {
    const EXPONENT_FORM: f64 = 1e-4;
    match (a < EXPONENT_FORM, b < EXPONENT_FORM) {
        (false, false) => a.total_cmp(&b),
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        (true, true) => {
            let name = |x: f64| crate::gofmt::format_g(x) + ".json";
            name(a).cmp(&name(b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{append_in_parallel, make_cache, CacheRow, FileOutcome, SeenStacks, Spool, StackNames};
    use super::{drop_duplicates, object_name_order, place_texts, spool_units, InputFile, Layout, Record};
    use crate::day::Day;

    #[test]
    fn stack_names_keep_program_and_key_apart() {
        let mut names = StackNames::default();
        let ab_c = names.intern("ab", "c\nmain.f:+1");
        let a_bc = names.intern("a", "bc\nmain.f:+1");
        assert_ne!(ab_c, a_bc);
        assert_eq!(names.intern("ab", "c\nmain.f:+1"), ab_c);
        assert_eq!(names.get(ab_c), ("ab", "c\nmain.f:+1"));
        assert_eq!(names.get(a_bc), ("a", "bc\nmain.f:+1"));
        assert_eq!(names.intern("", ""), 2);
        assert_eq!(names.get(2), ("", ""));
    }

    #[test]
    fn the_cache_takes_the_stacks_parsing_saw_and_reads_back_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), "s").unwrap();
        let text = |key: &str| {
            format!(r#"{{"Week":"2026-01-01","X":0.5,"Programs":[{{"Program":"p","Stacks":{{"{key}":2}}}}]}}"#)
        };
        let (first, second) =
            (spool.put(text("crash/a").as_bytes()).unwrap(), spool.put(text("crash/b").as_bytes()).unwrap());
        spool.flush().unwrap();
        // The first report's stacks as parsing saw them: a name its text does not hold, to
        // show where the cache took them from. The second's were not seen.
        let mut names = StackNames::default();
        let seen = names.intern("q", "crash/seen");
        let record = |line, text| Record {
            day: Day(20454),
            x: 0.5,
            file: 0,
            line,
            has_programs: true,
            has_stacks: true,
            keys: Box::default(),
            text,
        };
        let mut outcome = FileOutcome {
            stack_counts: vec![(seen, 7)],
            stacks: vec![SeenStacks { file: 0, line: 1, start: 0, len: 1 }],
            ..FileOutcome::default()
        };
        let rows = [record(1, first), record(2, second)].iter().map(CacheRow::of).collect();
        let files = [InputFile::new("a.json".into(), "a.json", Layout::Merged, false)];
        let ids = [(crate::cache::FileStat::default(), 0)];
        let cache = make_cache(rows, &mut outcome, (&files, &ids), (&spool, &names), None);
        assert_eq!(cache.stacks_of(0), vec![("q".to_string(), "crash/seen".to_string(), 7)]);
        assert_eq!(cache.stacks_of(1), vec![("p".to_string(), "crash/b".to_string(), 2)]);
    }

    /// A record whose keys are its file and line, to tell records apart.
    fn record(day: i32, x: f64, file: u32, line: u32) -> Record {
        Record {
            day: Day(day),
            x,
            file,
            line,
            has_programs: true,
            has_stacks: false,
            keys: vec![file, line].into(),
            text: Default::default(),
        }
    }

    #[test]
    fn runs_are_appended_in_order_each_record_once() {
        let run = |file: u32, lines: u32| (0..lines).map(|line| record(1, 0.5, file, line)).collect::<Vec<_>>();
        let mut records = run(0, 3);
        append_in_parallel(&mut records, vec![run(1, 1000), Vec::new(), run(2, 1), run(3, 2500)]);
        let expected: Vec<(u32, u32)> =
            [(0, 3), (1, 1000), (2, 1), (3, 2500)].iter().flat_map(|&(f, n)| (0..n).map(move |l| (f, l))).collect();
        assert_eq!(records.iter().map(|r| (r.file, r.line)).collect::<Vec<_>>(), expected);
        assert!(records.iter().all(|r| *r.keys == [r.file, r.line]), "each record moved whole");
        let mut empty = Vec::new();
        append_in_parallel(&mut empty, vec![Vec::new(), run(4, 2)]);
        assert_eq!(empty.iter().map(|r| (r.file, r.line)).collect::<Vec<_>>(), [(4, 0), (4, 1)]);
    }

    #[test]
    fn of_reports_sharing_day_and_x_the_last_file_and_line_is_kept() {
        let mut records = vec![
            record(2, 0.5, 0, 1),
            record(1, 0.5, 1, 1),
            record(1, 0.5, 0, 3),
            record(1, 0.25, 0, 2),
            record(1, 0.5, 0, 4),
            record(2, 0.75, 2, 1),
        ];
        let dropped = drop_duplicates(&mut records);
        let kept: Vec<(i32, f64, u32, u32)> = records.iter().map(|r| (r.day.0, r.x, r.file, r.line)).collect();
        assert_eq!(kept, [(1, 0.25, 0, 2), (1, 0.5, 1, 1), (2, 0.5, 0, 1), (2, 0.75, 2, 1)]);
        assert!(records.iter().all(|r| *r.keys == [r.file, r.line]), "each record keeps its own keys");
        let dropped: Vec<(i32, u32, u32)> = dropped.iter().map(|d| (d.day.0, d.file, d.line)).collect();
        assert_eq!(dropped, [(1, 0, 3), (1, 0, 4)]);
    }

    #[test]
    fn the_duplicate_rule_keeps_the_last_of_each_day_and_x_whatever_the_order() {
        let mut rng = crate::aggregate::tests::Rng(7);
        let mut next = |n: u64| rng.below(n);
        for round in 0..200 {
            let count = next(40) as u32;
            // Grouped by day (as files give them) in half the rounds, shuffled in the others.
            let mut made: Vec<(i32, u64, u32, u32)> =
                (0..count).map(|i| (next(5) as i32, next(4), next(3) as u32, i)).collect();
            if round % 2 == 0 {
                made.sort_by_key(|m| m.0);
            }
            let mut records: Vec<Record> =
                made.iter().map(|&(day, x, file, line)| record(day, (x + 1) as f64 / 8.0, file, line)).collect();
            // By brute force: the largest (file, line) of each (day, X) is kept.
            let mut last: std::collections::BTreeMap<(i32, u64), (u32, u32)> = Default::default();
            for &(day, x, file, line) in &made {
                let best = last.entry((day, x)).or_insert((file, line));
                *best = (*best).max((file, line));
            }
            let expected_kept: Vec<(i32, u64, u32, u32)> = last.iter().map(|(&(d, x), &(f, l))| (d, x, f, l)).collect();
            let mut expected_dropped: Vec<(i32, u32, u32)> =
                made.iter().filter(|m| last[&(m.0, m.1)] != (m.2, m.3)).map(|m| (m.0, m.2, m.3)).collect();
            expected_dropped.sort_unstable();
            let dropped = drop_duplicates(&mut records);
            let kept: Vec<(i32, u64, u32, u32)> =
                records.iter().map(|r| (r.day.0, (r.x * 8.0) as u64 - 1, r.file, r.line)).collect();
            assert_eq!(kept, expected_kept, "round {round}");
            assert!(records.iter().all(|r| *r.keys == [r.file, r.line]), "each record keeps its own keys");
            let mut dropped: Vec<(i32, u32, u32)> = dropped.iter().map(|d| (d.day.0, d.file, d.line)).collect();
            dropped.sort_unstable();
            assert_eq!(dropped, expected_dropped, "round {round}");
        }
    }

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
                keys: Box::new([]),
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

    /// The order of the object names as strings, the definition, against the shortcut.
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

    #[test]
    fn object_name_order_is_the_order_of_the_names() {
        let mut xs: Vec<f64> = vec![
            0.5,
            0.55,
            0.50001,
            0.1,
            0.0001,
            0.00010000000000000002,
            9.999999999999999e-05,
            1.5e-05,
            2e-06,
            1.2345e-05,
            0.9999999999999999,
            0.12,
            0.125,
            0.3,
            0.30000000000000004,
            4.9e-324,
            1e-300,
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let k = state >> 12; // 52 bits, as clients draw X
            if k != 0 {
                let x = k as f64 / 4_503_599_627_370_496.0;
                xs.push(x);
                xs.push(x / 100_000.0);
            }
        }
        let name = |x: &f64| crate::gofmt::format_g(*x) + ".json";
        let mut by_name = xs.clone();
        by_name.sort_by_key(name);
        let mut by_shortcut = xs;
        by_shortcut.sort_by(|a, b| object_name_order(*a, *b));
        assert!(by_name.iter().map(name).eq(by_shortcut.iter().map(name)));
    }
}
