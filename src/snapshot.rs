//! A nightly run with nothing new does nothing: the snapshot of the last finished build.
//!
//! After a build the cache directory gets `snapshot.json`: a key over everything a build
//! reads (the tool's version, the options, both configs, templates, static files and
//! Markdown pages by content, and every data entry by name, size, mtime and inode), the
//! site's files as that build left them (name, size, mtime) and that build's summary.
//! The key is the file's first line, so a build with another key reads one line, not the
//! rest (a year's site and skips are 1.6 MB of JSON).
//! When the next build finds the same key and the site still exactly as listed, the site
//! is already what a build would write, byte for byte, so it is left alone and the
//! summary is reported again. Anything else (a new, changed or touched file, an edited
//! or removed output, another version) takes the normal path, which removes the snapshot
//! before it changes the site, so a crashed build never leaves one that lies.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::build::BuildOptions;
use crate::cache::FileStat;
use crate::ingest::discover::{Discovery, Unrecognised};
use crate::summary::Summary;

const FILE: &str = "snapshot.json";

/// What a finished build leaves for the next one to compare with, after its key
/// ([`inputs_key`] of the build), which is the file's first line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every file and folder of the site: path from the site root, size and mtime (`/`
    /// for folders' size, which changes when entries come and go).
    pub site: Vec<(String, u64, i64)>,
    pub summary: Summary,
}

/// The data entries a build reads: its input files, as the digest of their paths and
/// stats ([`crate::ingest::stats_digest`]; `None` when a stat failed), and the rest.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub stats_digest: Option<u64>,
    pub unrecognised: &'a [Unrecognised],
}

impl<'a> Inputs<'a> {
    /// The entries `found`, with their stats (taken now, unless already taken).
    pub fn of(found: &'a mut Discovery) -> Inputs<'a> {
        let (files, stats) = found.with_stats();
        let stats_digest = crate::ingest::stats_digest(files, stats);
        Inputs { stats_digest, unrecognised: &found.unrecognised }
    }
}

/// Whether `cache_dir` holds a snapshot to compare with.
pub fn exists(cache_dir: &Path) -> bool {
    cache_dir.join(FILE).exists()
}

/// The key over everything a build reads; `None` when some input cannot be read (then
/// no snapshot is trusted).
/// `configs` are the texts of the upload and chart configs the build reads, if any.
pub fn inputs_key(opts: &BuildOptions, inputs: Inputs<'_>, configs: [Option<&str>; 2]) -> Option<u64> {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(crate::BUILD.as_bytes());
    let options = (&opts.data, &opts.site, &opts.upload_config, &opts.chart_config, opts.limits, &opts.site_options);
    hash.update(format!("{options:?}\0").as_bytes());
    for config in configs {
        hash.update(config.map_or(&b"-"[..], str::as_bytes));
        hash.update(&[0]);
    }
    let options = &opts.site_options;
    let data_pages = opts.data.join("pages");
    for dir in
        [options.templates.as_deref(), options.static_dir.as_deref(), options.pages.as_deref(), Some(&data_pages)]
    {
        hash.update(&dir.map_or(Some(0), tree_hash)?.to_le_bytes());
    }
    hash.update(&inputs.stats_digest?.to_le_bytes());
    for entry in inputs.unrecognised {
        hash.update(format!("{}\0{}\0", entry.path, entry.why).as_bytes());
    }
    Some(hash.digest())
}

/// The content of every file under `dir` (nothing when it does not exist).
fn tree_hash(dir: &Path) -> Option<u64> {
    if !dir.exists() {
        return Some(0);
    }
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.ok()?;
        hash.update(entry.path().strip_prefix(dir).ok()?.as_os_str().as_encoded_bytes());
        hash.update(&[0]);
        if crate::folders::is_theme_file(&entry) {
            hash.update(&std::fs::read(entry.path()).ok()?);
        }
        hash.update(&[1]);
    }
    Some(hash.digest())
}

