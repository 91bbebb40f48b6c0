#!/usr/bin/env python3
"""Hand-computed checks for trends_ref.py.  python3 -m unittest test_trends -v"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trends_ref as T  # noqa: E402  (puts this folder on sys.path)
import ref  # noqa: E402


def days(a, b):
    """2026-01-a .. 2026-01-b"""
    return ["2026-01-%02d" % d for d in range(a, b + 1)]


class Share(unittest.TestCase):
    def test_values(self):
        self.assertEqual(T.share_str(1, 3), "0.333333")
        self.assertEqual(T.share_str(2, 3), "0.666667")
        self.assertEqual(T.share_str(5, 5), "1.000000")
        self.assertEqual(T.share_str(0, 7), "0.000000")
        self.assertEqual(T.share_str(1, 7), "0.142857")       # 0.1428571...
        self.assertEqual(T.share_str(731, 2196), "0.332878")  # 0.33287796...
        self.assertEqual(T.share_str(0, 0), "")               # decision T7

    def test_exact_ties(self):
        # 1/128 = 0.0078125 exactly: half-even 0.007812, half-up 0.007813
        self.assertEqual(T.share_str(1, 128), "0.007812")
        self.assertEqual(T.share_str(1, 128, half_up=True), "0.007813")
        # 3/128 = 0.0234375: the kept digit 7 is odd, so both round up
        self.assertEqual(T.share_str(3, 128), "0.023438")
        self.assertEqual(T.share_str(3, 128, half_up=True), "0.023438")
        self.assertTrue(T.is_tie(1, 128))
        self.assertFalse(T.is_tie(1, 3))
        # half-even on the exact value is what "%.6f" of the f64 quotient gives
        self.assertEqual("%.6f" % (1 / 128), "0.007812")


class Points(unittest.TestCase):
    def test_twenty_days(self):
        # newest 01-20: ends 01-20, 01-13; 01-06 would start 12-31 < 01-01
        self.assertEqual(T.trend_points(days(1, 20)),
                         [("2026-01-07", "2026-01-13"), ("2026-01-14", "2026-01-20")])

    def test_start_on_first_day_is_kept(self):
        # 21 days: 01-07 starts exactly on the first day 01-01 -> kept
        self.assertEqual(T.trend_points(days(1, 21)),
                         [("2026-01-01", "2026-01-07"), ("2026-01-08", "2026-01-14"),
                          ("2026-01-15", "2026-01-21")])

    def test_weekday_alignment_with_gaps(self):
        # days 01-01, 01-05, 01-12, 01-19: 01-05 is aligned but starts 12-30
        self.assertEqual(T.trend_points(["2026-01-19", "2026-01-01", "2026-01-12",
                                         "2026-01-05"]),
                         [("2026-01-06", "2026-01-12"), ("2026-01-13", "2026-01-19")])
        # 01-10 aligned with 01-17 (has data) -> point; 01-03 starts 12-28 -> none
        self.assertEqual(T.trend_points(days(1, 10) + ["2026-01-17"]),
                         [("2026-01-04", "2026-01-10"), ("2026-01-11", "2026-01-17")])

    def test_aligned_day_without_data(self):
        # decision T1: no data on 01-10 -> no weekly set ending 01-10 -> no point
        self.assertEqual(T.trend_points(days(1, 9) + ["2026-01-17"]),
                         [("2026-01-11", "2026-01-17")])

    def test_single_day(self):
        self.assertEqual(T.trend_points(["2026-01-05"]), [])


def R(week, x, *progs):
    return ref.Report(week, x, [tuple(p[:5]) + (list(p[5]), []) for p in progs])


def PA(goos, counters=()):
    return ("p/a", "v1.0.0", "go1.23.0", goos, "amd64", counters)


CONFIG = {
    "GOOS": ["darwin", "linux", "windows"], "GOARCH": ["amd64"],
    "GoVersion": ["go1.23.0"],
    "Programs": [
        {"Name": "p/a", "Versions": ["v1.0.0"], "Counters": [{"Name": "c:{x,y}"}]},
        {"Name": "p/b", "Versions": ["v2.0.0"]},
    ],
}

REPORTS = [
    R("2026-01-01", 0.1, PA("linux", ["c:x"])),
    R("2026-01-03", 0.6, ("p/b", "v2.0.0", "go1.23.0", "linux", "amd64", [])),
    R("2026-01-07", 0.5, PA("linux")),
    # one X with two program reports of p/a on the same report
    R("2026-01-08", 0.1, PA("linux", ["c:x"]), PA("darwin", ["c:y"])),
    R("2026-01-08", 0.2, PA("linux")),
    R("2026-01-10", 0.3, PA("darwin", ["c:y"])),
    R("2026-01-11", 0.7),                         # no program reports
    # X 0.2 again, another day of the same week
    R("2026-01-14", 0.2, PA("linux", ["c:x"])),
    R("2026-01-14", 0.4),                         # no program reports
]


class Uploaders(unittest.TestCase):
    def test_distinct(self):
        wk2 = [r for r in REPORTS if "2026-01-08" <= r.week <= "2026-01-14"]
        # X: 0.1 (two p/a program reports), 0.2 (two days), 0.3; 0.7 and 0.4
        # have no program -> 3
        self.assertEqual(T.program_uploaders(wk2, "p/a"), 3)
        self.assertEqual(T.program_uploaders(wk2, "p/b"), 0)
        wk1 = [r for r in REPORTS if "2026-01-01" <= r.week <= "2026-01-07"]
        self.assertEqual(T.program_uploaders(wk1, "p/a"), 2)
        self.assertEqual(T.program_uploaders(wk1, "p/b"), 1)


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(CONFIG, f)
        cls.config = ref.load_config(f.name)
        os.unlink(f.name)

    def run_build(self, mode="present"):
        old = T.BUCKETS
        T.BUCKETS = mode
        try:
            charts, trends, ties = T.build(self.config, REPORTS)
        finally:
            T.BUCKETS = old
        return charts, {(p, c): t for p, c, t in trends}

    H = "week_start,week_end,bucket,value,uploaders,share\r\n"

    def test_points_and_trends(self):
        # days with data 01-01,03,07,08,10,11,14: newest 01-14; aligned 01-07
        # (starts 01-01 = first day, kept); so 2 points.
        _, tr = self.run_build()
        self.assertEqual(tr[("p/a", "GOOS")], self.H +
                         "2026-01-01,2026-01-07,darwin,0,2,0.000000\r\n"
                         "2026-01-01,2026-01-07,linux,2,2,1.000000\r\n"
                         "2026-01-01,2026-01-07,windows,0,2,0.000000\r\n"
                         "2026-01-08,2026-01-14,darwin,2,3,0.666667\r\n"
                         "2026-01-08,2026-01-14,linux,2,3,0.666667\r\n"
                         "2026-01-08,2026-01-14,windows,0,3,0.000000\r\n")
        self.assertEqual(tr[("p/a", "c")], self.H +
                         "2026-01-01,2026-01-07,x,1,2,0.500000\r\n"
                         "2026-01-01,2026-01-07,y,0,2,0.000000\r\n"
                         "2026-01-08,2026-01-14,x,2,3,0.666667\r\n"
                         "2026-01-08,2026-01-14,y,2,3,0.666667\r\n")
        self.assertEqual(tr[("p/a", "Version")], self.H +
                         "2026-01-01,2026-01-07,v1.0.0,2,2,1.000000\r\n"
                         "2026-01-08,2026-01-14,v1.0.0,3,3,1.000000\r\n")
        # p/b: no uploaders in the second point (decision T7)
        self.assertEqual(tr[("p/b", "GOOS")], self.H +
                         "2026-01-01,2026-01-07,darwin,0,1,0.000000\r\n"
                         "2026-01-01,2026-01-07,linux,1,1,1.000000\r\n"
                         "2026-01-01,2026-01-07,windows,0,1,0.000000\r\n"
                         "2026-01-08,2026-01-14,darwin,0,0,\r\n"
                         "2026-01-08,2026-01-14,linux,0,0,\r\n"
                         "2026-01-08,2026-01-14,windows,0,0,\r\n")
        self.assertEqual(sorted(tr), sorted([
            ("p/a", "Version"), ("p/a", "GOOS"), ("p/a", "GOARCH"),
            ("p/a", "GoVersion"), ("p/a", "c"), ("p/b", "Version"), ("p/b", "GOOS"),
            ("p/b", "GOARCH"), ("p/b", "GoVersion")]))

    def test_nonzero_bucket_variant(self):
        _, tr = self.run_build("nonzero-points")
        self.assertEqual(tr[("p/a", "GOOS")], self.H +
                         "2026-01-01,2026-01-07,darwin,0,2,0.000000\r\n"
                         "2026-01-01,2026-01-07,linux,2,2,1.000000\r\n"
                         "2026-01-08,2026-01-14,darwin,2,3,0.666667\r\n"
                         "2026-01-08,2026-01-14,linux,2,3,0.666667\r\n")

    def test_chart_set_csv_week_column(self):
        charts, _ = self.run_build()
        # weekly 01-05..01-11: latest Week holding a program report is 01-10
        # (01-11's only report has none), so week = 2026-01-10, not the range end.
        self.assertEqual(charts["2026-01-05_2026-01-11"],
                         "program,chart,week,bucket,value\r\n"
                         "p/a,Version,2026-01-10,v1.0.0,4\r\n"     # X .5 .1 .2 .3
                         "p/a,GOOS,2026-01-10,darwin,2\r\n"        # .1 .3
                         "p/a,GOOS,2026-01-10,linux,3\r\n"         # .5 .1 .2
                         "p/a,GOOS,2026-01-10,windows,0\r\n"
                         "p/a,GOARCH,2026-01-10,amd64,4\r\n"
                         "p/a,GoVersion,2026-01-10,go1.23,4\r\n"
                         "p/a,c,2026-01-10,x,1\r\n"                # .1
                         "p/a,c,2026-01-10,y,2\r\n")               # .1 .3
        # a day whose reports hold no program report: header only
        self.assertEqual(charts["2026-01-11"], "program,chart,week,bucket,value\r\n")


class Quoting(unittest.TestCase):
    def test_rfc4180(self):
        self.assertEqual(T.csv_field("plain"), "plain")
        self.assertEqual(T.csv_field("a,b"), '"a,b"')
        self.assertEqual(T.csv_field('say "hi"'), '"say ""hi"""')
        self.assertEqual(T.csv_field("x\ny"), '"x\ny"')
        self.assertEqual(T.csv_field(""), "")
        self.assertEqual(T.csv_text(("a", "b"), [("1,2", 3)]), 'a,b\r\n"1,2",3\r\n')


if __name__ == "__main__":
    unittest.main()
