//! The chart browser: what the home page and each chart set page show of a chart set (a
//! navigation tree of programs and charts, and every chart with its heading, SVG and
//! numbers), as plain data for the templates.
//!
//! Every uploaded or configured string is passed through [`display_text`] and left to
//! the templates to escape; only the SVG, which [`svg`] escapes itself, is markup.

use std::collections::HashMap;

use serde::Serialize;

use super::fixed::{push, Fixed};
use super::paths::{display_name, display_text, href, is_web_url, short_program_name, Anchors};
use super::svg::{self, Bar};
use super::trend_pages::TrendPaths;
use super::xml;
use crate::aggregate::{ChartKind, Plan};
use crate::chartset::ChartSet;
use crate::config::ChartConfigFile;

/// What is known of a chart besides its data: its title, description and issues.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChartInfo {
    pub title: String,
    pub description: String,
    pub issues: Vec<Issue>,
}

/// An issue of a chart config record: a link when it is a web URL, text otherwise.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub url: Option<String>,
    pub text: String,
}

/// The [`ChartInfo`] of every chart of a plan, found once per build.
#[derive(Debug, Default)]
pub struct ChartCatalog {
    /// Program name -> chart name -> what every page shows of that chart.
    labels: HashMap<String, HashMap<String, ChartLabel>>,
}

/// What a chart set page shows of a chart besides its data, the same on every page.
#[derive(Debug, Default)]
struct ChartLabel {
    info: ChartInfo,
    /// The chart's trend page, from the site root.
    trend: Option<String>,
}

impl ChartCatalog {
    /// Titles from the chart config for counter charts (matched by program and chart
    /// name) and built-in ones for the Version, GOOS, GOARCH and GoVersion charts.
    pub fn new(plan: &Plan, config: &ChartConfigFile) -> ChartCatalog {
        let trends = TrendPaths::new(plan);
        let mut labels: HashMap<String, HashMap<String, ChartLabel>> = HashMap::new();
        for program in &plan.programs {
            for chart in &program.charts {
                let chart_info = match chart.kind {
                    ChartKind::Counter => config.find(&program.name, &chart.name).map(|record| ChartInfo {
                        title: display_text(&record.title),
                        description: display_text(&record.description),
                        issues: record.issues.iter().map(|url| issue(url)).collect(),
                    }),
                    kind => Some(builtin_info(kind)),
                };
                let label = labels.entry(program.name.clone()).or_default().entry(chart.name.clone()).or_default();
                if let Some(chart_info) = chart_info {
                    label.info = chart_info;
                }
                // `trends/<program>/<chart>/index.html`.
                label.trend = trends.dir(&program.name, &chart.name).map(|dir| format!("{dir}index.html"));
            }
        }
        ChartCatalog { labels }
    }

    fn label(&self, program: &str, chart: &str) -> Option<&ChartLabel> {
        self.labels.get(program)?.get(chart)
    }

    pub(crate) fn get(&self, program: &str, chart: &str) -> Option<&ChartInfo> {
        self.label(program, chart).map(|label| &label.info)
    }
}

fn builtin_info(kind: ChartKind) -> ChartInfo {
    let (title, description) = match kind {
        ChartKind::Version => ("Program version", "The version of the program that sent each report."),
        ChartKind::Goos => ("Operating system", "The operating system the program ran on (GOOS)."),
        ChartKind::Goarch => ("Processor architecture", "The architecture the program was built for (GOARCH)."),
        ChartKind::GoVersion => ("Go version", "The Go toolchain the program was built with."),
        ChartKind::Counter => ("", ""),
    };
    ChartInfo { title: title.into(), description: description.into(), issues: Vec::new() }
}

fn issue(url: &str) -> Issue {
    let text = display_text(url);
    if is_web_url(url) {
        let short = text.split_once("://").map_or(text.as_str(), |(_, rest)| rest).trim_end_matches('/').to_string();
        Issue { url: Some(href(&text)), text: short }
    } else {
        Issue { url: None, text }
    }
}

/// One program's charts in a chart set.
#[derive(Debug, Serialize)]
pub struct ProgramView<'a> {
    pub name: String,
    /// The name without a `golang.org/` or `github.com/` prefix.
    pub short: String,
    pub anchor: String,
    /// The chart JSON's `ID` (`charts:<program>`) as a second `id`, as telemetry.go.dev
    /// has it, when it can be one ([`Anchors::verbatim`]).
    pub go_id: Option<String>,
    pub charts: Vec<ChartView<'a>>,
    /// What the shares in its charts' tables are of (its reports in the range), escaped
    /// markup: deferred like the tables, so one rendered browser serves every set.
    pub shares_of: String,
}

