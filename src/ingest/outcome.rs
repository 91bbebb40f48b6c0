//! What a share of the files held: records, skips, stats and stacks, folded per thread
//! and merged.

use rayon::prelude::*;

use super::{read, InputFile, Reason, Record, Skip, DETAILS_PER_FILE};

/// What a share of the files held (folded per thread, then merged).
#[derive(Default)]
pub(super) struct FileOutcome {
    pub(super) records: Vec<Record>,
    /// Records of other shares, merged in but not yet moved into `records` (see
    /// [`FileOutcome::flatten`]): a year's records are 56 MB, and moving them at every
    /// merge copied each several times, on one core at the end.
    pub(super) more_records: Vec<Vec<Record>>,
    pub(super) reports: u64,
    /// Valid reports whose texts were not spooled (see [`super::Ingested::textless`]).
    pub(super) textless: u64,
    pub(super) skipped: [u64; Reason::ALL.len()],
    pub(super) skips: Vec<Skip>,
    /// (file, reason, count) for every file with skips, for the cache.
    pub(super) file_skips: Vec<(u32, Reason, u32)>,
    /// (file, stat and hash) of every file read, as opened.
    pub(super) stats: Vec<(u32, read::FileRead)>,
    /// Files whose reading failed for a reason outside their content (an OS error:
    /// permissions, I/O): what this build made of them is not kept for the next one.
    pub(super) unsettled: Vec<u32>,
    /// The stacks of the valid reports that have some, seen as they were parsed, when a
    /// cache is made: it takes them from here rather than reading the reports back.
    pub(super) stacks: Vec<SeenStacks>,
    /// Their (stack id, count) pairs, all in one vector: a small allocation per report,
    /// held until the end of the parse, would fragment the heap that parsing churns.
    pub(super) stack_counts: Vec<(u32, u64)>,
    /// Time spent, summed over threads: reading and decompressing, parsing and checking,
    /// spooling the valid reports.
    pub(super) cpu: CpuTimes,
}

/// The stacks of one valid report (by file and line): `len` (stack id in a
/// [`crate::cache::StackNames`], count) pairs from `start` in [`FileOutcome::stack_counts`].
#[derive(Clone, Copy)]
pub(super) struct SeenStacks {
    pub(super) file: u32,
    pub(super) line: u32,
    pub(super) start: u32,
    pub(super) len: u32,
}

/// Seconds of one part of ingest, summed over the threads that did it (for `-v`).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct CpuTimes {
    /// Reading files, less decompressing them.
    pub(super) read: std::time::Duration,
    pub(super) decompress: std::time::Duration,
    /// Rules 1 and 2: the text and its JSON ([`super::validate::parse`]).
    pub(super) parse: std::time::Duration,
    /// Rules 3 and 4: the report's values and names ([`super::validate::judge`]).
    pub(super) validate: std::time::Duration,
    pub(super) spool: std::time::Duration,
}

impl FileOutcome {
    /// Counts a skip; keeps its details unless this file already has `DETAILS_PER_FILE`.
    /// The message is made only for a skip that is kept: a gzip bomb of blank lines has
    /// a billion skips.
    pub(super) fn skip(
        &mut self,
        details_in_file: &mut usize,
        file: &InputFile,
        line: u32,
        reason: Reason,
        message: impl FnOnce() -> String,
    ) {
        self.skipped[reason.index()] += 1;
        if *details_in_file < DETAILS_PER_FILE {
            *details_in_file += 1;
            self.skips.push(Skip { path: file.rel().to_string(), line, reason, message: message() });
        }
    }

