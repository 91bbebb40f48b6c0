//! Between ingest and the cache: the cache this build makes of its files, and what it
//! takes from the previous one.

use rayon::prelude::*;

use super::outcome::{FileOutcome, SeenStacks};
use super::read;
use super::spool::{Spool, SpoolRef};
use super::{InputFile, Reason, Record, Skip};
use crate::cache;
use crate::cache::StackNames;
use crate::day::Day;
use crate::stacks::CachedStacks;

/// Adds the outcomes of reused files to `outcome` (their counts and skips); returns their
/// reports with stacks (whose stacks [`stacks_in`] gives). They are on days not recounted:
/// a file with a report on a recounted day is parsed again, not reused.
pub(super) fn take_from_cache(
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
                keys: Default::default(),
                text: SpoolRef::NONE,
            });
        }
    }
    stack_records
}

/// The stacks `cache` holds for the reports of `entries`, each the entry of the file at
/// its position (or none): the stack pages take them from there instead of reading and
/// parsing the reports again.
pub(super) fn stacks_in<'c>(
    cache: &'c cache::Cache,
    entries: impl Iterator<Item = Option<&'c cache::FileEntry>>,
) -> CachedStacks {
    let mut stacks = CachedStacks::default();
    for (index, entry) in entries.enumerate() {
        let Some(entry) = entry else { continue };
        for (n, r) in cache.record_indices(entry).zip(cache.records_of(entry)) {
            stacks.insert(index as u32, r.line, cache.stack_ids_of(n));
        }
    }
    stacks
}

/// What the cache keeps of the records ([`make_cache`]), copied from them: the file and
/// day of each, and the rest only of those with stacks, the only ones it holds (a million
/// records copied whole were 56 MB at the peak of a build; their days are 8).
#[derive(Debug, Default)]
pub(super) struct CacheRows {
    /// (file, day) of every record.
    days: Vec<(u32, i32)>,
    /// The records with stacks.
    stacked: Vec<CacheRow>,
}

impl CacheRows {
    pub(super) fn of(records: &[Record]) -> CacheRows {
        CacheRows {
            days: records.par_iter().map(|r| (r.file, r.day.0)).collect(),
            stacked: records.par_iter().filter(|r| r.has_stacks).map(CacheRow::of).collect(),
        }
    }
}

/// What the cache keeps of a record with stacks.
#[derive(Debug, Clone, Copy)]
struct CacheRow {
    file: u32,
    line: u32,
    day: i32,
    x: f64,
    has_programs: bool,
    text: SpoolRef,
}

impl CacheRow {
    fn of(r: &Record) -> CacheRow {
        let (file, line, day, x, text) = (r.file, r.line, r.day.0, r.x, r.text);
        CacheRow { file, line, day, x, has_programs: r.has_programs, text }
    }
}

/// The cache of this build's outcomes, per file (before the duplicate rule), from `rows`
/// (what it keeps of every record) and the skips and stacks of `outcome`. Files reused from
/// a previous cache (`cached`, with the index of each file's entry in it, when reused)
/// are taken from it: the first ones, as long as they are its first entries, by keeping
/// them in place ([`cache::Cache::keep_first`]), the others copied.
pub(super) fn make_cache(
    mut rows: CacheRows,
    outcome: &mut FileOutcome,
    (files, ids): (&[InputFile], &[(cache::FileStat, u64)]),
    (spool, names): (&Spool, &StackNames),
    cached: Option<(cache::Cache, &[Option<u32>])>,
) -> cache::Cache {
    // Usually sorted already (see `FileOutcome::flatten`).
    if !rows.days.is_sorted_by_key(|&(file, _)| file) {
        rows.days.par_sort_unstable_by_key(|&(file, _)| file);
    }
    if !rows.stacked.is_sorted_by_key(|r| (r.file, r.line)) {
        rows.stacked.par_sort_unstable_by_key(|r| (r.file, r.line));
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
        let missing: Vec<&CacheRow> = rows.stacked.iter().filter(|r| seen_for(&mut seen, r).is_none()).collect();
        let read_back =
            |r: &&CacheRow| ((r.file, r.line), crate::stacks::stacks_in_spool(spool, r.text).unwrap_or_default());
        missing.par_iter().map(read_back).collect()
    };
    let (mut previous, reuse) = cached.unzip();
    // The first files that are the previous cache's first entries, reused: kept in place
    // when its stacks are numbered as these files alone number them.
    let kept = reuse.map_or(0, |reuse| reuse.iter().enumerate().take_while(|&(i, r)| *r == Some(i as u32)).count());
    let kept = previous.as_ref().and_then(|p| Some((kept, p.names_of_first(kept)?)));
    let tables = CacheInputs {
        files,
        ids,
        days: &rows.days,
        stacked: &rows.stacked,
        file_skips: &outcome.file_skips,
        seen: &seen,
        stack_counts: &outcome.stack_counts,
        names,
        missing: &missing,
        skips_by_path: &skips_by_path,
        cached: previous.as_ref().zip(reuse),
    };
    let rest = tables.fill_in_pieces(kept.map_or(0, |(files, _)| files)..files.len());
    let mut cache = match (previous.as_mut(), kept) {
        (Some(previous), Some((files, names))) => {
            previous.keep_first(&ids[..files], names);
            previous.append(rest);
            std::mem::take(previous)
        }
        _ => rest,
    };
    cache.stack_names.shrink();
    cache
}

