#!/usr/bin/env python3
"""Builds bench/.data/blind/cases/<name>/ (hand-crafted adversarial inputs) and runs
ref.py on each into bench/.data/blind/out/cases/<name>/.  Deterministic; see README.md for what
each case tests and the decision taken.

    python3 make_cases.py            # (re)build cases and reference outputs
"""
import gzip
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "..", ".data", "blind")
CASES = os.path.join(WORK, "cases")
OUT = os.path.join(WORK, "out", "cases")
SHARED = os.path.join(HERE, "..", "..", "..", "shared")
REAL_CFG = os.path.join(SHARED, "go", "upload-config.json")
GEN = os.path.join(SHARED, "tools", "gen-reports")

GOPLS = "golang.org/x/tools/gopls"
GOPLS_V = "v0.17.1"
GOV = "go1.24.2"

MINI = {
    "GOOS": ["linux", "darwin", "windows"],
    "GOARCH": ["amd64", "arm64"],
    "GoVersion": ["devel", "go1.21rc1", "go1.9", "go1.22.0-X", "go1.9.2rc2", "go1.21.3",
                  "go1.10", "go1.21.0", "go1", "go1.22.0"],
    "SampleRate": 1,
    "Programs": [
        {"Name": "example.com/tool",
         "Versions": ["v1.0.0", "devel", "(devel)", "v1", "v1.0.0-rc.1", "v0.10.0", "v0.9.0",
                      "v1.0.0+meta", "v1.0.0-beta.11", "v1.0.0-beta.2"],
         "Counters": [{"Name": "tool/kind:{b,a,c}", "Rate": 1}, {"Name": "tool/plain", "Rate": 1},
                      {"Name": "tool/never", "Rate": 1}, {"Name": "tool/one:only", "Rate": 1}],
         "Stacks": [{"Name": "tool/bug", "Rate": 1, "Depth": 16},
                    {"Name": "tool/plain", "Rate": 1, "Depth": 16}]},
        {"Name": "cmd/tool", "Versions": ["devel", "go1.22.0", "go1.21.3"],
         "Counters": [{"Name": "cmd/inv", "Rate": 1}]},
        {"Name": "example.com/unused", "Versions": ["v1.0.0"]},
    ],
}


def P(program=GOPLS, version=GOPLS_V, gov=GOV, goos="linux", goarch="amd64",
      counters=None, stacks=None):
    return {"Program": program, "Version": version, "GoVersion": gov, "GOOS": goos,
            "GOARCH": goarch, "Counters": counters, "Stacks": stacks}


def R(week, x, programs=(), config="v0.115.0", lastweek=""):
    """Go json.Encoder style; x is inserted as a raw literal (str) or repr(float)."""
    xl = x if isinstance(x, str) else repr(x)
    progs = "null" if programs is None else json.dumps(list(programs), separators=(",", ":"))
    return ('{"Week":%s,"LastWeek":%s,"X":%s,"Programs":%s,"Config":%s}'
            % (json.dumps(week), json.dumps(lastweek), xl, progs, json.dumps(config)))


def client(name, **kw):
    """gopls program report with one gopls/client counter: makes each report visible."""
    return P(counters={"gopls/client:" + name: 1}, **kw)


class Case:
    def __init__(self, name, config="real"):
        self.dir = os.path.join(CASES, name)
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        if config == "real":
            shutil.copy(REAL_CFG, os.path.join(self.dir, "upload-config.json"))
        elif config is not None:
            with open(os.path.join(self.dir, "upload-config.json"), "w") as f:
                json.dump(config, f, indent="\t")
                f.write("\n")

    def file(self, rel, content, gz=False):
        p = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        if gz:
            content = gzip.compress(content, mtime=0)
        with open(p, "wb") as f:
            f.write(content)

    def lines(self, rel, lines, gz=False, end="\n"):
        self.file(rel, "".join(l + end for l in lines), gz)


def pad_to(report, n):
    """Pad a compact report with spaces before its final '}' to exactly n bytes."""
    assert len(report.encode()) <= n
    return report[:-1] + " " * (n - len(report.encode())) + "}"


