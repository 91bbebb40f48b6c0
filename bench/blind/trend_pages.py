#!/usr/bin/env python3
"""python3 trend_pages.py SITE REF_CSV_OUT [--min-uploaders N]: the numbers each trend
page's table shows, against the reference's trend CSVs (trends_ref.py's REF_CSV_OUT:
trends.tsv and trends/*.csv), not against the site's own trend.csv.

For every trend of the reference, its page (found by the program and chart its lede names):
- the weeks, newest first, and each week's uploaders;
- every bucket with a value in some week is a column (the chart's eight drawn ones, then
  "other (sum)", then the folded ones marked "(in other)"), and each cell is the value and
  its share of the week's uploaders to one decimal;
- "other (sum)" is the sum of the folded columns, its share that sum over the uploaders;
- a week with fewer uploaders than --min-uploaders (default 30) is marked low confidence
  (the row's class and a mark beside its uploaders), and no other week is.

Written by the lead from the pages as a reader sees them; shares no code with the build.
Exit status 1 on any difference. Python's standard library only."""
import csv
import os
import re
import sys
from pages import OpenElements, printable, shown_name

SHOW = 10
OTHER = "other (sum)"


class TrendTable(OpenElements):
    """The lede's program and chart, and the table of numbers: its columns (name, folded)
    and rows (week dates, low, uploaders text, [(value text, share text)])."""

    def __init__(self):
        super().__init__()
        self.program = self.chart = None
        self.columns, self.rows = [], []
        self.cell = None  # [main text, span text, has mark, folded]

    def start(self, tag, a, cls):
        if tag == "span" and self.inside("p", "lede") and "title" in a and self.program is None:
            self.program = a["title"]
        in_table = self.inside("table", "trend-table")
        if in_table and tag == "tr" and self.inside("tbody"):
            self.rows.append([[], "low" in cls.split(), None, []])
        if in_table and tag in ("th", "td"):
            self.cell = ["", "", False, "folded" in cls.split()]
        if tag == "abbr" and self.cell is not None:
            self.cell[2] = True

    def end(self, tag):
        if tag in ("th", "td") and self.cell is not None and self.inside("table", "trend-table"):
            main, span, mark, folded = self.cell
            self.cell = None
            if self.inside("thead"):
                # The name as written; a folded one is followed by one space and its note.
                name = main[:-1] if folded and main.endswith(" ") else main
                if name not in ("Week", "Uploaders"):
                    self.columns.append((name, folded))
            elif self.rows:
                row = self.rows[-1]
                if tag == "th":
                    row[0] = re.findall(r"\d{4}-\d{2}-\d{2}", main)
                elif row[2] is None:
                    row[2] = (main.strip(), mark)
                else:
                    row[3].append((main.strip(), span.strip()))

    def handle_data(self, data):
        if self.inside("p", "lede") and self.inside("code") and self.chart is None:
            self.chart = data
        if self.cell is not None:
            if self.inside("span"):
                self.cell[1] += data
            elif not self.inside("abbr"):  # the low-confidence mark is not the number
                self.cell[0] += data


def bucket_name(cell):
    """A CSV cell's bucket name as a page shows it: without the formula guard (a `'` before
    `=`, `+`, `-`, `@`, tab or CR) and with control characters as U+FFFD."""
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        cell = cell[1:]
    return printable(cell)


def share(value, uploaders):
    return "%.1f%%" % (value * 100 / uploaders) if uploaders else None


def pages(site):
    """(program, chart) -> the parsed trend page."""
    found = {}
    root = os.path.join(site, "trends")
    for folder, _, names in os.walk(root):
        if "index.html" in names and folder != root:
            page = TrendTable()
            with open(os.path.join(folder, "index.html"), encoding="utf-8") as f:
                page.feed(f.read())
            if page.program is not None:
                found[(shown_name(page.program), shown_name(page.chart or ""))] = page
    return found


def check(page, rows, min_uploaders):
    """Differences between a parsed page and the reference's CSV rows of its trend."""
    weeks = []  # (start, end, uploaders, {bucket: value}), oldest first
    for r in rows:
        key = (r["week_start"], r["week_end"])
        if not weeks or weeks[-1][:2] != key:
            weeks.append((key[0], key[1], int(r["uploaders"]), {}))
        weeks[-1][3][bucket_name(r["bucket"])] = int(r["value"])
    weeks.reverse()  # the table is newest first
    problems = []
    buckets = {b for w in weeks for b, v in w[3].items()}
    columns = [printable(name) for name, _ in page.columns]
    folded = [printable(name) for name, f in page.columns if f]
    if not rows:  # no bucket has a value in any week: nothing to tabulate
        return [f"columns {columns} for a trend with no values"] if columns else []
    if sorted(c for c in columns if c != OTHER) != sorted(buckets):
        problems.append(f"columns {sorted(columns)}, reference buckets {sorted(buckets)}")
        return problems
    if (OTHER in columns) != bool(folded):
        problems.append(f"'{OTHER}' shown: {OTHER in columns}, folded columns: {folded}")
    if [row[0] for row in page.rows] != [[s, e] for s, e, _, _ in weeks]:
        problems.append(f"weeks {[row[0] for row in page.rows]}, reference {[[s, e] for s, e, _, _ in weeks]}")
        return problems
    for (start, _, uploaders, values), (_, low, (shown, mark), cells) in zip(weeks, page.rows, strict=True):
        is_low = uploaders < min_uploaders
        if shown != str(uploaders) or low != is_low or mark != is_low:
            problems.append(f"week {start}: uploaders {shown!r} (low {low}, mark {mark}), reference {uploaders}")
        want = dict(values)
        want[OTHER] = sum(values[b] for b in folded)
        for column, (value, pct) in zip(columns, cells, strict=True):
            expected = share(want[column], uploaders)
            if value != str(want[column]) or (expected is not None and pct != expected):
                problems.append(f"week {start}, {column}: {value} {pct}, reference {want[column]} {expected}")
    return problems


def main(argv):
    min_uploaders = 30
    if "--min-uploaders" in argv:
        i = argv.index("--min-uploaders")
        min_uploaders = int(argv[i + 1])
        del argv[i:i + 2]
    site, ref = argv
    found = pages(site)
    problems, trends = [], 0
    with open(os.path.join(ref, "trends.tsv"), encoding="utf-8") as index:
        for line in index:
            program, chart, path = line.rstrip("\n").split("\t")
            trends += 1
            page = found.get((shown_name(program), shown_name(chart)))
            if page is None:
                problems.append(f"{program} {chart}: no trend page")
                continue
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            problems += [f"{program} {chart}: {p}" for p in check(page, rows, min_uploaders)]
    for p in problems[:SHOW]:
        print(p)
    print(f"trend pages: {trends} compared with the reference's CSVs: {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
