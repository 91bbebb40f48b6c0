//! Finds the report files under DATA and says what each one is.
//!
//! Upload layout: `<YYYY-MM-DD>/<name>.json`, one report per file. Merged layout:
//! `<YYYY-MM-DD>.json`, `.jsonl` or `.ndjson`, one report per line. Either may end in
//! `.gz` and sit in sub-folders. Links, FIFOs and devices are never followed or opened;
//! they and every other file are listed as not recognised, so nothing disappears unseen.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use super::validate::escape_unprintable;

/// How a file holds its reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One report per file.
    Upload,
    /// One report per line.
    Merged,
}

/// A report file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    names: Names,
    pub layout: Layout,
    pub gzip: bool,
}

/// A file's path and its path relative to DATA. Almost always the second is the end of
/// the first, and one string holds both: a million files, a million allocations fewer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Names {
    /// `rel` is `path[rel_at..]`.
    Tail { path: String, rel_at: usize },
    /// A path that is not UTF-8, or a name escaped in `rel`.
    Apart { path: PathBuf, rel: Box<str> },
}

impl InputFile {
    pub fn new(path: PathBuf, rel: &str, layout: Layout, gzip: bool) -> InputFile {
        let names = match path.into_os_string().into_string() {
            Ok(mut path) if path.ends_with(rel) => {
                // A path joined from its folder's has room to spare, about half its length
                // again: a million of them held through the build.
                path.shrink_to_fit();
                Names::Tail { rel_at: path.len() - rel.len(), path }
            }
            Ok(path) => Names::Apart { path: path.into(), rel: rel.into() },
            Err(path) => Names::Apart { path: path.into(), rel: rel.into() },
        };
        InputFile { names, layout, gzip }
    }

    pub fn path(&self) -> &Path {
        match &self.names {
            Names::Tail { path, .. } => Path::new(path),
            Names::Apart { path, .. } => path,
        }
    }

    /// Path relative to DATA with `/` separators: names the file in messages and orders
    /// files (byte order) for the duplicate rule.
    pub fn rel(&self) -> &str {
        match &self.names {
            Names::Tail { path, rel_at } => &path[*rel_at..],
            Names::Apart { rel, .. } => rel,
        }
    }
}

/// An entry under DATA that holds no reports we read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unrecognised {
    pub path: String,
    pub why: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    /// Sorted by `rel`, byte order.
    pub files: Vec<InputFile>,
    pub unrecognised: Vec<Unrecognised>,
    /// Each file's stat, once the walk or [`Discovery::with_stats`] took them (a million files are
    /// stat'ed once per build, not once per use).
    pub stats: Option<Vec<std::io::Result<crate::cache::FileStat>>>,
}

impl Discovery {
    /// The files and their stats, taken in parallel unless already taken.
    pub fn with_stats(&mut self) -> (&[InputFile], &[std::io::Result<crate::cache::FileStat>]) {
        let files = &self.files;
        let stats = self.stats.get_or_insert_with(|| stat_by_folder(files));
        (files, stats)
    }
}

/// A digest of `files`' relative paths and `stats`, in order: what a snapshot's key holds of
/// DATA's files, so that a million stats need not be kept until it is made. `None` when a
/// stat failed.
pub fn stats_digest(files: &[InputFile], stats: &[std::io::Result<crate::cache::FileStat>]) -> Option<u64> {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    // Hashed 64 KiB at a time: the same digest as a call per part, in a sixth of the time.
    let mut buffer = Vec::with_capacity(1 << 16);
    for (file, stat) in files.iter().zip(stats) {
        let stat = stat.as_ref().ok()?;
        buffer.extend_from_slice(file.rel().as_bytes());
        buffer.push(0);
        for n in [stat.size, stat.mtime_ns as u64, stat.inode, stat.ctime_ns as u64] {
            buffer.extend_from_slice(&n.to_le_bytes());
        }
        if buffer.len() >= 1 << 16 {
            hash.update(&buffer);
            buffer.clear();
        }
    }
    hash.update(&buffer);
    Some(hash.digest())
}

/// The stat of each file (sorted by `rel`), in parallel, folder by folder: each file is
/// looked up by its name in its open folder, not by its whole path from the root, which
/// takes a tenth off a million stats.
fn stat_by_folder(files: &[InputFile]) -> Vec<std::io::Result<crate::cache::FileStat>> {
    let folders: Vec<&[InputFile]> = folders_of(files).collect();
    folders.par_iter().flat_map_iter(|folder| stat_in_folder(folder)).collect()
}

