//! The HTML pages: what each page shows, as data for its template, and where it goes.
//!
//! | page | template |
//! |---|---|
//! | `index.html` | `index.html`: introduction, newest chart set, chart browser |
//! | `charts/index.html` | `chart_sets.html`: every chart set by month |
//! | `charts/<NAME>/index.html` | `chart_set.html`: one chart set, chart browser |
//! | `data/index.html` | `data.html`: every day's raw data |
//! | `config/index.html` | `config.html`: the upload and chart configs |
//! | `<stem>/index.html` | `page.html`: a Markdown page |
//! | `404.html` | `404.html`: self-contained |
//!
//! Every page template gets the layout fields of [`Layout`]; links in it are written as
//! `{{ root }}path/from/root.html`. The chart browser (`chart_browser.html`, with `site`,
//! `root` and `programs`) is rendered once for every distinct list of programs and charts
//! (a year of chart sets has a handful) and handed to the pages that show it as `browser`.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use super::beyond::Beyond;
use super::browser::{self, ChartCatalog};
use super::markdown;
use super::paths::{display_text, root_of, slug};
use super::templates::{render_error, template_error};
use super::{RenderError, SiteContext};
use crate::aggregate::Aggregates;
use crate::site::Staging;

/// Names of the site's own top-level folders, which a Markdown page may not take.
const RESERVED: [&str; 6] = ["charts", "data", "config", "static", "stacks", "trends"];

/// The site's title when `--title` gives none (the command line's default too).
pub const DEFAULT_TITLE: &str = "Telemetry";
/// The site's description when `--description` gives none.
pub const DEFAULT_DESCRIPTION: &str = "Usage statistics uploaded by users who opted in to telemetry.";

/// The site-wide fields of every page.
#[derive(Debug, Clone, Serialize)]
pub struct SiteInfo {
    pub title: String,
    pub description: String,
    pub base_url: Option<String>,
    /// The newest report's day, `YYYY-MM-DD`.
    pub newest_day: Option<String>,
    /// The header's links, in order; later pages (trends, feeds) add theirs here.
    pub nav: Vec<NavLink>,
    /// Whether `feed.xml` exists (the layout links it).
    pub feed: bool,
}

/// A link in the site's header.
#[derive(Debug, Clone, Serialize)]
pub struct NavLink {
    pub title: String,
    /// From the site root: `charts/index.html`.
    pub path: String,
    /// Matches [`Layout::section`] on the pages it leads to.
    pub section: String,
}

/// A breadcrumb: the last one is the page itself and has no link.
#[derive(Debug, Clone, Serialize)]
pub struct Crumb {
    pub title: String,
    pub href: Option<String>,
}

/// The fields every page template gets.
#[derive(Debug, Serialize)]
pub struct Layout<'a> {
    pub site: &'a SiteInfo,
    /// The path from this page to the site root: `""`, `"../"`, `"../../"`.
    pub root: String,
    pub page_title: String,
    /// Which header link this page belongs to.
    pub section: &'a str,
    pub crumbs: Vec<Crumb>,
}

/// A chart set as pages mention it.
#[derive(Debug, Clone, Serialize)]
pub struct SetLink {
    pub name: String,
    pub daily: bool,
    pub start: String,
    pub end: String,
    /// "Weekly charts for START to END" or "Daily charts for D".
    pub heading: String,
    /// "START to END" or "D".
    pub range: String,
    pub reports: u64,
    /// Relative to the page mentioning it.
    pub href: String,
    pub json_href: String,
    pub csv_href: String,
    /// For a weekly set that starts before the first day with data, how many of its 7
    /// days it covers (see [`Aggregates::days_covered`]).
    pub days_covered: Option<i32>,
}

impl SetLink {
    /// A link to `aggregates.sets[index]` from a page `root` below the site's root.
    pub(crate) fn new(aggregates: &Aggregates, index: usize, root: &str) -> SetLink {
        let set = &aggregates.sets[index];
        let name = set.name();
        let (start, end) = (set.start.to_string(), set.end.to_string());
        let (heading, range) = if set.is_daily() {
            (format!("Daily charts for {end}"), end.clone())
        } else {
            (format!("Weekly charts for {start} to {end}"), format!("{start} to {end}"))
        };
        SetLink {
            href: format!("{root}charts/{name}/index.html"),
            json_href: format!("{root}charts/{name}.json"),
            csv_href: format!("{root}charts/{name}.csv"),
            name,
            daily: set.is_daily(),
            start,
            end,
            heading,
            range,
            reports: set.num_reports,
            days_covered: aggregates.days_covered(index),
        }
    }
}

