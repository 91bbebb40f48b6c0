//! The static site: its pages and headings, links, escaping, determinism, stale files,
//! overrides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{path_str, run, stderr, Fixture};

/// One report, in the upload server's compact encoding.
pub fn report(week: &str, x: f64, program: &str, version: &str, goos: &str, counters: &[(&str, i64)]) -> String {
    let counters: serde_json::Map<String, serde_json::Value> =
        counters.iter().map(|&(name, n)| (name.to_string(), n.into())).collect();
    serde_json::json!({
        "Week": week, "LastWeek": "", "X": x,
        "Programs": [{
            "Program": program, "Version": version, "GoVersion": "go1.23.1",
            "GOOS": goos, "GOARCH": "amd64", "Counters": counters, "Stacks": null,
        }],
        "Config": "v0.115.0",
    })
    .to_string()
}

const GOPLS: &str = "golang.org/x/tools/gopls";

const UPLOAD_CONFIG: &str = r#"{
  "GOOS": ["darwin", "linux", "windows"],
  "GOARCH": ["amd64", "arm64"],
  "GoVersion": ["go1.23.1"],
  "SampleRate": 1,
  "Programs": [
    {"Name": "golang.org/x/tools/gopls", "Versions": ["v0.16.0", "v0.17.0"],
     "Counters": [{"Name": "gopls/client:{vscode,vim,other}", "Rate": 1}]},
    {"Name": "cmd/go", "Versions": ["go1.23.1"], "Counters": [{"Name": "go/invocations", "Rate": 1}]}
  ]
}"#;

const CHART_CONFIG: &str = "title: Editor Distribution
counter: gopls/client:{vscode,vim,other}
description: measure editor distribution for gopls users.
type: partition
issue: https://go.dev/issue/61038
program: golang.org/x/tools/gopls
";

/// The sample pages shipped in `data/pages`.
pub fn sample_pages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/pages")
}

/// Reports on 2026-01-05, 2026-01-06 and 2026-01-12 (a gap), with configs and pages.
pub fn sample() -> Fixture {
    let f = Fixture::new();
    f.write("upload-config.json", UPLOAD_CONFIG).write("chart-config.txt", CHART_CONFIG);
    let days = [("2026-01-05", 3), ("2026-01-06", 2), ("2026-01-12", 4)];
    for (d, (day, n)) in days.into_iter().enumerate() {
        for i in 0..n {
            let x = 0.125 + 0.25 * d as f64 + 0.03125 * f64::from(i);
            let (version, goos, client) =
                if i % 2 == 0 { ("v0.17.0", "linux", "vscode") } else { ("v0.16.0", "darwin", "vim") };
            let line = report(day, x, GOPLS, version, goos, &[(&format!("gopls/client:{client}"), 2)]);
            f.write(&format!("{day}/{x}.json"), line);
        }
    }
    for page in ["index.md", "privacy.md"] {
        f.write(&format!("pages/{page}"), std::fs::read(sample_pages().join(page)).unwrap());
    }
    f
}

pub fn build_ok(f: &Fixture, args: &[&str]) {
    let out = f.build(args);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
}

/// Every file of a tree, by `/`-separated relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().to_str().unwrap().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn html_pages(site: &Path) -> Vec<String> {
    tree(site).into_keys().filter(|p| p.ends_with(".html")).collect()
}

/// The values of every `href` and `src` attribute of `html`, unescaped.
fn links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in [" href=\"", " src=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("closed attribute");
            links.push(rest[..end].replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'"));
            rest = &rest[end..];
        }
    }
    links
}

/// Every `id` on a page.
fn ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(" id=\"") {
        rest = &rest[start + 5..];
        let end = rest.find('"').unwrap();
        ids.push(rest[..end].to_string());
    }
    ids
}

fn is_external(link: &str) -> bool {
    ["http://", "https://", "mailto:", "data:"].iter().any(|p| link.starts_with(p))
}

