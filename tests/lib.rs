//! The integration test crate: runs the real binary on fixtures written at test time.

mod beyond;
mod common;
mod foundation;
