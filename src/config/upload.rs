//! The upload config: which GOOS, GOARCH, Go versions, programs, program versions,
//! counters and stacks a report may contain (`golang.org/x/telemetry`'s
//! `UploadConfig`, read by `internal/config`).
//!
//! Deserializing follows Go's `encoding/json` rather than serde's defaults, because
//! the file is written for Go: keys match case-insensitively (`"goos"` fills
//! `GOOS`), `null` empties a list and leaves a number or string at its zero value,
//! unknown keys are ignored and a repeated key's last value wins. Serializing uses
//! Go's field names and `omitempty` tags, so the config prints as Go prints it.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;

use super::ConfigError;

/// What may be uploaded (`telemetry.UploadConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct UploadConfig {
    #[serde(rename = "GOOS")]
    pub goos: Vec<String>,
    #[serde(rename = "GOARCH")]
    pub goarch: Vec<String>,
    #[serde(rename = "GoVersion")]
    pub go_version: Vec<String>,
    #[serde(rename = "SampleRate", serialize_with = "go_float")]
    pub sample_rate: f64,
    #[serde(rename = "Programs")]
    pub programs: Vec<ProgramConfig>,
}

/// One program's versions, counters and stacks (`telemetry.ProgramConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ProgramConfig {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Versions")]
    pub versions: Vec<String>,
    /// Counter expressions such as `gopls/client:{vscode,vim}`; see [`expand_counter`].
    #[serde(rename = "Counters", skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<CounterConfig>,
    #[serde(rename = "Stacks", skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<StackConfig>,
}

/// A counter expression and its upload rate (`telemetry.CounterConfig`). Go's
/// `Depth` field is only used for stacks, so it is read into [`StackConfig`] only.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CounterConfig {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Rate", serialize_with = "go_float")]
    pub rate: f64,
}

/// A stack counter, its upload rate and the stack depth collected
/// (`telemetry.CounterConfig` in `ProgramConfig.Stacks`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StackConfig {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Rate", serialize_with = "go_float")]
    pub rate: f64,
    #[serde(rename = "Depth", skip_serializing_if = "is_zero")]
    pub depth: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Writes a whole float as Go's encoding/json does, without a fraction (`1`, not