/// Checks every local link of every page: it names a file (not a folder) of the site,
/// and its `#fragment`, if any, is an `id` there.
pub fn check_links(site: &Path) -> usize {
    let mut checked = 0;
    for page in html_pages(site) {
        let html = std::fs::read_to_string(site.join(&page)).unwrap();
        let dir = Path::new(&page).parent().unwrap().to_path_buf();
        for link in links(&html).into_iter().filter(|l| !is_external(l)) {
            assert!(!link.starts_with('/'), "{page}: absolute link {link}");
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() { PathBuf::from(&page) } else { normalise(&dir.join(path)) };
            let file = site.join(&target);
            assert!(file.is_file(), "{page}: {link} -> {} is not a file of the site", target.display());
            if !fragment.is_empty() {
                let target_html = std::fs::read_to_string(&file).unwrap();
                assert!(ids(&target_html).iter().any(|id| id == fragment), "{page}: {link}: no such id");
            }
            checked += 1;
        }
    }
    checked
}

/// Resolves `..` and `.` without touching the filesystem; panics on leaving the site.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => assert!(out.pop(), "{} leaves the site", path.display()),
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn pages_and_headings() {
    let f = sample();
    build_ok(&f, &["--title", "Go Telemetry", "--base-url", "https://example.github.io/repo"]);
    let home = f.read_site("index.html");
    assert!(home.contains("<title>Go Telemetry</title>"), "{home}");
    assert!(home.contains("<h1 id=\"go-toolchain-telemetry\">Go toolchain telemetry"), "intro from pages/index.md");
    assert!(home.contains("Each chart counts <strong>uploaders</strong>, not\nreports"), "{home}");
    assert!(home.contains("<h2>Weekly charts for <time datetime=\"2026-01-06\">2026-01-06</time> to <time datetime=\"2026-01-12\">2026-01-12</time></h2>"));
    assert!(home.contains("from 6 reports"), "2026-01-06 and 2026-01-12: 2 + 4 reports");
    assert!(home.contains("data through <time datetime=\"2026-01-12\">2026-01-12</time>"));
    for link in [
        "charts/index.html",
        "data/index.html",
        "config/index.html",
        "charts/2026-01-06_2026-01-12/index.html",
        "charts/2026-01-06_2026-01-12.json",
    ] {
        assert!(home.contains(&format!("href=\"{link}\"")), "home links {link}");
    }
    // The chart browser: programs shortened, config titles, built-in titles, issues.
    assert!(home.contains(">x/tools/gopls <a class=\"anchor\""));
    // Self-links take keyboard focus, so they are named, never hidden from screen readers.
    assert!(home.contains(
        "<h3 id=\"x-tools-gopls-goos\">Operating system <a class=\"anchor\" href=\"#x-tools-gopls-goos\" aria-label=\"Link to this chart\">#</a></h3>"
    ));
    assert!(home.contains("href=\"#x-tools-gopls\" aria-label=\"Link to this program\">#</a></h2>"));
    assert!(!home.contains("aria-hidden"), "no focusable link inside aria-hidden");
    assert!(home.contains("<h3 id=\"x-tools-gopls-gopls-client\">Editor Distribution"));
    assert!(home.contains("measure editor distribution for gopls users."));
    assert!(home.contains("<a href=\"https://go.dev/issue/61038\">go.dev/issue/61038</a>"));
    assert!(home.contains("<h3 id=\"x-tools-gopls-goos\">Operating system"));
    assert!(home.contains("<h3 id=\"x-tools-gopls-version\">Program version"));
    assert!(home.contains(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bar-chart\" role=\"img\" aria-label=\"Editor Distribution: "
    ));
    assert!(home.contains("<title>vscode: 3 uploaders</title>"), "weekly: two on 01-12, one on 01-06");
    assert!(home.contains("<title>other: 0 uploaders</title>"));
    assert!(home.contains("<details>\n          <summary>Numbers</summary>"));
    // Header links, breadcrumbs, Markdown pages in the header.
    assert!(home.contains("<a href=\"privacy/index.html\">Privacy</a>"));

    let sets = f.read_site("charts/index.html");
    assert!(sets.contains("<h1>All charts</h1>"));
    let months: Vec<_> = sets.match_indices("<h2 id=\"m-").collect();
    assert_eq!(months.len(), 1);
    assert!(sets.contains("January 2026"));
    let newest = sets.find("2026-01-12/index.html").unwrap();
    let oldest = sets.find("2026-01-05/index.html").unwrap();
    assert!(newest < oldest, "newest first");
    assert!(sets.contains("<a class=\"badge daily\" href=\"../charts/2026-01-05/index.html\">daily</a>"));
    assert!(sets.contains(
        "<a class=\"badge weekly\" href=\"../charts/2025-12-30_2026-01-05/index.html\">2025-12-30 to 2026-01-05</a>"
    ));

    let daily = f.read_site("charts/2026-01-06/index.html");
    assert!(daily.contains("<h1>Daily charts for <time datetime=\"2026-01-06\">2026-01-06</time></h1>"));
    assert!(daily.contains("from 2 reports"));
    assert!(daily.contains("<a rel=\"prev\" href=\"../../charts/2026-01-05/index.html\">← 2026-01-05</a>"));
    assert!(daily.contains("<a rel=\"next\" href=\"../../charts/2026-01-12/index.html\">2026-01-12 →</a>"));
    assert!(daily.contains("<li><a href=\"../../index.html\">Go Telemetry</a></li>"), "breadcrumbs");
    assert!(daily.contains("<li><a href=\"../index.html\">Charts</a></li>"));
    assert!(daily.contains("href=\"../../charts/2026-01-06.json\""));
    let weekly = f.read_site("charts/2025-12-30_2026-01-05/index.html");
    assert!(weekly.contains("<h1>Weekly charts for <time datetime=\"2025-12-30\">2025-12-30</time> to <time datetime=\"2026-01-05\">2026-01-05</time></h1>"));
    assert!(!weekly.contains("rel=\"prev\""), "the first weekly set has no previous one");
    assert!(weekly.contains("<a rel=\"next\" href=\"../../charts/2025-12-31_2026-01-06/index.html\">"));

    let data = f.read_site("data/index.html");
    assert!(data.contains("<h1>Raw data</h1>"));
    assert!(data.contains("<a href=\"2026-01-12.json\">2026-01-12.json</a></th><td class=\"num\">4</td>"));
    let config = f.read_site("config/index.html");
    assert!(config.contains("<h2 id=\"upload-config\">Upload config</h2>"));
    assert!(config.contains("&quot;Name&quot;: &quot;golang.org/x/tools/gopls&quot;"));
    assert!(config.contains("title: Editor Distribution"));
    let privacy = f.read_site("privacy/index.html");
    assert!(privacy.contains("<h1 id=\"privacy\">Privacy"));
    assert!(privacy.contains("<table>"), "Markdown tables");
    assert!(privacy.contains("href=\"../config/index.html\""), "links written from the root");
    assert!(!f.site().join("index/index.html").exists(), "index.md is the introduction, not a page");

    let not_found = f.read_site("404.html");
    assert!(not_found.contains("<style>"), "self-contained");
    assert!(!not_found.contains("stylesheet"));
    assert!(not_found.contains("href=\"https://example.github.io/repo/index.html\""));
    assert!(f.site().join(".nojekyll").is_file());
    assert!(f.read_site("static/style.css").contains("prefers-color-scheme: dark"));
    assert!(f.read_site("static/favicon.svg").starts_with("<svg"));
    let out = f.build(&[]);
    // 6 chart sets (3 days, daily and weekly), 5 pages of the site, 1 Markdown page,
    // 9 trends (gopls: 5 charts, cmd/go: 4) and the trends index.
    assert!(stderr(&out).contains(", 22 pages,"), "{}", stderr(&out));
}

