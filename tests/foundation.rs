//! Foundation: ingest rules, skip reasons, chart set numbers, against hand-computed values.

use serde_json::{json, Value};

use crate::common::{stderr, Fixture};

pub(crate) const GOPLS: &str = "golang.org/x/tools/gopls";

/// A small upload config: two charted programs and one that never reports.
pub(crate) fn upload_config() -> String {
    json!({
        "GOOS": ["linux", "darwin", "windows"],
        "GOARCH": ["amd64", "arm64"],
        "GoVersion": ["go1.21.3", "go1.21rc1", "go1.22.0", "go1.9"],
        "SampleRate": 1,
        "Programs": [
            {"Name": GOPLS, "Versions": ["v0.10.0", "v0.9.0", "v0.10.0-pre.1"],
             "Counters": [{"Name": "gopls/client:{vscode,eglot}", "Rate": 1}, {"Name": "crash/malformed", "Rate": 1}],
             "Stacks": [{"Name": "gopls/bug", "Rate": 1, "Depth": 16}]},
            {"Name": "cmd/go", "Versions": ["go1.22.0"], "Counters": [{"Name": "go/invocations", "Rate": 1}]},
            {"Name": "example.com/unused", "Versions": ["v1.0.0"]}
        ]
    })
    .to_string()
}

pub(crate) fn program(name: &str, version: &str, go: &str, goos: &str, goarch: &str, counters: Value) -> Value {
    json!({"Program": name, "Version": version, "GoVersion": go, "GOOS": goos, "GOARCH": goarch,
           "Counters": counters, "Stacks": {}})
}

pub(crate) fn report(week: &str, x: f64, programs: Value) -> String {
    json!({"Week": week, "LastWeek": "", "X": x, "Programs": programs, "Config": "v0.115.0"}).to_string()
}

fn chart_set(f: &Fixture, name: &str) -> Value {
    serde_json::from_str(&f.read_site(&format!("charts/{name}.json"))).unwrap()
}

/// The charts of one program in a chart set, as (chart name -> [(key, value)]) with every
/// datum's Week checked against `week`.
fn charts_of(set: &Value, program: &str, week: &str) -> Vec<(String, Vec<(String, u64)>)> {
    let p = set["Programs"].as_array().unwrap().iter().find(|p| p["Name"] == program).unwrap();
    assert_eq!(p["ID"], format!("charts:{program}"));
    p["Charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["Name"].as_str().unwrap().to_string();
            assert_eq!(c["ID"], format!("charts:{program}:{name}"));
            assert_eq!(c["Type"], "partition");
            let data = c["Data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    assert_eq!(d["Week"], week, "{program} {name}");
                    (d["Key"].as_str().unwrap().to_string(), d["Value"].as_u64().unwrap())
                })
                .collect();
            (name, data)
        })
        .collect()
}

