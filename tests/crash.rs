//! Crash safety: a build killed at any moment leaves `<SITE>` wholly old or wholly new,
//! and the next build succeeds; two builds at once never corrupt it.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::Fixture;
use crate::hostile::{assert_no_panic, finish, report, spawn, DEADLINE};

/// A tree as (path -> `None` for a folder, `Some(bytes)` for a file); `None` if missing.
type Tree = Option<BTreeMap<String, Option<Vec<u8>>>>;

fn snapshot(root: &Path) -> Tree {
    if fs::symlink_metadata(root).is_err() {
        return None;
    }
    let mut tree = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(root).unwrap().display().to_string();
        let kind = entry.file_type();
        assert!(kind.is_file() || kind.is_dir(), "{rel}: neither file nor folder");
        tree.insert(rel, kind.is_file().then(|| fs::read(entry.path()).unwrap()));
    }
    Some(tree)
}

fn restore(tree: &Tree, root: &Path) {
    if fs::symlink_metadata(root).is_ok() {
        fs::remove_dir_all(root).unwrap();
    }
    fs::create_dir(root).unwrap();
    for (rel, bytes) in tree.as_ref().unwrap() {
        match bytes {
            None => fs::create_dir_all(root.join(rel)).unwrap(),
            Some(bytes) => fs::write(root.join(rel), bytes).unwrap(),
        }
    }
}

/// Reports over `days` days from 2026-01-01, `per_day` a day, a few programs and counters.
fn generate(f: &Fixture, days: u32, per_day: u32, seed: u64) {
    for day in 0..days {
        let week = format!("2026-{:02}-{:02}", 1 + day / 28, 1 + day % 28);
        let mut merged = String::new();
        for i in 0..per_day {
            let x = (f64::from(i) + 0.5) / f64::from(per_day + 1);
            let starts = (seed + u64::from(day * per_day + i)) % 97;
            let text = report(&week, x, starts);
            if i % 2 == 0 {
                f.write(&format!("{week}/{x}.json"), text);
            } else {
                merged.push_str(&text);
                merged.push('\n');
            }
        }
        f.write(&format!("{week}.jsonl"), merged);
    }
}

/// `build DATA SITE`, with the spool in the fixture (a killed build leaves it there).
fn start(f: &Fixture, data: &Path, site: &Path) -> (std::process::Child, Instant) {
    let tmp = f.dir.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let args: [&OsStr; 3] = [OsStr::new("build"), data.as_os_str(), site.as_os_str()];
    let started = Instant::now();
    (spawn(&args, &[("TMPDIR", &tmp)]), started)
}

fn build_ok(f: &Fixture, data: &Path, site: &Path) -> f64 {
    let (child, started) = start(f, data, site);
    let run = finish(child, started, DEADLINE);
    assert_no_panic(&run);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.seconds
}

fn staging_dirs(parent: &Path) -> Vec<PathBuf> {
    fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".site.staging-"))
        .collect()
}

/// Old data, and new data that changes some files of the site and keeps others.
fn old_and_new() -> (Fixture, PathBuf, PathBuf) {
    let f = Fixture::new();
    generate(&f, 50, 100, 0);
    let old = f.dir.path().join("old-data");
    fs::rename(f.data(), &old).unwrap();
    generate(&f, 56, 100, 1);
    let new = f.dir.path().join("new-data");
    fs::rename(f.data(), &new).unwrap();
    fs::create_dir(f.data()).unwrap();
    (f, old, new)
}

