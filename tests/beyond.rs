//! Beyond telemetry.go.dev: trends, stacks, CSV downloads and the feed, against
//! hand-computed values on a three-week fixture.

use serde_json::{json, Value};

use crate::common::{stderr, Fixture};

const GOPLS: &str = "golang.org/x/tools/gopls";
const BUG: &str = "gopls/bug\ngolang.org/x/tools/gopls/internal/util/bug.report:35\n\".Reportf:2";
const CRASH: &str = "gopls/bug\ngolang.org/x/tools/gopls/internal/cache.load:+0x1a";

fn upload_config() -> String {
    json!({
        "GOOS": ["linux", "darwin", "windows"],
        "GOARCH": ["amd64"],
        "GoVersion": ["go1.23.1"],
        "SampleRate": 1,
        "Programs": [
            {"Name": GOPLS, "Versions": ["v0.17.0"],
             "Counters": [{"Name": "gopls/client:{vscode,vim}", "Rate": 1}],
             "Stacks": [{"Name": "gopls/bug", "Rate": 1, "Depth": 16}]},
            {"Name": "cmd/go", "Versions": ["go1.23.1"], "Counters": [{"Name": "go/invocations", "Rate": 1}]}
        ]
    })
    .to_string()
}

const CHART_CONFIG: &str = "title: Editor Distribution
counter: gopls/client:{vscode,vim}
description: measure editor distribution for gopls users.
type: partition
program: golang.org/x/tools/gopls
---
title: Bugs
counter: gopls/bug
description: gopls bug reports, by stack.
type: stack
program: golang.org/x/tools/gopls
depth: 16
";

fn gopls(goos: &str, clients: &[&str], stacks: &[(&str, i64)]) -> Value {
    let counters: serde_json::Map<String, Value> =
        clients.iter().map(|c| (format!("gopls/client:{c}"), 1.into())).collect();
    let stacks: serde_json::Map<String, Value> = stacks.iter().map(|&(k, n)| (k.to_string(), n.into())).collect();
    json!({"Program": GOPLS, "Version": "v0.17.0", "GoVersion": "go1.23.1", "GOOS": goos,
           "GOARCH": "amd64", "Counters": counters, "Stacks": stacks})
}

fn go_cmd() -> Value {
    json!({"Program": "cmd/go", "Version": "go1.23.1", "GoVersion": "go1.23.1", "GOOS": "linux",
           "GOARCH": "amd64", "Counters": {"go/invocations": 3}, "Stacks": {}})
}

fn upload(f: &Fixture, day: &str, x: f64, programs: Value) {
    let report = json!({"Week": day, "LastWeek": "", "X": x, "Programs": programs, "Config": "v0.115.0"});
    f.write(&format!("{day}/{x}.json"), report.to_string());
}

/// Three non-overlapping weeks ending 2026-01-07, -14 and -21 (weekly sets exist for
/// days with reports, so each of those days has one).
///
/// | week | gopls uploaders | vscode | vim | linux | darwin | windows |
/// |---|---|---|---|---|---|---|
/// | 01-01..07 | 2 (0.1 twice, 0.2) | 1 | 1 | 1 | 1 | 0 |
/// | 01-08..14 | 3 | 2 | 1 | 2 | 1 | 0 |
/// | 01-15..21 | 3 (0.9 is cmd/go only) | 2 | 1 | 2 | 0 | 1 |
fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write("upload-config.json", upload_config()).write("chart-config.txt", CHART_CONFIG);
    upload(&f, "2026-01-01", 0.1, json!([gopls("linux", &["vscode"], &[])]));
    upload(&f, "2026-01-03", 0.1, json!([gopls("linux", &["vscode"], &[])]));
    upload(&f, "2026-01-07", 0.2, json!([gopls("darwin", &["vim"], &[])]));
    upload(&f, "2026-01-08", 0.3, json!([gopls("linux", &["vscode"], &[(BUG, 2)])]));
    upload(&f, "2026-01-10", 0.4, json!([gopls("linux", &["vscode"], &[])]));
    upload(&f, "2026-01-14", 0.5, json!([gopls("darwin", &["vim"], &[(BUG, 1)])]));
    upload(&f, "2026-01-15", 0.8, json!([gopls("linux", &["vscode"], &[(CRASH, 4)])]));
    upload(&f, "2026-01-16", 0.7, json!([gopls("windows", &[], &[(CRASH, 1), (BUG, 1)])]));
    upload(&f, "2026-01-20", 0.9, json!([go_cmd()]));
    upload(&f, "2026-01-21", 0.6, json!([gopls("linux", &["vscode", "vim"], &[])]));
    f
}

