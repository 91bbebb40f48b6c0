//! Aggregation: valid records -> the counts behind every daily and weekly chart set,
//! with telemetry.go.dev's worker semantics.
//!
//! A bucket's value is the number of distinct uploaders (`X`) whose report in the range
//! has that bucket. After ingest, (day, X) is unique, so a daily count is a plain count of
//! reports. A weekly count is the sum of its seven daily counts, less the repeats of the
//! few `X` that upload on more than one day of the window, which are found and counted
//! exactly. Chart sets are materialised one at a time ([`Aggregates::chart_set`]) so a
//! year of them never sits in memory as strings.

pub mod plan;
pub mod uploaders;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

pub use plan::{ChartKind, ChartPlan, Plan, ProgramPlan};

use crate::chartset::{Chart, ChartSet, Datum, ProgramCharts};
use crate::day::Day;
use crate::ingest::key_ids::KeyIds;
use crate::ingest::{Partial, Record};

/// The counts of one chart set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SetCounts {
    pub start: Day,
    pub end: Day,
    pub num_reports: u64,
    /// The latest day in the range with a report that has a program report.
    pub week: Option<Day>,
    /// Distinct uploaders per global bucket id.
    pub counts: Vec<u32>,
}

impl SetCounts {
    pub fn is_daily(&self) -> bool {
        self.start == self.end
    }

    /// `D` or `START_END`, the file stem under `charts/`.
    pub fn name(&self) -> String {
        set_name(self.start, self.end)
    }

    /// The `Week` of the set's data: its latest day with a program report, or empty.
    pub fn week_text(&self) -> String {
        self.week.map(|d| d.to_string()).unwrap_or_default()
    }
}

/// The name of the chart set of days `start..=end`: `D` for one day, `START_END` for more.
pub fn set_name(start: Day, end: Day) -> String {
    if start == end {
        end.to_string()
    } else {
        format!("{start}_{end}")
    }
}

/// Every chart set's counts, daily and weekly, in order of end day, daily first.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregates {
    pub plan: Plan,
    pub sets: Vec<SetCounts>,
}

impl Aggregates {
    /// The chart set `sets[index]` in telemetry.go.dev's schema; `week` is the set's
    /// [`SetCounts::week_text`].
    pub fn chart_set<'a>(&'a self, index: usize, week: &'a str) -> ChartSet<'a> {
        chart_set(&self.plan, &self.sets[index], week)
    }

    /// Days that have at least one valid report, in order.
    pub fn days(&self) -> impl Iterator<Item = &SetCounts> {
        self.sets.iter().filter(|s| s.is_daily())
    }

    /// Indexes into `sets` of the non-overlapping weekly sets: those ending on the same
    /// weekday as the newest set and starting on or after the first day with data, oldest
    /// first (the points of a trend and the entries of the feed).
    pub fn trend_weeks(&self) -> Vec<usize> {
        let (Some(first_day), Some(last)) = (self.first_day(), self.sets.last()) else {
            return Vec::new();
        };
        self.sets
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_daily() && s.start >= first_day && (last.end.0 - s.end.0) % 7 == 0)
            .map(|(i, _)| i)
            .collect()
    }

    /// The first day with a valid report.
    pub fn first_day(&self) -> Option<Day> {
        self.sets.first().map(|first| first.start)
    }

    /// For a weekly set that starts before [`Aggregates::first_day`], how many of its 7
    /// days come on or after that day (its counts cover only those); `None` for the rest.
    pub fn days_covered(&self, index: usize) -> Option<i32> {
        let (set, first_day) = (&self.sets[index], self.first_day()?);
        (!set.is_daily() && set.start < first_day).then(|| set.end.0 - first_day.0 + 1)
    }

    /// Distinct uploaders of `program` (an index into `plan.programs`) in `sets[set]`.
    pub fn uploaders(&self, set: usize, program: usize) -> u32 {
        self.sets[set].counts[self.plan.programs[program].uploaders_bucket as usize]
    }
}