/// A month of `charts/index.html` or `data/index.html`, newest day first.
#[derive(Debug, Serialize)]
pub struct Month<R> {
    /// `YYYY-MM`.
    pub month: String,
    /// "January 2026".
    pub label: String,
    pub rows: Vec<R>,
}

/// A day of `charts/index.html`: the daily set and the weekly set ending that day.
#[derive(Debug, Serialize)]
pub struct SetRow {
    pub day: String,
    pub daily: Option<SetLink>,
    pub weekly: Option<SetLink>,
    /// The weekly set's stacks page, when the site has stack pages.
    pub stacks: Option<String>,
}

/// A day of `data/index.html`.
#[derive(Debug, Serialize)]
pub struct DataRow {
    pub day: String,
    pub reports: u64,
    /// The raw data's file name, which is also its link: `<D>.json` or `<D>.json.gz`.
    pub file: String,
    pub href: String,
    pub charts_href: String,
}

/// A Markdown page of `<DATA>/pages`.
#[derive(Debug, Clone)]
pub struct MarkdownPage {
    /// The folder it is written to: a slug of its file name (made by `page_folder`).
    pub stem: String,
    pub title: String,
    pub html: String,
}

/// The Markdown pages: the introduction (`index.md`) and the others, sorted by file name.
#[derive(Debug, Default)]
pub struct MarkdownPages {
    pub intro: Option<String>,
    pub pages: Vec<MarkdownPage>,
    /// What the build's summary should say about them: links that lead out of the site,
    /// sub-folders that are not read.
    pub notes: Vec<String>,
}

/// Reads every `*.md` directly in `dir`; notes the sub-folders holding pages, which are
/// not read.
pub fn read_markdown(dir: Option<&Path>) -> Result<MarkdownPages, RenderError> {
    let mut result = MarkdownPages::default();
    let Some(dir) = dir else { return Ok(result) };
    let input_error = |path: &Path, reason: String| RenderError::Input { path: path.display().to_string(), reason };
    let entries =
        std::fs::read_dir(dir).map_err(|e| input_error(dir, format!("cannot read the pages directory: {e}")))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for folder in paths.iter().filter(|p| holds_pages(p)) {
        result.notes.push(format!(
            "`{}`: not read: only the `*.md` files directly in `{}` become pages",
            folder.display(),
            dir.display()
        ));
    }
    for path in paths.iter().filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "md")) {
        let text =
            std::fs::read_to_string(path).map_err(|e| input_error(path, format!("cannot read the page: {e}")))?;
        let file_stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let (root, stem) = if file_stem == "index" { ("", None) } else { ("../", Some(page_folder(&file_stem))) };
        let rendered = markdown::render(&text, root);
        for link in &rendered.outside {
            result.notes.push(format!(
                "`{}`: the link `{link}` climbs above the site's root, out of the site (links in pages are written from the root: `index.html`, `charts/index.html`)",
                path.display()
            ));
        }
        let Some(stem) = stem else {
            result.intro = Some(rendered.html);
            continue;
        };
        if RESERVED.contains(&stem.as_str()) || result.pages.iter().any(|p| p.stem == stem) {
            return Err(input_error(
                path,
                format!("cannot be published as `{stem}/index.html`: the name is taken by the site or by another page"),
            ));
        }
        let title = rendered.title.unwrap_or_else(|| file_stem.clone());
        result.pages.push(MarkdownPage { stem, title, html: rendered.html });
    }
    Ok(result)
}

/// The folder a page named `file_stem` is published in: its [`slug`]
/// (`Privacy Policy` -> `privacy-policy`), or, for a name with no ASCII letter or digit
/// (`обзор`, `概要`), the hashed segment of [`super::slug::slug`] (`x--` and sixteen hex
/// digits): stable from build to build, and never a name of the site's own folders.
fn page_folder(file_stem: &str) -> String {
    let stem = slug(file_stem);
    if stem.is_empty() {
        super::slug::slug(file_stem)
    } else {
        stem
    }
}