def build():
    if os.path.exists(CASES):
        shutil.rmtree(CASES)

    # ------------------------------------------------------------------ dup_layouts
    c = Case("dup_layouts")
    W = "2026-01-10"
    c.file(W + "/0.5.json", R(W, 0.5, [client("vscode")]) + "\n")
    c.file(W + "/0.25.json", R(W, 0.25, [client("eglot")]) + "\n")
    c.file(W + "/0.5b.json", R("2026-01-11", 0.5, [client("helix")]) + "\n")  # other Week
    c.lines(W + ".json", [R(W, "5e-1", [client("vscodium")]), R(W, "0.50", [client("govim")])])
    c.lines(W + ".json.gz", [R(W, 0.5, [client("neovim")])], gz=True)
    c.lines("sub/" + W + ".ndjson", [R(W, 0.5, [client("zed")]), R(W, 0.5, [client("cursor")])])
    c.lines("Z/" + W + ".json", [R(W, 0.5, [client("claude")])])   # 'Z' < 's' in bytes
    c.lines("zz/" + W + ".json", [R(W, 0.5, [client("other")], config="bad")])  # invalid

    # ------------------------------------------------------------------ x_exact
    c = Case("x_exact")
    W = "2026-01-11"
    xs = [  # (literal, client) in line order; later lines win duplicates
        ("0.5", "vscode"),
        ("0.5000000000000001", "vscodium"),                                      # +1 ulp
        ("0.49999999999999994", "vscode-insiders"),                              # -1 ulp
        ("0.500000000000000055511151231257827021181583404541015625", "eglot"),   # tie -> 0.5
        ("0.500000000000000055511151231257827021181583404541015626", "govim"),   # -> 0.5+ulp
        ("5E-1", "neovim"),                                                      # == 0.5
        ("0.1", "coc.nvim"),
        ("0.1000000000000000055511151231257827021181583404541015625", "sublimetext"),  # == 0.1
        ("0.3", "windsurf"),
        ("0.30000000000000004", "cursor"),                                       # != 0.3
        ("5e-324", "helix"),                                                     # valid, tiny
        ("0.9999999999999999444888487687421729788184165954589843749", "zed"),    # < 1
        ("0.99999999999999994448884876874217297881841659545898437500", "claude"),  # ties to 1.0
        ("1e-400", "antigravity"),                                               # underflow 0
        ("0", "other"), ("1", "other"), ("-0.25", "other"), ("1.0", "other"), ("-0", "other"),
        ("1e400", "other"), ("0.25e1", "other"),
    ]
    c.lines(W + ".json", [R(W, lit, [client(cl)]) for lit, cl in xs])

    # ------------------------------------------------------------------ weeks
    c = Case("weeks")
    c.file("2026-01-05/a.json", R("2026-01-20", 0.1, [client("vscode")]))      # folder != Week
    c.file("2026-01-05/b.json", R("2026-02-30", 0.2, [client("vscode")]))      # bad_week
    c.lines("2026-01-05.json", [
        R("2026-01-21", 0.3, [client("eglot")]),   # file name != Week
        R("2025-02-29", 0.4, [client("eglot")]),   # not a leap year
        R("2024-02-29", 0.5, [client("eglot")]),   # leap day: own chart set
        R("2024-03-01", 0.6, [client("helix")]),   # weekly 2024-02-24_2024-03-01
        R("2026-1-05", 0.7, [client("eglot")]),
        R("2026-01-05 ", 0.7, [client("eglot")]),
        R("2026/01/05", 0.7, [client("eglot")]),
        R("2026-01-05T00:00:00Z", 0.7, [client("eglot")]),
        R("2026-13-01", 0.7, [client("eglot")]),
        R("0000-01-01", 0.7, [client("eglot")]),   # decision: bad_week
        R("2026-03-01", 0.8, [client("zed")]),     # weekly 2026-02-23_2026-03-01
        R("2025-12-31", 0.9, [client("zed")]),     # weekly crosses the year
    ])

    # ------------------------------------------------------------------ lines_gz_crlf
    c = Case("lines_gz_crlf")
    W = "2026-01-12"
    body = ("\ufeff" + R(W, 0.11, [client("vscode")]) + "\r\n"        # 1: BOM -> malformed
            + R(W, 0.12, [client("eglot")]) + "\r\n"                 # 2: ok (CRLF)
            + "\r\n"                                                 # 3: empty
            + " \t \r\n"                                             # 4: empty (blank)
            + R(W, 0.13, [client("helix")])[:-7] + "\n"              # 5: truncated
            + "\n"                                                   # 6: empty
            + R(W, 0.14, [client("zed")]))                           # 7: ok, no final newline
    c.file("gz/" + W + ".jsonl.gz", body, gz=True)
    c.file(W + ".ndjson", R(W, 0.21, [client("neovim")]) + "\n\n" + R(W, 0.22, [client("cursor")])
           + "\n\n\n")                                               # lines 2, 4, 5 empty
    c.file(W + "/0.31.json", "\n\t" + json.dumps(json.loads(R(W, 0.31, [client("claude")])),
                                                   indent="  ") + "\r\n\r\n")  # any whitespace
    c.file(W + "/0.32.json", "\ufeff" + R(W, 0.32, [client("claude")]))  # BOM file: malformed
    c.file(W + "/0.33.json.gz", R(W, 0.33, [client("other")]) + "\n", gz=True)
    c.file(W + "/blank.json", " \n\t\r\n")                            # empty

    # ------------------------------------------------------------------ counts
    c = Case("counts")
    W = "2026-01-13"
    cnt = [("1.0", "vscode"), ("1e3", "vscodium"), ("-0", "vscode-insiders"), ("0", "code-server"),
           ("9223372036854775807", "eglot"), ("9223372036854775808", "govim"), ("-1", "neovim"),
           ("1E2", "coc.nvim"), ("18446744073709551616", "sublimetext"),
           ("-9223372036854775809", "windsurf"), ("0.0", "cursor"), ("-0.0", "helix"),
           ("1", "zed"), ('"1"', "claude"), ("null", "antigravity"), ("true", "other")]
    lines = []
    for i, (lit, cl) in enumerate(cnt):
        lines.append(R(W, 0.01 * (i + 1), [P(counters={"gopls/client:" + cl: "@@"})])
                     .replace('"@@"', lit))
    # stacks counts
    lines.append(R(W, 0.5, [P(stacks={"gopls/bug\nx.go:1": "@@"})]).replace('"@@"', "1.5"))
    lines.append(R(W, 0.51, [P(stacks={"gopls/bug\nx.go:1": "@@"})]).replace('"@@"', "-3"))
    lines.append(R(W, 0.52, [P(counters={"gopls/client:zed": 1},
                               stacks={"gopls/bug\nx.go:1": "@@"})]).replace('"@@"', "9223372036854775808"))
    # precedence: wrong_type (later) vs negative (earlier); negative vs overflow
    lines.append(R(W, 0.53, [P(counters={"gopls/client:zed": "@1", "gopls/client:vscode": "@2"})])
                 .replace('"@1"', "-1").replace('"@2"', "2.5"))
    lines.append(R(W, 0.54, [P(counters={"gopls/client:zed": "@1", "gopls/client:vscode": "@2"})])
                 .replace('"@1"', "9223372036854775808").replace('"@2"', "-1"))
    # negative count AND bad week / x_range: rule 2 comes first
    lines.append(R("2026-02-30", 0.55, [P(counters={"gopls/client:zed": "@@"})]).replace('"@@"', "-1"))
    lines.append(R(W, 1.5, [P(counters={"gopls/client:zed": "@@"})]).replace('"@@"', "1.0"))
    # unknown counter AND negative count: rule 2 first
    lines.append(R(W, 0.56, [P(counters={"nope": "@@"})]).replace('"@@"', "-1"))
    c.lines(W + ".json", lines)

    # ------------------------------------------------------------------ goversions (mini)
    c = Case("goversions", MINI)
    W = "2026-01-14"
    T = "example.com/tool"
    gv = [("devel", 0.01), ("go1.21rc1", 0.02), ("go1.9", 0.03), ("go1.22.0-X", 0.04),
          ("go1.9.2rc2", 0.05), ("go1.21.3", 0.06), ("go1.10", 0.07), ("go1.21.0", 0.08),
          ("go1", 0.09), ("go1.22.0", 0.10)]
    lines = [R(W, x, [P(T, "v1.0.0", g)]) for g, x in gv]
    vs = [("devel", 0.2), ("(devel)", 0.21), ("v1", 0.22), ("v1.0.0-rc.1", 0.23), ("v0.10.0", 0.24),
          ("v0.9.0", 0.25), ("v1.0.0+meta", 0.26), ("v1.0.0-beta.11", 0.27), ("v1.0.0-beta.2", 0.28)]
    lines += [R(W, x, [P(T, v, "go1.10", "darwin", "arm64")]) for v, x in vs]
    lines += [R(W, 0.3, [P("cmd/tool", "devel", "devel", "windows")]),
              R(W, 0.31, [P("cmd/tool", "go1.22.0", "go1.22.0-X", "windows",
                            counters={"cmd/inv": 0})])]
    # GoVersion not in the list (normalises like one that is) -> unknown_program
    lines += [R(W, 0.4, [P(T, "v1.0.0", "go1.21")]), R(W, 0.41, [P(T, "v1.0.0", "go1.22.0-Y")])]
    c.lines(W + ".json", lines)

    # ------------------------------------------------------------------ unknown
    c = Case("unknown")
    W = "2026-01-15"
    c.lines(W + ".json", [
        R(W, 0.01, [client("vscode")]),                                        # valid
        R(W, 0.02, [P("golang.org/x/tools/gopls/v2")]),                       # unknown program
        R(W, 0.03, [P(version="v9.9.9")]),                                     # unknown version
        R(W, 0.04, [P(version="go1.24.2")]),                                   # another program's
        R(W, 0.05, [P(gov="go1.21")]),                                         # not in GoVersion
        R(W, 0.06, [P(goos="Linux")]),
        R(W, 0.07, [P(goarch="x86_64")]),
        R(W, 0.08, [P(counters={"gopls/client:unknown-editor": 1})]),
        R(W, 0.09, [P(counters={"gopls/client": 1})]),
        R(W, 0.10, [P(counters={"go/invocations": 1})]),                       # cmd/go's counter
        R(W, 0.11, [P(counters={"gopls/renamekind:package": 0})]),              # valid
        R(W, 0.12, [P(counters={"gopls/renamekind": 1})]),                     # unknown
        R(W, 0.13, [P(stacks={"gopls/bug": 1})]),                              # valid, no newline
        R(W, 0.14, [P(stacks={"gopls/bug\ngolang.org/x/tools/gopls.f:+1,+0x1\n\"": 2})]),  # valid
        R(W, 0.15, [P(stacks={"gopls/bugs\nx": 1})]),                          # unknown stack
        R(W, 0.16, [P(stacks={"gopls/client:vscode": 1})]),                    # counter as stack
        R(W, 0.17, [P(counters={"gopls/bug": 1})]),                            # stack as counter
        R(W, 0.18, [P(counters={"zzz": 1}), P(goos="plan10")]),                # decision: program
        R(W, 0.19, [P("cmd/go", "go1.24.2", counters={"go/invocations": 1}),
                    P(counters={"go/invocations": 1})]),                       # 2nd PR's counter
        R(W, 0.20, [{"Program": GOPLS}]),                                      # zero values
        R(W, 0.21, [P(stacks={"\ngopls/bug": 1})]),                            # first line ""
    ])

    # ------------------------------------------------------------------ stacks_zero_twice (mini)
    c = Case("stacks_zero_twice", MINI)
    W = "2026-01-16"
    T = "example.com/tool"
    c.lines(W + ".json", [
        R(W, 0.1, [P(T, "v1.0.0", "go1.10", counters={"tool/kind:a": 0, "tool/plain": 0})]),
        R(W, 0.2, [P(T, "v1.0.0", "go1.10", stacks={"tool/plain": 5, "tool/bug\nf:1": 1})]),
        R(W, 0.3, [P(T, "v1.0.0", "go1.10", stacks={"tool/plain\nf:1": 5})]),
        # same program twice: both GOOS count, shared buckets count once
        R(W, 0.4, [P(T, "v1.0.0", "go1.10", "linux", counters={"tool/kind:b": 1}),
                   P(T, "v1.0.0", "go1.21.3", "darwin", counters={"tool/kind:b": 2,
                                                                  "tool/one:only": 0})]),
        R(W, 0.5, [P(T, "v1.0.0", "go1.10", counters=None, stacks=None)]),
        R(W, 0.6, [P("cmd/tool", "go1.22.0", "go1.22.0", counters={})]),
    ])

    # ------------------------------------------------------------------ config_semver
    c = Case("config_semver")
    W = "2026-01-17"
    cfgs = [("v0.1", "vscode"), ("0.1.0", "vscodium"), ("v1.2.3-pre+build", "eglot"),
            ("v1", "govim"), ("v1.2-pre", "neovim"), ("", "helix"), ("v0.115.0 ", "zed"),
            ("v01.1.0", "cursor"), ("v1.2.3-01", "claude"), ("v1.2.3+01", "windsurf"),
            ("v1.2.3-0", "coc.nvim"), ("V1.2.3", "sublimetext"), ("v1.2.3.4", "other"),
            ("devel", "antigravity")]
    lines = [R(W, 0.01 * (i + 1), [client(cl)], config=cf) for i, (cf, cl) in enumerate(cfgs)]
    lines.append('{"Week":"%s","X":0.9,"Programs":null}' % W)         # no Config -> bad_config
    lines.append('{"Week":"%s","X":0.91,"Config":null}' % W)          # null -> wrong_type
    c.lines(W + ".json", lines)

    # ------------------------------------------------------------------ datum_week
    c = Case("datum_week")
    c.lines("2026-01-14.json", [R("2026-01-14", 0.1, [client("vscode")]),
                                R("2026-01-14", 0.2, [client("eglot")])])
    c.lines("2026-01-15.json", [R("2026-01-15", 0.3, None), R("2026-01-15", 0.4, []),
                                '{"Week":"2026-01-15","X":0.45,"Config":"v0.115.0"}'])
    c.lines("2026-01-16.json", [R("2026-01-16", 0.1, [client("vscode")]),   # same X as 01-14
                                R("2026-01-16", 0.2, [client("helix")])])   # same X, other bucket
    c.lines("2026-01-25.json", [R("2026-01-25", 0.5, None)])               # no program at all

    # ------------------------------------------------------------------ too_large
    c = Case("too_large")
    W = "2026-01-18"
    exact = pad_to(R(W, 0.1, [client("vscode")]), 102400)
    over = pad_to(R(W, 0.2, [client("eglot")]), 102401)
    c.file(W + ".json", exact + "\r\n" + over + "\n" + pad_to(R(W, 0.3, [client("zed")]), 102400)
           + "\n" + pad_to(R(W, 0.4, [client("helix")]), 102399) + "\r\r\n")
    c.file(W + "/exact.json", pad_to(R(W, 0.5, [client("neovim")]), 102400))
    c.file(W + "/exact-nl.json", pad_to(R(W, 0.6, [client("cursor")]), 102400) + "\n")  # 102401
    c.file(W + "/over.json.gz", pad_to(R(W, 0.7, [client("claude")]), 102401), gz=True)
    c.file(W + "/ws.json", " " * 102401)
    c.file(W + "/under-nl.json", pad_to(R(W, 0.8, [client("other")]), 102399) + "\n")

    # ------------------------------------------------------------------ json_edge
    c = Case("json_edge")
    W = "2026-01-19"
    base = R(W, "@X", [client("vscode")])
    def bx(x):
        return base.replace("@X", x)
    deep_ok = '{"Week":"%s","X":0.61,"Config":"v1","z":%s}' % (W, "[" * 126 + "]" * 126)
    deep_bad = '{"Week":"%s","X":0.62,"Config":"v1","z":%s}' % (W, "[" * 127 + "]" * 127)
    c.lines(W + ".json", [
        bx("0.01").replace('{"gopls/client:vscode":1}', '{"gopls/client:vscode":1,"gopls/client:vscode":2}'),
        bx("0.02").replace('"Week":', '"week":"2026-01-01","Week":'),          # case: ok
        bx("0.03").replace('"LastWeek":""', '"\\u0057eek":"2026-01-19"'),     # escaped dup
        '{"Week":"%s","X":0.04,"Config":"v1"}' % W,                           # no Programs: ok
        '{"Week":"%s","X":0.05,"Config":"v1","Programs":[]}' % W,
        '{"Week":"%s","X":0.06,"Config":"v1","Programs":[null]}' % W,
        '{"Week":null,"X":0.07,"Config":"v1"}',
        '{"Week":"%s","X":"0.08","Config":"v1"}' % W,
        '{"Week":"%s","X":0.09,"Config":"v1","Programs":{}}' % W,
        '[{"Week":"%s","X":0.10,"Config":"v1"}]' % W,
        '"just a string"',
        "null",
        bx("0.11").replace('"LastWeek":""', '"Extra":{"a":[1,2,{"b":null}],"c":1e400}'),
        bx("0.12").replace('"LastWeek":""', '"Extra":"\\ud800"'),             # lone surrogate
        bx("0.13").replace('"LastWeek":""', '"Extra":"\\ud83d\\ude00 ok"'),
        bx("0.14").replace('"LastWeek":""', '"LastWeek":"caf\u00e9"'),      # raw UTF-8: ok
        bx("0.15").replace('"X":0.15', '"X":0.15,'),                         # trailing comma
        bx("0.16").replace('"X":0.16', '"X":NaN'),
        bx("0.17").replace('"X":0.17', '"X":.17'),
        bx("0.18").replace('"X":0.18', '"X":+0.18'),
        bx("0.19").replace('"X":0.19', '"X":0.19 ') + "   ",
        bx("0.20").replace('"Config"', '"config"'),                          # Config missing
        '{"Week":"%s","X":0.21,"Config":"v1","Programs":[{"Program":"%s","Version":"%s","GoVersion":"%s","GOOS":"linux","GOARCH":"amd64"}]}' % (W, GOPLS, GOPLS_V, GOV),
        bx("0.22").replace('"LastWeek":""', '"LastWeek":1'),
        bx("0.23").replace('"LastWeek":""', '"LastWeek":null'),
        deep_ok, deep_bad,
        bx("0.24").replace('"GOOS":"linux"', '"GOOS":"linux","goos":"plan9"'),  # unknown key in PR
        bx("0.25").replace('"LastWeek":""', '"LastWeek":"a\\u0000b"'),
        bx("0.26").replace('"Counters":{"gopls/client:vscode":1}', '"Counters":{"gopls/client:vscode":1},"Counters":null'),
    ])
    c.file(W + "/raw-bad-utf8.json", bx("0.30").encode().replace(b'"LastWeek":""', b'"LastWeek":"\xff"'))
    c.file(W + "/encoded-surrogate.json",
           bx("0.31").encode().replace(b'"LastWeek":""', b'"LastWeek":"\xed\xa0\x80"'))
    c.file(W + "/overlong.json", bx("0.32").encode().replace(b'"LastWeek":""', b'"LastWeek":"\xc0\xaf"'))
    c.file(W + "/latin1-in-unknown.json",
           bx("0.33").encode().replace(b'"LastWeek":""', b'"Junk":"\xe9"'))
    c.file(W + "/ff.json", "\x0c" + bx("0.34"))                  # form feed: not JSON ws

    # ------------------------------------------------------------------ layouts
    c = Case("layouts")
    W = "2026-01-20"
    c.lines(W + "/2026-01-21.json", [R(W, 0.1, [client("vscode")]), R(W, 0.2, [client("eglot")])])
    c.file(W + "/0.3.json", R(W, 0.3, [client("helix")]))
    c.file(W + "/a.JSON", R(W, 0.4, [client("zed")]))
    c.file(W + "/a.jsonl", R(W, 0.41, [client("zed")]))
    c.file(W + "/a.json.GZ", R(W, 0.42, [client("zed")]))
    c.file(W + "/.json", R(W, 0.43, [client("zed")]))
    c.file(W + "/notes.txt", "hello")
    c.file(W + ".json.gz.gz", gzip.compress(gzip.compress(R(W, 0.44, []).encode())))
    c.file(".DS_Store", "x")
    c.file("README.md", "x")
    c.file("chart-config.txt", "title: x\n")
    c.file("pages/2026-01-20.json", R(W, 0.5, [client("cursor")]))            # ignored
    c.file("pages/" + W + "/0.51.json", R(W, 0.51, [client("cursor")]))       # ignored
    c.file("sub/pages/" + W + "/0.52.json", R(W, 0.52, [client("claude")]))   # read (not top)
    c.file("sub/upload-config.json", "{}")                                   # not recognised
    c.file("2026-01-22.jsonl", "")                                           # empty merged file
    c.file("2026-01-23.ndjson.gz", "", gz=True)                              # empty after gunzip
    c.file("2026-01-24.json.gz", b"this is not gzip")                        # unreadable
    c.file("2026-13-45/0.6.json", R(W, 0.6, [client("neovim")]))             # pattern-only date
    c.file("deep/a/b/c/" + W + "/0.7.json", R(W, 0.7, [client("govim")]))    # deep upload layout
    c.file("2026-01-20x.json", R(W, 0.8, []))                                # not recognised
    c.file("x2026-01-20.json", R(W, 0.81, []))                               # not recognised

    # ------------------------------------------------------------------ inferred (no config)
    c = Case("inferred", None)
    c.lines("2026-01-21.json", [
        R("2026-01-21", 0.1, [P("zeta/tool", "v2.0.0", "go1.21.3", "linux", "amd64",
                                counters={"z/c:{x}": 1, "z/a:q": 0, "plain": 3, "z/a": 1},
                                stacks={"s/s\nx": 1})]),
        R("2026-01-21", 0.2, [P("cmd/alpha", "devel", "devel", "plan9", "arm64",
                                counters={"z/a:p": 1})]),
        R("2026-01-21", 0.3, [P("Beta", "v1", "go1.22rc1", "linux", "riscv64")]),
        R("2026-01-21", 0.4, [P("zeta/tool", "v10.0.0", "go1.9", "windows", "amd64")]),
        R("2026-01-21", 0.5, [P("zeta/tool", "v2.0.0", "go1.21.3", "linux", "amd64")],
          config="bad"),                                                     # invalid: no infer
    ])
    c.lines("2026-01-22.json", [R("2026-01-22", 0.6, [P("zeta/tool", "v3.0.0", "go1.21.3", "linux",
                                                        "amd64", counters={"z/a:r": 1})])])


