"""Tests of trend_pages.py's reading of a trend page, on a hand-written page."""
import unittest

import trend_pages

PAGE = """<main><h1>Editors</h1>
<p class="lede"><span title="example.com/tool">tool</span> · <code>tool/editor</code> · share</p>
<div class="chart-svg"><svg><circle cx="1"/><title>vim: 3</title></svg></div>
<table class="numbers trend-table">
  <thead><tr><th scope="col">Week</th><th scope="col" class="num">Uploaders</th>
  <th scope="col" class="num">vim</th><th scope="col" class="num">other (sum)</th>
  <th scope="col" class="num folded">emacs <span class="muted">(in other)</span></th>
  <th scope="col" class="num folded">ed <span class="muted">(in other)</span></th></tr></thead>
  <tbody>
    <tr>
      <th scope="row"><a href="x">2026-01-08 to 2026-01-14</a></th>
      <td class="num">40</td><td class="num">30 <span class="muted">75.0%</span></td><td class="num">12 <span class="muted">30.0%</span></td><td class="num">10 <span class="muted">25.0%</span></td><td class="num">2 <span class="muted">5.0%</span></td>
    </tr>
    <tr class="low">
      <th scope="row"><a href="y">2026-01-01 to 2026-01-07</a></th>
      <td class="num">8 <abbr title="fewer than 30 uploaders: low confidence">†</abbr></td><td class="num">5 <span class="muted">62.5%</span></td><td class="num">3 <span class="muted">37.5%</span></td><td class="num">3 <span class="muted">37.5%</span></td><td class="num">0 <span class="muted">0.0%</span></td>
    </tr>
  </tbody>
</table></main>"""


def rows(values):
    """CSV rows, oldest week first: (start, end, uploaders, {bucket: value})."""
    return [{"week_start": s, "week_end": e, "bucket": b, "value": str(v), "uploaders": str(u)}
            for s, e, u, vs in values for b, v in vs.items()]


REF = rows([("2026-01-01", "2026-01-07", 8, {"ed": 0, "emacs": 3, "vim": 5}),
            ("2026-01-08", "2026-01-14", 40, {"ed": 2, "emacs": 10, "vim": 30})])


def parse(page):
    table = trend_pages.TrendTable()
    table.feed(page)
    return table


class TrendPagesTest(unittest.TestCase):
    def test_reads_the_table(self):
        table = parse(PAGE)
        self.assertEqual((table.program, table.chart), ("example.com/tool", "tool/editor"))
        # A folded bucket's "(in other)" is a note beside its name, not part of it.
        self.assertEqual(table.columns, [("vim", False), ("other (sum)", False), ("emacs", True), ("ed", True)])
        self.assertEqual(table.rows[1][:3], [["2026-01-01", "2026-01-07"], True, ("8", True)])
        self.assertEqual(trend_pages.check(table, REF, 30), [])

    def test_each_kind_of_difference_is_found(self):
        edits = [("<td class=\"num\">30 <span", "<td class=\"num\">31 <span"),  # a value
                 ("75.0%", "75.1%"),  # a share
                 ("<td class=\"num\">12 <span", "<td class=\"num\">13 <span"),  # other (sum)
                 ("<td class=\"num\">40</td>", "<td class=\"num\">41</td>"),  # uploaders
                 ("<tr class=\"low\">", "<tr>"),  # the low-confidence row
                 ("2026-01-08 to", "2026-01-09 to"),  # a week
                 ("folded\">ed <span", "\">ed <span")]  # a folded bucket shown as drawn
        for old, new in edits:
            with self.subTest(old):
                self.assertIn(old, PAGE)
                self.assertNotEqual(trend_pages.check(parse(PAGE.replace(old, new, 1)), REF, 30), [])

    def test_a_missing_bucket_is_found(self):
        ref = REF + rows([("2026-01-08", "2026-01-14", 40, {"nano": 1})])
        self.assertNotEqual(trend_pages.check(parse(PAGE), ref, 30), [])


if __name__ == "__main__":
    unittest.main()
