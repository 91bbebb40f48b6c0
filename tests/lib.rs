//! The integration test crate: runs the real binary on fixtures written at test time.

mod common;
mod crash;
mod foundation;
mod hostile;
