//! Line charts as SVG text: trends (shares over weeks), participation (reports over days)
//! and sparklines.
//!
//! Written by hand, as the bar charts are, so the output is small and byte-stable:
//! coordinates have one decimal, colours come from a fixed palette, and every uploaded
//! string is escaped (control characters replaced) through [`xml`]. Each point carries
//! a `<title>` (shown on hover when the SVG is inline); a low-confidence point is drawn
//! hollow and the segments touching it dashed.
//!
//! Colours are CSS classes in the SVG's own `<style>`: [`Theme::Light`] and
//! [`Theme::Dark`] are fixed (the standalone files a README embeds with `<picture>`),
//! [`Theme::Auto`] (inline in pages) follows `prefers-color-scheme` and the page's CSS
//! variables `--bg`, `--fg`, `--border` and `--muted` when they are set.

use std::fmt::Write as _;

use crate::aggregate::Aggregates;
use crate::day::Day;
use crate::render::xml;
use crate::trends::{percent_of, share, Trend, TrendWeek};

/// Which colours a chart uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    Auto,
}

/// How the y axis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    /// Fractions shown as percentages.
    Share,
    /// Whole numbers.
    Count,
}

/// One point: its height and its hover text.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub y: f64,
    pub title: String,
    pub low_confidence: bool,
}

/// One line: a label for the legend and a point (or a gap) per x position.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<Option<Point>>,
    /// Drawn in the neutral colour ("other").
    pub muted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The accessible name (`aria-label` and `<title>`).
    pub title: String,
    /// One label per x position (days).
    pub x_labels: Vec<String>,
    pub lines: Vec<Line>,
    pub y_format: YFormat,
}

const WIDTH: f64 = 720.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const PLOT_HEIGHT: f64 = 220.0;
const X_AXIS: f64 = 32.0;
const LEGEND_ROW: f64 = 20.0;
const LEGEND_COLUMNS: usize = 2;
/// Legend labels longer than this are cut, with `…` (the full label is in the `<title>`).
const LEGEND_CHARS: usize = 40;
const MAX_X_LABELS: usize = 6;

/// Tableau 10, with its orange, teal and yellow darkened (same hue) until each line and
/// the muted colour stand out at least 3:1 from the background (WCAG 1.4.11 Non-text
/// Contrast), as the dark palette's do.
const LIGHT: Palette = Palette {
    background: "#ffffff",
    text: "#1f2328",
    grid: "#d0d7de",
    muted: "#8c959f",
    lines: ["#4e79a7", "#dc740e", "#e15759", "#59a14f", "#b07aa1", "#529c96", "#ac8a11", "#9c755f"],
};

const DARK: Palette = Palette {
    background: "#0d1117",
    text: "#e6edf3",
    grid: "#30363d",
    muted: "#8b949e",
    lines: ["#79a6d8", "#ffae5c", "#ff8587", "#84cc7c", "#d3a1c6", "#9fdcd6", "#f7d96b", "#c9a086"],
};

