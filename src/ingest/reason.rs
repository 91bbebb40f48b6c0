//! Why a report or a file was skipped: the reasons of the validity rules, in rule order.

use serde::{Deserialize, Serialize};

/// A reason a report is skipped. The order is the order the rules are checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    TooLarge,
    Empty,
    InvalidUtf8,
    Malformed,
    NotObject,
    WrongType,
    NegativeCount,
    OverflowCount,
    BadWeek,
    XRange,
    BadConfig,
    UnknownProgram,
    UnknownCounter,
    Duplicate,
    /// A file that could not be read or decompressed (permissions, corrupt gzip, I/O error).
    Unreadable,
}

impl Reason {
    pub const ALL: [Reason; 15] = [
        Reason::TooLarge,
        Reason::Empty,
        Reason::InvalidUtf8,
        Reason::Malformed,
        Reason::NotObject,
        Reason::WrongType,
        Reason::NegativeCount,
        Reason::OverflowCount,
        Reason::BadWeek,
        Reason::XRange,
        Reason::BadConfig,
        Reason::UnknownProgram,
        Reason::UnknownCounter,
        Reason::Duplicate,
        Reason::Unreadable,
    ];

    /// The name used in the summary, the JSON summary and the manifest of `gen-reports`.
    pub fn name(self) -> &'static str {
        match self {
            Reason::TooLarge => "too_large",
            Reason::Empty => "empty",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::Malformed => "malformed",
            Reason::NotObject => "not_object",
            Reason::WrongType => "wrong_type",
            Reason::NegativeCount => "negative_count",
            Reason::OverflowCount => "overflow_count",
            Reason::BadWeek => "bad_week",
            Reason::XRange => "x_range",
            Reason::BadConfig => "bad_config",
            Reason::UnknownProgram => "unknown_program",
            Reason::UnknownCounter => "unknown_counter",
            Reason::Duplicate => "duplicate",
            Reason::Unreadable => "unreadable",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