/// `files` (sorted by `rel`) in runs that share a folder.
fn folders_of(files: &[InputFile]) -> impl Iterator<Item = &[InputFile]> {
    files.chunk_by(|a, b| folder_of(a.path()) == folder_of(b.path()))
}

/// [`stat_by_folder`] of files that share one folder.
fn stat_in_folder(files: &[InputFile]) -> Vec<std::io::Result<crate::cache::FileStat>> {
    use rustix::fs::{AtFlags, Mode, OFlags};
    use std::os::unix::ffi::OsStrExt;
    let by_path = || files.iter().map(|f| crate::cache::FileStat::of(f.path())).collect();
    // The folder the files were grouped by (see [`folders_of`]).
    let Some(folder) = folder_of(files[0].path()).filter(|f| !f.is_empty()) else { return by_path() };
    let folder = Path::new(std::ffi::OsStr::from_bytes(folder));
    let Ok(dir) = rustix::fs::open(folder, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) else {
        return by_path();
    };
    files
        .iter()
        .map(|f| {
            let name = name_of(f.path());
            let stat = rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW).map_err(std::io::Error::from)?;
            Ok(crate::cache::FileStat::from_stat(&stat))
        })
        .collect()
}

/// Names at the top of DATA that are inputs of another kind, not reports.
pub const NOT_REPORTS: [&str; 4] = ["upload-config.json", "chart-config.txt", "telemetry-site.toml", "pages"];

/// Walks `data` (which must be a readable directory) and classifies every entry. Each
/// top-level folder (a day of the upload layout) is walked on its own core. With `stat`,
/// each file is stat'ed too, right after its folder was listed and sorted, on the same
/// core: its path is then still in the CPU's cache, and its stat lands in a table of the
/// right size. (A million paths looked at again in a later pass cost a cache miss each.)
pub fn discover(data: &Path, stat: bool) -> std::io::Result<Discovery> {
    let mut tops: Vec<PathBuf> = std::fs::read_dir(data)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    tops.sort();
    let per_top: Vec<Discovery> = tops
        .par_iter()
        .map(|top| {
            let mut found = Discovery::default();
            walk_one(data, top, &mut found);
            // Sorted here, on this folder's core: the folders are in order, so their files
            // joined are almost always in order too.
            found.files.sort_unstable_by(by_rel);
            if stat {
                found.stats = Some(folders_of(&found.files).flat_map(stat_in_folder).collect());
            }
            found
        })
        .collect();
    // Each top is sorted: the whole is unless some top's last file sorts after the next
    // one's first. A folder `D` sorts before a file `D.json` as a path, after it as bytes.
    let ends: Vec<(&InputFile, &InputFile)> =
        per_top.iter().filter_map(|top| Some((top.files.first()?, top.files.last()?))).collect();
    let sorted = ends.windows(2).all(|pair| by_rel(pair[0].1, pair[1].0).is_le());
    // Joined once, not pairwise up a reduction tree: a million files moved once, not ten times.
    let total = per_top.iter().map(|d| d.files.len()).sum();
    let mut found = Discovery {
        files: Vec::with_capacity(total),
        stats: stat.then(|| Vec::with_capacity(total)),
        ..Discovery::default()
    };
    for top in per_top {
        found.files.extend(top.files);
        found.unrecognised.extend(top.unrecognised);
        if let (Some(all), Some(stats)) = (&mut found.stats, top.stats) {
            all.extend(stats);
        }
    }
    if !sorted {
        match found.stats.take() {
            Some(stats) => {
                let mut both: Vec<_> = std::mem::take(&mut found.files).into_iter().zip(stats).collect();
                both.par_sort_unstable_by(|a, b| by_rel(&a.0, &b.0));
                let (files, stats) = both.into_iter().unzip();
                (found.files, found.stats) = (files, Some(stats));
            }
            None => found.files.par_sort_unstable_by(by_rel),
        }
    }
    found.unrecognised.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// The order of [`Discovery::files`]: by relative path, byte order.
fn by_rel(a: &InputFile, b: &InputFile) -> std::cmp::Ordering {
    a.rel().as_bytes().cmp(b.rel().as_bytes())
}

/// How an entry of DATA that cannot be read (a folder that may not be listed) starts its
/// reason: `check` fails on such entries, as they may hide reports.
pub const CANNOT_BE_READ: &str = "cannot be read: ";

/// Classifies `top` (an entry directly in `data`) and everything under it into `found`.
fn walk_one(data: &Path, top: &Path, found: &mut Discovery) {
    let mut walk = WalkDir::new(top).follow_links(false).follow_root_links(false).into_iter();
    // The relative path of each folder being walked, by depth: an entry's is its folder's
    // and its own name, so a million names are each escaped once, not as whole paths.
    let mut folders: Vec<String> = Vec::new();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map(|p| rel_path(data, p)).unwrap_or_default();
                found.unrecognised.push(Unrecognised { path, why: format!("{CANNOT_BE_READ}{}", io_reason(&err)) });
                continue;
            }
        };
        let name = name_of(entry.path());
        let name = name.to_str().map_or_else(|| name.to_string_lossy(), std::borrow::Cow::Borrowed);
        let rel = match entry.depth().checked_sub(1).and_then(|up| folders.get(up)) {
            Some(folder) => [folder.as_str(), "/", &escape_unprintable(&name)].concat(),
            None => rel_path(data, entry.path()),
        };
        let file_type = entry.file_type();
        if entry.depth() == 0 && NOT_REPORTS.contains(&&*name) {
            if file_type.is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        if name.starts_with('.') {
            if file_type.is_dir() {
                walk.skip_current_dir();
            }
            found.unrecognised.push(Unrecognised { path: rel, why: "hidden, not read".into() });
            continue;
        }
        let parent = parent_name(entry.path());
        if file_type.is_dir() {
            folders.truncate(entry.depth());
            folders.push(rel.clone());
            // Walked into all the same; named so a report-shaped directory is not missed.
            if classify(&name, parent).is_some() {
                found.unrecognised.push(Unrecognised { path: rel, why: "a directory named like a report file".into() });
            }
            continue;
        }
        if file_type.is_symlink() {
            found.unrecognised.push(Unrecognised { path: rel, why: "a symbolic link, not followed".into() });
            continue;
        }
        if !file_type.is_file() {
            found.unrecognised.push(Unrecognised { path: rel, why: "not a regular file".into() });
            continue;
        }
        match classify(&name, parent) {
            Some((layout, gzip)) => {
                found.files.push(InputFile::new(entry.into_path(), &rel, layout, gzip));
            }
            None => found.unrecognised.push(Unrecognised { path: rel, why: "not a report file name".into() }),
        }
    }
}

