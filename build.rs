//! Sets `TELEMETRY_SITE_SOURCE`: a hash of the sources, templates and static files the
//! binary is built from. Caches and snapshots are keyed on it as well as on the version,
//! so a binary built from other sources never trusts what another one wrote.

use std::hash::Hasher;
use std::path::Path;

fn main() {
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    for dir in ["src", "templates", "static"] {
        println!("cargo:rerun-if-changed={dir}");
        add_tree(Path::new(dir), &mut hash);
    }
    println!("cargo:rustc-env=TELEMETRY_SITE_SOURCE={:016x}", hash.finish());
}

/// Every file under `dir`, in name order: its path and its bytes.
fn add_tree(dir: &Path, hash: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            add_tree(&path, hash);
        } else if let Ok(bytes) = std::fs::read(&path) {
            hash.write(path.to_string_lossy().as_bytes());
            hash.write(&bytes);
        }
    }
}
