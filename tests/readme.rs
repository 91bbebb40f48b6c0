//! The README's commands work as written: every `telemetry-site <subcommand>` it shows
//! exists, every flag on such a line is in that subcommand's `--help`, every other flag it
//! names is in some `--help`, and the quick-start build and check behave as it says.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{path_str, run, stderr};

const README: &str = include_str!("../README.md");
const SUBCOMMANDS: [&str; 6] = ["build", "check", "serve", "init", "merge", "completions"];
/// Flags of other programs the README shows (cargo, cargo fmt).
const NOT_OURS: [&str; 7] = ["--release", "--example", "--locked", "--path", "--git", "--branch", "--check"];

fn help(args: &[&str]) -> String {
    let out = run(&[args, &["--help"]].concat());
    assert_eq!(out.status.code(), Some(0), "{args:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// Every `--flag` in `text`.
fn flags(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("--") {
        let after = &rest[at + 2..];
        let boundary_ok =
            at == 0 || !rest.as_bytes()[at - 1].is_ascii_alphanumeric() && rest.as_bytes()[at - 1] != b'-';
        let name: String =
            after.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-').collect();
        if boundary_ok && name.len() > 1 && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            found.insert(format!("--{}", name.trim_end_matches('-')));
        }
        rest = &after[name.len()..];
    }
    found
}

/// (subcommand, rest of the line) for every `telemetry-site SUB` or `cargo run ... -- SUB`.
fn commands() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for line in README.lines() {
        for marker in ["telemetry-site ", "cargo run --release -- "] {
            let mut rest = line;
            while let Some(at) = rest.find(marker) {
                rest = &rest[at + marker.len()..];
                let word: String = rest.chars().take_while(|c| c.is_ascii_lowercase()).collect();
                if SUBCOMMANDS.contains(&word.as_str()) {
                    found.push((word, rest.to_string()));
                } else if !word.is_empty()
                    && rest.starts_with(&format!("{word} "))
                    && line.trim_start().starts_with("telemetry-site")
                {
                    panic!("README shows an unknown subcommand: {line}");
                }
            }
        }
    }
    found
}

#[test]
fn every_documented_subcommand_and_flag_exists() {
    let commands = commands();
    let shown: BTreeSet<&str> = commands.iter().map(|(sub, _)| sub.as_str()).collect();
    assert_eq!(shown, SUBCOMMANDS.iter().copied().collect(), "the README shows every subcommand");
    let top = help(&[]);
    let mut all_help = top.clone();
    for sub in SUBCOMMANDS {
        assert!(top.contains(sub), "`{sub}` in the top-level --help");
        all_help.push_str(&help(&[sub]));
    }
    for (sub, rest) in &commands {
        let sub_help = help(&[sub]);
        // Flags up to the end of the command (a `#` comment or `|` column ends it).
        let command = rest.split(['#', '|', '`']).next().unwrap();
        for flag in flags(command) {
            if !NOT_OURS.contains(&flag.as_str()) {
                assert!(sub_help.contains(&flag), "`telemetry-site {command}`: {flag} not in `{sub} --help`");
            }
        }
    }
    for flag in flags(README) {
        if !NOT_OURS.contains(&flag.as_str()) {
            assert!(all_help.contains(&flag), "README names {flag}, which no --help mentions");
        }
    }
}

#[test]
fn every_documented_site_config_key_is_accepted() {
    let start = README.find("```toml\n").expect("a toml example") + 8;
    let end = start + README[start..].find("```").unwrap();
    telemetry_site::site_config::SiteConfig::parse(&README[start..end]).expect("the README's example parses");
}

#[test]
fn quick_start_build_and_check_behave_as_documented() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let out = run(&["build", path_str(&data), path_str(&site)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(", 5 skipped ("), "{}", stderr(&out));
    assert!(site.join("charts").is_dir() && site.join("data/2026-11-22.json").is_file());
    let out = run(&["check", path_str(&data)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: 5 of "), "{}", stderr(&out));
    assert!(README.contains("2026-10-26 to 2026-11-22"));
}

#[test]
fn sample_data_is_small() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let total: u64 = walk(&data);
    assert!(total < 1_000_000, "data/ holds {total} bytes");
}

fn walk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| if p.is_dir() { walk(&p) } else { p.metadata().unwrap().len() })
        .sum()
}
