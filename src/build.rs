//! `telemetry-site build`: the whole pipeline, as a list of timed stages.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::{analyse_with, check_data_dir, load_configs, lock_data, summarise, Analysis, Configs, Keep};
use crate::cache;
use crate::ingest::{self, Limits};
use crate::progress::Progress;
use crate::render::{self, SiteContext, SiteOptions};
use crate::site::{SiteLock, Staging};
use crate::summary::Summary;

/// Everything `build` needs, already checked by the command line.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub data: PathBuf,
    pub site: PathBuf,
    /// An explicit upload config; `<DATA>/upload-config.json` is used when this is `None`.
    pub upload_config: Option<PathBuf>,
    pub chart_config: Option<PathBuf>,
    pub limits: Limits,
    pub site_options: SiteOptions,
    /// Where the incremental-build cache lives (default: `.<SITE name>.cache` beside SITE).
    pub cache_dir: Option<PathBuf>,
    /// Build from scratch and keep no cache.
    pub no_cache: bool,
    /// Fail, leaving the site as it was, when any report is skipped (`--strict`).
    pub strict: bool,
    /// How the stages show their progress (hidden by default).
    pub progress: Progress,
    /// Whether ingest measures the CPU time of reading, parsing and spooling (for `-v`):
    /// it reads the clock five times per report, and around each decompression.
    pub cpu_times: bool,
}

impl BuildOptions {
    /// The cache directory: `--cache`, or `.<SITE name>.cache` beside `<SITE>`.
    pub fn cache_dir(&self) -> PathBuf {
        if let Some(dir) = &self.cache_dir {
            return dir.clone();
        }
        let name = self.site.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "site".into());
        let parent = self.site.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        parent.join(format!(".{name}.cache"))
    }
}

/// Why a build could not be done (as opposed to reports it skipped).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A configuration file is missing, unreadable or malformed: exit code 2.
    #[error("{0}")]
    Config(String),
    /// The data directory cannot be read: exit code 2.
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    #[error(transparent)]
    Write(#[from] crate::site::WriteError),
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// The build failed before its site was put in place: SITE is as the last build left
    /// it (a disk that filled up while the new site was written, say).
    #[error("{0}; the site is left as it was")]
    SiteUnchanged(Box<BuildError>),
}

impl BuildError {
    /// What went wrong, whether or not the site was left as it was.
    pub fn cause(&self) -> &BuildError {
        match self {
            BuildError::SiteUnchanged(cause) => cause.cause(),
            other => other,
        }
    }

    /// For a failure before the site is put in place: says the site is unchanged.
    fn site_unchanged(self) -> BuildError {
        match self {
            already @ BuildError::SiteUnchanged(_) => already,
            cause => BuildError::SiteUnchanged(Box::new(cause)),
        }
    }
}

/// DATA, SITE and the cache (when one is kept) overlapping is an error, found before
/// anything is written (see [`crate::folders`]).
fn check_folders(opts: &BuildOptions) -> Result<(), BuildError> {
    use crate::folders::{check_apart, Folder};
    if opts.site.file_name().is_none() {
        return Err(BuildError::Config(format!(
            "SITE `{}` names no folder of its own: give one such as `site` (a build replaces SITE whole, \
             and keeps its lock, spare tree and cache beside it)",
            opts.site.display()
        )));
    }
    // The maintainer's folders are checked now, not once every report has been read.
    let site = &opts.site_options;
    for (flag, dir) in [("--templates", &site.templates), ("--static", &site.static_dir), ("--pages", &site.pages)] {
        if let Some(dir) = dir.as_deref().filter(|dir| !dir.is_dir()) {
            return Err(BuildError::Config(format!(
                "`{}`: the {flag} folder does not exist or is not a directory",
                dir.display()
            )));
        }
    }
    if crate::folders::is_mount_point(&opts.site) {
        return Err(BuildError::Config(format!(
            "SITE `{}` is a mount point: a build puts the new site in place by renaming it over SITE, \
             which a mount point refuses; build into a folder inside it, or mount the folder above it",
            opts.site.display()
        )));
    }
    let cache = opts.cache_dir();
    let mut folders = vec![Folder { role: "DATA", path: &opts.data }, Folder { role: "SITE", path: &opts.site }];
    if !opts.no_cache {
        folders.push(Folder { role: "the cache", path: &cache });
    }
    check_apart(&folders).map_err(BuildError::Config)
}

