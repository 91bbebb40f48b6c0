//! The charts each program gets and the buckets of each, in output order: from the upload
//! config, or inferred from the names seen when there is none.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

use crate::config::upload::{counter_chart_name, expand_counter, split_counter_name};
use crate::config::UploadConfig;
use crate::ingest::catalog::{Dimension, Key};
use crate::version::{go_lang, go_order, semver_order};

/// Which property of a program report a chart partitions by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Version,
    Goos,
    Goarch,
    GoVersion,
    Counter,
}

impl ChartKind {
    /// Version and GoVersion drop empty buckets; the others keep them.
    pub fn keeps_empty_buckets(self) -> bool {
        !matches!(self, ChartKind::Version | ChartKind::GoVersion)
    }
}

/// One chart: its buckets in output order. `first_bucket` is the global id of `buckets[0]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPlan {
    pub name: String,
    /// `charts:<program>:<name>`, the chart's `ID` in a chart set.
    pub id: String,
    pub kind: ChartKind,
    pub buckets: Vec<String>,
    pub first_bucket: u32,
    /// For counter charts: a counter name that splits into this chart's name and one of
    /// its buckets -> that bucket's index.
    counter_names: FxHashMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgramPlan {
    pub name: String,
    /// `charts:<program>`, the program's `ID` in a chart set.
    pub id: String,
    pub charts: Vec<ChartPlan>,
    /// A bucket in no chart: every report with a program report of this program, so its
    /// count is the program's distinct uploaders (the denominator of trend shares).
    pub uploaders_bucket: u32,
}

/// Every program's charts, with global bucket ids.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub programs: Vec<ProgramPlan>,
    pub bucket_count: u32,
}

/// A program's charts before bucket ids are given: the lists as a config states them.
pub struct ProgramLists<'a> {
    pub name: &'a str,
    pub versions: Vec<&'a str>,
    /// (chart name, expanded counter names) per counter entry, in config order.
    pub counters: Vec<(String, Vec<String>)>,
}

impl Plan {
    /// The charts of telemetry.go.dev's worker for an upload config.
    pub fn from_config(config: &UploadConfig) -> Plan {
        let programs = config.programs.iter().map(|p| ProgramLists {
            name: &p.name,
            versions: p.versions.iter().map(String::as_str).collect(),
            counters: p
                .counters
                .iter()
                .map(|c| (counter_chart_name(&c.name).to_string(), expand_counter(&c.name)))
                .collect(),
        });
        Plan::build(programs, &config.goos, &config.goarch, &config.go_version)
    }

    /// Charts for the names seen in the data (no upload config): programs sorted by name,
    /// one counter chart per chart name, buckets as seen. Only the keys `in_use` (by id)
    /// count as seen, and a program with none of them is left out: names that only a
    /// report the duplicate rule dropped holds are not the valid data's.
    pub fn infer(keys: &[Key], program_names: &[String], in_use: &[bool]) -> (Plan, UploadConfig) {
        let used: Vec<Key> = keys.iter().zip(in_use).filter(|(_, &used)| used).map(|(key, _)| key.clone()).collect();
        let keys = used.as_slice();
        let config = infer_config(keys, program_names);
        let mut counters: Vec<Vec<(String, Vec<String>)>> = vec![Vec::new(); program_names.len()];
        for (p, names) in counters.iter_mut().enumerate() {
            let mut by_chart: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
            for key in keys.iter().filter(|k| k.program as usize == p && k.dimension == Dimension::Counter) {
                by_chart.entry(counter_chart_name(&key.value)).or_default().push(key.value.clone());
            }
            *names = by_chart.into_iter().map(|(chart, names)| (chart.to_string(), names)).collect();
        }
        let order = programs_in_use(keys, program_names);
        let lists = order.into_iter().map(|p| ProgramLists {
            name: &program_names[p],
            versions: keys
                .iter()
                .filter(|k| k.program as usize == p && k.dimension == Dimension::Version)
                .map(|k| k.value.as_str())
                .collect(),
            counters: std::mem::take(&mut counters[p]),
        });
        let plan = Plan::build(lists, &config.goos, &config.goarch, &config.go_version);
        (plan, config)
    }

