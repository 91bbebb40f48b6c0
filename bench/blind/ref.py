#!/usr/bin/env python3
"""Independent, from-the-spec reference implementation of `telemetry-site build`'s
data path (validation + aggregation + chart JSON).  Python 3 standard library only.

    python3 ref.py DATA OUT [--upload-config FILE]

Writes OUT/charts/<D>.json, OUT/charts/<D-6>_<D>.json, OUT/skips.tsv, OUT/counts.json.

Decisions where SPEC.md is silent or ambiguous are marked "DECISION:" below and are
listed in README.md.
"""
import datetime
import gzip
import json
import os
import re
import sys
import zlib

MAX_REPORT = 102400          # SPEC: "At most 100 KiB (102,400 bytes, ...)"
MAX_DEPTH = 127              # SPEC: "nesting under 128 levels (serde_json's limit)":
                             # serde_json starts remaining_depth=128 and fails when an
                             # opening [ or { brings it to 0, i.e. at the 128th level.
                             # The top-level object is level 1; [] nested 127 deep is OK.
INT64_LIMIT = 1 << 63

JSON_WS = b" \t\r\n"
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MERGED_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.(json|jsonl|ndjson)")

REASONS = ["too_large", "empty", "invalid_utf8", "malformed", "not_object",
           "wrong_type", "negative_count", "overflow_count", "bad_week", "x_range",
           "bad_config", "unknown_program", "unknown_counter", "duplicate"]


# ---------------------------------------------------------------------------
# golang.org/x/mod/semver (IsValid, Compare), transcribed from its source:
#   vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]; "v" prefix required; numbers
#   without leading zeros; shorthand v1 / v1.2 valid (= v1.0.0 / v1.2.0) but
#   prerelease/build only allowed after a full MAJOR.MINOR.PATCH; prerelease
#   identifiers [0-9A-Za-z-]+, non-empty, numeric ones without leading zero;
#   build identifiers [0-9A-Za-z-]+, non-empty (leading zeros allowed).
#   Compare: invalid < valid, invalid == invalid; build ignored.
# ---------------------------------------------------------------------------
def _sv_int(v):
    if not v or not ("0" <= v[0] <= "9"):
        return None
    i = 1
    while i < len(v) and "0" <= v[i] <= "9":
        i += 1
    if v[0] == "0" and i != 1:
        return None
    return v[:i], v[i:]


def _ident_char(c):
    return ("A" <= c <= "Z") or ("a" <= c <= "z") or ("0" <= c <= "9") or c == "-"


def _is_bad_num(v):
    i = 0
    while i < len(v) and "0" <= v[i] <= "9":
        i += 1
    return i == len(v) and i > 1 and v[0] == "0"


def _is_num(v):
    return all("0" <= c <= "9" for c in v)


def _sv_prerelease(v):
    if not v or v[0] != "-":
        return None
    i = start = 1
    while i < len(v) and v[i] != "+":
        if not _ident_char(v[i]) and v[i] != ".":
            return None
        if v[i] == ".":
            if start == i or _is_bad_num(v[start:i]):
                return None
            start = i + 1
        i += 1
    if start == i or _is_bad_num(v[start:i]):
        return None
    return v[:i], v[i:]


def _sv_build(v):
    if not v or v[0] != "+":
        return None
    i = start = 1
    while i < len(v):
        if not _ident_char(v[i]) and v[i] != ".":
            return None
        if v[i] == ".":
            if start == i:
                return None
            start = i + 1
        i += 1
    if start == i:
        return None
    return v[:i], v[i:]


def semver_parse(v):
    """Returns (major, minor, patch, prerelease) or None if invalid."""
    if not v or v[0] != "v":
        return None
    r = _sv_int(v[1:])
    if r is None:
        return None
    major, v = r
    if v == "":
        return (major, "0", "0", "")
    if v[0] != ".":
        return None
    r = _sv_int(v[1:])
    if r is None:
        return None
    minor, v = r
    if v == "":
        return (major, minor, "0", "")
    if v[0] != ".":
        return None
    r = _sv_int(v[1:])
    if r is None:
        return None
    patch, v = r
    pre = ""
    if v and v[0] == "-":
        r = _sv_prerelease(v)
        if r is None:
            return None
        pre, v = r
    if v and v[0] == "+":
        r = _sv_build(v)
        if r is None:
            return None
        _, v = r
    if v != "":
        return None
    return (major, minor, patch, pre)