/// True for a sub-folder of the pages folder (not a hidden one) with a `*.md` file in it,
/// at any depth: a page there is not published, so the summary says so.
fn holds_pages(path: &Path) -> bool {
    let hidden = path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'));
    path.is_dir()
        && !hidden
        && walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
}

/// Renders and writes every page; returns how many.
pub struct Pages<'a> {
    pub tera: &'a Tera,
    pub ctx: &'a SiteContext<'a>,
    pub site: SiteInfo,
    pub catalog: ChartCatalog,
    pub markdown: MarkdownPages,
    /// Trends and stacks (see [`super::beyond`]).
    pub beyond: &'a Beyond,
    /// What pages are rendered from, for the page memo.
    pub prints: super::Prints,
    /// Rendered chart browsers, by their programs (with tokens for the charts' markup) and
    /// root.
    browsers: std::sync::Mutex<rustc_hash::FxHashMap<Vec<u8>, std::sync::Arc<str>>>,
}

impl Pages<'_> {
    /// Builds the header links and the chart catalog.
    pub fn new<'a>(
        tera: &'a Tera,
        ctx: &'a SiteContext<'a>,
        markdown: MarkdownPages,
        beyond: &'a Beyond,
        prints: super::Prints,
    ) -> Pages<'a> {
        let options = ctx.options;
        let mut nav = vec![
            nav_link("Charts", "charts/index.html", "charts"),
            nav_link("Trends", "trends/index.html", "trends"),
            nav_link("Data", "data/index.html", "data"),
            nav_link("Configuration", "config/index.html", "config"),
        ];
        nav.extend(markdown.pages.iter().map(|p| nav_link(&p.title, &format!("{}/index.html", p.stem), &p.stem)));
        let or_default = |text: &str, default: &str| display_text(if text.trim().is_empty() { default } else { text });
        let site = SiteInfo {
            title: or_default(&options.title, DEFAULT_TITLE),
            description: or_default(&options.description, DEFAULT_DESCRIPTION),
            base_url: options.base_url.clone(),
            newest_day: ctx.newest_day.map(|d| d.to_string()),
            nav,
            feed: beyond.feed,
        };
        let catalog = ChartCatalog::new(&ctx.aggregates.plan, ctx.chart_config);
        Pages { tera, ctx, site, catalog, markdown, beyond, prints, browsers: Default::default() }
    }

    /// Writes every page into `out`; returns the number of pages.
    pub fn write_all(&self, out: &Staging) -> Result<u64, RenderError> {
        type Writer<'p> = fn(&Pages<'p>, &Staging) -> Result<(), RenderError>;
        let singles: [Writer<'_>; 5] = [Pages::home, Pages::chart_sets, Pages::data, Pages::config, Pages::not_found];
        let sets = self.ctx.aggregates.sets.len();
        (0..sets).into_par_iter().try_for_each(|i| self.chart_set(i, out))?;
        singles.par_iter().try_for_each(|write| write(self, out))?;
        self.markdown.pages.par_iter().try_for_each(|page| self.markdown_page(page, out))?;
        let beyond = self.write_beyond(out)?;
        Ok((sets + singles.len() + self.markdown.pages.len()) as u64 + beyond)
    }

    fn markdown_page(&self, page: &MarkdownPage, out: &Staging) -> Result<(), RenderError> {
        let rel = format!("{}/index.html", page.stem);
        let layout = self.layout(&rel, &page.title, &page.stem, vec![crumb(&page.title, None)]);
        let mut context = context(&layout)?;
        context.insert("content", &page.html);
        self.render_to("page.html", &context, &rel, out)
    }

    pub(crate) fn layout<'s>(&'s self, rel: &str, title: &str, section: &'s str, mut crumbs: Vec<Crumb>) -> Layout<'s> {
        let root = root_of(rel);
        if rel != "index.html" {
            crumbs.insert(0, crumb(&self.site.title, Some(format!("{root}index.html"))));
        }
        Layout { site: &self.site, root, page_title: title.to_string(), section, crumbs }
    }

    pub(crate) fn render_to(
        &self,
        template: &str,
        context: &Context,
        rel: &str,
        out: &Staging,
    ) -> Result<(), RenderError> {
        out.write(rel, &self.render_bytes(template, context)?)?;
        Ok(())
    }

    pub(crate) fn render_bytes(&self, template: &str, context: &Context) -> Result<Vec<u8>, RenderError> {
        Ok(self.tera.render(template, context).map_err(|e| self.render_error(template, e))?.into_bytes())
    }

    /// [`render_error`] with this build's templates.
    fn render_error(&self, template: &str, error: tera::Error) -> RenderError {
        render_error(self.tera, self.ctx.options.templates.as_deref(), template, error)
    }

    /// The chart browser of the chart set `sets[i]` for a page at `root`: its charts'
    /// markup taken into the returned [`super::browser::Deferred`], and the token of the browser itself,
    /// for the page's `browser`. `chart_browser.html` is rendered only for programs and
    /// charts (names, headings, links) not seen before in this build.
    fn browser(&self, i: usize, root: &str) -> Result<(browser::Deferred, String), RenderError> {
        let week = self.ctx.aggregates.sets[i].week_text();
        let mut programs = browser::programs(&self.ctx.aggregates.chart_set(i, &week), &self.catalog);
        let mut deferred = browser::Deferred::take(&mut programs);
        let key = serde_json::to_vec(&(root, &programs)).map_err(|e| RenderError::Template(e.to_string()))?;
        let known = self.browsers.lock().expect("no panic while held").get(&key).cloned();
        let markup = match known {
            Some(markup) => markup,
            None => {
                let mut context = Context::new();
                context.insert("site", &self.site);
                context.insert("root", root);
                context.insert("programs", &programs);
                let markup: std::sync::Arc<str> = self
                    .tera
                    .render("chart_browser.html", &context)
                    .map_err(|e| self.render_error("chart_browser.html", e))?
                    .into();
                self.browsers.lock().expect("no panic while held").insert(key, markup.clone());
                markup
            }
        };
        let token = deferred.nest(markup.to_string());
        Ok((deferred, token))
    }

    /// The newest weekly set (a daily one only when there is no weekly set).
    fn newest_set(&self) -> Option<usize> {
        let sets = &self.ctx.aggregates.sets;
        let weekly = (0..sets.len()).rev().find(|&i| !sets[i].is_daily());
        weekly.or_else(|| sets.len().checked_sub(1))
    }

    fn home(&self, out: &Staging) -> Result<(), RenderError> {
        let layout = self.layout("index.html", &self.site.title, "home", vec![crumb(&self.site.title, None)]);
        let mut context = context(&layout)?;
        context.insert("intro", &self.markdown.intro);
        self.beyond.insert_participation(&mut context);
        let mut deferred = browser::Deferred::default();
        if let Some(i) = self.newest_set() {
            let set = SetLink::new(self.ctx.aggregates, i, "");
            let stacks = !set.daily && self.beyond.has_stacks();
            context.insert("stacks_href", &stacks.then(|| format!("stacks/{}/index.html", set.name)));
            context.insert("first_day", &self.ctx.aggregates.first_day().map(|day| day.to_string()));
            context.insert("set", &set);
            let browser;
            (deferred, browser) = self.browser(i, &layout.root)?;
            context.insert("browser", &browser);
        }
        out.write("index.html", &deferred.splice(&self.render_bytes("index.html", &context)?))?;
        Ok(())
    }

    fn chart_set(&self, i: usize, out: &Staging) -> Result<(), RenderError> {
        let sets = &self.ctx.aggregates.sets;
        let daily = sets[i].is_daily();
        let same_kind = |j: &usize| sets[*j].is_daily() == daily;
        let previous = (0..i).rev().find(same_kind);
        let next = (i + 1..sets.len()).find(same_kind);
        let rel = format!("charts/{}/index.html", sets[i].name());
        let names = [previous, next].map(|j| j.map(|j| sets[j].name()).unwrap_or_default());
        let covered = format!("{:?}", self.ctx.aggregates.days_covered(i));
        let print = self.prints.set(self.ctx.aggregates, i, "page", &[&names[0], &names[1], &covered]);
        out.memoized(&rel, print, || self.chart_set_html(i, previous, next, &rel))
    }

    fn chart_set_html(
        &self,
        i: usize,
        previous: Option<usize>,
        next: Option<usize>,
        rel: &str,
    ) -> Result<Vec<u8>, RenderError> {
        let set = SetLink::new(self.ctx.aggregates, i, "../../");
        let previous = previous.map(|j| SetLink::new(self.ctx.aggregates, j, "../../"));
        let next = next.map(|j| SetLink::new(self.ctx.aggregates, j, "../../"));
        let crumbs = vec![crumb("Charts", Some("../index.html".into())), crumb(&set.range, None)];
        let layout = self.layout(rel, &set.heading, "charts", crumbs);
        let mut context = context(&layout)?;
        let (deferred, browser) = self.browser(i, &layout.root)?;
        context.insert("browser", &browser);
        let stacks = !set.daily && self.beyond.has_stacks();
        context.insert("stacks_href", &stacks.then(|| format!("../../stacks/{}/index.html", set.name)));
        context.insert("first_day", &self.ctx.aggregates.first_day().map(|day| day.to_string()));
        context.insert("set", &set);
        context.insert("previous", &previous);
        context.insert("next", &next);
        Ok(deferred.splice(&self.render_bytes("chart_set.html", &context)?))
    }

    fn chart_sets(&self, out: &Staging) -> Result<(), RenderError> {
        let rel = "charts/index.html";
        let layout = self.layout(rel, "All charts", "charts", vec![crumb("Charts", None)]);
        let mut rows: Vec<SetRow> = Vec::new();
        for (i, set) in self.ctx.aggregates.sets.iter().enumerate().rev() {
            let day = set.end.to_string();
            if rows.last().is_none_or(|r| r.day != day) {
                rows.push(SetRow { day: day.clone(), daily: None, weekly: None, stacks: None });
            }
            let row = rows.last_mut().expect("pushed above");
            let link = Some(SetLink::new(self.ctx.aggregates, i, "../"));
            if set.is_daily() {
                row.daily = link;
            } else {
                row.weekly = link;
                row.stacks = self.beyond.has_stacks().then(|| format!("../stacks/{}/index.html", set.name()));
            }
        }
        let mut context = context(&layout)?;
        context.insert("months", &by_month(rows, |r| &r.day));
        self.render_to("chart_sets.html", &context, rel, out)
    }

    fn data(&self, out: &Staging) -> Result<(), RenderError> {
        let rel = "data/index.html";
        let layout = self.layout(rel, "Raw data", "data", vec![crumb("Data", None)]);
        let rows: Vec<DataRow> = self
            .ctx
            .aggregates
            .sets
            .iter()
            .rev()
            .filter(|set| set.is_daily())
            .map(|set| {
                let file = self.ctx.options.raw_data.file_name(set.end);
                DataRow {
                    day: set.end.to_string(),
                    reports: set.num_reports,
                    href: file.clone(),
                    file,
                    charts_href: format!("../charts/{}/index.html", set.end),
                }
            })
            .collect();
        let mut context = context(&layout)?;
        context.insert("months", &by_month(rows, |r| &r.day));
        context.insert("gzipped", &(self.ctx.options.raw_data == crate::raw_data::RawData::Gz));
        self.render_to("data.html", &context, rel, out)
    }

    fn config(&self, out: &Staging) -> Result<(), RenderError> {
        let rel = "config/index.html";
        let layout = self.layout(rel, "Configuration", "config", vec![crumb("Configuration", None)]);
        let upload = serde_json::to_string_pretty(self.ctx.upload_config).expect("an upload config always serialises");
        let mut context = context(&layout)?;
        context.insert("upload_config", &display_text_block(&upload));
        context.insert("upload_config_inferred", &self.ctx.upload_config_inferred);
        context.insert("chart_config", &self.ctx.chart_config_text.map(display_text_block));
        self.render_to("config.html", &context, rel, out)
    }

    fn not_found(&self, out: &Staging) -> Result<(), RenderError> {
        let layout = self.layout("404.html", "Page not found", "", vec![crumb("Page not found", None)]);
        self.render_to("404.html", &context(&layout)?, "404.html", out)
    }
}

