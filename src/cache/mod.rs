//! Incremental builds: what parsing each input file gave, kept between builds.
//!
//! The cache holds, per input file, its identity (size, modification time, inode, and for
//! newline-delimited files a content hash) and its outcome: the valid records as key ids,
//! and its skips. A file is reused only when its identity is unchanged (or, after a fresh
//! clone, when its content hash is); every file that touches a day with a changed file is
//! parsed again, so that day's raw data is regenerated from the reports themselves. The
//! whole cache is keyed by a fingerprint of what determines outcomes (the tool's version,
//! the upload config, the limits), and it carries a checksum: a cache that is corrupt,
//! truncated, from another version, or half-written by a crashed run is ignored, never
//! trusted. It is written to a temporary file and renamed into place.

mod file;
mod stack_names;

pub use file::{file_in, fingerprint, load, partial_file, save, start_save, Saving};
pub use stack_names::StackNames;
pub(crate) use stack_names::{find_stack, stack_hash};

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ingest::Reason;

/// What identifies a file's content without reading it. The change time is in it because
/// no one can set it: a report rewritten at the same size with its mtime put back (`touch
/// -r`, `cp -p`, `rsync -t`) still has a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FileStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
    pub ctime_ns: i64,
}

impl FileStat {
    /// Equal to no file's stat: the identity cached for a file that must be read again.
    pub const NEVER: FileStat = FileStat { size: u64::MAX, mtime_ns: i64::MIN, inode: 0, ctime_ns: i64::MIN };

    /// The identity of an output this tool wrote: size and modification time, not the
    /// inode or change time, so a site restored by a copy that keeps timestamps (a CI cache) is still
    /// recognised; anyone who edits a file changes its mtime.
    pub fn same_output(&self, other: &FileStat) -> bool {
        self.size == other.size && self.mtime_ns == other.mtime_ns
    }

    pub fn of(path: &Path) -> io::Result<FileStat> {
        Ok(FileStat::from_metadata(&fs::symlink_metadata(path)?))
    }

    pub fn from_metadata(meta: &fs::Metadata) -> FileStat {
        FileStat::from_parts(
            meta.size(),
            (meta.mtime(), meta.mtime_nsec()),
            meta.ino(),
            (meta.ctime(), meta.ctime_nsec()),
        )
    }

    /// The identity in a `stat` taken by rustix (by name in an open folder): the same
    /// fields as [`FileStat::from_metadata`], so either way gives equal stats.
    pub fn from_stat(stat: &rustix::fs::Stat) -> FileStat {
        let (mtime, ctime) = ((stat.st_mtime, stat.st_mtime_nsec as i64), (stat.st_ctime, stat.st_ctime_nsec as i64));
        FileStat::from_parts(stat.st_size as u64, mtime, stat.st_ino, ctime)
    }

    fn from_parts(size: u64, mtime: (i64, i64), inode: u64, ctime: (i64, i64)) -> FileStat {
        let ns = |(s, nsec): (i64, i64)| s.wrapping_mul(1_000_000_000).wrapping_add(nsec);
        FileStat { size, mtime_ns: ns(mtime), inode, ctime_ns: ns(ctime) }
    }
}

/// A valid report with stacks, as cached: where it is, and (in [`Cache::stack_counts`])
/// its stacks. Other reports are not kept one by one: the days a rebuild recounts are
/// parsed again, and the others' counts are in [`Cache::sets`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct CachedRecord {
    pub day: i32,
    pub x: f64,
    pub line: u32,
    pub has_programs: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedSkip {
    pub line: u32,
    pub reason: Reason,
    pub message: String,
}

/// What one input file gave. Its name, days, skip counts, records and skips are ranges of
/// the cache's tables, so an entry is a fixed-size row: a year of a million one-report
/// files loads, copies and saves as a few blocks, not millions of small values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileEntry {
    pub stat: FileStat,
    /// xxh3 of the file's bytes, for newline-delimited files; 0 when not computed.
    pub hash: u64,
    pub reports: u64,
    /// Its path relative to DATA, a range of the names of [`Files`]; [`Cache::files`] is sorted
    /// by it, byte order.
    rel: Span,
    /// Skipped reports by reason, only the reasons with any: a range of [`Cache::skip_counts`].
    skipped: Span,
    /// The days of its valid reports, sorted, each once: a range of [`Cache::days`].
    days: Span,
    /// Its reports with stacks, a range of [`Cache::records`].
    records: Span,
    skips: Span,
}

