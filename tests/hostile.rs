//! Hostile shapes and hostile content: every bad input gets a bounded answer, is named in
//! the summary with its reason, and changes nothing else in the site.
//!
//! Large fixtures are sparse or streamed at test time; every build runs under a deadline,
//! and its peak memory is measured.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{path_str, Fixture};

/// What a bounded run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stderr: String,
    /// Peak resident memory of the process, in KiB.
    pub max_rss_kib: i64,
    /// Wall-clock time from start to exit.
    pub seconds: f64,
}

/// The longest any build here may take (the issue's bound; debug builds stay well under it).
pub const DEADLINE: Duration = Duration::from_secs(60);
/// The most memory any build here may use (the issue's bound).
pub const MEMORY_KIB: i64 = 1 << 20;

/// Starts `telemetry-site ARGS` in a clean environment, stderr to a pipe.
pub fn spawn(args: &[&OsStr], env: &[(&str, &Path)]) -> std::process::Child {
    command(Path::new(env!("CARGO_BIN_EXE_telemetry-site")), args, env).spawn().expect("start telemetry-site")
}

/// The command [`spawn`] starts, of the binary at `program`.
fn command(program: &Path, args: &[&OsStr], env: &[(&str, &Path)]) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("TELEMETRY_SITE_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Reaps `child` (which must not have been waited for), killing it at `deadline`: the
/// test fails instead of hanging when a build blocks (on a FIFO, say).
pub fn finish(mut child: std::process::Child, started: Instant, deadline: Duration) -> Run {
    let mut pipe = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let pid = child.id() as libc::pid_t;
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid value to be overwritten.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child, with valid out-pointers.
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if rc == pid {
            break (status, usage);
        }
        assert!(rc == 0, "wait4: {}", std::io::Error::last_os_error());
        if started.elapsed() > deadline {
            let _ = child.kill();
            // SAFETY: as above; reaps the killed child.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            let stderr = reader.join().unwrap_or_default();
            panic!("the build did not finish within {deadline:?}; stderr:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = reader.join().expect("stderr reader");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let signal = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
    Run { code, signal, stderr, max_rss_kib: usage.ru_maxrss, seconds: started.elapsed().as_secs_f64() }
}

/// Runs `telemetry-site ARGS` to the end, within [`DEADLINE`].
pub fn run_bounded(args: &[&OsStr]) -> Run {
    let started = Instant::now();
    finish(spawn(args, &[]), started, DEADLINE)
}

/// No panic, no backtrace, whatever happened.
pub fn assert_no_panic(run: &Run) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!run.stderr.contains(bad), "{bad} in stderr:\n{}", run.stderr);
    }
    assert_eq!(run.signal, None, "ended by a signal; stderr:\n{}", run.stderr);
}

/// `build DATA SITE --summary-json SUMMARY ARGS...`, asserting it built within bounds.
fn build(f: &Fixture, site: &Path, args: &[&str]) -> Value {
    let summary = f.dir.path().join("summary.json");
    let data = f.data();
    let mut all: Vec<&OsStr> = vec![
        OsStr::new("build"),
        data.as_os_str(),
        site.as_os_str(),
        OsStr::new("--summary-json"),
        summary.as_os_str(),
    ];
    all.extend(args.iter().map(OsStr::new));
    let run = run_bounded(&all);
    assert_no_panic(&run);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    assert!(run.max_rss_kib < MEMORY_KIB, "{} KiB of memory", run.max_rss_kib);
    assert!(run.seconds < DEADLINE.as_secs_f64());
    serde_json::from_str(&fs::read_to_string(&summary).unwrap()).unwrap()
}

/// The site's chart sets and raw data (the JSON files of `charts/` and `data/`), by path.
fn charts_and_data(site: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for dir in ["charts", "data"] {
        let Ok(entries) = fs::read_dir(site.join(dir)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            if !entry.file_type().unwrap().is_file() || !entry.file_name().to_string_lossy().ends_with(".json") {
                continue;
            }
            files.insert(format!("{dir}/{}", entry.file_name().to_string_lossy()), fs::read(entry.path()).unwrap());
        }
    }
    files
}

pub const PROGRAM: &str = "example.com/cmd/tool";

/// A valid report of [`PROGRAM`] for `week` with uploader `x`.
pub fn report(week: &str, x: f64, starts: u64) -> String {
    json!({"Week": week, "LastWeek": "", "X": x, "Config": "v0.115.0", "Programs": [
        {"Program": PROGRAM, "Version": "v1.0.0", "GoVersion": "go1.22.0", "GOOS": "linux",
         "GOARCH": "amd64", "Counters": {"tool/start": starts, "tool/mode:fast": 1}, "Stacks": {}}
    ]})
    .to_string()
}

