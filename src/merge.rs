//! `telemetry-site merge`: telemetry.go.dev's merge step for the upload layout.
//!
//! Each day folder `<DAY>/` of one-report files becomes one gzipped newline-delimited file
//! `<DAY>.json.gz` of its valid reports, one per line, ordered by object name
//! (`<%g of X>.json`, then the original path), so a data repository holds hundreds of
//! files instead of a million. Files that hold invalid reports (and anything else in the
//! folder) move to `rejected/<DAY>/` (`rejected/<N>/<DAY>/` when a file of that name is
//! there already), so nothing is lost and a later build counts the same skips. Reports that
//! lose to another under the duplicate rule stay in the merged file, in their original
//! order, so the build keeps the same winner: a build after `merge` gives the same site,
//! byte for byte.
//!
//! The merged file is written to a temporary file, synced and renamed into place before any
//! original file is removed. If `<DAY>.json.gz` already exists (late uploads to a merged
//! day), the folder's reports are sorted in among its lines by object name, after its lines
//! of the same name (so the folder's report still wins the duplicate rule, as its path sorts
//! last); should one of its lines have no `X` to sort by (a file not made by `merge`), its
//! lines are kept first and the folder's reports follow. A report whose text is already in
//! it is only removed from the folder (so a merge cut short is finished by the next one,
//! without duplicates). A file that arrives in the folder while it is merged
//! stays there, and so does the folder, for the next merge. A day is left unmerged when a
//! file named like `<DAY>.jsonl`, which sorts between `<DAY>.json.gz` and `<DAY>/`, holds a
//! duplicate of one of its folder's reports: merged, that report would lose the duplicate
//! rule it wins now.
//!
//! The command holds DATA's lock ([`crate::data_lock`]) while it merges: builds and
//! checks wait for it, and it waits for them and for another merge.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use rayon::prelude::*;

use crate::config::UploadConfig;
use crate::day::Day;
use crate::ingest::discover::{classify, Layout};
use crate::ingest::read::{self, Limits, Piece};
use crate::ingest::{compact, validate, Catalog};
use crate::path_error::at as err;

/// What a merge did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeSummary {
    pub days: Vec<String>,
    pub reports_merged: u64,
    pub files_rejected: u64,
    pub files_already_merged: u64,
    /// Days whose folder is kept: files arrived in it while it was merged (see `apply_day`).
    pub folders_kept: Vec<String>,
    /// Why each day that could not be merged was not (in day order): such a day is left as
    /// it was when the error came before any change to it (a file that cannot be read, a
    /// Git LFS pointer), and finished by the next merge otherwise.
    pub failed: Vec<String>,
}

/// An error merging, naming the path.
pub type MergeError = crate::path_error::PathError;

/// Merges every day folder at the top of `data` whose day is before `before`. A day that
/// fails does not stop the others (see [`MergeSummary::failed`]); only an error listing
/// `data` itself is returned.
pub fn merge(
    data: &Path,
    config: Option<&UploadConfig>,
    limits: &Limits,
    before: Day,
) -> Result<MergeSummary, MergeError> {
    let catalog = match config {
        Some(config) => Catalog::fixed(config),
        None => Catalog::open(),
    };
    let mut days: Vec<(Day, PathBuf)> = Vec::new();
    let mut later: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(data).map_err(err(data))? {
        let entry = entry.map_err(err(data))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().map_err(err(&entry.path()))?.is_dir();
        if let (true, Some(day)) = (is_dir, Day::parse(&name)) {
            if day < before {
                days.push((day, entry.path()));
            }
        }
        if sorts_between_merged_file_and_folder(&name) {
            later.push((name.clone(), entry.path()));
        }
        if name.starts_with(".merge-") {
            let _ = fs::remove_file(entry.path()); // left by a merge that was killed
        }
    }
    days.sort();
    // Each day on its own, in parallel: a day's folder, merged file and `rejected/<DAY>/`
    // are its own. Most of a merge is waiting on the file system (reading, unlinking), which
    // the days' threads overlap.
    let merged: Vec<(Day, Result<MergeSummary, MergeError>)> = days
        .into_par_iter()
        .map(|(day, folder)| {
            let mut one = MergeSummary::default();
            let prefix = format!("{day}.");
            let later: Vec<&Path> =
                later.iter().filter(|(name, _)| name.starts_with(&prefix)).map(|(_, path)| path.as_path()).collect();
            (day, merge_day(data, day, &folder, &later, &catalog, limits, &mut one).map(|()| one))
        })
        .collect();
    let mut summary = MergeSummary::default();
    for (day, result) in merged {
        match result {
            Ok(one) => {
                summary.days.push(day.to_string());
                summary.reports_merged += one.reports_merged;
                summary.files_rejected += one.files_rejected;
                summary.files_already_merged += one.files_already_merged;
                summary.folders_kept.extend(one.folders_kept);
            }
            Err(e) => summary.failed.push(e.to_string()),
        }
    }
    Ok(summary)
}

