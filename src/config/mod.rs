//! The two configs that decide what the dashboard shows, parsed exactly as Go
//! telemetry parses them: the upload config (JSON, `golang.org/x/telemetry`'s
//! `UploadConfig`) lists what may be uploaded; the chart config (`key: value`
//! records, `internal/chartconfig`) says how each counter is charted.
//!
//! Both parse from `&str`, so tests need no files; the caller reads the file and
//! puts its path in front of a [`ConfigError`].

pub mod chart;
pub mod upload;

pub use chart::{ChartConfig, ChartConfigFile};
pub use upload::{CounterConfig, ProgramConfig, StackConfig, UploadConfig};

/// A config that does not parse. Displays as ``line 12: unknown key `titel` ``, or
/// `line 3, column 5: ...` where a column is known (JSON), to be prefixed with the
/// file's path by the caller.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("line {line}{}: {reason}", column_suffix(*.column))]
pub struct ConfigError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, or 0 when the error concerns the whole line.
    pub column: usize,
    /// What is wrong, lowercase, without a final period.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn at_line(line: usize, reason: impl Into<String>) -> Self {
        ConfigError { line, column: 0, reason: reason.into() }
    }
}

fn column_suffix(column: usize) -> String {
    if column == 0 {
        String::new()
    } else {
        format!(", column {column}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_reads_after_a_path() {
        let err = ConfigError::at_line(12, "unknown key `titel`");
        assert_eq!(err.to_string(), "line 12: unknown key `titel`");
        let err = ConfigError { line: 3, column: 5, reason: "expected value".into() };
        assert_eq!(err.to_string(), "line 3, column 5: expected value");
    }
}