fn kv(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Seven reports over four days in both layouts (gzipped, pretty-printed, mixed), with a
/// duplicate and an uploader (X = 0.1) on two days.
pub(crate) fn aggregation_fixture() -> Fixture {
    let f = Fixture::new();
    f.write("upload-config.json", upload_config());
    // R1: X=0.1 on 01-05, a counter present with count 0 still counts.
    f.write(
        "2026-01-05/0.1.json",
        report(
            "2026-01-05",
            0.1,
            json!([program(GOPLS, "v0.9.0", "go1.21.3", "linux", "amd64", json!({"gopls/client:vscode": 0}))]),
        ),
    );
    // R2: two program reports of gopls in one report, pretty-printed.
    let r2: Value = serde_json::from_str(&report(
        "2026-01-05",
        0.2,
        json!([
            program(
                GOPLS,
                "v0.10.0",
                "go1.21rc1",
                "darwin",
                "arm64",
                json!({"gopls/client:vscode": 5, "crash/malformed": 1})
            ),
            program(GOPLS, "v0.10.0", "go1.22.0", "linux", "amd64", json!({"gopls/client:eglot": 1}))
        ]),
    ))
    .unwrap();
    f.write("2026-01-05/0.2.json", serde_json::to_string_pretty(&r2).unwrap());
    // R3 (same X as R1, next day) and R4 (no programs), merged layout.
    let r3 = report(
        "2026-01-06",
        0.1,
        json!([program(GOPLS, "v0.9.0", "go1.21.3", "linux", "amd64", json!({"gopls/client:eglot": 2}))]),
    );
    let r4 =
        json!({"Week": "2026-01-06", "LastWeek": "", "X": 0.3, "Programs": null, "Config": "v0.115.0"}).to_string();
    f.write("2026-01-06.json", format!("{r3}\n{r4}\n"));
    // R5, gzipped merged file; R6 shares its Week and X from a path that sorts first: skipped.
    f.write_gz(
        "2026-01-07.json.gz",
        format!(
            "{}\n",
            report(
                "2026-01-07",
                0.4,
                json!([program("cmd/go", "go1.22.0", "go1.22.0", "windows", "amd64", json!({"go/invocations": 3}))])
            )
        ),
    );
    f.write(
        "0-early/2026-01-07/0.4.json",
        report("2026-01-07", 0.4, json!([program("cmd/go", "go1.22.0", "go1.22.0", "linux", "arm64", json!({}))])),
    );
    // R7: no Programs key at all: valid, counted in NumReports, holds no program report.
    f.write("2026-01-08/0.5.json", json!({"Week": "2026-01-08", "X": 0.5, "Config": "v0.115.0"}).to_string());
    f
}

#[test]
fn daily_chart_set_has_the_workers_numbers() {
    let f = aggregation_fixture();
    let out = f.build(&["--summary-json", f.dir.path().join("summary.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let day = chart_set(&f, "2026-01-05");
    assert_eq!(day["DateRange"], json!(["2026-01-05", "2026-01-05"]));
    assert_eq!(day["NumReports"], 2);
    let names: Vec<&str> = day["Programs"].as_array().unwrap().iter().map(|p| p["Name"].as_str().unwrap()).collect();
    assert_eq!(names, [GOPLS, "cmd/go", "example.com/unused"], "config order, every program kept");
    assert_eq!(
        charts_of(&day, GOPLS, "2026-01-05"),
        vec![
            // semver order; the empty v0.10.0-pre.1 bucket dropped
            ("Version".into(), kv(&[("v0.9.0", 1), ("v0.10.0", 1)])),
            // zero buckets kept, sorted lexically
            ("GOOS".into(), kv(&[("darwin", 1), ("linux", 2), ("windows", 0)])),
            ("GOARCH".into(), kv(&[("amd64", 2), ("arm64", 1)])),
            // go1.21.3 and go1.21rc1 merge into go1.21; empty go1.9 dropped; R2 counts once in go1.21
            ("GoVersion".into(), kv(&[("go1.21", 2), ("go1.22", 1)])),
            ("gopls/client".into(), kv(&[("eglot", 1), ("vscode", 2)])),
            ("crash/malformed".into(), kv(&[("crash/malformed", 1)])),
        ]
    );
    assert_eq!(charts_of(&day, "cmd/go", "2026-01-05"), vec![], "no data: no charts, entry kept");
    assert_eq!(charts_of(&day, "example.com/unused", "2026-01-05"), vec![]);
}

#[test]
fn weekly_chart_sets_count_each_uploader_once() {
    let f = aggregation_fixture();
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let week = chart_set(&f, "2025-12-31_2026-01-06");
    assert_eq!(week["DateRange"], json!(["2025-12-31", "2026-01-06"]));
    assert_eq!(week["NumReports"], 4, "R1..R4: reports, not uploaders");
    assert_eq!(
        charts_of(&week, GOPLS, "2026-01-06"),
        vec![
            ("Version".into(), kv(&[("v0.9.0", 1), ("v0.10.0", 1)])), // X=0.1 on two days counts once
            ("GOOS".into(), kv(&[("darwin", 1), ("linux", 2), ("windows", 0)])),
            ("GOARCH".into(), kv(&[("amd64", 2), ("arm64", 1)])),
            ("GoVersion".into(), kv(&[("go1.21", 2), ("go1.22", 1)])),
            ("gopls/client".into(), kv(&[("eglot", 2), ("vscode", 2)])),
            ("crash/malformed".into(), kv(&[("crash/malformed", 1)])),
        ]
    );
    // 01-07: R5 kept, its duplicate R6 (linux/arm64) skipped; cmd/* has no Version chart.
    let week = chart_set(&f, "2026-01-01_2026-01-07");
    assert_eq!(week["NumReports"], 5);
    assert_eq!(
        charts_of(&week, "cmd/go", "2026-01-07"),
        vec![
            ("GOOS".into(), kv(&[("darwin", 0), ("linux", 0), ("windows", 1)])),
            ("GOARCH".into(), kv(&[("amd64", 1), ("arm64", 0)])),
            ("GoVersion".into(), kv(&[("go1.22", 1)])),
            ("go/invocations".into(), kv(&[("go/invocations", 1)])),
        ]
    );
    assert_eq!(charts_of(&week, GOPLS, "2026-01-07")[4], ("gopls/client".into(), kv(&[("eglot", 2), ("vscode", 2)])));
    // 01-08 has only a report without programs: Week stays at the latest day that has one.
    let week = chart_set(&f, "2026-01-02_2026-01-08");
    assert_eq!(week["NumReports"], 6);
    assert_eq!(charts_of(&week, "cmd/go", "2026-01-07").len(), 4);
    let day = chart_set(&f, "2026-01-08");
    assert_eq!(day["NumReports"], 1);
    assert!(day["Programs"].as_array().unwrap().iter().all(|p| p["Charts"] == json!([])));
    // Only days with reports get chart sets.
    assert!(!f.site().join("charts/2026-01-09.json").exists());
    assert!(!f.site().join("charts/2026-01-03_2026-01-09.json").exists());
}

#[test]
fn go_versions_that_do_not_parse_share_the_empty_bucket() {
    // Go's upload config lists go1.9.2rc2, a real release that go/version refuses (no
    // prerelease of a patch release), so it charts as "", with `devel` and a spaced one.
    let f = Fixture::new();
    let config = json!({
        "GOOS": ["linux"], "GOARCH": ["amd64"], "SampleRate": 1,
        "GoVersion": ["go1.9.2rc2", "devel", "go1.22.0 X:loopvar", "go1.9", "go1.9.2", "go1.22.0"],
        "Programs": [{"Name": GOPLS, "Versions": ["v0.9.0"]}]
    });
    f.write("upload-config.json", config.to_string());
    for (x, go) in [(0.1, "go1.9.2rc2"), (0.2, "devel"), (0.3, "go1.22.0 X:loopvar"), (0.4, "go1.9.2"), (0.5, "go1.9")]
    {
        let programs = json!([program(GOPLS, "v0.9.0", go, "linux", "amd64", json!({}))]);
        f.write(&format!("2026-01-05/{x}.json"), report("2026-01-05", x, programs));
    }
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let charts = charts_of(&chart_set(&f, "2026-01-05"), GOPLS, "2026-01-05");
    // "" first (invalid sorts first); go1.9.2 and go1.9 merge; the empty go1.22 dropped.
    assert_eq!(charts[3], ("GoVersion".into(), kv(&[("", 3), ("go1.9", 2)])));
}

#[test]
fn raw_data_is_ordered_by_object_name_one_report_per_line() {
    let f = aggregation_fixture();
    // Names sort as strings: "0.15.json" < "0.1e-05"... use X values whose %g names cross.
    let small = 1.5e-5; // "%g" = "1.5e-05": sorts after every "0.…" name
    f.write("2026-01-05/a.json", report("2026-01-05", small, json!(null)));
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = f.read_site("data/2026-01-05.json");
    let xs: Vec<f64> = text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["X"].as_f64().unwrap()).collect();
    assert_eq!(xs, [0.1, 0.2, small]);
    // The pretty-printed R2 is on one line, compact; R1 is byte-identical to its file.
    assert_eq!(text.lines().next().unwrap(), std::fs::read_to_string(f.data().join("2026-01-05/0.1.json")).unwrap());
    assert!(!text.lines().nth(1).unwrap().contains(' '));
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn raw_data_leaves_out_keys_go_s_report_types_do_not_have() {
    let f = aggregation_fixture();
    let before = f.build(&[]);
    assert!(before.status.success(), "{}", stderr(&before));
    let (charts, r1) = (f.read_site("charts/2026-01-05.json"), f.read_site("data/2026-01-05.json"));
    let r1 = r1.lines().next().unwrap().to_string();
    // R1 and R2 with keys a buggy or hostile client added, at the top and in a program
    // report: Go's upload server decodes into its type and stores that, so
    // telemetry.go.dev never publishes them.
    for rel in ["2026-01-05/0.1.json", "2026-01-05/0.2.json"] {
        let path = f.data().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replacen('{', "{\"Hostname\": \"alice-laptop\",", 1);
        let text = text.replacen("\"Program\"", "\"WorkspacePath\":\"/home/alice\",\"Program\"", 1);
        std::fs::write(&path, text).unwrap();
    }
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = f.read_site("data/2026-01-05.json");
    assert!(!text.contains("alice"), "{text}");
    assert_eq!(text.lines().count(), 2);
    // The rest byte for byte: R1 is its file's text again.
    assert_eq!(text.lines().next().unwrap(), r1);
    // The keys are ignored: the counts are what they were.
    assert_eq!(f.read_site("charts/2026-01-05.json"), charts);
}

/// One report per skip reason, each in its own file or line, plus valid edge cases.
#[test]
fn every_skip_reason_is_counted_and_named() {
    let f = Fixture::new();
    f.write("upload-config.json", upload_config());
    let good =
        |x: f64| report("2026-02-02", x, json!([program(GOPLS, "v0.9.0", "go1.21.3", "linux", "amd64", json!({}))]));
    let day = "2026-02-02";
    let pad = |n: usize| {
        // A valid report of exactly n bytes, padded through an unknown key.
        let base = json!({"Week": day, "X": 0.77, "Config": "v0.115.0", "Pad": ""}).to_string();
        let filler = "p".repeat(n - base.len());
        json!({"Week": day, "X": 0.77, "Config": "v0.115.0", "Pad": filler}).to_string()
    };
    let exact = pad(102_400);
    assert_eq!(exact.len(), 102_400);
    let mut too_big = pad(102_401);
    assert_eq!(too_big.len(), 102_401);
    f.write(&format!("{day}/0.77.json"), format!("{exact}\n")); // valid: the newline is not counted
    too_big = too_big.replace("0.77", "0.78");
    let lines: Vec<(String, &str)> = vec![
        (good(0.01), "duplicate"), // the same Week and X again on the last line: this one is dropped
        (too_big, "too_large"),
        (String::new(), "empty"),
        ("   \t".into(), "empty"),
        (
            format!("{{\"Week\":\"{day}\",\"X\":0.5,\"LastWeek\":\"\u{FFFD}\"}}").replace('\u{FFFD}', "\u{0}"),
            "malformed",
        ), // a raw control character in a string
        (good(0.02)[..40].to_string(), "malformed"),
        (format!("{{\"Week\":\"{day}\",\"Week\":\"{day}\",\"X\":0.5,\"Config\":\"v0.1.0\"}}"), "malformed"),
        (
            good(0.03).replace("\"Counters\":{}", "\"Counters\":{\"crash/malformed\":1,\"crash/malformed\":2}"),
            "malformed",
        ),
        (
            format!(
                "{{\"Week\":\"{day}\",\"X\":0.5,\"Config\":\"v0.1.0\",\"Deep\":{}1{}}}",
                "[".repeat(200),
                "]".repeat(200)
            ),
            "malformed",
        ),
        (format!("{{\"Week\":\"{day}\",\"X\":\"0.5\",\"Config\":\"v0.1.0\"}} trailing"), "malformed"),
        ("[]".into(), "not_object"),
        ("\"a string\"".into(), "not_object"),
        (format!("{{\"Week\":\"{day}\",\"X\":\"0.5\",\"Config\":\"v0.1.0\"}}"), "wrong_type"),
        ("{\"Week\":20260202,\"X\":0.5,\"Config\":\"v0.1.0\"}".to_string(), "wrong_type"),
        ("{\"Week\":null,\"X\":0.5,\"Config\":\"v0.1.0\"}".to_string(), "wrong_type"),
        (good(0.04).replace("\"Programs\":[", "\"Programs\":{\"a\":").replace("]", "}"), "wrong_type"),
        (good(0.05).replace("\"Counters\":{}", "\"Counters\":[]"), "wrong_type"),
        (good(0.06).replace("\"Counters\":{}", "\"Counters\":{\"crash/malformed\":1.5}"), "wrong_type"),
        (good(0.07).replace("\"Counters\":{}", "\"Counters\":{\"crash/malformed\":\"1\"}"), "wrong_type"),
        (good(0.08).replace(&format!("\"Program\":\"{GOPLS}\""), "\"Program\":null"), "wrong_type"),
        (format!("{{\"Week\":\"{day}\",\"X\":0.5,\"Programs\":[null],\"Config\":\"v0.1.0\"}}"), "wrong_type"),
        (good(0.09).replace("\"Counters\":{}", "\"Counters\":{\"crash/malformed\":-1}"), "negative_count"),
        (
            good(0.10).replace("\"Counters\":{}", "\"Counters\":{\"crash/malformed\":9223372036854775808}"),
            "overflow_count",
        ),
        (good(0.11).replace("\"Counters\":{}", "\"Counters\":{\"crash/malformed\":1e19}"), "overflow_count"),
        (good(0.12).replace(day, "2026-02-30"), "bad_week"),
        (json!({"X": 0.5, "Config": "v0.1.0"}).to_string(), "bad_week"),
        (json!({"Week": day, "Config": "v0.1.0"}).to_string(), "x_range"),
        (json!({"Week": day, "X": 1, "Config": "v0.1.0"}).to_string(), "x_range"),
        (json!({"Week": day, "X": 0.5}).to_string(), "bad_config"),
        (json!({"Week": day, "X": 0.5, "Config": "0.115.0"}).to_string(), "bad_config"),
        (good(0.13).replace(GOPLS, "golang.org/x/tools/cmd/stringer"), "unknown_program"),
        (good(0.14).replace("v0.9.0", "v9.9.9"), "unknown_program"),
        (good(0.15).replace("\"linux\"", "\"beos\""), "unknown_program"),
        (good(0.16).replace("go1.21.3", "go1.21.4"), "unknown_program"),
        (good(0.17).replace("\"Counters\":{}", "\"Counters\":{\"gopls/client:emacs\":1}"), "unknown_counter"),
        (good(0.18).replace("\"Stacks\":{}", "\"Stacks\":{\"gopls/panic\\nmain.main:+1,+0x10\":1}"), "unknown_counter"),
        (good(0.19).replace("\"Stacks\":{}", "\"Stacks\":{\"gopls/bug\\nmain.main:+1,+0x10\":1}"), "valid"),
        (
            json!({"Week": day, "X": 0.2, "Config": "v0.115.0", "Programs": null, "Extra": {"a": 1}}).to_string(),
            "valid",
        ),
        (good(0.01), "valid"), // same Week and X as line 1: the later line is kept
    ];
    let mut text = String::new();
    for (line, _) in &lines {
        text.push_str(line);
        text.push('\n');
    }
    f.write(&format!("{day}.json"), text);
    let mut bad_utf8 = good(0.3).into_bytes();
    let at = bad_utf8.iter().position(|&b| b == b'l').unwrap(); // in "linux"
    bad_utf8[at] = 0xff;
    f.write(&format!("{day}/0.3.json"), bad_utf8);
    f.write(&format!("{day}/0.31.json"), "");
    f.write(&format!("{day}/0.32.json.gz"), b"not gzip at all");
    f.write("notes.txt", "hello");
    // Newline-delimited, but not named for a day: the merged layout is `<YYYY-MM-DD>.jsonl`.
    f.write("all.jsonl", format!("{}\n", good(0.9)));
    let summary_path = f.dir.path().join("summary.json");
    let out = f.build(&["--summary-json", summary_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    let mut expected: std::collections::BTreeMap<&str, u64> = Default::default();
    for (_, kind) in &lines {
        if *kind != "valid" {
            *expected.entry(kind).or_default() += 1;
        }
    }
    *expected.entry("invalid_utf8").or_default() += 1;
    *expected.entry("empty").or_default() += 1;
    *expected.entry("unreadable").or_default() += 1;
    let got: std::collections::BTreeMap<&str, u64> = summary["skipped_by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_u64().unwrap()))
        .collect();
    assert_eq!(got, expected);
    // Every merged-layout skip names its line, with the reason the table above gives it.
    let skipped = summary["skipped"].as_array().unwrap();
    for (i, (_, kind)) in lines.iter().enumerate() {
        let line = i as u64 + 1;
        let found: Vec<&Value> =
            skipped.iter().filter(|s| s["path"] == format!("{day}.json") && s["line"] == line).collect();
        match *kind {
            "valid" => assert!(found.is_empty(), "line {line} should be valid: {found:?}"),
            _ => assert_eq!(found.len(), 1, "line {line} ({kind})"),
        }
        if !found.is_empty() {
            assert_eq!(found[0]["reason"], *kind, "line {line}");
        }
    }
    let dup: Vec<&Value> = skipped.iter().filter(|s| s["reason"] == "duplicate").collect();
    assert_eq!(dup.len(), 1);
    assert_eq!(dup[0]["line"], 1, "the first of the two lines is dropped");
    assert_eq!(summary["reports_valid"], 4, "line 1's twin, the stack, the extra-key report, the 102,400-byte file");
    assert_eq!(
        summary["unrecognised"],
        json!([{"path": "all.jsonl", "why": "not a report file name"}, {"path": "notes.txt", "why": "not a report file name"}])
    );
    let text = stderr(&out);
    assert!(text.contains(&format!("{day}.json:2: too_large")), "{text}");
    assert!(text.contains("1 unreadable"), "{text}");
}

#[test]
fn without_an_upload_config_everything_is_inferred() {
    let f = Fixture::new();
    f.write(
        "2026-03-01/0.5.json",
        report(
            "2026-03-01",
            0.5,
            json!([program(
                "zeta/tool",
                "v1.0.0",
                "go1.23.0",
                "plan9",
                "mips",
                json!({"zeta/mode:fast": 1, "zeta/started": 2})
            )]),
        ),
    );
    f.write(
        "2026-03-01/0.6.json",
        report(
            "2026-03-01",
            0.6,
            json!([program("alpha/tool", "devel", "go1.22.1", "linux", "amd64", json!({"alpha/x:y:z": 1}))]),
        ),
    );
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("no upload config"), "{}", stderr(&out));
    let set = chart_set(&f, "2026-03-01");
    let names: Vec<&str> = set["Programs"].as_array().unwrap().iter().map(|p| p["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha/tool", "zeta/tool"], "sorted by name");
    assert_eq!(
        charts_of(&set, "zeta/tool", "2026-03-01"),
        vec![
            ("Version".into(), kv(&[("v1.0.0", 1)])),
            ("GOOS".into(), kv(&[("linux", 0), ("plan9", 1)])),
            ("GOARCH".into(), kv(&[("amd64", 0), ("mips", 1)])),
            ("GoVersion".into(), kv(&[("go1.23", 1)])),
            ("zeta/mode".into(), kv(&[("fast", 1)])),
            ("zeta/started".into(), kv(&[("zeta/started", 1)])),
        ]
    );
    assert_eq!(charts_of(&set, "alpha/tool", "2026-03-01")[4], ("alpha/x".into(), kv(&[("y:z", 1)])));
}

/// Inferred names come from the valid data: a report the duplicate rule drops is not in it,
/// so a program, a version, a GOOS or a counter that only it holds is no bucket anywhere.
#[test]
fn without_an_upload_config_names_only_a_dropped_duplicate_holds_are_not_charted() {
    let f = Fixture::new();
    let kept = report(
        "2026-03-01",
        0.5,
        json!([program("zeta/tool", "v1.0.0", "go1.23.0", "linux", "amd64", json!({"zeta/mode:fast": 1}))]),
    );
    // Same Week and X from a path that sorts first: dropped as a duplicate.
    let dropped = report(
        "2026-03-01",
        0.5,
        json!([
            program("zeta/tool", "v9.9.9", "go1.24.0", "plan9", "mips", json!({"zeta/mode:slow": 1, "zeta/other": 1})),
            program("beta/tool", "v1.0.0", "go1.23.0", "linux", "amd64", json!({}))
        ]),
    );
    f.write("2026-03-01/0.5.json", kept);
    f.write("0-early/2026-03-01/0.5.json", dropped);
    let summary_path = f.dir.path().join("summary.json");
    let out = f.build(&["--summary-json", summary_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    assert_eq!(summary["skipped_by_reason"], json!([["duplicate", 1]]));
    let set = chart_set(&f, "2026-03-01");
    let names: Vec<&str> = set["Programs"].as_array().unwrap().iter().map(|p| p["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["zeta/tool"], "beta/tool is only in the dropped report");
    assert_eq!(
        charts_of(&set, "zeta/tool", "2026-03-01"),
        vec![
            ("Version".into(), kv(&[("v1.0.0", 1)])),
            ("GOOS".into(), kv(&[("linux", 1)])),
            ("GOARCH".into(), kv(&[("amd64", 1)])),
            ("GoVersion".into(), kv(&[("go1.23", 1)])),
            ("zeta/mode".into(), kv(&[("fast", 1)])),
        ]
    );
}

#[test]
fn configuration_and_usage_errors_exit_2_with_one_clear_line() {
    let f = Fixture::new();
    f.write("upload-config.json", "{\"GOOS\": [\"linux\",]}");
    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("upload-config.json") && text.contains("line 1"), "{text}");
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(!text.contains("panicked") && !text.contains("RUST_BACKTRACE"));

    let g = Fixture::new();
    g.write("chart-config.txt", "title: x\ncounter: a\ntitel: oops\n");
    let out = g.build(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("chart-config.txt") && stderr(&out).contains("line 3"), "{}", stderr(&out));

    let out = crate::common::run(&["build", "/nonexistent/data/dir", g.site().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/data/dir"), "{}", stderr(&out));

    // A missing DATA is named rather than an explicit config that cannot be read; with
    // DATA there, the config is named.
    let missing = g.dir.path().join("no-such-config.json");
    let out = crate::common::run(&[
        "build",
        "/nonexistent/data/dir",
        g.site().to_str().unwrap(),
        "--upload-config",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/data/dir"), "{}", stderr(&out));
    let out = g.build(&["--upload-config", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-config.json") && stderr(&out).contains("cannot read"), "{}", stderr(&out));
}

#[test]
fn exit_codes_for_strict_no_valid_and_empty_data() {
    let f = Fixture::new();
    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(0), "an empty DATA builds: {}", stderr(&out));

    f.write("2026-01-01/0.5.json", report("2026-01-01", 0.5, json!(null)));
    f.write("2026-01-01/0.6.json", "{");
    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A build that fails leaves the site as the last one made it, and says why.
    let site_before = read_tree(&f.site());
    f.write("2026-01-02/0.7.json", report("2026-01-02", 0.7, json!(null)));
    let summary = f.dir.path().join("out/nested/summary.json"); // folders made as needed
    let out = f.build(&["--strict", "--summary-json", summary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error: --strict: 1 report skipped") && err.contains("the site is left as it was"), "{err}");
    assert!(err.contains("skipped 2026-01-01/0.6.json: malformed"), "the skips are listed: {err}");
    assert_eq!(read_tree(&f.site()), site_before, "the site as it was: no 2026-01-02");
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["refused"], "--strict: 1 report skipped");
    assert_eq!((summary["daily_chart_sets"].as_u64(), summary["files_written"].as_u64()), (Some(0), Some(0)));
    // Then without --strict the new day is built.
    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(f.site().join("charts/2026-01-02.json").is_file());
    assert!(!stderr(&out).contains("left as it was"));

    let g = Fixture::new();
    g.write("2026-01-01/0.6.json", "{");
    let out = g.build(&[]);
    assert_eq!(out.status.code(), Some(1), "reports present but none valid");
    assert!(stderr(&out).contains("1 report read, 1 skipped, none valid"), "{}", stderr(&out));
    assert!(!g.site().exists(), "no site made");
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let f = aggregation_fixture();
    let one = f.build(&["-j", "1"]);
    assert!(one.status.success());
    let first = read_tree(&f.site());
    let four = f.build(&["-j", "4"]);
    assert!(four.status.success());
    assert_eq!(first, read_tree(&f.site()));
    // A hundred thousand threads would take minutes to look at one another: lowered.
    let many = f.build(&["-j", "100000"]);
    assert!(many.status.success(), "{}", stderr(&many));
    let cores = std::thread::available_parallelism().unwrap().get();
    let most = (8 * cores).max(64);
    assert!(stderr(&many).contains(&format!("note: --jobs 100000 lowered to {most} (8 a core")), "{}", stderr(&many));
    assert_eq!(first, read_tree(&f.site()));
    let quiet = f.build(&["-j", "100000", "-q"]);
    assert!(quiet.status.success() && stderr(&quiet).is_empty(), "{}", stderr(&quiet));
}

pub(crate) fn read_tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(root).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn a_program_or_chart_named_twice_in_the_config_is_charted_twice_from_the_same_reports() {
    let f = Fixture::new();
    let config = json!({
        "GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": ["go1.22.0"], "SampleRate": 1,
        "Programs": [
            {"Name": "cmd/go", "Versions": ["go1.22.0"], "Counters": [{"Name": "go/invocations", "Rate": 1},
                {"Name": "go/x:{a,b}", "Rate": 1}, {"Name": "go/x:{b,c}", "Rate": 1}]},
            {"Name": "cmd/go", "Versions": ["go1.22.0"]}
        ]
    });
    f.write("upload-config.json", config.to_string());
    f.write(
        "2026-02-01/0.5.json",
        report(
            "2026-02-01",
            0.5,
            json!([program(
                "cmd/go",
                "go1.22.0",
                "go1.22.0",
                "linux",
                "amd64",
                json!({"go/invocations": 1, "go/x:b": 2})
            )]),
        ),
    );
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let set = chart_set(&f, "2026-02-01");
    let programs = set["Programs"].as_array().unwrap();
    assert_eq!(programs.len(), 2);
    let names = |p: &Value| p["Charts"].as_array().unwrap().iter().map(|c| c["Name"].clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&programs[0]),
        [json!("GOOS"), json!("GOARCH"), json!("GoVersion"), json!("go/invocations"), json!("go/x"), json!("go/x")]
    );
    // `go/x:b` counts in both charts that list it.
    let x = |i: usize| programs[0]["Charts"][i]["Data"].clone();
    assert_eq!(
        x(4),
        json!([{"Week": "2026-02-01", "Key": "a", "Value": 0}, {"Week": "2026-02-01", "Key": "b", "Value": 1}])
    );
    assert_eq!(
        x(5),
        json!([{"Week": "2026-02-01", "Key": "b", "Value": 1}, {"Week": "2026-02-01", "Key": "c", "Value": 0}])
    );
    assert_eq!(names(&programs[1]), [json!("GOOS"), json!("GOARCH"), json!("GoVersion")]);
    assert_eq!(programs[0]["Charts"][0], programs[1]["Charts"][0]);
}

#[test]
fn a_plain_counter_and_a_bucket_of_its_own_name_count_in_the_same_bucket_of_both_charts() {
    // `a` splits into chart `a`, bucket `a`, as `a:a` does: the worker counts both
    // spellings in bucket `a` of every chart `a`.
    let f = Fixture::new();
    let config = json!({
        "GOOS": ["linux"], "GOARCH": ["amd64"], "GoVersion": ["go1.22.0"], "SampleRate": 1,
        "Programs": [{"Name": "example.com/tool", "Versions": ["v1.0.0"],
            "Counters": [{"Name": "a", "Rate": 1}, {"Name": "a:{a,b}", "Rate": 1}, {"Name": "c:{c}", "Rate": 1}]}]
    });
    f.write("upload-config.json", config.to_string());
    let tool = |counters: Value| json!([program("example.com/tool", "v1.0.0", "go1.22.0", "linux", "amd64", counters)]);
    f.write("2026-02-01/0.5.json", report("2026-02-01", 0.5, tool(json!({"a:a": 1}))));
    f.write("2026-02-01/0.25.json", report("2026-02-01", 0.25, tool(json!({"a": 3, "a:b": 0}))));
    f.write("2026-02-01/0.125.json", report("2026-02-01", 0.125, tool(json!({"a": 1, "a:a": 1, "c:c": 1}))));
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let charts = charts_of(&chart_set(&f, "2026-02-01"), "example.com/tool", "2026-02-01");
    let counters: Vec<_> = charts.into_iter().skip(4).collect();
    assert_eq!(
        counters,
        vec![
            ("a".to_string(), kv(&[("a", 3)])),
            ("a".to_string(), kv(&[("a", 3), ("b", 1)])),
            ("c".to_string(), kv(&[("c", 1)])),
        ]
    );
}

#[test]
fn a_file_lists_at_most_100_skips_duplicates_included_and_the_summary_says_how_many_are_listed() {
    let f = Fixture::new();
    let valid = report("2026-01-05", 0.5, json!(null));
    let text = format!("{}{}", "{\"Week\":1}\n".repeat(150), format!("{valid}\n").repeat(60));
    f.write("2026-01-05.jsonl", text);
    let summary_path = f.dir.path().join("summary.json");
    let out = f.build(&["--summary-json", summary_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    // 150 of the wrong type, and 59 copies of the report that the last line's copy beats.
    assert_eq!(summary["reports_skipped"], 209);
    assert_eq!(summary["skipped"].as_array().unwrap().len(), 100);
    assert_eq!(summary["skipped_not_listed"], 109);
    assert!(
        stderr(&out).contains("... and 199 more skipped (90 of them listed in --summary-json, at most 100 per file)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_too_large_upload_is_measured_without_its_newline_or_said_to_be_cut_short() {
    let f = Fixture::new();
    let padded = |n: usize| format!("{{\"Week\":\"2026-01-05\",\"X\":0.5,\"Pad\":\"{}\"}}", "x".repeat(n));
    let over = padded(101 - padded(0).len());
    assert_eq!(over.len(), 101);
    f.write("2026-01-05/0.5.json", format!("{over}\n"));
    f.write_gz("2026-01-05/0.6.json.gz", padded(5000));
    f.write("2026-01-05/0.7.json", "{\"Week\":\"2026-01-05\",\"X\":0.7,\"Config\":\"v0.1.0\"}\n");
    let summary = f.dir.path().join("summary.json");
    let out = f.build(&["--max-report-bytes", "100", "--summary-json", summary.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let message = |path: &str| {
        let skips = summary["skipped"].as_array().unwrap();
        let skip = skips.iter().find(|s| s["path"] == path).unwrap_or_else(|| panic!("{summary:#}"));
        assert_eq!(skip["reason"], "too_large");
        skip["message"].as_str().unwrap().to_string()
    };
    assert_eq!(message("2026-01-05/0.5.json"), "101 bytes, more than the limit of 100");
    assert_eq!(message("2026-01-05/0.6.json.gz"), "more than the limit of 100 bytes (the rest was not read)");
}

#[test]
fn a_merged_lines_message_gives_its_column_and_names_a_byte_order_mark() {
    let f = Fixture::new();
    let valid = "{\"Week\":\"2026-01-05\",\"X\":0.7,\"Config\":\"v0.1.0\"}";
    // serde points at the end of the wrong value: column 30.
    let wrong = "{\"Week\":\"2026-01-05\",\"X\":\"0.8\"}";
    f.write("2026-01-05.jsonl", format!("\u{FEFF}{}\n{wrong}\n{}\n", valid.replace("0.7", "0.6"), valid));
    let summary = f.dir.path().join("summary.json");
    let out = f.build(&["--summary-json", summary.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let skips = summary["skipped"].as_array().unwrap();
    let message = |line: u64| {
        let skip = skips.iter().find(|s| s["line"] == line).unwrap_or_else(|| panic!("{summary:#}"));
        skip["message"].as_str().unwrap().to_string()
    };
    assert_eq!(
        message(1),
        "starts with a UTF-8 byte order mark, which JSON does not allow: expected value at column 1"
    );
    assert_eq!(message(2), "invalid type: string \"0.8\", expected f64 at column 30");
}
