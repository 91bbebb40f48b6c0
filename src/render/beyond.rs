//! The files beyond telemetry.go.dev's: trends (pages, CSV, standalone SVGs), stacks
//! pages, chart set CSVs and the Atom feed. [`Beyond`] computes what they share once per
//! build; the writers run in parallel.

use rayon::prelude::*;

use super::trend_pages::{trend_files, TrendFiles, TrendPaths};
use super::{csv, feed, RenderError, SiteContext};
use crate::aggregate::ChartKind;
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
}

impl Beyond {
    pub fn new(ctx: &SiteContext<'_>) -> Result<Beyond, RenderError> {
        let aggregates = ctx.aggregates;
        let weeks = trends::weeks(aggregates);
        let trends = trends::trends(aggregates, &weeks, ctx.options.trend_min_uploaders);
        let stacks = StackIndex::read(ctx.ingested).map_err(|source| WriteError { path: "spool".into(), source })?;
        let mut stack_counters: Vec<(String, String)> = ctx
            .upload_config
            .programs
            .iter()
            .flat_map(|p| p.stacks.iter().map(|s| (p.name.clone(), s.name.clone())))
            .collect();
        stack_counters.sort_unstable();
        stack_counters.dedup();
        Ok(Beyond { paths: TrendPaths::new(&aggregates.plan), weeks, trends, stacks, stack_counters })
    }

    /// Whether the site has stacks pages: some program has stack counters in the upload
    /// config, or stacks were uploaded.
    pub fn has_stacks(&self) -> bool {
        !self.stack_counters.is_empty() || !self.stacks.is_empty()
    }

    /// The directory of a trend from the site root: `trends/<program>/<chart>/`.
    pub fn trend_dir(&self, trend: &Trend) -> String {
        self.paths.dir(&trend.program_name, &trend.chart_name).expect("every trend's program and chart are in the plan")
    }

    /// A trend's files, for a page at `<dir>index.html`.
    pub fn trend_files(&self, ctx: &SiteContext<'_>, trend: &Trend) -> TrendFiles {
        let (title, description) = chart_text(ctx, trend);
        trend_files(trend, &self.weeks, &title, &description, ctx.options.trend_min_uploaders, "../../../")
    }
}

/// A chart's title and description: the chart config's for counter charts, built-in
/// ones for the others.
pub fn chart_text(ctx: &SiteContext<'_>, trend: &Trend) -> (String, String) {
    let builtin = |title: &str, description: &str| (title.to_string(), description.to_string());
    match trend.kind {
        ChartKind::Version => builtin("Program version", "The version of the program that sent each report."),
        ChartKind::Goos => builtin("Operating system", "The operating system the program ran on (GOOS)."),
        ChartKind::Goarch => builtin("Processor architecture", "The architecture the program was built for (GOARCH)."),
        ChartKind::GoVersion => builtin("Go version", "The Go toolchain the program was built with."),
        ChartKind::Counter => ctx
            .chart_config
            .find(&trend.program_name, &trend.chart_name)
            .map(|r| (r.title.clone(), r.description.clone()))
            .unwrap_or_default(),
    }
}

/// `charts/<NAME>.csv` for every chart set.
pub fn write_chart_set_csvs(ctx: &SiteContext<'_>, out: &Staging) -> Result<(), WriteError> {
    let aggregates = ctx.aggregates;
    (0..aggregates.sets.len()).into_par_iter().try_for_each(|i| {
        let name = aggregates.sets[i].name();
        let text = csv::chart_set(&aggregates.chart_set(i));
        out.write(&format!("charts/{name}.csv"), text.as_bytes())
    })
}

/// `trend.csv`, `trend.svg` and `trend-dark.svg` of every trend.
pub fn write_trend_downloads(ctx: &SiteContext<'_>, beyond: &Beyond, out: &Staging) -> Result<(), WriteError> {
    beyond.trends.par_iter().try_for_each(|trend| {
        let dir = beyond.trend_dir(trend);
        let files = beyond.trend_files(ctx, trend);
        out.write(&format!("{dir}trend.csv"), files.csv.as_bytes())?;
        out.write(&format!("{dir}trend.svg"), files.light_svg.as_bytes())?;
        out.write(&format!("{dir}trend-dark.svg"), files.dark_svg.as_bytes())
    })
}

/// `feed.xml` when the base URL is known; returns whether it was written.
pub fn write_feed(ctx: &SiteContext<'_>, beyond: &Beyond, out: &Staging) -> Result<bool, WriteError> {
    let options = ctx.options;
    match feed::atom(ctx.aggregates, &beyond.weeks, &options.title, options.base_url.as_deref()) {
        Some(text) => out.write("feed.xml", text.as_bytes()).map(|()| true),
        None => Ok(false),
    }
}