/// A few valid reports in both layouts, beside which each offender is placed.
fn valid_reports(f: &Fixture) {
    for (i, x) in [0.1, 0.2, 0.3].into_iter().enumerate() {
        f.write(&format!("2026-01-05/{x}.json"), report("2026-01-05", x, i as u64 + 1));
    }
    f.write("2026-01-06.jsonl", format!("{}\n{}\n", report("2026-01-06", 0.4, 7), report("2026-01-06", 0.5, 9)));
}

/// Builds the valid reports alone, then with `offend` applied to DATA, and checks the
/// charts and raw data come out the same. Returns the second build's summary.
fn beside_valid_reports(args: &[&str], offend: impl FnOnce(&Fixture)) -> (Fixture, Value) {
    let f = Fixture::new();
    valid_reports(&f);
    let baseline_site = f.dir.path().join("baseline");
    let baseline = build(&f, &baseline_site, args);
    assert_eq!(baseline["reports_valid"], 5);
    offend(&f);
    let summary = build(&f, &f.site(), args);
    assert_eq!(summary["reports_valid"], 5, "{summary:#}");
    assert_eq!(
        charts_and_data(&f.site()),
        charts_and_data(&baseline_site),
        "the offender changed the charts or the raw data"
    );
    (f, summary)
}

