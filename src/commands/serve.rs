//! `telemetry-site serve DATA`: build into a temporary folder, serve it on localhost, and
//! rebuild whenever DATA, the configs, templates, static files or pages change.
//!
//! As `zola serve` and `mdbook serve`: port 1111 by default, the URL printed once the first
//! build is done, changes debounced (one rebuild per burst of saves), a failed rebuild
//! reported while the last good site stays up. `--base-path /REPO/` serves the site where
//! GitHub project pages will (its links are relative, so the same files work there).

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::build;
use crate::cli::ServeArgs;
use crate::progress::Progress;
use crate::summary::Summary;

use super::{fail, Exit};

/// How long changes must pause before a rebuild starts.
const DEBOUNCE: Duration = Duration::from_millis(150);

static STOP: AtomicBool = AtomicBool::new(false);

pub fn run(args: &ServeArgs) -> Result<Exit, Exit> {
    let base_path = base_path(&args.base_path).map_err(|e| fail(Exit::Usage, e))?;
    let data = &args.shared.data;
    crate::analysis::check_data_dir(data).map_err(|e| fail(Exit::Usage, e))?;
    super::site_config(data)?; // a broken site config stops us before we listen
    if args.shared.base_url.is_some() && !args.quiet {
        eprintln!("note: --base-url is not used by serve: the feed and the 404 page link to the server's own URL");
    }
    super::set_jobs(args.shared.inputs.jobs, args.quiet)?;
    // From here on a signal only asks serve to stop, so the temporary folder is removed
    // however serve is stopped, even during its first build.
    stop_on_signals();
    let temp = tempfile::Builder::new()
        .prefix("telemetry-site-serve-")
        .tempdir()
        .map_err(|e| fail(Exit::Usage, format!("cannot create a temporary folder: {e}")))?;
    let site = temp.path().join("site");
    let server = tiny_http::Server::http((args.interface, args.port))
        .map_err(|e| fail(Exit::Usage, format!("cannot listen on {}:{}: {e}", args.interface, args.port)))?;
    let address = linkable(server.server_addr().to_ip().expect("an IP listener"));
    let url = format!("http://{address}{base_path}");
    let builder = Builder { args, site: site.clone(), url: url.clone() };
    builder.rebuild("built");
    if STOP.load(Ordering::Relaxed) {
        return Ok(Exit::Success);
    }

    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            if !matches!(event.kind, EventKind::Access(_)) {
                let _ = tx.send(());
            }
        }
    })
    .map_err(|e| fail(Exit::Usage, format!("cannot watch for changes: {e}")))?;
    for (path, mode) in watched(args) {
        if let Err(e) = watcher.watch(&path, mode) {
            eprintln!("warning: `{}`: not watched for changes: {e}", path.display());
        }
    }
    eprintln!("serving {url} (Ctrl-C to stop)");
    let builder = &builder;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while rx.recv().is_ok() {
                while rx.recv_timeout(DEBOUNCE).is_ok() {}
                if STOP.load(Ordering::Relaxed) {
                    break;
                }
                builder.rebuild("rebuilt");
            }
        });
        while !STOP.load(Ordering::Relaxed) {
            match server.recv_timeout(Duration::from_millis(200)) {
                Ok(Some(request)) => respond(request, &site, &base_path),
                Ok(None) => {}
                Err(e) => eprintln!("warning: {e}"),
            }
        }
        drop(watcher); // ends the rebuild thread: its channel closes
    });
    Ok(Exit::Success)
}

struct Builder<'a> {
    args: &'a ServeArgs,
    site: PathBuf,
    url: String,
}