fn build_ok(f: &Fixture, args: &[&str]) -> String {
    let out = f.build(args);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
    stderr(&out)
}

fn trend_dir(program: &str, chart: &str) -> String {
    use telemetry_site::render::slug::slug;
    format!("trends/{}/{}/", slug(program), slug(chart))
}

#[test]
fn trend_csv_shares_equal_hand_computed_values() {
    let f = fixture();
    build_ok(&f, &[]);
    let csv = f.read_site(&format!("{}trend.csv", trend_dir(GOPLS, "gopls/client")));
    assert_eq!(
        csv,
        "week_start,week_end,bucket,value,uploaders,share\r\n\
         2026-01-01,2026-01-07,vim,1,2,0.500000\r\n\
         2026-01-01,2026-01-07,vscode,1,2,0.500000\r\n\
         2026-01-08,2026-01-14,vim,1,3,0.333333\r\n\
         2026-01-08,2026-01-14,vscode,2,3,0.666667\r\n\
         2026-01-15,2026-01-21,vim,1,3,0.333333\r\n\
         2026-01-15,2026-01-21,vscode,2,3,0.666667\r\n"
    );
    let goos = f.read_site(&format!("{}trend.csv", trend_dir(GOPLS, "GOOS")));
    assert_eq!(
        goos,
        "week_start,week_end,bucket,value,uploaders,share\r\n\
         2026-01-01,2026-01-07,darwin,1,2,0.500000\r\n\
         2026-01-01,2026-01-07,linux,1,2,0.500000\r\n\
         2026-01-01,2026-01-07,windows,0,2,0.000000\r\n\
         2026-01-08,2026-01-14,darwin,1,3,0.333333\r\n\
         2026-01-08,2026-01-14,linux,2,3,0.666667\r\n\
         2026-01-08,2026-01-14,windows,0,3,0.000000\r\n\
         2026-01-15,2026-01-21,darwin,0,3,0.000000\r\n\
         2026-01-15,2026-01-21,linux,2,3,0.666667\r\n\
         2026-01-15,2026-01-21,windows,1,3,0.333333\r\n"
    );
    // cmd/go: one uploader, in the last week only.
    let go = f.read_site(&format!("{}trend.csv", trend_dir("cmd/go", "go/invocations")));
    assert!(go.ends_with("2026-01-15,2026-01-21,go/invocations,1,1,1.000000\r\n"), "{go}");
    // Standalone SVGs, light and dark, every point low-confidence (< 30 uploaders).
    let dir = trend_dir(GOPLS, "gopls/client");
    let light = f.read_site(&format!("{dir}trend.svg"));
    let dark = f.read_site(&format!("{dir}trend-dark.svg"));
    assert!(light.starts_with("<svg") && dark.starts_with("<svg") && light != dark);
    assert_eq!(light.matches("class=\"lc-h\"").count(), 6, "2 lines x 3 weeks, hollow");
    assert!(light.contains("vscode, 2026-01-08 to 2026-01-14: 2 of 3 uploaders (66.7%)"));
}

#[test]
fn the_low_confidence_threshold_is_a_flag() {
    let f = fixture();
    build_ok(&f, &["--trend-min-uploaders", "3"]);
    let light = f.read_site(&format!("{}trend.svg", trend_dir(GOPLS, "gopls/client")));
    // Only the first week (2 uploaders) is below 3.
    assert_eq!(light.matches("class=\"lc-h\"").count(), 2);
}

