//! `telemetry-site build DATA SITE`.

use crate::build::{self, BuildError};
use crate::cli::BuildArgs;
use crate::progress::Progress;
use crate::render::RenderError;

use super::{fail, Exit};

pub fn run(args: &BuildArgs) -> Result<Exit, Exit> {
    super::check_summary_path(args.summary_json.as_deref(), &args.shared.data)?;
    let config = super::site_config(&args.shared.data)?;
    super::set_jobs(args.shared.inputs.jobs, args.quiet)?;
    let mut opts = args.shared.options(&config, &args.site, Progress::for_stderr(args.quiet));
    opts.cache_dir = args.cache.clone();
    opts.no_cache = args.no_cache;
    opts.cpu_times = args.verbose;
    opts.strict = args.strict(&config);
    let summary = build::build(&opts).map_err(|e| fail(exit_for(&e), e))?;
    if let Some(path) = &args.summary_json {
        super::write_summary(path, &summary)?;
    }
    if !args.quiet {
        eprint!("{}", summary.to_text(args.verbose));
        // The site follows the newest day, whatever its date (issue 3 charts every valid
        // report): say so when it is after tomorrow, which only the clock can tell. Not in
        // the summary or the site, which stay the same for the same input.
        let today = super::check::today_utc();
        if let (_, Some(future)) = super::check::newest_until(&summary, today.plus(1)) {
            eprintln!(
                "{}; the home page, the trends and the feed follow the newest of them",
                super::check::future_warning(future, today)
            );
        }
    }
    // The rule the build refused by (`refused`), judged again on the counts: so also for a
    // build that found nothing changed and replayed the last one's summary.
    match summary.refusal(opts.strict) {
        Some(why) => Err(fail(Exit::Input, why)),
        None => Ok(Exit::Success),
    }
}

/// The exit status of a failed build (or of a check's reading, which is a build's): see
/// the README's exit codes.
pub(super) fn exit_for(e: &BuildError) -> Exit {
    match e.cause() {
        // A full disk: as for a site that cannot be written.
        BuildError::Ingest(crate::ingest::IngestError::SpoolWrite { .. }) => Exit::Input,
        BuildError::Config(_) | BuildError::Ingest(_) => Exit::Usage,
        // The maintainer's templates, static files or pages: configuration, as the configs.
        BuildError::Render(RenderError::Template(_) | RenderError::Input { .. }) => Exit::Usage,
        // Another build holds the site's lock: an environment problem, not bad input.
        BuildError::Write(w) if w.source.kind() == std::io::ErrorKind::WouldBlock => Exit::Usage,
        _ => Exit::Input,
    }
}
