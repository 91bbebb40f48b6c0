#!/usr/bin/env python3
"""Independent, from-the-spec reference for two downloads of the dashboard
(SPEC-beyond.md "Downloads and feed" + "Trends"), built on ref.py
(foundation: validity, duplicates, chart sets).

    python3 trends_ref.py DATA OUT [--upload-config FILE]
    python3 trends_ref.py DATA OUT --compare SITE TRENDS_TSV

Writes
    OUT/charts/<NAME>.csv            one per chart set (NAME = D or D-6_D)
    OUT/trends/<n>.csv               one per program and chart
    OUT/trends.tsv                   program<TAB>chart<TAB>path of each trend CSV
    OUT/ties.tsv                     shares whose 7th+ decimals are exactly ...5
                                     (half-even and half-up disagree there)
With --compare, compares OUT's files with SITE/charts/<NAME>.csv and the trend
CSVs listed in TRENDS_TSV (program<TAB>chart<TAB>path), byte for byte, and prints
the differences.

READINGS of the spec (each is a DECISION; see also ref.py's own decisions):
 CSV (chart set)
  C1 Rows are exactly the data of the chart set's JSON, in the JSON's order:
     programs in config order, charts in chart order, data in bucket order. So the
     chart set's dropping rules carry over: a chart with no data has no rows, a
     program without charts has no rows, dropped empty Version/GoVersion buckets
     have no rows, zero GOOS/GOARCH/counter buckets have rows with value 0.
     ("offers its data as JSON (the foundation's schema) and CSV": same data.)
  C2 `week` = the datum's `Week` (latest Week among the range's reports holding a
     program report), not the range end or start.
  C3 `program` = program path (the entry's Name), `chart` = chart Name,
     `bucket` = datum Key, `value` = datum Value (decimal integer).
 CSV (both)
  Q1 RFC 4180: a field is quoted iff it contains `,` `"` CR or LF; inner `"`
     doubled; records end with CRLF (RFC 4180 section 2.1), the last one too;
     header always present, even with no rows. UTF-8, no BOM.
 Trends
  T1 Points: the weekly chart sets [D-6, D] for days D with data such that
     D = newest day with data - 7k (k >= 0) and D-6 >= first day with data; a
     weekly set exists only for a day D with data, so such a D without data gives
     no point. Oldest first.
  T2 Trends exist for every (program, chart) of the config's chart list
     (Version for non-cmd/ programs, GOOS, GOARCH, GoVersion, counter charts)
     that has data in at least one POINT (chart present in that weekly set).
     Charts never present in any point get no trend. (Ambiguous: "for every
     program and chart".)
  T3 Buckets: the union over the points of the buckets present in the chart's
     data (so Version/GoVersion buckets with 0 in every point are left out, zero
     GOOS/GOARCH/counter buckets are kept), in the chart's bucket order
     (semver / go-version / lexical, as in the chart sets).
     --buckets nonzero-points keeps only buckets with a value > 0 in some point
     (the implementation's reading on bl1: it then matches byte for byte);
     --buckets nonzero-history: > 0 in any daily or weekly set (does not match).
  T4 Row order: week-major (points oldest first), then buckets in chart order;
     every (point, bucket) pair has a row; a bucket absent from a point's data
     (chart absent that week, or a dropped empty bucket) has value 0.
  T5 uploaders = number of distinct X among the valid reports of the weekly
     range that hold at least one program report of that program (an X with two
     program reports of the program, or reports on two days, counts once).
  T6 share = value/uploaders, rounded to 6 decimals from the exact rational,
     round-half-even on exact ties (this equals printf("%.6f") of the f64
     quotient in C/Python/Rust, since no non-tie rational v/u with u < 10^9 can
     round differently in f64). Ties are listed in ties.tsv; half-up would differ
     only there. Written as `0.xxxxxx` / `1.000000`.
  T7 A point whose program has 0 uploaders: rows written with value 0,
     uploaders 0 and an EMPTY share (0/0 is undefined).
  --as-built takes the build's reading of T2 and T7 (top README, "Trends"): every
     (program, chart) of the config has a trend, a header alone when no point has
     the chart, and a week with no uploaders has share 0.000000; and its guard
     against spreadsheet formulas: a cell starting with =, +, -, @, tab or CR gets
     a leading '.
"""
import datetime
import os
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref  # noqa: E402