    pub(super) fn merge(mut self, other: FileOutcome) -> FileOutcome {
        if self.records.len() < other.records.len() {
            return other.merge(self);
        }
        self.more_records.push(other.records);
        self.more_records.extend(other.more_records);
        self.reports += other.reports;
        self.textless += other.textless;
        for (sum, n) in self.skipped.iter_mut().zip(other.skipped) {
            *sum += n;
        }
        self.skips.extend(other.skips);
        self.file_skips.extend(other.file_skips);
        self.stats.extend(other.stats);
        self.unsettled.extend(other.unsettled);
        let base = self.stack_counts.len() as u32;
        self.stack_counts.extend(other.stack_counts);
        self.stacks.extend(other.stacks.into_iter().map(|s| SeenStacks { start: s.start + base, ..s }));
        self.cpu.read += other.cpu.read;
        self.cpu.decompress += other.cpu.decompress;
        self.cpu.parse += other.cpu.parse;
        self.cpu.validate += other.cpu.validate;
        self.cpu.spool += other.cpu.spool;
        self
    }

    /// Moves every merged record into `records`, each once, in the order of their files
    /// where it can: each share's records are in file order, and the shares of one parse
    /// hold runs of files that do not overlap, so they go in the order of their first file.
    pub(super) fn flatten(mut self) -> FileOutcome {
        let mut runs = std::mem::take(&mut self.more_records);
        if runs.is_empty() {
            return self;
        }
        runs.push(std::mem::take(&mut self.records));
        runs.retain(|run| !run.is_empty());
        runs.sort_by_key(|run| run.first().map(|r| (r.file, r.line)));
        let mut runs = runs.into_iter();
        self.records = runs.next().unwrap_or_default();
        append_in_parallel(&mut self.records, runs.collect());
        self
    }
}

/// Moves the records of `runs` to the end of `records`, in order, the runs in parallel:
/// a year's records are 60 MB, and one core moving them into fresh pages took 0.03 s.
/// `records` grows in place (a large vector is remapped when it grows, not copied).
pub(super) fn append_in_parallel(records: &mut Vec<Record>, runs: Vec<Vec<Record>>) {
    let start = records.len();
    let added = runs.iter().map(Vec::len).sum::<usize>();
    records.reserve_exact(added);
    let mut free = &mut records.spare_capacity_mut()[..added];
    let mut slots = Vec::with_capacity(runs.len());
    for run in &runs {
        let (slot, rest) = free.split_at_mut(run.len());
        slots.push(slot);
        free = rest;
    }
    slots.into_par_iter().zip(runs).for_each(|(slot, run)| {
        for (place, record) in slot.iter_mut().zip(run) {
            place.write(record);
        }
    });
    // SAFETY: the slots tile `start..start + added` and each was given as many records as
    // it holds, so every place up to the new length is initialised. (A panic above leaves
    // the length as it was: the records moved so far leak, nothing is read uninitialised.)
    unsafe { records.set_len(start + added) };
}

#[cfg(test)]
mod tests {
    use super::append_in_parallel;
    use crate::ingest::tests::record;

    #[test]
    fn runs_are_appended_in_order_each_record_once() {
        let run = |file: u32, lines: u32| (0..lines).map(|line| record(1, 0.5, file, line)).collect::<Vec<_>>();
        let mut records = run(0, 3);
        append_in_parallel(&mut records, vec![run(1, 1000), Vec::new(), run(2, 1), run(3, 2500)]);
        let expected: Vec<(u32, u32)> =
            [(0, 3), (1, 1000), (2, 1), (3, 2500)].iter().flat_map(|&(f, n)| (0..n).map(move |l| (f, l))).collect();
        assert_eq!(records.iter().map(|r| (r.file, r.line)).collect::<Vec<_>>(), expected);
        assert!(records.iter().all(|r| r.keys == crate::ingest::tests::tag(r.file, r.line)), "each record moved whole");
        let mut empty = Vec::new();
        append_in_parallel(&mut empty, vec![Vec::new(), run(4, 2)]);
        assert_eq!(empty.iter().map(|r| (r.file, r.line)).collect::<Vec<_>>(), [(4, 0), (4, 1)]);
    }
}
