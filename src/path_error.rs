//! An I/O error and the path it happened at: what writing the site and `merge` report.

use std::io;
use std::path::Path;

/// An I/O error, naming the path.
#[derive(Debug, thiserror::Error)]
#[error("`{path}`: {source}")]
pub struct PathError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Names `path` in an I/O error: `.map_err(at(path))`.
pub fn at(path: &Path) -> impl FnOnce(io::Error) -> PathError + '_ {
    move |source| PathError { path: path.display().to_string(), source }
}
