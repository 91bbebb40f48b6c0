//! Trends: every program's charts across history, one point per non-overlapping week.
//!
//! A point is a weekly chart set from [`Aggregates::trend_weeks`]; its value for a bucket
//! is the bucket's count that week (distinct uploaders with the bucket) and its share is
//! that count over the program's distinct uploaders that week, so weeks with more or fewer
//! uploaders compare. Too many lines make a chart unreadable, so the chart draws the
//! [`MAX_LINES`] buckets with the largest share in the newest week and folds the rest into
//! one "other" line; the table keeps every bucket.
//!
//! "other" is the SUM of the folded buckets' values. For counter charts an uploader may
//! have several folded buckets, and even for GOOS, GOARCH, Version and GoVersion one report
//! may hold two program reports of one program, so "other" can count an uploader more than
//! once and its share is an upper bound (it may exceed 100%). Exact unions would need the
//! uploaders themselves, which aggregation does not keep.

use crate::aggregate::{Aggregates, ChartKind};
use crate::day::Day;

/// Lines a trend chart draws before folding the rest into "other".
pub const MAX_LINES: usize = 8;
/// Default uploaders below which a week's points are marked low-confidence.
pub const DEFAULT_MIN_UPLOADERS: u32 = 30;

/// One non-overlapping week: a point of every trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendWeek {
    /// Index into `Aggregates::sets`.
    pub set: usize,
    pub start: Day,
    pub end: Day,
}

impl TrendWeek {
    /// `START_END`: the chart set's file stem.
    pub fn name(&self) -> String {
        crate::aggregate::set_name(self.start, self.end)
    }
}

/// One bucket's values, one per trend week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSeries {
    pub name: String,
    pub values: Vec<u32>,
}

impl BucketSeries {
    pub fn latest(&self) -> u32 {
        self.values.last().copied().unwrap_or(0)
    }
}

/// One chart of one program across the trend weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// Indexes into `plan.programs` and that program's `charts`.
    pub program: usize,
    pub chart: usize,
    pub program_name: String,
    pub chart_name: String,
    pub kind: ChartKind,
    /// Distinct uploaders of the program, per week.
    pub uploaders: Vec<u32>,
    /// Per week: fewer uploaders than the threshold.
    pub low_confidence: Vec<bool>,
    /// Every bucket with a value in some week, in chart order (the table).
    pub buckets: Vec<BucketSeries>,
    /// Indexes into `buckets` of the lines drawn, largest newest share first.
    pub top: Vec<usize>,
    /// The sum of the buckets not in `top`, when there are any.
    pub other: Option<BucketSeries>,
}

/// The share of `value` among `uploaders`; 0 when there are none.
pub fn share(value: u32, uploaders: u32) -> f64 {
    if uploaders == 0 {
        0.0
    } else {
        f64::from(value) / f64::from(uploaders)
    }
}

/// `value` as a percentage of `total`, for text (trend pages, chart set tables); 0 when
/// the total is. Computed as `value * 100 / total`, so a percentage that is a tie at the
/// digit shown is that exact tie (196 of 320 is 61.25, shown `61.2`), not `share * 100`,
/// which is 61.250000000000007 and rounds up.
pub fn percent_of(value: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        value as f64 * 100.0 / total as f64
    }
}

impl Trend {
    /// The lines to draw: the top buckets, then "other".
    pub fn lines(&self) -> impl Iterator<Item = &BucketSeries> {
        self.top.iter().map(|&b| &self.buckets[b]).chain(self.other.as_ref())
    }

    /// Whether any bucket has a value in any week.
    pub fn has_data(&self) -> bool {
        !self.buckets.is_empty()
    }

    /// Number of buckets folded into "other".
    pub fn folded(&self) -> usize {
        self.buckets.len() - self.top.len()
    }

    /// The bucket drawn with the largest newest share, for sparklines.
    pub fn top_bucket(&self) -> Option<&BucketSeries> {
        self.top.first().map(|&b| &self.buckets[b])
    }
}

/// The trend weeks of `aggregates`, oldest first.
pub fn weeks(aggregates: &Aggregates) -> Vec<TrendWeek> {
    aggregates
        .trend_weeks()
        .into_iter()
        .map(|set| TrendWeek { set, start: aggregates.sets[set].start, end: aggregates.sets[set].end })
        .collect()
}

