//! Ingest: DATA -> valid, deduplicated reports as compact records, plus every skip.
//!
//! Files are read, decompressed, parsed and checked in parallel; each report becomes a
//! [`Record`] of a few numbers and key ids, and its text goes to a spool on disk. Memory
//! grows with reports (tens of bytes each) and names, never with input bytes.

pub mod catalog;
pub mod compact;
pub mod discover;
pub mod read;
pub mod reason;
pub mod report;
pub mod spool;
pub mod validate;

use std::path::Path;

use rayon::prelude::*;

pub use catalog::Catalog;
pub use discover::{InputFile, Layout, Unrecognised};
pub use read::Limits;
pub use reason::Reason;
use read::Piece;
use spool::{Spool, SpoolRef};

use crate::day::Day;

/// A valid report, reduced to what aggregation and the downloads need.
#[derive(Debug, Clone)]
pub struct Record {
    pub day: Day,
    pub x: f64,
    /// Index into [`Ingested::files`], then line (0 in the upload layout).
    pub file: u32,
    pub line: u32,
    pub has_programs: bool,
    /// Key ids (see [`Catalog`]), sorted, without repeats.
    pub keys: Box<[u32]>,
    pub text: SpoolRef,
}

/// A skipped report (or unreadable file), named for the summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skip {
    pub path: String,
    /// 1-based line in the merged layout; 0 for a whole file.
    pub line: u32,
    pub reason: Reason,
    pub message: String,
}

/// How many skips each file keeps in detail (all are counted).
const DETAILS_PER_FILE: usize = 100;

/// Everything ingest found.
pub struct Ingested {
    pub files: Vec<InputFile>,
    pub unrecognised: Vec<Unrecognised>,
    /// Valid reports, one per (day, X), sorted by day then object name `<Week>/<%g X>.json`.
    pub records: Vec<Record>,
    /// Reports (files or lines) read, valid or not.
    pub reports_read: u64,
    /// Skipped reports, by [`Reason::index`].
    pub skipped: [u64; Reason::ALL.len()],
    /// Skips in detail, in (path, line) order; at most [`DETAILS_PER_FILE`] per file.
    pub skips: Vec<Skip>,
    pub catalog: Catalog,
    pub spool: Spool,
}

impl Ingested {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// The text of a valid report, one line, no newline.
    pub fn text_into(&self, record: &Record, out: &mut Vec<u8>) -> std::io::Result<()> {
        self.spool.read_into(record.text, out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("`{path}`: cannot read the data directory: {source}")]
    Data { path: String, source: std::io::Error },
    #[error("cannot create a temporary spool in `{path}`: {source}")]
    Spool { path: String, source: std::io::Error },
}

#[derive(Default)]
struct FileOutcome {
    records: Vec<Record>,
    reports: u64,
    skipped: [u64; Reason::ALL.len()],
    skips: Vec<Skip>,
}

impl FileOutcome {
    fn skip(&mut self, file: &InputFile, line: u32, reason: Reason, message: String) {
        self.skipped[reason.index()] += 1;
        if self.skips.len() < DETAILS_PER_FILE {
            self.skips.push(Skip { path: file.rel.clone(), line, reason, message });
        }
    }
}

/// Reads every report under `data`. Only an unreadable `data` (or no room for the spool in
/// `spool_parent`) is an error; every bad file or report is a counted [`Skip`].
pub fn ingest(data: &Path, catalog: Catalog, limits: &Limits, spool_parent: &Path) -> Result<Ingested, IngestError> {
    ingest_with_progress(data, catalog, limits, spool_parent, &crate::progress::Stage::hidden())
}

/// [`ingest`], counting each file read on `stage`.
pub fn ingest_with_progress(
    data: &Path,
    catalog: Catalog,
    limits: &Limits,
    spool_parent: &Path,
    stage: &crate::progress::Stage,
) -> Result<Ingested, IngestError> {
    let found = discover::discover(data).map_err(|source| IngestError::Data { path: data.display().to_string(), source })?;
    stage.set_length(found.files.len() as u64);
    let spool = Spool::new(spool_parent).map_err(|source| IngestError::Spool { path: spool_parent.display().to_string(), source })?;
    let outcomes: Vec<FileOutcome> = found
        .files
        .par_iter()
        .enumerate()
        .map(|(index, file)| {
            let outcome = read_file(index as u32, file, limits, &catalog, &spool);
            stage.inc(1);
            outcome
        })
        .collect();
    let mut ingested = Ingested {
        files: found.files,
        unrecognised: found.unrecognised,
        records: Vec::new(),
        reports_read: 0,
        skipped: [0; Reason::ALL.len()],
        skips: Vec::new(),
        catalog,
        spool,
    };
    let total: usize = outcomes.iter().map(|o| o.records.len()).sum();
    let mut records = Vec::with_capacity(total);
    for outcome in outcomes {
        ingested.reports_read += outcome.reports;
        for (sum, n) in ingested.skipped.iter_mut().zip(outcome.skipped) {
            *sum += n;
        }
        ingested.skips.extend(outcome.skips);
        records.extend(outcome.records);
    }
    if let Err(e) = ingested.spool.flush() {
        // Without the spool the downloads cannot be written; say so through every record's file.
        return Err(IngestError::Spool { path: spool_parent.display().to_string(), source: e });
    }
    let duplicates = drop_duplicates(&mut records);
    for record in &duplicates {
        let file = &ingested.files[record.file as usize];
        ingested.skipped[Reason::Duplicate.index()] += 1;
        ingested.skips.push(Skip {
            path: file.rel.clone(),
            line: record.line,
            reason: Reason::Duplicate,
            message: format!("another report has the same `Week` {} and `X` {}", record.day, crate::gofmt::format_g(record.x)),
        });
    }
    ingested.skips.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()).then(a.line.cmp(&b.line)));
    sort_by_object_name(&mut records);
    ingested.records = records;
    Ok(ingested)
}