/// One chart: heading, SVG and the numbers behind it. What is the same on every page is
/// borrowed from the [`ChartCatalog`].
#[derive(Debug, Serialize)]
pub struct ChartView<'a> {
    /// The chart's name: `GOOS`, or a counter's chart name such as `gopls/client`.
    pub name: String,
    pub anchor: String,
    /// The chart JSON's `ID` (`charts:<program>:<chart>`), as for [`ProgramView::go_id`].
    pub go_id: Option<String>,
    /// From the chart config or built in; empty when neither knows the chart.
    pub title: &'a str,
    pub description: &'a str,
    pub issues: &'a [Issue],
    /// The bar chart, escaped markup produced by [`svg::bar_chart`].
    pub svg: String,
    /// The rows of the numbers table, escaped markup produced by `table_rows`.
    pub table: String,
    /// The chart's trend page, from the site root.
    pub trend: Option<&'a str>,
}

/// The programs and charts of `set`, with anchors unique on the page.
pub fn programs<'a>(set: &ChartSet, catalog: &'a ChartCatalog) -> Vec<ProgramView<'a>> {
    static UNKNOWN: ChartLabel = ChartLabel {
        info: ChartInfo { title: String::new(), description: String::new(), issues: Vec::new() },
        trend: None,
    };
    let mut anchors = Anchors::default();
    set.programs
        .iter()
        .map(|program| {
            let short = short_program_name(program.name);
            let anchor = anchors.unique(short, "program");
            let go_id = anchors.verbatim(format!("charts:{}", program.name));
            let charts = program
                .charts
                .iter()
                .map(|chart| {
                    let label = catalog.label(program.name, chart.name).unwrap_or(&UNKNOWN);
                    let name = display_name(chart.name);
                    let heading = if label.info.title.is_empty() { &name } else { &label.info.title };
                    let bars: Vec<Bar<'_>> = chart.data.iter().map(|d| Bar { label: d.key, value: d.value }).collect();
                    ChartView {
                        trend: label.trend.as_deref(),
                        anchor: anchors.unique(&format!("{short} {}", chart.name), "chart"),
                        go_id: anchors.verbatim(format!("charts:{}:{}", program.name, chart.name)),
                        svg: svg::bar_chart(heading, &bars),
                        table: table_rows(&chart.data, program.uploaders),
                        name,
                        title: &label.info.title,
                        description: &label.info.description,
                        issues: &label.info.issues,
                    }
                })
                .collect();
            let (name, short) = (display_name(program.name), display_name(short));
            let uploaders = crate::summary::counted(program.uploaders, "uploader", "uploaders");
            let shares_of = format!("Share of the {uploaders} with <bdi>{}</bdi> in this range", xml::text(&short));
            ProgramView { name, short, anchor, go_id, charts, shares_of }
        })
        .collect()
}

/// The charts' SVGs and tables (and the stacks pages' lists), kept out of a page's template
/// context: each is replaced by
/// a short token (`\0` + its index + `\0`), and the rendered page is spliced with them
/// afterwards ([`Deferred::splice`]). The template still decides where they go, but the
/// template engine no longer copies half a megabyte of markup per page into its context
/// and out again. No token can come from data: `\0` never reaches a page from a report or
/// a config (control characters are replaced), nor from Markdown (CommonMark replaces it).
#[derive(Debug, Default)]
pub struct Deferred {
    parts: Vec<String>,
    /// The part holding other parts' tokens: the chart browser (see [`Deferred::nest`]).
    nested: Option<usize>,
}