/// Counts every chart set. `records` must be sorted by day with (day, X) unique;
/// `key_buckets[k]` lists the buckets key `k` counts in; `groups` are the uploaders with
/// reports on more than one day ([`uploaders::groups`]).
///
/// With `partial`, `records` hold only the days of [`Partial::days`]: the daily sets of
/// other days, and the weekly sets with none of those days, are the previous build's; and
/// `groups` must hold every repeat of the windows that have one of those days.
pub fn aggregate(
    plan: Plan,
    records: &[Record],
    key_buckets: &[Vec<u32>],
    partial: Option<&Partial>,
    groups: &[uploaders::Group<'_>],
) -> Aggregates {
    let width = plan.bucket_count as usize;
    let days = split_by_day(records);
    let mut daily: Vec<SetCounts> = days
        .par_iter()
        .map(|(day, records)| {
            let mut counts = vec![0u32; width];
            let mut scratch = Vec::new();
            let mut with_programs = false;
            for record in *records {
                with_programs |= record.has_programs;
                for &b in key_buckets_of(&record.keys, key_buckets, &mut scratch) {
                    counts[b as usize] += 1;
                }
            }
            SetCounts {
                start: *day,
                end: *day,
                num_reports: records.len() as u64,
                week: with_programs.then_some(*day),
                counts,
            }
        })
        .collect();
    if let Some(partial) = partial {
        daily.extend(partial.kept_daily().cloned());
        daily.sort_unstable_by_key(|s| s.end);
    }
    let previous_weekly: FxHashMap<Day, &SetCounts> =
        partial.iter().flat_map(|p| &p.sets).filter(|s| !s.is_daily()).map(|s| (s.end, s)).collect();
    let recounted = |end: Day| partial.is_none_or(|p| (0..7).any(|back| p.days.contains(&end.plus(-back))));
    // The previous build's weekly set where none of its days was recounted.
    let kept: Vec<Option<&SetCounts>> =
        daily.iter().map(|d| previous_weekly.get(&d.end).copied().filter(|_| !recounted(d.end))).collect();
    let ends: FxHashSet<Day> = daily.iter().zip(&kept).filter(|(_, k)| k.is_none()).map(|(d, _)| d.end).collect();
    let repeats = repeat_corrections(groups, key_buckets, &ends, width);
    let weekly: Vec<SetCounts> = (0..daily.len())
        .into_par_iter()
        .map(|i| match kept[i] {
            Some(set) => set.clone(),
            None => weekly_set(&daily, i, repeats.get(&daily[i].end)),
        })
        .collect();
    let mut sets = Vec::with_capacity(daily.len() * 2);
    for (d, w) in daily.into_iter().zip(weekly) {
        sets.push(d);
        sets.push(w);
    }
    Aggregates { plan, sets }
}

/// The weekly set ending on `daily[i].end`: the sum of the window's daily sets, less the
/// repeats of uploaders seen on several of its days.
fn weekly_set(daily: &[SetCounts], i: usize, repeats: Option<&FxHashMap<u32, u32>>) -> SetCounts {
    let end = daily[i].end;
    let start = end.plus(-6);
    let mut set = SetCounts { start, end, num_reports: 0, week: None, counts: vec![0; daily[i].counts.len()] };
    for day in daily[..=i].iter().rev().take_while(|d| d.end >= start) {
        set.num_reports += day.num_reports;
        set.week = set.week.max(day.week);
        for (sum, n) in set.counts.iter_mut().zip(&day.counts) {
            *sum += n;
        }
    }
    for (&bucket, &extra) in repeats.into_iter().flatten() {
        set.counts[bucket as usize] -= extra;
    }
    set
}

/// For each window end day in `ends`, per bucket, how many times uploaders that report on
/// more than one day of the window (`groups`) were counted beyond once. `width` is the
/// number of buckets.
fn repeat_corrections(
    groups: &[uploaders::Group<'_>],
    key_buckets: &[Vec<u32>],
    ends: &FxHashSet<Day>,
    width: usize,
) -> FxHashMap<Day, FxHashMap<u32, u32>> {
    groups
        .par_iter()
        .fold(
            || (FxHashMap::default(), Tally::new(width)),
            |(mut corrections, mut tally), group| {
                add_corrections(group, key_buckets, ends, &mut tally, &mut corrections);
                (corrections, tally)
            },
        )
        .map(|(corrections, _)| corrections)
        .reduce(FxHashMap::default, |mut all, part| {
            for (end, extras) in part {
                let entry = all.entry(end).or_default();
                for (b, n) in extras {
                    *entry.entry(b).or_default() += n;
                }
            }
            all
        })
}

/// A count per bucket of the reports in one window, and the buckets counted: reset after
/// each window by what it touched, not by its width.
struct Tally {
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl Tally {
    fn new(width: usize) -> Tally {
        Tally { counts: vec![0; width], touched: Vec::new() }
    }
}

/// Adds to `corrections` those of one uploader's reports: each window that ends in `ends`
/// and holds two or more of them. Only windows that end within six days after one of its
/// reports can, so those are the ones visited, each once, in order; the reports in each are
/// a run of the group's (by day), so a window costs its own reports, not the group's.
fn add_corrections(
    group: &uploaders::Group<'_>,
    key_buckets: &[Vec<u32>],
    ends: &FxHashSet<Day>,
    tally: &mut Tally,
    corrections: &mut FxHashMap<Day, FxHashMap<u32, u32>>,
) {
    let members = &group.uploads;
    // Each report's buckets, once (a report is in up to seven windows): `bucket_list`
    // from `starts[i]` to `starts[i + 1]` for report `i`.
    let (mut scratch, mut bucket_list, mut starts) = (Vec::new(), Vec::new(), vec![0]);
    for member in members {
        bucket_list.extend_from_slice(key_buckets_of(member.keys, key_buckets, &mut scratch));
        starts.push(bucket_list.len());
    }
    let mut visited: Option<Day> = None;
    let mut first = 0;
    for (i, member) in members.iter().enumerate() {
        for end in (0..7).map(|after| member.day.plus(after)) {
            if visited.is_some_and(|v| end <= v) {
                continue;
            }
            visited = Some(end);
            if !ends.contains(&end) {
                continue;
            }
            while members[first].day < end.plus(-6) {
                first += 1;
            }
            let past = i + members[i..].partition_point(|u| u.day <= end);
            if past - first < 2 {
                continue;
            }
            for &b in &bucket_list[starts[first]..starts[past]] {
                if tally.counts[b as usize] == 0 {
                    tally.touched.push(b);
                }
                tally.counts[b as usize] += 1;
            }
            let entry = corrections.entry(end).or_default();
            for b in tally.touched.drain(..) {
                let n = std::mem::take(&mut tally.counts[b as usize]);
                if n > 1 {
                    *entry.entry(b).or_default() += n - 1;
                }
            }
        }
    }
}

/// The distinct buckets a report with these key ids counts in.
fn key_buckets_of<'s>(keys: &KeyIds, key_buckets: &[Vec<u32>], scratch: &'s mut Vec<u32>) -> &'s [u32] {
    scratch.clear();
    for k in keys {
        scratch.extend_from_slice(&key_buckets[k as usize]);
    }
    scratch.sort_unstable();
    scratch.dedup();
    scratch
}

fn split_by_day(records: &[Record]) -> Vec<(Day, &[Record])> {
    let mut days = Vec::new();
    for group in records.chunk_by(|a, b| a.day == b.day) {
        days.push((group[0].day, group));
    }
    days
}

/// Builds the chart set of `counts` under `plan`: every program, its charts that have data,
/// each with its buckets in plan order (empty Version and GoVersion buckets dropped).
/// `week` is the text of `counts.week` ([`SetCounts::week_text`]).
pub fn chart_set<'a>(plan: &'a Plan, counts: &SetCounts, week: &'a str) -> ChartSet<'a> {
    let programs = plan
        .programs
        .iter()
        .map(|program| ProgramCharts {
            id: &program.id,
            name: &program.name,
            charts: program
                .charts
                .iter()
                .filter_map(|chart| {
                    let values = &counts.counts[chart.first_bucket as usize..][..chart.buckets.len()];
                    if values.iter().all(|&v| v == 0) {
                        return None;
                    }
                    let mut data = Vec::with_capacity(values.len());
                    data.extend(
                        chart
                            .buckets
                            .iter()
                            .zip(values)
                            .filter(|(_, &v)| v > 0 || chart.kind.keeps_empty_buckets())
                            .map(|(key, &value)| Datum { week, key, value: u64::from(value) }),
                    );
                    Some(Chart { id: &chart.id, name: &chart.name, kind: "partition", data })
                })
                .collect(),
            uploaders: u64::from(counts.counts[program.uploaders_bucket as usize]),
        })
        .collect();
    ChartSet {
        date_range: [counts.start.to_string(), counts.end.to_string()],
        programs,
        num_reports: counts.num_reports,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::ingest::spool::SpoolRef;

    /// splitmix64: a tiny deterministic generator for test data.
    pub(crate) struct Rng(pub(crate) u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn plan_with_buckets(n: u32) -> Plan {
        let mut plan = Plan::default();
        plan.programs.push(ProgramPlan {
            name: "p".into(),
            id: "charts:p".into(),
            charts: Vec::new(),
            uploaders_bucket: n,
        });
        plan.bucket_count = n + 1;
        plan
    }

    /// The counts of a build that counts every record.
    fn full(plan: Plan, records: &[Record], key_buckets: &[Vec<u32>]) -> Aggregates {
        aggregate(plan, records, key_buckets, None, &uploaders::groups(records, &[]))
    }

    /// A report of uploader `x` on `day` with these keys.
    pub(super) fn record(day: i32, x: f64, keys: Vec<u32>) -> Record {
        Record {
            day: Day(day),
            x,
            file: 0,
            line: 0,
            has_programs: !keys.is_empty(),
            has_stacks: false,
            keys: KeyIds::new(&keys),
            text: SpoolRef::default(),
        }
    }

    /// Reports on `day` of some of the uploaders `1/64..=pool/64`, with random keys among 0..7.
    fn day_of_reports(rng: &mut Rng, day: i32, pool: u64) -> Vec<Record> {
        let mut reports = Vec::new();
        for x in 1..=pool {
            if rng.below(3) == 0 {
                reports.push(record(day, x as f64 / 64.0, (0..7).filter(|_| rng.below(2) == 0).collect()));
            }
        }
        reports
    }

    fn set(start: i32, end: i32) -> SetCounts {
        SetCounts { start: Day(start), end: Day(end), num_reports: 1, week: None, counts: Vec::new() }
    }

    #[test]
    fn trend_weeks_end_on_the_newest_weekday_and_start_within_the_data() {
        // Days with data: 100..=115 (daily then weekly set for each).
        let mut sets = Vec::new();
        for d in 100..=115 {
            sets.push(set(d, d));
            sets.push(set(d - 6, d));
        }
        let aggregates = Aggregates { plan: Plan::default(), sets };
        let ends: Vec<i32> = aggregates.trend_weeks().iter().map(|&i| aggregates.sets[i].end.0).collect();
        // 115, 108 end on the newest weekday; 101 would start at 95, before the first day.
        assert_eq!(ends, vec![108, 115]);
    }

    /// Daily and weekly sets for each of `days`.
    fn sets_of(days: &[i32]) -> Aggregates {
        let sets = days.iter().flat_map(|&d| [set(d, d), set(d - 6, d)]).collect();
        Aggregates { plan: Plan::default(), sets }
    }

    #[test]
    fn days_covered_counts_a_weekly_sets_days_from_the_first_day_with_data() {
        let aggregates = sets_of(&[100, 101, 104, 107]);
        let covered: Vec<Option<i32>> = (0..aggregates.sets.len()).map(|i| aggregates.days_covered(i)).collect();
        // Daily sets never; weekly ending 100 covers 100 (1 day), 101: 2, 104: 5, 107: 100..=106
        // would be 7 days: starts at 101, on or after the first day, so None.
        assert_eq!(covered, [None, Some(1), None, Some(2), None, Some(5), None, None]);
        assert_eq!(aggregates.first_day(), Some(Day(100)));
    }

    /// Weekly counts by brute force: the union of uploader sets over the window's days.
    #[test]
    fn weekly_counts_match_set_unions_with_uploaders_on_many_days() {
        for seed in 0..20 {
            let mut rng = Rng(seed);
            let buckets = 6u32;
            // keys 0..6 map to one bucket each; key 6 maps to buckets 0 and 1 (one name in two charts).
            let mut key_buckets: Vec<Vec<u32>> = (0..buckets).map(|b| vec![b]).collect();
            key_buckets.push(vec![0, 1]);
            let uploaders: Vec<f64> = (1..=12).map(|i| i as f64 / 16.0).collect();
            let mut records = Vec::new();
            for day in 0..30 {
                let mut xs = uploaders.clone();
                xs.retain(|_| rng.below(3) == 0);
                for x in xs {
                    let mut keys: Vec<u32> = (0..7).filter(|_| rng.below(2) == 0).collect();
                    keys.sort_unstable();
                    records.push(record(20_000 + day * (1 + (seed as i32 % 2)), x, keys));
                }
            }
            let got = full(plan_with_buckets(buckets), &records, &key_buckets);
            // brute force
            let mut sets: BTreeMap<(Day, u32), BTreeSet<u64>> = BTreeMap::new();
            let days: BTreeSet<Day> = records.iter().map(|r| r.day).collect();
            for r in &records {
                let mut bs: Vec<u32> = r.keys.iter().flat_map(|k| key_buckets[k as usize].clone()).collect();
                bs.sort_unstable();
                bs.dedup();
                for b in bs {
                    sets.entry((r.day, b)).or_default().insert(r.x.to_bits());
                }
            }
            for set in got.sets.iter().filter(|s| !s.is_daily()) {
                for b in 0..buckets {
                    let mut union = BTreeSet::new();
                    for d in &days {
                        if *d >= set.start && *d <= set.end {
                            union.extend(sets.get(&(*d, b)).into_iter().flatten().copied());
                        }
                    }
                    assert_eq!(set.counts[b as usize] as usize, union.len(), "seed {seed} {} bucket {b}", set.name());
                }
                let reports = records.iter().filter(|r| r.day >= set.start && r.day <= set.end).count();
                assert_eq!(set.num_reports as usize, reports);
                let week = records
                    .iter()
                    .filter(|r| r.day >= set.start && r.day <= set.end && r.has_programs)
                    .map(|r| r.day)
                    .max();
                assert_eq!(set.week, week);
            }
        }
    }

    /// A rebuild recounts only the changed day and the neighbours the prints point to, with
    /// the cached counts and repeats for the rest: its counts and the uploaders it leaves
    /// for the next build are those of a build that counts everything, change after change.
    #[test]
    fn a_recount_of_the_changed_days_gives_the_counts_of_a_full_count() {
        let buckets = 6u32;
        let mut key_buckets: Vec<Vec<u32>> = (0..buckets).map(|b| vec![b]).collect();
        key_buckets.push(vec![0, 1]);
        let plan = || plan_with_buckets(buckets);
        let mut parsed_neighbours = 0;
        for seed in 0..40 {
            let mut rng = Rng(seed);
            // 45 days of 12 uploaders who report on many days each: longer than the twelve
            // days either side of a change whose cached repeats a rebuild takes.
            let mut records: Vec<Record> = (0..45).flat_map(|d| day_of_reports(&mut rng, 100 + d, 12)).collect();
            let groups = uploaders::groups(&records, &[]);
            let mut sets = aggregate(plan(), &records, &key_buckets, None, &groups).sets;
            let mut before = uploaders::Uploaders::after(&records, &groups, None);
            for _ in 0..6 {
                // A day changed, removed, or added after the last; its reports from a larger
                // pool of uploaders, some of whom report on other days.
                let day = 100 + rng.below(47) as i32;
                let fresh = if rng.below(4) == 0 { Vec::new() } else { day_of_reports(&mut rng, day, 40) };
                records.retain(|r| r.day.0 != day);
                records.extend(fresh.iter().map(|r| record(r.day.0, r.x, r.keys.to_vec())));
                records.sort_by_key(|r| r.day);

                let dirty = BTreeSet::from([Day(day)]);
                let mut days = before.days_near(fresh.iter().map(|r| (r.day, r.x.to_bits())), &dirty);
                parsed_neighbours += days.len();
                days.extend(dirty);
                let recounted: Vec<Record> = records
                    .iter()
                    .filter(|r| days.contains(&r.day))
                    .map(|r| record(r.day.0, r.x, r.keys.to_vec()))
                    .collect();
                let partial = Partial { days, sets, uploaders: before };
                let kept: Vec<&uploaders::Repeat> = partial.uploaders.kept_repeats(&partial.days).collect();
                let groups = uploaders::groups(&recounted, &kept);
                let got = aggregate(plan(), &recounted, &key_buckets, Some(&partial), &groups);
                let after = uploaders::Uploaders::after(&recounted, &groups, Some((&partial.uploaders, &partial.days)));

                let all_groups = uploaders::groups(&records, &[]);
                let want = aggregate(plan(), &records, &key_buckets, None, &all_groups);
                assert_eq!(got.sets, want.sets, "seed {seed}, day {day}");
                assert_eq!(after, uploaders::Uploaders::after(&records, &all_groups, None), "seed {seed}");
                (sets, before) = (got.sets, after);
            }
        }
        // The prints sent some rebuilds to a neighbour (these uploaders report on many days).
        assert!(parsed_neighbours > 0);
    }
}
