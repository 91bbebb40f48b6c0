#!/usr/bin/env python3
"""Compare a build's skips with a gen-reports manifest, entry by entry.

Usage: bench/check-manifest.py MANIFEST.tsv SUMMARY.json

Each manifest entry (path, line, kind) must be skipped for the reason its kind maps to;
`missing_programs` may be valid (only `Programs` absent), or bad_week / x_range (`Week` or
`X` absent); a `dup_x` pair may drop either member (the path that sorts first). Exits 1 on
any disagreement and prints the table of counts.
"""
import collections
import json
import sys

EXPECT = {
    "truncated": {"malformed"}, "empty": {"empty"}, "wrong_type": {"wrong_type"},
    "x_range": {"x_range"}, "bad_week": {"bad_week"},
    "missing_programs": {None, "x_range", "bad_week"},
    "unknown_program": {"unknown_program"}, "unknown_counter": {"unknown_counter"},
    "negative_count": {"negative_count"}, "overflow_count": {"overflow_count"},
    "invalid_utf8": {"invalid_utf8"}, "json_array": {"not_object"}, "huge_string": {"too_large"},
    "dup_x": {"duplicate", None},
}


def main():
    manifest, summary_path = sys.argv[1], sys.argv[2]
    summary = json.load(open(summary_path))
    if summary.get("skipped_not_listed"):
        sys.exit("summary lists only part of the skips")
    skips = {(s["path"], s["line"]): s["reason"] for s in summary["skipped"]}
    bad = 0
    by_kind = collections.Counter()
    dups = 0
    seen = set()
    with open(manifest) as f:
        next(f)
        for row in f:
            path, line, kind = row.rstrip("\n").split("\t")
            key = (path, int(line))
            seen.add(key)
            got = skips.get(key)
            by_kind[(kind, got)] += 1
            if kind == "dup_x":
                dups += 1
            if got not in EXPECT[kind]:
                bad += 1
                if bad <= 20:
                    print(f"MISMATCH {path}:{line}: manifest {kind}, build {got}")
    # Skips not in the manifest: only the other member of a duplicate pair may be there.
    extra = [(k, r) for k, r in skips.items() if k not in seen]
    for k, r in extra:
        if r != "duplicate":
            bad += 1
            print(f"UNEXPECTED skip {k[0]}:{k[1]}: {r}")
    dup_skipped = sum(1 for r in skips.values() if r == "duplicate")
    if dup_skipped != dups:
        bad += 1
        print(f"duplicates: manifest {dups}, build {dup_skipped}")
    for (kind, got), n in sorted(by_kind.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        print(f"{kind:18} -> {str(got):16} {n}")
    print(f"skipped by the build: {summary['reports_skipped']}; manifest entries: {sum(by_kind.values())}")
    print("OK" if bad == 0 else f"{bad} disagreements")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