#[test]
fn every_chart_has_its_json_id_as_an_id_as_on_telemetry_go_dev() {
    let f = sample();
    build_ok(&f, &[]);
    for name in ["2026-01-06_2026-01-12", "2026-01-12"] {
        let json: serde_json::Value = serde_json::from_str(&f.read_site(&format!("charts/{name}.json"))).unwrap();
        let html = f.read_site(&format!("charts/{name}/index.html"));
        let ids = ids(&html);
        let mut expected = 0;
        for program in json["Programs"].as_array().unwrap() {
            let charts = program["Charts"].as_array().unwrap();
            for id in std::iter::once(&program["ID"]).chain(charts.iter().map(|c| &c["ID"])) {
                let id = id.as_str().unwrap();
                assert!(ids.iter().any(|i| i == id), "{name}: no element with id {id}");
                expected += 1;
            }
        }
        assert!(expected >= 7, "{name}: {expected}");
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{name}: an id twice");
    }
}

#[test]
fn every_local_link_resolves() {
    let f = sample();
    build_ok(&f, &[]);
    let pages = html_pages(&f.site());
    assert!(pages.len() >= 10, "{pages:?}");
    let checked = check_links(&f.site());
    assert!(checked > 200, "only {checked} links checked");
    // The pages load nothing from outside the site: no external script, style, image.
    for page in &pages {
        let html = f.read_site(page);
        for external in [" src=\"http", " src=\"//", "rel=\"stylesheet\" href=\"http", "<script", "@import"] {
            assert!(!html.contains(external), "{page}: {external}");
        }
    }
    // Without --base-url, the 404 page (served at any depth) has no relative link.
    let not_found = f.read_site("404.html");
    assert!(links(&not_found).iter().all(|l| is_external(l)), "{not_found}");
}