impl Builder<'_> {
    /// Builds the site once; on failure says why and leaves the last good site in place.
    fn rebuild(&self, verb: &str) {
        let started = Instant::now();
        let config = match crate::site_config::SiteConfig::load(&self.args.shared.data) {
            Ok(config) => config,
            Err(e) => return eprintln!("error: {e}"),
        };
        let mut opts = self.args.shared.options(&config, &self.site, Progress::Hidden);
        opts.site_options.base_url = Some(self.url.clone());
        match build::build(&opts) {
            Ok(Summary { refused: Some(why), .. }) => eprintln!("error: {why}: the site is left as it was"),
            Ok(summary) if !self.args.quiet => eprintln!(
                "{verb} in {:.2}s: {} reports, {} valid, {} skipped",
                started.elapsed().as_secs_f64(),
                summary.reports_read,
                summary.reports_valid,
                summary.reports_skipped
            ),
            Ok(_) => {}
            Err(e) => eprintln!("error: {e}"),
        }
    }
}

/// DATA recursively, and every input outside it: templates, static files, pages, configs.
fn watched(args: &ServeArgs) -> Vec<(PathBuf, RecursiveMode)> {
    let config = crate::site_config::SiteConfig::load(&args.shared.data).unwrap_or_default();
    let data = crate::folders::resolve(&args.shared.data);
    let mut paths = vec![(data.clone(), RecursiveMode::Recursive)];
    let shared = &args.shared;
    let dirs = [
        shared.templates.clone().or(config.templates),
        shared.static_dir.clone().or(config.static_dir),
        shared.pages.clone().or(config.pages),
    ];
    for dir in dirs.into_iter().flatten().map(|d| crate::folders::resolve(&d)) {
        if !dir.starts_with(&data) {
            paths.push((dir, RecursiveMode::Recursive));
        }
    }
    let files = [
        shared.inputs.upload_config.clone().or(config.upload_config),
        shared.inputs.chart_config.clone().or(config.chart_config),
    ];
    for file in files.into_iter().flatten().map(|f| crate::folders::resolve(&f)) {
        // Editors often replace a file by renaming over it: watch its folder.
        if let Some(parent) = file.parent().filter(|p| !p.starts_with(&data)) {
            paths.push((parent.to_path_buf(), RecursiveMode::NonRecursive));
        }
    }
    paths
}

/// The address to print and to put in the site's links: a server listening on every
/// interface (`0.0.0.0` or `::`) is reached, from this machine, at the loopback address.
fn linkable(mut address: std::net::SocketAddr) -> std::net::SocketAddr {
    if address.ip().is_unspecified() {
        let loopback: std::net::IpAddr = match address {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        address.set_ip(loopback);
    }
    address
}

/// `--base-path` as `/` or `/a/b/`.
pub fn base_path(raw: &str) -> Result<String, String> {
    let parts: Vec<&str> = raw.split('/').filter(|p| !p.is_empty()).collect();
    // GitHub names a project site's path after its repository: letters, digits, `-`, `.`, `_`.
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if parts.iter().any(|p| *p == "." || *p == ".." || !p.chars().all(plain)) {
        return Err(format!("--base-path: not a plain URL path: `{raw}`"));
    }
    Ok(if parts.is_empty() { "/".into() } else { format!("/{}/", parts.join("/")) })
}

/// What a request for `url` gets: a file of the site, a redirect, or not found.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    File(PathBuf),
    Redirect(String),
    NotFound,
}