struct Palette {
    background: &'static str,
    text: &'static str,
    grid: &'static str,
    muted: &'static str,
    lines: [&'static str; 8],
}

/// The `<style>` of a chart: class `lc-cN` is line N's colour, `lc-m` the muted one.
fn style(theme: Theme) -> String {
    let rules = |p: &Palette, vars: bool| {
        let v = |name: &str, value: &str| {
            if vars {
                format!("var(--{name},{value})")
            } else {
                value.to_string()
            }
        };
        let mut css = format!(
            ".lc-bg{{fill:{}}}.lc-t{{fill:{};font:12px system-ui,sans-serif}}.lc-g{{stroke:{}}}",
            v("bg", p.background),
            v("fg", p.text),
            v("border", p.grid)
        );
        let _ = write!(css, ".lc-m{{stroke:{0};fill:{0}}}", v("muted", p.muted));
        for (i, c) in p.lines.iter().enumerate() {
            let _ = write!(css, ".lc-c{i}{{stroke:{c};fill:{c}}}");
        }
        let _ = write!(css, ".lc-h{{fill:{}}}", v("bg", p.background));
        css
    };
    match theme {
        Theme::Light => rules(&LIGHT, false),
        Theme::Dark => rules(&DARK, false),
        Theme::Auto => format!("{}@media (prefers-color-scheme:dark){{{}}}", rules(&LIGHT, true), rules(&DARK, true)),
    }
}

/// A number with at most `decimals` places, trailing zeros dropped.
fn trimmed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// `value` as an axis label.
fn y_label(value: f64, format: YFormat) -> String {
    match format {
        YFormat::Share => format!("{}%", trimmed(value * 100.0, 2)),
        YFormat::Count if value >= 1_000_000.0 => format!("{}M", trimmed(value / 1e6, 2)),
        YFormat::Count if value >= 1_000.0 => format!("{}k", trimmed(value / 1e3, 2)),
        YFormat::Count => trimmed(value, 2),
    }
}

/// A step of 1, 2, 2.5 or 5 times a power of ten giving at most 5 intervals up to `max`,
/// and the axis top (a multiple of the step).
fn y_scale(max: f64, format: YFormat) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return match format {
            YFormat::Share => (0.25, 1.0),
            YFormat::Count => (1.0, 4.0),
        };
    }
    let mut magnitude = 10f64.powi(max.log10().floor() as i32 - 1);
    if format == YFormat::Count {
        magnitude = magnitude.max(1.0);
    }
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * magnitude;
            if format == YFormat::Count && step.fract() != 0.0 {
                continue;
            }
            let intervals = (max / step - 1e-9).ceil().max(1.0);
            if intervals <= 5.0 {
                return (step, intervals * step);
            }
        }
        magnitude *= 10.0;
    }
}

/// The chart as a standalone SVG document.
pub fn svg(chart: &LineChart, theme: Theme) -> String {
    let [one] = svgs(chart, [theme]);
    one
}

/// The chart in several themes, drawn once: only the `<style>` differs.
pub fn svgs<const N: usize>(chart: &LineChart, themes: [Theme; N]) -> [String; N] {
    let (head, tail) = around_style(chart);
    themes.map(|theme| {
        let style = style(theme);
        let mut out = String::with_capacity(head.len() + style.len() + tail.len() + 16);
        let _ = write!(out, "{head}<style>{style}</style>{tail}");
        out
    })
}

/// The SVG before and after its `<style>` element.
fn around_style(chart: &LineChart) -> (String, String) {
    let frame = Frame::new(chart);
    let height = frame.height;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" \
         width=\"{WIDTH}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\">",
        xml::text(&chart.title)
    );
    let _ = write!(out, "<title>{}</title>", xml::text(&chart.title));
    let style_at = out.len();
    let _ = write!(out, "<rect class=\"lc-bg\" x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height:.0}\"/>");
    frame.y_grid(&mut out, chart.y_format);
    frame.x_labels(&mut out, &chart.x_labels);
    frame.lines(&mut out, &chart.lines);
    frame.legend(&mut out, &chart.lines);
    out.push_str("</svg>\n");
    let tail = out.split_off(style_at);
    (out, tail)
}

/// Where a chart's points go: its height, its x positions and its y scale.
struct Frame {
    height: f64,
    /// Points on the x axis.
    n: usize,
    /// The y axis's step and top.
    step: f64,
    top: f64,
}

impl Frame {
    fn new(chart: &LineChart) -> Frame {
        let legend_rows = chart.lines.len().div_ceil(LEGEND_COLUMNS);
        let height = TOP + PLOT_HEIGHT + X_AXIS + legend_rows as f64 * LEGEND_ROW + 8.0;
        let max = chart.lines.iter().flat_map(|l| l.points.iter().flatten()).map(|p| p.y).fold(0.0, f64::max);
        let (step, top) = y_scale(max, chart.y_format);
        Frame { height, n: chart.x_labels.len(), step, top }
    }

