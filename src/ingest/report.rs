//! A report as uploaded, parsed strictly: Go's `telemetry.Report` types, plus the checks
//! Go's decoder does not make (repeated keys, `null` for a string, counts out of range).
//!
//! Parsing borrows from the input text wherever JSON has no escapes, so a report costs a
//! couple of small vectors, not a string per field.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::reason::Reason;

/// One uploaded report (Go's `telemetry.Report`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report<'a> {
    pub week: Cow<'a, str>,
    pub last_week: Cow<'a, str>,
    pub x: f64,
    pub programs: Vec<ProgramReport<'a>>,
    pub config: Cow<'a, str>,
    /// Whether the report object has a key Go's type does not (ignored, as Go ignores it).
    pub unknown_keys: bool,
}

/// One program's part of a report (Go's `telemetry.ProgramReport`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProgramReport<'a> {
    pub program: Cow<'a, str>,
    pub version: Cow<'a, str>,
    pub go_version: Cow<'a, str>,
    pub goos: Cow<'a, str>,
    pub goarch: Cow<'a, str>,
    pub counters: Vec<(Cow<'a, str>, i64)>,
    pub stacks: Vec<(Cow<'a, str>, i64)>,
    /// Whether the program report has a key Go's type does not.
    pub unknown_keys: bool,
}

impl Report<'_> {
    /// The report with every string copied, so that it outlives its text.
    fn into_owned(self) -> Report<'static> {
        fn own(s: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(s.into_owned())
        }
        fn counts(counts: Vec<(Cow<'_, str>, i64)>) -> Vec<(Cow<'static, str>, i64)> {
            counts.into_iter().map(|(name, n)| (own(name), n)).collect()
        }
        let programs = self.programs.into_iter().map(|p| ProgramReport {
            program: own(p.program),
            version: own(p.version),
            go_version: own(p.go_version),
            goos: own(p.goos),
            goarch: own(p.goarch),
            counters: counts(p.counters),
            stacks: counts(p.stacks),
            unknown_keys: p.unknown_keys,
        });
        Report {
            week: own(self.week),
            last_week: own(self.last_week),
            x: self.x,
            programs: programs.collect(),
            config: own(self.config),
            unknown_keys: self.unknown_keys,
        }
    }

    /// Whether the report or one of its program reports has a key Go's types do not:
    /// ignored, and left out of the raw data ([`super::compact::without_unknown_keys`]).
    pub fn has_unknown_keys(&self) -> bool {
        self.unknown_keys || self.programs.iter().any(|p| p.unknown_keys)
    }

    /// Every stack counter: (program, key, count), in the order of the program reports and
    /// of their `Stacks`.
    pub fn stacks(&self) -> impl Iterator<Item = (&str, &str, u64)> {
        self.programs.iter().flat_map(|program| {
            program.stacks.iter().map(|(key, count)| (&*program.program, &**key, u64::try_from(*count).unwrap_or(0)))
        })
    }
}

// Messages of the errors our visitors raise, mapped back to a reason by `classify`.
const DUPLICATE_KEY: &str = "repeated key";
const NEGATIVE: &str = "count below zero";
const OVERFLOW: &str = "count of 2^63 or more";

/// Parses one report's text. The text has passed the size, blank and UTF-8 checks.
/// On failure, returns the reason and a short human explanation.
pub fn parse(text: &str) -> Result<Report<'_>, (Reason, String)> {
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    if first != Some(b'{') {
        return Err(match well_formed(text) {
            Ok(()) => (Reason::NotObject, "the report is not a JSON object".to_string()),
            Err(e) => (Reason::Malformed, e.to_string()),
        });
    }
    let report = match serde_json::from_str::<Report<'_>>(text) {
        Ok(report) => report,
        Err(e) if e.to_string().starts_with(NEGATIVE_ZERO) => parse_with_zeros_for_negative_zeros(text)?,
        Err(e) => return Err(classify(text, &e)),
    };
    no_negative_count(&report)?;
    Ok(report)
}

