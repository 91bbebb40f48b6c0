//! Reading, checking and aggregating DATA: the part of a build that `check` shares. The
//! configs are read first, then DATA is walked (under its lock, [`crate::data_lock`]),
//! every report read and checked, and the valid ones counted into chart sets.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::aggregate::uploaders::{self, Repeat, Uploaders};
use crate::aggregate::{self, Aggregates, Plan};
use crate::build::{BuildError, BuildOptions};
use crate::config::{ChartConfigFile, UploadConfig};
use crate::data_lock::DataLock;
use crate::ingest::{self, Catalog, Ingested};
use crate::progress::Progress;
use crate::stacks::StackIndex;
use crate::summary::Summary;

/// The configs a build runs with, as read from disk.
pub struct Configs {
    pub upload: Option<(UploadConfig, String)>,
    pub chart: ChartConfigFile,
    pub chart_text: Option<String>,
    pub upload_path: Option<PathBuf>,
    pub chart_path: Option<PathBuf>,
}

/// Reads both configs: explicit paths must exist; the defaults in DATA are optional.
pub fn load_configs(data: &Path, upload: Option<&Path>, chart: Option<&Path>) -> Result<Configs, BuildError> {
    let upload_path = pick(data, upload, "upload-config.json");
    let chart_path = pick(data, chart, "chart-config.txt");
    let upload = match &upload_path {
        Some(path) => {
            let text = read_config(path)?;
            let config =
                UploadConfig::parse(&text).map_err(|e| BuildError::Config(format!("`{}`: {e}", path.display())))?;
            Some((config, text))
        }
        None => None,
    };
    let (chart, chart_text) = match &chart_path {
        Some(path) => {
            let text = read_config(path)?;
            let parsed =
                ChartConfigFile::parse(&text).map_err(|e| BuildError::Config(format!("`{}`: {e}", path.display())))?;
            (parsed, Some(text))
        }
        None => (ChartConfigFile::default(), None),
    };
    Ok(Configs { upload, chart, chart_text, upload_path, chart_path })
}

fn pick(data: &Path, explicit: Option<&Path>, default_name: &str) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Some(data.join(default_name)).filter(|p| p.is_file()),
    }
}

fn read_config(path: &Path) -> Result<String, BuildError> {
    std::fs::read_to_string(path)
        .map_err(|e| BuildError::Config(format!("`{}`: cannot read the config: {e}", path.display())))
}

/// Ingested and aggregated data, before anything is written.
pub struct Analysis {
    pub configs: Configs,
    pub upload_config: UploadConfig,
    pub ingested: Ingested,
    pub aggregates: Aggregates,
    /// Who uploaded on which day, for the next build's cache (when one is made).
    pub uploaders: Option<Uploaders>,
    /// Every stack uploaded, by day, for the stacks pages (when the site is built).
    pub stacks: Option<StackIndex>,
    pub stages: Vec<(String, f64)>,
    /// What the reading noted for the summary (that it waited for a `merge`): filled by
    /// [`analyse`]; a build keeps its notes itself.
    pub notes: Vec<String>,
}

/// What [`analyse_with`] keeps beside the counts.
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    /// A cache for the next build.
    pub cache: bool,
    /// The digest of every file's stat, taken as it is opened
    /// ([`ingest::IngestOptions::keep_stats`]).
    pub stats: bool,
    /// The stack index, for the stacks pages.
    pub stacks: bool,
    /// The valid reports' texts, spooled for the raw data and the stacks pages.
    pub texts: bool,
}

impl Keep {
    /// The counts only, as `check` needs: nothing is spooled.
    pub const COUNTS: Keep = Keep { cache: false, stats: false, stacks: false, texts: false };
}

/// Reads, checks and aggregates DATA (the part of a build that `check` shares), keeping
/// no report's text.
pub fn analyse(opts: &BuildOptions) -> Result<Analysis, BuildError> {
    let clock = Instant::now();
    check_data_dir(&opts.data)?;
    let mut notes = Vec::new();
    let _data = lock_data(opts, &mut notes);
    let configs = load_configs(&opts.data, opts.upload_config.as_deref(), opts.chart_config.as_deref())?;
    let configured = clock.elapsed().as_secs_f64();
    let found = ingest::discover_data(&opts.data, false)?;
    let walked = clock.elapsed().as_secs_f64() - configured;
    // Nothing is spooled, so there is no spool folder to name.
    let mut analysis = analyse_with(opts, found, configs, (Path::new(""), ""), None, Keep::COUNTS)?;
    analysis.stages.splice(0..0, [("config".into(), configured), ("walk".into(), walked)]);
    analysis.notes = notes;
    Ok(analysis)
}

/// DATA's lock, shared with other readers: a `merge` of DATA is waited for (saying so on
/// stderr, unless quiet, and in a note), as it removes the files it merges.
pub(crate) fn lock_data(opts: &BuildOptions, notes: &mut Vec<String>) -> DataLock {
    let mut waited = false;
    let lock = DataLock::read(&opts.data, || {
        if opts.progress != Progress::Hidden {
            eprintln!("waiting for a `merge` of `{}` to finish before reading it", opts.data.display());
        }
        waited = true;
    });
    if waited {
        notes.push("waited for a `merge` of DATA to finish before reading it".to_string());
    }
    lock
}