    fn x(&self, i: usize) -> f64 {
        let plot_width = WIDTH - LEFT - RIGHT;
        if self.n <= 1 {
            LEFT + plot_width / 2.0
        } else {
            LEFT + plot_width * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + PLOT_HEIGHT * (1.0 - (v / self.top).clamp(0.0, 1.0))
    }

    /// A grid line and a label at each step of the y axis.
    fn y_grid(&self, out: &mut String, format: YFormat) {
        let ticks = (self.top / self.step).round() as usize;
        for t in 0..=ticks {
            let v = self.step * t as f64;
            let (right, ty) = (WIDTH - RIGHT, self.y(v));
            let (lx, ly) = (LEFT - 6.0, self.y(v) + 4.0);
            let label = xml::text(&y_label(v, format));
            let _ = write!(
                out,
                "<line class=\"lc-g\" x1=\"{LEFT}\" x2=\"{right:.1}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\"/>\
                 <text class=\"lc-t\" x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"end\">{label}</text>"
            );
        }
    }

    /// At most six labels under the x axis, the newest always.
    fn x_labels(&self, out: &mut String, labels: &[String]) {
        let n = self.n;
        if n == 0 {
            return;
        }
        let every = n.div_ceil(MAX_X_LABELS);
        for i in (0..n).filter(|i| (n - 1 - i).is_multiple_of(every)) {
            // The ends are anchored inward so their dates stay inside the chart.
            let anchor = match i {
                _ if n == 1 => "middle",
                0 => "start",
                i if i == n - 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                out,
                "<text class=\"lc-t\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                self.x(i),
                TOP + PLOT_HEIGHT + 20.0,
                xml::text(&labels[i])
            );
        }
    }

    /// Each line: its segments, and a marker with its value's title at each point.
    fn lines(&self, out: &mut String, lines: &[Line]) {
        let marker = if self.n <= 60 { 3.0 } else { 1.5 };
        for (index, line) in lines.iter().enumerate() {
            let _ = write!(out, "<g class=\"{}\">", line_class(line, index));
            let _ = write!(out, "<title>{}</title>", xml::text(&line.label));
            write_segments(out, line, &|i| self.x(i), &|v| self.y(v));
            for (i, point) in line.points.iter().enumerate() {
                let Some(point) = point else { continue };
                let hollow = if point.low_confidence { " class=\"lc-h\" stroke-width=\"1.5\"" } else { "" };
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{marker}\"{hollow}><title>{}</title></circle>",
                    self.x(i),
                    self.y(point.y),
                    xml::text(&point.title)
                );
            }
            out.push_str("</g>");
        }
    }

    /// A swatch and a label per line, in rows of [`LEGEND_COLUMNS`] under the chart.
    fn legend(&self, out: &mut String, lines: &[Line]) {
        let column_width = (WIDTH - LEFT - RIGHT) / LEGEND_COLUMNS as f64;
        for (index, line) in lines.iter().enumerate() {
            let lx = LEFT + column_width * (index % LEGEND_COLUMNS) as f64;
            let ly = TOP + PLOT_HEIGHT + X_AXIS + LEGEND_ROW * (index / LEGEND_COLUMNS) as f64 + 10.0;
            let _ = write!(
                out,
                "<rect class=\"{}\" x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"4\"/>\
                 <text class=\"lc-t\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                line_class(line, index),
                ly - 6.0,
                lx + 18.0,
                ly,
                xml::text(&crate::summary::cut(&line.label, LEGEND_CHARS))
            );
        }
    }
}

/// The class of the `index`th line: muted, or one of eight colours.
fn line_class(line: &Line, index: usize) -> String {
    if line.muted {
        "lc-m".to_string()
    } else {
        format!("lc-c{}", index % 8)
    }
}

