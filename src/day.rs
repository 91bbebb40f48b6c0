//! Calendar days, as telemetry's `Week` field writes them (`YYYY-MM-DD`).
//!
//! A [`Day`] is a count of days since 1970-01-01, so ranges and differences are plain
//! integer arithmetic and no date crate sits on the hot path.

use std::fmt;

/// A calendar day (proleptic Gregorian), as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Day(pub i32);

impl Day {
    /// Parses exactly `YYYY-MM-DD` with a real month and day, as Go's
    /// `time.Parse("2006-01-02", s)` accepts it (four-digit year, two-digit month and day).
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i32> {
            b[r].iter().try_fold(0i32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0')))
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Day(days_from_civil(year, month, day)))
    }

    /// `(year, month, day)`.
    pub fn civil(self) -> (i32, i32, i32) {
        civil_from_days(self.0)
    }

    pub fn plus(self, days: i32) -> Day {
        Day(self.0 + days)
    }

    /// The `YYYY-MM` month this day falls in.
    pub fn month(self) -> String {
        let (y, m, _) = self.civil();
        format!("{}-{m:02}", Year(y))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{}-{m:02}-{d:02}", Year(y))
    }
}

/// A year as Go's `time.Format("2006")` writes it: four digits at least, a minus sign
/// before them for a year before 1 (the week before `0000-01-01` is `-0001-12-26`).
struct Year(i32);

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "-{:04}", self.0.unsigned_abs())
        } else {
            write!(f, "{:04}", self.0)
        }
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: i32) -> i32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, i32, i32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(Day::parse("1970-01-01"), Some(Day(0)));
        assert_eq!(Day::parse("1970-01-02"), Some(Day(1)));
        assert_eq!(Day::parse("2000-03-01"), Some(Day(11017)));
        assert_eq!(Day::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Day::parse("0000-01-01").unwrap().to_string(), "0000-01-01");
    }

    #[test]
    fn a_year_before_1_is_written_as_go_writes_it() {
        let first = Day::parse("0000-01-01").unwrap();
        assert_eq!(first.plus(-6).to_string(), "-0001-12-26");
        assert_eq!(first.plus(-6).month(), "-0001-12");
        // Ten years back, two of them (-4, -8) leap years.
        assert_eq!(first.plus(-(365 * 10 + 2)).to_string(), "-0010-01-01");
        assert_eq!(first.month(), "0000-01");
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "2025-13-45",
            "2025-02-30",
            "2025-1-07",
            "2025/01/07",
            "25-01-07",
            "",
            "2025-01-07T00:00:00Z",
            "07/01/2025",
            "0000-00-00",
            "9999-99-99",
            "2023-02-29",
            "2025-01-07 ",
            " 2025-01-07",
            "2025-04-31",
            "+025-01-07",
            "２０２５-01-07",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for n in -200_000..200_000 {
            let day = Day(n);
            assert_eq!(Day::parse(&day.to_string()), Some(day));
        }
    }

    #[test]
    fn month_of_day() {
        assert_eq!(Day::parse("2026-11-25").unwrap().month(), "2026-11");
    }
}