/// `1.0`), so a printed config looks like the file it came from.
fn go_float<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole float below is an exact i64
    if value.fract() == 0.0 && value.abs() < EXACT {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

impl UploadConfig {
    /// Parses the config as Go's `json.Unmarshal` would: a top-level `null` is the
    /// empty config, missing keys and `null` lists are empty, unknown keys are
    /// ignored.
    ///
    /// # Errors
    ///
    /// Invalid JSON, or a value of the wrong type for its field, with `serde_json`'s
    /// line and column.
    pub fn parse(text: &str) -> Result<UploadConfig, ConfigError> {
        let config: Option<UploadConfig> = serde_json::from_str(text).map_err(json_error)?;
        Ok(config.unwrap_or_default())
    }
}

impl ProgramConfig {
    /// Every counter name the config allows for this program, each expression
    /// expanded with [`expand_counter`], in config order.
    pub fn expanded_counters(&self) -> Vec<String> {
        self.counters.iter().flat_map(|counter| expand_counter(&counter.name)).collect()
    }
}

/// Go telemetry's `config.Expand`: `a/b:{x,y}` gives `a/b:x` and `a/b:y`; a name
/// without `{` is returned alone.
///
/// As in Go, everything after the first `{` is split on `,` after dropping one
/// final `}`, so malformed expressions expand literally: `a:{x,y` gives `a:x`,
/// `a:y`; `a:{}` gives `a:`; `a:{x}}` gives `a:x}`.
///
/// ```
/// use telemetry_site::config::upload::expand_counter;
/// assert_eq!(expand_counter("gopls/client:{vim,other}"), ["gopls/client:vim", "gopls/client:other"]);
/// ```
pub fn expand_counter(name: &str) -> Vec<String> {
    match name.split_once('{') {
        Some((prefix, rest)) => {
            let buckets = rest.strip_suffix('}').unwrap_or(rest);
            buckets.split(',').map(|bucket| format!("{prefix}{bucket}")).collect()
        }
        None => vec![name.to_string()],
    }
}

/// The chart a counter belongs to: the text before the first `:`, or the whole
/// name when it has none (`gopls/client:vim` -> `gopls/client`).
pub fn counter_chart_name(name: &str) -> &str {
    name.split_once(':').map_or(name, |(chart, _)| chart)
}

/// The (chart, bucket) of an expanded counter name, split at the first `:`
/// (`gopls/client:vim` -> (`gopls/client`, `vim`)). A name without `:` is its own
/// chart and bucket, as telemetry.go.dev charts it (`crash/malformed`).
pub fn split_counter_name(name: &str) -> (&str, &str) {
    name.split_once(':').unwrap_or((name, name))
}

fn json_error(err: serde_json::Error) -> ConfigError {
    let (line, column) = (err.line(), err.column());
    let message = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let reason = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
    ConfigError { line, column, reason }
}

// ---------------------------------------------------------------------------
// Deserializing with encoding/json's rules
// ---------------------------------------------------------------------------

/// Whether a JSON key selects a Go field: encoding/json matches exactly or, failing
/// that, under Unicode case folding (`bytes.EqualFold`). Our field names are ASCII
/// letters, whose only non-ASCII fold partners are U+017F (ſ, with s) and U+212A
/// (Kelvin sign, with k).
fn go_key_is(key: &str, field: &str) -> bool {
    fn fold(c: char) -> char {
        match c {
            '\u{017F}' => 's',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        }
    }
    key.chars().map(fold).eq(field.chars().map(fold))
}

/// A value for which JSON `null` means Go's zero value (`Default`).
struct ZeroIfNull<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for ZeroIfNull<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ZeroIfNull(Option::<T>::deserialize(deserializer)?.unwrap_or_default()))
    }
}

/// A Go slice: `null` is empty, a `null` element is the element's zero value.
fn go_list<'de, A: MapAccess<'de>, T: Deserialize<'de> + Default>(map: &mut A) -> Result<Vec<T>, A::Error> {
    let list: Option<Vec<ZeroIfNull<T>>> = map.next_value()?;
    Ok(list.unwrap_or_default().into_iter().map(|item| item.0).collect())
}

/// A Go number or string: `null` leaves the current value alone.
fn go_scalar<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A, slot: &mut T) -> Result<(), A::Error> {
    if let Some(value) = map.next_value::<Option<T>>()? {
        *slot = value;
    }
    Ok(())
}

/// Implements `Deserialize` for a struct from a JSON object, one arm per field:
/// `"GoName" => list field` or `"GoName" => scalar field`.
macro_rules! go_struct {
    ($type:ident, $expecting:literal, { $($key:literal => $kind:ident $field:ident),* $(,)? }) => {
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct StructVisitor;
                impl<'de> Visitor<'de> for StructVisitor {
                    type Value = $type;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$type, A::Error> {
                        let mut value = $type::default();
                        while let Some(key) = map.next_key::<String>()? {
                            $(
                                if go_key_is(&key, $key) {
                                    go_struct!(@read $kind, map, value.$field);
                                    continue;
                                }
                            )*
                            map.next_value::<IgnoredAny>()?;
                        }
                        Ok(value)
                    }
                }
                deserializer.deserialize_map(StructVisitor)
            }
        }
    };
    (@read list, $map:ident, $slot:expr) => { $slot = go_list(&mut $map)? };
    (@read scalar, $map:ident, $slot:expr) => { go_scalar(&mut $map, &mut $slot)? };
}

go_struct!(UploadConfig, "an upload config object", {
    "GOOS" => list goos,
    "GOARCH" => list goarch,
    "GoVersion" => list go_version,
    "SampleRate" => scalar sample_rate,
    "Programs" => list programs,
});

