//! The integration test crate: runs the real binary on fixtures written at test time.

mod beyond;
mod browser;
mod common;
mod concurrent;
mod crash;
mod flow;
mod foundation;
mod hostile;
mod incremental;
mod manifest;
mod readme;
mod serve;
mod site;
mod workflow;