/// The skips of `path` in the summary, as (line, reason, message).
fn skips_of(summary: &Value, path: &str) -> Vec<(u64, String, String)> {
    summary["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["path"] == path)
        .map(|s| {
            (
                s["line"].as_u64().unwrap(),
                s["reason"].as_str().unwrap().to_string(),
                s["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Why `path` was not recognised as a report file, if it is listed.
fn unrecognised(summary: &Value, path: &str) -> Option<String> {
    summary["unrecognised"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["path"] == path)
        .map(|u| u["why"].as_str().unwrap().to_string())
}

/// Writes `head`, a hole of `hole` bytes (read back as zeros, never stored), then `tail`.
fn sparse(path: &Path, head: &[u8], hole: u64, tail: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = fs::File::create(path).unwrap();
    file.write_all(head).unwrap();
    file.seek(SeekFrom::Current(hole as i64)).unwrap();
    file.write_all(tail).unwrap();
    if tail.is_empty() {
        file.set_len(head.len() as u64 + hole).unwrap();
    }
}

#[test]
fn a_2_gb_file_is_never_read_whole() {
    const SIZE: u64 = 2 << 30;
    let (_f, summary) = beside_valid_reports(&[], |f| {
        let head = br#"{"Week":"2026-01-05","X":0.9,"Config":"v0.1.0","Pad":""#;
        sparse(&f.data().join("2026-01-05/0.9.json"), head, SIZE - head.len() as u64, b"");
    });
    let skips = skips_of(&summary, "2026-01-05/0.9.json");
    assert_eq!(skips.len(), 1, "{summary:#}");
    assert_eq!((skips[0].0, skips[0].1.as_str()), (0, "too_large"));
    assert_eq!(skips[0].2, format!("{SIZE} bytes, more than the limit of 102400"));
}

#[test]
fn a_2_gb_merged_file_stops_at_the_file_limit() {
    let (_f, summary) = beside_valid_reports(&["--max-file-bytes", "67108864"], |f| {
        sparse(&f.data().join("2026-01-07.jsonl"), b"", 2 << 30, b"");
    });
    let skips = skips_of(&summary, "2026-01-07.jsonl");
    assert_eq!(skips.len(), 1, "{summary:#}");
    assert_eq!(skips[0].1, "unreadable");
    assert!(
        skips[0].2.contains("more than 67108864 bytes (decompressed), the limit set by --max-file-bytes"),
        "{}",
        skips[0].2
    );
}

#[test]
fn a_100_mb_line_in_a_merged_file_is_measured_not_kept() {
    const HOLE: u64 = 100 << 20;
    let head = br#"{"Week":"2026-01-06","X":0.45,"Config":"v0.1.0","Pad":""#;
    let (_f, summary) = beside_valid_reports(&[], |f| {
        // The same file as before with a 100 MB line between its two reports.
        let text = fs::read_to_string(f.data().join("2026-01-06.jsonl")).unwrap();
        let (first, second) = text.split_once('\n').unwrap();
        let mut start = format!("{first}\n").into_bytes();
        start.extend_from_slice(head);
        let mut end = b"\"}\n".to_vec();
        end.extend_from_slice(second.as_bytes());
        sparse(&f.data().join("2026-01-06.jsonl"), &start, HOLE, &end);
    });
    let skips = skips_of(&summary, "2026-01-06.jsonl");
    let length = head.len() as u64 + HOLE + 2;
    assert_eq!(skips, [(2, "too_large".to_string(), format!("{length} bytes, more than the limit of 102400"))]);
}

fn deeply_nested(open: &str, close: &str) -> String {
    format!(
        r#"{{"Week":"2026-01-05","X":0.6,"Config":"v0.1.0","Deep":{}1{}}}"#,
        open.repeat(100_000),
        close.repeat(100_000)
    )
}

#[test]
fn json_nested_100000_deep_is_too_large_or_malformed() {
    let offend = |f: &Fixture| {
        f.write("2026-01-05/0.6.json", deeply_nested("[", "]"));
        f.write("2026-01-07.jsonl", format!("{}\n", deeply_nested("{\"a\":", "}")));
    };
    let (_f, summary) = beside_valid_reports(&[], offend);
    assert_eq!(skips_of(&summary, "2026-01-05/0.6.json")[0].1, "too_large");
    assert_eq!(skips_of(&summary, "2026-01-07.jsonl")[0].1, "too_large");
    // With room for it, the parser refuses the depth (serde_json stops at 128 levels).
    let (_f, summary) = beside_valid_reports(&["--max-report-bytes", "1000000"], offend);
    for (path, line) in [("2026-01-05/0.6.json", 0), ("2026-01-07.jsonl", 1)] {
        let skips = skips_of(&summary, path);
        assert_eq!(skips.len(), 1, "{path}: {summary:#}");
        assert_eq!((skips[0].0, skips[0].1.as_str()), (line, "malformed"));
        assert!(skips[0].2.contains("recursion limit"), "{}", skips[0].2);
    }
}

#[test]
fn a_report_with_a_million_counters_is_too_large() {
    let (_f, summary) = beside_valid_reports(&[], |f| {
        let mut counters = String::with_capacity(20 << 20);
        for i in 0..1_000_000 {
            if i > 0 {
                counters.push(',');
            }
            counters.push_str(&format!("\"tool/c{i}\":1"));
        }
        let text = report("2026-01-05", 0.7, 1).replace("\"Counters\":{", &format!("\"Counters\":{{{counters},"));
        f.write("2026-01-05/0.7.json", text);
    });
    let skips = skips_of(&summary, "2026-01-05/0.7.json");
    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].1, "too_large");
}

/// A gzip file of `members` concatenated members of `member_bytes` zeros each: tiny on
/// disk, `members * member_bytes` bytes decompressed (`MultiGzDecoder` reads them all).
pub fn gzip_bomb(path: &Path, member_bytes: usize, members: usize) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..member_bytes >> 20 {
        encoder.write_all(&zeros).unwrap();
    }
    let member = encoder.finish().unwrap();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = std::io::BufWriter::new(fs::File::create(path).unwrap());
    for _ in 0..members {
        file.write_all(&member).unwrap();
    }
    file.flush().unwrap();
    (member.len() * members) as u64
}

#[test]
fn a_gzip_bomb_stops_at_the_default_file_limit() {
    // 4 GiB decompressed from about 4 MB, as a merged file and as an upload.
    let (_f, summary) = beside_valid_reports(&[], |f| {
        let size = gzip_bomb(&f.data().join("2026-01-08.jsonl.gz"), 64 << 20, 64);
        assert!(size < 8 << 20, "{size}");
        gzip_bomb(&f.data().join("2026-01-05/0.8.json.gz"), 64 << 20, 64);
    });
    let skips = skips_of(&summary, "2026-01-08.jsonl.gz");
    assert_eq!(skips.len(), 1, "{summary:#}");
    assert_eq!(skips[0].1, "unreadable");
    assert!(skips[0].2.contains("more than 1073741824 bytes (decompressed)"), "{}", skips[0].2);
    let skips = skips_of(&summary, "2026-01-05/0.8.json.gz");
    assert_eq!(skips.len(), 1, "{summary:#}");
    assert_eq!(skips[0].1, "too_large");
}

#[test]
fn a_gzip_bomb_of_blank_lines_counts_each_line_and_lists_the_first_100() {
    // 1 MiB of blank lines of three kinds (`\n`, `\r\n`, spaces), gzipped.
    let (_f, summary) = beside_valid_reports(&[], |f| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(b"\r\n  \t\n").unwrap();
        encoder.write_all(&vec![b'\n'; (1 << 20) - 6]).unwrap();
        fs::write(f.data().join("2026-01-09.jsonl.gz"), encoder.finish().unwrap()).unwrap();
    });
    let lines = (1u64 << 20) - 4;
    assert_eq!(summary["reports_skipped"], lines, "{summary:#}");
    assert_eq!(summary["skipped_by_reason"], serde_json::json!([["empty", lines]]));
    let skips = skips_of(&summary, "2026-01-09.jsonl.gz");
    assert_eq!(skips.len(), 100);
    for (n, (line, reason, message)) in skips.iter().enumerate() {
        assert_eq!((*line, reason.as_str(), message.as_str()), (n as u64 + 1, "empty", "no report, only blank"));
    }
}

#[test]
fn links_are_listed_never_followed() {
    let (_f, summary) = beside_valid_reports(&[], |f| {
        let d = f.data();
        let link = |target: &str, at: &str| std::os::unix::fs::symlink(target, d.join(at)).unwrap();
        link("/etc/passwd", "2026-01-05/0.81.json"); // out of DATA
        link("0.1.json", "2026-01-05/0.82.json"); // a valid report inside DATA
        link("/dev/zero", "2026-01-09.jsonl"); // endless if it were read
        link("loop.json", "loop.json"); // a loop of one
        link("..", "2026-01-05/up"); // a loop through a directory
        fs::create_dir(d.join("2026-01-12")).unwrap();
        link("../2026-01-12", "2026-01-12/0.5.json"); // a loop shaped like a report
    });
    for path in [
        "2026-01-05/0.81.json",
        "2026-01-05/0.82.json",
        "2026-01-09.jsonl",
        "loop.json",
        "2026-01-05/up",
        "2026-01-12/0.5.json",
    ] {
        assert_eq!(
            unrecognised(&summary, path).as_deref(),
            Some("a symbolic link, not followed"),
            "{path}: {summary:#}"
        );
    }
    assert_eq!(summary["reports_skipped"], 0);
}

/// Whether this process can read a file whatever its permissions (root, CAP_DAC_OVERRIDE).
fn permissions_are_ignored(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    fs::write(&probe, b"x").unwrap();
    set_mode(&probe, 0o000);
    let ignored = fs::File::open(&probe).is_ok();
    fs::remove_file(&probe).unwrap();
    ignored
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The user the unreadable-input tests run the build as when this process reads anything
/// (root): `nobody`, for whom `chmod 000` holds.
pub const NOBODY: u32 = 65534;

/// A command that runs `telemetry-site ARGS` as a user for whom `chmod 000` holds: this
/// process's own user, or `nobody` when this process reads anything (root), then from a
/// copy of the binary in `dir` (the checkout may sit where `nobody` cannot go), with `dir`
/// open to all. Also says whether it runs as `nobody`.
pub fn unprivileged(dir: &Path, args: &[&OsStr]) -> (Command, bool) {
    use std::os::unix::process::CommandExt;
    let mut program = PathBuf::from(env!("CARGO_BIN_EXE_telemetry-site"));
    let as_nobody = permissions_are_ignored(dir);
    if as_nobody {
        set_mode(dir, 0o777);
        let copy = dir.join("telemetry-site");
        if !copy.exists() {
            fs::copy(&program, &copy).unwrap();
            set_mode(&copy, 0o755);
        }
        program = copy;
    }
    let mut command = command(&program, args, &[]);
    if as_nobody {
        command.uid(NOBODY).gid(NOBODY);
    }
    (command, as_nobody)
}

#[test]
fn unreadable_files_and_folders_are_named() {
    let f = Fixture::new();
    valid_reports(&f);
    let baseline_site = f.dir.path().join("baseline");
    build(&f, &baseline_site, &[]);
    f.write("2026-01-05/0.83.json", report("2026-01-05", 0.83, 1));
    set_mode(&f.data().join("2026-01-05/0.83.json"), 0o000);
    f.write("2026-01-10/0.5.json", report("2026-01-10", 0.5, 1));
    set_mode(&f.data().join("2026-01-10"), 0o000);
    let summary = f.dir.path().join("summary-unreadable.json");
    let (data, site) = (f.data(), f.site());
    let args = ["build", path_str(&data), path_str(&site), "--summary-json", path_str(&summary)];
    let build = || {
        let (mut command, _) = unprivileged(f.dir.path(), &args.map(OsStr::new));
        let run = finish(command.spawn().expect("start telemetry-site"), Instant::now(), DEADLINE);
        assert_no_panic(&run);
        assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
        serde_json::from_str::<Value>(&fs::read_to_string(&summary).unwrap()).unwrap()
    };
    let unreadable = build();
    assert_eq!(charts_and_data(&f.site()), charts_and_data(&baseline_site), "the unreadable input changed the output");
    // The permission mended (size and mtime as they were): the next build reads the file,
    // rather than find nothing changed or take its skip from the cache.
    set_mode(&f.data().join("2026-01-05/0.83.json"), 0o644);
    let mended = build();
    set_mode(&f.data().join("2026-01-10"), 0o755); // so the fixture can be removed
    assert_eq!(mended["reports_valid"], 6, "{mended:#}");
    assert_eq!(mended["reports_skipped"], 0, "{mended:#}");
    let notes = unreadable["notes"].to_string();
    assert!(notes.contains("1 file could not be read for a reason outside it"), "{notes}");
    let summary = unreadable;
    assert_eq!(summary["reports_valid"], 5, "{summary:#}");
    let skips = skips_of(&summary, "2026-01-05/0.83.json");
    assert_eq!(skips.len(), 1);
    assert_eq!(skips[0].1, "unreadable");
    assert!(skips[0].2.contains("ermission denied"), "{}", skips[0].2);
    let why = unrecognised(&summary, "2026-01-10").expect("the folder is listed");
    assert!(why.starts_with("cannot be read"), "{why}");
}

#[test]
fn check_fails_on_a_folder_it_may_not_list_as_its_reports_are_not_counted() {
    let f = Fixture::new();
    valid_reports(&f);
    f.write("2026-01-10/0.5.json", report("2026-01-10", 0.5, 1));
    set_mode(&f.data().join("2026-01-10"), 0o000);
    let summary = f.dir.path().join("summary.json");
    let (data, site) = (f.data(), f.site());
    let run = |args: &[&str]| {
        let (mut command, _) = unprivileged(f.dir.path(), &args.iter().map(OsStr::new).collect::<Vec<_>>());
        let run = finish(command.spawn().expect("start telemetry-site"), Instant::now(), DEADLINE);
        assert_no_panic(&run);
        run
    };
    let build = run(&["build", path_str(&data), path_str(&site), "--summary-json", path_str(&summary)]);
    let check = run(&["check", path_str(&data)]);
    let from_summary = run(&["check", path_str(&data), "--from-summary", path_str(&summary)]);
    set_mode(&f.data().join("2026-01-10"), 0o755); // so the fixture can be removed
    assert_eq!(build.code, Some(0), "a nightly build goes on: {}", build.stderr);
    for check in [check, from_summary] {
        assert_eq!(check.code, Some(1), "{}", check.stderr);
        assert!(check.stderr.contains("error: 1 entry of DATA could not be read"), "{}", check.stderr);
    }
}

#[test]
fn a_directory_named_like_a_report_is_listed() {
    let (_f, summary) = beside_valid_reports(&[], |f| {
        fs::create_dir_all(f.data().join("2026-01-05/0.84.json")).unwrap();
        fs::create_dir_all(f.data().join("2026-01-13.jsonl.gz")).unwrap();
        f.write("2026-01-05/0.84.json/x.json", report("2026-01-05", 0.84, 1));
    });
    for path in ["2026-01-05/0.84.json", "2026-01-13.jsonl.gz"] {
        assert_eq!(unrecognised(&summary, path).as_deref(), Some("a directory named like a report file"), "{path}");
    }
    assert_eq!(unrecognised(&summary, "2026-01-05/0.84.json/x.json").as_deref(), Some("not a report file name"));
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[test]
fn fifos_and_devices_are_never_opened() {
    let mut devices = Vec::new();
    let (_f, summary) = beside_valid_reports(&[], |f| {
        // Opening a FIFO for reading blocks until a writer comes: the deadline would trip.
        mkfifo(&f.data().join("2026-01-05/0.85.json"));
        mkfifo(&f.data().join("2026-01-11.jsonl"));
        // A character device (/dev/zero's numbers), where this process may make one.
        let path = f.data().join("2026-01-05/0.86.json");
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 5)) } == 0 {
            devices.push("2026-01-05/0.86.json");
        }
    });
    for path in ["2026-01-05/0.85.json", "2026-01-11.jsonl"].into_iter().chain(devices) {
        assert_eq!(unrecognised(&summary, path).as_deref(), Some("not a regular file"), "{path}");
    }
}

// ---------------------------------------------------------------------------------------
// Hostile content
// ---------------------------------------------------------------------------------------

/// Strings an uploader may put in any name: markup, quotes, paths, NUL and other control
/// characters, right-to-left marks, spreadsheet formulas, template syntax, a long string.
pub fn hostile_names() -> Vec<String> {
    vec![
        "<script>document.title='pwned'</script>".into(),
        "\"onmouseover=\"alert(1)\" x=\"".into(),
        "'><img src=x onerror=alert(1)>".into(),
        "</script><script>alert(1)</script>".into(),
        "../../../../etc/passwd".into(),
        "..".into(),
        ".".into(),
        "/".into(),
        "/tmp/escape".into(),
        "a/../../b".into(),
        "C:\\Windows\\..\\x".into(),
        "%2e%2e%2fetc".into(),
        "nul\u{0}byte".into(),
        "ctl\u{1}\u{7}\u{1b}[31m\r\n\tz".into(),
        "\u{202E}gnp.exe".into(),
        "=HYPERLINK(\"http://x\")".into(),
        "+1".into(),
        "-1".into(),
        "@SUM(A1)".into(),
        "{{ config }}{% raw %}".into(),
        "CON".into(),
        "con".into(),
        "Tool".into(),
        "tool".into(),
        "a b".into(),
        "a_b".into(),
        "a-b".into(),
        "ｓｃｒｉｐｔ".into(),
        String::new(),
        "L".repeat(5000),
    ]
}

/// One valid report whose program, version, counter and stack names are all hostile
/// (each program report takes a few of [`hostile_names`]).
pub fn hostile_report() -> String {
    hostile_report_on("2026-01-05", 0.5)
}

fn hostile_report_on(week: &str, x: f64) -> String {
    let names = hostile_names();
    let programs: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let other = &names[(i + 1) % names.len()];
            let mut counters = serde_json::Map::new();
            counters.insert(name.clone(), json!(1));
            counters.insert(format!("{name}:{other}"), json!(2));
            counters.insert(format!("chart:{name}"), json!(3));
            let mut stacks = serde_json::Map::new();
            stacks.insert(format!("{name}\n{other}:+1,+0x10"), json!(1));
            json!({"Program": name, "Version": other, "GoVersion": name, "GOOS": other,
                   "GOARCH": name, "Counters": counters, "Stacks": stacks})
        })
        .collect();
    json!({"Week": week, "LastWeek": "", "X": x, "Config": "v0.115.0", "Programs": programs}).to_string()
}