fn nav_link(title: &str, path: &str, section: &str) -> NavLink {
    NavLink { title: title.to_string(), path: path.to_string(), section: section.to_string() }
}

pub(crate) fn crumb(title: &str, href: Option<String>) -> Crumb {
    Crumb { title: title.to_string(), href }
}

pub(crate) fn context(layout: &Layout<'_>) -> Result<Context, RenderError> {
    Context::from_serialize(layout).map_err(template_error)
}

/// Groups rows (newest first) by the month of their day.
fn by_month<R>(rows: Vec<R>, day: impl Fn(&R) -> &String) -> Vec<Month<R>> {
    let mut months: Vec<Month<R>> = Vec::new();
    for row in rows {
        let month = day(&row)[..7].to_string();
        if months.last().is_none_or(|m| m.month != month) {
            months.push(Month { label: month_label(&month), month, rows: Vec::new() });
        }
        months.last_mut().expect("pushed above").rows.push(row);
    }
    months
}

/// "January 2026" for `2026-01`.
fn month_label(month: &str) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (year, number) = month.split_at(4);
    let index = number.trim_start_matches('-').parse::<usize>().unwrap_or(1).clamp(1, 12) - 1;
    format!("{} {year}", NAMES[index])
}

/// Multi-line text made safe to show: control characters other than tab and newline
/// replaced by U+FFFD.
fn display_text_block(text: &str) -> String {
    text.split('\n')
        .map(|line| line.split('\t').map(display_text).collect::<Vec<_>>().join("\t"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_named() {
        assert_eq!(month_label("2026-01"), "January 2026");
        assert_eq!(month_label("1999-12"), "December 1999");
    }

    #[test]
    fn rows_group_by_month_in_order() {
        let rows = vec!["2026-02-01".to_string(), "2026-01-31".into(), "2026-01-02".into()];
        let months = by_month(rows, |r| r);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].month, "2026-02");
        assert_eq!(months[1].rows, ["2026-01-31", "2026-01-02"]);
    }

    #[test]
    fn text_blocks_keep_tabs_and_newlines() {
        assert_eq!(display_text_block("a\tb\nc\u{1b}\r"), "a\tb\nc\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn markdown_pages_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.md"), "# Welcome\n\n[charts](charts/index.html)").unwrap();
        std::fs::write(dir.path().join("Privacy Policy.md"), "# Privacy\n\n[home](index.html)").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a page").unwrap();
        let pages = read_markdown(Some(dir.path())).unwrap();
        assert!(pages.intro.unwrap().contains(r#"href="charts/index.html""#));
        assert_eq!(pages.pages.len(), 1);
        assert_eq!(pages.pages[0].stem, "privacy-policy");
        assert_eq!(pages.pages[0].title, "Privacy");
        assert!(pages.pages[0].html.contains(r#"href="../index.html""#));
        std::fs::write(dir.path().join("charts.md"), "# Mine").unwrap();
        let error = read_markdown(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("charts.md"), "{error}");
    }

    #[test]
    fn a_page_named_in_another_script_gets_a_hashed_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("обзор.md"), "# Обзор").unwrap();
        std::fs::write(dir.path().join("概要.md"), "no heading").unwrap();
        let pages = read_markdown(Some(dir.path())).unwrap();
        let folders: Vec<&str> = pages.pages.iter().map(|p| p.stem.as_str()).collect();
        // The first 8 bytes of the names' SHA-256, in hex (Python's hashlib).
        assert_eq!(folders, ["x--a5c3b417bbcb366e", "x--aaaf449bd4eac9c5"]);
        assert_eq!(pages.pages[0].title, "Обзор");
        assert_eq!(pages.pages[1].title, "概要");
        assert!(pages.notes.is_empty(), "{:?}", pages.notes);
    }

    #[test]
    fn links_out_of_the_site_and_unread_sub_folders_are_noted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("about.md"), "# About\n\n[up](../index.html) [ok](charts/index.html)").unwrap();
        std::fs::write(dir.path().join("index.md"), "[far](../../x.html)").unwrap();
        std::fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
        std::fs::write(dir.path().join("sub/deeper/nested.md"), "# Nested").unwrap();
        std::fs::create_dir(dir.path().join("images")).unwrap();
        std::fs::write(dir.path().join("images/a.png"), "").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/x.md"), "").unwrap();
        let pages = read_markdown(Some(dir.path())).unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        assert_eq!(pages.notes.len(), 3, "{:?}", pages.notes);
        assert!(pages.notes[0].starts_with(&format!("`{}`: not read", path("sub"))), "{:?}", pages.notes);
        assert!(pages.notes[1].starts_with(&format!("`{}`: the link `../index.html` climbs", path("about.md"))));
        assert!(pages.notes[2].starts_with(&format!("`{}`: the link `../../x.html` climbs", path("index.md"))));
        assert_eq!(pages.pages.len(), 1);
    }
}
