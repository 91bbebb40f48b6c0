//! The validity rules for one report's text, checked in rule order: the upload server's
//! `validate()`, made strict. Pure: text in, a valid report's facts or a reason out.

use super::catalog::Catalog;
use super::reason::Reason;
use super::report;
use crate::day::Day;
use crate::version::semver_is_valid;

/// What the rest of the build needs of a valid report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valid {
    pub day: Day,
    pub x: f64,
    pub has_programs: bool,
    pub has_stacks: bool,
    /// Whether the text has keys Go's report types do not, to leave out of the raw data.
    pub unknown_keys: bool,
}

/// Checks one report's text (its final newline already removed) against every rule but
/// the duplicate rule, which needs all reports. Key ids of the report are appended to `keys`.
pub fn check(text: &[u8], max_bytes: usize, catalog: &Catalog, keys: &mut Vec<u32>) -> Result<Valid, (Reason, String)> {
    let report = parse(text, max_bytes)?;
    judge(&report, catalog, keys, &mut |_, _, _| {})
}

/// Why a blank report is skipped.
pub const BLANK: &str = "no report, only blank";

/// The rules of the text (rules 1 and 2: size, blank, UTF-8, JSON, types and counts): the
/// report parsed, or why it cannot be.
#[inline(always)]
pub fn parse(text: &[u8], max_bytes: usize) -> Result<report::Report<'_>, (Reason, String)> {
    if text.len() > max_bytes {
        return Err((Reason::TooLarge, format!("{} bytes, more than the limit of {max_bytes}", text.len())));
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err((Reason::Empty, BLANK.into()));
    }
    // simdutf8 checks a valid text several times faster than std; std says where it fails.
    let text = simdutf8::basic::from_utf8(text).or_else(|_| {
        std::str::from_utf8(text)
            .map_err(|e| (Reason::InvalidUtf8, format!("invalid UTF-8 at byte {}", e.valid_up_to())))
    })?;
    report::parse(text).map_err(|(reason, why)| (reason, tidy(&why)))
}

/// The rules of a parsed report's values (rules 3 and 4: `Week`, `X`, `Config`, and with
/// an upload config every name), as [`check`] applies them after [`parse`]; when the
/// report is valid, `each_stack(program, key, count)` for every stack counter, in the
/// order of its program reports and of their `Stacks`.
#[inline(always)]
pub fn judge(
    report: &report::Report<'_>,
    catalog: &Catalog,
    keys: &mut Vec<u32>,
    each_stack: &mut dyn FnMut(&str, &str, u64),
) -> Result<Valid, (Reason, String)> {
    let day = Day::parse(&report.week).ok_or_else(|| {
        (Reason::BadWeek, tidy(&format!("`Week` is not a YYYY-MM-DD date: {:?}", clip(&report.week))))
    })?;
    if !(report.x > 0.0 && report.x < 1.0) {
        return Err((Reason::XRange, format!("`X` is {}, not in (0, 1)", report.x)));
    }
    if !semver_is_valid(&report.config) {
        return Err((
            Reason::BadConfig,
            tidy(&format!("`Config` is not a semantic version: {:?}", clip(&report.config))),
        ));
    }
    catalog.resolve(report, keys).map_err(|(reason, why)| (reason, tidy(&why)))?;
    for (program, key, count) in report.stacks() {
        each_stack(program, key, count);
    }
    Ok(Valid {
        day,
        x: report.x,
        has_programs: !report.programs.is_empty(),
        has_stacks: report.programs.iter().any(|p| !p.stacks.is_empty()),
        unknown_keys: report.has_unknown_keys(),
    })
}

