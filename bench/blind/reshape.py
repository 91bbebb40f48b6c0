#!/usr/bin/env python3
"""Valid reports reshaped to reach the aggregation rules' edges, for a differential check of
the charts, trends and stacks pages against the references.

    python3 reshape.py SOURCE OUT COUNT SEED UPLOAD_CONFIG [--mixed]

Takes the good reports of SOURCE (gen-reports' upload layout) and writes COUNT reshaped
copies to OUT/<Week>/rNNNNN.json, each with one to four edits, most of which keep it valid under
UPLOAD_CONFIG: another report's X (the same uploader on another day, or the same day: a
duplicate), the Week moved by up to 8 days, a program report repeated with another GOOS,
GOARCH, GoVersion or Version, counts set to 0, a counter or stack counter of the program
added, Counters or Stacks emptied or null, Programs null or empty, a program report of
another configured program, any configured Go version (`go1.9.2rc2`, release candidates),
LastWeek or an unknown key changed, a stack of the program with its frames
dropped, repeated, swapped or made odd, or a name outside the config (odd semver and Go
versions, GOOS, counter names: valid only in the runs without a config). With --mixed, about half are lines of merged
files instead (`<DAY>.json`, at the top and in folders that sort before and after the day
folders, named for a day next to the report's), so that the duplicate rule picks between
layouts. Python's standard library only; the same arguments give the same files.
"""
import datetime
import json
import os
import random
import re
import sys


def expand(name):
    """The counter names of a config entry: `a/b:{x,y}` is `a/b:x` and `a/b:y`."""
    m = re.fullmatch(r"(.*)\{(.*)\}", name)
    return [m.group(1) + part for part in m.group(2).split(",")] if m else [name]


class Edits:
    def __init__(self, config, reports, rnd):
        self.config, self.reports, self.rnd = config, reports, rnd
        self.programs = {p["Name"]: p for p in config["Programs"]}

    def program_report(self, name):
        p, rnd = self.programs[name], self.rnd
        counters = [c for entry in p.get("Counters") or [] for c in expand(entry["Name"])]
        return {
            "Program": name,
            "Version": rnd.choice(p["Versions"]) if p.get("Versions") else "",
            "GoVersion": rnd.choice(self.config["GoVersion"]),
            "GOOS": rnd.choice(self.config["GOOS"]),
            "GOARCH": rnd.choice(self.config["GOARCH"]),
            "Counters": {c: rnd.choice([0, 1, 7]) for c in rnd.sample(counters, min(len(counters), rnd.randint(0, 3)))},
            "Stacks": None,
        }

    def other_x(self, r):
        r["X"] = self.rnd.choice(self.reports)["X"]

    def move_week(self, r):
        day = datetime.date.fromisoformat(r["Week"]) + datetime.timedelta(days=self.rnd.randint(-8, 8))
        r["Week"] = day.isoformat()

    def repeat_program(self, r):
        if r.get("Programs"):
            twin = dict(self.rnd.choice(r["Programs"]))
            fresh = self.program_report(twin["Program"])
            key = self.rnd.choice(["GOOS", "GOARCH", "GoVersion", "Version"])
            twin[key] = fresh[key]
            r["Programs"].append(twin)

    def zero_counts(self, r):
        for p in r.get("Programs") or []:
            for key in ("Counters", "Stacks"):
                for name in p.get(key) or {}:
                    p[key][name] = 0

    def add_counter(self, r):
        for p in r.get("Programs") or []:
            entry = self.programs[p["Program"]]
            key = self.rnd.choice(["Counters", "Stacks"])
            names = [c for e in entry.get(key) or [] for c in expand(e["Name"])]
            if names:
                name = self.rnd.choice(names)
                if key == "Stacks":  # a stack: its counter name, then frames
                    name += "\ngolang.org/x/tools/gopls/internal/a.F:+12,+0x1f\n\"\".G:+3,+0x4"
                p[key] = dict(p.get(key) or {}, **{name: self.rnd.choice([0, 1, 5])})

    def empty_maps(self, r):
        for p in r.get("Programs") or []:
            p[self.rnd.choice(["Counters", "Stacks"])] = self.rnd.choice([None, {}])

    def no_programs(self, r):
        r["Programs"] = self.rnd.choice([None, []])

    def another_program(self, r):
        r.setdefault("Programs", [])
        if r["Programs"] is None:
            r["Programs"] = []
        r["Programs"].append(self.program_report(self.rnd.choice(sorted(self.programs))))

    def any_go_version(self, r):
        for p in r.get("Programs") or []:
            p["GoVersion"] = self.rnd.choice(self.config["GoVersion"])

    def other_fields(self, r):
        r["LastWeek"] = self.rnd.choice(["", "2025-12-30", "x"])
        r["Unknown"] = {"nested": [1, 2.5, None]}


