//! The `telemetry-site` command: parse, run, print, exit (0 ok, 1 input errors, 2 usage or config).

use std::process::ExitCode;

use clap::Parser;
use telemetry_site::build::{self, BuildError};
use telemetry_site::cli::{BuildArgs, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => run_build(&args),
    }
}

fn run_build(args: &BuildArgs) -> ExitCode {
    if let Some(jobs) = args.jobs {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
        {
            eprintln!("error: cannot start {jobs} worker threads: {e}");
            return ExitCode::from(2);
        }
    }
    let summary = match build::build(&args.options()) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(match e {
                BuildError::Config(_) | BuildError::Ingest(_) => 2,
                BuildError::Write(_) | BuildError::Render(_) => 1,
            });
        }
    };
    if let Some(path) = &args.summary_json {
        if let Err(e) = std::fs::write(path, summary.to_json()) {
            eprintln!("error: `{}`: cannot write the summary: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !args.quiet {
        eprint!("{}", summary.to_text(args.verbose));
    }
    if args.strict && summary.reports_skipped > 0 {
        eprintln!(
            "error: --strict: {} reports skipped",
            summary.reports_skipped
        );
        return ExitCode::from(1);
    }
    if summary.reports_read > 0 && summary.reports_valid == 0 {
        eprintln!("error: {} reports read, none valid", summary.reports_read);
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
