//! CSV downloads: RFC 4180, byte-stable, safe to open in a spreadsheet.
//!
//! Records end in CRLF (RFC 4180 section 2). A field is quoted when it holds `,`, `"`,
//! CR or LF, with `"` doubled. Uploaded names are text cells, and a spreadsheet runs a
//! cell starting with `=`, `+`, `-`, `@`, tab or CR as a formula (OWASP "CSV injection"),
//! so such a text cell gets a leading `'`. Numbers and dates are written as they are
//! (they are never negative here).

use crate::chartset::ChartSet;
use crate::trends::{Trend, TrendWeek};

/// Builds CSV text one record at a time.
#[derive(Debug, Default)]
pub struct CsvWriter {
    out: String,
    fields_in_record: usize,
}

impl CsvWriter {
    pub fn new() -> CsvWriter {
        CsvWriter::default()
    }

    /// A text cell: guarded against formulas, quoted when needed.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.separator();
        let guard = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quote = s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
        if quote {
            self.out.push('"');
        }
        if guard {
            self.out.push('\'');
        }
        if quote {
            // Every `"` doubled: each piece but the last ends where a `"` was.
            let mut pieces = s.split('"');
            self.out.push_str(pieces.next().unwrap_or_default());
            for piece in pieces {
                self.out.push_str("\"\"");
                self.out.push_str(piece);
            }
            self.out.push('"');
        } else {
            self.out.push_str(s);
        }
        self
    }

    /// `cells`, the text of `count` whole cells another writer built (a prefix that many
    /// records repeat), written verbatim.
    pub fn cells(&mut self, cells: &str, count: usize) -> &mut Self {
        self.separator();
        self.out.push_str(cells);
        self.fields_in_record += count - 1;
        self
    }

    /// A cell written verbatim: numbers and dates this program formatted.
    pub fn raw(&mut self, s: &str) -> &mut Self {
        debug_assert!(!s.contains([',', '"', '\r', '\n']));
        self.separator();
        self.out.push_str(s);
        self
    }

    pub fn number(&mut self, n: u64) -> &mut Self {
        self.raw(itoa::Buffer::new().format(n))
    }

    /// Ends the current record.
    pub fn end(&mut self) -> &mut Self {
        self.out.push_str("\r\n");
        self.fields_in_record = 0;
        self
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn separator(&mut self) {
        if self.fields_in_record > 0 {
            self.out.push(',');
        }
        self.fields_in_record += 1;
    }
}

/// `value / uploaders` with six decimals, as `%.6f` of the quotient writes it in Go, C or
/// Python: the double correctly rounded, ties to even. So a reader who divides the CSV's
/// two columns gets the same digits. `0.000000` when there are no uploaders.
pub fn share_6(value: u32, uploaders: u32) -> String {
    if uploaders == 0 {
        return "0.000000".to_string();
    }
    format!("{:.6}", f64::from(value) / f64::from(uploaders))
}

/// `charts/<NAME>.csv`: one row per datum of the chart set, in the JSON's order.
pub fn chart_set(set: &ChartSet) -> String {
    let mut csv = CsvWriter::new();
    csv.raw("program").raw("chart").raw("week").raw("bucket").raw("value").end();
    for program in &set.programs {
        for chart in &program.charts {
            // The cells every row of the chart starts with, written once.
            let mut prefix = CsvWriter::new();
            let mut week = None;
            for datum in &chart.data {
                if week != Some(datum.week) {
                    prefix = CsvWriter::new();
                    prefix.text(program.name).text(chart.name).text(datum.week);
                    week = Some(datum.week);
                }
                csv.cells(&prefix.out, 3).text(datum.key).number(datum.value).end();
            }
        }
    }
    csv.finish()
}

