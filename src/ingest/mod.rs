//! Ingest: DATA -> valid, deduplicated reports as compact records, plus every skip.
//!
//! Files are read, decompressed, parsed and checked in parallel; each report becomes a
//! [`Record`] of a few numbers and key ids, and its text goes to a spool on disk. Memory
//! grows with reports (tens of bytes each) and names, never with input bytes.
//!
//! [`ingest`] runs the parts in order: [`discover`] lists the files; [`incremental`] says
//! which the previous build's cache vouches for; `parse_files` reads the others ([`read`],
//! [`gunzip`], [`validate`], [`spool`]), each thread into an `outcome`; `duplicates`
//! applies the duplicate rule; `cache_files` makes the next build's cache.

mod cache_files;
pub mod catalog;
pub mod compact;
pub mod discover;
mod duplicates;
pub mod gunzip;
pub mod incremental;
pub mod key_ids;
mod outcome;
mod parse_files;
pub mod pointer;
pub mod read;
pub mod reason;
pub mod report;
pub mod spool;
pub mod validate;

use std::collections::BTreeSet;
use std::path::Path;

pub use catalog::Catalog;
pub use discover::{stats_digest, Discovery, InputFile, Layout, Unrecognised};
pub use duplicates::object_name_order;
pub use read::Limits;
pub use reason::Reason;
use spool::{Spool, SpoolRef};

use cache_files::{identities, make_cache, stacks_in, take_from_cache, CacheRows};
use duplicates::{drop_duplicates, list_duplicates, sort_by_object_name};
use outcome::FileOutcome;
use parse_files::{spool_units, Reader};

use crate::cache;
use crate::cache::StackNames;
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
    pub keys: key_ids::KeyIds,
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
pub const DETAILS_PER_FILE: usize = 100;

/// Everything ingest found.
pub struct Ingested {
    pub files: Vec<InputFile>,
    /// The digest of every file's path and stat ([`stats_digest`]), when asked for
    /// ([`IngestOptions::keep_stats`]) and every file could be stat'ed.
    pub stats_digest: Option<u64>,
    pub unrecognised: Vec<Unrecognised>,
    /// Valid reports, one per (day, X), sorted by day then object name `<Week>/<%g X>.json`.
    pub records: Vec<Record>,
    /// Reports (files or lines) read, valid or not.
    pub reports_read: u64,
    /// Skipped reports, by [`Reason::index`].
    pub skipped: [u64; Reason::ALL.len()],
    /// Files that could not be read for a reason outside them (an OS error: permissions,
    /// I/O), which the next build reads again.
    pub unsettled: u64,
    /// Skips in detail, in (path, line) order; at most `DETAILS_PER_FILE` per file.
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

    /// The stack names (program, key as uploaded) that [`Ingested::cached_stacks`] index:
    /// those of the new cache, or of the previous one when nothing changed.
    pub fn stack_names(&self) -> Option<&cache::StackNames> {
        self.cache.as_ref().or(self.previous.as_ref()).map(|cache| &cache.stack_names)
    }

