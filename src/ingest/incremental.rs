//! Which input files must be parsed again, given the previous build's cache.
//!
//! A file is reused when its stat (size, mtime, inode) is unchanged, or, for a
//! newline-delimited file, when its content hash is (a fresh clone gives every file a new
//! mtime). A day is dirty when a file that held or holds reports of that day changed, was
//! added or deleted, or when the previous site's `data/<D>.json` is not as that build left
//! it; every file with reports on a dirty day is parsed again.

use std::collections::BTreeSet;
use std::path::Path;

use rayon::prelude::*;

use super::discover::{InputFile, Layout};
use crate::cache::{self, Cache, FileEntry, FileStat};

/// The previous build: its cache and its site.
pub struct Previous<'a> {
    pub cache: Cache,
    pub site: &'a Path,
    /// The format of the raw data this build publishes: a day whose file of that name is
    /// not as the last build left it is dirty.
    pub raw_data: crate::raw_data::RawData,
}

/// Every input file now: its identity (stat, and the content hash of newline-delimited
/// files whose stat changed, or the cached hash when it did not) and its previous cache
/// entry, if any.
pub struct Identified {
    pub ids: Vec<(FileStat, u64)>,
    /// The index in the previous cache's [`Cache::files`] of each file's entry.
    pub entries: Vec<Option<u32>>,
}

/// The identity of `file` with `stat`: the stat, and for a newline-delimited file the hash
/// of its content (the cached hash when its stat did not change).
fn identity(file: &InputFile, stat: &std::io::Result<FileStat>, cached: Option<&FileEntry>) -> (FileStat, u64) {
    let stat = stat.as_ref().map_or_else(|_| FileStat::default(), |s| *s);
    let hash = match cached {
        Some(entry) if entry.stat == stat => entry.hash,
        _ if file.layout == Layout::Merged => cache::hash_file(file.path()).unwrap_or(0),
        _ => 0,
    };
    (stat, hash)
}

/// The identities of `files` with these stats, without a previous build.
/// `hashes` holds the content hash of each file that was hashed as it was read (see
/// [`super::read::FileRead`]); the others are read again to be hashed.
pub fn ids_of(
    files: &[InputFile],
    stats: &[std::io::Result<FileStat>],
    hashes: &[Option<u64>],
) -> Vec<(FileStat, u64)> {
    files
        .par_iter()
        .zip(stats)
        .zip(hashes)
        .map(|((file, stat), hash)| match (stat, hash) {
            (Ok(stat), Some(hash)) => (*stat, *hash),
            _ => identity(file, stat, None),
        })
        .collect()
}

/// The identities of the files `found` (stat'ed now, unless already) and their entries in
/// the previous build's cache.
pub fn identify(found: &mut super::Discovery, previous: &Previous<'_>) -> Identified {
    let cache = &previous.cache;
    let entries = cache.entries_of(found.files.iter().map(|f| f.rel()));
    let (files, stats) = found.with_stats();
    let ids = files
        .par_iter()
        .zip(stats)
        .zip(&entries)
        .map(|((file, stat), entry)| identity(file, stat, entry.map(|i| &cache.files()[i as usize])))
        .collect();
    Identified { ids, entries }
}

/// The cached entry of each file that may be reused (before dirty days are known).
pub fn unchanged<'c>(now: &Identified, previous: &'c Previous<'_>) -> Vec<Option<&'c FileEntry>> {
    now.ids
        .iter()
        .zip(&now.entries)
        .map(|((stat, hash), entry)| {
            let entry = &previous.cache.files()[(*entry)? as usize];
            let same = entry.stat == *stat || (entry.hash != 0 && entry.hash == *hash);
            same.then_some(entry)
        })
        .collect()
}

/// The days of the files `reuse` takes from `cache`, sorted, each once.
pub fn days_of(cache: &Cache, reuse: &[Option<&FileEntry>]) -> Vec<i32> {
    let mut days: Vec<i32> = reuse.iter().flatten().flat_map(|e| cache.days_of(e).iter().copied()).collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// Days whose output must be regenerated: days of changed, added and deleted files (as
/// cached and as parsed now), and days whose published raw data is not as cached.
pub fn dirty_days(
    now: &Identified,
    reuse: &[Option<&FileEntry>],
    parsed_days: impl IntoIterator<Item = i32>,
    previous: &Previous<'_>,
) -> BTreeSet<i32> {
    let cache = &previous.cache;
    let mut dirty: BTreeSet<i32> = parsed_days.into_iter().collect();
    let mut present = vec![false; cache.files().len()];
    for (entry, reused) in now.entries.iter().zip(reuse) {
        if let Some(i) = *entry {
            present[i as usize] = true;
            if reused.is_none() {
                dirty.extend(cache.days_of(&cache.files()[i as usize]));
            }
        }
    }
    for (old, _) in cache.files().iter().zip(&present).filter(|(_, present)| !**present) {
        dirty.extend(cache.days_of(old));
    }
    for day in days_of(cache, reuse) {
        let published = previous.site.join(previous.raw_data.rel(crate::day::Day(day)));
        let as_left = cache.data_files.get(&day);
        let now = FileStat::of(&published).ok();
        if !matches!((now, as_left), (Some(now), Some(left)) if now.same_output(left)) {
            dirty.insert(day);
        }
    }
    dirty
}