/// A report line and the keys it sorts by.
struct Line {
    name: String,
    origin: String,
    text: Vec<u8>,
    /// Its `Week` and `X`, which the duplicate rule identifies it by.
    day: Day,
    x: f64,
}

fn merge_day(
    data: &Path,
    day: Day,
    folder: &Path,
    later: &[&Path],
    catalog: &Catalog,
    limits: &Limits,
    summary: &mut MergeSummary,
) -> Result<(), MergeError> {
    let plan = plan_day(data, day, folder, catalog, limits)?;
    keeps_every_duplicates_winner(&plan, later, catalog, limits)?;
    apply_day(data, day, folder, plan, summary)
}

/// Whether a top-level entry named `name` sorts after some day's merged file `<DAY>.json.gz`
/// and before its folder `<DAY>/`: `<DAY>.jsonl`, `<DAY>.ndjson.gz`, a folder `<DAY>.old/`.
/// Byte order (as the duplicate rule compares paths): `.` sorts before `/`, so such a name
/// starts with `<DAY>.` and comes after `json.gz`.
fn sorts_between_merged_file_and_folder(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > 11
        && name.get(..10).and_then(Day::parse).is_some()
        && bytes[10] == b'.'
        && bytes[11..] > *b"json.gz".as_slice()
}

/// A report in the day's folder wins the duplicate rule over the same (`Week`, `X`) in a
/// file under `later` ([`sorts_between_merged_file_and_folder`]), as the folder sorts last;
/// in `<DAY>.json.gz` it would sort first and lose, and the site would change. Such a day is
/// left as it is, with an error naming both.
fn keeps_every_duplicates_winner(
    plan: &DayPlan,
    later: &[&Path],
    catalog: &Catalog,
    limits: &Limits,
) -> Result<(), MergeError> {
    if later.is_empty() || plan.lines.is_empty() {
        return Ok(());
    }
    let merged: std::collections::HashMap<(Day, u64), &str> =
        plan.lines.iter().map(|line| ((line.day, line.x.to_bits()), line.origin.as_str())).collect();
    for path in later {
        let files = match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => crate::ingest::discover::discover(path, false).map_err(err(path))?.files,
            Ok(meta) if meta.is_file() => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                match classify(&name, None) {
                    Some((layout, gzip)) => {
                        vec![crate::ingest::InputFile::new(path.to_path_buf(), &name, layout, gzip)]
                    }
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        for file in files {
            let mut clash = None;
            let _ = read::read_reports(&file, limits, false, |line, piece| {
                if let (Piece::Text(text), None) = (piece, &clash) {
                    let mut keys = Vec::new();
                    let text = read::without_newline(text);
                    if let Ok(valid) = validate::check(text, limits.max_report_bytes, catalog, &mut keys) {
                        if let Some(origin) = merged.get(&(valid.day, valid.x.to_bits())) {
                            clash = Some((line, origin.to_string()));
                        }
                    }
                }
            });
            if let Some((line, origin)) = clash {
                let at = if line > 0 { format!(" (line {line})") } else { String::new() };
                return Err(MergeError {
                    path: file.path().display().to_string(),
                    source: io::Error::other(format!(
                        "holds a report{at} with the Week and X of `{origin}` in the day's folder, which wins the \
                         duplicate rule as its path sorts last; merged into the day's .json.gz, which sorts before \
                         this file, it would lose and the site would change. The day is left as it is: remove one \
                         of the two, or rename this file, then merge again"
                    )),
                });
            }
        }
    }
    Ok(())
}

/// What merging a day folder does, as read from it: nothing is changed yet.
struct DayPlan {
    target: PathBuf,
    /// The lines of the day's merged file, when there is one already.
    existing: Vec<Vec<u8>>,
    /// The new reports, in object-name order.
    lines: Vec<Line>,
    /// The files whose reports are in the merged file once it is written (or already were).
    merged_files: Vec<PathBuf>,
    already_merged: u64,
    /// The files that go to `rejected/`.
    rejected: Vec<PathBuf>,
}

fn plan_day(data: &Path, day: Day, folder: &Path, catalog: &Catalog, limits: &Limits) -> Result<DayPlan, MergeError> {
    let target = data.join(format!("{day}.json.gz"));
    let existing = read_existing(&target, limits)?;
    let already: HashSet<&[u8]> = existing.iter().map(Vec::as_slice).collect();
    let mut entries: Vec<PathBuf> = fs::read_dir(folder)
        .map_err(err(folder))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(err(folder))?;
    entries.sort();
    let mut lines: Vec<Line> = Vec::new();
    let mut merged_files: Vec<PathBuf> = Vec::new();
    let mut rejected: Vec<PathBuf> = Vec::new();
    let mut already_merged = 0;
    let folder_name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let meta = fs::symlink_metadata(&path).map_err(err(&path))?;
        // A one-report file, gzipped or not; anything else in the folder is moved aside.
        let text = match classify(&name, Some(&folder_name)).filter(|_| meta.is_file()) {
            Some((Layout::Upload, gzip)) => valid_text(&path, gzip, catalog, limits).map_err(err(&path))?,
            _ => None,
        };
        match text {
            Some((text, _)) if already.contains(text.as_slice()) => {
                already_merged += 1;
                merged_files.push(path);
            }
            Some((text, valid)) => {
                let object = crate::gofmt::object_name(valid.x);
                lines.push(Line { name: object, origin: name, text, day: valid.day, x: valid.x });
                merged_files.push(path);
            }
            None => rejected.push(path),
        }
    }
    lines.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.origin.as_bytes().cmp(b.origin.as_bytes())));
    drop(already);
    Ok(DayPlan { target, existing, lines, merged_files, already_merged, rejected })
}