/// Builds the site. Skipped reports are counted in the summary, not errors.
///
/// The steps: look at DATA and the configs (and stop there when nothing changed since
/// the last build), read them (taking from the cache what it proves unchanged), render the
/// site into a staging tree, put it in place, and sum up.
pub fn build(opts: &BuildOptions) -> Result<Summary, BuildError> {
    let through_link;
    let opts = match crate::folders::link_target(&opts.site) {
        Some(target) => {
            through_link = BuildOptions { site: target, ..opts.clone() };
            &through_link
        }
        None => opts,
    };
    check_folders(opts)?;
    let mut run = Run::start(opts);
    let _lock = SiteLock::acquire(&opts.site)?;
    crate::site::remove_stale_spools(&opts.site);
    let _data = lock_data(opts, &mut run.notes);
    let looked = match look(&mut run).map_err(BuildError::site_unchanged)? {
        Look::Unchanged(summary, found) => {
            // A million paths, two allocations each: not freed one by one before the exit.
            free_in_background(found);
            run.cpu.lap("walk + compare");
            let walked = run.stages.iter().map(|(_, seconds)| seconds).sum();
            return Ok(replay(summary, walked, run.started, run.cpu.into_parts()));
        }
        Look::Changed(looked) => looked,
    };
    // The staging tree (the spare site taken back and listed) depends on nothing the data
    // holds: it is made on a thread of its own while the cache is loaded and the reports
    // are read. A build that fails then drops it, the spare with it, and the next build
    // writes every file, as a first build does.
    std::thread::scope(|outer| {
        let staging = outer.spawn(|| Staging::new(&opts.site, !opts.no_cache));
        let mut read = read(&mut run, looked).map_err(BuildError::site_unchanged)?;
        let staging = staging.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut staging = staging.map_err(|e| BuildError::from(e).site_unchanged())?;
        let ingested = &read.analysis.ingested;
        let counts = (ingested.reports_read, ingested.skipped.iter().sum(), ingested.valid_reports());
        if let Some(why) = crate::summary::refusal(opts.strict, counts) {
            // Dropped, the staging tree goes (the spare with it: the next build writes
            // every file, as after any failed build).
            drop(staging);
            return Ok(refuse(run, read, why));
        }
        let rendered = render_site(&mut run, &mut read, &mut staging).map_err(BuildError::site_unchanged)?;
        let written = write_site(&mut run, &read, staging, rendered)?;
        Ok(sum_up(run, read, written))
    })
}

/// A build under way: its options, its clocks, the stages timed so far and its notes.
struct Run<'o> {
    opts: &'o BuildOptions,
    started: Instant,
    /// Since the end of the last stage timed.
    clock: Instant,
    cpu: crate::cpu::CpuParts,
    stages: Vec<(String, f64)>,
    notes: Vec<String>,
    cache_dir: PathBuf,
}

impl Run<'_> {
    fn start(opts: &BuildOptions) -> Run<'_> {
        let (started, cpu) = (Instant::now(), crate::cpu::CpuParts::start());
        let cache_dir = opts.cache_dir();
        Run { opts, started, clock: started, cpu, stages: Vec::new(), notes: Vec::new(), cache_dir }
    }

    /// Times the stage `name`, from the end of the last one to now.
    fn lap(&mut self, name: &str) {
        self.stages.push((name.into(), self.clock.elapsed().as_secs_f64()));
        self.clock = Instant::now();
    }
}

/// What [`look`] found: the last build's summary when nothing changed since.
enum Look {
    Unchanged(Summary, ingest::Discovery),
    Changed(Looked),
}

