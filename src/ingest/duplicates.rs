//! The duplicate rule, and the order of object names.

use rayon::prelude::*;

use super::{InputFile, Reason, Record, Skip, DETAILS_PER_FILE};
use crate::cache::CachedDuplicate;
use crate::day::Day;

/// A report dropped by the duplicate rule.
pub(super) struct Dropped {
    pub(super) file: u32,
    pub(super) line: u32,
    pub(super) day: Day,
    pub(super) x: f64,
}

/// Keeps one record per (day, X): the one from the file whose path sorts last, and within
/// a file the last line. Returns the others.
pub(super) fn drop_duplicates(records: &mut Vec<Record>) -> Vec<Dropped> {
    records.par_sort_unstable_by_key(Record::rule_order);
    // Compacted in place: `records[..kept]` are the records kept so far, and each later
    // one either replaces the last of them (a duplicate of it) or joins them.
    let mut duplicates = Vec::new();
    let mut kept: usize = 0;
    for next in 0..records.len() {
        if let Some(last) = kept.checked_sub(1).map(|i| &records[i]) {
            if last.same_report(&records[next]) {
                duplicates.push(Dropped { file: last.file, line: last.line, day: last.day, x: last.x });
                records.swap(kept - 1, next);
                continue;
            }
        }
        records.swap(kept, next);
        kept += 1;
    }
    records.truncate(kept);
    duplicates
}

/// Every report the duplicate rule dropped, as the cache keeps them: `kept` (from the
/// previous build, on days not recounted) and `dropped` now, in the order of a clean
/// build's rule (by day, X, path, line). Each is counted in `skipped`, and listed in
/// `skips` while its file has fewer than [`DETAILS_PER_FILE`] skips listed, the other
/// reasons' included.
pub(super) fn list_duplicates(
    kept: Vec<CachedDuplicate>,
    dropped: Vec<Dropped>,
    files: &[InputFile],
    (skipped, skips): (&mut [u64; Reason::ALL.len()], &mut Vec<Skip>),
) -> Vec<CachedDuplicate> {
    let mut duplicates = kept;
    duplicates.extend(dropped.into_iter().map(|d| CachedDuplicate {
        day: d.day.0,
        x: d.x,
        rel: files[d.file as usize].rel().to_string(),
        line: d.line,
    }));
    duplicates.sort_unstable_by(|a, b| {
        (a.day, a.x.to_bits(), a.rel.as_bytes(), a.line).cmp(&(b.day, b.x.to_bits(), b.rel.as_bytes(), b.line))
    });
    let mut details: rustc_hash::FxHashMap<String, usize> = Default::default();
    for skip in skips.iter() {
        *details.entry(skip.path.clone()).or_default() += 1;
    }
    for dropped in &duplicates {
        skipped[Reason::Duplicate.index()] += 1;
        if !details.contains_key(dropped.rel.as_str()) {
            details.insert(dropped.rel.clone(), 0);
        }
        let shown = details.get_mut(dropped.rel.as_str()).expect("inserted");
        if *shown >= DETAILS_PER_FILE {
            continue; // counted, not detailed: a file of one line repeated must not cost memory per line
        }
        *shown += 1;
        skips.push(Skip {
            path: dropped.rel.clone(),
            line: dropped.line,
            reason: Reason::Duplicate,
            message: format!(
                "another report has the same `Week` {} and `X` {}",
                Day(dropped.day),
                crate::gofmt::format_g(dropped.x)
            ),
        });
    }
    duplicates
}

/// Orders records sorted by day and X (as [`drop_duplicates`] leaves them) by day, then as
/// the upload server names objects: `<%g of X>.json`. Within a day that moves only the
/// X below 1e-4 (see [`object_name_order`]), so a stable sort of each day takes one pass.
pub(super) fn sort_by_object_name(records: &mut [Record]) {
    for day in records.chunk_by_mut(|a, b| a.day == b.day) {
        day.sort_by(|a, b| object_name_order(a.x, b.x));
    }
}

