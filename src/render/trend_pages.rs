//! What the trend pages show, as plain data for their templates: one page per program
//! and chart (`trends/<program>/<chart>/index.html`, beside its `trend.csv`, `trend.svg`
//! and `trend-dark.svg`) and the index of every trend (`trends/index.html`).
//!
//! Paths come from [`TrendPaths`]: slugs of the program and chart names, distinct for
//! distinct names, so an uploaded name never becomes a path. Every uploaded string is
//! made printable here ([`display_text`], as on every page) and escaped by the templates;
//! only the SVGs, which [`linechart`] escapes itself, are markup.

use serde::Serialize;

use super::linechart::{self, Theme};
use super::paths::{display_name, display_text};
use super::slug::Slugs;
use super::xml;
use crate::aggregate::Plan;
use crate::trends::{percent_of, share, Trend, TrendWeek};

/// Where each program's and chart's trend lives.
#[derive(Debug, Clone, Default)]
pub struct TrendPaths {
    programs: Slugs,
    /// Per program name: its chart names' slugs.
    charts: std::collections::BTreeMap<String, Slugs>,
}

impl TrendPaths {
    pub fn new(plan: &Plan) -> TrendPaths {
        // A program may be listed twice, and a chart name may repeat: one path each.
        let mut charts: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        let mut programs: Vec<&str> = Vec::new();
        for program in &plan.programs {
            let names = charts.entry(program.name.as_str()).or_insert_with(|| {
                programs.push(program.name.as_str());
                Vec::new()
            });
            for chart in &program.charts {
                if !names.contains(&chart.name.as_str()) {
                    names.push(chart.name.as_str());
                }
            }
        }
        TrendPaths {
            programs: Slugs::new(programs),
            charts: charts.into_iter().map(|(name, charts)| (name.to_string(), Slugs::new(charts))).collect(),
        }
    }

    /// `trends/<program>/<chart>/` from the site root, for a chart of the plan.
    pub fn dir(&self, program: &str, chart: &str) -> Option<String> {
        let p = self.programs.get(program)?;
        let c = self.charts.get(program)?.get(chart)?;
        Some(format!("trends/{p}/{c}/"))
    }
}

/// A share as a percentage with one decimal: `75.0%`.
pub fn percent(value: u32, uploaders: u32) -> String {
    format!("{:.1}%", percent_of(value.into(), uploaders.into()))
}

/// A column of the trend table.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    /// Drawn as a line (else folded into "other", or "other" itself).
    pub drawn: bool,
    pub other: bool,
}

/// A cell of the trend table.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub value: u32,
    pub share: String,
}

/// A week of the trend table.
#[derive(Debug, Clone, Serialize)]
pub struct WeekRow {
    pub start: String,
    pub end: String,
    /// The weekly chart set page, relative to the trend page.
    pub set_href: String,
    pub uploaders: u32,
    pub low_confidence: bool,
    /// One per column.
    pub cells: Vec<Cell>,
}

/// A trend page.
#[derive(Debug, Clone, Serialize)]
pub struct TrendView {
    pub program: String,
    pub chart: String,
    pub title: String,
    pub description: String,
    /// The chart, inline, following the page's colour scheme.
    pub svg: String,
    pub columns: Vec<Column>,
    /// Newest week first.
    #[serde(skip)]
    pub rows: Vec<WeekRow>,
    /// `rows` as the table's rows (`<tr>`s), written here rather than looped over in the
    /// template: a page holds a row per week and a cell per bucket, thousands of cells.
    pub rows_html: String,
    pub has_data: bool,
    pub folded: usize,
    pub min_uploaders: u32,
    pub low_confidence_weeks: usize,
}

/// The files of one trend: its page's data and the standalone SVGs and CSV.
pub struct TrendFiles {
    pub view: TrendView,
    pub light_svg: String,
    pub dark_svg: String,
    pub csv: String,
}