/// DATA and the configs, as found.
struct Looked {
    found: ingest::Discovery,
    configs: Configs,
    /// The inputs' key for the snapshot, when it is known before the files are read.
    key: Option<u64>,
    /// Whether the key waits until the files are read (see [`look`]).
    defer_key: bool,
}

/// Reads the configs and walks DATA; with a snapshot of the last build, compares them
/// with it.
fn look(run: &mut Run<'_>) -> Result<Look, BuildError> {
    let opts = run.opts;
    // With no snapshot to compare with, the inputs' key waits until they are read: their
    // stats are then those of the files as opened, not a stat of a million paths first.
    // With one, every file is stat'ed as the walk lists it.
    let snapshot = !opts.no_cache && crate::snapshot::exists(&run.cache_dir);
    let defer_key = !opts.no_cache && !snapshot;
    // The configs first: a config that cannot be read fails the build at once, not after
    // a walk of a million files.
    check_data_dir(&opts.data)?;
    let configs = load_configs(&opts.data, opts.upload_config.as_deref(), opts.chart_config.as_deref())?;
    run.lap("config");
    let mut found = ingest::discover_data(&opts.data, snapshot)?;
    run.lap("walk");
    let key = if opts.no_cache || defer_key {
        None
    } else {
        crate::snapshot::inputs_key(opts, crate::snapshot::Inputs::of(&mut found), config_texts(&configs))
    };
    if let Some(summary) = key.and_then(|key| crate::snapshot::unchanged(&run.cache_dir, key, &opts.site)) {
        return Ok(Look::Unchanged(summary, found));
    }
    if let Err(e) = crate::snapshot::forget(&run.cache_dir) {
        run.notes.push(format!("cache `{}`: cannot remove the old snapshot: {e}", run.cache_dir.display()));
    }
    run.lap("compare");
    Ok(Look::Changed(Looked { found, configs, key, defer_key }))
}

/// What a build read, and what it knows of the build before it.
struct Read {
    analysis: Analysis,
    /// The inputs' key for the snapshot (see [`Looked::key`]).
    key: Option<u64>,
    /// The fingerprint the cache is made with: none without an upload config.
    fingerprint: Option<u64>,
    /// Whether a previous build's cache was used.
    incremental: bool,
    /// The previous build's outputs: its raw data files and its rendered files.
    outputs_before: Option<(cache::DataFiles, cache::Outputs)>,
}

/// Loads the last build's cache, then reads and aggregates DATA, taking from the cache
/// what it proves unchanged.
fn read(run: &mut Run<'_>, looked: Looked) -> Result<Read, BuildError> {
    let opts = run.opts;
    // What decides ingest outcomes; without an upload config key ids depend on the data
    // and nothing is cached.
    let fingerprint = looked.configs.upload.as_ref().map(|(_, text)| cache::fingerprint(text, &opts.limits));
    let previous_cache = match (fingerprint, opts.no_cache) {
        (Some(print), false) if opts.site.is_dir() => load_cache(&run.cache_dir, print, &mut run.notes),
        _ => None,
    };
    let incremental = previous_cache.is_some();
    let outputs_before = previous_cache.as_ref().map(|c| (c.data_files.clone(), c.outputs.clone()));
    let previous = previous_cache.map(|cache| ingest::incremental::Previous {
        cache,
        site: &opts.site,
        raw_data: opts.site_options.raw_data,
    });
    let make_cache = fingerprint.is_some() && !opts.no_cache;
    run.lap("cache");
    let keep = Keep { cache: make_cache, stats: looked.defer_key, stacks: true, texts: true };
    let (spool_parent, spool_prefix) = crate::site::spool_prefix(&opts.site);
    let spool = (spool_parent.as_path(), spool_prefix.as_str());
    let mut analysis = analyse_with(opts, looked.found, looked.configs, spool, previous, keep)?;
    // A deferred key (`looked.key` is then `None`) is made once the files were stat'ed as
    // read; none when a stat failed.
    let key = match (analysis.ingested.stats_digest, looked.defer_key) {
        (Some(digest), true) => {
            let inputs =
                crate::snapshot::Inputs { stats_digest: Some(digest), unrecognised: &analysis.ingested.unrecognised };
            crate::snapshot::inputs_key(opts, inputs, config_texts(&analysis.configs))
        }
        _ => looked.key,
    };
    // No snapshot when a file could not be read for a reason outside it: the next build
    // must look again, not find "nothing changed".
    let key = key.filter(|_| analysis.ingested.unsettled == 0);
    run.stages.append(&mut analysis.stages);
    run.clock = Instant::now();
    Ok(Read { analysis, key, fingerprint, incremental, outputs_before })
}