/// Every string in a JSON value.
fn strings(value: &Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

#[test]
fn hostile_names_stay_data_never_paths() {
    let f = Fixture::new();
    let text = hostile_report();
    assert!(text.len() < 100 * 1024, "{}", text.len());
    f.write("2026-01-05/0.5.json", &text);
    f.write("2026-01-06/0.5.json", hostile_report_on("2026-01-06", 0.5));
    // Hostile file names: an escape sequence and a forged summary line; a name that is not
    // UTF-8; a report whose names are not UTF-8.
    f.write("2026-01-05/\u{1b}[2J\nskipped nothing: <script>.json", "{not json");
    let odd = f.data().join("2026-01-05").join(OsStr::from_bytes(b"\xff\xfe.json"));
    fs::write(&odd, report("2026-01-05", 0.25, 1)).unwrap();
    let mut not_utf8 = report("2026-01-05", 0.75, 1).into_bytes();
    let at = not_utf8.windows(4).position(|w| w == b"tool").unwrap();
    not_utf8[at] = 0xC0;
    f.write("2026-01-05/0.75.json", not_utf8);

    let summary_path = f.dir.path().join("summary.json");
    let run = run_bounded(&[
        OsStr::new("build"),
        f.data().as_os_str(),
        f.site().as_os_str(),
        OsStr::new("--summary-json"),
        summary_path.as_os_str(),
    ]);
    assert_no_panic(&run);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "an escape sequence reached the terminal");
    assert!(!run.stderr.contains("\nskipped nothing"), "a forged line:\n{}", run.stderr);
    let summary: Value = serde_json::from_str(&fs::read_to_string(&summary_path).unwrap()).unwrap();
    assert_eq!(summary["reports_valid"], 3, "{summary:#}");
    let reasons: Vec<&str> =
        summary["skipped"].as_array().unwrap().iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["invalid_utf8", "malformed"], "{summary:#}");
    for skip in summary["skipped"].as_array().unwrap() {
        let path = skip["path"].as_str().unwrap();
        assert!(!path.chars().any(char::is_control), "{path:?}");
    }

    // Nothing written beside SITE but the lock, the cache (its snapshot) and what the test
    // asked for.
    let mut beside: Vec<String> =
        fs::read_dir(f.dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    beside.sort();
    assert_eq!(beside, [".site.cache", ".site.lock", ".site.spare", "data", "site", "summary.json"]);

    // Every path in SITE is a plain file or folder inside it, and no two writes collided.
    let site = fs::canonicalize(f.site()).unwrap();
    let mut files = 0u64;
    for entry in walkdir::WalkDir::new(&site).follow_links(false) {
        let entry = entry.unwrap();
        let kind = entry.file_type();
        assert!(kind.is_file() || kind.is_dir(), "{:?}", entry.path());
        let rel = entry.path().strip_prefix(&site).unwrap();
        for part in rel.components() {
            let part = part.as_os_str().to_string_lossy();
            assert!(part != ".." && !part.chars().any(char::is_control), "{rel:?}");
        }
        assert!(fs::canonicalize(entry.path()).unwrap().starts_with(&site));
        files += u64::from(kind.is_file());
    }
    assert_eq!(summary["files_written"], files, "two outputs went to one file");

    // The names come back verbatim from the JSON: escaped, never lost or altered.
    let mut chart_strings = std::collections::BTreeSet::new();
    for entry in fs::read_dir(site.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let value: Value = serde_json::from_slice(&fs::read(&path).unwrap()).expect("chart JSON parses");
        strings(&value, &mut chart_strings);
    }
    for name in hostile_names() {
        assert!(chart_strings.contains(&name), "program {name:?} missing from the charts");
    }
    let raw = fs::read_to_string(site.join("data/2026-01-05.json")).unwrap();
    let lines: Vec<Value> = raw.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let original: Value = serde_json::from_str(&text).unwrap();
    assert!(lines.contains(&original), "the hostile report is not kept verbatim");
}

