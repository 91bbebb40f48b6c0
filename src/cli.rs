//! The command line (clap derive), and its conversion to checked options.
//!
//! Doc comments here are `--help` text, where `<DATA>` is a placeholder, not HTML.
//!
//! Settings come from three places, strongest first: a flag, a key of `telemetry-site.toml`
//! in DATA ([`SiteConfig`]), the default. Flags that have a key are therefore `Option`s here
//! and their defaults are applied in [`SharedArgs::options`], not by clap.

#![allow(rustdoc::invalid_html_tags)]

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::build::BuildOptions;
use crate::ingest::Limits;
use crate::progress::Progress;
use crate::render::SiteOptions;
use crate::site_config::SiteConfig;

pub const DEFAULT_TITLE: &str = "Telemetry";
pub const DEFAULT_DESCRIPTION: &str = "Usage statistics uploaded by users who opted in to telemetry.";

#[derive(Debug, Parser)]
#[command(
    name = "telemetry-site",
    version,
    about = "Turn uploaded telemetry reports into a static dashboard",
    long_about = "Turn Go-telemetry-style usage reports into a static dashboard like telemetry.go.dev.\n\n\
                  Exit codes: 0 success (an empty DATA included); 1 input errors (a report check \
                  failed, --strict tripped, or reports present but none valid); 2 usage or \
                  configuration errors.",
    after_help = TOP_EXAMPLES
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
    /// Check the configs and every report without writing a site
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Build into a temporary folder, serve it on localhost and rebuild on every change
    #[command(after_help = SERVE_EXAMPLES, mut_arg("base_url", |arg| arg.help(SERVE_BASE_URL)))]
    Serve(ServeArgs),
    /// Start a new project: data folder, configs, pages, site config and a Pages workflow
    #[command(after_help = INIT_EXAMPLES)]
    Init(InitArgs),
    /// Compact each day folder of the upload layout into one gzipped file, as telemetry.go.dev's merge step does
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Print a shell completion script to stdout
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
}

const TOP_EXAMPLES: &str = "Examples:
  telemetry-site init my-telemetry && cd my-telemetry
  telemetry-site build data site
  telemetry-site check data --max-age 3
  telemetry-site serve data";

const BUILD_EXAMPLES: &str = "Examples:
  telemetry-site build data/ site/
  telemetry-site build data/ site/ --strict --summary-json build-summary.json
  telemetry-site build data/ site/ --upload-config go/upload-config.json -j 2 -v

Settings may also come from DATA/telemetry-site.toml (keys named like the flags: title,
base_url, max_report_bytes, ...); flags override it.";

const CHECK_EXAMPLES: &str = "Examples:
  telemetry-site check data/
  telemetry-site check data/ --max-age 3    # also fail when no report arrived in 3 days
  telemetry-site check data/ --quiet && echo clean
  telemetry-site check data/ --from-summary build-summary.json   # after build --summary-json

Exit status: 0 clean; 1 a report was skipped, or the newest report is too old; 2 a
config (upload config, chart config or telemetry-site.toml) or the summary is broken.";

const SERVE_EXAMPLES: &str = "Examples:
  telemetry-site serve data/                      # http://127.0.0.1:1111/
  telemetry-site serve data/ --port 8000 --templates my-theme/
  telemetry-site serve data/ --base-path /telemetry/   # preview a GitHub project page
  telemetry-site serve data/ --interface 0.0.0.0       # reachable from other machines

The preview is built with --base-url set to the URL it is served at.";

/// `--base-url` in `serve --help`: accepted, as it is shared with `build`, but not used.
const SERVE_BASE_URL: &str = "Not used by serve: the preview's feed and 404 page link to the URL it is served at";

const INIT_EXAMPLES: &str = "Examples:
  telemetry-site init my-telemetry
  telemetry-site init . --minimal
  telemetry-site init my-telemetry --force   # replace the starter files, keep the rest