/// What rendering left besides the staging tree.
struct Rendered {
    stats: render::RenderStats,
    /// The cache for the next build, with its fingerprint.
    next_cache: Option<(cache::Cache, u64)>,
    /// Its save, started while the site was rendered.
    saving: Option<std::thread::Result<std::io::Result<cache::Saving>>>,
}

/// Renders the site into `staging`, and writes the next build's cache meanwhile.
fn render_site(run: &mut Run<'_>, read: &mut Read, staging: &mut Staging) -> Result<Rendered, BuildError> {
    let opts = run.opts;
    let analysis = &mut read.analysis;
    let unchanged = analysis.ingested.unchanged;
    if let Some((_, outputs)) = &read.outputs_before {
        staging.remember(outputs.clone());
    }
    let next_cache = match analysis.ingested.cache.take() {
        Some(cache) => Some(cache),
        None if unchanged => analysis.ingested.previous.take(),
        None => None,
    };
    let next_cache = next_cache.zip(read.fingerprint).map(|(mut cache, print)| {
        cache.sets = analysis.aggregates.sets.clone();
        cache.duplicates = std::mem::take(&mut analysis.ingested.duplicates);
        cache.uploaders = analysis.uploaders.take().unwrap_or_default();
        (cache, print)
    });
    let ctx = SiteContext {
        aggregates: &analysis.aggregates,
        ingested: &analysis.ingested,
        upload_config: &analysis.upload_config,
        upload_config_inferred: analysis.configs.upload.is_none(),
        chart_config: &analysis.configs.chart,
        chart_config_text: analysis.configs.chart_text.as_deref(),
        newest_day: analysis.ingested.newest_day(),
        options: &opts.site_options,
    };
    let stage = opts.progress.stage("rendering", "");
    run.cpu.lap("before render");
    // The cache, but for the site's outputs, is written while the site is rendered (when
    // nothing changed, it is saved afterwards, and only if the outputs did change).
    let cache_dir = &run.cache_dir;
    let (stats, saving) = std::thread::scope(|scope| {
        let saving = next_cache
            .as_ref()
            .filter(|_| !unchanged)
            .map(|(cache, print)| scope.spawn(|| cache::start_save(cache_dir, *print, cache)));
        let stacks = analysis.stacks.take().unwrap_or_default();
        let stats = render::render(&ctx, stacks, staging);
        (stats, saving.map(|thread| thread.join()))
    });
    let mut stats = stats?;
    run.notes.append(&mut stats.notes);
    stage.finish();
    run.lap("render");
    run.cpu.lap("render");
    run.stages.extend(stats.stages.iter().cloned());
    run.clock = Instant::now();
    Ok(Rendered { stats, next_cache, saving })
}

/// What putting the site in place wrote and listed.
struct Written {
    pages: u64,
    totals: crate::site::Totals,
    /// Rendered outputs whose files were kept from the previous site.
    outputs_reused: u64,
    /// The new site's files, for the snapshot (when it is saved).
    site_files: Option<std::io::Result<Vec<(String, u64, i64)>>>,
}

