"""Unit checks of ref.py against hand-computed expectations.
Run: cd bench/blind && python3 -m unittest test_ref -v"""
import gzip
import json
import os
import shutil
import tempfile
import unittest

import ref

CFG = {
    "GOOS": ["linux", "darwin", "windows"],
    "GOARCH": ["amd64", "arm64"],
    "GoVersion": ["go1.21.3", "go1.21rc1", "go1.9", "go1.22.0", "devel", "go1.10"],
    "Programs": [
        {"Name": "cmd/go", "Versions": ["go1.22.0"],
         "Counters": [{"Name": "go/inv", "Rate": 1}, {"Name": "go/vcs:{git,mod}", "Rate": 1}]},
        {"Name": "example.com/tool",
         "Versions": ["v1.0.0", "v0.9.0", "v1.10.0", "devel", "v1.0.0-rc.1"],
         "Counters": [{"Name": "tool/kind:{b,a}", "Rate": 1}, {"Name": "tool/never", "Rate": 1},
                      {"Name": "tool/one:only", "Rate": 1}],
         "Stacks": [{"Name": "tool/bug", "Rate": 1, "Depth": 16}]},
        {"Name": "example.com/empty", "Versions": ["v1.0.0"]},
    ],
}


def pr(program="example.com/tool", version="v1.0.0", gov="go1.21.3", goos="linux",
       goarch="amd64", counters=None, stacks=None):
    return {"Program": program, "Version": version, "GoVersion": gov, "GOOS": goos,
            "GOARCH": goarch, "Counters": counters or {}, "Stacks": stacks or {}}


def rep(week="2026-01-10", x=0.5, programs=(), config="v0.1.0", lastweek=""):
    return {"Week": week, "LastWeek": lastweek, "X": x,
            "Programs": None if programs is None else list(programs), "Config": config}


def js(o):
    return json.dumps(o, separators=(",", ":"))


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="reftest")
        cp = os.path.join(self.tmp, "cfg.json")
        with open(cp, "w") as f:
            json.dump(CFG, f)
        self.cfg = ref.load_config(cp)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def reason(self, text, cfg="default"):
        if isinstance(text, str):
            text = text.encode("utf-8")
        try:
            ref.validate_text(text, self.cfg if cfg == "default" else cfg)
        except ref.Skip as s:
            return s.reason
        return "valid"

    def write(self, rel, content, gz=False):
        p = os.path.join(self.tmp, "data", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        if gz:
            content = gzip.compress(content)
        with open(p, "wb") as f:
            f.write(content)

    def build(self, with_config=True):
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        out = os.path.join(self.tmp, "out")
        counts = ref.run(data, out, os.path.join(self.tmp, "cfg.json") if with_config else None,
                         quiet=True)
        charts = {}
        for f in os.listdir(os.path.join(out, "charts")):
            with open(os.path.join(out, "charts", f)) as h:
                charts[f] = json.load(h)
        with open(os.path.join(out, "skips.tsv")) as h:
            skips = [tuple(l.rstrip("\n").split("\t")) for l in h]
        return counts, charts, skips


class Semver(unittest.TestCase):
    def test_valid(self):
        for v in ["v1", "v1.2", "v1.2.3", "v0.1", "v0.115.0", "v1.2.3-pre+build",
                  "v1.2.3-pre.1", "v1.2.3+001", "v1.2.3-0", "v1.2.3-a-b.c-1", "v0.0.0"]:
            self.assertTrue(ref.semver_is_valid(v), v)
        for v in ["", "v", "0.1.0", "V1.2.3", "v1.2-pre", "v1-pre", "v1.2+b", "v01.2.3",
                  "v1.02.3", "v1.2.03", "v1.2.3-01", "v1.2.3-", "v1.2.3-a..b", "v1.2.3+",
                  "v1.2.3.4", "v1.2.3 ", " v1.2.3", "v1.2.3-a_b", "v1.2.3+a+b", "v1.", "v1.2.",
                  "vx", "devel", "(devel)"]:
            self.assertFalse(ref.semver_is_valid(v), v)

    def test_compare(self):
        chain = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta",
                 "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.9.0", "v1.10.0"]
        for a, b in zip(chain, chain[1:]):
            self.assertEqual(ref.semver_compare(a, b), -1, (a, b))
            self.assertEqual(ref.semver_compare(b, a), 1, (a, b))
        self.assertEqual(ref.semver_compare("v1", "v1.0.0"), 0)
        self.assertEqual(ref.semver_compare("v1.2.3+a", "v1.2.3"), 0)
        self.assertEqual(ref.semver_compare("devel", "(devel)"), 0)
        self.assertEqual(ref.semver_compare("devel", "v0.0.0"), -1)

    def test_sort(self):
        got = ref.sort_with(["v1.0.0", "v1", "devel", "(devel)", "v0.9.0", "v1.0.0+b",
                             "v0.10.0-pre"], ref.semver_compare)
        self.assertEqual(got, ["(devel)", "devel", "v0.9.0", "v0.10.0-pre", "v1", "v1.0.0",
                               "v1.0.0+b"])


