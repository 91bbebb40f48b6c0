#!/usr/bin/env python3
"""How long `telemetry-site merge` takes, in one command: `python3 bench/merge.py` (see -h).

Generates DAYS days of PER_DAY uploads in the upload layout (1% bad) with
../shared/tools/gen-reports, cached in bench/.data/merge-<DAYS>x<PER_DAY>, then times
`merge DATA --before 2100-01-01` on a fresh copy of it for each binary and -j given, the runs
alternating (machines here are shared and noisy, so the sets are measured side by side),
and prints the median, the spread and the ratio to the first set. Each merge's files are
compared with the first set's first merge: they must be the same, byte for byte.

    python3 bench/merge.py                                   # this checkout, -j 2 and -j 8
    python3 bench/merge.py --bin old=/tmp/old --bin new=target/release/telemetry-site --jobs 2
"""
import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "tools" / "gen-reports"


def generate(days: int, per_day: int) -> Path:
    out = ROOT / "bench" / ".data" / f"merge-{days}x{per_day}"
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [str(GEN), "--out", str(out / "data"), "--days", str(days), "--reports-per-day", str(per_day),
             "--seed", "7", "--bad", "0.01", "--layout", "upload"],
            check=True, stdout=subprocess.DEVNULL)
        (out / ".complete").touch()
    return out / "data"


def same_tree(a: Path, b: Path) -> bool:
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    return not mismatch and not errors and all(same_tree(a / d, b / d) for d in compared.common_dirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin", action="append", default=[], metavar="NAME=PATH",
                        help="a binary to time (repeatable); default: this checkout's release build")
    parser.add_argument("--jobs", type=int, action="append", default=[], help="-j values (repeatable); default 2 and 8")
    args = parser.parse_args()
    if not GEN.exists():
        sys.exit(f"needs {GEN}")
    bins = [b.split("=", 1) for b in args.bin] or [["this", str(ROOT / "target" / "release" / "telemetry-site")]]
    if not args.bin:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    sets = [(f"{name} -j {j}", path, j) for name, path in bins for j in (args.jobs or [2, 8])]
    data = generate(args.days, args.per_day)
    work = ROOT / "bench" / ".data" / "merge-work"
    reference = ROOT / "bench" / ".data" / "merge-reference"
    times = {name: [] for name, _, _ in sets}
    for run in range(args.runs):
        for name, path, jobs in sets:
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(data, work)
            os.sync()
            start = time.perf_counter()
            subprocess.run([path, "merge", str(work), "--before", "2100-01-01", "-j", str(jobs)],
                           check=True, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
            if run == 0 and name == sets[0][0]:
                shutil.rmtree(reference, ignore_errors=True)
                shutil.copytree(work, reference)
            elif not same_tree(reference, work):
                sys.exit(f"{name}: the merged files differ from {sets[0][0]}'s first merge")
    shutil.rmtree(work, ignore_errors=True)
    first = statistics.median(times[sets[0][0]])
    print(f"merge of {args.days} days x {args.per_day} uploads, {args.runs} runs each, alternating:")
    for name, _, _ in sets:
        t = times[name]
        median = statistics.median(t)
        print(f"  {name:<24} median {median:6.2f} s  (min {min(t):.2f}, max {max(t):.2f})  {median / first:.2f}x")
    shutil.rmtree(reference, ignore_errors=True)


if __name__ == "__main__":
    main()
