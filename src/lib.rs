//! telemetry-site: Go-telemetry-style usage reports in, a static dashboard out.
//!
//! The build flows one way: [`ingest`] (files -> valid reports) -> [`aggregate`] (reports ->
//! chart set counts) -> [`render`] (counts -> pages and downloads) -> [`site`] (one atomic
//! swap into `<SITE>`). [`build::build`] runs them in order; [`analysis`] is its first
//! half (configs, ingest, aggregate), which `check` runs alone. [`merge`] compacts DATA,
//! and [`data_lock`] keeps it apart from the builds reading DATA.

/// What built this binary: the version and a hash of the sources, templates and static
/// files (`build.rs`). Caches, snapshots and page fingerprints are keyed on it.
pub const BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("TELEMETRY_SITE_SOURCE"));

pub mod aggregate;
pub mod analysis;
pub mod build;
pub mod cache;
pub mod chars;
pub mod chartset;
pub mod cli;
pub mod commands;
pub mod config;
pub mod cpu;
pub mod data_lock;
pub mod day;
pub mod folders;
pub mod gofmt;
pub mod ingest;
pub mod merge;
pub mod path_error;
pub mod progress;
pub mod raw_data;
pub mod render;
pub mod site;
pub mod site_config;
pub mod snapshot;
pub mod stacks;
pub mod summary;
pub mod trends;
pub mod version;