/// Writes the merged file, moves the rejected files aside, then removes the merged ones and
/// the folder. Files that arrived in the folder after it was read (an upload still coming
/// in) stay in it, for the next merge: the folder is kept, and named in the summary.
fn apply_day(
    data: &Path,
    day: Day,
    folder: &Path,
    plan: DayPlan,
    summary: &mut MergeSummary,
) -> Result<(), MergeError> {
    let DayPlan { target, existing, lines, merged_files, already_merged, rejected } = plan;
    if !lines.is_empty() {
        write_merged(data, &target, &existing, &lines)?;
    }
    summary.reports_merged += lines.len() as u64;
    summary.files_already_merged += already_merged;
    for path in rejected {
        let to = rejected_path(data, day, path.file_name().expect("a file name"));
        let dir = to.parent().expect("a folder");
        fs::create_dir_all(dir).map_err(err(dir))?;
        fs::rename(&path, &to).map_err(err(&path))?;
        summary.files_rejected += 1;
    }
    for path in merged_files {
        fs::remove_file(&path).map_err(err(&path))?;
    }
    match fs::remove_dir(folder) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTEMPTY | libc::EEXIST)) => {
            summary.folders_kept.push(day.to_string());
            Ok(())
        }
        removed => removed.map_err(err(folder)),
    }
}

/// Where a rejected file `name` of `day` goes: `rejected/<DAY>/<name>`, or, when an earlier
/// merge put a file of that name there (a bad upload sent again), `rejected/<N>/<DAY>/<name>`
/// for the first N from 2 that is free. Nothing is written over, and the file keeps its
/// name and its folder's name, so a build reads it as it did before the merge.
fn rejected_path(data: &Path, day: Day, name: &std::ffi::OsStr) -> PathBuf {
    let day = day.to_string();
    let first = data.join("rejected").join(&day).join(name);
    let taken = |path: &Path| fs::symlink_metadata(path).is_ok();
    if !taken(&first) {
        return first;
    }
    (2u64..)
        .map(|n| data.join("rejected").join(n.to_string()).join(&day).join(name))
        .find(|path| !taken(path))
        .expect("a free name")
}

