#!/usr/bin/env python3
"""The benchmark of issue 6, in one command: `python3 bench/run.py` (see --help).

Generates a year of reports with ../shared/tools/gen-reports (365 days x 3,000 reports,
1% bad; once in the upload layout, once merged and gzipped; cached in --data-dir), then
measures, for each layout, medians over --runs runs with peak memory (max RSS):
  (a) floor: walk, read, decompress and parse every report (examples/floor.rs)
  stat floor: list every folder and stat every file, the least (d) can do (examples/stat-floor.rs)
  (b) a full build into an empty site (no cache)
  (c) a rebuild after one new day of uploads is added
  (d) a rebuild with no change
  (e) a rebuild after one late report for a day three weeks back is added
  (f) (c) after the data folder was re-created by a copy (every mtime new)
  duckdb: the same daily and weekly distinct counts in DuckDB (bench/duckdb_peer.py)
and prints each figure, its ratio to (a) and (b), and whether each target is met. Two
more targets are read from (b): the share of it spent rendering and writing the site (the
`render` and `write` stages of its --summary-json), and, for the merged layout, its peak
memory on the same year padded to 4x the bytes (bench/pad.py), which must not grow with them.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "tools" / "gen-reports"
CONFIG = ROOT / "data" / "upload-config.json"
CHARTS = ROOT / "data" / "chart-config.txt"


def sh(args, **kw):
    return subprocess.run(args, check=True, **kw)


def timed(args, env=None):
    """(seconds, max RSS in MiB, user CPU seconds, system CPU seconds) of one run of `args`.
    The CPU times tell the tool's own work (user) from the kernel's (system): on a virtual
    machine the second moves with the host, as the README's performance section explains."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{err}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime


def generate(data_dir: Path, days: int, per_day: int):
    sets = {}
    for layout, extra in (("upload", []), ("merged", ["--layout", "merged", "--gzip"])):
        out = data_dir / f"year-{layout}"
        if not (out / ".complete").exists():
            if out.exists():
                shutil.rmtree(out)
            print(f"generating {out} ...", flush=True)
            sh([sys.executable, str(GEN), "--out", str(out), "--start", "2025-01-01", "--days", str(days),
                "--reports-per-day", str(per_day), "--bad", "0.01", "--jobs", "2", *extra])
            (out / ".complete").write_text("")
        # The extra day for (c) and the late report for (e), outside the data set.
        extra_day = data_dir / f"extra-day-{layout}"
        if not extra_day.exists():
            sh([sys.executable, str(GEN), "--out", str(extra_day), "--start", day_after(days), "--days", "1",
                "--reports-per-day", str(per_day), "--seed", "9", *extra])
        sets[layout] = (out, extra_day)
    padded = data_dir / "year-merged-padded"
    if not (padded / ".complete").exists():
        print(f"generating {padded} ...", flush=True)
        shutil.rmtree(padded, ignore_errors=True)
        sh([sys.executable, str(ROOT / "bench" / "pad.py"), str(sets["merged"][0]), str(padded), "--times", "4"])
    late = data_dir / "late-report"
    if not late.exists():
        sh([sys.executable, str(GEN), "--out", str(late), "--start", day_after(days - 21), "--days", "1",
            "--reports-per-day", "1", "--seed", "11"])
    return sets, late, padded


