//! One report on one line: JSON whitespace outside strings removed, everything else kept
//! byte for byte. A report in the upload server's own encoding comes out unchanged.
//! A report with keys Go's report types do not have loses them too
//! ([`without_unknown_keys`]): Go's upload server decodes each report into its type and
//! stores that, so telemetry.go.dev never publishes them, and neither do we.

/// `text` without the whitespace between JSON tokens: `text` itself when it has none,
/// else its compact copy in `scratch` (cleared first). `text` must be valid JSON.
pub fn compact<'a>(text: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if !has_space_or_control(text) {
        return text;
    }
    scratch.clear();
    compact_into(text, scratch);
    scratch
}

/// Whether `text` holds a byte up to `0x20`. Valid JSON with none has no whitespace to
/// remove (a string cannot hold a raw tab, newline or carriage return). Checked a block
/// at a time without stopping early inside one, so the compiler can do each block at
/// once: a year's reports are 700 MB, nearly all of them compact already.
fn has_space_or_control(text: &[u8]) -> bool {
    text.chunks(64).any(|block| block.iter().fold(false, |seen, &b| seen | (b <= b' ')))
}

/// Appends `text` without the whitespace between JSON tokens to `out`.
/// `text` must be valid JSON (it has been parsed).
pub fn compact_into(text: &[u8], out: &mut Vec<u8>) {
    if !has_space_or_control(text) {
        out.extend_from_slice(text);
        return;
    }
    let mut strings = Strings::default();
    for &b in text {
        if strings.inside(b) || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            out.push(b);
        }
    }
}

/// The keys of Go's `telemetry.Report`, and of its `ProgramReport`.
const REPORT_KEYS: [&str; 5] = ["Week", "LastWeek", "X", "Programs", "Config"];
const PROGRAM_KEYS: [&str; 7] = ["Program", "Version", "GoVersion", "GOOS", "GOARCH", "Counters", "Stacks"];

/// Appends `text`, a compact, valid report, to `out` without the members of the report
/// object and of its program reports whose keys Go's types do not have (`"Hostname"`, or
/// `"week"`: keys are case-sensitive here). Everything else is kept byte for byte, in its
/// order. Only a report that has such keys comes here (rare), so this favours being plain.
pub fn without_unknown_keys(text: &[u8], out: &mut Vec<u8>) {
    object(text, 0, out, &REPORT_KEYS, true);
}

/// Copies the object at `text[at]` (a `{`) to `out`, keeping the members whose keys are
/// in `known`; with `programs`, a `Programs` array's objects are filtered as program
/// reports. Returns the index after the object.
fn object(text: &[u8], at: usize, out: &mut Vec<u8>, known: &[&str], programs: bool) -> usize {
    out.push(b'{');
    let mut i = at + 1;
    let mut first = true;
    while text[i] != b'}' {
        let key_end = value_end(text, i);
        let key: Option<String> = serde_json::from_slice(&text[i..key_end]).ok();
        let value = key_end + 1; // after the `:`
        let keep = key.as_deref().is_some_and(|k| known.contains(&k));
        let end = if keep {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&text[i..value]);
            if programs && key.as_deref() == Some("Programs") && text[value] == b'[' {
                array_of_programs(text, value, out)
            } else {
                let end = value_end(text, value);
                out.extend_from_slice(&text[value..end]);
                end
            }
        } else {
            value_end(text, value)
        };
        i = if text[end] == b',' { end + 1 } else { end };
    }
    out.push(b'}');
    i + 1
}

/// Copies the array at `text[at]` (a `[`), filtering each object in it as a program report.
fn array_of_programs(text: &[u8], at: usize, out: &mut Vec<u8>) -> usize {
    out.push(b'[');
    let mut i = at + 1;
    while text[i] != b']' {
        let end = if text[i] == b'{' {
            object(text, i, out, &PROGRAM_KEYS, false)
        } else {
            let end = value_end(text, i);
            out.extend_from_slice(&text[i..end]);
            end
        };
        if text[end] == b',' {
            out.push(b',');
            i = end + 1;
        } else {
            i = end;
        }
    }
    out.push(b']');
    i + 1
}

/// The index just after the JSON value (or key) that starts at `text[at]`, in compact text.
fn value_end(text: &[u8], at: usize) -> usize {
    let mut strings = Strings::default();
    let mut depth = 0usize;
    for (i, &b) in text.iter().enumerate().skip(at) {
        if strings.inside(b) {
            if b == b'"' && !strings.in_string && depth == 0 {
                return i + 1; // a string value (or key) ends
            }
            continue;
        }
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return i, // a number, literal... before its container ends
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b',' | b':' if depth == 0 => return i,
            _ => {}
        }
    }
    text.len()
}

/// Which bytes of a JSON text are in its strings, told byte by byte.
#[derive(Debug, Default)]
pub struct Strings {
    in_string: bool,
    escaped: bool,
}

