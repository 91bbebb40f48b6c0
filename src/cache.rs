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

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ingest::Reason;

const MAGIC: &[u8; 8] = b"TSCACHE\0";
const FORMAT: u32 = 3;

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FileStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl FileStat {
    /// The identity of an output this tool wrote: size and modification time, not the
    /// inode, so a site restored by a copy that keeps timestamps (a CI cache) is still
    /// recognised; anyone who edits a file changes its mtime.
    pub fn same_output(&self, other: &FileStat) -> bool {
        self.size == other.size && self.mtime_ns == other.mtime_ns
    }

    pub fn of(path: &Path) -> io::Result<FileStat> {
        let meta = fs::symlink_metadata(path)?;
        Ok(FileStat {
            size: meta.size(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            inode: meta.ino(),
        })
    }
}

/// A valid report as cached: no text (reports with stack counters keep theirs apart).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CachedRecord {
    pub day: i32,
    pub x: f64,
    pub line: u32,
    pub has_programs: bool,
    pub has_stacks: bool,
    /// Where its key ids start in [`Cache::keys`], in key units.
    pub first_key: u32,
    pub key_count: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedSkip {
    pub line: u32,
    pub reason: Reason,
    pub message: String,
}

/// What one input file gave; its records and skips are ranges of the cache's tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FileEntry {
    /// Path relative to DATA; [`Cache::files`] is sorted by it, byte order.
    pub rel: String,
    pub stat: FileStat,
    /// xxh3 of the file's bytes, for newline-delimited files; 0 when not computed.
    pub hash: u64,
    pub reports: u64,
    /// Skipped reports by reason, only the reasons with any.
    pub skipped: Vec<(Reason, u64)>,
    pub records: (u32, u32),
    pub skips: (u32, u32),
}

