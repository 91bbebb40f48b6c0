//! The maintainer's workflow: `check`, `init`, site config, exit codes, completions, and
//! output fit for CI logs.

use crate::common::{path_str, run, stderr, Fixture};

/// A valid upload-layout report of gopls for `week`, with `X` = `x`.
pub fn report(week: &str, x: &str) -> String {
    format!(
        "{{\"Week\":\"{week}\",\"LastWeek\":\"\",\"X\":{x},\"Programs\":[{{\"Program\":\"golang.org/x/tools/gopls\",\
         \"Version\":\"v0.17.0\",\"GoVersion\":\"go1.23.0\",\"GOOS\":\"linux\",\"GOARCH\":\"amd64\",\
         \"Counters\":{{\"gopls/client:vscode\":3}},\"Stacks\":{{}}}}],\"Config\":\"v0.115.0\"}}\n"
    )
}

/// DATA with two good reports, on 2026-11-02 and 2026-11-03.
pub fn clean() -> Fixture {
    let f = Fixture::new();
    f.write("2026-11-02/0.25.json", report("2026-11-02", "0.25"));
    f.write("2026-11-03/0.5.json", report("2026-11-03", "0.5"));
    f
}

#[test]
fn check_passes_clean_data_and_writes_nothing() {
    let f = clean();
    let out = run(&["check", path_str(&f.data()), "--today", "2026-11-04", "--max-age", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("checked 2 reports in 2 files: 2 valid, 0 skipped"), "{}", stderr(&out));
    assert!(!f.site().exists());
}

#[test]
fn check_names_reasons_and_offending_lines() {
    let f = clean();
    f.write("2026-11-03/0.75.json", "{\"Week\": ");
    let line = report("2026-11-04", "0.125");
    f.write("2026-11-04.json", format!("{line}{}", line.replace("\"Config\":\"v0.115.0\"", "\"Config\":\"oops\"")));
    let json = f.dir.path().join("out/nested/check.json"); // folders made as needed
    let out = run(&["check", path_str(&f.data()), "--summary-json", path_str(&json)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["reports_skipped"], 2);
    assert!(err.contains("1 malformed"), "{err}");
    assert!(err.contains("1 bad_config"), "{err}");
    assert!(err.contains("2026-11-03/0.75.json: malformed"), "{err}");
    assert!(err.contains("2026-11-04.json:2: bad_config"), "{err}");
    assert!(err.contains("error: 2 of 5 reports skipped"), "{err}");
}

#[test]
fn check_max_age_fails_when_uploads_stop() {
    let f = clean();
    let data_dir = f.data();
    let data = path_str(&data_dir);
    let out = run(&["check", data, "--today", "2026-11-10", "--max-age", "3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the newest valid report is from 2026-11-03, 7 days before 2026-11-10"),
        "{}",
        stderr(&out)
    );
    // From the site config too.
    f.write("telemetry-site.toml", "max_age = 7\n");
    assert_eq!(run(&["check", data, "--today", "2026-11-10"]).status.code(), Some(0));
    assert_eq!(run(&["check", data, "--today", "2026-11-11"]).status.code(), Some(1));
    let empty = Fixture::new();
    let out = run(&["check", path_str(&empty.data()), "--max-age", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no valid report at all"));
}

#[test]
fn check_max_age_is_not_fooled_by_a_report_dated_in_the_future() {
    let f = clean();
    // A client with a wrong clock (or a made-up Week); and one a day ahead of UTC.
    f.write("9999-12-31/0.75.json", report("9999-12-31", "0.75"));
    let out = run(&["check", path_str(&f.data()), "--today", "2026-11-10", "--max-age", "3"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the newest valid report is from 2026-11-03, 7 days before 2026-11-10"), "{err}");
    assert!(err.contains("warning: reports of 1 day after 2026-11-11, the last 9999-12-31, are dated in the future"));
    let out = run(&["check", path_str(&f.data()), "--today", "2026-11-02", "--max-age", "3"]);
    assert_eq!(out.status.code(), Some(0), "2026-11-03 is tomorrow: {}", stderr(&out));
}

#[test]
fn build_warns_of_reports_dated_after_tomorrow_which_the_home_page_follows() {
    let f = clean();
    let out = f.build(&[]);
    assert!(out.status.success());
    assert!(!stderr(&out).contains("dated in the future"), "{}", stderr(&out));
    f.write("9999-12-31/0.75.json", report("9999-12-31", "0.75"));
    let out = f.build(&[]);
    let err = stderr(&out);
    // Still a valid report (issue 3), so the build succeeds and charts it.
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning: reports of 1 day after "), "{err}");
    assert!(err.contains("the last 9999-12-31, are dated in the future"), "{err}");
    assert!(err.contains("the home page, the trends and the feed follow the newest of them"), "{err}");
    assert!(!stderr(&f.build(&["-q"])).contains("dated in the future"));
}

#[test]
fn check_from_a_builds_summary_gives_the_same_verdict_without_reading_the_reports() {
    let f = clean();
    let json = f.dir.path().join("build-summary.json");
    let (data, summary) = (path_str(&f.data()).to_string(), path_str(&json).to_string());
    let build = || assert!(f.build(&["--summary-json", &summary]).status.success());
    let check = |today: &str, from_summary: bool| {
        let mut args = vec!["check", &data, "--today", today, "--max-age", "3"];
        if from_summary {
            args.extend(["--from-summary", &summary]);
        }
        let out = run(&args);
        // The verdict's lines: the counts, the offending files, the errors (not the
        // progress of reading, nor the build's notes).
        let verdict = |l: &&str| !["note: ", "reading reports: ", "aggregating: "].iter().any(|p| l.starts_with(p));
        let said = stderr(&out).lines().filter(verdict).collect::<Vec<_>>().join("\n");
        (out.status.code(), said)
    };
    build();
    assert_eq!(check("2026-11-04", true), check("2026-11-04", false));
    assert_eq!(check("2026-11-04", true).0, Some(0));
    let stale = check("2026-11-10", true);
    assert_eq!(stale, check("2026-11-10", false));
    assert!(stale.1.contains("the newest valid report is from 2026-11-03, 7 days before 2026-11-10"), "{}", stale.1);
    f.write("2026-11-03/0.75.json", "{\"Week\": ");
    build();
    let bad = check("2026-11-04", true);
    assert_eq!(bad, check("2026-11-04", false));
    assert_eq!(bad.0, Some(1));
    assert!(
        bad.1.contains("2026-11-03/0.75.json: malformed") && bad.1.contains("error: 1 of 3 reports skipped"),
        "{}",
        bad.1
    );
    // The summary is judged, not DATA: mended since the build, the verdict stands.
    std::fs::remove_file(f.data().join("2026-11-03/0.75.json")).unwrap();
    assert_eq!(check("2026-11-04", true), bad);
    assert_eq!(check("2026-11-04", false).0, Some(0));
    let typo = format!("{data}-typo");
    let out = run(&["check", &typo, "--from-summary", &summary]);
    assert_eq!(out.status.code(), Some(2), "a missing DATA, as without --from-summary: {}", stderr(&out));
    assert!(stderr(&out).contains("the data directory does not exist"), "{}", stderr(&out));
    std::fs::write(&json, "{}").unwrap();
    let out = run(&["check", &data, "--from-summary", &summary]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a summary written by `build --summary-json`"), "{}", stderr(&out));
}

#[test]
fn check_reports_a_broken_config_with_exit_2() {
    let f = clean();
    f.write("upload-config.json", "{\"GOOS\": [");
    let out = run(&["check", path_str(&f.data())]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("upload-config.json"));
    let out = run(&["check", path_str(&f.data()), "--today", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn exit_codes_follow_the_readme() {
    let empty = Fixture::new();
    assert_eq!(empty.build(&[]).status.code(), Some(0), "an empty DATA builds");
    let f = clean();
    f.write("2026-11-03/0.75.json", "{");
    assert_eq!(f.build(&[]).status.code(), Some(0));
    assert_eq!(f.build(&["--strict"]).status.code(), Some(1));
    let bad = Fixture::new();
    bad.write("2026-11-03/0.75.json", "{");
    assert_eq!(bad.build(&[]).status.code(), Some(1), "reports present, none valid");
    assert_eq!(run(&["build"]).status.code(), Some(2), "usage error");
    assert_eq!(run(&["build", "/nonexistent/data", path_str(&f.site())]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn site_config_sets_what_flags_do_and_flags_win() {
    let f = clean();
    f.write("2026-11-03/0.75.json", "{");
    f.write("telemetry-site.toml", "# settings\ntitle = \"Config title\"\nstrict = true\n");
    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(1), "strict from the config: {}", stderr(&out));
    f.write("telemetry-site.toml", "max_report_bytes = 10\n");
    let out = f.build(&["--summary-json", path_str(&f.dir.path().join("s.json"))]);
    assert_eq!(out.status.code(), Some(1), "every report too large: {}", stderr(&out));
    let out = f.build(&["--max-report-bytes", "100000"]);
    assert_eq!(out.status.code(), Some(0), "the flag wins: {}", stderr(&out));
}

#[test]
fn unknown_site_config_key_names_key_and_line() {
    let f = clean();
    f.write("telemetry-site.toml", "title = \"T\"\n\ntitel = \"typo\"\n");
    for out in [f.build(&[]), run(&["check", path_str(&f.data())])] {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("telemetry-site.toml`:3: unknown key `titel`"), "{err}");
    }
}

#[test]
fn stderr_off_a_terminal_has_no_escape_sequences() {
    let f = clean();
    f.write("2026-11-03/0.75.json", "{");
    for out in [f.build(&[]), f.build(&["-v"]), run(&["check", path_str(&f.data())])] {
        let err = stderr(&out);
        assert!(!err.contains('\x1b'), "escape sequence in {err:?}");
        assert!(!err.contains('\r'), "carriage return in {err:?}");
    }
    // Nothing new: the last build's summary again, and one line for the comparison.
    let err = stderr(&f.build(&[]));
    assert!(err.contains("nothing changed since the last build"), "{err}");
    assert!(err.contains("read 3 reports in 3 files: 2 valid, 1 skipped (1 malformed)"), "{err}");
    f.write("2026-11-03/0.8.json", "{");
    let err = stderr(&f.build(&[]));
    assert!(err.contains("reading reports: 4 files in "), "one line per stage: {err}");
    assert!(err.contains("read 4 reports in 4 files: 2 valid, 2 skipped (2 malformed)"), "{err}");
}

#[test]
fn quiet_prints_only_errors() {
    let f = clean();
    let out = f.build(&["--quiet"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    f.write("2026-11-03/0.75.json", "{");
    let out = f.build(&["--quiet", "--strict"]);
    assert_eq!(stderr(&out), "error: --strict: 1 report skipped\n");
}

#[test]
fn init_then_build_gives_a_site_without_data() {
    for minimal in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("project");
        let mut args = vec!["init", path_str(&project)];
        if minimal {
            args.push("--minimal");
        }
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        for rel in [
            "data/upload-config.json",
            "data/chart-config.txt",
            "data/telemetry-site.toml",
            "data/pages/index.md",
            "data/pages/privacy.md",
            ".github/workflows/telemetry-site.yml",
            "README.md",
        ] {
            assert!(project.join(rel).is_file(), "{rel} missing");
        }
        let workflow = std::fs::read_to_string(project.join(".github/workflows/telemetry-site.yml")).unwrap();
        assert_eq!(workflow, include_str!("../docs/github-pages-workflow.yml"));
        let upload = std::fs::read_to_string(project.join("data/upload-config.json")).unwrap();
        assert_eq!(upload.contains("golang.org/x/tools/gopls"), !minimal);
        let site = project.join("site");
        let out = run(&["build", path_str(&project.join("data")), path_str(&site)]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains("read 0 reports in 0 files"), "{}", stderr(&out));
        assert!(site.is_dir());
        // Whatever the build keeps beside `site/` is ignored by the starter's .gitignore.
        let ignored = std::fs::read_to_string(project.join(".gitignore")).unwrap();
        for entry in std::fs::read_dir(&project).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with(".site") {
                assert!(ignored.lines().any(|l| l == format!("/{name}")), "{name} is not in .gitignore: {ignored}");
            }
        }
        assert!(project.join(".site.cache").is_dir() && project.join(".site.lock").is_file());
        let out = run(&["check", path_str(&project.join("data"))]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn init_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path();
    std::fs::create_dir_all(project.join("data/pages")).unwrap();
    std::fs::write(project.join("README.md"), "mine").unwrap();
    std::fs::write(project.join("data/pages/index.md"), "# Mine").unwrap();
    std::fs::write(project.join("notes.txt"), "other").unwrap();
    let out = run(&["init", path_str(project)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force replaces it"));
    assert_eq!(std::fs::read_to_string(project.join("README.md")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(project.join("data/pages/index.md")).unwrap(), "# Mine");
    assert!(project.join("data/pages/privacy.md").is_file());
    let out = run(&["init", path_str(project), "--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert_ne!(std::fs::read_to_string(project.join("README.md")).unwrap(), "mine");
    assert_eq!(std::fs::read_to_string(project.join("notes.txt")).unwrap(), "other");
}

#[test]
fn init_writes_nothing_through_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let (outside, project) = (dir.path().join("outside.txt"), dir.path().join("p"));
    std::fs::write(&outside, "precious").unwrap();
    std::fs::create_dir_all(project.join("data")).unwrap();
    std::os::unix::fs::symlink("../../outside.txt", project.join("data/telemetry-site.toml")).unwrap();
    std::os::unix::fs::symlink("../nowhere.md", project.join("README.md")).unwrap();
    // Without --force a link, dangling or not, is kept as it is.
    let out = run(&["init", path_str(&project)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.path().join("nowhere.md").exists(), "nothing written where a dangling link points");
    assert!(stderr(&out).contains("note: 2 existing files left as they were"), "{}", stderr(&out));
    // With --force the link itself is replaced; the file it pointed to is left alone.
    let out = run(&["init", path_str(&project), "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    let toml = project.join("data/telemetry-site.toml");
    assert!(std::fs::symlink_metadata(&toml).unwrap().file_type().is_file());
    assert!(std::fs::read_to_string(&toml).unwrap().contains("base_url"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&toml).unwrap().permissions().mode() & 0o777, 0o644);
    assert!(!dir.path().join("nowhere.md").exists());
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef telemetry-site"), ("fish", "complete -c telemetry-site")]
    {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script:.200}");
        assert!(script.contains("serve") && script.contains("max-age"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

/// What bash completes for the words `line` (the last one being completed), with the
/// script `completions bash` prints loaded.
fn bash_completes(line: &[&str]) -> Vec<String> {
    let script = String::from_utf8(run(&["completions", "bash"]).stdout).unwrap();
    let words = line.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
    let (last, before) = (line[line.len() - 1], line[line.len() - 2]);
    let probe = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD={}; _telemetry__site telemetry-site '{last}' '{before}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        line.len() - 1
    );
    let out = std::process::Command::new("bash").arg("-c").arg(probe).output().expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect()
}

#[test]
fn bash_completes_each_subcommands_options() {
    assert!(bash_completes(&["telemetry-site", ""]).contains(&"build".to_string()));
    assert_eq!(bash_completes(&["telemetry-site", "build", "--ra"]), ["--raw-data"]);
    assert_eq!(bash_completes(&["telemetry-site", "check", "--max-a"]), ["--max-age"]);
    assert_eq!(bash_completes(&["telemetry-site", "serve", "--base-p"]), ["--base-path"]);
    assert!(bash_completes(&["telemetry-site", "completions", ""]).contains(&"fish".to_string()));
}

#[test]
fn help_ends_with_examples_and_version_prints() {
    for sub in ["build", "check", "serve", "init", "completions"] {
        let out = run(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("\nExamples:\n"), "{sub}");
    }
    let out = run(&["--version"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("telemetry-site {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn verbose_builds_time_every_stage_and_its_parts() {
    let f = clean();
    // A gzipped merged day, so that there is something to decompress.
    let lines: String = (1..=400).map(|i| report("2026-11-04", &format!("0.{i:04}"))).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, lines.as_bytes()).unwrap();
    f.write("2026-11-04.json.gz", gz.finish().unwrap());
    let json = f.dir.path().join("summary.json");
    let out = f.build(&["-v", "--no-cache", "--summary-json", path_str(&json)]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let stages: Vec<&str> = err
        .lines()
        .filter_map(|line| line.strip_prefix("  "))
        .filter(|line| {
            line.ends_with('s')
                && line.split_whitespace().last().is_some_and(|t| t[..t.len() - 1].parse::<f64>().is_ok())
        })
        .map(|line| line.rsplit_once(' ').unwrap().0.trim_end())
        .collect();
    let expected = [
        "config",
        "walk",
        "compare",
        "cache",
        "identify",
        "read+parse",
        "read+parse/files",
        "read+parse/cache",
        "read+parse/stacks",
        "reading (cpu)",
        "decompressing (cpu)",
        "parsing (cpu)",
        "validating (cpu)",
        "spooling (cpu)",
        "dedup+sort",
        "aggregate",
        "render",
        "render/trends",
        "render/files",
        "render/pages",
        "write",
    ];
    assert_eq!(stages, expected, "{err}");
    // Then the process's CPU time in each part of the build, user and system apart.
    let cpu: Vec<(&str, f64, f64)> = err
        .lines()
        .filter_map(|line| line.strip_prefix("  cpu: "))
        .map(|line| {
            let (part, times) = line.split_once("  ").unwrap_or_else(|| panic!("{line}"));
            let seconds: Vec<f64> = times
                .split_whitespace()
                .filter_map(|t| t.strip_suffix('s'))
                .map(|t| t.parse().unwrap_or_else(|_| panic!("{line}")))
                .collect();
            assert!(times.trim_end().ends_with("system") && seconds.len() == 2, "{line}");
            (part.trim_end(), seconds[0], seconds[1])
        })
        .collect();
    let parts: Vec<&str> = cpu.iter().map(|c| c.0).collect();
    assert_eq!(parts, ["before render", "render", "write"], "{err}");
    // Parsing a handful of reports and rendering a site cost some CPU.
    assert!(cpu.iter().map(|c| c.1 + c.2).sum::<f64>() > 0.0, "{err}");
    // And the time spent writing the raw data's texts into the spool.
    let spooled = err
        .lines()
        .find_map(|line| line.strip_prefix("  raw data spooled: "))
        .and_then(|rest| rest.split_once("s in writes"))
        .and_then(|(secs, _)| secs.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no spool time: {err}"));
    assert!(spooled >= 0.0, "{err}");
    // Too short for -v's three decimals, but timed: the JSON has it in full.
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(summary["spool_write_seconds"].as_f64().is_some_and(|s| s > 0.0), "{summary}");
    let parts: Vec<&str> = summary["cpu"].as_array().unwrap().iter().map(|p| p[0].as_str().unwrap()).collect();
    assert_eq!(parts, ["before render", "render", "write"]);
    // Decompressing, parsing and validating 402 reports, each timed apart.
    let stage = |name: &str| {
        let stages = summary["stages"].as_array().unwrap();
        stages.iter().find(|s| s[0] == name).and_then(|s| s[1].as_f64()).unwrap_or_else(|| panic!("{name}: {summary}"))
    };
    for name in ["decompressing (cpu)", "parsing (cpu)", "validating (cpu)"] {
        assert!(stage(name) > 0.0, "{name}: {summary}");
    }
}

/// Every file and folder under `root`, relative, sorted.
fn tree(root: &std::path::Path) -> Vec<String> {
    let mut all: Vec<String> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap().path().strip_prefix(root).unwrap().display().to_string())
        .collect();
    all.sort();
    all
}

#[test]
fn a_site_or_cache_overlapping_data_is_refused_before_anything_moves() {
    // `build data data` once moved DATA aside as the old site and put the site in its place.
    let f = clean();
    let (data, top) = (f.data(), f.dir.path().to_path_buf());
    let before = tree(&top);
    let cases: [(std::path::PathBuf, &[&str], &str); 5] = [
        (data.clone(), &[], "are the same folder"),
        (data.join("site"), &[], "is inside DATA"),
        (data.join("..").join("data").join("."), &[], "are the same folder"),
        (top.clone(), &[], "is inside SITE"),
        (f.site(), &["--cache", "CACHE"], "the cache"),
    ];
    for (site, extra, says) in cases {
        let cache = data.join("cache");
        let extra: Vec<&str> = extra.iter().map(|a| if *a == "CACHE" { path_str(&cache) } else { a }).collect();
        let out = run(&[&["build", path_str(&data), path_str(&site)], extra.as_slice()].concat());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", site.display());
        assert!(err.contains(says) && err.contains("must be separate folders"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert_eq!(tree(&top), before, "{}: nothing made, moved or removed", site.display());
    }
    // A SITE with no name of its own (`.`, `..`, `/`), run from an empty folder.
    let here = f.dir.path().join("here");
    std::fs::create_dir(&here).unwrap();
    for site in [".", "..", "here/.."] {
        let out = crate::common::command(&["build", path_str(&data), site]).current_dir(&here).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{site}: {}", stderr(&out));
        assert!(stderr(&out).contains("names no folder of its own"), "{site}: {}", stderr(&out));
    }
    std::fs::remove_dir(&here).unwrap();
    assert_eq!(tree(&top), before);

    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_base_url_that_is_not_an_absolute_http_url_is_a_usage_error() {
    let f = clean();
    for bad in ["", "not a url", "/myproject/", "javascript:alert(1)"] {
        let out = f.build(&["--base-url", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("is not an absolute http(s) URL"), "{}", stderr(&out));
    }
    assert!(!f.site().exists(), "nothing built");
    f.write("telemetry-site.toml", "base_url = \"example.github.io/telemetry\"\n");
    let out = f.build(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("telemetry-site.toml`:1:"), "{}", stderr(&out));
    f.write("telemetry-site.toml", "base_url = \"https://example.github.io/elsewhere/\"\n");
    let out = f.build(&["--base-url", "https://example.github.io/telemetry"]);
    assert!(out.status.success(), "the flag wins over the file: {}", stderr(&out));
    assert!(f.read_site("feed.xml").contains("https://example.github.io/telemetry/feed.xml"));
}

#[test]
fn a_missing_theme_folder_or_a_broken_template_is_exit_2_in_one_line() {
    let f = clean();
    for flag in ["--templates", "--static", "--pages"] {
        let out = f.build(&[flag, "nope"]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        let said = stderr(&out);
        assert_eq!(said.lines().count(), 1, "{said}");
        assert!(said.contains(&format!("`nope`: the {flag} folder does not exist")), "{said}");
        assert!(!f.site().exists(), "checked before anything is written");
    }
    let templates = f.dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("base.html"), "{% if %}").unwrap();
    let out = f.build(&["--templates", path_str(&templates)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert_eq!(said.lines().filter(|l| l.starts_with("error:")).count(), 1, "{said}");
    assert!(said.contains("Failed to parse 'base.html': line:column 1:7 expected"), "{said}");
}

#[test]
fn a_summary_path_that_is_a_folder_is_exit_2_before_the_site_is_touched() {
    let f = clean();
    let folder = f.dir.path().join("sumdir");
    std::fs::create_dir_all(&folder).unwrap();
    for args in [vec!["build", path_str(&f.data()), path_str(&f.site())], vec!["check", path_str(&f.data())]] {
        let out = run(&[&args[..], &["--summary-json", path_str(&folder)]].concat());
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("cannot write the summary: it is a directory"), "{}", stderr(&out));
    }
    assert!(!f.site().exists(), "no site was built");
}

#[test]
fn a_summary_path_under_a_file_is_exit_2_before_the_site_is_touched_and_an_old_summary_stays() {
    let f = clean();
    let file = f.dir.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    let under = file.join("new").join("summary.json");
    let out = run(&["build", path_str(&f.data()), path_str(&f.site()), "--summary-json", path_str(&under)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write the summary: `"), "{}", stderr(&out));
    assert!(stderr(&out).contains("notes.txt` is not a directory"), "{}", stderr(&out));
    assert!(!f.site().exists(), "no site was built");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // A summary that can be written is checked without being changed, then replaced.
    let summary = f.dir.path().join("out/summary.json");
    std::fs::create_dir_all(summary.parent().unwrap()).unwrap();
    std::fs::write(&summary, "old").unwrap();
    let out = run(&["build", path_str(&f.data()), path_str(&f.site()), "--summary-json", path_str(&summary)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&summary).unwrap().starts_with('{'));
    let left: Vec<_> = std::fs::read_dir(summary.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing beside the summary: {left:?}");
}

#[test]
fn a_summary_path_inside_data_is_exit_2_and_the_input_stays() {
    let f = clean();
    let config = f.data().join("upload-config.json");
    std::fs::write(&config, "{}").unwrap();
    let linked = f.dir.path().join("linked");
    std::os::unix::fs::symlink(f.data(), &linked).unwrap();
    let summaries = [config.clone(), f.data().join("2026-11-04.json"), linked.join("sub/../s.json")];
    for summary in &summaries {
        for args in [vec!["build", path_str(&f.data()), path_str(&f.site())], vec!["check", path_str(&f.data())]] {
            let out = run(&[&args[..], &["--summary-json", path_str(summary)]].concat());
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            let expected = format!("cannot write the summary: it is inside DATA `{}`", f.data().display());
            assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
        }
    }
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "{}", "the upload config is not replaced");
    assert!(!f.data().join("2026-11-04.json").exists() && !f.data().join("s.json").exists());
    assert!(!f.site().exists(), "no site was built");
}

#[test]
fn init_adds_what_the_site_needs_to_an_existing_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "*.log\n/site\n").unwrap();
    for force in [false, true] {
        let mut args = vec!["init", path_str(dir.path())];
        if force {
            args.push("--force");
        }
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let ignored = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert_eq!(
            ignored,
            "*.log\n/site\n# telemetry-site: what a build writes beside data/\n/.site.cache\n/.site.lock\n\
             /.site.spare\n/.site.staging-*\n/.site.spool-*\n/build-summary.json\n",
            "force: {force}"
        );
        let said = if force { "has every entry the site needs" } else { "(your lines are kept): /.site.cache" };
        assert!(stderr(&out).contains(said), "{}", stderr(&out));
    }
}
