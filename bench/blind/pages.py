#!/usr/bin/env python3
"""python3 pages.py SITE REF_OUT: the numbers the site's HTML pages show, against the
reference's chart sets (ref.py's REF_OUT/charts/*.json), not against the site's own JSON.

For every chart set of the reference:
- its page `charts/<NAME>/index.html`: the dates of its heading, "from N reports", the
  programs and charts in order, each chart's SVG bars (`<title>` "KEY: V uploader(s)") and
  its table of numbers (bucket, uploaders, share of the program's uploaders in the range with
  one decimal);
- its row on `charts/index.html` ("N reports", linked);
- for a daily set, its row on `data/index.html` (the day's raw data and its count) and the
  raw data file itself: one report per line, each of that day, no uploader twice, as many
  as the set's reports, in object-name order (`<Week>/<X as Go's %g>.json`).
And the home page: the weekly set of the newest day, its report count, "data through"; its
participation chart and that of `trends/index.html` (valid reports per day and per week).

The reading of the pages is this script's (Python's html.parser); it shares no code with
the build. Exit status 1 on any difference. Python's standard library only."""
import datetime
import gzip
import json
import os
import re
import sys
from html.parser import HTMLParser

SHOW = 10


def printable(text):
    """What a page may show of an uploaded name: control characters (and U+FFFE, U+FFFF)
    as U+FFFD. Applied to both sides, so only a real difference is one."""
    return "".join("\ufffd" if (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\ufffe\uffff")
                   else c for c in text)


# Rust's `char::is_whitespace` (Unicode's White_Space): Python's `str.isspace` also
# counts U+001C..U+001F, which the pages show as U+FFFD.
WHITESPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                 + "".join(chr(c) for c in range(0x2000, 0x200B)))


def shown_name(name):
    """A program's or chart's name as the pages show it: `(blank name)` for one of only
    whitespace (or none), as the README says; otherwise `printable`."""
    if all(c in WHITESPACE for c in name):
        return "(blank name)"
    return printable(name)


class OpenElements(HTMLParser):
    """An HTML parser that knows which elements are open around the current point
    (`inside`). Subclasses get `start(tag, attrs, cls)` once the element is open (a
    self-closing one is never open) and `end(tag)` before it closes."""

    VOID = ("meta", "link", "br", "img", "input", "hr")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []  # (tag, class)

    def inside(self, tag, cls=None):
        return any(t == tag and (cls is None or cls in c.split()) for t, c in self.open)

    def handle_starttag(self, tag, attrs, closed=False):
        a = dict(attrs)
        cls = a.get("class") or ""
        if not closed and tag not in self.VOID:
            self.open.append((tag, cls))
        self.start(tag, a, cls)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        self.end(tag)
        while self.open:
            if self.open.pop()[0] == tag:
                break


class ChartSetPage(OpenElements):
    """Headings, counts, programs, charts, bars and table rows of a chart set page (or of
    the home page, whose browser shows one set)."""

    def __init__(self):
        super().__init__()
        self.heading_dates = []
        self.dated = False
        self.lede = ""
        self.programs = []  # [name, [[chart name, bars, rows]]]
        self.text = None  # collecting text for: ("lede"|"code"|"title"|"td")
        self.row = None

    def start(self, tag, a, cls):
        if tag == "time" and self.inside_any_heading() and not self.dated:
            self.heading_dates.append(a.get("datetime"))
        if tag == "p" and "lede" in cls and not self.lede:
            self.text = ["lede", ""]
        if tag == "h2" and "program-name" in cls:
            self.programs.append([a.get("title"), []])
        if tag == "code" and self.inside("p", "chart-meta") and self.programs:
            self.text = ["code", ""]
        if tag == "title" and self.inside("g", "bars"):
            self.text = ["title", ""]
        if tag == "tr" and self.inside("table", "numbers") and self.inside("tbody"):
            self.row = []
        if tag == "td" and self.row is not None:
            self.text = ["td", ""]

    def inside_any_heading(self):
        return (self.inside("h1") or (self.inside("h2") and not self.inside("h2", "program-name"))) \
            and not self.programs

    def end(self, tag):
        if tag in ("h1", "h2") and self.heading_dates:
            self.dated = True  # the first heading with dates is the set's
        if self.text and tag == {"lede": "p", "code": "code", "title": "title", "td": "td"}[self.text[0]]:
            kind, text = self.text
            self.text = None
            if kind == "lede":
                self.lede = text
            elif kind == "code":
                self.programs[-1][1].append([text, [], []])
            elif kind == "title":
                key, _, count = text.rpartition(": ")
                m = re.fullmatch(r"(\d+) uploaders?", count)
                self.programs[-1][1][-1][1].append((key, int(m.group(1)) if m else count))
            elif kind == "td":
                self.row.append(text)
        if tag == "tr" and self.row is not None:
            self.programs[-1][1][-1][2].append(tuple(self.row))
            self.row = None

    def handle_data(self, data):
        if self.text:
            self.text[1] += data