/// The layout of a file named `name` in a folder named `parent`, and whether it is gzipped.
/// A hidden name (a leading dot) is no report file: the walk lists it as hidden and does
/// not read it, and `merge` moves it aside rather than merging it.
pub fn classify(name: &str, parent: Option<&str>) -> Option<(Layout, bool)> {
    if name.starts_with('.') {
        return None;
    }
    let (base, gzip) = match name.strip_suffix(".gz") {
        Some(base) => (base, true),
        None => (name, false),
    };
    let (stem, ext) = base.rsplit_once('.')?;
    match ext {
        "json" | "jsonl" | "ndjson" if is_date_shaped(stem) => Some((Layout::Merged, gzip)),
        "json" if !stem.is_empty() && parent.is_some_and(is_date_shaped) => Some((Layout::Upload, gzip)),
        _ => None,
    }
}

/// `NNNN-NN-NN`, whether or not it is a real date (the reports' `Week` decides the day).
fn is_date_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// The last component of `path`, read off its bytes (as [`Path::file_name`] would give it
/// for the paths a walk yields, without parsing every component).
fn name_of(path: &Path) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    match folder_of(path).map(|folder| &bytes[folder.len() + 1..]) {
        Some(name) if !name.is_empty() => std::ffi::OsStr::from_bytes(name),
        _ => path.file_name().unwrap_or(path.as_os_str()),
    }
}

/// The name of the folder that holds `path` (the text between its last two `/`), as
/// [`classify`] wants it: a name that is not UTF-8 is never date-shaped, so it is `None`.
fn parent_name(path: &Path) -> Option<&str> {
    let folder = folder_of(path)?;
    let name = &folder[memchr::memrchr(b'/', folder).map_or(0, |i| i + 1)..];
    std::str::from_utf8(name).ok()
}