def gen_cases():
    """Small gen-reports datasets (a few hundred reports each)."""
    def gen(name, *args):
        d = os.path.join(CASES, name)
        subprocess.run([GEN, "--out", d] + list(args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.copy(REAL_CFG, os.path.join(d, "upload-config.json"))
    gen("gen_upload", "--days", "9", "--reports-per-day", "40", "--seed", "3", "--bad", "0.05",
        "--manifest", os.path.join(WORK, "out", "gen_upload.manifest.tsv"))
    gen("gen_merged_gz", "--days", "9", "--reports-per-day", "40", "--seed", "4", "--bad", "0.05",
        "--layout", "merged", "--gzip", "--manifest", os.path.join(WORK, "out", "gen_merged_gz.manifest.tsv"))
    # the same reports in both layouts: every valid report is a duplicate once
    tmp = os.path.join(WORK, "out", "tmp-mixed")
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    subprocess.run([GEN, "--out", tmp, "--days", "8", "--reports-per-day", "30", "--seed", "5",
                    "--layout", "merged", "--gzip"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    gen("gen_mixed", "--days", "8", "--reports-per-day", "30", "--seed", "5", "--bad", "0.03")
    shutil.move(tmp, os.path.join(CASES, "gen_mixed", "merged"))


def run_ref():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    for name in sorted(os.listdir(CASES)):
        subprocess.run([sys.executable, os.path.join(HERE, "ref.py"), "-q",
                        os.path.join(CASES, name), os.path.join(OUT, name)], check=True)


if __name__ == "__main__":
    os.makedirs(os.path.join(WORK, "out"), exist_ok=True)
    build()
    gen_cases()
    run_ref()
    print("cases in", CASES, "reference outputs in", OUT)