/// The byte order of the object names `<%g of a>.json` and `<%g of b>.json`, for valid X
/// (0 < X < 1), without formatting in the common case. For 1e-4 <= X < 1, `%g` writes the
/// shortest digits as `0.ddd`, and those names sort as the numbers do: where two digit
/// strings differ they order like the numbers, and where one is a prefix of the other the
/// shorter is smaller and its `.json` sorts before any digit. Below 1e-4, `%g` writes
/// `d.ddde-05`, which sorts after every `0.` name, and among themselves by their text.
pub fn object_name_order(a: f64, b: f64) -> std::cmp::Ordering {
    const EXPONENT_FORM: f64 = 1e-4;
    match (a < EXPONENT_FORM, b < EXPONENT_FORM) {
        (false, false) => a.total_cmp(&b),
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        (true, true) => crate::gofmt::object_name(a).cmp(&crate::gofmt::object_name(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::{drop_duplicates, object_name_order, Record};
    use crate::ingest::tests::record;

    #[test]
    fn of_reports_sharing_day_and_x_the_last_file_and_line_is_kept() {
        let mut records = vec![
            record(2, 0.5, 0, 1),
            record(1, 0.5, 1, 1),
            record(1, 0.5, 0, 3),
            record(1, 0.25, 0, 2),
            record(1, 0.5, 0, 4),
            record(2, 0.75, 2, 1),
        ];
        let dropped = drop_duplicates(&mut records);
        let kept: Vec<(i32, f64, u32, u32)> = records.iter().map(|r| (r.day.0, r.x, r.file, r.line)).collect();
        assert_eq!(kept, [(1, 0.25, 0, 2), (1, 0.5, 1, 1), (2, 0.5, 0, 1), (2, 0.75, 2, 1)]);
        assert!(
            records.iter().all(|r| r.keys == crate::ingest::tests::tag(r.file, r.line)),
            "each record keeps its own keys"
        );
        let dropped: Vec<(i32, u32, u32)> = dropped.iter().map(|d| (d.day.0, d.file, d.line)).collect();
        assert_eq!(dropped, [(1, 0, 3), (1, 0, 4)]);
    }

    #[test]
    fn the_duplicate_rule_keeps_the_last_of_each_day_and_x_whatever_the_order() {
        let mut rng = crate::aggregate::tests::Rng(7);
        let mut next = |n: u64| rng.below(n);
        for round in 0..200 {
            let count = next(40) as u32;
            // Grouped by day (as files give them) in half the rounds, shuffled in the others.
            let mut made: Vec<(i32, u64, u32, u32)> =
                (0..count).map(|i| (next(5) as i32, next(4), next(3) as u32, i)).collect();
            if round % 2 == 0 {
                made.sort_by_key(|m| m.0);
            }
            let mut records: Vec<Record> =
                made.iter().map(|&(day, x, file, line)| record(day, (x + 1) as f64 / 8.0, file, line)).collect();
            // By brute force: the largest (file, line) of each (day, X) is kept.
            let mut last: std::collections::BTreeMap<(i32, u64), (u32, u32)> = Default::default();
            for &(day, x, file, line) in &made {
                let best = last.entry((day, x)).or_insert((file, line));
                *best = (*best).max((file, line));
            }
            let expected_kept: Vec<(i32, u64, u32, u32)> = last.iter().map(|(&(d, x), &(f, l))| (d, x, f, l)).collect();
            let mut expected_dropped: Vec<(i32, u32, u32)> =
                made.iter().filter(|m| last[&(m.0, m.1)] != (m.2, m.3)).map(|m| (m.0, m.2, m.3)).collect();
            expected_dropped.sort_unstable();
            let dropped = drop_duplicates(&mut records);
            let kept: Vec<(i32, u64, u32, u32)> =
                records.iter().map(|r| (r.day.0, (r.x * 8.0) as u64 - 1, r.file, r.line)).collect();
            assert_eq!(kept, expected_kept, "round {round}");
            assert!(
                records.iter().all(|r| r.keys == crate::ingest::tests::tag(r.file, r.line)),
                "each record keeps its own keys"
            );
            let mut dropped: Vec<(i32, u32, u32)> = dropped.iter().map(|d| (d.day.0, d.file, d.line)).collect();
            dropped.sort_unstable();
            assert_eq!(dropped, expected_dropped, "round {round}");
        }
    }

    /// The order of the object names as strings, the definition, against the shortcut.
    #[test]
    fn object_name_order_is_the_order_of_the_names() {
        let mut xs: Vec<f64> = vec![
            0.5,
            0.55,
            0.50001,
            0.1,
            0.0001,
            0.00010000000000000002,
            9.999999999999999e-05,
            1.5e-05,
            2e-06,
            1.2345e-05,
            0.9999999999999999,
            0.12,
            0.125,
            0.3,
            0.30000000000000004,
            4.9e-324,
            1e-300,
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let k = state >> 12; // 52 bits, as clients draw X
            if k != 0 {
                let x = k as f64 / 4_503_599_627_370_496.0;
                xs.push(x);
                xs.push(x / 100_000.0);
            }
        }
        let name = |x: &f64| crate::gofmt::object_name(*x);
        let mut by_name = xs.clone();
        by_name.sort_by_key(name);
        let mut by_shortcut = xs;
        by_shortcut.sort_by(|a, b| object_name_order(*a, *b));
        assert!(by_name.iter().map(name).eq(by_shortcut.iter().map(name)));
    }
}