/// A range of one of the cache's tables: (first, length). Each file's ranges follow the
/// previous file's, so only lengths are saved.
type Span = (u32, u32);

/// What is known of an input file when its entry is made.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileFacts<'a> {
    pub rel: &'a str,
    pub stat: FileStat,
    pub hash: u64,
    pub reports: u64,
    pub skipped: &'a [(Reason, u64)],
    pub days: &'a [i32],
}

/// The cache of one site, flat: a few tables, not a value per record or per file.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Cache {
    files: Files,
    skip_counts: Vec<(Reason, u64)>,
    days: Vec<i32>,
    /// The valid reports with stacks.
    #[serde(with = "file::record_table")]
    pub records: Vec<CachedRecord>,
    /// Every stack seen: (program, stack counter key as uploaded).
    pub stack_names: StackNames,
    /// The stacks of the records with stacks: (index in `records`, stack id, count), in
    /// record order.
    pub stack_counts: Vec<(u32, u32, u64)>,
    pub skips: Vec<CachedSkip>,
    /// The counts of every chart set of the build, so the next one recounts only the days
    /// near a change.
    pub sets: Vec<crate::aggregate::SetCounts>,
    /// Every report the duplicate rule dropped, for the days the next build does not
    /// recount.
    pub duplicates: Vec<CachedDuplicate>,
    /// Who uploaded on which day, so the next build need not parse the neighbours of the
    /// days it recounts.
    pub uploaders: crate::aggregate::uploaders::Uploaders,
    // The site's outputs come last: they are known only once the site is written, after
    // the rest has been (see [`start_save`]).
    /// The published raw data of each day, as this build left it.
    pub data_files: DataFiles,
    /// The rendered outputs, as this build left them.
    pub outputs: Outputs,
}

/// The published `data/<D>.json` of each day (by day number), as the build left it.
pub type DataFiles = BTreeMap<i32, FileStat>;

/// Rendered outputs: path -> (fingerprint of what it was rendered from, the file as left).
pub type Outputs = BTreeMap<String, (u64, FileStat)>;

/// A report dropped by the duplicate rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedDuplicate {
    pub day: i32,
    pub x: f64,
    /// The input file, relative to DATA.
    pub rel: String,
    pub line: u32,
}

impl Cache {
    /// Every input file's entry, in byte order of their paths.
    pub fn files(&self) -> &[FileEntry] {
        &self.files.entries
    }