#[test]
fn a_killed_build_leaves_the_old_site_or_the_new_one() {
    let (f, old_data, new_data) = old_and_new();
    let site = f.site();
    // The two trees a kill may leave, each built without interruption.
    build_ok(&f, &old_data, &site);
    let old = snapshot(&site);
    let reference = f.dir.path().join("reference");
    build_ok(&f, &new_data, &reference);
    let new = snapshot(&reference);
    assert_ne!(old, new);
    // The time a whole rebuild over the old site takes, restored as each round restores it.
    restore(&old, &site);
    let full = build_ok(&f, &new_data, &site);
    assert_eq!(snapshot(&site), new);

    // Kill at 0, 5, 20, 50, 100 and 200 ms, then from half a rebuild on in steps of a
    // sixteenth until two builds got to the end first: the late stages (writing, syncing,
    // the swap, removing the old tree) are hit on the way.
    let mut outcomes = Vec::new();
    let step = Duration::from_secs_f64(full / 16.0).max(Duration::from_millis(5));
    let mut delay = Duration::ZERO;
    let mut finished = 0;
    for round in 0..48 {
        delay = match round {
            0..=5 => Duration::from_millis([0, 5, 20, 50, 100, 200][round]),
            6 => Duration::from_secs_f64(full / 2.0),
            _ => delay + step,
        };
        restore(&old, &site);
        let (mut child, _) = start(&f, &new_data, &site);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; harmless if it has already finished
        let _ = child.wait();
        let now = snapshot(&site);
        assert!(now.is_some(), "killed after {delay:?}: SITE is missing");
        let which = if now == old {
            "old"
        } else if now == new {
            finished += usize::from(round > 5); // in the sweep
            "new"
        } else {
            panic!("killed after {delay:?}: SITE is neither the old site nor the new one");
        };
        outcomes.push(format!("{}ms:{which}", delay.as_millis()));
        if finished == 2 || delay > DEADLINE / 4 {
            break;
        }
    }
    eprintln!("full rebuild {full:.3}s; kills: {}", outcomes.join(" "));

    // The next build succeeds, replaces what a kill left, and cleans up after it.
    restore(&old, &site);
    build_ok(&f, &new_data, &site);
    assert_eq!(snapshot(&site), new);
    assert_eq!(staging_dirs(f.dir.path()), Vec::<PathBuf>::new());
    assert!(f.dir.path().join(".site.lock").is_file());
    assert!(!site.join(".site.lock").exists(), "the lock is never inside SITE");
}

#[test]
fn leftovers_of_a_killed_build_do_not_break_the_next() {
    let f = Fixture::new();
    generate(&f, 3, 4, 0);
    // A lock file (no longer held: its holder died) and two stale staging folders.
    fs::write(f.dir.path().join(".site.lock"), b"").unwrap();
    for stale in [".site.staging-Ab12Cd", ".site.staging-zzzzzz"] {
        fs::create_dir_all(f.dir.path().join(stale).join("charts")).unwrap();
        fs::write(f.dir.path().join(stale).join("charts/x.json"), b"{").unwrap();
    }
    // And a spool folder a killed build left (its reports' texts), plus a look-alike of
    // another site's that must stay.
    fs::create_dir_all(f.dir.path().join(".site.spool-Xy12z9")).unwrap();
    fs::write(f.dir.path().join(".site.spool-Xy12z9/f0.jsonl"), b"{}\n").unwrap();
    fs::create_dir_all(f.dir.path().join(".site2.spool-Xy12z9")).unwrap();
    build_ok(&f, &f.data(), &f.site());
    assert_eq!(staging_dirs(f.dir.path()), Vec::<PathBuf>::new());
    assert!(f.site().join("charts").is_dir());
    assert!(!f.dir.path().join(".site.spool-Xy12z9").exists(), "a stale spool is removed");
    assert!(f.dir.path().join(".site2.spool-Xy12z9").exists(), "another site's spool is left alone");
    let spools = fs::read_dir(f.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".site.spool-"));
    assert_eq!(spools.count(), 0, "the build removes its own spool");
}

/// Whether process `pid` holds an flock on `path` (from `/proc/locks`).
fn holds_lock(pid: u32, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    let locks = fs::read_to_string("/proc/locks").unwrap_or_default();
    let inode = format!(":{} ", meta.ino());
    locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"FLOCK") && fields.get(4) == Some(&pid.to_string().as_str()) && line.contains(&inode)
    })
}

