//! End to end: the built site served from a sub-path (`/repo/`, as GitHub Pages serves a
//! project) on 127.0.0.1 and opened in headless Chromium (Debian's `chromium`, installed
//! by `.ci/install-chromium.sh`). Checks that the home page and a chart set page render
//! their SVG charts, log nothing to the console and request only files of the site, and
//! takes a screenshot of the home page; with `UPDATE_SCREENSHOT=1` it is saved as
//! `docs/screenshot-home.png` for the README (never otherwise, so a test run leaves the
//! checkout as it was: Chromium's pixels differ between versions).
//!
//! Without Chromium the test fails when `CI=true` and is skipped with a note otherwise.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::Fixture;
use crate::site::{build_ok, report};

const SUB_PATH: &str = "/repo/";

/// A request the server answered: path and status.
type Log = Arc<Mutex<Vec<(String, u16)>>>;

/// A static file server for `root` at [`SUB_PATH`], for the life of the test process.
fn serve(root: PathBuf) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let address = format!("http://{}{SUB_PATH}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let server_log = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (root, log) = (root.clone(), server_log.clone());
            std::thread::spawn(move || answer(stream, &root, &log));
        }
    });
    (address, log)
}

fn answer(mut stream: TcpStream, root: &Path, log: &Log) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    // A connection that asks for nothing (Chromium opens spare sockets ahead of need and
    // may close them unused) is no request: logged as one, it read as a GET of `/`.
    if !reader.read_line(&mut request).is_ok_and(|n| n > 0) || request.split(' ').nth(1).is_none() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request.split(' ').nth(1).expect("checked above").split(['?', '#']).next().unwrap().to_string();
    let file = path.strip_prefix(SUB_PATH).and_then(|rel| {
        let rel = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.to_string() };
        (!rel.split('/').any(|s| s == ".." || s.is_empty())).then(|| root.join(rel))
    });
    let (status, body, kind) = match file.filter(|f| f.is_file()) {
        Some(file) => (200, std::fs::read(&file).unwrap(), content_type(&file)),
        None => (404, std::fs::read(root.join("404.html")).unwrap_or_default(), "text/html; charset=utf-8"),
    };
    log.lock().unwrap().push((path, status));
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// The Chromium binary, if installed.
fn chromium() -> Option<PathBuf> {
    let candidates = ["chromium", "chromium-browser"];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| candidates.map(|c| dir.join(c))).find(|p| p.is_file())
}

/// Runs headless Chromium with a fresh profile; returns (stdout, stderr).
fn headless(chromium: &Path, args: &[&str], url: &str) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s: {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (out.join().unwrap(), err.join().unwrap())
}

const SHOWCASE_UPLOAD_CONFIG: &str = r#"{
  "GOOS": ["darwin", "freebsd", "linux", "windows"], "GOARCH": ["amd64", "arm64"], "GoVersion": ["go1.23.1"],
  "SampleRate": 1,
  "Programs": [
    {"Name": "golang.org/x/tools/gopls", "Versions": ["v0.16.2", "v0.17.0", "v0.17.1", "v0.18.0"],
     "Counters": [{"Name": "gopls/client:{vscode,vim,neovim,emacs,other}", "Rate": 1}]},
    {"Name": "cmd/go", "Versions": ["go1.23.1"], "Counters": [{"Name": "go/invocations", "Rate": 1}]}
  ]
}"#;

const SHOWCASE_CHART_CONFIG: &str = "title: Editor Distribution
counter: gopls/client:{vscode,vim,neovim,emacs,other}
description: measure editor distribution for gopls users.
type: partition
issue: https://go.dev/issue/61038
program: golang.org/x/tools/gopls
---
title: go command invocations
counter: go/invocations
description: how many reports counted an invocation of the go command.
type: partition
program: cmd/go
";

/// A few weeks of a few programs, varied enough to make a screenshot worth showing.
fn showcase() -> Fixture {
    let f = Fixture::new();
    f.write("upload-config.json", SHOWCASE_UPLOAD_CONFIG).write("chart-config.txt", SHOWCASE_CHART_CONFIG);
    for page in ["index.md", "privacy.md"] {
        f.write(&format!("pages/{page}"), std::fs::read(crate::site::sample_pages().join(page)).unwrap());
    }
    let programs = [
        (
            "golang.org/x/tools/gopls",
            &["v0.16.2", "v0.17.0", "v0.17.1", "v0.18.0"][..],
            "gopls/client:",
            &["vscode", "vim", "neovim", "emacs", "other"][..],
        ),
        ("cmd/go", &["go1.23.1"][..], "go/invocations", &[""][..]),
    ];
    let systems = ["linux", "linux", "darwin", "windows", "linux", "darwin"];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for day in 13..=26 {
        let week = format!("2026-01-{day:02}");
        for i in 0..60 {
            let (program, versions, counter, buckets) = programs[next(programs.len())];
            let version = versions[next(versions.len()).max(next(versions.len()))];
            let bucket = buckets[next(buckets.len()).min(next(buckets.len()))];
            let x = (f64::from(day) * 1000.0 + i as f64 + 0.5) / 100_000.0;
            let line =
                report(&week, x, program, version, systems[next(systems.len())], &[(&format!("{counter}{bucket}"), 1)]);
            f.write(&format!("{week}/{x}.json"), line);
        }
    }
    f
}