Then: telemetry-site build my-telemetry/data my-telemetry/site";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  telemetry-site completions bash > ~/.local/share/bash-completion/completions/telemetry-site
  telemetry-site completions zsh > ~/.zfunc/_telemetry-site
  telemetry-site completions fish > ~/.config/fish/completions/telemetry-site.fish";

const MERGE_EXAMPLES: &str = "Examples:
  telemetry-site merge data
  telemetry-site merge data --before 2026-11-01";

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Directory of reports whose `<DAY>/` folders are merged into `<DAY>.json.gz`
    pub data: PathBuf,
    /// Merge only the folders of days before DAY (YYYY-MM-DD) [default: today, UTC]
    #[arg(long, value_name = "DAY")]
    pub before: Option<String>,
    #[command(flatten)]
    pub inputs: InputArgs,
}

/// Inputs and site settings shared by `build` and `serve`.
#[derive(Debug, Args)]
pub struct SharedArgs {
    /// Directory of reports (upload or merged layout, optionally gzipped)
    pub data: PathBuf,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Site title [default: Telemetry]
    #[arg(long, help_heading = "Site")]
    pub title: Option<String>,
    /// Site description [default: "Usage statistics uploaded by users who opted in to telemetry."]
    #[arg(long, help_heading = "Site")]
    pub description: Option<String>,
    /// Absolute URL the site is published at (for the feed and the 404 page)
    #[arg(long, value_name = "URL", help_heading = "Site", value_parser = crate::site_config::parse_base_url)]
    pub base_url: Option<String>,
    /// Directory of templates overriding the built-in ones, file by file
    #[arg(long, value_name = "DIR", help_heading = "Site")]
    pub templates: Option<PathBuf>,
    /// Directory of static files overriding the built-in ones, file by file
    #[arg(long = "static", value_name = "DIR", help_heading = "Site")]
    pub static_dir: Option<PathBuf>,
    /// Directory of Markdown pages [default: <DATA>/pages when it exists]
    #[arg(long, value_name = "DIR", help_heading = "Site")]
    pub pages: Option<PathBuf>,
    /// Mark trend points resting on fewer than N uploaders as low-confidence [default: 30]
    #[arg(long, value_name = "N", help_heading = "Site")]
    pub trend_min_uploaders: Option<u32>,
    /// How each day's raw data is published: json (`data/<D>.json`, as telemetry.go.dev) or gz
    /// (`data/<D>.json.gz`, about a twelfth of the size) [default: json]
    #[arg(long, value_name = "FORMAT", value_enum, help_heading = "Site")]
    pub raw_data: Option<crate::raw_data::RawData>,
}