/// The polylines of a line: consecutive present points joined, gaps skipped, runs of
/// segments touching a low-confidence point dashed.
fn write_segments(out: &mut String, line: &Line, x: &dyn Fn(usize) -> f64, y: &dyn Fn(f64) -> f64) {
    let present: Vec<(usize, &Point)> =
        line.points.iter().enumerate().filter_map(|(i, p)| p.as_ref().map(|p| (i, p))).collect();
    let segments: Vec<bool> = present.windows(2).map(|w| w[0].1.low_confidence || w[1].1.low_confidence).collect();
    let mut start = 0;
    while start < segments.len() {
        let dashed = segments[start];
        let mut end = start;
        while end < segments.len() && segments[end] == dashed {
            end += 1;
        }
        // Segments start..end join points start..=end.
        let coords: Vec<String> =
            present[start..=end].iter().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.y))).collect();
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke-width=\"2\"{} points=\"{}\"/>",
            if dashed { " stroke-dasharray=\"4 3\"" } else { "" },
            coords.join(" ")
        );
        start = end;
    }
}

/// A small inline chart of one series (no axes): 120 by 24, in the text colour, scaled to
/// its own maximum, low-confidence segments dashed.
pub fn sparkline(values: &[f64], low_confidence: &[bool], label: &str) -> String {
    const W: f64 = 120.0;
    const H: f64 = 24.0;
    let max = values.iter().copied().fold(0.0, f64::max);
    let x = |i: usize| {
        if values.len() <= 1 {
            W / 2.0
        } else {
            1.0 + (W - 2.0) * i as f64 / (values.len() - 1) as f64
        }
    };
    let y = |v: f64| {
        if max > 0.0 {
            H - 2.0 - (H - 4.0) * v / max
        } else {
            H - 2.0
        }
    };
    let line = Line {
        label: label.to_string(),
        muted: false,
        points: values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                Some(Point {
                    y: v,
                    title: String::new(),
                    low_confidence: low_confidence.get(i).copied().unwrap_or(false),
                })
            })
            .collect(),
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sparkline\" viewBox=\"0 0 {W} {H}\" \
         width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">\
         <g stroke=\"currentColor\" fill=\"currentColor\">",
        xml::text(label)
    );
    write_segments(&mut out, &line, &x, &y);
    if let Some(&last) = values.last() {
        let _ = write!(out, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\"/>", x(values.len() - 1), y(last));
    }
    out.push_str("</g></svg>");
    out
}

/// A trend's chart: the drawn buckets' shares per week, the point titles giving value,
/// uploaders and share. `min_uploaders` is named in low-confidence titles.
pub fn trend_chart(trend: &Trend, weeks: &[TrendWeek], min_uploaders: u32) -> LineChart {
    let lines = trend
        .top
        .iter()
        .map(|&b| (&trend.buckets[b], false))
        .chain(trend.other.as_ref().map(|o| (o, true)))
        .map(|(series, muted)| {
            let label = if muted {
                let n = trend.folded();
                format!("other ({n} bucket{}, summed)", if n == 1 { "" } else { "s" })
            } else {
                series.name.clone()
            };
            let points = weeks
                .iter()
                .enumerate()
                .map(|(w, week)| {
                    let (value, uploaders) = (series.values[w], trend.uploaders[w]);
                    let low = trend.low_confidence[w];
                    let mut title = format!(
                        "{label}, {} to {}: {value} of {uploaders} uploader{} ({}%)",
                        week.start,
                        week.end,
                        if uploaders == 1 { "" } else { "s" },
                        trimmed(percent_of(value.into(), uploaders.into()), 1)
                    );
                    if low {
                        let _ = write!(title, "; low confidence: fewer than {min_uploaders} uploaders");
                    }
                    Some(Point { y: share(value, uploaders), title, low_confidence: low })
                })
                .collect();
            Line { label, points, muted }
        })
        .collect();
    LineChart {
        title: format!("{}: {}, share of uploaders per week", trend.program_name, trend.chart_name),
        x_labels: weeks.iter().map(|w| w.end.to_string()).collect(),
        lines,
        y_format: YFormat::Share,
    }
}

/// The most days the participation chart spans: ten years. History can be longer, or a
/// single report can carry a `Week` centuries back (`0000-01-01` is a date): the chart
/// then starts this many days before the newest, so one upload cannot make the home page
/// a point per day since the year 0 (75 MB).
pub const PARTICIPATION_DAYS: i32 = 3653;