// ---------------------------------------------------------------------------------------
// Exit codes and messages
// ---------------------------------------------------------------------------------------

#[test]
fn misuse_gets_one_clear_line_never_a_panic() {
    let f = Fixture::new();
    valid_reports(&f);
    let data = path_str(&f.data()).to_string();
    let site = path_str(&f.site()).to_string();
    let file = f.dir.path().join("a-file");
    fs::write(&file, b"x").unwrap();
    let file = path_str(&file).to_string();
    let missing = format!("{data}/missing");
    let in_file = format!("{file}/site");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["build", &missing, &site], 2),
        (vec!["build", &file, &site], 2),
        (vec!["build", &data, &file], 1),
        (vec!["build", &data, &in_file], 1),
        (vec!["build", &data, &site, "--upload-config", &missing], 2),
        (vec!["build", &data, &site, "--upload-config", &file], 2),
        (vec!["build", &data, &site, "--chart-config", &data], 2),
        (vec!["build", &data, &site, "--max-report-bytes", "-1"], 2),
        (vec!["build", &data, &site, "--max-report-bytes", "0"], 1),
        // Every file unreadable, so nothing valid: an input error.
        (vec!["build", &data, &site, "--max-file-bytes", "0"], 1),
        (vec!["build", &data, &site, "--max-report-bytes", "18446744073709551615"], 0),
        (vec!["build", &data, &site, "--max-file-bytes", "18446744073709551615"], 0),
        (vec!["build", &data, &site, "-j", "0"], 2),
        (vec!["build", &data, &site, "--summary-json", &data], 2),
        (vec!["build"], 2),
        (vec!["frobnicate"], 2),
    ];
    for (args, code) in cases {
        let args_os: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let run = run_bounded(&args_os);
        assert_no_panic(&run);
        if code >= 0 {
            assert_eq!(run.code, Some(code), "{args:?}: {}", run.stderr);
        } else {
            assert!(matches!(run.code, Some(0 | 1)), "{args:?}: {}", run.stderr);
        }
        if code > 0 && args.len() > 2 {
            let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error")).collect();
            assert_eq!(errors.len(), 1, "{args:?}: {}", run.stderr);
        }
    }
    assert_eq!(fs::read(&file).unwrap(), b"x", "a SITE that is a file is left alone");
}