class GoVersion(unittest.TestCase):
    def test_lang(self):
        cases = {"go1.21.3": "go1.21", "go1.21rc1": "go1.21", "go1.21": "go1.21",
                 "go1.21.0": "go1.21", "go1.9": "go1.9", "go1.9.2": "go1.9",
                 "go1.9.2rc2": "", "devel": "", "": "", "go1.22.0-X": "go1.22",
                 "go1.21-bigcorp": "go1.21", "go1": "go1", "go1.0": "go1",
                 "go1.4beta1": "go1.4", "go1.21 X:boringcrypto": "", "1.21": "",
                 "go1.021": "", "go1.21.3.4": "", "go2.0.1": "go2.0", "go1.21RC1": "",
                 "go1.21rc": "go1.21", "go1.21.1rc1": ""}
        for k, v in cases.items():
            self.assertEqual(ref.goversion_lang(k), v, k)

    def test_order(self):
        chain = ["", "go1", "go1.9", "go1.10", "go1.21", "go1.21rc1", "go1.21.0",
                 "go1.21.3", "go1.22"]
        for a, b in zip(chain, chain[1:]):
            self.assertEqual(ref.goversion_compare(a, b), -1, (a, b))
            self.assertEqual(ref.goversion_compare(b, a), 1, (a, b))
        self.assertEqual(ref.goversion_compare("devel", ""), 0)
        self.assertEqual(ref.goversion_compare("go1.21-x", "go1.21"), 0)
        self.assertEqual(ref.goversion_compare("go1.9", "go1.9.0"), 0)  # <1.21: 1.9 == 1.9.0
        self.assertEqual(ref.goversion_compare("go1.21beta1", "go1.21rc1"), -1)


class Counters(unittest.TestCase):
    def test_expand_split(self):
        self.assertEqual(ref.expand_counter("a/b:{x,y,z}"), ["a/b:x", "a/b:y", "a/b:z"])
        self.assertEqual(ref.expand_counter("a/b"), ["a/b"])
        self.assertEqual(ref.expand_counter("a:b"), ["a:b"])
        self.assertEqual(ref.split_counter_name("gopls/renamekind:package"),
                         ("gopls/renamekind", "package"))
        self.assertEqual(ref.split_counter_name("go/inv"), ("go/inv", "go/inv"))
        self.assertEqual(ref.split_counter_name("a:b:c"), ("a", "b:c"))


