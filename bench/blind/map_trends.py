"""Lists an implementation's trend CSVs as program<TAB>chart<TAB>path, read off each trend
page's lede line (`<span title="PROGRAM">…</span> · <code>CHART</code> · …`). Written by
the lead, not by the blind helper."""
import html, os, re, sys
site = sys.argv[1]
for prog_dir in sorted(os.listdir(os.path.join(site, "trends"))):
    p = os.path.join(site, "trends", prog_dir)
    if not os.path.isdir(p):
        continue
    for chart_dir in sorted(os.listdir(p)):
        page = os.path.join(p, chart_dir, "index.html")
        if not os.path.exists(page):
            continue
        m = re.search(r'<p class="lede"><span title="([^"]*)">.*?</span> · <code>(.*?)</code>', open(page).read())
        program, chart = html.unescape(m.group(1)), html.unescape(m.group(2))
        print(f"{program}\t{chart}\t{os.path.join(p, chart_dir, 'trend.csv')}")