/// The cache of one site, flat: a few large tables, not a value per record, so a year of
/// one-report files loads, saves and fits in memory cheaply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Cache {
    pub files: Vec<FileEntry>,
    pub records: Vec<CachedRecord>,
    /// Every record's key ids, as little-endian `u16`s.
    #[serde(with = "serde_bytes")]
    pub keys: Vec<u8>,
    /// The texts of the reports with stack counters: (index in `records`, text).
    pub stack_texts: Vec<(u32, String)>,
    pub skips: Vec<CachedSkip>,
    /// The published `data/<D>.json` of each day, as this build left it.
    pub data_files: BTreeMap<i32, FileStat>,
    /// Rendered outputs: path -> (fingerprint of what it was rendered from, the file as left).
    pub outputs: BTreeMap<String, (u64, FileStat)>,
    /// The counts of every chart set of the build, so the next one recounts only the days
    /// near a change.
    pub sets: Vec<crate::aggregate::SetCounts>,
    /// Every report the duplicate rule dropped, for the days the next build does not
    /// recount.
    pub duplicates: Vec<CachedDuplicate>,
}

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
    /// The entry of the input file at `rel`.
    pub fn file(&self, rel: &str) -> Option<&FileEntry> {
        self.files.binary_search_by(|f| f.rel.as_bytes().cmp(rel.as_bytes())).ok().map(|i| &self.files[i])
    }

    pub fn records_of(&self, entry: &FileEntry) -> &[CachedRecord] {
        &self.records[entry.records.0 as usize..][..entry.records.1 as usize]
    }

    pub fn skips_of(&self, entry: &FileEntry) -> &[CachedSkip] {
        &self.skips[entry.skips.0 as usize..][..entry.skips.1 as usize]
    }

    pub fn keys_of(&self, record: &CachedRecord) -> impl Iterator<Item = u32> + '_ {
        let start = record.first_key as usize * 2;
        self.keys[start..start + record.key_count as usize * 2]
            .chunks_exact(2)
            .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
    }

    /// The text of the record at `index` of [`Cache::records`], if it has stacks.
    pub fn stack_text(&self, index: usize) -> Option<&str> {
        let at = self.stack_texts.binary_search_by_key(&(index as u32), |(i, _)| *i).ok()?;
        Some(&self.stack_texts[at].1)
    }

    /// Appends one file's entry; `records` give (record, key ids, stack text), in order.
    /// Returns `false` (and adds nothing more) when a key id does not fit the cache.
    pub fn push_file<'r>(
        &mut self,
        mut entry: FileEntry,
        records: impl IntoIterator<Item = (CachedRecord, &'r [u32], Option<String>)>,
        skips: impl IntoIterator<Item = CachedSkip>,
    ) -> bool {
        let first_record = self.records.len() as u32;
        for (mut record, keys, text) in records {
            record.first_key = (self.keys.len() / 2) as u32;
            record.key_count = keys.len().min(usize::from(u16::MAX)) as u16;
            for &key in &keys[..usize::from(record.key_count)] {
                let Ok(key) = u16::try_from(key) else { return false };
                self.keys.extend_from_slice(&key.to_le_bytes());
            }
            if let Some(text) = text {
                self.stack_texts.push((self.records.len() as u32, text));
            }
            self.records.push(record);
        }
        let first_skip = self.skips.len() as u32;
        self.skips.extend(skips);
        entry.records = (first_record, self.records.len() as u32 - first_record);
        entry.skips = (first_skip, self.skips.len() as u32 - first_skip);
        self.files.push(entry);
        true
    }

    /// Appends `entry` of the cache `from` as it is, with the file's identity now.
    pub fn copy_file(&mut self, from: &Cache, entry: &FileEntry, (stat, hash): (FileStat, u64)) {
        let first_record = self.records.len() as u32;
        let first_in_from = entry.records.0 as usize;
        for (n, record) in from.records_of(entry).iter().enumerate() {
            let mut record = *record;
            let at = record.first_key as usize * 2;
            record.first_key = (self.keys.len() / 2) as u32;
            self.keys.extend_from_slice(&from.keys[at..at + usize::from(record.key_count) * 2]);
            if let Some(text) = record.has_stacks.then(|| from.stack_text(first_in_from + n)).flatten() {
                self.stack_texts.push((self.records.len() as u32, text.to_string()));
            }
            self.records.push(record);
        }
        let first_skip = self.skips.len() as u32;
        self.skips.extend_from_slice(from.skips_of(entry));
        self.files.push(FileEntry {
            stat,
            hash,
            records: (first_record, self.records.len() as u32 - first_record),
            skips: (first_skip, self.skips.len() as u32 - first_skip),
            ..entry.clone()
        });
    }
}

