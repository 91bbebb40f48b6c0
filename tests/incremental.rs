//! Incremental builds and `merge`: after every kind of change, a build that uses the cache
//! gives the same site, byte for byte, as a clean build (`--no-cache`) of the same inputs.

use std::path::Path;

use serde_json::json;

use crate::common::{path_str, run, stderr, Fixture};
use crate::foundation::{aggregation_fixture, program, read_tree, report, GOPLS};

/// Builds `f` incrementally into its site, then from scratch into a second site, and
/// checks both trees are identical. Returns the incremental build's stderr.
fn assert_same_as_clean(f: &Fixture, extra: &[&str]) -> String {
    let out = f.build(&[&["-v"], extra].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let clean = f.dir.path().join("clean");
    let clean_cache = f.dir.path().join("clean-cache");
    let data = f.data();
    let args = [&["build", path_str(&data), path_str(&clean), "--no-cache", "--cache", path_str(&clean_cache)], extra]
        .concat();
    let fresh = run(&args);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    assert_eq!(tree_names(&f.site()), tree_names(&clean));
    assert!(read_tree(&f.site()) == read_tree(&clean), "incremental and clean builds differ");
    std::fs::remove_dir_all(&clean).unwrap();
    stderr(&out)
}

fn forget_snapshot(f: &Fixture) {
    std::fs::remove_file(f.dir.path().join(".site.cache/snapshot.json")).unwrap();
}

fn tree_names(root: &Path) -> Vec<String> {
    read_tree(root).into_iter().map(|(name, _)| name).collect()
}

fn late_report() -> String {
    report("2026-01-05", 0.9, json!([program(GOPLS, "v0.10.0", "go1.22.0", "windows", "arm64", json!({}))]))
}

/// The summary's "N of the site's M files (B bytes)": files written, files in the site,
/// bytes written.
fn files_written(text: &str) -> (u64, u64, u64) {
    let line = text.lines().find(|line| line.starts_with("wrote ")).expect("a summary line");
    let (written, rest) = line.split_once(" of the site's ").expect("files written");
    let (files, rest) = rest.split_once(" files (").expect("site files");
    let number = |s: &str| s.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
    (number(written), number(files), number(rest.split(" bytes)").next().unwrap()))
}

#[test]
fn a_rebuild_without_changes_reuses_every_file() {
    let f = aggregation_fixture();
    let text = assert_same_as_clean(&f, &[]);
    // A first build writes every file of the site.
    let (files, bytes) = (tree_names(&f.site()).len() as u64, tree_bytes(&f.site()));
    assert_eq!(files_written(&text), (files, files, bytes), "{text}");
    let text = assert_same_as_clean(&f, &[]);
    assert!(text.contains("nothing changed since the last build"), "{text}");
    assert!(
        text.contains("read 7 reports in 6 files: 6 valid, 1 skipped (1 duplicate)"),
        "the last build's summary: {text}"
    );
    // Without the snapshot, the cache still proves every file and output unchanged.
    forget_snapshot(&f);
    let text = assert_same_as_clean(&f, &[]);
    assert!(text.contains("incremental: 6 of 6 files taken from the cache"), "{text}");
    // Every chart set's page, JSON and CSV, every stacks page and every trend's page, CSV
    // and two SVGs is reused, not rendered again: 8 sets (24 files), 4 weekly stacks
    // pages, 14 trends (56 files).
    assert!(text.contains(", 84 outputs reused"), "{text}");
    // It writes none of the site's files: all are kept as they were.
    assert_eq!(files_written(&text), (0, files, 0), "{text}");
    assert_eq!(std::fs::read_dir(f.site().join("trends")).unwrap().count(), 1 + 3, "index and 3 programs");
    assert!(f.dir.path().join(".site.cache/cache.bin").is_file(), "the cache sits beside SITE");
    assert!(!f.site().join("cache.bin").exists());
}

/// Forty days of history, half merged files and half upload folders, with uploaders seen
/// on several days of a week (weekly repeats), duplicates and stacks on every part of it.
fn long_history() -> Fixture {
    let f = Fixture::new();
    f.write("upload-config.json", crate::foundation::upload_config());
    for i in 0..40 {
        let day = day_after("2026-01-01", i);
        let reports: Vec<String> = (0..6).map(|k| history_report(&day, i, k, history_x(i, k))).collect();
        if i % 2 == 0 {
            let mut lines = reports.clone();
            if i % 4 == 0 {
                // The same X twice in one file: the earlier line is dropped.
                lines.insert(0, history_report(&day, i + 1, 3, history_x(i, 0)));
            }
            f.write(&format!("{day}.json"), lines.join("\n") + "\n");
        } else {
            for (k, text) in reports.iter().enumerate() {
                f.write(&format!("{day}/{}.json", history_x(i, k)), text);
            }
        }
    }
    f
}

fn day_after(start: &str, days: u32) -> String {
    let year = &start[..4];
    let (mut month, mut day) = (start[5..7].parse::<usize>().unwrap(), start[8..].parse::<u32>().unwrap() + days);
    const DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    while day > DAYS[month - 1] {
        day -= DAYS[month - 1];
        month += 1;
    }
    format!("{year}-{month:02}-{day:02}")
}

/// X from a small pool: distinct within a day, most come back on the next days.
fn history_x(i: u32, k: usize) -> f64 {
    f64::from(1 + (i + 2 * k as u32) % 13) / 100.0
}

fn history_report(day: &str, i: u32, k: usize, x: f64) -> String {
    let goos = ["linux", "darwin", "windows"][(i as usize + k) % 3];
    let client = if (i as usize + k).is_multiple_of(2) { "gopls/client:vscode" } else { "gopls/client:eglot" };
    let mut gopls = program(GOPLS, "v0.10.0", "go1.22.0", goos, "amd64", json!({ client: 1 + k }));
    if k == 0 {
        let stack = format!("gopls/bug\ngolang.org/x/tools/gopls/internal/cache.load:+{}", i % 3);
        gopls["Stacks"] = json!({ stack: 1 + i % 2 });
    }
    report(day, x, json!([gopls]))
}

/// [`assert_same_as_clean`], and the summaries agree too (counts, skips in detail).
fn assert_same_summary_as_clean(f: &Fixture) -> String {
    let (ours, theirs) = (f.dir.path().join("ours.json"), f.dir.path().join("theirs.json"));
    let text = assert_same_as_clean(f, &["--summary-json", path_str(&ours)]);
    let clean = f.dir.path().join("clean2");
    let out = run(&["build", path_str(&f.data()), path_str(&clean), "--no-cache", "--summary-json", path_str(&theirs)]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_dir_all(&clean).unwrap();
    let read = |p: &Path| {
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        for key in ["seconds", "stages", "cpu", "spool_write_seconds", "notes", "files_written", "bytes_written"] {
            v.as_object_mut().unwrap().remove(key);
        }
        v
    };
    assert_eq!(read(&ours), read(&theirs));
    text
}

#[test]
fn a_long_history_is_recounted_only_near_a_change() {
    let f = long_history();
    let text = assert_same_summary_as_clean(&f);
    assert!(text.contains("duplicate"), "the history has duplicates: {text}");
    // A new day (day 40): its daily set and the weekly sets that hold it. Its uploader,
    // X = 0.02 ((40 + 2k) % 13 = 1 with k = 0), also reports within the six days before it
    // on days 38, 36 and 34 (k = 1, 2, 3): those are counted again, for the repeats; the
    // other three are not.
    f.write("2026-02-10.json", history_report("2026-02-10", 40, 0, history_x(40, 0)) + "\n");
    let text = assert_same_summary_as_clean(&f);
    assert!(text.contains("4 of 41 days recounted"), "{text}");
    // Their raw data stays, so only the texts of their reports with stacks (k = 0) are
    // kept: 3 x 5 others, and day 36's extra line.
    assert!(text.contains(", 16 reports counted again without keeping their texts"), "{text}");
    // A late report far back, of an uploader seen on no other day: its day alone.
    f.write("2026-01-20/0.995.json", history_report("2026-01-20", 19, 5, 0.995));
    let text = assert_same_summary_as_clean(&f);
    assert!(text.contains("1 of 41 days recounted"), "{text}");
    assert!(text.contains(", 0 reports counted again without keeping their texts"), "{text}");
    // Parsed again: the folder of that day (six files) and the late one; 142 - 7 taken
    // from the cache.
    assert!(text.contains("incremental: 135 of 142 files taken"), "{text}");
    // A report changed in a merged file, one deleted from an upload folder.
    let merged = f.data().join("2026-01-09.json");
    let changed = std::fs::read_to_string(&merged).unwrap().replacen("linux", "windows", 1);
    std::fs::write(&merged, changed).unwrap();
    std::fs::remove_file(f.data().join(format!("2026-01-30/{}.json", history_x(29, 2)))).unwrap();
    assert_same_summary_as_clean(&f);
    // A duplicate of an early report, from a path that sorts before it (so it is dropped).
    f.write("2026-01-04.json", history_report("2026-01-04", 3, 4, history_x(3, 1)) + "\n");
    assert_same_summary_as_clean(&f);
    // A whole day deleted.
    std::fs::remove_dir_all(f.data().join("2026-01-16")).unwrap();
    assert_same_summary_as_clean(&f);
}

#[test]
fn nothing_changed_is_trusted_only_while_inputs_and_site_are_untouched() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    // An output removed from the site: built again, not replayed.
    std::fs::remove_file(f.site().join("charts/2026-01-05.json")).unwrap();
    let text = assert_same_as_clean(&f, &[]);
    assert!(!text.contains("nothing changed"), "{text}");
    assert!(f.site().join("charts/2026-01-05.json").is_file());
    // An input rewritten with the same bytes (a new mtime): built again.
    let rel = "0-early/2026-01-07/0.4.json";
    let bytes = std::fs::read(f.data().join(rel)).unwrap();
    std::fs::remove_file(f.data().join(rel)).unwrap();
    f.write(rel, bytes);
    let text = assert_same_as_clean(&f, &[]);
    assert!(!text.contains("nothing changed"), "{text}");
    // Another option: built again.
    let text = assert_same_as_clean(&f, &["--title", "Other"]);
    assert!(!text.contains("nothing changed"), "{text}");
    let text = assert_same_as_clean(&f, &["--title", "Other"]);
    assert!(text.contains("nothing changed"), "{text}");
}

#[test]
fn a_new_day_a_late_report_a_change_and_a_deletion() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    // A new day.
    f.write(
        "2026-01-09/0.6.json",
        report("2026-01-09", 0.6, json!([program("cmd/go", "go1.22.0", "go1.22.0", "linux", "amd64", json!({}))])),
    );
    let text = assert_same_as_clean(&f, &[]);
    // Its uploader (X = 0.6) is on no other day: only the new file is parsed.
    assert!(text.contains("incremental: 6 of 7 files taken"), "{text}");
    // A late report for a day that was built already, uploaded into a later folder.
    f.write("2026-01-09/0.9.json", late_report());
    let text = assert_same_as_clean(&f, &[]);
    assert!(f.read_site("data/2026-01-05.json").contains("\"X\":0.9"));
    // Parsed: the late report and the two files of its day (2026-01-05).
    assert!(text.contains("incremental: 5 of 8 files taken"), "{text}");
    // A changed report (different size, so different stat).
    f.write(
        "2026-01-05/0.1.json",
        report(
            "2026-01-05",
            0.1,
            json!([program(GOPLS, "v0.9.0", "go1.21.3", "darwin", "arm64", json!({"gopls/client:eglot": 1}))]),
        ),
    );
    assert_same_as_clean(&f, &[]);
    // The same size, a new inode: content changed behind the size.
    let path = f.data().join("2026-01-05/0.1.json");
    let old = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    f.write("2026-01-05/0.1.json", old.replace("darwin", "linux "));
    assert_same_as_clean(&f, &[]);
    // The same size, the same inode, the mtime put back (`touch -r`, `cp -p`): only the
    // change time tells, and it does.
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("linux ", "darwin")).unwrap();
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    assert_same_as_clean(&f, &[]);
    assert!(f.read_site("data/2026-01-05.json").contains("darwin"));
    // A deleted report.
    std::fs::remove_file(f.data().join("2026-01-05/0.2.json")).unwrap();
    assert_same_as_clean(&f, &[]);
    // A deleted day: its pages and raw data go.
    std::fs::remove_dir_all(f.data().join("2026-01-09")).unwrap();
    assert_same_as_clean(&f, &[]);
    assert!(!f.site().join("data/2026-01-09.json").exists());
}

