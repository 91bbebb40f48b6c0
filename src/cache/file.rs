//! The cache file: a header (magic, format, fingerprint), the cache in postcard, its
//! length and checksum; written to a temporary file and renamed into place.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Cache, CachedDuplicate, CachedRecord, CachedSkip, DataFiles, FileEntry, FileStat, Files, Outputs};
use crate::ingest::Reason;

const MAGIC: &[u8; 8] = b"TSCACHE\0";

const FORMAT: u32 = 8;

/// The fields of a [`Cache`] before the site's outputs, in its order: what
/// [`start_save`] writes while the site is being rendered.
#[derive(Serialize)]
struct Leading<'a> {
    files: &'a Files,
    skip_counts: &'a [(Reason, u64)],
    days: &'a [i32],
    #[serde(serialize_with = "record_table::serialize_ref")]
    records: &'a [CachedRecord],
    stack_names: &'a super::StackNames,
    stack_counts: &'a [(u32, u32, u64)],
    skips: &'a [CachedSkip],
    sets: &'a [crate::aggregate::SetCounts],
    duplicates: &'a [CachedDuplicate],
    uploaders: &'a crate::aggregate::uploaders::Uploaders,
}

/// shared, rest of the path, size, mtime, inode and ctime differences, hash, reports, and the
/// lengths of skipped, days, records, skips.
type Row<'a> = (u32, &'a str, u64, i64, i64, i64, u64, u64, [u32; 4]);

impl Serialize for Files {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut previous = ("", FileStat::default());
        let rows = self.entries.iter().map(|entry| {
            let rel = &self.names[entry.rel.0 as usize..][..entry.rel.1 as usize];
            let mut shared = previous.0.bytes().zip(rel.bytes()).take_while(|(a, b)| a == b).count();
            while !rel.is_char_boundary(shared) {
                shared -= 1;
            }
            let (stat, before) = (entry.stat, previous.1);
            previous = (rel, stat);
            let row: Row<'_> = (
                shared as u32,
                &rel[shared..],
                stat.size,
                stat.mtime_ns.wrapping_sub(before.mtime_ns),
                (stat.inode as i64).wrapping_sub(before.inode as i64),
                stat.ctime_ns.wrapping_sub(before.ctime_ns),
                entry.hash,
                entry.reports,
                [entry.skipped.1, entry.days.1, entry.records.1, entry.skips.1],
            );
            row
        });
        serializer.collect_seq(rows)
    }
}

impl<'de> Deserialize<'de> for Files {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Files, D::Error> {
        struct Rows;
        impl<'de> serde::de::Visitor<'de> for Rows {
            type Value = Files;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a file table")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Files, A::Error> {
                let bad = |what: &str| serde::de::Error::custom(format!("a file table with {what}"));
                // The length the file claims, believed up to a million rows (64 MB).
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                let mut names: Vec<u8> = Vec::new();
                let (mut previous, mut stat) = ((0usize, 0usize), FileStat::default());
                let mut ends = [0u32; 4];
                while let Some(row) = seq.next_element::<Row<'de>>()? {
                    let (shared, rest, size, mtime, inode, ctime, hash, reports, lens) = row;
                    if shared as usize > previous.1 {
                        return Err(bad("a shared prefix longer than the previous path"));
                    }
                    let start = names.len();
                    names.extend_from_within(previous.0..previous.0 + shared as usize);
                    names.extend_from_slice(rest.as_bytes());
                    previous = (start, names.len() - start);
                    stat = FileStat {
                        size,
                        mtime_ns: stat.mtime_ns.wrapping_add(mtime),
                        inode: (stat.inode as i64).wrapping_add(inode) as u64,
                        ctime_ns: stat.ctime_ns.wrapping_add(ctime),
                    };
                    let mut spans = [(0u32, 0u32); 4];
                    for ((span, end), len) in spans.iter_mut().zip(&mut ends).zip(lens) {
                        *span = (*end, len);
                        *end = end.checked_add(len).ok_or_else(|| bad("a range past 4 GiB"))?;
                    }
                    let rel = (u32::try_from(start).map_err(|_| bad("paths past 4 GiB"))?, previous.1 as u32);
                    let [skipped, days, records, skips] = spans;
                    entries.push(FileEntry { stat, hash, reports, rel, skipped, days, records, skips });
                }
                let names = String::from_utf8(names).map_err(|_| bad("a path cut inside a character"))?;
                Ok(Files { entries, names })
            }
        }
        deserializer.deserialize_seq(Rows)
    }
}

