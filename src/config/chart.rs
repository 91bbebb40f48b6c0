//! The chart config: one `key: value` record per chart, records separated by
//! `---` lines (`golang.org/x/telemetry/internal/chartconfig`, file `config.txt`).
//!
//! The parser is a port of chartconfig's `Parse`, so a file Go accepts parses
//! here to the same records and a file Go rejects is rejected here, at the same
//! line. Its rules, some of them surprising:
//!
//! - A key must start the line and be followed at once by `:`; the value is the
//!   rest of the line, trimmed. A key with an empty value is skipped as if absent.
//! - `#` starts a comment anywhere, even inside a value: `issue: https://x/1#c2`
//!   keeps only `https://x/1` (the format forbids `#` in values).
//! - A record separator is exactly `---`; `--- # note` or `---` with trailing
//!   spaces or `\r` is an invalid line.
//! - `issue` may repeat; repeating any other key is an error. Records with no
//!   field (only comments) are dropped.
//! - `{` may appear only in a `counter` field; such a field may run over several
//!   lines up to its `}`, each continuation line trimmed of surrounding whitespace
//!   and joined without separator, so `counter: a:{\n\tx,\n\ty\n}` is `a:{x,y}`.
//!   A `}` anywhere else is an error.
//!
//! Unlike Go, whose messages count lines from 0, [`ConfigError::line`] counts from 1.

use serde::Serialize;

use super::upload::counter_chart_name;
use super::ConfigError;

/// One chart record (`chartconfig.ChartConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ChartConfig {
    pub title: String,
    pub description: String,
    /// Every `issue:` line, in order.
    pub issues: Vec<String>,
    /// The chart type: `partition` or `stack`.
    #[serde(rename = "type")]
    pub kind: String,
    pub program: String,
    /// The counter expression, e.g. `gopls/client:{vscode,vim}` or `gopls/bug`.
    pub counter: String,
    pub depth: Option<i64>,
    pub error: Option<f64>,
    /// Not a chartconfig key: Go's parser has no `buckets:` and neither has this one
    /// (such a line is an unknown-key error). Always empty after parsing.
    pub buckets: Vec<i64>,
    /// The first program version the chart applies to; empty for all versions.
    pub version: String,
    pub module: Option<String>,
    /// 1-based line of the record's first field.
    pub line: usize,
}

/// Every record of a chart config file, in file order.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ChartConfigFile {
    pub records: Vec<ChartConfig>,
}

/// The keys chartconfig accepts, sorted as its error message lists them.
const KEYS: [&str; 10] =
    ["counter", "depth", "description", "error", "issue", "module", "program", "title", "type", "version"];

impl ChartConfigFile {
    /// Parses records as chartconfig's `Parse` does (see the module docs).
    ///
    /// # Errors
    ///
    /// The first invalid line: an unknown key, a repeated key other than `issue`, a
    /// bad number, a misplaced brace or an unclosed multi-line counter field.
    pub fn parse(text: &str) -> Result<ChartConfigFile, ConfigError> {
        let mut parser = Parser::default();
        for (index, line) in text.split('\n').enumerate() {
            parser.line(index + 1, line)?;
        }
        parser.finish()
    }

    /// The record for a program and a chart name: the part of its counter
    /// expression before `:` (`gopls/client` for `gopls/client:{vscode,vim}`), or
    /// the whole expression for a stack counter (`gopls/bug`). The first such record
    /// when there are several.
    pub fn find(&self, program: &str, chart: &str) -> Option<&ChartConfig> {
        self.records.iter().find(|record| record.program == program && counter_chart_name(&record.counter) == chart)
    }
}

/// The state of one pass over the lines.
#[derive(Default)]
struct Parser {
    records: Vec<ChartConfig>,
    record: ChartConfig,
    /// Keys set in `record`, with the line each was set on.
    set: Vec<(&'static str, usize)>,
    /// A counter field opened with `{` and not yet closed: its text so far and the
    /// line it started on.
    open_counter: Option<(String, usize)>,
}

impl Parser {
    fn line(&mut self, number: usize, line: &str) -> Result<(), ConfigError> {
        if line == "---" {
            if let Some((_, start)) = &self.open_counter {
                return Err(ConfigError::at_line(
                    number,
                    format!("record ended inside the counter field opened with `{{` on line {start}"),
                ));
            }
            self.flush();
            return Ok(());
        }
        let text = line.split_once('#').map_or(line, |(before, _)| before);
        let Some((text, field_line)) = self.join_counter_lines(number, text)? else {
            return Ok(()); // inside a multi-line counter field
        };
        let (key, value) = match KEYS.iter().find_map(|key| Some((*key, text.strip_prefix(key)?.strip_prefix(':')?))) {
            Some((key, value)) => (Some(key), value),
            None => (None, text.as_str()),
        };
        let value = value.trim();
        if value.is_empty() {
            return Ok(()); // blank, a comment, or a key without a value
        }
        let Some(key) = key else {
            return Err(ConfigError::at_line(number, invalid_line_reason(&text)));
        };
        self.set_field(key, value, field_line)
    }

