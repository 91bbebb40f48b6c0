//! telemetry-site: Go-telemetry-style usage reports in, a static dashboard out.
//!
//! The build flows one way: [`ingest`] (files -> valid reports) -> [`aggregate`] (reports ->
//! chart set counts) -> [`render`] (counts -> pages and downloads) -> [`site`] (one atomic
//! swap into `<SITE>`). [`build::build`] runs them in order.

pub mod aggregate;
pub mod build;
pub mod cache;
pub mod chartset;
pub mod cli;
pub mod commands;
pub mod config;
pub mod day;
pub mod gofmt;
pub mod ingest;
pub mod merge;
pub mod progress;
pub mod render;
pub mod site;
pub mod site_config;
pub mod snapshot;
pub mod stacks;
pub mod summary;
pub mod trends;
pub mod version;