/// The bytes of `path` before its last `/` (its folder, without parsing components), or
/// `None` for a bare name.
pub(crate) fn folder_of(path: &Path) -> Option<&[u8]> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    Some(&bytes[..memchr::memrchr(b'/', bytes)?])
}

/// `path` relative to `root`, `/`-separated, printable: invalid UTF-8 becomes U+FFFD and
/// control characters (a newline or an escape sequence in an uploaded name) and
/// bidirectional marks become `\u{..}`, so a name can neither forge nor garble a line of
/// the summary.
fn rel_path(root: &Path, path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    // Most paths: the bytes after `root/`, already printable.
    let (root_bytes, bytes) = (root.as_os_str().as_bytes(), path.as_os_str().as_bytes());
    let after_root = bytes.strip_prefix(root_bytes).and_then(|rest| match root_bytes.last() {
        Some(b'/') => Some(rest),
        _ => rest.strip_prefix(b"/"),
    });
    if let Some(plain) = after_root
        .filter(|rest| !rest.is_empty() && !rest.starts_with(b"/"))
        .and_then(|rest| std::str::from_utf8(rest).ok())
        .filter(|s| !s.contains("//") && !s.split('/').any(|c| c == "." || c == ".."))
        .filter(|s| matches!(escape_unprintable(s), std::borrow::Cow::Borrowed(_)))
    {
        return plain.to_string();
    }
    rel_by_components(root, path)
}

/// [`rel_path`] the slow way, component by component, for the paths that need it.
fn rel_by_components(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    if let Some(plain) = rel.to_str().filter(|s| matches!(escape_unprintable(s), std::borrow::Cow::Borrowed(_))) {
        return plain.to_string();
    }
    let parts: Vec<String> =
        rel.components().map(|c| escape_unprintable(&c.as_os_str().to_string_lossy()).into_owned()).collect();
    parts.join("/")
}