/// Puts the staged site in place of the old one, and finishes the next build's cache
/// with the outputs as they now are.
fn write_site(run: &mut Run<'_>, read: &Read, staging: Staging, rendered: Rendered) -> Result<Written, BuildError> {
    let opts = run.opts;
    let totals = staging.totals();
    let stage = opts.progress.stage("writing the site", "");
    let (memo, outputs_reused) = staging.memo();
    let old_site = staging.commit(&opts.site).map_err(|e| BuildError::from(e).site_unchanged())?;
    let Rendered { stats, next_cache, saving } = rendered;
    let (cache_dir, notes) = (&run.cache_dir, &mut run.notes);
    // The old site is kept as the spare (or removed) and the new site listed while the
    // cache is finished.
    let ((removed, site_files), ()) = rayon::join(
        || (old_site.finish(), read.key.map(|_| crate::snapshot::site_files(&opts.site))),
        || {
            let Some((mut cache, print)) = next_cache else { return };
            let raw_data = opts.site_options.raw_data;
            let days = read.analysis.aggregates.days().map(|set| (set.end, raw_data.rel(set.end)));
            note_outputs(&mut cache, &opts.site, days, memo);
            let before = read.outputs_before.as_ref().map(|(data, outputs)| (data, outputs));
            if let Err(e) = save_cache(cache_dir, (&cache, print), saving, before) {
                notes.push(format!("cache `{}` not saved: {e}", cache_dir.display()));
            }
        },
    );
    removed?;
    stage.finish();
    run.lap("write");
    run.cpu.lap("write");
    Ok(Written { pages: stats.pages, totals, outputs_reused, site_files })
}

/// The build's summary; the snapshot of this build saved for the next one to compare with.
fn sum_up(mut run: Run<'_>, read: Read, written: Written) -> Summary {
    let opts = run.opts;
    let analysis = read.analysis;
    let mut summary = summarise(&analysis, run.stages);
    summary.cpu = run.cpu.into_parts();
    summary.spool_write_seconds = analysis.ingested.spool.write_seconds();
    if read.incremental {
        run.notes.push(incremental_note(&analysis, written.outputs_reused));
    }
    if analysis.ingested.unsettled > 0 {
        let n = analysis.ingested.unsettled;
        let (s, it) = if n == 1 { ("", "it") } else { ("s", "them") };
        run.notes.push(format!(
            "{n} file{s} could not be read for a reason outside {it} (see `unreadable` above): the next build reads {it} again"
        ));
    }
    if opts.site_options.base_url.is_none() {
        run.notes.push("no base URL (`--base-url`): `feed.xml` left out, as a feed needs absolute links".into());
    }
    let totals = written.totals;
    run.notes.extend(crate::raw_data::size_note(totals.site_bytes, opts.site_options.raw_data));
    summary.notes.extend(run.notes);
    summary.pages = written.pages;
    summary.files_written = totals.files_written;
    summary.bytes_written = totals.bytes_written;
    summary.site_files = totals.site_files;
    summary.site_bytes = totals.site_bytes;
    if let (Some(key), Some(files)) = (read.key, written.site_files) {
        if let Err(e) = files.and_then(|files| crate::snapshot::save(&run.cache_dir, key, files, &summary)) {
            summary.notes.push(format!("cache `{}`: snapshot not saved: {e}", run.cache_dir.display()));
        }
    }
    // The spool's files go now; the memory is freed while the summary is printed.
    let _ = analysis.ingested.spool.remove();
    free_in_background(analysis);
    summary.seconds = run.started.elapsed().as_secs_f64();
    summary
}

/// The summary of a build that failed by [`crate::summary::refusal`] before it rendered
/// anything: what it read and skipped, and why; the site and the cache are as they were.
fn refuse(run: Run<'_>, read: Read, why: String) -> Summary {
    let analysis = read.analysis;
    let mut summary = Summary {
        stages: run.stages,
        cpu: run.cpu.into_parts(),
        notes: run.notes,
        refused: Some(why),
        ..summarise(&analysis, Vec::new())
    };
    summary.daily_chart_sets = 0;
    summary.weekly_chart_sets = 0;
    summary.chart_sets.clear();
    summary.spool_write_seconds = analysis.ingested.spool.write_seconds();
    let _ = analysis.ingested.spool.remove();
    free_in_background(analysis);
    summary.seconds = run.started.elapsed().as_secs_f64();
    summary
}

