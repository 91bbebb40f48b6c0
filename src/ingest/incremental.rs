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
}

/// The identity of every input file now: stat, and the content hash of newline-delimited
/// files whose stat changed (or the cached hash when it did not).
pub fn identify(found: &mut super::Discovery, previous: Option<&Previous<'_>>) -> Vec<(FileStat, u64)> {
    let (files, stats) = found.with_stats();
    files
        .par_iter()
        .zip(stats)
        .map(|(file, stat)| {
            let stat = stat.as_ref().map_or_else(|_| FileStat::default(), |s| *s);
            let cached = previous.and_then(|p| p.cache.file(&file.rel));
            let hash = match cached {
                Some(entry) if entry.stat == stat => entry.hash,
                _ if file.layout == Layout::Merged => cache::hash_file(&file.path).unwrap_or(0),
                _ => 0,
            };
            (stat, hash)
        })
        .collect()
}

/// The days a rebuild recounts: every day within six days of a dirty one (the weekly
/// sets that hold a dirty day end up to six days after it and start up to six before).
pub fn near(dirty: &BTreeSet<i32>) -> BTreeSet<crate::day::Day> {
    dirty.iter().flat_map(|&d| (d - 6..=d + 6).map(crate::day::Day)).collect()
}

/// The cached entry of each file that may be reused (before dirty days are known).
pub fn unchanged<'c>(
    files: &[InputFile],
    ids: &[(FileStat, u64)],
    previous: &'c Previous<'_>,
) -> Vec<Option<&'c FileEntry>> {
    files
        .iter()
        .zip(ids)
        .map(|(file, (stat, hash))| {
            let entry = previous.cache.file(&file.rel)?;
            let same = entry.stat == *stat || (entry.hash != 0 && entry.hash == *hash);
            same.then_some(entry)
        })
        .collect()
}

/// Days whose output must be regenerated: days of changed, added and deleted files (as
/// cached and as parsed now), and days whose published raw data is not as cached.
pub fn dirty_days(
    files: &[InputFile],
    reuse: &[Option<&FileEntry>],
    parsed_days: impl IntoIterator<Item = i32>,
    previous: &Previous<'_>,
) -> BTreeSet<i32> {
    let mut dirty: BTreeSet<i32> = parsed_days.into_iter().collect();
    let present: BTreeSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    for (file, reused) in files.iter().zip(reuse) {
        if reused.is_none() {
            if let Some(old) = previous.cache.file(&file.rel) {
                dirty.extend(&old.days);
            }
        }
    }
    for old in &previous.cache.files {
        if !present.contains(old.rel.as_str()) {
            dirty.extend(&old.days);
        }
    }
    let reused_days: BTreeSet<i32> = reuse.iter().flatten().flat_map(|e| e.days.iter().copied()).collect();
    for day in reused_days {
        let published = previous.site.join(format!("data/{}.json", crate::day::Day(day)));
        let as_left = previous.cache.data_files.get(&day);
        let now = FileStat::of(&published).ok();
        if !matches!((now, as_left), (Some(now), Some(left)) if now.same_output(left)) {
            dirty.insert(day);
        }
    }
    dirty
}