    pub fn build<'a>(
        programs: impl IntoIterator<Item = ProgramLists<'a>>,
        goos: &[String],
        goarch: &[String],
        go_version: &[String],
    ) -> Plan {
        let mut plan = Plan::default();
        for lists in programs {
            let mut charts = Vec::new();
            if !lists.name.starts_with("cmd/") {
                let versions = sorted(lists.versions.iter().map(|v| v.to_string()), semver_order);
                charts.push(plan.chart(lists.name, "Version", ChartKind::Version, versions, FxHashMap::default()));
            }
            let goos = sorted(goos.iter().cloned(), |a, b| a.cmp(b));
            charts.push(plan.chart(lists.name, "GOOS", ChartKind::Goos, goos, FxHashMap::default()));
            let goarch = sorted(goarch.iter().cloned(), |a, b| a.cmp(b));
            charts.push(plan.chart(lists.name, "GOARCH", ChartKind::Goarch, goarch, FxHashMap::default()));
            let go = sorted(go_version.iter().map(|v| go_lang(v).to_string()), go_order);
            charts.push(plan.chart(lists.name, "GoVersion", ChartKind::GoVersion, go, FxHashMap::default()));
            for (chart, names) in &lists.counters {
                let buckets = sorted(names.iter().map(|n| split_counter_name(n).1.to_string()), |a, b| a.cmp(b));
                // As the worker groups counters: a report's counter counts in the bucket its
                // name splits into, so `a` and `a:a` (chart `a`, bucket `a`) both count in
                // bucket `a` of every chart `a`, whichever spelling the config entry used.
                let mut index: FxHashMap<String, u32> = FxHashMap::default();
                for (i, bucket) in buckets.iter().enumerate() {
                    index.insert(format!("{chart}:{bucket}"), i as u32);
                    if bucket == chart {
                        index.insert(chart.clone(), i as u32);
                    }
                }
                charts.push(plan.chart(lists.name, chart, ChartKind::Counter, buckets, index));
            }
            let uploaders_bucket = plan.bucket_count;
            plan.bucket_count += 1;
            let (name, id) = (lists.name.to_string(), format!("charts:{}", lists.name));
            plan.programs.push(ProgramPlan { name, id, charts, uploaders_bucket });
        }
        plan
    }

    fn chart(
        &mut self,
        program: &str,
        name: &str,
        kind: ChartKind,
        buckets: Vec<String>,
        counter_names: FxHashMap<String, u32>,
    ) -> ChartPlan {
        let first_bucket = self.bucket_count;
        self.bucket_count += buckets.len() as u32;
        let id = format!("charts:{program}:{name}");
        ChartPlan { name: name.to_string(), id, kind, buckets, first_bucket, counter_names }
    }

    /// For each key id, the global ids of the buckets it counts in.
    pub fn key_buckets(&self, keys: &[Key], program_names: &[String]) -> Vec<Vec<u32>> {
        // A program the config lists twice gets its charts twice, from the same reports.
        let mut by_name: FxHashMap<&str, Vec<&ProgramPlan>> = FxHashMap::default();
        for program in &self.programs {
            by_name.entry(program.name.as_str()).or_default().push(program);
        }
        keys.iter()
            .map(|key| {
                let mut ids = Vec::new();
                for program in by_name.get(program_names[key.program as usize].as_str()).into_iter().flatten() {
                    program.key_buckets(key, &mut ids);
                }
                ids
            })
            .collect()
    }
}

impl ProgramPlan {
    /// Appends the ids of this program's buckets that `key` counts in.
    fn key_buckets(&self, key: &Key, ids: &mut Vec<u32>) {
        for chart in &self.charts {
            let index = match (key.dimension, chart.kind) {
                (Dimension::Version, ChartKind::Version)
                | (Dimension::Goos, ChartKind::Goos)
                | (Dimension::Goarch, ChartKind::Goarch) => chart.buckets.iter().position(|b| *b == key.value),
                (Dimension::GoVersion, ChartKind::GoVersion) => {
                    let lang = go_lang(&key.value);
                    chart.buckets.iter().position(|b| *b == lang)
                }
                (Dimension::Counter, ChartKind::Counter) => chart.counter_names.get(&key.value).map(|&i| i as usize),
                _ => None,
            };
            if let Some(i) = index {
                ids.push(chart.first_bucket + i as u32);
            }
        }
        // Every program report has exactly one GOOS key: it marks the uploader.
        if key.dimension == Dimension::Goos {
            ids.push(self.uploaders_bucket);
        }
    }
}

/// Distinct values, sorted by `order`.
fn sorted(values: impl Iterator<Item = String>, order: impl Fn(&str, &str) -> Ordering) -> Vec<String> {
    let mut list: Vec<String> = values.collect();
    list.sort_by(|a, b| order(a, b).then_with(|| a.cmp(b)));
    list.dedup();
    list
}

/// The programs (indexes into `program_names`) that some of `keys` name, sorted by name.
fn programs_in_use(keys: &[Key], program_names: &[String]) -> Vec<usize> {
    let mut order: Vec<usize> = keys.iter().map(|k| k.program as usize).collect();
    order.sort_by(|&a, &b| program_names[a].cmp(&program_names[b]));
    order.dedup();
    order
}

/// An upload config that allows exactly the names seen, for the config page and summary.
fn infer_config(keys: &[Key], program_names: &[String]) -> UploadConfig {
    let mut config = UploadConfig::default();
    let collect = |dimension: Dimension| -> Vec<String> {
        let mut values: Vec<String> =
            keys.iter().filter(|k| k.dimension == dimension).map(|k| k.value.clone()).collect();
        values.sort();
        values.dedup();
        values
    };
    config.goos = collect(Dimension::Goos);
    config.goarch = collect(Dimension::Goarch);
    config.go_version = collect(Dimension::GoVersion);
    for p in programs_in_use(keys, program_names) {
        let of = |dimension: Dimension| -> Vec<String> {
            let mut values: Vec<String> = keys
                .iter()
                .filter(|k| k.program as usize == p && k.dimension == dimension)
                .map(|k| k.value.clone())
                .collect();
            values.sort();
            values
        };
        config.programs.push(crate::config::ProgramConfig {
            name: program_names[p].clone(),
            versions: of(Dimension::Version),
            counters: of(Dimension::Counter)
                .into_iter()
                .map(|name| crate::config::CounterConfig { name, rate: 1.0 })
                .collect(),
            ..Default::default()
        });
    }
    config
}