/// What [`make_cache`] makes a cache's file entries from: `rows` sorted by file and line,
/// `file_skips` by file, `seen` by file and line.
struct CacheInputs<'a> {
    files: &'a [InputFile],
    ids: &'a [(cache::FileStat, u64)],
    days: &'a [(u32, i32)],
    stacked: &'a [CacheRow],
    file_skips: &'a [(u32, Reason, u32)],
    seen: &'a [SeenStacks],
    stack_counts: &'a [(u32, u64)],
    names: &'a StackNames,
    missing: &'a rustc_hash::FxHashMap<(u32, u32), crate::stacks::ReportStacks>,
    skips_by_path: &'a rustc_hash::FxHashMap<&'a str, Vec<&'a Skip>>,
    cached: Option<(&'a cache::Cache, &'a [Option<u32>])>,
}

impl CacheInputs<'_> {
    /// A cache of the files `range`, made in pieces two at a time: one core adds the first
    /// to the cache while another makes the second on its own, which is then appended.
    /// That is the cache a single pass makes (stack ids numbered in the order first seen),
    /// held with at most a piece beside it. (Made in two halves, it was held with half of
    /// itself beside it, at the peak of a build.)
    fn fill_in_pieces(&self, range: std::ops::Range<usize>) -> cache::Cache {
        const PAIRS: usize = 8;
        let mut cache = cache::Cache::default();
        self.reserve(&mut cache, range.clone());
        let step = range.len().div_ceil(2 * PAIRS).max(1);
        let mut start = range.start;
        while start < range.end {
            let (middle, end) = ((start + step).min(range.end), (start + 2 * step).min(range.end));
            let ((), piece) = rayon::join(
                || self.fill(&mut cache, start..middle),
                || {
                    let mut piece = cache::Cache::default();
                    self.reserve(&mut piece, middle..end);
                    self.fill(&mut piece, middle..end);
                    piece
                },
            );
            cache.append(piece);
            start = end;
        }
        cache
    }

    /// Makes room in `cache` for the files `range`.
    fn reserve(&self, cache: &mut cache::Cache, range: std::ops::Range<usize>) {
        let name_bytes = self.files[range.clone()].iter().map(|f| f.rel().len()).sum();
        let with_stacks = slice_of_files(self.stacked, &range, |r| r.file).len();
        cache.reserve(range.len(), name_bytes, range.len(), with_stacks);
    }

    /// Adds the files `range` to `cache`.
    fn fill(&self, cache: &mut cache::Cache, range: std::ops::Range<usize>) {
        let (files, ids) = (&self.files[range.clone()], &self.ids[range.clone()]);
        let days = slice_of_files(self.days, &range, |&(file, _)| file);
        let stacked = slice_of_files(self.stacked, &range, |r| r.file);
        let file_skips = slice_of_files(self.file_skips, &range, |s| s.0);
        let seen = slice_of_files(self.seen, &range, |s| s.file);
        let mut days_by_file = days.chunk_by(|a, b| a.0 == b.0).peekable();
        let mut stacked_by_file = stacked.chunk_by(|a, b| a.file == b.file).peekable();
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
        let mut stack_ids = cache::StackIds::default();
        for (offset, file) in files.iter().enumerate() {
            let index = range.start + offset;
            let (stat, hash) = ids[offset];
            let mut skipped = [0u64; Reason::ALL.len()];
            let counted = counts.next_if(|g| g[0].0 == index as u32);
            for &(_, reason, n) in counted.into_iter().flatten() {
                skipped[reason.index()] += u64::from(n);
            }
            let records: &[(u32, i32)] = days_by_file.next_if(|rs| rs[0].0 == index as u32).unwrap_or(&[]);
            let stacked: &[CacheRow] = stacked_by_file.next_if(|rs| rs[0].file == index as u32).unwrap_or(&[]);
            if let Some((previous, Some(entry))) = self.cached.map(|(c, reuse)| (c, reuse[index])) {
                cache.copy_file(previous, &mut stack_ids, &previous.files()[entry as usize], (stat, hash));
                continue;
            }
            let mut days: Vec<i32> = records.iter().map(|&(_, day)| day).collect();
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
            let rows = stacked.iter().map(|r| {
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

/// The stat of each of `files`: as opened when it was read (`opened`, emptied and freed), by its
/// path when it was not; and the hash of its content when reading took it.
pub(super) type Identities = (Vec<std::io::Result<cache::FileStat>>, Vec<Option<u64>>);
pub(super) fn identities(files: &[InputFile], opened: &mut Vec<(u32, read::FileRead)>) -> Identities {
    let mut stats: Vec<Option<cache::FileStat>> = vec![None; files.len()];
    let mut hashes = vec![None; files.len()];
    // Taken, not drained: drained, its buffer (56 bytes a file) stayed allocated through
    // the making of the cache, the peak of a build.
    for (index, read) in std::mem::take(opened) {
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

#[cfg(test)]
mod tests {
    use super::{identities, make_cache, CacheRows, FileOutcome, SeenStacks, Spool, StackNames};
    use crate::day::Day;
    use crate::ingest::{InputFile, Layout, Record};

    #[test]
    fn identities_take_the_stats_as_opened_and_free_them_or_stat_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, size: usize| {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![b' '; size]).unwrap();
            InputFile::new(path, name, Layout::Merged, false)
        };
        let files = [file("2026-01-01.json", 1), file("2026-01-02.json", 2)];
        let as_opened = crate::cache::FileStat { size: 7, mtime_ns: 1, inode: 2, ctime_ns: 3 };
        let mut opened = Vec::with_capacity(100);
        opened.push((1, crate::ingest::read::FileRead { stat: as_opened, hash: Some(9) }));
        let (stats, hashes) = identities(&files, &mut opened);
        assert_eq!(stats[0].as_ref().unwrap().size, 1, "not opened: stat'ed by its path");
        assert_eq!(*stats[1].as_ref().unwrap(), as_opened);
        assert_eq!(hashes, [None, Some(9)]);
        assert_eq!(opened.capacity(), 0, "the stats as opened are freed, not only drained");
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
            keys: Default::default(),
            text,
        };
        let mut outcome = FileOutcome {
            stack_counts: vec![(seen, 7)],
            stacks: vec![SeenStacks { file: 0, line: 1, start: 0, len: 1 }],
            ..FileOutcome::default()
        };
        let rows = CacheRows::of(&[record(1, first), record(2, second)]);
        let files = [InputFile::new("a.json".into(), "a.json", Layout::Merged, false)];
        let ids = [(crate::cache::FileStat::default(), 0)];
        let cache = make_cache(rows, &mut outcome, (&files, &ids), (&spool, &names), None);
        assert_eq!(cache.stacks_of(0), vec![("q".to_string(), "crash/seen".to_string(), 7)]);
        assert_eq!(cache.stacks_of(1), vec![("p".to_string(), "crash/b".to_string(), 2)]);
    }
}