# Names outside Go's config, for the runs without one (with one they are unknown): semver
# and Go versions at the ordering rules' edges, odd GOOS and counter names.
ODD = {
    "Version": ["devel", "(devel)", "v1.2.3+incompatible", "v1.2.3-pre.1", "v1.2.3-pre.10",
                "v1.2.3-pre.2", "v1.2", "v1", "1.2.3", "", "v01.2.3", "v1.2.3-0", "v1.2.3-alpha.beta",
                "v1.2.3-alpha.1", "v1.2.3-Alpha", "v1.2.3", "v1.10.0", "v1.9.0", "v0.0.0-20240101000000-abcdef123456"],
    "GoVersion": ["go1.21", "go1.21.0", "go1.21rc1", "go1.21.3-bigcorp", "devel go1.22-abc", "go1",
                  "go1.9.2rc2", "", "go2", "go1.21beta1", "go1.21.0rc1", "go1.10", "go1.9", "go1.100",
                  "go1.21.x", "1.21"],
    "GOOS": ["", "Linux", "linux ", "<script>", "a,b", "\"q\""],
    "GOARCH": ["", "AMD64", "x/y", "=1+2"],
    "Counters": ["a:b:c", ":x", "x:", "", "a{b}", "a:{b,c}", "go/x:", "é:ü", "a:b", "a:c", "a"],
}


def odd_names(self, r):
    for p in r.get("Programs") or []:
        key = self.rnd.choice(sorted(ODD))
        if key == "Counters":
            p["Counters"] = dict(p.get("Counters") or {}, **{self.rnd.choice(ODD[key]): 1})
        else:
            p[key] = self.rnd.choice(ODD[key])


Edits.odd_names = odd_names


def reframe_stack(self, r):
    """A stack of another report of the program, its frames dropped, repeated, swapped or
    made odd (a ditto mark first, an absolute line, an empty frame, no offsets)."""
    rnd = self.rnd
    for p in r.get("Programs") or []:
        pool = [name for other in self.reports for q in other.get("Programs") or []
                if q.get("Program") == p.get("Program") for name in (q.get("Stacks") or {})]
        if not pool:
            continue
        counter, *frames = rnd.choice(pool).split("\n")
        for _ in range(rnd.randint(1, 3)):
            k = rnd.randrange(5)
            i = rnd.randrange(len(frames) + 1)
            if k == 0 and frames:
                del frames[min(i, len(frames) - 1)]
            elif k == 1 and frames:
                frames.insert(i, rnd.choice(frames))
            elif k == 2 and len(frames) > 1:
                frames[0], frames[-1] = frames[-1], frames[0]
            else:
                frames.insert(i, rnd.choice(['".F:+1,+0x2', "a/b.C:=12,+0x3", "", "x.y", '"', "p.(*T).M:+0,+0x0"]))
        p["Stacks"] = dict(p.get("Stacks") or {}, **{"\n".join([counter, *frames]): rnd.choice([0, 1, 3])})


Edits.reframe_stack = reframe_stack

EDITS = [Edits.odd_names, Edits.odd_names, Edits.reframe_stack, Edits.reframe_stack, Edits.reframe_stack, Edits.other_x, Edits.other_x, Edits.move_week, Edits.move_week, Edits.repeat_program,
         Edits.zero_counts, Edits.add_counter, Edits.empty_maps, Edits.no_programs,
         Edits.another_program, Edits.any_go_version, Edits.other_fields]


def main(source, out, count, seed, config_path, mixed=False):
    rnd = random.Random(seed)
    with open(config_path) as f:
        config = json.load(f)
    reports = []
    for day in sorted(os.listdir(source)):
        folder = os.path.join(source, day)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), "rb") as f:
                    try:
                        reports.append(json.loads(f.read()))
                    except ValueError:
                        pass
    edits = Edits(config, reports, rnd)
    lines = {}  # merged file -> its lines
    for k in range(count):
        r = json.loads(json.dumps(rnd.choice(reports)))
        for edit in rnd.sample(EDITS, rnd.randint(1, 4)):
            edit(edits, r)
        text = json.dumps(r, separators=(",", ":"))
        if not mixed or rnd.random() < 0.5:
            folder = os.path.join(out, r["Week"])
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "r%05d.json" % k), "w") as f:
                f.write(text)
        else:
            # A line of a merged file, in a folder that sorts before or after the day
            # folders, named for any day near the report's own (its Week decides its day).
            day = datetime.date.fromisoformat(r["Week"]) + datetime.timedelta(days=rnd.randint(-1, 1))
            name = os.path.join(rnd.choice(["", "0-early", "zz-late", "2026-01-05"]), day.isoformat() + ".json")
            lines.setdefault(name, []).append(text)
    for name, texts in sorted(lines.items()):
        os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
        with open(os.path.join(out, name), "w") as f:
            f.write("\n".join(texts) + "\n")


if __name__ == "__main__":
    if len(sys.argv) not in (6, 7) or sys.argv[6:] not in ([], ["--mixed"]):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6:] == ["--mixed"])
