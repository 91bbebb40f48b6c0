"""Tests of pages.py's reading of a chart set page, on a hand-written page."""
import tempfile
import unittest

import pages

PAGE = """<html><body><main>
<h1>Weekly charts for <time datetime="2026-01-01">2026-01-01</time> to <time datetime="2026-01-07">2026-01-07</time></h1>
<p class="lede">from 5 reports · <span>weekly</span></p>
<div class="browser"><nav class="toc"><h2 class="toc-title">Programs</h2></nav><div class="charts">
<section class="program"><h2 class="program-name" title="example.com/a: b">a: b <a href="#">#</a></h2>
<section class="chart"><h3>OS</h3><p class="chart-meta"><code>GOOS</code> · <a href="t.html">Trend</a></p>
<div class="chart-svg"><svg><g class="y-axis"><line x1="0"/><text>0</text></g><g class="bars">
<g><title>linux: 3 uploaders</title><rect x="1"/><rect x="2"/></g>
<g><title>a: &lt;b&gt;: 1 uploader</title><rect x="3"/><rect x="4"/></g></g></svg></div>
<details><summary>Numbers</summary><table class="numbers"><thead><tr><th>Bucket</th></tr></thead><tbody>
<tr><td>linux</td><td class="num">3</td><td class="num">75.0%</td></tr>
<tr><td>a: &lt;b&gt;</td><td class="num">1</td><td class="num">25.0%</td></tr>
</tbody></table></details></section></section>
<section class="program"><h2 class="program-name" title="example.com/empty">empty</h2>
<p class="muted">No reports of this program in this range.</p></section>
</div></div></main></body></html>"""

REF = {"DateRange": ["2026-01-01", "2026-01-07"], "NumReports": 5, "Programs": [
    {"Name": "example.com/a: b", "_uploaders": 4, "Charts": [{"Name": "GOOS", "Data": [
        {"Week": "2026-01-07", "Key": "linux", "Value": 3},
        {"Week": "2026-01-07", "Key": "a: <b>", "Value": 1}]}]},
    {"Name": "example.com/empty", "_uploaders": 0, "Charts": None}]}


class PagesTest(unittest.TestCase):
    def check(self, page, ref=REF):
        path = self.tmp + "/index.html"
        with open(path, "w") as f:
            f.write(page)
        problems = []
        pages.check_page(path, ref, problems)
        return problems

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def test_reads_dates_counts_programs_bars_and_table(self):
        page = pages.ChartSetPage()
        page.feed(PAGE)
        self.assertEqual(page.heading_dates, ["2026-01-01", "2026-01-07"])
        self.assertIn("from 5 reports", page.lede)
        self.assertEqual(page.programs, [
            ["example.com/a: b", [["GOOS", [("linux", 3), ("a: <b>", 1)],
                                   [("linux", "3", "75.0%"), ("a: <b>", "1", "25.0%")]]]],
            ["example.com/empty", []]])
        self.assertEqual(self.check(PAGE), [])

    def test_each_kind_of_difference_is_found(self):
        edits = [("from 5 reports", "from 6 reports"),  # the count
                 ("linux: 3 uploaders", "linux: 2 uploaders"),  # a bar
                 ('<td class="num">75.0%', '<td class="num">75.1%'),  # a share
                 ("<td>linux</td>", "<td>Linux</td>"),  # a table's bucket
                 ('datetime="2026-01-01"', 'datetime="2026-01-02"'),  # the dates
                 ("<code>GOOS</code>", "<code>GOARCH</code>")]  # a chart's name
        for old, new in edits:
            with self.subTest(old):
                self.assertIn(old, PAGE)
                self.assertNotEqual(self.check(PAGE.replace(old, new, 1)), [])

    def test_shares_are_of_the_programs_reports_not_the_sets(self):
        # 4 of the set's 5 reports have the program: 3 of 4 is 75.0%, not 60.0%.
        self.assertEqual(self.check(PAGE), [])
        of_the_set = dict(REF, Programs=[dict(REF["Programs"][0], _uploaders=5), REF["Programs"][1]])
        self.assertNotEqual(self.check(PAGE, of_the_set), [])

    def test_participation_points_are_the_sets_report_counts(self):
        home = ('<section class="participation"><svg><title>per day</title>'
                '<title>2026-01-06: 3 valid reports</title><title>2026-01-07: 1 valid report</title>'
                '<title>2026-01-08: 0 valid reports</title>'
                '<title>2026-01-01 to 2026-01-07: 4 valid reports</title></svg></section>')
        refs = {"2026-01-06": {"NumReports": 3}, "2026-01-07": {"NumReports": 1},
                "2026-01-01_2026-01-07": {"NumReports": 4}}
        path = self.tmp + "/index.html"
        for page, found in [(home, 0), (home.replace(": 3 valid", ": 2 valid"), 1),
                            (home.replace(": 4 valid", ": 5 valid"), 1),
                            (home.replace("<title>2026-01-06: 3 valid reports</title>", ""), 1)]:
            with open(path, "w") as f:
                f.write(page)
            problems = []
            pages.check_participation(path, refs, problems)
            self.assertEqual(len(problems), found, (page, problems))

    def test_object_names_are_go_g(self):
        self.assertEqual(pages.go_g(0.5), "0.5")
        self.assertEqual(pages.go_g(1.5e-05), "1.5e-05")
        self.assertEqual(pages.go_g(0.0001), "0.0001")


if __name__ == "__main__":
    unittest.main()