impl Strings {
    /// Whether `b`, the text's next byte, is part of a string, its quotes included.
    #[inline]
    pub fn inside(&mut self, b: u8) -> bool {
        if !self.in_string {
            self.in_string = b == b'"';
            return self.in_string;
        }
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.in_string = false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::compact_into;

    fn compact(s: &str) -> String {
        let mut out = Vec::new();
        compact_into(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn removes_only_whitespace_between_tokens() {
        assert_eq!(
            compact("{\"A\": 1,\n  \"B\" : [ \"x y\\\" \\\\\" , 2 ]\r\n}"),
            "{\"A\":1,\"B\":[\"x y\\\" \\\\\",2]}"
        );
        assert_eq!(compact("{\"Week\":\"2026-01-01\"}"), "{\"Week\":\"2026-01-01\"}");
        assert_eq!(compact("{\"a\\n\": \"\\\\\"}"), "{\"a\\n\":\"\\\\\"}");
    }

    fn stripped(s: &str) -> String {
        let mut out = Vec::new();
        super::without_unknown_keys(s.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn unknown_keys_are_left_out_and_the_rest_kept_byte_for_byte() {
        // At the top, first, between and last; with every kind of value.
        assert_eq!(
            stripped(r#"{"Host":"a,b}\"","Week":"2026-01-01","n":{"x":[1,{"y":"]"}]},"X":5e-1,"z":null}"#),
            r#"{"Week":"2026-01-01","X":5e-1}"#
        );
        // Keys are compared unescaped and case-sensitively.
        assert_eq!(stripped(r#"{"W\u0065ek":"d","week":"e","X":0.5}"#), r#"{"W\u0065ek":"d","X":0.5}"#);
        // In program reports, whose known keys differ (`Week` is not one of them).
        assert_eq!(
            stripped(
                r#"{"Programs":[{"Path":"/home/a","Program":"p","Counters":{"Path":1},"Week":"x"},null,{"GOOS":"linux","Stacks":{}}],"Config":"v0.1.0"}"#
            ),
            r#"{"Programs":[{"Program":"p","Counters":{"Path":1}},null,{"GOOS":"linux","Stacks":{}}],"Config":"v0.1.0"}"#
        );
        // Nothing known is left: an empty object, still valid JSON.
        assert_eq!(stripped(r#"{"a":1,"b":[true,false]}"#), "{}");
        assert_eq!(stripped(r#"{"Programs":[{"a":1}],"Programs2":[]}"#), r#"{"Programs":[{}]}"#);
        // A text without unknown keys comes out unchanged.
        let plain = r#"{"Week":"2026-01-01","LastWeek":"","X":0.25,"Programs":[],"Config":"v0.115.0"}"#;
        assert_eq!(stripped(plain), plain);
    }

    use proptest::prelude::*;

    /// A JSON value of a few levels, with strings that hold JSON's own characters.
    fn value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z{}\\[\\],:\"\\\\ ]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[A-Za-z]{1,8}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Keys: known ones of a report and of a program report, and others.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec!["Week", "X", "Programs", "Program", "GOOS", "Counters", "week", "Host"])
                .prop_map(String::from),
            "[A-Za-z]{1,8}",
        ]
    }

    proptest! {
        #![proptest_config(crate::ingest::validate::mutate::fuzz_config(256))]
        /// Whatever the keys and values, the result is the input without the members whose
        /// keys Go's types lack, at the top and in the objects of `Programs`.
        #[test]
        fn only_unknown_members_are_left_out(
            top in proptest::collection::vec((key(), value()), 0..6),
            programs in proptest::collection::vec(proptest::collection::vec((key(), value()), 0..5), 0..3),
        ) {
            use serde_json::{Map, Value};
            let program_objects: Vec<Value> =
                programs.iter().map(|p| Value::Object(p.iter().cloned().collect::<Map<_, _>>())).collect();
            let mut input: Map<String, Value> = top.into_iter().collect();
            input.insert("Programs".into(), Value::Array(program_objects));
            let text = serde_json::to_string(&Value::Object(input.clone())).unwrap();
            let mut expected: Map<String, Value> =
                input.into_iter().filter(|(k, _)| super::REPORT_KEYS.contains(&k.as_str())).collect();
            if let Some(Value::Array(items)) = expected.get_mut("Programs") {
                for item in items {
                    if let Value::Object(m) = item {
                        m.retain(|k, _| super::PROGRAM_KEYS.contains(&k.as_str()));
                    }
                }
            }
            let out = stripped(&text);
            let parsed: Value = serde_json::from_str(&out).expect("valid JSON");
            prop_assert_eq!(parsed, Value::Object(expected), "{} -> {}", text, out);
        }
    }

    #[test]
    fn compact_text_is_given_back_as_it_is() {
        let mut scratch = b"old".to_vec();
        let text = br#"{"Week":"2026-01-01","X":0.5,"Programs":[]}"#;
        assert!(std::ptr::eq(super::compact(text, &mut scratch), &text[..]), "no copy");
        // A space in a string alone also takes the copy, which keeps it.
        let long = format!("{{\"a\":\"{} b\",\n\"c\":1}}", "x".repeat(200));
        let expected = format!("{{\"a\":\"{} b\",\"c\":1}}", "x".repeat(200));
        assert_eq!(super::compact(long.as_bytes(), &mut scratch), expected.as_bytes());
        assert_eq!(super::compact(b"{\"a\":\"x y\"}", &mut scratch), b"{\"a\":\"x y\"}");
    }
}
