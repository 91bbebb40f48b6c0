//! The data files of the site: `charts/<NAME>.json` (telemetry.go.dev's chart schema),
//! `charts/<NAME>.csv` and `data/<D>.json` (a day's valid reports, one per line, in
//! object-name order; gzipped as `data/<D>.json.gz` with `--raw-data gz`).

use rayon::prelude::*;

use crate::aggregate::Aggregates;
use crate::ingest::Ingested;
use crate::raw_data::RawData;
use crate::site::{Staging, WriteError};

/// Writes `charts/<NAME>.json` (telemetry.go.dev's schema) and `charts/<NAME>.csv` for
/// every chart set, both from one chart set built when either is rendered.
pub fn write_chart_sets(aggregates: &Aggregates, prints: &super::Prints, out: &Staging) -> Result<(), WriteError> {
    (0..aggregates.sets.len()).into_par_iter().try_for_each(|i| {
        let (name, week) = (aggregates.sets[i].name(), aggregates.sets[i].week_text());
        let set = std::cell::OnceCell::new();
        let set = || set.get_or_init(|| aggregates.chart_set(i, &week));
        let json = prints.set(aggregates, i, "json", &[]);
        out.memoized(&format!("charts/{name}.json"), json, || Ok::<_, WriteError>(set().to_json()))?;
        let csv = prints.set(aggregates, i, "csv", &[]);
        out.memoized(&format!("charts/{name}.csv"), csv, || {
            Ok::<_, WriteError>(super::csv::chart_set(set()).into_bytes())
        })
    })
}

/// Writes `data/<D>.json` (or `data/<D>.json.gz`, as `format` says) for every day with
/// valid reports: each report on one line, in the order telemetry.go.dev's merge step
/// writes them.
pub fn write_raw_data(ingested: &Ingested, format: RawData, out: &Staging) -> Result<(), WriteError> {
    let days: Vec<&[crate::ingest::Record]> = ingested.records.chunk_by(|a, b| a.day == b.day).collect();
    // Days an incremental build did not recount are unchanged, their data too.
    let kept: Vec<String> = ingested.partial.iter().flat_map(|p| p.kept_daily()).map(|s| format.rel(s.end)).collect();
    kept.par_iter().try_for_each(|rel| out.reuse(rel))?;
    days.par_iter().try_for_each(|records| {
        let rel = format.rel(records[0].day);
        if ingested.linkable_days.contains(&records[0].day) {
            return out.reuse(&rel);
        }
        let refs = records.iter().map(|r| r.text);
        if format == RawData::Json {
            if let Some(path) = ingested.spool.whole_file(refs.clone()) {
                return out.link_file(&path, &rel);
            }
            if !out.has_previous() {
                return out.write_by(&rel, |file| ingested.spool.copy_lines(refs, file));
            }
        }
        // A file that comes out the same as the previous site's must be seen to be so.
        let mut text = Vec::with_capacity(records.len() * 800);
        ingested.spool.lines_into(refs, &mut text).map_err(|source| WriteError { path: "spool".into(), source })?;
        out.write(&rel, &format.encode(text))
    })
}