/// Every file and folder of `site` (see [`Snapshot::site`]), in the order of a walk that
/// sorts each folder by name. The entries at its top are walked in parallel, each with
/// what is under it, and joined in that order.
pub fn site_files(site: &Path) -> io::Result<Vec<(String, u64, i64)>> {
    use rayon::prelude::*;
    let mut tops: Vec<std::ffi::OsString> =
        std::fs::read_dir(site)?.map(|entry| entry.map(|e| e.file_name())).collect::<io::Result<_>>()?;
    // What the maintainer keeps in the site (`.git` and the like) is not the build's: a
    // commit there changes nothing the build made.
    tops.retain(|top| !crate::site::is_kept(top));
    tops.sort();
    let parts: Vec<io::Result<Vec<_>>> = tops.par_iter().map(|top| listed(site, &site.join(top))).collect();
    let mut files = Vec::new();
    for part in parts {
        files.extend(part?);
    }
    Ok(files)
}

/// [`site_files`] of `top` (an entry of `site`) and everything under it.
fn listed(site: &Path, top: &Path) -> io::Result<Vec<(String, u64, i64)>> {
    let mut files = Vec::new();
    for entry in WalkDir::new(top).follow_root_links(false).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry.path().strip_prefix(site).map_err(io::Error::other)?;
        let stat = FileStat::of(entry.path())?;
        let size = if entry.file_type().is_dir() { u64::MAX } else { stat.size };
        files.push((rel.to_string_lossy().into_owned(), size, stat.mtime_ns));
    }
    Ok(files)
}

/// The snapshot in `cache_dir`, when there is a readable one made with `key`. Its first
/// line is read first; the rest only when that is `key`.
pub fn load(cache_dir: &Path, key: u64) -> Option<Snapshot> {
    use std::io::{BufRead, Read};
    // A regular file only: a FIFO would wait for a writer for ever, `/dev/zero` fill memory.
    let mut file = io::BufReader::new(crate::ingest::read::open_regular(&cache_dir.join(FILE)).ok()?.0);
    let mut first = String::new();
    file.by_ref().take(32).read_line(&mut first).ok()?;
    if first.strip_suffix('\n')?.parse::<u64>().ok()? != key {
        return None;
    }
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).ok()?;
    serde_json::from_slice(&rest).ok()
}

/// The previous build's summary when it still describes the site exactly: same inputs
/// key, and every file of the site as that build left it.
pub fn unchanged(cache_dir: &Path, key: u64, site: &Path) -> Option<Summary> {
    let snapshot = load(cache_dir, key)?;
    (site_files(site).ok()? == snapshot.site).then_some(snapshot.summary)
}