fn io_reason(err: &walkdir::Error) -> String {
    if err.loop_ancestor().is_some() {
        return "a link loop".into();
    }
    err.io_error().map(|e| e.kind().to_string()).unwrap_or_else(|| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_layouts_by_name() {
        assert_eq!(classify("0.25.json", Some("2026-01-02")), Some((Layout::Upload, false)));
        assert_eq!(classify("0.25.json.gz", Some("2026-01-02")), Some((Layout::Upload, true)));
        assert_eq!(classify("2026-01-02.json", Some("data")), Some((Layout::Merged, false)));
        assert_eq!(classify("2026-01-02.json.gz", None), Some((Layout::Merged, true)));
        assert_eq!(classify("2026-01-02.jsonl", None), Some((Layout::Merged, false)));
        assert_eq!(classify("2026-01-02.ndjson.gz", Some("a")), Some((Layout::Merged, true)));
        // Only a day's file is merged layout, whatever its extension; in a day's folder
        // only `.json` is a report.
        assert_eq!(classify("x.ndjson.gz", Some("a")), None);
        assert_eq!(classify("all.jsonl", None), None);
        assert_eq!(classify("a.jsonl", Some("2026-01-02")), None);
        assert_eq!(classify("0.25.json", Some("reports")), None);
        assert_eq!(classify("notes.txt", Some("2026-01-02")), None);
        assert_eq!(classify(".json", Some("2026-01-02")), None);
        assert_eq!(classify(".0.25.json", Some("2026-01-02")), None);
        assert_eq!(classify(".2026-01-02.json", None), None);
        assert_eq!(classify("0.25.JSON", Some("2026-01-02")), None);
    }

    #[test]
    fn relative_paths_and_parent_names_read_off_the_bytes_match_the_component_way() {
        let cases = [
            ("/d", "/d/2026-01-01/0.5.json"),
            ("/d/", "/d/a/b.json"),
            ("d", "d/x.json"),
            ("./d", "./d/x.json"),
            (".", "./2026-01-01/x.json"),
            ("/d", "/d/a\nb.json"),
            ("/d", "/d/\u{202e}x/é.json"),
            ("/d", "/d"),
            ("/d", "/dx/a.json"),
        ];
        for (root, path) in cases {
            let (root, path) = (Path::new(root), Path::new(path));
            assert_eq!(rel_path(root, path), rel_by_components(root, path), "{path:?} under {root:?}");
            let by_components = path.parent().and_then(Path::file_name).and_then(|n| n.to_str());
            let date_shaped = |name: Option<&str>| name.is_some_and(is_date_shaped);
            assert_eq!(date_shaped(parent_name(path)), date_shaped(by_components), "{path:?}");
        }
        assert_eq!(parent_name(Path::new("/d/2026-01-01/x.json")), Some("2026-01-01"));
        assert_eq!(parent_name(Path::new("2026-01-01/x.json")), Some("2026-01-01"));
        assert_eq!(parent_name(Path::new("x.json")), None);
    }

    #[test]
    fn names_below_the_top_are_escaped_as_whole_paths_are() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let odd = std::ffi::OsStr::from_bytes(b"2026-01-01/\xff.json");
        for folder in ["2026-01-01/x\u{202e}", "tab\tdir/2026-01-02"] {
            std::fs::create_dir_all(d.join(folder)).unwrap();
        }
        for file in [Path::new("2026-01-01/a\nb.json"), Path::new(odd), Path::new("2026-01-01/x\u{202e}/0.5.json")] {
            std::fs::write(d.join(file), b"{}").unwrap();
        }
        std::fs::write(d.join("tab\tdir/2026-01-02/0.1.json"), b"{}").unwrap();
        let found = discover(d, false).unwrap();
        let rels: Vec<&str> = found.files.iter().map(|f| f.rel()).collect();
        assert_eq!(rels, ["2026-01-01/a\\u{a}b.json", "2026-01-01/\u{fffd}.json", "tab\\u{9}dir/2026-01-02/0.1.json"]);
        for file in &found.files {
            assert_eq!(file.rel(), rel_by_components(d, file.path()));
        }
        let other: Vec<&str> = found.unrecognised.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(other, ["2026-01-01/x\\u{202e}/0.5.json"]);
    }

    #[test]
    fn a_file_gives_back_the_path_and_relative_path_it_was_made_with() {
        use std::os::unix::ffi::OsStrExt;
        let odd = Path::new(std::ffi::OsStr::from_bytes(b"/d/2026-01-01/\xff.json"));
        let cases: [(&Path, &str, bool); 5] = [
            (Path::new("/d/2026-01-01/0.5.json"), "2026-01-01/0.5.json", true),
            (Path::new("2026-01-01.json"), "2026-01-01.json", true),
            (Path::new("/d/2026-01-01/a\nb.json"), "2026-01-01/a\\u{a}b.json", false),
            (odd, "2026-01-01/\u{fffd}.json", false),
            (Path::new("/d/x.json"), "", true),
        ];
        for (path, rel, one_string) in cases {
            let file = InputFile::new(path.to_path_buf(), rel, Layout::Upload, false);
            assert_eq!((file.path(), file.rel()), (path, rel));
            assert_eq!(matches!(file.names, Names::Tail { .. }), one_string, "{rel}");
        }
        // A path joined with room to spare keeps none of it.
        let mut roomy = PathBuf::with_capacity(200);
        roomy.push("/d/2026-01-01/0.5.json");
        match InputFile::new(roomy, "2026-01-01/0.5.json", Layout::Upload, false).names {
            Names::Tail { path, .. } => assert_eq!(path.capacity(), path.len()),
            Names::Apart { .. } => panic!("a plain name is held in one string"),
        }
    }

    #[test]
    fn the_stats_digest_follows_every_path_and_stat_and_fails_with_a_stat() {
        let stat = |size| crate::cache::FileStat { size, mtime_ns: 1, inode: 2, ctime_ns: 3 };
        let file = |rel: &str| InputFile::new(PathBuf::from(format!("/d/{rel}")), rel, Layout::Upload, false);
        let files = [file("2026-01-01/0.1.json"), file("2026-01-01/0.2.json")];
        let digest = stats_digest(&files, &[Ok(stat(1)), Ok(stat(2))]).unwrap();
        assert_eq!(stats_digest(&files, &[Ok(stat(1)), Ok(stat(2))]), Some(digest), "the same for the same");
        assert_ne!(stats_digest(&files, &[Ok(stat(1)), Ok(stat(3))]), Some(digest), "a size changed");
        let renamed = [file("2026-01-01/0.1.json"), file("2026-01-01/0.3.json")];
        assert_ne!(stats_digest(&renamed, &[Ok(stat(1)), Ok(stat(2))]), Some(digest), "a file renamed");
        let lost = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(stats_digest(&files, &[Ok(stat(1)), Err(lost)]), None);
        // Hashed in blocks, it is the hash of each part in turn (3,000 files: several blocks).
        let many: Vec<InputFile> = (0..3000).map(|i| file(&format!("2026-01-01/0.{i}.json"))).collect();
        let stats: Vec<_> = (0..3000).map(|i| Ok(stat(i))).collect();
        let mut parts = xxhash_rust::xxh3::Xxh3::new();
        for (file, stat) in many.iter().zip(&stats) {
            let stat = stat.as_ref().unwrap();
            parts.update(file.rel().as_bytes());
            parts.update(&[0]);
            for n in [stat.size, stat.mtime_ns as u64, stat.inode, stat.ctime_ns as u64] {
                parts.update(&n.to_le_bytes());
            }
        }
        assert_eq!(stats_digest(&many, &stats), Some(parts.digest()));
    }

    #[test]
    fn stats_taken_in_the_walk_follow_their_files_when_the_joined_tops_are_sorted_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("2026-01-01")).unwrap();
        // The folder's files come first as paths, after `2026-01-01.json` as bytes.
        let sizes = [("2026-01-01/0.1.json", 1), ("2026-01-01/0.2.json", 2), ("2026-01-01.json", 3)];
        for (name, size) in sizes {
            std::fs::write(d.join(name), vec![b' '; size]).unwrap();
        }
        let found = discover(d, true).unwrap();
        let got: Vec<(&str, u64)> = found
            .files
            .iter()
            .zip(found.stats.as_ref().unwrap())
            .map(|(f, s)| (f.rel(), s.as_ref().unwrap().size))
            .collect();
        assert_eq!(got, [("2026-01-01.json", 3), ("2026-01-01/0.1.json", 1), ("2026-01-01/0.2.json", 2)]);
    }

    #[test]
    fn walks_sorts_and_lists_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("2026-01-02")).unwrap();
        std::fs::create_dir_all(d.join("sub/2026-01-01")).unwrap();
        std::fs::create_dir_all(d.join("pages")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        for f in [
            "2026-01-02/0.5.json",
            "sub/2026-01-01/0.1.json.gz",
            "2026-01-03.json",
            "README.md",
            "pages/index.md",
            "upload-config.json",
            ".git/HEAD",
            "2026-01-02/x.txt",
        ] {
            std::fs::write(d.join(f), b"{}").unwrap();
        }
        std::os::unix::fs::symlink("/etc/passwd", d.join("2026-01-02/link.json")).unwrap();
        // A link at the top, to a day folder: listed, not followed.
        std::os::unix::fs::symlink(d.join("2026-01-02"), d.join("2026-01-09")).unwrap();
        let stated = discover(d, true).unwrap();
        let found = discover(d, false).unwrap();
        assert!(found.stats.is_none());
        assert_eq!((&stated.files, &stated.unrecognised), (&found.files, &found.unrecognised));
        let rels: Vec<&str> = found.files.iter().map(|f| f.rel()).collect();
        assert_eq!(rels, ["2026-01-02/0.5.json", "2026-01-03.json", "sub/2026-01-01/0.1.json.gz"]);
        // Stat'ed during the walk, each file's own stat, in the files' order.
        for (file, stat) in stated.files.iter().zip(stated.stats.as_ref().unwrap()) {
            assert_eq!(stat.as_ref().unwrap(), &crate::cache::FileStat::of(file.path()).unwrap(), "{}", file.rel());
        }
        assert_eq!(stated.stats.as_ref().unwrap().len(), 3);
        let other: Vec<&str> = found.unrecognised.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(other, [".git", "2026-01-02/link.json", "2026-01-02/x.txt", "2026-01-09", "README.md"]);
        assert!(found.unrecognised[3].why.contains("symbolic link"));
        // Stat'ed folder by folder, as by whole path; a file gone since the walk is an error.
        let mut found = found;
        std::fs::remove_file(d.join("2026-01-03.json")).unwrap();
        std::fs::write(d.join("2026-01-02/0.5.json"), b"{ }").unwrap();
        let (files, stats) = found.with_stats();
        for (file, stat) in files.iter().zip(stats) {
            match crate::cache::FileStat::of(file.path()) {
                Ok(by_path) => assert_eq!(stat.as_ref().unwrap(), &by_path, "{}", file.rel()),
                Err(_) => assert!(stat.is_err(), "{}", file.rel()),
            }
        }
        assert_eq!(stats.iter().filter(|s| s.is_err()).count(), 1);
        assert_eq!(stats[0].as_ref().unwrap().size, 3);
    }
}