def parse(path):
    page = ChartSetPage()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    return page


def first_difference(got, want, where=""):
    """Where two nested lists first differ, as text."""
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)) and got != want:
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                label = g[0] if isinstance(g, tuple) and isinstance(g[0], str) else i
                return first_difference(g, w, f"{where}/{label}")
        return f"{where}: {len(got)} items, reference {len(want)}"
    return f"{where}: {got!r}, reference {want!r}"


def share(value, total):
    return "%.1f%%" % (value * 100 / total) if total else ""


def check_page(path, ref, problems):
    """The chart set `ref` (the reference's JSON) as the page at `path` shows it."""
    page = parse(path)
    start, end = ref["DateRange"]
    dates = [end] if start == end else [start, end]
    if page.heading_dates[:len(dates)] != dates:
        problems.append(f"{path}: heading dates {page.heading_dates} != {dates}")
    m = re.search(r"from (\d+) reports?", page.lede)
    if not m or int(m.group(1)) != ref["NumReports"]:
        problems.append(f"{path}: lede {page.lede!r}, reference {ref['NumReports']} reports")
    want = [(shown_name(p["Name"]), [(shown_name(c["Name"]), [(printable(d["Key"]), d["Value"]) for d in c.get("Data") or []])
                                     for c in p.get("Charts") or []]) for p in ref["Programs"]]
    got = [(shown_name(name), [(shown_name(chart), [(printable(k), v) for k, v in bars]) for chart, bars, _ in charts])
           for name, charts in page.programs]
    if got != want:
        problems.append(f"{path}: {first_difference(got, want)}")
    # Shares are of the program's reports in the range (its distinct uploaders), which
    # ref.py writes beside its chart sets; `_uploaders` holds them (see main).
    for (name, charts), program in zip(page.programs, ref["Programs"]):
        total = program["_uploaders"]
        for chart, bars, rows in charts:
            table = [(printable(k), v, s) for k, v, s in rows]
            expected = [(printable(k), str(v), share(v, total)) for k, v in bars]
            if table != expected:
                problems.append(f"{path}: {name} {chart}: table and bars: {first_difference(table, expected)}")


def go_g(x):
    """Go's `%g` of an X in (0, 1), as the upload server names objects: the shortest text
    that reads back as x, with an exponent below 1e-4 (`1.5e-05`), which is Python's repr."""
    assert 0 < x < 1, x
    return repr(x)


def check_raw_data(site, day, ref, problems):
    plain, gz = os.path.join(site, "data", day + ".json"), os.path.join(site, "data", day + ".json.gz")
    if os.path.exists(plain):
        data = open(plain, "rb").read()
    elif os.path.exists(gz):
        data = gzip.decompress(open(gz, "rb").read())
    else:
        problems.append(f"data/{day}.json: missing")
        return
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    reports = [json.loads(line) for line in lines]
    if len(reports) != ref["NumReports"]:
        problems.append(f"data/{day}.json: {len(reports)} reports, reference {ref['NumReports']}")
    if any(r.get("Week") != day for r in reports):
        problems.append(f"data/{day}.json: a report of another day")
    xs = [r.get("X") for r in reports]
    if len(set(xs)) != len(xs):
        problems.append(f"data/{day}.json: an uploader twice")
    names = [f"{day}/{go_g(x)}.json".encode() for x in xs]
    if names != sorted(names):
        problems.append(f"data/{day}.json: not in object-name order")


