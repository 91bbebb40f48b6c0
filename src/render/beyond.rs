//! The files beyond telemetry.go.dev's: trends (pages, CSV, standalone SVGs), stacks
//! pages, chart set CSVs and the Atom feed. [`Beyond`] computes what they share once per
//! build; the writers run in parallel.

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use super::browser::Deferred;
use super::linechart::{self, Theme};
use super::pages::{context, crumb, Pages, SetLink};
use super::paths::{display_name, display_text, short_program_name};
use super::stack_pages::StacksView;
use super::trend_pages::{trend_files, TrendFiles, TrendLink, TrendPaths, TrendView};
use super::{feed, RenderError, SiteContext};
use crate::site::{Staging, WriteError};
use crate::stacks::StackIndex;
use crate::trends::{self, Trend, TrendWeek};

/// What the trend and stack pages share.
pub struct Beyond {
    pub weeks: Vec<TrendWeek>,
    /// Every program's every chart, in plan order.
    pub trends: Vec<Trend>,
    pub paths: TrendPaths,
    pub stacks: StackIndex,
    /// (program, stack counter) named by the upload config, sorted.
    pub stack_counters: Vec<(String, String)>,
    /// Whether `feed.xml` was written.
    pub feed: bool,
    /// The participation chart as an inline SVG, and its numbers for the table under it
    /// (see [`Beyond::insert_participation`]); `None` without data.
    participation: Option<(String, ParticipationNumbers)>,
}

impl Beyond {
    pub fn new(ctx: &SiteContext<'_>, stacks: StackIndex) -> Beyond {
        let aggregates = ctx.aggregates;
        let weeks = trends::weeks(aggregates);
        let trends = trends::trends(aggregates, &weeks, ctx.options.trend_min_uploaders);
        let mut stack_counters: Vec<(String, String)> = ctx
            .upload_config
            .programs
            .iter()
            .flat_map(|p| p.stacks.iter().map(|s| (p.name.clone(), s.name.clone())))
            .collect();
        stack_counters.sort_unstable();
        stack_counters.dedup();
        let paths = TrendPaths::new(&aggregates.plan);
        // Made once here for the two pages that show it, the home page and the trends index.
        let participation = linechart::Participation::new(aggregates, &weeks)
            .map(|p| (linechart::svg(&p.chart(), Theme::Auto), ParticipationNumbers::new(&p)));
        Beyond { paths, weeks, trends, stacks, stack_counters, feed: false, participation }
    }

    /// Whether the site has stacks pages: some program has stack counters in the upload
    /// config, or stacks were uploaded.
    pub fn has_stacks(&self) -> bool {
        !self.stack_counters.is_empty() || !self.stacks.is_empty()
    }

    /// The participation chart (valid reports per day and per week) as the home page and
    /// the trends index show it: `participation`, the inline SVG, and
    /// `participation_numbers`, its numbers for the table under it (the SVG is one image
    /// to assistive technology, its points' titles only shown on hover). Both `None`
    /// without data.
    pub fn insert_participation(&self, context: &mut tera::Context) {
        context.insert("participation", &self.participation.as_ref().map(|(svg, _)| svg));
        context.insert("participation_numbers", &self.participation.as_ref().map(|(_, numbers)| numbers));
    }

    /// The directory of a trend from the site root: `trends/<program>/<chart>/`.
    pub fn trend_dir(&self, trend: &Trend) -> String {
        self.paths.dir(&trend.program_name, &trend.chart_name).expect("every trend's program and chart are in the plan")
    }
}

/// `feed.xml` when the base URL is known; returns whether it was written.
pub fn write_feed(ctx: &SiteContext<'_>, beyond: &Beyond, out: &Staging) -> Result<bool, WriteError> {
    let options = ctx.options;
    match feed::atom(ctx.aggregates, &beyond.weeks, &options.title, options.base_url.as_deref()) {
        Some(text) => out.write("feed.xml", text.as_bytes()).map(|()| true),
        None => Ok(false),
    }
}

/// The participation chart's numbers, newest first: a table body of weeks and one of days.
#[derive(Debug, Serialize)]
struct ParticipationNumbers {
    weeks: String,
    days: String,
}