#[test]
fn hostile_names_are_escaped() {
    let f = Fixture::new();
    let program = "<script>alert(1)</script>\"onmouseover=alert(2)";
    let version = "v1.0.0\"onmouseover=alert(3)<script>";
    let counter = "<img src=x onerror=alert(4)>/c:\"onmouseover=alert(5)<script>\u{7}";
    f.write("2026-01-05/0.5.json", report("2026-01-05", 0.5, program, version, "linux", &[(counter, 1)]));
    f.write(
        "chart-config.txt",
        format!("title: <script>alert(6)</script>\"onmouseover=\ncounter: {}\ndescription: <b onmouseover=alert(7)>\nissue: javascript:alert(8)\nprogram: {program}\n", counter.split(':').next().unwrap()),
    );
    build_ok(&f, &["--title", "<script>alert(9)</script>", "--description", "\"onmouseover=alert(10)"]);
    let mut pages = 0;
    for page in html_pages(&f.site()) {
        let html = f.read_site(&page);
        for bad in ["<script", "<img src=x", "<b ", "\"onmouseover", "'onmouseover", "href=\"javascript:", "\u{7}"] {
            assert!(!html.contains(bad), "{page} contains {bad:?}");
        }
        // Every inline SVG is well-formed XML on its own.
        let mut rest = html.as_str();
        while let Some(start) = rest.find("<svg") {
            let end = rest[start..].find("</svg>").unwrap() + start + 6;
            let mut reader = quick_xml::Reader::from_str(&rest[start..end]);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{page}: SVG is not well-formed: {e}"),
                }
            }
            rest = &rest[end..];
        }
        pages += 1;
    }
    assert!(pages >= 6);
    let home = f.read_site("index.html");
    assert!(home.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=alert(2)"));
    assert!(
        home.contains("<title>v1.0.0&quot;onmouseover=alert(3)&lt;script&gt;: 1 uploader</title>"),
        "SVG titles escaped"
    );
    assert!(home.contains("&lt;script&gt;alert(6)&lt;/script&gt;&quot;onmouseover="), "config title escaped");
    assert!(home.contains("· javascript:alert(8)"), "a non-web issue URL is text, not a link");
    assert!(home.contains("\u{FFFD}"), "the control character is replaced");
    check_links(&f.site());
}

