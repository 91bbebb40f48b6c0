#!/usr/bin/env python3
"""From-the-spec reference for the "Stack counters" pages (SPEC-beyond.md).

    python3 stacks_ref.py DATA OUT.json [--upload-config FILE]

Valid reports come from ref.py (all validity and duplicate rules);
the weekly sets are every [D-6, D] for a day D with at least one valid report.

Output: {"<D-6>_<D>": {"<program>\\t<counter>": [stack, ...]}} with, per stack
(in rank order): key (encoded), uploaders, count, decoded, new, rank.

DECODING (golang.org/x/telemetry internal/counter DecodeStack, written down):
  * a name without "\\n" is returned unchanged (not a stack);
  * split on "\\n"; lastPath = "";
  * for each line (the counter-name line too): cut at the LAST "." of the whole
    line -> (path, rest); no "." -> line unchanged, lastPath unchanged;
    path == '"' exactly -> line becomes lastPath + rest;
    otherwise lastPath = path + "." and the line is unchanged;
  * join with "\\n" (a trailing "\\n" gives a trailing empty line).
  So `".f:+1,+0x4` after `a/b.(*T).g:...` -> `a/b.(*T).f:+1,+0x4`; the
  `:+N`/`:=N` line and `,+0x..` offset are kept verbatim; a ditto with no
  previous path gives just `rest`; `".a.b:..` (two dots) is NOT expanded.

DECISIONS
  S1 Stack identity = the full encoded key string (two keys that decode alike
     stay two stacks). Counter = key's text before the first "\\n"; grouped per
     (program, counter) for the upload config's Stacks entries of the program.
  S2 uploaders = distinct X among the week's valid reports having the key in a
     program report of that program; count = sum of the counts over every such
     program report (a report with two program reports of the program adds
     both counts, but counts once as an uploader). A count of 0 still makes
     the stack "seen" (as for counters in the foundation).
  S3 new = the key (same program) does not occur in any valid report of
     [D-13, D-7]. When that week has no valid report at all (or lies partly
     before the first day with data) the literal reading is kept: every stack
     not seen there is new (so every stack in weeks ending before first+7 is
     new). The alternative (no "new" marks without a previous week) is
     computed too, as "new_if_prev_data".
  S4 rank: uploaders desc, then total count desc, then encoded key by bytes
     (UTF-8) asc. Only the first two are in the spec (and the page's own
     lede); the last is my tie-break and is compared separately.
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref  # noqa: E402


class KStr(str):
    """A Counters/Stacks key that also carries its count."""
    n = 0


_orig_check = ref._check_counts


def _check_counts(obj, problems):
    keys = _orig_check(obj, problems)
    if not isinstance(obj, dict):
        return keys
    out = []
    for k in keys:
        s = KStr(k)
        v = obj[k]
        s.n = int(v.lit) if isinstance(v, ref.JInt) else 0
        out.append(s)
    return out


ref._check_counts = _check_counts

# The valid reports, as the trend reference reads them (after the patch above, which it
# sees through the shared `ref` module).
from trends_ref import load_valid  # noqa: E402


def cut_last_dot(x):
    i = x.rfind(".")
    if i < 0:
        return "", x
    return x[:i], x[i + 1:]


def decode_stack(ename):
    if "\n" not in ename:
        return ename
    lines = ename.split("\n")
    last = ""
    for i, line in enumerate(lines):
        path, rest = cut_last_dot(line)
        if len(path) == 0:
            continue
        if path == '"':
            lines[i] = last + rest
        else:
            last = path + "."
    return "\n".join(lines)


def D(s):
    return datetime.date.fromisoformat(s)


def week_stats(reports, stack_progs):
    """{(prog, key): [set(X), count]} over reports."""
    st = {}
    for r in reports:
        for pr in r.programs:
            prog, stacks = pr[0], pr[6]
            if prog not in stack_progs:
                continue
            for k in stacks:
                e = st.setdefault((prog, str(k)), [set(), 0])
                e[0].add(r.x)
                e[1] += k.n
    return st


def build(config, valid):
    stack_progs = {}
    for p in config.programs:
        names = list(getattr(p, "stack_order", None) or p.stack_names)
        if names:
            stack_progs[p.name] = names
    by_day = {}
    for r in valid:
        by_day.setdefault(r.week, []).append(r)
    days = sorted(by_day)

    def in_range(a, b):
        out = []
        d = a
        while d <= b:
            out.extend(by_day.get(d.isoformat(), ()))
            d += datetime.timedelta(days=1)
        return out

    res = {}
    for d in days:
        end = D(d)
        start = end - datetime.timedelta(days=6)
        cur = week_stats(in_range(start, end), stack_progs)
        prev_reports = in_range(end - datetime.timedelta(days=13),
                                end - datetime.timedelta(days=7))
        prev = week_stats(prev_reports, stack_progs)
        groups = {}
        for (prog, key), (xs, n) in cur.items():
            counter = key.split("\n", 1)[0]
            groups.setdefault(prog + "\t" + counter, []).append({
                "key": key, "uploaders": len(xs), "count": n,
                "decoded": decode_stack(key),
                "new": (prog, key) not in prev,
                "new_if_prev_data": bool(prev_reports) and (prog, key) not in prev,
            })
        for g in groups.values():
            g.sort(key=lambda s: (-s["uploaders"], -s["count"], s["key"].encode()))
            for i, s in enumerate(g, 1):
                s["rank"] = i
        res["%s_%s" % (start.isoformat(), d)] = groups
    return res


def main(argv):
    cfg = None
    if "--upload-config" in argv:
        i = argv.index("--upload-config")
        cfg = argv[i + 1]
        del argv[i:i + 2]
    data, out = argv[1], argv[2]
    config, valid = load_valid(data, cfg)
    res = build(config, valid)
    with open(out, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    n = sum(len(g) for w in res.values() for g in w.values())
    print("stacks_ref: %d valid reports, %d weeks, %d (week, stack) rows"
          % (len(valid), len(res), n), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
