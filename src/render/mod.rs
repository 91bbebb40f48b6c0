//! Render: aggregates and configs -> the files of the site, written into the staging tree.
//!
//! The data files ([`downloads`]), the HTML pages ([`pages`], from [`templates`], with
//! charts from [`svg`] and Markdown from [`markdown`]), the static files ([`assets`]) and
//! `.nojekyll`, so GitHub Pages serves the tree as it is. Templates are parsed once;
//! chart set pages render in parallel, each materialising its own chart set.

pub mod assets;
pub mod beyond;
pub mod browser;
pub mod csv;
pub mod downloads;
pub mod feed;
pub mod linechart;
pub mod markdown;
pub mod pages;
pub mod paths;
pub mod slug;
pub mod stack_pages;
pub mod svg;
pub mod templates;
pub mod trend_pages;
pub mod xml;

use std::path::PathBuf;

use crate::aggregate::Aggregates;
use crate::config::{ChartConfigFile, UploadConfig};
use crate::day::Day;
use crate::ingest::Ingested;
use crate::site::{Staging, WriteError};

/// Settings of the site itself (not of the data).
#[derive(Debug, Clone)]
pub struct SiteOptions {
    pub title: String,
    pub description: String,
    /// Absolute URL the site is published at, ending in `/`, when known.
    pub base_url: Option<String>,
    pub templates: Option<PathBuf>,
    pub static_dir: Option<PathBuf>,
    /// Markdown pages (`<DATA>/pages` by default).
    pub pages: Option<PathBuf>,
    /// Trend points with fewer uploaders are marked low-confidence.
    pub trend_min_uploaders: u32,
}

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions {
            title: String::new(),
            description: String::new(),
            base_url: None,
            templates: None,
            static_dir: None,
            pages: None,
            trend_min_uploaders: crate::trends::DEFAULT_MIN_UPLOADERS,
        }
    }
}

/// Everything the site is rendered from.
pub struct SiteContext<'a> {
    pub aggregates: &'a Aggregates,
    pub ingested: &'a Ingested,
    pub upload_config: &'a UploadConfig,
    /// True when no upload config was given and it was inferred from the data.
    pub upload_config_inferred: bool,
    pub chart_config: &'a ChartConfigFile,
    /// The chart config's text as read, when there was one.
    pub chart_config_text: Option<&'a str>,
    /// The newest day with a valid report.
    pub newest_day: Option<Day>,
    pub options: &'a SiteOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("template error: {0}")]
    Template(String),
    #[error("`{path}`: {reason}")]
    Input { path: String, reason: String },
}

/// What rendering wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderStats {
    pub pages: u64,
}

/// Writes every file of the site into `out`.
pub fn render(ctx: &SiteContext<'_>, out: &Staging) -> Result<RenderStats, RenderError> {
    let tera = templates::load(ctx.options.templates.as_deref())?;
    let static_files = assets::collect(ctx.options.static_dir.as_deref())?;
    let markdown = pages::read_markdown(ctx.options.pages.as_deref())?;
    downloads::write_chart_sets(ctx.aggregates, out)?;
    downloads::write_raw_data(ctx.ingested, out)?;
    let mut beyond = beyond::Beyond::new(ctx)?;
    beyond::write_chart_set_csvs(ctx, out)?;
    beyond.feed = beyond::write_feed(ctx, &beyond, out)?;
    assets::write(&static_files, out)?;
    out.write(".nojekyll", b"")?;
    let pages = pages::Pages::new(&tera, ctx, markdown, &beyond).write_all(out)?;
    Ok(RenderStats { pages })
}