#[test]
fn chart_set_csv_beside_the_json() {
    let f = fixture();
    build_ok(&f, &[]);
    let csv = f.read_site("charts/2026-01-15_2026-01-21.csv");
    let mut lines = csv.split("\r\n");
    assert_eq!(lines.next(), Some("program,chart,week,bucket,value"));
    assert!(csv.contains("golang.org/x/tools/gopls,gopls/client,2026-01-21,vscode,2\r\n"), "{csv}");
    assert!(csv.contains("golang.org/x/tools/gopls,GOOS,2026-01-21,windows,1\r\n"));
    assert!(csv.contains("cmd/go,go/invocations,2026-01-21,go/invocations,1\r\n"));
    // Every chart set has one.
    let json: Value = serde_json::from_str(&f.read_site("charts/2026-01-01.json")).unwrap();
    assert_eq!(json["DateRange"][0], "2026-01-01");
    f.read_site("charts/2026-01-01.csv");
}

#[test]
fn feed_only_with_a_base_url() {
    let f = fixture();
    let summary = build_ok(&f, &[]);
    assert!(!f.site().join("feed.xml").exists());
    assert!(summary.contains("feed.xml"), "{summary}");
    assert!(!f.read_site("404.html").contains("feed.xml"));
    build_ok(&f, &["--base-url", "https://example.com/telemetry"]);
    // The 404 page, served at any depth, links the feed by its absolute URL.
    let not_found = f.read_site("404.html");
    assert!(not_found.contains("type=\"application/atom+xml\""), "{not_found}");
    assert!(not_found.contains("href=\"https://example.com/telemetry/feed.xml\""), "{not_found}");
    let feed = f.read_site("feed.xml");
    let ids: Vec<&str> = feed.split("<id>").skip(2).map(|s| s.split("</id>").next().unwrap()).collect();
    assert_eq!(
        ids,
        vec![
            "https://example.com/telemetry/charts/2026-01-15_2026-01-21/index.html",
            "https://example.com/telemetry/charts/2026-01-08_2026-01-14/index.html",
            "https://example.com/telemetry/charts/2026-01-01_2026-01-07/index.html",
        ]
    );
    assert!(feed.contains("<updated>2026-01-21T00:00:00Z</updated>"));
}

#[test]
fn hostile_names_stay_inside_the_site_and_are_quoted_in_csv() {
    let f = Fixture::new();
    let program = "=HYPERLINK(\"x\"),../../evil";
    let report = json!({"Week": "2026-01-07", "LastWeek": "", "X": 0.5, "Config": "v0.115.0",
        "Programs": [{"Program": program, "Version": "v1.0.0", "GoVersion": "go1.23.1",
            "GOOS": "linux", "GOARCH": "amd64", "Counters": {"-x:=1+1": 1}, "Stacks": {}}]});
    f.write("2026-01-07/0.5.json", report.to_string());
    let mut first = report.clone();
    first["Week"] = "2026-01-01".into();
    first["X"] = 0.25.into();
    f.write("2026-01-01/0.25.json", first.to_string());
    build_ok(&f, &[]);
    let csv = f.read_site("charts/2026-01-01_2026-01-07.csv");
    // Two uploaders in the week.
    assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\"),../../evil\",'-x,2026-01-07,'=1+1,2\r\n"), "{csv}");
    let dir = trend_dir(program, "-x");
    assert!(!dir.contains(".."));
    let trend = f.read_site(&format!("{dir}trend.csv"));
    assert!(trend.ends_with("2026-01-01,2026-01-07,'=1+1,2,2,1.000000\r\n"), "{trend}");
}