    /// Per key id below `keys`: whether a report the duplicate rule kept has it. A build
    /// that takes earlier days' counts from the cache does not hold their reports, so there
    /// every key is in use (a build without an upload config, the one that asks, is never
    /// such a build: its key ids depend on the data, and nothing is cached).
    pub fn keys_in_use(&self, keys: usize) -> Vec<bool> {
        let mut in_use = vec![self.partial.is_some(); keys];
        for id in self.records.iter().flat_map(|r| r.keys.iter()) {
            in_use[id as usize] = true;
        }
        in_use
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
    /// The texts of valid reports could not be set aside (a full disk, say): the build
    /// stops rather than count the reports as skipped, or a cache keep them so.
    #[error("cannot write the spool of valid reports in `{path}`: {source}")]
    SpoolWrite { path: String, source: std::io::Error },
}

/// How to ingest: limits, where to spool, and what the previous build left.
pub struct IngestOptions<'a> {
    pub limits: &'a Limits,
    pub spool_parent: &'a Path,
    /// The name prefix of the spool directory (see [`crate::site::spool_prefix`]).
    pub spool_prefix: &'a str,
    /// Whether to return a cache for the next build.
    pub make_cache: bool,
    /// Whether to return the digest of every file's path and stat
    /// ([`Ingested::stats_digest`]) when the caller has not taken the stats: they are then
    /// taken as files are opened, not by a stat of each path.
    pub keep_stats: bool,
    /// Whether valid reports' texts are spooled (for the raw data and the stacks pages):
    /// `check` keeps none, and writes nothing but its summary.
    pub keep_texts: bool,
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
    let spool = match options.keep_texts {
        true => Spool::new(spool_parent, options.spool_prefix)
            .map_err(|source| IngestError::Spool { path: spool_parent.display().to_string(), source })?,
        false => Spool::none(),
    };
    // Without a previous build to compare with, nothing needs a stat before reading: each
    // file's identity is the stat of the file as opened (see `identities`).
    let mut now = match &previous {
        Some(previous) => incremental::identify(&mut found, previous),
        None => incremental::Identified { ids: Vec::new(), entries: vec![None; found.files.len()] },
    };
    // The digest of the stats `identify` took is returned when asked for; without a
    // previous build, that of the files' stats as opened is (below).
    let mut digest = found.stats.take().filter(|_| options.keep_stats).and_then(|s| stats_digest(&found.files, &s));
    let files = &found.files;
    let identified = started.elapsed().as_secs_f64();
    options.progress.set_length(files.len() as u64);
    let stack_names = std::sync::Mutex::new(StackNames::default());
    let reader = Reader {
        files,
        units: spool_units(files),
        spool: &spool,
        options,
        catalog: &catalog,
        seen_stacks: options.make_cache.then_some(&stack_names),
    };
    let Changes { mut outcome, reuse, dirty, needed, linkable_days } = read_changes(&reader, &now, previous.as_ref());
    if let Some(source) = spool.failure() {
        return Err(IngestError::SpoolWrite { path: spool_parent.display().to_string(), source });
    }
    let read = started.elapsed().as_secs_f64();
    if previous.is_none() && (options.make_cache || options.keep_stats) {
        let (opened, hashes) = identities(files, &mut outcome.stats);
        if options.make_cache {
            now.ids = incremental::ids_of(files, &opened, &hashes);
        }
        // Only their digest is kept: the stats themselves, 40 bytes a file, would be held
        // through the making of the cache, the peak of a build.
        if options.keep_stats {
            digest = stats_digest(files, &opened);
        }
    }
    // A file that could not be read for a reason outside it is cached under an identity
    // no file has, so the next build reads it again.
    for &index in &outcome.unsettled {
        if let Some(id) = now.ids.get_mut(index as usize) {
            *id = (cache::FileStat::NEVER, 0);
        }
    }
    let files_reused = reuse.iter().flatten().count() as u64;
    options.progress.inc(files_reused);
    let mut stack_records = match &previous {
        Some(previous) => take_from_cache(&mut outcome, files, &reuse, &previous.cache),
        None => Vec::new(),
    };
    if let Err(source) = spool.flush() {
        return Err(IngestError::SpoolWrite { path: spool_parent.display().to_string(), source });
    }
    // Nothing parsed, nothing deleted: the previous cache still describes every file.
    let unchanged = previous.as_ref().is_some_and(|p| {
        files_reused == files.len() as u64 && p.cache.files().len() == files.len() && dirty.is_empty()
    });
    let make_new_cache = options.make_cache && !unchanged;
    // What the cache keeps of each record, copied, so that the cache is made while the
    // records themselves are thinned by the duplicate rule and sorted.
    let rows = if make_new_cache { CacheRows::of(&outcome.records) } else { CacheRows::default() };
    let mut records = std::mem::take(&mut outcome.records);
    if let Some(needed) = &needed {
        // Records of re-parsed files on days not recounted: only their stacks are needed.
        let others;
        (records, others) = records.into_iter().partition(|r| needed.contains(&r.day));
        stack_records.extend(others.into_iter().filter(|r: &Record| r.has_stacks));
    }
    let mut names = stack_names.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    names.shrink(); // Only read from now on.