/// Everything of one trend. `root` is the path from the trend page to the site root.
pub fn trend_files(
    trend: &Trend,
    weeks: &[TrendWeek],
    title: &str,
    description: &str,
    min_uploaders: u32,
    root: &str,
) -> TrendFiles {
    let chart = linechart::trend_chart(trend, weeks, min_uploaders);
    let folded: Vec<usize> = {
        let mut rest: Vec<usize> = (0..trend.buckets.len()).filter(|b| !trend.top.contains(b)).collect();
        rest.sort_unstable(); // chart order
        rest
    };
    let mut columns: Vec<Column> = trend
        .top
        .iter()
        .map(|&b| Column { name: display_text(&trend.buckets[b].name), drawn: true, other: false })
        .collect();
    if trend.other.is_some() {
        columns.push(Column { name: "other (sum)".into(), drawn: true, other: true });
    }
    columns.extend(folded.iter().map(|&b| Column {
        name: display_text(&trend.buckets[b].name),
        drawn: false,
        other: false,
    }));
    let rows: Vec<WeekRow> = weeks
        .iter()
        .enumerate()
        .rev()
        .map(|(w, week)| {
            let uploaders = trend.uploaders[w];
            let cell = |value: u32| Cell { value, share: percent(value, uploaders) };
            let mut cells: Vec<Cell> = trend.top.iter().map(|&b| cell(trend.buckets[b].values[w])).collect();
            if let Some(other) = &trend.other {
                cells.push(cell(other.values[w]));
            }
            cells.extend(folded.iter().map(|&b| cell(trend.buckets[b].values[w])));
            WeekRow {
                start: week.start.to_string(),
                end: week.end.to_string(),
                set_href: format!("{root}charts/{}/index.html", week.name()),
                uploaders,
                low_confidence: trend.low_confidence[w],
                cells,
            }
        })
        .collect();
    let rows_html = rows_html(&rows, min_uploaders);
    let [auto_svg, light_svg, dark_svg] = linechart::svgs(&chart, [Theme::Auto, Theme::Light, Theme::Dark]);
    TrendFiles {
        view: TrendView {
            program: display_name(&trend.program_name),
            chart: display_name(&trend.chart_name),
            title: display_text(title),
            description: display_text(description),
            svg: auto_svg,
            columns,
            rows,
            rows_html,
            has_data: trend.has_data(),
            folded: trend.folded(),
            min_uploaders,
            low_confidence_weeks: trend.low_confidence.iter().filter(|&&l| l).count(),
        },
        light_svg,
        dark_svg,
        csv: super::csv::trend(trend, weeks),
    }
}

/// The `<tr>`s of the trend table, each after a newline and an indent.
fn rows_html(rows: &[WeekRow], min_uploaders: u32) -> String {
    let mut html = String::with_capacity(rows.iter().map(|r| 200 + 60 * r.cells.len()).sum());
    for row in rows {
        html.push_str(if row.low_confidence { "\n    <tr class=\"low\">" } else { "\n    <tr>" });
        html.push_str("\n      <th scope=\"row\"><a href=\"");
        xml::push_text(&mut html, &row.set_href);
        html.push_str("\">");
        xml::push_text(&mut html, &row.start);
        html.push_str(" to ");
        xml::push_text(&mut html, &row.end);
        html.push_str("</a></th>\n      <td class=\"num\">");
        html.push_str(itoa::Buffer::new().format(row.uploaders));
        if row.low_confidence {
            html.push_str(" <abbr title=\"fewer than ");
            html.push_str(itoa::Buffer::new().format(min_uploaders));
            html.push_str(" uploaders: low confidence\">†</abbr>");
        }
        html.push_str("</td>");
        for cell in &row.cells {
            html.push_str("<td class=\"num\">");
            html.push_str(itoa::Buffer::new().format(cell.value));
            html.push_str(" <span class=\"muted\">");
            xml::push_text(&mut html, &cell.share);
            html.push_str("</span></td>");
        }
        html.push_str("\n    </tr>");
    }
    html
}

/// A trend as `trends/index.html` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct TrendLink {
    pub chart: String,
    pub title: String,
    /// Relative to `trends/index.html`.
    pub href: String,
    pub has_data: bool,
    /// The program had no uploaders in the newest week: no bucket leads it (all tie at
    /// 0), so none is named as the top one.
    pub none_newest: bool,
    /// The top bucket's share per week, when there is data.
    pub sparkline: Option<String>,
    pub top_bucket: Option<String>,
    /// The top bucket's newest share.
    pub top_share: Option<String>,
}