/// Every program's every chart, in plan order, as trends over `weeks` (see [`weeks`]).
/// A week is low-confidence when the program had fewer than `min_uploaders` uploaders.
/// A (program, chart) named twice (a program the config lists twice, or two counter
/// entries with one chart name) has one trend, the first: they share one page.
pub fn trends(aggregates: &Aggregates, weeks: &[TrendWeek], min_uploaders: u32) -> Vec<Trend> {
    let mut out = Vec::new();
    let mut seen: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    for (p, program) in aggregates.plan.programs.iter().enumerate() {
        let uploaders: Vec<u32> = weeks.iter().map(|w| aggregates.uploaders(w.set, p)).collect();
        let low_confidence: Vec<bool> = uploaders.iter().map(|&u| u < min_uploaders).collect();
        for (c, chart) in program.charts.iter().enumerate() {
            if !seen.insert((program.name.as_str(), chart.name.as_str())) {
                continue;
            }
            let buckets: Vec<BucketSeries> = chart
                .buckets
                .iter()
                .enumerate()
                .map(|(b, name)| BucketSeries {
                    name: name.clone(),
                    values: weeks
                        .iter()
                        .map(|w| aggregates.sets[w.set].counts[chart.first_bucket as usize + b])
                        .collect(),
                })
                .filter(|s| s.values.iter().any(|&v| v > 0))
                .collect();
            let (top, other) = fold(&buckets, weeks.len());
            out.push(Trend {
                program: p,
                chart: c,
                program_name: program.name.clone(),
                chart_name: chart.name.clone(),
                kind: chart.kind,
                uploaders: uploaders.clone(),
                low_confidence: low_confidence.clone(),
                buckets,
                top,
                other,
            });
        }
    }
    out
}