/// The check Go's decoder does not make: a count below zero. It comes after decoding, as
/// it would after Go's, so a wrong type or an overflow anywhere in the report wins over it.
fn no_negative_count(report: &Report<'_>) -> Result<(), (Reason, String)> {
    let counts = report.programs.iter().flat_map(|p| p.counters.iter().chain(&p.stacks));
    let Some((name, count)) = counts.clone().find(|(_, count)| *count < 0) else {
        return Ok(());
    };
    let beyond = if *count == i64::MIN { " or below" } else { "" };
    Err((Reason::NegativeCount, format!("{NEGATIVE}: `{name}` is {count}{beyond}")))
}

/// What serde_json says of a count it read as `-0.0`. It reads `-0` that way too, but Go
/// reads `-0` as the integer 0, a valid count; only `-0.0`, `-0e0` and the like are not
/// integers.
const NEGATIVE_ZERO: &str = "invalid type: floating point `-0.0`";

/// Parses a text that has a count serde_json read as `-0.0` again, with every `-0` number
/// written ` 0` (the same length, so positions in messages still hold): a `-0` count is then
/// 0, and one written `-0.0` still a wrong type. Rare, so the report is copied.
fn parse_with_zeros_for_negative_zeros(text: &str) -> Result<Report<'static>, (Reason, String)> {
    let zeros = zeros_for_negative_zeros(text);
    match serde_json::from_str::<Report<'_>>(&zeros) {
        Ok(report) => Ok(report.into_owned()),
        Err(e) => Err(classify(&zeros, &e)),
    }
}

/// `text` with the sign of every number written exactly `-0` (not `-0.0`, `-0e1`) made a
/// space. Strings are left as they are.
fn zeros_for_negative_zeros(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut strings = super::compact::Strings::default();
    for (i, &c) in b.iter().enumerate() {
        let negative_zero = !strings.inside(c)
            && c == b'-'
            && b.get(i + 1) == Some(&b'0')
            && !matches!(b.get(i + 2), Some(b'0'..=b'9' | b'.' | b'e' | b'E'));
        out.push(if negative_zero { b' ' } else { c });
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced, by ASCII")
}

/// Checks that `text` is one JSON value with no key repeated in any object.
pub fn well_formed(text: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    StrictIgnore.deserialize(&mut de)?;
    de.end()
}

fn classify(text: &str, err: &serde_json::Error) -> (Reason, String) {
    use serde_json::error::Category;
    if matches!(err.classify(), Category::Syntax | Category::Eof | Category::Io) {
        return (Reason::Malformed, err.to_string());
    }
    // A type error may stand before a syntax error or a repeated key later in the text;
    // malformed JSON is the stronger reason.
    if let Err(e) = well_formed(text) {
        return (Reason::Malformed, e.to_string());
    }
    let message = err.to_string();
    let reason = if message.starts_with(DUPLICATE_KEY) {
        Reason::Malformed
    } else if message.starts_with(OVERFLOW) {
        Reason::OverflowCount
    } else {
        Reason::WrongType
    };
    (reason, message)
}

/// Skips any JSON value, failing on a key repeated within one object.
struct StrictIgnore;

impl<'de> DeserializeSeed<'de> for StrictIgnore {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictIgnore {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(StrictIgnore)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = KeySet::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            keys.insert::<A::Error>(key)?;
            map.next_value_seed(StrictIgnore)?;
        }
        Ok(())
    }
}

/// Keys seen in one object, to refuse a repeated one.
#[derive(Default)]
struct KeySet<'a>(Vec<Cow<'a, str>>);

impl<'a> KeySet<'a> {
    fn insert<E: de::Error>(&mut self, key: Cow<'a, str>) -> Result<(), E> {
        if self.0.contains(&key) {
            return Err(E::custom(format_args!("{DUPLICATE_KEY} `{key}`")));
        }
        self.0.push(key);
        Ok(())
    }
}

