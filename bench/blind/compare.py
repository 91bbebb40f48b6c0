#!/usr/bin/env python3
"""python3 compare.py OUR_SITE REF_OUT

Compares every OUR_SITE/charts/<D>.json and <D>_<D>.json with REF_OUT/charts/ as
parsed JSON ("Charts": null and [] alike; "Data": null and [] alike). Reports
missing/extra files and, for the first few differing files, the first differing
program, chart and datum. Exit 1 on any difference, 0 otherwise."""
import json
import os
import re
import sys

NAME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(_[0-9]{4}-[0-9]{2}-[0-9]{2})?\.json")
SHOW = 5


def chart_files(site):
    d = os.path.join(site, "charts")
    if not os.path.isdir(d):
        return set()
    return {f for f in os.listdir(d) if NAME_RE.fullmatch(f)}


def norm(obj):
    """Normalise null-vs-empty lists for Charts/Data/Programs."""
    if isinstance(obj, dict):
        progs = obj.get("Programs") or []
        obj = dict(obj)
        obj["Programs"] = []
        for p in progs:
            p = dict(p)
            charts = []
            for c in p.get("Charts") or []:
                c = dict(c)
                c["Data"] = c.get("Data") or []
                charts.append(c)
            p["Charts"] = charts
            obj["Programs"].append(p)
    return obj


def first_diff(a, b):
    """Returns a human-readable description of the first difference, or None."""
    if a == b:
        return None
    for k in ("DateRange", "NumReports"):
        if a.get(k) != b.get(k):
            return "%s: ours %r, ref %r" % (k, a.get(k), b.get(k))
    extra_keys = set(a) ^ set(b)
    if extra_keys:
        return "top-level keys differ: %s" % sorted(extra_keys)
    pa, pb = a["Programs"], b["Programs"]
    if [p.get("ID") for p in pa] != [p.get("ID") for p in pb]:
        return "program list: ours %r, ref %r" % ([p.get("ID") for p in pa],
                                                  [p.get("ID") for p in pb])
    for x, y in zip(pa, pb):
        if x == y:
            continue
        for k in set(x) | set(y):
            if k != "Charts" and x.get(k) != y.get(k):
                return "program %s field %s: ours %r, ref %r" % (x.get("ID"), k, x.get(k), y.get(k))
        ca, cb = x["Charts"], y["Charts"]
        ida, idb = [c.get("ID") for c in ca], [c.get("ID") for c in cb]
        if ida != idb:
            only_a = [i for i in ida if i not in idb]
            only_b = [i for i in idb if i not in ida]
            return ("program %s chart list differs: only ours %r, only ref %r, order ours %r ref %r"
                    % (x.get("ID"), only_a, only_b, ida, idb))
        for c, d in zip(ca, cb):
            if c == d:
                continue
            for k in set(c) | set(d):
                if k != "Data" and c.get(k) != d.get(k):
                    return "chart %s field %s: ours %r, ref %r" % (c.get("ID"), k, c.get(k), d.get(k))
            da, db = c["Data"], d["Data"]
            for i, (u, v) in enumerate(zip(da, db)):
                if u != v:
                    return "chart %s datum %d: ours %s, ref %s" % (
                        c.get("ID"), i, json.dumps(u), json.dumps(v))
            if len(da) != len(db):
                ka = [u.get("Key") for u in da]
                kb = [v.get("Key") for v in db]
                return "chart %s: %d data ours, %d ref; keys only ours %r, only ref %r" % (
                    c.get("ID"), len(da), len(db), [k for k in ka if k not in kb],
                    [k for k in kb if k not in ka])
    return "differs (unlocated)"


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ours, ref = argv
    fo, fr = chart_files(ours), chart_files(ref)
    bad = False
    missing = sorted(fr - fo)
    extra = sorted(fo - fr)
    if missing:
        bad = True
        print("missing in ours (%d): %s" % (len(missing), " ".join(missing[:20])))
    if extra:
        bad = True
        print("extra in ours (%d): %s" % (len(extra), " ".join(extra[:20])))
    ndiff = 0
    both = sorted(fo & fr)
    for f in both:
        try:
            with open(os.path.join(ours, "charts", f), encoding="utf-8") as h:
                a = norm(json.load(h))
        except (ValueError, OSError) as e:
            bad = True
            ndiff += 1
            print("%s: ours unreadable: %s" % (f, e))
            continue
        with open(os.path.join(ref, "charts", f), encoding="utf-8") as h:
            b = norm(json.load(h))
        d = first_diff(a, b)
        if d:
            bad = True
            ndiff += 1
            if ndiff <= SHOW:
                print("%s: %s" % (f, d))
    if ndiff > SHOW:
        print("... %d differing files in all" % ndiff)
    print("compared %d files: %d differ, %d missing, %d extra"
          % (len(both), ndiff, len(missing), len(extra)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
