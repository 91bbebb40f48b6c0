#!/usr/bin/env python3
"""Mutated reports for a differential check of the build against ref.py.

    python3 mutate.py SOURCE OUT COUNT SEED [--merged]

Takes up to 40 good reports of each day folder of SOURCE (gen-reports' upload layout) and
writes COUNT mutated copies to OUT/2026-01-0[1-7]/mNNNNN.json, or with --merged as lines
of OUT/partNNN/2026-01-0[1-7].json[.gz] (30 reports a file, at most 60 lines, so that the build lists every
skip, 100 a file at most; each line ended by \n, \r\n, a blank line or a line of one
space; half the files gzipped, half without a final newline): one to three mutations
each, chosen by SEED, aimed at the validity rules' edges: a number replaced by an edge
form (-0, 1e2, 1.0, 2^63, -2^63-1, 1e19, 1e-400, null, a string...), a string replaced by
an edge form (an escaped key, a lone surrogate, \\u0000, null, a number, [] or {}), a few
bytes deleted, a byte inserted (JSON punctuation, a newline, invalid UTF-8), a key and
value repeated, the report made an array, string, number or null, or padded with spaces
to the size limit, 102,400 bytes, or one byte more. Python's standard library only; the same arguments give the same files.
"""
import gzip
import os
import random
import sys

NUMBERS = [b"-0", b"0", b"1e2", b"1.0", b"9223372036854775807", b"9223372036854775808",
           b"-9223372036854775808", b"-9223372036854775809", b"0.5e1", b"1E0", b"-1", b"00",
           b"1e19", b"18446744073709551616", b"-0.0", b"0.25", b"5e-1", b"1e-400", b"2.5",
           b"null", b"true", b'"1"']
STRINGS = [b'"\\u0057eek"', b'"\\ud800"', b'"\\ud83d\\ude00"', b'""', b'"\\u0000"', b'"a\\/b"',
           b"null", b"1", b"[]", b"{}"]
BYTES = b'"{}[],:0-1e.\\ u\n\t\xff\xc3'
NUMBER_CHARS = b"0123456789.eE+-"


def replace_number(b, rnd):
    starts = [i for i in range(1, len(b)) if b[i] in b"0123456789" and b[i - 1] in b":,[ "]
    if starts:
        i = j = rnd.choice(starts)
        while j < len(b) and b[j] in NUMBER_CHARS:
            j += 1
        b[i:j] = rnd.choice(NUMBERS)


def replace_string(b, rnd):
    starts = [i for i in range(len(b)) if b[i] == ord('"') and (i == 0 or b[i - 1] in b":,[{ ")]
    if starts:
        i = rnd.choice(starts)
        j = b.find(b'"', i + 1) + 1
        if j > 0:
            b[i:j] = rnd.choice(STRINGS)


def delete_bytes(b, rnd):
    i = rnd.randrange(len(b))
    del b[i:i + rnd.randint(1, 3)]


def insert_byte(b, rnd):
    i = rnd.randrange(len(b) + 1)
    b[i:i] = bytes([rnd.choice(BYTES)])


def repeat_member(b, rnd):
    commas = [i for i in range(len(b)) if b[i] == ord(",")]
    if commas:
        i = rnd.choice(commas)
        j = b.find(b",", i + 1)
        if j > 0:
            b[j:j] = b[i:j]


def not_an_object(b, rnd):
    b[:] = rnd.choice([b"[" + bytes(b) + b"]", b'"' + bytes(b).replace(b'"', b"'") + b'"', b"42", b"null"])


def pad_to_the_limit(b, rnd):
    """Trailing spaces up to 102,400 bytes (the size limit) or one more: JSON still."""
    b.extend(b" " * max(0, 102_400 + rnd.choice([0, 1]) - len(b)))


# (cumulative weight, mutation)
MUTATIONS = [(0.33, replace_number), (0.57, replace_string), (0.71, delete_bytes),
             (0.85, insert_byte), (0.95, repeat_member), (0.975, not_an_object),
             (1.0, pad_to_the_limit)]


def mutate(text, rnd):
    b = bytearray(text)
    for _ in range(rnd.choice([1, 1, 1, 2, 3])):
        if not b:
            break
        k = rnd.random()
        next(f for w, f in MUTATIONS if k < w)(b, rnd)
    return bytes(b)


def main(source, out, count, seed, merged=False):
    rnd = random.Random(seed)
    good = []
    for day in sorted(os.listdir(source)):
        folder = os.path.join(source, day)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder))[:40]:
                with open(os.path.join(folder, name), "rb") as f:
                    # Without its final newline: a merged line's end is chosen below, and a
                    # 102,400-byte report plus one is a choice (README.md), not a difference.
                    good.append(f.read().rstrip(b"\n"))
    reports = [mutate(rnd.choice(good), rnd) for _ in range(count)]
    if not merged:
        for k, text in enumerate(reports):
            folder = os.path.join(out, "2026-01-%02d" % (1 + k % 7))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "m%05d.json" % k), "wb") as f:
                f.write(text)
        return
    for part, start in enumerate(range(0, count, 30)):
        ends = [rnd.choice([b"\n", b"\n", b"\r\n", b"\n\n", b"\r\n \n"]) for _ in reports[start:start + 30]]
        body = b"".join(text + end for text, end in zip(reports[start:start + 30], ends))
        if rnd.random() < 0.5:
            body = body.rstrip(b"\r\n")
        folder = os.path.join(out, "part%03d" % part)
        os.makedirs(folder, exist_ok=True)
        name = os.path.join(folder, "2026-01-%02d.json" % (1 + part % 7))
        if rnd.random() < 0.5:
            with gzip.GzipFile(name + ".gz", "wb", mtime=0) as f:
                f.write(body)
        else:
            with open(name, "wb") as f:
                f.write(body)


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6) or sys.argv[5:] not in ([], ["--merged"]):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:] == ["--merged"])