    /// The entry of each of `rels` (paths relative to DATA, in byte order, as discovery
    /// gives them), found in one pass over both sorted lists. A path out of order is not
    /// found, so its file is parsed again, never wrongly reused.
    pub fn entries_of<'r>(&self, rels: impl IntoIterator<Item = &'r str>) -> Vec<Option<u32>> {
        let mut next = 0;
        rels.into_iter()
            .map(|rel| {
                while next < self.files.entries.len()
                    && self.rel_of(&self.files.entries[next]).as_bytes() < rel.as_bytes()
                {
                    next += 1;
                }
                (next < self.files.entries.len() && self.rel_of(&self.files.entries[next]) == rel)
                    .then_some(next as u32)
            })
            .collect()
    }

    /// The entry of the input file at `rel`.
    #[cfg(test)]
    pub fn file(&self, rel: &str) -> Option<&FileEntry> {
        self.entries_of([rel])[0].map(|i| &self.files.entries[i as usize])
    }

    pub fn rel_of(&self, entry: &FileEntry) -> &str {
        &self.files.names[entry.rel.0 as usize..][..entry.rel.1 as usize]
    }

    pub fn days_of(&self, entry: &FileEntry) -> &[i32] {
        &self.days[entry.days.0 as usize..][..entry.days.1 as usize]
    }

    pub fn skipped_of(&self, entry: &FileEntry) -> &[(Reason, u64)] {
        &self.skip_counts[entry.skipped.0 as usize..][..entry.skipped.1 as usize]
    }

    pub fn records_of(&self, entry: &FileEntry) -> &[CachedRecord] {
        &self.records[self.record_indices(entry)]
    }

    /// Where the records of `entry` are in [`Cache::records`].
    pub fn record_indices(&self, entry: &FileEntry) -> std::ops::Range<usize> {
        entry.records.0 as usize..(entry.records.0 + entry.records.1) as usize
    }

    pub fn skips_of(&self, entry: &FileEntry) -> &[CachedSkip] {
        &self.skips[entry.skips.0 as usize..][..entry.skips.1 as usize]
    }

    /// The stacks of the record at `index` of [`Cache::records`]: (program, key, count).
    #[cfg(test)]
    pub fn stacks_of(&self, index: usize) -> crate::stacks::ReportStacks {
        self.stack_ids_of(index)
            .map(|(id, count)| {
                let (program, key) = self.stack_names.get(id);
                (program.to_string(), key.to_string(), count)
            })
            .collect()
    }

    /// The stacks of the record at `index` of [`Cache::records`]: (index in
    /// [`Cache::stack_names`], count).
    pub fn stack_ids_of(&self, index: usize) -> impl Iterator<Item = (u32, u64)> + '_ {
        let first = self.stack_counts.partition_point(|&(i, _, _)| (i as usize) < index);
        let rows = self.stack_counts[first..].iter().take_while(move |&&(i, _, _)| i as usize == index);
        rows.map(|&(_, id, count)| (id, count))
    }

    /// Records `stacks` for the record about to be pushed.
    fn push_stacks<'s>(&mut self, stacks: impl IntoIterator<Item = (&'s str, &'s str, u64)>) {
        let index = self.records.len() as u32;
        for (program, key, count) in stacks {
            let id = self.stack_names.intern(program, key);
            self.stack_counts.push((index, id, count));
        }
    }

    /// Makes room for `files` more files, whose paths take `name_bytes`, with `days` days
    /// and `records` reports with stacks between them: a cache of a million files is then
    /// grown once, not copied at each doubling.
    pub fn reserve(&mut self, files: usize, name_bytes: usize, days: usize, records: usize) {
        self.files.entries.reserve(files);
        self.files.names.reserve(name_bytes);
        self.days.reserve(days);
        self.records.reserve(records);
        // Each table's new memory is written once, in one sweep, before it is filled: on
        // this project's benchmark machine that costs a fifth of letting a million pushes
        // reach each fresh page in turn (see the README's performance section).
        touch_spare(&mut self.files.entries);
        touch_spare(&mut self.days);
        touch_spare(&mut self.records);
        let mut names = std::mem::take(&mut self.files.names).into_bytes();
        touch_spare(&mut names);
        self.files.names = String::from_utf8(names).expect("the same bytes");
    }

    /// Appends one file's entry; `records` give its reports with stacks and their stacks
    /// (program, key, count), in order.
    pub fn push_file<'s, S: IntoIterator<Item = (&'s str, &'s str, u64)>>(
        &mut self,
        facts: FileFacts<'_>,
        records: impl IntoIterator<Item = (CachedRecord, S)>,
        skips: impl IntoIterator<Item = CachedSkip>,
    ) {
        let mut entry = self.start_entry(&facts);
        for (record, stacks) in records {
            self.push_stacks(stacks);
            self.records.push(record);
        }
        let first_skip = self.skips.len() as u32;
        self.skips.extend(skips);
        entry.records.1 = self.records.len() as u32 - entry.records.0;
        entry.skips = (first_skip, self.skips.len() as u32 - first_skip);
        self.files.entries.push(entry);
    }

    /// An entry for `facts` with its name, skip counts and days appended to their tables;
    /// its records start at the end of [`Cache::records`].
    fn start_entry(&mut self, facts: &FileFacts<'_>) -> FileEntry {
        let span = |start: usize, end: usize| (start as u32, (end - start) as u32);
        let names = self.files.names.len();
        self.files.names.push_str(facts.rel);
        let skipped = self.skip_counts.len();
        self.skip_counts.extend_from_slice(facts.skipped);
        let days = self.days.len();
        self.days.extend_from_slice(facts.days);
        FileEntry {
            stat: facts.stat,
            hash: facts.hash,
            reports: facts.reports,
            rel: span(names, self.files.names.len()),
            skipped: span(skipped, self.skip_counts.len()),
            days: span(days, self.days.len()),
            records: (self.records.len() as u32, 0),
            skips: (self.skips.len() as u32, 0),
        }
    }

    /// Appends the file entries of `other` (a cache of the files after this one's, made on
    /// its own) with their tables: the cache one pass over all the files would make, its
    /// stacks numbered in the order they were first seen.
    pub fn append(&mut self, mut other: Cache) {
        let shift = |span: Span, by: usize| (span.0 + by as u32, span.1);
        let (names, skipped, days) = (self.files.names.len(), self.skip_counts.len(), self.days.len());
        let (records, skips) = (self.records.len(), self.skips.len());
        let ids: Vec<u32> =
            other.stack_names.iter().map(|(program, key)| self.stack_names.intern(program, key)).collect();
        self.files.names.push_str(&other.files.names);
        self.skip_counts.extend_from_slice(&other.skip_counts);
        self.days.extend_from_slice(&other.days);
        self.records.extend_from_slice(&other.records);
        self.skips.append(&mut other.skips);
        let counts = other.stack_counts.iter().map(|&(record, id, n)| (record + records as u32, ids[id as usize], n));
        self.stack_counts.extend(counts);
        self.files.entries.extend(other.files.entries.iter().map(|entry| FileEntry {
            rel: shift(entry.rel, names),
            skipped: shift(entry.skipped, skipped),
            days: shift(entry.days, days),
            records: shift(entry.records, records),
            skips: shift(entry.skips, skips),
            ..*entry
        }));
    }

    /// How many of its stack names the first `files` files' records use, when those are
    /// the first names, numbered in the order the records first use them, as a cache made
    /// of these files alone numbers them (always, for a cache this tool made); `None`
    /// otherwise.
    pub fn names_of_first(&self, files: usize) -> Option<usize> {
        let records = files.checked_sub(1).map_or(0, |last| {
            let (start, len) = self.files.entries[last].records;
            (start + len) as usize
        });
        let mut used = 0;
        for &(record, id, _) in &self.stack_counts {
            if record as usize >= records {
                break;
            }
            match (id as usize).cmp(&used) {
                std::cmp::Ordering::Equal => used += 1,
                std::cmp::Ordering::Greater => return None,
                std::cmp::Ordering::Less => {}
            }
        }
        Some(used)
    }

    /// Keeps the entries of the first `ids.len()` files, with their identities now
    /// (`ids`), and what they hold, and nothing of the build that made it: the cache those
    /// files alone make, with [`Cache::names_of_first`] as `names`. A rebuild's cache is the
    /// previous one so cut where its first changed file was, with the rest appended
    /// ([`Cache::append`]), rather than a copy of a million entries.
    pub fn keep_first(&mut self, ids: &[(FileStat, u64)], names: usize) {
        let end = |span: Span| (span.0 + span.1) as usize;
        let ends = match ids.len().checked_sub(1).map(|last| self.files.entries[last]) {
            Some(last) => [end(last.rel), end(last.skipped), end(last.days), end(last.records), end(last.skips)],
            None => [0; 5],
        };
        let [name_bytes, skipped, days, records, skips] = ends;
        self.files.entries.truncate(ids.len());
        for (entry, &(stat, hash)) in self.files.entries.iter_mut().zip(ids) {
            (entry.stat, entry.hash) = (stat, hash);
        }
        self.files.names.truncate(name_bytes);
        self.skip_counts.truncate(skipped);
        self.days.truncate(days);
        self.records.truncate(records);
        self.skips.truncate(skips);
        let counts = self.stack_counts.partition_point(|&(record, _, _)| (record as usize) < records);
        self.stack_counts.truncate(counts);
        self.stack_names.truncate(names);
        (self.sets, self.duplicates, self.uploaders) = Default::default();
        (self.data_files, self.outputs) = Default::default();
    }

    /// Appends `entry` of the cache `from` as it is, with the file's identity now.
    /// `ids` maps `from`'s stack ids to this cache's: keep one for every copy from `from`.
    pub fn copy_file(&mut self, from: &Cache, ids: &mut StackIds, entry: &FileEntry, (stat, hash): (FileStat, u64)) {
        let facts = FileFacts {
            rel: from.rel_of(entry),
            stat,
            hash,
            reports: entry.reports,
            skipped: from.skipped_of(entry),
            days: from.days_of(entry),
        };
        let mut copy = self.start_entry(&facts);
        let first_in_from = entry.records.0 as usize;
        ids.0.resize(from.stack_names.len(), u32::MAX);
        for (n, record) in from.records_of(entry).iter().enumerate() {
            let index = self.records.len() as u32;
            for (old, count) in from.stack_ids_of(first_in_from + n) {
                let mut id = ids.0[old as usize];
                if id == u32::MAX {
                    let (program, key) = from.stack_names.get(old);
                    id = self.stack_names.intern(program, key);
                    ids.0[old as usize] = id;
                }
                self.stack_counts.push((index, id, count));
            }
            self.records.push(*record);
        }
        copy.records.1 = self.records.len() as u32 - copy.records.0;
        self.skips.extend_from_slice(from.skips_of(entry));
        copy.skips.1 = self.skips.len() as u32 - copy.skips.0;
        self.files.entries.push(copy);
    }
}