class Validity(Base):
    def ok(self, **kw):
        return js(rep(**kw))

    def test_valid_basic(self):
        self.assertEqual(self.reason(self.ok(programs=[pr()])), "valid")
        self.assertEqual(self.reason(self.ok(programs=None)), "valid")
        # no Programs key, no LastWeek key: Go zero values, still valid
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1"}'), "valid")
        # unknown keys ignored, whatever their type
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","zz":[1,{"a":null}]}'),
                         "valid")

    def test_too_large_empty(self):
        base = self.ok(programs=[pr()])
        pad = 102400 - len(base)
        exact = base[:-1] + " " * pad + "}"
        self.assertEqual(len(exact), 102400)
        self.assertEqual(self.reason(exact), "valid")
        self.assertEqual(self.reason(exact[:-1] + " }"), "too_large")
        self.assertEqual(self.reason(" " * 102401), "too_large")   # too_large before empty
        self.assertEqual(self.reason(""), "empty")
        self.assertEqual(self.reason(" \t\r\n "), "empty")
        self.assertEqual(self.reason("\x0c"), "malformed")          # form feed is not JSON ws
        self.assertEqual(self.reason(b"\xef\xbb\xbf"), "malformed")  # BOM alone: not blank

    def test_utf8_and_malformed(self):
        self.assertEqual(self.reason(b'{"Week":"2026-01-10","X":0.5,"Config":"v1","z":"\xff"}'),
                         "invalid_utf8")
        self.assertEqual(self.reason(b'{"Week":"2026-01-10","X":0.5,"Config":"v1","z":"\xed\xa0\x80"}'),
                         "invalid_utf8")  # encoded surrogate
        self.assertEqual(self.reason(b"\xff"), "invalid_utf8")
        self.assertEqual(self.reason(b"\xef\xbb\xbf" + self.ok().encode()), "malformed")  # BOM
        self.assertEqual(self.reason(self.ok()[:-1]), "malformed")
        self.assertEqual(self.reason(self.ok() + self.ok()), "malformed")
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","X":0.5}'),
                         "malformed")
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","z":{"a":1,"a":1}}'),
                         "malformed")
        # repeated key after unescaping
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","Con\\u0066ig":"v1"}'),
                         "malformed")
        # different case is a different key (and unknown)
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","week":1}'), "valid")
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":NaN,"Config":"v1"}'), "malformed")
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":.5,"Config":"v1"}'), "malformed")
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1",}'), "malformed")
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","z":"a\tb"}'),
                         "malformed")  # raw control char in string
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","z":"\\ud800"}'),
                         "malformed")  # lone surrogate escape (decision)
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5,"Config":"v1","z":"\\ud83d\\ude00"}'),
                         "valid")

    def test_depth(self):
        def nested(levels):   # total container levels including the top object
            inner = "[" * (levels - 1) + "]" * (levels - 1)
            return '{"Week":"2026-01-10","X":0.5,"Config":"v1","z":%s}' % inner
        self.assertEqual(self.reason(nested(127)), "valid")
        self.assertEqual(self.reason(nested(128)), "malformed")
        self.assertEqual(self.reason(nested(3000)), "malformed")
        self.assertEqual(self.reason("[" * 128 + "]" * 128), "malformed")
        self.assertEqual(self.reason("[" * 127 + "]" * 127), "not_object")

    def test_not_object(self):
        for t in ["[]", "null", '"x"', "1", "true"]:
            self.assertEqual(self.reason(t), "not_object", t)

    def test_wrong_type(self):
        W = "wrong_type"
        cases = [
            '{"Week":20260110,"X":0.5,"Config":"v1"}',
            '{"Week":null,"X":0.5,"Config":"v1"}',
            '{"Week":"2026-01-10","X":"0.5","Config":"v1"}',
            '{"Week":"2026-01-10","X":null,"Config":"v1"}',
            '{"Week":"2026-01-10","X":true,"Config":"v1"}',
            '{"Week":"2026-01-10","X":0.5,"Config":null}',
            '{"Week":"2026-01-10","X":0.5,"Config":"v1","LastWeek":null}',
            '{"Week":"2026-01-10","X":0.5,"Config":"v1","Programs":{}}',
            '{"Week":"2026-01-10","X":0.5,"Config":"v1","Programs":[null]}',
            '{"Week":"2026-01-10","X":0.5,"Config":"v1","Programs":[1]}',
        ]
        for field, val in [("Program", "null"), ("Version", "1"), ("GoVersion", "[]"),
                           ("GOOS", "null"), ("GOARCH", "{}"), ("Counters", "[]"),
                           ("Stacks", '"x"'), ("Counters", '{"go/inv":"1"}'),
                           ("Counters", '{"go/inv":1.5}'), ("Counters", '{"go/inv":1.0}'),
                           ("Counters", '{"go/inv":1e3}'), ("Counters", '{"go/inv":1E0}'),
                           ("Counters", '{"go/inv":null}'), ("Counters", '{"go/inv":true}'),
                           ("Stacks", '{"tool/bug":-1.5}')]:
            p = pr()
            p[field] = "@@"
            cases.append(js(rep(programs=[p])).replace('"@@"', val))
        for c in cases:
            self.assertEqual(self.reason(c), W, c)
        # null Programs / Counters / Stacks are fine
        self.assertEqual(self.reason(js(rep(programs=[pr()])).replace('"Counters":{}', '"Counters":null')
                                     .replace('"Stacks":{}', '"Stacks":null')), "valid")

    def test_counts(self):
        def with_count(lit, where="Counters", name="tool/kind:a"):
            p = pr()
            p[where] = {name: "@@"}
            return js(rep(programs=[p])).replace('"@@"', lit)
        self.assertEqual(self.reason(with_count("0")), "valid")
        self.assertEqual(self.reason(with_count("-0")), "valid")
        self.assertEqual(self.reason(with_count("9223372036854775807")), "valid")
        self.assertEqual(self.reason(with_count("9223372036854775808")), "overflow_count")
        self.assertEqual(self.reason(with_count("1" + "0" * 40)), "overflow_count")
        self.assertEqual(self.reason(with_count("-1")), "negative_count")
        self.assertEqual(self.reason(with_count("-9223372036854775809")), "negative_count")
        self.assertEqual(self.reason(with_count("-1", "Stacks", "tool/bug\nx")), "negative_count")
        self.assertEqual(self.reason(with_count("9223372036854775808", "Stacks", "tool/bug")),
                         "overflow_count")
        # precedence: wrong_type > negative_count > overflow_count, wherever they are
        p = pr(counters={"tool/kind:a": "@1", "tool/kind:b": "@2"})
        t = js(rep(programs=[p]))
        self.assertEqual(self.reason(t.replace('"@1"', "-1").replace('"@2"', "1.5")), "wrong_type")
        self.assertEqual(self.reason(t.replace('"@1"', "99999999999999999999").replace('"@2"', "-2")),
                         "negative_count")
        # wrong_type beats bad_week etc. (rule 2 before rule 3)
        self.assertEqual(self.reason(js(rep(week="bad", x=5)).replace('"v0.1.0"', "1")), "wrong_type")
        # negative count beats bad_week
        self.assertEqual(self.reason(with_count("-1").replace("2026-01-10", "2026-02-30")),
                         "negative_count")
        # with no config at all, counts still checked
        self.assertEqual(self.reason(with_count("-1"), cfg=None), "negative_count")

    def test_week(self):
        for w in ["2026-02-30", "2025-13-01", "2026/01/10", "2026-1-10", "26-01-10",
                  "2026-01-10 ", "2026-01-10T00:00:00Z", "", "0000-01-01", "2026-00-10",
                  "2025-02-29", "\uff12026-01-10"]:
            self.assertEqual(self.reason(js(rep(week=w))), "bad_week", w)
        for w in ["2024-02-29", "2026-12-31", "1999-01-01"]:
            self.assertEqual(self.reason(js(rep(week=w))), "valid", w)
        self.assertEqual(self.reason('{"X":0.5,"Config":"v1"}'), "bad_week")   # missing Week
        self.assertEqual(self.reason("{}"), "bad_week")
        self.assertEqual(self.reason('{"week":"2026-01-10","X":0.5,"Config":"v1"}'), "bad_week")

    def test_x(self):
        def with_x(lit):
            return js(rep()).replace('"X":0.5', '"X":' + lit)
        for lit in ["0", "1", "0.0", "1.0", "-0.5", "-0", "1.5", "2", "1e400", "1e-400",
                    "0.99999999999999999"]:  # last one rounds to 1.0
            self.assertEqual(self.reason(with_x(lit)), "x_range", lit)
        for lit in ["5e-1", "0.5", "5E-1", "0.9999999999999999", "5e-324", "1e-5", "0.5e0"]:
            self.assertEqual(self.reason(with_x(lit)), "valid", lit)
        self.assertEqual(self.reason('{"Week":"2026-01-10","Config":"v1"}'), "x_range")  # missing X
        # x_range before bad_config
        self.assertEqual(self.reason(js(rep(x=1, config="bad"))), "x_range")
        self.assertEqual(self.reason(js(rep(week="2026-02-30", x=1, config="bad"))), "bad_week")

    def test_config(self):
        for c in ["0.1.0", "", "v0.1.0-", "V0.1.0", "v1.2-pre", "devel"]:
            self.assertEqual(self.reason(js(rep(config=c))), "bad_config", c)
        for c in ["v0.1", "v1", "v1.2.3-pre+build", "v0.115.0"]:
            self.assertEqual(self.reason(js(rep(config=c))), "valid", c)
        self.assertEqual(self.reason('{"Week":"2026-01-10","X":0.5}'), "bad_config")

    def test_unknown(self):
        U, C = "unknown_program", "unknown_counter"
        self.assertEqual(self.reason(js(rep(programs=[pr(program="nope")]))), U)
        self.assertEqual(self.reason(js(rep(programs=[pr(version="v9.9.9")]))), U)
        self.assertEqual(self.reason(js(rep(programs=[pr(version="go1.22.0")]))), U)  # other prog's
        self.assertEqual(self.reason(js(rep(programs=[pr(gov="go1.21")]))), U)  # not normalised
        self.assertEqual(self.reason(js(rep(programs=[pr(goos="Linux")]))), U)
        self.assertEqual(self.reason(js(rep(programs=[pr(goarch="riscv64")]))), U)
        self.assertEqual(self.reason(js(rep(programs=[{"Program": "example.com/tool"}]))), U)
        self.assertEqual(self.reason(js(rep(programs=[pr(version="devel", gov="devel")]))), "valid")
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"tool/kind": 1})]))), C)
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"tool/kind:c": 1})]))), C)
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"tool/kind:{b,a}": 1})]))), C)
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"go/inv": 1})]))), C)  # other prog
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"tool/one:only": 0})]))), "valid")
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"tool/one": 0})]))), C)
        self.assertEqual(self.reason(js(rep(programs=[pr(stacks={"tool/bug": 1})]))), "valid")
        self.assertEqual(self.reason(js(rep(programs=[pr(stacks={"tool/bug\nf.go:1\nx": 1})]))),
                         "valid")
        self.assertEqual(self.reason(js(rep(programs=[pr(stacks={"tool/bugx\nf": 1})]))), C)
        self.assertEqual(self.reason(js(rep(programs=[pr(stacks={"tool/kind:a": 1})]))), C)
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"tool/bug": 1})]))), C)
        # unknown program in the 2nd PR beats unknown counter in the 1st (spec order)
        self.assertEqual(self.reason(js(rep(programs=[pr(counters={"zzz": 1}), pr(goos="plan9")]))), U)
        # without config nothing is unknown
        self.assertEqual(self.reason(js(rep(programs=[pr(program="nope", counters={"x": 1})])),
                                     cfg=None), "valid")