def warn_if_page_cache_is_empty():
    """Says so when most of the memory is free: on a newly started virtual machine whose host
    backs memory on first touch, every page the builds write into the page cache is then a
    fresh one, and the full builds measure the host (the README's performance section)."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        free, total = (int(info[k].split()[0]) for k in ("MemFree", "MemTotal"))
    except (OSError, KeyError, ValueError):
        return
    if free > total / 2:
        print(f"note: {free // 1024} of {total // 1024} MiB free: on a newly started virtual machine, fill "
              "the page cache first (a file of most of the free memory, written with dd and kept), or "
              "the full builds measure the host backing fresh pages", flush=True)


def day_after(n):
    import datetime
    return (datetime.date(2025, 1, 1) + datetime.timedelta(days=n)).isoformat()


def add_tree(src: Path, dst: Path):
    """Copies the files of `src` into `dst`; returns what was added (to remove later)."""
    added = []
    for path in sorted(src.rglob("*")):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                sys.exit(f"{target} exists already")
            shutil.copy2(path, target)
            added.append(target)
    return added


class Trash:
    """Where removed trees and files go until the layout is measured.

    Deleting thousands of files just before a timed build slows the build down: ext4 skips
    inodes deleted in the last 60 seconds (`recently_deleted`; 300 while their inode table
    block is dirty) when it allocates new ones,
    so a build that makes a site right after another site was deleted scans ever longer.
    A nightly build never follows a mass deletion that closely, so the benchmark moves what
    it removes aside and deletes it all at the end of the layout; the next layout's full
    builds wait until the inodes it freed may be used again (`settle`).

    Nor does a nightly build run beside gigabytes of earlier runs' files in the page cache:
    by the incremental figures, a layout's trash holds a dozen sites of 1.1 GB, and with
    the page cache full every build also pays for reclaiming it (a late report of the
    upload year by hand: 1.86-1.87 s, then 2.42-3.14 s with ten sites' pages cached, then
    1.96-2.01 s with them dropped). So what is in the trash is dropped from the page cache
    (`drop_cache`), once written back, before each incremental figure's build."""

    deleted_at = None  # when the last deletion of a trash folder ended (time.monotonic)

    def __init__(self, root: Path):
        self.root = root
        self.count = 0
        self.cached = []  # discarded since the last `drop_cache`
        if root.exists():
            self.empty()  # left by a run that was stopped
        root.mkdir(parents=True)

    @staticmethod
    def settle():
        """Waits until the inodes the last deletion freed are no longer skipped (60 s after
        it, as `empty` writes the inode tables back)."""
        if Trash.deleted_at is not None:
            time.sleep(max(0.0, Trash.deleted_at + 61 - time.monotonic()))

    def discard(self, path: Path):
        if path.exists() or path.is_symlink():
            self.count += 1
            path.rename(self.root / str(self.count))
            self.cached.append(self.root / str(self.count))

    def drop_cache(self):
        """Drops from the page cache the pages of every file discarded since the last call
        (after a `sync`, when they are clean: dirty pages are not dropped). Inodes are not
        freed, so this does not slow the next build's file creation as deleting would."""
        for top in self.cached:
            for root, _, files in os.walk(top) if top.is_dir() else [(top.parent, [], [top.name])]:
                for name in files:
                    try:
                        fd = os.open(os.path.join(root, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                    except OSError:
                        continue
                    try:
                        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    finally:
                        os.close(fd)
        self.cached = []

    def files(self, paths):
        """Discards the files `paths` (and their folders once empty)."""
        for p in paths:
            self.discard(p)
            try:
                p.parent.rmdir()
            except OSError:
                pass

    def empty(self):
        shutil.rmtree(self.root, ignore_errors=True)
        os.sync()
        Trash.deleted_at = time.monotonic()


def render_share(summary: Path, seconds: float):
    """(seconds spent rendering and writing the site, their share of the build's `seconds`,
    the process's user and system CPU seconds meanwhile) from a build's `--summary-json`: its
    `render` stage (every page, chart and download rendered and written into the staging
    tree) and its `write` stage (the tree put in place), and its `cpu` parts of those names;
    then the same with the raw-data downloads' writing added, and its share. Their bytes
    are written as the reports are read (the spool, which becomes `data/<D>.json` by a hard
    link), within `read+parse`, on every core at once: the summary's `spool_write_seconds`
    (summed over threads) over the number of cores."""
    built = json.loads(summary.read_text())
    stages = dict(built["stages"])
    spent = stages["render"] + stages["write"]
    cpu = [c for name, c in built["cpu"] if name in ("render", "write")]
    # The spool's writes, summed over the threads that read reports on every core at once:
    # their share of the wall time is about that sum over the number of cores.
    with_raw = spent + built["spool_write_seconds"] / (os.cpu_count() or 1)
    return (spent, spent / seconds, sum(c["user"] for c in cpu), sum(c["system"] for c in cpu),
            with_raw, with_raw / seconds)


def median(samples):
    """(median seconds, max of max RSS, median user CPU, median system CPU) of `timed` runs."""
    return (statistics.median(s[0] for s in samples), max(s[1] for s in samples),
            statistics.median(s[2] for s in samples), statistics.median(s[3] for s in samples))


def padded_build(build, padded: Path, counted: dict, summary: Path, runs: int, clean):
    """(max RSS of (b) on `padded`, its input bytes / the year's) after `runs` builds of it.
    The padded year holds the same reports (bench/pad.py), so its builds must count the
    same reports and skips as a build of the year did (`counted`, its summary)."""
    counts = ("reports_read", "reports_valid", "skipped_by_reason", "chart_sets", "bytes_written")
    expected = {k: counted[k] for k in counts}
    rss = []
    for _ in range(runs):
        clean()
        os.sync()
        rss.append(timed([*build[:2], str(padded), *build[3:], "--summary-json", str(summary)])[1])
        got = {k: json.loads(summary.read_text())[k] for k in counts}
        if got != expected:
            sys.exit(f"{padded}: the padded year's build counts {got}, not {expected}")
    sizes = json.loads((padded / ".bytes.json").read_text())
    return max(rss), sizes["after"] / sizes["before"]


def bench_layout(layout, data, extra_day, late, work: Path, runs: int, duck: bool, padded=None):
    binary = ROOT / "target" / "release" / "telemetry-site"
    floor = ROOT / "target" / "release" / "examples" / "floor"
    stat_floor = ROOT / "target" / "release" / "examples" / "stat-floor"
    site, cache = work / "site", work / ".site.cache"
    build = [str(binary), "build", str(data), str(site), "-q", "--upload-config", str(CONFIG),
             "--chart-config", str(CHARTS), "--cache", str(cache)]

    spare = work / ".site.spare"  # the spare tree a build keeps beside site/
    trash = Trash(work / "trash")

    def clean():
        for p in (site, cache, spare):
            trash.discard(p)

    results = {}
    print(f"[{layout}] (a) floor", flush=True)
    # One untimed pass first, so every figure reads the data from the page cache (DuckDB,
    # run before, may have pushed it out).
    timed([str(floor), str(data)])
    results["a"] = median([timed([str(floor), str(data)]) for _ in range(runs)])
    print(f"[{layout}] stat floor", flush=True)
    results["s"] = median([timed([str(stat_floor), str(data)]) for _ in range(runs)])
    print(f"[{layout}] (b) full build", flush=True)
    Trash.settle()
    samples, shares = [], []
    summary = work / "summary.json"
    for _ in range(runs):
        clean()
        # The last run's output is written back first, as on a runner that starts each
        # night clean: otherwise its gigabytes of write-back land in this run.
        os.sync()
        samples.append(timed([*build, "--summary-json", str(summary)]))
        shares.append(render_share(summary, samples[-1][0]))
    results["b"] = median(samples)
    results["render"] = tuple(statistics.median(x) for x in zip(*shares))
    # (b) left a site, its spare tree and a cache of the year: the base of the incremental
    # runs. `cp -a` in one call keeps the hard links between the site and its spare, and a
    # sync after each restore keeps the copy's write-back out of the timed build.
    counted = json.loads(summary.read_text())
    base = work / "base"
    trash.discard(base)
    base.mkdir()
    sh(["cp", "-a", str(site), str(spare), str(cache), str(base)])

    def restore():
        clean()
        sh(["cp", "-a", f"{base}/.", str(work)])
        os.sync()
        trash.drop_cache()

    def incremental(change):
        samples = []
        for _ in range(runs):
            restore()
            undo = change()
            samples.append(timed(build))
            trash.files(undo)
        return median(samples)

    print(f"[{layout}] (c) one new day", flush=True)
    results["c"] = incremental(lambda: add_tree(extra_day, data))
    print(f"[{layout}] (d) no change", flush=True)
    results["d"] = incremental(lambda: [])
    print(f"[{layout}] (e) one late report", flush=True)
    results["e"] = incremental(lambda: add_tree(late, data))
    if layout == "merged":
        print(f"[{layout}] (f) new day after a fresh copy of the data", flush=True)
        copy = work / "data-copy"
        samples = []
        for _ in range(runs):
            restore()
            trash.discard(copy)
            shutil.copytree(data, copy)  # every mtime and inode new
            added = add_tree(extra_day, copy)
            os.sync()
            samples.append(timed([*build[:2], str(copy), *build[3:]]))
            trash.files(added)
        trash.discard(copy)
        results["f"] = median(samples)
    if padded is not None:
        print(f"[{layout}] (b) on the same reports in more bytes", flush=True)
        results["padded"] = padded_build(build, padded, counted, summary, runs, clean)
    if duck:
        print(f"[{layout}] duckdb", flush=True)
        results["duckdb"] = median([timed([sys.executable, str(ROOT / "bench" / "duckdb_peer.py"), str(data), layout])
                                    for _ in range(runs)])
    clean()
    trash.discard(base)
    trash.empty()
    return results


RENDER_SHARE = 0.20  # rendering and writing the site, at most this share of (b)
TARGETS = {  # figure: (relative to, at most)
    "b": ("a", 1.3), "c": ("b", 0.10), "d": ("b", 0.05), "e": ("b", 0.10), "f": ("b", 0.30),
}


def verdict(value, limit):
    """Whether `value` is at most `limit`: "met", or by how much it missed."""
    return "met" if value <= limit else f"MISSED by {value / limit:.2f}x"


def report(layout, r):
    a, b = r["a"][0], r["b"][0]
    rows = []
    names = {"a": "(a) floor: read + parse", "s": "stat floor: list + stat (least of d)", "b": "(b) full build", "c": "(c) + one new day",
             "d": "(d) no change", "e": "(e) + one late report", "f": "(f) new day, fresh copy",
             "duckdb": "DuckDB peer"}
    for key in ["a", "s", "b", "c", "d", "e", "f", "duckdb"]:
        if key not in r:
            continue
        secs, rss, user, system = r[key]
        target = ""
        if key in TARGETS:
            rel, limit = TARGETS[key]
            target = f"<= {limit:g}x ({rel}): {verdict(secs / r[rel][0], limit)}"
        if key == "duckdb":
            speedup = secs / b
            target = f"build >= 5x faster: {'met' if speedup >= 5 else 'MISSED'} ({speedup:.1f}x)"
        if key == "b":
            mem = "met" if rss < 1024 else "MISSED"
            target += f"; memory < 1 GiB: {mem}"
        rows.append(f"| {layout} | {names[key]} | {secs:.2f} s | {user:.2f} s + {system:.2f} s | {rss:.0f} MiB "
                    f"| {secs / a:.2f} | {secs / b:.2f} | {target} |")
        if key == "b" and "render" in r:
            spent, share, user, system, with_raw, raw_share = r["render"]
            target = f"<= {RENDER_SHARE:g} of (b): {verdict(share, RENDER_SHARE)}"
            rows.append(f"| {layout} | of (b): render + write | {spent:.2f} s | {user:.2f} s + {system:.2f} s |  "
                        f"| {spent / a:.2f} | {share:.2f} | {target} |")
            target = f"<= {RENDER_SHARE:g} of (b): {verdict(raw_share, RENDER_SHARE)}"
            rows.append(f"| {layout} | of (b): the same and the raw data's writes (spool) | {with_raw:.2f} s |  |  "
                        f"| {with_raw / a:.2f} | {raw_share:.2f} | {target} |")
        if key == "b" and "padded" in r:
            padded_rss, times = r["padded"]
            grows = padded_rss / rss
            # Growing "with input bytes" would be near `times`; allow a quarter of that rate.
            ok = grows - 1 <= (times - 1) / 4
            target = (f"memory grows with reports, not input bytes: {'met' if ok else 'MISSED'} "
                      f"(input x{times:.1f}, max RSS x{grows:.2f})")
            rows.append(f"| {layout} | (b) same reports, {times:.1f}x the bytes |  |  | {padded_rss:.0f} MiB |  |  | {target} |")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("BENCH_DIR", str(ROOT / "bench" / ".data")))
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--reports-per-day", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--layouts", default="merged,upload")
    ap.add_argument("--no-duckdb", action="store_true")
    args = ap.parse_args()
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not GEN.exists():
        sys.exit(f"{GEN} not found: the benchmark needs ../shared/tools/gen-reports beside the checkout")
    sh(["cargo", "build", "--release", "--quiet", "--bin", "telemetry-site", "--example", "floor",
        "--example", "stat-floor"], cwd=ROOT)
    sets, late, padded = generate(data_dir, args.days, args.reports_per_day)
    duck = not args.no_duckdb
    if duck:
        try:
            import duckdb  # noqa: F401
        except ImportError:
            print("(python3 -m pip install duckdb for the DuckDB comparison; skipping it)")
            duck = False
    warn_if_page_cache_is_empty()
    rows = []
    for layout in args.layouts.split(","):
        data, extra_day = sets[layout]
        work = data_dir / f"work-{layout}"
        work.mkdir(exist_ok=True)
        r = bench_layout(layout, data, extra_day, late, work, args.runs, duck,
                         padded if layout == "merged" else None)
        rows += report(layout, r)
    print()
    print(f"{os.cpu_count()} cores; {args.days} days x {args.reports_per_day} reports/day; medians of {args.runs} runs")
    print("| layout | figure | median | CPU: user + system | max RSS | / (a) | / (b) | target |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
