//! Commands run at the same time on one DATA: a `merge` removes the files it merges, so a
//! build or a check waits for it, and a merge waits for nobody (it is refused at once).
//! The test holds DATA's lock itself (an `flock` on the folder, as the commands take it),
//! so what the binary does while it is held is certain, not a matter of timing.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{path_str, run, stderr};
use crate::foundation::{aggregation_fixture, read_tree};

/// Holds an `flock` on `data` (`libc::LOCK_EX` as a merge, `LOCK_SH` as a build) until dropped.
fn hold(data: &std::path::Path, operation: libc::c_int) -> File {
    let dir = File::open(data).unwrap();
    // SAFETY: flock on a valid, owned descriptor.
    assert_eq!(unsafe { libc::flock(dir.as_raw_fd(), operation | libc::LOCK_NB) }, 0, "DATA is free");
    dir
}

/// Starts the binary with `args`, and returns it with a channel of its stderr's lines.
fn spawn(args: &[&str]) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_telemetry-site"))
        .args(args)
        .env_remove("TELEMETRY_SITE_LOG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, said) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    (child, said)
}

/// Waits (at most a minute) for a line containing `text`.
fn expect_line(said: &mpsc::Receiver<String>, text: &str) {
    loop {
        match said.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => {}
            Err(e) => panic!("no line saying `{text}`: {e}"),
        }
    }
}

#[test]
fn a_build_during_a_merge_waits_for_it_and_reads_every_report() {
    let f = aggregation_fixture();
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = read_tree(&f.site());
    let merging = hold(&f.data(), libc::LOCK_EX);
    let (build, said) = spawn(&["build", path_str(&f.data()), path_str(&f.site()), "--no-cache"]);
    expect_line(&said, "waiting for a `merge` of");
    // What the merge holding the lock does, done while the build waits for it: every day
    // folder's files go, into merged files.
    let summary = telemetry_site::merge::merge(
        &f.data(),
        None,
        &Default::default(),
        telemetry_site::day::Day::parse("2026-02-01").unwrap(),
    )
    .unwrap();
    assert!(summary.reports_merged > 0);
    drop(merging);
    let out = build.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(read_tree(&f.site()) == before, "the build read the merged data whole, as before the merge");
}

#[test]
fn a_check_waits_for_a_merge_too() {
    let f = aggregation_fixture();
    let merging = hold(&f.data(), libc::LOCK_EX);
    let (check, said) = spawn(&["check", path_str(&f.data())]);
    expect_line(&said, "waiting for a `merge` of");
    drop(merging);
    let checked: Vec<String> = said.iter().collect();
    let status = check.wait_with_output().unwrap().status;
    assert!(checked.iter().any(|l| l.starts_with("checked ")), "{checked:?}");
    assert!(status.code().is_some());
}

#[test]
fn a_merge_is_refused_while_a_build_reads_data_or_another_merge_runs() {
    let f = aggregation_fixture();
    let tree = read_tree(&f.data());
    for operation in [libc::LOCK_SH, libc::LOCK_EX] {
        let held = hold(&f.data(), operation);
        let out = run(&["merge", path_str(&f.data()), "--before", "2026-02-01"]);
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains("another merge, a build or a check is using this data directory"), "{said}");
        assert!(read_tree(&f.data()) == tree, "DATA is left as it was");
        drop(held);
    }
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-02-01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(read_tree(&f.data()) != tree, "merged once DATA is free");
}