class Files(Base):
    def test_lines_and_layouts(self):
        good = js(rep(x=0.25))
        # merged: CRLF, blank lines, trailing line without newline, whitespace-only line
        self.write("2026-01-10.jsonl",
                   good + "\r\n\r\n" + js(rep(x=0.125)) + "\n   \n" + js(rep(x=0.0625)))
        # exact-size lines: 102400 bytes + CRLF is fine, 102401 is too large
        big = js(rep(x=0.75))
        big = big[:-1] + " " * (102400 - len(big)) + "}"
        self.write("2026-01-11.ndjson", big + "\r\n" + big[:-1] + " }\n" + "\n")
        # upload layout file whose folder day differs from Week; plus a 102401-byte file
        self.write("2026-01-01/0.5.json", js(rep(x=0.5)) + "\n")
        self.write("2026-01-01/big.json", big + "\n")
        # gzipped merged with a bad line, in a sub-folder
        self.write("sub/dir/2026-01-12.json.gz", js(rep(x=0.375)) + "\n{bad\n", gz=True)
        # ignored and unrecognised files
        self.write("upload-config.json", "{}")
        self.write("chart-config.txt", "x")
        self.write("pages/whatever.json", "{}")
        self.write("notes.txt", "x")
        self.write("2026-01-10/readme.txt", "x")
        self.write("sub/upload-config.json", "{}")
        self.write("2026-01-10.JSON", "x")
        self.write("2026-01-10/.json", "{}")
        self.write("2026-01-13.json.gz", b"not gzip")
        counts, charts, skips = self.build()
        self.assertEqual(sorted(skips), sorted([
            ("2026-01-01/big.json", "0", "too_large"),
            ("2026-01-10.JSON", "0", "not_recognised"),
            ("2026-01-10.jsonl", "2", "empty"),
            ("2026-01-10.jsonl", "4", "empty"),
            ("2026-01-10/.json", "0", "not_recognised"),
            ("2026-01-10/readme.txt", "0", "not_recognised"),
            ("2026-01-11.ndjson", "2", "too_large"),
            ("2026-01-11.ndjson", "3", "empty"),
            ("2026-01-13.json.gz", "0", "unreadable"),
            ("notes.txt", "0", "not_recognised"),
            ("sub/dir/2026-01-12.json.gz", "2", "malformed"),
            ("sub/upload-config.json", "0", "not_recognised"),
        ]))
        self.assertEqual(skips, sorted(skips, key=lambda t: (t[0].encode(), int(t[1]))))
        self.assertEqual(counts["valid"], 6)  # 0.25 .125 .0625 .75 .5 .375
        # Week decides the day: every report above has Week 2026-01-10
        self.assertEqual(sorted(charts), ["2026-01-04_2026-01-10.json", "2026-01-10.json"])
        self.assertEqual(charts["2026-01-10.json"]["NumReports"], 6)

    def test_duplicates(self):
        # same (Week, X): 0.5 written as 5e-1 and 0.50; last by path, then by line
        self.write("2026-01-10/a.json", js(rep(x=0.5, programs=[pr(goos="linux")])))
        self.write("2026-01-10.json", js(rep(x=0.5, programs=[pr(goos="darwin")])).replace(
            '"X":0.5', '"X":5e-1') + "\n" + js(rep(x=0.5, programs=[pr(goos="windows")])).replace(
            '"X":0.5', '"X":0.50') + "\n")
        # differs in the last ulp: not a duplicate
        self.write("2026-01-10/b.json", js(rep(x=0.5000000000000001, programs=[pr(goos="linux")])))
        # same X, other Week: not a duplicate
        self.write("2026-01-11/c.json", js(rep(week="2026-01-11", x=0.5, programs=[pr()])))
        # an invalid report does not take part
        self.write("2026-01-10/z.json", js(rep(x=0.5, config="bad")))
        counts, charts, skips = self.build()
        # byte order: "2026-01-10.json" < "2026-01-10/a.json" < "2026-01-10/b.json" ('.' < '/')
        # so 2026-01-10/a.json (linux) is kept, both lines of the merged file are duplicates
        self.assertEqual(skips, [("2026-01-10.json", "1", "duplicate"),
                                 ("2026-01-10.json", "2", "duplicate"),
                                 ("2026-01-10/z.json", "0", "bad_config")])
        d = charts["2026-01-10.json"]
        self.assertEqual(d["NumReports"], 2)
        tool = d["Programs"][1]
        goos = [c for c in tool["Charts"] if c["Name"] == "GOOS"][0]
        self.assertEqual([(x["Key"], x["Value"]) for x in goos["Data"]],
                         [("darwin", 0), ("linux", 2), ("windows", 0)])
        # weekly for 01-11: X=0.5 on two days counts once; 0.5000000000000001 separately
        w = charts["2026-01-05_2026-01-11.json"]
        self.assertEqual(w["NumReports"], 3)
        goos = [c for c in w["Programs"][1]["Charts"] if c["Name"] == "GOOS"][0]
        self.assertEqual([(x["Key"], x["Value"], x["Week"]) for x in goos["Data"]],
                         [("darwin", 0, "2026-01-11"), ("linux", 2, "2026-01-11"),
                          ("windows", 0, "2026-01-11")])

    def test_dup_within_file_last_line(self):
        self.write("2026-01-10.json", "\n".join([
            js(rep(x=0.5, programs=[pr(goos="darwin")])),
            js(rep(x=0.5, programs=[pr(goos="windows")])),
            js(rep(x=0.5, programs=[pr(goos="nope")])),   # invalid, ignored for dups
        ]))
        counts, charts, skips = self.build()
        self.assertEqual(skips, [("2026-01-10.json", "1", "duplicate"),
                                 ("2026-01-10.json", "3", "unknown_program")])
        goos = [c for c in charts["2026-01-10.json"]["Programs"][1]["Charts"] if c["Name"] == "GOOS"][0]
        self.assertEqual([x["Value"] for x in goos["Data"]], [0, 0, 1])


