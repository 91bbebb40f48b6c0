//! Skips agree with the manifest of `../shared/tools/gen-reports`, entry by entry.
//!
//! The project never needs `../shared` to build or test; this check runs when the generator
//! is there (as in CI) and says so and returns when it is not.

use std::path::Path;
use std::process::Command;

use crate::common::{path_str, stderr, Fixture};

fn generator() -> Option<std::path::PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen-reports");
    path.is_file().then_some(path)
}

fn check_layout(extra: &[&str]) {
    let Some(gen) = generator() else {
        eprintln!("../shared/tools/gen-reports not found: manifest check not run");
        return;
    };
    let f = Fixture::new();
    let manifest = f.dir.path().join("manifest.tsv");
    let out = Command::new("python3")
        .arg(&gen)
        .args(["--out", path_str(&f.data()), "--force", "--days", "10", "--reports-per-day", "120", "--bad", "0.06"])
        .args(["--seed", "5", "--manifest", path_str(&manifest)])
        .args(extra)
        .output()
        .expect("python3 runs the generator");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    f.write("upload-config.json", std::fs::read(root.join("data/upload-config.json")).unwrap());
    let summary = f.dir.path().join("summary.json");
    let out = f.build(&["--summary-json", path_str(&summary), "--no-cache"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let compare = Command::new("python3")
        .arg(root.join("bench/check-manifest.py"))
        .args([path_str(&manifest), path_str(&summary)])
        .output()
        .expect("python3 runs the comparison");
    let text = String::from_utf8_lossy(&compare.stdout);
    assert!(compare.status.success(), "{text}");
    assert!(text.trim_end().ends_with("OK"), "{text}");
}

#[test]
fn upload_layout_skips_match_the_manifest() {
    check_layout(&[]);
}

#[test]
fn merged_gzipped_layout_skips_match_the_manifest() {
    check_layout(&["--layout", "merged", "--gzip"]);
}