/// A DATA that is not a directory is an error, given before the configs are read (so that
/// a missing DATA is what is named) and before DATA is walked (by
/// [`ingest::discover_data`], which lists its files, stat'ed if asked).
pub(crate) fn check_data_dir(data: &Path) -> Result<(), BuildError> {
    if data.is_dir() {
        return Ok(());
    }
    Err(BuildError::Config(format!("`{}`: the data directory does not exist or is not a directory", data.display())))
}

/// [`analyse`], reusing what `previous` proves unchanged, and making a cache and the
/// stack index when asked.
pub fn analyse_with(
    opts: &BuildOptions,
    found: ingest::Discovery,
    configs: Configs,
    (spool_parent, spool_prefix): (&Path, &str),
    previous: Option<ingest::incremental::Previous<'_>>,
    keep: Keep,
) -> Result<Analysis, BuildError> {
    let Keep { cache: make_cache, stats: keep_stats, stacks: index_stacks, texts: keep_texts } = keep;
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &str, stages: &mut Vec<(String, f64)>| {
        stages.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let catalog = match &configs.upload {
        Some((config, _)) => Catalog::fixed(config),
        None => Catalog::open(),
    };
    let stage = opts.progress.stage("reading reports", "files");
    let options = ingest::IngestOptions {
        limits: &opts.limits,
        spool_parent,
        spool_prefix,
        make_cache,
        keep_stats,
        keep_texts,
        progress: &stage,
        cpu_times: opts.cpu_times,
    };
    let ingested = ingest::ingest(found, catalog, &options, previous)?;
    stage.finish();
    lap("ingest", &mut stages);
    stages.pop();
    stages.extend(ingested.stages.iter().cloned());
    let stage = opts.progress.stage("aggregating", "");
    let keys = ingested.catalog.keys();
    let names = ingested.catalog.program_names();
    let (plan, upload_config) = match &configs.upload {
        Some((config, _)) => (Plan::from_config(config), config.clone()),
        None => Plan::infer(&keys, &names, &ingested.keys_in_use(keys.len())),
    };
    let key_buckets = plan.key_buckets(&keys, &names);
    let partial = ingested.partial.as_ref();
    let kept: Vec<&Repeat> = partial.map_or_else(Vec::new, |p| p.uploaders.kept_repeats(&p.days).collect());
    let groups = uploaders::groups(&ingested.records, &kept);
    // The uploaders left for the next build and the stack index are independent of the
    // counts: made beside them.
    let ((aggregates, uploaders), stacks) = rayon::join(
        || {
            rayon::join(
                || aggregate::aggregate(plan, &ingested.records, &key_buckets, partial, &groups),
                || {
                    let days = partial.map(|p| (&p.uploaders, &p.days));
                    make_cache.then(|| Uploaders::after(&ingested.records, &groups, days))
                },
            )
        },
        || index_stacks.then(|| StackIndex::read(&ingested)).transpose(),
    );
    let stacks = stacks.map_err(|source| crate::site::WriteError { path: "spool".into(), source })?;
    stage.finish();
    lap("aggregate", &mut stages);
    Ok(Analysis { configs, upload_config, ingested, aggregates, uploaders, stacks, stages, notes: Vec::new() })
}

/// The summary of an analysis (counts, skips, chart sets), without write figures.
pub fn summarise(analysis: &Analysis, stages: Vec<(String, f64)>) -> Summary {
    let ingested = &analysis.ingested;
    let mut summary = Summary {
        files_read: ingested.files.len() as u64,
        reports_read: ingested.reports_read,
        reports_valid: ingested.valid_reports(),
        unrecognised: ingested.unrecognised.clone(),
        upload_config: describe(&analysis.configs.upload_path, "none: inferred from the data"),
        chart_config: describe(&analysis.configs.chart_path, "none: no chart titles or descriptions"),
        newest_day: ingested.newest_day().map(|d| d.to_string()),
        stages,
        notes: analysis.notes.clone(),
        ..Summary::default()
    };
    summary.set_skips(&ingested.skipped, &ingested.skips);
    for set in &analysis.aggregates.sets {
        if set.is_daily() {
            summary.daily_chart_sets += 1;
        } else {
            summary.weekly_chart_sets += 1;
        }
        summary.chart_sets.push(set.name());
    }
    if analysis.configs.upload.is_none() {
        summary.notes.push(format!(
            "no upload config: inferred {} programs from the data; no report was rejected as unknown",
            analysis.upload_config.programs.len()
        ));
    }
    summary
}

fn describe(path: &Option<PathBuf>, none: &str) -> String {
    path.as_ref().map(|p| format!("`{}`", p.display())).unwrap_or_else(|| none.to_string())
}
