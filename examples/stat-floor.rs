//! The floor of a rebuild that proves no input changed: list every folder under DATA and
//! stat every file in it, on all cores, and nothing else (no parsing, no cache, no site).
//!
//! `cargo run --release --example stat-floor -- DATA` prints the number of files and their
//! total size. `bench/run.py` times it beside (d), the rebuild with no change: in the upload
//! layout, a million files, it is most of what (d) costs.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

fn main() {
    let Some(data) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: stat-floor DATA");
        std::process::exit(2);
    };
    let (files, bytes) = stat_all(&data);
    println!("{files} files, {bytes} bytes");
}

/// (files, bytes) under `dir`: its folders are listed and stat'ed in parallel.
fn stat_all(dir: &Path) -> (u64, u64) {
    let Ok(entries) = std::fs::read_dir(dir) else { return (0, 0) };
    let entries: Vec<std::fs::DirEntry> = entries.filter_map(Result::ok).collect();
    entries
        .par_iter()
        .map(|entry| match std::fs::symlink_metadata(entry.path()) {
            Ok(meta) if meta.is_dir() => stat_all(&entry.path()),
            Ok(meta) => (1, meta.len()),
            Err(_) => (0, 0),
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}