impl Deferred {
    /// Takes the markup out of `programs`, leaving tokens.
    pub fn take(programs: &mut [ProgramView<'_>]) -> Deferred {
        let mut deferred = Deferred::default();
        for program in programs {
            deferred.defer(&mut program.shares_of);
            for chart in &mut program.charts {
                deferred.defer(&mut chart.svg);
                deferred.defer(&mut chart.table);
            }
        }
        deferred
    }

    /// Takes `markup` out, leaving its token.
    pub fn defer(&mut self, markup: &mut String) {
        let token = format!("\0{}\0", self.parts.len());
        self.parts.push(std::mem::replace(markup, token));
    }

    /// Adds `markup` that holds the tokens of the parts taken so far (the chart browser,
    /// rendered once for every page with the same charts), and returns its own token.
    pub fn nest(&mut self, markup: String) -> String {
        let mut token = markup;
        self.defer(&mut token);
        self.nested = Some(self.parts.len() - 1);
        token
    }

    /// `page` with every token replaced by its markup.
    pub fn splice(&self, page: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(page.len() + self.parts.iter().map(String::len).sum::<usize>());
        self.splice_into(page, &mut out, true);
        out
    }

    /// Appends `text` to `out` with its tokens replaced, and the tokens in the nested part
    /// when `nest`; within that part, its own token is left as it is.
    fn splice_into(&self, text: &[u8], out: &mut Vec<u8>, nest: bool) {
        let mut rest = text;
        while let Some(start) = memchr::memchr(0, rest) {
            let after = &rest[start + 1..];
            let token = memchr::memchr(0, after)
                .and_then(|end| std::str::from_utf8(&after[..end]).ok()?.parse::<usize>().ok().map(|i| (i, end)))
                .and_then(|(i, end)| Some((i, self.parts.get(i)?, end)))
                .filter(|&(i, _, _)| nest || self.nested != Some(i));
            match token {
                Some((i, part, end)) => {
                    out.extend_from_slice(&rest[..start]);
                    if self.nested == Some(i) {
                        self.splice_into(part.as_bytes(), out, false);
                    } else {
                        out.extend_from_slice(part.as_bytes());
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.extend_from_slice(&rest[..=start]);
                    rest = after;
                }
            }
        }
        out.extend_from_slice(rest);
    }
}

/// One `<tr>` per bucket: its name, its value and its share of the program's `total` reports
/// (a percentage with one decimal; empty when there are no reports). Written here rather
/// than looped over in the template: a year's pages hold over half a million rows.
fn table_rows(data: &[crate::chartset::Datum], total: u64) -> String {
    let mut html = String::with_capacity(data.len() * 80);
    for datum in data {
        html.push_str("<tr><td>");
        xml::push_text(&mut html, datum.key);
        push!(&mut html, r#"</td><td class="num">"#, datum.value, r#"</td><td class="num">"#);
        if total > 0 {
            push!(&mut html, Fixed(crate::trends::percent_of(datum.value, total)), "%");
        }
        html.push_str("</td></tr>\n");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chartset::{Chart, Datum, ProgramCharts};

    fn set<'a>(program: &'a str, charts: &[(&'a str, &[(&'a str, u64)])]) -> ChartSet<'a> {
        ChartSet {
            date_range: ["2026-01-01".into(), "2026-01-07".into()],
            num_reports: 8,
            programs: vec![ProgramCharts {
                id: "",
                name: program,
                charts: charts
                    .iter()
                    .map(|(name, data)| Chart {
                        id: "",
                        name,
                        kind: "partition",
                        data: data.iter().map(|&(key, value)| Datum { week: "", key, value }).collect(),
                    })
                    .collect(),
                // Half the set's reports: the shares are of these.
                uploaders: 4,
            }],
        }
    }

    const UPLOAD: &str = r#"{"GOOS":["linux"],"GOARCH":["amd64"],"GoVersion":["go1.23.1"],"Programs":[{"Name":"golang.org/x/tools/gopls","Versions":["v0.17.0"],"Counters":[{"Name":"gopls/client:{vscode,vim}","Rate":1}]}]}"#;
    const CHARTS: &str = "title: Editor Distribution\ncounter: gopls/client:{vscode,vim}\ndescription: measure editors.\ntype: partition\nissue: https://go.dev/issue/61038\nissue: javascript:alert(1)\nprogram: golang.org/x/tools/gopls\n";

    #[test]
    fn issue_links_are_valid_urls_and_read_as_written() {
        let link = issue("https://example.com/issue?a=1&b=<2> ");
        assert_eq!(link.url, None, "whitespace: text, not a link");
        let link = issue("https://example.com/issue?a=1&b=<2>");
        assert_eq!(link.url.as_deref(), Some("https://example.com/issue?a=1&b=%3C2%3E"));
        assert_eq!(link.text, "example.com/issue?a=1&b=<2>");
    }

