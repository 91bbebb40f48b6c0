#!/usr/bin/env python3
"""Extract the stacks pages of the implementation's site and compare with
stacks_ref.py's output.

    python3 parse_site.py SITE REF.json UPLOAD_CONFIG [--as-built]

--as-built takes the build's reading of two points the issue leaves open (top README,
"Stack counters"): a stack's trailing empty lines are not shown, and stacks with as many
uploaders and the same total count are ranked by their key as uploaded. Without it, the reference's
decoded text (trailing empty lines kept) is compared, and a different order among such
ties is reported as `rank_tie`.

Page layout (learned from site-bl1/stacks/*/index.html):
  <section class="stack-counter"><h2>TITLE</h2>
    <p class="chart-meta"><span>SHORT PROGRAM</span> · <code>COUNTER</code> · N stacks, M new</p>
    <ol class="stacks"><li class="stack">
      <p class="stack-meta"><strong>X</strong> uploader(s) · total count C [· <span class="badge new">new</span>]</p>
      <pre class="code"><code>DECODED TEXT</code></pre></li>...
The short program name (e.g. "x/tools/gopls") is mapped to the configured
program whose path ends with it and has that stack counter.
Also checks: only the expected tags occur inside <pre><code> (no raw markup
from data), the text unescapes to the decoded stack, "+0x" offsets kept.
"""
import html
import json
import os
import re
import sys
from html.parser import HTMLParser


class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []
        self.stack = []          # open tags with class
        self.cur = None          # current section
        self.li = None
        self.buf = None          # text capture target name
        self.text = ""
        self.in_code = 0
        self.tags_in_code = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class", "")
        if self.in_code:
            self.tags_in_code.append(tag)
        if tag == "section" and "stack-counter" in cls:
            self.cur = {"title": "", "prog": "", "counter": "", "meta": "", "stacks": []}
            self.sections.append(self.cur)
        elif self.cur is None:
            return
        if tag == "h2":
            self._cap("title")
        elif tag == "p" and "chart-meta" in cls:
            self._cap("meta")
        elif tag == "span" and self.buf == "meta" and not self.cur["prog"]:
            self.sub = "prog"
            self.subtext = ""
        elif tag == "code" and self.buf == "meta":
            self.sub = "counter"
            self.subtext = ""
        elif tag == "li" and "stack" in cls.split():
            self.li = {"uploaders": None, "count": None, "new": False, "decoded": None,
                       "meta": ""}
            self.cur["stacks"].append(self.li)
        elif tag == "p" and "stack-meta" in cls and self.li is not None:
            self._cap("smeta")
        elif tag == "span" and "new" in cls.split() and self.li is not None:
            self.li["new"] = True
        elif tag == "code" and self.li is not None and self.buf is None:
            self.in_code += 1
            self._cap("code")

    def _cap(self, name):
        self.buf = name
        self.text = ""
        self.sub = None

    def handle_endtag(self, tag):
        if self.cur is None:
            return
        if tag in ("span", "code") and self.buf == "meta" and getattr(self, "sub", None):
            self.cur[self.sub] = self.subtext
            self.sub = None
        if tag == "h2" and self.buf == "title":
            self.cur["title"] = self.text
            self.buf = None
        elif tag == "p" and self.buf == "meta":
            self.cur["meta"] = self.text
            self.buf = None
        elif tag == "p" and self.buf == "smeta":
            self.li["meta"] = self.text
            m = re.match(r"\s*(\d+) uploaders? · total count (\d+)", self.text)
            if m:
                self.li["uploaders"], self.li["count"] = int(m.group(1)), int(m.group(2))
            self.buf = None
        elif tag == "code" and self.buf == "code":
            self.in_code -= 1
            self.li["decoded"] = self.text
            self.buf = None
        elif tag == "li" and self.li is not None:
            self.li = None
        elif tag == "section":
            self.cur = None

    def handle_data(self, d):
        if self.buf:
            self.text += d
        if getattr(self, "sub", None):
            self.subtext += d


def parse_page(path):
    raw = open(path, encoding="utf-8").read()
    p = P()
    p.feed(raw)
    p.close()
    # raw <code> blocks inside stack lists, for the escaping check
    raw_codes = re.findall(r'<pre class="code"><code>(.*?)</code></pre>', raw, re.S)
    return p.sections, p.tags_in_code, raw_codes