/// Maps a request path to the site, under `base` (`/` or `/REPO/`).
pub fn answer(url: &str, site: &Path, base: &str) -> Answer {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if !path.starts_with(base) {
        if path == "/" || path == base.trim_end_matches('/') {
            return Answer::Redirect(base.to_string());
        }
        return Answer::NotFound;
    }
    let Some(rel) = percent_decode(&path[base.len()..]) else { return Answer::NotFound };
    let rel = Path::new(&rel);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Answer::NotFound;
    }
    let file = site.join(rel);
    if file.is_dir() {
        if !path.ends_with('/') {
            return Answer::Redirect(format!("{path}/"));
        }
        let index = file.join("index.html");
        return if index.is_file() { Answer::File(index) } else { Answer::NotFound };
    }
    if file.is_file() {
        Answer::File(file)
    } else {
        Answer::NotFound
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn respond(request: tiny_http::Request, site: &Path, base: &str) {
    let header = |name: &str, value: &str| {
        tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
    };
    let no_store = header("Cache-Control", "no-store");
    let response = match answer(request.url(), site, base) {
        Answer::File(path) => match std::fs::read(&path) {
            Ok(bytes) => tiny_http::Response::from_data(bytes)
                .with_header(header("Content-Type", content_type(&path)))
                .with_header(no_store),
            Err(_) => not_found(site, base).with_header(no_store),
        },
        Answer::Redirect(to) => {
            tiny_http::Response::from_data(Vec::new()).with_status_code(302).with_header(header("Location", &to))
        }
        Answer::NotFound => not_found(site, base).with_header(no_store),
    };
    let _ = request.respond(response);
}

/// The site's own `404.html` when it has one.
fn not_found(site: &Path, _base: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let (bytes, kind) = match std::fs::read(site.join("404.html")) {
        Ok(bytes) => (bytes, "text/html; charset=utf-8"),
        Err(_) => (b"404 not found\n".to_vec(), "text/plain; charset=utf-8"),
    };
    tiny_http::Response::from_data(bytes)
        .with_status_code(404)
        .with_header(tiny_http::Header::from_bytes(&b"Content-Type"[..], kind.as_bytes()).expect("a valid header"))
}

pub fn content_type(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name.ends_with(".gz") {
        return "application/gzip";
    }
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Ctrl-C, SIGTERM or SIGHUP (the terminal closed) ends the serve loop once the build under
/// way is done, so the temporary site is removed.
fn stop_on_signals() {
    #[cfg(unix)]
    {
        extern "C" fn on_signal(_: libc::c_int) {
            STOP.store(true, Ordering::Relaxed);
        }
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
            libc::signal(libc::SIGHUP, handler);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_on_every_interface_links_to_the_loopback_address() {
        let link = |a: &str| linkable(a.parse().unwrap()).to_string();
        assert_eq!(link("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(link("[::]:8080"), "[::1]:8080");
        assert_eq!(link("192.168.1.5:80"), "192.168.1.5:80");
        assert_eq!(link("127.0.0.1:3000"), "127.0.0.1:3000");
    }

    #[test]
    fn base_paths_are_normalised() {
        assert_eq!(base_path("/").unwrap(), "/");
        assert_eq!(base_path("").unwrap(), "/");
        assert_eq!(base_path("repo").unwrap(), "/repo/");
        assert_eq!(base_path("/a/b").unwrap(), "/a/b/");
        assert!(base_path("/../x").is_err());
        for bad in ["/a b/", "/a?b", "/a#b", "/a%20b/", "/a\\b", "/\"x\"/", "/é/"] {
            assert!(base_path(bad).is_err(), "{bad}");
        }
        assert_eq!(base_path("/my-repo_2.x/").unwrap(), "/my-repo_2.x/");
    }

    #[test]
    fn requests_map_into_the_site_only() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path();
        std::fs::create_dir_all(site.join("charts")).unwrap();
        std::fs::write(site.join("index.html"), "i").unwrap();
        std::fs::write(site.join("charts/index.html"), "c").unwrap();
        std::fs::write(site.join("a b.json"), "{}").unwrap();
        assert_eq!(answer("/", site, "/"), Answer::File(site.join("index.html")));
        assert_eq!(answer("/?x=1", site, "/"), Answer::File(site.join("index.html")));
        assert_eq!(answer("/charts", site, "/"), Answer::Redirect("/charts/".into()));
        assert_eq!(answer("/charts/", site, "/"), Answer::File(site.join("charts/index.html")));
        assert_eq!(answer("/a%20b.json", site, "/"), Answer::File(site.join("a b.json")));
        assert_eq!(answer("/../etc/passwd", site, "/"), Answer::NotFound);
        assert_eq!(answer("/%2e%2e/x", site, "/"), Answer::NotFound);
        assert_eq!(answer("/repo/", site, "/repo/"), Answer::File(site.join("index.html")));
        assert_eq!(answer("/repo", site, "/repo/"), Answer::Redirect("/repo/".into()));
        assert_eq!(answer("/", site, "/repo/"), Answer::Redirect("/repo/".into()));
        assert_eq!(answer("/index.html", site, "/repo/"), Answer::NotFound);
    }
}
