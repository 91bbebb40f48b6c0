//! Bar charts as SVG, drawn at build time.
//!
//! # Why not plotters
//!
//! The design card names plotters 0.3.7, and its SVG backend is deterministic, but each of
//! the things this chart needs would have been a workaround around it: a `<title>` per bar
//! (the exact value on hover without JavaScript) is not something plotters can emit, so
//! it would need a second layer of rectangles placed from plotters' coordinate mapping;
//! `role="img"` and `aria-label` on the root element would need string surgery on its
//! output; its `Histogram` series iterates a `HashMap`, so bars would be drawn one by one
//! with `draw_series`; and it rotates text only in 90-degree steps and misplaces rotated
//! axis labels in SVG (plotters issue 551), while 60 bucket labels under one chart read
//! best at 45 or 90 degrees. What remains once those are worked around is a few rectangles,
//! lines and labels, which this module writes directly: about 200 lines, tested, with no
//! fonts, no floating-point surprises (every number is printed with one decimal) and no
//! allocation beyond the output string, which matters at ~60 charts on each of ~730
//! pages a year.
//!
//! # The chart
//!
//! One vertical bar per bucket, in the data's order; a y axis titled "Uploaders" (a
//! bucket's value is its distinct uploaders, `X`) with 1-2-5 ticks; bucket labels under the
//! bars, level when they fit, turned 45 degrees when they do not, and upright when there
//! are too many buckets for that (labels longer than [`MAX_LABEL_CHARS`] lose their middle
//! to `…`, so names that share a long start stay apart; the title and the table keep the
//! full name). A chart of up to four buckets fits a phone's screen (a 300-pixel plot); more
//! buckets get wider columns, up to 640 pixels, and then a chart grows wider rather than
//! smaller (the page scrolls it sideways). A bar of one uploader or more is at least 2
//! pixels tall, so it never looks like a zero beside a tall one. Each bucket is a `<g>`
//! holding a `<title>` and a transparent full-height rectangle before the bar, so hovering
//! anywhere in its column, even over a zero, shows the value. Text takes `currentColor` and
//! bars a fixed colour that the page's stylesheet may override, so the chart reads in light
//! and dark schemes and as a standalone file. Text width is estimated (0.6 em per
//! character), as plotters' own font-less backend does, so output never depends on
//! installed fonts.

use std::fmt::Write;

use super::fixed::{push, Fixed};

/// One bar: a bucket and its number of uploaders.
#[derive(Debug, Clone, Copy)]
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: u64,
}

/// Bucket labels longer than this are shortened under the axis.
pub const MAX_LABEL_CHARS: usize = 24;
const FONT_SIZE: f64 = 12.0;
const CHAR_WIDTH: f64 = FONT_SIZE * 0.6;
const PLOT_HEIGHT: f64 = 200.0;
/// The plot of a chart of one to four buckets: with the axis, about 350 pixels, a phone's
/// screen.
const MIN_PLOT_WIDTH: f64 = 300.0;
/// The column a bucket gets until the plot is [`WIDE_PLOT_WIDTH`] wide.
const PREFERRED_STEP: f64 = 64.0;
/// The widest plot that still shares its width among the buckets; beyond it, columns
/// narrow down to [`MIN_STEP`] and then the chart grows.
const WIDE_PLOT_WIDTH: f64 = 640.0;
/// The shortest bar of a bucket that has uploaders.
const MIN_BAR_HEIGHT: f64 = 2.0;
/// The widest bar: few buckets get room around their bars, not wider bars.
const MAX_BAR_WIDTH: f64 = 48.0;
/// The narrowest column whose 45-degree label keeps clear of its neighbour's (the
/// labels' distance is the step times sin 45°); narrower columns turn labels upright.
const MIN_SLANTED_STEP: f64 = 21.0;
/// The narrowest column of all, with upright labels.
const MIN_STEP: f64 = 15.0;
const TOP: f64 = 10.0;
const RIGHT: f64 = 8.0;
const SIN_45: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// The bar colour when no stylesheet says otherwise (contrast 4.6:1 on white, 3.9:1 on
/// `#0d1117`).
const BAR_FILL: &str = "#4e79a7";

