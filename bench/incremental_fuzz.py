#!/usr/bin/env python3
"""Random changes to a data folder, each followed by an incremental build and a clean one,
which must give the same site, byte for byte, and the same summary.

    python3 bench/incremental_fuzz.py DATA ROUNDS SEED [--raw-data gz] [--merge]

Copies DATA (which should hold reports in both layouts and an upload config) to a work
folder, builds it once with a cache, then ROUNDS times makes one to three random changes
and builds twice: into the same site with the same cache (incremental), and into a new
site with `--no-cache` (clean). The changes: a new report (on any day, late ones
included), a report changed (a counter or GOOS; a gzipped one sometimes rewritten
as plain text, so no longer gzip; never with its size and mtime kept, which no stat can
see), a report deleted, a
line appended to a merged file (gzipped ones rewritten), a duplicate that sorts after its
twin, a file touched, a file moved to another folder, a bad file added, a whole day
folder deleted; with --merge also `telemetry-site merge --before` a random day, which
must leave a clean build's site and skip counts as they were when the merged folders are
within the README's guarantee (one-report files, none already a line of the day's merged
file; the round says when they are not). Exit status 1 at the first round whose sites or summaries differ (both
sites are kept for a look). Python's standard library only; the same arguments make the
same changes.
"""
import filecmp
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "telemetry-site")
# Summary fields that may differ between an incremental and a clean build.
VOLATILE = {"seconds", "stages", "cpu", "spool_write_seconds", "notes", "files_written", "bytes_written"}


def build(data, site, extra):
    summary = site + ".summary.json"
    out = subprocess.run([BINARY, "build", data, site, "-q", "--summary-json", summary, *extra],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"build failed: {out.stderr}")
    with open(summary) as f:
        whole = json.load(f)
    incremental = any("incremental" in note for note in whole.get("notes", []))
    return {k: v for k, v in whole.items() if k not in VOLATILE}, incremental


def tree(root):
    """Every file and folder (with a trailing `/`) under `root`, by relative path."""
    found = set()
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        found.update(os.path.normpath(os.path.join(rel, n)) + "/" for n in dirs)
        found.update(os.path.normpath(os.path.join(rel, n)) for n in names)
    return found


def differences(a, b):
    """Relative paths that differ between two trees, or are in one only."""
    in_a, in_b = tree(a), tree(b)
    changed = {p for p in in_a & in_b
               if not p.endswith("/") and not filecmp.cmp(os.path.join(a, p), os.path.join(b, p), shallow=False)}
    return sorted((in_a ^ in_b) | changed)


def read_text(path):
    """A file's bytes, gunzipped when its name ends in `.gz`; None when it cannot be."""
    try:
        with open(path, "rb") as f:
            text = f.read()
        return gzip.decompress(text) if path.endswith(".gz") else text
    except (OSError, EOFError):
        return None


