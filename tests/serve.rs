//! `telemetry-site serve`: the real binary on a free port, fetched with a plain HTTP GET
//! over a std `TcpStream`, rebuilt when a report or a page changes, under `/` and a base path.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{line_starting, path_str, spawn, Fixture};
use crate::flow::report;

/// A running `serve`, stopped (SIGTERM, then kill) when dropped.
struct Server {
    child: Child,
    url: String,
    _lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(data: &std::path::Path, extra: &[&str]) -> Server {
        let args = [&["serve", path_str(data), "--port", "0"], extra].concat();
        let (mut child, said) = spawn(&args);
        match line_starting(&said, "serving ") {
            Some(line) => {
                let url = line["serving ".len()..].split_whitespace().next().unwrap().to_string();
                Server { child, url, _lines: said }
            }
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("serve printed no URL");
            }
        }
    }

    /// `(status, body)` of a GET of `path` (absolute, from the server's root).
    fn get(&self, path: &str) -> (u16, String) {
        let host = self.url.trim_start_matches("http://").split('/').next().unwrap();
        get(host, path)
    }

    /// Polls `path` until `ok` holds of its answer (rebuilds are debounced and take a moment).
    fn wait_for(&self, path: &str, what: &str, ok: impl Fn(u16, &str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = self.get(path);
            if ok(status, &body) {
                return body;
            }
            assert!(Instant::now() < deadline, "{what}: last answer {status}: {body:.300}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signalling our own child by its id.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(host: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write("2026-11-02/0.25.json", report("2026-11-02", "0.25"));
    f.write("pages/index.md", "# Hello\n\nfirst-version-marker\n");
    f
}

#[test]
fn serves_the_site_and_rebuilds_on_change() {
    let f = fixture();
    let server = Server::start(&f.data(), &[]);
    assert!(server.url.starts_with("http://127.0.0.1:") && server.url.ends_with('/'), "{}", server.url);
    let (status, body) = server.get("/data/2026-11-02.json");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"Week\":\"2026-11-02\""), "{body}");
    assert_eq!(server.get("/no/such/page.html").0, 404);
    assert_eq!(server.get("/../../etc/passwd").0, 404);

    // A new report arrives: the site is rebuilt with it.
    f.write("2026-11-03/0.5.json", report("2026-11-03", "0.5"));
    server.wait_for("/data/2026-11-03.json", "new report", |status, body| status == 200 && body.contains("2026-11-03"));

    // A page changes: once the site renders pages (an index.html), it shows the new text.
    let (status, first) = server.get("/");
    if status == 200 {
        assert!(first.contains("first-version-marker"), "{first:.500}");
        f.write("pages/index.md", "# Hello\n\nsecond-version-marker\n");
        server.wait_for("/", "edited page", |status, body| status == 200 && body.contains("second-version-marker"));
    }
}

#[test]
fn serves_under_a_base_path() {
    let f = fixture();
    let server = Server::start(&f.data(), &["--base-path", "/telemetry/"]);
    assert!(server.url.ends_with("/telemetry/"), "{}", server.url);
    assert_eq!(server.get("/telemetry/data/2026-11-02.json").0, 200);
    assert_eq!(server.get("/data/2026-11-02.json").0, 404);
    assert_eq!(server.get("/telemetry").0, 302);
    assert_eq!(server.get("/").0, 302);
    f.write("2026-11-04/0.5.json", report("2026-11-04", "0.5"));
    server.wait_for("/telemetry/data/2026-11-04.json", "new report", |status, _| status == 200);
    let (status, _) = server.get("/telemetry/");
    if status == 200 {
        f.write("pages/index.md", "# Hello\n\nbase-path-marker\n");
        server
            .wait_for("/telemetry/", "edited page", |status, body| status == 200 && body.contains("base-path-marker"));
    }
}

#[test]
fn refuses_a_port_in_use() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let f = fixture();
    let out = crate::common::run(&["serve", path_str(&f.data()), "--port", &port]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::common::stderr(&out));
    assert!(crate::common::stderr(&out).contains("cannot listen on 127.0.0.1:"));
}

#[test]
fn stopped_at_any_moment_even_during_its_first_build_serve_leaves_no_temporary_folder() {
    let f = fixture();
    // Enough reports that the first build takes a while: the signal lands during it.
    for i in 1..400 {
        let x = format!("0.{i:04}");
        f.write(&format!("2026-11-0{}/{x}.json", 2 + i % 5), report(&format!("2026-11-0{}", 2 + i % 5), &x));
    }
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = crate::common::command(&["serve", path_str(&f.data()), "--port", "0", "-q"])
            .env("TMPDIR", tmp.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Signalled as soon as its temporary folder is there.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::read_dir(tmp.path()).unwrap().next().is_none() {
            assert!(Instant::now() < deadline, "serve made no temporary folder");
            std::thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: signalling our own child by its id.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let status = child.wait().unwrap();
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "signal {signal}: {status}, left {left:?}");
        assert_eq!(status.code(), Some(0), "signal {signal}");
    }
}

#[test]
fn a_missing_data_directory_is_refused_at_once() {
    let f = fixture();
    let missing = f.dir.path().join("nonexist");
    let out = crate::common::run(&["serve", path_str(&missing), "--port", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", crate::common::stderr(&out));
    assert!(crate::common::stderr(&out).contains("the data directory does not exist"));
}