/// The SVG of a bar chart titled `title` (used in its `aria-label`).
pub fn bar_chart(title: &str, bars: &[Bar<'_>]) -> String {
    let layout = Layout::new(bars);
    let mut svg = String::with_capacity(600 + bars.len() * 420);
    let (width, height) = (Fixed(layout.width()), Fixed(layout.height()));
    svg.push_str(r#"<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" aria-label=""#);
    escape_into(&mut svg, title);
    let _ = write!(
        svg,
        r#": uploaders per bucket, {} bucket{}" width="{width:.1}" height="{height:.1}" viewBox="0 0 {width:.1} {height:.1}" font-family="system-ui, sans-serif" font-size="{:.1}">"#,
        bars.len(),
        if bars.len() == 1 { "" } else { "s" },
        Fixed(FONT_SIZE),
    );
    layout.y_axis(&mut svg);
    layout.bars(&mut svg, bars);
    layout.x_axis(&mut svg, bars);
    svg.push_str("</svg>");
    svg
}

/// How bucket labels are turned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Angle {
    /// Level, centred under the bar: when every label fits its column.
    Level,
    /// 45 degrees, ending under the bar.
    Slanted,
    /// 90 degrees, reading upwards: when there are too many buckets for 45 degrees.
    Upright,
}

/// Where everything goes, computed once per chart.
struct Layout {
    /// The y axis's top value and tick step.
    top_value: u64,
    tick: u64,
    left: f64,
    step: f64,
    count: usize,
    angle: Angle,
    bottom: f64,
    right: f64,
}

impl Layout {
    fn new(bars: &[Bar<'_>]) -> Layout {
        let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
        let tick = tick_step(max);
        let top_value = max.div_ceil(tick).max(1).saturating_mul(tick);
        let count = bars.len().max(1);
        let label_widths: Vec<f64> = bars.iter().map(|b| text_width(&short_label(b.label))).collect();
        let widest = label_widths.iter().copied().fold(0.0, f64::max);
        let plot = (PREFERRED_STEP * count as f64).clamp(MIN_PLOT_WIDTH, WIDE_PLOT_WIDTH);
        let level_step = plot / count as f64;
        let angle = if widest + 6.0 <= level_step {
            Angle::Level
        } else if level_step >= MIN_SLANTED_STEP {
            Angle::Slanted
        } else {
            Angle::Upright
        };
        let step = level_step.max(MIN_STEP);
        // Room for the axis title and the widest tick label.
        let axis_left = 20.0 + text_width(&top_value.to_string()) + 6.0;
        // Room for the labels that reach left of the plot: a turned label runs down to
        // the left of its bar; a level one is centred on it.
        let overhang = label_widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let centre = (i as f64 + 0.5) * step;
                match angle {
                    Angle::Level => w / 2.0 - centre,
                    Angle::Slanted => w * SIN_45 + 4.0 - centre,
                    Angle::Upright => 0.0,
                }
            })
            .fold(0.0, f64::max);
        let right = match label_widths.last() {
            Some(w) if angle == Angle::Level => RIGHT.max(w / 2.0 - step / 2.0 + 2.0),
            _ => RIGHT,
        };
        let bottom = match angle {
            Angle::Level => FONT_SIZE + 12.0,
            Angle::Slanted => widest * SIN_45 + FONT_SIZE + 10.0,
            Angle::Upright => widest + 12.0,
        };
        Layout { top_value, tick, left: axis_left.max(overhang + 2.0), step, count, angle, bottom, right }
    }

    fn width(&self) -> f64 {
        self.left + self.step * self.count as f64 + self.right
    }

    fn height(&self) -> f64 {
        TOP + PLOT_HEIGHT + self.bottom
    }

    fn baseline(&self) -> f64 {
        TOP + PLOT_HEIGHT
    }

    fn y(&self, value: u64) -> f64 {
        self.baseline() - PLOT_HEIGHT * value as f64 / self.top_value as f64
    }

    /// The top of a bar: [`Layout::y`], but at least [`MIN_BAR_HEIGHT`] above the baseline
    /// when there is a value at all.
    fn bar_top(&self, value: u64) -> f64 {
        let y = self.y(value);
        if value > 0 {
            y.min(self.baseline() - MIN_BAR_HEIGHT)
        } else {
            y
        }
    }

    /// Grid lines, tick labels and the axis title.
    fn y_axis(&self, svg: &mut String) {
        let (x0, x1) = (Fixed(self.left), Fixed(self.left + self.step * self.count as f64));
        svg.push_str(r#"<g class="y-axis" fill="currentColor" text-anchor="end">"#);
        let mut value = 0;
        let line_x = format!(r#"<line x1="{x0:.1}" x2="{x1:.1}" y1=""#);
        let text_x = format!(r#"" stroke="currentColor" stroke-opacity="0.2"/><text x="{:.1}" y=""#, Fixed(x0.0 - 4.0));
        while value <= self.top_value {
            let y = Fixed(self.y(value));
            push!(svg, line_x.as_str(), y, r#"" y2=""#, y, text_x.as_str(), Fixed(y.0 + FONT_SIZE * 0.35), r#"">"#);
            push!(svg, value, "</text>");
            let Some(next) = value.checked_add(self.tick) else { break };
            value = next;
        }
        let _ = write!(
            svg,
            r#"<text class="axis-title" text-anchor="middle" transform="translate(12.0,{:.1}) rotate(-90)">Uploaders</text></g>"#,
            Fixed(TOP + PLOT_HEIGHT / 2.0),
        );
    }

    /// One `<g>` per bucket: its title, a transparent hover target, its bar (filled from
    /// the enclosing group; attributes are kept few, as a page holds hundreds of bars).
    fn bars(&self, svg: &mut String, bars: &[Bar<'_>]) {
        let _ = write!(svg, r#"<g class="bars" fill="{BAR_FILL}">"#);
        let width = (self.step * 0.8).min(MAX_BAR_WIDTH);
        // What is the same for every bar, printed once.
        let hover = format!(
            r#"" y="{:.1}" width="{:.1}" height="{:.1}" fill="transparent"/><rect x=""#,
            Fixed(TOP),
            Fixed(self.step),
            Fixed(PLOT_HEIGHT)
        );
        let bar_width = format!(r#"" width="{:.1}" height=""#, Fixed(width));
        for (i, bar) in bars.iter().enumerate() {
            let column = self.left + i as f64 * self.step;
            let x = Fixed(column + (self.step - width) / 2.0);
            let y = self.bar_top(bar.value);
            svg.push_str("<g><title>");
            escape_into(svg, bar.label);
            let uploaders = if bar.value == 1 { " uploader" } else { " uploaders" };
            push!(
                svg,
                ": ",
                bar.value,
                uploaders,
                r#"</title><rect x=""#,
                Fixed(column),
                hover.as_str(),
                x,
                r#"" y=""#
            );
            push!(svg, Fixed(y), bar_width.as_str(), Fixed(self.baseline() - y), r#""/></g>"#);
        }
        svg.push_str("</g>");
    }

    /// The baseline and the bucket labels.
    fn x_axis(&self, svg: &mut String, bars: &[Bar<'_>]) {
        let base = self.baseline();
        let base_at = Fixed(base);
        let _ = write!(
            svg,
            r#"<g class="x-axis" fill="currentColor" text-anchor="{}"><line x1="{:.1}" x2="{:.1}" y1="{base_at:.1}" y2="{base_at:.1}" stroke="currentColor"/>"#,
            if self.angle == Angle::Level { "middle" } else { "end" },
            Fixed(self.left),
            Fixed(self.left + self.step * self.count as f64),
        );
        let level_y = format!(r#"" y="{:.1}">"#, Fixed(base + FONT_SIZE + 4.0));
        for (i, bar) in bars.iter().enumerate() {
            let x = self.left + (i as f64 + 0.5) * self.step;
            match self.angle {
                Angle::Level => push!(svg, r#"<text x=""#, Fixed(x), level_y.as_str()),
                Angle::Slanted => {
                    let (x, y) = (Fixed(x + 3.0), Fixed(base + 8.0));
                    push!(svg, r#"<text transform="translate("#, x, ",", y, r#") rotate(-45)">"#);
                }
                Angle::Upright => {
                    let (x, y) = (Fixed(x + FONT_SIZE * 0.35), Fixed(base + 6.0));
                    push!(svg, r#"<text transform="translate("#, x, ",", y, r#") rotate(-90)">"#);
                }
            }
            escape_into(svg, &short_label(bar.label));
            svg.push_str("</text>");
        }
        svg.push_str("</g>");
    }
}

/// A 1, 2 or 5 times a power of ten that divides `0..=max` into at most five steps.
fn tick_step(max: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = power.saturating_mul(factor);
            if step.saturating_mul(5) >= max {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// The label under a bar: at most [`MAX_LABEL_CHARS`] characters, a longer one cut in the
/// middle (its first 11 and last 12 characters around `…`), as buckets of one chart often
/// share a long start (`gopls.implement_interface-code_action`, `…-context_menu`).
fn short_label(label: &str) -> std::borrow::Cow<'_, str> {
    let chars = label.chars().count();
    if chars <= MAX_LABEL_CHARS {
        return label.into();
    }
    let head = (MAX_LABEL_CHARS - 1) / 2;
    let tail = MAX_LABEL_CHARS - 1 - head;
    let start = label.char_indices().nth(head).map_or(label.len(), |(i, _)| i);
    let end = label.char_indices().nth(chars - tail).map_or(label.len(), |(i, _)| i);
    format!("{}…{}", &label[..start], &label[end..]).into()
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// Appends `text` escaped for XML text and attribute values, control characters and
/// XML's forbidden noncharacters replaced by U+FFFD (see [`super::xml`]).
pub fn escape_into(out: &mut String, text: &str) {
    super::xml::push_text(out, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars<'a>(items: &[(&'a str, u64)]) -> Vec<Bar<'a>> {
        items.iter().map(|&(label, value)| Bar { label, value }).collect()
    }

    /// Parses `svg` as XML and returns the text of every `<title>`.
    fn titles(svg: &str) -> Vec<String> {
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut titles = Vec::new();
        let mut in_title = false;
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Start(e) if e.name().as_ref() == b"title" => in_title = true,
                quick_xml::events::Event::End(e) if e.name().as_ref() == b"title" => in_title = false,
                quick_xml::events::Event::Text(t) if in_title => titles.push(t.unescape().unwrap().into_owned()),
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        titles
    }

    #[test]
    fn every_bucket_has_a_title_zero_included() {
        let svg = bar_chart("GOOS", &bars(&[("linux", 12), ("windows", 0), ("darwin", 1)]));
        assert_eq!(titles(&svg), ["linux: 12 uploaders", "windows: 0 uploaders", "darwin: 1 uploader"]);
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" aria-label="GOOS: uploaders per bucket, 3 buckets""#));
        assert_eq!(svg.matches(r#"<rect "#).count(), 6, "a hover target and a bar per bucket");
        assert!(svg.contains(">Uploaders</text>"));
    }

    #[test]
    fn hostile_names_stay_text() {
        let hostile = "<script>alert(1)</script>\"onmouseover='x' &amp; \u{0}\u{1b}";
        let svg = bar_chart(hostile, &bars(&[(hostile, 3)]));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("\"onmouseover"));
        assert!(!svg.contains('\u{0}') && !svg.contains('\u{1b}'));
        let expected = "<script>alert(1)</script>\"onmouseover='x' &amp; \u{FFFD}\u{FFFD}: 3 uploaders";
        assert_eq!(titles(&svg), [expected]);
    }

    #[test]
    fn sixty_long_buckets_stand_their_labels_upright() {
        let names: Vec<String> = (0..60).map(|i| format!("go/platform/target/port:linux-arch{i:02}")).collect();
        let data: Vec<Bar<'_>> = names.iter().enumerate().map(|(i, n)| Bar { label: n, value: i as u64 * 7 }).collect();
        let svg = bar_chart("ports", &data);
        assert_eq!(titles(&svg).len(), 60);
        assert_eq!(svg.matches("rotate(-90)").count(), 60 + 1); // and the axis title
        assert!(svg.contains("go/platform…linux-arch07"));
        let layout = Layout::new(&data);
        assert_eq!(layout.angle, Angle::Upright);
        assert!(layout.step >= MIN_STEP);
        assert!(layout.bottom >= 24.0 * CHAR_WIDTH);
    }

    #[test]
    fn twenty_long_buckets_slant_their_labels_clear_of_the_axis() {
        let names: Vec<String> = (0..20).map(|i| format!("a-rather-long-bucket-name-{i:02}")).collect();
        let data: Vec<Bar<'_>> = names.iter().map(|n| Bar { label: n, value: 1 }).collect();
        let svg = bar_chart("slanted", &data);
        assert_eq!(svg.matches("rotate(-45)").count(), 20);
        let layout = Layout::new(&data);
        assert_eq!(layout.angle, Angle::Slanted);
        assert!(layout.step >= MIN_SLANTED_STEP);
        // The first label, running down to the left of its bar, stays inside the SVG.
        assert!(layout.left + layout.step / 2.0 >= 24.0 * CHAR_WIDTH * SIN_45);
    }

    #[test]
    fn few_short_buckets_keep_level_labels() {
        let svg = bar_chart("GOARCH", &bars(&[("amd64", 5), ("arm64", 3)]));
        assert!(!svg.contains("rotate(-45)"));
        assert_eq!(Layout::new(&bars(&[("amd64", 5)])).angle, Angle::Level);
        assert!(svg.contains(r#"text-anchor="middle"><line"#));
    }

    #[test]
    fn numbers_have_one_decimal_and_output_is_stable() {
        let data = bars(&[("a", 1), ("b", 333), ("c", 17)]);
        let svg = bar_chart("x", &data);
        assert_eq!(svg, bar_chart("x", &data));
        let numbers = svg
            .split(['"', ' ', ',', '(', ')'])
            .filter(|s| s.contains('.') && s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-'));
        for number in numbers {
            let (_, decimals) = number.split_once('.').unwrap();
            assert_eq!(decimals.len(), 1, "{number}");
        }
    }

    /// The heights of the bars: after the SVG's own height, each bucket has two, its hover
    /// target's and its bar's.
    fn bar_heights(svg: &str) -> Vec<f64> {
        let heights = svg.split("height=\"").skip(1).map(|s| s.split('"').next().unwrap().parse::<f64>().unwrap());
        heights.skip(2).step_by(2).collect()
    }

    #[test]
    fn a_bar_with_uploaders_never_looks_like_zero() {
        let svg = bar_chart("GOOS", &bars(&[("linux", 10_000), ("aix", 1), ("plan9", 0), ("netbsd", 10)]));
        let heights = bar_heights(&svg);
        assert_eq!(heights.len(), 4, "{svg}");
        assert_eq!(heights[0], PLOT_HEIGHT);
        assert_eq!(heights[1], MIN_BAR_HEIGHT, "1 of 10,000 is drawn 2 pixels tall");
        assert_eq!(heights[2], 0.0);
        assert_eq!(heights[3], MIN_BAR_HEIGHT);
    }

    #[test]
    fn few_buckets_fit_a_phone_and_many_widen_the_chart_not_shrink_it() {
        let width = |n: usize| {
            let names: Vec<String> = (0..n).map(|i| format!("b{i}")).collect();
            Layout::new(&names.iter().map(|n| Bar { label: n, value: 3 }).collect::<Vec<_>>()).width()
        };
        for n in 1..=4 {
            assert!(width(n) <= 360.0, "{n} buckets: {}", width(n));
        }
        assert!(width(6) > width(4) && width(10) > width(6));
        assert!(width(40) <= width(10) + 1.0, "the same wide plot");
        assert!(width(134) >= 134.0 * MIN_STEP, "no narrower than its columns");
    }

    #[test]
    fn long_labels_lose_their_middle_so_buckets_that_share_a_start_stay_apart() {
        let names = [
            "gopls.implement_interface-command_palette",
            "gopls.implement_interface-context_menu",
            "gopls.implement_interface-code_action",
        ];
        let short: Vec<String> = names.iter().map(|n| short_label(n).into_owned()).collect();
        assert_eq!(short, ["gopls.imple…mand_palette", "gopls.imple…context_menu", "gopls.imple…-code_action"]);
        assert!(short.iter().all(|s| s.chars().count() == MAX_LABEL_CHARS));
        assert_eq!(short_label("exactly-twenty-four-char"), "exactly-twenty-four-char");
        assert_eq!(short_label("ünïcödé-ünïcödé-ünïcödé-ü"), "ünïcödé-ünï…dé-ünïcödé-ü");
    }

    #[test]
    fn ticks_are_one_two_five() {
        assert_eq!(tick_step(0), 1);
        assert_eq!(tick_step(4), 1);
        assert_eq!(tick_step(9), 2);
        assert_eq!(tick_step(24), 5);
        assert_eq!(tick_step(26), 10);
        assert_eq!(tick_step(1386), 500);
        assert_eq!(tick_step(u64::MAX), 5_000_000_000_000_000_000);
        let layout = Layout::new(&bars(&[("a", 1386)]));
        assert_eq!((layout.tick, layout.top_value), (500, 1500));
    }

    #[test]
    fn empty_and_zero_charts_draw() {
        assert_eq!(titles(&bar_chart("none", &[])).len(), 0);
        let svg = bar_chart("zeros", &bars(&[("a", 0), ("b", 0)]));
        assert_eq!(titles(&svg), ["a: 0 uploaders", "b: 0 uploaders"]);
    }
}