/// The configs and limits reports are read with (`build`, `check`, `serve`).
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Go upload config JSON [default: <DATA>/upload-config.json when it exists; otherwise inferred]
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub upload_config: Option<PathBuf>,
    /// Go chart config (titles, descriptions) [default: <DATA>/chart-config.txt when it exists]
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub chart_config: Option<PathBuf>,
    /// Largest report accepted, in bytes, its newline not counted [default: 102400]
    #[arg(long, value_name = "BYTES", help_heading = "Inputs")]
    pub max_report_bytes: Option<usize>,
    /// Largest size a file may decompress to, in bytes; stops gzip bombs [default: 1073741824 (1 GiB)]
    #[arg(long, value_name = "BYTES", help_heading = "Inputs")]
    pub max_file_bytes: Option<u64>,
    /// Worker threads, at least 1; more than 8 a core (and 64) are lowered to that [default: all cores]
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub shared: SharedArgs,
    /// Output directory; replaced as a whole when the build succeeds, but for its top-level dot entries (.git) and CNAME
    pub site: PathBuf,
    /// Fail (exit 1) when any report is skipped, leaving SITE as it was
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,
    /// Do not fail for skipped reports, whatever `strict` in telemetry-site.toml says
    #[arg(long, overrides_with = "strict")]
    pub no_strict: bool,
    /// Print only errors: no progress, no summary
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print a timing breakdown per stage
    #[arg(short, long)]
    pub verbose: bool,
    /// Write the end-of-build summary as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Incremental-build cache directory, safe to delete [default: .<SITE name>.cache beside SITE]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Build from scratch and keep no cache
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Directory of reports to check
    pub data: PathBuf,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Also fail when the newest valid report is more than DAYS days before today (UTC)
    #[arg(long, value_name = "DAYS")]
    pub max_age: Option<u32>,
    /// The day taken as today, YYYY-MM-DD (for tests) [default: today, UTC]
    #[arg(long, value_name = "DAY", hide = true)]
    pub today: Option<String>,
    /// Print only errors and the offending files
    #[arg(short, long)]
    pub quiet: bool,
    /// Write the check's summary as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Judge the summary a build wrote (`build --summary-json FILE`) instead of reading the
    /// reports again: the same verdict, in no time after a nightly build
    #[arg(long, value_name = "FILE")]
    pub from_summary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub shared: SharedArgs,
    /// Port to listen on; 0 picks a free one
    #[arg(short, long, default_value_t = 1111)]
    pub port: u16,
    /// Address to listen on
    #[arg(short, long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    pub interface: std::net::IpAddr,
    /// Serve the site under this path, as GitHub project pages do (`/REPO/`)
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub base_path: String,
    /// Print only errors
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the project in (created if needed)
    pub dir: PathBuf,
    /// Write a minimal one-program upload config and chart config instead of Go's
    #[arg(long)]
    pub minimal: bool,
    /// Replace starter files that already exist (other files are never touched)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl InputArgs {
    /// The configs and limits, flags first, then the site config, then defaults.
    pub fn apply(&self, config: &SiteConfig, opts: &mut BuildOptions) {
        let defaults = Limits::default();
        opts.upload_config = self.upload_config.clone().or_else(|| config.upload_config.clone());
        opts.chart_config = self.chart_config.clone().or_else(|| config.chart_config.clone());
        opts.limits = Limits {
            max_report_bytes: self.max_report_bytes.or(config.max_report_bytes).unwrap_or(defaults.max_report_bytes),
            max_file_bytes: self.max_file_bytes.or(config.max_file_bytes).unwrap_or(defaults.max_file_bytes),
        };
    }
}

impl SharedArgs {
    /// Build options writing into `site`, with settings from flags, then `config`, then defaults.
    pub fn options(&self, config: &SiteConfig, site: &Path, progress: Progress) -> BuildOptions {
        // Both checked and given their final `/` as they were read.
        let base_url = self.base_url.clone().or_else(|| config.base_url.clone());
        let pages = self
            .pages
            .clone()
            .or_else(|| config.pages.clone())
            .or_else(|| Some(self.data.join("pages")).filter(|p| p.is_dir()));
        let mut opts = BuildOptions {
            data: self.data.clone(),
            site: site.to_path_buf(),
            site_options: SiteOptions {
                title: self.title.clone().or_else(|| config.title.clone()).unwrap_or_else(|| DEFAULT_TITLE.into()),
                description: self
                    .description
                    .clone()
                    .or_else(|| config.description.clone())
                    .unwrap_or_else(|| DEFAULT_DESCRIPTION.into()),
                base_url,
                templates: self.templates.clone().or_else(|| config.templates.clone()),
                static_dir: self.static_dir.clone().or_else(|| config.static_dir.clone()),
                pages,
                trend_min_uploaders: self
                    .trend_min_uploaders
                    .or(config.trend_min_uploaders)
                    .unwrap_or(crate::trends::DEFAULT_MIN_UPLOADERS),
                raw_data: self.raw_data.or(config.raw_data).unwrap_or_default(),
            },
            progress,
            ..BuildOptions::default()
        };
        self.inputs.apply(config, &mut opts);
        opts
    }
}

/// `--jobs`: a number of threads, at least 1 (0 threads would do nothing; cargo refuses
/// `-j0` too).
fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 worker threads cannot do the work: give 1 or more (leave it out for all cores)".into()),
        Ok(jobs) => Ok(jobs),
        Err(e) => Err(e.to_string()),
    }
}