#[test]
fn a_second_build_at_once_stops_with_one_clear_line() {
    let (f, _old, new_data) = old_and_new();
    let site = f.site();
    let reference = f.dir.path().join("reference");
    build_ok(&f, &new_data, &reference);
    let new = snapshot(&reference);
    let lock = f.dir.path().join(".site.lock");
    let (mut first, first_started) = start(&f, &new_data, &site);
    let pid = first.id();
    let mut overlapped = false;
    while first_started.elapsed() < DEADLINE {
        if holds_lock(pid, &lock) {
            overlapped = true;
            break;
        }
        if first.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let (second, second_started) = start(&f, &new_data, &site);
    let second = finish(second, second_started, DEADLINE);
    let first = if overlapped {
        finish(first, first_started, DEADLINE)
    } else {
        eprintln!("the first build ended before its lock was seen: nothing to check");
        let _ = first.wait();
        return;
    };
    assert_no_panic(&first);
    assert_no_panic(&second);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_eq!(snapshot(&site), new, "SITE is the new site");
    assert_eq!(second.code, Some(2), "a held lock is an environment error: {}", second.stderr);
    let lines: Vec<&str> = second.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", second.stderr);
    assert!(
        lines[0].starts_with("error: `")
            && lines[0].contains(&format!("{}`", lock.display()))
            && lines[0].contains("another build of"),
        "{}",
        lines[0]
    );
}

/// `build DATA SITE --summary-json SUMMARY` with files limited to `max_file_bytes` (see
/// [`with_file_limit`]).
fn build_with_file_limit(f: &Fixture, max_file_bytes: Option<u64>, args: &[&str]) -> (Option<i32>, String) {
    let summary = f.dir.path().join("summary.json");
    let mut command = with_file_limit(max_file_bytes);
    command.args([OsStr::new("build"), f.data().as_os_str(), f.site().as_os_str()]);
    command.args([OsStr::new("--summary-json"), summary.as_os_str()]).args(args);
    let out = command.output().expect("the build runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The binary, to run with the files it writes limited to `max_file_bytes`, as a full disk
/// would stop them: writes past the limit fail with EFBIG, the signal ignored.
fn with_file_limit(max_file_bytes: Option<u64>) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut command = crate::common::command(&[]);
    if let Some(limit) = max_file_bytes {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    command
}

#[test]
fn check_writes_nothing_while_it_reads_so_a_full_disk_or_a_missing_tmpdir_cannot_stop_it() {
    let f = Fixture::new();
    let lines: String = (1..=2000).map(|i| report("2026-01-07", f64::from(i) / 2001.0, 2) + "\n").collect();
    f.write("2026-01-07.json", lines);
    f.write("2026-01-05/0.1.json", report("2026-01-05", 0.1, 1));
    // Not a byte may be written to any file, and there is no temporary folder to write in.
    let tmp = f.dir.path().join("no-such-folder");
    let out = with_file_limit(Some(0)).env("TMPDIR", &tmp).arg("check").arg(f.data()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("checked 2001 reports in 2 files: 2001 valid, 0 skipped"), "{said}");
    assert!(!tmp.exists());
}

/// Three valid reports, built without limits; the site as built.
fn three_reports_built() -> (Fixture, Tree) {
    let f = Fixture::new();
    for x in [0.1, 0.2, 0.3] {
        f.write(&format!("2026-01-05/{x}.json"), report("2026-01-05", x, 1));
    }
    assert_eq!(build_with_file_limit(&f, None, &[]).0, Some(0));
    let site = snapshot(&f.site());
    (f, site)
}

#[test]
fn a_spool_that_cannot_be_written_stops_the_build_instead_of_skipping_the_reports() {
    let (f, before) = three_reports_built();
    // 2,000 valid reports in one file: about 600 KB to spool, past a 256 KB limit on the
    // files the build may write (every file of the site stays well under it).
    let lines: String = (1..=2000).map(|i| report("2026-01-07", f64::from(i) / 2001.0, 2) + "\n").collect();
    assert!(lines.len() > 500_000);
    f.write("2026-01-07.jsonl", &lines);
    let (code, stderr) = build_with_file_limit(&f, Some(256 * 1024), &[]);
    assert_eq!(code, Some(1), "as for a site that cannot be written: {stderr}");
    assert!(stderr.contains("cannot write the spool of valid reports in"), "{stderr}");
    assert!(stderr.contains("File too large") && stderr.contains("the site is left as it was"), "{stderr}");
    assert_eq!(snapshot(&f.site()), before, "the site is as the last build left it");
    // With room again, every report is read: none was remembered as skipped.
    let (code, stderr) = build_with_file_limit(&f, None, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(f.dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!((summary["reports_valid"].as_u64(), summary["reports_skipped"].as_u64()), (Some(2003), Some(0)));
}

#[test]
fn a_site_that_cannot_be_written_is_left_as_it_was_and_the_error_says_so() {
    let (f, before) = three_reports_built();
    // A new title changes every page; pages past 16 KB cannot be written.
    let (code, stderr) = build_with_file_limit(&f, Some(16 * 1024), &["--title", "Another title"]);
    assert_eq!(code, Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: `") && last.ends_with("File too large (os error 27); the site is left as it was"),
        "{stderr}"
    );
    assert_eq!(snapshot(&f.site()), before, "the site is as the last build left it");
}