def semver_is_valid(v):
    return semver_parse(v) is not None


def _cmp_int(x, y):
    if x == y:
        return 0
    if len(x) != len(y):
        return -1 if len(x) < len(y) else 1
    return -1 if x < y else 1


def _cmp_pre(x, y):
    if x == y:
        return 0
    if x == "":
        return 1
    if y == "":
        return -1
    while x and y:
        x = x[1:]
        y = y[1:]
        i = x.find(".")
        dx, x = (x, "") if i < 0 else (x[:i], x[i:])
        i = y.find(".")
        dy, y = (y, "") if i < 0 else (y[:i], y[i:])
        if dx != dy:
            ix, iy = _is_num(dx), _is_num(dy)
            if ix != iy:
                return -1 if ix else 1
            if ix and len(dx) != len(dy):
                return -1 if len(dx) < len(dy) else 1
            return -1 if dx < dy else 1
    return -1 if x == "" else 1


def semver_compare(v, w):
    pv, pw = semver_parse(v), semver_parse(w)
    if pv is None and pw is None:
        return 0
    if pv is None:
        return -1
    if pw is None:
        return 1
    for a, b in zip(pv[:3], pw[:3]):
        c = _cmp_int(a, b)
        if c:
            return c
    return _cmp_pre(pv[3], pw[3])


# ---------------------------------------------------------------------------
# go/version (Lang, Compare) on top of internal/gover, transcribed:
#   stripGo cuts at the first "-" ("go1.21-bigcorp" -> "go1.21"), requires "go".
#   gover.Parse: MAJOR[.MINOR[.PATCH | KIND[PRE]]], numbers w/o leading zero,
#   KIND = [a-z]+, PRE = number; "1" means 1.0.0; "1.N" with N<21 means 1.N.0.
#   Lang: MAJOR.MINOR (or MAJOR when minor is missing or version is 1.0);
#   invalid -> "".  Compare: invalid < valid; kind compared as strings.
# ---------------------------------------------------------------------------
def _gv_cut_int(x):
    i = 0
    while i < len(x) and "0" <= x[i] <= "9":
        i += 1
    if i == 0 or (x[0] == "0" and i != 1):
        return None
    return x[:i], x[i:]


def gover_parse(x):
    """Returns (major, minor, patch, kind, pre) or None when invalid."""
    r = _gv_cut_int(x)
    if r is None:
        return None
    major, x = r
    if x == "":
        return (major, "0", "0", "", "")
    if x[0] != ".":
        return None
    r = _gv_cut_int(x[1:])
    if r is None:
        return None
    minor, x = r
    if x == "":
        patch = "0" if _cmp_int(minor, "21") < 0 else ""
        return (major, minor, patch, "", "")
    if x[0] == ".":
        r = _gv_cut_int(x[1:])
        if r is None or r[1] != "":
            return None
        return (major, minor, r[0], "", "")
    i = 0
    while i < len(x) and not ("0" <= x[i] <= "9"):
        if not ("a" <= x[i] <= "z"):
            return None
        i += 1
    if i == 0:
        return None
    kind, x = x[:i], x[i:]
    if x == "":
        return (major, minor, "", kind, "")
    r = _gv_cut_int(x)
    if r is None or r[1] != "":
        return None
    return (major, minor, "", kind, r[0])


def _strip_go(v):
    v = v.split("-", 1)[0]
    if len(v) < 2 or v[:2] != "go":
        return ""
    return v[2:]


def goversion_lang(x):
    p = gover_parse(_strip_go(x))
    if p is None:
        return ""
    major, minor = p[0], p[1]
    if minor == "" or (major == "1" and minor == "0"):
        v = major
    else:
        v = major + "." + minor
    if x[2:].startswith(v):
        return x[:2 + len(v)]
    return "go" + v


def goversion_compare(x, y):
    px, py = gover_parse(_strip_go(x)), gover_parse(_strip_go(y))
    # Go compares the zero Version for malformed input: all fields "".
    px = px or ("", "", "", "", "")
    py = py or ("", "", "", "", "")
    for i in range(5):
        if i == 3:
            c = (px[3] > py[3]) - (px[3] < py[3])
        else:
            c = _cmp_int(px[i], py[i])
        if c:
            return c
    return 0