/// Removes the snapshot: the site is about to change.
pub fn forget(cache_dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(cache_dir.join(FILE)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes the snapshot of a finished build (atomically: a temporary file renamed).
/// `site` is [`site_files`] of the site as the build left it.
pub fn save(cache_dir: &Path, key: u64, site: Vec<(String, u64, i64)>, summary: &Summary) -> io::Result<()> {
    /// [`Snapshot`] as it is written, borrowing the summary instead of cloning it: the
    /// same fields in the same order, so [`load`] reads it back as a `Snapshot`.
    #[derive(Serialize)]
    struct Written<'a> {
        site: Vec<(String, u64, i64)>,
        summary: &'a Summary,
    }
    let snapshot = Written { site, summary };
    let mut file = crate::cache::partial_file(cache_dir)?;
    let mut out = std::io::BufWriter::new(file.as_file_mut());
    writeln!(out, "{key}")?;
    serde_json::to_writer(&mut out, &snapshot)?;
    out.flush()?;
    drop(out);
    file.persist(cache_dir.join(FILE)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use super::*;

    #[test]
    fn the_site_is_listed_folder_by_folder_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path();
        for (rel, bytes) in [("b.html", "bb"), ("a.html", "a"), ("a-z/c.html", "ccc"), ("a/b.html", "")] {
            std::fs::create_dir_all(site.join(rel).parent().unwrap()).unwrap();
            std::fs::write(site.join(rel), bytes).unwrap();
        }
        std::os::unix::fs::symlink("a", site.join("link")).unwrap();
        let listed: Vec<(String, u64)> =
            site_files(site).unwrap().into_iter().map(|(rel, size, _)| (rel, size)).collect();
        let folder = u64::MAX;
        let expected = [
            ("a", folder),
            ("a/b.html", 0),
            ("a-z", folder),
            ("a-z/c.html", 3),
            ("a.html", 1),
            ("b.html", 2),
            ("link", 1), // the link itself (its own size), not followed
        ];
        let expected: Vec<(String, u64)> = expected.iter().map(|(rel, size)| (rel.to_string(), *size)).collect();
        assert_eq!(listed, expected);
    }

    #[test]
    fn a_snapshot_is_trusted_only_for_the_same_key_and_an_untouched_site() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, site) = (dir.path().join("cache"), dir.path().join("site"));
        std::fs::create_dir_all(site.join("charts")).unwrap();
        std::fs::write(site.join("index.html"), "home").unwrap();
        std::fs::write(site.join("charts/a.json"), "{}").unwrap();
        let summary = Summary { reports_read: 7, ..Summary::default() };
        save(&cache, 42, site_files(&site).unwrap(), &summary).unwrap();
        assert_eq!(unchanged(&cache, 42, &site).unwrap().reports_read, 7);
        assert!(unchanged(&cache, 43, &site).is_none(), "another key");
        std::fs::write(site.join("extra.html"), "x").unwrap();
        assert!(unchanged(&cache, 42, &site).is_none(), "a file added to the site");
        std::fs::remove_file(site.join("extra.html")).unwrap();
        assert!(unchanged(&cache, 42, &site).is_some());
        let file = std::fs::OpenOptions::new().write(true).open(site.join("index.html")).unwrap();
        file.write_all_at(b"HOME", 0).unwrap();
        let later = file.metadata().unwrap().modified().unwrap() + std::time::Duration::from_millis(10);
        file.set_modified(later).unwrap();
        assert!(unchanged(&cache, 42, &site).is_none(), "a file edited in place");
        save(&cache, 42, site_files(&site).unwrap(), &summary).unwrap();
        forget(&cache).unwrap();
        assert!(unchanged(&cache, 42, &site).is_none(), "forgotten");
        forget(&cache).unwrap();
        for torn in ["42\n{\"si", "4", "42", "", "42{\"site\":[],\"summary\":{}}"] {
            std::fs::write(cache.join(FILE), torn).unwrap();
            assert!(unchanged(&cache, 42, &site).is_none(), "a torn snapshot: {torn:?}");
        }
        // The key is the first line; the rest is not read for another key.
        save(&cache, 42, site_files(&site).unwrap(), &summary).unwrap();
        let text = std::fs::read_to_string(cache.join(FILE)).unwrap();
        assert!(text.starts_with("42\n{"), "{text}");
        std::fs::write(cache.join(FILE), "43\nnot JSON").unwrap();
        assert!(load(&cache, 42).is_none());
        assert!(load(&cache, 43).is_none(), "a torn rest");
        std::fs::write(cache.join(FILE), text.replacen("42", "43", 1)).unwrap();
        assert!(load(&cache, 43).is_some(), "the same snapshot under key 43");
        assert!(unchanged(&cache, 43, &site).is_some());
        // A FIFO with no writer is refused at once (opening it would wait for ever).
        std::fs::remove_file(cache.join(FILE)).unwrap();
        crate::ingest::read::tests::mkfifo(&cache.join(FILE));
        assert!(load(&cache, 43).is_none());
    }
}
