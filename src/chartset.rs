//! The chart set: telemetry.go.dev's chart file schema, the output of aggregation.
//!
//! Field names and order follow the Go worker's `chartdata` struct so that
//! `charts/<NAME>.json` reads in any consumer of telemetry.go.dev's files.

use serde::Serialize;

/// One daily (`DateRange` = [D, D]) or weekly ([D-6, D]) chart set. Names, ids and keys
/// are borrowed from the plan, so a set costs a vector per chart, not strings per bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChartSet<'a> {
    pub date_range: [String; 2],
    pub programs: Vec<ProgramCharts<'a>>,
    pub num_reports: u64,
}

/// One program's charts: `ID` = `charts:<Program>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProgramCharts<'a> {
    #[serde(rename = "ID")]
    pub id: &'a str,
    pub name: &'a str,
    pub charts: Vec<Chart<'a>>,
    /// Distinct uploaders with a report of the program in the range: what the pages give
    /// each bucket's share of. Not in the JSON, whose schema is telemetry.go.dev's.
    #[serde(skip)]
    pub uploaders: u64,
}

/// One partition chart: `ID` = `charts:<Program>:<chart name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Chart<'a> {
    #[serde(rename = "ID")]
    pub id: &'a str,
    pub name: &'a str,
    #[serde(rename = "Type")]
    pub kind: &'a str,
    pub data: Vec<Datum<'a>>,
}

/// One bucket of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Datum<'a> {
    pub week: &'a str,
    pub key: &'a str,
    pub value: u64,
}

impl ChartSet<'_> {
    /// `D` for a daily set, `START_END` for a weekly one: the file stem under `charts/`.
    pub fn name(&self) -> String {
        if self.is_daily() {
            self.date_range[0].clone()
        } else {
            format!("{}_{}", self.date_range[0], self.date_range[1])
        }
    }

    pub fn is_daily(&self) -> bool {
        self.date_range[0] == self.date_range[1]
    }

    /// The chart set's JSON, compact, as written to `charts/<NAME>.json`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a chart set always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_go_field_order() {
        let set = ChartSet {
            date_range: ["2026-01-01".into(), "2026-01-07".into()],
            programs: vec![ProgramCharts {
                id: "charts:cmd/go",
                name: "cmd/go",
                charts: vec![Chart {
                    id: "charts:cmd/go:GOOS",
                    name: "GOOS",
                    kind: "partition",
                    data: vec![Datum { week: "2026-01-07", key: "linux", value: 3 }],
                }],
                uploaders: 3,
            }],
            num_reports: 4,
        };
        assert_eq!(
            String::from_utf8(set.to_json()).unwrap(),
            r#"{"DateRange":["2026-01-01","2026-01-07"],"Programs":[{"ID":"charts:cmd/go","Name":"cmd/go","Charts":[{"ID":"charts:cmd/go:GOOS","Name":"GOOS","Type":"partition","Data":[{"Week":"2026-01-07","Key":"linux","Value":3}]}]}],"NumReports":4}"#
        );
        assert_eq!(set.name(), "2026-01-01_2026-01-07");
        assert!(!set.is_daily());
    }
}