/// Writes `table`'s spare capacity once with default values, then leaves it as it was.
fn touch_spare<T: Copy + Default>(table: &mut Vec<T>) {
    let len = table.len();
    table.resize(table.capacity(), T::default());
    table.truncate(len);
}

/// The stack ids of one cache in another, filled as files are copied between them
/// ([`Cache::copy_file`]; `u32::MAX` for a stack not copied yet), so a copied stack is
/// looked up by name once, not once per record.
#[derive(Debug, Default)]
pub struct StackIds(Vec<u32>);

/// The input files' entries and their paths. Saved as one row per file: the path as the
/// length it shares with the previous one and the rest (sorted paths share long prefixes),
/// size, modification time and inode as differences from the previous file's (files of a
/// folder are made together), and the lengths of the file's ranges (each range starts
/// where the previous file's ended, as [`Cache::push_file`] and [`Cache::copy_file`]
/// append them). A year of a million files saves and loads in one pass, without an
/// allocation per file.
#[derive(Debug, Clone, Default)]
struct Files {
    entries: Vec<FileEntry>,
    /// The paths, end to end.
    names: String,
}

/// xxh3 of a file's bytes.
pub fn hash_file(path: &Path) -> io::Result<u64> {
    Ok(content_hash(&fs::read(path)?))
}