/// A message that may quote uploaded text, made safe to print on a terminal and in a log:
/// at most [`MESSAGE_CHARS`] characters, with control characters, bidirectional
/// formatting marks (which can hide or reorder text) and zero-width characters (with which
/// `cmd/\u{200B}go` reads as `cmd/go`) written as `\u{..}` escapes.
pub fn tidy(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4 * MESSAGE_CHARS));
    let mut count = 0;
    for c in message.chars() {
        let escape = unprintable(c) || crate::chars::is_invisible(c);
        let width = if escape { c.escape_unicode().len() } else { 1 };
        if count + width > MESSAGE_CHARS {
            out.push_str("...");
            break;
        }
        count += width;
        if escape {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with control characters and bidirectional formatting marks written as `\u{..}`
/// escapes, so it prints as what it is on a terminal (no escape sequences) and in a log.
/// (Paths go through this, and the duplicate rule orders files by these printable paths,
/// so what it escapes stays as it is; [`tidy`] escapes zero-width characters too.)
pub fn escape_unprintable(text: &str) -> std::borrow::Cow<'_, str> {
    // Most text is printable ASCII, told a byte at a time (a million file names per walk).
    if text.bytes().all(|b| matches!(b, b' '..=b'~')) || !text.chars().any(unprintable) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unprintable(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

fn unprintable(c: char) -> bool {
    c.is_control() || crate::chars::is_bidi_control(c)
}

/// The longest message [`tidy`] returns, in characters, before its `...`.
pub const MESSAGE_CHARS: usize = 200;

/// At most 120 characters of an uploaded string, for messages.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(120) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Random edits of seed inputs, for the property tests of every parser.
#[cfg(test)]
pub(crate) mod mutate {
    use proptest::prelude::*;

    /// One edit of an input's bytes.
    #[derive(Debug, Clone)]
    pub enum Edit {
        Set(usize, u8),
        Insert(usize, Vec<u8>),
        Remove(usize, usize),
        Repeat(usize, usize, usize),
        Truncate(usize),
    }

    pub fn apply(text: &mut Vec<u8>, edit: &Edit) {
        let at = |i: usize, text: &Vec<u8>| {
            if text.is_empty() {
                0
            } else {
                i % (text.len() + 1)
            }
        };
        match edit {
            Edit::Set(i, b) => {
                if !text.is_empty() {
                    let i = i % text.len();
                    text[i] = *b;
                }
            }
            Edit::Insert(i, bytes) => {
                let i = at(*i, text);
                text.splice(i..i, bytes.iter().copied());
            }
            Edit::Remove(i, n) => {
                let i = at(*i, text);
                let end = (i + n).min(text.len());
                text.drain(i..end);
            }
            Edit::Repeat(i, n, times) => {
                let i = at(*i, text);
                let end = (i + n).min(text.len());
                let part = text[i..end].to_vec();
                for _ in 0..*times {
                    text.splice(end..end, part.iter().copied());
                }
            }
            Edit::Truncate(n) => text.truncate(*n % (text.len() + 1)),
        }
    }

    /// Bytes that matter to JSON and to the rules, more often than chance would pick them.
    pub fn interesting() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 1..4),
            proptest::sample::select(vec![
                &b"{"[..],
                b"}",
                b"[",
                b"]",
                b"\"",
                b",",
                b":",
                b"\\",
                b"\\u0000",
                b"\\ud800",
                b"null",
                b"-1",
                b"1e400",
                b"0.5",
                b"9223372036854775807",
                b"\xff",
                b"\xe2\x80\xae",
                b"\"X\":0.5,",
                b"\"Week\":",
                b"\"Programs\":[{}],",
                b"\n",
                b" ",
            ])
            .prop_map(|b| b.to_vec()),
        ]
    }

    pub fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
            (any::<usize>(), interesting()).prop_map(|(i, b)| Edit::Insert(i, b)),
            (any::<usize>(), 1usize..40).prop_map(|(i, n)| Edit::Remove(i, n)),
            (any::<usize>(), 1usize..20, 1usize..200).prop_map(|(i, n, t)| Edit::Repeat(i, n, t)),
            any::<usize>().prop_map(Edit::Truncate),
        ]
    }

    /// The settings of the parser fuzz tests: `cases` inputs each, shrinking a failure
    /// for at most 10 seconds.
    pub fn fuzz_config(cases: u32) -> ProptestConfig {
        ProptestConfig { cases, max_shrink_time: 10_000, ..ProptestConfig::default() }
    }

    /// The fuzz tests of a config parser: `check` is called on any text and on the seeds
    /// that `seeds()` gives, edited; it must accept the text or name a line of it.
    macro_rules! config_parser_fuzz_tests {
        ($seeds:expr, $check:expr) => {
            proptest::proptest! {
                #![proptest_config($crate::ingest::validate::mutate::fuzz_config(512))]

                #[test]
                fn any_text_parses_or_names_a_line(
                    text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
                ) {
                    $check(&String::from_utf8_lossy(&text));
                }

                #[test]
                fn edited_seeds_parse_or_name_a_line(
                    seed in 0usize..1000,
                    edits in proptest::collection::vec($crate::ingest::validate::mutate::edit(), 1..6),
                ) {
                    let text = $crate::ingest::validate::mutate::edited(&$seeds, seed, &edits);
                    $check(&String::from_utf8_lossy(&text));
                }
            }
        };
    }
    pub(crate) use config_parser_fuzz_tests;

    /// A seed from `seeds` (picked by `seed`) with `edits` applied.
    pub fn edited(seeds: &[Vec<u8>], seed: usize, edits: &[Edit]) -> Vec<u8> {
        let mut text = seeds[seed % seeds.len()].clone();
        for e in edits {
            apply(&mut text, e);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::mutate::edit;
    use super::*;
    use crate::config::UploadConfig;

    #[test]
    fn messages_escape_zero_width_characters_as_well() {
        assert_eq!(tidy("program \"cmd/\u{200B}go\" \u{202E}x"), "program \"cmd/\\u{200b}go\" \\u{202e}x");
        assert_eq!(tidy("\u{FEFF}\u{2060}a"), "\\u{feff}\\u{2060}a");
    }

    #[test]
    fn escapes_control_characters_and_direction_marks_only() {
        use std::borrow::Cow;
        for plain in ["0.25.json", "a b~!", "été", "日本", "", "cmd/\u{200b}go"] {
            assert!(matches!(escape_unprintable(plain), Cow::Borrowed(s) if s == plain), "{plain:?}");
        }
        let cases = [
            ("a\nb", "a\\u{a}b"),
            ("tab\there", "tab\\u{9}here"),
            ("del\u{7f}", "del\\u{7f}"),
            ("\u{1b}[31m", "\\u{1b}[31m"),
            ("x\u{202e}y", "x\\u{202e}y"),
            ("é\u{85}", "é\\u{85}"),
        ];
        for (text, escaped) in cases {
            assert_eq!(escape_unprintable(text), escaped, "{text:?}");
        }
    }

    use proptest::prelude::*;

    const LIMIT: usize = 2048;
    const GOPLS: &str = "golang.org/x/tools/gopls";

    fn catalog() -> Catalog {
        let config = UploadConfig::parse(
            r#"{"GOOS": ["linux", "darwin"], "GOARCH": ["amd64"], "GoVersion": ["go1.22.0"],
                "Programs": [{"Name": "golang.org/x/tools/gopls", "Versions": ["v0.9.0"],
                  "Counters": [{"Name": "gopls/client:{vscode,vim}"}, {"Name": "crash/malformed"}],
                  "Stacks": [{"Name": "gopls/bug", "Depth": 16}]}]}"#,
        )
        .unwrap();
        Catalog::fixed(&config)
    }

    fn good(x: &str, counters: &str, stacks: &str) -> String {
        format!(
            r#"{{"Week":"2026-02-02","LastWeek":"","X":{x},"Programs":[{{"Program":"{GOPLS}","Version":"v0.9.0","GoVersion":"go1.22.0","GOOS":"linux","GOARCH":"amd64","Counters":{counters},"Stacks":{stacks}}}],"Config":"v0.115.0"}}"#
        )
    }

    /// One report per reason `check` can give (and valid ones), as in the foundation tests.
    fn seeds() -> Vec<(Vec<u8>, Option<Reason>)> {
        use Reason::*;
        let mut bad_utf8 = good("0.3", "{}", "{}").into_bytes();
        let at = bad_utf8.iter().position(|&b| b == b'l').unwrap();
        bad_utf8[at] = 0xff;
        let text = |s: String, r: Option<Reason>| (s.into_bytes(), r);
        vec![
            text(good("0.5", "{}", "{}"), None),
            text(
                good("0.25", r#"{"gopls/client:vim":3,"crash/malformed":0}"#, r#"{"gopls/bug\nmain.main:+1":2}"#),
                None,
            ),
            text(
                r#"{"Week":"2026-02-02","X":0.2,"Config":"v0.1.0","Programs":null,"Extra":{"a":[1,{}]}}"#.into(),
                None,
            ),
            text(
                format!(r#"{{"Week":"2026-02-02","X":0.77,"Config":"v0.1.0","Pad":"{}"}}"#, "p".repeat(LIMIT)),
                Some(TooLarge),
            ),
            text(String::new(), Some(Empty)),
            text(" \t\r\n".into(), Some(Empty)),
            (bad_utf8, Some(InvalidUtf8)),
            text("{\"Week\":\"2026-02-02\",\"LastWeek\":\"\u{0}\"}".into(), Some(Malformed)),
            text(good("0.5", "{}", "{}")[..40].into(), Some(Malformed)),
            text(r#"{"Week":"2026-02-02","Week":"2026-02-02","X":0.5,"Config":"v0.1.0"}"#.into(), Some(Malformed)),
            text(good("0.5", r#"{"crash/malformed":1,"crash/malformed":2}"#, "{}"), Some(Malformed)),
            text(format!(r#"{{"X":0.5,"Deep":{}1{}}}"#, "[".repeat(200), "]".repeat(200)), Some(Malformed)),
            text(r#"{"X":0.5} trailing"#.into(), Some(Malformed)),
            text("[]".into(), Some(NotObject)),
            text("\"a string\"".into(), Some(NotObject)),
            text(r#"{"Week":"2026-02-02","X":"0.5","Config":"v0.1.0"}"#.into(), Some(WrongType)),
            text(r#"{"Week":null,"X":0.5}"#.into(), Some(WrongType)),
            text(r#"{"Week":"2026-02-02","X":0.5,"Programs":[null],"Config":"v0.1.0"}"#.into(), Some(WrongType)),
            text(good("0.5", r#"{"crash/malformed":1.5}"#, "{}"), Some(WrongType)),
            text(good("0.5", r#"{"crash/malformed":-1}"#, "{}"), Some(NegativeCount)),
            text(good("0.5", r#"{"crash/malformed":9223372036854775808}"#, "{}"), Some(OverflowCount)),
            text(good("0.5", r#"{"crash/malformed":1e19}"#, "{}"), Some(OverflowCount)),
            text(good("0.5", "{}", "{}").replace("2026-02-02", "2026-02-30"), Some(BadWeek)),
            text(r#"{"X":0.5,"Config":"v0.1.0"}"#.into(), Some(BadWeek)),
            text(good("1", "{}", "{}"), Some(XRange)),
            text(good("0.5", "{}", "{}").replace("v0.115.0", "0.115.0"), Some(BadConfig)),
            text(good("0.5", "{}", "{}").replace(GOPLS, "cmd/stringer"), Some(UnknownProgram)),
            text(good("0.5", "{}", "{}").replace("v0.9.0", "v9.9.9"), Some(UnknownProgram)),
            text(good("0.5", r#"{"gopls/client:emacs":1}"#, "{}"), Some(UnknownCounter)),
            text(good("0.5", "{}", r#"{"gopls/panic\nmain.main:+1":1}"#), Some(UnknownCounter)),
        ]
    }

    fn run(text: &[u8]) -> Result<Valid, (Reason, String)> {
        let mut keys = Vec::new();
        check(text, LIMIT, &catalog(), &mut keys)
    }

    #[test]
    fn the_seed_corpus_covers_every_reason_of_a_single_report() {
        let mut covered = std::collections::BTreeSet::new();
        for (text, expected) in seeds() {
            let got = run(&text).err().map(|e| e.0);
            assert_eq!(got, expected, "{}", String::from_utf8_lossy(&text));
            covered.extend(got);
        }
        // Duplicate needs two reports and Unreadable a file: every other reason is here.
        let rest: Vec<Reason> = Reason::ALL.into_iter().filter(|r| !covered.contains(r)).collect();
        assert_eq!(rest, [Reason::Duplicate, Reason::Unreadable]);
    }

    #[test]
    fn messages_are_short_and_printable() {
        let hostile = format!("{}\u{202E}\u{1b}[2J\n{}", "<script>", "x".repeat(5000));
        let text = good("0.5", "{}", "{}").replace(GOPLS, &hostile.replace('\n', "\\n").replace('\u{1b}', "\\u001b"));
        let mut keys = Vec::new();
        let (reason, message) = check(text.as_bytes(), 1 << 20, &catalog(), &mut keys).unwrap_err();
        assert_eq!(reason, Reason::UnknownProgram);
        assert!(message.contains("<script>\\u{202e}\\u{1b}[2J\\u{a}xxx"), "{message}");
        assert!(message.chars().count() <= MESSAGE_CHARS + 3);
        let key = "k".repeat(10_000);
        let text = format!(r#"{{"{key}":1,"{key}":2}}"#);
        let (reason, message) = check(text.as_bytes(), 1 << 20, &catalog(), &mut keys).unwrap_err();
        assert_eq!(reason, Reason::Malformed);
        assert!(message.len() <= MESSAGE_CHARS + 3, "{}", message.len());
    }

    /// What `check` must say of `text`, as far as an independent parser can tell.
    fn oracle(text: &[u8]) -> Option<Reason> {
        if text.len() > LIMIT {
            return Some(Reason::TooLarge);
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            return Some(Reason::Empty);
        }
        let Ok(text) = std::str::from_utf8(text) else {
            return Some(Reason::InvalidUtf8);
        };
        match serde_json::from_str::<serde_json::Value>(text) {
            Err(_) => Some(Reason::Malformed),
            Ok(value) if !value.is_object() => Some(Reason::NotObject),
            Ok(_) => None, // any reason from Malformed (a repeated key) on, or valid
        }
    }

    fn assert_answer(text: &[u8], got: &Result<Valid, (Reason, String)>) {
        match (oracle(text), got) {
            (Some(want), Err((reason, _))) => assert_eq!(*reason, want),
            (Some(want), Ok(_)) => panic!("valid, expected {want}"),
            (None, Ok(valid)) => assert!(valid.x > 0.0 && valid.x < 1.0),
            (None, Err((reason, _))) => {
                assert!(*reason >= Reason::Malformed && *reason < Reason::Duplicate, "{reason}")
            }
        }
        if let Err((_, message)) = got {
            assert!(!message.is_empty());
            assert!(message.chars().count() <= MESSAGE_CHARS + 3);
            assert!(!message.chars().any(|c| unprintable(c) || crate::chars::is_invisible(c)));
        }
    }

    proptest! {
        #![proptest_config(super::mutate::fuzz_config(512))]

        #[test]
        fn arbitrary_bytes_get_an_answer(text in proptest::collection::vec(any::<u8>(), 0..300)) {
            assert_answer(&text, &run(&text));
        }

        #[test]
        fn edited_seeds_get_an_answer(
            seed in 0usize..1000,
            edits in proptest::collection::vec(edit(), 1..6),
        ) {
            let seeds: Vec<Vec<u8>> = seeds().into_iter().map(|s| s.0).collect();
            let text = super::mutate::edited(&seeds, seed, &edits);
            assert_answer(&text, &run(&text));
            // Without an upload config every name is taken: never an unknown name.
            let got = check(&text, LIMIT, &Catalog::open(), &mut Vec::new());
            assert_answer(&text, &got);
            if let Err((reason, _)) = got {
                prop_assert!(reason < Reason::UnknownProgram);
            }
        }
    }
}