impl BuildArgs {
    /// Whether the build is strict: the last of `--strict` and `--no-strict` given, else
    /// `strict` of the site config, else not. (A `bool` flag alone could only switch the
    /// file's `strict = true` on, never off.)
    pub fn strict(&self, config: &SiteConfig) -> bool {
        match (self.strict, self.no_strict) {
            (true, _) => true,
            (_, true) => false,
            _ => config.strict == Some(true),
        }
    }
}

impl CheckArgs {
    /// Options for the analysis `check` runs (no site is written).
    pub fn options(&self, config: &SiteConfig, progress: Progress) -> BuildOptions {
        let mut opts = BuildOptions { data: self.data.clone(), progress, ..BuildOptions::default() };
        self.inputs.apply(config, &mut opts);
        opts
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

    #[test]
    fn flags_override_the_site_config_which_overrides_defaults() {
        let cli = Cli::parse_from(["telemetry-site", "build", "d", "s", "--title", "Flag"]);
        let Command::Build(args) = cli.command else { panic!("build") };
        let config = SiteConfig {
            title: Some("Config".into()),
            description: Some("From config".into()),
            max_report_bytes: Some(7),
            ..SiteConfig::default()
        };
        let opts = args.shared.options(&config, &args.site, Progress::Hidden);
        assert_eq!(opts.site_options.title, "Flag");
        assert_eq!(opts.site_options.description, "From config");
        assert_eq!(opts.limits.max_report_bytes, 7);
        assert_eq!(opts.limits.max_file_bytes, Limits::default().max_file_bytes);
        let opts = args.shared.options(&SiteConfig::default(), &args.site, Progress::Hidden);
        assert_eq!(opts.site_options.description, DEFAULT_DESCRIPTION);
    }

    #[test]
    fn strict_in_the_site_config_is_overridden_either_way_by_the_last_flag() {
        let strict = |flags: &[&str], config: Option<bool>| {
            let cli = Cli::parse_from(["telemetry-site", "build", "d", "s"].iter().chain(flags));
            let Command::Build(args) = cli.command else { panic!("build") };
            args.strict(&SiteConfig { strict: config, ..SiteConfig::default() })
        };
        assert!(strict(&[], Some(true)));
        assert!(!strict(&[], Some(false)));
        assert!(!strict(&[], None));
        assert!(!strict(&["--no-strict"], Some(true)));
        assert!(strict(&["--strict"], Some(false)));
        assert!(!strict(&["--strict", "--no-strict"], None));
        assert!(strict(&["--no-strict", "--strict"], Some(false)));
    }

    #[test]
    fn zero_jobs_is_a_usage_error() {
        for args in [&["build", "d", "s", "-j", "0"][..], &["serve", "d", "-j", "0"], &["check", "d", "--jobs", "0"]] {
            let error = Cli::try_parse_from(["telemetry-site"].iter().chain(args)).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation, "{args:?}");
            assert_eq!(error.exit_code(), 2);
            assert!(error.to_string().contains("give 1 or more"), "{error}");
        }
        let cli = Cli::parse_from(["telemetry-site", "merge", "d", "-j", "1"]);
        let Command::Merge(args) = cli.command else { panic!("merge") };
        assert_eq!(args.inputs.jobs, Some(1));
    }

    #[test]
    fn serve_help_says_base_url_is_not_used() {
        let help = |sub: &str| {
            let mut command = Cli::command();
            let sub = command.find_subcommand_mut(sub).unwrap();
            sub.render_help().to_string().split_whitespace().collect::<Vec<_>>().join(" ")
        };
        assert!(help("serve").contains("--base-url <URL> Not used by serve"), "{}", help("serve"));
        assert!(help("build").contains("--base-url <URL> Absolute URL the site is published at"));
    }

    #[test]
    fn every_subcommand_has_examples() {
        for sub in Cli::command().get_subcommands() {
            let help = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(help.starts_with("Examples:"), "{} has no examples", sub.get_name());
        }
    }
}