/// Participation: valid reports per day (every calendar day from the first with data to
/// the newest, 0 on days without, at most [`PARTICIPATION_DAYS`]) and per non-overlapping
/// week. The chart draws these numbers and the pages list them in a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Participation {
    /// The first day shown.
    pub first: Day,
    /// History starts before `first` (it was cut to [`PARTICIPATION_DAYS`]).
    pub cut: bool,
    /// Valid reports on `first` and each day after it.
    pub daily: Vec<u64>,
    /// Each week ending on or after `first`: its first and last day and its valid reports.
    pub weekly: Vec<(Day, Day, u64)>,
}

impl Participation {
    /// `None` when there is no data.
    pub fn new(aggregates: &Aggregates, weeks: &[TrendWeek]) -> Option<Participation> {
        let first = aggregates.days().next()?.end;
        let last = aggregates.days().last()?.end;
        let cut = last.0 - first.0 >= PARTICIPATION_DAYS;
        let first = if cut { last.plus(1 - PARTICIPATION_DAYS) } else { first };
        let mut daily = vec![0u64; (last.0 - first.0 + 1) as usize];
        for set in aggregates.days().filter(|set| set.end >= first) {
            daily[(set.end.0 - first.0) as usize] = set.num_reports;
        }
        let weekly = weeks
            .iter()
            .filter(|week| week.end >= first)
            .map(|week| (week.start, week.end, aggregates.sets[week.set].num_reports))
            .collect();
        Some(Participation { first, cut, daily, weekly })
    }

    /// What the chart and its table are named.
    pub fn title(&self) -> String {
        let title = "Valid reports per day and per week";
        if self.cut {
            format!("{title}, from {}", self.first)
        } else {
            title.to_string()
        }
    }

    /// The chart: a line per day and a point at each week's last day, on one axis.
    pub fn chart(&self) -> LineChart {
        let first = self.first;
        let point = |n: u64, title: String| Some(Point { y: n as f64, title, low_confidence: false });
        let per_day = Line {
            label: "per day".into(),
            muted: false,
            points: (self.daily.iter().enumerate())
                .map(|(i, &n)| point(n, format!("{}: {}", first.plus(i as i32), valid_reports(n))))
                .collect(),
        };
        let mut weekly: Vec<Option<Point>> = vec![None; self.daily.len()];
        for &(start, end, n) in &self.weekly {
            weekly[(end.0 - first.0) as usize] = point(n, format!("{start} to {end}: {}", valid_reports(n)));
        }
        LineChart {
            title: self.title(),
            x_labels: (0..self.daily.len()).map(|i| first.plus(i as i32).to_string()).collect(),
            lines: vec![per_day, Line { label: "per week".into(), muted: false, points: weekly }],
            y_format: YFormat::Count,
        }
    }
}

