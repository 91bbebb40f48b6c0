//! Commands run at the same time on one DATA: a `merge` removes the files it merges, so a
//! build or a check waits for it, and a merge waits for them and for another merge.
//! The test holds DATA's lock itself (an `flock` on the folder, as the commands take it),
//! so what the binary does while it is held is certain, not a matter of timing.

use std::fs::File;
use std::os::fd::AsRawFd;

use crate::common::{line_starting, path_str, spawn, stderr};
use crate::foundation::{aggregation_fixture, read_tree};

/// Holds an `flock` on `data` (`libc::LOCK_EX` as a merge, `LOCK_SH` as a build) until dropped.
fn hold(data: &std::path::Path, operation: libc::c_int) -> File {
    let dir = File::open(data).unwrap();
    // SAFETY: flock on a valid, owned descriptor.
    assert_eq!(unsafe { libc::flock(dir.as_raw_fd(), operation | libc::LOCK_NB) }, 0, "DATA is free");
    dir
}

#[test]
fn a_build_during_a_merge_waits_for_it_and_reads_every_report() {
    let f = aggregation_fixture();
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = read_tree(&f.site());
    let merging = hold(&f.data(), libc::LOCK_EX);
    let (build, said) = spawn(&["build", path_str(&f.data()), path_str(&f.site()), "--no-cache"]);
    line_starting(&said, "waiting for a `merge` of").expect("the build says it waits");
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
fn a_check_waits_for_a_merge_too_and_notes_it_in_its_summary() {
    let f = aggregation_fixture();
    let merging = hold(&f.data(), libc::LOCK_EX);
    let summary = f.data().with_file_name("check.json");
    let (check, said) = spawn(&["check", path_str(&f.data()), "--summary-json", path_str(&summary)]);
    line_starting(&said, "waiting for a `merge` of").expect("the check says it waits");
    drop(merging);
    let checked: Vec<String> = said.iter().collect();
    let status = check.wait_with_output().unwrap().status;
    assert!(checked.iter().any(|l| l.starts_with("checked ")), "{checked:?}");
    assert!(status.code().is_some());
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let notes = summary["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().starts_with("waited for a `merge` of DATA")), "{notes:?}");
}

#[test]
fn a_merge_waits_for_a_build_reading_data_or_another_merge_then_merges() {
    for operation in [libc::LOCK_SH, libc::LOCK_EX] {
        let f = aggregation_fixture();
        let tree = read_tree(&f.data());
        let held = hold(&f.data(), operation);
        let (merge, said) = spawn(&["merge", path_str(&f.data()), "--before", "2026-02-01"]);
        let waiting = line_starting(&said, "waiting for the build, check or merge using");
        assert!(waiting.is_some(), "the merge says it waits");
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(read_tree(&f.data()) == tree, "DATA is left as it is while the merge waits");
        drop(held);
        let out = merge.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(read_tree(&f.data()) != tree, "merged once DATA is free");
    }
}