/// `bytes` gzipped.
fn gzipped(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_data_without_gz_in_its_name_or_gzipped_twice_is_one_unreadable_file_not_hundreds_of_lines() {
    // Lines of reports for another day, so that their compressed bytes hold newlines.
    let lines: String = (1..400)
        .map(|i| {
            format!(
                "{{\"Week\":\"2026-02-01\",\"X\":{},\"Programs\":null,\"Config\":\"v0.115.0\"}}\n",
                i as f64 / 401.0
            )
        })
        .collect();
    let gz = gzipped(lines.as_bytes());
    assert!(gz.iter().filter(|&&b| b == b'\n').count() > 2, "the compressed data holds newlines");
    let (_f, summary) = beside_valid_reports(&[], |f| {
        f.write("2026-02-01.json", &gz);
        f.write("2026-02-02.json.gz", gzipped(&gz));
        f.write("2026-01-05/0.9.json", gzipped(b"{\"Week\":\"2026-01-05\",\"X\":0.9}\n"));
    });
    for (path, why) in [
        ("2026-02-01.json", "its name does not end in `.gz`"),
        ("2026-02-02.json.gz", "gzipped twice"),
        ("2026-01-05/0.9.json", "its name does not end in `.gz`"),
    ] {
        let skips = skips_of(&summary, path);
        assert_eq!(skips.len(), 1, "one skip for the whole file: {path}: {skips:?}");
        assert_eq!((skips[0].0, skips[0].1.as_str()), (0, "unreadable"), "{path}");
        assert!(skips[0].2.contains(why), "{path}: {}", skips[0].2);
    }
    assert_eq!(summary["reports_skipped"], 3);
}

#[test]
fn a_gzipped_merged_file_cut_short_keeps_the_lines_before_and_names_the_line_it_breaks_off_in() {
    // Two gzip members: ten whole reports, then a second member cut off inside its header,
    // so the decompressed text ends exactly after line 10 and the stream then breaks.
    let lines: String = (1..=10)
        .map(|i| {
            format!("{{\"Week\":\"2026-02-03\",\"X\":{},\"Programs\":null,\"Config\":\"v0.115.0\"}}\n", i as f64 / 16.0)
        })
        .collect();
    let mut bytes = gzipped(lines.as_bytes());
    bytes.extend_from_slice(&gzipped(b"{\"Week\":\"2026-02-03\",\"X\":0.9}\n")[..5]);
    let f = Fixture::new();
    f.write("2026-02-03.json.gz", &bytes);
    let summary = build(&f, &f.site(), &[]);
    assert_eq!(summary["reports_valid"], 10, "{summary:#}");
    let skips = skips_of(&summary, "2026-02-03.json.gz");
    assert_eq!(skips.len(), 1, "{skips:?}");
    assert_eq!((skips[0].0, skips[0].1.as_str()), (11, "unreadable"));
    assert!(skips[0].2.contains("the 10 lines before it are read"), "{}", skips[0].2);
    let data = fs::read_to_string(f.site().join("data/2026-02-03.json")).unwrap();
    assert_eq!(data, lines, "the ten reports are the day's raw data");
}

#[test]
fn a_git_lfs_or_annex_pointer_is_one_unreadable_file_that_says_how_to_fetch_it() {
    // What a data repository kept with Git LFS holds when checked out without its files.
    let lfs = "version https://git-lfs.github.com/spec/v1\n\
               oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n\
               size 12345\n";
    let pointers = ["2026-01-05/0.9.json", "2026-01-07.jsonl", "2026-01-08.json.gz", "2026-01-05/0.95.json.gz"];
    let (_f, summary) = beside_valid_reports(&[], |f| {
        for path in pointers {
            f.write(path, lfs);
        }
        f.write("2026-01-09.jsonl", "/annex/objects/SHA256E-s1234--0123abcd.jsonl\n");
    });
    for path in pointers {
        let skips = skips_of(&summary, path);
        assert_eq!(skips.len(), 1, "one skip for the whole file, not one per line: {path}: {skips:?}");
        assert_eq!(skips[0].0, 0, "{path}");
        assert_eq!(skips[0].1, "unreadable", "{path}");
        assert!(
            skips[0].2.contains("Git LFS pointer") && skips[0].2.contains("git lfs pull"),
            "{path}: {}",
            skips[0].2
        );
    }
    let annex = skips_of(&summary, "2026-01-09.jsonl");
    assert!(annex.len() == 1 && annex[0].2.contains("git annex get"), "{annex:?}");
    assert_eq!(summary["reports_skipped"], 5);
}