/// The top [`MAX_LINES`] buckets by newest value (the newest share has one denominator),
/// ties by name, and the sum of the others when there are any.
fn fold(buckets: &[BucketSeries], weeks: usize) -> (Vec<usize>, Option<BucketSeries>) {
    let mut order: Vec<usize> = (0..buckets.len()).collect();
    order.sort_by(|&a, &b| {
        buckets[b].latest().cmp(&buckets[a].latest()).then_with(|| buckets[a].name.cmp(&buckets[b].name))
    });
    if order.len() <= MAX_LINES {
        return (order, None);
    }
    let mut other = BucketSeries { name: "other".to_string(), values: vec![0; weeks] };
    for &b in &order[MAX_LINES..] {
        for (sum, v) in other.values.iter_mut().zip(&buckets[b].values) {
            *sum += v;
        }
    }
    order.truncate(MAX_LINES);
    (order, Some(other))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Plan, SetCounts};

    /// One program `cmd/p` with a GOOS chart of `n` buckets `b00..`, and weekly sets ending on
    /// days 100..=120 (daily sets in between), each with `counts(end)` then uploaders.
    fn fixture(n: usize, counts: impl Fn(i32) -> (Vec<u32>, u32)) -> Aggregates {
        let buckets: Vec<String> = (0..n).map(|i| format!("b{i:02}")).collect();
        let plan = Plan::build(
            [crate::aggregate::plan::ProgramLists { name: "cmd/p", versions: Vec::new(), counters: Vec::new() }],
            &buckets,
            &[],
            &[],
        );
        // cmd/ programs have no Version chart: GOOS, GOARCH, GoVersion.
        assert_eq!(plan.programs[0].charts[0].name, "GOOS");
        let width = plan.bucket_count as usize;
        let uploaders_bucket = plan.programs[0].uploaders_bucket as usize;
        let mut sets = Vec::new();
        for end in 94..=120 {
            let mut daily = vec![0; width];
            daily[uploaders_bucket] = 1;
            sets.push(SetCounts {
                start: Day(end),
                end: Day(end),
                num_reports: 1,
                week: Some(Day(end)),
                counts: daily,
            });
            let (values, uploaders) = counts(end);
            let mut weekly = vec![0; width];
            weekly[..n].copy_from_slice(&values);
            weekly[uploaders_bucket] = uploaders;
            sets.push(SetCounts {
                start: Day(end - 6),
                end: Day(end),
                num_reports: u64::from(uploaders),
                week: Some(Day(end)),
                counts: weekly,
            });
        }
        Aggregates { plan, sets }
    }

    #[test]
    fn shares_per_non_overlapping_week_against_hand_computed_values() {
        // Weeks end on the newest weekday (120) and start on or after day 94: 106, 113, 120.
        let aggregates = fixture(3, |end| match end {
            100 => (vec![10, 0, 30], 40), // not on the newest weekday
            106 => (vec![5, 5, 0], 10),
            113 => (vec![0, 0, 0], 0),
            120 => (vec![12, 36, 0], 48),
            _ => (vec![99, 99, 99], 99), // overlapping weeks: never read
        });
        let weeks = weeks(&aggregates);
        let ends: Vec<i32> = weeks.iter().map(|w| w.end.0).collect();
        assert_eq!(ends, vec![106, 113, 120]);
        let trends = trends(&aggregates, &weeks, 30);
        let goos = &trends[0];
        assert_eq!(goos.chart_name, "GOOS");
        assert_eq!(goos.uploaders, vec![10, 0, 48]);
        assert_eq!(goos.low_confidence, vec![true, true, false]);
        // b2 has no value in any trend week: left out.
        let names: Vec<&str> = goos.buckets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, vec!["b00", "b01"]);
        assert_eq!(goos.buckets[0].values, vec![5, 0, 12]);
        assert_eq!(goos.buckets[1].values, vec![5, 0, 36]);
        // Newest shares: b1 36/48 = 0.75, b0 12/48 = 0.25.
        assert_eq!(goos.top, vec![1, 0]);
        assert_eq!(share(36, 48), 0.75);
        assert_eq!(share(5, 10), 0.5);
        assert_eq!(share(0, 0), 0.0);
        assert!(goos.other.is_none());
        assert_eq!(goos.top_bucket().unwrap().name, "b01");
        // GOARCH and GoVersion have no buckets: no data.
        assert!(!trends[1].has_data());
    }

    #[test]
    fn buckets_beyond_eight_fold_into_other_by_newest_share_ties_by_name() {
        // 11 buckets; newest values: b00..b10 = 1,1,2,3,4,5,6,7,8,9,1; earlier weeks all 1.
        let newest = vec![1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1];
        let aggregates = fixture(11, |end| if end == 120 { (newest.clone(), 60) } else { (vec![1; 11], 20) });
        let weeks = weeks(&aggregates);
        let goos = &trends(&aggregates, &weeks, 30)[0];
        let top: Vec<&str> = goos.lines().map(|s| s.name.as_str()).collect();
        // b09..b02 by value; then the three 1s tie: b00, b01 and b10 are folded.
        assert_eq!(top, vec!["b09", "b08", "b07", "b06", "b05", "b04", "b03", "b02", "other"]);
        assert_eq!(goos.folded(), 3);
        let other = goos.other.as_ref().unwrap();
        assert_eq!(other.values.len(), weeks.len());
        assert_eq!(*other.values.last().unwrap(), 3); // 1 + 1 + 1
        assert_eq!(other.values[0], 3);
        // Its share: the sum over the week's uploaders (60), an upper bound.
        assert_eq!(share(3, 60), 0.05);
        // The table keeps every bucket.
        assert_eq!(goos.buckets.len(), 11);
        assert_eq!(goos.low_confidence.last(), Some(&false));
        assert!(goos.low_confidence[..weeks.len() - 1].iter().all(|&l| l));
    }

    #[test]
    fn a_tie_in_the_top_eight_goes_by_name() {
        let aggregates = fixture(10, |_| (vec![2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 30));
        let weeks = weeks(&aggregates);
        let goos = &trends(&aggregates, &weeks, 30)[0];
        let top: Vec<&str> = goos.top.iter().map(|&b| goos.buckets[b].name.as_str()).collect();
        assert_eq!(top, vec!["b00", "b01", "b02", "b03", "b04", "b05", "b06", "b07"]);
        assert_eq!(goos.other.as_ref().unwrap().values, vec![4; weeks.len()]);
        // Exactly at the threshold is not low-confidence.
        assert!(goos.low_confidence.iter().all(|&l| !l));
    }
}