#[test]
fn pages_exist_and_every_link_resolves() {
    let f = fixture();
    build_ok(&f, &["--base-url", "https://example.com/t/"]);
    let checked = crate::site::check_links(&f.site());
    assert!(checked > 100, "only {checked} links checked");
    let dir = trend_dir(GOPLS, "gopls/client");
    let page = f.read_site(&format!("{dir}index.html"));
    assert!(page.contains("<h1>Editor Distribution</h1>"), "{page}");
    assert!(page.contains("href=\"trend.csv\"") && page.contains("href=\"trend-dark.svg\""));
    assert!(page.contains("role=\"img\""), "inline chart");
    // The table: newest week first, value and share, the low-confidence mark.
    let table = &page[page.find("<table").unwrap()..];
    let newest = table.find("2026-01-15 to 2026-01-21</a>").unwrap();
    let oldest = table.find("2026-01-01 to 2026-01-07</a>").unwrap();
    assert!(newest < oldest);
    assert!(page.contains("<td class=\"num\">2 <span class=\"muted\">66.7%</span></td>"), "{page}");
    assert!(page.contains("fewer than 30 uploaders: low confidence"));
    // The embed snippet uses absolute URLs.
    assert!(page.contains(&format!("srcset=&quot;https://example.com/t/{dir}trend-dark.svg&quot;")), "{page}");
    // The trends index: every chart of both programs, with a sparkline.
    let index = f.read_site("trends/index.html");
    assert!(index.contains(&format!("href=\"{}index.html\"", dir.strip_prefix("trends/").unwrap())));
    assert!(index.contains("class=\"sparkline\""));
    assert!(index.contains("Participation"));
    // The top bucket is isolated, so a right-to-left name cannot carry its share into it.
    assert!(index.contains("<td><bdi>linux</bdi> <span class=\"muted\">"), "{index}");
    let programs = &index[index.find("<section class=\"program\">").unwrap()..];
    assert_eq!(programs.matches("<tr>").count() - 2, 5 + 4, "gopls 5 charts, cmd/go 4: {index}");
    // Home: participation chart and a Trends link; the feed in the layout.
    let home = f.read_site("index.html");
    assert!(home.contains("Valid reports per day and per week"));
    // Under the participation chart (home and trends index), its numbers, newest first:
    // the weeks' valid reports (4: 01-15, 16, 20, 21; 3; 3) and every day's, 0 included.
    for page in [&home, &index] {
        let at = page.find("<summary>Numbers</summary>").unwrap();
        let numbers = &page[at..at + page[at..].find("</details>").unwrap()];
        let row = |label: &str, n: u32| format!("<tr><th scope=\"row\">{label}</th><td class=\"num\">{n}</td></tr>\n");
        let weeks = [
            row("2026-01-15 to 2026-01-21", 4),
            row("2026-01-08 to 2026-01-14", 3),
            row("2026-01-01 to 2026-01-07", 3),
        ];
        assert!(numbers.contains(&weeks.concat()), "{numbers}");
        let days = [row("2026-01-21", 1), row("2026-01-20", 1), row("2026-01-19", 0)];
        assert!(numbers.contains(&days.concat()), "{numbers}");
        assert!(
            numbers.contains(&row("2026-01-02", 0))
                && numbers.ends_with(&format!("{}    </tbody>\n  </table>\n", row("2026-01-01", 1)))
        );
        assert_eq!(numbers.matches("<th scope=\"row\">").count(), 3 + 21, "3 weeks, 21 days from 01-01 to 01-21");
    }
    assert!(home.contains("rel=\"alternate\" type=\"application/atom+xml\""));
    assert!(home.contains("href=\"feed.xml\""));
    // The newest week's stacks, from the home page's links.
    assert!(home.contains("<a href=\"stacks/2026-01-15_2026-01-21/index.html\">This week's stacks</a>"), "{home}");
    // A weekly chart set page: CSV, stacks and a trend link on every chart.
    let set = f.read_site("charts/2026-01-15_2026-01-21/index.html");
    assert!(set.contains("href=\"../../charts/2026-01-15_2026-01-21.csv\">CSV</a>"), "{set}");
    assert!(set.contains("href=\"../../stacks/2026-01-15_2026-01-21/index.html\">Stacks</a>"));
    let charts = set.matches("<section class=\"chart\"").count();
    assert!(charts >= 5);
    assert_eq!(set.matches(">Trend</a>").count(), charts);
    // A daily set page has no stacks link.
    assert!(!f.read_site("charts/2026-01-21/index.html").contains("Stacks</a>"));
    // All charts: each weekly set's row links its week's stacks, a daily one none.
    let all = f.read_site("charts/index.html");
    assert!(all.contains("<a href=\"../stacks/2026-01-15_2026-01-21/index.html\">stacks</a>"), "{all}");
    let weekly = all.matches("<a class=\"badge weekly\" href=").count();
    assert!(weekly >= 3, "{all}");
    assert_eq!(all.matches(">stacks</a>").count(), weekly, "{all}");
    // The weekly sets that start before the first day with data (2026-01-01) say so.
    assert!(all.contains("1 report, 1 of 7 days"), "{all}");
    assert!(all.contains("2 reports, 3 of 7 days"), "{all}");
    // Only days with data have sets: 01-01 and 01-03.
    assert_eq!(all.matches(" of 7 days").count(), 2, "{all}");
    let first = f.read_site("charts/2025-12-28_2026-01-03/index.html");
    assert!(first.contains("The reports start on 2026-01-01: this week covers only 3 of its 7 days."), "{first}");
    assert!(!f.read_site("charts/2026-01-01_2026-01-07/index.html").contains("of its 7 days"));
}

