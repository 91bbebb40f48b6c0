//! `telemetry-site merge DATA`: compact the upload layout's day folders (see [`crate::merge`]).

use crate::build::BuildOptions;
use crate::cli::MergeArgs;
use crate::day::Day;

use super::{fail, Exit};

pub fn run(args: &MergeArgs) -> Result<Exit, Exit> {
    let config = super::site_config(&args.data)?;
    super::set_jobs(args.inputs.jobs, false)?;
    let before = match &args.before {
        Some(text) => {
            Day::parse(text).ok_or_else(|| fail(Exit::Usage, format!("--before: not a YYYY-MM-DD date: `{text}`")))?
        }
        None => super::check::today_utc(),
    };
    let mut opts = BuildOptions { data: args.data.clone(), ..BuildOptions::default() };
    args.inputs.apply(&config, &mut opts);
    crate::analysis::check_data_dir(&opts.data).map_err(|e| fail(Exit::Usage, e))?;
    let configs =
        crate::analysis::load_configs(&opts.data, opts.upload_config.as_deref(), opts.chart_config.as_deref())
            .map_err(|e| fail(Exit::Usage, e))?;
    let upload = configs.upload.as_ref().map(|(config, _)| config);
    let _lock = crate::data_lock::DataLock::merge(&opts.data, || {
        eprintln!("waiting for the build, check or merge using `{}` to finish before merging it", opts.data.display())
    });
    let summary = crate::merge::merge(&opts.data, upload, &opts.limits, before).map_err(|e| fail(Exit::Input, e))?;
    let counted = crate::summary::counted;
    eprintln!(
        "merged {}: {} into <DAY>.json.gz files, {} moved to rejected/, {} already merged",
        counted(summary.days.len() as u64, "day folder", "day folders"),
        counted(summary.reports_merged, "report", "reports"),
        counted(summary.files_rejected, "file", "files"),
        summary.files_already_merged
    );
    for why in &summary.failed {
        eprintln!("error: {why}");
    }
    if !summary.folders_kept.is_empty() {
        eprintln!(
            "kept the folders of {}: files arrived in them during the merge; the next merge takes them",
            summary.folders_kept.join(", ")
        );
    }
    if !summary.failed.is_empty() {
        return Err(fail(
            Exit::Input,
            match summary.failed.len() {
                1 => "1 day folder could not be merged; it is left for the next merge".to_string(),
                n => format!("{n} day folders could not be merged; they are left for the next merge"),
            },
        ));
    }
    Ok(Exit::Success)
}
