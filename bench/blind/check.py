#!/usr/bin/env python3
"""Checks the build against the blind references in this folder: implementations of the
issues' rules written from the issue texts alone, without reading this project's code.

    python3 bench/blind/check.py DATA [DATA ...]   # chart JSON, the numbers of the HTML pages
                                                   # and raw data, skips, chart-set and trend
                                                   # CSVs, trend and stacks pages, for each
                                                   # data folder
    python3 bench/blind/check.py --cases           # the hand-made adversarial cases
                                                   # (make_cases.py; needs ../shared)
    python3 bench/blind/check.py --fuzz [SEED ...] # per seed, 4,000 mutated reports in each layout
                                                   # and 3,000 valid ones reshaped (default
                                                   # 1 2 3 4; mutate.py, reshape.py; needs ../shared)

It builds the release binary, builds each site into a temporary folder, and prints every
difference. The references read a few rules otherwise than the build where the issues
leave a choice; README.md lists them, and this script says which case they explain. Exit
status 1 when anything else differs.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.path.join(ROOT, "target", "release", "telemetry-site")
SHARED = os.path.join(ROOT, "..", "shared")

# Cases whose differences are the documented choices of README.md, by the case's name.
CHOSEN = {
    "counts": "an overflow before a negative count in the text: the build reports the overflow",
    "json_edge": "1e400 under an unknown key: malformed for the build (serde_json's range)",
    "x_exact": "X = 1e400: malformed for the build (serde_json's range), x_range for the reference",
    "too_large": "102,400 bytes and a final newline in a one-report file: valid for the build",
    "weeks": "Week 0000-01-01: a date for the build (Go's time.Parse), not for the reference",
}


def run(args, **kw):
    return subprocess.run([str(a) for a in args], **kw)


def py(script, *args, **kw):
    return run([sys.executable, os.path.join(HERE, script), *args], **kw)


def build(data, site, tmp):
    summary = os.path.join(tmp, "summary.json")
    out = run([BINARY, "build", data, site, "-q", "--cache", os.path.join(tmp, "cache"),
               "--summary-json", summary], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"build of {data} failed: {out.stderr}")
    return summary


def check_data(data, tmp):
    """Every check on one data folder; True when all agree."""
    site, ref_out = os.path.join(tmp, "site"), os.path.join(tmp, "ref")
    summary = build(data, site, tmp)
    ok = True
    py("ref.py", "-q", data, ref_out, check=True)
    ok &= py("compare.py", site, ref_out).returncode == 0
    ok &= py("pages.py", site, ref_out).returncode == 0
    skips = py("skipdiff.py", summary, ref_out, capture_output=True, text=True).stdout
    differing = skip_differences(skips)
    # E.g. a count of 2^63 or more in exponent form (1e19): overflow for the build and for
    # gen-reports' manifest, not an integer (wrong_type) for the reference.
    chosen = [line for line in differing if chosen_skip(line)]
    differing = [line for line in differing if line not in chosen]
    print("skips: %d differ, %d by the choices of README.md" % (len(differing), len(chosen)))
    for line in differing[:10]:
        print("  " + line)
    ok &= not differing
    tsv = os.path.join(tmp, "trends.tsv")
    with open(tsv, "w") as f:
        py("map_trends.py", site, stdout=f, check=True)
    def trends(*choices):
        return py("trends_ref.py", data, os.path.join(tmp, "csv"), "--buckets", "nonzero-points",
                  *choices, "--compare", site, tsv, capture_output=True, text=True)
    strict = trends()
    print(strict.stdout.strip().splitlines()[-1])
    if strict.returncode != 0:
        # A trend for a chart no week has, and share 0 for a week with no uploaders: the
        # build's reading (top README, "Trends"); anything else is a difference.
        built = trends("--as-built")
        print("\n".join(built.stdout.strip().splitlines()[-3:]) + " (with the build's choices)")
        ok &= built.returncode == 0
    # The trend pages' tables against the reference's CSVs just written.
    pages = py("trend_pages.py", site, os.path.join(tmp, "csv"), capture_output=True, text=True)
    print(pages.stdout.strip())
    ok &= pages.returncode == 0
    config = os.path.join(data, "upload-config.json")
    if os.path.exists(config):
        stacks = os.path.join(tmp, "stacks.json")
        py("stacks_ref.py", data, stacks, check=True)
        pages = py("parse_site.py", site, stacks, config, capture_output=True, text=True)
        print("\n".join(pages.stdout.strip().splitlines()[-3:]))
        if pages.returncode != 0:
            # A stack's trailing empty lines not shown, ties ranked by key: the build's
            # reading (top README, "Stack counters"); anything else is a difference.
            pages = py("parse_site.py", site, stacks, config, "--as-built", capture_output=True, text=True)
            print("\n".join(pages.stdout.strip().splitlines()[-3:]) + " (with the build's choices)")
        ok &= pages.returncode == 0
    return ok


def check_cases():
    py("make_cases.py", check=True)
    cases = os.path.join(HERE, "..", ".data", "blind", "cases")
    refs = os.path.join(HERE, "..", ".data", "blind", "out", "cases")
    ok = True
    for name in sorted(os.listdir(cases)):
        with tempfile.TemporaryDirectory() as tmp:
            site = os.path.join(tmp, "site")
            summary = build(os.path.join(cases, name), site, tmp)
            charts = py("compare.py", site, os.path.join(refs, name), capture_output=True, text=True)
            pages = py("pages.py", site, os.path.join(refs, name), capture_output=True, text=True)
            skips = py("skipdiff.py", summary, os.path.join(refs, name), capture_output=True, text=True)
        differing = skip_differences(skips.stdout)
        if pages.returncode != 0:
            differing += pages.stdout.strip().splitlines()
        same = charts.returncode == 0 and not differing
        verdict = "same" if same else ("chosen: " + CHOSEN[name] if name in CHOSEN else "DIFFERENT")
        print(f"{name}: {verdict}")
        if not same:
            for line in charts.stdout.strip().splitlines()[-3:] + differing[:5]:
                print("  " + line)
        ok &= same or name in CHOSEN
    return ok


def skip_differences(skipdiff_output):
    """skipdiff.py's differing skips, but for files not recognised as reports, which the
    build lists apart from the skips (its summary's `unrecognised`)."""
    return [line for line in skipdiff_output.splitlines() if line.startswith("(")
            and "'unrec'" not in line and "ours - |  | ref not_recognised" not in line]


# Skip differences that are README.md's documented choices, by what the two sides say.
def chosen_skip(line):
    # An overflow and a negative count or a non-integer in one report: the build decodes as
    # Go does (the first decoding error in the text, then negative counts).
    if "ours overflow_count" in line and (line.endswith("ref wrong_type") or line.endswith("ref negative_count")):
        return True
    # A number beyond a 64-bit float (1e400, 0.1e3386): malformed for the build, as for
    # serde_json; infinity for the reference, which then checks the later rules.
    return "ours malformed | number out of range" in line


def generated(out, days, per_day, seed):
    """`out`, made by gen-reports (upload layout, no bad input) unless it is there."""
    if not os.path.isdir(out):
        run([os.path.join(SHARED, "tools", "gen-reports"), "--out", out, "--days", days,
             "--reports-per-day", per_day, "--seed", seed], check=True, stdout=subprocess.DEVNULL)
    return out


def check_fuzz(seeds):
    work = os.path.join(HERE, "..", ".data", "blind", "fuzz")
    source = generated(os.path.join(work, "source"), days=7, per_day=50, seed=9)
    config = os.path.join(SHARED, "go", "upload-config.json")
    ok = True
    # Each with Go's upload config and without one (every name inferred from the data).
    runs = [(seed, layout, configured) for seed in seeds for layout in ["upload", "merged"] for configured in [True, False]]
    for seed, layout, configured in runs:
        data = os.path.join(work, "%s-%s%s" % (layout, seed, "" if configured else "-inferred"))
        shutil.rmtree(data, ignore_errors=True)
        py("mutate.py", source, data, "4000", seed, *(["--merged"] if layout == "merged" else []), check=True)
        if configured:
            shutil.copy(config, data)
        with tempfile.TemporaryDirectory() as tmp:
            site, ref_out = os.path.join(tmp, "site"), os.path.join(tmp, "ref")
            summary = build(data, site, tmp)
            py("ref.py", "-q", data, ref_out, check=True)
            charts = py("compare.py", site, ref_out, capture_output=True, text=True)
            pages = py("pages.py", site, ref_out, capture_output=True, text=True)
            skips = py("skipdiff.py", summary, ref_out, capture_output=True, text=True).stdout
            with open(summary) as f:
                unlisted = json.load(f)["skipped_not_listed"]
        differing = [line for line in skips.splitlines() if line.startswith("(")]
        other = [line for line in differing if not chosen_skip(line)]
        if unlisted:  # every skip must be compared line by line
            other.append(f"{unlisted} skips not listed by the build")
        print("%s, seed %s%s: %s; skips: %d differ, %d by the choices of README.md"
              % (layout, seed, "" if configured else ", no config", charts.stdout.strip().splitlines()[-1], len(other), len(differing) - len(other)))
        for line in other[:10] + pages.stdout.strip().splitlines():
            print("  " + line)
        ok &= charts.returncode == 0 and pages.returncode == 0 and not other
    # Valid reports reshaped at the aggregation rules' edges: charts, trends, stacks pages.
    source = generated(os.path.join(work, "source-14-days"), days=14, per_day=60, seed=11)
    runs = [(seed, mixed, configured) for seed in seeds for mixed in [False, True] for configured in [True, False]]
    for seed, mixed, configured in runs:
        data = os.path.join(work, "reshaped-%s%s%s" % (seed, "-mixed" if mixed else "", "" if configured else "-inferred"))
        shutil.rmtree(data, ignore_errors=True)
        py("reshape.py", source, data, "3000", seed, config, *(["--mixed"] if mixed else []), check=True)
        if configured:
            shutil.copy(config, data)
        print(f"reshaped, seed {seed}{', both layouts' if mixed else ''}{'' if configured else ', no config'}:")
        with tempfile.TemporaryDirectory() as tmp:
            ok &= check_data(data, tmp)
    return ok


def main(argv):
    if not argv:
        sys.exit(__doc__)
    run(["cargo", "build", "--release", "--quiet", "--bin", "telemetry-site"], cwd=ROOT, check=True)
    ok = True
    if argv == ["--cases"]:
        ok = check_cases()
    elif argv[0] == "--fuzz":
        ok = check_fuzz(argv[1:] or ["1", "2", "3", "4"])
    else:
        for data in argv:
            print(f"== {data}")
            with tempfile.TemporaryDirectory() as tmp:
                ok &= check_data(os.path.abspath(data), tmp)
    print("all agree" if ok else "DIFFERENCES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