/// `n valid report(s)`.
fn valid_reports(n: u64) -> String {
    format!("{n} valid report{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::ChartKind;
    use crate::render::xml::tree;
    use crate::trends::BucketSeries;

    fn weeks(n: usize) -> Vec<TrendWeek> {
        let first = Day::parse("2026-01-07").unwrap();
        (0..n)
            .map(|w| TrendWeek { set: w, start: first.plus(7 * w as i32 - 6), end: first.plus(7 * w as i32) })
            .collect()
    }

    fn trend() -> Trend {
        Trend {
            program: 0,
            chart: 0,
            program_name: "golang.org/x/tools/gopls".into(),
            chart_name: "<client> & \"co\"\u{7}".into(),
            kind: ChartKind::Counter,
            uploaders: vec![10, 40, 50],
            low_confidence: vec![true, false, false],
            buckets: vec![
                BucketSeries { name: "vscode".into(), values: vec![5, 30, 40] },
                BucketSeries { name: "<script>alert(1)</script>".into(), values: vec![5, 10, 10] },
                BucketSeries { name: "vim".into(), values: vec![0, 1, 2] },
            ],
            top: vec![0, 1],
            other: Some(BucketSeries { name: "other".into(), values: vec![0, 1, 2] }),
        }
    }

    #[test]
    fn trend_svg_is_well_formed_with_titles_and_hollow_low_confidence_points() {
        let weeks = weeks(3);
        let chart = trend_chart(&trend(), &weeks, 30);
        for theme in [Theme::Light, Theme::Dark, Theme::Auto] {
            let text = svg(&chart, theme);
            assert!(!text.contains("<script>"));
            assert!(!text.contains('\u{7}'));
            let root = tree::parse(&text);
            assert_eq!(root.name, "svg");
            assert_eq!(root.attr("role"), Some("img"));
            assert_eq!(
                root.attr("aria-label"),
                Some("golang.org/x/tools/gopls: <client> & \"co\"\u{FFFD}, share of uploaders per week")
            );
            let all = root.descendants();
            let circles: Vec<_> = all.iter().filter(|e| e.name == "circle").collect();
            assert_eq!(circles.len(), 9); // 3 lines x 3 weeks
            let hollow: Vec<_> = circles.iter().filter(|c| c.attr("class") == Some("lc-h")).collect();
            assert_eq!(hollow.len(), 3); // week 0 of each line
            assert_eq!(
                circles[1].child("title").unwrap().text,
                "vscode, 2026-01-08 to 2026-01-14: 30 of 40 uploaders (75%)"
            );
            assert_eq!(
                circles[0].child("title").unwrap().text,
                "vscode, 2026-01-01 to 2026-01-07: 5 of 10 uploaders (50%); \
                 low confidence: fewer than 30 uploaders"
            );
            // One dashed run (into the low point), one solid run, per line.
            let polylines: Vec<_> = all.iter().filter(|e| e.name == "polyline").collect();
            assert_eq!(polylines.len(), 6);
            assert_eq!(polylines[0].attr("stroke-dasharray"), Some("4 3"));
            assert_eq!(polylines[1].attr("stroke-dasharray"), None);
            // Legend: "other" names the folded count.
            assert!(all.iter().any(|e| e.name == "text" && e.text == "other (1 bucket, summed)"));
        }
        // Light and dark differ only in colours; the same input gives the same bytes.
        assert_ne!(svg(&chart, Theme::Light), svg(&chart, Theme::Dark));
        let [light, auto] = svgs(&chart, [Theme::Light, Theme::Auto]);
        assert_eq!((light, auto), (svg(&chart, Theme::Light), svg(&chart, Theme::Auto)));
        assert_eq!(svg(&chart, Theme::Auto).matches("<style>").count(), 1);
        assert_eq!(svg(&chart, Theme::Light), svg(&trend_chart(&trend(), &weeks, 30), Theme::Light));
    }

    /// WCAG 2.x contrast ratio of two `#rrggbb` colours, from their relative luminance.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                if c <= 0.04045 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        };
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_line_colour_stands_out_3_to_1_from_the_background() {
        // Known ratios: black on white is 21:1, Tableau's orange #f28e2b 2.42:1.
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast("#f28e2b", "#ffffff") - 2.42).abs() < 0.005);
        for palette in [&LIGHT, &DARK] {
            for colour in palette.lines.iter().chain([&palette.muted, &palette.text]) {
                let ratio = contrast(colour, palette.background);
                assert!(ratio >= 3.0, "{colour} on {}: {ratio:.2}:1", palette.background);
            }
            let mut distinct = palette.lines.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 8);
        }
    }

    #[test]
    fn control_characters_in_names_are_replaced_not_written_as_references() {
        // A CR written `&#13;` is an HTML parse error once the SVG is inlined in a page.
        let trend = Trend { program_name: "a\rb\nc\td".into(), ..trend() };
        let text = svg(&trend_chart(&trend, &weeks(3), 30), Theme::Auto);
        assert!(!text.contains("&#"), "{text}");
        let root = tree::parse(&text);
        let label = root.attr("aria-label").unwrap();
        assert!(label.starts_with("a\u{FFFD}b\u{FFFD}c\u{FFFD}d: "), "{label}");
        assert_eq!(root.child("title").unwrap().text, label);
    }

    #[test]
    fn points_sit_where_hand_computed() {
        let chart = LineChart {
            title: "t".into(),
            x_labels: vec!["a".into(), "b".into()],
            lines: vec![Line {
                label: "l".into(),
                muted: false,
                points: vec![
                    Some(Point { y: 0.0, title: "p0".into(), low_confidence: false }),
                    Some(Point { y: 0.5, title: "p1".into(), low_confidence: false }),
                ],
            }],
            y_format: YFormat::Share,
        };
        let root = tree::parse(&svg(&chart, Theme::Light));
        let all = root.descendants();
        let line = all.iter().find(|e| e.name == "polyline").unwrap();
        // Axis top 50% (step 10%): y(0) = 16 + 220 = 236, y(0.5) = 16; x from 56 to 700.
        assert_eq!(line.attr("points"), Some("56.0,236.0 700.0,16.0"));
        let labels: Vec<&str> =
            all.iter().filter(|e| e.name == "text" && e.attr("x") == Some("50.0")).map(|e| e.text.as_str()).collect();
        assert_eq!(labels, vec!["0%", "10%", "20%", "30%", "40%", "50%"]);
    }

    #[test]
    fn y_scales_are_round() {
        assert_eq!(y_scale(0.75, YFormat::Share), (0.2, 0.8));
        assert_eq!(y_scale(1.0, YFormat::Share), (0.2, 1.0));
        assert_eq!(y_scale(0.031, YFormat::Share), (0.01, 0.04));
        assert_eq!(y_scale(0.0, YFormat::Share), (0.25, 1.0));
        assert_eq!(y_scale(7.0, YFormat::Count), (2.0, 8.0));
        assert_eq!(y_scale(3.0, YFormat::Count), (1.0, 3.0));
        assert_eq!(y_scale(1234.0, YFormat::Count), (250.0, 1250.0));
        assert_eq!(y_label(0.025, YFormat::Share), "2.5%");
        assert_eq!(y_label(1500.0, YFormat::Count), "1.5k");
        assert_eq!(y_label(2_000_000.0, YFormat::Count), "2M");
    }

    #[test]
    fn gaps_are_skipped_and_one_point_is_centred() {
        let p = |y: f64| Some(Point { y, title: String::new(), low_confidence: false });
        let chart = LineChart {
            title: "t".into(),
            x_labels: vec!["a".into(), "b".into(), "c".into()],
            lines: vec![Line { label: "l".into(), muted: true, points: vec![p(1.0), None, p(2.0)] }],
            y_format: YFormat::Count,
        };
        let root = tree::parse(&svg(&chart, Theme::Dark));
        let all = root.descendants();
        let lines: Vec<_> = all.iter().filter(|e| e.name == "polyline").collect();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].attr("points"), Some("56.0,126.0 700.0,16.0"));
        let one = LineChart {
            x_labels: vec!["a".into()],
            lines: vec![Line { label: "l".into(), muted: false, points: vec![p(1.0)] }],
            ..chart
        };
        let root = tree::parse(&svg(&one, Theme::Light));
        let circle = root.descendants().into_iter().find(|e| e.name == "circle").unwrap();
        assert_eq!(circle.attr("cx"), Some("378.0"));
    }

    #[test]
    fn sparkline_is_small_and_well_formed() {
        let text = sparkline(&[0.0, 0.5, 1.0], &[true, false, false], "gopls <vscode>");
        let root = tree::parse(&text);
        assert_eq!(root.attr("aria-label"), Some("gopls <vscode>"));
        assert_eq!(root.attr("width"), Some("120"));
        let all = root.descendants();
        let lines: Vec<_> = all.iter().filter(|e| e.name == "polyline").collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].attr("points"), Some("1.0,22.0 60.0,12.0"));
        assert_eq!(lines[0].attr("stroke-dasharray"), Some("4 3"));
        assert_eq!(lines[1].attr("points"), Some("60.0,12.0 119.0,2.0"));
        tree::parse(&sparkline(&[], &[], "empty"));
        tree::parse(&sparkline(&[0.0], &[], "flat"));
    }

    /// The counts of days `start..=end`: `n` reports, no buckets.
    fn set(start: i32, end: i32, n: u64) -> crate::aggregate::SetCounts {
        crate::aggregate::SetCounts { start: Day(start), end: Day(end), num_reports: n, week: None, counts: Vec::new() }
    }

    #[test]
    fn participation_has_every_day_and_a_point_per_week() {
        use crate::aggregate::Plan;
        // Days 100, 101, 103 (102 has none); weekly sets after each.
        let aggregates = Aggregates {
            plan: Plan::default(),
            sets: vec![
                set(100, 100, 2),
                set(94, 100, 2),
                set(101, 101, 1),
                set(95, 101, 3),
                set(103, 103, 4),
                set(97, 103, 7),
            ],
        };
        let weeks = [TrendWeek { set: 5, start: Day(97), end: Day(103) }];
        let participation = Participation::new(&aggregates, &weeks).unwrap();
        assert_eq!(participation.daily, vec![2, 1, 0, 4]);
        assert_eq!(participation.weekly, vec![(Day(97), Day(103), 7)]);
        let chart = participation.chart();
        assert_eq!(chart.x_labels.len(), 4);
        let ys: Vec<f64> = chart.lines[0].points.iter().map(|p| p.as_ref().unwrap().y).collect();
        assert_eq!(ys, vec![2.0, 1.0, 0.0, 4.0]);
        let weekly: Vec<Option<f64>> = chart.lines[1].points.iter().map(|p| p.as_ref().map(|p| p.y)).collect();
        assert_eq!(weekly, vec![None, None, None, Some(7.0)]);
        assert_eq!(
            chart.lines[1].points[3].as_ref().unwrap().title,
            format!("{} to {}: 7 valid reports", Day(97), Day(103))
        );
        tree::parse(&svg(&chart, Theme::Auto));
        assert_eq!(chart.title, "Valid reports per day and per week");
        assert_eq!(Participation::new(&Aggregates { plan: Plan::default(), sets: Vec::new() }, &[]), None);
    }

    #[test]
    fn participation_spans_ten_years_at_most_however_far_back_one_report_is() {
        use crate::aggregate::Plan;
        // 0000-01-01 (one report, and its weekly set), then days 20,000 and 20,002 (2024).
        let year_0 = Day::parse("0000-01-01").unwrap().0;
        let aggregates = Aggregates {
            plan: Plan::default(),
            sets: vec![
                set(year_0, year_0, 1),
                set(year_0 - 6, year_0, 1),
                set(20_000, 20_000, 5),
                set(19_994, 20_000, 5),
                set(20_002, 20_002, 3),
                set(19_996, 20_002, 8),
            ],
        };
        let weeks = [
            TrendWeek { set: 1, start: Day(year_0 - 6), end: Day(year_0) },
            TrendWeek { set: 5, start: Day(19_996), end: Day(20_002) },
        ];
        let participation = Participation::new(&aggregates, &weeks).unwrap();
        assert_eq!(participation.weekly, vec![(Day(19_996), Day(20_002), 8)], "the year-0 week is left off");
        let chart = participation.chart();
        assert_eq!(chart.x_labels.len(), 3653);
        // The first day shown is 3,652 days before the newest.
        assert_eq!(chart.x_labels[0], Day(20_002 - 3652).to_string());
        assert_eq!(chart.title, format!("Valid reports per day and per week, from {}", Day(20_002 - 3652)));
        let ys: Vec<f64> = chart.lines[0].points.iter().map(|p| p.as_ref().unwrap().y).collect();
        assert_eq!(ys.iter().sum::<f64>(), 8.0, "the year-0 report is left off");
        assert_eq!(ys[3650..], [5.0, 0.0, 3.0]);
        let weekly: Vec<f64> = chart.lines[1].points.iter().flatten().map(|p| p.y).collect();
        assert_eq!(weekly, vec![8.0]);
    }
}