/// `Cow<str>`'s own `Deserialize` always copies; this one borrows when it can.
struct BorrowedStr;

impl<'de> DeserializeSeed<'de> for BorrowedStr {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for BorrowedStr {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A string field: JSON `null` is refused (Go would leave the zero value; the rules don't).
fn str_value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Cow<'de, str>, A::Error> {
    map.next_value_seed(BorrowedStr)
}

/// Marks which known fields were seen, to refuse a repeated one.
fn seen<E: de::Error>(flags: &mut u8, bit: u8, key: &str) -> Result<(), E> {
    if *flags & bit != 0 {
        return Err(E::custom(format_args!("{DUPLICATE_KEY} `{key}`")));
    }
    *flags |= bit;
    Ok(())
}

impl<'de: 'a, 'a> Deserialize<'de> for Report<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ReportVisitor)
    }
}

struct ReportVisitor;

impl<'de> Visitor<'de> for ReportVisitor {
    type Value = Report<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut report = Report::default();
        let mut flags = 0u8;
        let mut unknown = KeySet::default();
        while let Some(key) = map.next_key_seed(BorrowedStr)? {
            match &*key {
                "Week" => {
                    seen(&mut flags, 1, &key)?;
                    report.week = str_value(&mut map)?;
                }
                "LastWeek" => {
                    seen(&mut flags, 2, &key)?;
                    report.last_week = str_value(&mut map)?;
                }
                "X" => {
                    seen(&mut flags, 4, &key)?;
                    report.x = map.next_value::<f64>()?;
                }
                "Programs" => {
                    seen(&mut flags, 8, &key)?;
                    report.programs = map.next_value_seed(Nullable(ProgramsSeed))?.unwrap_or_default();
                }
                "Config" => {
                    seen(&mut flags, 16, &key)?;
                    report.config = str_value(&mut map)?;
                }
                _ => {
                    unknown.insert::<A::Error>(key)?;
                    map.next_value_seed(StrictIgnore)?;
                    report.unknown_keys = true;
                }
            }
        }
        Ok(report)
    }
}

/// `null` or the inner value.
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

struct ProgramsSeed;

impl<'de> DeserializeSeed<'de> for ProgramsSeed {
    type Value = Vec<ProgramReport<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ProgramsSeed {
    type Value = Vec<ProgramReport<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of program reports")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut programs = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(program) = seq.next_element_seed(ProgramSeed)? {
            programs.push(program);
        }
        Ok(programs)
    }
}

struct ProgramSeed;

impl<'de> DeserializeSeed<'de> for ProgramSeed {
    type Value = ProgramReport<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProgramSeed {
    type Value = ProgramReport<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a program report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut program = ProgramReport::default();
        let mut flags = 0u8;
        let mut unknown = KeySet::default();
        while let Some(key) = map.next_key_seed(BorrowedStr)? {
            let (bit, field): (u8, &mut Cow<'de, str>) = match &*key {
                "Program" => (1, &mut program.program),
                "Version" => (2, &mut program.version),
                "GoVersion" => (4, &mut program.go_version),
                "GOOS" => (8, &mut program.goos),
                "GOARCH" => (16, &mut program.goarch),
                "Counters" => {
                    seen(&mut flags, 32, &key)?;
                    program.counters = map.next_value_seed(Nullable(CountsSeed))?.unwrap_or_default();
                    continue;
                }
                "Stacks" => {
                    seen(&mut flags, 64, &key)?;
                    program.stacks = map.next_value_seed(Nullable(CountsSeed))?.unwrap_or_default();
                    continue;
                }
                _ => {
                    unknown.insert::<A::Error>(key)?;
                    map.next_value_seed(StrictIgnore)?;
                    program.unknown_keys = true;
                    continue;
                }
            };
            seen(&mut flags, bit, &key)?;
            *field = str_value(&mut map)?;
        }
        Ok(program)
    }
}