PARTICIPATION = re.compile(r"(\d{4}-\d{2}-\d{2})(?: to (\d{4}-\d{2}-\d{2}))?: (\d+) valid reports?")


def check_participation(path, refs, problems):
    """The participation chart's points ("DAY: N valid reports", "START to END: N valid
    reports") against the reference's daily and weekly sets; every day with a set shown."""
    text = open(path, encoding="utf-8").read()
    start = text.find('class="participation"')
    section = text[start:text.find("</section>", start)]
    shown = set()
    for title in re.findall(r"<title>([^<]*)</title>", section):
        m = PARTICIPATION.fullmatch(title)
        if not m:
            continue
        first, last, count = m.group(1), m.group(2), int(m.group(3))
        name = f"{first}_{last}" if last else first
        shown.add(name)
        want = refs[name]["NumReports"] if name in refs else 0
        if count != want:
            problems.append(f"{path}: participation {title!r}, reference {want}")
    missing = [n for n in refs if "_" not in n and n not in shown]
    if missing:
        problems.append(f"{path}: participation misses the days {missing[:5]}")


def main():
    site, ref_out = sys.argv[1], sys.argv[2]
    refs = {}
    for f in sorted(os.listdir(os.path.join(ref_out, "charts"))):
        if f.endswith(".json"):
            with open(os.path.join(ref_out, "charts", f)) as fh:
                ref = refs[f[:-len(".json")]] = json.load(fh)
            with open(os.path.join(ref_out, "program-uploaders", f)) as fh:
                uploaders = json.load(fh)
            for program in ref["Programs"]:
                program["_uploaders"] = uploaders.get(program["Name"], 0)
    problems = []
    for name, ref in refs.items():
        check_page(os.path.join(site, "charts", name, "index.html"), ref, problems)
    index = open(os.path.join(site, "charts", "index.html"), encoding="utf-8").read()
    first_day = min((n for n in refs if "_" not in n), default=None)
    for name, ref in refs.items():
        row = re.search(r'href="\.\./charts/%s/index\.html">[^<]*</a> <span class="muted">(\d+) reports?'
                        r'(?:, (\d) of 7 days)?</span>' % re.escape(name), index)
        if not row or int(row.group(1)) != ref["NumReports"]:
            problems.append(f"charts/index.html: {name}: {row and row.group(1)}, reference {ref['NumReports']}")
        # A weekly set starting before the first day with data covers only its days from it.
        covered = None
        if "_" in name and name.split("_")[0] < first_day:
            end = datetime.date.fromisoformat(name.split("_")[1])
            covered = (end - datetime.date.fromisoformat(first_day)).days + 1
        if row and (row.group(2) and int(row.group(2))) != covered:
            problems.append(f"charts/index.html: {name}: covers {row.group(2)} of 7 days, reference {covered}")
    data_index = open(os.path.join(site, "data", "index.html"), encoding="utf-8").read()
    days = sorted(n for n in refs if "_" not in n)
    for day in days:
        row = re.search(r'<a href="%s\.json(?:\.gz)?">[^<]*</a></th><td class="num">(\d+)</td>' % re.escape(day),
                        data_index)
        if not row or int(row.group(1)) != refs[day]["NumReports"]:
            problems.append(f"data/index.html: {day}: {row and row.group(1)}, reference {refs[day]['NumReports']}")
        check_raw_data(site, day, refs[day], problems)
    if days:
        newest = days[-1]
        weekly = next(n for n in refs if n.endswith("_" + newest))
        home = parse(os.path.join(site, "index.html"))
        check_page(os.path.join(site, "index.html"), refs[weekly], problems)
        if f"data through {newest}" not in re.sub(r"\s+", " ", home.lede):
            problems.append(f"index.html: lede {home.lede!r}, newest day {newest}")
        for page in ("index.html", os.path.join("trends", "index.html")):
            check_participation(os.path.join(site, page), refs, problems)
    for p in problems[:SHOW]:
        print(p)
    print(f"pages: {len(refs)} chart set pages, their index rows, {len(days)} days of raw data and the "
          f"home page: {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