class Data:
    def __init__(self, root, rnd):
        self.root, self.rnd = root, rnd

    def files(self, merged=None):
        out = []
        for folder, _, names in os.walk(self.root):
            for name in names:
                rel = os.path.relpath(os.path.join(folder, name), self.root)
                if rel in ("upload-config.json", "chart-config.txt"):
                    continue
                is_merged = re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json(\.gz)?", name) is not None
                if merged is None or merged == is_merged:
                    out.append(rel)
        return sorted(out)

    def read_report(self, rel):
        for line in (read_text(os.path.join(self.root, rel)) or b"").splitlines():
            try:
                return json.loads(line)
            except ValueError:
                continue
        return None

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)

    def any_report(self):
        for _ in range(20):
            r = self.read_report(self.rnd.choice(self.files()))
            if isinstance(r, dict) and isinstance(r.get("Week"), str):
                return r
        return None

    # The changes.
    def new_report(self):
        r = self.any_report()
        if r:
            r["X"] = self.rnd.random() * 0.98 + 0.01
            self.write("%s/n%08d.json" % (r["Week"], self.rnd.randrange(10**8)), json.dumps(r))
            return "new report on %s" % r["Week"]

    def change_report(self):
        uploads = self.files(merged=False)
        rel = self.rnd.choice(uploads) if uploads else None
        r = rel and self.read_report(rel)
        if not isinstance(r, dict):
            return None
        for p in r.get("Programs") or []:
            key = self.rnd.choice(["GOOS", "Counters"])
            if key == "GOOS":
                p["GOOS"] = self.rnd.choice(["linux", "darwin", "windows"])
            else:
                p["Counters"] = {}
        text = json.dumps(r).encode()
        if rel.endswith(".gz") and self.rnd.random() < 0.7:
            text = gzip.compress(text, mtime=0)  # else: a .gz file that is not gzip
        self.write(rel, text)
        return "changed " + rel

    def delete_file(self):
        rel = self.rnd.choice(self.files())
        os.remove(os.path.join(self.root, rel))
        return "deleted " + rel

    def append_line(self):
        merged = self.files(merged=True)
        r = self.any_report()
        if not merged or not r:
            return None
        rel = self.rnd.choice(merged)
        r["X"] = self.rnd.random() * 0.98 + 0.01
        text = read_text(os.path.join(self.root, rel))
        if text is None:
            return None
        text = text.rstrip(b"\n") + b"\n" + json.dumps(r).encode() + b"\n"
        self.write(rel, gzip.compress(text, mtime=0) if rel.endswith(".gz") else text)
        return "line appended to " + rel

    def duplicate(self):
        r = self.any_report()
        if r:
            for p in r.get("Programs") or []:
                p["Counters"] = {}
            self.write("%s/zz%06d.json" % (r["Week"], self.rnd.randrange(10**6)), json.dumps(r))
            return "duplicate on %s" % r["Week"]

    def touch(self):
        rel = self.rnd.choice(self.files())
        os.utime(os.path.join(self.root, rel))
        return "touched " + rel

    def move(self):
        uploads = self.files(merged=False)
        if not uploads:
            return None
        rel = self.rnd.choice(uploads)
        target = os.path.join("moved", rel)
        os.makedirs(os.path.dirname(os.path.join(self.root, target)), exist_ok=True)
        os.rename(os.path.join(self.root, rel), os.path.join(self.root, target))
        return "moved %s to %s" % (rel, target)

    def bad_file(self):
        day = self.rnd.choice([d for d in os.listdir(self.root) if d[:2] == "20" and os.path.isdir(os.path.join(self.root, d))])
        self.write("%s/bad%04d.json" % (day, self.rnd.randrange(10**4)), self.rnd.choice(['{"Week":', "", "[]"]))
        return "bad file on " + day

    def delete_day(self):
        days = [d for d in os.listdir(self.root) if d[:2] == "20" and os.path.isdir(os.path.join(self.root, d))]
        if len(days) < 3:
            return None
        day = self.rnd.choice(days)
        shutil.rmtree(os.path.join(self.root, day))
        return "deleted folder " + day


def merge_days(self):
    days = sorted(d for d in os.listdir(self.root) if d[:2] == "20" and os.path.isdir(os.path.join(self.root, d)))
    if not days:
        return None
    before = self.rnd.choice(days)
    covered = merge_is_covered(self.root, [d for d in days if d < before])
    # The rule for merge: the same site, byte for byte, and the same skip counts.
    sites = tempfile.mkdtemp(prefix="merge-")
    was, _ = build(self.root, os.path.join(sites, "before"), ["--no-cache"])
    shutil.copytree(self.root, os.path.join(sites, "data-before"))
    out = subprocess.run([BINARY, "merge", self.root, "--before", before], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"merge failed: {out.stderr}")
    now, _ = build(self.root, os.path.join(sites, "after"), ["--no-cache"])
    diff = differences(os.path.join(sites, "before"), os.path.join(sites, "after"))
    counts = ("reports_valid", "skipped_by_reason", "chart_sets")
    if not covered:
        shutil.rmtree(sites)
        return "merge --before %s (outside what merge keeps byte for byte; see README)" % before
    if diff or any(was[k] != now[k] for k in counts):
        sys.exit(f"merge --before {before} changed the site ({diff[:8]}) or the counts "
                 f"({[(k, was[k], now[k]) for k in counts if was[k] != now[k]]}); kept in {sites}")
    shutil.rmtree(sites)
    return "merge --before " + before