/// A `map[string]int64` of counts, kept as pairs in input order.
struct CountsSeed;

impl<'de> DeserializeSeed<'de> for CountsSeed {
    type Value = Vec<(Cow<'de, str>, i64)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CountsSeed {
    type Value = Vec<(Cow<'de, str>, i64)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of counts")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Most maps are empty (`"Stacks":{}`) or small: nothing is allocated for an empty
        // one, and a small one is checked for repeats without a sorted copy.
        let mut counts: Vec<(Cow<'de, str>, i64)> = Vec::new();
        while let Some(key) = map.next_key_seed(BorrowedStr)? {
            let count = map.next_value_seed(CountSeed)?;
            counts.push((key, count));
        }
        if let Some(name) = first_repeated(&counts) {
            return Err(de::Error::custom(format_args!("{DUPLICATE_KEY} `{name}`")));
        }
        Ok(counts)
    }
}

/// The smallest name (in byte order) that `counts` holds more than once.
fn first_repeated<'c>(counts: &'c [(Cow<'_, str>, i64)]) -> Option<&'c str> {
    const SMALL: usize = 16;
    if counts.len() <= SMALL {
        let mut first: Option<&str> = None;
        for (i, (name, _)) in counts.iter().enumerate() {
            if counts[..i].iter().any(|(other, _)| other == name) && first.is_none_or(|f| &**name < f) {
                first = Some(name);
            }
        }
        return first;
    }
    let mut names: Vec<&str> = counts.iter().map(|(k, _)| &**k).collect();
    names.sort_unstable();
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// An `int64` count: a JSON integer in 0..2^63.
struct CountSeed;

impl<'de> DeserializeSeed<'de> for CountSeed {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_i64(self)
    }
}

impl<'de> Visitor<'de> for CountSeed {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer count")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format_args!("{OVERFLOW}: {v}")))
    }
    /// A negative count is kept, to be refused after decoding ([`no_negative_count`]).
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // serde_json hands integers beyond 64 bits to visit_f64 too, so a huge value is an
        // overflow whichever way it was written; anything else here is not an integer.
        if v >= 9_223_372_036_854_775_808.0 {
            Err(E::custom(format_args!("{OVERFLOW}: {v}")))
        } else if v <= -9_223_372_036_854_775_808.0 {
            Ok(i64::MIN)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(names: &[&'static str]) -> Vec<(Cow<'static, str>, i64)> {
        names.iter().map(|&n| (Cow::Borrowed(n), 1)).collect()
    }

    #[test]
    fn the_smallest_repeated_count_name_is_found_small_or_large() {
        assert_eq!(first_repeated(&counts(&[])), None);
        assert_eq!(first_repeated(&counts(&["a", "b", "c"])), None);
        assert_eq!(first_repeated(&counts(&["z", "b", "z", "b"])), Some("b"));
        let mut many: Vec<&'static str> = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"].repeat(2);
        many.push("a");
        assert!(many.len() > 16);
        assert_eq!(first_repeated(&counts(&many)), Some("k0"));
        assert_eq!(first_repeated(&counts(&["x", "y"])), None);
    }

    #[test]
    fn a_repeated_counter_or_stack_is_malformed() {
        let text =
            r#"{"Week":"2026-01-01","X":0.5,"Programs":[{"Program":"p","Counters":{"b":1,"a":2,"b":3},"Stacks":{}}]}"#;
        let (reason, message) = parse(text).unwrap_err();
        assert_eq!(reason, Reason::Malformed);
        assert!(message.contains("`b`"), "{message}");
        let empty = r#"{"Week":"2026-01-01","X":0.5,"Programs":[{"Program":"p","Counters":{},"Stacks":{}}]}"#;
        let report = parse(empty).unwrap();
        assert!(report.programs[0].counters.is_empty() && report.programs[0].stacks.is_empty());
    }

    #[test]
    fn a_negative_count_is_refused_after_decoding_as_go_would() {
        let with = |counters: &str, week: &str| {
            format!(r#"{{"Programs":[{{"Program":"p","Counters":{counters},"Stacks":{{}}}}],"Week":{week},"X":0.5}}"#)
        };
        let reason = |text: String| parse(&text).map(|_| ()).unwrap_err();
        let (why, message) = reason(with(r#"{"a":1,"b":-2}"#, r#""2026-01-01""#));
        assert_eq!((why, message.as_str()), (Reason::NegativeCount, "count below zero: `b` is -2"));
        let (why, message) = reason(with(r#"{"b":-9223372036854775809}"#, r#""2026-01-01""#));
        assert_eq!(
            (why, message.as_str()),
            (Reason::NegativeCount, "count below zero: `b` is -9223372036854775808 or below")
        );
        // A decoding error anywhere wins, before or after the negative count in the text.
        assert_eq!(reason(with(r#"{"a":-1,"b":2.5}"#, r#""2026-01-01""#)).0, Reason::WrongType);
        assert_eq!(reason(with(r#"{"a":-1,"b":9223372036854775808}"#, r#""2026-01-01""#)).0, Reason::OverflowCount);
        assert_eq!(reason(with(r#"{"a":-1}"#, "5")).0, Reason::WrongType, "a Week that is no string");
        assert_eq!(reason(with(r#"{"a":-1,"a":1}"#, r#""2026-01-01""#)).0, Reason::Malformed);
        let stack = r#"{"Programs":[{"Program":"p","Stacks":{"s":-1}}]}"#;
        assert_eq!(parse(stack).map(|_| ()).unwrap_err().0, Reason::NegativeCount, "stacks too");
    }

    #[test]
    fn a_count_written_minus_zero_is_zero_as_go_reads_it() {
        let with = |counters: &str| {
            format!(
                r#"{{"Week":"2026-01-01","X":0.5,"Programs":[{{"Program":"p-0","Counters":{counters},"Stacks":{{"s\"-0":-0}}}}]}}"#
            )
        };
        let text = with(r#"{"a":-0,"b-0":3,"c":-0 }"#);
        let report = parse(&text).unwrap();
        let counters: Vec<(&str, i64)> = report.programs[0].counters.iter().map(|(k, n)| (&**k, *n)).collect();
        assert_eq!(counters, [("a", 0), ("b-0", 3), ("c", 0)]);
        assert_eq!(report.programs[0].stacks[0], (Cow::Borrowed("s\"-0"), 0), "strings untouched");
        assert_eq!(report.programs[0].program, "p-0");
        // Not integers: wrong_type, at the column of the text as it was.
        for float in ["-0.0", "-0e0", "-0E1", "-0.5"] {
            let text = with(&format!(r#"{{"a":-0,"b":{float}}}"#));
            let column = text.find(&format!(r#""b":{float}"#)).unwrap() + 4 + float.len();
            let (reason, message) = parse(&text).unwrap_err();
            assert_eq!(reason, Reason::WrongType, "{float}: {message}");
            assert!(message.ends_with(&format!("column {column}")), "{float}: {message}");
        }
        // Other problems are still found after the second reading.
        let (reason, _) = parse(&with(r#"{"a":-0,"b":-1}"#)).unwrap_err();
        assert_eq!(reason, Reason::NegativeCount);
        let (reason, _) = parse(&with(r#"{"a":-0,"a":1}"#)).unwrap_err();
        assert_eq!(reason, Reason::Malformed);
        // X = -0 is read as a float either way, and is out of range.
        assert_eq!(parse(r#"{"Week":"2026-01-01","X":-0}"#).unwrap().x, 0.0);
    }
}