def main(argv):
    site, refpath = argv[1], argv[2]
    cfgp = argv[3]
    as_built = argv[4:] == ["--as-built"]
    cfg = json.load(open(cfgp))
    progs = [(p["Name"], [s["Name"] for s in p.get("Stacks") or []])
             for p in cfg["Programs"]]
    ref = json.load(open(refpath))
    sdir = os.path.join(site, "stacks")
    site_weeks = sorted(d for d in os.listdir(sdir)
                        if os.path.isfile(os.path.join(sdir, d, "index.html")))
    out = {"weeks": 0, "stacks": 0, "issues": []}

    def issue(kind, week, msg):
        out["issues"].append((kind, week, msg))

    for w in sorted(set(site_weeks) | set(ref)):
        if w not in ref:
            issue("page_extra", w, "page without a weekly set")
            continue
        if w not in site_weeks:
            issue("page_missing", w, "no stacks page")
            continue
        out["weeks"] += 1
        secs, tags, raw_codes = parse_page(os.path.join(sdir, w, "index.html"))
        if tags:
            issue("escape", w, "tags inside <code>: %r" % sorted(set(tags)))
        for rc in raw_codes:
            if "<" in rc or re.search(r"&(?!(amp|lt|gt|quot|#39|#x27|#34);)", rc):
                issue("escape", w, "raw markup in code: %r" % rc[:80])
        site_groups = {}
        order = []
        for s in secs:
            cands = [n for n, st in progs if s["counter"] in st and
                     (n == s["prog"] or n.endswith("/" + s["prog"]))]
            if len(cands) != 1:
                issue("section_map", w, "cannot map %r %r -> %r" % (s["prog"], s["counter"], cands))
                continue
            gk = cands[0] + "\t" + s["counter"]
            order.append(gk)
            site_groups[gk] = s
            m = re.search(r"(\d+) stacks?, (\d+) new", s["meta"])
            if s["stacks"] and (not m or int(m.group(1)) != len(s["stacks"]) or
                                int(m.group(2)) != sum(x["new"] for x in s["stacks"])):
                issue("self_count", w, "%s meta %r vs %d listed" % (gk, s["meta"], len(s["stacks"])))
        for gk in sorted(set(site_groups) | set(ref[w])):
            rs = ref[w].get(gk, [])
            ss = site_groups[gk]["stacks"] if gk in site_groups else None
            if ss is None:
                if rs:
                    issue("group_missing", w, "%s: %d stacks, no section" % (gk, len(rs)))
                continue
            out["stacks"] += len(rs)
            # identity = decoded text (the page does not show the encoded key)
            rby = {}
            for r in rs:
                if as_built:
                    r["decoded"] = r["decoded"].rstrip("\n")
                rby.setdefault(r["decoded"], []).append(r)
            sby = {}
            for i, s in enumerate(ss, 1):
                s["rank"] = i
                sby.setdefault(s["decoded"], []).append(s)
            for dec in sorted(set(rby) | set(sby)):
                a, b = rby.get(dec), sby.get(dec)
                first = dec.split("\n")[1] if "\n" in dec else dec
                if not b:
                    issue("stack_missing", w, "%s: %r ref X=%d n=%d" % (gk, first, a[0]["uploaders"], a[0]["count"]))
                    continue
                if not a:
                    issue("stack_extra", w, "%s: %r site X=%s n=%s" % (gk, first, b[0]["uploaders"], b[0]["count"]))
                    continue
                if len(a) > 1 or len(b) > 1:
                    # Keys that decode alike ("a.F\n\".G" and "a.F\na.G", or with
                    # --as-built trailing empty lines apart) are told apart on the page only
                    # by their numbers: compared as a whole.
                    def numbers(entries):
                        return sorted((e["uploaders"], e["count"], e["new"]) for e in entries)
                    if numbers(a) != numbers(b):
                        issue("alike", w, "%s: %r ref %s site %s" % (gk, first, numbers(a), numbers(b)))
                    continue
                r, s = a[0], b[0]
                if "+0x" in r["decoded"] and s["decoded"].count("+0x") != r["decoded"].count("+0x"):
                    issue("offsets", w, "%s: %r" % (gk, first))
                for f in ("uploaders", "count"):
                    if r[f] != s[f]:
                        issue(f, w, "%s: %r ref %s site %s" % (gk, first, r[f], s[f]))
                if r["new"] != s["new"]:
                    alt = r["new_if_prev_data"] == s["new"]
                    issue("new_alt" if alt else "new", w, "%s: %r ref new=%s site new=%s"
                          % (gk, first, r["new"], s["new"]))
                if r["rank"] != s["rank"]:
                    # a pure tie (same X and count) is only a tie-break difference
                    tie = [x for x in rs if x["uploaders"] == r["uploaders"] and x["count"] == r["count"]]
                    ranks = sorted(x["rank"] for x in tie)
                    kind = "rank_tie" if ranks[0] <= s["rank"] <= ranks[-1] else "rank"
                    if kind == "rank_tie" and as_built:
                        continue
                    issue(kind, w, "%s: %r ref #%d site #%d (X=%d n=%d)"
                          % (gk, first, r["rank"], s["rank"], r["uploaders"], r["count"]))
        out["section_order"] = out.get("section_order") or []
        out["section_order"].append((w, [g.replace("\t", " ") for g in order]))
    kinds = {}
    for k, w, m in out["issues"]:
        kinds[k] = kinds.get(k, 0) + 1
    print("weeks compared: %d, ref stacks compared: %d" % (out["weeks"], out["stacks"]))
    print("issues by kind:", json.dumps(kinds, sort_keys=True))
    for k, w, m in out["issues"]:
        print("%s\t%s\t%s" % (k, w, m))
    return 1 if out["issues"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