    // Of the previous cache: the stacks of the reports when it stays the cache (nothing
    // changed), or the entry each file reuses, by index, when a new cache is made of it.
    let stacks_started = std::time::Instant::now();
    let stacks_kept = match (&previous, make_new_cache) {
        (Some(previous), false) => Some(stacks_in(&previous.cache, reuse.iter().copied())),
        _ => None,
    };
    let stacks_seconds = stacks_started.elapsed().as_secs_f64();
    let reused: Option<Vec<Option<u32>>> = (make_new_cache && previous.is_some())
        .then(|| reuse.iter().zip(&now.entries).map(|(reused, entry)| reused.and(*entry)).collect());
    drop(reuse);
    // Its parts that are the whole build's (the counts and duplicates of the days not
    // recounted), then its files' tables, which the new cache is made of.
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
    let cached = match (reused.as_deref(), previous.as_mut()) {
        (Some(reused), Some(previous)) => Some((std::mem::take(&mut previous.cache), reused)),
        _ => None,
    };
    let cache_files = (files.as_slice(), now.ids.as_slice());
    let ((new_cache, cache_seconds), ((records, dropped), rule_seconds)) = rayon::join(
        || {
            let cache =
                timed(|| make_new_cache.then(|| make_cache(rows, &mut outcome, cache_files, (&spool, &names), cached)));
            drop(names); // The new cache has every name: freed before the stack pages take theirs.
            cache
        },
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
    let cached_stacks = match (&new_cache, stacks_kept) {
        (Some(cache), _) => stacks_in(cache, cache.files().iter().map(Some)),
        (None, Some(stacks)) => stacks,
        (None, None) => CachedStacks::default(),
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
        stats_digest: digest,
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
        unsettled: outcome.unsettled.len() as u64,
        textless: outcome.textless,
        unchanged,
        previous,
        partial,
        stack_records: Vec::new(),
        cached_stacks,
        duplicates: Vec::new(),
    };
    let tail = std::time::Instant::now();
    let duplicates =
        list_duplicates(previous_duplicates, dropped, &ingested.files, (&mut ingested.skipped, &mut ingested.skips));
    if ingested.partial.is_some() {
        // Stacks of reports the duplicate rule dropped on the days not recounted do not count.
        let dropped: rustc_hash::FxHashSet<(&str, u32)> = duplicates.iter().map(|d| (d.rel.as_str(), d.line)).collect();
        stack_records.retain(|r| !dropped.contains(&(ingested.files[r.file as usize].rel(), r.line)));
    }
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
            ("read+parse/stacks", parsed - cached + stacks_seconds),
        ];
        ingested.stages.extend(laps.map(|(name, secs)| (name.to_string(), secs)));
        ingested.stages.extend(cpu_stages.map(|(name, cpu)| (name.to_string(), cpu.as_secs_f64())));
    }
    // The duplicate rule and the sort ran beside the cache (within read+parse), then their
    // skips were listed.
    ingested.stages.push(("dedup+sort".into(), rule_seconds + tail.elapsed().as_secs_f64()));
    Ok(ingested)
}

/// What [`read_changes`] read, and what it takes from the previous build.
struct Changes<'c> {
    outcome: FileOutcome,
    /// Per file: its entry in the previous cache, when it is taken from there unread.
    reuse: Vec<Option<&'c cache::FileEntry>>,
    /// The days with a changed file (day numbers).
    dirty: BTreeSet<i32>,
    /// In an incremental build, the days recounted: the dirty ones and their neighbours
    /// that may share an uploader with a changed report.
    needed: Option<BTreeSet<Day>>,
    /// Days whose raw data is unchanged (see [`Ingested::linkable_days`]).
    linkable_days: BTreeSet<Day>,
}

/// Reads every file, or, after a previous build, the files it cannot vouch for and every
/// file with a report on a day they make recounted.
fn read_changes<'c>(
    reader: &Reader<'_>,
    now: &incremental::Identified,
    previous: Option<&'c incremental::Previous<'_>>,
) -> Changes<'c> {
    let files = reader.files;
    let Some(previous) = previous else {
        let outcome = reader.read(&vec![None; files.len()], &|_| true, &|_| false);
        let (reuse, dirty, linkable_days) = (vec![None; files.len()], BTreeSet::new(), BTreeSet::new());
        return Changes { outcome, reuse, dirty, needed: None, linkable_days };
    };
    let mut reuse = incremental::unchanged(now, previous);
    let first = reader.read(&reuse, &|_| true, &|_| false);
    let dirty = incremental::dirty_days(now, &reuse, first.records.iter().map(|r| r.day.0), previous);
    // Unchanged files keep their days' raw data, unless another file made a day dirty.
    let cache = &previous.cache;
    let days = incremental::days_of(cache, &reuse);
    let linkable_days: BTreeSet<Day> = days.into_iter().filter(|d| !dirty.contains(d)).map(Day).collect();
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
    let second = reader.read(&reuse, &|i| again[i], &|day| linkable_days.contains(&day));
    Changes { outcome: first.merge(second).flatten(), reuse, dirty, needed: Some(needed), linkable_days }
}

/// `work()`, and how long it took in seconds.
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let clock = std::time::Instant::now();
    let value = work();
    (value, clock.elapsed().as_secs_f64())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::Record;
    use crate::day::Day;

    /// A record whose keys are its file and line, to tell records apart.
    pub(crate) fn record(day: i32, x: f64, file: u32, line: u32) -> Record {
        Record {
            day: Day(day),
            x,
            file,
            line,
            has_programs: true,
            has_stacks: false,
            keys: tag(file, line),
            text: Default::default(),
        }
    }

    /// The keys of [`record`]`(_, _, file, line)`: two ids that tell it apart.
    pub(crate) fn tag(file: u32, line: u32) -> super::key_ids::KeyIds {
        super::key_ids::KeyIds::new(&[file, file + 1 + line])
    }
}