/// The fingerprint of everything that decides a file's outcome.
pub fn fingerprint(upload_config_text: &str, limits: &crate::ingest::Limits) -> u64 {
    let mut text =
        format!("{}|{FORMAT}|{}|{}|", env!("CARGO_PKG_VERSION"), limits.max_report_bytes, limits.max_file_bytes);
    text.push_str(upload_config_text);
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// The cache file inside a cache directory.
pub fn file_in(dir: &Path) -> PathBuf {
    dir.join("cache.bin")
}

/// Loads the cache, or says why it cannot be trusted.
pub fn load(dir: &Path, fingerprint: u64) -> Result<Cache, String> {
    let bytes = fs::read(file_in(dir)).map_err(|e| format!("not read: {e}"))?;
    let header = MAGIC.len() + 4 + 8;
    if bytes.len() < header + 16 || &bytes[..8] != MAGIC {
        return Err("not a cache file, or truncated".into());
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let print = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    if format != FORMAT {
        return Err(format!("format {format}, this version reads {FORMAT}"));
    }
    if print != fingerprint {
        return Err("made with another version, upload config or limits".into());
    }
    let trailer = bytes.len() - 16;
    let len = u64::from_le_bytes(bytes[trailer..trailer + 8].try_into().expect("8 bytes")) as usize;
    if header + len != trailer {
        return Err("truncated".into());
    }
    let payload = &bytes[header..trailer];
    let sum = u64::from_le_bytes(bytes[trailer + 8..].try_into().expect("8 bytes"));
    if xxhash_rust::xxh3::xxh3_64(payload) != sum {
        return Err("checksum mismatch".into());
    }
    let cache: Cache = postcard::from_bytes(payload).map_err(|e| format!("unreadable: {e}"))?;
    cache.check().map(|()| cache)
}

impl Cache {
    /// Every range points inside its table (a checksum catches damage, not a bug).
    fn check(&self) -> Result<(), String> {
        let keys = self.keys.len() / 2;
        let ok = self.files.iter().all(|f| {
            (f.records.0 as usize + f.records.1 as usize) <= self.records.len()
                && (f.skips.0 as usize + f.skips.1 as usize) <= self.skips.len()
        }) && self.records.iter().all(|r| r.first_key as usize + r.key_count as usize <= keys)
            && self.files.windows(2).all(|w| w[0].rel.as_bytes() < w[1].rel.as_bytes());
        if ok {
            Ok(())
        } else {
            Err("inconsistent".into())
        }
    }
}

/// Writes the cache atomically (temporary file, then rename), streaming it through the
/// checksum rather than building it in memory first.
pub fn save(dir: &Path, fingerprint: u64, cache: &Cache) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut out = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT.to_le_bytes())?;
        out.write_all(&fingerprint.to_le_bytes())?;
        let mut payload = Summing { inner: &mut out, hash: xxhash_rust::xxh3::Xxh3::new(), len: 0 };
        postcard::to_io(cache, &mut payload).map_err(io::Error::other)?;
        let (len, sum) = (payload.len, payload.hash.digest());
        out.write_all(&len.to_le_bytes())?;
        out.write_all(&sum.to_le_bytes())?;
        out.flush()?;
    }
    // Not fsynced: a killed build loses nothing the page cache holds, and a file torn by a
    // power cut fails its checksum and is ignored.
    tmp.persist(file_in(dir)).map_err(|e| e.error)?;
    Ok(())
}

/// A writer that hashes and counts what passes through it.
struct Summing<W> {
    inner: W,
    hash: xxhash_rust::xxh3::Xxh3,
    len: u64,
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// xxh3 of a file's bytes.
pub fn hash_file(path: &Path) -> io::Result<u64> {
    Ok(xxhash_rust::xxh3::xxh3_64(&fs::read(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cache {
        let mut cache = Cache::default();
        let entry = FileEntry {
            rel: "2026-01-01.json".into(),
            stat: FileStat { size: 10, mtime_ns: 5, inode: 7 },
            hash: 99,
            reports: 3,
            skipped: vec![(Reason::Empty, 1)],
            ..FileEntry::default()
        };
        let record = |line, stacks| CachedRecord {
            day: 1,
            x: 0.5,
            line,
            has_programs: true,
            has_stacks: stacks,
            first_key: 0,
            key_count: 0,
        };
        let skip = CachedSkip { line: 2, reason: Reason::Empty, message: "blank".into() };
        assert!(cache.push_file(
            entry,
            [(record(1, false), &[1u32, 2][..], None), (record(3, true), &[7u32][..], Some("{}".into()))],
            [skip],
        ));
        cache.data_files.insert(1, FileStat { size: 3, mtime_ns: 4, inode: 5 });
        cache
    }

    #[test]
    fn tables_give_each_file_its_records_keys_and_skips() {
        let cache = sample();
        let entry = cache.file("2026-01-01.json").unwrap();
        let records = cache.records_of(entry);
        assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(cache.keys_of(&records[0]).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(cache.keys_of(&records[1]).collect::<Vec<_>>(), [7]);
        assert_eq!(cache.stack_text(1), Some("{}"));
        assert_eq!(cache.stack_text(0), None);
        assert_eq!(cache.skips_of(entry)[0].message, "blank");
        assert!(cache.file("2026-01-02.json").is_none());
        let mut too_wide = Cache::default();
        assert!(!too_wide.push_file(FileEntry::default(), [(records[0], &[70_000u32][..], None)], []));
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), 42, &sample()).unwrap();
        assert_eq!(load(dir.path(), 42).unwrap(), sample());
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
    }
}
