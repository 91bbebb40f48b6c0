//! One module per subcommand: each takes its parsed arguments, prints what it has to say
//! (errors as `error: ...` on stderr) and returns the process's [`Exit`] status.

pub mod build;
pub mod check;
pub mod completions;
pub mod init;
pub mod merge;
pub mod serve;

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::site_config::SiteConfig;

/// The exit statuses, as the README documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done (an empty DATA included).
    Success = 0,
    /// 1: input errors: a report check failed, `--strict` tripped, or no report was valid.
    Input = 1,
    /// 2: usage or configuration errors (clap exits 2 on a bad command line too).
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Exit {
    let result = match cli.command {
        Command::Build(args) => build::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Completions(args) => completions::run(&args),
    };
    result.unwrap_or_else(|exit| exit)
}

/// Prints `error: {message}` and gives `exit`, for `?` in the commands.
pub(crate) fn fail(exit: Exit, message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {message}");
    exit
}

/// Reads `<DATA>/telemetry-site.toml` (exit 2 on a mistake in it).
pub(crate) fn site_config(data: &Path) -> Result<SiteConfig, Exit> {
    SiteConfig::load(data).map_err(|e| fail(Exit::Usage, e))
}

/// Sizes rayon's global pool once, before any parallel work (`--jobs` is at least 1: the
/// command line refuses 0). More than [`most_jobs`] are lowered to it, with a note unless
/// `quiet`.
pub(crate) fn set_jobs(jobs: Option<usize>, quiet: bool) -> Result<(), Exit> {
    let Some(asked) = jobs else { return Ok(()) };
    let jobs = asked.min(most_jobs(std::thread::available_parallelism().map_or(1, |n| n.get())));
    if jobs < asked && !quiet {
        eprintln!(
            "note: --jobs {asked} lowered to {jobs} (8 a core, and at least 64): more threads only wait on one another"
        );
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build_global()
        .map_err(|e| fail(Exit::Usage, format!("cannot start {jobs} worker threads: {e}")))
}

/// The most worker threads a command starts on `cores` cores: 8 a core, and at least 64.
/// More only wait: waiting on the disk, `merge` gains from a few threads a core, but past
/// a few hundred, rayon's threads spend their time looking at one another for work. The
/// sample's build took 0.45 s with `-j 64`, 5.9 s with `-j 1000` and 68 s with `-j 4000`.
fn most_jobs(cores: usize) -> usize {
    (8 * cores).max(64)
}

/// A `--summary-json` path that cannot be written (a folder, a file or folder we may not
/// write, a file where a folder should be) is an error before the build, not after its
/// site is in place. So is one inside `data`: it would replace an input (the upload
/// config, a day's reports) or be read as reports by the next build.
fn check_summary_path(path: Option<&Path>, data: &Path) -> Result<(), Exit> {
    let Some(path) = path else { return Ok(()) };
    let cannot = |why: String| fail(Exit::Usage, format!("`{}`: cannot write the summary: {why}", path.display()));
    if crate::folders::resolve(path).starts_with(crate::folders::resolve(data)) {
        return Err(cannot(format!(
            "it is inside DATA `{}`, whose files are inputs: write it beside DATA instead",
            data.display()
        )));
    }
    if path.is_dir() {
        return Err(cannot("it is a directory".into()));
    }
    if path.exists() {
        // Opened to append, so an existing summary keeps its bytes until it is replaced.
        return std::fs::OpenOptions::new().append(true).open(path).map(drop).map_err(|e| cannot(e.to_string()));
    }
    // The folders still to make are made by `write_summary`; the nearest one that exists
    // must take a new file. An unnamed temporary file proves it and leaves nothing behind.
    let existing = path.ancestors().skip(1).find(|a| a.as_os_str().is_empty() || a.exists());
    let existing = existing.filter(|a| !a.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !existing.is_dir() {
        return Err(cannot(format!("`{}` is not a directory", existing.display())));
    }
    tempfile::tempfile_in(existing).map(drop).map_err(|e| cannot(e.to_string()))
}

/// Writes `summary` as JSON to `path` (`--summary-json`), making its folder when missing
/// (`--summary-json out/build-summary.json`).
fn write_summary(path: &std::path::Path, summary: &crate::summary::Summary) -> Result<(), Exit> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    folder
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, summary.to_json()))
        .map_err(|e| fail(Exit::Usage, format!("`{}`: cannot write the summary: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn jobs_are_at_most_eight_a_core_and_never_fewer_than_64() {
        assert_eq!(super::most_jobs(1), 64);
        assert_eq!(super::most_jobs(2), 64);
        assert_eq!(super::most_jobs(8), 64);
        assert_eq!(super::most_jobs(9), 72);
        assert_eq!(super::most_jobs(64), 512);
    }
}