/// The compact text of the report in `path` (gzipped if `gzip`) and its `Week` and `X`, when it is
/// valid (the duplicate rule aside). A file that is a Git LFS or git-annex pointer, or
/// that the system would not let us read (permissions, I/O), is an error, not a file to
/// reject: the day is left as it is, for the files to be fetched or the error mended.
fn valid_text(
    path: &Path,
    gzip: bool,
    catalog: &Catalog,
    limits: &Limits,
) -> io::Result<Option<(Vec<u8>, validate::Valid)>> {
    let file = crate::ingest::InputFile::new(path.to_path_buf(), "", Layout::Upload, gzip);
    let mut out = None;
    let read = read::read_reports(&file, limits, false, |_, piece| {
        if let Piece::Text(text) = piece {
            let text = read::without_newline(text);
            let mut keys = Vec::new();
            if let Ok(valid) = validate::check(text, limits.max_report_bytes, catalog, &mut keys) {
                let mut line = Vec::with_capacity(text.len());
                compact::compact_into(text, &mut line);
                out = Some((line, valid));
            }
        }
    });
    match read {
        Err(e) if crate::ingest::pointer::is_pointer(&e) || read::failed_outside_the_file(&e) => Err(e),
        read => Ok(read.ok().and(out)),
    }
}

/// The lines of an existing merged file, verbatim.
fn read_existing(target: &Path, limits: &Limits) -> Result<Vec<Vec<u8>>, MergeError> {
    let file = match File::open(target) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err(target)(e)),
    };
    let reader = BufReader::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
    let mut lines = Vec::new();
    let mut total = 0u64;
    for line in reader.split(b'\n') {
        let line = line.map_err(err(target))?;
        total += line.len() as u64 + 1;
        if total > limits.max_file_bytes {
            return Err(err(target)(io::Error::other("the merged file decompresses to more than the limit")));
        }
        lines.push(line);
    }
    Ok(lines)
}

/// The lines of a day's merged file: `existing` (an earlier merge's, in its order) and the
/// folder's new `lines` (in object-name order), sorted by object name. The sort is stable
/// and the new lines come after the existing ones of the same name, so of two reports with
/// the same `Week` and `X` the folder's stays last, and wins the duplicate rule as it did.
fn in_object_order<'a>(existing: &'a [Vec<u8>], lines: &'a [Line]) -> Vec<&'a [u8]> {
    #[derive(serde::Deserialize)]
    struct OnlyX {
        #[serde(rename = "X")]
        x: f64,
    }
    let names: Option<Vec<String>> = existing
        .iter()
        .map(|line| serde_json::from_slice::<OnlyX>(line).ok().map(|r| crate::gofmt::object_name(r.x)))
        .collect();
    let Some(names) = names else {
        return existing.iter().map(Vec::as_slice).chain(lines.iter().map(|l| l.text.as_slice())).collect();
    };
    let mut all: Vec<(&str, &[u8])> =
        names.iter().map(String::as_str).zip(existing.iter().map(Vec::as_slice)).collect();
    all.extend(lines.iter().map(|l| (l.name.as_str(), l.text.as_slice())));
    all.sort_by(|a, b| a.0.cmp(b.0));
    all.into_iter().map(|(_, text)| text).collect()
}