def sort_with(items, cmp):
    import functools

    def key_cmp(a, b):
        c = cmp(a, b)
        if c:
            return c
        ab, bb = a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
        return (ab > bb) - (ab < bb)
    return sorted(items, key=functools.cmp_to_key(key_cmp))


def byte_sorted(items):
    return sorted(items, key=lambda s: s.encode("utf-8", "surrogatepass"))


# ---------------------------------------------------------------------------
# Counter names
# ---------------------------------------------------------------------------
def expand_counter(name):
    """x/telemetry config.Expand: "p:{a,b}" -> ["p:a", "p:b"]; no "{" -> [name]."""
    prefix, sep, rest = name.partition("{")
    if not sep:
        return [prefix]
    if rest.endswith("}"):
        rest = rest[:-1]
    return [prefix + b for b in rest.split(",")]


def split_counter_name(name):
    """worker's splitCounterName: chart = up to first ':'; bucket = after it, or the
    whole name when there is no ':'."""
    prefix, sep, bucket = name.partition(":")
    if not sep:
        bucket = prefix
    return prefix, bucket


# ---------------------------------------------------------------------------
# JSON parsing with the spec's strictness
# ---------------------------------------------------------------------------
class Malformed(Exception):
    pass


class JInt:
    """An integer literal (-?(0|[1-9][0-9]*)), kept as text."""
    __slots__ = ("lit",)

    def __init__(self, lit):
        self.lit = lit


class JFrac:
    """A number literal with a fraction and/or exponent, kept as text."""
    __slots__ = ("lit",)

    def __init__(self, lit):
        self.lit = lit


