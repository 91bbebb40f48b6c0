#!/usr/bin/env python3
"""Writes valid reports whose stacks are all distinct, for measuring what a stack costs.

    python3 bench/distinct_stacks.py OUT DAYS REPORTS_PER_DAY STACKS_PER_REPORT [--short]

One merged, newline-delimited file per day (`OUT/<day>.json`, from 2025-01-01), each line a
`cmd/compile` report (valid under data/upload-config.json) whose `compile/bug` stacks no
other report has: with `--short`, one frame each (`m.f<n>:+1`), else seven frames in the
client's encoding (`"` ditto marks). A report must stay under the 100 KiB limit: 3,300
short stacks or 330 long ones fit. Stop 36 measured `30 10 3300 --short` (990k stacks) and
`30 10 330` (99k) with `/usr/bin/time -f "%e s %M KB"` (docs/performance.md). Python's
standard library only; the same arguments write the same files.
"""
import datetime
import json
import os
import random
import sys


def frames(n, short):
    if short:
        return ["compile/bug", f"m.f{n}:+1"]
    return ["compile/bug", f"cmd/compile/internal/base.FatalfAt:+{n % 997},+0x1ac", '".Fatalf:+69,+0x88',
            f"cmd/compile/internal/escape.(*escape).exprSkipInit:+{n},+0xe8", "main.main:+10,+0x408",
            "runtime.main:+3,+0x5c", '".goexit:+0,+0x1']


def main(argv):
    if len(argv) not in (5, 6) or (len(argv) == 6 and argv[5] != "--short"):
        sys.exit(__doc__)
    out, days, per_day, per_report = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    short = len(argv) == 6
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(7)
    n = 0
    for d in range(days):
        day = datetime.date(2025, 1, 1) + datetime.timedelta(days=d)
        with open(os.path.join(out, f"{day.isoformat()}.json"), "w") as f:
            for _ in range(per_day):
                stacks = {}
                for _ in range(per_report):
                    n += 1
                    stacks["\n".join(frames(n, short))] = 1
                program = {"Program": "cmd/compile", "Version": "go1.23.7", "GoVersion": "go1.23.7",
                           "GOOS": "linux", "GOARCH": "amd64", "Counters": {"compile/invocations": 1},
                           "Stacks": stacks}
                report = {"Week": day.isoformat(), "LastWeek": (day - datetime.timedelta(days=7)).isoformat(),
                          "X": rnd.random() or 0.5, "Programs": [program], "Config": "v0.115.0"}
                f.write(json.dumps(report, separators=(",", ":")) + "\n")
    print(f"{n} distinct stacks in {days} files under {out}")


if __name__ == "__main__":
    main(sys.argv)
