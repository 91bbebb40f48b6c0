#!/usr/bin/env python3
"""Times the worst a hostile merged file can do within the 1 GiB per-file limit: a gzip
bomb of blank lines, one `empty` skip per byte (docs/limits.md).

    python3 bench/blank_lines.py [--mib 64] [--runs 3] [--binary target/release/telemetry-site]

Builds a data folder holding one `<DAY>.json.gz` of MIB MiB of newlines, runs
`build --no-cache` on it RUNS times and prints the median wall time, the time per line and
what that gives for 1 GiB (the default --max-file-bytes).
"""
import argparse
import gzip
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default="target/release/telemetry-site")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "data")
        data.mkdir()
        with gzip.open(data / "2026-01-05.json.gz", "wb", compresslevel=9) as out:
            for _ in range(args.mib):
                out.write(b"\n" * (1 << 20))
        times = []
        for run in range(args.runs):
            site = Path(tmp, f"site{run}")
            start = time.monotonic()
            done = subprocess.run([args.binary, "build", str(data), str(site), "--no-cache", "-q"],
                                  capture_output=True, text=True)
            times.append(time.monotonic() - start)
            # Every line is skipped, so the build fails with "none valid" (exit 1).
            if done.returncode != 1 or "none valid" not in done.stderr:
                raise SystemExit(f"unexpected result: exit {done.returncode}: {done.stderr}")
    median = statistics.median(times)
    lines = args.mib << 20
    print(f"{args.mib} MiB of blank lines: median {median:.2f} s of {args.runs} "
          f"({', '.join(f'{t:.2f}' for t in times)}), {median / lines * 1e9:.1f} ns per line, "
          f"{median * 1024 / args.mib:.1f} s for 1 GiB")


if __name__ == "__main__":
    main()