    /// Port of chartconfig's handling of `{` and `}`: returns the line's text to
    /// parse as a field and the line the field started on, or `None` while a
    /// multi-line counter field is still open.
    fn join_counter_lines(&mut self, number: usize, text: &str) -> Result<Option<(String, usize)>, ConfigError> {
        let brace_error = |reason: &str| Err(ConfigError::at_line(number, reason.to_string()));
        let mut text = text;
        if self.open_counter.is_none() {
            if let Some(open) = text.find('{') {
                if text[..open].contains('}') {
                    return brace_error("unexpected `}` before `{`");
                }
                if text[open + 1..].contains('{') {
                    return brace_error("unexpected second `{`");
                }
                if !text.starts_with("counter:") {
                    return brace_error("`{` may appear only in a `counter` field");
                }
                self.open_counter = Some((text.trim_end().to_string(), number));
                text = "";
            } else if text.contains('}') {
                return brace_error("unexpected `}` without `{`");
            }
        }
        let Some((mut joined, start)) = self.open_counter.take() else {
            return Ok(Some((text.to_string(), number)));
        };
        if text.contains('{') {
            return brace_error("`{` may appear only once in a `counter` field");
        }
        joined.push_str(text.trim());
        let Some(close) = joined.find('}') else {
            self.open_counter = Some((joined, start));
            return Ok(None);
        };
        if joined[close + 1..].contains('}') {
            return brace_error("unexpected second `}`");
        }
        if joined[..close].ends_with(',') {
            return brace_error("unexpected `}` after `,`");
        }
        Ok(Some((joined, start)))
    }

    fn set_field(&mut self, key: &'static str, value: &str, line: usize) -> Result<(), ConfigError> {
        if key != "issue" {
            if let Some((_, first)) = self.set.iter().find(|(set, _)| *set == key) {
                return Err(ConfigError::at_line(
                    line,
                    format!("field `{key}` may not be repeated (first set on line {first})"),
                ));
            }
        }
        let record = &mut self.record;
        match key {
            "title" => record.title = value.to_string(),
            "description" => record.description = value.to_string(),
            "issue" => record.issues.push(value.to_string()),
            "type" => record.kind = value.to_string(),
            "program" => record.program = value.to_string(),
            "module" => record.module = Some(value.to_string()),
            "counter" => record.counter = value.to_string(),
            "version" => record.version = value.to_string(),
            "depth" => {
                let depth = value
                    .parse()
                    .map_err(|_| ConfigError::at_line(line, format!("field `depth`: invalid int value `{value}`")))?;
                record.depth = Some(depth);
            }
            "error" => {
                let error = go_parse_float(value).ok_or_else(|| {
                    ConfigError::at_line(line, format!("field `error`: invalid float value `{value}`"))
                })?;
                record.error = Some(error);
            }
            _ => unreachable!("every key in KEYS has a field"),
        }
        if self.set.is_empty() {
            record.line = line;
        }
        self.set.push((key, line));
        Ok(())
    }

    /// Ends the current record; one with no field set is dropped.
    fn flush(&mut self) {
        let record = std::mem::take(&mut self.record);
        if !self.set.is_empty() {
            self.records.push(record);
        }
        self.set.clear();
    }