#[test]
fn the_site_renders_in_headless_chromium_from_a_sub_path() {
    let Some(chromium) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is not installed; run .ci/install-chromium.sh");
        }
        eprintln!("note: skipping the browser test: chromium is not installed (.ci/install-chromium.sh installs it)");
        return;
    };
    let f = showcase();
    build_ok(&f, &["--title", "Go Telemetry"]);
    let (base, log) = serve(f.site());

    for (page, expect) in [
        ("index.html", "Weekly charts for <time datetime=\"2026-01-20\">"),
        ("charts/2026-01-20_2026-01-26/index.html", "Weekly charts for"),
    ] {
        let url = format!("{base}{page}");
        let (dom, stderr) = headless(&chromium, &["--dump-dom"], &url);
        assert!(dom.contains(expect), "{page}: {dom}");
        let charts = dom.matches("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bar-chart\"").count();
        assert!(charts >= 8, "{page}: {charts} SVG charts in the DOM");
        assert!(dom.contains("<title>vscode: "), "{page}: bar titles");
        let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
        assert!(console.is_empty(), "{page}: console messages: {console:#?}");
    }

    let fresh = f.dir.path().join("screenshot-home.png");
    let screenshot = format!("--screenshot={}", fresh.display());
    headless(&chromium, &[&screenshot, "--window-size=1280,900"], &format!("{base}index.html"));
    let png = std::fs::read(&fresh).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "{} bytes", png.len());
    if std::env::var("UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join("screenshot-home.png");
        std::fs::write(&shot, &png).unwrap();
    }

    let log = log.lock().unwrap();
    assert!(log.iter().any(|(path, _)| path == "/repo/static/style.css"), "{log:?}");
    let failed: Vec<_> = log.iter().filter(|(path, status)| *status != 200 || !path.starts_with(SUB_PATH)).collect();
    assert!(failed.is_empty(), "requests outside the site or not found: {failed:?}");
}

/// Names that would mark the page if they ran as script.
const PAYLOADS: [&str; 4] = [
    "<script>document.body.setAttribute('data-pwned','script')</script>",
    "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
    "'><svg onload=\"document.body.setAttribute('data-pwned','svg')\">",
    "</title></svg><script>document.title='pwned'</script>",
];

#[test]
fn hostile_names_never_run_as_script_in_chromium() {
    let Some(chromium) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is not installed; run .ci/install-chromium.sh");
        }
        eprintln!("note: skipping the browser test: chromium is not installed (.ci/install-chromium.sh installs it)");
        return;
    };
    let f = Fixture::new();
    // No upload config: every name is taken from the data, payloads included.
    for (day, x) in [("2026-01-05", 0.25), ("2026-01-12", 0.5)] {
        let programs: Vec<serde_json::Value> = PAYLOADS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let other = PAYLOADS[(i + 1) % PAYLOADS.len()];
                serde_json::json!({"Program": name, "Version": other, "GoVersion": "go1.22.1", "GOOS": name,
                    "GOARCH": other, "Counters": {(*name): 1, format!("{name}:{other}"): 2},
                    "Stacks": {format!("{name}\n{other}:+1,+0x10"): 1}})
            })
            .collect();
        let report =
            serde_json::json!({"Week": day, "LastWeek": "", "X": x, "Config": "v0.115.0", "Programs": programs});
        f.write(&format!("{day}/{x}.json"), report.to_string());
    }
    build_ok(&f, &["--base-url", "https://example.org/repo/"]);
    let stacks = std::fs::read_dir(f.site().join("stacks")).unwrap().next().unwrap().unwrap().file_name();
    let (base, log) = serve(f.site());
    let pages = [
        "index.html".to_string(),
        "charts/2026-01-06_2026-01-12/index.html".to_string(),
        "trends/index.html".to_string(),
        format!("stacks/{}/index.html", stacks.to_string_lossy()),
        "config/index.html".to_string(),
    ];
    for page in &pages {
        let (dom, stderr) = headless(&chromium, &["--dump-dom"], &format!("{base}{page}"));
        let body = dom.find("<body").map(|at| &dom[at..]).unwrap_or_default();
        let body_tag = &body[..body.find('>').unwrap_or(0)];
        assert!(!body_tag.contains("data-pwned"), "{page}: a payload ran: {body_tag}");
        assert!(!dom.contains("<title>pwned</title>"), "{page}: a payload set the title");
        assert!(dom.contains("data-pwned"), "{page}: the payloads are shown as text");
        let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
        assert!(console.is_empty(), "{page}: console messages: {console:#?}");
    }
    let log = log.lock().unwrap();
    let outside: Vec<_> = log.iter().filter(|(path, _)| !path.starts_with(SUB_PATH)).collect();
    assert!(outside.is_empty(), "requests outside the site: {outside:?}");
    assert!(!log.iter().any(|(path, _)| path.ends_with("/x")), "an injected <img src=x> was requested: {log:?}");
}