/// The cache in `cache_dir` made with the upload config and limits `fingerprint`, or
/// `None`, with a note of why when there is one but it cannot be trusted.
fn load_cache(cache_dir: &Path, fingerprint: u64, notes: &mut Vec<String>) -> Option<cache::Cache> {
    match cache::load(cache_dir, fingerprint) {
        Ok(cache) => Some(cache),
        Err(why) => {
            if cache::file_in(cache_dir).exists() {
                notes.push(format!("cache `{}` ignored ({why}): building from scratch", cache_dir.display()));
            }
            None
        }
    }
}

/// Records in `cache` the site's outputs as this build left them: the raw data of each
/// of `days` (a day and its file's path in the site) and each rendered file of `memo`
/// (path and the fingerprint it was rendered from), with their stats.
fn note_outputs(
    cache: &mut cache::Cache,
    site: &Path,
    days: impl Iterator<Item = (crate::day::Day, String)>,
    memo: Vec<(String, u64)>,
) {
    cache.data_files.clear();
    cache.outputs.clear();
    for (day, rel) in days {
        if let Ok(stat) = cache::FileStat::of(&site.join(rel)) {
            cache.data_files.insert(day.0, stat);
        }
    }
    for (rel, print) in memo {
        if let Ok(stat) = cache::FileStat::of(&site.join(&rel)) {
            cache.outputs.insert(rel, (print, stat));
        }
    }
}

/// Saves `cache` once its outputs are noted: finishes the save started while the site
/// was rendered, or else saves it whole, unless its outputs are those of the cache it was
/// loaded from (`before`: its raw data files and its rendered outputs), as when nothing
/// changed.
fn save_cache(
    cache_dir: &Path,
    (cache, print): (&cache::Cache, u64),
    saving: Option<std::thread::Result<std::io::Result<cache::Saving>>>,
    before: Option<(&cache::DataFiles, &cache::Outputs)>,
) -> std::io::Result<()> {
    match saving {
        Some(Ok(started)) => started.and_then(|saving| saving.finish(&cache.data_files, &cache.outputs)),
        Some(Err(_)) => Err(std::io::Error::other("the thread writing it panicked")),
        None if before.is_some_and(|(data, outputs)| *data == cache.data_files && *outputs == cache.outputs) => Ok(()),
        None => cache::save(cache_dir, print, cache),
    }
}

/// What an incremental build took from its cache and did again.
fn incremental_note(analysis: &Analysis, outputs_reused: u64) -> String {
    let ingested = &analysis.ingested;
    let recounted = ingested.records.chunk_by(|a, b| a.day == b.day).count();
    format!(
        "incremental: {} of {} files taken from the cache, {recounted} of {} days recounted, {outputs_reused} outputs reused, {} reports counted again without keeping their texts (their days' raw data stays)",
        ingested.files_reused,
        ingested.files.len(),
        analysis.aggregates.days().count(),
        ingested.textless,
    )
}

/// Drops `value` on a thread of its own. A year's analysis holds a million records, each
/// with its own allocation, and freeing them took 0.15 s on one core after the site was
/// already written. A value dropped this way must have no `Drop` with effects outside
/// memory (files, locks): when the process exits first, the drop is simply not finished.
pub fn free_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// The texts of the upload and chart configs, as the inputs' key takes them.
fn config_texts(configs: &Configs) -> [Option<&str>; 2] {
    [configs.upload.as_ref().map(|(_, text)| text.as_str()), configs.chart_text.as_deref()]
}

/// The summary of a build that found nothing changed since the last one.
fn replay(mut summary: Summary, walked: f64, started: Instant, cpu: Vec<(String, crate::cpu::CpuTime)>) -> Summary {
    summary.notes.retain(|note| !note.starts_with("incremental:"));
    summary.notes.push("nothing changed since the last build: the site is left as it is".into());
    let seconds = started.elapsed().as_secs_f64();
    summary.stages = vec![("walk".into(), walked), ("compare".into(), seconds - walked)];
    summary.cpu = cpu;
    summary.spool_write_seconds = 0.0;
    summary.files_written = 0;
    summary.bytes_written = 0;
    summary.seconds = seconds;
    summary
}
