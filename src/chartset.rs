//! The chart set: telemetry.go.dev's chart file schema, the output of aggregation.
//!
//! Field names and order follow the Go worker's `chartdata` struct so that
//! `charts/<NAME>.json` reads in any consumer of telemetry.go.dev's files.

use serde::{Deserialize, Serialize};

/// One daily (`DateRange` = [D, D]) or weekly ([D-6, D]) chart set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChartSet {
    pub date_range: [String; 2],
    pub programs: Vec<ProgramCharts>,
    pub num_reports: u64,
}

/// One program's charts: `ID` = `charts:<Program>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProgramCharts {
    #[serde(rename = "ID")]
    pub id: String,
    pub name: String,
    pub charts: Vec<Chart>,
}

/// One partition chart: `ID` = `charts:<Program>:<chart name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Chart {
    #[serde(rename = "ID")]
    pub id: String,
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub data: Vec<Datum>,
}

/// One bucket of a chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Datum {
    pub week: String,
    pub key: String,
    pub value: u64,
}

impl ChartSet {
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
                id: "charts:cmd/go".into(),
                name: "cmd/go".into(),
                charts: vec![Chart {
                    id: "charts:cmd/go:GOOS".into(),
                    name: "GOOS".into(),
                    kind: "partition".into(),
                    data: vec![Datum { week: "2026-01-07".into(), key: "linux".into(), value: 3 }],
                }],
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
