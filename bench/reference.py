#!/usr/bin/env python3
"""An independent, slow reference for the chart numbers, written from the issue's rules.

Usage: bench/reference.py UPLOAD_CONFIG SITE [DAY ...]

Reads the valid reports the build published (SITE/data/<D>.json or <D>.json.gz), recomputes every daily
and weekly chart set (or those ending on the given days) with plain sets, and compares them
with SITE/charts/*.json. Exits 1 on any difference.
"""
import glob
import gzip
import json
import os
import re
import sys
from datetime import date, timedelta
from functools import cmp_to_key

# --- golang.org/x/mod/semver -------------------------------------------------------------
SEMVER = re.compile(r"^v(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?)?"
                    r"(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")


def sv_parse(v):
    m = SEMVER.match(v)
    if not m:
        return None
    if m.group(4) and (m.group(2) is None or m.group(3) is None):
        return None  # shorthand versions cannot carry a prerelease
    pre = m.group(4) or ""
    for ident in pre[1:].split(".") if pre else []:
        if ident.isdigit() and len(ident) > 1 and ident[0] == "0":
            return None
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), pre)


def cmp_pre(a, b):
    if a == b:
        return 0
    if a == "":
        return 1
    if b == "":
        return -1
    xa, xb = a[1:].split("."), b[1:].split(".")
    for p, q in zip(xa, xb):
        if p == q:
            continue
        pn, qn = p.isdigit(), q.isdigit()
        if pn and qn:
            return -1 if int(p) < int(q) else 1
        if pn:
            return -1
        if qn:
            return 1
        return -1 if p < q else 1
    return -1 if len(xa) < len(xb) else (1 if len(xa) > len(xb) else 0)


def sv_cmp(a, b):
    pa, pb = sv_parse(a), sv_parse(b)
    if pa is None and pb is None:
        return 0
    if pa is None:
        return -1
    if pb is None:
        return 1
    if pa[:3] != pb[:3]:
        return -1 if pa[:3] < pb[:3] else 1
    return cmp_pre(pa[3], pb[3])


# --- go/version ----------------------------------------------------------------------------
GOV = re.compile(r"^go(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:(?:\.(0|[1-9]\d*))|([a-z]+)(0|[1-9]\d*)?)?)?$")


def go_lang(v):
    v = v.split("-", 1)[0]
    m = GOV.match(v)
    if not m:
        # gover.go refuses a prerelease of a patch release (go1.9.2rc2, released as it
        # was): Go's upload config lists it first, where invalid versions sort
        return ""
    if m.group(2) is None or (m.group(1) == "1" and m.group(2) == "0"):
        return "go" + m.group(1) if m.group(1) == "1" else "go%s.0" % m.group(1)
    return "go%s.%s" % (m.group(1), m.group(2))


def go_key(v):
    # only language versions (goM.N) or "" reach here
    m = re.match(r"^go(\d+)(?:\.(\d+))?$", v)
    if not m:
        return (-1, -1)
    return (int(m.group(1)), int(m.group(2) or 0))


# --- the rules -----------------------------------------------------------------------------
def expand(name):
    prefix, brace, rest = name.partition("{")
    if not brace:
        return [name]
    inner = rest[:-1] if rest.endswith("}") else rest
    return [prefix + c for c in inner.split(",")]


def split(name):
    chart, colon, bucket = name.partition(":")
    return (chart, bucket) if colon else (name, name)


def chart_defs(cfg):
    out = []
    for p in cfg["Programs"]:
        charts = []
        if not p["Name"].startswith("cmd/"):
            vs = sorted(set(p.get("Versions") or []), key=cmp_to_key(lambda a, b: sv_cmp(a, b) or (a > b) - (a < b)))
            charts.append(("Version", "version", vs, False))
        charts.append(("GOOS", "goos", sorted(set(cfg["GOOS"])), True))
        charts.append(("GOARCH", "goarch", sorted(set(cfg["GOARCH"])), True))
        gv = sorted({go_lang(v) for v in cfg["GoVersion"]}, key=lambda v: (go_key(v), v))
        charts.append(("GoVersion", "go", gv, False))
        for c in p.get("Counters") or []:
            chart = split(c["Name"])[0] if ":" in c["Name"] else c["Name"]
            names = expand(c["Name"])
            charts.append((chart, ("counter", tuple(names)), sorted({split(n)[1] for n in names}), True))
        out.append((p["Name"], charts))
    return out


def buckets_of(report):
    """{(program, chart kind, bucket)} of one report."""
    got = set()
    for p in report.get("Programs") or []:
        name = p["Program"]
        got.add((name, "version", p["Version"]))
        got.add((name, "goos", p["GOOS"]))
        got.add((name, "goarch", p["GOARCH"]))
        got.add((name, "go", go_lang(p["GoVersion"])))
        for c in p.get("Counters") or {}:
            got.add((name, "counter", c))
    return got


def chart_set(defs, reports, start, end):
    week = max((r["Week"] for r in reports if r.get("Programs")), default="")
    facts = [(r["X"], buckets_of(r)) for r in reports]
    progs = []
    for name, charts in defs:
        out = []
        for cname, kind, buckets, keep in charts:
            data = []
            for b in buckets:
                if isinstance(kind, tuple):
                    full = [n for n in kind[1] if split(n)[1] == b]
                    xs = {x for x, f in facts if any((name, "counter", n) in f for n in full)}
                else:
                    xs = {x for x, f in facts if (name, kind, b) in f}
                data.append((b, len(xs)))
            if all(v == 0 for _, v in data):
                continue
            if not keep:
                data = [(b, v) for b, v in data if v]
            out.append({"ID": f"charts:{name}:{cname}", "Name": cname, "Type": "partition",
                        "Data": [{"Week": week, "Key": b, "Value": v} for b, v in data]})
        progs.append({"ID": f"charts:{name}", "Name": name, "Charts": out})
    return {"DateRange": [start, end], "Programs": progs, "NumReports": len(reports)}


def main():
    cfg = json.load(open(sys.argv[1]))
    site = sys.argv[2]
    only = set(sys.argv[3:])
    defs = chart_defs(cfg)
    by_day = {}
    # The raw data as published: `<D>.json`, or `<D>.json.gz` (`--raw-data gz`).
    for path in glob.glob(os.path.join(site, "data", "*.json")) + glob.glob(os.path.join(site, "data", "*.json.gz")):
        name = os.path.basename(path)
        day = name[:10]
        with (gzip.open(path, "rt") if name.endswith(".gz") else open(path)) as f:
            by_day[day] = [json.loads(line) for line in f]
    bad = 0
    for day in sorted(by_day):
        if only and day not in only:
            continue
        d = date.fromisoformat(day)
        start = (d - timedelta(days=6)).isoformat()
        weekly = [r for k, rs in by_day.items() if start <= k <= day for r in rs]
        for name, want in ((day, chart_set(defs, by_day[day], day, day)),
                           (f"{start}_{day}", chart_set(defs, weekly, start, day))):
            got = json.load(open(os.path.join(site, "charts", name + ".json")))
            if got != want:
                bad += 1
                print(f"DIFFERS: {name}")
    print("OK" if not bad else f"{bad} chart sets differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
