#!/usr/bin/env python3
"""Mutated reports for a differential check of the build against ref.py.

    python3 mutate.py SOURCE OUT COUNT SEED

Takes up to 40 good reports of each day folder of SOURCE (gen-reports' upload layout) and
writes COUNT mutated copies to OUT/2026-01-0[1-7]/mNNNNN.json: one to three mutations
each, chosen by SEED, aimed at the validity rules' edges: a number replaced by an edge
form (-0, 1e2, 1.0, 2^63, -2^63-1, 1e19, 1e-400, null, a string...), a string replaced by
an edge form (an escaped key, a lone surrogate, \\u0000, null, a number, [] or {}), a few
bytes deleted, a byte inserted (JSON punctuation, a newline, invalid UTF-8), or a key and
value repeated. Python's standard library only; the same arguments give the same files.
"""
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


# (cumulative weight, mutation)
MUTATIONS = [(0.35, replace_number), (0.6, replace_string), (0.75, delete_bytes),
             (0.9, insert_byte), (1.0, repeat_member)]


def mutate(text, rnd):
    b = bytearray(text)
    for _ in range(rnd.choice([1, 1, 1, 2, 3])):
        if not b:
            break
        k = rnd.random()
        next(f for w, f in MUTATIONS if k < w)(b, rnd)
    return bytes(b)


def main(source, out, count, seed):
    rnd = random.Random(seed)
    good = []
    for day in sorted(os.listdir(source)):
        folder = os.path.join(source, day)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder))[:40]:
                with open(os.path.join(folder, name), "rb") as f:
                    good.append(f.read())
    for k in range(count):
        folder = os.path.join(out, "2026-01-%02d" % (1 + k % 7))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "m%05d.json" % k), "wb") as f:
            f.write(mutate(rnd.choice(good), rnd))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
