//! Who uploaded on which day, as much as a rebuild needs to recount only the days that
//! changed.
//!
//! A weekly count is the sum of its seven daily counts less the repeats of uploaders (`X`)
//! seen on more than one day of the window (see [`super::aggregate`]). The daily counts of
//! unchanged days are cached; so are the two things the repeats need:
//! - per day, a print (a 32-bit hash) of each uploader, which tells whether a changed
//!   day's uploader may also be on an unchanged day near it: when it may, that day is
//!   parsed again (a print shared by chance costs only that);
//! - every report whose uploader is also on another day within six days of it, with its
//!   key ids: the repeats between unchanged days.
//!
//! Then a rebuild parses only the changed days (and the rare day a print sends it to), and
//! still finds every repeat of every window it recounts.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::day::Day;
use crate::ingest::key_ids::KeyIds;
use crate::ingest::Record;

/// The uploaders of every day, kept in the cache.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Uploaders {
    /// Per day with reports: the sorted, distinct prints of its uploaders, as one byte
    /// string of little-endian `u32`s (a year holds a million; bytes load as one copy).
    prints: BTreeMap<i32, serde_bytes::ByteBuf>,
    /// Every report whose `X` is reported on another day within six days of its own.
    repeats: Vec<Repeat>,
}

/// A report of an uploader who reports on more than one day of some week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeat {
    pub day: i32,
    /// `X`, as bits.
    pub x: u64,
    /// Key ids (as [`Record::keys`]).
    pub keys: KeyIds,
}

/// One report as the repeats see it.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub day: Day,
    pub keys: &'a KeyIds,
}

/// The reports of one uploader on more than one day.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// `X`, as bits.
    pub x: u64,
    /// By day, one per day.
    pub uploads: Vec<Upload<'a>>,
}

/// A day is as near as this to every other day of a weekly window.
const WEEK_SPAN: i32 = 6;