#[test]
fn stacks_are_decoded_ranked_and_marked_new() {
    let f = fixture();
    build_ok(&f, &[]);
    let page = f.read_site("stacks/2026-01-15_2026-01-21/index.html");
    assert!(page.contains("<h2>Bugs</h2>"), "{page}");
    assert!(page.contains("gopls bug reports, by stack."));
    // CRASH: 0.8 (4) and 0.7 (1): 2 uploaders, 5, new. BUG: 0.7 (1): 1 uploader, 1,
    // seen the week before (0.3, 0.5), so not new.
    let crash = page.find("golang.org/x/tools/gopls/internal/cache.load:+0x1a").unwrap();
    let bug = page.find("golang.org/x/tools/gopls/internal/util/bug.Reportf:2").unwrap();
    assert!(crash < bug, "ranked by uploaders");
    assert!(page.contains("<strong>2</strong> uploaders · total count 5 · <span class=\"badge new\">new</span>"));
    assert!(page.contains("<strong>1</strong> uploader · total count 1</p>"));
    assert!(page.contains(
        "<code>gopls/bug\ngolang.org/x/tools/gopls/internal/util/bug.report:35\n\
         golang.org/x/tools/gopls/internal/util/bug.Reportf:2</code>"
    ));
    assert!(page.contains("2 stacks, 1 new"));
    // The week before: BUG from 0.3 (2) and 0.5 (1), new then.
    let before = f.read_site("stacks/2026-01-08_2026-01-14/index.html");
    assert!(before.contains("<strong>2</strong> uploaders · total count 3 · <span class=\"badge new\">new</span>"));
    // A stacks page for every weekly set, none seen in the first week.
    let first = f.read_site("stacks/2026-01-01_2026-01-07/index.html");
    assert!(first.contains("None this week."));
    for name in ["2025-12-28_2026-01-03", "2026-01-02_2026-01-08", "2026-01-04_2026-01-10", "2026-01-10_2026-01-16"] {
        assert!(f.site().join(format!("stacks/{name}/index.html")).is_file(), "{name}");
    }
}

#[test]
fn a_program_absent_from_the_newest_week_names_no_top_bucket_on_the_trends_index() {
    // Weeks 01-01..07 and 01-08..14; gopls only in the first: every bucket ties at 0 in
    // the newest week, where the index showed the first by name at "0.0%".
    let f = Fixture::new();
    upload(&f, "2026-01-01", 0.1, json!([go_cmd(), gopls("windows", &["vscode"], &[])]));
    upload(&f, "2026-01-07", 0.3, json!([go_cmd()])); // a weekly set ends on 01-07
    upload(&f, "2026-01-14", 0.2, json!([go_cmd()]));
    build_ok(&f, &[]);
    let index = f.read_site("trends/index.html");
    let gopls = &index[index.find(">x/tools/gopls</h2>").unwrap()..];
    assert!(gopls.contains("<td class=\"muted\" colspan=\"2\">no uploaders of this program in the newest week</td>"));
    assert!(!index.contains("<span class=\"muted\">0.0%"), "{index}");
    assert!(
        index.contains("<bdi>linux</bdi> <span class=\"muted\">100.0%</span>"),
        "cmd/go is in the newest week: {index}"
    );
}