class Aggregation(Base):
    def test_hand_computed(self):
        T = "example.com/tool"
        r1 = rep("2026-01-10", 0.1, [pr(counters={"tool/kind:a": 0},
                                        stacks={"tool/bug\nfoo.go:1": 3})])
        r2 = rep("2026-01-10", 0.2, [
            pr(gov="go1.21rc1", goos="darwin", goarch="arm64",
               counters={"tool/kind:a": 5, "tool/kind:b": 1}),
            pr(version="v0.9.0", gov="go1.9", counters={"tool/kind:a": 1})])
        r3 = rep("2026-01-10", 0.3, None)
        r4 = rep("2026-01-12", 0.1, [pr(version="v1.10.0", gov="go1.22.0")])
        r5 = rep("2026-01-12", 0.4, [pr(program="cmd/go", version="go1.22.0", gov="go1.22.0",
                                        goos="windows", counters={"go/vcs:git": 2})])
        r6 = rep("2026-01-13", 0.5, [])
        self.write("2026-01-10/a.json", js(r1))
        self.write("2026-01-10/b.json", json.dumps(r2, indent="\t"))
        self.write("sub/2026-01-10.jsonl", js(r3) + "\n")
        self.write("2026-01-12.json.gz", js(r4) + "\n" + js(r5) + "\n", gz=True)
        self.write("2026-01-01/r6.json", js(r6))
        counts, charts, skips = self.build()
        self.assertEqual(skips, [])
        self.assertEqual(sorted(charts), sorted([
            "2026-01-10.json", "2026-01-04_2026-01-10.json", "2026-01-12.json",
            "2026-01-06_2026-01-12.json", "2026-01-13.json", "2026-01-07_2026-01-13.json"]))

        def dat(week, *kv):
            return [{"Week": week, "Key": k, "Value": v} for k, v in kv]

        def ch(prog, name, data):
            return {"ID": "charts:%s:%s" % (prog, name), "Name": name, "Type": "partition",
                    "Data": data}

        def progs(go, tool):
            return [{"ID": "charts:cmd/go", "Name": "cmd/go", "Charts": go},
                    {"ID": "charts:" + T, "Name": T, "Charts": tool},
                    {"ID": "charts:example.com/empty", "Name": "example.com/empty", "Charts": []}]

        w = "2026-01-10"
        tool10 = [
            ch(T, "Version", dat(w, ("v0.9.0", 1), ("v1.0.0", 2))),
            ch(T, "GOOS", dat(w, ("darwin", 1), ("linux", 2), ("windows", 0))),
            ch(T, "GOARCH", dat(w, ("amd64", 2), ("arm64", 1))),
            ch(T, "GoVersion", dat(w, ("go1.9", 1), ("go1.21", 2))),
            ch(T, "tool/kind", dat(w, ("a", 2), ("b", 1))),
        ]
        exp10 = {"DateRange": ["2026-01-10", "2026-01-10"], "Programs": progs([], tool10),
                 "NumReports": 3}
        self.assertEqual(charts["2026-01-10.json"], exp10)
        exp10w = dict(exp10, DateRange=["2026-01-04", "2026-01-10"])
        self.assertEqual(charts["2026-01-04_2026-01-10.json"], exp10w)

        w = "2026-01-12"
        go12 = [
            ch("cmd/go", "GOOS", dat(w, ("darwin", 0), ("linux", 0), ("windows", 1))),
            ch("cmd/go", "GOARCH", dat(w, ("amd64", 1), ("arm64", 0))),
            ch("cmd/go", "GoVersion", dat(w, ("go1.22", 1))),
            ch("cmd/go", "go/vcs", dat(w, ("git", 1), ("mod", 0))),
        ]
        tool12 = [
            ch(T, "Version", dat(w, ("v1.10.0", 1))),
            ch(T, "GOOS", dat(w, ("darwin", 0), ("linux", 1), ("windows", 0))),
            ch(T, "GOARCH", dat(w, ("amd64", 1), ("arm64", 0))),
            ch(T, "GoVersion", dat(w, ("go1.22", 1))),
        ]
        self.assertEqual(charts["2026-01-12.json"],
                         {"DateRange": [w, w], "Programs": progs(go12, tool12), "NumReports": 2})
        tool12w = [
            ch(T, "Version", dat(w, ("v0.9.0", 1), ("v1.0.0", 2), ("v1.10.0", 1))),
            ch(T, "GOOS", dat(w, ("darwin", 1), ("linux", 2), ("windows", 0))),
            ch(T, "GOARCH", dat(w, ("amd64", 2), ("arm64", 1))),
            ch(T, "GoVersion", dat(w, ("go1.9", 1), ("go1.21", 2), ("go1.22", 1))),
            ch(T, "tool/kind", dat(w, ("a", 2), ("b", 1))),
        ]
        self.assertEqual(charts["2026-01-06_2026-01-12.json"],
                         {"DateRange": ["2026-01-06", w], "Programs": progs(go12, tool12w),
                          "NumReports": 5})
        self.assertEqual(charts["2026-01-13.json"],
                         {"DateRange": ["2026-01-13", "2026-01-13"], "Programs": progs([], []),
                          "NumReports": 1})
        # datum Week stays 2026-01-12: r6 (01-13) holds no program report
        self.assertEqual(charts["2026-01-07_2026-01-13.json"],
                         {"DateRange": ["2026-01-07", "2026-01-13"],
                          "Programs": progs(go12, tool12w), "NumReports": 6})

    def test_goversion_invalid_bucket_and_version_order(self):
        cfg = dict(CFG)
        cfg["GoVersion"] = ["go1.9.2rc2", "devel", "go1.10", "go1.9"]
        cfg["Programs"] = [{"Name": "p", "Versions": ["v1.0.0", "devel", "(devel)", "v1",
                                                      "v1.0.0-rc.1"]}]
        with open(os.path.join(self.tmp, "cfg.json"), "w") as f:
            json.dump(cfg, f)
        self.write("2026-01-10.json", "\n".join(js(rep(x=x, programs=[pr("p", v, g)])) for x, v, g in [
            (0.1, "v1.0.0", "go1.9.2rc2"), (0.2, "devel", "devel"), (0.3, "(devel)", "go1.10"),
            (0.4, "v1", "go1.9"), (0.5, "v1.0.0-rc.1", "go1.9")]))
        counts, charts, skips = self.build()
        self.assertEqual(skips, [])
        cs = {c["Name"]: [(d["Key"], d["Value"]) for d in c["Data"]]
              for c in charts["2026-01-10.json"]["Programs"][0]["Charts"]}
        self.assertEqual(cs["GoVersion"], [("", 2), ("go1.9", 2), ("go1.10", 1)])
        self.assertEqual(cs["Version"], [("(devel)", 1), ("devel", 1), ("v1.0.0-rc.1", 1),
                                         ("v1", 1), ("v1.0.0", 1)])

    def test_inferred(self):
        self.write("2026-01-10.json", "\n".join([
            js(rep(x=0.1, programs=[pr("zeta", "v2", "go1.21.3", "linux", "amd64",
                                       counters={"z/c:{x}": 1, "z/a:q": 0, "plain": 3},
                                       stacks={"s/s\nx": 1})])),
            js(rep(x=0.2, programs=[pr("cmd/alpha", "v1", "go1.22rc1", "plan9", "arm64",
                                       counters={"z/a:p": 1})])),
        ]))
        self.write("2026-01-11.json", js(rep("2026-01-11", 0.3,
                                             programs=[pr("zeta", "v1", "go1.21.3", "linux", "amd64",
                                                          counters={"z/a:r": 1})])))
        counts, charts, skips = self.build(with_config=False)
        self.assertTrue(counts["inferred_config"])
        d = charts["2026-01-10.json"]
        self.assertEqual([p["Name"] for p in d["Programs"]], ["cmd/alpha", "zeta"])
        alpha = {c["Name"]: [(x["Key"], x["Value"]) for x in c["Data"]] for c in d["Programs"][0]["Charts"]}
        self.assertEqual([c["Name"] for c in d["Programs"][0]["Charts"]],
                         ["GOOS", "GOARCH", "GoVersion", "z/a"])
        self.assertEqual(alpha["GOOS"], [("linux", 0), ("plan9", 1)])
        self.assertEqual(alpha["GoVersion"], [("go1.22", 1)])
        self.assertEqual(alpha["z/a"], [("p", 1)])
        zeta = d["Programs"][1]["Charts"]
        self.assertEqual([c["Name"] for c in zeta],
                         ["Version", "GOOS", "GOARCH", "GoVersion", "plain", "z/a", "z/c"])
        z = {c["Name"]: [(x["Key"], x["Value"]) for x in c["Data"]] for c in zeta}
        self.assertEqual(z["Version"], [("v2", 1)])
        self.assertEqual(z["z/a"], [("q", 1), ("r", 0)])
        self.assertEqual(z["z/c"], [("{x}", 1)])
        self.assertEqual(z["plain"], [("plain", 1)])


if __name__ == "__main__":
    unittest.main()