/// The print of an uploader `X` (as bits): its high 32 bits after a multiplicative hash.
pub fn print(x: u64) -> u32 {
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

impl Uploaders {
    /// The unchanged days (not in `dirty`) within six days of a report in `fresh` (day, X
    /// bits) that may have the same uploader: the days a rebuild must parse again too.
    pub fn days_near(&self, fresh: impl IntoIterator<Item = (Day, u64)>, dirty: &BTreeSet<Day>) -> BTreeSet<Day> {
        let mut days = BTreeSet::new();
        for (day, x) in fresh {
            let p = print(x);
            for near in day.0 - WEEK_SPAN..=day.0 + WEEK_SPAN {
                let found = self.prints.get(&near).is_some_and(|prints| holds(prints, p));
                if found && !dirty.contains(&Day(near)) {
                    days.insert(Day(near));
                }
            }
        }
        days
    }

    /// The cached repeats a rebuild that recounts `recounted` needs: those on days not
    /// recounted, within twelve days of one that is. With the records of the recounted days
    /// they hold every report a recounted window's repeats can involve (six days), and every
    /// report within six days of such a report, which decides whether it is still a repeat.
    /// The rest stay as they are ([`Uploaders::after`]), so a rebuild's work on repeats is
    /// proportional to its change, not to all of history's.
    pub fn kept_repeats<'a>(&'a self, recounted: &'a BTreeSet<Day>) -> impl Iterator<Item = &'a Repeat> + 'a {
        spans(recounted, 2 * WEEK_SPAN)
            .flat_map(|(from, to)| {
                let start = self.repeats.partition_point(|r| r.day < from);
                let end = self.repeats.partition_point(|r| r.day <= to);
                &self.repeats[start..end]
            })
            .filter(|r| !recounted.contains(&Day(r.day)))
    }

    /// The uploaders after a build: the prints of `records` (every record of the days it
    /// counted, after the duplicate rule) and, with `before` (the previous build's, and the
    /// days this one recounted), the prints of every other day; and the members of `groups`
    /// that have another member within six days.
    pub fn after(records: &[Record], groups: &[Group<'_>], before: Option<(&Uploaders, &BTreeSet<Day>)>) -> Uploaders {
        let days: Vec<&[Record]> = records.chunk_by(|a, b| a.day == b.day).collect();
        let mut prints: BTreeMap<i32, serde_bytes::ByteBuf> = days
            .par_iter()
            .map(|day| {
                let mut day_prints: Vec<u32> = day.iter().map(|r| print(r.x.to_bits())).collect();
                day_prints.sort_unstable();
                day_prints.dedup();
                let bytes = day_prints.iter().flat_map(|p| p.to_le_bytes()).collect::<Vec<u8>>();
                (day[0].day.0, serde_bytes::ByteBuf::from(bytes))
            })
            .collect();
        if let Some((before, recounted)) = before {
            for (&day, day_prints) in &before.prints {
                if !recounted.contains(&Day(day)) {
                    prints.insert(day, day_prints.clone());
                }
            }
        }
        // A report's neighbours (by day) decide whether it is a repeat. Those of a report more
        // than six days from every recounted day did not change: it stays as it was.
        let mut repeats = Vec::new();
        let changed = |day: i32| before.is_none_or(|(_, recounted)| near_any(recounted, day, WEEK_SPAN));
        if let Some((before, _)) = before {
            repeats.extend(before.repeats.iter().filter(|r| !changed(r.day)).cloned());
        }
        for group in groups {
            let uploads = &group.uploads;
            for (i, upload) in uploads.iter().enumerate() {
                let near = |other: &Upload<'_>| (other.day.0 - upload.day.0).abs() <= WEEK_SPAN;
                let repeat = (i > 0 && near(&uploads[i - 1])) || uploads.get(i + 1).is_some_and(near);
                if repeat && changed(upload.day.0) {
                    repeats.push(Repeat { day: upload.day.0, x: group.x, keys: upload.keys.clone() });
                }
            }
        }
        repeats.sort_unstable_by_key(|r| (r.day, r.x));
        Uploaders { prints, repeats }
    }
}

/// The uploaders with reports on more than one day, among `records` (sorted by day, one
/// report per day and `X`) and `kept` (cached repeats of other days).
pub fn groups<'a>(records: &'a [Record], kept: &[&'a Repeat]) -> Vec<Group<'a>> {
    let fresh = records.iter().enumerate().map(|(i, r)| (r.x.to_bits(), i as u32));
    let cached = kept.iter().enumerate().map(|(i, r)| (r.x, (records.len() + i) as u32));
    let mut by_x: Vec<(u64, u32)> = fresh.chain(cached).collect();
    by_x.par_sort_unstable();
    let upload = |i: u32| match records.get(i as usize) {
        Some(r) => Upload { day: r.day, keys: &r.keys },
        None => {
            let r = kept[i as usize - records.len()];
            Upload { day: Day(r.day), keys: &r.keys }
        }
    };
    by_x.chunk_by(|a, b| a.0 == b.0)
        .filter(|same| same.len() > 1)
        .map(|same| {
            let mut uploads: Vec<Upload<'a>> = same.iter().map(|&(_, i)| upload(i)).collect();
            uploads.sort_by_key(|u| u.day);
            Group { x: same[0].0, uploads }
        })
        .collect()
}

/// The days within `span` of one of `days`, as inclusive spans that do not overlap, in order.
fn spans(days: &BTreeSet<Day>, span: i32) -> impl Iterator<Item = (i32, i32)> + '_ {
    let mut days = days.iter().map(move |d| (d.0 - span, d.0 + span)).peekable();
    std::iter::from_fn(move || {
        let (from, mut to) = days.next()?;
        while let Some(&(next_from, next_to)) = days.peek() {
            if next_from > to + 1 {
                break;
            }
            to = next_to;
            days.next();
        }
        Some((from, to))
    })
}

/// Whether `day` is within `span` days of one of `days`.
fn near_any(days: &BTreeSet<Day>, day: i32, span: i32) -> bool {
    days.range(Day(day - span)..=Day(day + span)).next().is_some()
}

/// Whether `prints` (sorted little-endian `u32`s) holds `p`.
fn holds(prints: &[u8], p: u32) -> bool {
    let at = |i: usize| u32::from_le_bytes(prints[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    let (mut low, mut high) = (0, prints.len() / 4);
    while low < high {
        let mid = (low + high) / 2;
        match at(mid).cmp(&p) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_are_found_by_binary_search() {
        let bytes: Vec<u8> = [3u32, 9, 200, u32::MAX].iter().flat_map(|p| p.to_le_bytes()).collect();
        for p in [3, 9, 200, u32::MAX] {
            assert!(holds(&bytes, p), "{p}");
        }
        for p in [0, 4, 199, u32::MAX - 1] {
            assert!(!holds(&bytes, p), "{p}");
        }
        assert!(!holds(&[], 3));
    }

    #[test]
    fn spans_join_days_whose_neighbourhoods_overlap_or_touch() {
        let days = BTreeSet::from([Day(10), Day(20), Day(40), Day(53), Day(70)]);
        // 10 and 20: 4..=16 and 14..=26 overlap; 40 and 53: 34..=46 and 47..=59 touch.
        let got: Vec<(i32, i32)> = spans(&days, 6).collect();
        assert_eq!(got, [(4, 26), (34, 59), (64, 76)]);
        assert_eq!(spans(&BTreeSet::new(), 6).count(), 0);
        assert!(near_any(&days, 16, 6) && near_any(&days, 4, 6));
        assert!(!near_any(&days, 3, 6) && !near_any(&days, 27, 6));
    }

    #[test]
    fn uploaders_are_kept_as_they_were_made() {
        let record = |day, x, keys: &[u32]| crate::aggregate::tests::record(day, x, keys.to_vec());
        // X 0.5 on days 10 and 16 (six apart: a repeat), X 0.25 on days 10 and 17 (seven apart: not).
        let records = [record(10, 0.5, &[1]), record(10, 0.25, &[2]), record(16, 0.5, &[3]), record(17, 0.25, &[4])];
        let groups = groups(&records, &[]);
        assert_eq!(groups.len(), 2);
        let uploaders = Uploaders::after(&records, &groups, None);
        let repeats: Vec<(i32, Vec<u32>)> = uploaders.repeats.iter().map(|r| (r.day, r.keys.to_vec())).collect();
        assert_eq!(repeats, [(10, vec![1]), (16, vec![3])]);
        let bytes = postcard::to_stdvec(&uploaders).unwrap();
        assert_eq!(postcard::from_bytes::<Uploaders>(&bytes).unwrap(), uploaders);
        // A new report of X 0.5 on day 20 may share an uploader with day 16 (within six
        // days), not with day 10; nor with a day that is itself changed.
        let near = uploaders.days_near([(Day(20), 0.5f64.to_bits())], &BTreeSet::new());
        assert_eq!(near, BTreeSet::from([Day(16)]));
        assert!(uploaders.days_near([(Day(20), 0.5f64.to_bits())], &BTreeSet::from([Day(16)])).is_empty());
    }
}