impl ParticipationNumbers {
    fn new(participation: &linechart::Participation) -> ParticipationNumbers {
        let row = |html: &mut String, label: &str, n: u64| {
            let _ = writeln!(html, "<tr><th scope=\"row\">{label}</th><td class=\"num\">{n}</td></tr>");
        };
        let mut weeks = String::new();
        for (start, end, n) in participation.weekly.iter().rev() {
            row(&mut weeks, &format!("{start} to {end}"), *n);
        }
        let mut days = String::with_capacity(participation.daily.len() * 64);
        for (i, n) in participation.daily.iter().enumerate().rev() {
            row(&mut days, &participation.first.plus(i as i32).to_string(), *n);
        }
        ParticipationNumbers { weeks, days }
    }
}

/// A program's trends on `trends/index.html`.
#[derive(Debug, Serialize)]
struct ProgramTrends {
    name: String,
    short: String,
    anchor: String,
    trends: Vec<TrendLink>,
}

impl Pages<'_> {
    /// The trend pages, `trends/index.html` and the stacks pages, with the trends' CSV
    /// and SVG files; returns the number of pages.
    pub(crate) fn write_beyond(&self, out: &Staging) -> Result<u64, RenderError> {
        let beyond = self.beyond;
        beyond.trends.par_iter().try_for_each(|trend| self.trend_page(trend, out))?;
        self.trends_index(out)?;
        let weekly: Vec<usize> = if beyond.has_stacks() {
            let sets = &self.ctx.aggregates.sets;
            (0..sets.len()).filter(|&i| !sets[i].is_daily()).collect()
        } else {
            Vec::new()
        };
        weekly.par_iter().enumerate().try_for_each(|(n, &i)| {
            let previous = n.checked_sub(1).map(|p| weekly[p]);
            self.stacks_page(i, previous, weekly.get(n + 1).copied(), out)
        })?;
        Ok((beyond.trends.len() + 1 + weekly.len()) as u64)
    }

    fn chart_title(&self, trend: &Trend) -> (String, String) {
        self.catalog
            .get(&trend.program_name, &trend.chart_name)
            .map(|info| (info.title.clone(), info.description.clone()))
            .unwrap_or_default()
    }

    fn trend_page(&self, trend: &Trend, out: &Staging) -> Result<(), RenderError> {
        let beyond = self.beyond;
        let dir = beyond.trend_dir(trend);
        let rel = format!("{dir}index.html");
        let (title, description) = self.chart_title(trend);
        let min_uploaders = self.ctx.options.trend_min_uploaders;
        // What the trend's four files are made from (the site's options are in `site`).
        let print = {
            let mut hash = xxhash_rust::xxh3::Xxh3::new();
            hash.update(&self.prints.site.to_le_bytes());
            hash.update(format!("trend\0{trend:?}\0{:?}\0{title}\0{description}", beyond.weeks).as_bytes());
            hash.digest()
        };
        let files = std::cell::OnceCell::new();
        let files = || {
            files.get_or_init(|| trend_files(trend, &beyond.weeks, &title, &description, min_uploaders, "../../../"))
        };
        type Part = fn(&TrendFiles) -> &String;
        let downloads: [(&str, Part); 3] =
            [("trend.csv", |f| &f.csv), ("trend.svg", |f| &f.light_svg), ("trend-dark.svg", |f| &f.dark_svg)];
        for (name, part) in downloads {
            out.memoized(&format!("{dir}{name}"), print, || Ok::<_, RenderError>(part(files()).clone().into_bytes()))?;
        }
        out.memoized(&rel, print, || self.trend_html(trend, &title, &files().view, &rel))
    }

    fn trend_html(&self, trend: &Trend, title: &str, view: &TrendView, rel: &str) -> Result<Vec<u8>, RenderError> {
        let dir = self.beyond.trend_dir(trend);
        let program = display_name(short_program_name(&trend.program_name));
        let chart = display_name(&trend.chart_name);
        let heading = if title.is_empty() { chart.clone() } else { display_text(title) };
        let crumbs = vec![
            crumb("Trends", Some("../../index.html".into())),
            crumb(&program, Some(format!("../../index.html#{}", program_anchor(&trend.program_name)))),
            crumb(&chart, None),
        ];
        let page_title = format!("{heading} · {program}");
        let layout = self.layout(rel, &page_title, "trends", crumbs);
        let mut context = context(&layout)?;
        context.insert("heading", &heading);
        context.insert("program_short", &program);
        context.insert("trend", view);
        let embed = self.site.base_url.as_ref().map(|base| {
            format!(
                "<picture>\n  <source media=\"(prefers-color-scheme: dark)\" srcset=\"{base}{dir}trend-dark.svg\">\n  \
                 <img alt=\"{alt}\" src=\"{base}{dir}trend.svg\">\n</picture>",
                alt = super::templates::escape(&format!(
                    "{}: {}, share of uploaders per week",
                    trend.program_name, chart
                )),
            )
        });
        context.insert("embed", &embed);
        self.render_bytes("trend.html", &context)
    }

    fn trends_index(&self, out: &Staging) -> Result<(), RenderError> {
        let beyond = self.beyond;
        let rel = "trends/index.html";
        let layout = self.layout(rel, "Trends", "trends", vec![crumb("Trends", None)]);
        let mut programs: Vec<ProgramTrends> = Vec::new();
        for trend in &beyond.trends {
            if programs.len() <= trend.program {
                programs.push(ProgramTrends {
                    name: display_name(&trend.program_name),
                    short: display_name(short_program_name(&trend.program_name)),
                    anchor: program_anchor(&trend.program_name),
                    trends: Vec::new(),
                });
            }
            let (title, _) = self.chart_title(trend);
            let link = TrendLink::new(trend, &title, &beyond.trend_dir(trend));
            programs[trend.program].trends.push(link);
        }
        let mut context = context(&layout)?;
        context.insert("programs", &programs);
        beyond.insert_participation(&mut context);
        context.insert("weeks", &beyond.weeks.len());
        context.insert("min_uploaders", &self.ctx.options.trend_min_uploaders);
        context.insert("has_stacks", &beyond.has_stacks());
        self.render_to("trends.html", &context, rel, out)
    }

    fn stacks_page(
        &self,
        i: usize,
        previous: Option<usize>,
        next: Option<usize>,
        out: &Staging,
    ) -> Result<(), RenderError> {
        let sets = &self.ctx.aggregates.sets;
        let set = SetLink::new(self.ctx.aggregates, i, "../../");
        let rel = format!("stacks/{}/index.html", set.name);
        let end = sets[i].end;
        // The page shows days end-6..=end, marked "new" against the seven days before.
        let window_hash = self.beyond.stacks.window_hash(end.plus(-13), end).to_string();
        let counters = format!("{:?}", self.beyond.stack_counters);
        let names = [previous, next].map(|j| j.map(|j| sets[j].name()).unwrap_or_default());
        let print = self.prints.set(self.ctx.aggregates, i, "stacks", &[&window_hash, &counters, &names[0], &names[1]]);
        out.memoized(&rel, print, || self.stacks_html(i, previous, next, &set, &rel))
    }

    fn stacks_html(
        &self,
        i: usize,
        previous: Option<usize>,
        next: Option<usize>,
        set: &SetLink,
        rel: &str,
    ) -> Result<Vec<u8>, RenderError> {
        let sets = &self.ctx.aggregates.sets;
        let window = self.beyond.stacks.week(sets[i].end, &self.beyond.stack_counters, self.ctx.chart_config);
        let mut view = StacksView::new(&window);
        let mut deferred = Deferred::default();
        for counter in &mut view.counters {
            counter.program = display_name(short_program_name(&counter.program));
            deferred.defer(&mut counter.list);
        }
        let link = |j: usize| {
            let other = SetLink::new(self.ctx.aggregates, j, "../../");
            (format!("../{}/index.html", other.name), other.range)
        };
        let crumbs = vec![
            crumb("Charts", Some("../../charts/index.html".into())),
            crumb(&set.range, Some(set.href.clone())),
            crumb("Stacks", None),
        ];
        let layout = self.layout(rel, &format!("Stacks for {}", set.range), "charts", crumbs);
        let mut context = context(&layout)?;
        context.insert("set", &set);
        context.insert("stacks", &view);
        context.insert("listed", &super::stack_pages::LISTED);
        context.insert("previous", &previous.map(link));
        context.insert("next", &next.map(link));
        Ok(deferred.splice(&self.render_bytes("stacks.html", &context)?))
    }
}

/// The anchor of a program on `trends/index.html`: its path segment, unique per program.
fn program_anchor(program: &str) -> String {
    super::slug::slug(program)
}