def _pairs_hook(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise Malformed("repeated key")
        d[k] = v
    return d


def _reject_constant(name):
    raise Malformed("non-JSON constant " + name)


_SURR = re.compile("[\ud800-\udfff]")


def _check_tree(v, depth):
    """Depth (containers) and lone-surrogate check. depth = level of v if container."""
    if isinstance(v, dict):
        if depth > MAX_DEPTH:
            raise Malformed("too deep")
        for k, x in v.items():
            if _SURR.search(k):
                raise Malformed("lone surrogate")
            _check_tree(x, depth + 1)
    elif isinstance(v, list):
        if depth > MAX_DEPTH:
            raise Malformed("too deep")
        for x in v:
            _check_tree(x, depth + 1)
    elif isinstance(v, str):
        if _SURR.search(v):
            raise Malformed("lone surrogate")


def parse_json(text):
    try:
        v = json.loads(text, object_pairs_hook=_pairs_hook, parse_int=JInt,
                       parse_float=JFrac, parse_constant=_reject_constant)
    except (ValueError, RecursionError, Malformed):
        raise Malformed("parse")
    _check_tree(v, 1)
    return v


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
class Skip(Exception):
    def __init__(self, reason):
        self.reason = reason


class Report:
    __slots__ = ("week", "x", "programs")

    def __init__(self, week, x, programs):
        self.week = week
        self.x = x
        # list of (Program, Version, GoVersion, GOOS, GOARCH, counters(list), stacks(list))
        self.programs = programs


def _is_str(v):
    return isinstance(v, str)


def _is_jnum(v):
    return isinstance(v, (JInt, JFrac))


def _check_counts(obj, problems):
    """obj: dict or None. Records 'wrong_type', 'negative_count', 'overflow_count'."""
    if obj is None:
        return []
    if not isinstance(obj, dict):
        problems.add("wrong_type")
        return []
    for v in obj.values():
        if isinstance(v, JInt):
            # DECISION: only a plain integer literal is an integer count; 1.0 and
            # 1e3 are fractional/exponent literals -> wrong_type (Go's int64 decoding
            # and serde's i64/u64 both reject them). "-0" is the integer 0 (valid).
            lit = v.lit
            if lit.startswith("-"):
                if lit != "-0":
                    problems.add("negative_count")
            elif len(lit) > 19 or int(lit) >= INT64_LIMIT:
                problems.add("overflow_count")
        else:
            problems.add("wrong_type")
    return list(obj.keys())


def validate_text(raw, config):
    """raw: bytes of one report (a line without its newline, or a whole file).
    Returns a Report or raises Skip."""
    # Rule 1
    if len(raw) > MAX_REPORT:
        raise Skip("too_large")
    # DECISION: blank = only JSON whitespace (space, tab, CR, LF).
    if raw.strip(JSON_WS) == b"":
        raise Skip("empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Skip("invalid_utf8")
    try:
        doc = parse_json(text)
    except Malformed:
        raise Skip("malformed")
    if not isinstance(doc, dict):
        raise Skip("not_object")

    # Rule 2 (types). DECISION: wrong_type anywhere beats negative_count, which beats
    # overflow_count, whatever their positions in the report (spec order).
    problems = set()
    week = doc.get("Week", "")
    if not _is_str(week):
        problems.add("wrong_type")
    if "LastWeek" in doc and not _is_str(doc["LastWeek"]):
        problems.add("wrong_type")
    cfgv = doc.get("Config", "")
    if not _is_str(cfgv):
        problems.add("wrong_type")
    xv = doc.get("X", JInt("0"))
    if not _is_jnum(xv):
        problems.add("wrong_type")
    progs = doc.get("Programs", None)
    plist = []
    if progs is not None and not isinstance(progs, list):
        problems.add("wrong_type")
        progs = None
    for pr in progs or []:
        if not isinstance(pr, dict):
            problems.add("wrong_type")
            continue
        fields = []
        for k in ("Program", "Version", "GoVersion", "GOOS", "GOARCH"):
            v = pr.get(k, "")
            if not _is_str(v):
                problems.add("wrong_type")
            fields.append(v)
        counters = _check_counts(pr.get("Counters"), problems)
        stacks = _check_counts(pr.get("Stacks"), problems)
        plist.append(tuple(fields) + (counters, stacks))
    for reason in ("wrong_type", "negative_count", "overflow_count"):
        if reason in problems:
            raise Skip(reason)

    # Rule 3
    if not valid_week(week):
        raise Skip("bad_week")
    # Python's float() on a JSON number literal is correctly rounded (exact f64).
    # DECISION: a number too large for f64 (1e400) is +inf -> x_range; one that
    # underflows (1e-400) is 0.0 -> x_range.
    x = float(xv.lit)
    if not (0.0 < x < 1.0):
        raise Skip("x_range")
    if not semver_is_valid(cfgv):
        raise Skip("bad_config")

    # Rule 4 (only with an upload config). DECISION: unknown_program is checked for
    # all program reports before unknown_counter (spec order), not per program report.
    if config is not None and not config.inferred:
        for (prog, ver, gov, goos, goarch, _c, _s) in plist:
            p = config.prog_by_name.get(prog)
            if (p is None or ver not in p.versions or gov not in config.goversion_set
                    or goos not in config.goos_set or goarch not in config.goarch_set):
                raise Skip("unknown_program")
        for (prog, _v, _g, _o, _a, counters, stacks) in plist:
            p = config.prog_by_name[prog]
            for c in counters:
                if c not in p.counter_names:
                    raise Skip("unknown_counter")
            for s in stacks:
                if s.split("\n", 1)[0] not in p.stack_names:
                    raise Skip("unknown_counter")
    return Report(week, x, plist)


def valid_week(w):
    if not isinstance(w, str) or not DATE_RE.fullmatch(w):
        return False
    try:
        # DECISION: year 0000 is not a real calendar date (Python's date starts at 1).
        datetime.date(int(w[0:4]), int(w[5:7]), int(w[8:10]))
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------
# Upload config
# ---------------------------------------------------------------------------
class ProgConfig:
    def __init__(self, name):
        self.name = name
        self.versions = []
        self.counter_entries = []    # list of (chart name, [(bucket, set(match names))])
        self.counter_names = set()   # expanded names (validation)
        self.stack_names = set()


class Config:
    def __init__(self):
        self.inferred = False
        self.goos = []
        self.goarch = []
        self.goversion = []
        self.programs = []
        self.prog_by_name = {}
        self.goos_set = self.goarch_set = self.goversion_set = set()

    def finish(self):
        self.goos_set = set(self.goos)
        self.goarch_set = set(self.goarch)
        self.goversion_set = set(self.goversion)
        for p in self.programs:
            # DECISION: a program listed twice in a config: first entry wins for
            # validation; both get an entry in the output (config order).
            self.prog_by_name.setdefault(p.name, p)


def _strlist(v):
    return [s for s in (v or []) if isinstance(s, str)]


def load_config(path):
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    cfg = Config()
    cfg.goos = _strlist(doc.get("GOOS"))
    cfg.goarch = _strlist(doc.get("GOARCH"))
    cfg.goversion = _strlist(doc.get("GoVersion"))
    for pd in doc.get("Programs") or []:
        p = ProgConfig(pd.get("Name", ""))
        p.versions = _strlist(pd.get("Versions"))
        for c in pd.get("Counters") or []:
            name = c.get("Name", "")
            chart, _ = split_counter_name(name)
            buckets = {}
            for e in expand_counter(name):
                p.counter_names.add(e)
                _, b = split_counter_name(e)
                buckets.setdefault(b, set()).add(e)
            p.counter_entries.append((chart, list(buckets.items())))
        for s in pd.get("Stacks") or []:
            p.stack_names.add(s.get("Name", ""))
        cfg.programs.append(p)
    cfg.finish()
    return cfg


def infer_config(reports):
    """DECISION (inferred config, no upload config given):
    - programs: every Program seen in a valid (kept, non-duplicate) report, sorted by
      name (byte order);
    - GOOS, GOARCH, GoVersion: global lists (as in a real config) of the values seen
      in any valid program report; so a program's GOOS/GOARCH charts keep zero
      buckets for values only other programs used;
    - Versions: per program, the values seen for that program;
    - counters: per program, the counter names seen (Stacks ignored: they never make
      charts). Names are grouped by chart name (text before the first ':'), one chart
      per chart name, charts in chart-name byte order; a chart's buckets are the
      bucket parts seen (a name with no ':' is its own bucket), so
      "go/vcs:git" + "go/vcs:mod" make ONE chart "go/vcs" with buckets git, mod.
      Zero buckets are kept within a chart, as for configured counters."""
    cfg = Config()
    cfg.inferred = True
    goos, goarch, gov = set(), set(), set()
    progs = {}
    for r in reports:
        for (prog, ver, g, o, a, counters, _stacks) in r.programs:
            goos.add(o)
            goarch.add(a)
            gov.add(g)
            ent = progs.setdefault(prog, (set(), {}))
            ent[0].add(ver)
            for c in counters:
                chart, b = split_counter_name(c)
                ent[1].setdefault(chart, {}).setdefault(b, set()).add(c)
    cfg.goos = byte_sorted(goos)
    cfg.goarch = byte_sorted(goarch)
    cfg.goversion = byte_sorted(gov)
    for name in byte_sorted(progs):
        vers, charts = progs[name]
        p = ProgConfig(name)
        p.versions = byte_sorted(vers)
        for chart in byte_sorted(charts):
            p.counter_entries.append((chart, list(charts[chart].items())))
        cfg.programs.append(p)
    cfg.finish()
    return cfg


# ---------------------------------------------------------------------------
# Reading DATA
# ---------------------------------------------------------------------------
def classify(rel):
    """rel: path relative to DATA with '/' separators.
    Returns 'merged', 'upload', 'ignore' or None (not recognised).
    DECISION: the merged pattern (file name <YYYY-MM-DD>.json/.jsonl/.ndjson[.gz])
    is tried first, so DATA/<date>/<date>.json is a merged file; otherwise a
    <name>.json[.gz] (non-empty name) whose parent folder is named YYYY-MM-DD is the
    upload layout, at any depth. Folder/file dates are matched as patterns only
    (not checked as calendar dates): a report's day comes from its Week."""
    parts = rel.split("/")
    if len(parts) == 1 and parts[0] in ("upload-config.json", "chart-config.txt"):
        return "ignore"
    name = parts[-1]
    base = name[:-3] if name.endswith(".gz") else name
    if MERGED_RE.fullmatch(base):
        return "merged"
    if len(parts) >= 2 and DATE_RE.fullmatch(parts[-2]) and base.endswith(".json") \
            and len(base) > len(".json"):
        return "upload"
    return None


def walk(data):
    out = []
    for root, dirs, files in os.walk(data):
        relroot = os.path.relpath(root, data)
        relroot = "" if relroot == "." else relroot.replace(os.sep, "/")
        if relroot == "" and "pages" in dirs:
            dirs.remove("pages")
        for f in files:
            rel = f if relroot == "" else relroot + "/" + f
            out.append(rel)
    return out


def read_content(path, gz):
    with open(path, "rb") as f:
        b = f.read()
    if gz:
        b = gzip.decompress(b)
    return b


def split_lines(b):
    """Merged layout: one report per line, 1-based numbers. The '\\n' (and a '\\r'
    just before it: DECISION, CRLF newline) is not part of the line. A final line
    without '\\n' is a line; a final '\\n' does not start a new line; an empty file
    has no lines (DECISION)."""
    if not b:
        return []
    parts = b.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    out = []
    for p in parts:
        if p.endswith(b"\r"):
            p = p[:-1]
        out.append(p)
    return out


def pbytes(s):
    return s.encode("utf-8", "surrogateescape")


def run(data, outdir, config_path=None, quiet=False):
    if config_path is None:
        cand = os.path.join(data, "upload-config.json")
        if os.path.isfile(cand):
            config_path = cand
    config = load_config(config_path) if config_path else None

    skips = []            # (rel, line, reason)
    candidates = []       # (relbytes, line, Report)
    files_read = reports_read = 0
    for rel in walk(data):
        kind = classify(rel)
        if kind == "ignore":
            continue
        if kind is None:
            skips.append((rel, 0, "not_recognised"))
            continue
        files_read += 1
        try:
            content = read_content(os.path.join(data, rel), rel.endswith(".gz"))
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
            # DECISION: an unreadable / undecompressable file is one skip, line 0.
            skips.append((rel, 0, "unreadable"))
            continue
        items = [(0, content)] if kind == "upload" else \
            list(enumerate(split_lines(content), start=1))
        for line, raw in items:
            reports_read += 1
            try:
                r = validate_text(raw, config)
            except Skip as s:
                skips.append((rel, line, s.reason))
                continue
            candidates.append((pbytes(rel), line, r))

    # Rule 5: duplicates by (Week, X); keep the last by (path bytes, line).
    candidates.sort(key=lambda t: (t[0], t[1]))
    kept = {}
    for pb, line, r in candidates:
        key = (r.week, r.x)
        prev = kept.get(key)
        if prev is not None:
            skips.append((prev[0].decode("utf-8", "surrogateescape"), prev[1], "duplicate"))
        kept[key] = (pb, line, r)
    valid = [t[2] for t in kept.values()]

    if config is None:
        config = infer_config(valid)
        if not quiet:
            print("ref.py: no upload config: programs, versions, GOOS, GOARCH, Go "
                  "versions and counters inferred from the valid data", file=sys.stderr)

    sets = write_charts(outdir, config, valid)

    skips.sort(key=lambda t: (pbytes(t[0]), t[1], t[2]))
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "skips.tsv"), "w", encoding="utf-8",
              errors="surrogateescape", newline="\n") as f:
        for rel, line, reason in skips:
            f.write("%s\t%d\t%s\n" % (rel, line, reason))
    by_reason = {}
    unrec = 0
    for _, _, reason in skips:
        if reason == "not_recognised":
            unrec += 1
            continue
        by_reason[reason] = by_reason.get(reason, 0) + 1
    counts = {"files_read": files_read, "reports_read": reports_read,
              "valid": len(valid), "skipped": by_reason, "not_recognised": unrec,
              "inferred_config": config.inferred, "chart_sets": sets}
    with open(os.path.join(outdir, "counts.json"), "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)
        f.write("\n")
    if not quiet:
        print("ref.py: %d files, %d reports, %d valid, skipped %s, %d chart sets"
              % (files_read, reports_read, len(valid), json.dumps(by_reason, sort_keys=True),
                 sets), file=sys.stderr)
    return counts


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------
def report_keys(r):
    """prog -> set of match keys present in the report's program reports of prog."""
    out = {}
    for (prog, ver, gov, goos, goarch, counters, _stacks) in r.programs:
        s = out.setdefault(prog, set())
        s.add(("V", ver))
        s.add(("O", goos))
        s.add(("A", goarch))
        s.add(("G", gov))
        # Only Counters make counter-chart data; Stacks never do (spec: "one chart
        # per counter entry"; the worker groups only p.Counters).
        for c in counters:
            s.add(("C", c))
    return out


def chart_specs(config):
    """prog name -> list of (chart name, [(bucket key, set(match keys))], sorted)."""
    specs = []
    for p in config.programs:
        charts = []
        if not p.name.startswith("cmd/"):
            vs = sort_with(set(p.versions), semver_compare)
            charts.append(("Version", [(v, {("V", v)}) for v in vs], True))
        charts.append(("GOOS", [(o, {("O", o)}) for o in byte_sorted(set(config.goos))], False))
        charts.append(("GOARCH", [(a, {("A", a)}) for a in byte_sorted(set(config.goarch))], False))
        norm = {}
        for g in config.goversion:
            norm.setdefault(goversion_lang(g), set()).add(("G", g))
        gk = sort_with(norm.keys(), goversion_compare)
        charts.append(("GoVersion", [(k, norm[k]) for k in gk], True))
        for chart, buckets in p.counter_entries:
            bs = byte_sorted(b for b, _ in buckets)
            m = dict(buckets)
            charts.append((chart, [(b, {("C", n) for n in m[b]}) for b in bs], False))
        specs.append((p, charts))
    return specs


def chart_set(specs, reports, start, end):
    index = {}   # prog -> key -> set of X
    latest = None
    for r in reports:
        if r.programs:
            if latest is None or r.week > latest:
                latest = r.week
        for prog, keys in report_keys(r).items():
            pi = index.setdefault(prog, {})
            for k in keys:
                pi.setdefault(k, set()).add(r.x)
    programs = []
    for p, charts in specs:
        pi = index.get(p.name, {})
        out_charts = []
        for name, buckets, drop_empty in charts:
            data = []
            total = 0
            for key, matches in buckets:
                xs = set()
                for m in matches:
                    xs |= pi.get(m, set())
                n = len(xs)
                total += n
                if n == 0 and drop_empty:
                    continue
                data.append({"Week": latest, "Key": key, "Value": n})
            if total == 0:
                continue
            out_charts.append({"ID": "charts:%s:%s" % (p.name, name), "Name": name,
                               "Type": "partition", "Data": data})
        programs.append({"ID": "charts:" + p.name, "Name": p.name, "Charts": out_charts})
    return {"DateRange": [start, end], "Programs": programs, "NumReports": len(reports)}


def write_charts(outdir, config, valid):
    cdir = os.path.join(outdir, "charts")
    os.makedirs(cdir, exist_ok=True)
    udir = os.path.join(outdir, "program-uploaders")
    os.makedirs(udir, exist_ok=True)
    by_day = {}
    for r in valid:
        by_day.setdefault(r.week, []).append(r)
    specs = chart_specs(config)
    n = 0
    for d in sorted(by_day):
        day = datetime.date.fromisoformat(d)
        start = (day - datetime.timedelta(days=6)).isoformat()
        daily = chart_set(specs, by_day[d], d, d)
        week = []
        for i in range(6, -1, -1):
            week.extend(by_day.get((day - datetime.timedelta(days=i)).isoformat(), []))
        weekly = chart_set(specs, week, start, d)
        for fname, obj, reports in ((d + ".json", daily, by_day[d]), ("%s_%s.json" % (start, d), weekly, week)):
            with open(os.path.join(cdir, fname), "w", encoding="utf-8") as f:
                json.dump(obj, f, ensure_ascii=False)
                f.write("\n")
            with open(os.path.join(udir, fname), "w", encoding="utf-8") as f:
                json.dump(program_uploaders(reports), f, ensure_ascii=False)
            n += 1
    return n


def program_uploaders(reports):
    """Per program name, its distinct uploaders (X) among `reports`: those with a report of
    it. The pages give each bucket's share of these (README, "The site")."""
    xs = {}
    for r in reports:
        for prog in r.programs:
            xs.setdefault(prog[0], set()).add(r.x)
    return {name: len(x) for name, x in xs.items()}


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--upload-config")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.data):
        print("ref.py: DATA %s is not a directory" % a.data, file=sys.stderr)
        return 2
    run(a.data, a.out, a.upload_config, a.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