    fn finish(mut self) -> Result<ChartConfigFile, ConfigError> {
        if let Some((_, start)) = &self.open_counter {
            return Err(ConfigError::at_line(*start, "counter field opened with `{` is never closed with `}`"));
        }
        self.flush();
        Ok(ChartConfigFile { records: self.records })
    }
}

/// Why a non-blank line that starts with no known key is rejected.
fn invalid_line_reason(text: &str) -> String {
    if text.trim() == "---" {
        return "a record separator must be exactly `---`, alone on its line".to_string();
    }
    let trimmed = text.trim_start();
    if trimmed.len() != text.len() && KEYS.iter().any(|key| trimmed.starts_with(&format!("{key}:"))) {
        return "a key must start at the beginning of the line".to_string();
    }
    let known = format!("{} or {}", KEYS[..KEYS.len() - 1].join(", "), KEYS[KEYS.len() - 1]);
    match text.split_once(':') {
        Some((word, _)) if !word.is_empty() && !word.contains(char::is_whitespace) => {
            format!("unknown key `{word}` (expected {known})")
        }
        _ => format!("invalid line `{}`: expected `---` or `key: value` with a key among {known}", text.trim()),
    }
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms Go accepts; like Go, a value
/// out of range (`1e400`) is an error rather than infinity. (Go's hexadecimal
/// floats are not accepted.)
fn go_parse_float(text: &str) -> Option<f64> {
    let value: f64 = text.parse().ok()?;
    if value.is_infinite() {
        let unsigned = text.trim_start_matches(['+', '-']);
        if !unsigned.eq_ignore_ascii_case("inf") && !unsigned.eq_ignore_ascii_case("infinity") {
            return None;
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<ChartConfig> {
        ChartConfigFile::parse(text).unwrap().records
    }

    fn error(text: &str) -> ConfigError {
        ChartConfigFile::parse(text).unwrap_err()
    }

    #[test]
    fn every_field() {
        let records = parse(
            "\ntitle: A\ndescription: B\ntype: C\nprogram: D\ncounter: E\nissue: F1\nissue: F2\ndepth: 2\nerror: 0.1\nversion: v2.0.0\nmodule: M\n",
        );
        assert_eq!(
            records,
            [ChartConfig {
                title: "A".into(),
                description: "B".into(),
                issues: vec!["F1".into(), "F2".into()],
                kind: "C".into(),
                program: "D".into(),
                counter: "E".into(),
                depth: Some(2),
                error: Some(0.1),
                buckets: vec![],
                version: "v2.0.0".into(),
                module: Some("M".into()),
                line: 2,
            }]
        );
    }

    #[test]
    fn empty_input_and_comment_only_records_give_nothing() {
        assert!(parse("").is_empty());
        assert!(parse("# only a comment\n---\n\n---\n").is_empty());
        let records = parse("title: A");
        assert_eq!(records.len(), 1);
        assert_eq!((records[0].title.as_str(), records[0].line), ("A", 1));
    }

    #[test]
    fn records_comments_and_whitespace() {
        let text = "# header\n---\ntitle: A # a line comment\n\n# another\n\ndescription:    B   \n---\n\ntitle:C\ndescription: D\n";
        let records = parse(text);
        assert_eq!(records.len(), 2);
        assert_eq!((records[0].title.as_str(), records[0].description.as_str(), records[0].line), ("A", "B", 3));
        assert_eq!((records[1].title.as_str(), records[1].description.as_str(), records[1].line), ("C", "D", 10));
    }

    #[test]
    fn hash_always_starts_a_comment() {
        let records = parse("issue: https://go.dev/issue/1#issuecomment-2\ntitle: C# usage\n");
        assert_eq!(records[0].issues, ["https://go.dev/issue/1"]);
        assert_eq!(records[0].title, "C");
    }

    #[test]
    fn empty_values_are_skipped() {
        // "title:" sets nothing, so a later title is not a repeat.
        let records = parse("title:\ntitle:   # later\ntitle: T\n");
        assert_eq!(records[0].title, "T");
        assert_eq!(records[0].line, 3);
    }

    #[test]
    fn repeated_issue_keys_accumulate() {
        let records = parse("issue: a\ntitle: t\nissue: b # why\nissue: c\n");
        assert_eq!(records[0].issues, ["a", "b", "c"]);
    }

    #[test]
    fn multi_line_counter_fields() {
        let records = parse("title: flags\ncounter: go/build/flag:{\n\tbuildmode\n}\nprogram: cmd/go\n");
        assert_eq!(records[0].counter, "go/build/flag:{buildmode}");
        assert_eq!(records[0].program, "cmd/go");

        let records = parse("counter: foo:{\n\tbar,\n    baz # a comment\n\n}\n");
        assert_eq!(records[0].counter, "foo:{bar,baz}");
        assert_eq!(records[0].line, 1);

        let records = parse("counter: foo:{bar,\n baz}\n");
        assert_eq!(records[0].counter, "foo:{bar,baz}");

        // On one line nothing inside the braces is removed.
        let records = parse("counter: foo:{bar, baz}\n");
        assert_eq!(records[0].counter, "foo:{bar, baz}");
    }

    #[test]
    fn errors_name_the_line() {
        let err = error("title: A\n---\ntitel: B\n");
        assert_eq!(err.line, 3);
        assert_eq!(err.column, 0);
        assert_eq!(
            err.to_string(),
            "line 3: unknown key `titel` (expected counter, depth, description, error, issue, module, program, title, type or version)"
        );

        let err = error("title: A\ndescription: x\ntitle: B\n");
        assert_eq!(err, ConfigError::at_line(3, "field `title` may not be repeated (first set on line 1)"));

        assert_eq!(error("\n title: foo\n"), ConfigError::at_line(2, "a key must start at the beginning of the line"));
        let separator = ConfigError::at_line(2, "a record separator must be exactly `---`, alone on its line");
        assert_eq!(error("title: a\n--- # no comments here\n"), separator);
        assert_eq!(error("title: a\n---\r\ntitle: b\n"), separator);
        assert_eq!(error("buckets: 1\n").line, 1);
        assert_eq!(error("depth: notanint\n"), ConfigError::at_line(1, "field `depth`: invalid int value `notanint`"));
        assert_eq!(error("\nerror: 1e400\n"), ConfigError::at_line(2, "field `error`: invalid float value `1e400`"));
        // A repeated multi-line counter is reported where it starts.
        assert_eq!(
            error("counter: a\ntitle: t\ncounter: b:{\n x\n}\n"),
            ConfigError::at_line(3, "field `counter` may not be repeated (first set on line 1)")
        );
    }

    #[test]
    fn brace_errors_match_chartconfig() {
        assert_eq!(error("\ntitle: {\n").line, 2);
        assert_eq!(error("\ntitle: }\n").line, 2);
        assert_eq!(error("description: set {a}\n").line, 1);
        assert_eq!(
            error("counter: foo{\n  bar\n---\ntitle: baz\n"),
            ConfigError::at_line(3, "record ended inside the counter field opened with `{` on line 1")
        );
        assert_eq!(
            error("title: t\ncounter: foo{\n  bar\n"),
            ConfigError::at_line(2, "counter field opened with `{` is never closed with `}`")
        );
        assert_eq!(error("counter: }foo{\n  bar\n}").line, 1);
        assert_eq!(error("counter: foo{\n  bar\n} {").line, 3);
        assert_eq!(error("counter: foo{{\n  bar\n}").line, 1);
        assert_eq!(error("counter: foo{\n  {bar\n}").line, 2);
        assert_eq!(error("counter: foo{\n  bar\n} }").line, 3);
        assert_eq!(error("counter: foo{\n  bar,\n  baz,\n}"), ConfigError::at_line(4, "unexpected `}` after `,`"));
    }

    #[test]
    fn numbers_parse_like_strconv() {
        let records = parse("depth: -3\nerror: 1e-2\n");
        assert_eq!((records[0].depth, records[0].error), (Some(-3), Some(0.01)));
        assert_eq!(parse("depth: +7\n")[0].depth, Some(7));
        assert_eq!(parse("error: Inf\n")[0].error, Some(f64::INFINITY));
        assert_eq!(error("depth: 1.5\n").line, 1);
        assert_eq!(error("depth: 9223372036854775808\n").line, 1);
        assert_eq!(error("error: 1_0\n").line, 1);
    }

    #[test]
    fn find_by_program_and_chart_name() {
        let file = ChartConfigFile::parse(
            "counter: gopls/client:{vscode,vim}\nprogram: golang.org/x/tools/gopls\n---\ncounter: gopls/bug\nprogram: golang.org/x/tools/gopls\ntype: stack\n---\ncounter: gopls/bug\nprogram: other\n",
        )
        .unwrap();
        let client = file.find("golang.org/x/tools/gopls", "gopls/client").unwrap();
        assert_eq!(client.line, 1);
        let bug = file.find("golang.org/x/tools/gopls", "gopls/bug").unwrap();
        assert_eq!((bug.kind.as_str(), bug.line), ("stack", 4));
        assert_eq!(file.find("other", "gopls/bug").unwrap().line, 8);
        assert!(file.find("golang.org/x/tools/gopls", "gopls/client:vim").is_none());
        assert!(file.find("cmd/go", "gopls/client").is_none());
    }

    #[test]
    fn serializes_type_under_its_go_key() {
        let json = serde_json::to_value(&parse("type: partition\n")[0]).unwrap();
        assert_eq!(json["type"], "partition");
        assert!(json.get("kind").is_none());
    }

    /// The real config, when the shared copy is present (it is not part of the crate).
    #[test]
    fn parses_the_real_chart_config_when_present() {
        let Ok(text) = std::fs::read_to_string("/work/shared/go/chart-config.txt") else {
            return;
        };
        let file = ChartConfigFile::parse(&text).unwrap();
        // 41 `counter:` lines, 40 `---` separators, no empty record.
        assert_eq!(file.records.len(), 41);
        assert!(file.records.iter().all(|r| !r.counter.is_empty() && !r.title.is_empty()));
        let first = &file.records[0];
        assert_eq!(first.title, "Editor Distribution");
        assert_eq!(first.line, 4);
        assert_eq!(
            first.issues,
            [
                "https://go.dev/issue/61038",
                "https://go.dev/issue/62214",
                "https://go.dev/issue/74874",
                "https://go.dev/issue/79713"
            ]
        );
        assert_eq!(first.version, "v0.13.0");
        assert_eq!(first.module.as_deref(), Some("golang.org/x/tools/gopls"));
        let flags = file.find("cmd/go", "go/build/flag").unwrap();
        assert_eq!(flags.counter, "go/build/flag:{buildmode}");
        assert_eq!(flags.module, None);
        assert_eq!(flags.version, "go1.23rc1");
        let buildmode = file.find("cmd/go", "go/build/flag/buildmode").unwrap();
        assert_eq!(
            buildmode.counter,
            "go/build/flag/buildmode:{archive,c-archive,c-shared,default,exe,pie,shared,plugin}"
        );
        let bug = file.find("golang.org/x/tools/gopls", "gopls/bug").unwrap();
        assert_eq!((bug.kind.as_str(), bug.depth), ("stack", Some(16)));
    }

    mod fuzz {
        use super::*;
        use crate::ingest::validate::mutate::config_parser_fuzz_tests;

        /// Every key, comments, separators, multi-line counters, and every kind of error.
        const SEEDS: &[&str] = &[
            "title: Editor Distribution\nnote: x\n",
            "title: A\ndescription: B\ntype: partition\nprogram: golang.org/x/tools/gopls\ncounter: gopls/client:{vscode,vim}\nissue: https://go.dev/issue/1#c\nissue: b\ndepth: 2\nerror: 0.1\nversion: v0.14.0\nmodule: M\n---\ntitle: C\n",
            "# header\n---\ncounter: go/build/flag:{\n\tbuildmode,\n  x # c\n\n}\nprogram: cmd/go\n---\n",
            "title: A\ntitle: B\n",
            "titel: A\n",
            " title: A\n",
            "--- # note\n",
            "depth: two\nerror: 1e400\n",
            "counter: a:{x,\n---\n",
            "counter: a:{x}}\ntitle: }\ndescription: {\n",
            "counter: a:{x,}\n",
            "counter: a:{\n{\n",
            "\r\n---\r\ntitle: A\r\n",
        ];

        fn seeds() -> Vec<Vec<u8>> {
            SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect()
        }

        fn check(text: &str) {
            let lines = text.split('\n').count();
            match ChartConfigFile::parse(text) {
                Ok(file) => {
                    for record in &file.records {
                        assert!(record.line >= 1 && record.line <= lines);
                        assert!(record.buckets.is_empty());
                        let _ = file.find(&record.program, counter_chart_name(&record.counter));
                    }
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.line <= lines, "{e} of {lines} lines");
                    assert!(!e.reason.is_empty());
                }
            }
        }

        #[test]
        fn the_seeds_parse_or_fail_as_written() {
            let ok: Vec<bool> = SEEDS.iter().map(|s| ChartConfigFile::parse(s).is_ok()).collect();
            assert_eq!(ok, [false, true, true, false, false, false, false, false, false, false, false, false, false]);
        }

        config_parser_fuzz_tests!(seeds(), check);
    }
}
