//! The command line (clap derive), and its conversion to checked options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::build::BuildOptions;
use crate::ingest::Limits;
use crate::render::SiteOptions;

#[derive(Debug, Parser)]
#[command(
    name = "telemetry-site",
    version,
    about = "Turn uploaded telemetry reports into a static dashboard"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the static site from a directory of uploaded reports
    #[command(after_help = BUILD_EXAMPLES)]
    Build(BuildArgs),
}

const BUILD_EXAMPLES: &str = "Examples:
  telemetry-site build data/ site/
  telemetry-site build data/ site/ --strict --summary-json build-summary.json
  telemetry-site build data/ site/ --upload-config go/upload-config.json -j 2 -v";

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Directory of reports (upload or merged layout, optionally gzipped)
    pub data: PathBuf,
    /// Output directory; replaced as a whole when the build succeeds
    pub site: PathBuf,
    /// Go upload config JSON [default: <DATA>/upload-config.json when it exists; otherwise inferred]
    #[arg(long, value_name = "FILE")]
    pub upload_config: Option<PathBuf>,
    /// Go chart config (titles, descriptions) [default: <DATA>/chart-config.txt when it exists]
    #[arg(long, value_name = "FILE")]
    pub chart_config: Option<PathBuf>,
    /// Worker threads [default: all cores]
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Fail (exit 1) when any report is skipped
    #[arg(long)]
    pub strict: bool,
    /// Print only errors
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print a timing breakdown per stage
    #[arg(short, long)]
    pub verbose: bool,
    /// Write the end-of-build summary as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Largest report accepted, in bytes (its newline not counted)
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_report_bytes)]
    pub max_report_bytes: usize,
    /// Largest size a file may decompress to, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Site title
    #[arg(long, default_value = "Telemetry")]
    pub title: String,
    /// Site description
    #[arg(
        long,
        default_value = "Usage statistics uploaded by users who opted in to telemetry."
    )]
    pub description: String,
    /// Absolute URL the site is published at (for the feed and the 404 page)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Directory of templates overriding the built-in ones, file by file
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Directory of static files overriding the built-in ones, file by file
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// Directory of Markdown pages [default: <DATA>/pages]
    #[arg(long, value_name = "DIR")]
    pub pages: Option<PathBuf>,
    /// Trend points resting on fewer uploaders than N are marked low-confidence
    #[arg(long, value_name = "N", default_value_t = crate::trends::DEFAULT_MIN_UPLOADERS)]
    pub trend_min_uploaders: u32,
    /// Incremental-build cache directory, safe to delete [default: .<SITE name>.cache beside SITE]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Build from scratch and keep no cache
    #[arg(long)]
    pub no_cache: bool,
}

impl BuildArgs {
    pub fn options(&self) -> BuildOptions {
        let base_url = self.base_url.as_ref().map(|u| {
            if u.ends_with('/') {
                u.clone()
            } else {
                format!("{u}/")
            }
        });
        let pages = self
            .pages
            .clone()
            .or_else(|| Some(self.data.join("pages")).filter(|p| p.is_dir()));
        BuildOptions {
            data: self.data.clone(),
            site: self.site.clone(),
            upload_config: self.upload_config.clone(),
            chart_config: self.chart_config.clone(),
            limits: Limits {
                max_report_bytes: self.max_report_bytes,
                max_file_bytes: self.max_file_bytes,
            },
            cache_dir: self.cache.clone(),
            no_cache: self.no_cache,
            site_options: SiteOptions {
                title: self.title.clone(),
                description: self.description.clone(),
                base_url,
                templates: self.templates.clone(),
                static_dir: self.static_dir.clone(),
                pages,
                trend_min_uploaders: self.trend_min_uploaders,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