Data.merge_days = merge_days


def merge_is_covered(root, days):
    """Whether merging `days` is within the README's guarantee: one-report files only, none
    of whose text is already a line of the day's merged file."""
    for day in days:
        folder = os.path.join(root, day)
        names = os.listdir(folder)
        if any(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.(json|jsonl|ndjson)(\.gz)?", n) or
               os.path.isdir(os.path.join(folder, n)) for n in names):
            return False
        target = os.path.join(root, day + ".json.gz")
        if os.path.exists(target):
            merged = read_text(target)
            if merged is None:
                return False
            lines = set(merged.splitlines())
            for n in names:
                text = read_text(os.path.join(folder, n))
                try:
                    compact = json.dumps(json.loads(text), separators=(",", ":")).encode()
                except (TypeError, ValueError):
                    continue
                if text.strip() in lines or compact in lines:
                    return False
    return True

CHANGES = [Data.new_report, Data.new_report, Data.change_report, Data.delete_file, Data.append_line,
           Data.duplicate, Data.touch, Data.move, Data.bad_file, Data.delete_day]


def main(argv):
    merges = "--merge" in argv
    argv = [a for a in argv if a != "--merge"]
    if len(argv) not in (3, 5):
        sys.exit(__doc__)
    source, rounds, seed, extra = argv[0], int(argv[1]), int(argv[2]), argv[3:]
    changes = CHANGES + [Data.merge_days] * (2 if merges else 0)
    rnd = random.Random(seed)
    work = tempfile.mkdtemp(prefix="incremental-fuzz-")
    data, site, cache = os.path.join(work, "data"), os.path.join(work, "site"), os.path.join(work, "cache")
    shutil.copytree(source, data)
    d = Data(data, rnd)
    reused = 0  # rounds whose incremental build took something from the cache
    for rel in d.files(merged=True):  # half the merged files gzipped
        if not rel.endswith(".gz") and rnd.random() < 0.5:
            path = os.path.join(data, rel)
            with open(path, "rb") as f, open(path + ".gz", "wb") as out:
                out.write(gzip.compress(f.read(), mtime=0))
            os.remove(path)
    build(data, site, ["--cache", cache, *extra])
    for round_ in range(1, rounds + 1):
        done = [c for c in (change(d) for change in rnd.sample(changes, rnd.randint(1, 3))) if c]
        incremental, used_cache = build(data, site, ["--cache", cache, *extra])
        reused += used_cache
        clean_site = os.path.join(work, "clean-%d" % round_)
        clean, _ = build(data, clean_site, ["--no-cache", *extra])
        diff = differences(site, clean_site)
        same_summary = incremental == clean
        print("round %d: %s: %s" % (round_, "; ".join(done) or "no change",
                                    "same" if not diff and same_summary else "DIFFERENT"))
        if diff or not same_summary:
            print("  files differing: %d %s" % (len(diff), diff[:8]))
            for key in sorted(set(incremental) | set(clean)):
                if incremental.get(key) != clean.get(key):
                    print("  summary %s: incremental %s, clean %s" % (key, str(incremental.get(key))[:200], str(clean.get(key))[:200]))
            print("  kept in " + work)
            return 1
        shutil.rmtree(clean_site)
        os.remove(clean_site + ".summary.json")
    shutil.rmtree(work)
    print("all %d rounds: the incremental site is the clean one (%d took files from the cache)" % (rounds, reused))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
