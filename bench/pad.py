#!/usr/bin/env python3
"""Copies a merged, gzipped data set with the same reports in more bytes, for the memory
figure of bench/run.py: `python3 bench/pad.py SRC DST [--times N]`.

Every line that holds something (not blank) and stays within the upload server's 100 KiB
once padded gets trailing spaces, so that it takes N times its bytes. JSON allows them, so
every report and every skip reason stays what it was; only the input grows. The bytes
before and after decompression are written to DST/.bytes.json, then DST/.complete.
"""
import argparse
import gzip
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

MAX_REPORT_BYTES = 100 * 1024


def pad_line(line: bytes, times: int) -> bytes:
    body = line.rstrip(b"\n")
    if not body.strip() or len(body) * times > MAX_REPORT_BYTES - 1024:
        return line
    return body + b" " * (len(body) * (times - 1)) + line[len(body):]


def pad_file(args):
    src, dst, times = args
    before = after = 0
    with gzip.open(src, "rb") as inp, gzip.open(dst, "wb", compresslevel=1) as out:
        for line in inp:
            padded = pad_line(line, times)
            before += len(line)
            after += len(padded)
            out.write(padded)
    return before, after


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--times", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    files = sorted(args.src.glob("*.json.gz"))
    if not files:
        sys.exit(f"{args.src}: no *.json.gz files")
    args.dst.mkdir(parents=True, exist_ok=True)
    jobs = [(f, args.dst / f.name, args.times) for f in files]
    with ProcessPoolExecutor(args.jobs) as pool:
        sizes = list(pool.map(pad_file, jobs))
    total = {"before": sum(b for b, _ in sizes), "after": sum(a for _, a in sizes)}
    (args.dst / ".bytes.json").write_text(json.dumps(total) + "\n")
    (args.dst / ".complete").write_text("")


if __name__ == "__main__":
    main()