#[test]
fn names_of_only_spaces_and_zero_width_characters_show_as_something() {
    let f = Fixture::new();
    f.write("2026-01-05/0.5.json", report("2026-01-05", 0.5, " ", "v1.0.0", "linux", &[(" :x", 1)]));
    f.write("2026-01-05/0.25.json", report("2026-01-05", 0.25, "cmd/\u{200B}go", "v1.0.0", "linux", &[]));
    build_ok(&f, &[]);
    for page in ["index.html", "charts/2026-01-05/index.html", "trends/index.html"] {
        let html = f.read_site(page);
        // No empty link or heading: the blank program shows as `(blank name)`.
        assert!(!html.contains("\"> </a>") && !html.contains("\"> </h2>"), "{page}");
        assert!(html.contains(">(blank name)<"), "{page}");
        // The zero-width space is shown, not hidden: `cmd/go` cannot be forged.
        assert!(html.contains("cmd/\u{FFFD}go") && !html.contains('\u{200B}'), "{page}");
    }
}

#[test]
fn identical_input_gives_identical_trees() {
    let f = sample();
    build_ok(&f, &[]);
    let other = f.dir.path().join("other-site");
    let out = run(&["build", path_str(&f.data()), path_str(&other), "-j", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (tree(&f.site()), tree(&other));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs");
    }
}

#[test]
fn files_of_an_earlier_build_are_removed() {
    let f = sample();
    f.write("pages/old.md", "# Old page\n");
    f.write("2026-01-20/0.9.json", report("2026-01-20", 0.9, GOPLS, "v0.17.0", "linux", &[]));
    build_ok(&f, &[]);
    for rel in [
        "old/index.html",
        "charts/2026-01-20/index.html",
        "charts/2026-01-14_2026-01-20/index.html",
        "data/2026-01-20.json",
    ] {
        assert!(f.site().join(rel).is_file(), "{rel}");
    }
    std::fs::remove_file(f.data().join("pages/old.md")).unwrap();
    std::fs::remove_dir_all(f.data().join("2026-01-20")).unwrap();
    build_ok(&f, &[]);
    for rel in [
        "old/index.html",
        "old",
        "charts/2026-01-20/index.html",
        "charts/2026-01-20",
        "charts/2026-01-14_2026-01-20/index.html",
        "data/2026-01-20.json",
    ] {
        assert!(!f.site().join(rel).exists(), "{rel} is stale");
    }
    assert!(!f.read_site("index.html").contains("old/index.html"));
    assert!(f.read_site("index.html").contains("href=\"charts/2026-01-06_2026-01-12/index.html\""));
    check_links(&f.site());
}

#[test]
fn no_reports_yet() {
    let f = Fixture::new();
    f.write("upload-config.json", UPLOAD_CONFIG);
    build_ok(&f, &[]);
    let home = f.read_site("index.html");
    assert!(home.contains("No data has arrived yet."), "{home}");
    // The default introduction says what the bars count: uploaders, once a week each.
    assert!(home.contains("The charts below count uploaders, not reports"), "{home}");
    assert!(home.contains("An uploader who reports on several days of a week counts once"));
    assert!(!home.contains("<svg"));
    assert!(f.read_site("charts/index.html").contains("No data has arrived yet."));
    assert!(f.read_site("data/index.html").contains("No data has arrived yet."));
    assert!(f.read_site("config/index.html").contains("gopls/client:{vscode,vim,other}"));
    check_links(&f.site());
}

#[test]
fn templates_and_static_files_are_overridden_file_by_file() {
    let f = sample();
    f.write("theme/templates/404.html", "<p>lost: {{ site.title }}</p>");
    f.write("theme/templates/page.html", "{% extends \"base.html\" %}{% block content %}<div class=\"mine\">{{ content | safe }}</div>{% endblock content %}");
    f.write("theme/static/style.css", "body { color: red; }");
    f.write("theme/static/img/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let theme = f.data().join("theme");
    build_ok(
        &f,
        &[
            "--templates",
            path_str(&theme.join("templates")),
            "--static",
            path_str(&theme.join("static")),
            "--title",
            "T&T",
        ],
    );
    assert_eq!(f.read_site("404.html"), "<p>lost: T&amp;T</p>");
    assert!(f.read_site("privacy/index.html").contains("<div class=\"mine\"><h1 id=\"privacy\">"));
    assert!(f.read_site("index.html").contains("Weekly charts for"), "other templates stay built in");
    assert_eq!(f.read_site("static/style.css"), "body { color: red; }");
    assert!(f.site().join("static/img/logo.svg").is_file());
    assert!(f.read_site("static/favicon.svg").starts_with("<svg"), "built-ins not overridden stay");
}

#[test]
fn pages_with_the_same_charts_share_one_chart_browser_each_with_its_own_numbers() {
    let f = sample();
    let browser = "{% for program in programs %}{% for chart in program.charts %}<div class=\"mine\" \
                   data-root=\"{{ root }}\" data-site=\"{{ site.title }}\">{{ chart.name }}{{ chart.svg | safe }}</div>\
                   {% endfor %}{% endfor %}";
    f.write("theme/chart_browser.html", browser);
    build_ok(&f, &["--templates", path_str(&f.data().join("theme")), "--title", "T"]);
    let home = f.read_site("index.html");
    assert!(home.contains("<div class=\"mine\" data-root=\"\" data-site=\"T\">GOOS<svg"), "{home}");
    let mut chart_lists = BTreeMap::new();
    for entry in std::fs::read_dir(f.site().join("charts")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        let set: serde_json::Value = serde_json::from_str(&f.read_site(&format!("charts/{name}"))).unwrap();
        let page = f.read_site(&format!("charts/{stem}/index.html"));
        assert!(page.contains("<div class=\"mine\" data-root=\"../../\" data-site=\"T\">GOOS<svg"), "{stem}");
        assert!(!page.contains('\0'), "{stem}: a token left");
        let mut charts = Vec::new();
        for program in set["Programs"].as_array().unwrap() {
            for chart in program["Charts"].as_array().unwrap() {
                charts.push(chart["ID"].as_str().unwrap().to_string());
                // Each page's bars are its own set's, whichever page rendered the browser.
                for datum in chart["Data"].as_array().unwrap() {
                    let (key, value) = (datum["Key"].as_str().unwrap(), datum["Value"].as_u64().unwrap());
                    let title = format!("<title>{key}: {value} uploader{}</title>", if value == 1 { "" } else { "s" });
                    assert!(page.contains(&title), "{stem}: {title}");
                }
            }
        }
        *chart_lists.entry(charts).or_insert(0) += 1;
    }
    assert!(chart_lists.values().any(|&n| n > 1), "some pages share a chart list: {chart_lists:?}");
}

#[test]
fn a_broken_template_fails_the_build_and_keeps_the_old_site() {
    let f = sample();
    build_ok(&f, &[]);
    let before = tree(&f.site());
    f.write("theme/base.html", "{% block content %}");
    let out = f.build(&["--templates", path_str(&f.data().join("theme"))]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("base.html"), "{}", stderr(&out));
    assert_eq!(tree(&f.site()), before);
}

#[test]
fn a_rebuild_keeps_the_maintainers_dot_entries_and_cname_and_nothing_else_of_theirs() {
    use std::os::unix::fs::MetadataExt;
    let f = crate::flow::clean();
    build_ok(&f, &[]);
    let site = f.site();
    let kept = [
        (".git", "gitdir: /repo/.git/worktrees/site\n"),
        (".github/workflows/pages.yml", "on: push\n"),
        ("CNAME", "telemetry.example.org\n"),
    ];
    for (rel, text) in kept {
        std::fs::create_dir_all(site.join(rel).parent().unwrap()).unwrap();
        std::fs::write(site.join(rel), text).unwrap();
    }
    std::fs::write(site.join("stray.html"), "not the build's").unwrap();
    let inode = |rel: &str| std::fs::metadata(site.join(rel)).unwrap().ino();
    let git_inode = inode(".git");
    let check_kept = |when: &str| {
        for (rel, text) in kept {
            assert_eq!(std::fs::read_to_string(site.join(rel)).unwrap_or_default(), text, "{when}: {rel}");
        }
    };

    // A new day: an incremental build replaces the site, the kept entries linked along.
    f.write("2026-11-04/0.75.json", crate::flow::report("2026-11-04", "0.75"));
    build_ok(&f, &[]);
    check_kept("after a new day");
    assert_eq!(inode(".git"), git_inode, "linked, not copied");
    assert!(!site.join("stray.html").exists(), "anything else not the build's goes");

    // A change there is not the build's: nothing to rebuild.
    std::fs::write(site.join("CNAME"), "dashboard.example.org\n").unwrap();
    let out = f.build(&[]);
    assert!(stderr(&out).contains("nothing changed since the last build"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(site.join("CNAME")).unwrap(), "dashboard.example.org\n");
    std::fs::write(site.join("CNAME"), kept[2].1).unwrap();

    // A build without the cache, from a fresh tree, keeps them too; what is not kept is
    // exactly a clean build's site.
    build_ok(&f, &["--no-cache"]);
    check_kept("after a build without the cache");
    let clean = f.dir.path().join("clean");
    let out = run(&["build", path_str(&f.data()), path_str(&clean), "--no-cache"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut built = tree(&site);
    built.retain(|rel, _| !kept.iter().any(|(k, _)| rel == k));
    assert_eq!(built, tree(&clean));
}

#[test]
fn a_site_that_is_a_link_is_built_where_it_points_and_stays_a_link() {
    let f = crate::flow::clean();
    let pages = f.dir.path().join("gh-pages");
    std::fs::create_dir(&pages).unwrap();
    std::fs::write(pages.join("CNAME"), "telemetry.example.org\n").unwrap();
    std::os::unix::fs::symlink(&pages, f.site()).unwrap();
    build_ok(&f, &[]);
    build_ok(&f, &["--no-cache"]);
    assert!(std::fs::symlink_metadata(f.site()).unwrap().file_type().is_symlink(), "still a link");
    assert_eq!(std::fs::read_link(f.site()).unwrap(), pages);
    assert!(pages.join("index.html").is_file() && pages.join("charts/2026-11-03.json").is_file());
    assert_eq!(std::fs::read_to_string(pages.join("CNAME")).unwrap(), "telemetry.example.org\n");
}

#[test]
fn a_charts_table_gives_shares_of_the_programs_reports_not_of_the_whole_set() {
    let f = crate::foundation::aggregation_fixture();
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The week 01-02..01-08 has 5 uploaders (X 0.1 to 0.5); 2 of them have gopls reports
    // (0.1 on two days, 0.2), and both have a linux one: 100% of gopls's, not 40% of 5.
    let page = f.read_site("charts/2026-01-02_2026-01-08/index.html");
    assert!(
        page.contains("<caption>Share of the 2 uploaders with <bdi>x/tools/gopls</bdi> in this range</caption>"),
        "{page}"
    );
    let row = |bucket: &str| format!("<tr><td>{bucket}</td><td class=\"num\">");
    let gopls = &page[page.find("id=\"x-tools-gopls-goos\"").expect("gopls's GOOS chart")..];
    let linux = &gopls[gopls.find(&row("linux")).unwrap()..];
    assert!(linux.starts_with(&format!("{}2</td><td class=\"num\">100.0%</td>", row("linux"))), "{linux:.80}");
    let darwin = &gopls[gopls.find(&row("darwin")).unwrap()..];
    assert!(darwin.starts_with(&format!("{}1</td><td class=\"num\">50.0%</td>", row("darwin"))), "{darwin:.80}");
    // cmd/go: one uploader (0.4) in the week.
    assert!(page.contains("<caption>Share of the 1 uploader with <bdi>cmd/go</bdi> in this range</caption>"), "{page}");
}