/// A trend's table: per week (oldest first), every bucket in chart order with its value,
/// the program's uploaders that week and the share. "other" is not a row: it is the sum
/// of the rows of the buckets not drawn.
pub fn trend(trend: &Trend, weeks: &[TrendWeek]) -> String {
    let mut csv = CsvWriter::new();
    for name in ["week_start", "week_end", "bucket", "value", "uploaders", "share"] {
        csv.raw(name);
    }
    csv.end();
    for (w, week) in weeks.iter().enumerate() {
        let (start, end) = (week.start.to_string(), week.end.to_string());
        let uploaders = trend.uploaders[w];
        for bucket in &trend.buckets {
            let value = bucket.values[w];
            csv.raw(&start)
                .raw(&end)
                .text(&bucket.name)
                .number(u64::from(value))
                .number(u64::from(uploaders))
                .raw(&share_6(value, uploaders))
                .end();
        }
    }
    csv.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chartset::{Chart, Datum, ProgramCharts};

    fn cells(f: impl FnOnce(&mut CsvWriter)) -> String {
        let mut csv = CsvWriter::new();
        f(&mut csv);
        csv.finish()
    }

    #[test]
    fn quotes_and_doubles_as_rfc_4180_says() {
        assert_eq!(
            cells(|c| {
                c.text("plain").text("a,b").end();
            }),
            "plain,\"a,b\"\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("say \"hi\"").end();
            }),
            "\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("two\nlines").text("cr\r").end();
            }),
            "\"two\nlines\",\"cr\r\"\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("").text("").end();
            }),
            ",\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("ünï ✓").end();
            }),
            "ünï ✓\r\n"
        );
        // A `"` first, last and twice in a row; a formula that also needs quotes.
        assert_eq!(
            cells(|c| {
                c.text("\"\"a\"").text("=a,\"b\"").end();
            }),
            "\"\"\"\"\"a\"\"\",\"'=a,\"\"b\"\"\"\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.number(0).number(u64::MAX).end();
            }),
            "0,18446744073709551615\r\n"
        );
    }

    #[test]
    fn guards_formula_cells_only_in_text() {
        assert_eq!(
            cells(|c| {
                c.text("=1+1").end();
            }),
            "'=1+1\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("+x").text("-x").text("@SUM(A1)").end();
            }),
            "'+x,'-x,'@SUM(A1)\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("\tx").end();
            }),
            "'\tx\r\n"
        );
        assert_eq!(
            cells(|c| {
                c.text("\rx").end();
            }),
            "\"'\rx\"\r\n"
        );
        // Guard inside the quotes, quotes doubled.
        assert_eq!(
            cells(|c| {
                c.text("=HYPERLINK(\"http://x\",\"y\")").end();
            }),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        );
        // Not at the start: left alone. Numbers and dates are raw.
        assert_eq!(
            cells(|c| {
                c.text("a=b").number(0).raw("2026-01-07").end();
            }),
            "a=b,0,2026-01-07\r\n"
        );
    }

    #[test]
    fn six_decimal_shares_are_the_quotient_as_printf_writes_it() {
        assert_eq!(share_6(1, 3), "0.333333");
        assert_eq!(share_6(2, 3), "0.666667");
        assert_eq!(share_6(1, 8), "0.125000");
        // 1/128 = 0.0078125 and 3/128 = 0.0234375 exactly: ties, to the even digit.
        assert_eq!(share_6(1, 128), "0.007812");
        assert_eq!(share_6(3, 128), "0.023438");
        // 1/2,000,000 is 0.0000005, but its double is 4.99999999999999977e-7: down.
        assert_eq!(share_6(1, 2_000_000), "0.000000");
        // 3/2,000,000 = 0.0000015, its double 1.500000000000000038e-6: up.
        assert_eq!(share_6(3, 2_000_000), "0.000002");
        assert_eq!(share_6(5, 5), "1.000000");
        assert_eq!(share_6(7, 5), "1.400000");
        assert_eq!(share_6(0, 0), "0.000000");
        assert_eq!(share_6(u32::MAX, 1), "4294967295.000000");
    }

    #[test]
    fn chart_set_rows_with_hostile_names() {
        let set = ChartSet {
            date_range: ["2026-01-01".into(), "2026-01-07".into()],
            programs: vec![ProgramCharts {
                id: "charts:evil,\"prog\"",
                name: "evil,\"prog\"",
                charts: vec![Chart {
                    id: "x",
                    name: "=cmd|' /C calc'!A0",
                    kind: "partition",
                    data: vec![
                        Datum { week: "2026-01-07", key: "line\nbreak", value: 3 },
                        Datum { week: "2026-01-07", key: "-2+3", value: 0 },
                    ],
                }],
                uploaders: 3,
            }],
            num_reports: 4,
        };
        assert_eq!(
            chart_set(&set),
            "program,chart,week,bucket,value\r\n\
             \"evil,\"\"prog\"\"\",'=cmd|' /C calc'!A0,2026-01-07,\"line\nbreak\",3\r\n\
             \"evil,\"\"prog\"\"\",'=cmd|' /C calc'!A0,2026-01-07,'-2+3,0\r\n"
        );
    }

    #[test]
    fn trend_rows_per_week_and_bucket_with_shares() {
        use crate::day::Day;
        use crate::trends::BucketSeries;
        let weeks = [
            TrendWeek { set: 1, start: Day::parse("2026-01-01").unwrap(), end: Day::parse("2026-01-07").unwrap() },
            TrendWeek { set: 3, start: Day::parse("2026-01-08").unwrap(), end: Day::parse("2026-01-14").unwrap() },
        ];
        let trend = Trend {
            program: 0,
            chart: 0,
            program_name: "p".into(),
            chart_name: "GOOS".into(),
            kind: crate::aggregate::ChartKind::Goos,
            uploaders: vec![3, 0],
            low_confidence: vec![true, true],
            buckets: vec![
                BucketSeries { name: "linux".into(), values: vec![2, 0] },
                BucketSeries { name: "=evil".into(), values: vec![1, 0] },
            ],
            top: vec![0, 1],
            other: None,
        };
        assert_eq!(
            super::trend(&trend, &weeks),
            "week_start,week_end,bucket,value,uploaders,share\r\n\
             2026-01-01,2026-01-07,linux,2,3,0.666667\r\n\
             2026-01-01,2026-01-07,'=evil,1,3,0.333333\r\n\
             2026-01-08,2026-01-14,linux,0,0,0.000000\r\n\
             2026-01-08,2026-01-14,'=evil,0,0,0.000000\r\n"
        );
    }
}
