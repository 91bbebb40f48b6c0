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
const FORMAT: u32 = 2;

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FileStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl FileStat {
    pub fn of(path: &Path) -> io::Result<FileStat> {
        let meta = fs::symlink_metadata(path)?;
        Ok(FileStat {
            size: meta.size(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            inode: meta.ino(),
        })
    }
}

/// A valid report as cached: no text, except for reports with stack counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedRecord {
    pub day: i32,
    pub x: f64,
    pub line: u32,
    pub has_programs: bool,
    pub keys: Vec<u32>,
    /// The report's text when it holds stack counters (stack pages read it).
    pub stack_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedSkip {
    pub line: u32,
    pub reason: Reason,
    pub message: String,
}

/// What one input file gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FileEntry {
    pub stat: FileStat,
    /// xxh3 of the file's bytes, for newline-delimited files; 0 when not computed.
    pub hash: u64,
    pub reports: u64,
    pub skipped: Vec<u64>,
    pub skips: Vec<CachedSkip>,
    pub records: Vec<CachedRecord>,
}

/// The cache of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Cache {
    /// Input files by path relative to DATA.
    pub files: BTreeMap<String, FileEntry>,
    /// The published `data/<D>.json` of each day, as this build left it.
    pub data_files: BTreeMap<i32, FileStat>,
    /// Rendered outputs: path -> (fingerprint of what it was rendered from, the file as left).
    pub outputs: BTreeMap<String, (u64, FileStat)>,
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
    let header = MAGIC.len() + 4 + 8 + 8;
    if bytes.len() < header + 8 || &bytes[..8] != MAGIC {
        return Err("not a cache file, or truncated".into());
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let print = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes")) as usize;
    if format != FORMAT {
        return Err(format!("format {format}, this version reads {FORMAT}"));
    }
    if print != fingerprint {
        return Err("made with another version, upload config or limits".into());
    }
    if bytes.len() != header + len + 8 {
        return Err("truncated".into());
    }
    let payload = &bytes[header..header + len];
    let sum = u64::from_le_bytes(bytes[header + len..].try_into().expect("8 bytes"));
    if xxhash_rust::xxh3::xxh3_64(payload) != sum {
        return Err("checksum mismatch".into());
    }
    postcard::from_bytes(payload).map_err(|e| format!("unreadable: {e}"))
}

/// Writes the cache atomically (temporary file, then rename).
pub fn save(dir: &Path, fingerprint: u64, cache: &Cache) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let payload = postcard::to_allocvec(cache).map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(payload.len() + 36);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&fingerprint.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&payload).to_le_bytes());
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&out)?;
    tmp.as_file().sync_all()?;
    tmp.persist(file_in(dir)).map_err(|e| e.error)?;
    Ok(())
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
        cache.files.insert(
            "2026-01-01.json".into(),
            FileEntry {
                stat: FileStat { size: 10, mtime_ns: 5, inode: 7 },
                hash: 99,
                reports: 2,
                skipped: vec![0, 1],
                skips: vec![CachedSkip { line: 2, reason: Reason::Empty, message: "blank".into() }],
                records: vec![CachedRecord {
                    day: 1,
                    x: 0.5,
                    line: 1,
                    has_programs: true,
                    keys: vec![1, 2],
                    stack_text: None,
                }],
            },
        );
        cache.data_files.insert(1, FileStat { size: 3, mtime_ns: 4, inode: 5 });
        cache
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
