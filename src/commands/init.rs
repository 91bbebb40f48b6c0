//! `telemetry-site init DIR`: a starter project that builds at once.
//!
//! ```text
//! DIR/
//!   data/upload-config.json        Go's upload config (or a minimal one with --minimal)
//!   data/chart-config.txt          Go's chart config (or a minimal one)
//!   data/telemetry-site.toml       the site config, every key shown
//!   data/pages/index.md            text above the charts
//!   data/pages/privacy.md          what is collected and how
//!   .github/workflows/telemetry-site.yml   nightly build and GitHub Pages deploy
//!   .gitignore, README.md
//! ```
//!
//! Like `cargo init` and `mdbook init`, it never overwrites a file unless `--force`, and it
//! leaves every other file in DIR alone. An existing `.gitignore` (a repository made on
//! GitHub has one) is the exception: the lines the site needs that it lacks are appended.

use std::path::Path;

use crate::cli::InitArgs;

use super::{fail, Exit};

pub const GO_UPLOAD_CONFIG: &str = include_str!("../../data/upload-config.json");
pub const GO_CHART_CONFIG: &str = include_str!("../../data/chart-config.txt");
/// The GitHub Actions workflow, also shipped as `docs/github-pages-workflow.yml`.
pub const WORKFLOW: &str = include_str!("../../docs/github-pages-workflow.yml");

pub const MINIMAL_UPLOAD_CONFIG: &str = r#"{
	"GOOS": ["darwin", "linux", "windows"],
	"GOARCH": ["amd64", "arm64"],
	"GoVersion": ["go1.26.0", "go1.27.0"],
	"SampleRate": 1,
	"Programs": [
		{
			"Name": "example.com/cmd/hello",
			"Versions": ["v1.0.0", "v1.1.0"],
			"Counters": [
				{"Name": "hello/invocations", "Rate": 1},
				{"Name": "hello/mode:{fast,slow}", "Rate": 1}
			]
		}
	]
}
"#;

pub const MINIMAL_CHART_CONFIG: &str = "\
title: Invocations of hello
counter: hello/invocations
description: how many times hello runs.
type: partition
program: example.com/cmd/hello
version: v1.0.0
---
title: Modes of hello
counter: hello/mode:{fast,slow}
description: which mode hello runs in.
type: partition
program: example.com/cmd/hello
version: v1.0.0
";

const SITE_CONFIG: &str = r#"# telemetry-site settings. Keys are named like the flags of `telemetry-site build`;
# a flag given on the command line wins. Paths are relative to this folder.

title = "Telemetry"
description = "Usage statistics uploaded by users who opted in to telemetry."
# base_url = "https://OWNER.github.io/REPO/"   # for the feed and the 404 page

# pages = "pages"                      # Markdown pages (the default)
# templates = "../theme/templates"     # templates overriding the built-in ones
# static = "../theme/static"           # static files overriding the built-in ones
# upload_config = "upload-config.json" # the default
# chart_config = "chart-config.txt"    # the default

# max_report_bytes = 102400            # larger reports are skipped
# max_file_bytes = 1073741824          # largest decompressed file (1 GiB)
# strict = false                       # build: exit 1 when any report is skipped
# max_age = 3                          # check: exit 1 when no report arrived in 3 days
# trend_min_uploaders = 30             # trend points on fewer uploaders are low-confidence
# raw_data = "gz"                      # data/<D>.json.gz: a twelfth of the size (GitHub Pages: 1 GB)
"#;

const INDEX_PAGE: &str = "\
# Telemetry

These charts summarise the usage reports uploaded by people who opted in to telemetry.
Each report covers one week of one installation; nothing in it identifies a person.

Until the first reports arrive, the charts are empty: no data has arrived yet.
";

const PRIVACY_PAGE: &str = "\
# Privacy

Telemetry is off unless you turn it on. When it is on, your tools count events locally and
upload, once a week, a report of counters named in the published upload config: program
versions, operating system, architecture and counts. Reports carry no file names, no
source code and no personal data. The raw reports are published on this site, as uploaded
but for fields a report does not have, which are left out.
";

const README: &str = "\
# Telemetry dashboard

The public dashboard of our telemetry reports, built with `telemetry-site`.

- `data/`: uploaded reports (`<Week>/<X>.json`), the upload and chart configs,
  `telemetry-site.toml` (site settings) and `pages/` (Markdown pages).
- `.github/workflows/telemetry-site.yml`: builds the site nightly and publishes it on
  GitHub Pages (Settings > Pages > Source: GitHub Actions).

Preview locally:

    telemetry-site serve data       # http://127.0.0.1:1111/, rebuilt on every change
    telemetry-site check data       # validate the configs and every report
    telemetry-site build data site  # what the workflow publishes
";

/// What a build beside `data/` leaves that must not be committed.
const GITIGNORE: &str =
    "/site\n/.site.cache\n/.site.lock\n/.site.spare\n/.site.staging-*\n/.site.spool-*\n/build-summary.json\n";