go_struct!(ProgramConfig, "a program config object", {
    "Name" => scalar name,
    "Versions" => list versions,
    "Counters" => list counters,
    "Stacks" => list stacks,
});

go_struct!(CounterConfig, "a counter config object", {
    "Name" => scalar name,
    "Rate" => scalar rate,
});

go_struct!(StackConfig, "a stack config object", {
    "Name" => scalar name,
    "Rate" => scalar rate,
    "Depth" => scalar depth,
});

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{
	"GOOS": ["darwin", "linux"],
	"GOARCH": ["amd64", "arm64"],
	"GoVersion": ["go1.9.2rc2", "go1.21.0"],
	"SampleRate": 0.5,
	"Programs": [
		{
			"Name": "golang.org/x/tools/gopls",
			"Versions": ["v0.13.0", "v0.14.0-pre.1"],
			"Counters": [
				{"Name": "gopls/client:{vscode,vim,other}", "Rate": 1},
				{"Name": "crash/malformed", "Rate": 0.25}
			],
			"Stacks": [{"Name": "gopls/bug", "Rate": 1, "Depth": 16}]
		},
		{"Name": "cmd/go", "Versions": null, "Future": {"x": [1, 2]}}
	]
}"#;

    fn small() -> UploadConfig {
        UploadConfig {
            goos: vec!["darwin".into(), "linux".into()],
            goarch: vec!["amd64".into(), "arm64".into()],
            go_version: vec!["go1.9.2rc2".into(), "go1.21.0".into()],
            sample_rate: 0.5,
            programs: vec![
                ProgramConfig {
                    name: "golang.org/x/tools/gopls".into(),
                    versions: vec!["v0.13.0".into(), "v0.14.0-pre.1".into()],
                    counters: vec![
                        CounterConfig { name: "gopls/client:{vscode,vim,other}".into(), rate: 1.0 },
                        CounterConfig { name: "crash/malformed".into(), rate: 0.25 },
                    ],
                    stacks: vec![StackConfig { name: "gopls/bug".into(), rate: 1.0, depth: 16 }],
                },
                ProgramConfig { name: "cmd/go".into(), ..ProgramConfig::default() },
            ],
        }
    }

    #[test]
    fn parses_every_field_and_ignores_unknown_keys() {
        assert_eq!(UploadConfig::parse(SMALL).unwrap(), small());
    }

    #[test]
    fn null_and_missing_are_go_zero_values() {
        assert_eq!(UploadConfig::parse("null").unwrap(), UploadConfig::default());
        assert_eq!(UploadConfig::parse("{}").unwrap(), UploadConfig::default());
        let config = UploadConfig::parse(
            r#"{"GOOS": null, "SampleRate": 0.25, "Programs": [null, {"Name": "p", "Counters": [null, {"Name": null, "Rate": 2}]}]}"#,
        )
        .unwrap();
        assert!(config.goos.is_empty());
        assert_eq!(config.sample_rate, 0.25);
        assert_eq!(config.programs[0], ProgramConfig::default());
        assert_eq!(config.programs[1].counters[0], CounterConfig::default());
        assert_eq!(config.programs[1].counters[1], CounterConfig { name: String::new(), rate: 2.0 });
        // null leaves a number at its earlier value, as json.Unmarshal does.
        let config = UploadConfig::parse(r#"{"SampleRate": 0.75, "SampleRate": null}"#).unwrap();
        assert_eq!(config.sample_rate, 0.75);
    }

    #[test]
    fn keys_match_like_encoding_json() {
        let config =
            UploadConfig::parse(r#"{"goos": ["linux"], "GoArch": ["386"], "goversion": ["go1.22.0"]}"#).unwrap();
        assert_eq!(config.goos, ["linux"]);
        assert_eq!(config.goarch, ["386"]);
        assert_eq!(config.go_version, ["go1.22.0"]);
        // U+017F folds to 's', U+212A (Kelvin sign) to 'k': "Stacks" matches "ſtac\u{212A}s".
        let config = UploadConfig::parse("{\"Programs\": [{\"\u{17F}tac\u{212A}s\": [{\"Name\": \"s\"}]}]}").unwrap();
        assert_eq!(config.programs[0].stacks, [StackConfig { name: "s".into(), rate: 0.0, depth: 0 }]);
        // A repeated key: the last value wins.
        let config = UploadConfig::parse(r#"{"GOOS": ["a"], "goos": ["b", "c"]}"#).unwrap();
        assert_eq!(config.goos, ["b", "c"]);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = UploadConfig::parse("{\n  \"GOOS\": [\"linux\",]\n}").unwrap_err();
        assert_eq!((err.line, err.column), (2, 20)); // the `]` after the comma
        assert_eq!(err.reason, "trailing comma");
        assert_eq!(err.to_string(), "line 2, column 20: trailing comma");

        let err = UploadConfig::parse("{\"SampleRate\": \"1\"}").unwrap_err();
        assert_eq!((err.line, err.column), (1, 18));
        assert_eq!(err.reason, "invalid type: string \"1\", expected f64");

        let err = UploadConfig::parse("{\"Programs\": [{\"Stacks\": [{\"Depth\": 1.5}]}]}").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.starts_with("invalid type: floating point `1.5`"), "{}", err.reason);

        let err = UploadConfig::parse("[]").unwrap_err();
        assert_eq!(err.reason, "invalid type: sequence, expected an upload config object");

        let err = UploadConfig::parse("").unwrap_err();
        assert_eq!(err.reason, "EOF while parsing a value");
    }

    #[test]
    fn serializes_with_go_names_and_omitempty() {
        let json = serde_json::to_string(&small()).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"GOOS":["darwin","linux"],"GOARCH":["amd64","arm64"],"GoVersion":["go1.9.2rc2","go1.21.0"],"#,
                r#""SampleRate":0.5,"Programs":[{"Name":"golang.org/x/tools/gopls","Versions":["v0.13.0","v0.14.0-pre.1"],"#,
                r#""Counters":[{"Name":"gopls/client:{vscode,vim,other}","Rate":1},{"Name":"crash/malformed","Rate":0.25}],"#,
                r#""Stacks":[{"Name":"gopls/bug","Rate":1,"Depth":16}]},{"Name":"cmd/go","Versions":[]}]}"#
            )
        );
        assert_eq!(UploadConfig::parse(&json).unwrap(), small());
    }

    #[test]
    fn expand_counter_ports_config_expand() {
        assert_eq!(expand_counter("gopls/client:{vscode,vim}"), ["gopls/client:vscode", "gopls/client:vim"]);
        assert_eq!(expand_counter("go/build/flag:{buildmode}"), ["go/build/flag:buildmode"]);
        assert_eq!(expand_counter("crash/malformed"), ["crash/malformed"]);
        assert_eq!(expand_counter("gopls/goversion:{1.16,1.17}"), ["gopls/goversion:1.16", "gopls/goversion:1.17"]);
        // Malformed braces expand literally, as strings.Cut/TrimSuffix/Split do.
        assert_eq!(expand_counter("a:{x,y"), ["a:x", "a:y"]);
        assert_eq!(expand_counter("a:{}"), ["a:"]);
        assert_eq!(expand_counter("a:{x,}"), ["a:x", "a:"]);
        assert_eq!(expand_counter("a:{x}}"), ["a:x}"]);
        assert_eq!(expand_counter("a:{x}y"), ["a:x}y"]);
        assert_eq!(expand_counter("a:{x,{y}"), ["a:x", "a:{y"]);
        assert_eq!(expand_counter("a{b,c}"), ["ab", "ac"]);
        assert_eq!(expand_counter(""), [""]);
    }

    #[test]
    fn expanded_counters_in_config_order() {
        let config = UploadConfig::parse(SMALL).unwrap();
        assert_eq!(
            config.programs[0].expanded_counters(),
            ["gopls/client:vscode", "gopls/client:vim", "gopls/client:other", "crash/malformed"]
        );
        assert!(config.programs[1].expanded_counters().is_empty());
    }

    #[test]
    fn counter_names_split_at_the_first_colon() {
        assert_eq!(counter_chart_name("gopls/client:vim"), "gopls/client");
        assert_eq!(counter_chart_name("gopls/client:{vscode,vim}"), "gopls/client");
        assert_eq!(counter_chart_name("gopls/bug"), "gopls/bug");
        assert_eq!(counter_chart_name("a:b:c"), "a");
        assert_eq!(split_counter_name("gopls/client:vim"), ("gopls/client", "vim"));
        assert_eq!(split_counter_name("gopls/goversion:1.21"), ("gopls/goversion", "1.21"));
        assert_eq!(split_counter_name("crash/malformed"), ("crash/malformed", "crash/malformed"));
        assert_eq!(split_counter_name("a:b:c"), ("a", "b:c"));
        assert_eq!(split_counter_name("a:"), ("a", ""));
    }

    /// The real config, when the shared copy is present (it is not part of the crate).
    #[test]
    fn parses_the_real_upload_config_when_present() {
        let Ok(text) = std::fs::read_to_string("/work/shared/go/upload-config.json") else {
            return;
        };
        let config = UploadConfig::parse(&text).unwrap();
        assert_eq!(config.goos.first().map(String::as_str), Some("aix"));
        assert_eq!(config.goarch.first().map(String::as_str), Some("386"));
        assert_eq!(config.go_version.first().map(String::as_str), Some("go1.9.2rc2"));
        assert_eq!(config.sample_rate, 1.0);
        let names: Vec<&str> = config.programs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cmd/compile",
                "cmd/go",
                "github.com/go-delve/delve/cmd/dlv",
                "github.com/golang/vscode-go/vscgo",
                "golang.org/x/tools/gopls",
                "golang.org/x/vuln/cmd/govulncheck",
            ]
        );
        let compile = &config.programs[0];
        assert_eq!(compile.counters, [CounterConfig { name: "compile/invocations".into(), rate: 1.0 }]);
        assert_eq!(compile.stacks, [StackConfig { name: "compile/bug".into(), rate: 1.0, depth: 16 }]);
        assert_eq!(config.programs.iter().map(|p| p.counters.len()).sum::<usize>(), 36);
        assert_eq!(config.programs.iter().map(|p| p.stacks.len()).sum::<usize>(), 5);
    }

    mod fuzz {
        use super::*;
        use crate::ingest::validate::mutate::config_parser_fuzz_tests;

        fn seeds() -> Vec<Vec<u8>> {
            [
                SMALL,
                "null",
                "{}",
                r#"{"goos": null, "Programs": [null, {"Name": null, "Counters": [{"Name": "a:{x,y", "Rate": null}]}]}"#,
                r#"{"GOOS": "linux"}"#,
                r#"{"SampleRate": "1"}"#,
                r#"{"Programs": [{"Stacks": [{"Depth": 1.5}]}]}"#,
                r#"{"\u017fampleRate": 1e400}"#,
                "[1, 2",
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect()
        }

        fn check(text: &str) {
            match UploadConfig::parse(text) {
                Ok(config) => {
                    for program in &config.programs {
                        let _ = program.expanded_counters();
                    }
                    // What we print, we read back the same.
                    let printed = serde_json::to_string(&config).unwrap();
                    assert_eq!(UploadConfig::parse(&printed).unwrap(), config, "{printed}");
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.line <= text.split('\n').count() + 1, "{e}");
                    assert!(!e.reason.is_empty());
                }
            }
        }

        config_parser_fuzz_tests!(seeds(), check);
    }
}