fn read_file(index: u32, file: &InputFile, limits: &Limits, catalog: &Catalog, spool: &Spool) -> FileOutcome {
    let mut outcome = FileOutcome::default();
    let mut keys = Vec::with_capacity(64);
    let mut line_text = Vec::with_capacity(2048);
    let result = read::read_reports(file, limits, |line, piece| {
        outcome.reports += 1;
        let text = match piece {
            Piece::Text(text) => text,
            Piece::TooLarge(len) => {
                let why = format!("{len} bytes, more than the limit of {}", limits.max_report_bytes);
                outcome.skip(file, line, Reason::TooLarge, why);
                return;
            }
        };
        let text = read::without_newline(text);
        keys.clear();
        match validate::check(text, limits.max_report_bytes, catalog, &mut keys) {
            Ok(valid) => {
                line_text.clear();
                compact::compact_into(text, &mut line_text);
                match spool.put(&line_text) {
                    Ok(at) => {
                        keys.sort_unstable();
                        keys.dedup();
                        outcome.records.push(Record {
                            day: valid.day,
                            x: valid.x,
                            file: index,
                            line,
                            has_programs: valid.has_programs,
                            keys: keys.as_slice().into(),
                            text: at,
                        });
                    }
                    Err(e) => outcome.skip(file, line, Reason::Unreadable, format!("cannot spool the report: {e}")),
                }
            }
            Err((reason, why)) => outcome.skip(file, line, reason, why),
        }
    });
    if let Err(e) = result {
        outcome.skip(file, 0, Reason::Unreadable, format!("cannot read the file: {e}"));
    }
    outcome
}

/// Keeps one record per (day, X): the one from the file whose path sorts last, and within
/// a file the last line. Returns the others.
fn drop_duplicates(records: &mut Vec<Record>) -> Vec<Record> {
    records.par_sort_unstable_by_key(|r| (r.day, r.x.to_bits(), r.file, r.line));
    let mut duplicates = Vec::new();
    let mut kept: Vec<Record> = Vec::with_capacity(records.len());
    for record in records.drain(..) {
        if let Some(last) = kept.last_mut() {
            if last.day == record.day && last.x.to_bits() == record.x.to_bits() {
                duplicates.push(std::mem::replace(last, record));
                continue;
            }
        }
        kept.push(record);
    }
    *records = kept;
    duplicates
}

/// Orders records by day, then as the upload server names objects: `<%g of X>.json`.
fn sort_by_object_name(records: &mut [Record]) {
    records.par_sort_unstable_by_key(|r| (r.day, r.x.to_bits()));
    let mut days: Vec<&mut [Record]> = Vec::new();
    let mut rest = records;
    while !rest.is_empty() {
        let day = rest[0].day;
        let n = rest.iter().position(|r| r.day != day).unwrap_or(rest.len());
        let (head, tail) = rest.split_at_mut(n);
        days.push(head);
        rest = tail;
    }
    days.into_par_iter().for_each(|day| {
        day.sort_by_cached_key(|r| {
            let mut name = crate::gofmt::format_g(r.x);
            name.push_str(".json");
            name
        })
    });
}