fn write_merged(data: &Path, target: &Path, existing: &[Vec<u8>], lines: &[Line]) -> Result<(), MergeError> {
    // Readable as the reports it replaces are (a temporary file is 0600 otherwise): the
    // umask decides, as for any file the maintainer makes.
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o666);
    let mut tmp = tempfile::Builder::new().prefix(".merge-").permissions(mode).tempfile_in(data).map_err(err(data))?;
    {
        let mut gz = GzEncoder::new(io::BufWriter::new(tmp.as_file_mut()), Compression::new(6));
        for line in in_object_order(existing, lines) {
            gz.write_all(line).map_err(err(target))?;
            gz.write_all(b"\n").map_err(err(target))?;
        }
        gz.finish().map_err(err(target))?.flush().map_err(err(target))?;
    }
    tmp.as_file().sync_all().map_err(err(target))?;
    tmp.persist(target).map_err(|e| err(target)(e.error))?;
    File::open(data).and_then(|d| d.sync_all()).map_err(err(data))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_between_a_days_merged_file_and_its_folder() {
        for name in ["2026-01-05.jsonl", "2026-01-05.ndjson.gz", "2026-01-05.old", "2026-01-05.json.gz2"] {
            assert!(sorts_between_merged_file_and_folder(name), "{name}");
        }
        for name in ["2026-01-05.json.gz", "2026-01-05.json", "2026-01-05", "2026-01-05-x.jsonl", "2026-13-45.jsonl"] {
            assert!(!sorts_between_merged_file_and_folder(name), "{name}");
        }
        // A character across byte 10 is no day, and no panic.
        assert!(!sorts_between_merged_file_and_folder("2026-01-0\u{e9}.jsonl"));
    }

    #[test]
    fn late_reports_are_sorted_in_after_lines_of_the_same_name_and_the_file_is_not_private() {
        let data = tempfile::tempdir().unwrap();
        let target = data.path().join("2026-01-05.json.gz");
        let with =
            |x: f64, last_week: &str| report(x).replace("\"LastWeek\":\"\"", &format!("\"LastWeek\":\"{last_week}\""));
        let existing = [with(0.1, "merged"), with(0.3, "merged")];
        let mut gz = GzEncoder::new(File::create(&target).unwrap(), Compression::new(6));
        gz.write_all(format!("{}\n{}\n", existing[0], existing[1]).as_bytes()).unwrap();
        gz.finish().unwrap();
        let folder = data.path().join("2026-01-05");
        fs::create_dir(&folder).unwrap();
        // The same Week and X as a merged line: the folder's wins the duplicate rule now.
        fs::write(folder.join("0.1.json"), with(0.1, "folder")).unwrap();
        fs::write(folder.join("0.2.json"), with(0.2, "folder")).unwrap();
        merge(data.path(), None, &Limits::default(), Day::parse("2026-01-06").unwrap()).unwrap();
        let lines = merged_lines(&target);
        let order: Vec<(bool, bool)> =
            lines.iter().map(|l| (l.contains("\"X\":0.1,"), l.contains("\"LastWeek\":\"folder\""))).collect();
        // 0.1 (merged), then 0.1 (folder, last of its name: still the winner), 0.2, 0.3.
        assert_eq!(order, [(true, false), (true, true), (false, true), (false, false)], "{lines:?}");
        assert!(lines[2].contains("\"X\":0.2,") && lines[3].contains("\"X\":0.3,"), "{lines:?}");
        // The umask decides its mode, as for the files it replaces (a temporary file is 0600).
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let umask =
            status.lines().find_map(|l| l.strip_prefix("Umask:")).map(|m| u32::from_str_radix(m.trim(), 8).unwrap());
        let mode = std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&target).unwrap().permissions()) & 0o777;
        assert_eq!(mode, 0o666 & !umask.unwrap(), "{mode:o}");
    }

    fn report(x: f64) -> String {
        format!(r#"{{"Week":"2026-01-05","LastWeek":"","X":{x},"Programs":null,"Config":"v0.1.0"}}"#)
    }

    fn merged_lines(path: &Path) -> Vec<String> {
        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(File::open(path).unwrap()));
        reader.lines().map(Result::unwrap).collect()
    }

    #[test]
    fn a_file_arriving_while_its_day_is_merged_stays_in_the_folder_for_the_next_merge() {
        let data = tempfile::tempdir().unwrap();
        let folder = data.path().join("2026-01-05");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("a.json"), report(0.1)).unwrap();
        fs::write(folder.join("b.json"), report(0.2)).unwrap();
        let (day, catalog, limits) = (Day::parse("2026-01-05").unwrap(), Catalog::open(), Limits::default());
        let plan = plan_day(data.path(), day, &folder, &catalog, &limits).unwrap();
        // An upload lands after the folder was read; its X sorts between the others'.
        fs::write(folder.join("c.json"), report(0.15)).unwrap();
        let mut summary = MergeSummary::default();
        apply_day(data.path(), day, &folder, plan, &mut summary).unwrap();
        assert_eq!(summary.folders_kept, ["2026-01-05"]);
        assert_eq!(summary.reports_merged, 2);
        let left: Vec<_> = fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["c.json"], "only the late file is left");
        let target = data.path().join("2026-01-05.json.gz");
        assert_eq!(merged_lines(&target).len(), 2);
        // The next merge takes it and removes the folder.
        let summary = merge(data.path(), None, &limits, Day::parse("2026-01-06").unwrap()).unwrap();
        assert_eq!((summary.reports_merged, summary.folders_kept.len()), (1, 0));
        assert!(!folder.exists());
        let lines = merged_lines(&target);
        assert_eq!(lines.len(), 3);
        // Sorted in by object name (0.1.json < 0.15.json < 0.2.json), not appended.
        assert!(lines[1].contains("\"X\":0.15"), "{lines:?}");
    }
}