CRLF = "\r\n"
# T3 variants, for classifying differences: "present" (the reading, default),
# "nonzero-points", "nonzero-history". Set with --buckets.
BUCKETS = "present"
# --as-built: the build's reading of T2 and T7.
AS_BUILT = False


# ---------------------------------------------------------------------------
# Ingest: ref.run()'s steps up to the valid reports, without writing files
# ---------------------------------------------------------------------------
def load_valid(data, config_path=None):
    if config_path is None:
        cand = os.path.join(data, "upload-config.json")
        if os.path.isfile(cand):
            config_path = cand
    config = ref.load_config(config_path) if config_path else None
    candidates = []
    for rel in ref.walk(data):
        kind = ref.classify(rel)
        if kind in ("ignore", None):
            continue
        try:
            content = ref.read_content(os.path.join(data, rel), rel.endswith(".gz"))
        except Exception:
            continue
        items = [(0, content)] if kind == "upload" else \
            list(enumerate(ref.split_lines(content), start=1))
        for line, raw in items:
            try:
                r = ref.validate_text(raw, config)
            except ref.Skip:
                continue
            candidates.append((ref.pbytes(rel), line, r))
    candidates.sort(key=lambda t: (t[0], t[1]))
    kept = {}
    for pb, line, r in candidates:
        kept[(r.week, r.x)] = r
    valid = list(kept.values())
    if config is None:
        config = ref.infer_config(valid)
    return config, valid


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------
def csv_field(s):
    s = str(s)
    if AS_BUILT and s[:1] in ("=", "+", "-", "@", "\t", "\r"):
        s = "'" + s  # the build's guard against spreadsheet formulas (README, "Downloads")
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_text(header, rows):
    out = [",".join(csv_field(f) for f in header)]
    for r in rows:
        out.append(",".join(csv_field(f) for f in r))
    return CRLF.join(out) + CRLF


def chart_set_rows(cs):
    rows = []
    for p in cs["Programs"]:
        for c in p["Charts"]:
            for d in c["Data"]:
                rows.append((p["Name"], c["Name"], d["Week"], d["Key"], d["Value"]))
    return rows


# ---------------------------------------------------------------------------
# Shares
# ---------------------------------------------------------------------------
def share_str(value, uploaders, half_up=False):
    """value/uploaders with 6 decimals from the exact rational."""
    if uploaders == 0:
        return "0.000000" if AS_BUILT else ""
    q = Fraction(value, uploaders) * 10 ** 6
    n, rem = divmod(q.numerator, q.denominator)
    twice = 2 * rem
    if twice > q.denominator or (twice == q.denominator and (half_up or n % 2 == 1)):
        n += 1
    return "%d.%06d" % divmod(n, 10 ** 6)


def is_tie(value, uploaders):
    if uploaders == 0:
        return False
    q = Fraction(value, uploaders) * 10 ** 6
    return q.denominator == 2


# ---------------------------------------------------------------------------
# Point selection
# ---------------------------------------------------------------------------
def D(s):
    return datetime.date.fromisoformat(s)


def trend_points(days):
    """days: the days (YYYY-MM-DD) with data. Returns [(start, end)] oldest first."""
    if not days:
        return []
    days = sorted(days)
    first, newest = D(days[0]), D(days[-1])
    pts = []
    for d in days:
        dd = D(d)
        if (newest - dd).days % 7 == 0 and dd - datetime.timedelta(days=6) >= first:
            pts.append(((dd - datetime.timedelta(days=6)).isoformat(), d))
    return pts