/// The hash of a file's bytes, as [`hash_file`] takes it.
pub fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_made_in_two_parts_and_appended_is_the_cache_made_in_one() {
        let stack = |key: &'static str, n| ("cmd/go", key, n);
        // Four files: skips, several days, stacks shared between the halves and new ones.
        type File =
            (&'static str, &'static [(Reason, u64)], &'static [i32], Vec<Vec<(&'static str, &'static str, u64)>>);
        let files: [File; 4] = [
            ("a.json", &[(Reason::Empty, 1)], &[1, 2], vec![vec![stack("s1", 2)], vec![]]),
            ("b.json", &[], &[2], vec![vec![stack("s2", 1), stack("s1", 4)]]),
            ("c.json", &[(Reason::XRange, 2)], &[3], vec![vec![stack("s3", 5), stack("s2", 1)]]),
            ("d.json", &[], &[], vec![]),
        ];
        let add = |cache: &mut Cache, i: usize| {
            let (rel, skipped, days, stacks) = &files[i];
            let facts = FileFacts { rel, stat: FileStat::default(), hash: i as u64, reports: 4, skipped, days };
            let record = |line| CachedRecord { day: days[0], x: 0.5, line, has_programs: true };
            let records = stacks.iter().enumerate().map(|(line, s)| (record(line as u32), s.clone()));
            let skips = skipped.iter().map(|&(reason, _)| CachedSkip { line: 9, reason, message: rel.to_string() });
            cache.push_file(facts, records, skips);
        };
        let mut whole = Cache::default();
        (0..4).for_each(|i| add(&mut whole, i));
        for split in 0..=4 {
            let (mut first, mut second) = (Cache::default(), Cache::default());
            (0..split).for_each(|i| add(&mut first, i));
            (split..4).for_each(|i| add(&mut second, i));
            first.append(second);
            let bytes = |cache: &Cache| postcard::to_allocvec(cache).unwrap();
            assert_eq!(bytes(&first), bytes(&whole), "split at {split}");
            first.check().unwrap();
            // Each entry's ranges, as the build reads them (only lengths are saved).
            let view = |c: &Cache| {
                let entries = c.files().iter().map(|e| {
                    let first_record = e.records.0 as usize;
                    let stacks: Vec<Vec<(u32, u64)>> =
                        (0..e.records.1 as usize).map(|n| c.stack_ids_of(first_record + n).collect()).collect();
                    (c.rel_of(e), c.skipped_of(e), c.days_of(e), c.records_of(e), c.skips_of(e), stacks)
                });
                format!("{:?}", entries.collect::<Vec<_>>())
            };
            assert_eq!(view(&first), view(&whole), "split at {split}");
            // The whole cut after `split` files, the rest appended, is the whole again.
            let mut cut = whole.clone();
            let names = cut.names_of_first(split).expect("numbered as first used");
            assert_eq!(names, [0, 1, 2, 3, 3][split], "names the first {split} files use");
            let ids: Vec<(FileStat, u64)> = (0..split).map(|i| (FileStat::default(), i as u64)).collect();
            cut.keep_first(&ids, names);
            let mut rest = Cache::default();
            (split..4).for_each(|i| add(&mut rest, i));
            cut.append(rest);
            assert_eq!(bytes(&cut), bytes(&whole), "cut at {split}");
            assert_eq!(view(&cut), view(&whole), "cut at {split}");
        }
        let names: Vec<&str> = whole.stack_names.iter().map(|(_, key)| key).collect();
        assert_eq!(names, ["s1", "s2", "s3"]);
    }

    #[test]
    fn a_cache_cut_keeps_its_first_files_with_their_identities_now_and_nothing_of_its_build() {
        let mut cut = sample();
        let now = (FileStat { size: 10, mtime_ns: 6, inode: 8, ctime_ns: 12 }, 99);
        let names = cut.names_of_first(1).unwrap();
        assert_eq!(names, 2, "the sample's two stacks");
        cut.keep_first(&[now], names);
        let entry = cut.files()[0];
        assert_eq!((entry.stat, entry.hash), now);
        let whole = sample();
        assert_eq!(cut.records_of(&entry), whole.records_of(&whole.files()[0]));
        assert_eq!(cut.stacks_of(1), whole.stacks_of(1));
        assert!(
            cut.sets.is_empty() && cut.duplicates.is_empty() && cut.data_files.is_empty() && cut.outputs.is_empty()
        );
        // Cut before any file: nothing is left.
        let mut empty = sample();
        empty.keep_first(&[], empty.names_of_first(0).unwrap());
        assert_eq!(postcard::to_allocvec(&empty).unwrap(), postcard::to_allocvec(&Cache::default()).unwrap());
        // A name not first used by the first file's records: such a cache is not cut.
        let mut odd = Cache::default();
        odd.stack_names.intern("cmd/go", "never-used");
        let facts = FileFacts { rel: "a.json", days: &[1], ..FileFacts::default() };
        let record = CachedRecord { day: 1, x: 0.5, line: 0, has_programs: true };
        odd.push_file(facts, [(record, vec![("cmd/go", "s", 1)])], []);
        assert_eq!(odd.names_of_first(1), None);
    }

    #[test]
    fn reserving_keeps_what_a_cache_holds() {
        let mut table = vec![3u64, 1, 4];
        table.reserve(1000);
        let capacity = table.capacity();
        touch_spare(&mut table);
        assert_eq!((table.as_slice(), table.capacity()), (&[3u64, 1, 4][..], capacity));
        let mut cache = Cache::default();
        let facts = |rel| FileFacts { rel, stat: FileStat::default(), hash: 0, reports: 1, skipped: &[], days: &[7] };
        cache.push_file(facts("a.json"), std::iter::empty::<(CachedRecord, Vec<_>)>(), []);
        cache.reserve(10, 100, 10, 10);
        cache.push_file(facts("b.json"), std::iter::empty::<(CachedRecord, Vec<_>)>(), []);
        let rels: Vec<&str> = cache.files().iter().map(|e| cache.rel_of(e)).collect();
        assert_eq!(rels, ["a.json", "b.json"]);
        assert_eq!(cache.files().iter().map(|e| cache.days_of(e)).collect::<Vec<_>>(), [[7], [7]]);
    }

    fn stacks() -> Vec<(&'static str, &'static str, u64)> {
        let stack = |key, n| ("golang.org/x/tools/gopls", key, n);
        vec![stack("gopls/bug\nmain.f:+1", 2), stack("gopls/bug\nmain.g:+3", 1)]
    }

    fn owned(stacks: Vec<(&str, &str, u64)>) -> crate::stacks::ReportStacks {
        stacks.into_iter().map(|(p, k, n)| (p.to_string(), k.to_string(), n)).collect()
    }

    fn sample() -> Cache {
        let mut cache = Cache::default();
        let facts = FileFacts {
            rel: "2026-01-01.json",
            stat: FileStat { size: 10, mtime_ns: 5, inode: 7, ctime_ns: 11 },
            hash: 99,
            reports: 3,
            skipped: &[(Reason::Empty, 1)],
            days: &[-3, 1],
        };
        let record = |line, stacks| CachedRecord {
            day: if stacks { -3 } else { 1 },
            x: if stacks { 1e-300 } else { 0.5 },
            line,
            has_programs: !stacks,
        };
        let skip = CachedSkip { line: 2, reason: Reason::Empty, message: "blank".into() };
        cache.push_file(facts, [(record(1, false), vec![]), (record(3, true), stacks())], [skip]);
        cache.data_files.insert(1, FileStat { size: 3, mtime_ns: 4, inode: 5, ctime_ns: 6 });
        cache
            .outputs
            .insert("charts/2026-01-01.json".into(), (8, FileStat { size: 6, mtime_ns: 7, inode: 8, ctime_ns: 9 }));
        let day = crate::day::Day(1);
        cache.sets.push(crate::aggregate::SetCounts {
            start: day,
            end: day,
            num_reports: 2,
            week: None,
            counts: vec![2, 0],
        });
        cache.duplicates.push(CachedDuplicate { day: 1, x: 0.25, rel: "a/0.25.json".into(), line: 0 });
        cache
    }

    #[test]
    fn a_file_copied_from_another_cache_keeps_its_days_records_stacks_and_skips() {
        let from = sample();
        let mut to = Cache::default();
        let first = (from.records[0], vec![("p", "crash/b\nmain.g:+2", 1)]);
        to.push_file(FileFacts { rel: "0.json", ..FileFacts::default() }, [first], []);
        let stat = FileStat { size: 1, mtime_ns: 2, inode: 3, ctime_ns: 4 };
        to.copy_file(&from, &mut StackIds::default(), &from.files()[0], (stat, 77));
        let entry = to.file("2026-01-01.json").unwrap();
        assert_eq!((entry.stat, entry.hash, entry.reports, to.days_of(entry)), (stat, 77, 3, &[-3, 1][..]));
        assert_eq!((to.rel_of(entry), to.skipped_of(entry)), ("2026-01-01.json", &[(Reason::Empty, 1)][..]));
        let records = to.records_of(entry);
        assert_eq!(records.iter().map(|r| (r.day, r.line)).collect::<Vec<_>>(), [(1, 1), (-3, 3)]);
        assert_eq!(to.stacks_of(2), owned(stacks()));
        assert_eq!(to.stacks_of(1), []);
        assert_eq!(to.stack_names.len(), 3, "the copied file's stacks join the table once each");
        assert_eq!(to.skips_of(entry)[0].message, "blank");
    }

    #[test]
    fn tables_give_each_file_its_records_and_skips() {
        let cache = sample();
        let entry = cache.file("2026-01-01.json").unwrap();
        let records = cache.records_of(entry);
        assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(cache.stacks_of(1), owned(stacks()));
        assert_eq!(cache.stacks_of(0), []);
        assert_eq!(cache.skips_of(entry)[0].message, "blank");
        assert!(cache.file("2026-01-02.json").is_none());
    }

    #[test]
    fn entries_are_found_in_one_pass_and_keep_their_ranges_through_a_save() {
        let mut cache = Cache::default();
        let skipped = [(Reason::Malformed, 2), (Reason::XRange, 1)];
        // Sorted; "b/è" and "b/é" share their first byte, not their first character.
        let rels = ["a/1.json", "a/2.json", "b/è.json", "b/é.json"];
        for (n, rel) in rels.into_iter().enumerate() {
            let days = [n as i32, 10 + n as i32];
            let k = n.min(2);
            let stat = FileStat {
                size: n as u64,
                mtime_ns: [5, -7, 1 << 62, 0][n],
                inode: [9, 3, u64::MAX, 4][n],
                ctime_ns: [1, -2, i64::MAX, 0][n],
            };
            let facts = FileFacts { rel, stat, reports: n as u64, skipped: &skipped[..k], days: &days[..k], hash: 0 };
            let record = CachedRecord { day: n as i32, x: 0.5, line: n as u32, has_programs: true };
            cache.push_file(facts, vec![(record, Vec::<(&str, &str, u64)>::new()); n], []);
        }
        assert_eq!(cache.entries_of(["a/0.json", "a/2.json", "b/é.json", "c.json"]), [None, Some(1), Some(3), None]);
        // Out of order: not found (so parsed again), never another file's entry.
        assert_eq!(cache.entries_of(["b/é.json", "a/1.json"]), [Some(3), None]);
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), 1, &cache).unwrap();
        let loaded = load(dir.path(), 1).unwrap();
        let view = |c: &Cache| -> Vec<_> {
            c.files()
                .iter()
                .map(|e| {
                    let ranges = (c.skipped_of(e).to_vec(), c.days_of(e).to_vec(), c.records_of(e).len());
                    (c.rel_of(e).to_string(), e.stat, ranges)
                })
                .collect()
        };
        assert_eq!(view(&loaded), view(&cache));
        let stat = FileStat { size: 3, mtime_ns: 0, inode: 4, ctime_ns: 0 };
        assert_eq!(view(&loaded)[3], ("b/é.json".to_string(), stat, (skipped.to_vec(), vec![3, 13], 3)));
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), 42, &sample()).unwrap();
        let bytes = |cache: &Cache| postcard::to_allocvec(cache).unwrap();
        assert_eq!(bytes(&load(dir.path(), 42).unwrap()), bytes(&sample()));
        // Written in two parts (all but the site's outputs, then those), it is the whole
        // cache's encoding between the header and the trailer.
        let file = fs::read(file_in(dir.path())).unwrap();
        assert_eq!(&file[20..file.len() - 16], &bytes(&sample())[..]);
        assert!(load(dir.path(), 43).unwrap_err().contains("another version"));
        let path = file_in(dir.path());
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(load(dir.path(), 42).is_err(), "truncated");
        let mut garbled = bytes.clone();
        garbled[40] ^= 0xff;
        fs::write(&path, &garbled).unwrap();
        assert!(load(dir.path(), 42).unwrap_err().contains("checksum"));
        fs::write(&path, b"junk").unwrap();
        assert!(load(dir.path(), 42).is_err());
        fs::remove_file(&path).unwrap();
        assert!(load(dir.path(), 42).is_err());
        // Ranges that pass the checksum but leave their table are refused too.
        for damage in [|c: &mut Cache| c.files.entries[0].days.1 += 1, |c: &mut Cache| c.files.entries[0].skips.1 += 1]
        {
            let mut cache = sample();
            damage(&mut cache);
            save(dir.path(), 42, &cache).unwrap();
            assert_eq!(load(dir.path(), 42).unwrap_err(), "inconsistent");
        }
    }

    #[test]
    fn a_cache_file_that_is_a_fifo_or_a_device_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_in(dir.path());
        // A FIFO with no writer: opening it to read would otherwise wait for ever.
        crate::ingest::read::tests::mkfifo(&path);
        assert!(load(dir.path(), 42).unwrap_err().contains("not a regular file"));
        fs::remove_file(&path).unwrap();
        // A link to /dev/zero would be read until memory runs out.
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        assert!(load(dir.path(), 42).unwrap_err().starts_with("not read"));
    }
}