/// `bytes`, gunzipped.
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut text).unwrap();
    text
}

/// The raw data files of `site`: name and text (gunzipped when the name ends in `.gz`).
fn raw_data(site: &Path) -> Vec<(String, Vec<u8>)> {
    read_tree(&site.join("data"))
        .into_iter()
        .filter(|(name, _)| name != "index.html")
        .map(|(name, bytes)| match name.strip_suffix(".gz") {
            Some(stem) => (stem.to_string(), gunzip(&bytes)),
            None => (name, bytes),
        })
        .collect()
}

/// The size of every file under `root`.
fn tree_bytes(root: &Path) -> u64 {
    read_tree(root).iter().map(|(_, bytes)| bytes.len() as u64).sum()
}

#[test]
fn gzipped_raw_data_holds_the_same_reports_and_rebuilds_as_a_clean_build_does() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    let plain = raw_data(&f.site());
    assert_eq!(plain.len(), 4, "{:?}", plain.iter().map(|(n, _)| n).collect::<Vec<_>>());
    // Switched to gzip: every day's file is replaced, none is left behind.
    let gz = ["--raw-data", "gz"];
    assert_same_as_clean(&f, &gz);
    let names = tree_names(&f.site().join("data"));
    assert!(names.iter().all(|n| n == "index.html" || n.ends_with(".json.gz")), "{names:?}");
    assert_eq!(raw_data(&f.site()), plain, "the same reports, the same bytes, gzipped");
    let index = f.read_site("data/index.html");
    assert!(index.contains(r#"<a href="2026-01-05.json.gz">2026-01-05.json.gz</a>"#), "{index}");
    assert!(!index.contains(r#".json">"#), "{index}");
    // A new day and a late report: only their files are parsed, their days' files rewritten.
    f.write("2026-01-09/0.9.json", late_report());
    f.write(
        "2026-01-09/0.6.json",
        report("2026-01-09", 0.6, json!([program("cmd/go", "go1.22.0", "go1.22.0", "linux", "amd64", json!({}))])),
    );
    let text = assert_same_as_clean(&f, &gz);
    assert!(text.contains("incremental: 4 of 8 files taken"), "{text}");
    let now = raw_data(&f.site());
    let late = &now.iter().find(|(name, _)| name == "2026-01-05.json").unwrap().1;
    assert!(String::from_utf8_lossy(late).contains("\"X\":0.9"));
    assert!(now.iter().any(|(name, _)| name == "2026-01-09.json"));
    let text = assert_same_as_clean(&f, &gz);
    assert!(text.contains("nothing changed since the last build"), "{text}");
    // The site's size, as the summary gives it, is every file's.
    let summary = f.dir.path().join("summary.json");
    forget_snapshot(&f);
    let out = f.build(&["--raw-data", "gz", "--summary-json", path_str(&summary)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(summary["site_bytes"], tree_bytes(&f.site()), "{summary}");
    // And back: the plain files again, no gzipped one left.
    assert_same_as_clean(&f, &[]);
    assert_eq!(raw_data(&f.site()), now);
    assert!(tree_names(&f.site().join("data")).iter().all(|n| !n.ends_with(".gz")));
}

#[test]
fn a_changed_config_or_template_rebuilds() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    let config = crate::foundation::upload_config().replace("\"windows\"", "\"windows\", \"plan9\"");
    f.write("upload-config.json", config);
    let text = assert_same_as_clean(&f, &[]);
    assert!(!text.contains("taken from the cache"), "a new upload config invalidates the cache: {text}");
    assert!(f.read_site("charts/2026-01-05.json").contains("plan9"));
    // A template override changes every page, not the data.
    let templates = f.dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/base.html")).unwrap();
    std::fs::write(templates.join("base.html"), base.replacen("<body", "<!-- restyled --><body", 1)).unwrap();
    let text = assert_same_as_clean(&f, &["--templates", path_str(&templates)]);
    assert!(text.contains("taken from the cache"), "{text}");
    assert!(f.read_site("index.html").contains("<!-- restyled -->"));
}

#[test]
fn a_template_that_shows_the_whole_site_object_rebuilds_every_page_on_a_new_day() {
    let f = aggregation_fixture();
    let templates = f.dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/base.html")).unwrap();
    // The site object holds the newest day without the template naming it.
    std::fs::write(templates.join("base.html"), base.replacen("<body", "<!-- {{ site | json_encode() }} --><body", 1))
        .unwrap();
    let theme = ["--templates", path_str(&templates)];
    assert_same_as_clean(&f, &theme);
    assert!(f.read_site("charts/2026-01-05/index.html").contains("&quot;newest_day&quot;:&quot;2026-01-0"));
    f.write(
        "2026-01-09/0.6.json",
        report("2026-01-09", 0.6, json!([program("cmd/go", "go1.22.0", "go1.22.0", "linux", "amd64", json!({}))])),
    );
    assert_same_as_clean(&f, &theme);
    assert!(f.read_site("charts/2026-01-05/index.html").contains("&quot;newest_day&quot;:&quot;2026-01-09&quot;"));
}

#[test]
fn a_page_template_or_stylesheet_that_is_a_link_is_used_and_its_edits_rebuild() {
    let f = aggregation_fixture();
    let shared = f.dir.path().join("shared");
    let (templates, static_dir) = (f.dir.path().join("templates"), f.dir.path().join("static"));
    for dir in [&shared, &templates, &static_dir, &f.data().join("pages")] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/base.html")).unwrap();
    std::fs::write(shared.join("base.html"), base.replacen("<body", "<!-- linked one --><body", 1)).unwrap();
    std::fs::write(shared.join("style.css"), "body { color: red }").unwrap();
    std::fs::write(shared.join("about.md"), "# About\n\nVersion one.\n").unwrap();
    std::os::unix::fs::symlink(shared.join("base.html"), templates.join("base.html")).unwrap();
    std::os::unix::fs::symlink(shared.join("style.css"), static_dir.join("style.css")).unwrap();
    std::os::unix::fs::symlink(shared.join("about.md"), f.data().join("pages/about.md")).unwrap();
    let theme = ["--templates", path_str(&templates), "--static", path_str(&static_dir)];
    assert_same_as_clean(&f, &theme);
    assert!(f.read_site("index.html").contains("<!-- linked one -->"));
    assert_eq!(f.read_site("static/style.css"), "body { color: red }");
    assert!(f.read_site("about/index.html").contains("Version one."));
    // Edits to the files the links point to are seen, not taken for "nothing changed".
    std::fs::write(shared.join("about.md"), "# About\n\nVersion two.\n").unwrap();
    std::fs::write(shared.join("style.css"), "body { color: blue }").unwrap();
    let text = assert_same_as_clean(&f, &theme);
    assert!(!text.contains("nothing changed"), "{text}");
    assert!(f.read_site("about/index.html").contains("Version two."));
    assert_eq!(f.read_site("static/style.css"), "body { color: blue }");
}

#[test]
fn a_damaged_cache_is_ignored_never_trusted() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    let cache = f.dir.path().join(".site.cache/cache.bin");
    let bytes = std::fs::read(&cache).unwrap();
    // Truncated: noticed, rebuilt from scratch.
    std::fs::write(&cache, &bytes[..bytes.len() / 2]).unwrap();
    f.write("2026-01-09/0.6.json", report("2026-01-09", 0.6, json!(null)));
    let text = assert_same_as_clean(&f, &[]);
    assert!(text.contains("ignored (truncated)"), "{text}");
    // Garbled: a flipped byte in the middle (and no snapshot: nothing else changed).
    forget_snapshot(&f);
    let mut bytes = std::fs::read(&cache).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&cache, &bytes).unwrap();
    let text = assert_same_as_clean(&f, &[]);
    assert!(text.contains("checksum mismatch"), "{text}");
    // Deleted: a plain rebuild.
    std::fs::remove_dir_all(f.dir.path().join(".site.cache")).unwrap();
    assert_same_as_clean(&f, &[]);
    // A published raw data file edited by hand is regenerated, not trusted.
    std::fs::write(f.site().join("data/2026-01-05.json"), "tampered\n").unwrap();
    assert_same_as_clean(&f, &[]);
    assert!(!f.read_site("data/2026-01-05.json").contains("tampered"));
}

#[test]
fn merge_keeps_the_site_and_the_skips() {
    let f = aggregation_fixture();
    f.write("2026-01-06/0.71.json", "{\"Week\": ");
    f.write("2026-01-06/notes.txt", "kept");
    // Uploads may be gzipped one by one: a valid one is merged, a damaged one set aside.
    f.write_gz("2026-01-06/0.72.json.gz", report("2026-01-06", 0.72, json!(null)));
    f.write("2026-01-06/0.73.json.gz", "not gzip");
    // A valid report under a hidden name: not read by the build, so not merged either.
    f.write("2026-01-06/.0.74.json", report("2026-01-06", 0.74, json!(null)));
    // A duplicate of R1 (day 01-05, X 0.1) in a folder that sorts after it: it wins.
    f.write(
        "2026-01-06/0.1.json",
        report("2026-01-05", 0.1, json!([program(GOPLS, "v0.9.0", "go1.21.3", "windows", "amd64", json!({}))])),
    );
    let before_json = f.dir.path().join("before.json");
    let out = f.build(&["--summary-json", path_str(&before_json)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = read_tree(&f.site());
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-08"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(f.data().join("2026-01-05.json.gz").is_file());
    assert!(f.data().join("2026-01-06.json.gz").is_file());
    assert!(!f.data().join("2026-01-05").exists() && !f.data().join("2026-01-06").exists());
    assert!(f.data().join("2026-01-08").is_dir(), "days from --before on are left alone");
    assert_eq!(std::fs::read_to_string(f.data().join("rejected/2026-01-06/0.71.json")).unwrap(), "{\"Week\": ");
    assert!(f.data().join("rejected/2026-01-06/notes.txt").is_file());
    assert!(f.data().join("rejected/2026-01-06/0.73.json.gz").is_file());
    assert!(f.data().join("rejected/2026-01-06/.0.74.json").is_file(), "a hidden file is set aside");
    assert!(!f.data().join("rejected/2026-01-06/0.72.json.gz").exists(), "a gzipped upload is merged");
    let merged = String::from_utf8(gunzip(&std::fs::read(f.data().join("2026-01-06.json.gz")).unwrap())).unwrap();
    assert!(merged.contains("\"X\":0.72"), "{merged}");
    assert!(!merged.contains("\"X\":0.74"), "{merged}");
    let after_json = f.dir.path().join("after.json");
    let out = f.build(&["--summary-json", path_str(&after_json)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(read_tree(&f.site()) == before, "the site changed after merge");
    let summary =
        |p: &Path| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    let (b, a) = (summary(&before_json), summary(&after_json));
    assert_eq!(b["skipped_by_reason"], a["skipped_by_reason"]);
    assert_eq!(b["reports_valid"], a["reports_valid"]);
    assert_eq!(b["skipped_by_reason"], json!([["malformed", 1], ["duplicate", 2], ["unreadable", 1]]));
    // A second merge has nothing left to do; a clean build agrees with the cached one.
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-08"]);
    assert!(stderr(&out).contains("merged 0 day folders"), "{}", stderr(&out));
    assert_same_as_clean(&f, &[]);
}

#[test]
fn merge_leaves_a_day_whose_duplicate_would_change_winner_and_merges_the_rest() {
    let f = aggregation_fixture();
    // A `.jsonl` beside the 01-05 folder sorts before `2026-01-05/` but after
    // `2026-01-05.json.gz`: its copy of R2 (X 0.2) loses now, and would win once merged.
    let r2_again =
        report("2026-01-05", 0.2, json!([program(GOPLS, "v0.9.0", "go1.21.3", "linux", "amd64", json!({}))]));
    let other = report("2026-01-05", 0.25, json!(null));
    f.write("2026-01-05.jsonl", format!("{other}\n{r2_again}\n"));
    // Beside 01-06's folder, a `.ndjson` with no report of that folder: no reason to stop.
    f.write("2026-01-06/0.61.json", report("2026-01-06", 0.61, json!(null)));
    f.write("2026-01-06.ndjson", format!("{}\n", report("2026-01-06", 0.62, json!(null))));
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = read_tree(&f.site());
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-08"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("2026-01-05.jsonl`: holds a report (line 2) with the Week and X of `0.2.json`"), "{said}");
    assert!(f.data().join("2026-01-05/0.2.json").is_file(), "the day is left as it is");
    assert!(!f.data().join("2026-01-05.json.gz").exists());
    assert!(f.data().join("2026-01-06.json.gz").is_file() && !f.data().join("2026-01-06").exists());
    let out = f.build(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(read_tree(&f.site()) == before, "the site changed after merge");
}

#[test]
fn a_file_rejected_again_under_the_same_name_is_kept_beside_the_first() {
    let f = aggregation_fixture();
    let merge = || {
        let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-08"]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let skips = |name: &str| -> serde_json::Value {
        let json = f.dir.path().join(name);
        let out = f.build(&["--summary-json", path_str(&json)]);
        assert!(out.status.success(), "{}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        json!([summary["skipped_by_reason"], summary["unrecognised"].as_array().unwrap().len()])
    };
    f.write("2026-01-06/0.71.json", "{\"Week\": ");
    f.write("2026-01-06/notes.txt", "first");
    f.write("2026-01-06/sub/0.5.json", "{");
    merge();
    // The same names uploaded again, with other bytes, and merged again.
    f.write("2026-01-06/0.71.json", "{\"X\": ");
    f.write("2026-01-06/notes.txt", "second");
    f.write("2026-01-06/sub/0.5.json", "[");
    let before = skips("before.json");
    merge();
    assert_eq!(skips("after.json"), before, "the same skips and files not recognised");
    let read = |rel: &str| std::fs::read_to_string(f.data().join(rel)).unwrap();
    assert_eq!(read("rejected/2026-01-06/0.71.json"), "{\"Week\": ");
    assert_eq!(read("rejected/2/2026-01-06/0.71.json"), "{\"X\": ");
    assert_eq!(
        (read("rejected/2026-01-06/notes.txt").as_str(), read("rejected/2/2026-01-06/notes.txt").as_str()),
        ("first", "second")
    );
    assert_eq!(read("rejected/2/2026-01-06/sub/0.5.json"), "[", "a folder too");
    assert!(!f.data().join("2026-01-06").exists());
}

#[test]
fn merge_leaves_a_day_holding_a_git_lfs_pointer_as_it_is_and_merges_the_others() {
    let f = aggregation_fixture();
    // 2026-01-06 as a checkout that did not fetch its Git LFS files holds it.
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 1234\n";
    f.write("2026-01-06/0.99.json", pointer);
    let day = read_tree(&f.data().join("2026-01-06"));
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-09"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("2026-01-06/0.99.json") && said.contains("Git LFS pointer") && said.contains("git lfs pull"),
        "{said}"
    );
    assert!(said.contains("merged 2 day folders") && said.contains("1 day folder could not be merged"), "{said}");
    assert_eq!(read_tree(&f.data().join("2026-01-06")), day, "the day is left as it was");
    assert!(!f.data().join("rejected").exists(), "nothing rejected");
    assert!(!f.data().join("2026-01-06.json.gz").exists());
    for merged in ["2026-01-05", "2026-01-08"] {
        assert!(
            f.data().join(format!("{merged}.json.gz")).exists() && !f.data().join(merged).exists(),
            "the days before and after it are merged: {merged}"
        );
    }
}

#[test]
fn merge_leaves_a_day_holding_a_file_it_may_not_read_as_it_is() {
    let f = aggregation_fixture();
    f.write("2026-01-06/0.97.json", report("2026-01-06", 0.97, json!(null)));
    let locked = f.data().join("2026-01-06/0.97.json");
    let (mut merge, as_nobody) = crate::hostile::unprivileged(
        f.dir.path(),
        &["merge", path_str(&f.data()), "--before", "2026-01-08"].map(std::ffi::OsStr::new),
    );
    if as_nobody {
        // `nobody` merges: DATA is theirs, but for the file they may not read.
        for entry in walkdir::WalkDir::new(f.data()) {
            std::os::unix::fs::chown(entry.unwrap().path(), Some(crate::hostile::NOBODY), Some(crate::hostile::NOBODY))
                .unwrap();
        }
    }
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let names = tree_names(&f.data().join("2026-01-06"));
    let out = merge.output().unwrap();
    let _ = std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("2026-01-06/0.97.json") && said.contains("Permission denied"), "{said}");
    assert_eq!(tree_names(&f.data().join("2026-01-06")), names, "the day is left as it was");
    assert!(!f.data().join("rejected").exists(), "a file the system would not let merge read is not rejected");
    assert!(!f.data().join("2026-01-06.json.gz").exists());
}

#[test]
fn a_merge_cut_short_is_finished_by_the_next_one() {
    let f = aggregation_fixture();
    let out = f.build(&[]);
    assert!(out.status.success());
    let before = read_tree(&f.site());
    // Simulate a merge killed after its merged file was written but before the folder was
    // removed: the folder's reports are both in the merged file and in the folder.
    let folder = f.data().join("2026-01-05");
    let saved = f.dir.path().join("saved");
    copy_dir(&folder, &saved);
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-06"]);
    assert!(out.status.success(), "{}", stderr(&out));
    copy_dir(&saved, &folder);
    let out = run(&["merge", path_str(&f.data()), "--before", "2026-01-06"]);
    assert!(stderr(&out).contains("2 already merged"), "{}", stderr(&out));
    assert!(!folder.exists());
    let out = f.build(&[]);
    assert!(out.status.success());
    assert!(read_tree(&f.site()) == before);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_template_showing_the_newest_day_on_every_page_is_never_stale() {
    let f = aggregation_fixture();
    let templates = f.dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/base.html")).unwrap();
    let footer = base.replacen("</body>", "<p class=\"through\">through {{ site.newest_day }}</p></body>", 1);
    assert_ne!(footer, base);
    std::fs::write(templates.join("base.html"), footer).unwrap();
    let args = ["--templates", path_str(&templates)];
    assert_same_as_clean(&f, &args);
    f.write("2026-01-09/0.6.json", report("2026-01-09", 0.6, json!(null)));
    assert_same_as_clean(&f, &args);
    assert!(f.read_site("charts/2026-01-05/index.html").contains("through 2026-01-09"));
}

/// Every file of `root` with its (device, inode).
fn inodes(root: &Path) -> Vec<(String, (u64, u64))> {
    use std::os::unix::fs::MetadataExt;
    let mut files: Vec<_> = tree_names(root)
        .into_iter()
        .map(|rel| {
            let meta = std::fs::symlink_metadata(root.join(&rel)).unwrap();
            (rel, (meta.dev(), meta.ino()))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_old_site_is_kept_as_a_spare_and_never_written_in_place() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    let spare = f.dir.path().join(".site.spare");
    // After a first build the spare is the site itself, file for file (hard links).
    assert_eq!(inodes(&spare), inodes(&f.site()));
    // A name for the old site's home page and newest chart set page outside both trees:
    // if a build wrote into a file shared with the spare, these would change.
    let keep = f.dir.path().join("keep");
    std::fs::create_dir(&keep).unwrap();
    let watched = ["index.html", "charts/index.html", "data/index.html"];
    let before: Vec<String> = watched.iter().map(|rel| f.read_site(rel)).collect();
    for (i, rel) in watched.iter().enumerate() {
        std::fs::hard_link(f.site().join(rel), keep.join(i.to_string())).unwrap();
    }
    // A new day changes all three pages.
    f.write(
        "2026-01-09/0.6.json",
        report("2026-01-09", 0.6, json!([program("cmd/go", "go1.22.0", "go1.22.0", "linux", "amd64", json!({}))])),
    );
    assert_same_as_clean(&f, &[]);
    for (i, rel) in watched.iter().enumerate() {
        assert_ne!(f.read_site(rel), before[i], "{rel} changed with the new day");
        assert_eq!(std::fs::read_to_string(keep.join(i.to_string())).unwrap(), before[i], "{rel} written in place");
        // The spare is now the old site.
        assert_eq!(std::fs::read_to_string(spare.join(rel)).unwrap(), before[i], "{rel}");
    }
    // `--no-cache` keeps no spare.
    let out = f.build(&["--no-cache"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!spare.exists());
}

#[test]
fn data_copied_afresh_rebuilds_to_the_same_files_with_their_timestamps() {
    // As on a CI runner that restores DATA each night: every input has a new mtime and
    // inode, so each is read again; the site's files come out the same and stay as they
    // were (the same inodes, so the same timestamps: a sync by size and mtime copies nothing).
    let f = long_history();
    assert_same_as_clean(&f, &[]);
    let before = inodes(&f.site());
    let old = f.dir.path().join("data-before");
    std::fs::rename(f.data(), &old).unwrap();
    for entry in walkdir::WalkDir::new(&old).min_depth(1) {
        let entry = entry.unwrap();
        let to = f.data().join(entry.path().strip_prefix(&old).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let text = assert_same_as_clean(&f, &[]);
    assert!(!text.contains("nothing changed"), "every input is new: {text}");
    let after = inodes(&f.site());
    let again: Vec<&String> = after.iter().filter(|file| !before.contains(file)).map(|(rel, _)| rel).collect();
    assert!(again.is_empty(), "written again: {again:?}");
    assert_eq!(after.len(), before.len());
}

#[test]
fn a_tampered_spare_is_put_right_and_never_followed() {
    let f = aggregation_fixture();
    assert_same_as_clean(&f, &[]);
    let spare = f.dir.path().join(".site.spare");
    let outside = f.dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("victim.html"), "untouched").unwrap();
    // A reused file replaced by another (a new inode with other bytes; a file edited in
    // place would be the site's own, so that is not tried), extra files and folders, a
    // file where a folder belongs, and links to the outside, as file and as folder.
    std::fs::remove_file(spare.join("404.html")).unwrap();
    std::fs::write(spare.join("404.html"), "stale").unwrap();
    std::fs::write(spare.join("junk.html"), "junk").unwrap();
    std::fs::create_dir_all(spare.join("junk/deeper")).unwrap();
    std::fs::write(spare.join("junk/deeper/x.html"), "x").unwrap();
    std::fs::remove_dir_all(spare.join("config")).unwrap();
    std::fs::write(spare.join("config"), "a file where a folder was").unwrap();
    std::os::unix::fs::symlink(outside.join("victim.html"), spare.join("charts/index.html.tmp")).unwrap();
    std::fs::remove_file(spare.join("charts/index.html")).unwrap();
    std::os::unix::fs::symlink(outside.join("victim.html"), spare.join("charts/index.html")).unwrap();
    std::fs::remove_dir_all(spare.join("trends")).unwrap();
    std::os::unix::fs::symlink(&outside, spare.join("trends")).unwrap();
    f.write("2026-01-09/0.9.json", late_report());
    assert_same_as_clean(&f, &[]);
    assert_eq!(std::fs::read_to_string(outside.join("victim.html")).unwrap(), "untouched");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1, "nothing written through a link");
    // No change at all, but the spare tampered again, then the snapshot forgotten: the
    // cache proves every output unchanged, and the site still matches a clean build.
    std::fs::write(spare.join("stray.html"), "stray").unwrap();
    forget_snapshot(&f);
    assert_same_as_clean(&f, &[]);
}

/// A file that cannot be read counts as one report read and skipped, whether its outcome is
/// found by this build or taken from the cache by the next: the reports read are always
/// the valid and the skipped ones (a later build once counted it read, the first not).
#[test]
fn an_unreadable_file_is_counted_alike_by_clean_and_incremental_builds() {
    let f = aggregation_fixture();
    f.write("2026-01-05/0.8.json.gz", "not gzip at all");
    let counts = |args: &[&str], name: &str| -> (u64, u64, u64) {
        let path = f.dir.path().join(name);
        let out = f.build(&[args, &["--summary-json", path_str(&path)]].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let n = |key: &str| s[key].as_u64().unwrap();
        (n("reports_read"), n("reports_valid"), n("reports_skipped"))
    };
    // 7 reports, 6 valid, 1 duplicate; and the unreadable file.
    assert_eq!(counts(&[], "first.json"), (8, 6, 2));
    f.write("2026-01-05/0.9.json", late_report());
    let incremental = counts(&[], "incremental.json");
    assert_eq!(incremental, (9, 7, 2));
    assert_eq!(counts(&["--no-cache"], "clean.json"), incremental);
}