def program_uploaders(reports, program):
    return len({r.x for r in reports if any(pr[0] == program for pr in r.programs)})


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
def build(config, valid):
    """Returns (chart set csvs {NAME: text}, trends [(program, chart, text)], ties)."""
    by_day = {}
    for r in valid:
        by_day.setdefault(r.week, []).append(r)
    specs = ref.chart_specs(config)
    charts = {}
    weekly = {}     # end day -> (reports, chart set)
    header = ("program", "chart", "week", "bucket", "value")
    for d in sorted(by_day):
        day = D(d)
        start = (day - datetime.timedelta(days=6)).isoformat()
        wk = []
        for i in range(6, -1, -1):
            wk.extend(by_day.get((day - datetime.timedelta(days=i)).isoformat(), []))
        daily = ref.chart_set(specs, by_day[d], d, d)
        wcs = ref.chart_set(specs, wk, start, d)
        weekly[d] = (wk, wcs)
        charts[d] = csv_text(header, chart_set_rows(daily))
        charts["%s_%s" % (start, d)] = csv_text(header, chart_set_rows(wcs))

    hist = {}
    for d in sorted(by_day):
        for cs in (ref.chart_set(specs, by_day[d], d, d), weekly[d][1]):
            for pe in cs["Programs"]:
                for c in pe["Charts"]:
                    for x in c["Data"]:
                        k = (pe["Name"], c["Name"], x["Key"])
                        hist[k] = max(hist.get(k, 0), x["Value"])
    points = trend_points(list(by_day))
    trends, ties = [], []
    theader = ("week_start", "week_end", "bucket", "value", "uploaders", "share")
    for p, chart_list in specs:
        ups = [program_uploaders(weekly[end][0], p.name) for _s, end in points]
        pdata = []   # per point: {chart name: {key: value}}
        for _s, end in points:
            prog = [e for e in weekly[end][1]["Programs"] if e["Name"] == p.name][0]
            pdata.append({c["Name"]: {x["Key"]: x["Value"] for x in c["Data"]}
                          for c in prog["Charts"]})
        for cname, buckets, _drop in chart_list:
            present = [pd[cname] for pd in pdata if cname in pd]
            if not present and not AS_BUILT:
                continue
            if BUCKETS == "present":
                keys = [k for k, _m in buckets if any(k in m for m in present)]
            elif BUCKETS == "nonzero-points":
                keys = [k for k, _m in buckets if any(m.get(k, 0) > 0 for m in present)]
            else:  # nonzero-history: nonzero in any daily or weekly chart set
                keys = [k for k, _m in buckets if hist.get((p.name, cname, k), 0) > 0]
            rows = []
            for (s, e), pd, u in zip(points, pdata, ups):
                m = pd.get(cname, {})
                for k in keys:
                    v = m.get(k, 0)
                    rows.append((s, e, k, v, u, share_str(v, u)))
                    if is_tie(v, u):
                        ties.append((p.name, cname, e, k, v, u, share_str(v, u),
                                     share_str(v, u, half_up=True)))
            trends.append((p.name, cname, csv_text(theader, rows)))
    return charts, trends, ties


def write(out, charts, trends, ties):
    os.makedirs(os.path.join(out, "charts"), exist_ok=True)
    os.makedirs(os.path.join(out, "trends"), exist_ok=True)
    for name, text in charts.items():
        with open(os.path.join(out, "charts", name + ".csv"), "w", newline="",
                  encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(out, "trends.tsv"), "w", encoding="utf-8") as idx:
        for i, (prog, chart, text) in enumerate(trends):
            path = os.path.join(out, "trends", "%03d.csv" % i)
            with open(path, "w", newline="", encoding="utf-8") as f:
                f.write(text)
            idx.write("%s\t%s\t%s\n" % (prog, chart, os.path.abspath(path)))
    with open(os.path.join(out, "ties.tsv"), "w", encoding="utf-8") as f:
        for t in ties:
            f.write("\t".join(map(str, t)) + "\n")


