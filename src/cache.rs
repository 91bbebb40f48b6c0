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
const FORMAT: u32 = 4;

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

/// A valid report with stacks, as cached: where it is, and (in [`Cache::stack_counts`])
/// its stacks. Other reports are not kept one by one: the days a rebuild recounts are
/// parsed again, and the others' counts are in [`Cache::sets`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// The days of its valid reports, sorted, each once.
    pub days: Vec<i32>,
    /// Its reports with stacks, a range of [`Cache::records`].
    pub records: (u32, u32),
    pub skips: (u32, u32),
}

/// The cache of one site, flat: a few tables, not a value per record, so a year of
/// one-report files loads, saves and fits in memory cheaply.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Cache {
    pub files: Vec<FileEntry>,
    /// The valid reports with stacks.
    #[serde(with = "record_table")]
    pub records: Vec<CachedRecord>,
    /// Every stack seen: (program, stack counter key as uploaded).
    pub stack_names: Vec<(String, String)>,
    /// The stacks of the records with stacks: (index in `records`, stack id, count), in
    /// record order.
    pub stack_counts: Vec<(u32, u32, u64)>,
    /// Stack ids by the hash of (program, key), while a cache is being made.
    #[serde(skip)]
    stack_ids: rustc_hash::FxHashMap<u64, u32>,
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

    /// The stacks of the record at `index` of [`Cache::records`]: (program, key, count).
    #[cfg(test)]
    pub fn stacks_of(&self, index: usize) -> crate::stacks::ReportStacks {
        self.stack_ids_of(index)
            .map(|(id, count)| {
                let (program, key) = &self.stack_names[id as usize];
                (program.clone(), key.clone(), count)
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

    /// The id of the stack (program, key), added to [`Cache::stack_names`] if new.
    fn intern(&mut self, program: &str, key: &str) -> u32 {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        hash.update(program.as_bytes());
        hash.update(&[0]);
        hash.update(key.as_bytes());
        let names = &self.stack_names;
        let same = |id: &u32| names[*id as usize].0 == program && names[*id as usize].1 == key;
        let found = match self.stack_ids.get(&hash.digest()) {
            Some(id) if same(id) => Some(*id),
            // A hash shared with another stack (never in practice): searched.
            Some(_) => (0..names.len() as u32).find(same),
            None => None,
        };
        found.unwrap_or_else(|| {
            self.stack_names.push((program.to_string(), key.to_string()));
            let id = self.stack_names.len() as u32 - 1;
            self.stack_ids.entry(hash.digest()).or_insert(id);
            id
        })
    }

    /// Records `stacks` for the record about to be pushed.
    fn push_stacks<'s>(&mut self, stacks: impl IntoIterator<Item = (&'s str, &'s str, u64)>) {
        let index = self.records.len() as u32;
        for (program, key, count) in stacks {
            let id = self.intern(program, key);
            self.stack_counts.push((index, id, count));
        }
    }

    /// Appends one file's entry; `records` give its reports with stacks and their stacks,
    /// in order.
    pub fn push_file(
        &mut self,
        mut entry: FileEntry,
        records: impl IntoIterator<Item = (CachedRecord, crate::stacks::ReportStacks)>,
        skips: impl IntoIterator<Item = CachedSkip>,
    ) {
        let first_record = self.records.len() as u32;
        for (record, stacks) in records {
            self.push_stacks(stacks.iter().map(|(p, k, n)| (p.as_str(), k.as_str(), *n)));
            self.records.push(record);
        }
        let first_skip = self.skips.len() as u32;
        self.skips.extend(skips);
        entry.records = (first_record, self.records.len() as u32 - first_record);
        entry.skips = (first_skip, self.skips.len() as u32 - first_skip);
        self.files.push(entry);
    }

    /// Appends `entry` of the cache `from` as it is, with the file's identity now.
    /// `ids` maps `from`'s stack ids to this cache's: keep one for every copy from `from`.
    pub fn copy_file(&mut self, from: &Cache, ids: &mut StackIds, entry: &FileEntry, (stat, hash): (FileStat, u64)) {
        let first_record = self.records.len() as u32;
        let first_in_from = entry.records.0 as usize;
        ids.0.resize(from.stack_names.len(), u32::MAX);
        for (n, record) in from.records_of(entry).iter().enumerate() {
            let index = self.records.len() as u32;
            for (old, count) in from.stack_ids_of(first_in_from + n) {
                let mut id = ids.0[old as usize];
                if id == u32::MAX {
                    let (program, key) = &from.stack_names[old as usize];
                    id = self.intern(program, key);
                    ids.0[old as usize] = id;
                }
                self.stack_counts.push((index, id, count));
            }
            self.records.push(*record);
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

/// The stack ids of one cache in another, filled as files are copied between them
/// ([`Cache::copy_file`]; `u32::MAX` for a stack not copied yet), so a copied stack is
/// looked up by name once, not once per record.
#[derive(Debug, Default)]
pub struct StackIds(Vec<u32>);

/// [`Cache::records`] stored as one block of fixed-size little-endian rows: a year holds a
/// million records, and a block loads and saves at the speed of a copy.
mod record_table {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::CachedRecord;

    /// day, X, line, flags.
    const ROW: usize = 4 + 8 + 4 + 1;

    pub fn serialize<S: Serializer>(records: &[CachedRecord], serializer: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(records.len() * ROW);
        for r in records {
            bytes.extend_from_slice(&r.day.to_le_bytes());
            bytes.extend_from_slice(&r.x.to_bits().to_le_bytes());
            bytes.extend_from_slice(&r.line.to_le_bytes());
            bytes.push(u8::from(r.has_programs));
        }
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<CachedRecord>, D::Error> {
        let bytes = <&[u8]>::deserialize(deserializer)?;
        if bytes.len() % ROW != 0 {
            return Err(serde::de::Error::custom("a record table of partial rows"));
        }
        let int = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        Ok(bytes
            .chunks_exact(ROW)
            .map(|row| CachedRecord {
                day: int(&row[0..4]) as i32,
                x: f64::from_bits(u64::from_le_bytes(row[4..12].try_into().expect("8 bytes"))),
                line: int(&row[12..16]),
                has_programs: row[16] & 1 != 0,
            })
            .collect())
    }
}

/// The fingerprint of everything that decides a file's outcome.
pub fn fingerprint(upload_config_text: &str, limits: &crate::ingest::Limits) -> u64 {
    let mut text = format!("{}|{FORMAT}|{}|{}|", crate::BUILD, limits.max_report_bytes, limits.max_file_bytes);
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
        let ok = self.files.iter().all(|f| {
            (f.records.0 as usize + f.records.1 as usize) <= self.records.len()
                && (f.skips.0 as usize + f.skips.1 as usize) <= self.skips.len()
        }) && self
            .stack_counts
            .iter()
            .all(|&(r, id, _)| (r as usize) < self.records.len() && (id as usize) < self.stack_names.len())
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
        let file = tmp.as_file_mut();
        file.write_all(&[&MAGIC[..], &FORMAT.to_le_bytes(), &fingerprint.to_le_bytes()].concat())?;
        // Buffered before the checksum, so it hashes large blocks, not postcard's small writes.
        let summing = Summing { inner: &mut *file, hash: xxhash_rust::xxh3::Xxh3::new(), len: 0 };
        let mut payload = io::BufWriter::with_capacity(1 << 20, summing);
        postcard::to_io(cache, &mut payload).map_err(io::Error::other)?;
        let summing = payload.into_inner().map_err(|e| e.into_error())?;
        let (len, sum) = (summing.len, summing.hash.digest());
        file.write_all(&[len.to_le_bytes(), sum.to_le_bytes()].concat())?;
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

    fn stacks() -> crate::stacks::ReportStacks {
        let stack = |key: &str, n| ("golang.org/x/tools/gopls".to_string(), key.to_string(), n);
        vec![stack("gopls/bug\nmain.f:+1", 2), stack("gopls/bug\nmain.g:+3", 1)]
    }

    fn sample() -> Cache {
        let mut cache = Cache::default();
        let entry = FileEntry {
            rel: "2026-01-01.json".into(),
            stat: FileStat { size: 10, mtime_ns: 5, inode: 7 },
            hash: 99,
            reports: 3,
            skipped: vec![(Reason::Empty, 1)],
            days: vec![-3, 1],
            ..FileEntry::default()
        };
        let record = |line, stacks| CachedRecord {
            day: if stacks { -3 } else { 1 },
            x: if stacks { 1e-300 } else { 0.5 },
            line,
            has_programs: !stacks,
        };
        let skip = CachedSkip { line: 2, reason: Reason::Empty, message: "blank".into() };
        cache.push_file(entry, [(record(1, false), vec![]), (record(3, true), stacks())], [skip]);
        cache.data_files.insert(1, FileStat { size: 3, mtime_ns: 4, inode: 5 });
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
        let first = (from.records[0], vec![("p".to_string(), "crash/b\nmain.g:+2".to_string(), 1)]);
        to.push_file(FileEntry { rel: "0.json".into(), ..FileEntry::default() }, [first], []);
        let stat = FileStat { size: 1, mtime_ns: 2, inode: 3 };
        to.copy_file(&from, &mut StackIds::default(), &from.files[0], (stat, 77));
        let entry = to.file("2026-01-01.json").unwrap();
        assert_eq!((entry.stat, entry.hash, entry.reports, &entry.days[..]), (stat, 77, 3, &[-3, 1][..]));
        let records = to.records_of(entry);
        assert_eq!(records.iter().map(|r| (r.day, r.line)).collect::<Vec<_>>(), [(1, 1), (-3, 3)]);
        assert_eq!(to.stacks_of(2), stacks());
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
        assert_eq!(cache.stacks_of(1), stacks());
        assert_eq!(cache.stacks_of(0), []);
        assert_eq!(cache.skips_of(entry)[0].message, "blank");
        assert!(cache.file("2026-01-02.json").is_none());
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), 42, &sample()).unwrap();
        let bytes = |cache: &Cache| postcard::to_allocvec(cache).unwrap();
        assert_eq!(bytes(&load(dir.path(), 42).unwrap()), bytes(&sample()));
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