/// [`Cache::records`] stored as one block of fixed-size little-endian rows: a year holds a
/// million records, and a block loads and saves at the speed of a copy.
pub(super) mod record_table {
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

    pub fn serialize_ref<S: Serializer>(records: &&[CachedRecord], serializer: S) -> Result<S::Ok, S::Error> {
        serialize(records, serializer)
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

/// How the temporary files the cache folder's files are written into start their names.
const PARTIAL_PREFIX: &str = ".partial-";
/// A temporary file this old is a killed build's, never a running one's: builds of one
/// site take turns, and a build writes its cache in seconds.
const PARTIAL_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// A new temporary file in the cache folder `dir`, to be renamed over one of its files
/// once complete. The temporary files a killed build left there (as a cache's size each,
/// carried from run to run by a CI cache) are removed first.
pub fn partial_file(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    fs::create_dir_all(dir)?;
    let now = std::time::SystemTime::now();
    for entry in fs::read_dir(dir)?.flatten() {
        let stale = entry.file_name().to_str().is_some_and(|n| n.starts_with(PARTIAL_PREFIX))
            && entry
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .is_some_and(|modified| now.duration_since(modified).is_ok_and(|age| age >= PARTIAL_AGE));
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
    tempfile::Builder::new().prefix(PARTIAL_PREFIX).tempfile_in(dir)
}

/// `error` of postcard writing into `out`, or the error of the file under it: postcard
/// reports a failed write (a full disk) as its own "buffer full", which would hide why.
fn write_error(error: postcard::Error, out: &mut impl Write) -> io::Error {
    out.flush().err().unwrap_or_else(|| io::Error::other(error))
}

/// The bytes of the regular file `path`: not a FIFO (which would wait for a writer for
/// ever), a device (`/dev/zero` would fill memory) or a symbolic link to either.
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let (mut file, meta) = crate::ingest::read::open_regular(path)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Loads the cache, or says why it cannot be trusted.
pub fn load(dir: &Path, fingerprint: u64) -> Result<Cache, String> {
    let bytes = read_regular(&file_in(dir)).map_err(|e| format!("not read: {e}"))?;
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
    pub(super) fn check(&self) -> Result<(), String> {
        let within = |span: (u32, u32), len: usize| span.0 as usize + span.1 as usize <= len;
        let names = &self.files.names;
        let ok = self.files.entries.iter().all(|f| {
            within(f.rel, names.len())
                && names.is_char_boundary(f.rel.0 as usize)
                && names.is_char_boundary((f.rel.0 + f.rel.1) as usize)
                && within(f.skipped, self.skip_counts.len())
                && within(f.days, self.days.len())
                && within(f.records, self.records.len())
                && within(f.skips, self.skips.len())
        }) && self
            .stack_counts
            .iter()
            .all(|&(r, id, _)| (r as usize) < self.records.len() && (id as usize) < self.stack_names.len())
            && self.files.entries.windows(2).all(|w| self.rel_of(&w[0]).as_bytes() < self.rel_of(&w[1]).as_bytes());
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
    start_save(dir, fingerprint, cache)?.finish(&cache.data_files, &cache.outputs)
}

/// Starts writing `cache` to a temporary file in `dir`: everything but the site's outputs
/// (`data_files` and `outputs`, which it ignores), so that a build can write the bulk of
/// its cache while it renders the site, and the rest once the site is in place.
pub fn start_save(dir: &Path, fingerprint: u64, cache: &Cache) -> io::Result<Saving> {
    let mut tmp = partial_file(dir)?;
    tmp.as_file_mut().write_all(&[&MAGIC[..], &FORMAT.to_le_bytes(), &fingerprint.to_le_bytes()].concat())?;
    // Buffered before the checksum, so it hashes large blocks, not postcard's small writes.
    let summing = Summing { inner: tmp.as_file().try_clone()?, hash: xxhash_rust::xxh3::Xxh3::new(), len: 0 };
    let mut payload = io::BufWriter::with_capacity(1 << 20, summing);
    let leading = Leading {
        files: &cache.files,
        skip_counts: &cache.skip_counts,
        days: &cache.days,
        records: &cache.records,
        stack_names: &cache.stack_names,
        stack_counts: &cache.stack_counts,
        skips: &cache.skips,
        sets: &cache.sets,
        duplicates: &cache.duplicates,
        uploaders: &cache.uploaders,
    };
    if let Err(e) = postcard::to_io(&leading, &mut payload) {
        return Err(write_error(e, &mut payload));
    }
    Ok(Saving { tmp, payload, dir: dir.to_path_buf() })
}

/// A cache file written but for the site's outputs (see [`start_save`]); dropped
/// unfinished, it is removed.
pub struct Saving {
    tmp: tempfile::NamedTempFile,
    payload: io::BufWriter<Summing<fs::File>>,
    dir: PathBuf,
}

impl Saving {
    /// Writes the site's outputs and the checksum, and puts the file in place.
    pub fn finish(mut self, data_files: &DataFiles, outputs: &Outputs) -> io::Result<()> {
        if let Err(e) = postcard::to_io(&(data_files, outputs), &mut self.payload) {
            return Err(write_error(e, &mut self.payload));
        }
        let summing = self.payload.into_inner().map_err(|e| e.into_error())?;
        let (len, sum) = (summing.len, summing.hash.digest());
        self.tmp.as_file_mut().write_all(&[len.to_le_bytes(), sum.to_le_bytes()].concat())?;
        // Not fsynced: a killed build loses nothing the page cache holds, and a file torn by
        // a power cut fails its checksum and is ignored.
        self.tmp.persist(file_in(&self.dir)).map_err(|e| e.error)?;
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::FileFacts;
    use proptest::prelude::*;

    #[test]
    fn a_killed_builds_temporary_files_are_removed_a_running_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let aged = |name: &str, age: u64| {
            let path = dir.path().join(name);
            fs::write(&path, "x").unwrap();
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age);
            fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
        };
        aged(".partial-killed", 2 * 3600);
        aged(".partial-running", 5);
        aged("notes.txt", 2 * 3600);
        let new = partial_file(dir.path()).unwrap();
        assert!(new.path().file_name().unwrap().to_str().unwrap().starts_with(PARTIAL_PREFIX));
        let mut left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        let new_name = new.path().file_name().unwrap().to_str().unwrap().to_string();
        let mut want = vec![".partial-running".to_string(), "notes.txt".to_string(), new_name];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn a_full_disk_is_named_not_hidden_behind_postcards_buffer_error() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::ENOSPC))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = io::BufWriter::with_capacity(16, Full);
        let error = postcard::to_io(&vec![7u64; 100], &mut out).unwrap_err();
        let error = write_error(error, &mut out);
        assert_eq!(error.raw_os_error(), Some(libc::ENOSPC), "{error}");
    }

    /// A path from a few characters, one of them two bytes long and sharing its first byte
    /// with another, so that neighbouring paths share prefixes, and cut points fall inside
    /// characters.
    fn rel() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop_oneof![Just('a'), Just('/'), Just('é'), Just('è'), Just('.')], 0..12)
            .prop_map(|chars| chars.into_iter().collect())
    }

    fn stat() -> impl Strategy<Value = FileStat> {
        (any::<u64>(), any::<i64>(), any::<u64>(), any::<i64>())
            .prop_map(|(size, mtime_ns, inode, ctime_ns)| FileStat { size, mtime_ns, inode, ctime_ns })
    }

    proptest! {
        #![proptest_config(crate::ingest::validate::mutate::fuzz_config(256))]

        /// Whatever the paths and stats, a saved cache loads back with every file's path,
        /// identity and ranges as they were.
        #[test]
        fn the_file_table_round_trips(
            files in proptest::collection::btree_map(rel(), (stat(), any::<u64>(), 0u64..5, 0usize..3), 0..40),
        ) {
            let mut cache = Cache::default();
            let skipped = [(Reason::Empty, 1), (Reason::Duplicate, 2)];
            for (rel, (stat, hash, reports, n)) in &files {
                let days: Vec<i32> = (0..*n as i32).collect();
                let facts = FileFacts { rel, stat: *stat, hash: *hash, reports: *reports, skipped: &skipped[..*n.min(&2)], days: &days };
                let record = CachedRecord { day: 1, x: 0.5, line: 1, has_programs: true };
                cache.push_file(facts, vec![(record, Vec::<(&str, &str, u64)>::new()); *n], []);
            }
            let dir = tempfile::tempdir().unwrap();
            save(dir.path(), 7, &cache).unwrap();
            let loaded = load(dir.path(), 7).unwrap();
            prop_assert_eq!(loaded.files(), cache.files());
            for (entry, (rel, (stat, hash, _, n))) in loaded.files().iter().zip(&files) {
                prop_assert_eq!(loaded.rel_of(entry), rel.as_str());
                prop_assert_eq!((entry.stat, entry.hash), (*stat, *hash));
                prop_assert_eq!(loaded.days_of(entry).len(), *n);
                prop_assert_eq!(loaded.records_of(entry).len(), *n);
            }
        }
    }
}