# ---------------------------------------------------------------------------
# Compare
# ---------------------------------------------------------------------------
def diff_text(name, mine, theirs, show=4):
    if mine == theirs:
        return None
    a, b = mine.split("\n"), theirs.split("\n")
    lines = ["DIFF %s: ref %d lines, impl %d lines" % (name, len(a) - 1, len(b) - 1)]
    sa, sb = set(a), set(b)
    only_a = [x for x in a if x not in sb]
    only_b = [x for x in b if x not in sa]
    if not only_a and not only_b:
        lines.append("  same rows, different order")
    n = 0
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else "<none>"
        y = b[i] if i < len(b) else "<none>"
        if x != y:
            lines.append("  line %d: ref %r | impl %r" % (i + 1, x, y))
            n += 1
            if n >= show:
                break
    lines.append("  rows only in ref: %d %r" % (len(only_a), only_a[:3]))
    lines.append("  rows only in impl: %d %r" % (len(only_b), only_b[:3]))
    return "\n".join(lines)


def compare(charts, trends, site, tsv):
    ncmp = ndiff = 0
    reports = []
    impl_charts = {f[:-4] for f in os.listdir(os.path.join(site, "charts"))
                   if f.endswith(".csv")}
    for name in sorted(set(charts) | impl_charts):
        ncmp += 1
        if name not in impl_charts:
            reports.append("MISSING in impl: charts/%s.csv" % name)
            ndiff += 1
            continue
        if name not in charts:
            reports.append("EXTRA in impl: charts/%s.csv" % name)
            ndiff += 1
            continue
        with open(os.path.join(site, "charts", name + ".csv"), newline="",
                  encoding="utf-8") as f:
            d = diff_text("charts/%s.csv" % name, charts[name], f.read())
        if d:
            ndiff += 1
            reports.append(d)
    impl = {}
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            prog, chart, path = line.rstrip("\n").split("\t")
            impl[(prog, chart)] = path
    # The pages show a program or chart of only whitespace as `(blank name)`.
    from pages import WHITESPACE

    def shown(name):
        return "(blank name)" if all(ch in WHITESPACE for ch in name) else name
    mine = {(shown(p), shown(c)): t for p, c, t in trends}
    for key in sorted(set(mine) | set(impl)):
        ncmp += 1
        if key not in impl:
            reports.append("MISSING trend in impl: %s %s" % key)
            ndiff += 1
            continue
        if key not in mine:
            reports.append("EXTRA trend in impl: %s %s" % key)
            ndiff += 1
            continue
        with open(impl[key], newline="", encoding="utf-8") as f:
            d = diff_text("trend %s %s" % key, mine[key], f.read())
        if d:
            ndiff += 1
            reports.append(d)
    print("\n".join(reports))
    print("compared %d files (%d chart-set CSVs, %d trend CSVs): %d differ"
          % (ncmp, len(set(charts) | impl_charts), len(set(mine) | set(impl)), ndiff))
    return ndiff


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--upload-config")
    ap.add_argument("--compare", nargs=2, metavar=("SITE", "TRENDS_TSV"))
    ap.add_argument("--buckets", default="present",
                    choices=["present", "nonzero-points", "nonzero-history"])
    ap.add_argument("--as-built", action="store_true",
                    help="the build's reading of T2 (a trend for every chart) and T7 (share 0)")
    a = ap.parse_args(argv)
    global BUCKETS, AS_BUILT
    BUCKETS = a.buckets
    AS_BUILT = a.as_built
    config, valid = load_valid(a.data, a.upload_config)
    charts, trends, ties = build(config, valid)
    write(a.out, charts, trends, ties)
    print("%d valid reports, %d chart-set CSVs, %d trend CSVs, %d exact ties"
          % (len(valid), len(charts), len(trends), len(ties)), file=sys.stderr)
    if a.compare:
        return 1 if compare(charts, trends, *a.compare) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