impl TrendLink {
    /// `dir` is the trend's directory from the site root (see [`TrendPaths::dir`]).
    pub fn new(trend: &Trend, title: &str, dir: &str) -> TrendLink {
        let newest = trend.uploaders.len().checked_sub(1);
        let none_newest = trend.has_data() && newest.is_some_and(|w| trend.uploaders[w] == 0);
        let top = trend.top_bucket().filter(|_| !none_newest);
        TrendLink {
            chart: display_name(&trend.chart_name),
            title: display_text(title),
            href: format!("{}index.html", dir.strip_prefix("trends/").unwrap_or(dir)),
            has_data: trend.has_data(),
            none_newest,
            sparkline: top.map(|bucket| {
                let shares: Vec<f64> = bucket.values.iter().zip(&trend.uploaders).map(|(&v, &u)| share(v, u)).collect();
                let label = format!("{}: share of uploaders with {} per week", trend.chart_name, bucket.name);
                linechart::sparkline(&shares, &trend.low_confidence, &display_text(&label))
            }),
            top_bucket: top.map(|b| display_text(&b.name)),
            top_share: top.zip(newest).map(|(b, w)| percent(b.values[w], trend.uploaders[w])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{plan::ProgramLists, ChartKind};
    use crate::day::Day;
    use crate::trends::BucketSeries;

    #[test]
    fn percentages_round_the_exact_share() {
        // 196 of 320 is exactly 61.25%: a tie, shown to even as on the chart set pages
        // (0.6125 * 100 is 61.250000000000007, which showed 61.3%).
        assert_eq!(percent(196, 320), "61.2%");
        assert_eq!(percent(1, 16), "6.2%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(0, 0), "0.0%");
    }

    #[test]
    fn paths_are_slugs_distinct_per_program_and_chart() {
        let plan = Plan::build(
            [
                ProgramLists {
                    name: "golang.org/x/tools/gopls",
                    versions: vec!["v1"],
                    counters: vec![("gopls/client".into(), vec!["gopls/client:vscode".into()])],
                },
                ProgramLists { name: "../../etc", versions: Vec::new(), counters: Vec::new() },
            ],
            &["linux".to_string()],
            &[],
            &[],
        );
        let paths = TrendPaths::new(&plan);
        let gopls = paths.dir("golang.org/x/tools/gopls", "gopls/client").unwrap();
        assert!(gopls.starts_with("trends/golang-org-x-tools-gopls--"), "{gopls}");
        assert!(gopls.contains("/gopls-client--"), "{gopls}");
        let evil = paths.dir("../../etc", "GOOS").unwrap();
        assert!(evil.starts_with("trends/etc--") && !evil.contains(".."), "{evil}");
        assert_eq!(paths.dir("nope", "GOOS"), None);
        assert_eq!(paths.dir("golang.org/x/tools/gopls", "nope"), None);
    }

    #[test]
    fn trend_table_lists_drawn_then_other_then_folded_newest_week_first() {
        let weeks: Vec<TrendWeek> = (0..2)
            .map(|w| TrendWeek { set: 2 * w + 1, start: Day(100 + 7 * w as i32), end: Day(106 + 7 * w as i32) })
            .collect();
        let mut buckets: Vec<BucketSeries> =
            (0..10).map(|i| BucketSeries { name: format!("b{i}"), values: vec![1, 10 - i] }).collect();
        buckets[0].name = "bad\u{1b}[31m".into();
        let trend = Trend {
            program: 0,
            chart: 0,
            program_name: "p".into(),
            chart_name: "c".into(),
            kind: ChartKind::Counter,
            uploaders: vec![20, 40],
            low_confidence: vec![true, false],
            top: (0..8).collect(),
            other: Some(BucketSeries { name: "other".into(), values: vec![2, 3] }),
            buckets,
        };
        let files = trend_files(&trend, &weeks, "T", "D", 30, "../../../");
        let names: Vec<&str> = files.view.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[0], "bad\u{FFFD}[31m");
        assert_eq!(&names[7..], &["b7", "other (sum)", "b8", "b9"]);
        let newest = &files.view.rows[0];
        assert_eq!(newest.end, Day(113).to_string());
        assert_eq!(newest.uploaders, 40);
        assert!(!newest.low_confidence && files.view.rows[1].low_confidence);
        assert_eq!(newest.cells[0].value, 10);
        assert_eq!(newest.cells[0].share, "25.0%");
        assert_eq!(newest.cells[8].share, "7.5%"); // other: 3 of 40
        assert_eq!(newest.set_href, format!("../../../charts/{}_{}/index.html", Day(107), Day(113)));
        assert_eq!(files.view.low_confidence_weeks, 1);
        // The table's rows, newest week first, the low-confidence one marked.
        let rows: Vec<&str> = files.view.rows_html.split("\n    <tr").skip(1).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].starts_with(&format!(
            ">\n      <th scope=\"row\"><a href=\"../../../charts/{}_{}/index.html\">{} to {}</a></th>\n      <td class=\"num\">40</td><td class=\"num\">10 <span class=\"muted\">25.0%</span></td>",
            Day(107), Day(113), Day(107), Day(113)
        )));
        assert!(rows[1].starts_with(" class=\"low\">"));
        assert!(rows[1]
            .contains("<td class=\"num\">20 <abbr title=\"fewer than 30 uploaders: low confidence\">†</abbr></td>"));
        assert!(rows.iter().all(|r| r.ends_with("</td>\n    </tr>") && r.matches("<td").count() == 1 + 11));
        assert_eq!(files.view.folded, 2);
        assert!(files.csv.starts_with("week_start,week_end,bucket,value,uploaders,share\r\n"));
        assert!(files.light_svg.contains("#ffffff") && files.dark_svg.contains("#0d1117"));
        let link = TrendLink::new(&trend, "T", "trends/p/c/");
        assert_eq!(link.href, "p/c/index.html");
        assert_eq!(link.top_share.as_deref(), Some("25.0%"));
        assert!(!link.none_newest);
        assert!(link.sparkline.unwrap().starts_with("<svg"));
    }

    #[test]
    fn a_program_without_uploaders_in_the_newest_week_names_no_top_bucket() {
        // 2 uploaders in week 1, none in week 2: every bucket is 0 then, "windows" would
        // lead only by name, at 0.0%.
        let trend = Trend {
            program: 0,
            chart: 0,
            program_name: "example.com/other".into(),
            chart_name: "GOOS".into(),
            kind: ChartKind::Goos,
            uploaders: vec![2, 0],
            low_confidence: vec![true, true],
            buckets: vec![BucketSeries { name: "windows".into(), values: vec![2, 0] }],
            top: vec![0],
            other: None,
        };
        let link = TrendLink::new(&trend, "", "trends/p/c/");
        assert!(link.has_data && link.none_newest);
        assert_eq!((link.top_bucket, link.top_share, link.sparkline), (None, None, None));
    }
}
