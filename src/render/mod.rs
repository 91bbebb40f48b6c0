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
pub mod fixed;
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
    /// How each day's raw data is published.
    pub raw_data: crate::raw_data::RawData,
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
            raw_data: crate::raw_data::RawData::Json,
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

/// What rendering wrote, and how long its parts took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderStats {
    pub pages: u64,
    /// Seconds of each part, for `-v`: trends and the feed computed, the data files
    /// (chart set JSON and CSV, raw data, static files) and the HTML pages written.
    pub stages: Vec<(String, f64)>,
    /// What the summary should note (about the Markdown pages).
    pub notes: Vec<String>,
}

/// Writes every file of the site into `out`.
/// `stacks` is every uploaded stack, by day ([`crate::stacks::StackIndex::read`]).
pub fn render(
    ctx: &SiteContext<'_>,
    stacks: crate::stacks::StackIndex,
    out: &Staging,
) -> Result<RenderStats, RenderError> {
    let mut clock = std::time::Instant::now();
    let mut stages = Vec::new();
    let mut lap = |name: &str| {
        stages.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    // The templates parsed while the trends are computed.
    let (inputs, beyond) = rayon::join(
        || -> Result<_, RenderError> {
            let templates = templates::load(ctx.options.templates.as_deref())?;
            let static_files = assets::collect(ctx.options.static_dir.as_deref())?;
            Ok((templates, static_files, pages::read_markdown(ctx.options.pages.as_deref())?))
        },
        || beyond::Beyond::new(ctx, stacks),
    );
    let ((tera, loaded), static_files, mut markdown) = inputs?;
    let notes = std::mem::take(&mut markdown.notes);
    let mut beyond = beyond;
    beyond.feed = beyond::write_feed(ctx, &beyond, out)?;
    lap("render/trends");
    let prints = Prints::new(ctx, loaded, &markdown, [beyond.feed, beyond.has_stacks()]);
    downloads::write_chart_sets(ctx.aggregates, &prints, out)?;
    downloads::write_raw_data(ctx.ingested, ctx.options.raw_data, out)?;
    assets::write(&static_files, out)?;
    out.write(".nojekyll", b"")?;
    lap("render/files");
    let pages = pages::Pages::new(&tera, ctx, markdown, &beyond, prints).write_all(out)?;
    lap("render/pages");
    Ok(RenderStats { pages, stages, notes })
}

/// Hashes of what outputs are rendered from, for the page memo of incremental builds
/// ([`Staging::memoized`]): an output whose inputs hash the same as in the previous build
/// is reused instead of rendered.
#[derive(Debug, Clone, Copy)]
pub struct Prints {
    /// Everything every page depends on: the tool, the templates, both configs, the site
    /// options, the Markdown pages (the header links), whether a feed and stacks pages exist.
    pub site: u64,
}

impl Prints {
    fn new(
        ctx: &SiteContext<'_>,
        templates: templates::Loaded,
        markdown: &pages::MarkdownPages,
        flags: [bool; 2],
    ) -> Prints {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        hash.update(crate::BUILD.as_bytes());
        hash.update(&templates.hash.to_le_bytes());
        if templates.newest_day_on_pages {
            hash.update(format!("{:?}", ctx.newest_day).as_bytes());
        }
        hash.update(&serde_json::to_vec(ctx.upload_config).unwrap_or_default());
        hash.update(ctx.chart_config_text.unwrap_or("").as_bytes());
        hash.update(format!("{:?}|{}|{flags:?}", ctx.options, ctx.upload_config_inferred).as_bytes());
        for page in &markdown.pages {
            hash.update(format!("{}\0{}\0", page.stem, page.title).as_bytes());
        }
        Prints { site: hash.digest() }
    }

    /// The hash of `sets[index]` for an output of kind `tag`, with `extra` inputs.
    pub fn set(&self, aggregates: &Aggregates, index: usize, tag: &str, extra: &[&str]) -> u64 {
        let set = &aggregates.sets[index];
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        hash.update(&self.site.to_le_bytes());
        hash.update(tag.as_bytes());
        hash.update(&[0]);
        hash.update(format!("{}|{}|{:?}|", set.name(), set.num_reports, set.week).as_bytes());
        // In blocks: a call per count would cost more than the hashing.
        let mut block = [0u8; 4096];
        for counts in set.counts.chunks(block.len() / 4) {
            for (bytes, count) in block.chunks_exact_mut(4).zip(counts) {
                bytes.copy_from_slice(&count.to_le_bytes());
            }
            hash.update(&block[..counts.len() * 4]);
        }
        for item in extra {
            hash.update(item.as_bytes());
            hash.update(&[0]);
        }
        hash.digest()
    }
}