    #[test]
    fn charts_get_config_and_builtin_titles() {
        let upload = crate::config::UploadConfig::parse(UPLOAD).unwrap();
        let catalog = ChartCatalog::new(&Plan::from_config(&upload), &ChartConfigFile::parse(CHARTS).unwrap());
        let set = set(
            "golang.org/x/tools/gopls",
            &[("GOOS", &[("linux", 4)]), ("gopls/client", &[("vscode", 3), ("vim", 0)])],
        );
        let programs = programs(&set, &catalog);
        assert_eq!(programs[0].short, "x/tools/gopls");
        assert_eq!(programs[0].anchor, "x-tools-gopls");
        let [goos, client] = &programs[0].charts[..] else { panic!() };
        assert_eq!(goos.title, "Operating system");
        assert_eq!(goos.anchor, "x-tools-gopls-goos");
        assert_eq!(client.title, "Editor Distribution");
        assert_eq!(client.description, "measure editors.");
        assert_eq!(client.issues[0].url.as_deref(), Some("https://go.dev/issue/61038"));
        assert_eq!(client.issues[0].text, "go.dev/issue/61038");
        assert_eq!(client.issues[1].url, None);
        // Shares of the program's 4 reports, not of the set's 8.
        let expected = "<tr><td>vscode</td><td class=\"num\">3</td><td class=\"num\">75.0%</td></tr>\n\
                        <tr><td>vim</td><td class=\"num\">0</td><td class=\"num\">0.0%</td></tr>\n";
        assert_eq!(client.table, expected);
        assert!(client.svg.contains("aria-label=\"Editor Distribution: "));
    }

    #[test]
    fn deferred_markup_is_spliced_back_where_the_template_put_it() {
        let upload = crate::config::UploadConfig::parse(UPLOAD).unwrap();
        let catalog = ChartCatalog::new(&Plan::from_config(&upload), &ChartConfigFile::parse(CHARTS).unwrap());
        let set = set("golang.org/x/tools/gopls", &[("GOOS", &[("linux", 4)]), ("gopls/client", &[("vim", 1)])]);
        let mut programs = programs(&set, &catalog);
        let (svg, table) = (programs[0].charts[1].svg.clone(), programs[0].charts[1].table.clone());
        let shares_of = programs[0].shares_of.clone();
        assert_eq!(shares_of, "Share of the 4 uploaders with <bdi>x/tools/gopls</bdi> in this range");
        let deferred = Deferred::take(&mut programs);
        // The program's note first, then each chart's SVG and table.
        assert_eq!(programs[0].shares_of, "\u{0}0\u{0}");
        assert_eq!(programs[0].charts[1].svg, "\u{0}3\u{0}");
        let page = format!("<p>{}</p>|{}|\0x\0|\09\0|\0", programs[0].charts[1].svg, programs[0].charts[1].table);
        let spliced = String::from_utf8(deferred.splice(page.as_bytes())).unwrap();
        // Tokens are replaced; a stray NUL, an unknown index or a cut token stay as they are.
        assert_eq!(spliced, format!("<p>{svg}</p>|{table}|\0x\0|\09\0|\0"));
    }

    #[test]
    fn a_nested_part_is_spliced_with_the_parts_it_holds() {
        let mut deferred = Deferred::default();
        let (mut svg, mut table) = (String::from("<svg/>"), String::from("<tr/>"));
        deferred.defer(&mut svg);
        deferred.defer(&mut table);
        // The browser holds the charts' tokens, and (never in practice) its own.
        let token = deferred.nest(format!("<div>{svg}|{table}|\u{0}2\u{0}</div>"));
        assert_eq!(token, "\u{0}2\u{0}");
        let page = format!("<main>{token}</main>{svg}");
        let spliced = String::from_utf8(deferred.splice(page.as_bytes())).unwrap();
        assert_eq!(spliced, "<main><div><svg/>|<tr/>|\u{0}2\u{0}</div></main><svg/>");
    }

    #[test]
    fn unknown_charts_are_headed_by_their_name() {
        let set = set("<b>\u{7}", &[("<i>", &[("x", 1)])]);
        let catalog = ChartCatalog::default();
        let programs = programs(&set, &catalog);
        assert_eq!(programs[0].name, "<b>\u{FFFD}");
        assert_eq!(programs[0].anchor, "b");
        assert_eq!(programs[0].charts[0].title, "");
        assert_eq!(programs[0].charts[0].name, "<i>");
        assert!(programs[0].charts[0].svg.contains("aria-label=\"&lt;i&gt;: "));
        let rows = table_rows(&[crate::chartset::Datum { week: "", key: "<x>&\u{7}", value: 2 }], 0);
        assert_eq!(rows, "<tr><td>&lt;x&gt;&amp;\u{FFFD}</td><td class=\"num\">2</td><td class=\"num\"></td></tr>\n");
    }
}