/// The starter files: (path under DIR, contents).
pub fn files(minimal: bool) -> Vec<(&'static str, &'static str)> {
    let (upload, chart) =
        if minimal { (MINIMAL_UPLOAD_CONFIG, MINIMAL_CHART_CONFIG) } else { (GO_UPLOAD_CONFIG, GO_CHART_CONFIG) };
    vec![
        ("data/upload-config.json", upload),
        ("data/chart-config.txt", chart),
        ("data/telemetry-site.toml", SITE_CONFIG),
        ("data/pages/index.md", INDEX_PAGE),
        ("data/pages/privacy.md", PRIVACY_PAGE),
        (".github/workflows/telemetry-site.yml", WORKFLOW),
        (".gitignore", GITIGNORE),
        ("README.md", README),
    ]
}

pub fn run(args: &InitArgs) -> Result<Exit, Exit> {
    let mut kept = 0;
    for (rel, contents) in files(args.minimal) {
        let path = args.dir.join(rel);
        let existing = std::fs::symlink_metadata(&path).ok();
        if rel == ".gitignore" && existing.as_ref().is_some_and(std::fs::Metadata::is_file) {
            add_missing_lines(&path, contents)?;
            continue;
        }
        // A symbolic link is there, dangling or not: kept, or with --force replaced itself.
        if existing.is_some() && !args.force {
            eprintln!("kept {} (it exists; --force replaces it)", path.display());
            kept += 1;
            continue;
        }
        write(&path, contents)?;
        eprintln!("wrote {}", path.display());
    }
    let (data, site) = (shell_word(&args.dir.join("data")), shell_word(&args.dir.join("site")));
    eprintln!(
        "\nnext:\n  telemetry-site serve {data}          # preview on http://127.0.0.1:1111/\n  \
         telemetry-site build {data} {site}    # what the workflow publishes",
    );
    match kept {
        0 => {}
        1 => eprintln!("note: 1 existing file left as it was"),
        n => eprintln!("note: {n} existing files left as they were"),
    }
    Ok(Exit::Success)
}

/// Appends to the file at `path` (a repository's own `.gitignore`) the lines of `ours` it
/// does not have, after a comment; its own lines stay as they are, `--force` or not, so
/// neither the user's rules nor the site's are lost.
fn add_missing_lines(path: &Path, ours: &str) -> Result<(), Exit> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(Exit::Usage, format!("`{}`: cannot read: {e}", path.display())))?;
    let missing = missing_lines(&text, ours);
    if missing.is_empty() {
        eprintln!("kept {} (it has every entry the site needs)", path.display());
        return Ok(());
    }
    let mut merged = text;
    if !merged.is_empty() && !merged.ends_with('\n') {
        merged.push('\n');
    }
    merged.push_str("# telemetry-site: what a build writes beside data/\n");
    for line in &missing {
        merged.push_str(line);
        merged.push('\n');
    }
    write(path, &merged)?;
    eprintln!("added to {} (your lines are kept): {}", path.display(), missing.join(" "));
    Ok(())
}

/// The lines of `ours` that `text` lacks (compared with surrounding spaces trimmed).
fn missing_lines<'a>(text: &str, ours: &'a str) -> Vec<&'a str> {
    let have: std::collections::HashSet<&str> = text.lines().map(str::trim).collect();
    ours.lines().filter(|line| !have.contains(line)).collect()
}

/// `path` as a shell word to copy and paste: quoted when it holds anything but plain
/// path characters.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c)) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Writes `contents` to a new file beside `path`, then renames it over `path`: a symbolic
/// link there is replaced, never written through (to a file outside DIR).
fn write(path: &Path, contents: &str) -> Result<(), Exit> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| fail(Exit::Usage, format!("`{}`: cannot create the folder: {e}", parent.display())))?;
    let cannot = |e: std::io::Error| fail(Exit::Usage, format!("`{}`: cannot write: {e}", path.display()));
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(cannot)?;
    file.write_all(contents.as_bytes()).map_err(cannot)?;
    // A temporary file is private (0600); a project's files are not.
    file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ChartConfigFile, UploadConfig};
    use crate::site_config::SiteConfig;

    #[test]
    fn starter_configs_parse() {
        for minimal in [false, true] {
            let files = files(minimal);
            let get = |name: &str| files.iter().find(|(rel, _)| *rel == name).unwrap().1;
            UploadConfig::parse(get("data/upload-config.json")).unwrap();
            ChartConfigFile::parse(get("data/chart-config.txt")).unwrap();
            SiteConfig::parse(get("data/telemetry-site.toml")).unwrap();
        }
    }

    #[test]
    fn an_existing_gitignore_gets_only_the_lines_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gitignore");
        std::fs::write(&path, "*.log\n  /site  \n/build-summary.json").unwrap();
        add_missing_lines(&path, GITIGNORE).unwrap();
        let expected = "*.log\n  /site  \n/build-summary.json\n# telemetry-site: what a build writes beside data/\n\
                        /.site.cache\n/.site.lock\n/.site.spare\n/.site.staging-*\n/.site.spool-*\n";
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
        add_missing_lines(&path, GITIGNORE).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected, "a second run adds nothing");
    }
}
